//! Finding the files to index, and the reasons others are skipped.

use crate::IndexOptions;
use codegraph_core::SkipReason;
use codegraph_store::Skipped;
use ignore::WalkBuilder;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Directories skipped by name unless the options say otherwise.
pub const DEFAULT_EXCLUDED_DIRS: &[&str] = &[
    ".git",
    ".hg",
    ".svn",
    "node_modules",
    "target",
    "vendor",
    "dist",
    "build",
    "__pycache__",
    ".venv",
    "venv",
    ".tox",
    ".mypy_cache",
];

/// The file name of the extra ignore file codegraph reads.
pub const IGNORE_FILE: &str = ".codegraphignore";

/// A file the walk found, relative to the root with `/` separators.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub rel: String,
    pub abs: PathBuf,
    /// The size the walk saw (0 when unknown): the largest files are
    /// parsed first.
    pub size: u64,
}

/// What a walk found.
#[derive(Debug, Default)]
pub struct Walk {
    pub candidates: Vec<Candidate>,
    pub skipped: Vec<Skipped>,
    /// Every directory entered, the root first: what a watcher watches
    /// (ignored and excluded directories are not entered, so not watched).
    pub dirs: Vec<PathBuf>,
}

/// Ignore files over this size are not read (see
/// [`SkipReason::IgnoreFileTooLarge`]): 100,000 patterns took 18 s and
/// 2 GB to index one file. Real ones stay far below (tens of KB).
const MAX_IGNORE_FILE_BYTES: u64 = 256 * 1024;

/// The ignore file of `dir` too large to honour, if any: its name and size.
fn oversized_ignore_file(dir: &Path) -> Option<(&'static str, u64)> {
    [".gitignore", ".ignore", IGNORE_FILE]
        .into_iter()
        .find_map(|name| {
            let len = std::fs::metadata(dir.join(name)).ok()?.len();
            (len > MAX_IGNORE_FILE_BYTES).then_some((name, len))
        })
}

/// The root cannot be skipped: when one of its ignore files is too large,
/// no ignore file is honoured, and that file is listed as skipped.
fn root_ignore_too_large(root: &Path) -> Option<Skipped> {
    let (name, len) = oversized_ignore_file(root)?;
    tracing::warn!(
        file = name,
        bytes = len,
        "ignore file too large; ignore files are not honoured"
    );
    Some(Skipped {
        path: name.to_owned(),
        reason: SkipReason::IgnoreFileTooLarge,
        detail: format!(
            "{len} bytes, over {MAX_IGNORE_FILE_BYTES}: ignore files are not honoured in this repository"
        ),
    })
}

/// Walks `root`, honouring `.gitignore`, `.ignore`, git's global excludes and
/// `.codegraphignore`; returns candidates, the directories entered and what
/// was skipped on the way.
pub fn walk(root: &Path, options: &IndexOptions, index_dir: &Path) -> Walk {
    let skipped = Arc::new(Mutex::new(Vec::new()));
    // Checked when the index was opened: a bad glob cannot reach here.
    let exclusions = options.exclusions(root).unwrap_or_else(|e| {
        tracing::warn!(error = %e, "exclude globs ignored");
        ignore::gitignore::Gitignore::empty()
    });
    let file_exclusions = exclusions.clone();
    let excluded: Vec<String> = options.exclude_dirs.clone();
    let index_dir = index_dir.to_owned();
    let filter_root = root.to_owned();
    let filter_skipped = Arc::clone(&skipped);
    let mut builder = WalkBuilder::new(root);
    let honour_ignore_files = match root_ignore_too_large(root) {
        Some(skip) => {
            skipped.lock().unwrap().push(skip);
            false
        }
        None => true,
    };
    builder
        .hidden(true)
        .parents(true)
        .ignore(honour_ignore_files)
        .git_ignore(honour_ignore_files)
        .git_global(true)
        .git_exclude(true)
        .require_git(false)
        .follow_links(options.follow_symlinks);
    if honour_ignore_files {
        builder.add_custom_ignore_filename(IGNORE_FILE);
    }
    builder
        .sort_by_file_name(|a, b| a.cmp(b))
        .filter_entry(move |entry| {
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            if !is_dir || entry.depth() == 0 {
                return true;
            }
            if entry.path() == index_dir {
                return false;
            }
            if exclusions.matched(entry.path(), true).is_ignore() {
                return false;
            }
            if let Some(skip) = refused_dir(&filter_root, entry) {
                filter_skipped.lock().unwrap().push(skip);
                return false;
            }
            if honour_ignore_files && let Some((name, len)) = oversized_ignore_file(entry.path()) {
                filter_skipped.lock().unwrap().push(Skipped {
                    path: relative(&filter_root, entry.path()),
                    reason: SkipReason::IgnoreFileTooLarge,
                    detail: format!("its `{name}` has {len} bytes, over {MAX_IGNORE_FILE_BYTES}"),
                });
                return false;
            }
            let name = entry.file_name().to_string_lossy();
            if excluded.iter().any(|d| *d == name) {
                filter_skipped.lock().unwrap().push(Skipped {
                    path: relative(&filter_root, entry.path()),
                    reason: SkipReason::ExcludedDir,
                    detail: format!("`{name}` is excluded by default"),
                });
                return false;
            }
            true
        });
    let mut candidates = Vec::new();
    let mut dirs = Vec::new();
    let mut local_skips = Vec::new();
    for result in builder.build() {
        match result {
            Ok(entry) => {
                let Some(file_type) = entry.file_type() else {
                    continue;
                };
                if file_type.is_dir() {
                    dirs.push(entry.into_path());
                    continue;
                }
                if entry.depth() == 0 {
                    continue;
                }
                if file_exclusions.matched(entry.path(), false).is_ignore() {
                    continue;
                }
                if let Some(skip) = refused_name(root, entry.path()) {
                    local_skips.push(skip);
                    continue;
                }
                let rel = relative(root, entry.path());
                if entry.path_is_symlink() && options.follow_symlinks && !inside(root, entry.path())
                {
                    local_skips.push(outside_root(rel));
                    continue;
                }
                if entry.path_is_symlink() && !options.follow_symlinks {
                    local_skips.push(Skipped {
                        path: rel,
                        reason: SkipReason::Symlink,
                        detail: "symbolic links are not followed".into(),
                    });
                    continue;
                }
                if !file_type.is_file() {
                    // A FIFO or device would block or never end.
                    local_skips.push(Skipped {
                        path: rel,
                        reason: SkipReason::NotARegularFile,
                        detail: format!("{file_type:?}"),
                    });
                    continue;
                }
                let size = entry.metadata().map_or(0, |m| m.len());
                candidates.push(Candidate {
                    rel,
                    abs: entry.into_path(),
                    size,
                });
            }
            Err(err) => {
                let (path, reason) = describe_walk_error(&err);
                let path = path.map_or_else(|| "<unknown>".to_owned(), |p| relative(root, &p));
                tracing::warn!(%path, error = %err, "skipped while walking");
                local_skips.push(Skipped {
                    path,
                    reason,
                    detail: err.to_string(),
                });
            }
        }
    }
    let mut skipped = std::mem::take(&mut *skipped.lock().unwrap());
    skipped.extend(local_skips);
    Walk {
        candidates,
        skipped,
        dirs,
    }
}

