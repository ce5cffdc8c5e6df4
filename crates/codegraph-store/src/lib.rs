//! The persistent index: one SQLite file in WAL mode.
//!
//! One process writes through a [`Store`] (`&mut` for every write; each
//! [`Writer`] is a transaction, and [`Store::begin_update`] wraps a whole
//! update in one, so readers see it whole or not at all). Any number of
//! readers read through a [`ReadPool`]: a few read connections, each read
//! or [`ReadPool::snapshot`] taking one, so reads never wait for each other
//! or for the writer. Every read is a method of [`Conn`], whichever
//! connection it runs on.
//!
//! A crash at any moment leaves the last committed state, which opens and
//! answers. The schema carries [`FORMAT_VERSION`]; a file written by another
//! version, or one that is not a database at all, is rebuilt empty rather
//! than failing — the index is derived data.
//!
//! This crate knows SQL and the types of `codegraph-core`; it knows nothing
//! of parsing, resolution, walking or the CLI.

mod context;
mod embeddings;
mod files;
mod graph;
mod graph_reads;
mod meta;
#[cfg(test)]
mod query_plans;
mod schema;
mod search;

pub use context::{ContextChunk, ContextFile};
pub use embeddings::{ChunkVector, EmbedJob};
pub use files::{
    ChunkRow, DefinitionRow, Diagnostic, FileRecord, FileRow, FileState, Skipped, Stats, Writer,
};
pub use graph_reads::{EdgeEnd, StoredEdge, StoredSymbol};
pub use meta::{Meta, MetaKey};
pub use schema::FORMAT_VERSION;
pub use search::ChunkDetail;

use parking_lot::{MappedMutexGuard, Mutex, MutexGuard, ReentrantMutex, ReentrantMutexGuard};
use rusqlite::Connection;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Store errors.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("index database {path}: {source}")]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    /// The database is of another format version (a reader may not
    /// rebuild it; the writer does).
    #[error("index database {path} is of format version {found}, not {FORMAT_VERSION}")]
    OtherFormat { path: PathBuf, found: String },
    /// SQLite's integrity check found a problem.
    #[error("index database {path} is damaged: {problem}")]
    Damaged { path: PathBuf, problem: String },
}

impl StoreError {
    /// Whether the database file is damaged (not a database, or corrupt).
    pub fn is_damage(&self) -> bool {
        match self {
            StoreError::Sqlite { source, .. } => is_damaged(source),
            StoreError::Damaged { .. } => true,
            StoreError::OtherFormat { .. } => false,
        }
    }

    /// The error for a database `path` found damaged (by
    /// [`Store::quick_check`]).
    pub fn damaged(path: &Path, problem: String) -> StoreError {
        StoreError::Damaged {
            path: path.to_owned(),
            problem,
        }
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// One connection to the index and the reads it answers. Reads are the
/// same whichever connection they run on: the writer's (inside an open
/// update they see it), a pooled one, or a snapshot.
/// Puts the database in write-ahead-log mode (a setting kept in the
/// file, so only its first opener changes it). The change takes an
/// exclusive lock, and SQLite answers `SQLITE_BUSY` at once, without
/// calling the busy handler, when another connection opens the new file
/// at the same moment; so the change is retried until the busy timeout.
fn use_write_ahead_log(conn: &Connection) -> rusqlite::Result<()> {
    const PATIENCE: std::time::Duration = std::time::Duration::from_secs(10);
    let started = std::time::Instant::now();
    let mut pause = std::time::Duration::from_millis(1);
    loop {
        let mode = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get::<_, String>(0))
            .and_then(|mode| {
                if mode.eq_ignore_ascii_case("wal") {
                    Ok(mode)
                } else {
                    conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
                }
            });
        match mode {
            Ok(_) => return Ok(()),
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy && started.elapsed() < PATIENCE =>
            {
                std::thread::sleep(pause);
                pause = (pause * 2).min(std::time::Duration::from_millis(50));
            }
            Err(e) => return Err(e),
        }
    }
}

#[derive(Debug)]
pub struct Conn {
    conn: Connection,
    path: Arc<PathBuf>,
}

impl Conn {
    fn open(path: &Path, cache_kib: i64) -> Result<Conn> {
        let err = |source| StoreError::Sqlite {
            path: path.to_owned(),
            source,
        };
        let conn = Connection::open(path).map_err(err)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(err)?;
        use_write_ahead_log(&conn).map_err(err)?;
        conn.execute_batch(&format!(
            "PRAGMA synchronous = NORMAL;
             PRAGMA temp_store = MEMORY;
             PRAGMA cache_size = -{cache_kib};
             PRAGMA foreign_keys = OFF;"
        ))
        .map_err(err)?;
        Ok(Conn {
            conn,
            path: Arc::new(path.to_owned()),
        })
    }

