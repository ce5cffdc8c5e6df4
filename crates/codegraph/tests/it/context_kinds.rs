//! Completion context after every kind of reference: decorators,
//! module-level objects, attribute chains, `self` members, re-exports,
//! `src/` layouts and nested projects; outlines in the language's syntax.

use super::*;
use codegraph::{ContextRequest, ContextResponse};

const CTX: &str = r#"class Config:
    def get(self, key):
        """Read one key."""
        return None


class AppContext:
    """The application context."""

    def __init__(self, app):
        self.config = Config()
        self.app = app

    def push(self):
        """Bind the context."""
        pass

    def pop(self, exc=None):
        pass
"#;

const VIEWS: &str = r#"from app.scaffold import setupmethod
from app.globals import current_app
from app import AppContext


class View:
    def __init__(self):
        self.ctx = AppContext(None)

    @setupmethod
    def register(self):
        return 1
"#;

fn python_repo() -> (tempfile::TempDir, tempfile::TempDir) {
    let repo = tempfile::tempdir().unwrap();
    let idx = tempfile::tempdir().unwrap();
    let r = repo.path();
    write(r, "pyproject.toml", "[project]\nname = \"app\"\n");
    write(
        r,
        "src/app/__init__.py",
        "from .ctx import AppContext\nfrom .globals import current_app\n",
    );
    write(r, "src/app/ctx.py", CTX);
    write(
        r,
        "src/app/globals.py",
        "from .ctx import AppContext\n\ncurrent_app = AppContext(None)\n",
    );
    write(
        r,
        "src/app/scaffold.py",
        "def setupmethod(f):\n    \"\"\"Mark a setup method.\"\"\"\n    return f\n",
    );
    write(r, "src/app/views.py", VIEWS);
    // A nested example project with a module name of its own, and two
    // more definitions of the same function elsewhere.
    write(
        r,
        "examples/tutorial/pyproject.toml",
        "[project]\nname = \"flaskr\"\n",
    );
    write(
        r,
        "examples/tutorial/flaskr/__init__.py",
        "def create_app():\n    return None\n",
    );
    write(
        r,
        "examples/tutorial/flaskr/db.py",
        "def get_db():\n    \"\"\"The tutorial's database.\"\"\"\n    return None\n",
    );
    write(
        r,
        "examples/tutorial/tests/test_db.py",
        "from flaskr.db import get_db\n\n\ndef test_db():\n    assert get_db() is None\n",
    );
    write(r, "src/app/db.py", "def get_db():\n    return 1\n");
    write(r, "tools/db.py", "def get_db():\n    return 2\n");
    index(r, idx.path());
    (repo, idx)
}

/// The context with the cursor at the end of `line` appended to `text`
/// after line `after` (0-based), through the editor's buffer.
fn typed(cg: &Codegraph, path: &str, text: &str, after: usize, line: &str) -> ContextResponse {
    let mut lines: Vec<&str> = text.lines().collect();
    lines.insert(after + 1, line);
    let buffer = lines.join("\n") + "\n";
    cg.context(&ContextRequest {
        path: path.into(),
        line: after as u32 + 1,
        column: line.len() as u32,
        buffer: Some(buffer),
        ..ContextRequest::default()
    })
    .unwrap()
}

fn symbols(r: &ContextResponse) -> Vec<&str> {
    r.structures.iter().map(|s| s.symbol.as_str()).collect()
}

#[test]
fn a_decorator_is_a_reference_to_resolve() {
    let (repo, idx) = python_repo();
    let cg = open(repo.path(), idx.path());
    // The cursor just after `@setupmethod` (0-based line 9).
    let r = cg
        .context(&ContextRequest {
            path: "src/app/views.py".into(),
            line: 9,
            column: 16,
            ..ContextRequest::default()
        })
        .unwrap();
    let s = symbols(&r);
    assert_eq!(s.first(), Some(&"app.scaffold.setupmethod"), "{s:?}");
    // A function's doc is a docstring, in Python.
    let text = &r.structures[0].text;
    assert!(
        text.starts_with("def setupmethod(f):\n    \"\"\"Mark a setup method.\"\"\""),
        "{text}"
    );
}

#[test]
fn a_module_level_object_brings_its_constructed_type() {
    let (repo, idx) = python_repo();
    let cg = open(repo.path(), idx.path());
    let r = typed(&cg, "src/app/views.py", VIEWS, 11, "        current_app.");
    let first = &r.structures[0];
    assert_eq!(first.symbol, "app.ctx.AppContext", "{:?}", symbols(&r));
    assert_eq!(first.reason.to_string(), "receiver current_app");
    // The outline is Python: no braces, no `//` comments, docstrings kept.
    assert!(
        first.text.starts_with("class AppContext:\n"),
        "{}",
        first.text
    );
    assert!(first.text.contains("\"\"\"The application context.\"\"\""));
    assert!(first.text.contains("    def push(self):"), "{}", first.text);
    assert!(first.text.contains("    def pop(self, exc=None):"));
    assert!(!first.text.contains('{') && !first.text.contains("//"));
    // The object itself follows.
    assert!(
        symbols(&r).contains(&"app.globals.current_app"),
        "{:?}",
        symbols(&r)
    );
}

