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

/// The kinds of work with a pool each: work of one kind (abandoned by its
/// callers, or hostile) can fill only its own pool, never starve another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Work {
    /// Search requests.
    Search,
    /// Completion context (parses the buffer at request time).
    Context,
    /// Graph lookups, maps and outlines.
    Graph,
    /// Status, registration and other bookkeeping.
    Admin,
}

/// Requests of one kind running at once.
const RUNNING_PER_KIND: usize = 4;
/// Requests of one kind waiting for a slot; more are RESOURCE_EXHAUSTED.
const WAITING_PER_KIND: usize = 64;

struct Pool {
    running: tokio::sync::Semaphore,
    waiting: std::sync::atomic::AtomicUsize,
}

fn pool(kind: Work) -> &'static Pool {
    static POOLS: std::sync::OnceLock<[Pool; 4]> = std::sync::OnceLock::new();
    let pools = POOLS.get_or_init(|| {
        std::array::from_fn(|_| Pool {
            running: tokio::sync::Semaphore::new(RUNNING_PER_KIND),
            waiting: std::sync::atomic::AtomicUsize::new(0),
        })
    });
    &pools[kind as usize]
}

/// Runs `f` on the blocking pool within the slots of its kind of work;
/// past the deadline the caller gets DEADLINE_EXCEEDED at once and work
/// still queued never starts; when too many of its kind wait, the caller
/// gets RESOURCE_EXHAUSTED. Search and context also pass the deadline to
/// the library, which stops at its next stage (parsing checks it as it
/// goes); graph calls (a few milliseconds once the graph is loaded, and a
/// load serves every later call) run to their end, with nobody waiting. A
/// slot is held until the work really ends, so abandoned work counts
/// against its own kind only.
pub(crate) async fn blocking<T: Send + 'static>(
    kind: Work,
    deadline: Option<Duration>,
    f: impl FnOnce() -> Result<T, Status> + Send + 'static,
) -> Result<T, Status> {
    use std::sync::atomic::Ordering;
    if deadline.is_some_and(|d| d.is_zero()) {
        return Err(Status::deadline_exceeded(
            "the deadline passed before work began",
        ));
    }
    let expires = deadline.map(|d| std::time::Instant::now() + d);
    let pool = pool(kind);
    if pool.waiting.fetch_add(1, Ordering::SeqCst) >= WAITING_PER_KIND {
        pool.waiting.fetch_sub(1, Ordering::SeqCst);
        return Err(Status::resource_exhausted(format!(
            "too many {kind:?} requests are waiting; retry later"
        )));
    }
    let acquire = pool.running.acquire();
    let permit = match deadline {
        Some(d) => tokio::time::timeout(d, acquire).await.ok(),
        None => Some(acquire.await),
    };
    pool.waiting.fetch_sub(1, Ordering::SeqCst);
    let Some(Ok(permit)) = permit else {
        return Err(Status::deadline_exceeded(
            "the deadline passed while the request waited for a slot",
        ));
    };
    let left = expires.map(|e| e.saturating_duration_since(std::time::Instant::now()));
    // Work still queued when the deadline passes is not started.
    let task = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        if expires.is_some_and(|e| std::time::Instant::now() >= e) {
            return Err(Status::deadline_exceeded(
                "the deadline passed while the request waited",
            ));
        }
        f()
    });
    let joined = match left {
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
        let r = blocking(Work::Admin, Some(Duration::ZERO), move || {
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
            Ok(())
        })
        .await;
        assert_eq!(code(r), Err(tonic::Code::DeadlineExceeded));
        assert!(!ran.load(std::sync::atomic::Ordering::SeqCst));
        // Work longer than the deadline: the caller hears at the deadline.
        let t = std::time::Instant::now();
        let r = blocking(Work::Admin, Some(Duration::from_millis(50)), || {
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
        let r = blocking(Work::Admin, Some(Duration::from_secs(30)), || {
            Err(convert::status(codegraph::Error::DeadlineExceeded("fetch")))
        })
        .await;
        assert_eq!(code(r), Err(tonic::Code::DeadlineExceeded));
        // Time to spare: answered.
        let r = blocking(Work::Admin, Some(Duration::from_secs(30)), || Ok(())).await;
        assert_eq!(code(r), Ok(()));
    }

    /// Regression: six abandoned 150 KB context requests made a normal
    /// 13 ms request time out at 120 s. Abandoned work of one kind fills
    /// only that kind's slots; the others answer at once.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn abandoned_work_of_one_kind_never_starves_another() {
        let release = Arc::new(std::sync::Barrier::new(RUNNING_PER_KIND + 1));
        let mut abandoned = Vec::new();
        for _ in 0..RUNNING_PER_KIND {
            let release = release.clone();
            abandoned.push(tokio::spawn(blocking(
                Work::Context,
                Some(Duration::from_millis(20)),
                move || {
                    release.wait();
                    Ok(())
                },
            )));
        }
        for a in abandoned {
            let code = a.await.unwrap().map_err(|e| e.code());
            assert_eq!(code, Err(tonic::Code::DeadlineExceeded));
        }
        // The context slots are all held by work nobody waits for...
        let r = blocking(Work::Context, Some(Duration::from_millis(100)), || Ok(())).await;
        assert_eq!(r.map_err(|e| e.code()), Err(tonic::Code::DeadlineExceeded));
        // ...and a search answers regardless.
        let r = blocking(Work::Search, Some(Duration::from_secs(30)), || Ok(7)).await;
        assert_eq!(r.map_err(|e| e.code()), Ok(7));
        // Too many waiting for one kind: refused at once, not queued.
        let mut waiters = Vec::new();
        for _ in 0..WAITING_PER_KIND {
            waiters.push(tokio::spawn(blocking(
                Work::Context,
                Some(Duration::from_secs(30)),
                || Ok(()),
            )));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        let r = blocking(Work::Context, Some(Duration::from_secs(30)), || Ok(())).await;
        assert_eq!(r.map_err(|e| e.code()), Err(tonic::Code::ResourceExhausted));
        // The stuck work ends; everything waiting then runs.
        let release = release.clone();
        tokio::task::spawn_blocking(move || release.wait())
            .await
            .unwrap();
        for w in waiters {
            assert_eq!(w.await.unwrap().map_err(|e| e.code()), Ok(()));
        }
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
