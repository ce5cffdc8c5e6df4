//! `.codegraph.toml`: the repository's own settings, read by every run.

use super::*;
use codegraph::{Error, Reader};

const GO: &str = "package main\n\nfunc Serve() {}\n";
const RS: &str = "pub fn serve() {}\n";

fn paths(cg: &Codegraph) -> Vec<String> {
    cg.files().unwrap().into_iter().map(|f| f.path).collect()
}

fn repo_with_three_languages() -> tempfile::TempDir {
    let repo = tempfile::tempdir().unwrap();
    write(repo.path(), "app/main.py", PY);
    write(repo.path(), "app/server.go", GO);
    write(repo.path(), "app/lib.rs", RS);
    write(repo.path(), "docs/guide.py", PY);
    write(repo.path(), "third_party/dep.py", PY);
    write(repo.path(), "build/gen.py", PY);
    write(
        repo.path(),
        "big.py",
        format!("{PY}\n# {}\n", "x".repeat(3000)),
    );
    repo
}

#[test]
fn the_settings_file_decides_what_is_indexed() {
    let repo = repo_with_three_languages();
    write(
        repo.path(),
        ".codegraph.toml",
        r#"
[index]
exclude = ["docs/**"]
exclude_dirs = ["third_party"]
include_dirs = ["build"]
max_file_size = "2 KiB"
languages = ["python", "go"]
"#,
    );
    let idx = tempfile::tempdir().unwrap();
    index(repo.path(), idx.path());
    let cg = open(repo.path(), idx.path());
    assert_eq!(
        paths(&cg),
        ["app/main.py", "app/server.go", "build/gen.py"],
        "docs/ excluded, third_party/ skipped by name, build/ let in, big.py too large, Rust left out"
    );
    assert_eq!(
        skipped_reason(&cg, "app/lib.rs").as_deref(),
        Some("language_excluded")
    );
    assert_eq!(skipped_reason(&cg, "big.py").as_deref(), Some("too_large"));
    assert_eq!(
        skipped_reason(&cg, "third_party").as_deref(),
        Some("excluded_dir")
    );
    assert!(cg.find_symbol("serve").unwrap().is_empty());
    assert_eq!(cg.find_symbol("Serve").unwrap().len(), 1);
}

#[test]
fn an_edit_of_the_settings_applies_at_the_next_run() {
    let repo = repo_with_three_languages();
    write(
        repo.path(),
        ".codegraph.toml",
        "[index]\nlanguages = [\"go\"]\n",
    );
    let idx = tempfile::tempdir().unwrap();
    let mut cg = open(repo.path(), idx.path());
    cg.index(&NoProgress).unwrap();
    assert_eq!(paths(&cg), ["app/server.go"]);

    // The same long-lived indexer (a watcher, a server) follows the edit.
    write(
        repo.path(),
        ".codegraph.toml",
        "[index]\nexclude = [\"app/server.go\", \"big.py\"]\nexclude_dirs = [\"build\"]\n",
    );
    cg.index(&NoProgress).unwrap();
    assert_eq!(
        paths(&cg),
        [
            "app/lib.rs",
            "app/main.py",
            "docs/guide.py",
            "third_party/dep.py"
        ],
        "the Go file is excluded now, and the languages left out before are back"
    );
    assert_eq!(cg.find_symbol("serve").unwrap().len(), 1);

    // Removing the file brings the defaults back.
    std::fs::remove_file(repo.path().join(".codegraph.toml")).unwrap();
    cg.index(&NoProgress).unwrap();
    assert!(paths(&cg).contains(&"app/server.go".to_owned()));
    assert!(
        skipped_reason(&cg, "build").is_some(),
        "build/ is skipped by name by default"
    );
}

