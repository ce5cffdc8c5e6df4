//! The BM25 index: one tantivy document per chunk, with the fields of the
//! chunk's definition, boosted name > qualified name > signature > path, doc
//! > body.

mod write;
pub use write::Write;

use crate::analyzer::{CodeTokenizer, query_terms};
use crate::{Result, SearchError};
use codegraph_core::{ChunkId, DocKind, SearchDoc};
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, Term};

/// Bump when the schema or the analyzer changes: the index is rebuilt.
pub const BM25_FORMAT_VERSION: u32 = 2;
const VERSION_FILE: &str = "codegraph-bm25-version";
const TOKENIZER: &str = "code";
/// A file a reader leaves in the index directory when it finds the index
/// damaged; the writer's next open rebuilds the index.
const DAMAGE_MARKER: &str = "codegraph-damaged";

/// Field boosts: name above signature above doc above body.
pub const BOOSTS: &[(&str, f32)] = &[
    ("name", 5.0),
    ("qualified_name", 3.0),
    ("signature", 2.5),
    ("path", 1.5),
    ("doc", 1.5),
    ("body", 1.0),
];

/// Extra weight of a query's whole identifier (`cgLiveEdit0`) over its
/// parts (`cg`, `live`, `edit0`).
pub const COMPOUND_BOOST: f32 = 3.0;

/// At most this many query terms reach BM25 (the rarest are kept), so a
/// 5,000-character issue text stays fast.
pub const MAX_QUERY_TERMS: usize = 48;

/// Filters applied inside the index.
#[derive(Debug, Clone, Default)]
pub struct Bm25Filter {
    pub language: Option<String>,
    pub kind: Option<DocKind>,
    /// Only documents of these files (any file when empty).
    pub paths: Vec<String>,
    /// Only documents holding every term of the query (in any field): the
    /// candidates of an exact-text search, which a text containing the
    /// query always is.
    pub all_terms: bool,
}

#[derive(Debug, Clone, Copy)]
struct Fields {
    chunk_id: Field,
    file: Field,
    language: Field,
    kind: Field,
    text: [Field; 6],
}

/// How long a writer waits for the previous holder's writer lock (held
/// while that holder's last merges finish).
const WRITER_LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(120);

/// Updates of more documents than this, or of more text than
/// [`BIG_UPDATE_BYTES`], write with every core (up to 4).
const BIG_UPDATE_DOCS: usize = 5_000;

/// See [`BIG_UPDATE_DOCS`]: a whole-file index has few documents, each
/// a whole file.
const BIG_UPDATE_BYTES: usize = 8 << 20;

/// Segments are merged with segments of a similar number of documents
/// (tantivy's log policy) from [`MERGE_MIN_LAYER_DOCS`] up. Tantivy's
/// default puts every segment under 10,000 documents in one layer: an
/// index of fewer documents (a small repository's chunks, any whole-file
/// index) then merged its whole bulk with every eighth one-file update.
fn merge_policy() -> tantivy::indexer::LogMergePolicy {
    let mut policy = tantivy::indexer::LogMergePolicy::default();
    policy.set_min_layer_size(MERGE_MIN_LAYER_DOCS);
    policy
}

/// See [`merge_policy`].
const MERGE_MIN_LAYER_DOCS: u32 = 256;

/// Whether `docs` make a big update (see [`BIG_UPDATE_DOCS`]).
fn is_big(docs: &[SearchDoc]) -> bool {
    docs.len() > BIG_UPDATE_DOCS || {
        let mut bytes = 0usize;
        docs.iter().any(|d| {
            bytes += d.body.len() + d.doc.len() + d.signature.len();
            bytes > BIG_UPDATE_BYTES
        })
    }
}

/// A BM25 index on disk.
pub struct Bm25Index {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    dir: PathBuf,
    /// The single-thread writer of small updates, kept between them: its
    /// segment merges run in its background while later commits go
    /// through (a new writer would first wait for them).
    kept: Option<IndexWriter>,
    /// The writer of the last big update, finishing its segment merges on
    /// a thread of its own (the update returns at its commit); joined
    /// before the next write and on drop.
    merging: Option<std::thread::JoinHandle<()>>,
    /// True when this open created the index (empty, or rebuilt after a
    /// version change): the caller must fill it from scratch.
    pub created: bool,
}

impl Drop for Bm25Index {
    fn drop(&mut self) {
        self.finish_merges();
    }
}

