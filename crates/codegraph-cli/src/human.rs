//! What the commands print without `--json`: results on stdout, notes and
//! timings on stderr.
//!
//! Kinds are printed through their `Display`, which writes the string form
//! as it is (a width such as `{:<9}` does not pad it).

use crate::term::{self, outln};
use codegraph::{
    Codegraph, ContextResponse, DefinitionRow, EmbedReport, FileFacts, IndexReport, Related,
    SearchResponse, Stats, Status, Subgraph, WatchUpdate,
};
use std::collections::BTreeMap;
use std::fmt::Display;
use std::path::Path;

/// `index`: what the run did and what the index holds. `total_ms`: the
/// whole run, embedding included; `embed_ms`: the embedding part.
pub fn print_report(cg: &Codegraph, report: &IndexReport, total_ms: u64, embed_ms: Option<u64>) {
    let s = &report.stats;
    let r = &report.run;
    let embedding = match embed_ms {
        Some(ms) => format!(", embedding {:.2} s", ms as f64 / 1000.0),
        None => String::new(),
    };
    outln!(
        "indexed {} in {:.2} s (files {:.2} s{embedding}; parsed {}, unchanged {}, touched {}, removed {})",
        cg.root().display(),
        total_ms as f64 / 1000.0,
        report.elapsed_ms as f64 / 1000.0,
        r.parsed,
        r.unchanged,
        r.touched,
        r.removed
    );
    if let Some(why) = &report.rebuilt {
        outln!("rebuilt the index: {why}");
    }
    print_stats(s);
    outln!("index        {}", cg.index_dir().display());
}

/// `index`: what embedding did.
pub fn print_embed_report(e: &EmbedReport) {
    outln!(
        "embeddings   {} new, {}/{} chunks have vectors ({:.0} chunks/s), vector index {} points",
        e.embedded,
        e.chunks_with_vectors,
        e.chunks,
        e.chunks_per_second,
        e.vector_index_points
    );
}

/// `watch`: one line per applied update.
pub fn print_watch_update(u: &WatchUpdate) {
    let r = &u.report.run;
    outln!(
        "{} {} event(s) on {} path(s): {} parsed, {} removed, {} skipped, {} embedded; {} ms; RSS {:.0} MB",
        u.cause,
        u.events,
        u.paths.len(),
        r.parsed,
        r.removed,
        r.skipped,
        u.embedded,
        u.latency_ms,
        u.rss_bytes.unwrap_or(0) as f64 / 1e6
    );
}

/// Counts over the whole index, one line per kind of fact.
pub fn print_stats(s: &Stats) {
    let total_defs: u64 = s.definitions.values().sum();
    let total_skipped: u64 = s.skipped.values().sum();
    outln!(
        "files        {:<8} {}",
        s.files,
        join_counts(&s.files_by_language)
    );
    outln!(
        "definitions  {:<8} {}",
        total_defs,
        join_counts(&s.definitions)
    );
    outln!("chunks       {}", s.chunks);
    outln!("imports      {}", s.imports);
    outln!("calls        {}", s.calls);
    outln!("inheritance  {}", s.inheritance);
    outln!(
        "skipped      {:<8} {}",
        total_skipped,
        join_counts(&s.skipped)
    );
    outln!(
        "diagnostics  {:<8} in {} files (codegraph status --verbose lists them)",
        s.diagnostics,
        s.files_with_diagnostics
    );
}

