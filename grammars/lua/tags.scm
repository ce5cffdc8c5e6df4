; Lua. A module is a file that returns a table: `local M = {}` ...
; `return M`. The functions stored in the returned table (`function M.f()`,
; `M.f = function() end`) are the module's top-level functions
; (`telescope.actions.f`); functions stored in any other table (`function
; Picker:find()`, `function Picker.new()`) are methods owned by that table
; (`telescope.pickers.Picker.find`). Lua allows `return` only as the last
; statement of the chunk; the extractor compares the owner of each top-level
; definition with the name that `return` gives (`@module.value`).

; --- definitions ----------------------------------------------------------

; The table the chunk returns is the module (`@module.value`): the top-level
; functions stored in it (`function M.f()`, `M.f = function() end`) are the
; module's own, not methods of a table `M`, and its `local M = {}` is the
; module. (Patterns on `chunk` relating each statement to the final
; `return` made tree-sitter keep one in-progress state per top-level
; statement and compare them pairwise at every node: quadratic, 1.2 s for
; telescope's actions/init.lua.)
(chunk
  (return_statement (expression_list . (identifier) @module.value .)) .)

; `function f()`, `local function f()`, nested functions.
(function_declaration
  name: (identifier) @name
  body: (block)? @body) @definition.function

; `function Picker:find()`: a method of the table, wherever it is.
(function_declaration
  name: (method_index_expression
    table: (_) @owner
    method: (identifier) @name)
  body: (block)? @body) @definition.method

; `function Picker.new()`, `function a.b.c()`: a function with an owner is a
; method of that table, unless the table is the returned one (then it is the
; module's own function).
(function_declaration
  name: (dot_index_expression
    table: (_) @owner
    field: (identifier) @name)
  body: (block)? @body) @definition.function

; `local f = function() end`, `f = function() end` (the doc comment is
; before the `local` wrapper).
(assignment_statement
  (variable_list . name: (identifier) @name .)
  (expression_list . value: (function_definition body: (block)? @body) .)) @definition.function

; `Picker.new = function() end`: likewise.
(assignment_statement
  (variable_list . name: (dot_index_expression
    table: (_) @owner
    field: (identifier) @name) .)
  (expression_list . value: (function_definition body: (block)? @body) .)) @definition.function

; Module-level state: `local MAX_ITEMS = 10`, `DEFAULT_NAME = "main"`
; (ALL_CAPS names are constants), `local Picker = {}`, `local cache = {}`.
((chunk
  [
    (variable_declaration
      (assignment_statement
        (variable_list . name: (identifier) @name .)
        (expression_list . value: (_) @_value .)))
    (assignment_statement
      (variable_list . name: (identifier) @name .)
      (expression_list . value: (_) @_value .))
  ] @definition.constant)
  (#match? @name "^[A-Z][A-Z0-9_]+$")
  (#not-match? @_value "^(function|require)"))

((chunk
  (variable_declaration
    (assignment_statement
      (variable_list . name: (identifier) @name .)
      (expression_list . value: (_) @_value .))) @definition.variable)
  (#not-match? @_value "^(function|require)"))

; --- imports --------------------------------------------------------------

; `local utils = require "telescope.utils"` binds the module to `utils`.
(assignment_statement
  (variable_list . name: (identifier) @import.alias .)
  (expression_list . value: (function_call
    name: (identifier) @_req
    arguments: (arguments . (string content: (string_content) @import.module) .)) .)
  (#eq? @_req "require")) @import

; `local action_state = require("telescope.actions").state` binds a field.
(assignment_statement
  (variable_list . name: (identifier) @import.alias .)
  (expression_list . value: (dot_index_expression
    table: (function_call
      name: (identifier) @_req
      arguments: (arguments . (string content: (string_content) @import.module) .))
    field: (identifier) @import.name) .)
  (#eq? @_req "require")) @import

; Any other `require "x"` (an expression, a call on its result).
((function_call
  name: (identifier) @_req
  arguments: (arguments . (string content: (string_content) @import.module) .)) @import
  (#eq? @_req "require"))

; --- calls ----------------------------------------------------------------

((function_call
  name: (identifier) @name) @reference.call
  (#not-any-of? @name
    "require" "print" "pairs" "ipairs" "next" "type" "tostring" "tonumber" "error"
    "assert" "pcall" "xpcall" "select" "unpack" "setmetatable" "getmetatable" "rawget"
    "rawset" "rawequal" "rawlen" "collectgarbage" "dofile" "loadfile" "load" "loadstring"))

((function_call
  name: (dot_index_expression
    table: (_) @receiver
    field: (identifier) @name)) @reference.call
  (#not-match? @receiver "^(table|string|math|os|io|coroutine|debug|utf8|bit|bit32|jit|vim(\\..*)?|require\\b.*)$"))

; `require("telescope.actions").close(bufnr)`: the receiver is the module
; the bare `require` bound under its own name.
((function_call
  name: (dot_index_expression
    table: (function_call
      name: (identifier) @_req
      arguments: (arguments . (string content: (string_content) @receiver) .))
    field: (identifier) @name)) @reference.call
  (#eq? @_req "require"))

((function_call
  name: (method_index_expression
    table: (_) @receiver
    method: (identifier) @name)) @reference.call
  (#not-any-of? @name
    "format" "gsub" "gmatch" "match" "find" "sub" "len" "lower" "upper" "rep" "byte"))
