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

/// Token stream of [`CodeTokenizer`].
#[derive(Debug)]
pub struct CodeTokenStream {
    tokens: Vec<Token>,
    next: usize,
}

impl Tokenizer for CodeTokenizer {
    type TokenStream<'a> = CodeTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> CodeTokenStream {
        CodeTokenStream {
            tokens: analyze(text),
            next: 0,
        }
    }
}

impl TokenStream for CodeTokenStream {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

/// The analyzer's tokens for `text`.
pub fn analyze(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut position = 0usize;
    let mut start = None;
    let bytes_end = text.len();
    let emit = |s: usize, e: usize, out: &mut Vec<Token>, position: &mut usize| {
        let word = text[s..e].trim_matches('_');
        let s = s + (text[s..e].len() - text[s..e].trim_start_matches('_').len());
        let e = s + word.len();
        if word.is_empty() || word.len() > 80 {
            return;
        }
        let whole = word.to_lowercase();
        let parts = split_word(word);
        out.push(Token {
            offset_from: s,
            offset_to: e,
            position: *position,
            text: whole.clone(),
            position_length: 1,
        });
        if parts.len() > 1 {
            for (ps, pe) in parts {
                let part = word[ps..pe].to_lowercase();
                if part == whole || part.chars().all(|c| c.is_ascii_digit()) {
                    continue;
                }
                out.push(Token {
                    offset_from: s + ps,
                    offset_to: s + pe,
                    position: *position,
                    text: part,
                    position_length: 1,
                });
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
            emit(s, i, &mut out, &mut position);
        }
    }
    if let Some(s) = start {
        emit(s, bytes_end, &mut out, &mut position);
    }
    out
}

/// Byte ranges of the sub-words of a word (letters, digits, underscores).
fn split_word(word: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut offset = 0;
    for piece in word.split('_') {
        if !piece.is_empty() {
            out.extend(
                codegraph_core::case_parts(piece)
                    .into_iter()
                    .map(|(s, e)| (offset + s, offset + e)),
            );
        }
        offset += piece.len() + 1;
    }
    out
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
