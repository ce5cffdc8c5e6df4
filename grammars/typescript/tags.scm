; inherits: ecma
; TypeScript (.ts .mts .cts) and TSX (.tsx): this one file is compiled
; against both grammars, so it uses only node types present in both (no JSX,
; no `<T>x` type assertions).
;
; It does not `; inherits: javascript`: the JavaScript grammar names classes
; with `identifier` where TypeScript uses `type_identifier`, and its
; class_heritage holds an expression where TypeScript has extends/implements
; clauses. The patterns both grammars share (functions, calls, imports) are
; in grammars/ecma/tags.scm, which both inherit.
;
; Conventions (see grammars/README.md for the capture names):
; - Doc comments are not captured: the extractor takes the comments directly
;   before a definition or its `export` wrapper. A function bound to a
;   variable is therefore the whole `const f = () => ...` declaration.
; - Imports, one match per bound name. The module is the string's content.
;     import x from './a'             module ./a, alias x (no name: a default import)
;     import {a, b as c} from './m'   name a; name b, alias c
;     import * as ns from 'm'         wildcard, alias ns
;     import './side-effect'          module only
;     import fs = require('fs')       module fs, alias fs
;     export {x, y as z} from './y'   name x; name y, alias z (re-exports)
;     export * from './z'             wildcard
;     export * as ns from './z'       wildcard, alias ns
;     const x = require('./m')        module ./m, alias x
;     const {a, b: c} = require('m')  name a; name b, alias c
;     require('./m'), import('./m')   module only
;   `import type` and `export type` are imports like the others. So:
;   wildcard + alias is a namespace object, alias without name and wildcard
;   is the module's default export (`export =` / `module.exports`).
; - Calls: `f()` is name f; `a.b.f()` is name f, receiver `a.b`;
;   `new Foo()` is a call of Foo. JSX elements are not calls here (the
;   TypeScript grammar has no JSX nodes).
; - Functions in an object literal bound to a variable (`const api = { get()
;   {} }`) are qualified by the variable, which is a @scope.
; - Bindings: `x = new T()` and `this.x = y` (plus, in TypeScript, annotated
;   variables, parameters and fields) give receivers a type.
; - Overload signatures (`function f(a: string): void;`) and `declare`d
;   functions and methods are definitions without a body.

; ---------------------------------------------------------------- definitions

; `declare function f(): void;`, overload signatures
(function_signature
  name: (identifier) @name) @definition.function

(class_declaration
  name: (type_identifier) @name
  body: (class_body) @body) @definition.class

(abstract_class_declaration
  name: (type_identifier) @name
  body: (class_body) @body) @definition.class

; Overloads and methods of `declare class`.
(class_body
  (method_signature
    name: (_) @name) @definition.method)

(class_body
  (abstract_method_signature
    name: (_) @name) @definition.method)

; Class fields holding functions: `handle = (e: Event) => { ... }`
(class_body
  (public_field_definition
    name: (_) @name
    value: [
      (arrow_function body: (_) @body)
      (function_expression body: (_) @body)
    ]) @definition.method)

(interface_declaration
  name: (type_identifier) @name
  body: (interface_body) @body) @definition.interface

(interface_body
  (method_signature
    name: (_) @name) @definition.method)

(type_alias_declaration
  name: (type_identifier) @name) @definition.type

(enum_declaration
  name: (identifier) @name
  body: (enum_body) @body) @definition.enum

; `namespace A.B { }`: a statement of its own is wrapped in an
; expression_statement, which is taken as the definition so that the comment
; before it is its doc.
(expression_statement
  (internal_module
    name: (_) @name
    body: (statement_block) @body)) @definition.module

(export_statement
  declaration: (internal_module
    name: (_) @name
    body: (statement_block) @body) @definition.module)

(ambient_declaration
  (internal_module
    name: (_) @name
    body: (statement_block) @body) @definition.module)

; `module M { }`, `declare module "m" { }`, `declare module "m";`
(module
  name: [
    (identifier) @name
    (nested_identifier) @name
    (string (string_fragment) @name)
  ]
  body: (statement_block)? @body) @definition.module

; ---------------------------------------------------------------- inheritance

