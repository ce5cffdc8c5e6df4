//! Completion context at a cursor: the definitions the code before the
//! cursor refers to (relevance) and the repository's code most like it
//! (similarity), packed into a token budget.
//!
//! Similarity follows the reference design: rank files by relatedness to
//! the current one and keep the top `max_files`; gather their chunks into a
//! candidate set of at most `max_candidates`; compare the token-id set of
//! the window before the cursor with each candidate's (made at index time)
//! in parallel, keeping the best `k` in a heap. The token ids of every chunk
//! are loaded once per [`Reader`] and kept in memory (patched, not
//! reloaded, by [`Reader::next`]).

mod corpus;
mod cursor;
mod relevance;
mod similarity;

pub(crate) use corpus::Corpus;
pub use cursor::byte_offset;
pub(crate) use relevance::OutlineCache;

use crate::{Error, Reader, Result};
use codegraph_core::{ContextReason, DefKind};
use codegraph_lang::Registry;
use codegraph_search::similar::Similarity;
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use std::time::Instant;

/// How a column counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnEncoding {
    /// UTF-16 code units, as the Language Server Protocol counts by default.
    #[default]
    Utf16,
    /// UTF-8 bytes.
    Utf8,
    /// Unicode scalar values (code points).
    Utf32,
}

impl std::str::FromStr for ColumnEncoding {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "utf16" | "utf-16" => Ok(ColumnEncoding::Utf16),
            "utf8" | "utf-8" => Ok(ColumnEncoding::Utf8),
            "utf32" | "utf-32" => Ok(ColumnEncoding::Utf32),
            other => Err(format!(
                "unknown column encoding `{other}` (utf16, utf8, utf32)"
            )),
        }
    }
}

/// A completion context request. Positions are 0-based (line and column),
/// like the Language Server Protocol; the column counts in `encoding`.
#[derive(Debug, Clone)]
pub struct ContextRequest {
    /// The file, relative to the repository root or absolute.
    pub path: String,
    pub line: u32,
    pub column: u32,
    pub encoding: ColumnEncoding,
    /// The editor's unsaved text of the file, when it differs from disk.
    pub buffer: Option<String>,
    /// Token budget for everything returned (estimate: one token per four
    /// bytes, plus one per line).
    pub budget_tokens: usize,
    /// Snippets wanted.
    pub k: usize,
    /// Related files kept for similarity.
    pub max_files: usize,
    /// Candidate chunks compared, at most.
    pub max_candidates: usize,
    /// Lines before the cursor that make the query window.
    pub window_lines: usize,
    /// Lines after the cursor added to the query window (0: prefix only).
    pub suffix_lines: usize,
    /// Return the lines that follow the best-matching window instead of
    /// the window itself.
    pub continuation: bool,
    pub similarity: Similarity,
    /// Files the user edited recently (most recent first); they count as
    /// related.
    pub recent_files: Vec<String>,
    /// Work stops before the next stage once this passes
    /// ([`crate::Error::DeadlineExceeded`]); `None`: no deadline.
    pub deadline: Option<Instant>,
}

impl Default for ContextRequest {
    fn default() -> Self {
        ContextRequest {
            path: String::new(),
            line: 0,
            column: 0,
            encoding: ColumnEncoding::Utf16,
            buffer: None,
            budget_tokens: 2048,
            k: 8,
            max_files: 50,
            max_candidates: 5000,
            window_lines: 20,
            suffix_lines: 0,
            continuation: false,
            similarity: Similarity::Jaccard,
            recent_files: Vec::new(),
            deadline: None,
        }
    }
}

/// A definition the code at the cursor uses: its outline (a type's
/// signature and its members' signatures) or signature and doc.
#[derive(Debug, Clone, Serialize)]
pub struct Structure {
    pub path: String,
    pub start_line: u32,
    pub end_line: u32,
    pub symbol: String,
    pub kind: DefKind,
    /// Why it is here: `receiver userService`, `type User`, `call f`,
    /// `base Foo`, `enclosing Foo`.
    pub reason: ContextReason,
    pub text: String,
}

/// Code elsewhere like the code at the cursor.
#[derive(Debug, Clone, Serialize)]
pub struct Snippet {
    pub path: String,
    pub start_line: u32,
    pub end_line: u32,
    pub score: f32,
    pub text: String,
}

