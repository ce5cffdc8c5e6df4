//! Types: members of a type and its bases, the type enclosing a method,
//! the type a variable or expression has.

use super::ctx::{Binding, Ctx};
use super::{BindingRef, DefIx, FileIx};
use codegraph_core::types::{clean_type, last_segment, qualifier};
use codegraph_core::{DefKind, Provenance};
use codegraph_lang::ModuleStyle;

impl<'a> Ctx<'a> {
    /// Members named `name` of type `t` and its bases.
    pub(super) fn member(&self, t: DefIx, name: &str, depth: usize) -> Vec<DefIx> {
        let q = self.facts.defs[t].qualified_name.as_str();
        if let Some(found) = self.members.get(q).and_then(|m| m.get(name)) {
            return found.to_vec();
        }
        let elsewhere = self.impl_elsewhere(t, name);
        if !elsewhere.is_empty() {
            return elsewhere;
        }
        if depth > 6 {
            return Vec::new();
        }
        let mut out = Vec::new();
        for &b in self.bases.get(&t).map(Vec::as_slice).unwrap_or(&[]) {
            out.extend(self.member(b, name, depth + 1));
            if !out.is_empty() {
                break;
            }
        }
        out
    }

    /// Methods named `name` of type `t` declared in another module of its
    /// crate (`impl Conn { .. }` in `store/embeddings.rs` for the `Conn`
    /// of `store/conn.rs`): methods owned by `t`'s name under the crate's
    /// name, in an impl whose path names no type, when the crate has one
    /// type of that name. Only for module styles with a crate root.
    fn impl_elsewhere(&self, t: DefIx, name: &str) -> Vec<DefIx> {
        let f = self.def_file[t];
        if self
            .lang(f)
            .is_none_or(|l| l.module_style != ModuleStyle::Rust)
        {
            return Vec::new();
        }
        let sep = self.sep(f);
        let type_name = self.facts.defs[t].name.as_str();
        let Some((krate, _)) = self.facts.defs[t].qualified_name.split_once(sep) else {
            return Vec::new();
        };
        let in_crate = |d: DefIx| {
            self.facts.defs[d]
                .qualified_name
                .strip_prefix(krate)
                .is_some_and(|rest| rest.starts_with(sep))
        };
        let Some(methods) = self.by_name.get(name) else {
            return Vec::new();
        };
        let owned = format!("{sep}{type_name}{sep}{name}");
        let found: Vec<DefIx> = methods
            .iter()
            .copied()
            .filter(|&d| self.def_kind[d] == DefKind::Method && in_crate(d))
            .filter(|&d| self.facts.defs[d].qualified_name.ends_with(&owned))
            .filter(|&d| {
                let q = &self.facts.defs[d].qualified_name;
                let owner = &q[..q.len() - name.len() - sep.len()];
                self.by_qname
                    .get(owner)
                    .is_none_or(|ds| !ds.iter().any(|&o| self.is_type(o)))
            })
            .collect();
        if found.is_empty() {
            return found;
        }
        let same_name_types = self.by_name.get(type_name).map_or(0, |ds| {
            ds.iter()
                .filter(|&&d| self.is_type(d) && in_crate(d))
                .count()
        });
        if same_name_types == 1 {
            found
        } else {
            Vec::new()
        }
    }

    /// The type a method belongs to: its type-like ancestor, or the type named
    /// by its qualified-name owner (Rust impl blocks, Go receivers).
    pub(super) fn enclosing_type(&self, caller: Option<DefIx>) -> Option<DefIx> {
        let mut cur = caller;
        while let Some(d) = cur {
            if self.def_kind[d].is_type_like() {
                return Some(d);
            }
            if self.def_kind[d] == DefKind::Method {
                let f = self.def_file[d];
                let qn = &self.facts.defs[d].qualified_name;
                let sep = self.sep(f);
                if let Some((owner, _)) = qn.rsplit_once(sep)
                    && let Some(t) = self
                        .by_qname
                        .get(owner)
                        .and_then(|ts| ts.iter().copied().find(|&t| self.is_type(t)))
                {
                    return Some(t);
                }
            }
            cur = self.def_parent[d];
        }
        None
    }

