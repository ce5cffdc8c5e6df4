//! The CLI asks a running `codegraph serve` that holds the repository:
//! `query`, `callers`, `callees`, `context` and `map` print through the
//! server exactly what they print from the index (`--no-server`), and the
//! debug log proves which one answered. A server that does not hold the
//! repository, or no server at all, changes nothing but the log. `codegraph
//! mcp` forwards to a server that also serves MCP, and answers by itself
//! once that server is gone.

use codegraph_server::pb;
use codegraph_server::pb::index_service_client::IndexServiceClient;
use codegraph_testkit::{ServeArgs, ServeProcess, copy_dir, fixtures, runtime_dir};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// What the CLI logs when the server answered.
const ANSWERED: &str = "answered by the server";

/// A server on the default socket of `home`, holding a copy of the Python
/// fixture (indexed without embeddings).
struct Served {
    _home: tempfile::TempDir,
    home: PathBuf,
    _repo: tempfile::TempDir,
    repo: PathBuf,
    server: Option<ServeProcess>,
}

impl Served {
    fn start() -> Served {
        Served::start_with(&[])
    }

    /// A server started with `extra` options as well.
    fn start_with(extra: &[&str]) -> Served {
        let home = tempfile::tempdir().unwrap();
        let repo = tempfile::tempdir().unwrap();
        copy_dir(&fixtures().join("python"), repo.path());
        let repo_path = repo.path().canonicalize().unwrap();
        let server = ServeProcess::start(&ServeArgs {
            binary: Path::new(env!("CARGO_BIN_EXE_codegraph")),
            home: home.path(),
            args: ["--allow-root".into(), repo_path.to_string_lossy().into()]
                .into_iter()
                .chain(extra.iter().map(|a| a.to_string()))
                .collect(),
            env: Vec::new(),
        });
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(register(&server.url(), &repo_path));
        Served {
            home: home.path().to_owned(),
            _home: home,
            repo: repo_path,
            _repo: repo,
            server: Some(server),
        }
    }

    /// `codegraph ARGS` in the repository, as a user of this server runs
    /// it (same runtime and cache directories), logging what `remote` does.
    fn cli(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_codegraph"))
            .args(args)
            .current_dir(&self.repo)
            .env("XDG_RUNTIME_DIR", runtime_dir(&self.home))
            .env("CODEGRAPH_CACHE_DIR", self.home.join("cache"))
            .env("CODEGRAPH_LOG", "codegraph::remote=debug")
            .env_remove("NO_COLOR")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }
}

