//! `query`: search the index.

use super::{all_from_cwd, check_focus, open_reader, path_filter, server};
use crate::{Outcome, QueryArgs, human, output};
use anyhow::Result;
use codegraph::{IndexOptions, SearchResponse};

/// Searches the index (or asks a running server that holds it); the
/// notice (vectors unavailable, ...) on stderr. Nothing found is
/// [`Outcome::NoMatch`].
pub fn query(args: QueryArgs) -> Result<Outcome> {
    check_focus(&args.focus)?;
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
    let options = |root: &std::path::Path| -> Result<codegraph::SearchOptions> {
        Ok(codegraph::SearchOptions {
            query: args.text.clone(),
            k: args.k,
            mode,
            language: args.language.clone(),
            kind,
            path_glob: args
                .path_glob
                .as_deref()
                .map(|p| path_filter(root, p))
                .transpose()?,
            group_by_file: args.group_by.is_some(),
            focus: all_from_cwd(&args.focus),
            pagerank_weight: args.pagerank_weight,
            rrf_k: args.rrf_k,
            deadline: None,
        })
    };
    // `--json` answers locally: the API carries the lexical and vector
    // ranks of a result, not those of the other retrievers the JSON lists.
    if !args.json
        && let Some(remote) = server(&args.repo, args.no_server)?
        && let Some(response) = remote.search(&options(remote.root())?)
    {
        return emit(response, false);
    }
    let cg = open_reader(&args.repo, IndexOptions::default())?;
    let response = cg.search(&options(cg.root())?)?;
    emit(response, args.json)
}

/// Prints the results, as JSON or text.
fn emit(response: SearchResponse, json: bool) -> Result<Outcome> {
    if let Some(notice) = &response.notice {
        eprintln!("note: {notice}");
    }
    let outcome = Outcome::none_if(response.results.is_empty());
    if json {
        output::print(&output::SearchJson::from(response))?;
    } else {
        human::print_search(&response);
    }
    Ok(outcome)
}
