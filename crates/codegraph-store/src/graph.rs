//! Reading the facts graph resolution needs, and writing resolved edges.

use crate::{Result, Store, StoreError};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

#[derive(Debug, Clone)]
pub struct FileFact {
    pub id: i64,
    pub path: String,
    pub language: String,
    pub package: Option<String>,
}

#[derive(Debug, Clone)]
pub struct DefFact {
    pub id: i64,
    pub file_id: i64,
    pub parent_id: Option<i64>,
    pub name: String,
    pub qualified_name: String,
    pub kind: String,
    pub signature: String,
    pub start_line: u32,
    pub end_line: u32,
}

#[derive(Debug, Clone)]
pub struct ImportFact {
    pub file_id: i64,
    pub module: String,
    pub name: Option<String>,
    pub alias: Option<String>,
    pub wildcard: bool,
    pub line: u32,
}

#[derive(Debug, Clone)]
pub struct CallFact {
    pub file_id: i64,
    pub caller_id: Option<i64>,
    pub name: String,
    pub receiver: Option<String>,
    pub line: u32,
}

#[derive(Debug, Clone)]
pub struct InheritFact {
    pub file_id: i64,
    pub subject_id: Option<i64>,
    pub subject: String,
    pub base: String,
    pub relation: String,
    pub line: u32,
}

#[derive(Debug, Clone)]
pub struct BindingFact {
    pub file_id: i64,
    pub scope_id: Option<i64>,
    pub name: String,
    pub type_name: Option<String>,
    pub value: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ChunkFact {
    pub id: i64,
    pub file_id: i64,
    pub def_id: Option<i64>,
    pub kind: String,
    pub start_line: u32,
    pub end_line: u32,
}

/// Everything resolution reads, plus the text of small config files it
/// needs (`go.mod`).
#[derive(Debug, Default)]
pub struct GraphFacts {
    pub files: Vec<FileFact>,
    pub defs: Vec<DefFact>,
    pub imports: Vec<ImportFact>,
    pub calls: Vec<CallFact>,
    pub inheritance: Vec<InheritFact>,
    pub bindings: Vec<BindingFact>,
    /// Chunks, as graph nodes (resolution does not read them).
    pub chunks: Vec<ChunkFact>,
    /// Path → text for files named `go.mod`.
    pub configs: HashMap<String, String>,
}

impl GraphFacts {
    /// Puts every fact list in canonical order: grouped by file in path
    /// order, each file's facts in extraction order. Resolution picks the
    /// first of equals in places, so the same facts must come in the same
    /// order however the store got them (a fresh index, or years of
    /// incremental updates, inserts rows in different orders).
    pub fn canonicalize(&mut self) {
        self.files.sort_by(|a, b| a.path.cmp(&b.path));
        let rank: HashMap<i64, usize> = self
            .files
            .iter()
            .enumerate()
            .map(|(i, f)| (f.id, i))
            .collect();
        let key = |id: i64| rank.get(&id).copied().unwrap_or(usize::MAX);
        self.defs.sort_by_key(|d| key(d.file_id));
        self.imports.sort_by_key(|d| key(d.file_id));
        self.calls.sort_by_key(|d| key(d.file_id));
        self.inheritance.sort_by_key(|d| key(d.file_id));
        self.bindings.sort_by_key(|d| key(d.file_id));
        self.chunks.sort_by_key(|d| key(d.file_id));
    }

