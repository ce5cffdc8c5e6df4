//! The reader: everything that answers. Immutable and `Send + Sync`; its
//! parts (graph, lexical index, vectors, model, context corpus) load on
//! first use and are shared (`Arc`) with the next reader
//! ([`Reader::next`]) when an update did not touch them.

pub(crate) mod agent;
mod graph;
pub(crate) mod locate;
mod retrievers;
pub(crate) mod search;
mod status;
mod stored;
pub mod understand;

pub use status::{EmbeddingStatus, RepositoryInfo, Status};
pub use stored::MAX_STORED_DEPTH;

use crate::changes::{ChangeSet, Files, GraphChange};
use crate::context::Corpus;
use crate::indexer::embed::load_embedder;
use crate::lazy::Lazy;
use crate::{Error, IndexOptions, Location, Result};
use codegraph_core::{FileId, GraphFacts, RefEdge};
use codegraph_embed::Embedder;
use codegraph_graph::Graph;
use codegraph_search::{Bm25Index, VectorIndex};
use codegraph_store::{
    ChunkRow, DefinitionRow, Diagnostic, FileRow, MetaKey, ReadPool, Skipped, Store,
};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// Idle read connections a reader keeps.
const POOL_IDLE: usize = 4;

/// Answers queries on one index. Cheap to share across threads; build the
/// one that sees an update with [`Reader::next`].
#[derive(Debug)]
pub struct Reader {
    loc: Location,
    options: IndexOptions,
    pool: Arc<ReadPool>,
    graph: Lazy<Arc<Graph>>,
    /// The lexical indexes: chunks, and whole files.
    bm25: Lazy<Option<Lexical>>,
    /// `None` inside: no model installed.
    embedder: Lazy<Option<Arc<Embedder>>>,
    /// `None` inside: no model, or nothing embedded yet.
    vectors: Lazy<Option<VectorIndex>>,
    /// (chunks with a vector, chunks) for the configured model.
    coverage: Lazy<(u64, u64)>,
    /// The store's counts (whole-table scans: read once per reader).
    stats: Lazy<codegraph_store::Stats>,
    corpus: Lazy<Arc<Corpus>>,
    /// Type outlines rendered from this reader's state.
    outlines: crate::context::OutlineCache,
}

/// The lexical indexes of a reader.
#[derive(Debug)]
struct Lexical {
    chunks: Bm25Index,
    files: Option<Bm25Index>,
    /// Why `files` is missing, when it is.
    files_problem: Option<String>,
}

/// What search and status say while the file-level lexical index is
/// missing or damaged.
pub(crate) const NO_FILE_INDEX: &str = "the file-level lexical index is missing or damaged, so files rank without it: run `codegraph index` to rebuild it";

impl Reader {
    /// A reader of the index of the repository at `root` (opened for
    /// writing first, so it exists in the current format).
    pub fn open(root: &Path, options: IndexOptions) -> Result<Reader> {
        let loc = Location::new(root, &options)?;
        codegraph_store::refuse_emptied(&loc.database(), loc.bm25_dir().exists())?;
        let conn = Store::open_for_reading(&loc.database()).map_err(|e| match e {
            codegraph_store::StoreError::OtherFormat { .. } => Error::NeedsIndex(e.to_string()),
            e => Error::Store(e),
        })?;
        loc.check_owner(&conn)?;
        drop(conn);
        // The settings name the model queries are embedded with. A reader
        // answers even when the file became unusable (the writer says why).
        let options = match crate::project::effective(&loc.root, &options) {
            Ok((effective, _)) => effective,
            Err(e) => {
                tracing::warn!(error = %e, "answering with the default settings");
                options
            }
        };
        Reader::open_at(loc, options, None, None)
    }

