//! Line-based definition scanners ("regex-scan-parent" method).
//! They return definitions with 1-based inclusive line ranges.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Python,
    Go,
    Rust,
    Js,
}

#[derive(Debug, Clone)]
pub struct Def {
    pub name: String,
    pub qualname: String,
    pub kind: &'static str,
    pub start: usize,
    pub end: usize,
    indent: usize,
    /// explicit container (Go receiver type)
    container: Option<String>,
    /// not nested inside a function/method body (i.e. a module/class-level symbol)
    pub addressable: bool,
    /// a Rust `mod tests`/`mod test` block (in-file unit tests)
    pub test_region: bool,
}

fn indent_of(l: &str) -> usize {
    let mut n = 0;
    for c in l.chars() {
        match c {
            ' ' => n += 1,
            '\t' => n += 4,
            _ => break,
        }
    }
    n
}

fn ident_prefix(s: &str) -> Option<String> {
    let id: String = s
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '$')
        .collect();
    if id.is_empty() || id.chars().next().unwrap().is_ascii_digit() {
        None
    } else {
        Some(id)
    }
}

pub fn scan_defs(lang: Lang, src: &str) -> Vec<Def> {
    let lines: Vec<&str> = src.lines().collect();
    let mut defs = match lang {
        Lang::Python => scan_python(&lines),
        Lang::Go | Lang::Rust | Lang::Js => scan_brace(lang, &lines),
    };
    qualify(lang, &mut defs);
    defs
}

fn qualify(lang: Lang, defs: &mut [Def]) {
    let sep = if lang == Lang::Rust { "::" } else { "." };
    let snapshot: Vec<Def> = defs.to_vec();
    for d in defs.iter_mut() {
        if let Some(c) = &d.container {
            d.qualname = format!("{c}{sep}{}", d.name);
            continue;
        }
        let mut parents: Vec<&Def> = snapshot
            .iter()
            .filter(|p| {
                (p.start < d.start || (p.start == d.start && p.indent < d.indent))
                    && p.end >= d.end
                    && !(p.start == d.start && p.end == d.end && p.name == d.name)
                    && p.indent < d.indent
            })
            .collect();
        parents.sort_by_key(|p| p.start);
        d.addressable = !parents
            .iter()
            .any(|p| matches!(p.kind, "function" | "method"));
        d.test_region =
            d.test_region || (d.kind == "mod" && (d.name == "tests" || d.name == "test"));
        let mut q: Vec<String> = parents.iter().map(|p| p.name.clone()).collect();
        q.push(d.name.clone());
        d.qualname = q.join(sep);
    }
}

// ------------------------------------------------------------------ python

