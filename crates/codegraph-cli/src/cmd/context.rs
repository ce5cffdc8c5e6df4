//! `context`: completion context at a cursor.

use super::{all_from_cwd, from_cwd, open_reader, server};
use crate::{ContextArgs, Outcome, human, output};
use anyhow::{Context, Result};
use codegraph::IndexOptions;

/// Completion context at a 1-based `--line` and `--column`.
pub fn context(args: ContextArgs) -> Result<Outcome> {
    if args.line == 0 || args.column == 0 {
        anyhow::bail!("--line and --column are 1-based");
    }
    let buffer = match &args.buffer_file {
        Some(b) => Some(
            std::fs::read_to_string(b)
                .with_context(|| format!("reading the buffer {}", b.display()))?,
        ),
        None => None,
    };
    let request = codegraph::ContextRequest {
        path: from_cwd(&args.file),
        line: args.line - 1,
        column: args.column - 1,
        encoding: args.column_encoding,
        buffer,
        budget_tokens: args.budget_tokens,
        k: args.k,
        max_files: args.max_files,
        max_candidates: args.max_candidates,
        window_lines: args.window_lines,
        suffix_lines: args.suffix_lines,
        continuation: args.continuation,
        similarity: args.similarity,
        recent_files: all_from_cwd(&args.recent),
        deadline: None,
    };
    // A running server that holds the repository answers when there is one.
    let remote = server(&args.repo, args.no_server)?;
    let response = match remote.and_then(|r| r.context(&request)) {
        Some(response) => response,
        None => open_reader(&args.repo, IndexOptions::default())?.context(&request)?,
    };
    if args.json {
        return output::print(&output::ContextJson::from(response));
    }
    human::print_context(&response);
    Ok(Outcome::Done)
}
