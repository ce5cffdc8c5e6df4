//! The cursor: where it is in the text, the identifiers before it, and
//! the facts of its file.

use super::ColumnEncoding;
use crate::{Error, Reader, Result};
use codegraph_core::{FileFacts, FileId, Import};
use codegraph_lang::{Language, Registry};
use std::collections::HashSet;

/// Byte offset of a 0-based (line, column) in `text`, or why it is not in
/// the text.
pub fn byte_offset(text: &str, line: u32, column: u32, encoding: ColumnEncoding) -> Result<usize> {
    let mut start = 0usize;
    for _ in 0..line {
        match text[start..].find('\n') {
            Some(i) => start += i + 1,
            None => {
                return Err(Error::InvalidRequest(format!(
                    "the cursor is past the end of the file: line {line} (0-based), the file has {} lines",
                    text.lines().count()
                )));
            }
        }
    }
    let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let line_text = text[start..end].trim_end_matches('\r');
    let mut units = 0u32;
    for (i, ch) in line_text.char_indices() {
        if units >= column {
            if units > column {
                return Err(Error::InvalidRequest(format!(
                    "column {column} falls inside a character on line {line}"
                )));
            }
            return Ok(start + i);
        }
        units += match encoding {
            ColumnEncoding::Utf16 => ch.len_utf16() as u32,
            ColumnEncoding::Utf8 => ch.len_utf8() as u32,
            ColumnEncoding::Utf32 => 1,
        };
    }
    if units == column {
        return Ok(start + line_text.len());
    }
    if units > column {
        return Err(Error::InvalidRequest(format!(
            "column {column} falls inside a character on line {line}"
        )));
    }
    Err(Error::InvalidRequest(format!(
        "the cursor is past the end of line {line}: column {column}, the line has {units} {}",
        match encoding {
            ColumnEncoding::Utf16 => "UTF-16 code units",
            ColumnEncoding::Utf8 => "bytes",
            ColumnEncoding::Utf32 => "code points",
        }
    )))
}

/// An identifier before the cursor and how it is used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Use {
    pub(super) name: String,
    /// Followed by `.`, `->` or `::`.
    pub(super) receiver: bool,
    /// Followed by `(` (or preceded by `new`).
    pub(super) call: bool,
    /// Preceded by `new`.
    pub(super) constructed: bool,
    /// The name before the `.` before it (`attr` in `attr.s`).
    pub(super) qualifier: Option<String>,
}

/// Identifiers of `window` (text before the cursor), nearest first, each
/// once, without the language's keywords and very short names.
pub(super) fn identifiers_before(
    window: &str,
    limit: usize,
    language: Option<&Language>,
) -> Vec<Use> {
    let is_keyword = |w: &str| language.is_some_and(|l| l.is_keyword(w));
    let bytes = window.as_bytes();
    let mut found: Vec<Use> = Vec::new();
    let mut i = 0;
    let mut prev_word = "";
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_alphabetic() || c == b'_' || c == b'$' {
            let start = i;
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'$')
            {
                i += 1;
            }
            let word = &window[start..i];
            let rest = window[i..].trim_start_matches([' ', '\t']);
            let receiver = rest.starts_with('.') && !rest.starts_with("..")
                || rest.starts_with("->")
                || rest.starts_with("::");
            let constructed = prev_word == "new";
            // A decorator or annotation (`@setupmethod`, `@attr.s`) names
            // a callable as a call would.
            let qualifier = (start >= 2 && bytes[start - 1] == b'.' && bytes[start - 2] != b'.')
                .then(|| {
                    let end = start - 1;
                    let mut q = end;
                    while q > 0
                        && (bytes[q - 1].is_ascii_alphanumeric()
                            || bytes[q - 1] == b'_'
                            || bytes[q - 1] == b'$')
                    {
                        q -= 1;
                    }
                    window[q..end].to_owned()
                })
                .filter(|q| !q.is_empty());
            // The name just typed at the cursor is what the completion is
            // about: looked up as a call would be.
            let at_cursor = i == bytes.len();
            let call = rest.starts_with('(')
                || at_cursor
                || constructed
                || (start > 0 && bytes[start - 1] == b'@')
                || qualifier.is_some() && decorated_line(window, start);
            if (word.len() > 1 || qualifier.is_some()) && !is_keyword(word) {
                found.push(Use {
                    name: word.to_owned(),
                    receiver,
                    call,
                    constructed,
                    qualifier,
                });
            }
            prev_word = word;
        } else {
            // Skip strings' insides crudely: a quote starts a run to the
            // next quote on the same line.
            if c == b'"' || c == b'\'' || c == b'`' {
                let q = c;
                i += 1;
                while i < bytes.len() && bytes[i] != q && bytes[i] != b'\n' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            } else if !c.is_ascii_whitespace() {
                prev_word = "";
            }
            i += 1;
        }
    }
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for u in found.into_iter().rev() {
        if seen.insert(u.name.clone()) {
            out.push(u);
            if out.len() == limit {
                break;
            }
        }
    }
    out
}

/// Whether the word at `start` is part of a decorator (`@a.b.name`).
fn decorated_line(window: &str, start: usize) -> bool {
    let line_start = window[..start].rfind('\n').map_or(0, |i| i + 1);
    let head = window[line_start..start].trim_start();
    head.starts_with('@')
        && head[1..]
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'.')
}

/// One member of the receiver chain before the cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Segment {
    pub(crate) name: String,
    /// Called (`get_db().`, `a.b().`): its value is what the call returns.
    pub(crate) call: bool,
}