#[test]
fn a_bad_settings_file_is_refused_with_the_fix_and_loses_nothing() {
    let repo = repo_with_three_languages();
    let idx = tempfile::tempdir().unwrap();
    let mut cg = open(repo.path(), idx.path());
    cg.index(&NoProgress).unwrap();
    let before = paths(&cg);

    write(
        repo.path(),
        ".codegraph.toml",
        "[index]\nlanguages = [\"pyhton\"]\n",
    );
    let options = IndexOptions {
        index_dir: Some(idx.path().to_owned()),
        ..IndexOptions::default()
    };
    let err = Codegraph::open(repo.path(), options.clone()).unwrap_err();
    let Error::ProjectConfig { path, message } = &err else {
        panic!("expected a settings error, got {err:?}");
    };
    assert!(path.ends_with(".codegraph.toml"));
    assert!(
        message.contains("`pyhton`") && message.contains("python"),
        "{message}"
    );

    // Readers still answer from the index as it is, and status says what
    // is wrong.
    let reader = Reader::open(repo.path(), options.clone()).unwrap();
    assert_eq!(reader.find_symbol("Serve").unwrap().len(), 1);
    let problems = reader.status().unwrap().problems;
    assert!(
        problems
            .iter()
            .any(|p| p.contains(".codegraph.toml") && p.contains("pyhton")),
        "{problems:?}"
    );

    // A running indexer keeps the settings in effect and goes on.
    write(repo.path(), "app/more.py", PY);
    cg.index(&NoProgress).unwrap();
    let mut expected = before.clone();
    expected.push("app/more.py".to_owned());
    expected.sort();
    assert_eq!(paths(&cg), expected);

    // Unknown keys are named too.
    write(
        repo.path(),
        ".codegraph.toml",
        "[index]\nexclud = [\"docs\"]\n",
    );
    let err = Codegraph::open(repo.path(), options.clone()).unwrap_err();
    assert!(err.to_string().contains("exclud"), "{err}");
    write(repo.path(), ".codegraph.toml", "[index\n");
    let err = Codegraph::open(repo.path(), options).unwrap_err();
    assert!(matches!(err, Error::ProjectConfig { .. }), "{err:?}");
}

#[test]
fn the_caller_can_set_or_ignore_the_settings() {
    let repo = repo_with_three_languages();
    write(
        repo.path(),
        ".codegraph.toml",
        "[index]\nlanguages = [\"rust\"]\nmax_file_size = 10\n\n[embeddings]\nenabled = false\n",
    );
    let idx = tempfile::tempdir().unwrap();
    // A value the caller sets (a command-line flag) wins over the file.
    let options = IndexOptions {
        index_dir: Some(idx.path().to_owned()),
        max_file_size: 1 << 21,
        ..IndexOptions::default()
    };
    let mut cg = Codegraph::open(repo.path(), options.clone()).unwrap();
    assert!(
        !cg.indexer().options().embed,
        "[embeddings] enabled = false"
    );
    assert_eq!(cg.indexer().options().max_file_size, 1 << 21);
    cg.index(&NoProgress).unwrap();
    assert_eq!(paths(&cg), ["app/lib.rs"]);
    assert!(cg.embed_pending(&NoProgress).unwrap().is_none());

    // `project_config: false` reads no file.
    let ignoring = IndexOptions {
        project_config: false,
        ..options
    };
    let mut cg = Codegraph::open(repo.path(), ignoring).unwrap();
    assert!(cg.indexer().options().embed);
    assert!(cg.indexer().project_config().is_none());
    cg.index(&NoProgress).unwrap();
    assert!(paths(&cg).len() > 3);
}

#[test]
fn readers_follow_a_change_of_model_in_the_settings() {
    let repo = repo_with_three_languages();
    let idx = tempfile::tempdir().unwrap();
    let mut cg = open(repo.path(), idx.path());
    cg.index(&NoProgress).unwrap();
    let default_model = cg.reader().model_config().model_id;

    // A server or watcher goes on with the same indexer and follows its
    // updates: its readers must embed queries with the model now named.
    write(
        repo.path(),
        ".codegraph.toml",
        "[embeddings]\nmodel_dir = \"models/mini\"\nmodel_id = \"team-model\"\ndimensions = 256\n",
    );
    let report = cg.index(&NoProgress).unwrap();
    assert!(!report.changes.is_empty(), "a settings change is a change");
    let config = cg.reader().model_config();
    assert_eq!(config.model_id, "team-model", "was {default_model}");
    assert_eq!(config.dim, 256);
    assert!(config.model_dir.ends_with("models/mini"));
    let next = cg.reader().next(&report.changes).unwrap();
    assert_eq!(next.model_config().model_id, "team-model");

    // An unchanged file changes nothing.
    let report = cg.index(&NoProgress).unwrap();
    assert!(report.changes.is_empty());
}
