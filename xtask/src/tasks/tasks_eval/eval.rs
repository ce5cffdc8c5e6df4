//! `cargo xtask eval-tasks`: every system on every task. For each
//! repository one scratch working tree (`.bench/tasks/<owner>__<name>/tree`)
//! moves from task to task to the task's parent commit, and one index
//! follows it incrementally (embeddings are cached by content, so a task
//! embeds only what changed since the last one).

use super::git::{Git, Worktree};
use super::score::{Ranking, Scores, Totals, score};
use super::systems::{self, System};
use super::task::{FuncRef, Task, read_tasks, slug};
use crate::util::{bench_dir, workspace_root};
use anyhow::{Context, Result, bail};
use codegraph::{Codegraph, IndexOptions, NoProgress, Progress};
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The arguments of `cargo xtask eval-tasks`.
#[derive(Debug, Clone)]
pub struct Options {
    /// Repositories to run (`owner/name`, `owner__name` or `name`); all
    /// task files when empty.
    pub repos: Vec<String>,
    /// Where the git histories are ([`find_git_dir`]).
    pub mirrors: PathBuf,
    /// The task files (`<owner>__<name>.jsonl`).
    pub tasks: PathBuf,
    /// At most this many tasks per repository (the first, i.e. newest).
    pub limit: Option<usize>,
    /// Systems to run; all when empty.
    pub systems: Vec<String>,
    /// Do not embed: `hybrid` answers lexically.
    pub no_embed: bool,
}

const USAGE: &str = "eval-tasks [--repos a,b] [--mirrors DIR] [--tasks DIR] [--limit N] \
[--systems x,y] [--no-embed]";

impl Options {
    pub fn parse(args: &[String]) -> Result<Options> {
        let mut o = Options {
            repos: Vec::new(),
            mirrors: bench_dir().join("mirrors"),
            tasks: workspace_root().join("eval/tasks"),
            limit: None,
            systems: Vec::new(),
            no_embed: false,
        };
        let list = |v: &str| -> Vec<String> {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            let mut value = || -> Result<&String> {
                it.next()
                    .with_context(|| format!("{flag} needs a value; usage: {USAGE}"))
            };
            match flag.as_str() {
                "--repos" => o.repos = list(value()?),
                "--mirrors" => o.mirrors = PathBuf::from(value()?),
                "--tasks" => o.tasks = PathBuf::from(value()?),
                "--limit" => {
                    let v = value()?;
                    o.limit = Some(
                        v.parse()
                            .with_context(|| format!("--limit {v}: a number"))?,
                    )
                }
                "--systems" => o.systems = list(value()?),
                "--no-embed" => o.no_embed = true,
                other => bail!("eval-tasks: unknown argument `{other}`; usage: {USAGE}"),
            }
        }
        systems::build(&o.systems)?;
        Ok(o)
    }
}

/// Whether `--repos` entry `want` names the repository `repo` (`owner/name`).
fn selects(want: &str, repo: &str) -> bool {
    let want = want.to_ascii_lowercase();
    let repo = repo.to_ascii_lowercase();
    want == repo || want == slug(&repo) || Some(want.as_str()) == repo.split('/').nth(1)
}

/// The task files to run, sorted; an error names an unknown repository.
fn task_files(o: &Options) -> Result<Vec<(String, PathBuf)>> {
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    let dir = std::fs::read_dir(&o.tasks).with_context(|| {
        format!(
            "{}: no task files (see eval/tasks/README.md; `cargo xtask mine-tasks` makes them)",
            o.tasks.display()
        )
    })?;
    for entry in dir {
        let path = entry?.path();
        let Some(stem) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".jsonl"))
        else {
            continue;
        };
        let Some((owner, name)) = stem.split_once("__") else {
            continue;
        };
        files.push((format!("{owner}/{name}"), path));
    }
    files.sort();
    for want in &o.repos {
        if !files.iter().any(|(repo, _)| selects(want, repo)) {
            let known: Vec<&str> = files.iter().map(|(r, _)| r.as_str()).collect();
            bail!(
                "no tasks for `{want}` in {} ({})",
                o.tasks.display(),
                known.join(", ")
            );
        }
    }
    if !o.repos.is_empty() {
        files.retain(|(repo, _)| o.repos.iter().any(|w| selects(w, repo)));
    }
    Ok(files)
}

