//! The repository map: files ranked by PageRank over the import, call and
//! inheritance graph (personalised toward focus files), each with its most
//! important definitions' signatures, packed into a token budget.
//!
//! Token estimate: one token per 4 bytes of text, rounded up, per line
//! (`tokens(line) = ceil(len / 4) + 1` for the newline). Code tokenizers
//! average 3–4 bytes per token, so this errs on the side of staying under
//! budget.

use crate::{EdgeKind, Graph, Node};
use codegraph_core::{DefId, DefKind, FileId, GraphFacts, NodeRef, RefEdge};
use petgraph::graph::NodeIndex;
use petgraph::visit::{EdgeRef, IntoEdgeReferences};
use serde::Serialize;
use std::collections::HashMap;

/// Options of [`Graph::map`].
#[derive(Debug, Clone)]
pub struct MapOptions {
    pub budget_tokens: usize,
    /// Paths the ranking is personalised toward.
    pub focus: Vec<String>,
    pub damping: f64,
    pub iterations: usize,
}

impl Default for MapOptions {
    fn default() -> Self {
        MapOptions {
            budget_tokens: 1024,
            focus: Vec::new(),
            damping: 0.85,
            iterations: 30,
        }
    }
}

/// One file of the map.
#[derive(Debug, Clone, Serialize)]
pub struct MapEntry {
    pub path: String,
    pub rank: f64,
    /// `(line, signature)` of the definitions shown, in source order.
    pub definitions: Vec<(u32, String)>,
}

/// The packed map.
#[derive(Debug, Clone, Serialize)]
pub struct RepoMap {
    pub files: Vec<MapEntry>,
    pub tokens: usize,
    pub budget_tokens: usize,
    /// Files ranked but left out for lack of budget.
    pub omitted_files: usize,
    pub text: String,
}

/// Personalised PageRank over `out_links` (weighted links of node `i`),
/// teleporting to `focus` (every node when empty). Dangling mass goes back
/// to the teleport set, so ranks sum to 1.
pub fn pagerank(
    out_links: &[HashMap<usize, f64>],
    focus: &[usize],
    damping: f64,
    iterations: usize,
) -> Vec<f64> {
    let n = out_links.len();
    if n == 0 {
        return Vec::new();
    }
    let mut personal = vec![0.0; n];
    if focus.is_empty() {
        personal.iter_mut().for_each(|p| *p = 1.0 / n as f64);
    } else {
        for &i in focus {
            personal[i] = 1.0 / focus.len() as f64;
        }
    }
    let totals: Vec<f64> = out_links.iter().map(|m| m.values().sum()).collect();
    let mut rank = personal.clone();
    for _ in 0..iterations {
        let mut next: Vec<f64> = personal.iter().map(|p| (1.0 - damping) * p).collect();
        let mut dangling = 0.0;
        for i in 0..n {
            if totals[i] == 0.0 {
                dangling += rank[i];
                continue;
            }
            for (&j, &w) in &out_links[i] {
                next[j] += damping * rank[i] * w / totals[i];
            }
        }
        for (x, p) in next.iter_mut().zip(&personal) {
            *x += damping * dangling * p;
        }
        rank = next;
    }
    rank
}

/// The weight of an edge kind in file ranking (`None`: not a file link).
pub(crate) fn link_weight(kind: EdgeKind) -> Option<f64> {
    match kind {
        EdgeKind::Imports | EdgeKind::Inherits | EdgeKind::Implements => Some(1.0),
        EdgeKind::Calls | EdgeKind::References => Some(0.5),
        EdgeKind::Contains | EdgeKind::Defines => None,
    }
}

/// Global file importance from stored facts and edges: PageRank over imports,
/// calls and inheritance lifted to files, mapped to `[0, 1]` as
/// `ln(rank · n) / ln(max_rank · n)` (0 for files at or below the average).
/// Keyed by file id; what search uses as its graph prior.
pub fn file_importance(facts: &GraphFacts, edges: &[RefEdge]) -> HashMap<FileId, f64> {
    let pos: HashMap<FileId, usize> = facts
        .files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.id, i))
        .collect();
    let def_file: HashMap<DefId, usize> = facts
        .defs
        .iter()
        .filter_map(|d| pos.get(&d.file_id).map(|&p| (d.id, p)))
        .collect();
    let lift = |n: NodeRef| match n {
        NodeRef::File(id) => pos.get(&id).copied(),
        NodeRef::Def(id) => def_file.get(&id).copied(),
        NodeRef::Ext(_) => None,
    };
    let mut out_links: Vec<HashMap<usize, f64>> = vec![HashMap::new(); facts.files.len()];
    for e in edges {
        let Some(w) = link_weight(e.kind) else {
            continue;
        };
        if let (Some(a), Some(b)) = (lift(e.src), lift(e.dst))
            && a != b
        {
            *out_links[a].entry(b).or_insert(0.0) += w;
        }
    }
    let rank = pagerank(&out_links, &[], 0.85, 30);
    let n = rank.len() as f64;
    let top = rank.iter().copied().fold(0.0, f64::max) * n;
    facts
        .files
        .iter()
        .zip(rank)
        .map(|(f, r)| {
            let x = (r * n).max(1.0).ln();
            let norm = if top > 1.0 { x / top.ln() } else { 0.0 };
            (f.id, norm.clamp(0.0, 1.0))
        })
        .collect()
}

/// The documented token estimate of one line of output.
pub fn line_tokens(line: &str) -> usize {
    line.len().div_ceil(4) + 1
}

