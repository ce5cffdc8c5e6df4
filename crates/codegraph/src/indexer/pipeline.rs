//! The indexing pipeline: candidates are classified and parsed in parallel
//! (rayon); one writer commits them in batched transactions.

use super::packages::Packages;
use super::walk::Candidate;
use crate::{Error, IndexOptions, Progress};
use codegraph_core::{Diagnostic, FileChange, FileFacts, SkipReason, content_hash, tokenize};
use codegraph_lang::Registry;
use codegraph_store::{FileRecord, FileState, MetaKey, Skipped, Store, Writer};
use rayon::prelude::*;
use std::collections::HashSet;
use std::io::Read;
use std::path::Path;
use std::time::{Duration, Instant, UNIX_EPOCH};

/// What happened to one candidate.
pub(crate) enum Outcome {
    Unchanged,
    Touched { mtime_ns: i64 },
    Parsed(Box<Parsed>),
    Skipped(Skipped),
}

pub(crate) struct Parsed {
    size: u64,
    mtime_ns: i64,
    hash: [u8; 32],
    facts: FileFacts,
    tokens: Vec<Vec<String>>,
}

/// Counts of what one run did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct RunCounts {
    /// Files parsed and written.
    pub parsed: u64,
    /// Files whose size and mtime were unchanged: not read.
    pub unchanged: u64,
    /// Files with a new mtime but the same content: not parsed.
    pub touched: u64,
    /// Files removed from the index (deleted, or now skipped).
    pub removed: u64,
    /// Files skipped in this run.
    pub skipped: u64,
    /// What changed, file by file (for incremental graph updates).
    #[serde(skip)]
    pub changes: Vec<FileChange>,
}

const LOCKFILES: &[&str] = &[
    "Cargo.lock",
    "package-lock.json",
    "npm-shrinkwrap.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "poetry.lock",
    "Pipfile.lock",
    "composer.lock",
    "Gemfile.lock",
    "go.sum",
    "uv.lock",
];

fn skip(c: &Candidate, reason: SkipReason, detail: impl Into<String>) -> Outcome {
    Outcome::Skipped(Skipped {
        path: c.rel.clone(),
        reason,
        detail: detail.into(),
    })
}

fn io_skip(c: &Candidate, e: &std::io::Error) -> Outcome {
    let reason = match e.kind() {
        std::io::ErrorKind::NotFound => SkipReason::Vanished,
        std::io::ErrorKind::PermissionDenied => SkipReason::Unreadable,
        _ => SkipReason::IoError,
    };
    skip(c, reason, e.to_string())
}

fn mtime_ns(meta: &std::fs::Metadata) -> i64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as i64)
}

/// What the manifests of a walk say: the package names, and which changed
/// since the last run (their files are parsed again).
pub(crate) struct PackageNames<'p> {
    pub(crate) packages: &'p Packages,
    pub(crate) changed: &'p HashSet<String>,
}