    /// A connection for reads. Where the index cannot be written (a
    /// read-only directory or file: another user's index, a mounted
    /// snapshot), it is opened read-only, and as immutable when SQLite
    /// cannot even share its write-ahead log there.
    fn open_reader(path: &Path, cache_kib: i64) -> Result<Conn> {
        match Conn::open(path, cache_kib) {
            Ok(conn) => Ok(conn),
            Err(StoreError::Sqlite { source, .. }) if is_read_only(&source) => {
                use rusqlite::OpenFlags;
                let err = |source| StoreError::Sqlite {
                    path: path.to_owned(),
                    source,
                };
                let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
                    | OpenFlags::SQLITE_OPEN_URI
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX;
                let uri = |extra: &str| format!("file:{}?mode=ro{extra}", path.display());
                let readable = |c: &Connection| {
                    c.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))
                };
                let conn = match Connection::open_with_flags(uri(""), flags) {
                    Ok(c) if readable(&c).is_ok() => c,
                    _ => {
                        tracing::debug!(path = %path.display(), "opening a read-only index as immutable");
                        Connection::open_with_flags(uri("&immutable=1"), flags).map_err(err)?
                    }
                };
                conn.execute_batch(&format!(
                    "PRAGMA temp_store = MEMORY; PRAGMA cache_size = -{cache_kib};"
                ))
                .map_err(err)?;
                Ok(Conn {
                    conn,
                    path: Arc::new(path.to_owned()),
                })
            }
            Err(e) => Err(e),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// An in-memory connection (a placeholder while files move).
    fn open_memory() -> Result<Conn> {
        let err = |source| StoreError::Sqlite {
            path: PathBuf::from(":memory:"),
            source,
        };
        Ok(Conn {
            conn: Connection::open_in_memory().map_err(err)?,
            path: Arc::new(PathBuf::from(":memory:")),
        })
    }

    /// Copies the embeddings of the database at `old` into this one, as far
    /// as they can be read; how many were copied.
    fn carry_embeddings(&self, old: &Path) -> u64 {
        let copy = || -> rusqlite::Result<u64> {
            self.conn
                .execute("ATTACH DATABASE ?1 AS old", [old.to_string_lossy()])?;
            let copied = self.conn.execute(
                "INSERT OR IGNORE INTO embeddings (model, hash, vector)
                 SELECT model, hash, vector FROM old.embeddings",
                [],
            );
            self.conn.execute_batch("DETACH DATABASE old")?;
            copied.map(|n| n as u64)
        };
        match copy() {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(error = %e, "the embedding cache could not be carried over");
                0
            }
        }
    }

    pub(crate) fn err(&self) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        move |source| {
            if is_damaged(&source) {
                report_damage(&self.path);
            }
            StoreError::Sqlite {
                path: self.path.as_ref().clone(),
                source,
            }
        }
    }

    /// Rows of `sql` with `params`, each mapped by `f`.
    pub(crate) fn rows<T, P: rusqlite::Params>(
        &self,
        sql: &str,
        params: P,
        f: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(self.err())?;
        let rows = stmt.query_map(params, f).map_err(self.err())?;
        rows.collect::<rusqlite::Result<_>>().map_err(self.err())
    }

    /// `SELECT COUNT(*)`-like queries.
    pub(crate) fn count(&self, sql: &str) -> Result<u64> {
        self.conn
            .query_row(sql, [], |r| r.get::<_, i64>(0))
            .map(|n| n as u64)
            .map_err(self.err())
    }

    /// Runs `f` in a transaction (a savepoint inside an open one): committed
    /// when `f` succeeds, rolled back when it fails.
    pub(crate) fn in_tx<T>(&self, f: impl FnOnce(&Conn) -> Result<T>) -> Result<T> {
        let tx = Tx::begin(&self.conn).map_err(self.err())?;
        match f(self) {
            Ok(v) => {
                tx.commit(&self.conn).map_err(self.err())?;
                Ok(v)
            }
            Err(e) => {
                tx.rollback(&self.conn);
                Err(e)
            }
        }
    }
}

