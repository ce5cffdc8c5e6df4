; Swift (tree-sitter-swift, alex-pinkus). `///` and `/** */` comments
; directly before a declaration (or before its attributes, which are
; children of it) are its doc (comment_kinds, doc_comment_prefixes).
;
; Conventions (see grammars/README.md for the capture names):
; - No package: a module's types are global to it, so qualified names are
;   `Type.member` (module_style none).
; - Types: `class` and `actor` are classes, `struct` structs, `enum` enums
;   (their cases constants), `protocol` interfaces; `typealias` and
;   `associatedtype` types. An `extension T` is a @scope named T: its
;   members are T's (`Session.download`), in whichever file.
; - Functions: `func` (a method inside a type, extension or protocol),
;   `init` (a method named `init`). `deinit` and subscripts are not
;   definitions.
; - State: `let` / `var` at the top level and `static` (or `class`)
;   properties are constants (`let`) or variables (`var`); instance
;   properties, stored or computed, are variables (a type's API); protocol
;   property requirements too.
; - Imports: `import Foundation` names a whole module (a wildcard).
; - Calls: `f()`, `obj.f()`, `obj?.f()`, `Type.f()`, `Foo(...)` (an
;   initializer call is a call of the type), `Foo<T>(...)`, trailing
;   closures. Subscripts (`a[i]`) are not calls.
; - Inheritance: a class's first parent is inherits (Swift puts the
;   superclass first), the others are implementation (protocols); every
;   parent of a struct, enum or extension is implementation; a protocol's
;   parents are inherits.
; - Bindings: typed properties, locals and parameters (`x: Session`,
;   `x: Session?`), and `let x = Foo(...)` / `let x = obj.make(...)` (the
;   callee's declared return type).
;
; Beware: `name:` is reused for the return type of functions and for the
; type of parameters; patterns always say which kind they want.

; ---------------------------------------------------------------- types

(class_declaration
  declaration_kind: ["class" "actor"]
  name: (type_identifier) @name
  body: (class_body) @body) @definition.class

(class_declaration
  declaration_kind: "struct"
  name: (type_identifier) @name
  body: (class_body) @body) @definition.struct

(class_declaration
  declaration_kind: "enum"
  name: (type_identifier) @name
  body: (enum_class_body) @body) @definition.enum

(enum_entry
  name: (simple_identifier) @name @definition.constant)

(class_declaration
  declaration_kind: "extension"
  name: (user_type (type_identifier) @name .)
  body: (class_body) @body) @scope

; `extension [Element]`, `extension [Key: Value]`, `extension Wrapped?`:
; sugared types are scopes named by their text (`[ServerTrustEvaluating]
; .evaluate`). Without a scope their members were top-level functions, and
; a bare call in another type's method found them before its own methods.
(class_declaration
  declaration_kind: "extension"
  name: [(array_type) (dictionary_type) (optional_type)] @name
  body: (class_body) @body) @scope

(protocol_declaration
  name: (type_identifier) @name
  body: (protocol_body) @body) @definition.interface

(typealias_declaration
  name: (type_identifier) @name) @definition.type

(associatedtype_declaration
  name: (type_identifier) @name) @definition.type

; ---------------------------------------------------------------- functions

(function_declaration
  name: (simple_identifier) @name
  body: (function_body) @body) @definition.function

(protocol_function_declaration
  name: (simple_identifier) @name) @definition.method

(init_declaration
  "init" @name
  body: (function_body)? @body) @definition.method

; ---------------------------------------------------------------- state

(source_file
  (property_declaration
    (value_binding_pattern mutability: "let")
    name: (pattern bound_identifier: (simple_identifier) @name)) @definition.constant)

(source_file
  (property_declaration
    (value_binding_pattern mutability: "var")
    name: (pattern bound_identifier: (simple_identifier) @name)) @definition.variable)

; `static let` / `class let` members are constants, other properties
; variables.
(class_body
  (property_declaration
    (modifiers (property_modifier) @_static)
    (value_binding_pattern mutability: "let")
    name: (pattern bound_identifier: (simple_identifier) @name)
    (#any-of? @_static "static" "class")) @definition.constant)

(class_body
  (property_declaration
    name: (pattern bound_identifier: (simple_identifier) @name)
    (#not-match? @definition.variable "^[^=]*\\b(static|class)\\s+(let|var\\s+[^=]*let)\\b")) @definition.variable)

(enum_class_body
  (property_declaration
    (modifiers (property_modifier) @_static)
    (value_binding_pattern mutability: "let")
    name: (pattern bound_identifier: (simple_identifier) @name)
    (#any-of? @_static "static" "class")) @definition.constant)

(enum_class_body
  (property_declaration
    name: (pattern bound_identifier: (simple_identifier) @name)
    (#not-match? @definition.variable "^[^=]*\\b(static|class)\\s+let\\b")) @definition.variable)

(protocol_property_declaration
  name: (pattern bound_identifier: (simple_identifier) @name)) @definition.variable

; ---------------------------------------------------------------- inheritance

; The first parent follows the name (or its type parameters); anchors
; skip the anonymous `:`.
(class_declaration
  declaration_kind: "class"
  name: (type_identifier)
  .
  (type_parameters)?
  .
  (inheritance_specifier
    inherits_from: (user_type (type_identifier) @name .)) @reference.inherits)

(class_declaration
  declaration_kind: "class"
  (inheritance_specifier) @_previous
  .
  (inheritance_specifier
    inherits_from: (user_type (type_identifier) @name .)) @reference.implementation)

(class_declaration
  declaration_kind: ["struct" "enum" "actor"]
  (inheritance_specifier
    inherits_from: (user_type (type_identifier) @name .)) @reference.implementation)

; `extension Foo: Proto`: the subject is the extended type.
(class_declaration
  declaration_kind: "extension"
  name: (user_type (type_identifier) @subject .)
  (inheritance_specifier
    inherits_from: (user_type (type_identifier) @name .)) @reference.implementation)

(protocol_declaration
  (inheritance_specifier
    inherits_from: (user_type (type_identifier) @name .)) @reference.inherits)

; ---------------------------------------------------------------- calls

(call_expression
  .
  (simple_identifier) @name
  (call_suffix) @_suffix
  (#not-match? @_suffix "^\\[")) @reference.call

(call_expression
  .
  (navigation_expression
    target: (_) @receiver
    suffix: (navigation_suffix
      suffix: (simple_identifier) @name))
  (call_suffix) @_suffix
  (#not-match? @_suffix "^\\[")) @reference.call

(constructor_expression
  constructed_type: (user_type (type_identifier) @name . (type_arguments)? .)) @reference.call

; ---------------------------------------------------------------- imports

(import_declaration
  (identifier) @import.module @import.wildcard) @import

; ---------------------------------------------------------------- bindings

(property_declaration
  name: (pattern bound_identifier: (simple_identifier) @binding.name)
  (type_annotation
    [(user_type) (optional_type)] @binding.type)) @binding

; `let x = Foo(...)`, `let x = obj.make(...)`
(property_declaration
  name: (pattern bound_identifier: (simple_identifier) @binding.name)
  !computed_value
  value: [
    (call_expression . [(simple_identifier) (navigation_expression)] @binding.type)
    (constructor_expression constructed_type: (user_type) @binding.type)
  ]) @binding

(parameter
  name: (simple_identifier) @binding.name
  .
  [(user_type) (optional_type)] @binding.type) @binding
