//! `cargo xtask fault-matrix [--only cli|serve] [--filter TEXT] [--jobs N]`: the
//! damage matrix of issue 16.
//!
//! The corpus is a copy of the repository's `fixtures/` (every language,
//! ~150 files) in `.bench/fault/repo`, indexed once with embeddings (when
//! the model is installed) into `.bench/fault/pristine`. Then for every
//! file of that index directory (the SQLite database — and its `-wal`
//! and `-shm` in a second copy left as an unclean shutdown leaves them —,
//! the BM25 directory's `meta.json`, `.managed.json` and segment files,
//! the vector dump and manifest, the lock file) and every damage
//! (truncate to half, truncate to 0, 4 KB of random bytes in the middle,
//! delete), on a fresh copy of the pristine index:
//!
//! - **CLI**: `status`, `query` (lexical and hybrid), `symbol` and
//!   `callers` on the damaged index, then `codegraph index`, then the
//!   reads again;
//! - **serve**: a `codegraph serve` whose cache holds the damaged index
//!   registers the repository over gRPC (its first run opens and updates
//!   that index), then the same reads over gRPC, then SIGTERM.
//!
//! Per case and side: **detected** (`error`, `warned`: an error, warning,
//! notice or status problem says so; `harmless`: every answer was right
//! anyway; `SILENT`: a different answer and not a word), **healed** (after
//! the index run the index answers and `status` lists no problem; for the
//! server: registered, and every read answered) and **identical** (the
//! reads equal those of the undamaged index). The task fails when any case
//! is silent, not healed or not identical. Server logs of each case are in
//! `.bench/fault/serve-logs/`.

mod cli;
mod damage;
mod serve;

use crate::tasks::serve_bench::copy_tree;
use crate::util::{bench_dir, cli_bin, workspace_root};
use anyhow::{Context, Result, bail};
use damage::{Damage, files_under, part_of, seed};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The flags.
#[derive(Debug, Default)]
pub struct Options {
    /// `cli` or `serve`: that side alone.
    pub only: Option<String>,
    /// Only cases whose file path contains this.
    pub filter: Option<String>,
    /// Cases run at once (each with its own directories and server).
    pub jobs: usize,
}

impl Options {
    pub fn parse(args: &[String]) -> Result<Options> {
        let mut o = Options {
            jobs: 4,
            ..Options::default()
        };
        let mut it = args.iter();
        while let Some(a) = it.next() {
            match a.as_str() {
                "--only" => {
                    let side = it.next().context("--only cli|serve")?;
                    if side != "cli" && side != "serve" {
                        bail!("--only cli|serve, not {side}");
                    }
                    o.only = Some(side.clone());
                }
                "--filter" => o.filter = Some(it.next().context("--filter TEXT")?.clone()),
                "--jobs" => o.jobs = it.next().context("--jobs N")?.parse()?,
                other => bail!("fault-matrix: unknown argument {other}"),
            }
        }
        Ok(o)
    }

    fn runs(&self, side: &str) -> bool {
        self.only.as_deref().is_none_or(|s| s == side)
    }
}

/// Answers of the fixed reads, by name, in order.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Answers(pub Vec<(String, String)>);

impl Answers {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, a)| a.as_str())
    }

    /// Names of the reads whose answers differ from `other`'s.
    pub fn differences(&self, other: &Answers) -> Vec<String> {
        other
            .0
            .iter()
            .filter(|(n, a)| self.get(n) != Some(a.as_str()))
            .map(|(n, _)| n.clone())
            .collect()
    }
}

/// How the damage showed before it was healed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every answer was right.
    Harmless,
    /// Something said so (error, warning, notice, status problem).
    Said,
    /// Wrong answers without a word.
    Silent(Vec<String>),
}

impl Verdict {
    pub fn of(changed: bool, silent: &[String], complained: bool) -> Verdict {
        if !silent.is_empty() {
            Verdict::Silent(silent.to_vec())
        } else if changed || complained {
            Verdict::Said
        } else {
            Verdict::Harmless
        }
    }

    fn cell(&self) -> String {
        match self {
            Verdict::Harmless => "harmless".into(),
            Verdict::Said => "said".into(),
            Verdict::Silent(reads) => format!("SILENT({})", reads.join(",")),
        }
    }
}

/// One side's outcome of one case.
#[derive(Debug, Clone)]
pub struct Side {
    pub verdict: Verdict,
    pub healed: bool,
    pub identical: bool,
    pub differs: Vec<String>,
    pub note: String,
}

