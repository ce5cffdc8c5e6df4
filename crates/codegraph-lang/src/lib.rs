//! The language registry: `grammars/languages.toml` and the tree-sitter query
//! files beside it, embedded at build time.
//!
//! ```
//! let registry = codegraph_lang::Registry::builtin();
//! let rust = registry.for_path(std::path::Path::new("src/main.rs")).unwrap();
//! assert_eq!(rust.name, "rust");
//! assert!(rust.tags().unwrap().is_some());
//! ```
//!
//! Languages are data: this crate knows capture names, not languages. The
//! capture names a `tags.scm` may use are listed in [`Role`] and documented in
//! `grammars/README.md`.

mod grammars;
mod signature;

use codegraph_core::{DefKind, RefKind, Relation};
use serde::Deserialize;
use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

include!(concat!(env!("OUT_DIR"), "/embedded.rs"));

/// Errors in the language table or its queries.
#[derive(Debug, thiserror::Error)]
pub enum LangError {
    #[error("languages.toml: {0}")]
    Table(String),
    #[error("language `{language}`: unknown grammar `{grammar}`")]
    UnknownGrammar { language: String, grammar: String },
    #[error("language `{language}`: query file `{file}` not found")]
    MissingQuery { language: String, file: String },
    #[error("language `{language}`: {message}")]
    Query { language: String, message: String },
}

/// How a language's files are cut into chunks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Chunking {
    Syntax,
    Markdown,
    Lines,
    /// A single-file component (Vue, Svelte): its `<script>` blocks are
    /// parsed with a script language's grammar (`lang="ts"` picks the
    /// language of that extension, default `script_default`), the rest is
    /// chunked as text.
    ScriptBlocks,
}

/// How a file path becomes the prefix of qualified names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ModuleStyle {
    Python,
    Rust,
    Path,
    Package,
    /// Like `path`, relative to the nearest import root (`import_roots`),
    /// without an `import_index` file name, parts joined by the separator
    /// (`lua/a/b/init.lua` -> `a.b`).
    LoadPath,
    #[default]
    None,
}

/// How a language's imports name files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ImportStyle {
    Python,
    Rust,
    Path,
    Go,
    Java,
    Include,
    /// Like `java`, and a file also sees the namespaces enclosing its own
    /// (`namespace A.B.C` sees `A.B` and `A`); `using A.B;` is a wildcard.
    Namespace,
    /// URIs naming files: relative paths (`'src/a.dart'`, `'../b.dart'`) or
    /// `package:<name>/<path>`, which is `<path>` under the `lib/` directory
    /// of package `<name>`.
    Uri,
    /// Imports name whole modules (`import Foo`): a module is a source
    /// directory (`Sources/<Name>/`, else the top-level directory), and the
    /// files of one module see each other's top-level names.
    WholeModule,
    /// A path on a load path, with or without the extension: relative to the
    /// importing file, then under an import root (`import_roots`), then the
    /// repository root. `import_separator` stands for `/` (`a.b` ->
    /// `a/b.lua`); a directory may import as its `import_index` file.
    /// Leading parts that name variables (`$DIR/x.sh`) are dropped.
    LoadPath,
    /// A module name declared anywhere in the repository, not a path: the
    /// file defining a module (or type) of that qualified name, or declaring
    /// it as its package. An import without a name or alias binds the last
    /// part of the name; members of modules are visible to wildcard imports.
    Declared,
    #[default]
    None,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Row {
    name: String,
    grammar: Option<String>,
    queries: Option<String>,
    #[serde(default)]
    extensions: Vec<String>,
    #[serde(default)]
    filenames: Vec<String>,
    chunking: Option<Chunking>,
    #[serde(default)]
    module_style: ModuleStyle,
    separator: Option<String>,
    #[serde(default)]
    comment_kinds: Vec<String>,
    #[serde(default)]
    doc_skip_kinds: Vec<String>,
    #[serde(default)]
    wrapper_kinds: Vec<String>,
    elided_body: Option<String>,
    #[serde(default)]
    minifiable: bool,
    #[serde(default)]
    import_style: ImportStyle,
    #[serde(default)]
    implicit_this: bool,
    #[serde(default)]
    doc_comment_prefixes: Vec<String>,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    builtins: Vec<String>,
    #[serde(default)]
    builtin_methods: Vec<String>,
    #[serde(default)]
    directory_packages: Vec<String>,
    #[serde(default)]
    wrapper_types: Vec<String>,
    #[serde(default)]
    return_type: Vec<ReturnTypeShape>,
    #[serde(default = "yes")]
    capitalized_types: bool,
    #[serde(default)]
    super_names: Vec<String>,
    #[serde(default)]
    shebangs: Vec<String>,
    #[serde(default)]
    import_roots: Vec<String>,
    import_separator: Option<String>,
    import_index: Option<String>,
    #[serde(default)]
    open_namespaces: bool,
    #[serde(default)]
    multi_clause: bool,
    script_default: Option<String>,
    block_open: Option<String>,
    block_close: Option<String>,
    line_comment: Option<String>,
    #[serde(default)]
    docstrings: bool,
    members_open: Option<String>,
    members_close: Option<String>,
    #[serde(default)]
    project_files: Vec<String>,
    manifest: Option<String>,
    #[serde(default)]
    manifest_name: Vec<String>,
    #[serde(default)]
    strict_arity: bool,
}

