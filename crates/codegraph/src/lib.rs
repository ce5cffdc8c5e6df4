//! codegraph: index a repository into files, definitions, imports, calls,
//! inheritance and chunks, persisted in SQLite; read it back.
//!
//! This is the library other programs embed; the `codegraph` CLI and the
//! server are thin layers on it. Two roles, two types:
//!
//! - an [`Indexer`] (`&mut`, one per index) walks, parses, resolves, syncs
//!   the search indexes and embeds; each update returns a [`ChangeSet`];
//! - a [`Reader`] (immutable, `Send + Sync`, shared by every query thread)
//!   answers: search, completion context, the graph, status.
//!   [`Reader::next`] builds the reader that sees an update, sharing what
//!   the update did not touch.
//!
//! [`Codegraph`] pairs them for a program that does both in turn:
//!
//! ```no_run
//! use codegraph::{Codegraph, IndexOptions, NoProgress};
//! let mut cg = Codegraph::open(std::path::Path::new("."), IndexOptions::default())?;
//! let report = cg.index(&NoProgress)?;
//! println!("{} files, {} chunks", report.stats.files, report.stats.chunks);
//! for def in cg.find_symbol("main")? {
//!     println!("{}:{} {}", def.path, def.start_line, def.signature);
//! }
//! # Ok::<(), codegraph::Error>(())
//! ```
//!
//! Search is a composition of retrievers and a ranker ([`Retriever`],
//! [`Ranker`]); completion context sits behind [`CompletionRetrieval`]: the
//! seams where a team plugs in its own retrieval.
//!
//! The index lives outside the repository (the user's cache directory, keyed
//! by the repository's canonical path, or [`IndexOptions::index_dir`]);
//! codegraph never writes into the repository it indexes.

mod changes;
mod codegraph;
mod context;
mod git;
mod indexer;
mod lazy;
pub mod process;
mod project;
mod reader;
mod vectors;

pub use changes::ChangeSet;
pub use codegraph::Codegraph;
pub use codegraph_core::{
    self as core, ChunkKind, ContextReason, DefKind, DocKind, EdgeKind, FileFacts, Provenance,
    ReasonKind, SkipReason, UpdateCause, WatcherStatus,
};
pub use codegraph_embed as embedding;
pub use codegraph_graph::{
    MapDefinition, MapEntry, MapOptions, Node, Related, RepoMap, ResolutionStats, Subgraph, Symbol,
    line_tokens,
};
pub use codegraph_search::similar::Similarity;
pub use codegraph_search::{Fused, RankScore, SearchError};
pub use codegraph_store::{
    ChunkRow, DefinitionRow, Diagnostic, FORMAT_VERSION, FileRow, Skipped, Stats,
};
pub use context::{
    ColumnEncoding, CompletionRetrieval, ContextRequest, ContextResponse, ContextStats, Snippet,
    Structure,
};
pub use git::{GitInfo, repository_root};
pub use indexer::embed::{EmbedReport, NO_MODEL, NO_VECTORS};
pub use indexer::pipeline::RunCounts;
pub use indexer::walk::{DEFAULT_EXCLUDED_DIRS, IGNORE_FILE};
pub use indexer::watch::{WatchOptions, WatchUpdate, WatcherState};
pub use indexer::{GraphReport, IndexReport, Indexer, LockHolder, write_lock_holder};
pub use project::{
    ByteSize, EmbeddingSettings, IndexSettings, PROJECT_FILE, PoolingSetting, ProjectConfig,
};
pub use reader::agent::{
    Impact, ImpactItem, ImpactVia, MAX_SCAN_BYTES, Reference, Scan, ScanHit, SourceLines,
};
pub use reader::locate::{LocateOptions, Located, LocatedDefinition, LocatedFile};
pub use reader::search::{
    DEFAULT_PAGERANK_WEIGHT, Hits, MAX_QUERY_BYTES, NO_LEXICAL_INDEX, Query, Ranker, Ranks,
    Retriever, RrfRanker, SearchMode, SearchOptions, SearchPipeline, SearchResponse, SearchResult,
};
pub use reader::{EmbeddingStatus, MAX_STORED_DEPTH, Reader, RepositoryInfo, Status};

