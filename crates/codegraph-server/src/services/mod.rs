//! The four services. Each call validates its request against the limits,
//! resolves the repository and every path inside it, then runs the library
//! call on the blocking pool against the repository's current reader, under
//! the client's deadline.

mod context;
mod graph;
mod index;
mod search;

use crate::convert::invalid;
use crate::limits as lim;
use crate::registry::{Registry, Repo};
use codegraph::Reader;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio_stream::Stream;
use tonic::{Request, Status};

/// The shared state of the services.
#[derive(Debug, Clone)]
pub struct Services {
    pub registry: Arc<Registry>,
}

/// The client's deadline (`grpc-timeout`), if it sent one.
pub(crate) fn deadline<T>(request: &Request<T>) -> Option<Duration> {
    let v = request.metadata().get("grpc-timeout")?.to_str().ok()?;
    let (n, unit) = v.split_at(v.len().checked_sub(1)?);
    let n: u64 = n.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n * 3600),
        "M" => Duration::from_secs(n * 60),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

/// Runs `f` on the blocking pool; past the deadline the caller gets
/// DEADLINE_EXCEEDED at once and work still queued never starts. Search and
/// context also pass the deadline to the library, which stops at its next
/// stage; graph calls (a few milliseconds once the graph is loaded, and a
/// load serves every later call) run to their end, with nobody waiting.
pub(crate) async fn blocking<T: Send + 'static>(
    deadline: Option<Duration>,
    f: impl FnOnce() -> Result<T, Status> + Send + 'static,
) -> Result<T, Status> {
    if deadline.is_some_and(|d| d.is_zero()) {
        return Err(Status::deadline_exceeded(
            "the deadline passed before work began",
        ));
    }
    // Work still queued when the deadline passes is not started.
    let expires = deadline.map(|d| std::time::Instant::now() + d);
    let task = tokio::task::spawn_blocking(move || {
        if expires.is_some_and(|e| std::time::Instant::now() >= e) {
            return Err(Status::deadline_exceeded(
                "the deadline passed while the request waited",
            ));
        }
        f()
    });
    let joined = match deadline {
        Some(d) => tokio::time::timeout(d, task)
            .await
            .map_err(|_| Status::deadline_exceeded("the deadline passed"))?,
        None => task.await,
    };
    joined.map_err(|e| Status::internal(format!("the request failed: {e}")))?
}

/// Logs (debug) a library call that took over 20 ms, with its stages.
pub(crate) fn slow(
    kind: &str,
    started: std::time::Instant,
    stages: &std::collections::BTreeMap<String, f64>,
) {
    let ms = started.elapsed().as_secs_f64() * 1e3;
    if ms > 20.0 {
        tracing::debug!(kind, ms, ?stages, "slow request");
    }
}

/// `path` (relative to the root, or absolute) as a root-relative path,
/// after resolving `..` and symlinks; refused unless it lies inside the
/// repository (the root itself included). Nothing outside is read: only
/// path metadata is resolved.
pub fn inside(root: &Path, path: &str) -> Result<String, Status> {
    if path.is_empty() {
        return Err(invalid("path is empty"));
    }
    if path.len() > lim::MAX_PATH_BYTES || path.contains('\0') {
        return Err(invalid("path is too long or contains NUL"));
    }
    match codegraph::confine(root, path) {
        Ok(rel) if !rel.is_empty() => Ok(rel),
        _ => Err(Status::permission_denied(format!(
            "{path}: outside the repository {}",
            root.display()
        ))),
    }
}

pub(crate) fn paths(
    root: &Path,
    list: &[String],
    max: usize,
    what: &str,
) -> Result<Vec<String>, Status> {
    if list.len() > max {
        return Err(invalid(format!("at most {max} {what}; got {}", list.len())));
    }
    list.iter().map(|p| inside(root, p)).collect()
}

