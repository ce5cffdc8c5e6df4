//! Reciprocal rank fusion of several ranked lists.

use std::collections::HashMap;

/// One retriever's view of a fused result.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct RankScore {
    /// 1-based rank in that retriever's list.
    pub rank: usize,
    pub score: f32,
}

/// A fused result: the RRF score and each retriever's rank and score.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Fused {
    pub id: i64,
    pub score: f64,
    pub lexical: Option<RankScore>,
    pub vector: Option<RankScore>,
}

/// `score(d) = Σ weight / (k + rank(d))` over the lists a document is in.
/// Ties break on the better lexical rank, then the id, so results are stable.
pub fn rrf(
    lexical: &[(i64, f32)],
    vector: &[(i64, f32)],
    k: f64,
    vector_weight: f64,
) -> Vec<Fused> {
    let mut by_id: HashMap<i64, Fused> = HashMap::new();
    for (i, &(id, score)) in lexical.iter().enumerate() {
        let e = by_id.entry(id).or_insert(Fused {
            id,
            score: 0.0,
            lexical: None,
            vector: None,
        });
        e.score += 1.0 / (k + (i + 1) as f64);
        e.lexical = Some(RankScore { rank: i + 1, score });
    }
    for (i, &(id, score)) in vector.iter().enumerate() {
        let e = by_id.entry(id).or_insert(Fused {
            id,
            score: 0.0,
            lexical: None,
            vector: None,
        });
        e.score += vector_weight / (k + (i + 1) as f64);
        e.vector = Some(RankScore { rank: i + 1, score });
    }
    let mut out: Vec<Fused> = by_id.into_values().collect();
    out.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| rank_or_max(a.lexical).cmp(&rank_or_max(b.lexical)))
            .then_with(|| a.id.cmp(&b.id))
    });
    out
}

fn rank_or_max(r: Option<RankScore>) -> usize {
    r.map_or(usize::MAX, |r| r.rank)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_in_both_lists_rise() {
        let lexical = [(1, 9.0), (2, 8.0), (3, 7.0)];
        let vector = [(3, 0.9), (4, 0.8)];
        let fused = rrf(&lexical, &vector, 60.0, 1.0);
        let ids: Vec<i64> = fused.iter().map(|f| f.id).collect();
        assert_eq!(
            ids,
            [3, 1, 2, 4],
            "2 and 4 tie at rank 2; the lexical rank breaks it"
        );
        assert_eq!(fused[0].lexical.unwrap().rank, 3);
        assert_eq!(fused[0].vector.unwrap().rank, 1);
        assert!(fused[3].lexical.is_none());
    }

    #[test]
    fn one_list_keeps_its_order() {
        let fused = rrf(&[(5, 1.0), (6, 0.5)], &[], 60.0, 1.0);
        assert_eq!(fused.iter().map(|f| f.id).collect::<Vec<_>>(), [5, 6]);
    }
}
