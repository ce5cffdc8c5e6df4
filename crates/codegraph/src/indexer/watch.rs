//! Following edits: a file-system watcher (notify) whose events are
//! debounced into batches; each batch is one incremental update (only
//! changed files are re-parsed), then the embeddings of new chunk contents.
//! Changes made while nothing watched are found by the first update, which
//! runs before watching starts.

use super::{IndexReport, Indexer};
use crate::changes::ChangeSet;
use crate::process::{lower_thread_priority, resident_memory};
use crate::{Progress, Result};
use codegraph_core::{UpdateCause, WatcherStatus, unix_now_secs};
use notify::{RecursiveMode, Watcher as _};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How events become updates.
#[derive(Debug, Clone)]
pub struct WatchOptions {
    /// An update starts after this long without new events...
    pub quiet: Duration,
    /// ...or this long after the first event of a batch, whichever is first,
    /// so a steady stream of writes cannot postpone updates forever.
    pub max_wait: Duration,
    /// Embed new chunk contents after each update (when a model is
    /// installed).
    pub embed: bool,
    /// Resident memory the watcher tries to stay under, bytes. Above it,
    /// after an update, the in-memory caches (graph facts, graph, context
    /// corpus, search readers, model) are dropped; later updates and queries
    /// reload what they need. `None`: no budget.
    pub memory_budget: Option<u64>,
    /// Index at the lowest CPU priority, so that queries served by the same
    /// process or machine win the cores while an update runs. On Linux the
    /// watching thread is set to nice 19 for good, and threads it starts
    /// (parsing, embedding) inherit it; a process cannot raise it back
    /// without privileges. Elsewhere this does nothing.
    pub background: bool,
}

impl Default for WatchOptions {
    fn default() -> Self {
        WatchOptions {
            quiet: Duration::from_millis(150),
            max_wait: Duration::from_secs(2),
            embed: true,
            memory_budget: None,
            background: false,
        }
    }
}

/// What a watching process publishes about itself in the index directory
/// (`watch.json`), for `status` in other processes. Whether the watcher
/// is alive is not taken from this file but from `watch.lock`, which the
/// watcher holds locked for its whole life (the lock dies with the process,
/// `kill -9` included).
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct WatcherState {
    pub pid: u32,
    /// Unix seconds.
    pub started_at: i64,
    /// `starting` (catch-up run), `idle`, `updating`, `stopped`; a
    /// watcher that died without stopping is reported as `dead`.
    pub state: WatcherStatus,
    /// Updates applied since start (the catch-up run included).
    pub updates: u64,
    /// Unix seconds of the last applied update.
    pub last_update_at: Option<i64>,
    /// Duration of the last update (index + embeddings), milliseconds.
    pub last_update_ms: Option<u64>,
    /// From its first event to the last update committed, milliseconds.
    pub last_latency_ms: Option<u64>,
    /// Files the last update named.
    pub last_paths: usize,
    /// Resident memory of the watching process after its last update.
    pub rss_bytes: Option<u64>,
    /// The configured memory budget, bytes.
    pub memory_budget: Option<u64>,
    /// Times the in-memory caches were dropped to stay within the budget.
    pub evictions: u64,
}

const STATE_FILE: &str = "watch.json";
const LOCK_FILE: &str = "watch.lock";

impl WatcherState {
    fn save(&self, index_dir: &Path) {
        let tmp = index_dir.join(format!("{STATE_FILE}.tmp"));
        let ok = serde_json::to_vec_pretty(self)
            .ok()
            .is_some_and(|bytes| std::fs::write(&tmp, bytes).is_ok())
            && std::fs::rename(&tmp, index_dir.join(STATE_FILE)).is_ok();
        if !ok {
            tracing::warn!(dir = %index_dir.display(), "cannot write the watcher state");
        }
    }

    /// The state a watcher on `index_dir` published, with `state` set to
    /// `dead` when no live process holds the watch lock any more; `None`
    /// when no watcher ever ran there.
    pub fn read(index_dir: &Path) -> Option<WatcherState> {
        let text = std::fs::read(index_dir.join(STATE_FILE)).ok()?;
        let mut state: WatcherState = serde_json::from_slice(&text).ok()?;
        if state.state != WatcherStatus::Stopped && !watch_lock_held(index_dir) {
            state.state = WatcherStatus::Dead;
        }
        Some(state)
    }
}

/// Whether a live process holds the watch lock of `index_dir`.
fn watch_lock_held(index_dir: &Path) -> bool {
    let Ok(file) = std::fs::File::open(index_dir.join(LOCK_FILE)) else {
        return false;
    };
    match file.try_lock_shared() {
        Ok(()) => false,
        Err(std::fs::TryLockError::WouldBlock) => true,
        Err(std::fs::TryLockError::Error(_)) => false,
    }
}

