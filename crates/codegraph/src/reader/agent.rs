//! Questions agents ask that compose the other readers' answers:
//! definitions with their docs by any form of name, a bounded piece of
//! source, every reference to a definition, what a change may break, a
//! lexical scan of the files while no index exists yet, and where a task
//! described in prose most likely needs a change.

use super::Reader;
use crate::{Error, Result, SearchMode, SearchOptions};
use codegraph_core::{DefKind, EdgeKind, Provenance};
use codegraph_graph::Related;
use codegraph_store::DefinitionRow;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Instant;

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

/// Lines of a file, as [`Reader::source_lines`] returns them.
#[derive(Debug, Clone, Serialize)]
pub struct SourceLines {
    pub path: String,
    /// 1-based, inclusive.
    pub start_line: u32,
    pub end_line: u32,
    /// Lines in the whole file.
    pub total_lines: u32,
    /// The lines, each ending with `\n`.
    pub text: String,
}

/// A reference to a definition: the referring definition (or file), and
/// the kind of the edge.
#[derive(Debug, Clone, Serialize)]
pub struct Reference {
    pub edge: EdgeKind,
    #[serde(flatten)]
    pub from: Related,
}

/// How an impacted place depends on the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImpactVia {
    /// Calls the target (or a caller of it, `depth` hops away).
    Calls,
    /// Inherits from, implements or otherwise uses the target.
    Uses,
    /// Imports the target's file (or an importer of it).
    Imports,
}

/// One place a change to the target may break.
#[derive(Debug, Clone, Serialize)]
pub struct ImpactItem {
    /// The definition's qualified name, or the file's path.
    pub symbol: String,
    pub kind: Option<DefKind>,
    pub path: String,
    /// Line of the definition (0 for a file).
    pub line: u32,
    /// Hops from the target.
    pub depth: usize,
    pub via: ImpactVia,
    pub provenance: Provenance,
    /// Higher is more likely affected: nearer, and resolved rather than
    /// inferred.
    pub score: f64,
}

/// What may break if a symbol or a file changes.
#[derive(Debug, Clone, Serialize)]
pub struct Impact {
    /// The target as resolved (qualified name, or path).
    pub target: String,
    /// Best first; ties by path and line.
    pub items: Vec<ImpactItem>,
    /// Distinct files among the items, best first.
    pub files: Vec<String>,
}

/// A line a [`Reader::scan`] found.
#[derive(Debug, Clone, Serialize)]
pub struct ScanHit {
    pub path: String,
    pub line: u32,
    pub text: String,
    /// Distinct query words on the line.
    pub matched: usize,
}

/// What a [`Reader::scan`] went through.
#[derive(Debug, Clone, Serialize)]
pub struct Scan {
    pub hits: Vec<ScanHit>,
    pub files_scanned: usize,
    pub bytes_scanned: u64,
    /// Whether the scan stopped early (byte cap or deadline): the hits are
    /// from the files scanned so far.
    pub partial: bool,
}

/// Bytes a [`Reader::scan`] reads at most.
pub const MAX_SCAN_BYTES: u64 = 64 << 20;

/// A request to [`Reader::locate`].
#[derive(Debug, Clone)]
pub struct LocateOptions {
    /// The task, issue or error text.
    pub text: String,
    /// Files wanted.
    pub k: usize,
    pub deadline: Option<Instant>,
}

/// A definition [`Reader::locate`] points at.
#[derive(Debug, Clone, Serialize)]
pub struct LocatedDefinition {
    pub qualified_name: String,
    pub kind: DefKind,
    pub line: u32,
    pub end_line: u32,
    pub signature: String,
    pub reasons: Vec<String>,
}

/// A file [`Reader::locate`] points at, and why.
#[derive(Debug, Clone, Serialize)]
pub struct LocatedFile {
    pub path: String,
    pub score: f64,
    pub reasons: Vec<String>,
    pub definitions: Vec<LocatedDefinition>,
}

