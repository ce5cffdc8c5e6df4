//! `query`: search the index.

use super::{all_from_cwd, open_reader};
use crate::{QueryArgs, human, output};
use anyhow::Result;
use codegraph::IndexOptions;

/// Searches the index; the notice (vectors unavailable, ...) on stderr.
pub fn query(args: QueryArgs) -> Result<()> {
    let cg = open_reader(&args.repo, IndexOptions::default())?;
    let kind = args
        .kind
        .map(|k| k.parse())
        .transpose()
        .map_err(|e| anyhow::anyhow!("--kind: {e}"))?;
    let response = cg.search(&codegraph::SearchOptions {
        query: args.text,
        k: args.k,
        mode: args.mode,
        language: args.language,
        kind,
        path_glob: args.path_glob,
        group_by_file: args.group_by.is_some(),
        focus: all_from_cwd(&args.focus),
        pagerank_weight: args.pagerank_weight,
        rrf_k: args.rrf_k,
        deadline: None,
    })?;
    if let Some(notice) = &response.notice {
        eprintln!("note: {notice}");
    }
    if args.json {
        return output::print(&output::SearchJson::from(response));
    }
    human::print_search(&response);
    Ok(())
}