/// Classifies and, when needed, parses one candidate. Never panics outward.
pub(crate) fn process(
    c: &Candidate,
    options: &IndexOptions,
    previous: Option<&FileState>,
    registry: &Registry,
    names: &PackageNames<'_>,
) -> Outcome {
    let name = c.rel.rsplit('/').next().unwrap_or(&c.rel);
    if LOCKFILES.contains(&name) {
        return skip(c, SkipReason::Generated, "lock file");
    }
    if name.ends_with(".min.js") || name.ends_with(".min.css") || name.ends_with(".map") {
        return skip(c, SkipReason::Minified, "minified by name");
    }
    let language = match registry.for_path(Path::new(&c.rel)) {
        Some(l) => l,
        None if !name.contains('.') || name.starts_with('.') => {
            match shebang_language(&c.abs, registry).or_else(|| registry.plain_text()) {
                Some(l) => l,
                None => return skip(c, SkipReason::UnknownType, "no language for this file"),
            }
        }
        None => return skip(c, SkipReason::UnknownType, "no language for this extension"),
    };
    // A file whose package was renamed is parsed again: its qualified
    // names change though its text did not.
    let previous = previous.filter(|_| !Packages::is_under(names.changed, language, &c.rel));
    let package = names.packages.of(language, &c.rel);
    if let Some(only) = &options.languages
        && !only.contains(&language.name)
    {
        return skip(
            c,
            SkipReason::LanguageExcluded,
            format!("{} is not among the languages indexed", language.name),
        );
    }
    let meta = match std::fs::metadata(&c.abs) {
        Ok(m) => m,
        Err(e) => return io_skip(c, &e),
    };
    let size = meta.len();
    if size > options.max_file_size {
        return skip(
            c,
            SkipReason::TooLarge,
            format!("{size} bytes, limit {}", options.max_file_size),
        );
    }
    let mtime = mtime_ns(&meta);
    if previous.is_some_and(|prev| prev.size == size && prev.mtime_ns == mtime) {
        return Outcome::Unchanged;
    }
    let mut bytes = Vec::with_capacity(size as usize);
    match std::fs::File::open(&c.abs)
        .and_then(|f| f.take(options.max_file_size + 1).read_to_end(&mut bytes))
    {
        Ok(_) => {}
        Err(e) => return io_skip(c, &e),
    }
    if bytes.len() as u64 > options.max_file_size {
        return skip(
            c,
            SkipReason::TooLarge,
            "grew past the limit while being read",
        );
    }
    if bytes[..bytes.len().min(8192)].contains(&0) {
        return skip(c, SkipReason::Binary, "NUL byte in the first 8 KiB");
    }
    let hash = content_hash(&bytes);
    if previous.is_some_and(|prev| prev.hash == hash) {
        return Outcome::Touched { mtime_ns: mtime };
    }
    let line_limit = if language.minifiable {
        options.max_line_length
    } else {
        options.max_line_length.saturating_mul(16)
    };
    if let Some(reason) = minified(&bytes, line_limit) {
        return skip(c, SkipReason::Minified, reason);
    }
    if is_generated(&bytes) {
        return skip(c, SkipReason::Generated, "marked as generated");
    }
    let (text, invalid) = match String::from_utf8(bytes) {
        Ok(text) => (text, false),
        Err(e) => (String::from_utf8_lossy(e.as_bytes()).into_owned(), true),
    };
    let parsed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut facts = codegraph_parse::parse_file(language, &c.rel, &text);
        if let Some(package) = package {
            codegraph_parse::qualify_in_package(&mut facts, language, package);
        }
        if invalid {
            facts.diagnostics.insert(
                0,
                Diagnostic {
                    line: 1,
                    message: "invalid UTF-8: bad bytes replaced with U+FFFD".into(),
                },
            );
        }
        let tokens = facts
            .chunks
            .iter()
            .map(|chunk| {
                let mut t: Vec<String> = tokenize(&chunk.text).collect();
                t.sort_unstable();
                t.dedup();
                t
            })
            .collect();
        (facts, tokens)
    }));
    match parsed {
        Ok((facts, tokens)) => Outcome::Parsed(Box::new(Parsed {
            size,
            mtime_ns: mtime,
            hash,
            facts,
            tokens,
        })),
        Err(_) => skip(
            c,
            SkipReason::ParseFailed,
            "the parser panicked on this file",
        ),
    }
}

/// A line longer than the limit means minified or generated code.
fn minified(bytes: &[u8], max_line_length: usize) -> Option<String> {
    let mut longest = 0;
    for line in bytes.split(|&b| b == b'\n') {
        longest = longest.max(line.len());
        if longest > max_line_length {
            return Some(format!("a line of over {max_line_length} bytes"));
        }
    }
    None
}

fn is_generated(bytes: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(1024)]);
    head.contains("@generated")
        || (head.contains("Code generated") && head.contains("DO NOT EDIT"))
        || head.contains("<auto-generated")
}

/// Marks the graph and the vector index out of date, in the transaction
/// of a change: a crash cannot leave changed facts behind a graph that does
/// not know them.
fn mark_dirty(writer: &mut Writer<'_>) -> Result<(), Error> {
    writer.set_graph_current(false)?;
    writer.set_meta(MetaKey::VectorsDirty, "1")?;
    Ok(())
}