/// Where a task most likely needs a change.
#[derive(Debug, Clone, Serialize)]
pub struct Located {
    pub files: Vec<LocatedFile>,
    /// What was read out of the text.
    pub identifiers: Vec<String>,
    pub paths: Vec<String>,
    pub stack_frames: Vec<String>,
    /// Milliseconds per stage.
    pub stages: BTreeMap<String, f64>,
    /// Search chunks and definitions considered.
    pub candidates: usize,
    /// Set when search could not help (no lexical index yet, ...).
    pub notice: Option<String>,
}

/// Signals out of a task text.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Extracted {
    /// Code-like names: `snake_case`, `camelCase`, `Pascal`, dotted, in
    /// backticks or followed by `(`; in order of first appearance.
    pub identifiers: Vec<String>,
    /// Tokens that look like file paths (`a/b.py`, `b.rs:12`), the line
    /// suffix removed.
    pub paths: Vec<String>,
    /// Function names out of stack frames (`in name`, `at a.b.name(`).
    pub frames: Vec<String>,
}

/// Words too common in prose and code to point anywhere.
const STOP_WORDS: &[&str] = &[
    "the", "and", "for", "not", "but", "with", "this", "that", "from", "when", "then", "else",
    "none", "null", "true", "false", "self", "return", "def", "fn", "function", "class", "new",
    "get", "set", "int", "str", "string", "list", "dict", "error", "file", "line", "test", "tests",
    "value", "type", "data", "name", "call", "main", "init", "__init__", "self.",
];

fn is_stop(word: &str) -> bool {
    STOP_WORDS.contains(&word.to_ascii_lowercase().as_str())
}

/// Whether `tok` looks like code rather than a prose word.
fn code_like(tok: &str) -> bool {
    let body = tok.trim_start_matches('_');
    tok.contains('_') && tok.chars().any(|c| c.is_alphabetic())
        || tok.contains('.')
        || body.chars().skip(1).any(|c| c.is_uppercase()) && body.chars().any(|c| c.is_lowercase())
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Reads identifiers, paths and stack frames out of `text`.
pub(crate) fn extract(text: &str) -> Extracted {
    let mut out = Extracted::default();
    let mut seen = BTreeSet::new();
    let mut push = |list: &mut Vec<String>, s: &str| {
        if seen.insert(s.to_owned()) {
            list.push(s.to_owned());
        }
    };
    // Whitespace-separated tokens, punctuation around them trimmed.
    let tokens: Vec<&str> = text.split_whitespace().collect();
    for (i, raw) in tokens.iter().enumerate() {
        let backticked = raw.starts_with('`');
        let tok = raw.trim_matches(|c: char| {
            matches!(
                c,
                '`' | '"'
                    | '\''
                    | ','
                    | ';'
                    | '('
                    | ')'
                    | '['
                    | ']'
                    | '{'
                    | '}'
                    | '<'
                    | '>'
                    | '!'
                    | '?'
            )
        });
        // Python frames: `File "a/b.py", line 3, in name`.
        if i >= 1 && tokens[i - 1] == "in" && i >= 3 && tokens[i - 2].ends_with(',') {
            let name = tok.trim_end_matches(':');
            if !name.is_empty() && name.chars().all(is_ident_char) {
                push(&mut out.frames, name);
            }
        }
        // A path: has a `/` or a short extension, maybe `:line[:col]`
        // (also inside parentheses, as in `at f(File.java:3)`).
        let mut ext_ok = false;
        let mut path = "";
        for piece in tok.split(['(', ')']) {
            let candidate = piece
                .trim_end_matches(':')
                .split(':')
                .next()
                .unwrap_or_default()
                .trim_end_matches('.');
            let has_ext = candidate.rsplit_once('.').is_some_and(|(stem, ext)| {
                !stem.is_empty()
                    && (1..=5).contains(&ext.len())
                    && ext.chars().all(|c| c.is_ascii_alphanumeric())
                    && ext.chars().any(|c| c.is_ascii_lowercase())
            });
            if (candidate.contains('/') || has_ext)
                && candidate
                    .chars()
                    .all(|c| is_ident_char(c) || matches!(c, '/' | '.' | '-'))
                && candidate.chars().any(|c| c.is_alphabetic())
                && !candidate.starts_with("http")
            {
                push(&mut out.paths, candidate.trim_start_matches("./"));
                ext_ok = has_ext;
                path = candidate;
            }
        }
        // Java/JS frames: `at a.b.C.m(File.java:3)` or `at name (file:3:4)`.
        if i >= 1 && tokens[i - 1] == "at" {
            let head = raw.split('(').next().unwrap_or_default();
            if let Some(last) = head.rsplit('.').next()
                && !last.is_empty()
                && last.chars().all(is_ident_char)
            {
                push(&mut out.frames, last);
            }
        }
        // Identifiers inside the token (`a.b(c_d)` gives `a.b`, `c_d`).
        let followed_by_call = raw.contains('(');
        for part in tok.split(|c: char| !(is_ident_char(c) || c == '.')) {
            let part = part.trim_matches('.');
            if part.len() < 3
                || !part
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_alphabetic() || c == '_')
            {
                continue;
            }
            if part.contains('/') || is_stop(part) {
                continue;
            }
            // A dotted path that is a file name (`views.py`) is not an
            // identifier.
            if part.contains('.') && ext_ok && path.ends_with(part) {
                continue;
            }
            if code_like(part) || backticked || followed_by_call {
                push(&mut out.identifiers, part);
            }
        }
    }
    out
}

