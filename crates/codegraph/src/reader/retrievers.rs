//! Retrievers for the parts of a query that [`understand`] recognises:
//! definitions it names (the symbol table) and text it quotes or pastes
//! (exact search over BM25 candidates).

use super::search::{Hits, Query, Retriever};
use super::understand::{lookup_names, understand};
use crate::{Reader, Result};
use codegraph_core::{ChunkId, DefId};
use codegraph_search::Bm25Filter;
use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

/// Definitions the query names: identifiers looked up in the symbol table
/// (exactly, or a dotted path by its last parts) and the functions of
/// traceback frames; each definition's first chunk, the most specific names
/// first.
pub(super) struct SymbolRetriever<'r> {
    pub(super) reader: &'r Reader,
}

/// Names defined more often than this are too common to point anywhere.
const MAX_DEFS_PER_NAME: usize = 12;

impl Retriever for SymbolRetriever<'_> {
    fn name(&self) -> &str {
        "symbols"
    }

    fn retrieve(&self, query: &Query<'_>) -> Result<Hits> {
        let t = Instant::now();
        let u = understand(query.text);
        let conn = self.reader.pool().read()?;
        let mut scores: BTreeMap<DefId, f32> = BTreeMap::new();
        let mut add = |id: DefId, score: f32| {
            let slot = scores.entry(id).or_insert(0.0);
            *slot = slot.max(score);
        };
        for frame in &u.frames {
            let Some(function) = &frame.function else {
                continue;
            };
            let last = lookup_names(function).pop().unwrap_or_default();
            for d in conn.definitions_named(&last)? {
                if d.path.ends_with(&frame.path) || frame.path.ends_with(&d.path) {
                    add(d.id, 3.0);
                }
            }
        }
        for id in &u.identifiers {
            let names = lookup_names(id);
            let mut rows = conn.definitions_named(&names[0])?;
            if rows.is_empty() && names.len() > 1 {
                // `flask.Flask.route` or `Flask.route`: the last name, whose
                // qualified name ends with the path's last two parts.
                let parts: Vec<&str> = names[0]
                    .split(['.', ':'])
                    .filter(|p| !p.is_empty())
                    .collect();
                let tail = parts[parts.len().saturating_sub(2)..].to_vec();
                rows = conn
                    .definitions_named(&names[1])?
                    .into_iter()
                    .filter(|d| {
                        let q: Vec<&str> = d
                            .qualified_name
                            .split(['.', ':'])
                            .filter(|p| !p.is_empty())
                            .collect();
                        q.ends_with(&tail)
                    })
                    .collect();
            }
            if rows.is_empty() || rows.len() > MAX_DEFS_PER_NAME {
                continue;
            }
            let score = 2.0 / rows.len() as f32;
            for d in rows {
                add(d.id, score);
            }
        }
        let defs: Vec<DefId> = scores.keys().copied().collect();
        let mut hits: Vec<(ChunkId, f32)> = conn
            .first_chunks_of(&defs)?
            .into_iter()
            .map(|(d, c)| (c, scores[&d]))
            .collect();
        hits.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        hits.truncate(query.depth);
        Ok(Hits {
            hits,
            stages: vec![("symbols".into(), ms(t))],
            filtered: false,
        })
    }
}

/// Text the query quotes or pastes, found as it is: BM25 candidates for
/// each string whose chunk contains it (whitespace runs compared as one
/// space).
pub(super) struct ExactRetriever<'r> {
    pub(super) reader: &'r Reader,
}

/// Most exact strings searched per query, and candidates checked for each.
const MAX_EXACT_STRINGS: usize = 6;
const EXACT_CANDIDATES: usize = 100;

/// The query when it is one line of 8 to 200 bytes: text a user may have
/// pasted.
pub(super) fn one_line(text: &str) -> Option<&str> {
    let t = text.trim();
    (!t.contains('\n') && (8..=200).contains(&t.len())).then_some(t)
}

/// Whether `text`, with its whitespace runs read as one space, contains
/// `words` joined by single spaces (without building that text: a pass of
/// substring search for the first word, then word-by-word checks).
fn contains_words(text: &str, words: &[&str]) -> bool {
    let Some((first, rest)) = words.split_first() else {
        return true;
    };
    if rest.is_empty() {
        return text.contains(first);
    }
    let skip_space = |at: usize| -> Option<usize> {
        let tail = &text[at..];
        let trimmed = tail.trim_start();
        (trimmed.len() < tail.len()).then_some(at + tail.len() - trimmed.len())
    };
    let matches_at = |start: usize| {
        let mut at = start + first.len();
        for (i, word) in rest.iter().enumerate() {
            let Some(next) = skip_space(at) else {
                return false;
            };
            if !text[next..].starts_with(word) {
                return false;
            }
            at = next + word.len();
            // A word inside the text is whole: whitespace after it.
            if i + 1 < rest.len() && skip_space(at).is_none() {
                return false;
            }
        }
        true
    };
    // Every occurrence of the first word, overlapping ones included.
    let mut from = 0;
    while let Some(i) = text[from..].find(first) {
        let start = from + i;
        if matches_at(start) {
            return true;
        }
        from = start + text[start..].chars().next().map_or(1, char::len_utf8);
    }
    false
}

