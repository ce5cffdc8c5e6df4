//! Questions agents ask that compose the other readers' answers:
//! definitions with their docs by any form of name, a bounded piece of
//! source, every reference to a definition, what a change may break, and a
//! lexical scan of the files while no index exists yet (where a task needs
//! a change is `locate.rs`).

use super::Reader;
use super::locate::is_ident_char;
use crate::{Error, Result};
use codegraph_core::{DefKind, EdgeKind, Provenance};
use codegraph_graph::Related;
use codegraph_store::DefinitionRow;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Instant;

/// Lines of a file, as [`Reader::source_lines`] returns them.
#[derive(Debug, Clone, Serialize)]
pub struct SourceLines {
    pub path: String,
    /// 1-based, inclusive.
    pub start_line: u32,
    pub end_line: u32,
    /// Lines in the whole file.
    pub total_lines: u32,
    /// The lines, each ending with `\n`.
    pub text: String,
}

/// A reference to a definition: the referring definition (or file), and
/// the kind of the edge.
#[derive(Debug, Clone, Serialize)]
pub struct Reference {
    pub edge: EdgeKind,
    #[serde(flatten)]
    pub from: Related,
}

/// How an impacted place depends on the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImpactVia {
    /// Calls the target (or a caller of it, `depth` hops away).
    Calls,
    /// Inherits from, implements or otherwise uses the target.
    Uses,
    /// Imports the target's file (or an importer of it).
    Imports,
}

/// One place a change to the target may break.
#[derive(Debug, Clone, Serialize)]
pub struct ImpactItem {
    /// The definition's qualified name, or the file's path.
    pub symbol: String,
    pub kind: Option<DefKind>,
    pub path: String,
    /// Line of the definition (0 for a file).
    pub line: u32,
    /// Hops from the target.
    pub depth: usize,
    pub via: ImpactVia,
    pub provenance: Provenance,
    /// Higher is more likely affected: nearer, and resolved rather than
    /// inferred.
    pub score: f64,
}

/// What may break if a symbol or a file changes.
#[derive(Debug, Clone, Serialize)]
pub struct Impact {
    /// The target as resolved (qualified name, or path).
    pub target: String,
    /// Best first; ties by path and line.
    pub items: Vec<ImpactItem>,
    /// Distinct files among the items, best first.
    pub files: Vec<String>,
}

/// A line a [`Reader::scan`] found.
#[derive(Debug, Clone, Serialize)]
pub struct ScanHit {
    pub path: String,
    pub line: u32,
    pub text: String,
    /// Distinct query words on the line.
    pub matched: usize,
}

/// What a [`Reader::scan`] went through.
#[derive(Debug, Clone, Serialize)]
pub struct Scan {
    pub hits: Vec<ScanHit>,
    pub files_scanned: usize,
    pub bytes_scanned: u64,
    /// Whether the scan stopped early (byte cap or deadline): the hits are
    /// from the files scanned so far.
    pub partial: bool,
}

/// Bytes a [`Reader::scan`] reads at most.
pub const MAX_SCAN_BYTES: u64 = 64 << 20;

impl Reader {
    /// Definitions named `name`, with qualified name `name`, or whose
    /// qualified name ends with `.name` / `::name` (`Class.method`), with
    /// signature and doc; by path and line.
    pub fn find_definitions(&self, name: &str) -> Result<Vec<DefinitionRow>> {
        let symbols = self.lookup_symbols(name)?;
        let mut by_path: BTreeMap<&str, BTreeSet<codegraph_core::DefId>> = BTreeMap::new();
        for s in &symbols {
            by_path.entry(&s.path).or_default().insert(s.id);
        }
        let conn = self.pool().read()?;
        let mut out = Vec::new();
        for (path, ids) in by_path {
            out.extend(
                conn.definitions_in_file(path)?
                    .into_iter()
                    .filter(|d| ids.contains(&d.id)),
            );
        }
        out.sort_by(|a, b| {
            (&a.path, a.start_line, &a.qualified_name).cmp(&(
                &b.path,
                b.start_line,
                &b.qualified_name,
            ))
        });
        Ok(out)
    }

