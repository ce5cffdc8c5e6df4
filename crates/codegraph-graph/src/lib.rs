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

pub mod invalidate;
mod map;
mod resolve;

pub use codegraph_core::ResolutionStats;
pub use map::{MapEntry, MapOptions, RepoMap, file_importance, line_tokens, pagerank};
pub use petgraph::graph::NodeIndex;
pub use resolve::{Resolution, resolve, resolve_files};

use codegraph_core::{
    ChunkId, ChunkKind, DefId, DefKind, EdgeKind, ExternalId, FileId, GraphFacts, NodeRef,
    Provenance, RefEdge,
};
use petgraph::Direction;
use petgraph::stable_graph::{EdgeIndex, StableDiGraph};
use petgraph::visit::{EdgeRef, IntoEdgeReferences};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

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
    by_ref: HashMap<NodeRef, NodeIndex>,
    by_path: HashMap<String, NodeIndex>,
    by_name: HashMap<String, Vec<NodeIndex>>,
    by_qname: HashMap<String, Vec<NodeIndex>>,
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

impl Graph {
    /// Builds the graph from store rows and stored edges.
    pub fn build(
        facts: &GraphFacts,
        edges: &[RefEdge],
        externals: &HashMap<ExternalId, String>,
    ) -> Graph {
        let mut g = StableDiGraph::with_capacity(
            facts.files.len() + facts.defs.len() + 64,
            facts.defs.len() * 2 + edges.len(),
        );
        let mut by_ref = HashMap::new();
        let mut by_path = HashMap::new();
        let repo = g.add_node(Node::Repository);
        let mut dirs: HashMap<String, NodeIndex> = HashMap::new();
        let structural = STRUCTURAL;
        let mut file_paths: HashMap<FileId, &str> = HashMap::new();
        for f in &facts.files {
            file_paths.insert(f.id, &f.path);
            // Directory chain.
            let mut parent = repo;
            let mut prefix = String::new();
            let parts: Vec<&str> = f.path.split('/').collect();
            for part in &parts[..parts.len() - 1] {
                if !prefix.is_empty() {
                    prefix.push('/');
                }
                prefix.push_str(part);
                parent = *dirs.entry(prefix.clone()).or_insert_with(|| {
                    let d = g.add_node(Node::Directory {
                        path: prefix.clone(),
                    });
                    g.add_edge(parent, d, structural);
                    d
                });
            }
            let n = g.add_node(Node::File {
                id: f.id,
                path: f.path.clone(),
                language: f.language.clone(),
            });
            g.add_edge(parent, n, structural);
            by_ref.insert(NodeRef::File(f.id), n);
            by_path.insert(f.path.clone(), n);
        }
        for (path, n) in &dirs {
            by_path.insert(path.clone(), *n);
        }
        let mut by_name: HashMap<String, Vec<NodeIndex>> = HashMap::new();
        let mut by_qname: HashMap<String, Vec<NodeIndex>> = HashMap::new();
        for d in &facts.defs {
            let n = g.add_node(Node::Symbol(Symbol {
                id: d.id,
                name: d.name.clone(),
                qualified_name: d.qualified_name.clone(),
                kind: d.kind,
                path: file_paths
                    .get(&d.file_id)
                    .map(|p| (*p).to_owned())
                    .unwrap_or_default(),
                line: d.start_line,
                end_line: d.end_line,
                signature: d.signature.clone(),
            }));
            by_ref.insert(NodeRef::Def(d.id), n);
            by_name.entry(d.name.clone()).or_default().push(n);
            by_qname
                .entry(d.qualified_name.clone())
                .or_default()
                .push(n);
        }
        for d in &facts.defs {
            let n = by_ref[&NodeRef::Def(d.id)];
            match d.parent_id.and_then(|p| by_ref.get(&NodeRef::Def(p))) {
                Some(&p) => {
                    g.add_edge(p, n, structural);
                }
                None => {
                    if let Some(&f) = by_ref.get(&NodeRef::File(d.file_id)) {
                        g.add_edge(f, n, DEFINES);
                    }
                }
            }
        }
        // Chunks hang off their definition, or their file.
        for c in &facts.chunks {
            let parent = c
                .def_id
                .and_then(|d| by_ref.get(&NodeRef::Def(d)))
                .or_else(|| by_ref.get(&NodeRef::File(c.file_id)))
                .copied();
            let Some(parent) = parent else { continue };
            let n = g.add_node(Node::Chunk {
                id: c.id,
                path: file_paths
                    .get(&c.file_id)
                    .map(|p| (*p).to_owned())
                    .unwrap_or_default(),
                kind: c.kind,
                start_line: c.start_line,
                end_line: c.end_line,
            });
            g.add_edge(parent, n, structural);
        }
        for (&id, name) in externals {
            let n = g.add_node(Node::External { name: name.clone() });
            by_ref.insert(NodeRef::Ext(id), n);
        }
        for e in edges {
            let (Some(&a), Some(&b)) = (by_ref.get(&e.src), by_ref.get(&e.dst)) else {
                continue;
            };
            g.add_edge(a, b, edge_of(e));
        }
        Graph {
            g,
            by_ref,
            by_path,
            by_name,
            by_qname,
        }
    }

