//! The module prefix of qualified names, from a file's path.

use codegraph_core::FileFacts;
use codegraph_lang::{Language, ModuleStyle};

/// The first part of qualified names in a module style that has one
/// (`crate`), which a package manifest's name replaces.
fn module_root(style: ModuleStyle) -> Option<&'static str> {
    match style {
        ModuleStyle::Rust => Some("crate"),
        _ => None,
    }
}

/// The directory whose manifest ([`Language::manifest`]) names the package
/// of the file at `path`: the one holding the source root (`crates/x` for
/// `crates/x/src/a.rs`, `""` for `src/lib.rs`). `None` for files outside a
/// source root (build scripts, integration tests: crates of their own) and
/// for languages without a manifest.
pub fn manifest_dir<'p>(language: &Language, path: &'p str) -> Option<&'p str> {
    language.manifest.as_ref()?;
    module_root(language.module_style)?;
    if path.starts_with("src/") {
        return Some("");
    }
    path.rfind("/src/").map(|i| &path[..i])
}

/// A package name as the first part of qualified names: characters an
/// identifier cannot hold become `_` (`codegraph-cli` -> `codegraph_cli`).
pub fn package_identifier(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Qualified names of a file in the package `package` (found by
/// [`manifest_dir`]): the module root becomes the package's identifier
/// (`crate::store::Store` -> `codegraph_store::store::Store`).
pub fn qualify_in_package(facts: &mut FileFacts, language: &Language, package: &str) {
    let Some(root) = module_root(language.module_style) else {
        return;
    };
    let name = package_identifier(package);
    if name.is_empty() {
        return;
    }
    for d in &mut facts.definitions {
        if let Some(rest) = d.qualified_name.strip_prefix(root)
            && (rest.is_empty() || rest.starts_with(language.separator.as_str()))
        {
            d.qualified_name = format!("{name}{rest}");
        }
    }
}

/// The qualified-name prefix of definitions in the file at `path` (relative,
/// `/`-separated), given the package the file declares, if any.
pub fn module_prefix(language: &Language, path: &str, package: Option<&str>) -> Option<String> {
    if let Some(package) = package.filter(|p| !p.is_empty()) {
        if language.directory_packages.iter().any(|d| d == package)
            && let Some((dir, _)) = path.rsplit_once('/')
        {
            return Some(format!("{dir}/{package}"));
        }
        return Some(package.to_owned());
    }
    let stem = path.rsplit_once('.').map_or(path, |(stem, _)| stem);
    match language.module_style {
        ModuleStyle::Python => {
            let stem = stem.strip_prefix("src/").unwrap_or(stem);
            let stem = stem.strip_suffix("/__init__").unwrap_or(stem);
            if stem == "__init__" {
                return None;
            }
            Some(stem.replace('/', "."))
        }
        ModuleStyle::Rust => {
            let mut out = String::from(module_root(language.module_style).unwrap_or_default());
            let Some(rest) = after_last_src(stem) else {
                return Some(out);
            };
            let mut parts: Vec<&str> = rest.split('/').collect();
            if matches!(parts.last(), Some(&("lib" | "main" | "mod"))) {
                parts.pop();
            }
            for part in parts {
                out.push_str("::");
                out.push_str(part);
            }
            Some(out)
        }
        ModuleStyle::Path => {
            let stem = stem.strip_suffix("/index").unwrap_or(stem);
            Some(stem.to_owned())
        }
        ModuleStyle::LoadPath => {
            let rel = under_import_root(&language.import_roots, stem);
            let rel = match &language.import_index {
                Some(index) if rel == index => return None,
                Some(index) => rel
                    .strip_suffix(index.as_str())
                    .and_then(|r| r.strip_suffix('/'))
                    .unwrap_or(rel),
                None => rel,
            };
            Some(rel.replace('/', &language.separator))
        }
        ModuleStyle::Package | ModuleStyle::None => None,
    }
}

/// `stem` relative to the last of its directories named like an import root
/// (`x/lua/a/b` -> `a/b` for root `lua`), or the whole stem.
pub(crate) fn under_import_root<'s>(roots: &[String], stem: &'s str) -> &'s str {
    let mut best: Option<&'s str> = None;
    for root in roots {
        let after = if let Some(rest) = stem.strip_prefix(&format!("{root}/")) {
            Some(rest)
        } else {
            stem.rfind(&format!("/{root}/"))
                .map(|i| &stem[i + root.len() + 2..])
        };
        if let Some(rest) = after
            && best.is_none_or(|b| rest.len() < b.len())
        {
            best = Some(rest);
        }
    }
    best.unwrap_or(stem)
}

