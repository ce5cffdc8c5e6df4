//! The repository map: *definitions* ranked by personalised PageRank over
//! the definition-level reference graph (calls, decorators, inheritance,
//! imports and containment), damped for private and nested definitions and
//! for tests, examples, fixtures, vendored and generated code, personalised
//! toward the files, directories or identifiers the caller names; the top
//! definitions that fit the budget are rendered grouped by file, each with
//! its enclosing types, bodies elided — so one budget covers many files.
//!
//! Token estimate: one token per 4 bytes of text, rounded up, per line
//! (`tokens(line) = ceil(len / 4) + 1` for the newline). Code tokenizers
//! average 3–4 bytes per token, so this errs on the side of staying under
//! budget.

use crate::{EdgeKind, Graph, Node};
use codegraph_core::{DefId, DefKind, FileId, GraphFacts, NodeRef, PathRole, Provenance, RefEdge};
use petgraph::graph::NodeIndex;
use petgraph::visit::{EdgeRef, IntoEdgeReferences};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

/// Options of [`Graph::map`].
#[derive(Debug, Clone)]
pub struct MapOptions {
    pub budget_tokens: usize,
    /// Files or directories (repository-relative) the ranking is
    /// personalised toward.
    pub focus: Vec<String>,
    /// Identifiers (names, qualified names, `Type.method`) the ranking is
    /// personalised toward.
    pub focus_symbols: Vec<String>,
    pub damping: f64,
    pub iterations: usize,
}

impl Default for MapOptions {
    fn default() -> Self {
        MapOptions {
            budget_tokens: 1024,
            focus: Vec::new(),
            focus_symbols: Vec::new(),
            damping: 0.85,
            iterations: 30,
        }
    }
}

/// Focus entries that name nothing in the index.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown focus: {}; name indexed files, directories or definitions", .0.join(", "))]
pub struct UnknownFocus(pub Vec<String>);

/// One definition shown in the map.
#[derive(Debug, Clone, Serialize)]
pub struct MapDefinition {
    pub line: u32,
    pub end_line: u32,
    pub kind: DefKind,
    pub name: String,
    pub qualified_name: String,
    /// The signature as shown (without indentation).
    pub signature: String,
    /// Nesting depth in the text (0: top level of the file).
    pub depth: usize,
    /// The definition's score (damped rank); 0 for an enclosing type shown
    /// only as context of a chosen member.
    pub rank: f64,
    /// Shown only because a chosen member is inside it.
    pub context: bool,
}

/// One file of the map.
#[derive(Debug, Clone, Serialize)]
pub struct MapEntry {
    pub path: String,
    /// The best score among the file's chosen definitions.
    pub rank: f64,
    /// The definitions shown, in source order.
    pub definitions: Vec<MapDefinition>,
}

/// The packed map.
#[derive(Debug, Clone, Serialize)]
pub struct RepoMap {
    /// Files in the order of the text: by their best definition's score.
    pub files: Vec<MapEntry>,
    pub tokens: usize,
    pub budget_tokens: usize,
    /// Files with definitions of which none could be shown.
    pub omitted_files: usize,
    /// Definitions ranked but left out for lack of budget.
    pub omitted_definitions: usize,
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
    let links: Vec<Vec<(usize, f64)>> = out_links
        .iter()
        .map(|m| {
            let mut v: Vec<(usize, f64)> = m.iter().map(|(&j, &w)| (j, w)).collect();
            v.sort_by_key(|&(j, _)| j);
            v
        })
        .collect();
    pagerank_personal(&links, &personal, damping, iterations)
}

