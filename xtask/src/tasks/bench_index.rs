//! `cargo xtask bench-index [NAME...] [--runs N]`: fresh and unchanged
//! indexing of each corpus beside `ctags -R` on the same tree.

use super::corpus::{apt_install, corpus};
use crate::measure::{dir_size, measure, median};
use crate::util::{bench_dir, build_cli};
use anyhow::{Result, bail};
use std::path::Path;
use std::process::Command;

pub fn bench_index(name: &str, runs: usize) -> Result<()> {
    let root = corpus(name)?;
    let bin = build_cli()?;
    if Command::new("ctags").arg("--version").output().is_err() {
        apt_install(&["universal-ctags"])?;
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "== bench-index {name}: {} ({cores} cores, {runs} runs, medians)",
        root.display()
    );
    let mut first = Vec::new();
    let mut second = Vec::new();
    let mut rss = Vec::new();
    let mut ctags_times = Vec::new();
    let mut last_summary = serde_json::Value::Null;
    let mut size = 0;
    for _ in 0..runs {
        // A directory of its own: `.bench/index-NAME` is the other benches'
        // index (bench-search embeds it once; bench-serve seeds from it).
        let idx = bench_dir().join(format!("index-fresh-{name}"));
        let _ = std::fs::remove_dir_all(&idx);
        let (t, peak, out) = measure(
            Command::new(&bin)
                .arg("index")
                .arg(&root)
                .arg("--index-dir")
                .arg(&idx)
                .args(["--json", "--no-embed"]),
        )?;
        first.push(t.as_secs_f64());
        rss.push(peak as f64);
        last_summary = serde_json::from_slice(&out)?;
        size = dir_size(&root, &idx);
        let (t2, _, out2) = measure(
            Command::new(&bin)
                .arg("index")
                .arg(&root)
                .arg("--index-dir")
                .arg(&idx)
                .args(["--json", "--no-embed"]),
        )?;
        second.push(t2.as_secs_f64());
        let again: serde_json::Value = serde_json::from_slice(&out2)?;
        if again["run"]["parsed"] != 0 {
            bail!("the unchanged re-index parsed files: {again}");
        }
        let tags = bench_dir().join(format!("ctags-{name}"));
        let language = if name == "jdk" { "Java" } else { "Python" };
        let (tc, _, _) = measure(
            Command::new("ctags")
                .args([
                    "-R",
                    "--fields=+K",
                    &format!("--languages={language}"),
                    "-f",
                ])
                .arg(&tags)
                .arg(&root),
        )?;
        ctags_times.push(tc.as_secs_f64());
    }
    let kinds = ctags_kinds(&bench_dir().join(format!("ctags-{name}")))?;
    let first_m = median(first);
    let second_m = median(second);
    let ctags_m = median(ctags_times);
    println!("codegraph index (fresh)     {:>8.2} s", first_m);
    println!(
        "ctags -R (same tree)        {:>8.2} s   ratio codegraph/ctags {:.2}",
        ctags_m,
        first_m / ctags_m
    );
    println!(
        "codegraph index (unchanged) {:>8.3} s   {:.1} % of fresh",
        second_m,
        100.0 * second_m / first_m
    );
    println!("peak RSS                    {:>8.1} MB", median(rss) / 1e6);
    println!("index size on disk          {:>8.1} MB", size as f64 / 1e6);
    println!("files                       {}", last_summary["files"]);
    println!("chunks                      {}", last_summary["chunks"]);
    println!(
        "definitions                 {}",
        last_summary["definitions"]
    );
    println!("skipped                     {}", last_summary["skipped"]);
    println!("ctags kinds                 {kinds:?}");
    let defs = &last_summary["definitions"];
    let ours = |k: &str| defs[k].as_u64().unwrap_or(0);
    let theirs = |k: &str| *kinds.get(k).unwrap_or(&0);
    if name == "jdk" {
        let our_methods = ours("method");
        let our_types = ours("class") + ours("interface") + ours("enum");
        let ctags_types =
            theirs("class") + theirs("interface") + theirs("enum") + theirs("annotation");
        println!(
            "methods                     codegraph {our_methods}  ctags {}  ({:+.1} %)",
            theirs("method"),
            pct(our_methods, theirs("method"))
        );
        println!(
            "classes (class+interface+enum+annotation) codegraph {our_types}  ctags {ctags_types}  ({:+.1} %)",
            pct(our_types, ctags_types)
        );
    } else {
        println!(
            "functions+methods           codegraph {}  ctags {}",
            ours("function") + ours("method"),
            theirs("function") + theirs("member")
        );
        println!(
            "classes                     codegraph {}  ctags {}",
            ours("class"),
            theirs("class")
        );
    }
    Ok(())
}

fn pct(ours: u64, theirs: u64) -> f64 {
    if theirs == 0 {
        0.0
    } else {
        100.0 * (ours as f64 - theirs as f64) / theirs as f64
    }
}

/// Counts ctags entries by kind (`--fields=+K` writes `kind:NAME`-less long kinds
/// as the 4th field).
fn ctags_kinds(tags: &Path) -> Result<std::collections::BTreeMap<String, u64>> {
    let text = std::fs::read_to_string(tags)?;
    let mut kinds = std::collections::BTreeMap::new();
    for line in text.lines().filter(|l| !l.starts_with("!_")) {
        // name \t file \t address;" \t kind ...
        if let Some((_, rest)) = line.split_once(";\"\t") {
            let kind = rest.split('\t').next().unwrap_or("");
            *kinds.entry(kind.to_owned()).or_insert(0) += 1;
        }
    }
    Ok(kinds)
}
