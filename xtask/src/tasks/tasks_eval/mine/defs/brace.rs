//! The brace-language scanner: a header, then its block found by counting
//! brackets outside strings and comments.

use super::headers::{go_header, js_header, rust_header};
use super::{Def, Lang, indent_of};

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

pub(super) fn scan_brace(lang: Lang, lines: &[&str]) -> Vec<Def> {
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
