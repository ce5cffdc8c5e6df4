//! The load generator: clients sending the mix in a closed loop, an open
//! loop (a pause between requests) or at a fixed rate, and one load phase
//! (clients, editor and samplers together).

use super::DEADLINE;
use super::editor::Editor;
use super::mix::Mix;
use super::monitor::{CpuShare, RssSampler, proc_status, rss_bytes};
use super::report::{replay, report, summary_line};
use super::rpc::{Clients, Req, status, watcher_updates};
use super::server::Server;
use super::stats::Stats;
use crate::measure::{Rng, percentile, sorted};
use anyhow::{Context, Result};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tonic::transport::Channel;

/// What one load client sends, from when, until when.
struct ClientPlan {
    channel: Channel,
    mix: Arc<Mix>,
    seed: u64,
    /// The start of the phase, for the times of failures.
    phase_start: Instant,
    until: Instant,
}

/// One load client: requests until `until` or `stop`, pausing `think`
/// between them (and 10 ms after a failure, not to spin on a dead server).
async fn client(plan: ClientPlan, think: Duration, stop: Arc<AtomicBool>) -> Stats {
    let ClientPlan {
        channel,
        mix,
        seed,
        phase_start,
        until,
    } = plan;
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
async fn rate_client(
    plan: ClientPlan,
    first: Instant,
    interval: Duration,
    in_flight: Arc<InFlight>,
) -> Stats {
    let ClientPlan {
        channel,
        mix,
        seed,
        phase_start,
        until,
    } = plan;
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

/// The clients of one phase: `n` of them on clones of one channel, until
/// `until`, client i seeded from `seed` and i.
pub struct Crowd<'a> {
    pub channel: &'a Channel,
    pub mix: &'a Arc<Mix>,
    pub n: usize,
    pub until: Instant,
    pub seed: u64,
}

impl Crowd<'_> {
    fn plan(&self, i: usize, phase_start: Instant) -> ClientPlan {
        ClientPlan {
            channel: self.channel.clone(),
            mix: self.mix.clone(),
            seed: self.seed ^ (0x9E37_79B9_7F4A_7C15u64.wrapping_mul(i as u64 + 1)),
            phase_start,
            until: self.until,
        }
    }

    /// Starts the clients, each pausing `think` between requests.
    pub fn spawn(
        &self,
        think: Duration,
        stop: &Arc<AtomicBool>,
    ) -> Vec<tokio::task::JoinHandle<Stats>> {
        let phase_start = Instant::now();
        (0..self.n)
            .map(|i| tokio::spawn(client(self.plan(i, phase_start), think, stop.clone())))
            .collect()
    }

    /// Starts fixed-rate clients, `rate` requests per second in all: each
    /// client sends every `n / rate` s, client i first at `i / rate` s, so
    /// the arrivals of all clients are evenly spread.
    pub fn spawn_at_rate(&self, rate: f64) -> Vec<tokio::task::JoinHandle<Stats>> {
        let phase_start = Instant::now();
        let interval = Duration::from_secs_f64(self.n as f64 / rate);
        let in_flight = Arc::new(InFlight::default());
        (0..self.n)
            .map(|i| {
                tokio::spawn(rate_client(
                    self.plan(i, phase_start),
                    phase_start + Duration::from_secs_f64(i as f64 / rate),
                    interval,
                    in_flight.clone(),
                ))
            })
            .collect()
    }
}

pub async fn join_clients(handles: Vec<tokio::task::JoinHandle<Stats>>) -> Result<Stats> {
    let mut all = Stats::default();
    for h in handles {
        all.merge(h.await.context("a client panicked")?);
    }
    Ok(all)
}

/// What the load phases of one server share.
pub struct Phase<'a> {
    pub server: &'a Server,
    pub channel: &'a Channel,
    pub mix: &'a Arc<Mix>,
    pub root: &'a Path,
    pub files: &'a Arc<Vec<String>>,
    pub counter: &'a Arc<AtomicU64>,
    /// Whether the editor saves files during the phase.
    pub edits: bool,
}

/// How the clients of a phase send.
#[derive(Debug, Clone, Copy)]
pub enum Load {
    /// The next request once the answer came, after this pause (zero: a
    /// closed loop).
    Think(Duration),
    /// Fixed rate: this many requests per second over all clients, sent
    /// whatever the answers.
    Rate(f64),
}

/// One load phase to run: its title, clients, length, load and seed.
#[derive(Debug)]
pub struct PhaseSpec {
    pub label: String,
    pub clients: usize,
    pub seconds: u64,
    pub load: Load,
    pub seed: u64,
}

/// One load phase: clients, editor and RSS sampler together.
pub async fn load_phase(p: &Phase<'_>, spec: PhaseSpec) -> Result<Stats> {
    let PhaseSpec {
        label,
        clients,
        seconds,
        load,
        seed,
    } = spec;
    let label = label.as_str();
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
    let crowd = Crowd {
        channel: p.channel,
        mix: p.mix,
        n: clients,
        until,
        seed,
    };
    let handles = match load {
        Load::Think(think) => crowd.spawn(think, &stop),
        Load::Rate(rate) => crowd.spawn_at_rate(rate),
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