/// Why the directory `entry` is not entered, if it is not: a name that is
/// not UTF-8, or (links being followed) a link leading outside the root.
fn refused_dir(root: &Path, entry: &ignore::DirEntry) -> Option<Skipped> {
    if let Some(skip) = refused_name(root, entry.path()) {
        return Some(skip);
    }
    (entry.path_is_symlink() && !inside(root, entry.path()))
        .then(|| outside_root(relative(root, entry.path())))
}

/// A skip for a path whose name is not UTF-8: stored paths are text, and a
/// lossy conversion would merge `x\xff.py` and `x\xfe.py` into one file.
fn refused_name(root: &Path, path: &Path) -> Option<Skipped> {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.to_str().is_none().then(|| Skipped {
        path: escaped(rel),
        reason: SkipReason::NonUtf8Name,
        detail: "the name is not valid UTF-8".into(),
    })
}

/// A path with the bytes that are not UTF-8 written as `\xNN`: distinct
/// names stay distinct.
fn escaped(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let mut out = String::new();
    for chunk in path.as_os_str().as_bytes().utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// Whether `path` (a link) resolves inside `root` (canonical).
fn inside(root: &Path, path: &Path) -> bool {
    path.canonicalize().is_ok_and(|p| p.starts_with(root))
}

fn outside_root(rel: String) -> Skipped {
    Skipped {
        path: rel,
        reason: SkipReason::SymlinkOutsideRoot,
        detail: "the link leads outside the repository; it is never followed".into(),
    }
}

fn describe_walk_error(err: &ignore::Error) -> (Option<PathBuf>, SkipReason) {
    match err {
        ignore::Error::WithPath { path, err } => {
            let (inner, reason) = describe_walk_error(err);
            (inner.or_else(|| Some(path.clone())), reason)
        }
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            describe_walk_error(err)
        }
        ignore::Error::Loop { child, .. } => (Some(child.clone()), SkipReason::SymlinkLoop),
        ignore::Error::Io(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            (None, SkipReason::Unreadable)
        }
        ignore::Error::Io(e) if e.kind() == std::io::ErrorKind::NotFound => {
            (None, SkipReason::Vanished)
        }
        ignore::Error::Partial(errs) => errs
            .first()
            .map_or((None, SkipReason::WalkError), describe_walk_error),
        _ => (None, SkipReason::WalkError),
    }
}

/// `path` relative to `root`, `/`-separated.
pub fn relative(root: &Path, path: &Path) -> String {
    relative_to_string(path.strip_prefix(root).unwrap_or(path))
}

/// A relative path with `/` separators.
pub fn relative_to_string(rel: &Path) -> String {
    let mut out = String::new();
    for (i, part) in rel.components().enumerate() {
        if i > 0 {
            out.push('/');
        }
        out.push_str(&part.as_os_str().to_string_lossy());
    }
    out
}