/// What a request cost.
#[derive(Debug, Clone, Serialize, Default)]
pub struct ContextStats {
    /// Files ranked by relatedness.
    pub files_considered: usize,
    /// Files whose chunks became candidates.
    pub files_kept: usize,
    pub candidates_scanned: usize,
    /// Identifiers before the cursor looked up.
    pub identifiers: usize,
    pub tokens_used: usize,
    /// Milliseconds per stage.
    pub stages: BTreeMap<String, f64>,
}

/// The answer to a context request.
#[derive(Debug, Clone, Serialize)]
pub struct ContextResponse {
    pub path: String,
    pub structures: Vec<Structure>,
    pub snippets: Vec<Snippet>,
    pub stats: ContextStats,
    pub took_ms: f64,
}

/// The seam for completion retrieval: the IDE-facing request. [`Reader`]
/// implements it; a team with its own ranking can wrap or replace it.
pub trait CompletionRetrieval {
    fn completion_context(&self, request: &ContextRequest) -> Result<ContextResponse>;
}

impl CompletionRetrieval for Reader {
    fn completion_context(&self, request: &ContextRequest) -> Result<ContextResponse> {
        self.context(request)
    }
}
/// Share of the budget structures may take when snippets exist.
const STRUCTURE_SHARE: f64 = 0.65;

fn stage(stats: &mut ContextStats, name: &str, t: Instant) {
    stats
        .stages
        .insert(format!("{name}_ms"), t.elapsed().as_secs_f64() * 1000.0);
}

fn validate(request: &ContextRequest) -> Result<()> {
    if request.k == 0 || request.k > 100 {
        return Err(Error::InvalidRequest(format!(
            "k must be between 1 and 100, not {}",
            request.k
        )));
    }
    if request.budget_tokens == 0 || request.budget_tokens > 1_000_000 {
        return Err(Error::InvalidRequest(format!(
            "the token budget must be between 1 and 1000000, not {}",
            request.budget_tokens
        )));
    }
    if request.max_files == 0 || request.max_candidates == 0 || request.window_lines == 0 {
        return Err(Error::InvalidRequest(
            "max_files, max_candidates and window_lines must be positive".into(),
        ));
    }
    Ok(())
}

impl Reader {
    /// Completion context at a cursor. See [`ContextRequest`].
    pub fn context(&self, request: &ContextRequest) -> Result<ContextResponse> {
        let started = Instant::now();
        let mut stats = ContextStats::default();
        validate(request)?;
        let rel = self.relative_path(&request.path)?;
        crate::check_deadline(request.deadline, "load")?;
        let t = Instant::now();
        let corpus = self.corpus()?;
        stage(&mut stats, "load", t);
        crate::check_deadline(request.deadline, "read")?;

        let t = Instant::now();
        let text = self.cursor_text(&rel, request.buffer.as_deref())?;
        let cursor = byte_offset(&text, request.line, request.column, request.encoding)?;
        let facts = self.cursor_facts(&rel, &text, request.buffer.is_some(), request.deadline)?;
        stage(&mut stats, "read", t);
        crate::check_deadline(request.deadline, "relevance")?;

        // The query window: lines before the cursor (and after, if asked).
        let line0 = request.line as usize;
        let window_start_line = line0.saturating_sub(request.window_lines - 1);
        let window_start = cursor::line_start(&text, window_start_line);
        let suffix_end = if request.suffix_lines > 0 {
            cursor::line_start(&text, line0 + 1 + request.suffix_lines)
        } else {
            cursor
        };
        let window = similarity::Window {
            // 1-based inclusive lines the editor shows around the cursor.
            shown: (window_start_line as u32 + 1)
                ..=(line0 as u32 + 1 + request.suffix_lines as u32),
            query_text: &text[window_start..suffix_end.max(cursor)],
            lines: (line0 - window_start_line + 1).max(3),
        };

        let t = Instant::now();
        let language = match &facts {
            Some(cf) => Registry::builtin().by_name(&cf.facts.language),
            None => Registry::builtin().detect(
                std::path::Path::new(&rel),
                &text.as_bytes()[..text.len().min(256)],
            ),
        };
        let before = &text[window_start..cursor];
        let uses = cursor::identifiers_before(before, 24, language);
        let chain = cursor::chain_before(before);
        stats.identifiers = uses.len();
        let structures = match &facts {
            Some(cf) => {
                let targets =
                    self.resolve_uses(corpus, &rel, cf, request.line + 1, &uses, &chain)?;
                self.structures(targets, &rel, &window.shown, language)?
            }
            None => Vec::new(),
        };
        stage(&mut stats, "relevance", t);
        crate::check_deadline(request.deadline, "rank_files")?;

        let t = Instant::now();
        let current = corpus.by_path.get(&rel).copied();
        let (ranked, considered) = self.rank_files(corpus, &rel, current, request);
        stats.files_considered = considered;
        stage(&mut stats, "rank_files", t);
        crate::check_deadline(request.deadline, "gather")?;

        let t = Instant::now();
        let (candidates, files_kept) = similarity::gather(
            corpus,
            current,
            &ranked,
            &window.shown,
            request.max_candidates,
        );
        stats.files_kept = files_kept;
        stats.candidates_scanned = candidates.len();
        stage(&mut stats, "gather", t);
        crate::check_deadline(request.deadline, "score")?;

        let t = Instant::now();
        let hits = similarity::score(corpus, &candidates, window.query_text, request);
        stage(&mut stats, "score", t);
        crate::check_deadline(request.deadline, "fetch")?;

        let t = Instant::now();
        let chunk_hits: Vec<_> = hits
            .iter()
            .map(|&(i, score)| (corpus.chunks[candidates[i]].id, score))
            .collect();
        let snippets = self.snippets(&chunk_hits, &window, request.continuation)?;
        stage(&mut stats, "fetch", t);
        crate::check_deadline(request.deadline, "pack")?;

        let t = Instant::now();
        let (structures, snippets, used) = pack(request, &rel, &window.shown, structures, snippets);
        stats.tokens_used = used;
        stage(&mut stats, "pack", t);
        Ok(ContextResponse {
            path: rel,
            structures,
            snippets,
            stats,
            took_ms: started.elapsed().as_secs_f64() * 1000.0,
        })
    }

