; ECMAScript patterns valid in the JavaScript, TypeScript and TSX grammars
; alike: functions, methods, object literals of functions, CommonJS exports
; and prototypes, calls, `new`, ES module and CommonJS imports, `this.x`
; bindings. grammars/javascript and grammars/typescript inherit this file
; (`; inherits: ecma`) and add what only their grammar has; a pattern here
; must compile against all three grammars (`cargo test -p codegraph-lang`).

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

; `const A = class { ... }`
(lexical_declaration
  (variable_declarator
    name: (identifier) @name
    value: (class body: (class_body) @body))) @definition.class

(class_body
  (method_definition
    name: (_) @name
    body: (statement_block) @body) @definition.method)

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

; `import x from './a'`: the default export, bound to x.
(import_statement
  (import_clause (identifier) @import.alias)
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

; `this.store = new MemoryStore()`
(assignment_expression
  left: (member_expression object: (this)) @binding.name
  right: (new_expression
    constructor: [(identifier) (member_expression)] @binding.type)) @binding

; `this.store = store` (the type comes from `store`)
(assignment_expression
  left: (member_expression object: (this)) @binding.name
  right: (identifier) @binding.value) @binding

; `super(...)` in a constructor calls the base class.
(call_expression function: (super) @name) @reference.call

; Module-level state (declarations inside functions are locals: the
; extractor drops variables found inside a function). `const` is a
; constant; functions, classes and objects with methods are matched above.
(lexical_declaration
  kind: "const"
  (variable_declarator
    name: (identifier) @name
    value: [
      (number) (string) (template_string) (array) (call_expression)
      (new_expression) (identifier) (member_expression) (binary_expression)
      (unary_expression) (true) (false) (null) (undefined) (regex)
      (await_expression) (ternary_expression) (subscript_expression)
      (parenthesized_expression)
    ]) @definition.constant)

(lexical_declaration
  kind: "let"
  (variable_declarator
    name: (identifier) @name
    value: [
      (number) (string) (template_string) (array) (call_expression)
      (new_expression) (identifier) (member_expression) (binary_expression)
      (unary_expression) (true) (false) (null) (undefined) (regex)
      (await_expression) (ternary_expression) (subscript_expression)
      (parenthesized_expression)
    ]) @definition.variable)

(variable_declaration
  (variable_declarator
    name: (identifier) @name
    value: [
      (number) (string) (template_string) (array) (call_expression)
      (new_expression) (identifier) (member_expression) (binary_expression)
      (unary_expression) (true) (false) (null) (undefined) (regex)
      (await_expression) (ternary_expression) (subscript_expression)
      (parenthesized_expression)
    ]) @definition.variable)
