//! Search: a composition of retrievers (BM25, vectors; a team adds its
//! own through [`Retriever`]) whose ranked lists a [`Ranker`] fuses
//! (reciprocal rank fusion by default), then priors, de-duplication and
//! grouping.

use super::retrievers::{ExactRetriever, FileRetriever, SymbolRetriever, one_line};
use super::understand::{Understood, understand};
use crate::{Error, Reader, Result};
use codegraph_core::{ChunkId, DocKind, PathRole};
use codegraph_search::{Bm25Filter, Fused, RankScore, rrf};
use rayon::prelude::*;
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
    pub kind: Option<DocKind>,
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
    /// Retrievers other than the lexical and the vector one, by name.
    #[serde(flatten, skip_serializing_if = "BTreeMap::is_empty")]
    pub other: BTreeMap<String, RankScore>,
}

/// One result.
#[derive(Debug, Clone, Serialize)]
pub struct SearchResult {
    pub path: String,
    pub start_line: u32,
    pub end_line: u32,
    pub symbol: Option<String>,
    pub kind: DocKind,
    pub language: String,
    pub score: f64,
    pub ranks: Ranks,
    /// The lines of the chunk that match the query best, `line: text`.
    pub snippet: String,
    /// With `group_by_file`: how many chunks of the file matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matches: Option<usize>,
}

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
    /// What the query was understood to contain (identifiers, paths,
    /// traceback frames, exact text) and sent to the symbol table, the file
    /// list and exact search.
    #[serde(skip_serializing_if = "Understood::is_empty")]
    pub understood: Understood,
    pub results: Vec<SearchResult>,
}

/// The default weight of the PageRank prior (chosen on `cargo xtask
/// eval-search`; see the README's figures).
pub const DEFAULT_PAGERANK_WEIGHT: f64 = 0.0;

/// Weight of the whole-file BM25 list in the fusion (chosen on `cargo
/// xtask eval-tasks` over rich, axios and caddy).
pub const FILE_WEIGHT: f64 = 1.0;

/// The notice of a search while the lexical index does not exist.
pub const NO_LEXICAL_INDEX: &str = "the lexical index is not built yet (the first index run has not finished): run `codegraph index`";

/// Longest query accepted, in bytes; longer text is cut (at a char
/// boundary) before analysis.
pub const MAX_QUERY_BYTES: usize = 16 * 1024;

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

/// What a retriever is asked.
#[derive(Debug, Clone)]
pub struct Query<'a> {
    /// The query text, trimmed and bounded ([`MAX_QUERY_BYTES`]).
    pub text: &'a str,
    pub language: Option<&'a str>,
    pub kind: Option<DocKind>,
    /// How many hits to return at most.
    pub depth: usize,
}

/// One retriever's answer: chunks best first, with its own scores, and the
/// time its stages took.
#[derive(Debug, Clone, Default)]
pub struct Hits {
    pub hits: Vec<(ChunkId, f32)>,
    /// `(stage name, milliseconds)`, reported as `<stage>_ms`.
    pub stages: Vec<(String, f64)>,
    /// Whether the hits already satisfy the query's language and kind
    /// filters (otherwise the pipeline applies them).
    pub filtered: bool,
}

impl Hits {
    pub fn new(hits: Vec<(ChunkId, f32)>) -> Hits {
        Hits {
            hits,
            ..Hits::default()
        }
    }
}

