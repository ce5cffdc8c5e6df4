//! Both sides on one key, the figures, and the disagreements explained.
//!
//! The key of an edge is (caller file, caller definition line, callee
//! file, callee definition line), lines 1-based at the definition's name
//! (the `def`/`class`/`function` line, never a decorator's). A SCIP symbol
//! is keyed at its first definition occurrence. A codegraph definition is
//! first placed on the line of its name (the first line of its span that
//! holds the name as a word, since codegraph's start line is the node's,
//! which may begin with a TypeScript decorator); when a SCIP definition
//! occurrence of the same name sits on that line, the codegraph definition
//! takes that symbol's key, so every overload, a property's setter or a
//! TypeScript overload signature lands on one key on both sides.
//!
//! Only files both tools indexed count (the SCIP documents, which the
//! indexer configuration limits to the package and its tests), and only
//! edges to functions, methods and classes, the oracle's own rule: an edge
//! of codegraph's to a variable or constant (a call through `ib = attrib`)
//! is counted apart ([`Figures::to_values`]), as is an edge to a function
//! nested in another where the oracle's symbol for the call is a local
//! ([`Figures::to_locals`]: the oracle keys no locals). A codegraph caller
//! whose SCIP symbol is no scope of the oracle's (`static create = () =>`
//! in a class: a term without an enclosing range), or that has no symbol
//! and sits in a function (a local to the oracle), is lifted to its
//! parent, where the oracle puts those calls ([`Figures::lifted_unscoped`]).
//! codegraph's edge from `super(..)` to the base class is left out too
//! ([`Figures::super_calls`]): the oracle has no symbol for `super`.
//!
//! Causes (heuristics, first match wins), for a miss (an oracle edge
//! codegraph lacks), read at the oracle's first call site:
//! - `other target`: codegraph has an edge from that call to another
//!   definition; `other caller`: to the same callee from another caller;
//! - `no call fact`: codegraph recorded no call of that name on that line;
//! - otherwise codegraph saw the call and left it unresolved, classed by
//!   its receiver: `self./cls./this.`, `super()`, `module attribute`
//!   (the receiver is an imported module or name), `Type.attr` (a
//!   capitalised receiver), `typed local/attribute` (another receiver),
//!   and bare names: `same file`, `imported name` (the file imports the
//!   name), `not imported` (a star import, a builtin scope, a nested
//!   function); each prefixed `constructor` when the callee is a class.
//!
//! For a false edge (codegraph's, not the oracle's), read at codegraph's
//! call line: what the oracle says of a call token of the same name there:
//! `oracle: external` (stdlib, builtins or a dependency: a name
//! collision), `oracle: local`, `oracle: other in-repo target`, `oracle:
//! same callee, other caller`, `oracle: no symbol` (the token is there but
//! the indexer resolved it to nothing: an untyped receiver), or `no call
//! token` (no `name(` there: a multi-line call, a decorator), with
//! codegraph's receiver pattern after a slash.

use super::derive::Oracle;
use super::ours::Ours;
use super::scip;
use codegraph::Provenance;
use codegraph::core::DefId;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;

/// (path, 1-based line) of a definition.
pub type DefKey = (String, u32);
/// (caller, callee).
pub type EdgeKey = (DefKey, DefKey);

/// The figures of one corpus.
#[derive(Debug, Default, Clone)]
pub struct Figures {
    pub oracle: usize,
    pub resolved: usize,
    pub inferred: usize,
    pub resolved_true: usize,
    pub inferred_true: usize,
    pub recall_resolved: usize,
    pub recall_any: usize,
    /// Codegraph edges whose files the oracle did not index.
    pub outside: usize,
    /// Codegraph edges to a variable, constant or field (a call through
    /// an alias such as `ib = attrib`), or to a definition the oracle's
    /// symbol says is no callable (`static create = () =>`, a term without
    /// an enclosing range): the oracle counts calls of functions, methods
    /// and classes only, so these are left out.
    pub to_values: usize,
    /// Codegraph edges to a definition nested in a function where the
    /// oracle's symbol for the call is local to its document (TypeScript's
    /// `const helper = () => ..` inside a method): the oracle keys no
    /// local, so it can neither confirm nor deny them; left out.
    pub to_locals: usize,
    /// Codegraph edges whose caller the oracle has as a symbol but not as
    /// a scope (a property holding an arrow function), lifted to the
    /// caller's parent as the oracle's scopes say.
    pub lifted_unscoped: usize,
    /// Codegraph edges from `super(..)` in a constructor to the base class:
    /// the oracle has no symbol for `super`, so never such an edge; left out.
    pub super_calls: usize,
    /// Codegraph definitions matched to a SCIP symbol / all in shared files.
    pub defs_matched: usize,
    pub defs_shared: usize,
}

