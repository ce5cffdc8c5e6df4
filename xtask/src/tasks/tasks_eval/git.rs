//! The `git` binary on a git directory (bare or not): what the miner reads
//! and how the evaluation moves a scratch working tree between commits.

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A git directory, read with the `git` binary.
#[derive(Debug, Clone)]
pub struct Git {
    pub dir: PathBuf,
}

impl Git {
    /// The git directory at `dir`: a bare repository, or a clone's `.git`
    /// (a clone's working tree is accepted and its `.git` used). An error
    /// says what to provide.
    pub fn open(dir: &Path, repo: &str) -> Result<Git> {
        let dir = if dir.join(".git").is_dir() {
            dir.join(".git")
        } else {
            dir.to_owned()
        };
        if !dir.join("HEAD").is_file() || !dir.join("objects").is_dir() {
            bail!(
                "{}: not a git directory. Git histories are not in the package registries: \
                 clone the repository and pass its git directory, e.g.\n  \
                 git clone --bare https://github.com/{repo} {}",
                dir.display(),
                dir.display()
            );
        }
        Ok(Git { dir })
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new("git");
        cmd.arg("--git-dir")
            .arg(&self.dir)
            .args(["-c", "core.quotePath=false"]);
        cmd
    }

    /// Standard output of `git ARGS` (lossy UTF-8); an error with git's
    /// message when it fails.
    pub fn run(&self, args: &[&str]) -> Result<String> {
        output(self.command().args(args), args)
    }

    /// The file at `rev:path`, if it exists.
    pub fn show(&self, rev: &str, path: &str) -> Option<String> {
        self.run(&["show", &format!("{rev}:{path}")]).ok()
    }

    /// The full hash `rev` names.
    pub fn rev_parse(&self, rev: &str) -> Result<String> {
        Ok(self.run(&["rev-parse", "--verify", rev])?.trim().to_owned())
    }

    /// Whether the history has commit `hash`.
    pub fn has_commit(&self, hash: &str) -> bool {
        self.run(&["cat-file", "-e", &format!("{hash}^{{commit}}")])
            .is_ok()
    }
}

fn output(cmd: &mut Command, args: &[&str]) -> Result<String> {
    let out = cmd
        .output()
        .with_context(|| format!("running git {args:?} (is git installed?)"))?;
    if !out.status.success() {
        bail!(
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A scratch working tree of a git directory, moved from commit to commit
/// with its own index file (`read-tree --reset -u`): only files that differ
/// are written, so an indexer that follows it re-reads only those. Neither
/// the git directory's HEAD nor its index is touched.
#[derive(Debug)]
pub struct Worktree {
    pub git: Git,
    pub tree: PathBuf,
    index_file: PathBuf,
}

impl Worktree {
    pub fn new(git: Git, tree: PathBuf, index_file: PathBuf) -> Worktree {
        Worktree {
            git,
            tree,
            index_file,
        }
    }

    fn command(&self) -> Command {
        let mut cmd = self.git.command();
        cmd.arg("--work-tree")
            .arg(&self.tree)
            .env("GIT_INDEX_FILE", &self.index_file);
        cmd
    }

    fn run(&self, args: &[&str]) -> Result<String> {
        output(self.command().args(args), args)
    }

    /// Makes the tree equal to `commit`'s: changed files rewritten, files
    /// the commit lacks removed, stray edits and untracked files undone.
    pub fn checkout(&self, commit: &str) -> Result<()> {
        std::fs::create_dir_all(&self.tree)
            .with_context(|| format!("creating {}", self.tree.display()))?;
        self.run(&["read-tree", "--reset", "-u", commit])?;
        // What read-tree leaves alone: files edited in place, files nobody
        // tracks.
        let modified = self.run(&["diff-files", "--name-only", "-z"])?;
        let modified: Vec<&str> = modified.split('\0').filter(|p| !p.is_empty()).collect();
        if !modified.is_empty() {
            let mut args = vec!["checkout-index", "-f", "--"];
            args.extend(&modified);
            self.run(&args)?;
        }
        let others = self.run(&["ls-files", "--others", "-z"])?;
        for p in others.split('\0').filter(|p| !p.is_empty()) {
            let path = self.tree.join(p);
            std::fs::remove_file(&path)
                .with_context(|| format!("removing the untracked {}", path.display()))?;
        }
        Ok(())
    }
}
