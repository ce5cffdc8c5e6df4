//! Imports: which files an import names, and the names it binds in the
//! importing file's scope.

use super::ctx::{Binding, Ctx, FileScope, dir_of, python_module, rust_module};
use super::{DefIx, FileIx, styles};
use codegraph_core::{
    DefKind, EdgeKind, ExternalEdge, ImportFact, NodeRef, Provenance, RefEdge, normalize,
};
use codegraph_lang::ImportStyle;
use rustc_hash::FxHashSet as HashSet;

impl<'a> Ctx<'a> {
    /// The files an import's module names, or `None` if it leaves the repo.
    pub(super) fn import_files(&self, f: FileIx, module: &str) -> Option<Vec<FileIx>> {
        let lang = self.lang(f)?;
        let path = &self.facts.files[f].path;
        let found = match lang.import_style {
            ImportStyle::Python => {
                let dots = module.chars().take_while(|&c| c == '.').count();
                let rest = &module[dots..];
                let full = if dots > 0 {
                    let own = python_module(path);
                    let mut pkg: Vec<&str> = own.split('.').collect();
                    // A module's package is its parent; an __init__ is its own package.
                    let is_init = path.ends_with("__init__.py");
                    let drop = if is_init { dots - 1 } else { dots };
                    for _ in 0..drop {
                        pkg.pop();
                    }
                    let mut m = pkg.join(".");
                    if !rest.is_empty() {
                        if !m.is_empty() {
                            m.push('.');
                        }
                        m.push_str(rest);
                    }
                    m
                } else {
                    rest.to_owned()
                };
                self.modules.get(&format!("py:{full}")).map(|files| {
                    // One module name in several projects of the repository:
                    // the importer's own project's.
                    let shared = |g: &FileIx| {
                        let other = &self.facts.files[*g].path;
                        path.split('/')
                            .zip(other.split('/'))
                            .take_while(|(a, b)| a == b)
                            .count()
                    };
                    let best = files.iter().map(shared).max().unwrap_or(0);
                    files
                        .iter()
                        .copied()
                        .filter(|g| shared(g) == best)
                        .collect()
                })
            }
            ImportStyle::Rust => {
                let (root, module) = self.rust_absolute(module, path)?;
                self.modules.get(&format!("rs:{root}:{module}")).cloned()
            }
            ImportStyle::Path => {
                if !module.starts_with('.') {
                    return None;
                }
                let joined = normalize(&format!("{}/{}", dir_of(path), module));
                let key = self.stem_if_source(lang.import_style, &joined);
                self.modules
                    .get(&format!("js:{key}"))
                    .or_else(|| self.modules.get(&format!("js:{joined}")))
                    .cloned()
            }
            ImportStyle::Go => {
                let (module_path, dir) = self
                    .go_modules
                    .iter()
                    .filter(|(m, _)| module == m || module.starts_with(&format!("{m}/")))
                    .max_by_key(|(m, _)| m.len())?;
                let rest = module[module_path.len()..].trim_start_matches('/');
                let target = match (dir.is_empty(), rest.is_empty()) {
                    (true, _) => rest.to_owned(),
                    (false, true) => dir.clone(),
                    (false, false) => format!("{dir}/{rest}"),
                };
                self.dirs.get(target.as_str()).map(|fs| {
                    fs.iter()
                        .copied()
                        .filter(|&g| self.facts.files[g].language == self.facts.files[f].language)
                        .collect()
                })
            }
            ImportStyle::Java | ImportStyle::Namespace if self.is_file_path(f, module) => {
                self.relative_file(f, module).map(|g| vec![g])
            }
            ImportStyle::Java | ImportStyle::Namespace => {
                // `a.b.C` → the file defining top-level type a.b.C.
                let defs = self.by_qname.get(module)?;
                let files: Vec<FileIx> = defs
                    .iter()
                    .filter(|&&d| self.is_type(d))
                    .map(|&d| self.def_file[d])
                    .collect();
                (!files.is_empty()).then_some(files)
            }
            ImportStyle::Include => {
                let rel = normalize(&format!("{}/{}", dir_of(path), module));
                if let Some(fs) = self.file_by_path(&rel) {
                    return Some(vec![fs]);
                }
                let base = module.rsplit('/').next().unwrap_or(module);
                let candidates: Vec<FileIx> = self
                    .by_basename
                    .get(base)?
                    .iter()
                    .copied()
                    .filter(|&g| self.facts.files[g].path.ends_with(module))
                    .collect();
                (candidates.len() == 1).then_some(candidates)
            }
            ImportStyle::Uri => self.uri_files(f, module),
            ImportStyle::WholeModule => self.modules.get(&format!("mod:{module}")).cloned(),
            ImportStyle::LoadPath => self.load_path_files(f, lang, module),
            ImportStyle::Declared => self.declared_files(module),
            ImportStyle::None => None,
        };
        found.filter(|v| !v.is_empty())
    }

