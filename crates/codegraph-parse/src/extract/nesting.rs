//! Nesting definitions, assembling facts from the raw captures, chunks.

use super::*;
use std::collections::HashSet;

/// Where a definition's body starts for its signature: the body node, or a
/// comment of the definition before it (Ruby keeps the comment above a
/// body's first statement outside the body).
pub(super) fn body_start(language: &Language, node: Node, body: Node) -> u32 {
    let mut cursor = node.walk();
    node.children(&mut cursor)
        .take_while(|c| c.start_byte() < body.start_byte())
        .find(|c| {
            c.start_byte() > node.start_byte()
                && language.comment_kinds.iter().any(|k| k == c.kind())
        })
        .map_or(body.start_byte(), |c| c.start_byte()) as u32
}

/// Definitions and scopes sorted outer before inner, with the immediate
/// container of each; functions directly in a type or scope become methods.
pub(super) struct Nesting {
    defs: Vec<RawDef>,
    container: Vec<Option<usize>>,
}

/// Outer before inner (by start, then longest first), and the immediate
/// container of each.
pub(super) fn nest(defs: &mut [RawDef]) -> Vec<Option<usize>> {
    defs.sort_by(|a, b| {
        (a.start, std::cmp::Reverse(a.end)).cmp(&(b.start, std::cmp::Reverse(b.end)))
    });
    let mut container: Vec<Option<usize>> = vec![None; defs.len()];
    let mut stack: Vec<usize> = Vec::new();
    for i in 0..defs.len() {
        while let Some(&top) = stack.last() {
            if defs[top].end <= defs[i].start || defs[top].end < defs[i].end {
                stack.pop();
            } else {
                break;
            }
        }
        container[i] = stack.last().copied();
        stack.push(i);
    }
    container
}

impl Nesting {
    fn new(mut defs: Vec<RawDef>, module_value: Option<&str>) -> Nesting {
        let mut container = nest(&mut defs);
        // Variables and constants inside functions are locals, not
        // definitions (patterns may match assignments anywhere).
        let local = |i: usize, defs: &[RawDef], container: &[Option<usize>]| {
            matches!(defs[i].kind, Some(DefKind::Variable | DefKind::Constant))
                && ancestors(container, i).any(|a| defs[a].kind.is_some_and(DefKind::is_callable))
        };
        if (0..defs.len()).any(|i| local(i, &defs, &container)) {
            let keep: Vec<bool> = (0..defs.len())
                .map(|i| !local(i, &defs, &container))
                .collect();
            let mut flags = keep.into_iter();
            defs.retain(|_| flags.next().unwrap_or(true));
            container = nest(&mut defs);
        }
        let n = defs.len();
        // The value the file exports (Lua `return M`): top-level functions
        // it owns (`function M.f()`) are the module's own, and its own
        // definition (`local M = {}`) is the module. (Explicit methods,
        // `function M:f()`, stay the table's.)
        if let Some(value) = module_value {
            for (i, d) in defs.iter_mut().enumerate() {
                if container[i].is_some() {
                    continue;
                }
                if d.owner.as_deref() == Some(value) && d.kind == Some(DefKind::Function) {
                    d.owner = None;
                } else if d.owner.is_none()
                    && d.name == value
                    && matches!(d.kind, Some(DefKind::Variable | DefKind::Constant))
                {
                    d.kind = Some(DefKind::Module);
                }
            }
        }
        // Methods: functions whose immediate container is a type or a scope.
        for i in 0..n {
            if defs[i].kind == Some(DefKind::Function) {
                let in_type =
                    container[i].is_some_and(|c| defs[c].kind.is_none_or(|k| k.is_type_like()));
                if in_type || defs[i].owner.is_some() {
                    defs[i].kind = Some(DefKind::Method);
                }
            }
        }
        Nesting { defs, container }
    }

