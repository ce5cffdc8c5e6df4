//! `cargo xtask bench-serve`: `codegraph serve` under load and faults.
//!
//! On a fresh copy of java.base (`.bench/serve-jdk`), served from its own
//! cache (`.bench/serve-cache`, seeded with `.bench/index-jdk` when that
//! index exists, so nothing is embedded again) and state directory
//! (`.bench/serve-state`):
//!
//! 1. register the copy (embed, watch) and follow its first run;
//! 2. build a request mix from the index itself (ListFileSymbols on a sample
//!    of files): identifier and phrase searches, completion contexts inside
//!    methods, callers of methods;
//! 3. after one warm-up request of each kind, closed loop: N clients
//!    (default 32) send search / context / callers (40/40/20) as fast as
//!    answers come, for `--seconds` (default 60), while an editor saves a
//!    file every 500 ms; latency end to end and on the server, errors by
//!    code (failed requests are then replayed alone), server RSS and CPU,
//!    watcher updates;
//! 4. open loop: the same clients pausing `--think-ms` (default 50) between
//!    requests, for `--think-seconds` (default 30);
//! 5. fixed rate: the same clients sending at a fixed rate whatever the
//!    answers (open-loop arrivals, the way a fleet of IDEs loads a server):
//!    `--rate` requests per second in all (default 64, 2 per client), for
//!    `--rate-seconds` (default 30); client i sends at `start + i / rate +
//!    n * clients / rate`, each request in its own task, even while earlier
//!    ones are still in flight;
//! 6. faults, `--restarts` times (default 3): kill -9 under load, edit 3
//!    files while the server is down, restart it on the same address, state
//!    and cache; time to the first search answer and until the edits made
//!    while down are found;
//! 7. cold restart under load (`--cold-seconds`, default 15): kill -9,
//!    restart, and all clients at once while the server loads what the
//!    first requests need;
//! 8. SIGTERM: the server must exit 0 within 10 s.
//!
//! `--only-rate` keeps registration, warm-up, the fixed-rate phase and
//! SIGTERM only (no closed or open loop, no kill -9, no cold restart).
//!
//! Figures go to stdout, progress to stderr, the server's own log to
//! `.bench/serve-server.log`.
//!
//! Modules: `options` (the flags), `server` (the process: spawn, readiness,
//! kill -9, SIGTERM), `monitor` (RSS, threads, CPU from /proc), `editor`
//! (saves during the run), `mix` (the requests, drawn from the index),
//! `rpc` (building and sending them), `load` (clients: closed loop, open
//! loop, fixed rate; one load phase), `stats` and `report` (the figures),
//! `fault` (kill -9 rounds, cold restart), `run` (the whole sequence).

pub(crate) mod editor;
mod fault;
mod load;
pub(crate) mod mix;
pub(crate) mod monitor;
mod options;
mod report;
pub(crate) mod rpc;
mod run;
pub(crate) mod server;
pub(crate) mod stats;

pub use options::Options;

use super::corpus::corpus;
use crate::util::{bench_dir, build_cli, run as run_command};
use anyhow::{Context, Result, bail};
use editor::java_files;
use load::Phase;
use mix::Mix;
use server::{Paths, Server};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;
use tonic::transport::Channel;

/// The deadline of every load request.
const DEADLINE: Duration = Duration::from_secs(5);
/// Request kinds, in the order of the per-kind arrays.
const KINDS: [&str; 3] = ["search", "context", "callers"];
/// Pause of the editor between saves.
const EDIT_EVERY: Duration = Duration::from_millis(500);

/// The prepared tree: paths, the `.java` files, whether the embedding model
/// is installed, where the index came from.
struct Setup {
    paths: Paths,
    root: PathBuf,
    files: Arc<Vec<String>>,
    model: bool,
    index_note: String,
}

/// What the phases after registration share.
struct Bench<'a> {
    o: &'a Options,
    paths: &'a Paths,
    root: &'a Path,
    mix: &'a Arc<Mix>,
    files: &'a Arc<Vec<String>>,
    /// Saves so far (names the edits).
    counter: &'a Arc<AtomicU64>,
}

