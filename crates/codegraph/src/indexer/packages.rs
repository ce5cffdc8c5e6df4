//! Package names from manifests (`Cargo.toml`), for the qualified names of
//! the sources beside them (`codegraph_cli::run`, not `crate::run`).
//!
//! A manifest's name is part of every qualified name of its package, so
//! when it changes (a manifest added, removed or renamed) those files are
//! parsed again even though their own text did not change. The names of the
//! last completed run are kept in the store's metadata to see that.

use super::walk::Candidate;
use codegraph_lang::{Language, Registry};
use std::collections::{BTreeMap, HashSet};

/// Larger manifests are not read (a manifest is a few KiB).
const MAX_MANIFEST_BYTES: u64 = 1 << 20;

/// The package names the manifests of one walk give.
#[derive(Debug, Default)]
pub(crate) struct Packages {
    /// `language\tmanifest path` -> the package name it gives that language.
    names: BTreeMap<String, String>,
}

fn key(language: &Language, manifest: &str) -> String {
    format!("{}\t{manifest}", language.name)
}

/// The path of the manifest in `dir` (`""`: the root).
fn manifest_path(dir: &str, file: &str) -> String {
    if dir.is_empty() {
        file.to_owned()
    } else {
        format!("{dir}/{file}")
    }
}

impl Packages {
    /// Reads the manifests among `candidates`. One that cannot be read or
    /// parsed names nothing (its sources keep the module root).
    pub(crate) fn read(candidates: &[Candidate], registry: &Registry) -> Packages {
        let with_manifest: Vec<(&Language, &str)> = registry
            .languages()
            .iter()
            .filter_map(|l| l.manifest.as_deref().map(|m| (l, m)))
            .collect();
        let mut out = Packages::default();
        if with_manifest.is_empty() {
            return out;
        }
        for c in candidates {
            let base = c.rel.rsplit('/').next().unwrap_or(&c.rel);
            let readers: Vec<&Language> = with_manifest
                .iter()
                .filter(|(_, m)| *m == base)
                .map(|(l, _)| *l)
                .collect();
            if readers.is_empty() {
                continue;
            }
            let text = std::fs::metadata(&c.abs)
                .ok()
                .filter(|m| m.is_file() && m.len() <= MAX_MANIFEST_BYTES)
                .and_then(|_| std::fs::read_to_string(&c.abs).ok());
            let Some(text) = text else {
                tracing::debug!(path = %c.rel, "manifest not read: its sources keep the module root");
                continue;
            };
            for language in readers {
                if let Some(name) = language.manifest_package(&text) {
                    out.names.insert(key(language, &c.rel), name);
                }
            }
        }
        out
    }

    /// The package of the file at `path` in `language`, if a manifest
    /// names one.
    pub(crate) fn of(&self, language: &Language, path: &str) -> Option<&str> {
        let dir = codegraph_parse::manifest_dir(language, path)?;
        let manifest = manifest_path(dir, language.manifest.as_deref()?);
        self.names
            .get(&key(language, &manifest))
            .map(String::as_str)
    }

    /// The names as stored between runs.
    pub(crate) fn to_json(&self) -> String {
        serde_json::to_string(&self.names).unwrap_or_default()
    }

    /// The manifests (`language\tpath`) whose name differs from the one
    /// `stored` (an earlier [`Packages::to_json`]) gave: added, removed or
    /// renamed. Nothing stored (an index from before names were kept, or
    /// damaged metadata): every manifest of this walk.
    pub(crate) fn changed_since(&self, stored: Option<&str>) -> HashSet<String> {
        let before: BTreeMap<String, String> = stored
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or_default();
        let mut out: HashSet<String> = HashSet::new();
        for (k, v) in &self.names {
            if before.get(k) != Some(v) {
                out.insert(k.clone());
            }
        }
        for k in before.keys() {
            if !self.names.contains_key(k) {
                out.insert(k.clone());
            }
        }
        out
    }

    /// Whether the file at `path` belongs to one of the `changed` manifests
    /// (so its qualified names change with it).
    pub(crate) fn is_under(changed: &HashSet<String>, language: &Language, path: &str) -> bool {
        let (Some(dir), Some(file)) = (
            codegraph_parse::manifest_dir(language, path),
            language.manifest.as_deref(),
        ) else {
            return false;
        };
        changed.contains(&key(language, &manifest_path(dir, file)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidates(root: &std::path::Path, files: &[(&str, &str)]) -> Vec<Candidate> {
        files
            .iter()
            .map(|(rel, text)| {
                let abs = root.join(rel);
                std::fs::create_dir_all(abs.parent().unwrap()).unwrap();
                std::fs::write(&abs, text).unwrap();
                Candidate {
                    rel: (*rel).to_owned(),
                    abs,
                    size: text.len() as u64,
                }
            })
            .collect()
    }

    #[test]
    fn manifests_name_the_packages_of_their_source_roots() {
        let dir = tempfile::tempdir().unwrap();
        let c = candidates(
            dir.path(),
            &[
                ("Cargo.toml", "[workspace]\nmembers = [\"crates/*\"]\n"),
                (
                    "crates/cli/Cargo.toml",
                    "[package]\nname = \"codegraph-cli\"\n",
                ),
                (
                    "crates/core/Cargo.toml",
                    "[package]\nname = \"core-pkg\"\n[lib]\nname = \"core_lib\"\n",
                ),
                ("crates/bad/Cargo.toml", "[package\nname = "),
            ],
        );
        let registry = Registry::builtin();
        let rust = registry.by_name("rust").unwrap();
        let p = Packages::read(&c, registry);
        assert_eq!(p.of(rust, "crates/cli/src/main.rs"), Some("codegraph-cli"));
        assert_eq!(p.of(rust, "crates/cli/src/a/b.rs"), Some("codegraph-cli"));
        assert_eq!(p.of(rust, "crates/core/src/lib.rs"), Some("core_lib"));
        // A workspace manifest names no package; a broken one names none.
        assert_eq!(p.of(rust, "src/lib.rs"), None);
        assert_eq!(p.of(rust, "crates/bad/src/lib.rs"), None);
        // Integration tests are crates of their own.
        assert_eq!(p.of(rust, "crates/cli/tests/t.rs"), None);

        // Nothing stored: every manifest counts as changed.
        assert_eq!(p.changed_since(None).len(), 2);
        let stored = p.to_json();
        assert!(p.changed_since(Some(&stored)).is_empty());
        // A rename and a removal are both changes.
        std::fs::write(
            dir.path().join("crates/cli/Cargo.toml"),
            "[package]\nname = \"cg\"\n",
        )
        .unwrap();
        let renamed = Packages::read(&c[..2], registry);
        let changed = renamed.changed_since(Some(&stored));
        assert_eq!(changed.len(), 2, "{changed:?}");
        assert!(Packages::is_under(&changed, rust, "crates/cli/src/x.rs"));
        assert!(Packages::is_under(&changed, rust, "crates/core/src/lib.rs"));
        assert!(!Packages::is_under(
            &changed,
            rust,
            "crates/other/src/lib.rs"
        ));
    }
}
