//! The `codegraph` binary end to end: real processes, real files.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

fn codegraph() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_codegraph"));
    cmd.env_remove("CODEGRAPH_LOG");
    cmd
}

fn run_ok(args: &[&str]) -> Output {
    let out = codegraph().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "codegraph {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

/// `status` right after a kill -9: `None` when the kill landed before the
/// process created the index (exit 3, "has no index": the right answer),
/// else its JSON, which must be there.
fn status_after_crash(repo: &str, idx: &str) -> Option<serde_json::Value> {
    let out = codegraph()
        .args(["status", repo, "--index-dir", idx, "--json"])
        .output()
        .unwrap();
    if out.status.code() == Some(3) && String::from_utf8_lossy(&out.stderr).contains("has no index")
    {
        return None;
    }
    assert!(
        out.status.success(),
        "status after a crash failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(json(&out))
}

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn fixture(lang: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(lang)
}

#[test]
fn index_json_summary_has_the_documented_fields() {
    let idx = tempfile::tempdir().unwrap();
    let repo = fixture("python");
    let out = run_ok(&[
        "index",
        repo.to_str().unwrap(),
        "--index-dir",
        idx.path().to_str().unwrap(),
        "--json",
        "--no-embed",
    ]);
    let v = json(&out);
    assert_eq!(v["files"], 13, "{v}");
    assert_eq!(v["definitions"]["class"], 8, "{v}");
    assert_eq!(v["definitions"]["variable"], 7, "{v}");
    assert!(v["definitions"]["method"].as_u64().unwrap() >= 10, "{v}");
    assert!(v["chunks"].as_u64().unwrap() > 10);
    assert!(v["skipped"].is_object());
    assert!(v["elapsed_ms"].is_u64());
    assert_eq!(v["diagnostics"]["files"], 1, "broken.py");
    // Nothing but JSON on stdout.
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);

    let status = json(&run_ok(&[
        "status",
        repo.to_str().unwrap(),
        "--index-dir",
        idx.path().to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(status["stats"]["files"], 13);
    assert_eq!(status["format_version"], codegraph::FORMAT_VERSION);
    assert!(status["size_on_disk"].as_u64().unwrap() > 0);
    assert!(status["last_indexed"].is_i64());
    assert_eq!(
        status["repository"]["readme"],
        "A tiny shop used as a fixture."
    );
}

#[test]
fn symbols_prints_definitions_of_one_file() {
    let file = fixture("python").join("shop/service.py");
    let out = run_ok(&["symbols", file.to_str().unwrap(), "--json"]);
    let v = json(&out);
    let names: Vec<&str> = v["definitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "log",
            "UserService",
            "__init__",
            "add_user",
            "promote",
            "demo"
        ]
    );
    let human = run_ok(&["symbols", file.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&human.stdout).contains("def add_user(self, user_id, name):"));
}

#[test]
fn errors_are_one_line_with_a_nonzero_exit() {
    let out = codegraph()
        .args(["index", "/no/such/repo", "--index-dir", "/tmp/x-never"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("error: ") && stderr.contains("no such directory"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"));
    assert!(out.stdout.is_empty());
}

/// Many files, so that a kill lands in the middle of the run.
fn make_corpus(root: &Path, files: usize) {
    for i in 0..files {
        let mut text = format!(
            "\"\"\"Module {i}.\"\"\"\nimport os\nfrom pkg{} import helper\n\n",
            i % 7
        );
        for f in 0..12 {
            text.push_str(&format!(
                "def func_{f}_{i}(value, other=None):\n    \"\"\"Compute {f}.\"\"\"\n    total = helper(value) + {f}\n    if other:\n        total += os.getpid()\n    return total\n\n\n"
            ));
        }
        text.push_str(&format!(
            "class Thing{i}:\n    def run(self):\n        return func_0_{i}(1)\n"
        ));
        write(root, &format!("pkg{}/mod_{i}.py", i % 7), &text);
    }
}

fn summary(v: &serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "files": v["files"], "definitions": v["definitions"], "chunks": v["chunks"],
        "calls": v["calls"], "imports": v["imports"], "skipped": v["skipped"],
    })
}

#[test]
fn kill_9_during_index_then_index_again_gives_the_same_figures() {
    let repo = tempfile::tempdir().unwrap();
    make_corpus(repo.path(), 1500);
    let repo_s = repo.path().to_str().unwrap();
    let fresh_idx = tempfile::tempdir().unwrap();
    let fresh = json(&run_ok(&[
        "index",
        repo_s,
        "--index-dir",
        fresh_idx.path().to_str().unwrap(),
        "--json",
        "--no-embed",
    ]));
    assert_eq!(fresh["files"], 1500);

    let mut interrupted_midway = 0;
    for (round, delay_ms) in [40u64, 120, 250, 400, 700].into_iter().enumerate() {
        let idx = tempfile::tempdir().unwrap();
        let idx_s = idx.path().to_str().unwrap();
        // Kill once early, then once more later in a resumed run.
        for delay in [delay_ms, delay_ms / 2 + 20] {
            let mut child = codegraph()
                .args([
                    "index",
                    repo_s,
                    "--index-dir",
                    idx_s,
                    "--json",
                    "--no-embed",
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            std::thread::sleep(Duration::from_millis(delay));
            let _ = child.kill(); // SIGKILL
            let _ = child.wait();
            // The index opens and answers right after the crash (unless
            // the kill came before it existed).
            if let Some(status) = status_after_crash(repo_s, idx_s) {
                let files = status["stats"]["files"].as_u64().unwrap();
                if files > 0 && files < 1500 {
                    interrupted_midway += 1;
                }
            }
        }
        let resumed = json(&run_ok(&[
            "index",
            repo_s,
            "--index-dir",
            idx_s,
            "--json",
            "--no-embed",
        ]));
        assert_eq!(summary(&resumed), summary(&fresh), "round {round}");
    }
    assert!(
        interrupted_midway > 0,
        "no kill landed in the middle of a run; make the corpus bigger"
    );
}

#[cfg(unix)]
#[test]
fn unreadable_directory_is_skipped_and_the_rest_indexed() {
    use std::os::unix::fs::PermissionsExt;
    let base = tempfile::tempdir().unwrap();
    std::fs::set_permissions(base.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let repo = base.path().join("repo");
    write(&repo, "ok.py", "def ok():\n    return 1\n");
    write(&repo, "secret/hidden.py", "def hidden():\n    return 2\n");
    let idx = base.path().join("idx");
    std::fs::create_dir_all(&idx).unwrap();
    std::fs::set_permissions(&idx, std::fs::Permissions::from_mode(0o777)).unwrap();
    std::fs::set_permissions(repo.join("secret"), std::fs::Permissions::from_mode(0o000)).unwrap();

    // Root reads everything: run as an unprivileged user when we are root.
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0\n"))
        .unwrap_or(false);
    let mut cmd = if is_root {
        let mut c = Command::new("setpriv");
        c.args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            env!("CARGO_BIN_EXE_codegraph"),
        ]);
        c
    } else {
        codegraph()
    };
    let out = cmd
        .args([
            "index",
            repo.to_str().unwrap(),
            "--index-dir",
            idx.to_str().unwrap(),
            "--json",
            "--no-embed",
        ])
        .output()
        .unwrap();
    std::fs::set_permissions(repo.join("secret"), std::fs::Permissions::from_mode(0o755)).unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out);
    assert_eq!(v["files"], 1, "{v}");
    assert_eq!(v["skipped"]["unreadable"], 1, "{v}");
}

#[test]
fn query_json_has_the_documented_fields() {
    let idx = tempfile::tempdir().unwrap();
    let repo = fixture("python");
    let (r, i) = (repo.to_str().unwrap(), idx.path().to_str().unwrap());
    run_ok(&["index", r, "--index-dir", i, "--no-embed"]);
    let v = json(&run_ok(&[
        "query",
        "normalise a name",
        r,
        "--index-dir",
        i,
        "--mode",
        "lexical",
        "--json",
        "--k",
        "3",
    ]));
    for key in [
        "query",
        "mode",
        "took_ms",
        "stages",
        "vector_coverage",
        "results",
    ] {
        assert!(v.get(key).is_some(), "{key} missing: {v}");
    }
    let first = &v["results"][0];
    for key in [
        "path",
        "start_line",
        "end_line",
        "symbol",
        "kind",
        "language",
        "score",
        "ranks",
        "snippet",
    ] {
        assert!(first.get(key).is_some(), "{key} missing: {first}");
    }
    assert_eq!(first["symbol"], "shop.util.normalise");
    assert_eq!(first["ranks"]["lexical"]["rank"], 1);
    assert!(v["results"].as_array().unwrap().len() <= 3);
    // A bad request is one clear line.
    let out = codegraph()
        .args(["query", "x", r, "--index-dir", i, "--k", "0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("k must be between 1 and 1000"));
}

#[test]
fn watch_applies_a_change_and_stops_cleanly_on_sigterm() {
    use std::io::BufRead;
    let repo = tempfile::tempdir().unwrap();
    let idx = tempfile::tempdir().unwrap();
    write(repo.path(), "a.py", "def first():\n    return 1\n");
    let mut child = codegraph()
        .args(["watch", "--json", "--no-embed", "--quiet-ms", "100"])
        .arg(repo.path())
        .arg("--index-dir")
        .arg(idx.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let startup: serde_json::Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(startup["cause"], "startup");
    assert_eq!(startup["run"]["parsed"], 1);
    write(repo.path(), "b.py", "def second():\n    return first()\n");
    let change: serde_json::Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(change["cause"], "change");
    assert_eq!(change["paths"], serde_json::json!(["b.py"]));
    assert_eq!(change["run"]["parsed"], 1);
    assert!(change["rss_bytes"].as_u64().unwrap() > 1_000_000);
    // Another process sees the watcher: alive, its pid, its updates; a
    // second watcher on the same index is refused.
    let r = repo.path().to_str().unwrap();
    let i = idx.path().to_str().unwrap();
    let status = json(&run_ok(&["status", r, "--index-dir", i, "--json"]));
    let watcher = &status["watcher"];
    assert_eq!(watcher["pid"], child.id());
    assert_eq!(watcher["state"], "idle", "{watcher}");
    assert_eq!(watcher["updates"], 2);
    assert!(watcher["last_update_ms"].as_u64().is_some());
    assert!(watcher["rss_bytes"].as_u64().unwrap() > 1_000_000);
    let second = codegraph()
        .args(["watch", r, "--index-dir", i, "--no-embed"])
        .output()
        .unwrap();
    assert!(!second.status.success());
    assert!(
        String::from_utf8_lossy(&second.stderr).contains("already watched"),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    // SIGTERM: the watcher stops at a batch boundary and exits 0.
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("stopped"));
    let status = json(&run_ok(&["status", r, "--index-dir", i, "--json"]));
    assert_eq!(status["watcher"]["state"], "stopped");
    let found = run_ok(&[
        "symbol",
        "second",
        repo.path().to_str().unwrap(),
        "--index-dir",
        idx.path().to_str().unwrap(),
        "--json",
    ]);
    assert!(String::from_utf8_lossy(&found.stdout).contains("b.py"));
}

#[test]
fn kill_9_of_the_watcher_twenty_times_leaves_an_index_that_answers_and_converges() {
    let repo = tempfile::tempdir().unwrap();
    make_corpus(repo.path(), 600);
    let repo_s = repo.path().to_str().unwrap();
    let idx = tempfile::tempdir().unwrap();
    let idx_s = idx.path().to_str().unwrap();
    for round in 0..20u64 {
        // Changes made while nothing watches...
        let i = round * 29 % 600;
        write(
            repo.path(),
            &format!("pkg{}/mod_{i}.py", i % 7),
            &format!("def changed_{round}(x):\n    return helper(x)\n"),
        );
        if round % 4 == 3 {
            let _ = std::fs::remove_file(repo.path().join(format!(
                "pkg{}/mod_{}.py",
                (i + 1) % 7,
                i + 1
            )));
        }
        let mut child = codegraph()
            .args([
                "watch",
                repo_s,
                "--index-dir",
                idx_s,
                "--json",
                "--no-embed",
                "--quiet-ms",
                "20",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // ...and while it watches; the kill lands at varied moments of the
        // catch-up run and of the updates.
        let delay = 30 + (round * 97) % 700;
        std::thread::sleep(Duration::from_millis(delay / 2));
        write(
            repo.path(),
            &format!("live/edit_{round}.py"),
            &format!("def live_{round}():\n    return {round}\n"),
        );
        std::thread::sleep(Duration::from_millis(delay / 2));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let Some(status) = status_after_crash(repo_s, idx_s) else {
            continue;
        };
        assert!(status["stats"]["files"].as_u64().is_some(), "round {round}");
        // A watcher killed before it published anything leaves no state;
        // one killed later is reported dead, never alive.
        let state = &status["watcher"]["state"];
        assert!(state.is_null() || state == "dead", "round {round}: {state}");
        // It answers: results (exit 0), or none yet (exit 1, as grep).
        let out = codegraph()
            .args([
                "query",
                "helper value",
                repo_s,
                "--index-dir",
                idx_s,
                "--json",
                "--mode",
                "lexical",
            ])
            .output()
            .unwrap();
        assert!(matches!(out.status.code(), Some(0 | 1)), "round {round}");
        let q = json(&out);
        assert!(q["results"].is_array(), "round {round}");
    }
    // The next run converges to what a fresh index of the final tree holds.
    let resumed = json(&run_ok(&[
        "index",
        repo_s,
        "--index-dir",
        idx_s,
        "--json",
        "--no-embed",
    ]));
    let fresh_idx = tempfile::tempdir().unwrap();
    let fresh = json(&run_ok(&[
        "index",
        repo_s,
        "--index-dir",
        fresh_idx.path().to_str().unwrap(),
        "--json",
        "--no-embed",
    ]));
    assert_eq!(summary(&resumed), summary(&fresh));
    let last = json(&run_ok(&[
        "symbol",
        "live_19",
        repo_s,
        "--index-dir",
        idx_s,
        "--json",
    ]));
    assert_eq!(last.as_array().unwrap().len(), 1);
}

/// Runs `codegraph` as an unprivileged user when the tests run as root (so
/// file permissions apply), else as the current user.
#[cfg(target_os = "linux")]
fn codegraph_unprivileged() -> Command {
    let mut cmd = if running_as_root() {
        let mut c = Command::new("setpriv");
        c.args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            env!("CARGO_BIN_EXE_codegraph"),
        ]);
        c
    } else {
        Command::new(env!("CARGO_BIN_EXE_codegraph"))
    };
    cmd.env_remove("CODEGRAPH_LOG");
    cmd
}

/// Whether this process runs as root (`/proc/self` belongs to its user).
#[cfg(target_os = "linux")]
fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").unwrap().uid() == 0
}

/// Gives `path` (recursively) to the unprivileged user when running as root.
#[cfg(target_os = "linux")]
fn give_away(path: &Path) {
    if !running_as_root() {
        return;
    }
    std::os::unix::fs::chown(path, Some(65534), Some(65534)).unwrap();
    if path.is_dir() {
        for e in std::fs::read_dir(path).unwrap() {
            give_away(&e.unwrap().path());
        }
    }
}

/// Regression: one unreadable subdirectory failed the whole repository when
/// watching (the default in the server, and `codegraph watch`), while an
/// index run recorded one skip. The watcher now watches the directories the
/// walk enters and leaves out one it cannot watch.
#[cfg(target_os = "linux")]
#[test]
fn an_unreadable_directory_is_a_skip_for_the_watcher_too() {
    use std::io::BufRead;
    use std::os::unix::fs::PermissionsExt;
    let base = tempfile::tempdir().unwrap();
    std::fs::set_permissions(base.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let repo = base.path().join("repo");
    let idx = base.path().join("idx");
    write(&repo, "a.py", "def alpha():\n    return 1\n");
    write(&repo, "locked/b.py", "def beta():\n    return 2\n");
    std::fs::create_dir_all(&idx).unwrap();
    give_away(&repo);
    give_away(&idx);
    std::fs::set_permissions(repo.join("locked"), std::fs::Permissions::from_mode(0o000)).unwrap();
    let mut child = codegraph_unprivileged()
        .args([
            "watch",
            repo.to_str().unwrap(),
            "--index-dir",
            idx.to_str().unwrap(),
            "--json",
            "--no-embed",
            "--quiet-ms",
            "20",
        ])
        .env("CODEGRAPH_CACHE_DIR", base.path().join("cache"))
        .env("HOME", base.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let _ = tx.send(line);
        }
    });
    let wait = Duration::from_secs(60);
    let first: serde_json::Value = match rx.recv_timeout(wait) {
        Ok(line) => serde_json::from_str(&line).unwrap(),
        Err(_) => {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "the watcher did not start: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    };
    assert_eq!(first["cause"], "startup", "{first}");
    // Edits elsewhere are still followed.
    write(&repo, "c.py", "def gamma():\n    return alpha()\n");
    let mut seen = false;
    while let Ok(line) = rx.recv_timeout(wait) {
        let update: serde_json::Value = serde_json::from_str(&line).unwrap();
        if update["paths"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "c.py")
        {
            seen = true;
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    std::fs::set_permissions(repo.join("locked"), std::fs::Permissions::from_mode(0o755)).unwrap();
    assert!(seen, "the edit to c.py was not followed");
    let status = json(&run_ok(&[
        "status",
        repo.to_str().unwrap(),
        "--index-dir",
        idx.to_str().unwrap(),
        "--json",
        "--verbose",
    ]));
    assert_eq!(status["stats"]["files"], 2, "{status}");
    let skipped = status["skipped_files"].as_array().unwrap();
    assert!(
        skipped
            .iter()
            .any(|s| s["path"] == "locked" && s["reason"] == "unreadable"),
        "{skipped:?}"
    );
}

/// Regression: an index the user may read but not write (another user's,
/// a read-only mount) could not even be read.
#[cfg(target_os = "linux")]
#[test]
fn a_read_only_index_answers_queries() {
    use std::os::unix::fs::PermissionsExt;
    let base = tempfile::tempdir().unwrap();
    std::fs::set_permissions(base.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let repo = base.path().join("repo");
    let idx = base.path().join("idx");
    write(
        &repo,
        "shop.py",
        "def checkout(cart):\n    return total(cart)\n\n\ndef total(cart):\n    return sum(cart)\n",
    );
    run_ok(&[
        "index",
        repo.to_str().unwrap(),
        "--index-dir",
        idx.to_str().unwrap(),
        "--no-embed",
    ]);
    // Read-only for everyone (root included, by mode bits it ignores).
    for dir in [&idx, &idx.join("bm25")] {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_file() {
                std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o444)).unwrap();
            }
        }
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o555)).unwrap();
    }
    let reader = |args: &[&str]| {
        let out = codegraph_unprivileged()
            .args(args)
            .args([
                repo.to_str().unwrap(),
                "--index-dir",
                idx.to_str().unwrap(),
                "--json",
            ])
            .env("CODEGRAPH_CACHE_DIR", base.path().join("cache"))
            .env("HOME", base.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        json(&out)
    };
    let hits = reader(&["query", "checkout cart", "--mode", "lexical"]);
    assert_eq!(hits["results"][0]["path"], "shop.py", "{hits}");
    let callers = reader(&["callers", "total"]);
    assert!(callers.to_string().contains("checkout"), "{callers}");
    let status = reader(&["status"]);
    assert_eq!(status["stats"]["files"], 1, "{status}");
    for dir in [&idx, &idx.join("bm25")] {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}
