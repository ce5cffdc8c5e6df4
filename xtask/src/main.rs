//! Project automation: `cargo xtask <task>`.
//!
//! - `demo`: build codegraph, install the embedding model, index a real
//!   repository (codegraph's own source by default), show the summary, look
//!   a symbol and its callers up, print the map and answer a query.
//! - `corpus NAME`: fetch a pinned benchmark corpus into `.bench/` from the
//!   package registries (`jdk`: Debian's openjdk-17-source, `django`: the
//!   Django sdist from PyPI, `tokio`: the tokio crate vendored from crates.io).
//! - `bench-index [NAME...] [--runs N]`: index each corpus N times from scratch
//!   and once unchanged; report medians of wall time, peak RSS, index size and
//!   counts, beside `ctags -R` on the same tree.
//! - `eval-search [NAME...] [--queries N]`: search quality. For each
//!   documented function of a corpus, the first sentence of its doc is the
//!   query and the function the answer; docs are stripped from a copy of the
//!   corpus before it is indexed. MRR@10 and Recall@1/5/10 for lexical,
//!   vector and hybrid, and with the PageRank prior at a few weights.
//! - `bench-embed [N]`: embedding throughput on N chunks of java.base, the
//!   default settings beside the naive ones (batches of 32 padded to 256
//!   tokens, fp32 activations).
//! - `bench-search [NAME] [--lexical-only]`: lexical query latency inside
//!   the library (with each stage's) beside `rg -l` for the same words;
//!   then (unless `--lexical-only`) embeds the whole corpus (timed), and
//!   reports hybrid latency (query embedding included) in the library, a
//!   5,000-character query, both modes through the CLI, index size and RSS.
//! - `bench-cli [NAME]`: the command line as a person meets it, one cold
//!   process per call on java.base (indexed with `--no-embed`): medians of
//!   20 processes' wall time and peak RSS for `query` (lexical, default
//!   mode) and `callers --depth 1` without a server, and `query` through a
//!   running `codegraph serve`, beside the targets (see
//!   `tasks/bench_cli.rs`).
//! - `bench-live`: on a copy of java.base, 20 edits (a new method calling
//!   an existing one), each followed by the incremental update, a lexical
//!   query that must find the new method and a `callers` query that must
//!   list it: p50/p95 of the whole, and of each part.
//! - `bench-context [NAME]`: the full completion-context request at 300
//!   cursors (after `receiver.`) of a corpus, index warm: p50/p99, stage
//!   medians, candidates scanned, CPU time per request.
//! - `eval-context [NAME|DIR...]`: relevance hit rate per corpus and kind of
//!   reference (imported name, re-export, decorator, call, module member,
//!   receiver, `self`, `self` member, module object, attribute chain, type):
//!   a hit at k when the definition is among the first k structures;
//!   hit@1/3/5, and a next-line check (see `tasks/eval_context.rs`).
//! - `bench-graph [NAME...]`: resolution cost and coverage by provenance,
//!   `callers` and `map` latency inside the library, and 50 random resolved
//!   call edges with their source lines for a spot check
//!   (`.bench/spot-check-NAME.txt`).
//! - `live-equivalence [NAME...]`: a watcher follows edits, additions,
//!   deletions and renames on a copy of each corpus; its index must equal a
//!   fresh one (see `tasks/live_eq.rs`).
//! - `bench-serve [--seconds N] [--clients N] [--think-ms N] [--rate R]
//!   [--rate-seconds N] [--only-rate]`: `codegraph serve` on a copy of
//!   java.base under concurrent gRPC load (closed loop, open loop, fixed
//!   rate) while an editor saves files; then kill -9 and restart (see
//!   `tasks/serve_bench/`). `--only-rate`: the fixed-rate phase alone.
//! - `fault-matrix [--only cli|serve] [--filter TEXT] [--jobs N]`: damage every file
//!   of an index of the fixtures (truncate to half, to 0, garble 4 KB,
//!   delete) and check, against the CLI and against `codegraph serve`, that
//!   the damage is said (never silent), healed by the next index run, and
//!   that answers then equal a fresh index's (see `tasks/fault_matrix/`).
//! - `hostile-serve [--seconds N]`: `codegraph serve` under hostile
//!   requests (huge buffers, nesting bombs, a FIFO, abandoned requests, 200
//!   connections) beside a normal client: its p50/p99 against the idle
//!   server's, the server's peak RSS, SIGTERM to exit (see
//!   `tasks/hostile_serve.rs`).
//! - `oracle [NAME...]`: call edges against a compiler-grade oracle. Builds
//!   SCIP indexes with scip-python / scip-typescript (installed from npm
//!   into `.bench/npm/`, pinned) of pinned corpora (httpx, attrs,
//!   marshmallow from PyPI; rxjs, zod from npm), derives their call edges,
//!   indexes the same trees with codegraph and reports precision of
//!   resolved and of inferred edges and recall; disagreements with causes
//!   in `.bench/oracle-NAME-disagreements.txt` (see `tasks/oracle/`).
//! - `mine-tasks --git-dir DIR --repo OWNER/NAME [--max N] [--out FILE]`:
//!   localisation tasks ("commit text → files and definitions to change")
//!   from a repository's first-parent history (see
//!   `tasks/tasks_eval/mine/`; the committed ones are in `eval/tasks/`).
//! - `eval-tasks [--repos a,b] [--mirrors DIR] [--limit N] [--systems x,y]
//!   [--no-embed]`: each system (hybrid and lexical search, the maps at
//!   1,024 and 4,096 tokens, a plain BM25-over-files baseline) on each task,
//!   indexed at the task's parent commit: file Acc@1/3/5/10 and Recall@5/10,
//!   function Recall@10, map coverage and tokens, per repository, language
//!   and overall; per-task rows in `.bench/eval-tasks-<date>.jsonl`.
//!
//! - `eval-paste [NAME|DIR...] [--queries N]`: pasted text. A body line
//!   and a string literal copied from sampled functions (each found once in
//!   the corpus) as queries; how often the containing definition's chunk is
//!   the first result (and in the first 5), lexical and hybrid.
//!
//! Layout: this file parses the arguments into a [`Task`] and runs it;
//! `tasks/` holds one module per task (or close group of tasks), `util.rs`
//! the workspace paths and command helpers, `measure.rs` the statistics and
//! process measurements they share.

