//! The int8-activation rewrite of a model ([`crate::quantize`]), cached
//! beside the model: every process that loads the model (each hybrid CLI
//! query) would otherwise read and rewrite 23 MB first.
//!
//! The cache is `model.dq8.onnx` and a key file naming the source's length
//! and modification time and the rewrite's length; any mismatch, a missing
//! file or one that fails to load rebuilds it from the source. A directory
//! that cannot be written only loses the cache.

use crate::error::{Error, IoContext, Result};
use std::path::{Path, PathBuf};

/// Bumped when the rewrite changes what it produces.
const REWRITE_VERSION: u32 = 1;
const CACHE: &str = "model.dq8.onnx";
const KEY: &str = "model.dq8.key";

/// A model's bytes ready for a session.
pub(crate) struct Prepared {
    pub bytes: Vec<u8>,
    /// Read from the cache (a session that fails on them retries with
    /// [`int8_model`] `fresh`).
    pub from_cache: bool,
}

/// The bytes of the model at `onnx_path` for a session: rewritten for
/// int8 activations ([`int8_model`]) when asked, else as they are.
pub(crate) fn prepare(onnx_path: &Path, int8_activations: bool, fresh: bool) -> Result<Prepared> {
    if int8_activations {
        return int8_model(onnx_path, fresh);
    }
    Ok(Prepared {
        bytes: std::fs::read(onnx_path)
            .io_context(|| format!("reading {}", onnx_path.display()))?,
        from_cache: false,
    })
}

/// The key the cache must carry for the source at `onnx_path`.
fn key_for(onnx_path: &Path) -> Option<String> {
    let meta = std::fs::metadata(onnx_path).ok()?;
    let mtime = meta
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_nanos();
    Some(format!("v{REWRITE_VERSION} {} {mtime}", meta.len()))
}

fn sibling(onnx_path: &Path, name: &str) -> PathBuf {
    onnx_path.with_file_name(name)
}

/// The model at `onnx_path` with its weight-only int8 `MatMul`s run as
/// int8 GEMMs: from the cache when it is current (unless `fresh`), else
/// rewritten and cached. A model without such `MatMul`s comes back as is.
pub(crate) fn int8_model(onnx_path: &Path, fresh: bool) -> Result<Prepared> {
    let key = key_for(onnx_path);
    if !fresh
        && let Some(key) = &key
        && let Some(bytes) = read_cache(onnx_path, key)
    {
        return Ok(Prepared {
            bytes,
            from_cache: true,
        });
    }
    let source =
        std::fs::read(onnx_path).io_context(|| format!("reading {}", onnx_path.display()))?;
    let (rewritten, count) = crate::quantize::dynamic_int8(&source)
        .map_err(|e| Error::Model(format!("rewriting {}: {e}", onnx_path.display())))?;
    if count == 0 {
        tracing::warn!(model = %onnx_path.display(), "int8_activations: no weight-only int8 MatMul in this model; running it as is");
        return Ok(Prepared {
            bytes: source,
            from_cache: false,
        });
    }
    tracing::debug!(
        matmuls = count,
        "running weight-only int8 MatMuls as DynamicQuantizeMatMul"
    );
    if let Some(key) = key {
        write_cache(onnx_path, &key, &rewritten);
    }
    Ok(Prepared {
        bytes: rewritten,
        from_cache: false,
    })
}

/// The cached rewrite when its key matches and its length is the one
/// recorded.
fn read_cache(onnx_path: &Path, key: &str) -> Option<Vec<u8>> {
    let recorded = std::fs::read_to_string(sibling(onnx_path, KEY)).ok()?;
    let (source_key, len) = recorded.trim_end().rsplit_once(' ')?;
    if source_key != key {
        return None;
    }
    let bytes = std::fs::read(sibling(onnx_path, CACHE)).ok()?;
    (len.parse::<usize>().ok()? == bytes.len()).then_some(bytes)
}

/// Writes the cache (the model, then its key, each by rename, so a crash
/// leaves no key over a partial model). Failures only cost the cache.
fn write_cache(onnx_path: &Path, key: &str, rewritten: &[u8]) {
    let write = |name: &str, data: &[u8]| -> std::io::Result<()> {
        let tmp = sibling(onnx_path, &format!("{name}.tmp-{}", std::process::id()));
        std::fs::write(&tmp, data)?;
        std::fs::rename(&tmp, sibling(onnx_path, name)).inspect_err(|_| {
            let _ = std::fs::remove_file(&tmp);
        })
    };
    let _ = std::fs::remove_file(sibling(onnx_path, KEY));
    let done = write(CACHE, rewritten)
        .and_then(|()| write(KEY, format!("{key} {}\n", rewritten.len()).as_bytes()));
    if let Err(e) = done {
        tracing::debug!(error = %e, "the rewritten model is not cached");
    }
}

/// Drops the cache (it failed to load).
pub(crate) fn forget(onnx_path: &Path) {
    let _ = std::fs::remove_file(sibling(onnx_path, KEY));
    let _ = std::fs::remove_file(sibling(onnx_path, CACHE));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_is_used_only_while_it_matches_its_source() {
        let dir = tempfile::tempdir().unwrap();
        let model = dir.path().join("model.onnx");
        std::fs::write(&model, b"source").unwrap();
        let key = key_for(&model).unwrap();
        write_cache(&model, &key, b"rewritten");
        assert_eq!(read_cache(&model, &key).as_deref(), Some(&b"rewritten"[..]));

        // A cut cache file is not used.
        std::fs::write(sibling(&model, CACHE), b"rewrit").unwrap();
        assert_eq!(read_cache(&model, &key), None);

        // A changed source is not the cached one.
        write_cache(&model, &key, b"rewritten");
        std::fs::write(&model, b"another source").unwrap();
        let new_key = key_for(&model).unwrap();
        assert_ne!(key, new_key);
        assert_eq!(read_cache(&model, &new_key), None);

        forget(&model);
        assert!(!sibling(&model, CACHE).exists() && !sibling(&model, KEY).exists());
    }

    #[test]
    fn a_model_that_is_not_onnx_is_an_error_not_a_cache() {
        let dir = tempfile::tempdir().unwrap();
        let model = dir.path().join("model.onnx");
        std::fs::write(&model, b"\xff\xff\xff not protobuf").unwrap();
        assert!(int8_model(&model, false).is_err());
        assert!(!sibling(&model, CACHE).exists());
    }
}
