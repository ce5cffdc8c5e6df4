//! Names at the cursor resolved to definitions: through imports and
//! re-exports, declared and constructed types, receiver chains, members
//! and return types.

use super::*;

/// The files defining `wanted` among `files`, or reached from them by
/// their imports of it (re-exports, wildcard re-exports), two steps at
/// most; `files` itself when none does.
pub(super) fn follow_reexports(
    corpus: &Corpus,
    conn: &codegraph_store::Conn,
    files: Vec<usize>,
    wanted: &str,
) -> Result<Vec<usize>> {
    let defines = |fs: &[usize]| {
        corpus
            .symbols
            .get(wanted)
            .is_some_and(|all| all.iter().any(|s| fs.contains(&s.file)))
    };
    let mut frontier = files.clone();
    for _ in 0..2 {
        if defines(&frontier) {
            return Ok(frontier);
        }
        let mut next = Vec::new();
        for &f in &frontier {
            for (wildcard, local, _, dst) in conn.import_links_of(&corpus.paths[f])? {
                if (wildcard || local.as_deref() == Some(wanted))
                    && let Some(&g) = corpus.by_id.get(&dst)
                    && !next.contains(&g)
                {
                    next.push(g);
                }
            }
        }
        if next.is_empty() {
            break;
        }
        frontier = next;
    }
    Ok(if defines(&frontier) { frontier } else { files })
}

/// The declared type of variable `name` in scope at `line`: the latest
/// binding before it, in the file or a scope enclosing the line (or on a
/// type: fields).
pub(super) fn declared_type<'f>(
    facts: &'f codegraph_core::FileFacts,
    name: &str,
    line: u32,
) -> Option<&'f str> {
    declared_type_as_written(facts, name, line)
        .map(|t| last_segment(clean_type(t)))
        .filter(|t| !t.is_empty())
}

/// The type of variable `name` as its binding writes it (`User`,
/// `client.get` for `r = client.get(...)`).
pub(super) fn declared_type_as_written<'f>(
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
        .and_then(|b| b.type_name.as_deref())
}

/// Names resolved against the corpus's symbol table; only the chosen
/// definitions are read from the store.
pub(super) struct Names<'a> {
    pub(super) corpus: &'a Corpus,
    pub(super) import_files: HashMap<String, Vec<usize>>,
    pub(super) current: Option<usize>,
    pub(super) dir: &'a str,
    pub(super) conn: &'a codegraph_store::Conn,
    /// Local name → the name it imports (`from m import x as y`: y → x).
    pub(super) aliases: HashMap<String, String>,
    pub(super) out: Vec<Target>,
}

