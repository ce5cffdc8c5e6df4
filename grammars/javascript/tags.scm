; JavaScript (.js .mjs .cjs .jsx). TypeScript does not inherit this file:
; the grammars differ in class names (identifier vs type_identifier) and in
; class_heritage (an expression here, extends/implements clauses there), so a
; pattern valid here fails to compile there. Keep grammars/typescript/tags.scm
; in step when changing something shared.
;
; Conventions (see grammars/README.md for the capture names):
; - Doc comments are not captured: the extractor takes the comments directly
;   before a definition or its `export` wrapper. For that reason a function
;   bound to a variable is the whole `const f = () => ...` declaration, not
;   the arrow function.
; - Imports, one match per bound name. The module is the string's content.
;     import x from './a'             module ./a, alias x (no name: a default import)
;     import {a, b as c} from './m'   name a; name b, alias c
;     import * as ns from 'm'         wildcard, alias ns
;     import './side-effect'          module only
;     export {x, y as z} from './y'   name x; name y, alias z (re-exports)
;     export * from './z'             wildcard
;     export * as ns from './z'       wildcard, alias ns
;     const x = require('./m')        module ./m, alias x (like a default import)
;     const {a, b: c} = require('m')  name a; name b, alias c
;     require('./m'), import('./m')   module only
;   So: wildcard + alias is a namespace object, alias without name and
;   wildcard is the module's default export (`module.exports` for CommonJS).
; - Calls: `f()` is name f; `a.b.f()` is name f, receiver `a.b`;
;   `new Foo()` is a call of Foo; `<Foo />` (JSX, capitalised) is a call of Foo.
; - Functions in an object literal bound to a variable (`const api = { get()
;   {} }`) are qualified by the variable, which is a @scope.
; - Bindings: `x = new T()` and `this.x = y` (plus, in TypeScript, annotated
;   variables, parameters and fields) give receivers a type.

; ---------------------------------------------------------------- definitions

(function_declaration
  name: (identifier) @name
  body: (statement_block) @body) @definition.function

(generator_function_declaration
  name: (identifier) @name
  body: (statement_block) @body) @definition.function

; `const f = () => ...`, `let f = function () {}`, `var g = function* () {}`
(lexical_declaration
  (variable_declarator
    name: (identifier) @name
    value: [
      (arrow_function body: (_) @body)
      (function_expression body: (_) @body)
      (generator_function body: (_) @body)
    ])) @definition.function

(variable_declaration
  (variable_declarator
    name: (identifier) @name
    value: [
      (arrow_function body: (_) @body)
      (function_expression body: (_) @body)
      (generator_function body: (_) @body)
    ])) @definition.function

(class_declaration
  name: (identifier) @name
  body: (class_body) @body) @definition.class

; `const A = class { ... }`
(lexical_declaration
  (variable_declarator
    name: (identifier) @name
    value: (class body: (class_body) @body))) @definition.class

(class_body
  (method_definition
    name: (_) @name
    body: (statement_block) @body) @definition.method)

; Class fields holding functions: `handle = () => { ... }`
(class_body
  (field_definition
    property: (_) @name
    value: [
      (arrow_function body: (_) @body)
      (function_expression body: (_) @body)
    ]) @definition.method)

; Object literals bound to a variable qualify their functions.
; Only objects with a function member: one match per such member.
(lexical_declaration
  (variable_declarator
    name: (identifier) @name
    value: (object [
      (method_definition)
      (pair value: [(arrow_function) (function_expression)])
    ]))) @scope

(variable_declaration
  (variable_declarator
    name: (identifier) @name
    value: (object [
      (method_definition)
      (pair value: [(arrow_function) (function_expression)])
    ]))) @scope

(variable_declarator
  value: (object
    (method_definition
      name: (_) @name
      body: (statement_block) @body) @definition.function))

(variable_declarator
  value: (object
    (pair
      key: (property_identifier) @name
      value: [
        (arrow_function body: (_) @body)
        (function_expression body: (_) @body)
      ]) @definition.function))

