//! Graph resolution after a run: the whole repository, or only the files
//! a change can affect (`codegraph_graph::invalidate`).

use super::Indexer;
use crate::Result;
use crate::changes::GraphChange;
use codegraph_core::{FileChange, FileId, ResolutionStats};
use codegraph_graph::invalidate::{affected_files, interface_of};
use codegraph_lang::Registry;
use serde::Serialize;
use std::collections::HashSet;
use std::time::Instant;

/// What re-resolving the graph did.
#[derive(Debug, Clone, Serialize)]
pub struct GraphReport {
    /// For a whole-repository resolution; an incremental update leaves the
    /// stored statistics of the last whole one.
    pub resolution: ResolutionStats,
    pub edges: u64,
    pub elapsed_ms: u64,
    /// Files whose references were resolved again (incremental update);
    /// `None` when the whole repository was.
    pub files_resolved: Option<u64>,
}

impl Indexer {
    /// Re-resolves the references of changed files and of the files that
    /// depend on them (see `affected_files`), and replaces only their
    /// stored edges.
    pub(super) fn update_graph(
        &mut self,
        changes: &[FileChange],
    ) -> Result<(GraphReport, GraphChange)> {
        let started = Instant::now();
        let changed: HashSet<FileId> = changes.iter().map(|c| c.file).collect();
        // Files whose interface (what other files' resolution reads) is the
        // same after the change: only their own references need resolving.
        let mut same_interface: HashSet<FileId> = HashSet::new();
        let facts = match self.facts.take() {
            Some(mut cached) => {
                let live: Vec<FileId> = changes
                    .iter()
                    .filter(|c| !c.deleted)
                    .map(|c| c.file)
                    .collect();
                let before: Vec<(FileId, _)> = changes
                    .iter()
                    .filter(|c| !c.deleted && !c.old_definitions.is_empty())
                    .map(|c| (c.file, interface_of(&cached, c.file)))
                    .collect();
                let conn = self.store.read();
                let fresh = conn.graph_facts_of(&live)?;
                let configs = conn.graph_configs()?;
                drop(conn);
                cached.patch(&changed, fresh);
                if configs != cached.configs {
                    // A module root moved (go.mod): every import may.
                    return Ok((self.rebuild_graph()?, GraphChange::Rebuilt));
                }
                for (id, old) in before {
                    if interface_of(&cached, id) == old {
                        same_interface.insert(id);
                    }
                }
                cached
            }
            None => self.store.read().graph_facts()?,
        };
        let patched_ms = started.elapsed().as_millis() as u64;
        let affected = affected_files(&facts, changes, &same_interface, |files, defs| {
            self.store.read().files_with_edges_into(files, defs)
        })?;
        let prepared_ms = started.elapsed().as_millis() as u64;
        let resolution = codegraph_graph::resolve_files(&facts, Registry::builtin(), &affected);
        let resolved_ms = started.elapsed().as_millis() as u64;
        let mut replace: Vec<FileId> = affected.iter().copied().collect();
        replace.extend(changes.iter().filter(|c| c.deleted).map(|c| c.file));
        replace.sort();
        self.store
            .replace_graph_files(&replace, &resolution.edges, &resolution.externals)?;
        let mut writer = self.store.writer()?;
        writer.set_graph_current(true)?;
        writer.commit()?;
        tracing::debug!(
            changed = changes.len(),
            affected = affected.len(),
            patched_ms,
            prepared_ms,
            resolved_ms,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "graph updated incrementally"
        );
        let report = GraphReport {
            resolution: resolution.stats,
            edges: (resolution.edges.len() + resolution.externals.len()) as u64,
            elapsed_ms: started.elapsed().as_millis() as u64,
            files_resolved: Some(affected.len() as u64),
        };
        self.facts = Some(facts);
        let change = GraphChange::Patched {
            changed,
            replaced: replace.into_iter().collect(),
        };
        Ok((report, change))
    }

    /// Re-resolves every reference into edges and stores them.
    pub(super) fn rebuild_graph(&mut self) -> Result<GraphReport> {
        let started = Instant::now();
        self.facts = None;
        let facts = self.store.read().graph_facts()?;
        let loaded_ms = started.elapsed().as_millis();
        let resolution = codegraph_graph::resolve(&facts, Registry::builtin());
        let resolved_ms = started.elapsed().as_millis();
        let edges = (resolution.edges.len() + resolution.externals.len()) as u64;
        let importance = codegraph_graph::file_importance(&facts, &resolution.edges);
        let ranked_ms = started.elapsed().as_millis();
        self.store
            .replace_graph(&resolution.edges, &resolution.externals, &importance)?;
        tracing::debug!(
            loaded_ms,
            resolved_ms,
            ranked_ms,
            stored_ms = started.elapsed().as_millis(),
            edges,
            "graph rebuilt"
        );
        let mut writer = self.store.writer()?;
        writer.set_graph_current(true)?;
        writer.set_resolution(&resolution.stats)?;
        writer.commit()?;
        self.facts = Some(facts);
        Ok(GraphReport {
            resolution: resolution.stats,
            edges,
            elapsed_ms: started.elapsed().as_millis() as u64,
            files_resolved: None,
        })
    }
}
