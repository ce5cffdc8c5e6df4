//! The progress bar of `index`: on stderr, and only when stderr is a
//! terminal.

use codegraph::Progress;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;

/// A progress bar on stderr, shown only when stderr is a terminal.
pub struct Bar(Option<ProgressBar>);

impl Bar {
    pub fn new() -> Self {
        if !std::io::stderr().is_terminal() {
            return Bar(None);
        }
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} indexing [{bar:40}] {pos}/{len} files {wide_msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        Bar(Some(bar))
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

impl Progress for Bar {
    fn embed_progress(&self, done: u64, total: u64) {
        if let Some(bar) = &self.0 {
            bar.set_length(total);
            bar.set_position(done);
            bar.set_message("chunks embedded");
        }
    }

    fn files_found(&self, count: usize) {
        if let Some(bar) = &self.0 {
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
