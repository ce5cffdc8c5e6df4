//! `cargo xtask bench-cli [NAME]`: the command line as a person at a
//! terminal meets it — one cold process per call — on a corpus (java.base
//! by default), beside the targets of issue 18:
//!
//! | call | targets |
//! |---|---|
//! | `query`, lexical, no server | wall ≤ 40 ms, RSS ≤ 80 MB |
//! | `query`, default mode (hybrid), no server | wall ≤ 400 ms |
//! | the same on an index with vectors (`.bench/cli-cache-NAME-vec`) | wall ≤ 400 ms |
//! | `callers METHOD --depth 1`, no server | wall ≤ 30 ms, RSS ≤ 60 MB |
//! | `query`, default mode, through `codegraph serve` | wall ≤ 50 ms |
//!
//! Beside them, for comparison: `callers` deeper than the stored edges
//! answer (the whole graph loads), and `query` (lexical) and `callers`
//! through the server.
//!
//! The corpus is indexed first with `--no-embed` (incrementally: a second
//! run only checks what changed) into a cache directory of its own
//! (`.bench/cli-cache-NAME`), where the CLI and the server both find it.
//! Each row is the median of 20 processes: wall time from spawn to exit,
//! and the child's peak resident memory as the kernel counts it
//! (`ru_maxrss` from `wait4`, through GNU time's `%M`). Rows without a
//! server run with a runtime directory (`.bench/cli-run`) where nothing
//! listens; then `codegraph serve` starts on that directory's default
//! socket with the same cache, the corpus is registered (no embeddings, no
//! watcher) and followed until ready, one call checks that the answer came
//! from the server (the CLI's debug log says so), the server rows run, and
//! the server is stopped (SIGTERM).
//!
//! `CODEGRAPH_BIN` names the binary (default: the release build, built).

use super::corpus::corpus;
use super::serve_bench::server::{Server, connect, log_tail, terminate};
use crate::measure::median;
use crate::util::{bench_dir, cli_bin, run};
use anyhow::{Context, Result, bail};
use codegraph::MAX_STORED_DEPTH;
use codegraph_server::pb;
use codegraph_server::pb::index_service_client::IndexServiceClient;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Processes per row.
const RUNS: usize = 20;
/// The queries, cycled over the runs of a row: words, an identifier.
const QUERIES: &[&str] = &[
    "parse integer with radix",
    "resize hash table buckets",
    "ArrayList.removeIf",
    "utf8 decoder malformed input",
    "thread local random seed",
];
/// Methods whose callers are asked, the first with callers in the corpus.
const METHODS: &[&str] = &[
    "String.isEmpty",
    "Objects.requireNonNull",
    "Integer.parseInt",
    "Math.max",
];
/// How long the server may take to get ready.
const READY_TIMEOUT: Duration = Duration::from_secs(600);

/// The binary, the corpus and the directories every call shares.
#[derive(Clone)]
struct Env {
    bin: PathBuf,
    root: PathBuf,
    cache: PathBuf,
    /// `XDG_RUNTIME_DIR` of every process: where the server's socket is.
    run_dir: PathBuf,
}

impl Env {
    /// `codegraph ARGS` with the bench's cache and runtime directories.
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.bin);
        self.prepare(&mut cmd, args);
        cmd
    }

    fn prepare(&self, cmd: &mut Command, args: &[&str]) {
        cmd.args(args)
            .env("CODEGRAPH_CACHE_DIR", &self.cache)
            .env("XDG_RUNTIME_DIR", &self.run_dir)
            .env_remove("CODEGRAPH_LOG")
            .stdin(Stdio::null());
    }
}

/// The arguments of the i-th run of a row.
type Args = Box<dyn Fn(usize) -> Vec<String>>;

/// One row of the table: medians and the targets they are held to.
struct Row {
    label: String,
    wall_ms: f64,
    rss_mb: f64,
    wall_target: Option<f64>,
    rss_target: Option<f64>,
}

