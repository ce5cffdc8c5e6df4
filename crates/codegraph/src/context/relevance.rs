//! Relevance: the definitions the code before the cursor uses — the
//! types of its variables and receivers, what it calls and constructs, the
//! enclosing type and its bases — as outlines and signatures.

use super::Structure;
use super::corpus::{Corpus, Symbol};
use super::cursor::{CursorFacts, Segment, Use};
use crate::{Reader, Result};
use codegraph_core::types::{clean_type, last_segment};
use codegraph_core::{ContextReason, DefKind, ReasonKind, dir_of};
use codegraph_lang::{Language, Registry};
use codegraph_store::DefinitionRow;
use std::collections::HashMap;

mod names;
mod outline;

use names::*;
pub(super) use outline::truncate_outline;
use outline::*;

/// Words that name the object a method runs on.
const SELF_NAMES: &[&str] = &["self", "this", "Self", "cls", "$this", "static"];

/// Outlines longer than this are listed member by member instead.
const OUTLINE_LINES: usize = 80;

/// What a name must resolve to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    Type,
    Call,
    Any,
}

/// Members listed in a type's outline, at most.
const OUTLINE_MEMBERS: usize = 40;

/// What one identifier resolves to, and why.
pub(super) struct Target {
    pub(super) def: DefinitionRow,
    pub(super) reason: ContextReason,
}

impl Reader {
    /// Resolves the identifiers before the cursor to definitions, nearest
    /// first, then the enclosing type and its bases.
    pub(super) fn resolve_uses(
        &self,
        corpus: &Corpus,
        rel: &str,
        cursor: &CursorFacts,
        line: u32,
        uses: &[Use],
        chain: &[Segment],
    ) -> Result<Vec<Target>> {
        let facts = &cursor.facts;
        let conn = self.pool().read()?;
        let mut names = Names {
            corpus,
            import_files: self.import_files(corpus, cursor)?,
            current: corpus.by_path.get(rel).copied(),
            dir: dir_of(rel),
            conn: &conn,
            aliases: facts
                .imports
                .iter()
                .filter_map(|i| Some((i.alias.clone()?, i.name.clone()?)))
                .collect(),
            out: Vec::new(),
        };
        let language = Registry::builtin().by_name(&facts.language);
        let capitalized_types = language.is_none_or(|l| l.capitalized_types);
        // What the cursor completes comes first: the type the receiver
        // chain before it (`a.b.c.`, `self.x.`, `current_app.`) ends in.
        if !chain.is_empty()
            && let Some(ty) = names.chain_type(facts, line, chain, language)?
        {
            let text: Vec<&str> = chain.iter().map(|s| s.name.as_str()).collect();
            let bases = conn.bases_of(ty.id)?;
            names.out.push(Target {
                def: ty,
                reason: ContextReason::new(ReasonKind::Receiver, text.join(".")),
            });
            // Inherited members are members too: the bases' outlines next,
            // nearest first, three at most.
            let mut queue: std::collections::VecDeque<_> = bases.into_iter().collect();
            let mut seen = std::collections::HashSet::new();
            while let Some(b) = queue.pop_front() {
                if seen.len() == 3 {
                    break;
                }
                if !seen.insert(b) {
                    continue;
                }
                if let Some(def) = conn.definition(b)? {
                    queue.extend(conn.bases_of(def.id)?);
                    let reason = ContextReason::new(ReasonKind::Base, &def.name);
                    names.out.push(Target { def, reason });
                }
            }
        }
        for u in uses {
            // A member of an imported module (`attr.s`, `models.User`):
            // the module's own definition of it.
            if let Some(q) = &u.qualifier
                && let Some(files) = names.import_files.get(q).cloned()
            {
                let files = follow_reexports(corpus, &conn, files, &u.name)?;
                let kind = if u.call {
                    ReasonKind::Call
                } else {
                    ReasonKind::Imported
                };
                let reason = ContextReason::new(kind, format!("{q}.{}", u.name));
                if names.resolve_in(&u.name, &files, reason)? {
                    continue;
                }
            }
            if u.qualifier.is_some() && u.name.len() < 2 {
                continue;
            }
            // A variable: its declared type.
            if let Some(ty) = declared_type(facts, &u.name, line) {
                let kind = if u.receiver {
                    ReasonKind::Receiver
                } else {
                    ReasonKind::Variable
                };
                names.resolve(ty, Want::Type, ContextReason::new(kind, &u.name))?;
                continue;
            }
            let capital = capitalized_types
                && u.name.chars().next().is_some_and(char::is_uppercase)
                && u.name.chars().any(char::is_lowercase);
            let (want, kind) = if u.constructed || capital {
                (Want::Any, ReasonKind::Type)
            } else if u.call {
                (Want::Call, ReasonKind::Call)
            } else if names.import_files.contains_key(&u.name) {
                (Want::Any, ReasonKind::Imported)
            } else {
                continue;
            };
            names.resolve(&u.name, want, ContextReason::new(kind, &u.name))?;
        }
        // The type enclosing the cursor (innermost), and its bases.
        let enclosing_type = facts
            .definitions
            .iter()
            .enumerate()
            .filter(|(_, d)| d.span.start_line <= line && line <= d.span.end_line)
            .map(|(i, _)| i)
            .rev()
            .find(|&i| facts.definitions[i].kind.is_type_like());
        if let Some(t) = enclosing_type {
            let name = facts.definitions[t].name.clone();
            for inh in &facts.inheritance {
                if inh.subject_def == Some(t) || inh.subject == name {
                    let base = last_segment(clean_type(&inh.base)).to_owned();
                    let reason = ContextReason::new(ReasonKind::Base, &base);
                    names.resolve(&base, Want::Type, reason)?;
                }
            }
            let reason = ContextReason::new(ReasonKind::Enclosing, &name);
            names.resolve(&name, Want::Type, reason)?;
        }
        Ok(names.out)
    }