impl Reader {
    /// Definitions named `name`, with qualified name `name`, or whose
    /// qualified name ends with `.name` / `::name` (`Class.method`), with
    /// signature and doc; by path and line.
    pub fn find_definitions(&self, name: &str) -> Result<Vec<DefinitionRow>> {
        let symbols = self.lookup_symbols(name)?;
        let mut by_path: BTreeMap<&str, BTreeSet<codegraph_core::DefId>> = BTreeMap::new();
        for s in &symbols {
            by_path.entry(&s.path).or_default().insert(s.id);
        }
        let conn = self.pool().read()?;
        let mut out = Vec::new();
        for (path, ids) in by_path {
            out.extend(
                conn.definitions_in_file(path)?
                    .into_iter()
                    .filter(|d| ids.contains(&d.id)),
            );
        }
        out.sort_by(|a, b| {
            (&a.path, a.start_line, &a.qualified_name).cmp(&(
                &b.path,
                b.start_line,
                &b.qualified_name,
            ))
        });
        Ok(out)
    }

    /// Lines `start..=end` (1-based) of the file at `path` (relative to the
    /// root, or absolute inside it; confined after resolving `..` and
    /// symbolic links), at most `max_lines` of them; `end` past the end of
    /// the file is cut to it. Reads the file as it is on disk now.
    pub fn source_lines(
        &self,
        path: &str,
        start: u32,
        end: u32,
        max_lines: u32,
    ) -> Result<SourceLines> {
        if start == 0 || end < start {
            return Err(Error::InvalidRequest(format!(
                "lines {start}..{end}: lines are 1-based and the end must not be before the start"
            )));
        }
        let rel = self.relative_path(path)?;
        let abs = self.root().join(&rel);
        let bytes = crate::read_regular_file(&abs, self.options().max_file_size)?;
        if bytes[..bytes.len().min(8192)].contains(&0) {
            return Err(Error::Binary(abs));
        }
        let text = String::from_utf8_lossy(&bytes);
        let lines: Vec<&str> = text.lines().collect();
        let total = lines.len() as u32;
        if start > total.max(1) {
            return Err(Error::InvalidRequest(format!(
                "line {start} is past the end of {rel} ({total} lines)"
            )));
        }
        let end = end
            .min(total)
            .min(start.saturating_add(max_lines.max(1) - 1));
        let mut out = String::new();
        for line in &lines[(start - 1) as usize..end as usize] {
            out.push_str(line);
            out.push('\n');
        }
        Ok(SourceLines {
            path: rel,
            start_line: start,
            end_line: end,
            total_lines: total,
            text: out,
        })
    }

    /// Every reference to the definition `symbol` designates (calls,
    /// inheritance, implementations, decorators and other uses; imports are
    /// [`Reader::importers`]), optionally of one provenance only.
    pub fn references(
        &self,
        symbol: &str,
        provenance: Option<Provenance>,
    ) -> Result<Vec<Reference>> {
        let n = self.symbol_node(symbol)?;
        Ok(self
            .graph()?
            .references(n, provenance)
            .into_iter()
            .map(|(edge, from)| Reference { edge, from })
            .collect())
    }