/// A source of ranked chunks for a query: one list the ranker fuses.
///
/// Adding a retriever to the default pipeline (here one that pins chunks):
///
/// ```no_run
/// use codegraph::core::ChunkId;
/// use codegraph::{Hits, Query, Reader, Retriever, SearchOptions};
///
/// struct Pinned(Vec<ChunkId>);
///
/// impl Retriever for Pinned {
///     fn name(&self) -> &str {
///         "pinned"
///     }
///     fn retrieve(&self, _query: &Query<'_>) -> codegraph::Result<Hits> {
///         Ok(Hits::new(self.0.iter().map(|&id| (id, 1.0)).collect()))
///     }
/// }
///
/// # fn run(reader: &Reader) -> codegraph::Result<()> {
/// let options = SearchOptions { query: "parse config".into(), ..SearchOptions::default() };
/// let mut pipeline = reader.pipeline(&options)?;
/// pipeline.add(Box::new(Pinned(vec![ChunkId(42)])), 1.0);
/// let response = reader.search_with(&options, &pipeline)?;
/// # Ok(()) }
/// ```
pub trait Retriever: Send + Sync {
    /// A short name, shown with each result's ranks (`lexical`, `vector`).
    fn name(&self) -> &str;
    fn retrieve(&self, query: &Query<'_>) -> Result<Hits>;
    /// A rough relative cost (1: a lookup in an index). The retrievers run
    /// in parallel, costliest first, so that the cheap ones share the other
    /// threads beside it rather than queue behind it.
    fn cost(&self) -> u32 {
        1
    }
}

/// Fuses the retrievers' lists into one ranking, best first. `lists[i]`
/// comes from the `i`-th retriever, with its weight.
pub trait Ranker: Send + Sync {
    fn rank(&self, lists: &[(&Hits, f64)]) -> Vec<Fused>;
}

/// Reciprocal rank fusion: `score(d) = Σ weight / (k + rank(d))`.
#[derive(Debug, Clone, Copy)]
pub struct RrfRanker {
    pub k: f64,
}

impl Ranker for RrfRanker {
    fn rank(&self, lists: &[(&Hits, f64)]) -> Vec<Fused> {
        let lists: Vec<(&[(ChunkId, f32)], f64)> =
            lists.iter().map(|(h, w)| (h.hits.as_slice(), *w)).collect();
        rrf(&lists, self.k)
    }
}

/// The retrievers and the ranker of one search.
pub struct SearchPipeline<'r> {
    retrievers: Vec<(Box<dyn Retriever + 'r>, f64)>,
    ranker: Box<dyn Ranker + 'r>,
    /// The mode that answers (lexical when vectors are unavailable).
    mode: SearchMode,
    notice: Option<String>,
}

impl std::fmt::Debug for SearchPipeline<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchPipeline")
            .field("retrievers", &self.names())
            .field("mode", &self.mode)
            .finish()
    }
}

impl<'r> SearchPipeline<'r> {
    /// Adds a retriever whose list the ranker fuses with weight `weight`.
    pub fn add(&mut self, retriever: Box<dyn Retriever + 'r>, weight: f64) {
        self.retrievers.push((retriever, weight));
    }

    /// Replaces the ranker.
    pub fn set_ranker(&mut self, ranker: Box<dyn Ranker + 'r>) {
        self.ranker = ranker;
    }

    /// The retrievers' names, in order.
    pub fn names(&self) -> Vec<&str> {
        self.retrievers.iter().map(|r| r.0.name()).collect()
    }

    /// Keeps the retrievers whose name `keep` accepts (to replace one, or
    /// to measure each alone).
    pub fn retain(&mut self, keep: impl Fn(&str) -> bool) {
        self.retrievers.retain(|r| keep(r.0.name()));
    }
}

/// BM25 over chunks and their definitions.
struct LexicalRetriever<'r> {
    reader: &'r Reader,
}

impl Retriever for LexicalRetriever<'_> {
    fn name(&self) -> &str {
        "lexical"
    }

    fn retrieve(&self, query: &Query<'_>) -> Result<Hits> {
        let t = Instant::now();
        let filter = Bm25Filter {
            language: query.language.map(str::to_owned),
            kind: query.kind,
            ..Bm25Filter::default()
        };
        let hits = match self.reader.bm25()? {
            Some(index) => index.search(query.text, query.depth, &filter)?,
            None => Vec::new(), // said in the response's notice
        };
        Ok(Hits {
            hits,
            stages: vec![("lexical".into(), ms(t))],
            filtered: true,
        })
    }
}

