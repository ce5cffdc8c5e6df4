//! Relevance: the definitions the code before the cursor uses — the
//! types of its variables and receivers, what it calls and constructs, the
//! enclosing type and its bases — as outlines and signatures.

use super::Structure;
use super::corpus::{Corpus, Symbol};
use super::cursor::{CursorFacts, Use};
use crate::{Reader, Result};
use codegraph_core::types::{clean_type, last_segment};
use codegraph_core::{ContextReason, ReasonKind, dir_of};
use codegraph_lang::Registry;
use codegraph_store::DefinitionRow;
use std::collections::HashMap;

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
    ) -> Result<Vec<Target>> {
        let facts = &cursor.facts;
        let conn = self.pool().read()?;
        let mut names = Names {
            corpus,
            import_files: self.import_files(corpus, cursor)?,
            current: corpus.by_path.get(rel).copied(),
            dir: dir_of(rel),
            conn: &conn,
            out: Vec::new(),
        };
        let language = Registry::builtin().by_name(&facts.language);
        let capitalized_types = language.is_none_or(|l| l.capitalized_types);
        for u in uses {
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

    /// A structure's text: a type's signature and its members' signatures;
    /// a function's doc (first paragraph) and signature.
    pub(super) fn structure(&self, target: &Target) -> Result<Structure> {
        let d = &target.def;
        let mut text = String::new();
        if d.kind.is_type_like() {
            text.push_str(&d.signature);
            text.push_str(" {\n");
            // Public surface first: private members only when room is left.
            let mut members = self.pool().read()?.members_of(d.id)?;
            members.sort_by_key(|m| m.signature.starts_with("private"));
            let total = members.len();
            for m in members.iter().take(OUTLINE_MEMBERS) {
                text.push_str("    ");
                text.push_str(&m.signature);
                text.push('\n');
            }
            if total > OUTLINE_MEMBERS {
                text.push_str(&format!("    // ... {} more\n", total - OUTLINE_MEMBERS));
            }
            text.push('}');
        } else {
            if let Some(doc) = &d.doc
                && let Some(first) = doc.split("\n\n").next()
            {
                for l in first.lines().take(6) {
                    text.push_str("// ");
                    text.push_str(l.trim());
                    text.push('\n');
                }
            }
            text.push_str(&d.signature);
        }
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

/// The declared type of variable `name` in scope at `line`: the latest
/// binding before it, in the file or a scope enclosing the line (or on a
/// type: fields).
fn declared_type<'f>(
    facts: &'f codegraph_core::FileFacts,
    name: &str,
    line: u32,
) -> Option<&'f str> {
    facts
        .bindings
        .iter()
        .filter(|b| b.name == name || b.name.strip_prefix("self.") == Some(name))
        .filter(|b| match b.scope {
            None => true,
            Some(s) => {
                let span = facts.definitions[s].span;
                (span.start_line <= line && line <= span.end_line)
                    || facts.definitions[s].kind.is_type_like()
            }
        })
        .filter(|b| b.line <= line)
        .max_by_key(|b| b.line)
        .and_then(|b| b.type_name.as_deref().map(|t| last_segment(clean_type(t))))
        .filter(|t| !t.is_empty())
}

/// Names resolved against the corpus's symbol table; only the chosen
/// definitions are read from the store.
struct Names<'a> {
    corpus: &'a Corpus,
    import_files: HashMap<String, Vec<usize>>,
    current: Option<usize>,
    dir: &'a str,
    conn: &'a codegraph_store::Conn,
    out: Vec<Target>,
}

impl Names<'_> {
    /// Resolves `name` as `want` says — Type (only types), Call (a bare
    /// call: a function, or a method only where the name is in scope), Any
    /// — and records what it found; whether it found anything.
    fn resolve(&mut self, name: &str, want: Want, reason: ContextReason) -> Result<bool> {
        let pick = self.pick(name, want);
        let mut found = false;
        for d in pick.into_iter().take(2) {
            if let Some(def) = self.conn.definition(d.id)? {
                found = true;
                self.out.push(Target {
                    def,
                    reason: reason.clone(),
                });
            }
        }
        Ok(found)
    }

    /// The definitions `name` most likely designates: those an import
    /// names, else in this file, else a method only when unambiguous, else
    /// in this directory, else one or two, else a unique type.
    fn pick(&self, name: &str, want: Want) -> Vec<Symbol> {
        let Some(all) = self.corpus.symbols.get(name) else {
            return Vec::new();
        };
        let mut defs: Vec<Symbol> = all
            .iter()
            .filter(|d| want != Want::Type || d.is_type())
            .copied()
            .collect();
        // A type and its constructor share a name: the type speaks for both.
        if defs.iter().any(Symbol::is_type) {
            defs.retain(Symbol::is_type);
        }
        if defs.is_empty() {
            return defs;
        }
        if let Some(files) = self.import_files.get(name) {
            let imported: Vec<Symbol> = defs
                .iter()
                .filter(|d| files.contains(&d.file))
                .copied()
                .collect();
            if !imported.is_empty() {
                return imported;
            }
        }
        let same_file: Vec<Symbol> = defs
            .iter()
            .filter(|d| Some(d.file) == self.current)
            .copied()
            .collect();
        let same_dir: Vec<Symbol> = defs
            .iter()
            .filter(|d| dir_of(&self.corpus.paths[d.file]) == self.dir)
            .copied()
            .collect();
        if !same_file.is_empty() {
            same_file
        } else if want == Want::Call && defs.iter().any(Symbol::is_method) {
            // A bare method call outside its file: `this.f()` of a base
            // class, or a guess; only an unambiguous one counts.
            if defs.len() == 1 { defs } else { Vec::new() }
        } else if !same_dir.is_empty() {
            same_dir.into_iter().filter(|d| !d.is_method()).collect()
        } else if defs.len() <= 2 {
            defs
        } else {
            // Ambiguous across the repository: only a unique type.
            let types: Vec<Symbol> = defs.iter().filter(|d| d.is_type()).copied().collect();
            if types.len() == 1 { types } else { Vec::new() }
        }
    }
}

/// The first lines of an outline that fit in `tokens`, closed with a note
/// of what was cut; `None` when not even three lines fit.
pub(super) fn truncate_outline(text: &str, tokens: usize) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut used = 2 * codegraph_graph::line_tokens("    // ... 999 more");
    for l in &lines {
        let c = codegraph_graph::line_tokens(l);
        if used + c > tokens {
            break;
        }
        used += c;
        out.push(*l);
    }
    if out.len() < 3 || out.len() == lines.len() {
        return (out.len() == lines.len()).then(|| text.to_owned());
    }
    let cut = lines.len() - out.len() - 1;
    let mut t = out.join("\n");
    t.push_str(&format!("\n    // ... {cut} more\n}}"));
    Some(t)
}