/// PageRank over weighted adjacency lists with an explicit teleport
/// distribution `personal` (summing to 1). Stops early once an iteration
/// moves less than 1e-7 of the mass.
pub fn pagerank_personal(
    links: &[Vec<(usize, f64)>],
    personal: &[f64],
    damping: f64,
    iterations: usize,
) -> Vec<f64> {
    let n = links.len();
    let totals: Vec<f64> = links
        .iter()
        .map(|l| l.iter().map(|&(_, w)| w).sum())
        .collect();
    let mut rank = personal.to_vec();
    let mut next = vec![0.0; n];
    for _ in 0..iterations {
        next.iter_mut()
            .zip(personal)
            .for_each(|(x, p)| *x = (1.0 - damping) * p);
        let mut dangling = 0.0;
        for i in 0..n {
            if totals[i] <= 0.0 {
                dangling += rank[i];
                continue;
            }
            let share = damping * rank[i] / totals[i];
            for &(j, w) in &links[i] {
                next[j] += share * w;
            }
        }
        for (x, p) in next.iter_mut().zip(personal) {
            *x += damping * dangling * p;
        }
        let moved: f64 = next.iter().zip(&rank).map(|(a, b)| (a - b).abs()).sum();
        std::mem::swap(&mut rank, &mut next);
        if moved < 1e-7 {
            break;
        }
    }
    rank
}

/// Personalised PageRank by forward push (Andersen, Chung and Lang, 2006):
/// only the neighbourhood of `seeds` (a teleport distribution, summing to
/// one) is visited, so the cost follows the mass that spreads, not the
/// graph's size. A node is pushed while its residual exceeds `epsilon` times its
/// out-degree; dangling mass goes back to the seeds; at most `max_work`
/// links are followed (what is left unpushed is dropped, a lower bound of
/// the exact rank). Returns the rank of every node and the nodes with a
/// rank, in the order they were first reached.
pub fn pagerank_push(
    links: &[Vec<(usize, f64)>],
    seeds: &[(usize, f64)],
    damping: f64,
    epsilon: f64,
    max_work: usize,
) -> (Vec<f64>, Vec<usize>) {
    let n = links.len();
    let mut rank = vec![0.0; n];
    let mut residual = vec![0.0; n];
    let mut queued = vec![false; n];
    let mut queue = std::collections::VecDeque::new();
    let mut reached = Vec::new();
    let threshold = |u: usize| epsilon * links[u].len().max(1) as f64;
    for &(s, w) in seeds {
        residual[s] += w;
        if !queued[s] {
            queued[s] = true;
            queue.push_back(s);
        }
    }
    let mut work = 0usize;
    while let Some(u) = queue.pop_front() {
        queued[u] = false;
        let r = residual[u];
        if r <= threshold(u) {
            continue;
        }
        residual[u] = 0.0;
        if rank[u] == 0.0 {
            reached.push(u);
        }
        rank[u] += (1.0 - damping) * r;
        work += links[u].len() + 1;
        let total: f64 = links[u].iter().map(|&(_, w)| w).sum();
        let mut spread = |j: usize, x: f64| {
            residual[j] += x;
            if !queued[j] && residual[j] > threshold(j) {
                queued[j] = true;
                queue.push_back(j);
            }
        };
        if total <= 0.0 {
            for &(s, w) in seeds {
                spread(s, damping * r * w);
            }
        } else {
            let share = damping * r / total;
            for &(j, w) in &links[u] {
                spread(j, share * w);
            }
        }
        if work > max_work {
            break;
        }
    }
    (rank, reached)
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

/// Damping of a definition's rank by what it is and where it lives.
fn damp(s: &crate::Symbol, nested_in_callable: bool) -> f64 {
    let role = match PathRole::of(&s.path) {
        PathRole::Source => 1.0,
        PathRole::Example => 0.2,
        PathRole::Test | PathRole::Fixture | PathRole::Vendored | PathRole::Generated => 0.05,
    };
    let name = s.name.as_str();
    let private = name.starts_with('_') && !(name.starts_with("__") && name.ends_with("__"));
    let visibility = if private { 0.25 } else { 1.0 };
    let nesting = if nested_in_callable { 0.02 } else { 1.0 };
    let kind = match s.kind {
        DefKind::Variable => 0.5,
        _ => 1.0,
    };
    role * visibility * nesting * kind
}

/// Weight of a reference edge in definition ranking.
fn ref_weight(kind: EdgeKind, provenance: Provenance) -> Option<f64> {
    let w = match kind {
        EdgeKind::Calls => 1.0,
        EdgeKind::Inherits | EdgeKind::Implements => 1.0,
        EdgeKind::References => 0.5,
        EdgeKind::Imports => 0.5,
        EdgeKind::Contains | EdgeKind::Defines => return None,
    };
    Some(match provenance {
        Provenance::Resolved => w,
        Provenance::Inferred => w * 0.3,
    })
}

/// What the map derives from a graph, computed on first use: the
/// definition graph and the unfocused ranking (the map an agent asks for
/// first and most often). A clone or a patched graph starts empty.
#[derive(Default)]
pub(crate) struct MapCache {
    def_graph: OnceLock<Arc<DefGraph>>,
    /// The unfocused ranking and the options it was made with.
    rank: Mutex<Option<(RankKey, Arc<Global>)>>,
}

/// The unfocused ranking: the rank of every position, and the definitions
/// by score (rank × damping), best first.
struct Global {
    rank: Vec<f64>,
    order: Vec<usize>,
}

/// The share of a focused ranking that is the focus's own personalised
/// rank; the rest is the unfocused ranking.
const FOCUS_SHARE: f64 = 0.75;
/// Push threshold of the focused ranking (residual per out-link).
const PUSH_EPSILON: f64 = 1e-6;
/// Links a focused ranking may follow.
const PUSH_MAX_WORK: usize = 4_000_000;

/// The options a ranking depends on: damping (as bits) and iterations.
type RankKey = (u64, usize);

impl Clone for MapCache {
    fn clone(&self) -> Self {
        MapCache::default()
    }
}

impl std::fmt::Debug for MapCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MapCache")
            .field("def_graph", &self.def_graph.get().is_some())
            .finish()
    }
}

