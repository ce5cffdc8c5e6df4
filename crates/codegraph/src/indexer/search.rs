//! Keeping the lexical index in step with the store.

use super::Indexer;
use crate::Result;
use codegraph_core::SearchDoc;
use codegraph_search::Bm25Index;

/// Deleted share of the BM25 index above which an update merges segments.
const COMPACT_DELETED_RATIO: f64 = 0.2;

/// The documents one lexical index must take: all of them (`whole`), or
/// those of the pending files.
struct Plan {
    whole: bool,
    docs: Vec<SearchDoc>,
}

/// Whether a plan is small enough to write beside the other index's.
fn small(plan: &Option<Plan>) -> bool {
    plan.as_ref()
        .is_none_or(|p| p.docs.len() < SIDE_BY_SIDE_DOCS)
}

/// Writes `plan` to `index` (nothing without a plan).
fn apply(index: &mut Bm25Index, plan: Option<Plan>, pending: &[String]) -> Result<()> {
    let Some(Plan { whole, docs }) = plan else {
        return Ok(());
    };
    if whole {
        index.update(&[], &docs, true)?;
        index.created = false;
    } else {
        index.update(pending, &docs, false)?;
        // Deleted documents still weigh in BM25's statistics until
        // their segments merge; past a fifth of the index, merge now.
        if index.deleted_ratio() > COMPACT_DELETED_RATIO {
            index.compact()?;
        }
    }
    Ok(())
}

/// Up to this many documents per index, an update writes both lexical
/// indexes side by side.
const SIDE_BY_SIDE_DOCS: usize = 5_000;

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
        let chunks = self.plan_level(Level::Chunks, &pending)?;
        let written = chunks.as_ref().map_or(0, |p| p.docs.len() as u64);
        let files = if small(&chunks) {
            self.plan_level(Level::Files, &pending)?
        } else {
            // A rebuild: one index's documents in memory at a time.
            apply(self.lexical_writer(Level::Chunks)?, chunks, &pending)?;
            let files = self.plan_level(Level::Files, &pending)?;
            apply(self.lexical_writer(Level::Files)?, files, &pending)?;
            self.store.clear_search_pending(&pending)?;
            return Ok(written);
        };
        self.lexical_writer(Level::Chunks)?;
        self.lexical_writer(Level::Files)?;
        let (Some(chunk_index), Some(file_index)) = (&mut self.bm25, &mut self.bm25_files) else {
            unreachable!("both lexical writers were opened above");
        };
        // An update's two small commits run side by side, the files' on a
        // thread of its own (commits block; rayon's pool serves requests).
        let pending = &pending;
        std::thread::scope(|s| {
            let other = s.spawn(move || apply(file_index, files, pending));
            let first = apply(chunk_index, chunks, pending);
            let second = other
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            first.and(second)
        })?;
        self.store.clear_search_pending(pending)?;
        Ok(written)
    }

    /// What one level needs written, opening its writer: `None` when it
    /// is up to date.
    fn plan_level(&mut self, level: Level, pending: &[String]) -> Result<Option<Plan>> {
        let expected = match level {
            Level::Chunks => self.store.read().chunk_count()?,
            Level::Files => self.store.read().files_with_chunks()?,
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
        if !whole && pending.is_empty() {
            return Ok(None);
        }
        let paths = (!whole).then_some(pending);
        let conn = self.store.read();
        let docs = match level {
            Level::Chunks => conn.search_docs(paths)?,
            Level::Files => conn.file_search_docs(paths)?,
        };
        Ok(Some(Plan { whole, docs }))
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