    pub(super) fn file_by_path(&self, path: &str) -> Option<FileIx> {
        let base = path.rsplit('/').next()?;
        self.by_basename
            .get(base)?
            .iter()
            .copied()
            .find(|&f| self.facts.files[f].path == path)
    }

    /// `self::x`, `super::x`, `crate::x` → `crate::...` in the importing
    /// file's crate; `name::x` where `name` is another crate of the
    /// repository → `crate::x` in that crate. As `(crate root, module)`;
    /// other roots are external crates (`None`).
    pub(super) fn rust_absolute(&self, module: &str, path: &str) -> Option<(String, String)> {
        let (root, current) = rust_module(path)?;
        let current = current.as_str();
        let mut parts: Vec<&str> = module.split("::").collect();
        let is_mod_rs =
            path.ends_with("/mod.rs") || path.ends_with("lib.rs") || path.ends_with("main.rs");
        let mut base: Vec<&str> = current.split("::").collect();
        match parts.first().copied() {
            Some("crate") => {
                parts.remove(0);
                base = vec!["crate"];
            }
            Some("self") => {
                parts.remove(0);
            }
            Some("super") => {
                while parts.first() == Some(&"super") {
                    parts.remove(0);
                    if base.len() > 1 {
                        base.pop();
                    }
                }
            }
            Some(first) => {
                // `use foo::x` inside a crate: a child module `foo` of the crate root or
                // of this module (2018 paths), else another crate of the
                // repository, else an external crate.
                let candidate = if is_mod_rs || current == "crate" {
                    format!("{current}::{module}")
                } else {
                    format!("crate::{module}")
                };
                let head = candidate.split("::").take(2).collect::<Vec<_>>().join("::");
                if self.modules.contains_key(&format!("rs:{root}:{head}")) {
                    return Some((root, candidate));
                }
                let other = self.crates.get(first)?;
                let rest = &parts[1..];
                let mut out = String::from("crate");
                for p in rest {
                    out.push_str("::");
                    out.push_str(p);
                }
                return Some((other.clone(), out));
            }
            None => return None,
        }
        let mut out = base.join("::");
        for p in parts {
            out.push_str("::");
            out.push_str(p);
        }
        Some((root, out))
    }

    /// Resolves every import: edges to files or external modules, and the
    /// names each file's imports bind.
    pub(super) fn build_scopes(&mut self) -> Scopes {
        let facts = self.facts;
        let mut scopes: Vec<FileScope> = (0..facts.files.len())
            .map(|_| FileScope::default())
            .collect();
        let mut out = Scopes::default();
        let mut seen: HashSet<(FileIx, FileIx)> = HashSet::default();
        let mut seen_ext: HashSet<(FileIx, String)> = HashSet::default();
        for imp in &facts.imports {
            let Some(&f) = self.file_ix.get(&imp.file_id) else {
                continue;
            };
            let Some(lang) = self.lang(f) else { continue };
            out.imports += 1;
            let adjusted = self.climb_inline_modules(imp);
            let imp = adjusted.as_ref().unwrap_or(imp);
            let (files, symbol_module) = self.import_target(f, imp);
            let line = imp.line;
            let src = NodeRef::File(facts.files[f].id);
            let Some(fs) = files else {
                out.imports_external += 1;
                self.bind_external(&mut scopes[f], f, imp);
                let module = match lang.import_style {
                    ImportStyle::Java | ImportStyle::Namespace => match &imp.name {
                        Some(n) if !imp.wildcard => format!("{}{}{n}", imp.module, lang.separator),
                        _ => imp.module.clone(),
                    },
                    _ => imp.module.clone(),
                };
                if seen_ext.insert((f, module.clone())) {
                    out.externals.push(ExternalEdge {
                        src,
                        module,
                        file: facts.files[f].id,
                        line,
                    });
                }
                continue;
            };
            out.imports_to_files += 1;
            for &g in &fs {
                if g != f && seen.insert((f, g)) {
                    out.edges.push(RefEdge {
                        kind: EdgeKind::Imports,
                        src,
                        dst: NodeRef::File(facts.files[g].id),
                        provenance: Provenance::Resolved,
                        file: facts.files[f].id,
                        line,
                    });
                }
            }
            self.bind_import(&mut scopes[f], f, imp, fs, symbol_module.is_some());
        }
        self.bind_same_package(&mut scopes);
        self.scopes = scopes;
        out
    }

