//! The Model Context Protocol over Streamable HTTP at `/mcp`, on the
//! server's own listener (`serve --mcp`): every agent shares the
//! registry's warm reader of a repository instead of loading an index of
//! its own.
//!
//! `/mcp?repo=ID_OR_PATH` serves one repository: a registered one by id or
//! root, or a directory the server may serve (`--allow-root`), which is
//! then registered (indexed and watched) as `RegisterRepository` would.
//! Without `repo`, the only registered repository is served (an error
//! lists them when there are several). The same token rules as gRPC: a
//! bearer token on every request over TCP, and over the socket when one
//! is given. Stateless, JSON responses: no sessions to keep, and answers
//! of any size reach clients that cap server-sent events.

use crate::registry::{Registry, Repo, RepoConfig, repo_id};
use crate::{limits, pb};
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use codegraph::{Phase, Reader};
use codegraph_mcp::{CodegraphMcp, Completeness, IndexState, Source};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use std::path::Path;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// The path MCP is served at.
pub const MCP_PATH: &str = "/mcp";

/// A registered repository as the MCP handler sees it: the registry's
/// reader (swapped by its indexer) and its run state.
#[derive(Debug)]
struct RepoSource(Arc<Repo>);

impl Source for RepoSource {
    fn root(&self) -> &Path {
        &self.0.config.root
    }

    fn reader(&self) -> Arc<Reader> {
        self.0.reader()
    }

    fn completeness(&self) -> Completeness {
        let indexed_before = self.0.reader().last_indexed().ok().flatten().is_some();
        completeness(&self.0.state.borrow(), indexed_before)
    }
}

/// The registry's run state in the MCP handler's terms.
fn completeness(s: &crate::registry::RunState, indexed_before: bool) -> Completeness {
    let phase = pb::IndexPhase::try_from(s.progress.phase).unwrap_or_default();
    let state = match phase {
        pb::IndexPhase::Failed => IndexState::Failed,
        _ if s.finished && s.indexed => IndexState::Ready,
        _ => IndexState::Indexing,
    };
    Completeness {
        state,
        indexed_before,
        indexed_now: s.indexed,
        phase: match phase {
            pb::IndexPhase::Walking => Some(Phase::Walking),
            pb::IndexPhase::Parsing | pb::IndexPhase::Storing => Some(Phase::Parsing),
            pb::IndexPhase::ResolvingGraph => Some(Phase::ResolvingGraph),
            pb::IndexPhase::LexicalIndex => Some(Phase::LexicalIndex),
            pb::IndexPhase::Embedding => Some(Phase::Embedding),
            pb::IndexPhase::VectorIndex => Some(Phase::VectorIndex),
            _ => None,
        },
        files_done: s.progress.files_done,
        files_total: s.progress.files_total,
        updates: s.updates,
        error: (!s.watcher_error.is_empty()).then(|| s.watcher_error.clone()),
    }
}

/// What `/mcp` needs: the registry, how to build the rmcp service, the
/// token.
#[derive(Clone)]
struct Mcp {
    registry: Arc<Registry>,
    config: StreamableHttpServerConfig,
    sessions: Arc<LocalSessionManager>,
}

/// The `/mcp` route, behind the bearer check when `token` is set. Its
/// streams end when `cancel` is cancelled (graceful shutdown waits on
/// them otherwise). `remote`: Host headers are not limited to loopback
/// names (the token is required then).
pub fn router(
    registry: Arc<Registry>,
    token: Option<Arc<str>>,
    cancel: CancellationToken,
    remote: bool,
) -> axum::Router {
    let config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_cancellation_token(cancel)
        .with_max_request_body_bytes(limits::MAX_MESSAGE_BYTES);
    let config = if remote {
        config.disable_allowed_hosts()
    } else {
        config.with_allowed_hosts(["localhost", "127.0.0.1", "::1"])
    };
    let state = Mcp {
        registry,
        config,
        sessions: Arc::new(LocalSessionManager::default()),
    };
    let route = axum::Router::new()
        .route(MCP_PATH, axum::routing::any(serve_mcp))
        .with_state(state);
    let route = match token {
        Some(t) => route.layer(middleware::from_fn_with_state(t, require_bearer)),
        None => route,
    };
    route.layer(middleware::map_response(close_after_refusal))
}

/// A refusal (a missing token, a foreign `Host`, an unknown repository)
/// often leaves the request's body unread, and the server then drops the
/// connection after answering: a client reusing it would see the next
/// request fail with no response. Saying so (`Connection: close`) makes
/// clients open a new one.
async fn close_after_refusal(mut response: Response) -> Response {
    let status = response.status();
    if status.is_client_error() || status.is_server_error() {
        response.headers_mut().insert(
            header::CONNECTION,
            axum::http::HeaderValue::from_static("close"),
        );
    }
    response
}

