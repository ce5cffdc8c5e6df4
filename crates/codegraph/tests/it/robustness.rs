//! Bad input is skipped or refused with a reason; the rest stays whole.

use super::*;
use codegraph::Error;

#[test]
fn binary_file_is_skipped_as_binary() {
    let repo = tempfile::tempdir().unwrap();
    let idx = tempfile::tempdir().unwrap();
    write(repo.path(), "ok.py", PY);
    write(repo.path(), "blob.py", b"\x7fELF\x00\x00\x01binary\x00junk");
    let report = index(repo.path(), idx.path());
    assert_eq!(report.stats.files, 1);
    assert_eq!(report.stats.skipped.get(&SkipReason::Binary), Some(&1));
    let cg = open(repo.path(), idx.path());
    assert_eq!(skipped_reason(&cg, "blob.py").as_deref(), Some("binary"));
    assert_eq!(cg.find_symbol("add").unwrap().len(), 1);
}

#[test]
fn a_script_without_an_extension_is_indexed_in_the_language_of_its_shebang() {
    let repo = tempfile::tempdir().unwrap();
    let idx = tempfile::tempdir().unwrap();
    write(
        repo.path(),
        "bin/deploy",
        "#!/usr/bin/env bash\ndeploy_all() {\n  echo done\n}\ndeploy_all\n",
    );
    write(repo.path(), "NOTES", "plain words, no shebang\n");
    let report = index(repo.path(), idx.path());
    assert_eq!(
        report.stats.files_by_language.get("bash"),
        Some(&1),
        "{report:?}"
    );
    let cg = open(repo.path(), idx.path());
    let defs = cg.find_symbol("deploy_all").unwrap();
    assert_eq!(defs.len(), 1);
    assert_eq!(defs[0].path, "bin/deploy");
}

#[test]
fn invalid_utf8_is_indexed_with_a_diagnostic() {
    let repo = tempfile::tempdir().unwrap();
    let idx = tempfile::tempdir().unwrap();
    // Latin-1 bytes in a comment: the code around them must still be found.
    let mut bytes = b"# caf\xe9 au lait\n".to_vec();
    bytes.extend_from_slice(PY.as_bytes());
    write(repo.path(), "latin1.py", bytes);
    let report = index(repo.path(), idx.path());
    assert_eq!(report.stats.files, 1);
    let cg = open(repo.path(), idx.path());
    let add = cg.find_symbol("latin1.add").unwrap();
    assert_eq!(add.len(), 1);
    assert_eq!(add[0].start_line, 2);
    let diags = cg.diagnostics().unwrap();
    assert!(
        diags
            .iter()
            .any(|d| d.path == "latin1.py" && d.message.contains("invalid UTF-8")),
        "{diags:?}"
    );
}

#[test]
fn huge_and_minified_files_are_skipped() {
    let repo = tempfile::tempdir().unwrap();
    let idx = tempfile::tempdir().unwrap();
    // 20 MB of minified JavaScript on one line.
    let big: String = "var a=function(b){return b+1};".repeat(20 * 1024 * 1024 / 30);
    write(repo.path(), "bundle.js", &big);
    // Under the size limit but minified.
    let small: String = "x=function(y){return y*2};".repeat(8000);
    write(repo.path(), "app.js", &small);
    write(repo.path(), "lib.min.js", "var z=1;");
    write(repo.path(), "ok.js", "function ok() { return 1; }\n");
    let report = index(repo.path(), idx.path());
    assert_eq!(report.stats.files, 1);
    let cg = open(repo.path(), idx.path());
    assert_eq!(
        skipped_reason(&cg, "bundle.js").as_deref(),
        Some("too_large")
    );
    assert_eq!(skipped_reason(&cg, "app.js").as_deref(), Some("minified"));
    assert_eq!(
        skipped_reason(&cg, "lib.min.js").as_deref(),
        Some("minified")
    );
}

