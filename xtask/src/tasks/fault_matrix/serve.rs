//! The server side of a case: a `codegraph serve` whose cache holds the
//! damaged index registers the repository (its first run opens and updates
//! that index), then answers the fixed reads over gRPC.

use super::{Answers, Side, Verdict, copy_index};
use crate::tasks::serve_bench::rpc::{callers_request, search_request, with_deadline};
use crate::tasks::serve_bench::server::{Paths, connect, start_server, terminate};
use anyhow::{Context, Result};
use codegraph_server::pb;
use pb::graph_service_client::GraphServiceClient;
use pb::index_service_client::IndexServiceClient;
use pb::search_service_client::SearchServiceClient;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tonic::transport::Channel;

/// Where the server of each case keeps its things (emptied per case).
pub struct Dirs {
    pub bin: PathBuf,
    pub repo: PathBuf,
    pub cache: PathBuf,
    pub state: PathBuf,
    pub logs: PathBuf,
}

const DEADLINE: Duration = Duration::from_secs(60);

/// The fixed reads over gRPC, in the order of the CLI's.
async fn answers(channel: &Channel, repo: &str) -> Answers {
    fn shown<T: std::fmt::Debug>(r: Result<tonic::Response<T>, tonic::Status>) -> String {
        match r {
            Ok(r) => format!("{:#?}", r.into_inner()),
            Err(s) => format!("error {:?}: {}", s.code(), s.message()),
        }
    }
    let mut search = SearchServiceClient::new(channel.clone());
    let mut graph = GraphServiceClient::new(channel.clone());
    let mut out = Answers::default();
    for (name, query, mode) in [
        (
            "query-lexical",
            "normalised name user",
            pb::SearchMode::Lexical,
        ),
        (
            "query-hybrid",
            "add a user to the repository",
            pb::SearchMode::Hybrid,
        ),
    ] {
        let r = search
            .search(with_deadline(
                search_request(repo, query, mode as i32, 10),
                DEADLINE,
            ))
            .await
            .map(|mut r| {
                let m = r.get_mut();
                m.took_us = 0;
                m.stages.clear();
                r
            });
        out.0.push((name.to_owned(), shown(r)));
    }
    let symbol = graph
        .lookup_symbol(with_deadline(
            pb::LookupSymbolRequest {
                repository: repo.to_owned(),
                name: "save".into(),
                ..Default::default()
            },
            DEADLINE,
        ))
        .await;
    out.0.push(("symbol".into(), shown(symbol)));
    let callers = graph
        .list_callers(with_deadline(callers_request(repo, "save"), DEADLINE))
        .await;
    out.0.push(("callers".into(), shown(callers)));
    out
}

/// Registers the repository and follows its first run to its end; the
/// repository id and the run's last phase (or why registration failed).
async fn register(channel: &Channel, root: &Path) -> Result<(String, pb::IndexPhase), String> {
    let mut index = IndexServiceClient::new(channel.clone());
    let registered = index
        .register_repository(with_deadline(
            pb::RegisterRepositoryRequest {
                path: root.to_string_lossy().into_owned(),
                options: Some(pb::RepositoryOptions::default()),
            },
            DEADLINE,
        ))
        .await
        .map_err(|s| format!("register: {:?}: {}", s.code(), s.message()))?
        .into_inner();
    let id = registered.repository.ok_or("register: no repository")?.id;
    let mut stream = index
        .watch_progress(pb::WatchProgressRequest {
            repository: id.clone(),
            until_ready: true,
        })
        .await
        .map_err(|s| format!("watch progress: {}", s.message()))?
        .into_inner();
    let mut phase = pb::IndexPhase::Queued;
    let mut error = String::new();
    let wait = tokio::time::timeout(Duration::from_secs(180), async {
        while let Ok(Some(event)) = stream.message().await {
            if let Some(p) = &event.progress {
                phase = pb::IndexPhase::try_from(p.phase).unwrap_or_default();
            }
            if let Some(s) = &event.summary
                && !s.error_message.is_empty()
            {
                error = s.error_message.clone();
            }
        }
    });
    if wait.await.is_err() {
        return Err("the first run did not end within 180 s".into());
    }
    if phase == pb::IndexPhase::Failed {
        return Err(format!("first run FAILED: {error}"));
    }
    Ok((id, phase))
}

/// A server on a cache whose index is the pristine one, damaged by
/// `damage`; its answers and log complaints.
pub async fn run_server(
    d: &Dirs,
    pristine: &Path,
    case: &str,
    damage: &dyn Fn(&Path) -> Result<()>,
) -> Result<(Answers, Vec<String>)> {
    for dir in [&d.cache, &d.state] {
        if dir.exists() {
            std::fs::remove_dir_all(dir)?;
        }
        std::fs::create_dir_all(dir)?;
    }
    let target = codegraph::index_dir_in(&d.cache, &d.repo);
    copy_index(pristine, &target)?;
    damage(&target)?;
    let log = d.logs.join(format!("{case}.log"));
    let _ = std::fs::remove_file(&log);
    let paths = Paths {
        bin: d.bin.clone(),
        root: d.repo.clone(),
        cache: d.cache.clone(),
        state: d.state.clone(),
        ready: d.state.join("ready"),
        log: log.clone(),
    };
    let socket = format!("unix:{}", d.state.join("serve.sock").display());
    let mut server = start_server(&paths, &socket).await?;
    let channel = connect(&server.addr, Duration::from_secs(5))
        .await
        .context("connecting")?;
    let mut notes = Vec::new();
    let answers = match register(&channel, &d.repo).await {
        Ok((id, _)) => answers(&channel, &id).await,
        Err(e) => {
            notes.push(e);
            Answers::default()
        }
    };
    drop(channel);
    let (exit, ms) = terminate(&mut server).await?;
    if exit.is_none_or(|s| !s.success()) || ms > 2_000.0 {
        notes.push(format!("SIGTERM: {exit:?} after {ms:.0} ms"));
    }
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    notes.extend(
        text.lines()
            .filter(|l| l.contains("WARN") || l.contains("ERROR"))
            .map(|l| l.trim().to_owned()),
    );
    Ok((answers, notes))
}

/// One case against the server.
pub async fn case(
    d: &Dirs,
    pristine: &Path,
    case: &str,
    damage: &dyn Fn(&Path) -> Result<()>,
    fresh: &Answers,
) -> Result<Side> {
    let (answers, notes) = run_server(d, pristine, case, damage).await?;
    let identical = answers == *fresh;
    let registered = !answers.0.is_empty();
    // The server's answers come after its first run: a difference is
    // damage that was not healed; it is silent when nothing was logged.
    let silent: Vec<String> = if identical || !notes.is_empty() {
        Vec::new()
    } else {
        vec!["answers".into()]
    };
    Ok(Side {
        verdict: Verdict::of(!identical, &silent, !notes.is_empty()),
        // Every read answers (an error only where the undamaged index
        // gives the same one).
        healed: registered
            && answers
                .0
                .iter()
                .all(|(n, a)| !a.starts_with("error") || fresh.get(n) == Some(a.as_str())),
        identical,
        differs: answers.differences(fresh),
        note: notes.join(" | "),
    })
}