/// `status`: the repository, the index's counts and health, the watcher.
pub fn print_status(status: &Status) {
    let repo = &status.repository;
    outln!("repository   {}", repo.root);
    if let Some(url) = &repo.remote_url {
        outln!("remote       {url}");
    }
    match (&status.indexed_head, &status.current_head) {
        (Some(indexed), Some(current)) if indexed != current => {
            outln!("head         {current} (index built at {indexed}: run `codegraph index`)")
        }
        (_, Some(current)) => outln!("head         {current}"),
        _ => {}
    }
    if let Some(readme) = &repo.readme {
        outln!("readme       {}", readme.lines().next().unwrap_or(""));
    }
    print_stats(&status.stats);
    let e = &status.embeddings;
    if e.installed {
        outln!(
            "embeddings   {}/{} chunks ({:.1} %), {} pending, model {}",
            e.done,
            e.done + e.pending,
            e.coverage * 100.0,
            e.pending,
            e.model
        );
    } else {
        outln!("embeddings   no model installed: search is lexical (`codegraph model install`)");
    }
    if !status.graph_current || status.search_pending > 0 {
        outln!(
            "pending      graph {}, {} file(s) awaiting the search index: run `codegraph index`",
            if status.graph_current {
                "current"
            } else {
                "out of date"
            },
            status.search_pending
        );
    }
    for problem in &status.problems {
        outln!("problem      {problem}");
    }
    outln!("format       v{}", status.format_version);
    outln!(
        "index        {} ({:.1} MB)",
        status.index_dir,
        status.size_on_disk as f64 / 1e6
    );
    match status.last_indexed {
        Some(t) => outln!(
            "last indexed {} UTC, took {:.2} s",
            format_unix(t),
            status.last_index_ms.unwrap_or(0) as f64 / 1000.0
        ),
        None => outln!("last indexed never: run `codegraph index`"),
    }
    print_watcher(status);
}

fn print_watcher(status: &Status) {
    let Some(w) = &status.watcher else {
        outln!("watcher      none has run (`codegraph watch`)");
        return;
    };
    let mut line = format!("watcher      {} (pid {}", w.state, w.pid);
    if let Some(t) = w.last_update_at {
        line.push_str(&format!(
            ", {} update(s), last {} UTC took {} ms",
            w.updates,
            format_unix(t),
            w.last_update_ms.unwrap_or(0)
        ));
    }
    if let Some(rss) = w.rss_bytes {
        line.push_str(&format!(", resident {:.0} MB", rss as f64 / 1e6));
    }
    if let Some(budget) = w.memory_budget {
        line.push_str(&format!(
            " of {:.0} MB budget, {} eviction(s)",
            budget as f64 / 1e6,
            w.evictions
        ));
    }
    outln!("{line})");
}

/// `status --verbose`: every skipped file and why.
pub fn print_skipped(skipped: &[codegraph::Skipped]) {
    for s in skipped {
        outln!("skipped  {}  {} ({})", s.path, s.reason, s.detail);
    }
}

/// `status --verbose`: every parse diagnostic.
pub fn print_diagnostics(diagnostics: &[codegraph::Diagnostic]) {
    for d in diagnostics {
        outln!("diagnostic  {}:{}  {}", d.path, d.line, d.message);
    }
}

/// `symbols FILE`: each definition with its signature; diagnostics on
/// stderr. `file` as the user named it.
pub fn print_facts(file: &Path, facts: &FileFacts) {
    for d in &facts.definitions {
        outln!(
            "{}:{}-{}  {:<9} {}\n    {}",
            file.display(),
            d.span.start_line,
            d.span.end_line,
            d.kind,
            d.qualified_name,
            d.signature
        );
    }
    for diag in &facts.diagnostics {
        eprintln!("{}:{}: {}", file.display(), diag.line, diag.message);
    }
}

/// `symbol`: each definition with its signature and the first line of its
/// doc.
pub fn print_definitions(defs: &[DefinitionRow]) {
    for d in defs {
        outln!(
            "{}  {:<9} {}\n    {}",
            term::location(&d.path, d.start_line, 1),
            d.kind,
            d.qualified_name,
            d.signature
        );
        if let Some(doc) = d.doc.as_deref().and_then(|d| d.lines().next()) {
            outln!("    {doc}");
        }
    }
}

/// `callers`, `callees`: one line each, indented by depth.
pub fn print_related(items: &[Related]) {
    for r in items {
        outln!(
            "{}{}  {}  [{}{}]",
            "  ".repeat(r.depth.saturating_sub(1)),
            term::location(&r.path, r.line, 1),
            r.symbol,
            r.provenance,
            if r.call_line > 0 {
                format!(", call at line {}", r.call_line)
            } else {
                String::new()
            }
        );
    }
}

/// `imports`, `importers`: each file (or external module) and the line.
pub fn print_files(items: &[(String, u32)]) {
    for (path, line) in items {
        outln!("{path}  (line {line})");
    }
}

