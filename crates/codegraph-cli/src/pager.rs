//! A pager for long output on a terminal, as git does it.
//!
//! When stdout is a terminal, a read command's output is held until it is
//! longer than the screen; then the pager starts (`$CODEGRAPH_PAGER`, else
//! `$PAGER`, else `less`; `LESS=FRX` unless `LESS` is set) and everything
//! goes through it. Output that fits the screen is written directly, and
//! no pager starts when nothing is printed (an error alone, say).
//! `--no-pager`, or a pager set to `cat` or to nothing, turns it off.

use std::io::Write;
use std::process::{Child, ChildStdin, Command, Stdio};

/// Where stdout's bytes go.
pub enum Sink {
    /// Straight to stdout.
    Direct,
    /// Held until they fill the screen.
    Held {
        bytes: Vec<u8>,
        lines: usize,
        rows: usize,
        pager: String,
    },
    /// Into a running pager.
    Paging { child: Child, stdin: ChildStdin },
}

/// The pager command the environment names; `None` when paging is off.
pub fn pager_command() -> Option<String> {
    let named = std::env::var("CODEGRAPH_PAGER")
        .or_else(|_| std::env::var("PAGER"))
        .unwrap_or_else(|_| "less".to_owned());
    let named = named.trim();
    (!named.is_empty() && named != "cat").then(|| named.to_owned())
}

/// The terminal's height on stdout; `$LINES`, then 24, when it says none.
pub fn screen_rows() -> usize {
    #[cfg(unix)]
    let from_tty = rustix::termios::tcgetwinsize(std::io::stdout())
        .ok()
        .map(|w| usize::from(w.ws_row))
        .filter(|&rows| rows > 0);
    #[cfg(not(unix))]
    let from_tty: Option<usize> = None;
    from_tty
        .or_else(|| std::env::var("LINES").ok()?.trim().parse().ok())
        .filter(|&rows: &usize| rows > 0)
        .unwrap_or(24)
}

impl Sink {
    /// Holds output for `pager` on a screen of `rows` lines.
    pub fn held(pager: String, rows: usize) -> Sink {
        Sink::Held {
            bytes: Vec::new(),
            lines: 0,
            rows,
            pager,
        }
    }

    /// Writes `data`; an error is the reader's (a closed pipe, a pager
    /// that quit).
    pub fn write(&mut self, data: &[u8]) -> std::io::Result<()> {
        match self {
            Sink::Direct => std::io::stdout().lock().write_all(data),
            Sink::Paging { stdin, .. } => stdin.write_all(data),
            Sink::Held {
                bytes,
                lines,
                rows,
                pager,
            } => {
                bytes.extend_from_slice(data);
                *lines += data.iter().filter(|&&b| b == b'\n').count();
                // One row stays for the shell's prompt.
                if *lines < *rows {
                    return Ok(());
                }
                let held = std::mem::take(bytes);
                *self = match spawn(pager) {
                    Some((child, stdin)) => Sink::Paging { child, stdin },
                    None => Sink::Direct,
                };
                self.write(&held)
            }
        }
    }

    pub fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Sink::Direct => std::io::stdout().lock().flush(),
            Sink::Paging { stdin, .. } => stdin.flush(),
            Sink::Held { .. } => Ok(()),
        }
    }

    /// Writes what is held, or closes the pager's input and waits for the
    /// user to leave it.
    pub fn finish(&mut self) -> std::io::Result<()> {
        match std::mem::replace(self, Sink::Direct) {
            Sink::Direct => std::io::stdout().lock().flush(),
            Sink::Held { bytes, .. } => {
                let mut out = std::io::stdout().lock();
                out.write_all(&bytes)?;
                out.flush()
            }
            Sink::Paging { mut child, stdin } => {
                drop(stdin);
                child.wait().map(|_| ())
            }
        }
    }
}

/// Whether the program `pager` starts with exists (a path, or a name on
/// `$PATH`): the shell would start anyway and the output would be lost.
fn exists(pager: &str) -> bool {
    let Some(program) = pager.split_whitespace().next() else {
        return false;
    };
    if program.contains('/') {
        return std::path::Path::new(program).is_file();
    }
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

/// Starts `pager` through the shell (it may carry arguments); `None`
/// when it cannot start (output then goes to stdout).
fn spawn(pager: &str) -> Option<(Child, ChildStdin)> {
    if !exists(pager) {
        tracing::debug!(pager, "no such pager");
        return None;
    }
    let mut cmd = Command::new("sh");
    cmd.args(["-c", pager]).stdin(Stdio::piped());
    if std::env::var_os("LESS").is_none() {
        cmd.env("LESS", "FRX");
    }
    if std::env::var_os("LV").is_none() {
        cmd.env("LV", "-c");
    }
    match cmd.spawn() {
        Ok(mut child) => {
            let stdin = child.stdin.take()?;
            Some((child, stdin))
        }
        Err(e) => {
            tracing::debug!(pager, error = %e, "the pager did not start");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_that_fits_the_screen_is_held_not_paged() {
        let mut sink = Sink::held("a-pager-that-does-not-exist".into(), 5);
        sink.write(b"one\ntwo\n").unwrap();
        sink.write(b"three\nfour\n").unwrap();
        assert!(matches!(sink, Sink::Held { lines: 4, .. }));
    }

    #[test]
    fn a_pager_that_does_not_exist_is_not_started() {
        assert!(!exists("a-pager-that-does-not-exist -R"));
        assert!(!exists("/nonexistent/less"));
        assert!(exists("sh -c true"));
        let mut sink = Sink::held("a-pager-that-does-not-exist".into(), 2);
        sink.write(b"").unwrap();
        assert!(spawn("a-pager-that-does-not-exist").is_none());
    }
}
