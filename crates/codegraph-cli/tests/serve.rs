//! `codegraph serve` as a process: by default on a socket only its owner
//! reaches; over TCP with a token always; never destroying a file it did
//! not create nor taking a live server's socket; SIGTERM ends it within
//! seconds whatever runs; `kill -9` leaves a persisted index it serves again
//! at once on restart, catching up on edits made while it was down.

use codegraph_server::pb;
use codegraph_server::pb::index_service_client::IndexServiceClient;
use codegraph_server::pb::search_service_client::SearchServiceClient;
use codegraph_testkit::{ServeArgs, ServeProcess, copy_dir, default_socket, fixtures};
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tonic::Code;

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_codegraph"))
}

/// `codegraph serve ARGS` in `home`.
fn serve_args<'a>(home: &'a Path, args: &[&str]) -> ServeArgs<'a> {
    ServeArgs {
        binary: binary(),
        home,
        args: args.iter().map(|a| (*a).to_owned()).collect(),
        env: Vec::new(),
    }
}

struct Dirs {
    repo: tempfile::TempDir,
    state: tempfile::TempDir,
}

fn spawn(dirs: &Dirs) -> ServeProcess {
    ServeProcess::start(&serve_args(
        dirs.state.path(),
        &["--allow-root", dirs.repo.path().to_str().unwrap()],
    ))
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

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o7777
}

/// `ListRepositories` with `token` (none: no authorization header).
async fn list(url: &str, token: Option<&str>) -> Result<usize, tonic::Status> {
    let mut index = IndexServiceClient::connect(url.to_owned()).await.unwrap();
    let mut request = tonic::Request::new(pb::ListRepositoriesRequest::default());
    if let Some(t) = token {
        request
            .metadata_mut()
            .insert("authorization", format!("Bearer {t}").parse().unwrap());
    }
    index
        .list_repositories(request)
        .await
        .map(|r| r.into_inner().repositories.len())
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
        // kill -9 in the middle of things, edit while it is down. The
        // socket it leaves is stale (nobody answers): the next server
        // replaces it.
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

/// Regression: the default server listened on loopback TCP with no token,
/// so any local user could use it (and read any file its user could). Now
/// it listens on a 0600 socket in a 0700 directory of the user's runtime
/// directory, and answers without a token there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_server_listens_on_a_private_socket() {
    let home = tempfile::tempdir().unwrap();
    let server = ServeProcess::start(&serve_args(home.path(), &[]));
    let socket = default_socket(home.path());
    assert_eq!(server.addr, format!("unix:{}", socket.display()));
    let meta = std::fs::symlink_metadata(&socket).unwrap();
    assert!(meta.file_type().is_socket());
    assert_eq!(mode(&socket), 0o600);
    assert_eq!(mode(socket.parent().unwrap()), 0o700);
    assert_eq!(
        meta.uid(),
        std::fs::metadata(home.path()).unwrap().uid(),
        "owned by the user"
    );
    // Its lock names it.
    let lock = std::fs::read_to_string(socket.with_file_name("serve.sock.lock")).unwrap();
    assert_eq!(lock.trim(), server.pid().to_string());
    assert_eq!(list(&server.url(), None).await.unwrap(), 0);
    server.stop(Duration::from_secs(10));
    assert!(!socket.exists(), "the socket is removed on exit");
}

/// A runtime directory someone else could enter is refused, with the fix.
#[test]
fn a_runtime_directory_open_to_others_is_refused() {
    let home = tempfile::tempdir().unwrap();
    let dir = default_socket(home.path()).parent().unwrap().to_owned();
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (status, stderr) = ServeProcess::start_refused(&serve_args(home.path(), &[]));
    assert!(!status.success());
    assert!(
        stderr.contains(&format!("chmod 700 {}", dir.display())),
        "{stderr}"
    );
}

/// Regression: a second `serve` on the same socket path deleted the live
/// server's socket and silently took its place. Now it is refused, naming
/// the pid that serves it, and the first server keeps its socket.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_server_never_steals_a_live_socket() {
    let home = tempfile::tempdir().unwrap();
    let first = ServeProcess::start(&serve_args(home.path(), &[]));
    let socket = first.socket().expect("a socket by default");
    let inode = std::fs::symlink_metadata(&socket).unwrap().ino();
    let other = tempfile::tempdir().unwrap();
    let (status, stderr) = ServeProcess::start_refused(&serve_args(
        other.path(),
        &["--socket", socket.to_str().unwrap()],
    ));
    assert!(!status.success());
    assert!(
        stderr.contains(&format!("already served by pid {}", first.pid())),
        "{stderr}"
    );
    assert_eq!(std::fs::symlink_metadata(&socket).unwrap().ino(), inode);
    assert_eq!(list(&first.url(), None).await.unwrap(), 0, "still served");
    first.stop(Duration::from_secs(10));
}

