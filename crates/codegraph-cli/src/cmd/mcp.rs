//! `mcp`: a Model Context Protocol server on stdin/stdout over one
//! repository's live index. stdout carries protocol messages only; logs go
//! to stderr.

use crate::McpArgs;
use anyhow::{Context, Result};
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
    let mut options = codegraph_mcp::LiveOptions {
        embed: !args.no_embed,
        watch: !args.no_watch,
        ..codegraph_mcp::LiveOptions::default()
    };
    options.index.index_dir = args.index_dir;
    let live = codegraph_mcp::Live::start(&root, options)
        .with_context(|| format!("cannot open the index of {}", root.display()))?;
    eprintln!("codegraph mcp: serving {} on stdio", live.root().display());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    let server = codegraph_mcp::CodegraphMcp::new(live.clone());
    let ended = runtime.block_on(async move {
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
        codegraph_mcp::serve_stdio(server, cancel).await
    });
    live.shutdown(INDEXER_WAIT);
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
