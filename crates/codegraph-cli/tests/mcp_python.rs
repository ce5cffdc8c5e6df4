//! `codegraph mcp` end to end over stdio: the official Python MCP SDK
//! (`tests/python/mcp_client_test.py`) calls every tool with good and bad
//! arguments against a copy of `fixtures/python`; a raw pipe sends what no
//! SDK would (broken JSON, a message that is not JSON-RPC).
//!
//! The Python package is installed with pip, pinned, into a cache under the
//! target directory (once; a marker file records what was installed), as
//! `serve_python.rs` does. A missing `python3` or a failed pip install
//! fails the test: it never silently passes.

use codegraph_testkit::{ServeArgs, ServeProcess, copy_dir, fixtures, read_lossy, wait_timeout};
use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

/// The official MCP SDK, pinned. Changing this list reinstalls the cache.
const PY_REQUIREMENTS: &[&str] = &["mcp==2.3.0", "mcp-types==2.3.0"];

/// How long one run of the Python client may take.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(300);

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/python")
        .join(name)
}

/// Installs [`PY_REQUIREMENTS`] into `<target>/pydeps-mcp` unless a marker
/// left by an earlier successful install lists the same requirements;
/// returns the directory (for PYTHONPATH).
fn python_deps() -> PathBuf {
    static LOCK: Mutex<Option<PathBuf>> = Mutex::new(None);
    let mut done = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(dir) = done.as_ref() {
        return dir.clone();
    }
    let base = Path::new(env!("CARGO_TARGET_TMPDIR")).join("..");
    fs::create_dir_all(&base).unwrap();
    let dir = base.join("pydeps-mcp");
    let marker = base.join("pydeps-mcp.installed");
    let lock = File::create(base.join("pydeps-mcp.lock")).unwrap();
    lock.lock().unwrap();
    let wanted = format!("{}\n", PY_REQUIREMENTS.join("\n"));
    if fs::read_to_string(&marker).ok().as_deref() != Some(wanted.as_str()) || !dir.is_dir() {
        let _ = fs::remove_file(&marker);
        if dir.exists() {
            fs::remove_dir_all(&dir).unwrap();
        }
        eprintln!("installing {PY_REQUIREMENTS:?} into {}", dir.display());
        let out = Command::new("python3")
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .args(["--no-input", "--target"])
            .arg(&dir)
            .args(PY_REQUIREMENTS)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| {
                panic!("cannot run `python3 -m pip` ({e}): this test needs Python 3 with pip")
            });
        assert!(
            out.status.success(),
            "`python3 -m pip install --target {} {}` failed ({}); this test needs pip and \
             access to PyPI (or a pip index configured in the environment)\n{}\n{}",
            dir.display(),
            PY_REQUIREMENTS.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        fs::write(&marker, &wanted).unwrap();
    }
    lock.unlock().unwrap();
    *done = Some(dir.clone());
    dir
}

/// A copy of `fixtures/python` with a symbolic link out of it, and a cache
/// directory, inside a fresh temporary directory.
fn setup() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("python");
    copy_dir(&fixtures().join("python"), &repo);
    std::os::unix::fs::symlink("/etc", repo.join("link_out")).unwrap();
    (tmp, repo)
}

fn run_client(tmp: &Path, repo: &Path, extra: &[&str]) {
    let mut args = vec![env!("CARGO_BIN_EXE_codegraph").into(), repo.into()];
    args.extend(extra.iter().map(OsString::from));
    run_script(tmp, "mcp_client_test.py", &args);
}

