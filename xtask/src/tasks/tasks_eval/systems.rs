//! The systems evaluated: each answers a task with ranked files (and, if it
//! can, definitions). A new system is one [`System`] impl added to
//! [`build`].

use super::bm25::FileCorpus;
use super::score::{FunctionHit, Ranking, simple_name};
use super::task::Task;
use anyhow::{Result, bail};
use codegraph::{LocateOptions, MapOptions, Reader, SearchMode, SearchOptions};
use std::collections::HashSet;

/// A retrieval system under evaluation.
pub trait System {
    /// The name in tables, rows and `--systems`.
    fn name(&self) -> &str;
    /// Answers `task` from the index of the task's parent tree (`reader`;
    /// `reader.root()` is the tree itself).
    fn rank(&mut self, reader: &Reader, task: &Task) -> Result<Ranking>;
    /// Whether the answer names definitions (scored by function recall).
    fn names_functions(&self) -> bool {
        false
    }
    /// The token budget of a system that shows a whole view (a map, a
    /// context pack): its coverage and tokens are reported.
    fn budget(&self) -> Option<usize> {
        None
    }
}

/// Every system, in table order.
pub const ALL: &[&str] = &[
    "hybrid",
    "lexical",
    "bm25-files",
    "map-1024",
    "map-4096",
    "locate",
    "rg",
];

/// The systems named (all of them when `names` is empty).
pub fn build(names: &[String]) -> Result<Vec<Box<dyn System>>> {
    let names: Vec<&str> = if names.is_empty() {
        ALL.to_vec()
    } else {
        names.iter().map(String::as_str).collect()
    };
    names
        .into_iter()
        .map(|n| -> Result<Box<dyn System>> {
            Ok(match n {
                "hybrid" => Box::new(Search::new("hybrid", SearchMode::Hybrid)),
                "lexical" => Box::new(Search::new("lexical", SearchMode::Lexical)),
                "bm25-files" => Box::new(Bm25Files::default()),
                "map-1024" => Box::new(Map::new(1024)),
                "map-4096" => Box::new(Map::new(4096)),
                "locate" => Box::new(Locate),
                "rg" => Box::new(Rg),
                // The hybrid pipeline without one retriever, or one alone.
                other if other.starts_with("hybrid-without-") || other.starts_with("only-") => {
                    let (retriever, alone) = match other.strip_prefix("only-") {
                        Some(r) => (r, true),
                        None => (&other["hybrid-without-".len()..], false),
                    };
                    let mut search = Search::new("", SearchMode::Hybrid);
                    search.label = other.to_owned();
                    search.retriever = Some((retriever.to_owned(), alone));
                    Box::new(search)
                }
                other => bail!(
                    "unknown system `{other}` (one of {}, hybrid-without-R, only-R)",
                    ALL.join(", ")
                ),
            })
        })
        .collect()
}

/// The token estimate of one line of output (the map's: bytes / 4 + 1).
pub fn line_tokens(line: &str) -> usize {
    line.len().div_ceil(4) + 1
}

/// Chunks asked of a search: enough for ten distinct files.
const SEARCH_DEPTH: usize = 100;

/// codegraph's `search` with the task's text; files in the order of their
/// first result, definitions in result order.
#[derive(Debug)]
pub struct Search {
    label: String,
    mode: SearchMode,
    warned: bool,
    /// A retriever (by name) left out of the pipeline, or kept alone.
    retriever: Option<(String, bool)>,
}

impl Search {
    pub fn new(name: &str, mode: SearchMode) -> Search {
        Search {
            label: name.to_owned(),
            mode,
            warned: false,
            retriever: None,
        }
    }
}

impl System for Search {
    fn name(&self) -> &str {
        &self.label
    }

    fn names_functions(&self) -> bool {
        true
    }

    fn rank(&mut self, reader: &Reader, task: &Task) -> Result<Ranking> {
        let options = SearchOptions {
            query: task.query.clone(),
            k: SEARCH_DEPTH,
            mode: self.mode,
            ..SearchOptions::default()
        };
        let response = match &self.retriever {
            None => reader.search(&options)?,
            Some((name, alone)) => {
                let mut pipeline = reader.pipeline(&options)?;
                pipeline.retain(|r| (r == name) == *alone);
                reader.search_with(&options, &pipeline)?
            }
        };
        if response.mode != self.mode && !self.warned {
            self.warned = true;
            eprintln!(
                "note: `{}` answered in {:?} mode: {}",
                self.label,
                response.mode,
                response.notice.as_deref().unwrap_or("vectors unavailable")
            );
        }
        let mut ranking = Ranking::default();
        let mut seen = HashSet::new();
        for (i, r) in response.results.iter().enumerate() {
            if !ranking.files.contains(&r.path) {
                ranking.files.push(r.path.clone());
            }
            if let Some(symbol) = &r.symbol {
                let hit = FunctionHit {
                    path: r.path.clone(),
                    name: simple_name(symbol).to_owned(),
                    start_line: r.start_line,
                    end_line: r.end_line,
                };
                if seen.insert((hit.path.clone(), symbol.clone())) {
                    ranking.functions.push(hit);
                }
            }
            // What `codegraph search` shows of the first ten results: a
            // header and the snippet.
            if i < 10 {
                let header = format!(
                    "{}:{}-{} {}",
                    r.path,
                    r.start_line,
                    r.end_line,
                    r.symbol.as_deref().unwrap_or("")
                );
                ranking.tokens_read +=
                    line_tokens(&header) + r.snippet.lines().map(line_tokens).sum::<usize>();
            }
        }
        Ok(ranking)
    }
}

