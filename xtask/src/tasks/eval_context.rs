//! `cargo xtask eval-context [NAME...]`: relevance hit@1/3/5 of the context
//! request at cursors after every kind of reference, per corpus and kind,
//! and a next-line check.
//!
//! Kinds of cursor (each mined from the index, at most 300 per kind, a
//! fixed random sample):
//! - `imported`: just after the first use of a name imported from another
//!   file of the repository that defines it; expected: that definition;
//! - `reexport`: the same for a name imported from a file that only
//!   re-exports it (`__init__.py`, `index.ts`); expected: the definition
//!   one or two imports further;
//! - `decorator`: just after a decorator's or annotation's name whose
//!   reference resolved; expected: the definition it names;
//! - at a member access whose call the resolver proved (provenance
//!   `resolved`), the cursor just after the `.`; expected: the type that
//!   declares the called method (or the method):
//!   `receiver` (a variable, `x.`), `self` (`self.`/`this.`),
//!   `self_member` (`self.a.`), `module_object` (a module-level object,
//!   `current_app.`), `chain` (`a.b.`), `static` (a type, `Foo.`);
//! - `call` (a bare call of a function of another file, `f(`) and
//!   `module_member` (`http.Get(`): the cursor after the name; expected: the
//!   function.
//!
//! A hit at k: the expected definition is among the first k structures.
//!
//! Next-line check (no model): the identifiers of the rest of the cursor's
//! line and the next line, as the real code has them, found in the
//! returned context (structures and snippets), beside the same number of
//! tokens filled with the nearest lines before the cursor's window.

use super::corpus::open_corpus_index;
use crate::measure::{Rng, percentile};
use anyhow::Result;
use codegraph::Codegraph;
use codegraph::core::{CallFact, DefFact, DefId, FileId, GraphFacts, NodeRef};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

/// Words that name the object a method runs on.
const SELF_NAMES: &[&str] = &["self", "this", "cls", "$this"];
const PER_KIND: usize = 300;

/// The corpora measured by default: seven languages, none of SWE-bench's
/// repositories.
pub const DEFAULT: &[&str] = &[
    "httpx",
    "attrs",
    "marshmallow",
    "rxjs",
    "zod",
    "lodash",
    "gonet",
    "jdk",
    "tokio",
    "brotli",
];

/// A cursor: path, 0-based line, byte column, the kind, and what a hit is:
/// (files, last part of the symbol) pairs.
#[derive(Debug, Clone)]
struct Case {
    path: String,
    line: u32,
    column: u32,
    kind: &'static str,
    /// Qualified names (or `file:name` for imported names) that count.
    expected: Vec<Expected>,
}

#[derive(Debug, Clone)]
enum Expected {
    /// A definition of `name` in one of the files.
    InFiles { name: String, files: Vec<String> },
    /// A definition of this qualified name.
    Qualified(String),
}

impl Expected {
    fn hit(&self, s: &codegraph::Structure) -> bool {
        match self {
            Expected::InFiles { name, files } => {
                files.contains(&s.path) && s.symbol.rsplit(['.', ':', '/']).next() == Some(name)
            }
            Expected::Qualified(q) => &s.symbol == q,
        }
    }
}

#[derive(Default)]
struct Tally {
    n: usize,
    h1: usize,
    h3: usize,
    h5: usize,
}

impl Tally {
    fn add(&mut self, pos: Option<usize>) {
        self.n += 1;
        if let Some(p) = pos {
            self.h1 += usize::from(p < 1);
            self.h3 += usize::from(p < 3);
            self.h5 += usize::from(p < 5);
        }
    }
    fn line(&self) -> String {
        let n = self.n.max(1) as f64;
        format!(
            "{:4} cursors  hit@1 {:.3}  hit@3 {:.3}  hit@5 {:.3}",
            self.n,
            self.h1 as f64 / n,
            self.h3 as f64 / n,
            self.h5 as f64 / n
        )
    }
}

