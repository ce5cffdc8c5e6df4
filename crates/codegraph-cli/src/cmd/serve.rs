//! `serve`: the gRPC server, until SIGINT or SIGTERM.

use crate::ServeArgs;
use anyhow::{Context, Result};
use std::time::{Duration, Instant};

/// Serves the gRPC API until SIGINT or SIGTERM; then exits within about
/// two seconds whatever is still running (see [`codegraph_server::run`]).
pub fn serve(args: ServeArgs) -> Result<()> {
    let token = args
        .token_file
        .as_deref()
        .map(codegraph_server::read_token_file)
        .transpose()?;
    let state_dir = match args.state_dir {
        Some(d) => d,
        None => codegraph::cache_dir()?.join("server"),
    };
    let absolute = |p: std::path::PathBuf| std::path::absolute(&p).unwrap_or(p);
    let options = codegraph_server::ServeOptions {
        addr: args.addr,
        socket: args.socket.map(absolute),
        token,
        allow_remote: args.allow_remote,
        ready_file: args.ready_file,
        state_dir: Some(state_dir),
        cache_dir: None,
        allowed_roots: args.allow_roots.into_iter().map(absolute).collect(),
        grace: None,
        mcp: args.mcp,
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
    let stopping = std::sync::Arc::new(std::sync::OnceLock::<Instant>::new());
    let result = runtime.block_on({
        let stopping = stopping.clone();
        async move {
            // Installed before anything starts: a signal during startup
            // stops the server too.
            use tokio::signal::unix::{SignalKind, signal};
            let mut term = signal(SignalKind::terminate()).context("SIGTERM handler")?;
            let mut int = signal(SignalKind::interrupt()).context("SIGINT handler")?;
            let shutdown = async move {
                tokio::select! {
                    _ = int.recv() => {}
                    _ = term.recv() => {}
                }
                let _ = stopping.set(Instant::now());
                eprintln!("codegraph serve: stopping");
            };
            codegraph_server::run(options, shutdown)
                .await
                .map_err(anyhow::Error::from)
        }
    });
    // Blocking work still running (a parse, an index run, a long query) is
    // not waited for: every write is a transaction, so the index stays
    // consistent; the process ends now.
    runtime.shutdown_timeout(Duration::from_millis(100));
    result?;
    match stopping.get() {
        Some(at) => eprintln!(
            "codegraph serve: stopped ({} ms after the signal)",
            at.elapsed().as_millis()
        ),
        None => eprintln!("codegraph serve: stopped"),
    }
    Ok(())
}
