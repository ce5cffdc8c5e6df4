//! `query`: search the index.

use super::{all_from_cwd, check_focus, open_reader, path_filter};
use crate::{Outcome, QueryArgs, human, output};
use anyhow::Result;
use codegraph::IndexOptions;

/// Searches the index; the notice (vectors unavailable, ...) on stderr.
/// Nothing found is [`Outcome::NoMatch`].
pub fn query(args: QueryArgs) -> Result<Outcome> {
    check_focus(&args.focus)?;
    let cg = open_reader(&args.repo, IndexOptions::default())?;
    // Both were checked against the accepted values by clap.
    let kind = args
        .kind
        .map(|k| k.parse())
        .transpose()
        .map_err(|e| anyhow::anyhow!("--kind: {e}"))?;
    let mode = args
        .mode
        .parse()
        .map_err(|e| anyhow::anyhow!("--mode: {e}"))?;
    let path_glob = args
        .path_glob
        .map(|p| path_filter(cg.root(), &p))
        .transpose()?;
    let response = cg.search(&codegraph::SearchOptions {
        query: args.text,
        k: args.k,
        mode,
        language: args.language,
        kind,
        path_glob,
        group_by_file: args.group_by.is_some(),
        focus: all_from_cwd(&args.focus),
        pagerank_weight: args.pagerank_weight,
        rrf_k: args.rrf_k,
        deadline: None,
    })?;
    if let Some(notice) = &response.notice {
        eprintln!("note: {notice}");
    }
    let outcome = Outcome::none_if(response.results.is_empty());
    if args.json {
        output::print(&output::SearchJson::from(response))?;
    } else {
        human::print_search(&response);
    }
    Ok(outcome)
}
