//! Type names as source code writes them, reduced to what resolution
//! looks up.

/// `&mut Foo<T>` → `Foo`; `models.User` → `models.User`;
/// `t.Optional[X]` → `t.Optional`; `Foo*` → `Foo`. The qualifier stays
/// ([`last_segment`] drops it).
pub fn clean_type(t: &str) -> &str {
    let mut t = t.trim();
    loop {
        let before = t;
        for prefix in ["&", "mut ", "*", "dyn ", "impl ", "const ", "[]", "?"] {
            t = t.strip_prefix(prefix).unwrap_or(t).trim_start();
        }
        if t == before {
            break;
        }
    }
    let end = t.find(['<', '[', '(', ' ', '{', '|']).unwrap_or(t.len());
    t[..end]
        .trim_end_matches("::")
        .trim_end_matches(['*', '&', '?'])
}

/// The last segment of a qualified name: `a::b::C` → `C`, `m.C` → `C`.
pub fn last_segment(s: &str) -> &str {
    let s = s.rsplit("::").next().unwrap_or(s);
    s.rsplit('.').next().unwrap_or(s)
}

/// The qualifier of a qualified name: `a::b::C` → `a::b`; `None` for a
/// bare name.
pub fn qualifier(s: &str) -> Option<&str> {
    if let Some((q, _)) = s.rsplit_once("::") {
        return Some(q);
    }
    s.rsplit_once('.').map(|(q, _)| q)
}

/// Whether `qualified` ends with the partly qualified `name` at a
/// separator (`Class.method` for `app.models.Class.method`, `mod::Type`);
/// `crate::a::f`, as written inside a crate, ends any crate's `a::f`.
pub fn ends_with_qualified(qualified: &str, name: &str) -> bool {
    let suffix = name.strip_prefix("crate::").unwrap_or(name);
    qualified
        .strip_suffix(suffix)
        .is_some_and(|head| head.ends_with('.') || head.ends_with("::"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qualified_suffixes_end_at_a_separator() {
        assert!(ends_with_qualified("app.models.User.save", "User.save"));
        assert!(ends_with_qualified("shop::store::Store", "store::Store"));
        assert!(ends_with_qualified(
            "shop::store::Store",
            "crate::store::Store"
        ));
        assert!(!ends_with_qualified(
            "app.models.SuperUser.save",
            "User.save"
        ));
        assert!(!ends_with_qualified("User.save", "User.save"));
    }

    #[test]
    fn cleans_types() {
        assert_eq!(clean_type("&mut Session<'a>"), "Session");
        assert_eq!(clean_type("models.User"), "models.User");
        assert_eq!(clean_type("*store.Store"), "store.Store");
        assert_eq!(clean_type("List<User>"), "List");
        assert_eq!(clean_type("Foo*"), "Foo");
        assert_eq!(last_segment(clean_type("std::sync::Arc<Foo>")), "Arc");
        assert_eq!(last_segment(clean_type("models.User")), "User");
        assert_eq!(qualifier("a::b::C"), Some("a::b"));
        assert_eq!(qualifier("C"), None);
    }
}
