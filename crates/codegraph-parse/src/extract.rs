//! Running a language's tags query over a syntax tree and assembling facts.

use crate::chunk::{self, LineIndex};
use crate::doc;
use crate::module::module_prefix;
use codegraph_core::{
    Binding, Call, ChunkKind, DefKind, Definition, Diagnostic, FileFacts, Import, Inheritance,
    RefKind, Relation, Span,
};
use codegraph_lang::{Language, Role};
use std::cell::RefCell;
use std::collections::HashMap;
use streaming_iterator::StreamingIterator;
use tree_sitter::{Node, Parser, QueryCursor};

const MAX_SIGNATURE: usize = 400;

/// Syntax trees nested deeper than this are chunked as text: no real code
/// nests this deep, and the tags query's work grows with depth.
pub const MAX_NESTING: usize = 1024;

/// A syntax error node with more children than this makes the file chunked
/// as text: the tags query's cost for each child of an error node grows
/// with its number of siblings (`x = [[[[...` took 46 s of CPU for 200,000
/// brackets).
pub const MAX_ERROR_WIDTH: usize = 4096;
const MAX_DIAGNOSTICS: usize = 5;

thread_local! {
    static PARSER: RefCell<Parser> = RefCell::new(Parser::new());
}

/// A definition or scope as found, before nesting is known.
struct RawDef {
    kind: Option<DefKind>, // None for a scope
    name: String,
    start: u32,
    end: u32,
    body: Option<(u32, u32)>,
    doc: Option<String>,
    doc_start: Option<u32>,
    /// Start of a wrapper (decorators, `export`), which the chunk includes.
    outer_start: u32,
    owner: Option<String>,
    node_start_line: u32,
    node_end_line: u32,
    /// Index of the query pattern that found it.
    pattern: usize,
}

struct RawInherit {
    start: u32,
    end: u32,
    base: String,
    subject: Option<String>,
    relation: Relation,
    line: u32,
}

struct RawCall {
    call: Call,
    at: u32,
    /// For a decorator: the definition it applies to.
    decorates: Option<usize>,
}

/// What one file's tags query found, before nesting is known.
#[derive(Default)]
struct Raw {
    defs: Vec<RawDef>,
    /// (node, is a scope) → index in `defs`: a node matched twice is one
    /// definition (a later match that knows its doc adds it); matched with
    /// two kinds, the earlier pattern of the query decides.
    seen_defs: HashMap<(usize, bool), usize>,
    calls: Vec<RawCall>,
    /// Callee name node → index in `calls`.
    seen_calls: HashMap<usize, usize>,
    inherits: Vec<RawInherit>,
    /// (byte offset of the name, binding).
    bindings: Vec<(u32, Binding)>,
    /// Byte ranges of `@reference.skip` nodes: no call sites inside.
    skips: Vec<(u32, u32)>,
    /// The `@module.value` name: the value the file exports.
    module_value: Option<String>,
}

/// The captures of one query match, by role.
#[derive(Default)]
struct Captures<'t> {
    name: Option<Node<'t>>,
    doc: Option<Node<'t>>,
    body: Option<Node<'t>>,
    owner: Option<Node<'t>>,
    receiver: Option<Node<'t>>,
    subject: Option<Node<'t>>,
    module: Option<Node<'t>>,
    /// The last node of a module path captured as several nodes (a
    /// quantified `@import.module`, Scala's `a.b.c`); the module is the
    /// text from `module` to it.
    module_end: Option<Node<'t>>,
    import_name: Option<Node<'t>>,
    alias: Option<Node<'t>>,
    wildcard: bool,
    binding_name: Option<Node<'t>>,
    binding_type: Option<Node<'t>>,
    binding_value: Option<Node<'t>>,
}

