; Zig. Containers are values: `const Server = struct { ... }` defines the
; struct Server, whose functions are its methods. A file is a struct too:
; `const Server = @import("Server.zig")` binds the file.

; --- definitions ----------------------------------------------------------

(function_declaration
  name: (identifier) @name
  body: (block)? @body) @definition.function

(variable_declaration
  . (identifier) @name
  (struct_declaration) @body) @definition.struct

(variable_declaration
  . (identifier) @name
  (opaque_declaration) @body) @definition.struct

(variable_declaration
  . (identifier) @name
  (enum_declaration) @body) @definition.enum

(variable_declaration
  . (identifier) @name
  (union_declaration) @body) @definition.union

(variable_declaration
  . (identifier) @name
  (error_set_declaration)) @definition.type

; Other container-level `const`s and `var`s (not imports, not `@This()`).
([
  (source_file (variable_declaration "const" . (identifier) @name (_) @_value .) @definition.constant)
  (struct_declaration (variable_declaration "const" . (identifier) @name (_) @_value .) @definition.constant)
  (union_declaration (variable_declaration "const" . (identifier) @name (_) @_value .) @definition.constant)
  (enum_declaration (variable_declaration "const" . (identifier) @name (_) @_value .) @definition.constant)
  (opaque_declaration (variable_declaration "const" . (identifier) @name (_) @_value .) @definition.constant)
]
  (#not-match? @_value "^(@import|@This|@cImport|(packed |extern )?(struct|enum|union|opaque)\\b|error *\\{)"))

([
  (source_file (variable_declaration "var" . (identifier) @name) @definition.variable)
  (struct_declaration (variable_declaration "var" . (identifier) @name) @definition.variable)
])

; --- imports --------------------------------------------------------------

; `const std = @import("std");`, `const Server = @import("Server.zig");`
((variable_declaration
  . (identifier) @import.alias
  (builtin_function
    (builtin_identifier) @_builtin
    (arguments . (string (string_content) @import.module)))) @import
  (#eq? @_builtin "@import"))

; `const types = @import("lsp.zig").types;`
((variable_declaration
  . (identifier) @import.alias
  (field_expression
    object: (builtin_function
      (builtin_identifier) @_builtin
      (arguments . (string (string_content) @import.module)))
    member: (identifier) @import.name)) @import
  (#eq? @_builtin "@import"))

; --- calls ----------------------------------------------------------------

(call_expression
  function: (identifier) @name) @reference.call

(call_expression
  function: (field_expression
    object: (_) @receiver
    member: (identifier) @name)) @reference.call

; --- bindings -------------------------------------------------------------

; `var s = Server.init(a)`, `const s = try Server.init(a)`: the callee's
; declared return type.
(variable_declaration
  . (identifier) @binding.name
  [
    (call_expression function: (_) @binding.type)
    (try_expression (call_expression function: (_) @binding.type))
  ]) @binding

; `const s: Server = ...`, parameters `self: *Server`, fields `repo: Repo`.
(variable_declaration
  . (identifier) @binding.name
  type: (_) @binding.type) @binding

(parameter
  name: (identifier) @binding.name
  type: (_) @binding.type) @binding

(container_field
  name: (identifier) @binding.name
  type: (_) @binding.type) @binding
