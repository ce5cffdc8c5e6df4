//! The oracle's call edges, derived from a SCIP index and the source text.
//!
//! A call is a non-definition occurrence of an in-repository function,
//! method or class symbol whose token is immediately followed by `(` in
//! the source (TypeScript also `?.(` and `<...>(`), inside another
//! in-repository definition. Rules:
//!
//! - In-repository: the index has a definition occurrence of the symbol.
//!   Local symbols (`local N`) are never callees nor callers.
//! - Callable: a method/function descriptor (`name().`), a type (`name#`:
//!   `Foo(...)` / `new Foo(...)` is a call of the class, codegraph's
//!   convention; scip-typescript's `Foo#<constructor>().` is mapped back to
//!   `Foo#`), or a term whose definition has an enclosing range
//!   (scip-typescript gives one to `const f = () => ...`, nothing else).
//! - The caller is the innermost in-repository callable or type whose
//!   scope holds the call. A scope runs from the line of its definition
//!   occurrence (so a decorator belongs to the enclosing scope, as it runs
//!   there) to the end of its `enclosing_range`; a definition without an
//!   enclosing range has only its name token as scope (counted in
//!   [`Stats::defs_without_range`]). Calls outside every scope (module
//!   level) are counted and dropped.
//! - A symbol with several definition occurrences (`@overload` stubs,
//!   a property and its setter, TypeScript overload signatures) is one
//!   definition; every occurrence is kept so that the other side can be
//!   matched to any of them. A `def name(` / `function name(` token that
//!   an indexer reports as a reference is not a call.
//! - A call of a module-level alias (`ib = attr = attrib`: a term defined
//!   on a line of names and `=` only) is a call of what its last name
//!   references there ([`Stats::aliased`]), as codegraph follows it.
//! - scip-python 0.6.6 names every function reached through a star
//!   re-export (`from ._api import *` in `__init__.py`, then `httpx.post(`)
//!   by one symbol of that module (`_api/get().`). When the token differs
//!   from the symbol's name and the same module defines the token's name
//!   (with the same kind, else as a function or a class: a class can be
//!   named by a function's symbol), that sibling is taken ([`Stats::repaired`]); so is
//!   the one definition of that name and kind at the top of another module
//!   of the same package (`from ._transports import *`, whose `__init__`
//!   star-imports `.asgi` and `.mock`, names `httpx.MockTransport(` by
//!   `_transports.asgi/ASGITransport#`); a different name with no such
//!   definition is an alias and is kept.

use super::scip::{self, Encoding, Index, ROLE_DEFINITION, Range};
use std::collections::{BTreeMap, HashMap, HashSet};

/// A call site: 1-based line, byte column of the callee token.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Site {
    pub path: String,
    pub line: u32,
    pub col: usize,
    pub token: String,
}

/// Counts that say how much the oracle trusted or dropped.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Stats {
    pub documents: usize,
    /// Non-definition occurrences followed by `(`.
    pub call_tokens: usize,
    /// ... of in-repository callables.
    pub calls_in_repo: usize,
    /// ... of which outside every in-repository scope.
    pub module_level: usize,
    /// Definition-like tokens (`def f(`) reported as references.
    pub def_like: usize,
    /// Tokens whose symbol was replaced by its same-named sibling.
    pub repaired: usize,
    /// Tokens whose symbol has another name and no such sibling (aliases).
    pub renamed: usize,
    /// Callable definitions with no enclosing range.
    pub defs_without_range: usize,
    /// Calls through a module-level alias (`ib = attrib`), taken as calls of
    /// what it names.
    pub aliased: usize,
}

