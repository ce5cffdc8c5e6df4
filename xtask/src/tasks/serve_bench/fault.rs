//! Faults: kill -9 under load, edits while the server is down, restart on
//! the same address, state and cache; then a cold restart under load.

use super::Bench;
use super::editor::{Editor, add_method};
use super::load::{Crowd, Load, PhaseSpec, join_clients, load_phase};
use super::mix::Mix;
use super::report::summary_line;
use super::rpc::{Clients, Req, search_request, status, with_deadline};
use super::server::{Server, check_alive, connect, ready_addr, spawn_server, start_server};
use super::stats::{Stats, failure_code};
use crate::measure::Rng;
use anyhow::{Context, Result, bail};
use codegraph_server::pb;
use pb::search_service_client::SearchServiceClient;
use std::process::ExitStatus;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tonic::transport::Channel;

/// How long after a restart the edits made while down may take to be found.
const CATCH_UP_LIMIT: Duration = Duration::from_secs(300);

/// What one kill -9 / restart measured.
pub struct Restart {
    pub listening_ms: f64,
    pub first_answer_ms: f64,
    pub caught_up_ms: Option<f64>,
    pub context_ms: Option<f64>,
    pub callers_ms: Option<f64>,
}

/// `--restarts` rounds of kill -9 under load and restart (none with
/// `--only-rate`).
pub async fn fault_rounds(server: &mut Server, b: &Bench<'_>) -> Result<Vec<Restart>> {
    let rounds = if b.o.only_rate { 0 } else { b.o.restarts };
    if rounds > 0 {
        println!(
            "-- faults: kill -9 under load ({} clients), 3 files edited while down, restart with the same address, state and cache",
            b.o.clients
        );
    }
    let mut restarts = Vec::new();
    for round in 1..=rounds {
        restarts.push(fault_round(round, server, b).await?);
    }
    Ok(restarts)
}

async fn fault_round(round: usize, server: &mut Server, b: &Bench<'_>) -> Result<Restart> {
    eprintln!("fault round {round}: load, then kill -9 ...");
    let killed = kill_under_load(round, server, b).await?;
    let down = edit_while_down(round, b)?;
    let probe = b.mix.queries[0].clone();
    let restarted = restart(server, b, &probe).await?;
    // The other kinds, cold: a context and a callers request sent together
    // right after the first search answer (the graph loads on first use).
    let cold = cold_requests(b.mix, &restarted.channel, restarted.spawned);
    let found = catch_up(server, b, &restarted, &down).await?;
    let caught_up_ms = if found.iter().all(Option::is_some) {
        found.iter().flatten().copied().reduce(f64::max)
    } else {
        None
    };
    print_round(round, &killed, &restarted, &down, &found);
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
    after_catch_up(b.mix, &restarted.channel, &probe).await?;
    Ok(Restart {
        listening_ms: restarted.listening_ms,
        first_answer_ms: restarted.first_answer_ms,
        caught_up_ms,
        context_ms: context_cold.ok(),
        callers_ms: callers_cold.ok(),
    })
}

/// What the kill -9 under load left.
struct Killed {
    pid: u32,
    status: ExitStatus,
    /// What the clients saw around the kill.
    seen: Stats,
    /// Saves by the editor during the load.
    edits: u64,
}

/// Clients in a closed loop and the editor for 2 s, then kill -9.
async fn kill_under_load(round: usize, server: &mut Server, b: &Bench<'_>) -> Result<Killed> {
    let channel = connect(&server.addr, Duration::from_secs(2)).await?;
    let stop = Arc::new(AtomicBool::new(false));
    let editor = Editor::start(
        &b.paths.root,
        b.files.clone(),
        0xFA17 + round as u64,
        b.counter.clone(),
        true,
    );
    let handles = Crowd {
        channel: &channel,
        mix: b.mix,
        n: b.o.clients,
        until: Instant::now() + Duration::from_secs(3600),
        seed: 0xDEAD_0000 + round as u64,
    }
    .spawn(Duration::ZERO, &stop);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let pid = server.pid();
    let status = server.kill9()?;
    // The clients see the server gone, then stop.
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    let seen = join_clients(handles).await?;
    let edits = editor.finish();
    drop(channel);
    Ok(Killed {
        pid,
        status,
        seen,
        edits,
    })
}

/// Edits while nothing serves: a new method in each of 3 files; (method
/// name, file) pairs.
fn edit_while_down(round: usize, b: &Bench<'_>) -> Result<Vec<(String, String)>> {
    let files = b.files;
    let mut rng = Rng(0xD0_0000 + round as u64);
    let mut down = Vec::new();
    while down.len() < 3 {
        let path = files[(rng.next() % files.len() as u64) as usize].clone();
        if down.iter().any(|(_, p)| *p == path) {
            continue;
        }
        let name = format!("cgWhileDown{}", (round - 1) * 3 + down.len() + 1);
        add_method(&b.paths.root.join(&path), &name)?;
        down.push((name, path));
    }
    Ok(down)
}

/// The restarted server: when it was spawned, when it listened and first
/// answered, and a channel to it.
struct Restarted {
    spawned: Instant,
    listening_ms: f64,
    first_answer_ms: f64,
    channel: Channel,
}

