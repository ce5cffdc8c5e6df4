//! Definition headers of the brace languages (Go, Rust, JS/TS), one line
//! or a few at a time.

use super::ident_prefix;

pub(super) struct Header {
    pub(super) name: String,
    pub(super) kind: &'static str,
    pub(super) container: Option<String>,
    /// byte column where the definition starts on its header line
    pub(super) col: usize,
}

fn strip_words<'a>(mut t: &'a str, words: &[&str]) -> &'a str {
    loop {
        let mut changed = false;
        for w in words {
            if let Some(r) = t.strip_prefix(w)
                && (r.starts_with(' ') || r.starts_with('\t'))
            {
                t = r.trim_start();
                changed = true;
            }
        }
        if !changed {
            return t;
        }
    }
}

pub(super) fn go_header(t: &str, indent: usize) -> Option<Header> {
    if indent != 0 {
        return None;
    }
    if let Some(r) = t.strip_prefix("func ") {
        let r = r.trim_start();
        let (container, r) = if r.starts_with('(') {
            let close = r.find(')')?;
            let recv = &r[1..close];
            let ty = recv.split_whitespace().last()?;
            let ty = ty.trim_start_matches('*');
            let ty = ty.split('[').next().unwrap_or(ty);
            (Some(ty.to_string()), r[close + 1..].trim_start())
        } else {
            (None, r)
        };
        let name = ident_prefix(r)?;
        return Some(Header {
            name,
            kind: if container.is_some() {
                "method"
            } else {
                "function"
            },
            container,
            col: 0,
        });
    }
    for (kw, kind) in [("var ", "var"), ("const ", "const")] {
        if let Some(r) = t.strip_prefix(kw) {
            let name = ident_prefix(r.trim_start())?;
            return Some(Header {
                name,
                kind,
                container: None,
                col: 0,
            });
        }
    }
    if let Some(r) = t.strip_prefix("type ") {
        let name = ident_prefix(r.trim_start())?;
        let kind = if t.contains(" struct") {
            "struct"
        } else if t.contains(" interface") {
            "interface"
        } else {
            "type"
        };
        return Some(Header {
            name,
            kind,
            container: None,
            col: 0,
        });
    }
    None
}

