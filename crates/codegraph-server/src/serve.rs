//! The server: a Unix socket only its owner reaches (by default), or TCP
//! with a bearer token always; the four services with message-size limits,
//! gRPC health and reflection; a shutdown that ends within a bounded time.

use crate::authority::FixAuthority;
use crate::local::{self, GeneratedToken, OwnedSocket};
use crate::pb;
use crate::registry::{AllowedRoots, Registry};
use crate::services::Services;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tonic::transport::Server;
use tonic::{Request, Status};

/// How long in-flight requests may run on once shutdown begins, by default.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Default)]
pub struct ServeOptions {
    /// Serve over TCP at this address (port 0 picks a free one) instead of
    /// a Unix socket. Every call but health must then carry the bearer
    /// token: `token`, or one generated into a new 0600 file in the runtime
    /// directory, whose path is printed on stderr.
    pub addr: Option<SocketAddr>,
    /// The Unix socket (default: [`local::default_socket`], its directory
    /// created 0700 and checked); not with `addr`.
    pub socket: Option<PathBuf>,
    /// Required as `authorization: Bearer <token>` on every call but health
    /// (over a socket too, when given).
    pub token: Option<String>,
    /// Permit a non-loopback `addr` (an explicit `token` is required too).
    pub allow_remote: bool,
    /// Written with the bound address (`127.0.0.1:PORT` or `unix:PATH`) once
    /// the server accepts connections.
    pub ready_file: Option<PathBuf>,
    /// Where the list of registered repositories is kept across restarts.
    pub state_dir: Option<PathBuf>,
    /// Where indexes go (default: the library's cache directory).
    pub cache_dir: Option<PathBuf>,
    /// The directories repositories may be registered under. Empty: those
    /// in `$CODEGRAPH_ALLOW_ROOTS` (colon-separated), else the home
    /// directory. `/`, `/proc`, `/sys` and `/dev` are never served.
    pub allowed_roots: Vec<PathBuf>,
    /// How long in-flight requests may finish after shutdown begins
    /// (default [`DEFAULT_GRACE`]); indexers are stopped meanwhile, and
    /// whatever still runs then is abandoned (every write is a transaction).
    pub grace: Option<Duration>,
    /// Serve the Model Context Protocol (Streamable HTTP) at `/mcp` on the
    /// same listener, under the same token rules (see [`crate::mcp`]).
    pub mcp: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(
        "{0} is not a loopback address: serving beyond this machine needs --allow-remote and --token-file"
    )]
    NotLoopback(SocketAddr),
    #[error("--addr (TCP) and --socket exclude each other: choose one")]
    AddrAndSocket,
    #[error(
        "{} is already served by {} (it holds {}): stop that server first, or pass another --socket",
        socket.display(),
        pid.map_or("another codegraph server".to_owned(), |p| format!("pid {p}")),
        local::lock_path(socket).display()
    )]
    AlreadyServed { socket: PathBuf, pid: Option<u32> },
    /// A path the server will not use as it is; the message says why and
    /// what to do.
    #[error("{0}")]
    Unsafe(String),
    /// A token file that is refused; the message says how to fix it.
    #[error("{0}")]
    Token(String),
    /// A root that cannot be allowed.
    #[error("{0}")]
    Roots(String),
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("server: {0}")]
    Transport(#[from] tonic::transport::Error),
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> ServeError {
    let what = what.into();
    move |source| ServeError::Io { what, source }
}

/// Constant-time comparison of the presented token with the expected one.
pub(crate) fn token_matches(presented: &[u8], expected: &[u8]) -> bool {
    if presented.len() != expected.len() {
        return false;
    }
    presented
        .iter()
        .zip(expected)
        .fold(0u8, |acc, (a, b)| acc | (a ^ b))
        == 0
}

fn check_token(
    token: Option<Arc<str>>,
) -> impl Fn(Request<()>) -> Result<Request<()>, Status> + Clone {
    move |request: Request<()>| {
        let Some(expected) = &token else {
            return Ok(request);
        };
        let presented = request
            .metadata()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        if token_matches(presented.as_bytes(), expected.as_bytes()) {
            Ok(request)
        } else {
            Err(Status::unauthenticated(
                "a valid `authorization: Bearer <token>` is required",
            ))
        }
    }
}

type Response = tonic::codegen::http::Response<tonic::body::Body>;

/// The layers around every service: [`oversized_is_resource_exhausted`].
type Layers = tower::layer::util::Stack<
    tower::util::MapResponseLayer<fn(Response) -> Response>,
    tower::layer::util::Identity,
>;

/// A request over the size limit is RESOURCE_EXHAUSTED, as gRPC and the
/// API say; tonic answers OUT_OF_RANGE ("decoded message length too
/// large"). Its answer comes before the method runs, in the response's
/// headers (trailers-only), where this rewrites the code.
fn oversized_is_resource_exhausted(mut response: Response) -> Response {
    if let Some(status) = Status::from_header_map(response.headers())
        && status.code() == tonic::Code::OutOfRange
        && status.message().contains("message length too large")
    {
        let exhausted = Status::resource_exhausted(format!(
            "the message is over the server's limit of {} bytes (16 MiB): {}",
            crate::limits::MAX_MESSAGE_BYTES,
            status.message()
        ));
        if exhausted.add_header(response.headers_mut()).is_err() {
            tracing::debug!("cannot rewrite an oversized message's status");
        }
    }
    response
}

/// The gRPC services, health and reflection, behind the token check.
async fn grpc_routes(
    services: Services,
    token: Option<Arc<str>>,
) -> Result<tonic::service::Routes, ServeError> {
    let auth = check_token(token);
    let max = crate::limits::MAX_MESSAGE_BYTES;
    let (health_reporter, health) = tonic_health::server::health_reporter();
    for name in [
        "codegraph.v1.IndexService",
        "codegraph.v1.SearchService",
        "codegraph.v1.ContextService",
        "codegraph.v1.GraphService",
        "",
    ] {
        health_reporter
            .set_service_status(name, tonic_health::ServingStatus::Serving)
            .await;
    }
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
    };
    let reflection_error = |e: tonic_reflection::server::Error| ServeError::Io {
        what: "reflection".into(),
        source: std::io::Error::other(e.to_string()),
    };
    let reflection_v1 = reflection().build_v1().map_err(reflection_error)?;
    let reflection_v1alpha = reflection().build_v1alpha().map_err(reflection_error)?;
    let mut routes = tonic::service::Routes::builder();
    routes
        .add_service(health)
        .add_service(guarded(&auth, reflection_v1))
        .add_service(guarded(&auth, reflection_v1alpha))
        .add_service(guarded(
            &auth,
            pb::index_service_server::IndexServiceServer::new(services.clone())
                .max_decoding_message_size(max),
        ))
        .add_service(guarded(
            &auth,
            pb::search_service_server::SearchServiceServer::new(services.clone())
                .max_decoding_message_size(max),
        ))
        .add_service(guarded(
            &auth,
            pb::context_service_server::ContextServiceServer::new(services.clone())
                .max_decoding_message_size(max),
        ))
        .add_service(guarded(
            &auth,
            pb::graph_service_server::GraphServiceServer::new(services)
                .max_decoding_message_size(max),
        ));
    Ok(routes.routes())
}

