; Kotlin (tree-sitter-kotlin-sg, a republish of fwcd/tree-sitter-kotlin).
; KDoc `/** */` directly before a declaration (or before its annotations,
; which are children of it) is its doc (comment_kinds,
; doc_comment_prefixes). The grammar has almost no field names: children
; are matched by kind and position.
;
; Conventions (see grammars/README.md for the capture names):
; - `package a.b` is the file's @package.
; - Types: `class` (data, sealed, open, abstract, value classes), `object`
;   and `annotation class` are classes; `interface` and `fun interface`
;   interfaces; `enum class` an enum whose entries are constants;
;   `typealias` a type. A `companion object` is not a definition of its
;   own: its members are the class's (`Client.create()` is
;   `okhttp3.Client.create`).
; - Functions: `fun`, top level or in a type (a method); extension
;   functions (`fun String.toHttpUrl()`) are top-level functions, as Kotlin
;   imports them. A secondary `constructor` is a method named after its
;   class.
; - State: `const val` and `val` at the top level or in an object are
;   constants, `var` variables; properties declared in a class body are
;   variables (the class's API). Locals are not definitions.
; - Imports, one match per directive:
;     import a.b.C           module a.b   name C
;     import a.b.C as D      module a.b   name C, alias D
;     import a.b.*           module a.b   wildcard
; - Calls: `f()`, `obj.f()`, `obj?.f()`, `f<T>()`, `f { }` (trailing
;   lambda), `Foo(...)` (a constructor call is a call of the class), the
;   superclass constructor in `class A : Base(x)`, and `super(...)` in a
;   secondary constructor.
; - Inheritance: `: Base(...)` (a constructor call) is inherits; other
;   supertypes of a class or object are implementation (interfaces);
;   an interface's supertypes are inherits.
; - Bindings: typed properties, locals and parameters (`x: Repo`), and
;   `val x = Foo(...)` / `val x = repo.find(...)` (the callee's declared
;   return type).

(package_header
  (identifier) @name) @package

; ---------------------------------------------------------------- types

(class_declaration
  ["class" "interface"] @_keyword
  (type_identifier) @name
  (class_body) @body
  (#eq? @_keyword "class")) @definition.class

; A class without a body (`data class Point(val x: Int)`); an enum class
; always has an enum_class_body.
(class_declaration
  "class"
  (type_identifier) @name
  (#not-match? @definition.class "[{]")) @definition.class

(class_declaration
  "interface"
  (type_identifier) @name
  (class_body)? @body) @definition.interface

(class_declaration
  (type_identifier) @name
  (enum_class_body) @body) @definition.enum

(enum_entry
  (simple_identifier) @name) @definition.constant

(object_declaration
  (type_identifier) @name
  (class_body)? @body) @definition.class

(type_alias
  (type_identifier) @name) @definition.type

; ---------------------------------------------------------------- functions

(function_declaration
  (simple_identifier) @name
  (function_body)? @body) @definition.function

(class_declaration
  (type_identifier) @name
  (class_body
    (secondary_constructor
      (statements)? @body) @definition.method))

(class_declaration
  (type_identifier) @name
  (enum_class_body
    (secondary_constructor
      (statements)? @body) @definition.method))

; ---------------------------------------------------------------- state

(source_file
  (property_declaration
    (modifiers (property_modifier) @_const)
    (variable_declaration (simple_identifier) @name)
    (#eq? @_const "const")) @definition.constant)

(source_file
  (property_declaration
    (binding_pattern_kind) @_val
    (variable_declaration (simple_identifier) @name)
    (#eq? @_val "val")
    (#not-match? @definition.constant "^[^=]*\\bconst\\b")) @definition.constant)

(source_file
  (property_declaration
    (binding_pattern_kind) @_var
    (variable_declaration (simple_identifier) @name)
    (#eq? @_var "var")) @definition.variable)

(object_declaration
  (class_body
    (property_declaration
      (binding_pattern_kind) @_val
      (variable_declaration (simple_identifier) @name)
      (#eq? @_val "val")) @definition.constant))

(companion_object
  (class_body
    (property_declaration
      (binding_pattern_kind) @_val
      (variable_declaration (simple_identifier) @name)
      (#eq? @_val "val")) @definition.constant))

(object_declaration
  (class_body
    (property_declaration
      (binding_pattern_kind) @_var
      (variable_declaration (simple_identifier) @name)
      (#eq? @_var "var")) @definition.variable))

(companion_object
  (class_body
    (property_declaration
      (binding_pattern_kind) @_var
      (variable_declaration (simple_identifier) @name)
      (#eq? @_var "var")) @definition.variable))

(class_declaration
  [
    (class_body
      (property_declaration
        (variable_declaration (simple_identifier) @name)) @definition.variable)
    (enum_class_body
      (property_declaration
        (variable_declaration (simple_identifier) @name)) @definition.variable)
  ])

; ---------------------------------------------------------------- inheritance

(class_declaration
  (delegation_specifier
    (constructor_invocation
      [(user_type (type_identifier) @name .) (user_type (type_identifier) @name . (type_arguments) .)])) @reference.inherits)

(object_declaration
  (delegation_specifier
    (constructor_invocation
      [(user_type (type_identifier) @name .) (user_type (type_identifier) @name . (type_arguments) .)])) @reference.inherits)

(class_declaration
  "class"
  (delegation_specifier
    [
      [(user_type (type_identifier) @name .) (user_type (type_identifier) @name . (type_arguments) .)]
      (explicit_delegation [(user_type (type_identifier) @name .) (user_type (type_identifier) @name . (type_arguments) .)])
    ]) @reference.implementation)

(object_declaration
  (delegation_specifier
    [
      [(user_type (type_identifier) @name .) (user_type (type_identifier) @name . (type_arguments) .)]
      (explicit_delegation [(user_type (type_identifier) @name .) (user_type (type_identifier) @name . (type_arguments) .)])
    ]) @reference.implementation)

(class_declaration
  "interface"
  (delegation_specifier
    [(user_type (type_identifier) @name .) (user_type (type_identifier) @name . (type_arguments) .)]) @reference.inherits)

; ---------------------------------------------------------------- calls

(call_expression
  .
  (simple_identifier) @name
  (call_suffix)) @reference.call

(call_expression
  .
  (navigation_expression
    (_) @receiver
    .
    (navigation_suffix
      (simple_identifier) @name))
  (call_suffix)) @reference.call

; `class A : Base(x)`: the superclass constructor.
(delegation_specifier
  (constructor_invocation
    [(user_type (type_identifier) @name .) (user_type (type_identifier) @name . (type_arguments) .)]) @reference.call)

; `constructor(x: Int) : super(x)`
(constructor_delegation_call
  "super" @name) @reference.call

; ---------------------------------------------------------------- imports

(import_header
  (identifier
    .
    ((simple_identifier) @import.module)+
    .
    (simple_identifier) @import.name
    .)
  .) @import

(import_header
  (identifier
    .
    ((simple_identifier) @import.module)+
    .
    (simple_identifier) @import.name
    .)
  .
  (import_alias (type_identifier) @import.alias)) @import

(import_header
  (identifier
    .
    (simple_identifier) @import.name
    .)
  .) @import

(import_header
  (identifier) @import.module
  (wildcard_import) @import.wildcard) @import

; ---------------------------------------------------------------- bindings

(property_declaration
  (variable_declaration
    (simple_identifier) @binding.name
    [(user_type) (nullable_type)] @binding.type)) @binding

; `val x = Foo(...)`, `val x = repo.find(...)`
(property_declaration
  (variable_declaration
    (simple_identifier) @binding.name
    .)
  .
  (call_expression
    .
    [(simple_identifier) (navigation_expression)] @binding.type)) @binding

(parameter
  (simple_identifier) @binding.name
  [(user_type) (nullable_type)] @binding.type) @binding

(class_parameter
  (simple_identifier) @binding.name
  [(user_type) (nullable_type)] @binding.type) @binding