/// Runs the pipeline over `candidates`, writing into `store`.
pub(crate) fn run(
    store: &mut Store,
    candidates: &[Candidate],
    mut skipped: Vec<Skipped>,
    options: &IndexOptions,
    progress: &dyn Progress,
) -> Result<RunCounts, Error> {
    let previous = store.read().file_states()?;
    let registry = Registry::builtin();
    let packages = Packages::read(candidates, registry);
    let changed = packages.changed_since(store.read().meta(MetaKey::Packages)?.as_deref());
    let names = PackageNames {
        packages: &packages,
        changed: &changed,
    };
    let mut counts = RunCounts::default();
    let mut present: HashSet<&str> = HashSet::with_capacity(candidates.len());
    progress.files_found(candidates.len());
    progress.phase(crate::Phase::Parsing);

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.threads)
        .thread_name(|i| format!("codegraph-parse-{i}"))
        .build()
        .map_err(|e| Error::Other(format!("thread pool: {e}")))?;
    let (tx, rx) = crossbeam_channel::bounded::<(usize, Outcome)>(options.batch_files.max(16) * 2);
    // The largest files first: a giant file parsed last would keep one
    // core busy while the others have nothing left to take.
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(candidates[i].size));
    let result: Result<(), Error> = std::thread::scope(|scope| {
        let (previous, names) = (&previous, &names);
        scope.spawn(move || {
            pool.install(|| {
                order.par_iter().for_each_with(tx, |tx, &i| {
                    let c = &candidates[i];
                    let outcome = process(c, options, previous.get(&c.rel), registry, names);
                    // The receiver only goes away on a write error; stop then.
                    let _ = tx.send((i, outcome));
                });
            });
        });
        let mut writer = store.writer()?;
        let mut marked_dirty = false;
        let mut in_batch = 0usize;
        let mut batch_started = Instant::now();
        for (i, outcome) in rx.iter() {
            let c = &candidates[i];
            match outcome {
                Outcome::Unchanged => {
                    counts.unchanged += 1;
                    present.insert(&c.rel);
                }
                Outcome::Touched { mtime_ns } => {
                    writer.touch_file(&c.rel, mtime_ns)?;
                    counts.touched += 1;
                    present.insert(&c.rel);
                    in_batch += 1;
                }
                Outcome::Parsed(p) => {
                    if !marked_dirty {
                        // Same transaction as the change: a crash cannot leave
                        // changed facts behind a graph that does not know them.
                        mark_dirty(&mut writer)?;
                        marked_dirty = true;
                    }
                    writer.mark_search_pending(&c.rel)?;
                    let change = writer.replace_file(&FileRecord {
                        path: &c.rel,
                        size: p.size,
                        mtime_ns: p.mtime_ns,
                        hash: p.hash,
                        facts: &p.facts,
                        chunk_tokens: &p.tokens,
                    })?;
                    counts.changes.push(change);
                    counts.parsed += 1;
                    present.insert(&c.rel);
                    in_batch += 1;
                }
                Outcome::Skipped(s) => {
                    counts.skipped += 1;
                    skipped.push(s);
                }
            }
            progress.file_done(&c.rel);
            if in_batch >= options.batch_files
                || (in_batch > 0 && batch_started.elapsed() > Duration::from_millis(500))
            {
                writer.commit()?;
                writer = store.writer()?;
                marked_dirty = false;
                in_batch = 0;
                batch_started = Instant::now();
            }
        }
        writer.commit()?;
        Ok(())
    });
    result?;

    // Files that are gone, or are now skipped, leave the index.
    let mut writer = store.writer()?;
    for path in previous.keys() {
        if !present.contains(path.as_str()) {
            mark_dirty(&mut writer)?;
            writer.mark_search_pending(path)?;
            if let Some(change) = writer.delete_file(path)? {
                counts.changes.push(change);
            }
            counts.removed += 1;
        }
    }
    skipped.sort_by(|a, b| a.path.cmp(&b.path));
    skipped.dedup_by(|a, b| a.path == b.path);
    writer.set_skipped(&skipped)?;
    // Only once every file is written: a run cut short parses the files
    // of a renamed package again next time.
    writer.set_meta(MetaKey::Packages, &packages.to_json())?;
    writer.commit()?;
    Ok(counts)
}

/// The language a file without an extension names in its `#!` line. Only
/// regular files are opened (a FIFO or device never is), and only their
/// first 256 bytes are read.
fn shebang_language<'r>(
    path: &Path,
    registry: &'r Registry,
) -> Option<&'r codegraph_lang::Language> {
    use std::io::Read;
    if !std::fs::metadata(path).ok()?.is_file() {
        return None;
    }
    let mut head = [0u8; 256];
    let mut file = std::fs::File::open(path).ok()?;
    let n = file.read(&mut head).ok()?;
    registry.for_shebang(&head[..n])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NoProgress;

    #[test]
    fn a_file_deleted_between_walk_and_read_is_skipped_as_vanished() {
        let repo = tempfile::tempdir().unwrap();
        let idx = tempfile::tempdir().unwrap();
        std::fs::write(repo.path().join("kept.py"), "def f():\n    return 1\n").unwrap();
        std::fs::write(repo.path().join("gone.py"), "def g():\n    return 2\n").unwrap();
        let options = IndexOptions::default();
        let super::super::walk::Walk {
            candidates,
            skipped,
            ..
        } = super::super::walk::walk(repo.path(), &options, idx.path());
        assert_eq!(candidates.len(), 2);
        // The walk saw it; now it disappears before the pipeline reads it.
        std::fs::remove_file(repo.path().join("gone.py")).unwrap();
        let mut store = Store::open(&idx.path().join("index.sqlite")).unwrap();
        let counts = run(&mut store, &candidates, skipped, &options, &NoProgress).unwrap();
        assert_eq!(counts.parsed, 1);
        assert_eq!(counts.skipped, 1);
        let skipped = store.read().skipped().unwrap();
        assert_eq!(skipped.len(), 1);
        assert_eq!(
            (skipped[0].path.as_str(), skipped[0].reason.as_str()),
            ("gone.py", "vanished")
        );
        assert_eq!(store.read().stats().unwrap().files, 1);
    }

    #[test]
    fn minified_detection_looks_at_line_length() {
        assert!(minified(b"short\nlines\n", 10).is_none());
        assert!(minified(&[b'a'; 11], 10).is_some());
    }
}
