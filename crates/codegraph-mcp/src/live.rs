//! The live index behind the server: a reader every call shares, and an
//! indexer thread (the library's watcher) that builds the index when it is
//! missing, follows edits, and swaps in the reader that sees each update.
//! When another process already watches the index (`codegraph watch` or
//! `codegraph serve`), this process only reads: it reopens its reader
//! when that process commits an update, and takes the index over when that
//! process goes away (its watcher stopped, or dead: its lock released).

use codegraph::{IndexOptions, Indexer, Phase, Progress, Reader, WatchOptions, WatchUpdate};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

/// How to keep the index live.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    pub index: IndexOptions,
    /// Compute embeddings after updates (when a model is installed).
    pub embed: bool,
    /// Follow edits after the first update (otherwise index once).
    pub watch: bool,
}

impl Default for LiveOptions {
    fn default() -> Self {
        LiveOptions {
            index: IndexOptions {
                lock_wait: Some(Duration::from_secs(2)),
                ..IndexOptions::default()
            },
            embed: true,
            watch: true,
        }
    }
}

/// What the indexer is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IndexState {
    /// The first update (building, or catching up) runs.
    Indexing,
    /// Up to date; edits are followed.
    Ready,
    /// Another process keeps the index current; this one reads.
    Following,
    /// The indexer failed; answers come from the index as it is.
    Failed,
}

/// How complete the index is, reported with every answer.
#[derive(Debug, Clone, Serialize)]
pub struct Completeness {
    pub state: IndexState,
    /// Whether a completed index existed when the server started (answers
    /// during the first update come from it).
    pub indexed_before: bool,
    /// Whether an update completed since the server started.
    pub indexed_now: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phase: Option<Phase>,
    pub files_done: u64,
    pub files_total: u64,
    /// Updates applied since the server started.
    pub updates: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Completeness {
    /// Whether the graph and the lexical index are there to answer.
    pub fn has_index(&self) -> bool {
        self.indexed_before || self.indexed_now
    }

    /// One line for a model: how far the index is and what it means for
    /// the answer.
    pub fn summary(&self) -> String {
        let progress = match self.phase {
            Some(Phase::Walking) => "walking the files".to_owned(),
            Some(Phase::Parsing) => {
                format!("parsing, {} of {} files", self.files_done, self.files_total)
            }
            Some(p) => serde_json::to_value(p)
                .ok()
                .and_then(|v| v.as_str().map(|s| s.replace('_', " ")))
                .unwrap_or_default(),
            None => "starting".to_owned(),
        };
        match self.state {
            IndexState::Ready => "complete and live".to_owned(),
            IndexState::Following => "complete; kept live by another codegraph process".to_owned(),
            IndexState::Indexing if self.indexed_before && !self.indexed_now => {
                format!("catching up on changes ({progress}); answers come from the previous index")
            }
            IndexState::Indexing if self.indexed_now => {
                format!("updating ({progress}); answers come from the index before the update")
            }
            IndexState::Indexing => format!(
                "first build in progress ({progress}); graph answers are empty and search scans the files until it ends"
            ),
            IndexState::Failed => format!(
                "the indexer failed ({}); answers come from the index as it is",
                self.error.as_deref().unwrap_or("unknown error")
            ),
        }
    }
}

/// Where a server's answers come from: the reader to use now and how
/// complete its index is. [`Live`] is one (its own indexer); a program
/// that keeps the index current itself (`codegraph serve`, whose registry
/// holds one warm reader per repository) provides another, so that every
/// agent it serves shares that one index.
pub trait Source: Send + Sync + std::fmt::Debug + 'static {
    /// The repository's root (canonical).
    fn root(&self) -> &Path;
    /// The reader calls use now.
    fn reader(&self) -> Arc<Reader>;
    /// How complete the index behind [`Source::reader`] is.
    fn completeness(&self) -> Completeness;
}

impl Source for Live {
    fn root(&self) -> &Path {
        Live::root(self)
    }
    fn reader(&self) -> Arc<Reader> {
        Live::reader(self)
    }
    fn completeness(&self) -> Completeness {
        Live::completeness(self)
    }
}

