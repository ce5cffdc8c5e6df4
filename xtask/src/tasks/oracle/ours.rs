//! codegraph's side: index the corpus with the library, then read every
//! stored call edge with its provenance and both definitions.
//!
//! The library already has what this needs: [`codegraph::Reader::stored_edges`]
//! (kind, source and target nodes, provenance, the file and line of the
//! reference) and [`codegraph::Reader::graph_facts`] (each definition's
//! file, parent, name, kind and lines; each file's path; each call fact).
//!
//! The caller of an edge is lifted to the innermost enclosing callable or
//! type (a call in `X = f()` inside a class belongs to the class, as the
//! oracle's scopes say); a call with no such definition around it (module
//! level, or a module-level variable) is dropped like the oracle's.

use crate::util::bench_dir;
use anyhow::Result;
use codegraph::core::{CallFact, DefFact, DefId, GraphFacts, ImportFact, NodeRef};
use codegraph::{Codegraph, EdgeKind, IndexOptions, NoProgress, Provenance};
use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

/// One call edge, the caller lifted.
#[derive(Debug, Clone)]
pub struct Edge {
    pub caller: DefId,
    pub callee: DefId,
    pub provenance: Provenance,
    /// Where the call is: path, 1-based line.
    pub path: String,
    pub line: u32,
}

/// The graph as the comparison reads it.
#[derive(Debug, Default)]
pub struct Ours {
    pub defs: HashMap<DefId, DefFact>,
    pub paths: HashMap<codegraph::core::FileId, String>,
    pub edges: Vec<Edge>,
    /// `(path, line)` → call facts there.
    pub calls: HashMap<(String, u32), Vec<CallFact>>,
    /// Path → imports of that file.
    pub imports: HashMap<String, Vec<ImportFact>>,
    /// Call edges whose source is a file or has no enclosing callable.
    pub module_level: usize,
    /// Call edges whose caller was a variable or field, lifted.
    pub lifted: usize,
    pub index_seconds: f64,
}

/// Indexes `root` into `.bench/index-oracle-NAME` from scratch and reads
/// the graph back.
pub fn index(name: &str, root: &Path) -> Result<Ours> {
    let dir = bench_dir().join(format!("index-oracle-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    let options = IndexOptions {
        index_dir: Some(dir),
        ..IndexOptions::default()
    };
    let started = Instant::now();
    let mut cg = Codegraph::open(root, options)?;
    cg.index(&NoProgress)?;
    let index_seconds = started.elapsed().as_secs_f64();
    let facts = cg.graph_facts()?;
    let edges = cg.stored_edges()?;
    let mut ours = read(facts, edges);
    ours.index_seconds = index_seconds;
    Ok(ours)
}

/// The comparison's view of the facts and the stored edges.
pub fn read(facts: GraphFacts, stored: Vec<codegraph::core::RefEdge>) -> Ours {
    let paths: HashMap<_, _> = facts.files.iter().map(|f| (f.id, f.path.clone())).collect();
    let defs: HashMap<DefId, DefFact> = facts.defs.into_iter().map(|d| (d.id, d)).collect();
    let mut ours = Ours {
        paths,
        ..Ours::default()
    };
    for c in facts.calls {
        if let Some(p) = ours.paths.get(&c.file_id) {
            ours.calls.entry((p.clone(), c.line)).or_default().push(c);
        }
    }
    for i in facts.imports {
        if let Some(p) = ours.paths.get(&i.file_id) {
            ours.imports.entry(p.clone()).or_default().push(i);
        }
    }
    for e in stored {
        if e.kind != EdgeKind::Calls {
            continue;
        }
        let NodeRef::Def(callee) = e.dst else {
            continue;
        };
        let NodeRef::Def(src) = e.src else {
            ours.module_level += 1;
            continue;
        };
        let Some(caller) = lift(&defs, src) else {
            ours.module_level += 1;
            continue;
        };
        if caller != src {
            ours.lifted += 1;
        }
        let Some(path) = ours.paths.get(&e.file) else {
            continue;
        };
        ours.edges.push(Edge {
            caller,
            callee,
            provenance: e.provenance,
            path: path.clone(),
            line: e.line,
        });
    }
    ours.defs = defs;
    ours
}

/// The innermost callable or type at or around `id`.
fn lift(defs: &HashMap<DefId, DefFact>, mut id: DefId) -> Option<DefId> {
    loop {
        let d = defs.get(&id)?;
        if d.kind.is_callable() || d.kind.is_type() {
            return Some(id);
        }
        id = d.parent_id?;
    }
}