    /// The structure completion context shows for the definition of this
    /// qualified name (the first, when several share it): a type's outline
    /// or a function's signature and doc, in its language's own syntax.
    /// `None` when no definition has that name.
    pub fn outline(&self, qualified_name: &str) -> Result<Option<String>> {
        let defs = self.pool().read()?.definitions_named(qualified_name)?;
        let Some(def) = defs
            .into_iter()
            .find(|d| d.qualified_name == qualified_name)
        else {
            return Ok(None);
        };
        let target = relevance::Target {
            reason: ContextReason::new(codegraph_core::ReasonKind::Type, &def.name),
            def,
        };
        Ok(Some(self.structure(&target, None)?.text))
    }

    /// Each target's structure, once, leaving out functions the editor
    /// already shows.
    fn structures(
        &self,
        targets: Vec<relevance::Target>,
        rel: &str,
        shown: &std::ops::RangeInclusive<u32>,
        language: Option<&codegraph_lang::Language>,
    ) -> Result<Vec<Structure>> {
        let mut structures = Vec::new();
        let mut seen_defs = HashSet::new();
        for target in targets {
            if !seen_defs.insert(target.def.id) {
                continue;
            }
            if target.def.path == rel
                && target.def.start_line <= *shown.end()
                && *shown.start() <= target.def.end_line
                && !target.def.kind.is_type_like()
            {
                continue; // the editor shows it already
            }
            structures.push(self.structure(&target, language)?);
        }
        Ok(structures)
    }
}