    /// What may break if `target` changes: for a symbol, its callers up to
    /// `depth` hops and the definitions that inherit from or use it; for a
    /// file (a path in the index), the importers up to `depth` hops and the
    /// callers of its definitions. Ranked by nearness and provenance
    /// (resolved edges count double); `resolved_only` drops inferred edges.
    pub fn impact(&self, target: &str, depth: usize, resolved_only: bool) -> Result<Impact> {
        let depth = depth.max(1);
        let graph = self.graph()?;
        let provenance = resolved_only.then_some(Provenance::Resolved);
        let mut best: HashMap<(String, u32), ImpactItem> = HashMap::new();
        let mut add = |item: ImpactItem| {
            let key = (item.symbol.clone(), item.line);
            match best.get(&key) {
                Some(old) if old.score >= item.score => {}
                _ => {
                    best.insert(key, item);
                }
            }
        };
        let score = |depth: usize, p: Provenance| {
            let w = if p == Provenance::Resolved { 1.0 } else { 0.5 };
            w / depth as f64
        };
        let from_related = |r: &Related, via: ImpactVia, depth: usize| ImpactItem {
            symbol: r.symbol.clone(),
            kind: r.kind,
            path: r.path.clone(),
            line: r.line,
            depth,
            via,
            provenance: r.provenance,
            score: score(depth, r.provenance),
        };
        // Seeds: the definition, or every definition of the file.
        let (resolved_target, seeds, file) = match self.file_node(target) {
            Ok(file_node) => {
                let rel = self.relative_path(target)?;
                let ids: Vec<_> = self
                    .symbols_in_file(&rel)?
                    .into_iter()
                    .map(|d| d.id)
                    .collect();
                let seeds: Vec<_> = ids.iter().filter_map(|&id| graph.def_node(id)).collect();
                (rel, seeds, Some(file_node))
            }
            Err(_) => {
                let n = self.symbol_node(target)?;
                let name = match graph.node(n) {
                    codegraph_graph::Node::Symbol(s) => s.qualified_name.clone(),
                    _ => target.to_owned(),
                };
                (name, vec![n], None)
            }
        };
        let seed_set: std::collections::HashSet<_> = seeds.iter().copied().collect();
        for &n in &seeds {
            for r in graph.callers(n, depth, resolved_only) {
                if r.id
                    .and_then(|id| graph.def_node(id))
                    .is_some_and(|m| seed_set.contains(&m))
                {
                    continue; // the file calling itself
                }
                add(from_related(&r, ImpactVia::Calls, r.depth));
            }
            for (edge, r) in graph.references(n, provenance) {
                if edge == EdgeKind::Calls {
                    continue; // counted above
                }
                if r.id
                    .and_then(|id| graph.def_node(id))
                    .is_some_and(|m| seed_set.contains(&m))
                {
                    continue;
                }
                add(from_related(&r, ImpactVia::Uses, 1));
            }
        }
        if let Some(file_node) = file {
            // Importers, breadth first.
            let mut seen: BTreeSet<String> = BTreeSet::new();
            let mut frontier = vec![file_node];
            for d in 1..=depth {
                let mut next = Vec::new();
                for f in frontier {
                    for (path, _) in graph.importers(f) {
                        if path == resolved_target || !seen.insert(path.clone()) {
                            continue;
                        }
                        add(ImpactItem {
                            symbol: path.clone(),
                            kind: None,
                            path: path.clone(),
                            line: 0,
                            depth: d,
                            via: ImpactVia::Imports,
                            provenance: Provenance::Resolved,
                            score: score(d, Provenance::Resolved),
                        });
                        if let Some(m) = graph.path_node(&path) {
                            next.push(m);
                        }
                    }
                }
                frontier = next;
            }
        }
        let mut items: Vec<ImpactItem> = best.into_values().collect();
        items.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| (&a.path, a.line, &a.symbol).cmp(&(&b.path, b.line, &b.symbol)))
        });
        let mut files = Vec::new();
        let mut seen = BTreeSet::new();
        for i in &items {
            if seen.insert(i.path.clone()) {
                files.push(i.path.clone());
            }
        }
        Ok(Impact {
            target: resolved_target,
            items,
            files,
        })
    }

    /// Lines of the repository's files (walked as an index run walks them,
    /// read as they are on disk) containing the words of `query`, best
    /// first (most distinct words, then path and line), at most `limit`.
    /// For answering before the first index run has built the lexical
    /// index; reads at most [`MAX_SCAN_BYTES`] and stops at `deadline`.
    pub fn scan(&self, query: &str, limit: usize, deadline: Option<Instant>) -> Result<Scan> {
        let words: Vec<String> = {
            let mut w: Vec<String> = query
                .split(|c: char| !is_ident_char(c))
                .filter(|w| w.len() >= 2)
                .map(str::to_lowercase)
                .collect();
            w.sort();
            w.dedup();
            w.truncate(32);
            w
        };
        if words.is_empty() {
            return Err(Error::InvalidRequest(
                "the query has no word of two or more letters or digits".into(),
            ));
        }
        let walked = crate::indexer::walk::walk(self.root(), self.options(), self.index_dir());
        let mut candidates = walked.candidates;
        candidates.sort_by(|a, b| a.rel.cmp(&b.rel));
        let mut hits = Vec::new();
        let mut bytes_scanned = 0u64;
        let mut files_scanned = 0usize;
        let mut partial = false;
        for c in candidates {
            if bytes_scanned > MAX_SCAN_BYTES || deadline.is_some_and(|d| Instant::now() >= d) {
                partial = true;
                break;
            }
            let Ok(bytes) = crate::read_regular_file(&c.abs, self.options().max_file_size) else {
                continue;
            };
            bytes_scanned += bytes.len() as u64;
            files_scanned += 1;
            if bytes[..bytes.len().min(8192)].contains(&0) {
                continue;
            }
            let text = String::from_utf8_lossy(&bytes);
            for (i, line) in text.lines().enumerate() {
                let lower = line.to_lowercase();
                let matched = words.iter().filter(|w| lower.contains(w.as_str())).count();
                if matched > 0 {
                    hits.push(ScanHit {
                        path: c.rel.clone(),
                        line: i as u32 + 1,
                        text: line.trim().chars().take(200).collect(),
                        matched,
                    });
                }
            }
        }
        hits.sort_by(|a, b| {
            b.matched
                .cmp(&a.matched)
                .then_with(|| (&a.path, a.line).cmp(&(&b.path, b.line)))
        });
        hits.truncate(limit);
        Ok(Scan {
            hits,
            files_scanned,
            bytes_scanned,
            partial,
        })
    }

    /// The files and definitions a task (an issue, a bug report with a
    /// stack trace, a feature request) most likely needs changed, each with
    /// why. Composes the other answers: paths named in the text matched
    /// against the index, identifiers and stack-frame names looked up as
    /// definitions, hybrid search over the text, then the import
    /// neighbours of the best files.
    pub fn locate(&self, options: &LocateOptions) -> Result<Located> {
        let started = Instant::now();
        if options.text.trim().is_empty() {
            return Err(Error::InvalidRequest("the text is empty".into()));
        }
        let mut stages = BTreeMap::new();
        let t = Instant::now();
        let ex = extract(&options.text);
        stages.insert("extract_ms".into(), ms(t));
        let mut files: BTreeMap<String, LocatedFile> = BTreeMap::new();
        let mut defs: BTreeMap<(String, u32), (f64, LocatedDefinition)> = BTreeMap::new();
        fn file_mut<'a>(
            files: &'a mut BTreeMap<String, LocatedFile>,
            path: &str,
        ) -> &'a mut LocatedFile {
            files.entry(path.to_owned()).or_insert_with(|| LocatedFile {
                path: path.to_owned(),
                score: 0.0,
                reasons: Vec::new(),
                definitions: Vec::new(),
            })
        }
        let mut candidates = 0usize;
        // Paths named in the text.
        let t = Instant::now();
        let indexed: Vec<String> = self.files()?.into_iter().map(|f| f.path).collect();
        for p in &ex.paths {
            let matching: Vec<&String> = indexed
                .iter()
                .filter(|f| *f == p || f.ends_with(&format!("/{p}")))
                .take(4)
                .collect();
            for f in &matching {
                let lf = file_mut(&mut files, f);
                lf.score += 3.0 / matching.len() as f64;
                lf.reasons.push(format!("path `{p}` in the text"));
            }
        }
        stages.insert("paths_ms".into(), ms(t));
        // Identifiers and frames as definitions.
        let t = Instant::now();
        crate::check_deadline(options.deadline, "definitions")?;
        let names = ex
            .frames
            .iter()
            .map(|f| (f, true))
            .chain(ex.identifiers.iter().map(|i| (i, false)))
            .take(64);
        for (name, frame) in names {
            let mut found = self.lookup_symbols(name)?;
            if found.is_empty() && name.contains('.') {
                // `pkg.mod.Class.method`: the last two parts, then the last.
                let parts: Vec<&str> = name.split('.').collect();
                let tail2 = parts[parts.len().saturating_sub(2)..].join(".");
                found = self.lookup_symbols(&tail2)?;
                if found.is_empty() {
                    found = self.lookup_symbols(parts[parts.len() - 1])?;
                }
            }
            if found.is_empty() || found.len() > 8 {
                continue; // unknown, or too common to point anywhere
            }
            candidates += found.len();
            let weight = if frame { 2.5 } else { 2.0 } / found.len() as f64;
            let why = if frame {
                format!("stack frame `{name}`")
            } else {
                format!("names `{name}`")
            };
            for s in found {
                let lf = file_mut(&mut files, &s.path);
                lf.score += weight;
                if !lf.reasons.contains(&why) {
                    lf.reasons.push(why.clone());
                }
                let entry = defs.entry((s.path.clone(), s.line)).or_insert_with(|| {
                    (
                        0.0,
                        LocatedDefinition {
                            qualified_name: s.qualified_name.clone(),
                            kind: s.kind,
                            line: s.line,
                            end_line: s.end_line,
                            signature: s.signature.clone(),
                            reasons: Vec::new(),
                        },
                    )
                });
                entry.0 += weight;
                if !entry.1.reasons.contains(&why) {
                    entry.1.reasons.push(why.clone());
                }
            }
        }
        stages.insert("definitions_ms".into(), ms(t));
        // Search over the text.
        let t = Instant::now();
        crate::check_deadline(options.deadline, "search")?;
        let notice;
        let search = self.search(&SearchOptions {
            query: options.text.clone(),
            k: 20,
            mode: SearchMode::Hybrid,
            deadline: options.deadline,
            ..SearchOptions::default()
        });
        match search {
            Ok(response) => {
                notice = response.notice.clone();
                candidates += response.results.len();
                for (rank, r) in response.results.iter().enumerate() {
                    let weight = 1.5 / (1.0 + rank as f64 * 0.25);
                    let what = r
                        .symbol
                        .clone()
                        .unwrap_or_else(|| format!("lines {}-{}", r.start_line, r.end_line));
                    let why = format!("similar text: {what} (search rank {})", rank + 1);
                    let lf = file_mut(&mut files, &r.path);
                    lf.score += weight;
                    if lf
                        .reasons
                        .iter()
                        .filter(|w| w.starts_with("similar"))
                        .count()
                        < 2
                    {
                        lf.reasons.push(why.clone());
                    }
                    if let Some(sym) = &r.symbol
                        && let Some(s) = self.lookup_symbols(sym)?.into_iter().find(|s| {
                            s.path == r.path && s.line >= r.start_line && s.line <= r.end_line
                        })
                    {
                        let entry = defs.entry((s.path.clone(), s.line)).or_insert_with(|| {
                            (
                                0.0,
                                LocatedDefinition {
                                    qualified_name: s.qualified_name.clone(),
                                    kind: s.kind,
                                    line: s.line,
                                    end_line: s.end_line,
                                    signature: s.signature.clone(),
                                    reasons: Vec::new(),
                                },
                            )
                        });
                        entry.0 += weight;
                        entry
                            .1
                            .reasons
                            .push(format!("similar text (search rank {})", rank + 1));
                    }
                }
            }
            Err(Error::DeadlineExceeded(stage)) => return Err(Error::DeadlineExceeded(stage)),
            Err(e) => notice = Some(format!("search did not answer: {e}")),
        }
        stages.insert("search_ms".into(), ms(t));
        // Graph neighbours of the best files: their importers and imports
        // get a share of their score.
        let t = Instant::now();
        let mut ranked: Vec<(String, f64)> =
            files.values().map(|f| (f.path.clone(), f.score)).collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        if let Ok(graph) = self.graph() {
            for (path, score) in ranked.iter().take(3) {
                let Some(n) = graph.path_node(path) else {
                    continue;
                };
                let mut near: Vec<(String, &str)> = graph
                    .importers(n)
                    .into_iter()
                    .map(|(p, _)| (p, "imports"))
                    .chain(
                        graph
                            .imports(n)
                            .into_iter()
                            .map(|(p, _)| (p, "imported by")),
                    )
                    .filter(|(p, _)| !p.starts_with("external:"))
                    .collect();
                near.truncate(8);
                for (other, rel) in near {
                    let lf = file_mut(&mut files, &other);
                    lf.score += 0.2 * score;
                    let why = format!("graph: {rel} `{path}`");
                    if !lf.reasons.contains(&why) {
                        lf.reasons.push(why);
                    }
                }
            }
        }
        stages.insert("graph_ms".into(), ms(t));
        // Each file's definitions, best first.
        let mut scored: Vec<(String, f64, LocatedDefinition)> = defs
            .into_iter()
            .map(|((path, _), (score, mut d))| {
                d.reasons.dedup();
                (path, score, d)
            })
            .collect();
        scored.sort_by(|a, b| {
            b.1.total_cmp(&a.1)
                .then_with(|| (&a.0, a.2.line).cmp(&(&b.0, b.2.line)))
        });
        for (path, _, d) in scored {
            if let Some(f) = files.get_mut(&path)
                && f.definitions.len() < 8
            {
                f.definitions.push(d);
            }
        }
        let mut out: Vec<LocatedFile> = files.into_values().collect();
        out.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| a.path.cmp(&b.path))
        });
        out.truncate(options.k.max(1));
        stages.insert("total_ms".into(), ms(started));
        Ok(Located {
            files: out,
            identifiers: ex.identifiers,
            paths: ex.paths,
            stack_frames: ex.frames,
            stages,
            candidates,
            notice,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extracts_identifiers_paths_and_frames() {
        let text = "Checkout fails: `OrderService.place_order` raises in shop/service.py:42\n\
            Traceback (most recent call last):\n  File \"shop/repository.py\", line 10, in save_order\n\
            The cart total is wrong after applyDiscount() is called. Also see views.py";
        let ex = extract(text);
        assert!(
            ex.identifiers
                .contains(&"OrderService.place_order".to_owned()),
            "{ex:?}"
        );
        assert!(
            ex.identifiers.contains(&"applyDiscount".to_owned()),
            "{ex:?}"
        );
        assert!(ex.paths.contains(&"shop/service.py".to_owned()), "{ex:?}");
        assert!(
            ex.paths.contains(&"shop/repository.py".to_owned()),
            "{ex:?}"
        );
        assert!(ex.paths.contains(&"views.py".to_owned()), "{ex:?}");
        assert_eq!(ex.frames, vec!["save_order".to_owned()]);
        // Prose words are not identifiers.
        assert!(
            !ex.identifiers
                .iter()
                .any(|i| i == "Checkout" || i == "fails")
        );
        assert!(!ex.identifiers.iter().any(|i| i == "views.py"), "{ex:?}");
    }

    #[test]
    fn java_frames() {
        let ex = extract("java.lang.NullPointerException\n\tat com.acme.Cart.total(Cart.java:31)");
        assert_eq!(ex.frames, vec!["total".to_owned()]);
        assert!(ex.paths.contains(&"Cart.java".to_owned()), "{ex:?}");
    }
}
