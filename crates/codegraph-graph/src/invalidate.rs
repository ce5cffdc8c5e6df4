//! Which files must be resolved again after a change, so that an
//! incremental update gives the edges a fresh resolution would.
//!
//! A file's [`Interface`] is what other files' resolution reads of it. An
//! edit that keeps it needs only the file's own references resolved again;
//! otherwise [`affected_files`] adds every file whose edges could change.

use codegraph_core::{DefId, DefKind, FileChange, FileId, GraphFacts, Relation};
use std::collections::{HashMap, HashSet};

/// What other files' resolution can read of a file: its definitions
/// (without positions), imports, inheritance, package, and the bindings
/// that outlive a call (file level, on a type, `self.x` / `this.x`).
/// Sorted, so equal before and after an edit means no other file can
/// resolve differently.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Interface {
    /// Path, language, package.
    file: Vec<(String, String, Option<String>)>,
    /// Id, name, qualified name, kind, signature, parent.
    definitions: Vec<(DefId, String, String, DefKind, String, Option<DefId>)>,
    /// Module, name, alias, wildcard.
    imports: Vec<(String, Option<String>, Option<String>, bool)>,
    /// Subject, subject name, base, relation.
    inheritance: Vec<(Option<DefId>, String, String, Relation)>,
    bindings: Vec<LastingBinding>,
}

/// Scope, name, type, value of a binding other files can read.
type LastingBinding = (Option<DefId>, String, Option<String>, Option<String>);

/// The interface of `file` in `facts`.
pub fn interface_of(facts: &GraphFacts, file: FileId) -> Interface {
    let defs: HashMap<DefId, DefKind> = facts
        .defs
        .iter()
        .filter(|d| d.file_id == file)
        .map(|d| (d.id, d.kind))
        .collect();
    let type_like = |id: Option<DefId>| {
        id.and_then(|i| defs.get(&i))
            .is_some_and(|k| k.is_type_like())
    };
    let mut out = Interface {
        file: facts
            .files
            .iter()
            .filter(|f| f.id == file)
            .map(|f| (f.path.clone(), f.language.clone(), f.package.clone()))
            .collect(),
        definitions: facts
            .defs
            .iter()
            .filter(|d| d.file_id == file)
            .map(|d| {
                (
                    d.id,
                    d.name.clone(),
                    d.qualified_name.clone(),
                    d.kind,
                    d.signature.clone(),
                    d.parent_id,
                )
            })
            .collect(),
        imports: facts
            .imports
            .iter()
            .filter(|i| i.file_id == file)
            .map(|i| {
                (
                    i.module.clone(),
                    i.name.clone(),
                    i.alias.clone(),
                    i.wildcard,
                )
            })
            .collect(),
        inheritance: facts
            .inheritance
            .iter()
            .filter(|h| h.file_id == file)
            .map(|h| (h.subject_id, h.subject.clone(), h.base.clone(), h.relation))
            .collect(),
        bindings: facts
            .bindings
            .iter()
            .filter(|b| b.file_id == file)
            .filter(|b| {
                b.scope_id.is_none()
                    || type_like(b.scope_id)
                    || b.name.starts_with("self.")
                    || b.name.starts_with("this.")
            })
            .map(|b| {
                (
                    b.scope_id,
                    b.name.clone(),
                    b.type_name.clone(),
                    b.value.clone(),
                )
            })
            .collect(),
    };
    out.file.sort();
    out.definitions.sort();
    out.imports.sort();
    out.inheritance.sort();
    out.bindings.sort();
    out
}