/// Packs structures first, then snippets, within the token budget;
/// returns what fits and the tokens used.
fn pack(
    request: &ContextRequest,
    rel: &str,
    shown: &std::ops::RangeInclusive<u32>,
    structures: Vec<Structure>,
    snippets: Vec<Snippet>,
) -> (Vec<Structure>, Vec<Snippet>, usize) {
    let mut used = 0usize;
    let cost = |path: &str, text: &str| -> usize {
        codegraph_graph::line_tokens(path)
            + text
                .lines()
                .map(codegraph_graph::line_tokens)
                .sum::<usize>()
    };
    let mut packed_structures = Vec::new();
    let structure_budget = if snippets.is_empty() {
        request.budget_tokens
    } else {
        (request.budget_tokens as f64 * STRUCTURE_SHARE) as usize
    };
    for mut s in structures {
        let mut c = cost(&s.path, &s.text);
        if used + c > structure_budget {
            // An outline too long for what is left: keep its head.
            let room = structure_budget.saturating_sub(used);
            let language = Registry::builtin().for_path(std::path::Path::new(&s.path));
            let (comment, close) = language.map_or(("//", "}"), |l| {
                (l.line_comment.as_str(), l.block_close.as_str())
            });
            match relevance::truncate_outline(
                &s.text,
                room.saturating_sub(cost(&s.path, "")),
                comment,
                close,
            ) {
                Some(t) => {
                    s.text = t;
                    c = cost(&s.path, &s.text);
                }
                None => continue,
            }
        }
        used += c;
        packed_structures.push(s);
    }
    let mut packed_snippets: Vec<Snippet> = Vec::new();
    for s in snippets {
        if packed_snippets.len() == request.k {
            break;
        }
        let overlaps =
            |p: &str, a: u32, b: u32| p == s.path && a <= s.end_line && s.start_line <= b;
        if overlaps(rel, *shown.start(), *shown.end())
            || packed_snippets
                .iter()
                .any(|o| overlaps(&o.path, o.start_line, o.end_line))
            || packed_structures
                .iter()
                .any(|o| overlaps(&o.path, o.start_line, o.end_line) && o.kind != DefKind::Class)
        {
            continue;
        }
        let c = cost(&s.path, &s.text);
        if used + c <= request.budget_tokens {
            used += c;
            packed_snippets.push(s);
        }
    }
    (packed_structures, packed_snippets, used)
}

#[cfg(test)]
mod tests {
    use super::corpus::Corpus;
    use super::cursor::identifiers_before;
    use super::similarity::best_window;
    use super::*;
    use crate::Codegraph;
    use codegraph_core::types::{clean_type, last_segment};

    /// Everything a corpus holds, independent of file order and ids of
    /// positions: what a patched corpus must share with a loaded one.
    fn canonical(c: &Corpus) -> impl PartialEq + std::fmt::Debug {
        let files: Vec<_> = c
            .files
            .iter()
            .zip(&c.paths)
            .map(|(f, path)| {
                let mut linked: Vec<&str> = f.linked.iter().map(|&i| c.paths[i].as_str()).collect();
                linked.sort_unstable();
                let chunks: Vec<_> = c.chunks[f.chunks.clone()]
                    .iter()
                    .map(|ch| {
                        (
                            ch.id,
                            ch.start_line,
                            ch.end_line,
                            c.tokens[ch.tokens.clone()].to_vec(),
                        )
                    })
                    .collect();
                (
                    path.clone(),
                    f.dir.clone(),
                    f.name_tokens.clone(),
                    f.imports.clone(),
                    linked,
                    f.mtime_ns,
                    chunks,
                )
            })
            .collect();
        let mut symbols: Vec<_> = c
            .symbols
            .iter()
            .map(|(name, defs)| {
                let mut d: Vec<_> = defs
                    .iter()
                    .map(|s| (s.id, c.paths[s.file].clone(), s.kind.as_str()))
                    .collect();
                d.sort();
                (name.clone(), d)
            })
            .collect();
        symbols.sort();
        let by: Vec<_> = c
            .paths
            .iter()
            .map(|p| (c.by_path[p], c.by_id.len()))
            .collect();
        let mut vocab: Vec<_> = c.vocab.iter().map(|(t, id)| (t.clone(), *id)).collect();
        vocab.sort();
        let idf: Vec<u32> = c.idf.iter().map(|x| x.to_bits()).collect();
        (files, symbols, by, vocab, idf)
    }

