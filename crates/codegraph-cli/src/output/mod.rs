//! Every JSON shape the CLI prints, as types the CLI owns: the library's
//! structs are converted here, never printed as they are, so the library
//! can change its types without changing what scripts read.
//!
//! Kinds print as their string forms, ids as plain numbers, absent values
//! as `null`. Two orders of keys, both as earlier versions printed them:
//!
//! - `index --json`, `status --json` and `watch --json` print every object
//!   with its keys sorted, at every level: their types ([`index`]) declare
//!   fields in alphabetical order (a test checks);
//! - the other commands print fields in declaration order.

mod facts;
mod graph;
mod index;
mod search;

pub use facts::FactsJson;
pub use graph::{DefinitionJson, FileLineJson, RelatedJson, RepoMapJson, SubgraphJson};
pub use index::{IndexJson, StatusJson, WatchJson};
pub use search::{ContextJson, SearchJson};

use crate::term::outln;
use serde::Serialize;

/// Prints `value` as one line of JSON.
pub fn print<T: Serialize>(value: &T) -> anyhow::Result<crate::Outcome> {
    outln!("{}", serde_json::to_string(value)?);
    Ok(crate::Outcome::Done)
}

/// Prints `value` as indented JSON.
pub fn print_pretty<T: Serialize>(value: &T) -> anyhow::Result<crate::Outcome> {
    outln!("{}", serde_json::to_string_pretty(value)?);
    Ok(crate::Outcome::Done)
}

/// Each item in its JSON form.
pub fn list<T, J: From<T>>(items: impl IntoIterator<Item = T>) -> Vec<J> {
    items.into_iter().map(J::from).collect()
}