    /// Brings the graph up to date in place after an incremental update,
    /// so it equals [`Graph::build`] over the updated store (see
    /// [`Graph::canonical`]) at the cost of the change. `facts` are the
    /// updated facts (at least those of `changed` files); `edges` and
    /// `externals` are the stored edges written by `replaced` files.
    pub fn patch(
        &mut self,
        facts: &GraphFacts,
        changed: &HashSet<FileId>,
        replaced: &HashSet<FileId>,
        edges: &[RefEdge],
        externals: &HashMap<ExternalId, String>,
    ) {
        let structural = |e: &Edge| matches!(e.kind, EdgeKind::Contains | EdgeKind::Defines);
        // The file id a node belongs to (files, definitions, chunks).
        let file_of = |g: &StableDiGraph<Node, Edge>, by_path: &HashMap<String, NodeIndex>, n| {
            let path = match &g[n] {
                Node::File { id, .. } => return Some(*id),
                Node::Symbol(s) => &s.path,
                Node::Chunk { path, .. } => path,
                _ => return None,
            };
            match by_path.get(path).map(|&f| &g[f]) {
                Some(Node::File { id, .. }) => Some(*id),
                _ => None,
            }
        };
        // Definition and chunk nodes under a file node.
        let below = |g: &StableDiGraph<Node, Edge>, file: NodeIndex| {
            let mut out = Vec::new();
            let mut stack = vec![file];
            while let Some(n) = stack.pop() {
                for e in g.edges_directed(n, Direction::Outgoing) {
                    if structural(e.weight()) {
                        out.push(e.target());
                        stack.push(e.target());
                    }
                }
            }
            out
        };
        let mut externals_touched: HashSet<NodeIndex> = HashSet::new();
        // Incoming references into definitions of changed files from files
        // not re-resolved: definition ids are stable, so they are re-attached.
        let mut kept: Vec<(NodeIndex, DefId, Edge)> = Vec::new();
        for &f in replaced {
            let Some(&file) = self.by_ref.get(&NodeRef::File(f)) else {
                continue;
            };
            let nodes = below(&self.g, file);
            // Outgoing references of the file and its definitions go.
            let mut drop: Vec<EdgeIndex> = Vec::new();
            for &n in std::iter::once(&file).chain(&nodes) {
                for e in self.g.edges_directed(n, Direction::Outgoing) {
                    if !structural(e.weight()) {
                        drop.push(e.id());
                        if matches!(self.g[e.target()], Node::External { .. }) {
                            externals_touched.insert(e.target());
                        }
                    }
                }
            }
            for e in drop {
                self.g.remove_edge(e);
            }
            if !changed.contains(&f) {
                continue;
            }
            for &n in &nodes {
                if let Node::Symbol(s) = &self.g[n] {
                    for e in self.g.edges_directed(n, Direction::Incoming) {
                        if structural(e.weight()) {
                            continue;
                        }
                        let from = file_of(&self.g, &self.by_path, e.source());
                        if from.is_some_and(|from| !replaced.contains(&from)) {
                            kept.push((e.source(), s.id, *e.weight()));
                        }
                    }
                }
            }
            for n in nodes {
                self.forget(n);
            }
        }
        // Files: removed when gone from the facts, added when new.
        let present: HashMap<FileId, &codegraph_core::FileFact> = facts
            .files
            .iter()
            .filter(|f| changed.contains(&f.id))
            .map(|f| (f.id, f))
            .collect();
        for &f in changed {
            if present.contains_key(&f) {
                continue;
            }
            if let Some(n) = self.by_ref.remove(&NodeRef::File(f)) {
                self.forget(n);
            }
        }
        let structural_edge = STRUCTURAL;
        for (&id, f) in &present {
            match self.by_ref.get(&NodeRef::File(id)) {
                Some(&n) => {
                    self.g[n] = Node::File {
                        id,
                        path: f.path.clone(),
                        language: f.language.clone(),
                    };
                }
                None => {
                    let parent = self.directory(f.path.rsplit_once('/').map(|(d, _)| d));
                    let n = self.g.add_node(Node::File {
                        id,
                        path: f.path.clone(),
                        language: f.language.clone(),
                    });
                    self.g.add_edge(parent, n, structural_edge);
                    self.by_ref.insert(NodeRef::File(id), n);
                    self.by_path.insert(f.path.clone(), n);
                }
            }
        }
        // Definitions and chunks of changed files, as `build` makes them.
        let defs: Vec<&codegraph_core::DefFact> = facts
            .defs
            .iter()
            .filter(|d| present.contains_key(&d.file_id))
            .collect();
        for d in &defs {
            let n = self.g.add_node(Node::Symbol(Symbol {
                id: d.id,
                name: d.name.clone(),
                qualified_name: d.qualified_name.clone(),
                kind: d.kind,
                path: present[&d.file_id].path.clone(),
                line: d.start_line,
                end_line: d.end_line,
                signature: d.signature.clone(),
            }));
            self.by_ref.insert(NodeRef::Def(d.id), n);
            self.by_name.entry(d.name.clone()).or_default().push(n);
            self.by_qname
                .entry(d.qualified_name.clone())
                .or_default()
                .push(n);
        }
        for d in &defs {
            let n = self.by_ref[&NodeRef::Def(d.id)];
            match d.parent_id.and_then(|p| self.by_ref.get(&NodeRef::Def(p))) {
                Some(&p) => {
                    self.g.add_edge(p, n, structural_edge);
                }
                None => {
                    if let Some(&f) = self.by_ref.get(&NodeRef::File(d.file_id)) {
                        self.g.add_edge(f, n, DEFINES);
                    }
                }
            }
        }
        for c in facts
            .chunks
            .iter()
            .filter(|c| present.contains_key(&c.file_id))
        {
            let parent = c
                .def_id
                .and_then(|d| self.by_ref.get(&NodeRef::Def(d)))
                .or_else(|| self.by_ref.get(&NodeRef::File(c.file_id)))
                .copied();
            let Some(parent) = parent else { continue };
            let n = self.g.add_node(Node::Chunk {
                id: c.id,
                path: present[&c.file_id].path.clone(),
                kind: c.kind,
                start_line: c.start_line,
                end_line: c.end_line,
            });
            self.g.add_edge(parent, n, structural_edge);
        }
        for (source, def, edge) in kept {
            if let Some(&n) = self.by_ref.get(&NodeRef::Def(def)) {
                self.g.add_edge(source, n, edge);
            }
        }
        for (&id, name) in externals {
            if !self.by_ref.contains_key(&NodeRef::Ext(id)) {
                let n = self.g.add_node(Node::External { name: name.clone() });
                self.by_ref.insert(NodeRef::Ext(id), n);
            }
        }
        for e in edges {
            let (Some(&a), Some(&b)) = (self.by_ref.get(&e.src), self.by_ref.get(&e.dst)) else {
                continue;
            };
            self.g.add_edge(a, b, edge_of(e));
        }
        // External modules no edge names any more are gone from the store.
        for n in externals_touched {
            if self.g.contains_node(n)
                && self
                    .g
                    .edges_directed(n, Direction::Incoming)
                    .next()
                    .is_none()
            {
                self.by_ref.retain(|_, &mut m| m != n);
                self.g.remove_node(n);
            }
        }
    }

