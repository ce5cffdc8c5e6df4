//! Embeddings: filled in behind the lexical and graph index, cached by
//! (model, content hash), and an HNSW index over them.

use super::Indexer;
use crate::changes::ChangeSet;
use crate::vectors::{build_from_store, reconcile};
use crate::{Progress, Result};
use codegraph_embed::Embedder;
use codegraph_search::{HnswParams, VectorIndex};
use codegraph_store::MetaKey;
use serde::Serialize;
use std::sync::Arc;
use std::time::Instant;

/// A patched vector index is written to disk once this many points were
/// added or removed since its last save (a save writes the whole index).
const SAVE_AFTER_POINTS: usize = 256;

/// Chunks embedded per batch written to the store (each batch is one
/// transaction, so an interrupted run resumes where it stopped).
const EMBED_BATCH: usize = 256;

/// What an embedding run did.
#[derive(Debug, Clone, Serialize, Default)]
pub struct EmbedReport {
    pub model: String,
    pub embedded: u64,
    pub chunks_with_vectors: u64,
    pub chunks: u64,
    pub elapsed_ms: u64,
    pub chunks_per_second: f64,
    /// Points in the vector index after the run.
    pub vector_index_points: u64,
    pub vector_index_build_ms: u64,
    /// Whether the existing vector index was patched (new points inserted,
    /// stale ones flagged) rather than rebuilt.
    pub vector_index_patched: bool,
    /// What readers must follow.
    #[serde(skip)]
    pub changes: ChangeSet,
}

/// How to tell a user that vectors are off.
/// The notice of a search that could not use vectors because the index has
/// none for the configured model.
pub const NO_VECTORS: &str = "this index has no vectors yet (embeddings are computed by `codegraph index` or a running server once a model is installed: `codegraph model install`); answered lexically";

pub const NO_MODEL: &str = "no embedding model is installed: search is lexical only. Run `codegraph model install` to enable vector search";

impl Indexer {
    /// The embedding model, loaded on first use; `None` when no model is
    /// installed (or it fails to load — logged once).
    pub(crate) fn embedder(&mut self) -> Option<Arc<Embedder>> {
        if self.embedder.is_none() {
            self.embedder = Some(load_embedder(&self.options.model_config()));
        }
        self.embedder.clone().flatten()
    }

    /// Embeds every chunk content that has no vector for the current model,
    /// in batches, then brings the vector index up to date. `None` without
    /// a model.
    pub fn embed_pending(&mut self, progress: &dyn Progress) -> Result<Option<EmbedReport>> {
        self.locked("embed", |ix| ix.embed_locked(progress))
    }

    fn embed_locked(&mut self, progress: &dyn Progress) -> Result<Option<EmbedReport>> {
        if !self.options.embed {
            tracing::debug!("embeddings are off (settings)");
            return Ok(None);
        }
        let Some(embedder) = self.embedder() else {
            return Ok(None);
        };
        let started = Instant::now();
        let tag = embedder.cache_tag();
        let (done_before, total) = self.store.read().embedding_coverage(&tag)?;
        progress.embed_progress(done_before, total);
        progress.phase(crate::Phase::Embedding);
        let mut embedded = 0u64;
        let mut cancelled = false;
        loop {
            // Stopping keeps what is embedded (each batch is committed).
            if progress.cancelled() {
                cancelled = true;
                break;
            }
            let jobs = self.store.read().embed_jobs(&tag, EMBED_BATCH)?;
            if jobs.is_empty() {
                break;
            }
            let texts: Vec<&str> = jobs.iter().map(|j| j.text.as_str()).collect();
            let so_far = done_before + embedded;
            let vectors = embedder
                .embed_with_progress(&texts, &|done| {
                    progress.embed_progress(so_far + done as u64, total);
                })
                .map_err(|e| crate::Error::Other(format!("embedding failed: {e}")))?;
            let items: Vec<(Vec<u8>, Vec<f32>)> =
                jobs.into_iter().map(|j| j.hash).zip(vectors).collect();
            self.store.put_embeddings(&tag, &items)?;
            self.set_meta(MetaKey::VectorsDirty, "1")?;
            embedded += items.len() as u64;
            progress.embed_progress(done_before + embedded, total);
        }
        let elapsed = started.elapsed();
        // Recorded: readers then read it from one row, not a scan.
        let (with_vectors, chunks) = self.store.record_coverage(&tag)?;
        let t = Instant::now();
        progress.phase(crate::Phase::VectorIndex);
        let (points, patched) = if cancelled {
            (0, false)
        } else {
            self.rebuild_vectors_if_dirty(&embedder)?
        };
        let changes = ChangeSet {
            embeddings: embedded > 0,
            vectors: self.vectors.clone(),
            ..ChangeSet::default()
        };
        Ok(Some(EmbedReport {
            model: tag,
            embedded,
            chunks_with_vectors: with_vectors,
            chunks,
            elapsed_ms: elapsed.as_millis() as u64,
            chunks_per_second: if elapsed.as_secs_f64() > 0.0 {
                embedded as f64 / elapsed.as_secs_f64()
            } else {
                0.0
            },
            vector_index_points: points,
            vector_index_build_ms: t.elapsed().as_millis() as u64,
            vector_index_patched: patched,
            changes,
        }))
    }