use codegraph_lang::Registry;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Errors of the library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}: no such directory")]
    NotFound(PathBuf),
    #[error("{0}: not a directory")]
    NotADirectory(PathBuf),
    /// A root that must never be indexed (`/`, or under `/proc`, `/sys`,
    /// `/dev`).
    #[error("{0}: refusing to index a system directory; pass a repository")]
    ForbiddenRoot(PathBuf),
    /// A repository path that is not UTF-8 (paths are stored as text).
    #[error("{}: the path is not valid UTF-8; codegraph cannot address it", .0.display())]
    NonUtf8Path(PathBuf),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no cache directory on this system; pass an index directory")]
    NoCacheDir,
    #[error("{0}: no language for this file")]
    UnknownLanguage(PathBuf),
    #[error("{0}: binary file")]
    Binary(PathBuf),
    #[error("{0}{hint}", hint = if .0.is_damage() { "; the next `codegraph index` rebuilds it" } else { "" })]
    Store(#[from] codegraph_store::StoreError),
    #[error("no definition matches `{0}`")]
    SymbolNotFound(String),
    #[error("`{name}` is ambiguous; candidates:\n  {}", candidates.join("\n  "))]
    Ambiguous {
        name: String,
        candidates: Vec<String>,
    },
    #[error("{0}: not in the index")]
    NotIndexed(String),
    #[error("{0}: outside the repository")]
    OutsideRoot(String),
    /// A part of the index is missing or damaged; an index run rebuilds it.
    #[error("{0}; run `codegraph index` to rebuild it")]
    NeedsIndex(String),
    /// The index directory holds another repository's index.
    #[error("{} holds the index of {other}, not of {root}: use another index directory, or `codegraph index --rebuild` to replace it", dir.display())]
    ForeignIndex {
        dir: PathBuf,
        root: String,
        other: String,
    },
    /// Another process writes this index (`IndexOptions::lock_wait` passed).
    #[error("{}: {holder} is writing this index", dir.display())]
    IndexBusy { dir: PathBuf, holder: String },
    #[error("{0}{hint}", hint = if .0.is_damage() { "; the next `codegraph index` rebuilds it" } else { "" })]
    Search(#[from] codegraph_search::SearchError),
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The repository's `.codegraph.toml` cannot be used; the message says
    /// what to fix.
    #[error("{}: {message}", path.display())]
    ProjectConfig { path: PathBuf, message: String },
    /// The request's deadline passed; work stopped before this stage.
    #[error("the deadline passed before {0}")]
    DeadlineExceeded(&'static str),
    #[error("{0}")]
    Other(String),
}

impl Error {
    /// Whether the error says a file of the index is damaged (an index run
    /// rebuilds it).
    pub fn is_damage(&self) -> bool {
        match self {
            Error::Store(e) => e.is_damage(),
            Error::Search(e) => e.is_damage(),
            Error::NeedsIndex(_) => true,
            _ => false,
        }
    }
}

/// `Err(DeadlineExceeded)` once `deadline` has passed; `stage` names the
/// work that was about to start.
pub(crate) fn check_deadline(deadline: Option<Instant>, stage: &'static str) -> Result<()> {
    match deadline {
        Some(d) if Instant::now() >= d => Err(Error::DeadlineExceeded(stage)),
        _ => Ok(()),
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// How to index. The defaults suit most repositories.
#[derive(Debug, Clone)]
pub struct IndexOptions {
    /// Where the index lives; default: `<cache>/codegraph/<name>-<hash>`.
    pub index_dir: Option<PathBuf>,
    /// Files larger than this are skipped (`too_large`).
    pub max_file_size: u64,
    /// A file with a longer line is skipped as minified (for languages that
    /// are minified; 16 times this for others).
    pub max_line_length: usize,
    /// Follow symbolic links (loops are detected and skipped).
    pub follow_symlinks: bool,
    /// Parser threads; 0 means one per core.
    pub threads: usize,
    /// Directory names skipped wherever they appear.
    pub exclude_dirs: Vec<String>,
    /// Gitignore-style globs of paths (relative to the root) never indexed,
    /// as if listed in `.codegraphignore` (`docs/**`, `*.min.js`,
    /// `/generated/`). An invalid glob is [`Error::InvalidRequest`].
    pub exclude_globs: Vec<String>,
    /// Files per write transaction.
    pub batch_files: usize,
    /// The embedding model; default: the one `codegraph model install` puts
    /// in the data directory.
    pub model: Option<codegraph_embed::ModelConfig>,
    /// How long a write waits for another process's write to end (`None`:
    /// as long as it takes) before failing with [`Error::IndexBusy`].
    pub lock_wait: Option<std::time::Duration>,
    /// Only files of these languages (names of the language table) are
    /// indexed; others are skipped as `language_excluded`. `None`: all.
    pub languages: Option<Vec<String>>,
    /// Whether [`Indexer::embed_pending`] embeds (`false`: the index stays
    /// lexical and graph only).
    pub embed: bool,
    /// Whether the repository's `.codegraph.toml` fills in the settings
    /// left at their defaults (re-read at every index run).
    pub project_config: bool,
    /// How long readers live, which decides what they load: long-lived
    /// readers load what answers fastest, one-shot ones what opens fastest.
    pub reader_life: ReaderLife,
}

/// How long a reader lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReaderLife {
    /// Answers many questions (a server, an editor's process): vectors
    /// through the HNSW graph, the query model graph-optimised.
    #[default]
    LongLived,
    /// Answers a question or two and exits (the command line): vectors by
    /// an exact scan of their compact copy, the query model without graph
    /// optimisation. Together about 0.2 s and a third of the memory less
    /// per cold hybrid query on java.base.
    OneShot,
}

impl ReaderLife {
    /// How this reader searches vectors.
    pub fn vector_access(self) -> codegraph_search::VectorAccess {
        match self {
            ReaderLife::LongLived => codegraph_search::VectorAccess::Graph,
            ReaderLife::OneShot => codegraph_search::VectorAccess::Scan,
        }
    }
}

impl Default for IndexOptions {
    fn default() -> Self {
        IndexOptions {
            index_dir: None,
            max_file_size: 1 << 20,
            max_line_length: 4000,
            follow_symlinks: false,
            threads: 0,
            exclude_dirs: DEFAULT_EXCLUDED_DIRS
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            exclude_globs: Vec::new(),
            batch_files: 256,
            model: None,
            lock_wait: None,
            languages: None,
            embed: true,
            project_config: true,
            reader_life: ReaderLife::LongLived,
        }
    }
}

impl IndexOptions {
    /// The `exclude_globs` as one matcher (checked: a bad glob says which).
    pub(crate) fn exclusions(&self, root: &Path) -> Result<ignore::gitignore::Gitignore> {
        let mut builder = ignore::gitignore::GitignoreBuilder::new(root);
        for glob in &self.exclude_globs {
            // The gitignore builder lets some broken patterns through
            // (`src/[a`); the glob syntax itself decides.
            let pattern = glob.trim_start_matches('!').trim_start_matches('/');
            if pattern.trim().is_empty() {
                return Err(Error::InvalidRequest(format!(
                    "exclude glob `{glob}`: an empty pattern"
                )));
            }
            globset::Glob::new(pattern)
                .map_err(|e| Error::InvalidRequest(format!("exclude glob `{glob}`: {e}")))?;
            builder
                .add_line(None, glob)
                .map_err(|e| Error::InvalidRequest(format!("exclude glob `{glob}`: {e}")))?;
        }
        builder
            .build()
            .map_err(|e| Error::InvalidRequest(format!("exclude globs: {e}")))
    }

    /// Checks the `exclude_globs` (for a caller that wants to refuse a bad
    /// one before anything runs): [`Error::InvalidRequest`] names it.
    pub fn check_exclude_globs(&self, root: &Path) -> Result<()> {
        self.exclusions(root).map(|_| ())
    }

    /// The model configuration in use.
    pub fn model_config(&self) -> codegraph_embed::ModelConfig {
        self.model.clone().unwrap_or_else(|| {
            codegraph_embed::ModelConfig::from_data_dir(&codegraph_embed::default_data_dir())
        })
    }
}

/// A stage of an indexing run, as [`Progress::phase`] reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Walking,
    /// Parsing and storing changed files (reported per file).
    Parsing,
    ResolvingGraph,
    LexicalIndex,
    Embedding,
    VectorIndex,
}

/// Progress of an indexing run. Called from the indexing threads.
pub trait Progress: Sync {
    /// A new stage starts.
    fn phase(&self, _phase: Phase) {}
    fn files_found(&self, _count: usize) {}
    fn file_done(&self, _path: &str) {}
    /// Chunks with a vector so far, of all chunks.
    fn embed_progress(&self, _done: u64, _total: u64) {}
    /// Whether the caller wants long work (embedding) to stop early; checked
    /// between batches.
    fn cancelled(&self) -> bool {
        false
    }
}

/// Reports nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}

/// Where an index is: the repository's canonical root and the index
/// directory (created when missing).
#[derive(Debug, Clone)]
pub(crate) struct Location {
    pub(crate) root: PathBuf,
    pub(crate) index_dir: PathBuf,
}

impl Location {
    pub(crate) fn new(root: &Path, options: &IndexOptions) -> Result<Location> {
        let root = canonical_root(root)?;
        options.exclusions(&root)?;
        let index_dir = match &options.index_dir {
            Some(dir) => dir.clone(),
            None => default_index_dir(&root)?,
        };
        std::fs::create_dir_all(&index_dir).map_err(|source| Error::Io {
            path: index_dir.clone(),
            source,
        })?;
        let index_dir = index_dir.canonicalize().map_err(|source| Error::Io {
            path: index_dir.clone(),
            source,
        })?;
        Ok(Location { root, index_dir })
    }

    pub(crate) fn database(&self) -> PathBuf {
        self.index_dir.join("index.sqlite")
    }

    /// `Err(ForeignIndex)` when the index directory holds the index of
    /// another repository than this root.
    pub(crate) fn check_owner(&self, conn: &codegraph_store::Conn) -> Result<()> {
        let recorded = conn.meta(codegraph_store::MetaKey::Root)?;
        match recorded {
            Some(other) if !other.is_empty() && Path::new(&other) != self.root => {
                Err(Error::ForeignIndex {
                    dir: self.index_dir.clone(),
                    root: self.root.display().to_string(),
                    other,
                })
            }
            _ => Ok(()),
        }
    }

    pub(crate) fn bm25_dir(&self) -> PathBuf {
        self.index_dir.join("bm25")
    }

    /// The file-level lexical index: one document per file.
    pub(crate) fn bm25_files_dir(&self) -> PathBuf {
        self.index_dir.join("bm25-files")
    }

    /// A path as a caller gives it — absolute, or relative to the root —
    /// as a path relative to the root ([`confine`]). Never resolved
    /// against the process's working directory.
    pub(crate) fn relative(&self, path: &str) -> Result<String> {
        confine(&self.root, path)
    }
}

/// `path` (relative to `root`, or absolute) as a `/`-separated path
/// relative to `root`, after resolving `..` and symbolic links (those of
/// its deepest existing ancestor; the rest lexically). A path that leaves
/// the root is [`Error::OutsideRoot`]; nothing outside is read, only path
/// metadata resolved. `root` must be canonical.
pub fn confine(root: &Path, path: &str) -> Result<String> {
    use std::path::Component;
    let outside = || Error::OutsideRoot(path.to_owned());
    let p = Path::new(path);
    let joined = if p.is_absolute() {
        p.to_owned()
    } else {
        root.join(p)
    };
    // The deepest existing ancestor, canonical, plus the rest.
    let mut rest: Vec<std::ffi::OsString> = Vec::new();
    let mut base = joined;
    let canonical = loop {
        match base.canonicalize() {
            Ok(c) => break c,
            Err(_) => {
                rest.push(base.file_name().ok_or_else(outside)?.to_owned());
                if !base.pop() {
                    return Err(outside());
                }
            }
        }
    };
    let mut full = canonical;
    for part in rest.iter().rev() {
        match Path::new(part).components().next() {
            Some(Component::ParentDir) => {
                full.pop();
            }
            Some(Component::CurDir) | None => {}
            Some(_) => full.push(part),
        }
    }
    match full.strip_prefix(root) {
        Ok(rel) => Ok(indexer::walk::relative_to_string(rel)),
        Err(_) => Err(outside()),
    }
}

/// The bytes of the regular file at `path`, at most `limit` of them: a
/// FIFO, socket or device is refused without opening it (opening a FIFO
/// blocks), and so is a larger file.
pub(crate) fn read_regular_file(path: &Path, limit: u64) -> Result<Vec<u8>> {
    use std::io::Read;
    let io = |source| Error::Io {
        path: path.to_owned(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(Error::InvalidRequest(format!(
            "{}: not a regular file",
            path.display()
        )));
    }
    if meta.len() > limit {
        return Err(Error::InvalidRequest(format!(
            "{}: {} bytes; the limit is {limit}",
            path.display(),
            meta.len()
        )));
    }
    // Opened without blocking, then checked again on the open file: a
    // FIFO put in the file's place since the check cannot hold us.
    let mut open = std::fs::OpenOptions::new();
    open.read(true);
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt;
        open.custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32);
    }
    let file = open.open(path).map_err(io)?;
    if !file.metadata().map_err(io)?.is_file() {
        return Err(Error::InvalidRequest(format!(
            "{}: not a regular file",
            path.display()
        )));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(limit + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(Error::InvalidRequest(format!(
            "{}: grew past the limit of {limit} bytes while being read",
            path.display()
        )));
    }
    Ok(bytes)
}

/// The names of the languages codegraph indexes (`languages.toml`), as
/// search results and filters name them.
pub fn language_names() -> Vec<&'static str> {
    Registry::builtin()
        .languages()
        .iter()
        .map(|l| l.name.as_str())
        .collect()
}

/// Parses one file without an index: what codegraph extracts from it.
pub fn extract_file(path: &Path) -> Result<FileFacts> {
    let registry = Registry::builtin();
    let language = registry
        .for_path(path)
        .or_else(|| registry.plain_text())
        .ok_or_else(|| Error::UnknownLanguage(path.to_owned()))?;
    let bytes = read_regular_file(path, IndexOptions::default().max_file_size)?;
    if bytes[..bytes.len().min(8192)].contains(&0) {
        return Err(Error::Binary(path.to_owned()));
    }
    let text = String::from_utf8_lossy(&bytes);
    let name = path.to_string_lossy().replace('\\', "/");
    Ok(codegraph_parse::parse_file(language, &name, &text))
}

fn canonical_root(root: &Path) -> Result<PathBuf> {
    let meta = std::fs::metadata(root).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => Error::NotFound(root.to_owned()),
        _ => Error::Io {
            path: root.to_owned(),
            source,
        },
    })?;
    if !meta.is_dir() {
        return Err(Error::NotADirectory(root.to_owned()));
    }
    let canonical = root.canonicalize().map_err(|source| Error::Io {
        path: root.to_owned(),
        source,
    })?;
    if canonical.to_str().is_none() {
        return Err(Error::NonUtf8Path(canonical));
    }
    if is_system_dir(&canonical) {
        return Err(Error::ForbiddenRoot(canonical));
    }
    Ok(canonical)
}