/// The receiver chain the cursor completes a member of: `a.b().c.` (or
/// `a.b.c.par` while the member is being typed) gives `a`, `b()`, `c`;
/// `->` and `::` separate members too. Empty when the cursor is not
/// after a member access.
pub(crate) fn chain_before(before: &str) -> Vec<Segment> {
    let b = before.as_bytes();
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'$';
    let mut i = b.len();
    // The member being typed.
    while i > 0 && ident(b[i - 1]) {
        i -= 1;
    }
    let mut out = Vec::new();
    loop {
        // A separator.
        let sep = if i >= 1 && b[i - 1] == b'.' && !(i >= 2 && b[i - 2] == b'.') {
            1
        } else if i >= 2 && (&b[i - 2..i] == b"->" || &b[i - 2..i] == b"::") {
            2
        } else {
            break;
        };
        i -= sep;
        // A chain continued on the next line (`Builder()\n    .body(`).
        while i > 0 && b[i - 1].is_ascii_whitespace() {
            i -= 1;
        }
        // A call's or index's arguments, balanced, on this line.
        let mut call = false;
        while i > 0 && matches!(b[i - 1], b')' | b']') {
            let (open, close) = if b[i - 1] == b')' {
                (b'(', b')')
            } else {
                (b'[', b']')
            };
            call |= close == b')';
            let mut depth = 0usize;
            let mut j = i;
            loop {
                if j == 0 || b[j - 1] == b'\n' {
                    return Vec::new();
                }
                j -= 1;
                if b[j] == close {
                    depth += 1;
                } else if b[j] == open {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
            }
            i = j;
        }
        let end = i;
        while i > 0 && ident(b[i - 1]) {
            i -= 1;
        }
        if i == end || b[i].is_ascii_digit() {
            return Vec::new();
        }
        out.push(Segment {
            name: before[i..end].to_owned(),
            call,
        });
        if out.len() == 8 {
            break;
        }
    }
    out.reverse();
    out
}

/// Byte offset where 0-based line `line` starts (the text's end past it).
pub(super) fn line_start(text: &str, line: usize) -> usize {
    if line == 0 {
        return 0;
    }
    text.match_indices('\n')
        .nth(line - 1)
        .map_or(text.len(), |(i, _)| i + 1)
}

/// The facts of the file at the cursor, and the imports stored for it
/// (whose lines key the resolved import edges).
pub(super) struct CursorFacts {
    pub(super) file_id: Option<FileId>,
    pub(super) stored_imports: Vec<Import>,
    pub(super) facts: FileFacts,
}

impl Reader {
    /// The facts of the file at the cursor: stored ones when the text is
    /// what was indexed, else the buffer parsed now. `None` for a file in
    /// no known language.
    pub(super) fn cursor_facts(
        &self,
        rel: &str,
        text: &str,
        from_buffer: bool,
        deadline: Option<std::time::Instant>,
    ) -> Result<Option<CursorFacts>> {
        let stored = self.pool().read()?.file_facts(rel)?;
        if let Some((id, hash, facts)) = stored.as_ref()
            && (!from_buffer || codegraph_core::content_hash(text.as_bytes()).as_slice() == hash)
        {
            return Ok(Some(CursorFacts {
                file_id: Some(*id),
                stored_imports: facts.imports.clone(),
                facts: facts.clone(),
            }));
        }
        let head = &text.as_bytes()[..text.len().min(256)];
        let Some(language) = Registry::builtin().detect(std::path::Path::new(rel), head) else {
            return Ok(None);
        };
        // Parsed at request time: stopped at the request's deadline.
        let stop = || deadline.is_some_and(|d| std::time::Instant::now() >= d);
        let facts = codegraph_parse::parse_file_until(language, rel, text, &stop)
            .ok_or(Error::DeadlineExceeded("read"))?;
        Ok(Some(match stored {
            Some((id, _, stored)) => CursorFacts {
                file_id: Some(id),
                stored_imports: stored.imports,
                facts,
            },
            None => CursorFacts {
                file_id: None,
                stored_imports: Vec::new(),
                facts,
            },
        }))
    }

    /// The text at the cursor: the editor's buffer, or the file on disk.
    /// Either is refused past the index's file-size limit; only a regular
    /// file is read (a FIFO or a device would block the request).
    pub(super) fn cursor_text(&self, rel: &str, buffer: Option<&str>) -> Result<String> {
        let limit = self.options().max_file_size;
        if let Some(b) = buffer {
            if b.len() as u64 > limit {
                return Err(Error::InvalidRequest(format!(
                    "the buffer is {} bytes; the limit is {limit}",
                    b.len()
                )));
            }
            return Ok(b.to_owned());
        }
        let path = self.root().join(rel);
        let bytes = crate::read_regular_file(&path, limit).map_err(|e| match e {
            Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
                Error::NotIndexed(rel.to_owned())
            }
            other => other,
        })?;
        String::from_utf8(bytes)
            .map_err(|_| Error::InvalidRequest(format!("{rel}: not UTF-8 text")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(before: &str) -> Vec<(String, bool)> {
        chain_before(before)
            .into_iter()
            .map(|s| (s.name, s.call))
            .collect()
    }

    #[test]
    fn chains_on_one_line_and_across_lines() {
        assert_eq!(
            names("x = self.app.get_db()."),
            [
                ("self".to_owned(), false),
                ("app".to_owned(), false),
                ("get_db".to_owned(), true)
            ]
        );
        // Builder style: each call on its own line, the dot first.
        assert_eq!(
            names("      MockResponse\n        .Builder()\n        .bo"),
            [
                ("MockResponse".to_owned(), false),
                ("Builder".to_owned(), true)
            ]
        );
        assert!(names("x = 1 + ").is_empty());
        assert!(names("for i in 0..").is_empty());
    }
}