/// The independent baseline: BM25 over whole files ([`super::bm25`]).
#[derive(Debug, Default)]
pub struct Bm25Files {
    corpus: FileCorpus,
}

impl System for Bm25Files {
    fn name(&self) -> &str {
        "bm25-files"
    }

    fn rank(&mut self, reader: &Reader, task: &Task) -> Result<Ranking> {
        self.corpus.refresh(reader.root())?;
        let files: Vec<String> = self
            .corpus
            .rank(&task.query)
            .into_iter()
            .take(SEARCH_DEPTH)
            .map(|(p, _)| p)
            .collect();
        let tokens_read = files.iter().take(10).map(|p| line_tokens(p)).sum();
        Ok(Ranking {
            files,
            tokens_read,
            ..Ranking::default()
        })
    }
}

/// codegraph's ranked repository map at a token budget, personalised
/// toward the files the task's text points at ([`focus_from_text`]).
#[derive(Debug)]
pub struct Map {
    name: String,
    budget: usize,
}

impl Map {
    pub fn new(budget: usize) -> Map {
        Map {
            name: format!("map-{budget}"),
            budget,
        }
    }
}

impl System for Map {
    fn name(&self) -> &str {
        &self.name
    }

    fn budget(&self) -> Option<usize> {
        Some(self.budget)
    }

    fn rank(&mut self, reader: &Reader, task: &Task) -> Result<Ranking> {
        let focus = focus_from_text(reader, &task.query)?;
        let note = format!("focus: [{}]", focus.join(", "));
        let map = reader.map(&MapOptions {
            budget_tokens: self.budget,
            focus,
            ..MapOptions::default()
        })?;
        Ok(Ranking {
            files: map.files.into_iter().map(|e| e.path).collect(),
            functions: Vec::new(),
            tokens_read: map.tokens,
            note: Some(note),
        })
    }
}

/// Files `locate` is asked for (the MCP tool's default).
const LOCATE_FILES: usize = 10;

/// codegraph's `locate` (the MCP tool an agent starts a task with) on the
/// task's text. Its tokens: the answer as the MCP tool renders it (a line
/// per file with its reasons, two per definition), then the files an agent
/// opens in the answer's order until it has read every changed file
/// ([`reading_cost`]).
#[derive(Debug)]
pub struct Locate;

impl System for Locate {
    fn name(&self) -> &str {
        "locate"
    }

    fn names_functions(&self) -> bool {
        true
    }

    fn rank(&mut self, reader: &Reader, task: &Task) -> Result<Ranking> {
        let located = reader.locate(&LocateOptions {
            text: task.query.clone(),
            k: LOCATE_FILES,
            deadline: None,
        })?;
        let mut ranking = Ranking::default();
        let mut answer = 0;
        for f in &located.files {
            ranking.files.push(f.path.clone());
            answer += line_tokens(&format!(
                "{} (score {:.2}): {}",
                f.path,
                f.score,
                f.reasons.join("; ")
            ));
            for d in &f.definitions {
                answer += line_tokens(&format!(
                    "  {}:{} {} {} — {}",
                    f.path,
                    d.line,
                    d.kind,
                    d.qualified_name,
                    d.reasons.join("; ")
                )) + line_tokens(d.signature.lines().next().unwrap_or(""));
                ranking.functions.push(FunctionHit {
                    path: f.path.clone(),
                    name: simple_name(&d.qualified_name).to_owned(),
                    start_line: d.line,
                    end_line: d.end_line,
                });
            }
        }
        let read = reading_cost(reader.root(), &ranking.files, &task.files);
        ranking.tokens_read = answer + read.tokens;
        ranking.note = Some(format!(
            "answer {answer} tokens, then {} files read ({} tokens){}",
            read.files,
            read.tokens,
            if read.complete {
                ""
            } else {
                "; not every changed file listed"
            }
        ));
        Ok(ranking)
    }
}

