//! Completion context at a cursor: the definitions the code before the
//! cursor refers to (relevance) and the repository's code most like it
//! (similarity), packed into a token budget.
//!
//! Similarity follows the reference design: rank files by relatedness to
//! the current one and keep the top `max_files`; gather their chunks into a
//! candidate set of at most `max_candidates`; compare the token-id set of
//! the window before the cursor with each candidate's (made at index time)
//! in parallel, keeping the best `k` in a heap. The token ids of every chunk
//! are loaded once per [`Codegraph`] and kept in memory.

use crate::{Codegraph, Error, Result};
use codegraph_core::{DefKind, FileFacts};
use codegraph_search::similar::{Similarity, TopKQuery, idf_weights, top_k};
use codegraph_store::DefinitionRow;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;
use std::time::Instant;

/// How a column counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnEncoding {
    /// UTF-16 code units, as the Language Server Protocol counts by default.
    #[default]
    Utf16,
    /// UTF-8 bytes.
    Utf8,
    /// Unicode scalar values (code points).
    Utf32,
}

impl std::str::FromStr for ColumnEncoding {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "utf16" | "utf-16" => Ok(ColumnEncoding::Utf16),
            "utf8" | "utf-8" => Ok(ColumnEncoding::Utf8),
            "utf32" | "utf-32" => Ok(ColumnEncoding::Utf32),
            other => Err(format!(
                "unknown column encoding `{other}` (utf16, utf8, utf32)"
            )),
        }
    }
}

/// A completion context request. Positions are 0-based (line and column),
/// like the Language Server Protocol; the column counts in `encoding`.
#[derive(Debug, Clone)]
pub struct ContextRequest {
    /// The file, relative to the repository root or absolute.
    pub path: String,
    pub line: u32,
    pub column: u32,
    pub encoding: ColumnEncoding,
    /// The editor's unsaved text of the file, when it differs from disk.
    pub buffer: Option<String>,
    /// Token budget for everything returned (estimate: one token per four
    /// bytes, plus one per line).
    pub budget_tokens: usize,
    /// Snippets wanted.
    pub k: usize,
    /// Related files kept for similarity.
    pub max_files: usize,
    /// Candidate chunks compared, at most.
    pub max_candidates: usize,
    /// Lines before the cursor that make the query window.
    pub window_lines: usize,
    /// Lines after the cursor added to the query window (0: prefix only).
    pub suffix_lines: usize,
    /// Return the lines that follow the best-matching window instead of
    /// the window itself.
    pub continuation: bool,
    pub similarity: Similarity,
    /// Files the user edited recently (most recent first); they count as
    /// related.
    pub recent_files: Vec<String>,
    /// Work stops before the next stage once this passes
    /// ([`crate::Error::DeadlineExceeded`]); `None`: no deadline.
    pub deadline: Option<Instant>,
}

impl Default for ContextRequest {
    fn default() -> Self {
        ContextRequest {
            path: String::new(),
            line: 0,
            column: 0,
            encoding: ColumnEncoding::Utf16,
            buffer: None,
            budget_tokens: 2048,
            k: 8,
            max_files: 50,
            max_candidates: 5000,
            window_lines: 20,
            suffix_lines: 0,
            continuation: false,
            similarity: Similarity::Jaccard,
            recent_files: Vec::new(),
            deadline: None,
        }
    }
}

/// A definition the code at the cursor uses: its outline (a type's
/// signature and its members' signatures) or signature and doc.
#[derive(Debug, Clone, Serialize)]
pub struct Structure {
    pub path: String,
    pub start_line: u32,
    pub end_line: u32,
    pub symbol: String,
    pub kind: String,
    /// Why it is here: `receiver userService`, `type User`, `call f`,
    /// `base Foo`, `enclosing Foo`.
    pub reason: String,
    pub text: String,
}

/// Code elsewhere like the code at the cursor.
#[derive(Debug, Clone, Serialize)]
pub struct Snippet {
    pub path: String,
    pub start_line: u32,
    pub end_line: u32,
    pub score: f32,
    pub text: String,
}

/// What a request cost.
#[derive(Debug, Clone, Serialize, Default)]
pub struct ContextStats {
    /// Files ranked by relatedness.
    pub files_considered: usize,
    /// Files whose chunks became candidates.
    pub files_kept: usize,
    pub candidates_scanned: usize,
    /// Identifiers before the cursor looked up.
    pub identifiers: usize,
    pub tokens_used: usize,
    /// Milliseconds per stage.
    pub stages: BTreeMap<String, f64>,
}

/// The answer to a context request.
#[derive(Debug, Clone, Serialize)]
pub struct ContextResponse {
    pub path: String,
    pub structures: Vec<Structure>,
    pub snippets: Vec<Snippet>,
    pub stats: ContextStats,
    pub took_ms: f64,
}

/// The seam for completion retrieval: the IDE-facing request. [`Codegraph`]
/// implements it; a team with its own ranking can wrap or replace it.
pub trait CompletionRetrieval {
    fn completion_context(&self, request: &ContextRequest) -> Result<ContextResponse>;
}

impl CompletionRetrieval for Codegraph {
    fn completion_context(&self, request: &ContextRequest) -> Result<ContextResponse> {
        self.context(request)
    }
}

/// Every chunk's token ids and every file's relatedness features, in memory.
#[derive(Debug)]
pub(crate) struct Corpus {
    files: Vec<CorpusFile>,
    by_path: HashMap<String, usize>,
    by_id: HashMap<i64, usize>,
    paths: Vec<String>,
    /// Name → definitions of that name (the symbol table).
    symbols: HashMap<String, Vec<Symbol>>,
    chunks: Vec<CorpusChunk>,
    /// All chunks' token ids, back to back.
    tokens: Vec<u32>,
    vocab: HashMap<String, u32>,
    idf: Vec<f32>,
}

