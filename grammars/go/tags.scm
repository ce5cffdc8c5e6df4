; Go. Doc comments are the comments directly before a declaration; the
; extractor finds them (comment_kinds), so there is no @doc here.
;
; Qualified names come from the package clause: `pkg.Func`, `pkg.Type`,
; `pkg.Type.Method` (methods name their receiver type with @owner).

(package_clause (package_identifier) @package)

; Functions and methods. `body` is absent for functions implemented in
; assembly. A method's owner is the receiver's base type, without `*` or
; type parameters: `func (s *Store[T]) Get()` -> owner `Store`.

(function_declaration
  name: (identifier) @name
  body: (block)? @body) @definition.function

(method_declaration
  receiver: (parameter_list
    (parameter_declaration
      type: [
        (type_identifier) @owner
        (pointer_type (type_identifier) @owner)
        (generic_type type: (type_identifier) @owner)
        (pointer_type (generic_type type: (type_identifier) @owner))
      ]))
  name: (field_identifier) @name
  body: (block)? @body) @definition.method

; Type declarations. A lone `type T ...` is captured as the whole
; type_declaration so that the doc comment before `type` belongs to it; in a
; group `type ( A ...; B ... )` each type_spec is its own definition (its doc
; comment is the one inside the group). The predicate tells the two apart
; when a group holds a single spec.

