//! Resolution of imports, calls and inheritance into edges.
//!
//! Every edge is `resolved` (proved by scope, import or a known type) or
//! `inferred` (the only definition of that name in the repository). A call
//! that matches several definitions and nothing narrows it stays unresolved.

use codegraph_core::DefKind;
use codegraph_lang::{ImportStyle, Language, Registry};
use codegraph_store::{EdgeRow, ExternalEdge, GraphFacts, NodeRef};
// Fx hashing: resolution builds maps over every definition of the
// repository on each update, and SipHash's DoS resistance buys nothing here.
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

pub const RESOLVED: &str = "resolved";
pub const INFERRED: &str = "inferred";

/// What resolution produced.
#[derive(Debug, Default)]
pub struct Resolution {
    pub edges: Vec<EdgeRow>,
    pub externals: Vec<ExternalEdge>,
    pub stats: ResolutionStats,
}

/// How many references were resolved, by provenance.
#[derive(Debug, Default, Clone, serde::Serialize)]
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

type FileIx = usize;
/// A binding as resolution reads it: name, type text, value text.
type BindingRef<'a> = (&'a str, Option<&'a str>, Option<&'a str>);
type DefIx = usize;

#[derive(Debug, Clone)]
enum Binding {
    /// A name bound to definitions (`from m import f`).
    Symbols(Vec<DefIx>),
    /// A name bound to a module: its files (`import m`, Go packages).
    Module(Vec<FileIx>),
}

#[derive(Default)]
struct FileScope {
    /// Local name → what it is bound to by imports.
    names: HashMap<String, Binding>,
    /// Files whose top-level names are all visible (wildcards, includes,
    /// same package).
    wildcard: Vec<FileIx>,
}

struct Ctx<'a> {
    facts: &'a GraphFacts,
    langs: Vec<Option<&'a Language>>,
    def_ix: HashMap<i64, DefIx>,
    file_ix: HashMap<i64, FileIx>,
    def_parent: Vec<Option<DefIx>>,
    def_kind: Vec<Option<DefKind>>,
    def_file: Vec<FileIx>,
    by_name: HashMap<&'a str, Vec<DefIx>>,
    by_qname: HashMap<&'a str, Vec<DefIx>>,
    /// Owner qualified name → member name → definitions.
    members: HashMap<&'a str, HashMap<&'a str, Vec<DefIx>>>,
    /// File → top-level name → definitions.
    top: Vec<HashMap<&'a str, Vec<DefIx>>>,
    /// Python dotted module / Rust module path / JS path → file.
    modules: HashMap<String, Vec<FileIx>>,
    /// Directory → files (Go packages, Java packages by directory).
    dirs: HashMap<&'a str, Vec<FileIx>>,
    /// Java package → files.
    packages: HashMap<&'a str, Vec<FileIx>>,
    /// File name → files (C includes).
    by_basename: HashMap<&'a str, Vec<FileIx>>,
    /// Go module path → directory of its go.mod.
    go_modules: Vec<(String, String)>,
    scopes: Vec<FileScope>,
    bases: HashMap<DefIx, Vec<DefIx>>,
    /// The base a `super(...)` call reaches: the class it extends.
    superclass: HashMap<DefIx, DefIx>,
    /// Imports by file, for following re-exports.
    imports_of: HashMap<i64, Vec<usize>>,
    /// Type → bindings made in its methods (`self.x = ...`).
    type_bindings: HashMap<DefIx, Vec<(DefIx, BindingRef<'a>)>>,
    /// Scope definition → binding name → type text (or `=value`).
    bindings: HashMap<Option<DefIx>, Vec<BindingRef<'a>>>,
    /// File-level bindings (scope: none), per file.
    file_bindings: HashMap<FileIx, Vec<BindingRef<'a>>>,
}

fn dir_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

fn stem_path(path: &str) -> &str {
    path.rsplit_once('.').map_or(path, |(s, _)| s)
}

