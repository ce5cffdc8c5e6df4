//! `codegraph serve` end to end from a real Python gRPC client.
//!
//! The client (`tests/python/client_test.py`) generates its stubs from
//! `proto/` with grpcio-tools at run time, then checks reflection, health
//! and every service of `codegraph.v1` against a copy of `fixtures/python`:
//! over the server's default Unix socket with a plain
//! `grpc.insecure_channel("unix:PATH")` (no channel options), and over TCP
//! with a bearer token.
//! The Python packages are installed with pip, pinned, into a cache under
//! the target directory (once; a marker file records what was installed).
//! A missing `python3` or a failed pip install fails the test: it never
//! silently passes.

use codegraph_testkit::{ServeArgs, ServeProcess, copy_dir, read_lossy, wait_timeout};
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// The Python packages the client needs, pinned (all exist on PyPI for
/// CPython 3.9..3.14; grpcio-tools 1.76 requires protobuf >= 6.31.1, < 7).
/// Changing this list reinstalls the cache.
const PY_REQUIREMENTS: &[&str] = &[
    "grpcio==1.76.0",
    "grpcio-tools==1.76.0",
    "grpcio-reflection==1.76.0",
    "grpcio-health-checking==1.76.0",
    "protobuf==6.33.5",
];

/// How long the server may take to exit after SIGTERM.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one run of the Python client may take (its own calls have
/// 30 s deadlines; this only bounds a hung interpreter).
const CLIENT_TIMEOUT: Duration = Duration::from_secs(300);
/// The bearer token of the authenticated server (`serve --token-file`
/// refuses tokens under 16 characters).
const TOKEN: &str = "secret-token-for-serve-python";

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn client_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/client_test.py")
}

/// `python3` from PATH; fails the test when there is none.
fn python3() -> &'static str {
    static CHECKED: OnceLock<()> = OnceLock::new();
    CHECKED.get_or_init(|| match Command::new("python3").arg("--version").output() {
        Ok(out) if out.status.success() => {}
        Ok(out) => panic!(
            "`python3 --version` failed ({}): {}{}\n\
                 this test needs Python 3 with pip on PATH",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => panic!("cannot run `python3` ({e}): this test needs Python 3 with pip on PATH"),
    });
    "python3"
}

