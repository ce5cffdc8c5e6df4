//! What the command line says about itself: an example for every
//! subcommand, the exit statuses, the accepted values of enumerated flags,
//! shell completions and the man page (both generated from the clap
//! definitions).

use crate::term::outln;
use crate::{Cli, Outcome};
use anyhow::Result;
use clap::CommandFactory;
use clap::builder::PossibleValuesParser;

/// Shown after the top-level help.
pub const EXIT_STATUS: &str = "\
Exit status: 0 when something was found or done; 1 when a search or lookup \
matched nothing (as grep and rg); 2 for usage and other errors; 3 when the \
repository has no index yet (run `codegraph index`).

The repository: PATH when given, taken as it is; otherwise the nearest \
ancestor of the working directory that holds .git, .codegraph.toml or an \
index, else the working directory. Settings: .codegraph.toml at the root \
([index] exclude, exclude_dirs, include_dirs, max_file_size, max_line_length, \
follow_symlinks, languages; [embeddings] enabled, model_dir, ...).

Long output on a terminal goes through $CODEGRAPH_PAGER, $PAGER or less \
(--no-pager: never).";

/// An example or two for each subcommand, by name.
const EXAMPLES: &[(&str, &str)] = &[
    (
        "index",
        "codegraph index\n  codegraph index ~/src/flask --no-embed",
    ),
    ("watch", "codegraph watch\n  codegraph watch . --json"),
    (
        "mcp",
        "codegraph mcp\n  codegraph mcp ~/src/flask --no-embed",
    ),
    (
        "serve",
        "codegraph serve\n  codegraph serve --socket /run/user/1000/codegraph.sock",
    ),
    ("model", "codegraph model install\n  codegraph model status"),
    (
        "status",
        "codegraph status\n  codegraph status --verbose --json",
    ),
    ("symbols", "codegraph symbols src/app.py"),
    (
        "symbol",
        "codegraph symbol url_for\n  codegraph symbol Flask.url_for --json",
    ),
    (
        "callers",
        "codegraph callers url_for\n  codegraph callers Flask.url_for --depth 2",
    ),
    ("callees", "codegraph callees dispatch_request"),
    ("imports", "codegraph imports src/flask/app.py"),
    ("importers", "codegraph importers src/flask/helpers.py"),
    (
        "neighbors",
        "codegraph neighbors url_for --hops 2\n  codegraph neighbors src/flask/app.py -n 50",
    ),
    (
        "map",
        "codegraph map --budget-tokens 2000\n  codegraph map --focus src/flask/app.py",
    ),
    (
        "query",
        "codegraph query 'parse config file'\n  codegraph query url_for --mode lexical -n 5 --path src --kind function\n  codegraph query 'http handler' --lang go --color always | less -R",
    ),
    (
        "context",
        "codegraph context --file src/app.py --line 42 --column 9",
    ),
    ("tree", "codegraph tree --depth 3"),
    (
        "completions",
        "codegraph completions bash > /etc/bash_completion.d/codegraph\n  codegraph completions zsh > \"${fpath[1]}/_codegraph\"\n  codegraph completions fish > ~/.config/fish/completions/codegraph.fish",
    ),
    (
        "man",
        "codegraph man > /usr/local/share/man/man1/codegraph.1",
    ),
];

/// The clap command with an example after each subcommand's help.
pub fn command() -> clap::Command {
    let mut cmd = Cli::command();
    for (name, example) in EXAMPLES {
        cmd = cmd.mut_subcommand(name, |c| c.after_help(format!("Examples:\n  {example}")));
    }
    cmd
}

/// `--lang`: the names of the languages codegraph knows.
pub fn languages() -> PossibleValuesParser {
    PossibleValuesParser::new(codegraph::language_names())
}

/// `--kind`: every kind of definition and chunk.
pub fn kinds() -> PossibleValuesParser {
    PossibleValuesParser::new(codegraph::DocKind::names())
}

/// `codegraph completions SHELL`.
pub fn completions(shell: clap_complete::Shell) -> Result<Outcome> {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut command(), "codegraph", &mut buf);
    crate::term::out!("{}", String::from_utf8_lossy(&buf));
    Ok(Outcome::Done)
}

/// `codegraph man`: one page for the command and each subcommand.
pub fn man() -> Result<Outcome> {
    let cmd = command();
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut buf)?;
    for sub in cmd.get_subcommands() {
        if sub.is_hide_set() {
            continue;
        }
        let name = format!("codegraph-{}", sub.get_name());
        // `name` wants a `&'static str` (clap without its `string` feature);
        // a one-shot command can leak a few.
        let sub = sub.clone().name(&*Box::leak(name.into_boxed_str()));
        buf.extend_from_slice(b"\n");
        clap_mangen::Man::new(sub).render(&mut buf)?;
    }
    crate::term::out!("{}", String::from_utf8_lossy(&buf));
    outln!();
    Ok(Outcome::Done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_subcommand_has_an_example() {
        let cmd = command();
        for sub in cmd.get_subcommands() {
            let help = sub.get_after_help().map(|h| h.to_string());
            assert!(
                help.as_deref()
                    .is_some_and(|h| h.contains(&format!("codegraph {}", sub.get_name()))),
                "`codegraph {}` has no example (help::EXAMPLES)",
                sub.get_name()
            );
        }
        for (name, _) in EXAMPLES {
            assert!(cmd.find_subcommand(name).is_some(), "no subcommand {name}");
        }
    }
}
