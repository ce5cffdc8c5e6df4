//! The tools' arguments: JSON Schemas (schemars) written for a model to
//! read, unknown fields refused. Ranges are checked in the tools, with
//! messages that say how to fix the call.

use rmcp::handler::server::common::FromContextPart;
use rmcp::handler::server::tool::ToolCallContext;
use schemars::JsonSchema;
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// A tool's arguments. rmcp's `#[tool]` macro takes the input schema of
/// the argument whose type is named `Parameters`; this one deserialises
/// like rmcp's, but a wrong argument is named with what it should be
/// (`limit: expected an integer, got a string`) instead of serde's
/// anonymous `invalid type: string "x", expected u32`.
#[derive(Debug)]
pub struct Parameters<T>(pub T);

impl<T: JsonSchema> JsonSchema for Parameters<T> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        T::schema_name()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        T::json_schema(generator)
    }
}

impl<S, T: DeserializeOwned> FromContextPart<ToolCallContext<'_, S>> for Parameters<T> {
    fn from_context_part(context: &mut ToolCallContext<'_, S>) -> Result<Self, rmcp::ErrorData> {
        let arguments = context.arguments.take().unwrap_or_default();
        parse(serde_json::Value::Object(arguments))
            .map(Parameters)
            .map_err(|message| {
                // This prefix makes rmcp answer with a tool error (which the
                // model reads), not a JSON-RPC error.
                rmcp::ErrorData::invalid_params(
                    format!("failed to deserialize parameters: {message}"),
                    None,
                )
            })
    }
}

/// `value` as a `T`, or a message naming the argument that is wrong.
pub fn parse<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, String> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        explain(&path, &e.inner().to_string())
    })
}

/// serde's message about the argument at `path` in a model's words.
fn explain(path: &str, message: &str) -> String {
    let at = |what: String| {
        if path.is_empty() || path == "." {
            what
        } else {
            format!("{path}: {what}")
        }
    };
    if let Some(rest) = message
        .strip_prefix("invalid type: ")
        .or_else(|| message.strip_prefix("invalid value: "))
        && let Some((got, expected)) = rest.split_once(", expected ")
    {
        return at(format!(
            "expected {}, got {}",
            expected_words(expected),
            got_words(got)
        ));
    }
    if let Some(name) = message
        .strip_prefix("missing field `")
        .and_then(|r| r.strip_suffix('`'))
    {
        let field = if path.is_empty() || path == "." {
            name.to_owned()
        } else {
            format!("{path}.{name}")
        };
        return format!("{field}: required, and missing");
    }
    if let Some(rest) = message.strip_prefix("unknown field `")
        && let Some((name, expected)) = rest.split_once("`, expected ")
    {
        return format!(
            "{name}: not an argument of this tool; the arguments are {}",
            expected.trim_start_matches("one of ").replace('`', "")
        );
    }
    if let Some(rest) = message.strip_prefix("unknown variant `")
        && let Some((value, expected)) = rest.split_once("`, expected ")
    {
        return at(format!(
            "`{value}` is not allowed; use {}",
            expected.trim_start_matches("one of ").replace('`', "")
        ));
    }
    at(message.to_owned())
}

fn expected_words(expected: &str) -> String {
    let integer = [
        "u8", "u16", "u32", "u64", "usize", "i8", "i16", "i32", "i64", "isize",
    ];
    if integer.contains(&expected) {
        let sign = if expected.starts_with('u') {
            " of 0 or more"
        } else {
            ""
        };
        format!("an integer{sign}")
    } else if expected == "f32" || expected == "f64" {
        "a number".to_owned()
    } else if expected == "a sequence" {
        "a list".to_owned()
    } else if expected.starts_with("struct ") || expected == "a map" {
        "an object".to_owned()
    } else {
        expected.to_owned()
    }
}

fn got_words(got: &str) -> String {
    let kind = got.split([' ', '`']).next().unwrap_or(got);
    match kind {
        "string" => "a string".to_owned(),
        "integer" => match got.split('`').nth(1) {
            Some(n) if n.starts_with('-') => n.to_owned(),
            Some(n) => format!("an integer ({n})"),
            None => "an integer".to_owned(),
        },
        "floating" => "a number with a fraction".to_owned(),
        "boolean" => "a boolean".to_owned(),
        "sequence" => "a list".to_owned(),
        "map" => "an object".to_owned(),
        "null" | "unit" => "null".to_owned(),
        _ => got.to_owned(),
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn error<T: DeserializeOwned + std::fmt::Debug>(v: serde_json::Value) -> String {
        parse::<T>(v).unwrap_err()
    }

    #[test]
    fn type_errors_name_the_argument() {
        assert_eq!(
            error::<SearchCodeArgs>(serde_json::json!({"query": "x", "limit": "ten"})),
            "limit: expected an integer of 0 or more, got a string"
        );
        assert_eq!(
            error::<SearchCodeArgs>(serde_json::json!({"query": "x", "limit": -1})),
            "limit: expected an integer of 0 or more, got -1"
        );
        assert_eq!(
            error::<FindSymbolArgs>(serde_json::json!({"name": 42})),
            "name: expected a string, got an integer (42)"
        );
        assert_eq!(
            error::<SearchCodeArgs>(serde_json::json!({"query": "x", "group_by_file": "yes"})),
            "group_by_file: expected a boolean, got a string"
        );
        assert_eq!(
            error::<FindSymbolArgs>(serde_json::json!({})),
            "name: required, and missing"
        );
        let unknown = error::<FindSymbolArgs>(serde_json::json!({"name": "x", "nmae": "y"}));
        assert!(
            unknown.starts_with("nmae: not an argument of this tool; the arguments are name, kind"),
            "{unknown}"
        );
        let mode = error::<SearchCodeArgs>(serde_json::json!({"query": "x", "mode": "fuzzy"}));
        assert_eq!(
            mode,
            "mode: `fuzzy` is not allowed; use hybrid, lexical, vector"
        );
        assert!(parse::<FindSymbolArgs>(serde_json::json!({"name": "x"})).is_ok());
    }
}
