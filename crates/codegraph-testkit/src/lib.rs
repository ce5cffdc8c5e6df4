//! What codegraph's test suites share: the fixture projects, copying a
//! directory tree, and a `codegraph serve` process that is always reaped.
//!
//! Tests only: nothing here is used by the library or the binaries.

use std::fs::{self, File};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The fixture projects (`fixtures/<language>`).
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

/// The languages whose fixture project has hand-labelled edges
/// (`fixtures/<language>/graph.expected`), sorted.
pub fn labelled_fixtures() -> Vec<String> {
    let mut langs: Vec<String> = fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("graph.expected").is_file())
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    langs.sort();
    langs
}

/// Copies the directory tree `from` into `to` (files and directories only).
pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let ty = entry.file_type().unwrap();
        let dest = to.join(entry.file_name());
        if ty.is_dir() {
            copy_dir(&entry.path(), &dest);
        } else if ty.is_file() {
            fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

/// The text of a file, lossily; empty when it cannot be read.
pub fn read_lossy(path: &Path) -> String {
    let mut bytes = Vec::new();
    if let Ok(mut f) = File::open(path) {
        let _ = f.read_to_end(&mut bytes);
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Waits for `child` at most `timeout`; `None` if it is still running.
pub fn wait_timeout(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// How long a server may take to write its ready file.
pub const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// A `codegraph serve` process whose state, cache, runtime and data
/// directories are in `home` (kept across restarts of the same home):
/// `XDG_RUNTIME_DIR` is `home/run`, so its default socket is
/// `home/run/codegraph/serve.sock`. Killed and reaped on drop if the test
/// did not stop it.
#[derive(Debug)]
pub struct ServeProcess {
    child: Option<Child>,
    /// The address it listens on, as its ready file says (`IP:PORT` or
    /// `unix:PATH`).
    pub addr: String,
    logs: PathBuf,
}

/// How to start a [`ServeProcess`].
#[derive(Debug, Clone)]
pub struct ServeArgs<'a> {
    /// The `codegraph` binary (`env!("CARGO_BIN_EXE_codegraph")`).
    pub binary: &'a Path,
    /// Where the state, cache, data and log files go.
    pub home: &'a Path,
    /// Arguments after `serve` (the ready file and state directory are
    /// added); none: the default socket, repositories allowed under the
    /// home directory (pass `--allow-root DIR` for a temporary one).
    pub args: Vec<String>,
    /// Extra environment.
    pub env: Vec<(String, String)>,
}

/// `home/run`, the runtime directory of servers started in `home`
/// (created 0700).
pub fn runtime_dir(home: &Path) -> PathBuf {
    use std::os::unix::fs::DirBuilderExt;
    let dir = home.join("run");
    let _ = fs::DirBuilder::new()
        .mode(0o700)
        .recursive(true)
        .create(&dir);
    dir
}

/// The default socket of servers started in `home`.
pub fn default_socket(home: &Path) -> PathBuf {
    runtime_dir(home).join("codegraph/serve.sock")
}

impl ServeProcess {
    /// Starts the server and waits for its ready file.
    pub fn start(args: &ServeArgs<'_>) -> ServeProcess {
        let (child, ready, logs) = Self::spawn(args);
        let mut server = ServeProcess {
            child: Some(child),
            addr: String::new(),
            logs,
        };
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            let text = fs::read_to_string(&ready).unwrap_or_default();
            let text = text.trim();
            if !text.is_empty() {
                server.addr = text.to_owned();
                return server;
            }
            if let Some(status) = server.child.as_mut().unwrap().try_wait().unwrap() {
                panic!(
                    "`codegraph serve` exited ({status}) before it was ready\n{}",
                    server.logs()
                );
            }
            assert!(
                Instant::now() < deadline,
                "`codegraph serve` was not ready within {READY_TIMEOUT:?}\n{}",
                server.logs()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Starts a server that is expected to refuse to start: waits for its
    /// exit (at most [`READY_TIMEOUT`]) and returns its status and stderr.
    /// Panics if it became ready instead.
    pub fn start_refused(args: &ServeArgs<'_>) -> (ExitStatus, String) {
        let (mut child, ready, logs) = Self::spawn(args);
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return (status, read_lossy(&logs));
            }
            if !fs::read_to_string(&ready)
                .unwrap_or_default()
                .trim()
                .is_empty()
            {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "`codegraph serve` started, though it should have refused\n{}",
                    read_lossy(&logs)
                );
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "`codegraph serve` neither started nor exited\n{}",
                    read_lossy(&logs)
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Spawns `codegraph serve`; returns the child, its ready file and its
    /// log (stderr) file.
    fn spawn(args: &ServeArgs<'_>) -> (Child, PathBuf, PathBuf) {
        let ready = args.home.join("ready");
        let _ = fs::remove_file(&ready);
        fs::create_dir_all(args.home).unwrap();
        let logs = args.home.join("server.log");
        let mut cmd = Command::new(args.binary);
        cmd.arg("serve").args(&args.args);
        cmd.arg("--ready-file")
            .arg(&ready)
            .arg("--state-dir")
            .arg(args.home.join("state"))
            .env("CODEGRAPH_CACHE_DIR", args.home.join("cache"))
            .env("XDG_RUNTIME_DIR", runtime_dir(args.home))
            .env_remove("CODEGRAPH_ALLOW_ROOTS")
            .env_remove("CODEGRAPH_LOG")
            .stdin(Stdio::null())
            .stdout(File::create(args.home.join("server.stdout")).unwrap())
            .stderr(File::create(&logs).unwrap());
        for (k, v) in &args.env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("cannot start `codegraph serve`");
        (child, ready, logs)
    }

    /// What a tonic `Endpoint` takes: `unix:PATH` for a socket,
    /// `http://IP:PORT` for TCP.
    pub fn url(&self) -> String {
        if self.addr.starts_with("unix:") {
            self.addr.clone()
        } else {
            format!("http://{}", self.addr)
        }
    }

    /// The socket's path, for a server on a Unix socket.
    pub fn socket(&self) -> Option<PathBuf> {
        self.addr.strip_prefix("unix:").map(PathBuf::from)
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// What the server wrote to stderr.
    pub fn logs(&self) -> String {
        format!("--- server stderr ---\n{}", read_lossy(&self.logs))
    }

    /// Sends SIGTERM and requires a clean exit within `timeout`; returns
    /// how long the exit took.
    pub fn stop(mut self, timeout: Duration) -> Duration {
        let mut child = self.child.take().expect("running");
        let pid = child.id().to_string();
        let started = Instant::now();
        let kill = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(kill.success(), "`kill -TERM {pid}` failed: {kill}");
        match wait_timeout(&mut child, timeout) {
            Some(status) => {
                let took = started.elapsed();
                assert!(
                    status.success(),
                    "`codegraph serve` exited with {status} after SIGTERM\n{}",
                    self.logs()
                );
                took
            }
            None => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "`codegraph serve` still running {timeout:?} after SIGTERM\n{}",
                    self.logs()
                );
            }
        }
    }

    /// `kill -9`, and reaps it.
    pub fn kill9(mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
