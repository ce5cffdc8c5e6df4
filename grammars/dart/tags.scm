; Dart (tree-sitter-dart). `///` and `/** */` comments directly before a
; declaration are its doc (comment_kinds, doc_comment_prefixes); a class
; member's comment is the sibling of its `member_declaration` wrapper
; (wrapper_kinds). Dart has no package clause: qualified names are the
; file's module path plus the name (`lib.src.models.User`).
;
; Conventions (see grammars/README.md for the capture names):
; - Types: `class` (abstract, sealed, base, final too) and `extension type`
;   are classes, `mixin` a trait, `extension` a class (its members are
;   called on another type), `enum` an enum whose values are constants,
;   `typedef` a type.
; - Functions: top-level functions, getters and setters are functions;
;   inside a type they are methods, as are abstract members (no body),
;   operators and constructors (named after their class: `User(...)`,
;   `User.guest(...)` and `factory User.from(...)` are all `User`).
; - State: top-level `const`/`final` are constants, other top-level
;   variables are variables; in a type, `static const`/`static final`
;   fields are constants, other fields variables. Locals are not.
; - Imports, one match per directive (uri style: relative paths and
;   `package:<name>/<path>`):
;     import 'a.dart';                module a.dart  wildcard
;     import 'a.dart' as p;           module a.dart  namespace p
;     import 'a.dart' show A, B;      module a.dart  name A, name B
;     part 'a_part.dart';             module a_part.dart  wildcard
;     export 'src/a.dart';            module src/a.dart  wildcard (re-export)
; - Calls: `f()`, `obj.f()`, `obj?.f()`, `Foo(...)`, `new Foo()`,
;   `const Foo()` (a constructor call is a call of the class),
;   `super.f()`; an initializer's `super(...)` calls the base class.
;   Cascades (`..f()`) are not reported: their receiver is not written.
; - Inheritance: `extends` and `with` (mixins) are inherits; `implements`
;   is implementation.
; - Bindings: typed fields, locals and parameters (`UserRepository repo`),
;   `final x = Foo(...)` / `final x = repo.find(...)`; other locals and
;   parameters bind their name only.

; ---------------------------------------------------------------- types

(class_declaration
  name: (identifier) @name
  body: (class_body) @body) @definition.class

(extension_type_declaration
  name: (extension_type_name (identifier) @name)
  body: (_) @body) @definition.class

(mixin_declaration
  name: (identifier) @name
  body: (class_body) @body) @definition.trait

(extension_declaration
  name: (identifier) @name
  body: (extension_body) @body) @definition.class

(enum_declaration
  name: (identifier) @name
  body: (enum_body) @body) @definition.enum

(enum_entry
  name: (identifier) @name) @definition.constant

(type_alias
  (type_identifier) @name) @definition.type

; ---------------------------------------------------------------- functions

(source_file
  (function_declaration
    signature: (function_signature name: (identifier) @name)
    body: (function_body) @body) @definition.function)

(source_file
  (getter_declaration
    signature: (getter_signature name: (identifier) @name)
    body: (function_body) @body) @definition.function)

(source_file
  (setter_declaration
    signature: (setter_signature name: (identifier) @name)
    body: (function_body) @body) @definition.function)

; Members with a body.
(method_declaration
  signature: (method_signature
    [
      (function_signature name: (identifier) @name)
      (getter_signature name: (identifier) @name)
      (setter_signature name: (identifier) @name)
      (constructor_signature . name: (identifier) @name)
      (factory_constructor_signature . name: (identifier) @name)
    ])
  body: (function_body) @body) @definition.method

; Abstract members, external members and constructors without a body
; (`User(this.id);`, `const Point(this.x);`, redirecting factories).
(member_declaration
  (declaration
    [
      (function_signature name: (identifier) @name)
      (getter_signature name: (identifier) @name)
      (setter_signature name: (identifier) @name)
      (constructor_signature . name: (identifier) @name)
      (constant_constructor_signature . name: (identifier) @name)
      (factory_constructor_signature . name: (identifier) @name)
      (redirecting_factory_constructor_signature . name: (identifier) @name)
    ]) @definition.method)

; ---------------------------------------------------------------- state

(top_level_variable_declaration
  (static_final_declaration_list
    (static_final_declaration name: (identifier) @name))) @definition.constant

(top_level_variable_declaration
  (initialized_identifier_list
    (initialized_identifier name: (identifier) @name))) @definition.variable

(member_declaration
  (declaration
    (static_final_declaration_list
      (static_final_declaration name: (identifier) @name))) @definition.constant)

(member_declaration
  (declaration
    (initialized_identifier_list
      (initialized_identifier name: (identifier) @name))) @definition.variable)

; ---------------------------------------------------------------- imports

(library_import
  (import_specification
    uri: (_) @import.module
    !alias) @import.wildcard
  (#not-match? @import.wildcard "\\s(show|hide)\\s")) @import

(library_import
  (import_specification
    uri: (_) @import.module
    alias: (identifier) @import.alias) @import.wildcard) @import

(library_import
  (import_specification
    uri: (_) @import.module
    !alias
    (combinator "show" (identifier) @import.name))) @import

(library_export
  uri: (_) @import.module) @import.wildcard @import

(part_directive
  uri: (_) @import.module) @import.wildcard @import

; ---------------------------------------------------------------- calls

(call_expression
  function: (identifier) @name) @reference.call

(call_expression
  function: [
    (member_expression object: _ @receiver property: (identifier) @name)
    (null_aware_member_expression object: _ @receiver property: (identifier) @name)
  ]) @reference.call

(new_expression
  type: (type . (type_identifier) @name)) @reference.call

(const_object_expression
  type: (type . (type_identifier) @name)) @reference.call

; `: super(x)` / `: super.named(x)` in a constructor's initializers.
(initializer_list_entry
  "super" @name) @reference.call

; Annotations naming a definition: `@Deprecated('x')`, `@immutable`.
(annotation name: (identifier) @name) @reference.decorator

; ---------------------------------------------------------------- inheritance

(superclass
  type: (type . (type_identifier) @name)) @reference.inherits

(superclass
  (mixins (type . (type_identifier) @name))) @reference.inherits

(interfaces
  (type . (type_identifier) @name)) @reference.implementation

; ---------------------------------------------------------------- bindings

; Fields `final UserRepository repo;` (the class is the scope).
(declaration
  (type . (type_identifier) @binding.type)
  (initialized_identifier_list
    (initialized_identifier name: (identifier) @binding.name))) @binding

; Locals `User user = ...`, `final User? user = ...`.
(local_variable_declaration
  (initialized_variable_declaration
    (type . (type_identifier) @binding.type)
    name: (identifier) @binding.name)) @binding

; `final x = Foo(...)`, `var x = repo.find(...)`, `final x = new Foo()`.
(local_variable_declaration
  (initialized_variable_declaration
    name: (identifier) @binding.name
    value: [
      (call_expression function: [(identifier) (member_expression)] @binding.type)
      (new_expression type: (type . (type_identifier) @binding.type))
      (const_object_expression type: (type . (type_identifier) @binding.type))
    ])) @binding

; Parameters `(UserRepository repo)`.
(formal_parameter
  (type . (type_identifier) @binding.type)
  name: (identifier) @binding.name) @binding

; Names bound locally with no type known.
(formal_parameter name: (identifier) @binding.name) @binding
(local_variable_declaration
  (initialized_variable_declaration name: (identifier) @binding.name)) @binding