/// Restarts the server on the same address, state and cache, and probes
/// it with a lexical search until one is answered.
async fn restart(server: &mut Server, b: &Bench<'_>, probe: &str) -> Result<Restarted> {
    let (paths, mix) = (b.paths, b.mix);
    let spawned = Instant::now();
    let mut next = Server {
        child: spawn_server(paths, &server.addr)?,
        addr: server.addr.clone(),
    };
    let mut listening_ms = None;
    let (first_answer_ms, channel) = loop {
        if listening_ms.is_none() && ready_addr(paths).is_some() {
            listening_ms = Some(spawned.elapsed().as_secs_f64() * 1000.0);
        }
        check_alive(&mut next.child, paths)?;
        let attempt = async {
            let channel = connect(&server.addr, Duration::from_millis(500)).await?;
            SearchServiceClient::new(channel.clone())
                .search(with_deadline(
                    search_request(&mix.repo, probe, pb::SearchMode::Lexical as i32, 5),
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
    Ok(Restarted {
        spawned,
        listening_ms,
        first_answer_ms,
        channel,
    })
}

/// A context and a callers request sent together, each timed from the
/// spawn (or its failure).
type ColdAnswers = (Result<f64, String>, Result<f64, String>);

fn cold_requests(
    mix: &Arc<Mix>,
    channel: &Channel,
    spawned: Instant,
) -> tokio::task::JoinHandle<ColdAnswers> {
    let mix = mix.clone();
    let channel = channel.clone();
    tokio::spawn(async move {
        let one = |req: Req| {
            let mix = mix.clone();
            let mut clients = Clients::new(channel.clone());
            async move {
                let r = clients.send(&mix, &req, Duration::from_secs(60)).await;
                let ms = spawned.elapsed().as_secs_f64() * 1000.0;
                r.map(|_| ms)
                    .map_err(|e| format!("{} after {ms:.0} ms: {}", failure_code(&e), e.message()))
            }
        };
        tokio::join!(
            one(Req::Context(mix.cursors[0].clone())),
            one(Req::Callers(mix.callers[0].clone()))
        )
    })
}

/// Catch-up: each method added while down found by a lexical search; when
/// each was found (ms from the spawn), None if not within
/// [`CATCH_UP_LIMIT`].
async fn catch_up(
    server: &mut Server,
    b: &Bench<'_>,
    restarted: &Restarted,
    down: &[(String, String)],
) -> Result<Vec<Option<f64>>> {
    let spawned = restarted.spawned;
    let mut search = SearchServiceClient::new(restarted.channel.clone());
    let mut found: Vec<Option<f64>> = vec![None; down.len()];
    while found.iter().any(Option::is_none) && spawned.elapsed() < CATCH_UP_LIMIT {
        for (i, (name, path)) in down.iter().enumerate() {
            if found[i].is_some() {
                continue;
            }
            let r = search
                .search(with_deadline(
                    search_request(&b.mix.repo, name, pb::SearchMode::Lexical as i32, 5),
                    Duration::from_millis(500),
                ))
                .await;
            if r.is_ok_and(|r| r.into_inner().hits.iter().any(|h| h.path == *path)) {
                found[i] = Some(spawned.elapsed().as_secs_f64() * 1000.0);
            }
        }
        check_alive(&mut server.child, b.paths)?;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(found)
}

fn print_round(
    round: usize,
    killed: &Killed,
    restarted: &Restarted,
    down: &[(String, String)],
    found: &[Option<f64>],
) {
    let Killed {
        pid,
        status: killed,
        seen,
        edits,
    } = killed;
    let (listening_ms, first_answer_ms) = (restarted.listening_ms, restarted.first_answer_ms);
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
            .zip(found)
            .map(|((name, _), t)| match t {
                Some(ms) => format!("{name} {ms:.0} ms"),
                None => format!("{name} NOT within {} s", CATCH_UP_LIMIT.as_secs()),
            })
            .collect::<Vec<_>>()
            .join(", ")
    );
}

/// The catch-up run, and the first hybrid search after the restart.
async fn after_catch_up(mix: &Mix, channel: &Channel, probe: &str) -> Result<()> {
    let s = status(channel, &mix.repo).await?;
    if let Some(run) = &s.last_run {
        println!("  catch-up run: {}", summary_line(run));
    }
    if mix.mode == pb::SearchMode::Hybrid as i32 {
        let t = Instant::now();
        let r = SearchServiceClient::new(channel.clone())
            .search(with_deadline(
                search_request(&mix.repo, probe, mix.mode, 10),
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
    Ok(())
}

/// kill -9 of the idle server, restart, and all clients at once while it
/// loads what the first requests need (`--cold-seconds`; none with
/// `--only-rate`).
pub async fn cold_restart(server: &mut Server, b: &Bench<'_>) -> Result<Option<Stats>> {
    if b.o.only_rate || b.o.cold_seconds == 0 {
        return Ok(None);
    }
    let o = b.o;
    eprintln!("cold restart under load ...");
    server.kill9()?;
    let spawned = Instant::now();
    *server = start_server(b.paths, &server.addr.clone()).await?;
    let channel = loop {
        match connect(&server.addr, Duration::from_millis(500)).await {
            Ok(c) => break c,
            Err(e) if spawned.elapsed() > Duration::from_secs(30) => return Err(e),
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    };
    let spec = PhaseSpec {
        label: format!(
            "-- cold restart under load: kill -9 (idle), restart, {} clients closed loop at once for {} s (the context corpus and graph load under load)",
            o.clients, o.cold_seconds
        ),
        clients: o.clients,
        seconds: o.cold_seconds,
        load: Load::Think(Duration::ZERO),
        seed: 0xC01D_0000,
    };
    Ok(Some(load_phase(&b.phase(server, &channel), spec).await?))
}