    fn set_meta(&mut self, key: MetaKey, value: &str) -> Result<()> {
        let mut w = self.store.writer()?;
        w.set_meta(key, value)?;
        w.commit()?;
        Ok(())
    }

    /// Brings the vector index up to date when chunks or embeddings changed
    /// since it was saved: a small change inserts the new points and flags
    /// the stale ones in the existing index; a large one (or a missing
    /// index) rebuilds it. A patched index is written to disk only once
    /// [`SAVE_AFTER_POINTS`] points changed since the last save (or by
    /// [`Indexer::flush_vectors`]): until then the saved index lags the
    /// store, and whoever opens it patches it in memory. Returns the number
    /// of live points and whether the index was patched.
    fn rebuild_vectors_if_dirty(&mut self, embedder: &Embedder) -> Result<(u64, bool)> {
        let tag = embedder.cache_tag();
        let dim = embedder.dim();
        let dir = VectorIndex::dir_for(&self.loc.index_dir, &tag);
        let dirty = self.store.read().meta(MetaKey::VectorsDirty)?.as_deref() != Some("0");
        let in_memory = self.vectors.as_ref().is_some_and(|v| v.tag == tag);
        let existing = match self.vectors.take() {
            Some(v) if v.tag == tag => Some(v),
            _ => match VectorIndex::open_checked(&dir, &tag, HnswParams::default()) {
                Ok(found) => found,
                Err(why) => {
                    tracing::warn!(dir = %dir.display(), "the vector index is damaged ({why}); rebuilding it");
                    None
                }
            },
        };
        if !dirty && let Some(mut existing) = existing {
            // A dump from before scan copies gets one, and a damaged copy
            // is written again: scanning readers would otherwise build
            // theirs from the store at every open. (Checked when the dump
            // is opened, not at every update of a long-lived writer.)
            if !in_memory && VectorIndex::scan_needs_writing(&dir) {
                existing.save(&dir)?;
            }
            let n = existing.len() as u64;
            self.vectors = Some(existing);
            return Ok((n, false));
        }
        if let Some(mut index) = existing.filter(|v| v.dim() == dim)
            && reconcile(&self.store.read(), &mut index, &tag)?
        {
            if index.unsaved() >= SAVE_AFTER_POINTS {
                index.save(&dir)?;
                self.set_meta(MetaKey::VectorsDirty, "0")?;
            }
            let n = index.len() as u64;
            self.vectors = Some(index);
            return Ok((n, true));
        }
        let mut index = build_from_store(&self.store.read(), &tag, dim)?;
        index.save(&dir)?;
        self.set_meta(MetaKey::VectorsDirty, "0")?;
        let n = index.len() as u64;
        self.vectors = Some(index);
        Ok((n, false))
    }

    /// Writes the vector index in memory to disk if it has changes the
    /// saved one lacks (a long-lived process calls this before it exits, so
    /// the next one opens it without patching).
    pub fn flush_vectors(&mut self) -> Result<()> {
        if self.vectors.is_none() {
            return Ok(());
        }
        self.locked("flush vectors", Indexer::flush_locked)
    }

    fn flush_locked(&mut self) -> Result<()> {
        let Some(mut index) = self.vectors.take() else {
            return Ok(());
        };
        let saved = if index.unsaved() > 0 {
            index
                .save(&VectorIndex::dir_for(&self.loc.index_dir, &index.tag))
                .map(|()| true)
        } else {
            Ok(false)
        };
        self.vectors = Some(index);
        if saved? {
            self.set_meta(MetaKey::VectorsDirty, "0")?;
        }
        Ok(())
    }
}

/// Loads the model of `config`; `None` when it is not installed or fails
/// to load (logged).
///
/// One model per process: every index (every repository a server holds)
/// shares the loaded model of the same configuration while any holds it.
pub(crate) fn load_embedder(config: &codegraph_embed::ModelConfig) -> Option<Arc<Embedder>> {
    use std::collections::HashMap;
    use std::sync::{Mutex, Weak};
    static LOADED: Mutex<Option<HashMap<String, Weak<Embedder>>>> = Mutex::new(None);
    let key = format!(
        "{}\0{}\0{}\0{}",
        config.model_dir.display(),
        config.ort_library.display(),
        config.cache_tag(),
        config.quick_start
    );
    // Held while loading: two repositories asking at once load it once.
    let mut loaded = LOADED.lock().unwrap_or_else(|p| p.into_inner());
    let loaded = loaded.get_or_insert_with(HashMap::new);
    if let Some(model) = loaded.get(&key).and_then(Weak::upgrade) {
        return Some(model);
    }
    loaded.retain(|_, w| w.strong_count() > 0);
    match Embedder::load(config) {
        Ok(e) => {
            let model = Arc::new(e);
            loaded.insert(key, Arc::downgrade(&model));
            Some(model)
        }
        Err(codegraph_embed::Error::NotInstalled { .. }) => None,
        Err(e) => {
            tracing::warn!(error = %e, "the embedding model did not load; search is lexical only");
            None
        }
    }
}