    #[test]
    fn a_patched_corpus_equals_one_loaded_after_the_same_updates() {
        let repo = tempfile::tempdir().unwrap();
        let idx = tempfile::tempdir().unwrap();
        let write = |rel: &str, text: &str| {
            let path = repo.path().join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write(
            "app/models.py",
            "class User:\n    def name(self):\n        return 'u'\n\ndef load_user(i):\n    return User()\n",
        );
        write(
            "app/service.py",
            "from app.models import User, load_user\n\ndef serve(i):\n    return load_user(i).name()\n",
        );
        write(
            "app/views.py",
            "from app.service import serve\n\ndef view(request):\n    return serve(request.id)\n",
        );
        write("util.py", "def helper(x):\n    return x * 2\n");
        let mut cg = Codegraph::open(
            repo.path(),
            crate::IndexOptions {
                index_dir: Some(idx.path().to_owned()),
                ..crate::IndexOptions::default()
            },
        )
        .unwrap();
        cg.index(&crate::NoProgress).unwrap();
        cg.reader().corpus().unwrap();
        let rounds: [&dyn Fn(); 2] = [
            &|| {
                // Edited (new definition, new import), deleted, added.
                write(
                    "app/service.py",
                    "from app.models import User, load_user\nimport util\n\ndef serve(i):\n    return load_user(i).name()\n\ndef serve_all(ids):\n    return [util.helper(serve(i)) for i in ids]\n",
                );
                std::fs::remove_file(repo.path().join("util.py")).unwrap();
                write(
                    "app/extra.py",
                    "from app.models import load_user\n\ndef extra_user():\n    return load_user(7)\n",
                );
            },
            &|| {
                write(
                    "util.py",
                    "def helper(x):\n    return x * 3\n\ndef brand_new_token_zyxw():\n    return 0\n",
                );
                write(
                    "app/views.py",
                    "from app.extra import extra_user\n\ndef view(request):\n    return extra_user()\n",
                );
            },
        ];
        for (round, change) in rounds.iter().enumerate() {
            let before = std::sync::Arc::clone(cg.reader().loaded_corpus().unwrap());
            std::thread::sleep(std::time::Duration::from_millis(20));
            change();
            let report = cg.index(&crate::NoProgress).unwrap();
            assert!(report.run.parsed > 0, "round {round}: {:?}", report.run);
            let patched = cg
                .reader()
                .loaded_corpus()
                .expect("patched, not dropped")
                .clone();
            assert!(!std::sync::Arc::ptr_eq(&before, &patched), "round {round}");
            let loaded = Corpus::load(cg.reader().pool()).unwrap();
            assert_eq!(canonical(&patched), canonical(&loaded), "round {round}");
            // The corpus a reader held is untouched.
            assert_ne!(canonical(&before), canonical(&loaded), "round {round}");
        }
        // The new token of round 2 is in the patched vocabulary.
        assert!(cg.reader().corpus().unwrap().vocab.contains_key("zyxw"));
    }

    #[test]
    fn offsets_count_utf16_or_bytes() {
        let text = "ab\nh\u{e9}\u{1F600}x\n";
        assert_eq!(byte_offset(text, 0, 2, ColumnEncoding::Utf16).unwrap(), 2);
        // 'é' is 1 UTF-16 unit / 2 bytes; the emoji 2 units / 4 bytes.
        assert_eq!(byte_offset(text, 1, 4, ColumnEncoding::Utf16).unwrap(), 10);
        assert_eq!(byte_offset(text, 1, 7, ColumnEncoding::Utf8).unwrap(), 10);
        assert!(byte_offset(text, 1, 3, ColumnEncoding::Utf16).is_err()); // inside the emoji
        assert!(byte_offset(text, 1, 9, ColumnEncoding::Utf16).is_err()); // past the line
        assert!(byte_offset(text, 5, 0, ColumnEncoding::Utf16).is_err()); // past the file
        assert_eq!(
            byte_offset(text, 2, 0, ColumnEncoding::Utf16).unwrap(),
            text.len()
        );
    }

    #[test]
    fn identifiers_nearest_first_with_their_use() {
        let window = "User u = new User();\nString s = \"userService.\";\nuserService.";
        let java = Registry::builtin().by_name("java");
        let uses = identifiers_before(window, 10, java);
        assert_eq!(uses[0].name, "userService");
        assert!(uses[0].receiver && !uses[0].call);
        let user = uses.iter().find(|u| u.name == "User").unwrap();
        assert!(user.constructed && user.call);
        // Words inside strings are not identifiers; keywords are dropped.
        assert_eq!(uses.iter().filter(|u| u.name == "userService").count(), 1);
        assert!(!uses.iter().any(|u| u.name == "new"));
    }

    #[test]
    fn types_are_cleaned() {
        let clean = |t| last_segment(clean_type(t));
        assert_eq!(clean("List<User>"), "List");
        assert_eq!(clean("&mut Session"), "Session");
        assert_eq!(clean("models.User"), "User");
        assert_eq!(clean("std::sync::Arc<Foo>"), "Arc");
        assert_eq!(clean("Foo*"), "Foo");
    }

    #[test]
    fn best_window_finds_the_matching_lines() {
        let text = "a\nb\nparse date\nformat date\nc\nd";
        let q: HashSet<String> = ["parse".into(), "date".into(), "format".into()].into();
        let (start, lines) = best_window(text, 2, &q);
        assert_eq!(start, 2);
        assert_eq!(lines, ["parse date", "format date"]);
    }
}
