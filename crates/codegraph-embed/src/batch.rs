//! Length-aware batching: pure logic, no model needed.
//!
//! Padding every text of a batch to its longest member wastes compute, so
//! inputs are sorted by token length and cut into batches of similar length,
//! each bounded by a text count and a `count x padded length` token budget.
//! Results are scattered back to the caller's order.

/// Plans batches over texts with the given token `lengths`.
///
/// Returns batches of indices into `lengths`. Every index appears exactly once.
/// Indices are ordered longest first (ties by index, so the plan is
/// deterministic); a batch never holds more than `max_batch` texts, and never
/// more than `token_budget` padded tokens unless it holds a single text.
pub fn plan_batches(lengths: &[usize], max_batch: usize, token_budget: usize) -> Vec<Vec<usize>> {
    let max_batch = max_batch.max(1);
    let mut order: Vec<usize> = (0..lengths.len()).collect();
    order.sort_by(|&a, &b| lengths[b].cmp(&lengths[a]).then(a.cmp(&b)));

    let mut batches = Vec::new();
    let mut current: Vec<usize> = Vec::new();
    let mut padded_len = 0;
    for index in order {
        let len = lengths[index].max(1);
        if current.is_empty() {
            padded_len = len;
            current.push(index);
            continue;
        }
        // Sorted longest first: the batch's padded length is its first text's.
        let fits = current.len() < max_batch && (current.len() + 1) * padded_len <= token_budget;
        if fits {
            current.push(index);
        } else {
            batches.push(std::mem::take(&mut current));
            padded_len = len;
            current.push(index);
        }
    }
    if !current.is_empty() {
        batches.push(current);
    }
    batches
}

/// Total padded tokens a plan computes (for logs and tests).
pub fn padded_tokens(lengths: &[usize], batches: &[Vec<usize>]) -> usize {
    batches
        .iter()
        .map(|b| b.len() * b.iter().map(|&i| lengths[i]).max().unwrap_or(0))
        .sum()
}

/// Puts per-batch results back into input order. `results[k]` holds the
/// outputs for `batches[k]`, in that batch's order.
///
/// # Panics
///
/// If `batches` is not a partition of `0..n` (as [`plan_batches`] returns) or
/// a result list's length differs from its batch's.
pub fn scatter<T>(n: usize, batches: &[Vec<usize>], results: Vec<Vec<T>>) -> Vec<T> {
    let mut slots: Vec<Option<T>> = (0..n).map(|_| None).collect();
    for (batch, outputs) in batches.iter().zip(results) {
        assert_eq!(batch.len(), outputs.len(), "batch result count");
        for (&index, output) in batch.iter().zip(outputs) {
            slots[index] = Some(output);
        }
    }
    slots
        .into_iter()
        .map(|s| s.expect("every input belongs to exactly one batch"))
        .collect()
}

/// A prefix of `text` of at most about `max_bytes` bytes that ends right
/// before whitespace or ASCII punctuation, or all of `text` if it is short or
/// has no such place.
///
/// BERT's pre-tokenizer splits at whitespace and punctuation, so the tokens of
/// such a prefix are exactly the first tokens of the whole text: if the prefix
/// alone fills the token window, the truncated encodings are identical, and the
/// tokenizer never sees megabytes of text it would throw away.
pub fn prefix_at_boundary(text: &str, max_bytes: usize) -> &str {
    if text.len() <= max_bytes {
        return text;
    }
    let bytes = text.as_bytes();
    let mut cut = max_bytes;
    while cut > 0 {
        let b = bytes[cut];
        // ASCII bytes are always char boundaries in UTF-8.
        if b.is_ascii_whitespace() || b.is_ascii_punctuation() {
            return &text[..cut];
        }
        cut -= 1;
    }
    text
}

/// Scales `v` to unit L2 norm (a zero vector stays zero).
pub fn l2_normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

