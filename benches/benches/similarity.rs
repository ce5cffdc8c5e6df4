//! Similarity over real `java.base` chunks (see README.md for how to build
//! the index this reads).

use codegraph_search::similar::{Similarity, TopKQuery, jaccard, top_k};
use criterion::{Criterion, criterion_group, criterion_main};
use std::collections::HashSet;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

struct Data {
    /// 5,000 candidates: the chunks of consecutive files of one area.
    candidates: Vec<Vec<u32>>,
    /// Every chunk's text, for the naive scan.
    all_texts: Vec<String>,
    /// Query windows: 20 lines of chunks outside the candidates, as token
    /// ids and as text.
    queries: Vec<(Vec<u32>, String)>,
}

fn load() -> Data {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.bench/index-jdk/index.sqlite");
    assert!(
        root.exists(),
        "{} is missing: run `cargo xtask bench-index jdk --runs 1` first",
        root.display()
    );
    let pool = codegraph_store::ReadPool::open(&root, 1).expect("open the java.base index");
    let store = pool.read().expect("a read connection");
    let chunks = store.context_chunks().expect("chunks");
    let vocab = store.vocabulary().expect("vocabulary");
    let paths = store.file_paths().expect("paths");
    // Candidates: from the middle of the corpus (java/util/...), 5,000.
    let start = chunks
        .iter()
        .position(|c| paths[&c.file_id].starts_with("java/util/"))
        .unwrap_or(0);
    let candidates: Vec<Vec<u32>> = chunks[start..]
        .iter()
        .take(5000)
        .map(|c| c.tokens.clone())
        .collect();
    assert_eq!(
        candidates.len(),
        5000,
        "java.base has fewer chunks than expected"
    );
    let mut all_texts = Vec::with_capacity(chunks.len());
    let mut queries = Vec::new();
    let ids: Vec<codegraph_core::ChunkId> = chunks.iter().map(|c| c.id).collect();
    let details = store.chunk_details(&ids).expect("chunk texts");
    for (i, d) in details.iter().enumerate() {
        all_texts.push(d.text.clone());
        let outside = i < start || i >= start + 5000;
        if outside && i % 97 == 0 && d.text.lines().count() >= 20 && queries.len() < 64 {
            let window: String = d.text.lines().take(20).collect::<Vec<_>>().join("\n");
            let mut q: Vec<u32> = codegraph_core::tokenize(&window)
                .filter_map(|t| vocab.get(&t).copied())
                .collect();
            q.sort_unstable();
            q.dedup();
            queries.push((q, window));
        }
    }
    Data {
        candidates,
        all_texts,
        queries,
    }
}

fn query<'a>(tokens: &'a [u32]) -> TopKQuery<'a> {
    TopKQuery {
        tokens,
        unknown_tokens: 0,
        k: 8,
        similarity: Similarity::Jaccard,
        weights: &[],
        min_score: 0.0,
    }
}

/// The "before": words compared as strings with every chunk, all scores
/// sorted.
fn naive(window: &str, texts: &[String]) -> Vec<(usize, f64)> {
    let q: HashSet<String> = window
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let mut scores: Vec<(usize, f64)> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let c: HashSet<String> = t
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .map(str::to_lowercase)
                .collect();
            let inter = q.intersection(&c).count();
            (i, inter as f64 / (q.len() + c.len() - inter).max(1) as f64)
        })
        .collect();
    scores.sort_by(|a, b| b.1.total_cmp(&a.1));
    scores.truncate(8);
    scores
}

fn percentiles(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(|a, b| a.total_cmp(b));
    let at = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
    (at(0.5), at(0.99))
}

fn bench(c: &mut Criterion) {
    let data = load();
    let refs: Vec<&[u32]> = data.candidates.iter().map(Vec::as_slice).collect();
    // Percentiles first (criterion reports means and medians only).
    let mut times = Vec::new();
    for i in 0..4000 {
        let (q, _) = &data.queries[i % data.queries.len()];
        let t = Instant::now();
        black_box(top_k(&query(q), &refs));
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let (p50, p99) = percentiles(times);
    let mut naive_times = Vec::new();
    for (_, w) in data.queries.iter().take(10) {
        let t = Instant::now();
        black_box(naive(w, &data.all_texts));
        naive_times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let (n50, n99) = percentiles(naive_times);
    // Sanity: the parallel heap agrees with a plain scan.
    let (q, _) = &data.queries[0];
    let best = top_k(&query(q), &refs)[0];
    let plain = refs.iter().map(|c| jaccard(q, c)).fold(0.0f32, f32::max);
    assert_eq!(best.score, plain);
    eprintln!(
        "similarity, 5,000 java.base candidates, {} threads: p50 {p50:.3} ms  p99 {p99:.3} ms (4,000 requests)\n\
         naive string scan of all {} chunks: p50 {n50:.1} ms  p99 {n99:.1} ms  -> speed-up at p50 {:.0}x",
        rayon_threads(),
        data.all_texts.len(),
        n50 / p50
    );
    let mut g = c.benchmark_group("similarity");
    g.bench_function("token_ids_5000_parallel_heap", |b| {
        let mut i = 0;
        b.iter(|| {
            i += 1;
            top_k(&query(&data.queries[i % data.queries.len()].0), &refs)
        })
    });
    g.bench_function("token_ids_5000_one_core", |b| {
        let pool = rayon_pool(1);
        let mut i = 0;
        b.iter(|| {
            i += 1;
            pool.install(|| top_k(&query(&data.queries[i % data.queries.len()].0), &refs))
        })
    });
    g.sample_size(10);
    g.bench_function("naive_strings_all_chunks", |b| {
        b.iter(|| naive(&data.queries[0].1, &data.all_texts))
    });
    g.finish();
}

fn rayon_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn rayon_pool(n: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build()
        .expect("a thread pool")
}

criterion_group!(benches, bench);
criterion_main!(benches);
