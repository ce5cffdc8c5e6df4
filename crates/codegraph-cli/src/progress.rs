//! The progress display of `index`: on stderr, and only when stderr is a
//! terminal. Each stage says what it counts: files while parsing, chunks
//! while embedding (updated every few chunks).

use codegraph::{Phase, Progress};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;

/// A progress display on stderr, shown only when stderr is a terminal.
pub struct Bar(Option<ProgressBar>);

/// A counted stage: `label [bar] done/total unit`.
fn counted(label: &str, unit: &str) -> ProgressStyle {
    ProgressStyle::with_template(&format!(
        "{{spinner}} {label} [{{bar:40}}] {{pos}}/{{len}} {unit} {{wide_msg}}"
    ))
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ")
}

/// A stage without a count: `label`, with a spinner.
fn spinner(label: &str) -> ProgressStyle {
    ProgressStyle::with_template(&format!("{{spinner}} {label} {{elapsed}}"))
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
}

impl Bar {
    pub fn new() -> Self {
        if !std::io::stderr().is_terminal() {
            return Bar(None);
        }
        let bar = ProgressBar::new(0);
        bar.set_style(spinner("finding files"));
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        Bar(Some(bar))
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

impl Progress for Bar {
    fn phase(&self, phase: Phase) {
        let Some(bar) = &self.0 else { return };
        bar.set_message("");
        match phase {
            Phase::Walking => bar.set_style(spinner("finding files")),
            Phase::Parsing => bar.set_style(counted("parsing", "files")),
            Phase::ResolvingGraph => bar.set_style(spinner("resolving calls and imports")),
            Phase::LexicalIndex => bar.set_style(spinner("building the lexical index")),
            Phase::Embedding => bar.set_style(counted("embedding", "chunks")),
            Phase::VectorIndex => bar.set_style(spinner("building the vector index")),
        }
    }

    fn embed_progress(&self, done: u64, total: u64) {
        if let Some(bar) = &self.0 {
            if bar.length() != Some(total) {
                bar.set_style(counted("embedding", "chunks"));
                bar.set_length(total);
            }
            bar.set_position(done);
        }
    }

    fn files_found(&self, count: usize) {
        if let Some(bar) = &self.0 {
            bar.set_style(counted("parsing", "files"));
            bar.set_length(count as u64);
        }
    }

    fn file_done(&self, path: &str) {
        if let Some(bar) = &self.0 {
            bar.inc(1);
            if bar.position() % 64 == 0 {
                bar.set_message(path.to_owned());
            }
        }
    }
}