/// A transaction on a connection: the top-level one (`BEGIN IMMEDIATE`) or
/// a savepoint inside an open one. The owner ends it: [`Tx::commit`] or
/// [`Tx::rollback`].
#[derive(Debug)]
pub(crate) struct Tx {
    savepoint: Option<String>,
}

impl Tx {
    pub(crate) fn begin(conn: &Connection) -> rusqlite::Result<Tx> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        if conn.is_autocommit() {
            conn.execute_batch("BEGIN IMMEDIATE")?;
            Ok(Tx { savepoint: None })
        } else {
            let name = format!("cg_{}", NEXT.fetch_add(1, Ordering::Relaxed));
            conn.execute_batch(&format!("SAVEPOINT {name}"))?;
            Ok(Tx {
                savepoint: Some(name),
            })
        }
    }

    pub(crate) fn commit(self, conn: &Connection) -> rusqlite::Result<()> {
        match &self.savepoint {
            None => conn.execute_batch("COMMIT"),
            Some(name) => conn.execute_batch(&format!("RELEASE {name}")),
        }
    }

    pub(crate) fn rollback(self, conn: &Connection) {
        let sql = match &self.savepoint {
            None => "ROLLBACK".to_owned(),
            Some(name) => format!("ROLLBACK TO {name}; RELEASE {name}"),
        };
        if let Err(e) = conn.execute_batch(&sql) {
            tracing::warn!(error = %e, "rolling back");
        }
    }
}

/// The writer's side of the store: its connection and the token
/// vocabulary cache.
#[derive(Debug)]
struct WriteSide {
    conn: Conn,
    /// Sub-token → id, loaded by the first writer; forgotten on rollback.
    vocab: Option<HashMap<String, u32>>,
}

/// The index database, opened for writing. Reads through it
/// ([`Store::read`]) see what the open update wrote.
#[derive(Debug)]
pub struct Store {
    side: Arc<Mutex<WriteSide>>,
    path: PathBuf,
    /// Set when an existing file had to be rebuilt, with the reason.
    rebuilt: Option<String>,
}

/// The SQLite page cache of the writer's connection, in KiB.
const WRITER_CACHE_KIB: i64 = 65536;

/// Write-ahead log pages after which a bulk load's commits checkpoint
/// (4 KiB pages: 64 MiB); other commits keep SQLite's default (1,000).
const BULK_CHECKPOINT_PAGES: i64 = 16384;
const DEFAULT_CHECKPOINT_PAGES: i64 = 1000;

impl Store {
    /// Opens or creates the database at `path`. A database of another format
    /// version, or a damaged file, is replaced by an empty one.
    pub fn open(path: &Path) -> Result<Store> {
        match Self::try_open(path) {
            Ok(store) => Ok(store),
            Err(e) if e.is_damage() => {
                tracing::warn!(path = %path.display(), error = %e, "index is damaged; rebuilding");
                let mut store = Self::fresh_carrying_embeddings(path)?;
                store.rebuilt = Some(format!("damaged: {e}"));
                Ok(store)
            }
            Err(e) => Err(e),
        }
    }

