//! Damage to any file of the index: readers refuse with a clear error or
//! answer, and the next index run heals it (derived files are rebuilt).

use super::*;
use codegraph::{Error, SearchMode, SearchOptions};

fn lexical(query: &str) -> SearchOptions {
    SearchOptions {
        query: query.into(),
        mode: SearchMode::Lexical,
        ..SearchOptions::default()
    }
}

/// A repository of a few modules, indexed into a fresh directory.
fn indexed() -> (tempfile::TempDir, tempfile::TempDir, IndexReport) {
    let repo = tempfile::tempdir().unwrap();
    let idx = tempfile::tempdir().unwrap();
    write(repo.path(), "a.py", PY);
    for i in 0..40 {
        write(
            repo.path(),
            &format!("pkg/m{i}.py"),
            format!("def handler_{i}(request):\n    return add(request, {i})\n"),
        );
    }
    let report = index(repo.path(), idx.path());
    (repo, idx, report)
}

/// After damage and one index run: the same counts as before, and lexical
/// search finds what it found.
fn assert_healed(repo: &Path, idx: &Path, before: &IndexReport) -> IndexReport {
    let mut cg = open(repo, idx);
    let report = cg
        .index(&NoProgress)
        .expect("the index run heals the damage");
    assert_eq!(report.stats.files, before.stats.files);
    assert_eq!(report.stats.chunks, before.stats.chunks);
    assert_eq!(report.stats.definitions, before.stats.definitions);
    let hits = cg.search(&lexical("handler_7")).unwrap();
    assert_eq!(hits.results[0].path, "pkg/m7.py");
    // A new process sees the healed index too.
    let reader = codegraph::Reader::open(repo, options(idx)).unwrap();
    let hits = reader.search(&lexical("Calc")).unwrap();
    assert_eq!(hits.results[0].path, "a.py");
    report
}

fn options(idx: &Path) -> IndexOptions {
    IndexOptions {
        index_dir: Some(idx.to_owned()),
        ..IndexOptions::default()
    }
}

/// Overwrites `len` bytes of `path` at `offset` with garbage.
fn garble(path: &Path, offset: u64, len: usize) {
    use std::io::{Seek, SeekFrom, Write};
    let mut f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    f.seek(SeekFrom::Start(offset)).unwrap();
    f.write_all(&vec![0xA5; len]).unwrap();
}

fn largest_file(dir: &Path, suffix: &str) -> std::path::PathBuf {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .max_by_key(|p| std::fs::metadata(p).unwrap().len())
        .unwrap_or_else(|| panic!("no {suffix} file in {}", dir.display()))
}

#[test]
fn a_truncated_database_is_rebuilt_by_the_next_index_run() {
    let (repo, idx, before) = indexed();
    let db = idx.path().join("index.sqlite");
    let len = std::fs::metadata(&db).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&db)
        .unwrap()
        .set_len(len / 3)
        .unwrap();
    let report = assert_healed(repo.path(), idx.path(), &before);
    assert!(report.rebuilt.is_some_and(|r| r.contains("damaged")));
}

#[test]
fn garbled_database_pages_found_by_a_reader_are_rebuilt_by_the_writer() {
    let (repo, idx, before) = indexed();
    let db = idx.path().join("index.sqlite");
    let len = std::fs::metadata(&db).unwrap().len();
    // Every page but the first (the schema): the file still opens.
    garble(&db, 4096, len as usize - 4096);
    // A reader reports the damage (with the remedy) instead of panicking;
    // it may not rebuild the file itself, but leaves word for the writer.
    let err = codegraph::Reader::open(repo.path(), options(idx.path()))
        .and_then(|r| r.search(&lexical("handler_7")).map(|_| ()))
        .unwrap_err();
    assert!(err.is_damage(), "{err}");
    assert!(err.to_string().contains("codegraph index"), "{err}");
    let report = assert_healed(repo.path(), idx.path(), &before);
    assert!(report.rebuilt.is_some_and(|r| r.contains("damaged")));
}

