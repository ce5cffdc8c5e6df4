//! The task schema: one JSON object per line of `eval/tasks/*.jsonl`.

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A definition a task's commit touched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FuncRef {
    pub path: String,
    pub name: String,
    pub qualname: String,
    pub kind: String,
    /// 1-based inclusive lines in the version the entry refers to: the
    /// parent for `functions`, the commit for `added_functions`.
    pub start_line: usize,
    pub end_line: usize,
}

/// "This commit text → these files and definitions change."
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Task {
    /// `owner/name`.
    pub repo: String,
    pub commit: String,
    /// The first parent: the tree a system searches.
    pub parent: String,
    /// The cleaned commit (or pull request) text.
    pub query: String,
    /// Changed non-test source files that exist in the parent (parent
    /// paths): the answer.
    pub files: Vec<String>,
    /// Definitions of the parent that the change touches.
    pub functions: Vec<FuncRef>,
    /// The query names a changed file (path, or basename with extension).
    pub mentions_path: bool,
    /// The repository's main language.
    pub language: String,
    /// The raw subject line.
    pub subject: String,
    pub date: String,
    /// `fix` when the message says it fixes something, else `change`.
    pub kind: String,
    /// Issue and pull request numbers the message refers to.
    pub refs: Vec<String>,
    pub is_merge: bool,
    /// Source files the commit creates (not part of the answer).
    pub added_files: Vec<String>,
    /// Definitions that exist only in the commit (lines of the commit).
    pub added_functions: Vec<FuncRef>,
    /// The query names a changed or added definition.
    pub mentions_function: bool,
    /// Changed source files whose every changed line is blank or a comment;
    /// left out of `files`.
    #[serde(default)]
    pub comment_only_files: Vec<String>,
    /// How `functions` were found (see `mine/defs.rs`).
    pub function_method: String,
}

impl Task {
    /// `owner__name`: the file stem and directory name of a repository.
    pub fn slug(&self) -> String {
        slug(&self.repo)
    }
}

/// `owner/name` → `owner__name`.
pub fn slug(repo: &str) -> String {
    repo.replace('/', "__")
}

/// The tasks of a JSON Lines file.
pub fn read_tasks(path: &Path) -> Result<Vec<Task>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).with_context(|| format!("{}:{}", path.display(), i + 1))
        })
        .collect()
}
