//! Building the graph from facts and stored edges, and patching it in
//! place after an incremental update so it equals a fresh build.

use crate::{DEFINES, Edge, Graph, Node, STRUCTURAL, Symbol, edge_of};
use codegraph_core::{
    ChunkFact, DefFact, DefId, EdgeKind, ExternalId, FileFact, FileId, GraphFacts, NodeRef, RefEdge,
};
use petgraph::Direction;
use petgraph::graph::NodeIndex;
use petgraph::stable_graph::{EdgeIndex, StableDiGraph};
use petgraph::visit::EdgeRef;
use std::collections::{HashMap, HashSet};

fn is_structural(e: &Edge) -> bool {
    matches!(e.kind, EdgeKind::Contains | EdgeKind::Defines)
}

impl Graph {
    /// Builds the graph from the facts and the stored edges.
    pub fn build(
        facts: &GraphFacts,
        edges: &[RefEdge],
        externals: &HashMap<ExternalId, String>,
    ) -> Graph {
        let mut g = StableDiGraph::with_capacity(
            facts.files.len() + facts.defs.len() + 64,
            facts.defs.len() * 2 + edges.len(),
        );
        let repo = g.add_node(Node::Repository);
        let mut graph = Graph {
            g,
            repo,
            by_ref: HashMap::new(),
            by_path: HashMap::new(),
            by_name: HashMap::new(),
            by_qname: HashMap::new(),
            map_cache: Default::default(),
        };
        for f in &facts.files {
            graph.add_file(f);
        }
        let paths: HashMap<FileId, &str> = facts
            .files
            .iter()
            .map(|f| (f.id, f.path.as_str()))
            .collect();
        let defs: Vec<&DefFact> = facts.defs.iter().collect();
        graph.add_definitions(&defs, &paths);
        let chunks: Vec<&ChunkFact> = facts.chunks.iter().collect();
        graph.add_chunks(&chunks, &paths);
        graph.add_references(edges, externals);
        graph
    }

    /// A file node under its directory chain (created as needed).
    fn add_file(&mut self, f: &FileFact) -> NodeIndex {
        let parent = self.directory(f.path.rsplit_once('/').map(|(d, _)| d));
        let n = self.g.add_node(Node::File {
            id: f.id,
            path: f.path.clone(),
            language: f.language.clone(),
        });
        self.g.add_edge(parent, n, STRUCTURAL);
        self.by_ref.insert(NodeRef::File(f.id), n);
        self.by_path.insert(f.path.clone(), n);
        n
    }

