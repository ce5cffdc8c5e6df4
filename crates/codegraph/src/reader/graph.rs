//! Graph questions: who calls what, imports, neighbours, the map.

use super::Reader;
use crate::{Error, Result};
use codegraph_core::{EdgeKind, Provenance, ResolutionStats};
use codegraph_graph::{MapOptions, Node, NodeIndex, Related, RepoMap, Subgraph, Symbol};
use std::collections::BTreeMap;

impl Reader {
    /// The node of the one definition `name` designates (a name, a
    /// qualified name, or a qualified suffix such as `Type.method`); several
    /// matches are an [`Error::Ambiguous`] listing them.
    pub(crate) fn symbol_node(&self, name: &str) -> Result<NodeIndex> {
        let graph = self.graph()?;
        let found = graph.find_symbols(name);
        let symbols: Vec<&Symbol> = found
            .iter()
            .filter_map(|&n| match graph.node(n) {
                Node::Symbol(s) => Some(s),
                _ => None,
            })
            .collect();
        match found.len() {
            0 => Err(Error::SymbolNotFound(name.to_owned())),
            // Overloads share a qualified name: one symbol. So do a field
            // and a method of one name (Java's `errno` and `errno()`): the
            // callable one, the one graph questions are about.
            _ if symbols
                .iter()
                .all(|s| s.qualified_name == symbols[0].qualified_name) =>
            {
                let callable = symbols.iter().position(|s| s.kind.is_callable());
                Ok(found[callable.unwrap_or(0)])
            }
            _ => Err(Error::Ambiguous {
                name: name.to_owned(),
                candidates: symbols
                    .iter()
                    .map(|s| format!("{} ({}:{}, {})", s.qualified_name, s.path, s.line, s.kind))
                    .collect(),
            }),
        }
    }

    /// The one definition `name` designates; see [`Reader::callers`].
    pub fn resolve_symbol(&self, name: &str) -> Result<Symbol> {
        let n = self.symbol_node(name)?;
        match self.graph()?.node(n) {
            Node::Symbol(s) => Ok(s.clone()),
            _ => Err(Error::SymbolNotFound(name.to_owned())),
        }
    }

    /// Definitions named `name`, qualified `name`, or whose qualified name
    /// ends with `.name` / `::name`, by path and line.
    pub fn lookup_symbols(&self, name: &str) -> Result<Vec<Symbol>> {
        let graph = self.graph()?;
        Ok(graph
            .find_symbols(name)
            .into_iter()
            .filter_map(|n| match graph.node(n) {
                Node::Symbol(s) => Some(s.clone()),
                _ => None,
            })
            .collect())
    }

    /// The definition with id `id`, if the graph has it.
    pub fn symbol_by_id(&self, id: codegraph_core::DefId) -> Result<Option<Symbol>> {
        let graph = self.graph()?;
        Ok(graph.def_node(id).and_then(|n| match graph.node(n) {
            Node::Symbol(s) => Some(s.clone()),
            _ => None,
        }))
    }

    /// Who calls `symbol`, up to `depth` hops. Without the graph in
    /// memory, a short walk reads the stored edges instead of loading it
    /// (the same answer: [`Reader::callers_stored`]).
    pub fn callers(&self, symbol: &str, depth: usize, resolved_only: bool) -> Result<Vec<Related>> {
        if self.walks_from_store(depth) {
            return self.callers_stored(symbol, depth, resolved_only);
        }
        let n = self.symbol_node(symbol)?;
        Ok(self.graph()?.callers(n, depth, resolved_only))
    }

    /// Who calls the definition with id `id`, up to `depth` hops.
    pub fn callers_of(
        &self,
        id: codegraph_core::DefId,
        depth: usize,
        resolved_only: bool,
    ) -> Result<Vec<Related>> {
        let graph = self.graph()?;
        let n = graph
            .def_node(id)
            .ok_or_else(|| Error::SymbolNotFound(id.to_string()))?;
        Ok(graph.callers(n, depth, resolved_only))
    }

    /// Nodes and edges of the in-memory graph.
    pub fn graph_size(&self) -> Result<(usize, usize)> {
        let graph = self.graph()?;
        Ok((graph.node_count(), graph.edge_count()))
    }

    /// What `symbol` calls, up to `depth` hops; from the stored edges as
    /// [`Reader::callers`] says.
    pub fn callees(&self, symbol: &str, depth: usize, resolved_only: bool) -> Result<Vec<Related>> {
        if self.walks_from_store(depth) {
            return self.callees_stored(symbol, depth, resolved_only);
        }
        let n = self.symbol_node(symbol)?;
        Ok(self.graph()?.callees(n, depth, resolved_only))
    }

    pub(crate) fn file_node(&self, path: &str) -> Result<NodeIndex> {
        let rel = self.relative_path(path)?;
        self.graph()?.path_node(&rel).ok_or(Error::NotIndexed(rel))
    }

    /// Files and external modules (`external:NAME`) `file` imports, with
    /// the line of the import (from the stored edges when the graph is not
    /// loaded: the same answer, [`Reader::imports_stored`]).
    pub fn imports(&self, file: &str) -> Result<Vec<(String, u32)>> {
        if !self.graph_loaded() {
            return self.imports_stored(file);
        }
        let n = self.file_node(file)?;
        Ok(self.graph()?.imports(n))
    }

    /// Files importing `file`.
    pub fn importers(&self, file: &str) -> Result<Vec<(String, u32)>> {
        if !self.graph_loaded() {
            return self.importers_stored(file);
        }
        let n = self.file_node(file)?;
        Ok(self.graph()?.importers(n))
    }

    /// The subgraph within `hops` of a symbol or a file.
    pub fn neighbors(&self, target: &str, hops: usize, limit: usize) -> Result<Subgraph> {
        let n = match self.file_node(target) {
            Ok(n) => n,
            Err(_) => self.symbol_node(target)?,
        };
        Ok(self.graph()?.neighbors(n, hops, limit))
    }

    /// The ranked repository map.
    pub fn map(&self, options: &MapOptions) -> Result<RepoMap> {
        let mut options = options.clone();
        options.focus = options
            .focus
            .iter()
            .map(|f| self.relative_path(f))
            .collect::<Result<_>>()?;
        self.graph()?
            .map(&options)
            .map_err(|e| Error::InvalidRequest(e.to_string()))
    }

    /// Reference edges (imports, calls, inherits, implements) as `(kind,
    /// source, target, provenance)`, named by qualified name, path or
    /// `external:NAME`; sorted.
    pub fn reference_edges(&self) -> Result<Vec<(EdgeKind, String, String, Provenance)>> {
        Ok(self.graph()?.reference_edges())
    }

    /// The in-memory graph as sorted text: two readers with equal forms
    /// answer every graph question alike.
    pub fn graph_canonical(&self) -> Result<Vec<String>> {
        Ok(self.graph()?.canonical())
    }

    /// Edges of the in-memory graph counted by kind and provenance.
    pub fn graph_edge_counts(&self) -> Result<BTreeMap<String, u64>> {
        Ok(self.graph()?.edge_counts())
    }

    /// Stored reference edges counted by kind and provenance.
    pub fn edge_counts(&self) -> Result<Vec<((EdgeKind, Provenance), u64)>> {
        Ok(self.pool().read()?.edge_counts()?)
    }

    /// Resolution statistics of the last whole resolution.
    pub fn resolution_stats(&self) -> Result<ResolutionStats> {
        Ok(self
            .pool()
            .read()?
            .meta_record()?
            .resolution
            .unwrap_or_default())
    }
}
