//! `cargo xtask live-equivalence [CORPUS...]`: a watcher follows a burst of
//! edits, additions, deletions and renames on a copy of a real corpus;
//! afterwards its index must equal a fresh index of the final tree — files,
//! definitions, chunks, graph edges and BM25 hits for a set of queries.

use super::corpus::corpus;
use crate::measure::Rng;
use crate::util::{bench_dir, run};
use anyhow::{Result, bail};
use codegraph::{Codegraph, IndexOptions, NoProgress, SearchMode, SearchOptions, WatchOptions};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

fn open(root: &Path, idx: &Path) -> Result<Codegraph> {
    Ok(Codegraph::open(
        root,
        IndexOptions {
            index_dir: Some(idx.to_owned()),
            ..IndexOptions::default()
        },
    )?)
}

/// Everything a query can see, in comparable form.
#[derive(PartialEq)]
struct Seen {
    files: BTreeSet<String>,
    definitions: BTreeSet<String>,
    chunks: BTreeSet<codegraph::core::ChunkId>,
    edges: BTreeSet<String>,
    hits: BTreeSet<String>,
}

fn seen(cg: &Codegraph, queries: &[String]) -> Result<Seen> {
    let files: BTreeSet<String> = cg.files()?.into_iter().map(|f| f.path).collect();
    let mut definitions = BTreeSet::new();
    let mut chunks = BTreeSet::new();
    for f in &files {
        for d in cg.symbols_in_file(f)? {
            definitions.insert(format!(
                "{f} {} {} {}",
                d.qualified_name, d.kind, d.start_line
            ));
        }
        for c in cg.chunks_in_file(f)? {
            chunks.insert(c.id);
        }
    }
    let edges = cg
        .reference_edges()?
        .into_iter()
        .map(|(k, a, b, p)| format!("{} {a} -> {b} {p}", k.as_str()))
        .collect();
    let mut hits = BTreeSet::new();
    for q in queries {
        let r = cg.search(&SearchOptions {
            query: q.clone(),
            mode: SearchMode::Lexical,
            k: 11,
            ..SearchOptions::default()
        })?;
        // The top 10 as a set, without the group tied with the 11th: which
        // of equally scored documents make the cut depends on document order.
        let score = |h: &codegraph::SearchResult| h.ranks.lexical.as_ref().map_or(0.0, |r| r.score);
        let cutoff = r.results.get(10).map_or(f32::MIN, score);
        for h in r.results.iter().take(10).filter(|h| score(h) > cutoff) {
            hits.insert(format!("{q}: {}:{}", h.path, h.start_line));
        }
    }
    Ok(Seen {
        files,
        definitions,
        chunks,
        edges,
        hits,
    })
}

fn diff<T: Ord + std::fmt::Debug>(what: &str, a: &BTreeSet<T>, b: &BTreeSet<T>) -> usize {
    let missing: Vec<&T> = b.difference(a).take(5).collect();
    let extra: Vec<&T> = a.difference(b).take(5).collect();
    let n = b.difference(a).count() + a.difference(b).count();
    if n > 0 {
        eprintln!("  {what}: {n} differ; missing {missing:?}; extra {extra:?}");
    }
    n
}

fn code_files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if matches!(
                p.extension().and_then(|x| x.to_str()),
                Some("py" | "rs" | "java" | "ts" | "go")
            ) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// A function definition in the file's language.
fn added_function(path: &Path, name: &str) -> String {
    match path.extension().and_then(|x| x.to_str()) {
        Some("py") => format!("\n\ndef {name}(value):\n    return helper_{name}(value)\n"),
        Some("rs") => format!("\n\npub fn {name}(value: u32) -> u32 {{\n    value + 1\n}}\n"),
        Some("go") => format!("\n\nfunc {name}(value int) int {{\n\treturn value + 1\n}}\n"),
        Some("ts") => format!(
            "\n\nexport function {name}(value: number): number {{\n  return value + 1;\n}}\n"
        ),
        _ => format!("\n// {name}\n"),
    }
}

pub fn live_equivalence(names: &[String]) -> Result<()> {
    for name in names {
        one_corpus(name)?;
    }
    Ok(())
}

/// What [`changes`] did to the tree.
struct Changes {
    /// Words to search for: a few common ones and the added functions.
    queries: Vec<String>,
    edits: usize,
    adds: usize,
    deletes: usize,
    renames: usize,
}

