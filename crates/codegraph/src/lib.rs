//! codegraph: index a repository into files, definitions, imports, calls,
//! inheritance and chunks, persisted in SQLite; read it back.
//!
//! This is the library other programs embed; the `codegraph` CLI is a thin
//! layer on it.
//!
//! ```no_run
//! use codegraph::{Codegraph, IndexOptions, NoProgress};
//! let mut cg = Codegraph::open(std::path::Path::new("."), IndexOptions::default())?;
//! let report = cg.index(&NoProgress)?;
//! println!("{} files, {} chunks", report.stats.files, report.stats.chunks);
//! for def in cg.find_symbol("main")? {
//!     println!("{}:{} {}", def.path, def.start_line, def.signature);
//! }
//! # Ok::<(), codegraph::Error>(())
//! ```
//!
//! The index lives outside the repository (the user's cache directory, keyed
//! by the repository's canonical path, or [`IndexOptions::index_dir`]);
//! codegraph never writes into the repository it indexes.

mod context;
mod embed;
mod git;
mod pipeline;
mod search;
mod walk;
mod watch;

pub use codegraph_core::{self as core, FileFacts};
pub use codegraph_embed as embedding;
pub use codegraph_graph::{
    EdgeKind, Graph, MapEntry, MapOptions, Node, Related, RepoMap, ResolutionStats, Subgraph,
    Symbol,
};
pub use codegraph_search::similar::Similarity;
pub use codegraph_search::{RankScore, SearchError};
pub use codegraph_store::{
    ChunkRow, DefinitionRow, FORMAT_VERSION, ImportFact, NodeRef, Skipped, Stats,
};
pub use context::{
    ColumnEncoding, CompletionRetrieval, ContextRequest, ContextResponse, ContextStats, Snippet,
    Structure,
};
pub use embed::{EmbedReport, NO_MODEL};
pub use git::GitInfo;
pub use pipeline::RunCounts;
pub use search::{
    DEFAULT_PAGERANK_WEIGHT, MAX_QUERY_BYTES, Ranks, SearchMode, SearchOptions, SearchResponse,
    SearchResult,
};
pub use walk::{DEFAULT_EXCLUDED_DIRS, IGNORE_FILE};
pub use watch::{WatchOptions, WatchUpdate, WatcherState, lower_thread_priority, resident_memory};

