//! Re-indexing does only the work that changed.

use super::*;

#[test]
fn unchanged_repository_parses_nothing() {
    let repo = tempfile::tempdir().unwrap();
    let idx = tempfile::tempdir().unwrap();
    for i in 0..20 {
        write(repo.path(), &format!("pkg/m{i}.py"), PY);
    }
    let first = index(repo.path(), idx.path());
    assert_eq!(first.run.parsed, 20);
    let second = index(repo.path(), idx.path());
    assert_eq!(second.run.parsed, 0);
    assert_eq!(second.run.unchanged, 20);
    assert_eq!(second.stats.files, first.stats.files);
    assert_eq!(second.stats.chunks, first.stats.chunks);
    assert_eq!(second.stats.definitions, first.stats.definitions);
}

#[test]
fn changed_touched_added_and_deleted_files() {
    let repo = tempfile::tempdir().unwrap();
    let idx = tempfile::tempdir().unwrap();
    write(repo.path(), "a.py", PY);
    write(repo.path(), "b.py", PY);
    write(repo.path(), "c.py", PY);
    index(repo.path(), idx.path());

    // Modified content, same file: re-parsed, old definitions gone.
    write(repo.path(), "a.py", "def renamed():\n    return 1\n");
    // Same content, new mtime: not parsed.
    let b = repo.path().join("b.py");
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(5);
    std::fs::File::options()
        .write(true)
        .open(&b)
        .unwrap()
        .set_modified(later)
        .unwrap();
    std::fs::remove_file(repo.path().join("c.py")).unwrap();
    write(repo.path(), "d.py", PY);

    let report = index(repo.path(), idx.path());
    assert_eq!(report.run.parsed, 2, "a.py and d.py: {:?}", report.run);
    assert_eq!(report.run.touched, 1);
    assert_eq!(report.run.removed, 1);
    let cg = open(repo.path(), idx.path());
    assert!(cg.find_symbol("a.add").unwrap().is_empty());
    assert_eq!(cg.find_symbol("a.renamed").unwrap().len(), 1);
    assert!(cg.find_symbol("c.add").unwrap().is_empty());
    assert_eq!(cg.find_symbol("d.add").unwrap().len(), 1);

    // Equal to a fresh index of the same tree.
    let fresh_idx = tempfile::tempdir().unwrap();
    let fresh = index(repo.path(), fresh_idx.path());
    let again = open(repo.path(), idx.path()).status().unwrap();
    assert_eq!(again.stats.files, fresh.stats.files);
    assert_eq!(again.stats.definitions, fresh.stats.definitions);
    assert_eq!(again.stats.chunks, fresh.stats.chunks);
    assert_eq!(again.stats.calls, fresh.stats.calls);
}

#[test]
fn a_file_that_becomes_too_large_leaves_the_index() {
    let repo = tempfile::tempdir().unwrap();
    let idx = tempfile::tempdir().unwrap();
    write(repo.path(), "a.py", PY);
    index(repo.path(), idx.path());
    let big = format!("{PY}\n# {}\n", "x".repeat(100)).repeat(12_000);
    write(repo.path(), "a.py", big);
    let report = index(repo.path(), idx.path());
    assert_eq!(report.stats.files, 0);
    assert_eq!(report.run.removed, 1);
    assert_eq!(report.stats.skipped.get(&SkipReason::TooLarge), Some(&1));
}

#[test]
fn chunk_ids_are_stable_across_reindexing() {
    let repo = tempfile::tempdir().unwrap();
    let idx = tempfile::tempdir().unwrap();
    write(repo.path(), "m.py", PY);
    index(repo.path(), idx.path());
    let before: Vec<codegraph::core::ChunkId> = open(repo.path(), idx.path())
        .chunks_in_file("m.py")
        .unwrap()
        .iter()
        .map(|c| c.id)
        .collect();
    // Insert a line above: ranges move, ids of the same definitions stay.
    write(repo.path(), "m.py", format!("import os\n{PY}"));
    index(repo.path(), idx.path());
    let chunks = open(repo.path(), idx.path())
        .chunks_in_file("m.py")
        .unwrap();
    let add = chunks
        .iter()
        .find(|c| c.symbol.as_deref() == Some("m.add"))
        .unwrap();
    assert!(before.contains(&add.id));
    assert_eq!(add.start_line, 2);
}

