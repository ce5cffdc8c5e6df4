//! The editor that saves files of the served tree during the run, and the
//! files it edits.

use super::EDIT_EVERY;
use crate::measure::Rng;
use anyhow::{Context, Result};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Saves a file of the served tree every 500 ms until stopped: a small
/// method before the last `}` of a random `.java` file, or a comment line
/// at its end (both leave the lines before them unchanged, so cursors of
/// the mix stay valid).
pub struct Editor {
    stop: Arc<AtomicBool>,
    handle: std::thread::JoinHandle<u64>,
}

impl Editor {
    /// Saves a file every [`EDIT_EVERY`] until finished; with `enabled`
    /// false it saves nothing (the baseline without indexing).
    pub fn start(
        root: &Path,
        files: Arc<Vec<String>>,
        seed: u64,
        counter: Arc<AtomicU64>,
        enabled: bool,
    ) -> Editor {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let root = root.to_owned();
        let handle = std::thread::spawn(move || {
            let mut rng = Rng(seed);
            let mut edits = 0;
            let mut next = Instant::now() + EDIT_EVERY;
            while !flag.load(Ordering::Relaxed) {
                if Instant::now() < next {
                    std::thread::sleep(Duration::from_millis(20));
                    continue;
                }
                next += EDIT_EVERY;
                if !enabled {
                    continue;
                }
                let path = root.join(&files[(rng.next() % files.len() as u64) as usize]);
                let Ok(text) = std::fs::read_to_string(&path) else {
                    continue;
                };
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let edited = if n.is_multiple_of(2) {
                    let Some(end) = text.rfind('}') else { continue };
                    format!(
                        "{}    void cgLoad{n}() {{ }}\n{}",
                        &text[..end],
                        &text[end..]
                    )
                } else {
                    let sep = if text.ends_with('\n') { "" } else { "\n" };
                    format!("{text}{sep}// cgload edit {n}\n")
                };
                if std::fs::write(&path, edited).is_ok() {
                    edits += 1;
                }
            }
            edits
        });
        Editor { stop, handle }
    }

    pub fn finish(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.handle.join().unwrap_or(0)
    }
}

/// Adds `void NAME() { }` before the last `}` of a file.
pub fn add_method(path: &Path, name: &str) -> Result<()> {
    let text = std::fs::read_to_string(path)?;
    let end = text
        .rfind('}')
        .with_context(|| format!("{}: no `}}`", path.display()))?;
    std::fs::write(
        path,
        format!("{}    void {name}() {{ }}\n{}", &text[..end], &text[end..]),
    )?;
    Ok(())
}

/// `.java` files under `root`, relative with `/` separators, sorted.
pub fn java_files(root: &Path) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut dirs = vec![root.to_owned()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "java") {
                let rel = path.strip_prefix(root)?;
                out.push(
                    rel.components()
                        .map(|c| c.as_os_str().to_string_lossy())
                        .collect::<Vec<_>>()
                        .join("/"),
                );
            }
        }
    }
    out.sort();
    Ok(out)
}