#[derive(Debug)]
struct CorpusFile {
    dir: String,
    /// Sub-tokens of the file name without extension, sorted.
    name_tokens: Vec<String>,
    /// Hashes of imported modules, sorted and unique.
    imports: Vec<u64>,
    /// Files this one imports or is imported by.
    linked: Vec<usize>,
    mtime_ns: i64,
    chunks: Range<usize>,
}

#[derive(Debug, Clone, Copy)]
struct Symbol {
    id: i64,
    file: usize,
    kind: Option<DefKind>,
}

impl Symbol {
    fn is_type(&self) -> bool {
        self.kind.is_some_and(DefKind::is_type_like)
    }
    fn is_method(&self) -> bool {
        self.kind == Some(DefKind::Method)
    }
}

#[derive(Debug)]
struct CorpusChunk {
    id: i64,
    start_line: u32,
    end_line: u32,
    tokens: Range<usize>,
}

/// Chunks and their token ids, back to back, as a corpus is built.
#[derive(Default)]
struct ChunkList {
    chunks: Vec<CorpusChunk>,
    tokens: Vec<u32>,
}

impl ChunkList {
    /// Appends a chunk; returns the number of chunks.
    fn add(&mut self, id: i64, start_line: u32, end_line: u32, ids: &[u32]) -> usize {
        let start = self.tokens.len();
        self.tokens.extend_from_slice(ids);
        self.chunks.push(CorpusChunk {
            id,
            start_line,
            end_line,
            tokens: start..self.tokens.len(),
        });
        self.chunks.len()
    }
}

fn hash_str(s: &str) -> u64 {
    let h = blake3::hash(s.as_bytes());
    u64::from_le_bytes(h.as_bytes()[..8].try_into().expect("8 bytes"))
}

fn dir_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

fn name_tokens(path: &str) -> Vec<String> {
    let file = path.rsplit('/').next().unwrap_or(path);
    let stem = file.split('.').next().unwrap_or(file);
    let mut t: Vec<String> = codegraph_core::tokenize(stem).collect();
    t.sort();
    t.dedup();
    t
}

impl Corpus {
    fn load(cg: &Codegraph) -> Result<Corpus> {
        Corpus::build(cg, None)
    }

    /// The corpus after an update that changed the files `changed` (ids,
    /// deleted ones included): the chunks of the other files are copied
    /// from `self`, only the changed files' chunks are read.
    pub(crate) fn patched(&self, cg: &Codegraph, changed: &HashSet<i64>) -> Result<Corpus> {
        Corpus::build(cg, Some((self, changed)))
    }

    fn build(cg: &Codegraph, previous: Option<(&Corpus, &HashSet<i64>)>) -> Result<Corpus> {
        let store = cg.store();
        let t = Instant::now();
        let rows = store.context_files()?;
        let mut files: Vec<CorpusFile> = Vec::with_capacity(rows.len());
        let mut by_id: HashMap<i64, usize> = HashMap::new();
        let mut by_path = HashMap::new();
        let mut paths = Vec::new();
        for f in &rows {
            by_id.insert(f.id, files.len());
            by_path.insert(f.path.clone(), files.len());
            paths.push(f.path.clone());
            files.push(CorpusFile {
                dir: dir_of(&f.path).to_owned(),
                name_tokens: name_tokens(&f.path),
                imports: Vec::new(),
                linked: Vec::new(),
                mtime_ns: f.mtime_ns,
                chunks: 0..0,
            });
        }
        for (file_id, module) in store.import_modules()? {
            if let Some(&i) = by_id.get(&file_id) {
                files[i].imports.push(hash_str(&module));
            }
        }
        for (a, b) in store.file_import_links()? {
            if let (Some(&a), Some(&b)) = (by_id.get(&a), by_id.get(&b))
                && a != b
            {
                files[a].linked.push(b);
                files[b].linked.push(a);
            }
        }
        for f in &mut files {
            f.imports.sort_unstable();
            f.imports.dedup();
            f.linked.sort_unstable();
            f.linked.dedup();
        }
        let read_ms = t.elapsed().as_millis() as u64;
        let mut out = ChunkList::default();
        let mut reread = 0usize;
        match previous {
            None => {
                for c in store.context_chunks()? {
                    let Some(&fi) = by_id.get(&c.file_id) else {
                        continue;
                    };
                    let f = &mut files[fi];
                    if f.chunks.is_empty() {
                        f.chunks = out.chunks.len()..out.chunks.len();
                    }
                    f.chunks.end = out.add(c.id, c.start_line, c.end_line, &c.tokens);
                }
            }
            Some((old, changed)) => {
                for (fi, row) in rows.iter().enumerate() {
                    let start = out.chunks.len();
                    match old.by_id.get(&row.id) {
                        Some(&oi) if !changed.contains(&row.id) => {
                            for oc in &old.chunks[old.files[oi].chunks.clone()] {
                                let ids = &old.tokens[oc.tokens.clone()];
                                out.add(oc.id, oc.start_line, oc.end_line, ids);
                            }
                        }
                        _ => {
                            reread += 1;
                            for c in store.context_chunks_of(row.id)? {
                                out.add(c.id, c.start_line, c.end_line, &c.tokens);
                            }
                        }
                    }
                    files[fi].chunks = start..out.chunks.len();
                }
            }
        }
        let chunks_ms = t.elapsed().as_millis() as u64;
        let ChunkList { chunks, tokens } = out;
        let mut symbols: HashMap<String, Vec<Symbol>> = HashMap::new();
        for (id, file_id, name, kind) in store.context_definitions()? {
            if let Some(&file) = by_id.get(&file_id) {
                symbols.entry(name).or_default().push(Symbol {
                    id,
                    file,
                    kind: kind.parse().ok(),
                });
            }
        }
        let vocab = store.vocabulary()?;
        let size = vocab.values().copied().max().map_or(0, |m| m as usize + 1);
        let idf = idf_weights(chunks.iter().map(|c| &tokens[c.tokens.clone()]), size);
        tracing::debug!(
            patched = previous.is_some(),
            files_read = reread,
            read_ms,
            chunks_ms,
            total_ms = t.elapsed().as_millis() as u64,
            "corpus built"
        );
        Ok(Corpus {
            files,
            by_path,
            by_id,
            paths,
            symbols,
            chunks,
            tokens,
            vocab,
            idf,
        })
    }