fn scan_python(lines: &[&str]) -> Vec<Def> {
    let n = lines.len();
    // significance mask: code line starting outside a triple-quoted string
    let mut sig = vec![false; n];
    let mut in_str_line = vec![false; n];
    let mut in_str: Option<&'static str> = None;
    for i in 0..n {
        let l = lines[i];
        let t = l.trim_start();
        let started_in = in_str.is_some();
        in_str_line[i] = started_in;
        sig[i] = !started_in && !t.is_empty() && !t.starts_with('#');
        let b = l.as_bytes();
        let mut p = 0;
        while p < b.len() {
            match in_str {
                Some(d) => {
                    if b[p] == b'\\' {
                        p += 2;
                        continue;
                    }
                    if b[p..].starts_with(d.as_bytes()) {
                        in_str = None;
                        p += 3;
                        continue;
                    }
                    p += 1;
                }
                None => {
                    if b[p..].starts_with(b"\"\"\"") {
                        in_str = Some("\"\"\"");
                        p += 3;
                    } else if b[p..].starts_with(b"'''") {
                        in_str = Some("'''");
                        p += 3;
                    } else if b[p] == b'#' {
                        break;
                    } else if b[p] == b'"' || b[p] == b'\'' {
                        // skip a single-line string
                        let q = b[p];
                        p += 1;
                        while p < b.len() && b[p] != q {
                            if b[p] == b'\\' {
                                p += 1;
                            }
                            p += 1;
                        }
                        p += 1;
                    } else {
                        p += 1;
                    }
                }
            }
        }
    }
    let mut defs = Vec::new();
    for i in 0..n {
        if !sig[i] {
            continue;
        }
        let l = lines[i];
        let t = l.trim_start();
        let t2 = t
            .strip_prefix("async ")
            .map(|x| x.trim_start())
            .unwrap_or(t);
        let (kind, rest) = if let Some(r) = t2.strip_prefix("def ") {
            ("function", r)
        } else if let Some(r) = t2.strip_prefix("class ") {
            ("class", r)
        } else {
            if indent_of(l) == 0
                && let Some(name) = ident_prefix(t)
            {
                let after = t[name.len()..].trim_start();
                let is_assign = (after.starts_with('=') && !after.starts_with("=="))
                    || (after.starts_with(':') && after.contains('=') && !after.contains("=="));
                if is_assign
                    && !matches!(
                        name.as_str(),
                        "if" | "for"
                            | "while"
                            | "with"
                            | "try"
                            | "else"
                            | "elif"
                            | "except"
                            | "finally"
                            | "return"
                            | "import"
                            | "from"
                    )
                {
                    let mut depth: i32 = 0;
                    let mut he = i;
                    for (j, line) in lines.iter().enumerate().skip(i).take(5000) {
                        if j > i && in_str_line[j] {
                            he = j;
                            if depth <= 0 && !(j + 1 < n && in_str_line[j + 1]) {
                                break;
                            }
                            continue;
                        }
                        for ch in strip_py_strings(line).chars() {
                            match ch {
                                '(' | '[' | '{' => depth += 1,
                                ')' | ']' | '}' => depth -= 1,
                                '#' => break,
                                _ => {}
                            }
                        }
                        he = j;
                        if depth <= 0 && !(j + 1 < n && in_str_line[j + 1]) {
                            break;
                        }
                    }
                    defs.push(Def {
                        name,
                        qualname: String::new(),
                        kind: "variable",
                        start: i + 1,
                        end: he + 1,
                        indent: 0,
                        container: None,
                        addressable: true,
                        test_region: false,
                    });
                }
            }
            continue;
        };
        let Some(name) = ident_prefix(rest.trim_start()) else {
            continue;
        };
        let ind = indent_of(l);
        // header end: brackets balanced
        let mut depth: i32 = 0;
        let mut he = i;
        for (j, line) in lines.iter().enumerate().skip(i).take(60) {
            for ch in strip_py_strings(line).chars() {
                match ch {
                    '(' | '[' | '{' => depth += 1,
                    ')' | ']' | '}' => depth -= 1,
                    '#' => break,
                    _ => {}
                }
            }
            he = j;
            if depth <= 0 {
                break;
            }
        }
        let mut end = he;
        let mut j = he + 1;
        while j < n {
            if sig[j] {
                if indent_of(lines[j]) <= ind {
                    break;
                }
                end = j;
            } else if in_str_line[j] {
                end = j;
            }
            j += 1;
        }
        // decorators
        let mut start = i;
        while start > 0 {
            let p = lines[start - 1];
            if p.trim_start().starts_with('@') && indent_of(p) == ind {
                start -= 1;
            } else {
                break;
            }
        }
        defs.push(Def {
            name,
            qualname: String::new(),
            kind,
            start: start + 1,
            end: end + 1,
            indent: ind,
            container: None,
            addressable: true,
            test_region: false,
        });
    }
    defs
}

/// For each line of a Python source, whether it belongs to a docstring: a
/// triple-quoted string that is a statement of its own (nothing but
/// indentation and a string prefix before it on its first line), from its
/// first line to its last. Strings that are values (`x = """…"""`) are
/// code.
pub fn python_docstring_lines(src: &str) -> Vec<bool> {
    let lines: Vec<&str> = src.lines().collect();
    let mut out = vec![false; lines.len()];
    // The open triple-quoted string: its delimiter, its first line, and
    // whether it stands alone.
    let mut open: Option<(&[u8], usize, bool)> = None;
    for (i, line) in lines.iter().enumerate() {
        let b = line.as_bytes();
        let mut p = 0;
        while p < b.len() {
            if let Some((q, first, alone)) = open {
                if b[p] == b'\\' {
                    p += 2;
                } else if b[p..].starts_with(q) {
                    open = None;
                    p += 3;
                    if alone {
                        out[first..=i].iter_mut().for_each(|x| *x = true);
                    }
                } else {
                    p += 1;
                }
                continue;
            }
            if b[p..].starts_with(b"\"\"\"") || b[p..].starts_with(b"'''") {
                let before = line[..p].trim_start();
                let alone = before.len() <= 2 && before.chars().all(|c| "rRuUbBfF".contains(c));
                open = Some((&b[p..p + 3], i, alone));
                p += 3;
            } else if b[p] == b'#' {
                break;
            } else if b[p] == b'"' || b[p] == b'\'' {
                // A one-line string.
                let q = b[p];
                p += 1;
                while p < b.len() && b[p] != q {
                    if b[p] == b'\\' {
                        p += 1;
                    }
                    p += 1;
                }
                p += 1;
            } else {
                p += 1;
            }
        }
    }
    out
}