pub use codegraph_graph::NodeIndex;
use codegraph_lang::Registry;
use codegraph_store::Store;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Errors of the library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}: no such directory")]
    NotFound(PathBuf),
    #[error("{0}: not a directory")]
    NotADirectory(PathBuf),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no cache directory on this system; pass an index directory")]
    NoCacheDir,
    #[error("{0}: no language for this file")]
    UnknownLanguage(PathBuf),
    #[error("{0}: binary file")]
    Binary(PathBuf),
    #[error(transparent)]
    Store(#[from] codegraph_store::StoreError),
    #[error("no definition matches `{0}`")]
    SymbolNotFound(String),
    #[error("`{name}` is ambiguous; candidates:\n  {}", candidates.join("\n  "))]
    Ambiguous {
        name: String,
        candidates: Vec<String>,
    },
    #[error("{0}: not in the index")]
    NotIndexed(String),
    #[error(transparent)]
    Search(#[from] codegraph_search::SearchError),
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The request's deadline passed; work stopped before this stage.
    #[error("the deadline passed before {0}")]
    DeadlineExceeded(&'static str),
    #[error("{0}")]
    Other(String),
}

/// `Err(DeadlineExceeded)` once `deadline` has passed; `stage` names the
/// work that was about to start.
pub(crate) fn check_deadline(deadline: Option<Instant>, stage: &'static str) -> Result<()> {
    match deadline {
        Some(d) if Instant::now() >= d => Err(Error::DeadlineExceeded(stage)),
        _ => Ok(()),
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// How to index. The defaults suit most repositories.
#[derive(Debug, Clone)]
pub struct IndexOptions {
    /// Where the index lives; default: `<cache>/codegraph/<name>-<hash>`.
    pub index_dir: Option<PathBuf>,
    /// Files larger than this are skipped (`too_large`).
    pub max_file_size: u64,
    /// A file with a longer line is skipped as minified (for languages that
    /// are minified; 16 times this for others).
    pub max_line_length: usize,
    /// Follow symbolic links (loops are detected and skipped).
    pub follow_symlinks: bool,
    /// Parser threads; 0 means one per core.
    pub threads: usize,
    /// Directory names skipped wherever they appear.
    pub exclude_dirs: Vec<String>,
    /// Files per write transaction.
    pub batch_files: usize,
    /// The embedding model; default: the one `codegraph model install` puts
    /// in the data directory.
    pub model: Option<codegraph_embed::ModelConfig>,
}

impl Default for IndexOptions {
    fn default() -> Self {
        IndexOptions {
            index_dir: None,
            max_file_size: 1 << 20,
            max_line_length: 4000,
            follow_symlinks: false,
            threads: 0,
            exclude_dirs: DEFAULT_EXCLUDED_DIRS
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            batch_files: 256,
            model: None,
        }
    }
}

/// A stage of an indexing run, as [`Progress::phase`] reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Walking,
    /// Parsing and storing changed files (reported per file).
    Parsing,
    ResolvingGraph,
    LexicalIndex,
    Embedding,
    VectorIndex,
}

/// Progress of an indexing run. Called from the indexing threads.
pub trait Progress: Sync {
    /// A new stage starts.
    fn phase(&self, _phase: Phase) {}
    fn files_found(&self, _count: usize) {}
    fn file_done(&self, _path: &str) {}
    /// Chunks with a vector so far, of all chunks.
    fn embed_progress(&self, _done: u64, _total: u64) {}
    /// Whether the caller wants long work (embedding) to stop early; checked
    /// between batches.
    fn cancelled(&self) -> bool {
        false
    }
}

/// Reports nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}

/// The result of [`Codegraph::index`].
#[derive(Debug, Clone, Serialize)]
pub struct IndexReport {
    /// Counts over the whole index after the run.
    pub stats: Stats,
    /// What this run did.
    pub run: RunCounts,
    pub elapsed_ms: u64,
    /// Set when the existing index was rebuilt (format change, damage).
    pub rebuilt: Option<String>,
    /// Set when the graph was re-resolved in this run.
    pub graph: Option<GraphReport>,
    /// Search documents (chunks) written to the BM25 index in this run.
    pub search_docs: u64,
}

/// What re-resolving the graph did.
#[derive(Debug, Clone, Serialize)]
pub struct GraphReport {
    /// For a whole-repository resolution; an incremental update leaves the
    /// stored statistics of the last whole one.
    pub resolution: ResolutionStats,
    pub edges: u64,
    pub elapsed_ms: u64,
    /// Files whose references were resolved again (incremental update);
    /// `None` when the whole repository was.
    pub files_resolved: Option<u64>,
}

/// What other files' resolution can read of a file: its definitions
/// (without positions), imports, inheritance, package, and the bindings that
/// outlive a call (file level, on a type, `self.x` / `this.x`). Canonical
/// and sorted, so equal before and after an edit means no other file can
/// resolve differently.
fn interface_of(facts: &codegraph_store::GraphFacts, file_id: i64) -> Vec<String> {
    let defs: std::collections::HashMap<i64, &codegraph_store::DefFact> = facts
        .defs
        .iter()
        .filter(|d| d.file_id == file_id)
        .map(|d| (d.id, d))
        .collect();
    let type_like = |id: Option<i64>| {
        id.and_then(|i| defs.get(&i))
            .and_then(|d| d.kind.parse::<codegraph_core::DefKind>().ok())
            .is_some_and(codegraph_core::DefKind::is_type_like)
    };
    let mut out: Vec<String> = Vec::new();
    for f in facts.files.iter().filter(|f| f.id == file_id) {
        out.push(format!("f {} {} {:?}", f.path, f.language, f.package));
    }
    for d in defs.values() {
        out.push(format!(
            "d {} {} {} {} {} {:?}",
            d.id, d.name, d.qualified_name, d.kind, d.signature, d.parent_id
        ));
    }
    for i in facts.imports.iter().filter(|i| i.file_id == file_id) {
        out.push(format!(
            "i {} {:?} {:?} {}",
            i.module, i.name, i.alias, i.wildcard
        ));
    }
    for h in facts.inheritance.iter().filter(|h| h.file_id == file_id) {
        out.push(format!(
            "h {:?} {} {} {}",
            h.subject_id, h.subject, h.base, h.relation
        ));
    }
    for b in facts.bindings.iter().filter(|b| b.file_id == file_id) {
        let lasting = b.scope_id.is_none()
            || type_like(b.scope_id)
            || b.name.starts_with("self.")
            || b.name.starts_with("this.");
        if lasting {
            out.push(format!(
                "b {:?} {} {:?} {:?}",
                b.scope_id, b.name, b.type_name, b.value
            ));
        }
    }
    out.sort();
    out
}

/// Incremental graph updates re-resolve the changed files and their
/// dependents; above this many changed files a whole resolution is cheaper.
const INCREMENTAL_MAX_CHANGED: usize = 256;

/// The repository node: what the index knows about the repository as a whole.
#[derive(Debug, Clone, Serialize, Default)]
pub struct RepositoryInfo {
    pub root: String,
    pub remote_url: Option<String>,
    pub head_commit: Option<String>,
    pub branch: Option<String>,
    /// First paragraph of the README.
    pub readme: Option<String>,
}

/// The health report of an index.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub repository: RepositoryInfo,
    pub index_dir: String,
    pub format_version: u32,
    pub size_on_disk: u64,
    /// Unix seconds of the last completed run.
    pub last_indexed: Option<i64>,
    pub last_index_ms: Option<u64>,
    /// HEAD when the index was last completed, and HEAD now.
    pub indexed_head: Option<String>,
    pub current_head: Option<String>,
    pub stats: Stats,
    /// Whether the stored graph reflects the stored facts (false between a
    /// change and the end of its update, or after an interrupted one).
    pub graph_current: bool,
    /// Files whose search documents wait for the next update.
    pub search_pending: u64,
    /// Embeddings of the configured model: chunks with a vector, chunks.
    pub embeddings: EmbeddingStatus,
    /// The watcher of this index, if one ever ran: its state (`dead` when
    /// its process is gone without stopping), last update, memory.
    pub watcher: Option<watch::WatcherState>,
}

/// How far embedding has got.
#[derive(Debug, Clone, Serialize)]
pub struct EmbeddingStatus {
    /// The model's cache tag.
    pub model: String,
    /// Whether the model is installed (without it, search is lexical).
    pub installed: bool,
    pub done: u64,
    pub pending: u64,
    /// `done / chunks` (0 for an empty index).
    pub coverage: f64,
}

#[derive(Debug, Default)]
struct Loading {
    graph: std::sync::Mutex<()>,
    bm25: std::sync::Mutex<()>,
    vectors: std::sync::Mutex<()>,
    corpus: std::sync::Mutex<()>,
}

/// Holds `lock` (a poisoned lock still serialises: the load it guards left
/// nothing half-built behind, since results are stored only when complete).
fn hold(lock: &std::sync::Mutex<()>) -> std::sync::MutexGuard<'_, ()> {
    lock.lock().unwrap_or_else(|e| e.into_inner())
}

/// An index of one repository.
#[derive(Debug)]
pub struct Codegraph {
    root: PathBuf,
    index_dir: PathBuf,
    options: IndexOptions,
    store: Store,
    /// Shared with the readers built from this instance ([`Codegraph::reader`]);
    /// an update patches a copy when a reader still holds it.
    graph: std::sync::OnceLock<std::sync::Arc<Graph>>,
    bm25: std::sync::OnceLock<codegraph_search::Bm25Index>,
    embedder: std::sync::OnceLock<Option<std::sync::Arc<codegraph_embed::Embedder>>>,
    vectors: std::sync::OnceLock<codegraph_search::VectorIndex>,
    coverage: std::sync::OnceLock<(u64, u64)>,
    corpus: std::sync::OnceLock<std::sync::Arc<context::Corpus>>,
    /// One load at a time per lazily loaded part: concurrent first queries
    /// wait for the one load instead of each building its own copy.
    loading: Loading,
    /// The graph facts as of the last graph update in this process, patched
    /// file by file on later updates (long-lived processes skip reloading).
    facts: Option<codegraph_store::GraphFacts>,
}

impl Codegraph {
    /// Opens (creating if needed) the index of the repository at `root`.
    pub fn open(root: &Path, options: IndexOptions) -> Result<Codegraph> {
        let root = canonical_root(root)?;
        let index_dir = match &options.index_dir {
            Some(dir) => dir.clone(),
            None => default_index_dir(&root)?,
        };
        std::fs::create_dir_all(&index_dir).map_err(|source| Error::Io {
            path: index_dir.clone(),
            source,
        })?;
        let index_dir = index_dir.canonicalize().map_err(|source| Error::Io {
            path: index_dir.clone(),
            source,
        })?;
        let store = Store::open(&index_dir.join("index.sqlite"))?;
        Ok(Codegraph {
            root,
            index_dir,
            options,
            store,
            graph: std::sync::OnceLock::new(),
            bm25: std::sync::OnceLock::new(),
            embedder: std::sync::OnceLock::new(),
            vectors: std::sync::OnceLock::new(),
            coverage: std::sync::OnceLock::new(),
            corpus: std::sync::OnceLock::new(),
            loading: Loading::default(),
            facts: None,
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn index_dir(&self) -> &Path {
        &self.index_dir
    }

    /// The underlying store, for read queries this facade does not wrap.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Indexes the repository: new and changed files are parsed, unchanged
    /// ones (same size and mtime, or same content hash) are not, deleted ones
    /// are removed. Safe to interrupt at any moment: the next run resumes.
    pub fn index(&mut self, progress: &dyn Progress) -> Result<IndexReport> {
        // An update of an index whose graph is current is one SQLite
        // transaction (facts, graph, search bookkeeping, metadata), so
        // readers in other processes see it whole or not at all. A first
        // index, or one resuming after a crash, commits in batches instead,
        // so an interruption keeps what was done.
        let atomic = self.store.meta(pipeline::GRAPH_DIRTY)?.as_deref() == Some("0");
        if !atomic {
            return self.index_run(progress);
        }
        self.store.begin_update()?;
        match self.index_run(progress) {
            Ok(report) => {
                self.store.commit_update()?;
                Ok(report)
            }
            Err(e) => {
                if let Err(rollback) = self.store.rollback_update() {
                    tracing::warn!(error = %rollback, "rollback failed");
                }
                // What is in memory may describe the rolled-back state.
                self.drop_caches();
                Err(e)
            }
        }
    }

    fn index_run(&mut self, progress: &dyn Progress) -> Result<IndexReport> {
        let started = Instant::now();
        let rebuilt = self.store.rebuilt().map(str::to_owned);
        progress.phase(Phase::Walking);
        let (candidates, skipped) = walk::walk(&self.root, &self.options, &self.index_dir);
        let graph_was_current = self.store.meta(pipeline::GRAPH_DIRTY)?.as_deref() == Some("0");
        let run = pipeline::run(
            &mut self.store,
            &candidates,
            skipped,
            &self.options,
            progress,
        )?;
        // The graph in memory is patched by an incremental update, kept when
        // nothing changed, dropped otherwise.
        let loaded_graph = self.graph.take();
        self.coverage = std::sync::OnceLock::new();
        // The context corpus in memory is patched with the changed files.
        let loaded_corpus = self
            .corpus
            .take()
            .filter(|_| rebuilt.is_none() && run.changes.len() <= INCREMENTAL_MAX_CHANGED);
        progress.phase(Phase::ResolvingGraph);
        let graph = if self.store.meta(pipeline::GRAPH_DIRTY)?.as_deref() != Some("0") {
            // Incremental only from a graph that matched the store before
            // this run (after a crash, what changed is unknown).
            if graph_was_current
                && !run.changes.is_empty()
                && run.changes.len() <= INCREMENTAL_MAX_CHANGED
            {
                Some(self.update_graph(&run.changes, loaded_graph)?)
            } else {
                Some(self.rebuild_graph()?)
            }
        } else {
            if let Some(g) = loaded_graph.filter(|_| run.changes.is_empty()) {
                let _ = self.graph.set(g);
            }
            None
        };
        progress.phase(Phase::LexicalIndex);
        let search_docs = self.sync_search()?;
        let git = git::read(&self.root).unwrap_or_default();
        let readme = self.readme_summary()?;
        let elapsed_ms = started.elapsed().as_millis() as u64;
        let mut writer = self.store.writer()?;
        writer.set_meta("root", &self.root.to_string_lossy())?;
        for (key, value) in [
            ("remote_url", &git.remote_url),
            ("head_commit", &git.head_commit),
            ("branch", &git.branch),
            ("readme", &readme),
        ] {
            writer.set_meta(key, value.as_deref().unwrap_or(""))?;
        }
        writer.set_meta("last_indexed", &now_secs().to_string())?;
        writer.set_meta("last_index_ms", &elapsed_ms.to_string())?;
        writer.commit()?;
        if let Some(old) = loaded_corpus {
            let changed: std::collections::HashSet<i64> =
                run.changes.iter().map(|c| c.file_id).collect();
            let corpus = old.patched(self, &changed)?;
            let _ = self.corpus.set(std::sync::Arc::new(corpus));
        }
        Ok(IndexReport {
            stats: self.store.stats()?,
            run,
            elapsed_ms,
            rebuilt,
            graph,
            search_docs,
        })
    }

    /// Re-resolves the references of changed files and of the files that
    /// depend on them, and replaces only their edges: files with an edge
    /// into a changed file or its old or new definitions; files referring
    /// by name to a definition name that appeared or disappeared (calls,
    /// bases, imported names: unique-name inference may flip); for added or
    /// deleted files, files whose imports name them or their directory.
    fn update_graph(
        &mut self,
        changes: &[codegraph_store::FileChange],
        loaded: Option<std::sync::Arc<Graph>>,
    ) -> Result<GraphReport> {
        use std::collections::HashSet;
        let started = Instant::now();
        let changed: Vec<i64> = changes.iter().map(|c| c.file_id).collect();
        let changed_set: HashSet<i64> = changed.iter().copied().collect();
        // The facts: the cached ones patched with the changed files, or all
        // of them from the store.
        // Files whose interface (what other files' resolution reads) is the
        // same after the change: only their own references need resolving.
        let mut same_interface: HashSet<i64> = HashSet::new();
        let facts = match self.facts.take() {
            Some(mut cached) => {
                let live: Vec<i64> = changes
                    .iter()
                    .filter(|c| !c.deleted)
                    .map(|c| c.file_id)
                    .collect();
                let before: Vec<(i64, Vec<String>)> = changes
                    .iter()
                    .filter(|c| !c.deleted && !c.old_definitions.is_empty())
                    .map(|c| (c.file_id, interface_of(&cached, c.file_id)))
                    .collect();
                let fresh = self.store.graph_facts_of(&live)?;
                cached.patch(&changed_set, fresh);
                let configs = self.store.graph_configs()?;
                if configs != cached.configs {
                    // A module root moved (go.mod): every Go import may.
                    return self.rebuild_graph();
                }
                for (id, old) in before {
                    if interface_of(&cached, id) == old {
                        same_interface.insert(id);
                    }
                }
                cached
            }
            None => self.store.graph_facts()?,
        };
        let patched_ms = started.elapsed().as_millis() as u64;
        // The changes other files can see.
        let changes_seen: Vec<&codegraph_store::FileChange> = changes
            .iter()
            .filter(|c| !same_interface.contains(&c.file_id))
            .collect();
        let seen_set: HashSet<i64> = changes_seen.iter().map(|c| c.file_id).collect();
        let new_defs: Vec<&codegraph_store::DefFact> = facts
            .defs
            .iter()
            .filter(|d| seen_set.contains(&d.file_id))
            .collect();
        let old_names: HashSet<&str> = changes_seen
            .iter()
            .flat_map(|c| c.old_definitions.iter().map(|d| d.1.as_str()))
            .collect();
        let new_names: HashSet<&str> = new_defs.iter().map(|d| d.name.as_str()).collect();
        let flipped: HashSet<&str> = old_names
            .symmetric_difference(&new_names)
            .copied()
            .collect();
        let def_ids: Vec<i64> = changes_seen
            .iter()
            .flat_map(|c| c.old_definitions.iter().map(|d| d.0))
            .chain(new_defs.iter().map(|d| d.id))
            .collect();
        let mut affected: HashSet<i64> = changes
            .iter()
            .filter(|c| !c.deleted)
            .map(|c| c.file_id)
            .collect();
        let seen_files: Vec<i64> = changes_seen.iter().map(|c| c.file_id).collect();
        affected.extend(self.store.files_with_edges_into(&seen_files, &def_ids)?);
        let last = |s: &str| -> String { s.rsplit(['.', ':', '/']).next().unwrap_or(s).to_owned() };
        for c in &facts.calls {
            if flipped.contains(c.name.as_str()) {
                affected.insert(c.file_id);
            }
        }
        for h in &facts.inheritance {
            if flipped.contains(last(&h.base).as_str()) {
                affected.insert(h.file_id);
            }
        }
        // Files added or deleted: imports that may name them now or did.
        let paths: std::collections::HashMap<i64, &str> = facts
            .files
            .iter()
            .map(|f| (f.id, f.path.as_str()))
            .collect();
        let mut names: HashSet<String> = HashSet::new();
        for c in &changes_seen {
            let added = !c.deleted && c.old_definitions.is_empty();
            if !(added || c.deleted) {
                continue;
            }
            // A deleted file's path is gone from the facts; its importers
            // have edges into it, found above. Added files: by path.
            if let Some(path) = paths.get(&c.file_id) {
                let file = path.rsplit('/').next().unwrap_or(path);
                names.insert(file.to_owned());
                names.insert(file.split('.').next().unwrap_or(file).to_owned());
                if let Some((dir, _)) = path.rsplit_once('/') {
                    names.insert(last(dir));
                }
            }
        }
        for i in &facts.imports {
            if flipped.contains(i.name.as_deref().unwrap_or(""))
                || (!names.is_empty()
                    && (i
                        .module
                        .split(['.', '/', ':'])
                        .any(|seg| names.contains(seg))
                        || names.iter().any(|n| i.module.ends_with(n.as_str()))))
            {
                affected.insert(i.file_id);
            }
        }
        let prepared_ms = started.elapsed().as_millis() as u64;
        let resolution = codegraph_graph::resolve_files(&facts, Registry::builtin(), &affected);
        let resolved_ms = started.elapsed().as_millis() as u64;
        let mut replace: Vec<i64> = affected.iter().copied().collect();
        replace.extend(changes.iter().filter(|c| c.deleted).map(|c| c.file_id));
        self.store
            .replace_graph_files(&replace, &resolution.edges, &resolution.externals)?;
        let mut writer = self.store.writer()?;
        writer.set_meta(pipeline::GRAPH_DIRTY, "0")?;
        writer.commit()?;
        let stored_ms = started.elapsed().as_millis() as u64;
        if let Some(graph) = loaded {
            // Copied only when a reader still holds it.
            let mut graph = std::sync::Arc::unwrap_or_clone(graph);
            let (edges, externals) = self.store.edges_of_files(&replace)?;
            let replaced: HashSet<i64> = replace.iter().copied().collect();
            graph.patch(&facts, &changed_set, &replaced, &edges, &externals);
            let _ = self.graph.set(std::sync::Arc::new(graph));
        }
        tracing::debug!(
            changed = changes.len(),
            affected = affected.len(),
            patched_ms,
            prepared_ms,
            resolved_ms,
            stored_ms,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "graph updated incrementally"
        );
        let report = GraphReport {
            resolution: resolution.stats,
            edges: (resolution.edges.len() + resolution.externals.len()) as u64,
            elapsed_ms: started.elapsed().as_millis() as u64,
            files_resolved: Some(affected.len() as u64),
        };
        self.facts = Some(facts);
        Ok(report)
    }

    /// A new instance on the same index that starts with what this one has
    /// in memory: the graph, the vector index, the context corpus and the
    /// vector coverage count are
    /// shared (an update of this instance patches its own copy; the reader
    /// keeps answering from the state it was built in), the embedding model
    /// is shared, and search readers are opened afresh. Cheap: nothing is
    /// loaded from disk but the lexical index's reader.
    ///
    /// Call it on the instance that wrote the last update: built from an
    /// instance that did not, the reader would share its out-of-date parts.
    pub fn reader(&self) -> Result<Codegraph> {
        self.reader_with_model(self.embedder.get().cloned())
    }

    /// The reader to swap in for `current` after an update written by this
    /// instance (the one [`Codegraph::watch`] hands to its callback): built
    /// as by [`Codegraph::reader`], as warm as `current` (what it has in
    /// memory, this instance loads or counts first), and with `current`'s embedding
    /// model, not this instance's, so that query embeddings never wait for
    /// a model session this instance's embedding runs hold.
    pub fn next_reader(&self, current: &Codegraph) -> Result<Codegraph> {
        if current.graph.get().is_some() {
            self.graph()?;
        }
        if current.vectors.get().is_some() {
            self.vector_index();
        }
        if current.corpus.get().is_some() {
            self.corpus()?;
        }
        if current.coverage.get().is_some() {
            self.vector_coverage()?;
        }
        let next = self.reader_with_model(current.embedder.get().cloned())?;
        if current.bm25.get().is_some() {
            next.bm25()?;
        }
        Ok(next)
    }

    fn reader_with_model(
        &self,
        model: Option<Option<std::sync::Arc<codegraph_embed::Embedder>>>,
    ) -> Result<Codegraph> {
        let next = Codegraph::open(
            &self.root,
            IndexOptions {
                index_dir: Some(self.index_dir.clone()),
                ..self.options.clone()
            },
        )?;
        if let Some(model) = model {
            let _ = next.embedder.set(model);
        }
        if let Some(g) = self.graph.get() {
            let _ = next.graph.set(g.clone());
        }
        if let Some(v) = self.vectors.get() {
            let _ = next.vectors.set(v.clone());
        }
        if let Some(c) = self.corpus.get() {
            let _ = next.corpus.set(c.clone());
        }
        if let Some(c) = self.coverage.get() {
            let _ = next.coverage.set(*c);
        }
        if self.bm25.get().is_some() {
            next.bm25()?;
        }
        Ok(next)
    }

    /// Drops what this instance keeps in memory (graph facts, graph, search
    /// readers, vectors, model, context corpus); later calls reload what
    /// they need from disk.
    pub fn drop_caches(&mut self) {
        self.facts = None;
        self.graph = std::sync::OnceLock::new();
        self.bm25 = std::sync::OnceLock::new();
        self.embedder = std::sync::OnceLock::new();
        self.vectors = std::sync::OnceLock::new();
        self.corpus = std::sync::OnceLock::new();
    }

    /// Loads the graph facts into memory if they are not there, so later
    /// updates patch them instead of reading them all (long-lived processes).
    pub fn keep_graph_facts(&mut self) -> Result<()> {
        if self.facts.is_none() && self.store.meta(pipeline::GRAPH_DIRTY)?.as_deref() == Some("0") {
            self.facts = Some(self.store.graph_facts()?);
        }
        Ok(())
    }

    /// Re-resolves every reference into edges and stores them.
    fn rebuild_graph(&mut self) -> Result<GraphReport> {
        let started = Instant::now();
        self.facts = None;
        let facts = self.store.graph_facts()?;
        let loaded_ms = started.elapsed().as_millis();
        let resolution = codegraph_graph::resolve(&facts, Registry::builtin());
        let resolved_ms = started.elapsed().as_millis();
        let edges = (resolution.edges.len() + resolution.externals.len()) as u64;
        let importance = codegraph_graph::file_importance(&facts, &resolution.edges);
        let ranked_ms = started.elapsed().as_millis();
        self.store
            .replace_graph(&resolution.edges, &resolution.externals, &importance)?;
        tracing::debug!(
            loaded_ms,
            resolved_ms,
            ranked_ms,
            stored_ms = started.elapsed().as_millis(),
            edges,
            "graph rebuilt"
        );
        let mut writer = self.store.writer()?;
        writer.set_meta(pipeline::GRAPH_DIRTY, "0")?;
        let stats = &resolution.stats;
        for (key, value) in [
            ("calls", stats.calls),
            ("calls_resolved", stats.calls_resolved),
            ("calls_inferred", stats.calls_inferred),
            ("calls_unresolved", stats.calls_unresolved),
            ("imports", stats.imports),
            ("imports_to_files", stats.imports_to_files),
            ("imports_external", stats.imports_external),
            ("inheritance", stats.inheritance),
            ("inheritance_resolved", stats.inheritance_resolved),
            ("inheritance_inferred", stats.inheritance_inferred),
        ] {
            writer.set_meta(&format!("resolution.{key}"), &value.to_string())?;
        }
        writer.commit()?;
        self.facts = Some(facts);
        Ok(GraphReport {
            resolution: resolution.stats,
            edges,
            elapsed_ms: started.elapsed().as_millis() as u64,
            files_resolved: None,
        })
    }

    /// The code graph, loaded from the store on first use.
    pub fn graph(&self) -> Result<&Graph> {
        if let Some(g) = self.graph.get() {
            return Ok(g.as_ref());
        }
        let _loading = hold(&self.loading.graph);
        if let Some(g) = self.graph.get() {
            return Ok(g.as_ref());
        }
        // Facts and edges from one committed state.
        let snapshot = self.store.snapshot()?;
        let loaded;
        let facts = match &self.facts {
            Some(f) => f,
            None => {
                loaded = self.store.graph_facts()?;
                &loaded
            }
        };
        let t = Instant::now();
        let edges = self.store.edges()?;
        let externals = self.store.externals()?;
        let loaded_ms = t.elapsed().as_millis() as u64;
        drop(snapshot);
        let graph = Graph::build(facts, &edges, &externals);
        tracing::debug!(
            loaded_ms,
            built_ms = t.elapsed().as_millis() as u64,
            edges = edges.len(),
            "graph loaded"
        );
        Ok(self.graph.get_or_init(|| std::sync::Arc::new(graph)))
    }

    /// Resolution statistics of the stored graph.
    pub fn resolution_stats(&self) -> Result<ResolutionStats> {
        let get = |k: &str| -> Result<u64> {
            Ok(self
                .store
                .meta(&format!("resolution.{k}"))?
                .and_then(|v| v.parse().ok())
                .unwrap_or(0))
        };
        Ok(ResolutionStats {
            calls: get("calls")?,
            calls_resolved: get("calls_resolved")?,
            calls_inferred: get("calls_inferred")?,
            calls_unresolved: get("calls_unresolved")?,
            imports: get("imports")?,
            imports_to_files: get("imports_to_files")?,
            imports_external: get("imports_external")?,
            inheritance: get("inheritance")?,
            inheritance_resolved: get("inheritance_resolved")?,
            inheritance_inferred: get("inheritance_inferred")?,
        })
    }

    /// The one definition `name` designates (a name, a qualified name, or a
    /// qualified suffix such as `Type.method`); several matches are an
    /// [`Error::Ambiguous`] listing them.
    pub fn resolve_symbol(&self, name: &str) -> Result<NodeIndex> {
        let graph = self.graph()?;
        let found = graph.find_symbols(name);
        match found.len() {
            0 => Err(Error::SymbolNotFound(name.to_owned())),
            1 => Ok(found[0]),
            _ => {
                // Overloads share a qualified name: one symbol.
                let names: std::collections::BTreeSet<String> = found
                    .iter()
                    .filter_map(|&n| match graph.node(n) {
                        Node::Symbol(s) => Some(s.qualified_name.clone()),
                        _ => None,
                    })
                    .collect();
                if names.len() == 1 {
                    return Ok(found[0]);
                }
                Err(Error::Ambiguous {
                    name: name.to_owned(),
                    candidates: found
                        .iter()
                        .filter_map(|&n| match graph.node(n) {
                            Node::Symbol(s) => Some(format!(
                                "{} ({}:{}, {})",
                                s.qualified_name, s.path, s.line, s.kind
                            )),
                            _ => None,
                        })
                        .collect(),
                })
            }
        }
    }

    /// Who calls `symbol`, up to `depth` hops.
    pub fn callers(&self, symbol: &str, depth: usize, resolved_only: bool) -> Result<Vec<Related>> {
        let n = self.resolve_symbol(symbol)?;
        Ok(self.graph()?.callers(n, depth, resolved_only))
    }

    /// What `symbol` calls, up to `depth` hops.
    pub fn callees(&self, symbol: &str, depth: usize, resolved_only: bool) -> Result<Vec<Related>> {
        let n = self.resolve_symbol(symbol)?;
        Ok(self.graph()?.callees(n, depth, resolved_only))
    }

    fn file_node(&self, path: &str) -> Result<NodeIndex> {
        let rel = self.relative_path(path);
        self.graph()?.path_node(&rel).ok_or(Error::NotIndexed(rel))
    }

    /// A path as given on a command line, relative to the root.
    pub fn relative_path(&self, path: &str) -> String {
        let p = Path::new(path);
        let abs = if p.is_absolute() {
            p.to_owned()
        } else {
            std::env::current_dir()
                .map(|d| d.join(p))
                .unwrap_or_else(|_| p.to_owned())
        };
        match abs.canonicalize().ok().and_then(|a| {
            a.strip_prefix(&self.root)
                .ok()
                .map(walk::relative_to_string)
        }) {
            Some(rel) => rel,
            None => path.trim_start_matches("./").to_owned(),
        }
    }

    /// Files and external modules `file` imports.
    pub fn imports(&self, file: &str) -> Result<Vec<(String, u32)>> {
        let n = self.file_node(file)?;
        Ok(self.graph()?.imports(n))
    }

    /// Files importing `file`.
    pub fn importers(&self, file: &str) -> Result<Vec<(String, u32)>> {
        let n = self.file_node(file)?;
        Ok(self.graph()?.importers(n))
    }

    /// The subgraph within `hops` of a symbol or a file.
    pub fn neighbors(&self, target: &str, hops: usize, limit: usize) -> Result<Subgraph> {
        let n = match self.file_node(target) {
            Ok(n) => n,
            Err(_) => self.resolve_symbol(target)?,
        };
        Ok(self.graph()?.neighbors(n, hops, limit))
    }

    /// The ranked repository map.
    pub fn map(&self, options: &MapOptions) -> Result<RepoMap> {
        let mut options = options.clone();
        options.focus = options
            .focus
            .iter()
            .map(|f| self.relative_path(f))
            .collect();
        Ok(self.graph()?.map(&options))
    }

    /// The README's first paragraph: the file doc of the shortest-named
    /// README at the root.
    fn readme_summary(&self) -> Result<Option<String>> {
        let files = self.store.files()?;
        let readme = files
            .iter()
            .filter(|(path, _, _)| {
                !path.contains('/') && path.to_ascii_lowercase().starts_with("readme")
            })
            .min_by_key(|(path, _, _)| path.len());
        match readme {
            Some((path, _, _)) => Ok(self.store.file_doc(path)?),
            None => Ok(None),
        }
    }

    /// The health report, read back from the store.
    pub fn status(&self) -> Result<Status> {
        let meta = |k: &str| -> Result<Option<String>> {
            Ok(self.store.meta(k)?.filter(|v| !v.is_empty()))
        };
        let size_on_disk = dir_size(&self.index_dir);
        let current = git::read(&self.root).and_then(|g| g.head_commit);
        Ok(Status {
            repository: RepositoryInfo {
                root: self.root.to_string_lossy().into_owned(),
                remote_url: meta("remote_url")?,
                head_commit: meta("head_commit")?,
                branch: meta("branch")?,
                readme: meta("readme")?,
            },
            index_dir: self.index_dir.to_string_lossy().into_owned(),
            format_version: FORMAT_VERSION,
            size_on_disk,
            last_indexed: meta("last_indexed")?.and_then(|v| v.parse().ok()),
            last_index_ms: meta("last_index_ms")?.and_then(|v| v.parse().ok()),
            indexed_head: meta("head_commit")?,
            current_head: current,
            stats: self.store.stats()?,
            graph_current: self.store.meta(pipeline::GRAPH_DIRTY)?.as_deref() == Some("0"),
            search_pending: self.store.search_pending()?.len() as u64,
            embeddings: {
                let config = self.model_config();
                let (done, total) = self.vector_coverage()?;
                EmbeddingStatus {
                    model: config.cache_tag(),
                    installed: config.model_dir.join("model.onnx").is_file()
                        && config.ort_library.is_file(),
                    done,
                    pending: total.saturating_sub(done),
                    coverage: if total == 0 {
                        0.0
                    } else {
                        done as f64 / total as f64
                    },
                }
            },
            watcher: watch::WatcherState::read(&self.index_dir),
        })
    }

    /// Definitions in one indexed file (path relative to the root).
    pub fn symbols_in_file(&self, path: &str) -> Result<Vec<DefinitionRow>> {
        Ok(self.store.definitions_in_file(path)?)
    }

    /// Definitions whose name or qualified name is `name`.
    pub fn find_symbol(&self, name: &str) -> Result<Vec<DefinitionRow>> {
        Ok(self.store.definitions_named(name)?)
    }

    /// The directory tree: each directory with its number of indexed files,
    /// down to `depth` levels.
    pub fn directory_tree(&self, depth: usize) -> Result<Vec<(String, u64)>> {
        let mut counts: std::collections::BTreeMap<String, u64> = Default::default();
        for (path, _, _) in self.store.files()? {
            let parts: Vec<&str> = path.split('/').collect();
            counts
                .entry(String::new())
                .and_modify(|n| *n += 1)
                .or_insert(1);
            for level in 1..parts.len().min(depth + 1) {
                *counts.entry(parts[..level].join("/")).or_insert(0) += 1;
            }
        }
        Ok(counts.into_iter().collect())
    }
}

/// Parses one file without an index: what codegraph extracts from it.
pub fn extract_file(path: &Path) -> Result<FileFacts> {
    let registry = Registry::builtin();
    let language = registry
        .for_path(path)
        .or_else(|| registry.plain_text())
        .ok_or_else(|| Error::UnknownLanguage(path.to_owned()))?;
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })?;
    if bytes[..bytes.len().min(8192)].contains(&0) {
        return Err(Error::Binary(path.to_owned()));
    }
    let text = String::from_utf8_lossy(&bytes);
    let name = path.to_string_lossy().replace('\\', "/");
    Ok(codegraph_parse::parse_file(language, &name, &text))
}

fn canonical_root(root: &Path) -> Result<PathBuf> {
    let meta = std::fs::metadata(root).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => Error::NotFound(root.to_owned()),
        _ => Error::Io {
            path: root.to_owned(),
            source,
        },
    })?;
    if !meta.is_dir() {
        return Err(Error::NotADirectory(root.to_owned()));
    }
    root.canonicalize().map_err(|source| Error::Io {
        path: root.to_owned(),
        source,
    })
}

