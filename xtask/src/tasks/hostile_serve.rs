//! `cargo xtask hostile-serve [--seconds N] [--rss-bound-mb N]`: a normal
//! client beside hostile ones (issue 16).
//!
//! `codegraph serve` on a copy of java.base (`.bench/hostile/repo`,
//! registered lexical only: no embeddings, so the first run takes about a
//! minute rather than many) into which hostile files were put after the
//! copy: `hostile/Huge.java` (64 MB of short lines), `hostile/Short.java`
//! (2 MB of short lines), `hostile/pipe.java` (a FIFO nobody writes to).
//! Then:
//!
//! 1. idle: one normal client (search / context / callers drawn from the
//!    index as `bench-serve` draws them, one at a time, 10 ms apart) for
//!    half of `--seconds` (at least 10 s): its p50/p99;
//! 2. hostile, for `--seconds` (default 60), beside the same normal client:
//!    completion context with a 64 MB buffer; on the 64 MB file; on the
//!    2 MB buffer of short lines (3 s deadline); on the nesting bomb
//!    `'x = ' + '[' * 200000` (3 s deadline); on the FIFO (2 s deadline);
//!    six clients abandoning 2 MB requests after 50 ms; 200 connections
//!    each looking a symbol up every 2 s; RegisterRepository of the FIFO;
//! 3. SIGTERM while the hostile requests still run: time to exit.
//!
//! Targets: the normal client's p99 under attack within 2x its idle p99,
//! the server's peak RSS under `--rss-bound-mb` (default 1,500), exit
//! within 2 s of SIGTERM. Server log: `.bench/hostile/server.log`.

use super::corpus::corpus;
use super::serve_bench::copy_tree;
use super::serve_bench::editor::java_files;
use super::serve_bench::mix::{Mix, build_mix};
use super::serve_bench::monitor::{RssSampler, rss_bytes};
use super::serve_bench::rpc::{Clients, Req, with_deadline};
use super::serve_bench::server::{Paths, connect, start_server, terminate};
use crate::measure::{Rng, percentile, sorted};
use crate::util::{bench_dir, cli_bin, run};
use anyhow::{Context, Result, bail};
use codegraph_server::pb;
use pb::context_service_client::ContextServiceClient;
use pb::graph_service_client::GraphServiceClient;
use pb::index_service_client::IndexServiceClient;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tonic::transport::Channel;

#[derive(Debug)]
pub struct Options {
    pub seconds: u64,
    pub rss_bound_mb: u64,
}

impl Options {
    pub fn parse(args: &[String]) -> Result<Options> {
        let mut o = Options {
            seconds: 60,
            rss_bound_mb: 1500,
        };
        let mut it = args.iter();
        while let Some(a) = it.next() {
            match a.as_str() {
                "--seconds" => o.seconds = it.next().context("--seconds N")?.parse()?,
                "--rss-bound-mb" => {
                    o.rss_bound_mb = it.next().context("--rss-bound-mb N")?.parse()?;
                }
                other => bail!("hostile-serve: unknown argument {other}"),
            }
        }
        Ok(o)
    }
}

/// What hostile requests of one kind got back.
#[derive(Default, Debug)]
struct Outcomes {
    sent: u64,
    codes: BTreeMap<String, u64>,
    max_ms: f64,
}

type Tally = Arc<Mutex<BTreeMap<&'static str, Outcomes>>>;

fn count(tally: &Tally, kind: &'static str, code: String, ms: f64) {
    let mut t = tally.lock().unwrap();
    let o = t.entry(kind).or_default();
    o.sent += 1;
    *o.codes.entry(code).or_default() += 1;
    o.max_ms = o.max_ms.max(ms);
}

fn code_of<T>(r: &Result<T, tonic::Status>) -> String {
    match r {
        Ok(_) => "Ok".into(),
        Err(s) => super::serve_bench::stats::failure_code(s),
    }
}

