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

use super::{Rng, bench_dir, build_cli, corpus, median, percentile, run, workspace_root};
use anyhow::{Context, Result, bail};
use codegraph_server::pb;
use pb::context_service_client::ContextServiceClient;
use pb::graph_service_client::GraphServiceClient;
use pb::index_service_client::IndexServiceClient;
use pb::search_service_client::SearchServiceClient;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tonic::transport::{Channel, Endpoint};

/// The deadline of every load request.
const DEADLINE: Duration = Duration::from_secs(5);
/// Request kinds, in the order of the per-kind arrays.
const KINDS: [&str; 3] = ["search", "context", "callers"];
/// Pause of the editor between saves.
const EDIT_EVERY: Duration = Duration::from_millis(500);

#[derive(Debug, Clone)]
struct Options {
    seconds: u64,
    clients: usize,
    think_ms: u64,
    think_seconds: u64,
    restarts: usize,
    cold_seconds: u64,
    /// Fixed-rate phase: requests per second over all clients.
    rate: f64,
    rate_seconds: u64,
    /// Only the fixed-rate phase after the warm-up.
    only_rate: bool,
    /// No editor during the load phases (the baseline without indexing).
    no_edits: bool,
}

impl Options {
    fn parse(args: &[String]) -> Result<Options> {
        let mut o = Options {
            seconds: 60,
            clients: 32,
            think_ms: 50,
            think_seconds: 30,
            restarts: 3,
            cold_seconds: 15,
            rate: 64.0,
            rate_seconds: 30,
            only_rate: false,
            no_edits: false,
        };
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            let mut value = || -> Result<u64> {
                it.next()
                    .with_context(|| format!("{flag} N"))?
                    .parse()
                    .with_context(|| format!("{flag} N: a whole number"))
            };
            match flag.as_str() {
                "--seconds" => o.seconds = value()?,
                "--clients" => o.clients = value()? as usize,
                "--think-ms" => o.think_ms = value()?,
                "--think-seconds" => o.think_seconds = value()?,
                "--restarts" => o.restarts = value()? as usize,
                "--cold-seconds" => o.cold_seconds = value()?,
                "--rate" => {
                    o.rate = it
                        .next()
                        .context("--rate R")?
                        .parse()
                        .context("--rate R: requests per second, a number")?
                }
                "--rate-seconds" => o.rate_seconds = value()?,
                "--only-rate" => o.only_rate = true,
                "--no-edits" => o.no_edits = true,
                other => bail!(
                    "bench-serve: unknown argument `{other}` (--seconds N, --clients N, --think-ms N, --think-seconds N, --restarts N, --cold-seconds N, --rate R, --rate-seconds N, --only-rate, --no-edits)"
                ),
            }
        }
        if o.clients == 0 {
            bail!("--clients must be at least 1");
        }
        if !(o.rate.is_finite() && o.rate > 0.0) {
            bail!("--rate must be a positive number of requests per second");
        }
        Ok(o)
    }
}

/// Where everything of one run lives.
#[derive(Debug)]
struct Paths {
    bin: PathBuf,
    root: PathBuf,
    cache: PathBuf,
    state: PathBuf,
    ready: PathBuf,
    log: PathBuf,
}

/// A server process this bench started; killed (SIGKILL) if dropped while
/// still running, so an error never leaves it behind.
struct Server {
    child: Child,
    addr: String,
}

impl Server {
    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The last lines of the server's log, for error messages.
fn log_tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// Starts `codegraph serve` on `addr`; returns at once.
fn spawn_server(paths: &Paths, addr: &str) -> Result<Child> {
    let _ = std::fs::remove_file(&paths.ready);
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&paths.log)?;
    Command::new(&paths.bin)
        .args(["serve", "--addr", addr, "--ready-file"])
        .arg(&paths.ready)
        .arg("--state-dir")
        .arg(&paths.state)
        .env("CODEGRAPH_CACHE_DIR", &paths.cache)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .with_context(|| format!("cannot start {}", paths.bin.display()))
}

/// The address the server wrote to its ready file, once it did.
fn ready_addr(paths: &Paths) -> Option<String> {
    std::fs::read_to_string(&paths.ready)
        .ok()
        .map(|a| a.trim().to_owned())
        .filter(|a| !a.is_empty())
}

/// Fails if the server process has exited.
fn check_alive(child: &mut Child, paths: &Paths) -> Result<()> {
    if let Some(status) = child.try_wait()? {
        bail!(
            "the server exited ({status}); the end of {}:\n{}",
            paths.log.display(),
            log_tail(&paths.log)
        );
    }
    Ok(())
}

async fn start_server(paths: &Paths, addr: &str) -> Result<Server> {
    let mut child = spawn_server(paths, addr)?;
    let started = Instant::now();
    loop {
        if let Some(addr) = ready_addr(paths) {
            return Ok(Server { child, addr });
        }
        check_alive(&mut child, paths)?;
        if started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            let _ = child.wait();
            bail!("the server wrote no ready file within 120 s");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn connect(addr: &str, timeout: Duration) -> Result<Channel> {
    Ok(Endpoint::from_shared(format!("http://{addr}"))?
        .connect_timeout(timeout)
        .tcp_nodelay(true)
        .connect()
        .await?)
}

/// A request with a deadline (sent as `grpc-timeout`).
fn with_deadline<T>(message: T, deadline: Duration) -> tonic::Request<T> {
    let mut r = tonic::Request::new(message);
    r.set_timeout(deadline);
    r
}

fn zero_based_utf16() -> Option<pb::PositionEncoding> {
    Some(pb::PositionEncoding {
        base: pb::PositionBase::ZeroBased as i32,
        column_unit: pb::ColumnUnit::Utf16 as i32,
    })
}

/// A field of /proc/PID/status (`VmRSS`, `Threads`), as a number.
fn proc_status(pid: u32, field: &str) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
}

/// Resident memory of a process, in bytes.
fn rss_bytes(pid: u32) -> Option<u64> {
    proc_status(pid, "VmRSS").map(|kb| kb * 1024)
}

/// CPU seconds (user + system) a process has used, from /proc (0 when it
/// is gone).
fn process_cpu(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime (fields 14 and 15), counted from the state field (3).
    (ticks(11) + ticks(12)) / 100.0
}

/// CPU seconds the whole machine has been busy (every core), from
/// /proc/stat.
fn machine_busy() -> f64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let f: Vec<f64> = stat
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal
    let get = |i: usize| f.get(i).copied().unwrap_or(0.0);
    (get(0) + get(1) + get(2) + get(5) + get(6) + get(7)) / 100.0
}

/// Where the CPU went during a phase: the server, this process (clients,
/// editor), everything else on the machine.
struct CpuShare {
    pid: u32,
    server: f64,
    bench: f64,
    busy: f64,
    started: Instant,
}

impl CpuShare {
    fn start(pid: u32) -> CpuShare {
        CpuShare {
            pid,
            server: process_cpu(pid),
            bench: process_cpu(std::process::id()),
            busy: machine_busy(),
            started: Instant::now(),
        }
    }

    fn finish(&self) -> String {
        let server = process_cpu(self.pid) - self.server;
        let bench = process_cpu(std::process::id()) - self.bench;
        let busy = machine_busy() - self.busy;
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        format!(
            "CPU: server {server:.1} s, bench clients and editor {bench:.1} s, rest of the machine {:.1} s; {cores} cores x {:.1} s = {:.1} s",
            (busy - server - bench).max(0.0),
            self.started.elapsed().as_secs_f64(),
            cores as f64 * self.started.elapsed().as_secs_f64()
        )
    }
}

