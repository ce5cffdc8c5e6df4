//! Line-based chunking: windows for text files, sections for Markdown, and the
//! splitting of long definitions.

use codegraph_core::{Chunk, ChunkKind, Span};

/// Chunk size limits, in lines.
#[derive(Debug, Clone, Copy)]
pub struct ChunkLimits {
    /// A definition longer than this is split into parts.
    pub max_lines: u32,
    /// Window size for files without function structure.
    pub window_lines: u32,
    /// Lines shared by consecutive windows.
    pub window_overlap: u32,
}

pub const LIMITS: ChunkLimits = ChunkLimits {
    max_lines: 150,
    window_lines: 60,
    window_overlap: 10,
};

/// Byte offsets of line starts, for turning line ranges into text.
pub(crate) struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<u32>,
}

impl<'a> LineIndex<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        let mut starts = vec![0u32];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i as u32 + 1),
        );
        if starts.len() > 1 && *starts.last().unwrap() as usize == text.len() {
            starts.pop();
        }
        LineIndex { text, starts }
    }

    /// Number of lines.
    pub(crate) fn len(&self) -> u32 {
        if self.text.is_empty() {
            0
        } else {
            self.starts.len() as u32
        }
    }

    /// Byte range of 1-based inclusive lines `first..=last`, without the final newline.
    pub(crate) fn byte_range(&self, first: u32, last: u32) -> (u32, u32) {
        let start = self.starts[(first - 1) as usize];
        let text_end = self.text.len() as u32 - u32::from(self.text.ends_with('\n'));
        let end = self
            .starts
            .get(last as usize)
            .map_or(text_end, |&next| next - 1);
        (start, end.max(start))
    }

    pub(crate) fn lines(&self, first: u32, last: u32) -> &'a str {
        let (s, e) = self.byte_range(first, last);
        &self.text[s as usize..e as usize]
    }

    /// 1-based line of a byte offset.
    pub(crate) fn line_of(&self, byte: u32) -> u32 {
        match self.starts.binary_search(&byte) {
            Ok(i) => i as u32 + 1,
            Err(i) => i as u32,
        }
    }

    pub(crate) fn span(&self, first: u32, last: u32) -> Span {
        let (start_byte, end_byte) = self.byte_range(first, last);
        Span {
            start_byte,
            end_byte,
            start_line: first,
            end_line: last,
        }
    }
}

fn has_words(text: &str) -> bool {
    text.chars().any(char::is_alphanumeric)
}

/// Overlapping windows of lines over `first..=last`.
fn windows(index: &LineIndex<'_>, first: u32, last: u32, kind: ChunkKind, out: &mut Vec<Chunk>) {
    let step = LIMITS.window_lines - LIMITS.window_overlap;
    let mut start = first;
    loop {
        let end = (start + LIMITS.window_lines - 1).min(last);
        let text = index.lines(start, end);
        if has_words(text) {
            out.push(Chunk {
                kind,
                span: index.span(start, end),
                def: None,
                part: 0,
                text: text.to_owned(),
            });
        }
        if end >= last {
            break;
        }
        start += step;
    }
}

/// Line windows with overlap: the chunking of files without structure.
pub fn line_windows(text: &str) -> Vec<Chunk> {
    let index = LineIndex::new(text);
    let mut out = Vec::new();
    if index.len() > 0 {
        windows(&index, 1, index.len(), ChunkKind::Text, &mut out);
    }
    out
}

/// Text windows over lines `first..=last` of `text` (a component's markup).
pub(crate) fn windows_over(text: &str, first: u32, last: u32, out: &mut Vec<Chunk>) {
    let index = LineIndex::new(text);
    let last = last.min(index.len());
    if first >= 1 && first <= last {
        windows(&index, first, last, ChunkKind::Text, out);
    }
}

/// Markdown split at ATX headings outside code fences; long sections become
/// windows.
pub fn markdown_chunks(text: &str) -> Vec<Chunk> {
    let index = LineIndex::new(text);
    let n = index.len();
    let mut heading_lines = Vec::new();
    let mut in_fence = false;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            in_fence = !in_fence;
        } else if !in_fence && t.starts_with('#') && t.trim_start_matches('#').starts_with(' ') {
            heading_lines.push(i as u32 + 1);
        }
    }
    let mut starts = vec![1];
    starts.extend(heading_lines.into_iter().filter(|&l| l > 1));
    let mut out = Vec::new();
    for (i, &start) in starts.iter().enumerate() {
        let end = starts.get(i + 1).map_or(n, |&next| next - 1);
        if start > end || end == 0 {
            continue;
        }
        if end - start + 1 > LIMITS.max_lines {
            windows(&index, start, end, ChunkKind::Section, &mut out);
        } else {
            let text = index.lines(start, end);
            if has_words(text) {
                out.push(Chunk {
                    kind: ChunkKind::Section,
                    span: index.span(start, end),
                    def: None,
                    part: 0,
                    text: text.to_owned(),
                });
            }
        }
    }
    out
}