pub fn eval_context(name: &str) -> Result<()> {
    use codegraph::ContextRequest;
    let (root, cg) = open_corpus_index(name)?;
    let mut by_kind: BTreeMap<&'static str, Vec<Case>> = BTreeMap::new();
    for c in import_cases(&cg, &root)? {
        by_kind.entry(c.kind).or_default().push(c);
    }
    for c in reference_cases(&cg, &root)? {
        by_kind.entry(c.kind).or_default().push(c);
    }
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    let mut all = Tally::default();
    let mut tallies: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut times = Vec::new();
    let (mut next_ids, mut next_ctx, mut next_near) = (0usize, 0usize, 0usize);
    let mut texts: HashMap<String, Vec<String>> = HashMap::new();
    let mut misses: Vec<String> = Vec::new();
    for (kind, mut cases) in by_kind {
        let mut sample = Vec::new();
        while sample.len() < PER_KIND && !cases.is_empty() {
            let i = (rng.next() % cases.len() as u64) as usize;
            sample.push(cases.swap_remove(i));
        }
        let tally = tallies.entry(kind).or_default();
        for case in &sample {
            let r = cg.context(&ContextRequest {
                path: case.path.clone(),
                line: case.line,
                column: case.column,
                encoding: codegraph::ColumnEncoding::Utf8,
                budget_tokens: 8192,
                ..ContextRequest::default()
            })?;
            times.push(r.took_ms);
            let pos = r
                .structures
                .iter()
                .position(|s| case.expected.iter().any(|e| e.hit(s)));
            tally.add(pos);
            all.add(pos);
            if pos.is_none_or(|p| p >= 5) && misses.len() < 400 {
                misses.push(format!(
                    "{kind}\t{}:{}:{}\t{:?}\tgot {:?}",
                    case.path,
                    case.line + 1,
                    case.column,
                    case.expected,
                    r.structures
                        .iter()
                        .take(5)
                        .map(|s| s.symbol.as_str())
                        .collect::<Vec<_>>()
                ));
            }
            // Next line: identifiers of the rest of the line and the next.
            let lines = texts.entry(case.path.clone()).or_insert_with(|| {
                std::fs::read_to_string(root.join(&case.path))
                    .unwrap_or_default()
                    .lines()
                    .map(str::to_owned)
                    .collect()
            });
            let l = case.line as usize;
            let Some(current) = lines.get(l) else {
                continue;
            };
            let mut after = current.get(case.column as usize..).unwrap_or("").to_owned();
            if let Some(next) = lines.get(l + 1) {
                after.push('\n');
                after.push_str(next);
            }
            let wanted: HashSet<String> = identifiers(&after)
                .into_iter()
                .filter(|w| w.len() >= 3)
                .collect();
            if wanted.is_empty() {
                continue;
            }
            let context: String = r
                .structures
                .iter()
                .map(|s| s.text.as_str())
                .chain(r.snippets.iter().map(|s| s.text.as_str()))
                .collect::<Vec<_>>()
                .join("\n");
            let got = identifiers(&context);
            // The same tokens of the nearest lines above the request's window.
            let budget = r.stats.tokens_used.max(1);
            let mut near = String::new();
            let mut used = 0;
            let window_start = l.saturating_sub(19);
            for k in (0..window_start).rev() {
                let c = lines[k].len() / 4 + 1;
                if used + c > budget {
                    break;
                }
                used += c;
                near.push_str(&lines[k]);
                near.push('\n');
            }
            let near = identifiers(&near);
            next_ids += wanted.len();
            next_ctx += wanted.iter().filter(|w| got.contains(*w)).count();
            next_near += wanted.iter().filter(|w| near.contains(*w)).count();
        }
    }
    times.sort_by(|a, b| a.total_cmp(b));
    println!(
        "== eval-context {name}: {}  (p50 {:.2} ms, p99 {:.2} ms)",
        all.line(),
        percentile(&times, 0.5),
        percentile(&times, 0.99)
    );
    for (kind, t) in &tallies {
        println!("   {kind:14} {}", t.line());
    }
    let n = next_ids.max(1) as f64;
    println!(
        "   next line: {next_ids} identifiers; in the context {:.3}, in as many tokens of the nearest lines above the window {:.3}",
        next_ctx as f64 / n,
        next_near as f64 / n
    );
    let out = crate::util::bench_dir().join(format!(
        "eval-context-misses-{}.txt",
        super::corpus::corpus_label(name)
    ));
    std::fs::write(&out, misses.join("\n"))?;
    eprintln!("misses: {}", out.display());
    Ok(())
}

