//! The commands, one module per group. Each takes its parsed arguments,
//! calls the library, and prints JSON ([`crate::output`]) or text
//! ([`crate::human`]).

pub mod context;
pub mod graph;
pub mod index;
pub mod model;
pub mod query;
pub mod serve;
pub mod symbols;

use crate::RepoArgs;
use anyhow::{Context, Result};
use codegraph::{Codegraph, IndexOptions, Reader};

/// Opens (creating if needed) the index of the repository `repo` names.
fn open(repo: &RepoArgs, mut options: IndexOptions) -> Result<Codegraph> {
    options.index_dir = repo.index_dir.clone();
    Codegraph::open(&repo.path, options)
        .with_context(|| format!("cannot open the index of {}", repo.path.display()))
}

/// Opens the index of the repository `repo` names for reading: never
/// writes (a read-only index directory is fine) and never waits for a
/// writer.
fn open_reader(repo: &RepoArgs, mut options: IndexOptions) -> Result<Reader> {
    options.index_dir = repo.index_dir.clone();
    Reader::open(&repo.path, options)
        .with_context(|| format!("cannot open the index of {}", repo.path.display()))
}

/// Opens the index directory of the repository `repo` names and empties
/// it, for `index --rebuild` (the embedding cache is kept).
fn open_replacing(repo: &RepoArgs, mut options: IndexOptions) -> Result<Codegraph> {
    options.index_dir = repo.index_dir.clone();
    Codegraph::open_replacing(&repo.path, options)
        .with_context(|| format!("cannot rebuild the index of {}", repo.path.display()))
}

/// A path given on the command line, as an absolute path: relative paths
/// are relative to the working directory, as in every command-line tool.
///
/// Every path argument the library resolves (a file to query, a focus or
/// recent file) goes through here, because the library resolves a relative
/// path against the repository root. Paths the CLI opens itself (the
/// repository, `--index-dir`, `symbols FILE`, `--buffer-file`, ...) are
/// relative to the working directory already.
fn from_cwd(path: &str) -> String {
    let p = std::path::Path::new(path);
    if p.is_absolute() {
        return path.to_owned();
    }
    match std::env::current_dir() {
        Ok(cwd) => cwd.join(p).to_string_lossy().into_owned(),
        Err(_) => path.to_owned(),
    }
}

/// [`from_cwd`] of each path.
fn all_from_cwd(paths: &[String]) -> Vec<String> {
    paths.iter().map(|p| from_cwd(p)).collect()
}