/// What the oracle knows.
#[derive(Debug, Default)]
pub struct Oracle {
    /// In-repository symbol → its definition occurrences `(path, 1-based
    /// line)`, first in document and source order.
    pub defs: HashMap<String, Vec<(String, u32)>>,
    /// Symbols whose definitions are scopes (callers).
    pub scopes: HashSet<String>,
    /// `(caller, callee)` → call sites.
    pub edges: BTreeMap<(String, String), Vec<Site>>,
    /// `(path, line)` → every call token there as `(token, symbol)`,
    /// in-repository or not (for explaining disagreements).
    pub tokens: HashMap<(String, u32), Vec<(String, String)>>,
    pub stats: Stats,
}

impl Oracle {
    /// The canonical definition of `symbol`: its first occurrence.
    pub fn def(&self, symbol: &str) -> Option<&(String, u32)> {
        self.defs.get(symbol).and_then(|d| d.first())
    }
}

/// Which follow-up counts as a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Python,
    TypeScript,
}

/// Derives the oracle from `index`; `text` gives a document's source.
pub fn derive(index: &Index, lang: Lang, text: &dyn Fn(&str) -> Option<String>) -> Oracle {
    let mut oracle = Oracle::default();
    // Pass 1: definitions and scopes.
    let mut ranged: HashMap<String, bool> = HashMap::new();
    let mut scopes: HashMap<&str, Vec<(Range, String)>> = HashMap::new();
    for doc in &index.documents {
        for occ in &doc.occurrences {
            if occ.symbol_roles & ROLE_DEFINITION == 0 || scip::is_local(&occ.symbol) {
                continue;
            }
            let Some(r) = Range::from_scip(&occ.range) else {
                continue;
            };
            oracle
                .defs
                .entry(occ.symbol.clone())
                .or_default()
                .push((doc.relative_path.clone(), r.start_line + 1));
            let enclosing = Range::from_scip(&occ.enclosing_range);
            let has = ranged.entry(occ.symbol.clone()).or_insert(false);
            *has |= enclosing.is_some();
            let term_fn = scip::is_term(&occ.symbol) && enclosing.is_some();
            if !(scip::is_method(&occ.symbol) || scip::is_type(&occ.symbol) || term_fn) {
                continue;
            }
            let scope = match enclosing {
                // From the start of the definition's line: decorators
                // before it run in the enclosing scope.
                Some(e) => Range {
                    start_line: r.start_line.max(e.start_line),
                    start_char: if r.start_line > e.start_line {
                        0
                    } else {
                        e.start_char
                    },
                    ..e
                },
                None => r,
            };
            oracle.scopes.insert(occ.symbol.clone());
            scopes
                .entry(doc.relative_path.as_str())
                .or_default()
                .push((scope, occ.symbol.clone()));
        }
    }
    for (symbol, has) in &ranged {
        if !has && (scip::is_method(symbol) || scip::is_type(symbol)) {
            oracle.stats.defs_without_range += 1;
        }
    }
    for defs in oracle.defs.values_mut() {
        defs.sort();
        defs.dedup();
    }
    let callable = |s: &str| {
        scip::is_method(s)
            || scip::is_type(s)
            || (scip::is_term(s) && ranged.get(s).copied().unwrap_or(false))
    };

    // Aliases: `ib = attr = attrib` at module level makes a call of `ib`
    // a call of what `attrib` names (codegraph follows them too).
    let aliases = alias_targets(index, text, &oracle, &callable);

    // Pass 2: calls.
    for doc in &index.documents {
        oracle.stats.documents += 1;
        let Some(source) = text(&doc.relative_path) else {
            continue;
        };
        let lines: Vec<&str> = source.lines().collect();
        let encoding = Encoding::of(doc);
        let doc_scopes = scopes
            .get(doc.relative_path.as_str())
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        for occ in &doc.occurrences {
            if occ.symbol_roles & ROLE_DEFINITION != 0 || occ.symbol.is_empty() {
                continue;
            }
            let Some(r) = Range::from_scip(&occ.range) else {
                continue;
            };
            if r.start_line != r.end_line {
                continue;
            }
            let Some(line) = lines.get(r.start_line as usize) else {
                continue;
            };
            let start = encoding.byte_offset(line, r.start_char);
            let end = encoding.byte_offset(line, r.end_char);
            if start >= end || !followed_by_call(lang, &line[end..]) {
                continue;
            }
            let token = line[start..end].to_owned();
            if def_like(&line[..start]) {
                oracle.stats.def_like += 1;
                continue;
            }
            // Every call token, a local one too (to explain disagreements);
            // a local is never a callee.
            oracle
                .tokens
                .entry((doc.relative_path.clone(), r.start_line + 1))
                .or_default()
                .push((token.clone(), occ.symbol.clone()));
            if scip::is_local(&occ.symbol) {
                continue;
            }
            oracle.stats.call_tokens += 1;
            let mut callee = scip::constructor_class(&occ.symbol)
                .unwrap_or(&occ.symbol)
                .to_owned();
            let aliased = aliases.get(&callee);
            if let Some(target) = aliased {
                oracle.stats.aliased += 1;
                callee = target.clone();
            }
            if !oracle.defs.contains_key(&callee) || !callable(&callee) {
                continue;
            }
            if aliased.is_none() && scip::last_name(&callee) != token {
                let siblings = scip::siblings(&callee, &token);
                let repaired = siblings
                    .iter()
                    .find(|s| oracle.defs.contains_key(*s))
                    .cloned()
                    .or_else(|| {
                        siblings.iter().find_map(|s| {
                            scip::package_sibling(s, &token, oracle.defs.keys().map(String::as_str))
                                .map(str::to_owned)
                        })
                    });
                if let Some(found) = repaired {
                    oracle.stats.repaired += 1;
                    callee = found;
                } else {
                    oracle.stats.renamed += 1;
                }
            }
            oracle.stats.calls_in_repo += 1;
            let caller = doc_scopes
                .iter()
                .filter(|(scope, _)| scope.contains(&r))
                .max_by_key(|(scope, _)| {
                    (
                        scope.start_line,
                        scope.start_char,
                        std::cmp::Reverse((scope.end_line, scope.end_char)),
                    )
                });
            let Some((_, caller)) = caller else {
                oracle.stats.module_level += 1;
                continue;
            };
            oracle
                .edges
                .entry((caller.clone(), callee))
                .or_default()
                .push(Site {
                    path: doc.relative_path.clone(),
                    line: r.start_line + 1,
                    col: start,
                    token,
                });
        }
    }
    oracle
}

