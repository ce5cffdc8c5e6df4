//! The persistent index: one SQLite file in WAL mode.
//!
//! Every write goes through a [`Writer`] (one transaction); a crash at any
//! moment leaves the last committed state, which opens and answers. The schema
//! carries [`FORMAT_VERSION`]; a file written by another version, or one that
//! is not a database at all, is rebuilt empty rather than failing — the index
//! is derived data.
//!
//! This crate knows SQL and the facts of `codegraph-core`; it knows nothing of
//! parsing, walking or the CLI.

mod context;
mod graph;
mod schema;

use codegraph_core::{FileFacts, content_hash, pack_token_ids, stable_id, unpack_token_ids};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

pub use context::{ContextChunk, ContextFile};
pub use graph::*;
pub use schema::FORMAT_VERSION;

/// Store errors.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("index database {path}: {source}")]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// What the store remembers of a file to decide whether it changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileState {
    pub id: i64,
    pub size: u64,
    pub mtime_ns: i64,
    pub hash: [u8; 32],
}

/// A parsed file ready to be written.
#[derive(Debug)]
pub struct FileRecord<'a> {
    pub path: &'a str,
    pub size: u64,
    pub mtime_ns: i64,
    pub hash: [u8; 32],
    pub facts: &'a FileFacts,
    /// For each chunk, its sorted, de-duplicated sub-tokens.
    pub chunk_tokens: &'a [Vec<String>],
}

/// A definition as stored.
#[derive(Debug, Clone, Serialize)]
pub struct DefinitionRow {
    pub id: i64,
    pub path: String,
    pub name: String,
    pub qualified_name: String,
    pub kind: String,
    pub signature: String,
    pub doc: Option<String>,
    pub start_line: u32,
    pub end_line: u32,
    pub parent: Option<String>,
}

/// A chunk as stored, with its token ids.
#[derive(Debug, Clone, Serialize)]
pub struct ChunkRow {
    pub id: i64,
    pub path: String,
    pub kind: String,
    pub symbol: Option<String>,
    pub start_line: u32,
    pub end_line: u32,
    pub text: String,
    pub token_ids: Vec<u32>,
}

/// What replacing or deleting a file changed, for incremental graph
/// updates: its id and the definitions it had before.
#[derive(Debug, Clone, Default)]
pub struct FileChange {
    pub file_id: i64,
    pub old_definitions: Vec<(i64, String)>,
    pub deleted: bool,
}

/// Counts over the whole index.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Stats {
    pub files: u64,
    pub files_by_language: BTreeMap<String, u64>,
    pub definitions: BTreeMap<String, u64>,
    pub chunks: u64,
    pub imports: u64,
    pub calls: u64,
    pub inheritance: u64,
    pub tokens: u64,
    pub skipped: BTreeMap<String, u64>,
    pub files_with_diagnostics: u64,
    pub diagnostics: u64,
}

/// One skipped path and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    pub path: String,
    pub reason: String,
    pub detail: String,
}

/// The index database.
#[derive(Debug)]
pub struct Store {
    /// One connection, shared by reader threads (a reentrant lock: a read
    /// may call another on the same thread, and a snapshot holds it).
    conn: parking_lot::ReentrantMutex<Connection>,
    path: PathBuf,
    vocab: Option<HashMap<String, u32>>,
    /// Set when an existing file had to be rebuilt, with the reason.
    rebuilt: Option<String>,
}

impl Store {
    /// Opens or creates the database at `path`. A database of another format
    /// version, or a damaged file, is replaced by an empty one.
    pub fn open(path: &Path) -> Result<Store> {
        match Self::try_open(path) {
            Ok(store) => Ok(store),
            Err(StoreError::Sqlite { source, .. }) if is_damaged(&source) => {
                tracing::warn!(path = %path.display(), error = %source, "index is damaged; rebuilding");
                remove_db_files(path);
                let mut store = Self::try_open(path)?;
                store.rebuilt = Some(format!("damaged: {source}"));
                Ok(store)
            }
            Err(e) => Err(e),
        }
    }

