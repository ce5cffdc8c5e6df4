//! Search over the index: BM25 now, fused with vector search by reciprocal
//! rank fusion when embeddings exist.

use crate::{Codegraph, Error, Result};
use codegraph_search::{Bm25Filter, Bm25Index, Fused, RankScore, SearchDoc, rrf};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Instant;

/// Which retrievers answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SearchMode {
    #[default]
    Hybrid,
    Lexical,
    Vector,
}

impl std::str::FromStr for SearchMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "hybrid" => Ok(SearchMode::Hybrid),
            "lexical" => Ok(SearchMode::Lexical),
            "vector" => Ok(SearchMode::Vector),
            other => Err(format!("unknown mode `{other}` (hybrid, lexical, vector)")),
        }
    }
}

/// A search request.
#[derive(Debug, Clone)]
pub struct SearchOptions {
    pub query: String,
    pub k: usize,
    pub mode: SearchMode,
    pub language: Option<String>,
    pub kind: Option<String>,
    /// A glob over paths relative to the root (`src/**/*.rs`).
    pub path_glob: Option<String>,
    pub group_by_file: bool,
    /// Results in or next to (by imports) these files rank higher.
    pub focus: Vec<String>,
    /// The `k` of reciprocal rank fusion.
    pub rrf_k: f64,
    /// Weight of the PageRank prior: a result's score is multiplied by
    /// `1 + w · importance`, its file's global PageRank mapped to `[0, 1]`
    /// (see `codegraph_graph::file_importance`). 0 turns it off.
    pub pagerank_weight: f64,
    /// Work stops at the next stage once this passes
    /// ([`crate::Error::DeadlineExceeded`]); `None`: no deadline.
    pub deadline: Option<std::time::Instant>,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            query: String::new(),
            k: 10,
            mode: SearchMode::Hybrid,
            language: None,
            kind: None,
            path_glob: None,
            group_by_file: false,
            focus: Vec::new(),
            rrf_k: 60.0,
            pagerank_weight: DEFAULT_PAGERANK_WEIGHT,
            deadline: None,
        }
    }
}

/// Each retriever's rank and score for a result.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Ranks {
    pub lexical: Option<RankScore>,
    pub vector: Option<RankScore>,
}

/// One result.
#[derive(Debug, Clone, Serialize)]
pub struct SearchResult {
    pub path: String,
    pub start_line: u32,
    pub end_line: u32,
    pub symbol: Option<String>,
    pub kind: String,
    pub language: String,
    pub score: f64,
    pub ranks: Ranks,
    /// The lines of the chunk that match the query best, `line: text`.
    pub snippet: String,
    /// With `group_by_file`: how many chunks of the file matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matches: Option<usize>,
}

/// Deleted share of the BM25 index above which an update merges segments.
const COMPACT_DELETED_RATIO: f64 = 0.2;

/// The answer to a search.
#[derive(Debug, Clone, Serialize)]
pub struct SearchResponse {
    pub query: String,
    /// The mode that actually answered.
    pub mode: SearchMode,
    pub took_ms: f64,
    /// Milliseconds per stage.
    pub stages: BTreeMap<String, f64>,
    /// Share of chunks with an embedding (0 without a model).
    pub vector_coverage: f64,
    /// Said once when vectors were asked for but are unavailable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
    pub results: Vec<SearchResult>,
}

/// The default weight of the PageRank prior (chosen on `cargo xtask
/// eval-search`; see the README's figures).
pub const DEFAULT_PAGERANK_WEIGHT: f64 = 0.0;

/// Longest query accepted, in bytes; longer text is cut (at a char
/// boundary) before analysis.
pub const MAX_QUERY_BYTES: usize = 16 * 1024;

