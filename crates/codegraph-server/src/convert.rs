//! Domain ↔ proto conversion, all in one place: positions, enums, search,
//! context and graph answers. The library numbers lines from 1 and takes
//! 0-based cursors; the API numbers both in the request's `PositionBase`.

use crate::pb;
use codegraph::{ColumnEncoding, SearchMode, Similarity};
use std::collections::BTreeMap;
use tonic::Status;

/// A request's position encoding with defaults applied (0-based, UTF-16).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Encoding {
    pub one_based: bool,
    pub unit: ColumnEncoding,
}

impl Encoding {
    pub fn from_proto(e: Option<&pb::PositionEncoding>) -> Result<Encoding, Status> {
        let Some(e) = e else {
            return Ok(Encoding {
                one_based: false,
                unit: ColumnEncoding::Utf16,
            });
        };
        let one_based = match pb::PositionBase::try_from(e.base) {
            Ok(pb::PositionBase::Unspecified | pb::PositionBase::ZeroBased) => false,
            Ok(pb::PositionBase::OneBased) => true,
            Err(_) => return Err(invalid(format!("unknown position base {}", e.base))),
        };
        let unit = match pb::ColumnUnit::try_from(e.column_unit) {
            Ok(pb::ColumnUnit::Unspecified | pb::ColumnUnit::Utf16) => ColumnEncoding::Utf16,
            Ok(pb::ColumnUnit::Utf8) => ColumnEncoding::Utf8,
            Ok(pb::ColumnUnit::Utf32) => ColumnEncoding::Utf32,
            Err(_) => return Err(invalid(format!("unknown column unit {}", e.column_unit))),
        };
        Ok(Encoding { one_based, unit })
    }

    /// The encoding as answers echo it, defaults spelled out.
    pub fn to_proto(self) -> pb::PositionEncoding {
        pb::PositionEncoding {
            base: if self.one_based {
                pb::PositionBase::OneBased
            } else {
                pb::PositionBase::ZeroBased
            } as i32,
            column_unit: match self.unit {
                ColumnEncoding::Utf16 => pb::ColumnUnit::Utf16,
                ColumnEncoding::Utf8 => pb::ColumnUnit::Utf8,
                ColumnEncoding::Utf32 => pb::ColumnUnit::Utf32,
            } as i32,
        }
    }

    /// A request position as the library's 0-based (line, column).
    pub fn cursor(self, p: &pb::Position) -> Result<(u32, u32), Status> {
        if self.one_based {
            if p.line == 0 || p.column == 0 {
                return Err(invalid(
                    "positions are 1-based in this request: line and column start at 1",
                ));
            }
            Ok((p.line - 1, p.column - 1))
        } else {
            Ok((p.line, p.column))
        }
    }

    /// A library line (1-based) as the API numbers it.
    pub fn line(self, library_line: u32) -> u32 {
        if self.one_based {
            library_line
        } else {
            library_line.saturating_sub(1)
        }
    }

    pub fn lines(self, start: u32, end: u32) -> pb::LineRange {
        pb::LineRange {
            start_line: self.line(start),
            end_line: self.line(end.max(start)),
        }
    }
}

pub fn invalid(message: impl Into<String>) -> Status {
    Status::invalid_argument(message)
}

/// A library error as a status with a precise code.
pub fn status(e: codegraph::Error) -> Status {
    use codegraph::Error as E;
    match e {
        E::NotFound(_) | E::NotADirectory(_) => Status::not_found(e.to_string()),
        E::SymbolNotFound(_) | E::NotIndexed(_) => Status::not_found(e.to_string()),
        E::Ambiguous { .. } => Status::failed_precondition(e.to_string()),
        E::InvalidRequest(m) => Status::invalid_argument(m),
        E::DeadlineExceeded(_) => Status::deadline_exceeded(e.to_string()),
        E::UnknownLanguage(_) | E::Binary(_) => Status::invalid_argument(e.to_string()),
        // A root the library refuses: the request named the wrong thing.
        E::NonUtf8Path(_) => Status::invalid_argument(e.to_string()),
        E::OutsideRoot(_) | E::ForbiddenRoot(_) => Status::permission_denied(e.to_string()),
        E::ForeignIndex { .. } => Status::failed_precondition(e.to_string()),
        // Retry later: the indexer heals damage it hears of, and a busy
        // index is free again after the other writer's run.
        E::IndexBusy { .. } => Status::unavailable(e.to_string()),
        ref d if d.is_damage() => Status::unavailable(e.to_string()),
        other => Status::internal(other.to_string()),
    }
}