    /// A connection to the database at `path` for a reader, which never
    /// rebuilds it: a missing database is created empty (nothing is lost),
    /// one of another format version is [`StoreError::OtherFormat`], and a
    /// damaged one is an error that leaves word for the writer.
    pub fn open_for_reading(path: &Path) -> Result<Conn> {
        if std::fs::metadata(path).is_err() {
            drop(Store::open(path)?);
        }
        let conn = Conn::open_reader(path, READER_CACHE_KIB)?;
        match schema::version(&conn.conn).map_err(conn.err())? {
            Some(v) if v == FORMAT_VERSION.to_string() => Ok(conn),
            None if !schema::has_tables(&conn.conn).map_err(conn.err())? => {
                drop(conn);
                drop(Store::open(path)?);
                Conn::open_reader(path, READER_CACHE_KIB)
            }
            found => Err(StoreError::OtherFormat {
                path: path.to_owned(),
                found: found.unwrap_or_else(|| "none".into()),
            }),
        }
    }

    fn try_open(path: &Path) -> Result<Store> {
        let conn = Conn::open(path, WRITER_CACHE_KIB)?;
        let rebuilt = schema::ensure(&conn.conn).map_err(conn.err())?;
        Ok(Store {
            side: Arc::new(Mutex::new(WriteSide { conn, vocab: None })),
            path: path.to_owned(),
            rebuilt,
        })
    }

    /// Whether a read (in any process) found this database damaged since
    /// the last [`Store::quick_check`].
    pub fn damage_reported(&self) -> bool {
        damage_reported(&self.path)
    }

    /// SQLite's `quick_check`: `None` when the database is sound, else
    /// what is wrong. Clears a damage report when sound.
    pub fn quick_check(&self) -> Result<Option<String>> {
        let side = self.side.lock();
        let rows = side
            .conn
            .rows("PRAGMA quick_check(20)", [], |r| r.get::<_, String>(0))
            .or_else(|e| {
                if e.is_damage() {
                    Ok(vec![e.to_string()])
                } else {
                    Err(e)
                }
            })?;
        if rows.as_slice() == ["ok"] {
            let _ = std::fs::remove_file(damage_marker(&self.path));
            return Ok(None);
        }
        Ok(Some(rows.join("; ")))
    }

    /// Replaces the database with an empty one of the current format,
    /// carrying over what can be read of the embedding cache (it depends
    /// on the model and chunk contents only, and is the costliest part to
    /// recompute). `why` is what [`Store::take_rebuilt`] then reports.
    pub fn reset(&mut self, why: &str) -> Result<()> {
        // Closed before its files move (the lock guards the connection).
        let placeholder = Conn::open_memory()?;
        let previous = std::mem::replace(&mut self.side.lock().conn, placeholder);
        drop(previous);
        let fresh = Store::fresh_carrying_embeddings(&self.path)?;
        self.side = fresh.side;
        self.rebuilt = Some(why.to_owned());
        Ok(())
    }

    /// An empty database of the current format at `path`, with what can be
    /// read of the embedding cache of the one that was there.
    fn fresh_carrying_embeddings(path: &Path) -> Result<Store> {
        let old = path.with_extension("sqlite.old");
        remove_db_files(&old);
        for suffix in ["", "-wal", "-shm"] {
            let mut from = path.as_os_str().to_owned();
            from.push(suffix);
            let mut to = old.as_os_str().to_owned();
            to.push(suffix);
            let _ = std::fs::rename(PathBuf::from(from), PathBuf::from(to));
        }
        let _ = std::fs::remove_file(damage_marker(path));
        let fresh = Store::try_open(path)?;
        let kept = fresh.side.lock().conn.carry_embeddings(&old);
        tracing::info!(kept, "embeddings carried over to the rebuilt index");
        remove_db_files(&old);
        Ok(fresh)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Why the database was rebuilt on open, if it was.
    pub fn rebuilt(&self) -> Option<&str> {
        self.rebuilt.as_deref()
    }

    /// Why the database was rebuilt, once: later calls return `None`
    /// until it is rebuilt again.
    pub fn take_rebuilt(&mut self) -> Option<String> {
        self.rebuilt.take()
    }

    /// Reads through the writer's connection (they see the open update).
    /// Hold the guard only for the reads: writes wait for it.
    pub fn read(&self) -> MappedMutexGuard<'_, Conn> {
        MutexGuard::map(self.side.lock(), |s| &mut s.conn)
    }