/// The git directory of `repo` under `mirrors`: `<owner>__<name>.git`,
/// `<owner>__<name>`, `<name>.git`, `<name>` or `<owner>+<name>/repo` (a
/// bare repository or a clone). The error says how to provide one.
pub fn find_git_dir(mirrors: &Path, repo: &str) -> Result<Git> {
    let (_, name) = repo.split_once('/').unwrap_or(("", repo));
    let candidates = [
        format!("{}.git", slug(repo)),
        slug(repo),
        format!("{name}.git"),
        name.to_owned(),
        format!("{}/repo", repo.replace('/', "+")),
    ];
    for c in &candidates {
        let dir = mirrors.join(c);
        if dir.is_dir() {
            return Git::open(&dir, repo);
        }
    }
    bail!(
        "no git history of {repo} under {} (looked for {}). Git histories are not in the \
         package registries: clone it, e.g.\n  git clone --bare https://github.com/{repo} {}\n\
         or pass --mirrors DIR",
        mirrors.display(),
        candidates.join(", "),
        mirrors.join(format!("{}.git", slug(repo))).display()
    )
}

/// One line of `.bench/eval-tasks-<date>.jsonl`: a system on a task, or a
/// task that could not be run.
#[derive(Debug, Serialize)]
struct Row<'a> {
    repo: &'a str,
    commit: &'a str,
    parent: &'a str,
    language: &'a str,
    kind: &'a str,
    subject: &'a str,
    query: &'a str,
    mentions_function: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    system: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    /// The answer.
    files: &'a [String],
    functions: Vec<String>,
    /// Changed files the index has; changed definitions it has (same
    /// file, name and lines): what any system can find.
    files_indexed: usize,
    functions_indexed: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    scores: Option<Scores>,
    /// The system's first ten files and definitions (`path:name:line`).
    top_files: Vec<&'a str>,
    top_functions: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'a str>,
    millis: f64,
}

