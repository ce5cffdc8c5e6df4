//! `index --json`, `watch --json`, `status --json`: objects with their keys
//! sorted at every level, so every type here declares its fields in
//! alphabetical order.

use super::list;
use codegraph::{
    Diagnostic, EmbedReport, GraphReport, IndexReport, ResolutionStats, RunCounts, Skipped, Stats,
    Status, WatchUpdate, WatcherState,
};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Display;

/// Counts keyed by a kind's string form (sorted by it).
fn counts<K: Display>(map: &BTreeMap<K, u64>) -> BTreeMap<String, u64> {
    map.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

/// `index --json`: counts over the whole index after the run, and what the
/// run did.
#[derive(Debug, Default, Serialize)]
pub struct IndexJson {
    calls: u64,
    chunks: u64,
    definitions: BTreeMap<String, u64>,
    diagnostics: DiagnosticCounts,
    elapsed_ms: u64,
    /// `null` with `--no-embed` or without a model.
    embeddings: Option<EmbedJson>,
    files: u64,
    files_by_language: BTreeMap<String, u64>,
    graph: Option<GraphJson>,
    imports: u64,
    inheritance: u64,
    rebuilt: Option<String>,
    run: RunJson,
    search_docs: u64,
    skipped: BTreeMap<String, u64>,
}

impl IndexJson {
    pub fn new(report: IndexReport, embeddings: Option<EmbedReport>) -> Self {
        let s = report.stats;
        IndexJson {
            calls: s.calls,
            chunks: s.chunks,
            definitions: counts(&s.definitions),
            diagnostics: DiagnosticCounts {
                files: s.files_with_diagnostics,
                total: s.diagnostics,
            },
            elapsed_ms: report.elapsed_ms,
            embeddings: embeddings.map(EmbedJson::from),
            files: s.files,
            files_by_language: s.files_by_language,
            graph: report.graph.map(GraphJson::from),
            imports: s.imports,
            inheritance: s.inheritance,
            rebuilt: report.rebuilt,
            run: RunJson::from(&report.run),
            search_docs: report.search_docs,
            skipped: counts(&s.skipped),
        }
    }
}

#[derive(Debug, Default, Serialize)]
struct DiagnosticCounts {
    /// Files with at least one diagnostic.
    files: u64,
    total: u64,
}

#[derive(Debug, Default, Serialize)]
struct EmbedJson {
    chunks: u64,
    chunks_per_second: f64,
    chunks_with_vectors: u64,
    elapsed_ms: u64,
    embedded: u64,
    model: String,
    vector_index_build_ms: u64,
    vector_index_patched: bool,
    vector_index_points: u64,
}

impl From<EmbedReport> for EmbedJson {
    fn from(e: EmbedReport) -> Self {
        EmbedJson {
            chunks: e.chunks,
            chunks_per_second: e.chunks_per_second,
            chunks_with_vectors: e.chunks_with_vectors,
            elapsed_ms: e.elapsed_ms,
            embedded: e.embedded,
            model: e.model,
            vector_index_build_ms: e.vector_index_build_ms,
            vector_index_patched: e.vector_index_patched,
            vector_index_points: e.vector_index_points,
        }
    }
}

#[derive(Debug, Default, Serialize)]
struct GraphJson {
    edges: u64,
    elapsed_ms: u64,
    /// `null` when the whole repository was resolved.
    files_resolved: Option<u64>,
    resolution: ResolutionJson,
}

impl From<GraphReport> for GraphJson {
    fn from(g: GraphReport) -> Self {
        GraphJson {
            edges: g.edges,
            elapsed_ms: g.elapsed_ms,
            files_resolved: g.files_resolved,
            resolution: ResolutionJson::from(g.resolution),
        }
    }
}

#[derive(Debug, Default, Serialize)]
struct ResolutionJson {
    calls: u64,
    calls_inferred: u64,
    calls_resolved: u64,
    calls_unresolved: u64,
    imports: u64,
    imports_external: u64,
    imports_to_files: u64,
    inheritance: u64,
    inheritance_inferred: u64,
    inheritance_resolved: u64,
}

impl From<ResolutionStats> for ResolutionJson {
    fn from(r: ResolutionStats) -> Self {
        ResolutionJson {
            calls: r.calls,
            calls_inferred: r.calls_inferred,
            calls_resolved: r.calls_resolved,
            calls_unresolved: r.calls_unresolved,
            imports: r.imports,
            imports_external: r.imports_external,
            imports_to_files: r.imports_to_files,
            inheritance: r.inheritance,
            inheritance_inferred: r.inheritance_inferred,
            inheritance_resolved: r.inheritance_resolved,
        }
    }
}

/// What one run did, file by file counts.
#[derive(Debug, Default, Serialize)]
struct RunJson {
    parsed: u64,
    removed: u64,
    skipped: u64,
    touched: u64,
    unchanged: u64,
}

impl From<&RunCounts> for RunJson {
    fn from(r: &RunCounts) -> Self {
        RunJson {
            parsed: r.parsed,
            removed: r.removed,
            skipped: r.skipped,
            touched: r.touched,
            unchanged: r.unchanged,
        }
    }
}

/// `watch --json`: one line per applied update.
#[derive(Debug, Default, Serialize)]
pub struct WatchJson {
    /// `startup` or `change`.
    cause: &'static str,
    elapsed_ms: u64,
    embedded: u64,
    events: usize,
    /// Files in the index after the update.
    files: u64,
    latency_ms: u64,
    paths: Vec<String>,
    rss_bytes: Option<u64>,
    run: RunJson,
}

impl From<&WatchUpdate> for WatchJson {
    fn from(u: &WatchUpdate) -> Self {
        WatchJson {
            cause: u.cause.as_str(),
            elapsed_ms: u.report.elapsed_ms,
            embedded: u.embedded,
            events: u.events,
            files: u.report.stats.files,
            latency_ms: u.latency_ms,
            paths: u.paths.clone(),
            rss_bytes: u.rss_bytes,
            run: RunJson::from(&u.report.run),
        }
    }
}

/// `status --json`; `--verbose` adds `diagnostics` and `skipped_files`.
#[derive(Debug, Default, Serialize)]
pub struct StatusJson {
    current_head: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    diagnostics: Option<Vec<DiagnosticJson>>,
    embeddings: EmbeddingsJson,
    format_version: u32,
    graph_current: bool,
    index_dir: String,
    indexed_head: Option<String>,
    last_index_ms: Option<u64>,
    last_indexed: Option<i64>,
    lexical_documents: Option<u64>,
    problems: Vec<String>,
    repository: RepositoryJson,
    search_pending: u64,
    size_on_disk: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    skipped_files: Option<Vec<SkippedJson>>,
    stats: StatsJson,
    watcher: Option<WatcherJson>,
}

impl StatusJson {
    /// The status; with `verbose`, the skipped files and parse diagnostics.
    pub fn new(status: Status, verbose: Option<(Vec<Skipped>, Vec<Diagnostic>)>) -> Self {
        let (skipped_files, diagnostics) = match verbose {
            Some((skipped, diagnostics)) => (Some(list(skipped)), Some(list(diagnostics))),
            None => (None, None),
        };
        let repo = status.repository;
        let e = status.embeddings;
        StatusJson {
            current_head: status.current_head,
            diagnostics,
            embeddings: EmbeddingsJson {
                coverage: e.coverage,
                done: e.done,
                installed: e.installed,
                model: e.model,
                pending: e.pending,
            },
            format_version: status.format_version,
            graph_current: status.graph_current,
            index_dir: status.index_dir,
            indexed_head: status.indexed_head,
            last_index_ms: status.last_index_ms,
            last_indexed: status.last_indexed,
            lexical_documents: status.lexical_documents,
            problems: status.problems,
            repository: RepositoryJson {
                branch: repo.branch,
                head_commit: repo.head_commit,
                readme: repo.readme,
                remote_url: repo.remote_url,
                root: repo.root,
            },
            search_pending: status.search_pending,
            size_on_disk: status.size_on_disk,
            skipped_files,
            stats: StatsJson::from(status.stats),
            watcher: status.watcher.map(WatcherJson::from),
        }
    }
}

/// A parse diagnostic: `[path, line, message]`.
#[derive(Debug, Default, Serialize)]
struct DiagnosticJson(String, u32, String);

impl From<Diagnostic> for DiagnosticJson {
    fn from(d: Diagnostic) -> Self {
        DiagnosticJson(d.path, d.line, d.message)
    }
}

#[derive(Debug, Default, Serialize)]
struct SkippedJson {
    detail: String,
    path: String,
    reason: &'static str,
}

impl From<Skipped> for SkippedJson {
    fn from(s: Skipped) -> Self {
        SkippedJson {
            detail: s.detail,
            path: s.path,
            reason: s.reason.as_str(),
        }
    }
}

#[derive(Debug, Default, Serialize)]
struct EmbeddingsJson {
    coverage: f64,
    done: u64,
    installed: bool,
    model: String,
    pending: u64,
}

#[derive(Debug, Default, Serialize)]
struct RepositoryJson {
    branch: Option<String>,
    head_commit: Option<String>,
    readme: Option<String>,
    remote_url: Option<String>,
    root: String,
}

#[derive(Debug, Default, Serialize)]
struct StatsJson {
    calls: u64,
    chunks: u64,
    definitions: BTreeMap<String, u64>,
    diagnostics: u64,
    files: u64,
    files_by_language: BTreeMap<String, u64>,
    files_with_diagnostics: u64,
    imports: u64,
    inheritance: u64,
    skipped: BTreeMap<String, u64>,
    tokens: u64,
}

impl From<Stats> for StatsJson {
    fn from(s: Stats) -> Self {
        StatsJson {
            calls: s.calls,
            chunks: s.chunks,
            definitions: counts(&s.definitions),
            diagnostics: s.diagnostics,
            files: s.files,
            files_by_language: s.files_by_language,
            files_with_diagnostics: s.files_with_diagnostics,
            imports: s.imports,
            inheritance: s.inheritance,
            skipped: counts(&s.skipped),
            tokens: s.tokens,
        }
    }
}

#[derive(Debug, Default, Serialize)]
struct WatcherJson {
    evictions: u64,
    last_latency_ms: Option<u64>,
    last_paths: usize,
    last_update_at: Option<i64>,
    last_update_ms: Option<u64>,
    memory_budget: Option<u64>,
    pid: u32,
    rss_bytes: Option<u64>,
    started_at: i64,
    state: &'static str,
    updates: u64,
}

impl From<WatcherState> for WatcherJson {
    fn from(w: WatcherState) -> Self {
        WatcherJson {
            evictions: w.evictions,
            last_latency_ms: w.last_latency_ms,
            last_paths: w.last_paths,
            last_update_at: w.last_update_at,
            last_update_ms: w.last_update_ms,
            memory_budget: w.memory_budget,
            pid: w.pid,
            rss_bytes: w.rss_bytes,
            started_at: w.started_at,
            state: w.state.as_str(),
            updates: w.updates,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// JSON whose keys are sorted at every level: what a value prints as
    /// once it went through `serde_json::Value` (whose objects sort keys).
    fn sorted(json: &str) -> String {
        serde_json::from_str::<serde_json::Value>(json)
            .unwrap()
            .to_string()
    }

    #[test]
    fn index_status_and_watch_print_their_keys_sorted() {
        let index = IndexJson {
            embeddings: Some(EmbedJson::default()),
            graph: Some(GraphJson::default()),
            ..IndexJson::default()
        };
        let status = StatusJson {
            diagnostics: Some(vec![DiagnosticJson::default()]),
            skipped_files: Some(vec![SkippedJson::default()]),
            watcher: Some(WatcherJson::default()),
            ..StatusJson::default()
        };
        let watch = WatchJson::default();
        for json in [
            serde_json::to_string(&index).unwrap(),
            serde_json::to_string(&status).unwrap(),
            serde_json::to_string(&StatusJson::default()).unwrap(),
            serde_json::to_string(&watch).unwrap(),
        ] {
            assert_eq!(json, sorted(&json));
        }
    }
}
