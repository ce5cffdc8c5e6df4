//! Graph quality on hand-labelled fixtures, and incremental equivalence.
//!
//! Each `fixtures/<lang>/graph.expected` lists, one per line, the edges a
//! reader of the code finds:
//!
//! ```text
//! calls   CALLER -> CALLEE        (qualified names; a file path for top-level code)
//! imports FILE -> FILE
//! inherits SUBTYPE -> BASE        (also for implements)
//! ```
//!
//! Files named `broken.*` exist to test parse recovery; edges from or to
//! them are not scored (a reader and tree-sitter disagree on where the broken
//! definition ends).

use super::*;
use codegraph::EdgeKind;
use std::collections::BTreeSet;

pub(crate) use codegraph_testkit::{copy_dir, fixtures, labelled_fixtures};

type EdgeSet = BTreeSet<(String, String, String)>;

/// The edges `graph.expected` lists; `!`-lines (edges that must never be
/// produced, in any provenance) when `forbidden`.
fn expected_lines(lang: &str, forbidden: bool) -> Option<EdgeSet> {
    let text = std::fs::read_to_string(fixtures().join(lang).join("graph.expected")).ok()?;
    let mut out = BTreeSet::new();
    for line in text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let Some(line) = (match line.strip_prefix('!') {
            Some(rest) if forbidden => Some(rest),
            None if !forbidden => Some(line),
            _ => None,
        }) else {
            continue;
        };
        if line.to_lowercase().contains("broken") {
            continue;
        }
        let (kind, rest) = line
            .split_once(char::is_whitespace)
            .unwrap_or_else(|| panic!("bad line: {line}"));
        let (a, b) = rest
            .split_once("->")
            .unwrap_or_else(|| panic!("bad line: {line}"));
        let kind = if kind == "implements" {
            "inherits"
        } else {
            kind
        };
        out.insert((kind.to_owned(), a.trim().to_owned(), b.trim().to_owned()));
    }
    Some(out)
}

/// Edges codegraph finds on a fixture: (kind, src, dst) → provenance.
fn expected(lang: &str) -> Option<EdgeSet> {
    expected_lines(lang, false)
}

fn found(lang: &str) -> Vec<(String, String, String, &'static str)> {
    let idx = tempfile::tempdir().unwrap();
    let mut cg = open(&fixtures().join(lang), idx.path());
    cg.index(&codegraph::NoProgress).unwrap();
    cg.reference_edges()
        .unwrap()
        .into_iter()
        .filter(|(_, src, dst, _)| {
            !dst.starts_with("external:")
                && !src.to_lowercase().contains("broken")
                && !dst.to_lowercase().contains("broken")
        })
        .map(|(kind, a, b, p)| {
            let kind = match kind {
                EdgeKind::Implements | EdgeKind::Inherits => "inherits",
                k => k.as_str(),
            };
            (kind.to_owned(), a, b, p.as_str())
        })
        .collect()
}

struct Score {
    lang: String,
    resolved: usize,
    resolved_right: usize,
    inferred: usize,
    inferred_right: usize,
    truth: usize,
    found_right: usize,
}

fn score(lang: &str, kind: &str) -> Option<(Score, Vec<String>)> {
    let truth: EdgeSet = expected(lang)?
        .into_iter()
        .filter(|e| e.0 == kind)
        .collect();
    let edges: Vec<_> = found(lang).into_iter().filter(|e| e.0 == kind).collect();
    let mut s = Score {
        lang: lang.into(),
        resolved: 0,
        resolved_right: 0,
        inferred: 0,
        inferred_right: 0,
        truth: truth.len(),
        found_right: 0,
    };
    let mut wrong = Vec::new();
    let mut hit: BTreeSet<(String, String, String)> = BTreeSet::new();
    for (k, a, b, p) in edges {
        let key = (k, a, b);
        let right = truth.contains(&key);
        if p == "resolved" {
            s.resolved += 1;
            s.resolved_right += usize::from(right);
            if !right {
                wrong.push(format!(
                    "{} {} -> {} (resolved, not in truth)",
                    key.0, key.1, key.2
                ));
            }
        } else {
            s.inferred += 1;
            s.inferred_right += usize::from(right);
            if !right {
                wrong.push(format!(
                    "{} {} -> {} (inferred, not in truth)",
                    key.0, key.1, key.2
                ));
            }
        }
        if right {
            hit.insert(key);
        }
    }
    s.found_right = hit.len();
    for missing in truth.difference(&hit) {
        wrong.push(format!(
            "{} {} -> {} (missed)",
            missing.0, missing.1, missing.2
        ));
    }
    Some((s, wrong))
}