    /// Replaces the facts of `changed` files with `fresh` (the facts of
    /// those still present, as [`Store::graph_facts_of`] gives them),
    /// keeping the canonical order (see [`GraphFacts::canonicalize`]).
    pub fn patch(&mut self, changed: &HashSet<i64>, fresh: GraphFacts) {
        fn splice<T>(
            list: &mut Vec<T>,
            fresh: Vec<T>,
            changed: &HashSet<i64>,
            file_of: impl Fn(&T) -> i64,
            rank: &HashMap<i64, usize>,
        ) {
            list.retain(|x| !changed.contains(&file_of(x)));
            let mut by_file: Vec<(usize, Vec<T>)> = Vec::new();
            for x in fresh {
                let r = rank.get(&file_of(&x)).copied().unwrap_or(usize::MAX);
                match by_file.last_mut() {
                    Some((last, group)) if *last == r => group.push(x),
                    _ => by_file.push((r, vec![x])),
                }
            }
            // Insert from the last group back, so earlier positions hold.
            by_file.sort_by_key(|g| g.0);
            for (r, group) in by_file.into_iter().rev() {
                let at = list
                    .partition_point(|x| rank.get(&file_of(x)).copied().unwrap_or(usize::MAX) < r);
                list.splice(at..at, group);
            }
        }
        self.files.retain(|f| !changed.contains(&f.id));
        for f in fresh.files {
            let at = self.files.partition_point(|x| x.path < f.path);
            self.files.insert(at, f);
        }
        let rank: HashMap<i64, usize> = self
            .files
            .iter()
            .enumerate()
            .map(|(i, f)| (f.id, i))
            .collect();
        splice(&mut self.defs, fresh.defs, changed, |d| d.file_id, &rank);
        splice(
            &mut self.imports,
            fresh.imports,
            changed,
            |d| d.file_id,
            &rank,
        );
        splice(&mut self.calls, fresh.calls, changed, |d| d.file_id, &rank);
        splice(
            &mut self.inheritance,
            fresh.inheritance,
            changed,
            |d| d.file_id,
            &rank,
        );
        splice(
            &mut self.bindings,
            fresh.bindings,
            changed,
            |d| d.file_id,
            &rank,
        );
        splice(
            &mut self.chunks,
            fresh.chunks,
            changed,
            |d| d.file_id,
            &rank,
        );
    }
}

/// A graph node as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum NodeRef {
    File(i64),
    Def(i64),
    Ext(i64),
}

impl NodeRef {
    fn split(self) -> (&'static str, i64) {
        match self {
            NodeRef::File(id) => ("file", id),
            NodeRef::Def(id) => ("def", id),
            NodeRef::Ext(id) => ("ext", id),
        }
    }

    fn join(kind: &str, id: i64) -> NodeRef {
        match kind {
            "file" => NodeRef::File(id),
            "ext" => NodeRef::Ext(id),
            _ => NodeRef::Def(id),
        }
    }
}

/// A resolved edge. `file_id` and `line` locate the reference.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EdgeRow {
    pub kind: String,
    pub src: NodeRef,
    pub dst: NodeRef,
    pub provenance: String,
    pub file_id: i64,
    pub line: u32,
}

/// An edge to an external module, named rather than numbered.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExternalEdge {
    pub src: NodeRef,
    pub module: String,
    pub file_id: i64,
    pub line: u32,
}