impl std::fmt::Debug for Bm25Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bm25Index").field("dir", &self.dir).finish()
    }
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let chunk_id = b.add_i64_field("chunk_id", INDEXED | FAST);
    let file = b.add_text_field("file", STRING | FAST);
    let language = b.add_text_field("language", STRING);
    let kind = b.add_text_field("kind", STRING);
    let text_options = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(TOKENIZER)
            .set_index_option(IndexRecordOption::WithFreqs),
    );
    let mut text = [Field::from_field_id(0); 6];
    for (slot, (name, _)) in text.iter_mut().zip(BOOSTS) {
        *slot = b.add_text_field(name, text_options.clone());
    }
    let fields = Fields {
        chunk_id,
        file,
        language,
        kind,
        text,
    };
    (b.build(), fields)
}

/// A reader's finding of damage: word for the writer (the marker its next
/// open rebuilds on), a log line, and the error.
fn report_damage(dir: &Path, message: String) -> SearchError {
    let _ = std::fs::write(dir.join(DAMAGE_MARKER), message.as_bytes());
    tracing::warn!(dir = %dir.display(), %message, "the lexical index is damaged");
    SearchError::Damaged {
        path: dir.to_owned(),
        message,
    }
}

fn err(dir: &Path) -> impl Fn(tantivy::TantivyError) -> SearchError + '_ {
    move |source| SearchError::Index {
        path: dir.to_owned(),
        message: source.to_string(),
    }
}

impl Bm25Index {
    /// Opens the index in `dir` for reading only: never creates, deletes or
    /// repairs anything; a missing, foreign-version or damaged index is an
    /// error (the indexer rebuilds it).
    pub fn open_read(dir: &Path) -> Result<Bm25Index> {
        // A writer's merges may replace the segments between reading the
        // commit and opening its files: a failed open retried on a newer
        // commit is a race lost, not damage.
        let committed = || {
            std::fs::metadata(dir.join("meta.json"))
                .and_then(|m| m.modified())
                .ok()
        };
        let mut attempts = 0;
        loop {
            let before = committed();
            match Bm25Index::open_read_once(dir) {
                Err(e) if !e.is_damage() && attempts < 3 && committed() != before => {
                    attempts += 1;
                }
                other => return other,
            }
        }
    }

    fn open_read_once(dir: &Path) -> Result<Bm25Index> {
        if let Ok(message) = std::fs::read_to_string(dir.join(DAMAGE_MARKER)) {
            return Err(SearchError::Damaged {
                path: dir.to_owned(),
                message,
            });
        }
        let version_ok = std::fs::read_to_string(dir.join(VERSION_FILE))
            .ok()
            .is_some_and(|v| v.trim() == BM25_FORMAT_VERSION.to_string());
        if !version_ok {
            return Err(SearchError::Index {
                path: dir.to_owned(),
                message: "missing, or of another format version".into(),
            });
        }
        let index = Index::open_in_dir(dir).map_err(err(dir))?;
        // Segment files are never written after the commit that lists
        // them: one changed later was changed by something else. Then (and
        // only then: it reads the whole index) the checksums decide.
        let listed: HashSet<String> = index
            .searchable_segment_ids()
            .map_err(err(dir))?
            .iter()
            .map(|id| id.uuid_string())
            .collect();
        if let Some(file) = changed_after_commit(dir, &listed) {
            let damaged = match index.validate_checksum() {
                Ok(damaged) if damaged.is_empty() => None,
                Ok(damaged) => Some(format!("{} fail their checksums", damaged.len())),
                Err(e) => Some(e.to_string()),
            };
            if let Some(why) = damaged {
                return Err(report_damage(
                    dir,
                    format!("{file} changed after the last commit; {why}"),
                ));
            }
        }
        match Bm25Index::build(index, dir, false) {
            Err(tantivy::TantivyError::LockFailure(..)) => {
                // A directory this process cannot write: read it as it is.
                let readonly = crate::readonly::ReadOnlyDirectory::open(dir).map_err(err(dir))?;
                let index = Index::open(readonly).map_err(err(dir))?;
                Bm25Index::with_reader(index, dir, false)
            }
            other => other.map_err(err(dir)),
        }
    }

    fn with_reader(index: Index, dir: &Path, created: bool) -> Result<Bm25Index> {
        Bm25Index::build(index, dir, created).map_err(err(dir))
    }