    /// The type a binding names, from the caller's scopes out to the file.
    pub(super) fn binding_type(
        &self,
        f: FileIx,
        caller: Option<DefIx>,
        var: &str,
        depth: usize,
    ) -> Option<DefIx> {
        if depth > 3 {
            return None;
        }
        // `a.b` / `a->b` / `a::b`: the field `b` of `a`'s type.
        if let Some((base, field)) = var
            .rsplit_once("->")
            .or_else(|| var.rsplit_once('.'))
            .filter(|(b, f)| !b.is_empty() && !f.is_empty() && !f.contains('('))
        {
            let base_type = if matches!(base, "self" | "this" | "Self" | "$this") {
                self.enclosing_type(caller)
            } else {
                self.binding_type(f, caller, base, depth + 1)
            };
            if let Some(t) = base_type
                && let Some(found) = self.field_type(f, t, field, depth)
            {
                return Some(found);
            }
        }
        let mut scopes: Vec<Option<DefIx>> = Vec::new();
        let mut cur = caller;
        while let Some(d) = cur {
            scopes.push(Some(d));
            cur = self.def_parent[d];
        }
        // Fields live on the enclosing type; `self.x` bindings in its methods.
        let owner = self.enclosing_type(caller);
        if let Some(t) = owner
            && !scopes.contains(&Some(t))
        {
            scopes.push(Some(t));
        }
        let field = var
            .strip_prefix("self.")
            .or_else(|| var.strip_prefix("this."))
            .or_else(|| var.strip_prefix("this->"))
            .or_else(|| var.strip_prefix("$this->"))
            .or_else(|| var.strip_prefix('@').filter(|v| !v.starts_with('@')));
        // Every binding of the name in one scope must agree: a variable
        // assigned a `User` in one branch and something else (or a value
        // of unknown type, or an untyped parameter) in another has no
        // known type. A stated type the repository does not define
        // (`std::shared_ptr<User>` beside `User`) does not count against.
        // `Err(())`: bound here, type unknown; `Ok(None)`: not bound here.
        let check = |list: &[(&'a str, Option<&'a str>, Option<&'a str>)],
                     scope: Option<DefIx>|
         -> Result<Option<DefIx>, ()> {
            let mut agreed: Option<DefIx> = None;
            let mut bound = false;
            for &(name, ty, value) in list.iter().rev() {
                let matches = name == var
                    || field.is_some_and(|fname| {
                        name == fname || name.strip_prefix("self.") == Some(fname)
                    });
                if !matches {
                    continue;
                }
                bound = true;
                let t = if let Some(ty) = ty {
                    let ty = clean_type(self.unwrap_wrappers(f, ty));
                    match self.resolve_type_at(f, scope.or(caller), ty, depth + 1) {
                        Some(t) => t,
                        None => continue,
                    }
                } else if let Some(v) = value {
                    match self.binding_type(f, scope.or(caller), v, depth + 1) {
                        Some(t) => t,
                        None => return Err(()),
                    }
                } else {
                    return Err(());
                };
                match agreed {
                    Some(a) if a != t => return Err(()),
                    _ => agreed = Some(t),
                }
            }
            match (bound, agreed) {
                (false, _) => Ok(None),
                (true, Some(t)) => Ok(Some(t)),
                (true, None) => Err(()),
            }
        };
        for scope in &scopes {
            if let Some(list) = self.bindings.get(scope) {
                match check(list, *scope) {
                    Ok(Some(t)) => return Some(t),
                    Err(()) => return None,
                    Ok(None) => {}
                }
            }
        }
        // `self.x = ...` assigned in any method of the owner type.
        if let (Some(t), Some(_)) = (owner, field)
            && let Some(list) = self.type_bindings.get(&t)
        {
            for &(scope, binding) in list {
                if let Ok(Some(found)) = check(&[binding], Some(scope)) {
                    return Some(found);
                }
            }
        }
        if let Some(list) = self.file_bindings.get(&f) {
            match check(list, None) {
                Ok(Some(t)) => return Some(t),
                Err(()) => return None,
                Ok(None) => {}
            }
        }
        // A variable of another module: `web.current_app`, or a name
        // imported from it (`from web import current_app`).
        self.variable_type(f, var, depth)
    }

    /// The type of a module-level variable `var` names from file `f`: as
    /// `module.name` through a module binding, or as a name imported from
    /// the variable's module; its type is what its own file binds it to.
    fn variable_type(&self, f: FileIx, var: &str, depth: usize) -> Option<DefIx> {
        let defs: Vec<DefIx> = match var.rsplit_once('.') {
            Some((module, name)) => match self.scopes[f].names.get(module) {
                Some(Binding::Module(files)) => self.exported(files, name, 0),
                _ => return None,
            },
            None => match self.scopes[f].names.get(var) {
                Some(Binding::Symbols(defs)) => defs.clone(),
                _ => return None,
            },
        };
        let &[d] = defs.as_slice() else { return None };
        if !matches!(self.def_kind[d], DefKind::Variable | DefKind::Constant) {
            return None;
        }
        let g = self.def_file[d];
        let name = self.facts.defs[d].name.as_str();
        if g == f {
            return None;
        }
        self.binding_type(g, None, name, depth + 1)
    }

    /// The type a wrapper holds, as written: `std::shared_ptr<User>`,
    /// `Option<Box<Session>>`, `Optional[User]` → `User`, `Session`, `User`
    /// (the wrappers are the language's `wrapper_types`).
    pub(super) fn unwrap_wrappers<'t>(&self, f: FileIx, ty: &'t str) -> &'t str {
        let Some(lang) = self.lang(f) else { return ty };
        let mut t = ty.trim();
        for _ in 0..4 {
            let outer = last_segment(clean_type(t));
            if !lang.wrapper_types.iter().any(|w| w == outer) {
                break;
            }
            let Some(open) = t.find(['<', '[']) else {
                break;
            };
            let inner = &t[open + 1..];
            let mut depth = 0i32;
            let end = inner
                .char_indices()
                .find(|&(_, c)| {
                    match c {
                        '<' | '[' | '(' => depth += 1,
                        '>' | ']' | ')' if depth == 0 => return true,
                        '>' | ']' | ')' => depth -= 1,
                        ',' if depth == 0 => return true,
                        _ => {}
                    }
                    false
                })
                .map_or(inner.len(), |(i, _)| i);
            t = inner[..end].trim();
        }
        t
    }