#[test]
fn syntax_errors_keep_what_parses_and_report_a_diagnostic() {
    let repo = tempfile::tempdir().unwrap();
    let idx = tempfile::tempdir().unwrap();
    write(
        repo.path(),
        "src/lib.rs",
        "pub fn good() -> u32 { 1 }\n\npub fn bad( { let x = ;\n\npub fn also_good() -> u32 { good() }\n",
    );
    index(repo.path(), idx.path());
    let cg = open(repo.path(), idx.path());
    let names: Vec<String> = cg
        .symbols_in_file("src/lib.rs")
        .unwrap()
        .into_iter()
        .map(|d| d.name)
        .collect();
    assert!(names.contains(&"good".to_owned()), "{names:?}");
    assert!(!cg.diagnostics().unwrap().is_empty());
    assert!(!cg.chunks_in_file("src/lib.rs").unwrap().is_empty());
}

#[cfg(unix)]
#[test]
fn symlink_loops_neither_hang_nor_fail() {
    let repo = tempfile::tempdir().unwrap();
    write(repo.path(), "a/mod.py", PY);
    std::os::unix::fs::symlink(repo.path().join("a"), repo.path().join("a/loop")).unwrap();
    std::os::unix::fs::symlink(repo.path().join("a/mod.py"), repo.path().join("link.py")).unwrap();

    // Default: links are not followed, and each is recorded.
    let idx = tempfile::tempdir().unwrap();
    let report = index(repo.path(), idx.path());
    assert_eq!(report.stats.files, 1);
    let cg = open(repo.path(), idx.path());
    assert_eq!(skipped_reason(&cg, "a/loop").as_deref(), Some("symlink"));
    assert_eq!(skipped_reason(&cg, "link.py").as_deref(), Some("symlink"));

    // Following links: the loop is detected and recorded, the rest indexed.
    let idx = tempfile::tempdir().unwrap();
    let options = IndexOptions {
        index_dir: Some(idx.path().to_owned()),
        follow_symlinks: true,
        ..IndexOptions::default()
    };
    let mut cg = Codegraph::open(repo.path(), options).unwrap();
    let report = cg.index(&NoProgress).unwrap();
    assert_eq!(report.stats.files, 2, "a/mod.py and link.py");
    assert_eq!(
        report.stats.skipped.get(&SkipReason::SymlinkLoop),
        Some(&1),
        "{:?}",
        report.stats.skipped
    );
}

#[cfg(unix)]
#[test]
fn fifo_is_not_read() {
    let repo = tempfile::tempdir().unwrap();
    let idx = tempfile::tempdir().unwrap();
    write(repo.path(), "ok.py", PY);
    let status = std::process::Command::new("mkfifo")
        .arg(repo.path().join("pipe.py"))
        .status()
        .unwrap();
    assert!(status.success());
    let report = index(repo.path(), idx.path());
    assert_eq!(report.stats.files, 1);
    let cg = open(repo.path(), idx.path());
    assert_eq!(
        skipped_reason(&cg, "pipe.py").as_deref(),
        Some("not_a_regular_file")
    );
}

#[test]
fn empty_repository_gives_an_empty_index() {
    let repo = tempfile::tempdir().unwrap();
    let idx = tempfile::tempdir().unwrap();
    let report = index(repo.path(), idx.path());
    assert_eq!(report.stats.files, 0);
    assert_eq!(report.stats.chunks, 0);
    let status = open(repo.path(), idx.path()).status().unwrap();
    assert_eq!(status.stats.files, 0);
    assert!(status.last_indexed.is_some());
}

#[test]
fn missing_path_is_a_clear_error() {
    let idx = tempfile::tempdir().unwrap();
    let options = IndexOptions {
        index_dir: Some(idx.path().to_owned()),
        ..IndexOptions::default()
    };
    let err = Codegraph::open(Path::new("/definitely/not/here"), options.clone()).unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err}");
    assert_eq!(err.to_string(), "/definitely/not/here: no such directory");
    let file = tempfile::NamedTempFile::new().unwrap();
    let err = Codegraph::open(file.path(), options).unwrap_err();
    assert!(matches!(err, Error::NotADirectory(_)), "{err}");
}