; CommonJS and prototype style, also inside AMD/IIFE wrappers:
; `exports.f = function () {}`, `module.exports.f = () => {}`
((expression_statement
  (assignment_expression
    left: (member_expression
      object: (_) @_exports
      property: (property_identifier) @name)
    right: [
      (arrow_function body: (_) @body)
      (function_expression body: (_) @body)
    ])) @definition.function
  (#match? @_exports "^(module\\.)?exports$"))

; `Foo.prototype.bar = function () {}` is method bar of Foo.
((expression_statement
  (assignment_expression
    left: (member_expression
      object: (member_expression
        object: (identifier) @owner
        property: (property_identifier) @_prototype)
      property: (property_identifier) @name)
    right: [
      (arrow_function body: (_) @body)
      (function_expression body: (_) @body)
    ])) @definition.method
  (#eq? @_prototype "prototype"))

; ---------------------------------------------------------------- inheritance

; `class A extends B`, `class A extends mod.B`, `const A = class extends B {}`.
; Only classes that are definitions: the subject is the enclosing definition,
; which for `return class extends Base {}` would be the function.
(class_declaration
  (class_heritage
    [
      (identifier) @name
      (member_expression property: (property_identifier) @name)
    ]) @reference.inherits)

(variable_declarator
  value: (class
    (class_heritage
      [
        (identifier) @name
        (member_expression property: (property_identifier) @name)
      ]) @reference.inherits))

; ---------------------------------------------------------------- calls

(call_expression
  function: (identifier) @name
  (#not-eq? @name "require")) @reference.call

(call_expression
  function: (member_expression
    object: (_) @receiver
    property: [(property_identifier) (private_property_identifier)] @name)) @reference.call

(new_expression
  constructor: (identifier) @name) @reference.call

(new_expression
  constructor: (member_expression
    object: (_) @receiver
    property: (property_identifier) @name)) @reference.call

; JSX: `<Button />`, `<Form.Field>`; lower-case names are HTML elements.
([
  (jsx_opening_element name: (identifier) @name)
  (jsx_self_closing_element name: (identifier) @name)
] @reference.call
  (#match? @name "^[A-Z]"))

[
  (jsx_opening_element
    name: (member_expression
      object: (_) @receiver
      property: (property_identifier) @name))
  (jsx_self_closing_element
    name: (member_expression
      object: (_) @receiver
      property: (property_identifier) @name))
] @reference.call

; ---------------------------------------------------------------- imports

; `import x from './a'`: the default export, bound to x.
(import_statement
  (import_clause (identifier) @import.alias)
  source: (string (string_fragment) @import.module)) @import

; `import {a, b as c, default as d} from './m'`
(import_statement
  (import_clause
    (named_imports
      (import_specifier
        name: _ @import.name
        alias: (_)? @import.alias)))
  source: (string (string_fragment) @import.module)) @import

; `import * as ns from 'm'`
(import_statement
  (import_clause
    (namespace_import (identifier) @import.alias) @import.wildcard)
  source: (string (string_fragment) @import.module)) @import

; `import './side-effect'`
(import_statement
  .
  source: (string (string_fragment) @import.module)) @import

; Re-exports: `export {x, y as z} from './y'`
(export_statement
  (export_clause
    (export_specifier
      name: _ @import.name
      alias: _? @import.alias))
  source: (string (string_fragment) @import.module)) @import

; `export * from './z'`
(export_statement
  "*" @import.wildcard
  source: (string (string_fragment) @import.module)) @import

; `export * as ns from './z'`
(export_statement
  (namespace_export (identifier) @import.alias) @import.wildcard
  source: (string (string_fragment) @import.module)) @import

; `const x = require('./m')`
(variable_declarator
  name: (identifier) @import.alias
  value: (call_expression
    function: (identifier) @_require
    arguments: (arguments . (string (string_fragment) @import.module) .))
  (#eq? @_require "require")) @import

; `const {a, b: c} = require('./m')`
(variable_declarator
  name: (object_pattern
    [
      (shorthand_property_identifier_pattern) @import.name
      (pair_pattern
        key: (property_identifier) @import.name
        value: (identifier) @import.alias)
    ])
  value: (call_expression
    function: (identifier) @_require
    arguments: (arguments . (string (string_fragment) @import.module) .))
  (#eq? @_require "require")) @import

; `require('./m');`
(expression_statement
  (call_expression
    function: (identifier) @_require
    arguments: (arguments . (string (string_fragment) @import.module) .))
  (#eq? @_require "require")) @import

; `import('./m')`
(call_expression
  function: (import)
  arguments: (arguments . (string (string_fragment) @import.module))) @import

; ---------------------------------------------------------------- bindings

; Names whose type is cheap to know, for resolving receivers.
; `const svc = new UserService(repo)`, `const f = new text.Formatter()`
(variable_declarator
  name: (identifier) @binding.name
  value: (new_expression
    constructor: [(identifier) (member_expression)] @binding.type)) @binding

; `this.store = new MemoryStore()`
(assignment_expression
  left: (member_expression object: (this)) @binding.name
  right: (new_expression
    constructor: [(identifier) (member_expression)] @binding.type)) @binding

; `this.store = store` (the type comes from `store`)
(assignment_expression
  left: (member_expression object: (this)) @binding.name
  right: (identifier) @binding.value) @binding

; Class fields: `items = new Map()`
(field_definition
  property: (property_identifier) @binding.name
  value: (new_expression
    constructor: [(identifier) (member_expression)] @binding.type)) @binding

; `super(...)` in a constructor calls the base class.
(call_expression function: (super) @name) @reference.call