/// Regression: `serve --socket PATH` deleted whatever file was at PATH (and
/// at PATH's `.binding` side file). Now a path holding anything but a stale
/// socket is refused, and nothing it did not create is touched.
#[test]
fn a_regular_file_at_the_socket_path_is_never_deleted() {
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("serve.sock");
    let side = dir.path().join("serve.binding");
    std::fs::write(&path, "precious").unwrap();
    std::fs::write(&side, "also precious").unwrap();
    let (status, stderr) = ServeProcess::start_refused(&serve_args(
        home.path(),
        &["--socket", path.to_str().unwrap()],
    ));
    assert!(!status.success());
    assert!(
        stderr.contains(&format!("{} exists and is not a socket", path.display())),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "precious");
    assert_eq!(std::fs::read_to_string(&side).unwrap(), "also precious");
    // Without the file at PATH the server starts, and leaves the side file
    // alone, then and on exit.
    std::fs::remove_file(&path).unwrap();
    let server = ServeProcess::start(&serve_args(
        home.path(),
        &["--socket", path.to_str().unwrap()],
    ));
    assert_eq!(std::fs::read_to_string(&side).unwrap(), "also precious");
    server.stop(Duration::from_secs(10));
    assert_eq!(std::fs::read_to_string(&side).unwrap(), "also precious");
    assert!(!path.exists());
}

/// A token file written for the test, with `mode`.
fn token_file(dir: &Path, text: &str, mode: u32) -> PathBuf {
    let file = dir.join("token");
    std::fs::write(&file, text).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
    file
}

/// Regression: a token file anyone could read was accepted without a word.
#[test]
fn a_world_readable_token_file_is_refused() {
    let home = tempfile::tempdir().unwrap();
    let file = token_file(home.path(), "0123456789abcdef-token\n", 0o644);
    let (status, stderr) = ServeProcess::start_refused(&serve_args(
        home.path(),
        &[
            "--addr",
            "127.0.0.1:0",
            "--token-file",
            file.to_str().unwrap(),
        ],
    ));
    assert!(!status.success());
    assert!(
        stderr.contains(&format!("chmod 600 {}", file.display())),
        "{stderr}"
    );
}

/// Regression: a token file of several lines was accepted (its whole text,
/// newlines inside, became the token); an empty one is refused too.
#[test]
fn a_token_file_of_several_lines_is_refused() {
    let home = tempfile::tempdir().unwrap();
    for (text, says) in [
        (
            "0123456789abcdef-token\nanother-line-0123456789\n",
            "2 non-empty lines",
        ),
        ("\n \n", "is empty"),
    ] {
        let file = token_file(home.path(), text, 0o600);
        let (status, stderr) = ServeProcess::start_refused(&serve_args(
            home.path(),
            &[
                "--addr",
                "127.0.0.1:0",
                "--token-file",
                file.to_str().unwrap(),
            ],
        ));
        assert!(!status.success());
        assert!(stderr.contains(says), "{stderr}");
    }
}

/// Regression: TCP served every local user without a token. Now, without
/// --token-file, a random token is generated into a new 0600 file in the
/// runtime directory, its path printed; calls need it; the file goes with
/// the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_without_a_token_file_generates_one() {
    let home = tempfile::tempdir().unwrap();
    let server = ServeProcess::start(&serve_args(home.path(), &["--addr", "127.0.0.1:0"]));
    assert!(server.addr.starts_with("127.0.0.1:"), "{}", server.addr);
    let logs = server.logs();
    let file = logs
        .lines()
        .find_map(|l| l.strip_prefix("codegraph serve: the bearer token is in "))
        .and_then(|rest| rest.split(" (").next())
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("no token file announced\n{logs}"));
    assert_eq!(
        file.parent().unwrap(),
        default_socket(home.path()).parent().unwrap()
    );
    assert_eq!(mode(&file), 0o600);
    let token = std::fs::read_to_string(&file).unwrap().trim().to_owned();
    assert_eq!(token.len(), 64, "{token}");
    let url = server.url();
    assert_eq!(
        list(&url, None).await.unwrap_err().code(),
        Code::Unauthenticated
    );
    assert_eq!(
        list(&url, Some("0123456789abcdef-wrong"))
            .await
            .unwrap_err()
            .code(),
        Code::Unauthenticated
    );
    assert_eq!(list(&url, Some(&token)).await.unwrap(), 0);
    server.stop(Duration::from_secs(10));
    assert!(
        !file.exists(),
        "the generated token file goes with the server"
    );
}

