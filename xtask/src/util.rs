//! Workspace paths and running commands: what every task uses.

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

/// `.bench/` under the workspace root: corpora, indexes, reports.
pub fn bench_dir() -> PathBuf {
    workspace_root().join(".bench")
}

pub fn run(cmd: &mut Command) -> Result<()> {
    let status = cmd
        .status()
        .with_context(|| format!("cannot run {cmd:?}"))?;
    if !status.success() {
        bail!("{cmd:?} failed with {status}");
    }
    Ok(())
}

/// Builds the release binary and returns its path.
pub fn build_cli() -> Result<PathBuf> {
    run(Command::new(env!("CARGO"))
        .current_dir(workspace_root())
        .args(["build", "--release", "--quiet", "-p", "codegraph-cli"]))?;
    Ok(workspace_root().join("target/release/codegraph"))
}
