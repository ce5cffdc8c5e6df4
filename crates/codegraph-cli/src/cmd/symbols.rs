//! `symbols FILE`: what the parser extracts from one file, no index needed.

use crate::{Outcome, SymbolsArgs, human, output};
use anyhow::Result;

/// Parses one file and prints what it extracted.
pub fn symbols(args: SymbolsArgs) -> Result<Outcome> {
    // The path as given: the parser derives module names from it, and the
    // output shows it as the user wrote it.
    let facts = codegraph::extract_file(&args.file)?;
    if args.json {
        return output::print_pretty(&output::FactsJson::from(facts));
    }
    human::print_facts(&args.file, &facts);
    Ok(Outcome::Done)
}
