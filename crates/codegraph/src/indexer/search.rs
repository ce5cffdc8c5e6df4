//! Keeping the lexical index in step with the store.

use super::Indexer;
use crate::Result;
use codegraph_search::Bm25Index;

/// Deleted share of the BM25 index above which an update merges segments.
const COMPACT_DELETED_RATIO: f64 = 0.2;

impl Indexer {
    /// The lexical index's writer side, opened on first use.
    /// Its files' checksums are verified at the first open of a write
    /// (a damaged index is rebuilt).
    fn bm25_writer(&mut self) -> Result<&mut Bm25Index> {
        if Bm25Index::damage_reported(&self.loc.bm25_dir()) {
            self.bm25 = None;
        }
        if self.bm25.is_none() {
            self.bm25 = Some(Bm25Index::open_checked(&self.loc.bm25_dir(), true)?);
        }
        Ok(self.bm25.as_mut().expect("opened above"))
    }

    /// Brings the BM25 index up to date with the store: everything when it
    /// was (re)created, else the pending files. Returns documents written.
    pub(super) fn sync_search(&mut self) -> Result<u64> {
        let pending = self.store.read().search_pending()?;
        let chunks = self.store.read().chunk_count()?;
        let created = {
            let index = self.bm25_writer()?;
            let whole = index.created
                || (index.is_empty() && !pending.is_empty())
                // Documents the store does not account for: lost or extra.
                || (pending.is_empty() && index.len() != chunks);
            if whole && !index.created && pending.is_empty() {
                tracing::warn!(
                    documents = index.len(),
                    chunks,
                    "the lexical index does not match the store; rebuilding it"
                );
            }
            whole
        };
        let written = if created {
            let docs = self.store.read().search_docs(None)?;
            let index = self.bm25_writer()?;
            index.update(&[], &docs, true)?;
            index.created = false;
            docs.len()
        } else if !pending.is_empty() {
            let docs = self.store.read().search_docs(Some(&pending))?;
            let index = self.bm25_writer()?;
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
        Ok(written as u64)
    }

    /// Merges the search index's segments, purging deleted documents: its
    /// scores then equal a fresh index's. Updates do it on their own once
    /// deleted documents pass a fifth of the index.
    pub fn compact_search_index(&mut self) -> Result<()> {
        self.locked("compact", |ix| Ok(ix.bm25_writer()?.compact()?))
    }
}