/// A chunk over `first..=last`, split into equal parts when longer than the
/// limit; parts after the first are prefixed with `signature`.
pub(crate) fn split_chunk(
    index: &LineIndex<'_>,
    kind: ChunkKind,
    def: Option<usize>,
    (first, last): (u32, u32),
    text: Option<String>,
    signature: &str,
    out: &mut Vec<Chunk>,
) {
    let total = last - first + 1;
    if total <= LIMITS.max_lines {
        let text = text.unwrap_or_else(|| index.lines(first, last).to_owned());
        out.push(Chunk {
            kind,
            span: index.span(first, last),
            def,
            part: 0,
            text,
        });
        return;
    }
    let parts = total.div_ceil(LIMITS.max_lines);
    let size = total.div_ceil(parts);
    let mut start = first;
    let mut part = 0;
    while start <= last {
        let end = (start + size - 1).min(last);
        let body = index.lines(start, end);
        let text = if part == 0 {
            body.to_owned()
        } else {
            format!("{signature}\n{body}")
        };
        out.push(Chunk {
            kind,
            span: index.span(start, end),
            def,
            part,
            text,
        });
        part += 1;
        start = end + 1;
    }
}

/// Top-level code: maximal runs of lines not covered by any chunk, cut at
/// the size limit.
pub(crate) fn uncovered_code(index: &LineIndex<'_>, covered: &[bool], out: &mut Vec<Chunk>) {
    let n = index.len();
    let mut line = 1;
    while line <= n {
        if covered[line as usize] {
            line += 1;
            continue;
        }
        let start = line;
        while line <= n && !covered[line as usize] && line - start < LIMITS.max_lines {
            line += 1;
        }
        let end = line - 1;
        let text = index.lines(start, end);
        if has_words(text) {
            out.push(Chunk {
                kind: ChunkKind::Code,
                span: index.span(start, end),
                def: None,
                part: 0,
                text: text.to_owned(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_index_ranges() {
        let idx = LineIndex::new("a\nbb\nccc\n");
        assert_eq!(idx.len(), 3);
        assert_eq!(idx.lines(2, 3), "bb\nccc");
        assert_eq!(idx.line_of(0), 1);
        assert_eq!(idx.line_of(2), 2);
        assert_eq!(idx.line_of(3), 2);
        assert_eq!(idx.lines(1, 1), "a");
        let no_newline = LineIndex::new("x\ny");
        assert_eq!(no_newline.len(), 2);
        assert_eq!(no_newline.lines(2, 2), "y");
    }

    #[test]
    fn windows_overlap_and_cover_everything() {
        let text: String = (1..=130).map(|i| format!("line{i}\n")).collect();
        let chunks = line_windows(&text);
        let spans: Vec<(u32, u32)> = chunks
            .iter()
            .map(|c| (c.span.start_line, c.span.end_line))
            .collect();
        assert_eq!(spans, [(1, 60), (51, 110), (101, 130)]);
        assert!(chunks[2].text.ends_with("line130"));
    }

    #[test]
    fn markdown_splits_at_headings_not_in_fences() {
        let md = "intro\n# One\ntext\n```\n# not a heading\n```\n## Two\nmore\n";
        let chunks = markdown_chunks(md);
        let spans: Vec<(u32, u32)> = chunks
            .iter()
            .map(|c| (c.span.start_line, c.span.end_line))
            .collect();
        assert_eq!(spans, [(1, 1), (2, 6), (7, 8)]);
    }

    #[test]
    fn long_definitions_split_with_signature_prefix() {
        let text: String = std::iter::once("fn big() {\n".to_string())
            .chain((0..300).map(|i| format!("  x{i}();\n")))
            .chain(std::iter::once("}\n".to_string()))
            .collect();
        let idx = LineIndex::new(&text);
        let mut out = Vec::new();
        split_chunk(
            &idx,
            ChunkKind::Function,
            Some(0),
            (1, idx.len()),
            None,
            "fn big()",
            &mut out,
        );
        assert_eq!(out.len(), 3);
        assert!(out[0].text.starts_with("fn big() {"));
        assert!(out[1].text.starts_with("fn big()\n"));
        assert_eq!(out[2].part, 2);
        assert_eq!(out.last().unwrap().span.end_line, 302);
    }
}
