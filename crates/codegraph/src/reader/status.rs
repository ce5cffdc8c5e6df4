//! The health report of an index.

use super::Reader;
use crate::indexer::watch::WatcherState;
use crate::{FORMAT_VERSION, Result};
use codegraph_store::Stats;
use serde::Serialize;
use std::path::Path;

/// The repository node: what the index knows about the repository as a whole.
#[derive(Debug, Clone, Serialize, Default)]
pub struct RepositoryInfo {
    pub root: String,
    pub remote_url: Option<String>,
    pub head_commit: Option<String>,
    pub branch: Option<String>,
    /// First paragraph of the README.
    pub readme: Option<String>,
}

/// The health report of an index.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub repository: RepositoryInfo,
    pub index_dir: String,
    pub format_version: u32,
    pub size_on_disk: u64,
    /// Unix seconds of the last completed run.
    pub last_indexed: Option<i64>,
    pub last_index_ms: Option<u64>,
    /// HEAD when the index was last completed, and HEAD now.
    pub indexed_head: Option<String>,
    pub current_head: Option<String>,
    pub stats: Stats,
    /// Whether the stored graph reflects the stored facts (false between a
    /// change and the end of its update, or after an interrupted one).
    pub graph_current: bool,
    /// Files whose search documents wait for the next update.
    pub search_pending: u64,
    /// Documents in the lexical index (`None` when it is missing or
    /// damaged: see `problems`).
    pub lexical_documents: Option<u64>,
    /// What is wrong with the index, one sentence each, with the remedy;
    /// empty when healthy.
    pub problems: Vec<String>,
    /// Embeddings of the configured model: chunks with a vector, chunks.
    pub embeddings: EmbeddingStatus,
    /// The watcher of this index, if one ever ran: its state (`dead` when
    /// its process is gone without stopping), last update, memory.
    pub watcher: Option<WatcherState>,
}

/// How far embedding has got.
#[derive(Debug, Clone, Serialize)]
pub struct EmbeddingStatus {
    /// The model's cache tag.
    pub model: String,
    /// Whether the model is installed (without it, search is lexical).
    pub installed: bool,
    pub done: u64,
    pub pending: u64,
    /// `done / chunks` (0 for an empty index).
    pub coverage: f64,
}

impl Reader {
    /// The health report, read back from the store.
    pub fn status(&self) -> Result<Status> {
        let conn = self.pool().read()?;
        let meta = conn.meta_record()?;
        let current = crate::git::read(self.root()).and_then(|g| g.head_commit);
        let config = self.model_config();
        let (done, total) = self.vector_coverage()?;
        let stats = self.stats()?;
        let mut problems = Vec::new();
        let lexical_documents = match self.bm25() {
            Ok(Some(index)) => Some(index.len()),
            Ok(None) => {
                problems.push(crate::reader::search::NO_LEXICAL_INDEX.to_owned());
                None
            }
            Err(e) => {
                problems.push(e.to_string());
                None
            }
        };
        if let Some(problem) = self.file_index_problem() {
            problems.push(problem);
        }
        let search_pending = conn.search_pending()?.len() as u64;
        if lexical_documents.is_some_and(|n| n != stats.chunks)
            && meta.graph_current
            && search_pending == 0
        {
            problems.push(format!(
                "the lexical index holds {} documents for {} chunks; the next `codegraph index` rebuilds it",
                lexical_documents.unwrap_or(0),
                stats.chunks
            ));
        }
        if self.options().project_config
            && let Err(e) = crate::ProjectConfig::load(self.root())
        {
            problems.push(format!(
                "{e}; index runs keep the settings they had until it is fixed"
            ));
        }
        if codegraph_store::damage_reported(&self.loc.database()) {
            problems.push(
                "a read found the index database damaged; the next `codegraph index` checks and rebuilds it"
                    .to_owned(),
            );
        }
        Ok(Status {
            repository: RepositoryInfo {
                root: self.root().to_string_lossy().into_owned(),
                remote_url: meta.remote_url,
                head_commit: meta.head_commit.clone(),
                branch: meta.branch,
                readme: meta.readme,
            },
            index_dir: self.index_dir().to_string_lossy().into_owned(),
            format_version: FORMAT_VERSION,
            size_on_disk: dir_size(self.index_dir()),
            last_indexed: meta.last_indexed,
            last_index_ms: meta.last_index_ms,
            indexed_head: meta.head_commit,
            current_head: current,
            stats,
            graph_current: meta.graph_current,
            search_pending,
            lexical_documents,
            problems,
            embeddings: EmbeddingStatus {
                model: config.cache_tag(),
                installed: config.model_dir.join("model.onnx").is_file()
                    && config.ort_library.is_file(),
                done,
                pending: total.saturating_sub(done),
                coverage: if total == 0 {
                    0.0
                } else {
                    done as f64 / total as f64
                },
            },
            watcher: WatcherState::read(self.index_dir()),
        })
    }
}

/// Bytes under `dir`, recursively: the SQLite file, BM25 and vector indexes.
fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => dir_size(&e.path()),
                    Ok(m) => m.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}
