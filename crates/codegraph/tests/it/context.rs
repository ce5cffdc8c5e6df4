//! Completion context through the library: relevance (what the code at the
//! cursor uses), similarity (code like it), packing, positions, bad input.

use super::*;
use codegraph::{ColumnEncoding, ContextRequest, Error};

const SERVICE: &str = "package app;\n\npublic class UserService {\n    private final Repo repo;\n\n    public User addUser(String name) {\n        return repo.save(new User(name));\n    }\n\n    public void removeUser(User user) {\n        repo.delete(user);\n    }\n}\n";

const CONTROLLER: &str = "package app;\n\npublic class UserController {\n    private UserService userService;\n\n    public void create(String name) {\n        userService.\n    }\n}\n";

const IMPL: &str = "package app;\n\npublic class AuditLog {\n    public void record(String name) {\n        if (name == null) {\n            throw new IllegalArgumentException(\"name\");\n        }\n        entries.add(name);\n        flush();\n    }\n}\n";

fn java_repo() -> (tempfile::TempDir, tempfile::TempDir) {
    let repo = tempfile::tempdir().unwrap();
    let idx = tempfile::tempdir().unwrap();
    write(repo.path(), "src/app/UserService.java", SERVICE);
    write(repo.path(), "src/app/UserController.java", CONTROLLER);
    write(repo.path(), "src/app/AuditLog.java", IMPL);
    write(
        repo.path(),
        "src/app/User.java",
        "package app;\n\npublic class User {\n    public User(String name) {}\n}\n",
    );
    index(repo.path(), idx.path());
    (repo, idx)
}

fn at(path: &str, line: u32, column: u32) -> ContextRequest {
    ContextRequest {
        path: path.into(),
        line,
        column,
        ..ContextRequest::default()
    }
}

#[test]
fn a_receiver_brings_the_outline_of_its_type_with_real_methods() {
    let (repo, idx) = java_repo();
    let cg = open(repo.path(), idx.path());
    // 0-based line 6 is `        userService.`; the cursor after the dot.
    let r = cg
        .context(&at("src/app/UserController.java", 6, 20))
        .unwrap();
    let first = &r.structures[0];
    assert_eq!(first.symbol, "app.UserService");
    assert_eq!(first.path, "src/app/UserService.java");
    assert_eq!(first.reason.to_string(), "receiver userService");
    assert!(
        first.text.contains("public User addUser(String name)"),
        "{}",
        first.text
    );
    assert!(first.text.contains("public void removeUser(User user)"));
    assert!(!first.text.contains("saveUser"));
    assert!(r.stats.tokens_used <= 2048);
    assert!(r.stats.candidates_scanned > 0 && r.stats.files_considered == 4);

    // Asked again, the outline is the same; after the type gains a method,
    // the next answer shows it (outlines are kept per reader state).
    let again = cg
        .context(&at("src/app/UserController.java", 6, 20))
        .unwrap();
    assert_eq!(again.structures[0].text, first.text);
    let mut cg = cg;
    write(
        repo.path(),
        "src/app/UserService.java",
        SERVICE.replace(
            "    public void removeUser",
            "    public void renameUser(User user, String name) {}\n\n    public void removeUser",
        ),
    );
    cg.index(&NoProgress).unwrap();
    let after = cg
        .context(&at("src/app/UserController.java", 6, 20))
        .unwrap();
    assert_eq!(after.structures[0].symbol, "app.UserService");
    assert!(
        after.structures[0]
            .text
            .contains("public void renameUser(User user, String name)"),
        "{}",
        after.structures[0].text
    );
}