pub fn hostile_serve(o: &Options) -> Result<()> {
    let bin = cli_bin()?;
    let src = corpus("jdk")?;
    let dir = bench_dir().join("hostile");
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    let paths = Paths {
        bin,
        root: dir.join("repo"),
        cache: dir.join("cache"),
        state: dir.join("state"),
        ready: dir.join("state/ready"),
        log: dir.join("server.log"),
    };
    eprintln!("copying {} to {}", src.display(), paths.root.display());
    copy_tree(&src, &paths.root)?;
    std::fs::create_dir_all(&paths.cache)?;
    std::fs::create_dir_all(&paths.state)?;
    let root = paths.root.canonicalize()?;
    // The normal client's files are listed before the hostile ones exist.
    let files = java_files(&root)?;
    let hostile = root.join("hostile");
    std::fs::create_dir_all(&hostile)?;
    std::fs::write(hostile.join("Huge.java"), short_lines(64 << 20))?;
    std::fs::write(hostile.join("Short.java"), short_lines(2 << 20))?;
    run(Command::new("mkfifo").arg(hostile.join("pipe.java")))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(attack(o, &paths, &root, &files))
}

/// `n` bytes of short Java-ish lines.
fn short_lines(n: usize) -> String {
    let mut s = String::with_capacity(n + 16);
    let mut i = 0u64;
    while s.len() < n {
        s.push_str(&format!("a{};\n", i % 1000));
        i += 1;
    }
    s
}