impl Figures {
    pub fn precision_resolved(&self) -> f64 {
        ratio(self.resolved_true, self.resolved)
    }
    pub fn precision_inferred(&self) -> f64 {
        ratio(self.inferred_true, self.inferred)
    }
    pub fn recall_resolved(&self) -> f64 {
        ratio(self.recall_resolved, self.oracle)
    }
    pub fn recall_any(&self) -> f64 {
        ratio(self.recall_any, self.oracle)
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        f64::NAN
    } else {
        a as f64 / b as f64
    }
}

/// Source lines by path, read once.
pub type Texts = HashMap<String, Vec<String>>;

fn line_of<'a>(texts: &'a Texts, path: &str, line: u32) -> &'a str {
    texts
        .get(path)
        .and_then(|l| l.get(line.saturating_sub(1) as usize))
        .map(|s| s.trim())
        .unwrap_or("")
}

/// An edge of codegraph's on the common key, best provenance first.
struct OurPair {
    provenance: Provenance,
    callee_name: String,
    sites: Vec<(String, u32, Provenance)>,
}

/// The oracle's edges on the common key, with their call sites.
type Truth<'a> = BTreeMap<EdgeKey, Vec<&'a super::derive::Site>>;
/// Codegraph's edges on the common key.
type Mine = BTreeMap<EdgeKey, OurPair>;
/// Codegraph's edges by call site (path, line): key and callee name.
type BySite = HashMap<(String, u32), Vec<(EdgeKey, String)>>;
/// Disagreements counted by (section, cause).
type Causes = BTreeMap<(&'static str, String), usize>;

/// Compares; returns the figures and the disagreements text.
pub fn compare(oracle: &Oracle, ours: &Ours, texts: &Texts) -> (Figures, String) {
    let mut fig = Figures::default();
    let shared: HashSet<&str> = texts.keys().map(String::as_str).collect();
    let (key_of, unscoped) = def_keys(oracle, ours, texts, &shared, &mut fig);
    let truth = oracle_edges(oracle, &shared);
    fig.oracle = truth.len();
    let (mine, by_site) = our_edges(oracle, ours, &key_of, &unscoped, &mut fig);
    count_hits(&mine, &truth, &mut fig);

    // Disagreements.
    let explain = Explain {
        oracle,
        ours,
        texts,
        by_site: &by_site,
        type_keys: oracle
            .defs
            .iter()
            .filter(|(s, _)| scip::is_type(s))
            .filter_map(|(s, _)| oracle.def(s).cloned())
            .collect(),
    };
    let mut causes = Causes::new();
    let mut out = String::new();
    write_false_positives(&mut out, &mut causes, &explain, &mine, &truth);
    write_misses(&mut out, &mut causes, &explain, &mine, &truth);
    (fig, causes_summary(causes) + &out)
}

/// Codegraph's definitions in shared files, keyed as the oracle keys them where it can.
fn def_keys(
    oracle: &Oracle,
    ours: &Ours,
    texts: &Texts,
    shared: &HashSet<&str>,
    fig: &mut Figures,
) -> (HashMap<DefId, DefKey>, HashSet<DefId>) {
    // SCIP definitions by (path, line): (name, symbol).
    let mut scip_at: HashMap<DefKey, Vec<(&str, &str)>> = HashMap::new();
    for (symbol, occs) in &oracle.defs {
        for (path, line) in occs {
            scip_at
                .entry((path.clone(), *line))
                .or_default()
                .push((scip::last_name(symbol), symbol));
        }
    }
    let mut key_of: HashMap<DefId, DefKey> = HashMap::new();
    let mut unscoped: HashSet<DefId> = HashSet::new();
    for (id, d) in &ours.defs {
        let Some(path) = ours.paths.get(&d.file_id) else {
            continue;
        };
        if !shared.contains(path.as_str()) {
            continue;
        }
        fig.defs_shared += 1;
        let line = name_line(texts, path, d.start_line, d.end_line, &d.name);
        let symbol = scip_at.get(&(path.clone(), line)).and_then(|c| {
            c.iter()
                .find(|(n, _)| *n == d.name || (d.name == "constructor" && *n == "<constructor>"))
                .map(|(_, s)| *s)
        });
        // No scope of the oracle's: a symbol that is no callable, or none
        // at all for a definition nested in a function (a local there).
        let local = symbol.is_none() && nested_in_callable(ours, d);
        if local || symbol.is_some_and(|s| !oracle.scopes.contains(s)) {
            unscoped.insert(*id);
        }
        let key = match symbol.and_then(|s| oracle.def(s)) {
            Some(k) => {
                fig.defs_matched += 1;
                k.clone()
            }
            None => (path.clone(), line),
        };
        key_of.insert(*id, key);
    }
    (key_of, unscoped)
}

/// The oracle's edges between definitions in shared files.
fn oracle_edges<'a>(oracle: &'a Oracle, shared: &HashSet<&str>) -> Truth<'a> {
    let mut truth: Truth<'a> = BTreeMap::new();
    for ((caller, callee), sites) in &oracle.edges {
        let (Some(a), Some(b)) = (oracle.def(caller), oracle.def(callee)) else {
            continue;
        };
        if !shared.contains(a.0.as_str()) || !shared.contains(b.0.as_str()) {
            continue;
        }
        truth
            .entry((a.clone(), b.clone()))
            .or_default()
            .extend(sites.iter());
    }
    truth
}

