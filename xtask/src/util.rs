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

/// Cargo's target directory: `$CARGO_TARGET_DIR` (relative to the
/// workspace root when relative), else `target/` under the root.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => workspace_root().join(dir),
        _ => workspace_root().join("target"),
    }
}

/// The release binary's path (built or not).
pub fn release_cli() -> PathBuf {
    target_dir().join("release/codegraph")
}

/// Builds the release binary and returns its path.
pub fn build_cli() -> Result<PathBuf> {
    run(Command::new(env!("CARGO"))
        .current_dir(workspace_root())
        .args(["build", "--release", "--quiet", "-p", "codegraph-cli"]))?;
    Ok(release_cli())
}

/// `$CODEGRAPH_BIN` when set (a copy of one's own, so that a rebuild
/// meanwhile changes nothing under a long run), else the release binary,
/// built.
pub fn cli_bin() -> Result<PathBuf> {
    match std::env::var_os("CODEGRAPH_BIN") {
        Some(bin) if !bin.is_empty() => Ok(PathBuf::from(bin)),
        _ => build_cli(),
    }
}