    /// Opens one transaction around everything written until
    /// [`Update::commit`] (writers and graph replacements nest in it as
    /// savepoints), so readers see an update whole or not at all. Dropped
    /// without a commit, it rolls everything back.
    pub fn begin_update(&mut self) -> Result<Update> {
        let side = self.side.lock();
        let tx = Tx::begin(&side.conn.conn).map_err(side.conn.err())?;
        drop(side);
        Ok(Update {
            side: self.side.clone(),
            tx: Some(tx),
        })
    }

    /// Enters or leaves bulk loading (a first index, or one resuming after
    /// a crash, which commits in batches). Checkpoints copy every page a
    /// commit touched from the write-ahead log into the database; at
    /// SQLite's default (every 1,000 pages) a first index of a big
    /// repository copies its hot index pages again at each of hundreds of
    /// checkpoints. A bulk load checkpoints rarely; leaving it checkpoints
    /// what it logged, so the next small update does not pay for it.
    pub fn set_bulk_load(&mut self, bulk: bool) -> Result<()> {
        let side = self.side.lock();
        let pages = if bulk {
            BULK_CHECKPOINT_PAGES
        } else {
            DEFAULT_CHECKPOINT_PAGES
        };
        let conn = &side.conn;
        conn.conn
            .pragma_update(None, "wal_autocheckpoint", pages)
            .map_err(conn.err())?;
        if !bulk {
            conn.conn
                .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
                .map_err(conn.err())?;
        }
        Ok(())
    }

    /// Forgets the cached token vocabulary (another process may have
    /// written tokens since it was read).
    pub fn forget_vocabulary(&mut self) {
        self.side.lock().vocab = None;
    }

    /// A write transaction for file facts, skips and metadata.
    pub fn writer(&mut self) -> Result<Writer<'_>> {
        Writer::begin(self.side.lock())
    }

    /// Runs `f` on the writer's connection in one transaction.
    pub(crate) fn write<T>(&mut self, f: impl FnOnce(&Conn) -> Result<T>) -> Result<T> {
        let side = self.side.lock();
        side.conn.in_tx(f)
    }
}

/// An update transaction ([`Store::begin_update`]).
#[derive(Debug)]
#[must_use = "an update rolls back unless committed"]
pub struct Update {
    side: Arc<Mutex<WriteSide>>,
    tx: Option<Tx>,
}

impl Update {
    pub fn commit(mut self) -> Result<()> {
        let side = self.side.lock();
        let tx = self.tx.take().expect("an update commits once");
        tx.commit(&side.conn.conn).map_err(side.conn.err())
    }
}

impl Drop for Update {
    fn drop(&mut self) {
        if let Some(tx) = self.tx.take() {
            let mut side = self.side.lock();
            tx.rollback(&side.conn.conn);
            // The vocabulary cache may hold ids the rollback took back.
            side.vocab = None;
        }
    }
}

/// Read connections to an index, shared by the threads of one reader.
/// Each read takes an idle connection (or opens one), so concurrent reads
/// run in parallel; at most `max_idle` are kept between reads.
#[derive(Debug)]
pub struct ReadPool {
    path: PathBuf,
    idle: Mutex<Vec<Conn>>,
    max_idle: usize,
    /// A pool pinned to one snapshot reads through this connection only.
    pinned: Option<ReentrantMutex<Conn>>,
}

/// The SQLite page cache of each read connection, in KiB.
const READER_CACHE_KIB: i64 = 16384;

impl ReadPool {
    /// A pool over the database at `path` (opened for writing, and so made
    /// current, by a [`Store`] first).
    pub fn open(path: &Path, max_idle: usize) -> Result<ReadPool> {
        let first = Conn::open_reader(path, READER_CACHE_KIB)?;
        Ok(ReadPool {
            path: path.to_owned(),
            idle: Mutex::new(vec![first]),
            max_idle: max_idle.max(1),
            pinned: None,
        })
    }