/// One applied batch.
#[derive(Debug, Clone, Serialize)]
pub struct WatchUpdate {
    /// `startup` for the catch-up run, `change` for edits, `repair` after
    /// a reader reported damage.
    pub cause: UpdateCause,
    /// File-system events merged into this update.
    pub events: usize,
    /// Distinct paths they named (relative to the root).
    pub paths: Vec<String>,
    pub report: IndexReport,
    /// Chunks embedded after the update.
    pub embedded: u64,
    /// From the first event to the update committed, milliseconds.
    pub latency_ms: u64,
    /// Resident memory of this process after the update (Linux), bytes.
    pub rss_bytes: Option<u64>,
    /// What readers must follow (the update and its embeddings).
    #[serde(skip)]
    pub changes: ChangeSet,
}

impl Indexer {
    /// One update without watching: index, then embed new chunk contents
    /// when `embed`, reported as a watcher's startup update (for programs
    /// that keep a reader current, with watching off).
    pub fn update_once(&mut self, progress: &dyn Progress, embed: bool) -> Result<WatchUpdate> {
        let started = Instant::now();
        let mut report = self.index(progress)?;
        let mut changes = std::mem::take(&mut report.changes);
        let mut embedded = 0;
        if embed && let Some(r) = self.embed_pending(progress)? {
            embedded = r.embedded;
            changes.merge(r.changes);
        }
        Ok(WatchUpdate {
            cause: UpdateCause::Startup,
            events: 0,
            paths: Vec::new(),
            report,
            embedded,
            latency_ms: started.elapsed().as_millis() as u64,
            rss_bytes: resident_memory(),
            changes,
        })
    }