/// Whether the text after a token makes it a callee: `(` at once;
/// TypeScript also `?.(` and type arguments `<...>(` on the same line.
pub fn followed_by_call(lang: Lang, rest: &str) -> bool {
    if rest.starts_with('(') {
        return true;
    }
    if lang != Lang::TypeScript {
        return false;
    }
    if rest.starts_with("?.(") {
        return true;
    }
    if rest.starts_with('<') {
        let mut depth = 0usize;
        for (i, c) in rest.char_indices() {
            match c {
                '<' => depth += 1,
                '>' => {
                    depth -= 1;
                    if depth == 0 {
                        let after = &rest[i + 1..];
                        return after.starts_with('(') || after.starts_with("?.(");
                    }
                }
                '(' | ')' | ';' | '{' | '}' => return false,
                _ => {}
            }
        }
    }
    false
}

/// Whether the text before a token declares it (`def `, `async def `,
/// `function `, `class `).
fn def_like(before: &str) -> bool {
    let t = before.trim_end();
    if t.len() == before.len() {
        return false;
    }
    let word = t.rsplit(|c: char| !c.is_alphanumeric() && c != '_').next();
    matches!(word, Some("def" | "function" | "class")) || t.ends_with("function*")
}

/// Module-level aliases: a term defined on a line `a = b = name` (names
/// and `=` only) whose `name` is a reference to a callable there → that
/// callable's symbol.
fn alias_targets(
    index: &Index,
    text: &dyn Fn(&str) -> Option<String>,
    oracle: &Oracle,
    callable: &dyn Fn(&str) -> bool,
) -> HashMap<String, String> {
    // (path, 0-based line) -> terms defined there.
    let mut wanted: HashMap<(&str, u32), Vec<&str>> = HashMap::new();
    for (symbol, defs) in &oracle.defs {
        if scip::is_term(symbol) && !callable(symbol) {
            for (path, line) in defs {
                wanted
                    .entry((path.as_str(), line - 1))
                    .or_default()
                    .push(symbol);
            }
        }
    }
    let mut out = HashMap::new();
    for doc in &index.documents {
        let path = doc.relative_path.as_str();
        if !wanted.keys().any(|(p, _)| *p == path) {
            continue;
        }
        let Some(source) = text(path) else {
            continue;
        };
        let lines: Vec<&str> = source.lines().collect();
        let encoding = Encoding::of(doc);
        for occ in &doc.occurrences {
            if occ.symbol_roles & ROLE_DEFINITION != 0 || !callable(&occ.symbol) {
                continue;
            }
            let Some(r) = Range::from_scip(&occ.range) else {
                continue;
            };
            let Some(terms) = wanted.get(&(path, r.start_line)) else {
                continue;
            };
            let Some(line) = lines.get(r.start_line as usize) else {
                continue;
            };
            let Some(value) = alias_value(line) else {
                continue;
            };
            let start = encoding.byte_offset(line, r.start_char);
            let end = encoding.byte_offset(line, r.end_char);
            if line.get(start..end) == Some(value) {
                for t in terms {
                    out.insert((*t).to_owned(), occ.symbol.clone());
                }
            }
        }
    }
    out
}