pub fn search_mode(m: i32) -> Result<SearchMode, Status> {
    match pb::SearchMode::try_from(m) {
        Ok(pb::SearchMode::Unspecified | pb::SearchMode::Hybrid) => Ok(SearchMode::Hybrid),
        Ok(pb::SearchMode::Lexical) => Ok(SearchMode::Lexical),
        Ok(pb::SearchMode::Vector) => Ok(SearchMode::Vector),
        Err(_) => Err(invalid(format!("unknown search mode {m}"))),
    }
}

pub fn search_mode_to_proto(m: SearchMode) -> pb::SearchMode {
    match m {
        SearchMode::Hybrid => pb::SearchMode::Hybrid,
        SearchMode::Lexical => pb::SearchMode::Lexical,
        SearchMode::Vector => pb::SearchMode::Vector,
    }
}

pub fn similarity(s: i32) -> Result<Similarity, Status> {
    match pb::SimilarityKind::try_from(s) {
        Ok(pb::SimilarityKind::Unspecified | pb::SimilarityKind::Jaccard) => {
            Ok(Similarity::Jaccard)
        }
        Ok(pb::SimilarityKind::WeightedJaccard) => Ok(Similarity::WeightedJaccard),
        Err(_) => Err(invalid(format!("unknown similarity {s}"))),
    }
}

/// Stage timings (milliseconds by name) as microseconds, in a stable order.
pub fn stages(stages: &BTreeMap<String, f64>) -> Vec<pb::StageTiming> {
    stages
        .iter()
        .map(|(name, ms)| pb::StageTiming {
            stage: name.trim_end_matches("_ms").to_owned(),
            duration_us: (ms * 1000.0).round().max(0.0) as u64,
        })
        .collect()
}

/// The library's snippet, `N: text` lines (1-based), as numbered lines.
pub fn snippet_lines(snippet: &str, enc: Encoding) -> Vec<pb::SnippetLine> {
    snippet
        .lines()
        .map(|l| match l.split_once(": ") {
            Some((n, text)) if n.trim().parse::<u32>().is_ok() => pb::SnippetLine {
                line: enc.line(n.trim().parse().unwrap_or(1)),
                text: text.to_owned(),
            },
            _ => pb::SnippetLine {
                line: 0,
                text: l.to_owned(),
            },
        })
        .collect()
}

pub fn search_response(
    r: codegraph::SearchResponse,
    truncated: bool,
    enc: Encoding,
) -> pb::SearchResponse {
    let rank = |r: &Option<codegraph::RankScore>| {
        r.as_ref().map(|r| pb::RankScore {
            rank: r.rank as u32,
            score: r.score,
        })
    };
    pb::SearchResponse {
        query: r.query,
        query_truncated: truncated,
        mode: search_mode_to_proto(r.mode) as i32,
        hits: r
            .results
            .into_iter()
            .map(|h| pb::SearchHit {
                lines: Some(enc.lines(h.start_line, h.end_line)),
                snippet: snippet_lines(&h.snippet, enc),
                lexical: rank(&h.ranks.lexical),
                vector: rank(&h.ranks.vector),
                path: h.path,
                symbol: h.symbol.unwrap_or_default(),
                kind: h.kind.to_string(),
                language: h.language,
                score: h.score,
                file_matches: h.matches.unwrap_or(0) as u32,
            })
            .collect(),
        took_us: (r.took_ms * 1000.0) as u64,
        stages: stages(&r.stages),
        vector_coverage: r.vector_coverage,
        notice: r.notice.unwrap_or_default(),
        position_encoding: Some(enc.to_proto()),
    }
}

