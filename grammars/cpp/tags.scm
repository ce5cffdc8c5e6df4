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

; Bindings (receiver types), on top of the C ones (tagged types and typedef
; names through pointers). Types as written: `User`, `util::Cache<K, V>`
; (the resolver drops template arguments), and for `std::shared_ptr<User>`
; / `std::unique_ptr<User>` the pointee `User`.

; Parameters of function definitions: `const User &u`, `UserRepository *repo`,
; `util::Cache<int, V> &c`, `std::shared_ptr<User> user`, `int n = 0`.
(function_definition
  declarator: [
    (function_declarator
      parameters: (parameter_list
        [
          (parameter_declaration
            type: [(type_identifier) (qualified_identifier) (template_type)] @binding.type
            declarator: [
              (identifier) @binding.name
              (pointer_declarator declarator: (identifier) @binding.name)
              (reference_declarator (identifier) @binding.name)
            ])
          (optional_parameter_declaration
            type: [(type_identifier) (qualified_identifier) (template_type)] @binding.type
            declarator: [
              (identifier) @binding.name
              (pointer_declarator declarator: (identifier) @binding.name)
              (reference_declarator (identifier) @binding.name)
            ])
        ] @binding))
    (_
      (function_declarator
        parameters: (parameter_list
          [
            (parameter_declaration
              type: [(type_identifier) (qualified_identifier) (template_type)] @binding.type
              declarator: [
                (identifier) @binding.name
                (pointer_declarator declarator: (identifier) @binding.name)
                (reference_declarator (identifier) @binding.name)
              ])
            (optional_parameter_declaration
              type: [(type_identifier) (qualified_identifier) (template_type)] @binding.type
              declarator: [
                (identifier) @binding.name
                (pointer_declarator declarator: (identifier) @binding.name)
                (reference_declarator (identifier) @binding.name)
              ])
          ] @binding)))
  ])

; Smart-pointer parameters and locals: `std::shared_ptr<User> user` types
; `user` as `User`.
(function_definition
  declarator: [
    (function_declarator
      parameters: (parameter_list
        (parameter_declaration
          type: (qualified_identifier
            scope: (namespace_identifier) @_std
            name: (template_type
              name: (type_identifier) @_ptr
              arguments: (template_argument_list
                .
                (type_descriptor type: (_) @binding.type))))
          declarator: [
            (identifier) @binding.name
            (reference_declarator (identifier) @binding.name)
          ]) @binding))
    (_
      (function_declarator
        parameters: (parameter_list
          (parameter_declaration
            type: (qualified_identifier
              scope: (namespace_identifier) @_std
              name: (template_type
                name: (type_identifier) @_ptr
                arguments: (template_argument_list
                  .
                  (type_descriptor type: (_) @binding.type))))
            declarator: [
              (identifier) @binding.name
              (reference_declarator (identifier) @binding.name)
            ]) @binding)))
  ]
  (#eq? @_std "std")
  (#any-of? @_ptr "shared_ptr" "unique_ptr"))

(declaration
  type: (qualified_identifier
    scope: (namespace_identifier) @_std
    name: (template_type
      name: (type_identifier) @_ptr
      arguments: (template_argument_list
        .
        (type_descriptor type: (_) @binding.type))))
  declarator: [
    (identifier) @binding.name
    (init_declarator declarator: (identifier) @binding.name)
  ]
  (#eq? @_std "std")
  (#any-of? @_ptr "shared_ptr" "unique_ptr")) @binding

; Variables of a named C++ type: `User u{...};`, `User *guest = new User(...)`,
; `util::Cache<std::string, int> hits(16);`, `const User &r = u;`.
(declaration
  type: [(qualified_identifier) (template_type)] @binding.type
  declarator: [
    (identifier) @binding.name
    (pointer_declarator declarator: (identifier) @binding.name)
    (init_declarator
      declarator: [
        (identifier) @binding.name
        (pointer_declarator declarator: (identifier) @binding.name)
        (reference_declarator (identifier) @binding.name)
      ])
  ]) @binding

(declaration
  type: (type_identifier) @binding.type
  declarator: (init_declarator
    declarator: (reference_declarator (identifier) @binding.name))) @binding

; `UserService svc(repo);` (parsed as a function declaration; see the
; construction call above).
(compound_statement
  (declaration
    type: [(type_identifier) (qualified_identifier) (template_type)] @binding.type
    declarator: (function_declarator
      declarator: (identifier) @binding.name
      parameters: (parameter_list
        .
        (parameter_declaration
          type: (type_identifier)
          !declarator))) @binding))

; `auto u = new User(...)`, `auto *p = new ns::X()`,
; `auto u = std::make_shared<User>(...)` / `std::make_unique<User>(...)`.
(declaration
  type: (placeholder_type_specifier)
  declarator: (init_declarator
    declarator: [
      (identifier) @binding.name
      (pointer_declarator declarator: (identifier) @binding.name)
    ]
    value: (new_expression
      type: [(type_identifier) (qualified_identifier) (template_type)] @binding.type))) @binding

(declaration
  type: (placeholder_type_specifier)
  declarator: (init_declarator
    declarator: (identifier) @binding.name
    value: (call_expression
      function: (qualified_identifier
        scope: (namespace_identifier) @_std
        name: (template_function
          name: (identifier) @_make
          arguments: (template_argument_list
            .
            (type_descriptor type: (_) @binding.type))))))
  (#eq? @_std "std")
  (#any-of? @_make "make_shared" "make_unique")) @binding

; Class and struct fields: `UserRepository &repo_;`, `Repo *repo_;`,
; `util::Cache<int, V> cache_;`, `std::unique_ptr<Repo> repo_;` (scope: the
; class, so `repo_.save()` and `this->repo_->save()` resolve in its methods).
(field_declaration
  type: [(type_identifier) (qualified_identifier) (template_type)] @binding.type
  declarator: [
    (field_identifier) @binding.name
    (pointer_declarator declarator: (field_identifier) @binding.name)
    (reference_declarator (field_identifier) @binding.name)
  ]) @binding

(field_declaration
  type: (qualified_identifier
    scope: (namespace_identifier) @_std
    name: (template_type
      name: (type_identifier) @_ptr
      arguments: (template_argument_list
        .
        (type_descriptor type: (_) @binding.type))))
  declarator: (field_identifier) @binding.name
  (#eq? @_std "std")
  (#any-of? @_ptr "shared_ptr" "unique_ptr")) @binding

; Global variables (declarations inside functions are locals: the extractor
; drops variables found inside a function).
(declaration
  declarator: (init_declarator declarator: (identifier) @name)) @definition.variable
(declaration
  declarator: (identifier) @name) @definition.variable
