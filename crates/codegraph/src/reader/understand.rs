//! Query understanding: what a long or mixed query contains — identifiers,
//! file paths, traceback frames, quoted strings and pasted code lines —
//! so each part can go where it works (the symbol table, the file list,
//! exact text), beside BM25 and vectors over the whole text.
//!
//! Pure text work: no index is read here.

use serde::Serialize;

/// One traceback frame: a file, maybe a line, maybe a function.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Frame {
    pub path: String,
    pub line: Option<u32>,
    pub function: Option<String>,
}

/// What a query was understood to contain.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Understood {
    /// Identifier-like words: `snake_case`, `CamelCase`, dotted and `::`
    /// paths, `name()` calls.
    pub identifiers: Vec<String>,
    /// File paths and file names (`src/app.py`, `app.py`).
    pub paths: Vec<String>,
    /// Traceback frames.
    pub frames: Vec<Frame>,
    /// Text to find as it is: quoted strings and error messages, lines of
    /// pasted code.
    pub exact: Vec<String>,
    /// Whether the query is about tests (the source-over-tests prior is off
    /// then).
    pub wants_tests: bool,
}

impl Understood {
    pub fn is_empty(&self) -> bool {
        self.identifiers.is_empty()
            && self.paths.is_empty()
            && self.frames.is_empty()
            && self.exact.is_empty()
    }
}

/// Most parts of each sort kept (the first ones, in query order).
const MAX_PARTS: usize = 24;
/// Shortest quoted string or code line worth an exact search.
const MIN_EXACT: usize = 8;
const MAX_EXACT: usize = 200;

/// File extensions that make a word a file name.
const SOURCE_EXTENSIONS: &[&str] = &[
    "py", "pyi", "rs", "go", "java", "js", "jsx", "mjs", "cjs", "ts", "tsx", "c", "h", "cc", "cpp",
    "cxx", "hpp", "hh", "cs", "rb", "php", "kt", "kts", "swift", "scala", "sh", "bash", "lua",
    "ex", "exs", "hs", "dart", "zig", "vue", "svelte", "toml", "yaml", "yml", "json", "cfg", "ini",
    "md", "rst", "txt",
];

/// Reads `query`.
pub fn understand(query: &str) -> Understood {
    let mut out = Understood::default();
    let lower = query.to_ascii_lowercase();
    out.wants_tests = lower
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .any(|w| {
            w == "test" || w == "tests" || w == "testing" || w.starts_with("test_") || w == "spec"
        });

    // Fenced code blocks: each line of code is exact text.
    let mut prose = String::new();
    let mut in_fence = false;
    for line in query.lines() {
        let t = line.trim();
        if t.starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            if looks_like_code(t) {
                push(&mut out.exact, t.to_owned());
            }
        } else {
            prose.push_str(line);
            prose.push('\n');
        }
    }
    // A one-line query that looks like code is itself exact text.
    if !query.trim().contains('\n') && looks_like_code(query.trim()) {
        push(&mut out.exact, query.trim().to_owned());
    }

    for line in prose.lines() {
        if let Some(frame) = frame(line) {
            if out.frames.len() < MAX_PARTS && !out.frames.contains(&frame) {
                out.frames.push(frame);
            }
            continue;
        }
        for s in quoted(line) {
            push(&mut out.exact, s);
        }
    }

    for word in prose.split(|c: char| c.is_whitespace() || ",;()[]{}<>\"'`|!?".contains(c)) {
        let word = word.trim_matches(|c: char| ".:#*=".contains(c));
        if word.len() < 3 || word.len() > 200 {
            continue;
        }
        if is_path(word) {
            let path = word.trim_start_matches("./").trim_start_matches('/');
            push(&mut out.paths, path.to_owned());
        } else if is_identifier(word) {
            push(&mut out.identifiers, word.to_owned());
        }
    }
    out
}

fn push(list: &mut Vec<String>, item: String) {
    if list.len() < MAX_PARTS && !list.contains(&item) {
        list.push(item);
    }
}

