//! Callers and callees at a small depth, imports and importers, answered
//! from the stored edges for a reader that has not loaded the graph: a
//! one-shot process (the CLI) reads the few indexed rows around one node
//! instead of every fact and edge of the repository. The answers are the
//! graph's, exactly: the same resolution of the name, the same walk, the
//! same order (a test compares both on every fixture project).

use super::Reader;
use crate::{Error, Result};
use codegraph_core::{EdgeKind, NodeRef, Provenance};
use codegraph_graph::Related;
use codegraph_store::{Conn, EdgeEnd, StoredSymbol};
use std::collections::{HashSet, VecDeque};

/// The deepest walk answered from the store; deeper ones load the graph
/// (each level costs one query per node reached).
pub const MAX_STORED_DEPTH: usize = 2;

impl Reader {
    /// Whether the graph is in memory.
    pub fn graph_loaded(&self) -> bool {
        self.graph.get().is_some()
    }

    /// Whether a walk of `depth` levels is answered from the store: the
    /// graph is not loaded and the walk is short.
    pub(crate) fn walks_from_store(&self, depth: usize) -> bool {
        depth <= MAX_STORED_DEPTH && !self.graph_loaded()
    }

    /// [`Reader::callers`] from the stored edges, whatever is loaded.
    pub fn callers_stored(
        &self,
        symbol: &str,
        depth: usize,
        resolved_only: bool,
    ) -> Result<Vec<Related>> {
        let conn = self.pool().snapshot()?;
        let start = designated(&conn, symbol)?;
        walk(&conn, NodeRef::Def(start.id), true, depth, resolved_only)
    }

    /// [`Reader::callees`] from the stored edges, whatever is loaded.
    pub fn callees_stored(
        &self,
        symbol: &str,
        depth: usize,
        resolved_only: bool,
    ) -> Result<Vec<Related>> {
        let conn = self.pool().snapshot()?;
        let start = designated(&conn, symbol)?;
        walk(&conn, NodeRef::Def(start.id), false, depth, resolved_only)
    }
}

impl Reader {
    /// [`Reader::imports`] from the stored edges, whatever is loaded.
    pub fn imports_stored(&self, file: &str) -> Result<Vec<(String, u32)>> {
        self.import_links_stored(file, false)
    }

    /// [`Reader::importers`] from the stored edges, whatever is loaded.
    pub fn importers_stored(&self, file: &str) -> Result<Vec<(String, u32)>> {
        self.import_links_stored(file, true)
    }

    /// The files and external modules (`external:NAME`) a file imports
    /// (or the files importing it), with the line of the import, as the
    /// graph lists them: sorted, one line per name (the first). A
    /// directory imports nothing; a path that is neither is
    /// [`Error::NotIndexed`].
    fn import_links_stored(&self, file: &str, incoming: bool) -> Result<Vec<(String, u32)>> {
        let rel = self.relative_path(file)?;
        let conn = self.pool().snapshot()?;
        let path = rel.trim_end_matches('/');
        let Some(id) = conn.file_with_path(path)? else {
            if !path.is_empty() && conn.has_files_under(path)? {
                return Ok(Vec::new());
            }
            return Err(Error::NotIndexed(rel));
        };
        let mut out: Vec<(String, u32)> = conn
            .edges_at(NodeRef::File(id), EdgeKind::Imports, incoming)?
            .into_iter()
            .filter_map(|e| match e.other {
                EdgeEnd::File { path, .. } => Some((path, e.line)),
                EdgeEnd::External { name, .. } => Some((format!("external:{name}"), e.line)),
                EdgeEnd::Symbol(_) => None,
            })
            .collect();
        out.sort();
        out.dedup_by(|a, b| a.0 == b.0);
        Ok(out)
    }
}