pub(crate) fn collect_p<T>(
    store: &Store,
    sql: &str,
    params: &[i64],
    f: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>> {
    let conn = store.conn.lock();
    let mut stmt = conn.prepare_cached(sql).map_err(store.err())?;
    let rows = stmt
        .query_map(rusqlite::params_from_iter(params.iter()), f)
        .map_err(store.err())?;
    rows.collect::<rusqlite::Result<_>>().map_err(store.err())
}

pub(crate) fn collect<T>(
    store: &Store,
    sql: &str,
    f: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>> {
    let conn = store.conn.lock();
    let mut stmt = conn.prepare(sql).map_err(store.err())?;
    let rows = stmt.query_map([], f).map_err(store.err())?;
    rows.collect::<rusqlite::Result<_>>().map_err(store.err())
}

impl Store {
    /// Loads the facts graph resolution reads.
    pub fn graph_facts(&self) -> Result<GraphFacts> {
        let mut facts = self.load_facts(None)?;
        facts.canonicalize();
        Ok(facts)
    }

    /// The facts of some files only (for patching a cached [`GraphFacts`]),
    /// in the order [`Store::graph_facts`] gives them within a file.
    pub fn graph_facts_of(&self, file_ids: &[i64]) -> Result<GraphFacts> {
        let mut out = GraphFacts::default();
        for &id in file_ids {
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

    fn load_facts(&self, file: Option<i64>) -> Result<GraphFacts> {
        let by_file = if file.is_some() {
            " WHERE file_id = ?1"
        } else {
            ""
        };
        let by_id = if file.is_some() { " WHERE id = ?1" } else { "" };
        let p: Vec<i64> = file.into_iter().collect();
        let files = collect_p(
            self,
            &format!("SELECT id, path, language, package FROM files{by_id}"),
            &p,
            |r| {
                Ok(FileFact {
                    id: r.get(0)?,
                    path: r.get(1)?,
                    language: r.get(2)?,
                    package: r.get(3)?,
                })
            },
        )?;
        let defs = collect_p(
            self,
            &format!("SELECT id, file_id, parent_id, name, qualified_name, kind, signature, start_line, end_line
             FROM definitions{by_file} ORDER BY file_id, start_byte"),
            &p,
            |r| {
                Ok(DefFact {
                    id: r.get(0)?,
                    file_id: r.get(1)?,
                    parent_id: r.get(2)?,
                    name: r.get(3)?,
                    qualified_name: r.get(4)?,
                    kind: r.get(5)?,
                    signature: r.get(6)?,
                    start_line: r.get(7)?,
                    end_line: r.get(8)?,
                })
            },
        )?;
        let imports = collect_p(
            self,
            &format!(
                "SELECT file_id, module, name, alias, wildcard, line FROM imports{by_file} ORDER BY rowid"
            ),
            &p,
            |r| {
                Ok(ImportFact {
                    file_id: r.get(0)?,
                    module: r.get(1)?,
                    name: r.get(2)?,
                    alias: r.get(3)?,
                    wildcard: r.get(4)?,
                    line: r.get(5)?,
                })
            },
        )?;
        let calls = collect_p(
            self,
            &format!(
                "SELECT file_id, caller_id, name, receiver, line FROM calls{by_file} ORDER BY rowid"
            ),
            &p,
            |r| {
                Ok(CallFact {
                    file_id: r.get(0)?,
                    caller_id: r.get(1)?,
                    name: r.get(2)?,
                    receiver: r.get(3)?,
                    line: r.get(4)?,
                })
            },
        )?;
        let inheritance = collect_p(
            self,
            &format!(
                "SELECT file_id, subject_id, subject, base, relation, line FROM inheritance{by_file} ORDER BY rowid"
            ),
            &p,
            |r| {
                Ok(InheritFact {
                    file_id: r.get(0)?,
                    subject_id: r.get(1)?,
                    subject: r.get(2)?,
                    base: r.get(3)?,
                    relation: r.get(4)?,
                    line: r.get(5)?,
                })
            },
        )?;
        let bindings = collect_p(
            self,
            &format!(
                "SELECT file_id, scope_id, name, type_name, value FROM bindings{by_file} ORDER BY rowid"
            ),
            &p,
            |r| {
                Ok(BindingFact {
                    file_id: r.get(0)?,
                    scope_id: r.get(1)?,
                    name: r.get(2)?,
                    type_name: r.get(3)?,
                    value: r.get(4)?,
                })
            },
        )?;
        let chunks = collect_p(
            self,
            &format!(
                "SELECT id, file_id, def_id, kind, start_line, end_line FROM chunks{by_file} ORDER BY rowid"
            ),
            &p,
            |r| {
                Ok(ChunkFact {
                    id: r.get(0)?,
                    file_id: r.get(1)?,
                    def_id: r.get(2)?,
                    kind: r.get(3)?,
                    start_line: r.get(4)?,
                    end_line: r.get(5)?,
                })
            },
        )?;
        let configs = if file.is_some() {
            HashMap::new()
        } else {
            self.graph_configs()?
        };
        Ok(GraphFacts {
            files,
            defs,
            imports,
            calls,
            inheritance,
            bindings,
            chunks,
            configs,
        })
    }

    /// Path → text of every `go.mod` (module roots for Go imports).
    pub fn graph_configs(&self) -> Result<HashMap<String, String>> {
        Ok(collect_p(
            self,
            // Files first: joining from chunks would read every chunk's text.
            "SELECT f.path, c.text FROM files f JOIN chunks c ON c.id =
                 (SELECT id FROM chunks WHERE file_id = f.id AND start_line = 1 LIMIT 1)
             WHERE f.path = 'go.mod' OR f.path LIKE '%/go.mod'",
            &[],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
        )?
        .into_iter()
        .collect())
    }

    /// Replaces the whole resolved graph in one transaction.
    /// Replaces the resolved graph: its edges, external modules and each
    /// file's importance (file id → `[0, 1]`; files not named get none).
    pub fn replace_graph(
        &mut self,
        edges: &[EdgeRow],
        externals: &[ExternalEdge],
        importance: &HashMap<i64, f64>,
    ) -> Result<()> {
        let path = self.path.clone();
        let err = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = crate::Tx::begin(self.conn.get_mut()).map_err(err)?;
        tx.execute_batch(
            "DELETE FROM edges; DELETE FROM externals; UPDATE files SET importance = NULL;",
        )
        .map_err(err)?;
        {
            let mut set_importance = tx
                .prepare("UPDATE files SET importance = ?2 WHERE id = ?1")
                .map_err(err)?;
            for (id, value) in importance {
                set_importance.execute(params![id, value]).map_err(err)?;
            }
        }
        insert_edges(&tx, edges, externals).map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(())
    }

    /// Replaces only the edges written in `files` (an incremental update:
    /// the caller resolved those files again), in one transaction, and drops
    /// external modules nothing imports any more. Rows are diffed per file:
    /// only edges that appeared or disappeared are written, so re-resolving
    /// a file whose edges mostly stay costs reads, not index updates.
    pub fn replace_graph_files(
        &mut self,
        files: &[i64],
        edges: &[EdgeRow],
        externals: &[ExternalEdge],
    ) -> Result<()> {
        type Row = (String, &'static str, i64, &'static str, i64, String, u32);
        let path = self.path.clone();
        let err = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = crate::Tx::begin(self.conn.get_mut()).map_err(err)?;
        {
            // The new rows by file, external modules numbered.
            let mut wanted: HashMap<i64, Vec<Row>> = HashMap::new();
            for e in edges {
                let (st, si) = e.src.split();
                let (dt, di) = e.dst.split();
                wanted.entry(e.file_id).or_default().push((
                    e.kind.clone(),
                    st,
                    si,
                    dt,
                    di,
                    e.provenance.clone(),
                    e.line,
                ));
            }
            let mut insert_ext = tx
                .prepare("INSERT OR IGNORE INTO externals (name) VALUES (?1)")
                .map_err(err)?;
            let mut ext_id = tx
                .prepare("SELECT id FROM externals WHERE name = ?1")
                .map_err(err)?;
            let mut ext_ids: HashMap<&str, i64> = HashMap::new();
            for x in externals {
                let id = match ext_ids.get(x.module.as_str()) {
                    Some(&id) => id,
                    None => {
                        insert_ext.execute([&x.module]).map_err(err)?;
                        let id: i64 = ext_id.query_row([&x.module], |r| r.get(0)).map_err(err)?;
                        ext_ids.insert(&x.module, id);
                        id
                    }
                };
                let (st, si) = x.src.split();
                wanted.entry(x.file_id).or_default().push((
                    "imports".into(),
                    st,
                    si,
                    "ext",
                    id,
                    "resolved".into(),
                    x.line,
                ));
            }
            let mut old = tx
                .prepare(
                    "SELECT rowid, kind, src_type, src_id, dst_type, dst_id, provenance, line
                     FROM edges WHERE file_id = ?1",
                )
                .map_err(err)?;
            let mut delete = tx
                .prepare("DELETE FROM edges WHERE rowid = ?1")
                .map_err(err)?;
            let mut insert = tx
                .prepare(
                    "INSERT INTO edges (kind, src_type, src_id, dst_type, dst_id, provenance, file_id, line)
                     VALUES (?1,?2,?3,?4,?5,?6,?7,?8)",
                )
                .map_err(err)?;
            // External modules that lost an edge: dropped below if no edge
            // names them any more.
            let mut named: HashSet<i64> = HashSet::new();
            let mut files: Vec<i64> = files.to_vec();
            files.extend(wanted.keys().copied());
            files.sort_unstable();
            files.dedup();
            for f in files {
                let mut stored: HashMap<Row, Vec<i64>> = HashMap::new();
                let rows = old
                    .query_map([f], |r| {
                        Ok((
                            r.get::<_, i64>(0)?,
                            (
                                r.get::<_, String>(1)?,
                                r.get::<_, String>(2)?,
                                r.get::<_, i64>(3)?,
                                r.get::<_, String>(4)?,
                                r.get::<_, i64>(5)?,
                                r.get::<_, String>(6)?,
                                r.get::<_, u32>(7)?,
                            ),
                        ))
                    })
                    .map_err(err)?;
                for row in rows {
                    let (rowid, (kind, st, si, dt, di, prov, line)) = row.map_err(err)?;
                    let key = (
                        kind,
                        NodeRef::join(&st, si).split().0,
                        si,
                        NodeRef::join(&dt, di).split().0,
                        di,
                        prov,
                        line,
                    );
                    stored.entry(key).or_default().push(rowid);
                }
                for row in wanted.remove(&f).unwrap_or_default() {
                    // Already stored: kept as it is.
                    if stored.get_mut(&row).and_then(Vec::pop).is_some() {
                        continue;
                    }
                    let (kind, st, si, dt, di, prov, line) = &row;
                    insert
                        .execute(params![kind, st, si, dt, di, prov, f, line])
                        .map_err(err)?;
                }
                for (row, rowids) in stored {
                    for rowid in rowids {
                        if row.3 == "ext" {
                            named.insert(row.4);
                        }
                        delete.execute([rowid]).map_err(err)?;
                    }
                }
            }
            let mut prune = tx
                .prepare(
                    "DELETE FROM externals WHERE id = ?1 AND NOT EXISTS
                     (SELECT 1 FROM edges WHERE dst_type = 'ext' AND dst_id = ?1)",
                )
                .map_err(err)?;
            for id in named {
                prune.execute([id]).map_err(err)?;
            }
        }
        tx.commit().map_err(err)?;
        Ok(())
    }

    /// Files with an edge into any of `files` or `defs`.
    pub fn files_with_edges_into(&self, files: &[i64], defs: &[i64]) -> Result<HashSet<i64>> {
        let conn = self.conn.lock();
        let mut stmt = conn
            .prepare_cached(
                "SELECT DISTINCT file_id FROM edges WHERE dst_type = ?1 AND dst_id = ?2",
            )
            .map_err(self.err())?;
        let mut out = HashSet::new();
        for (kind, ids) in [("file", files), ("def", defs)] {
            for id in ids {
                let rows = stmt
                    .query_map(params![kind, id], |r| r.get::<_, i64>(0))
                    .map_err(self.err())?;
                for r in rows {
                    out.insert(r.map_err(self.err())?);
                }
            }
        }
        Ok(out)
    }

    /// Stored reference edges counted by `<kind>.<provenance>`
    /// (`calls.resolved`, `imports.inferred`, ...).
    pub fn edge_counts(&self) -> Result<Vec<(String, u64)>> {
        collect(
            self,
            "SELECT kind || '.' || provenance, COUNT(*) FROM edges GROUP BY kind, provenance ORDER BY 1",
            |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)),
        )
    }

    /// Every stored edge.
    pub fn edges(&self) -> Result<Vec<EdgeRow>> {
        collect(
            self,
            "SELECT kind, src_type, src_id, dst_type, dst_id, provenance, file_id, line FROM edges",
            |r| {
                Ok(EdgeRow {
                    kind: r.get(0)?,
                    src: NodeRef::join(&r.get::<_, String>(1)?, r.get(2)?),
                    dst: NodeRef::join(&r.get::<_, String>(3)?, r.get(4)?),
                    provenance: r.get(5)?,
                    file_id: r.get(6)?,
                    line: r.get(7)?,
                })
            },
        )
    }

    /// The edges written by `files` (their references), with the external
    /// modules those edges name: what an in-memory graph needs to patch
    /// itself after [`Store::replace_graph_files`].
    pub fn edges_of_files(&self, files: &[i64]) -> Result<(Vec<EdgeRow>, HashMap<i64, String>)> {
        let conn = self.conn.lock();
        let mut stmt = conn
            .prepare_cached(
                "SELECT e.kind, e.src_type, e.src_id, e.dst_type, e.dst_id, e.provenance, e.file_id,
                        e.line, x.name
                 FROM edges e LEFT JOIN externals x ON e.dst_type = 'ext' AND x.id = e.dst_id
                 WHERE e.file_id = ?1",
            )
            .map_err(self.err())?;
        let mut edges = Vec::new();
        let mut externals = HashMap::new();
        for f in files {
            let rows = stmt
                .query_map([f], |r| {
                    Ok((
                        EdgeRow {
                            kind: r.get(0)?,
                            src: NodeRef::join(&r.get::<_, String>(1)?, r.get(2)?),
                            dst: NodeRef::join(&r.get::<_, String>(3)?, r.get(4)?),
                            provenance: r.get(5)?,
                            file_id: r.get(6)?,
                            line: r.get(7)?,
                        },
                        r.get::<_, Option<String>>(8)?,
                    ))
                })
                .map_err(self.err())?;
            for row in rows {
                let (edge, name) = row.map_err(self.err())?;
                if let (NodeRef::Ext(id), Some(name)) = (edge.dst, name) {
                    externals.insert(id, name);
                }
                edges.push(edge);
            }
        }
        Ok((edges, externals))
    }

    /// External module names by id.
    pub fn externals(&self) -> Result<HashMap<i64, String>> {
        Ok(collect(self, "SELECT id, name FROM externals", |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .into_iter()
        .collect())
    }
}

/// What the search index holds for one chunk, with its definition's fields.
#[derive(Debug, Clone)]
pub struct SearchRow {
    pub chunk_id: i64,
    pub path: String,
    pub language: String,
    pub kind: String,
    pub name: String,
    pub qualified_name: String,
    pub signature: String,
    pub doc: String,
    pub body: String,
}

/// A chunk with what a search result shows.
#[derive(Debug, Clone, Serialize)]
pub struct ChunkDetail {
    pub id: i64,
    pub path: String,
    pub language: String,
    pub kind: String,
    pub symbol: Option<String>,
    pub def_id: Option<i64>,
    pub start_line: u32,
    pub end_line: u32,
    pub text: String,
    /// The file's importance in `[0, 1]` (0 before the graph is built).
    pub importance: f64,
}

const SEARCH_ROW_SQL: &str =
    "SELECT c.id, f.path, f.language, COALESCE(d.kind, c.kind), COALESCE(d.name, ''),
        COALESCE(d.qualified_name, ''), COALESCE(d.signature, ''), COALESCE(d.doc, ''), c.text
     FROM chunks c JOIN files f ON f.id = c.file_id LEFT JOIN definitions d ON d.id = c.def_id";

fn search_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SearchRow> {
    Ok(SearchRow {
        chunk_id: r.get(0)?,
        path: r.get(1)?,
        language: r.get(2)?,
        kind: r.get(3)?,
        name: r.get(4)?,
        qualified_name: r.get(5)?,
        signature: r.get(6)?,
        doc: r.get(7)?,
        body: r.get(8)?,
    })
}

impl Store {
    /// Search documents of every chunk, or of the chunks of `paths`.
    pub fn search_rows(&self, paths: Option<&[String]>) -> Result<Vec<SearchRow>> {
        let conn = self.conn.lock();
        match paths {
            None => collect(self, SEARCH_ROW_SQL, search_row),
            Some(paths) => {
                let mut stmt = conn
                    .prepare_cached(&format!("{SEARCH_ROW_SQL} WHERE f.path = ?1"))
                    .map_err(self.err())?;
                let mut out = Vec::new();
                for p in paths {
                    let rows = stmt.query_map([p], search_row).map_err(self.err())?;
                    for r in rows {
                        out.push(r.map_err(self.err())?);
                    }
                }
                Ok(out)
            }
        }
    }

    /// Paths whose search documents are out of date.
    pub fn search_pending(&self) -> Result<Vec<String>> {
        collect(self, "SELECT path FROM search_pending ORDER BY path", |r| {
            r.get(0)
        })
    }

    /// Forgets pending paths once the search index has them.
    pub fn clear_search_pending(&mut self, paths: &[String]) -> Result<()> {
        let path = self.path.clone();
        let err = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = crate::Tx::begin(self.conn.get_mut()).map_err(err)?;
        {
            let mut stmt = tx
                .prepare("DELETE FROM search_pending WHERE path = ?1")
                .map_err(err)?;
            for p in paths {
                stmt.execute([p]).map_err(err)?;
            }
        }
        tx.commit().map_err(err)
    }

    /// Chunks by id, with their file and definition, in the order asked.
    pub fn chunk_details(&self, ids: &[i64]) -> Result<Vec<ChunkDetail>> {
        let conn = self.conn.lock();
        let mut stmt = conn
            .prepare_cached(
                "SELECT c.id, f.path, f.language, COALESCE(d.kind, c.kind), d.qualified_name, c.def_id,
                        c.start_line, c.end_line, c.text, COALESCE(f.importance, 0)
                 FROM chunks c JOIN files f ON f.id = c.file_id LEFT JOIN definitions d ON d.id = c.def_id
                 WHERE c.id = ?1",
            )
            .map_err(self.err())?;
        // One read snapshot for all of them: a concurrent update shows
        // whole or not at all.
        let snapshot = self.snapshot()?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let row = stmt
                .query_row([id], |r| {
                    Ok(ChunkDetail {
                        id: r.get(0)?,
                        path: r.get(1)?,
                        language: r.get(2)?,
                        kind: r.get(3)?,
                        symbol: r.get(4)?,
                        def_id: r.get(5)?,
                        start_line: r.get(6)?,
                        end_line: r.get(7)?,
                        text: r.get(8)?,
                        importance: r.get(9)?,
                    })
                })
                .optional()
                .map_err(self.err())?;
            out.extend(row);
        }
        drop(snapshot);
        Ok(out)
    }
}

/// A chunk waiting for its embedding: its content hash and the text to embed
/// (path and signature first, then the chunk).
#[derive(Debug, Clone)]
pub struct EmbedJob {
    pub hash: Vec<u8>,
    pub text: String,
}

fn f32s_to_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn bytes_to_f32s(b: &[u8]) -> Vec<f32> {
    b.chunks_exact(4)
        .map(|w| f32::from_le_bytes([w[0], w[1], w[2], w[3]]))
        .collect()
}

impl Store {
    /// Up to `limit` distinct chunk contents without an embedding for `model`.
    pub fn embed_jobs(&self, model: &str, limit: usize) -> Result<Vec<EmbedJob>> {
        let conn = self.conn.lock();
        let mut stmt = conn
            .prepare_cached(
                "SELECT c.hash, f.path, COALESCE(d.signature, ''), c.text
                 FROM chunks c JOIN files f ON f.id = c.file_id LEFT JOIN definitions d ON d.id = c.def_id
                 WHERE NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.model = ?1 AND e.hash = c.hash)
                 GROUP BY c.hash LIMIT ?2",
            )
            .map_err(self.err())?;
        let rows = stmt
            .query_map(params![model, limit as i64], |r| {
                let path: String = r.get(1)?;
                let signature: String = r.get(2)?;
                let text: String = r.get(3)?;
                let text = if signature.is_empty() {
                    format!("{path}\n{text}")
                } else {
                    format!("{path}\n{signature}\n{text}")
                };
                Ok(EmbedJob {
                    hash: r.get(0)?,
                    text,
                })
            })
            .map_err(self.err())?;
        rows.collect::<rusqlite::Result<_>>().map_err(self.err())
    }

    /// Stores embeddings (one transaction).
    pub fn put_embeddings(&mut self, model: &str, items: &[(Vec<u8>, Vec<f32>)]) -> Result<()> {
        let path = self.path.clone();
        let err = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = crate::Tx::begin(self.conn.get_mut()).map_err(err)?;
        {
            let mut stmt = tx
                .prepare(
                    "INSERT OR REPLACE INTO embeddings (model, hash, vector) VALUES (?1, ?2, ?3)",
                )
                .map_err(err)?;
            for (hash, v) in items {
                stmt.execute(params![model, hash, f32s_to_bytes(v)])
                    .map_err(err)?;
            }
        }
        tx.commit().map_err(err)
    }

    /// (chunks with an embedding for `model`, all chunks).
    pub fn embedding_coverage(&self, model: &str) -> Result<(u64, u64)> {
        let conn = self.conn.lock();
        let total: i64 = conn
            .query_row("SELECT COUNT(*) FROM chunks", [], |r| r.get(0))
            .map_err(self.err())?;
        let done: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM chunks c WHERE EXISTS
                   (SELECT 1 FROM embeddings e WHERE e.model = ?1 AND e.hash = c.hash)",
                [model],
                |r| r.get(0),
            )
            .map_err(self.err())?;
        Ok((done as u64, total as u64))
    }

    /// Every chunk's vector for `model`: `(chunk id, content hash, vector)`.
    pub fn chunk_vectors(&self, model: &str) -> Result<Vec<ChunkVector>> {
        let conn = self.conn.lock();
        let mut stmt = conn
            .prepare(
                "SELECT c.id, c.hash, e.vector FROM chunks c JOIN embeddings e ON e.model = ?1 AND e.hash = c.hash",
            )
            .map_err(self.err())?;
        let rows = stmt
            .query_map([model], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, Vec<u8>>(1)?,
                    bytes_to_f32s(&r.get::<_, Vec<u8>>(2)?),
                ))
            })
            .map_err(self.err())?;
        rows.collect::<rusqlite::Result<_>>().map_err(self.err())
    }

    /// (chunk id, content hash) of every chunk that has a vector for `model`;
    /// reads the indexes only, not the vectors.
    pub fn chunks_with_vectors(&self, model: &str) -> Result<Vec<(i64, Vec<u8>)>> {
        let conn = self.conn.lock();
        let mut stmt = conn
            .prepare_cached(
                "SELECT c.id, c.hash FROM chunks c
                 WHERE EXISTS (SELECT 1 FROM embeddings e WHERE e.model = ?1 AND e.hash = c.hash)",
            )
            .map_err(self.err())?;
        let rows = stmt
            .query_map([model], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(self.err())?;
        rows.collect::<rusqlite::Result<_>>().map_err(self.err())
    }

    /// The vector of one content hash for `model`.
    pub fn vector_of(&self, model: &str, hash: &[u8]) -> Result<Option<Vec<f32>>> {
        let conn = self.conn.lock();
        conn.prepare_cached("SELECT vector FROM embeddings WHERE model = ?1 AND hash = ?2")
            .and_then(|mut s| {
                s.query_row(params![model, hash], |r| r.get::<_, Vec<u8>>(0))
                    .optional()
            })
            .map(|v| v.map(|b| bytes_to_f32s(&b)))
            .map_err(self.err())
    }
}