    pub(crate) fn open_at(
        loc: Location,
        options: IndexOptions,
        vectors: Option<VectorIndex>,
        embedder: Option<Option<Arc<Embedder>>>,
    ) -> Result<Reader> {
        let pool = Arc::new(ReadPool::open(&loc.database(), POOL_IDLE)?);
        Ok(Reader {
            loc,
            options,
            pool,
            graph: Lazy::default(),
            bm25: Lazy::default(),
            embedder: Lazy::from_option(embedder),
            vectors: Lazy::from_option(vectors.map(Some)),
            coverage: Lazy::default(),
            stats: Lazy::default(),
            corpus: Lazy::default(),
            outlines: Default::default(),
        })
    }

    pub fn root(&self) -> &Path {
        &self.loc.root
    }

    pub fn index_dir(&self) -> &Path {
        &self.loc.index_dir
    }

    /// A path as a caller gives it (absolute, or relative to the root) as
    /// a path relative to the root; never resolved against the process's
    /// working directory.
    pub fn relative_path(&self, path: &str) -> Result<String> {
        self.loc.relative(path)
    }

    /// A reader whose every read sees one committed state — the one
    /// current now — until it is dropped; its parts load from that state.
    pub fn pinned(&self) -> Result<Reader> {
        Ok(Reader {
            loc: self.loc.clone(),
            options: self.options.clone(),
            pool: Arc::new(self.pool.pinned()?),
            graph: Lazy::default(),
            bm25: Lazy::default(),
            embedder: Lazy::from_option(self.embedder.get().cloned()),
            vectors: Lazy::default(),
            coverage: Lazy::default(),
            stats: Lazy::default(),
            corpus: Lazy::default(),
            outlines: Default::default(),
        })
    }

    pub(crate) fn options(&self) -> &IndexOptions {
        &self.options
    }

    pub(crate) fn pool(&self) -> &ReadPool {
        &self.pool
    }

    pub(crate) fn outlines(&self) -> &crate::context::OutlineCache {
        &self.outlines
    }

    /// The reader that sees `changes` (written by the indexer since this
    /// reader was built). Parts the changes did not touch are shared; parts
    /// this reader has loaded are patched or reloaded now, so the next
    /// reader is as warm as this one; the rest load on first use.
    pub fn next(&self, changes: &ChangeSet) -> Result<Reader> {
        self.next_with(changes, self.graph.get().cloned())
    }

    /// Moves this reader on to `changes`: [`Reader::next`], without
    /// copying what no other reader shares (the graph is patched in place:
    /// copying the graph of a large repository costs about 100 ms). On an
    /// error this reader stays usable; its graph reloads on first use.
    pub fn advance(&mut self, changes: &ChangeSet) -> Result<()> {
        let graph = std::mem::take(&mut self.graph).into_inner();
        *self = self.next_with(changes, graph)?;
        Ok(())
    }

    /// The next reader, given this one's graph (if loaded).
    fn next_with(&self, changes: &ChangeSet, graph: Option<Arc<Graph>>) -> Result<Reader> {
        let started = Instant::now();
        let graph = match (graph, &changes.graph) {
            (None, _) => Lazy::default(),
            (Some(g), GraphChange::Unchanged) => Lazy::with(g),
            (Some(g), GraphChange::Patched { changed, replaced }) => {
                // A copy only when another reader still holds it.
                let mut g = Arc::try_unwrap(g).unwrap_or_else(|shared| shared.as_ref().clone());
                self.patch_graph(&mut g, changed, replaced)?;
                Lazy::with(Arc::new(g))
            }
            (Some(_), GraphChange::Rebuilt) => Lazy::with(Arc::new(self.load_graph()?)),
        };
        let corpus = match (self.corpus.get(), &changes.files) {
            (None, _) => Lazy::default(),
            (Some(c), Files::None) => Lazy::with(c.clone()),
            (Some(c), Files::Some(files)) => Lazy::with(Arc::new(c.patched(self.pool(), files)?)),
            (Some(_), Files::All) => Lazy::with(Arc::new(Corpus::load(self.pool())?)),
        };
        // New settings may name another model: its queries, its vectors.
        let options = changes
            .options
            .clone()
            .unwrap_or_else(|| self.options.clone());
        let same_model = options.model_config().cache_tag()
            == self.options.model_config().cache_tag()
            && options.model_config().model_dir == self.options.model_config().model_dir;
        let vectors = match (&changes.vectors, self.vectors.get()) {
            (Some(v), _) => Lazy::with(Some(v.clone())),
            (None, Some(v)) if same_model => Lazy::with(v.clone()),
            (None, _) => Lazy::default(),
        };
        let embedder = match same_model {
            // Query embeddings never wait for the indexer's model.
            true => Lazy::from_option(self.embedder.get().cloned()),
            false => Lazy::default(),
        };
        let next = Reader {
            loc: self.loc.clone(),
            options,
            pool: self.pool.clone(),
            graph,
            bm25: Lazy::default(),
            embedder,
            vectors,
            coverage: Lazy::default(),
            stats: Lazy::default(),
            corpus,
            outlines: Default::default(),
        };
        if self.bm25.get().is_some() {
            next.bm25()?;
        }
        if self.coverage.get().is_some() {
            next.vector_coverage()?;
        }
        tracing::debug!(
            ms = started.elapsed().as_millis() as u64,
            "next reader built"
        );
        Ok(next)
    }

