//! How many arguments a definition takes, read from its signature text, to
//! check that a call's shape fits a callee found by name.
//!
//! The reading is deliberately conservative: whatever it does not
//! understand widens the range (or gives no range), so a call is only ever
//! ruled out by a count no reading of the signature allows.

/// The arguments a callee accepts: at least `min`, at most `max` (`None`:
/// any number more).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arity {
    pub min: u32,
    pub max: Option<u32>,
}

impl Arity {
    /// Whether a call with `args` arguments fits.
    pub fn admits(&self, args: u32) -> bool {
        args >= self.min && self.max.is_none_or(|m| args <= m)
    }
}

/// Parameters that stand for the receiver: passed by the call's receiver
/// (`x.f()`), or explicitly through a path (`Type::f(x)`), so each may or
/// may not count.
const RECEIVERS: &[&str] = &["self", "&self", "&mut self", "mut self", "cls", "this"];

/// The arity of the definition `name` whose signature is `signature`: its
/// first parenthesised list after the name. `None` when there is none, or
/// its brackets do not balance (a cut signature).
pub fn arity(signature: &str, name: &str) -> Option<Arity> {
    let after = match signature.find(name) {
        Some(i) => &signature[i + name.len()..],
        None => signature,
    };
    // Generic parameters first (`fn f<T: A<B>>(..)`): skip a balanced
    // `<...>` right after the name.
    let after = after.trim_start();
    let after = if after.starts_with('<') {
        &after[balanced(after, '<', '>')?..]
    } else {
        after
    };
    let open = after.find('(')?;
    let inner_start = open + 1;
    let close = inner_start + balanced(&after[open..], '(', ')')? - 2;
    let params = split_top_level(&after[inner_start..close]);
    // `f(void)`: none.
    if params.len() == 1 && params[0].trim() == "void" {
        return Some(Arity {
            min: 0,
            max: Some(0),
        });
    }
    let (mut min, mut max) = (0u32, Some(0u32));
    for p in params {
        let p = p.trim();
        if p == "*" || p == "/" || !p.chars().any(char::is_alphanumeric) {
            continue; // keyword-only and positional-only markers, `','` pieces
        }
        let head = p.split([':', '=']).next().unwrap_or(p).trim();
        if p.contains("...") || p.starts_with('*') || p.starts_with("params ") {
            max = None; // *args, **kwargs, ...rest, T... args
            continue;
        }
        max = max.map(|m| m + 1);
        // The receiver (passed or not), a block (`&blk`), a default, an
        // optional (`x?: T`): not required.
        let optional = RECEIVERS.contains(&head)
            || RECEIVERS.contains(&p)
            || p.starts_with('&')
            || has_top_level(p, '=')
            || head.ends_with('?');
        if !optional {
            min += 1;
        }
    }
    Some(Arity { min, max })
}

/// The length of the balanced `open`...`close` group `text` starts with
/// (through the closing bracket), counting every bracket kind inside.
fn balanced(text: &str, open: char, close: char) -> Option<usize> {
    let mut depth = 0i32;
    let bytes = text.as_bytes();
    for (i, c) in text.char_indices() {
        // `->` and `=>` close nothing.
        if c == '>' && i > 0 && matches!(bytes[i - 1], b'-' | b'=') {
            continue;
        }
        if c == open {
            depth += 1;
        } else if c == close {
            depth -= 1;
            if depth == 0 {
                return Some(i + c.len_utf8());
            }
        }
    }
    None
}

/// Splits at commas outside brackets and `"`/`` ` `` strings. A `'` is
/// no quote here: it starts Rust lifetimes (`&'a str`) as often as
/// strings; a default such as `sep=','` splits into pieces without a
/// letter, which [`arity`] skips.
fn split_top_level(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '`') => quote = Some(c),
            (None, '(' | '[' | '{' | '<') => depth += 1,
            // `->` and `=>` close nothing.
            (None, '>') if i > 0 && matches!(text.as_bytes()[i - 1], b'-' | b'=') => {}
            (None, ')' | ']' | '}' | '>') => depth -= 1,
            (None, ',') if depth == 0 => {
                out.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&text[start..]);
    out
}

