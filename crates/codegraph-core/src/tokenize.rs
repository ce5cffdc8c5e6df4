//! Identifier sub-tokens: `getHTTPServer` → get, http, server;
//! `user_id` → user, id; `kebab-case` → kebab, case. Lowercased; pure numbers
//! are dropped. These are the units of the repo-wide token vocabulary.

/// The lowercase sub-tokens of every identifier-like word in `text`, in order.
pub fn tokenize(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .flat_map(split_identifier)
}

/// Splits one word (letters and digits only) at case changes, the way
/// programmers join words: `parseHTMLDocument2` → parse, html, document2.
pub fn split_identifier(word: &str) -> impl Iterator<Item = String> + '_ {
    let owned: Vec<String> = case_parts(word)
        .into_iter()
        .map(|(s, e)| &word[s..e])
        .filter(|piece| !piece.chars().all(|c| c.is_ascii_digit()))
        .map(str::to_lowercase)
        .collect();
    owned.into_iter()
}

/// Byte ranges of the case-delimited parts of a word: lower→upper changes,
/// and the last capital of an acronym (`HTTPServer` → HTTP|Server).
pub fn case_parts(word: &str) -> Vec<(usize, usize)> {
    let chars: Vec<(usize, char)> = word.char_indices().collect();
    let mut cuts = vec![0usize];
    for i in 1..chars.len() {
        let (_, prev) = chars[i - 1];
        let (pos, cur) = chars[i];
        let next = chars.get(i + 1).map(|&(_, c)| c);
        let lower_to_upper = (prev.is_lowercase() || prev.is_ascii_digit()) && cur.is_uppercase();
        let acronym_end =
            prev.is_uppercase() && cur.is_uppercase() && next.is_some_and(|n| n.is_lowercase());
        if lower_to_upper || acronym_end {
            cuts.push(pos);
        }
    }
    cuts.push(word.len());
    cuts.windows(2).map(|w| (w[0], w[1])).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<String> {
        tokenize(s).collect()
    }

    #[test]
    fn splits_common_identifier_styles() {
        assert_eq!(toks("getUserName"), ["get", "user", "name"]);
        assert_eq!(toks("UserService"), ["user", "service"]);
        assert_eq!(toks("user_service_impl"), ["user", "service", "impl"]);
        assert_eq!(toks("kebab-case-name"), ["kebab", "case", "name"]);
        assert_eq!(toks("HTTPServer"), ["http", "server"]);
        assert_eq!(toks("parseHTMLDocument2"), ["parse", "html", "document2"]);
        assert_eq!(toks("MAX_SIZE"), ["max", "size"]);
        assert_eq!(
            toks("src/util/strings.rs"),
            ["src", "util", "strings", "rs"]
        );
    }

    #[test]
    fn drops_numbers_and_punctuation() {
        assert_eq!(toks("x = 42 + y2;"), ["x", "y2"]);
        assert!(toks("{}();;").is_empty());
    }

    #[test]
    fn handles_non_ascii_letters() {
        assert_eq!(toks("größeBerechnen"), ["größe", "berechnen"]);
    }
}
