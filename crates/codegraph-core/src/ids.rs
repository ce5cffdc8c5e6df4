//! Typed ids. Files are numbered by the store; definitions and chunks get
//! stable ids derived from what they are ([`stable_id`]), so unchanged code
//! keeps its ids across re-indexing and the ids of a file's facts can be
//! computed without a store ([`definition_ids`], [`chunk_ids`]).

use crate::facts::FileFacts;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type! {
    /// A file of the index (a store row id).
    FileId
}
id_type! {
    /// A definition: stable across re-indexing ([`definition_ids`]).
    DefId
}
id_type! {
    /// A chunk: stable across re-indexing ([`chunk_ids`]).
    ChunkId
}
id_type! {
    /// A module outside the repository that something imports.
    ExternalId
}

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

/// The id of each definition of a file at `path`: path, qualified name,
/// kind and an ordinal among equals.
pub fn definition_ids(path: &str, facts: &FileFacts) -> Vec<DefId> {
    let mut seen: HashMap<(&str, &str), u32> = HashMap::new();
    facts
        .definitions
        .iter()
        .map(|d| {
            let n = seen
                .entry((d.qualified_name.as_str(), d.kind.as_str()))
                .or_insert(0);
            let id = stable_id(&[path, &d.qualified_name, d.kind.as_str(), &n.to_string()]);
            *n += 1;
            DefId(id)
        })
        .collect()
}

/// The id of each chunk of a file at `path`, given its definitions' ids:
/// path, kind, definition, part and an ordinal among equals.
pub fn chunk_ids(path: &str, facts: &FileFacts, def_ids: &[DefId]) -> Vec<ChunkId> {
    let mut seen: HashMap<(&str, i64, u32), u32> = HashMap::new();
    facts
        .chunks
        .iter()
        .map(|c| {
            let def = c.def.map_or(0, |d| def_ids[d].0);
            let n = seen.entry((c.kind.as_str(), def, c.part)).or_insert(0);
            let id = stable_id(&[
                path,
                c.kind.as_str(),
                &def.to_string(),
                &c.part.to_string(),
                &n.to_string(),
            ]);
            *n += 1;
            ChunkId(id)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::Definition;
    use crate::kinds::DefKind;

    #[test]
    fn stable_id_depends_on_every_part_and_boundaries() {
        assert_eq!(stable_id(&["a", "b"]), stable_id(&["a", "b"]));
        assert_ne!(stable_id(&["a", "b"]), stable_id(&["ab", ""]));
        assert_ne!(stable_id(&["a", "b"]), stable_id(&["b", "a"]));
        assert!(stable_id(&["x"]) >= 0);
    }

    #[test]
    fn overloads_get_distinct_ids_and_ids_ignore_positions() {
        let def = |line| Definition {
            name: "f".into(),
            qualified_name: "m.f".into(),
            kind: DefKind::Function,
            signature: String::new(),
            doc: None,
            span: crate::Span {
                start_line: line,
                end_line: line,
                ..Default::default()
            },
            parent: None,
        };
        let facts = FileFacts {
            definitions: vec![def(1), def(5)],
            ..Default::default()
        };
        let ids = definition_ids("m.py", &facts);
        assert_ne!(ids[0], ids[1]);
        let moved = FileFacts {
            definitions: vec![def(10), def(20)],
            ..Default::default()
        };
        assert_eq!(ids, definition_ids("m.py", &moved));
        assert_ne!(ids, definition_ids("n.py", &facts));
    }
}
