//! Every kind codegraph names, as an enum with one string form: the text
//! stored in the index, shown in JSON and accepted on input.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Declares a kind enum whose variants each have one string form, used by
/// `as_str`, `Display`, `FromStr` and serde alike.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name { $($(#[$vmeta])* #[serde(rename = $text)] $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The string forms of every value, in declaration order.
            pub const NAMES: &'static [&'static str] = &[$($text),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownKind;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownKind {
                        what: stringify!($name),
                        value: s.to_owned(),
                        expected: $name::NAMES,
                    }),
                }
            }
        }
    };
}

/// A text that is not one of a kind enum's string forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownKind {
    /// The enum's name (`DefKind`).
    pub what: &'static str,
    pub value: String,
    /// The string forms that are accepted.
    pub expected: &'static [&'static str],
}

impl fmt::Display for UnknownKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown kind `{}` (expected one of: {})",
            self.value,
            self.expected.join(", ")
        )
    }
}

impl std::error::Error for UnknownKind {}

string_enum! {
    /// The kind of a definition, from the `@definition.<kind>` capture.
    DefKind {
        Function => "function",
        Method => "method",
        Class => "class",
        Struct => "struct",
        Enum => "enum",
        Union => "union",
        Interface => "interface",
        Trait => "trait",
        Module => "module",
        Type => "type",
        Macro => "macro",
        Constant => "constant",
        /// Module-level (or static) mutable state: a global variable, a
        /// module attribute, a static field.
        Variable => "variable",
    }
}

impl DefKind {
    /// Types that have members: they get an outline chunk, and functions
    /// directly inside them are methods.
    pub fn is_type_like(self) -> bool {
        matches!(
            self,
            DefKind::Class
                | DefKind::Struct
                | DefKind::Enum
                | DefKind::Union
                | DefKind::Interface
                | DefKind::Trait
        )
    }

    /// Types, type-like or aliases: what a type annotation can name.
    pub fn is_type(self) -> bool {
        self.is_type_like() || self == DefKind::Type
    }

    /// Functions and methods: one chunk each.
    pub fn is_callable(self) -> bool {
        matches!(self, DefKind::Function | DefKind::Method | DefKind::Macro)
    }
}

string_enum! {
    /// What a chunk holds.
    ChunkKind {
        /// A function or method (or one part of a long one).
        Function => "function",
        /// A type's signature with its members' bodies elided.
        Outline => "outline",
        /// Top-level code between definitions.
        Code => "code",
        /// A Markdown section, split at headings.
        Section => "section",
        /// A window of lines of a file without function structure.
        Text => "text",
    }
}

string_enum! {
    /// How a type relates to its base.
    Relation {
        Extends => "extends",
        Implements => "implements",
    }
}

string_enum! {
    /// What a reference site does with the name it names.
    RefKind {
        /// Calls it: `f(x)`, `obj.m()`, `new T()`.
        Call => "call",
        /// Uses it as a decorator, annotation or attribute without calling
        /// it: `@setupmethod`, `@Override`, `#[derive(Debug)]`.
        Decorator => "decorator",
    }
}

// The enum comes from a macro, which cannot take `#[default]`.
#[allow(clippy::derivable_impls)]
impl Default for RefKind {
    fn default() -> Self {
        RefKind::Call
    }
}

string_enum! {
    /// The kind of a graph edge.
    EdgeKind {
        /// Structure: repository → directory → file, type → member.
        Contains => "contains",
        /// A file defines a top-level definition.
        Defines => "defines",
        Imports => "imports",
        Calls => "calls",
        Inherits => "inherits",
        Implements => "implements",
        /// A use that is not a call: a decorator, annotation or attribute.
        References => "references",
    }
}

impl EdgeKind {
    /// Edges found by resolving references (they carry a provenance), as
    /// opposed to the structural ones.
    pub fn is_reference(self) -> bool {
        !matches!(self, EdgeKind::Contains | EdgeKind::Defines)
    }
}

string_enum! {
    /// How sure an edge is.
    Provenance {
        /// Proved by scope, an import or a known type.
        Resolved => "resolved",
        /// The only definition of that name in the repository.
        Inferred => "inferred",
    }
}

