; PHP (tree-sitter-php, the `php` grammar: `<?php` code and inline HTML).
; PHPDoc `/** */` directly before a declaration (or before its attributes,
; which are children of it) is its doc (comment_kinds,
; doc_comment_prefixes).
;
; Conventions (see grammars/README.md for the capture names):
; - `namespace App\Models;` (or `namespace App\Models { }`) is the file's
;   @package; the separator is `\`, so qualified names are what PHP
;   calls fully qualified: `App\Models\User`, methods `App\Models\User\save`.
; - Types: class, interface, trait, enum (whose cases are constants).
; - Functions: `function f()` at the top level, methods in types.
; - State: `const X = ...` (top level or in a type) and `define('X', ...)`
;   are constants; declared properties are variables, named without `$`
;   (`private Repo $repo` is `repo`, as `$this->repo` spells it).
; - Imports, one match per imported name:
;     use A\B\C;                   module A\B   name C
;     use A\B\C as D;              module A\B   name C, alias D
;     use A\B\{C, D as E};         module A\B   name C; name D, alias E
;     use function A\B\f;          module A\B   name f (also `use const`)
;     require 'x.php';             module x.php (a path: relative to the file)
;     require __DIR__ . '/x.php';  module /x.php
; - Calls: `f()`, `\A\B\f()` (receiver the namespace), `$obj->m()`,
;   `$obj?->m()`, `Type::m()`, `self::m()`, `static::m()`, `parent::m()`,
;   `new Foo(...)` (a call of Foo).
; - Inheritance: `extends` is inherits; `implements` and the traits a class
;   `use`s are implementation; an interface's `extends` is inherits.
; - Bindings: typed parameters (`User $u`), typed properties (`private
;   Repo $repo`, promoted constructor parameters), `$u = new User()`,
;   `$u = User::find()` (the declared return type), and `$this->repo =
;   $repo`.

(namespace_definition
  name: (namespace_name) @name
  body: (compound_statement)? @body) @package

; ---------------------------------------------------------------- types

(class_declaration
  name: (name) @name
  body: (declaration_list) @body) @definition.class

(interface_declaration
  name: (name) @name
  body: (declaration_list) @body) @definition.interface

(trait_declaration
  name: (name) @name
  body: (declaration_list) @body) @definition.trait

(enum_declaration
  name: (name) @name
  body: (enum_declaration_list) @body) @definition.enum

(enum_case
  name: (name) @name) @definition.constant

; ---------------------------------------------------------------- functions

(function_definition
  name: (name) @name
  body: (compound_statement) @body) @definition.function

(method_declaration
  name: (name) @name
  body: (compound_statement)? @body) @definition.method

; ---------------------------------------------------------------- state

; A declaration is the definition (its signature keeps the modifiers and
; type); one declaring several names is named after the first.
(const_declaration
  (const_element
    (name) @name)) @definition.constant

(expression_statement
  (function_call_expression
    function: (name) @_define
    arguments: (arguments
      .
      (argument
        (string (string_content) @name))))
  (#eq? @_define "define")) @definition.constant

(property_declaration
  (property_element
    name: (variable_name (name) @name))) @definition.variable

; ---------------------------------------------------------------- inheritance

(class_declaration
  (base_clause
    [
      (name) @name
      (qualified_name (name) @name .)
    ]) @reference.inherits)

(interface_declaration
  (base_clause
    [
      (name) @name
      (qualified_name (name) @name .)
    ] @reference.inherits))

(class_interface_clause
  [
    (name) @name
    (qualified_name (name) @name .)
  ] @reference.implementation)

(declaration_list
  (use_declaration
    [
      (name) @name
      (qualified_name (name) @name .)
    ] @reference.implementation))

; ---------------------------------------------------------------- calls

(function_call_expression
  function: (name) @name) @reference.call

(function_call_expression
  function: (qualified_name
    prefix: (namespace_name) @receiver
    (name) @name .)) @reference.call

(member_call_expression
  object: (_) @receiver
  name: (name) @name) @reference.call

(nullsafe_member_call_expression
  object: (_) @receiver
  name: (name) @name) @reference.call

(scoped_call_expression
  scope: [
    (relative_scope) @receiver
    (name) @receiver
    (qualified_name (name) @receiver .)
  ]
  name: (name) @name) @reference.call

(object_creation_expression
  [
    (name) @name
    (qualified_name (name) @name .)
  ]) @reference.call

; ---------------------------------------------------------------- imports

; `use A\B\C;`, `use A\B\C as D;`, `use function A\B\f;`
(namespace_use_declaration
  (namespace_use_clause
    (qualified_name
      prefix: (namespace_name) @import.module
      (name) @import.name .)
    alias: (name)? @import.alias)) @import

; `use C;` (a global class)
(namespace_use_declaration
  (namespace_use_clause
    .
    (name) @import.name
    alias: (name)? @import.alias)) @import

; `use A\B\{C, D as E};`
(namespace_use_declaration
  (namespace_name) @import.module
  body: (namespace_use_group
    (namespace_use_clause
      .
      (name) @import.name
      alias: (name)? @import.alias))) @import

; `require 'x.php'`, `include_once "x.php"`, `require __DIR__ . '/x.php'`
(require_expression
  [
    (string (string_content) @import.module)
    (encapsed_string (string_content) @import.module .)
    (binary_expression
      left: (name) @_dir
      right: (string (string_content) @import.module))
  ]
  (#eq? @_dir "__DIR__")) @import

(require_once_expression
  [
    (string (string_content) @import.module)
    (encapsed_string (string_content) @import.module .)
    (binary_expression
      left: (name) @_dir
      right: (string (string_content) @import.module))
  ]
  (#eq? @_dir "__DIR__")) @import

(include_expression
  [
    (string (string_content) @import.module)
    (encapsed_string (string_content) @import.module .)
    (binary_expression
      left: (name) @_dir
      right: (string (string_content) @import.module))
  ]
  (#eq? @_dir "__DIR__")) @import

(include_once_expression
  [
    (string (string_content) @import.module)
    (encapsed_string (string_content) @import.module .)
    (binary_expression
      left: (name) @_dir
      right: (string (string_content) @import.module))
  ]
  (#eq? @_dir "__DIR__")) @import

; ---------------------------------------------------------------- bindings

(simple_parameter
  type: [
    (named_type [(name) (qualified_name (name) .)] @binding.type)
    (optional_type (named_type [(name) (qualified_name (name) .)] @binding.type))
  ]
  name: (variable_name) @binding.name) @binding

; Promoted constructor parameters are properties: `$this->repo`.
(property_promotion_parameter
  type: [
    (named_type [(name) (qualified_name (name) .)] @binding.type)
    (optional_type (named_type [(name) (qualified_name (name) .)] @binding.type))
  ]
  name: (variable_name (name) @binding.name)) @binding

(property_declaration
  type: [
    (named_type [(name) (qualified_name (name) .)] @binding.type)
    (optional_type (named_type [(name) (qualified_name (name) .)] @binding.type))
  ]
  (property_element
    name: (variable_name (name) @binding.name))) @binding

; `$u = new User(...)`
(assignment_expression
  left: (variable_name) @binding.name
  right: (object_creation_expression
    [(name) (qualified_name (name) .)] @binding.type)) @binding

; `$u = User::find(...)`: the call's text up to `(` names the callee.
(assignment_expression
  left: (variable_name) @binding.name
  right: (scoped_call_expression
    scope: (name)) @binding.type) @binding

; `$this->repo = $repo`
(assignment_expression
  left: (member_access_expression
    object: (variable_name) @_this
    name: (name) @binding.name)
  right: (variable_name) @binding.value
  (#eq? @_this "$this")) @binding
