//! `mcp`: a Model Context Protocol server on stdin/stdout over one
//! repository's live index. stdout carries protocol messages only; logs go
//! to stderr.
//!
//! When a `codegraph serve --mcp` on the default socket already holds the
//! repository with the same index (found as the other commands find it,
//! see [`crate::remote`]), this process opens no index: it forwards every
//! request to the server's `/mcp` and shares its warm index
//! ([`codegraph_mcp::Bridge`]). If the server goes away, the index is
//! opened here at the next request and kept live from then on.

use crate::McpArgs;
use crate::remote::Remote;
use anyhow::{Context, Result};
use codegraph_mcp::{Bridge, CodegraphMcp, Live, LiveOptions, Upstream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long shutdown waits for the indexer to reach a batch boundary.
const INDEXER_WAIT: Duration = Duration::from_secs(3);

/// Serves until the client closes stdin, or SIGINT / SIGTERM.
pub fn mcp(args: McpArgs) -> Result<()> {
    let root = match args.path {
        Some(p) => p,
        None => {
            let cwd = std::env::current_dir().context("reading the current directory")?;
            codegraph::repository_root(&cwd).unwrap_or(cwd)
        }
    };
    let mut options = LiveOptions {
        embed: !args.no_embed,
        watch: !args.no_watch,
        ..LiveOptions::default()
    };
    options.index.index_dir = args.index_dir.clone();
    // The server's own runtime (in `Remote`) ends before this one starts.
    let server = if args.no_server {
        None
    } else {
        Remote::find(&root, args.index_dir.as_deref())
            .map(|r| (r.socket().to_owned(), r.repository().to_owned()))
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    let upstream = server.and_then(|(socket, id)| {
        runtime
            .block_on(Upstream::connect(&socket, &id))
            .inspect_err(|why| {
                tracing::info!(
                    "codegraph serve at {} holds the repository but its MCP did not answer ({why}); \
                     opening the index (start the server with --mcp to share it)",
                    socket.display()
                )
            })
            .ok()
    });
    // The live index this process keeps, if it opens one (at start, or
    // when the server it forwarded to goes away).
    let opened: Arc<Mutex<Option<Arc<Live>>>> = Arc::default();
    let ended = match upstream {
        Some(upstream) => {
            eprintln!(
                "codegraph mcp: serving {} on stdio through codegraph serve at {}",
                root.display(),
                upstream.socket().display()
            );
            let slot = opened.clone();
            let fallback = Box::new(move || {
                let live = open(&root, &options).map_err(|e| format!("{e:#}"))?;
                eprintln!(
                    "codegraph mcp: the server went away; serving {} from its index",
                    live.root().display()
                );
                *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(live.clone());
                Ok(CodegraphMcp::new(live))
            });
            serve(&runtime, Bridge::new(upstream, fallback))
        }
        None => {
            let live = open(&root, &options)?;
            eprintln!("codegraph mcp: serving {} on stdio", live.root().display());
            *opened.lock().unwrap_or_else(|e| e.into_inner()) = Some(live.clone());
            serve(&runtime, CodegraphMcp::new(live))
        }
    };
    if let Some(live) = opened.lock().unwrap_or_else(|e| e.into_inner()).take() {
        live.shutdown(INDEXER_WAIT);
    }
    let code = match ended {
        Ok(how) => {
            eprintln!("codegraph mcp: stopped ({how:?})");
            0
        }
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
    };
    // A pending read of stdin cannot be cancelled: exit without waiting
    // for the runtime's blocking threads.
    std::process::exit(code)
}

/// The repository's live index.
fn open(root: &Path, options: &LiveOptions) -> Result<Arc<Live>> {
    Live::start(root, options.clone())
        .with_context(|| format!("cannot open the index of {}", root.display()))
}

/// Serves `handler` on stdio until the client closes stdin or a signal.
fn serve<H: rmcp::ServerHandler>(
    runtime: &tokio::runtime::Runtime,
    handler: H,
) -> Result<codegraph_mcp::Ended, codegraph_mcp::Error> {
    runtime.block_on(async move {
        // The token exists before serving: a signal during the handshake
        // ends the session too.
        let cancel = tokio_util::sync::CancellationToken::new();
        let on_signal = cancel.clone();
        tokio::spawn(async move {
            let Ok(mut term) =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            else {
                return;
            };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            on_signal.cancel();
        });
        codegraph_mcp::serve_stdio(handler, cancel).await
    })
}