mod measure;
mod tasks;
mod util;

use anyhow::{Context, Result, bail};
use std::path::PathBuf;
use tasks::serve_bench;
use tasks::tasks_eval;

fn main() -> Result<()> {
    // Library debug timings on stderr: CODEGRAPH_LOG=codegraph=debug.
    if let Ok(filter) = tracing_subscriber::EnvFilter::try_from_env("CODEGRAPH_LOG") {
        tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_env_filter(filter)
            .without_time()
            .init();
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    Task::parse(&args)?.run()
}

/// One task with its arguments, parsed.
#[derive(Debug)]
enum Task {
    Demo(Option<PathBuf>),
    Corpus(String),
    BenchIndex { names: Vec<String>, runs: usize },
    EvalSearch { names: Vec<String>, queries: usize },
    BenchEmbed(usize),
    BenchSearch { name: String, lexical_only: bool },
    BenchCli(String),
    BenchGraph(Vec<String>),
    BenchLive,
    LiveEquivalence(Vec<String>),
    BenchContext(String),
    EvalContext(Vec<String>),
    BenchServe(serve_bench::Options),
    FaultMatrix(tasks::fault_matrix::Options),
    HostileServe(tasks::hostile_serve::Options),
    Oracle(Vec<String>),
    MineTasks(tasks_eval::mine::Options),
    EvalTasks(tasks_eval::eval::Options),
    EvalPaste { names: Vec<String>, queries: usize },
}

impl Task {
    /// The task named by the first argument, with the rest as its arguments.
    fn parse(args: &[String]) -> Result<Task> {
        let Some(task) = args.first() else {
            bail!("usage: cargo xtask <demo|corpus NAME|bench-index [NAME...] [--runs N]>");
        };
        let rest = &args[1..];
        let name_or = |default: &str| args.get(1).cloned().unwrap_or_else(|| default.into());
        Ok(match task.as_str() {
            "demo" => Task::Demo(args.get(1).map(PathBuf::from)),
            "corpus" => Task::Corpus(args.get(1).context("corpus NAME: jdk or django")?.clone()),
            "bench-index" => {
                let (names, runs) = corpora_and(rest, "--runs", 5, &["jdk", "django"])?;
                Task::BenchIndex { names, runs }
            }
            "eval-search" => {
                let (names, queries) = corpora_and(rest, "--queries", 400, &["django", "tokio"])?;
                Task::EvalSearch { names, queries }
            }
            "bench-embed" => {
                Task::BenchEmbed(args.get(1).and_then(|a| a.parse().ok()).unwrap_or(1000))
            }
            "bench-search" => Task::BenchSearch {
                name: rest
                    .iter()
                    .find(|a| !a.starts_with("--"))
                    .cloned()
                    .unwrap_or_else(|| "jdk".into()),
                lexical_only: rest.iter().any(|a| a == "--lexical-only"),
            },
            "bench-cli" => Task::BenchCli(name_or("jdk")),
            "bench-graph" => Task::BenchGraph(names_or(rest, &["jdk"])),
            "bench-live" => Task::BenchLive,
            "live-equivalence" => Task::LiveEquivalence(names_or(rest, &["django", "tokio"])),
            "bench-context" => Task::BenchContext(name_or("jdk")),
            "eval-context" => Task::EvalContext(names_or(rest, tasks::eval_context::DEFAULT)),
            "bench-serve" => Task::BenchServe(serve_bench::Options::parse(rest)?),
            "fault-matrix" => Task::FaultMatrix(tasks::fault_matrix::Options::parse(rest)?),
            "hostile-serve" => Task::HostileServe(tasks::hostile_serve::Options::parse(rest)?),
            "oracle" => Task::Oracle(names_or(rest, tasks::oracle::DEFAULT)),
            "mine-tasks" => Task::MineTasks(tasks_eval::mine::Options::parse(rest)?),
            "eval-tasks" => Task::EvalTasks(tasks_eval::eval::Options::parse(rest)?),
            "eval-paste" => {
                let (names, queries) = corpora_and(rest, "--queries", 200, &["tokio"])?;
                Task::EvalPaste { names, queries }
            }
            other => bail!("unknown task `{other}`"),
        })
    }

    fn run(self) -> Result<()> {
        match self {
            Task::Demo(path) => tasks::demo::demo(path),
            Task::Corpus(name) => {
                let path = tasks::corpus::corpus(&name)?;
                println!("{}", path.display());
                Ok(())
            }
            Task::BenchIndex { names, runs } => {
                for name in names {
                    tasks::bench_index::bench_index(&name, runs)?;
                }
                Ok(())
            }
            Task::EvalSearch { names, queries } => {
                for name in names {
                    tasks::eval_search::eval_search(&name, queries)?;
                }
                Ok(())
            }
            Task::BenchEmbed(n) => tasks::bench_embed::bench_embed(n),
            Task::BenchSearch { name, lexical_only } => {
                tasks::bench_search::bench_search(&name, lexical_only)
            }
            Task::BenchCli(name) => tasks::bench_cli::bench_cli(&name),
            Task::BenchGraph(names) => {
                for name in names {
                    tasks::bench_graph::bench_graph(&name)?;
                }
                Ok(())
            }
            Task::BenchLive => tasks::bench_live::bench_live(),
            Task::LiveEquivalence(names) => tasks::live_eq::live_equivalence(&names),
            Task::BenchContext(name) => tasks::bench_context::bench_context(&name),
            Task::EvalContext(names) => {
                for name in names {
                    tasks::eval_context::eval_context(&name)?;
                }
                Ok(())
            }
            Task::BenchServe(options) => serve_bench::bench_serve(&options),
            Task::FaultMatrix(options) => tasks::fault_matrix::fault_matrix(&options),
            Task::HostileServe(options) => tasks::hostile_serve::hostile_serve(&options),
            Task::Oracle(names) => tasks::oracle::oracle(&names),
            Task::MineTasks(options) => tasks_eval::mine::mine_tasks(&options),
            Task::EvalTasks(options) => tasks_eval::eval::eval_tasks(&options),
            Task::EvalPaste { names, queries } => tasks::eval_paste::eval_paste(&names, queries),
        }
    }
}

/// The arguments as corpus names, or `defaults` when there are none.
fn names_or(args: &[String], defaults: &[&str]) -> Vec<String> {
    if args.is_empty() {
        defaults.iter().map(|n| (*n).to_owned()).collect()
    } else {
        args.to_vec()
    }
}

/// Corpus names (default `defaults`) and one numeric `flag N` (default
/// `default`) from a task's arguments.
fn corpora_and(
    args: &[String],
    flag: &str,
    default: usize,
    defaults: &[&str],
) -> Result<(Vec<String>, usize)> {
    let mut value = default;
    let mut names = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == flag {
            value = it.next().with_context(|| format!("{flag} N"))?.parse()?;
        } else {
            names.push(a.clone());
        }
    }
    if names.is_empty() {
        names = defaults.iter().map(|n| (*n).to_owned()).collect();
    }
    Ok((names, value))
}