pub fn bench_cli(name: &str) -> Result<()> {
    let root = corpus(name)?;
    let dir = bench_dir();
    let env = Env {
        bin: cli_bin()?,
        root: root.canonicalize()?,
        cache: dir.join(format!("cli-cache-{name}")),
        run_dir: dir.join("cli-run"),
    };
    std::fs::create_dir_all(&env.run_dir)?;
    println!(
        "== bench-cli {name}: {} on {}",
        env.root.display(),
        machine()
    );
    println!("binary {}", env.bin.display());
    let t = Instant::now();
    run(env
        .command(&["index", "--no-embed"])
        .arg(&env.root)
        .stdout(Stdio::null()))?;
    println!(
        "index --no-embed (incremental): {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let (method, count) = pick_method(&env)?;
    println!("callers of {method}: {count} at depth 1");
    describe_default_mode(&env)?;

    let root = env.root.to_string_lossy().into_owned();
    let query = |mode: Option<&'static str>| -> Args {
        let root = root.clone();
        Box::new(move |i: usize| {
            let mut args = vec![
                "query".to_owned(),
                QUERIES[i % QUERIES.len()].to_owned(),
                root.clone(),
            ];
            if let Some(mode) = mode {
                args.extend(["--mode".to_owned(), mode.to_owned()]);
            }
            args
        })
    };
    let callers = |depth: usize| -> Args {
        let (root, method) = (root.clone(), method.clone());
        Box::new(move |_: usize| {
            vec![
                "callers".to_owned(),
                method.clone(),
                root.clone(),
                "--depth".to_owned(),
                depth.to_string(),
            ]
        })
    };
    let mut rows = vec![
        row(
            &env,
            "query, lexical, no server",
            query(Some("lexical")),
            Some(40.0),
            Some(80.0),
        )?,
        row(
            &env,
            "query, default mode, no server",
            query(None),
            Some(400.0),
            None,
        )?,
        row(
            &env,
            "callers --depth 1, no server",
            callers(1),
            Some(30.0),
            Some(60.0),
        )?,
        // Deeper than the stored edges answer: the whole graph loads (what
        // every depth cost before).
        row(
            &env,
            "callers --depth 3, no server (graph)",
            callers(MAX_STORED_DEPTH + 1),
            None,
            None,
        )?,
    ];
    // Hybrid with vectors: on an index of the same corpus that has them
    // (embedding java.base takes half an hour on two cores, so the bench
    // does not build it; it says how).
    let embedded = Env {
        cache: dir.join(format!("cli-cache-{name}-vec")),
        ..env.clone()
    };
    if embedded.cache.is_dir() {
        describe_default_mode(&embedded)?;
        rows.insert(
            2,
            row(
                &embedded,
                "query, default mode, no server, WITH vectors",
                query(None),
                Some(400.0),
                None,
            )?,
        );
    } else {
        println!(
            "no index with vectors in {0}: the hybrid row with vectors is left out. To add it \
             (about 35 min on 2 cores): CODEGRAPH_CACHE_DIR={0} codegraph index {1}",
            embedded.cache.display(),
            env.root.display()
        );
    }
    let through_server: Vec<(&str, Args, Option<f64>)> = vec![
        (
            "query, default mode, through serve",
            query(None),
            Some(50.0),
        ),
        (
            "query, lexical, through serve",
            query(Some("lexical")),
            None,
        ),
        ("callers --depth 1, through serve", callers(1), None),
    ];
    let rt = tokio::runtime::Runtime::new()?;
    let mut server = rt.block_on(start_server(&env, &dir))?;
    // The server is stopped whatever happens to the rows.
    let mut served = check_served(&env, &root);
    if served.is_ok() {
        for (label, args, wall_target) in through_server {
            match row(&env, label, args, wall_target, None) {
                Ok(r) => rows.push(r),
                Err(e) => {
                    served = Err(e);
                    break;
                }
            }
        }
    }
    let (status, ms) = rt.block_on(terminate(&mut server))?;
    println!(
        "server stopped (SIGTERM) in {ms:.0} ms: {}",
        status.map_or("killed after 10 s".to_owned(), |s| s.to_string())
    );
    served?;
    print_table(&rows);
    Ok(())
}