impl<'t> Captures<'t> {
    /// The match's role (the first structural capture) and its node, with
    /// the other captures; `None` for a match without a role.
    fn of(
        m: &tree_sitter::QueryMatch<'_, 't>,
        roles: &[Role],
    ) -> Option<(Role, Node<'t>, Captures<'t>)> {
        let mut role_node: Option<(Role, Node)> = None;
        let mut c = Captures::default();
        for cap in m.captures {
            let role = roles[cap.index as usize];
            match role {
                Role::Name => c.name = Some(cap.node),
                Role::Doc => c.doc = Some(cap.node),
                Role::Body => c.body = Some(cap.node),
                Role::Owner => c.owner = Some(cap.node),
                Role::Receiver => c.receiver = Some(cap.node),
                Role::Subject => c.subject = Some(cap.node),
                Role::ImportModule if c.module.is_some() => c.module_end = Some(cap.node),
                Role::ImportModule => c.module = Some(cap.node),
                Role::ImportName => c.import_name = Some(cap.node),
                Role::ImportAlias => c.alias = Some(cap.node),
                Role::ImportWildcard => c.wildcard = true,
                Role::BindingName => c.binding_name = Some(cap.node),
                Role::BindingType => c.binding_type = Some(cap.node),
                Role::BindingValue => c.binding_value = Some(cap.node),
                Role::Ignored => {}
                Role::Definition(_)
                | Role::Scope
                | Role::Call(_)
                | Role::Skip
                | Role::Import
                | Role::Inherits(_)
                | Role::Package
                | Role::FileDoc
                | Role::ModuleValue
                | Role::Binding => {
                    if role_node.is_none() {
                        role_node = Some((role, cap.node));
                    }
                }
            }
        }
        role_node.map(|(role, node)| (role, node, c))
    }
}

/// The syntax tree of `text`, or `None` (with line windows as chunks and a
/// diagnostic) when the language has no usable grammar or the parser gave
/// up.
fn parse_tree(
    language: &Language,
    text: &str,
    facts: &mut FileFacts,
    stop: &dyn Fn() -> bool,
) -> Option<tree_sitter::Tree> {
    let (Some(grammar), Ok(Some(_))) = (language.grammar(), language.tags()) else {
        if let Err(e) = language.tags() {
            facts.diagnostics.push(Diagnostic {
                line: 1,
                message: e.to_string(),
            });
        }
        facts.chunks = chunk::line_windows(text);
        return None;
    };
    let bytes = text.as_bytes();
    let tree = PARSER.with(|parser| {
        let mut parser = parser.borrow_mut();
        parser.set_language(grammar).ok()?;
        let mut progress = |_: &tree_sitter::ParseState| stop();
        let options = tree_sitter::ParseOptions::new().progress_callback(&mut progress);
        parser.parse_with_options(
            &mut |at: usize, _| bytes.get(at..).unwrap_or_default(),
            None,
            Some(options),
        )
    });
    if tree.is_none() && !stop() {
        facts.diagnostics.push(Diagnostic {
            line: 1,
            message: "the parser gave up; chunked as text".into(),
        });
        facts.chunks = chunk::line_windows(text);
    }
    tree
}

