//! Snapshot tests: every file under `fixtures/` is parsed and its facts are
//! rendered as sorted text and compared with `tests/snapshots/`.

use codegraph_core::FileFacts;
use codegraph_lang::Registry;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// Facts as stable, reviewable text.
pub fn render(facts: &FileFacts) -> String {
    let mut s = String::new();
    let q = |i: Option<usize>| {
        i.map_or("-".to_owned(), |i| {
            facts.definitions[i].qualified_name.clone()
        })
    };
    writeln!(
        s,
        "language: {}  lines: {}",
        facts.language, facts.line_count
    )
    .unwrap();
    writeln!(s, "package: {:?}", facts.package).unwrap();
    writeln!(s, "doc: {:?}", facts.doc).unwrap();
    writeln!(s, "\n## definitions").unwrap();
    for d in &facts.definitions {
        writeln!(
            s,
            "{} {} L{}-{} parent={}\n    sig: {}\n    doc: {:?}",
            d.kind,
            d.qualified_name,
            d.span.start_line,
            d.span.end_line,
            q(d.parent),
            d.signature,
            d.doc
        )
        .unwrap();
    }
    writeln!(s, "\n## imports").unwrap();
    for i in &facts.imports {
        writeln!(
            s,
            "L{} module={} name={:?} alias={:?}{}",
            i.line,
            i.module,
            i.name,
            i.alias,
            if i.wildcard { " *" } else { "" }
        )
        .unwrap();
    }
    writeln!(s, "\n## calls").unwrap();
    for c in &facts.calls {
        writeln!(
            s,
            "L{}:{} {} recv={:?} in={}",
            c.line,
            c.column,
            c.name,
            c.receiver,
            q(c.enclosing)
        )
        .unwrap();
    }
    writeln!(s, "\n## inheritance").unwrap();
    for h in &facts.inheritance {
        writeln!(
            s,
            "L{} {} {} {} (def={})",
            h.line,
            h.subject,
            h.relation,
            h.base,
            q(h.subject_def)
        )
        .unwrap();
    }
    writeln!(s, "\n## chunks").unwrap();
    for c in &facts.chunks {
        let first = c.text.lines().next().unwrap_or("");
        writeln!(
            s,
            "{} L{}-{} part={} sym={} | {}",
            c.kind,
            c.span.start_line,
            c.span.end_line,
            c.part,
            q(c.def),
            first.trim()
        )
        .unwrap();
    }
    writeln!(s, "\n## diagnostics").unwrap();
    for d in &facts.diagnostics {
        writeln!(s, "L{} {}", d.line, d.message).unwrap();
    }
    s
}

#[test]
fn fixtures_snapshot() {
    let root = fixtures_root();
    let mut all = Vec::new();
    files(&root, &mut all);
    assert!(!all.is_empty(), "no fixtures under {}", root.display());
    let registry = Registry::builtin();
    let mut parsed = 0;
    for path in all {
        let rel = path
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(&path).unwrap();
        // By name, else by `#!` line (`bin/shop`).
        let Some(lang) = registry.detect(&path, text.as_bytes()) else {
            continue;
        };
        // Each fixtures/<lang>/ directory is a repository of its own.
        let in_repo = rel.split_once('/').map_or(rel.as_str(), |(_, rest)| rest);
        let facts = codegraph_parse::parse_file(lang, in_repo, &text);
        // Invariants that hold for every file.
        for c in &facts.chunks {
            assert!(
                c.span.start_line >= 1 && c.span.start_line <= c.span.end_line,
                "{rel}: {c:?}"
            );
            assert!(
                c.span.end_line <= facts.line_count.max(1),
                "{rel}: chunk past the end"
            );
        }
        for d in &facts.definitions {
            assert!(
                !d.name.is_empty() && d.qualified_name.ends_with(&d.name),
                "{rel}: {d:?}"
            );
        }
        let name = rel.replace('/', "__");
        insta::assert_snapshot!(name, render(&facts));
        parsed += 1;
    }
    assert!(parsed > 0);
}
