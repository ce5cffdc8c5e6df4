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

use codegraph_core::FileFacts;
use codegraph_lang::{Chunking, Language};

pub use chunk::{ChunkLimits, LIMITS};
pub use module::module_prefix;

/// Extracts everything codegraph indexes from one file. `path` is relative to
/// the repository root, with `/` separators.
pub fn parse_file(language: &Language, path: &str, text: &str) -> FileFacts {
    let mut facts = FileFacts {
        language: language.name.clone(),
        line_count: line_count(text),
        ..FileFacts::default()
    };
    match language.chunking {
        Chunking::Syntax => extract::extract(language, path, text, &mut facts),
        Chunking::Markdown => {
            facts.doc = doc::markdown_summary(text);
            facts.chunks = chunk::markdown_chunks(text);
        }
        Chunking::Lines => facts.chunks = chunk::line_windows(text),
    }
    facts
}

/// Number of lines, counting a last line without a newline.
pub fn line_count(text: &str) -> u32 {
    let newlines = text.bytes().filter(|&b| b == b'\n').count();
    let last = usize::from(!text.is_empty() && !text.ends_with('\n'));
    (newlines + last) as u32
}