    /// Whether `var` is declared, in scope at `caller`, with a type that no
    /// definition in the repository is named after (`std::string`, `Map`).
    pub(super) fn declared_external(&self, f: FileIx, caller: Option<DefIx>, var: &str) -> bool {
        let var = var
            .strip_prefix("self.")
            .or_else(|| var.strip_prefix("this."))
            .or_else(|| var.strip_prefix("this->"))
            .or_else(|| var.strip_prefix("$this->"))
            .unwrap_or(var);
        let external = |list: &[BindingRef<'a>]| {
            list.iter().any(|b| {
                b.0 == var
                    && b.1.is_some_and(|ty| {
                        let name = last_segment(clean_type(self.unwrap_wrappers(f, ty)));
                        !name.is_empty()
                            && !self.scopes[f].names.contains_key(name)
                            && !self
                                .by_name
                                .get(name)
                                .is_some_and(|ds| ds.iter().any(|&d| self.is_type(d)))
                    })
            })
        };
        let mut cur = caller;
        while let Some(d) = cur {
            if self.bindings.get(&Some(d)).is_some_and(|l| external(l)) {
                return true;
            }
            cur = self.def_parent[d];
        }
        if let Some(t) = self.enclosing_type(caller)
            && self.bindings.get(&Some(t)).is_some_and(|l| external(l))
        {
            return true;
        }
        self.file_bindings.get(&f).is_some_and(|l| external(l))
    }