fn yes() -> bool {
    true
}

/// Where a function signature states its return type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReturnTypeShape {
    /// `-> T` (Rust, Python, C++ trailing return types).
    Arrow,
    /// `f(..): T` after the parameters (TypeScript).
    Colon,
    /// The first word after the parameters (Go: `func f(..) T`, `(T, error)`).
    AfterParams,
    /// The word before the name (Java, C, C++: `User find(..)`), unless it
    /// is a keyword (`void`, `public`).
    BeforeName,
}

#[derive(Debug, Deserialize)]
struct Table {
    language: Vec<Row>,
}

/// What a capture name means to the extractor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// `@definition.<kind>`: the whole definition node.
    Definition(DefKind),
    /// `@name`: the name of the definition, callee, scope or base type.
    Name,
    /// `@doc`: a doc comment or docstring of the definition.
    Doc,
    /// `@body`: the body; the signature is the text before it.
    Body,
    /// `@owner`: an explicit owner type (Go receiver, C++ `A::f`).
    Owner,
    /// `@scope`: qualifies the definitions inside it, is not one itself
    /// (Rust `impl` blocks).
    Scope,
    /// `@reference.call`: a call site; `@reference.decorator`: a decorator,
    /// annotation or attribute naming a definition without calling it.
    Call(RefKind),
    /// `@reference.skip`: a node holding no call sites (a function head,
    /// a type signature, quoted code): calls inside it are dropped.
    Skip,
    /// `@receiver`: the qualifier or receiver of a call.
    Receiver,
    /// `@import`: an import statement.
    Import,
    /// `@import.module`, `@import.name`, `@import.alias`, `@import.wildcard`.
    ImportModule,
    ImportName,
    ImportAlias,
    ImportWildcard,
    /// `@reference.inherits` / `@reference.implementation`.
    Inherits(Relation),
    /// `@subject`: the type that inherits, when it is not the enclosing one.
    Subject,
    /// `@package`: the file's declared package or module name.
    Package,
    /// `@file.doc`: the file's leading docstring.
    FileDoc,
    /// `@module.value`: the name of the value the file exports (Lua's
    /// `return M`): the top-level definitions owned by it are the module's
    /// own, and its own definition is the module.
    ModuleValue,
    /// `@binding`: a variable, parameter or field whose type can be known
    /// cheaply; with `@binding.name` and `@binding.type` (a type name) or
    /// `@binding.value` (another variable whose type is looked up).
    Binding,
    BindingName,
    BindingType,
    BindingValue,
    /// Captures starting with `_`, used only by predicates.
    Ignored,
}