impl Names<'_> {
    /// Resolves `name` as `want` says — Type (only types), Call (a bare
    /// call: a function, or a method only where the name is in scope), Any
    /// — and records what it found; whether it found anything.
    pub(super) fn resolve(
        &mut self,
        name: &str,
        want: Want,
        reason: ContextReason,
    ) -> Result<bool> {
        // Re-exports, followed only for the names looked up: a name
        // imported from a file that does not define it (`from .sub import
        // X` in a package's `__init__`, `export * from`) is looked for
        // through that file's own imports.
        if let Some(files) = self.import_files.get(name).cloned() {
            let original = self
                .aliases
                .get(name)
                .cloned()
                .unwrap_or_else(|| name.to_owned());
            let found = follow_reexports(self.corpus, self.conn, files.clone(), &original)?;
            if found != files {
                let entry = self.import_files.entry(name.to_owned()).or_default();
                for f in found {
                    if !entry.contains(&f) {
                        entry.push(f);
                    }
                }
            }
        }
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

    /// The type a receiver chain ends in: its head (`self`, a variable of
    /// a declared type, a type, a module-level object through its declared
    /// or constructed type, a call through its return type), then each
    /// member through its field type or return type.
    pub(super) fn chain_type(
        &mut self,
        facts: &codegraph_core::FileFacts,
        line: u32,
        chain: &[Segment],
        language: Option<&Language>,
    ) -> Result<Option<DefinitionRow>> {
        self.chain_type_at(facts, line, chain, language, 0)
    }

    pub(super) fn chain_type_at(
        &mut self,
        facts: &codegraph_core::FileFacts,
        line: u32,
        chain: &[Segment],
        language: Option<&Language>,
        depth: usize,
    ) -> Result<Option<DefinitionRow>> {
        let head = &chain[0];
        let is_super =
            head.name == "super" || language.is_some_and(|l| l.super_names.contains(&head.name));
        let mut ty = if is_super {
            // The enclosing type's first base.
            match self.enclosing(facts, line)? {
                Some(t) => match self.conn.bases_of(t.id)?.first() {
                    Some(&b) => self.conn.definition(b)?,
                    None => None,
                },
                None => None,
            }
        } else if SELF_NAMES.contains(&head.name.as_str()) {
            self.enclosing(facts, line)?
        } else if let Some(written) = declared_type_as_written(facts, &head.name, line) {
            // `r = client.get(...)`: the binding names a call on a receiver;
            // its type is that member's return type.
            let cleaned = clean_type(written);
            let parts: Vec<&str> = cleaned
                .split(['.', ':'])
                .filter(|p| !p.is_empty())
                .collect();
            let mut found = None;
            // `http.ResponseWriter`: a type of the imported module `http`.
            if parts.len() > 1
                && let Some(files) = self.import_files.get(parts[0]).cloned()
            {
                let last = parts[parts.len() - 1];
                let files = follow_reexports(self.corpus, self.conn, files, last)?;
                let id = self.corpus.symbols.get(last).and_then(|all| {
                    all.iter()
                        .find(|s| s.is_type() && files.contains(&s.file))
                        .map(|s| s.id)
                });
                if let Some(id) = id {
                    found = self.conn.definition(id)?;
                }
            }
            if found.is_none() && parts.len() > 1 && depth < 2 && parts[0] != head.name {
                let sub: Vec<Segment> = parts
                    .iter()
                    .enumerate()
                    .map(|(i, p)| Segment {
                        name: (*p).to_owned(),
                        call: i + 1 == parts.len(),
                    })
                    .collect();
                found = self.chain_type_at(facts, line, &sub, language, depth + 1)?;
            }
            match found {
                Some(f) => Some(f),
                None => self.type_or_return(last_segment(cleaned), self.current, 0)?,
            }
        } else {
            self.value_type(&head.name, head.call)?
        };
        for seg in &chain[1..] {
            let Some(t) = ty else { return Ok(None) };
            ty = match self.member_type(&t, &seg.name, seg.call)? {
                Some(found) => Some(found),
                // Inherited: a member of a base.
                None => {
                    let mut found = None;
                    for b in self.conn.bases_of(t.id)?.into_iter().take(3) {
                        let Some(base) = self.conn.definition(b)? else {
                            continue;
                        };
                        // An embedded field is named by its type.
                        if base.name == seg.name && !seg.call {
                            found = Some(base);
                            break;
                        }
                        if let Some(f) = self.member_type(&base, &seg.name, seg.call)? {
                            found = Some(f);
                            break;
                        }
                    }
                    found
                }
            };
        }
        Ok(ty.filter(|t| t.kind.is_type()))
    }

    /// The innermost type of the cursor's file enclosing `line`.
    pub(super) fn enclosing(
        &self,
        facts: &codegraph_core::FileFacts,
        line: u32,
    ) -> Result<Option<DefinitionRow>> {
        let Some(d) = facts
            .definitions
            .iter()
            .filter(|d| d.kind.is_type_like())
            .filter(|d| d.span.start_line <= line && line <= d.span.end_line)
            .max_by_key(|d| d.span.start_line)
        else {
            return Ok(None);
        };
        let Some(current) = self.current else {
            return Ok(None);
        };
        let found = self.corpus.symbols.get(&d.name).and_then(|all| {
            all.iter()
                .filter(|s| s.file == current && s.is_type())
                .map(|s| s.id)
                .next()
        });
        match found {
            Some(id) => Ok(self.conn.definition(id)?),
            None => Ok(None),
        }
    }

    /// What a bare name at the head of a chain holds: a type (its static
    /// members), a module-level object (its type), a call (its return
    /// type).
    pub(super) fn value_type(&mut self, name: &str, call: bool) -> Result<Option<DefinitionRow>> {
        let picked = self.pick(name, Want::Any);
        let Some(s) = picked.first() else {
            return Ok(None);
        };
        let Some(def) = self.conn.definition(s.id)? else {
            return Ok(None);
        };
        Ok(match def.kind {
            k if k.is_type() => Some(def),
            DefKind::Variable | DefKind::Constant => self.variable_type(&def, 0)?,
            k if k.is_callable() && call => self.return_type(&def)?,
            _ => None,
        })
    }

    /// A module-level variable's type: as declared, or as constructed (a
    /// constructor, or a function through its return type), or that of
    /// the variable it was assigned from.
    pub(super) fn variable_type(
        &mut self,
        def: &DefinitionRow,
        depth: usize,
    ) -> Result<Option<DefinitionRow>> {
        let file = self.corpus.by_path.get(&def.path).copied();
        for (ty, value) in self.conn.module_bindings(&def.path, &def.name)? {
            if let Some(t) = ty
                && let Some(found) =
                    self.type_or_return(last_segment(clean_type(&t)), file, depth)?
            {
                return Ok(Some(found));
            }
            if let Some(v) = value
                && depth < 2
                && let Some(f) = file
            {
                let same: Vec<_> = self
                    .corpus
                    .symbols
                    .get(v.as_str())
                    .map(|all| all.iter().filter(|s| s.file == f).map(|s| s.id).collect())
                    .unwrap_or_default();
                for id in same {
                    if let Some(d) = self.conn.definition(id)?
                        && matches!(d.kind, DefKind::Variable | DefKind::Constant)
                    {
                        return self.variable_type(&d, depth + 1);
                    }
                }
            }
        }
        Ok(None)
    }

    /// The type `name` names (preferring `file`'s own), or the return type
    /// of the function it names.
    pub(super) fn type_or_return(
        &mut self,
        name: &str,
        file: Option<usize>,
        depth: usize,
    ) -> Result<Option<DefinitionRow>> {
        if name.is_empty() {
            return Ok(None);
        }
        let mut picked = self.pick(name, Want::Type);
        if let Some(f) = file
            && picked.iter().any(|s| s.file == f)
        {
            picked.retain(|s| s.file == f);
        }
        if let Some(s) = picked.first() {
            return Ok(self.conn.definition(s.id)?);
        }
        if depth > 2 {
            return Ok(None);
        }
        let calls = self.pick(name, Want::Call);
        if let Some(s) = calls.first()
            && let Some(d) = self.conn.definition(s.id)?
            && d.kind.is_callable()
        {
            return self.return_type(&d);
        }
        Ok(None)
    }

    /// The type a function's signature says it returns.
    pub(super) fn return_type(&mut self, def: &DefinitionRow) -> Result<Option<DefinitionRow>> {
        let Some(language) = Registry::builtin().for_path(std::path::Path::new(&def.path)) else {
            return Ok(None);
        };
        let Some(ret) = language.return_type(&def.signature, &def.name) else {
            return Ok(None);
        };
        let ret = unwrap_type(ret, language);
        if SELF_NAMES.contains(&ret) {
            // `-> Self`: the type the method is a member of.
            return match def.parent.as_deref() {
                Some(p) => {
                    let name = p.rsplit(['.', ':', '/']).next().unwrap_or(p).to_owned();
                    self.type_or_return(&name, None, 3)
                }
                None => Ok(None),
            };
        }
        let file = self.corpus.by_path.get(&def.path).copied();
        self.type_or_return(ret, file, 3)
    }

    /// Member `name` of type `ty`: a field through its type, a method
    /// through its return type, a nested type.
    pub(super) fn member_type(
        &mut self,
        ty: &DefinitionRow,
        name: &str,
        call: bool,
    ) -> Result<Option<DefinitionRow>> {
        let file = self.corpus.by_path.get(&ty.path).copied();
        let language = Registry::builtin().for_path(std::path::Path::new(&ty.path));
        if !call {
            let bindings = self.conn.member_bindings(ty.id)?;
            let named =
                |n: &str| n == name || n.rsplit_once('.').is_some_and(|(_, last)| last == name);
            for (n, t, v) in &bindings {
                if !named(n) {
                    continue;
                }
                if let Some(t) = t {
                    let t =
                        language.map_or_else(|| last_segment(clean_type(t)), |l| unwrap_type(t, l));
                    if let Some(found) = self.type_or_return(t, file, 0)? {
                        return Ok(Some(found));
                    }
                }
                // `self.repo = repo`: the type of the parameter `repo`.
                if let Some(v) = v
                    && let Some((_, Some(t), _)) =
                        bindings.iter().find(|(n2, t2, _)| n2 == v && t2.is_some())
                {
                    let t =
                        language.map_or_else(|| last_segment(clean_type(t)), |l| unwrap_type(t, l));
                    if let Some(found) = self.type_or_return(t, file, 0)? {
                        return Ok(Some(found));
                    }
                }
            }
        }
        let mut members = self.conn.members_of(ty.id)?;
        if let Some(l) = language {
            members.extend(
                self.conn
                    .members_outside(&ty.qualified_name, &l.separator)?,
            );
        }
        for m in members.iter().filter(|m| m.name == name) {
            if m.kind.is_type() {
                return Ok(Some(m.clone()));
            }
            if m.kind.is_callable()
                && let found @ Some(_) = self.return_type(m)?
            {
                return Ok(found);
            }
        }
        Ok(None)
    }

    /// Resolves `name` among the definitions of `files` only.
    pub(super) fn resolve_in(
        &mut self,
        name: &str,
        files: &[usize],
        reason: ContextReason,
    ) -> Result<bool> {
        let Some(all) = self.corpus.symbols.get(name) else {
            return Ok(false);
        };
        let mut picked: Vec<Symbol> = all
            .iter()
            .filter(|s| files.contains(&s.file) && !s.is_method())
            .copied()
            .collect();
        if picked.iter().any(Symbol::is_type) {
            picked.retain(Symbol::is_type);
        }
        let mut found = false;
        for d in picked.into_iter().take(2) {
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
    pub(super) fn pick(&self, name: &str, want: Want) -> Vec<Symbol> {
        // `import x as y`: `y` is `x` of the module it names.
        let original = self.aliases.get(name).map_or(name, String::as_str);
        let Some(all) = self.corpus.symbols.get(original) else {
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

/// A type as written, cleaned to the name to look up: wrappers the
/// language table lists (`Optional[T]`, `Box<T>`) give their argument.
pub(super) fn unwrap_type<'t>(written: &'t str, language: &Language) -> &'t str {
    let mut t = written.trim();
    for _ in 0..3 {
        let outer = last_segment(clean_type(t));
        if !language.wrapper_types.iter().any(|w| w == outer) {
            return outer;
        }
        match t.find(['<', '[', '(']) {
            Some(i) => {
                let inner = &t[i + 1..];
                let end = inner.find([',', '>', ']', ')']).unwrap_or(inner.len());
                t = inner[..end].trim();
            }
            None => return outer,
        }
    }
    last_segment(clean_type(t))
}