    fn chunk_tokens(&self, c: usize) -> &[u32] {
        &self.tokens[self.chunks[c].tokens.clone()]
    }

    /// Sorted, unique ids of `text`'s sub-tokens, and how many sub-tokens
    /// the vocabulary does not know.
    fn query_tokens(&self, text: &str) -> (Vec<u32>, usize) {
        let mut ids = Vec::new();
        let mut unknown = HashSet::new();
        for t in codegraph_core::tokenize(text) {
            match self.vocab.get(&t) {
                Some(&id) => ids.push(id),
                None => {
                    unknown.insert(t);
                }
            }
        }
        ids.sort_unstable();
        ids.dedup();
        (ids, unknown.len())
    }
}

/// Relatedness of `g` to the current file; higher is closer.
fn relatedness(
    current: &CorpusFile,
    g: &CorpusFile,
    g_index: usize,
    recent: &HashMap<usize, usize>,
    now_ns: i64,
) -> f64 {
    let mut s = 0.0;
    // Shared imports.
    let (a, b) = (&current.imports, &g.imports);
    if !a.is_empty() && !b.is_empty() {
        let (mut i, mut j, mut inter) = (0, 0, 0usize);
        while i < a.len() && j < b.len() {
            match a[i].cmp(&b[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    inter += 1;
                    i += 1;
                    j += 1;
                }
            }
        }
        s += 3.0 * inter as f64 / (a.len() + b.len() - inter) as f64;
    }
    // Path: same directory, shared directory prefix, similar file names
    // (UserService ~ UserServiceImpl ~ UserController).
    if current.dir == g.dir {
        s += 1.0;
    } else {
        let (ca, cb): (Vec<&str>, Vec<&str>) =
            (current.dir.split('/').collect(), g.dir.split('/').collect());
        let common = ca.iter().zip(&cb).take_while(|(x, y)| x == y).count();
        s += 0.5 * common as f64 / ca.len().max(cb.len()).max(1) as f64;
    }
    let (na, nb) = (&current.name_tokens, &g.name_tokens);
    if !na.is_empty() && !nb.is_empty() {
        let inter = na.iter().filter(|t| nb.binary_search(t).is_ok()).count();
        s += 2.0 * inter as f64 / (na.len() + nb.len() - inter) as f64;
    }
    // The graph: one import away.
    if current.linked.binary_search(&g_index).is_ok() {
        s += 1.5;
    }
    // History: files the user just edited, and files changed recently.
    if let Some(&rank) = recent.get(&g_index) {
        s += 2.0 / (1.0 + rank as f64);
    }
    let age_s = (now_ns - g.mtime_ns) as f64 / 1e9;
    if (0.0..3600.0).contains(&age_s) {
        s += 0.5 * (1.0 - age_s / 3600.0);
    }
    s
}

/// Byte offset of a 0-based (line, column) in `text`, or why it is not in
/// the text.
pub fn byte_offset(text: &str, line: u32, column: u32, encoding: ColumnEncoding) -> Result<usize> {
    let mut start = 0usize;
    for _ in 0..line {
        match text[start..].find('\n') {
            Some(i) => start += i + 1,
            None => {
                return Err(Error::InvalidRequest(format!(
                    "the cursor is past the end of the file: line {line} (0-based), the file has {} lines",
                    text.lines().count()
                )));
            }
        }
    }
    let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let line_text = text[start..end].trim_end_matches('\r');
    let mut units = 0u32;
    for (i, ch) in line_text.char_indices() {
        if units >= column {
            if units > column {
                return Err(Error::InvalidRequest(format!(
                    "column {column} falls inside a character on line {line}"
                )));
            }
            return Ok(start + i);
        }
        units += match encoding {
            ColumnEncoding::Utf16 => ch.len_utf16() as u32,
            ColumnEncoding::Utf8 => ch.len_utf8() as u32,
            ColumnEncoding::Utf32 => 1,
        };
    }
    if units == column {
        return Ok(start + line_text.len());
    }
    if units > column {
        return Err(Error::InvalidRequest(format!(
            "column {column} falls inside a character on line {line}"
        )));
    }
    Err(Error::InvalidRequest(format!(
        "the cursor is past the end of line {line}: column {column}, the line has {units} {}",
        match encoding {
            ColumnEncoding::Utf16 => "UTF-16 code units",
            ColumnEncoding::Utf8 => "bytes",
            ColumnEncoding::Utf32 => "code points",
        }
    )))
}

/// An identifier before the cursor and how it is used.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Use {
    name: String,
    /// Followed by `.`, `->` or `::`.
    receiver: bool,
    /// Followed by `(` (or preceded by `new`).
    call: bool,
    /// Preceded by `new`.
    constructed: bool,
}

/// Identifiers of `window` (text before the cursor), nearest first, each
/// once, without keywords and very short names.
fn identifiers_before(window: &str, limit: usize) -> Vec<Use> {
    let bytes = window.as_bytes();
    let mut found: Vec<Use> = Vec::new();
    let mut i = 0;
    let mut prev_word = "";
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_alphabetic() || c == b'_' || c == b'$' {
            let start = i;
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'$')
            {
                i += 1;
            }
            let word = &window[start..i];
            let rest = window[i..].trim_start_matches([' ', '\t']);
            let receiver = rest.starts_with('.') && !rest.starts_with("..")
                || rest.starts_with("->")
                || rest.starts_with("::");
            let constructed = prev_word == "new";
            let call = rest.starts_with('(') || constructed;
            if word.len() > 1 && !is_keyword(word) {
                found.push(Use {
                    name: word.to_owned(),
                    receiver,
                    call,
                    constructed,
                });
            }
            prev_word = word;
        } else {
            // Skip strings' insides crudely: a quote starts a run to the
            // next quote on the same line.
            if c == b'"' || c == b'\'' || c == b'`' {
                let q = c;
                i += 1;
                while i < bytes.len() && bytes[i] != q && bytes[i] != b'\n' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            } else if !c.is_ascii_whitespace() {
                prev_word = "";
            }
            i += 1;
        }
    }
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for u in found.into_iter().rev() {
        if seen.insert(u.name.clone()) {
            out.push(u);
            if out.len() == limit {
                break;
            }
        }
    }
    out
}

