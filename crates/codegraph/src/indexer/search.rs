//! Keeping the lexical index in step with the store.

use super::Indexer;
use crate::Result;
use codegraph_search::Bm25Index;

/// Deleted share of the BM25 index above which an update merges segments.
const COMPACT_DELETED_RATIO: f64 = 0.2;

/// Which lexical index: chunks, or whole files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Chunks,
    Files,
}

impl Indexer {
    /// A lexical index's writer side, opened on first use.
    /// Its files' checksums are verified at the first open of a write
    /// (a damaged index is rebuilt).
    fn lexical_writer(&mut self, level: Level) -> Result<&mut Bm25Index> {
        let dir = match level {
            Level::Chunks => self.loc.bm25_dir(),
            Level::Files => self.loc.bm25_files_dir(),
        };
        let slot = match level {
            Level::Chunks => &mut self.bm25,
            Level::Files => &mut self.bm25_files,
        };
        if Bm25Index::damage_reported(&dir) {
            *slot = None;
        }
        if slot.is_none() {
            *slot = Some(Bm25Index::open_checked(&dir, true)?);
        }
        Ok(slot.as_mut().expect("opened above"))
    }

    /// Brings both lexical indexes up to date with the store: everything
    /// when one was (re)created or does not match the store, else the
    /// pending files. Returns chunk documents written.
    pub(super) fn sync_search(&mut self) -> Result<u64> {
        let pending = self.store.read().search_pending()?;
        let written = self.sync_level(Level::Chunks, &pending)?;
        self.sync_level(Level::Files, &pending)?;
        self.store.clear_search_pending(&pending)?;
        Ok(written)
    }

    fn sync_level(&mut self, level: Level, pending: &[String]) -> Result<u64> {
        let expected = match level {
            Level::Chunks => self.store.read().chunk_count()?,
            Level::Files => self.store.read().files_with_chunks()?,
        };
        let docs = |ix: &Indexer, paths: Option<&[String]>| match level {
            Level::Chunks => ix.store.read().search_docs(paths),
            Level::Files => ix.store.read().file_search_docs(paths),
        };
        let whole = {
            let index = self.lexical_writer(level)?;
            let whole = index.created
                || (index.is_empty() && !pending.is_empty())
                // Documents the store does not account for: lost or extra.
                || (pending.is_empty() && index.len() != expected);
            if whole && !index.created && pending.is_empty() {
                tracing::warn!(
                    ?level,
                    documents = index.len(),
                    expected,
                    "a lexical index does not match the store; rebuilding it"
                );
            }
            whole
        };
        let written = if whole {
            let docs = docs(self, None)?;
            let index = self.lexical_writer(level)?;
            index.update(&[], &docs, true)?;
            index.created = false;
            docs.len()
        } else if !pending.is_empty() {
            let docs = docs(self, Some(pending))?;
            let index = self.lexical_writer(level)?;
            index.update(pending, &docs, false)?;
            // Deleted documents still weigh in BM25's statistics until
            // their segments merge; past a fifth of the index, merge now.
            if index.deleted_ratio() > COMPACT_DELETED_RATIO {
                index.compact()?;
            }
            docs.len()
        } else {
            0
        };
        Ok(written as u64)
    }

    /// Merges the search indexes' segments, purging deleted documents:
    /// their scores then equal a fresh index's. Updates do it on their own
    /// once deleted documents pass a fifth of an index.
    pub fn compact_search_index(&mut self) -> Result<()> {
        self.locked("compact", |ix| {
            ix.lexical_writer(Level::Chunks)?.compact()?;
            Ok(ix.lexical_writer(Level::Files)?.compact()?)
        })
    }
}