/// Runs `tests/python/NAME` with `args` and the pinned SDK; requires exit
/// status 0 and shows its output (and the server's logs on stderr).
fn run_script(tmp: &Path, name: &str, args: &[OsString]) {
    let deps = python_deps();
    let stdout = tmp.join("client.stdout");
    let stderr = tmp.join("client.stderr");
    let mut child = Command::new("python3")
        .arg(script(name))
        .args(args)
        .env("PYTHONPATH", &deps)
        .env("PYTHONNOUSERSITE", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PYTHONUNBUFFERED", "1")
        .env("CODEGRAPH_CACHE_DIR", tmp.join("cache"))
        .env("CODEGRAPH_DATA_DIR", tmp.join("data"))
        .env("CODEGRAPH_LOG", "info")
        .stdin(Stdio::null())
        .stdout(File::create(&stdout).unwrap())
        .stderr(File::create(&stderr).unwrap())
        .spawn()
        .expect("cannot run python3");
    let status = wait_timeout(&mut child, CLIENT_TIMEOUT);
    if status.is_none() {
        let _ = child.kill();
        let _ = child.wait();
    }
    let output = format!(
        "--- client stdout ---\n{}\n--- client stderr (server logs included) ---\n{}",
        read_lossy(&stdout),
        read_lossy(&stderr)
    );
    match status {
        Some(s) if s.success() => eprintln!("{name} passed\n{output}"),
        Some(s) => panic!("{name} {args:?} failed ({s})\n{output}"),
        None => panic!("{name} still running after {CLIENT_TIMEOUT:?}\n{output}"),
    }
}

#[test]
fn python_sdk_calls_every_tool_on_a_repository_never_indexed() {
    let (tmp, repo) = setup();
    // The first session starts on a repository with no index: it answers
    // at once and builds the index in the background.
    run_client(tmp.path(), &repo, &["--scan-first"]);
    // The second finds the index built and negotiates the newest protocol.
    run_client(tmp.path(), &repo, &["--mode", "auto"]);
}

/// Reads JSON lines from the server until the response with `id`.
fn response(
    lines: &mut impl Iterator<Item = std::io::Result<String>>,
    id: i64,
) -> serde_json::Value {
    for line in lines {
        let line = line.expect("reading the server's stdout");
        let v: serde_json::Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("stdout carries only JSON-RPC ({e}): {line}"));
        if v["id"] == serde_json::json!(id) {
            return v;
        }
    }
    panic!("the server closed stdout before answering {id}");
}

