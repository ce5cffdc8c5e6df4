//! The commands, one module per group. Each takes its parsed arguments,
//! calls the library, and prints JSON ([`crate::output`]) or text
//! ([`crate::human`]).

pub mod context;
pub mod graph;
pub mod index;
pub mod mcp;
pub mod model;
pub mod query;
pub mod serve;
pub mod symbols;

use crate::RepoArgs;
use crate::remote::Remote;
use anyhow::{Context, Result};
use codegraph::{Codegraph, IndexOptions, Reader, ReaderLife};
use std::path::{Path, PathBuf};

/// The repository's settings file (it also marks the repository root).
const CONFIG_FILE: &str = codegraph::PROJECT_FILE;
/// The database file of an index, inside its directory.
const DATABASE: &str = "index.sqlite";

/// A read command on a repository without an index (exit status 3).
#[derive(Debug, thiserror::Error)]
#[error("{} has no index: run `codegraph index {}`", .0.display(), shell_word(&.0.display().to_string()))]
pub struct NoIndex(PathBuf);

/// `text` as one shell word.
fn shell_word(text: &str) -> String {
    if !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_alphanumeric() || "/._-+,:@%".contains(c))
    {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

/// The repository root `repo` names: PATH as given, or the nearest
/// ancestor of the working directory holding `.git`, `.codegraph.toml`
/// or an index (the working directory when none does). Paths printed
/// from now on are relative to the working directory.
fn root(repo: &RepoArgs) -> Result<PathBuf> {
    let root = match &repo.path {
        Some(p) => p.clone(),
        None => {
            let cwd = std::env::current_dir().context("the working directory")?;
            discover(&cwd).unwrap_or(cwd)
        }
    };
    if let Ok(canonical) = root.canonicalize() {
        crate::term::set_root(&canonical);
    }
    Ok(root)
}

/// The nearest ancestor of `start` (itself included) that is a
/// repository root; `None` when none is. (An index in an `--index-dir`
/// does not mark a root: it would mark every directory.)
fn discover(start: &Path) -> Option<PathBuf> {
    let start = start.canonicalize().ok()?;
    start
        .ancestors()
        .find(|dir| {
            dir.join(".git").exists() || dir.join(CONFIG_FILE).is_file() || has_index(dir, None)
        })
        .map(Path::to_path_buf)
}

/// Whether the repository at `root` has an index (in `index_dir`, or in
/// its default place). Creates nothing.
fn has_index(root: &Path, index_dir: Option<&Path>) -> bool {
    let dir = match index_dir {
        Some(d) => d.to_path_buf(),
        None => match root
            .canonicalize()
            .ok()
            .and_then(|r| codegraph::default_index_dir(&r).ok())
        {
            Some(d) => d,
            None => return false,
        },
    };
    dir.join(DATABASE).is_file()
}

/// The running `codegraph serve` that holds the repository `repo` names
/// (see [`crate::remote`]); none with `--no-server`.
fn server(repo: &RepoArgs, no_server: bool) -> Result<Option<Remote>> {
    if no_server {
        return Ok(None);
    }
    let root = root(repo)?;
    Ok(Remote::find(&root, repo.index_dir.as_deref()))
}

/// Opens (creating if needed) the index of the repository `repo` names.
fn open(repo: &RepoArgs, mut options: IndexOptions) -> Result<Codegraph> {
    let root = root(repo)?;
    options.index_dir = repo.index_dir.clone();
    Codegraph::open(&root, options)
        .with_context(|| format!("cannot open the index of {}", root.display()))
}

/// Opens the index of the repository `repo` names for reading: never
/// writes (a read-only index directory is fine) and never waits for a
/// writer. A repository without an index is [`NoIndex`], and nothing is
/// created on disk.
fn open_reader(repo: &RepoArgs, mut options: IndexOptions) -> Result<Reader> {
    let root = root(repo)?;
    // A root that does not exist is the library's error to report.
    if root.is_dir() && !has_index(&root, repo.index_dir.as_deref()) {
        let shown = root.canonicalize().unwrap_or(root);
        return Err(NoIndex(shown).into());
    }
    options.index_dir = repo.index_dir.clone();
    // One process, one question: load what opens fastest (the vectors'
    // compact copy, the query model unoptimised), not what answers fastest.
    options.reader_life = ReaderLife::OneShot;
    Reader::open(&root, options)
        .with_context(|| format!("cannot open the index of {}", root.display()))
}

/// Opens the index directory of the repository `repo` names and empties
/// it, for `index --rebuild` (the embedding cache is kept).
fn open_replacing(repo: &RepoArgs, mut options: IndexOptions) -> Result<Codegraph> {
    let root = root(repo)?;
    options.index_dir = repo.index_dir.clone();
    Codegraph::open_replacing(&root, options)
        .with_context(|| format!("cannot rebuild the index of {}", root.display()))
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

/// `--path` as the glob the library matches against root-relative paths:
/// an existing directory (relative to the working directory) becomes
/// `dir/**`, an existing file its own path, anything else is a glob
/// relative to the root.
fn path_filter(root: &Path, given: &str) -> Result<String> {
    let p = Path::new(given);
    if !p.exists() {
        return Ok(given.to_owned());
    }
    let canonical = p
        .canonicalize()
        .with_context(|| format!("--path {given}"))?;
    let rel = canonical.strip_prefix(root).map_err(|_| {
        anyhow::anyhow!("--path {given}: outside the repository {}", root.display())
    })?;
    let rel = rel.to_string_lossy().replace('\\', "/");
    Ok(match (canonical.is_dir(), rel.is_empty()) {
        (true, true) => "**".to_owned(),
        (true, false) => format!("{}/**", globset_escape(&rel)),
        (false, _) => globset_escape(&rel),
    })
}

/// `path` with glob metacharacters escaped.
fn globset_escape(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if "*?[]{}".contains(c) {
            out.push('[');
            out.push(c);
            out.push(']');
        } else {
            out.push(c);
        }
    }
    out
}

/// `--focus` files must exist (relative to the working directory).
fn check_focus(focus: &[String]) -> Result<()> {
    for f in focus {
        if !Path::new(f).exists() {
            anyhow::bail!("--focus {f}: no such file");
        }
    }
    Ok(())
}
