//! Shared vocabulary of codegraph: kinds, spans, the facts extracted from one
//! file, stable ids and the identifier tokenizer.
//!
//! This crate does no IO and knows nothing of tree-sitter, SQLite or the CLI.
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

mod facts;
mod tokenize;

pub use facts::*;
pub use tokenize::{case_parts, split_identifier, tokenize};

/// A 63-bit id derived from its parts: the same parts always give the same id,
/// so ids of unchanged definitions and chunks survive re-indexing.
pub fn stable_id(parts: &[&str]) -> i64 {
    let mut hasher = blake3::Hasher::new();
    for part in parts {
        hasher.update(&(part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    }
    let bytes = hasher.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&bytes.as_bytes()[..8]);
    (u64::from_le_bytes(first) >> 1) as i64
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
    fn stable_id_depends_on_every_part_and_boundaries() {
        assert_eq!(stable_id(&["a", "b"]), stable_id(&["a", "b"]));
        assert_ne!(stable_id(&["a", "b"]), stable_id(&["ab", ""]));
        assert_ne!(stable_id(&["a", "b"]), stable_id(&["b", "a"]));
        assert!(stable_id(&["x"]) >= 0);
    }

    #[test]
    fn token_ids_round_trip() {
        let ids = [0u32, 1, 70_000, u32::MAX];
        assert_eq!(unpack_token_ids(&pack_token_ids(&ids)), ids);
    }
}