/// Why a structure is in the context, as the reason enum and its name.
pub fn structure_reason(reason: &codegraph::ContextReason) -> (pb::StructureReason, String) {
    use codegraph::ReasonKind as R;
    let kind = match reason.kind {
        R::Receiver => pb::StructureReason::Receiver,
        R::Variable => pb::StructureReason::Variable,
        R::Type => pb::StructureReason::Type,
        R::Call => pb::StructureReason::Call,
        R::Imported => pb::StructureReason::Imported,
        R::Base => pb::StructureReason::Base,
        R::Enclosing => pb::StructureReason::Enclosing,
    };
    (kind, reason.name.clone())
}

pub fn context_response(
    r: codegraph::ContextResponse,
    continuation: bool,
    enc: Encoding,
) -> pb::GetCompletionContextResponse {
    pb::GetCompletionContextResponse {
        path: r.path,
        structures: r
            .structures
            .into_iter()
            .map(|s| {
                let (reason, reason_name) = structure_reason(&s.reason);
                pb::ContextStructure {
                    lines: Some(enc.lines(s.start_line, s.end_line)),
                    path: s.path,
                    symbol: s.symbol,
                    kind: s.kind.to_string(),
                    reason: reason as i32,
                    reason_name,
                    text: s.text,
                }
            })
            .collect(),
        snippets: r
            .snippets
            .into_iter()
            .enumerate()
            .map(|(i, s)| pb::ContextSnippet {
                lines: Some(enc.lines(s.start_line, s.end_line)),
                path: s.path,
                score: s.score,
                text: s.text,
                reason: if continuation && i == 0 {
                    pb::SnippetReason::Continuation
                } else {
                    pb::SnippetReason::Similar
                } as i32,
            })
            .collect(),
        tokens_used: r.stats.tokens_used as u32,
        files_considered: r.stats.files_considered as u32,
        files_kept: r.stats.files_kept as u32,
        candidates_scanned: r.stats.candidates_scanned as u32,
        identifiers: r.stats.identifiers as u32,
        took_us: (r.took_ms * 1000.0) as u64,
        stages: stages(&r.stats.stages),
        position_encoding: Some(enc.to_proto()),
    }
}

pub fn definition(d: codegraph::DefinitionRow, enc: Encoding) -> pb::Symbol {
    pb::Symbol {
        id: d.id.0,
        lines: Some(enc.lines(d.start_line, d.end_line)),
        name: d.name,
        qualified_name: d.qualified_name,
        kind: d.kind.to_string(),
        path: d.path,
        signature: d.signature,
        doc: d.doc.unwrap_or_default(),
        parent_qualified_name: d.parent.unwrap_or_default(),
    }
}

pub fn graph_symbol(s: &codegraph::Symbol, enc: Encoding) -> pb::Symbol {
    pb::Symbol {
        id: s.id.0,
        name: s.name.clone(),
        qualified_name: s.qualified_name.clone(),
        kind: s.kind.to_string(),
        path: s.path.clone(),
        lines: Some(enc.lines(s.line, s.end_line)),
        signature: s.signature.clone(),
        doc: String::new(),
        parent_qualified_name: String::new(),
    }
}

pub fn provenance(p: codegraph::Provenance) -> pb::Provenance {
    match p {
        codegraph::Provenance::Resolved => pb::Provenance::Resolved,
        codegraph::Provenance::Inferred => pb::Provenance::Inferred,
    }
}

pub fn call_entry(r: codegraph::Related, enc: Encoding) -> pb::CallGraphEntry {
    pb::CallGraphEntry {
        symbol_id: r.id.map(|id| id.0),
        definition_line: (r.line > 0).then(|| enc.line(r.line)),
        qualified_name: r.symbol,
        kind: r.kind.map_or("file", codegraph::DefKind::as_str).to_owned(),
        path: r.path,
        signature: r.signature,
        depth: r.depth as u32,
        call_line: enc.line(r.call_line),
        provenance: provenance(r.provenance) as i32,
    }
}

