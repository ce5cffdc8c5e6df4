//! Import styles whose files are found by a rule of their own (see
//! `ImportStyle`): `uri` (relative paths and `package:<name>/<path>`),
//! `whole_module` (a module is a source directory) and `namespace` (a file
//! sees the namespaces enclosing its own). The arms in `ctx`, `imports` and
//! `calls` call these.

use super::FileIx;
use super::ctx::{Ctx, dir_of};
use codegraph_core::normalize;

/// The `modules` key of a file under a package's `lib/` directory:
/// `lib:<path under lib/>`.
pub(super) fn lib_key(path: &str) -> Option<String> {
    let rest = path
        .strip_prefix("lib/")
        .or_else(|| path.find("/lib/").map(|i| &path[i + 5..]))?;
    Some(format!("lib:{rest}"))
}

/// The root of the package holding a file under `lib/` (`a/b` for
/// `a/b/lib/x.dart`, `""` for `lib/x.dart`).
fn lib_root(path: &str) -> Option<&str> {
    if path.starts_with("lib/") {
        return Some("");
    }
    path.find("/lib/").map(|i| &path[..i])
}

/// The module of a file: the directory after `Sources/` or `Tests/` when
/// the file is below one (Swift Package Manager's layout), else the
/// top-level directory, else `""` for files at the root.
pub(super) fn module_of(path: &str) -> &str {
    let dir = dir_of(path);
    let parts: Vec<&str> = dir.split('/').collect();
    for (i, part) in parts.iter().enumerate() {
        if matches!(*part, "Sources" | "Tests") && i + 1 < parts.len() {
            return parts[i + 1];
        }
    }
    parts.first().copied().unwrap_or("")
}

/// `name: x` of a `pubspec.yaml`-style config: the package name.
pub(super) fn package_name(config: &str) -> Option<&str> {
    config.lines().find_map(|l| {
        let v = l.strip_prefix("name:")?.trim();
        let v = v.trim_matches(['"', '\'']);
        (!v.is_empty()).then_some(v)
    })
}

/// Number of leading path components two directories share.
fn shared_dirs(a: &str, b: &str) -> usize {
    a.split('/')
        .zip(b.split('/'))
        .take_while(|(x, y)| x == y && !x.is_empty())
        .count()
}

impl Ctx<'_> {
    /// `uri` imports: `package:<name>/<path>` names `<path>` under the
    /// `lib/` of package `<name>`; other schemes (`dart:`, `http:`) leave
    /// the repository; anything else is relative to the importing file.
    pub(super) fn uri_files(&self, f: FileIx, module: &str) -> Option<Vec<FileIx>> {
        let path = &self.facts.files[f].path;
        let Some(rest) = module.strip_prefix("package:") else {
            if module.contains(':') {
                return None;
            }
            let joined = normalize(&format!("{}/{}", dir_of(path), module));
            return self.file_by_path(&joined).map(|g| vec![g]);
        };
        let (package, within) = rest.split_once('/')?;
        let candidates = self.modules.get(&format!("lib:{within}"))?;
        let root_of = |g: FileIx| lib_root(&self.facts.files[g].path).unwrap_or("");
        // A package root named by its config (`name:` in its pubspec).
        let named: Vec<FileIx> = candidates
            .iter()
            .copied()
            .filter(|&g| {
                self.lib_roots
                    .iter()
                    .any(|(n, root)| n == package && root == root_of(g))
            })
            .collect();
        if !named.is_empty() {
            return Some(named);
        }
        // Without configs: a root directory named after the package, else
        // the root nearest the importing file (a package importing itself).
        let by_dir: Vec<FileIx> = candidates
            .iter()
            .copied()
            .filter(|&g| root_of(g).rsplit('/').next() == Some(package))
            .collect();
        if by_dir.len() == 1 {
            return Some(by_dir);
        }
        let pool = if by_dir.is_empty() {
            candidates.clone()
        } else {
            by_dir
        };
        let best = pool
            .iter()
            .map(|&g| shared_dirs(root_of(g), dir_of(path)))
            .max()?;
        let nearest: Vec<FileIx> = pool
            .into_iter()
            .filter(|&g| shared_dirs(root_of(g), dir_of(path)) == best)
            .collect();
        (nearest.len() == 1 && (best > 0 || self.lib_roots.is_empty())).then_some(nearest)
    }

    /// The files of the packages enclosing `package` (`A.B` and `A` for
    /// `A.B.C`), for `namespace` imports.
    pub(super) fn enclosing_packages(&self, package: &str, sep: &str) -> Vec<FileIx> {
        let mut out = Vec::new();
        let mut rest = package;
        while let Some((outer, _)) = rest.rsplit_once(sep) {
            if let Some(fs) = self.packages.get(outer) {
                out.extend(fs.iter().copied());
            }
            rest = outer;
        }
        out
    }

    /// Whether an import names a file rather than a package (PHP's
    /// `require 'lib/x.php'` beside `use A\B\C`): it has a `/` or ends
    /// with an extension of the importing file's language.
    pub(super) fn is_file_path(&self, f: FileIx, module: &str) -> bool {
        module.contains('/')
            || self.lang(f).is_some_and(|l| {
                l.extensions.iter().any(|e| {
                    module
                        .strip_suffix(e.as_str())
                        .is_some_and(|m| m.ends_with('.'))
                })
            })
    }

    /// A file path as an import writes it: relative to the importing
    /// file's directory (`/x.php` after `__DIR__` too), else to the root.
    pub(super) fn relative_file(&self, f: FileIx, module: &str) -> Option<FileIx> {
        let dir = dir_of(&self.facts.files[f].path);
        let rel = module.trim_start_matches('/');
        self.file_by_path(&normalize(&format!("{dir}/{rel}")))
            .or_else(|| self.file_by_path(&normalize(rel)))
    }

    /// Files of package `package` defining a top-level `name` (Kotlin's
    /// `import a.b.topLevelFunction`).
    pub(super) fn package_members(&self, package: &str, name: &str) -> Option<Vec<FileIx>> {
        let fs: Vec<FileIx> = self
            .packages
            .get(package)?
            .iter()
            .copied()
            .filter(|&g| self.top[g].contains_key(name))
            .collect();
        (!fs.is_empty()).then_some(fs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lib_keys_and_modules() {
        assert_eq!(
            lib_key("app/lib/src/a.dart").as_deref(),
            Some("lib:src/a.dart")
        );
        assert_eq!(lib_key("lib/a.dart").as_deref(), Some("lib:a.dart"));
        assert_eq!(lib_key("test/a.dart"), None);
        assert_eq!(module_of("Sources/Net/Core/A.swift"), "Net");
        assert_eq!(module_of("Source/Core/A.swift"), "Source");
        assert_eq!(module_of("Tests/ATests.swift"), "Tests");
        assert_eq!(module_of("A.swift"), "");
        assert_eq!(package_name("name: compass_app\n"), Some("compass_app"));
    }
}
