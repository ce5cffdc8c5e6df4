//! The request mix, drawn from the index itself: searches, completion
//! cursors inside methods, callers targets.

use super::rpc::{callers_request, with_deadline, zero_based_utf16};
use crate::measure::Rng;
use anyhow::{Context, Result, bail};
use codegraph_server::pb;
use pb::graph_service_client::GraphServiceClient;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::time::{Duration, Instant};
use tonic::transport::Channel;

/// `parseUnsignedInt` → `parse`, `unsigned`, `int`; `URLDecoder` → `url`,
/// `decoder`.
fn words(ident: &str) -> Vec<String> {
    let chars: Vec<char> = ident.chars().collect();
    let mut out = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        let prev = i.checked_sub(1).map(|j| chars[j]);
        let next = chars.get(i + 1);
        let boundary = c.is_uppercase()
            && prev.is_some_and(|p| {
                p.is_lowercase()
                    || p.is_ascii_digit()
                    || (p.is_uppercase() && next.is_some_and(|n| n.is_lowercase()))
            });
        if boundary && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out.retain(|w| w.len() > 1);
    out
}

/// A completion cursor: a line inside a method (0-based), the column at
/// the end of its text (UTF-16).
#[derive(Debug, Clone)]
pub struct Cursor {
    pub path: String,
    pub line: u32,
    pub column: u32,
}

/// What the load clients send, drawn from the index.
#[derive(Debug)]
pub struct Mix {
    pub repo: String,
    pub mode: i32,
    pub queries: Vec<String>,
    pub cursors: Vec<Cursor>,
    pub callers: Vec<String>,
}

struct Method {
    path: String,
    name: String,
    qualified: String,
    start: u32,
    end: u32,
}

/// Builds the mix from `ListFileSymbols` on a sample of 300 files, then
/// keeps the callers targets `ListCallers` accepts.
pub async fn build_mix(
    channel: &Channel,
    repo: &str,
    root: &Path,
    files: &[String],
    mode: i32,
) -> Result<Mix> {
    let mut graph = GraphServiceClient::new(channel.clone());
    let mut rng = Rng(0x5E7E_B0A7_2024_0001);
    let symbols = sample_symbols(&mut graph, repo, files, &mut rng).await?;
    let queries = pick_queries(&symbols, &mut rng);
    let cursors = pick_cursors(&symbols.methods, root, &mut rng)?;
    let targets = callers_targets(&mut graph, repo, &symbols.methods, &mut rng).await?;
    println!(
        "mix: {} files sampled, {} methods, {} types -> {} queries, {} cursors, {} callers targets ({} with callers; left out: {:?})",
        symbols.files,
        symbols.methods.len(),
        symbols.types.len(),
        queries.len(),
        cursors.len(),
        targets.names.len(),
        targets.with_callers,
        targets.refused
    );
    Ok(Mix {
        repo: repo.to_owned(),
        mode,
        queries,
        cursors,
        callers: targets.names,
    })
}

/// The methods and type names of a sample of files.
struct Symbols {
    /// How many files were sampled.
    files: usize,
    methods: Vec<Method>,
    types: Vec<String>,
}

async fn sample_symbols(
    graph: &mut GraphServiceClient<Channel>,
    repo: &str,
    files: &[String],
    rng: &mut Rng,
) -> Result<Symbols> {
    let mut sample = BTreeSet::new();
    while sample.len() < 300.min(files.len()) {
        sample.insert(files[(rng.next() % files.len() as u64) as usize].clone());
    }
    let mut methods = Vec::new();
    let mut types = Vec::new();
    for path in &sample {
        let r = graph
            .list_file_symbols(with_deadline(
                pb::ListFileSymbolsRequest {
                    repository: repo.to_owned(),
                    path: path.clone(),
                    limit: 0,
                    position_encoding: zero_based_utf16(),
                },
                Duration::from_secs(30),
            ))
            .await
            .with_context(|| format!("ListFileSymbols {path}"))?
            .into_inner();
        for s in r.symbols {
            let Some(lines) = s.lines else { continue };
            match s.kind.as_str() {
                "method" | "constructor" => methods.push(Method {
                    path: s.path,
                    name: s.name,
                    qualified: s.qualified_name,
                    start: lines.start_line,
                    end: lines.end_line,
                }),
                "class" | "interface" | "enum" | "record" => types.push(s.name),
                _ => {}
            }
        }
    }
    if methods.is_empty() {
        bail!("ListFileSymbols found no method in {} files", sample.len());
    }
    Ok(Symbols {
        files: sample.len(),
        methods,
        types,
    })
}

