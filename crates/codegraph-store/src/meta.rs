//! The index's metadata: a typed record over the `meta` key-value table.

use crate::{Conn, Result, Writer};
use codegraph_core::ResolutionStats;
use rusqlite::{OptionalExtension, params};

/// A metadata key. Each has one string form, the row's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetaKey {
    FormatVersion,
    /// The repository root the index was built for.
    Root,
    RemoteUrl,
    HeadCommit,
    Branch,
    /// The README's first paragraph.
    Readme,
    /// Unix seconds of the last completed run.
    LastIndexed,
    LastIndexMs,
    /// `1` while the stored graph does not reflect the stored facts.
    GraphDirty,
    /// `1` while the saved vector index lags the store.
    VectorsDirty,
    /// The statistics of the last whole resolution, as JSON.
    Resolution,
    /// Chunks with a vector, and all chunks, for one model
    /// (`model\tdone\ttotal`), as of the last write that changed either;
    /// absent when unknown.
    VectorCoverage,
    /// The package names manifests gave in the last completed run, as JSON
    /// (`language\tmanifest path` -> name).
    Packages,
}

impl MetaKey {
    pub fn as_str(self) -> &'static str {
        match self {
            MetaKey::FormatVersion => "format_version",
            MetaKey::Root => "root",
            MetaKey::RemoteUrl => "remote_url",
            MetaKey::HeadCommit => "head_commit",
            MetaKey::Branch => "branch",
            MetaKey::Readme => "readme",
            MetaKey::LastIndexed => "last_indexed",
            MetaKey::LastIndexMs => "last_index_ms",
            MetaKey::GraphDirty => "graph_dirty",
            MetaKey::VectorsDirty => "vectors_dirty",
            MetaKey::Resolution => "resolution",
            MetaKey::VectorCoverage => "vector_coverage",
            MetaKey::Packages => "packages",
        }
    }
}

/// Everything the metadata table says, typed. Missing or empty values are
/// `None`; flags default to the safe side (dirty).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Meta {
    pub root: Option<String>,
    pub remote_url: Option<String>,
    pub head_commit: Option<String>,
    pub branch: Option<String>,
    pub readme: Option<String>,
    pub last_indexed: Option<i64>,
    pub last_index_ms: Option<u64>,
    /// Whether the stored graph reflects the stored facts.
    pub graph_current: bool,
    /// Whether the saved vector index lags the store.
    pub vectors_dirty: bool,
    pub resolution: Option<ResolutionStats>,
}

impl Conn {
    /// One metadata value (`None` when absent).
    pub fn meta(&self, key: MetaKey) -> Result<Option<String>> {
        self.conn
            .prepare_cached("SELECT value FROM meta WHERE key = ?1")
            .and_then(|mut s| s.query_row([key.as_str()], |r| r.get(0)).optional())
            .map_err(self.err())
    }

    /// Whether the stored graph reflects the stored facts.
    pub fn graph_current(&self) -> Result<bool> {
        Ok(self.meta(MetaKey::GraphDirty)?.as_deref() == Some("0"))
    }

    /// The whole metadata record.
    pub fn meta_record(&self) -> Result<Meta> {
        let get = |k| -> Result<Option<String>> { Ok(self.meta(k)?.filter(|v| !v.is_empty())) };
        Ok(Meta {
            root: get(MetaKey::Root)?,
            remote_url: get(MetaKey::RemoteUrl)?,
            head_commit: get(MetaKey::HeadCommit)?,
            branch: get(MetaKey::Branch)?,
            readme: get(MetaKey::Readme)?,
            last_indexed: get(MetaKey::LastIndexed)?.and_then(|v| v.parse().ok()),
            last_index_ms: get(MetaKey::LastIndexMs)?.and_then(|v| v.parse().ok()),
            graph_current: get(MetaKey::GraphDirty)?.as_deref() == Some("0"),
            vectors_dirty: get(MetaKey::VectorsDirty)?.as_deref() == Some("1"),
            resolution: get(MetaKey::Resolution)?.and_then(|v| serde_json::from_str(&v).ok()),
        })
    }
}

impl Writer<'_> {
    pub fn set_meta(&mut self, key: MetaKey, value: &str) -> Result<()> {
        let conn = &self.side.conn;
        conn.conn
            .prepare_cached("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)")
            .and_then(|mut s| s.execute(params![key.as_str(), value]))
            .map_err(conn.err())?;
        Ok(())
    }

    /// Records the statistics of a whole resolution.
    pub fn set_resolution(&mut self, stats: &ResolutionStats) -> Result<()> {
        let json = serde_json::to_string(stats).expect("plain data serialises");
        self.set_meta(MetaKey::Resolution, &json)
    }

    pub fn set_graph_current(&mut self, current: bool) -> Result<()> {
        self.set_meta(MetaKey::GraphDirty, if current { "0" } else { "1" })
    }
}
