//! Similarity, as the reference design does it: rank files by how related
//! they are to the current one, keep the top `max_files`, gather their
//! chunks into at most `max_candidates`, compare the token-id set of the
//! window before the cursor with each candidate's in parallel, keep the
//! best in a heap; then the best-matching lines of each hit.

use super::corpus::{Corpus, CorpusFile, name_tokens};
use super::{ContextRequest, Snippet};
use crate::{Reader, Result};
use codegraph_core::{ChunkId, dir_of};
use codegraph_search::similar::{TopKQuery, top_k};
use std::collections::{HashMap, HashSet};
use std::ops::RangeInclusive;

/// Relatedness of `g` to the current file; higher is closer.
fn relatedness(
    current: &CorpusFile,
    g: &CorpusFile,
    g_index: usize,
    recent: &HashMap<usize, usize>,
    now_ns: i64,
) -> f64 {
    let mut s = 0.0;
    // Shared imports.
    let (a, b) = (&current.imports, &g.imports);
    if !a.is_empty() && !b.is_empty() {
        let (mut i, mut j, mut inter) = (0, 0, 0usize);
        while i < a.len() && j < b.len() {
            match a[i].cmp(&b[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    inter += 1;
                    i += 1;
                    j += 1;
                }
            }
        }
        s += 3.0 * inter as f64 / (a.len() + b.len() - inter) as f64;
    }
    // Path: same directory, shared directory prefix, similar file names
    // (UserService ~ UserServiceImpl ~ UserController).
    if current.dir == g.dir {
        s += 1.0;
    } else {
        let (ca, cb): (Vec<&str>, Vec<&str>) =
            (current.dir.split('/').collect(), g.dir.split('/').collect());
        let common = ca.iter().zip(&cb).take_while(|(x, y)| x == y).count();
        s += 0.5 * common as f64 / ca.len().max(cb.len()).max(1) as f64;
    }
    let (na, nb) = (&current.name_tokens, &g.name_tokens);
    if !na.is_empty() && !nb.is_empty() {
        let inter = na.iter().filter(|t| nb.binary_search(t).is_ok()).count();
        s += 2.0 * inter as f64 / (na.len() + nb.len() - inter) as f64;
    }
    // The graph: one import away.
    if current.linked.binary_search(&g_index).is_ok() {
        s += 1.5;
    }
    // History: files the user just edited, and files changed recently.
    if let Some(&rank) = recent.get(&g_index) {
        s += 2.0 / (1.0 + rank as f64);
    }
    let age_s = (now_ns - g.mtime_ns) as f64 / 1e9;
    if (0.0..3600.0).contains(&age_s) {
        s += 0.5 * (1.0 - age_s / 3600.0);
    }
    s
}

/// The window the editor shows around the cursor (1-based, inclusive) and
/// the text the similarity query is made of.
pub(super) struct Window<'t> {
    pub(super) shown: RangeInclusive<u32>,
    pub(super) query_text: &'t str,
    /// Lines in the window before the cursor (at least 3): the length of
    /// snippets.
    pub(super) lines: usize,
}

impl Reader {
    /// Files other than the current one that have chunks, ranked by
    /// relatedness to it (best first), at most `max_files`; and how many
    /// files were considered.
    pub(super) fn rank_files(
        &self,
        corpus: &Corpus,
        rel: &str,
        current: Option<usize>,
        request: &ContextRequest,
    ) -> (Vec<(usize, f64)>, usize) {
        let recent: HashMap<usize, usize> = request
            .recent_files
            .iter()
            .enumerate()
            .filter_map(|(i, p)| {
                let rel = self.relative_path(p).ok()?;
                corpus.by_path.get(&rel).map(|&f| (f, i))
            })
            .collect();
        let now_ns = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as i64);
        let pseudo;
        let cf = match current {
            Some(c) => &corpus.files[c],
            None => {
                pseudo = CorpusFile {
                    dir: dir_of(rel).to_owned(),
                    name_tokens: name_tokens(rel),
                    imports: Vec::new(),
                    linked: Vec::new(),
                    mtime_ns: 0,
                    chunks: 0..0,
                };
                &pseudo
            }
        };
        let mut ranked: Vec<(usize, f64)> = corpus
            .files
            .iter()
            .enumerate()
            .filter(|(i, f)| Some(*i) != current && !f.chunks.is_empty())
            .map(|(i, f)| (i, relatedness(cf, f, i, &recent, now_ns)))
            .collect();
        let considered = ranked.len() + usize::from(current.is_some());
        let keep = request.max_files.min(ranked.len());
        if keep < ranked.len() {
            ranked.select_nth_unstable_by(keep, |a, b| b.1.total_cmp(&a.1));
            ranked.truncate(keep);
        }
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        (ranked, considered)
    }
}

