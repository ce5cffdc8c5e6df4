//! Reading the facts graph resolution needs, and writing resolved edges.

use crate::files::parse_kind;
use crate::{Conn, Result, Store};
use codegraph_core::{
    BindingFact, CallFact, ChunkFact, ChunkId, DefFact, DefId, EdgeKind, ExternalEdge, ExternalId,
    FileFact, FileId, GraphFacts, ImportFact, InheritFact, NodeRef, Provenance, RefEdge,
};
use rusqlite::params;
use std::collections::{HashMap, HashSet};

/// A node as its two edge columns store it.
fn split(node: NodeRef) -> (&'static str, i64) {
    match node {
        NodeRef::File(id) => ("file", id.0),
        NodeRef::Def(id) => ("def", id.0),
        NodeRef::Ext(id) => ("ext", id.0),
    }
}

fn join(kind: &str, id: i64) -> NodeRef {
    match kind {
        "file" => NodeRef::File(FileId(id)),
        "ext" => NodeRef::Ext(ExternalId(id)),
        _ => NodeRef::Def(DefId(id)),
    }
}

const EDGE_COLUMNS: &str = "kind, src_type, src_id, dst_type, dst_id, provenance, file_id, line";

fn edge_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RefEdge> {
    edge_row_at(r, 0)
}

/// Names of project files whose text resolution reads (module roots).
const CONFIG_FILES: &[&str] = &["go.mod", "pubspec.yaml"];

impl Conn {
    /// Loads the facts graph resolution reads, in canonical order.
    pub fn graph_facts(&self) -> Result<GraphFacts> {
        let mut facts = self.load_facts(None)?;
        facts.configs = self.graph_configs()?;
        facts.canonicalize();
        Ok(facts)
    }

    /// The facts of some files only (for patching a cached [`GraphFacts`]),
    /// in the order [`Conn::graph_facts`] gives them within a file.
    pub fn graph_facts_of(&self, files: &[FileId]) -> Result<GraphFacts> {
        let mut out = GraphFacts::default();
        for &id in files {
            let part = self.load_facts(Some(id))?;
            out.files.extend(part.files);
            out.defs.extend(part.defs);
            out.imports.extend(part.imports);
            out.calls.extend(part.calls);
            out.inheritance.extend(part.inheritance);
            out.bindings.extend(part.bindings);
            out.chunks.extend(part.chunks);
        }
        Ok(out)
    }