/// A chunk's id, content hash and vector.
pub type ChunkVector = (i64, Vec<u8>, Vec<f32>);

/// Inserts edges and external-module edges (naming each module once).
fn insert_edges(
    tx: &rusqlite::Connection,
    edges: &[EdgeRow],
    externals: &[ExternalEdge],
) -> rusqlite::Result<()> {
    let mut insert = tx.prepare(
        "INSERT INTO edges (kind, src_type, src_id, dst_type, dst_id, provenance, file_id, line)
         VALUES (?1,?2,?3,?4,?5,?6,?7,?8)",
    )?;
    for e in edges {
        let (st, si) = e.src.split();
        let (dt, di) = e.dst.split();
        insert.execute(params![
            e.kind,
            st,
            si,
            dt,
            di,
            e.provenance,
            e.file_id,
            e.line
        ])?;
    }
    let mut insert_ext = tx.prepare("INSERT OR IGNORE INTO externals (name) VALUES (?1)")?;
    let mut ext_id = tx.prepare("SELECT id FROM externals WHERE name = ?1")?;
    let mut ext_ids: HashMap<&str, i64> = HashMap::new();
    for x in externals {
        let id = match ext_ids.get(x.module.as_str()) {
            Some(&id) => id,
            None => {
                insert_ext.execute([&x.module])?;
                let id: i64 = ext_id.query_row([&x.module], |r| r.get(0))?;
                ext_ids.insert(&x.module, id);
                id
            }
        };
        let (st, si) = x.src.split();
        insert.execute(params![
            "imports", st, si, "ext", id, "resolved", x.file_id, x.line
        ])?;
    }
    Ok(())
}
