//! The document the lexical index holds for each chunk.

use crate::ids::ChunkId;
use crate::kinds::{ChunkKind, DefKind, UnknownKind};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What a search result is: the kind of its definition, or the chunk's
/// kind for chunks outside any definition (top-level code, sections, text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum DocKind {
    Def(DefKind),
    Chunk(ChunkKind),
}

impl DocKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::Def(k) => k.as_str(),
            DocKind::Chunk(k) => k.as_str(),
        }
    }

    /// Every accepted string form (definition kinds, then chunk kinds that
    /// are not also definition kinds).
    pub fn names() -> Vec<&'static str> {
        let mut out: Vec<&'static str> = DefKind::NAMES.to_vec();
        for name in ChunkKind::NAMES {
            if !out.contains(name) {
                out.push(name);
            }
        }
        out
    }
}

impl fmt::Display for DocKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DocKind {
    type Err = UnknownKind;
    fn from_str(s: &str) -> Result<Self, UnknownKind> {
        if let Ok(k) = s.parse::<DefKind>() {
            return Ok(DocKind::Def(k));
        }
        s.parse::<ChunkKind>()
            .map(DocKind::Chunk)
            .map_err(|_| UnknownKind {
                what: "DocKind",
                value: s.to_owned(),
                expected: DOC_KIND_NAMES,
            })
    }
}

const DOC_KIND_NAMES: &[&str] = &[
    "function",
    "method",
    "class",
    "struct",
    "enum",
    "union",
    "interface",
    "trait",
    "module",
    "type",
    "macro",
    "constant",
    "variable",
    "outline",
    "code",
    "section",
    "text",
];

/// What is indexed for one chunk.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchDoc {
    pub chunk_id: ChunkId,
    pub path: String,
    pub language: String,
    pub kind: DocKind,
    /// The definition's name and qualified name (empty outside one).
    pub name: String,
    pub qualified_name: String,
    pub signature: String,
    pub doc: String,
    pub body: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doc_kinds_parse_definitions_first_and_list_every_name() {
        assert_eq!("function".parse(), Ok(DocKind::Def(DefKind::Function)));
        assert_eq!("section".parse(), Ok(DocKind::Chunk(ChunkKind::Section)));
        assert!("funtion".parse::<DocKind>().is_err());
        assert_eq!(DocKind::names(), DOC_KIND_NAMES);
    }
}
