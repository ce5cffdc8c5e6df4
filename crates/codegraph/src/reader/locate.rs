//! Where a task described in prose (an issue, a bug report with a stack
//! trace, a feature request) most likely needs a change: paths named in the
//! text, identifiers and stack frames looked up as definitions, hybrid
//! search over the text (chunks and whole files), then the import
//! neighbours of the best files; each file and definition with why.

use super::Reader;
use crate::{Error, Result, SearchMode, SearchOptions};
use codegraph_core::DefKind;
use codegraph_graph::Symbol;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

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

pub(super) fn is_ident_char(c: char) -> bool {
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

/// Files and definitions found so far, with their scores and reasons.
#[derive(Default)]
struct Tally {
    files: BTreeMap<String, LocatedFile>,
    defs: BTreeMap<(String, u32), (f64, LocatedDefinition)>,
    candidates: usize,
}

impl Tally {
    fn file(&mut self, path: &str) -> &mut LocatedFile {
        self.files
            .entry(path.to_owned())
            .or_insert_with(|| LocatedFile {
                path: path.to_owned(),
                score: 0.0,
                reasons: Vec::new(),
                definitions: Vec::new(),
            })
    }

    /// Adds `weight` to a file, with `why` once.
    fn credit_file(&mut self, path: &str, weight: f64, why: &str) {
        let f = self.file(path);
        f.score += weight;
        if !f.reasons.iter().any(|r| r == why) {
            f.reasons.push(why.to_owned());
        }
    }

    /// Adds `weight` to a definition, with `why` once.
    fn credit_definition(&mut self, s: &Symbol, weight: f64, why: &str) {
        let entry = self
            .defs
            .entry((s.path.clone(), s.line))
            .or_insert_with(|| {
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
        if !entry.1.reasons.iter().any(|r| r == why) {
            entry.1.reasons.push(why.to_owned());
        }
    }

    /// The files, best first, each with its best definitions; at most `k`.
    fn ranked(mut self, k: usize) -> Vec<LocatedFile> {
        let mut scored: Vec<(String, f64, LocatedDefinition)> = std::mem::take(&mut self.defs)
            .into_iter()
            .map(|((path, _), (score, d))| (path, score, d))
            .collect();
        scored.sort_by(|a, b| {
            b.1.total_cmp(&a.1)
                .then_with(|| (&a.0, a.2.line).cmp(&(&b.0, b.2.line)))
        });
        for (path, _, d) in scored {
            if let Some(f) = self.files.get_mut(&path)
                && f.definitions.len() < 8
            {
                f.definitions.push(d);
            }
        }
        let mut out: Vec<LocatedFile> = self.files.into_values().collect();
        out.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| a.path.cmp(&b.path))
        });
        out.truncate(k.max(1));
        out
    }
}

impl Reader {
    /// The files and definitions a task most likely needs changed, each
    /// with why (see the module's documentation).
    pub fn locate(&self, options: &LocateOptions) -> Result<Located> {
        let started = Instant::now();
        if options.text.trim().is_empty() {
            return Err(Error::InvalidRequest("the text is empty".into()));
        }
        let mut stages = BTreeMap::new();
        let mut stage = |name: &str, t: Instant| {
            stages.insert(format!("{name}_ms"), ms(t));
        };
        let t = Instant::now();
        let ex = extract(&options.text);
        stage("extract", t);
        let mut tally = Tally::default();
        let t = Instant::now();
        self.locate_paths(&ex, &mut tally)?;
        stage("paths", t);
        let t = Instant::now();
        crate::check_deadline(options.deadline, "definitions")?;
        self.locate_names(&ex, &mut tally)?;
        stage("definitions", t);
        let t = Instant::now();
        crate::check_deadline(options.deadline, "search")?;
        let notice = self.locate_search(options, &mut tally)?;
        stage("search", t);
        let t = Instant::now();
        self.locate_neighbours(&mut tally);
        stage("graph", t);
        let candidates = tally.candidates;
        let files = tally.ranked(options.k);
        stage("total", started);
        Ok(Located {
            files,
            identifiers: ex.identifiers,
            paths: ex.paths,
            stack_frames: ex.frames,
            stages,
            candidates,
            notice,
        })
    }