impl Retriever for ExactRetriever<'_> {
    fn name(&self) -> &str {
        "exact"
    }

    fn retrieve(&self, query: &Query<'_>) -> Result<Hits> {
        let t = Instant::now();
        let u = understand(query.text);
        let Some(index) = self.reader.bm25()? else {
            return Ok(Hits::new(Vec::new()));
        };
        let filter = Bm25Filter {
            language: query.language.map(str::to_owned),
            kind: query.kind,
            ..Bm25Filter::default()
        };
        let all_terms = Bm25Filter {
            all_terms: true,
            ..filter.clone()
        };
        let mut best: HashMap<ChunkId, f32> = HashMap::new();
        // A one-line query is searched as it is too (a pasted message or
        // line, even when it reads like prose).
        let mut needles = u.exact.clone();
        if let Some(line) = one_line(query.text)
            && !needles.iter().any(|n| n == line)
        {
            needles.insert(0, line.to_owned());
        }
        for (n, text) in needles.iter().take(MAX_EXACT_STRINGS).enumerate() {
            let words: Vec<&str> = text.split_whitespace().collect();
            // Chunks holding every term of the text first (a chunk that
            // contains the text always does); the best-scored ones when
            // none does (terms the index splits differently).
            let mut candidates = index.search(text, EXACT_CANDIDATES, &all_terms)?;
            if candidates.is_empty() {
                candidates = index.search(text, EXACT_CANDIDATES, &filter)?;
            }
            let ids: Vec<ChunkId> = candidates.iter().map(|c| c.0).collect();
            let texts = self.reader.pool().read()?.chunk_texts(&ids)?;
            for (rank, (id, text)) in texts.iter().enumerate() {
                if contains_words(text, &words) {
                    // Earlier strings and better BM25 ranks first.
                    let score = 1.0 / (1.0 + n as f32) + 1.0 / (10.0 + rank as f32);
                    let slot = best.entry(*id).or_insert(0.0);
                    *slot = slot.max(score);
                }
            }
        }
        let mut hits: Vec<(ChunkId, f32)> = best.into_iter().collect();
        hits.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        Ok(Hits {
            hits,
            stages: vec![("exact".into(), ms(t))],
            filtered: true,
        })
    }
}

/// Whole files ranked by BM25 over their text (a second lexical index with
/// one document per file), each file standing in the list for its best
/// matching chunk. A chunk-level BM25 favours files with one dense chunk; an
/// issue's words are often spread over the file that must change.
pub(super) struct FileRetriever<'r> {
    pub(super) reader: &'r Reader,
}

/// Files ranked by the file-level index.
const FILE_DEPTH: usize = 50;
/// Chunks searched for the best chunk of each ranked file.
const FILE_CHUNK_DEPTH: usize = 500;

impl Retriever for FileRetriever<'_> {
    fn name(&self) -> &str {
        "files"
    }

    fn retrieve(&self, query: &Query<'_>) -> Result<Hits> {
        let t = Instant::now();
        let (Some(files), Some(chunks)) = (self.reader.bm25_files()?, self.reader.bm25()?) else {
            return Ok(Hits::new(Vec::new()));
        };
        let filter = Bm25Filter {
            language: query.language.map(str::to_owned),
            ..Bm25Filter::default()
        };
        let ranked = files.search_paths(query.text, FILE_DEPTH.min(query.depth), &filter, true)?;
        // The best chunk of each ranked file, by chunk-level BM25 among
        // those files' chunks only.
        let within = Bm25Filter {
            paths: ranked.iter().map(|h| h.2.clone()).collect(),
            ..filter
        };
        let mut best: HashMap<String, ChunkId> = HashMap::new();
        for (id, _, path) in chunks.search_paths(query.text, FILE_CHUNK_DEPTH, &within, true)? {
            best.entry(path).or_insert(id);
        }
        let hits = ranked
            .into_iter()
            .map(|(first, score, path)| (best.get(&path).copied().unwrap_or(first), score))
            .collect();
        Ok(Hits {
            hits,
            stages: vec![("files".into(), ms(t))],
            filtered: true,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{contains_words, one_line};

    fn squashed_contains(text: &str, needle: &str) -> bool {
        let squash = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
        squash(text).contains(&squash(needle))
    }

    #[test]
    fn words_match_across_any_whitespace_as_squashed_text_would() {
        let text = "fn run() {\n    let x =   call(a,\n\t b);\n}  ";
        for needle in [
            "let x = call(a, b);",
            "x = call(a,",
            "un() { let",
            "et x",
            "b);\n}",
            "call(a, b); }",
            "call(a,b)",
            "let  y",
            "fn run() { let x = call(a, b); } extra",
            "",
        ] {
            let words: Vec<&str> = needle.split_whitespace().collect();
            assert_eq!(
                contains_words(text, &words),
                squashed_contains(text, needle),
                "{needle:?}"
            );
        }
        assert!(contains_words("a b a b c", &["a", "b", "c"]));
        assert!(!contains_words("ab c", &["b", "c", "d"]));
        // Overlapping occurrences of the first word.
        assert!(contains_words("aaa b", &["aa", "b"]));
    }

    #[test]
    fn one_line_queries_are_pasted_text() {
        assert_eq!(
            one_line("  http: Server closed \n"),
            Some("http: Server closed")
        );
        assert_eq!(one_line("two\nlines of text"), None);
        assert_eq!(one_line("short"), None);
        assert_eq!(one_line(&"x".repeat(201)), None);
    }
}
