//! The resolution context: every definition, file and binding indexed for
//! lookups, built once per resolution.

use super::namespaces::{load_path_key, load_path_stems, load_root_key};
use super::{BindingRef, DefIx, FileIx, styles};
use codegraph_core::{DefId, DefKind, FileId, GraphFacts};
use codegraph_lang::{ImportStyle, Language, Registry};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use smallvec::SmallVec;

/// Definitions under one key: most keys name one or two, kept inline (an
/// update builds these maps over every definition; one allocation per key
/// made building and dropping them a third of an update's resolution).
pub(super) type Ixs = SmallVec<[DefIx; 2]>;

#[derive(Debug, Clone)]
pub(super) enum Binding {
    /// A name bound to definitions (`from m import f`).
    Symbols(Vec<DefIx>),
    /// A name bound to a module: its files (`import m`, Go packages).
    Module(Vec<FileIx>),
    /// A name imported from outside the repository (`from copy import
    /// copy`, `import json`): never one of the repository's definitions.
    External,
}

#[derive(Default)]
pub(super) struct FileScope {
    /// Local name → what it is bound to by imports.
    pub(super) names: HashMap<String, Binding>,
    /// Files whose top-level names are all visible (wildcards, includes,
    /// same package).
    pub(super) wildcard: Vec<FileIx>,
    /// Local name → the full module name an import bound to it
    /// (`declared` imports: `alias Acme.Repo` binds `Repo`).
    pub(super) qualified: HashMap<String, String>,
}

pub(super) struct Ctx<'a> {
    pub(super) facts: &'a GraphFacts,
    pub(super) registry: &'a Registry,
    pub(super) langs: Vec<Option<&'a Language>>,
    pub(super) def_ix: HashMap<DefId, DefIx>,
    pub(super) file_ix: HashMap<FileId, FileIx>,
    pub(super) def_parent: Vec<Option<DefIx>>,
    /// Definitions that are some definition's parent.
    pub(super) parents: HashSet<DefIx>,
    pub(super) def_kind: Vec<DefKind>,
    pub(super) def_file: Vec<FileIx>,
    pub(super) by_name: HashMap<&'a str, Ixs>,
    pub(super) by_qname: HashMap<&'a str, Ixs>,
    /// Owner qualified name → member name → definitions.
    pub(super) members: HashMap<&'a str, HashMap<&'a str, Ixs>>,
    /// File → top-level name → definitions.
    pub(super) top: Vec<HashMap<&'a str, Ixs>>,
    /// Python dotted module / Rust module path / JS path → file.
    pub(super) modules: HashMap<String, Vec<FileIx>>,
    /// Directory → files (Go packages, Java packages by directory).
    pub(super) dirs: HashMap<&'a str, Vec<FileIx>>,
    /// Java package → files.
    pub(super) packages: HashMap<&'a str, Vec<FileIx>>,
    /// File name → files (C includes).
    pub(super) by_basename: HashMap<&'a str, Vec<FileIx>>,
    /// Go module path → directory of its go.mod.
    pub(super) go_modules: Vec<(String, String)>,
    /// Package name → root directory, from `pubspec.yaml` (`uri` imports).
    pub(super) lib_roots: Vec<(String, String)>,
    /// Rust crate name → the directory holding its `src/`: crates of the
    /// repository, whose names the indexer took from their manifests into
    /// their qualified names (`shop::store::Store`).
    pub(super) crates: HashMap<String, String>,
    pub(super) scopes: Vec<FileScope>,
    pub(super) bases: HashMap<DefIx, Vec<DefIx>>,
    /// The base a `super(...)` call reaches: the class it extends.
    pub(super) superclass: HashMap<DefIx, DefIx>,
    /// Imports by file, for following re-exports.
    pub(super) imports_of: HashMap<FileId, Vec<usize>>,
    /// Type → bindings made in its methods (`self.x = ...`).
    pub(super) type_bindings: HashMap<DefIx, Vec<(DefIx, BindingRef<'a>)>>,
    /// Scope definition → binding name → type text (or `=value`).
    pub(super) bindings: HashMap<Option<DefIx>, Vec<BindingRef<'a>>>,
    /// File-level bindings (scope: none), per file.
    pub(super) file_bindings: HashMap<FileIx, Vec<BindingRef<'a>>>,
}

