; C. Comments directly before a definition are its doc (comment_kinds).
; Prototypes (declarations without a body) are not definitions: each function
; is reported once, where its body is.

; Functions: `int f(void) {...}`, `int *f(void) {...}`, `char **g(...) {...}`.
(function_definition
  declarator: [
    (function_declarator
      declarator: (identifier) @name)
    (pointer_declarator
      declarator: (function_declarator
        declarator: (identifier) @name))
    (pointer_declarator
      declarator: (pointer_declarator
        declarator: (function_declarator
          declarator: (identifier) @name)))
    (pointer_declarator
      declarator: (pointer_declarator
        declarator: (pointer_declarator
          declarator: (function_declarator
            declarator: (identifier) @name))))
    ; `int (*handler(int sig))(int)` returns a function pointer
    (function_declarator
      declarator: (parenthesized_declarator
        (pointer_declarator
          declarator: (function_declarator
            declarator: (identifier) @name))))
  ]
  body: (compound_statement) @body) @definition.function

; Tagged types with a body: `struct S {...}`, `union U {...}`, `enum E {...}`
; (also inside `typedef` and variable declarations). The definition node is
; the specifier, so a comment before `typedef struct S {...} S_t;` is only
; found as its doc if `type_definition` is a wrapper kind.
(struct_specifier
  name: (type_identifier) @name
  body: (field_declaration_list) @body) @definition.struct

(union_specifier
  name: (type_identifier) @name
  body: (field_declaration_list) @body) @definition.union

(enum_specifier
  name: (type_identifier) @name
  body: (enumerator_list) @body) @definition.enum

; `typedef struct {...} Foo;`: the anonymous type takes the typedef's name.
(type_definition
  type: (struct_specifier
    !name
    body: (field_declaration_list) @body)
  declarator: (type_identifier) @name) @definition.struct

(type_definition
  type: (union_specifier
    !name
    body: (field_declaration_list) @body)
  declarator: (type_identifier) @name) @definition.union

(type_definition
  type: (enum_specifier
    !name
    body: (enumerator_list) @body)
  declarator: (type_identifier) @name) @definition.enum

; `typedef struct foo {...} foo_t;`: the struct is `foo` (above); the alias
; `foo_t` is a type whose node is just its name, so that it does not nest
; around the struct.
(type_definition
  type: [
    (struct_specifier name: (type_identifier) @_tag body: (_))
    (union_specifier name: (type_identifier) @_tag body: (_))
    (enum_specifier name: (type_identifier) @_tag body: (_))
  ]
  declarator: (type_identifier) @name @definition.type
  (#not-eq? @_tag @name))

; Other typedefs: `typedef int id_t;`, `typedef struct node node_t;`,
; `typedef char *str_t;`, `typedef int (*cmp_fn)(const void *, const void *);`.
(type_definition
  type: [
    (primitive_type)
    (sized_type_specifier)
    (type_identifier)
    (struct_specifier !body)
    (union_specifier !body)
    (enum_specifier !body)
  ]
  declarator: [
    (type_identifier) @name
    (pointer_declarator
      declarator: (type_identifier) @name)
    (function_declarator
      declarator: (parenthesized_declarator
        (pointer_declarator
          declarator: (type_identifier) @name)))
  ]) @definition.type

; Macros: `#define MAX(a, b) ...` is a macro; `#define LIMIT 64` a constant
; (include guards, which have no value, are neither).
(preproc_function_def
  name: (identifier) @name) @definition.macro

(preproc_def
  name: (identifier) @name
  value: (preproc_arg)) @definition.constant

; Calls: `f(x)`, and through a field, `obj->op(x)` / `obj.op(x)`.
(call_expression
  function: (identifier) @name) @reference.call

(call_expression
  function: (field_expression
    argument: (_) @receiver
    field: (field_identifier) @name)) @reference.call

; Includes: `#include "util/strbuf.h"` and `#include <stdio.h>` (the
; extractor strips the quotes and the angle brackets).
(preproc_include
  path: [
    (string_literal)
    (system_lib_string)
  ] @import.module) @import

; Bindings (receiver types): variables, parameters and struct fields whose
; type is a tagged type or a typedef name. The type captured is the tag's
; name (`store` for `struct store *s`); pointers are looked through.
; Primitive types are not captured.

; Parameters of function definitions (not of prototypes or function pointer
; types): `struct store *s`, `strbuf_t sb`, `struct entry **e`.
(function_definition
  declarator: [
    (function_declarator
      parameters: (parameter_list
        (parameter_declaration
          type: [
            (struct_specifier name: (type_identifier) @binding.type)
            (union_specifier name: (type_identifier) @binding.type)
            (type_identifier) @binding.type
          ]
          declarator: [
            (identifier) @binding.name
            (pointer_declarator declarator: (identifier) @binding.name)
            (pointer_declarator
              declarator: (pointer_declarator declarator: (identifier) @binding.name))
          ]) @binding))
    (_
      (function_declarator
        parameters: (parameter_list
          (parameter_declaration
            type: [
              (struct_specifier name: (type_identifier) @binding.type)
              (union_specifier name: (type_identifier) @binding.type)
              (type_identifier) @binding.type
            ]
            declarator: [
              (identifier) @binding.name
              (pointer_declarator declarator: (identifier) @binding.name)
              (pointer_declarator
                declarator: (pointer_declarator declarator: (identifier) @binding.name))
            ]) @binding)))
    (_
      (_
        (function_declarator
          parameters: (parameter_list
            (parameter_declaration
              type: [
                (struct_specifier name: (type_identifier) @binding.type)
                (union_specifier name: (type_identifier) @binding.type)
                (type_identifier) @binding.type
              ]
              declarator: [
                (identifier) @binding.name
                (pointer_declarator declarator: (identifier) @binding.name)
                (pointer_declarator
                  declarator: (pointer_declarator declarator: (identifier) @binding.name))
              ]) @binding))))
  ])

; Variables: `struct store *s = store_mem_new(64);`, `struct strbuf line;`,
; `strbuf_t sb = STRBUF_INIT;` (locals, and globals at file scope).
(declaration
  type: [
    (struct_specifier name: (type_identifier) @binding.type)
    (union_specifier name: (type_identifier) @binding.type)
    (type_identifier) @binding.type
  ]
  declarator: [
    (identifier) @binding.name
    (pointer_declarator declarator: (identifier) @binding.name)
    (pointer_declarator
      declarator: (pointer_declarator declarator: (identifier) @binding.name))
    (init_declarator
      declarator: [
        (identifier) @binding.name
        (pointer_declarator declarator: (identifier) @binding.name)
        (pointer_declarator
          declarator: (pointer_declarator declarator: (identifier) @binding.name))
      ])
  ]) @binding

; Struct and union fields: `const struct store_ops *ops;` (scope: the struct).
(field_declaration
  type: [
    (struct_specifier name: (type_identifier) @binding.type)
    (union_specifier name: (type_identifier) @binding.type)
    (type_identifier) @binding.type
  ]
  declarator: [
    (field_identifier) @binding.name
    (pointer_declarator declarator: (field_identifier) @binding.name)
    (pointer_declarator
      declarator: (pointer_declarator declarator: (field_identifier) @binding.name))
  ]) @binding

; Global variables (declarations inside functions are locals: the extractor
; drops variables found inside a function).
(declaration
  declarator: (init_declarator declarator: (identifier) @name)) @definition.variable
(declaration
  declarator: (identifier) @name) @definition.variable
