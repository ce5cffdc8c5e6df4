//! `codegraph mcp` beside another process that keeps the index current:
//! it reads what that process writes, and takes the index over when that
//! process goes away.

use codegraph_mcp::{IndexState, Live, LiveOptions};
use std::io::BufRead;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// Waits until `ok` holds, at most `within`.
fn wait_for(within: Duration, what: &str, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !ok() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn defined(live: &Live, name: &str) -> bool {
    live.reader()
        .find_symbol(name)
        .is_ok_and(|found| !found.is_empty())
}

#[test]
fn follows_a_watcher_and_takes_the_index_over_when_it_stops() {
    let repo = tempfile::tempdir().unwrap();
    let idx = tempfile::tempdir().unwrap();
    write(repo.path(), "a.py", "def first():\n    return 1\n");
    let mut watcher = Command::new(env!("CARGO_BIN_EXE_codegraph"))
        .args(["watch", "--json", "--no-embed", "--quiet-ms", "100"])
        .arg(repo.path())
        .arg("--index-dir")
        .arg(idx.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(watcher.stdout.take().unwrap()).lines();
    // The watcher's first run is committed.
    lines.next().unwrap().unwrap();

    let mut options = LiveOptions {
        embed: false,
        ..LiveOptions::default()
    };
    options.index.index_dir = Some(idx.path().to_owned());
    let live = Live::start(repo.path(), options).unwrap();
    wait_for(Duration::from_secs(30), "following", || {
        live.completeness().state == IndexState::Following
    });
    assert!(defined(&live, "first"));
    // An edit the watcher indexes reaches this reader.
    write(repo.path(), "b.py", "def second():\n    return 2\n");
    wait_for(Duration::from_secs(30), "the watcher's update", || {
        defined(&live, "second")
    });

    // The watcher stops: this process keeps the index from now on.
    let killed = Command::new("kill")
        .args(["-TERM", &watcher.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    assert!(watcher.wait().unwrap().success());
    wait_for(Duration::from_secs(30), "the takeover", || {
        live.completeness().state == IndexState::Ready
    });
    write(repo.path(), "c.py", "def third():\n    return 3\n");
    wait_for(Duration::from_secs(30), "its own update", || {
        defined(&live, "third")
    });
    live.shutdown(Duration::from_secs(5));
}