/// Identifiers of `text`.
fn identifiers(text: &str) -> HashSet<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.chars().next().is_some_and(|c| !c.is_ascii_digit()) && !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// At each file's first use of each name it imports from another file of
/// the repository, a cursor just after it: `imported` when the file the
/// import resolved to defines the name, `reexport` when that file imports
/// it from one that does (one or two steps).
fn import_cases(cg: &Codegraph, root: &Path) -> Result<Vec<Case>> {
    let facts = cg.graph_facts()?;
    let paths: HashMap<FileId, String> =
        facts.files.iter().map(|f| (f.id, f.path.clone())).collect();
    let mut defined: HashSet<(FileId, &str)> = HashSet::new();
    for d in &facts.defs {
        defined.insert((d.file_id, d.name.as_str()));
    }
    // Imports that resolved to another file of the repository, by line.
    let mut targets: HashMap<(FileId, u32), Vec<FileId>> = Default::default();
    for e in cg.stored_edges()? {
        if e.kind == codegraph::EdgeKind::Imports
            && let (NodeRef::File(_), NodeRef::File(dst)) = (e.src, e.dst)
        {
            targets.entry((e.file, e.line)).or_default().push(dst);
        }
    }
    let mut by_file: BTreeMap<FileId, Vec<&codegraph::core::ImportFact>> = Default::default();
    for imp in &facts.imports {
        by_file.entry(imp.file_id).or_default().push(imp);
    }
    // One step of re-export: the files `f` imports `name` from.
    let step = |f: FileId, name: &str| -> Vec<FileId> {
        by_file
            .get(&f)
            .into_iter()
            .flatten()
            .filter(|i| i.wildcard || i.alias.as_deref().or(i.name.as_deref()) == Some(name))
            .flat_map(|i| targets.get(&(f, i.line)).cloned().unwrap_or_default())
            .collect()
    };
    let mut cases = Vec::new();
    for (file_id, imps) in &by_file {
        let Some(path) = paths.get(file_id) else {
            continue;
        };
        let Ok(text) = std::fs::read_to_string(root.join(path)) else {
            continue;
        };
        let lines: Vec<&str> = text.lines().collect();
        let in_docstring = docstring_lines(&lines);
        // Uses start after the last import statement, parenthesised
        // continuation lines included.
        let mut last_import = imps.iter().map(|i| i.line).max().unwrap_or(0) as usize;
        if let Some(l) = lines.get(last_import.saturating_sub(1)) {
            for (open, close) in [('(', ')'), ('{', '}')] {
                if l.contains(open) && !l.contains(close) {
                    while last_import < lines.len() && !lines[last_import].contains(close) {
                        last_import += 1;
                    }
                    last_import += 1;
                    break;
                }
            }
        }
        for imp in imps {
            let Some(local) = imp.alias.clone().or_else(|| imp.name.clone()) else {
                continue;
            };
            if local == "*" || local.len() < 2 {
                continue;
            }
            let Some(dsts) = targets.get(&(*file_id, imp.line)) else {
                continue;
            };
            let name = imp.name.clone().unwrap_or_else(|| local.clone());
            // A module imported by name (`from pkg import module`) is a file,
            // not a definition.
            let is_module = dsts.iter().filter_map(|d| paths.get(d)).any(|p| {
                let stem = p.rsplit('/').next().unwrap_or(p);
                let stem = stem.split('.').next().unwrap_or(stem);
                stem == name
                    || (matches!(stem, "__init__" | "index" | "mod")
                        && p.rsplit('/').nth(1) == Some(name.as_str()))
            });
            if is_module {
                continue;
            }
            let mut kind = "imported";
            let mut def_files: Vec<FileId> = dsts
                .iter()
                .copied()
                .filter(|d| defined.contains(&(*d, name.as_str())))
                .collect();
            if def_files.is_empty() {
                // Re-exported: one or two steps further.
                let mut frontier: Vec<FileId> = dsts.clone();
                for _ in 0..2 {
                    frontier = frontier.iter().flat_map(|&f| step(f, &name)).collect();
                    def_files = frontier
                        .iter()
                        .copied()
                        .filter(|d| defined.contains(&(*d, name.as_str())))
                        .collect();
                    if !def_files.is_empty() {
                        kind = "reexport";
                        break;
                    }
                }
            }
            if def_files.is_empty() {
                continue;
            }
            // The first use after the imports.
            if let Some((l, col)) =
                lines
                    .iter()
                    .enumerate()
                    .skip(last_import)
                    .find_map(|(l, line)| {
                        let t = line.trim_start();
                        if t.starts_with("import")
                            || t.starts_with("from ")
                            || t.starts_with("use ")
                            || t.starts_with("export ")
                            || t.starts_with("//")
                            || t.starts_with('#')
                            || t.starts_with('*')
                            || t.starts_with('@')
                            || in_docstring[l]
                        {
                            return None;
                        }
                        word(line, &local)
                            .filter(|&c| !in_quotes(line, c - local.len()))
                            .map(|c| (l, c))
                    })
            {
                cases.push(Case {
                    path: path.clone(),
                    line: l as u32,
                    column: col as u32,
                    kind,
                    expected: vec![Expected::InFiles {
                        name: name.clone(),
                        files: def_files
                            .iter()
                            .filter_map(|d| paths.get(d))
                            .cloned()
                            .collect(),
                    }],
                });
            }
        }
    }
    Ok(cases)
}

