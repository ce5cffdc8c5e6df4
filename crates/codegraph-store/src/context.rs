//! Reads for completion context: every chunk's token ids in one pass, the
//! vocabulary, per-file import facts, and one file's facts rebuilt from rows.

use crate::graph::{collect, collect_p};
use crate::{Result, Store};
use codegraph_core::{
    Binding, DefKind, Definition, FileFacts, Import, Inheritance, Relation, Span, unpack_token_ids,
};
use rusqlite::OptionalExtension;
use std::collections::HashMap;

/// A file as completion context sees it.
#[derive(Debug, Clone)]
pub struct ContextFile {
    pub id: i64,
    pub path: String,
    pub language: String,
    pub mtime_ns: i64,
}

/// A chunk's place and token ids.
#[derive(Debug, Clone)]
pub struct ContextChunk {
    pub id: i64,
    pub file_id: i64,
    pub kind: String,
    pub start_line: u32,
    pub end_line: u32,
    pub tokens: Vec<u32>,
}

fn context_chunk(r: &rusqlite::Row<'_>) -> rusqlite::Result<ContextChunk> {
    Ok(ContextChunk {
        id: r.get(0)?,
        file_id: r.get(1)?,
        kind: r.get(2)?,
        start_line: r.get(3)?,
        end_line: r.get(4)?,
        tokens: unpack_token_ids(&r.get::<_, Vec<u8>>(5)?),
    })
}

impl Store {
    /// Every file with its modification time.
    pub fn context_files(&self) -> Result<Vec<ContextFile>> {
        collect(
            self,
            "SELECT id, path, language, mtime_ns FROM files ORDER BY id",
            |r| {
                Ok(ContextFile {
                    id: r.get(0)?,
                    path: r.get(1)?,
                    language: r.get(2)?,
                    mtime_ns: r.get(3)?,
                })
            },
        )
    }

    /// Every chunk with its token ids, grouped by file.
    pub fn context_chunks(&self) -> Result<Vec<ContextChunk>> {
        collect(
            self,
            "SELECT id, file_id, kind, start_line, end_line, tokens FROM chunks ORDER BY file_id, start_line, part",
            context_chunk,
        )
    }

    /// One file's chunks with their token ids, in [`Store::context_chunks`]
    /// order.
    pub fn context_chunks_of(&self, file_id: i64) -> Result<Vec<ContextChunk>> {
        collect_p(
            self,
            "SELECT id, file_id, kind, start_line, end_line, tokens FROM chunks WHERE file_id = ?1 ORDER BY start_line, part",
            &[file_id],
            context_chunk,
        )
    }

    /// Every import between two files of the repository: (importer, imported).
    pub fn file_import_links(&self) -> Result<Vec<(i64, i64)>> {
        collect(
            self,
            "SELECT src_id, dst_id FROM edges WHERE kind = 'imports' AND src_type = 'file' AND dst_type = 'file'",
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    }

    /// File id → path.
    pub fn context_file_paths(&self) -> Result<HashMap<i64, String>> {
        Ok(collect(self, "SELECT id, path FROM files", |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .into_iter()
        .collect())
    }

    /// Every definition's id, file, name and kind (the symbol table that
    /// completion context resolves names with).
    pub fn context_definitions(&self) -> Result<Vec<(i64, i64, String, String)>> {
        collect(
            self,
            "SELECT id, file_id, name, kind FROM definitions",
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
    }

    /// The token vocabulary: sub-token → id.
    pub fn vocabulary(&self) -> Result<HashMap<String, u32>> {
        Ok(collect(self, "SELECT text, id FROM tokens", |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?))
        })?
        .into_iter()
        .collect())
    }