/// Installs [`PY_REQUIREMENTS`] into `<target>/tmp/../pydeps-grpc` unless a
/// marker left by an earlier successful install lists the same
/// requirements; returns the directory (for PYTHONPATH). Serialised within
/// this process by a mutex and across processes by a file lock.
fn python_deps() -> PathBuf {
    static LOCK: Mutex<Option<PathBuf>> = Mutex::new(None);
    let mut done = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(dir) = done.as_ref() {
        return dir.clone();
    }
    let python = python3();
    let base = Path::new(env!("CARGO_TARGET_TMPDIR")).join("..");
    fs::create_dir_all(&base).unwrap();
    let dir = base.join("pydeps-grpc");
    let marker = base.join("pydeps-grpc.installed");
    let lock = File::create(base.join("pydeps-grpc.lock")).unwrap();
    lock.lock().unwrap();
    let wanted = format!("{}\n", PY_REQUIREMENTS.join("\n"));
    let current = fs::read_to_string(&marker).ok();
    if current.as_deref() != Some(wanted.as_str()) || !dir.is_dir() {
        let _ = fs::remove_file(&marker);
        if dir.exists() {
            fs::remove_dir_all(&dir).unwrap();
        }
        eprintln!("installing {PY_REQUIREMENTS:?} into {}", dir.display());
        let out = Command::new(python)
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
            .unwrap_or_else(|e| panic!("cannot run `{python} -m pip`: {e}"));
        assert!(
            out.status.success(),
            "`{python} -m pip install --target {} {}` failed ({}); this test needs \
             pip and access to PyPI (or a pip index configured in the environment)\n\
             stdout:\n{}\nstderr:\n{}",
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

/// A running `codegraph serve` and its temporary directory (state, cache,
/// data, logs, the client's stubs and outputs).
struct Server {
    process: ServeProcess,
    tmp: tempfile::TempDir,
}

impl Server {
    /// Starts the server with its state, cache, runtime and data
    /// directories inside a fresh temporary directory (where the fixture
    /// copy goes too: it is the allowed root): on its default socket, or
    /// with a token on a free port of 127.0.0.1.
    fn start(token: Option<&str>) -> Server {
        let tmp = tempfile::tempdir().unwrap();
        let mut args = vec![
            "--allow-root".to_owned(),
            tmp.path().to_string_lossy().into_owned(),
        ];
        if let Some(token) = token {
            use std::os::unix::fs::PermissionsExt;
            let file = tmp.path().join("token");
            fs::write(&file, format!("{token}\n")).unwrap();
            fs::set_permissions(&file, fs::Permissions::from_mode(0o600)).unwrap();
            args.extend(["--addr".into(), "127.0.0.1:0".into(), "--token-file".into()]);
            args.push(file.to_string_lossy().into_owned());
        }
        let process = ServeProcess::start(&ServeArgs {
            binary: Path::new(env!("CARGO_BIN_EXE_codegraph")),
            home: tmp.path(),
            args,
            env: vec![(
                "CODEGRAPH_DATA_DIR".into(),
                tmp.path().join("data").to_string_lossy().into_owned(),
            )],
        });
        Server { process, tmp }
    }

    fn logs(&self) -> String {
        self.process.logs()
    }

    fn stop(self) {
        self.process.stop(SHUTDOWN_TIMEOUT);
    }
}

/// Runs the Python client against `server` with `args` after the common
/// ones; requires exit status 0 and prints its output (and the server's
/// logs) otherwise.
fn run_client(server: &Server, deps: &Path, args: &[&str]) {
    let tmp = server.tmp.path();
    let stubs = tmp.join("stubs");
    let stdout = tmp.join("client.stdout");
    let stderr = tmp.join("client.stderr");
    let mut child = Command::new(python3())
        .arg(client_script())
        .args(["--addr", &server.process.addr, "--proto-dir"])
        .arg(workspace_root().join("proto"))
        .arg("--out")
        .arg(&stubs)
        .args(args)
        .env("PYTHONPATH", deps)
        .env("PYTHONNOUSERSITE", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PYTHONUNBUFFERED", "1")
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
        "--- client stdout ---\n{}\n--- client stderr ---\n{}\n{}",
        read_lossy(&stdout),
        read_lossy(&stderr),
        server.logs()
    );
    match status {
        Some(s) if s.success() => eprintln!("client_test.py {args:?} passed\n{output}"),
        Some(s) => panic!("client_test.py {args:?} failed ({s})\n{output}"),
        None => panic!("client_test.py {args:?} still running after {CLIENT_TIMEOUT:?}\n{output}"),
    }
}

/// A fresh copy of `fixtures/python` inside the server's temporary
/// directory (the server may watch it; the fixture itself stays untouched).
fn fixture_copy(server: &Server) -> PathBuf {
    let repo = server.tmp.path().join("python");
    copy_dir(&workspace_root().join("fixtures/python"), &repo);
    repo
}

/// Regression: stock gRPC C-core clients (Python grpcio) could not use the
/// socket without overriding `:authority` (`grpc.default_authority`). Now a
/// plain `grpc.insecure_channel("unix:PATH")` exercises every service.
#[test]
fn python_grpcio_uses_the_socket_without_options() {
    let deps = python_deps();
    let server = Server::start(None);
    assert!(
        server.process.addr.starts_with("unix:"),
        "{}",
        server.process.addr
    );
    let repo = fixture_copy(&server);
    run_client(&server, &deps, &["--repo", repo.to_str().unwrap()]);
    server.stop();
}

#[test]
fn python_client_with_a_bearer_token() {
    let deps = python_deps();
    let server = Server::start(Some(TOKEN));
    let repo = fixture_copy(&server);
    run_client(
        &server,
        &deps,
        &["--repo", repo.to_str().unwrap(), "--token", TOKEN],
    );
    run_client(
        &server,
        &deps,
        &["--token", TOKEN, "--expect-unauthenticated"],
    );
    server.stop();
}
