//! The one writer of stdout, colour, and how locations are shown.
//!
//! Every result the CLI prints goes through [`out!`]/[`outln!`]: a write
//! that fails because the reader went away (`codegraph status | head -1`)
//! ends the process quietly with status 0, as ripgrep does; any other
//! write error ends it with status 2 and one line on stderr.

use crate::pager::Sink;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// Writes formatted text to stdout (see the module doc).
macro_rules! out {
    ($($arg:tt)*) => { $crate::term::write(format_args!($($arg)*)) };
}

/// [`out!`] with a newline.
macro_rules! outln {
    () => { $crate::term::write(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::term::write(format_args!("{}\n", format_args!($($arg)*))) };
}

pub(crate) use {out, outln};

/// Where stdout goes: straight out, or through a pager ([`crate::pager`]).
static SINK: Mutex<Sink> = Mutex::new(Sink::Direct);

fn sink() -> std::sync::MutexGuard<'static, Sink> {
    SINK.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Writes to stdout; a closed pipe ends the process quietly.
pub fn write(args: std::fmt::Arguments<'_>) {
    let text = match args.as_str() {
        Some(s) => std::borrow::Cow::Borrowed(s),
        None => std::borrow::Cow::Owned(args.to_string()),
    };
    if let Err(e) = sink().write(text.as_bytes()) {
        handle(e);
    }
}

/// Flushes stdout (after each `watch` update); a closed pipe ends the
/// process quietly.
pub fn flush() {
    if let Err(e) = sink().flush() {
        handle(e);
    }
}

/// Output longer than the screen goes through a pager from now on, when
/// stdout is a terminal and the environment names one (see
/// [`crate::pager`]).
pub fn page_long_output() {
    if !std::io::stdout().is_terminal() {
        return;
    }
    if let Some(pager) = crate::pager::pager_command() {
        *sink() = Sink::held(pager, crate::pager::screen_rows());
    }
}

/// Writes what is held, or waits for the pager to end. Call once, before
/// the process exits.
pub fn finish() {
    if let Err(e) = sink().finish() {
        handle(e);
    }
}

fn handle(e: std::io::Error) -> ! {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    eprintln!("error: writing to stdout: {e}");
    std::process::exit(crate::EXIT_ERROR);
}

/// `--color`: when to colour the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// Only when stdout is a terminal and NO_COLOR is not set
    Auto,
    Always,
    Never,
}

static COLOR: OnceLock<bool> = OnceLock::new();

/// Decides once whether stdout gets colour.
pub fn init_color(choice: ColorChoice) {
    let on = match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    };
    let _ = COLOR.set(on);
}

fn color() -> bool {
    COLOR.get().copied().unwrap_or(false)
}

const RESET: &str = "\x1b[0m";
const PATH: &str = "\x1b[35m";
const NUMBER: &str = "\x1b[32m";
const MATCH: &str = "\x1b[1;31m";

/// `path:line:col`, coloured as ripgrep colours them (path magenta,
/// numbers green); `path` as [`shown`] makes it.
pub fn location(path: &str, line: u32, col: u32) -> String {
    let path = shown(path);
    if color() {
        format!("{PATH}{path}{RESET}:{NUMBER}{line}{RESET}:{NUMBER}{col}{RESET}")
    } else {
        format!("{path}:{line}:{col}")
    }
}

/// `text` with every occurrence of `terms` (case-insensitive) in bold red
/// when colour is on.
pub fn highlight(text: &str, terms: &[String]) -> String {
    if !color() || terms.is_empty() {
        return text.to_owned();
    }
    let ranges = match_ranges(text, terms);
    let mut out = String::with_capacity(text.len() + ranges.len() * 12);
    let mut at = 0;
    for (start, end) in ranges {
        out.push_str(&text[at..start]);
        out.push_str(MATCH);
        out.push_str(&text[start..end]);
        out.push_str(RESET);
        at = end;
    }
    out.push_str(&text[at..]);
    out
}

/// The words of a query worth highlighting: runs of letters, digits and
/// `_` of two characters or more, lowercased, and an identifier's parts
/// (`parse_config` also highlights `parse` and `config`).
pub fn query_terms(query: &str) -> Vec<String> {
    let mut terms: Vec<String> = Vec::new();
    for word in query.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
        let mut add = |w: &str| {
            let w = w.to_lowercase();
            if w.chars().count() >= 2 && !terms.contains(&w) {
                terms.push(w);
            }
        };
        add(word);
        for part in word.split('_') {
            add(part);
        }
    }
    // Longest first, so `parse_config` wins over `parse`.
    terms.sort_by_key(|t| std::cmp::Reverse(t.len()));
    terms
}

/// Byte ranges of non-overlapping case-insensitive matches of `terms` in
/// `text` (ASCII case folding: byte offsets stay those of `text`).
fn match_ranges(text: &str, terms: &[String]) -> Vec<(usize, usize)> {
    let lower = text.to_ascii_lowercase();
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    for term in terms {
        let term = term.to_ascii_lowercase();
        let mut from = 0;
        while let Some(i) = lower[from..].find(&term) {
            let (s, e) = (from + i, from + i + term.len());
            if !ranges.iter().any(|&(a, b)| s < b && a < e) {
                ranges.push((s, e));
            }
            from = e;
        }
    }
    ranges.sort_unstable();
    ranges
}

/// The 1-based line offset and column of the first match of `terms` in
/// `text`, if any.
pub fn first_match(text: &str, terms: &[String]) -> Option<(u32, u32)> {
    for (i, line) in text.lines().enumerate() {
        if let Some(&(s, _)) = match_ranges(line, terms).first() {
            return Some((i as u32, line[..s].chars().count() as u32 + 1));
        }
    }
    None
}

static PATHS: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();

/// Root-relative paths print relative to the working directory from now
/// on (so that terminals and editors open them), when it is inside `root`.
pub fn set_root(root: &Path) {
    if let Ok(cwd) = std::env::current_dir().and_then(|c| c.canonicalize()) {
        let _ = PATHS.set((root.to_owned(), cwd));
    }
}

/// A root-relative path as the user can open it from the working
/// directory: unchanged when the working directory is the root or outside
/// it, `../x/y` style inside it.
pub fn shown(path: &str) -> String {
    let Some((root, cwd)) = PATHS.get() else {
        return path.to_owned();
    };
    let Ok(below) = cwd.strip_prefix(root) else {
        return path.to_owned();
    };
    if below.as_os_str().is_empty() {
        return path.to_owned();
    }
    let mut up: Vec<&str> = below
        .components()
        .map(|c| c.as_os_str().to_str().unwrap_or(""))
        .collect();
    let mut rest: Vec<&str> = path.split('/').collect();
    // Drop the common prefix.
    while !up.is_empty() && rest.len() > 1 && up[0] == rest[0] {
        up.remove(0);
        rest.remove(0);
    }
    let mut out: Vec<&str> = vec![".."; up.len()];
    out.extend(rest);
    out.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_terms_split_identifiers_longest_first() {
        assert_eq!(
            query_terms("parse_config a Foo"),
            ["parse_config", "config", "parse", "foo"]
        );
    }

    #[test]
    fn matches_do_not_overlap() {
        let terms = query_terms("parse_config");
        assert_eq!(
            match_ranges("x = Parse_Config(parse)", &terms),
            [(4, 16), (17, 22)]
        );
        assert_eq!(first_match("a\n  parse_config()", &terms), Some((1, 3)));
    }
}
