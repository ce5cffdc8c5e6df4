//! Answering through a running `codegraph serve --mcp` that already holds
//! the repository, so that an agent's `codegraph mcp` shares the server's
//! warm index instead of loading a second copy.
//!
//! [`Bridge`] is the stdio handler: it forwards every request (tools,
//! resources) to the server's `/mcp` endpoint over its Unix socket, as an
//! MCP client of it, and passes the answers back unchanged. When the server
//! stops answering (it exited, was killed, or did not answer within
//! [`UPSTREAM_DEADLINE`]), the bridge drops it for good and answers that
//! request and every later one from a handler of its own, started then
//! (the caller's `fallback`: in the CLI, the same live index `codegraph
//! mcp` opens without a server, which takes the index over once the
//! server's lock is released). An error the server *answers* (a JSON-RPC
//! error) is passed through: the server is alive.

use crate::server::{CodegraphMcp, server_info};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, ListResourceTemplatesResult, ListResourcesResult,
    ListToolsResult, PaginatedRequestParams, ReadResourceRequestParams, ReadResourceResponse,
    ServerConfig,
};
use rmcp::service::{Peer, RequestContext, RunningService, ServiceError};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::{ErrorData as McpError, RoleClient, RoleServer, ServerHandler, ServiceExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long connecting and the MCP handshake with the server may take.
pub const CONNECT_DEADLINE: Duration = Duration::from_secs(2);
/// How long one forwarded request may take before the server counts as
/// gone (its own calls stop at [`crate::server::CALL_DEADLINE`]).
pub const UPSTREAM_DEADLINE: Duration = Duration::from_secs(15);

/// A session with the server's `/mcp` endpoint.
pub struct Upstream {
    service: RunningService<RoleClient, ()>,
    socket: PathBuf,
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstream")
            .field("socket", &self.socket)
            .finish()
    }
}

impl Upstream {
    /// Opens an MCP session with the server listening on `socket`, for
    /// the repository it registered as `repository` (its id). Fails when
    /// the server does not serve MCP (`serve` without `--mcp`), refuses
    /// the session, or takes longer than [`CONNECT_DEADLINE`].
    pub async fn connect(socket: &Path, repository: &str) -> Result<Upstream, String> {
        let uri = format!(
            "http://localhost{}?repo={}",
            MCP_PATH,
            percent_encode(repository)
        );
        // Stateless (the server keeps no sessions) is the default.
        let config = StreamableHttpClientTransportConfig::with_uri(uri);
        let socket_text = socket.to_string_lossy();
        let transport =
            StreamableHttpClientTransport::from_unix_socket_with_config(&socket_text, config);
        let service = tokio::time::timeout(CONNECT_DEADLINE, ().serve(transport))
            .await
            .map_err(|_| format!("no MCP handshake within {CONNECT_DEADLINE:?}"))?
            .map_err(|e| format!("no MCP session: {e}"))?;
        Ok(Upstream {
            service,
            socket: socket.to_owned(),
        })
    }

    /// The server's socket.
    pub fn socket(&self) -> &Path {
        &self.socket
    }
}

/// The path the server serves MCP at (`codegraph serve --mcp`).
const MCP_PATH: &str = "/mcp";

/// Starts the handler that answers once the server is gone.
pub type Fallback = Box<dyn Fn() -> Result<CodegraphMcp, String> + Send + Sync>;

/// The stdio handler of a `codegraph mcp` that answers through a server
/// (see the module's documentation).
pub struct Bridge {
    upstream: Mutex<Option<Arc<Upstream>>>,
    local: tokio::sync::OnceCell<CodegraphMcp>,
    fallback: Arc<Fallback>,
}

impl std::fmt::Debug for Bridge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bridge")
            .field("upstream", &self.upstream.lock().map(|u| u.is_some()))
            .field("local", &self.local.initialized())
            .finish()
    }
}

