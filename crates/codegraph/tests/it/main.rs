//! Integration tests of the library: real files on disk, a real SQLite index.

mod context;
mod context_kinds;
mod damage;
mod graph;
mod incremental;
mod outlines;
mod robustness;
mod search;
mod settings;
mod stored_graph;
mod vectors;
mod watch;

use codegraph::{Codegraph, IndexOptions, IndexReport, NoProgress, SkipReason};
use std::path::Path;

pub fn write(root: &Path, rel: &str, contents: impl AsRef<[u8]>) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, contents).unwrap();
}

/// Opens an index of `root` kept in `index`, with test-friendly options.
pub fn open(root: &Path, index: &Path) -> Codegraph {
    let options = IndexOptions {
        index_dir: Some(index.to_owned()),
        ..IndexOptions::default()
    };
    Codegraph::open(root, options).unwrap()
}

pub fn index(root: &Path, index: &Path) -> IndexReport {
    open(root, index).index(&NoProgress).unwrap()
}

pub fn skipped_reason(cg: &Codegraph, path: &str) -> Option<String> {
    cg.skipped()
        .unwrap()
        .into_iter()
        .find(|s| s.path == path)
        .map(|s| s.reason.to_string())
}

/// A small valid Python module.
pub const PY: &str = "def add(a, b):\n    \"\"\"Add two numbers.\"\"\"\n    return a + b\n\n\nclass Calc:\n    def run(self):\n        return add(1, 2)\n";