/// Runs the tags query over the file's tree and assembles the facts;
/// `None` when `stop` cut it short.
pub(crate) fn extract(
    language: &Language,
    path: &str,
    text: &str,
    facts: &mut FileFacts,
    stop: &dyn Fn() -> bool,
) -> Option<()> {
    let Some(tree) = parse_tree(language, text, facts, stop) else {
        return (!stop()).then_some(());
    };
    let Ok(Some(tags)) = language.tags() else {
        return Some(());
    };
    let root = tree.root_node();
    if root.has_error() {
        collect_errors(root, &mut facts.diagnostics);
    }
    let (depth, error_width) = shape(root);
    if depth > MAX_NESTING || error_width > MAX_ERROR_WIDTH {
        facts.diagnostics.push(Diagnostic {
            line: 1,
            message: format!(
                "nested {depth} levels deep, or a syntax error spanning {error_width} nodes; chunked as text"
            ),
        });
        facts.chunks = chunk::line_windows(text);
        return Some(());
    }
    let node_text = |n: Node| text.get(n.byte_range()).unwrap_or("");
    let mut raw = Raw::default();
    let mut package = Packages::default();
    let mut cursor = QueryCursor::new();
    let mut progress = |_: &tree_sitter::QueryCursorState| stop();
    let options = tree_sitter::QueryCursorOptions::new().progress_callback(&mut progress);
    let mut matches = cursor.matches_with_options(&tags.query, root, text.as_bytes(), options);
    while let Some(m) = matches.next() {
        let Some((role, node, c)) = Captures::of(m, &tags.roles) else {
            continue;
        };
        match role {
            Role::Definition(_) | Role::Scope if c.name.is_some() => {
                raw.definition(language, text, role, node, &c, m.pattern_index);
            }
            Role::Call(kind) => raw.call(text, node, &c, kind),
            Role::Skip => raw
                .skips
                .push((node.start_byte() as u32, node.end_byte() as u32)),
            Role::Import => {
                let module_text = c.module.map(|m| match c.module_end {
                    Some(end) => {
                        squash(text.get(m.start_byte()..end.end_byte()).unwrap_or(""), 300)
                    }
                    None => unquote(node_text(m)),
                });
                let name_text = c.import_name.map(|n| node_text(n).to_owned());
                let Some(module_text) = module_text.or_else(|| name_text.clone()) else {
                    continue;
                };
                facts.imports.push(Import {
                    module: module_text,
                    name: if c.module.is_some() { name_text } else { None },
                    alias: c.alias.map(|a| node_text(a).to_owned()),
                    wildcard: c.wildcard,
                    line: node.start_position().row as u32 + 1,
                });
            }
            Role::Inherits(relation) => {
                let Some(base) = c.name else { continue };
                raw.inherits.push(RawInherit {
                    start: node.start_byte() as u32,
                    end: node.end_byte() as u32,
                    base: node_text(base).to_owned(),
                    subject: c.subject.map(|s| node_text(s).to_owned()),
                    relation,
                    line: base.start_position().row as u32 + 1,
                });
            }
            Role::Binding => raw.binding(text, &c),
            Role::Package => {
                let name = squash(node_text(c.name.unwrap_or(node)), 200);
                package.add(name, node, c.body, &language.separator, facts);
            }
            Role::ModuleValue => raw.module_value = Some(node_text(node).to_owned()),
            Role::FileDoc if facts.doc.is_none() => {
                facts.doc = doc::clean(node_text(node));
            }
            _ => {}
        }
    }
    if facts.doc.is_none() {
        facts.doc = leading_file_doc(language, root, text);
    }
    // One import per line, module and name: an aliased one wins over the
    // same import matched without its alias (`local u = require "u"`).
    facts.imports.sort_by(|a, b| {
        (a.line, &a.module, &a.name, a.alias.is_none()).cmp(&(
            b.line,
            &b.module,
            &b.name,
            b.alias.is_none(),
        ))
    });
    facts.imports.dedup_by(|later, kept| {
        later == kept
            || (later.line == kept.line
                && later.module == kept.module
                && later.name == kept.name
                && later.alias.is_none()
                && later.wildcard == kept.wildcard)
    });
    if stop() {
        return None;
    }
    assemble(language, path, text, facts, raw);
    Some(())
}

/// The file's package from its `@package` matches. The first one names it;
/// a later one continues it (joined by the separator) when it is nested in
/// the body of the one before (`namespace A { namespace B {`) or when the
/// one before has no `@body` and so covers the rest of the file (Scala's
/// chained `package a` / `package b` clauses). A block after the end of
/// the one before (a second `namespace C { }`) changes nothing.
#[derive(Default)]
struct Packages {
    /// Where the last joined package's body ends; `None`: the end of file.
    body_end: Option<Option<usize>>,
}

impl Packages {
    fn add(
        &mut self,
        name: String,
        node: Node,
        body: Option<Node>,
        separator: &str,
        facts: &mut FileFacts,
    ) {
        let end = body.map(|b| b.end_byte());
        match (&mut facts.package, self.body_end) {
            (None, _) => facts.package = Some(name),
            (Some(p), Some(open)) if open.is_none_or(|e| node.start_byte() < e) => {
                p.push_str(separator);
                p.push_str(&name);
            }
            _ => return,
        }
        self.body_end = Some(end);
    }
}

/// The depth of the deepest node and the most children of a syntax error
/// node, walked without recursion.
fn shape(root: Node) -> (usize, usize) {
    let mut cursor = root.walk();
    let (mut depth, mut deepest) = (0usize, 0usize);
    let mut widest_error = 0usize;
    loop {
        let node = cursor.node();
        if node.is_error() {
            widest_error = widest_error.max(node.child_count());
        }
        if cursor.goto_first_child() {
            depth += 1;
            deepest = deepest.max(depth);
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return (deepest, widest_error);
            }
            depth -= 1;
        }
    }
}