fn is_keyword(w: &str) -> bool {
    matches!(
        w,
        "if" | "else"
            | "for"
            | "while"
            | "do"
            | "return"
            | "new"
            | "this"
            | "self"
            | "Self"
            | "super"
            | "class"
            | "struct"
            | "enum"
            | "trait"
            | "impl"
            | "fn"
            | "def"
            | "let"
            | "var"
            | "const"
            | "final"
            | "static"
            | "public"
            | "private"
            | "protected"
            | "void"
            | "int"
            | "long"
            | "short"
            | "byte"
            | "char"
            | "boolean"
            | "float"
            | "double"
            | "true"
            | "false"
            | "null"
            | "None"
            | "True"
            | "False"
            | "nil"
            | "import"
            | "from"
            | "package"
            | "use"
            | "mod"
            | "pub"
            | "crate"
            | "in"
            | "is"
            | "not"
            | "and"
            | "or"
            | "try"
            | "catch"
            | "finally"
            | "throw"
            | "throws"
            | "switch"
            | "case"
            | "break"
            | "continue"
            | "default"
            | "interface"
            | "extends"
            | "implements"
            | "instanceof"
            | "typeof"
            | "async"
            | "await"
            | "yield"
            | "lambda"
            | "with"
            | "as"
            | "pass"
            | "raise"
            | "except"
            | "func"
            | "go"
            | "defer"
            | "type"
            | "match"
            | "mut"
            | "ref"
            | "where"
            | "unsafe"
            | "loop"
            | "function"
            | "export"
            | "void_"
            | "str"
            | "string"
            | "bool"
            | "usize"
            | "u32"
            | "i32"
            | "u64"
            | "i64"
            | "f32"
            | "f64"
            | "u8"
            | "Some"
            | "Ok"
            | "Err"
            | "synchronized"
            | "abstract"
            | "native"
            | "transient"
            | "volatile"
            | "assert"
            | "elif"
            | "global"
            | "nonlocal"
    )
}

/// The type a binding names, stripped of generics, pointers and references.
fn clean_type(t: &str) -> &str {
    let t = t.trim().trim_start_matches(['&', '*']).trim();
    let t = t.strip_prefix("mut ").unwrap_or(t).trim();
    let t = t.strip_prefix("const ").unwrap_or(t).trim();
    let t = t.split(['<', '[', '(', '|', ' ']).next().unwrap_or(t);
    let t = t.trim_end_matches(['*', '&', '?']);
    t.rsplit(['.', ':']).next().unwrap_or(t)
}

/// What a name must resolve to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    Type,
    Call,
    Any,
}

/// Members listed in a type's outline, at most.
const OUTLINE_MEMBERS: usize = 40;

/// Share of the budget structures may take when snippets exist.
const STRUCTURE_SHARE: f64 = 0.65;

/// The facts of the file at the cursor, and the imports stored for it (whose
/// lines key the resolved import edges).
struct CursorFacts {
    file_id: Option<i64>,
    stored_imports: Vec<codegraph_core::Import>,
    facts: FileFacts,
}

/// What one identifier resolves to, and why.
struct Target {
    def: DefinitionRow,
    reason: String,
}

impl Codegraph {
    pub(crate) fn corpus(&self) -> Result<&Corpus> {
        if let Some(c) = self.corpus.get() {
            return Ok(c.as_ref());
        }
        let _loading = crate::hold(&self.loading.corpus);
        if let Some(c) = self.corpus.get() {
            return Ok(c.as_ref());
        }
        let c = Corpus::load(self)?;
        Ok(self.corpus.get_or_init(|| std::sync::Arc::new(c)))
    }