#[test]
fn a_deleted_lexical_index_is_reported_by_readers_and_rebuilt_by_the_writer() {
    let (repo, idx, before) = indexed();
    std::fs::remove_dir_all(idx.path().join("bm25")).unwrap();
    // Readers answer (a kill during the first run leaves no lexical index
    // yet) and say why nothing lexical came back, and status names it.
    let reader = codegraph::Reader::open(repo.path(), options(idx.path())).unwrap();
    let response = reader.search(&lexical("handler_7")).unwrap();
    // Nothing lexical; the symbol table still names the definition.
    assert!(response.results.iter().all(|r| r.ranks.lexical.is_none()));
    assert_eq!(
        response.results.first().and_then(|r| r.symbol.as_deref()),
        Some("pkg.m7.handler_7"),
        "{:?}",
        response.results
    );
    let notice = response.notice.expect("a notice says the index is missing");
    assert!(notice.contains("codegraph index"), "{notice}");
    let status = reader.status().unwrap();
    assert_eq!(status.lexical_documents, None);
    assert!(
        status.problems.iter().any(|p| p.contains("lexical index")),
        "{:?}",
        status.problems
    );
    assert!(
        assert_healed(repo.path(), idx.path(), &before)
            .rebuilt
            .is_none()
    );
    let healthy = codegraph::Reader::open(repo.path(), options(idx.path())).unwrap();
    let status = healthy.status().unwrap();
    assert!(status.problems.is_empty(), "{:?}", status.problems);
    assert_eq!(status.lexical_documents, Some(before.stats.chunks));
}

#[test]
fn a_garbled_lexical_segment_is_rebuilt_by_the_writer() {
    let (repo, idx, before) = indexed();
    let bm25 = idx.path().join("bm25");
    let postings = largest_file(&bm25, ".idx");
    let len = std::fs::metadata(&postings).unwrap().len();
    garble(&postings, len / 4, (len / 2) as usize);
    // A reader does not verify checksums (that reads the whole index) but
    // must not crash: it answers, perhaps badly, or refuses.
    let reader = codegraph::Reader::open(repo.path(), options(idx.path())).unwrap();
    for query in ["handler_7", "Calc", "request add"] {
        match reader.search(&lexical(query)) {
            Ok(_) => {}
            Err(e) => assert!(e.is_damage(), "{e}"),
        }
    }
    assert!(
        assert_healed(repo.path(), idx.path(), &before)
            .rebuilt
            .is_none()
    );
}

#[test]
fn a_garbled_lexical_meta_file_is_rebuilt_by_the_writer() {
    let (repo, idx, before) = indexed();
    std::fs::write(idx.path().join("bm25/meta.json"), "{ not json").unwrap();
    let reader = codegraph::Reader::open(repo.path(), options(idx.path())).unwrap();
    let err = reader.search(&lexical("handler_7")).unwrap_err();
    assert!(err.is_damage(), "{err}");
    assert!(!reader.status().unwrap().problems.is_empty());
    assert!(
        assert_healed(repo.path(), idx.path(), &before)
            .rebuilt
            .is_none()
    );
}

#[test]
fn an_index_directory_of_another_repository_is_refused_then_replaced_on_request() {
    let (_repo, idx, _) = indexed();
    let other = tempfile::tempdir().unwrap();
    write(other.path(), "b.py", "def other_thing():\n    return 1\n");
    let err = Codegraph::open(other.path(), options(idx.path())).unwrap_err();
    assert!(matches!(err, Error::ForeignIndex { .. }), "{err}");
    assert!(err.to_string().contains("--rebuild"), "{err}");
    let err = codegraph::Reader::open(other.path(), options(idx.path())).unwrap_err();
    assert!(matches!(err, Error::ForeignIndex { .. }), "{err}");
    let mut cg = Codegraph::open_replacing(other.path(), options(idx.path())).unwrap();
    let report = cg.index(&NoProgress).unwrap();
    assert_eq!(report.stats.files, 1);
    assert!(report.rebuilt.is_some());
    let hits = cg.search(&lexical("other_thing")).unwrap();
    assert_eq!(hits.results.len(), 1);
    assert_eq!(hits.results[0].path, "b.py");
    assert!(cg.search(&lexical("handler_7")).unwrap().results.is_empty());
}

