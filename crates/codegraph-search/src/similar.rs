//! Token-id set similarity for completion context: the cursor's window and
//! each candidate chunk are sorted, de-duplicated `u32` token-id arrays
//! (made once, at index time); candidates are scored in parallel with rayon's
//! work stealing and the best `k` kept in a bounded binary heap per worker,
//! merged at the end. The whole candidate set is never sorted.

use rayon::prelude::*;
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

/// How two token sets are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Similarity {
    /// `|A ∩ B| / |A ∪ B|`.
    #[default]
    Jaccard,
    /// Jaccard with every token weighted by its inverse document frequency,
    /// so shared rare identifiers count more than shared `get`/`new`.
    WeightedJaccard,
}

impl std::str::FromStr for Similarity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "jaccard" => Ok(Similarity::Jaccard),
            "weighted" | "weighted-jaccard" => Ok(Similarity::WeightedJaccard),
            other => Err(format!(
                "unknown similarity `{other}` (jaccard, weighted-jaccard)"
            )),
        }
    }
}

/// The size of the intersection of two sorted, de-duplicated arrays.
pub fn intersection_len(a: &[u32], b: &[u32]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            Ordering::Less => i += 1,
            Ordering::Greater => j += 1,
            Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

/// Jaccard similarity of two sorted, de-duplicated arrays (0 when both are
/// empty).
pub fn jaccard(a: &[u32], b: &[u32]) -> f32 {
    let inter = intersection_len(a, b);
    let union = a.len() + b.len() - inter;
    if union == 0 {
        0.0
    } else {
        inter as f32 / union as f32
    }
}

/// Weighted Jaccard: `Σ w(A ∩ B) / Σ w(A ∪ B)`; `weight(id)` of a token id
/// (ids without a weight count 1). `a_weight` is `Σ w(A)`, computed once per
/// query.
pub fn weighted_jaccard(a: &[u32], a_weight: f32, b: &[u32], weights: &[f32]) -> f32 {
    let w = |id: u32| weights.get(id as usize).copied().unwrap_or(1.0);
    let (mut i, mut j) = (0, 0);
    let (mut inter, mut b_only) = (0.0f32, 0.0f32);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            Ordering::Less => i += 1,
            Ordering::Greater => {
                b_only += w(b[j]);
                j += 1;
            }
            Ordering::Equal => {
                inter += w(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    b_only += b[j..].iter().map(|&t| w(t)).sum::<f32>();
    let union = a_weight + b_only;
    if union <= 0.0 { 0.0 } else { inter / union }
}

/// A scored candidate: its position in the candidate slice and its score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scored {
    pub index: usize,
    pub score: f32,
}

impl Eq for Scored {}

impl Ord for Scored {
    /// By score, ties broken toward the earlier candidate (so results are
    /// deterministic whatever the work split).
    fn cmp(&self, other: &Self) -> Ordering {
        self.score
            .total_cmp(&other.score)
            .then_with(|| other.index.cmp(&self.index))
    }
}

impl PartialOrd for Scored {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A min-heap of the best `k` seen so far.
#[derive(Debug)]
struct TopK {
    k: usize,
    heap: BinaryHeap<Reverse<Scored>>,
}

impl TopK {
    fn new(k: usize) -> TopK {
        TopK {
            k,
            heap: BinaryHeap::with_capacity(k + 1),
        }
    }

    fn push(&mut self, s: Scored) {
        if self.heap.len() < self.k {
            self.heap.push(Reverse(s));
        } else if let Some(Reverse(min)) = self.heap.peek()
            && s > *min
        {
            self.heap.pop();
            self.heap.push(Reverse(s));
        }
    }

    fn merge(mut self, other: TopK) -> TopK {
        for Reverse(s) in other.heap {
            self.push(s);
        }
        self
    }
}

/// What to compare and how.
#[derive(Debug, Clone, Copy)]
pub struct TopKQuery<'a> {
    /// The query's sorted, de-duplicated token ids.
    pub tokens: &'a [u32],
    /// Query tokens outside the vocabulary: they match nothing but still
    /// count in the union.
    pub unknown_tokens: usize,
    pub k: usize,
    pub similarity: Similarity,
    /// Inverse document frequency by token id (for the weighted variant).
    pub weights: &'a [f32],
    /// Scores at or below this are dropped.
    pub min_score: f32,
}

/// The best `k` candidates by similarity to the query, best first. Scoring
/// runs on rayon's pool; each worker keeps its own heap of `k`.
pub fn top_k(query: &TopKQuery<'_>, candidates: &[&[u32]]) -> Vec<Scored> {
    if query.k == 0 || candidates.is_empty() {
        return Vec::new();
    }
    let unknown = query.unknown_tokens;
    let query_weight: f32 = match query.similarity {
        Similarity::Jaccard => 0.0,
        Similarity::WeightedJaccard => {
            let w = |id: u32| query.weights.get(id as usize).copied().unwrap_or(1.0);
            query.tokens.iter().map(|&t| w(t)).sum::<f32>() + unknown as f32 * max_weight(query)
        }
    };
    let score = |c: &[u32]| -> f32 {
        match query.similarity {
            Similarity::Jaccard => {
                let inter = intersection_len(query.tokens, c);
                let union = query.tokens.len() + unknown + c.len() - inter;
                if union == 0 {
                    0.0
                } else {
                    inter as f32 / union as f32
                }
            }
            Similarity::WeightedJaccard => {
                weighted_jaccard(query.tokens, query_weight, c, query.weights)
            }
        }
    };
    let heap = candidates
        .par_iter()
        .enumerate()
        .with_min_len(64)
        .fold(
            || TopK::new(query.k),
            |mut top, (index, c)| {
                let s = score(c);
                if s > query.min_score {
                    top.push(Scored { index, score: s });
                }
                top
            },
        )
        .reduce(|| TopK::new(query.k), TopK::merge);
    let mut out: Vec<Scored> = heap.heap.into_iter().map(|Reverse(s)| s).collect();
    out.sort_by(|a, b| b.cmp(a));
    out
}

/// The weight an unknown token gets: as rare as the rarest known one.
fn max_weight(query: &TopKQuery<'_>) -> f32 {
    query.weights.iter().copied().fold(1.0, f32::max)
}

/// Inverse document frequencies, `ln(1 + n / df)`, by token id, from each
/// document's token set.
pub fn idf_weights<'a>(docs: impl Iterator<Item = &'a [u32]>, vocabulary: usize) -> Vec<f32> {
    let mut df = vec![0u32; vocabulary];
    let mut n = 0u32;
    for d in docs {
        n += 1;
        for &t in d {
            if let Some(x) = df.get_mut(t as usize) {
                *x += 1;
            }
        }
    }
    df.into_iter()
        .map(|d| (1.0 + n as f32 / d.max(1) as f32).ln())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jaccard_of_sorted_sets() {
        assert_eq!(jaccard(&[1, 2, 3], &[2, 3, 4]), 0.5);
        assert_eq!(jaccard(&[], &[]), 0.0);
        assert_eq!(jaccard(&[1], &[1]), 1.0);
        assert_eq!(intersection_len(&[1, 5, 9], &[0, 5, 9, 10]), 2);
    }

    #[test]
    fn weighted_jaccard_favours_rare_tokens() {
        // Token 0 is common (weight 0.1), token 9 rare (weight 5).
        let mut w = vec![1.0; 10];
        w[0] = 0.1;
        w[9] = 5.0;
        let q = [0, 9];
        let qw = 5.1;
        let shares_rare = weighted_jaccard(&q, qw, &[9], &w);
        let shares_common = weighted_jaccard(&q, qw, &[0], &w);
        assert!(shares_rare > 0.9 && shares_common < 0.05);
    }

    fn naive_top_k(q: &[u32], c: &[Vec<u32>], k: usize) -> Vec<(usize, f32)> {
        let mut all: Vec<(usize, f32)> = c
            .iter()
            .enumerate()
            .map(|(i, c)| (i, jaccard(q, c)))
            .filter(|x| x.1 > 0.0)
            .collect();
        all.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        all.truncate(k);
        all
    }

    #[test]
    fn parallel_heap_equals_a_full_sort() {
        // Deterministic pseudo-random sets.
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let candidates: Vec<Vec<u32>> = (0..5000)
            .map(|_| {
                let mut v: Vec<u32> = (0..(next() % 40 + 1))
                    .map(|_| (next() % 300) as u32)
                    .collect();
                v.sort_unstable();
                v.dedup();
                v
            })
            .collect();
        let refs: Vec<&[u32]> = candidates.iter().map(Vec::as_slice).collect();
        let query: Vec<u32> = (0..300).step_by(7).collect();
        for k in [1, 10, 64] {
            let got = top_k(
                &TopKQuery {
                    tokens: &query,
                    unknown_tokens: 0,
                    k,
                    similarity: Similarity::Jaccard,
                    weights: &[],
                    min_score: 0.0,
                },
                &refs,
            );
            let want = naive_top_k(&query, &candidates, k);
            let got: Vec<(usize, f32)> = got.iter().map(|s| (s.index, s.score)).collect();
            assert_eq!(got, want, "k = {k}");
        }
    }

    #[test]
    fn unknown_query_tokens_lower_the_score() {
        let q = [1, 2];
        let c: Vec<&[u32]> = vec![&[1, 2]];
        let run = |unknown| {
            top_k(
                &TopKQuery {
                    tokens: &q,
                    unknown_tokens: unknown,
                    k: 1,
                    similarity: Similarity::Jaccard,
                    weights: &[],
                    min_score: 0.0,
                },
                &c,
            )[0]
            .score
        };
        assert_eq!(run(0), 1.0);
        assert_eq!(run(2), 0.5);
    }
}