/// A traceback frame: Python `File "a/b.py", line 3, in f`; Java
/// `at pkg.Type.method(Type.java:12)`; JavaScript `at f (src/a.js:3:7)`;
/// Go and Rust `a/b.go:12` / `at src/x.rs:12:5`.
fn frame(line: &str) -> Option<Frame> {
    let t = line.trim();
    if let Some(rest) = t.strip_prefix("File \"") {
        let (path, rest) = rest.split_once('"')?;
        let line_no = rest
            .split_once("line ")
            .and_then(|(_, r)| r.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|n| n.parse().ok());
        let function = rest
            .split_once(", in ")
            .map(|(_, f)| f.trim().to_owned())
            .filter(|f| !f.is_empty() && !f.starts_with('<'));
        return Some(Frame {
            path: path.to_owned(),
            line: line_no,
            function,
        });
    }
    if let Some(rest) = t.strip_prefix("at ") {
        // `at pkg.Type.method(Type.java:12)` or `at f (src/a.js:3:7)`.
        if let Some((head, loc)) = rest.split_once('(') {
            let loc = loc.trim_end_matches(')');
            let (path, line_no) = path_and_line(loc)?;
            let head = head.trim();
            let function = (!head.is_empty()).then(|| head.to_owned());
            return Some(Frame {
                path,
                line: line_no,
                function,
            });
        }
        let (path, line_no) = path_and_line(rest.trim())?;
        return Some(Frame {
            path,
            line: line_no,
            function: None,
        });
    }
    // `path/to/file.go:123` at the start of a line (Go panics, compilers).
    let first = t.split_whitespace().next()?;
    if first.matches(':').count() >= 1 && first.contains('/') {
        let (path, line_no) = path_and_line(first.trim_end_matches(':'))?;
        if line_no.is_some() {
            return Some(Frame {
                path,
                line: line_no,
                function: None,
            });
        }
    }
    None
}

/// `path:line[:col]` → the path (if it has a source extension) and line.
fn path_and_line(loc: &str) -> Option<(String, Option<u32>)> {
    let mut parts = loc.split(':');
    let path = parts.next()?.trim();
    if !has_source_extension(path) {
        return None;
    }
    let line = parts.next().and_then(|n| n.trim().parse().ok());
    Some((path.to_owned(), line))
}

fn has_source_extension(word: &str) -> bool {
    word.rsplit_once('.')
        .is_some_and(|(stem, ext)| !stem.is_empty() && SOURCE_EXTENSIONS.contains(&ext))
}

fn is_path(word: &str) -> bool {
    if word.contains("://") {
        return false;
    }
    has_source_extension(word)
        && word
            .chars()
            .all(|c| c.is_alphanumeric() || "/._-".contains(c))
}

/// Quoted strings of a line: `"..."`, `'...'` and `` `...` `` spans that
/// read as messages or code (not single words, which are identifiers).
fn quoted(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    for q in ['"', '`', '\''] {
        let mut rest = line;
        while let Some(start) = rest.find(q) {
            let after = &rest[start + 1..];
            let Some(end) = after.find(q) else { break };
            let inner = after[..end].trim();
            if q == '\'' && start > 0 && rest[..start].ends_with(char::is_alphanumeric) {
                // An apostrophe (`don't`), not a quote.
                rest = &after[end + 1..];
                continue;
            }
            if inner.len() >= MIN_EXACT && inner.len() <= MAX_EXACT && inner.contains(' ') {
                out.push(inner.to_owned());
            }
            rest = &after[end + 1..];
        }
    }
    out
}

/// Whether a line reads as code rather than prose.
fn looks_like_code(line: &str) -> bool {
    if line.len() < MIN_EXACT || line.len() > MAX_EXACT {
        return false;
    }
    let punct = line
        .chars()
        .filter(|c| "(){}[];=.:<>-+*/&|!,\"'".contains(*c))
        .count();
    let has_call_or_assign = (line.contains('(') && line.contains(')'))
        || line.contains(" = ")
        || line.ends_with(';')
        || line.ends_with('{')
        || line.ends_with(':');
    has_call_or_assign && punct * 12 >= line.len()
}

