; C# (tree-sitter-c-sharp). `///` XML doc comments directly before a
; declaration (or before its attributes, which are children of it) are its
; doc (comment_kinds, doc_comment_prefixes).
;
; Conventions (see grammars/README.md for the capture names):
; - Namespaces are the file's @package: `namespace A.B;` and
;   `namespace A.B { }` qualify the types in them (`A.B.Warehouse`); a
;   namespace nested in another continues it.
; - Types: class, record (class or struct), struct, interface, enum (whose
;   members are constants); a delegate is a type. Partial classes are one
;   definition per part.
; - Members: methods, constructors (named after the class), local functions;
;   interface members without a body are methods too. Operators, indexers
;   and destructors are not definitions.
; - State: `const` fields and `static readonly` fields are constants, other
;   static fields variables; properties and events are variables (a type's
;   API: `public string Name { get; set; }`); instance fields are not
;   definitions (as in Java). Enum members are constants.
; - Imports, one match per directive:
;     using A.B;                 module A.B      wildcard (the namespace)
;     using static A.B.C;        module A.B.C    wildcard
;     using X = A.B.C;           module A.B      name C, alias X
;   `global using` is read as a using of its file.
; - Calls: `F()`, `F<T>()`, `obj.M()`, `obj?.M()`, `Type.M()`,
;   `new Foo(...)` (a call of Foo), and the `: base(...)` constructor
;   initializer (a call of the base class, as Java's `super(...)`);
;   `: this(...)` is not reported.
; - Inheritance: the base list of a class or record names its base class
;   first: the first entry is inherits unless it follows the interface
;   naming convention (`IFoo`); the others, and every entry of a struct,
;   are implementation; an interface's bases are inherits.
; - Bindings: typed locals, `var x = new Foo()`, `var x = repo.Find()`
;   (the callee's return type), parameters, fields, properties, `foreach`
;   variables and `is Foo f` patterns.

; ---------------------------------------------------------------- namespaces

(file_scoped_namespace_declaration
  name: (_) @name) @package

(namespace_declaration
  name: (_) @name
  body: (declaration_list) @body) @package

; ---------------------------------------------------------------- types

(class_declaration
  name: (identifier) @name
  body: (declaration_list)? @body) @definition.class

(record_declaration
  "struct"
  name: (identifier) @name
  body: (declaration_list)? @body) @definition.struct

(record_declaration
  name: (identifier) @name
  body: (declaration_list)? @body
  (#not-match? @definition.class "^[^(;{]*\\brecord\\s+struct\\b")) @definition.class

(struct_declaration
  name: (identifier) @name
  body: (declaration_list) @body) @definition.struct

(interface_declaration
  name: (identifier) @name
  body: (declaration_list) @body) @definition.interface

(enum_declaration
  name: (identifier) @name
  body: (enum_member_declaration_list) @body) @definition.enum

(enum_member_declaration
  name: (identifier) @name) @definition.constant

(delegate_declaration
  name: (identifier) @name) @definition.type

; ---------------------------------------------------------------- members

(method_declaration
  name: (identifier) @name
  body: [(block) (arrow_expression_clause)]? @body) @definition.method

(constructor_declaration
  name: (identifier) @name
  body: [(block) (arrow_expression_clause)] @body) @definition.method

(local_function_statement
  name: (identifier) @name
  body: [(block) (arrow_expression_clause)] @body) @definition.function

; Properties: the accessors (or `=> expr`) are the body, so the signature
; is `public string Name`.
(property_declaration
  name: (identifier) @name
  accessors: (accessor_list)? @body
  value: (arrow_expression_clause)? @body) @definition.variable

(event_field_declaration
  (variable_declaration
    (variable_declarator
      name: (identifier) @name))) @definition.variable

(event_declaration
  name: (identifier) @name) @definition.variable

; `const` and `static readonly` fields are constants, other static fields
; variables (the modifiers are read off the text before `=`).
(field_declaration
  (variable_declaration
    (variable_declarator
      name: (identifier) @name))
  (#match? @definition.constant "^[^=;]*\\bconst\\b")) @definition.constant

(field_declaration
  (variable_declaration
    (variable_declarator
      name: (identifier) @name))
  (#match? @definition.constant "^[^=;]*\\bstatic\\b")
  (#match? @definition.constant "^[^=;]*\\breadonly\\b")) @definition.constant

(field_declaration
  (variable_declaration
    (variable_declarator
      name: (identifier) @name))
  (#match? @definition.variable "^[^=;]*\\bstatic\\b")
  (#not-match? @definition.variable "^[^=;]*\\b(readonly|const)\\b")) @definition.variable

; ---------------------------------------------------------------- inheritance

(class_declaration
  (base_list
    .
    [
      (identifier) @name
      (generic_name . (identifier) @name)
      (qualified_name name: [(identifier) @name (generic_name . (identifier) @name)])
    ] @reference.inherits)
  (#not-match? @name "^I[A-Z]"))

(record_declaration
  (base_list
    .
    [
      (identifier) @name
      (generic_name . (identifier) @name)
      (qualified_name name: [(identifier) @name (generic_name . (identifier) @name)])
    ] @reference.inherits)
  (#not-match? @name "^I[A-Z]"))

(class_declaration
  (base_list
    .
    [
      (identifier) @name
      (generic_name . (identifier) @name)
      (qualified_name name: [(identifier) @name (generic_name . (identifier) @name)])
    ] @reference.implementation)
  (#match? @name "^I[A-Z]"))

(record_declaration
  (base_list
    .
    [
      (identifier) @name
      (generic_name . (identifier) @name)
      (qualified_name name: [(identifier) @name (generic_name . (identifier) @name)])
    ] @reference.implementation)
  (#match? @name "^I[A-Z]"))

; Every entry after the first: interfaces.
(class_declaration
  (base_list
    (_) @_previous
    .
    [
      (identifier) @name
      (generic_name . (identifier) @name)
      (qualified_name name: [(identifier) @name (generic_name . (identifier) @name)])
    ] @reference.implementation))

(record_declaration
  (base_list
    (_) @_previous
    .
    [
      (identifier) @name
      (generic_name . (identifier) @name)
      (qualified_name name: [(identifier) @name (generic_name . (identifier) @name)])
    ] @reference.implementation))

(struct_declaration
  (base_list
    [
      (identifier) @name
      (generic_name . (identifier) @name)
      (qualified_name name: [(identifier) @name (generic_name . (identifier) @name)])
    ] @reference.implementation))

(interface_declaration
  (base_list
    [
      (identifier) @name
      (generic_name . (identifier) @name)
      (qualified_name name: [(identifier) @name (generic_name . (identifier) @name)])
    ] @reference.inherits))

; ---------------------------------------------------------------- calls

(invocation_expression
  function: [
    (identifier) @name
    (generic_name . (identifier) @name)
  ]) @reference.call

(invocation_expression
  function: (member_access_expression
    expression: _ @receiver
    name: [
      (identifier) @name
      (generic_name . (identifier) @name)
    ])) @reference.call

(invocation_expression
  function: (conditional_access_expression
    condition: (_) @receiver
    (member_binding_expression
      name: [
        (identifier) @name
        (generic_name . (identifier) @name)
      ]))) @reference.call

(object_creation_expression
  type: [
    (identifier) @name
    (generic_name . (identifier) @name)
    (qualified_name
      qualifier: (_) @receiver
      name: [(identifier) @name (generic_name . (identifier) @name)])
  ]) @reference.call

; ---------------------------------------------------------------- imports

; `using A.B;`, `using static A.B.C;`, `global using A.B;`
(using_directive
  !name
  [(identifier) (qualified_name)] @import.module @import.wildcard) @import

; `using X = A.B.C;`
(using_directive
  name: (identifier) @import.alias
  (qualified_name
    qualifier: (_) @import.module
    name: (_) @import.name)) @import

; ---------------------------------------------------------------- bindings

; Locals `Foo x = ...;`, `List<Foo> xs;` and fields.
(variable_declaration
  type: [(identifier) (generic_name) (qualified_name) (nullable_type)] @binding.type
  (variable_declarator
    name: (identifier) @binding.name)) @binding

; `var x = new Foo(...)`, `var x = Make()`, `var x = repo.Find(id)`
(variable_declaration
  type: (implicit_type)
  (variable_declarator
    name: (identifier) @binding.name
    [
      (object_creation_expression
        type: [(identifier) (generic_name) (qualified_name)] @binding.type)
      (invocation_expression
        function: [(identifier) (member_access_expression)] @binding.type)
      (await_expression
        (invocation_expression
          function: [(identifier) (member_access_expression)] @binding.type))
    ])) @binding

(parameter
  type: [(identifier) (generic_name) (qualified_name) (nullable_type)] @binding.type
  name: (identifier) @binding.name) @binding

(property_declaration
  type: [(identifier) (generic_name) (qualified_name) (nullable_type)] @binding.type
  name: (identifier) @binding.name) @binding

(foreach_statement
  type: [(identifier) (generic_name) (qualified_name) (nullable_type)] @binding.type
  left: (identifier) @binding.name) @binding

(declaration_pattern
  type: [(identifier) (generic_name) (qualified_name) (nullable_type)] @binding.type
  name: (identifier) @binding.name) @binding

; `: base(x)` in a constructor calls the base class (super_names).
(constructor_initializer
  "base" @name) @reference.call