#[test]
fn resolved_call_edges_are_precise_on_hand_labelled_fixtures() {
    let mut report = String::new();
    let mut failures = Vec::new();
    let mut scored = 0;
    let langs = labelled_fixtures();
    for kind in ["calls", "imports", "inherits", "references"] {
        for lang in &langs {
            let Some((s, wrong)) = score(lang, kind) else {
                continue;
            };
            scored += 1;
            let precision = if s.resolved == 0 {
                1.0
            } else {
                s.resolved_right as f64 / s.resolved as f64
            };
            let recall = if s.truth == 0 {
                1.0
            } else {
                s.found_right as f64 / s.truth as f64
            };
            report.push_str(&format!(
                "{kind:<8} {:<10} resolved {:>3} (precision {:.3})  inferred {:>3} ({} right)  truth {:>3}  recall {:.3}\n",
                s.lang, s.resolved, precision, s.inferred, s.inferred_right, s.truth, recall
            ));
            for w in &wrong {
                report.push_str(&format!("    {w}\n"));
            }
            if precision < 0.95 {
                failures.push(format!(
                    "{kind} {lang}: resolved precision {precision:.3} < 0.95"
                ));
            }
        }
    }
    for lang in &langs {
        let Some(forbidden) = expected_lines(lang, true) else {
            continue;
        };
        for (kind, a, b, p) in found(lang) {
            if forbidden.contains(&(kind.clone(), a.clone(), b.clone())) {
                failures.push(format!("{lang}: forbidden edge {kind} {a} -> {b} ({p})"));
            }
        }
    }
    eprintln!("{report}");
    assert!(scored > 0, "no fixtures/<lang>/graph.expected found");
    assert!(failures.is_empty(), "{failures:?}\n{report}");
}

/// Edge sets of two indexes of the same tree, for comparison.
pub(crate) fn edge_set(cg: &Codegraph) -> Vec<(EdgeKind, String, String, codegraph::Provenance)> {
    cg.reference_edges().unwrap()
}

#[test]
fn reindexing_changed_files_gives_the_graph_a_fresh_index_gives() {
    let repo = tempfile::tempdir().unwrap();
    copy_dir(&fixtures().join("python"), repo.path());
    let idx = tempfile::tempdir().unwrap();
    index(repo.path(), idx.path());
    let before = edge_set(&open(repo.path(), idx.path()));
    assert!(
        before
            .iter()
            .any(|e| e.1 == "shop.service.demo" && e.2 == "shop.service.UserService.add_user")
    );

    // Modify: rename a method its callers in unchanged files point to.
    let models = repo.path().join("shop/models.py");
    let text = std::fs::read_to_string(&models)
        .unwrap()
        .replace("def display_name", "def label");
    std::fs::write(&models, text).unwrap();
    // Add a file that calls into an unchanged one.
    write(
        repo.path(),
        "shop/report.py",
        "from .service import UserService\n\n\ndef report(svc: UserService):\n    return svc.promote(1)\n",
    );
    // Delete a file others import.
    std::fs::remove_file(repo.path().join("shop/util.py")).unwrap();

    index(repo.path(), idx.path());
    let incremental = edge_set(&open(repo.path(), idx.path()));
    let fresh_idx = tempfile::tempdir().unwrap();
    index(repo.path(), fresh_idx.path());
    let fresh = edge_set(&open(repo.path(), fresh_idx.path()));
    assert_eq!(incremental, fresh);
    // The changes are visible: edges into the changed file's symbols from
    // unchanged files follow the rename, the new caller appears, the deleted
    // file's edges are gone.
    assert!(
        !incremental
            .iter()
            .any(|e| e.2 == "shop.models.User.display_name")
    );
    assert!(
        incremental
            .iter()
            .any(|e| e.1 == "shop.report.report" && e.2 == "shop.service.UserService.promote")
    );
    assert!(!incremental.iter().any(|e| e.2.starts_with("shop.util")));
    assert_ne!(before, incremental);
}