/// Edits, additions, deletions and renames of code files under `root`, in
/// 12 bursts of 6.
fn changes(root: &Path, name: &str) -> Result<Changes> {
    let mut files = code_files(root);
    let mut rng = Rng(0x5EED_0000_0000_0042 ^ name.len() as u64);
    let mut queries: Vec<String> = vec!["error".into(), "config".into(), "request".into()];
    let (mut edits, mut adds, mut deletes, mut renames) = (0, 0, 0, 0);
    for burst in 0..12 {
        for step in 0..6 {
            let i = (rng.next() % files.len() as u64) as usize;
            let path = files[i].clone();
            match (burst + step) % 4 {
                0 => {
                    let fname = format!("cg_eq_edit_{burst}_{step}");
                    let mut text = std::fs::read_to_string(&path).unwrap_or_default();
                    text.push_str(&added_function(&path, &fname));
                    std::fs::write(&path, text)?;
                    queries.push(fname);
                    edits += 1;
                }
                1 => {
                    let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
                    let ext = path.extension().unwrap().to_string_lossy().into_owned();
                    let copy = path.with_file_name(format!("{stem}_cgcopy{burst}{step}.{ext}"));
                    std::fs::copy(&path, &copy)?;
                    files.push(copy);
                    adds += 1;
                }
                2 => {
                    std::fs::remove_file(&path)?;
                    files.remove(i);
                    deletes += 1;
                }
                _ => {
                    let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
                    let ext = path.extension().unwrap().to_string_lossy().into_owned();
                    let to = path.with_file_name(format!("{stem}_cgmoved{burst}{step}.{ext}"));
                    std::fs::rename(&path, &to)?;
                    files[i] = to;
                    renames += 1;
                }
            }
        }
        std::thread::sleep(Duration::from_millis(if burst % 3 == 0 { 20 } else { 250 }));
    }
    Ok(Changes {
        queries,
        edits,
        adds,
        deletes,
        renames,
    })
}

/// The watched copy of one corpus against a fresh index of its final tree.
fn one_corpus(name: &str) -> Result<()> {
    let src = corpus(name)?;
    let root = bench_dir().join(format!("live-eq-{name}"));
    let idx = bench_dir().join(format!("index-live-eq-{name}"));
    let fresh_idx = bench_dir().join(format!("index-live-eq-fresh-{name}"));
    for d in [&root, &idx, &fresh_idx] {
        let _ = std::fs::remove_dir_all(d);
    }
    run(Command::new("cp").arg("-r").arg(&src).arg(&root))?;
    let root = root.canonicalize()?;

    // The watcher, in its own thread, as `codegraph watch` runs it.
    let stop = Arc::new(AtomicBool::new(false));
    let (tx, rx) = std::sync::mpsc::channel::<(usize, Vec<String>)>();
    let watcher = {
        let (root, idx, stop) = (root.clone(), idx.clone(), stop.clone());
        std::thread::spawn(move || -> Result<()> {
            let mut cg = open(&root, &idx)?;
            let options = WatchOptions {
                quiet: Duration::from_millis(100),
                embed: false,
                ..WatchOptions::default()
            };
            cg.watch(&options, &NoProgress, &stop, |_, u| {
                let _ = tx.send((u.report.run.parsed as usize, u.paths.clone()));
            })?;
            Ok(())
        })
    };
    let started = Instant::now();
    rx.recv_timeout(Duration::from_secs(600))?;
    eprintln!(
        "{name}: watching after {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // The changes, in bursts.
    let Changes {
        queries,
        edits,
        adds,
        deletes,
        renames,
    } = changes(&root, name)?;
    // Settle: no update for 3 s.
    let mut updates = 0;
    while let Ok(_u) = rx.recv_timeout(Duration::from_secs(3)) {
        updates += 1;
    }
    stop.store(true, Ordering::Relaxed);
    match watcher.join() {
        Ok(r) => r?,
        Err(_) => bail!("the watcher panicked"),
    }
    eprintln!(
        "{name}: {edits} edits, {adds} additions, {deletes} deletions, {renames} renames in {updates} updates"
    );

    // Scores count deleted documents until segments merge: merge, so
    // hits compare exactly (the fresh index has nothing deleted).
    let mut watched_cg = open(&root, &idx)?;
    watched_cg.compact_search_index()?;
    let watched = seen(&watched_cg, &queries)?;
    let mut fresh_cg = open(&root, &fresh_idx)?;
    fresh_cg.index(&NoProgress)?;
    let fresh = seen(&fresh_cg, &queries)?;
    let n = diff("files", &watched.files, &fresh.files)
        + diff("definitions", &watched.definitions, &fresh.definitions)
        + diff("chunks", &watched.chunks, &fresh.chunks)
        + diff("edges", &watched.edges, &fresh.edges)
        + diff("BM25 hits", &watched.hits, &fresh.hits);
    println!(
        "{name}: watched index vs fresh index of the final tree: {} files, {} definitions, {} chunks, {} edges, {} hits for {} queries: {}",
        fresh.files.len(),
        fresh.definitions.len(),
        fresh.chunks.len(),
        fresh.edges.len(),
        fresh.hits.len(),
        queries.len(),
        if n == 0 {
            "equal".to_owned()
        } else {
            format!("{n} differences")
        }
    );
    if n > 0 || watched != fresh {
        bail!("{name}: the watched index differs from a fresh one");
    }
    Ok(())
}
