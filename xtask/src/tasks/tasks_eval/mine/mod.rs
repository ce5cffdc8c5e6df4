//! `cargo xtask mine-tasks`: "commit text → files and definitions to
//! change" localisation tasks from a repository's first-parent history,
//! read with the `git` binary.
//!
//! Walking the first-parent chain newest first, a commit becomes a task when
//! its author is not a bot, no later commit reverts it, its subject is not
//! noise (chores, docs, releases, refactors: `text::noise_subject`), its
//! message says it fixes something or refers to an issue or pull request,
//! it changes 1–`max_files` non-test source files (`files::exclusion`), at
//! least one of them existed in the parent and changes in code (not only in
//! blank lines and comments), and its cleaned text (`text::clean_query`) is
//! long enough. A `Merge pull request` commit is diffed against its first
//! parent; its text is the pull request's title and the informative
//! messages of its own commits. A commit whose text names a changed file but
//! no changed definition is skipped (the answer would be in the question).
//!
//! The changed definitions are found by scanning the parent version of each
//! file (`defs.rs`) and attributing every old-side line of each code hunk of
//! `git diff -U0` to its innermost module- or class-level definition
//! (`diff.rs`).

mod defs;
mod diff;
mod files;
mod text;

use super::git::Git;
use super::task::{FuncRef, Task};
use anyhow::{Context, Result, bail};
use defs::{Def, Lang, scan_defs};
use files::{exclusion, lang_of};
use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::PathBuf;

/// The arguments of `cargo xtask mine-tasks`.
#[derive(Debug, Clone)]
pub struct Options {
    /// A git directory (bare, or a clone's `.git` or working tree).
    pub git_dir: PathBuf,
    /// `owner/name`, recorded in every task.
    pub repo: String,
    /// The main language; detected from the tree at `rev` when `None`.
    pub language: Option<String>,
    /// The revision whose first-parent history is walked.
    pub rev: String,
    /// At most this many tasks (the newest).
    pub max: usize,
    /// Only commits after this date (`git log --since`).
    pub since: Option<String>,
    /// Scan at most this many first-parent commits.
    pub limit: usize,
    /// At most this many changed non-test source files.
    pub max_files: usize,
    /// At most this many changed pre-existing definitions (0: no limit).
    pub max_functions: usize,
    /// The cleaned text must be at least this long (characters).
    pub min_query_chars: usize,
    /// Only commits whose message says it fixes something.
    pub fix_only: bool,
    /// Only commits that change at least one pre-existing definition.
    pub require_functions: bool,
    /// Ignore `Merge pull request` commits.
    pub no_merges: bool,
    /// JSON Lines output; standard output when `None`.
    pub out: Option<PathBuf>,
    /// Debug: print the definitions found in `REV:PATH` and stop.
    pub dump_defs: Option<String>,
    /// Print each rejected commit and why on standard error.
    pub verbose: bool,
}

const USAGE: &str = "mine-tasks --git-dir DIR --repo OWNER/NAME [--max N] [--out FILE] \
[--language L] [--rev REV] [--since DATE] [--limit N] [--max-files N] [--max-functions N] \
[--min-query-chars N] [--fix-only] [--require-functions] [--no-merges] [--verbose] \
[--dump-defs REV:PATH]";