/// The server: gRPC, and with `mcp` the Model Context Protocol at `/mcp`
/// on the same listener (HTTP/1.1 accepted beside HTTP/2 then, as MCP
/// clients speak it); other paths are 404 to HTTP clients.
async fn router(
    registry: &Arc<Registry>,
    token: Option<Arc<str>>,
    mcp: Option<McpOptions>,
) -> Result<tonic::transport::server::Router<Layers>, ServeError> {
    let grpc = grpc_routes(
        Services {
            registry: registry.clone(),
        },
        token.clone(),
    )
    .await?;
    let routes = match &mcp {
        None => grpc,
        Some(m) => tonic::service::Routes::from(
            grpc.into_axum_router()
                .merge(crate::mcp::router(
                    registry.clone(),
                    token,
                    m.cancel.clone(),
                    m.remote,
                ))
                .fallback(crate::mcp::grpc_or_404),
        ),
    };
    Ok(Server::builder()
        .accept_http1(mcp.is_some())
        .layer(tower::util::MapResponseLayer::new(
            oversized_is_resource_exhausted as fn(Response) -> Response,
        ))
        .add_routes(routes))
}

/// How MCP is served beside gRPC.
struct McpOptions {
    /// Cancelled when shutdown begins: ends MCP's open streams.
    cancel: tokio_util::sync::CancellationToken,
    /// Host headers beyond loopback names are accepted.
    remote: bool,
}

