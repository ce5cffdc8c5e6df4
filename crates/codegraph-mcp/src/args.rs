//! The tools' arguments: JSON Schemas (schemars) written for a model to
//! read, unknown fields refused. Ranges are checked in the tools, with
//! messages that say how to fix the call.

use schemars::JsonSchema;
use serde::Deserialize;

/// Which edges count.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum ProvenanceFilter {
    /// Every edge.
    #[default]
    Any,
    /// Only edges proved by scope, an import or a known type.
    Resolved,
    /// Only edges inferred from a name that is unique in the repository.
    Inferred,
}

/// Which retrievers answer a search.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Lexical (BM25) and semantic (vectors, when embeddings exist), fused.
    #[default]
    Hybrid,
    Lexical,
    Vector,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchCodeArgs {
    /// What to look for: words, an identifier, a sentence, a code fragment or an error message.
    pub query: String,
    /// Results wanted, 1-50 (default 10).
    pub limit: Option<u32>,
    /// hybrid (default), lexical or vector.
    pub mode: Option<Mode>,
    /// Only files of this language (e.g. "python", "rust", "typescript").
    pub language: Option<String>,
    /// Only paths matching this glob, relative to the repository root (e.g. "src/**/*.py").
    pub path_glob: Option<String>,
    /// Only results of this kind: a definition kind (function, method, class, struct, interface, ...) or a chunk kind.
    pub kind: Option<String>,
    /// One result per file (its best chunk), with the number of matching chunks.
    pub group_by_file: Option<bool>,
    /// Token budget for the whole answer, 128-32000 (default 2000).
    pub budget_tokens: Option<u32>,
    /// The next_cursor of a previous answer with the same arguments, to get the results it left out.
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FindSymbolArgs {
    /// A definition's name ("parse"), qualified name ("pkg.mod.Parser.parse") or qualified suffix ("Parser.parse", "Parser::parse").
    pub name: String,
    /// Only definitions of this kind (function, method, class, struct, ...).
    pub kind: Option<String>,
    /// Token budget, 128-32000 (default 2000).
    pub budget_tokens: Option<u32>,
    /// The next_cursor of a previous answer with the same arguments.
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FileOutlineArgs {
    /// The file, relative to the repository root (e.g. "src/app.py").
    pub path: String,
    /// Token budget, 128-32000 (default 2000).
    pub budget_tokens: Option<u32>,
    /// The next_cursor of a previous answer with the same arguments.
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SymbolOutlineArgs {
    /// A type or module-level definition: name, qualified name or "Class.method" form.
    pub symbol: String,
    /// Token budget, 128-32000 (default 2000).
    pub budget_tokens: Option<u32>,
    /// The next_cursor of a previous answer with the same arguments.
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadCodeArgs {
    /// Read this definition's source (name, qualified name or "Class.method"). Give either symbol or path.
    pub symbol: Option<String>,
    /// Read lines of this file, relative to the repository root. Give either symbol or path.
    pub path: Option<String>,
    /// First line, 1-based (with path; default 1).
    pub start_line: Option<u32>,
    /// Last line, inclusive (with path; default start_line + 199). At most 400 lines per call.
    pub end_line: Option<u32>,
    /// Token budget, 128-32000 (default 4000).
    pub budget_tokens: Option<u32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GraphArgs {
    /// A definition: name, qualified name or "Class.method".
    pub symbol: String,
    /// Hops to follow, 1-5 (default 1).
    pub depth: Option<u32>,
    /// any (default), resolved (proved edges only) or inferred (name-only guesses only).
    pub provenance: Option<ProvenanceFilter>,
    /// Token budget, 128-32000 (default 2000).
    pub budget_tokens: Option<u32>,
    /// The next_cursor of a previous answer with the same arguments.
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReferencesArgs {
    /// A definition: name, qualified name or "Class.method".
    pub symbol: String,
    /// any (default), resolved or inferred.
    pub provenance: Option<ProvenanceFilter>,
    /// Token budget, 128-32000 (default 2000).
    pub budget_tokens: Option<u32>,
    /// The next_cursor of a previous answer with the same arguments.
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FileGraphArgs {
    /// A file, relative to the repository root.
    pub path: String,
    /// Token budget, 128-32000 (default 2000).
    pub budget_tokens: Option<u32>,
    /// The next_cursor of a previous answer with the same arguments.
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImpactArgs {
    /// What would change: a definition (name, qualified name, "Class.method") or a file path relative to the root.
    pub target: String,
    /// Hops of callers and importers to follow, 1-5 (default 3).
    pub depth: Option<u32>,
    /// any (default) or resolved (drop edges guessed from a unique name).
    pub provenance: Option<ProvenanceFilter>,
    /// Token budget, 128-32000 (default 2000).
    pub budget_tokens: Option<u32>,
    /// The next_cursor of a previous answer with the same arguments.
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RepoMapArgs {
    /// Token budget of the map, 128-32000 (default 1024).
    pub budget_tokens: Option<u32>,
    /// Favour these files and their neighbours (paths relative to the root), at most 50.
    pub focus_files: Option<Vec<String>>,
    /// Favour the files defining these identifiers (names or qualified names), at most 50.
    pub focus_symbols: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CompletionContextArgs {
    /// The file being edited, relative to the repository root.
    pub path: String,
    /// Cursor line, 1-based.
    pub line: u32,
    /// Cursor column, 1-based, in UTF-16 code units (as LSP counts).
    pub column: u32,
    /// The editor's unsaved text of the file (at most 1 MiB); the file on disk is read otherwise.
    pub text: Option<String>,
    /// Token budget, 128-32000 (default 2048).
    pub budget_tokens: Option<u32>,
    /// Similar snippets wanted, 0-32 (default 8).
    pub k: Option<u32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LocateArgs {
    /// The task: an issue, bug report, stack trace or feature request, as written (at most 64 KiB).
    pub text: String,
    /// Files wanted, 1-30 (default 10).
    pub limit: Option<u32>,
    /// Token budget, 128-32000 (default 2000).
    pub budget_tokens: Option<u32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IndexStatusArgs {}