    fn try_open(path: &Path) -> Result<Store> {
        let err = |source| StoreError::Sqlite {
            path: path.to_owned(),
            source,
        };
        let conn = Connection::open(path).map_err(err)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(err)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             PRAGMA temp_store = MEMORY;
             PRAGMA cache_size = -65536;
             PRAGMA foreign_keys = OFF;",
        )
        .map_err(err)?;
        let mut store = Store {
            conn: parking_lot::ReentrantMutex::new(conn),
            path: path.to_owned(),
            vocab: None,
            rebuilt: None,
        };
        store.rebuilt = schema::ensure(store.conn.get_mut()).map_err(err)?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Why the database was rebuilt on open, if it was.
    pub fn rebuilt(&self) -> Option<&str> {
        self.rebuilt.as_deref()
    }

    fn err(&self) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        move |source| StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// Size, mtime and hash of every indexed file, by path.
    pub fn file_states(&self) -> Result<HashMap<String, FileState>> {
        let conn = self.conn.lock();
        let mut stmt = conn
            .prepare("SELECT path, id, size, mtime_ns, hash FROM files")
            .map_err(self.err())?;
        let rows = stmt
            .query_map([], |r| {
                let hash: Vec<u8> = r.get(4)?;
                let mut h = [0u8; 32];
                if hash.len() == 32 {
                    h.copy_from_slice(&hash);
                }
                Ok((
                    r.get::<_, String>(0)?,
                    FileState {
                        id: r.get(1)?,
                        size: r.get::<_, i64>(2)? as u64,
                        mtime_ns: r.get(3)?,
                        hash: h,
                    },
                ))
            })
            .map_err(self.err())?;
        rows.collect::<rusqlite::Result<_>>().map_err(self.err())
    }

    /// Starts a write transaction.
    /// Opens one transaction around everything written until
    /// [`Store::commit_update`] (writers and graph replacements nest in it
    /// as savepoints), so readers see an update whole or not at all. A
    /// crash or [`Store::rollback_update`] loses the whole update.
    pub fn begin_update(&mut self) -> Result<()> {
        self.conn
            .get_mut()
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(self.err())
    }

    pub fn commit_update(&mut self) -> Result<()> {
        let path = self.path.clone();
        self.conn
            .get_mut()
            .execute_batch("COMMIT")
            .map_err(|source| StoreError::Sqlite { path, source })
    }

    pub fn rollback_update(&mut self) -> Result<()> {
        if self.conn.get_mut().is_autocommit() {
            return Ok(());
        }
        // The vocabulary cache may hold ids the rollback takes back.
        self.vocab = None;
        let path = self.path.clone();
        self.conn
            .get_mut()
            .execute_batch("ROLLBACK")
            .map_err(|source| StoreError::Sqlite { path, source })
    }

