//! One writer per index, across processes: every write (an index run,
//! embedding, compaction, a watcher for its whole life) holds `write.lock`
//! in the index directory. A second writer waits — saying for whom — or,
//! with a wait limit, gives up with [`Error::IndexBusy`]. Readers never take
//! it. The lock is the file's `flock`, which dies with its process.

use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const LOCK_FILE: &str = "write.lock";

/// Who holds the lock, as written into the lock file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct LockHolder {
    pub pid: u32,
    /// What it is doing: `index`, `watch`, `embed`, ...
    pub what: String,
    /// Unix seconds.
    pub since: i64,
}

impl std::fmt::Display for LockHolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "pid {} ({})", self.pid, self.what)
    }
}

/// The held lock; released when dropped, leaving the writer's token in
/// the file so that writer can tell, when it takes the lock again, whether
/// anyone else wrote meanwhile.
#[derive(Debug)]
pub(crate) struct WriteLock {
    file: File,
    token: u64,
    /// Whether the last writer to release the lock was the one taking it
    /// now (what it keeps in memory is still current).
    pub(crate) last_was_ours: bool,
}

/// A token naming one writer (an `Indexer`) among all processes.
pub(crate) fn writer_token() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos() as u64);
    (u64::from(std::process::id()) << 32) ^ (nanos << 8) ^ NEXT.fetch_add(1, Ordering::Relaxed)
}

fn released_text(token: u64) -> String {
    format!("released by {token:016x}")
}

impl WriteLock {
    /// Takes the lock of the index in `dir` for `what` on behalf of the
    /// writer `token`, waiting while another process holds it (at most
    /// `wait`, if given).
    pub(crate) fn acquire(
        dir: &Path,
        what: &str,
        token: u64,
        wait: Option<Duration>,
    ) -> Result<WriteLock> {
        let path = dir.join(LOCK_FILE);
        let io = |source| Error::Io {
            path: path.clone(),
            source,
        };
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(io)?;
        let started = Instant::now();
        let mut said = false;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(TryLockError::WouldBlock) => {}
                Err(TryLockError::Error(e)) => return Err(io(e)),
            }
            let holder = holder_of(&path);
            if wait.is_some_and(|w| started.elapsed() >= w) {
                return Err(Error::IndexBusy {
                    dir: dir.to_owned(),
                    holder: holder.map_or_else(|| "another process".into(), |h| h.to_string()),
                });
            }
            if !said {
                said = true;
                tracing::warn!(
                    holder = %holder.map_or_else(|| "another process".into(), |h| h.to_string()),
                    "another writer holds this index; waiting for it"
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let mut previous = String::new();
        let _ = file
            .rewind()
            .and_then(|()| file.read_to_string(&mut previous));
        let last_was_ours = previous == released_text(token);
        let holder = LockHolder {
            pid: std::process::id(),
            what: what.to_owned(),
            since: codegraph_core::unix_now_secs(),
        };
        let text = serde_json::to_vec(&holder).expect("plain data serialises");
        // Informational: the lock is the flock, not the text.
        let written = file
            .set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| file.write_all(&text));
        if let Err(e) = written {
            tracing::debug!(error = %e, "cannot record the lock holder");
        }
        Ok(WriteLock {
            file,
            token,
            last_was_ours,
        })
    }
}

impl Drop for WriteLock {
    fn drop(&mut self) {
        let text = released_text(self.token);
        let _ = self
            .file
            .set_len(0)
            .and_then(|()| self.file.rewind())
            .and_then(|()| self.file.write_all(text.as_bytes()));
        let _ = self.file.unlock();
    }
}

/// Who holds the lock at `path`, as it recorded itself.
fn holder_of(path: &PathBuf) -> Option<LockHolder> {
    let mut text = String::new();
    File::open(path).ok()?.read_to_string(&mut text).ok()?;
    serde_json::from_str(&text).ok()
}

/// Who holds the write lock of the index in `dir` now, if anyone.
pub fn write_lock_holder(dir: &Path) -> Option<LockHolder> {
    let path = dir.join(LOCK_FILE);
    let file = File::open(&path).ok()?;
    match file.try_lock_shared() {
        Ok(()) => None,
        Err(TryLockError::WouldBlock) => holder_of(&path),
        Err(TryLockError::Error(_)) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_writer_waits_and_can_give_up_naming_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let first = WriteLock::acquire(dir.path(), "index", 1, None).unwrap();
        assert_eq!(
            write_lock_holder(dir.path()).map(|h| h.what),
            Some("index".to_owned())
        );
        let busy = WriteLock::acquire(dir.path(), "watch", 2, Some(Duration::from_millis(200)))
            .unwrap_err();
        let text = busy.to_string();
        assert!(
            text.contains(&format!("pid {} (index)", std::process::id())),
            "{text}"
        );
        // Released: the waiting writer gets it.
        let waiter = {
            let dir = dir.path().to_owned();
            std::thread::spawn(move || {
                WriteLock::acquire(&dir, "watch", 2, None).map(|l| l.last_was_ours)
            })
        };
        std::thread::sleep(Duration::from_millis(150));
        drop(first);
        // Another writer wrote last: the waiter's memory is stale.
        assert!(!waiter.join().unwrap().unwrap());
        assert_eq!(write_lock_holder(dir.path()), None);
        // The writer that released it last takes it back knowing so.
        let again = WriteLock::acquire(dir.path(), "index", 2, None).unwrap();
        assert!(again.last_was_ours);
    }
}
