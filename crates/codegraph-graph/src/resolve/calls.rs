//! Calls: what a name or a receiver's method designates at a call site.

use super::ctx::{Binding, Ctx, rust_module};
use super::{DefIx, FileIx};
use codegraph_core::types::clean_type;
use codegraph_core::{DefKind, Provenance};
use codegraph_lang::ImportStyle;

/// What an inference may designate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Target {
    /// A bare-name call: a function or a type.
    Function,
    /// A method call on a receiver of unknown type.
    Method,
}

impl<'a> Ctx<'a> {
    /// Resolves a name as written in file `f` inside `caller`: scope chain,
    /// file top level, imports, same package, wildcards. Resolved only.
    pub(super) fn lookup(
        &self,
        f: FileIx,
        caller: Option<DefIx>,
        name: &str,
        types_only: bool,
    ) -> Vec<DefIx> {
        let wanted = |d: DefIx| {
            if types_only {
                self.is_type(d)
            } else {
                self.is_callable_target(d)
            }
        };
        self.lookup_where(f, caller, name, types_only, &wanted)
    }

    /// Whether `d`'s enclosing module (if it has one) encloses `caller`.
    fn module_around(&self, d: DefIx, caller: Option<DefIx>) -> bool {
        let Some(m) = self.def_parent[d].filter(|&p| self.def_kind[p] == DefKind::Module) else {
            return true;
        };
        let mut cur = caller;
        while let Some(c) = cur {
            if c == m {
                return true;
            }
            cur = self.def_parent[c];
        }
        false
    }

    /// What a base type's name designates: a type, or a module (Ruby
    /// mixins, Elixir behaviours).
    pub(super) fn lookup_base(&self, f: FileIx, caller: Option<DefIx>, name: &str) -> Vec<DefIx> {
        self.lookup_where(f, caller, name, true, &|d| self.is_base(d))
    }

    pub(super) fn is_base(&self, d: DefIx) -> bool {
        self.is_type(d) || self.def_kind[d] == DefKind::Module
    }

    /// [`Ctx::lookup`] keeping the definitions `wanted` accepts.
    fn lookup_where(
        &self,
        f: FileIx,
        caller: Option<DefIx>,
        name: &str,
        types_only: bool,
        wanted: &dyn Fn(DefIx) -> bool,
    ) -> Vec<DefIx> {
        let keep =
            |v: &[DefIx]| -> Vec<DefIx> { v.iter().copied().filter(|&d| wanted(d)).collect() };
        let implicit_this = self.lang(f).is_some_and(|l| l.implicit_this);
        let mut cur = caller;
        while let Some(d) = cur {
            let is_type = self.def_kind[d].is_type_like();
            if !is_type || implicit_this || types_only {
                let found = if is_type && !types_only {
                    self.member(d, name, 0)
                } else {
                    let q = self.facts.defs[d].qualified_name.as_str();
                    self.members
                        .get(q)
                        .and_then(|m| m.get(name))
                        .map(|v| v.to_vec())
                        .unwrap_or_default()
                };
                let found = keep(&found);
                if !found.is_empty() {
                    return found;
                }
                // Nested functions are children by parent id.
                let nested: Vec<DefIx> = self
                    .by_name
                    .get(name)
                    .map(|v| {
                        v.iter()
                            .copied()
                            .filter(|&n| self.def_parent[n] == Some(d))
                            .collect()
                    })
                    .unwrap_or_default();
                let nested = keep(&nested);
                if !nested.is_empty() {
                    return nested;
                }
            }
            cur = self.def_parent[d];
        }
        // A method of an extension (Swift `extension T { }`) or of an
        // out-of-line definition has no type among its parents: its `self`
        // is the type its qualified name names, whose members a bare name
        // finds before the file's top-level names.
        if implicit_this
            && !types_only
            && let Some(t) = self.enclosing_type(caller)
        {
            let found = keep(&self.member(t, name, 0));
            if !found.is_empty() {
                return found;
            }
        }
        if let Some(v) = self.top[f].get(name) {
            // A declared module's functions (Elixir `defmodule`) are in the
            // file's top-level names for wildcard imports; a bare call sees
            // only those of a module around it (or imported), not those of
            // another module of the file (a helper module defined in a test).
            let declared = self
                .lang(f)
                .is_some_and(|l| l.import_style == ImportStyle::Declared);
            let v: Vec<DefIx> = keep(v)
                .into_iter()
                .filter(|&d| !declared || self.module_around(d, caller))
                .collect();
            if !v.is_empty() {
                return v;
            }
        }
        if let Some(binding) = self.scopes[f].names.get(name)
            && let Binding::Symbols(v) = binding
        {
            let v = keep(v);
            if !v.is_empty() {
                return v;
            }
        }
        let mut found = Vec::new();
        for &g in &self.scopes[f].wildcard {
            if let Some(v) = self.top[g].get(name) {
                found.extend(keep(v));
            }
        }
        found.sort_unstable();
        found.dedup();
        if found.is_empty() {
            found = self.open_lookup(f, caller, name, wanted);
        }
        found
    }