    /// A pool whose every read sees one committed state, the one current
    /// now, until it is dropped (reads on other threads wait their turn).
    pub fn pinned(&self) -> Result<ReadPool> {
        let conn = Conn::open_reader(&self.path, READER_CACHE_KIB)?;
        conn.conn
            .execute_batch("BEGIN DEFERRED; SELECT 1 FROM meta LIMIT 1;")
            .map_err(conn.err())?;
        Ok(ReadPool {
            path: self.path.clone(),
            idle: Mutex::new(Vec::new()),
            max_idle: 0,
            pinned: Some(ReentrantMutex::new(conn)),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A connection for a few reads, each seeing the latest commit (or
    /// the pinned state: [`ReadPool::pinned`]).
    pub fn read(&self) -> Result<Pooled<'_>> {
        if let Some(pinned) = &self.pinned {
            return Ok(Pooled {
                conn: None,
                pinned: Some(pinned.lock()),
                pool: self,
                snapshot: false,
            });
        }
        let conn = match self.idle.lock().pop() {
            Some(c) => c,
            None => Conn::open_reader(&self.path, READER_CACHE_KIB)?,
        };
        Ok(Pooled {
            conn: Some(conn),
            pinned: None,
            pool: self,
            snapshot: false,
        })
    }

    /// A connection holding one read snapshot until dropped: every read
    /// through it sees the same committed state, whatever is committed
    /// meanwhile.
    pub fn snapshot(&self) -> Result<Pooled<'_>> {
        let mut pooled = self.read()?;
        let Some(conn) = pooled.conn.as_ref() else {
            return Ok(pooled); // pinned: a snapshot already
        };
        // A deferred transaction takes its snapshot at the first read.
        conn.conn
            .execute_batch("BEGIN DEFERRED; SELECT 1 FROM meta LIMIT 1;")
            .map_err(conn.err())?;
        pooled.snapshot = true;
        Ok(pooled)
    }
}

/// A pooled connection ([`ReadPool::read`], [`ReadPool::snapshot`]).
#[derive(Debug)]
pub struct Pooled<'a> {
    conn: Option<Conn>,
    pinned: Option<ReentrantMutexGuard<'a, Conn>>,
    pool: &'a ReadPool,
    snapshot: bool,
}

impl std::ops::Deref for Pooled<'_> {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        match &self.pinned {
            Some(guard) => guard,
            None => self.conn.as_ref().expect("held until dropped"),
        }
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        if self.snapshot
            && let Err(e) = conn.conn.execute_batch("COMMIT")
        {
            tracing::warn!(error = %e, "ending a read snapshot");
            return;
        }
        let mut idle = self.pool.idle.lock();
        if idle.len() < self.pool.max_idle {
            idle.push(conn);
        }
    }
}

fn is_read_only(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::ReadOnly | rusqlite::ErrorCode::CannotOpen)
    )
}

fn is_damaged(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt)
    )
}

/// The file whose presence says a read found the database at `db` damaged.
fn damage_marker(db: &Path) -> PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push(".damaged");
    PathBuf::from(p)
}

/// Whether a read (in any process) found the database at `db` damaged
/// since the writer last checked it.
pub fn damage_reported(db: &Path) -> bool {
    damage_marker(db).exists()
}

/// Refuses an emptied database: an empty file in an index that has other
/// parts (`other_parts`: its lexical index, written only after the schema)
/// lost what it held, and answering from it would answer "nothing" without
/// a word. Leaves word for the writer. A kill at creation leaves an empty
/// file before any other part exists: that is a new index, not damage.
pub fn refuse_emptied(db: &Path, other_parts: bool) -> Result<()> {
    if other_parts && std::fs::metadata(db).is_ok_and(|m| m.len() == 0) {
        report_damage(db);
        return Err(StoreError::damaged(
            db,
            "the database file is empty; the next `codegraph index` rebuilds it".to_owned(),
        ));
    }
    Ok(())
}

/// Leaves word for the writer that a read found the database damaged
/// (readers may not rebuild it; the next index run checks and heals).
fn report_damage(db: &Path) {
    if db.as_os_str() != ":memory:" {
        tracing::warn!(path = %db.display(), "the index database is damaged; the next index run rebuilds it");
        let _ = std::fs::write(damage_marker(db), b"");
    }
}