/// The CPU model and the number of cores.
fn machine() -> String {
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|l| l.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_else(|| "an unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{model}, {cores} cores")
}

/// The first of [`METHODS`] with callers in the corpus, and how many.
fn pick_method(env: &Env) -> Result<(String, usize)> {
    for &method in METHODS {
        let out = env
            .command(&["callers", method, "--json", "--no-server"])
            .arg(&env.root)
            .output()?;
        if !out.status.success() {
            continue;
        }
        let list: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout)?;
        if !list.is_empty() {
            return Ok((method.to_owned(), list.len()));
        }
    }
    bail!("none of {METHODS:?} has callers in {}", env.root.display())
}

/// Says what the default mode does on this index (hybrid needs a model
/// and vectors; without them it answers lexically and says so).
fn describe_default_mode(env: &Env) -> Result<()> {
    let out = env
        .command(&["query", QUERIES[0], "--json", "--no-server"])
        .arg(&env.root)
        .output()?;
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).context("`query --json` printed no JSON")?;
    println!(
        "default mode answered as {} (vector coverage {:.3}){}",
        v["mode"].as_str().unwrap_or("?"),
        v["vector_coverage"].as_f64().unwrap_or(0.0),
        v["notice"]
            .as_str()
            .map(|n| format!(": {n}"))
            .unwrap_or_default()
    );
    Ok(())
}

