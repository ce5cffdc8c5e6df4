//! `codegraph serve` as a process: SIGTERM stops it cleanly; `kill -9`
//! leaves a persisted index it serves again at once on restart, catching up
//! on edits made while it was down.

use codegraph_server::pb;
use codegraph_server::pb::index_service_client::IndexServiceClient;
use codegraph_server::pb::search_service_client::SearchServiceClient;
use codegraph_testkit::{ServeArgs, ServeProcess, copy_dir, fixtures};
use std::path::Path;
use std::time::{Duration, Instant};

struct Dirs {
    repo: tempfile::TempDir,
    state: tempfile::TempDir,
}

fn spawn(dirs: &Dirs) -> ServeProcess {
    ServeProcess::start(&ServeArgs {
        binary: Path::new(env!("CARGO_BIN_EXE_codegraph")),
        home: dirs.state.path(),
        args: vec!["--addr".into(), "127.0.0.1:0".into()],
        env: Vec::new(),
    })
}

fn lexical(repository: &str, query: &str) -> pb::SearchRequest {
    pb::SearchRequest {
        repository: repository.into(),
        query: query.into(),
        k: 5,
        mode: pb::SearchMode::Lexical as i32,
        ..Default::default()
    }
}

async fn found(
    search: &mut SearchServiceClient<tonic::transport::Channel>,
    id: &str,
    q: &str,
) -> bool {
    search
        .search(lexical(id, q))
        .await
        .map(|r| !r.into_inner().hits.is_empty())
        .unwrap_or(false)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_then_restart_serves_the_persisted_index_and_catches_up() {
    let dirs = Dirs {
        repo: tempfile::tempdir().unwrap(),
        state: tempfile::tempdir().unwrap(),
    };
    copy_dir(&fixtures().join("python"), dirs.repo.path());
    let mut server = spawn(&dirs);
    let url = server.url();
    let mut index = IndexServiceClient::connect(url.clone()).await.unwrap();
    let registered = index
        .register_repository(pb::RegisterRepositoryRequest {
            path: dirs.repo.path().to_string_lossy().into_owned(),
            options: Some(pb::RepositoryOptions {
                embed: Some(false),
                watch_quiet_ms: 50,
                ..Default::default()
            }),
        })
        .await
        .unwrap()
        .into_inner();
    let id = registered.repository.unwrap().id;
    let mut progress = index
        .watch_progress(pb::WatchProgressRequest {
            repository: id.clone(),
            until_ready: true,
        })
        .await
        .unwrap()
        .into_inner();
    while progress.message().await.unwrap().is_some() {}
    let mut search = SearchServiceClient::connect(url).await.unwrap();
    assert!(found(&mut search, &id, "add user").await);

    for round in 0..3 {
        // kill -9 in the middle of things, edit while it is down.
        server.kill9();
        let name = format!("written_while_down_{round}");
        std::fs::write(
            dirs.repo.path().join(format!("shop/down_{round}.py")),
            format!("def {name}():\n    return {round}\n"),
        )
        .unwrap();
        let started = Instant::now();
        server = spawn(&dirs);
        let url = server.url();
        let mut search = SearchServiceClient::connect(url.clone()).await.unwrap();
        // The registration survived; the persisted index answers at once.
        assert!(found(&mut search, &id, "add user").await, "round {round}");
        let first_answer = started.elapsed();
        eprintln!("round {round}: first answer {first_answer:?} after restart");
        // The edit made while down is caught up.
        let deadline = Instant::now() + Duration::from_secs(30);
        while !found(&mut search, &id, &name).await {
            assert!(
                Instant::now() < deadline,
                "round {round}: {name} never indexed"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    // SIGTERM: a clean stop.
    server.stop(Duration::from_secs(15));
}