/// What a plain agent does without codegraph: `rg -l` for the task's
/// words (its code-like identifiers when it has any, else its longer
/// words), then reads the files in rg's order (`--sort path`) until it has
/// read every changed file. Tokens: rg's list, then that reading
/// ([`reading_cost`]).
#[derive(Debug)]
pub struct Rg;

/// Words too common in task texts to grep for.
const STOPWORDS: &[&str] = &[
    "about", "after", "again", "allow", "also", "because", "before", "being", "between", "cannot",
    "could", "does", "doesn", "error", "every", "example", "expected", "first", "from", "have",
    "instead", "issue", "like", "make", "more", "most", "need", "only", "other", "should", "since",
    "some", "still", "support", "than", "that", "their", "them", "then", "there", "these", "they",
    "this", "those", "when", "where", "which", "while", "will", "with", "without", "would",
];

/// The words an agent would grep for in `text`.
pub fn grep_words(text: &str) -> Vec<String> {
    let idents = code_identifiers(text);
    let mut words: Vec<String> = if idents.is_empty() {
        text.split(|c: char| !c.is_alphanumeric() && c != '_')
            .filter(|w| w.chars().count() >= 5)
            .map(str::to_ascii_lowercase)
            .filter(|w| !STOPWORDS.contains(&w.as_str()))
            .collect()
    } else {
        // The last part of a qualified name is what occurs in code.
        idents.iter().map(|i| simple_name(i).to_owned()).collect()
    };
    let mut seen = HashSet::new();
    words.retain(|w| seen.insert(w.clone()));
    words.truncate(12);
    words
}

impl System for Rg {
    fn name(&self) -> &str {
        "rg"
    }

    fn rank(&mut self, reader: &Reader, task: &Task) -> Result<Ranking> {
        let words = grep_words(&task.query);
        if words.is_empty() {
            return Ok(Ranking {
                note: Some("no words to grep for".into()),
                ..Ranking::default()
            });
        }
        let mut cmd = std::process::Command::new("rg");
        cmd.args(["-l", "--sort", "path", "-i", "-F"]);
        for w in &words {
            cmd.arg("-e").arg(w);
        }
        let out = cmd
            .current_dir(reader.root())
            .stderr(std::process::Stdio::null())
            .output()
            .map_err(|e| anyhow::anyhow!("cannot run `rg` ({e}): install ripgrep"))?;
        let listing = String::from_utf8_lossy(&out.stdout);
        let files: Vec<String> = listing
            .lines()
            .map(|l| l.trim_start_matches("./").to_owned())
            .collect();
        let read = reading_cost(reader.root(), &files, &task.files);
        Ok(Ranking {
            tokens_read: listing.lines().map(line_tokens).sum::<usize>() + read.tokens,
            note: Some(format!(
                "rg {} -> {} files; {} read ({} tokens){}",
                words.join(" "),
                files.len(),
                read.files,
                read.tokens,
                if read.complete {
                    ""
                } else {
                    "; not every changed file listed"
                }
            )),
            files,
            functions: Vec::new(),
        })
    }
}

/// The cost of reading files in order until every changed file is read.
#[derive(Debug, PartialEq, Eq)]
pub struct Reading {
    pub files: usize,
    pub tokens: usize,
    /// Every changed file was in the list (else all of it was read).
    pub complete: bool,
}

/// Reads `files` (paths under `root`) in order until every one of
/// `changed` that still exists has been read; tokens as the map counts
/// them, per line.
pub fn reading_cost(root: &std::path::Path, files: &[String], changed: &[String]) -> Reading {
    let mut wanted: HashSet<&str> = changed
        .iter()
        .map(String::as_str)
        .filter(|p| root.join(p).is_file())
        .collect();
    let mut reading = Reading {
        files: 0,
        tokens: 0,
        complete: wanted.is_empty(),
    };
    for f in files {
        if wanted.is_empty() {
            break;
        }
        let text = std::fs::read(root.join(f)).unwrap_or_default();
        reading.tokens += String::from_utf8_lossy(&text)
            .lines()
            .map(line_tokens)
            .sum::<usize>();
        reading.files += 1;
        wanted.remove(f.as_str());
        reading.complete = wanted.is_empty();
    }
    reading
}

/// A definition name matching more files than this says too little to
/// focus on.
const MAX_FILES_PER_NAME: usize = 3;