/// `/`, or a directory under `/proc`, `/sys` or `/dev`: never a repository
/// (walking them reads the whole machine, or files that never end).
pub fn is_system_dir(canonical: &Path) -> bool {
    canonical.parent().is_none()
        || ["/proc", "/sys", "/dev"]
            .iter()
            .any(|d| canonical.starts_with(d))
}

/// codegraph's cache directory: `$CODEGRAPH_CACHE_DIR`, else the system
/// cache directory's `codegraph` (indexes, server state).
pub fn cache_dir() -> Result<PathBuf> {
    Ok(match std::env::var_os("CODEGRAPH_CACHE_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => dirs::cache_dir()
            .ok_or(Error::NoCacheDir)?
            .join("codegraph"),
    })
}

/// `$CODEGRAPH_CACHE_DIR` or `<user cache>/codegraph`, then
/// `<repo name>-<hash of its canonical path>`.
pub fn default_index_dir(root: &Path) -> Result<PathBuf> {
    Ok(index_dir_in(&cache_dir()?, root))
}

/// The index directory of the repository at `root` under the cache `base`.
pub fn index_dir_in(base: &Path, root: &Path) -> PathBuf {
    let name: String = root
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "root".into())
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let hash = blake3::hash(root.to_string_lossy().as_bytes()).to_hex();
    base.join(format!("{name}-{}", &hash[..16]))
}

/// Readers are shared by query threads; a server answers from one on many
/// threads.
#[allow(dead_code)]
fn _readers_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Reader>();
    check::<Codegraph>();
}