impl Options {
    pub fn parse(args: &[String]) -> Result<Options> {
        let mut o = Options {
            git_dir: PathBuf::new(),
            repo: String::new(),
            language: None,
            rev: "HEAD".into(),
            max: 50,
            since: None,
            limit: 5000,
            max_files: 4,
            max_functions: 0,
            min_query_chars: 40,
            fix_only: false,
            require_functions: false,
            no_merges: false,
            out: None,
            dump_defs: None,
            verbose: false,
        };
        let mut git_dir = None;
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            let mut value = || -> Result<String> {
                it.next()
                    .cloned()
                    .with_context(|| format!("{flag} needs a value; usage: {USAGE}"))
            };
            let number = |v: String| -> Result<usize> {
                v.parse()
                    .with_context(|| format!("{flag} {v}: a whole number"))
            };
            match flag.as_str() {
                "--git-dir" => git_dir = Some(PathBuf::from(value()?)),
                "--repo" => o.repo = value()?,
                "--language" => o.language = Some(value()?),
                "--rev" => o.rev = value()?,
                "--max" => o.max = number(value()?)?,
                "--since" => o.since = Some(value()?),
                "--limit" => o.limit = number(value()?)?,
                "--max-files" => o.max_files = number(value()?)?,
                "--max-functions" => o.max_functions = number(value()?)?,
                "--min-query-chars" => o.min_query_chars = number(value()?)?,
                "--fix-only" => o.fix_only = true,
                "--require-functions" => o.require_functions = true,
                "--no-merges" => o.no_merges = true,
                "--out" => o.out = Some(PathBuf::from(value()?)),
                "--dump-defs" => o.dump_defs = Some(value()?),
                "--verbose" => o.verbose = true,
                other => bail!("mine-tasks: unknown argument `{other}`; usage: {USAGE}"),
            }
        }
        o.git_dir = git_dir.with_context(|| {
            format!(
                "mine-tasks needs --git-dir: the git directory of a clone of the repository \
                 (git histories are not in the package registries; \
                 `git clone --bare https://github.com/OWNER/NAME DIR`). Usage: {USAGE}"
            )
        })?;
        if o.repo.split('/').filter(|p| !p.is_empty()).count() != 2 {
            bail!("mine-tasks needs --repo OWNER/NAME (got `{}`)", o.repo);
        }
        Ok(o)
    }
}

/// Runs `cargo xtask mine-tasks`.
pub fn mine_tasks(o: &Options) -> Result<()> {
    if !o.git_dir.exists() {
        bail!(
            "{}: no such directory. Git histories are not in the package registries: clone \
             the repository and pass its git directory, e.g.\n  \
             git clone --bare https://github.com/{} {}",
            o.git_dir.display(),
            o.repo,
            o.git_dir.display()
        );
    }
    let git = Git::open(&o.git_dir, &o.repo)?;
    if let Some(spec) = &o.dump_defs {
        return dump_defs(&git, spec);
    }
    let head = git.rev_parse(&o.rev)?;
    let language = match &o.language {
        Some(l) => l.clone(),
        None => files::main_language(git.run(&["ls-tree", "-r", "--name-only", &head])?.lines()),
    };
    let log = read_log(&git, o, &head)?;
    let miner = Miner {
        git: &git,
        options: o,
        language: &language,
        reverted: reverted_commits(&log),
    };
    let mut reasons: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut seen_subjects: HashSet<String> = HashSet::new();
    let mut tasks: Vec<Task> = Vec::new();
    let mut scanned = 0usize;
    for c in &log {
        if tasks.len() >= o.max {
            break;
        }
        scanned += 1;
        match miner.evaluate(c, &mut seen_subjects) {
            Ok(t) => tasks.push(t),
            Err(reason) => {
                *reasons.entry(reason).or_default() += 1;
                if o.verbose {
                    let subject = c.message.lines().next().unwrap_or("");
                    eprintln!("skip {} [{reason}] {subject}", &c.hash[..10]);
                }
            }
        }
    }
    let mut w: Box<dyn Write> = match &o.out {
        Some(p) => {
            if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)?;
            }
            Box::new(std::io::BufWriter::new(
                std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?,
            ))
        }
        None => Box::new(std::io::BufWriter::new(std::io::stdout())),
    };
    for t in &tasks {
        writeln!(w, "{}", serde_json::to_string(t)?)?;
    }
    w.flush()?;
    eprintln!(
        "repo={} head={head} language={language} scanned={scanned} tasks={} oldest_task={}",
        o.repo,
        tasks.len(),
        tasks.last().map_or("-", |t| t.date.as_str())
    );
    eprintln!("rejected: {reasons:?}");
    Ok(())
}

