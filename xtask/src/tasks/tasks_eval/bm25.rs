//! The independent baseline: plain Okapi BM25 over whole source files
//! (k1 = 1.2, b = 0.75), with a tokenizer that splits identifiers. It reads
//! the working tree itself and shares nothing with codegraph's index: the
//! few dozen lines of Python an issue's reader would write first.

use std::collections::HashMap;
use std::path::Path;
use std::time::SystemTime;

pub const K1: f64 = 1.2;
pub const B: f64 = 0.75;

/// Extensions of the files the baseline ranks: source code.
const SOURCE_EXTS: &[&str] = &[
    "py", "pyi", "go", "rs", "ts", "tsx", "mts", "cts", "js", "jsx", "mjs", "cjs", "java", "kt",
    "c", "h", "cc", "cpp", "hpp", "cs", "rb", "php", "swift", "scala",
];

/// Directories never walked (besides hidden ones).
const SKIP_DIRS: &[&str] = &[
    "node_modules",
    "vendor",
    "target",
    "dist",
    "build",
    "__pycache__",
];

/// Largest file read, in bytes.
const MAX_FILE_BYTES: u64 = 1 << 20;

/// Lower-cased words of `text`: runs of letters and digits, identifiers
/// split at `_`, at lower-to-upper case changes (`parseDate` → `parse`,
/// `date`) and before the last capital of an acronym (`HTTPServer` →
/// `http`, `server`); words of one character are dropped.
pub fn tokenize(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for word in text.split(|c: char| !c.is_alphanumeric()) {
        let chars: Vec<char> = word.chars().collect();
        let mut start = 0;
        for i in 1..=chars.len() {
            let boundary = i == chars.len() || {
                let (prev, cur) = (chars[i - 1], chars[i]);
                let next_lower = chars.get(i + 1).is_some_and(|c| c.is_lowercase());
                (prev.is_lowercase() && cur.is_uppercase())
                    || (prev.is_uppercase() && cur.is_uppercase() && next_lower)
            };
            if boundary {
                if i - start > 1 {
                    out.push(chars[start..i].iter().collect::<String>().to_lowercase());
                }
                start = i;
            }
        }
    }
    out
}

/// One document: its length in tokens and its term frequencies.
#[derive(Debug, Clone, Default)]
pub struct Doc {
    pub len: usize,
    pub tf: HashMap<String, u32>,
}

impl Doc {
    pub fn new(text: &str) -> Doc {
        let tokens = tokenize(text);
        let mut tf: HashMap<String, u32> = HashMap::new();
        for t in &tokens {
            *tf.entry(t.clone()).or_default() += 1;
        }
        Doc {
            len: tokens.len(),
            tf,
        }
    }
}