/// Writes a Python repository of `files` modules, each with `defs`
/// functions calling into the previous module: an index run of many
/// seconds.
fn big_repository(root: &Path, files: usize, defs: usize) {
    for f in 0..files {
        let dir = root.join(format!("pkg{}", f / 100));
        std::fs::create_dir_all(&dir).unwrap();
        let mut text = String::new();
        if f > 0 {
            text.push_str(&format!(
                "from pkg{}.mod{} import *\n\n",
                (f - 1) / 100,
                f - 1
            ));
        }
        for d in 0..defs {
            text.push_str(&format!(
                "class Thing{f}_{d}:\n    \"\"\"Thing {d} of module {f}.\"\"\"\n\n    \
                 def run(self, value):\n        total = value * {d}\n        \
                 return helper_{f}_{d}(total) + Thing{f}_{d}().size()\n\n    \
                 def size(self):\n        return {d}\n\n\
                 def helper_{f}_{d}(x):\n    return x + {d}\n\n"
            ));
        }
        std::fs::write(dir.join(format!("mod{f}.py")), text).unwrap();
    }
}

/// Regression: after SIGTERM the server printed "stopped" yet stayed alive
/// for minutes under load (it waited for every connection, an endless
/// progress stream among them, then for the blocking work). Now it stops
/// accepting, gives in-flight requests a short grace period and exits
/// whatever still runs; the index opens afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_exits_within_seconds_and_the_index_opens() {
    let small = tempfile::tempdir().unwrap();
    copy_dir(&fixtures().join("python"), small.path());
    let big = tempfile::tempdir().unwrap();
    big_repository(big.path(), 3000, 20);
    let home = tempfile::tempdir().unwrap();
    let server = ServeProcess::start(&serve_args(
        home.path(),
        &[
            "--allow-root",
            small.path().to_str().unwrap(),
            "--allow-root",
            big.path().to_str().unwrap(),
        ],
    ));
    let url = server.url();
    let mut index = IndexServiceClient::connect(url.clone()).await.unwrap();
    let register = |path: &Path| pb::RegisterRepositoryRequest {
        path: path.to_string_lossy().into_owned(),
        options: Some(pb::RepositoryOptions {
            embed: Some(false),
            watch: Some(true),
            ..Default::default()
        }),
    };
    // A small repository, indexed, to query while the big one indexes.
    let small_id = index
        .register_repository(register(small.path()))
        .await
        .unwrap()
        .into_inner()
        .repository
        .unwrap()
        .id;
    let mut ready = index
        .watch_progress(pb::WatchProgressRequest {
            repository: small_id.clone(),
            until_ready: true,
        })
        .await
        .unwrap()
        .into_inner();
    while ready.message().await.unwrap().is_some() {}
    let big_repo = index
        .register_repository(register(big.path()))
        .await
        .unwrap()
        .into_inner()
        .repository
        .unwrap();
    // A progress stream that never ends by itself, and the run under way.
    let mut progress = index
        .watch_progress(pb::WatchProgressRequest {
            repository: big_repo.id.clone(),
            until_ready: false,
        })
        .await
        .unwrap()
        .into_inner();
    let mut parsing = false;
    while let Ok(Ok(Some(event))) =
        tokio::time::timeout(Duration::from_secs(60), progress.message()).await
    {
        let p = event.progress.unwrap_or_default();
        if p.phase == pb::IndexPhase::Parsing as i32 && p.files_done > 0 {
            parsing = true;
            break;
        }
        assert_ne!(
            p.phase,
            pb::IndexPhase::Ready as i32,
            "the run ended too soon"
        );
    }
    assert!(parsing, "the big repository's run never got under way");
    // Load: clients querying the small repository without pause.
    let mut load = Vec::new();
    for _ in 0..8 {
        let mut search = SearchServiceClient::connect(url.clone()).await.unwrap();
        let id = small_id.clone();
        load.push(tokio::spawn(async move {
            while search.search(lexical(&id, "add user")).await.is_ok() {}
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let took = tokio::task::spawn_blocking(move || server.stop(Duration::from_secs(10)))
        .await
        .unwrap();
    eprintln!("SIGTERM during an index run under load: exited in {took:?}");
    for task in load {
        let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
    }
    drop(progress);
    // The index the run was writing opens and answers.
    let status = std::process::Command::new(binary())
        .arg("status")
        .arg(big.path())
        .arg("--index-dir")
        .arg(&big_repo.index_dir)
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "the index does not open after SIGTERM: {}",
        String::from_utf8_lossy(&status.stderr)
    );
}