fn remove_db_files(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_update_dropped_without_commit_rolls_back_and_commit_keeps() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("index.sqlite");
        let mut store = Store::open(&path).unwrap();
        {
            let _update = store.begin_update().unwrap();
            let mut w = store.writer().unwrap();
            w.set_meta(MetaKey::Branch, "dropped").unwrap();
            w.commit().unwrap();
            assert_eq!(
                store.read().meta(MetaKey::Branch).unwrap().as_deref(),
                Some("dropped"),
                "the writer's reads see the open update"
            );
        }
        assert_eq!(store.read().meta(MetaKey::Branch).unwrap(), None);
        let update = store.begin_update().unwrap();
        let mut w = store.writer().unwrap();
        w.set_meta(MetaKey::Branch, "kept").unwrap();
        w.commit().unwrap();
        let pool = ReadPool::open(&path, 2).unwrap();
        assert_eq!(
            pool.read().unwrap().meta(MetaKey::Branch).unwrap(),
            None,
            "other connections do not see an open update"
        );
        update.commit().unwrap();
        assert_eq!(
            pool.read()
                .unwrap()
                .meta(MetaKey::Branch)
                .unwrap()
                .as_deref(),
            Some("kept")
        );
    }

    /// Regression (CI at stop 29): a second opener of a brand-new file got
    /// `database is locked` from the switch to write-ahead logging, which
    /// SQLite refuses without waiting; openers now take turns.
    #[test]
    fn openers_of_a_new_database_at_the_same_moment_all_succeed() {
        for _ in 0..20 {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("index.sqlite");
            let start = Arc::new(std::sync::Barrier::new(4));
            let openers: Vec<_> = (0..4)
                .map(|i| {
                    let (path, start) = (path.clone(), start.clone());
                    std::thread::spawn(move || {
                        start.wait();
                        if i % 2 == 0 {
                            Store::open(&path).map(drop)
                        } else {
                            Store::open_for_reading(&path).map(drop)
                        }
                    })
                })
                .collect();
            for opener in openers {
                opener.join().unwrap().expect("every opener succeeds");
            }
            let conn = Conn::open(&path, 1024).unwrap();
            let mode: String = conn
                .conn
                .query_row("PRAGMA journal_mode", [], |r| r.get(0))
                .unwrap();
            assert_eq!(mode, "wal");
        }
    }

    #[test]
    fn a_pinned_pool_reads_one_state_until_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("index.sqlite");
        let mut store = Store::open(&path).unwrap();
        let pool = ReadPool::open(&path, 2).unwrap();
        let pinned = pool.pinned().unwrap();
        let mut w = store.writer().unwrap();
        w.set_meta(MetaKey::Branch, "later").unwrap();
        w.commit().unwrap();
        assert_eq!(pinned.read().unwrap().meta(MetaKey::Branch).unwrap(), None);
        {
            let outer = pinned.read().unwrap();
            let inner = pinned.snapshot().unwrap();
            assert_eq!(
                outer.meta(MetaKey::Branch).unwrap(),
                inner.meta(MetaKey::Branch).unwrap()
            );
        }
        assert_eq!(
            pool.read()
                .unwrap()
                .meta(MetaKey::Branch)
                .unwrap()
                .as_deref(),
            Some("later")
        );
    }

    #[test]
    fn a_snapshot_keeps_its_state_while_pooled_reads_see_commits() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("index.sqlite");
        let mut store = Store::open(&path).unwrap();
        let pool = ReadPool::open(&path, 2).unwrap();
        let snapshot = pool.snapshot().unwrap();
        let mut w = store.writer().unwrap();
        w.set_meta(MetaKey::Branch, "new").unwrap();
        w.commit().unwrap();
        assert_eq!(snapshot.meta(MetaKey::Branch).unwrap(), None);
        let other = pool.read().unwrap();
        assert_eq!(other.meta(MetaKey::Branch).unwrap().as_deref(), Some("new"));
        drop(other);
        drop(snapshot);
        assert!(pool.idle.lock().len() <= 2);
        assert_eq!(
            pool.read()
                .unwrap()
                .meta(MetaKey::Branch)
                .unwrap()
                .as_deref(),
            Some("new"),
            "a returned snapshot connection reads the latest state"
        );
    }
}