#[test]
fn raw_pipe_garbage_gets_errors_and_the_server_keeps_serving() {
    let (tmp, repo) = setup();
    let mut child = Command::new(env!("CARGO_BIN_EXE_codegraph"))
        .arg("mcp")
        .arg(&repo)
        .arg("--no-embed")
        .env("CODEGRAPH_CACHE_DIR", tmp.path().join("cache"))
        .env("CODEGRAPH_DATA_DIR", tmp.path().join("data"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(File::create(tmp.path().join("server.stderr")).unwrap())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut send = |text: &str| {
        stdin.write_all(text.as_bytes()).unwrap();
        stdin.write_all(b"\n").unwrap();
        stdin.flush().unwrap();
    };
    send(
        r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"0"}}}"#,
    );
    let init = response(&mut lines, 1);
    assert_eq!(init["result"]["protocolVersion"], "2025-06-18", "{init}");
    assert_eq!(init["result"]["serverInfo"]["name"], "codegraph", "{init}");
    send(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#);
    // Broken JSON is dropped; JSON that is not JSON-RPC is an error.
    send("{this is not json");
    send(r#"{"hello":"world"}"#);
    send(r#"{"jsonrpc":"2.0","id":2,"method":"no/such/method"}"#);
    let unknown = response(&mut lines, 2);
    assert_eq!(unknown["error"]["code"], -32601, "{unknown}");
    send(
        r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"no_such_tool","arguments":{}}}"#,
    );
    let tool = response(&mut lines, 3);
    assert!(
        tool["error"]["code"].is_i64(),
        "unknown tool is a JSON-RPC error: {tool}"
    );
    send(
        r#"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"read_code","arguments":{"path":"../../../etc/passwd"}}}"#,
    );
    let outside = response(&mut lines, 4);
    assert_eq!(outside["result"]["isError"], true, "{outside}");
    let text = outside["result"]["content"][0]["text"].as_str().unwrap();
    assert!(text.contains("outside the repository"), "{text}");
    assert!(
        !text.contains("root:"),
        "nothing of /etc/passwd is read: {text}"
    );
    send(r#"{"jsonrpc":"2.0","id":5,"method":"tools/list"}"#);
    let list = response(&mut lines, 5);
    assert_eq!(
        list["result"]["tools"].as_array().unwrap().len(),
        15,
        "{list}"
    );
    // Closing stdin ends the session and the process.
    drop(stdin);
    let status = wait_timeout(&mut child, Duration::from_secs(20));
    if status.is_none() {
        let _ = child.kill();
        let _ = child.wait();
    }
    let logs = read_lossy(&tmp.path().join("server.stderr"));
    assert!(
        status.is_some_and(|s| s.success()),
        "exit on EOF: {status:?}\n{logs}"
    );
}

/// `codegraph serve --mcp` with its arguments after `serve`, in `tmp`
/// (its state, cache, runtime and data directories; the allowed root).
fn serve_mcp(tmp: &Path, extra: &[&str]) -> ServeProcess {
    let mut args = vec![
        "--mcp".to_owned(),
        "--allow-root".to_owned(),
        tmp.to_string_lossy().into_owned(),
    ];
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    ServeProcess::start(&ServeArgs {
        binary: Path::new(env!("CARGO_BIN_EXE_codegraph")),
        home: &tmp.join("home"),
        args,
        env: vec![(
            "CODEGRAPH_DATA_DIR".into(),
            tmp.join("data").to_string_lossy().into_owned(),
        )],
    })
}

/// Streamable HTTP on serve's TCP address: refused without the bearer
/// token or with a wrong one; with it, two agents share the repository
/// they name in the URL (registered on first use), and gRPC still answers
/// on the same port.
#[test]
fn python_sdk_over_streamable_http_with_and_without_the_token() {
    use std::os::unix::fs::PermissionsExt;
    let (tmp, repo) = setup();
    let token = "mcp-http-token-0123456789";
    let token_file = tmp.path().join("token");
    fs::write(&token_file, format!("{token}\n")).unwrap();
    fs::set_permissions(&token_file, fs::Permissions::from_mode(0o600)).unwrap();
    let server = serve_mcp(
        tmp.path(),
        &[
            "--addr",
            "127.0.0.1:0",
            "--token-file",
            token_file.to_str().unwrap(),
        ],
    );
    let url = format!("http://{}/mcp", server.addr);
    run_script(
        tmp.path(),
        "mcp_http_test.py",
        &[
            url.into(),
            repo.clone().into(),
            "--token".into(),
            token.into(),
        ],
    );
    // gRPC on the same port lists the repository the agents registered.
    let roots = grpc_roots(&server.url(), token);
    assert_eq!(
        roots,
        vec![repo.canonicalize().unwrap()],
        "{}",
        server.logs()
    );
    server.stop(Duration::from_secs(20));
}

/// Streamable HTTP over serve's Unix socket (no token: the socket is its
/// owner's alone), beside gRPC on the same socket.
#[test]
fn python_sdk_over_streamable_http_on_the_socket() {
    let (tmp, repo) = setup();
    let server = serve_mcp(tmp.path(), &[]);
    let socket = server.socket().expect("a socket");
    run_script(
        tmp.path(),
        "mcp_http_test.py",
        &[
            "http://localhost/mcp".into(),
            repo.into(),
            "--uds".into(),
            socket.into(),
        ],
    );
    server.stop(Duration::from_secs(20));
}

/// The roots of the repositories the server lists over gRPC.
fn grpc_roots(url: &str, token: &str) -> Vec<PathBuf> {
    use codegraph_server::pb::index_service_client::IndexServiceClient;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut index = IndexServiceClient::connect(url.to_owned()).await.unwrap();
        let mut request =
            tonic::Request::new(codegraph_server::pb::ListRepositoriesRequest::default());
        request
            .metadata_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
        let list = index.list_repositories(request).await.unwrap().into_inner();
        list.repositories
            .into_iter()
            .map(|r| PathBuf::from(r.root))
            .collect()
    })
}