impl Role {
    fn parse(capture: &str) -> Option<Role> {
        if capture.starts_with('_') {
            return Some(Role::Ignored);
        }
        if let Some(kind) = capture.strip_prefix("definition.") {
            return kind.parse().ok().map(Role::Definition);
        }
        Some(match capture {
            "name" => Role::Name,
            "doc" => Role::Doc,
            "body" => Role::Body,
            "owner" => Role::Owner,
            "scope" => Role::Scope,
            "reference.call" => Role::Call(RefKind::Call),
            "reference.decorator" => Role::Call(RefKind::Decorator),
            "reference.skip" => Role::Skip,
            "receiver" => Role::Receiver,
            "import" => Role::Import,
            "import.module" => Role::ImportModule,
            "import.name" => Role::ImportName,
            "import.alias" => Role::ImportAlias,
            "import.wildcard" => Role::ImportWildcard,
            "reference.inherits" => Role::Inherits(Relation::Extends),
            "reference.implementation" => Role::Inherits(Relation::Implements),
            "subject" => Role::Subject,
            "package" => Role::Package,
            "file.doc" => Role::FileDoc,
            "module.value" => Role::ModuleValue,
            "binding" => Role::Binding,
            "binding.name" => Role::BindingName,
            "binding.type" => Role::BindingType,
            "binding.value" => Role::BindingValue,
            _ => return None,
        })
    }
}

/// A compiled `tags.scm` with the role of each capture.
#[derive(Debug)]
pub struct Tags {
    pub query: tree_sitter::Query,
    /// Indexed by capture index.
    pub roles: Vec<Role>,
}

/// One row of the language table.
#[derive(Debug)]
pub struct Language {
    pub name: String,
    pub extensions: Vec<String>,
    pub filenames: Vec<String>,
    pub chunking: Chunking,
    pub module_style: ModuleStyle,
    pub separator: String,
    pub comment_kinds: Vec<String>,
    pub doc_skip_kinds: Vec<String>,
    pub wrapper_kinds: Vec<String>,
    pub elided_body: String,
    /// Files of this language are often minified (see `languages.toml`).
    pub minifiable: bool,
    /// How imports resolve to files.
    pub import_style: ImportStyle,
    /// A bare call inside a class may call one of its members.
    pub implicit_this: bool,
    /// When not empty, only comments starting with one of these are doc
    /// comments (Rust: `///`, `/**`); otherwise every comment before a
    /// definition is.
    pub doc_comment_prefixes: Vec<String>,
    /// Reserved words and builtin type names: never looked up as
    /// identifiers.
    pub keywords: Vec<String>,
    /// Functions every file can call without importing them (`len`,
    /// `open`, `next`): a bare call of one is never a repository
    /// definition unless the file defines or imports that name.
    pub builtins: Vec<String>,
    /// Methods of the language's builtin types (`dict.update`,
    /// `list.append`, `str.join`): a call of one on a receiver of unknown
    /// type is never inferred to a repository method of the same name.
    pub builtin_methods: Vec<String>,
    /// Package names that do not name one package (Go's `main`: every
    /// program has one): qualified by the file's directory instead
    /// (`cmd/vet/main.run`), so two programs' definitions stay apart.
    pub directory_packages: Vec<String>,
    /// Generic types that hold a value of their first type argument
    /// (`Box`, `Option`, `std::shared_ptr`, `Optional`): a variable of one
    /// has the methods of what it holds.
    pub wrapper_types: Vec<String>,
    /// The shapes a signature states its return type in, tried in order.
    pub return_type: Vec<ReturnTypeShape>,
    /// A capitalised name is a type (false for Go, whose exported
    /// functions are capitalised too).
    pub capitalized_types: bool,
    /// Words other than `super` that name the base class as a receiver
    /// (`base.F()`, `parent::f()`) or a call (`: base(x)`).
    pub super_names: Vec<String>,
    /// Interpreter names a `#!` line may give for files without an
    /// extension (`ruby` in `#!/usr/bin/env ruby`).
    pub shebangs: Vec<String>,
    /// Directories that `load_path` imports and module names are relative
    /// to (`lib`, `lua`), wherever they are in the repository.
    pub import_roots: Vec<String>,
    /// What stands for `/` in a `load_path` import (`.` in `a.b`).
    pub import_separator: String,
    /// The file name (without extension) a directory imports as (`init`).
    pub import_index: Option<String>,
    /// Namespaces are open and global (Ruby modules, Elixir modules): a name
    /// used inside `A::B` may be `A::B::N`, `A::N` or `N` defined in any
    /// file.
    pub open_namespaces: bool,
    /// A function may be written as consecutive clauses (Haskell equations,
    /// Elixir `def f(0)` / `def f(n)`): consecutive definitions of one name
    /// and kind are one definition.
    pub multi_clause: bool,
    /// For `script_blocks` chunking: the language of a `<script>` without
    /// a `lang` attribute.
    pub script_default: Option<String>,
    /// How an outline opens a type's body after its signature (` {`; `` for
    /// Python, whose signature ends with `:`).
    pub block_open: String,
    /// The line that closes a body in an outline (`}`; `end`; `` when
    /// indentation closes it).
    pub block_close: String,
    /// What starts a line comment (`//`, `#`, `--`).
    pub line_comment: String,
    /// Docs are string literals inside the body (`"""docstrings"""`), not
    /// comments before the definition.
    pub docstrings: bool,
    /// How members declared outside their type (Go methods, Rust `impl`
    /// blocks) are grouped in the type's outline: a line opening the group
    /// (`{name}` is the type's name) and one closing it; absent: listed
    /// after the type, one per line.
    pub members_open: Option<String>,
    pub members_close: Option<String>,
    /// File names that mark a project root anywhere in the repository
    /// (`pyproject.toml`): module names are also taken relative to it.
    pub project_files: Vec<String>,
    /// The file naming the package whose sources sit in its directory
    /// (`Cargo.toml`): that name replaces the module root of qualified
    /// names (`crate::run` -> `codegraph_cli::run`).
    pub manifest: Option<String>,
    /// Where the manifest (TOML) holds the name, dotted keys tried in order
    /// (`lib.name`, then `package.name`).
    pub manifest_name: Vec<String>,
    /// A call must pass as many arguments as the callee's parameters
    /// allow (defaults and rest parameters read from its signature): a
    /// definition found by name only whose parameters cannot take the call's
    /// arguments is not its callee.
    pub strict_arity: bool,
    grammar: Option<tree_sitter::Language>,
    query_source: Option<String>,
    tags: OnceLock<Result<Tags, String>>,
}