string_enum! {
    /// Why a path was not indexed.
    SkipReason {
        /// Inside a directory excluded by name (`node_modules`, `target`, ...).
        ExcludedDir => "excluded_dir",
        /// A symbolic link (not followed).
        Symlink => "symlink",
        /// A symbolic link leading outside the repository (never followed).
        SymlinkOutsideRoot => "symlink_outside_root",
        /// A file or directory name that is not UTF-8 (paths are stored as
        /// text; two such names must never merge into one).
        NonUtf8Name => "non_utf8_name",
        /// A FIFO, socket or device.
        NotARegularFile => "not_a_regular_file",
        SymlinkLoop => "symlink_loop",
        /// Permission denied.
        Unreadable => "unreadable",
        /// Gone between the walk and the read.
        Vanished => "vanished",
        WalkError => "walk_error",
        IoError => "io_error",
        /// A lock file, or marked as generated.
        Generated => "generated",
        Minified => "minified",
        /// No language for this file.
        UnknownType => "unknown_type",
        /// A language the settings leave out (`[index] languages` in
        /// `.codegraph.toml`, `IndexOptions::languages`).
        LanguageExcluded => "language_excluded",
        TooLarge => "too_large",
        Binary => "binary",
        /// The parser panicked.
        ParseFailed => "parse_failed",
        /// A directory whose ignore file (`.gitignore`, `.ignore`,
        /// `.codegraphignore`) is too large to honour: each pattern costs
        /// about 20 KB and 0.2 ms to compile. At the root, the ignore
        /// files are not honoured instead (and the file is listed).
        IgnoreFileTooLarge => "ignore_file_too_large",
    }
}

string_enum! {
    /// What a watcher is doing, as `codegraph status` shows it.
    WatcherStatus {
        Starting => "starting",
        Idle => "idle",
        Updating => "updating",
        Stopped => "stopped",
        /// Its process died without stopping.
        Dead => "dead",
    }
}

string_enum! {
    /// Why a watcher applied an update.
    UpdateCause {
        /// The catch-up run when the watcher starts.
        Startup => "startup",
        /// Files changed while watching.
        Change => "change",
        /// A reader found part of the index damaged; the update rebuilt it.
        Repair => "repair",
    }
}

string_enum! {
    /// Why completion context returned a structure.
    ReasonKind {
        /// The cursor's code uses a variable of this type as a receiver.
        Receiver => "receiver",
        /// A variable of this type.
        Variable => "variable",
        /// A type named or constructed.
        Type => "type",
        /// A function called.
        Call => "call",
        /// A name imported.
        Imported => "imported",
        /// A base of the enclosing type.
        Base => "base",
        /// The type enclosing the cursor.
        Enclosing => "enclosing",
    }
}

/// Why completion context returned a structure: the kind of use and the
/// name at the cursor it came from. Its one string form is
/// `receiver userService`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContextReason {
    pub kind: ReasonKind,
    pub name: String,
}

impl ContextReason {
    pub fn new(kind: ReasonKind, name: impl Into<String>) -> ContextReason {
        ContextReason {
            kind,
            name: name.into(),
        }
    }
}

impl fmt::Display for ContextReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind, self.name)
    }
}

impl FromStr for ContextReason {
    type Err = UnknownKind;
    fn from_str(s: &str) -> Result<Self, UnknownKind> {
        let (kind, name) = s.split_once(' ').unwrap_or((s, ""));
        Ok(ContextReason::new(kind.parse()?, name))
    }
}

impl Serialize for ContextReason {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ContextReason {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_through_its_one_string_form() {
        for k in DefKind::ALL {
            assert_eq!(k.as_str().parse::<DefKind>(), Ok(*k));
            assert_eq!(
                serde_json::to_string(k).unwrap(),
                format!("\"{}\"", k.as_str())
            );
        }
        for k in SkipReason::ALL {
            assert_eq!(k.as_str().parse::<SkipReason>(), Ok(*k));
            let back: SkipReason = serde_json::from_str(&format!("\"{}\"", k.as_str())).unwrap();
            assert_eq!(back, *k);
        }
        assert_eq!(EdgeKind::NAMES.len(), EdgeKind::ALL.len());
    }

    #[test]
    fn an_unknown_kind_lists_the_valid_ones() {
        let err = "funtion".parse::<DefKind>().unwrap_err();
        let text = err.to_string();
        assert!(text.contains("`funtion`"), "{text}");
        assert!(text.contains("function, method"), "{text}");
        assert_eq!(err.what, "DefKind");
    }

    #[test]
    fn a_context_reason_is_one_string() {
        let r = ContextReason::new(ReasonKind::Receiver, "userService");
        assert_eq!(r.to_string(), "receiver userService");
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            "\"receiver userService\""
        );
        assert_eq!("receiver userService".parse::<ContextReason>(), Ok(r));
        assert!("because x".parse::<ContextReason>().is_err());
    }

    #[test]
    fn union_is_type_like_everywhere() {
        assert!(DefKind::Union.is_type_like());
        assert!(DefKind::Union.is_type());
        assert!(DefKind::Type.is_type() && !DefKind::Type.is_type_like());
    }
}