fn dump_defs(git: &Git, spec: &str) -> Result<()> {
    let (rev, path) = spec.split_once(':').context("--dump-defs REV:PATH")?;
    let src = git.show(rev, path).context("no such file")?;
    let lang = lang_of(path).context("no scanner for this extension")?;
    for d in scan_defs(lang, &src) {
        let note = if d.test_region {
            "  [test]"
        } else if d.addressable {
            ""
        } else {
            "  [nested]"
        };
        println!(
            "{:>5}-{:<5} {:<9} {}{note}",
            d.start, d.end, d.kind, d.qualname
        );
    }
    Ok(())
}

/// A first-parent commit as `git log` gives it.
#[derive(Debug)]
struct RawCommit {
    hash: String,
    parents: Vec<String>,
    author: String,
    email: String,
    date: String,
    message: String,
}

fn read_log(git: &Git, o: &Options, head: &str) -> Result<Vec<RawCommit>> {
    let mut args: Vec<String> = vec![
        "log".into(),
        "--first-parent".into(),
        "--format=%H%x1f%P%x1f%an%x1f%ae%x1f%cI%x1f%B%x1e".into(),
        format!("-n{}", o.limit),
    ];
    if let Some(s) = &o.since {
        args.push(format!("--since={s}"));
    }
    args.push(head.to_owned());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    Ok(parse_log(&git.run(&args)?))
}

fn parse_log(out: &str) -> Vec<RawCommit> {
    out.split('\x1e')
        .map(|rec| rec.trim_start_matches('\n'))
        .filter(|rec| !rec.trim().is_empty())
        .filter_map(|rec| {
            let f: Vec<&str> = rec.splitn(6, '\x1f').collect();
            (f.len() == 6).then(|| RawCommit {
                hash: f[0].to_owned(),
                parents: f[1].split_whitespace().map(str::to_owned).collect(),
                author: f[2].to_owned(),
                email: f[3].to_owned(),
                date: f[4].to_owned(),
                message: f[5].trim_end().to_owned(),
            })
        })
        .collect()
}

/// Hash prefixes of commits a commit of the log reverts: their changes did
/// not stay, so they are no answer.
fn reverted_commits(log: &[RawCommit]) -> Vec<String> {
    let mut out = Vec::new();
    for c in log {
        for l in c.message.lines() {
            if let Some(rest) = l.trim().strip_prefix("This reverts commit ") {
                let h: String = rest.chars().take_while(char::is_ascii_hexdigit).collect();
                if h.len() >= 7 {
                    out.push(h);
                }
            }
        }
    }
    out
}

fn is_bot(who: &str) -> bool {
    let s = who.to_ascii_lowercase();
    [
        "[bot]",
        "dependabot",
        "renovate",
        "pre-commit-ci",
        "github-actions",
    ]
    .iter()
    .any(|b| s.contains(b))
}

/// The changed files of a commit, sorted by role.
#[derive(Debug, Default)]
struct ChangedFiles {
    /// Pre-existing non-test source files (parent paths).
    existing: Vec<String>,
    /// Non-test source files the commit creates.
    added: Vec<String>,
    /// Paths to diff: both sides of each source file.
    diff_paths: Vec<String>,
    /// Non-test source files touched at all.
    sources: usize,
}

/// Why a commit is no task.
type Reject = &'static str;

struct Miner<'a> {
    git: &'a Git,
    options: &'a Options,
    language: &'a str,
    reverted: Vec<String>,
}