impl Language {
    /// The package name a manifest's text gives this language: the first
    /// of its [`Language::manifest_name`] keys (dotted, `package.name`)
    /// that holds a string. `None` when the text is not TOML or names no
    /// package (a workspace's manifest).
    pub fn manifest_package(&self, text: &str) -> Option<String> {
        let table = text.parse::<toml::Table>().ok()?;
        self.manifest_name.iter().find_map(|k| {
            let mut parts = k.split('.');
            let mut value = table.get(parts.next()?)?;
            for part in parts {
                value = value.as_table()?.get(part)?;
            }
            value.as_str().map(str::to_owned)
        })
    }

    /// The tree-sitter grammar, for languages that have one.
    pub fn grammar(&self) -> Option<&tree_sitter::Language> {
        self.grammar.as_ref()
    }

    /// Whether the comment `text` before a definition is its doc comment.
    pub fn is_doc_comment(&self, text: &str) -> bool {
        self.doc_comment_prefixes.is_empty()
            || self
                .doc_comment_prefixes
                .iter()
                .any(|p| text.starts_with(p))
    }

    /// Whether `name` is a builtin function of the language.
    pub fn is_builtin(&self, name: &str) -> bool {
        self.builtins.iter().any(|b| b == name)
    }

    /// Whether `name` is a method of one of the language's builtin types.
    pub fn is_builtin_method(&self, name: &str) -> bool {
        self.builtin_methods.iter().any(|b| b == name)
    }

    /// Whether `word` is one of the language's keywords.
    pub fn is_keyword(&self, word: &str) -> bool {
        self.keywords.iter().any(|k| k == word)
    }

    /// The return type the signature of function `name` states, as written.
    pub fn return_type<'s>(&self, signature: &'s str, name: &str) -> Option<&'s str> {
        self.return_type
            .iter()
            .find_map(|shape| signature::return_type(*shape, signature, name, self))
    }

    /// The query source after `; inherits:` lines are expanded.
    pub fn query_source(&self) -> Option<&str> {
        self.query_source.as_deref()
    }

    /// The compiled tags query, compiled on first use. `Ok(None)` for
    /// languages without a grammar.
    pub fn tags(&self) -> Result<Option<&Tags>, LangError> {
        let (Some(grammar), Some(source)) = (&self.grammar, &self.query_source) else {
            return Ok(None);
        };
        let compiled = self.tags.get_or_init(|| compile(grammar, source));
        match compiled {
            Ok(tags) => Ok(Some(tags)),
            Err(message) => Err(LangError::Query {
                language: self.name.clone(),
                message: message.clone(),
            }),
        }
    }
}

