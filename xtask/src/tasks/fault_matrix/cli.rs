//! The CLI side of a case: reads on the damaged index (`status`, `query`,
//! `symbol`, `callers`), then `codegraph index`, then the reads again.

use super::{Answers, Side, Verdict, copy_index};
use anyhow::{Context, Result};
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The fixed reads whose answers must equal a fresh index's.
pub const READS: &[(&str, &[&str])] = &[
    (
        "query-lexical",
        &[
            "query",
            "normalised name user",
            "--mode",
            "lexical",
            "--json",
        ],
    ),
    (
        "query-hybrid",
        &["query", "add a user to the repository", "--json"],
    ),
    ("symbol", &["symbol", "save", "--json"]),
    ("callers", &["callers", "save", "--json"]),
];

/// What one command did.
#[derive(Debug, Clone)]
pub struct Ran {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    /// Its answer: exit status and stdout with timings left out.
    pub fn answer(&self) -> String {
        format!("exit {:?}\n{}", self.code, normalise(&self.stdout))
    }

    /// The first line of stderr that warns or fails.
    pub fn complaint(&self) -> Option<&str> {
        self.stderr
            .lines()
            .find(|l| l.contains("WARN") || l.contains("ERROR") || l.starts_with("error"))
    }
}

/// Runs `codegraph ARGS REPO --index-dir DIR` (at most 120 s).
pub fn codegraph(bin: &Path, args: &[&str], repo: &Path, index: &Path) -> Result<Ran> {
    let mut child = Command::new(bin)
        .args(args)
        .arg(repo)
        .arg("--index-dir")
        .arg(index)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {}", bin.display()))?;
    let mut out = child.stdout.take().context("stdout")?;
    let mut err = child.stderr.take().context("stderr")?;
    let out_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let mut stderr = err_reader.join().unwrap_or_default();
    if status.is_none() {
        stderr.push_str("\nERROR: killed after 120 s");
    }
    Ok(Ran {
        code: status.and_then(|s| s.code()),
        stdout: out_reader.join().unwrap_or_default(),
        stderr,
    })
}

/// JSON output without the keys that time things; other output as is.
fn normalise(stdout: &str) -> String {
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(map) => {
                map.retain(|k, _| {
                    !(k.starts_with("took")
                        || k.starts_with("elapsed")
                        || k.ends_with("_ms")
                        || k.ends_with("_us")
                        || k == "stages")
                });
                map.values_mut().for_each(strip);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    match serde_json::from_str::<serde_json::Value>(stdout) {
        Ok(mut v) => {
            strip(&mut v);
            serde_json::to_string_pretty(&v).unwrap_or_default()
        }
        Err(_) => stdout.to_owned(),
    }
}

/// The answers of the fixed reads on the index in `index`.
pub fn answers(bin: &Path, repo: &Path, index: &Path) -> Result<(Answers, Vec<Ran>)> {
    let mut answers = Answers::default();
    let mut runs = Vec::new();
    for (name, args) in READS {
        let ran = codegraph(bin, args, repo, index)?;
        answers.0.push(((*name).to_owned(), ran.answer()));
        runs.push(ran);
    }
    Ok((answers, runs))
}

/// Problems `status --json` lists (or why it failed).
fn status_problems(bin: &Path, repo: &Path, index: &Path) -> Result<(Ran, Vec<String>)> {
    let ran = codegraph(bin, &["status", "--json"], repo, index)?;
    let problems = match serde_json::from_str::<serde_json::Value>(&ran.stdout) {
        Ok(v) => v["problems"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|p| p.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
        Err(_) => vec![format!(
            "status failed: {}",
            ran.complaint().unwrap_or(ran.stderr.trim())
        )],
    };
    Ok((ran, problems))
}

/// One case against the CLI: copy the pristine index, damage it, read,
/// `codegraph index`, read again.
pub fn case(
    bin: &Path,
    repo: &Path,
    pristine: &Path,
    work: &Path,
    damage: &dyn Fn(&Path) -> Result<()>,
    fresh: &Answers,
) -> Result<Side> {
    copy_index(pristine, work)?;
    damage(work)?;
    let (status, problems) = status_problems(bin, repo, work)?;
    let (before, runs) = answers(bin, repo, work)?;
    // Each read: the fresh answer, or an error / warning / notice that
    // says something is wrong; a different answer without a word is silent.
    let mut silent = Vec::new();
    let mut notes: Vec<String> = problems.iter().map(|p| format!("status: {p}")).collect();
    notes.extend(status.complaint().map(|c| format!("status: {c}")));
    for ((name, answer), ran) in before.0.iter().zip(&runs) {
        if fresh.get(name) == Some(answer.as_str()) {
            continue;
        }
        let said = ran.complaint().map(str::to_owned).or_else(|| {
            ran.stdout
                .contains("codegraph index")
                .then(|| "a notice names `codegraph index`".to_owned())
        });
        match said {
            Some(c) => notes.push(format!("{name}: {c}")),
            None => silent.push((*name).clone()),
        }
    }
    let index = codegraph(bin, &["index"], repo, work)?;
    notes.extend(index.complaint().map(|c| format!("index: {c}")));
    let (after, _) = answers(bin, repo, work)?;
    let (_, problems_after) = status_problems(bin, repo, work)?;
    let changed_before = before != *fresh;
    Ok(Side {
        verdict: Verdict::of(changed_before, &silent, !notes.is_empty()),
        healed: index.code == Some(0) && problems_after.is_empty(),
        identical: after == *fresh,
        differs: after.differences(fresh),
        note: notes
            .into_iter()
            .chain(problems_after.iter().map(|p| format!("after: {p}")))
            .chain((index.code != Some(0)).then(|| format!("index exit {:?}", index.code)))
            .collect::<Vec<_>>()
            .join(" | "),
    })
}
