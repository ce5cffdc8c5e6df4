//! One file's text to [`FileFacts`]: definitions, imports, call sites,
//! inheritance and chunks.
//!
//! Pure: no filesystem, no store. Broken source is never an error: a file with
//! syntax errors yields what tree-sitter could recover plus diagnostics, and a
//! file no grammar can parse is chunked into line windows.
//!
//! ```
//! use codegraph_lang::Registry;
//! let rust = Registry::builtin().by_name("rust").unwrap();
//! let facts = codegraph_parse::parse_file(rust, "src/util.rs", "/// Adds one.\npub fn inc(x: u32) -> u32 { x + 1 }\n");
//! let inc = &facts.definitions[0];
//! assert_eq!(inc.qualified_name, "crate::util::inc");
//! assert_eq!(inc.signature, "pub fn inc(x: u32) -> u32");
//! assert_eq!(inc.doc.as_deref(), Some("Adds one."));
//! ```

mod chunk;
mod doc;
mod extract;
mod module;
mod script;

use codegraph_core::FileFacts;
use codegraph_lang::{Chunking, Language};

pub use chunk::{ChunkLimits, LIMITS};
pub use module::{manifest_dir, module_prefix, package_identifier, qualify_in_package};

pub use extract::{MAX_ERROR_WIDTH, MAX_NESTING};

/// Extracts everything codegraph indexes from one file. `path` is relative to
/// the repository root, with `/` separators.
pub fn parse_file(language: &Language, path: &str, text: &str) -> FileFacts {
    parse_file_until(language, path, text, &|| false).expect("never stopped")
}

/// [`parse_file`] that stops early, returning `None`, once `stop` says so:
/// it is asked every few thousand nodes while parsing and running the
/// queries (a request's deadline, a caller that went away).
pub fn parse_file_until(
    language: &Language,
    path: &str,
    text: &str,
    stop: &dyn Fn() -> bool,
) -> Option<FileFacts> {
    let mut facts = FileFacts {
        language: language.name.clone(),
        line_count: line_count(text),
        ..FileFacts::default()
    };
    match language.chunking {
        Chunking::Syntax => extract::extract(language, path, text, &mut facts, stop)?,
        Chunking::Markdown => {
            facts.doc = doc::markdown_summary(text);
            facts.chunks = chunk::markdown_chunks(text);
        }
        Chunking::Lines => facts.chunks = chunk::line_windows(text),
        Chunking::ScriptBlocks => script::extract(language, path, text, &mut facts, stop)?,
    }
    Some(facts)
}

/// Number of lines, counting a last line without a newline.
pub fn line_count(text: &str) -> u32 {
    let newlines = text.bytes().filter(|&b| b == b'\n').count();
    let last = usize::from(!text.is_empty() && !text.ends_with('\n'));
    (newlines + last) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use codegraph_lang::Registry;

    /// The file fell back to text chunks, and a diagnostic says so.
    fn assert_chunked_as_text(facts: &FileFacts) {
        assert!(
            facts
                .diagnostics
                .iter()
                .any(|d| d.message.contains("chunked as text")),
            "{:?}",
            facts.diagnostics
        );
    }

    /// Regression: `x = [[[[...` (200,000 brackets) took 46 s of CPU in the
    /// tags query, whose cost grows with depth for every node.
    #[test]
    fn a_nesting_bomb_is_chunked_as_text_with_a_diagnostic() {
        let python = Registry::builtin().by_name("python").unwrap();
        let text = format!(
            "def f():\n    return 1\n\nx = {}\n",
            "[".repeat(MAX_ERROR_WIDTH * 2)
        );
        let facts = parse_file(python, "bomb.py", &text);
        assert!(facts.definitions.is_empty(), "{:?}", facts.definitions);
        assert!(!facts.chunks.is_empty());
        assert_chunked_as_text(&facts);
        // Too deep, closed: text too.
        let deep = format!(
            "def f():\n    return 1\n\nx = {}{}\n",
            "[".repeat(MAX_NESTING * 2),
            "]".repeat(MAX_NESTING * 2)
        );
        assert!(parse_file(python, "deep.py", &deep).definitions.is_empty());
        // Just past the limit, deep inside a function among many small
        // ones (the walk enters only subtrees big enough to be that deep).
        let small: String = (0..300)
            .map(|i| format!("def f{i}(a, b):\n    return [a, (b, {{i: a}})]\n\n"))
            .collect();
        let buried = format!(
            "{small}def g():\n    return {}{}\n\n{small}",
            "[".repeat(MAX_NESTING + 8),
            "]".repeat(MAX_NESTING + 8)
        );
        let facts = parse_file(python, "buried.py", &buried);
        assert!(
            facts.definitions.is_empty(),
            "{} definitions",
            facts.definitions.len()
        );
        assert_chunked_as_text(&facts);
        let shallow = format!("{small}def g():\n    return [[[1]]]\n\n{small}");
        assert_eq!(
            parse_file(python, "shallow.py", &shallow).definitions.len(),
            601
        );
        // Ordinary nesting and ordinary errors are parsed as code.
        let fine = format!(
            "x = {}{}\n\ndef g():\n    pass\n",
            "[".repeat(50),
            "]".repeat(50)
        );
        let names: Vec<String> = parse_file(python, "ok.py", &fine)
            .definitions
            .into_iter()
            .map(|d| d.name)
            .collect();
        assert_eq!(names, ["x", "g"]);
        let broken = "def g(:\n    pass\n\ndef h():\n    return [1, 2\n";
        assert!(
            !parse_file(python, "broken.py", broken)
                .definitions
                .is_empty()
        );
    }

    /// Regression: an abandoned request went on parsing a large buffer;
    /// parsing asks its caller whether to stop.
    #[test]
    fn parsing_stops_when_asked() {
        let python = Registry::builtin().by_name("python").unwrap();
        let text = "def f(x):\n    return g(x)\n".repeat(5000);
        let asked = std::cell::Cell::new(0u32);
        let stop = || {
            asked.set(asked.get() + 1);
            true
        };
        assert!(parse_file_until(python, "big.py", &text, &stop).is_none());
        assert!(asked.get() > 0);
        let full = parse_file_until(python, "big.py", &text, &|| false).unwrap();
        assert_eq!(full.definitions.len(), 5000);
    }
}
