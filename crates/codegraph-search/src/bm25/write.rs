//! An update of a BM25 index whose documents are added one by one.

use super::{Bm25Index, err};
use crate::Result;
use codegraph_core::SearchDoc;
use tantivy::{IndexWriter, TantivyDocument};

/// An update under way ([`Bm25Index::begin`]).
pub struct Write<'a> {
    pub(super) index: &'a mut Bm25Index,
    pub(super) writer: IndexWriter,
    pub(super) big: bool,
    pub(super) docs: usize,
    pub(super) started: std::time::Instant,
    pub(super) waited: std::time::Duration,
}

impl std::fmt::Debug for Write<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Write")
            .field("dir", &self.index.dir)
            .field("big", &self.big)
            .field("docs", &self.docs)
            .finish_non_exhaustive()
    }
}

impl Write<'_> {
    /// Adds one document.
    pub fn add(&mut self, d: &SearchDoc) -> Result<()> {
        let fl = self.index.fields;
        let mut doc = TantivyDocument::default();
        doc.add_i64(fl.chunk_id, d.chunk_id.0);
        doc.add_text(fl.file, &d.path);
        doc.add_text(fl.language, &d.language);
        doc.add_text(fl.kind, d.kind.as_str());
        let values = [
            &d.name,
            &d.qualified_name,
            &d.signature,
            &d.path,
            &d.doc,
            &d.body,
        ];
        for (field, value) in fl.text.iter().zip(values) {
            if !value.is_empty() {
                doc.add_text(*field, value);
            }
        }
        self.writer
            .add_document(doc)
            .map_err(err(&self.index.dir))?;
        self.docs += 1;
        Ok(())
    }

    /// Commits what was added; readers of the index see it after their
    /// next reload.
    pub fn commit(self) -> Result<()> {
        let Write {
            index,
            mut writer,
            big,
            docs,
            started,
            waited,
        } = self;
        let added = started.elapsed();
        writer.commit().map_err(err(&index.dir))?;
        index.reader.reload().map_err(err(&index.dir))?;
        tracing::debug!(
            dir = %index.dir.display(),
            docs,
            wait_ms = waited.as_millis() as u64,
            added_ms = added.as_millis() as u64,
            committed_ms = started.elapsed().as_millis() as u64,
            "lexical update"
        );
        // The commit is what readers need; merges (tens to hundreds of
        // milliseconds on a big index) finish behind the caller's back: in
        // the kept writer after a small update, on a thread of their own
        // after a big one.
        if big {
            index.merging = index.finish_in_background(writer);
        } else {
            index.kept = Some(writer);
        }
        Ok(())
    }
}