/// Cosine similarity; for unit vectors (what [`crate::Embedder::embed`]
/// returns) this is the dot product.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        dot / (na * nb)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat(batches: &[Vec<usize>]) -> Vec<usize> {
        let mut all: Vec<usize> = batches.iter().flatten().copied().collect();
        all.sort_unstable();
        all
    }

    #[test]
    fn every_index_once_and_bounds_hold() {
        let lengths: Vec<usize> = (0..500).map(|i| (i * 7919) % 256 + 1).collect();
        let batches = plan_batches(&lengths, 32, 32 * 128);
        assert_eq!(flat(&batches), (0..500).collect::<Vec<_>>());
        for b in &batches {
            assert!(!b.is_empty() && b.len() <= 32);
            let padded = b.len() * b.iter().map(|&i| lengths[i]).max().unwrap();
            assert!(b.len() == 1 || padded <= 32 * 128, "{padded}");
        }
    }

    #[test]
    fn sorting_cuts_padding() {
        // Alternating short and long texts: naive fixed batches pad everything
        // to the long length.
        let lengths: Vec<usize> = (0..64).map(|i| if i % 2 == 0 { 16 } else { 256 }).collect();
        let naive: Vec<Vec<usize>> = (0..64)
            .collect::<Vec<_>>()
            .chunks(32)
            .map(|c| c.to_vec())
            .collect();
        let planned = plan_batches(&lengths, 32, usize::MAX);
        assert_eq!(padded_tokens(&lengths, &naive), 64 * 256);
        assert_eq!(padded_tokens(&lengths, &planned), 32 * 256 + 32 * 16);
        // Each planned batch is homogeneous.
        for b in &planned {
            let first = lengths[b[0]];
            assert!(b.iter().all(|&i| lengths[i] == first));
        }
    }

    #[test]
    fn token_budget_lets_short_texts_share_bigger_batches() {
        let mut lengths = vec![256; 4];
        lengths.extend(vec![8; 40]);
        let batches = plan_batches(&lengths, 64, 1024);
        // 4 long texts fit one batch of 4 x 256; the 40 short ones one batch.
        assert_eq!(batches.len(), 2);
        assert_eq!(batches[0], vec![0, 1, 2, 3]);
        assert_eq!(batches[1].len(), 40);
    }

    #[test]
    fn oversized_text_gets_its_own_batch() {
        let batches = plan_batches(&[10, 5000, 10], 8, 100);
        assert_eq!(batches[0], vec![1]);
        assert_eq!(flat(&batches), vec![0, 1, 2]);
    }

    #[test]
    fn plan_is_deterministic_and_stable_on_ties() {
        let lengths = vec![3, 3, 3, 3, 3];
        assert_eq!(
            plan_batches(&lengths, 2, 100),
            vec![vec![0, 1], vec![2, 3], vec![4]]
        );
        assert!(plan_batches(&[], 8, 100).is_empty());
        // Zero max_batch is treated as one.
        assert_eq!(plan_batches(&[1, 1], 0, 100).len(), 2);
    }

    #[test]
    fn scatter_restores_caller_order() {
        let lengths = vec![5, 50, 20, 50, 1, 30];
        let batches = plan_batches(&lengths, 2, 1000);
        // Simulate a model whose output is "the input's length".
        let results: Vec<Vec<usize>> = batches
            .iter()
            .map(|b| b.iter().map(|&i| lengths[i]).collect())
            .collect();
        assert_eq!(scatter(lengths.len(), &batches, results), lengths);
    }

    #[test]
    fn prefix_cuts_only_at_token_boundaries() {
        assert_eq!(prefix_at_boundary("short", 100), "short");
        assert_eq!(prefix_at_boundary("abc def ghi", 6), "abc");
        assert_eq!(prefix_at_boundary("foo(bar);baz", 6), "foo");
        // No boundary: keep all of it.
        assert_eq!(prefix_at_boundary("abcdefghij", 4), "abcdefghij");
        // Multi-byte chars are never split.
        let s = "ééééé ééééé";
        let p = prefix_at_boundary(s, 13);
        assert_eq!(p, "ééééé");
    }

    #[test]
    fn normalize_and_cosine() {
        let mut v = vec![3.0, 4.0];
        l2_normalize(&mut v);
        assert!((v[0] - 0.6).abs() < 1e-6 && (v[1] - 0.8).abs() < 1e-6);
        let mut z = vec![0.0, 0.0];
        l2_normalize(&mut z);
        assert_eq!(z, vec![0.0, 0.0]);
        assert!((cosine(&[1.0, 0.0], &[0.0, 2.0])).abs() < 1e-6);
        assert!((cosine(&[1.0, 1.0], &[2.0, 2.0]) - 1.0).abs() < 1e-6);
    }
}