    fn build(index: Index, dir: &Path, created: bool) -> tantivy::Result<Bm25Index> {
        let (_, fields) = schema();
        index.tokenizers().register(TOKENIZER, CodeTokenizer);
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Bm25Index {
            index,
            reader,
            fields,
            dir: dir.to_owned(),
            kept: None,
            merging: None,
            created,
        })
    }

    /// Whether an index (of any format version) was created in `dir`.
    pub fn exists(dir: &Path) -> bool {
        dir.join(VERSION_FILE).exists()
    }

    /// Whether a reader found the index in `dir` damaged (the writer
    /// should reopen it: [`Bm25Index::open`] rebuilds it).
    pub fn damage_reported(dir: &Path) -> bool {
        dir.join(DAMAGE_MARKER).exists()
    }

    /// Opens the index in `dir` to write it, creating it — or rebuilding it
    /// empty when its format version differs, it cannot be opened, a file
    /// of it is missing, or (`check`) a file's checksum is wrong.
    pub fn open(dir: &Path) -> Result<Bm25Index> {
        Bm25Index::open_checked(dir, false)
    }

    /// [`Bm25Index::open`], verifying every file's checksum when `check`
    /// (reads the whole index: once per process is enough).
    pub fn open_checked(dir: &Path, check: bool) -> Result<Bm25Index> {
        let version_path = dir.join(VERSION_FILE);
        let version_ok = std::fs::read_to_string(&version_path)
            .ok()
            .is_some_and(|v| v.trim() == BM25_FORMAT_VERSION.to_string());
        let (schema, _) = schema();
        let damaged = dir.join(DAMAGE_MARKER).exists();
        let opened = if version_ok && !damaged {
            match Index::open_in_dir(dir) {
                Ok(index) => sound(index, dir, check),
                Err(e) => {
                    tracing::warn!(dir = %dir.display(), error = %e, "the lexical index cannot be opened; rebuilding it");
                    None
                }
            }
        } else {
            None
        };
        let (index, created) = match opened {
            Some(index) => (index, false),
            None => {
                if dir.exists() {
                    tracing::info!(dir = %dir.display(), "rebuilding the BM25 index");
                    std::fs::remove_dir_all(dir).map_err(|e| SearchError::Io {
                        path: dir.to_owned(),
                        source: e,
                    })?;
                }
                std::fs::create_dir_all(dir).map_err(|e| SearchError::Io {
                    path: dir.to_owned(),
                    source: e,
                })?;
                let index = Index::create_in_dir(dir, schema).map_err(err(dir))?;
                std::fs::write(&version_path, BM25_FORMAT_VERSION.to_string()).map_err(|e| {
                    SearchError::Io {
                        path: version_path.clone(),
                        source: e,
                    }
                })?;
                (index, true)
            }
        };
        Bm25Index::with_reader(index, dir, created)
    }

    /// Waits for the segment merges of earlier updates and lets their
    /// writers go, releasing the directory's writer lock. A merge that
    /// fails loses nothing (its segments stay as committed): it is logged.
    fn finish_merges(&mut self) {
        if let Some(kept) = self.kept.take()
            && let Err(e) = kept.wait_merging_threads()
        {
            tracing::warn!(dir = %self.dir.display(), error = %e, "a segment merge failed; the segments stay as committed");
        }
        if let Some(merging) = self.merging.take()
            && merging.join().is_err()
        {
            tracing::warn!(dir = %self.dir.display(), "a segment merge panicked; the segments stay as committed");
        }
    }

    /// A writer for an update: the kept one for a small update, a new one
    /// using every core (up to 4) for a big one.
    fn writer(&mut self, big: bool) -> Result<IndexWriter> {
        if !big && let Some(kept) = self.kept.take() {
            return Ok(kept);
        }
        // One writer at a time: the last one holds the directory's lock
        // until its merges end.
        self.finish_merges();
        let threads = if big {
            std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .min(4)
        } else {
            1
        };
        // The last holder of the index's write lock may still be finishing
        // its merges (see `release_writer`): its writer lock goes with them.
        let deadline = std::time::Instant::now() + WRITER_LOCK_WAIT;
        loop {
            match self
                .index
                .writer_with_num_threads(threads, threads * 96 * 1024 * 1024)
            {
                Err(tantivy::TantivyError::LockFailure(
                    tantivy::directory::error::LockError::LockBusy,
                    _,
                )) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                other => {
                    let writer = other.map_err(err(&self.dir))?;
                    writer.set_merge_policy(Box::new(merge_policy()));
                    return Ok(writer);
                }
            }
        }
    }

    /// Lets the kept writer go (its merges finish on a thread of their
    /// own, then its directory lock is released): call it when another
    /// handle or process may write next. The next write through this
    /// handle waits for those merges.
    pub fn release_writer(&mut self) {
        let Some(writer) = self.kept.take() else {
            return;
        };
        self.merging = self.finish_in_background(writer);
    }

    /// A thread that waits for `writer`'s merges, then drops it. Without
    /// a thread to spare, the writer is dropped now: its merges are
    /// abandoned, the committed segments stay.
    fn finish_in_background(&self, writer: IndexWriter) -> Option<std::thread::JoinHandle<()>> {
        let dir = self.dir.clone();
        let finish = move || {
            if let Err(e) = writer.wait_merging_threads() {
                tracing::warn!(dir = %dir.display(), error = %e, "a segment merge failed; the segments stay as committed");
            }
        };
        std::thread::Builder::new()
            .name("bm25-merge".into())
            .spawn(finish)
            .inspect_err(|e| tracing::warn!(error = %e, "no thread for the segment merges; they are abandoned"))
            .ok()
    }

    /// Replaces the documents of `files` with `docs` (which must belong to
    /// those files) in one commit. With `all`, everything is replaced.
    pub fn update(&mut self, files: &[String], docs: &[SearchDoc], all: bool) -> Result<()> {
        let mut write = self.begin(files, all, is_big(docs))?;
        for d in docs {
            write.add(d)?;
        }
        write.commit()
    }

    /// An update whose documents are added one by one (so a caller can
    /// stream them instead of holding them all), committed by
    /// [`Write::commit`]: the documents of `files` (with `all`,
    /// everything) are replaced by those added. `big`: a large update,
    /// written with every core (up to 4); else with the kept writer.
    /// Dropped without a commit, nothing changes.
    pub fn begin(&mut self, files: &[String], all: bool, big: bool) -> Result<Write<'_>> {
        let started = std::time::Instant::now();
        let writer = self.writer(big)?;
        let waited = started.elapsed();
        if all {
            writer.delete_all_documents().map_err(err(&self.dir))?;
        } else {
            for f in files {
                writer.delete_term(Term::from_field_text(self.fields.file, f));
            }
        }
        Ok(Write {
            index: self,
            writer,
            big,
            docs: 0,
            started,
            waited,
        })
    }

    /// Share of stored documents that are deleted but still counted by
    /// BM25's statistics until their segment is merged.
    pub fn deleted_ratio(&self) -> f64 {
        let searcher = self.reader.searcher();
        let (mut alive, mut deleted) = (0u64, 0u64);
        for s in searcher.segment_readers() {
            alive += u64::from(s.num_docs());
            deleted += u64::from(s.num_deleted_docs());
        }
        if alive + deleted == 0 {
            0.0
        } else {
            deleted as f64 / (alive + deleted) as f64
        }
    }

    /// Merges every segment into one, purging deleted documents, so scores
    /// equal those of a fresh index of the same documents.
    pub fn compact(&mut self) -> Result<()> {
        // Merges under way would hold some of the segments.
        self.finish_merges();
        self.reader.reload().map_err(err(&self.dir))?;
        let ids = self
            .index
            .searchable_segment_ids()
            .map_err(err(&self.dir))?;
        if ids.len() <= 1 && self.deleted_ratio() == 0.0 {
            return Ok(());
        }
        let mut writer = self.writer(false)?;
        writer.merge(&ids).wait().map_err(err(&self.dir))?;
        writer.wait_merging_threads().map_err(err(&self.dir))?;
        self.reader.reload().map_err(err(&self.dir))?;
        Ok(())
    }

    /// Number of documents.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The query's terms, at most [`MAX_QUERY_TERMS`], rarest first when
    /// there are more.
    pub fn terms(&self, query: &str) -> Vec<String> {
        let mut terms = query_terms(query);
        if terms.len() > MAX_QUERY_TERMS {
            let searcher = self.reader.searcher();
            let body = self.fields.text[5];
            let mut with_df: Vec<(u64, String)> = terms
                .into_iter()
                .map(|t| {
                    let df = searcher
                        .doc_freq(&Term::from_field_text(body, &t))
                        .unwrap_or(0);
                    (if df == 0 { u64::MAX } else { df }, t)
                })
                .collect();
            with_df.sort();
            terms = with_df
                .into_iter()
                .take(MAX_QUERY_TERMS)
                .map(|(_, t)| t)
                .collect();
        }
        terms
    }

    /// The best `k` chunks for `query`: `(chunk id, score)`, best first.
    ///
    /// Readers do not verify checksums (that reads the whole index), and
    /// tantivy panics on some damage: a panic here is caught, reported as
    /// [`SearchError::Damaged`] and leaves word for the writer, whose next
    /// open rebuilds the index.
    pub fn search(
        &self,
        query: &str,
        k: usize,
        filter: &Bm25Filter,
    ) -> Result<Vec<(ChunkId, f32)>> {
        Ok(self
            .search_paths(query, k, filter, false)?
            .into_iter()
            .map(|(id, score, _)| (id, score))
            .collect())
    }

    /// [`Bm25Index::search`] with each hit's file path (empty unless
    /// `with_paths`).
    pub fn search_paths(
        &self,
        query: &str,
        k: usize,
        filter: &Bm25Filter,
        with_paths: bool,
    ) -> Result<Vec<(ChunkId, f32, String)>> {
        let run =
            std::panic::AssertUnwindSafe(|| self.search_unguarded(query, k, filter, with_paths));
        match std::panic::catch_unwind(run) {
            Ok(result) => result,
            Err(panic) => {
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a panic while reading it".into());
                Err(report_damage(&self.dir, message))
            }
        }
    }

    fn search_unguarded(
        &self,
        query: &str,
        k: usize,
        filter: &Bm25Filter,
        with_paths: bool,
    ) -> Result<Vec<(ChunkId, f32, String)>> {
        let terms = self.terms(query);
        if terms.is_empty() || k == 0 {
            return Ok(Vec::new());
        }
        let compound = crate::analyzer::compound_terms(query);
        let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for t in &terms {
            let whole = if compound.contains(t) {
                COMPOUND_BOOST
            } else {
                1.0
            };
            let in_fields = self
                .fields
                .text
                .iter()
                .zip(BOOSTS)
                .map(|(field, (_, boost))| {
                    let q = TermQuery::new(
                        Term::from_field_text(*field, t),
                        IndexRecordOption::WithFreqs,
                    );
                    let q: Box<dyn Query> = Box::new(BoostQuery::new(Box::new(q), *boost * whole));
                    (Occur::Should, q)
                });
            if filter.all_terms {
                // The term in some field: required.
                should.push((
                    Occur::Must,
                    Box::new(BooleanQuery::new(in_fields.collect())),
                ));
            } else {
                should.extend(in_fields);
            }
        }
        let text_query: Box<dyn Query> = Box::new(BooleanQuery::new(should));
        let mut must: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, text_query)];
        if let Some(lang) = &filter.language {
            must.push((
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_text(self.fields.language, lang),
                    IndexRecordOption::Basic,
                )),
            ));
        }
        if let Some(kind) = &filter.kind {
            must.push((
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_text(self.fields.kind, kind.as_str()),
                    IndexRecordOption::Basic,
                )),
            ));
        }
        if !filter.paths.is_empty() {
            let files: Vec<(Occur, Box<dyn Query>)> = filter
                .paths
                .iter()
                .map(|p| -> (Occur, Box<dyn Query>) {
                    (
                        Occur::Should,
                        Box::new(TermQuery::new(
                            Term::from_field_text(self.fields.file, p),
                            IndexRecordOption::Basic,
                        )),
                    )
                })
                .collect();
            must.push((Occur::Must, Box::new(BooleanQuery::new(files))));
        }
        let query = BooleanQuery::new(must);
        let searcher = self.reader.searcher();
        let top = searcher
            .search(&query, &TopDocs::with_limit(k).order_by_score())
            .map_err(err(&self.dir))?;
        // Each segment's columns opened once; the hits' chunk ids read, and
        // their files' term ordinals.
        let mut columns: HashMap<u32, SegmentColumns> = HashMap::new();
        let mut hits = Vec::with_capacity(top.len());
        let mut seen = HashSet::new();
        for (score, addr) in top {
            let cols = match columns.entry(addr.segment_ord) {
                Entry::Occupied(e) => e.into_mut(),
                Entry::Vacant(e) => {
                    let fast = searcher.segment_reader(addr.segment_ord).fast_fields();
                    e.insert(SegmentColumns {
                        ids: fast.i64("chunk_id").map_err(err(&self.dir))?,
                        files: if with_paths {
                            fast.str("file").map_err(err(&self.dir))?
                        } else {
                            None
                        },
                        ords: Vec::new(),
                    })
                }
            };
            let Some(id) = cols.ids.first(addr.doc_id) else {
                continue;
            };
            if !seen.insert(id) {
                continue;
            }
            let ord = cols
                .files
                .as_ref()
                .and_then(|f| f.term_ords(addr.doc_id).next());
            if let Some(ord) = ord {
                cols.ords.push(ord);
            }
            hits.push((ChunkId(id), score, addr.segment_ord, ord));
        }
        // Paths decoded in one ordered pass per segment: each dictionary
        // block (compressed) is read once, not once per hit.
        let mut paths: HashMap<(u32, u64), String> = HashMap::new();
        for (segment, cols) in &mut columns {
            let Some(files) = &cols.files else { continue };
            cols.ords.sort_unstable();
            cols.ords.dedup();
            let mut ords = cols.ords.iter();
            files
                .dictionary()
                .sorted_ords_to_term_cb(&cols.ords, |bytes| {
                    if let Some(&ord) = ords.next() {
                        paths.insert((*segment, ord), String::from_utf8_lossy(bytes).into_owned());
                    }
                })
                .map_err(|e| SearchError::Index {
                    path: self.dir.clone(),
                    message: e.to_string(),
                })?;
        }
        Ok(hits
            .into_iter()
            .map(|(id, score, segment, ord)| {
                let path = ord
                    .and_then(|o| paths.get(&(segment, o)).cloned())
                    .unwrap_or_default();
                (id, score, path)
            })
            .collect())
    }
}