/// What [`Ctx::index_definitions`] builds.
struct DefIndex<'a> {
    by_name: HashMap<&'a str, Ixs>,
    by_qname: HashMap<&'a str, Ixs>,
    members: HashMap<&'a str, HashMap<&'a str, Ixs>>,
    top: Vec<HashMap<&'a str, Ixs>>,
}

/// What [`Ctx::index_files`] builds.
#[derive(Default)]
struct FileIndex<'a> {
    modules: HashMap<String, Vec<FileIx>>,
    dirs: HashMap<&'a str, Vec<FileIx>>,
    packages: HashMap<&'a str, Vec<FileIx>>,
    by_basename: HashMap<&'a str, Vec<FileIx>>,
    go_modules: Vec<(String, String)>,
    lib_roots: Vec<(String, String)>,
    crates: HashMap<String, String>,
    imports_of: HashMap<FileId, Vec<usize>>,
}

/// What [`Ctx::index_bindings`] builds.
#[derive(Default)]
struct BindingIndex<'a> {
    bindings: HashMap<Option<DefIx>, Vec<BindingRef<'a>>>,
    file_bindings: HashMap<FileIx, Vec<BindingRef<'a>>>,
    type_bindings: HashMap<DefIx, Vec<(DefIx, BindingRef<'a>)>>,
}

pub(super) fn dir_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

pub(super) fn stem_path(path: &str) -> &str {
    path.rsplit_once('.').map_or(path, |(s, _)| s)
}

/// Rust crate root (the directory holding `src/`) and module path of a file.
pub(super) fn rust_module(path: &str) -> Option<(String, String)> {
    let (root, rest) = if let Some(rest) = path.strip_prefix("src/") {
        ("", rest)
    } else {
        let i = path.rfind("/src/")?;
        (&path[..i], &path[i + 5..])
    };
    let rest = stem_path(rest);
    let mut parts: Vec<&str> = rest.split('/').collect();
    if matches!(parts.last(), Some(&("lib" | "main" | "mod"))) {
        parts.pop();
    }
    let mut module = String::from("crate");
    for p in parts {
        module.push_str("::");
        module.push_str(p);
    }
    Some((root.to_owned(), module))
}

pub(super) fn python_module(path: &str) -> String {
    let stem = stem_path(path);
    let stem = stem.strip_prefix("src/").unwrap_or(stem);
    let stem = stem.strip_suffix("/__init__").unwrap_or(stem);
    stem.replace('/', ".")
}

