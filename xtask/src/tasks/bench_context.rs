//! `cargo xtask bench-context [NAME]`: the completion-context request at 300
//! cursors after `receiver.`: latency, stages, CPU per request.

use super::corpus::open_corpus_index;
use crate::measure::{Rng, cpu_seconds, median, percentile};
use anyhow::Result;
use std::time::Instant;

pub fn bench_context(name: &str) -> Result<()> {
    use codegraph::ContextRequest;
    let (root, cg) = open_corpus_index(name)?;
    // Cursors: just after `receiver.` on lines of random files.
    let files = cg.files()?;
    let mut rng = Rng(0xC0FF_EE12_3456_789A);
    let mut cursors = Vec::new();
    let mut tries = 0;
    while cursors.len() < 300 && tries < 100_000 {
        tries += 1;
        let f = &files[(rng.next() % files.len() as u64) as usize];
        let (path, language) = (&f.path, &f.language);
        if matches!(
            language.as_str(),
            "markdown" | "text" | "json" | "yaml" | "toml"
        ) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(root.join(path)) else {
            continue;
        };
        let lines: Vec<&str> = text.lines().collect();
        if lines.is_empty() {
            continue;
        }
        let l = (rng.next() % lines.len() as u64) as usize;
        let line = lines[l];
        let Some(dot) = line.find('.').filter(|&i| {
            i > 0
                && line.as_bytes()[i - 1].is_ascii_alphanumeric()
                && !line.trim_start().starts_with(['*', '/', '#', '@'])
                && !line.trim_start().starts_with("import")
                && !line.trim_start().starts_with("package")
        }) else {
            continue;
        };
        cursors.push((path.clone(), l as u32, (dot + 1) as u32));
    }
    let request = |(path, line, column): &(String, u32, u32)| ContextRequest {
        path: path.clone(),
        line: *line,
        column: *column,
        encoding: codegraph::ColumnEncoding::Utf8,
        ..ContextRequest::default()
    };
    let t = Instant::now();
    let first = cg.context(&request(&cursors[0]))?;
    println!(
        "== bench-context {name}: {} cursors after `receiver.`; first request (loads every chunk's token ids) {:.0} ms",
        cursors.len(),
        t.elapsed().as_secs_f64() * 1000.0
    );
    let _ = first;
    let cpu0 = cpu_seconds();
    let wall0 = Instant::now();
    let mut times = Vec::new();
    let mut stages: std::collections::BTreeMap<String, Vec<f64>> = Default::default();
    let (mut scanned, mut considered, mut structures, mut snippets) =
        (Vec::new(), Vec::new(), 0usize, 0usize);
    for c in &cursors {
        let t = Instant::now();
        let r = cg.context(&request(c))?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        for (k, v) in &r.stats.stages {
            stages.entry(k.clone()).or_default().push(*v);
        }
        scanned.push(r.stats.candidates_scanned as f64);
        considered.push(r.stats.files_considered as f64);
        structures += usize::from(!r.structures.is_empty());
        snippets += r.snippets.len();
    }
    let cpu = cpu_seconds() - cpu0;
    let wall = wall0.elapsed().as_secs_f64();
    times.sort_by(|a, b| a.total_cmp(b));
    println!(
        "context request (library, budget 2048, k 8)  p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms",
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        times.last().copied().unwrap_or(0.0)
    );
    println!(
        "CPU per request {:.2} ms (wall {:.2} ms: {:.2} cores busy)",
        cpu * 1000.0 / cursors.len() as f64,
        wall * 1000.0 / cursors.len() as f64,
        cpu / wall
    );
    let stage_line: Vec<String> = stages
        .into_iter()
        .map(|(k, v)| format!("{k} {:.3}", median(v)))
        .collect();
    println!("stage medians: {}", stage_line.join(", "));
    println!(
        "median files ranked {:.0}, candidates scanned {:.0}; {} of {} requests returned structures; {:.1} snippets per request",
        median(considered),
        median(scanned),
        structures,
        cursors.len(),
        snippets as f64 / cursors.len() as f64
    );
    Ok(())
}