#[test]
fn ignore_rules_and_default_exclusions_apply() {
    let repo = tempfile::tempdir().unwrap();
    let idx = tempfile::tempdir().unwrap();
    write(repo.path(), "keep.py", PY);
    write(repo.path(), ".gitignore", "ignored_by_git.py\n");
    write(repo.path(), ".codegraphignore", "generated/\n");
    write(repo.path(), "ignored_by_git.py", PY);
    write(repo.path(), "generated/out.py", PY);
    write(
        repo.path(),
        "node_modules/pkg/index.js",
        "function f() {}\n",
    );
    write(repo.path(), "target/debug/x.rs", "fn x() {}\n");
    write(repo.path(), "sub/vendor/lib.go", "package lib\n");
    write(repo.path(), "Cargo.lock", "# lock\n");
    write(
        repo.path(),
        "gen.go",
        "// Code generated by protoc. DO NOT EDIT.\npackage gen\n",
    );
    let report = index(repo.path(), idx.path());
    let cg = open(repo.path(), idx.path());
    let files: Vec<String> = cg.files().unwrap().into_iter().map(|f| f.path).collect();
    assert_eq!(files, ["keep.py"], "{:?}", report.stats);
    assert_eq!(
        skipped_reason(&cg, "node_modules").as_deref(),
        Some("excluded_dir")
    );
    assert_eq!(
        skipped_reason(&cg, "sub/vendor").as_deref(),
        Some("excluded_dir")
    );
    assert_eq!(
        skipped_reason(&cg, "Cargo.lock").as_deref(),
        Some("generated")
    );
    assert_eq!(skipped_reason(&cg, "gen.go").as_deref(), Some("generated"));
}

/// Regression (issue 16: "`.gitignore` costs ~11 KB per pattern"; 100,000
/// patterns took 18 s and 2 GB to index one file): an ignore file over
/// 256 KiB is never compiled. Below the root its directory is skipped with
/// the reason; at the root the ignore files go unhonoured, and say so.
#[test]
fn oversized_ignore_files_are_never_compiled() {
    // 20,000 patterns, over 256 KiB; the last one would ignore every file.
    let huge: String = (0..20_000)
        .map(|i| format!("build_output_{i}/**/*.o\n"))
        .chain(["*.py\n".to_owned()])
        .collect();
    assert!(huge.len() > 256 * 1024);
    let repo = tempfile::tempdir().unwrap();
    write(repo.path(), ".gitignore", "ignored.py\n");
    write(repo.path(), "ignored.py", PY);
    write(repo.path(), "keep.py", PY);
    write(repo.path(), "big/.gitignore", &huge);
    write(repo.path(), "big/inside.py", PY);
    write(repo.path(), "fine/.ignore", "local.py\n");
    write(repo.path(), "fine/local.py", PY);
    write(repo.path(), "fine/other.py", PY);
    let idx = tempfile::tempdir().unwrap();
    index(repo.path(), idx.path());
    let cg = open(repo.path(), idx.path());
    let files: Vec<String> = cg.files().unwrap().into_iter().map(|f| f.path).collect();
    assert_eq!(files, ["fine/other.py", "keep.py"]);
    let skip = cg
        .skipped()
        .unwrap()
        .into_iter()
        .find(|s| s.path == "big")
        .expect("big/ is listed as skipped");
    assert_eq!(skip.reason, SkipReason::IgnoreFileTooLarge);
    assert!(skip.detail.contains(".gitignore"), "{}", skip.detail);

    // At the root: nothing can be skipped, so nothing is ignored.
    let repo = tempfile::tempdir().unwrap();
    write(repo.path(), ".gitignore", &huge);
    write(repo.path(), "a.py", PY);
    write(repo.path(), "sub/.ignore", "b.py\n");
    write(repo.path(), "sub/b.py", PY);
    let idx = tempfile::tempdir().unwrap();
    index(repo.path(), idx.path());
    let cg = open(repo.path(), idx.path());
    let files: Vec<String> = cg.files().unwrap().into_iter().map(|f| f.path).collect();
    assert_eq!(files, ["a.py", "sub/b.py"]);
    assert_eq!(
        skipped_reason(&cg, ".gitignore").as_deref(),
        Some("ignore_file_too_large")
    );
}