; `class A extends B`, `extends mod.B`, `extends B<T>`, and
; `implements I, ns.J, K<T>` (one match per interface). Only classes that are
; definitions: the subject is the enclosing definition, which for
; `return class extends Base {}` would be the function.
(class_declaration
  (class_heritage
    (extends_clause
      value: [
        (identifier) @name
        (member_expression property: (property_identifier) @name)
      ]) @reference.inherits))

(abstract_class_declaration
  (class_heritage
    (extends_clause
      value: [
        (identifier) @name
        (member_expression property: (property_identifier) @name)
      ]) @reference.inherits))

(variable_declarator
  value: (class
    (class_heritage
      (extends_clause
        value: [
          (identifier) @name
          (member_expression property: (property_identifier) @name)
        ]) @reference.inherits)))

(class_declaration
  (class_heritage
    (implements_clause
      [
        (type_identifier) @name
        (nested_type_identifier name: (type_identifier) @name)
        (generic_type name: [
          (type_identifier) @name
          (nested_type_identifier name: (type_identifier) @name)
        ])
      ]) @reference.implementation))

(abstract_class_declaration
  (class_heritage
    (implements_clause
      [
        (type_identifier) @name
        (nested_type_identifier name: (type_identifier) @name)
        (generic_type name: [
          (type_identifier) @name
          (nested_type_identifier name: (type_identifier) @name)
        ])
      ]) @reference.implementation))

(variable_declarator
  value: (class
    (class_heritage
      (implements_clause
        [
          (type_identifier) @name
          (nested_type_identifier name: (type_identifier) @name)
          (generic_type name: [
            (type_identifier) @name
            (nested_type_identifier name: (type_identifier) @name)
          ])
        ]) @reference.implementation)))

; `interface A extends B, ns.C, D<T>`
(extends_type_clause
  type: [
    (type_identifier) @name
    (nested_type_identifier name: (type_identifier) @name)
    (generic_type name: [
      (type_identifier) @name
      (nested_type_identifier name: (type_identifier) @name)
    ])
  ]) @reference.inherits

; ---------------------------------------------------------------- calls

; `this.repo.find!(id)`
(call_expression
  function: (non_null_expression
    (member_expression
      object: (_) @receiver
      property: [(property_identifier) (private_property_identifier)] @name))) @reference.call

; ---------------------------------------------------------------- imports

; `import {a, b as c, default as d} from './m'`
(import_statement
  (import_clause
    (named_imports
      (import_specifier
        name: (_) @import.name
        alias: (_)? @import.alias)))
  source: (string (string_fragment) @import.module)) @import

; `import fs = require('fs')`
(import_statement
  (import_require_clause
    (identifier) @import.alias
    source: (string (string_fragment) @import.module))) @import

; Re-exports: `export {x, y as z} from './y'`
(export_statement
  (export_clause
    (export_specifier
      name: (_) @import.name
      alias: (_)? @import.alias))
  source: (string (string_fragment) @import.module)) @import

; ---------------------------------------------------------------- bindings

; Names whose type is cheap to know, for resolving receivers. Types are
; captured as written (`Repo<Task>`, `ns.Logger`); built-in types such as
; `string` are left out.

; `const repo: Repo<Task> = ...`, `let s: Session;`
(variable_declarator
  name: (identifier) @binding.name
  type: (type_annotation
    [(type_identifier) (nested_type_identifier) (generic_type)] @binding.type)) @binding

; `const svc = new TaskService(repo)`, `new ns.Logger()`
(variable_declarator
  name: (identifier) @binding.name
  !type
  value: (new_expression
    constructor: [(identifier) (member_expression)] @binding.type)) @binding

; Parameters, including constructor parameter properties
; (`constructor(private readonly repo: Repo)` is also the field `repo`).
(required_parameter
  pattern: (identifier) @binding.name
  type: (type_annotation
    [(type_identifier) (nested_type_identifier) (generic_type)] @binding.type)) @binding

(optional_parameter
  pattern: (identifier) @binding.name
  type: (type_annotation
    [(type_identifier) (nested_type_identifier) (generic_type)] @binding.type)) @binding

; Class fields: `private repo: Repo;`, `items = new Map<string, T>()`
(public_field_definition
  name: (property_identifier) @binding.name
  type: (type_annotation
    [(type_identifier) (nested_type_identifier) (generic_type)] @binding.type)) @binding

(public_field_definition
  name: (property_identifier) @binding.name
  !type
  value: (new_expression
    constructor: [(identifier) (member_expression)] @binding.type)) @binding