pub(crate) fn to_doc(r: codegraph_store::SearchRow) -> SearchDoc {
    SearchDoc {
        chunk_id: r.chunk_id,
        path: r.path,
        language: r.language,
        kind: r.kind,
        name: r.name,
        qualified_name: r.qualified_name,
        signature: r.signature,
        doc: r.doc,
        body: r.body,
    }
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

impl Codegraph {
    pub(crate) fn bm25(&self) -> Result<&Bm25Index> {
        if let Some(b) = self.bm25.get() {
            return Ok(b);
        }
        let _loading = crate::hold(&self.loading.bm25);
        if let Some(b) = self.bm25.get() {
            return Ok(b);
        }
        let index = Bm25Index::open(&self.index_dir.join("bm25"))?;
        Ok(self.bm25.get_or_init(|| index))
    }

    /// Brings the BM25 index up to date with the store: everything when it
    /// was (re)created, else the pending files. Returns documents written.
    pub(crate) fn sync_search(&mut self) -> Result<u64> {
        self.bm25()?;
        let mut index = self.bm25.take().expect("opened above");
        let pending = self.store.search_pending()?;
        let written = if index.created || (index.is_empty() && !pending.is_empty()) {
            let docs: Vec<SearchDoc> = self
                .store
                .search_rows(None)?
                .into_iter()
                .map(to_doc)
                .collect();
            index.update(&[], &docs, true)?;
            index.created = false;
            docs.len()
        } else if !pending.is_empty() {
            let docs: Vec<SearchDoc> = self
                .store
                .search_rows(Some(&pending))?
                .into_iter()
                .map(to_doc)
                .collect();
            index.update(&pending, &docs, false)?;
            // Deleted documents still weigh in BM25's statistics until
            // their segments merge; past a fifth of the index, merge now.
            if index.deleted_ratio() > COMPACT_DELETED_RATIO {
                index.compact()?;
            }
            docs.len()
        } else {
            0
        };
        self.store.clear_search_pending(&pending)?;
        let _ = self.bm25.set(index);
        Ok(written as u64)
    }

    /// Merges the search index's segments, purging deleted documents: its
    /// scores then equal a fresh index's. Updates do it on their own once
    /// deleted documents pass a fifth of the index.
    pub fn compact_search_index(&mut self) -> Result<()> {
        self.bm25()?;
        let mut index = self.bm25.take().expect("opened above");
        let result = index.compact();
        let _ = self.bm25.set(index);
        Ok(result?)
    }

    /// Searches the index. Lexical results come from BM25 over chunks and
    /// their definitions; a query can be a word, an identifier, a sentence, a
    /// code fragment or a long issue text.
    pub fn search(&self, options: &SearchOptions) -> Result<SearchResponse> {
        let started = Instant::now();
        let mut stages = BTreeMap::new();
        let mut query = options.query.trim().to_owned();
        if query.is_empty() {
            return Err(Error::InvalidRequest("the query is empty".into()));
        }
        if query.len() > MAX_QUERY_BYTES {
            let mut cut = MAX_QUERY_BYTES;
            while !query.is_char_boundary(cut) {
                cut -= 1;
            }
            query.truncate(cut);
        }
        if !(options.rrf_k > 0.0 && options.rrf_k.is_finite()) {
            return Err(Error::InvalidRequest(format!(
                "the rank fusion k must be positive, not {}",
                options.rrf_k
            )));
        }
        if !(0.0..=10.0).contains(&options.pagerank_weight) {
            return Err(Error::InvalidRequest(format!(
                "the PageRank weight must be between 0 and 10, not {}",
                options.pagerank_weight
            )));
        }
        if options.k == 0 || options.k > 1000 {
            return Err(Error::InvalidRequest(format!(
                "k must be between 1 and 1000, not {}",
                options.k
            )));
        }
        let glob = match &options.path_glob {
            Some(g) => Some(
                globset::Glob::new(g)
                    .map_err(|e| Error::InvalidRequest(format!("bad --path glob: {e}")))?
                    .compile_matcher(),
            ),
            None => None,
        };
        let mut notice = None;
        let mut mode = options.mode;
        // Candidates: enough to survive filtering, merging and grouping.
        let depth = (options.k * 5).max(50);
        let filter = Bm25Filter {
            language: options.language.clone(),
            kind: options.kind.clone(),
        };
        crate::check_deadline(options.deadline, "loading")?;
        let t = Instant::now();
        let vectors = if mode == SearchMode::Lexical {
            None
        } else {
            match (self.embedder(), self.vector_index()) {
                (Some(e), Some(v)) => Some((e, v)),
                (None, _) => {
                    notice = Some(crate::embed::NO_MODEL.to_owned());
                    None
                }
                (Some(_), None) => {
                    notice = Some("no vectors yet: run `codegraph index` to embed the chunks; answered lexically".to_owned());
                    None
                }
            }
        };
        if vectors.is_none() {
            mode = SearchMode::Lexical;
        }
        // Loading the model and the vector index (once per process).
        stages.insert("load_ms".into(), ms(t));
        // BM25 and the vector search run in parallel (neither touches the
        // SQLite connection, which is not shared between threads).
        let bm25 = self.bm25()?;
        let run_lexical = || -> Result<(Vec<(i64, f32)>, f64)> {
            let t = Instant::now();
            if mode == SearchMode::Vector {
                return Ok((Vec::new(), 0.0));
            }
            Ok((bm25.search(&query, depth, &filter)?, ms(t)))
        };
        // (hits, query embedding ms, vector search ms)
        type VectorRun = (Vec<(i64, f32)>, f64, f64);
        let run_vector = || -> Result<VectorRun> {
            let Some((embedder, index)) = vectors else {
                return Ok((Vec::new(), 0.0, 0.0));
            };
            let t = Instant::now();
            // The model reads a few hundred tokens: the head of a long query.
            let head: String = query.chars().take(2000).collect();
            let q = embedder
                .embed_one(&head)
                .map_err(|e| Error::Other(format!("query embedding failed: {e}")))?;
            let embed_ms = ms(t);
            let t = Instant::now();
            let hits: Vec<(i64, f32)> = index
                .search(&q, depth)
                .into_iter()
                .map(|(k, s)| (k as i64, s))
                .collect();
            Ok((hits, embed_ms, ms(t)))
        };
        crate::check_deadline(options.deadline, "retrieval")?;
        let (lexical, vector) = rayon::join(run_lexical, run_vector);
        let (lexical, lexical_ms) = lexical?;
        let (mut vector, embed_ms, vector_ms) = vector?;
        // The language and kind filters, which BM25 applies inside its index.
        if filter.language.is_some() || filter.kind.is_some() {
            let details = self
                .store
                .chunk_details(&vector.iter().map(|h| h.0).collect::<Vec<_>>())?;
            let keep: HashSet<i64> = details
                .iter()
                .filter(|d| filter.language.as_ref().is_none_or(|l| &d.language == l))
                .filter(|d| filter.kind.as_ref().is_none_or(|k| &d.kind == k))
                .map(|d| d.id)
                .collect();
            vector.retain(|h| keep.contains(&h.0));
        }
        stages.insert("lexical_ms".into(), lexical_ms);
        if mode != SearchMode::Lexical {
            stages.insert("query_embedding_ms".into(), embed_ms);
            stages.insert("vector_ms".into(), vector_ms);
        }

        let t = Instant::now();
        let fused: Vec<Fused> = rrf(&lexical, &vector, options.rrf_k, 1.0);
        stages.insert("fuse_ms".into(), ms(t));

        crate::check_deadline(options.deadline, "fetching the results")?;
        let t = Instant::now();
        let ids: Vec<i64> = fused.iter().map(|f| f.id).collect();
        let details = self.store.chunk_details(&ids)?;
        let by_id: HashMap<i64, &codegraph_store::ChunkDetail> =
            details.iter().map(|d| (d.id, d)).collect();
        let focus = self.focus_files(&options.focus)?;
        let terms: HashSet<String> = codegraph_search::analyzer::query_terms(&query)
            .into_iter()
            .collect();
        let mut results: Vec<SearchResult> = Vec::new();
        let mut seen_defs: HashSet<i64> = HashSet::new();
        for f in &fused {
            let Some(d) = by_id.get(&f.id) else { continue };
            if glob.as_ref().is_some_and(|g| !g.is_match(&d.path)) {
                continue;
            }
            // Parts of one long definition: keep the best.
            if let Some(def) = d.def_id
                && !seen_defs.insert(def)
            {
                continue;
            }
            let near = match focus.get(d.path.as_str()) {
                Some(0) => 1.5,
                Some(_) => 1.2,
                None => 1.0,
            };
            let prior = near * (1.0 + options.pagerank_weight * d.importance);
            results.push(SearchResult {
                path: d.path.clone(),
                start_line: d.start_line,
                end_line: d.end_line,
                symbol: d.symbol.clone(),
                kind: d.kind.clone(),
                language: d.language.clone(),
                score: f.score * prior,
                ranks: Ranks {
                    lexical: f.lexical,
                    vector: f.vector,
                },
                snippet: snippet(&d.text, d.start_line, &terms),
                matches: None,
            });
        }
        if !focus.is_empty() || options.pagerank_weight != 0.0 {
            results.sort_by(|a, b| b.score.total_cmp(&a.score));
        }
        if options.group_by_file {
            let mut grouped: Vec<SearchResult> = Vec::new();
            let mut index: HashMap<String, usize> = HashMap::new();
            for r in results {
                match index.get(&r.path) {
                    Some(&i) => {
                        let g = &mut grouped[i];
                        g.score += r.score * 0.25;
                        *g.matches.get_or_insert(1) += 1;
                    }
                    None => {
                        index.insert(r.path.clone(), grouped.len());
                        grouped.push(SearchResult {
                            matches: Some(1),
                            ..r
                        });
                    }
                }
            }
            grouped.sort_by(|a, b| b.score.total_cmp(&a.score));
            results = grouped;
        }
        results.truncate(options.k);
        stages.insert("fetch_ms".into(), ms(t));
        Ok(SearchResponse {
            query: options.query.clone(),
            mode,
            took_ms: ms(started),
            stages,
            vector_coverage: {
                let (done, total) = self.vector_coverage()?;
                if total == 0 {
                    0.0
                } else {
                    done as f64 / total as f64
                }
            },
            notice,
            results,
        })
    }

    /// Focus files (distance 0) and the files they import or are imported
    /// by (distance 1).
    fn focus_files(&self, focus: &[String]) -> Result<HashMap<String, u8>> {
        let mut out = HashMap::new();
        for f in focus {
            let rel = self.relative_path(f);
            if let Ok(imports) = self.imports(&rel) {
                for (p, _) in imports {
                    out.entry(p).or_insert(1);
                }
            }
            if let Ok(importers) = self.importers(&rel) {
                for (p, _) in importers {
                    out.entry(p).or_insert(1);
                }
            }
            out.insert(rel, 0);
        }
        Ok(out)
    }
}

/// Up to three consecutive lines of `text` with the most query terms,
/// numbered from `first_line`.
fn snippet(text: &str, first_line: u32, terms: &HashSet<String>) -> String {
    let lines: Vec<&str> = text.lines().collect();
    if lines.is_empty() {
        return String::new();
    }
    let hits: Vec<usize> = lines
        .iter()
        .map(|l| {
            codegraph_search::analyzer::analyze(l)
                .iter()
                .filter(|t| terms.contains(&t.text))
                .count()
        })
        .collect();
    let window = 3.min(lines.len());
    let best = (0..=lines.len() - window)
        .max_by_key(|&i| {
            (
                hits[i..i + window].iter().sum::<usize>(),
                std::cmp::Reverse(i),
            )
        })
        .unwrap_or(0);
    lines[best..best + window]
        .iter()
        .enumerate()
        .map(|(j, l)| format!("{}: {}", first_line as usize + best + j, l.trim_end()))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_pick_the_lines_that_match() {
        let text = "fn a() {\n    let x = 1;\n    parse_date(x);\n    y();\n    z();\n}";
        let terms: HashSet<String> = ["parse".to_owned(), "date".to_owned()].into();
        let s = snippet(text, 10, &terms);
        assert!(s.contains("12:     parse_date(x);"), "{s}");
        assert_eq!(s.lines().count(), 3);
    }
}
