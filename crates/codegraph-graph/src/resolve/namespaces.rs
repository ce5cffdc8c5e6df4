//! Rules of languages whose imports name load paths (`load_path`) or
//! declared modules (`declared`), and of open namespaces: the table decides
//! which language uses them.

use super::ctx::{Ctx, dir_of, stem_path};
use super::{DefIx, FileIx};
use codegraph_core::{DefKind, normalize};
use codegraph_lang::{ImportStyle, Language};

/// The key of a `load_path` file under `stem` (a path without extension).
pub(super) fn load_path_key(language: &str, stem: &str) -> String {
    format!("lp:{language}:{stem}")
}

/// The key of a `load_path` file by its path under an import root.
pub(super) fn load_root_key(language: &str, rest: &str) -> String {
    format!("lpr:{language}:{rest}")
}

/// The stems a `load_path` file answers to: its own, without its index
/// name (`a/init` -> `a`), and each under an import root, `(stem, rooted)`.
pub(super) fn load_path_stems(lang: &Language, path: &str) -> Vec<(String, bool)> {
    let stem = stem_path(path);
    let mut out = Vec::new();
    let mut push = |s: &str, rooted: bool| {
        out.push((s.to_owned(), rooted));
        if let Some(index) = &lang.import_index
            && let Some(dir) = s
                .strip_suffix(index.as_str())
                .and_then(|d| d.strip_suffix('/'))
        {
            out.push((dir.to_owned(), rooted));
        }
    };
    push(stem, false);
    for root in &lang.import_roots {
        let mut from = 0;
        let with_slash = format!("{root}/");
        while let Some(i) = stem[from..].find(&with_slash).map(|i| i + from) {
            if i == 0 || stem.as_bytes()[i - 1] == b'/' {
                push(&stem[i + with_slash.len()..], true);
            }
            from = i + 1;
        }
    }
    out
}