    /// Rust: `super::` inside an inline `mod tests { .. }` climbs out of
    /// the inline module first, staying in this file. `None` when the
    /// import needs no change.
    fn climb_inline_modules(&self, imp: &ImportFact) -> Option<ImportFact> {
        let f = *self.file_ix.get(&imp.file_id)?;
        if self.lang(f)?.import_style != ImportStyle::Rust || !imp.module.starts_with("super") {
            return None;
        }
        let depth = self
            .facts
            .defs
            .iter()
            .filter(|d| {
                d.file_id == imp.file_id
                    && d.kind == DefKind::Module
                    && d.start_line <= imp.line
                    && imp.line <= d.end_line
            })
            .count();
        let mut rest = imp.module.as_str();
        let mut climbed = 0;
        while climbed < depth {
            match rest.strip_prefix("super") {
                Some(r) => {
                    rest = r.strip_prefix("::").unwrap_or(r);
                    climbed += 1;
                }
                None => break,
            }
        }
        (climbed > 0).then(|| ImportFact {
            module: if rest.is_empty() {
                "self".to_owned()
            } else if rest.starts_with("super") {
                rest.to_owned()
            } else {
                format!("self::{rest}")
            },
            ..imp.clone()
        })
    }

    /// The files an import names (`None`: outside the repository), and
    /// the full module path when the imported name is itself a module
    /// (Python, Rust) or a top-level type (Java: `import a.b.C` is module
    /// a.b + name C; the file is a.b.C's).
    fn import_target(&self, f: FileIx, imp: &ImportFact) -> (Option<Vec<FileIx>>, Option<String>) {
        let Some(lang) = self.lang(f) else {
            return (None, None);
        };
        let name_as_module = |full: String| match self.import_files(f, &full) {
            Some(fs) => (Some(fs), Some(full)),
            None => (self.import_files(f, &imp.module), None),
        };
        match lang.import_style {
            ImportStyle::Java | ImportStyle::Namespace if imp.wildcard => (
                self.packages
                    .get(imp.module.as_str())
                    .cloned()
                    .or_else(|| self.import_files(f, &imp.module)),
                None,
            ),
            // A static import of a member falls back to the class's module;
            // a top-level function of a package (Kotlin) to the files of the
            // package defining it.
            ImportStyle::Java | ImportStyle::Namespace => {
                let full = match &imp.name {
                    Some(n) => format!("{}{}{n}", imp.module, lang.separator),
                    None => imp.module.clone(),
                };
                match name_as_module(full) {
                    (None, _) => (
                        imp.name
                            .as_deref()
                            .and_then(|n| self.package_members(&imp.module, n)),
                        None,
                    ),
                    found => found,
                }
            }
            ImportStyle::Rust if imp.name.is_some() => {
                let name = imp.name.as_deref().unwrap_or("");
                name_as_module(format!("{}::{name}", imp.module))
            }
            ImportStyle::Python if imp.name.is_some() => {
                let name = imp.name.as_deref().unwrap_or("");
                let sep = if imp.module.ends_with('.') { "" } else { "." };
                name_as_module(format!("{}{sep}{name}", imp.module))
            }
            // `alias Acme.{Repo, User}`: each name is a module of its own.
            ImportStyle::Declared if imp.name.is_some() => {
                let name = imp.name.as_deref().unwrap_or("");
                name_as_module(format!("{}{}{name}", imp.module, lang.separator))
            }
            _ => (self.import_files(f, &imp.module), None),
        }
    }

