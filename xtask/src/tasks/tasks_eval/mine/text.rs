//! Commit-message heuristics: noise subjects, issue references, query cleaning.

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

pub fn is_pr_merge_subject(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    l.starts_with("merge pull request #") || (l.starts_with("merge pr #"))
}

/// Conventional-commit prefix `type(scope)!:` -> (type, rest)
fn conventional(s: &str) -> Option<(String, &str)> {
    let colon = s.find(':')?;
    let head = &s[..colon];
    if head.is_empty() || head.len() > 40 || head.contains(' ') {
        return None;
    }
    let ty: String = head
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect::<String>()
        .to_ascii_lowercase();
    if ty.is_empty() {
        return None;
    }
    // component prefixes such as `ignore/types:` or `ignore,globset:`
    let comp_len = head
        .find('(')
        .unwrap_or(head.len())
        .min(head.find('!').unwrap_or(head.len()));
    let comp = &head[..comp_len];
    if !comp
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_/,.-".contains(c))
    {
        return None;
    }
    let after_ty = &head[comp_len..];
    let ok = after_ty.is_empty()
        || after_ty == "!"
        || (after_ty.starts_with('(') && (after_ty.ends_with(')') || after_ty.ends_with(")!")));
    if !ok {
        return None;
    }
    Some((ty, s[colon + 1..].trim_start()))
}

fn looks_like_version(s: &str) -> bool {
    let t = s.trim().trim_start_matches(['v', 'V']);
    !t.is_empty()
        && !t.contains(' ')
        && t.chars().any(|c| c.is_ascii_digit())
        && t.contains('.')
        && t.chars()
            .filter(|c| c.is_ascii_digit() || *c == '.')
            .count()
            * 2
            >= t.len()
}

/// Some(reason) when the subject marks a commit that is not a code change task.
pub fn noise_subject(subject: &str) -> Option<&'static str> {
    let s = subject.trim();
    let l = s.to_ascii_lowercase();
    if noise_conventional_type(s) {
        return Some("noise-conventional-type");
    }
    if has_noise_word(&l) || noise_first_word(&l) || refactor_wording(s) {
        return Some("noise-subject-word");
    }
    if version_subject(s) {
        return Some("version-subject");
    }
    if has_noise_phrase(&l) {
        return Some("noise-subject-phrase");
    }
    None
}

/// A conventional-commit type that is not a code change (`chore:`, `docs:`, …).
fn noise_conventional_type(s: &str) -> bool {
    conventional(s).is_some_and(|(ty, _)| {
        matches!(
            ty.as_str(),
            "chore"
                | "docs"
                | "doc"
                | "ci"
                | "build"
                | "style"
                | "test"
                | "tests"
                | "release"
                | "revert"
                | "deps"
                | "bump"
                | "typo"
                | "lint"
                | "example"
                | "examples"
                | "bench"
                | "changelog"
                | "meta"
                | "refactor"
                | "refactoring"
        )
    })
}

/// A word anywhere in the lowercased subject that marks typo, docs or dependency work.
fn has_noise_word(l: &str) -> bool {
    l.split(|c: char| !c.is_ascii_alphanumeric()).any(|w| {
        matches!(
            w,
            "typo"
                | "typos"
                | "spelling"
                | "misspelling"
                | "misspellings"
                | "grammar"
                | "docstring"
                | "docstrings"
                | "dependabot"
                | "changelog"
        )
    })
}

/// A first word of the lowercased subject that marks a release, docs or cleanup commit.
fn noise_first_word(l: &str) -> bool {
    let first = l
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '-')
        .find(|w| !w.is_empty())
        .unwrap_or("");
    matches!(
        first,
        "bump"
            | "release"
            | "revert"
            | "changelog"
            | "typo"
            | "typos"
            | "docs"
            | "doc"
            | "readme"
            | "lint"
            | "format"
            | "reformat"
            | "prepare"
            | "version"
            | "wip"
            | "merge"
            | "ci"
            | "cleanup"
            | "chore"
            | "refactor"
            | "rename"
            | "simplify"
            | "tidy"
            | "clean"
            | "reorganize"
            | "reorganise"
    )
}

/// Refactor-ish wording at the start of the subject (after any component prefix).
fn refactor_wording(s: &str) -> bool {
    let stripped = strip_subject(s).to_ascii_lowercase();
    stripped
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(2)
        .any(|w| {
            matches!(
                w,
                "refactor"
                    | "refactoring"
                    | "rename"
                    | "renamed"
                    | "simplify"
                    | "simplified"
                    | "cleanup"
                    | "tidy"
                    | "reformat"
                    | "typo"
                    | "typos"
                    | "docs"
                    | "doc"
                    | "comment"
                    | "comments"
            )
        })
}