    /// Every fact list, or one file's, each read by one query.
    fn load_facts(&self, file: Option<FileId>) -> Result<GraphFacts> {
        let (by_file, by_id) = match file {
            Some(_) => (" WHERE file_id = ?1", " WHERE id = ?1"),
            None => ("", ""),
        };
        let p: Vec<i64> = file.into_iter().map(|f| f.0).collect();
        let p = rusqlite::params_from_iter(p.iter());
        let opt_def = |r: &rusqlite::Row<'_>, i| -> rusqlite::Result<Option<DefId>> {
            Ok(r.get::<_, Option<i64>>(i)?.map(DefId))
        };
        Ok(GraphFacts {
            files: self.rows(
                &format!("SELECT id, path, language, package FROM files{by_id}"),
                p.clone(),
                |r| {
                    Ok(FileFact {
                        id: FileId(r.get(0)?),
                        path: r.get(1)?,
                        language: r.get(2)?,
                        package: r.get(3)?,
                    })
                },
            )?,
            defs: self.rows(
                &format!(
                    "SELECT id, file_id, parent_id, name, qualified_name, kind, signature, start_line, end_line
                     FROM definitions{by_file} ORDER BY file_id, start_byte"
                ),
                p.clone(),
                |r| {
                    Ok(DefFact {
                        id: DefId(r.get(0)?),
                        file_id: FileId(r.get(1)?),
                        parent_id: opt_def(r, 2)?,
                        name: r.get(3)?,
                        qualified_name: r.get(4)?,
                        kind: parse_kind(r, 5)?,
                        signature: r.get(6)?,
                        start_line: r.get(7)?,
                        end_line: r.get(8)?,
                    })
                },
            )?,
            imports: self.rows(
                &format!(
                    "SELECT file_id, module, name, alias, wildcard, line FROM imports{by_file} ORDER BY rowid"
                ),
                p.clone(),
                |r| {
                    Ok(ImportFact {
                        file_id: FileId(r.get(0)?),
                        module: r.get(1)?,
                        name: r.get(2)?,
                        alias: r.get(3)?,
                        wildcard: r.get(4)?,
                        line: r.get(5)?,
                    })
                },
            )?,
            calls: self.rows(
                &format!(
                    "SELECT file_id, caller_id, name, receiver, path, args, line, kind FROM calls{by_file} ORDER BY rowid"
                ),
                p.clone(),
                |r| {
                    Ok(CallFact {
                        file_id: FileId(r.get(0)?),
                        caller_id: opt_def(r, 1)?,
                        name: r.get(2)?,
                        receiver: r.get(3)?,
                        path: r.get(4)?,
                        args: r.get(5)?,
                        line: r.get(6)?,
                        kind: parse_kind(r, 7)?,
                    })
                },
            )?,
            inheritance: self.rows(
                &format!(
                    "SELECT file_id, subject_id, subject, base, relation, line FROM inheritance{by_file} ORDER BY rowid"
                ),
                p.clone(),
                |r| {
                    Ok(InheritFact {
                        file_id: FileId(r.get(0)?),
                        subject_id: opt_def(r, 1)?,
                        subject: r.get(2)?,
                        base: r.get(3)?,
                        relation: parse_kind(r, 4)?,
                        line: r.get(5)?,
                    })
                },
            )?,
            bindings: self.rows(
                &format!(
                    "SELECT file_id, scope_id, name, type_name, value FROM bindings{by_file} ORDER BY rowid"
                ),
                p.clone(),
                |r| {
                    Ok(BindingFact {
                        file_id: FileId(r.get(0)?),
                        scope_id: opt_def(r, 1)?,
                        name: r.get(2)?,
                        type_name: r.get(3)?,
                        value: r.get(4)?,
                    })
                },
            )?,
            chunks: self.rows(
                &format!(
                    "SELECT id, file_id, def_id, kind, start_line, end_line FROM chunks{by_file} ORDER BY rowid"
                ),
                p,
                |r| {
                    Ok(ChunkFact {
                        id: ChunkId(r.get(0)?),
                        file_id: FileId(r.get(1)?),
                        def_id: opt_def(r, 2)?,
                        kind: parse_kind(r, 3)?,
                        start_line: r.get(4)?,
                        end_line: r.get(5)?,
                    })
                },
            )?,
            configs: HashMap::new(),
        })
    }

    /// Path → text of the project files resolution reads (`go.mod`: module
    /// roots for Go imports; `pubspec.yaml`: Dart package names).
    pub fn graph_configs(&self) -> Result<HashMap<String, String>> {
        let mut out = HashMap::new();
        for name in CONFIG_FILES {
            // Files first: joining from chunks would read every chunk's text.
            let rows = self.rows(
                "SELECT f.path, c.text FROM files f JOIN chunks c ON c.id =
                     (SELECT id FROM chunks WHERE file_id = f.id AND start_line = 1 LIMIT 1)
                 WHERE f.path = ?1 OR f.path LIKE '%/' || ?1",
                [name],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
            )?;
            out.extend(rows);
        }
        Ok(out)
    }

    /// Files with an edge into any of `files` or `defs`.
    pub fn files_with_edges_into(
        &self,
        files: &[FileId],
        defs: &[DefId],
    ) -> Result<HashSet<FileId>> {
        let sql = "SELECT DISTINCT file_id FROM edges WHERE dst_type = ?1 AND dst_id = ?2";
        let mut out = HashSet::new();
        let targets = files
            .iter()
            .map(|&f| NodeRef::File(f))
            .chain(defs.iter().map(|&d| NodeRef::Def(d)));
        for target in targets {
            let (kind, id) = split(target);
            out.extend(
                self.rows(sql, params![kind, id], |r| r.get::<_, i64>(0))?
                    .into_iter()
                    .map(FileId),
            );
        }
        Ok(out)
    }

    /// Stored reference edges counted by kind and provenance.
    pub fn edge_counts(&self) -> Result<Vec<((EdgeKind, Provenance), u64)>> {
        self.rows(
            "SELECT kind, provenance, COUNT(*) FROM edges GROUP BY kind, provenance ORDER BY 1, 2",
            [],
            |r| {
                Ok((
                    (parse_kind(r, 0)?, parse_kind(r, 1)?),
                    r.get::<_, i64>(2)? as u64,
                ))
            },
        )
    }

    /// Every stored edge.
    pub fn edges(&self) -> Result<Vec<RefEdge>> {
        self.rows(&format!("SELECT {EDGE_COLUMNS} FROM edges"), [], edge_row)
    }

    /// The edges written by `files` (their references), with the external
    /// modules those edges name: what an in-memory graph needs to patch
    /// itself after [`Store::replace_graph_files`].
    pub fn edges_of_files(
        &self,
        files: &[FileId],
    ) -> Result<(Vec<RefEdge>, HashMap<ExternalId, String>)> {
        let mut edges = Vec::new();
        let mut externals = HashMap::new();
        for f in files {
            let rows = self.rows(
                "SELECT e.kind, e.src_type, e.src_id, e.dst_type, e.dst_id, e.provenance, e.file_id,
                        e.line, x.name
                 FROM edges e LEFT JOIN externals x ON e.dst_type = 'ext' AND x.id = e.dst_id
                 WHERE e.file_id = ?1",
                [f.0],
                |r| Ok((edge_row(r)?, r.get::<_, Option<String>>(8)?)),
            )?;
            for (edge, name) in rows {
                if let (NodeRef::Ext(id), Some(name)) = (edge.dst, name) {
                    externals.insert(id, name);
                }
                edges.push(edge);
            }
        }
        Ok((edges, externals))
    }

    /// External module names by id.
    pub fn externals(&self) -> Result<HashMap<ExternalId, String>> {
        Ok(self
            .rows("SELECT id, name FROM externals", [], |r| {
                Ok((ExternalId(r.get(0)?), r.get(1)?))
            })?
            .into_iter()
            .collect())
    }
}