    /// Lines `start..=end` (1-based) of the file at `path` (relative to the
    /// root, or absolute inside it; confined after resolving `..` and
    /// symbolic links), at most `max_lines` of them; `end` past the end of
    /// the file is cut to it. Reads the file as it is on disk now.
    pub fn source_lines(
        &self,
        path: &str,
        start: u32,
        end: u32,
        max_lines: u32,
    ) -> Result<SourceLines> {
        if start == 0 || end < start {
            return Err(Error::InvalidRequest(format!(
                "lines {start}..{end}: lines are 1-based and the end must not be before the start"
            )));
        }
        let rel = self.relative_path(path)?;
        let abs = self.root().join(&rel);
        let bytes = crate::read_regular_file(&abs, self.options().max_file_size)?;
        if bytes[..bytes.len().min(8192)].contains(&0) {
            return Err(Error::Binary(abs));
        }
        let text = String::from_utf8_lossy(&bytes);
        let lines: Vec<&str> = text.lines().collect();
        let total = lines.len() as u32;
        if start > total.max(1) {
            return Err(Error::InvalidRequest(format!(
                "line {start} is past the end of {rel} ({total} lines)"
            )));
        }
        let end = end
            .min(total)
            .min(start.saturating_add(max_lines.max(1) - 1));
        let mut out = String::new();
        for line in &lines[(start - 1) as usize..end as usize] {
            out.push_str(line);
            out.push('\n');
        }
        Ok(SourceLines {
            path: rel,
            start_line: start,
            end_line: end,
            total_lines: total,
            text: out,
        })
    }

    /// Every reference to the definition `symbol` designates (calls,
    /// inheritance, implementations, decorators and other uses; imports are
    /// [`Reader::importers`]), optionally of one provenance only.
    pub fn references(
        &self,
        symbol: &str,
        provenance: Option<Provenance>,
    ) -> Result<Vec<Reference>> {
        let n = self.symbol_node(symbol)?;
        Ok(self
            .graph()?
            .references(n, provenance)
            .into_iter()
            .map(|(edge, from)| Reference { edge, from })
            .collect())
    }

