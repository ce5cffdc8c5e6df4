//! Schema and format version. Bump [`FORMAT_VERSION`] whenever the schema or
//! the meaning of a column changes; an index of another version is rebuilt.
//!
//! Changelog
//! - 1: files, definitions, imports, calls, inheritance, chunks (text and
//!   sorted token ids as little-endian u32), tokens, diagnostics, skipped, meta.
//! - 2: bindings (typed variables, parameters, fields); edges and externals
//!   for the resolved graph.
//! - 3: search_pending (paths whose search documents must be re-synced).
//! - 4: embeddings, keyed by (model id, chunk content hash).
//! - 5: files.importance (global PageRank mapped to [0, 1]; search's graph
//!   prior), written with the graph; embeddings keep vectors out of the
//!   (model, hash) key index and chunks are indexed by hash, so coverage
//!   counts read kilobytes, not the vectors; definitions are indexed by
//!   parent (outlines). A rebuild now carries the embedding cache over from
//!   any version whose table has (model, hash, vector), 4 included: it
//!   depends on the model and the content hash only.
//! - 6: the statistics of the last whole resolution are one JSON record
//!   (meta `resolution`) instead of one row each.
//! - 7: fields and module-level constants are definitions.
//! - 8: definitions are indexed by kind: an update's statistics count them
//!   by kind from the index (8 ms on java.base) instead of scanning the
//!   table (55 ms).

use rusqlite::{Connection, OptionalExtension};

pub const FORMAT_VERSION: u32 = 9;

const TABLES: &[&str] = &[
    "meta",
    "files",
    "definitions",
    "imports",
    "calls",
    "inheritance",
    "chunks",
    "tokens",
    "diagnostics",
    "skipped",
    "bindings",
    "edges",
    "externals",
    "search_pending",
    "embeddings",
];

const SCHEMA: &str = "
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE files (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    language TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    hash BLOB NOT NULL,
    line_count INTEGER NOT NULL,
    doc TEXT,
    package TEXT,
    indexed_at INTEGER NOT NULL,
    importance REAL
);
CREATE TABLE definitions (
    id INTEGER PRIMARY KEY,
    file_id INTEGER NOT NULL,
    parent_id INTEGER,
    name TEXT NOT NULL,
    qualified_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    signature TEXT NOT NULL,
    doc TEXT,
    start_byte INTEGER NOT NULL,
    end_byte INTEGER NOT NULL,
    start_line INTEGER NOT NULL,
    end_line INTEGER NOT NULL
);
CREATE INDEX definitions_file ON definitions (file_id);
CREATE INDEX definitions_name ON definitions (name);
CREATE INDEX definitions_qualified ON definitions (qualified_name);
CREATE INDEX definitions_parent ON definitions (parent_id);
CREATE INDEX definitions_kind ON definitions (kind);
CREATE TABLE imports (
    file_id INTEGER NOT NULL,
    module TEXT NOT NULL,
    name TEXT,
    alias TEXT,
    wildcard INTEGER NOT NULL,
    line INTEGER NOT NULL
);
CREATE INDEX imports_file ON imports (file_id);
CREATE TABLE calls (
    file_id INTEGER NOT NULL,
    caller_id INTEGER,
    name TEXT NOT NULL,
    receiver TEXT,
    path INTEGER NOT NULL DEFAULT 0,
    args INTEGER,
    line INTEGER NOT NULL,
    col INTEGER NOT NULL,
    kind TEXT NOT NULL DEFAULT 'call'
);
CREATE INDEX calls_file ON calls (file_id);
CREATE INDEX calls_name ON calls (name);
CREATE TABLE inheritance (
    file_id INTEGER NOT NULL,
    subject_id INTEGER,
    subject TEXT NOT NULL,
    base TEXT NOT NULL,
    relation TEXT NOT NULL,
    line INTEGER NOT NULL
);
CREATE INDEX inheritance_file ON inheritance (file_id);
CREATE TABLE chunks (
    id INTEGER PRIMARY KEY,
    file_id INTEGER NOT NULL,
    def_id INTEGER,
    kind TEXT NOT NULL,
    part INTEGER NOT NULL,
    start_line INTEGER NOT NULL,
    end_line INTEGER NOT NULL,
    start_byte INTEGER NOT NULL,
    end_byte INTEGER NOT NULL,
    hash BLOB NOT NULL,
    text TEXT NOT NULL,
    tokens BLOB NOT NULL
);
CREATE INDEX chunks_file ON chunks (file_id);
CREATE INDEX chunks_hash ON chunks (hash);
CREATE TABLE tokens (id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE);
CREATE TABLE diagnostics (file_id INTEGER NOT NULL, line INTEGER NOT NULL, message TEXT NOT NULL);
CREATE INDEX diagnostics_file ON diagnostics (file_id);
CREATE TABLE skipped (path TEXT PRIMARY KEY, reason TEXT NOT NULL, detail TEXT NOT NULL);
CREATE TABLE bindings (
    file_id INTEGER NOT NULL,
    scope_id INTEGER,
    name TEXT NOT NULL,
    type_name TEXT,
    value TEXT,
    line INTEGER NOT NULL
);
CREATE INDEX bindings_file ON bindings (file_id);
-- Resolved graph edges. Node types: 'file' (files.id), 'def' (definitions.id),
-- 'ext' (externals.id). file_id is the file the reference is written in.
CREATE TABLE edges (
    kind TEXT NOT NULL,
    src_type TEXT NOT NULL,
    src_id INTEGER NOT NULL,
    dst_type TEXT NOT NULL,
    dst_id INTEGER NOT NULL,
    provenance TEXT NOT NULL,
    file_id INTEGER NOT NULL,
    line INTEGER NOT NULL
);
CREATE INDEX edges_src ON edges (src_type, src_id);
CREATE INDEX edges_dst ON edges (dst_type, dst_id);
CREATE INDEX edges_file ON edges (file_id);
CREATE TABLE externals (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
-- Files whose search documents are out of date (written in the same
-- transaction as the change, cleared after the search index commits).
CREATE TABLE search_pending (path TEXT PRIMARY KEY);
-- The embedding cache: a chunk's vector by model and content hash, so
-- re-indexing, renames and duplicate chunks never embed twice.
-- The (model, hash) index is small, so coverage counts never read vectors.
CREATE TABLE embeddings (
    id INTEGER PRIMARY KEY,
    model TEXT NOT NULL,
    hash BLOB NOT NULL,
    vector BLOB NOT NULL,
    UNIQUE (model, hash)
);
";

/// Creates the schema in an empty database, or rebuilds one of another
/// version. Returns why it rebuilt, if it did.
/// Whether the database has any table.
pub(crate) fn has_tables(conn: &Connection) -> rusqlite::Result<bool> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' LIMIT 1",
            [],
            |_| Ok(true),
        )
        .optional()?
        .unwrap_or(false))
}

