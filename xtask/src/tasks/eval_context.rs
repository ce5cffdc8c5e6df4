//! `cargo xtask eval-context [NAME...]`: relevance hit@1/3/5 of the context
//! request at uses of names imported from another file of the repository.

use super::corpus::open_corpus_index;
use crate::measure::{Rng, percentile};
use anyhow::Result;
use codegraph::Codegraph;
use codegraph::core::{FileId, NodeRef};
use std::path::Path;

pub fn eval_context(name: &str) -> Result<()> {
    use codegraph::ContextRequest;
    let (root, cg) = open_corpus_index(name)?;
    let mut cases = import_cases(&cg, &root)?;
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    let mut sample = Vec::new();
    while sample.len() < 300 && !cases.is_empty() {
        let i = (rng.next() % cases.len() as u64) as usize;
        sample.push(cases.swap_remove(i));
    }
    let (mut h1, mut h3, mut h5) = (0, 0, 0);
    let mut times = Vec::new();
    for (path, line, column, name, def_files) in &sample {
        let r = cg.context(&ContextRequest {
            path: path.clone(),
            line: *line,
            column: *column,
            encoding: codegraph::ColumnEncoding::Utf8,
            budget_tokens: 8192,
            ..ContextRequest::default()
        })?;
        times.push(r.took_ms);
        let pos = r.structures.iter().position(|s| {
            def_files.contains(&s.path)
                && s.symbol.rsplit(['.', ':', '/']).next() == Some(name.as_str())
        });
        if let Some(p) = pos {
            h1 += usize::from(p < 1);
            h3 += usize::from(p < 3);
            h5 += usize::from(p < 5);
        }
    }
    times.sort_by(|a, b| a.total_cmp(b));
    let n = sample.len().max(1) as f64;
    println!(
        "== eval-context {name}: {} cursors after an imported name  hit@1 {:.3}  hit@3 {:.3}  hit@5 {:.3}  (p50 {:.2} ms, p99 {:.2} ms)",
        sample.len(),
        h1 as f64 / n,
        h3 as f64 / n,
        h5 as f64 / n,
        percentile(&times, 0.5),
        percentile(&times, 0.99)
    );
    Ok(())
}

/// A cursor after a use of an imported name: path, line, column, the name
/// and the files that define it.
type Case = (String, u32, u32, String, Vec<String>);

/// At each file's first use of each name it imports from another file of
/// the repository (where that name is defined), a cursor just after it.
fn import_cases(cg: &Codegraph, root: &Path) -> Result<Vec<Case>> {
    let facts = cg.graph_facts()?;
    let paths: std::collections::HashMap<FileId, String> =
        facts.files.iter().map(|f| (f.id, f.path.clone())).collect();
    // Imports that resolved to another file of the repository, by line.
    let mut targets: std::collections::HashMap<(FileId, u32), Vec<FileId>> = Default::default();
    for e in cg.stored_edges()? {
        if e.kind == codegraph::EdgeKind::Imports
            && let (NodeRef::File(_), NodeRef::File(dst)) = (e.src, e.dst)
        {
            targets.entry((e.file, e.line)).or_default().push(dst);
        }
    }
    let mut cases: Vec<Case> = Vec::new();
    let mut by_file: std::collections::BTreeMap<FileId, Vec<&codegraph::core::ImportFact>> =
        Default::default();
    for imp in &facts.imports {
        by_file.entry(imp.file_id).or_default().push(imp);
    }
    for (file_id, imps) in by_file {
        let Some(path) = paths.get(&file_id) else {
            continue;
        };
        let Ok(text) = std::fs::read_to_string(root.join(path)) else {
            continue;
        };
        let lines: Vec<&str> = text.lines().collect();
        let last_import = imps.iter().map(|i| i.line).max().unwrap_or(0);
        for imp in imps {
            let Some(local) = imp.alias.clone().or_else(|| imp.name.clone()) else {
                continue;
            };
            if local == "*" || local.len() < 2 {
                continue;
            }
            let Some(dsts) = targets.get(&(file_id, imp.line)) else {
                continue;
            };
            // The imported name must be defined in the file it resolved to.
            let name = imp.name.clone().unwrap_or_else(|| local.clone());
            let def_files: Vec<String> = dsts
                .iter()
                .filter_map(|d| paths.get(d))
                .filter(|p| {
                    cg.symbols_in_file(p)
                        .is_ok_and(|ds| ds.iter().any(|d| d.name == name))
                })
                .cloned()
                .collect();
            if def_files.is_empty() {
                continue;
            }
            // The first use after the imports.
            if let Some((l, col)) = lines
                .iter()
                .enumerate()
                .skip(last_import as usize)
                .find_map(|(l, line)| {
                    let t = line.trim_start();
                    if t.starts_with("import")
                        || t.starts_with("from ")
                        || t.starts_with("use ")
                        || t.starts_with("//")
                        || t.starts_with('#')
                        || t.starts_with('*')
                    {
                        return None;
                    }
                    word(line, &local).map(|c| (l, c))
                })
            {
                cases.push((path.clone(), l as u32, col as u32, name, def_files));
            }
        }
    }
    Ok(cases)
}

/// The end of the first whole-word occurrence of `n` in `line`.
fn word(line: &str, n: &str) -> Option<usize> {
    let b = line.as_bytes();
    let mut from = 0;
    while let Some(i) = line[from..].find(n) {
        let s = from + i;
        let e = s + n.len();
        let ok_l = s == 0 || !(b[s - 1].is_ascii_alphanumeric() || b[s - 1] == b'_');
        let ok_r = e == b.len() || !(b[e].is_ascii_alphanumeric() || b[e] == b'_');
        if ok_l && ok_r {
            return Some(e);
        }
        from = e;
    }
    None
}