/// The shared reader and the indexer thread of one repository.
#[derive(Debug)]
pub struct Live {
    root: PathBuf,
    reader: RwLock<Arc<Reader>>,
    completeness: Mutex<Completeness>,
    stop: Arc<AtomicBool>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Live {
    /// Opens (creating if needed) the index of `root` and starts its
    /// indexer thread; returns at once, before any indexing.
    pub fn start(root: &Path, options: LiveOptions) -> codegraph::Result<Arc<Live>> {
        // Another process writing this index (a watcher): read it and
        // follow its updates.
        let (indexer, reader) = match Indexer::open(root, options.index.clone()) {
            Ok(indexer) => {
                let reader = indexer.reader()?;
                (Some(indexer), reader)
            }
            Err(codegraph::Error::IndexBusy { holder, .. }) => {
                tracing::info!(%holder, "another process writes this index; following it");
                (None, Reader::open(root, options.index.clone())?)
            }
            Err(e) => return Err(e),
        };
        let indexed_before = reader.last_indexed()?.is_some();
        let live = Arc::new(Live {
            root: reader.root().to_owned(),
            reader: RwLock::new(Arc::new(reader)),
            completeness: Mutex::new(Completeness {
                state: IndexState::Indexing,
                indexed_before,
                indexed_now: false,
                phase: None,
                files_done: 0,
                files_total: 0,
                updates: 0,
                error: None,
            }),
            stop: Arc::new(AtomicBool::new(false)),
            thread: Mutex::new(None),
        });
        let weak = Arc::downgrade(&live);
        let handle = std::thread::Builder::new()
            .name("codegraph-mcp-indexer".into())
            .spawn(move || keep_live(weak, indexer, options))
            .map_err(|e| codegraph::Error::Other(format!("cannot start the indexer: {e}")))?;
        *live.thread.lock().expect("thread lock") = Some(handle);
        Ok(live)
    }

    /// A server over an existing reader, without an indexer (tests, and
    /// programs that keep the index current themselves).
    pub fn fixed(reader: Reader) -> codegraph::Result<Arc<Live>> {
        let indexed = reader.last_indexed()?.is_some();
        Ok(Arc::new(Live {
            root: reader.root().to_owned(),
            reader: RwLock::new(Arc::new(reader)),
            completeness: Mutex::new(Completeness {
                state: IndexState::Ready,
                indexed_before: indexed,
                indexed_now: indexed,
                phase: None,
                files_done: 0,
                files_total: 0,
                updates: 0,
                error: None,
            }),
            stop: Arc::new(AtomicBool::new(false)),
            thread: Mutex::new(None),
        }))
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The reader calls use now.
    pub fn reader(&self) -> Arc<Reader> {
        self.reader.read().expect("reader lock").clone()
    }

    fn swap(&self, next: Reader) {
        *self.reader.write().expect("reader lock") = Arc::new(next);
    }

    pub fn completeness(&self) -> Completeness {
        self.completeness.lock().expect("state lock").clone()
    }

    fn update(&self, f: impl FnOnce(&mut Completeness)) {
        f(&mut self.completeness.lock().expect("state lock"));
    }

    /// Stops the indexer at its next batch boundary and waits for it, at
    /// most `wait` (what it committed stays committed; an update in flight
    /// is redone by the next run).
    pub fn shutdown(&self, wait: Duration) {
        self.stop.store(true, Ordering::Relaxed);
        let Some(handle) = self.thread.lock().expect("thread lock").take() else {
            return;
        };
        let deadline = std::time::Instant::now() + wait;
        while !handle.is_finished() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        if handle.is_finished() {
            let _ = handle.join();
        } else {
            tracing::info!("the indexer is still busy; leaving it");
        }
    }
}

/// Feeds the indexer's progress into the completeness report.
struct Feed {
    live: std::sync::Weak<Live>,
    stop: Arc<AtomicBool>,
    files_done: AtomicU64,
}

impl Feed {
    fn update(&self, f: impl FnOnce(&mut Completeness)) {
        if let Some(live) = self.live.upgrade() {
            live.update(f);
        }
    }
}

impl Progress for Feed {
    fn phase(&self, phase: Phase) {
        self.update(|c| {
            if c.state != IndexState::Failed {
                c.state = IndexState::Indexing;
            }
            c.phase = Some(phase);
            if !matches!(phase, Phase::Walking | Phase::Parsing) {
                c.files_done = c.files_total;
            }
        });
    }

    fn files_found(&self, count: usize) {
        self.files_done.store(0, Ordering::Relaxed);
        self.update(|c| {
            c.files_total = count as u64;
            c.files_done = 0;
        });
    }

    fn file_done(&self, _path: &str) {
        let done = self.files_done.fetch_add(1, Ordering::Relaxed) + 1;
        if done.is_multiple_of(32) {
            self.update(|c| c.files_done = done);
        }
    }

    fn cancelled(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

/// The indexer thread: indexes and follows edits; while another process
/// keeps the index current (its watcher runs, or it holds the write lock),
/// reads what that process writes; when that process goes away, takes the
/// index over and keeps it current itself.
fn keep_live(live: std::sync::Weak<Live>, mut indexer: Option<Indexer>, options: LiveOptions) {
    let Some(stop) = live.upgrade().map(|l| l.stop.clone()) else {
        return;
    };
    loop {
        if let Some(ix) = indexer.take()
            && !run_indexer(live.clone(), ix, &options)
        {
            return;
        }
        if !follow(&live, &stop) {
            return;
        }
        let Some(root) = live.upgrade().map(|l| l.root.clone()) else {
            return;
        };
        match Indexer::open(&root, options.index.clone()) {
            Ok(ix) => {
                tracing::info!("the process that kept this index current is gone; taking it over");
                indexer = Some(ix);
            }
            // Busy again (a one-shot `codegraph index`, or another
            // follower was quicker): follow on.
            Err(codegraph::Error::IndexBusy { .. }) => {}
            Err(e) => {
                tracing::warn!(error = %e, "cannot take the index over");
                if let Some(l) = live.upgrade() {
                    l.update(|c| {
                        c.state = IndexState::Failed;
                        c.error = Some(e.to_string());
                    });
                }
                return;
            }
        }
    }
}

/// Runs the indexer until stopped; `true` when another process turned out
/// to keep the index (this one should follow it).
fn run_indexer(live: std::sync::Weak<Live>, mut indexer: Indexer, options: &LiveOptions) -> bool {
    let Some(first) = live.upgrade() else {
        return false;
    };
    let stop = first.stop.clone();
    drop(first);
    let feed = Feed {
        live: live.clone(),
        stop: stop.clone(),
        files_done: AtomicU64::new(0),
    };
    let on_update = |_: &Indexer, u: &WatchUpdate| {
        let Some(l) = live.upgrade() else { return };
        match l.reader().next(&u.changes) {
            Ok(next) => l.swap(next),
            Err(e) => tracing::warn!(error = %e, "cannot open the next reader"),
        }
        l.update(|c| {
            c.state = IndexState::Ready;
            c.phase = None;
            c.indexed_now = true;
            c.updates += 1;
            c.files_done = c.files_total;
        });
        tracing::info!(files = u.paths.len(), ms = u.latency_ms, "index updated");
    };
    let result = if options.watch {
        let watch = WatchOptions {
            embed: options.embed,
            // Calls first: the indexer runs at the lowest CPU priority.
            background: true,
            ..WatchOptions::default()
        };
        indexer.watch(&watch, &feed, &stop, on_update)
    } else {
        codegraph::process::lower_thread_priority();
        indexer
            .update_once(&feed, options.embed)
            .map(|update| on_update(&indexer, &update))
    };
    match result {
        Ok(()) => false,
        Err(e) if is_watched_elsewhere(&indexer, &e) => {
            tracing::info!(error = %e, "another process keeps this index current; following it");
            true
        }
        Err(e) => {
            tracing::warn!(error = %e, "indexing failed");
            if let Some(l) = live.upgrade() {
                l.update(|c| {
                    c.state = IndexState::Failed;
                    c.error = Some(e.to_string());
                });
            }
            false
        }
    }
}

/// Whether `e` says another process watches (or writes) the index.
fn is_watched_elsewhere(indexer: &Indexer, e: &codegraph::Error) -> bool {
    matches!(e, codegraph::Error::IndexBusy { .. })
        || codegraph::WatcherState::read(indexer.index_dir()).is_some_and(|s| {
            s.pid != std::process::id()
                && s.state != codegraph::WatcherStatus::Dead
                && s.state != codegraph::WatcherStatus::Stopped
        })
}

/// Whether another live process keeps the index in `index_dir` current:
/// a watcher (`codegraph watch`, `serve`, another `mcp`) that is neither
/// stopped nor dead (its lock is held while it lives).
fn kept_elsewhere(index_dir: &Path) -> bool {
    codegraph::WatcherState::read(index_dir).is_some_and(|s| {
        s.pid != std::process::id()
            && s.state != codegraph::WatcherStatus::Dead
            && s.state != codegraph::WatcherStatus::Stopped
    })
}

/// Reads an index another process keeps current: a fresh reader whenever
/// that process completes a run. `true` when that process is gone (time to
/// take over); `false` when stopping.
fn follow(live: &std::sync::Weak<Live>, stop: &AtomicBool) -> bool {
    let mut seen = None;
    while !stop.load(Ordering::Relaxed) {
        let Some(l) = live.upgrade() else {
            return false;
        };
        let root = l.root.clone();
        let current = l.reader().last_indexed().ok().flatten();
        let options = l.reader().index_dir().to_owned();
        if current != seen || seen.is_none() {
            let opened = Reader::open(
                &root,
                IndexOptions {
                    index_dir: Some(options),
                    ..IndexOptions::default()
                },
            );
            match opened {
                Ok(r) => {
                    seen = r.last_indexed().ok().flatten();
                    l.swap(r);
                    l.update(|c| {
                        c.state = IndexState::Following;
                        c.phase = None;
                        c.indexed_now = seen.is_some();
                        c.updates += 1;
                    });
                }
                Err(e) => tracing::warn!(error = %e, "cannot reopen the index"),
            }
        }
        let index_dir = l.reader().index_dir().to_owned();
        drop(l);
        if !kept_elsewhere(&index_dir) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    false
}