    /// Brings `graph` up to date after an incremental update: the facts of
    /// `changed` files and the edges of `replaced` ones.
    fn patch_graph(
        &self,
        graph: &mut Graph,
        changed: &HashSet<FileId>,
        replaced: &HashSet<FileId>,
    ) -> Result<()> {
        let snapshot = self.pool.snapshot()?;
        let changed_ids: Vec<FileId> = changed.iter().copied().collect();
        let replaced_ids: Vec<FileId> = replaced.iter().copied().collect();
        let facts = snapshot.graph_facts_of(&changed_ids)?;
        let (edges, externals) = snapshot.edges_of_files(&replaced_ids)?;
        drop(snapshot);
        graph.patch(&facts, changed, replaced, &edges, &externals);
        Ok(())
    }

    /// Builds the graph from the store (facts and edges of one state).
    fn load_graph(&self) -> Result<Graph> {
        let t = Instant::now();
        let snapshot = self.pool.snapshot()?;
        let facts = snapshot.graph_facts()?;
        let edges = snapshot.edges()?;
        let externals = snapshot.externals()?;
        drop(snapshot);
        let loaded_ms = t.elapsed().as_millis() as u64;
        let graph = Graph::build(&facts, &edges, &externals);
        tracing::debug!(
            loaded_ms,
            built_ms = t.elapsed().as_millis() as u64,
            edges = edges.len(),
            "graph loaded"
        );
        Ok(graph)
    }

    /// The code graph, loaded on first use.
    pub(crate) fn graph(&self) -> Result<&Graph> {
        Ok(self
            .graph
            .get_or_try_load(|| self.load_graph().map(Arc::new))?)
    }

    /// The lexical index, opened on first use.
    /// `None` while it does not exist (the first index run has not
    /// reached it); a damaged one is an error.
    pub(crate) fn bm25(&self) -> Result<Option<&Bm25Index>> {
        Ok(self.lexical()?.map(|l| &l.chunks))
    }

    /// The file-level lexical index (one document per file), opened with
    /// the chunk-level one; `None` while either does not exist.
    pub(crate) fn bm25_files(&self) -> Result<Option<&Bm25Index>> {
        Ok(self.lexical()?.and_then(|l| l.files.as_ref()))
    }

    /// Why the file-level lexical index is not there to answer, when the
    /// chunk-level one is.
    pub(crate) fn file_index_problem(&self) -> Option<String> {
        self.lexical()
            .ok()
            .flatten()
            .and_then(|l| l.files_problem.clone())
    }

