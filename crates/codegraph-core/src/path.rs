//! Repository-relative paths: `/`-separated, no `.` or `..` segments, no
//! leading `/`. Every path the index stores or answers with is one.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A path relative to the repository root, normalised.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct RelPath(String);

/// A path that leaves the repository (`../x`) or is absolute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutsideRoot(pub String);

impl fmt::Display for OutsideRoot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: outside the repository", self.0)
    }
}

impl std::error::Error for OutsideRoot {}

impl RelPath {
    /// Normalises `path` (relative to the root; `\` counts as `/`): `.`
    /// and empty segments go, `..` climbs. Climbing above the root, or an
    /// absolute path, is an error. The root itself is the empty path.
    pub fn new(path: &str) -> Result<RelPath, OutsideRoot> {
        if path.starts_with('/') {
            return Err(OutsideRoot(path.to_owned()));
        }
        let mut parts: Vec<&str> = Vec::new();
        for part in path.split(['/', '\\']) {
            match part {
                "" | "." => {}
                ".." => {
                    if parts.pop().is_none() {
                        return Err(OutsideRoot(path.to_owned()));
                    }
                }
                p => parts.push(p),
            }
        }
        Ok(RelPath(parts.join("/")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    /// The directory part (`a/b` of `a/b/c.rs`; empty at the root).
    pub fn dir(&self) -> &str {
        dir_of(&self.0)
    }

    /// The last segment.
    pub fn file_name(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or(&self.0)
    }
}

impl fmt::Display for RelPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for RelPath {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// The directory of a `/`-separated path (empty for a top-level file).
pub fn dir_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

/// Lexical normalisation of a `/`-separated path: `a/./b/../c` → `a/c`;
/// `..` above the start is dropped.
pub fn normalize(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            p => out.push(p),
        }
    }
    out.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_and_refuses_to_leave_the_root() {
        assert_eq!(
            RelPath::new("./src//a/../b.rs").unwrap().as_str(),
            "src/b.rs"
        );
        assert_eq!(RelPath::new("src\\x.py").unwrap().as_str(), "src/x.py");
        assert_eq!(RelPath::new("").unwrap().as_str(), "");
        assert!(RelPath::new("../etc/passwd").is_err());
        assert!(RelPath::new("a/../../b").is_err());
        assert!(RelPath::new("/etc/passwd").is_err());
        let p = RelPath::new("a/b/c.rs").unwrap();
        assert_eq!((p.dir(), p.file_name()), ("a/b", "c.rs"));
        assert_eq!(normalize("src/a/./b/../c"), "src/a/c");
    }
}
