//! Turning comments and docstrings into plain doc text.

const MAX_DOC_CHARS: usize = 4000;

/// Strips comment markers or string quotes and common indentation.
pub(crate) fn clean(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let raw = strip_string_quotes(raw).unwrap_or(raw);
    let mut lines: Vec<&str> = raw.lines().map(clean_line).map(strip_summary).collect();
    while lines.first().is_some_and(|l| l.is_empty()) {
        lines.remove(0);
    }
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    if lines.is_empty() {
        return None;
    }
    let mut out = lines.join("\n");
    if out.len() > MAX_DOC_CHARS {
        let mut end = MAX_DOC_CHARS;
        while !out.is_char_boundary(end) {
            end -= 1;
        }
        out.truncate(end);
    }
    Some(out)
}

fn strip_string_quotes(s: &str) -> Option<&str> {
    let s = s.trim_start_matches(['r', 'R', 'u', 'U', 'b', 'B', 'f', 'F']);
    for quote in ["\"\"\"", "'''", "\"", "'", "`"] {
        if let Some(inner) = s.strip_prefix(quote).and_then(|s| s.strip_suffix(quote)) {
            return Some(inner);
        }
    }
    None
}

/// XML doc comments wrap their text in `<summary>` (C#): the tags go.
fn strip_summary(line: &str) -> &str {
    let l = line.strip_prefix("<summary>").unwrap_or(line);
    l.strip_suffix("</summary>").unwrap_or(l).trim()
}

fn clean_line(line: &str) -> &str {
    let mut l = line.trim();
    for prefix in [
        "///", "//!", "//", "/**", "/*!", "/*", "#", "-- |", "-- ^", "{- |", "---", "--",
    ] {
        if let Some(rest) = l.strip_prefix(prefix) {
            l = rest;
            break;
        }
    }
    l = l
        .strip_suffix("*/")
        .or_else(|| l.strip_suffix("-}"))
        .unwrap_or(l)
        .trim_end();
    if let Some(rest) = l.trim_start().strip_prefix('*') {
        l = rest;
    }
    l.trim()
}

/// Whether a leading comment block is boilerplate rather than a description.
pub(crate) fn is_license(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    ["copyright", "license", "spdx-", "licence"]
        .iter()
        .any(|w| lower.contains(w))
}

/// The first paragraph of a Markdown document that is prose, not a heading,
/// badge or HTML.
pub(crate) fn markdown_summary(text: &str) -> Option<String> {
    let mut paragraph: Vec<&str> = Vec::new();
    let mut in_fence = false;
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with("```") || t.starts_with("~~~") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        let skip = t.starts_with('#')
            || t.starts_with('<')
            || t.starts_with("[![")
            || t.starts_with("![")
            || t.starts_with("===")
            || t.starts_with("---");
        if t.is_empty() || skip {
            if !paragraph.is_empty() {
                break;
            }
            continue;
        }
        paragraph.push(t);
    }
    if paragraph.is_empty() {
        return None;
    }
    clean(&paragraph.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleans_comment_styles() {
        assert_eq!(
            clean("/// Adds one.\n/// Twice.").as_deref(),
            Some("Adds one.\nTwice.")
        );
        assert_eq!(
            clean("/**\n * Saves a user.\n * @param u the user\n */").as_deref(),
            Some("Saves a user.\n@param u the user")
        );
        assert_eq!(
            clean("\"\"\"Return the sum.\n\n    More.\n    \"\"\"").as_deref(),
            Some("Return the sum.\n\nMore.")
        );
        assert_eq!(
            clean("// Package store keeps users."),
            Some("Package store keeps users.".into())
        );
        assert_eq!(clean("r'''raw doc'''").as_deref(), Some("raw doc"));
        assert_eq!(clean("//"), None);
        assert_eq!(
            clean("/// <summary>\n/// Sends a request.\n/// </summary>").as_deref(),
            Some("Sends a request.")
        );
        assert_eq!(
            clean("/// <summary>Adds.</summary>").as_deref(),
            Some("Adds.")
        );
    }

    #[test]
    fn markdown_summary_skips_headings_and_badges() {
        let md = "# Title\n\n[![ci](x)](y)\n\nA fast tool\nfor things.\n\nSecond.";
        assert_eq!(
            markdown_summary(md).as_deref(),
            Some("A fast tool\nfor things.")
        );
    }
}