/// The files whose references must be resolved again after `changes`
/// (`facts` already updated): the changed files still present; files with
/// an edge into a changed file or its old or new definitions (asked of
/// `edges_into`, which reads the stored edges); files referring by name to
/// a definition name that appeared or disappeared (calls, bases, imported
/// names: unique-name inference may flip), and files calling a module-level
/// variable of a changed file by name (an alias, `ib = attrib`, whose
/// callers' edges point at what it names); for added or deleted files,
/// files whose imports name them or their directory. Changes in
/// `same_interface` (edits that kept the file's [`Interface`]) count only
/// for the file itself.
pub fn affected_files<E>(
    facts: &GraphFacts,
    changes: &[FileChange],
    same_interface: &HashSet<FileId>,
    edges_into: impl FnOnce(&[FileId], &[DefId]) -> Result<HashSet<FileId>, E>,
) -> Result<HashSet<FileId>, E> {
    // The changes other files can see.
    let seen: Vec<&FileChange> = changes
        .iter()
        .filter(|c| !same_interface.contains(&c.file))
        .collect();
    let seen_set: HashSet<FileId> = seen.iter().map(|c| c.file).collect();
    let new_defs: Vec<&codegraph_core::DefFact> = facts
        .defs
        .iter()
        .filter(|d| seen_set.contains(&d.file_id))
        .collect();
    let old_names: HashSet<&str> = seen
        .iter()
        .flat_map(|c| c.old_definitions.iter().map(|d| d.1.as_str()))
        .collect();
    let new_names: HashSet<&str> = new_defs.iter().map(|d| d.name.as_str()).collect();
    let flipped: HashSet<&str> = old_names
        .symmetric_difference(&new_names)
        .copied()
        .collect();
    let def_ids: Vec<DefId> = seen
        .iter()
        .flat_map(|c| c.old_definitions.iter().map(|d| d.0))
        .chain(new_defs.iter().map(|d| d.id))
        .collect();
    let mut affected: HashSet<FileId> = changes
        .iter()
        .filter(|c| !c.deleted)
        .map(|c| c.file)
        .collect();
    let seen_files: Vec<FileId> = seen.iter().map(|c| c.file).collect();
    affected.extend(edges_into(&seen_files, &def_ids)?);
    let last = |s: &str| -> String { s.rsplit(['.', ':', '/']).next().unwrap_or(s).to_owned() };
    // A module-level variable may alias a function (`ib = attrib`): a call
    // of it resolves through its value to a definition elsewhere, so no
    // edge points at this file; its callers are found by name.
    let variables: HashSet<&str> = new_defs
        .iter()
        .filter(|d| {
            d.parent_id.is_none() && matches!(d.kind, DefKind::Variable | DefKind::Constant)
        })
        .map(|d| d.name.as_str())
        .collect();
    for c in &facts.calls {
        if flipped.contains(c.name.as_str()) || variables.contains(c.name.as_str()) {
            affected.insert(c.file_id);
        }
    }
    for h in &facts.inheritance {
        if flipped.contains(last(&h.base).as_str()) {
            affected.insert(h.file_id);
        }
    }
    let names = added_or_deleted_names(facts, &seen);
    for i in &facts.imports {
        if flipped.contains(i.name.as_deref().unwrap_or(""))
            || (!names.is_empty()
                && (i
                    .module
                    .split(['.', '/', ':'])
                    .any(|seg| names.contains(seg))
                    || names.iter().any(|n| i.module.ends_with(n.as_str()))))
        {
            affected.insert(i.file_id);
        }
    }
    Ok(affected)
}

/// Names an import may use for an added file: its file name, stem and
/// directory. (A deleted file's path is gone from the facts; its importers
/// have edges into it, found by `edges_into`.)
fn added_or_deleted_names(facts: &GraphFacts, seen: &[&FileChange]) -> HashSet<String> {
    let last = |s: &str| -> String { s.rsplit(['.', ':', '/']).next().unwrap_or(s).to_owned() };
    let paths: HashMap<FileId, &str> = facts
        .files
        .iter()
        .map(|f| (f.id, f.path.as_str()))
        .collect();
    let mut names = HashSet::new();
    for c in seen {
        if !(c.is_added() || c.deleted) {
            continue;
        }
        if let Some(path) = paths.get(&c.file) {
            let file = path.rsplit('/').next().unwrap_or(path);
            names.insert(file.to_owned());
            names.insert(file.split('.').next().unwrap_or(file).to_owned());
            if let Some((dir, _)) = path.rsplit_once('/') {
                names.insert(last(dir));
            }
        }
    }
    names
}