    /// Holds one read snapshot until dropped: every read through this
    /// store meanwhile sees the same committed state, whatever other
    /// processes commit (a no-op inside this store's own transaction).
    pub fn snapshot(&self) -> Result<Snapshot<'_>> {
        let conn = self.conn.lock();
        if !conn.is_autocommit() {
            return Ok(Snapshot { conn: None });
        }
        // A deferred transaction takes its snapshot at the first read.
        conn.execute_batch("BEGIN DEFERRED; SELECT 1 FROM meta LIMIT 1;")
            .map_err(self.err())?;
        Ok(Snapshot { conn: Some(conn) })
    }

    pub fn writer(&mut self) -> Result<Writer<'_>> {
        if self.vocab.is_none() {
            let path = self.path.clone();
            let err = |source| StoreError::Sqlite {
                path: path.clone(),
                source,
            };
            let mut stmt = self
                .conn
                .get_mut()
                .prepare("SELECT text, id FROM tokens")
                .map_err(err)?;
            let vocab = stmt
                .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?)))
                .map_err(err)?
                .collect::<rusqlite::Result<HashMap<_, _>>>()
                .map_err(err)?;
            drop(stmt);
            self.vocab = Some(vocab);
        }
        let path = self.path.clone();
        let tx = Tx::begin(self.conn.get_mut()).map_err(|source| StoreError::Sqlite {
            path: path.clone(),
            source,
        })?;
        Ok(Writer {
            tx: Some(tx),
            vocab: self.vocab.as_mut().expect("loaded above"),
            added: Vec::new(),
            path,
            now: now_secs(),
        })
    }

    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        let conn = self.conn.lock();
        conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(self.err())
    }

    /// Counts over the whole index.
    pub fn stats(&self) -> Result<Stats> {
        let conn = self.conn.lock();
        let e = self.err();
        let count = |sql: &str| -> Result<u64> {
            conn.query_row(sql, [], |r| r.get::<_, i64>(0))
                .map(|n| n as u64)
                .map_err(self.err())
        };
        let grouped = |sql: &str| -> Result<BTreeMap<String, u64>> {
            let mut stmt = conn.prepare(sql).map_err(self.err())?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
                })
                .map_err(self.err())?;
            rows.collect::<rusqlite::Result<_>>().map_err(self.err())
        };
        let stats = Stats {
            files: count("SELECT COUNT(*) FROM files")?,
            files_by_language: grouped("SELECT language, COUNT(*) FROM files GROUP BY language")?,
            definitions: grouped("SELECT kind, COUNT(*) FROM definitions GROUP BY kind")?,
            chunks: count("SELECT COUNT(*) FROM chunks")?,
            imports: count("SELECT COUNT(*) FROM imports")?,
            calls: count("SELECT COUNT(*) FROM calls")?,
            inheritance: count("SELECT COUNT(*) FROM inheritance")?,
            tokens: count("SELECT COUNT(*) FROM tokens")?,
            skipped: grouped("SELECT reason, COUNT(*) FROM skipped GROUP BY reason")?,
            files_with_diagnostics: count("SELECT COUNT(DISTINCT file_id) FROM diagnostics")?,
            diagnostics: count("SELECT COUNT(*) FROM diagnostics")?,
        };
        drop(e);
        Ok(stats)
    }

    /// The definitions of one file, in source order.
    pub fn definitions_in_file(&self, path: &str) -> Result<Vec<DefinitionRow>> {
        self.definitions_where("f.path = ?1", path)
    }

    /// Definitions whose name or qualified name is `name`.
    pub fn definitions_named(&self, name: &str) -> Result<Vec<DefinitionRow>> {
        self.definitions_where("(d.name = ?1 OR d.qualified_name = ?1)", name)
    }

    fn definitions_where_id(&self, condition: &str, id: i64) -> Result<Vec<DefinitionRow>> {
        self.definitions_where_sql(condition, &id)
    }

    fn definitions_where(&self, condition: &str, arg: &str) -> Result<Vec<DefinitionRow>> {
        self.definitions_where_sql(condition, &arg)
    }

    fn definitions_where_sql(
        &self,
        condition: &str,
        arg: &dyn rusqlite::ToSql,
    ) -> Result<Vec<DefinitionRow>> {
        let conn = self.conn.lock();
        let sql = format!(
            "SELECT d.id, f.path, d.name, d.qualified_name, d.kind, d.signature, d.doc,
                    d.start_line, d.end_line, p.qualified_name
             FROM definitions d JOIN files f ON f.id = d.file_id
             LEFT JOIN definitions p ON p.id = d.parent_id
             WHERE {condition} ORDER BY f.path, d.start_byte, d.end_byte DESC"
        );
        let mut stmt = conn.prepare_cached(&sql).map_err(self.err())?;
        let rows = stmt
            .query_map([arg], |r| {
                Ok(DefinitionRow {
                    id: r.get(0)?,
                    path: r.get(1)?,
                    name: r.get(2)?,
                    qualified_name: r.get(3)?,
                    kind: r.get(4)?,
                    signature: r.get(5)?,
                    doc: r.get(6)?,
                    start_line: r.get(7)?,
                    end_line: r.get(8)?,
                    parent: r.get(9)?,
                })
            })
            .map_err(self.err())?;
        rows.collect::<rusqlite::Result<_>>().map_err(self.err())
    }

    /// The chunks of one file, in source order.
    pub fn chunks_in_file(&self, path: &str) -> Result<Vec<ChunkRow>> {
        let conn = self.conn.lock();
        let mut stmt = conn
            .prepare_cached(
                "SELECT c.id, f.path, c.kind, d.qualified_name, c.start_line, c.end_line, c.text, c.tokens
                 FROM chunks c JOIN files f ON f.id = c.file_id
                 LEFT JOIN definitions d ON d.id = c.def_id
                 WHERE f.path = ?1 ORDER BY c.start_line, c.part",
            )
            .map_err(self.err())?;
        let rows = stmt
            .query_map([path], |r| {
                Ok(ChunkRow {
                    id: r.get(0)?,
                    path: r.get(1)?,
                    kind: r.get(2)?,
                    symbol: r.get(3)?,
                    start_line: r.get(4)?,
                    end_line: r.get(5)?,
                    text: r.get(6)?,
                    token_ids: unpack_token_ids(&r.get::<_, Vec<u8>>(7)?),
                })
            })
            .map_err(self.err())?;
        rows.collect::<rusqlite::Result<_>>().map_err(self.err())
    }

    /// A file's leading doc comment, module docstring or README paragraph.
    pub fn file_doc(&self, path: &str) -> Result<Option<String>> {
        let conn = self.conn.lock();
        conn.query_row("SELECT doc FROM files WHERE path = ?1", [path], |r| {
            r.get(0)
        })
        .optional()
        .map(Option::flatten)
        .map_err(self.err())
    }

    /// The text of token `id`.
    pub fn token_text(&self, id: u32) -> Result<Option<String>> {
        let conn = self.conn.lock();
        conn.query_row("SELECT text FROM tokens WHERE id = ?1", [id], |r| r.get(0))
            .optional()
            .map_err(self.err())
    }

    /// Every indexed file: path, language, line count.
    pub fn files(&self) -> Result<Vec<(String, String, u32)>> {
        let conn = self.conn.lock();
        let mut stmt = conn
            .prepare("SELECT path, language, line_count FROM files ORDER BY path")
            .map_err(self.err())?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(self.err())?;
        rows.collect::<rusqlite::Result<_>>().map_err(self.err())
    }

    /// Skipped paths, sorted.
    pub fn skipped(&self) -> Result<Vec<Skipped>> {
        let conn = self.conn.lock();
        let mut stmt = conn
            .prepare("SELECT path, reason, detail FROM skipped ORDER BY path")
            .map_err(self.err())?;
        let rows = stmt
            .query_map([], |r| {
                Ok(Skipped {
                    path: r.get(0)?,
                    reason: r.get(1)?,
                    detail: r.get(2)?,
                })
            })
            .map_err(self.err())?;
        rows.collect::<rusqlite::Result<_>>().map_err(self.err())
    }

    /// Parse diagnostics: path, line, message.
    pub fn diagnostics(&self) -> Result<Vec<(String, u32, String)>> {
        let conn = self.conn.lock();
        let mut stmt = conn
            .prepare(
                "SELECT f.path, g.line, g.message FROM diagnostics g JOIN files f ON f.id = g.file_id
                 ORDER BY f.path, g.line",
            )
            .map_err(self.err())?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(self.err())?;
        rows.collect::<rusqlite::Result<_>>().map_err(self.err())
    }
}