#[test]
fn similar_code_comes_from_related_files_within_the_budget() {
    let (repo, idx) = java_repo();
    let cg = open(repo.path(), idx.path());
    // The cursor at the end of `return repo.save(new User(name));`
    // in a buffer copy of the service: the remove method is most alike.
    let mut request = at("src/app/UserService.java", 10, 26);
    request.window_lines = 1;
    let r = cg.context(&request).unwrap();
    assert!(!r.snippets.is_empty());
    assert!(
        r.snippets
            .iter()
            .all(|s| s.score > 0.0 && s.start_line <= s.end_line),
        "{:?}",
        r.snippets
    );
    // `repo.delete(user)` is most like `addUser` (repo, user) in the same file.
    assert_eq!(r.snippets[0].path, "src/app/UserService.java");
    assert!(
        r.snippets[0].text.contains("repo.save(new User(name))"),
        "{:?}",
        r.snippets
    );
    // The window itself (line 11, 1-based) is never offered back.
    assert!(
        !r.snippets
            .iter()
            .any(|s| s.path == "src/app/UserService.java"
                && s.start_line <= 11
                && 11 <= s.end_line)
    );
    // A tiny budget: everything returned fits it.
    request.budget_tokens = 30;
    let small = cg.context(&request).unwrap();
    assert!(small.stats.tokens_used <= 30, "{}", small.stats.tokens_used);
}

#[test]
fn candidates_and_files_are_capped() {
    let (repo, idx) = java_repo();
    let cg = open(repo.path(), idx.path());
    let mut request = at("src/app/UserController.java", 6, 20);
    request.max_candidates = 2;
    request.max_files = 1;
    let r = cg.context(&request).unwrap();
    assert_eq!(r.stats.candidates_scanned, 2);
    assert!(r.stats.files_kept <= 2, "{}", r.stats.files_kept);
    for stage in [
        "rank_files_ms",
        "gather_ms",
        "score_ms",
        "pack_ms",
        "relevance_ms",
    ] {
        assert!(r.stats.stages.contains_key(stage), "{stage}");
    }
}

#[test]
fn the_unsaved_buffer_wins_over_the_disk() {
    let (repo, idx) = java_repo();
    let cg = open(repo.path(), idx.path());
    // The buffer declares a local the disk file does not have.
    let buffer = CONTROLLER.replace(
        "        userService.\n",
        "        AuditLog log = new AuditLog();\n        log.\n",
    );
    let mut request = at("src/app/UserController.java", 7, 12);
    request.buffer = Some(buffer);
    let r = cg.context(&request).unwrap();
    assert_eq!(r.structures[0].symbol, "app.AuditLog", "{:?}", r.structures);
    assert!(
        r.structures[0]
            .text
            .contains("public void record(String name)")
    );
}

#[test]
fn python_and_typescript_imports_resolve_to_their_files() {
    let repo = tempfile::tempdir().unwrap();
    let idx = tempfile::tempdir().unwrap();
    write(
        repo.path(),
        "shop/models.py",
        "class Order:\n    def total(self):\n        return 0\n\n\nclass Item:\n    pass\n",
    );
    write(
        repo.path(),
        "other/models.py",
        "class Order:\n    def unrelated(self):\n        pass\n",
    );
    write(
        repo.path(),
        "shop/views.py",
        "from shop.models import Order\n\n\ndef show(request):\n    o = Order\n",
    );
    write(
        repo.path(),
        "web/cart.ts",
        "export class Cart {\n  add(item: string): void {}\n}\n",
    );
    write(
        repo.path(),
        "web/app.ts",
        "import { Cart } from './cart';\n\nconst c = new Cart\n",
    );
    index(repo.path(), idx.path());
    let cg = open(repo.path(), idx.path());
    let r = cg.context(&at("shop/views.py", 4, 13)).unwrap();
    let order = r
        .structures
        .iter()
        .find(|s| s.symbol.ends_with("Order"))
        .unwrap();
    assert_eq!(order.path, "shop/models.py", "{:?}", r.structures);
    assert!(order.text.contains("def total(self)"));
    let r = cg.context(&at("web/app.ts", 2, 18)).unwrap();
    assert_eq!(r.structures[0].path, "web/cart.ts", "{:?}", r.structures);
    assert!(r.structures[0].text.contains("add(item: string): void"));
}

