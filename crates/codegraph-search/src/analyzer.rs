//! The code-aware analyzer, used at index and query time: identifiers are
//! split at camelCase, PascalCase, snake_case, kebab-case and path
//! boundaries, the whole identifier is kept too, everything is lowercased.

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// Natural-language words dropped from queries (never from documents).
pub const STOP_WORDS: &[&str] = &[
    "a", "about", "an", "and", "are", "as", "at", "be", "by", "can", "do", "does", "for", "from",
    "how", "i", "if", "in", "into", "is", "it", "its", "me", "my", "of", "on", "or", "our",
    "should", "so", "that", "the", "their", "then", "there", "these", "this", "to", "was", "we",
    "what", "when", "where", "which", "who", "why", "will", "with", "would", "you", "your",
];

/// Emits, for every identifier-like word, the whole word lowercased and then
/// its sub-words (when there is more than one), all at the same position.
#[derive(Debug, Clone, Default)]
pub struct CodeTokenizer;

/// Token stream of [`CodeTokenizer`]: one token rewritten in place, words
/// found as it advances (indexing allocates nothing per token).
#[derive(Debug)]
pub struct CodeTokenStream<'a> {
    text: &'a str,
    /// Where the search for the next word starts (a byte offset).
    cursor: usize,
    /// The next word's position.
    position: usize,
    /// The current word's sub-words (absolute byte ranges) still to emit.
    parts: Vec<(usize, usize)>,
    next_part: usize,
    /// The current word, lowercased (parts equal to it are not repeated).
    whole: String,
    token: Token,
}