impl Bridge {
    /// Answers through `upstream` until it goes away, then through what
    /// `fallback` starts (called once, on the blocking pool).
    pub fn new(upstream: Upstream, fallback: Fallback) -> Bridge {
        Bridge {
            upstream: Mutex::new(Some(Arc::new(upstream))),
            local: tokio::sync::OnceCell::new(),
            fallback: Arc::new(fallback),
        }
    }

    /// Whether requests still go to the server.
    pub fn forwarding(&self) -> bool {
        self.upstream.lock().is_ok_and(|u| u.is_some())
    }

    fn peer(&self) -> Option<(Peer<RoleClient>, Arc<Upstream>)> {
        let slot = self.upstream.lock().unwrap_or_else(|e| e.into_inner());
        slot.as_ref().map(|u| (u.service.peer().clone(), u.clone()))
    }

    /// Drops the server for good (once, whoever sees the failure first).
    fn lost(&self, up: &Upstream, why: &str) {
        let mut slot = self.upstream.lock().unwrap_or_else(|e| e.into_inner());
        if slot.as_ref().is_some_and(|u| std::ptr::eq(&**u, up)) {
            *slot = None;
            tracing::warn!(
                socket = %up.socket.display(),
                "codegraph serve stopped answering ({why}); answering from the index from now on"
            );
        }
    }

    async fn local(&self) -> Result<&CodegraphMcp, McpError> {
        self.local
            .get_or_try_init(|| async {
                let start = self.fallback.clone();
                tokio::task::spawn_blocking(move || start())
                    .await
                    .map_err(|e| e.to_string())
                    .and_then(|r| r)
                    .map_err(|e| {
                        McpError::internal_error(format!("cannot open the index: {e}"), None)
                    })
            })
            .await
    }

    /// `ask` of the server; its transport failing or its silence, `answer`
    /// of the local handler.
    async fn forward<T, A, L>(&self, ask: A, answer: L) -> Result<T, McpError>
    where
        A: AsyncFnOnce(Peer<RoleClient>) -> Result<T, ServiceError>,
        L: AsyncFnOnce(&CodegraphMcp) -> Result<T, McpError>,
    {
        if let Some((peer, up)) = self.peer() {
            match tokio::time::timeout(UPSTREAM_DEADLINE, ask(peer)).await {
                Ok(Ok(v)) => return Ok(v),
                Ok(Err(ServiceError::McpError(e))) => return Err(e),
                Ok(Err(e)) => self.lost(&up, &e.to_string()),
                Err(_) => self.lost(&up, &format!("no answer within {UPSTREAM_DEADLINE:?}")),
            }
        }
        answer(self.local().await?).await
    }
}

impl ServerHandler for Bridge {
    fn get_info(&self) -> ServerConfig {
        server_info()
    }

    async fn list_tools(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        let r = request.clone();
        self.forward(
            async |p| p.list_tools(r).await,
            async |l| l.list_tools(request, context).await,
        )
        .await
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let r = request.clone();
        self.forward(
            async |p| p.call_tool_once(r).await,
            async |l| l.call_tool(request, context).await,
        )
        .await
    }

    async fn list_resources(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        let r = request.clone();
        self.forward(
            async |p| p.list_resources(r).await,
            async |l| l.list_resources(request, context).await,
        )
        .await
    }

    async fn list_resource_templates(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, McpError> {
        let r = request.clone();
        self.forward(
            async |p| p.list_resource_templates(r).await,
            async |l| l.list_resource_templates(request, context).await,
        )
        .await
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, McpError> {
        let r = request.clone();
        self.forward(
            async |p| p.read_resource_once(r).await,
            async |l| l.read_resource(request, context).await,
        )
        .await
    }
}

/// `s` percent-encoded for a query value.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::percent_encode;

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(percent_encode("repo-1a2b"), "repo-1a2b");
        assert_eq!(percent_encode("/a b/c&d=e"), "/a%20b/c%26d%3De");
        assert_eq!(percent_encode("é"), "%C3%A9");
    }
}