/// The last name of `a = b = name` (only names and `=`; no annotation, no
/// call, no indentation: module level).
fn alias_value(line: &str) -> Option<&str> {
    if line.starts_with(char::is_whitespace) {
        return None;
    }
    let parts: Vec<&str> = line.trim_end().split('=').map(str::trim).collect();
    let ident = |p: &str| !p.is_empty() && p.chars().all(|c| c.is_alphanumeric() || c == '_');
    (parts.len() >= 2 && parts.iter().all(|p| ident(p))).then(|| *parts.last().unwrap())
}

#[cfg(test)]
mod tests {
    #[test]
    fn alias_lines() {
        assert_eq!(super::alias_value("ib = attr = attrib"), Some("attrib"));
        assert_eq!(super::alias_value("s = attrs"), Some("attrs"));
        assert_eq!(super::alias_value("    x = y"), None);
        assert_eq!(super::alias_value("x = f()"), None);
        assert_eq!(super::alias_value("x: int = y"), None);
        assert_eq!(super::alias_value("x == y"), None);
    }

    use super::*;
    use crate::tasks::oracle::scip::proto::{Document, Occurrence};

    const P: &str = "scip-python python demo 1.0 ";

    fn occ(range: &[i32], symbol: &str, roles: i32, enclosing: &[i32]) -> Occurrence {
        Occurrence {
            range: range.to_vec(),
            symbol: symbol.to_owned(),
            symbol_roles: roles,
            enclosing_range: enclosing.to_vec(),
        }
    }

    fn doc(path: &str, occurrences: Vec<Occurrence>) -> Document {
        Document {
            relative_path: path.to_owned(),
            occurrences,
            ..Document::default()
        }
    }