impl Graph {
    /// PageRank of every file over file-level edges: imports, and calls and
    /// inheritance between definitions, lifted to their files.
    pub fn file_ranks(
        &self,
        focus: &[NodeIndex],
        damping: f64,
        iterations: usize,
    ) -> HashMap<NodeIndex, f64> {
        let g = self.inner();
        let mut files: Vec<NodeIndex> = g
            .node_indices()
            .filter(|&n| matches!(g[n], Node::File { .. }))
            .collect();
        files.sort_by_key(|&n| self.place(n));
        if files.is_empty() {
            return HashMap::new();
        }
        let pos: HashMap<NodeIndex, usize> =
            files.iter().enumerate().map(|(i, &n)| (n, i)).collect();
        // The file of every definition.
        let mut file_of: HashMap<NodeIndex, NodeIndex> = HashMap::new();
        for &f in &files {
            let mut stack = vec![f];
            while let Some(n) = stack.pop() {
                for e in g.edges(n) {
                    if matches!(e.weight().kind, EdgeKind::Contains | EdgeKind::Defines)
                        && matches!(g[e.target()], Node::Symbol(_))
                    {
                        file_of.insert(e.target(), f);
                        stack.push(e.target());
                    }
                }
            }
        }
        let lift = |n: NodeIndex| -> Option<usize> {
            match g[n] {
                Node::File { .. } => pos.get(&n).copied(),
                Node::Symbol(_) => file_of.get(&n).and_then(|f| pos.get(f)).copied(),
                _ => None,
            }
        };
        let mut out_links: Vec<HashMap<usize, f64>> = vec![HashMap::new(); files.len()];
        for e in g.edge_references() {
            let Some(w) = link_weight(e.weight().kind) else {
                continue;
            };
            if let (Some(a), Some(b)) = (lift(e.source()), lift(e.target()))
                && a != b
            {
                *out_links[a].entry(b).or_insert(0.0) += w;
            }
        }
        let focus_pos: Vec<usize> = focus.iter().filter_map(|f| pos.get(f).copied()).collect();
        let rank = pagerank(&out_links, &focus_pos, damping, iterations);
        files.into_iter().zip(rank).collect()
    }

    /// The repository map packed into `options.budget_tokens`.
    pub fn map(&self, options: &MapOptions) -> RepoMap {
        let g = self.inner();
        let focus: Vec<NodeIndex> = options
            .focus
            .iter()
            .filter_map(|p| self.path_node(p))
            .collect();
        let ranks = self.file_ranks(&focus, options.damping, options.iterations);
        let mut files: Vec<(NodeIndex, f64)> = ranks.into_iter().collect();
        files.sort_by(|a, b| {
            b.1.total_cmp(&a.1)
                .then_with(|| self.place(a.0).cmp(&self.place(b.0)))
        });

        let mut text = String::new();
        let mut tokens = 0usize;
        let mut entries = Vec::new();
        let mut omitted = 0usize;
        for (i, &(f, rank)) in files.iter().enumerate() {
            let Node::File { path, .. } = &g[f] else {
                continue;
            };
            let header = format!("{path}:");
            let header_tokens = line_tokens(&header);
            if tokens + header_tokens > options.budget_tokens {
                omitted = files.len() - i;
                break;
            }
            // Definitions of the file with their importance: references from
            // elsewhere, types first.
            let mut defs: Vec<(NodeIndex, usize, u32)> = Vec::new();
            let mut stack = vec![(f, 0usize)];
            while let Some((n, depth)) = stack.pop() {
                for e in g.edges(n) {
                    if matches!(e.weight().kind, EdgeKind::Contains | EdgeKind::Defines)
                        && let Node::Symbol(s) = &g[e.target()]
                    {
                        let inbound = g
                            .edges_directed(e.target(), petgraph::Direction::Incoming)
                            .filter(|r| {
                                !matches!(r.weight().kind, EdgeKind::Contains | EdgeKind::Defines)
                            })
                            .count();
                        let type_bonus = if matches!(
                            s.kind,
                            DefKind::Class
                                | DefKind::Struct
                                | DefKind::Interface
                                | DefKind::Trait
                                | DefKind::Enum
                        ) {
                            1000
                        } else {
                            0
                        };
                        defs.push((e.target(), depth, (inbound + type_bonus) as u32));
                        stack.push((e.target(), depth + 1));
                    }
                }
            }
            defs.sort_by(|a, b| b.2.cmp(&a.2).then(self.place(a.0).cmp(&self.place(b.0))));
            tokens += header_tokens;
            let mut chosen: Vec<(u32, usize, String)> = Vec::new();
            for (n, depth, _) in defs {
                let Node::Symbol(s) = &g[n] else { continue };
                let line = format!("{}{}", "  ".repeat(depth + 1), s.signature);
                let t = line_tokens(&line);
                if tokens + t > options.budget_tokens {
                    continue;
                }
                tokens += t;
                chosen.push((s.line, depth, line));
            }
            chosen.sort();
            text.push_str(&header);
            text.push('\n');
            for (_, _, line) in &chosen {
                text.push_str(line);
                text.push('\n');
            }
            entries.push(MapEntry {
                path: path.clone(),
                rank,
                definitions: chosen
                    .into_iter()
                    .map(|(l, _, s)| (l, s.trim_start().to_owned()))
                    .collect(),
            });
        }
        RepoMap {
            files: entries,
            tokens,
            budget_tokens: options.budget_tokens,
            omitted_files: omitted,
            text,
        }
    }
}