impl Raw {
    fn definition(
        &mut self,
        language: &Language,
        text: &str,
        role: Role,
        node: Node,
        c: &Captures,
        pattern: usize,
    ) {
        let node_text = |n: Node| text.get(n.byte_range()).unwrap_or("");
        let kind = match role {
            Role::Definition(kind) => Some(kind),
            _ => None,
        };
        let name = c.name.map(node_text).unwrap_or_default().to_owned();
        if name.is_empty() {
            return;
        }
        let key = (node.id(), kind.is_none());
        let replace = match self.seen_defs.get(&key) {
            Some(&i) if self.defs[i].kind == kind => {
                // Another pattern for the same definition: it may know the
                // doc or the body the first one did not capture.
                let def = &mut self.defs[i];
                if def.doc.is_none()
                    && let Some(d) = c.doc
                {
                    def.doc = doc::clean(node_text(d));
                    def.doc_start = None;
                }
                if def.body.is_none()
                    && let Some(b) = c.body
                {
                    def.body = Some((body_start(language, node, b), b.end_byte() as u32));
                }
                return;
            }
            Some(&i) if pattern < self.defs[i].pattern => Some(i),
            Some(_) => return,
            None => None,
        };
        let (doc, doc_start) = match c.doc {
            Some(d) => (doc::clean(node_text(d)), None),
            None if kind.is_some() => preceding_doc(language, node, text),
            None => (None, None),
        };
        let outer_start = match node.parent() {
            Some(p) if language.wrapper_kinds.iter().any(|k| k == p.kind()) => p.start_byte(),
            _ => node.start_byte(),
        } as u32;
        let def = RawDef {
            outer_start,
            kind,
            name,
            start: node.start_byte() as u32,
            end: node.end_byte() as u32,
            body: c
                .body
                .map(|b| (body_start(language, node, b), b.end_byte() as u32)),
            doc,
            doc_start,
            owner: c.owner.map(|o| node_text(o).to_owned()),
            node_start_line: node.start_position().row as u32 + 1,
            node_end_line: end_line(node),
            pattern,
        };
        match replace {
            Some(i) => self.defs[i] = def,
            None => {
                self.seen_defs.insert(key, self.defs.len());
                self.defs.push(def);
            }
        }
    }

    fn call(&mut self, text: &str, node: Node, c: &Captures, kind: RefKind) {
        let node_text = |n: Node| text.get(n.byte_range()).unwrap_or("");
        let Some(name_node) = c.name else { return };
        // One call per callee name node; a later match that knows the
        // receiver (or spans less) refines an earlier one.
        if let Some(&i) = self.seen_calls.get(&name_node.id()) {
            let existing: &mut RawCall = &mut self.calls[i];
            if existing.call.receiver.is_none()
                && let Some(r) = c.receiver
            {
                existing.call.receiver = Some(receiver_text(node_text(r)));
            }
            return;
        }
        self.seen_calls.insert(name_node.id(), self.calls.len());
        let pos = name_node.start_position();
        self.calls.push(RawCall {
            call: Call {
                name: node_text(name_node).to_owned(),
                receiver: c.receiver.map(|r| receiver_text(node_text(r))),
                line: pos.row as u32 + 1,
                column: pos.column as u32 + 1,
                enclosing: None,
                kind,
            },
            at: node.start_byte() as u32,
            decorates: None,
        });
    }

    fn binding(&mut self, text: &str, c: &Captures) {
        let node_text = |n: Node| text.get(n.byte_range()).unwrap_or("");
        // A name alone is a binding too: a parameter or local that shadows
        // definitions of the same name.
        let Some(name) = c.binding_name else { return };
        self.bindings.push((
            name.start_byte() as u32,
            Binding {
                name: squash(node_text(name), 120),
                type_name: c.binding_type.map(|t| squash(node_text(t), 120)),
                value: c.binding_value.map(|v| squash(node_text(v), 120)),
                scope: None,
                line: name.start_position().row as u32 + 1,
            },
        ));
    }
}