/// A segment's columns read by a search (chunk ids, file paths) and the
/// term ordinals of the hits' files.
struct SegmentColumns {
    ids: tantivy::columnar::Column<i64>,
    files: Option<tantivy::columnar::StrColumn>,
    ords: Vec<u64>,
}

/// The first file of a committed segment (`<segment id>.<ext>`, the id in
/// `listed`) of `dir` modified after the commit file (`meta.json`) was
/// last written, if any. Files of other segments (a merge under way) are
/// read by nobody.
fn changed_after_commit(dir: &Path, listed: &HashSet<String>) -> Option<String> {
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let committed = modified(&dir.join("meta.json"))?;
    std::fs::read_dir(dir).ok()?.flatten().find_map(|entry| {
        let name = entry.file_name().to_string_lossy().into_owned();
        let (stem, _) = name.split_once('.')?;
        (listed.contains(stem) && modified(&entry.path())? > committed).then_some(name)
    })
}

/// `index` when every file of its segments is there (and, with `check`,
/// has the checksum it was written with); `None` (logged) otherwise.
fn sound(index: Index, dir: &Path, check: bool) -> Option<Index> {
    index.tokenizers().register(TOKENIZER, CodeTokenizer);
    let readable = index
        .reader_builder()
        .reload_policy(ReloadPolicy::Manual)
        .try_into()
        .map(|r: IndexReader| r.searcher().num_docs());
    if let Err(e) = readable {
        tracing::warn!(dir = %dir.display(), error = %e, "the lexical index is damaged; rebuilding it");
        return None;
    }
    if check {
        match index.validate_checksum() {
            Ok(damaged) if damaged.is_empty() => {}
            Ok(damaged) => {
                tracing::warn!(dir = %dir.display(), files = ?damaged, "the lexical index is damaged; rebuilding it");
                return None;
            }
            Err(e) => {
                tracing::warn!(dir = %dir.display(), error = %e, "the lexical index is damaged; rebuilding it");
                return None;
            }
        }
    }
    Some(index)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(id: i64, path: &str, name: &str, body: &str) -> SearchDoc {
        SearchDoc {
            chunk_id: ChunkId(id),
            path: path.into(),
            language: "python".into(),
            kind: DocKind::Def(codegraph_core::DefKind::Function),
            name: name.into(),
            qualified_name: format!("m.{name}"),
            signature: format!("def {name}():"),
            doc: String::new(),
            body: body.into(),
        }
    }

    #[test]
    fn names_outrank_bodies_and_updates_replace_files() {
        let dir = tempfile::tempdir().unwrap();
        let mut idx = Bm25Index::open(dir.path()).unwrap();
        assert!(idx.created);
        idx.update(
            &[],
            &[
                doc(1, "a.py", "parseDate", "return datetime.strptime(text)"),
                doc(
                    2,
                    "b.py",
                    "render",
                    "value = parse_date(text) # parse the date",
                ),
                doc(3, "c.py", "connect", "socket.connect(address)"),
            ],
            true,
        )
        .unwrap();
        let hits = idx
            .search("parse date", 10, &Bm25Filter::default())
            .unwrap();
        assert_eq!(hits.iter().map(|h| h.0.0).collect::<Vec<_>>(), [1, 2]);
        // Whole identifiers match too.
        assert_eq!(
            idx.search("parseDate", 10, &Bm25Filter::default()).unwrap()[0].0,
            ChunkId(1)
        );
        // Replacing a file's documents.
        idx.update(
            &["a.py".into()],
            &[doc(4, "a.py", "connectLater", "later")],
            false,
        )
        .unwrap();
        let hits = idx.search("connect", 10, &Bm25Filter::default()).unwrap();
        assert_eq!(
            hits.iter().map(|h| h.0.0).collect::<Vec<_>>(),
            [3, 4],
            "an exact name beats a sub-word"
        );
        assert!(
            idx.search("parseDate", 10, &Bm25Filter::default())
                .unwrap()
                .iter()
                .all(|h| h.0 != ChunkId(1))
        );
        // Reopening keeps the documents; a version change rebuilds.
        drop(idx);
        let idx = Bm25Index::open(dir.path()).unwrap();
        assert!(!idx.created);
        assert_eq!(idx.len(), 3);
        std::fs::write(dir.path().join(VERSION_FILE), "0").unwrap();
        let idx = Bm25Index::open(dir.path()).unwrap();
        assert!(idx.created);
        assert_eq!(idx.len(), 0);
    }

    #[test]
    fn long_queries_are_bounded_and_filters_apply() {
        let dir = tempfile::tempdir().unwrap();
        let mut idx = Bm25Index::open(dir.path()).unwrap();
        let mut java = doc(7, "A.java", "save", "repository save user");
        java.language = "java".into();
        idx.update(&[], &[doc(1, "a.py", "save", "save user"), java], true)
            .unwrap();
        let long: String = (0..2000).map(|i| format!("word{i} ")).collect::<String>() + " save";
        assert_eq!(idx.terms(&long).len(), MAX_QUERY_TERMS);
        assert!(
            idx.terms(&long).contains(&"save".to_owned()),
            "rare-in-query but present terms are kept"
        );
        let filter = Bm25Filter {
            language: Some("java".into()),
            ..Bm25Filter::default()
        };
        assert_eq!(
            idx.search("save", 10, &filter)
                .unwrap()
                .iter()
                .map(|h| h.0.0)
                .collect::<Vec<_>>(),
            [7]
        );
    }

    /// Exact-text candidates: with `all_terms`, only documents holding
    /// every term, however many documents score higher on some of them.
    #[test]
    fn all_terms_keeps_only_documents_with_every_term() {
        let dir = tempfile::tempdir().unwrap();
        let mut idx = Bm25Index::open(dir.path()).unwrap();
        let mut docs: Vec<_> = (1..=30)
            .map(|i| {
                doc(
                    i,
                    &format!("f{i}.go"),
                    "serve",
                    "server server closed closed",
                )
            })
            .collect();
        docs.push(doc(
            99,
            "http.go",
            "errClosed",
            "var e = errors.New(\"http: Server closed\")",
        ));
        idx.update(&[], &docs, true).unwrap();
        let any = idx
            .search("http: Server closed", 5, &Bm25Filter::default())
            .unwrap();
        assert_eq!(any.len(), 5, "without it, every document with a term");
        let all = Bm25Filter {
            all_terms: true,
            ..Bm25Filter::default()
        };
        let hits = idx.search("http: Server closed", 5, &all).unwrap();
        assert_eq!(hits.iter().map(|h| h.0.0).collect::<Vec<_>>(), [99]);
    }

    /// Regression: a deleted segment file made every query and every
    /// `index` fail with FileDoesNotExist; a garbled one went unnoticed. The
    /// writer's open rebuilds the index; a reader's open refuses it.
    #[test]
    fn a_damaged_index_is_rebuilt_by_the_writer_and_refused_by_readers() {
        for damage in ["delete", "garble"] {
            let dir = tempfile::tempdir().unwrap();
            let mut idx = Bm25Index::open(dir.path()).unwrap();
            idx.update(&[], &[doc(1, "a.py", "parseDate", "return x")], true)
                .unwrap();
            drop(idx);
            assert!(Bm25Index::open_read(dir.path()).is_ok());
            let segment_file = std::fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().path())
                .find(|p| p.extension().is_some_and(|e| e == "idx" || e == "term"))
                .expect("a segment file");
            match damage {
                "delete" => std::fs::remove_file(&segment_file).unwrap(),
                _ => {
                    let mut bytes = std::fs::read(&segment_file).unwrap();
                    let mid = bytes.len() / 2;
                    bytes[mid] ^= 0xFF;
                    std::fs::write(&segment_file, bytes).unwrap();
                }
            }
            if damage == "delete" {
                assert!(Bm25Index::open_read(dir.path()).is_err(), "{damage}");
            }
            let rebuilt = Bm25Index::open_checked(dir.path(), true).unwrap();
            assert!(rebuilt.created, "{damage}: not rebuilt");
            assert_eq!(rebuilt.len(), 0);
        }
        let missing = tempfile::tempdir().unwrap();
        assert!(Bm25Index::open_read(&missing.path().join("none")).is_err());
    }

    /// One-file updates never merge an index's bulk: only segments of a
    /// similar size merge (tantivy's default put all segments under 10,000
    /// documents in one layer, so every eighth update rewrote the bulk).
    #[test]
    fn small_updates_leave_the_bulk_segment_alone() {
        let dir = tempfile::tempdir().unwrap();
        let mut idx = Bm25Index::open(dir.path()).unwrap();
        let bulk: Vec<SearchDoc> = (0..1000)
            .map(|i| {
                doc(
                    i,
                    &format!("b{i}.py"),
                    "parseDate",
                    "return datetime.strptime(text)",
                )
            })
            .collect();
        idx.update(&[], &bulk, true).unwrap();
        for i in 0..24 {
            let path = format!("f{i}.py");
            let d = doc(2000 + i, &path, "formatDate", "return value.strftime(fmt)");
            idx.update(std::slice::from_ref(&path), &[d], false)
                .unwrap();
        }
        idx.release_writer();
        idx.finish_merges();
        let metas = idx.index.searchable_segment_metas().unwrap();
        assert!(
            metas.iter().any(|m| m.max_doc() == 1000),
            "the bulk was merged: {:?}",
            metas.iter().map(|m| m.max_doc()).collect::<Vec<_>>()
        );
        // The small ones did merge among themselves.
        assert!(metas.len() < 24, "{} segments", metas.len());
        assert_eq!(idx.len(), 1024);
    }

    /// A reader opening the index while the writer's merges run (they
    /// finish after `update` returns) sees new segment files no commit
    /// lists yet: not damage. A committed segment's file changed after its
    /// commit still is.
    #[test]
    fn merges_under_way_are_not_damage() {
        let dir = tempfile::tempdir().unwrap();
        let mut idx = Bm25Index::open(dir.path()).unwrap();
        for i in 0..12 {
            let path = format!("f{i}.py");
            let d = doc(i, &path, "parseDate", "return datetime.strptime(text)");
            idx.update(std::slice::from_ref(&path), &[d], false)
                .unwrap();
            // Searchable at once, merges or not.
            assert_eq!(
                idx.search("parseDate", 50, &Bm25Filter::default())
                    .unwrap()
                    .len(),
                i as usize + 1
            );
            // Replacing a file while earlier merges may run, and
            // compacting with the kept writer's merges under way.
            if i % 4 == 3 {
                let d = doc(i, &path, "parseDate", "return datetime.strptime(text, fmt)");
                idx.update(std::slice::from_ref(&path), &[d], false)
                    .unwrap();
                idx.compact().unwrap();
                assert_eq!(idx.deleted_ratio(), 0.0);
                assert_eq!(idx.len(), i as u64 + 1);
            }
        }
        // Once this handle lets its kept writer go (merges may still run),
        // another handle writes: it waits for the writer lock.
        let d = doc(12, "f12.py", "parseDate", "return datetime.strptime(text)");
        idx.update(&["f12.py".to_owned()], std::slice::from_ref(&d), false)
            .unwrap();
        idx.release_writer();
        let mut other = Bm25Index::open(dir.path()).unwrap();
        other.update(&["f12.py".to_owned()], &[d], false).unwrap();
        drop(other);
        drop(idx); // joins the last merges
        std::thread::sleep(std::time::Duration::from_millis(20));
        let unlisted = dir.path().join(format!("{}.idx", "ab".repeat(16)));
        std::fs::write(&unlisted, b"a segment being merged").unwrap();
        let reader = Bm25Index::open_read(dir.path()).expect("an unlisted segment is no damage");
        assert_eq!(
            reader
                .search("parseDate", 50, &Bm25Filter::default())
                .unwrap()
                .len(),
            13
        );
        drop(reader);
        std::fs::remove_file(&unlisted).unwrap();
        let listed = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == "term"))
            .expect("a committed segment's file");
        let mut bytes = std::fs::read(&listed).unwrap();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0xFF;
        std::fs::write(&listed, bytes).unwrap();
        let e = Bm25Index::open_read(dir.path()).expect_err("a changed committed file");
        assert!(e.is_damage(), "{e}");
    }
}