impl<'a> Ctx<'a> {
    pub(super) fn new(facts: &'a GraphFacts, registry: &'a Registry) -> Ctx<'a> {
        let file_ix: HashMap<FileId, FileIx> = facts
            .files
            .iter()
            .enumerate()
            .map(|(i, f)| (f.id, i))
            .collect();
        let def_ix: HashMap<DefId, DefIx> = facts
            .defs
            .iter()
            .enumerate()
            .map(|(i, d)| (d.id, i))
            .collect();
        let langs = facts
            .files
            .iter()
            .map(|f| registry.by_name(&f.language))
            .collect();
        let mut ctx = Ctx {
            facts,
            registry,
            langs,
            def_parent: facts
                .defs
                .iter()
                .map(|d| d.parent_id.and_then(|p| def_ix.get(&p).copied()))
                .collect(),
            parents: HashSet::default(),
            def_kind: facts.defs.iter().map(|d| d.kind).collect(),
            def_file: facts
                .defs
                .iter()
                .map(|d| file_ix.get(&d.file_id).copied().unwrap_or(0))
                .collect(),
            def_ix,
            file_ix,
            by_name: HashMap::default(),
            by_qname: HashMap::default(),
            members: HashMap::default(),
            top: Vec::new(),
            modules: HashMap::default(),
            dirs: HashMap::default(),
            packages: HashMap::default(),
            by_basename: HashMap::default(),
            go_modules: Vec::new(),
            lib_roots: Vec::new(),
            crates: HashMap::default(),
            scopes: Vec::new(),
            bases: HashMap::default(),
            superclass: HashMap::default(),
            imports_of: HashMap::default(),
            type_bindings: HashMap::default(),
            bindings: HashMap::default(),
            file_bindings: HashMap::default(),
        };
        ctx.parents = ctx.def_parent.iter().flatten().copied().collect();
        // Three independent indexes over the facts, built side by side.
        let (defs, (files, bindings)) = rayon::join(
            || ctx.index_definitions(),
            || rayon::join(|| ctx.index_files(), || ctx.index_bindings()),
        );
        ctx.by_name = defs.by_name;
        ctx.by_qname = defs.by_qname;
        ctx.members = defs.members;
        ctx.top = defs.top;
        ctx.dirs = files.dirs;
        ctx.by_basename = files.by_basename;
        ctx.modules = files.modules;
        ctx.packages = files.packages;
        ctx.go_modules = files.go_modules;
        ctx.lib_roots = files.lib_roots;
        ctx.crates = files.crates;
        ctx.imports_of = files.imports_of;
        ctx.bindings = bindings.bindings;
        ctx.file_bindings = bindings.file_bindings;
        ctx.type_bindings = bindings.type_bindings;
        ctx
    }

    /// Drops the context, its large maps side by side: freeing them one
    /// by one took as long as building them.
    pub(super) fn dispose(self) {
        let Ctx {
            by_name,
            by_qname,
            members,
            top,
            bindings,
            type_bindings,
            def_ix,
            ..
        } = self;
        rayon::join(
            || drop((by_name, members)),
            || drop((by_qname, top, bindings, type_bindings, def_ix)),
        );
    }

    /// Names, qualified names, members of types and top-level names.
    fn index_definitions(&self) -> DefIndex<'a> {
        let ctx = self;
        let facts = ctx.facts;
        let n = facts.defs.len();
        let mut out = DefIndex {
            by_name: HashMap::with_capacity_and_hasher(n / 2, Default::default()),
            by_qname: HashMap::with_capacity_and_hasher(n, Default::default()),
            members: HashMap::default(),
            top: vec![HashMap::default(); facts.files.len()],
        };
        for (i, d) in facts.defs.iter().enumerate() {
            out.by_name.entry(&d.name).or_default().push(i);
            out.by_qname.entry(&d.qualified_name).or_default().push(i);
            let sep_len = if d.qualified_name.len() > d.name.len() {
                let owner_end = d.qualified_name.len() - d.name.len();
                let owner_with_sep = &d.qualified_name[..owner_end];
                if owner_with_sep.ends_with("::") {
                    2
                } else if owner_with_sep.ends_with('.') || owner_with_sep.ends_with('\\') {
                    1
                } else {
                    0
                }
            } else {
                0
            };
            let is_method = ctx.def_kind[i] == DefKind::Method;
            let nested_in_type = ctx.def_parent[i].is_some_and(|p| ctx.def_kind[p].is_type_like());
            if (is_method || nested_in_type) && sep_len > 0 {
                let owner = &d.qualified_name[..d.qualified_name.len() - d.name.len() - sep_len];
                out.members
                    .entry(owner)
                    .or_default()
                    .entry(&d.name)
                    .or_default()
                    .push(i);
            }
            let f = ctx.def_file[i];
            // C/C++ namespaces are flattened: `namespace app { class User }`
            // in an included header is visible as `User` (code using it is
            // inside the namespace or says `using namespace`). Likewise the
            // functions of `declared` modules (Elixir `defmodule`), which a
            // wildcard import (`import Acme.Util`) makes visible, and the
            // methods of their interfaces (Haskell class methods are
            // module-level functions).
            let style = ctx.langs[f].map(|l| l.import_style);
            let declared = style == Some(ImportStyle::Declared);
            let include = style == Some(ImportStyle::Include);
            let visible = match ctx.def_parent[i].map(|p| ctx.def_kind[p]) {
                None => !is_method,
                Some(DefKind::Module) => (include || declared) && !is_method,
                Some(DefKind::Interface) => declared,
                Some(_) => false,
            };
            if visible {
                out.top[f].entry(&d.name).or_default().push(i);
            }
        }
        out
    }

    /// Directories, file names, modules, packages and module roots.
    fn index_files(&self) -> FileIndex<'a> {
        let ctx = self;
        let facts = ctx.facts;
        let mut out = FileIndex::default();
        // Project roots below the top (an example application, a nested
        // package): directories holding a project file of a Python-style
        // language.
        let project_files: Vec<&str> = ctx
            .registry
            .languages()
            .iter()
            .filter(|l| l.import_style == ImportStyle::Python)
            .flat_map(|l| l.project_files.iter().map(String::as_str))
            .collect();
        let py_roots: Vec<String> = facts
            .files
            .iter()
            .filter(|f| {
                let base = f.path.rsplit('/').next().unwrap_or(&f.path);
                f.path.contains('/') && project_files.contains(&base)
            })
            .map(|f| format!("{}/", dir_of(&f.path)))
            .collect();
        // The crate root of each Rust file: its definitions' qualified
        // names start with the crate's name.
        let mut crate_roots: HashMap<FileId, String> = HashMap::default();
        for (fi, f) in facts.files.iter().enumerate() {
            out.dirs.entry(dir_of(&f.path)).or_default().push(fi);
            let base = f.path.rsplit('/').next().unwrap_or(&f.path);
            out.by_basename.entry(base).or_default().push(fi);
            let Some(lang) = ctx.langs[fi] else { continue };
            match lang.import_style {
                ImportStyle::Python => {
                    out.modules
                        .entry(format!("py:{}", python_module(&f.path)))
                        .or_default()
                        .push(fi);
                    for root in &py_roots {
                        if let Some(inner) = f.path.strip_prefix(root.as_str()) {
                            let entry = out
                                .modules
                                .entry(format!("py:{}", python_module(inner)))
                                .or_default();
                            if !entry.contains(&fi) {
                                entry.push(fi);
                            }
                        }
                    }
                }
                ImportStyle::Rust => {
                    if let Some((root, module)) = rust_module(&f.path) {
                        out.modules
                            .entry(format!("rs:{root}:{module}"))
                            .or_default()
                            .push(fi);
                        crate_roots.insert(f.id, root);
                    }
                }
                ImportStyle::Path => {
                    let stem = stem_path(&f.path);
                    out.modules
                        .entry(format!("js:{stem}"))
                        .or_default()
                        .push(fi);
                    if let Some(dir) = stem.strip_suffix("/index") {
                        out.modules.entry(format!("js:{dir}")).or_default().push(fi);
                    }
                }
                ImportStyle::Java | ImportStyle::Namespace | ImportStyle::Declared => {
                    if let Some(p) = &f.package {
                        out.packages.entry(p).or_default().push(fi);
                    }
                }
                ImportStyle::Uri => {
                    if let Some(key) = styles::lib_key(&f.path) {
                        out.modules.entry(key).or_default().push(fi);
                    }
                }
                ImportStyle::WholeModule => out
                    .modules
                    .entry(format!("mod:{}", styles::module_of(&f.path)))
                    .or_default()
                    .push(fi),
                ImportStyle::LoadPath => {
                    for (stem, rooted) in load_path_stems(lang, &f.path) {
                        let key = if rooted {
                            load_root_key(&lang.name, &stem)
                        } else {
                            load_path_key(&lang.name, &stem)
                        };
                        out.modules.entry(key).or_default().push(fi);
                    }
                }
                _ => {}
            }
        }
        for d in &facts.defs {
            if let Some(root) = crate_roots.get(&d.file_id)
                && let Some((name, _)) = d.qualified_name.split_once("::")
                && name != "crate"
            {
                out.crates
                    .entry(name.to_owned())
                    .or_insert_with(|| root.clone());
            }
        }
        for (path, text) in &facts.configs {
            if path.rsplit('/').next() == Some("pubspec.yaml") {
                if let Some(name) = styles::package_name(text) {
                    out.lib_roots
                        .push((name.to_owned(), dir_of(path).to_owned()));
                }
                continue;
            }
            if let Some(module) = text.lines().find_map(|l| l.trim().strip_prefix("module ")) {
                out.go_modules.push((
                    module.trim().trim_matches('"').to_owned(),
                    dir_of(path).to_owned(),
                ));
            }
        }
        for (i, imp) in facts.imports.iter().enumerate() {
            out.imports_of.entry(imp.file_id).or_default().push(i);
        }
        out
    }

    /// Bindings by scope, by file, and by the type whose methods make them.
    fn index_bindings(&self) -> BindingIndex<'a> {
        let ctx = self;
        let facts = ctx.facts;
        let mut out = BindingIndex::default();
        for b in &facts.bindings {
            let entry = (b.name.as_str(), b.type_name.as_deref(), b.value.as_deref());
            match b.scope_id.and_then(|s| ctx.def_ix.get(&s).copied()) {
                Some(scope) => out.bindings.entry(Some(scope)).or_default().push(entry),
                None => {
                    if let Some(&f) = ctx.file_ix.get(&b.file_id) {
                        out.file_bindings.entry(f).or_default().push(entry);
                    }
                }
            }
        }
        let mut type_bindings: HashMap<DefIx, Vec<(DefIx, BindingRef<'a>)>> = HashMap::default();
        for (scope, list) in &out.bindings {
            let Some(s) = *scope else { continue };
            let Some(t) = ctx.enclosing_type(Some(s)) else {
                continue;
            };
            // `self.x = ...` in a method, and TypeScript parameter
            // properties (`constructor(private repo: Repo)`).
            for &b in list {
                type_bindings.entry(t).or_default().push((s, b));
            }
        }
        out.type_bindings = type_bindings;
        out
    }

    pub(super) fn lang(&self, f: FileIx) -> Option<&'a Language> {
        self.langs[f]
    }

    pub(super) fn sep(&self, f: FileIx) -> &str {
        self.lang(f).map_or(".", |l| l.separator.as_str())
    }

    pub(super) fn is_type(&self, d: DefIx) -> bool {
        self.def_kind[d].is_type()
    }

    pub(super) fn is_callable_target(&self, d: DefIx) -> bool {
        let k = self.def_kind[d];
        k.is_callable() || k.is_type_like()
    }

    /// Whether `d` is defined inside a function or method (a nested helper,
    /// a class local to a test): visible only there, never a target of an
    /// inference elsewhere.
    pub(super) fn inside_callable(&self, d: DefIx) -> bool {
        std::iter::successors(self.def_parent[d], |&p| self.def_parent[p])
            .any(|a| self.def_kind[a].is_callable())
    }

    /// Whether `name` is bound as a parameter or local variable in a
    /// function around `caller` (or at the file's top level without being
    /// a definition): such a name shadows definitions of the same name.
    pub(super) fn is_local(&self, f: FileIx, caller: Option<DefIx>, name: &str) -> bool {
        let bound = |list: &[BindingRef<'a>]| list.iter().any(|b| b.0 == name);
        let mut cur = caller;
        while let Some(d) = cur {
            if self.def_kind[d].is_type_like() {
                // Class bodies do not scope their methods' names.
                cur = self.def_parent[d];
                continue;
            }
            if self.bindings.get(&Some(d)).is_some_and(|l| bound(l)) {
                return true;
            }
            cur = self.def_parent[d];
        }
        self.file_bindings.get(&f).is_some_and(|l| bound(l)) && !self.top[f].contains_key(name)
    }
}