    /// Definition nodes, indexed by name and qualified name, each under its
    /// parent definition or its file.
    fn add_definitions(&mut self, defs: &[&DefFact], paths: &HashMap<FileId, &str>) {
        for d in defs {
            let n = self.g.add_node(Node::Symbol(Symbol {
                id: d.id,
                name: d.name.clone(),
                qualified_name: d.qualified_name.clone(),
                kind: d.kind,
                path: paths
                    .get(&d.file_id)
                    .map(|p| (*p).to_owned())
                    .unwrap_or_default(),
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
        for d in defs {
            let n = self.by_ref[&NodeRef::Def(d.id)];
            match d.parent_id.and_then(|p| self.by_ref.get(&NodeRef::Def(p))) {
                Some(&p) => {
                    self.g.add_edge(p, n, STRUCTURAL);
                }
                None => {
                    if let Some(&f) = self.by_ref.get(&NodeRef::File(d.file_id)) {
                        self.g.add_edge(f, n, DEFINES);
                    }
                }
            }
        }
    }

    /// Chunk nodes, each under its definition or its file.
    fn add_chunks(&mut self, chunks: &[&ChunkFact], paths: &HashMap<FileId, &str>) {
        for c in chunks {
            let parent = c
                .def_id
                .and_then(|d| self.by_ref.get(&NodeRef::Def(d)))
                .or_else(|| self.by_ref.get(&NodeRef::File(c.file_id)))
                .copied();
            let Some(parent) = parent else { continue };
            let n = self.g.add_node(Node::Chunk {
                id: c.id,
                path: paths
                    .get(&c.file_id)
                    .map(|p| (*p).to_owned())
                    .unwrap_or_default(),
                kind: c.kind,
                start_line: c.start_line,
                end_line: c.end_line,
            });
            self.g.add_edge(parent, n, STRUCTURAL);
        }
    }

    /// External module nodes (new ones) and reference edges.
    fn add_references(&mut self, edges: &[RefEdge], externals: &HashMap<ExternalId, String>) {
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
        self.map_cache = Default::default();
        let (kept, externals_touched) = self.detach(changed, replaced);
        let present = self.update_files(facts, changed);
        let paths: HashMap<FileId, &str> = present
            .iter()
            .map(|(&id, f)| (id, f.path.as_str()))
            .collect();
        let defs: Vec<&DefFact> = facts
            .defs
            .iter()
            .filter(|d| present.contains_key(&d.file_id))
            .collect();
        self.add_definitions(&defs, &paths);
        let chunks: Vec<&ChunkFact> = facts
            .chunks
            .iter()
            .filter(|c| present.contains_key(&c.file_id))
            .collect();
        self.add_chunks(&chunks, &paths);
        for (source, def, edge) in kept {
            if let Some(&n) = self.by_ref.get(&NodeRef::Def(def)) {
                self.g.add_edge(source, n, edge);
            }
        }
        self.add_references(edges, externals);
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

    /// Removes the outgoing references of `replaced` files and the
    /// definitions and chunks of `changed` ones; returns the references
    /// into those definitions from files not re-resolved (definition ids
    /// are stable, so they are re-attached), and the external modules that
    /// lost an edge.
    fn detach(
        &mut self,
        changed: &HashSet<FileId>,
        replaced: &HashSet<FileId>,
    ) -> (Vec<(NodeIndex, DefId, Edge)>, HashSet<NodeIndex>) {
        let mut externals_touched = HashSet::new();
        let mut kept = Vec::new();
        for &f in replaced {
            let Some(&file) = self.by_ref.get(&NodeRef::File(f)) else {
                continue;
            };
            let nodes = self.below(file);
            let mut drop: Vec<EdgeIndex> = Vec::new();
            for &n in std::iter::once(&file).chain(&nodes) {
                for e in self.g.edges_directed(n, Direction::Outgoing) {
                    if !is_structural(e.weight()) {
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
                        if is_structural(e.weight()) {
                            continue;
                        }
                        let from = self.file_of(e.source());
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
        (kept, externals_touched)
    }

    /// Removes the file nodes of changed files gone from the facts and
    /// adds or updates the others; the changed files still present.
    fn update_files<'f>(
        &mut self,
        facts: &'f GraphFacts,
        changed: &HashSet<FileId>,
    ) -> HashMap<FileId, &'f FileFact> {
        let present: HashMap<FileId, &FileFact> = facts
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
                    self.add_file(f);
                }
            }
        }
        present
    }

    /// Definition and chunk nodes under `file`.
    fn below(&self, file: NodeIndex) -> Vec<NodeIndex> {
        let mut out = Vec::new();
        let mut stack = vec![file];
        while let Some(n) = stack.pop() {
            for e in self.g.edges_directed(n, Direction::Outgoing) {
                if is_structural(e.weight()) {
                    out.push(e.target());
                    stack.push(e.target());
                }
            }
        }
        out
    }

    /// The file a node belongs to (files, definitions, chunks).
    fn file_of(&self, n: NodeIndex) -> Option<FileId> {
        let path = match &self.g[n] {
            Node::File { id, .. } => return Some(*id),
            Node::Symbol(s) => &s.path,
            Node::Chunk { path, .. } => path,
            _ => return None,
        };
        match self.by_path.get(path).map(|&f| &self.g[f]) {
            Some(Node::File { id, .. }) => Some(*id),
            _ => None,
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
        let Some(path) = path else {
            return self.repo;
        };
        let mut parent = self.repo;
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
}