/// Nearest chunks to the query's embedding.
struct VectorRetriever<'r> {
    embedder: &'r codegraph_embed::Embedder,
    index: &'r codegraph_search::VectorIndex,
    /// The query's embedding when it was computed while the index loaded.
    early: Option<Embedded>,
}

/// A query head's embedding and what it took (ms).
struct Embedded {
    head: String,
    vector: Vec<f32>,
    ms: f64,
}

/// What of a query the model reads: the head of a long one (a few hundred
/// tokens at most).
fn model_head(text: &str) -> String {
    text.chars().take(2000).collect()
}

impl Retriever for VectorRetriever<'_> {
    fn name(&self) -> &str {
        "vector"
    }

    /// Embedding the query costs more than the index lookups together.
    fn cost(&self) -> u32 {
        8
    }

    fn retrieve(&self, query: &Query<'_>) -> Result<Hits> {
        let t = Instant::now();
        let head = model_head(query.text);
        let (q, embed_ms) = match &self.early {
            Some(e) if e.head == head => (e.vector.clone(), e.ms),
            _ => {
                let q = self
                    .embedder
                    .embed_one(&head)
                    .map_err(|e| Error::Other(format!("query embedding failed: {e}")))?;
                (q, ms(t))
            }
        };
        let t = Instant::now();
        let hits = self
            .index
            .search(&q, query.depth)
            .into_iter()
            .map(|(k, s)| (ChunkId(k as i64), s))
            .collect();
        Ok(Hits {
            hits,
            stages: vec![
                ("query_embedding".into(), embed_ms),
                ("vector".into(), ms(t)),
            ],
            filtered: false,
        })
    }
}

/// The query text trimmed and cut at [`MAX_QUERY_BYTES`] (on a character
/// boundary).
fn bounded_query(text: &str) -> Result<String> {
    let mut query = text.trim().to_owned();
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
    Ok(query)
}

fn validate(options: &SearchOptions) -> Result<Option<globset::GlobMatcher>> {
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
    match &options.path_glob {
        Some(g) => Ok(Some(
            globset::Glob::new(g)
                .map_err(|e| Error::InvalidRequest(format!("bad --path glob: {e}")))?
                .compile_matcher(),
        )),
        None => Ok(None),
    }
}

