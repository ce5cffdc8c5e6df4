//! Search over chunks: a BM25 index with a code-aware analyzer (tantivy),
//! and reciprocal rank fusion of ranked lists.
//!
//! This crate knows tantivy and ranking; it knows nothing of SQLite, parsing
//! or the filesystem layout of an index beyond the directory it is given.

pub mod analyzer;
pub mod bm25;
pub mod fusion;
mod readonly;
pub mod similar;
pub mod vector;

pub use bm25::{BM25_FORMAT_VERSION, Bm25Filter, Bm25Index};
pub use codegraph_core::SearchDoc;
pub use fusion::{Fused, RankScore, rrf};
pub use vector::{HnswParams, VectorAccess, VectorIndex};

use std::path::PathBuf;

/// Search errors.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index {path}: {message}")]
    Index { path: PathBuf, message: String },
    /// A reader found the index damaged; its writer rebuilds it.
    #[error("search index {path} is damaged: {message}")]
    Damaged { path: PathBuf, message: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl SearchError {
    /// Whether the error says the index is damaged.
    pub fn is_damage(&self) -> bool {
        matches!(self, SearchError::Damaged { .. })
    }
}

pub type Result<T, E = SearchError> = std::result::Result<T, E>;