    /// Removes a definition, chunk or file node and its index entries; a
    /// directory left empty goes too.
    fn forget(&mut self, n: NodeIndex) {
        let parent = self
            .g
            .edges_directed(n, Direction::Incoming)
            .find(|e| e.weight().kind == EdgeKind::Contains)
            .map(|e| e.source());
        match self.g.remove_node(n) {
            Some(Node::Symbol(s)) => {
                self.by_ref.remove(&NodeRef::Def(s.id));
                for (map, key) in [
                    (&mut self.by_name, &s.name),
                    (&mut self.by_qname, &s.qualified_name),
                ] {
                    if let Some(list) = map.get_mut(key) {
                        list.retain(|&m| m != n);
                        if list.is_empty() {
                            map.remove(key);
                        }
                    }
                }
            }
            Some(Node::File { path, .. }) => {
                self.by_path.remove(&path);
                // Empty directories up the chain.
                let mut dir = parent;
                while let Some(d) = dir {
                    let Node::Directory { path } = &self.g[d] else {
                        break;
                    };
                    if self
                        .g
                        .edges_directed(d, Direction::Outgoing)
                        .next()
                        .is_some()
                    {
                        break;
                    }
                    let path = path.clone();
                    dir = self
                        .g
                        .edges_directed(d, Direction::Incoming)
                        .next()
                        .map(|e| e.source());
                    self.by_path.remove(&path);
                    self.g.remove_node(d);
                }
            }
            _ => {}
        }
    }