impl Reader {
    /// The default pipeline for `options`: BM25, and vectors when the mode
    /// wants them and a model and a vector index exist, fused by RRF.
    pub fn pipeline(&self, options: &SearchOptions) -> Result<SearchPipeline<'_>> {
        let mut notice = None;
        let vectors = if options.mode == SearchMode::Lexical {
            None
        } else {
            // The vectors first: without them the model is not loaded.
            // With vectors, the model loads beside them (a cold process
            // pays for the slower of the two, not their sum).
            // The model's thread also embeds the query: a fresh session's
            // first run is its slowest, and it overlaps the index's load.
            let (index, early) = if self.vector_coverage()?.0 > 0 && !self.model_loaded() {
                std::thread::scope(|s| {
                    let model = s.spawn(|| {
                        let embedder = self.embedder()?;
                        let head = model_head(&bounded_query(&options.query).ok()?);
                        let t = Instant::now();
                        let vector = embedder.embed_one(&head).ok()?;
                        Some(Embedded {
                            head,
                            vector,
                            ms: ms(t),
                        })
                    });
                    let index = self.vector_index();
                    (index, model.join().ok().flatten())
                })
            } else {
                (self.vector_index(), None)
            };
            match index {
                None => {
                    notice = Some(crate::NO_VECTORS.to_owned());
                    None
                }
                Some(v) => match self.embedder() {
                    Some(e) => Some((e, v, early)),
                    None => {
                        notice = Some(crate::NO_MODEL.to_owned());
                        None
                    }
                },
            }
        };
        if options.mode != SearchMode::Vector && self.bm25()?.is_none() {
            let missing = NO_LEXICAL_INDEX.to_owned();
            notice = Some(match notice {
                Some(n) => format!("{missing}; {n}"),
                None => missing,
            });
        } else if options.mode != SearchMode::Vector
            && options.kind.is_none()
            && let Some(problem) = self.file_index_problem()
        {
            notice = Some(match notice {
                Some(n) => format!("{problem}; {n}"),
                None => problem,
            });
        }
        let mode = if vectors.is_none() {
            SearchMode::Lexical
        } else {
            options.mode
        };
        let mut pipeline = SearchPipeline {
            retrievers: Vec::new(),
            ranker: Box::new(RrfRanker { k: options.rrf_k }),
            mode,
            notice,
        };
        if mode != SearchMode::Vector {
            pipeline.add(Box::new(LexicalRetriever { reader: self }), 1.0);
            // Whole files: not when results must be of one kind.
            if options.kind.is_none() {
                pipeline.add(Box::new(FileRetriever { reader: self }), FILE_WEIGHT);
            }
            // What the query names and quotes: only when it names or quotes
            // something.
            let u = understand(&options.query);
            if !u.identifiers.is_empty() || u.frames.iter().any(|f| f.function.is_some()) {
                pipeline.add(Box::new(SymbolRetriever { reader: self }), 1.0);
            }
            if !u.exact.is_empty() || one_line(&options.query).is_some() {
                pipeline.add(Box::new(ExactRetriever { reader: self }), 1.5);
            }
        }
        if let Some((embedder, index, early)) = vectors {
            pipeline.add(
                Box::new(VectorRetriever {
                    embedder,
                    index,
                    early,
                }),
                1.0,
            );
        }
        Ok(pipeline)
    }

    /// Searches the index. Lexical results come from BM25 over chunks and
    /// their definitions; a query can be a word, an identifier, a sentence, a
    /// code fragment or a long issue text.
    pub fn search(&self, options: &SearchOptions) -> Result<SearchResponse> {
        let started = Instant::now();
        bounded_query(&options.query)?;
        validate(options)?;
        crate::check_deadline(options.deadline, "loading")?;
        let t = Instant::now();
        // Loading the model and the vector index (once per reader).
        let pipeline = self.pipeline(options)?;
        let load_ms = ms(t);
        let mut response = self.search_with(options, &pipeline)?;
        response.stages.insert("load_ms".into(), load_ms);
        response.took_ms = ms(started);
        Ok(response)
    }

    /// Searches with the retrievers and ranker of `pipeline`.
    pub fn search_with(
        &self,
        options: &SearchOptions,
        pipeline: &SearchPipeline<'_>,
    ) -> Result<SearchResponse> {
        let started = Instant::now();
        let query = bounded_query(&options.query)?;
        let glob = validate(options)?;
        let mut stages = BTreeMap::new();
        // Candidates: enough to survive filtering, merging and grouping.
        let q = Query {
            text: &query,
            language: options.language.as_deref(),
            kind: options.kind,
            depth: (options.k * 5).max(50),
        };
        crate::check_deadline(options.deadline, "retrieval")?;
        // The retrievers run in parallel, costliest first; the lists keep
        // the pipeline's order.
        let mut order: Vec<usize> = (0..pipeline.retrievers.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(pipeline.retrievers[i].0.cost()));
        let mut found: Vec<(usize, Hits)> = order
            .par_iter()
            .map(|&i| Ok((i, pipeline.retrievers[i].0.retrieve(&q)?)))
            .collect::<Result<_>>()?;
        found.sort_by_key(|(i, _)| *i);
        let mut lists: Vec<Hits> = found.into_iter().map(|(_, hits)| hits).collect();
        self.apply_filters(&q, &mut lists)?;
        for hits in &lists {
            for (stage, t) in &hits.stages {
                stages.insert(format!("{stage}_ms"), *t);
            }
        }
        let t = Instant::now();
        let weighted: Vec<(&Hits, f64)> = lists
            .iter()
            .zip(&pipeline.retrievers)
            .map(|(h, (_, w))| (h, *w))
            .collect();
        let fused = pipeline.ranker.rank(&weighted);
        stages.insert("fuse_ms".into(), ms(t));
        crate::check_deadline(options.deadline, "fetching the results")?;
        let t = Instant::now();
        let names: Vec<&str> = pipeline.retrievers.iter().map(|r| r.0.name()).collect();
        let results = self.results(options, &query, glob.as_ref(), &fused, &names)?;
        stages.insert("fetch_ms".into(), ms(t));
        let (done, total) = self.vector_coverage()?;
        Ok(SearchResponse {
            query: options.query.clone(),
            mode: pipeline.mode,
            took_ms: ms(started),
            stages,
            vector_coverage: if total == 0 {
                0.0
            } else {
                done as f64 / total as f64
            },
            notice: pipeline.notice.clone(),
            understood: understand(&query),
            results,
        })
    }

    /// Applies the language and kind filters to the lists of retrievers
    /// that do not apply them themselves (BM25 does, in its index).
    fn apply_filters(&self, q: &Query<'_>, lists: &mut [Hits]) -> Result<()> {
        if q.language.is_none() && q.kind.is_none() {
            return Ok(());
        }
        for hits in lists.iter_mut().filter(|h| !h.filtered) {
            let ids: Vec<ChunkId> = hits.hits.iter().map(|h| h.0).collect();
            let details = self.pool().read()?.chunk_details(&ids)?;
            let keep: HashSet<ChunkId> = details
                .iter()
                .filter(|d| q.language.is_none_or(|l| d.language == l))
                .filter(|d| q.kind.is_none_or(|k| d.kind == k))
                .map(|d| d.id)
                .collect();
            hits.hits.retain(|h| keep.contains(&h.0));
        }
        Ok(())
    }

    /// The fused ranking as results: details of one snapshot, the path
    /// glob, one result per definition, priors, grouping, the top `k`.
    fn results(
        &self,
        options: &SearchOptions,
        query: &str,
        glob: Option<&globset::GlobMatcher>,
        fused: &[Fused],
        names: &[&str],
    ) -> Result<Vec<SearchResult>> {
        let focus = self.focus_files(&options.focus)?;
        let understood = understand(query);
        let mentioned = self.mentioned_files(&understood)?;
        let ids: Vec<ChunkId> = fused.iter().map(|f| f.id).collect();
        // One read snapshot: a concurrent update shows whole or not at all.
        // Ranking reads no chunk text; only the results kept are read whole.
        let snapshot = self.pool().snapshot()?;
        let details = snapshot.chunk_summaries(&ids)?;
        let by_id: HashMap<ChunkId, &codegraph_store::ChunkDetail> =
            details.iter().map(|d| (d.id, d)).collect();
        let terms: HashSet<String> = codegraph_search::analyzer::query_terms(query)
            .into_iter()
            .collect();
        let mut results: Vec<SearchResult> = Vec::new();
        // The chunk of each result, for its snippet once the top k are known.
        let mut chunk_of: HashMap<(String, u32, u32), ChunkId> = HashMap::new();
        let mut seen_defs = HashSet::new();
        for f in fused {
            let Some(d) = by_id.get(&f.id) else { continue };
            if glob.is_some_and(|g| !g.is_match(&d.path)) {
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
            // Files the query names (a path, a traceback frame) rank higher;
            // tests, fixtures and examples lower unless the query asks for
            // them.
            let named = if mentioned.contains(d.path.as_str()) {
                1.5
            } else {
                1.0
            };
            // Text found verbatim (pasted): grep's certainty, whatever
            // the file is for.
            let verbatim = names
                .iter()
                .zip(&f.ranks)
                .any(|(n, r)| *n == "exact" && r.is_some());
            let role = if understood.wants_tests || verbatim {
                1.0
            } else {
                match PathRole::of(&d.path) {
                    PathRole::Source => 1.0,
                    PathRole::Test | PathRole::Fixture => 0.5,
                    PathRole::Example | PathRole::Vendored | PathRole::Generated => 0.7,
                }
            };
            let exact = if verbatim { 2.0 } else { 1.0 };
            let prior =
                near * named * role * exact * (1.0 + options.pagerank_weight * d.importance);
            results.push(SearchResult {
                path: d.path.clone(),
                start_line: d.start_line,
                end_line: d.end_line,
                symbol: d.symbol.clone(),
                kind: d.kind,
                language: d.language.clone(),
                score: f.score * prior,
                ranks: ranks_of(f, names),
                snippet: String::new(),
                matches: None,
            });
            chunk_of
                .entry((d.path.clone(), d.start_line, d.end_line))
                .or_insert(d.id);
        }
        results.sort_by(|a, b| b.score.total_cmp(&a.score));
        if options.group_by_file {
            results = group_by_file(results);
        }
        results.truncate(options.k);
        let key = |r: &SearchResult| (r.path.clone(), r.start_line, r.end_line);
        let kept: Vec<ChunkId> = results
            .iter()
            .filter_map(|r| chunk_of.get(&key(r)).copied())
            .collect();
        let texts: HashMap<ChunkId, String> = snapshot.chunk_texts(&kept)?.into_iter().collect();
        for r in &mut results {
            if let Some(text) = chunk_of.get(&key(r)).and_then(|id| texts.get(id)) {
                r.snippet = snippet(text, r.start_line, &terms);
            }
        }
        Ok(results)
    }

    /// Indexed files a query names by path or file name, or through a
    /// traceback frame (a name matches files whose path ends with it).
    fn mentioned_files(&self, understood: &Understood) -> Result<HashSet<String>> {
        let names: Vec<&str> = understood
            .paths
            .iter()
            .map(String::as_str)
            .chain(understood.frames.iter().map(|f| f.path.as_str()))
            .collect();
        if names.is_empty() {
            return Ok(HashSet::new());
        }
        let mut out = HashSet::new();
        for f in self.files()? {
            let hit = names.iter().any(|n| {
                f.path == *n
                    || (f.path.ends_with(n) && f.path[..f.path.len() - n.len()].ends_with('/'))
                    || (n.ends_with(f.path.as_str()) && n[..n.len() - f.path.len()].ends_with('/'))
            });
            if hit {
                out.insert(f.path);
            }
        }
        Ok(out)
    }

    /// Focus files (distance 0) and the files they import or are imported
    /// by (distance 1).
    fn focus_files(&self, focus: &[String]) -> Result<HashMap<String, u8>> {
        let mut out = HashMap::new();
        for f in focus {
            let rel = self.relative_path(f)?;
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

/// Each retriever's rank of a fused result, by name.
fn ranks_of(f: &Fused, names: &[&str]) -> Ranks {
    let mut ranks = Ranks::default();
    for (name, rank) in names.iter().zip(&f.ranks) {
        let Some(rank) = *rank else { continue };
        match *name {
            "lexical" => ranks.lexical = Some(rank),
            "vector" => ranks.vector = Some(rank),
            other => {
                ranks.other.insert(other.to_owned(), rank);
            }
        }
    }
    ranks
}

/// One result per file: the best chunk's, scored from the file's best
/// chunks (the best, a quarter of the second, a tenth of the third; never a
/// count of matches, so big files do not crowd out the small one with the
/// right function), with the number of matches.
fn group_by_file(results: Vec<SearchResult>) -> Vec<SearchResult> {
    let mut grouped: Vec<SearchResult> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for r in results {
        match index.get(&r.path) {
            Some(&i) => {
                let g = &mut grouped[i];
                let n = g.matches.get_or_insert(1);
                g.score += r.score
                    * match *n {
                        1 => 0.25,
                        2 => 0.1,
                        _ => 0.0,
                    };
                *n += 1;
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
    grouped
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
