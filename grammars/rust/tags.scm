; Rust. Doc comments (`///`, `/** */`) directly before an item, across
; attributes, are found by the extractor (comment_kinds, doc_skip_kinds).

(function_item
  name: (identifier) @name
  body: (block) @body) @definition.function

(function_signature_item
  name: (identifier) @name) @definition.function

(struct_item name: (type_identifier) @name body: (_)? @body) @definition.struct
(enum_item name: (type_identifier) @name body: (_) @body) @definition.enum
(union_item name: (type_identifier) @name body: (_) @body) @definition.union
(trait_item name: (type_identifier) @name body: (_) @body) @definition.trait
(type_item name: (type_identifier) @name) @definition.type
(mod_item name: (identifier) @name body: (_) @body) @definition.module
(macro_definition name: (identifier) @name) @definition.macro

; `impl Type` / `impl Trait for Type` qualify their methods by the type.
(impl_item
  type: [
    (type_identifier) @name
    (generic_type type: (type_identifier) @name)
    (scoped_type_identifier name: (type_identifier) @name)
  ]) @scope

(impl_item
  trait: [
    (type_identifier) @name
    (generic_type type: (type_identifier) @name)
    (scoped_type_identifier name: (type_identifier) @name)
  ]
  type: [
    (type_identifier) @subject
    (generic_type type: (type_identifier) @subject)
    (scoped_type_identifier name: (type_identifier) @subject)
  ]) @reference.implementation

; Supertraits: `trait A: B + C`.
(trait_item
  bounds: (trait_bounds [
    (type_identifier) @name
    (generic_type type: (type_identifier) @name)
    (scoped_type_identifier name: (type_identifier) @name)
  ])) @reference.inherits

; Calls: `f()`, `a::b::f()`, `obj.method()`, `Type::new()`.
(call_expression
  function: (identifier) @name) @reference.call

(call_expression
  function: (scoped_identifier
    path: (_) @receiver
    name: (identifier) @name)) @reference.call

(call_expression
  function: (field_expression
    value: (_) @receiver
    field: (field_identifier) @name)) @reference.call

(call_expression
  function: (generic_function
    function: [
      (identifier) @name
      (scoped_identifier path: (_) @receiver name: (identifier) @name)
      (field_expression value: (_) @receiver field: (field_identifier) @name)
    ])) @reference.call

(macro_invocation
  macro: (identifier) @name) @reference.call

; Imports: one match per imported name.
; `use a::b::C;` -> module a::b, name C
(use_declaration
  argument: (scoped_identifier
    path: (_) @import.module
    name: (identifier) @import.name)) @import

; `use a::b::C as D;`
(use_declaration
  argument: (use_as_clause
    path: (scoped_identifier
      path: (_) @import.module
      name: (identifier) @import.name)
    alias: (identifier) @import.alias)) @import

; `use a::b::{C, D as E, f::G};`
(use_declaration
  argument: (scoped_use_list
    path: (_) @import.module
    list: (use_list (identifier) @import.name))) @import

(use_declaration
  argument: (scoped_use_list
    path: (_) @import.module
    list: (use_list (use_as_clause
      path: (identifier) @import.name
      alias: (identifier) @import.alias)))) @import

(use_declaration
  argument: (scoped_use_list
    path: (_) @import.module
    list: (use_list (scoped_identifier) @import.name))) @import

; `use a::b::*;`
(use_declaration
  argument: (use_wildcard (_) @import.module) @import.wildcard) @import

; `use foo;`
(use_declaration
  argument: (identifier) @import.module) @import

; `mod foo;` declares a module file.
(mod_item
  name: (identifier) @import.module
  !body) @import

; `extern crate foo;`
(extern_crate_declaration
  name: (identifier) @import.module) @import

; Bindings with a type known cheaply (for receiver resolution).
(let_declaration
  pattern: (identifier) @binding.name
  type: (_) @binding.type) @binding

; `let s = Session::new(..)`
(let_declaration
  pattern: (identifier) @binding.name
  value: (call_expression function: (scoped_identifier path: (_) @binding.type))) @binding

; `let s = Session { .. }`
(let_declaration
  pattern: (identifier) @binding.name
  value: (struct_expression name: (_) @binding.type)) @binding

(parameter
  pattern: (identifier) @binding.name
  type: (_) @binding.type) @binding

; Struct fields: `self.store` in methods.
(field_declaration
  name: (field_identifier) @binding.name
  type: (_) @binding.type) @binding

; Type parameters stand for their first bound: `impl<S: Store>`, `struct X<S: Store>`.
(type_parameter
  name: (type_identifier) @binding.name
  bounds: (trait_bounds . [
    (type_identifier) @binding.type
    (generic_type type: (type_identifier) @binding.type)
    (scoped_type_identifier) @binding.type
  ])) @binding

; Calls inside macro arguments, which tree-sitter keeps as token trees:
; `assert!(svc.add_user(1))`, `write!(f, "{}", self.name())`, `vec![Foo::new()]`.
(token_tree
  [(identifier) (self)] @receiver
  .
  "."
  .
  (identifier) @name
  .
  (token_tree)) @reference.call

(token_tree
  (identifier) @receiver
  .
  "::"
  .
  (identifier) @name
  .
  (token_tree)) @reference.call

(token_tree
  (identifier) @name
  .
  (token_tree)) @reference.call

; The same bindings with `let mut`.
(let_declaration
  pattern: (mut_pattern (identifier) @binding.name)
  type: (_) @binding.type) @binding

(let_declaration
  pattern: (mut_pattern (identifier) @binding.name)
  value: (call_expression function: (scoped_identifier path: (_) @binding.type))) @binding

(let_declaration
  pattern: (mut_pattern (identifier) @binding.name)
  value: (struct_expression name: (_) @binding.type)) @binding

; Module-level state: `const`, `static` (inside functions they are locals:
; the extractor drops them).
(const_item name: (identifier) @name) @definition.constant
(static_item name: (identifier) @name) @definition.constant
