//! Line-based definition scanners ("regex-scan-parent" method).
//! They return definitions with 1-based inclusive line ranges.

mod brace;
mod headers;
mod python;

use brace::scan_brace;
pub use python::python_docstring_lines;
use python::scan_python;

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