/// The map takes focus as files; from a task's text they are the files it
/// names (a path, or a basename with its extension) and the files defining
/// the code-like identifiers it mentions ([`code_identifiers`]) when an
/// identifier is defined in at most [`MAX_FILES_PER_NAME`] files. Empty
/// when the text points nowhere: the map is then the global one.
pub fn focus_from_text(reader: &Reader, text: &str) -> Result<Vec<String>> {
    let mut focus: Vec<String> = Vec::new();
    let words: HashSet<&str> = text
        .split(|c: char| c.is_whitespace() || "`'\"()[]{}<>,;:".contains(c))
        .map(|w| w.trim_end_matches('.'))
        .filter(|w| !w.is_empty())
        .collect();
    for f in reader.files()? {
        let base = f.path.rsplit('/').next().unwrap_or(&f.path);
        let named = words.contains(f.path.as_str())
            || (base.contains('.') && words.contains(base))
            || words.iter().any(|w| w.ends_with(&format!("/{}", f.path)));
        if named && !focus.contains(&f.path) {
            focus.push(f.path);
        }
    }
    for ident in code_identifiers(text) {
        let mut files: Vec<String> = reader
            .lookup_symbols(&ident)?
            .into_iter()
            .map(|s| s.path)
            .collect();
        files.sort();
        files.dedup();
        if files.len() <= MAX_FILES_PER_NAME {
            for f in files {
                if !focus.contains(&f) {
                    focus.push(f);
                }
            }
        }
    }
    Ok(focus)
}

/// Identifiers in `text` that read as code rather than prose: in
/// backticks, followed by `(`, qualified (`a.b`, `a::b`), or containing an
/// underscore or a lower-to-upper case change (`parse_date`, `parseDate`).
pub fn code_identifiers(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let ident = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !ident(chars[i]) {
            i += 1;
            continue;
        }
        // A run of identifier parts joined by `.` or `::`.
        let start = i;
        let mut end = i;
        loop {
            while end < chars.len() && ident(chars[end]) {
                end += 1;
            }
            let sep = if chars.get(end) == Some(&'.') {
                1
            } else if chars.get(end) == Some(&':') && chars.get(end + 1) == Some(&':') {
                2
            } else {
                0
            };
            if sep > 0 && chars.get(end + sep).is_some_and(|&c| ident(c)) {
                end += sep;
            } else {
                break;
            }
        }
        let word: String = chars[start..end].iter().collect();
        i = end;
        let before = start.checked_sub(1).map(|j| chars[j]);
        let after = chars.get(end).copied();
        let backticked = before == Some('`') && after == Some('`');
        let called = after == Some('(');
        let parts: Vec<&str> = word.split(['.', ':']).filter(|p| !p.is_empty()).collect();
        let qualified = parts.len() > 1
            && parts.iter().all(|p| {
                p.chars().count() >= 2
                    && p.chars()
                        .next()
                        .is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$')
            });
        let snake = word.trim_matches('_').contains('_');
        let camel = word
            .chars()
            .zip(word.chars().skip(1))
            .any(|(a, b)| a.is_lowercase() && b.is_uppercase());
        let starts_like_code = word
            .chars()
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$');
        if starts_like_code
            && word.chars().count() >= 3
            && (backticked || called || qualified || snake || camel)
            && !out.contains(&word)
        {
            out.push(word);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_identifiers_are_told_from_prose() {
        let text = "Fix `Console` crash when parse_date() gets None; see Table.add_row and \
                    std::fmt::Display, parseDate, e.g. the HTTP server (v1.2).";
        assert_eq!(
            code_identifiers(text),
            [
                "Console",
                "parse_date",
                "Table.add_row",
                "std::fmt::Display",
                "parseDate"
            ]
        );
        assert!(code_identifiers("A plain sentence about tables.").is_empty());
    }

    #[test]
    fn systems_are_built_by_name() {
        let all = build(&[]).unwrap();
        let names: Vec<&str> = all.iter().map(|s| s.name()).collect();
        assert_eq!(names, ALL);
        assert_eq!(all[3].budget(), Some(1024));
        assert!(all[0].names_functions() && !all[2].names_functions());
        assert!(build(&["nope".into()]).is_err());
    }

    #[test]
    fn reading_stops_at_the_last_changed_file() {
        let dir = std::env::temp_dir().join(format!("xtask-reading-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for (name, text) in [
            ("a.py", "x = 1\n"),
            ("b.py", "y = 2\nz = 3\n"),
            ("c.py", "w\n"),
        ] {
            std::fs::write(dir.join(name), text).unwrap();
        }
        let files: Vec<String> = ["a.py", "b.py", "c.py"].map(String::from).to_vec();
        let read = reading_cost(&dir, &files, &["b.py".to_owned()]);
        assert_eq!(
            read,
            Reading {
                files: 2,
                tokens: 3 + 6,
                complete: true
            }
        );
        let missed = reading_cost(&dir, &files[..1], &["c.py".to_owned()]);
        assert!(!missed.complete && missed.files == 1);
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            grep_words("Crash in `parse_date` when Table.add_row gets None"),
            ["parse_date", "add_row"]
        );
        assert_eq!(
            grep_words("Tables render badly when wrapping"),
            ["tables", "render", "badly", "wrapping"]
        );
    }
}
