; Bash (and POSIX sh, zsh-compatible scripts). Functions, module-level
; variables, `source`d files and commands that call functions.

; --- definitions ----------------------------------------------------------

; `f() { ... }`, `function f { ... }`
(function_definition
  name: (word) @name
  body: (_) @body) @definition.function

; `readonly VERSION=1.2`, `declare -r MAX=3`, `export DIR=...` at the top
; level: upper-case names are constants, others variables.
(program
  (declaration_command
    (variable_assignment name: (variable_name) @name)) @definition.constant
  (#match? @definition.constant "^(readonly|declare\\s+-[a-zA-Z]*r|typeset\\s+-[a-zA-Z]*r)"))

(program
  (declaration_command
    (variable_assignment name: (variable_name) @name)) @definition.variable
  (#not-match? @definition.variable "^(readonly|declare\\s+-[a-zA-Z]*r|typeset\\s+-[a-zA-Z]*r|local)"))

; `TARGET_DIR=/opt/acme` at the top level.
(program
  (variable_assignment name: (variable_name) @name) @definition.variable)

; --- imports --------------------------------------------------------------

; `source ./lib.sh`, `. "$DIR/env.sh"`, `\. ../nvm.sh`: the sourced file's
; functions become visible.
((command
  name: (command_name (word) @_src)
  .
  argument: [(word) (string) (raw_string) (concatenation)] @import.module) @import @import.wildcard
  (#any-of? @_src "source" "." "\\."))

; --- calls ----------------------------------------------------------------

; Every command names a program, a builtin or a function; builtins and
; common programs are skipped.
((command
  name: (command_name (word) @name)) @reference.call
  (#not-any-of? @name
    "source" "." "\\." "echo" "printf" "cd" "pwd" "test" "[" "[[" "read" "set" "unset"
    "shift" "export" "readonly" "declare" "typeset" "local" "return" "exit" "eval" "exec"
    "trap" "true" "false" ":" "command" "builtin" "type" "hash" "alias" "unalias"
    "getopts" "wait" "kill" "jobs" "bg" "fg" "umask" "ulimit" "shopt" "pushd" "popd"
    "dirs" "let" "mapfile" "readarray" "break" "continue" "printenv" "env" "cat" "grep"
    "sed" "awk" "cut" "tr" "sort" "uniq" "head" "tail" "ls" "mkdir" "rm" "cp" "mv" "ln"
    "chmod" "chown" "touch" "find" "xargs" "basename" "dirname" "sleep" "date" "curl"
    "wget" "git" "tar" "uname" "which" "wc" "tee" "mktemp" "sh" "bash" "zsh" "sudo"
    "make" "command_not_found_handle" "\\command" "\\cd" "\\echo" "\\printf"))
