//! The on-disk format: versioned, rebuilt on mismatch, survives reopening.

use codegraph_core::{Chunk, ChunkKind, DefKind, Definition, FileFacts, Span};
use codegraph_store::{FORMAT_VERSION, FileRecord, MetaKey, Store};
use std::path::PathBuf;

fn facts() -> FileFacts {
    FileFacts {
        language: "python".into(),
        line_count: 2,
        definitions: vec![Definition {
            name: "f".into(),
            qualified_name: "m.f".into(),
            kind: DefKind::Function,
            signature: "def f():".into(),
            doc: Some("Does f.".into()),
            span: Span {
                start_byte: 0,
                end_byte: 20,
                start_line: 1,
                end_line: 2,
            },
            parent: None,
        }],
        chunks: vec![Chunk {
            kind: ChunkKind::Function,
            span: Span {
                start_byte: 0,
                end_byte: 20,
                start_line: 1,
                end_line: 2,
            },
            def: Some(0),
            part: 0,
            text: "def f():\n    return 1".into(),
        }],
        ..FileFacts::default()
    }
}

fn write_one(store: &mut Store) {
    let facts = facts();
    let tokens = vec![vec!["def".to_owned(), "f".to_owned(), "return".to_owned()]];
    let mut w = store.writer().unwrap();
    w.replace_file(&FileRecord {
        path: "m.py",
        size: 20,
        mtime_ns: 1,
        hash: [7; 32],
        facts: &facts,
        chunk_tokens: &tokens,
    })
    .unwrap();
    w.commit().unwrap();
}

#[test]
fn committed_data_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index.sqlite");
    let mut store = Store::open(&path).unwrap();
    write_one(&mut store);
    drop(store);
    let store = Store::open(&path).unwrap();
    assert!(store.rebuilt().is_none());
    let defs = store.read().definitions_named("m.f").unwrap();
    assert_eq!(defs.len(), 1);
    assert_eq!(defs[0].doc.as_deref(), Some("Does f."));
    let chunks = store.read().chunks_in_file("m.py").unwrap();
    assert_eq!(chunks[0].symbol.as_deref(), Some("m.f"));
    assert_eq!(chunks[0].token_ids, [1, 2, 3]);
    assert_eq!(
        store.read().meta(MetaKey::FormatVersion).unwrap(),
        Some(FORMAT_VERSION.to_string())
    );
}

#[test]
fn uncommitted_writes_vanish_and_their_tokens_with_them() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("index.sqlite")).unwrap();
    {
        let facts = facts();
        let tokens = vec![vec!["orphan".to_owned()]];
        let mut w = store.writer().unwrap();
        w.replace_file(&FileRecord {
            path: "x.py",
            size: 1,
            mtime_ns: 1,
            hash: [1; 32],
            facts: &facts,
            chunk_tokens: &tokens,
        })
        .unwrap();
        // Dropped without commit: rolled back.
    }
    assert_eq!(store.read().stats().unwrap().files, 0);
    write_one(&mut store);
    // Token ids restart where the committed vocabulary ends.
    assert_eq!(
        store.read().chunks_in_file("m.py").unwrap()[0].token_ids,
        [1, 2, 3]
    );
    assert_eq!(store.read().token_text(1).unwrap().as_deref(), Some("def"));
}

#[test]
fn another_format_version_is_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index.sqlite");
    let mut store = Store::open(&path).unwrap();
    write_one(&mut store);
    drop(store);
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute(
            "UPDATE meta SET value = '0' WHERE key = 'format_version'",
            [],
        )
        .unwrap();
    }
    let store = Store::open(&path).unwrap();
    let why = store.rebuilt().expect("rebuilt");
    assert!(why.contains("format version 0"), "{why}");
    assert_eq!(store.read().stats().unwrap().files, 0);
    assert_eq!(
        store.read().meta(MetaKey::FormatVersion).unwrap(),
        Some(FORMAT_VERSION.to_string())
    );
}

#[test]
fn a_rebuild_keeps_the_embedding_cache_of_an_older_format() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index.sqlite");
    {
        // An index of format 4: embeddings without a rowid, and other tables.
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
             INSERT INTO meta VALUES ('format_version', '4');
             CREATE TABLE files (id INTEGER PRIMARY KEY, path TEXT);
             INSERT INTO files VALUES (1, 'old.py');
             CREATE TABLE embeddings (model TEXT NOT NULL, hash BLOB NOT NULL, vector BLOB NOT NULL,
                                      PRIMARY KEY (model, hash)) WITHOUT ROWID;
             INSERT INTO embeddings VALUES ('m/mean/128t', x'0707', x'0000803f');",
        )
        .unwrap();
    }
    let mut store = Store::open(&path).unwrap();
    assert!(store.rebuilt().is_some());
    assert_eq!(store.read().stats().unwrap().files, 0);
    // The cached vector is still there after the rebuild and a new write.
    write_one(&mut store);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let carried: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM embeddings WHERE model = 'm/mean/128t'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(carried, 1);
    let tables: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE name = 'embeddings_carried'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(tables, 0);
}