    /// What may break if `target` changes: for a symbol, its callers up to
    /// `depth` hops and the definitions that inherit from or use it; for a
    /// file (a path in the index), the importers up to `depth` hops and the
    /// callers of its definitions. Ranked by nearness and provenance
    /// (resolved edges count double); `resolved_only` drops inferred edges.
    pub fn impact(&self, target: &str, depth: usize, resolved_only: bool) -> Result<Impact> {
        let depth = depth.max(1);
        let graph = self.graph()?;
        let provenance = resolved_only.then_some(Provenance::Resolved);
        let mut best: HashMap<(String, u32), ImpactItem> = HashMap::new();
        let mut add = |item: ImpactItem| {
            let key = (item.symbol.clone(), item.line);
            match best.get(&key) {
                Some(old) if old.score >= item.score => {}
                _ => {
                    best.insert(key, item);
                }
            }
        };
        let score = |depth: usize, p: Provenance| {
            let w = if p == Provenance::Resolved { 1.0 } else { 0.5 };
            w / depth as f64
        };
        let from_related = |r: &Related, via: ImpactVia, depth: usize| ImpactItem {
            symbol: r.symbol.clone(),
            kind: r.kind,
            path: r.path.clone(),
            line: r.line,
            depth,
            via,
            provenance: r.provenance,
            score: score(depth, r.provenance),
        };
        // Seeds: the definition, or every definition of the file.
        let (resolved_target, seeds, file) = match self.file_node(target) {
            Ok(file_node) => {
                let rel = self.relative_path(target)?;
                let ids: Vec<_> = self
                    .symbols_in_file(&rel)?
                    .into_iter()
                    .map(|d| d.id)
                    .collect();
                let seeds: Vec<_> = ids.iter().filter_map(|&id| graph.def_node(id)).collect();
                (rel, seeds, Some(file_node))
            }
            Err(_) => {
                let n = self.symbol_node(target)?;
                let name = match graph.node(n) {
                    codegraph_graph::Node::Symbol(s) => s.qualified_name.clone(),
                    _ => target.to_owned(),
                };
                (name, vec![n], None)
            }
        };
        let seed_set: std::collections::HashSet<_> = seeds.iter().copied().collect();
        for &n in &seeds {
            for r in graph.callers(n, depth, resolved_only) {
                if r.id
                    .and_then(|id| graph.def_node(id))
                    .is_some_and(|m| seed_set.contains(&m))
                {
                    continue; // the file calling itself
                }
                add(from_related(&r, ImpactVia::Calls, r.depth));
            }
            for (edge, r) in graph.references(n, provenance) {
                if edge == EdgeKind::Calls {
                    continue; // counted above
                }
                if r.id
                    .and_then(|id| graph.def_node(id))
                    .is_some_and(|m| seed_set.contains(&m))
                {
                    continue;
                }
                add(from_related(&r, ImpactVia::Uses, 1));
            }
        }
        if let Some(file_node) = file {
            // Importers, breadth first.
            let mut seen: BTreeSet<String> = BTreeSet::new();
            let mut frontier = vec![file_node];
            for d in 1..=depth {
                let mut next = Vec::new();
                for f in frontier {
                    for (path, _) in graph.importers(f) {
                        if path == resolved_target || !seen.insert(path.clone()) {
                            continue;
                        }
                        add(ImpactItem {
                            symbol: path.clone(),
                            kind: None,
                            path: path.clone(),
                            line: 0,
                            depth: d,
                            via: ImpactVia::Imports,
                            provenance: Provenance::Resolved,
                            score: score(d, Provenance::Resolved),
                        });
                        if let Some(m) = graph.path_node(&path) {
                            next.push(m);
                        }
                    }
                }
                frontier = next;
            }
        }
        let mut items: Vec<ImpactItem> = best.into_values().collect();
        items.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| (&a.path, a.line, &a.symbol).cmp(&(&b.path, b.line, &b.symbol)))
        });
        let mut files = Vec::new();
        let mut seen = BTreeSet::new();
        for i in &items {
            if seen.insert(i.path.clone()) {
                files.push(i.path.clone());
            }
        }
        Ok(Impact {
            target: resolved_target,
            items,
            files,
        })
    }

    /// Lines of the repository's files (walked as an index run walks them,
    /// read as they are on disk) containing the words of `query`, best
    /// first (most distinct words, then path and line), at most `limit`.
    /// For answering before the first index run has built the lexical
    /// index; reads at most [`MAX_SCAN_BYTES`] and stops at `deadline`.
    pub fn scan(&self, query: &str, limit: usize, deadline: Option<Instant>) -> Result<Scan> {
        let words: Vec<String> = {
            let mut w: Vec<String> = query
                .split(|c: char| !is_ident_char(c))
                .filter(|w| w.len() >= 2)
                .map(str::to_lowercase)
                .collect();
            w.sort();
            w.dedup();
            w.truncate(32);
            w
        };
        if words.is_empty() {
            return Err(Error::InvalidRequest(
                "the query has no word of two or more letters or digits".into(),
            ));
        }
        let walked = crate::indexer::walk::walk(self.root(), self.options(), self.index_dir());
        let mut candidates = walked.candidates;
        candidates.sort_by(|a, b| a.rel.cmp(&b.rel));
        let mut hits = Vec::new();
        let mut bytes_scanned = 0u64;
        let mut files_scanned = 0usize;
        let mut partial = false;
        for c in candidates {
            if bytes_scanned > MAX_SCAN_BYTES || deadline.is_some_and(|d| Instant::now() >= d) {
                partial = true;
                break;
            }
            let Ok(bytes) = crate::read_regular_file(&c.abs, self.options().max_file_size) else {
                continue;
            };
            bytes_scanned += bytes.len() as u64;
            files_scanned += 1;
            if bytes[..bytes.len().min(8192)].contains(&0) {
                continue;
            }
            let text = String::from_utf8_lossy(&bytes);
            for (i, line) in text.lines().enumerate() {
                let lower = line.to_lowercase();
                let matched = words.iter().filter(|w| lower.contains(w.as_str())).count();
                if matched > 0 {
                    hits.push(ScanHit {
                        path: c.rel.clone(),
                        line: i as u32 + 1,
                        text: line.trim().chars().take(200).collect(),
                        matched,
                    });
                }
            }
        }
        hits.sort_by(|a, b| {
            b.matched
                .cmp(&a.matched)
                .then_with(|| (&a.path, a.line).cmp(&(&b.path, b.line)))
        });
        hits.truncate(limit);
        Ok(Scan {
            hits,
            files_scanned,
            bytes_scanned,
            partial,
        })
    }
}