    /// A type name as written (`User`, `models.User`, `crate::a::User`).
    /// A type name as written (`User`, `models.User`, `crate::a::User`), or
    /// a call whose result type its definition's signature states
    /// (`NewService`, `svc.find`, `Foo::new`).
    pub(super) fn resolve_type_at(
        &self,
        f: FileIx,
        caller: Option<DefIx>,
        ty: &str,
        depth: usize,
    ) -> Option<DefIx> {
        if ty.is_empty() || depth > 3 {
            return None;
        }
        let name = last_segment(ty);
        let qual = qualifier(ty);
        if let Some(q) = qual
            && let Some(Binding::Module(files)) = self.scopes[f].names.get(q)
        {
            let found: Vec<DefIx> = self
                .exported(files, name, 0)
                .into_iter()
                .filter(|&d| self.is_type(d))
                .collect();
            if found.len() == 1 {
                return Some(found[0]);
            }
        }
        let found = self.lookup(f, caller, name, true);
        if found.len() == 1 {
            return Some(found[0]);
        }
        // `Models::User` from inside `Shop`: the whole path in the open
        // namespaces around the caller.
        if qual.is_some() {
            let found = self.open_lookup(f, caller, ty, &|d| self.is_type(d));
            if found.len() == 1 {
                return Some(found[0]);
            }
        }
        // A type parameter: its bound (`S: Store`).
        if qual.is_none()
            && name.chars().next().is_some_and(char::is_uppercase)
            && let Some(t) = self.binding_type(f, caller, name, depth + 1)
        {
            return Some(t);
        }
        // A call: the callee's declared return type.
        // Only a proved callee types a value: an inferred one would turn into
        // "resolved" edges downstream.
        // `a::f` in a language whose separator is not `.`: a path.
        let sep = self.sep(f);
        let path =
            sep != "." && ty.len() > name.len() && ty[..ty.len() - name.len()].ends_with(sep);
        let (callees, provenance) = self.resolve_call_at(f, caller, name, qual, path, depth + 1)?;
        if provenance != Provenance::Resolved {
            return None;
        }
        let callee = *callees.first()?;
        if self.is_type(callee) {
            return Some(callee);
        }
        let d = &self.facts.defs[callee];
        let ret = self
            .lang(self.def_file[callee])?
            .return_type(&d.signature, &d.name)?;
        let ret = clean_type(ret);
        if ret.is_empty() || ret == "Self" || ret == "self" {
            return self.enclosing_type(Some(callee));
        }
        self.resolve_type_at(
            self.def_file[callee],
            self.def_parent[callee],
            ret,
            depth + 1,
        )
    }

    /// The type of a receiver chain's field: `a.b` where `a` has type T and T
    /// declares field `b` with a type.
    pub(super) fn field_type(
        &self,
        f: FileIx,
        t: DefIx,
        field: &str,
        depth: usize,
    ) -> Option<DefIx> {
        let list = self.bindings.get(&Some(t))?;
        for &(name, ty, value) in list.iter().rev() {
            if name != field && name.strip_prefix("self.") != Some(field) {
                continue;
            }
            if let Some(ty) = ty {
                let tf = self.def_file[t];
                if let Some(found) = self.resolve_type_at(tf, Some(t), clean_type(ty), depth + 1) {
                    return Some(found);
                }
            } else if let Some(v) = value {
                return self.binding_type(f, Some(t), v, depth + 1);
            }
        }
        None
    }
}