((type_declaration
   (type_spec
     name: (type_identifier) @name
     type: (struct_type (field_declaration_list) @body))) @definition.struct
 (#not-match? @definition.struct "^type\\s*\\("))

((type_declaration
   (type_spec
     name: (type_identifier) @name
     type: (interface_type))) @definition.interface
 (#not-match? @definition.interface "^type\\s*\\("))

((type_declaration
   [
     (type_spec
       name: (type_identifier) @name
       type: [
         (type_identifier) (qualified_type) (generic_type) (pointer_type)
         (array_type) (slice_type) (map_type) (channel_type) (function_type)
         (negated_type) (parenthesized_type)
       ])
     (type_alias name: (type_identifier) @name)
   ]) @definition.type
 (#not-match? @definition.type "^type\\s*\\("))

(type_declaration
  "("
  (type_spec
    name: (type_identifier) @name
    type: (struct_type (field_declaration_list) @body)) @definition.struct)

(type_declaration
  "("
  (type_spec
    name: (type_identifier) @name
    type: (interface_type)) @definition.interface)

(type_declaration
  "("
  [
    (type_spec
      name: (type_identifier) @name
      type: [
        (type_identifier) (qualified_type) (generic_type) (pointer_type)
        (array_type) (slice_type) (map_type) (channel_type) (function_type)
        (negated_type) (parenthesized_type)
      ])
    (type_alias name: (type_identifier) @name)
  ] @definition.type)

; Interface methods: members of the interface they are declared in.
(type_spec
  type: (interface_type
    (method_elem name: (field_identifier) @name) @definition.method))

; Embedding. A struct field with a type and no name embeds that type
; (`Base`, `*Base`, `pkg.Base`, `Base[T]`); an interface element that is a
; single type embeds that interface (`io.Reader`). @name is the type's own
; name without its package qualifier.

(type_spec
  type: (struct_type
    (field_declaration_list
      (field_declaration
        !name
        type: [
          (type_identifier) @name
          (qualified_type name: (type_identifier) @name)
          (generic_type type: [
            (type_identifier) @name
            (qualified_type name: (type_identifier) @name)
          ])
        ]) @reference.inherits)))

(type_spec
  type: (interface_type
    (type_elem
      .
      [
        (type_identifier) @name
        (qualified_type name: (type_identifier) @name)
        (generic_type type: [
          (type_identifier) @name
          (qualified_type name: (type_identifier) @name)
        ])
      ]
      .) @reference.inherits))

; Calls: `f(x)`, `pkg.F(x)`, `obj.M(x)`, `a.b.M(x)` (receiver `a.b`), and
; explicit instantiations `F[int, string](x)`, `pkg.F[int](x)`. An indexed
; call `fns[i](x)` looks like an instantiation and is reported as a call to
; `fns`. Conversions such as `int(x)` and builtins (`len`, `append`) are
; calls to names no definition has.

(call_expression
  function: (identifier) @name) @reference.call

(call_expression
  function: (selector_expression
    operand: (_) @receiver
    field: (field_identifier) @name)) @reference.call

(call_expression
  function: (index_expression
    operand: [
      (identifier) @name
      (selector_expression
        operand: (_) @receiver
        field: (field_identifier) @name)
    ])) @reference.call

; `F[int](x)` with a single type argument parses as a conversion to a
; generic type; it is a call all the same (or a conversion, which is a use of
; the type).
(type_conversion_expression
  type: (generic_type
    type: [
      (type_identifier) @name
      (qualified_type
        package: (package_identifier) @receiver
        name: (type_identifier) @name)
    ])) @reference.call

; Imports: one per import_spec; @import.module is the import path.
; `import "a/b"`, `import c "a/b"` (alias c), `import . "a/b"` (wildcard),
; `import _ "a/b"` (alias `_`: imported for its side effects, binds nothing).

(import_spec
  !name
  path: [
    (interpreted_string_literal (interpreted_string_literal_content) @import.module)
    (raw_string_literal (raw_string_literal_content) @import.module)
  ]) @import

(import_spec
  name: [
    (package_identifier)
    (blank_identifier)
  ] @import.alias
  path: [
    (interpreted_string_literal (interpreted_string_literal_content) @import.module)
    (raw_string_literal (raw_string_literal_content) @import.module)
  ]) @import

(import_spec
  name: (dot) @import.wildcard
  path: [
    (interpreted_string_literal (interpreted_string_literal_content) @import.module)
    (raw_string_literal (raw_string_literal_content) @import.module)
  ]) @import

; Bindings: names whose type is cheap to know, for resolving receivers. Type
; text is as written (`*Store`, `st.Repository`, `Box[T]`); the resolver
; strips `*` and type arguments and resolves `pkg.Type` through the import.
; Slices, maps, channels and function types bind nothing.

; Parameters and method receivers: `func f(s *Store)`, `func (s *UserService) M()`
; (the receiver is inside the method, so it binds there). `a, b T` binds both.
((parameter_declaration
  name: (identifier) @binding.name
  type: [
    (type_identifier)
    (qualified_type)
    (generic_type)
    (pointer_type [(type_identifier) (qualified_type) (generic_type)])
  ] @binding.type) @binding
 (#not-match? @binding.type "^(bool|byte|complex64|complex128|error|float32|float64|int|int8|int16|int32|int64|rune|string|uint|uint8|uint16|uint32|uint64|uintptr|any|comparable)$")
 (#not-eq? @binding.name "_"))

; `var x T`, `var x T = ...`.
((var_spec
  name: (identifier) @binding.name
  type: [
    (type_identifier)
    (qualified_type)
    (generic_type)
    (pointer_type [(type_identifier) (qualified_type) (generic_type)])
  ] @binding.type) @binding
 (#not-match? @binding.type "^(bool|byte|complex64|complex128|error|float32|float64|int|int8|int16|int32|int64|rune|string|uint|uint8|uint16|uint32|uint64|uintptr|any|comparable)$")
 (#not-eq? @binding.name "_"))

; `var x = T{...}`, `var x = &T{...}` (a single name and value).
(var_spec
  !type
  .
  name: (identifier) @binding.name
  .
  value: (expression_list
    .
    [
      (composite_literal
        type: [(type_identifier) (qualified_type) (generic_type)] @binding.type)
      (unary_expression
        operator: "&"
        operand: (composite_literal
          type: [(type_identifier) (qualified_type) (generic_type)] @binding.type))
    ]
    .)) @binding

; `x := T{...}`, `x := &T{...}`, `x := pkg.T{...}` (a single name and value).
(short_var_declaration
  left: (expression_list . (identifier) @binding.name .)
  right: (expression_list
    .
    [
      (composite_literal
        type: [(type_identifier) (qualified_type) (generic_type)] @binding.type)
      (unary_expression
        operator: "&"
        operand: (composite_literal
          type: [(type_identifier) (qualified_type) (generic_type)] @binding.type))
    ]
    .)) @binding

; Struct fields `repo store.Store`: the binding's scope is the struct type
; definition. Embedded fields (no name) are inheritance, above.
((field_declaration
  name: (field_identifier) @binding.name
  type: [
    (type_identifier)
    (qualified_type)
    (generic_type)
    (pointer_type [(type_identifier) (qualified_type) (generic_type)])
  ] @binding.type) @binding
 (#not-match? @binding.type "^(bool|byte|complex64|complex128|error|float32|float64|int|int8|int16|int32|int64|rune|string|uint|uint8|uint16|uint32|uint64|uintptr|any|comparable)$")
 (#not-eq? @binding.name "_"))

; Package-level state (declarations inside functions are locals: the
; extractor drops variables found inside a function).
(var_declaration (var_spec name: (identifier) @name) @definition.variable)
(const_declaration (const_spec name: (identifier) @name) @definition.constant)