#[test]
fn callers_callees_and_ambiguity_through_the_library() {
    let idx = tempfile::tempdir().unwrap();
    let mut cg = open(&fixtures().join("python"), idx.path());
    cg.index(&codegraph::NoProgress).unwrap();
    let callers = cg.callers("UserService.add_user", 1, false).unwrap();
    let names: Vec<&str> = callers.iter().map(|r| r.symbol.as_str()).collect();
    assert_eq!(names, ["shop.service.demo"]);
    assert_eq!(callers[0].provenance.as_str(), "resolved");
    assert_eq!(callers[0].depth, 1);
    // Depth 2 reaches the callers of the callers.
    let deep = cg
        .callers("shop.models.User.display_name", 2, true)
        .unwrap();
    assert!(
        deep.iter()
            .any(|r| r.symbol == "shop.service.UserService.add_user" && r.depth == 1)
    );
    assert!(
        deep.iter()
            .any(|r| r.symbol == "shop.service.demo" && r.depth == 2)
    );
    // `save` names two methods: the candidates are listed, nothing guessed.
    match cg.callers("save", 1, false) {
        Err(codegraph::Error::Ambiguous { candidates, .. }) => assert_eq!(candidates.len(), 2),
        other => panic!("expected ambiguity, got {other:?}"),
    }
    let callees = cg
        .callees("shop.service.UserService.add_user", 1, true)
        .unwrap();
    let names: Vec<&str> = callees.iter().map(|r| r.symbol.as_str()).collect();
    assert!(names.contains(&"shop.models.User"), "{names:?}");
    assert!(names.contains(&"shop.util.normalise"), "{names:?}");
    let imports = cg.imports("shop/service.py").unwrap();
    assert!(imports.iter().any(|(p, _)| p == "shop/util.py"));
    assert!(imports.iter().any(|(p, _)| p == "external:logging"));
    let importers = cg.importers("shop/models.py").unwrap();
    assert!(importers.iter().any(|(p, _)| p == "shop/service.py"));
    let map = cg
        .map(&codegraph::MapOptions {
            budget_tokens: 60,
            ..Default::default()
        })
        .unwrap();
    assert!(map.tokens <= 60, "{}", map.text);
    assert!(!map.files.is_empty());
    let sub = cg.neighbors("shop/service.py", 1, 100).unwrap();
    assert!(sub.nodes.iter().any(|n| n.key == "shop/models.py"));
    // A symbol's neighbourhood: its chunk, its class, its callers and callees.
    let sub = cg
        .neighbors("shop.service.UserService.add_user", 1, 100)
        .unwrap();
    let keys: Vec<&str> = sub.nodes.iter().map(|n| n.key.as_str()).collect();
    assert!(keys.contains(&"chunk:shop/service.py:17-22"), "{keys:?}");
    assert!(
        keys.iter()
            .any(|k| k.starts_with("shop.service.UserService#")),
        "{keys:?}"
    );
    assert!(
        keys.iter().any(|k| k.starts_with("shop.service.demo#")),
        "{keys:?}"
    );
    assert!(
        keys.iter().any(|k| k.starts_with("shop.util.normalise#")),
        "{keys:?}"
    );
}

/// The graph a long-lived instance patched in memory equals the graph a new
/// instance builds from the same store: nodes, edges, name and path indexes.
fn assert_patched_graph_is_fresh(lang: &str, cg: &codegraph::Codegraph, repo: &Path, idx: &Path) {
    let patched = cg.graph_canonical().unwrap();
    let fresh = open(repo, idx).graph_canonical().unwrap();
    let missing: Vec<_> = fresh.iter().filter(|e| !patched.contains(e)).collect();
    let extra: Vec<_> = patched.iter().filter(|e| !fresh.contains(e)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{lang}: patched graph differs: missing {missing:?}\nextra {extra:?}"
    );
    assert_eq!(patched, fresh, "{lang}");
    // The map (ranked once per graph and kept) follows the patch too.
    let map = |cg: &codegraph::Codegraph| {
        let m = cg.map(&codegraph::MapOptions::default()).unwrap();
        (
            m.files.iter().map(|f| f.path.clone()).collect::<Vec<_>>(),
            m.tokens,
        )
    };
    assert_eq!(map(cg), map(&open(repo, idx)), "{lang}: map");
}

