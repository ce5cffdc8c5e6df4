; Python. Docstrings are captured explicitly; decorators wrap definitions.

(module . (expression_statement (string) @file.doc))

(class_definition
  name: (identifier) @name
  body: (block . (expression_statement (string) @doc)?) @body) @definition.class

(function_definition
  name: (identifier) @name
  body: (block . (expression_statement (string) @doc)?) @body) @definition.function

; Base classes: `class A(B, mod.C, metaclass=M)`.
(class_definition
  superclasses: (argument_list [
    (identifier) @name
    (attribute attribute: (identifier) @name)
  ])) @reference.inherits

; Calls: `f()`, `obj.method()`, `mod.sub.f()`.
(call
  function: (identifier) @name) @reference.call

(call
  function: (attribute
    object: (_) @receiver
    attribute: (identifier) @name)) @reference.call

; Imports: one match per imported name.
; `import a.b` / `import a.b as c`
(import_statement
  name: (dotted_name) @import.module) @import

(import_statement
  name: (aliased_import
    name: (dotted_name) @import.module
    alias: (identifier) @import.alias)) @import

; `from m import a, b as c` / `from . import x` / `from ..m import *`
(import_from_statement
  module_name: (_) @import.module
  name: (dotted_name) @import.name) @import

(import_from_statement
  module_name: (_) @import.module
  name: (aliased_import
    name: (dotted_name) @import.name
    alias: (identifier) @import.alias)) @import

(import_from_statement
  module_name: (_) @import.module
  (wildcard_import) @import.wildcard) @import

; Bindings with a type known cheaply (for receiver resolution).
; `u = User(...)`, `u = models.User(...)`, `self.repo = Repo(...)`
(assignment
  left: [(identifier) (attribute)] @binding.name
  right: (call function: [(identifier) (attribute)] @binding.type)) @binding

; `x: User = ...`, `self.repo: Repo = ...`
(assignment
  left: [(identifier) (attribute)] @binding.name
  type: (type) @binding.type) @binding

; `self.repo = repo` (the type comes from `repo`)
(assignment
  left: (attribute) @binding.name
  right: (identifier) @binding.value) @binding

; Module-level aliases: `ib = attrib`, `ib = attr = attrib` (a call of the
; alias calls what it names; the inner names of a chain are no definitions).
(module (expression_statement
  (assignment
    left: (identifier) @binding.name
    right: (identifier) @binding.value) @binding))
(module (expression_statement
  (assignment
    left: (identifier) @binding.name
    right: (assignment right: (identifier) @binding.value)) @binding))

; Typed parameters: `def f(repo: Repository)`
(typed_parameter . (identifier) @binding.name type: (type) @binding.type) @binding
(typed_default_parameter name: (identifier) @binding.name type: (type) @binding.type) @binding

; Module-level state and class attributes (assignments inside functions are
; locals: the extractor drops variables found inside a function).
; ALL_CAPS names are constants.
((expression_statement
  (assignment left: (identifier) @name) @definition.constant)
  (#match? @name "^_*[A-Z][A-Z0-9_]*$"))
((expression_statement
  (assignment left: (identifier) @name) @definition.variable)
  (#not-match? @name "^_*[A-Z][A-Z0-9_]*$"))

; Decorators that are not calls: `@setupmethod`, `@functools.wraps`
; (`@app.route("/")` is a call of `route`, matched above).
(decorator (identifier) @name) @reference.decorator
(decorator
  (attribute
    object: (_) @receiver
    attribute: (identifier) @name)) @reference.decorator

; Names bound locally, with no type known: parameters, assignments, loop and
; `with` targets. They shadow definitions of the same name.
(parameters (identifier) @binding.name) @binding
(lambda_parameters (identifier) @binding.name) @binding
(default_parameter name: (identifier) @binding.name) @binding
(list_splat_pattern (identifier) @binding.name) @binding
(dictionary_splat_pattern (identifier) @binding.name) @binding
(assignment left: (identifier) @binding.name) @binding
(augmented_assignment left: (identifier) @binding.name) @binding
(for_statement left: (identifier) @binding.name) @binding
(for_in_clause left: (identifier) @binding.name) @binding
(as_pattern alias: (as_pattern_target (identifier) @binding.name)) @binding
(named_expression name: (identifier) @binding.name) @binding