#[test]
fn positions_count_utf16_or_bytes_and_bad_requests_are_refused() {
    let (repo, idx) = java_repo();
    let cg = open(repo.path(), idx.path());
    let err = |r: ContextRequest| cg.context(&r).unwrap_err();
    assert!(
        matches!(err(at("src/app/UserController.java", 500, 0)), Error::InvalidRequest(m) if m.contains("past the end of the file"))
    );
    assert!(
        matches!(err(at("src/app/UserController.java", 6, 90)), Error::InvalidRequest(m) if m.contains("past the end of line"))
    );
    assert!(matches!(
        err(at("src/app/Missing.java", 0, 0)),
        Error::NotIndexed(_)
    ));
    let mut zero = at("src/app/UserController.java", 6, 20);
    zero.k = 0;
    assert!(matches!(err(zero), Error::InvalidRequest(_)));
    // A non-ASCII line: column 7 in UTF-16 units is column 8 in bytes.
    let mut request = at("src/app/UserController.java", 0, 7);
    request.buffer = Some("// \u{e9}t\u{e9} x\n".into());
    assert!(cg.context(&request).is_ok());
    request.column = 8;
    request.encoding = ColumnEncoding::Utf8;
    assert!(cg.context(&request).is_ok());
    request.column = 4; // inside the two bytes of 'é'
    assert!(
        matches!(cg.context(&request), Err(Error::InvalidRequest(m)) if m.contains("inside a character"))
    );
}

#[test]
fn continuation_returns_the_lines_after_the_match() {
    let repo = tempfile::tempdir().unwrap();
    let idx = tempfile::tempdir().unwrap();
    let body = |name: &str| {
        format!(
            "def {name}(conn):\n    cursor = conn.cursor()\n    cursor.execute(QUERY)\n    rows = cursor.fetchall()\n    return [row_to_dict(r) for r in rows]\n"
        )
    };
    write(repo.path(), "db/a.py", body("load_users"));
    write(
        repo.path(),
        "db/b.py",
        "def fresh(conn):\n    cursor = conn.cursor()\n    cursor.execute(QUERY)\n",
    );
    index(repo.path(), idx.path());
    let cg = open(repo.path(), idx.path());
    let mut request = at("db/b.py", 2, 25);
    request.window_lines = 2;
    let plain = cg.context(&request).unwrap();
    let hit = plain.snippets.iter().find(|s| s.path == "db/a.py").unwrap();
    assert!(hit.text.contains("cursor.execute(QUERY)"), "{}", hit.text);
    request.continuation = true;
    let next = cg.context(&request).unwrap();
    let hit = next.snippets.iter().find(|s| s.path == "db/a.py").unwrap();
    assert!(
        hit.text.contains("rows = cursor.fetchall()"),
        "{}",
        hit.text
    );
    assert!(!hit.text.contains("conn.cursor()"), "{}", hit.text);
}

#[test]
fn work_stops_once_the_deadline_has_passed() {
    let (repo, idx) = java_repo();
    let cg = open(repo.path(), idx.path());
    let past = Some(std::time::Instant::now() - std::time::Duration::from_millis(1));
    let later = Some(std::time::Instant::now() + std::time::Duration::from_secs(60));
    let mut request = at("src/app/UserController.java", 6, 20);
    request.deadline = past;
    match cg.context(&request) {
        Err(Error::DeadlineExceeded(stage)) => assert_eq!(stage, "load"),
        other => panic!("expected DeadlineExceeded, got {other:?}"),
    }
    request.deadline = later;
    assert!(!cg.context(&request).unwrap().structures.is_empty());
    let search = |deadline| {
        cg.search(&codegraph::SearchOptions {
            query: "removeUser".into(),
            mode: codegraph::SearchMode::Lexical,
            deadline,
            ..codegraph::SearchOptions::default()
        })
    };
    assert!(matches!(search(past), Err(Error::DeadlineExceeded(_))));
    assert_eq!(
        search(later).unwrap().results[0].path,
        "src/app/UserService.java"
    );
}