/// A subject that is a version number, or `name-<version>` without spaces.
fn version_subject(s: &str) -> bool {
    looks_like_version(s)
        || s.rsplit_once('-')
            .map(|x| looks_like_version(x.1))
            .unwrap_or(false)
            && !s.contains(' ')
}

/// A phrase in the lowercased subject that marks changelog, dependency, CI, docs or test chores.
fn has_noise_phrase(l: &str) -> bool {
    [
        "update changelog",
        "update changes",
        "changelog",
        "update dependencies",
        "update dependency",
        "upgrade dependencies",
        "[pre-commit.ci]",
        "pre-commit autoupdate",
        "fix typo",
        "fix typos",
        "fix docs",
        "fix documentation",
        "fix ci",
        "fix lint",
        "fix the build",
        "fix build",
        "update readme",
        "update docs",
        "add tests",
        "add test",
        "fix test",
        "fix tests",
        "flaky test",
        "update copyright",
    ]
    .iter()
    .any(|pat| l.contains(pat))
}

/// Is a commit message from inside a merged PR branch worth adding to the query?
pub fn informative_branch_commit(msg: &str) -> bool {
    let subject = msg.lines().next().unwrap_or("").trim();
    let has_body = msg.lines().skip(1).any(|l| {
        let t = l.trim().to_ascii_lowercase();
        !t.is_empty() && !TRAILERS.iter().any(|p| t.starts_with(p))
    });
    if noise_subject(subject).is_some() {
        return false;
    }
    let l = subject.to_ascii_lowercase();
    let words: Vec<&str> = l
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    if words.iter().any(|w| {
        matches!(
            *w,
            "test"
                | "tests"
                | "testing"
                | "changelog"
                | "typo"
                | "typos"
                | "lint"
                | "linting"
                | "format"
                | "formatting"
                | "fmt"
                | "bump"
                | "review"
                | "docs"
                | "docstring"
                | "docstrings"
                | "readme"
                | "merge"
                | "mypy"
                | "ruff"
                | "black"
                | "isort"
                | "coverage"
                | "ci"
                | "wip"
                | "spelling"
                | "comment"
                | "comments"
                | "cleanup"
        )
    }) {
        return false;
    }
    if l.contains(".py")
        || l.contains(".md")
        || l.contains(".rs")
        || l.contains(".go")
        || l.contains(".ts")
        || l.contains(".js")
    {
        return false;
    }
    words.len() >= 4 || has_body
}

/// `#123`, `GH-123`, `owner/repo#123` and github issue/pull URLs.
pub fn issue_refs(msg: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let b: Vec<char> = msg.chars().collect();
    let mut push = |s: String| {
        if !out.contains(&s) {
            out.push(s)
        }
    };
    let mut i = 0;
    while i < b.len() {
        if b[i] == '#' && (i == 0 || !(b[i - 1].is_alphanumeric() || b[i - 1] == '&')) {
            let digits: String = b[i + 1..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .collect();
            if !digits.is_empty() && digits.len() <= 7 {
                push(format!("#{digits}"));
            }
        }
        i += 1;
    }
    let lower = msg.to_ascii_lowercase();
    let mut from = 0;
    while let Some(p) = lower[from..].find("gh-") {
        let start = from + p + 3;
        let digits: String = lower[start..]
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        if !digits.is_empty() {
            push(format!("#{digits}"));
        }
        from = start;
    }
    for key in ["/issues/", "/pull/"] {
        let mut from = 0;
        while let Some(p) = lower[from..].find(key) {
            let start = from + p + key.len();
            let digits: String = lower[start..]
                .chars()
                .take_while(|c| c.is_ascii_digit())
                .collect();
            if !digits.is_empty() && lower[..from + p].contains("github.com") {
                push(format!("#{digits}"));
            }
            from = start;
        }
    }
    out
}

const FIX_WORDS: &[&str] = &[
    "fix",
    "fixes",
    "fixed",
    "fixing",
    "bug",
    "bugs",
    "bugfix",
    "hotfix",
    "crash",
    "crashes",
    "crashed",
    "panic",
    "panics",
    "regression",
    "broken",
    "breaks",
    "incorrect",
    "incorrectly",
    "wrong",
    "wrongly",
    "mistakenly",
    "erroneous",
    "erroneously",
    "resolve",
    "resolves",
    "resolved",
    "closes",
    "workaround",
    "fail",
    "fails",
    "failing",
    "failed",
    "failure",
    "error",
    "errors",
    "exception",
    "hang",
    "hangs",
    "leak",
    "leaks",
    "overflow",
    "mishandled",
    "unexpected",
    "unexpectedly",
    "issue",
    "prevent",
    "avoid",
];

pub fn indicates_fix(msg: &str) -> bool {
    let subject = msg.lines().next().unwrap_or("");
    if let Some((ty, _)) = conventional(subject)
        && (ty == "fix" || ty == "bugfix" || ty == "hotfix")
    {
        return true;
    }
    msg.to_ascii_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|w| FIX_WORDS.contains(&w))
}

