//! What the parser extracts from one file.

use crate::kinds::{ChunkKind, DefKind, Relation};
use serde::{Deserialize, Serialize};

/// Where something is in a file. Lines are 1-based and inclusive; bytes are
/// 0-based and half-open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct Span {
    pub start_byte: u32,
    pub end_byte: u32,
    pub start_line: u32,
    pub end_line: u32,
}

impl Span {
    pub fn contains(&self, other: &Span) -> bool {
        self.start_byte <= other.start_byte && other.end_byte <= self.end_byte
    }
}

/// One definition: a function, method, type, module...
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Definition {
    pub name: String,
    /// Module prefix, enclosing definitions and name, joined by the
    /// language's separator: `pkg.mod.Class.method`, `crate::a::Type::method`.
    pub qualified_name: String,
    pub kind: DefKind,
    /// The header without the body, whitespace collapsed.
    pub signature: String,
    pub doc: Option<String>,
    pub span: Span,
    /// Index of the enclosing definition in [`FileFacts::definitions`].
    pub parent: Option<usize>,
}

/// One imported module or name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Import {
    /// The module or path as written (`os.path`, `./util`, `crate::a`).
    pub module: String,
    /// The imported name, when the import names one (`from m import name`).
    pub name: Option<String>,
    pub alias: Option<String>,
    pub wildcard: bool,
    pub line: u32,
}

/// One call site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Call {
    /// The callee's name as written, without qualifier.
    pub name: String,
    /// The qualifier or receiver text: `self`, `obj`, `mod`, `Type`.
    pub receiver: Option<String>,
    /// The receiver is a path written with the language's own separator
    /// where that is not `.` (`module::f`, `Type::new`): a module or a
    /// type, never a value (a local of its name does not shadow it).
    #[serde(default)]
    pub path: bool,
    /// The number of arguments, when the call's argument list has a fixed
    /// count (no `*xs`, `...xs`): to check that a callee found by name fits.
    #[serde(default)]
    pub args: Option<u32>,
    pub line: u32,
    /// 1-based column in bytes.
    pub column: u32,
    /// Index of the innermost definition containing the call.
    pub enclosing: Option<usize>,
    /// A call, or a use as a decorator.
    #[serde(default)]
    pub kind: crate::RefKind,
}

/// `subject extends/implements base`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inheritance {
    /// Name of the subject type as written.
    pub subject: String,
    /// Index of the subject's definition in this file, when it has one.
    pub subject_def: Option<usize>,
    pub base: String,
    pub relation: Relation,
    pub line: u32,
}

/// A name whose type is known cheaply: `u = User()`, `let s: Session`,
/// `Foo foo = new Foo()`, a typed parameter or field.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Binding {
    /// The name as written (`u`, `self.repo`).
    pub name: String,
    /// The type's name as written, when the binding states it.
    pub type_name: Option<String>,
    /// Otherwise the variable it was assigned from (`self.repo = repo`).
    pub value: Option<String>,
    /// Index of the innermost definition containing the binding.
    pub scope: Option<usize>,
    pub line: u32,
}

/// The unit of retrieval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chunk {
    pub kind: ChunkKind,
    pub span: Span,
    /// Index of the definition this chunk belongs to.
    pub def: Option<usize>,
    /// For a function split into parts, which part (0-based).
    pub part: u32,
    pub text: String,
}

/// A problem found while parsing; never fatal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    pub line: u32,
    pub message: String,
}

/// Everything extracted from one file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileFacts {
    pub language: String,
    pub line_count: u32,
    /// Leading doc comment or module docstring.
    pub doc: Option<String>,
    /// Declared package or module (`package foo`), when the language has one.
    pub package: Option<String>,
    pub definitions: Vec<Definition>,
    pub imports: Vec<Import>,
    pub calls: Vec<Call>,
    pub inheritance: Vec<Inheritance>,
    pub bindings: Vec<Binding>,
    pub chunks: Vec<Chunk>,
    pub diagnostics: Vec<Diagnostic>,
}