impl<'a> Bench<'a> {
    /// A load phase on `server` through `channel`.
    fn phase(&self, server: &'a Server, channel: &'a Channel) -> Phase<'a> {
        Phase {
            server,
            channel,
            mix: self.mix,
            root: self.root,
            files: self.files,
            counter: self.counter,
            edits: !self.o.no_edits,
        }
    }
}

/// Prepares a fresh copy of java.base, its cache (seeded with
/// `.bench/index-jdk` when there is one) and state, then runs the bench.
pub fn bench_serve(o: &Options) -> Result<()> {
    let bin = match build_cli() {
        Ok(bin) => bin,
        Err(e) => {
            let bin = crate::util::release_cli();
            if !bin.exists() {
                return Err(e);
            }
            eprintln!(
                "WARNING: the release build failed ({e:#}); using the existing {}",
                bin.display()
            );
            bin
        }
    };
    let src = corpus("jdk")?;
    let dir = bench_dir();
    let paths = Paths {
        bin,
        root: dir.join("serve-jdk"),
        cache: dir.join("serve-cache"),
        state: dir.join("serve-state"),
        ready: dir.join("serve-state").join("ready"),
        log: dir.join("serve-server.log"),
    };
    for d in [&paths.root, &paths.cache, &paths.state] {
        if d.exists() {
            std::fs::remove_dir_all(d).with_context(|| format!("removing {}", d.display()))?;
        }
    }
    let _ = std::fs::remove_file(&paths.log);
    eprintln!("copying {} to {}", src.display(), paths.root.display());
    copy_tree(&src, &paths.root)?;
    let root = paths.root.canonicalize()?;
    std::fs::create_dir_all(&paths.cache)?;
    std::fs::create_dir_all(&paths.state)?;
    let seeded = dir.join("index-jdk");
    let model = codegraph::embedding::is_installed(&codegraph::embedding::default_data_dir());
    if model && seeded.join("index.sqlite").exists() {
        embed_seed(&src, &seeded)?;
    }
    let index_note = if seeded.join("index.sqlite").exists() {
        let target = codegraph::index_dir_in(&paths.cache, &root);
        eprintln!(
            "seeding the index: {} -> {}",
            seeded.display(),
            target.display()
        );
        copy_tree(&seeded, &target)?;
        // The seed is the index of the corpus at another path.
        codegraph::Indexer::open_moved(
            &root,
            codegraph::IndexOptions {
                index_dir: Some(target.clone()),
                ..codegraph::IndexOptions::default()
            },
        )
        .context("adopting the seeded index")?;
        format!("seeded from {}", seeded.display())
    } else {
        eprintln!(
            "WARNING: no {}: the server indexes java.base from nothing{} (`cargo xtask bench-search jdk` makes that index once)",
            seeded.display(),
            if model {
                ", embeddings included (~400 s)"
            } else {
                ""
            }
        );
        "indexed from nothing".to_owned()
    };
    // The copies' writeback would otherwise run during the measurements.
    run_command(&mut Command::new("sync"))?;
    let files = Arc::new(java_files(&root)?);
    if files.is_empty() {
        bail!("no .java file under {}", root.display());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let setup = Setup {
        paths,
        root,
        files,
        model,
        index_note,
    };
    runtime.block_on(run::serve_bench(o, &setup))
}

/// Copies a directory tree (`cp -r`).
pub(crate) fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent)?;
    }
    run_command(Command::new("cp").arg("-r").arg(from).arg(to))
}

/// Gives the seed index its embeddings once (`bench-index` rebuilds it
/// without them): the server would otherwise spend its first minutes
/// embedding the whole corpus at the lowest priority.
fn embed_seed(root: &std::path::Path, seeded: &std::path::Path) -> Result<()> {
    let t = std::time::Instant::now();
    let mut cg = codegraph::Codegraph::open(
        root,
        codegraph::IndexOptions {
            index_dir: Some(seeded.to_owned()),
            ..codegraph::IndexOptions::default()
        },
    )
    .context("opening the seed index")?;
    if let Some(report) = cg.embed_pending(&codegraph::NoProgress)?
        && report.embedded > 0
    {
        eprintln!(
            "embedded the seed index: {} chunks in {:.1} s",
            report.embedded,
            t.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
