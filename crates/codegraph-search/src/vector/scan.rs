//! The scan copy of a vector index: every point's vector normalised and
//! quantised to one signed byte per dimension with one scale per point,
//! in point order, searched exactly by a parallel scan.
//!
//! A quarter of the size of the vectors and with no graph to rebuild, it
//! opens in milliseconds: what a process that answers one query and exits
//! wants, where loading the HNSW graph costs more than every query it will
//! ever run. Its answers are exact up to the quantisation (a cosine error
//! of about 1/127 per dimension's share).
//!
//! File layout, per point: the scale (`f32`, little endian), then `dim`
//! bytes (`i8`).

use rayon::prelude::*;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// Points per parallel task of a search.
const ROWS_PER_TASK: usize = 4096;

/// Quantised, normalised vectors, one row per point.
#[derive(Debug, Clone, Default)]
pub(super) struct Scan {
    dim: usize,
    /// `dim` bytes per point.
    rows: Vec<i8>,
    /// Per point: what one unit of its bytes is worth.
    scales: Vec<f32>,
}

/// A point and its score, ordered so that a `BinaryHeap` keeps the worst
/// on top.
#[derive(Debug, Clone, Copy)]
struct Hit(f32, usize);

impl PartialEq for Hit {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Hit {}
impl PartialOrd for Hit {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Hit {
    /// Better is smaller: higher score, then lower position.
    fn cmp(&self, other: &Self) -> Ordering {
        other.0.total_cmp(&self.0).then(self.1.cmp(&other.1))
    }
}

/// Keeps `hit` if it is among the `k` best in `heap` (whose top is the
/// worst kept).
fn offer(heap: &mut BinaryHeap<Hit>, hit: Hit, k: usize) {
    if heap.len() < k {
        heap.push(hit);
    } else if heap.peek().is_some_and(|worst| hit < *worst) {
        heap.pop();
        heap.push(hit);
    }
}

/// `v` normalised to unit length and quantised: (bytes, scale).
fn quantise(v: &[f32]) -> (Vec<i8>, f32) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    let top = v.iter().fold(0f32, |m, x| m.max(x.abs()));
    if norm == 0.0 || top == 0.0 || !norm.is_finite() {
        return (vec![0; v.len()], 0.0);
    }
    let step = top / norm / 127.0;
    let bytes = v
        .iter()
        .map(|x| (x / norm / step).round().clamp(-127.0, 127.0) as i8)
        .collect();
    (bytes, step)
}

/// The integer dot product of two rows (exact: at most 127² per term).
fn dot(a: &[i8], b: &[i8]) -> i32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| i32::from(*x) * i32::from(*y))
        .sum()
}

impl Scan {
    pub(super) fn new(dim: usize) -> Scan {
        Scan {
            dim,
            ..Scan::default()
        }
    }

    /// `count` zero rows (which match nothing) to [`Scan::set`].
    pub(super) fn zeroed(dim: usize, count: usize) -> Scan {
        Scan {
            dim,
            rows: vec![0; count * dim],
            scales: vec![0.0; count],
        }
    }

    /// Sets the point at `at` (ignored out of range or of another
    /// dimension).
    pub(super) fn set(&mut self, at: usize, v: &[f32]) {
        if at < self.len() && v.len() == self.dim {
            let (bytes, scale) = quantise(v);
            self.rows[at * self.dim..(at + 1) * self.dim].copy_from_slice(&bytes);
            self.scales[at] = scale;
        }
    }

    pub(super) fn len(&self) -> usize {
        self.scales.len()
    }

    /// Appends a point (a vector of another dimension is a zero row, which
    /// matches nothing).
    pub(super) fn push(&mut self, v: &[f32]) {
        let (bytes, scale) = if v.len() == self.dim {
            quantise(v)
        } else {
            (vec![0; self.dim], 0.0)
        };
        self.rows.extend(bytes);
        self.scales.push(scale);
    }