/// Subject without conventional prefix, PR refs and punctuation, lower-cased.
pub fn normalise_subject(subject: &str) -> String {
    let s = strip_subject(subject).to_lowercase();
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Remove conventional-commit prefix and trailing `(#123)` groups.
pub fn strip_subject(subject: &str) -> String {
    let mut s = subject.trim().to_string();
    if let Some((_, rest)) = conventional(&s) {
        s = rest.to_string();
    }
    loop {
        let t = s.trim_end();
        if t.ends_with(')')
            && let Some(open) = t.rfind("(#")
        {
            let inner = &t[open + 2..t.len() - 1];
            if !inner.is_empty() && inner.chars().all(|c| c.is_ascii_digit()) {
                s = t[..open].trim_end().to_string();
                continue;
            }
        }
        break;
    }
    s.trim().to_string()
}

const TRAILERS: &[&str] = &[
    "signed-off-by:",
    "co-authored-by:",
    "co-authored by:",
    "reviewed-by:",
    "acked-by:",
    "tested-by:",
    "reported-by:",
    "suggested-by:",
    "helped-by:",
    "cc:",
    "change-id:",
    "pr-url:",
    "reviewed-on:",
    "pr close url:",
    "(cherry picked from commit",
    "this reverts commit",
    "git-svn-id:",
    "closes:",
    "fixes:",
    "ref:",
    "refs:",
    "see:",
    "pr:",
    "issue:",
    "backport of",
    "original pr",
];

const NOISE_BULLET: &[&str] = &[
    "changelog",
    "changes.md",
    "changes.rst",
    "news fragment",
    "newsfragment",
    "apply suggestion",
    "merge branch",
    "merge remote-tracking",
    "merge pull request",
    "pre-commit",
    "code review",
    "review comment",
    "address review",
    "address feedback",
    "addressed review",
    "fix lint",
    "linting",
    "formatting",
    "typo",
    "bump version",
    "auto fixes",
    "autofix",
    "update readme",
];

const GENERIC_HEADINGS: &[&str] = &[
    "summary",
    "description",
    "changes",
    "what",
    "why",
    "how",
    "motivation",
    "context",
    "details",
    "problem",
    "solution",
    "fix",
    "the fix",
    "overview",
    "background",
    "proposed changes",
    "what does this pr do",
    "what does this pr do?",
    "what is the change",
    "description of changes",
    "pull request description",
];

const DROP_SECTIONS: &[&str] = &[
    "checklist",
    "type of change",
    "how has this been tested",
    "test plan",
    "testing",
    "tests",
    "pr checklist",
    "related issue",
    "related issues",
    "related",
    "screenshots",
    "checks",
    "additional notes",
    "notes for reviewers",
    "reviewer notes",
    "ai disclosure",
    "breaking changes",
    "does this pr introduce a breaking change",
    "other information",
    "pull request checklist",
];

fn is_reference_only(line: &str) -> bool {
    let l = line.to_ascii_lowercase();
    let mut rest = String::new();
    for w in l.split_whitespace() {
        let w2 = w.trim_matches(|c: char| !c.is_alphanumeric() && c != '#' && c != '/');
        if w.starts_with("http://") || w.starts_with("https://") {
            continue;
        }
        if matches!(
            w2,
            "fix"
                | "fixes"
                | "fixed"
                | "close"
                | "closes"
                | "closed"
                | "resolve"
                | "resolves"
                | "resolved"
                | "ref"
                | "refs"
                | "see"
                | "issue"
                | "issues"
                | "pr"
                | "related"
                | "to"
                | "and"
                | "also"
                | "part"
                | "of"
                | ""
                | "cc"
                | "follow-up"
                | "followup"
                | "addresses"
                | "address"
                | "for"
                | "re"
                | "in"
                | "upstream"
                | "bug"
        ) {
            continue;
        }
        if (w2.starts_with('#') || w2.starts_with("gh-") || w2.contains('#'))
            && w2.chars().any(|c| c.is_ascii_digit())
        {
            continue;
        }
        rest.push_str(w2);
    }
    rest.is_empty()
}

/// Subject (stripped) + body with trailers, PR-template noise, squash noise
/// bullets, bare reference lines and HTML comments removed.
pub fn clean_query(msg: &str) -> String {
    // strip HTML comments
    let mut s = String::new();
    let mut rest = msg;
    while let Some(p) = rest.find("<!--") {
        s.push_str(&rest[..p]);
        match rest[p..].find("-->") {
            Some(e) => rest = &rest[p + e + 3..],
            None => {
                rest = "";
            }
        }
    }
    s.push_str(rest);

    let mut lines = s.lines();
    let subject = strip_subject(lines.next().unwrap_or(""));
    let subject_norm = normalise_subject(&subject);
    let mut out: Vec<String> = vec![subject.clone()];
    let mut dropping_section = false;
    let mut in_fence = false;
    for raw in lines {
        let line = raw.trim_end();
        let t = line.trim();
        let l = t.to_ascii_lowercase();
        if t.starts_with("```") {
            in_fence = !in_fence;
        }
        if !in_fence && t.starts_with('#') && t.trim_start_matches('#').starts_with(' ') {
            let h = l
                .trim_start_matches('#')
                .trim()
                .trim_end_matches(':')
                .trim()
                .to_string();
            let h = h.trim_end_matches('?').trim();
            dropping_section = DROP_SECTIONS.iter().any(|d| h.starts_with(d));
            if dropping_section || GENERIC_HEADINGS.contains(&h) {
                continue;
            }
        }
        if dropping_section {
            continue;
        }
        if TRAILERS.iter().any(|p| l.starts_with(p)) {
            continue;
        }
        if !t.is_empty()
            && t.chars()
                .all(|c| c == '-' || c == '=' || c == '*' || c == '_')
        {
            continue;
        }
        if l.starts_with("- [ ]")
            || l.starts_with("- [x]")
            || l.starts_with("* [ ]")
            || l.starts_with("* [x]")
            || l.starts_with("[ ]")
            || l.starts_with("[x]")
        {
            continue;
        }
        let bullet = t.strip_prefix("* ").or_else(|| t.strip_prefix("- "));
        if let Some(b) = bullet {
            let bl = b.to_ascii_lowercase();
            if NOISE_BULLET.iter().any(|p| bl.contains(p)) || b.trim().chars().count() < 12 {
                continue;
            }
            if normalise_subject(b) == subject_norm {
                continue;
            }
        }
        if !t.is_empty() && is_reference_only(t) {
            continue;
        }
        if normalise_subject(t) == subject_norm && !t.is_empty() {
            continue;
        }
        let lower = l.as_str();
        if lower.starts_with("thank you for") || lower.starts_with("please read") {
            continue;
        }
        out.push(line.to_string());
    }
    // collapse blank runs
    let mut res: Vec<String> = Vec::new();
    for l in out {
        if l.trim().is_empty()
            && res
                .last()
                .map(|x: &String| x.trim().is_empty())
                .unwrap_or(true)
        {
            continue;
        }
        res.push(l);
    }
    while res.last().map(|x| x.trim().is_empty()).unwrap_or(false) {
        res.pop();
    }
    let mut q = res.join("\n").trim().to_string();
    if q.chars().count() > 4000 {
        q = q.chars().take(4000).collect();
    }
    q
}

/// Whole-token occurrence of `needle` in `hay` (identifier boundaries).
fn token_in(hay: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return false;
    }
    let mut from = 0;
    while let Some(p) = hay[from..].find(needle) {
        let s = from + p;
        let e = s + needle.len();
        let before_ok = hay[..s]
            .chars()
            .next_back()
            .map(|c| !is_ident_char(c))
            .unwrap_or(true);
        let after_ok = hay[e..]
            .chars()
            .next()
            .map(|c| !is_ident_char(c))
            .unwrap_or(true);
        if before_ok && after_ok {
            return true;
        }
        from = s + needle.len().max(1);
        while !hay.is_char_boundary(from) {
            from += 1;
        }
    }
    false
}

/// Does the query name the file (full path, or basename with extension)?
pub fn mentions_path(query: &str, path: &str) -> bool {
    let q = query.to_lowercase();
    let p = path.to_lowercase();
    if q.contains(&p) {
        return true;
    }
    let base = p.rsplit('/').next().unwrap_or(&p);
    let mut from = 0;
    while let Some(i) = q[from..].find(base) {
        let s = from + i;
        let e = s + base.len();
        let before_ok = q[..s]
            .chars()
            .next_back()
            .map(|c| !(c.is_alphanumeric() || c == '_' || c == '-' || c == '.'))
            .unwrap_or(true);
        let after_ok = q[e..]
            .chars()
            .next()
            .map(|c| !is_ident_char(c))
            .unwrap_or(true);
        if before_ok && after_ok {
            return true;
        }
        from = e;
    }
    false
}

/// Case-sensitive identifier mention (names shorter than 4 chars are ignored).
pub fn mentions_ident(query: &str, name: &str) -> bool {
    name.chars().count() >= 4 && token_in(query, name)
}
