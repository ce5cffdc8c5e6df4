; Java. Javadoc (and other comments) directly before a declaration are found
; by the extractor (comment_kinds); annotations and modifiers are children of
; the declaration, so a comment before `@Override public void f()` is still
; its direct sibling. Qualified names are prefixed by the package:
; `java.util.ArrayList.add`.
;
; Imports: one match per import declaration, split at the last dot.
;   import a.b.C;              module `a.b`    name `C`
;   import a.b.*;              module `a.b`    wildcard
;   import static a.b.C.m;     module `a.b.C`  name `m`
;   import static a.b.C.*;     module `a.b.C`  wildcard
; Type names in calls and inheritance are the simple name (`Base` for
; `com.x.Base<T>`); a qualifier of `new a.b.C()` is its @receiver.

(package_declaration
  [(identifier) (scoped_identifier)] @package)

; Types. Records are classes, annotation types are interfaces.

(class_declaration
  name: (identifier) @name
  body: (class_body) @body) @definition.class

(record_declaration
  name: (identifier) @name
  body: (class_body) @body) @definition.class

(interface_declaration
  name: (identifier) @name
  body: (interface_body) @body) @definition.interface

(annotation_type_declaration
  name: (identifier) @name
  body: (annotation_type_body) @body) @definition.interface

(enum_declaration
  name: (identifier) @name
  body: (enum_body) @body) @definition.enum

; Methods and constructors (abstract and interface methods have no body).
; A constructor is a method named after its class.

(method_declaration
  name: (identifier) @name
  body: (block)? @body) @definition.method

(constructor_declaration
  name: (identifier) @name
  body: (constructor_body) @body) @definition.method

(compact_constructor_declaration
  name: (identifier) @name
  body: (block) @body) @definition.method

(annotation_type_element_declaration
  name: (identifier) @name) @definition.method

; Inheritance: `class A extends B` (inherits), `class A implements I, J` /
; `enum E implements I` / `record R() implements I` (implementation),
; `interface I extends J, K` (inherits).

(superclass
  [
    (type_identifier) @name
    (generic_type . (type_identifier) @name)
    (scoped_type_identifier (type_identifier) @name .)
    (generic_type . (scoped_type_identifier (type_identifier) @name .))
  ]) @reference.inherits

(super_interfaces
  (type_list
    [
      (type_identifier) @name
      (generic_type . (type_identifier) @name)
      (scoped_type_identifier (type_identifier) @name .)
      (generic_type . (scoped_type_identifier (type_identifier) @name .))
    ])) @reference.implementation

(extends_interfaces
  (type_list
    [
      (type_identifier) @name
      (generic_type . (type_identifier) @name)
      (scoped_type_identifier (type_identifier) @name .)
      (generic_type . (scoped_type_identifier (type_identifier) @name .))
    ])) @reference.inherits

; Calls: `m()`, `obj.m()`, `this.m()`, `super.m()`, `Type.m()`, `a.b.m()`.
; `this(...)` / `super(...)` constructor calls and method references
; (`Type::m`) are not reported.

(method_invocation
  !object
  name: (identifier) @name) @reference.call

(method_invocation
  object: (_) @receiver
  name: (identifier) @name) @reference.call

; `new Foo(...)`, `new Foo<>(...)`, `new a.b.Foo(...)`: a call to `Foo`.

(object_creation_expression
  type: [
    (type_identifier) @name
    (generic_type . (type_identifier) @name)
    (scoped_type_identifier (_) @receiver . (type_identifier) @name .)
    (generic_type . (scoped_type_identifier (_) @receiver . (type_identifier) @name .))
  ]) @reference.call

; Imports (see the top of this file).

(import_declaration
  (scoped_identifier
    scope: (_) @import.module
    name: (identifier) @import.name)
  .) @import

(import_declaration
  [(identifier) (scoped_identifier)] @import.module
  .
  (asterisk) @import.wildcard) @import

(import_declaration
  (identifier) @import.name
  .) @import

