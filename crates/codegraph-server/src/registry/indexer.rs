//! The indexer thread of one repository: watch (or index once), swap
//! readers after each update, obey reindex and stop commands; its progress
//! feeds the repository's state.

use super::{Command, Repo, RepoConfig, RunState, now_secs};
use crate::convert::timestamp;
use crate::pb;
use codegraph::{Indexer, Phase, Progress, Reader, WatchOptions, WatchUpdate};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Feeds the indexer's progress into the repository's state.
struct Feed {
    repo: std::sync::Weak<Repo>,
    stop: Arc<AtomicBool>,
    started: Instant,
    files_done: AtomicU64,
}

impl Feed {
    fn update(&self, f: impl FnOnce(&mut RunState)) {
        if let Some(repo) = self.repo.upgrade() {
            repo.state.send_modify(|s| {
                s.finished = false;
                f(s);
                s.progress.elapsed_ms = self.started.elapsed().as_millis() as u64;
            });
        }
    }
}

impl Progress for Feed {
    fn phase(&self, phase: Phase) {
        let p = match phase {
            Phase::Walking => pb::IndexPhase::Walking,
            Phase::Parsing => pb::IndexPhase::Parsing,
            Phase::ResolvingGraph => pb::IndexPhase::ResolvingGraph,
            Phase::LexicalIndex => pb::IndexPhase::LexicalIndex,
            Phase::Embedding => pb::IndexPhase::Embedding,
            Phase::VectorIndex => pb::IndexPhase::VectorIndex,
        };
        let done = self.files_done.load(Ordering::Relaxed);
        self.update(|s| {
            s.progress.phase = p as i32;
            // Past parsing, every file found is done.
            if !matches!(phase, Phase::Walking | Phase::Parsing) {
                s.progress.files_done = done.max(s.progress.files_done);
                s.progress.current_path.clear();
            }
        });
    }

    fn files_found(&self, count: usize) {
        self.files_done.store(0, Ordering::Relaxed);
        self.update(|s| {
            s.progress.files_total = count as u64;
            s.progress.files_done = 0;
        });
    }

    fn file_done(&self, path: &str) {
        let done = self.files_done.fetch_add(1, Ordering::Relaxed) + 1;
        // Every file would flood subscribers; every 64th and the last do.
        if done.is_multiple_of(64) {
            self.update(|s| {
                s.progress.files_done = done;
                s.progress.current_path = path.to_owned();
            });
        }
    }

    fn embed_progress(&self, done: u64, total: u64) {
        self.update(|s| {
            s.progress.chunks_embedded = done;
            s.progress.chunks_total = total;
        });
    }

