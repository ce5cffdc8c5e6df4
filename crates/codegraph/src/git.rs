//! Reading a repository's HEAD commit, branch and remote URL from `.git`,
//! without running git.

use std::path::{Path, PathBuf};

/// What `.git` says about a repository.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct GitInfo {
    pub head_commit: Option<String>,
    pub branch: Option<String>,
    pub remote_url: Option<String>,
}

/// Reads `root/.git` (a directory, or a file pointing to one for worktrees).
pub fn read(root: &Path) -> Option<GitInfo> {
    let git_dir = git_dir(root)?;
    let head = std::fs::read_to_string(git_dir.join("HEAD")).ok()?;
    let head = head.trim();
    // Worktrees keep refs and config in the common directory.
    let common = std::fs::read_to_string(git_dir.join("commondir"))
        .ok()
        .map(|c| git_dir.join(c.trim()))
        .unwrap_or_else(|| git_dir.clone());
    let (head_commit, branch) = match head.strip_prefix("ref: ") {
        Some(reference) => {
            let branch = reference.strip_prefix("refs/heads/").map(str::to_owned);
            (resolve_ref(&git_dir, &common, reference), branch)
        }
        None => (Some(head.to_owned()), None),
    };
    Some(GitInfo {
        head_commit,
        branch,
        remote_url: remote_url(&common),
    })
}

/// The repository containing `start`, found the way git finds it: the
/// nearest directory, from `start` up, holding `.git` (a directory, or a
/// file as in worktrees and submodules); `None` outside any repository.
pub fn repository_root(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|dir| dir.join(".git").exists())
        .map(Path::to_path_buf)
}

fn git_dir(root: &Path) -> Option<PathBuf> {
    let dot_git = root.join(".git");
    if dot_git.is_dir() {
        return Some(dot_git);
    }
    let text = std::fs::read_to_string(&dot_git).ok()?;
    let target = text.trim().strip_prefix("gitdir:")?.trim();
    Some(root.join(target))
}

fn resolve_ref(git_dir: &Path, common: &Path, reference: &str) -> Option<String> {
    for dir in [git_dir, common] {
        if let Ok(text) = std::fs::read_to_string(dir.join(reference)) {
            return Some(text.trim().to_owned());
        }
    }
    let packed = std::fs::read_to_string(common.join("packed-refs")).ok()?;
    packed.lines().find_map(|line| {
        let (hash, name) = line.split_once(' ')?;
        (name.trim() == reference).then(|| hash.to_owned())
    })
}

fn remote_url(common: &Path) -> Option<String> {
    let config = std::fs::read_to_string(common.join("config")).ok()?;
    let mut in_section: Option<String> = None;
    let mut first: Option<String> = None;
    for line in config.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_section = line
                .strip_prefix("[remote \"")
                .and_then(|r| r.strip_suffix("\"]"))
                .map(str::to_owned);
            continue;
        }
        let Some(remote) = &in_section else { continue };
        if let Some((key, value)) = line.split_once('=')
            && key.trim() == "url"
        {
            let url = value.trim().to_owned();
            if remote == "origin" {
                return Some(url);
            }
            first.get_or_insert(url);
        }
    }
    first
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_repository_root_from_inside() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("repo");
        std::fs::create_dir_all(root.join("src/deep")).unwrap();
        assert_eq!(repository_root(&root.join("src/deep")), None);
        std::fs::create_dir(root.join(".git")).unwrap();
        assert_eq!(repository_root(&root.join("src/deep")), Some(root.clone()));
        assert_eq!(repository_root(&root), Some(root.clone()));
        // A worktree's `.git` is a file.
        let wt = dir.path().join("wt");
        std::fs::create_dir_all(wt.join("a")).unwrap();
        std::fs::write(wt.join(".git"), "gitdir: elsewhere\n").unwrap();
        assert_eq!(repository_root(&wt.join("a")), Some(wt));
    }

    #[test]
    fn reads_head_branch_and_origin() {
        let dir = tempfile::tempdir().unwrap();
        let git = dir.path().join(".git");
        std::fs::create_dir_all(git.join("refs/heads")).unwrap();
        std::fs::write(git.join("HEAD"), "ref: refs/heads/main\n").unwrap();
        std::fs::write(git.join("refs/heads/main"), "abc123\n").unwrap();
        std::fs::write(
            git.join("config"),
            "[core]\n\tbare = false\n[remote \"upstream\"]\n\turl = https://u.example/x.git\n[remote \"origin\"]\n\turl = git@example.com:me/x.git\n",
        )
        .unwrap();
        let info = read(dir.path()).unwrap();
        assert_eq!(info.head_commit.as_deref(), Some("abc123"));
        assert_eq!(info.branch.as_deref(), Some("main"));
        assert_eq!(info.remote_url.as_deref(), Some("git@example.com:me/x.git"));
    }

    #[test]
    fn reads_packed_refs_and_detached_heads() {
        let dir = tempfile::tempdir().unwrap();
        let git = dir.path().join(".git");
        std::fs::create_dir_all(&git).unwrap();
        std::fs::write(git.join("HEAD"), "ref: refs/heads/dev\n").unwrap();
        std::fs::write(
            git.join("packed-refs"),
            "# pack-refs\nfeed42 refs/heads/dev\n",
        )
        .unwrap();
        assert_eq!(
            read(dir.path()).unwrap().head_commit.as_deref(),
            Some("feed42")
        );
        std::fs::write(git.join("HEAD"), "0123abcd\n").unwrap();
        let info = read(dir.path()).unwrap();
        assert_eq!(info.head_commit.as_deref(), Some("0123abcd"));
        assert_eq!(info.branch, None);
        assert!(read(&dir.path().join("nope")).is_none());
    }
}