/// Regression: bindings were left behind when a file was replaced or
/// deleted, so a re-parsed file had its old variable types twice.
#[test]
fn replacing_or_deleting_a_file_replaces_its_bindings() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index.sqlite");
    let mut store = Store::open(&path).unwrap();
    let mut with_binding = facts();
    with_binding.bindings.push(codegraph_core::Binding {
        name: "u".into(),
        type_name: Some("User".into()),
        value: None,
        scope: Some(0),
        line: 2,
    });
    let tokens = vec![vec!["def".to_owned(), "f".to_owned()]];
    for _ in 0..2 {
        let mut w = store.writer().unwrap();
        w.replace_file(&FileRecord {
            path: "m.py",
            size: 20,
            mtime_ns: 1,
            hash: [7; 32],
            facts: &with_binding,
            chunk_tokens: &tokens,
        })
        .unwrap();
        w.commit().unwrap();
    }
    assert_eq!(store.read().graph_facts().unwrap().bindings.len(), 1);
    let mut w = store.writer().unwrap();
    w.delete_file("m.py").unwrap();
    w.commit().unwrap();
    assert!(store.read().graph_facts().unwrap().bindings.is_empty());
}

/// The vector coverage is recorded by the embedding step so that readers
/// read one row instead of scanning every chunk; any write that changes
/// chunks or vectors drops the record, and readers count again.
#[test]
fn recorded_vector_coverage_never_outlives_a_change() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("index.sqlite")).unwrap();
    write_one(&mut store);
    let hash = store.read().embed_jobs("m", 10).unwrap()[0].hash.clone();
    assert_eq!(store.read().embedding_coverage("m").unwrap(), (0, 1));
    store.put_embeddings("m", &[(hash, vec![1.0])]).unwrap();
    assert_eq!(store.record_coverage("m").unwrap(), (1, 1));
    assert_eq!(
        store
            .read()
            .meta(MetaKey::VectorCoverage)
            .unwrap()
            .as_deref(),
        Some("m\t1\t1")
    );
    // Another model's question is not answered from the record.
    assert_eq!(store.read().embedding_coverage("other").unwrap(), (0, 1));
    // A write that replaces the chunks drops it; the count still holds.
    write_one(&mut store);
    assert_eq!(store.read().meta(MetaKey::VectorCoverage).unwrap(), None);
    assert_eq!(store.read().embedding_coverage("m").unwrap(), (1, 1));
    store.record_coverage("m").unwrap();
    // Deleting the file drops it, and the count follows.
    let mut w = store.writer().unwrap();
    w.delete_file("m.py").unwrap();
    w.commit().unwrap();
    assert_eq!(store.read().meta(MetaKey::VectorCoverage).unwrap(), None);
    assert_eq!(store.read().embedding_coverage("m").unwrap(), (0, 0));
    // New vectors drop it too.
    store.record_coverage("m").unwrap();
    store.put_embeddings("m", &[(vec![9], vec![2.0])]).unwrap();
    assert_eq!(store.read().meta(MetaKey::VectorCoverage).unwrap(), None);
}

/// A bulk load leaves its pages in the write-ahead log until it ends (no
/// checkpoint every 1,000 pages), and ending it moves them into the
/// database file.
#[test]
fn a_bulk_load_checkpoints_when_it_ends() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index.sqlite");
    let mut store = Store::open(&path).unwrap();
    store.set_bulk_load(true).unwrap();
    let mut facts = facts();
    for i in 0..200 {
        // 24 KB of text per file: about 1,200 pages in all.
        facts.chunks[0].text = format!("def f{i}():\n    return {}\n", "x + ".repeat(6000));
        facts.chunks[0].span.end_byte = facts.chunks[0].text.len() as u32;
        let mut w = store.writer().unwrap();
        w.replace_file(&FileRecord {
            path: &format!("m{i}.py"),
            size: 20,
            mtime_ns: 1,
            hash: [i as u8; 32],
            facts: &facts,
            chunk_tokens: &[vec!["def".to_owned()]],
        })
        .unwrap();
        w.commit().unwrap();
    }
    let len = |suffix: &str| {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        std::fs::metadata(PathBuf::from(p)).map_or(0, |m| m.len())
    };
    assert!(len("-wal") > 4_000_000, "log {} bytes", len("-wal"));
    assert!(
        len("") < 1_000_000,
        "checkpointed during the load: {} bytes",
        len("")
    );
    store.set_bulk_load(false).unwrap();
    assert!(
        len("") > 4_000_000,
        "not checkpointed at the end: {} bytes",
        len("")
    );
    assert_eq!(store.read().chunks_in_file("m199.py").unwrap().len(), 1);
}
