//! The tools' work, one module per family; `server.rs` keeps only their
//! names, descriptions and schemas. Each tool is a plain function of the
//! current reader, the index's completeness and the call's arguments.

pub(crate) mod code;
pub(crate) mod graph;
pub(crate) mod overview;
pub(crate) mod search;

use crate::answer::{self, Answer, budget, check_offset, cursor, text_arg};
use crate::args::*;
use crate::live::Completeness;
use crate::server::{
    CALL_DEADLINE, MAX_BUFFER_BYTES, MAX_NAME_BYTES, MAX_QUERY_BYTES, MAX_READ_LINES,
    MAX_TASK_BYTES,
};
use codegraph::{DefKind, DocKind, Provenance, Reader, Related};
use rmcp::model::CallToolResult;
use serde_json::json;
use std::time::Instant;

/// A library error as a message that says what to do.
pub(crate) fn lib_err(e: codegraph::Error) -> String {
    use codegraph::Error as E;
    match e {
        E::SymbolNotFound(name) => format!(
            "no definition matches `{name}`; try find_symbol with the bare name, or search_code with words from it"
        ),
        E::Ambiguous { name, candidates } => format!(
            "`{name}` names several definitions; call again with one of these qualified names:\n  {}",
            candidates.join("\n  ")
        ),
        E::NotIndexed(path) => format!(
            "{path}: not a file in the index; pass a path relative to the repository root as search_code or repo_map show it"
        ),
        E::OutsideRoot(path) => format!(
            "{path}: outside the repository; pass a path relative to the repository root (`..` and symbolic links may not leave it)"
        ),
        e @ E::InvalidRequest(_) => e.to_string(),
        e => format!("{e}"),
    }
}

pub(crate) fn provenance_name(p: Provenance) -> &'static str {
    p.as_str()
}

pub(crate) fn parse_def_kind(kind: Option<&str>) -> Result<Option<DefKind>, String> {
    kind.map(|k| {
        k.parse::<DefKind>().map_err(|_| {
            format!(
                "kind `{k}` is not a definition kind; use one of: {}",
                DefKind::NAMES.join(", ")
            )
        })
    })
    .transpose()
}

pub(crate) fn depth_arg(depth: Option<u32>, default: u32) -> Result<usize, String> {
    match depth {
        None => Ok(default as usize),
        Some(d) if (1..=5).contains(&d) => Ok(d as usize),
        Some(d) => Err(format!(
            "depth is {d}; pass 1 to 5 (default {default}), or leave it out"
        )),
    }
}

pub(crate) fn limit_arg(
    name: &str,
    v: Option<u32>,
    default: u32,
    max: u32,
) -> Result<usize, String> {
    match v {
        None => Ok(default as usize),
        Some(n) if (1..=max).contains(&n) => Ok(n as usize),
        Some(n) => Err(format!(
            "{name} is {n}; pass 1 to {max} (default {default}), or leave it out"
        )),
    }
}

/// One caller or callee as text.
pub(crate) fn related_text(r: &Related, site: &str) -> String {
    let kind = r.kind.map_or("file", DefKind::as_str);
    let mut t = format!(
        "{}:{} {} {} [{}, depth {}{}]",
        r.path,
        r.line,
        kind,
        r.symbol,
        provenance_name(r.provenance),
        r.depth,
        if r.call_line > 0 {
            format!(", {site} line {}", r.call_line)
        } else {
            String::new()
        }
    );
    if !r.signature.is_empty() && r.signature != r.symbol {
        t.push_str(&format!("\n    {}", first_line(&r.signature)));
    }
    t
}

pub(crate) fn related_json(r: &Related) -> serde_json::Value {
    json!({
        "symbol": r.symbol, "kind": r.kind.map_or("file", DefKind::as_str), "path": r.path,
        "line": r.line, "depth": r.depth, "provenance": provenance_name(r.provenance),
        "site_line": r.call_line, "signature": r.signature,
    })
}

pub(crate) fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

/// The item list of a paged answer, from `offset`.
pub(crate) fn page<T>(items: &[T], offset: usize) -> Result<&[T], String> {
    check_offset(offset, items.len())?;
    Ok(&items[offset.min(items.len())..])
}

pub(crate) fn filter_provenance(items: Vec<Related>, p: ProvenanceFilter) -> Vec<Related> {
    match p {
        ProvenanceFilter::Inferred => items
            .into_iter()
            .filter(|r| r.provenance == Provenance::Inferred)
            .collect(),
        _ => items,
    }
}