/// An edge row as the edges table holds it (external modules numbered).
type Row = (
    EdgeKind,
    &'static str,
    i64,
    &'static str,
    i64,
    Provenance,
    u32,
);

fn row_of(e: &RefEdge) -> Row {
    let (st, si) = split(e.src);
    let (dt, di) = split(e.dst);
    (e.kind, st, si, dt, di, e.provenance, e.line)
}

/// The id of external module `name`, added when new.
fn external_id(
    conn: &rusqlite::Connection,
    ids: &mut HashMap<String, i64>,
    name: &str,
) -> rusqlite::Result<i64> {
    if let Some(&id) = ids.get(name) {
        return Ok(id);
    }
    conn.prepare_cached("INSERT OR IGNORE INTO externals (name) VALUES (?1)")?
        .execute([name])?;
    let id: i64 = conn
        .prepare_cached("SELECT id FROM externals WHERE name = ?1")?
        .query_row([name], |r| r.get(0))?;
    ids.insert(name.to_owned(), id);
    Ok(id)
}

/// The rows of `edges` and `externals`, by the file that wrote them.
fn rows_by_file(
    conn: &rusqlite::Connection,
    edges: &[RefEdge],
    externals: &[ExternalEdge],
) -> rusqlite::Result<HashMap<FileId, Vec<Row>>> {
    let mut wanted: HashMap<FileId, Vec<Row>> = HashMap::new();
    for e in edges {
        wanted.entry(e.file).or_default().push(row_of(e));
    }
    let mut ids = HashMap::new();
    for x in externals {
        let id = external_id(conn, &mut ids, &x.module)?;
        let (st, si) = split(x.src);
        wanted.entry(x.file).or_default().push((
            EdgeKind::Imports,
            st,
            si,
            "ext",
            id,
            Provenance::Resolved,
            x.line,
        ));
    }
    Ok(wanted)
}

/// The statement [`insert_row`] runs.
fn insert_edge(conn: &rusqlite::Connection) -> rusqlite::Result<rusqlite::CachedStatement<'_>> {
    conn.prepare_cached(&format!(
        "INSERT INTO edges ({EDGE_COLUMNS}) VALUES (?1,?2,?3,?4,?5,?6,?7,?8)"
    ))
}

fn insert_row(insert: &mut rusqlite::Statement, file: FileId, row: &Row) -> rusqlite::Result<()> {
    let (kind, st, si, dt, di, prov, line) = row;
    insert.execute(params![
        kind.as_str(),
        st,
        si,
        dt,
        di,
        prov.as_str(),
        file.0,
        line
    ])?;
    Ok(())
}

