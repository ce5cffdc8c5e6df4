//! `cargo xtask bench-live`: saves on a copy of java.base, each followed by
//! the incremental update and queries that must reflect it.

use super::corpus::corpus;
use crate::measure::{Rng, median, percentile};
use crate::util::{bench_dir, run};
use anyhow::{Result, bail};
use codegraph::{Codegraph, DefKind, FileRow, IndexOptions, NoProgress, SearchMode, SearchOptions};
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

/// The copy of java.base being edited, its index open in this process.
struct Live {
    cg: Codegraph,
    root: PathBuf,
    files: Vec<FileRow>,
    rng: Rng,
}

pub fn bench_live() -> Result<()> {
    let src = corpus("jdk")?;
    let root = bench_dir().join("live-jdk");
    let idx = bench_dir().join("index-live-jdk");
    let _ = std::fs::remove_dir_all(&root);
    let _ = std::fs::remove_dir_all(&idx);
    run(Command::new("cp").arg("-r").arg(&src).arg(&root))?;
    let mut cg = Codegraph::open(
        &root,
        IndexOptions {
            index_dir: Some(idx),
            ..IndexOptions::default()
        },
    )?;
    cg.index(&NoProgress)?;
    let _ = cg.graph_size()?;
    // Files with a public method to call: `public ... name(` with no args.
    let files = cg.files()?;
    let rng = Rng(0x11FE_0000_1234_5678);
    let mut live = Live {
        cg,
        root,
        files,
        rng,
    };
    new_methods(&mut live)?;
    comment_lines(&mut live)
}

/// 20 saves adding a method that calls an existing one: the update, then a
/// lexical query must find the new method and `callers` must list it.
fn new_methods(live: &mut Live) -> Result<()> {
    let Live {
        cg,
        root,
        files,
        rng,
    } = live;
    let (mut total, mut update, mut search, mut callers, mut resolved) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut graph_ms = Vec::new();
    let mut done = 0;
    while done < 20 {
        let path = &files[(rng.next() % files.len() as u64) as usize].path;
        // One class per file, so the new method lands beside its target.
        let defs = cg.symbols_in_file(path)?;
        if defs
            .iter()
            .filter(|d| matches!(d.kind.as_str(), "class" | "interface" | "enum"))
            .count()
            != 1
        {
            continue;
        }
        let Some(target) = defs.into_iter().find(|d| {
            d.kind == DefKind::Method
                && d.signature.contains("()")
                && !d.signature.contains("static")
        }) else {
            continue;
        };
        let abs = root.join(path);
        let text = std::fs::read_to_string(&abs)?;
        let Some(end) = text.rfind('}') else { continue };
        let name = format!("cgLiveBench{done}");
        let edited = format!(
            "{}    void {name}() {{ {}(); }}\n{}",
            &text[..end],
            target.name,
            &text[end..]
        );
        let t = Instant::now();
        std::fs::write(&abs, edited)?;
        let report = cg.index(&NoProgress)?;
        let t_update = t.elapsed().as_secs_f64() * 1000.0;
        let hits = cg.search(&SearchOptions {
            query: name.clone(),
            mode: SearchMode::Lexical,
            k: 5,
            ..SearchOptions::default()
        })?;
        let t_search = t.elapsed().as_secs_f64() * 1000.0;
        let found = hits
            .results
            .iter()
            .any(|r| r.symbol.as_deref().is_some_and(|s| s.ends_with(&name)));
        let listed = cg
            .callers(&target.qualified_name, 1, false)
            .map(|c| c.iter().any(|r| r.symbol.ends_with(&name)))
            .unwrap_or(false);
        let t_all = t.elapsed().as_secs_f64() * 1000.0;
        if !found || !listed {
            bail!("edit {done} of {path}: search found it {found}, callers listed it {listed}");
        }
        update.push(t_update);
        search.push(t_search - t_update);
        callers.push(t_all - t_search);
        total.push(t_all);
        resolved.push(
            report
                .graph
                .as_ref()
                .and_then(|g| g.files_resolved)
                .unwrap_or(0) as f64,
        );
        graph_ms.push(report.graph.as_ref().map_or(0.0, |g| g.elapsed_ms as f64));
        done += 1;
    }
    println!("== bench-live java.base: 20 saves, one process holding the index (library)");
    show("save -> update committed (walk, parse, graph)", update);
    show("  of which the graph update", graph_ms);
    show("  then lexical query finds the new method", search);
    show("  then callers lists it (graph reload)", callers);
    show("save -> both queries answered", total);
    println!(
        "files re-resolved per update: median {:.0}",
        median(resolved)
    );

    Ok(())
}