impl Miner<'_> {
    fn evaluate(&self, c: &RawCommit, seen_subjects: &mut HashSet<String>) -> Result<Task, Reject> {
        let o = self.options;
        if is_bot(&c.author) || is_bot(&c.email) {
            return Err("bot-author");
        }
        if self.reverted.iter().any(|h| c.hash.starts_with(h.as_str())) {
            return Err("reverted-later");
        }
        let parent = c.parents.first().cloned().ok_or("root-commit")?;
        let is_merge = c.parents.len() > 1;
        let message = self.message(c)?;
        let title = message.lines().next().unwrap_or("").trim().to_owned();
        if let Some(r) = text::noise_subject(&title) {
            return Err(r);
        }
        let refs = text::issue_refs(&c.message);
        let is_fix = text::indicates_fix(&message);
        if !is_fix && refs.is_empty() {
            return Err("no-fix-no-ref");
        }
        if o.fix_only && !is_fix {
            return Err("not-fix");
        }

        let changed = self.changed_files(&parent, &c.hash)?;
        if changed.sources == 0 {
            return Err("no-source-files");
        }
        if changed.sources > o.max_files {
            return Err("too-many-source-files");
        }
        if changed.existing.is_empty() {
            return Err("only-new-files");
        }

        let query = text::clean_query(&message);
        if query.chars().count() < o.min_query_chars || query.split_whitespace().count() < 5 {
            return Err("query-too-short");
        }
        let norm = text::normalise_subject(&title);
        if !norm.is_empty() && seen_subjects.contains(&norm) {
            return Err("duplicate-subject");
        }

        let mut args = vec![
            "diff",
            "-U0",
            "--no-color",
            "--no-ext-diff",
            "-M",
            &parent,
            &c.hash,
            "--",
        ];
        args.extend(changed.diff_paths.iter().map(String::as_str));
        let mut diffs: Vec<(diff::FileDiff, Versions)> =
            diff::parse_diff(&self.git.run(&args).map_err(|_| "git-error")?)
                .into_iter()
                .map(|mut fd| {
                    let v = self.versions(&fd, &parent, &c.hash, &changed.existing);
                    v.ignore_docstrings(&mut fd);
                    (fd, v)
                })
                .collect();
        if !diffs.iter().any(|(f, _)| f.substantive().next().is_some()) {
            return Err("comment-or-blank-only-change");
        }
        // Files changed only in comments and docstrings are no part of the
        // answer.
        let comment_only: Vec<String> = diffs
            .iter()
            .filter(|(f, _)| f.comment_only())
            .filter_map(|(f, _)| f.old_path.clone())
            .filter(|p| changed.existing.contains(p))
            .collect();
        let files: Vec<String> = changed
            .existing
            .iter()
            .filter(|p| !comment_only.contains(p))
            .cloned()
            .collect();
        if files.is_empty() {
            return Err("existing-files-change-only-in-comments");
        }
        diffs.retain(|(f, _)| {
            f.old_path
                .as_ref()
                .is_none_or(|p| !comment_only.contains(p))
        });
        let (functions, added_functions) = definitions(&diffs, &files);
        if o.require_functions && functions.is_empty() {
            return Err("no-changed-functions");
        }
        if o.max_functions > 0 && functions.len() > o.max_functions {
            return Err("too-many-functions");
        }

        // Leakage: the answer named in the question.
        let mentions_path = files
            .iter()
            .chain(&changed.added)
            .any(|p| text::mentions_path(&query, p));
        let mentions_function = functions
            .iter()
            .chain(&added_functions)
            .any(|f| text::mentions_ident(&query, &f.name));
        if mentions_path && !mentions_function {
            return Err("query-names-path-only");
        }

        if !norm.is_empty() {
            seen_subjects.insert(norm);
        }
        Ok(Task {
            repo: o.repo.clone(),
            commit: c.hash.clone(),
            parent,
            query,
            files,
            functions,
            mentions_path,
            language: self.language.to_owned(),
            subject: title,
            date: c.date.clone(),
            kind: if is_fix { "fix" } else { "change" }.into(),
            refs,
            is_merge,
            added_files: changed.added,
            added_functions,
            mentions_function,
            comment_only_files: comment_only,
            function_method: "regex-scan-parent".into(),
        })
    }

    /// The text a task's query is made of: the commit message, or for a
    /// pull request merge the title (the merge's body) and the informative
    /// messages of the pull request's own commits.
    fn message(&self, c: &RawCommit) -> Result<String, Reject> {
        if c.parents.len() < 2 {
            return Ok(c.message.clone());
        }
        if self.options.no_merges {
            return Err("merge");
        }
        let subject = c.message.lines().next().unwrap_or("").trim();
        if !text::is_pr_merge_subject(subject) {
            return Err("merge-not-pr");
        }
        let mut m = c
            .message
            .lines()
            .skip(1)
            .collect::<Vec<_>>()
            .join("\n")
            .trim()
            .to_owned();
        if m.is_empty() {
            return Err("merge-without-title");
        }
        let range = format!("{}..{}", c.parents[0], c.parents[1]);
        let msgs = self
            .git
            .run(&[
                "log",
                "--no-merges",
                "--reverse",
                "-n20",
                "--format=%B%x1e",
                &range,
            ])
            .map_err(|_| "git-error")?;
        for part in msgs.split('\x1e').map(str::trim) {
            if !part.is_empty() && text::informative_branch_commit(part) {
                m.push_str("\n\n");
                m.push_str(part);
            }
        }
        Ok(m)
    }

    fn changed_files(&self, parent: &str, commit: &str) -> Result<ChangedFiles, Reject> {
        let ns = self
            .git
            .run(&[
                "diff-tree",
                "-r",
                "--no-commit-id",
                "--name-status",
                "-M",
                parent,
                commit,
            ])
            .map_err(|_| "git-error")?;
        Ok(sort_changes(&ns))
    }

    /// The parent and commit versions of a diffed source file: the parent's
    /// when it is one of the pre-existing files, the commit's when it is a
    /// source file.
    fn versions(
        &self,
        fd: &diff::FileDiff,
        parent: &str,
        commit: &str,
        existing: &[String],
    ) -> Versions {
        let old = fd
            .old_path
            .as_deref()
            .filter(|p| existing.iter().any(|f| f == p))
            .and_then(|p| Some((lang_of(p)?, self.git.show(parent, p)?)));
        let new = fd
            .new_path
            .as_deref()
            .filter(|p| exclusion(p).is_none())
            .and_then(|p| Some((lang_of(p)?, self.git.show(commit, p)?)));
        Versions { old, new }
    }
}