/// codegraph's cache directory: `$CODEGRAPH_CACHE_DIR`, else the system
/// cache directory's `codegraph` (indexes, server state).
pub fn cache_dir() -> Result<PathBuf> {
    Ok(match std::env::var_os("CODEGRAPH_CACHE_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => dirs::cache_dir()
            .ok_or(Error::NoCacheDir)?
            .join("codegraph"),
    })
}

/// `$CODEGRAPH_CACHE_DIR` or `<user cache>/codegraph`, then
/// `<repo name>-<hash of its canonical path>`.
pub fn default_index_dir(root: &Path) -> Result<PathBuf> {
    Ok(index_dir_in(&cache_dir()?, root))
}

/// The index directory of the repository at `root` under the cache `base`.
pub fn index_dir_in(base: &Path, root: &Path) -> PathBuf {
    let name: String = root
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "root".into())
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let hash = blake3::hash(root.to_string_lossy().as_bytes()).to_hex();
    base.join(format!("{name}-{}", &hash[..16]))
}

/// Bytes under `dir`, recursively: the SQLite file, BM25 and vector indexes.
fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => dir_size(&e.path()),
                    Ok(m) => m.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// A `Codegraph` is shared by reader threads (the server answers queries
/// on many threads from one instance).
#[allow(dead_code)]
fn _codegraph_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Codegraph>();
}