    /// The node of directory `path` (`None`: the repository), created with
    /// its chain when missing.
    fn directory(&mut self, path: Option<&str>) -> NodeIndex {
        let repo = self
            .g
            .node_indices()
            .find(|&n| matches!(self.g[n], Node::Repository))
            .expect("the graph has a repository node");
        let Some(path) = path else {
            return repo;
        };
        let mut parent = repo;
        let mut prefix = String::new();
        for part in path.split('/') {
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(part);
            parent = match self.by_path.get(&prefix) {
                Some(&d) => d,
                None => {
                    let d = self.g.add_node(Node::Directory {
                        path: prefix.clone(),
                    });
                    self.g.add_edge(parent, d, STRUCTURAL);
                    self.by_path.insert(prefix.clone(), d);
                    d
                }
            };
        }
        parent
    }

    /// Every node and edge as sorted text, independent of node order: two
    /// graphs with equal canonical forms answer every query alike.
    pub fn canonical(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .g
            .node_indices()
            .map(|n| format!("node {:?}", self.g[n]))
            .collect();
        for e in self.g.edge_references() {
            let w = e.weight();
            out.push(format!(
                "edge {} -{}/{}/{}-> {}",
                self.key(e.source()),
                w.kind.as_str(),
                provenance(w).as_str(),
                w.line,
                self.key(e.target())
            ));
        }
        let mut index: Vec<String> = Vec::new();
        for (kind, map) in [("name", &self.by_name), ("qname", &self.by_qname)] {
            for (name, list) in map {
                let mut keys: Vec<String> = list.iter().map(|&n| self.key(n)).collect();
                keys.sort();
                index.push(format!("{kind} {name} {keys:?}"));
            }
        }
        for (path, &n) in &self.by_path {
            index.push(format!("path {path} {}", self.key(n)));
        }
        out.extend(index);
        out.sort();
        out
    }

    pub fn node(&self, n: NodeIndex) -> &Node {
        &self.g[n]
    }

    pub fn node_count(&self) -> usize {
        self.g.node_count()
    }

    pub fn edge_count(&self) -> usize {
        self.g.edge_count()
    }

    /// Edge counts by kind and provenance.
    pub fn edge_counts(&self) -> BTreeMap<String, u64> {
        let mut out = BTreeMap::new();
        for e in self.g.edge_weights() {
            let key = match e.kind {
                EdgeKind::Contains | EdgeKind::Defines => e.kind.as_str().to_owned(),
                _ => format!("{}.{}", e.kind.as_str(), e.provenance),
            };
            *out.entry(key).or_insert(0) += 1;
        }
        out
    }

    /// Definitions named `name` exactly, or whose qualified name is `name`,
    /// or ends with `.name` / `::name` (so `Type.method` finds
    /// `pkg.mod.Type.method`).
    pub fn find_symbols(&self, name: &str) -> Vec<NodeIndex> {
        let mut out: Vec<NodeIndex> = self.by_qname.get(name).cloned().unwrap_or_default();
        if out.is_empty() {
            out = self.by_name.get(name).cloned().unwrap_or_default();
        }
        if out.is_empty() && (name.contains('.') || name.contains("::")) {
            let last = name.rsplit(['.', ':']).next().unwrap_or(name);
            for &n in self.by_name.get(last).into_iter().flatten() {
                if let Node::Symbol(s) = &self.g[n] {
                    let q = &s.qualified_name;
                    if q.ends_with(&format!(".{name}")) || q.ends_with(&format!("::{name}")) {
                        out.push(n);
                    }
                }
            }
        }
        out.sort_by_key(|&n| match &self.g[n] {
            Node::Symbol(s) => (s.path.clone(), s.line),
            _ => (String::new(), 0),
        });
        out
    }

    /// The node of a file or directory path (relative to the root).
    pub fn path_node(&self, path: &str) -> Option<NodeIndex> {
        self.by_path.get(path.trim_end_matches('/')).copied()
    }