/// Where the server listens.
enum Listener {
    Unix(OwnedSocket),
    Tcp(tokio::net::TcpListener),
}

/// Runs the server until `shutdown` completes; then stops accepting, lets
/// in-flight requests finish for the grace period while the indexers stop
/// (at a batch boundary when they can), and returns at the end of the
/// grace period at the latest: work still running then (a parse, an index
/// run, a query) is abandoned for the caller to end with the process.
/// Every write is a transaction, so the index stays consistent.
pub async fn run(
    options: ServeOptions,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    // The shutdown signal, watched from the start: a signal during startup
    // stops it too.
    let (stop_tx, stopped) = tokio::sync::watch::channel(None::<Instant>);
    let signal = AbortOnDrop(tokio::spawn(async move {
        shutdown.await;
        let _ = stop_tx.send(Some(Instant::now()));
        // Keep the sender alive: receivers must not see it closed.
        std::future::pending::<()>().await;
    }));
    check_addresses(&options)?;
    let (allowed, cache) = roots_and_cache(&options)?;
    // Over TCP, a token always: the caller's, or a generated one.
    let (token, generated) = token(&options)?;
    // The listener first: a second server on the same socket is refused
    // before it opens (and starts indexing) any repository.
    let listener = bind(&options).await?;
    let Some(registry) = open_registry(&options, cache, allowed, stopped.clone()).await? else {
        tracing::info!("stopped while starting");
        return Ok(());
    };
    let mcp = options.mcp.then(|| McpOptions {
        cancel: tokio_util::sync::CancellationToken::new(),
        remote: options.allow_remote,
    });
    let mcp_cancel = mcp.as_ref().map(|m| m.cancel.clone());
    let router = router(&registry, token.as_deref().map(Arc::from), mcp).await?;
    let graceful = {
        let mut stopped = stopped.clone();
        async move {
            let _ = stopped.wait_for(Option::is_some).await.map(|at| *at);
            if let Some(c) = mcp_cancel {
                c.cancel();
            }
        }
    };
    let grace = options.grace.unwrap_or(DEFAULT_GRACE);
    let served = serve_on(
        listener, router, graceful, &options, &registry, stopped, grace,
    )
    .await;
    drop(generated);
    drop(signal);
    served
}

/// The addresses asked for are consistent and local (or allowed remote).
fn check_addresses(options: &ServeOptions) -> Result<(), ServeError> {
    if options.addr.is_some() && options.socket.is_some() {
        return Err(ServeError::AddrAndSocket);
    }
    if let Some(addr) = options.addr
        && !addr.ip().is_loopback()
        && !(options.allow_remote && options.token.is_some())
    {
        return Err(ServeError::NotLoopback(addr));
    }
    Ok(())
}

/// Where repositories may be registered, and where indexes go.
fn roots_and_cache(options: &ServeOptions) -> Result<(AllowedRoots, PathBuf), ServeError> {
    let allowed = if options.allowed_roots.is_empty() {
        AllowedRoots::from_env_or_home()
    } else {
        AllowedRoots::new(&options.allowed_roots)
    }
    .map_err(ServeError::Roots)?;
    if allowed.roots().is_empty() {
        tracing::warn!(
            "no directory is allowed (no home directory): every registration will be refused; \
             pass --allow-root DIR"
        );
    }
    let cache = match options.cache_dir.clone() {
        Some(d) => d,
        None => codegraph::cache_dir().map_err(|e| ServeError::Io {
            what: "the cache directory".into(),
            source: std::io::Error::other(e.to_string()),
        })?,
    };
    Ok((allowed, cache))
}

