//! `cargo xtask bench-graph [NAME...]`: resolution cost and coverage,
//! `callers` and `map` latency, and a spot-check file of resolved calls.

use super::corpus::corpus;
use crate::measure::{Rng, percentile};
use crate::util::bench_dir;
use anyhow::{Context, Result};
use std::time::Instant;

pub fn bench_graph(name: &str) -> Result<()> {
    use codegraph::{Codegraph, IndexOptions, MapOptions, NoProgress};
    let root = corpus(name)?;
    let idx = bench_dir().join(format!("index-graph-{name}"));
    let _ = std::fs::remove_dir_all(&idx);
    let options = IndexOptions {
        index_dir: Some(idx.clone()),
        ..IndexOptions::default()
    };
    let mut cg = Codegraph::open(&root, options)?;
    let started = Instant::now();
    let report = cg.index(&NoProgress)?;
    let total = started.elapsed();
    let graph_report = report.graph.context("the graph was not built")?;
    let r = &graph_report.resolution;
    let pct = |n: u64| 100.0 * n as f64 / r.calls.max(1) as f64;
    println!("== bench-graph {name}: {}", root.display());
    println!(
        "index with resolution       {:>8.2} s (resolution {:.2} s)",
        total.as_secs_f64(),
        graph_report.elapsed_ms as f64 / 1000.0
    );
    println!(
        "call sites                  {}  resolved {:.1} %  inferred {:.1} %  unresolved {:.1} %",
        r.calls,
        pct(r.calls_resolved),
        pct(r.calls_inferred),
        pct(r.calls_unresolved)
    );
    println!(
        "imports                     {}  to files {}  external {}",
        r.imports, r.imports_to_files, r.imports_external
    );
    println!(
        "inheritance                 {}  resolved {}  inferred {}",
        r.inheritance, r.inheritance_resolved, r.inheritance_inferred
    );

    let t = Instant::now();
    let (nodes, _) = cg.graph_size()?;
    println!(
        "graph load                  {:>8.1} ms ({} nodes)",
        t.elapsed().as_secs_f64() * 1000.0,
        nodes
    );

    // callers, depth 1, on random definitions.
    let symbols: Vec<_> = cg.graph_facts()?.defs.iter().map(|d| d.id).collect();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut times = Vec::new();
    for _ in 0..2000 {
        let n = symbols[(rng.next() % symbols.len() as u64) as usize];
        let t = Instant::now();
        let callers = cg.callers_of(n, 1, false)?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        std::hint::black_box(callers);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    println!(
        "callers depth 1 (library)   p50 {:.4} ms  p99 {:.4} ms  (2000 random symbols)",
        percentile(&times, 0.5),
        percentile(&times, 0.99)
    );

    // Maps of 1,024 tokens: unfocused (the ranking is cached after the
    // first), then each focused on a different file (a personal ranking,
    // nothing cached between them).
    let files = cg.files()?;
    let mut time_maps = |label: &str, runs: usize, focused: bool| -> Result<()> {
        let mut times = Vec::new();
        for _ in 0..runs {
            let focus = if focused {
                vec![
                    files[(rng.next() % files.len() as u64) as usize]
                        .path
                        .clone(),
                ]
            } else {
                Vec::new()
            };
            let t = Instant::now();
            let map = cg.map(&MapOptions {
                budget_tokens: 1024,
                focus,
                ..MapOptions::default()
            })?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            std::hint::black_box(map);
        }
        times.sort_by(|a, b| a.total_cmp(b));
        println!(
            "{label:<28}p50 {:.1} ms  p99 {:.1} ms  ({runs} runs)",
            percentile(&times, 0.5),
            percentile(&times, 0.99)
        );
        Ok(())
    };
    time_maps("map --budget-tokens 1024", 20, false)?;
    time_maps("map focused on a file", 50, true)?;

    // 50 random resolved call edges with the call line and the callee's header.
    let edges: Vec<_> = cg
        .reference_edges()?
        .into_iter()
        .filter(|e| e.0 == codegraph::EdgeKind::Calls && e.3 == codegraph::Provenance::Resolved)
        .collect();
    let mut out = String::new();
    let mut picked = std::collections::BTreeSet::new();
    while picked.len() < 50.min(edges.len()) {
        picked.insert((rng.next() % edges.len() as u64) as usize);
    }
    for i in picked {
        let (_, caller, callee, _) = &edges[i];
        out.push_str(&format!("{caller}  ->  {callee}\n"));
        if let Ok(related) = cg.callers(callee, 1, true)
            && let Some(r) = related.iter().find(|r| &r.symbol == caller)
        {
            let text = std::fs::read_to_string(root.join(&r.path)).unwrap_or_default();
            let line = text
                .lines()
                .nth(r.call_line.saturating_sub(1) as usize)
                .unwrap_or("")
                .trim();
            out.push_str(&format!("    call  {}:{}  {line}\n", r.path, r.call_line));
        }
        if let Ok(defs) = cg.find_symbol(callee) {
            for d in defs.iter().take(2) {
                out.push_str(&format!(
                    "    def   {}:{}  {}\n",
                    d.path, d.start_line, d.signature
                ));
            }
        }
    }
    let spot = bench_dir().join(format!("spot-check-{name}.txt"));
    std::fs::write(&spot, out)?;
    println!("spot check                  {}", spot.display());
    Ok(())
}
