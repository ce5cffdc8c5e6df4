//! `cargo xtask eval-search [NAME...] [--queries N]`: search quality on
//! queries mined from docs, asked of a copy of the corpus without its docs.

use super::corpus::corpus;
use crate::measure::{Rng, percentile};
use crate::util::bench_dir;
use anyhow::Result;
use codegraph::DefKind;
use std::path::Path;
use std::time::Instant;

/// Removes Python docstrings and Rust doc comments, so a query mined from a
/// doc cannot match the doc itself.
fn strip_docs(path: &Path, text: &str) -> String {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    match ext {
        "rs" => text
            .lines()
            .filter(|l| {
                let t = l.trim_start();
                !(t.starts_with("///")
                    || t.starts_with("//!")
                    || t.starts_with("#[doc")
                    || t.starts_with("#![doc"))
            })
            .map(|l| format!("{l}\n"))
            .collect(),
        "py" => {
            let mut out = String::with_capacity(text.len());
            let lines: Vec<&str> = text.lines().collect();
            let mut i = 0;
            let mut after_header = true; // the module docstring too
            while i < lines.len() {
                let t = lines[i].trim_start();
                let quote = ["\"\"\"", "\'\'\'", "r\"\"\"", "r\'\'\'"]
                    .iter()
                    .find(|q| t.starts_with(**q));
                if after_header && let Some(q) = quote {
                    let q = q.trim_start_matches('r');
                    let rest = &t[t.find(q).unwrap_or(0) + 3..];
                    let mut j = i;
                    if !rest.contains(q) {
                        j += 1;
                        while j < lines.len() && !lines[j].contains(q) {
                            j += 1;
                        }
                    }
                    // Keep the block valid: a `pass` where the docstring was.
                    let indent = &lines[i][..lines[i].len() - t.len()];
                    out.push_str(indent);
                    out.push_str("pass\n");
                    i = j + 1;
                    after_header = false;
                    continue;
                }
                if !t.is_empty() && !t.starts_with('#') && !t.starts_with('@') {
                    after_header = t.trim_end().ends_with(':')
                        && (t.starts_with("def ")
                            || t.starts_with("async def ")
                            || t.starts_with("class "));
                }
                out.push_str(lines[i]);
                out.push('\n');
                i += 1;
            }
            out
        }
        _ => text.to_owned(),
    }
}

fn copy_stripped(from: &Path, to: &Path) -> Result<usize> {
    let mut stripped = 0;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        let ft = entry.file_type()?;
        if ft.is_dir() {
            std::fs::create_dir_all(&target)?;
            stripped += copy_stripped(&entry.path(), &target)?;
        } else if ft.is_file() {
            match std::fs::read_to_string(entry.path()) {
                Ok(text) => {
                    let new = strip_docs(&entry.path(), &text);
                    stripped += usize::from(new != text);
                    std::fs::write(&target, new)?;
                }
                Err(_) => {
                    std::fs::copy(entry.path(), &target)?;
                }
            }
        }
    }
    Ok(stripped)
}

/// The first sentence of a doc, if it says enough to be a query.
pub fn first_sentence(doc: &str) -> Option<String> {
    let para = doc.split("\n\n").next()?.replace('\n', " ");
    let end = para.find(". ").map(|i| i + 1).unwrap_or(para.len());
    let s = para[..end].trim().trim_end_matches('.').to_owned();
    let words = s.split_whitespace().count();
    ((4..=40).contains(&words) && !s.contains("TODO")).then_some(s)
}