impl<'a> Row<'a> {
    fn new(task: &'a Task) -> Row<'a> {
        Row {
            repo: &task.repo,
            commit: &task.commit,
            parent: &task.parent,
            language: &task.language,
            kind: &task.kind,
            subject: &task.subject,
            query: &task.query,
            mentions_function: task.mentions_function,
            system: None,
            error: None,
            files: &task.files,
            functions: task
                .functions
                .iter()
                .map(|f| format!("{}:{}:{}", f.path, f.qualname, f.start_line))
                .collect(),
            files_indexed: 0,
            functions_indexed: 0,
            scores: None,
            top_files: Vec::new(),
            top_functions: Vec::new(),
            note: None,
            millis: 0.0,
        }
    }
}

/// Embedding progress on standard error, every 15 seconds.
struct EmbedProgress {
    last: std::sync::Mutex<Instant>,
}

impl Progress for EmbedProgress {
    fn embed_progress(&self, done: u64, total: u64) {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        if last.elapsed().as_secs() >= 15 {
            *last = Instant::now();
            eprintln!("    embedding: {done}/{total} chunks have vectors");
        }
    }
}

/// Totals by scope (a repository, a language, everything) and system.
#[derive(Debug, Default)]
struct Results {
    totals: BTreeMap<(String, String), Totals>,
    /// Tasks that could not be run, by repository, with the reasons.
    failed: BTreeMap<String, Vec<String>>,
    /// Per repository: tasks run, changed files missing from the index,
    /// changed definitions missing from it, of all.
    coverage: BTreeMap<String, [usize; 5]>,
    /// Per repository: seconds spent checking out and indexing, embedding.
    seconds: BTreeMap<String, [f64; 3]>,
}

impl Results {
    fn add(&mut self, task: &Task, system: &str, s: &Scores, millis: f64) {
        let mut scopes = vec![
            task.repo.clone(),
            format!("[{}]", task.language),
            "ALL".to_owned(),
        ];
        if !task.mentions_function {
            scopes.push("ALL, text names no changed definition".to_owned());
        }
        for scope in scopes {
            self.totals
                .entry((scope, system.to_owned()))
                .or_default()
                .add(s, millis);
        }
    }
}

/// Runs `cargo xtask eval-tasks`.
pub fn eval_tasks(o: &Options) -> Result<()> {
    let started = Instant::now();
    let mut systems = systems::build(&o.systems)?;
    let files = task_files(o)?;
    let rows_path = rows_path()?;
    let mut rows = std::io::BufWriter::new(
        std::fs::File::create(&rows_path)
            .with_context(|| format!("creating {}", rows_path.display()))?,
    );
    let mut results = Results::default();
    let mut embedded_any = false;
    for (repo, path) in &files {
        let mut tasks = read_tasks(path)?;
        if let Some(n) = o.limit {
            tasks.truncate(n);
        }
        eprintln!("== {repo}: {} tasks", tasks.len());
        let git = match find_git_dir(&o.mirrors, repo) {
            Ok(git) => git,
            Err(e) => {
                eprintln!("  skipped: {e:#}");
                for t in &tasks {
                    fail(&mut results, &mut rows, t, format!("{e:#}"))?;
                }
                continue;
            }
        };
        let run = RepoRun {
            options: o,
            dir: bench_dir().join("tasks").join(slug(repo)),
            git,
        };
        embedded_any |= run.run(&tasks, &mut systems, &mut results, &mut rows)?;
    }
    rows.flush()?;
    let table = render(
        &results,
        &systems,
        o,
        embedded_any,
        started.elapsed().as_secs_f64(),
    );
    print!("{table}");
    let table_path = rows_path.with_extension("txt");
    std::fs::write(&table_path, &table)?;
    eprintln!(
        "rows: {}\ntable: {}",
        rows_path.display(),
        table_path.display()
    );
    Ok(())
}

fn fail(results: &mut Results, rows: &mut impl Write, task: &Task, why: String) -> Result<()> {
    let row = Row {
        error: Some(why.clone()),
        ..Row::new(task)
    };
    writeln!(rows, "{}", serde_json::to_string(&row)?)?;
    results
        .failed
        .entry(task.repo.clone())
        .or_default()
        .push(format!("{}: {why}", &task.commit[..10]));
    Ok(())
}

/// One repository's tasks.
struct RepoRun<'a> {
    options: &'a Options,
    /// `.bench/tasks/<owner>__<name>`: the tree, its git index file, the
    /// codegraph index.
    dir: PathBuf,
    git: Git,
}