    /// Paths named in the text, matched against the indexed files.
    fn locate_paths(&self, ex: &Extracted, tally: &mut Tally) -> Result<()> {
        let indexed: Vec<String> = self.files()?.into_iter().map(|f| f.path).collect();
        for p in &ex.paths {
            let matching: Vec<&String> = indexed
                .iter()
                .filter(|f| *f == p || f.ends_with(&format!("/{p}")))
                .take(4)
                .collect();
            for f in &matching {
                tally.credit_file(
                    f,
                    3.0 / matching.len() as f64,
                    &format!("path `{p}` in the text"),
                );
            }
        }
        Ok(())
    }

    /// Identifiers and stack frames as definitions.
    fn locate_names(&self, ex: &Extracted, tally: &mut Tally) -> Result<()> {
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
            tally.candidates += found.len();
            let weight = if frame { 2.5 } else { 2.0 } / found.len() as f64;
            let why = if frame {
                format!("stack frame `{name}`")
            } else {
                format!("names `{name}`")
            };
            for s in found {
                tally.credit_file(&s.path, weight, &why);
                tally.credit_definition(&s, weight, &why);
            }
        }
        Ok(())
    }

    /// Hybrid search over the whole text; the notice when search could not
    /// help.
    fn locate_search(&self, options: &LocateOptions, tally: &mut Tally) -> Result<Option<String>> {
        let search = self.search(&SearchOptions {
            query: options.text.clone(),
            k: 20,
            mode: SearchMode::Hybrid,
            deadline: options.deadline,
            ..SearchOptions::default()
        });
        let response = match search {
            Ok(response) => response,
            Err(Error::DeadlineExceeded(stage)) => return Err(Error::DeadlineExceeded(stage)),
            Err(e) => return Ok(Some(format!("search did not answer: {e}"))),
        };
        tally.candidates += response.results.len();
        for (rank, r) in response.results.iter().enumerate() {
            let weight = 1.5 / (1.0 + rank as f64 * 0.25);
            let what = r
                .symbol
                .clone()
                .unwrap_or_else(|| format!("lines {}-{}", r.start_line, r.end_line));
            let similar = tally
                .file(&r.path)
                .reasons
                .iter()
                .filter(|w| w.starts_with("similar"))
                .count();
            let why = format!("similar text: {what} (search rank {})", rank + 1);
            // At most two search reasons per file.
            if similar < 2 {
                tally.credit_file(&r.path, weight, &why);
            } else {
                tally.file(&r.path).score += weight;
            }
            if let Some(sym) = &r.symbol
                && let Some(s) = self
                    .lookup_symbols(sym)?
                    .into_iter()
                    .find(|s| s.path == r.path && s.line >= r.start_line && s.line <= r.end_line)
            {
                let why = format!("similar text (search rank {})", rank + 1);
                tally.credit_definition(&s, weight, &why);
            }
        }
        Ok(response.notice)
    }

    /// The importers and imports of the three best files get a share of
    /// their score.
    fn locate_neighbours(&self, tally: &mut Tally) {
        let mut ranked: Vec<(String, f64)> = tally
            .files
            .values()
            .map(|f| (f.path.clone(), f.score))
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let Ok(graph) = self.graph() else {
            return;
        };
        for (path, score) in ranked.iter().take(3) {
            let Some(n) = graph.path_node(path) else {
                continue;
            };
            let near: Vec<(String, &str)> = graph
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
                .take(8)
                .collect();
            for (other, rel) in near {
                tally.credit_file(&other, 0.2 * score, &format!("graph: {rel} `{path}`"));
            }
        }
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