pub fn import_link(target: String, line: u32, enc: Encoding) -> pb::ImportLink {
    pb::ImportLink {
        target: Some(match target.strip_prefix("external:") {
            Some(m) => pb::import_link::Target::ExternalModule(m.to_owned()),
            None => pb::import_link::Target::Path(target),
        }),
        line: enc.line(line),
    }
}

pub fn edge_kind(k: codegraph::EdgeKind) -> pb::EdgeKind {
    use codegraph::EdgeKind as K;
    match k {
        K::Contains => pb::EdgeKind::Contains,
        K::Defines => pb::EdgeKind::Defines,
        K::Imports => pb::EdgeKind::Imports,
        K::Calls => pb::EdgeKind::Calls,
        K::Inherits => pb::EdgeKind::Inherits,
        K::Implements => pb::EdgeKind::Implements,
        K::References => pb::EdgeKind::References,
    }
}

pub fn subgraph(s: codegraph::Subgraph, limit: usize, enc: Encoding) -> pb::GetNeighborsResponse {
    use pb::graph_node::Node as N;
    let truncated = s.nodes.len() >= limit;
    pb::GetNeighborsResponse {
        nodes: s
            .nodes
            .into_iter()
            .map(|n| pb::GraphNode {
                key: n.key,
                hops: n.hops as u32,
                node: Some(match n.node {
                    codegraph::Node::Repository => N::Repository(pb::RepositoryNode {}),
                    codegraph::Node::Directory { path } => N::Directory(pb::DirectoryNode { path }),
                    codegraph::Node::File { id, path, language } => N::File(pb::FileNode {
                        id: id.0,
                        path,
                        language,
                    }),
                    codegraph::Node::Symbol(s) => N::Symbol(graph_symbol(&s, enc)),
                    codegraph::Node::Chunk {
                        id,
                        path,
                        kind,
                        start_line,
                        end_line,
                    } => N::Chunk(pb::ChunkNode {
                        id: id.0,
                        path,
                        kind: kind.to_string(),
                        lines: Some(enc.lines(start_line, end_line)),
                    }),
                    codegraph::Node::External { name } => {
                        N::ExternalModule(pb::ExternalModuleNode { name })
                    }
                }),
            })
            .collect(),
        edges: s
            .edges
            .into_iter()
            .map(|e| pb::GraphEdge {
                from_key: e.from,
                to_key: e.to,
                kind: edge_kind(e.kind) as i32,
                provenance: provenance(e.provenance) as i32,
            })
            .collect(),
        truncated,
        position_encoding: Some(enc.to_proto()),
    }
}

pub fn repo_map(m: codegraph::RepoMap, enc: Encoding) -> pb::GetRepositoryMapResponse {
    pb::GetRepositoryMapResponse {
        text: m.text,
        files: m
            .files
            .into_iter()
            .map(|f| pb::MapFile {
                path: f.path,
                rank: f.rank,
                definitions: f
                    .definitions
                    .into_iter()
                    .map(|d| pb::MapDefinition {
                        line: enc.line(d.line),
                        end_line: enc.line(d.end_line),
                        signature: d.signature,
                        kind: d.kind.to_string(),
                        name: d.name,
                        qualified_name: d.qualified_name,
                        depth: d.depth as u32,
                        rank: d.rank,
                        context: d.context,
                    })
                    .collect(),
            })
            .collect(),
        tokens: m.tokens as u32,
        budget_tokens: m.budget_tokens as u32,
        omitted_files: m.omitted_files as u32,
        omitted_definitions: m.omitted_definitions as u32,
        position_encoding: Some(enc.to_proto()),
    }
}

