//! `serve`: the gRPC server, until SIGINT or SIGTERM.

use crate::ServeArgs;
use anyhow::{Context, Result};
use std::path::Path;

/// Serves the gRPC API until SIGINT or SIGTERM.
pub fn serve(args: ServeArgs) -> Result<()> {
    let token = args.token_file.as_deref().map(read_token).transpose()?;
    let state_dir = match args.state_dir {
        Some(d) => d,
        None => codegraph::cache_dir()?.join("server"),
    };
    let options = codegraph_server::ServeOptions {
        addr: Some(args.addr),
        socket: args.socket,
        token,
        allow_remote: args.allow_remote,
        ready_file: args.ready_file,
        state_dir: Some(state_dir),
        cache_dir: None,
    };
    // Library calls run on the blocking pool; a few threads per core keep
    // memory and contention bounded (requests queue, and those whose
    // deadline passes while queued are never started).
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .max_blocking_threads(2 * cores + 2)
        .enable_all()
        .build()
        .context("starting the runtime")?;
    runtime.block_on(async move {
        let shutdown = async {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .expect("SIGTERM handler");
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            eprintln!("codegraph serve: stopping");
        };
        codegraph_server::run(options, shutdown).await
    })?;
    eprintln!("codegraph serve: stopped");
    Ok(())
}

/// The bearer token in `file` (surrounding whitespace trimmed): at least
/// 16 characters.
fn read_token(file: &Path) -> Result<String> {
    let token = std::fs::read_to_string(file)
        .with_context(|| format!("reading the token file {}", file.display()))?
        .trim()
        .to_owned();
    if token.len() < 16 {
        anyhow::bail!(
            "{}: the token must be at least 16 characters",
            file.display()
        );
    }
    Ok(token)
}