    pub fn def_node(&self, id: DefId) -> Option<NodeIndex> {
        self.by_ref.get(&NodeRef::Def(id)).copied()
    }

    /// Where a node is, for orders that do not depend on node indices.
    pub(crate) fn place(&self, n: NodeIndex) -> (&str, u32, &str) {
        match &self.g[n] {
            Node::Symbol(s) => (&s.path, s.line, &s.qualified_name),
            Node::File { path, .. } => (path, 0, ""),
            Node::Directory { path } => (path, 0, ""),
            Node::Chunk {
                path, start_line, ..
            } => (path, *start_line, ""),
            Node::External { name } => ("", 0, name),
            Node::Repository => ("", 0, ""),
        }
    }

    fn related(
        &self,
        n: NodeIndex,
        depth: usize,
        provenance: Provenance,
        call_line: u32,
    ) -> Option<Related> {
        Some(match &self.g[n] {
            Node::Symbol(s) => Related {
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
            Node::File { path, .. } => Related {
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
            _ => return None,
        })
    }

    /// Breadth-first over call edges, up to `depth` hops.
    fn walk_calls(
        &self,
        start: NodeIndex,
        dir: Direction,
        depth: usize,
        resolved_only: bool,
    ) -> Vec<Related> {
        let mut seen: HashSet<NodeIndex> = HashSet::from([start]);
        let mut queue = VecDeque::from([(start, 0usize)]);
        let mut out = Vec::new();
        while let Some((n, d)) = queue.pop_front() {
            if d >= depth {
                continue;
            }
            let mut next: Vec<(NodeIndex, &Edge)> = self
                .g
                .edges_directed(n, dir)
                .filter(|e| {
                    e.weight().kind == EdgeKind::Calls
                        && (!resolved_only || e.weight().provenance == Provenance::Resolved)
                })
                .map(|e| {
                    (
                        if dir == Direction::Incoming {
                            e.source()
                        } else {
                            e.target()
                        },
                        e.weight(),
                    )
                })
                .collect();
            // In path and line order, whatever order the graph was built in.
            next.sort_by(|a, b| (self.place(a.0), a.1.line).cmp(&(self.place(b.0), b.1.line)));
            for (m, e) in next {
                if seen.insert(m) {
                    if let Some(r) = self.related(m, d + 1, provenance(e), e.line) {
                        out.push(r);
                    }
                    queue.push_back((m, d + 1));
                }
            }
        }
        out.sort_by(|a, b| {
            (a.depth, &a.path, a.line, &a.symbol).cmp(&(b.depth, &b.path, b.line, &b.symbol))
        });
        out
    }

    /// Who calls `def`, transitively up to `depth`.
    pub fn callers(&self, def: NodeIndex, depth: usize, resolved_only: bool) -> Vec<Related> {
        self.walk_calls(def, Direction::Incoming, depth, resolved_only)
    }

    /// What `def` calls, transitively up to `depth`.
    pub fn callees(&self, def: NodeIndex, depth: usize, resolved_only: bool) -> Vec<Related> {
        self.walk_calls(def, Direction::Outgoing, depth, resolved_only)
    }

    fn import_edges(&self, file: NodeIndex, dir: Direction) -> Vec<(String, u32)> {
        let mut out: Vec<(String, u32)> = self
            .g
            .edges_directed(file, dir)
            .filter(|e| e.weight().kind == EdgeKind::Imports)
            .filter_map(|e| {
                let other = if dir == Direction::Incoming {
                    e.source()
                } else {
                    e.target()
                };
                let name = match &self.g[other] {
                    Node::File { path, .. } => path.clone(),
                    Node::External { name } => format!("external:{name}"),
                    _ => return None,
                };
                Some((name, e.weight().line))
            })
            .collect();
        out.sort();
        out.dedup_by(|a, b| a.0 == b.0);
        out
    }

    /// Files (and external modules, as `external:NAME`) a file imports, with
    /// the line of the import.
    pub fn imports(&self, file: NodeIndex) -> Vec<(String, u32)> {
        self.import_edges(file, Direction::Outgoing)
    }

    /// Files that import a file, with the line of their import.
    pub fn importers(&self, file: NodeIndex) -> Vec<(String, u32)> {
        self.import_edges(file, Direction::Incoming)
    }

    fn key(&self, n: NodeIndex) -> String {
        match &self.g[n] {
            Node::Repository => ".".into(),
            Node::Directory { path } => format!("{path}/"),
            Node::File { path, .. } => path.clone(),
            Node::Symbol(s) => format!("{}#{}", s.qualified_name, s.line),
            Node::Chunk {
                path,
                start_line,
                end_line,
                ..
            } => format!("chunk:{path}:{start_line}-{end_line}"),
            Node::External { name } => format!("external:{name}"),
        }
    }

    /// The nodes within `hops` of `start`, edges followed in both directions
    /// (containment only downward from directories, so a file's neighbours
    /// are not the whole repository), capped at `limit` nodes.
    pub fn neighbors(&self, start: NodeIndex, hops: usize, limit: usize) -> Subgraph {
        let mut seen: HashMap<NodeIndex, usize> = HashMap::from([(start, 0)]);
        let mut order = vec![start];
        let mut queue = VecDeque::from([start]);
        while let Some(n) = queue.pop_front() {
            let d = seen[&n];
            if d >= hops {
                continue;
            }
            let out = self
                .g
                .edges_directed(n, Direction::Outgoing)
                .map(|e| e.target());
            let inc = self
                .g
                .edges_directed(n, Direction::Incoming)
                .filter(|e| {
                    !matches!(
                        self.g[e.source()],
                        Node::Repository | Node::Directory { .. }
                    )
                })
                .map(|e| e.source());
            let mut next: Vec<NodeIndex> = out.chain(inc).collect();
            next.sort_by_cached_key(|&m| self.key(m));
            for m in next {
                if order.len() >= limit {
                    break;
                }
                if let std::collections::hash_map::Entry::Vacant(v) = seen.entry(m) {
                    v.insert(d + 1);
                    order.push(m);
                    queue.push_back(m);
                }
            }
        }
        let members: HashSet<NodeIndex> = order.iter().copied().collect();
        let mut edges = Vec::new();
        for &n in &order {
            for e in self.g.edges_directed(n, Direction::Outgoing) {
                if members.contains(&e.target()) {
                    edges.push(SubgraphEdge {
                        from: self.key(n),
                        to: self.key(e.target()),
                        kind: e.weight().kind,
                        provenance: provenance(e.weight()),
                    });
                }
            }
        }
        Subgraph {
            nodes: order
                .iter()
                .map(|&n| SubgraphNode {
                    key: self.key(n),
                    hops: seen[&n],
                    node: self.g[n].clone(),
                })
                .collect(),
            edges,
        }
    }

    pub(crate) fn inner(&self) -> &StableDiGraph<Node, Edge> {
        &self.g
    }

    /// Reference edges (imports, calls, inherits, implements) as
    /// `(kind, source, target, provenance)`, where a definition is named by
    /// its qualified name, a file by its path and an external module as
    /// `external:NAME`. Sorted; duplicates (overloads) removed.
    pub fn reference_edges(&self) -> Vec<(EdgeKind, String, String, Provenance)> {
        let name = |n: NodeIndex| match &self.g[n] {
            Node::Symbol(s) => s.qualified_name.clone(),
            Node::File { path, .. } => path.clone(),
            Node::External { name } => format!("external:{name}"),
            Node::Directory { path } => format!("{path}/"),
            Node::Chunk {
                path,
                start_line,
                end_line,
                ..
            } => format!("{path}:{start_line}-{end_line}"),
            Node::Repository => ".".into(),
        };
        let mut out: Vec<_> = self
            .g
            .edge_references()
            .filter(|e| !matches!(e.weight().kind, EdgeKind::Contains | EdgeKind::Defines))
            .map(|e| {
                (
                    e.weight().kind,
                    name(e.source()),
                    name(e.target()),
                    provenance(e.weight()),
                )
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Every edge index of a kind (for tests and statistics).
    pub fn edges_of(&self, kind: EdgeKind) -> Vec<EdgeIndex> {
        self.g
            .edge_indices()
            .filter(|&e| self.g[e].kind == kind)
            .collect()
    }

    /// `(source key, target key, provenance)` of an edge.
    pub fn describe_edge(&self, e: EdgeIndex) -> (String, String, Provenance) {
        let (a, b) = self.g.edge_endpoints(e).expect("edge exists");
        (self.key(a), self.key(b), provenance(&self.g[e]))
    }
}

/// The graph edge of a stored reference.
fn edge_of(e: &RefEdge) -> Edge {
    Edge {
        kind: e.kind,
        provenance: e.provenance,
        line: e.line,
    }
}
