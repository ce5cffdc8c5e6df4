//! Outlines and signatures in the language's own syntax, from the
//! language table's styles, cut to a token budget.

use super::*;

/// The table's styles, or the brace-and-`//` defaults without a language.
pub(super) struct Style<'l> {
    pub(super) open: &'l str,
    pub(super) close: &'l str,
    pub(super) comment: &'l str,
    pub(super) elided: &'l str,
    pub(super) separator: &'l str,
}

pub(super) fn style(language: Option<&Language>) -> Style<'_> {
    match language {
        Some(l) => Style {
            open: &l.block_open,
            close: &l.block_close,
            comment: &l.line_comment,
            elided: &l.elided_body,
            separator: &l.separator,
        },
        None => Style {
            open: " {",
            close: "}",
            comment: "//",
            elided: "{ ... }",
            separator: ".",
        },
    }
}

/// Private members sort after the public surface.
pub(super) fn is_private(m: &DefinitionRow) -> bool {
    m.signature.starts_with("private") || (m.name.starts_with('_') && !m.name.ends_with("__"))
}

/// A member as one line: its signature and the elided body.
pub(super) fn member_line(m: &DefinitionRow, st: &Style<'_>) -> String {
    let sig = m.signature.trim_end();
    if m.kind.is_callable() {
        format!("{sig} {}", st.elided)
    } else {
        sig.to_owned()
    }
}

pub(super) fn render_type(
    conn: &codegraph_store::Conn,
    d: &DefinitionRow,
    language: Option<&Language>,
) -> Result<String> {
    let st = style(language);
    let mut text = match conn.outline_text(d.id)? {
        Some(t) if t.lines().count() <= OUTLINE_LINES => t.trim_end().to_owned(),
        _ => {
            // Too long (or none): the signature and the members' signatures,
            // public surface first.
            let mut text = d.signature.trim_end().to_owned();
            text.push_str(st.open);
            text.push('\n');
            let mut members = conn.members_of(d.id)?;
            members.sort_by_key(is_private);
            let total = members.len();
            for m in members.iter().take(OUTLINE_MEMBERS) {
                text.push_str("    ");
                text.push_str(&member_line(m, &st));
                text.push('\n');
            }
            if total > OUTLINE_MEMBERS {
                text.push_str(&format!(
                    "    {} ... {} more\n",
                    st.comment,
                    total - OUTLINE_MEMBERS
                ));
            }
            text.push_str(st.close);
            text.trim_end().to_owned()
        }
    };
    // Members declared outside the type: Go methods, Rust impl blocks.
    let mut outside = conn.members_outside(&d.qualified_name, st.separator)?;
    if !outside.is_empty() {
        outside.sort_by_key(is_private);
        let total = outside.len();
        let (open, close, indent) = match language.and_then(|l| {
            l.members_open
                .as_deref()
                .map(|o| (o, l.members_close.as_deref().unwrap_or("")))
        }) {
            Some((o, c)) => (Some(o.replace("{name}", &d.name)), c, "    "),
            None => (None, "", ""),
        };
        text.push_str("\n\n");
        if let Some(o) = &open {
            text.push_str(o);
            text.push('\n');
        }
        for m in outside.iter().take(OUTLINE_MEMBERS) {
            text.push_str(indent);
            text.push_str(&member_line(m, &st));
            text.push('\n');
        }
        if total > OUTLINE_MEMBERS {
            text.push_str(&format!(
                "{indent}{} ... {} more\n",
                st.comment,
                total - OUTLINE_MEMBERS
            ));
        }
        if open.is_some() {
            text.push_str(close);
        }
        text = text.trim_end().to_owned();
    }
    Ok(text)
}

/// A function's (or variable's) signature with the first paragraph of its
/// doc: a comment before it, or a docstring inside it.
pub(super) fn render_signature(d: &DefinitionRow, language: Option<&Language>) -> String {
    let st = style(language);
    let doc: Vec<&str> = d
        .doc
        .as_deref()
        .and_then(|doc| doc.split("\n\n").next())
        .map(|first| first.lines().map(str::trim).take(6).collect())
        .unwrap_or_default();
    let sig = d.signature.trim_end();
    let mut text = String::new();
    if language.is_some_and(|l| l.docstrings) {
        text.push_str(sig);
        if !doc.is_empty() && d.kind.is_callable() {
            text.push_str("\n    \"\"\"");
            text.push_str(&doc.join("\n    "));
            text.push_str("\"\"\"\n    ");
            text.push_str(st.elided);
        }
        return text;
    }
    let prefix = language
        .and_then(|l| l.doc_comment_prefixes.first())
        .filter(|p| !p.starts_with("/*"))
        .map_or(st.comment, String::as_str);
    for l in &doc {
        text.push_str(prefix);
        text.push(' ');
        text.push_str(l);
        text.push('\n');
    }
    text.push_str(sig);
    text
}

/// The first lines of an outline that fit in `tokens`, closed with a note
/// (a `comment`) of what was cut and the block's `close` line; `None` when
/// not even three lines fit.
pub(in crate::context) fn truncate_outline(
    text: &str,
    tokens: usize,
    comment: &str,
    close: &str,
) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let note = format!("    {comment} ... 999 more");
    let mut used = codegraph_graph::line_tokens(&note) + codegraph_graph::line_tokens(close);
    for l in &lines {
        let c = codegraph_graph::line_tokens(l);
        if used + c > tokens {
            break;
        }
        used += c;
        out.push(*l);
    }
    if out.len() < 3 || out.len() == lines.len() {
        return (out.len() == lines.len()).then(|| text.to_owned());
    }
    let cut = lines.len() - out.len() - 1;
    let mut t = out.join("\n");
    t.push_str(&format!("\n    {comment} ... {cut} more"));
    if !close.is_empty() {
        t.push('\n');
        t.push_str(close);
    }
    Some(t)
}
