//! Following edits: a file-system watcher (notify) whose events are
//! debounced into batches; each batch is one incremental update (only
//! changed files are re-parsed), then the embeddings of new chunk contents.
//! Changes made while nothing watched are found by the first update, which
//! runs before watching starts.

use crate::{Codegraph, IndexReport, Progress, Result};
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
}

impl Default for WatchOptions {
    fn default() -> Self {
        WatchOptions {
            quiet: Duration::from_millis(150),
            max_wait: Duration::from_secs(2),
            embed: true,
        }
    }
}

/// One applied batch.
#[derive(Debug, Clone, Serialize)]
pub struct WatchUpdate {
    /// `startup` for the catch-up run, else `change`.
    pub cause: &'static str,
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
}

/// The resident set size of this process, from `/proc/self/status`.
pub fn resident_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb * 1024)
}

impl Codegraph {
    /// Watches the repository until `stop` is set, applying changes in
    /// batches; `on_update` sees each applied batch. Returns when stopped
    /// or when the watcher fails.
    pub fn watch(
        &mut self,
        options: &WatchOptions,
        progress: &dyn Progress,
        stop: &AtomicBool,
        mut on_update: impl FnMut(&WatchUpdate),
    ) -> Result<()> {
        let (tx, rx) = crossbeam_channel::unbounded();
        let mut watcher = notify::recommended_watcher(move |event| {
            let _ = tx.send(event);
        })
        .map_err(|e| crate::Error::Other(format!("cannot watch: {e}")))?;
        // Watch first, then catch up: nothing changed between the two is lost.
        watcher
            .watch(&self.root, RecursiveMode::Recursive)
            .map_err(|e| {
                crate::Error::Other(format!("cannot watch {}: {e}", self.root.display()))
            })?;
        let started = Instant::now();
        let report = self.index(progress)?;
        // Keep the graph facts from now on, so the first change does not
        // pay for loading them.
        self.keep_graph_facts()?;
        let embedded = self.embed_if(options.embed, progress)?;
        on_update(&WatchUpdate {
            cause: "startup",
            events: 0,
            paths: Vec::new(),
            report,
            embedded,
            latency_ms: started.elapsed().as_millis() as u64,
            rss_bytes: resident_memory(),
        });
        let index_dir = self.index_dir.clone();
        let root = self.root.clone();
        while !stop.load(Ordering::Relaxed) {
            // Block (without spinning) for the first event of a batch.
            let first = match rx.recv_timeout(Duration::from_millis(250)) {
                Ok(e) => e,
                Err(crossbeam_channel::RecvTimeoutError::Timeout) => continue,
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
            let mut paths: Vec<String> = Vec::new();
            let mut errors = Vec::new();
            for e in &events {
                match e {
                    // Reads (ours included: indexing opens files) change nothing.
                    Ok(event) if matches!(event.kind, notify::EventKind::Access(_)) => {}
                    Ok(event) => {
                        for p in &event.paths {
                            if let Some(rel) = relevant(&root, &index_dir, p) {
                                paths.push(rel);
                            }
                        }
                    }
                    Err(err) => errors.push(err.to_string()),
                }
            }
            for err in &errors {
                tracing::warn!(error = %err, "watch error; the next update rescans");
            }
            paths.sort();
            paths.dedup();
            if paths.is_empty() && errors.is_empty() {
                continue; // only the index itself or .git internals moved
            }
            let report = self.index(progress)?;
            let embedded = self.embed_if(options.embed, progress)?;
            on_update(&WatchUpdate {
                cause: "change",
                events: events.len(),
                paths,
                report,
                embedded,
                latency_ms: batch_start.elapsed().as_millis() as u64,
                rss_bytes: resident_memory(),
            });
        }
        Ok(())
    }

    fn embed_if(&mut self, embed: bool, progress: &dyn Progress) -> Result<u64> {
        if !embed {
            return Ok(0);
        }
        Ok(self.embed_pending(progress)?.map_or(0, |r| r.embedded))
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
    Some(crate::walk::relative_to_string(&rel))
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
