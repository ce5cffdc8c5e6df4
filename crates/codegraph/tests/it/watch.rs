//! The watcher: edits, adds, deletes and renames made while watching end in
//! the index a fresh run over the final tree gives.

use super::graph::{copy_dir, edge_set, fixtures};
use super::*;
use codegraph::{SearchMode, SearchOptions, WatchOptions};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Everything a query can see, in a comparable form.
fn snapshot(
    cg: &Codegraph,
) -> (
    Vec<String>,
    Vec<String>,
    Vec<codegraph::core::ChunkId>,
    Vec<String>,
) {
    let files: Vec<String> = cg.files().unwrap().into_iter().map(|f| f.path).collect();
    let mut defs = Vec::new();
    let mut chunks = Vec::new();
    for f in &files {
        defs.extend(
            cg.symbols_in_file(f)
                .unwrap()
                .into_iter()
                .map(|d| d.qualified_name),
        );
        chunks.extend(cg.chunks_in_file(f).unwrap().into_iter().map(|c| c.id));
    }
    let mut hits = Vec::new();
    for q in ["user", "promote", "label", "report", "audit trail"] {
        let r = cg
            .search(&SearchOptions {
                query: q.into(),
                mode: SearchMode::Lexical,
                ..SearchOptions::default()
            })
            .unwrap();
        // The same hits; their order may differ where scores are close,
        // since BM25 statistics count deleted documents until tantivy merges
        // the segments that hold them.
        let mut found: Vec<String> = r
            .results
            .into_iter()
            .map(|r| format!("{q}: {}:{}", r.path, r.start_line))
            .collect();
        found.sort();
        hits.extend(found);
    }
    defs.sort();
    chunks.sort();
    (files, defs, chunks, hits)
}

#[test]
fn edits_while_watching_end_in_the_fresh_index_of_the_final_tree() {
    let repo = tempfile::tempdir().unwrap();
    copy_dir(&fixtures().join("python"), repo.path());
    let idx = tempfile::tempdir().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let (tx, rx) = std::sync::mpsc::channel();
    let watcher = {
        let (root, idx, stop) = (
            repo.path().to_owned(),
            idx.path().to_owned(),
            Arc::clone(&stop),
        );
        std::thread::spawn(move || {
            let mut cg = open(&root, &idx);
            let options = WatchOptions {
                quiet: Duration::from_millis(100),
                embed: false,
                ..WatchOptions::default()
            };
            cg.watch(&options, &NoProgress, &stop, |_, u| {
                let _ = tx.send((u.cause, u.paths.clone()));
            })
        })
    };
    let (cause, _) = rx.recv_timeout(Duration::from_secs(60)).unwrap();
    assert_eq!(cause.as_str(), "startup");

    // Edit, add, delete and rename, in a few bursts.
    let models = repo.path().join("shop/models.py");
    let text = std::fs::read_to_string(&models)
        .unwrap()
        .replace("def display_name", "def label");
    std::fs::write(&models, text).unwrap();
    write(
        repo.path(),
        "shop/report.py",
        "from .service import UserService\n\n\ndef report(svc: UserService):\n    \"\"\"Audit trail of promotions.\"\"\"\n    return svc.promote(1)\n",
    );
    std::thread::sleep(Duration::from_millis(300));
    std::fs::remove_file(repo.path().join("shop/util.py")).unwrap();
    std::fs::rename(
        repo.path().join("shop/report.py"),
        repo.path().join("shop/audit.py"),
    )
    .unwrap();
    // Editor-style save: write a temporary file, rename it over the original.
    let service = repo.path().join("shop/service.py");
    let text = std::fs::read_to_string(&service).unwrap()
        + "\n\ndef promote_all(svc):\n    return [svc.promote(i) for i in range(3)]\n";
    std::fs::write(repo.path().join("shop/.service.py.swp"), &text).unwrap();
    std::fs::rename(repo.path().join("shop/.service.py.swp"), &service).unwrap();

    // Wait until every changed path has been applied.
    let wanted = [
        "shop/models.py",
        "shop/util.py",
        "shop/audit.py",
        "shop/service.py",
    ];
    let mut seen: Vec<String> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !wanted.iter().all(|w| seen.iter().any(|s| s == w)) {
        let left = deadline.saturating_duration_since(Instant::now());
        let (cause, paths) = rx.recv_timeout(left).expect("updates for every change");
        assert_eq!(cause.as_str(), "change");
        seen.extend(paths);
    }
    stop.store(true, Ordering::Relaxed);
    watcher.join().unwrap().unwrap();

    let watched = open(repo.path(), idx.path());
    let fresh_idx = tempfile::tempdir().unwrap();
    index(repo.path(), fresh_idx.path());
    let fresh = open(repo.path(), fresh_idx.path());
    let (a, b) = (snapshot(&watched), snapshot(&fresh));
    assert_eq!(a, b);
    assert_eq!(edge_set(&watched), edge_set(&fresh));
    // The changes are there.
    assert!(a.1.iter().any(|d| d == "shop.audit.report"));
    assert!(a.1.iter().any(|d| d == "shop.service.promote_all"));
    assert!(
        !a.0.iter()
            .any(|f| f == "shop/util.py" || f == "shop/report.py")
    );
    assert!(
        a.3.iter()
            .any(|h| h.starts_with("audit trail: shop/audit.py")),
        "{:?}",
        a.3
    );
}