    fn lexical(&self) -> Result<Option<&Lexical>> {
        let open = |dir: PathBuf| -> Result<Option<Bm25Index>> {
            if !Bm25Index::exists(&dir) {
                return Ok(None);
            }
            Bm25Index::open_read(&dir).map(Some).map_err(|e| match e {
                e if e.is_damage() => Error::Search(e),
                e => Error::NeedsIndex(format!("the lexical index: {e}")),
            })
        };
        Ok(self
            .bm25
            .get_or_try_load(|| -> Result<Option<Lexical>> {
                let Some(chunks) = open(self.loc.bm25_dir())? else {
                    return Ok(None);
                };
                // The file-level index only helps: search goes on without
                // it (a damaged one has left word for the writer), and says
                // so, since answers rank differently without it.
                let (files, files_problem) = match open(self.loc.bm25_files_dir()) {
                    Ok(Some(files)) => (Some(files), None),
                    Ok(None) => (None, Some(NO_FILE_INDEX.to_owned())),
                    Err(e) => {
                        tracing::warn!(error = %e, "the file-level lexical index is unavailable");
                        (None, Some(format!("{NO_FILE_INDEX} ({e})")))
                    }
                };
                Ok(Some(Lexical {
                    chunks,
                    files,
                    files_problem,
                }))
            })?
            .as_ref())
    }

    /// The embedding model, loaded on first use; `None` when no model is
    /// installed (or it fails to load — logged once).
    pub fn embedder(&self) -> Option<&Embedder> {
        self.embedder
            .get_or_load(|| {
                let mut config = self.options.model_config();
                config.quick_start = self.options.reader_life == crate::ReaderLife::OneShot;
                load_embedder(&config)
            })
            .as_deref()
    }

    /// Whether this reader holds a loaded embedding model (the model is
    /// loaded by the first search that has vectors to search).
    pub fn model_loaded(&self) -> bool {
        self.embedder.get().is_some_and(|m| m.is_some())
    }

    /// The model configuration in use.
    pub fn model_config(&self) -> codegraph_embed::ModelConfig {
        self.options.model_config()
    }