/// Documents `(name, doc)` ranked for `query`, best first (ties by name);
/// documents without a query term are left out. Each distinct query term
/// counts once, weighted by the Lucene form of the IDF,
/// `ln(1 + (N − df + 0.5) / (df + 0.5))`.
pub fn rank<'a>(docs: &[(&'a str, &Doc)], query: &str) -> Vec<(&'a str, f64)> {
    let mut terms = tokenize(query);
    terms.sort();
    terms.dedup();
    let n = docs.len() as f64;
    if docs.is_empty() || terms.is_empty() {
        return Vec::new();
    }
    let avg_len = docs.iter().map(|(_, d)| d.len as f64).sum::<f64>() / n;
    let idf: Vec<f64> = terms
        .iter()
        .map(|t| {
            let df = docs.iter().filter(|(_, d)| d.tf.contains_key(t)).count() as f64;
            (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
        })
        .collect();
    let mut scored: Vec<(&str, f64)> = docs
        .iter()
        .filter_map(|&(name, d)| {
            let norm = K1 * (1.0 - B + B * d.len as f64 / avg_len.max(1e-9));
            let score: f64 = terms
                .iter()
                .zip(&idf)
                .filter_map(|(t, idf)| {
                    let tf = f64::from(*d.tf.get(t)?);
                    Some(idf * tf * (K1 + 1.0) / (tf + norm))
                })
                .sum();
            (score > 0.0).then_some((name, score))
        })
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    scored
}

/// The source files of a working tree as BM25 documents, cached across
/// calls by path, size and modification time (a tree moved between commits
/// re-reads only what changed).
#[derive(Debug, Default)]
pub struct FileCorpus {
    docs: HashMap<String, (u64, Option<SystemTime>, Doc)>,
}

impl FileCorpus {
    /// Walks `root` and brings the documents up to date.
    pub fn refresh(&mut self, root: &Path) -> std::io::Result<()> {
        let mut found: Vec<(String, std::fs::Metadata)> = Vec::new();
        walk(root, "", &mut found)?;
        let mut docs = HashMap::with_capacity(found.len());
        for (rel, meta) in found {
            let stamp = (meta.len(), meta.modified().ok());
            let doc = match self.docs.remove(&rel) {
                Some((len, mtime, doc)) if (len, mtime) == stamp => doc,
                _ => match std::fs::read(root.join(&rel)) {
                    Ok(bytes) => Doc::new(&String::from_utf8_lossy(&bytes)),
                    Err(_) => continue,
                },
            };
            docs.insert(rel, (stamp.0, stamp.1, doc));
        }
        self.docs = docs;
        Ok(())
    }

    /// Paths relative to the root, best first.
    pub fn rank(&self, query: &str) -> Vec<(String, f64)> {
        let docs: Vec<(&str, &Doc)> = self
            .docs
            .iter()
            .map(|(p, (_, _, d))| (p.as_str(), d))
            .collect();
        rank(&docs, query)
            .into_iter()
            .map(|(p, s)| (p.to_owned(), s))
            .collect()
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.docs.len()
    }
}

fn walk(
    dir: &Path,
    prefix: &str,
    out: &mut Vec<(String, std::fs::Metadata)>,
) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}/{name}")
        };
        let ft = entry.file_type()?;
        if ft.is_dir() {
            if !name.starts_with('.') && !SKIP_DIRS.contains(&name.as_str()) {
                walk(&entry.path(), &rel, out)?;
            }
        } else if ft.is_file() {
            let ext = name.rsplit_once('.').map_or("", |x| x.1);
            let meta = entry.metadata()?;
            if SOURCE_EXTS.contains(&ext) && meta.len() <= MAX_FILE_BYTES {
                out.push((rel, meta));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_split_identifiers() {
        assert_eq!(
            tokenize("parseDate(HTTPServer, max_line_length) x 42 utf8"),
            [
                "parse", "date", "http", "server", "max", "line", "length", "42", "utf8"
            ]
        );
        assert_eq!(tokenize("Ünïcode_straße"), ["ünïcode", "straße"]);
        assert!(tokenize("a . b").is_empty());
    }

    #[test]
    fn bm25_matches_the_formula() {
        let a = Doc::new("render table render");
        let b = Doc::new("parse config file now");
        let docs = [("a", &a), ("b", &b)];
        let ranked = rank(&docs, "render the table");
        assert_eq!(ranked.len(), 1, "b has no query term: {ranked:?}");
        // N = 2, df(render) = df(table) = 1: idf = ln(1 + 1.5 / 1.5) = ln 2.
        // avg len = 3.5; a's norm = 1.2 * (0.25 + 0.75 * 3 / 3.5).
        let norm = K1 * (1.0 - B + B * 3.0 / 3.5);
        let idf = 2f64.ln();
        let expect = idf * 2.0 * (K1 + 1.0) / (2.0 + norm) + idf * (K1 + 1.0) / (1.0 + norm);
        assert!(
            (ranked[0].1 - expect).abs() < 1e-12,
            "{ranked:?} vs {expect}"
        );
    }

    #[test]
    fn shorter_documents_and_rarer_terms_rank_higher() {
        let long = Doc::new("cache cache filler filler filler filler filler filler");
        let short = Doc::new("cache cache");
        let other = Doc::new("cache eviction");
        let docs = [("long", &long), ("short", &short), ("other", &other)];
        let names: Vec<&str> = rank(&docs, "cache").into_iter().map(|x| x.0).collect();
        // idf is the same for all; the shorter document with more hits wins,
        // and a long document's repeated term counts less than a short one's.
        assert_eq!(names, ["short", "other", "long"]);
        let names: Vec<&str> = rank(&docs, "cache eviction")
            .into_iter()
            .map(|x| x.0)
            .collect();
        assert_eq!(names[0], "other");
        // Repeating a query word changes nothing.
        assert_eq!(rank(&docs, "cache cache"), rank(&docs, "cache"));
        assert!(rank(&docs, "nothing").is_empty());
        assert!(rank(&[], "cache").is_empty());
    }

    #[test]
    fn the_corpus_reads_source_files_and_follows_changes() {
        let dir = std::env::temp_dir().join(format!("xtask-bm25-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("src")).unwrap();
        std::fs::create_dir_all(dir.join("node_modules/x")).unwrap();
        std::fs::create_dir_all(dir.join(".git")).unwrap();
        std::fs::write(dir.join("src/lexer.rs"), "fn next_token() {}").unwrap();
        std::fs::write(dir.join("src/parser.py"), "def parse_expr(): pass").unwrap();
        std::fs::write(dir.join("README.md"), "token parser").unwrap();
        std::fs::write(dir.join("node_modules/x/i.js"), "token").unwrap();
        std::fs::write(dir.join(".git/h.py"), "token").unwrap();
        let mut corpus = FileCorpus::default();
        corpus.refresh(&dir).unwrap();
        assert_eq!(corpus.len(), 2);
        let top: Vec<String> = corpus.rank("token").into_iter().map(|x| x.0).collect();
        assert_eq!(top, ["src/lexer.rs"]);
        std::fs::remove_file(dir.join("src/lexer.rs")).unwrap();
        std::fs::write(dir.join("src/parser.py"), "def parse_token(): pass").unwrap();
        corpus.refresh(&dir).unwrap();
        let top: Vec<String> = corpus.rank("token").into_iter().map(|x| x.0).collect();
        assert_eq!(top, ["src/parser.py"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