/// Searches: identifiers (method and type names) and 2-3 word phrases made
/// of their words.
fn pick_queries(symbols: &Symbols, rng: &mut Rng) -> Vec<String> {
    let Symbols { methods, types, .. } = symbols;
    let mut queries = Vec::new();
    let mut seen = BTreeSet::new();
    let mut attempts = 0;
    while queries.len() < 400 && attempts < 10_000 {
        attempts += 1;
        let m = &methods[(rng.next() % methods.len() as u64) as usize];
        let q = match attempts % 4 {
            0 => m.name.clone(),
            1 if !types.is_empty() => types[(rng.next() % types.len() as u64) as usize].clone(),
            _ => {
                let mut w = words(&m.name);
                if w.len() < 2 && !types.is_empty() {
                    let t = &types[(rng.next() % types.len() as u64) as usize];
                    w.extend(words(t).into_iter().take(2));
                }
                if w.len() < 2 {
                    continue;
                }
                let take = 2 + (rng.next() % 2) as usize;
                w.into_iter().take(take).collect::<Vec<_>>().join(" ")
            }
        };
        if seen.insert(q.clone()) {
            queries.push(q);
        }
    }
    queries
}

/// Cursors: a line inside a method, at the end of its text.
fn pick_cursors(methods: &[Method], root: &Path, rng: &mut Rng) -> Result<Vec<Cursor>> {
    let mut texts: HashMap<String, Vec<String>> = HashMap::new();
    let mut cursors = Vec::new();
    let long: Vec<&Method> = methods.iter().filter(|m| m.end > m.start + 1).collect();
    for _ in 0..600 {
        if long.is_empty() {
            break;
        }
        let m = long[(rng.next() % long.len() as u64) as usize];
        if !texts.contains_key(&m.path) {
            let text = std::fs::read_to_string(root.join(&m.path)).unwrap_or_default();
            texts.insert(
                m.path.clone(),
                text.split('\n').map(str::to_owned).collect(),
            );
        }
        let lines = &texts[&m.path];
        let line = m.start + 1 + (rng.next() % u64::from(m.end - m.start)) as u32;
        let Some(text) = lines.get(line as usize) else {
            continue;
        };
        cursors.push(Cursor {
            path: m.path.clone(),
            line,
            column: text.trim_end().encode_utf16().count() as u32,
        });
    }
    if cursors.is_empty() {
        bail!("no method spans more than two lines in the sample");
    }
    Ok(cursors)
}

/// The callers targets `ListCallers` accepted, how many have callers, and
/// the refusals by code.
struct Targets {
    names: Vec<String>,
    with_callers: usize,
    refused: BTreeMap<String, u64>,
}

/// Callers: qualified method names the server resolves (overloads share a
/// name; a name defined in two places is ambiguous and left out).
async fn callers_targets(
    graph: &mut GraphServiceClient<Channel>,
    repo: &str,
    methods: &[Method],
    rng: &mut Rng,
) -> Result<Targets> {
    let mut names: Vec<String> = methods
        .iter()
        .map(|m| m.qualified.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut shuffled = Vec::new();
    while !names.is_empty() && shuffled.len() < 250 {
        let i = (rng.next() % names.len() as u64) as usize;
        shuffled.push(names.swap_remove(i));
    }
    let mut callers = Vec::new();
    let (mut with_callers, mut refused) = (0, BTreeMap::<String, u64>::new());
    let started = Instant::now();
    for name in shuffled {
        match graph
            .list_callers(with_deadline(
                callers_request(repo, &name),
                Duration::from_secs(60),
            ))
            .await
        {
            Ok(r) => {
                if !r.into_inner().callers.is_empty() {
                    with_callers += 1;
                }
                callers.push(name);
            }
            Err(e) => *refused.entry(format!("{:?}", e.code())).or_default() += 1,
        }
    }
    eprintln!(
        "callers targets checked in {:.1} s (the first loads the graph)",
        started.elapsed().as_secs_f64()
    );
    if callers.is_empty() {
        bail!("no method name was accepted by ListCallers ({refused:?})");
    }
    Ok(Targets {
        names: callers,
        with_callers,
        refused,
    })
}