/// The candidate chunks: the current file's first (outside the window the
/// editor shows), then the related files' in rank order, at most
/// `max_candidates`; and how many files gave candidates.
pub(super) fn gather(
    corpus: &Corpus,
    current: Option<usize>,
    ranked: &[(usize, f64)],
    shown: &RangeInclusive<u32>,
    max_candidates: usize,
) -> (Vec<usize>, usize) {
    let mut candidates: Vec<usize> = Vec::with_capacity(max_candidates);
    let mut files_kept = 0;
    let order = current.into_iter().chain(ranked.iter().map(|r| r.0));
    'files: for f in order {
        files_kept += 1;
        for c in corpus.files[f].chunks.clone() {
            if candidates.len() == max_candidates {
                break 'files;
            }
            let ch = &corpus.chunks[c];
            if Some(f) == current && ch.start_line <= *shown.end() && *shown.start() <= ch.end_line
            {
                continue;
            }
            candidates.push(c);
        }
    }
    (candidates, files_kept)
}

/// The best `2k` candidates for the query window: `(candidate index,
/// score)`.
pub(super) fn score(
    corpus: &Corpus,
    candidates: &[usize],
    query_text: &str,
    request: &ContextRequest,
) -> Vec<(usize, f32)> {
    let (query, unknown) = corpus.query_tokens(query_text);
    let slices: Vec<&[u32]> = candidates.iter().map(|&c| corpus.chunk_tokens(c)).collect();
    top_k(
        &TopKQuery {
            tokens: &query,
            unknown_tokens: unknown,
            k: request.k * 2,
            similarity: request.similarity,
            weights: &corpus.idf,
            min_score: 0.0,
        },
        &slices,
    )
    .into_iter()
    .map(|h| (h.index, h.score))
    .collect()
}

impl Reader {
    /// The hits as snippets: each chunk's lines that best match the query
    /// (or, with `continuation`, the lines after them), in one snapshot.
    pub(super) fn snippets(
        &self,
        chunk_ids: &[(ChunkId, f32)],
        window: &Window<'_>,
        continuation: bool,
    ) -> Result<Vec<Snippet>> {
        let ids: Vec<ChunkId> = chunk_ids.iter().map(|h| h.0).collect();
        let details = self.pool().snapshot()?.chunk_details(&ids)?;
        let by_id: HashMap<ChunkId, &codegraph_store::ChunkDetail> =
            details.iter().map(|d| (d.id, d)).collect();
        let query_set: HashSet<String> = codegraph_core::tokenize(window.query_text).collect();
        let mut snippets = Vec::new();
        for (id, score) in chunk_ids {
            let Some(d) = by_id.get(id) else { continue };
            let (start, lines) = best_window(&d.text, window.lines, &query_set);
            let (start_line, body) = if continuation {
                self.continuation(d, start + lines.len(), window.lines)
            } else {
                (d.start_line + start as u32, lines.join("\n"))
            };
            if body.trim().is_empty() {
                continue;
            }
            let end_line = start_line + body.lines().count().max(1) as u32 - 1;
            snippets.push(Snippet {
                path: d.path.clone(),
                start_line,
                end_line,
                score: *score,
                text: body,
            });
        }
        Ok(snippets)
    }

    /// The `n` lines after line `offset` of a chunk (0-based within it),
    /// read on from the file when the chunk ends first.
    fn continuation(
        &self,
        d: &codegraph_store::ChunkDetail,
        offset: usize,
        n: usize,
    ) -> (u32, String) {
        let start_line = d.start_line + offset as u32;
        let limit = self.options().max_file_size;
        let file = crate::read_regular_file(&self.root().join(&d.path), limit)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .unwrap_or_default();
        let body: Vec<&str> = file.lines().skip(start_line as usize - 1).take(n).collect();
        (start_line, body.join("\n"))
    }
}

/// The `n` consecutive lines of `text` sharing the most sub-tokens with the
/// query: (0-based first line, lines).
pub(super) fn best_window<'t>(
    text: &'t str,
    n: usize,
    query: &HashSet<String>,
) -> (usize, Vec<&'t str>) {
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() <= n {
        return (0, lines);
    }
    let hits: Vec<usize> = lines
        .iter()
        .map(|l| {
            let set: HashSet<String> = codegraph_core::tokenize(l).collect();
            set.iter().filter(|t| query.contains(*t)).count()
        })
        .collect();
    let mut sum: usize = hits[..n].iter().sum();
    let (mut best, mut best_sum) = (0, sum);
    for i in n..lines.len() {
        sum = sum + hits[i] - hits[i - n];
        if sum > best_sum {
            best_sum = sum;
            best = i + 1 - n;
        }
    }
    (best, lines[best..best + n].to_vec())
}
