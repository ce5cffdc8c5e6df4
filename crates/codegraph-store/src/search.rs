//! What the search indexes read: each chunk's search document, the files
//! whose documents wait for a sync, and the details a result shows.

use crate::files::parse_kind;
use crate::{Conn, Result, Store};
use codegraph_core::{ChunkId, ChunkKind, DefId, DocKind, SearchDoc};
use serde::Serialize;

/// A chunk with what a search result shows.
#[derive(Debug, Clone, Serialize)]
pub struct ChunkDetail {
    pub id: ChunkId,
    pub path: String,
    pub language: String,
    pub kind: DocKind,
    pub symbol: Option<String>,
    pub def_id: Option<DefId>,
    pub start_line: u32,
    pub end_line: u32,
    pub text: String,
    /// The file's importance in `[0, 1]` (0 before the graph is built).
    pub importance: f64,
}

const SEARCH_DOC_SQL: &str =
    "SELECT c.id, f.path, f.language, COALESCE(d.kind, c.kind), COALESCE(d.name, ''),
        COALESCE(d.qualified_name, ''), COALESCE(d.signature, ''), COALESCE(d.doc, ''), c.text
     FROM chunks c JOIN files f ON f.id = c.file_id LEFT JOIN definitions d ON d.id = c.def_id";

fn search_doc(r: &rusqlite::Row<'_>) -> rusqlite::Result<SearchDoc> {
    Ok(SearchDoc {
        chunk_id: ChunkId(r.get(0)?),
        path: r.get(1)?,
        language: r.get(2)?,
        kind: parse_kind(r, 3)?,
        name: r.get(4)?,
        qualified_name: r.get(5)?,
        signature: r.get(6)?,
        doc: r.get(7)?,
        body: r.get(8)?,
    })
}

impl Conn {
    /// Search documents of every chunk, or of the chunks of `paths`.
    pub fn search_docs(&self, paths: Option<&[String]>) -> Result<Vec<SearchDoc>> {
        let mut out = Vec::new();
        self.each_search_doc(paths, |d| {
            out.push(d);
            true
        })?;
        Ok(out)
    }

    /// [`Conn::search_docs`] one at a time, never all in memory; `f`
    /// returns false to stop.
    pub fn each_search_doc(
        &self,
        paths: Option<&[String]>,
        mut f: impl FnMut(SearchDoc) -> bool,
    ) -> Result<()> {
        let by_path = format!("{SEARCH_DOC_SQL} WHERE f.path = ?1");
        self.each_row(SEARCH_DOC_SQL, &by_path, paths, |row| {
            Ok(f(search_doc(row).map_err(self.err())?))
        })
    }