/// What `GetStatus` reports of an index, read by the library.
#[derive(Debug)]
pub struct IndexHealth {
    pub status: codegraph::Status,
    pub skipped: Vec<codegraph::Skipped>,
    pub edges: Vec<((codegraph::EdgeKind, codegraph::Provenance), u64)>,
    pub resolution: codegraph::ResolutionStats,
}

/// The status report of a repository.
pub fn status_response(
    repository: pb::Repository,
    state: &crate::registry::RunState,
    config: &crate::registry::RepoConfig,
    h: IndexHealth,
) -> pb::GetStatusResponse {
    let s = &h.status;
    let stats = &s.stats;
    let e = &s.embeddings;
    pb::GetStatusResponse {
        repository: Some(repository),
        progress: Some(state.progress.clone()),
        last_run: state.last_run.clone(),
        last_index_duration_ms: s.last_index_ms.unwrap_or(0),
        files: Some(pb::FileStatus {
            indexed: stats.files,
            indexed_by_language: stats.files_by_language.clone().into_iter().collect(),
            skipped: stats.skipped.values().sum(),
            skipped_by_reason: stats
                .skipped
                .iter()
                .map(|(k, n)| (k.to_string(), *n))
                .collect(),
            failed_to_parse: stats.files_with_diagnostics,
            with_diagnostics: stats.files_with_diagnostics,
            diagnostics: stats.diagnostics,
            skipped_files: h
                .skipped
                .iter()
                .map(|k| pb::SkippedFile {
                    path: k.path.clone(),
                    reason: k.reason.to_string(),
                    detail: k.detail.clone(),
                })
                .collect(),
        }),
        content: Some(pb::ContentStatus {
            definitions: stats.definitions.values().sum(),
            definitions_by_kind: stats
                .definitions
                .iter()
                .map(|(k, n)| (k.to_string(), *n))
                .collect(),
            chunks: stats.chunks,
            imports: stats.imports,
            calls: stats.calls,
            inheritance: stats.inheritance,
            vocabulary_tokens: stats.tokens,
        }),
        graph: Some(pb::GraphStatus {
            current: s.graph_current,
            edges: h.edges.iter().map(|(_, n)| n).sum(),
            edges_by_kind: h
                .edges
                .iter()
                .map(|((k, p), n)| (format!("{k}.{p}"), *n))
                .collect(),
            calls: h.resolution.calls,
            calls_resolved: h.resolution.calls_resolved,
            calls_inferred: h.resolution.calls_inferred,
            calls_unresolved: h.resolution.calls_unresolved,
            imports: h.resolution.imports,
            imports_to_files: h.resolution.imports_to_files,
            imports_external: h.resolution.imports_external,
            inheritance: h.resolution.inheritance,
            inheritance_resolved: h.resolution.inheritance_resolved,
            inheritance_inferred: h.resolution.inheritance_inferred,
        }),
        lexical_index: Some(pb::LexicalIndexStatus {
            pending_files: s.search_pending,
            documents: s.lexical_documents,
        }),
        embeddings: Some(pb::EmbeddingStatus {
            model: e.model.clone(),
            installed: e.installed,
            enabled: config.embed,
            done: e.done,
            pending: e.pending,
            coverage: e.coverage,
        }),
        vector_index: Some(pb::VectorIndexStatus {
            points: e.done,
            coverage: e.coverage,
            current: e.pending == 0,
        }),
        watcher: Some(pb::WatcherStatus {
            state: state.watcher,
            last_update_time: state.last_update_at.map(timestamp),
            last_update_latency_ms: state.last_latency_ms,
            updates: state.updates,
            error_message: state.watcher_error.clone(),
        }),
        git: Some(pb::GitStatus {
            remote_url: s.repository.remote_url.clone().unwrap_or_default(),
            branch: s.repository.branch.clone().unwrap_or_default(),
            indexed_head_commit: s.indexed_head.clone().unwrap_or_default(),
            current_head_commit: s.current_head.clone().unwrap_or_default(),
            readme_summary: s.repository.readme.clone().unwrap_or_default(),
        }),
        format_version: s.format_version,
        size_on_disk_bytes: s.size_on_disk,
        server_resident_memory_bytes: codegraph::process::resident_memory().unwrap_or(0),
        problems: s.problems.clone(),
    }
}

