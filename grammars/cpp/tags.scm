; inherits: c
; C++, on top of the C query (functions, structs, unions, enums, typedefs,
; macros, plain and field calls, #include). Templates need nothing special:
; the patterns match the class or function inside a `template_declaration`,
; which is a wrapper kind, so doc comments before `template <...>` are found.

; Namespaces: `namespace app {...}`, `namespace a::b {...}` (named `a::b`).
; An anonymous namespace is not a definition: its contents belong to the
; enclosing scope.
(namespace_definition
  name: [
    (namespace_identifier)
    (nested_namespace_specifier)
  ] @name
  body: (declaration_list) @body) @definition.module

; Classes; structs come from the C query. A specialization
; `class Box<int> {...}` is named `Box`.
(class_specifier
  name: [
    (type_identifier) @name
    (template_type name: (type_identifier) @name)
  ]
  body: (field_declaration_list) @body) @definition.class

(struct_specifier
  name: (template_type name: (type_identifier) @name)
  body: (field_declaration_list) @body) @definition.struct

; `using Alias = T;` and typedefs of C++ types.
(alias_declaration
  name: (type_identifier) @name) @definition.type

(type_definition
  type: [
    (qualified_identifier)
    (template_type)
  ]
  declarator: (type_identifier) @name) @definition.type

; Functions the C query does not cover: references as return types, and
; members defined inside a class body (field_identifier, constructors and
; destructors); functions directly inside a class become methods.
(function_definition
  declarator: [
    (reference_declarator
      (function_declarator
        declarator: (identifier) @name))
    (function_declarator
      declarator: [
        (field_identifier)
        (destructor_name)
      ] @name)
    (pointer_declarator
      declarator: (function_declarator
        declarator: (field_identifier) @name))
    (pointer_declarator
      declarator: (pointer_declarator
        declarator: (function_declarator
          declarator: (field_identifier) @name)))
    (reference_declarator
      (function_declarator
        declarator: (field_identifier) @name))
  ]
  body: (compound_statement) @body) @definition.function

; Out-of-line members: `void Foo::bar() {...}`, `Box<T>::put`,
; `Foo::Foo()`, `Foo::~Foo()`, `Foo *Foo::make()`, `Foo **Foo::pp()`,
; `const T &Foo::get()`. Operator overloads are not indexed.
; The owner is the innermost qualifier: `ns::Foo::bar` is owned by `Foo`.
(function_definition
  declarator: [
    (function_declarator
      declarator: (qualified_identifier
        scope: [
          (namespace_identifier) @owner
          (template_type name: (type_identifier) @owner)
        ]
        name: [(identifier) (destructor_name)] @name))
    (pointer_declarator
      declarator: (function_declarator
        declarator: (qualified_identifier
          scope: [
            (namespace_identifier) @owner
            (template_type name: (type_identifier) @owner)
          ]
          name: (identifier) @name)))
    (pointer_declarator
      declarator: (pointer_declarator
        declarator: (function_declarator
          declarator: (qualified_identifier
            scope: [
              (namespace_identifier) @owner
              (template_type name: (type_identifier) @owner)
            ]
            name: (identifier) @name))))
    (reference_declarator
      (function_declarator
        declarator: (qualified_identifier
          scope: [
            (namespace_identifier) @owner
            (template_type name: (type_identifier) @owner)
          ]
          name: (identifier) @name)))
  ]
  body: (compound_statement) @body) @definition.method

(function_definition
  declarator: [
    (function_declarator
      declarator: (qualified_identifier
        name: (qualified_identifier
          scope: [
            (namespace_identifier) @owner
            (template_type name: (type_identifier) @owner)
          ]
          name: [(identifier) (destructor_name)] @name)))
    (pointer_declarator
      declarator: (function_declarator
        declarator: (qualified_identifier
          name: (qualified_identifier
            scope: [
              (namespace_identifier) @owner
              (template_type name: (type_identifier) @owner)
            ]
            name: (identifier) @name))))
    (reference_declarator
      (function_declarator
        declarator: (qualified_identifier
          name: (qualified_identifier
            scope: [
              (namespace_identifier) @owner
              (template_type name: (type_identifier) @owner)
            ]
            name: (identifier) @name))))
  ]
  body: (compound_statement) @body) @definition.method

; Member function declarations in a class body (no body here; the
; definition is out of line): `void put(T x) override;`, `static Box *make();`,
; `virtual void speak() const = 0;`, and constructors/destructors
; `explicit Box(int);`, `~Box();`, and member templates.
(field_declaration
  declarator: [
    (function_declarator
      declarator: (field_identifier) @name)
    (pointer_declarator
      declarator: (function_declarator
        declarator: (field_identifier) @name))
    (reference_declarator
      (function_declarator
        declarator: (field_identifier) @name))
  ]) @definition.method

(field_declaration_list
  (declaration
    declarator: (function_declarator
      declarator: [
        (identifier)
        (destructor_name)
      ] @name)) @definition.method)

(field_declaration_list
  (template_declaration
    (declaration
      declarator: [
        (function_declarator
          declarator: (identifier) @name)
        (pointer_declarator
          declarator: (function_declarator
            declarator: (identifier) @name))
        (reference_declarator
          (function_declarator
            declarator: (identifier) @name))
      ]) @definition.method))

; Inheritance: `class A : public B, private ns::C, D<T>`; one match per base.
(base_class_clause
  [
    (type_identifier) @name
    (template_type name: (type_identifier) @name)
    (qualified_identifier
      name: [
        (type_identifier) @name
        (template_type name: (type_identifier) @name)
        (qualified_identifier name: (type_identifier) @name)
      ])
  ]) @reference.inherits

; Calls (plain and field calls come from the C query).
; `Foo::bar()`, `ns::f()`, `a::b::g()` (receiver `b`), `Box<int>::make()`.
(call_expression
  function: (qualified_identifier
    scope: [
      (namespace_identifier) @receiver
      (template_type name: (type_identifier) @receiver)
    ]
    name: [
      (identifier) @name
      (template_function name: (identifier) @name)
    ])) @reference.call

(call_expression
  function: (qualified_identifier
    name: (qualified_identifier
      scope: [
        (namespace_identifier) @receiver
        (template_type name: (type_identifier) @receiver)
      ]
      name: [
        (identifier) @name
        (template_function name: (identifier) @name)
      ]))) @reference.call

; `::f()`: the global namespace, no receiver.
(call_expression
  function: (qualified_identifier
    !scope
    name: (identifier) @name)) @reference.call

; `max<int>(a, b)`, `obj.get<int>()`, `obj.template get<int>()`; the casts
; `static_cast<T>(x)` parse as template calls and are not calls.
(call_expression
  function: (template_function
    name: (identifier) @name)
  (#not-any-of? @name "static_cast" "dynamic_cast" "reinterpret_cast" "const_cast")) @reference.call

(call_expression
  function: (field_expression
    argument: (_) @receiver
    field: [
      (template_method name: (field_identifier) @name)
      (dependent_name (template_method name: (field_identifier) @name))
    ])) @reference.call

; Construction calls the class: `new Foo(x)`, `new ns::Foo`, `new Box<int>()`,
; `Foo foo(1, x);`, and `UserService svc(repo);` (parsed as a function
; declaration, which inside a function body it almost never is).
(new_expression
  type: [
    (type_identifier) @name
    (template_type name: (type_identifier) @name)
    (qualified_identifier
      scope: (namespace_identifier) @receiver
      name: [
        (type_identifier) @name
        (template_type name: (type_identifier) @name)
      ])
  ]) @reference.call

(declaration
  type: [
    (type_identifier) @name
    (template_type name: (type_identifier) @name)
    (qualified_identifier
      scope: (namespace_identifier) @receiver
      name: [
        (type_identifier) @name
        (template_type name: (type_identifier) @name)
      ])
  ]
  declarator: (init_declarator
    value: (argument_list))) @reference.call

(compound_statement
  (declaration
    type: [
      (type_identifier) @name
      (template_type name: (type_identifier) @name)
      (qualified_identifier
        scope: (namespace_identifier) @receiver
        name: [
          (type_identifier) @name
          (template_type name: (type_identifier) @name)
        ])
    ]
    declarator: (function_declarator
      declarator: (identifier)
      parameters: (parameter_list
        .
        (parameter_declaration
          type: (type_identifier)
          !declarator)))) @reference.call)