/// Rust crate root (the directory holding `src/`) and module path of a file.
fn rust_module(path: &str) -> Option<(String, String)> {
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

fn python_module(path: &str) -> String {
    let stem = stem_path(path);
    let stem = stem.strip_prefix("src/").unwrap_or(stem);
    let stem = stem.strip_suffix("/__init__").unwrap_or(stem);
    stem.replace('/', ".")
}

/// `&mut Foo<T>` → `Foo`; `models.User` → `models.User`; `t.Optional[X]` → `t.Optional`.
fn clean_type(t: &str) -> &str {
    let mut t = t.trim();
    loop {
        let before = t;
        for prefix in ["&", "mut ", "*", "dyn ", "impl ", "const ", "[]", "?"] {
            t = t.strip_prefix(prefix).unwrap_or(t).trim_start();
        }
        if t == before {
            break;
        }
    }
    let end = t.find(['<', '[', '(', ' ', '{', '|']).unwrap_or(t.len());
    t[..end].trim_end_matches("::")
}

fn last_segment(s: &str) -> &str {
    let s = s.rsplit("::").next().unwrap_or(s);
    s.rsplit('.').next().unwrap_or(s)
}

fn qualifier(s: &str) -> Option<&str> {
    if let Some((q, _)) = s.rsplit_once("::") {
        return Some(q);
    }
    s.rsplit_once('.').map(|(q, _)| q)
}

impl<'a> Ctx<'a> {
    fn new(facts: &'a GraphFacts, registry: &'a Registry) -> Ctx<'a> {
        let file_ix: HashMap<i64, FileIx> = facts
            .files
            .iter()
            .enumerate()
            .map(|(i, f)| (f.id, i))
            .collect();
        let def_ix: HashMap<i64, DefIx> = facts
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
            langs,
            def_parent: facts
                .defs
                .iter()
                .map(|d| d.parent_id.and_then(|p| def_ix.get(&p).copied()))
                .collect(),
            def_kind: facts.defs.iter().map(|d| d.kind.parse().ok()).collect(),
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
            top: vec![HashMap::default(); facts.files.len()],
            modules: HashMap::default(),
            dirs: HashMap::default(),
            packages: HashMap::default(),
            by_basename: HashMap::default(),
            go_modules: Vec::new(),
            scopes: Vec::new(),
            bases: HashMap::default(),
            superclass: HashMap::default(),
            imports_of: HashMap::default(),
            type_bindings: HashMap::default(),
            bindings: HashMap::default(),
            file_bindings: HashMap::default(),
        };
        for (i, d) in facts.defs.iter().enumerate() {
            ctx.by_name.entry(&d.name).or_default().push(i);
            ctx.by_qname.entry(&d.qualified_name).or_default().push(i);
            let sep_len = if d.qualified_name.len() > d.name.len() {
                let owner_end = d.qualified_name.len() - d.name.len();
                let owner_with_sep = &d.qualified_name[..owner_end];
                if owner_with_sep.ends_with("::") {
                    2
                } else if owner_with_sep.ends_with('.') {
                    1
                } else {
                    0
                }
            } else {
                0
            };
            let is_method = ctx.def_kind[i] == Some(DefKind::Method);
            let nested_in_type = ctx.def_parent[i]
                .is_some_and(|p| ctx.def_kind[p].is_some_and(DefKind::is_type_like));
            if (is_method || nested_in_type) && sep_len > 0 {
                let owner = &d.qualified_name[..d.qualified_name.len() - d.name.len() - sep_len];
                ctx.members
                    .entry(owner)
                    .or_default()
                    .entry(&d.name)
                    .or_default()
                    .push(i);
            }
            let f = ctx.def_file[i];
            // C/C++ namespaces are flattened: `namespace app { class User }`
            // in an included header is visible as `User` (code using it is
            // inside the namespace or says `using namespace`).
            let in_namespace = ctx.def_parent[i].is_some_and(|p| {
                ctx.def_kind[p] == Some(DefKind::Module)
                    && ctx.langs[f].is_some_and(|l| l.import_style == ImportStyle::Include)
            });
            if (ctx.def_parent[i].is_none() || in_namespace) && !is_method {
                ctx.top[f].entry(&d.name).or_default().push(i);
            }
        }
        for (fi, f) in facts.files.iter().enumerate() {
            ctx.dirs.entry(dir_of(&f.path)).or_default().push(fi);
            let base = f.path.rsplit('/').next().unwrap_or(&f.path);
            ctx.by_basename.entry(base).or_default().push(fi);
            let Some(lang) = ctx.langs[fi] else { continue };
            match lang.import_style {
                ImportStyle::Python => ctx
                    .modules
                    .entry(format!("py:{}", python_module(&f.path)))
                    .or_default()
                    .push(fi),
                ImportStyle::Rust => {
                    if let Some((root, module)) = rust_module(&f.path) {
                        ctx.modules
                            .entry(format!("rs:{root}:{module}"))
                            .or_default()
                            .push(fi);
                    }
                }
                ImportStyle::Path => {
                    let stem = stem_path(&f.path);
                    ctx.modules
                        .entry(format!("js:{stem}"))
                        .or_default()
                        .push(fi);
                    if let Some(dir) = stem.strip_suffix("/index") {
                        ctx.modules.entry(format!("js:{dir}")).or_default().push(fi);
                    }
                }
                ImportStyle::Java => {
                    if let Some(p) = &f.package {
                        ctx.packages.entry(p).or_default().push(fi);
                    }
                }
                _ => {}
            }
        }
        for (path, text) in &facts.configs {
            if let Some(module) = text.lines().find_map(|l| l.trim().strip_prefix("module ")) {
                ctx.go_modules.push((
                    module.trim().trim_matches('"').to_owned(),
                    dir_of(path).to_owned(),
                ));
            }
        }
        for (i, imp) in facts.imports.iter().enumerate() {
            ctx.imports_of.entry(imp.file_id).or_default().push(i);
        }
        for b in &facts.bindings {
            let entry = (b.name.as_str(), b.type_name.as_deref(), b.value.as_deref());
            match b.scope_id.and_then(|s| ctx.def_ix.get(&s).copied()) {
                Some(scope) => ctx.bindings.entry(Some(scope)).or_default().push(entry),
                None => {
                    if let Some(&f) = ctx.file_ix.get(&b.file_id) {
                        ctx.file_bindings.entry(f).or_default().push(entry);
                    }
                }
            }
        }
        let mut type_bindings: HashMap<DefIx, Vec<(DefIx, BindingRef<'a>)>> = HashMap::default();
        for (scope, list) in &ctx.bindings {
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
        ctx.type_bindings = type_bindings;
        ctx
    }

    fn lang(&self, f: FileIx) -> Option<&'a Language> {
        self.langs[f]
    }

    fn sep(&self, f: FileIx) -> &str {
        self.lang(f).map_or(".", |l| l.separator.as_str())
    }

    fn is_type(&self, d: DefIx) -> bool {
        self.def_kind[d].is_some_and(|k| k.is_type_like() || k == DefKind::Type)
    }

    fn is_callable_target(&self, d: DefIx) -> bool {
        self.def_kind[d].is_some_and(|k| k.is_callable() || k.is_type_like())
    }

    /// The files an import's module names, or `None` if it leaves the repo.
    fn import_files(&self, f: FileIx, module: &str) -> Option<Vec<FileIx>> {
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
                self.modules.get(&format!("py:{full}")).cloned()
            }
            ImportStyle::Rust => {
                let (root, current) = rust_module(path)?;
                let module = self.rust_absolute(&current, module, path)?;
                self.modules.get(&format!("rs:{root}:{module}")).cloned()
            }
            ImportStyle::Path => {
                if !module.starts_with('.') {
                    return None;
                }
                let joined = normalize(&format!("{}/{}", dir_of(path), module));
                let key = stem_path_if_code(&joined);
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
                        .filter(|&g| self.facts.files[g].language == "go")
                        .collect()
                })
            }
            ImportStyle::Java => {
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
            ImportStyle::None => None,
        };
        found.filter(|v| !v.is_empty())
    }

    fn file_by_path(&self, path: &str) -> Option<FileIx> {
        let base = path.rsplit('/').next()?;
        self.by_basename
            .get(base)?
            .iter()
            .copied()
            .find(|&f| self.facts.files[f].path == path)
    }

    /// `self::x`, `super::x`, `crate::x` → `crate::...`; other roots are
    /// external crates (`None`).
    fn rust_absolute(&self, current: &str, module: &str, path: &str) -> Option<String> {
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
                // of this module (2018 paths), else an external crate.
                let _ = first;
                let candidate = if is_mod_rs || current == "crate" {
                    format!("{current}::{module}")
                } else {
                    format!("crate::{module}")
                };
                let (root, _) = rust_module(path)?;
                let head = candidate.split("::").take(2).collect::<Vec<_>>().join("::");
                if self.modules.contains_key(&format!("rs:{root}:{head}")) {
                    return Some(candidate);
                }
                return None;
            }
            None => return None,
        }
        let mut out = base.join("::");
        for p in parts {
            out.push_str("::");
            out.push_str(p);
        }
        Some(out)
    }

    fn build_scopes(&mut self) -> (Vec<EdgeRow>, Vec<ExternalEdge>, u64, u64, u64) {
        let facts = self.facts;
        let mut scopes: Vec<FileScope> = (0..facts.files.len())
            .map(|_| FileScope::default())
            .collect();
        let mut edges = Vec::new();
        let mut externals = Vec::new();
        let mut seen: HashSet<(FileIx, FileIx)> = HashSet::default();
        let mut seen_ext: HashSet<(FileIx, String)> = HashSet::default();
        let (mut total, mut to_files, mut external) = (0, 0, 0);
        for imp in &facts.imports {
            let Some(&f) = self.file_ix.get(&imp.file_id) else {
                continue;
            };
            let Some(lang) = self.lang(f) else { continue };
            total += 1;
            // Java: `import a.b.C` is module a.b + name C; the file is a.b.C's.
            // Rust: `super::` inside an inline `mod tests { .. }` climbs out of
            // the inline module first, staying in this file.
            let adjusted;
            let imp = if lang.import_style == ImportStyle::Rust && imp.module.starts_with("super") {
                let depth = facts
                    .defs
                    .iter()
                    .filter(|d| {
                        d.file_id == imp.file_id
                            && d.kind == "module"
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
                if climbed > 0 {
                    adjusted = codegraph_store::ImportFact {
                        module: if rest.is_empty() {
                            "self".to_owned()
                        } else if rest.starts_with("super") {
                            rest.to_owned()
                        } else {
                            format!("self::{rest}")
                        },
                        ..imp.clone()
                    };
                    &adjusted
                } else {
                    imp
                }
            } else {
                imp
            };
            let (files, symbol_module) = match lang.import_style {
                ImportStyle::Java => {
                    let full = match &imp.name {
                        Some(n) => format!("{}.{n}", imp.module),
                        None => imp.module.clone(),
                    };
                    if imp.wildcard {
                        (
                            self.packages
                                .get(imp.module.as_str())
                                .cloned()
                                .or_else(|| self.import_files(f, &imp.module)),
                            None,
                        )
                    } else {
                        match self.import_files(f, &full) {
                            Some(fs) => (Some(fs), Some(full)),
                            // Static import of a member: module is the class.
                            None => (self.import_files(f, &imp.module), None),
                        }
                    }
                }
                ImportStyle::Rust if imp.name.is_some() => {
                    let name = imp.name.as_deref().unwrap_or("");
                    let full = format!("{}::{name}", imp.module);
                    match self.import_files(f, &full) {
                        Some(fs) => (Some(fs), Some(full)),
                        None => (self.import_files(f, &imp.module), None),
                    }
                }
                ImportStyle::Python if imp.name.is_some() => {
                    let name = imp.name.as_deref().unwrap_or("");
                    let sep = if imp.module.ends_with('.') { "" } else { "." };
                    let full = format!("{}{sep}{name}", imp.module);
                    match self.import_files(f, &full) {
                        Some(fs) => (Some(fs), Some(full)),
                        None => (self.import_files(f, &imp.module), None),
                    }
                }
                _ => (self.import_files(f, &imp.module), None),
            };
            let line = imp.line;
            let src = NodeRef::File(facts.files[f].id);
            match files {
                Some(fs) => {
                    to_files += 1;
                    for &g in &fs {
                        if g != f && seen.insert((f, g)) {
                            edges.push(EdgeRow {
                                kind: "imports".into(),
                                src,
                                dst: NodeRef::File(facts.files[g].id),
                                provenance: RESOLVED.into(),
                                file_id: facts.files[f].id,
                                line,
                            });
                        }
                    }
                    let scope = &mut scopes[f];
                    if imp.wildcard && imp.alias.is_some() && imp.name.is_none() {
                        // `import * as ns from './m'`: a namespace, not a wildcard.
                        scope
                            .names
                            .insert(imp.alias.clone().unwrap_or_default(), Binding::Module(fs));
                        continue;
                    }
                    if imp.wildcard || lang.import_style == ImportStyle::Include {
                        scope.wildcard.extend(fs.iter().copied());
                        continue;
                    }
                    let local = imp
                        .alias
                        .clone()
                        .or_else(|| imp.name.clone())
                        .unwrap_or_else(|| self.default_binding_name(f, &imp.module, &fs));
                    let binding = if symbol_module.is_some() {
                        // The name is itself a module (file) or a top-level type (Java).
                        if lang.import_style == ImportStyle::Java {
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
                        if defs.is_empty() && lang.import_style == ImportStyle::Java {
                            // `import static a.b.C.m`: a member of the class.
                            defs = self
                                .members
                                .get(imp.module.as_str())
                                .and_then(|m| m.get(name.as_str()))
                                .cloned()
                                .unwrap_or_default();
                        }
                        Binding::Symbols(defs)
                    } else {
                        Binding::Module(fs)
                    };
                    scope.names.insert(local, binding);
                }
                None => {
                    external += 1;
                    let module = match lang.import_style {
                        ImportStyle::Java => match &imp.name {
                            Some(n) if !imp.wildcard => format!("{}.{n}", imp.module),
                            _ => imp.module.clone(),
                        },
                        _ => imp.module.clone(),
                    };
                    if seen_ext.insert((f, module.clone())) {
                        externals.push(ExternalEdge {
                            src,
                            module,
                            file_id: facts.files[f].id,
                            line,
                        });
                    }
                }
            }
        }
        // Same package: Go files in one directory, Java files of one package.
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
                _ => continue,
            };
            scope.wildcard.extend(
                same.into_iter()
                    .filter(|&g| g != f && facts.files[g].language == facts.files[f].language),
            );
        }
        self.scopes = scopes;
        (edges, externals, total, to_files, external)
    }

    /// The name an import binds when it has no alias or name: Python `import
    /// a.b` binds `a.b` (used as a receiver); Go binds the package name.
    fn default_binding_name(&self, _f: FileIx, module: &str, files: &[FileIx]) -> String {
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
    fn exported(&self, files: &[FileIx], name: &str, depth: usize) -> Vec<DefIx> {
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

    /// Members named `name` of type `t` and its bases.
    fn member(&self, t: DefIx, name: &str, depth: usize) -> Vec<DefIx> {
        let q = self.facts.defs[t].qualified_name.as_str();
        if let Some(found) = self.members.get(q).and_then(|m| m.get(name)) {
            return found.clone();
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

    /// The type a method belongs to: its type-like ancestor, or the type named
    /// by its qualified-name owner (Rust impl blocks, Go receivers).
    fn enclosing_type(&self, caller: Option<DefIx>) -> Option<DefIx> {
        let mut cur = caller;
        while let Some(d) = cur {
            if self.def_kind[d].is_some_and(DefKind::is_type_like) {
                return Some(d);
            }
            if self.def_kind[d] == Some(DefKind::Method) {
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

    /// Resolves a name as written in file `f` inside `caller`: scope chain,
    /// file top level, imports, same package, wildcards. Resolved only.
    fn lookup(&self, f: FileIx, caller: Option<DefIx>, name: &str, types_only: bool) -> Vec<DefIx> {
        let keep = |v: &[DefIx]| -> Vec<DefIx> {
            v.iter()
                .copied()
                .filter(|&d| {
                    if types_only {
                        self.is_type(d)
                    } else {
                        self.is_callable_target(d)
                    }
                })
                .collect()
        };
        let implicit_this = self.lang(f).is_some_and(|l| l.implicit_this);
        let mut cur = caller;
        while let Some(d) = cur {
            let is_type = self.def_kind[d].is_some_and(DefKind::is_type_like);
            if !is_type || implicit_this || types_only {
                let found = if is_type && !types_only {
                    self.member(d, name, 0)
                } else {
                    let q = self.facts.defs[d].qualified_name.as_str();
                    self.members
                        .get(q)
                        .and_then(|m| m.get(name))
                        .cloned()
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
        if let Some(v) = self.top[f].get(name) {
            let v = keep(v);
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
        found
    }

    /// The type a binding names, from the caller's scopes out to the file.
    fn binding_type(
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
            let base_type = if matches!(base, "self" | "this" | "Self") {
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
            .or_else(|| var.strip_prefix("this->"));
        let check = |list: &[(&'a str, Option<&'a str>, Option<&'a str>)],
                     scope: Option<DefIx>|
         -> Option<DefIx> {
            for &(name, ty, value) in list.iter().rev() {
                let matches = name == var
                    || field.is_some_and(|fname| {
                        name == fname || name.strip_prefix("self.") == Some(fname)
                    });
                if !matches {
                    continue;
                }
                if let Some(ty) = ty {
                    let ty = clean_type(ty);
                    if let Some(t) = self.resolve_type_at(f, scope.or(caller), ty, depth + 1) {
                        return Some(t);
                    }
                } else if let Some(v) = value
                    && let Some(t) = self.binding_type(f, scope.or(caller), v, depth + 1)
                {
                    return Some(t);
                }
            }
            None
        };
        for scope in &scopes {
            if let Some(list) = self.bindings.get(scope)
                && let Some(t) = check(list, *scope)
            {
                return Some(t);
            }
        }
        // `self.x = ...` assigned in any method of the owner type.
        if let (Some(t), Some(_)) = (owner, field)
            && let Some(list) = self.type_bindings.get(&t)
        {
            for &(scope, binding) in list {
                if let Some(found) = check(&[binding], Some(scope)) {
                    return Some(found);
                }
            }
        }
        self.file_bindings
            .get(&f)
            .and_then(|list| check(list, None))
    }

    /// Whether `var` is declared, in scope at `caller`, with a type that no
    /// definition in the repository is named after (`std::string`, `Map`).
    fn declared_external(&self, f: FileIx, caller: Option<DefIx>, var: &str) -> bool {
        let var = var
            .strip_prefix("self.")
            .or_else(|| var.strip_prefix("this."))
            .or_else(|| var.strip_prefix("this->"))
            .unwrap_or(var);
        let external = |list: &[BindingRef<'a>]| {
            list.iter().any(|b| {
                b.0 == var
                    && b.1.is_some_and(|ty| {
                        let name = last_segment(clean_type(ty));
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
    fn resolve_type_at(
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
            let found: Vec<DefIx> = files
                .iter()
                .flat_map(|&g| self.top[g].get(name).cloned().unwrap_or_default())
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
        let (callees, provenance) = self.resolve_call_at(f, caller, name, qual, depth + 1)?;
        if provenance != RESOLVED {
            return None;
        }
        let callee = *callees.first()?;
        if self.is_type(callee) {
            return Some(callee);
        }
        let d = &self.facts.defs[callee];
        let ret = return_type(&d.signature, &d.name)?;
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
    fn field_type(&self, f: FileIx, t: DefIx, field: &str, depth: usize) -> Option<DefIx> {
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

    fn unique(&self, name: &str, methods_only: bool) -> Option<Vec<DefIx>> {
        let all = self.by_name.get(name)?;
        let candidates: Vec<DefIx> = all
            .iter()
            .copied()
            .filter(|&d| self.is_callable_target(d))
            .filter(|&d| !methods_only || self.def_kind[d] == Some(DefKind::Method))
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

    fn resolve_call(
        &self,
        f: FileIx,
        caller: Option<DefIx>,
        name: &str,
        receiver: Option<&str>,
    ) -> Option<(Vec<DefIx>, &'static str)> {
        self.resolve_call_at(f, caller, name, receiver, 0)
    }

    fn resolve_call_at(
        &self,
        f: FileIx,
        caller: Option<DefIx>,
        name: &str,
        receiver: Option<&str>,
        depth: usize,
    ) -> Option<(Vec<DefIx>, &'static str)> {
        if depth > 4 {
            return None;
        }
        let ok = |v: Vec<DefIx>| (!v.is_empty()).then_some((v, RESOLVED));
        match receiver.map(str::trim) {
            None | Some("") => {
                if name == "super" {
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
                if let Some(r) = ok(self.lookup(f, caller, name, false)) {
                    return Some(r);
                }
                self.unique(name, false).map(|v| (v, INFERRED))
            }
            Some(r) => {
                if r.ends_with(".class") {
                    // A Java class literal: a method of `Class`, outside the repository.
                    return None;
                }
                if matches!(r, "self" | "this" | "Self" | "cls" | "$this") {
                    let found = self
                        .enclosing_type(caller)
                        .and_then(|t| ok(self.member(t, name, 0)));
                    return found.or_else(|| self.unique(name, true).map(|v| (v, INFERRED)));
                }
                if r == "super" || r.starts_with("super(") {
                    let t = self.enclosing_type(caller)?;
                    let found: Vec<DefIx> = self
                        .bases
                        .get(&t)
                        .into_iter()
                        .flatten()
                        .flat_map(|&b| self.member(b, name, 0))
                        .collect();
                    return ok(found);
                }
                let receiver_type = self.binding_type(f, caller, r, depth);
                if let Some(t) = receiver_type
                    && let Some(found) = ok(self.member(t, name, 0))
                {
                    return Some(found);
                }
                // A receiver declared with a type the repository does not
                // define (`std::string`, `Map`): its methods are not ours.
                if receiver_type.is_none() && self.declared_external(f, caller, r) {
                    return None;
                }
                // The receiver is a call: `repo.find(id).orElseThrow()`.
                if let Some(callee) = call_callee(r)
                    && let Some(t) = self.resolve_type_at(f, caller, callee, depth + 1)
                    && let Some(found) = ok(self.member(t, name, 0))
                {
                    return Some(found);
                }
                if let Some(Binding::Module(files)) = self.scopes[f].names.get(r) {
                    let found: Vec<DefIx> = files
                        .iter()
                        .flat_map(|&g| self.top[g].get(name).cloned().unwrap_or_default())
                        .collect();
                    if let Some(found) = ok(found) {
                        return Some(found);
                    }
                }
                // Rust paths and fully qualified names: `crate::a::f`, `a::b::Type::new`.
                let sep = self.sep(f);
                if let Some(found) = self.by_qname.get(format!("{r}{sep}{name}").as_str())
                    && let Some(found) = ok(found.clone())
                {
                    return Some(found);
                }
                // A type: `Type::new()`, `Class.method()`, `Util.format()`.
                if let Some(t) = self.resolve_type_at(f, caller, clean_type(r), depth + 1)
                    && let Some(found) = ok(self.member(t, name, 0))
                {
                    return Some(found);
                }
                self.unique(name, true).map(|v| (v, INFERRED))
            }
        }
    }
}

/// `a.b.find(x, y)` → `a.b.find`; `None` when the text is not a call.
fn call_callee(text: &str) -> Option<&str> {
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

/// The return type a signature states: `-> T` (Rust, Python), `): T`
/// (TypeScript), `func f(..) T` (Go), or the word before the name (Java, C,
/// C++).
fn return_type<'s>(signature: &'s str, name: &str) -> Option<&'s str> {
    if let Some((_, ret)) = signature.rsplit_once("->") {
        let ret = ret.trim().trim_end_matches(':').trim();
        let ret = ret.split(" where ").next().unwrap_or(ret);
        return (!ret.is_empty()).then_some(ret);
    }
    let open = signature.find(&format!("{name}("))? + name.len();
    let before = signature[..open - name.len()].trim_end();
    let mut depth = 0i32;
    let mut close = None;
    for (i, c) in signature[open..].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    close = Some(open + i + 1);
                    break;
                }
            }
            _ => {}
        }
    }
    let after = signature[close?..].trim();
    if let Some(ts) = after.strip_prefix(':') {
        let ts = ts.trim().trim_end_matches('{').trim();
        return (!ts.is_empty()).then_some(ts);
    }
    if before.starts_with("func") {
        let go = after
            .trim_start_matches('(')
            .split([',', ')', '{'])
            .next()?
            .trim();
        return (!go.is_empty()).then_some(go);
    }
    // Java / C / C++: the last word before the name.
    let word = before
        .rsplit([' ', '\t'])
        .next()?
        .trim_end_matches(['*', '&']);
    let word = word.rsplit("::").next().unwrap_or(word);
    (!word.is_empty()
        && !matches!(
            word,
            "void" | "public" | "private" | "protected" | "static" | "def" | "fn" | "function"
        ))
    .then_some(word)
}

/// `a/./b/../c` → `a/c`.
fn normalize(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            p => out.push(p),
        }
    }
    out.join("/")
}

fn stem_path_if_code(path: &str) -> &str {
    for ext in [".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts"] {
        if let Some(stem) = path.strip_suffix(ext) {
            return stem.strip_suffix(".d").unwrap_or(stem);
        }
    }
    path
}

/// Resolves every import, call and inheritance clause in `facts`.
pub fn resolve(facts: &GraphFacts, registry: &Registry) -> Resolution {
    resolve_in(facts, registry, None)
}

/// Resolves the references written in `files` only (by file id), against
/// the whole of `facts`: the edges a full [`resolve`] would give those
/// files, for incremental updates. Statistics cover imports and
/// inheritance of every file but calls of `files` only.
pub fn resolve_files(
    facts: &GraphFacts,
    registry: &Registry,
    files: &std::collections::HashSet<i64>,
) -> Resolution {
    resolve_in(facts, registry, Some(files))
}

fn resolve_in(
    facts: &GraphFacts,
    registry: &Registry,
    only: Option<&std::collections::HashSet<i64>>,
) -> Resolution {
    let wanted = |file_id: i64| only.is_none_or(|o| o.contains(&file_id));
    let started = std::time::Instant::now();
    let mut ctx = Ctx::new(facts, registry);
    let ctx_ms = started.elapsed().as_millis() as u64;
    let (mut edges, mut externals, imports, imports_to_files, imports_external) =
        ctx.build_scopes();
    let scopes_ms = started.elapsed().as_millis() as u64;
    if only.is_some() {
        edges.retain(|e| wanted(e.file_id));
        externals.retain(|x| wanted(x.file_id));
    }
    let mut stats = ResolutionStats {
        imports,
        imports_to_files,
        imports_external,
        ..ResolutionStats::default()
    };

    // Inheritance first: member lookups climb base classes.
    let mut bases: HashMap<DefIx, Vec<DefIx>> = HashMap::default();
    let mut superclass: HashMap<DefIx, DefIx> = HashMap::default();
    for h in &facts.inheritance {
        let Some(&f) = ctx.file_ix.get(&h.file_id) else {
            continue;
        };
        stats.inheritance += 1;
        let Some(subject) = h
            .subject_id
            .and_then(|s| ctx.def_ix.get(&s).copied())
            .or_else(|| ctx.lookup(f, None, &h.subject, true).first().copied())
        else {
            continue;
        };
        let found = ctx.lookup(f, ctx.def_parent[subject], &h.base, true);
        let (targets, provenance) = if found.len() == 1 {
            (found, RESOLVED)
        } else {
            let unique: Vec<DefIx> = ctx
                .by_name
                .get(h.base.as_str())
                .map(|v| v.iter().copied().filter(|&d| ctx.is_type(d)).collect())
                .unwrap_or_default();
            if unique.len() == 1 {
                (unique, INFERRED)
            } else {
                continue;
            }
        };
        if provenance == RESOLVED {
            stats.inheritance_resolved += 1;
        } else {
            stats.inheritance_inferred += 1;
        }
        for t in targets {
            if t == subject {
                continue;
            }
            bases.entry(subject).or_default().push(t);
            if !wanted(h.file_id) {
                if h.relation != "implements" && ctx.def_kind[t] != Some(DefKind::Interface) {
                    superclass.entry(subject).or_insert(t);
                }
                continue;
            }
            if h.relation != "implements" && ctx.def_kind[t] != Some(DefKind::Interface) {
                superclass.entry(subject).or_insert(t);
            }
            let kind = if h.relation == "implements" {
                "implements"
            } else {
                "inherits"
            };
            edges.push(EdgeRow {
                kind: kind.into(),
                src: NodeRef::Def(facts.defs[subject].id),
                dst: NodeRef::Def(facts.defs[t].id),
                provenance: provenance.into(),
                file_id: h.file_id,
                line: h.line,
            });
        }
    }
    ctx.bases = bases;
    ctx.superclass = superclass;
    let inheritance_ms = started.elapsed().as_millis() as u64;

    let mut seen: HashSet<(NodeRef, NodeRef)> = HashSet::default();
    for c in &facts.calls {
        if !wanted(c.file_id) {
            continue;
        }
        let Some(&f) = ctx.file_ix.get(&c.file_id) else {
            continue;
        };
        stats.calls += 1;
        let caller = c.caller_id.and_then(|id| ctx.def_ix.get(&id).copied());
        let Some((targets, provenance)) =
            ctx.resolve_call(f, caller, &c.name, c.receiver.as_deref())
        else {
            stats.calls_unresolved += 1;
            continue;
        };
        if provenance == RESOLVED {
            stats.calls_resolved += 1;
        } else {
            stats.calls_inferred += 1;
        }
        let src = match caller {
            Some(d) => NodeRef::Def(facts.defs[d].id),
            None => NodeRef::File(c.file_id),
        };
        for t in targets {
            let dst = NodeRef::Def(facts.defs[t].id);
            if src == dst || !seen.insert((src, dst)) {
                continue;
            }
            edges.push(EdgeRow {
                kind: "calls".into(),
                src,
                dst,
                provenance: provenance.into(),
                file_id: c.file_id,
                line: c.line,
            });
        }
    }
    edges.sort_by(|a, b| (&a.kind, a.src, a.dst).cmp(&(&b.kind, b.src, b.dst)));
    tracing::debug!(
        ctx_ms,
        scopes_ms,
        inheritance_ms,
        calls_ms = started.elapsed().as_millis() as u64,
        "resolution stages"
    );
    Resolution {
        edges,
        externals,
        stats,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_types_from_signatures() {
        assert_eq!(
            return_type("pub fn new(store: S) -> Self", "new"),
            Some("Self")
        );
        assert_eq!(
            return_type("def get(self, id) -> t.Optional[User]:", "get"),
            Some("t.Optional[User]")
        );
        assert_eq!(
            return_type(
                "func NewUserService(r store.Store) *UserService",
                "NewUserService"
            ),
            Some("*UserService")
        );
        assert_eq!(
            return_type("func (s *S) Find(id int) (*User, error)", "Find"),
            Some("*User")
        );
        assert_eq!(
            return_type("public User addUser(long id, String name)", "addUser"),
            Some("User")
        );
        assert_eq!(
            return_type("findUser(id: number): User | undefined", "findUser"),
            Some("User | undefined")
        );
        assert_eq!(return_type("public void log(String m)", "log"), None);
        assert_eq!(call_callee("repo.findById(id)"), Some("repo.findById"));
        assert_eq!(call_callee("a.b(c(d))"), Some("a.b"));
        assert_eq!(call_callee("repo"), None);
    }

    #[test]
    fn cleans_types() {
        assert_eq!(clean_type("&mut Session<'a>"), "Session");
        assert_eq!(clean_type("models.User"), "models.User");
        assert_eq!(clean_type("*store.Store"), "store.Store");
        assert_eq!(clean_type("List<User>"), "List");
    }

    #[test]
    fn modules_from_paths() {
        assert_eq!(
            rust_module("crates/a/src/x/mod.rs"),
            Some(("crates/a".into(), "crate::x".into()))
        );
        assert_eq!(rust_module("src/lib.rs"), Some(("".into(), "crate".into())));
        assert_eq!(python_module("src/pkg/__init__.py"), "pkg");
        assert_eq!(normalize("src/a/./b/../c"), "src/a/c");
        assert_eq!(stem_path_if_code("src/x.d.ts"), "src/x");
    }
}
