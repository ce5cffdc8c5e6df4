//! The official MCP Inspector's CLI (`@modelcontextprotocol/inspector-cli`
//! on npm, pinned) lists the tools of `codegraph mcp` over stdio and calls
//! some, against a copy of `fixtures/python` indexed beforehand.
//!
//! The package is installed with npm into a cache under the target
//! directory (once; a marker file records the version). Without `npm` the
//! test prints why and returns; a failed install fails it.
//!
//! Version 1.0.3 finds its own `package.json` by testing a path relative
//! to the working directory and importing it relative to its module, so it
//! runs from its `build` directory, where both agree.

use codegraph_testkit::{copy_dir, fixtures, read_lossy, wait_timeout};
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

/// The Inspector's CLI, pinned. Changing it reinstalls the cache.
const PACKAGE: &str = "@modelcontextprotocol/inspector-cli@1.0.3";

/// How long one Inspector run may take.
const RUN_TIMEOUT: Duration = Duration::from_secs(120);

/// Installs [`PACKAGE`] into `<target>/npm-inspector` unless a marker left
/// by an earlier install names it; returns its `build` directory, or `None`
/// (with the reason printed) when npm is missing.
fn inspector() -> Option<PathBuf> {
    static LOCK: Mutex<()> = Mutex::new(());
    let _held = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    if Command::new("npm")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_err()
    {
        eprintln!("SKIPPED: `npm` is not installed, so the MCP Inspector cannot be installed");
        return None;
    }
    let base = Path::new(env!("CARGO_TARGET_TMPDIR")).join("..");
    let dir = base.join("npm-inspector");
    let marker = base.join("npm-inspector.installed");
    let lock = File::create(base.join("npm-inspector.lock")).unwrap();
    lock.lock().unwrap();
    let build = dir.join("node_modules/@modelcontextprotocol/inspector-cli/build");
    if fs::read_to_string(&marker).ok().as_deref() != Some(PACKAGE) || !build.is_dir() {
        let _ = fs::remove_file(&marker);
        if dir.exists() {
            fs::remove_dir_all(&dir).unwrap();
        }
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("package.json"), "{\"private\": true}\n").unwrap();
        eprintln!("installing {PACKAGE} into {}", dir.display());
        let out = Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--save-exact"])
            .arg(PACKAGE)
            .current_dir(&dir)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "`npm install {PACKAGE}` failed ({}); this test needs access to the npm registry \
             (or one configured in the environment)\n{}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        fs::write(&marker, PACKAGE).unwrap();
    }
    lock.unlock().unwrap();
    Some(build)
}

/// One Inspector run against `codegraph mcp REPO`: its exit success and
/// its stdout (JSON), with stderr for messages.
fn run(build: &Path, tmp: &Path, repo: &Path, method: &[&str]) -> (bool, String, String) {
    let stdout = tmp.join("inspector.stdout");
    let stderr = tmp.join("inspector.stderr");
    let mut child = Command::new("node")
        .arg("cli.js")
        .arg("--cli")
        .arg(env!("CARGO_BIN_EXE_codegraph"))
        .arg("mcp")
        .arg(repo)
        .arg("--no-embed")
        .arg("--method")
        .args(method)
        .current_dir(build)
        .env("CODEGRAPH_CACHE_DIR", tmp.join("cache"))
        .env("CODEGRAPH_DATA_DIR", tmp.join("data"))
        .stdin(Stdio::null())
        .stdout(File::create(&stdout).unwrap())
        .stderr(File::create(&stderr).unwrap())
        .spawn()
        .expect("cannot run node");
    let status = wait_timeout(&mut child, RUN_TIMEOUT);
    if status.is_none() {
        let _ = child.kill();
        let _ = child.wait();
    }
    (
        status.is_some_and(|s| s.success()),
        read_lossy(&stdout),
        read_lossy(&stderr),
    )
}

fn json(what: &str, out: &str, err: &str) -> serde_json::Value {
    let start = out
        .find('{')
        .unwrap_or_else(|| panic!("{what}: no JSON\n{out}\n{err}"));
    // The first JSON value; whatever follows it is not the answer.
    serde_json::Deserializer::from_str(&out[start..])
        .into_iter::<serde_json::Value>()
        .next()
        .unwrap_or_else(|| panic!("{what}: no JSON\n{out}\n{err}"))
        .unwrap_or_else(|e| panic!("{what}: {e}\n{out}\n{err}"))
}

#[test]
fn the_inspector_cli_lists_and_calls_tools() {
    let Some(build) = inspector() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("python");
    copy_dir(&fixtures().join("python"), &repo);
    // Indexed beforehand: each Inspector run is a new server process.
    let indexed = Command::new(env!("CARGO_BIN_EXE_codegraph"))
        .arg("index")
        .arg(&repo)
        .arg("--no-embed")
        .env("CODEGRAPH_CACHE_DIR", tmp.path().join("cache"))
        .env("CODEGRAPH_DATA_DIR", tmp.path().join("data"))
        .output()
        .unwrap();
    assert!(
        indexed.status.success(),
        "{}",
        String::from_utf8_lossy(&indexed.stderr)
    );

    let (ok, out, err) = run(&build, tmp.path(), &repo, &["tools/list"]);
    assert!(ok, "tools/list failed\n{out}\n{err}");
    let list = json("tools/list", &out, &err);
    let tools = list["tools"].as_array().expect("a tool list");
    let mut names: Vec<&str> = tools.iter().filter_map(|t| t["name"].as_str()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "callees",
            "callers",
            "completion_context",
            "file_outline",
            "find_symbol",
            "impact",
            "importers",
            "imports",
            "index_status",
            "locate",
            "read_code",
            "references",
            "repo_map",
            "search_code",
            "symbol_outline"
        ]
    );
    for t in tools {
        assert_eq!(t["annotations"]["readOnlyHint"], true, "{t}");
        assert_eq!(t["inputSchema"]["type"], "object", "{t}");
    }

    let (ok, out, err) = run(
        &build,
        tmp.path(),
        &repo,
        &[
            "tools/call",
            "--tool-name",
            "find_symbol",
            "--tool-arg",
            "name=normalise",
        ],
    );
    assert!(ok, "find_symbol failed\n{out}\n{err}");
    let found = json("find_symbol", &out, &err);
    assert_ne!(found["isError"], serde_json::Value::Bool(true), "{found}");
    let items = found["structuredContent"]["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{found}");
    assert_eq!(items[0]["path"], "shop/util.py", "{found}");
    let text = found["content"][0]["text"].as_str().unwrap();
    assert!(text.contains("def normalise(name)"), "{text}");

    let (ok, out, err) = run(
        &build,
        tmp.path(),
        &repo,
        &[
            "tools/call",
            "--tool-name",
            "callers",
            "--tool-arg",
            "symbol=normalise",
        ],
    );
    assert!(ok, "callers failed\n{out}\n{err}");
    let callers = json("callers", &out, &err);
    let items = callers["structuredContent"]["items"].as_array().unwrap();
    assert!(
        items
            .iter()
            .any(|i| i["symbol"] == "shop.service.UserService.add_user"),
        "{callers}"
    );

    // A path outside the repository is a tool error, not a crash.
    let (_, out, err) = run(
        &build,
        tmp.path(),
        &repo,
        &[
            "tools/call",
            "--tool-name",
            "read_code",
            "--tool-arg",
            "path=../../etc/passwd",
        ],
    );
    let refused = json("read_code outside", &out, &err);
    assert_eq!(refused["isError"], true, "{refused}");
    let text = refused["content"][0]["text"].as_str().unwrap();
    assert!(text.contains("outside the repository"), "{text}");
}
