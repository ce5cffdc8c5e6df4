; Elixir. Everything is a call: `defmodule`, `def` and `alias` are calls
; whose target names the macro. Module names are whole aliases
; (`Acme.Inventory.Warehouse`); a nested `defmodule Sub` is `Outer.Sub`.
; Function heads, typespecs and quoted code are not call sites
; (`@reference.skip`).

; --- definitions ----------------------------------------------------------

((call
  target: (identifier) @_kw
  (arguments . (alias) @name)
  (do_block)? @body) @definition.module
  (#eq? @_kw "defmodule"))

((call
  target: (identifier) @_kw
  (arguments . (alias) @name)
  (do_block)? @body) @definition.interface
  (#eq? @_kw "defprotocol"))

; `defimpl String.Chars, for: Warehouse do`: the implementation's
; functions are the protocol's (`String.Chars.to_string`); the impl is a
; scope, not a module of its own.
((call
  target: (identifier) @_kw
  (arguments . (alias) @name)
  (do_block)? @body) @scope
  (#eq? @_kw "defimpl"))

; `def f(x) do`, `defp f(x) when g(x), do: ...`, `def f, do: 1`.
((call
  target: (identifier) @_kw
  (arguments . [
    (call target: (identifier) @name)
    (binary_operator left: (call target: (identifier) @name) operator: "when")
    (identifier) @name
  ] (keywords)? @body)
  (do_block)? @body) @definition.function
  (#any-of? @_kw "def" "defp" "defdelegate" "defguard" "defguardp" "defn" "defnp"))

((call
  target: (identifier) @_kw
  (arguments . [
    (call target: (identifier) @name)
    (binary_operator left: (call target: (identifier) @name) operator: "when")
    (identifier) @name
  ] (keywords)? @body)
  (do_block)? @body) @definition.macro
  (#any-of? @_kw "defmacro" "defmacrop"))

; `defstruct [...]` and `defexception [...]`: the module's struct, named
; after the macro (`Acme.Item.defstruct`); `%Acme.Item{}` builds it.
((call
  target: (identifier) @_kw @name) @definition.struct
  (#any-of? @_kw "defstruct" "defexception"))

; Typespecs: `@type t :: ...`, `@opaque id :: ...`.
((unary_operator
  operator: "@"
  operand: (call
    target: (identifier) @_attr
    (arguments (binary_operator
      left: [(identifier) @name (call target: (identifier) @name)]
      operator: "::")))) @definition.type
  (#any-of? @_attr "type" "typep" "opaque"))

; `@callback fetch(id) :: result`: what a behaviour's implementations define.
((unary_operator
  operator: "@"
  operand: (call
    target: (identifier) @_attr
    (arguments [
      (binary_operator left: (call target: (identifier) @name) operator: "::")
      (binary_operator left: (binary_operator left: (call target: (identifier) @name) operator: "::") operator: "when")
    ]))) @definition.function
  (#any-of? @_attr "callback" "macrocallback"))

; Module attributes set at module level are its constants: `@max_items 10`.
; ExUnit's `@tag`, `@moduletag` and `@describetag` are test metadata, set
; again before each test: as constants they were merged into one (a
; function's clauses are merged, `multi_clause`) whose span swallowed the
; tests between them, which then looked like callers of `tag`.
(do_block
  (unary_operator
    operator: "@"
    operand: (call
      target: (identifier) @name
      (arguments))) @definition.constant
  (#not-any-of? @name
    "doc" "moduledoc" "typedoc" "shortdoc" "spec" "callback" "macrocallback" "impl"
    "behaviour" "type" "typep" "opaque" "derive" "enforce_keys" "dialyzer" "compile"
    "deprecated" "since" "external_resource" "on_load" "before_compile" "after_compile"
    "after_verify" "optional_callbacks" "vsn" "on_definition" "file" "tag" "moduletag"
    "describetag"))

; --- docs -----------------------------------------------------------------

; `@doc "..."` (or a heredoc) directly before a definition, possibly with
; other attributes (`@spec`, `@impl`) in between.
((unary_operator
  operand: (call
    target: (identifier) @_doc
    (arguments . [(string) (sigil)] @doc)))
  .
  (unary_operator)?
  .
  (unary_operator)?
  .
  (call
    target: (identifier) @_kw
    (arguments . [
      (call target: (identifier) @name)
      (binary_operator left: (call target: (identifier) @name) operator: "when")
      (identifier) @name
    ])) @definition.function
  (#eq? @_doc "doc")
  (#any-of? @_kw "def" "defdelegate" "defguard"))

((unary_operator
  operand: (call
    target: (identifier) @_doc
    (arguments . [(string) (sigil)] @doc)))
  .
  (unary_operator)?
  .
  (unary_operator)?
  .
  (call
    target: (identifier) @_kw
    (arguments . [
      (call target: (identifier) @name)
      (binary_operator left: (call target: (identifier) @name) operator: "when")
      (identifier) @name
    ])) @definition.macro
  (#eq? @_doc "doc")
  (#eq? @_kw "defmacro"))

((unary_operator
  operand: (call
    target: (identifier) @_doc
    (arguments . [(string) (sigil)] @doc)))
  .
  (unary_operator
    operator: "@"
    operand: (call
      target: (identifier) @_attr
      (arguments [
        (binary_operator left: (call target: (identifier) @name) operator: "::")
        (binary_operator left: (binary_operator left: (call target: (identifier) @name) operator: "::") operator: "when")
      ]))) @definition.function
  (#eq? @_doc "doc")
  (#any-of? @_attr "callback" "macrocallback"))

((unary_operator
  operand: (call
    target: (identifier) @_doc
    (arguments . [(string) (sigil)] @doc)))
  .
  (unary_operator
    operator: "@"
    operand: (call
      target: (identifier) @_attr
      (arguments (binary_operator
        left: [(identifier) @name (call target: (identifier) @name)]
        operator: "::")))) @definition.type
  (#eq? @_doc "typedoc")
  (#any-of? @_attr "type" "typep" "opaque"))

; `@moduledoc """..."""` is the module's doc.
((call
  target: (identifier) @_kw
  (arguments . (alias) @name)
  (do_block
    (unary_operator
      operand: (call
        target: (identifier) @_doc
        (arguments . [(string) (sigil)] @doc))))) @definition.module
  (#eq? @_kw "defmodule")
  (#eq? @_doc "moduledoc"))

((call
  target: (identifier) @_kw
  (arguments . (alias) @name)
  (do_block
    (unary_operator
      operand: (call
        target: (identifier) @_doc
        (arguments . [(string) (sigil)] @doc))))) @definition.interface
  (#eq? @_kw "defprotocol")
  (#eq? @_doc "moduledoc"))

; --- inheritance ----------------------------------------------------------

; `@behaviour Plug`: the module implements the behaviour.
((unary_operator
  operator: "@"
  operand: (call
    target: (identifier) @_attr
    (arguments . (alias) @name))) @reference.implementation
  (#eq? @_attr "behaviour"))

; `defimpl Proto, for: Type`: Type implements Proto.
((call
  target: (identifier) @_kw
  (arguments
    . (alias) @name
    (keywords (pair key: (keyword) @_for value: (alias) @subject)))) @reference.implementation
  (#eq? @_kw "defimpl")
  (#match? @_for "^for"))

; `use GenServer`: the module takes on what the used module injects.
((call
  target: (identifier) @_kw
  (arguments . (alias) @name)) @reference.inherits
  (#eq? @_kw "use"))

; --- imports --------------------------------------------------------------

; `alias Acme.Repo`, `alias Acme.Repo, as: R`, `require Logger`.
((call
  target: (identifier) @_kw
  (arguments . (alias) @import.module .)) @import
  (#any-of? @_kw "alias" "require"))

((call
  target: (identifier) @_kw
  (arguments
    . (alias) @import.module
    (keywords (pair key: (keyword) @_as value: (alias) @import.alias)))) @import
  (#eq? @_kw "alias")
  (#match? @_as "^as"))

; `alias Acme.Inventory.{Item, Storage}`
((call
  target: (identifier) @_kw
  (arguments
    . (dot left: (alias) @import.module right: (tuple (alias) @import.name)))) @import
  (#eq? @_kw "alias"))

; `import Acme.Util`, `import Ecto.Query, only: [from: 2]`, `use Plug.Builder`:
; the module's functions are visible unqualified.
((call
  target: (identifier) @_kw
  (arguments . (alias) @import.module)) @import @import.wildcard
  (#any-of? @_kw "import" "use"))

; --- calls ----------------------------------------------------------------

; Function heads and typespecs mention names without calling them; quoted
; code runs in the caller.
((call
  target: (identifier) @_kw
  (arguments . [
    (call) @reference.skip
    (binary_operator left: (call) @reference.skip operator: "when")
  ]))
  (#any-of? @_kw "def" "defp" "defmacro" "defmacrop" "defdelegate" "defguard" "defguardp" "defn" "defnp"))

; Module attributes: `@doc`, `@spec f(x) :: t`, `@max compute()`.
(unary_operator
  operator: "@"
  operand: (call) @reference.skip)

; `save(x)`, `x |> save()`. Special forms and definitions are not calls.
((call
  target: (identifier) @name) @reference.call
  (#not-any-of? @name
    "def" "defp" "defmacro" "defmacrop" "defmodule" "defprotocol" "defimpl" "defstruct"
    "defexception" "defdelegate" "defguard" "defguardp" "defoverridable" "defn" "defnp"
    "alias" "import" "require" "use" "quote" "unquote" "unquote_splicing" "case" "cond"
    "if" "unless" "with" "for" "receive" "try" "raise" "reraise" "throw" "fn" "super"
    "is_atom" "is_binary" "is_boolean" "is_function" "is_integer" "is_list" "is_map"
    "is_nil" "is_number" "is_pid" "is_tuple" "hd" "tl" "elem" "put_elem" "length"
    "map_size" "tuple_size" "to_string" "inspect" "apply" "send" "self" "spawn" "exit"
    "binding" "sigil_r" "sigil_s" "sigil_w" "sigil_S" "sigil_c"))

; `Repo.get(id)`, `Acme.Repo.get(id)`, `Mix.env`, `mod.fun(x)` (without
; arguments, `map.field` reads a field).
(call
  target: (dot
    left: (alias) @receiver
    right: (identifier) @name)) @reference.call

(call
  target: (dot
    left: (_) @receiver
    right: (identifier) @name)
  (arguments)) @reference.call

; --- bindings -------------------------------------------------------------

; `%Item{} = item` in a pattern: `item` is an Item.
(binary_operator
  left: (map (struct (alias) @binding.type))
  operator: "="
  right: (identifier) @binding.name) @binding
