//! The Python scanner: indentation blocks, docstrings skipped.

use super::{Def, ident_prefix, indent_of};

pub(super) fn scan_python(lines: &[&str]) -> Vec<Def> {
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