    /// The definitions, qualified and nested, into `facts`; for each raw
    /// entry, its index in `facts.definitions` (`None` for a scope).
    fn definitions(
        &self,
        language: &Language,
        path: &str,
        text: &str,
        facts: &mut FileFacts,
    ) -> Vec<Option<usize>> {
        let prefix = module_prefix(language, path, facts.package.as_deref());
        let sep = language.separator.as_str();
        let n = self.defs.len();
        let mut def_index: Vec<Option<usize>> = vec![None; n];
        let mut qualified: Vec<String> = Vec::with_capacity(n);
        for i in 0..n {
            let raw = &self.defs[i];
            let mut q = match self.container[i] {
                Some(c) => qualified[c].clone(),
                None => prefix.clone().unwrap_or_default(),
            };
            if let Some(owner) = &raw.owner {
                push_part(&mut q, sep, owner);
            }
            push_part(&mut q, sep, &raw.name);
            qualified.push(q);
            let Some(kind) = raw.kind else { continue };
            let parent = ancestors(&self.container, i).find_map(|a| def_index[a]);
            def_index[i] = Some(facts.definitions.len());
            facts.definitions.push(Definition {
                name: raw.name.clone(),
                qualified_name: qualified[i].clone(),
                kind,
                signature: signature(text, raw),
                doc: raw.doc.clone(),
                span: Span {
                    start_byte: raw.start,
                    end_byte: raw.end,
                    start_line: raw.node_start_line,
                    end_line: raw.node_end_line,
                },
                parent,
            });
        }
        def_index
    }
}

pub(super) fn assemble(
    language: &Language,
    path: &str,
    text: &str,
    facts: &mut FileFacts,
    mut raw: Raw,
) {
    if !raw.skips.is_empty() {
        // Disjoint ranges, then the last one starting at or before a call.
        raw.skips.sort_unstable();
        let mut skips: Vec<(u32, u32)> = Vec::with_capacity(raw.skips.len());
        for &(start, end) in &raw.skips {
            match skips.last_mut() {
                Some(last) if start <= last.1 => last.1 = last.1.max(end),
                _ => skips.push((start, end)),
            }
        }
        raw.calls.retain(|c| {
            let i = skips.partition_point(|&(start, _)| start <= c.at);
            i == 0 || c.at >= skips[i - 1].1
        });
    }
    let defs = if language.multi_clause {
        merge_clauses(raw.defs)
    } else {
        raw.defs
    };
    let nesting = Nesting::new(defs, raw.module_value.as_deref());
    let def_index = nesting.definitions(language, path, text, facts);
    let spans: Vec<(u32, u32, Option<usize>)> = nesting
        .defs
        .iter()
        .zip(&def_index)
        .map(|(d, i)| (d.start, d.end, *i))
        .collect();
    let mut calls = raw.calls;
    decorated(&nesting, &def_index, text, &mut calls);
    attach(facts, &spans, calls, raw.bindings, raw.inherits);
    chunks(language, text, facts, &nesting, &def_index);
}

/// Consecutive definitions of one name and kind, neither inside the other,
/// as one definition from the first clause's start to the last one's end.
pub(super) fn merge_clauses(mut defs: Vec<RawDef>) -> Vec<RawDef> {
    defs.sort_by(|a, b| {
        (a.start, std::cmp::Reverse(a.end)).cmp(&(b.start, std::cmp::Reverse(b.end)))
    });
    let mut out: Vec<RawDef> = Vec::with_capacity(defs.len());
    for d in defs {
        if let Some(last) = out.last_mut()
            && last.kind.is_some()
            && last.kind == d.kind
            && last.name == d.name
            && last.owner == d.owner
            && d.start >= last.end
        {
            last.end = d.end;
            last.node_end_line = d.node_end_line;
            if let Some((body_start, _)) = last.body {
                last.body = Some((body_start, d.end));
            }
            continue;
        }
        out.push(d);
    }
    out
}