pub fn eval_search(name: &str, limit: usize) -> Result<()> {
    use codegraph::{Codegraph, IndexOptions, NoProgress, SearchMode, SearchOptions};
    let root = corpus(name)?;
    let copy = bench_dir().join(format!("eval-{name}"));
    let _ = std::fs::remove_dir_all(&copy);
    std::fs::create_dir_all(&copy)?;
    let stripped = copy_stripped(&root, &copy)?;
    // Queries from the original: documented functions and methods.
    let mut orig = Codegraph::open(
        &root,
        IndexOptions {
            index_dir: Some(bench_dir().join(format!("index-evalsrc-{name}"))),
            ..IndexOptions::default()
        },
    )?;
    orig.index(&NoProgress)?;
    let facts = orig.graph_facts()?;
    let mut queries: Vec<(String, String)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for d in &facts.defs {
        if !matches!(d.kind, DefKind::Function | DefKind::Method) {
            continue;
        }
        let Some(doc) = orig
            .find_symbol(&d.qualified_name)?
            .into_iter()
            .find_map(|r| r.doc)
        else {
            continue;
        };
        if let Some(q) = first_sentence(&doc)
            && seen.insert(q.clone())
        {
            queries.push((q, d.qualified_name.clone()));
        }
    }
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    let mut sample = Vec::new();
    while sample.len() < limit.min(queries.len()) {
        let i = (rng.next() % queries.len() as u64) as usize;
        sample.push(queries.swap_remove(i));
    }
    let mut cg = Codegraph::open(
        &copy,
        IndexOptions {
            index_dir: Some(bench_dir().join(format!("index-eval-{name}"))),
            ..IndexOptions::default()
        },
    )?;
    cg.index(&NoProgress)?;
    let embedded = cg.embed_pending(&NoProgress)?;
    println!(
        "== eval-search {name}: {} queries, {stripped} files stripped of docs",
        sample.len()
    );
    if let Some(e) = &embedded {
        println!(
            "embeddings: {} new in {:.1} s ({:.0} chunks/s), {}/{} chunks",
            e.embedded,
            e.elapsed_ms as f64 / 1000.0,
            e.chunks_per_second,
            e.chunks_with_vectors,
            e.chunks
        );
    }
    println!(
        "{:<8} {:>7} {:>6} {:>6} {:>6} {:>9} {:>9}",
        "mode", "MRR@10", "R@1", "R@5", "R@10", "p50 ms", "p99 ms"
    );
    // The modes, then the PageRank prior at a few weights (the default
    // weight is codegraph::DEFAULT_PAGERANK_WEIGHT).
    let runs = [
        ("lexical", SearchMode::Lexical, 0.0),
        ("vector", SearchMode::Vector, 0.0),
        ("hybrid", SearchMode::Hybrid, 0.0),
        ("lex+pr.2", SearchMode::Lexical, 0.2),
        ("hyb+pr.1", SearchMode::Hybrid, 0.1),
        ("hyb+pr.2", SearchMode::Hybrid, 0.2),
        ("hyb+pr.5", SearchMode::Hybrid, 0.5),
    ];
    for (label, mode, pagerank_weight) in runs {
        if mode != SearchMode::Lexical && embedded.is_none() {
            println!("{label:<8} (no embedding model: run `codegraph model install`)");
            continue;
        }
        let (mut mrr, mut r1, mut r5, mut r10) = (0.0, 0.0, 0.0, 0.0);
        let mut times = Vec::new();
        for (q, answer) in &sample {
            let t = Instant::now();
            let res = cg.search(&SearchOptions {
                query: q.clone(),
                k: 10,
                mode,
                pagerank_weight,
                ..SearchOptions::default()
            })?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            if let Some(pos) = res
                .results
                .iter()
                .position(|r| r.symbol.as_deref() == Some(answer.as_str()))
            {
                mrr += 1.0 / (pos + 1) as f64;
                r1 += f64::from(u8::from(pos < 1));
                r5 += f64::from(u8::from(pos < 5));
                r10 += 1.0;
            }
        }
        times.sort_by(|a, b| a.total_cmp(b));
        let n = sample.len().max(1) as f64;
        println!(
            "{:<8} {:>7.3} {:>6.3} {:>6.3} {:>6.3} {:>9.2} {:>9.2}",
            label,
            mrr / n,
            r1 / n,
            r5 / n,
            r10 / n,
            percentile(&times, 0.5),
            percentile(&times, 0.99)
        );
    }
    Ok(())
}