pub(crate) fn ready(repo: &Repo) -> Result<Arc<Reader>, Status> {
    if !repo.state.borrow().indexed {
        return Err(Status::failed_precondition(format!(
            "{}: the first index is not complete yet (follow IndexService.WatchProgress)",
            repo.config.root.display()
        )));
    }
    Ok(repo.reader())
}

pub(crate) type Stream_<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

/// A stream fed by a task through a bounded channel.
pub(crate) fn async_stream<T, F, Fut>(
    f: F,
) -> impl Stream<Item = Result<T, Status>> + Send + 'static
where
    T: Send + 'static,
    F: FnOnce(tokio::sync::mpsc::Sender<Result<T, Status>>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    tokio::spawn(f(tx));
    tokio_stream::wrappers::ReceiverStream::new(rx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convert;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn work_past_its_deadline_is_refused_or_abandoned() {
        let code = |r: Result<(), Status>| r.map_err(|e| e.code());
        // No time left: refused before any work.
        let ran = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = ran.clone();
        let r = blocking(Some(Duration::ZERO), move || {
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
            Ok(())
        })
        .await;
        assert_eq!(code(r), Err(tonic::Code::DeadlineExceeded));
        assert!(!ran.load(std::sync::atomic::Ordering::SeqCst));
        // Work longer than the deadline: the caller hears at the deadline.
        let t = std::time::Instant::now();
        let r = blocking(Some(Duration::from_millis(50)), || {
            std::thread::sleep(Duration::from_millis(2000));
            Ok(())
        })
        .await;
        assert_eq!(code(r), Err(tonic::Code::DeadlineExceeded));
        assert!(
            t.elapsed() < Duration::from_millis(1500),
            "{:?}",
            t.elapsed()
        );
        // The library's own deadline error keeps its code.
        let r = blocking(Some(Duration::from_secs(30)), || {
            Err(convert::status(codegraph::Error::DeadlineExceeded("fetch")))
        })
        .await;
        assert_eq!(code(r), Err(tonic::Code::DeadlineExceeded));
        // Time to spare: answered.
        let r = blocking(Some(Duration::from_secs(30)), || Ok(())).await;
        assert_eq!(code(r), Ok(()));
    }

    #[test]
    fn paths_must_stay_inside_the_repository() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::create_dir_all(root.join("src")).unwrap();
        std::fs::write(root.join("src/a.py"), "x = 1\n").unwrap();
        assert_eq!(inside(&root, "src/a.py").unwrap(), "src/a.py");
        assert_eq!(inside(&root, "./src/../src/a.py").unwrap(), "src/a.py");
        // Not yet on disk (an unsaved buffer): normalised lexically.
        assert_eq!(inside(&root, "src/new/b.py").unwrap(), "src/new/b.py");
        for bad in [
            "../etc/passwd",
            "/etc/passwd",
            "src/../../x",
            "src/new/../../../x",
            "",
        ] {
            let e = inside(&root, bad).unwrap_err();
            assert!(
                matches!(
                    e.code(),
                    tonic::Code::PermissionDenied | tonic::Code::InvalidArgument
                ),
                "{bad}: {e:?}"
            );
        }
        // A symlink out of the repository is followed, then refused.
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), "s").unwrap();
        std::os::unix::fs::symlink(outside.path(), root.join("link")).unwrap();
        assert_eq!(
            inside(&root, "link/secret").unwrap_err().code(),
            tonic::Code::PermissionDenied
        );
    }

    #[test]
    fn grpc_timeouts_parse() {
        let mut r = Request::new(());
        r.metadata_mut()
            .insert("grpc-timeout", "250m".parse().unwrap());
        assert_eq!(deadline(&r), Some(Duration::from_millis(250)));
        r.metadata_mut()
            .insert("grpc-timeout", "3S".parse().unwrap());
        assert_eq!(deadline(&r), Some(Duration::from_secs(3)));
        r.metadata_mut()
            .insert("grpc-timeout", "x".parse().unwrap());
        assert_eq!(deadline(&r), None);
    }
}
