//! The resolver on parsed facts, without a store: every fixture project's
//! files are parsed, turned into graph facts and resolved in memory, and the
//! edges are checked against the hand-labelled `graph.expected`; small
//! inline projects pin single rules; incremental resolution and
//! invalidation are checked against whole resolutions.

use codegraph_core::{FileChange, FileFacts, FileId, GraphFacts, Provenance};
use codegraph_graph::invalidate::{affected_files, interface_of};
use codegraph_graph::{Graph, resolve, resolve_files};
use codegraph_lang::Registry;
use codegraph_testkit::{fixtures, labelled_fixtures};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

/// `(path, text)` of every file under `root`, sorted by path.
fn read_tree(root: &Path) -> Vec<(String, String)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else if let Ok(text) = std::fs::read_to_string(&path) {
                let rel = path.strip_prefix(root).unwrap().to_string_lossy();
                out.push((rel.replace('\\', "/"), text));
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

/// Parsed facts of `(path, text)` files in a known language, numbered in
/// path order, and the graph facts built from them.
fn facts_of(files: &[(String, String)]) -> (Vec<(String, FileFacts)>, GraphFacts) {
    let registry = Registry::builtin();
    let parsed: Vec<(String, FileFacts)> = files
        .iter()
        .filter_map(|(path, text)| {
            let language = registry.detect(Path::new(path), text.as_bytes())?;
            let mut facts = codegraph_parse::parse_file(language, path, text);
            // The package its manifest names, as the indexer gives it.
            if let (Some(dir), Some(manifest)) = (
                codegraph_parse::manifest_dir(language, path),
                language.manifest.as_deref(),
            ) {
                let at = if dir.is_empty() {
                    manifest.to_owned()
                } else {
                    format!("{dir}/{manifest}")
                };
                if let Some(name) = files
                    .iter()
                    .find(|(p, _)| *p == at)
                    .and_then(|(_, t)| language.manifest_package(t))
                {
                    codegraph_parse::qualify_in_package(&mut facts, language, &name);
                }
            }
            Some((path.clone(), facts))
        })
        .collect();
    let configs: HashMap<String, String> = files
        .iter()
        .filter(|(p, _)| {
            ["go.mod", "pubspec.yaml"]
                .iter()
                .any(|c| p == c || p.ends_with(&format!("/{c}")))
        })
        .cloned()
        .collect();
    let refs: Vec<(FileId, &str, &FileFacts)> = parsed
        .iter()
        .enumerate()
        .map(|(i, (p, f))| (FileId(i as i64 + 1), p.as_str(), f))
        .collect();
    let graph_facts = GraphFacts::from_files(&refs, configs);
    (parsed, graph_facts)
}

/// `(kind, source, target, provenance)` of every reference edge between
/// definitions or files of the project.
fn edges_of(facts: &GraphFacts) -> Vec<(String, String, String, Provenance)> {
    let resolution = resolve(facts, Registry::builtin());
    let graph = Graph::build(facts, &resolution.edges, &HashMap::new());
    graph
        .reference_edges()
        .into_iter()
        .map(|(kind, a, b, p)| (kind.as_str().to_owned(), a, b, p))
        .collect()
}

fn expected(lang: &str) -> BTreeSet<(String, String, String)> {
    let text = std::fs::read_to_string(fixtures().join(lang).join("graph.expected")).unwrap();
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.to_lowercase().contains("broken"))
        .map(|line| {
            let (kind, rest) = line.split_once(char::is_whitespace).unwrap();
            let (a, b) = rest.split_once("->").unwrap();
            let kind = if kind == "implements" {
                "inherits"
            } else {
                kind
            };
            (kind.to_owned(), a.trim().to_owned(), b.trim().to_owned())
        })
        .collect()
}

