//! Text of definitions: signatures, outlines, doc comments, diagnostics.

use super::*;

/// The header of a definition: its text before the body, whitespace
/// collapsed; without a body, the first line.
pub(super) fn signature(text: &str, raw: &RawDef) -> String {
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
pub(super) fn receiver_text(s: &str) -> String {
    squash(s.trim_end_matches('.'), 120)
        .replace(" .", ".")
        .replace(" ?.", "?.")
}

/// Collapses whitespace runs to one space and caps the length.
pub(super) fn squash(s: &str, max: usize) -> String {
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

pub(super) fn unquote(s: &str) -> String {
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
pub(super) fn outline(
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
/// Each node's previous sibling and parent, found once per parent:
/// tree-sitter's `prev_sibling` and `parent` walk down from the parent or
/// the root, so asking them for each of a parent's 70,000 children (a
/// module of assignments) is quadratic.
#[derive(Default)]
pub(super) struct Siblings<'t> {
    /// Node id -> its place.
    known: RefCell<HashMap<usize, Place<'t>>>,
}

/// A node's parent and previous sibling.
type Place<'t> = (Option<Node<'t>>, Option<Node<'t>>);

impl<'t> Siblings<'t> {
    fn lookup(&self, n: Node<'t>) -> Place<'t> {
        if let Some(found) = self.known.borrow().get(&n.id()) {
            return *found;
        }
        let Some(parent) = n.parent() else {
            self.known.borrow_mut().insert(n.id(), (None, None));
            return (None, None);
        };
        let mut known = self.known.borrow_mut();
        let mut cursor = parent.walk();
        let mut before = None;
        for child in parent.children(&mut cursor) {
            known.insert(child.id(), (Some(parent), before));
            before = Some(child);
        }
        // Not among its parent's children (cannot happen): ask the tree.
        *known
            .entry(n.id())
            .or_insert_with(|| (Some(parent), n.prev_sibling()))
    }

    /// The sibling before `n`, if any.
    pub(super) fn prev(&self, n: Node<'t>) -> Option<Node<'t>> {
        self.lookup(n).1
    }

    /// `n`'s parent, if any.
    pub(super) fn parent(&self, n: Node<'t>) -> Option<Node<'t>> {
        self.lookup(n).0
    }
}

pub(super) fn preceding_doc<'t>(
    language: &Language,
    node: Node<'t>,
    text: &str,
    siblings: &Siblings<'t>,
) -> (Option<String>, Option<u32>) {
    let mut target = node;
    loop {
        let (doc, start) = comments_before(language, target, text, siblings);
        if doc.is_some() {
            return (doc, start);
        }
        // A wrapper, or a block the definition opens (a comment before the
        // first statement of a body can belong to the body's parent).
        match siblings.parent(target) {
            Some(p)
                if (language.wrapper_kinds.iter().any(|k| k == p.kind())
                    && p.start_byte() <= node.start_byte())
                    || (p.start_byte() == node.start_byte() && siblings.prev(target).is_none()) =>
            {
                target = p
            }
            _ => return (None, None),
        }
    }
}

/// The node before `n`, climbing out of a parent `n` opens (Haskell's
/// first declaration opens `declarations`).
pub(super) fn node_before<'t>(n: Node<'t>, siblings: &Siblings<'t>) -> Option<Node<'t>> {
    siblings.prev(n).or_else(|| {
        siblings
            .parent(n)
            .filter(|p| p.start_byte() == n.start_byte())
            .and_then(|p| siblings.prev(p))
    })
}

pub(super) fn comments_before<'t>(
    language: &Language,
    node: Node<'t>,
    text: &str,
    siblings: &Siblings<'t>,
) -> (Option<String>, Option<u32>) {
    if language.comment_kinds.is_empty() {
        return (None, None);
    }
    let mut parts: Vec<&str> = Vec::new();
    let mut next_row = node.start_position().row;
    let mut start = None;
    let mut sibling = node_before(node, siblings);
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
        sibling = node_before(s, siblings);
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
pub(super) fn leading_file_doc(language: &Language, root: Node, text: &str) -> Option<String> {
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
pub(super) fn collect_errors(root: Node, out: &mut Vec<Diagnostic>) {
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