/// The definition each decorator applies to: the one whose wrapper
/// (`decorated_definition`) holds it, else the first definition starting
/// on one of the next lines with only decorators in between. Marked by
/// setting `enclosing` ahead of [`attach`], which keeps it.
pub(super) fn decorated(
    nesting: &Nesting,
    def_index: &[Option<usize>],
    text: &str,
    calls: &mut [RawCall],
) {
    for c in calls
        .iter_mut()
        .filter(|c| c.call.kind == RefKind::Decorator)
    {
        let wrapped = nesting
            .defs
            .iter()
            .enumerate()
            .filter(|(_, d)| d.kind.is_some() && d.outer_start <= c.at && c.at < d.start)
            .max_by_key(|(_, d)| d.outer_start)
            .map(|(i, _)| i);
        let next = || {
            nesting
                .defs
                .iter()
                .enumerate()
                .filter(|(_, d)| d.kind.is_some() && d.start > c.at)
                .min_by_key(|(_, d)| d.start)
                .filter(|(_, d)| {
                    // Only more decorators (lines starting with the same
                    // sigil) between the decorator's line and the definition.
                    let between = text.get(c.at as usize..d.start as usize).unwrap_or("");
                    between.lines().skip(1).all(|l| {
                        let l = l.trim_start();
                        l.is_empty() || l.starts_with(['@', '#', '['])
                    })
                })
                .map(|(i, _)| i)
        };
        if let Some(i) = wrapped.or_else(next) {
            c.decorates = def_index[i];
        }
    }
}

/// Calls, bindings and inheritance clauses, each with the innermost
/// definition around it.
pub(super) fn attach(
    facts: &mut FileFacts,
    spans: &[(u32, u32, Option<usize>)],
    mut calls: Vec<RawCall>,
    mut bindings: Vec<(u32, Binding)>,
    mut inherits: Vec<RawInherit>,
) {
    calls.sort_by_key(|c| c.at);
    let mut sweep = Sweep::new(spans);
    for c in &mut calls {
        let around = sweep.innermost_def(c.at, c.at);
        c.call.enclosing = c.decorates.or(around);
    }
    facts.calls = calls.into_iter().map(|c| c.call).collect();
    // A name bound with a type or value makes the bare-name binding at the
    // same place redundant (several patterns match one assignment).
    bindings.sort_by(|a, b| {
        (a.0, a.1.type_name.is_none() && a.1.value.is_none())
            .cmp(&(b.0, b.1.type_name.is_none() && b.1.value.is_none()))
    });
    let mut sweep = Sweep::new(spans);
    let mut typed_at: Option<u32> = None;
    // Bindings kept so far, to drop repeats in constant time (a file of
    // 70,000 assignments made a linear check quadratic: 9 s for 1 MB).
    let mut kept: HashSet<Binding> = facts.bindings.iter().cloned().collect();
    for (at, mut b) in bindings {
        let bare = b.type_name.is_none() && b.value.is_none();
        if bare && typed_at == Some(at) {
            continue;
        }
        if !bare {
            typed_at = Some(at);
        }
        b.scope = sweep.innermost_def(at, at);
        // A variable is not a scope: its own binding belongs where it is.
        if let Some(s) = b.scope
            && matches!(
                facts.definitions[s].kind,
                DefKind::Variable | DefKind::Constant
            )
        {
            b.scope = facts.definitions[s].parent;
        }
        if kept.insert(b.clone()) {
            facts.bindings.push(b);
        }
    }
    inherits.sort_by_key(|h| h.start);
    let mut sweep = Sweep::new(spans);
    for h in inherits {
        let enclosing = sweep.innermost_def(h.start, h.end);
        let (subject, subject_def) = match h.subject {
            Some(s) => {
                let found = facts
                    .definitions
                    .iter()
                    .position(|d| d.name == s && d.kind.is_type_like());
                (s, found)
            }
            None => match enclosing {
                Some(d) => (facts.definitions[d].name.clone(), Some(d)),
                None => continue,
            },
        };
        facts.inheritance.push(Inheritance {
            subject,
            subject_def,
            base: h.base,
            relation: h.relation,
            line: h.line,
        });
    }
}