pub(super) fn rust_header(t: &str) -> Option<Header> {
    let mut t = t;
    // visibility
    if t.starts_with("pub(") {
        let close = t.find(')')?;
        t = t[close + 1..].trim_start();
    }
    let t = strip_words(
        t,
        &[
            "pub",
            "default",
            "async",
            "unsafe",
            "extern \"C\"",
            "extern \"Rust\"",
            "extern",
        ],
    );
    let t = if let Some(r) = t.strip_prefix("const ") {
        let r2 = strip_words(r.trim_start(), &["async", "unsafe", "extern \"C\""]);
        if r2.starts_with("fn ") {
            r2
        } else {
            let name = ident_prefix(r2)?;
            if r2[name.len()..].trim_start().starts_with(':') {
                return Some(Header {
                    name,
                    kind: "const",
                    container: None,
                    col: 0,
                });
            }
            return None;
        }
    } else {
        t
    };
    let t = strip_words(t, &["async", "unsafe", "extern \"C\""]);
    if let Some(r) = t.strip_prefix("static ") {
        let r = strip_words(r.trim_start(), &["mut"]);
        let name = ident_prefix(r)?;
        return Some(Header {
            name,
            kind: "static",
            container: None,
            col: 0,
        });
    }
    for (kw, kind) in [
        ("fn ", "function"),
        ("struct ", "struct"),
        ("enum ", "enum"),
        ("union ", "union"),
        ("trait ", "trait"),
        ("mod ", "mod"),
        ("macro_rules! ", "macro"),
    ] {
        if let Some(r) = t.strip_prefix(kw) {
            let name = ident_prefix(r.trim_start())?;
            if kind == "mod" && !t.contains('{') {
                return None;
            }
            return Some(Header {
                name,
                kind,
                container: None,
                col: 0,
            });
        }
    }
    if t.starts_with("impl<") || t.starts_with("impl ") {
        let mut r = &t[4..];
        if r.starts_with('<') {
            let mut d = 0;
            let mut cut = r.len();
            for (i, c) in r.char_indices() {
                match c {
                    '<' => d += 1,
                    '>' => {
                        d -= 1;
                        if d == 0 {
                            cut = i + 1;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            r = &r[cut..];
        }
        let r = r.split('{').next().unwrap_or(r);
        let r = r.split(" where").next().unwrap_or(r).trim();
        let target = match r.rfind(" for ") {
            Some(p) => &r[p + 5..],
            None => r,
        };
        let target = target.trim().trim_start_matches('&');
        let target = strip_words(target, &["dyn", "mut", "impl"]);
        let target = target.split('<').next().unwrap_or(target);
        let target = target.rsplit("::").next().unwrap_or(target).trim();
        let name = ident_prefix(target)?;
        return Some(Header {
            name,
            kind: "impl",
            container: None,
            col: 0,
        });
    }
    None
}

const JS_KEYWORDS: &[&str] = &[
    "if",
    "for",
    "while",
    "switch",
    "catch",
    "return",
    "function",
    "new",
    "typeof",
    "await",
    "else",
    "do",
    "try",
    "with",
    "super",
    "this",
    "import",
    "export",
    "yield",
    "throw",
    "delete",
    "void",
    "case",
    "in",
    "of",
    "instanceof",
    "let",
    "const",
    "var",
    "finally",
    "require",
    "console",
    "expect",
    "describe",
    "it",
    "test",
];

pub(super) fn js_header(lines: &[&str], i: usize, indent: usize) -> Option<Header> {
    let t = lines[i].trim();
    if t.starts_with("//") || t.starts_with('*') || t.starts_with("/*") {
        return None;
    }
    let t = strip_words(t, &["export", "default", "declare", "abstract", "async"]);
    if let Some(r) = t.strip_prefix("function") {
        let r = r.trim_start_matches('*').trim_start();
        let name = ident_prefix(r)?;
        return Some(Header {
            name,
            kind: "function",
            container: None,
            col: 0,
        });
    }
    for (kw, kind) in [
        ("class ", "class"),
        ("interface ", "interface"),
        ("enum ", "enum"),
        ("namespace ", "namespace"),
        ("const enum ", "enum"),
    ] {
        if let Some(r) = t.strip_prefix(kw) {
            let name = ident_prefix(r.trim_start())?;
            return Some(Header {
                name,
                kind,
                container: None,
                col: 0,
            });
        }
    }
    if let Some(r) = t.strip_prefix("type ") {
        let name = ident_prefix(r.trim_start())?;
        if t.trim_end().ends_with('{') {
            return Some(Header {
                name,
                kind: "type",
                container: None,
                col: 0,
            });
        }
        return None;
    }
    // header text over a few lines for arrow detection
    let joined: String = lines[i..(i + 4).min(lines.len())].join("\n");
    let mut is_decl = false;
    for kw in ["const ", "let ", "var "] {
        if let Some(r) = t.strip_prefix(kw) {
            is_decl = true;
            if let Some(h) = js_var_header(r, &joined, indent) {
                return Some(h);
            }
        }
    }
    // named function expression anywhere on the line: `... function name(`,
    // or an anonymous `export default <expr> && function/arrow`
    let raw = lines[i];
    let mut from = 0;
    while let Some(p) = raw[from..].find("function") {
        let s = from + p;
        from = s + 8;
        let before_ok = raw[..s]
            .chars()
            .next_back()
            .map(|c| !(c.is_alphanumeric() || c == '_' || c == '$'))
            .unwrap_or(true);
        let r = raw[s + 8..].trim_start_matches('*').trim_start();
        if before_ok
            && raw[s + 8..].starts_with([' ', '*'])
            && let Some(name) = ident_prefix(r)
            && r[name.len()..].trim_start().starts_with('(')
        {
            return Some(Header {
                name,
                kind: "function",
                container: None,
                col: s,
            });
        }
    }
    if indent == 0
        && raw.starts_with("export default ")
        && (raw.contains("=>") || raw.contains("function"))
    {
        return Some(Header {
            name: "default".into(),
            kind: "function",
            container: None,
            col: 0,
        });
    }
    if indent == 0 || is_decl {
        return None;
    }
    // methods / object-literal functions / class property arrows
    let t = strip_words(
        t,
        &[
            "static",
            "public",
            "private",
            "protected",
            "readonly",
            "override",
            "async",
            "get",
            "set",
            "accessor",
        ],
    );
    let t = t.trim_start_matches('*').trim_start();
    let t = t.strip_prefix('#').unwrap_or(t);
    let name = ident_prefix(t)?;
    if JS_KEYWORDS.contains(&name.as_str()) {
        return None;
    }
    let mut rest = t[name.len()..].trim_start();
    rest = rest.strip_prefix('?').unwrap_or(rest).trim_start();
    if rest.starts_with(':') || (rest.starts_with('=') && !rest.starts_with("==")) {
        let rhs = rest[1..].trim_start();
        if rhs.starts_with("function") || rhs.starts_with("async function") {
            return Some(Header {
                name,
                kind: "method",
                container: None,
                col: 0,
            });
        }
        let first_stmt = joined.split(';').next().unwrap_or("");
        let first_line = lines[i];
        if (rhs.starts_with('(') || rhs.starts_with("async") || ident_prefix(rhs).is_some())
            && first_stmt.contains("=>")
            && first_line.trim_end().ends_with('{')
        {
            return Some(Header {
                name,
                kind: "method",
                container: None,
                col: 0,
            });
        }
        return None;
    }
    if rest.starts_with('<') || rest.starts_with('(') {
        // find the matching ')' over a few lines, then expect `{` or `: Type {`
        let text: String = lines[i..(i + 15).min(lines.len())].join("\n");
        let start = text.find(&name)? + name.len();
        let mut d = 0i32;
        let mut close = None;
        let mut seen_open = false;
        for (k, c) in text[start..].char_indices() {
            match c {
                '(' => {
                    d += 1;
                    seen_open = true;
                }
                ')' => {
                    d -= 1;
                    if seen_open && d == 0 {
                        close = Some(start + k + 1);
                        break;
                    }
                }
                _ => {}
            }
        }
        let after = text[close?..].trim_start();
        if after.starts_with('{') {
            return Some(Header {
                name,
                kind: "method",
                container: None,
                col: 0,
            });
        }
        if after.starts_with(':') {
            let first = after.lines().next().unwrap_or("");
            if first.trim_end().ends_with('{') && !first.contains("=>") {
                return Some(Header {
                    name,
                    kind: "method",
                    container: None,
                    col: 0,
                });
            }
        }
    }
    None
}

fn js_var_header(r: &str, joined: &str, indent: usize) -> Option<Header> {
    let name = ident_prefix(r.trim_start())?;
    let after = &r.trim_start()[name.len()..];
    let eq = after.find('=')?;
    if after[eq..].starts_with("==") {
        return None;
    }
    let rhs = after[eq + 1..].trim_start();
    let first_stmt = joined.split(';').next().unwrap_or("");
    if rhs.starts_with("function") || rhs.starts_with("async") || rhs.starts_with("class") {
        let kind = if rhs.starts_with("class") {
            "class"
        } else {
            "function"
        };
        return Some(Header {
            name,
            kind,
            container: None,
            col: 0,
        });
    }
    if first_stmt.contains("=>") && !rhs.starts_with('{') && !rhs.starts_with('[') {
        return Some(Header {
            name,
            kind: "function",
            container: None,
            col: 0,
        });
    }
    if indent == 0 && (rhs.starts_with('{') || rhs.starts_with('[')) {
        return Some(Header {
            name,
            kind: "variable",
            container: None,
            col: 0,
        });
    }
    None
}