/// Incremental graph updates equal a fresh resolution, in every fixture
/// language: a definition renamed, a file copied (every name in it loses
/// its uniqueness), a file deleted.
#[test]
fn incremental_graph_updates_equal_a_fresh_index_in_every_language() {
    let mut checked = 0;
    for entry in std::fs::read_dir(fixtures()).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        let lang = dir.file_name().unwrap().to_string_lossy().into_owned();
        let repo = tempfile::tempdir().unwrap();
        copy_dir(&dir, repo.path());
        let idx = tempfile::tempdir().unwrap();
        // One instance throughout: the update patches its cached facts.
        let mut cg = open(repo.path(), idx.path());
        cg.index(&NoProgress).unwrap();
        // The graph in memory, patched by each update, and its map.
        cg.graph_canonical().unwrap();
        cg.map(&codegraph::MapOptions::default()).unwrap();
        let mut code: Vec<(String, Vec<codegraph::DefinitionRow>)> = cg
            .files()
            .unwrap()
            .into_iter()
            .map(|f| f.path)
            .filter(|p| !p.to_lowercase().contains("broken"))
            .map(|p| {
                let defs = cg.symbols_in_file(&p).unwrap();
                (p, defs)
            })
            .filter(|(_, defs)| {
                defs.iter()
                    .any(|d| matches!(d.kind.as_str(), "function" | "method"))
            })
            .collect();
        code.sort_by(|a, b| a.0.cmp(&b.0));
        if code.len() < 3 {
            continue;
        }
        // Rename a function or method of the first file, where it is defined
        // and used in that file.
        let (first, defs) = &code[0];
        let name = &defs
            .iter()
            .find(|d| matches!(d.kind.as_str(), "function" | "method") && d.name.len() > 2)
            .unwrap()
            .name;
        let text = std::fs::read_to_string(repo.path().join(first)).unwrap();
        let renamed = regex_free_rename(&text, name, &format!("{name}Renamed"));
        std::fs::write(repo.path().join(first), renamed).unwrap();
        // Copy the second file beside itself.
        let second = &code[1].0;
        let (parent, file) = second.rsplit_once('/').unwrap_or(("", second));
        let copy = if parent.is_empty() {
            format!("copy_{file}")
        } else {
            format!("{parent}/copy_{file}")
        };
        std::fs::copy(repo.path().join(second), repo.path().join(&copy)).unwrap();
        // Delete the third.
        std::fs::remove_file(repo.path().join(&code[2].0)).unwrap();

        let report = cg.index(&NoProgress).unwrap();
        let graph = report.graph.expect("the graph was updated");
        assert!(graph.files_resolved.is_some(), "{lang}: not incremental");
        let incremental = edge_set(&open(repo.path(), idx.path()));
        let fresh_idx = tempfile::tempdir().unwrap();
        index(repo.path(), fresh_idx.path());
        let fresh = edge_set(&open(repo.path(), fresh_idx.path()));
        let missing: Vec<_> = fresh.iter().filter(|e| !incremental.contains(e)).collect();
        let extra: Vec<_> = incremental.iter().filter(|e| !fresh.contains(e)).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{lang}: missing {missing:?}\nextra {extra:?}"
        );
        assert_patched_graph_is_fresh(&lang, &cg, repo.path(), idx.path());
        // Round two: edits that move lines but change no interface (a blank
        // first line) re-resolve those files alone, and still equal a
        // fresh index.
        let moved: Vec<&String> = code
            .iter()
            .map(|(p, _)| p)
            .filter(|p| *p != &code[2].0)
            .collect();
        for p in &moved {
            let text = std::fs::read_to_string(repo.path().join(p)).unwrap();
            std::fs::write(repo.path().join(p), format!("\n{text}")).unwrap();
        }
        let report = cg.index(&NoProgress).unwrap();
        assert_eq!(
            report.graph.unwrap().files_resolved,
            Some(moved.len() as u64),
            "{lang}: only the edited files"
        );
        assert_patched_graph_is_fresh(&lang, &cg, repo.path(), idx.path());
        let incremental = edge_set(&open(repo.path(), idx.path()));
        let fresh_idx = tempfile::tempdir().unwrap();
        index(repo.path(), fresh_idx.path());
        assert_eq!(
            incremental,
            edge_set(&open(repo.path(), fresh_idx.path())),
            "{lang}"
        );
        checked += 1;
    }
    eprintln!("incremental graph equivalence checked in {checked} languages");
    assert!(checked >= 6, "only {checked} languages checked");
}