    /// Binds what an import resolved to (`fs`) in the importing file's scope.
    fn bind_import(
        &self,
        scope: &mut FileScope,
        f: FileIx,
        imp: &ImportFact,
        fs: Vec<FileIx>,
        name_is_module: bool,
    ) {
        let Some(lang) = self.lang(f) else { return };
        if imp.wildcard && imp.alias.is_some() && imp.name.is_none() {
            // `import * as ns from './m'`: a namespace, not a wildcard.
            scope
                .names
                .insert(imp.alias.clone().unwrap_or_default(), Binding::Module(fs));
            return;
        }
        if imp.wildcard || lang.import_style == ImportStyle::Include {
            scope.wildcard.extend(fs.iter().copied());
            return;
        }
        let local = imp
            .alias
            .clone()
            .or_else(|| imp.name.clone())
            .unwrap_or_else(|| self.default_binding_name(f, &imp.module, &fs));
        if lang.import_style == ImportStyle::Declared {
            // `alias Acme.Repo` binds `Repo`; `alias Acme.{Repo}` too.
            let sep = lang.separator.as_str();
            let full = match (&imp.name, name_is_module) {
                (Some(n), true) => format!("{}{sep}{n}", imp.module),
                _ => imp.module.clone(),
            };
            let local = match (&imp.alias, &imp.name) {
                (None, None) => full.rsplit(sep).next().unwrap_or(&full).to_owned(),
                _ => local.clone(),
            };
            if name_is_module || imp.name.is_none() {
                scope.qualified.insert(local.clone(), full);
                scope.names.insert(local, Binding::Module(fs.clone()));
                return;
            }
        }
        let binding = if name_is_module {
            // The name is itself a module (file) or a top-level type (Java).
            if matches!(
                lang.import_style,
                ImportStyle::Java | ImportStyle::Namespace
            ) {
                let defs: Vec<DefIx> = fs
                    .iter()
                    .flat_map(|&g| {
                        self.top[g]
                            .get(imp.name.as_deref().unwrap_or(""))
                            .cloned()
                            .unwrap_or_default()
                    })
                    .collect();
                Binding::Symbols(defs)
            } else {
                Binding::Module(fs)
            }
        } else if let Some(name) = &imp.name {
            let mut defs = self.exported(&fs, name, 0);
            if defs.is_empty()
                && matches!(
                    lang.import_style,
                    ImportStyle::Java | ImportStyle::Namespace
                )
            {
                // `import static a.b.C.m`: a member of the class.
                defs = self
                    .members
                    .get(imp.module.as_str())
                    .and_then(|m| m.get(name.as_str()))
                    .map(|v| v.to_vec())
                    .unwrap_or_default();
            }
            Binding::Symbols(defs)
        } else {
            Binding::Module(fs)
        };
        scope.names.insert(local, binding);
    }

    /// Binds the names an import from outside the repository brings in:
    /// they are not the repository's (`from copy import copy`, `import os.path`
    /// binds `os`, `import * as fs from 'fs'` binds `fs`).
    fn bind_external(&self, scope: &mut FileScope, f: FileIx, imp: &ImportFact) {
        if imp.wildcard && imp.alias.is_none() {
            return;
        }
        let local = imp
            .alias
            .clone()
            .or_else(|| imp.name.clone())
            .unwrap_or_else(|| self.default_binding_name(f, &imp.module, &[]));
        for name in [
            local.as_str(),
            local.split(['.', '/', ':']).next().unwrap_or(""),
        ] {
            if !name.is_empty() && !scope.names.contains_key(name) {
                scope.names.insert(name.to_owned(), Binding::External);
            }
        }
    }

