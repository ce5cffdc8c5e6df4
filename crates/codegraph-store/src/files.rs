//! Files and what was extracted from them: the writer, and reads of
//! definitions, chunks, skips and counts.

use crate::{Conn, Result, StoreError, Tx, WriteSide};
use codegraph_core::{
    ChunkId, ChunkKind, DefId, DefKind, FileChange, FileFacts, FileId, SkipReason, chunk_ids,
    content_hash, definition_ids, pack_token_ids, unpack_token_ids,
};
use parking_lot::MutexGuard;
use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// What the store remembers of a file to decide whether it changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileState {
    pub id: FileId,
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

/// An indexed file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileRow {
    pub path: String,
    pub language: String,
    pub line_count: u32,
}

/// A definition as stored.
#[derive(Debug, Clone, Serialize)]
pub struct DefinitionRow {
    pub id: DefId,
    pub path: String,
    pub name: String,
    pub qualified_name: String,
    pub kind: DefKind,
    pub signature: String,
    pub doc: Option<String>,
    pub start_line: u32,
    pub end_line: u32,
    /// The enclosing definition's qualified name.
    pub parent: Option<String>,
}

/// A chunk as stored, with its token ids.
#[derive(Debug, Clone, Serialize)]
pub struct ChunkRow {
    pub id: ChunkId,
    pub path: String,
    pub kind: ChunkKind,
    pub symbol: Option<String>,
    pub start_line: u32,
    pub end_line: u32,
    pub text: String,
    pub token_ids: Vec<u32>,
}

/// Counts over the whole index.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Stats {
    pub files: u64,
    pub files_by_language: BTreeMap<String, u64>,
    pub definitions: BTreeMap<DefKind, u64>,
    pub chunks: u64,
    pub imports: u64,
    pub calls: u64,
    pub inheritance: u64,
    pub tokens: u64,
    pub skipped: BTreeMap<SkipReason, u64>,
    pub files_with_diagnostics: u64,
    pub diagnostics: u64,
}

/// One skipped path and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    pub path: String,
    pub reason: SkipReason,
    pub detail: String,
}

/// A parse diagnostic of an indexed file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub path: String,
    pub line: u32,
    pub message: String,
}

const DEFINITION_SQL: &str =
    "SELECT d.id, f.path, d.name, d.qualified_name, d.kind, d.signature, d.doc,
        d.start_line, d.end_line, p.qualified_name
 FROM definitions d JOIN files f ON f.id = d.file_id
 LEFT JOIN definitions p ON p.id = d.parent_id";
const DEFINITION_ORDER: &str = "ORDER BY f.path, d.start_byte, d.end_byte DESC";

/// [`Conn::members_outside`]'s query: top-level callables whose qualified
/// name lies in a range.
pub(crate) fn members_outside_sql() -> String {
    format!(
        // `+` keeps SQLite on the qualified-name range: by the parent index
        // it scanned every top-level definition (27 ms per completion
        // request on java.base), by the kind index every method (280 ms).
        "{DEFINITION_SQL} WHERE d.qualified_name > ?1 AND d.qualified_name < ?2
         AND +d.parent_id IS NULL AND +d.kind IN ('method', 'function') {DEFINITION_ORDER}"
    )
}

fn definition_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<DefinitionRow> {
    Ok(DefinitionRow {
        id: DefId(r.get(0)?),
        path: r.get(1)?,
        name: r.get(2)?,
        qualified_name: r.get(3)?,
        kind: parse_kind(r, 4)?,
        signature: r.get(5)?,
        doc: r.get(6)?,
        start_line: r.get(7)?,
        end_line: r.get(8)?,
        parent: r.get(9)?,
    })
}

/// A kind column parsed into its enum; an unknown text is a conversion
/// error (the file was written by another version: the format check
/// rebuilds such files first).
pub(crate) fn parse_kind<T: std::str::FromStr>(
    r: &rusqlite::Row<'_>,
    column: usize,
) -> rusqlite::Result<T>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    let text: String = r.get(column)?;
    text.parse().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(column, rusqlite::types::Type::Text, Box::new(e))
    })
}

