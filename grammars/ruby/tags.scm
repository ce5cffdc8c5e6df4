; Ruby. Qualified names follow module nesting (`Shop::Order::total`);
; `class A::B` names B with owner A. A `def` at the top level is a function,
; any other (class, module, `class << self`, blocks) a method: a module's
; methods are mixed into the classes that include it.

; --- definitions ----------------------------------------------------------

(class
  name: (constant) @name
  body: (body_statement)? @body) @definition.class

(class
  name: (scope_resolution
    scope: (_) @owner
    name: (constant) @name)
  body: (body_statement)? @body) @definition.class

(module
  name: (constant) @name
  body: (body_statement)? @body) @definition.module

(module
  name: (scope_resolution
    scope: (_) @owner
    name: (constant) @name)
  body: (body_statement)? @body) @definition.module

(program
  (method
    name: (_) @name
    body: (body_statement)? @body) @definition.function)

(body_statement
  (method
    name: (_) @name
    body: (body_statement)? @body) @definition.method)

; `def self.open(path)`
(singleton_method
  name: (_) @name
  body: (body_statement)? @body) @definition.method

; `Point = Struct.new(:x, :y) do ... end`, `Error = Class.new(StandardError)`
(assignment
  left: (constant) @name
  right: (call
    receiver: (constant) @_maker
    method: (identifier) @_new
    block: (do_block body: (body_statement) @body)?)
  (#any-of? @_maker "Struct" "Class" "Data")
  (#eq? @_new "new")) @definition.class

; Constants: `VERSION = "1.0"`, `DEFAULTS = {...}.freeze`.
((assignment
  left: (constant) @name
  right: (_) @_value) @definition.constant
  (#not-match? @_value "^(Struct|Class|Data)\\.new"))

; Module-level state: `$stdout_sync = true`, class variables `@@count = 0`.
(program
  (assignment left: (global_variable) @name) @definition.variable)
(body_statement
  (assignment left: (class_variable) @name) @definition.variable)

; --- inheritance ----------------------------------------------------------

; `class Warehouse < Storage::Base` (the whole path is the base's name:
; open namespaces resolve it from the class's nesting).
(superclass [(constant) (scope_resolution)] @name) @reference.inherits

; Mixins: `include Comparable`, `extend Forwardable`, `prepend Logging`.
(call
  !receiver
  method: (identifier) @_mixin
  arguments: (argument_list [(constant) (scope_resolution)] @name)
  (#any-of? @_mixin "include" "extend" "prepend")) @reference.implementation

; --- imports --------------------------------------------------------------

; `require "sinatra/base"`, `require_relative "lib/storage"`: everything the
; required file defines becomes visible.
(call
  !receiver
  method: (identifier) @_req
  arguments: (argument_list . (string . (string_content) @import.module .) .)
  (#any-of? @_req "require" "require_relative" "load")) @import @import.wildcard

; --- calls ----------------------------------------------------------------

; `save(x)`, `obj.save(x)`, `Mod::Util.call`, `items.each { }`. Builtins and
; declarations that read like calls (`attr_reader`, `private`) are skipped.
((call
  method: (identifier) @name) @reference.call
  (#not-any-of? @name
    "require" "require_relative" "load" "include" "extend" "prepend" "attr_accessor"
    "attr_reader" "attr_writer" "private" "protected" "public" "module_function"
    "private_constant" "private_class_method" "public_class_method" "puts" "print" "p"
    "pp" "raise" "fail" "lambda" "proc" "loop" "new" "block_given?" "format" "sprintf"
    "catch" "throw" "freeze" "alias_method" "define_method" "instance_variable_get"
    "instance_variable_set" "respond_to?" "is_a?" "kind_of?" "nil?" "send" "public_send"
    "tap" "then" "dup" "to_s" "to_sym" "to_i" "to_a" "to_h" "each" "map" "select"
    "reject" "each_with_object" "each_with_index" "inject" "reduce" "first" "last"
    "empty?" "any?" "all?" "include?" "key?" "merge" "join" "split" "size" "length"))

((call
  receiver: (_) @receiver
  method: (identifier) @name) @reference.call
  (#not-any-of? @name
    "new" "each" "map" "select" "reject" "each_with_object" "each_with_index" "inject"
    "reduce" "first" "last" "empty?" "any?" "all?" "include?" "key?" "merge" "join"
    "split" "size" "length" "to_s" "to_sym" "to_i" "to_a" "to_h" "freeze" "dup" "tap"
    "then" "nil?" "is_a?" "respond_to?" "send" "public_send"))

; `User.new(...)` calls the class (its `initialize`).
((call
  receiver: (constant) @name
  method: (identifier) @_new) @reference.call
  (#eq? @_new "new"))

((call
  receiver: (scope_resolution
    scope: (_) @receiver
    name: (constant) @name)
  method: (identifier) @_new) @reference.call
  (#eq? @_new "new"))

; --- bindings -------------------------------------------------------------

; `repo = Repo.new(...)`, `@repo = Store::Memory.new`
((assignment
  left: [(identifier) (instance_variable) (class_variable)] @binding.name
  right: (call
    receiver: [(constant) (scope_resolution)] @binding.type
    method: (identifier) @_new)) @binding
  (#eq? @_new "new"))

; `@repo = repo`
(assignment
  left: (instance_variable) @binding.name
  right: (identifier) @binding.value) @binding