    /// Completion context at a cursor. See [`ContextRequest`].
    pub fn context(&self, request: &ContextRequest) -> Result<ContextResponse> {
        let started = Instant::now();
        let mut stats = ContextStats::default();
        if request.k == 0 || request.k > 100 {
            return Err(Error::InvalidRequest(format!(
                "k must be between 1 and 100, not {}",
                request.k
            )));
        }
        if request.budget_tokens == 0 || request.budget_tokens > 1_000_000 {
            return Err(Error::InvalidRequest(format!(
                "the token budget must be between 1 and 1000000, not {}",
                request.budget_tokens
            )));
        }
        if request.max_files == 0 || request.max_candidates == 0 || request.window_lines == 0 {
            return Err(Error::InvalidRequest(
                "max_files, max_candidates and window_lines must be positive".into(),
            ));
        }
        let rel = self.relative_path(&request.path);
        crate::check_deadline(request.deadline, "load")?;
        let t = Instant::now();
        let corpus = self.corpus()?;
        stage(&mut stats, "load", t);
        crate::check_deadline(request.deadline, "read")?;

        // The text: the editor's buffer, or the file on disk.
        let t = Instant::now();
        let text = match &request.buffer {
            Some(b) => b.clone(),
            None => {
                let path = self.root.join(&rel);
                let bytes = std::fs::read(&path).map_err(|source| match source.kind() {
                    std::io::ErrorKind::NotFound => Error::NotIndexed(rel.clone()),
                    _ => Error::Io { path, source },
                })?;
                String::from_utf8(bytes)
                    .map_err(|_| Error::InvalidRequest(format!("{rel}: not UTF-8 text")))?
            }
        };
        let cursor = byte_offset(&text, request.line, request.column, request.encoding)?;
        let facts = self.cursor_facts(&rel, &text, request.buffer.is_some())?;
        stage(&mut stats, "read", t);
        crate::check_deadline(request.deadline, "relevance")?;

        // The query window: lines before the cursor (and after, if asked).
        let line0 = request.line as usize;
        let window_start_line = line0.saturating_sub(request.window_lines - 1);
        let window_start = line_start(&text, window_start_line);
        let prefix = &text[window_start..cursor];
        let suffix_end = if request.suffix_lines > 0 {
            line_start(&text, line0 + 1 + request.suffix_lines)
        } else {
            cursor
        };
        // 1-based inclusive lines the editor shows around the cursor.
        let shown =
            (window_start_line as u32 + 1)..=(line0 as u32 + 1 + request.suffix_lines as u32);

        // Relevance.
        let t = Instant::now();
        let uses = identifiers_before(prefix, 24);
        stats.identifiers = uses.len();
        let targets = match &facts {
            Some(cf) => self.resolve_uses(corpus, &rel, cf, request.line + 1, &uses)?,
            None => Vec::new(),
        };
        let mut structures = Vec::new();
        let mut seen_defs = HashSet::new();
        for target in targets {
            if !seen_defs.insert(target.def.id) {
                continue;
            }
            if target.def.path == rel
                && target.def.start_line <= *shown.end()
                && *shown.start() <= target.def.end_line
                && !is_type_kind(&target.def.kind)
            {
                continue; // the editor shows it already
            }
            structures.push(self.structure(&target)?);
        }
        stage(&mut stats, "relevance", t);
        crate::check_deadline(request.deadline, "rank_files")?;

        // Similarity: related files, candidates, scores.
        let t = Instant::now();
        let current = corpus.by_path.get(&rel).copied();
        let recent: HashMap<usize, usize> = request
            .recent_files
            .iter()
            .enumerate()
            .filter_map(|(i, p)| corpus.by_path.get(&self.relative_path(p)).map(|&f| (f, i)))
            .collect();
        let now_ns = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as i64);
        let mut ranked: Vec<(usize, f64)> = match current {
            Some(c) => {
                let cf = &corpus.files[c];
                corpus
                    .files
                    .iter()
                    .enumerate()
                    .filter(|(i, f)| *i != c && !f.chunks.is_empty())
                    .map(|(i, f)| (i, relatedness(cf, f, i, &recent, now_ns)))
                    .collect()
            }
            None => {
                let pseudo = CorpusFile {
                    dir: dir_of(&rel).to_owned(),
                    name_tokens: name_tokens(&rel),
                    imports: Vec::new(),
                    linked: Vec::new(),
                    mtime_ns: 0,
                    chunks: 0..0,
                };
                corpus
                    .files
                    .iter()
                    .enumerate()
                    .filter(|(_, f)| !f.chunks.is_empty())
                    .map(|(i, f)| (i, relatedness(&pseudo, f, i, &recent, now_ns)))
                    .collect()
            }
        };
        stats.files_considered = ranked.len() + usize::from(current.is_some());
        let keep = request.max_files.min(ranked.len());
        if keep < ranked.len() {
            ranked.select_nth_unstable_by(keep, |a, b| b.1.total_cmp(&a.1));
            ranked.truncate(keep);
        }
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        stage(&mut stats, "rank_files", t);
        crate::check_deadline(request.deadline, "gather")?;