#[test]
fn indexing_never_writes_into_the_repository() {
    let repo = tempfile::tempdir().unwrap();
    write(repo.path(), "a.py", PY);
    write(repo.path(), "docs/README.md", "# Docs\n\nSome words.\n");
    let before = listing(repo.path());
    let cache = tempfile::tempdir().unwrap();
    let options = IndexOptions {
        index_dir: Some(cache.path().join("idx")),
        ..IndexOptions::default()
    };
    Codegraph::open(repo.path(), options)
        .unwrap()
        .index(&NoProgress)
        .unwrap();
    assert_eq!(listing(repo.path()), before);
    assert!(cache.path().join("idx/index.sqlite").exists());
}

fn listing(root: &Path) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let meta = entry.metadata().unwrap();
            if meta.is_dir() {
                stack.push(entry.path());
            }
            out.push((entry.path().display().to_string(), meta.len()));
        }
    }
    out.sort();
    out
}

#[test]
fn damaged_index_is_rebuilt_not_fatal() {
    let repo = tempfile::tempdir().unwrap();
    let idx = tempfile::tempdir().unwrap();
    write(repo.path(), "a.py", PY);
    std::fs::write(idx.path().join("index.sqlite"), vec![0x42u8; 8192]).unwrap();
    let report = index(repo.path(), idx.path());
    assert!(report.rebuilt.is_some_and(|r| r.contains("damaged")));
    assert_eq!(report.stats.files, 1);
}

/// Regression: a FIFO in the repository blocked every context request that
/// read it (and leaked a thread each time).
#[test]
fn a_fifo_never_blocks_a_context_request() {
    let repo = tempfile::tempdir().unwrap();
    let idx = tempfile::tempdir().unwrap();
    write(repo.path(), "a.py", PY);
    let mut cg = open(repo.path(), idx.path());
    cg.index(&NoProgress).unwrap();
    std::fs::remove_file(repo.path().join("a.py")).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(repo.path().join("a.py"))
        .status()
        .unwrap();
    assert!(made.success());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let r = cg.context(&codegraph::ContextRequest {
            path: "a.py".into(),
            line: 1,
            column: 0,
            ..codegraph::ContextRequest::default()
        });
        let _ = tx.send(r.map(|_| ()).map_err(|e| e.to_string()));
    });
    let answer = rx
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("the request answered instead of blocking on the FIFO");
    let err = answer.unwrap_err();
    assert!(err.contains("not a regular file"), "{err}");
}

/// Regression: a 2 MB buffer was parsed at request time (18 s, 331 MB); a
/// buffer past the index's file-size limit is refused.
#[test]
fn a_buffer_past_the_file_size_limit_is_refused() {
    let repo = tempfile::tempdir().unwrap();
    let idx = tempfile::tempdir().unwrap();
    write(repo.path(), "a.py", PY);
    let mut cg = open(repo.path(), idx.path());
    cg.index(&NoProgress).unwrap();
    let huge = "x = 1\n".repeat(400_000);
    let err = cg
        .context(&codegraph::ContextRequest {
            path: "a.py".into(),
            line: 0,
            column: 0,
            buffer: Some(huge),
            ..codegraph::ContextRequest::default()
        })
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest(_)), "{err}");
    assert!(err.to_string().contains("limit"), "{err}");
}

/// Regression: two `codegraph index` runs on one index failed one of them
/// with `UNIQUE constraint failed: tokens.id`; writers now take turns.
#[test]
fn two_writers_take_turns_instead_of_corrupting_each_other() {
    let repo = tempfile::tempdir().unwrap();
    let idx = tempfile::tempdir().unwrap();
    for i in 0..120 {
        write(
            repo.path(),
            &format!("m{i}.py"),
            format!("def unique_name_{i}(x):\n    return helper_{i}(x) + {i}\n"),
        );
    }
    let runs: Vec<_> = (0..2)
        .map(|_| {
            let (repo, idx) = (repo.path().to_owned(), idx.path().to_owned());
            std::thread::spawn(move || open(&repo, &idx).index(&NoProgress).map(|r| r.stats))
        })
        .collect();
    for run in runs {
        let stats = run.join().unwrap().expect("both writers succeed");
        assert_eq!(stats.files, 120);
    }
    let fresh = tempfile::tempdir().unwrap();
    let fresh = index(repo.path(), fresh.path()).stats;
    let shared = open(repo.path(), idx.path()).status().unwrap().stats;
    assert_eq!(shared.definitions, fresh.definitions);
    assert_eq!(shared.chunks, fresh.chunks);
    assert_eq!(shared.tokens, fresh.tokens);
}