/// What `reference_cases` looks facts up in.
struct FactIndex<'f> {
    paths: HashMap<FileId, String>,
    defs: HashMap<DefId, &'f DefFact>,
    /// Module-level objects and types, by name.
    module_objects: HashSet<&'f str>,
    types: HashSet<&'f str>,
    types_qualified: HashSet<&'f str>,
    /// Calls and decorators by (file, line, name).
    calls: HashMap<(FileId, u32, &'f str), &'f CallFact>,
}

impl<'f> FactIndex<'f> {
    fn new(facts: &'f GraphFacts) -> FactIndex<'f> {
        let mut ix = FactIndex {
            paths: facts.files.iter().map(|f| (f.id, f.path.clone())).collect(),
            defs: facts.defs.iter().map(|d| (d.id, d)).collect(),
            module_objects: HashSet::new(),
            types: HashSet::new(),
            types_qualified: HashSet::new(),
            calls: HashMap::new(),
        };
        for d in &facts.defs {
            if d.parent_id.is_none()
                && matches!(
                    d.kind,
                    codegraph::DefKind::Variable | codegraph::DefKind::Constant
                )
            {
                ix.module_objects.insert(d.name.as_str());
            }
            if d.kind.is_type() {
                ix.types.insert(d.name.as_str());
                ix.types_qualified.insert(d.qualified_name.as_str());
            }
        }
        for c in &facts.calls {
            ix.calls.insert((c.file_id, c.line, c.name.as_str()), c);
        }
        ix
    }

    /// A call of a function of another file, bare (`f(`) or through its
    /// module (`http.Get(`): its kind, the cursor's column (after the
    /// name) and what counts as a hit.
    fn call_case(
        &self,
        call: &CallFact,
        callee: &DefFact,
        line: &str,
    ) -> Option<(&'static str, usize, Vec<Expected>)> {
        let (kind, col) = if call.receiver.is_some() {
            (
                "module_member",
                member_column(line, &callee.name).map(|c| c + callee.name.len())?,
            )
        } else {
            ("call", word(line, &callee.name)?)
        };
        let mut expected = vec![Expected::Qualified(callee.qualified_name.clone())];
        // A method declared outside its type (`impl` blocks, Go
        // receivers): the type its name is under counts too.
        if let Some((owner_qn, _)) = callee
            .qualified_name
            .rsplit_once("::")
            .or_else(|| callee.qualified_name.rsplit_once('.'))
            && self.types_qualified.contains(owner_qn)
        {
            expected.push(Expected::Qualified(owner_qn.to_owned()));
        }
        Some((kind, col, expected))
    }

    /// The kind of a member access by its receiver's parts.
    fn member_kind(&self, segments: &[String]) -> Option<&'static str> {
        let head = segments.first()?;
        Some(if SELF_NAMES.contains(&head.as_str()) {
            if segments.len() == 1 {
                "self"
            } else {
                "self_member"
            }
        } else if segments.len() > 1 {
            "chain"
        } else if self.module_objects.contains(head.as_str()) {
            "module_object"
        } else if self.types.contains(head.as_str()) {
            "static"
        } else {
            "receiver"
        })
    }
}