    fn cancelled(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

/// The indexer of one repository: watch (or index once), swap readers
/// after each update, obey reindex and stop commands.
pub(super) fn indexer(
    repo: std::sync::Weak<Repo>,
    commands: std::sync::mpsc::Receiver<Command>,
    next_run: Arc<AtomicU64>,
) {
    let Some(first) = repo.upgrade() else { return };
    let config = first.config.clone();
    let stop = first.stop.clone();
    drop(first);
    let mut cause = pb::RunCause::Startup;
    loop {
        stop.store(false, Ordering::Relaxed);
        let run_id = next_run.fetch_add(1, Ordering::Relaxed);
        let feed = Feed {
            repo: repo.clone(),
            stop: stop.clone(),
            started: Instant::now(),
            files_done: AtomicU64::new(0),
        };
        feed.update(|s| {
            s.progress = pb::IndexProgress {
                run_id,
                cause: cause as i32,
                phase: pb::IndexPhase::Walking as i32,
                start_time: Some(timestamp(now_secs())),
                ..Default::default()
            };
        });
        let result = run(&repo, &config, &feed, &stop, run_id, cause);
        match result {
            Ok(()) => {}
            Err(e) => {
                tracing::warn!(root = %config.root.display(), error = %e, "indexing failed");
                feed.update(|s| {
                    s.progress.phase = pb::IndexPhase::Failed as i32;
                    s.finished = true;
                    s.watcher = if config.watch {
                        pb::WatcherState::Failed as i32
                    } else {
                        s.watcher
                    };
                    s.watcher_error = e.to_string();
                    s.last_run = Some(pb::RunSummary {
                        run_id,
                        cause: cause as i32,
                        succeeded: false,
                        error_message: e.to_string(),
                        ..Default::default()
                    });
                });
            }
        }
        // Stopped (or done, without a watcher): wait for what comes next.
        let command = if config.watch && !stop.load(Ordering::Relaxed) {
            // The watcher failed: retry after a pause unless told otherwise.
            match commands.recv_timeout(Duration::from_secs(5)) {
                Ok(c) => Some(c),
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => None,
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => Some(Command::Stop),
            }
        } else {
            commands.recv().ok().or(Some(Command::Stop))
        };
        match command {
            Some(Command::Stop) => break,
            Some(Command::Reindex { full }) => {
                cause = if full {
                    pb::RunCause::ReindexFull
                } else {
                    pb::RunCause::ReindexIncremental
                };
                if full {
                    // Readers hold the old files open; the new index is
                    // built beside them and readers are swapped afterwards.
                    if let Err(e) = std::fs::remove_dir_all(&config.index_dir) {
                        tracing::warn!(error = %e, "cannot delete the index for a full reindex");
                    }
                }
            }
            None => cause = pb::RunCause::Startup,
        }
        if repo.upgrade().is_none() {
            break;
        }
    }
}

fn run(
    repo: &std::sync::Weak<Repo>,
    config: &RepoConfig,
    feed: &Feed,
    stop: &AtomicBool,
    run_id: u64,
    cause: pb::RunCause,
) -> codegraph::Result<()> {
    let mut indexer = Indexer::open(&config.root, config.index_options())?;
    let mut first = true;
    // Readers swapped out, dropped here once no query holds them: freeing
    // one (its graph, corpus and vectors) takes tens of milliseconds, which
    // would otherwise fall on the query that let go of it last.
    let mut retired: Vec<Arc<Reader>> = Vec::new();
    let mut on_update = |_: &Indexer, u: &WatchUpdate| {
        let Some(r) = repo.upgrade() else { return };
        if stop.load(Ordering::Relaxed) {
            return; // stopping: the next run swaps readers
        }
        // The next reader, built off the query path from the current one
        // (sharing what the update did not touch), then swapped in.
        let t = Instant::now();
        let next = r.reader().next(&u.changes);
        tracing::debug!(ms = t.elapsed().as_millis() as u64, "next reader built");
        match next {
            Ok(next) => retired.push(r.swap_reader(next)),
            Err(e) => tracing::warn!(error = %e, "cannot open the next reader"),
        }
        let t = Instant::now();
        let before = retired.len();
        retired.retain(|old| Arc::strong_count(old) > 1);
        tracing::debug!(
            dropped = before - retired.len(),
            held = retired.len(),
            ms = t.elapsed().as_millis() as u64,
            "retired readers"
        );
        let this_cause = match (first, u.cause) {
            (true, _) => cause,
            (false, codegraph::UpdateCause::Repair) => pb::RunCause::Repair,
            (false, _) => pb::RunCause::Watch,
        };
        first = false;
        let started = now_secs() - (u.latency_ms / 1000) as i64;
        r.state.send_modify(|s| {
            s.progress.phase = pb::IndexPhase::Ready as i32;
            s.progress.files_done = s.progress.files_total;
            s.last_run = Some(crate::convert::run_summary(run_id, this_cause, u, started));
            s.finished = true;
            s.indexed = true;
            s.updates += 1;
            s.last_update_at = Some(now_secs());
            s.last_latency_ms = u.latency_ms;
            if config.watch {
                s.watcher = pb::WatcherState::Watching as i32;
            }
        });
    };
    if config.watch {
        let options = WatchOptions {
            quiet: Duration::from_millis(u64::from(config.quiet_ms.max(1))),
            max_wait: Duration::from_millis(u64::from(config.max_wait_ms.max(1))),
            embed: config.embed,
            memory_budget: None,
            // Queries first: the indexer runs at the lowest CPU priority.
            background: true,
        };
        indexer.watch(&options, feed, stop, on_update)
    } else {
        codegraph::process::lower_thread_priority();
        let update = indexer.update_once(feed, config.embed)?;
        on_update(&indexer, &update);
        Ok(())
    }
}