impl RepoRun<'_> {
    /// Runs every task; whether anything had vectors.
    fn run(
        &self,
        tasks: &[Task],
        systems: &mut [Box<dyn System>],
        results: &mut Results,
        rows: &mut impl Write,
    ) -> Result<bool> {
        let tree = Worktree::new(
            self.git.clone(),
            self.dir.join("tree"),
            self.dir.join("git-index"),
        );
        let mut cg: Option<Codegraph> = None;
        let mut vectors = false;
        for (i, task) in tasks.iter().enumerate() {
            let t = Instant::now();
            let label = format!(
                "[{} {}/{}] {}",
                task.slug(),
                i + 1,
                tasks.len(),
                &task.commit[..10]
            );
            if !self.git.has_commit(&task.parent) {
                let why = format!(
                    "{} lacks the parent commit {}: fetch a newer clone",
                    self.git.dir.display(),
                    task.parent
                );
                eprintln!("{label} failed: {why}");
                fail(results, rows, task, why)?;
                continue;
            }
            if let Err(e) = tree.checkout(&task.parent) {
                eprintln!("{label} checkout failed: {e:#}");
                fail(results, rows, task, format!("checkout: {e:#}"))?;
                continue;
            }
            if cg.is_none() {
                let options = IndexOptions {
                    index_dir: Some(self.dir.join("index")),
                    ..IndexOptions::default()
                };
                match Codegraph::open(&tree.tree, options) {
                    Ok(opened) => cg = Some(opened),
                    Err(e) => {
                        eprintln!("{label} cannot open the index: {e:#}");
                        fail(results, rows, task, format!("open: {e:#}"))?;
                        continue;
                    }
                }
            }
            let Some(cg) = cg.as_mut() else { continue };
            let report = match cg.index(&NoProgress) {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("{label} index failed: {e:#}");
                    fail(results, rows, task, format!("index: {e:#}"))?;
                    continue;
                }
            };
            let indexed_s = t.elapsed().as_secs_f64();
            let t_embed = Instant::now();
            let mut embed_note = String::new();
            if !self.options.no_embed {
                let progress = EmbedProgress {
                    last: std::sync::Mutex::new(Instant::now()),
                };
                match cg.embed_pending(&progress) {
                    Ok(Some(e)) => {
                        vectors |= e.chunks_with_vectors > 0;
                        embed_note = format!(", embedded {}", e.embedded);
                    }
                    Ok(None) => embed_note = ", no embedding model".into(),
                    Err(e) => {
                        // Hybrid falls back to lexical; the task still runs.
                        eprintln!("{label} embedding failed: {e:#}");
                        embed_note = ", embedding failed".into();
                    }
                }
            }
            let embed_s = t_embed.elapsed().as_secs_f64();
            let secs = results.seconds.entry(task.repo.clone()).or_default();
            secs[0] += indexed_s;
            secs[1] += embed_s;
            let reader = cg.reader();
            let (files_indexed, functions_indexed) = match answer_in_index(reader, task) {
                Ok(x) => x,
                Err(e) => {
                    fail(results, rows, task, format!("reading the index: {e:#}"))?;
                    continue;
                }
            };
            let cov = results.coverage.entry(task.repo.clone()).or_default();
            cov[0] += 1;
            cov[1] += task.files.len() - files_indexed;
            cov[2] += task.files.len();
            cov[3] += task.functions.len() - functions_indexed;
            cov[4] += task.functions.len();
            let mut line = format!(
                "{label} {} parsed in {:.1}s{embed_note};",
                report.run.parsed, indexed_s
            );
            let t_systems = Instant::now();
            for system in systems.iter_mut() {
                let t = Instant::now();
                let name = system.name().to_owned();
                let mut row = Row {
                    system: Some(&name),
                    files_indexed,
                    functions_indexed,
                    ..Row::new(task)
                };
                match system.rank(reader, task) {
                    Ok(ranking) => {
                        let millis = t.elapsed().as_secs_f64() * 1000.0;
                        let s = score(
                            &task.files,
                            &task.functions,
                            &ranking,
                            system.names_functions(),
                        );
                        line.push_str(&format!(
                            " {name} {}",
                            s.first_hit.map_or("-".into(), |r| r.to_string())
                        ));
                        results.add(task, &name, &s, millis);
                        write_row(rows, row_for(row, &ranking, s, millis))?;
                    }
                    Err(e) => {
                        eprintln!("{label} {name} failed: {e:#}");
                        line.push_str(&format!(" {name} error"));
                        row.error = Some(format!("{e:#}"));
                        write_row(rows, row)?;
                        results
                            .failed
                            .entry(task.repo.clone())
                            .or_default()
                            .push(format!("{} {name}: {e:#}", &task.commit[..10]));
                    }
                }
            }
            results.seconds.entry(task.repo.clone()).or_default()[2] +=
                t_systems.elapsed().as_secs_f64();
            eprintln!("{line}");
        }
        Ok(vectors)
    }
}