/// A writer that may not wait names the one it would wait for.
#[test]
fn a_writer_that_cannot_wait_names_the_holder() {
    let repo = tempfile::tempdir().unwrap();
    let idx = tempfile::tempdir().unwrap();
    write(repo.path(), "a.py", PY);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (tx, rx) = std::sync::mpsc::channel();
    let watcher = {
        let (repo, idx, stop) = (repo.path().to_owned(), idx.path().to_owned(), stop.clone());
        std::thread::spawn(move || {
            let mut cg = open(&repo, &idx);
            let options = codegraph::WatchOptions {
                embed: false,
                ..codegraph::WatchOptions::default()
            };
            cg.watch(&options, &NoProgress, &stop, |_, _| {
                let _ = tx.send(());
            })
        })
    };
    rx.recv_timeout(std::time::Duration::from_secs(60)).unwrap();
    let holder = codegraph::write_lock_holder(idx.path()).expect("the watcher holds the lock");
    assert_eq!(holder.what, "watch");
    let options = IndexOptions {
        index_dir: Some(idx.path().to_owned()),
        lock_wait: Some(std::time::Duration::from_millis(300)),
        ..IndexOptions::default()
    };
    let err = Codegraph::open(repo.path(), options)
        .unwrap()
        .index(&NoProgress)
        .unwrap_err();
    assert!(matches!(err, Error::IndexBusy { .. }), "{err}");
    assert!(err.to_string().contains("(watch)"), "{err}");
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    watcher.join().unwrap().unwrap();
    assert_eq!(codegraph::write_lock_holder(idx.path()), None);
}

/// Regression: `--follow-symlinks` indexed content outside the root (a
/// `-> /` link walked all of `/`); links are followed only inside it.
#[cfg(unix)]
#[test]
fn followed_symlinks_never_leave_the_root() {
    let repo = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    write(repo.path(), "src/a.py", PY);
    write(outside.path(), "secret.py", "API_KEY = 'hunter2'\n");
    let link = |to: &Path, at: &str| std::os::unix::fs::symlink(to, repo.path().join(at)).unwrap();
    link(Path::new("/"), "root");
    link(outside.path(), "elsewhere");
    link(&outside.path().join("secret.py"), "secret.py");
    link(&repo.path().join("src"), "src_again");
    let idx = tempfile::tempdir().unwrap();
    let options = IndexOptions {
        index_dir: Some(idx.path().to_owned()),
        follow_symlinks: true,
        ..IndexOptions::default()
    };
    let mut cg = Codegraph::open(repo.path(), options).unwrap();
    let report = cg.index(&NoProgress).unwrap();
    let mut paths: Vec<String> = cg.files().unwrap().into_iter().map(|f| f.path).collect();
    paths.sort();
    assert_eq!(paths, ["src/a.py", "src_again/a.py"]);
    for p in ["root", "elsewhere", "secret.py"] {
        assert_eq!(
            skipped_reason(&cg, p).as_deref(),
            Some("symlink_outside_root"),
            "{p}"
        );
    }
    assert_eq!(report.stats.files, 2);
}

/// Regression: `index /` was not refused.
#[test]
fn system_directories_are_refused_as_roots() {
    let idx = tempfile::tempdir().unwrap();
    let options = IndexOptions {
        index_dir: Some(idx.path().to_owned()),
        ..IndexOptions::default()
    };
    for root in ["/", "/proc", "/sys/kernel", "/dev"] {
        if !Path::new(root).is_dir() {
            continue;
        }
        let err = Codegraph::open(Path::new(root), options.clone()).unwrap_err();
        assert!(matches!(err, Error::ForbiddenRoot(_)), "{root}: {err}");
    }
}