#[cfg(test)]
mod tests {
    use super::{Task, tasks};

    fn parse(line: &str) -> anyhow::Result<Task> {
        let args: Vec<String> = line.split_whitespace().map(str::to_owned).collect();
        Task::parse(&args)
    }

    #[test]
    fn every_task_parses() {
        for line in [
            "demo",
            "demo /tmp",
            "corpus jdk",
            "bench-index jdk django --runs 5",
            "bench-index",
            "bench-graph jdk django tokio",
            "eval-search django tokio",
            "eval-search --queries 10",
            "bench-search jdk",
            "bench-search jdk --lexical-only",
            "bench-search",
            "bench-cli",
            "bench-cli jdk",
            "bench-live",
            "live-equivalence django tokio",
            "live-equivalence",
            "bench-serve",
            "bench-serve --only-rate",
            "fault-matrix",
            "fault-matrix --only cli --filter bm25",
            "hostile-serve",
            "hostile-serve --seconds 10",
            "bench-serve --only-rate --no-edits",
            "bench-serve --seconds 5 --clients 4 --think-ms 10 --think-seconds 5 --restarts 1 --cold-seconds 5 --rate 8.5 --rate-seconds 5",
            "bench-context jdk",
            "eval-context httpx jdk rxjs tokio",
            "eval-context",
            "bench-embed 1000",
            "bench-embed",
            "oracle",
            "oracle httpx rxjs",
            "mine-tasks --git-dir /x --repo a/b",
            "mine-tasks --git-dir /x --repo a/b --max 5 --out /tmp/t.jsonl --fix-only --verbose",
            "eval-tasks",
            "eval-tasks --repos black,fzf --mirrors /m --limit 2 --systems hybrid,map-1024 --no-embed",
        ] {
            if let Err(e) = parse(line) {
                panic!("`cargo xtask {line}` does not parse: {e:#}");
            }
        }
    }

    #[test]
    fn defaults_and_errors() {
        match parse("bench-index").unwrap() {
            Task::BenchIndex { names, runs } => {
                assert_eq!((names, runs), (vec!["jdk".into(), "django".into()], 5));
            }
            other => panic!("{other:?}"),
        }
        match parse("eval-context").unwrap() {
            Task::EvalContext(names) => assert_eq!(names, tasks::eval_context::DEFAULT),
            other => panic!("{other:?}"),
        }
        match parse("live-equivalence").unwrap() {
            Task::LiveEquivalence(names) => assert_eq!(names, ["django", "tokio"]),
            other => panic!("{other:?}"),
        }
        assert!(parse("").is_err());
        assert!(parse("corpus").is_err());
        assert!(parse("bench-index --runs").is_err());
        assert!(parse("bench-serve --clients 0").is_err());
        assert!(parse("bench-serve --bogus").is_err());
        match parse("oracle").unwrap() {
            Task::Oracle(names) => assert_eq!(names, tasks::oracle::DEFAULT),
            other => panic!("{other:?}"),
        }
        assert!(parse("no-such-task").is_err());
        assert!(parse("mine-tasks --repo a/b").is_err());
        assert!(parse("eval-tasks --systems nope").is_err());
    }
}