; Bindings: names whose type is cheap to know, for resolving receivers. The
; type is the declared one, without type arguments (`List<User> xs` -> `List`)
; or a qualifier's own name (`a.b.Foo`); array and primitive types bind
; nothing.

; Local variables `Foo x = ...;`, `List<User> xs;` (not `var`, below).
(local_variable_declaration
  type: [
    (type_identifier)
    (scoped_type_identifier)
  ] @binding.type
  declarator: (variable_declarator name: (identifier) @binding.name)
  (#not-eq? @binding.type "var")) @binding

(local_variable_declaration
  type: (generic_type . [(type_identifier) (scoped_type_identifier)] @binding.type)
  declarator: (variable_declarator name: (identifier) @binding.name)) @binding

; `var x = new Foo(...)`, `var xs = new ArrayList<User>()`.
(local_variable_declaration
  type: (type_identifier) @_var
  declarator: (variable_declarator
    name: (identifier) @binding.name
    value: (object_creation_expression
      type: [
        (type_identifier) @binding.type
        (scoped_type_identifier) @binding.type
        (generic_type . [(type_identifier) (scoped_type_identifier)] @binding.type)
      ]))
  (#eq? @_var "var")) @binding

; Fields: `private final UserRepository repo;` — the binding's scope is the
; class, so `repo.save()` and `this.repo.save()` resolve in every method.
(field_declaration
  type: [
    (type_identifier)
    (scoped_type_identifier)
  ] @binding.type
  declarator: (variable_declarator name: (identifier) @binding.name)) @binding

(field_declaration
  type: (generic_type . [(type_identifier) (scoped_type_identifier)] @binding.type)
  declarator: (variable_declarator name: (identifier) @binding.name)) @binding

; Parameters `(User user)`, enhanced-for variables `for (User u : users)`,
; catch parameters `catch (IOException e)` and type patterns
; `o instanceof Entity e`.
([
  (formal_parameter
    type: [
      (type_identifier)
      (scoped_type_identifier)
    ] @binding.type
    name: (identifier) @binding.name)
  (enhanced_for_statement
    type: [
      (type_identifier)
      (scoped_type_identifier)
    ] @binding.type
    name: (identifier) @binding.name)
  (instanceof_expression
    right: [
      (type_identifier)
      (scoped_type_identifier)
    ] @binding.type
    name: (identifier) @binding.name)
 ] @binding
 (#not-eq? @binding.type "var"))

[
  (formal_parameter
    type: (generic_type . [(type_identifier) (scoped_type_identifier)] @binding.type)
    name: (identifier) @binding.name)
  (enhanced_for_statement
    type: (generic_type . [(type_identifier) (scoped_type_identifier)] @binding.type)
    name: (identifier) @binding.name)
] @binding

(catch_formal_parameter
  (catch_type . [(type_identifier) (scoped_type_identifier)] @binding.type .)
  name: (identifier) @binding.name) @binding

; `super(...)` in a constructor calls the base class.
(explicit_constructor_invocation
  constructor: (super) @name) @reference.call

; Fields: `static final` ones are constants, the rest variables (members of
; their type); interface fields are constants.
((field_declaration
  declarator: (variable_declarator name: (identifier) @name)) @definition.constant
  (#match? @definition.constant "^[^=(]*\\bstatic\\b[^=(]*\\bfinal\\b|^[^=(]*\\bfinal\\b[^=(]*\\bstatic\\b"))
((field_declaration
  declarator: (variable_declarator name: (identifier) @name)) @definition.variable
  (#not-match? @definition.variable "^[^=(]*\\bstatic\\b[^=(]*\\bfinal\\b|^[^=(]*\\bfinal\\b[^=(]*\\bstatic\\b"))
(constant_declaration
  declarator: (variable_declarator name: (identifier) @name)) @definition.constant

; Enum constants: `enum Color { RED, GREEN }` (members of their enum).
(enum_constant
  name: (identifier) @name) @definition.constant