string_enum! {
    /// What a file is for, judged from its path alone (see
    /// [`PathRole::of`]): rankings damp everything but `source`.
    PathRole {
        /// Code of the product itself.
        Source => "source",
        /// Tests: under `test/`, `tests/`, `__tests__/`, `spec/`, or named
        /// `test_*`, `*_test.*`, `*.test.*`, `*.spec.*`, `*_spec.*`,
        /// `*Test.*`, `*Tests.*`, `conftest.*`.
        Test => "test",
        /// Examples, demos, samples, benchmarks and documentation code.
        Example => "example",
        /// Test data: under `fixtures/`, `testdata/`, `__fixtures__/`,
        /// `__snapshots__/`.
        Fixture => "fixture",
        /// Code copied in from elsewhere: `vendor/`, `third_party/`,
        /// `node_modules/`, ...
        Vendored => "vendored",
        /// Generated code: `*_pb2.py`, `*.pb.go`, `*.generated.*`,
        /// `*.g.dart`, `*.min.js`, ...
        Generated => "generated",
    }
}

impl PathRole {
    /// The role of a repository-relative path (`/`-separated). Directory
    /// names decide first (the outermost telling one wins), then the file
    /// name.
    pub fn of(path: &str) -> PathRole {
        let mut parts = path.split('/').peekable();
        while let Some(part) = parts.next() {
            if parts.peek().is_none() {
                return Self::of_file_name(part);
            }
            let dir = part.to_ascii_lowercase();
            let role = match dir.as_str() {
                "test" | "tests" | "__tests__" | "spec" | "specs" | "testing" | "unittests"
                | "integration_tests" | "e2e" => PathRole::Test,
                "fixtures" | "fixture" | "testdata" | "test_data" | "__fixtures__"
                | "__snapshots__" | "__mocks__" | "snapshots" => PathRole::Fixture,
                "example" | "examples" | "demo" | "demos" | "sample" | "samples" | "docs"
                | "doc" | "benchmarks" | "benches" | "bench" | "tutorial" | "tutorials" => {
                    PathRole::Example
                }
                "vendor" | "vendored" | "_vendor" | "third_party" | "thirdparty"
                | "third-party" | "node_modules" | "bower_components" | "extern" => {
                    PathRole::Vendored
                }
                "generated" | "__generated__" | "gen" => PathRole::Generated,
                _ => continue,
            };
            return role;
        }
        PathRole::Source
    }

    fn of_file_name(name: &str) -> PathRole {
        let (stem, _) = name.split_once('.').unwrap_or((name, ""));
        let lower = name.to_ascii_lowercase();
        let lower_stem = stem.to_ascii_lowercase();
        let generated = lower.contains("_pb2.")
            || lower.contains("_pb2_grpc.")
            || lower.contains(".pb.")
            || lower.contains(".generated.")
            || lower.contains("_generated.")
            || lower.ends_with(".g.dart")
            || lower.ends_with(".freezed.dart")
            || lower.ends_with(".min.js");
        if generated {
            return PathRole::Generated;
        }
        let camel_test = ["Test", "Tests", "Spec", "IT"].iter().any(|suffix| {
            stem.len() > suffix.len()
                && stem.ends_with(suffix)
                && stem[..stem.len() - suffix.len()]
                    .chars()
                    .last()
                    .is_some_and(|c| c.is_ascii_alphanumeric())
                && stem.starts_with(|c: char| c.is_ascii_uppercase())
        });
        let test = lower_stem.starts_with("test_")
            || lower_stem.ends_with("_test")
            || lower_stem.ends_with("_tests")
            || lower_stem.ends_with("_spec")
            || lower_stem == "conftest"
            || lower.contains(".test.")
            || lower.contains(".spec.")
            || camel_test;
        if test {
            PathRole::Test
        } else {
            PathRole::Source
        }
    }
}

#[cfg(test)]
mod path_role_tests {
    use super::PathRole;

    #[test]
    fn roles_from_directories_and_names() {
        let cases = [
            ("src/flask/app.py", PathRole::Source),
            ("tests/test_app.py", PathRole::Test),
            ("pkg/foo_test.go", PathRole::Test),
            ("src/app.test.ts", PathRole::Test),
            ("src/main/java/com/x/UserService.java", PathRole::Source),
            ("src/test/java/com/x/UserServiceTest.java", PathRole::Test),
            ("lib/FooTests.cs", PathRole::Test),
            ("spec/models/user_spec.rb", PathRole::Test),
            ("conftest.py", PathRole::Test),
            ("fixtures/java/Main.java", PathRole::Fixture),
            ("net/http/testdata/x.go", PathRole::Fixture),
            ("examples/tutorial/app.py", PathRole::Example),
            ("docs/conf.py", PathRole::Example),
            ("vendor/github.com/x/y.go", PathRole::Vendored),
            ("api/v1/service_pb2.py", PathRole::Generated),
            ("api/service.pb.go", PathRole::Generated),
            ("lib/contest.py", PathRole::Source),
            ("src/Latest.java", PathRole::Source),
            ("src/attest.rs", PathRole::Source),
            ("testing.py", PathRole::Source),
        ];
        for (path, role) in cases {
            assert_eq!(PathRole::of(path), role, "{path}");
        }
    }
}