    /// The bytes of the scan file.
    pub(super) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.len() * (4 + self.dim));
        for (row, scale) in self.rows.chunks_exact(self.dim.max(1)).zip(&self.scales) {
            out.extend(scale.to_le_bytes());
            out.extend(row.iter().map(|b| *b as u8));
        }
        out
    }

    /// The scan of `count` points of `dim` dimensions written by
    /// [`Scan::encode`]; `None` when the length does not match.
    pub(super) fn decode(bytes: &[u8], dim: usize, count: usize) -> Option<Scan> {
        if dim == 0 || bytes.len() != count * (4 + dim) {
            return None;
        }
        let mut scan = Scan::new(dim);
        scan.rows.reserve(count * dim);
        scan.scales.reserve(count);
        for rec in bytes.chunks_exact(4 + dim) {
            let scale = f32::from_le_bytes(rec[..4].try_into().expect("4 bytes"));
            if !scale.is_finite() {
                return None;
            }
            scan.scales.push(scale);
            scan.rows.extend(rec[4..].iter().map(|b| *b as i8));
        }
        Some(scan)
    }

    /// The `k` points nearest `query` by cosine similarity among those
    /// `live` keeps, best first: (position, similarity).
    pub(super) fn nearest(
        &self,
        query: &[f32],
        k: usize,
        live: impl Fn(usize) -> bool + Sync,
    ) -> Vec<(usize, f32)> {
        if query.len() != self.dim || k == 0 || self.scales.is_empty() {
            return Vec::new();
        }
        let (q, q_scale) = quantise(query);
        let best = |start: usize, rows: &[i8]| -> BinaryHeap<Hit> {
            let mut heap = BinaryHeap::with_capacity(k + 1);
            for (i, row) in rows.chunks_exact(self.dim).enumerate() {
                let at = start + i;
                if !live(at) {
                    continue;
                }
                let score = dot(&q, row) as f32 * q_scale * self.scales[at];
                offer(&mut heap, Hit(score, at), k);
            }
            heap
        };
        let mut all: Vec<Hit> = self
            .rows
            .par_chunks(ROWS_PER_TASK * self.dim)
            .enumerate()
            .map(|(task, rows)| best(task * ROWS_PER_TASK, rows))
            .reduce(BinaryHeap::new, |mut a, b| {
                for hit in b {
                    offer(&mut a, hit, k);
                }
                a
            })
            .into_vec();
        all.sort();
        all.into_iter().map(|Hit(s, at)| (at, s)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cosine(a: &[f32], b: &[f32]) -> f32 {
        let n = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
        a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>() / (n(a) * n(b))
    }

    fn points(n: usize, dim: usize) -> Vec<Vec<f32>> {
        // Deterministic pseudo-random vectors of varied lengths (not
        // normalised: the scan must normalise them itself).
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        (0..n)
            .map(|i| {
                (0..dim)
                    .map(|_| {
                        state ^= state << 13;
                        state ^= state >> 7;
                        state ^= state << 17;
                        ((state % 2000) as f32 / 1000.0 - 1.0) * (1.0 + (i % 3) as f32)
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn the_scan_ranks_as_exact_cosine_does_and_survives_its_file() {
        let dim = 24;
        let pts = points(5000, dim);
        let mut scan = Scan::new(dim);
        for p in &pts {
            scan.push(p);
        }
        let scan = Scan::decode(&scan.encode(), dim, pts.len()).expect("decodes");
        let query = &pts[1234];
        let got = scan.nearest(query, 5, |_| true);
        let mut exact: Vec<(usize, f32)> = pts
            .iter()
            .enumerate()
            .map(|(i, p)| (i, cosine(query, p)))
            .collect();
        exact.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        assert_eq!(got.len(), 5);
        assert_eq!(got[0].0, 1234, "the point itself first: {got:?}");
        assert!((got[0].1 - 1.0).abs() < 0.02, "{got:?}");
        // Quantisation moves scores by little: each answer's exact score is
        // within a hair of the exact fifth best.
        for (at, score) in &got {
            let truth = cosine(query, &pts[*at]);
            assert!((truth - score).abs() < 0.02, "{at}: {truth} vs {score}");
            assert!(truth >= exact[4].1 - 0.02, "{at} is not among the nearest");
        }
    }

    #[test]
    fn removed_points_are_skipped_and_bad_files_refused() {
        let dim = 8;
        let pts = points(100, dim);
        let mut scan = Scan::new(dim);
        for p in &pts {
            scan.push(p);
        }
        let got = scan.nearest(&pts[7], 3, |at| at != 7);
        assert!(got.iter().all(|(at, _)| *at != 7), "{got:?}");
        assert_eq!(got.len(), 3);
        let bytes = scan.encode();
        assert!(Scan::decode(&bytes[..bytes.len() - 1], dim, 100).is_none());
        assert!(Scan::decode(&bytes, dim, 99).is_none());
        let mut nan = bytes.clone();
        nan[..4].copy_from_slice(&f32::NAN.to_le_bytes());
        assert!(Scan::decode(&nan, dim, 100).is_none());
        // A query of the wrong dimension, or k = 0, finds nothing.
        assert!(scan.nearest(&[1.0; 3], 3, |_| true).is_empty());
        assert!(scan.nearest(&pts[0], 0, |_| true).is_empty());
    }
}