async fn register(channel: &Channel, root: &Path) -> Result<String> {
    let mut index = IndexServiceClient::new(channel.clone());
    let t = Instant::now();
    let id = index
        .register_repository(pb::RegisterRepositoryRequest {
            path: root.to_string_lossy().into_owned(),
            options: Some(pb::RepositoryOptions {
                embed: Some(false),
                watch: Some(true),
                ..Default::default()
            }),
        })
        .await
        .context("RegisterRepository")?
        .into_inner()
        .repository
        .context("no repository")?
        .id;
    let mut stream = index
        .watch_progress(pb::WatchProgressRequest {
            repository: id.clone(),
            until_ready: true,
        })
        .await?
        .into_inner();
    let mut phase = 0;
    while let Some(e) = stream.message().await? {
        phase = e.progress.map_or(phase, |p| p.phase);
    }
    if phase != pb::IndexPhase::Ready as i32 {
        bail!("the first run ended in phase {phase}");
    }
    println!(
        "registered and indexed (lexical) in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    Ok(id)
}

/// The normal client: one request at a time until `stop`; latencies (ms)
/// of the answered ones and the failures by code.
async fn normal_client(
    channel: Channel,
    mix: Arc<Mix>,
    stop: Arc<AtomicBool>,
) -> (Vec<f64>, BTreeMap<String, u64>) {
    let mut clients = Clients::new(channel);
    let mut rng = Rng(0xC0FF_EE00_1234_5678);
    let mut ms = Vec::new();
    let mut errors = BTreeMap::new();
    while !stop.load(Ordering::Relaxed) {
        let r = rng.next();
        let req = match r % 5 {
            0 | 1 => Req::Search(mix.queries[(r / 5) as usize % mix.queries.len()].clone()),
            2 | 3 => Req::Context(mix.cursors[(r / 5) as usize % mix.cursors.len()].clone()),
            _ => Req::Callers(mix.callers[(r / 5) as usize % mix.callers.len()].clone()),
        };
        let t = Instant::now();
        match clients.send(&mix, &req, Duration::from_secs(10)).await {
            Ok(_) => ms.push(t.elapsed().as_secs_f64() * 1000.0),
            Err(s) => *errors.entry(code_of::<()>(&Err(s))).or_default() += 1,
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    (ms, errors)
}

fn context_request(
    repo: &str,
    path: &str,
    buffer: Option<String>,
) -> pb::GetCompletionContextRequest {
    pb::GetCompletionContextRequest {
        repository: repo.to_owned(),
        path: path.to_owned(),
        cursor: Some(pb::Position { line: 3, column: 2 }),
        buffer,
        ..Default::default()
    }
}

/// One hostile loop: `make` a request, send it with `deadline`, pause.
fn hostile_loop(
    channel: &Channel,
    tally: &Tally,
    stop: &Arc<AtomicBool>,
    kind: &'static str,
    deadline: Duration,
    pause: Duration,
    make: impl Fn() -> pb::GetCompletionContextRequest + Send + 'static,
) -> tokio::task::JoinHandle<()> {
    let mut client = ContextServiceClient::new(channel.clone())
        .max_encoding_message_size(usize::MAX)
        .max_decoding_message_size(64 << 20);
    let (tally, stop) = (tally.clone(), stop.clone());
    tokio::spawn(async move {
        while !stop.load(Ordering::Relaxed) {
            let t = Instant::now();
            let r = client
                .get_completion_context(with_deadline(make(), deadline))
                .await;
            count(
                &tally,
                kind,
                code_of(&r),
                t.elapsed().as_secs_f64() * 1000.0,
            );
            tokio::time::sleep(pause).await;
        }
    })
}

fn report(label: &str, ms: &[f64], errors: &BTreeMap<String, u64>, secs: f64) -> (f64, f64) {
    let s = sorted(ms.to_vec());
    let (p50, p99) = (percentile(&s, 0.5), percentile(&s, 0.99));
    println!(
        "normal client, {label}: {} answered in {secs:.0} s, p50 {p50:.1} ms, p99 {p99:.1} ms, max {:.1} ms, errors {errors:?}",
        s.len(),
        s.last().copied().unwrap_or(0.0)
    );
    (p50, p99)
}

async fn attack(o: &Options, paths: &Paths, root: &Path, files: &[String]) -> Result<()> {
    let socket = format!("unix:{}", paths.state.join("serve.sock").display());
    let mut server = start_server(paths, &socket).await?;
    let channel = connect(&server.addr, Duration::from_secs(5)).await?;
    let repo = register(&channel, root).await?;
    let mix =
        Arc::new(build_mix(&channel, &repo, root, files, pb::SearchMode::Lexical as i32).await?);
    let idle_rss = rss_bytes(server.pid()).unwrap_or(0);

    // 1. idle
    let idle_secs = (o.seconds / 2).max(10);
    let stop = Arc::new(AtomicBool::new(false));
    let normal = tokio::spawn(normal_client(channel.clone(), mix.clone(), stop.clone()));
    tokio::time::sleep(Duration::from_secs(idle_secs)).await;
    stop.store(true, Ordering::Relaxed);
    let (idle_ms, idle_errors) = normal.await?;
    let (_, idle_p99) = report("idle server", &idle_ms, &idle_errors, idle_secs as f64);

    // 2. hostile
    let rss = RssSampler::start(server.pid());
    let stop = Arc::new(AtomicBool::new(false));
    let tally: Tally = Arc::default();
    // A FIFO is not a repository.
    let fifo = IndexServiceClient::new(channel.clone())
        .register_repository(pb::RegisterRepositoryRequest {
            path: root
                .join("hostile/pipe.java")
                .to_string_lossy()
                .into_owned(),
            options: None,
        })
        .await;
    count(&tally, "register FIFO", code_of(&fifo), 0.0);
    let hostile_channel = connect(&server.addr, Duration::from_secs(5)).await?;
    let big = Arc::new("x".repeat(64 << 20));
    let short = Arc::new(short_lines(2 << 20));
    let bomb = Arc::new(format!("x = {}", "[".repeat(200_000)));
    let mut tasks = Vec::new();
    let r = repo.clone();
    tasks.push(hostile_loop(
        &hostile_channel,
        &tally,
        &stop,
        "context 64 MB buffer",
        Duration::from_secs(10),
        Duration::from_millis(500),
        {
            let (r, big) = (r.clone(), big.clone());
            move || context_request(&r, "hostile/Big.java", Some(big.as_ref().clone()))
        },
    ));
    tasks.push(hostile_loop(
        &hostile_channel,
        &tally,
        &stop,
        "context on 64 MB file",
        Duration::from_secs(5),
        Duration::from_millis(100),
        {
            let r = r.clone();
            move || context_request(&r, "hostile/Huge.java", None)
        },
    ));
    tasks.push(hostile_loop(
        &hostile_channel,
        &tally,
        &stop,
        "context 2 MB short lines",
        Duration::from_secs(3),
        Duration::from_millis(100),
        {
            let (r, short) = (r.clone(), short.clone());
            move || context_request(&r, "hostile/Short.java", Some(short.as_ref().clone()))
        },
    ));
    tasks.push(hostile_loop(
        &hostile_channel,
        &tally,
        &stop,
        "context nesting bomb",
        Duration::from_secs(3),
        Duration::from_millis(100),
        {
            let (r, bomb) = (r.clone(), bomb.clone());
            move || context_request(&r, "hostile/bomb.py", Some(bomb.as_ref().clone()))
        },
    ));
    tasks.push(hostile_loop(
        &hostile_channel,
        &tally,
        &stop,
        "context on FIFO",
        Duration::from_secs(2),
        Duration::from_millis(100),
        {
            let r = r.clone();
            move || context_request(&r, "hostile/pipe.java", None)
        },
    ));
    for _ in 0..6 {
        tasks.push(hostile_loop(
            &hostile_channel,
            &tally,
            &stop,
            "abandoned after 50 ms",
            Duration::from_millis(50),
            Duration::from_millis(10),
            {
                let (r, short) = (r.clone(), short.clone());
                move || context_request(&r, "hostile/Short.java", Some(short.as_ref().clone()))
            },
        ));
    }
    // 200 connections, each its own channel.
    let mut connected = 0;
    for i in 0..200u64 {
        let Ok(ch) = connect(&server.addr, Duration::from_secs(5)).await else {
            count(&tally, "connect", "Failed".into(), 0.0);
            continue;
        };
        connected += 1;
        let (tally, stop, repo, mix) = (tally.clone(), stop.clone(), repo.clone(), mix.clone());
        tasks.push(tokio::spawn(async move {
            let mut graph = GraphServiceClient::new(ch);
            tokio::time::sleep(Duration::from_millis(i * 10)).await;
            let mut n = i as usize;
            while !stop.load(Ordering::Relaxed) {
                let name = mix.callers[n % mix.callers.len()].clone();
                n += 1;
                let t = Instant::now();
                let r = graph
                    .lookup_symbol(with_deadline(
                        pb::LookupSymbolRequest {
                            repository: repo.clone(),
                            name,
                            ..Default::default()
                        },
                        Duration::from_secs(10),
                    ))
                    .await;
                count(
                    &tally,
                    "200 connections: lookup",
                    code_of(&r),
                    t.elapsed().as_secs_f64() * 1000.0,
                );
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        }));
    }
    println!("hostile clients started ({connected} of 200 extra connections open)");
    let normal_stop = Arc::new(AtomicBool::new(false));
    let normal = tokio::spawn(normal_client(
        channel.clone(),
        mix.clone(),
        normal_stop.clone(),
    ));
    tokio::time::sleep(Duration::from_secs(o.seconds)).await;
    normal_stop.store(true, Ordering::Relaxed);
    let (ms, errors) = normal.await?;
    let (_, p99) = report("under attack", &ms, &errors, o.seconds as f64);

    // 3. SIGTERM with the hostile requests still running.
    let (exit, term_ms) = terminate(&mut server).await?;
    stop.store(true, Ordering::Relaxed);
    let seen = rss.finish();
    for t in tasks {
        t.abort();
    }
    println!("hostile requests (sent, codes, slowest answer):");
    for (kind, o) in tally.lock().unwrap().iter() {
        println!(
            "  {kind:<28} {:>6}  {:?}  max {:.0} ms",
            o.sent, o.codes, o.max_ms
        );
    }
    println!(
        "server RSS: {:.0} MB idle after indexing, peak {:.0} MB under attack (trace MB every 5 s: {:?}), peak threads {}",
        idle_rss as f64 / 1e6,
        seen.max as f64 / 1e6,
        seen.trace,
        seen.max_threads
    );
    println!(
        "SIGTERM: {} after {term_ms:.0} ms",
        exit.map_or("still running after 10 s (killed)".to_owned(), |s| format!(
            "exited with {s}"
        ))
    );
    let ratio = p99 / idle_p99.max(0.001);
    let checks = [
        (
            format!(
                "normal p99 {p99:.1} ms = {ratio:.2}x idle p99 {idle_p99:.1} ms (target <= 2x)"
            ),
            ratio <= 2.0,
        ),
        (
            format!(
                "peak RSS {:.0} MB (bound {} MB)",
                seen.max as f64 / 1e6,
                o.rss_bound_mb
            ),
            seen.max <= o.rss_bound_mb << 20,
        ),
        (
            format!("SIGTERM to exit {term_ms:.0} ms (target <= 2000 ms)"),
            exit.is_some_and(|s| s.success()) && term_ms <= 2000.0,
        ),
    ];
    let mut missed = 0;
    for (text, ok) in &checks {
        println!("target {}: {text}", if *ok { "met" } else { "MISSED" });
        missed += usize::from(!ok);
    }
    println!("server log: {}", paths.log.display());
    if missed > 0 {
        bail!("{missed} hostile-serve targets missed");
    }
    Ok(())
}
