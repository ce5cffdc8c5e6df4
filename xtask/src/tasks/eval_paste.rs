//! `cargo xtask eval-paste [NAME|DIR...] [--queries N]`: pasted text. A
//! developer pastes a line copied from a function's body, or a message
//! copied from a string literal, and expects grep's certainty: the
//! definition that contains it at rank 1.
//!
//! Queries: for sampled functions and methods, one body line (at least 25
//! characters, not a comment, found once in the whole corpus) and one string
//! literal (at least 12 characters with a space, found once, queried without
//! its quotes). A hit at k: one of the first k results is a chunk of the
//! same file whose lines contain the query's line.

use super::corpus::corpus;
use crate::measure::{Rng, percentile};
use crate::util::bench_dir;
use anyhow::{Context, Result};
use codegraph::{Codegraph, DefKind, IndexOptions, NoProgress, SearchMode, SearchOptions};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// One query and where its answer is.
#[derive(Debug, Clone)]
struct Paste {
    query: String,
    path: String,
    line: u32,
}

/// A trimmed line worth pasting: long enough, has letters, not a comment.
fn pasteable_line(t: &str) -> bool {
    t.len() >= 25
        && t.len() <= 200
        && t.chars().filter(|c| c.is_alphabetic()).count() >= 10
        && !["//", "#", "*", "/*", "--", ";", "\"\"\"", "'''"]
            .iter()
            .any(|p| t.starts_with(p))
}

/// Double-quoted literals on a line with at least 12 characters and a
/// space (messages, not identifiers), without escapes.
fn literals(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(start) = rest.find('"') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('"') else { break };
        let lit = &after[..end];
        if lit.len() >= 12
            && lit.contains(' ')
            && !lit.contains('\\')
            && lit.chars().filter(|c| c.is_alphabetic()).count() >= 8
        {
            out.push(lit);
        }
        rest = &after[end + 1..];
    }
    out
}

/// The corpus root for a name (`jdk`, `tokio`, ...) or a directory.
fn root_of(target: &str) -> Result<(String, PathBuf)> {
    let path = Path::new(target);
    if path.is_dir() {
        let label = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("dir")
            .to_owned();
        return Ok((label, path.canonicalize()?));
    }
    Ok((target.to_owned(), corpus(target)?))
}

/// Line and literal queries mined from the indexed corpus.
fn mine(cg: &Codegraph, root: &Path, limit: usize) -> Result<(Vec<Paste>, Vec<Paste>)> {
    let facts = cg.graph_facts()?;
    let paths: HashMap<_, _> = facts.files.iter().map(|f| (f.id, f.path.clone())).collect();
    let mut texts: HashMap<String, Vec<String>> = HashMap::new();
    let mut line_count: HashMap<String, u32> = HashMap::new();
    for f in &facts.files {
        let Ok(text) = std::fs::read_to_string(root.join(&f.path)) else {
            continue;
        };
        let lines: Vec<String> = text.lines().map(|l| l.trim().to_owned()).collect();
        for l in &lines {
            *line_count.entry(l.clone()).or_default() += 1;
        }
        texts.insert(f.path.clone(), lines);
    }
    let all_text: String = texts
        .values()
        .flat_map(|ls| ls.iter().map(|l| format!("{l}\n")))
        .collect();
    let mut lines = Vec::new();
    let mut strings = Vec::new();
    for d in &facts.defs {
        if !matches!(d.kind, DefKind::Function | DefKind::Method) || d.end_line < d.start_line + 3 {
            continue;
        }
        let Some(path) = paths.get(&d.file_id) else {
            continue;
        };
        let Some(file) = texts.get(path) else {
            continue;
        };
        // Body lines only: not the header, not the closing line.
        for n in (d.start_line + 1)..d.end_line {
            let Some(t) = file.get(n as usize - 1) else {
                break;
            };
            if pasteable_line(t) && line_count.get(t) == Some(&1) {
                lines.push(Paste {
                    query: t.clone(),
                    path: path.clone(),
                    line: n,
                });
            }
            for lit in literals(t) {
                if all_text.matches(lit).count() == 1 {
                    strings.push(Paste {
                        query: lit.to_owned(),
                        path: path.clone(),
                        line: n,
                    });
                }
            }
        }
    }
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut sample = |mut all: Vec<Paste>| {
        let mut out = Vec::new();
        while out.len() < limit && !all.is_empty() {
            let i = (rng.next() % all.len() as u64) as usize;
            out.push(all.swap_remove(i));
        }
        out
    };
    Ok((sample(lines), sample(strings)))
}

pub fn eval_paste(targets: &[String], limit: usize) -> Result<()> {
    println!(
        "{:<14} {:<8} {:<8} {:>5} {:>6} {:>6} {:>9} {:>9}",
        "corpus", "queries", "mode", "n", "@1", "@5", "p50 ms", "p99 ms"
    );
    for target in targets {
        let (label, root) = root_of(target)?;
        let mut cg = Codegraph::open(
            &root,
            IndexOptions {
                index_dir: Some(bench_dir().join(format!("index-paste-{label}"))),
                ..IndexOptions::default()
            },
        )
        .with_context(|| format!("opening {}", root.display()))?;
        cg.index(&NoProgress)?;
        let (lines, strings) = mine(&cg, &root, limit)?;
        let vectors = cg.status()?.embeddings.done > 0;
        for (what, pastes) in [("line", &lines), ("string", &strings)] {
            for mode in [SearchMode::Lexical, SearchMode::Hybrid] {
                if mode == SearchMode::Hybrid && !vectors {
                    continue;
                }
                let (mut at1, mut at5) = (0usize, 0usize);
                let mut times = Vec::new();
                for p in pastes.iter() {
                    let t = Instant::now();
                    let res = cg.search(&SearchOptions {
                        query: p.query.clone(),
                        k: 5,
                        mode,
                        ..SearchOptions::default()
                    })?;
                    times.push(t.elapsed().as_secs_f64() * 1000.0);
                    let pos = res.results.iter().position(|r| {
                        r.path == p.path && r.start_line <= p.line && p.line <= r.end_line
                    });
                    at1 += usize::from(pos == Some(0));
                    at5 += usize::from(pos.is_some());
                    if pos != Some(0) && std::env::var_os("EVAL_PASTE_MISSES").is_some() {
                        let first = res
                            .results
                            .first()
                            .map(|r| format!("{}:{}-{}", r.path, r.start_line, r.end_line));
                        eprintln!("miss {}:{} {:?} -> {first:?}", p.path, p.line, p.query);
                    }
                }
                times.sort_by(|a, b| a.total_cmp(b));
                let n = pastes.len().max(1) as f64;
                println!(
                    "{:<14} {:<8} {:<8} {:>5} {:>6.3} {:>6.3} {:>9.2} {:>9.2}",
                    label,
                    what,
                    format!("{mode:?}").to_lowercase(),
                    pastes.len(),
                    at1 as f64 / n,
                    at5 as f64 / n,
                    percentile(&times, 0.5),
                    percentile(&times, 0.99)
                );
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_are_messages_not_identifiers() {
        let line = r#"raise RuntimeError("Working outside of application context.") + "x" + "a\"b c d e f g h""#;
        assert_eq!(
            literals(line),
            vec!["Working outside of application context."]
        );
        assert!(literals(r#"let k = "snake_case_name_here";"#).is_empty());
    }

    #[test]
    fn pasteable_lines_are_code() {
        assert!(pasteable_line(
            "rv = self.ensure_sync(view_func)(**view_args)"
        ));
        assert!(!pasteable_line("// a comment that is long enough to count"));
        assert!(!pasteable_line("}"));
    }
}
