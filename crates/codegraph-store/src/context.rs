//! Reads for completion context: every chunk's token ids in one pass, the
//! vocabulary, per-file import facts, and one file's facts rebuilt from rows.

use crate::files::parse_kind;
use crate::{Conn, Result};
use codegraph_core::{
    Binding, ChunkId, ChunkKind, DefId, DefKind, Definition, FileFacts, FileId, Import,
    Inheritance, Span, unpack_token_ids,
};
use std::collections::HashMap;

/// A file as completion context sees it.
#[derive(Debug, Clone)]
pub struct ContextFile {
    pub id: FileId,
    pub path: String,
    pub language: String,
    pub mtime_ns: i64,
}

/// A chunk's place and token ids.
#[derive(Debug, Clone)]
pub struct ContextChunk {
    pub id: ChunkId,
    pub file_id: FileId,
    pub kind: ChunkKind,
    pub start_line: u32,
    pub end_line: u32,
    pub tokens: Vec<u32>,
}

fn context_chunk(r: &rusqlite::Row<'_>) -> rusqlite::Result<ContextChunk> {
    Ok(ContextChunk {
        id: ChunkId(r.get(0)?),
        file_id: FileId(r.get(1)?),
        kind: parse_kind(r, 2)?,
        start_line: r.get(3)?,
        end_line: r.get(4)?,
        tokens: unpack_token_ids(&r.get::<_, Vec<u8>>(5)?),
    })
}

impl Conn {
    /// Every file with its modification time.
    pub fn context_files(&self) -> Result<Vec<ContextFile>> {
        self.rows(
            "SELECT id, path, language, mtime_ns FROM files ORDER BY id",
            [],
            |r| {
                Ok(ContextFile {
                    id: FileId(r.get(0)?),
                    path: r.get(1)?,
                    language: r.get(2)?,
                    mtime_ns: r.get(3)?,
                })
            },
        )
    }

    /// Every chunk with its token ids, grouped by file.
    pub fn context_chunks(&self) -> Result<Vec<ContextChunk>> {
        self.rows(
            "SELECT id, file_id, kind, start_line, end_line, tokens FROM chunks ORDER BY file_id, start_line, part",
            [],
            context_chunk,
        )
    }

    /// One file's chunks with their token ids, in [`Conn::context_chunks`]
    /// order.
    pub fn context_chunks_of(&self, file: FileId) -> Result<Vec<ContextChunk>> {
        self.rows(
            "SELECT id, file_id, kind, start_line, end_line, tokens FROM chunks WHERE file_id = ?1 ORDER BY start_line, part",
            [file.0],
            context_chunk,
        )
    }

    /// Every import between two files of the repository: (importer, imported).
    pub fn file_import_links(&self) -> Result<Vec<(FileId, FileId)>> {
        self.rows(
            "SELECT src_id, dst_id FROM edges WHERE kind = 'imports' AND src_type = 'file' AND dst_type = 'file'",
            [],
            |r| Ok((FileId(r.get(0)?), FileId(r.get(1)?))),
        )
    }

    /// File id → path.
    pub fn file_paths(&self) -> Result<HashMap<FileId, String>> {
        Ok(self
            .rows("SELECT id, path FROM files", [], |r| {
                Ok((FileId(r.get(0)?), r.get(1)?))
            })?
            .into_iter()
            .collect())
    }

    /// Every definition's id, file, name and kind (the symbol table that
    /// completion context resolves names with).
    pub fn context_definitions(&self) -> Result<Vec<(DefId, FileId, String, DefKind)>> {
        self.rows("SELECT id, file_id, name, kind FROM definitions", [], |r| {
            Ok((
                DefId(r.get(0)?),
                FileId(r.get(1)?),
                r.get(2)?,
                parse_kind(r, 3)?,
            ))
        })
    }