#[test]
fn fixture_edges_resolved_in_memory_match_the_hand_labels() {
    let mut report = String::new();
    for lang in labelled_fixtures() {
        let (_, facts) = facts_of(&read_tree(&fixtures().join(&lang)));
        let truth = expected(&lang);
        let mut resolved = 0;
        let mut wrong = Vec::new();
        let mut hit = BTreeSet::new();
        for (kind, a, b, p) in edges_of(&facts) {
            if a.to_lowercase().contains("broken") || b.to_lowercase().contains("broken") {
                continue;
            }
            let kind = if kind == "implements" {
                "inherits".to_owned()
            } else {
                kind
            };
            let key = (kind, a, b);
            let right = truth.contains(&key);
            if p == Provenance::Resolved {
                resolved += 1;
                if !right {
                    wrong.push(format!("{} {} -> {}", key.0, key.1, key.2));
                }
            }
            if right {
                hit.insert(key);
            }
        }
        let missed: Vec<String> = truth
            .difference(&hit)
            .filter(|(k, _, _)| !k.starts_with('!'))
            .map(|(k, a, b)| format!("{k} {a} -> {b}"))
            .collect();
        let precision = 1.0 - wrong.len() as f64 / resolved.max(1) as f64;
        let recall = hit.len() as f64 / truth.len().max(1) as f64;
        report.push_str(&format!(
            "{lang}: {resolved} resolved, precision {precision:.3}, recall {recall:.3}, wrong {wrong:?}, missed {missed:?}\n"
        ));
        assert!(resolved > 0, "{lang}: nothing resolved\n{report}");
        assert!(precision >= 0.95, "{report}");
        assert!(recall >= 0.5, "{report}");
    }
    eprintln!("{report}");
}

fn project(files: &[(&str, &str)]) -> GraphFacts {
    let owned: Vec<(String, String)> = files
        .iter()
        .map(|(p, t)| ((*p).to_owned(), (*t).to_owned()))
        .collect();
    facts_of(&owned).1
}

fn has_edge(edges: &[(String, String, String, Provenance)], kind: &str, a: &str, b: &str) -> bool {
    edges.iter().any(|e| e.0 == kind && e.1 == a && e.2 == b)
}

#[test]
fn a_relative_python_import_binds_the_imported_function() {
    let facts = project(&[
        ("pkg/__init__.py", ""),
        ("pkg/util.py", "def slug(s):\n    return s\n"),
        (
            "pkg/views.py",
            "from .util import slug\n\ndef show(x):\n    return slug(x)\n",
        ),
    ]);
    let edges = edges_of(&facts);
    assert!(
        edges.iter().any(|e| e.0 == "calls"
            && e.1 == "pkg.views.show"
            && e.2 == "pkg.util.slug"
            && e.3 == Provenance::Resolved),
        "{edges:#?}"
    );
    assert!(has_edge(&edges, "imports", "pkg/views.py", "pkg/util.py"));
}

#[test]
fn methods_of_builtins_and_protocol_methods_are_not_inferred_to_ours() {
    let facts = project(&[
        (
            "m.py",
            "class Frozen:\n    def __setattr__(self, name, value):\n        raise AttributeError(name)\n\n    def thaw(self):\n        pass\n",
        ),
        (
            "t.py",
            "def build(self, other, x):\n    object.__setattr__(self, 'x', 1)\n    BaseException.__setattr__(self, 'y', 2)\n    other.__setattr__('z', 3)\n    x.thaw()\n",
        ),
    ]);
    let edges = edges_of(&facts);
    assert!(
        !has_edge(&edges, "calls", "t.build", "m.Frozen.__setattr__"),
        "{edges:#?}"
    );
    // An ordinary unique method on an unknown receiver still infers.
    assert!(
        edges.iter().any(|e| e.0 == "calls"
            && e.1 == "t.build"
            && e.2 == "m.Frozen.thaw"
            && e.3 == Provenance::Inferred),
        "{edges:#?}"
    );
}