/// Definitions `name` designates, as the graph finds them: the qualified
/// name, else the name, else (for `Type.method` or `mod::f`) qualified
/// names ending with `.name` or `::name`; by path and line.
fn found(conn: &Conn, name: &str) -> Result<Vec<StoredSymbol>> {
    let mut out = conn.symbols_with_qualified_name(name)?;
    if out.is_empty() {
        out = conn.symbols_with_name(name)?;
    }
    if out.is_empty() && (name.contains('.') || name.contains("::")) {
        let last = name.rsplit(['.', ':']).next().unwrap_or(name);
        out = conn
            .symbols_with_name(last)?
            .into_iter()
            .filter(|s| codegraph_core::types::ends_with_qualified(&s.qualified_name, name))
            .collect();
    }
    out.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    Ok(out)
}

/// The one definition `name` designates (overloads share a qualified
/// name: the first; a field and a method sharing one: the method); several
/// are [`Error::Ambiguous`], as the graph says.
fn designated(conn: &Conn, name: &str) -> Result<StoredSymbol> {
    let mut symbols = found(conn, name)?;
    if symbols.is_empty() {
        return Err(Error::SymbolNotFound(name.to_owned()));
    }
    if symbols
        .iter()
        .all(|s| s.qualified_name == symbols[0].qualified_name)
    {
        let callable = symbols.iter().position(|s| s.kind.is_callable());
        return Ok(symbols.swap_remove(callable.unwrap_or(0)));
    }
    Err(Error::Ambiguous {
        name: name.to_owned(),
        candidates: symbols
            .iter()
            .map(|s| format!("{} ({}:{}, {})", s.qualified_name, s.path, s.line, s.kind))
            .collect(),
    })
}

/// Where a node is, for orders that do not depend on storage (the graph's
/// `place`).
fn place(end: &EdgeEnd) -> (&str, u32, &str) {
    match end {
        EdgeEnd::Symbol(s) => (&s.path, s.line, &s.qualified_name),
        EdgeEnd::File { path, .. } => (path, 0, ""),
        EdgeEnd::External { name, .. } => ("", 0, name),
    }
}

/// An answer for the node at `end`; none for an external module.
fn related(end: &EdgeEnd, depth: usize, provenance: Provenance, call_line: u32) -> Option<Related> {
    Some(match end {
        EdgeEnd::Symbol(s) => Related {
            id: Some(s.id),
            symbol: s.qualified_name.clone(),
            path: s.path.clone(),
            line: s.line,
            kind: Some(s.kind),
            provenance,
            depth,
            call_line,
            signature: s.signature.clone(),
        },
        EdgeEnd::File { path, .. } => Related {
            id: None,
            symbol: path.clone(),
            path: path.clone(),
            line: 0,
            kind: None,
            provenance,
            depth,
            call_line,
            signature: String::new(),
        },
        EdgeEnd::External { .. } => return None,
    })
}

/// Breadth-first over stored call edges, up to `depth` hops, in the
/// graph's order: each level's edges by the place of their other end and
/// their line, each node reached once (by its first edge), then the whole
/// by depth, path, line and name.
fn walk(
    conn: &Conn,
    start: NodeRef,
    incoming: bool,
    depth: usize,
    resolved_only: bool,
) -> Result<Vec<Related>> {
    let mut seen: HashSet<NodeRef> = HashSet::from([start]);
    let mut queue = VecDeque::from([(start, 0usize)]);
    let mut out = Vec::new();
    while let Some((n, d)) = queue.pop_front() {
        if d >= depth {
            continue;
        }
        let mut next = conn.edges_at(n, EdgeKind::Calls, incoming)?;
        next.retain(|e| !resolved_only || e.provenance == Provenance::Resolved);
        next.sort_by(|a, b| (place(&a.other), a.line).cmp(&(place(&b.other), b.line)));
        for e in next {
            let m = e.other.node();
            if seen.insert(m) {
                if let Some(r) = related(&e.other, d + 1, e.provenance, e.line) {
                    out.push(r);
                }
                queue.push_back((m, d + 1));
            }
        }
    }
    out.sort_by(|a, b| {
        (a.depth, &a.path, a.line, &a.symbol).cmp(&(b.depth, &b.path, b.line, &b.symbol))
    });
    Ok(out)
}
