//! The server: listener (loopback TCP or a 0600 Unix socket), bearer-token
//! check, the four services with message-size limits, gRPC health and
//! reflection, graceful shutdown.

use crate::pb;
use crate::registry::Registry;
use crate::services::Services;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tonic::transport::Server;
use tonic::{Request, Status};

/// The default address: loopback only.
pub const DEFAULT_ADDR: &str = "127.0.0.1:7733";

#[derive(Debug, Clone, Default)]
pub struct ServeOptions {
    /// TCP address (default [`DEFAULT_ADDR`]; port 0 picks a free one).
    pub addr: Option<SocketAddr>,
    /// Serve on this Unix socket instead of TCP (created with mode 0600).
    pub socket: Option<PathBuf>,
    /// Required as `authorization: Bearer <token>` on every call but health.
    pub token: Option<String>,
    /// Permit a non-loopback address (a token is required as well).
    pub allow_remote: bool,
    /// Written with the bound address (`127.0.0.1:PORT` or `unix:PATH`) once
    /// the server accepts connections.
    pub ready_file: Option<PathBuf>,
    /// Where the list of registered repositories is kept across restarts.
    pub state_dir: Option<PathBuf>,
    /// Where indexes go (default: the library's cache directory).
    pub cache_dir: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(
        "{0} is not a loopback address: serving beyond this machine needs --allow-remote and a token"
    )]
    NotLoopback(SocketAddr),
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
fn token_matches(presented: &[u8], expected: &[u8]) -> bool {
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

/// The gRPC services, health and reflection, behind the token check.
async fn router(
    services: Services,
    token: Option<Arc<str>>,
) -> Result<tonic::transport::server::Router, ServeError> {
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
    let reflection_v1 = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()
        .map_err(|e| ServeError::Io {
            what: "reflection".into(),
            source: std::io::Error::other(e.to_string()),
        })?;
    let reflection_v1alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1alpha()
        .map_err(|e| ServeError::Io {
            what: "reflection".into(),
            source: std::io::Error::other(e.to_string()),
        })?;
    Ok(Server::builder()
        .add_service(health)
        .add_service(tonic::service::interceptor::InterceptedService::new(
            reflection_v1,
            auth.clone(),
        ))
        .add_service(tonic::service::interceptor::InterceptedService::new(
            reflection_v1alpha,
            auth.clone(),
        ))
        .add_service(tonic::service::interceptor::InterceptedService::new(
            pb::index_service_server::IndexServiceServer::new(services.clone())
                .max_decoding_message_size(max),
            auth.clone(),
        ))
        .add_service(tonic::service::interceptor::InterceptedService::new(
            pb::search_service_server::SearchServiceServer::new(services.clone())
                .max_decoding_message_size(max),
            auth.clone(),
        ))
        .add_service(tonic::service::interceptor::InterceptedService::new(
            pb::context_service_server::ContextServiceServer::new(services.clone())
                .max_decoding_message_size(max),
            auth.clone(),
        ))
        .add_service(tonic::service::interceptor::InterceptedService::new(
            pb::graph_service_server::GraphServiceServer::new(services)
                .max_decoding_message_size(max),
            auth,
        )))
}

/// Runs the server until `shutdown` completes, then stops every indexer at a
/// batch boundary (everything written is committed) and returns.
pub async fn run(
    options: ServeOptions,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let addr = options
        .addr
        .unwrap_or_else(|| DEFAULT_ADDR.parse().expect("valid default address"));
    if options.socket.is_none()
        && !addr.ip().is_loopback()
        && !(options.allow_remote && options.token.is_some())
    {
        return Err(ServeError::NotLoopback(addr));
    }
    let cache = match options.cache_dir.clone() {
        Some(d) => d,
        None => codegraph::cache_dir().map_err(|e| ServeError::Io {
            what: "the cache directory".into(),
            source: std::io::Error::other(e.to_string()),
        })?,
    };
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
    let registry = tokio::task::spawn_blocking({
        let dir = options.state_dir.clone();
        move || Registry::open(dir.as_deref(), cache)
    })
    .await
    .map_err(|e| ServeError::Io {
        what: "opening the registry".into(),
        source: std::io::Error::other(e.to_string()),
    })?
    .map_err(io("the state directory"))?;
    let router = router(
        Services {
            registry: registry.clone(),
        },
        options.token.as_deref().map(Arc::from),
    )
    .await?;

    let ready = |address: String| -> Result<(), ServeError> {
        tracing::info!(%address, "listening");
        eprintln!("codegraph serve: listening on {address}");
        if let Some(f) = &options.ready_file {
            let tmp = f.with_extension("tmp");
            std::fs::write(&tmp, &address)
                .and_then(|()| std::fs::rename(&tmp, f))
                .map_err(io(format!("{}", f.display())))?;
        }
        Ok(())
    };
    let served = match &options.socket {
        Some(path) => {
            // Bound under a temporary name, made 0600, then renamed into
            // place: the socket is never reachable with wider permissions.
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::remove_file(path);
            let tmp = path.with_extension("binding");
            let _ = std::fs::remove_file(&tmp);
            let listener = tokio::net::UnixListener::bind(&tmp)
                .map_err(io(format!("binding {}", tmp.display())))?;
            std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))
                .map_err(io(format!("{}", tmp.display())))?;
            std::fs::rename(&tmp, path).map_err(io(format!("{}", path.display())))?;
            ready(format!("unix:{}", path.display()))?;
            let incoming = tokio_stream::wrappers::UnixListenerStream::new(listener);
            let result = router
                .serve_with_incoming_shutdown(incoming, shutdown)
                .await;
            let _ = std::fs::remove_file(path);
            result
        }
        None => {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(io(format!("binding {addr}")))?;
            let bound = listener.local_addr().map_err(io("the bound address"))?;
            ready(bound.to_string())?;
            // No Nagle: a reply's last small frames (data, then trailers)
            // must not wait for the client's delayed ACK (up to 40 ms).
            let incoming =
                tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
            router
                .serve_with_incoming_shutdown(incoming, shutdown)
                .await
        }
    };
    tracing::info!("shutting down: stopping the indexers");
    tokio::task::spawn_blocking(move || registry.shutdown())
        .await
        .ok();
    served.map_err(ServeError::from)
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
    }
}
