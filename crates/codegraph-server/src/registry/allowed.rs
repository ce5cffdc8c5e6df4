//! Where repositories may be registered: the allow-list of directories
//! (`--allow-root`, `$CODEGRAPH_ALLOW_ROOTS`, else the home directory) and
//! the system trees never served.

use std::path::{Path, PathBuf};
use tonic::Status;

/// The environment variable listing allowed roots (colon-separated) when
/// none are given explicitly.
pub const ALLOW_ROOTS_ENV: &str = "CODEGRAPH_ALLOW_ROOTS";

/// The directories repositories may be registered under, canonical.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedRoots {
    roots: Vec<PathBuf>,
}

/// Whether `canonical` is `/` or lies in a system tree (`/proc`, `/sys`,
/// `/dev`): never served, whatever is allowed.
fn never_served(canonical: &Path) -> bool {
    codegraph::is_system_dir(canonical)
}

impl AllowedRoots {
    /// `dirs`, canonicalised; each must exist and be a directory, and none
    /// may be a system tree (`/proc`, `/sys`, `/dev` or under them).
    pub fn new(dirs: &[PathBuf]) -> Result<AllowedRoots, String> {
        let mut roots = Vec::new();
        for dir in dirs {
            let canonical = dir
                .canonicalize()
                .map_err(|e| format!("--allow-root {}: {e}", dir.display()))?;
            if !canonical.is_dir() {
                return Err(format!("--allow-root {}: not a directory", dir.display()));
            }
            if canonical != Path::new("/") && never_served(&canonical) {
                return Err(format!(
                    "--allow-root {}: {} is a system directory codegraph never serves",
                    dir.display(),
                    canonical.display()
                ));
            }
            if !roots.contains(&canonical) {
                roots.push(canonical);
            }
        }
        Ok(AllowedRoots { roots })
    }

    /// The roots a server allows when given none: those listed in
    /// `$CODEGRAPH_ALLOW_ROOTS` (colon-separated) if it is set, else the
    /// user's home directory (none when it does not exist).
    pub fn from_env_or_home() -> Result<AllowedRoots, String> {
        if let Some(list) = std::env::var_os(ALLOW_ROOTS_ENV) {
            let dirs: Vec<PathBuf> = std::env::split_paths(&list)
                .filter(|d| !d.as_os_str().is_empty())
                .collect();
            return AllowedRoots::new(&dirs).map_err(|e| format!("${ALLOW_ROOTS_ENV}: {e}"));
        }
        let home: Vec<PathBuf> = std::env::home_dir()
            .filter(|h| h.is_absolute() && h.is_dir())
            .into_iter()
            .collect();
        AllowedRoots::new(&home)
    }

    pub fn roots(&self) -> &[PathBuf] {
        &self.roots
    }

    /// Whether a repository at `canonical` may be served.
    pub fn permits(&self, canonical: &Path) -> bool {
        !never_served(canonical) && self.roots.iter().any(|r| canonical.starts_with(r))
    }

    /// The canonical root of a repository to register at `path`: an
    /// absolute path without `.`, `..` or empty components
    /// (INVALID_ARGUMENT otherwise), that exists (NOT_FOUND), and whose
    /// canonical form (symbolic links resolved) lies under an allowed root
    /// and outside the system trees (PERMISSION_DENIED).
    pub fn admit(&self, path: &str) -> Result<PathBuf, Status> {
        if !Path::new(path).is_absolute() {
            return Err(Status::invalid_argument(format!(
                "`{path}` is a relative path: pass the repository's absolute path"
            )));
        }
        let inner = path.strip_suffix('/').unwrap_or(path);
        if inner.contains('\0')
            || inner
                .split('/')
                .skip(1)
                .any(|c| matches!(c, "" | "." | ".."))
        {
            return Err(Status::invalid_argument(format!(
                "`{path}` is not a canonical path (it has `.`, `..` or `//`): pass the \
                 repository's absolute path"
            )));
        }
        let canonical = Path::new(path).canonicalize().map_err(|e| match e.kind() {
            std::io::ErrorKind::PermissionDenied => {
                Status::permission_denied(format!("{path}: not readable by the server: {e}"))
            }
            _ => Status::not_found(format!("{path}: {e}")),
        })?;
        if never_served(&canonical) {
            return Err(Status::permission_denied(format!(
                "{} is a system directory codegraph never serves",
                canonical.display()
            )));
        }
        if !self.permits(&canonical) {
            let allowed = if self.roots.is_empty() {
                "none".to_owned()
            } else {
                self.roots
                    .iter()
                    .map(|r| r.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            return Err(Status::permission_denied(format!(
                "{} is outside the directories this server may serve ({allowed}): \
                 start it with --allow-root DIR (or ${ALLOW_ROOTS_ENV}) to allow another",
                canonical.display()
            )));
        }
        Ok(canonical)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registration_is_confined_to_the_allowed_roots() {
        let tmp = tempfile::tempdir().unwrap();
        let allowed_dir = tmp.path().join("allowed");
        let repo = allowed_dir.join("repo");
        let outside = tmp.path().join("outside");
        std::fs::create_dir_all(&repo).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::os::unix::fs::symlink(&outside, allowed_dir.join("escape")).unwrap();
        let roots = AllowedRoots::new(std::slice::from_ref(&allowed_dir)).unwrap();
        let canonical = repo.canonicalize().unwrap();
        let text = |p: &Path| p.to_string_lossy().into_owned();
        assert_eq!(roots.admit(&text(&repo)).unwrap(), canonical);
        assert_eq!(
            roots.admit(&format!("{}/", text(&repo))).unwrap(),
            canonical
        );
        let code = |p: &str| roots.admit(p).unwrap_err().code();
        // Relative or non-canonical: INVALID_ARGUMENT.
        for bad in [
            "repo".to_owned(),
            "./repo".to_owned(),
            format!("{}/../allowed/repo", text(&repo)),
            format!("{}/./repo", text(&allowed_dir)),
            format!("{}//repo", text(&allowed_dir)),
        ] {
            assert_eq!(code(&bad), tonic::Code::InvalidArgument, "{bad}");
        }
        // Outside, through a symbolic link out, the system trees: refused.
        for bad in [
            text(&outside),
            text(&allowed_dir.join("escape")),
            "/".to_owned(),
            "/proc/self".to_owned(),
            "/dev".to_owned(),
        ] {
            let e = roots.admit(&bad).unwrap_err();
            assert_eq!(e.code(), tonic::Code::PermissionDenied, "{bad}: {e:?}");
        }
        assert!(
            roots
                .admit(&text(&outside))
                .unwrap_err()
                .message()
                .contains("--allow-root")
        );
        assert_eq!(
            code(&text(&allowed_dir.join("missing"))),
            tonic::Code::NotFound
        );
        // No roots at all: nothing is allowed. `/` allowed: all but the
        // system trees and `/` itself.
        let none = AllowedRoots::default();
        assert_eq!(
            none.admit(&text(&repo)).unwrap_err().code(),
            tonic::Code::PermissionDenied
        );
        let everything = AllowedRoots::new(&[PathBuf::from("/")]).unwrap();
        assert!(everything.admit(&text(&repo)).is_ok());
        assert!(everything.admit("/").is_err());
        assert!(everything.admit("/proc/self").is_err());
        // A system tree cannot be allowed; a missing directory neither.
        assert!(AllowedRoots::new(&[PathBuf::from("/proc")]).is_err());
        assert!(AllowedRoots::new(&[PathBuf::from("/sys/kernel")]).is_err());
        assert!(AllowedRoots::new(&[tmp.path().join("missing")]).is_err());
    }
}
