//! Questions to the graph: callers and callees, imports, neighbours, names.

use crate::{Edge, Graph, Node, Related, Subgraph, SubgraphEdge, SubgraphNode, provenance};
use codegraph_core::{DefId, EdgeKind, NodeRef, Provenance};
use petgraph::Direction;
use petgraph::graph::NodeIndex;
use petgraph::stable_graph::{EdgeIndex, StableDiGraph};
use petgraph::visit::{EdgeRef, IntoEdgeReferences};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

impl Graph {
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
                if let Node::Symbol(s) = &self.g[n]
                    && codegraph_core::types::ends_with_qualified(&s.qualified_name, name)
                {
                    out.push(n);
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

    /// Every reference to `def` other than an import: calls, inheritance,
    /// implementations and plain uses (decorators, annotations), with the
    /// kind of each edge; `provenance` keeps only edges of that provenance.
    /// In path and line order of the referring site.
    pub fn references(
        &self,
        def: NodeIndex,
        provenance: Option<Provenance>,
    ) -> Vec<(EdgeKind, Related)> {
        let mut out: Vec<(EdgeKind, Related)> = self
            .g
            .edges_directed(def, Direction::Incoming)
            .filter(|e| {
                let w = e.weight();
                w.kind.is_reference()
                    && w.kind != EdgeKind::Imports
                    && provenance.is_none_or(|p| w.provenance == p)
            })
            .filter_map(|e| {
                let w = e.weight();
                self.related(e.source(), 1, w.provenance, w.line)
                    .map(|r| (w.kind, r))
            })
            .collect();
        out.sort_by(|a, b| {
            (&a.1.path, a.1.call_line, &a.1.symbol, a.0.as_str()).cmp(&(
                &b.1.path,
                b.1.call_line,
                &b.1.symbol,
                b.0.as_str(),
            ))
        });
        out.dedup_by(|a, b| {
            a.0 == b.0 && a.1.symbol == b.1.symbol && a.1.call_line == b.1.call_line
        });
        out
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