/// The token calls must carry: the caller's; over TCP without one, a
/// generated one (its file removed when the guard drops).
fn token(options: &ServeOptions) -> Result<(Option<String>, Option<GeneratedToken>), ServeError> {
    Ok(match (&options.addr, &options.token) {
        (_, Some(t)) => (Some(t.clone()), None),
        (Some(_), None) => {
            let g = GeneratedToken::create(&local::runtime_dir())?;
            eprintln!(
                "codegraph serve: the bearer token is in {} (send `authorization: Bearer <token>`)",
                g.file.display()
            );
            (Some(g.token.clone()), Some(g))
        }
        (None, None) => (None, None),
    })
}

/// Binds the TCP address or the Unix socket.
async fn bind(options: &ServeOptions) -> Result<Listener, ServeError> {
    Ok(match options.addr {
        Some(addr) => Listener::Tcp(
            tokio::net::TcpListener::bind(addr)
                .await
                .map_err(io(format!("binding {addr}")))?,
        ),
        None => {
            let path = match options.socket.clone() {
                Some(p) => std::path::absolute(&p).map_err(io(p.display().to_string()))?,
                None => {
                    let dir = local::runtime_dir();
                    local::private_dir(&dir)?;
                    dir.join(local::SOCKET_NAME)
                }
            };
            Listener::Unix(local::bind_socket(&path)?)
        }
    })
}

/// Opens the registry (its repositories start catching up); `None` when
/// the shutdown signal comes first.
async fn open_registry(
    options: &ServeOptions,
    cache: PathBuf,
    allowed: AllowedRoots,
    mut stopped: tokio::sync::watch::Receiver<Option<Instant>>,
) -> Result<Option<Arc<Registry>>, ServeError> {
    // Queries use rayon's global pool. Built here, at this thread's
    // priority, before any indexer (which runs at the lowest priority, and
    // whose threads inherit it) could be the first to touch it.
    if rayon::ThreadPoolBuilder::new()
        .thread_name(|i| format!("query-{i}"))
        .build_global()
        .is_err()
    {
        tracing::debug!("rayon's global pool was already built");
    }
    let opening = tokio::task::spawn_blocking({
        let dir = options.state_dir.clone();
        move || Registry::open(dir.as_deref(), cache, allowed)
    });
    tokio::select! {
        opened = opening => Ok(Some(opened
            .map_err(|e| ServeError::Io {
                what: "opening the registry".into(),
                source: std::io::Error::other(e.to_string()),
            })?
            .map_err(io("the state directory"))?)),
        _ = async { stopped.wait_for(Option::is_some).await.map(|at| *at) } => Ok(None),
    }
}

/// Announces the address (stderr, the ready file), then serves on
/// `listener` until shutdown and the grace period ([`bounded`]).
async fn serve_on(
    listener: Listener,
    router: tonic::transport::server::Router<Layers>,
    graceful: impl std::future::Future<Output = ()> + Send + 'static,
    options: &ServeOptions,
    registry: &Arc<Registry>,
    stopped: tokio::sync::watch::Receiver<Option<Instant>>,
    grace: Duration,
) -> Result<(), ServeError> {
    let ready = |address: String, mcp_url: String| -> Result<(), ServeError> {
        tracing::info!(%address, "listening");
        eprintln!("codegraph serve: listening on {address}");
        if options.mcp {
            eprintln!("codegraph serve: MCP (Streamable HTTP) at {mcp_url}");
        }
        if let Some(f) = &options.ready_file {
            write_ready_file(f, &address)?;
        }
        Ok(())
    };
    match listener {
        Listener::Unix(mut owned) => {
            let std_listener = owned.listener.take().expect("a bound listener");
            std_listener
                .set_nonblocking(true)
                .map_err(io("the socket"))?;
            let listener =
                tokio::net::UnixListener::from_std(std_listener).map_err(io("the socket"))?;
            ready(
                format!("unix:{}", owned.path.display()),
                format!(
                    "http://localhost{} over the socket {}",
                    crate::mcp::MCP_PATH,
                    owned.path.display()
                ),
            )?;
            let incoming = tokio_stream::StreamExt::filter_map(
                tokio_stream::wrappers::UnixListenerStream::new(listener),
                same_user,
            );
            let served = bounded(
                router.serve_with_incoming_shutdown(incoming, graceful),
                registry,
                stopped,
                grace,
            )
            .await;
            // The socket is removed once nothing is served on it.
            drop(owned);
            served.map_err(ServeError::from)
        }
        Listener::Tcp(listener) => {
            let bound = listener.local_addr().map_err(io("the bound address"))?;
            ready(
                bound.to_string(),
                format!("http://{bound}{}", crate::mcp::MCP_PATH),
            )?;
            // No Nagle: a reply's last small frames (data, then trailers)
            // must not wait for the client's delayed ACK (up to 40 ms).
            let incoming =
                tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
            bounded(
                router.serve_with_incoming_shutdown(incoming, graceful),
                registry,
                stopped,
                grace,
            )
            .await
            .map_err(ServeError::from)
        }
    }
}