/// Replaces whole-word occurrences of `from`.
fn regex_free_rename(text: &str, from: &str, to: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    while let Some(i) = rest.find(from) {
        let before = rest[..i].chars().next_back();
        let after = rest[i + from.len()..].chars().next();
        out.push_str(&rest[..i]);
        if before.is_some_and(is_word) || after.is_some_and(is_word) {
            out.push_str(from);
        } else {
            out.push_str(to);
        }
        rest = &rest[i + from.len()..];
    }
    out.push_str(rest);
    out
}

#[test]
fn the_map_ranks_definitions_across_files_within_its_budget() {
    let idx = tempfile::tempdir().unwrap();
    let mut cg = open(&fixtures().join("python"), idx.path());
    cg.index(&codegraph::NoProgress).unwrap();
    let map_of = |budget: usize, focus: &[&str], symbols: &[&str]| {
        cg.map(&codegraph::MapOptions {
            budget_tokens: budget,
            focus: focus.iter().map(|s| s.to_string()).collect(),
            focus_symbols: symbols.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        })
    };
    for budget in [40, 120, 250, 1000] {
        let map = map_of(budget, &[], &[]).unwrap();
        assert!(map.tokens <= budget, "{budget}: {}", map.text);
        let counted: usize = map.text.lines().map(codegraph::line_tokens).sum();
        assert_eq!(counted, map.tokens, "{}", map.text);
        // No empty headers: every file shows a definition, and the text
        // never has two headers in a row.
        assert!(map.files.iter().all(|f| !f.definitions.is_empty()));
        let lines: Vec<&str> = map.text.lines().collect();
        for pair in lines.windows(2) {
            assert!(
                !(pair[0].ends_with(':') && !pair[0].starts_with(' ') && !pair[1].starts_with(' ')),
                "{}",
                map.text
            );
        }
        // Every member comes with the type it belongs to, above it.
        for f in &map.files {
            for (i, d) in f.definitions.iter().enumerate() {
                if d.depth > 0 {
                    assert!(
                        f.definitions[..i].iter().any(|p| p.depth + 1 == d.depth),
                        "{}",
                        map.text
                    );
                }
            }
        }
    }
    // One budget covers many files, and the product's files come before
    // its tests.
    let map = map_of(250, &[], &[]).unwrap();
    assert!(map.files.len() >= 4, "{}", map.text);
    assert!(
        !map.text.contains("test_views.py"),
        "tests rank below the product at a small budget:\n{}",
        map.text
    );
    let full = map_of(100_000, &[], &[]).unwrap();
    assert_eq!(full.omitted_definitions, 0);
    assert_eq!(full.omitted_files, 0);
    let first_test = full
        .files
        .iter()
        .position(|f| f.path.contains("test_"))
        .expect("tests appear when the budget allows");
    assert!(first_test >= full.files.len() / 2, "{}", full.text);
    // Focus: a named file or identifier pulls its definitions in.
    let plain = map_of(60, &[], &[]).unwrap();
    assert!(!plain.text.contains("def jsonify"), "{}", plain.text);
    let focused = map_of(60, &[], &["jsonify"]).unwrap();
    assert!(focused.text.contains("def jsonify"), "{}", focused.text);
    let focused = map_of(60, &["web/globals.py"], &[]).unwrap();
    assert_eq!(focused.files[0].path, "web/globals.py", "{}", focused.text);
    // Unknown focus is an error that names it.
    let err = map_of(100, &["no/such/file.py"], &["NoSuchThing"]).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("no/such/file.py") && text.contains("NoSuchThing"),
        "{text}"
    );
}

/// Regression (bench-live on java.base, `sun.nio.fs.UnixException`): a
/// field and a method of one name share a qualified name; `callers` of it
/// answered for the field (nobody calls a field) instead of the method.
#[test]
fn callers_of_a_name_shared_by_a_field_and_a_method_are_the_method_callers() {
    let repo = tempfile::tempdir().unwrap();
    write(
        repo.path(),
        "p/Failure.java",
        "package p;\n\nclass Failure {\n    private int errno;\n\n    int errno() {\n        return errno;\n    }\n\n    boolean missing() {\n        return errno() == 2;\n    }\n}\n",
    );
    let idx = tempfile::tempdir().unwrap();
    let mut cg = open(repo.path(), idx.path());
    cg.index(&NoProgress).unwrap();
    let callers = cg.callers("p.Failure.errno", 1, false).unwrap();
    assert_eq!(callers.len(), 1, "{callers:?}");
    assert!(callers[0].symbol.ends_with("missing"), "{callers:?}");
}