    /// The one definition named `name` a call may designate when nothing
    /// in scope says: inference. For a bare name (`Target::Function`) only
    /// functions and types, never a method; for a method call on a receiver
    /// of unknown type (`Target::Method`) only methods. Definitions inside
    /// a function are never candidates (visible only there).
    pub(super) fn unique(&self, name: &str, target: Target) -> Option<Vec<DefIx>> {
        let all = self.by_name.get(name)?;
        let candidates: Vec<DefIx> = all
            .iter()
            .copied()
            .filter(|&d| self.is_callable_target(d) && !self.inside_callable(d))
            .filter(|&d| (self.def_kind[d] == DefKind::Method) == (target == Target::Method))
            .collect();
        // A class and its constructors (`User`, `User.User`) are one target:
        // the class.
        let types: Vec<DefIx> = candidates
            .iter()
            .copied()
            .filter(|&d| self.is_type(d))
            .collect();
        let candidates = if types.len() == 1 {
            let t = &self.facts.defs[types[0]].qualified_name;
            let ctor = |d: DefIx| {
                let q = &self.facts.defs[d].qualified_name;
                q.len() > t.len() && q.starts_with(t.as_str()) && self.facts.defs[d].name == name
            };
            if candidates.iter().all(|&d| d == types[0] || ctor(d)) {
                types
            } else {
                candidates
            }
        } else {
            candidates
        };
        let first = candidates.first()?;
        let q = &self.facts.defs[*first].qualified_name;
        // Overloads share one qualified name: one symbol.
        candidates
            .iter()
            .all(|&d| &self.facts.defs[d].qualified_name == q)
            .then_some(candidates)
    }

    /// The members named `name` of type `t` (or its bases) a call can
    /// mean: its callables when a property or field shares their name
    /// (Kotlin's `var hitCount` and `fun hitCount()`), else what there is
    /// (a property holding a function).
    fn member_call(&self, t: DefIx, name: &str) -> Vec<DefIx> {
        let all = self.member(t, name, 0);
        let callable: Vec<DefIx> = all
            .iter()
            .copied()
            .filter(|&d| self.is_callable_target(d))
            .collect();
        if callable.is_empty() { all } else { callable }
    }

    pub(super) fn resolve_call(
        &self,
        f: FileIx,
        caller: Option<DefIx>,
        name: &str,
        receiver: Option<&str>,
        path: bool,
    ) -> Option<(Vec<DefIx>, Provenance)> {
        self.resolve_call_at(f, caller, name, receiver, path, 0)
    }