impl Ctx<'_> {
    /// `load_path`: the files a load-path import names.
    pub(super) fn load_path_files(
        &self,
        f: FileIx,
        lang: &Language,
        module: &str,
    ) -> Option<Vec<FileIx>> {
        let path = &self.facts.files[f].path;
        let mut rel = module.trim().trim_matches(['"', '\'']).to_owned();
        // `$DIR/lib.sh`, `${BASH_SOURCE%/*}/x.sh`, `~/x`: the variable part is unknown.
        if let Some(i) = rel.rfind(['$', '~', '}', ')']) {
            rel = rel[i..].split_once('/').map_or("", |(_, r)| r).to_owned();
        }
        if rel.is_empty() {
            return None;
        }
        let relative = rel.starts_with("./") || rel.starts_with("../");
        if lang.import_separator != "/" && !rel.contains('/') {
            rel = rel.replace(lang.import_separator.as_str(), "/");
        }
        for ext in &lang.extensions {
            if let Some(stem) = rel
                .strip_suffix(ext.as_str())
                .and_then(|s| s.strip_suffix('.'))
            {
                rel = stem.to_owned();
                break;
            }
        }
        let name = &lang.name;
        // A file never imports itself (`require "inventory"` in
        // plugin/inventory.lua names lua/inventory/init.lua).
        let get = |key: String| {
            self.modules
                .get(&key)
                .map(|fs| fs.iter().copied().filter(|&g| g != f).collect::<Vec<_>>())
                .filter(|fs| !fs.is_empty())
        };
        let beside = normalize(&format!("{}/{}", dir_of(path), rel));
        if let Some(fs) = get(load_path_key(name, &beside)) {
            return Some(fs);
        }
        if relative {
            return None;
        }
        let found = get(load_root_key(name, &rel)).or_else(|| get(load_path_key(name, &rel)))?;
        // Several roots (a monorepo): the ones nearest the importing file.
        let shared = |g: &FileIx| {
            let other = &self.facts.files[*g].path;
            path.bytes()
                .zip(other.bytes())
                .take_while(|(a, b)| a == b)
                .count()
        };
        let best = found.iter().map(shared).max()?;
        Some(
            found
                .iter()
                .copied()
                .filter(|g| shared(g) == best)
                .collect(),
        )
    }

    /// `declared`: the files that define module `module` or declare it as
    /// their package.
    pub(super) fn declared_files(&self, module: &str) -> Option<Vec<FileIx>> {
        let mut files: Vec<FileIx> = self
            .by_qname
            .get(module)
            .map(|defs| {
                defs.iter()
                    .copied()
                    .filter(|&d| self.is_type(d) || self.def_kind[d] == DefKind::Module)
                    .map(|d| self.def_file[d])
                    .collect()
            })
            .unwrap_or_default();
        if files.is_empty() {
            files = self.packages.get(module).cloned().unwrap_or_default();
        }
        files.sort_unstable();
        files.dedup();
        (!files.is_empty()).then_some(files)
    }

    /// `name` with its first part replaced by the module an import bound
    /// to it (`Repo.get` after `alias Acme.Repo` -> `Acme.Repo.get`).
    pub(super) fn expand_alias(&self, f: FileIx, name: &str) -> Option<String> {
        let sep = self.sep(f);
        let (first, rest) = match name.split_once(sep) {
            Some((a, b)) => (a, Some(b)),
            None => (name, None),
        };
        let full = self.scopes[f].qualified.get(first)?;
        Some(match rest {
            Some(rest) => format!("{full}{sep}{rest}"),
            None => full.clone(),
        })
    }

    /// Open namespaces: definitions named `name` (which may be qualified,
    /// `Storage::Base`) under the namespaces enclosing `caller`, innermost
    /// first, in any file, then at the top; an imported alias is expanded.
    pub(super) fn open_lookup(
        &self,
        f: FileIx,
        caller: Option<DefIx>,
        name: &str,
        keep: &dyn Fn(DefIx) -> bool,
    ) -> Vec<DefIx> {
        let Some(lang) = self.lang(f) else {
            return Vec::new();
        };
        if !lang.open_namespaces && lang.import_style != ImportStyle::Declared {
            return Vec::new();
        }
        let sep = self.sep(f);
        let find = |q: &str| -> Vec<DefIx> {
            self.by_qname
                .get(q)
                .map(|v| v.iter().copied().filter(|&d| keep(d)).collect())
                .unwrap_or_default()
        };
        if let Some(full) = self.expand_alias(f, name) {
            let found = find(&full);
            if !found.is_empty() {
                return found;
            }
        }
        if !lang.open_namespaces {
            return Vec::new();
        }
        let mut scope = caller.map(|d| self.facts.defs[d].qualified_name.as_str());
        while let Some(s) = scope {
            let found = find(&format!("{s}{sep}{name}"));
            if !found.is_empty() {
                return found;
            }
            scope = s.rsplit_once(sep).map(|(outer, _)| outer);
        }
        // The global namespace holds every file's modules, types and
        // constants. A function or method outside any type (a top-level
        // `def`, one inside an `RSpec.describe` block) is not in it: another
        // file's is visible only through an import (`require`) of that file.
        let mut found = find(name);
        found.retain(|&d| {
            !matches!(self.def_kind[d], DefKind::Function | DefKind::Method)
                || self.def_file[d] == f
        });
        found
    }

    /// A call `r.name` where `r` names a definition: a module or type (open
    /// namespaces, an imported alias) or a table defined at the top of this
    /// file (`Picker.new`, `M.helper` in the file that returns `M`).
    pub(super) fn namespace_member(
        &self,
        f: FileIx,
        caller: Option<DefIx>,
        r: &str,
        name: &str,
    ) -> Vec<DefIx> {
        let sep = self.sep(f);
        let callable = |d: DefIx| self.is_callable_target(d);
        let found = self.open_lookup(f, caller, &format!("{r}{sep}{name}"), &callable);
        if !found.is_empty() {
            return found;
        }
        for &d in self.top[f].get(r).map(|v| v.as_slice()).unwrap_or(&[]) {
            let q = &self.facts.defs[d].qualified_name;
            let found: Vec<DefIx> = self
                .by_qname
                .get(format!("{q}{sep}{name}").as_str())
                .map(|v| v.iter().copied().filter(|&m| callable(m)).collect())
                .unwrap_or_default();
            if !found.is_empty() {
                return found;
            }
            // A module object with nothing nested in it (a Lua module table,
            // which the file returns): the file's top-level functions are its
            // members.
            if self.def_kind[d] == DefKind::Module && !self.parents.contains(&d) {
                let found: Vec<DefIx> = self.top[f]
                    .get(name)
                    .map(|v| {
                        v.iter()
                            .copied()
                            .filter(|&m| self.def_kind[m].is_callable())
                            .collect()
                    })
                    .unwrap_or_default();
                if !found.is_empty() {
                    return found;
                }
            }
        }
        Vec::new()
    }

    /// `self.name()` in a method whose owner is named, not enclosing (Lua
    /// `function Picker:find()`): the owner's member by qualified name.
    pub(super) fn owner_member(&self, f: FileIx, caller: Option<DefIx>, name: &str) -> Vec<DefIx> {
        let Some(c) = caller else {
            return Vec::new();
        };
        if self.def_kind[c] != DefKind::Method {
            return Vec::new();
        }
        let sep = self.sep(f);
        let Some((owner, _)) = self.facts.defs[c].qualified_name.rsplit_once(sep) else {
            return Vec::new();
        };
        self.by_qname
            .get(format!("{owner}{sep}{name}").as_str())
            .map(|v| {
                v.iter()
                    .copied()
                    .filter(|&m| self.is_callable_target(m))
                    .collect()
            })
            .unwrap_or_default()
    }
}