/// The two versions of a changed file, with their scanner.
#[derive(Debug)]
struct Versions {
    old: Option<(Lang, String)>,
    new: Option<(Lang, String)>,
}

impl Versions {
    /// Changed lines inside Python docstrings are no code.
    fn ignore_docstrings(&self, fd: &mut diff::FileDiff) {
        let mask = |v: &Option<(Lang, String)>| match v {
            Some((Lang::Python, src)) => defs::python_docstring_lines(src),
            _ => Vec::new(),
        };
        let (old, new) = (mask(&self.old), mask(&self.new));
        if old.is_empty() && new.is_empty() {
            return;
        }
        let at = |m: &[bool], line: usize| line >= 1 && m.get(line - 1).copied().unwrap_or(false);
        fd.ignore_lines(|l| at(&old, l), |l| at(&new, l));
    }
}

/// The parent's definitions the code hunks touch (in the pre-existing
/// `files`), and the definitions that only the commit has.
fn definitions(
    diffs: &[(diff::FileDiff, Versions)],
    files: &[String],
) -> (Vec<FuncRef>, Vec<FuncRef>) {
    let mut functions: Vec<FuncRef> = Vec::new();
    let mut added: Vec<FuncRef> = Vec::new();
    let push = |list: &mut Vec<FuncRef>, r: FuncRef| {
        if !list
            .iter()
            .any(|x| x.path == r.path && x.qualname == r.qualname)
        {
            list.push(r);
        }
    };
    for (fd, v) in diffs {
        let mut parent_quals: HashSet<String> = HashSet::new();
        if let Some(old) = fd
            .old_path
            .as_deref()
            .filter(|p| files.iter().any(|f| f == p))
            && let Some((lang, src)) = &v.old
        {
            let defs = scan_defs(*lang, src);
            parent_quals = defs.iter().map(|d| d.qualname.clone()).collect();
            let ranges: Vec<(usize, usize)> = fd.substantive().map(|h| h.old).collect();
            for i in diff::touched_defs(&defs, &ranges) {
                push(&mut functions, func_ref(old, &defs[i]));
            }
        }
        if let Some(new) = fd.new_path.as_deref()
            && let Some((lang, src)) = &v.new
        {
            let defs = scan_defs(*lang, src);
            let ranges: Vec<(usize, usize)> = fd.substantive().map(|h| h.new).collect();
            for i in diff::touched_defs(&defs, &ranges) {
                if !parent_quals.contains(&defs[i].qualname) {
                    push(&mut added, func_ref(new, &defs[i]));
                }
            }
        }
    }
    (functions, added)
}

