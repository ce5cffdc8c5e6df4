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
//! This crate reads store rows but runs no SQL and touches no files.

mod map;
mod resolve;

pub use map::{MapEntry, MapOptions, RepoMap, file_importance, line_tokens, pagerank};
pub use petgraph::graph::NodeIndex;
pub use resolve::{INFERRED, RESOLVED, Resolution, ResolutionStats, resolve, resolve_files};

use codegraph_store::{EdgeRow, GraphFacts, NodeRef};
use petgraph::Direction;
use petgraph::graph::{DiGraph, EdgeIndex};
use petgraph::visit::EdgeRef;
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
        id: i64,
        path: String,
        language: String,
    },
    Symbol(Symbol),
    Chunk {
        id: i64,
        path: String,
        kind: String,
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
    pub id: i64,
    pub name: String,
    pub qualified_name: String,
    pub kind: String,
    pub path: String,
    pub line: u32,
    pub end_line: u32,
    pub signature: String,
}

/// The kind of an edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum EdgeKind {
    Contains,
    Defines,
    Imports,
    Calls,
    Inherits,
    Implements,
}

impl EdgeKind {
    fn parse(s: &str) -> Option<EdgeKind> {
        Some(match s {
            "imports" => EdgeKind::Imports,
            "calls" => EdgeKind::Calls,
            "inherits" => EdgeKind::Inherits,
            "implements" => EdgeKind::Implements,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            EdgeKind::Contains => "contains",
            EdgeKind::Defines => "defines",
            EdgeKind::Imports => "imports",
            EdgeKind::Calls => "calls",
            EdgeKind::Inherits => "inherits",
            EdgeKind::Implements => "implements",
        }
    }
}

/// An edge of the graph.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Edge {
    pub kind: EdgeKind,
    /// `true` when proved by scope, import or type; `false` when inferred
    /// from a unique name.
    pub resolved: bool,
    /// Line of the reference in its file (0 for structural edges).
    pub line: u32,
}

/// One answer of `callers` / `callees`.
#[derive(Debug, Clone, Serialize)]
pub struct Related {
    /// Qualified name, or the file's path for top-level code.
    pub symbol: String,
    pub path: String,
    /// Line of the definition.
    pub line: u32,
    pub kind: String,
    pub provenance: &'static str,
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
    pub provenance: &'static str,
}

/// The whole graph in memory.
#[derive(Debug)]
pub struct Graph {
    g: DiGraph<Node, Edge>,
    by_ref: HashMap<NodeRef, NodeIndex>,
    by_path: HashMap<String, NodeIndex>,
    by_name: HashMap<String, Vec<NodeIndex>>,
    by_qname: HashMap<String, Vec<NodeIndex>>,
}

fn provenance(e: &Edge) -> &'static str {
    if e.resolved { RESOLVED } else { INFERRED }
}

impl Graph {
    /// Builds the graph from store rows and stored edges.
    pub fn build(facts: &GraphFacts, edges: &[EdgeRow], externals: &HashMap<i64, String>) -> Graph {
        let mut g = DiGraph::with_capacity(
            facts.files.len() + facts.defs.len() + 64,
            facts.defs.len() * 2 + edges.len(),
        );
        let mut by_ref = HashMap::new();
        let mut by_path = HashMap::new();
        let repo = g.add_node(Node::Repository);
        let mut dirs: HashMap<String, NodeIndex> = HashMap::new();
        let structural = Edge {
            kind: EdgeKind::Contains,
            resolved: true,
            line: 0,
        };
        let mut file_paths: HashMap<i64, &str> = HashMap::new();
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
                kind: d.kind.clone(),
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
                        g.add_edge(
                            f,
                            n,
                            Edge {
                                kind: EdgeKind::Defines,
                                resolved: true,
                                line: 0,
                            },
                        );
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
                kind: c.kind.clone(),
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
            let (Some(&a), Some(&b), Some(kind)) = (
                by_ref.get(&e.src),
                by_ref.get(&e.dst),
                EdgeKind::parse(&e.kind),
            ) else {
                continue;
            };
            g.add_edge(
                a,
                b,
                Edge {
                    kind,
                    resolved: e.provenance == RESOLVED,
                    line: e.line,
                },
            );
        }
        Graph {
            g,
            by_ref,
            by_path,
            by_name,
            by_qname,
        }
    }

    pub fn node(&self, n: NodeIndex) -> &Node {
        &self.g[n]
    }

    pub fn node_count(&self) -> usize {
        self.g.node_count()
    }

    /// Edge counts by kind and provenance.
    pub fn edge_counts(&self) -> BTreeMap<String, u64> {
        let mut out = BTreeMap::new();
        for e in self.g.edge_weights() {
            let key = match e.kind {
                EdgeKind::Contains | EdgeKind::Defines => e.kind.as_str().to_owned(),
                _ => format!("{}.{}", e.kind.as_str(), provenance(e)),
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

    pub fn def_node(&self, id: i64) -> Option<NodeIndex> {
        self.by_ref.get(&NodeRef::Def(id)).copied()
    }

    fn related(
        &self,
        n: NodeIndex,
        depth: usize,
        provenance: &'static str,
        call_line: u32,
    ) -> Option<Related> {
        Some(match &self.g[n] {
            Node::Symbol(s) => Related {
                symbol: s.qualified_name.clone(),
                path: s.path.clone(),
                line: s.line,
                kind: s.kind.clone(),
                provenance,
                depth,
                call_line,
                signature: s.signature.clone(),
            },
            Node::File { path, .. } => Related {
                symbol: path.clone(),
                path: path.clone(),
                line: 0,
                kind: "file".into(),
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
                    e.weight().kind == EdgeKind::Calls && (!resolved_only || e.weight().resolved)
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
            next.sort_by_key(|(m, _)| m.index());
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
            for m in out.chain(inc).collect::<Vec<_>>() {
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

    pub(crate) fn inner(&self) -> &DiGraph<Node, Edge> {
        &self.g
    }

    /// Reference edges (imports, calls, inherits, implements) as
    /// `(kind, source, target, provenance)`, where a definition is named by
    /// its qualified name, a file by its path and an external module as
    /// `external:NAME`. Sorted; duplicates (overloads) removed.
    pub fn reference_edges(&self) -> Vec<(EdgeKind, String, String, &'static str)> {
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
    pub fn describe_edge(&self, e: EdgeIndex) -> (String, String, &'static str) {
        let (a, b) = self.g.edge_endpoints(e).expect("edge exists");
        (self.key(a), self.key(b), provenance(&self.g[e]))
    }
}