/// The definition-level graph the map ranks: files and definitions.
struct DefGraph {
    /// Node of each position: files and definitions, in `place` order.
    nodes: Vec<NodeIndex>,
    pos: HashMap<NodeIndex, usize>,
    /// Enclosing definition (position) of each definition.
    parent: Vec<Option<usize>>,
    /// File (position) of each definition; itself for a file.
    file: Vec<usize>,
    /// Nesting depth below the file.
    depth: Vec<usize>,
    damp: Vec<f64>,
    links: Vec<Vec<(usize, f64)>>,
    /// Positions that are definitions, and the files that have one.
    definitions: usize,
    files_with_defs: usize,
}

impl Graph {
    fn def_graph(&self) -> DefGraph {
        let g = self.inner();
        let mut nodes: Vec<NodeIndex> = g
            .node_indices()
            .filter(|&n| matches!(g[n], Node::File { .. } | Node::Symbol(_)))
            .collect();
        nodes.sort_by(|&a, &b| self.place(a).cmp(&self.place(b)));
        let pos: HashMap<NodeIndex, usize> =
            nodes.iter().enumerate().map(|(i, &n)| (n, i)).collect();
        let n = nodes.len();
        let mut parent: Vec<Option<usize>> = vec![None; n];
        let mut file: Vec<usize> = (0..n).collect();
        let mut depth = vec![0usize; n];
        let mut nested = vec![false; n];
        // Walk down from files so parents come before children.
        for (i, &f) in nodes.iter().enumerate() {
            if !matches!(g[f], Node::File { .. }) {
                continue;
            }
            let mut stack = vec![(f, None::<usize>, 0usize, false)];
            while let Some((node, up, d, in_callable)) = stack.pop() {
                for e in g.edges(node) {
                    if !matches!(e.weight().kind, EdgeKind::Contains | EdgeKind::Defines) {
                        continue;
                    }
                    let Node::Symbol(s) = &g[e.target()] else {
                        continue;
                    };
                    let Some(&c) = pos.get(&e.target()) else {
                        continue;
                    };
                    let here = match g[node] {
                        Node::Symbol(_) => pos.get(&node).copied(),
                        _ => up,
                    };
                    parent[c] = here;
                    file[c] = i;
                    depth[c] = d;
                    nested[c] = in_callable;
                    let callable = matches!(s.kind, DefKind::Function | DefKind::Method);
                    stack.push((e.target(), here, d + 1, in_callable || callable));
                }
            }
        }
        let damp: Vec<f64> = nodes
            .iter()
            .enumerate()
            .map(|(i, &x)| match &g[x] {
                Node::Symbol(s) => damp(s, nested[i]),
                _ => 1.0,
            })
            .collect();

        // Reference links, several references between one pair counting
        // as the square root of their number; each weighted toward what the
        // target is worth.
        let mut pairs: BTreeMap<(usize, usize), (f64, usize)> = BTreeMap::new();
        for e in g.edge_references() {
            let w = e.weight();
            let Some(weight) = ref_weight(w.kind, w.provenance) else {
                continue;
            };
            let (Some(&a), Some(&b)) = (pos.get(&e.source()), pos.get(&e.target())) else {
                continue;
            };
            if a == b {
                continue;
            }
            let slot = pairs.entry((a, b)).or_insert((0.0, 0));
            slot.0 = slot.0.max(weight);
            slot.1 += 1;
        }
        let mut links: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n];
        for ((a, b), (w, count)) in pairs {
            links[a].push((b, w * (count as f64).sqrt() * damp[b]));
        }
        // Containment: a file passes rank to its top-level definitions and a
        // type to its members (half a reference in all); a member passes a
        // little to its type.
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
        for c in 0..n {
            if let Some(p) = parent[c] {
                children[p].push(c);
            } else if file[c] != c {
                children[file[c]].push(c);
            }
        }
        for (p, kids) in children.iter().enumerate() {
            let total: f64 = kids.iter().map(|&k| damp[k]).sum();
            if total <= 0.0 {
                continue;
            }
            for &k in kids {
                links[p].push((k, 0.5 * damp[k] / total));
                if parent[k].is_some() {
                    links[k].push((p, 0.2));
                }
            }
        }
        let definitions = (0..n).filter(|&i| file[i] != i).count();
        let files_with_defs = (0..n)
            .filter(|&i| file[i] != i)
            .map(|i| file[i])
            .collect::<std::collections::HashSet<_>>()
            .len();
        DefGraph {
            nodes,
            pos,
            parent,
            file,
            depth,
            damp,
            links,
            definitions,
            files_with_defs,
        }
    }

    /// The unfocused teleport distribution: every definition by its
    /// damping.
    fn base_teleport(dg: &DefGraph) -> Vec<f64> {
        let mut base: Vec<f64> = (0..dg.nodes.len())
            .map(|i| if dg.file[i] == i { 0.0 } else { dg.damp[i] })
            .collect();
        normalize(&mut base);
        base
    }

    /// What the focus names, as a teleport distribution (empty without a
    /// focus): a file and its definitions (by damping), every file under a
    /// directory, each named definition three times a file's weight.
    fn focus_seeds(
        &self,
        dg: &DefGraph,
        options: &MapOptions,
    ) -> Result<Vec<(usize, f64)>, UnknownFocus> {
        let g = self.inner();
        let n = dg.nodes.len();
        let path_of = |i: usize| match &g[dg.nodes[i]] {
            Node::File { path, .. } => path.as_str(),
            Node::Symbol(s) => s.path.as_str(),
            _ => "",
        };
        let mut focus: BTreeMap<usize, f64> = BTreeMap::new();
        let mut unknown = Vec::new();
        for f in &options.focus {
            let path = f.trim_end_matches('/');
            let hits: Vec<usize> = match self.path_node(path) {
                Some(node) => match &g[node] {
                    Node::File { .. } => vec![dg.pos[&node]],
                    _ => {
                        let prefix = format!("{path}/");
                        (0..n)
                            .filter(|&i| dg.file[i] == i)
                            .filter(|&i| match &g[dg.nodes[i]] {
                                Node::File { path: p, .. } => p.starts_with(&prefix),
                                _ => false,
                            })
                            .collect()
                    }
                },
                None => Vec::new(),
            };
            if hits.is_empty() {
                unknown.push(f.clone());
            }
            for file in hits {
                *focus.entry(file).or_default() += 1.0;
                // A file's definitions follow it in position order.
                let path = path_of(file);
                for i in (file + 1..n).take_while(|&i| path_of(i) == path) {
                    if dg.file[i] == file {
                        *focus.entry(i).or_default() += dg.damp[i].max(0.05);
                    }
                }
            }
        }
        for name in &options.focus_symbols {
            let hits = self.find_symbols(name);
            if hits.is_empty() {
                unknown.push(name.clone());
            }
            for h in hits {
                if let Some(&i) = dg.pos.get(&h) {
                    *focus.entry(i).or_default() += 3.0;
                }
            }
        }
        if !unknown.is_empty() {
            return Err(UnknownFocus(unknown));
        }
        let total: f64 = focus.values().sum();
        Ok(focus
            .into_iter()
            .filter(|&(_, w)| w > 0.0)
            .map(|(i, w)| (i, w / total))
            .collect())
    }

    /// The unfocused ranking, computed once per graph and options.
    fn global_ranking(&self, dg: &DefGraph, options: &MapOptions) -> Arc<Global> {
        let key = (options.damping.to_bits(), options.iterations);
        // Held while ranking: concurrent first callers wait for one result.
        let mut slot = self
            .map_cache
            .rank
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some((k, r)) = slot.as_ref()
            && *k == key
        {
            return r.clone();
        }
        let rank = pagerank_personal(
            &dg.links,
            &Self::base_teleport(dg),
            options.damping,
            options.iterations,
        );
        let mut order: Vec<usize> = (0..dg.nodes.len()).filter(|&i| dg.file[i] != i).collect();
        let score = |i: usize| rank[i] * dg.damp[i];
        order.sort_by(|&a, &b| score(b).total_cmp(&score(a)).then(a.cmp(&b)));
        let r = Arc::new(Global { rank, order });
        *slot = Some((key, r.clone()));
        r
    }

    /// Definitions by score, best first: the unfocused ranking, or with a
    /// focus, its personalised rank (by forward push, so only what the
    /// focus reaches is visited) mixed with the unfocused one. Definitions
    /// the focus does not reach keep their unfocused order, so the two
    /// sorted lists merge without sorting everything.
    fn ranked<'a>(
        &self,
        dg: &'a DefGraph,
        global: &'a Global,
        options: &MapOptions,
    ) -> Result<Box<dyn Iterator<Item = (usize, f64)> + 'a>, UnknownFocus> {
        let seeds = self.focus_seeds(dg, options)?;
        if seeds.is_empty() {
            return Ok(Box::new(
                global
                    .order
                    .iter()
                    .map(|&i| (i, global.rank[i] * dg.damp[i])),
            ));
        }
        let (own, reached) = pagerank_push(
            &dg.links,
            &seeds,
            options.damping,
            PUSH_EPSILON,
            PUSH_MAX_WORK,
        );
        let mut near: Vec<(usize, f64)> = reached
            .into_iter()
            .filter(|&i| dg.file[i] != i)
            .map(|i| {
                let rank = FOCUS_SHARE * own[i] + (1.0 - FOCUS_SHARE) * global.rank[i];
                (i, rank * dg.damp[i])
            })
            .collect();
        let better = |a: &(usize, f64), b: &(usize, f64)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        near.sort_by(better);
        let mut near = near.into_iter().peekable();
        let mut far = global
            .order
            .iter()
            .filter(move |&&i| own[i] == 0.0)
            .map(|&i| (i, (1.0 - FOCUS_SHARE) * global.rank[i] * dg.damp[i]))
            .peekable();
        Ok(Box::new(std::iter::from_fn(move || {
            match (near.peek(), far.peek()) {
                (Some(a), Some(b)) if better(a, b).is_le() => near.next(),
                (Some(_), None) => near.next(),
                _ => far.next(),
            }
        })))
    }

    /// The repository map packed into `options.budget_tokens`. Every focus
    /// entry must name an indexed file or directory (`focus`) or a
    /// definition (`focus_symbols`).
    pub fn map(&self, options: &MapOptions) -> Result<RepoMap, UnknownFocus> {
        let g = self.inner();
        let dg = self
            .map_cache
            .def_graph
            .get_or_init(|| Arc::new(self.def_graph()))
            .clone();
        let global = self.global_ranking(&dg, options);
        let order = self.ranked(&dg, &global, options)?;

        let symbol = |i: usize| match &g[dg.nodes[i]] {
            Node::Symbol(s) => Some(s),
            _ => None,
        };
        let line_of = |i: usize| -> String {
            let s = symbol(i).expect("a definition");
            let sig = s.signature.trim();
            let sig = if sig.is_empty() { s.name.as_str() } else { sig };
            format!("{}{}", "  ".repeat(dg.depth[i] + 1), sig)
        };
        let cost = |text: &str| -> usize { text.lines().map(line_tokens).sum::<usize>().max(1) };

        let budget = options.budget_tokens;
        let mut tokens = 0usize;
        // Chosen per file: position → score (0 for context-only).
        let mut chosen: BTreeMap<usize, BTreeMap<usize, f64>> = BTreeMap::new();
        let mut shown: HashMap<usize, bool> = HashMap::new(); // pos → context only
        let mut placed = 0usize;
        let mut misses = 0usize;
        for (i, score) in order {
            if misses > 2_000 {
                break;
            }
            let file = dg.file[i];
            let mut extra = 0usize;
            if !chosen.contains_key(&file) {
                extra += line_tokens(&self.file_header(dg.nodes[file]));
            }
            let mut ancestors = Vec::new();
            let mut up = dg.parent[i];
            while let Some(p) = up {
                if !shown.contains_key(&p) {
                    extra += cost(&line_of(p));
                    ancestors.push(p);
                }
                up = dg.parent[p];
            }
            if !shown.contains_key(&i) {
                extra += cost(&line_of(i));
            }
            if tokens + extra > budget {
                misses += 1;
                continue;
            }
            placed += 1;
            tokens += extra;
            let defs = chosen.entry(file).or_default();
            for p in ancestors {
                shown.insert(p, true);
                defs.insert(p, 0.0);
            }
            shown.insert(i, false);
            defs.insert(i, score);
        }

        // Files by their best definition.
        let mut files: Vec<(usize, f64)> = chosen
            .iter()
            .map(|(&f, defs)| (f, defs.values().copied().fold(0.0, f64::max)))
            .collect();
        files.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));

        let mut text = String::new();
        let mut entries = Vec::new();
        for (f, best) in files {
            let header = self.file_header(dg.nodes[f]);
            text.push_str(&header);
            text.push('\n');
            let mut defs = Vec::new();
            // Source order: positions follow `place`, i.e. (path, line).
            for (&i, &score) in &chosen[&f] {
                let s = symbol(i).expect("a definition");
                let line = line_of(i);
                text.push_str(&line);
                text.push('\n');
                defs.push(MapDefinition {
                    line: s.line,
                    end_line: s.end_line,
                    kind: s.kind,
                    name: s.name.clone(),
                    qualified_name: s.qualified_name.clone(),
                    signature: line.trim_start().to_owned(),
                    depth: dg.depth[i],
                    rank: score,
                    context: shown.get(&i) == Some(&true),
                });
            }
            let Node::File { path, .. } = &g[dg.nodes[f]] else {
                continue;
            };
            entries.push(MapEntry {
                path: path.clone(),
                rank: best,
                definitions: defs,
            });
        }
        Ok(RepoMap {
            omitted_files: dg.files_with_defs - entries.len(),
            files: entries,
            tokens,
            budget_tokens: budget,
            omitted_definitions: dg.definitions - placed,
            text,
        })
    }

    fn file_header(&self, file: NodeIndex) -> String {
        match &self.inner()[file] {
            Node::File { path, .. } => format!("{path}:"),
            _ => String::new(),
        }
    }
}

