; Scala 2 and 3 (tree-sitter-scala). Scaladoc `/** */` directly before a
; definition is its doc (comment_kinds, doc_comment_prefixes).
;
; Conventions (see grammars/README.md for the capture names):
; - Packages: `package a.b` is the file's @package. Chained clauses
;   (`package cats` then `package data`) continue each other: `cats.data`.
; - Types: `class`, `case class` and `object` are classes (an object and
;   its companion class share a qualified name, so the object's methods are
;   the type's members: `Kleisli.pure`); `trait` is a trait; `enum` an enum
;   whose cases are constants; `type X = ...` a type. A `package object`
;   is a module.
; - Functions: `def` with a body, and abstract `def` declarations; inside a
;   type they are methods. `def this(...)` is an auxiliary constructor named
;   `this`.
; - State: `val`/`var` at the top level or in an `object` / package object
;   are constants / variables; `val`/`var` members of classes and traits are
;   variables (their API). Local vals inside functions are not definitions.
; - Imports, one match per imported name:
;     import a.b.C                 module a.b    name C
;     import a.b.{C, D => E}       module a.b    name C; name D alias E
;     import a.b._ / import a.b.*  module a.b    wildcard
;     import a.b.{given, *}        module a.b    wildcard
;   `C => _` (hiding) is skipped.
; - Calls: `f(x)`, `f[T](x)`, `obj.m(x)`, `obj.m[T](x)`, `F { ... }` (an
;   apply with a block), `new Foo(...)` and `extends Foo(...)` (calls of Foo), and infix calls
;   with an alphanumeric operator (`xs map f`: name map, receiver xs).
;   Symbolic operators (`|+|`, `::`) and calls without an argument list
;   (`xs.size`) are not calls here.
; - Inheritance: `extends A` is inherits, `with B` is implementation (a
;   mixed-in trait).
; - Bindings: typed vals, vars and parameters (`x: Repo`), and
;   `val x = Foo(...)` / `val x = new Foo(...)` / `val x = repo.find(...)`
;   (the callee's declared return type).

; ---------------------------------------------------------------- packages

(compilation_unit
  (package_clause
    name: (package_identifier) @name) @package)

; ---------------------------------------------------------------- types

(class_definition
  name: (identifier) @name
  body: (template_body)? @body) @definition.class

(object_definition
  name: (identifier) @name
  body: (template_body)? @body) @definition.class

(trait_definition
  name: (identifier) @name
  body: (template_body)? @body) @definition.trait

(enum_definition
  name: (identifier) @name
  body: (enum_body) @body) @definition.enum

(enum_body
  (enum_case_definitions
    [
      (simple_enum_case name: (identifier) @name)
      (full_enum_case name: (identifier) @name)
    ] @definition.constant))

(package_object
  name: (identifier) @name
  body: (template_body)? @body) @definition.module

(type_definition
  name: (type_identifier) @name) @definition.type

; ---------------------------------------------------------------- functions

(function_definition
  name: (identifier) @name
  body: (_) @body) @definition.function

(function_declaration
  name: (identifier) @name) @definition.function

; ---------------------------------------------------------------- state

(compilation_unit
  (val_definition
    pattern: (identifier) @name) @definition.constant)

(compilation_unit
  (var_definition
    pattern: (identifier) @name) @definition.variable)

(object_definition
  body: (template_body
    (val_definition
      pattern: (identifier) @name) @definition.constant))

(object_definition
  body: (template_body
    (var_definition
      pattern: (identifier) @name) @definition.variable))

(package_object
  body: (template_body
    (val_definition
      pattern: (identifier) @name) @definition.constant))

(package_object
  body: (template_body
    (var_definition
      pattern: (identifier) @name) @definition.variable))

(class_definition
  body: (template_body
    [
      (val_definition pattern: (identifier) @name)
      (var_definition pattern: (identifier) @name)
      (val_declaration name: (identifier) @name)
      (var_declaration name: (identifier) @name)
    ] @definition.variable))

(trait_definition
  body: (template_body
    [
      (val_definition pattern: (identifier) @name)
      (var_definition pattern: (identifier) @name)
      (val_declaration name: (identifier) @name)
      (var_declaration name: (identifier) @name)
    ] @definition.variable))

; Named givens: `given ordInt: Ord[Int] = ...`
(given_definition
  name: (identifier) @name) @definition.constant

; ---------------------------------------------------------------- inheritance

(extends_clause
  .
  [
    (type_identifier) @name
    (generic_type type: (type_identifier) @name)
    (stable_type_identifier (type_identifier) @name .)
    (generic_type type: (stable_type_identifier (type_identifier) @name .))
  ]) @reference.inherits

(extends_clause
  "with"
  .
  [
    (type_identifier) @name
    (generic_type type: (type_identifier) @name)
    (stable_type_identifier (type_identifier) @name .)
    (generic_type type: (stable_type_identifier (type_identifier) @name .))
  ] @reference.implementation)

; ---------------------------------------------------------------- calls

(call_expression
  function: [
    (identifier) @name
    (generic_function function: (identifier) @name)
  ]) @reference.call

(call_expression
  function: [
    (field_expression value: (_) @receiver field: (identifier) @name)
    (generic_function function: (field_expression value: (_) @receiver field: (identifier) @name))
  ]) @reference.call

(instance_expression
  [
    (type_identifier) @name
    (generic_type type: (type_identifier) @name)
    (stable_type_identifier (_) @receiver . (type_identifier) @name .)
    (generic_type type: (stable_type_identifier (_) @receiver . (type_identifier) @name .))
  ]) @reference.call

(infix_expression
  left: (_) @receiver
  operator: (identifier) @name) @reference.call

; ---------------------------------------------------------------- imports

; `import a.b.C`: the module is the path before the last name (a
; quantified @import.module spans its nodes).
(import_declaration
  .
  path: (identifier) @import.module
  ("." . path: (identifier) @import.module)*
  "."
  .
  path: (identifier) @import.name
  .) @import

; `import a.b.{C, D => E}`, `import a.b.*`, `import a.b._`
(import_declaration
  .
  path: (identifier) @import.module
  ("." . path: (identifier) @import.module)*
  .
  (namespace_selectors
    [
      (identifier) @import.name
      (arrow_renamed_identifier
        name: (identifier) @import.name
        alias: (identifier) @import.alias)
    ])) @import

(import_declaration
  .
  path: (identifier) @import.module
  ("." . path: (identifier) @import.module)*
  .
  [
    (namespace_wildcard)
    (namespace_selectors (namespace_wildcard))
  ] @import.wildcard) @import

; ---------------------------------------------------------------- bindings

(val_definition
  pattern: (identifier) @binding.name
  type: [
    (type_identifier)
    (generic_type)
    (stable_type_identifier)
  ] @binding.type) @binding

(var_definition
  pattern: (identifier) @binding.name
  type: [
    (type_identifier)
    (generic_type)
    (stable_type_identifier)
  ] @binding.type) @binding

(val_declaration
  name: (identifier) @binding.name
  type: [
    (type_identifier)
    (generic_type)
    (stable_type_identifier)
  ] @binding.type) @binding

[
  (parameter
    name: (identifier) @binding.name
    type: [
      (type_identifier)
      (generic_type)
      (stable_type_identifier)
    ] @binding.type)
  (class_parameter
    name: (identifier) @binding.name
    type: [
      (type_identifier)
      (generic_type)
      (stable_type_identifier)
    ] @binding.type)
] @binding

; `val s = new Service(repo)`, `val s = Service(repo)`, `val u = repo.find(id)`
(val_definition
  pattern: (identifier) @binding.name
  !type
  value: [
    (instance_expression [(type_identifier) (generic_type) (stable_type_identifier)] @binding.type)
    (call_expression function: [(identifier) (field_expression)] @binding.type)
  ]) @binding

(var_definition
  pattern: (identifier) @binding.name
  !type
  value: [
    (instance_expression [(type_identifier) (generic_type) (stable_type_identifier)] @binding.type)
    (call_expression function: [(identifier) (field_expression)] @binding.type)
  ]) @binding

; `class A extends Base(x)`: the superclass constructor (a call of Base).
(extends_clause
  .
  [
    (type_identifier) @name
    (generic_type type: (type_identifier) @name)
    (stable_type_identifier (type_identifier) @name .)
  ]
  .
  (arguments)) @reference.call
