//! The code graph: definitions by name, callers and callees, imports and
//! importers, the neighbourhood of a node, the ranked map, the tree.

use super::{all_from_cwd, from_cwd, open_reader};
use crate::output::{self, DefinitionJson, FileLineJson, RelatedJson, RepoMapJson, SubgraphJson};
use crate::{
    CalleesArgs, CallersArgs, FileArgs, MapArgs, NeighborsArgs, SymbolArgs, TreeArgs, human,
};
use anyhow::Result;
use codegraph::{IndexOptions, Related};

/// Definitions named `name` (or with that qualified name).
pub fn symbol(args: SymbolArgs) -> Result<()> {
    let cg = open_reader(&args.repo, IndexOptions::default())?;
    let defs = cg.find_symbol(&args.name)?;
    if args.json {
        return output::print(&output::list::<_, DefinitionJson>(defs));
    }
    if defs.is_empty() {
        anyhow::bail!("no definition named `{}`", args.name);
    }
    human::print_definitions(&defs);
    Ok(())
}

/// Who calls a symbol, to `--depth` levels.
pub fn callers(args: CallersArgs) -> Result<()> {
    let cg = open_reader(&args.repo, IndexOptions::default())?;
    let related = cg.callers(&args.symbol, args.depth, args.resolved_only)?;
    emit_related(related, args.json)
}

/// What a symbol calls, to `--depth` levels.
pub fn callees(args: CalleesArgs) -> Result<()> {
    let cg = open_reader(&args.repo, IndexOptions::default())?;
    let related = cg.callees(&args.symbol, args.depth, args.resolved_only)?;
    emit_related(related, args.json)
}

/// Prints callers or callees, as JSON or text.
fn emit_related(related: Vec<Related>, json: bool) -> Result<()> {
    if json {
        return output::print(&output::list::<_, RelatedJson>(related));
    }
    human::print_related(&related);
    Ok(())
}

/// What a file imports.
pub fn imports(args: FileArgs) -> Result<()> {
    let cg = open_reader(&args.repo, IndexOptions::default())?;
    emit_files(cg.imports(&from_cwd(&args.file))?, args.json)
}

/// The files that import a file.
pub fn importers(args: FileArgs) -> Result<()> {
    let cg = open_reader(&args.repo, IndexOptions::default())?;
    emit_files(cg.importers(&from_cwd(&args.file))?, args.json)
}

/// Prints `(file, line)` pairs, as JSON or text.
fn emit_files(files: Vec<(String, u32)>, json: bool) -> Result<()> {
    if json {
        return output::print(&output::list::<_, FileLineJson>(files));
    }
    human::print_files(&files);
    Ok(())
}

/// The subgraph around a file (a path that exists) or a symbol.
pub fn neighbors(args: NeighborsArgs) -> Result<()> {
    let cg = open_reader(&args.repo, IndexOptions::default())?;
    // A path names a file (relative to the working directory), anything
    // else a symbol.
    let target = if std::path::Path::new(&args.target).exists() {
        from_cwd(&args.target)
    } else {
        args.target
    };
    let sub = cg.neighbors(&target, args.hops, args.limit)?;
    if args.json {
        return output::print(&SubgraphJson::from(sub));
    }
    human::print_subgraph(&sub);
    Ok(())
}

/// The ranked map of the repository within a token budget.
pub fn map(args: MapArgs) -> Result<()> {
    let cg = open_reader(&args.repo, IndexOptions::default())?;
    // A focus that exists on disk is a file or directory; anything else
    // names a definition.
    let (paths, symbols): (Vec<String>, Vec<String>) = args
        .focus
        .iter()
        .cloned()
        .partition(|f| std::path::Path::new(f).exists());
    let map = cg.map(&codegraph::MapOptions {
        budget_tokens: args.budget_tokens,
        focus: all_from_cwd(&paths),
        focus_symbols: symbols,
        ..codegraph::MapOptions::default()
    })?;
    if args.json {
        return output::print(&RepoMapJson::from(map));
    }
    print!("{}", map.text);
    Ok(())
}

/// The directory tree with file counts (text only).
pub fn tree(args: TreeArgs) -> Result<()> {
    let cg = open_reader(&args.repo, IndexOptions::default())?;
    human::print_tree(&cg.directory_tree(args.depth)?);
    Ok(())
}
