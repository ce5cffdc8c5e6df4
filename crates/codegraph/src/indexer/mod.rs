//! The indexer: the one writer of an index. It walks the repository,
//! parses changed files in parallel, resolves the graph (incrementally when
//! it can), syncs the lexical index, embeds new chunk contents and follows
//! edits; every update returns a [`ChangeSet`] readers follow.

pub(crate) mod embed;
mod graph;
pub(crate) mod lock;
mod packages;
pub(crate) mod pipeline;
mod search;
pub(crate) mod walk;
pub(crate) mod watch;

use crate::changes::{ChangeSet, Files, GraphChange};
use crate::{Error, IndexOptions, Location, Phase, Progress, Reader, Result};
use codegraph_core::{GraphFacts, unix_now_secs};
use codegraph_search::{Bm25Index, VectorIndex};
use codegraph_store::{MetaKey, Stats, Store};
use serde::Serialize;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

pub use graph::GraphReport;
use lock::WriteLock;
pub use lock::{LockHolder, write_lock_holder};
use search::LexicalSync;

/// Incremental graph updates re-resolve the changed files and their
/// dependents; above this many changed files a whole resolution is cheaper
/// (and readers reload rather than patch).
pub(crate) const INCREMENTAL_MAX_CHANGED: usize = 256;

/// The options an index runs with, and the settings file they came from.
type Settings = (IndexOptions, Option<crate::ProjectConfig>);

/// The result of [`Indexer::index`].
#[derive(Debug, Clone, Serialize)]
pub struct IndexReport {
    /// Counts over the whole index after the run.
    pub stats: Stats,
    /// What this run did.
    pub run: crate::RunCounts,
    pub elapsed_ms: u64,
    /// Set when the existing index was rebuilt (format change, damage).
    pub rebuilt: Option<String>,
    /// Set when the graph was re-resolved in this run.
    pub graph: Option<GraphReport>,
    /// Search documents (chunks) written to the BM25 index in this run.
    pub search_docs: u64,
    /// What readers must follow.
    #[serde(skip)]
    pub changes: ChangeSet,
}

/// The writer of one index. Indexing and watching take `&mut self`; build
/// readers with [`Indexer::reader`] and keep them current with
/// [`Reader::next`].
#[derive(Debug)]
pub struct Indexer {
    loc: Location,
    /// The options the caller gave; `options` adds `.codegraph.toml`.
    base: IndexOptions,
    /// The options runs use: `base` with the repository's settings file.
    options: IndexOptions,
    /// The settings file as last read (`None`: none, or not read).
    project: Option<crate::ProjectConfig>,
    /// The settings changed and no update has told readers yet.
    settings_unpublished: bool,
    store: Store,
    /// The lexical index's writer side, opened on first use.
    bm25: Option<Bm25Index>,
    bm25_files: Option<Bm25Index>,
    /// The embedding model (`Some(None)`: looked for, not installed).
    embedder: Option<Option<Arc<codegraph_embed::Embedder>>>,
    /// The vector index as this indexer last wrote it.
    vectors: Option<VectorIndex>,
    /// The graph facts as of the last graph update, patched file by file
    /// (long-lived processes skip reloading them).
    facts: Option<GraphFacts>,
    /// The index's writer lock, while a write runs (a watcher holds it for
    /// its whole life).
    lock: Option<WriteLock>,
    /// Names this writer in the lock file ([`lock::writer_token`]).
    token: u64,
    /// The directories the last index run entered (a watcher watches them).
    walked_dirs: Option<Vec<std::path::PathBuf>>,
    /// The threads of the graph stage, apart from rayon's global pool: a
    /// reader's parallel work (search retrievers, similarity) in the same
    /// process never queues behind a resolution.
    graph_pool: Option<Arc<rayon::ThreadPool>>,
}