    /// Same package: Go files in one directory, Java files of one package
    /// see each other's top-level names.
    fn bind_same_package(&self, scopes: &mut [FileScope]) {
        let facts = self.facts;
        for (f, scope) in scopes.iter_mut().enumerate() {
            let Some(lang) = self.lang(f) else { continue };
            let same: Vec<FileIx> = match lang.import_style {
                ImportStyle::Go => self
                    .dirs
                    .get(dir_of(&facts.files[f].path))
                    .cloned()
                    .unwrap_or_default(),
                ImportStyle::Java => facts.files[f]
                    .package
                    .as_deref()
                    .and_then(|p| self.packages.get(p).cloned())
                    .unwrap_or_else(|| {
                        self.dirs
                            .get(dir_of(&facts.files[f].path))
                            .cloned()
                            .unwrap_or_default()
                    }),
                // The file's namespace and those enclosing it; a file
                // without one sees the other files of the global namespace
                // in its directory.
                ImportStyle::Namespace => match facts.files[f].package.as_deref() {
                    Some(p) => {
                        let mut fs = self.packages.get(p).cloned().unwrap_or_default();
                        fs.extend(self.enclosing_packages(p, &lang.separator));
                        fs
                    }
                    None => self
                        .dirs
                        .get(dir_of(&facts.files[f].path))
                        .map(|fs| {
                            fs.iter()
                                .copied()
                                .filter(|&g| facts.files[g].package.is_none())
                                .collect()
                        })
                        .unwrap_or_default(),
                },
                ImportStyle::WholeModule => self
                    .modules
                    .get(&format!("mod:{}", styles::module_of(&facts.files[f].path)))
                    .cloned()
                    .unwrap_or_default(),
                _ => continue,
            };
            scope.wildcard.extend(
                same.into_iter()
                    .filter(|&g| g != f && facts.files[g].language == facts.files[f].language),
            );
        }
    }

    /// The name an import binds when it has no alias or name: Python `import
    /// a.b` binds `a.b` (used as a receiver); Go binds the package name.
    pub(super) fn default_binding_name(
        &self,
        _f: FileIx,
        module: &str,
        files: &[FileIx],
    ) -> String {
        if let Some(pkg) = files
            .first()
            .and_then(|&g| self.facts.files[g].package.as_deref())
            && self
                .lang(files[0])
                .is_some_and(|l| l.import_style == ImportStyle::Go)
        {
            return pkg.to_owned();
        }
        module.to_owned()
    }

    /// Top-level definitions named `name` in `files`, following re-exports
    /// (`from .x import name` in a package `__init__`, `export {name} from`).
    pub(super) fn exported(&self, files: &[FileIx], name: &str, depth: usize) -> Vec<DefIx> {
        let mut out = Vec::new();
        for &g in files {
            if let Some(defs) = self.top[g].get(name) {
                out.extend(defs.iter().copied());
            } else if depth < 3 {
                let of_file = self
                    .imports_of
                    .get(&self.facts.files[g].id)
                    .map(Vec::as_slice)
                    .unwrap_or(&[]);
                for imp in of_file.iter().map(|&i| &self.facts.imports[i]) {
                    let local = imp.alias.as_deref().or(imp.name.as_deref());
                    if (local == Some(name) || imp.wildcard)
                        && let Some(targets) = self.import_files(g, &imp.module)
                    {
                        let wanted = imp
                            .name
                            .as_deref()
                            .filter(|_| !imp.wildcard)
                            .unwrap_or(name);
                        out.extend(self.exported(&targets, wanted, depth + 1));
                    }
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// What [`Ctx::build_scopes`] found.
#[derive(Debug, Default)]
pub(super) struct Scopes {
    /// Import edges between files.
    pub(super) edges: Vec<RefEdge>,
    pub(super) externals: Vec<ExternalEdge>,
    pub(super) imports: u64,
    pub(super) imports_to_files: u64,
    pub(super) imports_external: u64,
}

impl Ctx<'_> {
    /// `path` without the extension of a source file of a language whose
    /// imports resolve as `style` does (`./a.js` and `./a` name `a.ts`;
    /// `.d.ts` declarations count as their module).
    fn stem_if_source<'p>(&self, style: ImportStyle, path: &'p str) -> &'p str {
        for lang in self.registry.languages() {
            if lang.import_style != style {
                continue;
            }
            for ext in &lang.extensions {
                if let Some(stem) = path.strip_suffix(ext.as_str())
                    && let Some(stem) = stem.strip_suffix('.')
                {
                    return stem.strip_suffix(".d").unwrap_or(stem);
                }
            }
        }
        path
    }
}