#[test]
fn a_rebuild_keeps_the_counts_and_reports_once() {
    let (repo, idx, before) = indexed();
    let mut cg = Codegraph::open_replacing(repo.path(), options(idx.path())).unwrap();
    let report = cg.index(&NoProgress).unwrap();
    assert!(report.rebuilt.is_some());
    assert_eq!(report.stats.chunks, before.stats.chunks);
    assert_eq!(report.stats.definitions, before.stats.definitions);
    // Said once: the next run of the same process is an ordinary update.
    let again = cg.index(&NoProgress).unwrap();
    assert!(again.rebuilt.is_none());
    assert_eq!(again.run.parsed, 0);
}

#[test]
fn a_watcher_heals_damage_a_reader_reports() {
    let (repo, idx, _) = indexed();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (tx, rx) = std::sync::mpsc::channel();
    let watcher = {
        let (repo, idx, stop) = (repo.path().to_owned(), idx.path().to_owned(), stop.clone());
        std::thread::spawn(move || {
            let options = codegraph::WatchOptions {
                embed: false,
                ..codegraph::WatchOptions::default()
            };
            open(&repo, &idx).watch(&options, &NoProgress, &stop, |_, u| {
                let _ = tx.send(u.cause);
            })
        })
    };
    let wait = std::time::Duration::from_secs(60);
    assert_eq!(
        rx.recv_timeout(wait).unwrap(),
        codegraph::UpdateCause::Startup
    );
    let postings = largest_file(&idx.path().join("bm25"), ".idx");
    let len = std::fs::metadata(&postings).unwrap().len();
    garble(&postings, len / 4, (len / 2) as usize);
    let reader = codegraph::Reader::open(repo.path(), options(idx.path())).unwrap();
    let found_damage = ["handler_7", "Calc", "request add"]
        .iter()
        .any(|q| reader.search(&lexical(q)).is_err_and(|e| e.is_damage()));
    assert!(found_damage, "a garbled postings file goes unnoticed");
    assert_eq!(
        rx.recv_timeout(wait).unwrap(),
        codegraph::UpdateCause::Repair
    );
    let fresh = codegraph::Reader::open(repo.path(), options(idx.path())).unwrap();
    let hits = fresh.search(&lexical("handler_7")).unwrap();
    assert_eq!(hits.results[0].path, "pkg/m7.py");
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    watcher.join().unwrap().unwrap();
}

/// Regression (fault matrix: `bm25/<segment>.fast` and `.fieldnorm`,
/// 4 KB garbled in the middle): a reader answered lexical queries from the
/// garbled segment, differently and without a word (readers did not look
/// at checksums). A segment file changed after the commit that lists it is
/// now checked, and a failed checksum is a damage error naming the remedy;
/// the next index run rebuilds the index.
#[test]
fn a_segment_file_garbled_after_its_commit_is_refused_by_readers_not_answered() {
    for ext in [".fast", ".fieldnorm", ".term", ".pos"] {
        let (repo, idx, before) = indexed();
        let file = largest_file(&idx.path().join("bm25"), ext);
        let len = std::fs::metadata(&file).unwrap().len();
        // After the commit, as a disk or another program would.
        std::thread::sleep(std::time::Duration::from_millis(20));
        garble(
            &file,
            (len / 2).saturating_sub(2048),
            len.min(4096) as usize,
        );
        let reader = codegraph::Reader::open(repo.path(), options(idx.path())).unwrap();
        let err = reader.search(&lexical("handler_7")).unwrap_err();
        assert!(
            err.is_damage() || matches!(err, Error::NeedsIndex(_)),
            "{ext}: {err}"
        );
        assert!(err.to_string().contains("codegraph index"), "{ext}: {err}");
        assert_healed(repo.path(), idx.path(), &before);
    }
}

/// Regression (fault matrix: `index.sqlite` truncated to 0): a reader
/// created an empty schema in the emptied file and answered from it —
/// `symbol` found nothing, lexical search lost every symbol — without a
/// word. An emptied database beside a lexical index is damage: readers say
/// so, with the remedy, and the next index run rebuilds the index.
#[test]
fn a_database_cut_to_nothing_is_refused_by_readers_not_answered_empty() {
    let (repo, idx, before) = indexed();
    let db = idx.path().join("index.sqlite");
    std::fs::OpenOptions::new()
        .write(true)
        .open(&db)
        .unwrap()
        .set_len(0)
        .unwrap();
    let err = codegraph::Reader::open(repo.path(), options(idx.path()))
        .and_then(|r| r.find_symbol("handler_7").map(|_| ()))
        .unwrap_err();
    assert!(err.is_damage(), "{err}");
    assert!(err.to_string().contains("codegraph index"), "{err}");
    assert_healed(repo.path(), idx.path(), &before);
}