#[test]
fn a_method_of_an_outside_object_or_a_builtin_method_is_not_inferred_to_ours() {
    let facts = project(&[
        (
            "src/codec.ts",
            "export class Codec {\n  encode(s: string): string {\n    return s;\n  }\n\n  normalize(form: string): string {\n    return form;\n  }\n}\n",
        ),
        (
            "src/use.ts",
            "export function bytes(s: string) {\n  return new TextEncoder().encode(s);\n}\n\nexport function any(x: any) {\n  return x.encode('a');\n}\n\nexport function text(input: string) {\n  return input.normalize('NFC');\n}\n",
        ),
    ]);
    let edges = edges_of(&facts);
    let calls = |caller: &str| {
        edges
            .iter()
            .filter(|e| e.0 == "calls" && e.1.ends_with(caller) && e.2.ends_with("Codec.encode"))
            .count()
    };
    assert_eq!(calls("bytes"), 0, "{edges:#?}");
    assert_eq!(
        calls("any"),
        1,
        "an unknown receiver still infers: {edges:#?}"
    );
    // A method of the language's strings is not inferred to ours.
    assert!(
        !edges
            .iter()
            .any(|e| e.0 == "calls" && e.1.ends_with("text") && e.2.ends_with("Codec.normalize")),
        "{edges:#?}"
    );
}

#[test]
fn a_call_of_a_module_alias_calls_what_it_names() {
    let facts = project(&[
        (
            "pkg/_make.py",
            "def attrib(default=None):\n    return default\n",
        ),
        (
            "pkg/__init__.py",
            "from ._make import attrib\n\nib = attr = attrib\ns = attrib\nLIMIT = 5\n",
        ),
        (
            "t.py",
            "import pkg\n\ndef one():\n    return pkg.ib()\n\ndef two():\n    return pkg.s(default=1)\n\ndef three():\n    return pkg.LIMIT\n",
        ),
    ]);
    let edges = edges_of(&facts);
    for caller in ["t.one", "t.two"] {
        assert!(
            edges.iter().any(|e| e.0 == "calls"
                && e.1 == caller
                && e.2 == "pkg._make.attrib"
                && e.3 == Provenance::Resolved),
            "{caller}: {edges:#?}"
        );
    }
}

#[test]
fn a_method_call_on_self_resolves_through_the_base_class() {
    let facts = project(&[(
        "m.py",
        "class Base:\n    def ping(self):\n        pass\n\nclass Child(Base):\n    def run(self):\n        self.ping()\n",
    )]);
    let edges = edges_of(&facts);
    assert!(
        has_edge(&edges, "calls", "m.Child.run", "m.Base.ping"),
        "{edges:#?}"
    );
    assert!(
        has_edge(&edges, "inherits", "m.Child", "m.Base"),
        "{edges:#?}"
    );
}

#[test]
fn go_files_of_one_package_see_each_other() {
    let facts = project(&[
        ("go.mod", "module example.com/app\n"),
        (
            "store/a.go",
            "package store\n\nfunc Open() int { return helper() }\n",
        ),
        (
            "store/b.go",
            "package store\n\nfunc helper() int { return 1 }\n",
        ),
        (
            "main.go",
            "package main\n\nimport \"example.com/app/store\"\n\nfunc main() { store.Open() }\n",
        ),
    ]);
    let edges = edges_of(&facts);
    assert!(
        has_edge(&edges, "calls", "store.Open", "store.helper"),
        "{edges:#?}"
    );
    assert!(
        has_edge(&edges, "calls", "main.main", "store.Open"),
        "{edges:#?}"
    );
    assert!(
        has_edge(&edges, "imports", "main.go", "store/a.go"),
        "{edges:#?}"
    );
}

#[test]
fn a_typescript_import_of_a_js_extension_names_the_ts_file() {
    let facts = project(&[
        ("src/a.ts", "export function f(): number { return 1; }\n"),
        (
            "src/b.ts",
            "import { f } from './a.js';\nexport function g() { return f(); }\n",
        ),
    ]);
    let edges = edges_of(&facts);
    assert!(
        has_edge(&edges, "imports", "src/b.ts", "src/a.ts"),
        "{edges:#?}"
    );
    assert!(
        has_edge(&edges, "calls", "src/b.g", "src/a.f"),
        "{edges:#?}"
    );
}

