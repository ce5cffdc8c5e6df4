//! What an update changed, as a reader needs to know it to follow
//! ([`crate::Reader::next`]).

use codegraph_core::FileId;
use codegraph_search::VectorIndex;
use std::collections::HashSet;

/// Which files' facts changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum Files {
    #[default]
    None,
    /// These files (deleted ones included).
    Some(HashSet<FileId>),
    /// Too many to patch, or unknown (the index was rebuilt): reload.
    All,
}

/// What happened to the stored graph.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum GraphChange {
    #[default]
    Unchanged,
    /// Files whose facts changed, and files whose stored edges were
    /// replaced (an incremental update).
    Patched {
        changed: HashSet<FileId>,
        replaced: HashSet<FileId>,
    },
    /// Resolved again as a whole: reload.
    Rebuilt,
}

/// What one or more updates of an [`crate::Indexer`] changed. Readers
/// follow with [`crate::Reader::next`]: parts an update did not touch are
/// shared, the others patched or reloaded.
#[derive(Debug, Clone, Default)]
pub struct ChangeSet {
    pub(crate) files: Files,
    pub(crate) graph: GraphChange,
    /// The lexical index was written.
    pub(crate) search: bool,
    /// Embeddings were added.
    pub(crate) embeddings: bool,
    /// The vector index after the update, when the update touched it.
    pub(crate) vectors: Option<VectorIndex>,
    /// The options the indexer runs with, when the repository's settings
    /// changed (readers take them: the model that embeds queries).
    pub(crate) options: Option<crate::IndexOptions>,
}

impl ChangeSet {
    /// Nothing changed: a reader can stay as it is.
    pub fn is_empty(&self) -> bool {
        self.files == Files::None
            && self.graph == GraphChange::Unchanged
            && !self.search
            && !self.embeddings
            && self.vectors.is_none()
            && self.options.is_none()
    }

    /// Files whose facts changed; `None` when too many to list (reload).
    pub fn changed_files(&self) -> Option<Vec<FileId>> {
        match &self.files {
            Files::None => Some(Vec::new()),
            Files::Some(set) => {
                let mut v: Vec<FileId> = set.iter().copied().collect();
                v.sort();
                Some(v)
            }
            Files::All => None,
        }
    }

    /// This change followed by `later`.
    pub fn merge(&mut self, later: ChangeSet) {
        self.files = match (std::mem::take(&mut self.files), later.files) {
            (Files::All, _) | (_, Files::All) => Files::All,
            (Files::None, f) | (f, Files::None) => f,
            (Files::Some(mut a), Files::Some(b)) => {
                a.extend(b);
                Files::Some(a)
            }
        };
        self.graph = match (std::mem::take(&mut self.graph), later.graph) {
            (GraphChange::Rebuilt, _) | (_, GraphChange::Rebuilt) => GraphChange::Rebuilt,
            (GraphChange::Unchanged, g) | (g, GraphChange::Unchanged) => g,
            (
                GraphChange::Patched {
                    mut changed,
                    mut replaced,
                },
                GraphChange::Patched {
                    changed: c,
                    replaced: r,
                },
            ) => {
                changed.extend(c);
                replaced.extend(r);
                GraphChange::Patched { changed, replaced }
            }
        };
        self.search |= later.search;
        self.embeddings |= later.embeddings;
        if later.vectors.is_some() {
            self.vectors = later.vectors;
        }
        if later.options.is_some() {
            self.options = later.options;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(ids: &[i64]) -> HashSet<FileId> {
        ids.iter().map(|&i| FileId(i)).collect()
    }

    #[test]
    fn merging_unions_patches_and_a_rebuild_wins() {
        let mut a = ChangeSet {
            files: Files::Some(set(&[1])),
            graph: GraphChange::Patched {
                changed: set(&[1]),
                replaced: set(&[1, 2]),
            },
            ..ChangeSet::default()
        };
        assert!(!a.is_empty());
        a.merge(ChangeSet {
            files: Files::Some(set(&[3])),
            graph: GraphChange::Patched {
                changed: set(&[3]),
                replaced: set(&[4]),
            },
            search: true,
            ..ChangeSet::default()
        });
        assert_eq!(a.changed_files(), Some(vec![FileId(1), FileId(3)]));
        assert_eq!(
            a.graph,
            GraphChange::Patched {
                changed: set(&[1, 3]),
                replaced: set(&[1, 2, 4])
            }
        );
        assert!(a.search);
        a.merge(ChangeSet {
            graph: GraphChange::Rebuilt,
            files: Files::All,
            ..ChangeSet::default()
        });
        assert_eq!(a.graph, GraphChange::Rebuilt);
        assert_eq!(a.changed_files(), None);
        assert!(ChangeSet::default().is_empty());
    }
}