impl Indexer {
    /// Opens (creating if needed) the index of the repository at `root`.
    /// An index directory that holds another repository's index is
    /// [`Error::ForeignIndex`] (see [`Indexer::open_replacing`]).
    pub fn open(root: &Path, options: IndexOptions) -> Result<Indexer> {
        let (loc, settings) = Indexer::locate(root, &options)?;
        let store = Store::open(&loc.database())?;
        loc.check_owner(&store.read())?;
        Ok(Indexer::with_store(loc, options, settings, store))
    }

    /// Opens the index directory for `root` whatever it holds, and empties
    /// it: the next [`Indexer::index`] builds the index anew (the embedding
    /// cache is kept: it depends only on chunk contents). For `codegraph
    /// index --rebuild`, and for taking over a directory that holds another
    /// repository's index.
    pub fn open_replacing(root: &Path, options: IndexOptions) -> Result<Indexer> {
        let (loc, settings) = Indexer::locate(root, &options)?;
        let store = Store::open(&loc.database())?;
        let mut indexer = Indexer::with_store(loc, options, settings, store);
        indexer.locked("rebuild", |ix| ix.reset("rebuilt on request"))?;
        Ok(indexer)
    }

    /// Opens an index that was copied or moved, with its repository, from
    /// another root: the paths it holds are relative to the root, so it
    /// stays valid; `root` becomes its owner. (Files whose size or mtime
    /// the move changed are re-read by the next run, and re-parsed only
    /// when their contents differ.) For an index seeded from a copy.
    pub fn open_moved(root: &Path, options: IndexOptions) -> Result<Indexer> {
        let (loc, settings) = Indexer::locate(root, &options)?;
        let store = Store::open(&loc.database())?;
        let mut indexer = Indexer::with_store(loc, options, settings, store);
        indexer.locked("adopt", |ix| {
            let root = ix.loc.root.to_string_lossy().into_owned();
            let mut writer = ix.store.writer()?;
            writer.set_meta(MetaKey::Root, &root)?;
            writer.commit()?;
            Ok(())
        })?;
        Ok(indexer)
    }

    /// Where the index of `root` is, and the settings it runs with (a bad
    /// settings file is refused here, before the store is touched).
    fn locate(root: &Path, options: &IndexOptions) -> Result<(Location, Settings)> {
        let loc = Location::new(root, options)?;
        let settings = crate::project::effective(&loc.root, options)?;
        Ok((loc, settings))
    }

    fn with_store(
        loc: Location,
        options: IndexOptions,
        (effective, project): Settings,
        store: Store,
    ) -> Indexer {
        Indexer {
            loc,
            base: options,
            options: effective,
            project,
            settings_unpublished: false,
            store,
            bm25: None,
            bm25_files: None,
            embedder: None,
            vectors: None,
            facts: None,
            lock: None,
            token: lock::writer_token(),
            walked_dirs: None,
            graph_pool: None,
        }
    }

    /// Re-reads `.codegraph.toml` (a run picks up its edits). A file that
    /// became unusable keeps the settings in effect, with a warning: a
    /// watcher must not stop on a typo.
    fn refresh_settings(&mut self) {
        let (effective, project) = match crate::project::effective(&self.loc.root, &self.base) {
            Ok(found) => found,
            Err(e) => {
                tracing::warn!(error = %e, "keeping the settings in effect");
                return;
            }
        };
        if project == self.project {
            return;
        }
        tracing::info!("the repository's settings changed");
        if effective.model_config().cache_tag() != self.options.model_config().cache_tag()
            || effective.model.as_ref().map(|m| &m.model_dir)
                != self.options.model.as_ref().map(|m| &m.model_dir)
        {
            self.embedder = None;
            self.vectors = None;
        }
        self.options = effective;
        self.project = project;
        self.settings_unpublished = true;
    }

    /// The repository's `.codegraph.toml` as the last run read it.
    pub fn project_config(&self) -> Option<&crate::ProjectConfig> {
        self.project.as_ref()
    }