    /// Runs `all`, or `by_path` once per path of `paths`, handing each
    /// row to `f` until it returns false.
    fn each_row(
        &self,
        all: &str,
        by_path: &str,
        paths: Option<&[String]>,
        mut f: impl FnMut(&rusqlite::Row<'_>) -> Result<bool>,
    ) -> Result<()> {
        let sql = if paths.is_some() { by_path } else { all };
        let mut stmt = self.conn.prepare_cached(sql).map_err(self.err())?;
        let keys: Vec<Option<&String>> = match paths {
            None => vec![None],
            Some(paths) => paths.iter().map(Some).collect(),
        };
        for key in keys {
            let mut rows = match key {
                None => stmt.query([]),
                Some(p) => stmt.query([p]),
            }
            .map_err(self.err())?;
            while let Some(row) = rows.next().map_err(self.err())? {
                if !f(row)? {
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    /// One search document per file, for ranking whole files: the file's
    /// chunks' text in line order as the body, its path, its name without
    /// the extension as the name, and its first chunk as the document's id
    /// (the chunk a file-level hit stands for). Every file, or those of
    /// `paths`; files without chunks have none.
    pub fn file_search_docs(&self, paths: Option<&[String]>) -> Result<Vec<SearchDoc>> {
        let mut out = Vec::new();
        self.each_file_search_doc(paths, |d| {
            out.push(d);
            true
        })?;
        Ok(out)
    }

    /// [`Conn::file_search_docs`] one file at a time; `f` returns false
    /// to stop.
    pub fn each_file_search_doc(
        &self,
        paths: Option<&[String]>,
        mut f: impl FnMut(SearchDoc) -> bool,
    ) -> Result<()> {
        const SQL: &str = "SELECT c.id, f.path, f.language, c.text
            FROM chunks c JOIN files f ON f.id = c.file_id";
        const ORDER: &str = "ORDER BY f.path, c.start_line, c.part";
        let all = format!("{SQL} {ORDER}");
        let by_path = format!("{SQL} WHERE f.path = ?1 {ORDER}");
        let mut open: Option<SearchDoc> = None;
        self.each_row(&all, &by_path, paths, |r| {
            let row = || -> rusqlite::Result<(i64, String, String, String)> {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            };
            let (id, path, language, text) = row().map_err(self.err())?;
            if let Some(d) = open.as_mut().filter(|d| d.path == path) {
                d.body.push('\n');
                d.body.push_str(&text);
                return Ok(true);
            }
            if let Some(done) = open.take()
                && !f(done)
            {
                return Ok(false);
            }
            let file_name = path.rsplit('/').next().unwrap_or(&path);
            let stem = file_name.split('.').next().unwrap_or(file_name);
            open = Some(SearchDoc {
                chunk_id: ChunkId(id),
                name: stem.to_owned(),
                qualified_name: String::new(),
                signature: String::new(),
                doc: String::new(),
                kind: DocKind::Chunk(ChunkKind::Code),
                body: text,
                language,
                path,
            });
            Ok(true)
        })?;
        // (Stopped early, nothing is open: the stopping file was taken.)
        if let Some(done) = open {
            f(done);
        }
        Ok(())
    }

    /// Files that have chunks (the documents of the file-level index).
    pub fn files_with_chunks(&self) -> Result<u64> {
        self.count("SELECT COUNT(DISTINCT file_id) FROM chunks")
    }

    /// Paths whose search documents are out of date.
    pub fn search_pending(&self) -> Result<Vec<String>> {
        self.rows("SELECT path FROM search_pending ORDER BY path", [], |r| {
            r.get(0)
        })
    }

    /// Chunks by id, with their file and definition, in the order asked
    /// (ids not found are left out). Run it on a snapshot to see one state.
    pub fn chunk_details(&self, ids: &[ChunkId]) -> Result<Vec<ChunkDetail>> {
        self.chunk_rows(ids, true)
    }

    /// [`Conn::chunk_details`] without the chunks' text (left empty): what
    /// ranking needs, without reading every candidate's body.
    pub fn chunk_summaries(&self, ids: &[ChunkId]) -> Result<Vec<ChunkDetail>> {
        self.chunk_rows(ids, false)
    }

    /// The text of each chunk found, in the order asked.
    pub fn chunk_texts(&self, ids: &[ChunkId]) -> Result<Vec<(ChunkId, String)>> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.extend(
                self.rows("SELECT id, text FROM chunks WHERE id = ?1", [id.0], |r| {
                    Ok((ChunkId(r.get(0)?), r.get(1)?))
                })?,
            );
        }
        Ok(out)
    }

    fn chunk_rows(&self, ids: &[ChunkId], with_text: bool) -> Result<Vec<ChunkDetail>> {
        // One statement either way; without text the column reads empty.
        let text = if with_text { "c.text" } else { "''" };
        let sql = format!(
            "SELECT c.id, f.path, f.language, COALESCE(d.kind, c.kind), d.qualified_name, c.def_id,
                    c.start_line, c.end_line, {text}, COALESCE(f.importance, 0)
             FROM chunks c JOIN files f ON f.id = c.file_id LEFT JOIN definitions d ON d.id = c.def_id
             WHERE c.id = ?1"
        );
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.extend(self.rows(&sql, [id.0], |r| {
                Ok(ChunkDetail {
                    id: ChunkId(r.get(0)?),
                    path: r.get(1)?,
                    language: r.get(2)?,
                    kind: parse_kind(r, 3)?,
                    symbol: r.get(4)?,
                    def_id: r.get::<_, Option<i64>>(5)?.map(DefId),
                    start_line: r.get(6)?,
                    end_line: r.get(7)?,
                    text: r.get(8)?,
                    importance: r.get(9)?,
                })
            })?);
        }
        Ok(out)
    }
}

impl Store {
    /// Forgets pending paths once the search index has them.
    pub fn clear_search_pending(&mut self, paths: &[String]) -> Result<()> {
        self.write(|conn| {
            let mut stmt = conn
                .conn
                .prepare_cached("DELETE FROM search_pending WHERE path = ?1")
                .map_err(conn.err())?;
            for p in paths {
                stmt.execute([p]).map_err(conn.err())?;
            }
            Ok(())
        })
    }
}
