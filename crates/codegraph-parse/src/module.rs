//! The module prefix of qualified names, from a file's path.

use codegraph_lang::{Language, ModuleStyle};

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
            let mut out = String::from("crate");
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