    /// Watches the repository until `stop` is set, applying changes in
    /// batches; `on_update` sees this indexer and each applied batch (build
    /// the next reader there: [`crate::Reader::next`]). Returns when
    /// stopped or when the watcher fails.
    pub fn watch(
        &mut self,
        options: &WatchOptions,
        progress: &dyn Progress,
        stop: &AtomicBool,
        mut on_update: impl FnMut(&Indexer, &WatchUpdate),
    ) -> Result<()> {
        // One watcher per index: the lock is held until this returns (or the
        // process dies), and tells `status` elsewhere that it is alive.
        let lock_path = self.loc.index_dir.join(LOCK_FILE);
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|source| crate::Error::Io {
                path: lock_path.clone(),
                source,
            })?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let pid = WatcherState::read(&self.loc.index_dir).map(|s| s.pid);
                return Err(crate::Error::Other(format!(
                    "{} is already watched (pid {})",
                    self.loc.root.display(),
                    pid.map_or("unknown".into(), |p| p.to_string())
                )));
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(crate::Error::Other(format!("cannot lock the index: {e}")));
            }
        }
        let mut state = WatcherState {
            pid: std::process::id(),
            started_at: unix_now_secs(),
            state: WatcherStatus::Starting,
            updates: 0,
            last_update_at: None,
            last_update_ms: None,
            last_latency_ms: None,
            last_paths: 0,
            rss_bytes: resident_memory(),
            memory_budget: options.memory_budget,
            evictions: 0,
        };
        state.save(&self.loc.index_dir);
        // The writer lock, for the watcher's whole life.
        let result = self.locked("watch", |ix| {
            let result = ix.watch_locked(options, progress, stop, &mut state, &mut on_update);
            // The next process opens the vector index without patching it.
            if let Err(e) = ix.flush_vectors() {
                tracing::warn!(error = %e, "cannot save the vector index");
            }
            result
        });
        state.state = WatcherStatus::Stopped;
        state.save(&self.loc.index_dir);
        drop(lock);
        result
    }

    fn watch_locked(
        &mut self,
        options: &WatchOptions,
        progress: &dyn Progress,
        stop: &AtomicBool,
        state: &mut WatcherState,
        on_update: &mut impl FnMut(&Indexer, &WatchUpdate),
    ) -> Result<()> {
        if options.background {
            lower_thread_priority();
        }
        let (tx, rx) = crossbeam_channel::unbounded();
        let watcher = notify::recommended_watcher(move |event| {
            let _ = tx.send(event);
        })
        .map_err(|e| crate::Error::Other(format!("cannot watch: {e}")))?;
        // Watch first, then catch up: nothing changed between the two is lost.
        let mut dirs = DirWatch::new(watcher, &self.loc.root)?;
        let walked = super::walk::walk(&self.loc.root, &self.options, &self.loc.index_dir);
        dirs.sync(&walked.dirs);
        let started = Instant::now();
        let update = self.apply(
            options,
            progress,
            UpdateCause::Startup,
            0,
            Vec::new(),
            started,
        )?;
        // Keep the graph facts from now on, so the first change does not
        // pay for loading them.
        self.keep_graph_facts()?;
        self.after_update(options, state, &update, started);
        on_update(self, &update);
        let mut rescan = self.follow_dirs(&mut dirs);
        while !stop.load(Ordering::Relaxed) {
            if rescan {
                // Directories appeared: files made in them before their
                // watch was added are found by one more update.
                let started = Instant::now();
                let update = self.apply(
                    options,
                    progress,
                    UpdateCause::Change,
                    0,
                    Vec::new(),
                    started,
                )?;
                self.after_update(options, state, &update, started);
                if !update.changes.is_empty() {
                    on_update(self, &update);
                }
                rescan = self.follow_dirs(&mut dirs);
                continue;
            }
            // Block (without spinning) for the first event of a batch.
            let first = match rx.recv_timeout(Duration::from_millis(250)) {
                Ok(e) => e,
                Err(crossbeam_channel::RecvTimeoutError::Timeout) => {
                    if self.damage_reported() {
                        // A reader (in any process) found damage: heal now.
                        let started = Instant::now();
                        let update = self.apply(
                            options,
                            progress,
                            UpdateCause::Repair,
                            0,
                            Vec::new(),
                            started,
                        )?;
                        self.after_update(options, state, &update, started);
                        on_update(self, &update);
                        rescan = self.follow_dirs(&mut dirs);
                    }
                    continue;
                }
                Err(crossbeam_channel::RecvTimeoutError::Disconnected) => break,
            };
            let batch_start = Instant::now();
            let mut events = vec![first];
            loop {
                let waited = batch_start.elapsed();
                if waited >= options.max_wait {
                    break;
                }
                let left = (options.max_wait - waited).min(options.quiet);
                match rx.recv_timeout(left) {
                    Ok(e) => events.push(e),
                    Err(_) => break,
                }
            }
            let Some(paths) = self.changed_paths(&events) else {
                continue; // only the index itself or .git internals moved
            };
            let update_start = Instant::now();
            state.state = WatcherStatus::Updating;
            state.save(&self.loc.index_dir);
            let update = self.apply(
                options,
                progress,
                UpdateCause::Change,
                events.len(),
                paths,
                batch_start,
            )?;
            self.after_update(options, state, &update, update_start);
            on_update(self, &update);
            rescan = self.follow_dirs(&mut dirs);
        }
        Ok(())
    }

    /// Watches the directories the last index run entered (and no more);
    /// whether new ones were added.
    fn follow_dirs(&mut self, dirs: &mut DirWatch) -> bool {
        match self.walked_dirs.take() {
            Some(walked) => dirs.sync(&walked) > 0,
            None => false,
        }
    }

    /// The paths a batch of events names that can change the index;
    /// `None` when there is nothing to do (a watch error is something: the
    /// next update rescans).
    fn changed_paths(&self, events: &[notify::Result<notify::Event>]) -> Option<Vec<String>> {
        let mut paths: Vec<String> = Vec::new();
        let mut errors = 0;
        for e in events {
            match e {
                // Reads (ours included: indexing opens files) change nothing.
                Ok(event) if matches!(event.kind, notify::EventKind::Access(_)) => {}
                Ok(event) => {
                    for p in &event.paths {
                        if let Some(rel) = relevant(&self.loc.root, &self.loc.index_dir, p) {
                            paths.push(rel);
                        }
                    }
                }
                Err(err) => {
                    errors += 1;
                    tracing::warn!(error = %err, "watch error; the next update rescans");
                }
            }
        }
        paths.sort();
        paths.dedup();
        (!paths.is_empty() || errors > 0).then_some(paths)
    }

    /// One update: index, then embed, as one [`WatchUpdate`].
    fn apply(
        &mut self,
        options: &WatchOptions,
        progress: &dyn Progress,
        cause: UpdateCause,
        events: usize,
        paths: Vec<String>,
        since: Instant,
    ) -> Result<WatchUpdate> {
        let update_start = Instant::now();
        let mut report = self.index(progress)?;
        let indexed_ms = update_start.elapsed().as_millis() as u64;
        let mut changes = std::mem::take(&mut report.changes);
        let embedded = if options.embed {
            match self.embed_pending(progress)? {
                Some(r) => {
                    changes.merge(r.changes);
                    r.embedded
                }
                None => 0,
            }
        } else {
            0
        };
        tracing::debug!(
            indexed_ms,
            embedded_ms = update_start.elapsed().as_millis() as u64 - indexed_ms,
            parsed = report.run.parsed,
            resolved = report.graph.as_ref().and_then(|g| g.files_resolved),
            graph_ms = report.graph.as_ref().map(|g| g.elapsed_ms),
            embedded,
            "watch update"
        );
        Ok(WatchUpdate {
            cause,
            events,
            paths,
            report,
            embedded,
            latency_ms: since.elapsed().as_millis() as u64,
            rss_bytes: resident_memory(),
            changes,
        })
    }

    /// Publishes the watcher state and keeps memory within the budget.
    fn after_update(
        &mut self,
        options: &WatchOptions,
        state: &mut WatcherState,
        update: &WatchUpdate,
        started: Instant,
    ) {
        state.updates += 1;
        state.last_update_at = Some(unix_now_secs());
        state.last_update_ms = Some(started.elapsed().as_millis() as u64);
        state.last_latency_ms = Some(update.latency_ms);
        state.last_paths = update.paths.len();
        state.rss_bytes = update.rss_bytes;
        if let (Some(budget), Some(rss)) = (options.memory_budget, update.rss_bytes)
            && rss > budget
        {
            tracing::info!(rss, budget, "over the memory budget: dropping caches");
            self.drop_caches();
            state.evictions += 1;
            state.rss_bytes = resident_memory();
        }
        state.state = WatcherStatus::Idle;
        state.save(&self.loc.index_dir);
    }
}