    /// A two-file project, as scip-python would index it.
    fn project() -> (Index, HashMap<String, String>) {
        let lib = "\
from typing import overload

@overload
def f(x: int) -> int: ...
@overload
def f(x: str) -> str: ...
def f(x):
    return helper(x)

def helper(x):
    return len(x)

class Box:
    def __init__(self, v):
        self.v = v

    @decorate(1)
    def get(self):
        return helper(self.v)
";
        let main = "\
from lib import f, Box, helper as h, post
x = f(1)

def run():
    b = Box(2)
    h(3)
    b.get
    return f(b.get())
";
        let f = format!("{P}`lib`/f().");
        let helper = format!("{P}`lib`/helper().");
        let get_fn = format!("{P}`lib`/get().");
        let boxc = format!("{P}`lib`/Box#");
        let init = format!("{P}`lib`/Box#__init__().");
        let get = format!("{P}`lib`/Box#get().");
        let decorate = format!("{P}`lib`/decorate().");
        let run = format!("{P}`main`/run().");
        let lib_doc = doc(
            "lib.py",
            vec![
                occ(&[3, 4, 5], &f, 1, &[2, 0, 3, 25]),
                // The second overload's name reported as a reference.
                occ(&[5, 4, 5], &f, 8, &[]),
                occ(&[6, 4, 5], &f, 1, &[6, 0, 7, 20]),
                occ(&[7, 11, 17], &helper, 8, &[]),
                occ(&[9, 4, 10], &helper, 1, &[9, 0, 10, 17]),
                // `len` is not in the repository.
                occ(
                    &[10, 11, 14],
                    "scip-python python python-stdlib 3.11 builtins/len().",
                    8,
                    &[],
                ),
                occ(&[12, 6, 9], &boxc, 1, &[12, 0, 18, 29]),
                occ(&[13, 8, 16], &init, 1, &[13, 4, 14, 18]),
                occ(&[16, 5, 13], &decorate, 8, &[]),
                occ(&[17, 8, 11], &get, 1, &[16, 4, 18, 29]),
                occ(&[18, 15, 21], &helper, 8, &[]),
                // A definition elsewhere, so that `decorate` is in the
                // repository and `get()` has a sibling for the repair.
                occ(&[20, 4, 12], &decorate, 1, &[20, 0, 21, 1]),
                occ(&[22, 4, 7], &get_fn, 1, &[22, 0, 23, 1]),
            ],
        );
        let main_doc = doc(
            "main.py",
            vec![
                occ(&[1, 4, 5], &f, 8, &[]),
                occ(&[3, 4, 7], &run, 1, &[3, 0, 7, 21]),
                occ(&[4, 8, 11], &boxc, 8, &[]),
                // `h` is an alias of helper: kept as helper.
                occ(&[5, 4, 5], &helper, 8, &[]),
                // A property-like access: no `(`.
                occ(&[6, 6, 9], &get, 8, &[]),
                occ(&[7, 11, 12], &f, 8, &[]),
                occ(&[7, 15, 18], &get, 8, &[]),
            ],
        );
        let mut texts = HashMap::new();
        let mut lib = lib.to_owned();
        lib.push_str("\ndef decorate(n):\n    pass\ndef get():\n    pass\n");
        texts.insert("lib.py".to_owned(), lib);
        texts.insert("main.py".to_owned(), main.to_owned());
        let index = Index {
            metadata: None,
            documents: vec![lib_doc, main_doc],
        };
        (index, texts)
    }

    fn derived() -> Oracle {
        let (index, texts) = project();
        derive(&index, Lang::Python, &|p| texts.get(p).cloned())
    }

    fn edges(o: &Oracle) -> Vec<(String, String, Vec<u32>)> {
        o.edges
            .iter()
            .map(|((a, b), sites)| {
                let short = |s: &str| s.trim_start_matches(P).to_owned();
                (short(a), short(b), sites.iter().map(|s| s.line).collect())
            })
            .collect()
    }

    #[test]
    fn calls_callers_and_constructors() {
        let o = derived();
        assert_eq!(
            edges(&o),
            vec![
                ("`lib`/Box#".into(), "`lib`/decorate().".into(), vec![17]),
                (
                    "`lib`/Box#get().".into(),
                    "`lib`/helper().".into(),
                    vec![19]
                ),
                ("`lib`/f().".into(), "`lib`/helper().".into(), vec![8]),
                ("`main`/run().".into(), "`lib`/Box#".into(), vec![5]),
                ("`main`/run().".into(), "`lib`/Box#get().".into(), vec![8]),
                ("`main`/run().".into(), "`lib`/f().".into(), vec![8]),
                ("`main`/run().".into(), "`lib`/helper().".into(), vec![6]),
            ]
        );
        // `x = f(1)` at module level; `len` is external.
        assert_eq!(o.stats.module_level, 1);
        assert_eq!(o.stats.def_like, 1);
        assert_eq!(o.stats.renamed, 1);
        assert_eq!(o.stats.repaired, 0);
        assert_eq!(o.stats.defs_without_range, 0);
        assert!(
            o.tokens[&("lib.py".to_owned(), 11)][0]
                .1
                .contains("builtins/len().")
        );
    }

