//! Embeddings: filled in behind the lexical and graph index, cached by
//! (model, content hash), and an HNSW index over them.

use crate::{Codegraph, Progress, Result};
use codegraph_embed::{Embedder, ModelConfig};
use codegraph_search::{HnswParams, VectorIndex};
use serde::Serialize;
use std::time::Instant;

/// Meta key set when chunks or embeddings change, cleared when the vector
/// index is rebuilt.
pub(crate) const VECTORS_DIRTY: &str = "vectors_dirty";

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
}

/// A vector's version: the first 8 bytes of its chunk's content hash.
fn version_of(hash: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    for (d, s) in b.iter_mut().zip(hash) {
        *d = *s;
    }
    u64::from_le_bytes(b)
}

/// How to tell a user that vectors are off.
pub const NO_MODEL: &str = "no embedding model is installed: search is lexical only. Run `codegraph model install` to enable vector search";

impl Codegraph {
    /// The embedding model, loaded on first use; `None` when no model is
    /// installed (or it fails to load — logged once).
    pub fn embedder(&self) -> Option<&Embedder> {
        self.embedder
            .get_or_init(|| {
                let config = self.model_config();
                match Embedder::load(&config) {
                    Ok(e) => Some(std::sync::Arc::new(e)),
                    Err(codegraph_embed::Error::NotInstalled { .. }) => None,
                    Err(e) => {
                        tracing::warn!(error = %e, "the embedding model did not load; search is lexical only");
                        None
                    }
                }
            })
            .as_deref()
    }

    /// The model configuration in use.
    pub fn model_config(&self) -> ModelConfig {
        self.options
            .model
            .clone()
            .unwrap_or_else(|| ModelConfig::from_data_dir(&codegraph_embed::default_data_dir()))
    }