/// Aborts a task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Serves until `serve` ends by itself (every connection closed after the
/// shutdown signal) or the grace period after the signal has passed. The
/// indexers are told to stop as soon as the signal comes; they get the
/// same grace period to reach a batch boundary.
async fn bounded(
    serve: impl std::future::Future<Output = Result<(), tonic::transport::Error>>,
    registry: &Arc<Registry>,
    mut stopped: tokio::sync::watch::Receiver<Option<Instant>>,
    grace: Duration,
) -> Result<(), tonic::transport::Error> {
    tokio::pin!(serve);
    let signalled = tokio::select! {
        result = &mut serve => {
            // Ended without a signal (a transport error): stop the indexers.
            let _ = stop_indexers(registry, Instant::now() + grace).await;
            return result;
        }
        at = async { stopped.wait_for(Option::is_some).await.map(|at| *at) } => match at {
            Ok(at) => at.expect("set"),
            Err(_) => Instant::now(),
        },
    };
    tracing::info!("shutting down: no new connections; stopping the indexers");
    let deadline = signalled + grace;
    let indexers = stop_indexers(registry, deadline);
    let requests = async {
        match tokio::time::timeout_at(deadline.into(), &mut serve).await {
            Ok(result) => result,
            Err(_) => {
                tracing::warn!("in-flight requests still running after {grace:?}: abandoned");
                Ok(())
            }
        }
    };
    let (result, all_stopped) = tokio::join!(requests, indexers);
    if !all_stopped {
        tracing::warn!(
            "an indexer still working after {grace:?}: abandoned (what it wrote is committed)"
        );
    }
    result
}

/// Tells every indexer to stop and waits for them until `deadline`, on
/// threads of their own (the blocking pool may be full of queries);
/// whether all stopped in time.
async fn stop_indexers(registry: &Arc<Registry>, deadline: Instant) -> bool {
    let repos = registry.list();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<()>(repos.len().max(1));
    let count = repos.len();
    for repo in repos {
        let tx = tx.clone();
        let spawned = std::thread::Builder::new()
            .name("stop-indexer".into())
            .spawn(move || {
                repo.shutdown();
                let _ = tx.blocking_send(());
            });
        if spawned.is_err() {
            tracing::warn!("cannot start a thread to stop an indexer");
        }
    }
    drop(tx);
    let mut done = 0;
    while done < count {
        match tokio::time::timeout_at(deadline.into(), rx.recv()).await {
            Ok(Some(())) => done += 1,
            Ok(None) | Err(_) => break,
        }
    }
    done == count
}

/// Accepts a connection from a process of this user only (the socket is
/// 0600 in a 0700 directory already; this holds even if someone loosened
/// them).
/// Its bytes pass through [`FixAuthority`], so that stock gRPC C-core
/// clients are understood.
fn same_user(
    conn: std::io::Result<tokio::net::UnixStream>,
) -> Option<std::io::Result<FixAuthority<tokio::net::UnixStream>>> {
    match conn {
        Ok(stream) => match stream.peer_cred() {
            Ok(cred) if cred.uid() == local::uid() => Some(Ok(FixAuthority::new(stream))),
            Ok(cred) => {
                tracing::warn!(uid = cred.uid(), "refused a connection from another user");
                None
            }
            Err(e) => {
                tracing::warn!(error = %e, "refused a connection: no peer credentials");
                None
            }
        },
        Err(e) => Some(Err(e)),
    }
}

