//! Where the model lives and how it is run.

use std::path::{Path, PathBuf};

use crate::pins;

/// Environment variable overriding the data directory.
pub const DATA_DIR_ENV: &str = "CODEGRAPH_DATA_DIR";

/// Default token window. Compute grows linearly with it; on 1,000 JDK methods
/// (median 84 tokens, 36 % over 128, 14 % over 256) a 128 window embeds ~1.6x
/// faster than 256 with about the same retrieval quality (javadoc sentence ->
/// method, int8: MRR 0.644 vs 0.654, R@10 0.835 vs 0.840). See the README.
pub const DEFAULT_MAX_TOKENS: usize = 128;

/// How token vectors become one sentence vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pooling {
    /// Mean over the non-padding tokens (sentence-transformers' default; right
    /// for all-MiniLM-L6-v2).
    #[default]
    Mean,
    /// The first (`[CLS]`) token.
    Cls,
}

/// Everything needed to load and run an embedding model.
///
/// The model directory must hold `model.onnx` plus `tokenizer.json`,
/// `config.json`, `special_tokens_map.json` and `tokenizer_config.json`, so a
/// user can bring another BERT-like ONNX export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelConfig {
    /// Directory with `model.onnx` and the tokenizer files.
    pub model_dir: PathBuf,
    /// Path of the ONNX Runtime shared library (>= 1.24) to load.
    pub ort_library: PathBuf,
    /// Output dimension; checked against what the model returns.
    pub dim: usize,
    /// Pooling of token vectors.
    pub pooling: Pooling,
    /// Token window: longer inputs are truncated to this many tokens
    /// (including `[CLS]`/`[SEP]`).
    pub max_tokens: usize,
    /// A stable name for the model, for cache keys and logs.
    pub model_id: String,
    /// Upper bound on texts per inference batch. Default 1: on CPU, with
    /// texts sorted by length and one thread per session, batching gained
    /// nothing measurable, and single-text runs keep each vector independent of
    /// its neighbours (with `int8_activations` a batch shares one quantization
    /// range). Raise it (8 is a good value) for sessions with several threads.
    pub max_batch: usize,
    /// Upper bound on `batch size x padded length` per inference batch.
    pub batch_token_budget: usize,
    /// Total CPU threads to use; `None` = all available cores.
    pub threads: Option<usize>,
    /// Number of ONNX Runtime sessions run in parallel; the threads are split
    /// between them. `None`: one per thread up to 4 threads, else the largest
    /// count <= 4 that divides the threads (on 2 cores, 2 sessions of 1 thread
    /// beat 1 session of 2 threads by 3-15 %).
    pub sessions: Option<usize>,
    /// Let ONNX Runtime's worker threads busy-wait between operators. Off by
    /// default: it measured no faster here, and it burns CPU that other work
    /// (parsing, an editor) could use.
    pub allow_spinning: bool,
    /// Run weight-only int8 `MatMul`s of the model as int8 GEMMs with
    /// activations quantized per call (ONNX Runtime's `DynamicQuantizeMatMul`),
    /// see [`crate::quantize`]. On by default: about twice as fast on CPU, with
    /// the same retrieval quality in our check; vectors move slightly (median
    /// cosine 0.994 to the fp32 ones) and, in batches of more than one text,
    /// depend a little on their neighbours (cosine >= 0.98). Ignored, with a
    /// warning, for models without weight-only int8 `MatMul`s.
    pub int8_activations: bool,
    /// Build the query session with ONNX Runtime's graph optimisations off
    /// (`crate::quick`): ready in about 50 ms instead of 230, each query
    /// about 15 ms slower, same vectors. For a process that embeds a query
    /// or two and exits; batches always run optimised.
    pub quick_start: bool,
}

impl ModelConfig {
    /// The default model as [`crate::install`] lays it out under `data_dir`.
    pub fn from_data_dir(data_dir: &Path) -> Self {
        let paths = crate::ModelPaths::under(data_dir);
        Self {
            model_dir: paths.model_dir,
            ort_library: paths.ort_library,
            dim: pins::DEFAULT_DIM,
            pooling: Pooling::Mean,
            max_tokens: DEFAULT_MAX_TOKENS,
            model_id: pins::DEFAULT_MODEL_ID.to_owned(),
            max_batch: 1,
            batch_token_budget: 8192,
            threads: None,
            sessions: None,
            allow_spinning: false,
            int8_activations: true,
            quick_start: false,
        }
    }

    /// A string that changes whenever the vectors for the same text could:
    /// model, pooling and token window. Use it in embedding cache keys.
    pub fn cache_tag(&self) -> String {
        let pooling = match self.pooling {
            Pooling::Mean => "mean",
            Pooling::Cls => "cls",
        };
        let precision = if self.int8_activations { "/dq8" } else { "" };
        format!(
            "{}/{pooling}/{}t{precision}",
            self.model_id, self.max_tokens
        )
    }
}

impl Default for ModelConfig {
    /// The default model under [`default_data_dir`].
    fn default() -> Self {
        Self::from_data_dir(&default_data_dir())
    }
}

/// `$CODEGRAPH_DATA_DIR` if set and non-empty, else `dirs::data_dir()/codegraph`
/// (`~/.local/share/codegraph` on Linux), else `<tmp>/codegraph` when no home
/// directory is known.
pub fn default_data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os(DATA_DIR_ENV).filter(|v| !v.is_empty()) {
        return PathBuf::from(dir);
    }
    match dirs::data_dir() {
        Some(dir) => dir.join("codegraph"),
        None => {
            let dir = std::env::temp_dir().join("codegraph");
            tracing::warn!(dir = %dir.display(), "no user data directory known; using a temporary one");
            dir
        }
    }
}
