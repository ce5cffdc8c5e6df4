//! Keeping the lexical index in step with the store.

use super::Indexer;
use crate::{Location, Result};
use codegraph_core::SearchDoc;
use codegraph_search::Bm25Index;
use codegraph_store::Conn;

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

/// The lexical indexes' writer sides, borrowed from the indexer, and what
/// bringing them up to date with a connection's view of the store takes.
/// Runs on the indexer's own connection, or beside the graph stage on a
/// connection of its own ([`Indexer::index`] of a first index).
pub(super) struct LexicalSync<'a> {
    pub(super) loc: &'a Location,
    pub(super) chunks: &'a mut Option<Bm25Index>,
    pub(super) files: &'a mut Option<Bm25Index>,
}

/// What a lexical sync wrote: chunk documents, and the pending files it
/// covered (to clear in the store once both indexes committed).
pub(super) struct Synced {
    pub(super) written: u64,
    pub(super) pending: Vec<String>,
}

impl LexicalSync<'_> {
    /// A lexical index's writer side, opened on first use.
    /// Its files' checksums are verified at the first open of a write
    /// (a damaged index is rebuilt).
    fn writer(&mut self, level: Level) -> Result<&mut Bm25Index> {
        let (dir, slot) = match level {
            Level::Chunks => (self.loc.bm25_dir(), &mut *self.chunks),
            Level::Files => (self.loc.bm25_files_dir(), &mut *self.files),
        };
        if Bm25Index::damage_reported(&dir) {
            *slot = None;
        }
        if slot.is_none() {
            *slot = Some(Bm25Index::open_checked(&dir, true)?);
        }
        Ok(slot.as_mut().expect("opened above"))
    }

    /// Brings both lexical indexes up to date with what `conn` sees:
    /// everything when one was (re)created or does not match the store,
    /// else the pending files.
    pub(super) fn run(mut self, conn: &Conn) -> Result<Synced> {
        let pending = conn.search_pending()?;
        let chunks_whole = self.whole(Level::Chunks, &pending, conn)?;
        if chunks_whole && conn.chunk_count()? >= SIDE_BY_SIDE_DOCS as u64 {
            // A big rebuild: documents stream from the store into one
            // index at a time, never all in memory.
            let written = self.stream(Level::Chunks, conn)?;
            if self.whole(Level::Files, &pending, conn)? {
                self.stream(Level::Files, conn)?;
            } else {
                let files = self.docs(Level::Files, false, &pending, conn)?;
                apply(self.writer(Level::Files)?, files, &pending)?;
            }
            return Ok(Synced { written, pending });
        }
        let chunks = self.docs(Level::Chunks, chunks_whole, &pending, conn)?;
        let written = chunks.as_ref().map_or(0, |p| p.docs.len() as u64);
        if !small(&chunks) {
            // Many changed files: one index's documents in memory at a time.
            apply(self.writer(Level::Chunks)?, chunks, &pending)?;
            let whole = self.whole(Level::Files, &pending, conn)?;
            let files = self.docs(Level::Files, whole, &pending, conn)?;
            apply(self.writer(Level::Files)?, files, &pending)?;
            return Ok(Synced { written, pending });
        }
        let whole = self.whole(Level::Files, &pending, conn)?;
        let files = self.docs(Level::Files, whole, &pending, conn)?;
        self.writer(Level::Chunks)?;
        self.writer(Level::Files)?;
        let (Some(chunk_index), Some(file_index)) = (self.chunks, self.files) else {
            unreachable!("both lexical writers were opened above");
        };
        // An update's two small commits run side by side, the files' on a
        // thread of its own (commits block; rayon's pool serves requests).
        let both = &pending;
        std::thread::scope(|s| {
            let other = s.spawn(move || apply(file_index, files, both));
            let first = apply(chunk_index, chunks, both);
            let second = other
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            first.and(second)
        })?;
        Ok(Synced { written, pending })
    }

    /// Whether one level must be written whole (it was created, or does
    /// not account for the store's documents), opening its writer.
    fn whole(&mut self, level: Level, pending: &[String], conn: &Conn) -> Result<bool> {
        let expected = match level {
            Level::Chunks => conn.chunk_count()?,
            Level::Files => conn.files_with_chunks()?,
        };
        let index = self.writer(level)?;
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
        Ok(whole)
    }

    /// What one level needs written: every document (`whole`), those of
    /// the pending files, or `None` when it is up to date.
    fn docs(
        &mut self,
        level: Level,
        whole: bool,
        pending: &[String],
        conn: &Conn,
    ) -> Result<Option<Plan>> {
        if !whole && pending.is_empty() {
            return Ok(None);
        }
        let paths = (!whole).then_some(pending);
        let docs = match level {
            Level::Chunks => conn.search_docs(paths)?,
            Level::Files => conn.file_search_docs(paths)?,
        };
        Ok(Some(Plan { whole, docs }))
    }

    /// Rewrites one level whole from the store's documents, streamed.
    /// Returns the documents written.
    fn stream(&mut self, level: Level, conn: &Conn) -> Result<u64> {
        let index = self.writer(level)?;
        let mut write = index.begin(&[], true, true)?;
        let (mut written, mut failed) = (0u64, None);
        let add = |d: codegraph_core::SearchDoc| match write.add(&d) {
            Ok(()) => {
                written += 1;
                true
            }
            Err(e) => {
                failed = Some(e);
                false
            }
        };
        match level {
            Level::Chunks => conn.each_search_doc(None, add)?,
            Level::Files => conn.each_file_search_doc(None, add)?,
        }
        if let Some(e) = failed {
            return Err(e.into());
        }
        write.commit()?;
        index.created = false;
        Ok(written)
    }
}

impl Indexer {
    /// The lexical indexes' writer sides, borrowed.
    pub(super) fn lexical(&mut self) -> LexicalSync<'_> {
        LexicalSync {
            loc: &self.loc,
            chunks: &mut self.bm25,
            files: &mut self.bm25_files,
        }
    }

    /// Brings both lexical indexes up to date with the store (see
    /// [`LexicalSync::run`]). Returns chunk documents written.
    pub(super) fn sync_search(&mut self) -> Result<u64> {
        let conn = self.store.read();
        let synced = LexicalSync {
            loc: &self.loc,
            chunks: &mut self.bm25,
            files: &mut self.bm25_files,
        }
        .run(&conn)?;
        drop(conn);
        self.finish_search(synced)
    }

    /// Clears the pending files a sync covered.
    pub(super) fn finish_search(&mut self, synced: Synced) -> Result<u64> {
        self.store.clear_search_pending(&synced.pending)?;
        Ok(synced.written)
    }

    /// Merges the search indexes' segments, purging deleted documents:
    /// their scores then equal a fresh index's. Updates do it on their own
    /// once deleted documents pass a fifth of an index.
    pub fn compact_search_index(&mut self) -> Result<()> {
        self.locked("compact", |ix| {
            let mut lexical = ix.lexical();
            lexical.writer(Level::Chunks)?.compact()?;
            Ok(lexical.writer(Level::Files)?.compact()?)
        })
    }
}