/// A registered repository as the API lists it.
pub fn repository(
    c: &crate::registry::RepoConfig,
    state: &crate::registry::RunState,
) -> pb::Repository {
    pb::Repository {
        id: c.id.clone(),
        root: c.root.to_string_lossy().into_owned(),
        index_dir: c.index_dir.to_string_lossy().into_owned(),
        options: Some(pb::RepositoryOptions {
            exclude_dir_names: c.exclude_dir_names.clone(),
            exclude_globs: c.exclude_globs.clone(),
            max_file_size_bytes: c.max_file_size,
            follow_symlinks: c.follow_symlinks,
            index_dir: c.index_dir.to_string_lossy().into_owned(),
            embed: Some(c.embed),
            watch: Some(c.watch),
            watch_quiet_ms: c.quiet_ms,
            watch_max_wait_ms: c.max_wait_ms,
        }),
        register_time: Some(timestamp(c.registered_at)),
        phase: state.progress.phase,
        indexed: state.indexed,
        last_indexed_time: state.last_update_at.map(timestamp),
        watcher_state: state.watcher,
    }
}

/// What one indexing run did.
pub fn run_summary(
    run_id: u64,
    cause: pb::RunCause,
    u: &codegraph::WatchUpdate,
    started: i64,
) -> pb::RunSummary {
    let r = &u.report;
    pb::RunSummary {
        run_id,
        cause: cause as i32,
        succeeded: true,
        error_message: String::new(),
        start_time: Some(timestamp(started)),
        duration_ms: u.latency_ms,
        files_parsed: r.run.parsed,
        files_unchanged: r.run.unchanged,
        files_touched: r.run.touched,
        files_removed: r.run.removed,
        files_skipped: r.run.skipped,
        rebuilt_reason: r.rebuilt.clone().unwrap_or_default(),
        graph_resolved: r.graph.is_some(),
        graph_files_resolved: r.graph.as_ref().and_then(|g| g.files_resolved).unwrap_or(0),
        graph_edges: r.graph.as_ref().map_or(0, |g| g.edges),
        graph_duration_ms: r.graph.as_ref().map_or(0, |g| g.elapsed_ms),
        lexical_documents_written: r.search_docs,
        chunks_embedded: u.embedded,
        vector_index_points: 0,
        watch_events: u.events as u64,
        changed_paths: u.paths.iter().take(100).cloned().collect(),
        changed_paths_total: u.paths.len() as u64,
        latency_ms: u.latency_ms,
        server_resident_memory_bytes: u.rss_bytes.unwrap_or(0),
    }
}