/// Writes `address` to `file` atomically: through a new temporary file
/// beside it (never one that existed), renamed over `file`.
fn write_ready_file(file: &std::path::Path, address: &str) -> Result<(), ServeError> {
    use std::io::Write;
    let mut name = file.file_name().unwrap_or_default().to_owned();
    name.push(format!(".{}.tmp", std::process::id()));
    let tmp = file.with_file_name(name);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(io(tmp.display().to_string()))?;
    // Created here: ours to remove if the rest fails.
    let written = f
        .write_all(address.as_bytes())
        .and_then(|()| std::fs::rename(&tmp, file));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written.map_err(io(file.display().to_string()))
}

/// A service behind the token check.
fn guarded<S, F: Clone>(auth: &F, svc: S) -> tonic::service::interceptor::InterceptedService<S, F> {
    tonic::service::interceptor::InterceptedService::new(svc, auth.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_exactly() {
        assert!(token_matches(b"s3cret", b"s3cret"));
        assert!(!token_matches(b"s3cre", b"s3cret"));
        assert!(!token_matches(b"s3creT", b"s3cret"));
        assert!(!token_matches(b"", b"s3cret"));
        let check = check_token(Some(Arc::from("tok")));
        let mut ok = Request::new(());
        ok.metadata_mut()
            .insert("authorization", "Bearer tok".parse().unwrap());
        assert!(check(ok).is_ok());
        let mut bad = Request::new(());
        bad.metadata_mut()
            .insert("authorization", "Bearer nope".parse().unwrap());
        assert_eq!(check(bad).unwrap_err().code(), tonic::Code::Unauthenticated);
        assert_eq!(
            check(Request::new(())).unwrap_err().code(),
            tonic::Code::Unauthenticated
        );
        assert!(check_token(None)(Request::new(())).is_ok());
    }

    #[tokio::test]
    async fn a_remote_address_needs_the_flag_and_a_token() {
        let options = ServeOptions {
            addr: Some("0.0.0.0:0".parse().unwrap()),
            ..ServeOptions::default()
        };
        let e = run(options, async {}).await.unwrap_err();
        assert!(matches!(e, ServeError::NotLoopback(_)), "{e}");
        let options = ServeOptions {
            addr: Some("0.0.0.0:0".parse().unwrap()),
            allow_remote: true,
            ..ServeOptions::default()
        };
        assert!(matches!(
            run(options, async {}).await.unwrap_err(),
            ServeError::NotLoopback(_)
        ));
        let options = ServeOptions {
            addr: Some("127.0.0.1:0".parse().unwrap()),
            socket: Some("/tmp/x.sock".into()),
            ..ServeOptions::default()
        };
        assert!(matches!(
            run(options, async {}).await.unwrap_err(),
            ServeError::AddrAndSocket
        ));
    }

    #[test]
    fn an_oversized_message_is_resource_exhausted() {
        let tonic_says = Status::out_of_range(
            "Error, decoded message length too large: found 20971525 bytes, the limit is: 16777216 bytes",
        );
        let fixed = oversized_is_resource_exhausted(tonic_says.into_http());
        let status = Status::from_header_map(fixed.headers()).unwrap();
        assert_eq!(status.code(), tonic::Code::ResourceExhausted);
        assert!(status.message().contains("16 MiB"), "{status:?}");
        // Other answers pass unchanged.
        let other = oversized_is_resource_exhausted(Status::out_of_range("line 9").into_http());
        let status = Status::from_header_map(other.headers()).unwrap();
        assert_eq!(status.code(), tonic::Code::OutOfRange);
        let ok = oversized_is_resource_exhausted(Response::new(tonic::body::Body::empty()));
        assert!(Status::from_header_map(ok.headers()).is_none());
    }
}