        let t = Instant::now();
        // The current file first (outside the window), then related files.
        let mut candidates: Vec<usize> = Vec::with_capacity(request.max_candidates);
        let mut files_kept = 0;
        let order = current.into_iter().chain(ranked.iter().map(|r| r.0));
        'files: for f in order {
            files_kept += 1;
            for c in corpus.files[f].chunks.clone() {
                if candidates.len() == request.max_candidates {
                    break 'files;
                }
                let ch = &corpus.chunks[c];
                if Some(f) == current
                    && ch.start_line <= *shown.end()
                    && *shown.start() <= ch.end_line
                {
                    continue;
                }
                candidates.push(c);
            }
        }
        stats.files_kept = files_kept;
        stats.candidates_scanned = candidates.len();
        let query_text = &text[window_start..suffix_end.max(cursor)];
        let (query, unknown) = corpus.query_tokens(query_text);
        stage(&mut stats, "gather", t);
        crate::check_deadline(request.deadline, "score")?;

        let t = Instant::now();
        let slices: Vec<&[u32]> = candidates.iter().map(|&c| corpus.chunk_tokens(c)).collect();
        let hits = top_k(
            &TopKQuery {
                tokens: &query,
                unknown_tokens: unknown,
                k: request.k * 2,
                similarity: request.similarity,
                weights: &corpus.idf,
                min_score: 0.0,
            },
            &slices,
        );
        stage(&mut stats, "score", t);
        crate::check_deadline(request.deadline, "fetch")?;

        let t = Instant::now();
        let chunk_ids: Vec<i64> = hits
            .iter()
            .map(|h| corpus.chunks[candidates[h.index]].id)
            .collect();
        let details = self.store.chunk_details(&chunk_ids)?;
        let by_id: HashMap<i64, &codegraph_store::ChunkDetail> =
            details.iter().map(|d| (d.id, d)).collect();
        let query_set: HashSet<String> = codegraph_core::tokenize(query_text).collect();
        let window_len = (line0 - window_start_line + 1).max(3);
        let mut snippets = Vec::new();
        for (h, id) in hits.iter().zip(&chunk_ids) {
            let Some(d) = by_id.get(id) else { continue };
            let (start, lines) = best_window(&d.text, window_len, &query_set);
            let (start_line, body) = if request.continuation {
                self.continuation(d, start + lines.len(), window_len)
            } else {
                (d.start_line + start as u32, lines.join("\n"))
            };
            if body.trim().is_empty() {
                continue;
            }
            let end_line = start_line + body.lines().count().max(1) as u32 - 1;
            snippets.push(Snippet {
                path: d.path.clone(),
                start_line,
                end_line,
                score: h.score,
                text: body,
            });
        }
        stage(&mut stats, "fetch", t);
        crate::check_deadline(request.deadline, "pack")?;

        // Packing: structures first, then snippets, within the budget.
        let t = Instant::now();
        let mut used = 0usize;
        let cost = |path: &str, text: &str| -> usize {
            codegraph_graph::line_tokens(path)
                + text
                    .lines()
                    .map(codegraph_graph::line_tokens)
                    .sum::<usize>()
        };
        let mut packed_structures = Vec::new();
        let structure_budget = if snippets.is_empty() {
            request.budget_tokens
        } else {
            (request.budget_tokens as f64 * STRUCTURE_SHARE) as usize
        };
        for mut s in structures {
            let mut c = cost(&s.path, &s.text);
            if used + c > structure_budget {
                // An outline too long for what is left: keep its head.
                let room = structure_budget.saturating_sub(used);
                match truncate_outline(&s.text, room.saturating_sub(cost(&s.path, ""))) {
                    Some(t) => {
                        s.text = t;
                        c = cost(&s.path, &s.text);
                    }
                    None => continue,
                }
            }
            used += c;
            packed_structures.push(s);
        }
        let mut packed_snippets: Vec<Snippet> = Vec::new();
        for s in snippets {
            if packed_snippets.len() == request.k {
                break;
            }
            let overlaps =
                |p: &str, a: u32, b: u32| p == s.path && a <= s.end_line && s.start_line <= b;
            if overlaps(&rel, *shown.start(), *shown.end())
                || packed_snippets
                    .iter()
                    .any(|o| overlaps(&o.path, o.start_line, o.end_line))
                || packed_structures
                    .iter()
                    .any(|o| overlaps(&o.path, o.start_line, o.end_line) && o.kind != "class")
            {
                continue;
            }
            let c = cost(&s.path, &s.text);
            if used + c <= request.budget_tokens {
                used += c;
                packed_snippets.push(s);
            }
        }
        stats.tokens_used = used;
        stage(&mut stats, "pack", t);
        Ok(ContextResponse {
            path: rel,
            structures: packed_structures,
            snippets: packed_snippets,
            stats,
            took_ms: started.elapsed().as_secs_f64() * 1000.0,
        })
    }

    /// The facts of the file at the cursor: stored ones when the text is
    /// what was indexed, else the buffer parsed now. `None` for a file in
    /// no known language.
    fn cursor_facts(
        &self,
        rel: &str,
        text: &str,
        from_buffer: bool,
    ) -> Result<Option<CursorFacts>> {
        let stored = self.store.file_facts(rel)?;
        if let Some((id, hash, facts)) = stored.as_ref()
            && (!from_buffer || codegraph_core::content_hash(text.as_bytes()).as_slice() == hash)
        {
            return Ok(Some(CursorFacts {
                file_id: Some(*id),
                stored_imports: facts.imports.clone(),
                facts: facts.clone(),
            }));
        }
        let registry = codegraph_lang::Registry::builtin();
        let Some(language) = registry.for_path(std::path::Path::new(rel)) else {
            return Ok(None);
        };
        let facts = codegraph_parse::parse_file(language, rel, text);
        Ok(Some(match stored {
            Some((id, _, stored)) => CursorFacts {
                file_id: Some(id),
                stored_imports: stored.imports,
                facts,
            },
            None => CursorFacts {
                file_id: None,
                stored_imports: Vec::new(),
                facts,
            },
        }))
    }

    /// Resolves the identifiers before the cursor to definitions, nearest
    /// first, then the enclosing type and its bases.
    fn resolve_uses(
        &self,
        corpus: &Corpus,
        rel: &str,
        cursor: &CursorFacts,
        line: u32,
        uses: &[Use],
    ) -> Result<Vec<Target>> {
        let facts = &cursor.facts;
        // Imported name → files the import resolved to (from the stored
        // graph, matched by module and name so a buffer's shifted lines
        // still match).
        let mut import_files: HashMap<String, Vec<usize>> = HashMap::new();
        if let Some(id) = cursor.file_id {
            let targets = self.store.import_targets(id)?;
            for imp in &cursor.stored_imports {
                let Some(local) = imp
                    .alias
                    .clone()
                    .or_else(|| imp.name.clone())
                    .or_else(|| imp.module.rsplit(['.', '/', ':']).next().map(str::to_owned))
                else {
                    continue;
                };
                if !facts
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
                        import_files.entry(local.clone()).or_default().push(f);
                    }
                }
            }
        }
        // Definitions enclosing the cursor, innermost last.
        let enclosing: Vec<usize> = (0..facts.definitions.len())
            .filter(|&i| {
                let s = facts.definitions[i].span;
                s.start_line <= line && line <= s.end_line
            })
            .collect();
        let enclosing_type = enclosing
            .iter()
            .rev()
            .copied()
            .find(|&i| facts.definitions[i].kind.is_type_like());
        let dir = dir_of(rel);
        let current = corpus.by_path.get(rel).copied();
        let mut out = Vec::new();
        // `want`: Type (only types), Call (a bare call: a function, or a
        // method only where the name is in scope), Any. Candidates come from
        // the in-memory symbol table; only the chosen ones are read.
        let mut resolve = |name: &str, want: Want, reason: String| -> Result<bool> {
            let Some(all) = corpus.symbols.get(name) else {
                return Ok(false);
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
                return Ok(false);
            }
            let pick: Vec<Symbol> = match import_files.get(name) {
                Some(files) => defs
                    .iter()
                    .filter(|d| files.contains(&d.file))
                    .copied()
                    .collect(),
                None => Vec::new(),
            };
            let pick = if !pick.is_empty() {
                pick
            } else {
                let same_file: Vec<Symbol> = defs
                    .iter()
                    .filter(|d| Some(d.file) == current)
                    .copied()
                    .collect();
                let same_dir: Vec<Symbol> = defs
                    .iter()
                    .filter(|d| dir_of(&corpus.paths[d.file]) == dir)
                    .copied()
                    .collect();
                if !same_file.is_empty() {
                    same_file
                } else if want == Want::Call && defs.iter().any(Symbol::is_method) {
                    // A bare method call outside its file: `this.f()` of a
                    // base class, or a guess; only an unambiguous one counts.
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
            };
            let mut found = false;
            for d in pick.into_iter().take(2) {
                if let Some(def) = self.store.definition(d.id)? {
                    found = true;
                    out.push(Target {
                        def,
                        reason: reason.clone(),
                    });
                }
            }
            Ok(found)
        };
        for u in uses {
            // A variable: its declared type.
            let binding = facts
                .bindings
                .iter()
                .filter(|b| b.name == u.name || b.name.strip_prefix("self.") == Some(&u.name))
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
                .and_then(|b| b.type_name.as_deref().map(clean_type))
                .filter(|t| !t.is_empty());
            if let Some(ty) = binding {
                let reason = if u.receiver {
                    format!("receiver {}", u.name)
                } else {
                    format!("variable {}", u.name)
                };
                resolve(ty, Want::Type, reason)?;
                continue;
            }
            let capital = u.name.chars().next().is_some_and(char::is_uppercase);
            if u.constructed || (capital && !u.name.chars().all(|c| !c.is_lowercase())) {
                resolve(&u.name, Want::Any, format!("type {}", u.name))?;
            } else if u.call {
                resolve(&u.name, Want::Call, format!("call {}", u.name))?;
            } else if import_files.contains_key(&u.name) {
                resolve(&u.name, Want::Any, format!("imported {}", u.name))?;
            }
        }
        // The enclosing type and its bases.
        if let Some(t) = enclosing_type {
            let name = facts.definitions[t].name.clone();
            for inh in &facts.inheritance {
                if inh.subject_def == Some(t) || inh.subject == name {
                    let base = clean_type(&inh.base).to_owned();
                    resolve(&base, Want::Type, format!("base {base}"))?;
                }
            }
            resolve(&name, Want::Type, format!("enclosing {name}"))?;
        }
        Ok(out)
    }

    /// A structure's text: a type's signature and its members' signatures;
    /// a function's doc (first paragraph) and signature.
    fn structure(&self, target: &Target) -> Result<Structure> {
        let d = &target.def;
        let mut text = String::new();
        if is_type_kind(&d.kind) {
            text.push_str(&d.signature);
            text.push_str(" {\n");
            // Public surface first: private members only when room is left.
            let mut members = self.store.members_of(d.id)?;
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
            kind: d.kind.clone(),
            reason: target.reason.clone(),
            text,
        })
    }

    /// The `n` lines after line `offset` of a chunk (0-based within it),
    /// read on from the file when the chunk ends first.
    fn continuation(
        &self,
        d: &codegraph_store::ChunkDetail,
        offset: usize,
        n: usize,
    ) -> (u32, String) {
        let start_line = d.start_line + offset as u32;
        let file = std::fs::read_to_string(self.root.join(&d.path)).unwrap_or_default();
        let body: Vec<&str> = file.lines().skip(start_line as usize - 1).take(n).collect();
        (start_line, body.join("\n"))
    }
}