    /// Empties the index (the database, keeping its embedding cache, and
    /// the lexical index); the vector index is reconciled with what the
    /// next run stores. Call holding the lock.
    fn reset(&mut self, why: &str) -> Result<()> {
        self.drop_caches();
        self.store.reset(why)?;
        for dir in [self.loc.bm25_dir(), self.loc.bm25_files_dir()] {
            match std::fs::remove_dir_all(&dir) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => return Err(Error::Io { path: dir, source }),
            }
        }
        Ok(())
    }

    /// Runs `f` holding the index's writer lock (taken now unless already
    /// held). What this indexer keeps in memory is dropped when another
    /// writer held the lock since this one last released it.
    pub(crate) fn locked<T>(
        &mut self,
        what: &str,
        f: impl FnOnce(&mut Indexer) -> Result<T>,
    ) -> Result<T> {
        if self.lock.is_some() {
            return f(self);
        }
        let lock = WriteLock::acquire(
            &self.loc.index_dir,
            what,
            self.token,
            self.options.lock_wait,
        )?;
        if !lock.last_was_ours {
            self.drop_caches();
            self.store.forget_vocabulary();
        }
        self.lock = Some(lock);
        let result = f(self);
        // The lexical writers are kept while the lock is held (a watcher
        // holds it for good, and its commits never wait for merges); past
        // it, their merges finish in the background and their directory
        // locks go with them.
        for index in [&mut self.bm25, &mut self.bm25_files].into_iter().flatten() {
            index.release_writer();
        }
        self.lock = None;
        result
    }

    pub fn root(&self) -> &Path {
        &self.loc.root
    }

    pub fn index_dir(&self) -> &Path {
        &self.loc.index_dir
    }

    /// The options runs use: the caller's, with the repository's
    /// `.codegraph.toml` filled in (as the last run read it).
    pub fn options(&self) -> &IndexOptions {
        &self.options
    }

    /// A reader of the index as it is now, sharing this indexer's vector
    /// index and embedding model.
    pub fn reader(&self) -> Result<Reader> {
        Reader::open_at(
            self.loc.clone(),
            self.options.clone(),
            self.vectors.clone(),
            self.embedder.clone(),
        )
    }

    /// Indexes the repository: new and changed files are parsed, unchanged
    /// ones (same size and mtime, or same content hash) are not, deleted ones
    /// are removed. Safe to interrupt at any moment: the next run resumes.
    ///
    /// A damaged database or lexical index found on the way is rebuilt
    /// (the report says so in `rebuilt`).
    pub fn index(&mut self, progress: &dyn Progress) -> Result<IndexReport> {
        let mut report = self.locked("index", |ix| match ix.index_locked(progress) {
            Err(e) if e.is_damage() => {
                tracing::warn!(error = %e, "the index is damaged; rebuilding it");
                ix.reset(&format!("damaged: {e}"))?;
                ix.index_locked(progress)
            }
            other => other,
        })?;
        if std::mem::take(&mut self.settings_unpublished) {
            report.changes.options = Some(self.options.clone());
        }
        Ok(report)
    }

    fn index_locked(&mut self, progress: &dyn Progress) -> Result<IndexReport> {
        self.refresh_settings();
        // An update of an index whose graph is current is one SQLite
        // transaction (facts, graph, search bookkeeping, metadata), so
        // readers see it whole or not at all. A first index, or one
        // resuming after a crash, commits in batches instead, so an
        // interruption keeps what was done.
        if !self.store.read().graph_current()? {
            self.store.set_bulk_load(true)?;
            let run = self.index_run(progress, true);
            let left = self.store.set_bulk_load(false);
            let report = run?;
            left?;
            return Ok(report);
        }
        let update = self.store.begin_update()?;
        match self.index_run(progress, false) {
            Ok(report) => {
                update.commit()?;
                Ok(report)
            }
            Err(e) => {
                drop(update);
                // What is in memory may describe the rolled-back state.
                self.drop_caches();
                Err(e)
            }
        }
    }

    /// The graph's resolution and the lexical indexes' writing side by
    /// side: the first is mostly one thread (loading facts, storing
    /// edges), the second mostly the others (tokenizing). Only for a bulk
    /// load, where the lexical side's own connection sees every parsed
    /// file. Returns the graph's report and chunk documents written.
    fn rebuild_graph_beside_search(
        &mut self,
        pool: &rayon::ThreadPool,
    ) -> Result<(graph::GraphReport, u64)> {
        let conn = Store::open_for_reading(self.store.path())?;
        let loc = self.loc.clone();
        let (mut chunks, mut files) = (self.bm25.take(), self.bm25_files.take());
        let (graph, synced) = std::thread::scope(|s| {
            let (loc, chunks, files) = (&loc, &mut chunks, &mut files);
            let lexical = s.spawn(move || LexicalSync { loc, chunks, files }.run(&conn));
            let graph = pool.install(|| self.rebuild_graph());
            let synced = lexical
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (graph, synced)
        });
        (self.bm25, self.bm25_files) = (chunks, files);
        let graph = graph?;
        Ok((graph, self.finish_search(synced?)?))
    }

    /// The graph stage's thread pool, built on first use.
    fn graph_pool(&mut self) -> Result<Arc<rayon::ThreadPool>> {
        if let Some(pool) = &self.graph_pool {
            return Ok(pool.clone());
        }
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(self.options.threads)
            .thread_name(|i| format!("codegraph-graph-{i}"))
            .build()
            .map_err(|e| Error::Other(format!("thread pool: {e}")))?;
        Ok(self.graph_pool.insert(Arc::new(pool)).clone())
    }

    /// One run. `bulk`: a first index (or one resuming), whose parsed files
    /// are committed in batches, so another connection sees them and the
    /// lexical indexes can be written beside the graph's resolution.
    fn index_run(&mut self, progress: &dyn Progress, bulk: bool) -> Result<IndexReport> {
        let started = Instant::now();
        let rebuilt = self.store.rebuilt().map(str::to_owned);
        if rebuilt.is_none()
            && (self.store.damage_reported() || !self.store.read().graph_current()?)
        {
            // Interrupted, or a read found damage: make sure the file is
            // sound before building on it.
            if let Some(problem) = self.store.quick_check()? {
                return Err(Error::Store(codegraph_store::StoreError::damaged(
                    self.store.path(),
                    problem,
                )));
            }
        }
        progress.phase(Phase::Walking);
        let walk::Walk {
            candidates,
            skipped,
            dirs,
        } = walk::walk(&self.loc.root, &self.options, &self.loc.index_dir);
        self.walked_dirs = Some(dirs);
        let walked_ms = started.elapsed().as_millis() as u64;
        let graph_was_current = self.store.read().graph_current()?;
        let run = pipeline::run(
            &mut self.store,
            &candidates,
            skipped,
            &self.options,
            progress,
        )?;
        let parsed_ms = started.elapsed().as_millis() as u64;
        progress.phase(Phase::ResolvingGraph);
        let mut changes = ChangeSet::default();
        let mut search_docs = None;
        let graph = if self.store.read().graph_current()? {
            None
        } else if graph_was_current
            && !run.changes.is_empty()
            && run.changes.len() <= INCREMENTAL_MAX_CHANGED
        {
            // Incremental only from a graph that matched the store before
            // this run (after a crash, what changed is unknown).
            let pool = self.graph_pool()?;
            let (report, graph_change) = pool.install(|| self.update_graph(&run.changes))?;
            changes.graph = graph_change;
            Some(report)
        } else {
            changes.graph = GraphChange::Rebuilt;
            let pool = self.graph_pool()?;
            if bulk {
                let (graph, synced) = self.rebuild_graph_beside_search(&pool)?;
                search_docs = Some(synced);
                Some(graph)
            } else {
                Some(pool.install(|| self.rebuild_graph())?)
            }
        };
        let graph_ms = started.elapsed().as_millis() as u64;
        progress.phase(Phase::LexicalIndex);
        let search_docs = match search_docs {
            Some(written) => written,
            None => self.sync_search()?,
        };
        let elapsed_ms = started.elapsed().as_millis() as u64;
        self.write_run_meta(elapsed_ms)?;
        tracing::debug!(
            walked_ms,
            parsed_ms,
            graph_ms,
            searched_ms = elapsed_ms,
            meta_ms = started.elapsed().as_millis() as u64,
            "index run stages"
        );
        changes.files = if rebuilt.is_some() || run.changes.len() > INCREMENTAL_MAX_CHANGED {
            Files::All
        } else if run.changes.is_empty() {
            Files::None
        } else {
            Files::Some(run.changes.iter().map(|c| c.file).collect())
        };
        changes.search = search_docs > 0 || !run.changes.is_empty();
        self.store.take_rebuilt();
        Ok(IndexReport {
            stats: self.store.read().stats()?,
            run,
            elapsed_ms,
            rebuilt,
            graph,
            search_docs,
            changes,
        })
    }

    /// Records the repository's identity and this run's time.
    fn write_run_meta(&mut self, elapsed_ms: u64) -> Result<()> {
        let git = crate::git::read(&self.loc.root).unwrap_or_default();
        let readme = self.readme_summary()?;
        let root = self.loc.root.to_string_lossy().into_owned();
        let mut writer = self.store.writer()?;
        writer.set_meta(MetaKey::Root, &root)?;
        for (key, value) in [
            (MetaKey::RemoteUrl, &git.remote_url),
            (MetaKey::HeadCommit, &git.head_commit),
            (MetaKey::Branch, &git.branch),
            (MetaKey::Readme, &readme),
        ] {
            writer.set_meta(key, value.as_deref().unwrap_or(""))?;
        }
        writer.set_meta(MetaKey::LastIndexed, &unix_now_secs().to_string())?;
        writer.set_meta(MetaKey::LastIndexMs, &elapsed_ms.to_string())?;
        writer.commit()?;
        Ok(())
    }

    /// The README's first paragraph: the file doc of the shortest-named
    /// README at the root.
    fn readme_summary(&self) -> Result<Option<String>> {
        let conn = self.store.read();
        let files = conn.files()?;
        let readme = files
            .iter()
            .filter(|f| !f.path.contains('/') && f.path.to_ascii_lowercase().starts_with("readme"))
            .min_by_key(|f| f.path.len());
        match readme {
            Some(f) => Ok(conn.file_doc(&f.path)?),
            None => Ok(None),
        }
    }

    /// Whether a reader (in any process) found the database or the
    /// lexical index damaged since the last check: the next
    /// [`Indexer::index`] rebuilds what is.
    pub fn damage_reported(&self) -> bool {
        self.store.damage_reported()
            || Bm25Index::damage_reported(&self.loc.bm25_dir())
            || Bm25Index::damage_reported(&self.loc.bm25_files_dir())
    }

    /// Drops what this indexer keeps in memory (graph facts, the search
    /// writer, vectors, model); later work reloads what it needs.
    pub fn drop_caches(&mut self) {
        self.facts = None;
        self.bm25 = None;
        self.bm25_files = None;
        self.embedder = None;
        self.vectors = None;
    }

    /// Loads the graph facts into memory if they are not there, so later
    /// updates patch them instead of reading them all (long-lived processes).
    pub fn keep_graph_facts(&mut self) -> Result<()> {
        let conn = self.store.read();
        if self.facts.is_none() && conn.graph_current()? {
            let facts = conn.graph_facts()?;
            drop(conn);
            self.facts = Some(facts);
        }
        Ok(())
    }
}
