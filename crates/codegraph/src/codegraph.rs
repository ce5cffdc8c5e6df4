//! An indexer and its current reader, for programs that index and answer
//! in turn (the CLI, tests, tools).

use crate::changes::ChangeSet;
use crate::{
    EmbedReport, IndexOptions, IndexReport, Indexer, Progress, Reader, Result, WatchOptions,
    WatchUpdate,
};
use std::path::Path;
use std::sync::atomic::AtomicBool;

/// An [`Indexer`] and the [`Reader`] that sees its last update. Read
/// methods are the reader's (through `Deref`); each update moves the reader
/// on with [`Reader::advance`].
#[derive(Debug)]
pub struct Codegraph {
    indexer: Indexer,
    reader: Reader,
}

impl std::ops::Deref for Codegraph {
    type Target = Reader;
    fn deref(&self) -> &Reader {
        &self.reader
    }
}

impl Codegraph {
    /// Opens (creating if needed) the index of the repository at `root`.
    pub fn open(root: &Path, options: IndexOptions) -> Result<Codegraph> {
        let indexer = Indexer::open(root, options)?;
        let reader = indexer.reader()?;
        Ok(Codegraph { indexer, reader })
    }

    /// Opens the index directory for `root` and empties it for a rebuild
    /// ([`Indexer::open_replacing`]).
    pub fn open_replacing(root: &Path, options: IndexOptions) -> Result<Codegraph> {
        let indexer = Indexer::open_replacing(root, options)?;
        let reader = indexer.reader()?;
        Ok(Codegraph { indexer, reader })
    }

    pub fn reader(&self) -> &Reader {
        &self.reader
    }

    pub fn indexer(&self) -> &Indexer {
        &self.indexer
    }

    fn follow(&mut self, changes: &ChangeSet) -> Result<()> {
        if !changes.is_empty() {
            self.reader.advance(changes)?;
        }
        Ok(())
    }

    /// Indexes the repository ([`Indexer::index`]); the reader follows.
    pub fn index(&mut self, progress: &dyn Progress) -> Result<IndexReport> {
        let result = self.indexer.index(progress);
        if result.is_err() {
            // A failed update may have left the indexer's caches behind;
            // start the reader afresh too.
            self.reader = self.indexer.reader()?;
        }
        let report = result?;
        self.follow(&report.changes)?;
        Ok(report)
    }

    /// Embeds new chunk contents ([`Indexer::embed_pending`]); the reader
    /// follows.
    pub fn embed_pending(&mut self, progress: &dyn Progress) -> Result<Option<EmbedReport>> {
        let report = self.indexer.embed_pending(progress)?;
        if let Some(r) = &report {
            self.follow(&r.changes)?;
        }
        Ok(report)
    }

    /// Watches the repository ([`Indexer::watch`]); the reader follows each
    /// update before `on_update` sees it.
    pub fn watch(
        &mut self,
        options: &WatchOptions,
        progress: &dyn Progress,
        stop: &AtomicBool,
        mut on_update: impl FnMut(&Reader, &WatchUpdate),
    ) -> Result<()> {
        let reader = &mut self.reader;
        self.indexer.watch(options, progress, stop, |_, update| {
            if let Err(e) = reader.advance(&update.changes) {
                tracing::warn!(error = %e, "cannot follow the update");
            }
            on_update(reader, update);
        })
    }

    /// Writes the vector index to disk if it has unsaved changes.
    pub fn flush_vectors(&mut self) -> Result<()> {
        self.indexer.flush_vectors()
    }

    /// Merges the lexical index's segments ([`Indexer::compact_search_index`]).
    pub fn compact_search_index(&mut self) -> Result<()> {
        self.indexer.compact_search_index()?;
        self.follow(&ChangeSet {
            search: true,
            ..ChangeSet::default()
        })
    }

    /// Drops what the indexer and the reader keep in memory.
    pub fn drop_caches(&mut self) -> Result<()> {
        self.indexer.drop_caches();
        self.reader = self.indexer.reader()?;
        Ok(())
    }

    /// Keeps the graph facts in memory across updates (long-lived
    /// processes).
    pub fn keep_graph_facts(&mut self) -> Result<()> {
        self.indexer.keep_graph_facts()
    }
}