fn compile(grammar: &tree_sitter::Language, source: &str) -> Result<Tags, String> {
    let query = tree_sitter::Query::new(grammar, source).map_err(|e| {
        format!(
            "tags.scm line {} column {}: {:?} error: {}",
            e.row + 1,
            e.column + 1,
            e.kind,
            e.message
        )
    })?;
    let mut roles = Vec::new();
    for name in query.capture_names() {
        match Role::parse(name) {
            Some(role) => roles.push(role),
            None => return Err(format!("unknown capture name @{name}")),
        }
    }
    Ok(Tags { query, roles })
}

/// All languages, looked up by name, extension or file name.
#[derive(Debug)]
pub struct Registry {
    languages: Vec<Language>,
    by_extension: HashMap<String, usize>,
    by_filename: HashMap<String, usize>,
    by_interpreter: HashMap<String, usize>,
}

impl Registry {
    /// The registry built from the embedded `grammars/` directory.
    pub fn builtin() -> &'static Registry {
        static BUILTIN: OnceLock<Registry> = OnceLock::new();
        BUILTIN.get_or_init(|| {
            Registry::from_table(LANGUAGE_TABLE, |dir, file| {
                QUERY_FILES
                    .iter()
                    .find(|(d, f, _)| *d == dir && *f == file)
                    .map(|(_, _, text)| (*text).to_owned())
            })
            .expect("the embedded language table is checked by tests")
        })
    }

    /// Builds a registry from a table and a query-file lookup
    /// (`(directory, file name) -> text`).
    pub fn from_table(
        table: &str,
        read_query: impl Fn(&str, &str) -> Option<String>,
    ) -> Result<Registry, LangError> {
        let table: Table = toml::from_str(table).map_err(|e| LangError::Table(e.to_string()))?;
        let mut languages = Vec::new();
        let mut by_extension = HashMap::new();
        let mut by_filename = HashMap::new();
        let mut by_interpreter = HashMap::new();
        for row in table.language {
            let grammar = match &row.grammar {
                Some(key) => {
                    Some(
                        grammars::grammar(key).ok_or_else(|| LangError::UnknownGrammar {
                            language: row.name.clone(),
                            grammar: key.clone(),
                        })?,
                    )
                }
                None => None,
            };
            // A missing or broken query file disables that language's syntax
            // extraction (reported by `check` and by `tags`), not the registry.
            let tags = OnceLock::new();
            let query_source = if grammar.is_some() {
                let dir = row.queries.clone().unwrap_or_else(|| row.name.clone());
                match expand_inherits(&row.name, &dir, &read_query, 0) {
                    Ok(source) => Some(source),
                    Err(e) => {
                        let _ = tags.set(Err(e.to_string()));
                        Some(String::new())
                    }
                }
            } else {
                None
            };
            let index = languages.len();
            for ext in &row.extensions {
                by_extension.insert(ext.to_ascii_lowercase(), index);
            }
            for name in &row.filenames {
                by_filename.insert(name.clone(), index);
            }
            for interpreter in &row.shebangs {
                by_interpreter.insert(interpreter.clone(), index);
            }
            let chunking = row.chunking.unwrap_or(if grammar.is_some() {
                Chunking::Syntax
            } else {
                Chunking::Lines
            });
            languages.push(Language {
                name: row.name,
                extensions: row.extensions,
                filenames: row.filenames,
                chunking,
                module_style: row.module_style,
                separator: row.separator.unwrap_or_else(|| ".".into()),
                comment_kinds: row.comment_kinds,
                doc_skip_kinds: row.doc_skip_kinds,
                wrapper_kinds: row.wrapper_kinds,
                elided_body: row.elided_body.unwrap_or_else(|| "...".into()),
                minifiable: row.minifiable,
                import_style: row.import_style,
                implicit_this: row.implicit_this,
                doc_comment_prefixes: row.doc_comment_prefixes,
                keywords: row.keywords,
                builtins: row.builtins,
                builtin_methods: row.builtin_methods,
                directory_packages: row.directory_packages,
                wrapper_types: row.wrapper_types,
                return_type: row.return_type,
                capitalized_types: row.capitalized_types,
                super_names: row.super_names,
                shebangs: row.shebangs,
                import_roots: row.import_roots,
                import_separator: row.import_separator.unwrap_or_else(|| "/".into()),
                import_index: row.import_index,
                open_namespaces: row.open_namespaces,
                multi_clause: row.multi_clause,
                script_default: row.script_default,
                block_open: row.block_open.unwrap_or_else(|| " {".into()),
                block_close: row.block_close.unwrap_or_else(|| "}".into()),
                line_comment: row.line_comment.unwrap_or_else(|| "//".into()),
                docstrings: row.docstrings,
                members_open: row.members_open,
                members_close: row.members_close,
                project_files: row.project_files,
                manifest: row.manifest,
                manifest_name: row.manifest_name,
                strict_arity: row.strict_arity,
                grammar,
                query_source,
                tags,
            });
        }
        Ok(Registry {
            languages,
            by_extension,
            by_filename,
            by_interpreter,
        })
    }

    pub fn languages(&self) -> &[Language] {
        &self.languages
    }

    pub fn by_name(&self, name: &str) -> Option<&Language> {
        self.languages.iter().find(|l| l.name == name)
    }

    /// The language of a file, by exact file name first, then extension.
    pub fn for_path(&self, path: &Path) -> Option<&Language> {
        let file_name = path.file_name()?.to_str()?;
        if let Some(&i) = self.by_filename.get(file_name) {
            return Some(&self.languages[i]);
        }
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        self.by_extension.get(&ext).map(|&i| &self.languages[i])
    }

    /// The language of a file by its path, or, for a file whose name has no
    /// extension, by the interpreter its `#!` line names (`head` is the
    /// start of the file; its first line is enough).
    pub fn detect(&self, path: &Path, head: &[u8]) -> Option<&Language> {
        if let Some(language) = self.for_path(path) {
            return Some(language);
        }
        let name = path.file_name()?.to_str()?;
        if name.trim_start_matches('.').contains('.') {
            return None;
        }
        self.for_shebang(head)
    }

    /// The language a `#!` line names: `#!/bin/bash`, `#!/usr/bin/env -S
    /// ruby -w`, `#!/usr/bin/python3.12` (version digits are ignored when
    /// the exact name is not in the table).
    pub fn for_shebang(&self, head: &[u8]) -> Option<&Language> {
        let line = head.split(|&b| b == b'\n').next()?;
        let line = std::str::from_utf8(line).ok()?.strip_prefix("#!")?;
        let mut words = line.split_whitespace();
        let mut program = words.next()?.rsplit('/').next()?;
        if program == "env" {
            program = words.find(|w| !w.starts_with('-') && !w.contains('='))?;
        }
        let lookup = |p: &str| self.by_interpreter.get(p).map(|&i| &self.languages[i]);
        lookup(program).or_else(|| {
            let base =
                program.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.' || c == '-');
            lookup(base)
        })
    }

    /// The language for text files no row claims.
    pub fn plain_text(&self) -> Option<&Language> {
        self.by_name("text")
    }

    /// Compiles every query; one entry per language that fails.
    pub fn check(&self) -> Vec<LangError> {
        self.languages
            .iter()
            .filter_map(|l| l.tags().err())
            .collect()
    }
}

