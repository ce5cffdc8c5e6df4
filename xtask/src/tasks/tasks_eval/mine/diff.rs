//! `git diff -U0` parsed into hunks, and hunks attributed to definitions.

use super::defs::{Def, Lang};
use super::files::lang_of;

/// One hunk: `(start, count)` on each side, as in its `@@` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hunk {
    pub old: (usize, usize),
    pub new: (usize, usize),
    /// The `+`/`-` lines that are code (neither blank nor a comment), as
    /// `(added, line number on their side)`.
    pub code: Vec<(bool, usize)>,
}

impl Hunk {
    /// Whether the hunk changes code.
    pub fn substantive(&self) -> bool {
        !self.code.is_empty()
    }
}

/// The hunks of one file.
#[derive(Debug, Default)]
pub struct FileDiff {
    /// `None` for an added file.
    pub old_path: Option<String>,
    /// `None` for a deleted file.
    pub new_path: Option<String>,
    pub hunks: Vec<Hunk>,
}

impl FileDiff {
    /// Every hunk only touches blank lines and comments (a file without
    /// hunks — a pure rename, a mode change — is not).
    pub fn comment_only(&self) -> bool {
        !self.hunks.is_empty() && self.hunks.iter().all(|h| !h.substantive())
    }

    /// The hunks that change code.
    pub fn substantive(&self) -> impl Iterator<Item = &Hunk> {
        self.hunks.iter().filter(|h| h.substantive())
    }

    /// Counts lines as no code when `old(line)` (removed lines) or
    /// `new(line)` (added lines) says so: docstrings.
    pub fn ignore_lines(&mut self, old: impl Fn(usize) -> bool, new: impl Fn(usize) -> bool) {
        for h in &mut self.hunks {
            h.code
                .retain(|&(added, line)| !if added { new(line) } else { old(line) });
        }
    }
}

fn parse_range(s: &str) -> (usize, usize) {
    let s = &s[1..];
    match s.split_once(',') {
        Some((a, b)) => (a.parse().unwrap_or(0), b.parse().unwrap_or(0)),
        None => (s.parse().unwrap_or(0), 1),
    }
}

/// Whether a changed line is blank or a comment in the file's language
/// (`#` in Python; `//`, `/*` and a block comment's `* ` elsewhere). Python
/// docstrings count as code.
pub fn blank_or_comment(lang: Option<Lang>, line: &str) -> bool {
    let t = line.trim();
    if t.is_empty() {
        return true;
    }
    let slashes = || {
        t.starts_with("//")
            || t.starts_with("/*")
            || t.starts_with("*/")
            || t.starts_with("* ")
            || t == "*"
    };
    match lang {
        Some(Lang::Python) => t.starts_with('#'),
        Some(Lang::Go | Lang::Rust | Lang::Js) => slashes(),
        None => slashes() || (t.starts_with('#') && !t.starts_with("#[") && !t.starts_with("#!")),
    }
}

/// The files and hunks of a `git diff -U0` output (no context lines).
pub fn parse_diff(diff: &str) -> Vec<FileDiff> {
    let mut files: Vec<FileDiff> = Vec::new();
    let mut lang: Option<Lang> = None;
    // The line numbers of the next `-` and `+` line.
    let (mut old_line, mut new_line) = (0, 0);
    for line in diff.lines() {
        if line.starts_with("diff --git ") {
            files.push(FileDiff::default());
            lang = None;
            continue;
        }
        let Some(cur) = files.last_mut() else {
            continue;
        };
        let in_header = cur.hunks.is_empty();
        if in_header && let Some(p) = line.strip_prefix("--- ") {
            cur.old_path = p.strip_prefix("a/").map(str::to_owned);
            lang = cur.old_path.as_deref().and_then(lang_of);
        } else if in_header && let Some(p) = line.strip_prefix("+++ ") {
            cur.new_path = p.strip_prefix("b/").map(str::to_owned);
            lang = lang.or_else(|| cur.new_path.as_deref().and_then(lang_of));
        } else if line.starts_with("@@ ") {
            let mut it = line.split_whitespace().skip(1);
            let (Some(o), Some(n)) = (it.next(), it.next()) else {
                continue;
            };
            let (old, new) = (parse_range(o), parse_range(n));
            (old_line, new_line) = (old.0, new.0);
            cur.hunks.push(Hunk {
                old,
                new,
                code: Vec::new(),
            });
        } else if !in_header
            && let Some(added) = match line.as_bytes().first() {
                Some(b'+') => Some(true),
                Some(b'-') => Some(false),
                _ => None,
            }
            && let Some(h) = cur.hunks.last_mut()
        {
            let number = if added { &mut new_line } else { &mut old_line };
            if !blank_or_comment(lang, &line[1..]) {
                h.code.push((added, *number));
            }
            *number += 1;
        }
    }
    files
}

