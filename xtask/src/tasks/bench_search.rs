//! `cargo xtask bench-search [NAME]`: lexical latency beside `rg -l`, then
//! embedding, hybrid latency, the CLI, index size and resident memory.

use super::corpus::corpus;
use super::eval_search::first_sentence;
use crate::measure::{Rng, percentile};
use crate::util::{bench_dir, build_cli};
use anyhow::{Context, Result};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

pub fn bench_search(name: &str, lexical_only: bool) -> Result<()> {
    use codegraph::{Codegraph, IndexOptions, NoProgress, SearchMode, SearchOptions};
    let root = corpus(name)?;
    let idx = bench_dir().join(format!("index-{name}"));
    let mut cg = Codegraph::open(
        &root,
        IndexOptions {
            index_dir: Some(idx.clone()),
            ..IndexOptions::default()
        },
    )?;
    cg.index(&NoProgress)?;
    // Queries: definition names and first doc sentences, sampled.
    let facts = cg.graph_facts()?;
    let mut rng = Rng(0x1234_5678_9ABC_DEF1);
    let mut queries = Vec::new();
    for _ in 0..300 {
        let d = &facts.defs[(rng.next() % facts.defs.len() as u64) as usize];
        queries.push(d.name.clone());
    }
    for _ in 0..200 {
        let d = &facts.defs[(rng.next() % facts.defs.len() as u64) as usize];
        if let Some(doc) = cg
            .find_symbol(&d.qualified_name)?
            .into_iter()
            .find_map(|r| r.doc)
            && let Some(q) = first_sentence(&doc)
        {
            queries.push(q);
        }
    }
    let mut times = Vec::new();
    let mut stages: std::collections::BTreeMap<String, Vec<f64>> = Default::default();
    for q in &queries {
        let t = Instant::now();
        let r = cg.search(&SearchOptions {
            query: q.clone(),
            k: 10,
            mode: SearchMode::Lexical,
            ..SearchOptions::default()
        })?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        for (stage, ms) in &r.stages {
            stages.entry(stage.clone()).or_default().push(*ms);
        }
    }
    times.sort_by(|a, b| a.total_cmp(b));
    println!(
        "== bench-search {name}: {} queries ({} identifiers, the rest doc sentences)",
        queries.len(),
        300
    );
    println!(
        "lexical (library, k=10)     p50 {:.2} ms  p99 {:.2} ms",
        percentile(&times, 0.5),
        percentile(&times, 0.99)
    );
    let stage_line: Vec<String> = stages
        .iter_mut()
        .map(|(stage, ms)| {
            ms.sort_by(|a, b| a.total_cmp(b));
            format!(
                "{stage} {:.2}/{:.2}",
                percentile(ms, 0.5),
                percentile(ms, 0.99)
            )
        })
        .collect();
    println!("stages p50/p99 ms: {}", stage_line.join("  "));
    if lexical_only {
        return Ok(());
    }
    // What an agent does without an index: rg -l for the query's words.
    let mut rg = Vec::new();
    for q in queries.iter().take(100) {
        let words: Vec<&str> = q
            .split_whitespace()
            .filter(|w| w.len() > 3)
            .take(3)
            .collect();
        let pattern = if words.is_empty() {
            q.clone()
        } else {
            words.join("|")
        };
        let t = Instant::now();
        let _ = Command::new("rg")
            .args(["-l", "-i", "-e", &pattern])
            .arg(&root)
            .stdout(Stdio::null())
            .status();
        rg.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    rg.sort_by(|a, b| a.total_cmp(b));
    println!(
        "rg -l (same words, 100 q)   p50 {:.1} ms  p99 {:.1} ms   ratio rg/codegraph at p50 {:.0}x",
        percentile(&rg, 0.5),
        percentile(&rg, 0.99),
        percentile(&rg, 0.5) / percentile(&times, 0.5).max(1e-9)
    );
    drop(cg);
    bench_search_hybrid(&root, &idx, &queries)
}

/// Embeds the whole corpus (timed), then hybrid latency in the library and
/// both modes through the CLI, index size and resident memory.
fn bench_search_hybrid(root: &Path, idx: &Path, queries: &[String]) -> Result<()> {
    use codegraph::{Codegraph, IndexOptions, NoProgress, SearchMode, SearchOptions};
    let options = || IndexOptions {
        index_dir: Some(idx.to_owned()),
        ..IndexOptions::default()
    };
    let mut cg = Codegraph::open(root, options())?;
    let Some(report) = cg.embed_pending(&NoProgress)? else {
        println!("hybrid: no embedding model (run `codegraph model install`)");
        return Ok(());
    };
    println!(
        "embedding: {} chunks embedded now in {:.1} s ({:.0} chunks/s); {}/{} chunks have vectors; HNSW build + save {:.1} s for {} points",
        report.embedded,
        report.elapsed_ms as f64 / 1000.0,
        report.chunks_per_second,
        report.chunks_with_vectors,
        report.chunks,
        report.vector_index_build_ms as f64 / 1000.0,
        report.vector_index_points
    );
    drop(cg);
    // A fresh process state: the first hybrid query loads the model and
    // the persisted HNSW dump.
    let cg = Codegraph::open(root, options())?;
    let search = |q: &str, mode| {
        cg.search(&SearchOptions {
            query: q.to_owned(),
            k: 10,
            mode,
            ..SearchOptions::default()
        })
    };
    let t = Instant::now();
    let first = search(&queries[0], SearchMode::Hybrid)?;
    println!(
        "first hybrid query (loads model + HNSW dump): {:.0} ms, vector coverage {:.3}",
        t.elapsed().as_secs_f64() * 1000.0,
        first.vector_coverage
    );
    let (mut times, mut embed) = (Vec::new(), Vec::new());
    for q in queries {
        let t = Instant::now();
        let r = search(q, SearchMode::Hybrid)?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        embed.push(r.stages.get("query_embedding_ms").copied().unwrap_or(0.0));
    }
    times.sort_by(|a, b| a.total_cmp(b));
    embed.sort_by(|a, b| a.total_cmp(b));
    println!(
        "hybrid (library, k=10, with the query's embedding)  p50 {:.2} ms  p99 {:.2} ms  (query embedding p50 {:.2} ms p99 {:.2} ms)",
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        percentile(&embed, 0.5),
        percentile(&embed, 0.99)
    );
    // A 5,000-character issue text.
    let long: String = queries.join(". ").chars().take(5000).collect();
    let mut long_times = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        search(&long, SearchMode::Hybrid)?;
        long_times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    long_times.sort_by(|a, b| a.total_cmp(b));
    println!(
        "hybrid, 5,000-char query (20 runs)                  p50 {:.2} ms  p99 {:.2} ms",
        percentile(&long_times, 0.5),
        percentile(&long_times, 0.99)
    );
    let _ = cg.graph_size()?;
    println!(
        "index on disk {:.0} MB (SQLite + BM25 + HNSW); RSS of this process holding BM25, HNSW, model and graph: {:.0} MB",
        cg.status()?.size_on_disk as f64 / 1e6,
        codegraph::process::resident_memory().unwrap_or(0) as f64 / 1e6
    );
    drop(cg);
    // Through the CLI: one process per query (start-up, model load included
    // in wall time; took_ms is the search itself).
    let bin = build_cli()?;
    for (label, mode) in [("lexical", "lexical"), ("hybrid", "hybrid")] {
        let (mut took, mut wall) = (Vec::new(), Vec::new());
        for q in queries.iter().step_by(10) {
            let t = Instant::now();
            let out = Command::new(&bin)
                .args(["query", q, "--json", "--mode", mode])
                .arg(root)
                .arg("--index-dir")
                .arg(idx)
                .stderr(Stdio::null())
                .output()?;
            wall.push(t.elapsed().as_secs_f64() * 1000.0);
            let v: serde_json::Value = serde_json::from_slice(&out.stdout)
                .with_context(|| format!("codegraph query {q:?} printed no JSON"))?;
            took.push(v["took_ms"].as_f64().unwrap_or(f64::NAN));
        }
        took.sort_by(|a, b| a.total_cmp(b));
        wall.sort_by(|a, b| a.total_cmp(b));
        println!(
            "CLI {label:<7} ({} q)  took_ms p50 {:.2} p99 {:.2}   process wall p50 {:.0} ms p99 {:.0} ms",
            took.len(),
            percentile(&took, 0.5),
            percentile(&took, 0.99),
            percentile(&wall, 0.5),
            percentile(&wall, 0.99)
        );
    }
    Ok(())
}