    #[test]
    fn overloads_are_one_definition() {
        let o = derived();
        let f = format!("{P}`lib`/f().");
        assert_eq!(
            o.defs[&f],
            vec![("lib.py".to_owned(), 4), ("lib.py".to_owned(), 7)]
        );
        assert_eq!(o.def(&f), Some(&("lib.py".to_owned(), 4)));
    }

    #[test]
    fn star_reexport_symbols_are_repaired() {
        let (mut index, mut texts) = project();
        // `post` reached through a star re-export, named `get()` of the
        // same module by the indexer.
        texts
            .get_mut("main.py")
            .unwrap()
            .push_str("\ndef go():\n    post(1)\n");
        let post = format!("{P}`lib`/post().");
        texts
            .get_mut("lib.py")
            .unwrap()
            .push_str("def post(x):\n    pass\n");
        index.documents[0]
            .occurrences
            .push(occ(&[24, 4, 8], &post, 1, &[24, 0, 25, 8]));
        let go = format!("{P}`main`/go().");
        index.documents[1]
            .occurrences
            .push(occ(&[9, 4, 6], &go, 1, &[9, 0, 10, 11]));
        index.documents[1]
            .occurrences
            .push(occ(&[10, 4, 8], &format!("{P}`lib`/get()."), 8, &[]));
        let o = derive(&index, Lang::Python, &|p| texts.get(p).cloned());
        assert_eq!(o.stats.repaired, 1);
        assert!(o.edges.contains_key(&(go, post)));
    }

    #[test]
    fn typescript_follow_ups_and_constructors() {
        assert!(followed_by_call(Lang::TypeScript, "(x)"));
        assert!(followed_by_call(Lang::TypeScript, "?.(x)"));
        assert!(followed_by_call(Lang::TypeScript, "<A, B<C>>(x)"));
        assert!(!followed_by_call(Lang::TypeScript, " < b) (c)"));
        assert!(!followed_by_call(Lang::Python, "<A>(x)"));
        assert!(!followed_by_call(Lang::Python, " (x)"));
        assert!(def_like("  async def "));
        assert!(def_like("export function "));
        assert!(!def_like("  x = undefined("));
        assert!(!def_like("  predef "));

        let t = "npm demo 1.0 src/`a.ts`/";
        let class = format!("{t}Thing#");
        let ctor = format!("{t}Thing#`<constructor>`().");
        let make = format!("{t}make.");
        let text = "\
export class Thing {
  constructor() {}
}
export const make = () => {
  return new Thing();
};
";
        let d = doc(
            "src/a.ts",
            vec![
                // The module itself has a range; it is no caller.
                occ(&[0, 0, 0], t, 1, &[0, 0, 6, 0]),
                occ(&[0, 13, 18], &class, 1, &[0, 0, 2, 1]),
                occ(&[1, 2, 13], &ctor, 1, &[1, 2, 1, 18]),
                occ(&[3, 13, 17], &make, 1, &[3, 19, 5, 1]),
                occ(&[4, 13, 18], &ctor, 8, &[]),
            ],
        );
        let index = Index {
            metadata: None,
            documents: vec![d],
        };
        let o = derive(&index, Lang::TypeScript, &|_| Some(text.to_owned()));
        assert_eq!(
            o.edges.keys().cloned().collect::<Vec<_>>(),
            vec![(make, class)]
        );
    }
}
