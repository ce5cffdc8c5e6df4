//! Callers, callees, imports and importers read from the stored edges (a
//! reader that has not loaded the graph) equal the in-memory graph's
//! answers: for every definition of every fixture project, by name, by
//! qualified name and by `Type.method`, at depths 1 and 2, with and without
//! `resolved_only`; for every file and directory — errors included (a name
//! that designates several definitions or none, a path not indexed).

use super::*;
use codegraph::{MAX_STORED_DEPTH, Reader};
use codegraph_testkit::fixtures;
use std::collections::BTreeSet;

fn reader(root: &Path, index: &Path) -> Reader {
    let options = IndexOptions {
        index_dir: Some(index.to_owned()),
        ..IndexOptions::default()
    };
    Reader::open(root, options).unwrap()
}

#[test]
fn stored_walks_equal_the_graph_for_every_fixture_definition() {
    let mut projects = 0;
    let (mut compared, mut answered) = (0usize, 0usize);
    let mut dirs: Vec<_> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for dir in dirs {
        let idx = tempfile::tempdir().unwrap();
        index(&dir, idx.path());
        let stored = reader(&dir, idx.path());
        let graph = reader(&dir, idx.path());
        graph.graph_size().unwrap();
        assert!(graph.graph_loaded());
        let facts = stored.graph_facts().unwrap();
        let mut names: BTreeSet<String> = BTreeSet::new();
        for d in &facts.defs {
            names.insert(d.name.clone());
            names.insert(d.qualified_name.clone());
            // A qualified suffix (`Type.method`), as users type them.
            let parts: Vec<&str> = d.qualified_name.split('.').collect();
            if parts.len() > 2 {
                names.insert(parts[parts.len() - 2..].join("."));
            }
        }
        names.insert("no_such_definition_anywhere".to_owned());
        for name in &names {
            for depth in 1..=MAX_STORED_DEPTH {
                for resolved_only in [false, true] {
                    let ours = stored.callers(name, depth, resolved_only);
                    let theirs = graph.callers(name, depth, resolved_only);
                    assert_eq!(
                        format!("{ours:?}"),
                        format!("{theirs:?}"),
                        "callers {name} --depth {depth} (resolved only: {resolved_only}) in {}",
                        dir.display()
                    );
                    let ours = stored.callees(name, depth, resolved_only);
                    let theirs = graph.callees(name, depth, resolved_only);
                    assert_eq!(
                        format!("{ours:?}"),
                        format!("{theirs:?}"),
                        "callees {name} --depth {depth} (resolved only: {resolved_only}) in {}",
                        dir.display()
                    );
                    compared += 2;
                    answered += usize::from(ours.is_ok_and(|r| !r.is_empty()));
                }
            }
        }
        let mut paths: BTreeSet<String> = BTreeSet::new();
        for f in &facts.files {
            paths.insert(f.path.clone());
            if let Some((dir, _)) = f.path.rsplit_once('/') {
                paths.insert(dir.to_owned());
                paths.insert(format!("{dir}/"));
            }
        }
        paths.insert("no/such/file.py".to_owned());
        for path in &paths {
            let ours = stored.imports(path);
            let theirs = graph.imports(path);
            assert_eq!(format!("{ours:?}"), format!("{theirs:?}"), "imports {path}");
            let ours = stored.importers(path);
            let theirs = graph.importers(path);
            assert_eq!(
                format!("{ours:?}"),
                format!("{theirs:?}"),
                "importers {path}"
            );
            answered += usize::from(ours.is_ok_and(|r| !r.is_empty()));
        }
        // Every answer above came from the store: the graph never loaded.
        assert!(!stored.graph_loaded(), "{}", dir.display());
        projects += 1;
    }
    assert!(projects >= 10, "only {projects} fixture projects");
    assert!(
        answered > 100,
        "only {answered} non-empty answers of {compared}"
    );
}

#[test]
fn deeper_walks_load_the_graph() {
    let idx = tempfile::tempdir().unwrap();
    let root = fixtures().join("python");
    index(&root, idx.path());
    let r = reader(&root, idx.path());
    let name = r.graph_facts().unwrap().defs[0].qualified_name.clone();
    let _ = r.callers(&name, MAX_STORED_DEPTH, false);
    assert!(!r.graph_loaded());
    let _ = r.callers(&name, MAX_STORED_DEPTH + 1, false);
    assert!(r.graph_loaded());
}