pub fn timestamp(unix_secs: i64) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: unix_secs,
        nanos: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_round_trip_and_default_to_zero_based_utf16() {
        let default = Encoding::from_proto(None).unwrap();
        assert!(!default.one_based);
        assert_eq!(default.unit, ColumnEncoding::Utf16);
        for base in [pb::PositionBase::ZeroBased, pb::PositionBase::OneBased] {
            for unit in [
                pb::ColumnUnit::Utf8,
                pb::ColumnUnit::Utf16,
                pb::ColumnUnit::Utf32,
            ] {
                let p = pb::PositionEncoding {
                    base: base as i32,
                    column_unit: unit as i32,
                };
                let e = Encoding::from_proto(Some(&p)).unwrap();
                assert_eq!(e.to_proto(), p);
                assert_eq!(Encoding::from_proto(Some(&e.to_proto())).unwrap(), e);
            }
        }
        let bad = pb::PositionEncoding {
            base: 7,
            column_unit: 0,
        };
        assert_eq!(
            Encoding::from_proto(Some(&bad)).unwrap_err().code(),
            tonic::Code::InvalidArgument
        );
    }

    #[test]
    fn positions_convert_both_ways() {
        let one = Encoding {
            one_based: true,
            unit: ColumnEncoding::Utf8,
        };
        let zero = Encoding {
            one_based: false,
            unit: ColumnEncoding::Utf8,
        };
        // A cursor in, a library line out, and back.
        let p = pb::Position { line: 3, column: 5 };
        assert_eq!(one.cursor(&p).unwrap(), (2, 4));
        assert_eq!(zero.cursor(&p).unwrap(), (3, 5));
        let (line, _) = one.cursor(&p).unwrap();
        assert_eq!(one.line(line + 1), p.line);
        let (line, _) = zero.cursor(&p).unwrap();
        assert_eq!(zero.line(line + 1), p.line);
        // 1-based requests refuse 0.
        let z = pb::Position { line: 0, column: 1 };
        assert_eq!(
            one.cursor(&z).unwrap_err().code(),
            tonic::Code::InvalidArgument
        );
        assert_eq!(
            zero.lines(10, 12),
            pb::LineRange {
                start_line: 9,
                end_line: 11
            }
        );
    }

    #[test]
    fn modes_and_similarities_round_trip() {
        for m in [SearchMode::Hybrid, SearchMode::Lexical, SearchMode::Vector] {
            assert_eq!(search_mode(search_mode_to_proto(m) as i32).unwrap(), m);
        }
        assert_eq!(search_mode(0).unwrap(), SearchMode::Hybrid);
        assert!(search_mode(99).is_err());
        assert_eq!(similarity(0).unwrap(), Similarity::Jaccard);
        assert_eq!(
            similarity(pb::SimilarityKind::WeightedJaccard as i32).unwrap(),
            Similarity::WeightedJaccard
        );
        assert!(similarity(42).is_err());
    }

    #[test]
    fn snippets_stages_reasons_and_imports() {
        let enc = Encoding {
            one_based: false,
            unit: ColumnEncoding::Utf16,
        };
        let lines = snippet_lines("12: fn a() {\n13:     b: c\n", enc);
        assert_eq!(lines.len(), 2);
        assert_eq!((lines[0].line, lines[0].text.as_str()), (11, "fn a() {"));
        assert_eq!((lines[1].line, lines[1].text.as_str()), (12, "    b: c"));
        let mut s = BTreeMap::new();
        s.insert("lexical_ms".to_owned(), 1.25);
        assert_eq!(
            stages(&s),
            vec![pb::StageTiming {
                stage: "lexical".into(),
                duration_us: 1250
            }]
        );
        assert_eq!(
            structure_reason(&"receiver repo".parse().unwrap()),
            (pb::StructureReason::Receiver, "repo".to_owned())
        );
        let ext = import_link("external:os.path".into(), 3, enc);
        assert_eq!(
            ext.target,
            Some(pb::import_link::Target::ExternalModule("os.path".into()))
        );
        assert_eq!(ext.line, 2);
        let local = import_link("src/a.py".into(), 1, enc);
        assert_eq!(
            local.target,
            Some(pb::import_link::Target::Path("src/a.py".into()))
        );
    }

    #[test]
    fn errors_map_to_precise_codes() {
        use codegraph::Error as E;
        assert_eq!(
            status(E::InvalidRequest("x".into())).code(),
            tonic::Code::InvalidArgument
        );
        assert_eq!(
            status(E::SymbolNotFound("x".into())).code(),
            tonic::Code::NotFound
        );
        assert_eq!(
            status(E::NotIndexed("x".into())).code(),
            tonic::Code::NotFound
        );
        assert_eq!(
            status(E::DeadlineExceeded("fetch")).code(),
            tonic::Code::DeadlineExceeded
        );
        assert_eq!(
            status(E::Other("boom".into())).code(),
            tonic::Code::Internal
        );
        assert_eq!(
            status(E::NeedsIndex("the lexical index".into())).code(),
            tonic::Code::Unavailable
        );
        assert_eq!(
            status(E::OutsideRoot("../x".into())).code(),
            tonic::Code::PermissionDenied
        );
    }
}