/// The format version the database at `conn` records (`None`: no meta
/// table or no version).
pub(crate) fn version(conn: &Connection) -> rusqlite::Result<Option<String>> {
    let has_meta: bool = conn
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'",
            [],
            |_| Ok(true),
        )
        .optional()?
        .unwrap_or(false);
    let version: Option<String> = if has_meta {
        conn.query_row(
            "SELECT value FROM meta WHERE key = 'format_version'",
            [],
            |r| r.get(0),
        )
        .optional()?
    } else {
        None
    };
    Ok(version)
}

pub(crate) fn ensure(conn: &Connection) -> rusqlite::Result<Option<String>> {
    let current = FORMAT_VERSION.to_string();
    if version(conn)?.as_deref() == Some(current.as_str()) {
        return Ok(None);
    }
    // Decided again inside the write transaction: another process may have
    // created the schema meanwhile (and begun writing: dropping its tables
    // on a stale read lost a concurrent writer's whole run).
    conn.execute_batch("BEGIN IMMEDIATE")?;
    match create_or_rebuild(conn, &current) {
        Ok(reason) => {
            conn.execute_batch("COMMIT")?;
            Ok(reason)
        }
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

/// Inside a write transaction: nothing when the schema is current, else
/// the schema created (over an older one, carrying the embedding cache).
fn create_or_rebuild(conn: &Connection, current: &str) -> rusqlite::Result<Option<String>> {
    let version = version(conn)?;
    if version.as_deref() == Some(current) {
        return Ok(None);
    }
    let any_table = has_tables(conn)?;
    let reason = any_table.then(|| {
        format!(
            "format version {} found, {} expected",
            version.as_deref().unwrap_or("none"),
            FORMAT_VERSION
        )
    });
    if let Some(reason) = &reason {
        tracing::warn!("{reason}: rebuilding the index");
    }
    let mut drop = String::new();
    // The embedding cache is keyed by (model, content hash) alone, so it
    // outlives any other format change; recomputing it is the costliest
    // part of a rebuild (minutes for a large repository). Carry it over when
    // the old table has the columns.
    let carry = {
        let mut stmt = conn.prepare("SELECT name FROM pragma_table_info('embeddings')")?;
        let columns: Vec<String> = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        ["model", "hash", "vector"]
            .iter()
            .all(|c| columns.iter().any(|x| x == c))
    };
    if carry {
        drop.push_str("DROP TABLE IF EXISTS embeddings_carried; ALTER TABLE embeddings RENAME TO embeddings_carried;");
    }
    let existing: Vec<String> = {
        let mut stmt = conn.prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        )?;
        stmt.query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?
    };
    for table in existing
        .iter()
        .map(String::as_str)
        .chain(TABLES.iter().copied())
        .filter(|t| !(carry && (*t == "embeddings" || *t == "embeddings_carried")))
    {
        drop.push_str(&format!(
            "DROP TABLE IF EXISTS \"{}\";",
            table.replace('"', "")
        ));
    }
    if carry {
        drop.push_str("DROP TABLE IF EXISTS embeddings;");
    }
    drop.push_str(SCHEMA);
    if carry {
        drop.push_str(
            "INSERT OR IGNORE INTO embeddings (model, hash, vector)
               SELECT model, hash, vector FROM embeddings_carried;
             DROP TABLE embeddings_carried;",
        );
    }
    drop.push_str(&format!(
        "INSERT INTO meta (key, value) VALUES ('format_version', '{FORMAT_VERSION}');"
    ));
    conn.execute_batch(&drop)?;
    Ok(reason)
}