/// One MCP request: the repository it names, then rmcp's handling.
async fn serve_mcp(State(mcp): State<Mcp>, request: Request) -> Response {
    let wanted = request.uri().query().and_then(repo_param);
    let registry = mcp.registry.clone();
    let repo = tokio::task::spawn_blocking(move || pick(&registry, wanted.as_deref())).await;
    let repo = match repo {
        Ok(Ok(repo)) => repo,
        Ok(Err((code, message))) => return (code, format!("{message}\n")).into_response(),
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    };
    let handler = CodegraphMcp::over(Arc::new(RepoSource(repo)));
    let service = StreamableHttpService::new(
        move || Ok(handler.clone()),
        mcp.sessions.clone(),
        mcp.config.clone(),
    );
    let response = tower::ServiceExt::oneshot(service, request)
        .await
        .unwrap_or_else(|never| match never {});
    response.map(axum::body::Body::new)
}

/// The `repo` query parameter, percent-decoded.
fn repo_param(query: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let value = pair.strip_prefix("repo=")?;
        percent_decode(value)
    })
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

type Refusal = (StatusCode, String);

/// The repository a request names (see the module's documentation).
fn pick(registry: &Registry, wanted: Option<&str>) -> Result<Arc<Repo>, Refusal> {
    let Some(name) = wanted else {
        let repos = registry.list();
        return match repos.as_slice() {
            [one] => Ok(one.clone()),
            [] => Err((
                StatusCode::NOT_FOUND,
                "no repository is registered: add ?repo=/path/to/repository to the URL".into(),
            )),
            many => Err((
                StatusCode::BAD_REQUEST,
                format!(
                    "several repositories are registered: add ?repo=ID_OR_PATH to the URL, one of: {}",
                    many.iter()
                        .map(|r| format!("{} ({})", r.config.id, r.config.root.display()))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
        };
    };
    if let Ok(repo) = registry.get(name) {
        return Ok(repo);
    }
    let root = registry
        .admit(name)
        .map_err(|s| (StatusCode::FORBIDDEN, s.message().to_owned()))?;
    if !root.is_dir() {
        return Err((StatusCode::NOT_FOUND, format!("{name}: not a directory")));
    }
    let config = RepoConfig {
        id: repo_id(&root),
        index_dir: codegraph::index_dir_in(&registry.cache_dir, &root),
        root,
        embed: true,
        watch: true,
        quiet_ms: limits::DEFAULT_QUIET_MS,
        max_wait_ms: limits::DEFAULT_MAX_WAIT_MS,
        exclude_dir_names: Vec::new(),
        exclude_globs: Vec::new(),
        follow_symlinks: false,
        max_file_size: 0,
        registered_at: crate::registry::now_secs(),
    };
    tracing::info!(root = %config.root.display(), "registered for MCP");
    let id = config.id.clone();
    match registry.register(config) {
        Ok((repo, _)) => Ok(repo),
        // Two first requests for one repository (two agents starting
        // together): the one that lost the race serves what the other
        // registered.
        Err(s) if s.code() == tonic::Code::AlreadyExists => registry
            .get(&id)
            .map_err(|s| (StatusCode::BAD_REQUEST, s.message().to_owned())),
        Err(s) => Err((StatusCode::BAD_REQUEST, s.message().to_owned())),
    }
}

/// `Authorization: Bearer <token>`, or 401 with `WWW-Authenticate`.
async fn require_bearer(State(token): State<Arc<str>>, request: Request, next: Next) -> Response {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if crate::serve::token_matches(presented.as_bytes(), token.as_bytes()) {
        next.run(request).await
    } else {
        (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "a valid `Authorization: Bearer <token>` is required\n",
        )
            .into_response()
    }
}

/// The answer to a path nothing else serves: gRPC's UNIMPLEMENTED to a
/// gRPC client, 404 to anything else (tonic would answer HTTP 200 with a
/// gRPC status, which confuses HTTP clients probing well-known paths).
pub async fn grpc_or_404(request: Request) -> Response {
    let grpc = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("application/grpc"));
    if grpc {
        tonic::Status::unimplemented("no such service or method").into_http::<axum::body::Body>()
    } else {
        close_after_refusal((StatusCode::NOT_FOUND, "not found\n").into_response()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_repo_parameter_is_decoded() {
        assert_eq!(
            repo_param("repo=%2Fhome%2Fme%2Fsrc").as_deref(),
            Some("/home/me/src")
        );
        assert_eq!(repo_param("x=1&repo=abc").as_deref(), Some("abc"));
        assert_eq!(repo_param("x=1"), None);
        assert_eq!(repo_param("repo=%zz"), None);
    }

    #[test]
    fn run_state_maps_to_completeness() {
        let mut s = crate::registry::RunState::default();
        s.progress.phase = pb::IndexPhase::Parsing as i32;
        s.progress.files_done = 3;
        s.progress.files_total = 9;
        let c = completeness(&s, false);
        assert_eq!(c.state, IndexState::Indexing);
        assert_eq!(c.phase, Some(Phase::Parsing));
        assert!(!c.has_index());
        s.progress.phase = pb::IndexPhase::Ready as i32;
        s.finished = true;
        s.indexed = true;
        assert_eq!(completeness(&s, false).state, IndexState::Ready);
        s.progress.phase = pb::IndexPhase::Failed as i32;
        s.watcher_error = "disk full".into();
        let c = completeness(&s, true);
        assert_eq!(c.state, IndexState::Failed);
        assert_eq!(c.error.as_deref(), Some("disk full"));
    }
}
