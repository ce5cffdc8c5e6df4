//! `cargo xtask oracle [CORPUS...]`: codegraph's call edges checked
//! against a compiler-grade oracle, Sourcegraph's SCIP indexers
//! (scip-python, built on pyright; scip-typescript, on the TypeScript
//! compiler).
//!
//! For each corpus: fetch it and the indexers ([`setup`]), build its SCIP
//! index and derive the oracle's call edges ([`derive`]), index the same
//! tree with the codegraph library ([`ours`]), put both on one key and
//! compare ([`compare`]). Stdout: a table per corpus of oracle edges,
//! codegraph's edges by provenance, precision of resolved and of inferred
//! edges, recall of resolved and of resolved+inferred; the disagreements,
//! with both source lines and a rough cause each, go to
//! `.bench/oracle-NAME-disagreements.txt`. Progress and step times on
//! stderr.
//!
//! Edges are pairs of definitions (a caller calling a callee at several
//! sites is one edge). A pair codegraph found at some site with `resolved`
//! provenance counts as resolved, otherwise as inferred.

mod compare;
mod derive;
mod ours;
mod scip;
pub(crate) mod setup;

use crate::util::bench_dir;
use anyhow::Result;
use std::collections::HashMap;
use std::time::Instant;

/// The corpora run when none is named.
pub const DEFAULT: &[&str] = &["httpx", "attrs", "marshmallow", "rxjs", "zod"];

/// One corpus's figures and step times.
struct Row {
    name: String,
    figures: compare::Figures,
    seconds: Vec<(&'static str, f64)>,
}

pub fn oracle(names: &[String]) -> Result<()> {
    let corpora = names
        .iter()
        .map(|n| setup::corpus(n))
        .collect::<Result<Vec<_>>>()?;
    let mut rows = Vec::new();
    for c in &corpora {
        rows.push(run_one(c)?);
    }
    print_table(&rows);
    Ok(())
}

fn run_one(c: &setup::Corpus) -> Result<Row> {
    let mut seconds = Vec::new();
    let mut step = |name: &'static str, started: Instant| {
        let s = started.elapsed().as_secs_f64();
        eprintln!("[{}] {name}: {s:.1} s", c.name);
        seconds.push((name, s));
    };

    let t = Instant::now();
    let root = setup::fetch(c)?;
    step("fetch", t);

    let t = Instant::now();
    let scip_path = setup::scip_index(c, &root)?;
    step("scip index", t);

    let t = Instant::now();
    let index = scip::read_index(&scip_path)?;
    let mut sources: HashMap<String, String> = HashMap::new();
    for doc in &index.documents {
        if let Ok(text) = std::fs::read_to_string(root.join(&doc.relative_path)) {
            sources.insert(doc.relative_path.clone(), text);
        }
    }
    let oracle = derive::derive(&index, c.lang, &|p| sources.get(p).cloned());
    drop(index);
    step("derive", t);
    let s = &oracle.stats;
    eprintln!(
        "[{}] oracle: {} documents, {} call tokens, {} to in-repository callables \
         ({} at module level), {} renamed (aliases), {} repaired (star re-exports), \
         {} through module-level aliases, \
         {} definition-like tokens skipped, {} callable definitions without an enclosing range",
        c.name,
        s.documents,
        s.call_tokens,
        s.calls_in_repo,
        s.module_level,
        s.renamed,
        s.repaired,
        s.aliased,
        s.def_like,
        s.defs_without_range
    );

    let t = Instant::now();
    let ours = ours::index(c.name, &root)?;
    step("codegraph index", t);
    eprintln!(
        "[{}] codegraph: {} call edges to definitions, {} from module level dropped, {} callers lifted from variables",
        c.name,
        ours.edges.len(),
        ours.module_level,
        ours.lifted
    );

    let t = Instant::now();
    let texts: compare::Texts = sources
        .into_iter()
        .map(|(p, t)| (p, t.lines().map(str::to_owned).collect()))
        .collect();
    let (figures, report) = compare::compare(&oracle, &ours, &texts);
    let path = bench_dir().join(format!("oracle-{}-disagreements.txt", c.name));
    std::fs::write(&path, report)?;
    step("compare", t);
    eprintln!(
        "[{}] definitions matched to SCIP symbols: {}/{}; codegraph edges outside the shared files: {}; \
         to a variable, constant or what the oracle has as no callable (left out): {}; \
         to a nested function the oracle calls local (left out): {}; \
         callers lifted to the oracle's scope: {}; super() calls (left out): {}; disagreements: {}",
        c.name,
        figures.defs_matched,
        figures.defs_shared,
        figures.outside,
        figures.to_values,
        figures.to_locals,
        figures.lifted_unscoped,
        figures.super_calls,
        path.display()
    );
    Ok(Row {
        name: c.name.to_owned(),
        figures,
        seconds,
    })
}

fn print_table(rows: &[Row]) {
    let pct = |x: f64| {
        if x.is_nan() {
            "-".to_owned()
        } else {
            format!("{:.1} %", 100.0 * x)
        }
    };
    println!(
        "{:<12} {:>8} {:>9} {:>9} {:>10} {:>10} {:>10} {:>10}",
        "corpus", "oracle", "resolved", "inferred", "prec res", "prec inf", "rec res", "rec r+i"
    );
    for r in rows {
        let f = &r.figures;
        println!(
            "{:<12} {:>8} {:>9} {:>9} {:>10} {:>10} {:>10} {:>10}",
            r.name,
            f.oracle,
            f.resolved,
            f.inferred,
            pct(f.precision_resolved()),
            pct(f.precision_inferred()),
            pct(f.recall_resolved()),
            pct(f.recall_any()),
        );
    }
    println!();
    let steps: Vec<&str> = rows
        .first()
        .map(|r| r.seconds.iter().map(|(n, _)| *n).collect())
        .unwrap_or_default();
    print!("{:<12}", "seconds");
    for s in &steps {
        print!(" {s:>16}");
    }
    println!();
    for r in rows {
        print!("{:<12}", r.name);
        for (_, s) in &r.seconds {
            print!(" {s:>16.1}");
        }
        println!();
    }
}
