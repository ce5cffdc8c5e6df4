//! The server process: spawn, readiness, connection, kill -9 and SIGTERM.

use crate::util::run;
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};
use tonic::transport::{Channel, Endpoint};

/// Where everything of one run lives.
#[derive(Debug)]
pub struct Paths {
    pub bin: PathBuf,
    pub root: PathBuf,
    pub cache: PathBuf,
    pub state: PathBuf,
    pub ready: PathBuf,
    pub log: PathBuf,
}

/// A server process this bench started; killed (SIGKILL) if dropped while
/// still running, so an error never leaves it behind.
pub struct Server {
    pub child: Child,
    pub addr: String,
}

impl Server {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// kill -9; the exit status once it is gone.
    pub fn kill9(&mut self) -> Result<ExitStatus> {
        self.child.kill().context("kill -9")?;
        Ok(self.child.wait()?)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The last lines of the server's log, for error messages.
pub fn log_tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// Starts `codegraph serve` on `addr` (`unix:PATH`, or `IP:PORT`),
/// allowing the repository's root; returns at once.
pub fn spawn_server(paths: &Paths, addr: &str) -> Result<Child> {
    let _ = std::fs::remove_file(&paths.ready);
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&paths.log)?;
    let listen = match addr.strip_prefix("unix:") {
        Some(path) => ["--socket", path],
        None => ["--addr", addr],
    };
    Command::new(&paths.bin)
        .arg("serve")
        .args(listen)
        .arg("--allow-root")
        .arg(&paths.root)
        .arg("--ready-file")
        .arg(&paths.ready)
        .arg("--state-dir")
        .arg(&paths.state)
        .env("CODEGRAPH_CACHE_DIR", &paths.cache)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .with_context(|| format!("cannot start {}", paths.bin.display()))
}

/// The address the server wrote to its ready file, once it did.
pub fn ready_addr(paths: &Paths) -> Option<String> {
    std::fs::read_to_string(&paths.ready)
        .ok()
        .map(|a| a.trim().to_owned())
        .filter(|a| !a.is_empty())
}

/// Fails if the server process has exited.
pub fn check_alive(child: &mut Child, paths: &Paths) -> Result<()> {
    if let Some(status) = child.try_wait()? {
        bail!(
            "the server exited ({status}); the end of {}:\n{}",
            paths.log.display(),
            log_tail(&paths.log)
        );
    }
    Ok(())
}

pub async fn start_server(paths: &Paths, addr: &str) -> Result<Server> {
    let mut child = spawn_server(paths, addr)?;
    let started = Instant::now();
    loop {
        if let Some(addr) = ready_addr(paths) {
            return Ok(Server { child, addr });
        }
        check_alive(&mut child, paths)?;
        if started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            let _ = child.wait();
            bail!("the server wrote no ready file within 120 s");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// A channel to `addr` (`unix:PATH`, or `IP:PORT`).
pub async fn connect(addr: &str, timeout: Duration) -> Result<Channel> {
    let endpoint = if addr.starts_with("unix:") {
        Endpoint::from_shared(addr.to_owned())?
    } else {
        Endpoint::from_shared(format!("http://{addr}"))?.tcp_nodelay(true)
    };
    Ok(endpoint.connect_timeout(timeout).connect().await?)
}

/// SIGTERM; the exit status and how long it took (None: not within 10 s,
/// then killed).
pub async fn terminate(server: &mut Server) -> Result<(Option<ExitStatus>, f64)> {
    let started = Instant::now();
    run(Command::new("kill")
        .arg("-TERM")
        .arg(server.pid().to_string()))?;
    loop {
        if let Some(status) = server.child.try_wait()? {
            return Ok((Some(status), started.elapsed().as_secs_f64() * 1000.0));
        }
        if started.elapsed() > Duration::from_secs(10) {
            let _ = server.child.kill();
            let _ = server.child.wait();
            return Ok((None, started.elapsed().as_secs_f64() * 1000.0));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