    pub(super) fn resolve_call_at(
        &self,
        f: FileIx,
        caller: Option<DefIx>,
        name: &str,
        receiver: Option<&str>,
        path: bool,
        depth: usize,
    ) -> Option<(Vec<DefIx>, Provenance)> {
        if depth > 4 {
            return None;
        }
        let ok = |v: Vec<DefIx>| (!v.is_empty()).then_some((v, Provenance::Resolved));
        // `super`, or the language's own word for the base class (`base`).
        let is_super = |w: &str| {
            w == "super"
                || self
                    .lang(f)
                    .is_some_and(|l| l.super_names.iter().any(|s| s == w))
        };
        match receiver.map(str::trim) {
            None | Some("") => {
                if is_super(name) {
                    // `super(...)` in a constructor (Java, JS/TS) calls the base
                    // class; Python's `super()` only returns a proxy, whose
                    // method call is resolved on its own.
                    if self
                        .lang(f)
                        .is_some_and(|l| l.import_style == ImportStyle::Python)
                    {
                        return None;
                    }
                    let t = self.enclosing_type(caller)?;
                    return ok(self
                        .superclass
                        .get(&t)
                        .map(|&b| vec![b])
                        .unwrap_or_default());
                }
                // A parameter or local of that name shadows every
                // definition of it.
                if self.is_local(f, caller, name) {
                    return None;
                }
                if let Some(r) = ok(self.lookup(f, caller, name, false)) {
                    return Some(r);
                }
                // Imported from outside the repository, or a builtin.
                if matches!(self.scopes[f].names.get(name), Some(Binding::External))
                    || self.lang(f).is_some_and(|l| l.is_builtin(name))
                {
                    return None;
                }
                self.unique(name, Target::Function)
                    .map(|v| (v, Provenance::Inferred))
            }
            Some(r) => {
                if r.ends_with(".class") {
                    // A Java class literal: a method of `Class`, outside the repository.
                    return None;
                }
                if matches!(r, "self" | "this" | "Self" | "cls" | "$this" | "static") {
                    let found = self
                        .enclosing_type(caller)
                        .and_then(|t| ok(self.member_call(t, name)));
                    return found
                        .or_else(|| ok(self.owner_member(f, caller, name)))
                        .or_else(|| self.infer_method(f, name));
                }
                if is_super(r) || r.starts_with("super(") {
                    let t = self.enclosing_type(caller)?;
                    let found: Vec<DefIx> = self
                        .bases
                        .get(&t)
                        .into_iter()
                        .flatten()
                        .flat_map(|&b| self.member_call(b, name))
                        .collect();
                    return ok(found);
                }
                // A module: its top-level names, through re-exports; never
                // a method by inference. Outside the repository: nothing.
                // A local or a parameter shadows a module of its name
                // (`let util = ..; util.helper()`), not a path
                // (`util::helper()`).
                let local = !path && self.is_local(f, caller, r);
                let head = r.split(['.', ':']).next().unwrap_or(r);
                match self.scopes[f].names.get(r) {
                    Some(Binding::Module(files)) if !local => {
                        return ok(self.exported(files, name, 0));
                    }
                    Some(Binding::External) if !local => return None,
                    _ => {}
                }
                if head != r && matches!(self.scopes[f].names.get(head), Some(Binding::External)) {
                    return None;
                }
                let receiver_type = self.binding_type(f, caller, r, depth);
                if let Some(t) = receiver_type {
                    // The type is known: its member, or nothing of ours (a
                    // field holding a function, a method of an outside base).
                    return ok(self.member_call(t, name));
                }
                // A receiver declared with a type the repository does not
                // define (`std::string`, `Map`): its methods are not ours.
                if receiver_type.is_none() && self.declared_external(f, caller, r) {
                    return None;
                }
                // The receiver is a call: `repo.find(id).orElseThrow()`.
                if let Some(callee) = call_callee(r)
                    && let Some(t) = self.resolve_type_at(f, caller, callee, depth + 1)
                    && let Some(found) = ok(self.member_call(t, name))
                {
                    return Some(found);
                }
                // A module or table by name: `Repo.get` (an alias, an open
                // namespace), `Picker.new` (a table of this file).
                if let Some(found) = ok(self.namespace_member(f, caller, r, name)) {
                    return Some(found);
                }
                // Rust paths and fully qualified names: `crate::a::f`, `a::b::Type::new`.
                let sep = self.sep(f);
                let r = &self.in_own_crate(f, r);
                if let Some(found) = self.by_qname.get(format!("{r}{sep}{name}").as_str())
                    && let Some(found) = ok(found.to_vec())
                {
                    return Some(found);
                }
                // A partly qualified name (`util::Cache` for `app::util::Cache`,
                // `models.User` for `shop.models.User`): the one definition
                // whose qualified name ends so. Not through a local or a
                // parameter (`graph.imports()` is a value's method, not
                // the function `imports` of some module `graph`).
                if !local && let Some(found) = self.qualified_suffix(r, sep, name) {
                    return Some((found, Provenance::Resolved));
                }
                // A type: `Type::new()`, `Class.method()`, `Util.format()`.
                if let Some(t) = self.resolve_type_at(f, caller, clean_type(r), depth + 1)
                    && let Some(found) = ok(self.member_call(t, name))
                {
                    return Some(found);
                }
                // A builtin the repository does not define (`object`,
                // `BaseException`), or an object constructed from a type it
                // does not define (`new TextEncoder()`): their methods are
                // not ours.
                if r.starts_with("new ") || self.lang(f).is_some_and(|l| l.is_builtin(r)) {
                    return None;
                }
                self.infer_method(f, name)
            }
        }
    }