/// 20 saves that change no interface.
fn comment_lines(live: &mut Live) -> Result<()> {
    let Live {
        cg,
        root,
        files,
        rng,
    } = live;
    // Edits that change no interface: a comment line inside a method moves
    // the lines after it; only that file is resolved again.
    let (mut total, mut update, mut resolved) = (Vec::new(), Vec::new(), Vec::new());
    let mut done = 0;
    while done < 20 {
        let f = &files[(rng.next() % files.len() as u64) as usize];
        let (path, language) = (&f.path, &f.language);
        if language != "java" {
            continue;
        }
        let Some(target) = cg
            .symbols_in_file(path)?
            .into_iter()
            .find(|d| d.kind == DefKind::Method && d.end_line > d.start_line + 1)
        else {
            continue;
        };
        let abs = root.join(path);
        let text = std::fs::read_to_string(&abs)?;
        let word = format!("qvmark{done}x");
        // A comment on the line after the method's first line.
        let mut lines: Vec<&str> = text.split('\n').collect();
        let at = (target.start_line as usize).min(lines.len());
        let comment = format!("// {word}");
        lines.insert(at, &comment);
        let t = Instant::now();
        std::fs::write(&abs, lines.join("\n"))?;
        let report = cg.index(&NoProgress)?;
        let t_update = t.elapsed().as_secs_f64() * 1000.0;
        let hits = cg.search(&SearchOptions {
            query: word.clone(),
            mode: SearchMode::Lexical,
            k: 3,
            ..SearchOptions::default()
        })?;
        let moved = cg
            .find_symbol(&target.qualified_name)?
            .iter()
            .any(|d| d.path == *path && d.end_line == target.end_line + 1);
        let _ = cg.callers(&target.qualified_name, 1, false);
        let t_all = t.elapsed().as_secs_f64() * 1000.0;
        if !hits.results.iter().any(|r| r.path == *path) || !moved {
            bail!(
                "edit of {path}: not reflected (search {:?}, symbol {:?}, target {:?})",
                hits.results.iter().map(|r| &r.path).collect::<Vec<_>>(),
                cg.find_symbol(&target.qualified_name)?
                    .iter()
                    .map(|d| (d.path.clone(), d.start_line, d.end_line))
                    .collect::<Vec<_>>(),
                (target.start_line, target.end_line)
            );
        }
        update.push(t_update);
        total.push(t_all);
        resolved.push(
            report
                .graph
                .as_ref()
                .and_then(|g| g.files_resolved)
                .unwrap_or(0) as f64,
        );
        done += 1;
    }
    println!("-- 20 saves that change no interface (a comment line in a method)");
    show("save -> update committed", update);
    show("save -> lexical, symbol and callers answered", total);
    println!(
        "files re-resolved per update: median {:.0}",
        median(resolved)
    );
    Ok(())
}

/// One line of figures: p50, p95 and max of `v`.
fn show(label: &str, mut v: Vec<f64>) {
    v.sort_by(|a, b| a.total_cmp(b));
    println!(
        "{label:<44} p50 {:>7.1} ms  p95 {:>7.1} ms  max {:>7.1} ms",
        percentile(&v, 0.5),
        percentile(&v, 0.95),
        v.last().copied().unwrap_or(0.0)
    );
}