impl Side {
    fn ok(&self) -> bool {
        !matches!(self.verdict, Verdict::Silent(_)) && self.healed && self.identical
    }

    fn cells(&self) -> String {
        format!(
            "{:<14} {:<6} {:<9}",
            self.verdict.cell(),
            if self.healed { "yes" } else { "NO" },
            if self.identical {
                "yes".to_owned()
            } else {
                format!("NO({})", self.differs.join(","))
            }
        )
    }
}

/// One case's printed row: its index, label, CLI and serve cells.
type CaseRow = (usize, String, Vec<String>, Vec<String>);

/// Replaces `to` with a copy of the index directory `from`.
pub fn copy_index(from: &Path, to: &Path) -> Result<()> {
    if to.exists() {
        std::fs::remove_dir_all(to)?;
    }
    copy_tree(from, to)
}

/// Leaves `-wal` and `-shm` files beside the database, as a process that
/// died with the database open does: a Python `sqlite3` connection
/// rewrites one meta value (to itself) without checkpointing and exits
/// without closing.
fn leave_wal(index: &Path) -> Result<()> {
    let db = index.join("index.sqlite");
    let script = "import sqlite3, sys, os\n\
        c = sqlite3.connect(sys.argv[1], isolation_level=None)\n\
        c.execute('PRAGMA journal_mode=WAL')\n\
        c.execute('PRAGMA wal_autocheckpoint=0')\n\
        c.execute('UPDATE meta SET value = value')\n\
        os._exit(0)\n";
    crate::util::run(Command::new("python3").arg("-c").arg(script).arg(&db))?;
    for suffix in ["-wal", "-shm"] {
        let f = index.join(format!("index.sqlite{suffix}"));
        if !f.exists() {
            bail!("{} was not left behind", f.display());
        }
    }
    Ok(())
}