/// Regression: `x\xff.py` and `x\xfe.py` were both stored as `x\u{fffd}.py`
/// and one file's definitions vanished; such names are skipped, each under
/// its own escaped name.
#[cfg(target_os = "linux")]
#[test]
fn non_utf8_file_names_are_skipped_never_merged() {
    use std::os::unix::ffi::OsStrExt;
    let repo = tempfile::tempdir().unwrap();
    write(repo.path(), "ok.py", PY);
    for b in [0xffu8, 0xfe] {
        let bytes = [b'x', b, b'.', b'p', b'y'];
        let name = std::ffi::OsStr::from_bytes(&bytes);
        std::fs::write(repo.path().join(name), "def hidden():\n    pass\n").unwrap();
    }
    let dir = std::ffi::OsStr::from_bytes(&[b'd', 0xfa]);
    std::fs::create_dir(repo.path().join(dir)).unwrap();
    std::fs::write(repo.path().join(dir).join("m.py"), PY).unwrap();
    let idx = tempfile::tempdir().unwrap();
    let report = index(repo.path(), idx.path());
    assert_eq!(report.stats.files, 1);
    let cg = open(repo.path(), idx.path());
    let mut skipped: Vec<(String, String)> = cg
        .skipped()
        .unwrap()
        .into_iter()
        .filter(|s| s.reason == SkipReason::NonUtf8Name)
        .map(|s| (s.path, s.detail))
        .collect();
    skipped.sort();
    let names: Vec<&str> = skipped.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(names, [r"d\xfa", r"x\xfe.py", r"x\xff.py"]);
}

/// Regression (issue 16: "a repository root with such a name cannot be
/// addressed and is dropped on restart"): a root whose name is not UTF-8
/// is refused at once, with an error that says why, and nothing is
/// written (its index could never be addressed again).
#[cfg(target_os = "linux")]
#[test]
fn a_non_utf8_repository_root_is_refused_with_a_clear_error() {
    use std::os::unix::ffi::OsStrExt;
    let parent = tempfile::tempdir().unwrap();
    let root = parent
        .path()
        .join(std::ffi::OsStr::from_bytes(b"repo-\xff"));
    std::fs::create_dir(&root).unwrap();
    write(&root, "a.py", PY);
    let idx = tempfile::tempdir().unwrap();
    let options = IndexOptions {
        index_dir: Some(idx.path().to_owned()),
        ..IndexOptions::default()
    };
    let err = codegraph::Indexer::open(&root, options.clone()).unwrap_err();
    assert!(matches!(err, codegraph::Error::NonUtf8Path(_)), "{err}");
    assert!(err.to_string().contains("not valid UTF-8"), "{err}");
    assert!(codegraph::Reader::open(&root, options).is_err());
    assert_eq!(std::fs::read_dir(idx.path()).unwrap().count(), 0);
}

/// `exclude_globs` keep paths out like `.codegraphignore` lines; a bad glob
/// is refused when the index is opened.
#[test]
fn exclude_globs_keep_paths_out_and_bad_globs_are_refused() {
    let repo = tempfile::tempdir().unwrap();
    write(repo.path(), "src/a.py", PY);
    write(repo.path(), "docs/conf.py", PY);
    write(repo.path(), "gen/api.py", PY);
    write(repo.path(), "src/gen/keep.py", PY);
    write(repo.path(), "web/app.min.js", "function f(){return 1}\n");
    write(repo.path(), "web/app.js", "function g() { return 2; }\n");
    let idx = tempfile::tempdir().unwrap();
    let options = |globs: &[&str]| IndexOptions {
        index_dir: Some(idx.path().to_owned()),
        exclude_globs: globs.iter().map(|g| (*g).to_owned()).collect(),
        ..IndexOptions::default()
    };
    let mut cg = Codegraph::open(repo.path(), options(&["docs/**", "*.min.js", "/gen/"])).unwrap();
    cg.index(&NoProgress).unwrap();
    let mut paths: Vec<String> = cg.files().unwrap().into_iter().map(|f| f.path).collect();
    paths.sort();
    assert_eq!(paths, ["src/a.py", "src/gen/keep.py", "web/app.js"]);
    let err = Codegraph::open(repo.path(), options(&["src/{a,b"])).unwrap_err();
    assert!(matches!(err, Error::InvalidRequest(_)), "{err}");
    assert!(err.to_string().contains("src/{a,b"), "{err}");
}