/// One chunk per callable and outline per type (split when long), and the
/// code between them.
pub(super) fn chunks(
    language: &Language,
    text: &str,
    facts: &mut FileFacts,
    nesting: &Nesting,
    def_index: &[Option<usize>],
) {
    let (defs, container) = (&nesting.defs, &nesting.container);
    let lines = LineIndex::new(text);
    let total_lines = lines.len();
    let mut covered = vec![false; total_lines as usize + 2];
    for (i, raw) in defs.iter().enumerate() {
        let inside_callable =
            ancestors(container, i).any(|a| defs[a].kind.is_some_and(DefKind::is_callable));
        if inside_callable {
            continue;
        }
        let chunk_kind = match raw.kind {
            Some(k) if k.is_callable() => ChunkKind::Function,
            Some(k) if k.is_type_like() => ChunkKind::Outline,
            None => ChunkKind::Outline,
            Some(_) => continue,
        };
        let first_byte = raw
            .doc_start
            .unwrap_or(raw.outer_start)
            .min(raw.outer_start);
        let first_line = lines.line_of(first_byte).min(raw.node_start_line);
        let last_line = raw.node_end_line;
        let sig = def_index[i].map_or_else(
            || signature(text, raw),
            |d| facts.definitions[d].signature.clone(),
        );
        let chunk_text = (chunk_kind == ChunkKind::Outline).then(|| {
            outline(
                text,
                &lines,
                first_line,
                raw,
                defs,
                container,
                i,
                &language.elided_body,
            )
        });
        // An outline's text is not the lines' text once bodies are elided; a
        // long outline is split by its own lines.
        match chunk_text {
            Some(t) if t.lines().count() as u32 > chunk::LIMITS.max_lines => {
                let text_index = LineIndex::new(&t);
                let mut parts = Vec::new();
                chunk::split_chunk(
                    &text_index,
                    chunk_kind,
                    def_index[i],
                    (1, text_index.len()),
                    None,
                    &sig,
                    &mut parts,
                );
                for mut p in parts {
                    p.span = lines.span(first_line, last_line);
                    facts.chunks.push(p);
                }
            }
            t => chunk::split_chunk(
                &lines,
                chunk_kind,
                def_index[i],
                (first_line, last_line),
                t,
                &sig,
                &mut facts.chunks,
            ),
        }
        for l in first_line..=last_line.min(total_lines) {
            covered[l as usize] = true;
        }
    }
    chunk::uncovered_code(&lines, &covered, &mut facts.chunks);
    facts
        .chunks
        .sort_by_key(|c| (c.span.start_line, c.span.end_line, c.part));
}

/// 1-based last line of a node; a node ending just after a newline ends on
/// the line before (`#define` includes its newline).
pub(super) fn end_line(node: Node) -> u32 {
    let (start, end) = (node.start_position(), node.end_position());
    if end.column == 0 && end.row > start.row {
        end.row as u32
    } else {
        end.row as u32 + 1
    }
}

pub(super) fn push_part(q: &mut String, sep: &str, part: &str) {
    if !q.is_empty() {
        q.push_str(sep);
    }
    q.push_str(part);
}

pub(super) fn ancestors(container: &[Option<usize>], i: usize) -> impl Iterator<Item = usize> + '_ {
    std::iter::successors(container[i], move |&c| container[c])
}

/// Finds the innermost enclosing definition for ranges visited in order of
/// start.
pub(super) struct Sweep<'a> {
    spans: &'a [(u32, u32, Option<usize>)],
    next: usize,
    stack: Vec<usize>,
}

impl<'a> Sweep<'a> {
    fn new(spans: &'a [(u32, u32, Option<usize>)]) -> Self {
        Sweep {
            spans,
            next: 0,
            stack: Vec::new(),
        }
    }

    fn innermost_def(&mut self, start: u32, end: u32) -> Option<usize> {
        while self.next < self.spans.len() && self.spans[self.next].0 <= start {
            self.stack.push(self.next);
            self.next += 1;
        }
        // Entries that ended before `start` can never contain later ranges.
        self.stack
            .retain(|&i| self.spans[i].1 > start || self.spans[i].0 == start);
        self.stack
            .iter()
            .rev()
            .find(|&&i| {
                self.spans[i].0 <= start && end <= self.spans[i].1 && self.spans[i].2.is_some()
            })
            .and_then(|&i| self.spans[i].2)
    }
}