/// Expands `; inherits: a, b` lines (helix style) into the named languages'
/// `tags.scm`, recursively.
fn expand_inherits(
    language: &str,
    dir: &str,
    read_query: &impl Fn(&str, &str) -> Option<String>,
    depth: usize,
) -> Result<String, LangError> {
    let text = read_query(dir, "tags.scm").ok_or_else(|| LangError::MissingQuery {
        language: language.into(),
        file: format!("{dir}/tags.scm"),
    })?;
    if depth > 4 {
        return Err(LangError::Table(format!(
            "`; inherits:` nested too deeply at {dir}"
        )));
    }
    let mut out = String::new();
    for line in text.lines() {
        if let Some(list) = line.trim().strip_prefix("; inherits:") {
            for parent in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                out.push_str(&expand_inherits(language, parent, read_query, depth + 1)?);
                out.push('\n');
            }
        }
    }
    out.push_str(&text);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_query_compiles_against_its_grammar() {
        let errors = Registry::builtin().check();
        assert!(errors.is_empty(), "query errors: {errors:#?}");
    }

    /// Every language with a fixture project (`fixtures/<name>`), and tsx,
    /// has a grammar and queries that find definitions, calls and imports.
    #[test]
    fn fixture_languages_have_grammars_and_queries() {
        let registry = Registry::builtin();
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
        let mut names: Vec<String> = std::fs::read_dir(fixtures)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .chain(["tsx".to_owned()])
            .collect();
        names.sort();
        assert!(names.len() >= 21, "{names:?}");
        for name in &names {
            let lang = registry.by_name(name).unwrap_or_else(|| panic!("{name}"));
            let tags = lang.tags().unwrap().unwrap_or_else(|| panic!("{name}"));
            let has_definitions = tags.roles.iter().any(|r| matches!(r, Role::Definition(_)));
            assert!(has_definitions, "{name} defines nothing");
            assert!(
                tags.roles.contains(&Role::Call(RefKind::Call)),
                "{name} has no calls"
            );
            assert!(tags.roles.contains(&Role::Import), "{name} has no imports");
        }
    }

    #[test]
    fn looks_up_by_extension_and_file_name() {
        let registry = Registry::builtin();
        let name = |p: &str| registry.for_path(Path::new(p)).map(|l| l.name.as_str());
        assert_eq!(name("a/b.PY"), Some("python"));
        assert_eq!(name("x.tsx"), Some("tsx"));
        assert_eq!(name("include/v.hpp"), Some("cpp"));
        assert_eq!(name("Makefile"), Some("make"));
        assert_eq!(name("README.md"), Some("markdown"));
        assert_eq!(name("image.png"), None);
    }

    #[test]
    fn files_without_an_extension_are_known_by_their_shebang() {
        let registry = Registry::builtin();
        let detect = |path: &str, head: &str| {
            registry
                .detect(Path::new(path), head.as_bytes())
                .map(|l| l.name.as_str())
        };
        assert_eq!(
            detect("bin/setup", "#!/usr/bin/env ruby\nputs 1\n"),
            Some("ruby")
        );
        assert_eq!(detect("bin/deploy", "#!/bin/bash\n"), Some("bash"));
        assert_eq!(detect("tool", "#!/usr/bin/env -S lua5.4 -W\n"), Some("lua"));
        assert_eq!(detect("run", "#!/usr/bin/env elixir\n"), Some("elixir"));
        assert_eq!(
            detect("Setup", "#!/usr/bin/env runhaskell\n"),
            Some("haskell")
        );
        assert_eq!(
            detect("manage", "#!/usr/bin/python3.12 -u\n"),
            Some("python")
        );
        assert_eq!(detect("cli", "#!/usr/bin/env node\n"), Some("javascript"));
        assert_eq!(detect("sh-script", "#! /bin/sh\n"), Some("bash"));
        assert_eq!(
            detect("bin/console", "#!/usr/bin/env php8.2\n"),
            Some("php")
        );
        assert_eq!(detect("build", "#!/usr/bin/env swift\n"), Some("swift"));
        // An extension decides; a file without `#!` stays unknown.
        assert_eq!(detect("x.py", "#!/bin/bash\n"), Some("python"));
        assert_eq!(detect("x.unknown", "#!/bin/bash\n"), None);
        assert_eq!(detect("README", "hello\n"), None);
        assert_eq!(detect(".envrc", "#!/usr/bin/env bash\n"), Some("bash"));
        assert_eq!(detect("Gemfile", ""), Some("ruby"));
    }

    #[test]
    fn a_broken_query_is_reported_with_its_language() {
        let table = "[[language]]\nname = \"rust\"\ngrammar = \"rust\"\nextensions = [\"rs\"]\n";
        let registry = Registry::from_table(table, |_, _| {
            Some("(function_item name: (identifier) @name) @definition.nonsense".into())
        })
        .unwrap();
        let errors = registry.check();
        assert_eq!(errors.len(), 1);
        assert!(errors[0].to_string().contains("rust"), "{}", errors[0]);
    }

    #[test]
    fn unknown_grammar_is_an_error() {
        let table = "[[language]]\nname = \"cobol\"\ngrammar = \"cobol\"\n";
        let err = Registry::from_table(table, |_, _| None).unwrap_err();
        assert!(matches!(err, LangError::UnknownGrammar { .. }), "{err}");
    }
}