pub fn fault_matrix(o: &Options) -> Result<()> {
    let bin = cli_bin()?;
    let dir = bench_dir().join("fault");
    let repo = dir.join("repo");
    if repo.exists() {
        std::fs::remove_dir_all(&repo)?;
    }
    std::fs::create_dir_all(&dir)?;
    copy_tree(&workspace_root().join("fixtures"), &repo)?;
    let repo = repo.canonicalize()?;
    let pristine = dir.join("pristine");
    let fresh2 = dir.join("fresh2");
    for d in [&pristine, &fresh2] {
        if d.exists() {
            std::fs::remove_dir_all(d)?;
        }
        let ran = cli::codegraph(&bin, &["index"], &repo, d)?;
        if ran.code != Some(0) {
            bail!("indexing the corpus failed: {}", ran.stderr);
        }
    }
    let (fresh, _) = cli::answers(&bin, &repo, &pristine)?;
    let (again, _) = cli::answers(&bin, &repo, &fresh2)?;
    if fresh != again {
        bail!(
            "two fresh indexes answer differently ({:?}): the matrix cannot compare",
            again.differences(&fresh)
        );
    }
    // A second pristine copy as an unclean shutdown leaves it.
    let with_wal = dir.join("pristine-wal");
    copy_index(&pristine, &with_wal)?;
    leave_wal(&with_wal)?;

    let mut cases: Vec<(&Path, PathBuf)> = Vec::new();
    for rel in files_under(&pristine)? {
        cases.push((&pristine, rel));
    }
    for suffix in ["-wal", "-shm"] {
        cases.push((&with_wal, PathBuf::from(format!("index.sqlite{suffix}"))));
    }
    if let Some(f) = &o.filter {
        cases.retain(|(_, rel)| rel.to_string_lossy().contains(f.as_str()));
    }
    let vectors = cases.iter().any(|(_, rel)| part_of(rel) == "vectors");
    println!(
        "== fault-matrix: {} files of the index of {}{}",
        cases.len(),
        repo.display(),
        if vectors {
            ""
        } else {
            "; no vector files (no embedding model installed)"
        }
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let serve_dirs = |w: usize| serve::Dirs {
        bin: bin.clone(),
        repo: repo.clone(),
        cache: dir.join(format!("serve-cache-{w}")),
        state: dir.join(format!("serve-state-{w}")),
        logs: dir.join("serve-logs"),
    };
    std::fs::create_dir_all(dir.join("serve-logs"))?;
    let serve_fresh = if o.runs("serve") {
        let (fresh, notes) = runtime.block_on(serve::run_server(
            &serve_dirs(0),
            &pristine,
            "fresh",
            &|_| Ok(()),
        ))?;
        if fresh.0.is_empty() {
            bail!("the undamaged index through the server: {notes:?}");
        }
        Some(fresh)
    } else {
        None
    };

    // Every (file, damage); cutting or garbling an empty file (a lock
    // file) changes nothing, so those have deletion alone.
    let mut jobs: Vec<(&Path, &PathBuf, Damage)> = Vec::new();
    for (source, rel) in &cases {
        let Ok(meta) = std::fs::metadata(source.join(rel)) else {
            continue;
        };
        for damage in Damage::ALL {
            if meta.len() > 0 || damage == Damage::Delete {
                jobs.push((source, rel, damage));
            }
        }
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let rows: std::sync::Mutex<Vec<CaseRow>> = std::sync::Mutex::default();
    let started = std::time::Instant::now();
    std::thread::scope(|scope| -> Result<()> {
        let mut workers = Vec::new();
        for w in 0..o.jobs.max(1) {
            let (jobs, next, rows, runtime) = (&jobs, &next, &rows, &runtime);
            let (bin, repo, fresh, serve_fresh) = (&bin, &repo, &fresh, &serve_fresh);
            let dirs = serve_dirs(w + 1);
            let work = dir.join(format!("case-{w}"));
            let with_wal = with_wal.as_path();
            workers.push(scope.spawn(move || -> Result<()> {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(&(source, rel, damage)) = jobs.get(i) else {
                        return Ok(());
                    };
                    let name = format!("{} {}", rel.display(), damage.name());
                    let apply = |index: &Path| damage.apply(&index.join(rel), seed(rel, damage));
                    let slug: String = name
                        .chars()
                        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                        .collect();
                    let cli = if o.runs("cli") {
                        Some(cli::case(bin, repo, source, &work, &apply, fresh)?)
                    } else {
                        None
                    };
                    let served = match serve_fresh {
                        Some(f) => {
                            Some(runtime.block_on(serve::case(&dirs, source, &slug, &apply, f))?)
                        }
                        None => None,
                    };
                    let shown =
                        |s: &Option<Side>| s.as_ref().map_or(format!("{:<31}", "-"), Side::cells);
                    let label = if source == with_wal {
                        format!("{} (unclean)", rel.display())
                    } else {
                        rel.display().to_string()
                    };
                    let row = format!(
                        "{:<8} {:<44} {:<10} | {} | {}",
                        part_of(rel),
                        label,
                        damage.name(),
                        shown(&cli),
                        shown(&served)
                    );
                    let mut failed = Vec::new();
                    let mut notes = Vec::new();
                    for (side, s) in [("cli", &cli), ("serve", &served)] {
                        let Some(s) = s else { continue };
                        if !s.ok() {
                            failed.push(format!("{side}: {name}"));
                        }
                        if !s.note.is_empty() {
                            notes.push(format!("{side} {name}: {}", clip(&s.note, 300)));
                        }
                    }
                    eprintln!("[{:>4.0} s] {row}", started.elapsed().as_secs_f64());
                    rows.lock().unwrap().push((i, row, failed, notes));
                }
            }));
        }
        for w in workers {
            w.join()
                .map_err(|_| anyhow::anyhow!("a worker panicked"))??;
        }
        Ok(())
    })?;
    let mut rows = rows.into_inner().unwrap();
    rows.sort_by_key(|r| r.0);
    println!(
        "{:<8} {:<44} {:<10} | {:<14} {:<6} {:<9} | {:<14} {:<6} {:<9}",
        "part",
        "file",
        "damage",
        "cli detected",
        "healed",
        "identical",
        "serve",
        "healed",
        "identical"
    );
    let mut failed = Vec::new();
    let mut notes = Vec::new();
    for (_, row, f, n) in rows {
        println!("{row}");
        failed.extend(f);
        notes.extend(n);
    }
    println!(
        "{} cases per side in {:.0} s ({} workers)",
        jobs.len(),
        started.elapsed().as_secs_f64(),
        o.jobs
    );
    println!("\nwhat was said (first lines):");
    for n in &notes {
        println!("  {n}");
    }
    if failed.is_empty() {
        println!("\nall cases healed, none silent, answers identical to a fresh index");
        Ok(())
    } else {
        println!("\n{} cases failed:", failed.len());
        for f in &failed {
            println!("  {f}");
        }
        bail!("{} fault-matrix cases failed", failed.len())
    }
}

fn clip(s: &str, n: usize) -> String {
    if s.len() <= n {
        return s.to_owned();
    }
    let mut end = n;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}