/// One write transaction. Dropped without [`Writer::commit`], it rolls back
/// and forgets the tokens it interned.
/// A read snapshot: see [`Store::snapshot`]. Holds the connection's lock,
/// so other threads' reads wait until it is dropped.
pub struct Snapshot<'a> {
    conn: Option<parking_lot::ReentrantMutexGuard<'a, Connection>>,
}

impl Drop for Snapshot<'_> {
    fn drop(&mut self) {
        if let Some(conn) = &self.conn
            && let Err(e) = conn.execute_batch("COMMIT")
        {
            tracing::warn!(error = %e, "ending a read snapshot");
        }
    }
}

impl std::fmt::Debug for Snapshot<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot").finish()
    }
}

/// A write transaction, or a savepoint inside the update transaction
/// [`Store::begin_update`] opened (committed by [`Store::commit_update`]).
pub(crate) enum Tx<'a> {
    Top(rusqlite::Transaction<'a>),
    Nested(rusqlite::Savepoint<'a>),
}

impl<'a> Tx<'a> {
    pub(crate) fn begin(conn: &'a mut rusqlite::Connection) -> rusqlite::Result<Tx<'a>> {
        if conn.is_autocommit() {
            conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map(Tx::Top)
        } else {
            conn.savepoint().map(Tx::Nested)
        }
    }

    pub(crate) fn commit(self) -> rusqlite::Result<()> {
        match self {
            Tx::Top(tx) => tx.commit(),
            Tx::Nested(sp) => sp.commit(),
        }
    }
}

impl std::ops::Deref for Tx<'_> {
    type Target = rusqlite::Connection;

    fn deref(&self) -> &rusqlite::Connection {
        match self {
            Tx::Top(tx) => tx,
            Tx::Nested(sp) => sp,
        }
    }
}

pub struct Writer<'a> {
    tx: Option<Tx<'a>>,
    vocab: &'a mut HashMap<String, u32>,
    added: Vec<String>,
    path: PathBuf,
    now: i64,
}

