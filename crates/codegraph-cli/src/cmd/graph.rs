//! The code graph: definitions by name, callers and callees, imports and
//! importers, the neighbourhood of a node, the ranked map, the tree.

use super::{all_from_cwd, from_cwd, open_reader, server};
use crate::output::{self, DefinitionJson, FileLineJson, RelatedJson, RepoMapJson, SubgraphJson};
use crate::term::out;
use crate::{
    CalleesArgs, CallersArgs, FileArgs, MapArgs, NeighborsArgs, Outcome, SymbolArgs, TreeArgs,
    human,
};
use anyhow::Result;
use codegraph::{IndexOptions, Related};

/// Definitions named `name` (or with that qualified name).
pub fn symbol(args: SymbolArgs) -> Result<Outcome> {
    let cg = open_reader(&args.repo, IndexOptions::default())?;
    let defs = cg.find_symbol(&args.name)?;
    if args.json {
        let outcome = Outcome::none_if(defs.is_empty());
        output::print(&output::list::<_, DefinitionJson>(defs))?;
        return Ok(outcome);
    }
    if defs.is_empty() {
        eprintln!("no definition named `{}`", args.name);
        return Ok(Outcome::NoMatch);
    }
    human::print_definitions(&defs);
    Ok(Outcome::Done)
}

/// Who calls a symbol, to `--depth` levels (a running server that holds
/// the repository answers when there is one).
pub fn callers(args: CallersArgs) -> Result<Outcome> {
    if let Some(remote) = server(&args.repo, args.no_server)?
        && let Some(related) = remote.calls(&args.symbol, args.depth, args.resolved_only, true)
    {
        return emit_related(related, args.json);
    }
    let cg = open_reader(&args.repo, IndexOptions::default())?;
    let related = cg.callers(&args.symbol, args.depth, args.resolved_only)?;
    emit_related(related, args.json)
}

/// What a symbol calls, to `--depth` levels (as [`callers`]).
pub fn callees(args: CalleesArgs) -> Result<Outcome> {
    if let Some(remote) = server(&args.repo, args.no_server)?
        && let Some(related) = remote.calls(&args.symbol, args.depth, args.resolved_only, false)
    {
        return emit_related(related, args.json);
    }
    let cg = open_reader(&args.repo, IndexOptions::default())?;
    let related = cg.callees(&args.symbol, args.depth, args.resolved_only)?;
    emit_related(related, args.json)
}

/// Prints callers or callees, as JSON or text.
fn emit_related(related: Vec<Related>, json: bool) -> Result<Outcome> {
    let outcome = Outcome::none_if(related.is_empty());
    if json {
        output::print(&output::list::<_, RelatedJson>(related))?;
    } else {
        human::print_related(&related);
    }
    Ok(outcome)
}

/// What a file imports.
pub fn imports(args: FileArgs) -> Result<Outcome> {
    let cg = open_reader(&args.repo, IndexOptions::default())?;
    emit_files(cg.imports(&from_cwd(&args.file))?, args.json)
}

/// The files that import a file.
pub fn importers(args: FileArgs) -> Result<Outcome> {
    let cg = open_reader(&args.repo, IndexOptions::default())?;
    emit_files(cg.importers(&from_cwd(&args.file))?, args.json)
}

/// Prints `(file, line)` pairs, as JSON or text.
fn emit_files(files: Vec<(String, u32)>, json: bool) -> Result<Outcome> {
    let outcome = Outcome::none_if(files.is_empty());
    if json {
        output::print(&output::list::<_, FileLineJson>(files))?;
    } else {
        human::print_files(&files);
    }
    Ok(outcome)
}

/// The subgraph around a file (a path that exists) or a symbol.
pub fn neighbors(args: NeighborsArgs) -> Result<Outcome> {
    let cg = open_reader(&args.repo, IndexOptions::default())?;
    // A path names a file (relative to the working directory), anything
    // else a symbol.
    let target = if std::path::Path::new(&args.target).exists() {
        from_cwd(&args.target)
    } else {
        args.target
    };
    let sub = cg.neighbors(&target, args.hops, args.limit)?;
    let outcome = Outcome::none_if(sub.nodes.is_empty());
    if args.json {
        output::print(&SubgraphJson::from(sub))?;
    } else {
        human::print_subgraph(&sub);
    }
    Ok(outcome)
}

/// The ranked map of the repository within a token budget (a running
/// server that holds the repository answers when there is one).
pub fn map(args: MapArgs) -> Result<Outcome> {
    // A focus that exists on disk is a file or directory; anything else
    // names a definition.
    let (paths, symbols): (Vec<String>, Vec<String>) = args
        .focus
        .iter()
        .cloned()
        .partition(|f| std::path::Path::new(f).exists());
    let options = codegraph::MapOptions {
        budget_tokens: args.budget_tokens,
        focus: all_from_cwd(&paths),
        focus_symbols: symbols,
        ..codegraph::MapOptions::default()
    };
    let remote = server(&args.repo, args.no_server)?;
    let map = match remote.and_then(|r| r.map(&options)) {
        Some(map) => map,
        None => open_reader(&args.repo, IndexOptions::default())?.map(&options)?,
    };
    if args.json {
        return output::print(&RepoMapJson::from(map));
    }
    out!("{}", map.text);
    Ok(Outcome::Done)
}

/// The directory tree with file counts (text only).
pub fn tree(args: TreeArgs) -> Result<Outcome> {
    let cg = open_reader(&args.repo, IndexOptions::default())?;
    human::print_tree(&cg.directory_tree(args.depth)?);
    Ok(Outcome::Done)
}