/// Codegraph's edges on the key, and by call site; counts the ones off the key.
fn our_edges(
    oracle: &Oracle,
    ours: &Ours,
    key_of: &HashMap<DefId, DefKey>,
    unscoped: &HashSet<DefId>,
    fig: &mut Figures,
) -> (Mine, BySite) {
    let mut mine: Mine = BTreeMap::new();
    let mut by_site: BySite = HashMap::new();
    for e in &ours.edges {
        // A caller the oracle cannot scope (a class property holding an
        // arrow function: a term with no enclosing range) is lifted to
        // its parent, where the oracle puts its calls.
        let mut caller = e.caller;
        while unscoped.contains(&caller)
            && let Some(parent) = ours.defs.get(&caller).and_then(|d| d.parent_id)
        {
            caller = parent;
        }
        if caller != e.caller {
            fig.lifted_unscoped += 1;
        }
        let (Some(a), Some(b)) = (key_of.get(&caller), key_of.get(&e.callee)) else {
            fig.outside += 1;
            continue;
        };
        let callee = &ours.defs[&e.callee];
        let no_callable = unscoped.contains(&e.callee) && !nested_in_callable(ours, callee);
        if !(callee.kind.is_callable() || callee.kind.is_type()) || no_callable {
            fig.to_values += 1;
            continue;
        }
        let at_site = ours.calls.get(&(e.path.clone(), e.line));
        if callee.kind.is_type()
            && at_site.is_some_and(|c| {
                c.iter().any(|c| c.name == "super") && !c.iter().any(|c| c.name == callee.name)
            })
        {
            fig.super_calls += 1;
            continue;
        }
        if nested_in_callable(ours, callee)
            && oracle
                .tokens
                .get(&(e.path.clone(), e.line))
                .is_some_and(|t| {
                    t.iter()
                        .any(|(tok, sym)| *tok == callee.name && scip::is_local(sym))
                })
        {
            fig.to_locals += 1;
            continue;
        }
        let name = callee.name.clone();
        let key = (a.clone(), b.clone());
        by_site
            .entry((e.path.clone(), e.line))
            .or_default()
            .push((key.clone(), name.clone()));
        let pair = mine.entry(key).or_insert(OurPair {
            provenance: e.provenance,
            callee_name: name,
            sites: Vec::new(),
        });
        if e.provenance == Provenance::Resolved {
            pair.provenance = Provenance::Resolved;
        }
        pair.sites.push((e.path.clone(), e.line, e.provenance));
    }
    (mine, by_site)
}

/// Whether a definition sits inside a function or method.
fn nested_in_callable(ours: &Ours, def: &codegraph::core::DefFact) -> bool {
    let mut at = def.parent_id;
    while let Some(p) = at.and_then(|id| ours.defs.get(&id)) {
        if p.kind.is_callable() {
            return true;
        }
        at = p.parent_id;
    }
    false
}

/// Counts codegraph's edges by provenance and how many the oracle has.
fn count_hits(mine: &Mine, truth: &Truth<'_>, fig: &mut Figures) {
    for (key, pair) in mine {
        let hit = truth.contains_key(key);
        match pair.provenance {
            Provenance::Resolved => {
                fig.resolved += 1;
                fig.resolved_true += hit as usize;
                fig.recall_resolved += hit as usize;
            }
            Provenance::Inferred => {
                fig.inferred += 1;
                fig.inferred_true += hit as usize;
            }
        }
        fig.recall_any += hit as usize;
    }
}

