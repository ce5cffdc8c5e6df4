//! Snapshots of the structures completion context shows, for every
//! language with a grammar: a type's outline and a function's signature
//! with its doc, each in the language's own syntax (from the language
//! table, never from its name). The snapshots are
//! `tests/it/outlines/<language>.expected`; `UPDATE_EXPECT=1` rewrites them.

use super::*;
use codegraph::DefKind;
use std::collections::BTreeMap;

use codegraph_testkit::fixtures;

/// The outline of the first type (with the most members) and the first
/// documented function of each language in one fixture project.
fn render(dir: &Path, idx: &Path) -> BTreeMap<String, String> {
    index(dir, idx);
    let cg = open(dir, idx);
    let mut by_language: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut files = cg.files().unwrap();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    for f in files {
        if f.path.rsplit('/').next().unwrap().starts_with("broken") {
            continue;
        }
        by_language.entry(f.language).or_default().push(f.path);
    }
    let mut out = BTreeMap::new();
    for (language, paths) in by_language {
        let grammar = codegraph_lang::Registry::builtin()
            .by_name(&language)
            .is_some_and(|l| l.grammar().is_some());
        if !grammar {
            continue;
        }
        let defs: Vec<_> = paths
            .iter()
            .flat_map(|p| cg.symbols_in_file(p).unwrap())
            .collect();
        let members = |d: &codegraph::DefinitionRow| {
            defs.iter()
                .filter(|m| m.parent.as_deref() == Some(d.qualified_name.as_str()))
                .count()
        };
        let ty = defs
            .iter()
            .filter(|d| d.kind.is_type_like())
            .max_by_key(|d| {
                (
                    members(d),
                    std::cmp::Reverse((d.path.clone(), d.start_line)),
                )
            });
        let function = defs
            .iter()
            .filter(|d| matches!(d.kind, DefKind::Function | DefKind::Method))
            .min_by_key(|d| (d.doc.is_none(), d.path.clone(), d.start_line));
        let mut text = String::new();
        for d in ty.into_iter().chain(function) {
            let shown = cg.outline(&d.qualified_name).unwrap().unwrap();
            text.push_str(&format!(
                "== {} {} ({})\n{shown}\n",
                d.kind, d.qualified_name, d.path
            ));
        }
        out.insert(language, text);
    }
    out
}

#[test]
fn outlines_are_written_in_each_languages_own_syntax() {
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let snapshots = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/outlines");
    let mut dirs: Vec<_> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    let mut rendered: BTreeMap<String, String> = BTreeMap::new();
    for dir in dirs {
        let idx = tempfile::tempdir().unwrap();
        for (language, text) in render(&dir, idx.path()) {
            rendered.entry(language).or_default().push_str(&text);
        }
    }
    let with_grammar: Vec<&str> = codegraph_lang::Registry::builtin()
        .languages()
        .iter()
        .filter(|l| l.grammar().is_some())
        .map(|l| l.name.as_str())
        .collect();
    let missing: Vec<&&str> = with_grammar
        .iter()
        .filter(|l| !rendered.contains_key(**l))
        .collect();
    assert!(missing.is_empty(), "no fixture renders {missing:?}");
    let mut differ = Vec::new();
    for (language, text) in &rendered {
        let path = snapshots.join(format!("{language}.expected"));
        if update {
            std::fs::create_dir_all(&snapshots).unwrap();
            std::fs::write(&path, text).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&path).unwrap_or_default();
        if &expected != text {
            differ.push(format!("--- {language}\n{text}"));
        }
    }
    assert!(
        differ.is_empty(),
        "outlines differ from their snapshots (UPDATE_EXPECT=1 rewrites them):\n{}",
        differ.join("\n")
    );
    // Whatever the snapshots say: Python outlines are Python.
    let python = &rendered["python"];
    assert!(
        python.contains("class ") && !python.contains("//"),
        "{python}"
    );
}