    /// Targets with each module-level alias (`ib = attrib`, a variable
    /// whose value is a plain name) replaced by the functions or types its
    /// name resolves to in its own file; chains are followed a few steps.
    pub(super) fn through_aliases(&self, targets: Vec<DefIx>) -> Vec<DefIx> {
        let mut out = Vec::with_capacity(targets.len());
        for t in targets {
            let mut at = vec![t];
            for _ in 0..4 {
                let next: Vec<DefIx> = at
                    .iter()
                    .flat_map(|&d| self.alias_of(d).unwrap_or_default())
                    .collect();
                if next.is_empty() {
                    break;
                }
                at = next;
            }
            for d in at {
                if !out.contains(&d) {
                    out.push(d);
                }
            }
        }
        out
    }

    /// What the module-level variable `d` aliases, when its value is a
    /// plain name that resolves, in its file, to functions or types.
    fn alias_of(&self, d: DefIx) -> Option<Vec<DefIx>> {
        let def = &self.facts.defs[d];
        if def.parent_id.is_some() || !matches!(def.kind, DefKind::Variable | DefKind::Constant) {
            return None;
        }
        let f = *self.file_ix.get(&def.file_id)?;
        let value = self
            .file_bindings
            .get(&f)?
            .iter()
            .find(|(name, _, value)| *name == def.name && value.is_some())?
            .2?;
        if value == def.name || !value.chars().all(|c| c.is_alphanumeric() || c == '_') {
            return None;
        }
        let found: Vec<DefIx> = self
            .lookup(f, None, value, false)
            .into_iter()
            .filter(|&t| t != d)
            .collect();
        (!found.is_empty()).then_some(found)
    }