/// Decorators and member accesses whose reference the resolver proved.
fn reference_cases(cg: &Codegraph, root: &Path) -> Result<Vec<Case>> {
    let facts = cg.graph_facts()?;
    let ix = FactIndex::new(&facts);
    let mut texts: HashMap<FileId, Vec<String>> = HashMap::new();
    let mut seen: HashSet<(FileId, u32, String)> = HashSet::new();
    let mut cases = Vec::new();
    for e in cg.stored_edges()? {
        if e.provenance != codegraph::Provenance::Resolved
            || !matches!(
                e.kind,
                codegraph::EdgeKind::Calls | codegraph::EdgeKind::References
            )
        {
            continue;
        }
        let NodeRef::Def(dst) = e.dst else { continue };
        let Some(callee) = ix.defs.get(&dst) else {
            continue;
        };
        let Some(call) = ix.calls.get(&(e.file, e.line, callee.name.as_str())) else {
            continue;
        };
        let Some(path) = ix.paths.get(&e.file) else {
            continue;
        };
        let lines = texts.entry(e.file).or_insert_with(|| {
            std::fs::read_to_string(root.join(path))
                .unwrap_or_default()
                .lines()
                .map(str::to_owned)
                .collect()
        });
        let Some(line) = lines.get(e.line.saturating_sub(1) as usize) else {
            continue;
        };
        let case = |kind, col: usize, expected| Case {
            path: path.clone(),
            line: e.line - 1,
            column: col as u32,
            kind,
            expected,
        };
        if call.kind == codegraph::core::RefKind::Decorator {
            // After `@name` (or `@a.name`).
            let Some(at) = line.find('@') else { continue };
            let Some(col) = word(&line[at..], &callee.name).map(|c| c + at) else {
                continue;
            };
            if seen.insert((e.file, e.line, callee.name.clone())) {
                let expected = vec![Expected::Qualified(callee.qualified_name.clone())];
                cases.push(case("decorator", col, expected));
            }
            continue;
        }
        let owner = callee
            .parent_id
            .and_then(|p| ix.defs.get(&p))
            .filter(|p| p.kind.is_type_like());
        let (Some(receiver), Some(owner)) = (call.receiver.as_deref(), owner) else {
            if callee.file_id == e.file || owner.is_some() {
                continue;
            }
            let Some((kind, col, expected)) = ix.call_case(call, callee, line) else {
                continue;
            };
            if seen.insert((e.file, e.line, callee.name.clone())) {
                cases.push(case(kind, col, expected));
            }
            continue;
        };
        let Some(kind) = ix.member_kind(&segments(receiver)) else {
            continue;
        };
        // The cursor: just after the separator before the callee's name.
        let Some(col) = member_column(line, &callee.name) else {
            continue;
        };
        if !seen.insert((e.file, e.line, callee.name.clone())) {
            continue;
        }
        let expected = vec![
            Expected::Qualified(owner.qualified_name.clone()),
            Expected::Qualified(callee.qualified_name.clone()),
        ];
        cases.push(case(kind, col, expected));
    }
    Ok(cases)
}

