//! The facts of the whole repository that graph resolution reads, and
//! what it produces: edges between files, definitions and external
//! modules.

use crate::facts::FileFacts;
use crate::ids::{ChunkId, DefId, ExternalId, FileId, chunk_ids, definition_ids};
use crate::kinds::{ChunkKind, DefKind, EdgeKind, Provenance, Relation};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// A file as resolution sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileFact {
    pub id: FileId,
    pub path: String,
    pub language: String,
    pub package: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefFact {
    pub id: DefId,
    pub file_id: FileId,
    pub parent_id: Option<DefId>,
    pub name: String,
    pub qualified_name: String,
    pub kind: DefKind,
    pub signature: String,
    pub start_line: u32,
    pub end_line: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportFact {
    pub file_id: FileId,
    pub module: String,
    pub name: Option<String>,
    pub alias: Option<String>,
    pub wildcard: bool,
    pub line: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallFact {
    pub file_id: FileId,
    pub caller_id: Option<DefId>,
    pub name: String,
    pub receiver: Option<String>,
    /// The receiver is a module or type path ([`crate::Call::path`]).
    pub path: bool,
    /// Arguments at the call site ([`crate::Call::args`]).
    pub args: Option<u32>,
    pub line: u32,
    pub kind: crate::RefKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InheritFact {
    pub file_id: FileId,
    pub subject_id: Option<DefId>,
    pub subject: String,
    pub base: String,
    pub relation: Relation,
    pub line: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindingFact {
    pub file_id: FileId,
    pub scope_id: Option<DefId>,
    pub name: String,
    pub type_name: Option<String>,
    pub value: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkFact {
    pub id: ChunkId,
    pub file_id: FileId,
    pub def_id: Option<DefId>,
    pub kind: ChunkKind,
    pub start_line: u32,
    pub end_line: u32,
}

/// Everything resolution reads, plus the text of small config files it
/// needs (`go.mod`).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct GraphFacts {
    pub files: Vec<FileFact>,
    pub defs: Vec<DefFact>,
    pub imports: Vec<ImportFact>,
    pub calls: Vec<CallFact>,
    pub inheritance: Vec<InheritFact>,
    pub bindings: Vec<BindingFact>,
    /// Chunks, as graph nodes (resolution does not read them).
    pub chunks: Vec<ChunkFact>,
    /// Path → text for files named `go.mod` or `pubspec.yaml`.
    pub configs: HashMap<String, String>,
}

impl GraphFacts {
    /// Puts every fact list in canonical order: grouped by file in path
    /// order, each file's facts in extraction order. Resolution picks the
    /// first of equals in places, so the same facts must come in the same
    /// order however the store got them (a fresh index, or years of
    /// incremental updates, inserts rows in different orders).
    pub fn canonicalize(&mut self) {
        self.files.sort_by(|a, b| a.path.cmp(&b.path));
        let rank: HashMap<FileId, usize> = self
            .files
            .iter()
            .enumerate()
            .map(|(i, f)| (f.id, i))
            .collect();
        let key = |id: FileId| rank.get(&id).copied().unwrap_or(usize::MAX);
        self.defs.sort_by_key(|d| key(d.file_id));
        self.imports.sort_by_key(|d| key(d.file_id));
        self.calls.sort_by_key(|d| key(d.file_id));
        self.inheritance.sort_by_key(|d| key(d.file_id));
        self.bindings.sort_by_key(|d| key(d.file_id));
        self.chunks.sort_by_key(|d| key(d.file_id));
    }

    /// Replaces the facts of `changed` files with `fresh` (the facts of
    /// those still present, in extraction order within each file),
    /// keeping the canonical order (see [`GraphFacts::canonicalize`]).
    pub fn patch(&mut self, changed: &HashSet<FileId>, fresh: GraphFacts) {
        fn splice<T>(
            list: &mut Vec<T>,
            fresh: Vec<T>,
            changed: &HashSet<FileId>,
            file_of: impl Fn(&T) -> FileId,
            rank: &HashMap<FileId, usize>,
        ) {
            list.retain(|x| !changed.contains(&file_of(x)));
            let mut by_file: Vec<(usize, Vec<T>)> = Vec::new();
            for x in fresh {
                let r = rank.get(&file_of(&x)).copied().unwrap_or(usize::MAX);
                match by_file.last_mut() {
                    Some((last, group)) if *last == r => group.push(x),
                    _ => by_file.push((r, vec![x])),
                }
            }
            // Insert from the last group back, so earlier positions hold.
            by_file.sort_by_key(|g| g.0);
            for (r, group) in by_file.into_iter().rev() {
                let at = list
                    .partition_point(|x| rank.get(&file_of(x)).copied().unwrap_or(usize::MAX) < r);
                list.splice(at..at, group);
            }
        }
        self.files.retain(|f| !changed.contains(&f.id));
        for f in fresh.files {
            let at = self.files.partition_point(|x| x.path < f.path);
            self.files.insert(at, f);
        }
        let rank: HashMap<FileId, usize> = self
            .files
            .iter()
            .enumerate()
            .map(|(i, f)| (f.id, i))
            .collect();
        splice(&mut self.defs, fresh.defs, changed, |d| d.file_id, &rank);
        splice(
            &mut self.imports,
            fresh.imports,
            changed,
            |d| d.file_id,
            &rank,
        );
        splice(&mut self.calls, fresh.calls, changed, |d| d.file_id, &rank);
        splice(
            &mut self.inheritance,
            fresh.inheritance,
            changed,
            |d| d.file_id,
            &rank,
        );
        splice(
            &mut self.bindings,
            fresh.bindings,
            changed,
            |d| d.file_id,
            &rank,
        );
        splice(
            &mut self.chunks,
            fresh.chunks,
            changed,
            |d| d.file_id,
            &rank,
        );
    }
}

/// A graph node that edges connect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum NodeRef {
    File(FileId),
    Def(DefId),
    Ext(ExternalId),
}

/// A resolved reference: `src` imports, calls or inherits from `dst`.
/// `file` and `line` locate the reference.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RefEdge {
    pub kind: EdgeKind,
    pub src: NodeRef,
    pub dst: NodeRef,
    pub provenance: Provenance,
    pub file: FileId,
    pub line: u32,
}

/// An import of a module outside the repository, named rather than numbered.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExternalEdge {
    pub src: NodeRef,
    pub module: String,
    pub file: FileId,
    pub line: u32,
}

/// What replacing or deleting a file changed, for incremental graph
/// updates: its id and the definitions it had before.
#[derive(Debug, Clone, Default)]
pub struct FileChange {
    pub file: FileId,
    pub old_definitions: Vec<(DefId, String)>,
    pub deleted: bool,
}

impl FileChange {
    /// A file that was not in the index before this change.
    pub fn is_added(&self) -> bool {
        !self.deleted && self.old_definitions.is_empty()
    }
}

impl GraphFacts {
    /// The graph facts of parsed files, with ids as the store gives them
    /// (definitions and chunks by [`definition_ids`] and [`chunk_ids`]):
    /// resolution without a store, for tests and tools. `files` are
    /// `(id, path, facts)`; configuration files are read from `configs`.
    pub fn from_files(
        files: &[(FileId, &str, &FileFacts)],
        configs: HashMap<String, String>,
    ) -> GraphFacts {
        let mut out = GraphFacts {
            configs,
            ..GraphFacts::default()
        };
        for &(file_id, path, facts) in files {
            let def_ids = definition_ids(path, facts);
            out.files.push(FileFact {
                id: file_id,
                path: path.to_owned(),
                language: facts.language.clone(),
                package: facts.package.clone(),
            });
            for (d, &id) in facts.definitions.iter().zip(&def_ids) {
                out.defs.push(DefFact {
                    id,
                    file_id,
                    parent_id: d.parent.map(|p| def_ids[p]),
                    name: d.name.clone(),
                    qualified_name: d.qualified_name.clone(),
                    kind: d.kind,
                    signature: d.signature.clone(),
                    start_line: d.span.start_line,
                    end_line: d.span.end_line,
                });
            }
            for i in &facts.imports {
                out.imports.push(ImportFact {
                    file_id,
                    module: i.module.clone(),
                    name: i.name.clone(),
                    alias: i.alias.clone(),
                    wildcard: i.wildcard,
                    line: i.line,
                });
            }
            for c in &facts.calls {
                out.calls.push(CallFact {
                    file_id,
                    caller_id: c.enclosing.map(|e| def_ids[e]),
                    name: c.name.clone(),
                    receiver: c.receiver.clone(),
                    path: c.path,
                    args: c.args,
                    line: c.line,
                    kind: c.kind,
                });
            }
            for h in &facts.inheritance {
                out.inheritance.push(InheritFact {
                    file_id,
                    subject_id: h.subject_def.map(|s| def_ids[s]),
                    subject: h.subject.clone(),
                    base: h.base.clone(),
                    relation: h.relation,
                    line: h.line,
                });
            }
            for b in &facts.bindings {
                out.bindings.push(BindingFact {
                    file_id,
                    scope_id: b.scope.map(|s| def_ids[s]),
                    name: b.name.clone(),
                    type_name: b.type_name.clone(),
                    value: b.value.clone(),
                });
            }
            for (c, id) in facts.chunks.iter().zip(chunk_ids(path, facts, &def_ids)) {
                out.chunks.push(ChunkFact {
                    id,
                    file_id,
                    def_id: c.def.map(|d| def_ids[d]),
                    kind: c.kind,
                    start_line: c.span.start_line,
                    end_line: c.span.end_line,
                });
            }
        }
        out.canonicalize();
        out
    }
}

/// How many references a resolution resolved, by provenance.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ResolutionStats {
    pub calls: u64,
    pub calls_resolved: u64,
    pub calls_inferred: u64,
    pub calls_unresolved: u64,
    pub imports: u64,
    pub imports_to_files: u64,
    pub imports_external: u64,
    pub inheritance: u64,
    pub inheritance_resolved: u64,
    pub inheritance_inferred: u64,
}