/// The first lines of an outline that fit in `tokens`, closed with a note
/// of what was cut; `None` when not even three lines fit.
fn truncate_outline(text: &str, tokens: usize) -> Option<String> {
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

fn is_type_kind(kind: &str) -> bool {
    kind.parse::<DefKind>().is_ok_and(DefKind::is_type_like)
}

fn stage(stats: &mut ContextStats, name: &str, t: Instant) {
    stats
        .stages
        .insert(format!("{name}_ms"), t.elapsed().as_secs_f64() * 1000.0);
}

/// Byte offset where 0-based line `line` starts (the text's end past it).
fn line_start(text: &str, line: usize) -> usize {
    if line == 0 {
        return 0;
    }
    text.match_indices('\n')
        .nth(line - 1)
        .map_or(text.len(), |(i, _)| i + 1)
}

/// The `n` consecutive lines of `text` sharing the most sub-tokens with the
/// query: (0-based first line, lines).
fn best_window<'t>(text: &'t str, n: usize, query: &HashSet<String>) -> (usize, Vec<&'t str>) {
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() <= n {
        return (0, lines);
    }
    let hits: Vec<usize> = lines
        .iter()
        .map(|l| {
            let set: HashSet<String> = codegraph_core::tokenize(l).collect();
            set.iter().filter(|t| query.contains(*t)).count()
        })
        .collect();
    let mut sum: usize = hits[..n].iter().sum();
    let (mut best, mut best_sum) = (0, sum);
    for i in n..lines.len() {
        sum = sum + hits[i] - hits[i - n];
        if sum > best_sum {
            best_sum = sum;
            best = i + 1 - n;
        }
    }
    (best, lines[best..best + n].to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Everything a corpus holds, independent of file order and ids of
    /// positions: what a patched corpus must share with a loaded one.
    fn canonical(c: &Corpus) -> impl PartialEq + std::fmt::Debug {
        let files: Vec<_> = c
            .files
            .iter()
            .zip(&c.paths)
            .map(|(f, path)| {
                let mut linked: Vec<&str> = f.linked.iter().map(|&i| c.paths[i].as_str()).collect();
                linked.sort_unstable();
                let chunks: Vec<_> = c.chunks[f.chunks.clone()]
                    .iter()
                    .map(|ch| {
                        (
                            ch.id,
                            ch.start_line,
                            ch.end_line,
                            c.tokens[ch.tokens.clone()].to_vec(),
                        )
                    })
                    .collect();
                (
                    path.clone(),
                    f.dir.clone(),
                    f.name_tokens.clone(),
                    f.imports.clone(),
                    linked,
                    f.mtime_ns,
                    chunks,
                )
            })
            .collect();
        let mut symbols: Vec<_> = c
            .symbols
            .iter()
            .map(|(name, defs)| {
                let mut d: Vec<_> = defs
                    .iter()
                    .map(|s| (s.id, c.paths[s.file].clone(), s.kind.map(|k| k.as_str())))
                    .collect();
                d.sort();
                (name.clone(), d)
            })
            .collect();
        symbols.sort();
        let by: Vec<_> = c
            .paths
            .iter()
            .map(|p| (c.by_path[p], c.by_id.len()))
            .collect();
        let mut vocab: Vec<_> = c.vocab.iter().map(|(t, id)| (t.clone(), *id)).collect();
        vocab.sort();
        let idf: Vec<u32> = c.idf.iter().map(|x| x.to_bits()).collect();
        (files, symbols, by, vocab, idf)
    }

    #[test]
    fn a_patched_corpus_equals_one_loaded_after_the_same_updates() {
        let repo = tempfile::tempdir().unwrap();
        let idx = tempfile::tempdir().unwrap();
        let write = |rel: &str, text: &str| {
            let path = repo.path().join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write(
            "app/models.py",
            "class User:\n    def name(self):\n        return 'u'\n\ndef load_user(i):\n    return User()\n",
        );
        write(
            "app/service.py",
            "from app.models import User, load_user\n\ndef serve(i):\n    return load_user(i).name()\n",
        );
        write(
            "app/views.py",
            "from app.service import serve\n\ndef view(request):\n    return serve(request.id)\n",
        );
        write("util.py", "def helper(x):\n    return x * 2\n");
        let mut cg = Codegraph::open(
            repo.path(),
            crate::IndexOptions {
                index_dir: Some(idx.path().to_owned()),
                ..crate::IndexOptions::default()
            },
        )
        .unwrap();
        cg.index(&crate::NoProgress).unwrap();
        cg.corpus().unwrap();
        let rounds: [&dyn Fn(); 2] = [
            &|| {
                // Edited (new definition, new import), deleted, added.
                write(
                    "app/service.py",
                    "from app.models import User, load_user\nimport util\n\ndef serve(i):\n    return load_user(i).name()\n\ndef serve_all(ids):\n    return [util.helper(serve(i)) for i in ids]\n",
                );
                std::fs::remove_file(repo.path().join("util.py")).unwrap();
                write(
                    "app/extra.py",
                    "from app.models import load_user\n\ndef extra_user():\n    return load_user(7)\n",
                );
            },
            &|| {
                write(
                    "util.py",
                    "def helper(x):\n    return x * 3\n\ndef brand_new_token_zyxw():\n    return 0\n",
                );
                write(
                    "app/views.py",
                    "from app.extra import extra_user\n\ndef view(request):\n    return extra_user()\n",
                );
            },
        ];
        for (round, change) in rounds.iter().enumerate() {
            let before = std::sync::Arc::clone(cg.corpus.get().unwrap());
            std::thread::sleep(std::time::Duration::from_millis(20));
            change();
            let report = cg.index(&crate::NoProgress).unwrap();
            assert!(report.run.parsed > 0, "round {round}: {:?}", report.run);
            let patched = cg.corpus.get().expect("patched, not dropped").clone();
            assert!(!std::sync::Arc::ptr_eq(&before, &patched), "round {round}");
            let loaded = Corpus::load(&cg).unwrap();
            assert_eq!(canonical(&patched), canonical(&loaded), "round {round}");
            // The corpus a reader held is untouched.
            assert_ne!(canonical(&before), canonical(&loaded), "round {round}");
        }
        // The new token of round 2 is in the patched vocabulary.
        assert!(cg.corpus().unwrap().vocab.contains_key("zyxw"));
    }

    #[test]
    fn offsets_count_utf16_or_bytes() {
        let text = "ab\nh\u{e9}\u{1F600}x\n";
        assert_eq!(byte_offset(text, 0, 2, ColumnEncoding::Utf16).unwrap(), 2);
        // 'é' is 1 UTF-16 unit / 2 bytes; the emoji 2 units / 4 bytes.
        assert_eq!(byte_offset(text, 1, 4, ColumnEncoding::Utf16).unwrap(), 10);
        assert_eq!(byte_offset(text, 1, 7, ColumnEncoding::Utf8).unwrap(), 10);
        assert!(byte_offset(text, 1, 3, ColumnEncoding::Utf16).is_err()); // inside the emoji
        assert!(byte_offset(text, 1, 9, ColumnEncoding::Utf16).is_err()); // past the line
        assert!(byte_offset(text, 5, 0, ColumnEncoding::Utf16).is_err()); // past the file
        assert_eq!(
            byte_offset(text, 2, 0, ColumnEncoding::Utf16).unwrap(),
            text.len()
        );
    }

    #[test]
    fn identifiers_nearest_first_with_their_use() {
        let window = "User u = new User();\nString s = \"userService.\";\nuserService.";
        let uses = identifiers_before(window, 10);
        assert_eq!(uses[0].name, "userService");
        assert!(uses[0].receiver && !uses[0].call);
        let user = uses.iter().find(|u| u.name == "User").unwrap();
        assert!(user.constructed && user.call);
        // Words inside strings are not identifiers; keywords are dropped.
        assert_eq!(uses.iter().filter(|u| u.name == "userService").count(), 1);
        assert!(!uses.iter().any(|u| u.name == "new"));
    }

    #[test]
    fn types_are_cleaned() {
        assert_eq!(clean_type("List<User>"), "List");
        assert_eq!(clean_type("&mut Session"), "Session");
        assert_eq!(clean_type("models.User"), "User");
        assert_eq!(clean_type("std::sync::Arc<Foo>"), "Arc");
        assert_eq!(clean_type("Foo*"), "Foo");
    }

    #[test]
    fn best_window_finds_the_matching_lines() {
        let text = "a\nb\nparse date\nformat date\nc\nd";
        let q: HashSet<String> = ["parse".into(), "date".into(), "format".into()].into();
        let (start, lines) = best_window(text, 2, &q);
        assert_eq!(start, 2);
        assert_eq!(lines, ["parse date", "format date"]);
    }
}