#[test]
fn attribute_chains_follow_field_types() {
    let (repo, idx) = python_repo();
    let cg = open(repo.path(), idx.path());
    // self.ctx is an AppContext; its config a Config.
    let r = typed(
        &cg,
        "src/app/views.py",
        VIEWS,
        11,
        "        self.ctx.config.",
    );
    assert_eq!(
        symbols(&r).first(),
        Some(&"app.ctx.Config"),
        "{:?}",
        symbols(&r)
    );
    assert_eq!(
        r.structures[0].reason.to_string(),
        "receiver self.ctx.config"
    );
    let r = typed(&cg, "src/app/views.py", VIEWS, 11, "        self.ctx.");
    assert_eq!(
        symbols(&r).first(),
        Some(&"app.ctx.AppContext"),
        "{:?}",
        symbols(&r)
    );
    // `self.` alone: the enclosing class.
    let r = typed(&cg, "src/app/views.py", VIEWS, 11, "        self.");
    assert_eq!(
        symbols(&r).first(),
        Some(&"app.views.View"),
        "{:?}",
        symbols(&r)
    );
}

#[test]
fn re_exported_names_reach_their_definition() {
    let (repo, idx) = python_repo();
    let cg = open(repo.path(), idx.path());
    // `from app import AppContext`: app/__init__.py only re-exports it.
    let r = typed(
        &cg,
        "src/app/views.py",
        VIEWS,
        11,
        "        x = AppContext(",
    );
    let s = symbols(&r);
    assert!(
        s.iter().take(2).any(|s| *s == "app.ctx.AppContext"),
        "{s:?}"
    );
}

#[test]
fn a_nested_project_imports_its_own_modules() {
    let (repo, idx) = python_repo();
    let cg = open(repo.path(), idx.path());
    // 0-based line 4: `    assert get_db() is None`; the cursor after `get_db`.
    let r = cg
        .context(&ContextRequest {
            path: "examples/tutorial/tests/test_db.py".into(),
            line: 4,
            column: 17,
            ..ContextRequest::default()
        })
        .unwrap();
    let paths: Vec<&str> = r.structures.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(
        paths.first(),
        Some(&"examples/tutorial/flaskr/db.py"),
        "{:?}",
        symbols(&r)
    );
    // Only that one: the import decided.
    assert_eq!(
        r.structures
            .iter()
            .filter(|s| s.symbol.ends_with("get_db"))
            .count(),
        1,
        "{:?}",
        symbols(&r)
    );
}

#[test]
fn a_go_struct_shows_its_fields_and_its_methods_from_every_file() {
    let repo = tempfile::tempdir().unwrap();
    let idx = tempfile::tempdir().unwrap();
    let r = repo.path();
    write(r, "go.mod", "module example.com/srv\n\ngo 1.19\n");
    write(
        r,
        "server.go",
        "package srv\n\n// Server serves.\ntype Server struct {\n\tAddr    string\n\tHandler Handler\n}\n\ntype Handler interface {\n\tServe()\n}\n",
    );
    write(
        r,
        "methods.go",
        "package srv\n\n// Close stops it.\nfunc (s *Server) Close() error {\n\treturn nil\n}\n\nfunc (s *Server) ListenAndServe() error {\n\treturn nil\n}\n",
    );
    write(
        r,
        "file.go",
        "package srv\n\ntype File struct{}\n\nfunc (f *File) Close() error { return nil }\n",
    );
    let main =
        "package main\n\nimport \"example.com/srv\"\n\nfunc run(s *srv.Server) {\n\treturn\n}\n";
    write(r, "cmd/main.go", main);
    index(r, idx.path());
    let cg = open(r, idx.path());
    let resp = typed(&cg, "cmd/main.go", main, 4, "\ts.");
    let first = &resp.structures[0];
    assert_eq!(first.symbol, "srv.Server", "{:?}", symbols(&resp));
    let text = &first.text;
    assert!(
        text.starts_with("// Server serves.\ntype Server struct {\n"),
        "{text}"
    );
    assert!(text.contains("\tAddr    string\n"), "{text}");
    assert!(
        text.contains("func (s *Server) Close() error { ... }"),
        "{text}"
    );
    assert!(
        text.contains("func (s *Server) ListenAndServe() error { ... }"),
        "{text}"
    );
    // No other type's `Close`, and capitalised functions are not types.
    assert!(!text.contains("*File"), "{text}");
    assert!(
        !resp.structures.iter().any(|s| s.symbol == "srv.File.Close"),
        "{:?}",
        symbols(&resp)
    );
}