    /// (file id, imported module as written) for every import.
    pub fn import_modules(&self) -> Result<Vec<(i64, String)>> {
        collect(self, "SELECT file_id, module FROM imports", |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
    }

    /// The files each import line of `file_id` resolved to: (line, file id).
    pub fn import_targets(&self, file_id: i64) -> Result<Vec<(u32, i64)>> {
        let conn = self.conn.lock();
        let mut stmt = conn
            .prepare_cached(
                "SELECT line, dst_id FROM edges
                 WHERE file_id = ?1 AND kind = 'imports' AND src_type = 'file' AND dst_type = 'file'",
            )
            .map_err(self.err())?;
        let rows = stmt
            .query_map([file_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(self.err())?;
        rows.collect::<rusqlite::Result<_>>().map_err(self.err())
    }

    /// The stored facts of one file (definitions, imports, inheritance and
    /// bindings; no calls or chunks), with its id and content hash.
    pub fn file_facts(&self, path: &str) -> Result<Option<(i64, Vec<u8>, FileFacts)>> {
        let conn = self.conn.lock();
        let Some((file_id, hash, language, line_count, package)) = conn
            .query_row(
                "SELECT id, hash, language, line_count, package FROM files WHERE path = ?1",
                [path],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, Vec<u8>>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, u32>(3)?,
                        r.get::<_, Option<String>>(4)?,
                    ))
                },
            )
            .optional()
            .map_err(self.err())?
        else {
            return Ok(None);
        };
        let query = |sql: &str| conn.prepare_cached(sql).map_err(self.err());
        let mut ids: HashMap<i64, usize> = HashMap::new();
        let mut parents: Vec<Option<i64>> = Vec::new();
        let mut definitions = Vec::new();
        {
            let mut stmt = query(
                "SELECT id, parent_id, name, qualified_name, kind, signature, doc,
                        start_byte, end_byte, start_line, end_line
                 FROM definitions WHERE file_id = ?1 ORDER BY start_byte, end_byte DESC",
            )?;
            let mut rows = stmt.query([file_id]).map_err(self.err())?;
            while let Some(r) = rows.next().map_err(self.err())? {
                let get = |e: rusqlite::Error| crate::StoreError::Sqlite {
                    path: self.path.clone(),
                    source: e,
                };
                let kind: String = r.get(4).map_err(get)?;
                ids.insert(r.get(0).map_err(get)?, definitions.len());
                parents.push(r.get(1).map_err(get)?);
                definitions.push(Definition {
                    name: r.get(2).map_err(get)?,
                    qualified_name: r.get(3).map_err(get)?,
                    kind: kind.parse().unwrap_or(DefKind::Function),
                    signature: r.get(5).map_err(get)?,
                    doc: r.get(6).map_err(get)?,
                    span: Span {
                        start_byte: r.get(7).map_err(get)?,
                        end_byte: r.get(8).map_err(get)?,
                        start_line: r.get(9).map_err(get)?,
                        end_line: r.get(10).map_err(get)?,
                    },
                    parent: None,
                });
            }
        }
        for (d, p) in definitions.iter_mut().zip(&parents) {
            d.parent = p.and_then(|p| ids.get(&p).copied());
        }
        let imports = {
            let mut stmt = query(
                "SELECT module, name, alias, wildcard, line FROM imports WHERE file_id = ?1 ORDER BY line",
            )?;
            let rows = stmt
                .query_map([file_id], |r| {
                    Ok(Import {
                        module: r.get(0)?,
                        name: r.get(1)?,
                        alias: r.get(2)?,
                        wildcard: r.get(3)?,
                        line: r.get(4)?,
                    })
                })
                .map_err(self.err())?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
                .map_err(self.err())?
        };
        let inheritance = {
            let mut stmt = query(
                "SELECT subject_id, subject, base, relation, line FROM inheritance WHERE file_id = ?1",
            )?;
            let rows = stmt
                .query_map([file_id], |r| {
                    Ok(Inheritance {
                        subject_def: r
                            .get::<_, Option<i64>>(0)?
                            .and_then(|id| ids.get(&id).copied()),
                        subject: r.get(1)?,
                        base: r.get(2)?,
                        relation: r.get::<_, String>(3)?.parse().unwrap_or(Relation::Extends),
                        line: r.get(4)?,
                    })
                })
                .map_err(self.err())?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
                .map_err(self.err())?
        };
        let bindings = {
            let mut stmt = query(
                "SELECT scope_id, name, type_name, value, line FROM bindings WHERE file_id = ?1",
            )?;
            let rows = stmt
                .query_map([file_id], |r| {
                    Ok(Binding {
                        scope: r
                            .get::<_, Option<i64>>(0)?
                            .and_then(|id| ids.get(&id).copied()),
                        name: r.get(1)?,
                        type_name: r.get(2)?,
                        value: r.get(3)?,
                        line: r.get(4)?,
                    })
                })
                .map_err(self.err())?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
                .map_err(self.err())?
        };
        Ok(Some((
            file_id,
            hash,
            FileFacts {
                language,
                line_count,
                package,
                definitions,
                imports,
                inheritance,
                bindings,
                ..FileFacts::default()
            },
        )))
    }

    /// The members of a definition (children by parent), in source order.
    pub fn members_of(&self, def_id: i64) -> Result<Vec<crate::DefinitionRow>> {
        self.definitions_where_id("d.parent_id = ?1", def_id)
    }

    /// One definition by id.
    pub fn definition(&self, def_id: i64) -> Result<Option<crate::DefinitionRow>> {
        Ok(self.definitions_where_id("d.id = ?1", def_id)?.pop())
    }
}
