//! `codegraph serve` as a process: SIGTERM stops it cleanly; `kill -9`
//! leaves a persisted index it serves again at once on restart, catching up
//! on edits made while it was down.

use codegraph_server::pb;
use codegraph_server::pb::index_service_client::IndexServiceClient;
use codegraph_server::pb::search_service_client::SearchServiceClient;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

struct Dirs {
    repo: tempfile::TempDir,
    state: tempfile::TempDir,
}

/// The server process, killed and reaped if a test fails midway.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn(dirs: &Dirs) -> (Server, String) {
    let ready = dirs.state.path().join("ready");
    let _ = std::fs::remove_file(&ready);
    let child = Server(
        Command::new(env!("CARGO_BIN_EXE_codegraph"))
            .args(["serve", "--addr", "127.0.0.1:0", "--ready-file"])
            .arg(&ready)
            .arg("--state-dir")
            .arg(dirs.state.path().join("state"))
            .env("CODEGRAPH_CACHE_DIR", dirs.state.path().join("cache"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(addr) = std::fs::read_to_string(&ready)
            && !addr.is_empty()
        {
            return (child, format!("http://{addr}"));
        }
        assert!(Instant::now() < deadline, "the server never became ready");
        std::thread::sleep(Duration::from_millis(20));
    }
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
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/python");
    copy_dir(&fixtures, dirs.repo.path());
    let (mut child, url) = spawn(&dirs);
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
        child.0.kill().unwrap();
        child.0.wait().unwrap();
        let name = format!("written_while_down_{round}");
        std::fs::write(
            dirs.repo.path().join(format!("shop/down_{round}.py")),
            format!("def {name}():\n    return {round}\n"),
        )
        .unwrap();
        let started = Instant::now();
        let (next, url) = spawn(&dirs);
        child = next;
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
    let status = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            assert!(status.success(), "{status:?}");
            break;
        }
        assert!(Instant::now() < deadline, "no clean stop after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}
