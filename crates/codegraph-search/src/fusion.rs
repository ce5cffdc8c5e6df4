//! Reciprocal rank fusion of several ranked lists.

use codegraph_core::ChunkId;
use std::collections::HashMap;

/// One retriever's view of a fused result.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct RankScore {
    /// 1-based rank in that retriever's list.
    pub rank: usize,
    pub score: f32,
}

/// A fused result: the RRF score and its rank and score in each list it
/// is in (`ranks[i]` for list `i`).
#[derive(Debug, Clone, PartialEq)]
pub struct Fused {
    pub id: ChunkId,
    pub score: f64,
    pub ranks: Vec<Option<RankScore>>,
}

/// `score(d) = Σ weight / (k + rank(d))` over the lists a document is in;
/// `lists` are `(hits best first, weight)`. Ties break on the better rank
/// in the first list, then the id, so results are stable.
pub fn rrf(lists: &[(&[(ChunkId, f32)], f64)], k: f64) -> Vec<Fused> {
    let mut by_id: HashMap<ChunkId, Fused> = HashMap::new();
    for (l, (hits, weight)) in lists.iter().enumerate() {
        for (i, &(id, score)) in hits.iter().enumerate() {
            let e = by_id.entry(id).or_insert_with(|| Fused {
                id,
                score: 0.0,
                ranks: vec![None; lists.len()],
            });
            if e.ranks[l].is_some() {
                continue; // a list names a document once
            }
            e.score += weight / (k + (i + 1) as f64);
            e.ranks[l] = Some(RankScore { rank: i + 1, score });
        }
    }
    let mut out: Vec<Fused> = by_id.into_values().collect();
    let first_rank = |f: &Fused| {
        f.ranks
            .first()
            .copied()
            .flatten()
            .map_or(usize::MAX, |r| r.rank)
    };
    out.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| first_rank(a).cmp(&first_rank(b)))
            .then_with(|| a.id.cmp(&b.id))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &[(i64, f32)]) -> Vec<(ChunkId, f32)> {
        v.iter().map(|&(i, s)| (ChunkId(i), s)).collect()
    }

    #[test]
    fn documents_in_both_lists_rise() {
        let lexical = ids(&[(1, 9.0), (2, 8.0), (3, 7.0)]);
        let vector = ids(&[(3, 0.9), (4, 0.8)]);
        let fused = rrf(&[(&lexical, 1.0), (&vector, 1.0)], 60.0);
        let order: Vec<i64> = fused.iter().map(|f| f.id.0).collect();
        assert_eq!(
            order,
            [3, 1, 2, 4],
            "2 and 4 tie at rank 2; the lexical rank breaks it"
        );
        assert_eq!(fused[0].ranks[0].unwrap().rank, 3);
        assert_eq!(fused[0].ranks[1].unwrap().rank, 1);
        assert!(fused[3].ranks[0].is_none());
    }

    #[test]
    fn one_list_keeps_its_order() {
        let fused = rrf(&[(&ids(&[(5, 1.0), (6, 0.5)]), 1.0), (&[], 1.0)], 60.0);
        assert_eq!(fused.iter().map(|f| f.id.0).collect::<Vec<_>>(), [5, 6]);
    }

    #[test]
    fn a_third_list_adds_its_weight() {
        let a = ids(&[(1, 1.0), (2, 0.9)]);
        let b = ids(&[(2, 1.0)]);
        let fused = rrf(&[(&a, 1.0), (&[], 1.0), (&b, 2.0)], 60.0);
        assert_eq!(fused[0].id, ChunkId(2));
        assert!(fused[0].ranks[1].is_none() && fused[0].ranks[2].is_some());
    }
}
