//! Graph questions read from the stored edges, without loading the graph:
//! the definitions a name designates and the call edges at one node. A
//! one-shot process asking for the callers of one definition reads a few
//! indexed rows instead of every fact and edge of the repository.

use crate::files::parse_kind;
use crate::{Conn, Result};
use codegraph_core::{DefId, DefKind, EdgeKind, ExternalId, FileId, NodeRef, Provenance};
use rusqlite::params;

/// A definition as the graph shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSymbol {
    pub id: DefId,
    pub name: String,
    pub qualified_name: String,
    pub kind: DefKind,
    /// Its file's path (empty if the file row is missing).
    pub path: String,
    pub line: u32,
    pub end_line: u32,
    pub signature: String,
}

/// The node at the other end of a stored edge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EdgeEnd {
    Symbol(StoredSymbol),
    File { id: FileId, path: String },
    External { id: ExternalId, name: String },
}

impl EdgeEnd {
    /// The node as the edges table names it.
    pub fn node(&self) -> NodeRef {
        match self {
            EdgeEnd::Symbol(s) => NodeRef::Def(s.id),
            EdgeEnd::File { id, .. } => NodeRef::File(*id),
            EdgeEnd::External { id, .. } => NodeRef::Ext(*id),
        }
    }
}

/// One stored edge seen from one of its ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEdge {
    /// The node at the other end.
    pub other: EdgeEnd,
    pub provenance: Provenance,
    /// Line of the reference in its file.
    pub line: u32,
}

const SYMBOL_SQL: &str =
    "SELECT d.id, d.name, d.qualified_name, d.kind, COALESCE(f.path, ''), d.start_line,
        d.end_line, d.signature
 FROM definitions d LEFT JOIN files f ON f.id = d.file_id";
/// The graph's order of definitions: by file path, then position.
const SYMBOL_ORDER: &str = "ORDER BY COALESCE(f.path, ''), d.start_byte";

fn symbol_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredSymbol> {
    Ok(StoredSymbol {
        id: DefId(r.get(0)?),
        name: r.get(1)?,
        qualified_name: r.get(2)?,
        kind: parse_kind(r, 3)?,
        path: r.get(4)?,
        line: r.get(5)?,
        end_line: r.get(6)?,
        signature: r.get(7)?,
    })
}

/// The edges at one end (`near`: `src` or `dst`), with the node at the
/// other end (`far`) joined in: a definition with its file, a file, or an
/// external module. Newest edge first, as the in-memory graph lists the
/// edges of a node.
fn edge_sql(near: &str, far: &str) -> String {
    format!(
        "SELECT e.provenance, e.line, e.{far}_type, e.{far}_id,
            d.id, d.name, d.qualified_name, d.kind, COALESCE(fd.path, ''), d.start_line,
            d.end_line, d.signature, ff.path, x.name
         FROM edges e
         LEFT JOIN definitions d ON e.{far}_type = 'def' AND d.id = e.{far}_id
         LEFT JOIN files fd ON fd.id = d.file_id
         LEFT JOIN files ff ON e.{far}_type = 'file' AND ff.id = e.{far}_id
         LEFT JOIN externals x ON e.{far}_type = 'ext' AND x.id = e.{far}_id
         WHERE e.{near}_type = ?1 AND e.{near}_id = ?2 AND e.kind = ?3
         ORDER BY e.rowid DESC"
    )
}

/// A row of [`edge_sql`]; `None` when the far node is not in the store
/// (the graph leaves such an edge out too).
fn edge_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Option<StoredEdge>> {
    let provenance: Provenance = parse_kind(r, 0)?;
    let line: u32 = r.get(1)?;
    let far_type: String = r.get(2)?;
    let far_id: i64 = r.get(3)?;
    let other = match far_type.as_str() {
        "def" => {
            if r.get::<_, Option<i64>>(4)?.is_none() {
                return Ok(None);
            }
            EdgeEnd::Symbol(StoredSymbol {
                id: DefId(r.get(4)?),
                name: r.get(5)?,
                qualified_name: r.get(6)?,
                kind: parse_kind(r, 7)?,
                path: r.get(8)?,
                line: r.get(9)?,
                end_line: r.get(10)?,
                signature: r.get(11)?,
            })
        }
        "file" => match r.get::<_, Option<String>>(12)? {
            Some(path) => EdgeEnd::File {
                id: FileId(far_id),
                path,
            },
            None => return Ok(None),
        },
        "ext" => match r.get::<_, Option<String>>(13)? {
            Some(name) => EdgeEnd::External {
                id: ExternalId(far_id),
                name,
            },
            None => return Ok(None),
        },
        _ => return Ok(None),
    };
    Ok(Some(StoredEdge {
        other,
        provenance,
        line,
    }))
}

impl Conn {
    /// Definitions whose qualified name is `name`, in the graph's order
    /// (file path, then position in the file).
    pub fn symbols_with_qualified_name(&self, name: &str) -> Result<Vec<StoredSymbol>> {
        self.rows(
            &format!("{SYMBOL_SQL} WHERE d.qualified_name = ?1 {SYMBOL_ORDER}"),
            [name],
            symbol_row,
        )
    }

    /// Definitions whose name is `name`, in the graph's order.
    pub fn symbols_with_name(&self, name: &str) -> Result<Vec<StoredSymbol>> {
        self.rows(
            &format!("{SYMBOL_SQL} WHERE d.name = ?1 {SYMBOL_ORDER}"),
            [name],
            symbol_row,
        )
    }

    /// The id of the file at `path`, if it is indexed.
    pub fn file_with_path(&self, path: &str) -> Result<Option<FileId>> {
        Ok(self
            .rows("SELECT id FROM files WHERE path = ?1", [path], |r| {
                Ok(FileId(r.get(0)?))
            })?
            .into_iter()
            .next())
    }

    /// Whether any indexed file is under the directory `dir` (relative to
    /// the root, no trailing `/`).
    pub fn has_files_under(&self, dir: &str) -> Result<bool> {
        // `0` follows `/`: the range is every path starting with `dir/`.
        Ok(!self
            .rows(
                "SELECT 1 FROM files WHERE path > ?1 || '/' AND path < ?1 || '0' LIMIT 1",
                [dir],
                |_| Ok(()),
            )?
            .is_empty())
    }

    /// The stored edges of `kind` into `node` (`incoming`) or out of it,
    /// each with the node at its other end, newest first. Edges whose other
    /// end is not in the store are left out.
    pub fn edges_at(
        &self,
        node: NodeRef,
        kind: EdgeKind,
        incoming: bool,
    ) -> Result<Vec<StoredEdge>> {
        let (node_type, id) = match node {
            NodeRef::File(id) => ("file", id.0),
            NodeRef::Def(id) => ("def", id.0),
            NodeRef::Ext(id) => ("ext", id.0),
        };
        let sql = if incoming {
            edge_sql("dst", "src")
        } else {
            edge_sql("src", "dst")
        };
        Ok(self
            .rows(&sql, params![node_type, id, kind.as_str()], edge_row)?
            .into_iter()
            .flatten()
            .collect())
    }
}