fn row_for<'a>(row: Row<'a>, ranking: &'a Ranking, s: Scores, millis: f64) -> Row<'a> {
    Row {
        scores: Some(s),
        top_files: ranking.files.iter().take(10).map(String::as_str).collect(),
        top_functions: ranking
            .functions
            .iter()
            .take(10)
            .map(|f| format!("{}:{}:{}", f.path, f.name, f.start_line))
            .collect(),
        note: ranking.note.as_deref(),
        millis,
        ..row
    }
}

fn write_row(rows: &mut impl Write, row: Row<'_>) -> Result<()> {
    writeln!(rows, "{}", serde_json::to_string(&row)?)?;
    rows.flush()?;
    Ok(())
}

/// How many of the task's changed files, and of its changed definitions,
/// the index has: the ceiling of every system.
fn answer_in_index(reader: &codegraph::Reader, task: &Task) -> Result<(usize, usize)> {
    let indexed: HashSet<String> = reader.files()?.into_iter().map(|f| f.path).collect();
    let files = task.files.iter().filter(|f| indexed.contains(*f)).count();
    let mut functions = 0;
    let mut by_file: BTreeMap<&str, Vec<&FuncRef>> = BTreeMap::new();
    for f in &task.functions {
        by_file.entry(f.path.as_str()).or_default().push(f);
    }
    for (path, golds) in by_file {
        if !indexed.contains(path) {
            continue;
        }
        let defs: Vec<super::score::FunctionHit> = reader
            .symbols_in_file(path)?
            .into_iter()
            .map(|d| super::score::FunctionHit {
                path: d.path,
                name: d.name,
                start_line: d.start_line,
                end_line: d.end_line,
            })
            .collect();
        functions += golds
            .iter()
            .filter(|g| defs.iter().any(|d| super::score::same_definition(g, d)))
            .count();
    }
    Ok((files, functions))
}

/// `.bench/eval-tasks-<UTC date>.jsonl`, or with the time when that exists.
fn rows_path() -> Result<PathBuf> {
    std::fs::create_dir_all(bench_dir())?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let (y, m, d) = civil_date(now / 86_400);
    let path = bench_dir().join(format!("eval-tasks-{y:04}-{m:02}-{d:02}.jsonl"));
    if !path.exists() {
        return Ok(path);
    }
    let s = now % 86_400;
    Ok(bench_dir().join(format!(
        "eval-tasks-{y:04}-{m:02}-{d:02}-{:02}{:02}{:02}.jsonl",
        s / 3600,
        s / 60 % 60,
        s % 60
    )))
}

