//! The embedding cache: a chunk's vector by model and content hash, so
//! re-indexing, renames and duplicate chunks never embed twice.

use crate::{Conn, MetaKey, Result, Store};
use codegraph_core::ChunkId;
use rusqlite::{OptionalExtension, params};

/// A chunk waiting for its embedding: its content hash and the text to embed
/// (path and signature first, then the chunk).
#[derive(Debug, Clone)]
pub struct EmbedJob {
    pub hash: Vec<u8>,
    pub text: String,
}

/// A chunk's id, content hash and vector.
pub type ChunkVector = (ChunkId, Vec<u8>, Vec<f32>);

fn f32s_to_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn bytes_to_f32s(b: &[u8]) -> Vec<f32> {
    b.chunks_exact(4)
        .map(|w| f32::from_le_bytes([w[0], w[1], w[2], w[3]]))
        .collect()
}

impl Conn {
    /// Up to `limit` distinct chunk contents without an embedding for `model`.
    pub fn embed_jobs(&self, model: &str, limit: usize) -> Result<Vec<EmbedJob>> {
        self.rows(
            "SELECT c.hash, f.path, COALESCE(d.signature, ''), c.text
             FROM chunks c JOIN files f ON f.id = c.file_id LEFT JOIN definitions d ON d.id = c.def_id
             WHERE NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.model = ?1 AND e.hash = c.hash)
             GROUP BY c.hash LIMIT ?2",
            params![model, limit as i64],
            |r| {
                let path: String = r.get(1)?;
                let signature: String = r.get(2)?;
                let text: String = r.get(3)?;
                let text = if signature.is_empty() {
                    format!("{path}\n{text}")
                } else {
                    format!("{path}\n{signature}\n{text}")
                };
                Ok(EmbedJob {
                    hash: r.get(0)?,
                    text,
                })
            },
        )
    }

    /// (chunks with an embedding for `model`, all chunks).
    pub fn embedding_coverage(&self, model: &str) -> Result<(u64, u64)> {
        if let Some(recorded) = self.meta(MetaKey::VectorCoverage)?
            && let Some(coverage) = parse_coverage(&recorded, model)
        {
            return Ok(coverage);
        }
        self.count_coverage(model)
    }

    /// [`Conn::embedding_coverage`] counted from the tables (a scan of
    /// every chunk when the model has vectors).
    pub fn count_coverage(&self, model: &str) -> Result<(u64, u64)> {
        let total = self.count("SELECT COUNT(*) FROM chunks")?;
        // No vector of this model at all (a lexical index): no scan.
        let any: bool = self
            .conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM embeddings WHERE model = ?1)",
                [model],
                |r| r.get(0),
            )
            .map_err(self.err())?;
        if !any {
            return Ok((0, total));
        }
        let done: i64 = self
            .conn
            .query_row(
                "SELECT COUNT(*) FROM chunks c WHERE EXISTS
                   (SELECT 1 FROM embeddings e WHERE e.model = ?1 AND e.hash = c.hash)",
                [model],
                |r| r.get(0),
            )
            .map_err(self.err())?;
        Ok((done as u64, total))
    }

    /// Every chunk's vector for `model`.
    pub fn chunk_vectors(&self, model: &str) -> Result<Vec<ChunkVector>> {
        self.rows(
            "SELECT c.id, c.hash, e.vector FROM chunks c JOIN embeddings e ON e.model = ?1 AND e.hash = c.hash",
            [model],
            |r| {
                Ok((
                    ChunkId(r.get(0)?),
                    r.get::<_, Vec<u8>>(1)?,
                    bytes_to_f32s(&r.get::<_, Vec<u8>>(2)?),
                ))
            },
        )
    }

    /// (chunk id, content hash) of every chunk that has a vector for `model`;
    /// reads the indexes only, not the vectors.
    pub fn chunks_with_vectors(&self, model: &str) -> Result<Vec<(ChunkId, Vec<u8>)>> {
        self.rows(
            "SELECT c.id, c.hash FROM chunks c
             WHERE EXISTS (SELECT 1 FROM embeddings e WHERE e.model = ?1 AND e.hash = c.hash)",
            [model],
            |r| Ok((ChunkId(r.get(0)?), r.get(1)?)),
        )
    }

    /// The vector of one content hash for `model`.
    pub fn vector_of(&self, model: &str, hash: &[u8]) -> Result<Option<Vec<f32>>> {
        self.conn
            .prepare_cached("SELECT vector FROM embeddings WHERE model = ?1 AND hash = ?2")
            .and_then(|mut s| {
                s.query_row(params![model, hash], |r| r.get::<_, Vec<u8>>(0))
                    .optional()
            })
            .map(|v| v.map(|b| bytes_to_f32s(&b)))
            .map_err(self.err())
    }
}

/// `(done, total)` of a recorded coverage when it is `model`'s.
fn parse_coverage(recorded: &str, model: &str) -> Option<(u64, u64)> {
    let mut fields = recorded.split('\t');
    if fields.next()? != model {
        return None;
    }
    let done = fields.next()?.parse().ok()?;
    let total = fields.next()?.parse().ok()?;
    Some((done, total))
}

/// Drops the recorded coverage (chunks or vectors changed), inside the
/// caller's transaction.
pub(crate) fn forget_coverage(conn: &rusqlite::Connection) -> rusqlite::Result<usize> {
    conn.prepare_cached("DELETE FROM meta WHERE key = ?1")?
        .execute([MetaKey::VectorCoverage.as_str()])
}

impl Store {
    /// Counts `model`'s coverage and records it, so that readers get it
    /// from one row. Returns it.
    pub fn record_coverage(&mut self, model: &str) -> Result<(u64, u64)> {
        self.write(|conn| {
            let (done, total) = conn.count_coverage(model)?;
            conn.conn
                .prepare_cached("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)")
                .and_then(|mut s| {
                    s.execute(params![
                        MetaKey::VectorCoverage.as_str(),
                        format!("{model}\t{done}\t{total}")
                    ])
                })
                .map_err(conn.err())?;
            Ok((done, total))
        })
    }

    /// Stores embeddings (one transaction).
    pub fn put_embeddings(&mut self, model: &str, items: &[(Vec<u8>, Vec<f32>)]) -> Result<()> {
        self.write(|conn| {
            forget_coverage(&conn.conn).map_err(conn.err())?;
            let mut stmt = conn
                .conn
                .prepare_cached(
                    "INSERT OR REPLACE INTO embeddings (model, hash, vector) VALUES (?1, ?2, ?3)",
                )
                .map_err(conn.err())?;
            for (hash, v) in items {
                stmt.execute(params![model, hash, f32s_to_bytes(v)])
                    .map_err(conn.err())?;
            }
            Ok(())
        })
    }
}