impl Store {
    /// Replaces the resolved graph: its edges, external modules and each
    /// file's importance (`[0, 1]`; files not named get none).
    pub fn replace_graph(
        &mut self,
        edges: &[RefEdge],
        externals: &[ExternalEdge],
        importance: &HashMap<FileId, f64>,
    ) -> Result<()> {
        self.write(|conn| {
            let tx = &conn.conn;
            let run = || -> rusqlite::Result<()> {
                tx.execute_batch(
                    "DELETE FROM edges; DELETE FROM externals; UPDATE files SET importance = NULL;",
                )?;
                let mut set = tx.prepare("UPDATE files SET importance = ?2 WHERE id = ?1")?;
                for (id, value) in importance {
                    set.execute(params![id.0, value])?;
                }
                // File by file, in id order: each index's insertions then
                // land near the last ones.
                let mut by_file: Vec<_> = rows_by_file(tx, edges, externals)?.into_iter().collect();
                by_file.sort_unstable_by_key(|(file, _)| *file);
                let mut insert = insert_edge(tx)?;
                for (file, rows) in by_file {
                    for row in &rows {
                        insert_row(&mut insert, file, row)?;
                    }
                }
                Ok(())
            };
            run().map_err(conn.err())
        })
    }

    /// Replaces only the edges written in `files` (an incremental update:
    /// the caller resolved those files again), and drops external modules
    /// nothing imports any more. Rows are diffed per file: only edges that
    /// appeared or disappeared are written, so re-resolving a file whose
    /// edges mostly stay costs reads, not index updates.
    pub fn replace_graph_files(
        &mut self,
        files: &[FileId],
        edges: &[RefEdge],
        externals: &[ExternalEdge],
    ) -> Result<()> {
        self.write(|conn| {
            let tx = &conn.conn;
            let run = || -> rusqlite::Result<()> {
                let mut wanted = rows_by_file(tx, edges, externals)?;
                // External modules that lost an edge: dropped below if no
                // edge names them any more.
                let mut named: HashSet<i64> = HashSet::new();
                let mut files: Vec<FileId> = files.to_vec();
                files.extend(wanted.keys().copied());
                files.sort_unstable();
                files.dedup();
                let mut insert = insert_edge(tx)?;
                for f in files {
                    let mut stored: HashMap<Row, Vec<i64>> = HashMap::new();
                    let mut old = tx.prepare_cached(&format!(
                        "SELECT rowid, {EDGE_COLUMNS} FROM edges WHERE file_id = ?1"
                    ))?;
                    let rows = old.query_map([f.0], |r| {
                        let e = edge_row_at(r, 1)?;
                        Ok((r.get::<_, i64>(0)?, row_of(&e)))
                    })?;
                    for row in rows {
                        let (rowid, row) = row?;
                        stored.entry(row).or_default().push(rowid);
                    }
                    for row in wanted.remove(&f).unwrap_or_default() {
                        // Already stored: kept as it is.
                        if stored.get_mut(&row).and_then(Vec::pop).is_none() {
                            insert_row(&mut insert, f, &row)?;
                        }
                    }
                    for (row, rowids) in stored {
                        for rowid in rowids {
                            if row.3 == "ext" {
                                named.insert(row.4);
                            }
                            tx.prepare_cached("DELETE FROM edges WHERE rowid = ?1")?
                                .execute([rowid])?;
                        }
                    }
                }
                for id in named {
                    tx.prepare_cached(
                        "DELETE FROM externals WHERE id = ?1 AND NOT EXISTS
                         (SELECT 1 FROM edges WHERE dst_type = 'ext' AND dst_id = ?1)",
                    )?
                    .execute([id])?;
                }
                Ok(())
            };
            run().map_err(conn.err())
        })
    }
}

/// [`edge_row`] reading from column `at` on.
fn edge_row_at(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<RefEdge> {
    Ok(RefEdge {
        kind: parse_kind(r, at)?,
        src: join(&r.get::<_, String>(at + 1)?, r.get(at + 2)?),
        dst: join(&r.get::<_, String>(at + 3)?, r.get(at + 4)?),
        provenance: parse_kind(r, at + 5)?,
        file: FileId(r.get(at + 6)?),
        line: r.get(at + 7)?,
    })
}