/// The innermost addressable (module- or class-level) definition that
/// satisfies `pred`; `None` inside an in-file test module.
fn innermost(defs: &[Def], pred: impl Fn(&Def) -> bool) -> Option<usize> {
    if defs.iter().any(|d| d.test_region && pred(d)) {
        return None;
    }
    defs.iter()
        .enumerate()
        .filter(|(_, d)| d.addressable && pred(d))
        .min_by_key(|(_, d)| (d.end - d.start, usize::MAX - d.start))
        .map(|(i, _)| i)
}

/// Indexes into `defs` of the definitions the ranges touch, in order of
/// first touch: every line of a range is attributed to its innermost
/// definition; a pure insertion (`count == 0`, after line `start`) only
/// when it falls strictly inside one.
pub fn touched_defs(defs: &[Def], ranges: &[(usize, usize)]) -> Vec<usize> {
    let mut out: Vec<usize> = Vec::new();
    let mut add = |i: Option<usize>| {
        if let Some(i) = i
            && !out.contains(&i)
        {
            out.push(i);
        }
    };
    for &(start, count) in ranges {
        if count == 0 {
            if start > 0 {
                add(innermost(defs, |d| d.start <= start && start < d.end));
            }
        } else {
            for l in start..start + count {
                add(innermost(defs, |d| d.start <= l && l <= d.end));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::defs::scan_defs;
    use super::*;

    const DIFF: &str = "diff --git a/src/a.py b/src/a.py
index 1..2 100644
--- a/src/a.py
+++ b/src/a.py
@@ -3,0 +4 @@ def f():
+    # a comment
@@ -8 +9 @@ def g():
-    return 1
+    return 2
diff --git a/x.go b/x.go
--- a/x.go
+++ b/x.go
@@ -2 +2 @@
-\t*p = 1
+\t*p = 2
diff --git a/new.rs b/new.rs
new file mode 100644
--- /dev/null
+++ b/new.rs
@@ -0,0 +1 @@
+// only a comment
";

    #[test]
    fn hunks_know_whether_they_change_code() {
        let files = parse_diff(DIFF);
        assert_eq!(files.len(), 3);
        assert_eq!(files[0].old_path.as_deref(), Some("src/a.py"));
        let subst: Vec<bool> = files[0].hunks.iter().map(Hunk::substantive).collect();
        assert_eq!(subst, [false, true]);
        assert_eq!(files[0].hunks[1].code, [(false, 8), (true, 9)]);
        assert_eq!(files[0].hunks[0].old, (3, 0));
        assert_eq!(files[0].hunks[1].new, (9, 1));
        // `*p = 1` is Go code, not a block comment line.
        assert!(!files[1].comment_only());
        assert_eq!(files[2].old_path, None);
        assert!(files[2].comment_only());
        // A docstring is no code either.
        let mut a = parse_diff(DIFF).remove(0);
        a.ignore_lines(|l| l == 8, |l| l == 9);
        assert!(a.comment_only());
    }

    #[test]
    fn comments_by_language() {
        assert!(blank_or_comment(Some(Lang::Python), "  # x"));
        assert!(!blank_or_comment(Some(Lang::Js), "#count = 0;"));
        assert!(blank_or_comment(Some(Lang::Js), " * @param x"));
        assert!(!blank_or_comment(Some(Lang::Go), "*p = x"));
        assert!(blank_or_comment(Some(Lang::Rust), "/// doc"));
        assert!(!blank_or_comment(Some(Lang::Rust), "#[inline]"));
    }

    #[test]
    fn lines_go_to_the_innermost_definition() {
        let src =
            "class A:\n    def f(self):\n        x = 1\n        return x\n\ndef g():\n    pass\n";
        let defs = scan_defs(Lang::Python, src);
        let names = |ranges: &[(usize, usize)]| -> Vec<String> {
            touched_defs(&defs, ranges)
                .into_iter()
                .map(|i| defs[i].qualname.clone())
                .collect()
        };
        assert_eq!(names(&[(3, 1)]), ["A.f"]);
        assert_eq!(names(&[(1, 1), (7, 1)]), ["A", "g"]);
        // An insertion after the last line of `f` is not inside it.
        assert_eq!(names(&[(4, 0)]), Vec::<String>::new());
        assert_eq!(names(&[(3, 0)]), ["A.f"]);
    }
}