/// Where a definition's body starts for its signature: the body node, or a
/// comment of the definition before it (Ruby keeps the comment above a
/// body's first statement outside the body).
fn body_start(language: &Language, node: Node, body: Node) -> u32 {
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
struct Nesting {
    defs: Vec<RawDef>,
    container: Vec<Option<usize>>,
}

/// Outer before inner (by start, then longest first), and the immediate
/// container of each.
fn nest(defs: &mut [RawDef]) -> Vec<Option<usize>> {
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

fn assemble(language: &Language, path: &str, text: &str, facts: &mut FileFacts, mut raw: Raw) {
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
fn merge_clauses(mut defs: Vec<RawDef>) -> Vec<RawDef> {
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
fn decorated(nesting: &Nesting, def_index: &[Option<usize>], text: &str, calls: &mut [RawCall]) {
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
fn attach(
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
        if !facts.bindings.contains(&b) {
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
fn chunks(
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
fn end_line(node: Node) -> u32 {
    let (start, end) = (node.start_position(), node.end_position());
    if end.column == 0 && end.row > start.row {
        end.row as u32
    } else {
        end.row as u32 + 1
    }
}

fn push_part(q: &mut String, sep: &str, part: &str) {
    if !q.is_empty() {
        q.push_str(sep);
    }
    q.push_str(part);
}

fn ancestors(container: &[Option<usize>], i: usize) -> impl Iterator<Item = usize> + '_ {
    std::iter::successors(container[i], move |&c| container[c])
}

/// Finds the innermost enclosing definition for ranges visited in order of
/// start.
struct Sweep<'a> {
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

/// The header of a definition: its text before the body, whitespace
/// collapsed; without a body, the first line.
fn signature(text: &str, raw: &RawDef) -> String {
    let start = raw.start as usize;
    let end = match raw.body {
        Some((body_start, _)) if body_start as usize >= start => body_start as usize,
        _ => {
            let whole = &text[start..raw.end as usize];
            if whole.len() <= MAX_SIGNATURE && whole.lines().count() <= 3 {
                raw.end as usize
            } else {
                start + whole.find('\n').unwrap_or(whole.len())
            }
        }
    };
    let sig = squash(text.get(start..end).unwrap_or(""), MAX_SIGNATURE);
    let sig = sig.trim_end_matches(['{', ' ', ',']);
    // An expression body's `=` (`def f: Int = ...`, `fun f() = ...`).
    sig.strip_suffix(" =").unwrap_or(sig).to_owned()
}

/// A receiver as one line: whitespace collapsed, none before a `.` (a call
/// chain broken over lines, `client\n  .newBuilder()`), and no trailing `.`.
fn receiver_text(s: &str) -> String {
    squash(s.trim_end_matches('.'), 120)
        .replace(" .", ".")
        .replace(" ?.", "?.")
}

/// Collapses whitespace runs to one space and caps the length.
fn squash(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max));
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
        if out.len() >= max {
            let mut cut = max;
            while !out.is_char_boundary(cut) {
                cut -= 1;
            }
            out.truncate(cut);
            out.push('…');
            break;
        }
    }
    out
}

fn unquote(s: &str) -> String {
    let t = s.trim();
    for (open, close) in [("\"", "\""), ("'", "'"), ("`", "`"), ("<", ">")] {
        if let Some(inner) = t.strip_prefix(open).and_then(|r| r.strip_suffix(close)) {
            return inner.to_owned();
        }
    }
    t.to_owned()
}

/// A type's outline: its text with the bodies of its direct members elided.
#[allow(clippy::too_many_arguments)]
fn outline(
    text: &str,
    lines: &LineIndex<'_>,
    first_line: u32,
    raw: &RawDef,
    defs: &[RawDef],
    container: &[Option<usize>],
    me: usize,
    elided: &str,
) -> String {
    let start = lines.byte_range(first_line, first_line).0.min(raw.start) as usize;
    let mut out = String::new();
    let mut pos = start;
    for (j, member) in defs.iter().enumerate() {
        if container[j] != Some(me) {
            continue;
        }
        let Some((body_start, body_end)) = member.body else {
            continue;
        };
        let (body_start, body_end) = (body_start as usize, body_end as usize);
        if body_start < pos || body_end > raw.end as usize {
            continue;
        }
        out.push_str(&text[pos..body_start]);
        if !out.ends_with(' ') && !out.ends_with('\n') && elided.starts_with('{') {
            out.push(' ');
        }
        out.push_str(elided);
        pos = body_end;
    }
    out.push_str(&text[pos..raw.end as usize]);
    out
}

/// Comments directly before a definition (or before its wrapper), joined;
/// with the byte where they start.
fn preceding_doc(language: &Language, node: Node, text: &str) -> (Option<String>, Option<u32>) {
    let mut target = node;
    loop {
        let (doc, start) = comments_before(language, target, text);
        if doc.is_some() {
            return (doc, start);
        }
        // A wrapper, or a block the definition opens (a comment before the
        // first statement of a body can belong to the body's parent).
        match target.parent() {
            Some(p)
                if (language.wrapper_kinds.iter().any(|k| k == p.kind())
                    && p.start_byte() <= node.start_byte())
                    || (p.start_byte() == node.start_byte() && target.prev_sibling().is_none()) =>
            {
                target = p
            }
            _ => return (None, None),
        }
    }
}

/// The node before `n`, climbing out of a parent `n` opens (Haskell's
/// first declaration opens `declarations`).
fn node_before(n: Node<'_>) -> Option<Node<'_>> {
    n.prev_sibling().or_else(|| {
        n.parent()
            .filter(|p| p.start_byte() == n.start_byte())
            .and_then(|p| p.prev_sibling())
    })
}

fn comments_before(language: &Language, node: Node, text: &str) -> (Option<String>, Option<u32>) {
    if language.comment_kinds.is_empty() {
        return (None, None);
    }
    let mut parts: Vec<&str> = Vec::new();
    let mut next_row = node.start_position().row;
    let mut start = None;
    let mut sibling = node_before(node);
    while let Some(s) = sibling {
        let kind = s.kind();
        let is_comment = language.comment_kinds.iter().any(|k| k == kind);
        let skippable = language.doc_skip_kinds.iter().any(|k| k == kind);
        if !is_comment && !skippable {
            // A grammar may keep the comment above a declaration as the last
            // child of the node before it (Haskell's import list, a Scala
            // enum body): take such trailing comments too.
            let mut cursor = s.walk();
            let children: Vec<Node> = s.children(&mut cursor).collect();
            for c in children.iter().rev() {
                let is_doc = language.comment_kinds.iter().any(|k| k == c.kind())
                    && c.end_position().row + 1 >= next_row
                    && language.is_doc_comment(text.get(c.byte_range()).unwrap_or(""));
                if !is_doc {
                    break;
                }
                next_row = c.start_position().row;
                parts.push(text.get(c.byte_range()).unwrap_or(""));
                start = Some(c.start_byte() as u32);
            }
            break;
        }
        // A blank line between comment and definition breaks the link.
        if s.end_position().row + 1 < next_row {
            break;
        }
        next_row = s.start_position().row;
        if is_comment {
            let t = text.get(s.byte_range()).unwrap_or("");
            // Where the language marks doc comments, only those count.
            if !language.is_doc_comment(t) {
                break;
            }
            parts.push(t);
            start = Some(s.start_byte() as u32);
        }
        sibling = node_before(s);
    }
    if parts.is_empty() {
        return (None, None);
    }
    parts.reverse();
    let joined = parts.join("\n");
    if doc::is_license(&joined) {
        return (None, None);
    }
    (doc::clean(&joined), start)
}

/// The first block of comments at the top of the file that is not a license.
fn leading_file_doc(language: &Language, root: Node, text: &str) -> Option<String> {
    let mut block: Vec<&str> = Vec::new();
    let mut last_row: Option<usize> = None;
    let mut cursor = root.walk();
    for child in root.children(&mut cursor) {
        if !language.comment_kinds.iter().any(|k| k == child.kind()) {
            break;
        }
        let t = text.get(child.byte_range()).unwrap_or("");
        // A `#!` line names the interpreter; it is not documentation.
        if child.start_byte() == 0 && t.starts_with("#!") {
            last_row = Some(child.end_position().row);
            continue;
        }
        let gap = last_row.is_some_and(|r| child.start_position().row > r + 1);
        if gap && !block.is_empty() {
            let joined = block.join("\n");
            if !doc::is_license(&joined) {
                return doc::clean(&joined);
            }
            block.clear();
        }
        block.push(t);
        last_row = Some(child.end_position().row);
    }
    let joined = block.join("\n");
    if block.is_empty() || doc::is_license(&joined) {
        return None;
    }
    doc::clean(&joined)
}

/// Up to [`MAX_DIAGNOSTICS`] syntax errors, by line.
fn collect_errors(root: Node, out: &mut Vec<Diagnostic>) {
    let mut cursor = root.walk();
    let mut count = 0usize;
    'walk: loop {
        let node = cursor.node();
        let mut descend = node.has_error();
        if node.is_error() || node.is_missing() {
            count += 1;
            if out.len() < MAX_DIAGNOSTICS {
                let line = node.start_position().row as u32 + 1;
                let message = if node.is_missing() {
                    format!("syntax error: missing `{}`", node.kind())
                } else {
                    "syntax error".to_owned()
                };
                out.push(Diagnostic { line, message });
            }
            descend = false;
        }
        if descend && cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                continue 'walk;
            }
            if !cursor.goto_parent() {
                break 'walk;
            }
        }
    }
    if count > MAX_DIAGNOSTICS {
        out.push(Diagnostic {
            line: out.last().map_or(1, |d| d.line),
            message: format!("{} more syntax errors", count - MAX_DIAGNOSTICS),
        });
    }
}
