//! Which changed files count: non-test source files, and their language.

use super::defs::Lang;
use std::collections::HashMap;

const CODE_EXTS: &[&str] = &[
    "py", "go", "rs", "ts", "tsx", "mts", "cts", "js", "jsx", "mjs", "cjs",
];

/// Directories whose files are tests, docs, examples, tooling or vendored
/// code, wherever they appear in a path.
const EXCLUDED_DIRS: &[&str] = &[
    "test",
    "tests",
    "testing",
    "__tests__",
    "testdata",
    "test_data",
    "test-data",
    "spec",
    "specs",
    "e2e",
    "fixtures",
    "__fixtures__",
    "__mocks__",
    "mocks",
    "bench",
    "benches",
    "benchmark",
    "benchmarks",
    "doc",
    "docs",
    "docs_src",
    "website",
    "site",
    "examples",
    "example",
    "playground",
    "play",
    "scripts",
    "script",
    "tools",
    ".github",
    ".circleci",
    "ci",
    "vendor",
    "node_modules",
    "dist",
    "build",
    "sandbox",
    "tests_integration",
];

/// Build, packaging and version files: changed alongside code, never the
/// point of a change.
const CONFIG_FILES: &[&str] = &[
    "setup.py",
    "noxfile.py",
    "tasks.py",
    "fabfile.py",
    "version.py",
    "_version.py",
    "__version__.py",
    "__about__.py",
    "build.rs",
    "gulpfile.js",
    "gruntfile.js",
    "karma.conf.js",
    "version.go",
    "version.ts",
    "version.js",
    "env.js",
];

pub fn ext_of(path: &str) -> &str {
    let base = path.rsplit('/').next().unwrap_or(path);
    match base.rfind('.') {
        Some(i) => &base[i + 1..],
        None => "",
    }
}

/// `Some(reason)` when `path` is not a non-test source file.
pub fn exclusion(path: &str) -> Option<&'static str> {
    if !CODE_EXTS.contains(&ext_of(path)) {
        return Some("not-code");
    }
    let lower = path.to_ascii_lowercase();
    let (dirs, base) = match lower.rsplit_once('/') {
        Some((dirs, base)) => (dirs, base),
        None => ("", lower.as_str()),
    };
    if dirs.split('/').any(|d| EXCLUDED_DIRS.contains(&d)) {
        return Some("excluded-dir");
    }
    let stem = base.rsplit_once('.').map_or(base, |x| x.0);
    let test_stem = ["_test", "_tests", ".test", ".spec", ".bench", "_bench"]
        .iter()
        .any(|s| stem.ends_with(s));
    if base.starts_with("test_")
        || test_stem
        || stem == "tests"
        || stem == "test"
        || base == "conftest.py"
    {
        return Some("test-file");
    }
    if CONFIG_FILES.contains(&base)
        || stem.ends_with(".config")
        || stem.ends_with(".conf")
        || stem.starts_with('.')
        || stem.ends_with(".min")
    {
        return Some("config-or-version-file");
    }
    None
}

/// The scanner for a path's extension.
pub fn lang_of(path: &str) -> Option<Lang> {
    match ext_of(path) {
        "py" => Some(Lang::Python),
        "go" => Some(Lang::Go),
        "rs" => Some(Lang::Rust),
        "ts" | "tsx" | "mts" | "cts" | "js" | "jsx" | "mjs" | "cjs" => Some(Lang::Js),
        _ => None,
    }
}

/// The language of most non-test source files among `paths`.
pub fn main_language<'a>(paths: impl Iterator<Item = &'a str>) -> String {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for p in paths {
        if exclusion(p).is_some() {
            continue;
        }
        let language = match ext_of(p) {
            "py" => "python",
            "go" => "go",
            "rs" => "rust",
            "ts" | "tsx" | "mts" | "cts" => "typescript",
            "js" | "jsx" | "mjs" | "cjs" => "javascript",
            _ => continue,
        };
        *counts.entry(language).or_default() += 1;
    }
    counts
        .into_iter()
        .max_by_key(|&(language, n)| (n, language))
        .map_or_else(|| "unknown".into(), |(language, _)| language.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_files_exclude_tests_docs_and_config() {
        assert_eq!(exclusion("src/black/linegen.py"), None);
        assert_eq!(exclusion("lib/core/Axios.js"), None);
        assert_eq!(exclusion("README.md"), Some("not-code"));
        assert_eq!(exclusion("tests/data/x.py"), Some("excluded-dir"));
        assert_eq!(exclusion("src/Docs/x.py"), Some("excluded-dir"));
        assert_eq!(exclusion("context_test.go"), Some("test-file"));
        assert_eq!(exclusion("a/b.spec.ts"), Some("test-file"));
        assert_eq!(exclusion("test_x.py"), Some("test-file"));
        assert_eq!(exclusion("conftest.py"), Some("test-file"));
        assert_eq!(exclusion("build.rs"), Some("config-or-version-file"));
        assert_eq!(exclusion("vite.config.ts"), Some("config-or-version-file"));
        assert_eq!(exclusion("x.min.js"), Some("config-or-version-file"));
    }

    #[test]
    fn the_main_language_counts_source_files() {
        let paths = ["a.go", "b.go", "c_test.go", "x.py", "y.ts"];
        assert_eq!(main_language(paths.into_iter()), "go");
        assert_eq!(main_language(["README.md"].into_iter()), "unknown");
    }
}