/// `snake_case`, `CamelCase` (an upper case letter after the first
/// character, or a lower case one after an upper case first letter that is
/// not a sentence start), `a.b.c`, `a::b`.
fn is_identifier(word: &str) -> bool {
    let word = word.trim_end_matches("()");
    if word.is_empty() || !word.starts_with(|c: char| c.is_alphabetic() || c == '_') {
        return false;
    }
    if !word
        .chars()
        .all(|c| c.is_alphanumeric() || c == '_' || c == '.' || c == ':')
    {
        return false;
    }
    if word.ends_with('.') || word.contains("..") || word.contains(":::") {
        return false;
    }
    let inner_upper =
        word.chars().skip(1).any(|c| c.is_uppercase()) && word.chars().any(|c| c.is_lowercase());
    let snake = word.trim_matches('_').contains('_');
    let dotted = (word.contains('.') || word.contains("::"))
        && word
            .split(['.', ':'])
            .filter(|p| !p.is_empty())
            .all(|p| p.starts_with(|c: char| c.is_alphabetic() || c == '_'));
    let all_caps_const = word.len() >= 4
        && word
            .chars()
            .all(|c| c.is_uppercase() || c == '_' || c.is_ascii_digit())
        && word.contains('_');
    inner_upper || snake || dotted || all_caps_const
}

/// The names to look up for an identifier: itself and, for a dotted or
/// `::` path, its last part with its owner (`Flask.route` for
/// `flask.Flask.route`).
pub fn lookup_names(identifier: &str) -> Vec<String> {
    let id = identifier.trim_end_matches("()");
    let parts: Vec<&str> = id.split(['.', ':']).filter(|p| !p.is_empty()).collect();
    let mut out = vec![id.to_owned()];
    if parts.len() >= 2 {
        out.push(parts[parts.len() - 1].to_owned());
    }
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_python_issue_with_a_traceback() {
        let q = "Blueprint.register fails with url_prefix\n\n\
                 Traceback (most recent call last):\n  \
                 File \"src/flask/blueprints.py\", line 312, in register\n    \
                 self._check_setup_finished(\"register\")\n\
                 AssertionError: \"The setup method 'route' can no longer be called\"\n\
                 See app.py and the `make_response` docs. Steps to reproduce: don't do it.";
        let u = understand(q);
        assert_eq!(
            u.frames,
            [Frame {
                path: "src/flask/blueprints.py".into(),
                line: Some(312),
                function: Some("register".into()),
            }]
        );
        assert!(
            u.identifiers.contains(&"Blueprint.register".to_owned()),
            "{u:?}"
        );
        assert!(u.identifiers.contains(&"url_prefix".to_owned()), "{u:?}");
        assert!(u.identifiers.contains(&"make_response".to_owned()), "{u:?}");
        assert!(u.paths.contains(&"app.py".to_owned()), "{u:?}");
        assert!(
            u.exact
                .contains(&"The setup method 'route' can no longer be called".to_owned()),
            "{u:?}"
        );
        assert!(
            !u.identifiers.iter().any(|i| i == "Steps" || i == "docs"),
            "{u:?}"
        );
        assert!(!u.wants_tests);
    }

    #[test]
    fn java_and_javascript_frames() {
        let u = understand(
            "java.lang.NullPointerException\n  at com.x.UserService.add(UserService.java:42)\n  at run (src/main.js:3:7)",
        );
        assert_eq!(u.frames.len(), 2, "{u:?}");
        assert_eq!(u.frames[0].path, "UserService.java");
        assert_eq!(
            u.frames[0].function.as_deref(),
            Some("com.x.UserService.add")
        );
        assert_eq!(u.frames[1].path, "src/main.js");
        assert_eq!(u.frames[1].line, Some(3));
        assert!(
            u.identifiers
                .contains(&"java.lang.NullPointerException".to_owned())
        );
    }

    #[test]
    fn a_pasted_line_is_exact_text() {
        let u =
            understand("rv = self.ensure_sync(self.view_functions[rule.endpoint])(**view_args)");
        assert_eq!(u.exact.len(), 1, "{u:?}");
        let u = understand("how are blueprints registered");
        assert!(u.is_empty(), "{u:?}");
        assert!(understand("tests for the parser").wants_tests);
    }

    #[test]
    fn lookup_names_of_paths() {
        assert_eq!(
            lookup_names("flask.Flask.route"),
            ["flask.Flask.route", "route"]
        );
        assert_eq!(lookup_names("parse_date()"), ["parse_date"]);
    }
}