/// Writes codegraph's edges the oracle lacks, resolved then inferred, with their causes.
fn write_false_positives(
    out: &mut String,
    causes: &mut Causes,
    explain: &Explain<'_>,
    mine: &Mine,
    truth: &Truth<'_>,
) {
    let texts = explain.texts;
    for (title, prov) in [
        ("FALSE POSITIVES, RESOLVED", Provenance::Resolved),
        ("FALSE POSITIVES, INFERRED", Provenance::Inferred),
    ] {
        let _ = writeln!(out, "==== {title}\n");
        for (key, pair) in mine
            .iter()
            .filter(|(k, p)| p.provenance == prov && !truth.contains_key(*k))
        {
            let (path, line, _) = pair
                .sites
                .iter()
                .find(|s| s.2 == prov)
                .unwrap_or(&pair.sites[0]);
            let cause = explain.false_edge(key, path, *line, &pair.callee_name);
            *causes.entry((title, cause.clone())).or_default() += 1;
            write_edge(out, texts, key, &cause);
            let _ = writeln!(
                out,
                "    call   {path}:{line}  {}",
                line_of(texts, path, *line)
            );
            let _ = writeln!(out);
        }
    }
}

/// Writes the oracle's edges codegraph lacks, with their causes.
fn write_misses(
    out: &mut String,
    causes: &mut Causes,
    explain: &Explain<'_>,
    mine: &Mine,
    truth: &Truth<'_>,
) {
    let texts = explain.texts;
    let _ = writeln!(out, "==== MISSES (oracle edges codegraph lacks)\n");
    for (key, sites) in truth.iter().filter(|(k, _)| !mine.contains_key(*k)) {
        let site = sites[0];
        let cause = explain.miss(key, site);
        *causes.entry(("MISSES", cause.clone())).or_default() += 1;
        write_edge(out, texts, key, &cause);
        let _ = writeln!(
            out,
            "    call   {}:{}  {}",
            site.path,
            site.line,
            line_of(texts, &site.path, site.line)
        );
        let _ = writeln!(out);
    }
}

/// The causes section: counts by section, most frequent first within each.
fn causes_summary(causes: Causes) -> String {
    let mut summary = String::from("==== CAUSES\n\n");
    let mut sorted: Vec<_> = causes.into_iter().collect();
    sorted.sort_by(|a, b| a.0.0.cmp(b.0.0).then(b.1.cmp(&a.1)));
    for ((section, cause), n) in sorted {
        let _ = writeln!(summary, "{section:<26} {n:>6}  {cause}");
    }
    summary.push('\n');
    summary
}

fn write_edge(out: &mut String, texts: &Texts, (caller, callee): &EdgeKey, cause: &str) {
    let _ = writeln!(
        out,
        "{}:{} -> {}:{}   [{cause}]",
        caller.0, caller.1, callee.0, callee.1
    );
    let _ = writeln!(
        out,
        "    caller {}:{}  {}",
        caller.0,
        caller.1,
        line_of(texts, &caller.0, caller.1)
    );
    let _ = writeln!(
        out,
        "    callee {}:{}  {}",
        callee.0,
        callee.1,
        line_of(texts, &callee.0, callee.1)
    );
}

/// The line of a definition's name: the first line of its span that holds
/// the name as a word (`start` when none does).
fn name_line(texts: &Texts, path: &str, start: u32, end: u32, name: &str) -> u32 {
    let Some(lines) = texts.get(path) else {
        return start;
    };
    (start..=end.max(start))
        .take(50)
        .find(|&l| {
            lines
                .get(l.saturating_sub(1) as usize)
                .is_some_and(|t| has_word(t, name))
        })
        .unwrap_or(start)
}

fn has_word(text: &str, word: &str) -> bool {
    let ident = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    text.match_indices(word).any(|(i, _)| {
        !text[..i].chars().next_back().is_some_and(ident)
            && !text[i + word.len()..].chars().next().is_some_and(ident)
    })
}

struct Explain<'a> {
    oracle: &'a Oracle,
    ours: &'a Ours,
    texts: &'a Texts,
    by_site: &'a HashMap<(String, u32), Vec<(EdgeKey, String)>>,
    /// Keys of SCIP types (classes).
    type_keys: HashSet<DefKey>,
}