#[test]
fn resolving_some_files_gives_their_edges_of_a_whole_resolution() {
    let (_, facts) = facts_of(&read_tree(&fixtures().join("java")));
    let whole = resolve(&facts, Registry::builtin());
    let some: HashSet<FileId> = facts.files.iter().step_by(2).map(|f| f.id).collect();
    let part = resolve_files(&facts, Registry::builtin(), &some);
    let mut expected: Vec<_> = whole
        .edges
        .iter()
        .filter(|e| some.contains(&e.file))
        .cloned()
        .collect();
    let mut got = part.edges.clone();
    expected.sort_by_key(|e| format!("{e:?}"));
    got.sort_by_key(|e| format!("{e:?}"));
    assert!(!got.is_empty());
    assert_eq!(got, expected);
}

#[test]
fn a_changed_alias_sends_its_callers_back_to_resolution() {
    let files = |alias: &str| {
        project(&[
            (
                "pkg/_make.py",
                "def attrib():\n    return 1\n\ndef other():\n    return 2\n",
            ),
            ("pkg/__init__.py", alias),
            ("t.py", "import pkg\n\ndef one():\n    return pkg.ib()\n"),
        ])
    };
    let before = files("from ._make import attrib, other\nib = attrib\n");
    let after = files("from ._make import attrib, other\nib = other\n");
    let id_of = |path: &str| after.files.iter().find(|f| f.path == path).unwrap().id;
    let init = id_of("pkg/__init__.py");
    assert_ne!(interface_of(&before, init), interface_of(&after, init));
    let change = FileChange {
        file: init,
        old_definitions: before
            .defs
            .iter()
            .filter(|d| d.file_id == init)
            .map(|d| (d.id, d.name.clone()))
            .collect(),
        deleted: false,
    };
    // The caller's edge points into `_make.py`, not at the alias's file.
    let affected = affected_files(&after, &[change], &HashSet::new(), |_, _| {
        Ok::<_, ()>(HashSet::new())
    })
    .unwrap();
    assert!(affected.contains(&id_of("t.py")), "{affected:?}");
    let edges = edges_of(&after);
    assert!(
        has_edge(&edges, "calls", "t.one", "pkg._make.other"),
        "{edges:#?}"
    );
}

#[test]
fn an_edit_inside_a_body_keeps_the_interface_and_a_new_name_spreads() {
    let before = project(&[
        ("a.py", "def f():\n    return 1\n"),
        ("b.py", "from a import f\n\ndef g():\n    return f()\n"),
        ("c.py", "def h():\n    return k()\n"),
    ]);
    let body_edit = project(&[
        ("a.py", "def f():\n    x = 2\n    return x\n"),
        ("b.py", "from a import f\n\ndef g():\n    return f()\n"),
        ("c.py", "def h():\n    return k()\n"),
    ]);
    let a = before.files[0].id;
    assert_eq!(interface_of(&before, a), interface_of(&body_edit, a));
    // `a.py` gains `k`: the call in c.py may now infer to it.
    let new_name = project(&[
        ("a.py", "def f():\n    return 1\n\ndef k():\n    return 0\n"),
        ("b.py", "from a import f\n\ndef g():\n    return f()\n"),
        ("c.py", "def h():\n    return k()\n"),
    ]);
    assert_ne!(interface_of(&before, a), interface_of(&new_name, a));
    let change = FileChange {
        file: a,
        old_definitions: before
            .defs
            .iter()
            .filter(|d| d.file_id == a)
            .map(|d| (d.id, d.name.clone()))
            .collect(),
        deleted: false,
    };
    let edges_into = |_: &[FileId], _: &[codegraph_core::DefId]| {
        Ok::<_, ()>(HashSet::from([new_name.files[1].id]))
    };
    let affected = affected_files(
        &new_name,
        std::slice::from_ref(&change),
        &HashSet::new(),
        edges_into,
    )
    .unwrap();
    let c = new_name.files[2].id;
    assert!(
        affected.contains(&a) && affected.contains(&c),
        "{affected:?}"
    );
    assert!(affected.contains(&new_name.files[1].id));
    let kept = affected_files(&new_name, &[change], &HashSet::from([a]), |_, _| {
        Ok::<_, ()>(HashSet::new())
    })
    .unwrap();
    assert_eq!(
        kept,
        HashSet::from([a]),
        "an unchanged interface stays local"
    );
}
