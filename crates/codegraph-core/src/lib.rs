//! Shared vocabulary of codegraph: kinds, spans, typed ids, the facts
//! extracted from one file and the facts of the whole repository that the
//! graph is resolved from, repository-relative paths, search documents and
//! the identifier tokenizer.
//!
//! This crate does no IO and knows nothing of tree-sitter, SQLite or the CLI:
//! every other crate speaks its types.
//!
//! ```
//! use codegraph_core::tokenize;
//! let toks: Vec<String> = tokenize("let userName = getHTTPServer(user_id);").collect();
//! assert_eq!(toks, ["let", "user", "name", "get", "http", "server", "user", "id"]);
//! ```
//!
//! Conventions used everywhere in codegraph: lines are 1-based and ranges of
//! lines are inclusive; byte offsets are 0-based and half-open (`start..end`)
//! into the file's UTF-8 text.

pub mod arity;
mod facts;
mod graph;
mod ids;
mod kinds;
mod path;
mod search;
mod tokenize;
pub mod types;

pub use facts::*;
pub use graph::*;
pub use ids::*;
pub use kinds::*;
pub use path::{OutsideRoot, RelPath, dir_of, normalize};
pub use search::{DocKind, SearchDoc};
pub use tokenize::{case_parts, split_identifier, tokenize};

/// Seconds since the Unix epoch (0 if the clock is before it).
pub fn unix_now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// blake3 of `bytes`, the content hash used for files and chunks.
pub fn content_hash(bytes: &[u8]) -> [u8; 32] {
    *blake3::hash(bytes).as_bytes()
}

/// Token-id arrays are stored as little-endian `u32`s; this packs them.
pub fn pack_token_ids(ids: &[u32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(ids.len() * 4);
    for id in ids {
        out.extend_from_slice(&id.to_le_bytes());
    }
    out
}

/// The inverse of [`pack_token_ids`]; a trailing partial word is ignored.
pub fn unpack_token_ids(bytes: &[u8]) -> Vec<u32> {
    bytes
        .chunks_exact(4)
        .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_ids_round_trip() {
        let ids = [0u32, 1, 70_000, u32::MAX];
        assert_eq!(unpack_token_ids(&pack_token_ids(&ids)), ids);
    }
}