    /// The callees whose parameters can take `args` arguments, in a language
    /// whose calls must fit ([`codegraph_lang::Language::strict_arity`]):
    /// an inferred callee that cannot is dropped; among several proved
    /// ones (overloads), those that can are kept when any can. A callee
    /// without a readable parameter list always fits.
    pub(super) fn fitting(
        &self,
        f: FileIx,
        args: Option<u32>,
        targets: Vec<DefIx>,
        provenance: Provenance,
    ) -> Option<(Vec<DefIx>, Provenance)> {
        let Some(args) = args else {
            return Some((targets, provenance));
        };
        if self.lang(f).is_none_or(|l| !l.strict_arity)
            || (provenance == Provenance::Resolved && targets.len() < 2)
        {
            return Some((targets, provenance));
        }
        let fits = |d: DefIx| {
            let def = &self.facts.defs[d];
            !matches!(def.kind, DefKind::Function | DefKind::Method)
                || codegraph_core::arity::arity(&def.signature, &def.name)
                    .is_none_or(|a| a.admits(args))
        };
        let kept: Vec<DefIx> = targets.iter().copied().filter(|&d| fits(d)).collect();
        match provenance {
            Provenance::Inferred => (!kept.is_empty()).then_some((kept, provenance)),
            Provenance::Resolved if kept.is_empty() => Some((targets, provenance)),
            Provenance::Resolved => Some((kept, provenance)),
        }
    }

    /// A path from the crate root (`crate::a`) as qualified names spell it
    /// in the file's crate (`shop::a`, when a manifest names the crate).
    fn in_own_crate<'r>(&self, f: FileIx, path: &'r str) -> std::borrow::Cow<'r, str> {
        let rest = match path.strip_prefix("crate") {
            Some(rest) if rest.is_empty() || rest.starts_with("::") => rest,
            _ => return path.into(),
        };
        if self
            .lang(f)
            .is_none_or(|l| l.import_style != ImportStyle::Rust)
        {
            return path.into();
        }
        let Some((root, _)) = rust_module(&self.facts.files[f].path) else {
            return path.into();
        };
        match self.crates.iter().find(|(_, r)| **r == root) {
            Some((name, _)) => format!("{name}{rest}").into(),
            None => path.into(),
        }
    }

    /// The definitions named `name` whose qualified name ends with
    /// `qualifier` `sep` `name` (at a separator), when they are one symbol.
    fn qualified_suffix(&self, qualifier: &str, sep: &str, name: &str) -> Option<Vec<DefIx>> {
        if qualifier.is_empty() || qualifier.contains(['(', ' ', '<']) {
            return None;
        }
        let tail = format!("{sep}{qualifier}{sep}{name}");
        let found: Vec<DefIx> = self
            .by_name
            .get(name)?
            .iter()
            .copied()
            .filter(|&d| self.is_callable_target(d))
            .filter(|&d| self.facts.defs[d].qualified_name.ends_with(&tail))
            .collect();
        let first = *found.first()?;
        let q = &self.facts.defs[first].qualified_name;
        found
            .iter()
            .all(|&d| &self.facts.defs[d].qualified_name == q)
            .then_some(found)
    }

    /// A method call on a receiver of unknown type: the one method of that
    /// name, unless the name is a method of the language's builtin types
    /// (`d.update()`, `xs.append()` are far more often those).
    fn infer_method(&self, f: FileIx, name: &str) -> Option<(Vec<DefIx>, Provenance)> {
        if self.lang(f).is_some_and(|l| l.is_builtin_method(name)) {
            return None;
        }
        self.unique(name, Target::Method)
            .map(|v| (v, Provenance::Inferred))
    }
}

/// `a.b.find(x, y)` → `a.b.find`; `None` when the text is not a call.
pub(super) fn call_callee(text: &str) -> Option<&str> {
    let text = text.trim();
    if !text.ends_with(')') {
        return None;
    }
    let mut depth = 0i32;
    for (i, c) in text.char_indices().rev() {
        match c {
            ')' => depth += 1,
            '(' => {
                depth -= 1;
                if depth == 0 {
                    let callee = text[..i].trim_end();
                    let callee = callee.strip_suffix('!').unwrap_or(callee);
                    let callee = callee.strip_prefix("new ").unwrap_or(callee).trim();
                    return (!callee.is_empty()).then_some(callee);
                }
            }
            _ => {}
        }
    }
    None
}
