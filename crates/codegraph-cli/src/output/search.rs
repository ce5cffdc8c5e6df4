//! `query --json` and `context --json`.

use super::list;
use codegraph::{ContextResponse, RankScore, SearchMode, SearchResponse, SearchResult};
use serde::Serialize;
use std::collections::BTreeMap;

/// `query --json`.
#[derive(Debug, Serialize)]
pub struct SearchJson {
    query: String,
    /// The mode that answered: `hybrid`, `lexical` or `vector`.
    mode: &'static str,
    took_ms: f64,
    /// Milliseconds per stage.
    stages: BTreeMap<String, f64>,
    vector_coverage: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    notice: Option<String>,
    results: Vec<SearchResultJson>,
}

fn mode_name(mode: SearchMode) -> &'static str {
    match mode {
        SearchMode::Hybrid => "hybrid",
        SearchMode::Lexical => "lexical",
        SearchMode::Vector => "vector",
    }
}

impl From<SearchResponse> for SearchJson {
    fn from(r: SearchResponse) -> Self {
        SearchJson {
            query: r.query,
            mode: mode_name(r.mode),
            took_ms: r.took_ms,
            stages: r.stages,
            vector_coverage: r.vector_coverage,
            notice: r.notice,
            results: list(r.results),
        }
    }
}

#[derive(Debug, Serialize)]
struct SearchResultJson {
    path: String,
    start_line: u32,
    end_line: u32,
    symbol: Option<String>,
    kind: &'static str,
    language: String,
    score: f64,
    ranks: RanksJson,
    snippet: String,
    /// With `--group-by file`: how many chunks of the file matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    matches: Option<usize>,
}

impl From<SearchResult> for SearchResultJson {
    fn from(r: SearchResult) -> Self {
        SearchResultJson {
            path: r.path,
            start_line: r.start_line,
            end_line: r.end_line,
            symbol: r.symbol,
            kind: r.kind.as_str(),
            language: r.language,
            score: r.score,
            ranks: RanksJson {
                lexical: r.ranks.lexical.map(RankJson::from),
                vector: r.ranks.vector.map(RankJson::from),
                other: r
                    .ranks
                    .other
                    .into_iter()
                    .map(|(name, rank)| (name, RankJson::from(rank)))
                    .collect(),
            },
            snippet: r.snippet,
            matches: r.matches,
        }
    }
}

/// Each retriever's rank and score; retrievers other than the lexical and
/// the vector one appear under their names.
#[derive(Debug, Serialize)]
struct RanksJson {
    lexical: Option<RankJson>,
    vector: Option<RankJson>,
    #[serde(flatten, skip_serializing_if = "BTreeMap::is_empty")]
    other: BTreeMap<String, RankJson>,
}

#[derive(Debug, Serialize)]
struct RankJson {
    /// 1-based.
    rank: usize,
    /// The retriever's own score (single precision, as it computes it).
    score: f32,
}

impl From<RankScore> for RankJson {
    fn from(r: RankScore) -> Self {
        RankJson {
            rank: r.rank,
            score: r.score,
        }
    }
}

/// `context --json`.
#[derive(Debug, Serialize)]
pub struct ContextJson {
    path: String,
    structures: Vec<StructureJson>,
    snippets: Vec<SnippetJson>,
    stats: ContextStatsJson,
    took_ms: f64,
}

#[derive(Debug, Serialize)]
struct StructureJson {
    path: String,
    start_line: u32,
    end_line: u32,
    symbol: String,
    kind: &'static str,
    /// Why it is here: `receiver userService`, `type User`, `call f`, ...
    reason: String,
    text: String,
}

#[derive(Debug, Serialize)]
struct SnippetJson {
    path: String,
    start_line: u32,
    end_line: u32,
    score: f32,
    text: String,
}

#[derive(Debug, Serialize)]
struct ContextStatsJson {
    files_considered: usize,
    files_kept: usize,
    candidates_scanned: usize,
    identifiers: usize,
    tokens_used: usize,
    /// Milliseconds per stage.
    stages: BTreeMap<String, f64>,
}

impl From<ContextResponse> for ContextJson {
    fn from(r: ContextResponse) -> Self {
        ContextJson {
            path: r.path,
            structures: r
                .structures
                .into_iter()
                .map(|s| StructureJson {
                    path: s.path,
                    start_line: s.start_line,
                    end_line: s.end_line,
                    symbol: s.symbol,
                    kind: s.kind.as_str(),
                    reason: s.reason.to_string(),
                    text: s.text,
                })
                .collect(),
            snippets: r
                .snippets
                .into_iter()
                .map(|s| SnippetJson {
                    path: s.path,
                    start_line: s.start_line,
                    end_line: s.end_line,
                    score: s.score,
                    text: s.text,
                })
                .collect(),
            stats: ContextStatsJson {
                files_considered: r.stats.files_considered,
                files_kept: r.stats.files_kept,
                candidates_scanned: r.stats.candidates_scanned,
                identifiers: r.stats.identifiers,
                tokens_used: r.stats.tokens_used,
                stages: r.stats.stages,
            },
            took_ms: r.took_ms,
        }
    }
}