fn after_last_src(stem: &str) -> Option<&str> {
    if let Some(rest) = stem.strip_prefix("src/") {
        return Some(rest);
    }
    stem.rfind("/src/").map(|i| &stem[i + 5..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use codegraph_lang::Registry;

    fn prefix(lang: &str, path: &str) -> Option<String> {
        module_prefix(Registry::builtin().by_name(lang).unwrap(), path, None)
    }

    #[test]
    fn programs_in_several_directories_keep_apart() {
        let go = Registry::builtin().by_name("go").unwrap();
        let at = |path| module_prefix(go, path, Some("main"));
        assert_eq!(at("cmd/vet/main.go").as_deref(), Some("cmd/vet/main"));
        assert_eq!(at("cmd/fmt/run.go").as_deref(), Some("cmd/fmt/main"));
        assert_eq!(at("main.go").as_deref(), Some("main"));
        assert_eq!(
            module_prefix(go, "net/http/server.go", Some("http")).as_deref(),
            Some("http")
        );
    }

    #[test]
    fn python_modules() {
        assert_eq!(
            prefix("python", "django/db/models/base.py").as_deref(),
            Some("django.db.models.base")
        );
        assert_eq!(prefix("python", "pkg/__init__.py").as_deref(), Some("pkg"));
        assert_eq!(
            prefix("python", "src/requests/api.py").as_deref(),
            Some("requests.api")
        );
    }

    #[test]
    fn rust_modules() {
        assert_eq!(prefix("rust", "src/lib.rs").as_deref(), Some("crate"));
        assert_eq!(
            prefix("rust", "crates/x/src/a/b.rs").as_deref(),
            Some("crate::a::b")
        );
        assert_eq!(prefix("rust", "src/a/mod.rs").as_deref(), Some("crate::a"));
        assert_eq!(prefix("rust", "build.rs").as_deref(), Some("crate"));
    }

    #[test]
    fn a_manifest_names_the_package_of_its_source_root() {
        let rust = Registry::builtin().by_name("rust").unwrap();
        assert_eq!(manifest_dir(rust, "crates/x/src/a/b.rs"), Some("crates/x"));
        assert_eq!(manifest_dir(rust, "src/lib.rs"), Some(""));
        assert_eq!(manifest_dir(rust, "crates/x/tests/t.rs"), None);
        assert_eq!(manifest_dir(rust, "build.rs"), None);
        let python = Registry::builtin().by_name("python").unwrap();
        assert_eq!(manifest_dir(python, "src/pkg/a.py"), None);

        let text = "pub fn run() {}\nmod store { pub struct Store; }\n";
        let mut facts = crate::parse_file(rust, "crates/cli/src/lib.rs", text);
        qualify_in_package(&mut facts, rust, "codegraph-cli");
        let names: Vec<&str> = facts
            .definitions
            .iter()
            .map(|d| d.qualified_name.as_str())
            .collect();
        assert!(names.contains(&"codegraph_cli::run"), "{names:?}");
        assert!(names.contains(&"codegraph_cli::store::Store"), "{names:?}");
        assert!(!names.iter().any(|n| n.starts_with("crate")), "{names:?}");
        // A name that merely starts like the root is left alone.
        assert_eq!(package_identifier("a.b-c"), "a_b_c");
    }

    #[test]
    fn load_path_modules() {
        assert_eq!(
            prefix("lua", "lua/telescope/actions/init.lua").as_deref(),
            Some("telescope.actions")
        );
        assert_eq!(
            prefix("lua", "nvim/lua/telescope/utils.lua").as_deref(),
            Some("telescope.utils")
        );
        assert_eq!(prefix("lua", "init.lua"), None);
        assert_eq!(
            prefix("lua", "plugin/telescope.lua").as_deref(),
            Some("plugin.telescope")
        );
    }

    #[test]
    fn path_modules_and_packages() {
        assert_eq!(
            prefix("typescript", "src/util/index.ts").as_deref(),
            Some("src/util")
        );
        assert_eq!(prefix("java", "A.java"), None);
        let java = Registry::builtin().by_name("java").unwrap();
        assert_eq!(
            module_prefix(java, "A.java", Some("com.x")).as_deref(),
            Some("com.x")
        );
    }
}
