//! The whole sequence of `bench-serve`: start and register, build the mix,
//! warm up, the load phases, the faults, SIGTERM, the targets.

use super::fault::{cold_restart, fault_rounds};
use super::load::{Load, Phase, PhaseSpec, load_phase};
use super::mix::{Mix, build_mix};
use super::report::{Outcome, restarts_summary, summary_line, targets};
use super::rpc::{Clients, Req, search_request, status, with_deadline};
use super::server::{connect, start_server, terminate};
use super::stats::Stats;
use super::{Bench, DEADLINE, EDIT_EVERY, Options, Setup};
use crate::util::workspace_root;
use anyhow::{Context, Result, bail};
use codegraph_server::pb;
use pb::index_service_client::IndexServiceClient;
use pb::search_service_client::SearchServiceClient;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};
use tonic::transport::Channel;

pub async fn serve_bench(o: &Options, s: &Setup) -> Result<()> {
    print_header(s);
    let spawned = Instant::now();
    // The server's default transport: a Unix socket (TCP would need the
    // bearer token on every call).
    let socket = format!("unix:{}", s.paths.state.join("serve.sock").display());
    let mut server = start_server(&s.paths, &socket).await?;
    println!(
        "server pid {} listening on {} after {:.0} ms",
        server.pid(),
        server.addr,
        spawned.elapsed().as_secs_f64() * 1000.0
    );
    let channel = connect(&server.addr, Duration::from_secs(2)).await?;
    let repo = register(&channel, s).await?;
    let mode = print_status(&channel, &repo, s.model).await?;

    let mix = Arc::new(build_mix(&channel, &repo, &s.root, &s.files, mode as i32).await?);
    warm_up(&channel, &mix, &repo, mode).await?;

    let counter = Arc::new(AtomicU64::new(0));
    let b = Bench {
        o,
        paths: &s.paths,
        root: &s.root,
        mix: &mix,
        files: &s.files,
        counter: &counter,
    };
    let (closed, open, fixed) = load_phases(o, &b.phase(&server, &channel), mode).await?;
    drop(channel);

    let restarts = fault_rounds(&mut server, &b).await?;
    restarts_summary(&restarts);
    let cold = cold_restart(&mut server, &b).await?;

    eprintln!("SIGTERM ...");
    let (exit, ms) = terminate(&mut server).await?;
    println!(
        "SIGTERM: {} after {ms:.0} ms",
        match exit {
            Some(s) => format!("exited with {s}"),
            None => "still running after 10 s (killed)".to_owned(),
        }
    );

    let outcome = Outcome {
        closed,
        open,
        fixed,
        restarts,
        cold,
        exit,
        terminate_ms: ms,
    };
    targets(o, &outcome);
    println!("server log: {}", s.paths.log.display());
    Ok(())
}

/// The binary, the tree it was built from, the corpus and the machine.
fn print_header(s: &Setup) {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let source = Command::new("git")
        .current_dir(workspace_root())
        .args(["describe", "--always", "--dirty"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    println!("server binary {} (tree {source})", s.paths.bin.display());
    let index_note = &s.index_note;
    println!(
        "== bench-serve: codegraph serve on a copy of java.base ({} .java files), {cores} cores shared by server and clients; index {index_note}",
        s.files.len()
    );
    if !s.model {
        println!(
            "no embedding model installed: lexical only (run `codegraph model install` for hybrid)"
        );
    }
}

/// Registers the copy (embed when the model is installed, watch) and
/// follows its first run until READY; the repository id.
async fn register(channel: &Channel, s: &Setup) -> Result<String> {
    let mut index = IndexServiceClient::new(channel.clone());
    let registered_at = Instant::now();
    let registered = index
        .register_repository(pb::RegisterRepositoryRequest {
            path: s.root.to_string_lossy().into_owned(),
            options: Some(pb::RepositoryOptions {
                embed: Some(s.model),
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
    Ok(repo)
}

/// The repository's status after the first run; the search mode of the
/// mix (hybrid when chunks have vectors).
async fn print_status(channel: &Channel, repo: &str, model: bool) -> Result<pb::SearchMode> {
    let st = status(channel, repo).await?;
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
    Ok(mode)
}

/// One search and one context request, each loading what its kind needs.
async fn warm_up(channel: &Channel, mix: &Mix, repo: &str, mode: pb::SearchMode) -> Result<()> {
    // Warm-up: the first search of a mode loads what it needs.
    let t = Instant::now();
    let first = SearchServiceClient::new(channel.clone())
        .search(with_deadline(
            search_request(repo, &mix.queries[0], mode as i32, 10),
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
            mix,
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

    Ok(())
}

/// The closed loop and open loop (not with `--only-rate`), then the fixed
/// rate (unless `--rate-seconds 0`).
async fn load_phases(
    o: &Options,
    phase: &Phase<'_>,
    mode: pb::SearchMode,
) -> Result<(Option<Stats>, Option<Stats>, Option<Stats>)> {
    let editing = if o.no_edits {
        "no editor".to_string()
    } else {
        format!("a save every {} ms", EDIT_EVERY.as_millis())
    };
    let full = !o.only_rate;
    let closed = if full {
        let spec = PhaseSpec {
            label: format!(
                "-- closed loop: {} clients, {} s, search {:?} / context / callers 40/40/20, deadline {} s, {}",
                o.clients,
                o.seconds,
                mode,
                DEADLINE.as_secs(),
                editing
            ),
            clients: o.clients,
            seconds: o.seconds,
            load: Load::Think(Duration::ZERO),
            seed: 0xC105_ED00,
        };
        Some(load_phase(phase, spec).await?)
    } else {
        None
    };
    let open = if full {
        let spec = PhaseSpec {
            label: format!(
                "-- open loop: {} clients pausing {} ms between requests, {} s, same mix and editor",
                o.clients, o.think_ms, o.think_seconds
            ),
            clients: o.clients,
            seconds: o.think_seconds,
            load: Load::Think(Duration::from_millis(o.think_ms)),
            seed: 0x0BE4_0000,
        };
        Some(load_phase(phase, spec).await?)
    } else {
        None
    };
    let fixed = if o.rate_seconds > 0 {
        let spec = PhaseSpec {
            label: format!(
                "-- fixed rate: {} clients sending {:.1} req/s in all ({:.2} req/s each, arrivals evenly spread, not waiting for answers), {} s, search {:?} / context / callers 40/40/20, deadline {} s, {}",
                o.clients,
                o.rate,
                o.rate / o.clients as f64,
                o.rate_seconds,
                mode,
                DEADLINE.as_secs(),
                editing
            ),
            clients: o.clients,
            seconds: o.rate_seconds,
            load: Load::Rate(o.rate),
            seed: 0xF1C5_0000,
        };
        Some(load_phase(phase, spec).await?)
    } else {
        None
    };
    Ok((closed, open, fixed))
}
