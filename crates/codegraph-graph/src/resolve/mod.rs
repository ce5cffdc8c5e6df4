//! Resolution of imports, calls and inheritance into edges.
//!
//! Every edge is `resolved` (proved by scope, import or a known type) or
//! `inferred` (the only definition of that name in the repository). A call
//! that matches several definitions and nothing narrows it stays unresolved.
//!
//! The work is split by concern: [`ctx`] indexes the facts; [`imports`]
//! binds the names each file imports; [`types`] finds the types of
//! receivers; [`calls`] decides what a call designates.

mod calls;
mod ctx;
mod imports;
mod namespaces;
mod styles;
mod types;

use codegraph_core::{
    DefKind, EdgeKind, ExternalEdge, FileId, GraphFacts, NodeRef, Provenance, RefEdge, RefKind,
    Relation, ResolutionStats,
};
use codegraph_lang::Registry;
use ctx::Ctx;
// Fx hashing: resolution builds maps over every definition of the
// repository on each update, and SipHash's DoS resistance buys nothing here.
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

/// What resolution produced.
#[derive(Debug, Default)]
pub struct Resolution {
    pub edges: Vec<RefEdge>,
    pub externals: Vec<ExternalEdge>,
    pub stats: ResolutionStats,
}

type FileIx = usize;
type DefIx = usize;
/// A binding as resolution reads it: name, type text, value text.
type BindingRef<'a> = (&'a str, Option<&'a str>, Option<&'a str>);

/// Resolves every import, call and inheritance clause in `facts`.
pub fn resolve(facts: &GraphFacts, registry: &Registry) -> Resolution {
    resolve_in(facts, registry, None)
}

/// Resolves the references written in `files` only, against the whole of
/// `facts`: the edges a full [`resolve`] would give those files, for
/// incremental updates. Statistics cover imports and inheritance of every
/// file but calls of `files` only.
pub fn resolve_files(
    facts: &GraphFacts,
    registry: &Registry,
    files: &std::collections::HashSet<FileId>,
) -> Resolution {
    resolve_in(facts, registry, Some(files))
}

fn resolve_in(
    facts: &GraphFacts,
    registry: &Registry,
    only: Option<&std::collections::HashSet<FileId>>,
) -> Resolution {
    let wanted = |file: FileId| only.is_none_or(|o| o.contains(&file));
    let started = std::time::Instant::now();
    let mut ctx = Ctx::new(facts, registry);
    let ctx_ms = started.elapsed().as_millis() as u64;
    let scopes = ctx.build_scopes();
    let scopes_ms = started.elapsed().as_millis() as u64;
    let mut edges = scopes.edges;
    let mut externals = scopes.externals;
    if only.is_some() {
        edges.retain(|e| wanted(e.file));
        externals.retain(|x| wanted(x.file));
    }
    let mut stats = ResolutionStats {
        imports: scopes.imports,
        imports_to_files: scopes.imports_to_files,
        imports_external: scopes.imports_external,
        ..ResolutionStats::default()
    };
    // Inheritance first: member lookups climb base classes.
    resolve_inheritance(&mut ctx, &wanted, &mut edges, &mut stats);
    let inheritance_ms = started.elapsed().as_millis() as u64;
    resolve_calls(&ctx, &wanted, &mut edges, &mut stats);
    ctx.dispose();
    edges.sort_by(|a, b| (a.kind.as_str(), a.src, a.dst).cmp(&(b.kind.as_str(), b.src, b.dst)));
    tracing::debug!(
        ctx_ms,
        scopes_ms,
        inheritance_ms,
        calls_ms = started.elapsed().as_millis() as u64,
        "resolution stages"
    );
    Resolution {
        edges,
        externals,
        stats,
    }
}

