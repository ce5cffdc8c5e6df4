//! codegraph over the Model Context Protocol: read-only tools (search,
//! definitions, outlines, source, the call and import graph, impact, the
//! repository map, completion context, locating a task) and resources (the
//! repository map, the README) over one repository's live index, built on
//! the official Rust SDK (`rmcp`).
//!
//! [`Live`] keeps the index current (the library's watcher, reader swaps);
//! [`CodegraphMcp`] is the handler; [`Bridge`] forwards to a running
//! `codegraph serve --mcp` instead; [`serve_stdio`] serves either on the
//! process's stdin and stdout until the client closes stdin or the token
//! is cancelled. Thin over the `codegraph` library: the questions are the
//! library's, this crate validates arguments, keeps answers within their
//! token budget and reports their cost.

mod answer;
mod args;
mod bridge;
mod live;
mod server;
mod tools;

pub use answer::{MAX_BUDGET, MIN_BUDGET, tokens};
pub use bridge::{Bridge, Fallback, Upstream};
pub use live::{Completeness, IndexState, Live, LiveOptions, Source};
pub use server::CodegraphMcp;

use rmcp::ServiceExt;
use tokio_util::sync::CancellationToken;

/// Longest JSON-RPC message read from stdin, bytes; a longer line is
/// dropped by the SDK (the arguments' own limits are far below).
pub const MAX_MESSAGE_BYTES: usize = 16 << 20;

/// Errors of the server.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the MCP session did not start: {0}")]
    Start(String),
    #[error("the MCP session failed: {0}")]
    Session(String),
}

/// How a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// The client closed stdin.
    Closed,
    /// The token was cancelled (a signal).
    Cancelled,
}

/// Serves `server` over stdin and stdout until the client closes stdin or
/// `cancel` is cancelled. Logs go through `tracing` (to stderr in the CLI);
/// stdout carries only protocol messages.
pub async fn serve_stdio<H: rmcp::ServerHandler>(
    server: H,
    cancel: CancellationToken,
) -> Result<Ended, Error> {
    let transport = rmcp::transport::async_rw::AsyncRwTransport::new_server(
        tokio::io::stdin(),
        tokio::io::stdout(),
    )
    .with_max_line_length(MAX_MESSAGE_BYTES);
    let running = match server.serve_with_ct(transport, cancel.clone()).await {
        Ok(r) => r,
        Err(_) if cancel.is_cancelled() => return Ok(Ended::Cancelled),
        Err(e) => return Err(Error::Start(e.to_string())),
    };
    tracing::info!(
        version = ?running.peer().peer_info().map(|p| p.protocol_version.clone()),
        "serving MCP on stdio"
    );
    let reason = running
        .waiting()
        .await
        .map_err(|e| Error::Session(e.to_string()))?;
    tracing::info!(?reason, "MCP session ended");
    Ok(match reason {
        rmcp::service::QuitReason::Cancelled => Ended::Cancelled,
        _ => Ended::Closed,
    })
}