    /// The vector index of the current model, loaded on first use (and
    /// patched in memory when the saved one lags the store); `None` without
    /// a model or before any embedding (no model is loaded for it).
    pub(crate) fn vector_index(&self) -> Option<&VectorIndex> {
        self.vectors
            .get_or_load(|| {
                // Tag and dimension come from the configuration: opening
                // the vectors needs no model, and none is loaded where no
                // vectors exist.
                let config = self.options.model_config();
                let tag = config.cache_tag();
                let dir = VectorIndex::dir_for(&self.loc.index_dir, &tag);
                let conn = self.pool.read().ok()?;
                if conn.embedding_coverage(&tag).ok()?.0 == 0 {
                    return None;
                }
                let access = self.options.reader_life.vector_access();
                let opened = crate::vectors::open_or_heal(access, &conn, &dir, &tag, config.dim);
                let mut index = match opened {
                    Ok(found) => found?,
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot read the stored vectors");
                        return None;
                    }
                };
                if conn.meta(MetaKey::VectorsDirty).ok()?.as_deref() != Some("0") {
                    // Too far behind to patch: the saved index as it is
                    // (hits of chunks that are gone are dropped) until the
                    // indexer rebuilds it.
                    if let Err(e) = crate::vectors::reconcile(&conn, &mut index, &tag) {
                        tracing::warn!(error = %e, "cannot patch the vector index");
                    }
                }
                Some(index)
            })
            .as_ref()
    }

    /// (chunks with a vector, chunks) for the current model; counted once
    /// per reader.
    /// The store's counts as this reader first read them.
    pub(crate) fn stats(&self) -> Result<codegraph_store::Stats> {
        Ok(self
            .stats
            .get_or_try_load(|| self.pool.read()?.stats())?
            .clone())
    }

    pub fn vector_coverage(&self) -> Result<(u64, u64)> {
        // The tag comes from the configuration: counting needs no model.
        let tag = self.options.model_config().cache_tag();
        Ok(*self
            .coverage
            .get_or_try_load(|| self.pool.read()?.embedding_coverage(&tag))?)
    }

    /// The completion-context corpus, loaded on first use.
    pub(crate) fn corpus(&self) -> Result<&Corpus> {
        Ok(self
            .corpus
            .get_or_try_load(|| Corpus::load(self.pool()).map(Arc::new))?)
    }

    /// The corpus, if loaded (tests).
    #[cfg(test)]
    pub(crate) fn loaded_corpus(&self) -> Option<&Arc<Corpus>> {
        self.corpus.get()
    }

    /// Definitions in one indexed file (path relative to the root).
    /// A file that is not in the index is [`Error::NotIndexed`] (not an
    /// empty list: the caller may have the path wrong).
    pub fn symbols_in_file(&self, path: &str) -> Result<Vec<DefinitionRow>> {
        let conn = self.pool.read()?;
        let defs = conn.definitions_in_file(path)?;
        if defs.is_empty() && !conn.has_file(path)? {
            return Err(Error::NotIndexed(path.to_owned()));
        }
        Ok(defs)
    }

    /// Definitions whose name or qualified name is `name`, else whose
    /// qualified name ends with it (`Class.method`, `module::Type`), as
    /// callers and callees read a symbol; `crate::a::f`, as written inside
    /// a crate, is `a::f` of any crate.
    pub fn find_symbol(&self, name: &str) -> Result<Vec<DefinitionRow>> {
        let conn = self.pool.read()?;
        let found = conn.definitions_named(name)?;
        if !found.is_empty() || !(name.contains('.') || name.contains("::")) {
            return Ok(found);
        }
        let last = name.rsplit(['.', ':']).next().unwrap_or(name);
        Ok(conn
            .definitions_named(last)?
            .into_iter()
            .filter(|d| codegraph_core::types::ends_with_qualified(&d.qualified_name, name))
            .collect())
    }

    /// The chunks of one indexed file, in source order.
    pub fn chunks_in_file(&self, path: &str) -> Result<Vec<ChunkRow>> {
        Ok(self.pool.read()?.chunks_in_file(path)?)
    }

    /// The text of a token id of the chunk vocabulary.
    pub fn token_text(&self, id: u32) -> Result<Option<String>> {
        Ok(self.pool.read()?.token_text(id)?)
    }

    /// Every indexed file.
    pub fn files(&self) -> Result<Vec<FileRow>> {
        Ok(self.pool.read()?.files()?)
    }

    /// Paths that were not indexed, and why.
    pub fn skipped(&self) -> Result<Vec<Skipped>> {
        Ok(self.pool.read()?.skipped()?)
    }

    /// Parse diagnostics of indexed files.
    pub fn diagnostics(&self) -> Result<Vec<Diagnostic>> {
        Ok(self.pool.read()?.diagnostics()?)
    }

    /// The facts graph resolution reads (for tools and evaluations).
    pub fn graph_facts(&self) -> Result<GraphFacts> {
        Ok(self.pool.snapshot()?.graph_facts()?)
    }

    /// Every stored reference edge.
    pub fn stored_edges(&self) -> Result<Vec<RefEdge>> {
        Ok(self.pool.read()?.edges()?)
    }

    /// Up to `limit` texts the indexer would embed for `model` (a model
    /// name with no vectors gives the first chunks): benchmarks' inputs.
    pub fn embedding_inputs(&self, model: &str, limit: usize) -> Result<Vec<String>> {
        Ok(self
            .pool
            .read()?
            .embed_jobs(model, limit)?
            .into_iter()
            .map(|j| j.text)
            .collect())
    }

    /// Unix seconds of the last completed indexing run (`None`: never).
    pub fn last_indexed(&self) -> Result<Option<i64>> {
        Ok(self.pool.read()?.meta_record()?.last_indexed)
    }

    /// The directory tree: each directory with its number of indexed files,
    /// down to `depth` levels.
    pub fn directory_tree(&self, depth: usize) -> Result<Vec<(String, u64)>> {
        let mut counts: std::collections::BTreeMap<String, u64> = Default::default();
        for f in self.files()? {
            let parts: Vec<&str> = f.path.split('/').collect();
            *counts.entry(String::new()).or_insert(0) += 1;
            for level in 1..parts.len().min(depth + 1) {
                *counts.entry(parts[..level].join("/")).or_insert(0) += 1;
            }
        }
        Ok(counts.into_iter().collect())
    }
}