/// Samples a process's RSS and thread count every second until stopped.
struct RssSampler {
    stop: Arc<AtomicBool>,
    handle: std::thread::JoinHandle<Vec<(u64, u64)>>,
}

/// What an [`RssSampler`] saw.
struct RssSeen {
    max: u64,
    last: u64,
    /// Every 5th sample (MB), for the trend.
    trace: Vec<u64>,
    max_threads: u64,
}

impl RssSampler {
    fn start(pid: u32) -> RssSampler {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::spawn(move || {
            let sample = || Some((rss_bytes(pid)?, proc_status(pid, "Threads").unwrap_or(0)));
            let mut samples = Vec::new();
            let mut next = Instant::now();
            while !flag.load(Ordering::Relaxed) {
                if Instant::now() >= next {
                    samples.extend(sample());
                    next += Duration::from_secs(1);
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            samples.extend(sample());
            samples
        });
        RssSampler { stop, handle }
    }

    fn finish(self) -> RssSeen {
        self.stop.store(true, Ordering::Relaxed);
        let samples = self.handle.join().unwrap_or_default();
        RssSeen {
            max: samples.iter().map(|s| s.0).max().unwrap_or(0),
            last: samples.last().map_or(0, |s| s.0),
            trace: samples.iter().step_by(5).map(|s| s.0 / 1_000_000).collect(),
            max_threads: samples.iter().map(|s| s.1).max().unwrap_or(0),
        }
    }
}

/// Saves a file of the served tree every 500 ms until stopped: a small
/// method before the last `}` of a random `.java` file, or a comment line
/// at its end (both leave the lines before them unchanged, so cursors of
/// the mix stay valid).
struct Editor {
    stop: Arc<AtomicBool>,
    handle: std::thread::JoinHandle<u64>,
}

impl Editor {
    /// Saves a file every [`EDIT_EVERY`] until finished; with `enabled`
    /// false it saves nothing (the baseline without indexing).
    fn start(
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

    fn finish(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.handle.join().unwrap_or(0)
    }
}

/// Adds `void NAME() { }` before the last `}` of a file.
fn add_method(path: &Path, name: &str) -> Result<()> {
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
fn java_files(root: &Path) -> Result<Vec<String>> {
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

/// `parseUnsignedInt` → `parse`, `unsigned`, `int`; `URLDecoder` → `url`,
/// `decoder`.
fn words(ident: &str) -> Vec<String> {
    let chars: Vec<char> = ident.chars().collect();
    let mut out = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        let prev = i.checked_sub(1).map(|j| chars[j]);
        let next = chars.get(i + 1);
        let boundary = c.is_uppercase()
            && prev.is_some_and(|p| {
                p.is_lowercase()
                    || p.is_ascii_digit()
                    || (p.is_uppercase() && next.is_some_and(|n| n.is_lowercase()))
            });
        if boundary && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out.retain(|w| w.len() > 1);
    out
}

/// A completion cursor: a line inside a method (0-based), the column at
/// the end of its text (UTF-16).
#[derive(Debug, Clone)]
struct Cursor {
    path: String,
    line: u32,
    column: u32,
}

/// What the load clients send, drawn from the index.
#[derive(Debug)]
struct Mix {
    repo: String,
    mode: i32,
    queries: Vec<String>,
    cursors: Vec<Cursor>,
    callers: Vec<String>,
}

struct Method {
    path: String,
    name: String,
    qualified: String,
    start: u32,
    end: u32,
}

async fn build_mix(
    channel: &Channel,
    repo: &str,
    root: &Path,
    files: &[String],
    mode: i32,
) -> Result<Mix> {
    let mut graph = GraphServiceClient::new(channel.clone());
    let mut rng = Rng(0x5E7E_B0A7_2024_0001);
    let mut sample = BTreeSet::new();
    while sample.len() < 300.min(files.len()) {
        sample.insert(files[(rng.next() % files.len() as u64) as usize].clone());
    }
    let mut methods = Vec::new();
    let mut types = Vec::new();
    for path in &sample {
        let r = graph
            .list_file_symbols(with_deadline(
                pb::ListFileSymbolsRequest {
                    repository: repo.to_owned(),
                    path: path.clone(),
                    limit: 0,
                    position_encoding: zero_based_utf16(),
                },
                Duration::from_secs(30),
            ))
            .await
            .with_context(|| format!("ListFileSymbols {path}"))?
            .into_inner();
        for s in r.symbols {
            let Some(lines) = s.lines else { continue };
            match s.kind.as_str() {
                "method" | "constructor" => methods.push(Method {
                    path: s.path,
                    name: s.name,
                    qualified: s.qualified_name,
                    start: lines.start_line,
                    end: lines.end_line,
                }),
                "class" | "interface" | "enum" | "record" => types.push(s.name),
                _ => {}
            }
        }
    }
    if methods.is_empty() {
        bail!("ListFileSymbols found no method in {} files", sample.len());
    }
    // Searches: identifiers (method and type names) and 2-3 word phrases
    // made of their words.
    let mut queries = Vec::new();
    let mut seen = BTreeSet::new();
    let mut attempts = 0;
    while queries.len() < 400 && attempts < 10_000 {
        attempts += 1;
        let m = &methods[(rng.next() % methods.len() as u64) as usize];
        let q = match attempts % 4 {
            0 => m.name.clone(),
            1 if !types.is_empty() => types[(rng.next() % types.len() as u64) as usize].clone(),
            _ => {
                let mut w = words(&m.name);
                if w.len() < 2 && !types.is_empty() {
                    let t = &types[(rng.next() % types.len() as u64) as usize];
                    w.extend(words(t).into_iter().take(2));
                }
                if w.len() < 2 {
                    continue;
                }
                let take = 2 + (rng.next() % 2) as usize;
                w.into_iter().take(take).collect::<Vec<_>>().join(" ")
            }
        };
        if seen.insert(q.clone()) {
            queries.push(q);
        }
    }
    // Cursors: a line inside a method, at the end of its text.
    let mut texts: HashMap<String, Vec<String>> = HashMap::new();
    let mut cursors = Vec::new();
    let long: Vec<&Method> = methods.iter().filter(|m| m.end > m.start + 1).collect();
    for _ in 0..600 {
        if long.is_empty() {
            break;
        }
        let m = long[(rng.next() % long.len() as u64) as usize];
        if !texts.contains_key(&m.path) {
            let text = std::fs::read_to_string(root.join(&m.path)).unwrap_or_default();
            texts.insert(
                m.path.clone(),
                text.split('\n').map(str::to_owned).collect(),
            );
        }
        let lines = &texts[&m.path];
        let line = m.start + 1 + (rng.next() % u64::from(m.end - m.start)) as u32;
        let Some(text) = lines.get(line as usize) else {
            continue;
        };
        cursors.push(Cursor {
            path: m.path.clone(),
            line,
            column: text.trim_end().encode_utf16().count() as u32,
        });
    }
    if cursors.is_empty() {
        bail!("no method spans more than two lines in the sample");
    }
    // Callers: qualified method names the server resolves (overloads share
    // a name; a name defined in two places is ambiguous and left out).
    let mut names: Vec<String> = methods
        .iter()
        .map(|m| m.qualified.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut shuffled = Vec::new();
    while !names.is_empty() && shuffled.len() < 250 {
        let i = (rng.next() % names.len() as u64) as usize;
        shuffled.push(names.swap_remove(i));
    }
    let mut callers = Vec::new();
    let (mut with_callers, mut refused) = (0, BTreeMap::<String, u64>::new());
    let started = Instant::now();
    for name in shuffled {
        match graph
            .list_callers(with_deadline(
                callers_request(repo, &name),
                Duration::from_secs(60),
            ))
            .await
        {
            Ok(r) => {
                if !r.into_inner().callers.is_empty() {
                    with_callers += 1;
                }
                callers.push(name);
            }
            Err(e) => *refused.entry(format!("{:?}", e.code())).or_default() += 1,
        }
    }
    eprintln!(
        "callers targets checked in {:.1} s (the first loads the graph)",
        started.elapsed().as_secs_f64()
    );
    if callers.is_empty() {
        bail!("no method name was accepted by ListCallers ({refused:?})");
    }
    println!(
        "mix: {} files sampled, {} methods, {} types -> {} queries, {} cursors, {} callers targets ({} with callers; left out: {:?})",
        sample.len(),
        methods.len(),
        types.len(),
        queries.len(),
        cursors.len(),
        callers.len(),
        with_callers,
        refused
    );
    Ok(Mix {
        repo: repo.to_owned(),
        mode,
        queries,
        cursors,
        callers,
    })
}

fn callers_request(repo: &str, name: &str) -> pb::ListCallersRequest {
    pb::ListCallersRequest {
        repository: repo.to_owned(),
        symbol: Some(pb::SymbolRef {
            selector: Some(pb::symbol_ref::Selector::Name(name.to_owned())),
        }),
        depth: 1,
        position_encoding: zero_based_utf16(),
        ..Default::default()
    }
}

fn search_request(repo: &str, query: &str, mode: i32, k: u32) -> pb::SearchRequest {
    pb::SearchRequest {
        repository: repo.to_owned(),
        query: query.to_owned(),
        k,
        mode,
        ..Default::default()
    }
}

/// One request of the mix, kept to describe and replay failures.
#[derive(Debug, Clone)]
enum Req {
    Search(String),
    Context(Cursor),
    Callers(String),
}

impl Req {
    fn kind(&self) -> usize {
        match self {
            Req::Search(_) => 0,
            Req::Context(_) => 1,
            Req::Callers(_) => 2,
        }
    }
}

impl std::fmt::Display for Req {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Req::Search(q) => write!(f, "Search {q:?}"),
            Req::Context(c) => write!(f, "GetCompletionContext {}:{}:{}", c.path, c.line, c.column),
            Req::Callers(n) => write!(f, "ListCallers {n}"),
        }
    }
}

/// The three clients of one load client, on clones of one channel.
#[derive(Clone)]
struct Clients {
    search: SearchServiceClient<Channel>,
    context: ContextServiceClient<Channel>,
    graph: GraphServiceClient<Channel>,
}

impl Clients {
    fn new(channel: Channel) -> Clients {
        Clients {
            search: SearchServiceClient::new(channel.clone()),
            context: ContextServiceClient::new(channel.clone()),
            graph: GraphServiceClient::new(channel),
        }
    }

    /// Sends one request; the server-side time (`took_us`) when the
    /// response has one.
    async fn send(
        &mut self,
        mix: &Mix,
        req: &Req,
        deadline: Duration,
    ) -> Result<Option<u64>, tonic::Status> {
        match req {
            Req::Search(q) => self
                .search
                .search(with_deadline(
                    search_request(&mix.repo, q, mix.mode, 10),
                    deadline,
                ))
                .await
                .map(|r| Some(r.into_inner().took_us)),
            Req::Context(c) => self
                .context
                .get_completion_context(with_deadline(
                    pb::GetCompletionContextRequest {
                        repository: mix.repo.clone(),
                        path: c.path.clone(),
                        cursor: Some(pb::Position {
                            line: c.line,
                            column: c.column,
                        }),
                        position_encoding: zero_based_utf16(),
                        ..Default::default()
                    },
                    deadline,
                ))
                .await
                .map(|r| Some(r.into_inner().took_us)),
            Req::Callers(name) => self
                .graph
                .list_callers(with_deadline(callers_request(&mix.repo, name), deadline))
                .await
                .map(|_| None),
        }
    }
}

/// The name a failure is counted under: the gRPC code, except that tonic's
/// client reports its own expiry of the deadline (the `grpc-timeout` it
/// sent) as CANCELLED "Timeout expired": that one is `ClientDeadline`.
fn failure_code(status: &tonic::Status) -> String {
    if status.code() == tonic::Code::Cancelled && status.message() == "Timeout expired" {
        "ClientDeadline".to_owned()
    } else {
        format!("{:?}", status.code())
    }
}

/// One failed request.
#[derive(Debug, Clone)]
struct Failure {
    /// Seconds into the phase when it was sent.
    at: f64,
    ms: f64,
    code: String,
    message: String,
    req: Req,
}

/// What the clients of one phase saw.
#[derive(Default)]
struct Stats {
    /// End-to-end latency of the answered requests, ms, per kind.
    e2e: [Vec<f64>; 3],
    /// Server-side `took_us` (search, context), ms.
    server: [Vec<f64>; 3],
    /// Failed requests by code, per kind.
    errors: [BTreeMap<String, u64>; 3],
    /// The first failures of each client.
    failures: Vec<Failure>,
    /// Fixed rate only: how late each request left after its scheduled
    /// time, ms.
    lag: Vec<f64>,
    /// Fixed rate only: the most requests in flight at once (all clients).
    peak_in_flight: u64,
}

impl Stats {
    fn merge(&mut self, other: Stats) {
        for k in 0..3 {
            self.e2e[k].extend(&other.e2e[k]);
            self.server[k].extend(&other.server[k]);
            for (code, n) in &other.errors[k] {
                *self.errors[k].entry(code.clone()).or_default() += n;
            }
        }
        self.failures.extend(other.failures);
        self.lag.extend(other.lag);
        self.peak_in_flight = self.peak_in_flight.max(other.peak_in_flight);
    }

    /// Counts one request sent `at` seconds into the phase that took `ms`;
    /// false when it failed. The first 20 failures are kept.
    fn record(
        &mut self,
        req: Req,
        at: f64,
        ms: f64,
        call: Result<Option<u64>, tonic::Status>,
    ) -> bool {
        let kind = req.kind();
        match call {
            Ok(server_us) => {
                self.e2e[kind].push(ms);
                if let Some(us) = server_us {
                    self.server[kind].push(us as f64 / 1000.0);
                }
                true
            }
            Err(status) => {
                let code = failure_code(&status);
                if self.failures.len() < 20 {
                    self.failures.push(Failure {
                        at,
                        ms,
                        code: code.clone(),
                        message: status.message().to_owned(),
                        req,
                    });
                }
                *self.errors[kind].entry(code).or_default() += 1;
                false
            }
        }
    }

    fn answered(&self) -> usize {
        self.e2e.iter().map(Vec::len).sum()
    }

    fn failed(&self) -> u64 {
        self.errors.iter().flat_map(|m| m.values()).sum()
    }

    fn errors_text(&self) -> String {
        let mut all: BTreeMap<&str, u64> = BTreeMap::new();
        for m in &self.errors {
            for (code, n) in m {
                *all.entry(code).or_default() += n;
            }
        }
        if all.is_empty() {
            "none".into()
        } else {
            all.iter()
                .map(|(c, n)| format!("{c} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    }

    /// Up to `per_code` failures of each code, earliest first.
    fn examples(&self, per_code: usize) -> Vec<&Failure> {
        let mut sorted: Vec<&Failure> = self.failures.iter().collect();
        sorted.sort_by(|a, b| a.at.total_cmp(&b.at));
        let mut taken: BTreeMap<&str, usize> = BTreeMap::new();
        sorted
            .into_iter()
            .filter(|f| {
                let n = taken.entry(&f.code).or_default();
                *n += 1;
                *n <= per_code
            })
            .collect()
    }
}

/// One load client: requests until `until` or `stop`, pausing `think`
/// between them (and 10 ms after a failure, not to spin on a dead server).
async fn client(
    channel: Channel,
    mix: Arc<Mix>,
    seed: u64,
    phase_start: Instant,
    until: Instant,
    think: Duration,
    stop: Arc<AtomicBool>,
) -> Stats {
    let mut clients = Clients::new(channel);
    let mut rng = Rng(seed);
    let mut stats = Stats::default();
    while Instant::now() < until && !stop.load(Ordering::Relaxed) {
        let req = pick(&mix, &mut rng);
        let started = Instant::now();
        let call = clients.send(&mix, &req, DEADLINE).await;
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        let at = (started - phase_start).as_secs_f64();
        if !stats.record(req, at, ms, call) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        if !think.is_zero() {
            tokio::time::sleep(think).await;
        }
    }
    stats
}

/// The next request of the mix: search / context / callers 40/40/20.
fn pick(mix: &Mix, rng: &mut Rng) -> Req {
    let pick = rng.next() as usize;
    match rng.next() % 10 {
        0..=3 => Req::Search(mix.queries[pick % mix.queries.len()].clone()),
        4..=7 => Req::Context(mix.cursors[pick % mix.cursors.len()].clone()),
        _ => Req::Callers(mix.callers[pick % mix.callers.len()].clone()),
    }
}

/// The shared counters of the fixed-rate clients: requests in flight now
/// and at most.
#[derive(Default)]
struct InFlight {
    now: AtomicU64,
    peak: AtomicU64,
}

/// One fixed-rate client: sends the n-th request at `first + n * interval`
/// (while that is before `until`), each in its own task, whether or not the
/// earlier ones have answered: arrivals do not wait for responses.
#[allow(clippy::too_many_arguments)]
async fn rate_client(
    channel: Channel,
    mix: Arc<Mix>,
    seed: u64,
    phase_start: Instant,
    first: Instant,
    interval: Duration,
    until: Instant,
    in_flight: Arc<InFlight>,
) -> Stats {
    let clients = Clients::new(channel);
    let mut rng = Rng(seed);
    let mut tasks = Vec::new();
    let mut n: u32 = 0;
    loop {
        let at = first + interval * n;
        if at >= until {
            break;
        }
        n += 1;
        tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await;
        let req = pick(&mix, &mut rng);
        let mut clients = clients.clone();
        let mix = mix.clone();
        let in_flight = in_flight.clone();
        tasks.push(tokio::spawn(async move {
            let now = in_flight.now.fetch_add(1, Ordering::Relaxed) + 1;
            in_flight.peak.fetch_max(now, Ordering::Relaxed);
            let started = Instant::now();
            let call = clients.send(&mix, &req, DEADLINE).await;
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            in_flight.now.fetch_sub(1, Ordering::Relaxed);
            (req, started, ms, call)
        }));
    }
    // The lag of a request: from its scheduled time to when its task
    // started sending.
    let mut stats = Stats::default();
    for (n, task) in (0u32..).zip(tasks) {
        let at = first + interval * n;
        let Ok((req, started, ms, call)) = task.await else {
            continue;
        };
        stats
            .lag
            .push(started.saturating_duration_since(at).as_secs_f64() * 1000.0);
        stats.record(req, (started - phase_start).as_secs_f64(), ms, call);
    }
    stats.peak_in_flight = in_flight.peak.load(Ordering::Relaxed);
    stats
}

/// Starts `n` fixed-rate clients on clones of one channel, `rate` requests
/// per second in all: each client sends every `n / rate` s, client i first
/// at `i / rate` s, so the arrivals of all clients are evenly spread.
fn spawn_rate_clients(
    channel: &Channel,
    mix: &Arc<Mix>,
    n: usize,
    rate: f64,
    until: Instant,
    seed: u64,
) -> Vec<tokio::task::JoinHandle<Stats>> {
    let phase_start = Instant::now();
    let interval = Duration::from_secs_f64(n as f64 / rate);
    let in_flight = Arc::new(InFlight::default());
    (0..n)
        .map(|i| {
            tokio::spawn(rate_client(
                channel.clone(),
                mix.clone(),
                seed ^ (0x9E37_79B9_7F4A_7C15u64.wrapping_mul(i as u64 + 1)),
                phase_start,
                phase_start + Duration::from_secs_f64(i as f64 / rate),
                interval,
                until,
                in_flight.clone(),
            ))
        })
        .collect()
}

/// Starts `n` clients on clones of one channel.
fn spawn_clients(
    channel: &Channel,
    mix: &Arc<Mix>,
    n: usize,
    until: Instant,
    think: Duration,
    stop: &Arc<AtomicBool>,
    seed: u64,
) -> Vec<tokio::task::JoinHandle<Stats>> {
    let phase_start = Instant::now();
    (0..n)
        .map(|i| {
            tokio::spawn(client(
                channel.clone(),
                mix.clone(),
                seed ^ (0x9E37_79B9_7F4A_7C15u64.wrapping_mul(i as u64 + 1)),
                phase_start,
                until,
                think,
                stop.clone(),
            ))
        })
        .collect()
}

async fn join_clients(handles: Vec<tokio::task::JoinHandle<Stats>>) -> Result<Stats> {
    let mut all = Stats::default();
    for h in handles {
        all.merge(h.await.context("a client panicked")?);
    }
    Ok(all)
}

async fn status(channel: &Channel, repo: &str) -> Result<pb::GetStatusResponse> {
    Ok(IndexServiceClient::new(channel.clone())
        .get_status(with_deadline(
            pb::GetStatusRequest {
                repository: repo.to_owned(),
                max_skipped_files: 0,
            },
            Duration::from_secs(30),
        ))
        .await
        .context("GetStatus")?
        .into_inner())
}

fn watcher_updates(s: &pb::GetStatusResponse) -> u64 {
    s.watcher.as_ref().map_or(0, |w| w.updates)
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(|a, b| a.total_cmp(b));
    v
}

fn summary_line(s: &pb::RunSummary) -> String {
    let cause = pb::RunCause::try_from(s.cause)
        .map(|c| {
            c.as_str_name()
                .trim_start_matches("RUN_CAUSE_")
                .to_lowercase()
        })
        .unwrap_or_else(|_| s.cause.to_string());
    format!(
        "run {} ({cause}) succeeded {} in {} ms: parsed {}, unchanged {}, touched {}, removed {}, graph {} ({} files re-resolved, {} ms), lexical docs {}, chunks embedded {}, rebuilt {:?}, server RSS {:.0} MB{}",
        s.run_id,
        s.succeeded,
        s.duration_ms,
        s.files_parsed,
        s.files_unchanged,
        s.files_touched,
        s.files_removed,
        if s.graph_resolved {
            "resolved"
        } else {
            "not resolved"
        },
        s.graph_files_resolved,
        s.graph_duration_ms,
        s.lexical_documents_written,
        s.chunks_embedded,
        s.rebuilt_reason,
        s.server_resident_memory_bytes as f64 / 1e6,
        if s.error_message.is_empty() {
            String::new()
        } else {
            format!(", error: {}", s.error_message)
        }
    )
}

/// Prints what one load phase measured.
fn report(label: &str, stats: &Stats, secs: f64) {
    println!("{label}");
    println!(
        "  {:<8} {:>7} {:>8} {:>8} {:>8} {:>8} {:>8}   {:>9} {:>9}   errors",
        "request", "count", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "srv p50", "srv p99"
    );
    for (k, kind) in KINDS.iter().enumerate() {
        let e2e = sorted(stats.e2e[k].clone());
        let server = sorted(stats.server[k].clone());
        let (sp50, sp99) = if k == 2 {
            ("-".to_owned(), "-".to_owned())
        } else {
            (
                format!("{:.2}", percentile(&server, 0.5)),
                format!("{:.2}", percentile(&server, 0.99)),
            )
        };
        let errors = if stats.errors[k].is_empty() {
            "0".to_owned()
        } else {
            stats.errors[k]
                .iter()
                .map(|(c, n)| format!("{c} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        println!(
            "  {:<8} {:>7} {:>8.1} {:>8.1} {:>8.1} {:>8.1} {:>8.1}   {:>9} {:>9}   {errors}",
            kind,
            e2e.len(),
            e2e.len() as f64 / secs,
            percentile(&e2e, 0.5),
            percentile(&e2e, 0.95),
            percentile(&e2e, 0.99),
            e2e.last().copied().unwrap_or(0.0),
            sp50,
            sp99,
        );
    }
    println!(
        "  all      {:>7} {:>8.1}   errors: {}",
        stats.answered(),
        stats.answered() as f64 / secs,
        stats.errors_text()
    );
    for f in stats.examples(3) {
        println!(
            "  failure at +{:.1} s: {} -> {} after {:.0} ms: {}",
            f.at, f.req, f.code, f.ms, f.message
        );
    }
    if !stats.failures.is_empty() {
        let mut at: Vec<f64> = stats.failures.iter().map(|f| f.at).collect();
        at.sort_by(|a, b| a.total_cmp(b));
        println!(
            "  sent at (s into the phase; first 20 failures of each client): {}",
            at.iter()
                .map(|t| format!("{t:.1}"))
                .collect::<Vec<_>>()
                .join(" ")
        );
    }
}

/// Sends failed requests again, one at a time on an idle server, to tell
/// a request that is slow in itself from one that queued.
async fn replay(channel: &Channel, mix: &Mix, stats: &Stats) {
    let mut seen = BTreeSet::new();
    let mut clients = Clients::new(channel.clone());
    for f in stats.examples(usize::MAX) {
        if seen.len() >= 8 || !seen.insert(f.req.to_string()) {
            continue;
        }
        let t = Instant::now();
        let r = clients.send(mix, &f.req, Duration::from_secs(60)).await;
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        println!(
            "  replayed alone: {} ({} under load) -> {}",
            f.req,
            f.code,
            match r {
                Ok(Some(us)) => format!("{ms:.0} ms (server {:.0} ms)", us as f64 / 1000.0),
                Ok(None) => format!("{ms:.0} ms"),
                Err(e) => format!("{} after {ms:.0} ms: {}", failure_code(&e), e.message()),
            }
        );
    }
}

struct Phase<'a> {
    server: &'a Server,
    channel: &'a Channel,
    mix: &'a Arc<Mix>,
    root: &'a Path,
    files: &'a Arc<Vec<String>>,
    counter: &'a Arc<AtomicU64>,
    /// Whether the editor saves files during the phase.
    edits: bool,
}

/// How the clients of a phase send.
#[derive(Debug, Clone, Copy)]
enum Load {
    /// The next request once the answer came, after this pause (zero: a
    /// closed loop).
    Think(Duration),
    /// Fixed rate: this many requests per second over all clients, sent
    /// whatever the answers.
    Rate(f64),
}

/// One load phase: clients, editor and RSS sampler together.
async fn load_phase(
    p: &Phase<'_>,
    label: &str,
    clients: usize,
    seconds: u64,
    load: Load,
    seed: u64,
) -> Result<Stats> {
    eprintln!("{label} ...");
    let before = status(p.channel, &p.mix.repo).await?;
    let sampler = RssSampler::start(p.server.pid());
    let cpu = CpuShare::start(p.server.pid());
    let editor = Editor::start(
        p.root,
        p.files.clone(),
        seed ^ 0xED17,
        p.counter.clone(),
        p.edits,
    );
    let started = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let until = started + Duration::from_secs(seconds);
    let handles = match load {
        Load::Think(think) => spawn_clients(p.channel, p.mix, clients, until, think, &stop, seed),
        Load::Rate(rate) => spawn_rate_clients(p.channel, p.mix, clients, rate, until, seed),
    };
    let stats = join_clients(handles).await?;
    let elapsed = started.elapsed().as_secs_f64();
    let edits = editor.finish();
    let rss = sampler.finish();
    let cpu = cpu.finish();
    let after = status(p.channel, &p.mix.repo).await?;
    match load {
        Load::Think(_) => report(label, &stats, elapsed),
        Load::Rate(rate) => {
            // Achieved rates over the sending window (the last answers
            // come in after it).
            report(label, &stats, seconds as f64);
            let sent = stats.answered() as u64 + stats.failed();
            let lag = sorted(stats.lag.clone());
            println!(
                "  offered {rate:.1} req/s ({:.0} ms between the sends of a client): sent {sent} in {seconds} s = {:.1} req/s; send lag behind schedule p50 {:.2} ms p99 {:.2} ms max {:.2} ms; at most {} requests in flight; last answer {:.0} ms after the window",
                clients as f64 / rate * 1000.0,
                sent as f64 / seconds.max(1) as f64,
                percentile(&lag, 0.5),
                percentile(&lag, 0.99),
                lag.last().copied().unwrap_or(0.0),
                stats.peak_in_flight,
                (elapsed - seconds as f64).max(0.0) * 1000.0
            );
        }
    }
    println!("  {cpu}");
    // Idle a moment: what the server keeps once the load is gone.
    tokio::time::sleep(Duration::from_secs(5)).await;
    println!(
        "  server RSS: max {:.0} MB, at the end {:.0} MB, after 5 s idle {:.0} MB (anonymous {:.0} MB, files {:.0} MB); every 5 s (MB): {}; threads max {}",
        rss.max as f64 / 1e6,
        rss.last as f64 / 1e6,
        rss_bytes(p.server.pid()).unwrap_or(0) as f64 / 1e6,
        proc_status(p.server.pid(), "RssAnon").unwrap_or(0) as f64 / 1e3,
        proc_status(p.server.pid(), "RssFile").unwrap_or(0) as f64 / 1e3,
        rss.trace
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(" "),
        rss.max_threads
    );
    let w = after.watcher.clone().unwrap_or_default();
    println!(
        "  watcher: {edits} saves by the editor, updates {} -> {} (+{}), last update latency {} ms",
        watcher_updates(&before),
        watcher_updates(&after),
        watcher_updates(&after).saturating_sub(watcher_updates(&before)),
        w.last_update_latency_ms
    );
    if let Some(run) = &after.last_run {
        println!("  last run: {}", summary_line(run));
    }
    if !stats.failures.is_empty() {
        replay(p.channel, p.mix, &stats).await;
    }
    Ok(stats)
}

/// What one kill -9 / restart measured.
struct Restart {
    listening_ms: f64,
    first_answer_ms: f64,
    caught_up_ms: Option<f64>,
    context_ms: Option<f64>,
    callers_ms: Option<f64>,
}

async fn fault_round(
    round: usize,
    server: &mut Server,
    paths: &Paths,
    mix: &Arc<Mix>,
    files: &Arc<Vec<String>>,
    counter: &Arc<AtomicU64>,
    clients: usize,
) -> Result<Restart> {
    eprintln!("fault round {round}: load, then kill -9 ...");
    let channel = connect(&server.addr, Duration::from_secs(2)).await?;
    let stop = Arc::new(AtomicBool::new(false));
    let editor = Editor::start(
        &paths.root,
        files.clone(),
        0xFA17 + round as u64,
        counter.clone(),
        true,
    );
    let handles = spawn_clients(
        &channel,
        mix,
        clients,
        Instant::now() + Duration::from_secs(3600),
        Duration::ZERO,
        &stop,
        0xDEAD_0000 + round as u64,
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let pid = server.pid();
    server.child.kill().context("kill -9")?;
    let killed = server.child.wait()?;
    // The clients see the server gone, then stop.
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    let seen = join_clients(handles).await?;
    let edits = editor.finish();
    drop(channel);
    // Edits while nothing serves.
    let mut rng = Rng(0xD0_0000 + round as u64);
    let mut down = Vec::new();
    while down.len() < 3 {
        let path = files[(rng.next() % files.len() as u64) as usize].clone();
        if down.iter().any(|(_, p)| *p == path) {
            continue;
        }
        let name = format!("cgWhileDown{}", (round - 1) * 3 + down.len() + 1);
        add_method(&paths.root.join(&path), &name)?;
        down.push((name, path));
    }
    // Restart on the same address, state and cache.
    let spawned = Instant::now();
    let mut next = Server {
        child: spawn_server(paths, &server.addr)?,
        addr: server.addr.clone(),
    };
    let mut listening_ms = None;
    let probe = mix.queries[0].clone();
    let (first_answer_ms, channel) = loop {
        if listening_ms.is_none() && ready_addr(paths).is_some() {
            listening_ms = Some(spawned.elapsed().as_secs_f64() * 1000.0);
        }
        check_alive(&mut next.child, paths)?;
        let attempt = async {
            let channel = connect(&server.addr, Duration::from_millis(500)).await?;
            SearchServiceClient::new(channel.clone())
                .search(with_deadline(
                    search_request(&mix.repo, &probe, pb::SearchMode::Lexical as i32, 5),
                    Duration::from_millis(500),
                ))
                .await?;
            anyhow::Ok(channel)
        };
        if let Ok(Ok(channel)) = tokio::time::timeout(Duration::from_millis(500), attempt).await {
            break (spawned.elapsed().as_secs_f64() * 1000.0, channel);
        }
        if spawned.elapsed() > Duration::from_secs(120) {
            bail!("no search answer within 120 s of the restart");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let listening_ms = listening_ms
        .or_else(|| ready_addr(paths).map(|_| first_answer_ms))
        .unwrap_or(first_answer_ms);
    if let Some(addr) = ready_addr(paths) {
        next.addr = addr;
    }
    *server = next;
    // The other kinds, cold: a context and a callers request sent together
    // right after the first search answer (the graph loads on first use).
    let cold = {
        let mix = mix.clone();
        let channel = channel.clone();
        tokio::spawn(async move {
            let one = |req: Req| {
                let mix = mix.clone();
                let mut clients = Clients::new(channel.clone());
                async move {
                    let r = clients.send(&mix, &req, Duration::from_secs(60)).await;
                    let ms = spawned.elapsed().as_secs_f64() * 1000.0;
                    r.map(|_| ms).map_err(|e| {
                        format!("{} after {ms:.0} ms: {}", failure_code(&e), e.message())
                    })
                }
            };
            tokio::join!(
                one(Req::Context(mix.cursors[0].clone())),
                one(Req::Callers(mix.callers[0].clone()))
            )
        })
    };
    // Catch-up: each method added while down found by a lexical search.
    let mut search = SearchServiceClient::new(channel.clone());
    let mut found: Vec<Option<f64>> = vec![None; down.len()];
    let limit = Duration::from_secs(300);
    while found.iter().any(Option::is_none) && spawned.elapsed() < limit {
        for (i, (name, path)) in down.iter().enumerate() {
            if found[i].is_some() {
                continue;
            }
            let r = search
                .search(with_deadline(
                    search_request(&mix.repo, name, pb::SearchMode::Lexical as i32, 5),
                    Duration::from_millis(500),
                ))
                .await;
            if r.is_ok_and(|r| r.into_inner().hits.iter().any(|h| h.path == *path)) {
                found[i] = Some(spawned.elapsed().as_secs_f64() * 1000.0);
            }
        }
        check_alive(&mut server.child, paths)?;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let caught_up_ms = if found.iter().all(Option::is_some) {
        found.iter().flatten().copied().reduce(f64::max)
    } else {
        None
    };
    println!(
        "round {round}: kill -9 of pid {pid} ({killed}) under load, {edits} saves by the editor; clients during the kill (not load errors): {} answered, {}",
        seen.answered(),
        if seen.failed() == 0 {
            "no errors".to_owned()
        } else {
            format!("errors {}", seen.errors_text())
        }
    );
    for f in seen.examples(1) {
        println!(
            "    e.g. at +{:.1} s: {} -> {} after {:.0} ms: {}",
            f.at, f.req, f.code, f.ms, f.message
        );
    }
    println!(
        "  restart: listening after {listening_ms:.0} ms, first search answer after {first_answer_ms:.0} ms; edits made while down found after {}",
        down.iter()
            .zip(&found)
            .map(|((name, _), t)| match t {
                Some(ms) => format!("{name} {ms:.0} ms"),
                None => format!("{name} NOT within {} s", limit.as_secs()),
            })
            .collect::<Vec<_>>()
            .join(", ")
    );
    let (context_cold, callers_cold) = cold.await.context("the cold requests")?;
    let show = |r: &Result<f64, String>| match r {
        Ok(ms) => format!("{ms:.0} ms"),
        Err(e) => e.clone(),
    };
    println!(
        "  sent with the first answer: first context answer after {}, first callers answer after {} (from spawn)",
        show(&context_cold),
        show(&callers_cold)
    );
    let s = status(&channel, &mix.repo).await?;
    if let Some(run) = &s.last_run {
        println!("  catch-up run: {}", summary_line(run));
    }
    if mix.mode == pb::SearchMode::Hybrid as i32 {
        let t = Instant::now();
        let r = search
            .search(with_deadline(
                search_request(&mix.repo, &probe, mix.mode, 10),
                Duration::from_secs(60),
            ))
            .await;
        println!(
            "  first hybrid search after the restart (loads the model): {:.0} ms ({})",
            t.elapsed().as_secs_f64() * 1000.0,
            match r {
                Ok(r) => format!(
                    "mode {:?}",
                    pb::SearchMode::try_from(r.into_inner().mode).unwrap_or_default()
                ),
                Err(e) => format!("{:?}: {}", e.code(), e.message()),
            }
        );
    }
    Ok(Restart {
        listening_ms,
        first_answer_ms,
        caught_up_ms,
        context_ms: context_cold.ok(),
        callers_ms: callers_cold.ok(),
    })
}

/// SIGTERM; the exit status and how long it took (None: not within 10 s,
/// then killed).
async fn terminate(server: &mut Server) -> Result<(Option<std::process::ExitStatus>, f64)> {
    let started = Instant::now();
    run(Command::new("kill")
        .arg("-TERM")
        .arg(server.pid().to_string()))?;
    loop {
        if let Some(status) = server.child.try_wait()? {
            return Ok((Some(status), started.elapsed().as_secs_f64() * 1000.0));
        }
        if started.elapsed() > Duration::from_secs(10) {
            let _ = server.child.kill();
            let _ = server.child.wait();
            return Ok((None, started.elapsed().as_secs_f64() * 1000.0));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Copies a directory tree (`cp -r`).
fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent)?;
    }
    run(Command::new("cp").arg("-r").arg(from).arg(to))
}

pub fn bench_serve(args: &[String]) -> Result<()> {
    let o = Options::parse(args)?;
    let bin = match build_cli() {
        Ok(bin) => bin,
        Err(e) => {
            let bin = workspace_root().join("target/release/codegraph");
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
    let index_note = if seeded.join("index.sqlite").exists() {
        let target = codegraph::index_dir_in(&paths.cache, &root);
        eprintln!(
            "seeding the index: {} -> {}",
            seeded.display(),
            target.display()
        );
        copy_tree(&seeded, &target)?;
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
    let files = Arc::new(java_files(&root)?);
    if files.is_empty() {
        bail!("no .java file under {}", root.display());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(serve_bench(&o, &paths, &root, files, model, &index_note))
}

async fn serve_bench(
    o: &Options,
    paths: &Paths,
    root: &Path,
    files: Arc<Vec<String>>,
    model: bool,
    index_note: &str,
) -> Result<()> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let source = Command::new("git")
        .current_dir(workspace_root())
        .args(["describe", "--always", "--dirty"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    println!("server binary {} (tree {source})", paths.bin.display());
    println!(
        "== bench-serve: codegraph serve on a copy of java.base ({} .java files), {cores} cores shared by server and clients; index {index_note}",
        files.len()
    );
    if !model {
        println!(
            "no embedding model installed: lexical only (run `codegraph model install` for hybrid)"
        );
    }
    let spawned = Instant::now();
    let mut server = start_server(paths, "127.0.0.1:0").await?;
    println!(
        "server pid {} listening on {} after {:.0} ms",
        server.pid(),
        server.addr,
        spawned.elapsed().as_secs_f64() * 1000.0
    );
    let channel = connect(&server.addr, Duration::from_secs(2)).await?;
    let mut index = IndexServiceClient::new(channel.clone());
    let registered_at = Instant::now();
    let registered = index
        .register_repository(pb::RegisterRepositoryRequest {
            path: root.to_string_lossy().into_owned(),
            options: Some(pb::RepositoryOptions {
                embed: Some(model),
                watch: Some(true),
                ..Default::default()
            }),
        })
        .await
        .context("RegisterRepository")?
        .into_inner();
    let repo = registered.repository.context("no repository")?.id;
    let mut stream = index
        .watch_progress(pb::WatchProgressRequest {
            repository: repo.clone(),
            until_ready: true,
        })
        .await
        .context("WatchProgress")?
        .into_inner();
    let mut last = None;
    let mut phase = -1;
    while let Some(event) = stream.message().await.context("WatchProgress stream")? {
        if let Some(p) = &event.progress
            && p.phase != phase
        {
            phase = p.phase;
            eprintln!(
                "  {:?} ({} ms)",
                pb::IndexPhase::try_from(p.phase).unwrap_or_default(),
                registered_at.elapsed().as_millis()
            );
        }
        last = Some(event);
    }
    let last = last.context("WatchProgress sent nothing")?;
    let ready_ms = registered_at.elapsed().as_secs_f64() * 1000.0;
    let phase =
        pb::IndexPhase::try_from(last.progress.as_ref().map_or(0, |p| p.phase)).unwrap_or_default();
    println!("register -> ready (WatchProgress until_ready): {ready_ms:.0} ms, phase {phase:?}");
    if let Some(s) = &last.summary {
        println!("  first run: {}", summary_line(s));
    }
    if phase != pb::IndexPhase::Ready {
        bail!("the first run did not end READY: {last:?}");
    }
    let st = status(&channel, &repo).await?;
    let emb = st.embeddings.clone().unwrap_or_default();
    let points = st.vector_index.as_ref().map_or(0, |v| v.points);
    println!(
        "  status: {} files, {} chunks, embeddings installed {} enabled {} coverage {:.3}, vector points {}, watcher {:?}, server RSS {:.0} MB",
        st.files.as_ref().map_or(0, |f| f.indexed),
        st.content.as_ref().map_or(0, |c| c.chunks),
        emb.installed,
        emb.enabled,
        emb.coverage,
        points,
        pb::WatcherState::try_from(st.watcher.as_ref().map_or(0, |w| w.state)).unwrap_or_default(),
        st.server_resident_memory_bytes as f64 / 1e6
    );
    let hybrid = emb.installed && emb.coverage > 0.0;
    let mode = if hybrid {
        pb::SearchMode::Hybrid
    } else {
        pb::SearchMode::Lexical
    };
    if model && !hybrid {
        println!("  the model is installed but no chunk has a vector: searches stay LEXICAL");
    }

    let mix = Arc::new(build_mix(&channel, &repo, root, &files, mode as i32).await?);
    // Warm-up: the first search of a mode loads what it needs.
    let t = Instant::now();
    let first = SearchServiceClient::new(channel.clone())
        .search(with_deadline(
            search_request(&repo, &mix.queries[0], mode as i32, 10),
            Duration::from_secs(60),
        ))
        .await
        .context("the first search")?
        .into_inner();
    println!(
        "first {:?} search (warm-up, loads the model when hybrid): {:.0} ms, answered as {:?}{}",
        mode,
        t.elapsed().as_secs_f64() * 1000.0,
        pb::SearchMode::try_from(first.mode).unwrap_or_default(),
        if first.notice.is_empty() {
            String::new()
        } else {
            format!(" ({})", first.notice)
        }
    );

    // The context corpus loads on the first context request; the load
    // phases start warm (a cold start under load is measured at the end).
    let t = Instant::now();
    let warm = Clients::new(channel.clone())
        .send(
            &mix,
            &Req::Context(mix.cursors[0].clone()),
            Duration::from_secs(60),
        )
        .await
        .context("the first context request")?;
    println!(
        "first context request (warm-up, loads the context corpus): {:.0} ms (server {:.0} ms)",
        t.elapsed().as_secs_f64() * 1000.0,
        warm.unwrap_or(0) as f64 / 1000.0
    );

    let counter = Arc::new(AtomicU64::new(0));
    let phase = Phase {
        server: &server,
        channel: &channel,
        mix: &mix,
        root,
        files: &files,
        counter: &counter,
        edits: !o.no_edits,
    };
    let editing = if o.no_edits {
        "no editor".to_string()
    } else {
        format!("a save every {} ms", EDIT_EVERY.as_millis())
    };
    let full = !o.only_rate;
    let closed = if full {
        Some(
            load_phase(
                &phase,
                &format!(
                    "-- closed loop: {} clients, {} s, search {:?} / context / callers 40/40/20, deadline {} s, {}",
                    o.clients,
                    o.seconds,
                    mode,
                    DEADLINE.as_secs(),
                    editing
                ),
                o.clients,
                o.seconds,
                Load::Think(Duration::ZERO),
                0xC105_ED00,
            )
            .await?,
        )
    } else {
        None
    };
    let open = if full {
        Some(
            load_phase(
                &phase,
                &format!(
                    "-- open loop: {} clients pausing {} ms between requests, {} s, same mix and editor",
                    o.clients, o.think_ms, o.think_seconds
                ),
                o.clients,
                o.think_seconds,
                Load::Think(Duration::from_millis(o.think_ms)),
                0x0BE4_0000,
            )
            .await?,
        )
    } else {
        None
    };
    let fixed = if o.rate_seconds > 0 {
        Some(
            load_phase(
                &phase,
                &format!(
                    "-- fixed rate: {} clients sending {:.1} req/s in all ({:.2} req/s each, arrivals evenly spread, not waiting for answers), {} s, search {:?} / context / callers 40/40/20, deadline {} s, {}",
                    o.clients,
                    o.rate,
                    o.rate / o.clients as f64,
                    o.rate_seconds,
                    mode,
                    DEADLINE.as_secs(),
                    editing
                ),
                o.clients,
                o.rate_seconds,
                Load::Rate(o.rate),
                0xF1C5_0000,
            )
            .await?,
        )
    } else {
        None
    };
    drop(channel);

    let rounds = if full { o.restarts } else { 0 };
    if rounds > 0 {
        println!(
            "-- faults: kill -9 under load ({} clients), 3 files edited while down, restart with the same address, state and cache",
            o.clients
        );
    }
    let mut restarts = Vec::new();
    for round in 1..=rounds {
        restarts
            .push(fault_round(round, &mut server, paths, &mix, &files, &counter, o.clients).await?);
    }
    if !restarts.is_empty() {
        let stat = |v: Vec<f64>| {
            let max = v.iter().copied().fold(0.0, f64::max);
            (median(v), max)
        };
        let (l50, lmax) = stat(restarts.iter().map(|r| r.listening_ms).collect());
        let (f50, fmax) = stat(restarts.iter().map(|r| r.first_answer_ms).collect());
        for (label, v) in [
            (
                "first context answer",
                restarts.iter().map(|r| r.context_ms).collect::<Vec<_>>(),
            ),
            (
                "first callers answer",
                restarts.iter().map(|r| r.callers_ms).collect(),
            ),
        ] {
            let ok: Vec<f64> = v.iter().flatten().copied().collect();
            if ok.len() == v.len() {
                let (m50, mmax) = stat(ok);
                println!("  {label} (from spawn): median {m50:.0} ms max {mmax:.0} ms");
            } else {
                println!("  {label}: failed in {} rounds", v.len() - ok.len());
            }
        }
        let caught: Vec<f64> = restarts.iter().filter_map(|r| r.caught_up_ms).collect();
        println!(
            "restart ({} rounds): listening median {l50:.0} ms max {lmax:.0} ms; first search answer median {f50:.0} ms max {fmax:.0} ms",
            restarts.len()
        );
        if caught.len() == restarts.len() {
            let (c50, cmax) = stat(caught);
            println!(
                "catch-up (all 3 edits made while down searchable, from spawn): median {c50:.0} ms max {cmax:.0} ms"
            );
        } else {
            println!(
                "catch-up: {} of {} rounds found every edit made while down",
                caught.len(),
                restarts.len()
            );
        }
    }

    let cold = if full && o.cold_seconds > 0 {
        eprintln!("cold restart under load ...");
        server.child.kill().context("kill -9")?;
        server.child.wait()?;
        let spawned = Instant::now();
        server = start_server(paths, &server.addr.clone()).await?;
        let channel = loop {
            match connect(&server.addr, Duration::from_millis(500)).await {
                Ok(c) => break c,
                Err(e) if spawned.elapsed() > Duration::from_secs(30) => return Err(e),
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        };
        let phase = Phase {
            server: &server,
            channel: &channel,
            mix: &mix,
            root,
            files: &files,
            counter: &counter,
            edits: !o.no_edits,
        };
        Some(
            load_phase(
                &phase,
                &format!(
                    "-- cold restart under load: kill -9 (idle), restart, {} clients closed loop at once for {} s (the context corpus and graph load under load)",
                    o.clients, o.cold_seconds
                ),
                o.clients,
                o.cold_seconds,
                Load::Think(Duration::ZERO),
                0xC01D_0000,
            )
            .await?,
        )
    } else {
        None
    };

    eprintln!("SIGTERM ...");
    let (exit, ms) = terminate(&mut server).await?;
    let exited_ok = exit.is_some_and(|s| s.success());
    println!(
        "SIGTERM: {} after {ms:.0} ms",
        match exit {
            Some(s) => format!("exited with {s}"),
            None => "still running after 10 s (killed)".to_owned(),
        }
    );

    println!("-- targets");
    let mark = |ok: bool| if ok { "ok  " } else { "MISS" };
    if let (Some(closed), Some(open)) = (&closed, &open) {
        println!(
            "  {} no errors under load (closed loop {}, open loop {})",
            mark(closed.failed() == 0 && open.failed() == 0),
            closed.errors_text(),
            open.errors_text()
        );
    }
    if let Some(fixed) = &fixed {
        println!(
            "  {} no errors at the fixed rate of {:.1} req/s ({})",
            mark(fixed.failed() == 0),
            o.rate,
            fixed.errors_text()
        );
        for (k, limit) in [(1, 15.0), (0, 40.0)] {
            for (side, v) in [
                ("end to end", &fixed.e2e[k]),
                ("server side", &fixed.server[k]),
            ] {
                let p99 = percentile(&sorted(v.clone()), 0.99);
                println!(
                    "  {} {} p99 <= {limit:.0} ms at {:.1} req/s fixed rate, {side}: {}",
                    mark(!v.is_empty() && p99 <= limit),
                    KINDS[k],
                    o.rate,
                    if v.is_empty() {
                        "no answer".to_owned()
                    } else {
                        format!("{p99:.2} ms ({} answers)", v.len())
                    }
                );
            }
        }
    }
    if !restarts.is_empty() {
        let worst = restarts
            .iter()
            .map(|r| r.first_answer_ms)
            .fold(0.0, f64::max);
        println!(
            "  {} first search answer within 1 s of a restart (worst {worst:.0} ms)",
            mark(worst <= 1000.0)
        );
        println!(
            "  {} edits made while down found after every restart",
            mark(restarts.iter().all(|r| r.caught_up_ms.is_some()))
        );
    }
    if let Some(cold) = &cold {
        println!(
            "  {} no errors in the cold restart under load ({})",
            mark(cold.failed() == 0),
            cold.errors_text()
        );
    }
    println!(
        "  {} SIGTERM: exit 0 within 10 s ({ms:.0} ms)",
        mark(exited_ok)
    );
    println!("server log: {}", paths.log.display());
    Ok(())
}