    /// Imported name → files the import resolved to (from the stored graph,
    /// matched by module and name so a buffer's shifted lines still match).
    fn import_files(
        &self,
        corpus: &Corpus,
        cursor: &CursorFacts,
    ) -> Result<HashMap<String, Vec<usize>>> {
        let mut out: HashMap<String, Vec<usize>> = HashMap::new();
        let Some(id) = cursor.file_id else {
            return Ok(out);
        };
        let targets = self.pool().read()?.import_targets(id)?;
        for imp in &cursor.stored_imports {
            let Some(local) = imp
                .alias
                .clone()
                .or_else(|| imp.name.clone())
                .or_else(|| imp.module.rsplit(['.', '/', ':']).next().map(str::to_owned))
            else {
                continue;
            };
            if !cursor
                .facts
                .imports
                .iter()
                .any(|i| i.module == imp.module && i.name == imp.name)
            {
                continue;
            }
            for (l, dst) in &targets {
                if *l == imp.line
                    && let Some(&f) = corpus.by_id.get(dst)
                {
                    out.entry(local.clone()).or_default().push(f);
                }
            }
        }
        Ok(out)
    }

    /// A structure's text, in the language's own syntax (the language
    /// table's block, comment and doc styles): a type's outline (its text
    /// with member bodies elided, plus members declared outside it), or a
    /// function's doc and signature.
    pub(super) fn structure(
        &self,
        target: &Target,
        fallback: Option<&Language>,
    ) -> Result<Structure> {
        let d = &target.def;
        let language = Registry::builtin()
            .for_path(std::path::Path::new(&d.path))
            .or(fallback);
        let text = if d.kind.is_type_like() {
            let key = (d.id, language.map(|l| l.name.clone()));
            match self.outlines().get(&key) {
                Some(text) => text,
                None => {
                    let conn = self.pool().read()?;
                    let text = render_type(&conn, d, language)?;
                    self.outlines().put(key, &text);
                    text
                }
            }
        } else {
            render_signature(d, language)
        };
        Ok(Structure {
            path: d.path.clone(),
            start_line: d.start_line,
            end_line: d.end_line,
            symbol: d.qualified_name.clone(),
            kind: d.kind,
            reason: target.reason.clone(),
            text,
        })
    }
}

/// Type outlines rendered from one reader's state, by definition and the
/// language they are rendered in: a type used at many cursors (a busy
/// receiver type) is read from the store once per reader. Bounded: past
/// [`OUTLINES_KEPT`] entries it starts over.
#[derive(Debug, Default)]
pub(crate) struct OutlineCache(std::sync::Mutex<std::collections::HashMap<OutlineKey, String>>);

/// A type, and the language its outline is rendered in.
type OutlineKey = (codegraph_core::DefId, Option<String>);

/// Outlines a reader keeps (a few MB at most).
const OUTLINES_KEPT: usize = 4096;

impl OutlineCache {
    fn entries(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<OutlineKey, String>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(super) fn get(&self, key: &OutlineKey) -> Option<String> {
        self.entries().get(key).cloned()
    }

    pub(super) fn put(&self, key: OutlineKey, text: &str) {
        let mut entries = self.entries();
        if entries.len() >= OUTLINES_KEPT {
            entries.clear();
        }
        entries.insert(key, text.to_owned());
    }
}