/// Resolves every inheritance clause into the context's bases (all files:
/// member lookups need them) and, for wanted files, into edges.
fn resolve_inheritance(
    ctx: &mut Ctx<'_>,
    wanted: &dyn Fn(FileId) -> bool,
    edges: &mut Vec<RefEdge>,
    stats: &mut ResolutionStats,
) {
    let facts = ctx.facts;
    let mut bases: HashMap<DefIx, Vec<DefIx>> = HashMap::default();
    let mut superclass: HashMap<DefIx, DefIx> = HashMap::default();
    for h in &facts.inheritance {
        let Some(&f) = ctx.file_ix.get(&h.file_id) else {
            continue;
        };
        stats.inheritance += 1;
        let Some(subject) = h
            .subject_id
            .and_then(|s| ctx.def_ix.get(&s).copied())
            .or_else(|| ctx.lookup_base(f, None, &h.subject).first().copied())
        else {
            continue;
        };
        let found = ctx.lookup_base(f, ctx.def_parent[subject], &h.base);
        let (targets, provenance) = if found.len() == 1 {
            (found, Provenance::Resolved)
        } else {
            let unique: Vec<DefIx> = ctx
                .by_name
                .get(h.base.as_str())
                .map(|v| v.iter().copied().filter(|&d| ctx.is_base(d)).collect())
                .unwrap_or_default();
            if unique.len() == 1 {
                (unique, Provenance::Inferred)
            } else {
                continue;
            }
        };
        match provenance {
            Provenance::Resolved => stats.inheritance_resolved += 1,
            Provenance::Inferred => stats.inheritance_inferred += 1,
        }
        let implements = h.relation == Relation::Implements;
        for t in targets {
            if t == subject {
                continue;
            }
            bases.entry(subject).or_default().push(t);
            if !implements && ctx.def_kind[t] != DefKind::Interface {
                superclass.entry(subject).or_insert(t);
            }
            if !wanted(h.file_id) {
                continue;
            }
            edges.push(RefEdge {
                kind: if implements {
                    EdgeKind::Implements
                } else {
                    EdgeKind::Inherits
                },
                src: NodeRef::Def(facts.defs[subject].id),
                dst: NodeRef::Def(facts.defs[t].id),
                provenance,
                file: h.file_id,
                line: h.line,
            });
        }
    }
    ctx.bases = bases;
    ctx.superclass = superclass;
}

/// Resolves the calls of wanted files into edges.
fn resolve_calls(
    ctx: &Ctx<'_>,
    wanted: &dyn Fn(FileId) -> bool,
    edges: &mut Vec<RefEdge>,
    stats: &mut ResolutionStats,
) {
    let facts = ctx.facts;
    let mut seen: HashSet<(EdgeKind, NodeRef, NodeRef)> = HashSet::default();
    for c in &facts.calls {
        if !wanted(c.file_id) {
            continue;
        }
        let Some(&f) = ctx.file_ix.get(&c.file_id) else {
            continue;
        };
        stats.calls += 1;
        let caller = c.caller_id.and_then(|id| ctx.def_ix.get(&id).copied());
        let Some((targets, provenance)) = ctx
            .resolve_call(f, caller, &c.name, c.receiver.as_deref(), c.path)
            .map(|(targets, provenance)| (ctx.through_aliases(targets), provenance))
            .and_then(|(targets, provenance)| ctx.fitting(f, c.args, targets, provenance))
        else {
            stats.calls_unresolved += 1;
            continue;
        };
        match provenance {
            Provenance::Resolved => stats.calls_resolved += 1,
            Provenance::Inferred => stats.calls_inferred += 1,
        }
        let src = match caller {
            Some(d) => NodeRef::Def(facts.defs[d].id),
            None => NodeRef::File(c.file_id),
        };
        let kind = match c.kind {
            RefKind::Call => EdgeKind::Calls,
            RefKind::Decorator => EdgeKind::References,
        };
        for t in targets {
            let dst = NodeRef::Def(facts.defs[t].id);
            if src == dst || !seen.insert((kind, src, dst)) {
                continue;
            }
            edges.push(RefEdge {
                kind,
                src,
                dst,
                provenance,
                file: c.file_id,
                line: c.line,
            });
        }
    }
}
