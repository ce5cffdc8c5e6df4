//! The code graph: resolution of extracted references into edges
//! ([`resolve()`]), and the in-memory graph ([`Graph`]) with its queries —
//! callers, callees, imports, importers, neighbours — and the ranked
//! repository map.
//!
//! Nodes: repository, directory, file, definition, external module. Edges:
//! contains, defines, imports, calls, inherits, implements; each call,
//! import and inheritance edge carries its provenance (`resolved` or
//! `inferred`).
//!
//! This crate knows the facts of `codegraph-core` and the language table;
//! it runs no SQL and touches no files (its `Cargo.toml` has no store).

mod build;
pub mod invalidate;
mod map;
mod query;
mod resolve;

pub use codegraph_core::ResolutionStats;
pub use map::{
    MapDefinition, MapEntry, MapOptions, RepoMap, UnknownFocus, file_importance, line_tokens,
    pagerank, pagerank_personal, pagerank_push,
};
pub use petgraph::graph::NodeIndex;
pub use resolve::{Resolution, resolve, resolve_files};

use codegraph_core::{
    ChunkId, ChunkKind, DefId, DefKind, EdgeKind, FileId, NodeRef, Provenance, RefEdge,
};
use petgraph::stable_graph::StableDiGraph;
use serde::Serialize;
use std::collections::HashMap;

/// A node of the graph.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Node {
    Repository,
    Directory {
        path: String,
    },
    File {
        id: FileId,
        path: String,
        language: String,
    },
    Symbol(Symbol),
    Chunk {
        id: ChunkId,
        path: String,
        kind: ChunkKind,
        start_line: u32,
        end_line: u32,
    },
    External {
        name: String,
    },
}

/// A definition as the graph shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Symbol {
    pub id: DefId,
    pub name: String,
    pub qualified_name: String,
    pub kind: DefKind,
    pub path: String,
    pub line: u32,
    pub end_line: u32,
    pub signature: String,
}

/// An edge of the graph.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Edge {
    pub kind: EdgeKind,
    /// Structural edges are `Resolved`.
    pub provenance: Provenance,
    /// Line of the reference in its file (0 for structural edges).
    pub line: u32,
}

/// One answer of `callers` / `callees`.
#[derive(Debug, Clone, Serialize)]
pub struct Related {
    /// The definition's id; `None` for a file (top-level code).
    pub id: Option<DefId>,
    /// Qualified name, or the file's path for top-level code.
    pub symbol: String,
    pub path: String,
    /// Line of the definition.
    pub line: u32,
    /// The definition's kind; `None` for a file (top-level code).
    #[serde(serialize_with = "kind_or_file")]
    pub kind: Option<DefKind>,
    pub provenance: Provenance,
    pub depth: usize,
    /// The line of the call site, in the caller's file.
    pub call_line: u32,
    pub signature: String,
}

/// A subgraph: nodes and the edges among them.
#[derive(Debug, Clone, Serialize)]
pub struct Subgraph {
    pub nodes: Vec<SubgraphNode>,
    pub edges: Vec<SubgraphEdge>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SubgraphNode {
    pub key: String,
    pub hops: usize,
    #[serde(flatten)]
    pub node: Node,
}

#[derive(Debug, Clone, Serialize)]
pub struct SubgraphEdge {
    pub from: String,
    pub to: String,
    pub kind: EdgeKind,
    pub provenance: Provenance,
}

/// The whole graph in memory.
#[derive(Debug, Clone)]
pub struct Graph {
    g: StableDiGraph<Node, Edge>,
    /// The repository node, root of the containment tree.
    repo: NodeIndex,
    by_ref: HashMap<NodeRef, NodeIndex>,
    by_path: HashMap<String, NodeIndex>,
    by_name: HashMap<String, Vec<NodeIndex>>,
    by_qname: HashMap<String, Vec<NodeIndex>>,
    /// What the map derives from the graph; emptied by every change.
    map_cache: map::MapCache,
}

fn provenance(e: &Edge) -> Provenance {
    e.provenance
}

fn kind_or_file<S: serde::Serializer>(kind: &Option<DefKind>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(kind.map_or("file", DefKind::as_str))
}

/// The edge that structure (containment, definition) is made of.
const STRUCTURAL: Edge = Edge {
    kind: EdgeKind::Contains,
    provenance: Provenance::Resolved,
    line: 0,
};
const DEFINES: Edge = Edge {
    kind: EdgeKind::Defines,
    provenance: Provenance::Resolved,
    line: 0,
};

fn edge_of(e: &RefEdge) -> Edge {
    Edge {
        kind: e.kind,
        provenance: e.provenance,
        line: e.line,
    }
}