    /// The token vocabulary: sub-token → id.
    pub fn vocabulary(&self) -> Result<HashMap<String, u32>> {
        Ok(self
            .rows("SELECT text, id FROM tokens", [], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?))
            })?
            .into_iter()
            .collect())
    }

    /// (file id, imported module as written) for every import.
    pub fn import_modules(&self) -> Result<Vec<(FileId, String)>> {
        self.rows("SELECT file_id, module FROM imports", [], |r| {
            Ok((FileId(r.get(0)?), r.get(1)?))
        })
    }

    /// The files each import line of `file` resolved to: (line, file id).
    pub fn import_targets(&self, file: FileId) -> Result<Vec<(u32, FileId)>> {
        self.rows(
            "SELECT line, dst_id FROM edges
             WHERE file_id = ?1 AND kind = 'imports' AND src_type = 'file' AND dst_type = 'file'",
            [file.0],
            |r| Ok((r.get(0)?, FileId(r.get(1)?))),
        )
    }

    /// The imports of `path` with the files each resolved to: (wildcard,
    /// local name (alias, else name), module as written, target file).
    #[allow(clippy::type_complexity)]
    pub fn import_links_of(
        &self,
        path: &str,
    ) -> Result<Vec<(bool, Option<String>, String, FileId)>> {
        self.rows(
            "SELECT i.wildcard, COALESCE(i.alias, i.name), i.module, e.dst_id
             FROM imports i JOIN files f ON f.id = i.file_id
             JOIN edges e ON e.file_id = i.file_id AND e.line = i.line AND e.kind = 'imports'
                  AND e.src_type = 'file' AND e.dst_type = 'file'
             WHERE f.path = ?1",
            [path],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, FileId(r.get(3)?))),
        )
    }

    /// The stored facts of one file (definitions, imports, inheritance and
    /// bindings; no calls or chunks), with its id and content hash.
    pub fn file_facts(&self, path: &str) -> Result<Option<(FileId, Vec<u8>, FileFacts)>> {
        let Some((file, hash, language, line_count, package)) = self
            .rows(
                "SELECT id, hash, language, line_count, package FROM files WHERE path = ?1",
                [path],
                |r| {
                    Ok((
                        FileId(r.get(0)?),
                        r.get::<_, Vec<u8>>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, u32>(3)?,
                        r.get::<_, Option<String>>(4)?,
                    ))
                },
            )?
            .pop()
        else {
            return Ok(None);
        };
        let rows = self.rows(
            "SELECT id, parent_id, name, qualified_name, kind, signature, doc,
                    start_byte, end_byte, start_line, end_line
             FROM definitions WHERE file_id = ?1 ORDER BY start_byte, end_byte DESC",
            [file.0],
            |r| {
                let def = Definition {
                    name: r.get(2)?,
                    qualified_name: r.get(3)?,
                    kind: parse_kind(r, 4)?,
                    signature: r.get(5)?,
                    doc: r.get(6)?,
                    span: Span {
                        start_byte: r.get(7)?,
                        end_byte: r.get(8)?,
                        start_line: r.get(9)?,
                        end_line: r.get(10)?,
                    },
                    parent: None,
                };
                Ok((r.get::<_, i64>(0)?, r.get::<_, Option<i64>>(1)?, def))
            },
        )?;
        let index: HashMap<i64, usize> = rows
            .iter()
            .enumerate()
            .map(|(i, (id, _, _))| (*id, i))
            .collect();
        let local = |id: Option<i64>| id.and_then(|id| index.get(&id).copied());
        let definitions: Vec<Definition> = rows
            .into_iter()
            .map(|(_, parent, mut d)| {
                d.parent = local(parent);
                d
            })
            .collect();
        let imports = self.rows(
            "SELECT module, name, alias, wildcard, line FROM imports WHERE file_id = ?1 ORDER BY line",
            [file.0],
            |r| {
                Ok(Import {
                    module: r.get(0)?,
                    name: r.get(1)?,
                    alias: r.get(2)?,
                    wildcard: r.get(3)?,
                    line: r.get(4)?,
                })
            },
        )?;
        let inheritance = self.rows(
            "SELECT subject_id, subject, base, relation, line FROM inheritance WHERE file_id = ?1",
            [file.0],
            |r| {
                Ok(Inheritance {
                    subject_def: local(r.get(0)?),
                    subject: r.get(1)?,
                    base: r.get(2)?,
                    relation: parse_kind(r, 3)?,
                    line: r.get(4)?,
                })
            },
        )?;
        let bindings = self.rows(
            "SELECT scope_id, name, type_name, value, line FROM bindings WHERE file_id = ?1",
            [file.0],
            |r| {
                Ok(Binding {
                    scope: local(r.get(0)?),
                    name: r.get(1)?,
                    type_name: r.get(2)?,
                    value: r.get(3)?,
                    line: r.get(4)?,
                })
            },
        )?;
        Ok(Some((
            file,
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
}