/// An empty database file with nothing beside it is what a kill during
/// creation leaves: a new index, opened and answered ("nothing yet"), not
/// damage.
#[test]
fn an_empty_database_file_alone_is_a_new_index() {
    let repo = tempfile::tempdir().unwrap();
    std::fs::write(repo.path().join("a.py"), "def handler_7():\n    pass\n").unwrap();
    let idx = tempfile::tempdir().unwrap();
    std::fs::write(idx.path().join("index.sqlite"), b"").unwrap();
    let reader = codegraph::Reader::open(repo.path(), options(idx.path())).unwrap();
    // Opened as a new index: it answers, with nothing indexed yet.
    assert!(reader.find_symbol("handler_7").unwrap().is_empty());
}

/// Regression (issue 16, "a deleted segment file: every query and `index`
/// fail with `FileDoesNotExist`"): readers say the index is damaged (with
/// the remedy) and the next index run rebuilds it.
#[test]
fn a_deleted_segment_file_is_said_by_readers_and_rebuilt_by_the_writer() {
    let (repo, idx, before) = indexed();
    std::fs::remove_file(largest_file(&idx.path().join("bm25"), ".idx")).unwrap();
    let reader = codegraph::Reader::open(repo.path(), options(idx.path())).unwrap();
    let err = reader.search(&lexical("handler_7")).unwrap_err();
    assert!(err.to_string().contains("codegraph index"), "{err}");
    assert_healed(repo.path(), idx.path(), &before);
}

/// An index copied with its repository to another path is refused as
/// another repository's, until `Indexer::open_moved` adopts it: then it
/// answers at once and the next run re-parses nothing.
#[test]
fn an_index_moved_with_its_repository_is_adopted_not_rebuilt() {
    let (repo, idx, before) = indexed();
    let moved = tempfile::tempdir().unwrap();
    let moved_idx = tempfile::tempdir().unwrap();
    codegraph_testkit::copy_dir(repo.path(), moved.path());
    codegraph_testkit::copy_dir(idx.path(), moved_idx.path());
    let err = codegraph::Indexer::open(moved.path(), options(moved_idx.path())).unwrap_err();
    assert!(matches!(err, Error::ForeignIndex { .. }), "{err}");
    drop(codegraph::Indexer::open_moved(moved.path(), options(moved_idx.path())).unwrap());
    let reader = codegraph::Reader::open(moved.path(), options(moved_idx.path())).unwrap();
    assert_eq!(
        reader.search(&lexical("handler_7")).unwrap().results[0].path,
        "pkg/m7.py"
    );
    let report = open(moved.path(), moved_idx.path())
        .index(&NoProgress)
        .unwrap();
    assert_eq!(report.stats.files, before.stats.files);
    assert_eq!(report.run.parsed, 0, "{report:?}");
    assert!(report.rebuilt.is_none(), "{report:?}");
}

/// Regression (fault matrix: `bm25-files/codegraph-bm25-version` deleted):
/// readers went on without the file-level index and ranked files
/// differently without a word. They still answer, and now say why the
/// ranking may differ; the next index run rebuilds the file-level index.
#[test]
fn a_missing_file_level_index_is_said_and_rebuilt() {
    let (repo, idx, before) = indexed();
    std::fs::remove_file(idx.path().join("bm25-files/codegraph-bm25-version")).unwrap();
    let reader = codegraph::Reader::open(repo.path(), options(idx.path())).unwrap();
    let answer = reader.search(&lexical("handler_7")).unwrap();
    assert_eq!(answer.results[0].path, "pkg/m7.py");
    let notice = answer.notice.clone().unwrap_or_default();
    assert!(notice.contains("file-level lexical index"), "{notice:?}");
    assert!(notice.contains("codegraph index"), "{notice:?}");
    let problems = reader.status().unwrap().problems;
    assert!(
        problems.iter().any(|p| p.contains("file-level")),
        "{problems:?}"
    );
    assert_healed(repo.path(), idx.path(), &before);
    let reader = codegraph::Reader::open(repo.path(), options(idx.path())).unwrap();
    assert_eq!(reader.search(&lexical("handler_7")).unwrap().notice, None);
}
