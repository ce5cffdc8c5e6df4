//! Return types read off function signatures, by shape (see
//! [`ReturnTypeShape`]); which shapes a language uses is a row of the
//! language table.

use crate::{Language, ReturnTypeShape};

/// The return type of function `name` in `signature` if it has `shape`.
pub(crate) fn return_type<'s>(
    shape: ReturnTypeShape,
    signature: &'s str,
    name: &str,
    language: &Language,
) -> Option<&'s str> {
    let non_empty = |t: &'s str| (!t.is_empty()).then_some(t);
    match shape {
        ReturnTypeShape::Arrow => {
            let (_, ret) = signature.rsplit_once("->")?;
            let ret = ret.trim().trim_end_matches(':').trim();
            non_empty(ret.split(" where ").next().unwrap_or(ret))
        }
        ReturnTypeShape::Colon => {
            let after = after_params(signature, name)?;
            let ts = after.strip_prefix(':')?;
            non_empty(ts.trim().trim_end_matches('{').trim())
        }
        ReturnTypeShape::AfterParams => {
            let after = after_params(signature, name)?;
            let first = after
                .trim_start_matches('(')
                .split([',', ')', '{'])
                .next()?
                .trim();
            // An error union (Zig `!T`, `E!T`) holds a T.
            non_empty(first.rsplit('!').next().unwrap_or(first).trim())
        }
        ReturnTypeShape::BeforeName => {
            let open = signature.find(&format!("{name}("))?;
            let before = signature[..open].trim_end();
            let word = before
                .rsplit([' ', '\t'])
                .next()?
                .trim_end_matches(['*', '&']);
            let word = word.rsplit("::").next().unwrap_or(word);
            (!word.is_empty() && !language.is_keyword(word)).then_some(word)
        }
    }
}

/// The text after the parameter list of `name(...)`, trimmed.
fn after_params<'s>(signature: &'s str, name: &str) -> Option<&'s str> {
    let open = signature.find(&format!("{name}("))? + name.len();
    let mut depth = 0i32;
    for (i, c) in signature[open..].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(signature[open + i + 1..].trim());
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use crate::Registry;

    fn ret<'s>(language: &str, signature: &'s str, name: &str) -> Option<&'s str> {
        Registry::builtin()
            .by_name(language)
            .unwrap()
            .return_type(signature, name)
    }

    #[test]
    fn return_types_from_signatures() {
        assert_eq!(
            ret("rust", "pub fn new(store: S) -> Self", "new"),
            Some("Self")
        );
        assert_eq!(ret("rust", "pub fn run(&self)", "run"), None);
        assert_eq!(
            ret("python", "def get(self, id) -> t.Optional[User]:", "get"),
            Some("t.Optional[User]")
        );
        assert_eq!(
            ret(
                "go",
                "func NewUserService(r store.Store) *UserService",
                "NewUserService"
            ),
            Some("*UserService")
        );
        assert_eq!(
            ret("go", "func (s *S) Find(id int) (*User, error)", "Find"),
            Some("*User")
        );
        assert_eq!(
            ret(
                "java",
                "public User addUser(long id, String name)",
                "addUser"
            ),
            Some("User")
        );
        assert_eq!(ret("java", "public void log(String m)", "log"), None);
        assert_eq!(
            ret(
                "typescript",
                "findUser(id: number): User | undefined",
                "findUser"
            ),
            Some("User | undefined")
        );
        assert_eq!(ret("cpp", "auto make() -> Widget", "make"), Some("Widget"));
        assert_eq!(ret("cpp", "Widget* make(int n)", "make"), Some("Widget"));
        assert_eq!(ret("javascript", "function f(a, b) {", "f"), None);
        assert_eq!(
            ret("zig", "pub fn init(name: []const u8) !User", "init"),
            Some("User")
        );
        assert_eq!(
            ret("zig", "fn open(a: Allocator) Error!*Store", "open"),
            Some("*Store")
        );
    }
}