/// The directories being watched, one non-recursive watch each: exactly
/// those the walk enters, so ignored trees (`node_modules`, `target`) cost
/// no watches, and one directory that cannot be watched (unreadable, or
/// the system's watch limit reached) is logged and left out instead of
/// failing the whole watcher. Its files are still indexed by every update's
/// walk as far as they can be read (the walk records what it skips).
struct DirWatch {
    watcher: notify::RecommendedWatcher,
    watched: std::collections::HashSet<PathBuf>,
    /// Directories that could not be watched (reported once each).
    refused: std::collections::HashSet<PathBuf>,
}

impl DirWatch {
    /// Watches `root` itself (an error if even that fails).
    fn new(mut watcher: notify::RecommendedWatcher, root: &Path) -> Result<DirWatch> {
        watcher
            .watch(root, RecursiveMode::NonRecursive)
            .map_err(|e| crate::Error::Other(format!("cannot watch {}: {e}", root.display())))?;
        Ok(DirWatch {
            watcher,
            watched: std::iter::once(root.to_owned()).collect(),
            refused: Default::default(),
        })
    }

    /// Makes the watched set `dirs`; returns how many were added.
    fn sync(&mut self, dirs: &[PathBuf]) -> usize {
        let wanted: std::collections::HashSet<&PathBuf> = dirs.iter().collect();
        let gone: Vec<PathBuf> = self
            .watched
            .iter()
            .filter(|d| !wanted.contains(d))
            .cloned()
            .collect();
        for dir in gone {
            // A deleted directory's watch is gone already: ignore errors.
            let _ = self.watcher.unwatch(&dir);
            self.watched.remove(&dir);
        }
        let mut added = 0;
        for dir in dirs {
            if self.watched.contains(dir) {
                continue;
            }
            match self.watcher.watch(dir, RecursiveMode::NonRecursive) {
                Ok(()) => {
                    self.watched.insert(dir.clone());
                    self.refused.remove(dir);
                    added += 1;
                }
                Err(e) => {
                    if self.refused.insert(dir.clone()) {
                        let hint = if matches!(e.kind, notify::ErrorKind::MaxFilesWatch) {
                            " (raise fs.inotify.max_user_watches)"
                        } else {
                            ""
                        };
                        tracing::warn!(dir = %dir.display(), error = %e, "cannot watch this directory; its changes are found by the next update{hint}");
                    }
                }
            }
        }
        added
    }
}

/// The path relative to the root when an event on it can change the index:
/// not inside the index directory, not git's own files (a checkout shows as
/// events on the working tree).
fn relevant(root: &Path, index_dir: &Path, path: &Path) -> Option<String> {
    if path.starts_with(index_dir) {
        return None;
    }
    let rel: PathBuf = path.strip_prefix(root).ok()?.to_owned();
    let first = rel.components().next()?;
    if first.as_os_str() == ".git" {
        return None;
    }
    Some(super::walk::relative_to_string(&rel))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_in_the_index_or_git_are_not_changes() {
        let root = Path::new("/r");
        let idx = Path::new("/r/.idx");
        assert_eq!(
            relevant(root, idx, Path::new("/r/src/a.rs")).as_deref(),
            Some("src/a.rs")
        );
        assert_eq!(relevant(root, idx, Path::new("/r/.idx/index.sqlite")), None);
        assert_eq!(relevant(root, idx, Path::new("/r/.git/index")), None);
        assert_eq!(relevant(root, idx, Path::new("/elsewhere/x")), None);
    }
}