fn strip_py_strings(l: &str) -> String {
    let mut out = String::new();
    let mut q: Option<char> = None;
    let mut esc = false;
    for c in l.chars() {
        match q {
            Some(d) => {
                if esc {
                    esc = false;
                } else if c == '\\' {
                    esc = true;
                } else if c == d {
                    q = None;
                }
            }
            None => {
                if c == '"' || c == '\'' {
                    q = Some(c);
                } else {
                    out.push(c);
                }
            }
        }
    }
    out
}

// ------------------------------------------------------------------ brace languages

struct Header {
    name: String,
    kind: &'static str,
    container: Option<String>,
    /// byte column where the definition starts on its header line
    col: usize,
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

fn go_header(t: &str, indent: usize) -> Option<Header> {
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

fn rust_header(t: &str) -> Option<Header> {
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

fn js_header(lines: &[&str], i: usize, indent: usize) -> Option<Header> {
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

/// Scanner state for skipping strings/comments while counting brackets.
#[derive(Default)]
struct Lex {
    block_comment: bool,
    multiline: Option<char>, // '`' (JS template / Go raw string)
}

/// Visit code characters of one line (strings & comments skipped).
fn code_chars(lang: Lang, lx: &mut Lex, line: &str, mut f: impl FnMut(char)) {
    let b: Vec<char> = line.chars().collect();
    let mut p = 0;
    while p < b.len() {
        if lx.block_comment {
            if b[p] == '*' && p + 1 < b.len() && b[p + 1] == '/' {
                lx.block_comment = false;
                p += 2;
            } else {
                p += 1;
            }
            continue;
        }
        if let Some(q) = lx.multiline {
            if b[p] == '\\' && lang == Lang::Js {
                p += 2;
                continue;
            }
            if b[p] == q {
                lx.multiline = None;
            }
            p += 1;
            continue;
        }
        let c = b[p];
        if c == '/' && p + 1 < b.len() && b[p + 1] == '/' {
            return;
        }
        if c == '/' && p + 1 < b.len() && b[p + 1] == '*' {
            lx.block_comment = true;
            p += 2;
            continue;
        }
        if c == '`' && (lang == Lang::Js || lang == Lang::Go) {
            lx.multiline = Some('`');
            p += 1;
            continue;
        }
        if c == '"' || (c == '\'' && lang == Lang::Js) {
            p += 1;
            while p < b.len() && b[p] != c {
                if b[p] == '\\' {
                    p += 1;
                }
                p += 1;
            }
            p += 1;
            continue;
        }
        if c == '\'' {
            // Rust/Go char literal vs lifetime
            if p + 2 < b.len() && b[p + 2] == '\'' {
                p += 3;
                continue;
            }
            if p + 1 < b.len() && b[p + 1] == '\\' {
                p += 2;
                while p < b.len() && b[p] != '\'' {
                    p += 1;
                }
                p += 1;
                continue;
            }
            p += 1;
            continue;
        }
        f(c);
        p += 1;
    }
}

fn block_end(lang: Lang, lines: &[&str], i: usize, indent: usize, col: usize) -> usize {
    let n = lines.len();
    let mut lx = Lex::default();
    let mut paren = 0i32;
    let mut brace = 0i32;
    let mut open_line: Option<usize> = None;
    let mut j = i;
    // phase 1: find body '{' at paren depth 0, or a terminating ';'
    while j < n && j < i + 5000 {
        let mut done: Option<bool> = None; // Some(true)=body open, Some(false)=ended
        let text = if j == i { &lines[j][col..] } else { lines[j] };
        code_chars(lang, &mut lx, text, |c| {
            if done.is_some() && open_line.is_none() {
                return;
            }
            if open_line.is_some() {
                match c {
                    '{' => brace += 1,
                    '}' => brace -= 1,
                    _ => {}
                }
                return;
            }
            match c {
                '(' | '[' => paren += 1,
                ')' | ']' => paren -= 1,
                '{' if paren <= 0 => {
                    open_line = Some(j);
                    brace = 1;
                    done = Some(true);
                }
                ';' if paren <= 0 => done = Some(false),
                _ => {}
            }
        });
        if done == Some(false) && open_line.is_none() {
            return j + 1;
        }
        if open_line.is_some() {
            break;
        }
        if paren <= 0 && lx.multiline.is_none() && !lx.block_comment {
            let tt = lines[j].trim_end();
            let cont = [
                "=>", "=", "(", ",", "&&", "||", "?", ":", "+", "|", "&", "<", "->", "where",
            ]
            .iter()
            .any(|s| tt.ends_with(s));
            if lang == Lang::Go
                || (lang == Lang::Js && !cont && j > i)
                || (lang == Lang::Js
                    && !cont
                    && !tt.trim().is_empty()
                    && j == i
                    && !tt.contains('('))
            {
                return j + 1;
            }
        }
        j += 1;
    }
    let Some(k) = open_line else { return i + 1 };
    // phase 2: brace counting
    let mut end_b: Option<usize> = if brace == 0 { Some(k) } else { None };
    let mut jj = k + 1;
    while end_b.is_none() && jj < n {
        code_chars(lang, &mut lx, lines[jj], |c| match c {
            '{' => brace += 1,
            '}' => brace -= 1,
            _ => {}
        });
        if brace <= 0 {
            end_b = Some(jj);
        }
        jj += 1;
    }
    if end_b == Some(k) {
        return k + 1;
    }
    let agrees = |e: usize| indent_of(lines[e]) == indent && lines[e].trim_start().starts_with('}');
    if let Some(e) = end_b
        && agrees(e)
    {
        return e + 1;
    }
    // formatter indentation fallback
    for (e, l) in lines.iter().enumerate().skip(k + 1) {
        let t = l.trim_start();
        if !t.is_empty() && indent_of(l) == indent && t.starts_with('}') {
            return e + 1;
        }
        if !t.is_empty() && indent_of(l) < indent {
            break;
        }
    }
    end_b.map(|e| e + 1).unwrap_or(n)
}

fn scan_brace(lang: Lang, lines: &[&str]) -> Vec<Def> {
    let mut defs = Vec::new();
    let mut lx = Lex::default();
    for i in 0..lines.len() {
        // skip lines that begin inside a block comment / multi-line string
        let inside = lx.block_comment || lx.multiline.is_some();
        code_chars(lang, &mut lx, lines[i], |_| {});
        if inside {
            continue;
        }
        let l = lines[i];
        let t = l.trim();
        if t.is_empty() {
            continue;
        }
        let ind = indent_of(l);
        let h = match lang {
            Lang::Go => go_header(t, ind),
            Lang::Rust => rust_header(t),
            Lang::Js => js_header(lines, i, ind),
            Lang::Python => None,
        };
        let Some(h) = h else { continue };
        let end = block_end(lang, lines, i, ind, h.col);
        let mut start = i;
        let mut test_attr = false;
        while start > 0 {
            let p = lines[start - 1].trim_start();
            if lang == Lang::Rust
                && (p.starts_with("#[test]")
                    || p.starts_with("#[cfg(test)]")
                    || p.starts_with("#[tokio::test"))
            {
                test_attr = true;
            }
            let attr = match lang {
                Lang::Rust => p.starts_with("#["),
                Lang::Js => p.starts_with('@'),
                _ => false,
            };
            if attr && indent_of(lines[start - 1]) == ind {
                start -= 1;
            } else {
                break;
            }
        }
        defs.push(Def {
            name: h.name,
            qualname: String::new(),
            kind: h.kind,
            start: start + 1,
            end: end.max(i + 1),
            indent: ind,
            container: h.container,
            addressable: true,
            test_region: test_attr,
        });
    }
    defs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(lang: Lang, src: &str) -> Vec<(String, usize, usize)> {
        scan_defs(lang, src)
            .into_iter()
            .map(|d| (d.qualname, d.start, d.end))
            .collect()
    }

    #[test]
    fn python() {
        let src = "import x\n\nclass A:\n    @property\n    def f(\n        self,\n    ) -> int:\n        return 1\n\n    # c\n    def g(self): pass\n\ndef h():\n    s = '''\nx\n'''\n    return s\n";
        assert_eq!(
            names(Lang::Python, src),
            vec![
                ("A".into(), 3, 11),
                ("A.f".into(), 4, 8),
                ("A.g".into(), 11, 11),
                ("h".into(), 13, 17)
            ]
        );
    }

    #[test]
    fn python_docstrings() {
        let src = r#"def f():
    """Doc.

    *example()
    """
    x = """
value
"""
    return '"""'  # """
    r'''one'''
    y = 1
"#;
        let doc: Vec<usize> = python_docstring_lines(src)
            .iter()
            .enumerate()
            .filter(|(_, d)| **d)
            .map(|(i, _)| i + 1)
            .collect();
        assert_eq!(doc, [2, 3, 4, 5, 10]);
    }

    #[test]
    fn go() {
        let src = "package x\n\nfunc (c *Ctx[T]) Get(k string) string {\n\ts := \"}\"\n\treturn s\n}\n\nfunc f() { return }\n\ntype T struct {\n\ta int\n}\n\ntype U int\n";
        assert_eq!(
            names(Lang::Go, src),
            vec![
                ("Ctx.Get".into(), 3, 6),
                ("f".into(), 8, 8),
                ("T".into(), 10, 12),
                ("U".into(), 14, 14)
            ]
        );
    }

    #[test]
    fn rust() {
        let src = "impl<'a, T: X> Foo for Bar<'a, T>\nwhere\n    T: Y,\n{\n    #[inline]\n    pub(crate) fn go(&self) -> char {\n        let c = '{';\n        format!(\"{}\", c)\n    }\n\n    fn decl(&self);\n}\n";
        assert_eq!(
            names(Lang::Rust, src),
            vec![
                ("Bar".into(), 1, 12),
                ("Bar::go".into(), 5, 9),
                ("Bar::decl".into(), 11, 11)
            ]
        );
    }

    #[test]
    fn extras() {
        let py = "X = 1\nT = '''\na\n'''\nY = {\n  1: 2,\n}\nif x == 1:\n    pass\n";
        assert_eq!(
            names(Lang::Python, py),
            vec![("X".into(), 1, 1), ("T".into(), 2, 4), ("Y".into(), 5, 7)]
        );
        let js = "export default ok && function httpAdapter(config) {\n  return new Promise(function dispatch(resolve) {\n    x();\n  });\n}\n";
        assert_eq!(
            names(Lang::Js, js),
            vec![
                ("httpAdapter".into(), 1, 5),
                ("httpAdapter.dispatch".into(), 2, 4)
            ]
        );
        let rs = "pub(crate) const DEFAULT: &[&str] = &[\n    \"a\",\n];\nstatic mut N: u8 = 0;\n";
        assert_eq!(
            names(Lang::Rust, rs),
            vec![("DEFAULT".into(), 1, 3), ("N".into(), 4, 4)]
        );
    }

    #[test]
    fn js() {
        let src = "export class Axios {\n  constructor(cfg) {\n    this.c = cfg;\n  }\n\n  async request(url, config) {\n    if (x) {\n      y();\n    }\n  }\n}\n\nexport const ZodString = core.$constructor(\"ZodString\", (inst, def) => {\n  inst.x = 1;\n});\n\nconst utils = {\n  isA: function (v) {\n    return v;\n  },\n  merge(a, b) {\n    return a;\n  },\n};\nfunction plain() {}\n";
        assert_eq!(
            names(Lang::Js, src),
            vec![
                ("Axios".into(), 1, 11),
                ("Axios.constructor".into(), 2, 4),
                ("Axios.request".into(), 6, 10),
                ("ZodString".into(), 13, 15),
                ("utils".into(), 17, 24),
                ("utils.isA".into(), 18, 20),
                ("utils.merge".into(), 21, 23),
                ("plain".into(), 25, 25)
            ]
        );
    }
}
