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

mod nesting;
mod text;

use nesting::*;
use text::*;

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

/// The number of arguments of the call `node` (its `arguments` field, an
/// argument list): `None` without one, or when one spreads a collection
/// (`*xs`, `...xs`, `xs...`) or passes a block, so the count is not fixed.
fn argument_count(node: Node) -> Option<u32> {
    let list = node.child_by_field_name("arguments")?;
    if !list.kind().contains("argument") {
        return None; // `f(x for x in xs)`: a generator, not a list
    }
    let mut walk = list.walk();
    let mut count = 0;
    for child in list.named_children(&mut walk) {
        let kind = child.kind();
        if kind.contains("comment") {
            continue;
        }
        if ["splat", "spread", "variadic", "block"]
            .iter()
            .any(|k| kind.contains(k))
        {
            return None;
        }
        count += 1;
    }
    Some(count)
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
    let siblings = Siblings::default();
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
                raw.definition(language, text, role, node, &c, m.pattern_index, &siblings);
            }
            Role::Call(kind) => raw.call(text, node, &c, kind, &language.separator),
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

/// The depth of the deepest node (once past [`MAX_NESTING`]; below it, a
/// lower bound) and the most children of a syntax error node, walked
/// without recursion. Only subtrees that could matter are entered: one
/// with errors, or one with more descendants than levels left below the
/// limit (a subtree of `n` nodes is at most `n` deep), so a sound file
/// costs a walk of its few big nodes, not of every node.
fn shape(root: Node) -> (usize, usize) {
    let mut cursor = root.walk();
    let (mut depth, mut deepest) = (0usize, 0usize);
    let mut widest_error = 0usize;
    loop {
        let node = cursor.node();
        if node.is_error() {
            widest_error = widest_error.max(node.child_count());
        }
        let may_matter = node.has_error() || depth + node.descendant_count() > MAX_NESTING;
        if may_matter && cursor.goto_first_child() {
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
    #[allow(clippy::too_many_arguments)]
    fn definition<'t>(
        &mut self,
        language: &Language,
        text: &str,
        role: Role,
        node: Node<'t>,
        c: &Captures,
        pattern: usize,
        siblings: &Siblings<'t>,
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
            None if kind.is_some() => preceding_doc(language, node, text, siblings),
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

    fn call(&mut self, text: &str, node: Node, c: &Captures, kind: RefKind, separator: &str) {
        let node_text = |n: Node| text.get(n.byte_range()).unwrap_or("");
        let Some(name_node) = c.name else { return };
        // `module::f` (the language's separator, not `.`) names a path;
        // `value.f` a value's member.
        let path = |r: Node| {
            separator != "."
                && r.end_byte() <= name_node.start_byte()
                && text
                    .get(r.end_byte()..name_node.start_byte())
                    .is_some_and(|op| op.trim() == separator)
        };
        // One call per callee name node; a later match that knows the
        // receiver (or spans less) refines an earlier one.
        if let Some(&i) = self.seen_calls.get(&name_node.id()) {
            let existing: &mut RawCall = &mut self.calls[i];
            if existing.call.receiver.is_none()
                && let Some(r) = c.receiver
            {
                existing.call.receiver = Some(receiver_text(node_text(r)));
                existing.call.path = path(r);
            }
            return;
        }
        self.seen_calls.insert(name_node.id(), self.calls.len());
        let pos = name_node.start_position();
        let args = argument_count(node);
        self.calls.push(RawCall {
            call: Call {
                name: node_text(name_node).to_owned(),
                receiver: c.receiver.map(|r| receiver_text(node_text(r))),
                path: c.receiver.is_some_and(path),
                args,
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