/// The proleptic Gregorian date of a day counted from 1970-01-01.
pub fn civil_date(days: u64) -> (i64, u32, u32) {
    // Howard Hinnant's days_from_civil, inverted.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// The summary: one block per scope, a row per system.
fn render(
    results: &Results,
    systems: &[Box<dyn System>],
    o: &Options,
    vectors: bool,
    seconds: f64,
) -> String {
    let mut out = String::new();
    let ran: usize = results.coverage.values().map(|c| c[0]).sum();
    let failed: usize = results.failed.values().map(Vec::len).sum();
    out.push_str(&format!(
        "== eval-tasks: {ran} tasks run, {failed} failures, {:.0} s; hybrid {}\n",
        seconds,
        if vectors {
            "= BM25 + vectors (RRF)"
        } else if o.no_embed {
            "= lexical (--no-embed)"
        } else {
            "= lexical (no vectors)"
        }
    ));
    out.push_str(
        "Acc@k: every changed file in the top k; R@k: share of changed files in the top k; \
         fnR@10: share of changed definitions among the first 10 named (tasks with some); \
         cover, tokens: of a map's whole view; ms: median per task\n",
    );
    out.push_str(&format!(
        "{:<40} {:<10} {:>4} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6} {:>7} {:>6} {:>7} {:>7}\n",
        "scope",
        "system",
        "n",
        "Acc@1",
        "Acc@3",
        "Acc@5",
        "Acc@10",
        "R@5",
        "R@10",
        "fnR@10",
        "cover",
        "tokens",
        "ms"
    ));
    let mut scopes: Vec<&String> = Vec::new();
    for (scope, _) in results.totals.keys() {
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    // Repositories, then languages, then everything.
    scopes.sort_by_key(|s| (s.starts_with("ALL"), s.starts_with('['), s.to_string()));
    for scope in scopes {
        for system in systems {
            let Some(t) = results
                .totals
                .get(&(scope.clone(), system.name().to_owned()))
            else {
                continue;
            };
            let budgeted = system.budget().is_some();
            out.push_str(&format!(
                "{:<40} {:<10} {:>4} {:>6.3} {:>6.3} {:>6.3} {:>6.3} {:>6.3} {:>6.3} {:>7} {:>6} {:>7} {:>7.1}\n",
                scope,
                system.name(),
                t.tasks,
                t.acc(1),
                t.acc(3),
                t.acc(5),
                t.acc(10),
                t.recall(5),
                t.recall(10),
                t.fn_recall().map_or("-".into(), |r| format!("{r:.3}")),
                if budgeted { format!("{:.3}", t.coverage()) } else { "-".into() },
                if budgeted { format!("{:.0}", t.tokens()) } else { "-".into() },
                t.median_millis()
            ));
        }
        out.push('\n');
    }
    out.push_str("per repository: tasks run; changed files / definitions not in the index; seconds checking out + indexing, embedding, answering\n");
    for (repo, c) in &results.coverage {
        let s = results.seconds.get(repo).copied().unwrap_or_default();
        out.push_str(&format!(
            "  {repo:<24} {:>3} tasks; files {}/{} missing, definitions {}/{} missing; {:.0} s + {:.0} s + {:.0} s\n",
            c[0], c[1], c[2], c[3], c[4], s[0], s[1], s[2]
        ));
    }
    for (repo, why) in &results.failed {
        out.push_str(&format!("failures in {repo} ({}):\n", why.len()));
        for w in why.iter().take(10) {
            out.push_str(&format!("  {w}\n"));
        }
        if why.len() > 10 {
            out.push_str(&format!("  … and {} more\n", why.len() - 10));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories_are_selected_by_any_of_their_names() {
        assert!(selects("psf/black", "psf/black"));
        assert!(selects("psf__black", "psf/black"));
        assert!(selects("black", "psf/black"));
        assert!(selects("Black", "psf/black"));
        assert!(!selects("psf", "psf/black"));
        assert!(!selects("blac", "psf/black"));
    }

    #[test]
    fn options_parse() {
        let args = |s: &str| s.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
        let o = Options::parse(&args(
            "--repos black,fzf --mirrors /m --limit 3 --systems hybrid,bm25-files --no-embed",
        ))
        .unwrap();
        assert_eq!(o.repos, ["black", "fzf"]);
        assert_eq!((o.limit, o.no_embed), (Some(3), true));
        assert_eq!(o.systems, ["hybrid", "bm25-files"]);
        assert!(Options::parse(&args("--systems nope")).is_err());
        assert!(Options::parse(&args("--limit x")).is_err());
        assert!(Options::parse(&args("--bogus")).is_err());
    }

    #[test]
    fn a_missing_history_says_how_to_get_one() {
        let e = find_git_dir(Path::new("/nonexistent"), "psf/black")
            .err()
            .unwrap()
            .to_string();
        assert!(
            e.contains("git clone --bare https://github.com/psf/black"),
            "{e}"
        );
        assert!(e.contains("--mirrors"), "{e}");
    }

    #[test]
    fn days_become_dates() {
        assert_eq!(civil_date(0), (1970, 1, 1));
        assert_eq!(civil_date(19_782), (2024, 2, 29));
        assert_eq!(civil_date(20_000), (2024, 10, 4));
    }
}
