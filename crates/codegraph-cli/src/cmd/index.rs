//! `index`, `watch` and `status`: building the index, keeping it current,
//! and reporting on it.

use super::{open, open_reader, open_replacing};
use crate::progress::Bar;
use crate::{IndexArgs, Outcome, StatusArgs, WatchArgs, human, output};
use anyhow::{Context, Result};
use codegraph::IndexOptions;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Indexes what changed since the last run, then embeds new chunks.
pub fn index(args: IndexArgs) -> Result<Outcome> {
    let started = std::time::Instant::now();
    let mut options = IndexOptions {
        follow_symlinks: args.follow_symlinks,
        ..IndexOptions::default()
    };
    if let Some(max) = args.max_file_size {
        options.max_file_size = max;
    }
    if let Some(t) = args.threads {
        options.threads = t;
    }
    let mut cg = if args.rebuild {
        open_replacing(&args.repo, options)?
    } else {
        open(&args.repo, options)?
    };
    let bar = Bar::new();
    let report = cg.index(&bar).context("indexing failed")?;
    bar.finish();
    // Embeddings fill in behind the committed lexical and graph index.
    let embed_started = std::time::Instant::now();
    let embedded = if args.no_embed {
        None
    } else {
        let bar = Bar::new();
        let r = cg.embed_pending(&bar).context("embedding failed")?;
        bar.finish();
        r
    };
    let embed_ms = embedded
        .as_ref()
        .map(|_| embed_started.elapsed().as_millis() as u64);
    if args.json {
        return output::print(&output::IndexJson::new(report, embedded));
    }
    let total_ms = started.elapsed().as_millis() as u64;
    human::print_report(&cg, &report, total_ms, embed_ms);
    match &embedded {
        Some(e) => human::print_embed_report(e),
        None if !args.no_embed && !cg.indexer().options().embed => eprintln!(
            "note: embeddings are off ([embeddings] enabled = false in {}): search is lexical",
            codegraph::PROJECT_FILE
        ),
        None if !args.no_embed => eprintln!("note: {}", codegraph::NO_MODEL),
        None => {}
    }
    Ok(Outcome::Done)
}

/// Applies changes as they happen until SIGINT or SIGTERM.
pub fn watch(args: WatchArgs) -> Result<Outcome> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    ctrlc::set_handler(move || flag.store(true, Ordering::Relaxed))
        .context("installing the signal handler")?;
    let mut cg = open(&args.repo, IndexOptions::default())?;
    let options = codegraph::WatchOptions {
        quiet: std::time::Duration::from_millis(args.quiet_ms),
        embed: !args.no_embed,
        memory_budget: args.memory_budget_mb.map(|mb| mb * 1_000_000),
        background: true,
        ..codegraph::WatchOptions::default()
    };
    eprintln!("watching {} (Ctrl-C to stop)", cg.root().display());
    cg.watch(&options, &codegraph::NoProgress, &stop, |_, u| {
        if args.json {
            // Serialising these plain fields cannot fail.
            let _ = output::print(&output::WatchJson::from(u));
        } else {
            human::print_watch_update(u);
        }
        crate::term::flush();
    })
    .context("watching failed")?;
    eprintln!("stopped; the index is committed");
    Ok(Outcome::Done)
}

/// What the index holds and how healthy it is; `--verbose` adds the
/// skipped files and parse diagnostics.
pub fn status(args: StatusArgs) -> Result<Outcome> {
    let cg = open_reader(&args.repo, IndexOptions::default())?;
    let status = cg.status()?;
    if args.json {
        let details = if args.verbose {
            Some((cg.skipped()?, cg.diagnostics()?))
        } else {
            None
        };
        return output::print(&output::StatusJson::new(status, details));
    }
    human::print_status(&status);
    if args.verbose {
        human::print_skipped(&cg.skipped()?);
        human::print_diagnostics(&cg.diagnostics()?);
    }
    Ok(Outcome::Done)
}