impl Conn {
    /// Size, mtime and hash of every indexed file, by path.
    pub fn file_states(&self) -> Result<HashMap<String, FileState>> {
        let rows = self.rows(
            "SELECT path, id, size, mtime_ns, hash FROM files",
            [],
            |r| {
                let hash: Vec<u8> = r.get(4)?;
                let mut h = [0u8; 32];
                if hash.len() == 32 {
                    h.copy_from_slice(&hash);
                }
                Ok((
                    r.get::<_, String>(0)?,
                    FileState {
                        id: FileId(r.get(1)?),
                        size: r.get::<_, i64>(2)? as u64,
                        mtime_ns: r.get(3)?,
                        hash: h,
                    },
                ))
            },
        )?;
        Ok(rows.into_iter().collect())
    }

    /// Number of chunks.
    pub fn chunk_count(&self) -> Result<u64> {
        self.count("SELECT COUNT(*) FROM chunks")
    }

    /// Counts over the whole index.
    pub fn stats(&self) -> Result<Stats> {
        fn grouped<K: Ord + std::str::FromStr>(conn: &Conn, sql: &str) -> Result<BTreeMap<K, u64>>
        where
            K::Err: std::error::Error + Send + Sync + 'static,
        {
            let rows = conn.rows(sql, [], |r| {
                Ok((parse_kind(r, 0)?, r.get::<_, i64>(1)? as u64))
            })?;
            Ok(rows.into_iter().collect())
        }
        Ok(Stats {
            files: self.count("SELECT COUNT(*) FROM files")?,
            files_by_language: self
                .rows(
                    "SELECT language, COUNT(*) FROM files GROUP BY language",
                    [],
                    |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)),
                )?
                .into_iter()
                .collect(),
            definitions: grouped(self, "SELECT kind, COUNT(*) FROM definitions GROUP BY kind")?,
            chunks: self.count("SELECT COUNT(*) FROM chunks")?,
            imports: self.count("SELECT COUNT(*) FROM imports")?,
            calls: self.count("SELECT COUNT(*) FROM calls")?,
            inheritance: self.count("SELECT COUNT(*) FROM inheritance")?,
            tokens: self.count("SELECT COUNT(*) FROM tokens")?,
            skipped: grouped(self, "SELECT reason, COUNT(*) FROM skipped GROUP BY reason")?,
            files_with_diagnostics: self
                .count("SELECT COUNT(DISTINCT file_id) FROM diagnostics")?,
            diagnostics: self.count("SELECT COUNT(*) FROM diagnostics")?,
        })
    }

    /// The definitions of one file, in source order.
    pub fn definitions_in_file(&self, path: &str) -> Result<Vec<DefinitionRow>> {
        self.rows(
            &format!("{DEFINITION_SQL} WHERE f.path = ?1 {DEFINITION_ORDER}"),
            [path],
            definition_row,
        )
    }

    /// Definitions whose name or qualified name is `name`.
    pub fn definitions_named(&self, name: &str) -> Result<Vec<DefinitionRow>> {
        self.rows(
            &format!(
                "{DEFINITION_SQL} WHERE (d.name = ?1 OR d.qualified_name = ?1) {DEFINITION_ORDER}"
            ),
            [name],
            definition_row,
        )
    }

    /// The first chunk of each definition of `defs` (through the file
    /// index: a definition's chunks are in its file), as `(def, chunk)`.
    pub fn first_chunks_of(&self, defs: &[DefId]) -> Result<Vec<(DefId, ChunkId)>> {
        let mut out = Vec::with_capacity(defs.len());
        for d in defs {
            out.extend(self.rows(
                "SELECT c.id FROM chunks c
                 WHERE c.file_id = (SELECT file_id FROM definitions WHERE id = ?1)
                   AND c.def_id = ?1
                 ORDER BY c.part LIMIT 1",
                [d.0],
                |r| Ok((*d, ChunkId(r.get(0)?))),
            )?);
        }
        Ok(out)
    }

    /// The members of a definition (children by parent), in source order.
    pub fn members_of(&self, def: DefId) -> Result<Vec<DefinitionRow>> {
        self.rows(
            &format!("{DEFINITION_SQL} WHERE d.parent_id = ?1 {DEFINITION_ORDER}"),
            [def.0],
            definition_row,
        )
    }

    /// Functions and methods named under `qualified` (`pkg.Server.Close`
    /// for `pkg.Server` and separator `.`) but declared outside it: Go
    /// methods, Rust `impl` blocks, in any file.
    pub fn members_outside(&self, qualified: &str, separator: &str) -> Result<Vec<DefinitionRow>> {
        let low = format!("{qualified}{separator}");
        let high = format!("{qualified}{separator}\u{10FFFF}");
        let mut rows = self.rows(&members_outside_sql(), [&low, &high], definition_row)?;
        rows.retain(|r| !r.qualified_name[low.len()..].contains(separator));
        Ok(rows)
    }

    /// The definitions `def` inherits from or implements, as resolved.
    pub fn bases_of(&self, def: DefId) -> Result<Vec<DefId>> {
        self.rows(
            "SELECT dst_id FROM edges WHERE src_type = 'def' AND src_id = ?1
               AND kind = 'inherits' AND dst_type = 'def'",
            [def.0],
            |r| Ok(DefId(r.get(0)?)),
        )
    }

    /// The stored outline of a type (its text with members' bodies elided),
    /// its parts joined; `None` when it has no outline chunk.
    pub fn outline_text(&self, def: DefId) -> Result<Option<String>> {
        let parts: Vec<String> = self.rows(
            "SELECT text FROM chunks
             WHERE file_id = (SELECT file_id FROM definitions WHERE id = ?1)
               AND def_id = ?1 AND kind = 'outline' ORDER BY part",
            [def.0],
            |r| r.get(0),
        )?;
        let mut out = String::new();
        for (i, p) in parts.iter().enumerate() {
            if i == 0 {
                out.push_str(p);
            } else {
                // Later parts repeat the signature on their first line.
                out.push('\n');
                out.push_str(p.split_once('\n').map_or("", |(_, rest)| rest));
            }
        }
        Ok((!parts.is_empty()).then_some(out))
    }

    /// Bindings of `file` at module level (no enclosing definition) named
    /// `name`: (type as written, variable assigned from), latest first.
    pub fn module_bindings(
        &self,
        path: &str,
        name: &str,
    ) -> Result<Vec<(Option<String>, Option<String>)>> {
        self.rows(
            "SELECT b.type_name, b.value FROM bindings b JOIN files f ON f.id = b.file_id
             WHERE f.path = ?1 AND b.scope_id IS NULL AND b.name = ?2 ORDER BY b.line DESC",
            [path, name],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    }

    /// Bindings inside type `def` or its members (fields: `x: T`,
    /// `self.x = T()`): (name as written, type as written, value).
    pub fn member_bindings(&self, def: DefId) -> Result<Vec<MemberBinding>> {
        self.rows(
            "SELECT b.name, b.type_name, b.value FROM bindings b
             WHERE b.file_id = (SELECT file_id FROM definitions WHERE id = ?1)
               AND (b.scope_id = ?1 OR b.scope_id IN (SELECT id FROM definitions WHERE parent_id = ?1))
             ORDER BY b.line",
            [def.0],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
    }

    /// One definition by id.
    pub fn definition(&self, def: DefId) -> Result<Option<DefinitionRow>> {
        Ok(self
            .rows(
                &format!("{DEFINITION_SQL} WHERE d.id = ?1"),
                [def.0],
                definition_row,
            )?
            .pop())
    }

    /// The chunks of one file, in source order.
    pub fn chunks_in_file(&self, path: &str) -> Result<Vec<ChunkRow>> {
        self.rows(
            "SELECT c.id, f.path, c.kind, d.qualified_name, c.start_line, c.end_line, c.text, c.tokens
             FROM chunks c JOIN files f ON f.id = c.file_id
             LEFT JOIN definitions d ON d.id = c.def_id
             WHERE f.path = ?1 ORDER BY c.start_line, c.part",
            [path],
            |r| {
                Ok(ChunkRow {
                    id: ChunkId(r.get(0)?),
                    path: r.get(1)?,
                    kind: parse_kind(r, 2)?,
                    symbol: r.get(3)?,
                    start_line: r.get(4)?,
                    end_line: r.get(5)?,
                    text: r.get(6)?,
                    token_ids: unpack_token_ids(&r.get::<_, Vec<u8>>(7)?),
                })
            },
        )
    }

    /// Whether `path` is an indexed file.
    pub fn has_file(&self, path: &str) -> Result<bool> {
        Ok(!self
            .rows("SELECT 1 FROM files WHERE path = ?1", [path], |_| Ok(()))?
            .is_empty())
    }

    /// A file's leading doc comment, module docstring or README paragraph.
    pub fn file_doc(&self, path: &str) -> Result<Option<String>> {
        Ok(self
            .rows("SELECT doc FROM files WHERE path = ?1", [path], |r| {
                r.get::<_, Option<String>>(0)
            })?
            .pop()
            .flatten())
    }

    /// The text of token `id`.
    pub fn token_text(&self, id: u32) -> Result<Option<String>> {
        Ok(self
            .rows("SELECT text FROM tokens WHERE id = ?1", [id], |r| r.get(0))?
            .pop())
    }

    /// Every indexed file, by path.
    pub fn files(&self) -> Result<Vec<FileRow>> {
        self.rows(
            "SELECT path, language, line_count FROM files ORDER BY path",
            [],
            |r| {
                Ok(FileRow {
                    path: r.get(0)?,
                    language: r.get(1)?,
                    line_count: r.get(2)?,
                })
            },
        )
    }

    /// Skipped paths, sorted.
    pub fn skipped(&self) -> Result<Vec<Skipped>> {
        self.rows(
            "SELECT path, reason, detail FROM skipped ORDER BY path",
            [],
            |r| {
                Ok(Skipped {
                    path: r.get(0)?,
                    reason: parse_kind(r, 1)?,
                    detail: r.get(2)?,
                })
            },
        )
    }

    /// Parse diagnostics, by path and line.
    pub fn diagnostics(&self) -> Result<Vec<Diagnostic>> {
        self.rows(
            "SELECT f.path, g.line, g.message FROM diagnostics g JOIN files f ON f.id = g.file_id
             ORDER BY f.path, g.line",
            [],
            |r| {
                Ok(Diagnostic {
                    path: r.get(0)?,
                    line: r.get(1)?,
                    message: r.get(2)?,
                })
            },
        )
    }
}

/// One write transaction ([`crate::Store::writer`]). Dropped without
/// [`Writer::commit`], it rolls back and forgets the tokens it interned.
pub struct Writer<'a> {
    pub(crate) side: MutexGuard<'a, WriteSide>,
    tx: Option<Tx>,
    added: Vec<String>,
    now: i64,
    /// Whether this write replaced or removed chunks (the recorded vector
    /// coverage no longer holds).
    chunks_changed: bool,
}