fn normalize(v: &mut [f64]) {
    let total: f64 = v.iter().sum();
    if total > 0.0 {
        v.iter_mut().for_each(|x| *x /= total);
    } else if !v.is_empty() {
        let u = 1.0 / v.len() as f64;
        v.iter_mut().for_each(|x| *x = u);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reproducible random weighted graph with some dangling nodes.
    fn graph(n: usize, seed: u64) -> Vec<Vec<(usize, f64)>> {
        let mut x = seed;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        (0..n)
            .map(|i| {
                if i % 7 == 3 {
                    return Vec::new();
                }
                let mut out: Vec<(usize, f64)> = (0..1 + next() % 5)
                    .map(|_| ((next() % n as u64) as usize, 0.1 + (next() % 10) as f64))
                    .filter(|&(j, _)| j != i)
                    .collect();
                out.sort_by_key(|&(j, _)| j);
                out.dedup_by_key(|&mut (j, _)| j);
                out
            })
            .collect()
    }

    #[test]
    fn push_agrees_with_power_iteration() {
        let links = graph(400, 0x2545_F491_4F6C_DD1D);
        let seeds = [(5usize, 0.5), (17, 0.25), (3, 0.25)];
        let mut personal = vec![0.0; links.len()];
        for &(i, w) in &seeds {
            personal[i] = w;
        }
        let exact = pagerank_personal(&links, &personal, 0.85, 200);
        let (pushed, reached) = pagerank_push(&links, &seeds, 0.85, 1e-9, usize::MAX);
        let err: f64 = exact.iter().zip(&pushed).map(|(a, b)| (a - b).abs()).sum();
        assert!(err < 1e-5, "L1 distance {err}");
        // Everything with a rank was reached, once.
        let mut r = reached.clone();
        r.sort();
        r.dedup();
        assert_eq!(r.len(), reached.len());
        assert_eq!(reached.len(), pushed.iter().filter(|&&x| x > 0.0).count());
        // The top ten agree.
        let top = |v: &[f64]| {
            let mut o: Vec<usize> = (0..v.len()).collect();
            o.sort_by(|&a, &b| v[b].total_cmp(&v[a]).then(a.cmp(&b)));
            o.truncate(10);
            o
        };
        assert_eq!(top(&exact), top(&pushed));
    }

    #[test]
    fn push_stays_near_its_seeds_and_within_its_work() {
        // Two components: mass from a seed in the first never reaches the second.
        let mut links = graph(200, 7);
        for l in links.iter_mut().take(100) {
            l.retain(|&(j, _)| j < 100);
        }
        for l in links.iter_mut().skip(100) {
            l.retain(|&(j, _)| j >= 100);
        }
        let (rank, reached) = pagerank_push(&links, &[(10, 1.0)], 0.85, 1e-7, usize::MAX);
        assert!(reached.iter().all(|&i| i < 100), "{reached:?}");
        assert!(rank[100..].iter().all(|&x| x == 0.0));
        // Dangling mass returns to the seed: nothing is lost but the residue.
        let total: f64 = rank.iter().sum();
        assert!((total - 1.0).abs() < 1e-3, "total {total}");
        // A work bound stops early and leaves a lower bound.
        let (bounded, _) = pagerank_push(&links, &[(10, 1.0)], 0.85, 1e-7, 50);
        let bounded_total: f64 = bounded.iter().sum();
        assert!(bounded_total < total && bounded_total > 0.0);
        assert!(bounded.iter().zip(&rank).all(|(b, r)| *b <= *r + 1e-12));
    }
}