/// A Cargo workspace: qualified names carry each crate's name from its
/// manifest, calls and imports cross crates, and a renamed package renames
/// its definitions though no source file changed.
#[test]
fn rust_crates_of_a_workspace_keep_apart_and_link_up() {
    let repo = tempfile::tempdir().unwrap();
    let idx = tempfile::tempdir().unwrap();
    let root = repo.path();
    write(
        root,
        "Cargo.toml",
        "[workspace]\nmembers = [\"crates/*\"]\n",
    );
    write(
        root,
        "crates/alpha/Cargo.toml",
        "[package]\nname = \"alpha-core\"\nversion = \"0.1.0\"\n",
    );
    write(
        root,
        "crates/alpha/src/lib.rs",
        "pub mod util;\nuse beta::Store;\n\npub fn run() -> u32 {\n    let s = Store::new();\n    s.size() + s.extra() + util::helper()\n}\n\npub fn twice() -> u32 {\n    2\n}\n\npub fn local_value() -> u32 {\n    let util = std::env::args();\n    util.helper()\n}\n\npub fn through_path(util: u32) -> u32 {\n    util::helper() + util\n}\n",
    );
    write(
        root,
        "crates/alpha/src/util.rs",
        "pub fn helper() -> u32 {\n    crate::twice()\n}\n",
    );
    write(
        root,
        "crates/beta/Cargo.toml",
        "[package]\nname = \"beta\"\n",
    );
    write(
        root,
        "crates/beta/src/lib.rs",
        "pub mod extra;\n\npub struct Store;\n\nimpl Store {\n    pub fn new() -> Store {\n        Store\n    }\n    pub fn size(&self) -> u32 {\n        0\n    }\n}\n\npub fn run() -> u32 {\n    1\n}\n",
    );
    // Methods of a type in an `impl` of another module.
    write(
        root,
        "crates/beta/src/extra.rs",
        "use crate::Store;\n\nimpl Store {\n    pub fn extra(&self) -> u32 {\n        7\n    }\n}\n",
    );
    let mut cg = open(root, idx.path());
    cg.index(&codegraph::NoProgress).unwrap();
    let qualified = |cg: &codegraph::Codegraph, name: &str| -> Vec<String> {
        let mut q: Vec<String> = cg
            .find_symbol(name)
            .unwrap()
            .into_iter()
            .map(|d| d.qualified_name)
            .collect();
        q.sort();
        q
    };
    assert_eq!(qualified(&cg, "run"), ["alpha_core::run", "beta::run"]);
    assert_eq!(qualified(&cg, "alpha_core::run"), ["alpha_core::run"]);
    // Across crates: `use beta::Store` and its methods.
    let callers = cg.callers("beta::Store::new", 1, true).unwrap();
    assert!(
        callers.iter().any(|r| r.symbol == "alpha_core::run"),
        "{callers:?}"
    );
    let callers = cg.callers("beta::extra::Store::extra", 1, true).unwrap();
    assert!(
        callers.iter().any(|r| r.symbol == "alpha_core::run"),
        "{callers:?}"
    );
    let imports = cg.imports("crates/alpha/src/lib.rs").unwrap();
    assert!(
        imports.iter().any(|(p, _)| p == "crates/beta/src/lib.rs"),
        "{imports:?}"
    );
    // A module's function is called through its path (even where a
    // parameter has the module's name), never through a local's value.
    let callers = cg.callers("alpha_core::util::helper", 1, false).unwrap();
    let mut names: Vec<&str> = callers.iter().map(|r| r.symbol.as_str()).collect();
    names.sort();
    assert_eq!(names, ["alpha_core::run", "alpha_core::through_path"]);
    // `crate::` as written inside a crate names any crate's path.
    assert_eq!(
        qualified(&cg, "crate::util::helper"),
        ["alpha_core::util::helper"]
    );
    assert_eq!(
        qualified(&cg, "crate::run"),
        ["alpha_core::run", "beta::run"]
    );
    let callers = cg.callers("crate::util::helper", 1, true).unwrap();
    assert!(
        callers.iter().any(|r| r.symbol == "alpha_core::run"),
        "{callers:?}"
    );
    match cg.callers("crate::run", 1, false) {
        Err(codegraph::Error::Ambiguous { candidates, .. }) => assert_eq!(candidates.len(), 2),
        other => panic!("expected the two crates' `run`, got {other:?}"),
    }
    // `crate::twice()` is the crate's own.
    let callers = cg.callers("alpha_core::twice", 1, true).unwrap();
    assert!(
        callers
            .iter()
            .any(|r| r.symbol == "alpha_core::util::helper"),
        "{callers:?}"
    );

    // Only the manifest changes: the crate's definitions are renamed.
    write(
        root,
        "crates/beta/Cargo.toml",
        "[package]\nname = \"gamma\"\n",
    );
    cg.index(&codegraph::NoProgress).unwrap();
    assert_eq!(qualified(&cg, "run"), ["alpha_core::run", "gamma::run"]);
    assert!(qualified(&cg, "beta::run").is_empty());
    assert_eq!(qualified(&cg, "gamma::Store::new"), ["gamma::Store::new"]);
    assert_patched_graph_is_fresh("rust workspace, renamed", &cg, root, idx.path());
    // A crate that appears links the imports that named it.
    write(
        root,
        "crates/alpha/src/util.rs",
        "use delta::pick;

pub fn helper() -> u32 {
    crate::twice() + pick()
}
",
    );
    cg.index(&codegraph::NoProgress).unwrap();
    write(
        root,
        "crates/delta/Cargo.toml",
        "[package]\nname = \"delta\"\n",
    );
    write(
        root,
        "crates/delta/src/lib.rs",
        "pub fn pick() -> u32 {\n    3\n}\n",
    );
    cg.index(&codegraph::NoProgress).unwrap();
    let callers = cg.callers("delta::pick", 1, true).unwrap();
    assert!(
        callers
            .iter()
            .any(|r| r.symbol == "alpha_core::util::helper"),
        "{callers:?}"
    );
    assert_patched_graph_is_fresh("rust workspace, new crate", &cg, root, idx.path());
    // A new instance reads the same names from the store.
    drop(cg);
    let cg = open(root, idx.path());
    assert_eq!(qualified(&cg, "gamma::Store"), ["gamma::Store"]);
}