/// The parts of a receiver as written: `self.a.b()` → self, a, b.
fn segments(receiver: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut cur = String::new();
    let mut chars = receiver.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            _ if depth > 0 => {}
            '.' => out.push(std::mem::take(&mut cur)),
            '-' if chars.peek() == Some(&'>') => {
                chars.next();
                out.push(std::mem::take(&mut cur));
            }
            ':' if chars.peek() == Some(&':') => {
                chars.next();
                out.push(std::mem::take(&mut cur));
            }
            c if c.is_alphanumeric() || c == '_' || c == '$' => cur.push(c),
            _ => {}
        }
    }
    out.push(cur);
    out.retain(|s| !s.is_empty());
    out
}

/// The byte column just after the `.`, `->` or `::` before the first
/// member access to `name` on `line`.
fn member_column(line: &str, name: &str) -> Option<usize> {
    let b = line.as_bytes();
    let mut from = 0;
    while let Some(i) = line[from..].find(name) {
        let s = from + i;
        let e = s + name.len();
        let ok_r = e == b.len() || !(b[e].is_ascii_alphanumeric() || b[e] == b'_');
        let sep = s >= 1
            && (b[s - 1] == b'.' || (s >= 2 && (&b[s - 2..s] == b"->" || &b[s - 2..s] == b"::")));
        if ok_r && sep {
            return Some(s);
        }
        from = e;
    }
    None
}

/// Lines inside (or opening or closing) a triple-quoted string.
fn docstring_lines(lines: &[&str]) -> Vec<bool> {
    let mut inside = false;
    lines
        .iter()
        .map(|l| {
            let n = l.matches("\"\"\"").count() + l.matches("'''").count();
            let touched = inside || n > 0;
            if n % 2 == 1 {
                inside = !inside;
            }
            touched
        })
        .collect()
}

/// Whether byte `at` of `line` is inside a quoted string or a comment.
fn in_quotes(line: &str, at: usize) -> bool {
    let mut quote: Option<u8> = None;
    let b = line.as_bytes();
    let mut i = 0;
    while i < at.min(b.len()) {
        let c = b[i];
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) if c == b'\\' => i += 1,
            Some(_) => {}
            None if matches!(c, b'"' | b'\'' | b'`') => quote = Some(c),
            None if c == b'#' || (c == b'/' && b.get(i + 1) == Some(&b'/')) => return true,
            None => {}
        }
        i += 1;
    }
    quote.is_some()
}

/// The end of the first whole-word occurrence of `n` in `line`.
fn word(line: &str, n: &str) -> Option<usize> {
    let b = line.as_bytes();
    let mut from = 0;
    while let Some(i) = line[from..].find(n) {
        let s = from + i;
        let e = s + n.len();
        let ok_l = s == 0 || !(b[s - 1].is_ascii_alphanumeric() || b[s - 1] == b'_');
        let ok_r = e == b.len() || !(b[e].is_ascii_alphanumeric() || b[e] == b'_');
        if ok_l && ok_r {
            return Some(e);
        }
        from = e;
    }
    None
}