/// Runs `codegraph ARGS(i)` for i in 0..RUNS (after one unmeasured run):
/// the medians of wall time and peak RSS.
fn row(
    env: &Env,
    label: &str,
    args: impl Fn(usize) -> Vec<String>,
    wall_target: Option<f64>,
    rss_target: Option<f64>,
) -> Result<Row> {
    let rss_file = env.run_dir.join("maxrss");
    let once = |i: usize| -> Result<(f64, f64)> {
        let args = args(i);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut cmd = Command::new("/usr/bin/time");
        cmd.arg("-f")
            .arg("%M")
            .arg("-o")
            .arg(&rss_file)
            .arg(&env.bin);
        env.prepare(&mut cmd, &args);
        let started = Instant::now();
        let out: Output = cmd
            .output()
            .context("cannot run /usr/bin/time (Debian's `time` package)")?;
        let wall = started.elapsed().as_secs_f64() * 1000.0;
        // 0: results; 1: nothing matched — both are answers.
        if !matches!(out.status.code(), Some(0 | 1)) {
            bail!(
                "codegraph {args:?} failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let text = std::fs::read_to_string(&rss_file)?;
        let kib: f64 = text
            .lines()
            .last()
            .and_then(|l| l.trim().parse().ok())
            .with_context(|| format!("GNU time wrote no %M: {text:?}"))?;
        Ok((wall, kib * 1024.0 / 1e6))
    };
    once(0)?;
    let (mut walls, mut rss) = (Vec::new(), Vec::new());
    for i in 0..RUNS {
        let (w, r) = once(i)?;
        walls.push(w);
        rss.push(r);
    }
    let row = Row {
        label: label.to_owned(),
        wall_ms: median(walls),
        rss_mb: median(rss),
        wall_target,
        rss_target,
    };
    eprintln!("  {label}: {:.1} ms, {:.0} MB", row.wall_ms, row.rss_mb);
    Ok(row)
}

/// `codegraph serve` on the default socket of the bench's runtime
/// directory, with the bench's cache, the corpus registered (no
/// embeddings, no watcher) and ready.
async fn start_server(env: &Env, dir: &Path) -> Result<Server> {
    let state = dir.join("cli-serve-state");
    if state.exists() {
        std::fs::remove_dir_all(&state)?;
    }
    std::fs::create_dir_all(&state)?;
    let ready = state.join("ready");
    let log_path = dir.join("cli-serve.log");
    let log = std::fs::File::create(&log_path)?;
    let child = Command::new(&env.bin)
        .arg("serve")
        .arg("--allow-root")
        .arg(&env.root)
        .arg("--ready-file")
        .arg(&ready)
        .arg("--state-dir")
        .arg(&state)
        .env("CODEGRAPH_CACHE_DIR", &env.cache)
        .env("XDG_RUNTIME_DIR", &env.run_dir)
        .env_remove("CODEGRAPH_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .with_context(|| format!("cannot start {}", env.bin.display()))?;
    let mut server = Server {
        child,
        addr: String::new(),
    };
    let started = Instant::now();
    loop {
        let addr = std::fs::read_to_string(&ready).unwrap_or_default();
        if !addr.trim().is_empty() {
            server.addr = addr.trim().to_owned();
            break;
        }
        if let Some(status) = server.child.try_wait()? {
            bail!("the server exited ({status}):\n{}", log_tail(&log_path));
        }
        if started.elapsed() > Duration::from_secs(120) {
            bail!("the server wrote no ready file within 120 s");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let channel = connect(&server.addr, Duration::from_secs(5)).await?;
    let mut index = IndexServiceClient::new(channel);
    let registered_at = Instant::now();
    let id = index
        .register_repository(pb::RegisterRepositoryRequest {
            path: env.root.to_string_lossy().into_owned(),
            options: Some(pb::RepositoryOptions {
                embed: Some(false),
                watch: Some(false),
                ..Default::default()
            }),
        })
        .await
        .context("RegisterRepository")?
        .into_inner()
        .repository
        .context("no repository")?
        .id;
    let mut progress = index
        .watch_progress(pb::WatchProgressRequest {
            repository: id,
            until_ready: true,
        })
        .await
        .context("WatchProgress")?
        .into_inner();
    let wait = async {
        while progress
            .message()
            .await
            .context("WatchProgress stream")?
            .is_some()
        {}
        anyhow::Ok(())
    };
    tokio::time::timeout(READY_TIMEOUT, wait)
        .await
        .context("the server was not ready in time")??;
    println!(
        "codegraph serve at {}: registered and ready in {:.1} s",
        server.addr,
        registered_at.elapsed().as_secs_f64()
    );
    Ok(server)
}

/// Fails unless the server answers the CLI's query (its debug log says
/// which answered).
fn check_served(env: &Env, root: &str) -> Result<()> {
    let out = env
        .command(&["query", QUERIES[0], root])
        .env("CODEGRAPH_LOG", "codegraph::remote=debug")
        .output()?;
    let log = String::from_utf8_lossy(&out.stderr);
    if !log.contains("answered by the server") {
        bail!("the CLI did not ask the server:\n{log}");
    }
    Ok(())
}

fn print_table(rows: &[Row]) {
    println!();
    println!(
        "{:<38} {:>10} {:>10} {:>8} {:>9}",
        "call (median of 20 processes)", "wall", "target", "RSS", "target"
    );
    for r in rows {
        let target =
            |t: Option<f64>, unit: &str| t.map_or("-".to_owned(), |t| format!("≤ {t:.0} {unit}"));
        let missed = r.wall_target.is_some_and(|t| r.wall_ms > t)
            || r.rss_target.is_some_and(|t| r.rss_mb > t);
        println!(
            "{:<38} {:>7.1} ms {:>10} {:>5.0} MB {:>9}  {}",
            r.label,
            r.wall_ms,
            target(r.wall_target, "ms"),
            r.rss_mb,
            target(r.rss_target, "MB"),
            if r.wall_target.is_none() && r.rss_target.is_none() {
                ""
            } else if missed {
                "MISSED"
            } else {
                "ok"
            }
        );
    }
}