/// A callee found by its name only must take the call's arguments: the
/// count read at the call site, the parameters from the signature
/// (defaults, `*args`, the receiver).
#[test]
fn inferred_callees_must_take_the_calls_arguments() {
    let repo = tempfile::tempdir().unwrap();
    let idx = tempfile::tempdir().unwrap();
    let root = repo.path();
    write(
        root,
        "lib.py",
        "def combine(a, b, sep=\",\"):\n    return a + sep + b\n\n\nclass Page:\n    def render(self, template):\n        return template\n\n\ndef spread(*parts):\n    return parts\n",
    );
    write(
        root,
        "app.py",
        "def fits(x):\n    combine(x, x)\n    x.render(\"t\")\n    spread(1, 2, 3, 4)\n\n\ndef too_many(x):\n    combine(x, x, x, x)\n    x.render(\"t\", \"u\", \"v\")\n\n\ndef too_few(x, xs):\n    combine(x)\n    combine(*xs)\n",
    );
    let mut cg = open(root, idx.path());
    cg.index(&codegraph::NoProgress).unwrap();
    let callers = |symbol: &str| -> Vec<String> {
        let mut v: Vec<String> = cg
            .callers(symbol, 1, false)
            .unwrap()
            .into_iter()
            .map(|r| r.symbol)
            .collect();
        v.sort();
        v.dedup();
        v
    };
    // `symbol Class.method` finds what `callers Class.method` reads.
    let found: Vec<String> = cg
        .find_symbol("Page.render")
        .unwrap()
        .into_iter()
        .map(|d| d.qualified_name)
        .collect();
    assert_eq!(found, ["lib.Page.render"]);
    // `combine(*xs)` has no fixed count: it may fit.
    assert_eq!(callers("lib.combine"), ["app.fits", "app.too_few"]);
    assert_eq!(callers("lib.Page.render"), ["app.fits"]);
    assert_eq!(callers("lib.spread"), ["app.fits"]);
}