impl Served {
    /// Stops the server (SIGTERM, a clean exit).
    fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.stop(Duration::from_secs(15));
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Registers `root` (no embeddings) and waits for its first index.
async fn register(url: &str, root: &Path) {
    let mut index = IndexServiceClient::connect(url.to_owned()).await.unwrap();
    let registered = index
        .register_repository(pb::RegisterRepositoryRequest {
            path: root.to_string_lossy().into_owned(),
            options: Some(pb::RepositoryOptions {
                embed: Some(false),
                ..Default::default()
            }),
        })
        .await
        .unwrap()
        .into_inner();
    let id = registered.repository.unwrap().id;
    let mut progress = index
        .watch_progress(pb::WatchProgressRequest {
            repository: id,
            until_ready: true,
        })
        .await
        .unwrap()
        .into_inner();
    while progress.message().await.unwrap().is_some() {}
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `args` through the server and with `--no-server`: both succeed with
/// the same stdout (after `normalise`), and only the first was answered by
/// the server. Returns the stdout.
fn same_both_ways(s: &Served, args: &[&str], normalise: fn(&str) -> String) -> String {
    let through = s.cli(args);
    let mut local_args = args.to_vec();
    local_args.push("--no-server");
    let local = s.cli(&local_args);
    let (t_err, l_err) = (text(&through.stderr), text(&local.stderr));
    assert_eq!(
        through.status.code(),
        local.status.code(),
        "codegraph {args:?}\n--- through the server ---\n{t_err}\n--- local ---\n{l_err}"
    );
    assert!(
        t_err.contains(ANSWERED),
        "codegraph {args:?} was not answered by the server:\n{t_err}"
    );
    assert!(
        !l_err.contains(ANSWERED),
        "--no-server asked the server:\n{l_err}"
    );
    let (t_out, l_out) = (text(&through.stdout), text(&local.stdout));
    assert!(
        !l_out.trim().is_empty(),
        "codegraph {args:?} printed nothing"
    );
    assert_eq!(
        normalise(&t_out),
        normalise(&l_out),
        "codegraph {args:?}: the server's answer differs"
    );
    l_out
}

fn as_is(out: &str) -> String {
    out.to_owned()
}

/// A JSON answer without its timings (which differ between any two runs).
fn without_timings(out: &str) -> String {
    let mut v: serde_json::Value = serde_json::from_str(out).unwrap();
    if let Some(o) = v.as_object_mut() {
        o.remove("took_ms");
        o.remove("stages");
        if let Some(stats) = o.get_mut("stats").and_then(|s| s.as_object_mut()) {
            stats.remove("stages");
        }
    }
    v.to_string()
}

#[test]
fn commands_print_the_same_through_a_running_server() {
    let s = Served::start();
    let out = same_both_ways(&s, &["query", "add user", "--mode", "lexical"], as_is);
    assert!(out.contains("add_user"), "{out}");
    same_both_ways(&s, &["query", "normalise"], as_is);
    same_both_ways(
        &s,
        &[
            "query", "user", "--path", "shop", "--kind", "method", "-n", "3",
        ],
        as_is,
    );
    same_both_ways(&s, &["query", "repository", "--group-by", "file"], as_is);
    let out = same_both_ways(&s, &["callers", "Repository.save"], as_is);
    assert!(out.contains("add_user"), "{out}");
    same_both_ways(&s, &["callers", "Repository.get", "--depth", "2"], as_is);
    same_both_ways(&s, &["callers", "Repository.save", "--json"], as_is);
    same_both_ways(&s, &["callees", "UserService.add_user"], as_is);
    same_both_ways(
        &s,
        &[
            "callees",
            "UserService.add_user",
            "--resolved-only",
            "--json",
        ],
        as_is,
    );
    let out = same_both_ways(&s, &["map", "--budget-tokens", "300"], as_is);
    assert!(out.contains("service.py"), "{out}");
    same_both_ways(&s, &["map", "--focus", "shop/service.py", "--json"], as_is);
    let context = [
        "context",
        "--file",
        "shop/service.py",
        "--line",
        "20",
        "--column",
        "9",
    ];
    same_both_ways(&s, &context, as_is);
    let mut json = context.to_vec();
    json.push("--json");
    same_both_ways(&s, &json, without_timings);
}

/// What the server cannot carry or does not hold is answered locally, with
/// the same output and status: `query --json` (the API has no ranks of the
/// other retrievers), a name that designates nothing, a repository the
/// server does not hold.
#[test]
fn what_the_server_does_not_answer_is_answered_locally() {
    let mut s = Served::start();
    let local_only = |args: &[&str]| {
        let through = s.cli(args);
        let mut local_args = args.to_vec();
        local_args.push("--no-server");
        let local = s.cli(&local_args);
        assert_eq!(through.status.code(), local.status.code(), "{args:?}");
        let shown = |out: &[u8]| {
            if args.contains(&"--json") {
                without_timings(&text(out))
            } else {
                text(out)
            }
        };
        assert_eq!(shown(&through.stdout), shown(&local.stdout), "{args:?}");
        let err = text(&through.stderr);
        assert!(!err.contains(ANSWERED), "{args:?}: {err}");
        err
    };
    let err = local_only(&["query", "add user", "--json"]);
    assert!(!err.contains("no server"), "{err}");
    let err = local_only(&["callers", "no_such_function_here"]);
    assert!(err.contains("answering from the index"), "{err}");

    // Another repository, indexed by the CLI: the server does not hold it.
    let other = tempfile::tempdir().unwrap();
    copy_dir(&fixtures().join("python"), other.path());
    let other = other.path().canonicalize().unwrap();
    let index = s.cli(&["index", other.to_str().unwrap(), "--no-embed"]);
    assert!(index.status.success(), "{}", text(&index.stderr));
    let root = other.to_str().unwrap();
    let err = local_only(&["callers", "Repository.save", root]);
    assert!(err.contains("does not hold"), "{err}");

    // No server at all: nothing listens on the socket.
    s.stop();
    let out = s.cli(&["callers", "Repository.save"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("add_user"));
    let err = text(&out.stderr);
    assert!(err.contains("no server: nothing at"), "{err}");
}

/// `codegraph mcp` on stdio, spoken to in JSON-RPC lines.
struct McpSession {
    child: std::process::Child,
    out: std::io::BufReader<std::process::ChildStdout>,
    stderr: PathBuf,
    next_id: u64,
}

impl McpSession {
    fn start(s: &Served, extra: &[&str]) -> McpSession {
        let stderr = s.home.join(format!("mcp-{}.err", extra.len()));
        let mut child = Command::new(env!("CARGO_BIN_EXE_codegraph"))
            .args(["mcp", "--no-embed"])
            .args(extra)
            .current_dir(&s.repo)
            .env("XDG_RUNTIME_DIR", runtime_dir(&s.home))
            .env("CODEGRAPH_CACHE_DIR", s.home.join("cache"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap();
        let out = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut session = McpSession {
            child,
            out,
            stderr,
            next_id: 1,
        };
        let init = session.request(
            "initialize",
            serde_json::json!({
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "remote-test", "version": "1"}
            }),
        );
        assert_eq!(init["result"]["serverInfo"]["name"], "codegraph", "{init}");
        session.send(serde_json::json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        session
    }

    fn send(&mut self, message: serde_json::Value) {
        use std::io::Write;
        let stdin = self.child.stdin.as_mut().unwrap();
        writeln!(stdin, "{message}").unwrap();
        stdin.flush().unwrap();
    }

    fn request(&mut self, method: &str, params: serde_json::Value) -> serde_json::Value {
        use std::io::BufRead;
        let id = self.next_id;
        self.next_id += 1;
        self.send(
            serde_json::json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}),
        );
        let mut line = String::new();
        self.out.read_line(&mut line).unwrap();
        assert!(!line.is_empty(), "no answer to {method}:\n{}", self.log());
        let answer: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(answer["id"], id, "{answer}");
        answer
    }

    /// The text of a tool's answer (the call must succeed).
    fn tool(&mut self, name: &str, arguments: serde_json::Value) -> String {
        let answer = self.request(
            "tools/call",
            serde_json::json!({"name": name, "arguments": arguments}),
        );
        let result = &answer["result"];
        assert_eq!(result["isError"], false, "{answer}\n{}", self.log());
        result["content"][0]["text"].as_str().unwrap().to_owned()
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Closes stdin; the process must exit cleanly.
    fn close(mut self) -> String {
        drop(self.child.stdin.take());
        let status = codegraph_testkit::wait_timeout(&mut self.child, Duration::from_secs(20))
            .expect("codegraph mcp did not exit after stdin closed");
        assert!(status.success(), "{status}\n{}", self.log());
        self.log()
    }
}

impl Drop for McpSession {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What `codegraph mcp` prints when it forwards to a server.
const FORWARDING: &str = "through codegraph serve at";

#[test]
fn mcp_forwards_to_a_running_server_and_answers_alone_once_it_is_gone() {
    let mut s = Served::start_with(&["--mcp"]);
    let mut mcp = McpSession::start(&s, &[]);
    let log = mcp.log();
    assert!(log.contains(FORWARDING), "{log}");
    let tools = mcp.request("tools/list", serde_json::json!({}));
    let names: Vec<&str> = tools["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert!(
        names.contains(&"locate") && names.contains(&"repo_map"),
        "{names:?}"
    );
    let found = mcp.tool("find_symbol", serde_json::json!({"name": "normalise"}));
    assert!(found.contains("shop/util.py:1-3"), "{found}");
    let callers = mcp.tool("callers", serde_json::json!({"symbol": "Repository.save"}));
    assert!(callers.contains("add_user"), "{callers}");
    // The server's errors come back as they are: it is still there.
    let unknown = mcp.request(
        "tools/call",
        serde_json::json!({"name": "nope", "arguments": {}}),
    );
    assert!(unknown["error"]["message"].as_str().is_some(), "{unknown}");
    let bad = mcp.request(
        "tools/call",
        serde_json::json!({"name": "read_code", "arguments": {"path": "../../etc/passwd"}}),
    );
    assert_eq!(bad["result"]["isError"], true, "{bad}");
    let resource = mcp.request(
        "resources/read",
        serde_json::json!({"uri": "codegraph://repository/map"}),
    );
    let map = resource["result"]["contents"][0]["text"]
        .as_str()
        .unwrap_or_default();
    assert!(map.contains("shop/service.py"), "{resource}");
    assert!(!mcp.log().contains("went away"), "{}", mcp.log());

    // The same answers from a session that opens the index itself.
    let mut alone = McpSession::start(&s, &["--no-server"]);
    assert!(!alone.log().contains(FORWARDING), "{}", alone.log());
    let local = alone.tool("find_symbol", serde_json::json!({"name": "normalise"}));
    let first_line = |t: &str| t.lines().next().unwrap_or_default().to_owned();
    assert_eq!(first_line(&local), first_line(&found));
    alone.close();

    // The server dies: the next call is answered from the index, and so
    // is every later one.
    s.server.take().unwrap().kill9();
    let after = mcp.tool("find_symbol", serde_json::json!({"name": "normalise"}));
    assert_eq!(first_line(&after), first_line(&found), "{after}");
    let callers = mcp.tool("callers", serde_json::json!({"symbol": "Repository.save"}));
    assert!(callers.contains("add_user"), "{callers}");
    let log = mcp.close();
    assert!(log.contains("the server went away"), "{log}");
}

#[test]
fn mcp_opens_the_index_when_the_server_does_not_serve_mcp() {
    // A server without --mcp holds the repository: gRPC only.
    let s = Served::start();
    let mut mcp = McpSession::start(&s, &[]);
    let found = mcp.tool("find_symbol", serde_json::json!({"name": "normalise"}));
    assert!(found.contains("shop/util.py:1-3"), "{found}");
    let log = mcp.close();
    assert!(!log.contains(FORWARDING), "{log}");
    assert!(log.contains("on stdio"), "{log}");
}