    /// Embeds every chunk content that has no vector for the current model,
    /// in batches, then rebuilds the vector index if anything changed.
    pub fn embed_pending(&mut self, progress: &dyn Progress) -> Result<Option<EmbedReport>> {
        if self.embedder().is_none() {
            return Ok(None);
        }
        let started = Instant::now();
        let tag = self.embedder().map(Embedder::cache_tag).unwrap_or_default();
        let (done_before, total) = self.store.embedding_coverage(&tag)?;
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
            let jobs = self.store.embed_jobs(&tag, EMBED_BATCH)?;
            if jobs.is_empty() {
                break;
            }
            let texts: Vec<&str> = jobs.iter().map(|j| j.text.as_str()).collect();
            let embedder = self.embedder().expect("checked above");
            let vectors = embedder
                .embed(&texts)
                .map_err(|e| crate::Error::Other(format!("embedding failed: {e}")))?;
            let items: Vec<(Vec<u8>, Vec<f32>)> =
                jobs.into_iter().map(|j| j.hash).zip(vectors).collect();
            self.store.put_embeddings(&tag, &items)?;
            self.set_meta(VECTORS_DIRTY, "1")?;
            embedded += items.len() as u64;
            progress.embed_progress(done_before + embedded, total);
        }
        let elapsed = started.elapsed();
        let (with_vectors, chunks) = self.store.embedding_coverage(&tag)?;
        self.coverage = std::sync::OnceLock::new();
        let t = Instant::now();
        progress.phase(crate::Phase::VectorIndex);
        let (points, patched) = if cancelled {
            (0, false)
        } else {
            self.rebuild_vectors_if_dirty()?
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
        }))
    }

    fn set_meta(&mut self, key: &str, value: &str) -> Result<()> {
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
    /// [`Codegraph::flush_vectors`]): until then the saved index lags the
    /// store, and whoever opens it patches it in memory. Returns the number
    /// of live points and whether the index was patched.
    fn rebuild_vectors_if_dirty(&mut self) -> Result<(u64, bool)> {
        let Some(embedder) = self.embedder() else {
            return Ok((0, false));
        };
        let tag = embedder.cache_tag();
        let dim = embedder.dim();
        let dir = VectorIndex::dir_for(&self.index_dir, &tag);
        let dirty = self.store.meta(VECTORS_DIRTY)?.as_deref() != Some("0");
        let existing = match self.vectors.take() {
            Some(v) if v.tag == tag => Some(v),
            _ => VectorIndex::open(&dir, &tag, HnswParams::default()),
        };
        if !dirty && let Some(existing) = existing {
            let n = existing.len() as u64;
            let _ = self.vectors.set(existing);
            return Ok((n, false));
        }
        if let Some(mut index) = existing.filter(|v| v.dim() == dim)
            && self.reconcile_vectors(&mut index, &tag)?
        {
            if index.unsaved() >= SAVE_AFTER_POINTS {
                index.save(&dir)?;
                self.set_meta(VECTORS_DIRTY, "0")?;
            }
            let n = index.len() as u64;
            let _ = self.vectors.set(index);
            return Ok((n, true));
        }
        let mut points = Vec::new();
        let mut versions = Vec::new();
        for (id, hash, v) in self.store.chunk_vectors(&tag)? {
            points.push((id as u64, v));
            versions.push(version_of(&hash));
        }
        let mut index =
            VectorIndex::build_versioned(&points, &versions, dim, &tag, HnswParams::default());
        index.save(&dir)?;
        self.set_meta(VECTORS_DIRTY, "0")?;
        let n = index.len() as u64;
        let _ = self.vectors.set(index);
        Ok((n, false))
    }

    /// Patches `index` to the store's vectors of `tag`: points of chunks
    /// that are gone or changed are flagged removed, missing ones inserted.
    /// `false` (and `index` untouched) when the removed points would pile
    /// up past a fifth of the index: rebuild instead.
    fn reconcile_vectors(&self, index: &mut VectorIndex, tag: &str) -> Result<bool> {
        let wanted: Vec<(i64, Vec<u8>)> = self.store.chunks_with_vectors(tag)?;
        let live = index.live();
        let fresh: Vec<&(i64, Vec<u8>)> = wanted
            .iter()
            .filter(|(id, hash)| live.get(&(*id as u64)) != Some(&version_of(hash)))
            .collect();
        let wanted_ids: std::collections::HashSet<u64> =
            wanted.iter().map(|(id, _)| *id as u64).collect();
        let mut stale: std::collections::HashSet<u64> = live
            .keys()
            .filter(|k| !wanted_ids.contains(k))
            .copied()
            .collect();
        stale.extend(fresh.iter().map(|(id, _)| *id as u64));
        if (index.removed() + stale.len()) * 5 > wanted.len().max(1) {
            return Ok(false);
        }
        let mut points = Vec::with_capacity(fresh.len());
        for (id, hash) in fresh {
            if let Some(v) = self.store.vector_of(tag, hash)? {
                points.push((*id as u64, version_of(hash), v));
            }
        }
        index.remove(&stale);
        index.insert(&points);
        Ok(true)
    }

    /// Writes the vector index in memory to disk if it has changes the
    /// saved one lacks (a long-lived process calls this before it exits, so
    /// the next one opens it without patching).
    pub fn flush_vectors(&mut self) -> Result<()> {
        let Some(mut index) = self.vectors.take() else {
            return Ok(());
        };
        if index.unsaved() > 0 {
            index.save(&VectorIndex::dir_for(&self.index_dir, &index.tag))?;
            self.set_meta(VECTORS_DIRTY, "0")?;
        }
        let _ = self.vectors.set(index);
        Ok(())
    }

    /// The vector index of the current model, loaded on first use (and
    /// patched in memory when the saved one lags the store); `None` without
    /// a model or before any embedding.
    pub(crate) fn vector_index(&self) -> Option<&VectorIndex> {
        if let Some(v) = self.vectors.get() {
            return Some(v);
        }
        let tag = self.embedder()?.cache_tag();
        let _loading = crate::hold(&self.loading.vectors);
        if let Some(v) = self.vectors.get() {
            return Some(v);
        }
        let dir = VectorIndex::dir_for(&self.index_dir, &tag);
        let mut index = VectorIndex::open(&dir, &tag, HnswParams::default())?;
        let lagging = self.store.meta(VECTORS_DIRTY).ok()?.as_deref() != Some("0");
        if lagging {
            match self.reconcile_vectors(&mut index, &tag) {
                Ok(true) => {}
                // Too far behind to patch: the saved index as it is (hits
                // of chunks that are gone are dropped) until a writer
                // rebuilds it.
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, "cannot patch the vector index"),
            }
        }
        Some(self.vectors.get_or_init(|| index))
    }

    /// (chunks with a vector, chunks) for the current model; counted once
    /// per index state (recounted after `index` or `embed_pending`).
    pub fn vector_coverage(&self) -> Result<(u64, u64)> {
        if let Some(c) = self.coverage.get() {
            return Ok(*c);
        }
        // The tag comes from the configuration: counting needs no model.
        let c = self
            .store
            .embedding_coverage(&self.model_config().cache_tag())?;
        Ok(*self.coverage.get_or_init(|| c))
    }
}