impl std::fmt::Debug for Writer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer").field("path", &self.path).finish()
    }
}

impl Drop for Writer<'_> {
    fn drop(&mut self) {
        for token in self.added.drain(..) {
            self.vocab.remove(&token);
        }
    }
}

impl Writer<'_> {
    fn tx(&self) -> &rusqlite::Connection {
        self.tx.as_ref().expect("a writer is used until it commits")
    }

    fn err(&self) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        move |source| StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// Maps sub-tokens to ids, adding new ones to the vocabulary.
    fn intern(&mut self, tokens: &[String]) -> Result<Vec<u32>> {
        let mut ids = Vec::with_capacity(tokens.len());
        for token in tokens {
            let id = match self.vocab.get(token) {
                Some(&id) => id,
                None => {
                    let id = self.vocab.len() as u32 + 1;
                    self.tx()
                        .prepare_cached("INSERT INTO tokens (id, text) VALUES (?1, ?2)")
                        .and_then(|mut s| s.execute(params![id, token]))
                        .map_err(self.err())?;
                    self.vocab.insert(token.clone(), id);
                    self.added.push(token.clone());
                    id
                }
            };
            ids.push(id);
        }
        ids.sort_unstable();
        ids.dedup();
        Ok(ids)
    }

    fn delete_children(&self, file_id: i64) -> Result<()> {
        for table in [
            "definitions",
            "imports",
            "calls",
            "inheritance",
            "chunks",
            "diagnostics",
            "bindings",
        ] {
            self.tx()
                .prepare_cached(&format!("DELETE FROM {table} WHERE file_id = ?1"))
                .and_then(|mut s| s.execute([file_id]))
                .map_err(self.err())?;
        }
        Ok(())
    }

    /// Writes a file and everything extracted from it, replacing what was
    /// stored for that path.
    pub fn replace_file(&mut self, rec: &FileRecord<'_>) -> Result<FileChange> {
        let facts = rec.facts;
        let existing: Option<i64> = self
            .tx()
            .prepare_cached("SELECT id FROM files WHERE path = ?1")
            .and_then(|mut s| s.query_row([rec.path], |r| r.get(0)).optional())
            .map_err(self.err())?;
        let mut old_definitions = Vec::new();
        let file_id = match existing {
            Some(id) => {
                old_definitions = self.definition_names(id)?;
                self.delete_children(id)?;
                self.tx()
                    .prepare_cached(
                        "UPDATE files SET language=?2, size=?3, mtime_ns=?4, hash=?5, line_count=?6,
                         doc=?7, package=?8, indexed_at=?9 WHERE id=?1",
                    )
                    .and_then(|mut s| {
                        s.execute(params![
                            id,
                            facts.language,
                            rec.size as i64,
                            rec.mtime_ns,
                            &rec.hash[..],
                            facts.line_count,
                            facts.doc,
                            facts.package,
                            self.now
                        ])
                    })
                    .map_err(self.err())?;
                id
            }
            None => {
                self.tx()
                    .prepare_cached(
                        "INSERT INTO files (path, language, size, mtime_ns, hash, line_count, doc, package, indexed_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    )
                    .and_then(|mut s| {
                        s.execute(params![
                            rec.path,
                            facts.language,
                            rec.size as i64,
                            rec.mtime_ns,
                            &rec.hash[..],
                            facts.line_count,
                            facts.doc,
                            facts.package,
                            self.now
                        ])
                    })
                    .map_err(self.err())?;
                self.tx().last_insert_rowid()
            }
        };

        // Stable ids: path, qualified name, kind and an ordinal among equals.
        let mut seen: HashMap<(String, &str), u32> = HashMap::new();
        let mut def_ids = Vec::with_capacity(facts.definitions.len());
        for d in &facts.definitions {
            let n = seen
                .entry((d.qualified_name.clone(), d.kind.as_str()))
                .or_insert(0);
            def_ids.push(stable_id(&[
                rec.path,
                &d.qualified_name,
                d.kind.as_str(),
                &n.to_string(),
            ]));
            *n += 1;
        }
        {
            let mut stmt = self
                .tx()
                .prepare_cached(
                    "INSERT OR REPLACE INTO definitions (id, file_id, parent_id, name, qualified_name, kind, signature, doc,
                     start_byte, end_byte, start_line, end_line) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)",
                )
                .map_err(self.err())?;
            for (d, id) in facts.definitions.iter().zip(&def_ids) {
                stmt.execute(params![
                    id,
                    file_id,
                    d.parent.map(|p| def_ids[p]),
                    d.name,
                    d.qualified_name,
                    d.kind.as_str(),
                    d.signature,
                    d.doc,
                    d.span.start_byte,
                    d.span.end_byte,
                    d.span.start_line,
                    d.span.end_line
                ])
                .map_err(self.err())?;
            }
        }
        {
            let mut stmt = self
                .tx()
                .prepare_cached(
                    "INSERT INTO imports (file_id, module, name, alias, wildcard, line) VALUES (?1,?2,?3,?4,?5,?6)",
                )
                .map_err(self.err())?;
            for i in &facts.imports {
                stmt.execute(params![
                    file_id, i.module, i.name, i.alias, i.wildcard, i.line
                ])
                .map_err(self.err())?;
            }
            let mut stmt = self
                .tx()
                .prepare_cached(
                    "INSERT INTO calls (file_id, caller_id, name, receiver, line, col) VALUES (?1,?2,?3,?4,?5,?6)",
                )
                .map_err(self.err())?;
            for c in &facts.calls {
                stmt.execute(params![
                    file_id,
                    c.enclosing.map(|i| def_ids[i]),
                    c.name,
                    c.receiver,
                    c.line,
                    c.column
                ])
                .map_err(self.err())?;
            }
            let mut stmt = self
                .tx()
                .prepare_cached(
                    "INSERT INTO inheritance (file_id, subject_id, subject, base, relation, line) VALUES (?1,?2,?3,?4,?5,?6)",
                )
                .map_err(self.err())?;
            for h in &facts.inheritance {
                stmt.execute(params![
                    file_id,
                    h.subject_def.map(|i| def_ids[i]),
                    h.subject,
                    h.base,
                    h.relation.as_str(),
                    h.line
                ])
                .map_err(self.err())?;
            }
            let mut stmt = self
                .tx()
                .prepare_cached(
                    "INSERT INTO bindings (file_id, scope_id, name, type_name, value, line) VALUES (?1,?2,?3,?4,?5,?6)",
                )
                .map_err(self.err())?;
            for b in &facts.bindings {
                stmt.execute(params![
                    file_id,
                    b.scope.map(|i| def_ids[i]),
                    b.name,
                    b.type_name,
                    b.value,
                    b.line
                ])
                .map_err(self.err())?;
            }
            let mut stmt = self
                .tx()
                .prepare_cached(
                    "INSERT INTO diagnostics (file_id, line, message) VALUES (?1,?2,?3)",
                )
                .map_err(self.err())?;
            for d in &facts.diagnostics {
                stmt.execute(params![file_id, d.line, d.message])
                    .map_err(self.err())?;
            }
        }
        let mut chunk_seen: HashMap<(&str, i64, u32), u32> = HashMap::new();
        for (i, c) in facts.chunks.iter().enumerate() {
            let tokens = rec.chunk_tokens.get(i).map(Vec::as_slice).unwrap_or(&[]);
            let ids = self.intern(tokens)?;
            let def_id = c.def.map(|d| def_ids[d]);
            let n = chunk_seen
                .entry((c.kind.as_str(), def_id.unwrap_or(0), c.part))
                .or_insert(0);
            let id = stable_id(&[
                rec.path,
                c.kind.as_str(),
                &def_id.unwrap_or(0).to_string(),
                &c.part.to_string(),
                &n.to_string(),
            ]);
            *n += 1;
            self.tx()
                .prepare_cached(
                    "INSERT OR REPLACE INTO chunks (id, file_id, def_id, kind, part, start_line, end_line, start_byte, end_byte, hash, text, tokens)
                     VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        id,
                        file_id,
                        def_id,
                        c.kind.as_str(),
                        c.part,
                        c.span.start_line,
                        c.span.end_line,
                        c.span.start_byte,
                        c.span.end_byte,
                        &content_hash(c.text.as_bytes())[..],
                        c.text,
                        pack_token_ids(&ids)
                    ])
                })
                .map_err(self.err())?;
        }
        Ok(FileChange {
            file_id,
            old_definitions,
            deleted: false,
        })
    }

    /// Marks a path whose search documents must be re-synced.
    pub fn mark_search_pending(&mut self, path: &str) -> Result<()> {
        self.tx()
            .prepare_cached("INSERT OR IGNORE INTO search_pending (path) VALUES (?1)")
            .and_then(|mut s| s.execute([path]))
            .map_err(self.err())?;
        Ok(())
    }

    /// Records a new mtime for a file whose content did not change.
    pub fn touch_file(&mut self, path: &str, mtime_ns: i64) -> Result<()> {
        self.tx()
            .prepare_cached("UPDATE files SET mtime_ns = ?2 WHERE path = ?1")
            .and_then(|mut s| s.execute(params![path, mtime_ns]))
            .map_err(self.err())?;
        Ok(())
    }

    /// Removes a file and everything extracted from it.
    pub fn delete_file(&mut self, path: &str) -> Result<Option<FileChange>> {
        let id: Option<i64> = self
            .tx()
            .prepare_cached("SELECT id FROM files WHERE path = ?1")
            .and_then(|mut s| s.query_row([path], |r| r.get(0)).optional())
            .map_err(self.err())?;
        let Some(id) = id else {
            return Ok(None);
        };
        let old_definitions = self.definition_names(id)?;
        self.delete_children(id)?;
        self.tx()
            .execute("DELETE FROM files WHERE id = ?1", [id])
            .map_err(self.err())?;
        Ok(Some(FileChange {
            file_id: id,
            old_definitions,
            deleted: true,
        }))
    }

    /// (id, name) of a file's definitions as stored now.
    fn definition_names(&self, file_id: i64) -> Result<Vec<(i64, String)>> {
        let mut stmt = self
            .tx()
            .prepare_cached("SELECT id, name FROM definitions WHERE file_id = ?1")
            .map_err(self.err())?;
        let rows = stmt
            .query_map([file_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(self.err())?;
        rows.collect::<rusqlite::Result<_>>().map_err(self.err())
    }

    /// Replaces the list of skipped paths.
    pub fn set_skipped(&mut self, skipped: &[Skipped]) -> Result<()> {
        self.tx()
            .execute("DELETE FROM skipped", [])
            .map_err(self.err())?;
        let mut stmt = self
            .tx()
            .prepare_cached(
                "INSERT OR REPLACE INTO skipped (path, reason, detail) VALUES (?1, ?2, ?3)",
            )
            .map_err(self.err())?;
        for s in skipped {
            stmt.execute(params![s.path, s.reason, s.detail])
                .map_err(self.err())?;
        }
        Ok(())
    }

    pub fn set_meta(&mut self, key: &str, value: &str) -> Result<()> {
        self.tx()
            .prepare_cached("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)")
            .and_then(|mut s| s.execute(params![key, value]))
            .map_err(self.err())?;
        Ok(())
    }

    pub fn commit(mut self) -> Result<()> {
        let tx = self.tx.take().expect("a writer commits once");
        tx.commit().map_err(|source| StoreError::Sqlite {
            path: self.path.clone(),
            source,
        })?;
        self.added.clear();
        Ok(())
    }
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn is_damaged(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt)
    )
}

fn remove_db_files(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}
