//! The vector index's bookkeeping shared by the indexer (which builds and
//! saves it) and readers (which patch a saved index that lags the store).

use crate::Result;
use codegraph_core::ChunkId;
use codegraph_search::{HnswParams, VectorAccess, VectorIndex};
use codegraph_store::Conn;
use std::collections::HashSet;

/// A vector's version: the first 8 bytes of its chunk's content hash.
pub(crate) fn version_of(hash: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    for (d, s) in b.iter_mut().zip(hash) {
        *d = *s;
    }
    u64::from_le_bytes(b)
}

/// The key of a chunk's point.
pub(crate) fn key_of(id: ChunkId) -> u64 {
    id.0 as u64
}

/// Patches `index` to the store's vectors of `tag`: points of chunks that
/// are gone or changed are flagged removed, missing ones inserted. `false`
/// (and `index` untouched) when the removed points would pile up past a
/// fifth of the index: rebuild instead.
pub(crate) fn reconcile(conn: &Conn, index: &mut VectorIndex, tag: &str) -> Result<bool> {
    let wanted: Vec<(ChunkId, Vec<u8>)> = conn.chunks_with_vectors(tag)?;
    let live = index.live();
    let fresh: Vec<&(ChunkId, Vec<u8>)> = wanted
        .iter()
        .filter(|(id, hash)| live.get(&key_of(*id)) != Some(&version_of(hash)))
        .collect();
    let wanted_ids: HashSet<u64> = wanted.iter().map(|(id, _)| key_of(*id)).collect();
    let mut stale: HashSet<u64> = live
        .keys()
        .filter(|k| !wanted_ids.contains(k))
        .copied()
        .collect();
    stale.extend(fresh.iter().map(|(id, _)| key_of(*id)));
    if (index.removed() + stale.len()) * 5 > wanted.len().max(1) {
        return Ok(false);
    }
    let mut points = Vec::with_capacity(fresh.len());
    for (id, hash) in fresh {
        if let Some(v) = conn.vector_of(tag, hash)? {
            points.push((key_of(*id), version_of(hash), v));
        }
    }
    index.remove(&stale);
    index.insert(&points);
    Ok(true)
}

/// A vector index over every stored vector of `tag`.
pub(crate) fn build_from_store(conn: &Conn, tag: &str, dim: usize) -> Result<VectorIndex> {
    build_from_store_for(VectorAccess::Graph, conn, tag, dim)
}

/// [`build_from_store`] for `access`.
pub(crate) fn build_from_store_for(
    access: VectorAccess,
    conn: &Conn,
    tag: &str,
    dim: usize,
) -> Result<VectorIndex> {
    let mut points = Vec::new();
    let mut versions = Vec::new();
    for (id, hash, v) in conn.chunk_vectors(tag)? {
        points.push((key_of(id), v));
        versions.push(version_of(&hash));
    }
    Ok(VectorIndex::build_for(
        access,
        &points,
        &versions,
        dim,
        tag,
        HnswParams::default(),
    ))
}

/// The saved vector index of `tag` in `dir`, opened for `access`: `None`
/// when there is none (or of another version); a damaged one is rebuilt
/// from the store, in memory, with a warning. A scanning reader of a dump
/// written before scan copies builds its copy from the store (quietly: the
/// next index run writes it).
pub(crate) fn open_or_heal(
    access: VectorAccess,
    conn: &Conn,
    dir: &std::path::Path,
    tag: &str,
    dim: usize,
) -> Result<Option<VectorIndex>> {
    if access == VectorAccess::Scan && VectorIndex::lacks_scan(dir) {
        tracing::debug!(dir = %dir.display(), "no scan copy yet; building it from the stored vectors");
        return build_from_store_for(access, conn, tag, dim).map(Some);
    }
    match VectorIndex::open_for(access, dir, tag, HnswParams::default()) {
        Ok(found) => Ok(found),
        Err(why) => {
            tracing::warn!(
                dir = %dir.display(),
                "the vector index is damaged ({why}); rebuilding it from the stored embeddings"
            );
            build_from_store_for(access, conn, tag, dim).map(Some)
        }
    }
}
