; Haskell. The module header names the file's package (`Data.Aeson.Types`),
; the prefix of its qualified names. Each clause of a function is its own
; node: consecutive clauses are merged into one definition (`multi_clause`).
; Type signatures are separate nodes, skipped between a Haddock comment and
; its definition.

(header module: (module) @package)

; --- definitions ----------------------------------------------------------

(declarations
  (function
    name: (variable) @name
    match: (_) @body) @definition.function)

; `main = do ...`, `defaultOptions = Options {..}`
(declarations
  (bind
    name: (variable) @name
    match: (_) @body) @definition.function)

(data_type name: (name) @name) @definition.type
(newtype name: (name) @name) @definition.type
(type_synonym name: (name) @name) @definition.type
(type_family name: (name) @name) @definition.type
(data_family name: (name) @name) @definition.type

; Type classes are interfaces; their signatures are its methods.
(class
  name: (name) @name
  declarations: (class_declarations)? @body) @definition.interface

(class_declarations
  (signature name: (variable) @name) @definition.function)

; `instance ToJSON Value where ...`: Value implements ToJSON; the
; instance's functions are Value's methods (`Data.Aeson.Value.toJSON`).
(instance
  name: (name) @name
  patterns: (type_patterns . (name) @subject)) @reference.implementation

(instance
  patterns: (type_patterns . (name) @name)
  declarations: (instance_declarations) @body) @scope

(instance_declarations
  [
    (function name: (variable) @name match: (_) @body)
    (bind name: (variable) @name match: (_) @body)
  ] @definition.function)

; `class (Eq a) => Ord a`: superclasses.
(class
  context: (context context: [
    (apply constructor: (name) @name)
    (parens (apply constructor: (name) @name))
    (tuple (apply constructor: (name) @name))
  ])) @reference.inherits

; --- imports --------------------------------------------------------------

; `import qualified Data.Map as M`, `import Data.Aeson as A`
(import
  module: (module) @import.module
  alias: (module) @import.alias) @import

; `import Data.List (foldl', sortOn)`, `import Data.Aeson (Value (..))`
((import
  module: (module) @import.module
  names: (import_list
    name: (import_name [(variable) (name)] @import.name))) @import
  (#not-match? @import "^import\\s+(qualified\\s+)?[A-Za-z0-9_.']+\\s+(qualified\\s+)?hiding"))

; `import Data.Foldable`, `import Data.Map hiding (map)`: everything.
((import
  module: (module) @import.module
  !alias
  !names) @import @import.wildcard
  (#not-match? @import "qualified"))

((import
  module: (module) @import.module
  !alias
  names: (import_list)) @import @import.wildcard
  (#match? @import "^import\\s+(qualified\\s+)?[A-Za-z0-9_.']+\\s+(qualified\\s+)?hiding"))

; --- calls ----------------------------------------------------------------

; `f x y` (the innermost application holds the function), `M.lookup k m`.
((apply
  function: (variable) @name) @reference.call
  (#not-any-of? @name
    "pure" "return" "fmap" "map" "filter" "foldr" "foldl" "foldl'" "foldMap" "mapM"
    "mapM_" "forM" "forM_" "sequence" "sequence_" "traverse" "traverse_" "show" "read"
    "print" "putStr" "putStrLn" "error" "id" "const" "flip" "not" "fst" "snd" "head"
    "tail" "null" "length" "elem" "concat" "concatMap" "zip" "zipWith" "maybe" "either"
    "when" "unless" "fail" "seq" "mempty" "mappend" "mconcat" "fromIntegral" "toEnum"
    "fromEnum" "liftIO" "lift" "fromMaybe" "isJust" "isNothing" "catMaybes" "mapMaybe"
    "void" "succ" "pred" "max" "min" "compare" "negate" "abs" "replicate" "reverse"
    "take" "drop" "splitAt" "lines" "unlines" "words" "unwords" "any" "all" "and" "or"
    "sum" "product" "maximum" "minimum" "lookup" "uncurry" "curry" "realToFrac" "toList"))

(apply
  function: (qualified
    module: (module) @receiver
    id: (variable) @name)) @reference.call

; `f $ x`, ``x `div` y``
((infix
  left_operand: (variable) @name
  operator: (operator) @_op) @reference.call
  (#eq? @_op "$"))

(infix
  operator: (infix_id (variable) @name)) @reference.call
