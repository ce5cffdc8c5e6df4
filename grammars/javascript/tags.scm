; inherits: ecma
; JavaScript (.js .mjs .cjs .jsx): what only the JavaScript grammar has
; (classes named by `identifier`, class_heritage as an expression, JSX,
; `field_definition`); the patterns both grammars share are in
; grammars/ecma/tags.scm.
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

(class_declaration
  name: (identifier) @name
  body: (class_body) @body) @definition.class

; Class fields holding functions: `handle = () => { ... }`
(class_body
  (field_definition
    property: (_) @name
    value: [
      (arrow_function body: (_) @body)
      (function_expression body: (_) @body)
    ]) @definition.method)

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

; `import {a, b as c, default as d} from './m'`
(import_statement
  (import_clause
    (named_imports
      (import_specifier
        name: _ @import.name
        alias: (_)? @import.alias)))
  source: (string (string_fragment) @import.module)) @import

; Re-exports: `export {x, y as z} from './y'`
(export_statement
  (export_clause
    (export_specifier
      name: _ @import.name
      alias: _? @import.alias))
  source: (string (string_fragment) @import.module)) @import

; ---------------------------------------------------------------- bindings

; Names whose type is cheap to know, for resolving receivers.
; `const svc = new UserService(repo)`, `const f = new text.Formatter()`
(variable_declarator
  name: (identifier) @binding.name
  value: (new_expression
    constructor: [(identifier) (member_expression)] @binding.type)) @binding

; Class fields: `items = new Map()`
(field_definition
  property: (property_identifier) @binding.name
  value: (new_expression
    constructor: [(identifier) (member_expression)] @binding.type)) @binding