/// `neighbors`: the nodes with their distance, then the edges.
pub fn print_subgraph(sub: &Subgraph) {
    for n in &sub.nodes {
        outln!("{}  {}", n.hops, n.key);
    }
    for e in &sub.edges {
        outln!(
            "{} -{}-> {} ({})",
            e.from,
            e.kind.as_str(),
            e.to,
            e.provenance
        );
    }
}

/// `tree`: directories indented by depth, with their file counts.
pub fn print_tree(dirs: &[(String, u64)]) {
    for (dir, count) in dirs {
        let level = if dir.is_empty() {
            0
        } else {
            dir.matches('/').count() + 1
        };
        let name = if dir.is_empty() {
            "."
        } else {
            dir.rsplit('/').next().unwrap_or(dir)
        };
        outln!("{}{name}/  {count} files", "  ".repeat(level));
    }
}

/// `query`: the results with their snippets; the count and time on stderr.
/// Each result's location is its first line that matches a query word
/// (`path:line:col`), else its first line; matches are highlighted when
/// colour is on.
pub fn print_search(response: &SearchResponse) {
    let terms = term::query_terms(&response.query);
    for (i, r) in response.results.iter().enumerate() {
        let (line, col) = r
            .snippet
            .lines()
            .find_map(|l| {
                let (number, text) = split_snippet_line(l)?;
                let (_, col) = term::first_match(text, &terms)?;
                Some((number, col))
            })
            .unwrap_or((r.start_line, 1));
        outln!(
            "{:>2}. {}  {}  [{}]  {:.4}",
            i + 1,
            term::location(&r.path, line, col),
            r.symbol.as_deref().unwrap_or(""),
            r.kind,
            r.score
        );
        for l in r.snippet.lines() {
            match split_snippet_line(l) {
                Some((number, text)) => {
                    outln!("      {number}: {}", term::highlight(text, &terms))
                }
                None => outln!("      {}", term::highlight(l, &terms)),
            }
        }
    }
    eprintln!(
        "{} results in {:.1} ms",
        response.results.len(),
        response.took_ms
    );
}

/// A snippet line `12: text` as (12, `text`).
fn split_snippet_line(line: &str) -> Option<(u32, &str)> {
    let (number, text) = line.split_once(": ")?;
    Some((number.parse().ok()?, text))
}

/// `context`: structures, then snippets; what it cost on stderr.
pub fn print_context(response: &ContextResponse) {
    for s in &response.structures {
        outln!(
            "== {}:{}-{}  {} [{}] ({})",
            s.path,
            s.start_line,
            s.end_line,
            s.symbol,
            s.kind,
            s.reason
        );
        outln!("{}", s.text);
    }
    for s in &response.snippets {
        outln!(
            "-- {}:{}-{}  similarity {:.3}",
            s.path,
            s.start_line,
            s.end_line,
            s.score
        );
        outln!("{}", s.text);
    }
    let st = &response.stats;
    eprintln!(
        "{} structures, {} snippets, {} tokens; {} files ranked, {} kept, {} candidates scanned; {:.1} ms",
        response.structures.len(),
        response.snippets.len(),
        st.tokens_used,
        st.files_considered,
        st.files_kept,
        st.candidates_scanned,
        response.took_ms
    );
}

/// `python 6, rust 3`: counts, largest first, ties by key.
fn join_counts<K: Display + Ord>(map: &BTreeMap<K, u64>) -> String {
    let mut items: Vec<_> = map.iter().collect();
    items.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    items
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `YYYY-MM-DD HH:MM:SS` for unix seconds (UTC).
fn format_unix(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_unix_times() {
        assert_eq!(format_unix(0), "1970-01-01 00:00:00");
        assert_eq!(format_unix(1_795_000_000), "2026-11-18 11:06:40");
        assert_eq!(format_unix(951_782_400), "2000-02-29 00:00:00");
    }

    #[test]
    fn joins_counts_largest_first() {
        let map = BTreeMap::from([
            ("go".to_owned(), 2),
            ("c".to_owned(), 5),
            ("a".to_owned(), 2),
        ]);
        assert_eq!(join_counts(&map), "c 5, a 2, go 2");
    }
}