/// Whether `c` occurs in `text` outside brackets (`x: int = 1`, not the
/// `=` of `f: Callable[[int], x == y]`-like text inside a type).
fn has_top_level(text: &str, c: char) -> bool {
    let mut depth = 0i32;
    let bytes = text.as_bytes();
    for (i, ch) in text.char_indices() {
        match ch {
            '(' | '[' | '{' | '<' => depth += 1,
            '>' if i > 0 && matches!(bytes[i - 1], b'-' | b'=') => {}
            ')' | ']' | '}' | '>' => depth -= 1,
            _ if ch == c && depth == 0 => {
                // `==`, `=>`, `<=`, `>=`, `!=` are not defaults.
                let next = bytes.get(i + 1).copied();
                let prev = i.checked_sub(1).map(|j| bytes[j]);
                if next != Some(b'=')
                    && next != Some(b'>')
                    && !matches!(prev, Some(b'=' | b'<' | b'>' | b'!'))
                {
                    return true;
                }
            }
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(sig: &str, name: &str) -> Option<(u32, Option<u32>)> {
        arity(sig, name).map(|a| (a.min, a.max))
    }

    #[test]
    fn signatures_of_several_languages() {
        // Python: self may be passed or not; defaults, *args, markers.
        assert_eq!(
            range(
                "def get(self, url, params=None, *, timeout: float = 5.0)",
                "get"
            ),
            Some((1, Some(4)))
        );
        assert_eq!(range("def f(a, /, b, *args, **kw)", "f"), Some((2, None)));
        // Rust: &self, generics with bounds, closures in types.
        assert_eq!(
            range(
                "pub fn map<F: Fn(u32, u32) -> u32>(&self, f: F, extra: Vec<(u8, u8)>) -> u32",
                "map"
            ),
            Some((2, Some(3)))
        );
        // Go: the receiver comes before the name.
        assert_eq!(
            range("func (s *Server) Serve(l net.Listener) error", "Serve"),
            Some((1, Some(1)))
        );
        assert_eq!(
            range("func Printf(format string, a ...any)", "Printf"),
            Some((1, None))
        );
        // TypeScript: optional and rest parameters, arrow types.
        assert_eq!(
            range(
                "function on(event: string, cb?: (e: Event) => void, ...rest: any[])",
                "on"
            ),
            Some((1, None))
        );
        // Java varargs, C++ defaults.
        assert_eq!(
            range(
                "public static String join(String sep, String... parts)",
                "join"
            ),
            Some((1, None))
        );
        assert_eq!(
            range("int add(int a, int b = 2)", "add"),
            Some((1, Some(2)))
        );
        assert_eq!(range("def empty()", "empty"), Some((0, Some(0))));
        assert_eq!(range("int rand(void)", "rand"), Some((0, Some(0))));
        // Lifetimes are no quotes; a quoted comma is no separator.
        assert_eq!(
            range(
                "pub fn text_arg<'a>(name: &str, value: &'a str, max: usize) -> Result<&'a str, String>",
                "text_arg"
            ),
            Some((3, Some(3)))
        );
        assert_eq!(
            range(
                "fn strip_prefix<'a, P: AsRef<Path> + ?Sized>(prefix: &'a P, path: &'a Path)",
                "strip_prefix"
            ),
            Some((2, Some(2)))
        );
        assert_eq!(
            range("def join(items, sep=',')", "join"),
            Some((1, Some(2)))
        );
        assert_eq!(
            range("def each(a, b = 1, &blk)", "each"),
            Some((1, Some(3)))
        );
        // A cut signature gives no range.
        assert_eq!(range("def long(a, b,", "long"), None);
        assert_eq!(range("class Foo", "Foo"), None);
    }

    #[test]
    fn admits_counts_in_range() {
        let a = Arity {
            min: 1,
            max: Some(2),
        };
        assert!(!a.admits(0));
        assert!(a.admits(1) && a.admits(2));
        assert!(!a.admits(3));
        assert!(Arity { min: 0, max: None }.admits(40));
    }
}