#[test]
fn chunks_carry_token_ids_from_one_vocabulary() {
    let repo = tempfile::tempdir().unwrap();
    let idx = tempfile::tempdir().unwrap();
    write(
        repo.path(),
        "a.py",
        "def getUserName(user):\n    return user.name\n",
    );
    write(
        repo.path(),
        "b.py",
        "def get_user_name(u):\n    return u.name\n",
    );
    index(repo.path(), idx.path());
    let cg = open(repo.path(), idx.path());
    let a = &cg.chunks_in_file("a.py").unwrap()[0];
    let b = &cg.chunks_in_file("b.py").unwrap()[0];
    let words = |ids: &[u32]| -> Vec<String> {
        ids.iter()
            .map(|&i| cg.token_text(i).unwrap().unwrap())
            .collect()
    };
    let mut wa = words(&a.token_ids);
    wa.sort();
    assert_eq!(wa, ["def", "get", "name", "return", "user"]);
    // Same sub-tokens map to the same ids in both files.
    let shared: Vec<&u32> = a
        .token_ids
        .iter()
        .filter(|i| b.token_ids.contains(i))
        .collect();
    assert_eq!(shared.len(), 5, "def get name return user");
    assert!(
        a.token_ids.windows(2).all(|w| w[0] < w[1]),
        "sorted, unique"
    );
}

#[test]
fn status_reports_pending_work_and_embedding_progress() {
    let repo = tempfile::tempdir().unwrap();
    let idx = tempfile::tempdir().unwrap();
    write(repo.path(), "a.py", PY);
    index(repo.path(), idx.path());
    let status = open(repo.path(), idx.path()).status().unwrap();
    assert!(status.graph_current);
    assert_eq!(status.search_pending, 0);
    let e = &status.embeddings;
    // `index` alone embeds nothing: every chunk is pending.
    assert_eq!(e.done, 0);
    assert_eq!(e.pending, status.stats.chunks);
    assert_eq!(e.coverage, 0.0);
    assert!(!e.model.is_empty());
}

/// An update is one transaction: a reader in another instance (another
/// process, as `codegraph query` is) sees it whole or not at all. Each
/// update renames a function in one file and its caller in another; any
/// state in between (new definitions with the old edges, or one file
/// renamed and not the other) fails the reader's checks.
#[test]
fn readers_in_other_instances_see_each_update_whole() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let repo = tempfile::tempdir().unwrap();
    let idx = tempfile::tempdir().unwrap();
    let version = |tag: u32| {
        (
            format!("from b import pong_{tag}\n\n\ndef ping_{tag}():\n    return pong_{tag}()\n"),
            format!("def pong_{tag}():\n    return {tag}\n"),
        )
    };
    let (a, b) = version(0);
    write(repo.path(), "a.py", a);
    write(repo.path(), "b.py", b);
    let mut cg = open(repo.path(), idx.path());
    cg.index(&NoProgress).unwrap();
    let stop = AtomicBool::new(false);
    let (reader_idx, reader_repo) = (idx.path(), repo.path());
    std::thread::scope(|scope| {
        let reader = scope.spawn(|| {
            let mut checks = 0u32;
            let mut tags = std::collections::BTreeSet::new();
            while !stop.load(Ordering::Relaxed) {
                let r = open(reader_repo, reader_idx);
                let r = r.pinned().unwrap();
                let name = |path: &str, prefix: &str| -> String {
                    let defs = r.symbols_in_file(path).unwrap();
                    assert_eq!(defs.len(), 1, "{path}: {defs:?}");
                    defs[0].name.strip_prefix(prefix).unwrap().to_owned()
                };
                let tag = name("b.py", "pong_");
                assert_eq!(name("a.py", "ping_"), tag, "a.py and b.py from one update");
                let callers = r.callers(&format!("pong_{tag}"), 1, false).unwrap();
                assert_eq!(
                    callers
                        .iter()
                        .map(|c| c.symbol.as_str())
                        .collect::<Vec<_>>(),
                    [format!("a.ping_{tag}")],
                    "the graph of the same update"
                );
                tags.insert(tag);
                checks += 1;
            }
            (checks, tags.len())
        });
        for round in 1..=30 {
            let (a, b) = version(round);
            write(repo.path(), "a.py", a);
            write(repo.path(), "b.py", b);
            let report = cg.index(&NoProgress).unwrap();
            assert_eq!(report.run.parsed, 2);
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        stop.store(true, Ordering::Relaxed);
        let (checks, tags) = reader.join().unwrap();
        // The reader ran throughout and saw several states.
        assert!(checks >= 10 && tags >= 3, "{checks} checks, {tags} states");
    });
}
