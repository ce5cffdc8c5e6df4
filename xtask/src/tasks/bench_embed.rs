//! `cargo xtask bench-embed [N]`: embedding throughput on N chunks of
//! java.base, the default settings beside the naive ones.

use super::corpus::corpus;
use crate::util::bench_dir;
use anyhow::Result;
use std::time::Instant;

pub fn bench_embed(n: usize) -> Result<()> {
    use codegraph::embedding::{Embedder, ModelConfig, default_data_dir, install};
    use codegraph::{Codegraph, IndexOptions, NoProgress};
    let root = corpus("jdk")?;
    let idx = bench_dir().join("index-jdk");
    let mut cg = Codegraph::open(
        &root,
        IndexOptions {
            index_dir: Some(idx),
            ..IndexOptions::default()
        },
    )?;
    cg.index(&NoProgress)?;
    let jobs = cg.embedding_inputs("bench-embed/none", n)?;
    let texts: Vec<&str> = jobs.iter().map(String::as_str).collect();
    install(&default_data_dir())?;
    let defaults = ModelConfig::from_data_dir(&default_data_dir());
    let naive = ModelConfig {
        max_tokens: 256,
        max_batch: 32,
        batch_token_budget: 32 * 256,
        int8_activations: false,
        ..defaults.clone()
    };
    println!(
        "== bench-embed: {} chunks of java.base (path + signature + chunk text), 2 cores",
        texts.len()
    );
    for (label, config) in [("default", &defaults), ("naive", &naive)] {
        let embedder = Embedder::load(config)?;
        let t = Instant::now();
        let vectors = embedder.embed(&texts)?;
        let secs = t.elapsed().as_secs_f64();
        println!(
            "{label:<8} window {:>3}  int8 activations {:<5}  {:>6.1} chunks/s  ({} vectors in {:.1} s)",
            config.max_tokens,
            config.int8_activations,
            vectors.len() as f64 / secs,
            vectors.len(),
            secs
        );
    }
    Ok(())
}