/// `git diff-tree --name-status -M` output sorted into pre-existing and
/// added non-test source files.
fn sort_changes(name_status: &str) -> ChangedFiles {
    let mut out = ChangedFiles::default();
    for l in name_status.lines() {
        let f: Vec<&str> = l.split('\t').collect();
        if f.len() < 2 {
            continue;
        }
        let status = f[0];
        let renamed = status.starts_with('R') || status.starts_with('C');
        let (old, new) = if renamed {
            (f[1], *f.get(2).unwrap_or(&f[1]))
        } else {
            (f[1], f[1])
        };
        let src_old = exclusion(old).is_none();
        let src_new = exclusion(new).is_none();
        if !(src_old || src_new) {
            continue;
        }
        out.sources += 1;
        if status.starts_with('A') || status.starts_with('C') || !src_old {
            // New, copied, or renamed from a file that was no source file.
            if src_new {
                out.added.push(new.to_owned());
                out.diff_paths.push(new.to_owned());
            }
        } else {
            out.existing.push(old.to_owned());
            out.diff_paths.push(old.to_owned());
            if new != old {
                out.diff_paths.push(new.to_owned());
            }
        }
    }
    out
}

fn func_ref(path: &str, d: &Def) -> FuncRef {
    FuncRef {
        path: path.to_owned(),
        name: d.name.clone(),
        qualname: d.qualname.clone(),
        kind: d.kind.to_owned(),
        start_line: d.start,
        end_line: d.end,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_parse_and_say_what_is_missing() {
        let args = |s: &str| s.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
        let o = Options::parse(&args("--git-dir /x --repo a/b --max 5 --out t.jsonl")).unwrap();
        assert_eq!((o.max, o.repo.as_str()), (5, "a/b"));
        let e = Options::parse(&args("--repo a/b")).unwrap_err().to_string();
        assert!(e.contains("git clone --bare"), "{e}");
        assert!(Options::parse(&args("--git-dir /x --repo ab")).is_err());
        assert!(Options::parse(&args("--git-dir /x --repo a/b --max")).is_err());
        assert!(Options::parse(&args("--git-dir /x --repo a/b --bogus")).is_err());
    }

    #[test]
    fn changes_sort_into_existing_and_added_sources() {
        let ns = "M\tsrc/a.py\nA\tsrc/new.py\nM\ttests/test_a.py\nM\tREADME.md\n\
                  R090\tsrc/old.py\tsrc/moved.py\nR100\tdocs/x.py\tsrc/y.py\n";
        let c = sort_changes(ns);
        assert_eq!(c.existing, ["src/a.py", "src/old.py"]);
        assert_eq!(c.added, ["src/new.py", "src/y.py"]);
        assert_eq!(c.sources, 4);
        assert_eq!(
            c.diff_paths,
            [
                "src/a.py",
                "src/new.py",
                "src/old.py",
                "src/moved.py",
                "src/y.py"
            ]
        );
    }

    #[test]
    fn log_records_split_on_separators() {
        let out = "abc\x1fp1 p2\x1fA\x1fa@x\x1f2024-01-01T00:00:00Z\x1fFix x\n\nbody\n\x1e\n\
                   def\x1fp3\x1fbot[bot]\x1fb@x\x1f2023-01-01T00:00:00Z\x1fThis reverts commit 0123456789.\x1e";
        let log = parse_log(out);
        assert_eq!(log.len(), 2);
        assert_eq!(log[0].parents, ["p1", "p2"]);
        assert_eq!(log[0].message, "Fix x\n\nbody");
        assert!(is_bot(&log[1].author));
        assert_eq!(reverted_commits(&log), ["0123456789"]);
    }
}