impl std::fmt::Debug for Writer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer")
            .field("path", &self.side.conn.path())
            .finish()
    }
}

impl Drop for Writer<'_> {
    fn drop(&mut self) {
        if let Some(tx) = self.tx.take() {
            tx.rollback(&self.side.conn.conn);
            if let Some(vocab) = self.side.vocab.as_mut() {
                for token in self.added.drain(..) {
                    vocab.remove(&token);
                }
            }
        }
    }
}

/// Tables holding what was extracted from a file, keyed by `file_id`.
const FACT_TABLES: &[&str] = &[
    "definitions",
    "imports",
    "calls",
    "inheritance",
    "chunks",
    "diagnostics",
    "bindings",
];

impl<'a> Writer<'a> {
    pub(crate) fn begin(mut side: MutexGuard<'a, WriteSide>) -> Result<Writer<'a>> {
        if side.vocab.is_none() {
            let vocab = side
                .conn
                .rows("SELECT text, id FROM tokens", [], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?))
                })?
                .into_iter()
                .collect();
            side.vocab = Some(vocab);
        }
        let tx = Tx::begin(&side.conn.conn).map_err(side.conn.err())?;
        Ok(Writer {
            side,
            tx: Some(tx),
            added: Vec::new(),
            now: codegraph_core::unix_now_secs(),
            chunks_changed: false,
        })
    }

    fn conn(&self) -> &rusqlite::Connection {
        &self.side.conn.conn
    }

    fn err(&self) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        self.side.conn.err()
    }

    /// Runs one prepared statement per item.
    fn insert_all<T>(
        &self,
        sql: &str,
        items: impl IntoIterator<Item = T>,
        mut execute: impl FnMut(&mut rusqlite::CachedStatement<'_>, T) -> rusqlite::Result<usize>,
    ) -> Result<()> {
        let mut stmt = self.conn().prepare_cached(sql).map_err(self.err())?;
        for item in items {
            execute(&mut stmt, item).map_err(self.err())?;
        }
        Ok(())
    }

    /// Maps sub-tokens to ids, adding new ones to the vocabulary.
    fn intern(&mut self, tokens: &[String]) -> Result<Vec<u32>> {
        let mut ids = Vec::with_capacity(tokens.len());
        for token in tokens {
            let known = self.side.vocab.as_ref().and_then(|v| v.get(token)).copied();
            let id = match known {
                Some(id) => id,
                None => {
                    let vocab = self.side.vocab.as_ref().expect("loaded by begin");
                    let id = vocab.len() as u32 + 1;
                    self.conn()
                        .prepare_cached("INSERT INTO tokens (id, text) VALUES (?1, ?2)")
                        .and_then(|mut s| s.execute(params![id, token]))
                        .map_err(self.err())?;
                    self.side
                        .vocab
                        .as_mut()
                        .expect("loaded by begin")
                        .insert(token.clone(), id);
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

    fn file_id(&self, path: &str) -> Result<Option<FileId>> {
        self.conn()
            .prepare_cached("SELECT id FROM files WHERE path = ?1")
            .and_then(|mut s| s.query_row([path], |r| r.get(0)).optional())
            .map(|id| id.map(FileId))
            .map_err(self.err())
    }

    fn delete_children(&self, file: FileId) -> Result<()> {
        for table in FACT_TABLES {
            self.conn()
                .prepare_cached(&format!("DELETE FROM {table} WHERE file_id = ?1"))
                .and_then(|mut s| s.execute([file.0]))
                .map_err(self.err())?;
        }
        Ok(())
    }

    /// (id, name) of a file's definitions as stored now.
    fn definition_names(&self, file: FileId) -> Result<Vec<(DefId, String)>> {
        self.side.conn.rows(
            "SELECT id, name FROM definitions WHERE file_id = ?1",
            [file.0],
            |r| Ok((DefId(r.get(0)?), r.get(1)?)),
        )
    }

    /// Writes the file row, replacing what was stored for that path; its
    /// id, and the definitions it had.
    fn upsert_file(&self, rec: &FileRecord<'_>) -> Result<(FileId, Vec<(DefId, String)>)> {
        let facts = rec.facts;
        let values = params![
            rec.path,
            facts.language,
            rec.size as i64,
            rec.mtime_ns,
            &rec.hash[..],
            facts.line_count,
            facts.doc,
            facts.package,
            self.now
        ];
        if let Some(id) = self.file_id(rec.path)? {
            let old = self.definition_names(id)?;
            self.delete_children(id)?;
            self.conn()
                .prepare_cached(
                    "UPDATE files SET language=?2, size=?3, mtime_ns=?4, hash=?5, line_count=?6,
                     doc=?7, package=?8, indexed_at=?9 WHERE path=?1",
                )
                .and_then(|mut s| s.execute(values))
                .map_err(self.err())?;
            return Ok((id, old));
        }
        self.conn()
            .prepare_cached(
                "INSERT INTO files (path, language, size, mtime_ns, hash, line_count, doc, package, indexed_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )
            .and_then(|mut s| s.execute(values))
            .map_err(self.err())?;
        Ok((FileId(self.conn().last_insert_rowid()), Vec::new()))
    }

    /// Writes a file and everything extracted from it, replacing what was
    /// stored for that path.
    pub fn replace_file(&mut self, rec: &FileRecord<'_>) -> Result<FileChange> {
        self.chunks_changed = true;
        let facts = rec.facts;
        let (file, old_definitions) = self.upsert_file(rec)?;
        let f = file.0;
        let def_ids = definition_ids(rec.path, facts);
        let def = |i: Option<usize>| i.map(|i| def_ids[i].0);
        self.insert_all(
            "INSERT OR REPLACE INTO definitions (id, file_id, parent_id, name, qualified_name, kind, signature, doc,
             start_byte, end_byte, start_line, end_line) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)",
            facts.definitions.iter().zip(&def_ids),
            |s, (d, id)| {
                s.execute(params![
                    id.0,
                    f,
                    def(d.parent),
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
            },
        )?;
        self.insert_all(
            "INSERT INTO imports (file_id, module, name, alias, wildcard, line) VALUES (?1,?2,?3,?4,?5,?6)",
            &facts.imports,
            |s, i| s.execute(params![f, i.module, i.name, i.alias, i.wildcard, i.line]),
        )?;
        self.insert_all(
            "INSERT INTO calls (file_id, caller_id, name, receiver, path, args, line, col, kind) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)",
            &facts.calls,
            |s, c| {
                s.execute(params![
                    f,
                    def(c.enclosing),
                    c.name,
                    c.receiver,
                    c.path,
                    c.args,
                    c.line,
                    c.column,
                    c.kind.as_str()
                ])
            },
        )?;
        self.insert_all(
            "INSERT INTO inheritance (file_id, subject_id, subject, base, relation, line) VALUES (?1,?2,?3,?4,?5,?6)",
            &facts.inheritance,
            |s, h| {
                s.execute(params![
                    f,
                    def(h.subject_def),
                    h.subject,
                    h.base,
                    h.relation.as_str(),
                    h.line
                ])
            },
        )?;
        self.insert_all(
            "INSERT INTO bindings (file_id, scope_id, name, type_name, value, line) VALUES (?1,?2,?3,?4,?5,?6)",
            &facts.bindings,
            |s, b| s.execute(params![f, def(b.scope), b.name, b.type_name, b.value, b.line]),
        )?;
        self.insert_all(
            "INSERT INTO diagnostics (file_id, line, message) VALUES (?1,?2,?3)",
            &facts.diagnostics,
            |s, d| s.execute(params![f, d.line, d.message]),
        )?;
        let chunk_ids = chunk_ids(rec.path, facts, &def_ids);
        let mut token_ids = Vec::with_capacity(facts.chunks.len());
        for i in 0..facts.chunks.len() {
            let tokens = rec.chunk_tokens.get(i).map(Vec::as_slice).unwrap_or(&[]);
            token_ids.push(self.intern(tokens)?);
        }
        self.insert_all(
            "INSERT OR REPLACE INTO chunks (id, file_id, def_id, kind, part, start_line, end_line, start_byte, end_byte, hash, text, tokens)
             VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)",
            facts.chunks.iter().zip(&chunk_ids).zip(&token_ids),
            |s, ((c, id), ids)| {
                s.execute(params![
                    id.0,
                    f,
                    def(c.def),
                    c.kind.as_str(),
                    c.part,
                    c.span.start_line,
                    c.span.end_line,
                    c.span.start_byte,
                    c.span.end_byte,
                    &content_hash(c.text.as_bytes())[..],
                    c.text,
                    pack_token_ids(ids)
                ])
            },
        )?;
        Ok(FileChange {
            file,
            old_definitions,
            deleted: false,
        })
    }

    /// Marks a path whose search documents must be re-synced.
    pub fn mark_search_pending(&mut self, path: &str) -> Result<()> {
        self.conn()
            .prepare_cached("INSERT OR IGNORE INTO search_pending (path) VALUES (?1)")
            .and_then(|mut s| s.execute([path]))
            .map_err(self.err())?;
        Ok(())
    }

    /// Records a new mtime for a file whose content did not change.
    pub fn touch_file(&mut self, path: &str, mtime_ns: i64) -> Result<()> {
        self.conn()
            .prepare_cached("UPDATE files SET mtime_ns = ?2 WHERE path = ?1")
            .and_then(|mut s| s.execute(params![path, mtime_ns]))
            .map_err(self.err())?;
        Ok(())
    }

    /// Removes a file and everything extracted from it.
    pub fn delete_file(&mut self, path: &str) -> Result<Option<FileChange>> {
        let Some(file) = self.file_id(path)? else {
            return Ok(None);
        };
        let old_definitions = self.definition_names(file)?;
        self.chunks_changed = true;
        self.delete_children(file)?;
        self.conn()
            .execute("DELETE FROM files WHERE id = ?1", [file.0])
            .map_err(self.err())?;
        Ok(Some(FileChange {
            file,
            old_definitions,
            deleted: true,
        }))
    }

    /// Replaces the list of skipped paths.
    pub fn set_skipped(&mut self, skipped: &[Skipped]) -> Result<()> {
        self.conn()
            .execute("DELETE FROM skipped", [])
            .map_err(self.err())?;
        self.insert_all(
            "INSERT OR REPLACE INTO skipped (path, reason, detail) VALUES (?1, ?2, ?3)",
            skipped,
            |s, k| s.execute(params![k.path, k.reason.as_str(), k.detail]),
        )
    }

    pub fn commit(mut self) -> Result<()> {
        if self.chunks_changed {
            crate::embeddings::forget_coverage(self.conn()).map_err(self.err())?;
        }
        let tx = self.tx.take().expect("a writer commits once");
        tx.commit(self.conn()).map_err(self.err())?;
        self.added.clear();
        Ok(())
    }
}

/// A binding inside a type or its members: (name as written, type as
/// written, value).
pub type MemberBinding = (String, Option<String>, Option<String>);