impl Tokenizer for CodeTokenizer {
    type TokenStream<'a> = CodeTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> CodeTokenStream<'a> {
        CodeTokenStream::new(text)
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// `s` lowercased into `out` (replacing it).
fn lower_into(s: &str, out: &mut String) {
    out.clear();
    if s.is_ascii() {
        out.extend(s.bytes().map(|b| b.to_ascii_lowercase() as char));
    } else {
        out.push_str(&s.to_lowercase());
    }
}

impl<'a> CodeTokenStream<'a> {
    pub fn new(text: &'a str) -> CodeTokenStream<'a> {
        CodeTokenStream {
            text,
            cursor: 0,
            position: 0,
            parts: Vec::new(),
            next_part: 0,
            whole: String::new(),
            token: Token::default(),
        }
    }

    /// The next sub-word of the current word worth a token.
    fn next_part(&mut self) -> bool {
        while let Some(&(s, e)) = self.parts.get(self.next_part) {
            self.next_part += 1;
            let part = &self.text[s..e];
            if part.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            lower_into(part, &mut self.token.text);
            if self.token.text == self.whole {
                continue;
            }
            self.token.offset_from = s;
            self.token.offset_to = e;
            self.token.position = self.position - 1;
            return true;
        }
        false
    }

    /// The next word (trimmed of `_`, at most 80 bytes) as a token, its
    /// sub-words queued.
    fn next_word(&mut self) -> bool {
        let text = self.text;
        while self.cursor < text.len() {
            let rest = &text[self.cursor..];
            let Some(start) = rest.find(is_word_char) else {
                self.cursor = text.len();
                return false;
            };
            let after = &rest[start..];
            let len = after.find(|c| !is_word_char(c)).unwrap_or(after.len());
            let (s, e) = (self.cursor + start, self.cursor + start + len);
            self.cursor = e;
            let raw = &text[s..e];
            let word = raw.trim_matches('_');
            if word.is_empty() || word.len() > 80 {
                continue;
            }
            let s = s + (raw.len() - raw.trim_start_matches('_').len());
            let e = s + word.len();
            lower_into(word, &mut self.whole);
            self.token.text.clear();
            self.token.text.push_str(&self.whole);
            self.token.offset_from = s;
            self.token.offset_to = e;
            self.token.position = self.position;
            self.token.position_length = 1;
            self.position += 1;
            self.parts.clear();
            self.next_part = 0;
            split_word(word, s, &mut self.parts);
            if self.parts.len() <= 1 {
                self.parts.clear();
            }
            return true;
        }
        false
    }
}

impl TokenStream for CodeTokenStream<'_> {
    fn advance(&mut self) -> bool {
        self.next_part() || self.next_word()
    }

    fn token(&self) -> &Token {
        &self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

/// The analyzer's tokens for `text`.
pub fn analyze(text: &str) -> Vec<Token> {
    let mut stream = CodeTokenStream::new(text);
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token().clone());
    }
    out
}

/// Appends the byte ranges (offset by `at`) of the sub-words of a word
/// (letters, digits, underscores) to `out`.
fn split_word(word: &str, at: usize, out: &mut Vec<(usize, usize)>) {
    let mut offset = at;
    for piece in word.split('_') {
        if !piece.is_empty() {
            if piece.is_ascii() {
                ascii_case_parts(piece.as_bytes(), offset, out);
            } else {
                out.extend(
                    codegraph_core::case_parts(piece)
                        .into_iter()
                        .map(|(s, e)| (offset + s, offset + e)),
                );
            }
        }
        offset += piece.len() + 1;
    }
}

/// [`codegraph_core::case_parts`] for ASCII, without allocating: cuts
/// before an upper-case letter after a lower-case letter or digit, and
/// before the last capital of an acronym followed by a lower-case letter.
fn ascii_case_parts(w: &[u8], at: usize, out: &mut Vec<(usize, usize)>) {
    let mut from = 0;
    for i in 1..w.len() {
        let (prev, cur) = (w[i - 1], w[i]);
        let lower_to_upper =
            (prev.is_ascii_lowercase() || prev.is_ascii_digit()) && cur.is_ascii_uppercase();
        let acronym_end = prev.is_ascii_uppercase()
            && cur.is_ascii_uppercase()
            && w.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
        if lower_to_upper || acronym_end {
            out.push((at + from, at + i));
            from = i;
        }
    }
    out.push((at + from, at + w.len()));
}

/// Whole identifiers of `text` that also split into parts (`parseDate`,
/// `user_id`): a match on the whole is stronger evidence than matches on
/// its parts, so search weighs it more.
pub fn compound_terms(text: &str) -> std::collections::HashSet<String> {
    let tokens = analyze(text);
    let mut out = std::collections::HashSet::new();
    for (i, t) in tokens.iter().enumerate() {
        let first_at_position = i == 0 || tokens[i - 1].position != t.position;
        let has_parts = tokens.get(i + 1).is_some_and(|n| n.position == t.position);
        if first_at_position && has_parts {
            out.insert(t.text.clone());
        }
    }
    out
}

/// The distinct query terms of `text`: analyzer tokens without stop words
/// (a word that is a whole identifier, like `is_empty`, is kept whole and
/// split; only plain English words are dropped).
pub fn query_terms(text: &str) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    analyze(text)
        .into_iter()
        .map(|t| t.text)
        .filter(|t| !STOP_WORDS.contains(&t.as_str()))
        .filter(|t| seen.insert(t.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The analyzer as first written (a token allocated per word and part):
    /// the streaming one must give the same tokens.
    fn reference(text: &str) -> Vec<(String, usize, usize, usize)> {
        let mut out = Vec::new();
        let mut position = 0usize;
        let mut start = None;
        let mut emit = |s: usize, e: usize, position: &mut usize| {
            let word = text[s..e].trim_matches('_');
            let s = s + (text[s..e].len() - text[s..e].trim_start_matches('_').len());
            let e = s + word.len();
            if word.is_empty() || word.len() > 80 {
                return;
            }
            let whole = word.to_lowercase();
            let mut parts = Vec::new();
            let mut offset = 0;
            for piece in word.split('_') {
                if !piece.is_empty() {
                    parts.extend(
                        codegraph_core::case_parts(piece)
                            .into_iter()
                            .map(|(a, b)| (offset + a, offset + b)),
                    );
                }
                offset += piece.len() + 1;
            }
            out.push((whole.clone(), s, e, *position));
            if parts.len() > 1 {
                for (ps, pe) in parts {
                    let part = word[ps..pe].to_lowercase();
                    if part == whole || part.chars().all(|c| c.is_ascii_digit()) {
                        continue;
                    }
                    out.push((part, s + ps, s + pe, *position));
                }
            }
            *position += 1;
        };
        for (i, c) in text.char_indices() {
            if c.is_alphanumeric() || c == '_' {
                if start.is_none() {
                    start = Some(i);
                }
            } else if let Some(s) = start.take() {
                emit(s, i, &mut position);
            }
        }
        if let Some(s) = start {
            emit(s, text.len(), &mut position);
        }
        out
    }

    #[test]
    fn the_stream_gives_the_reference_tokens() {
        let samples = [
            "fn parse_date(text: &str) -> Result<NaiveDate> { HTTPServer::new(__init__) }",
            "getUserName user_service_impl __init__ kebab-case HTTPServer src/util/strings.rs",
            "parseHTMLDocument2 MAX_SIZE x2Y 123abc abc123Def _a_ __ ___b___ A B CDEf",
            "Größe überAll ΣΑΣ naïveCafé 日本語テキスト mixedÜmlautCase ǅungla",
            "",
            "   ",
            "a",
            &format!("{} tail", "x".repeat(81)),
            &format!("{}Y", "Ab".repeat(40)),
            "digits 2024_11_30 v1_2_3 0xFFAB 1e10 x86_64",
        ];
        for text in samples {
            let got: Vec<(String, usize, usize, usize)> = analyze(text)
                .into_iter()
                .map(|t| (t.text, t.offset_from, t.offset_to, t.position))
                .collect();
            assert_eq!(got, reference(text), "{text:?}");
        }
        // And on real code: this crate's sources.
        let src = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src"));
        let files = std::fs::read_dir(src)
            .unwrap()
            .chain(std::fs::read_dir(src.join("bm25")).unwrap())
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file());
        for path in files {
            let text = std::fs::read_to_string(path).unwrap();
            let got: Vec<(String, usize, usize, usize)> = analyze(&text)
                .into_iter()
                .map(|t| (t.text, t.offset_from, t.offset_to, t.position))
                .collect();
            assert_eq!(got, reference(&text));
        }
    }

    fn texts(s: &str) -> Vec<String> {
        analyze(s).into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn keeps_whole_identifiers_and_their_parts() {
        assert_eq!(texts("getUserName"), ["getusername", "get", "user", "name"]);
        assert_eq!(
            texts("user_service_impl"),
            ["user_service_impl", "user", "service", "impl"]
        );
        assert_eq!(texts("__init__"), ["init"]);
        assert_eq!(texts("kebab-case"), ["kebab", "case"]);
        assert_eq!(texts("HTTPServer"), ["httpserver", "http", "server"]);
        assert_eq!(
            texts("src/util/strings.rs"),
            ["src", "util", "strings", "rs"]
        );
    }

    #[test]
    fn parts_share_the_whole_words_position() {
        let tokens = analyze("parseDate now");
        let positions: Vec<(String, usize)> =
            tokens.into_iter().map(|t| (t.text, t.position)).collect();
        assert_eq!(
            positions,
            [
                ("parsedate".into(), 0),
                ("parse".into(), 0),
                ("date".into(), 0),
                ("now".into(), 1)
            ]
        );
    }

    #[test]
    fn queries_drop_stop_words_and_duplicates() {
        assert_eq!(
            query_terms("How do I parse the date in parseDate?"),
            ["parse", "date", "parsedate"]
        );
    }
}