impl Explain<'_> {
    /// Why codegraph lacks an oracle edge, read at its call site.
    fn miss(&self, key: &EdgeKey, site: &super::derive::Site) -> String {
        let at = (site.path.clone(), site.line);
        if let Some(edges) = self.by_site.get(&at) {
            let same_name: Vec<_> = edges.iter().filter(|(_, n)| *n == site.token).collect();
            if same_name.iter().any(|(k, _)| k.1 == key.1) {
                return "other caller".into();
            }
            if !same_name.is_empty() {
                return "other target".into();
            }
        }
        let facts = self.ours.calls.get(&at);
        let Some(call) = facts.and_then(|f| f.iter().find(|c| c.name == site.token)) else {
            return "no call fact".into();
        };
        let class = self.type_keys.contains(&key.1);
        let pattern = self.receiver_pattern(&site.path, call.receiver.as_deref(), &site.token, key);
        if class {
            format!("constructor, {pattern}")
        } else {
            pattern
        }
    }

    /// What a receiver (or its absence) says about a call.
    fn receiver_pattern(
        &self,
        path: &str,
        receiver: Option<&str>,
        name: &str,
        key: &EdgeKey,
    ) -> String {
        let imports = self
            .ours
            .imports
            .get(path)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        match receiver {
            None => {
                if key.1.0 == path {
                    "bare name, same file".into()
                } else if imports
                    .iter()
                    .any(|i| i.name.as_deref() == Some(name) || i.alias.as_deref() == Some(name))
                {
                    "bare name, imported name".into()
                } else {
                    "bare name, not imported".into()
                }
            }
            Some("self" | "cls" | "this") => "method on self/cls/this".into(),
            Some(r) if r.starts_with("super") => "super() call".into(),
            Some(r) => {
                let simple = r
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '.');
                let head = r.split('.').next().unwrap_or(r);
                let imported = imports.iter().any(|i| {
                    i.alias.as_deref() == Some(head)
                        || i.name.as_deref() == Some(head)
                        || (i.name.is_none() && i.module.rsplit('.').next() == Some(head))
                        || i.module == r
                });
                if simple && imported && !head.chars().next().is_some_and(char::is_uppercase) {
                    "module attribute (pkg.f())".into()
                } else if simple && head.chars().next().is_some_and(char::is_uppercase) {
                    "Type.attr() (class or imported type)".into()
                } else if r.starts_with("self.") || r.starts_with("this.") {
                    "method on self.attr (needs the attribute's type)".into()
                } else {
                    "method on a local/parameter/expression (needs its type)".into()
                }
            }
        }
    }

    /// Why codegraph has an edge the oracle lacks.
    fn false_edge(&self, key: &EdgeKey, path: &str, line: u32, name: &str) -> String {
        let call = self
            .ours
            .calls
            .get(&(path.to_owned(), line))
            .and_then(|f| f.iter().find(|c| c.name == name));
        let pattern = call.map_or_else(
            || "no call fact".to_owned(),
            |c| self.receiver_pattern(path, c.receiver.as_deref(), name, key),
        );
        let tokens = self.oracle.tokens.get(&(path.to_owned(), line));
        let verdict = match tokens.and_then(|t| t.iter().find(|(tok, _)| tok == name)) {
            Some((_, symbol)) if scip::is_local(symbol) => "oracle: local".to_owned(),
            Some((_, symbol)) => {
                let symbol = scip::constructor_class(symbol).unwrap_or(symbol);
                match self.oracle.def(symbol) {
                    None => "oracle: external".to_owned(),
                    Some(d) if *d == key.1 => "oracle: same callee, other caller".to_owned(),
                    Some(_) => "oracle: other in-repo target".to_owned(),
                }
            }
            None => {
                let text = line_of(self.texts, path, line);
                if text.contains(&format!("{name}(")) {
                    "oracle: no symbol".to_owned()
                } else {
                    "no call token".to_owned()
                }
            }
        };
        format!("{verdict} / {pattern}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_name_lines() {
        assert!(has_word("def get(self):", "get"));
        assert!(!has_word("def get_all(self):", "get"));
        assert!(!has_word("def _get(self):", "get"));
        let mut texts = Texts::new();
        texts.insert(
            "a.ts".into(),
            vec![
                "  @Input()".into(),
                "  name(): string {".into(),
                "  }".into(),
            ],
        );
        assert_eq!(name_line(&texts, "a.ts", 1, 3, "name"), 2);
        assert_eq!(name_line(&texts, "a.ts", 1, 3, "other"), 1);
        assert_eq!(name_line(&texts, "b.ts", 4, 9, "x"), 4);
    }
}
