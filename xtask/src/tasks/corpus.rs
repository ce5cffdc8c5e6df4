//! `cargo xtask corpus NAME`: the pinned benchmark corpora, fetched once
//! into `.bench/` from the package registries, and their indexes.

use crate::util::{bench_dir, run};
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const DJANGO_VERSION: &str = "6.1.3";
const TOKIO_VERSION: &str = "1.54.1";
const RXJS_VERSION: &str = "7.8.2";
const LODASH_VERSION: &str = "4.17.21";
const BROTLI_VERSION: &str = "1.1.0";
const GO_SRC: &str = "/usr/share/go-1.19/src";

/// Every corpus `corpus` knows.
pub const NAMES: &str = "jdk, django, tokio, rxjs, lodash, brotli, gonet, and the oracle's (httpx, attrs, marshmallow, zod)";

/// Fetches a corpus (once) and returns its root.
pub fn corpus(name: &str) -> Result<PathBuf> {
    let dir = bench_dir().join(name);
    match name {
        "jdk" => {
            let root = dir.join("java.base");
            if root.is_dir() {
                return Ok(root);
            }
            let zip = Path::new("/usr/lib/jvm/openjdk-17/lib/src.zip");
            if !zip.exists() {
                eprintln!("installing Debian's openjdk-17-source");
                apt_install(&["openjdk-17-source"])?;
            }
            let zip = find_src_zip()?;
            std::fs::create_dir_all(&dir)?;
            run(Command::new("unzip")
                .args(["-q", "-o"])
                .arg(&zip)
                .arg("java.base/*")
                .arg("-d")
                .arg(&dir))?;
            Ok(root)
        }
        "django" => {
            let root = dir.join(format!("django-{DJANGO_VERSION}"));
            if root.is_dir() {
                return Ok(root);
            }
            std::fs::create_dir_all(&dir)?;
            run(Command::new("python3")
                .args([
                    "-m",
                    "pip",
                    "download",
                    "--quiet",
                    "--no-deps",
                    "--no-binary",
                    ":all:",
                    "--ignore-requires-python",
                ])
                .arg(format!("django=={DJANGO_VERSION}"))
                .arg("-d")
                .arg(&dir))?;
            let tarball = std::fs::read_dir(&dir)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .find(|p| p.to_string_lossy().ends_with(".tar.gz"))
                .context("the Django sdist was not downloaded")?;
            run(Command::new("tar")
                .arg("xzf")
                .arg(&tarball)
                .arg("-C")
                .arg(&dir))?;
            Ok(root)
        }
        "tokio" => {
            // A Rust crate, vendored from crates.io at a pinned version.
            let root = dir.join("vendor/tokio");
            if root.is_dir() {
                return Ok(root);
            }
            std::fs::create_dir_all(dir.join("src"))?;
            std::fs::write(
                dir.join("Cargo.toml"),
                format!(
                    "[package]\nname = \"corpus\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n[dependencies]\ntokio = \"={TOKIO_VERSION}\"\n\n[workspace]\n"
                ),
            )?;
            std::fs::write(dir.join("src/lib.rs"), "")?;
            run(Command::new(env!("CARGO"))
                .current_dir(&dir)
                .args(["vendor", "--quiet", "vendor"])
                .stdout(Stdio::null()))?;
            Ok(root)
        }
        "rxjs" => {
            // A TypeScript package that ships its `.ts` sources, from npm.
            let root = dir.join("package/src");
            if root.is_dir() {
                return Ok(root);
            }
            std::fs::create_dir_all(&dir)?;
            run(Command::new("npm")
                .current_dir(&dir)
                .args(["pack", "--silent", &format!("rxjs@{RXJS_VERSION}")])
                .stdout(Stdio::null()))?;
            let tarball = std::fs::read_dir(&dir)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .find(|p| p.to_string_lossy().ends_with(".tgz"))
                .context("the rxjs tarball was not downloaded")?;
            run(Command::new("tar")
                .arg("xzf")
                .arg(&tarball)
                .arg("-C")
                .arg(&dir))?;
            Ok(root)
        }
        "lodash" => {
            // JavaScript: lodash-es, one ES module per function, from npm.
            let root = dir.join("package");
            if root.is_dir() {
                return Ok(root);
            }
            std::fs::create_dir_all(&dir)?;
            run(Command::new("npm")
                .current_dir(&dir)
                .args(["pack", "--silent", &format!("lodash-es@{LODASH_VERSION}")])
                .stdout(Stdio::null()))?;
            untar(&dir, ".tgz")?;
            Ok(root)
        }
        "brotli" => {
            // A C library: the Brotli sdist on PyPI carries its C sources (c/).
            let root = dir.join(format!("Brotli-{BROTLI_VERSION}/c"));
            if root.is_dir() {
                return Ok(root);
            }
            std::fs::create_dir_all(&dir)?;
            run(Command::new("python3")
                .args(["-m", "pip", "download", "--quiet", "--no-deps"])
                .args(["--no-binary", ":all:", "--ignore-requires-python"])
                .arg(format!("Brotli=={BROTLI_VERSION}"))
                .arg("-d")
                .arg(&dir))?;
            untar(&dir, ".tar.gz")?;
            Ok(root)
        }
        "gonet" => {
            // Go: the standard library's net tree (net, net/http, net/url,
            // ...) from Debian's golang-1.19-src, indexed in place.
            let root = Path::new(GO_SRC).join("net");
            if !root.is_dir() {
                eprintln!("installing Debian's golang-1.19-src");
                apt_install(&["golang-1.19-src"])?;
            }
            Ok(root)
        }
        other => match super::oracle::setup::corpus(other) {
            Ok(c) => super::oracle::setup::fetch(&c),
            Err(_) => bail!("unknown corpus `{other}` ({NAMES})"),
        },
    }
}

fn untar(dir: &Path, suffix: &str) -> Result<()> {
    let tarball = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.to_string_lossy().ends_with(suffix))
        .with_context(|| format!("no {suffix} was downloaded into {}", dir.display()))?;
    run(Command::new("tar")
        .arg("xzf")
        .arg(&tarball)
        .arg("-C")
        .arg(dir))
}

fn find_src_zip() -> Result<PathBuf> {
    let out = Command::new("dpkg")
        .args(["-L", "openjdk-17-source"])
        .output()?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find(|l| l.ends_with("src.zip"))
        .map(PathBuf::from)
        .context("openjdk-17-source has no src.zip")
}

pub fn apt_install(packages: &[&str]) -> Result<()> {
    run(Command::new("apt-get").arg("update").arg("-qq"))?;
    run(Command::new("apt-get")
        .args(["install", "-y", "-qq"])
        .args(packages)
        .stdout(Stdio::null()))
}

/// A corpus's name in file names: the name, or a directory's last part.
pub fn corpus_label(name: &str) -> String {
    Path::new(name)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(name)
        .to_owned()
}

/// A corpus and its index (`.bench/index-LABEL`), brought up to date: a
/// pinned corpus by name (fetched if needed), or a directory.
pub fn open_corpus_index(name: &str) -> Result<(PathBuf, codegraph::Codegraph)> {
    use codegraph::{Codegraph, IndexOptions, NoProgress};
    let root = if Path::new(name).is_dir() {
        Path::new(name).canonicalize()?
    } else {
        corpus(name)?
    };
    let mut cg = Codegraph::open(
        &root,
        IndexOptions {
            index_dir: Some(bench_dir().join(format!("index-{}", corpus_label(name)))),
            ..IndexOptions::default()
        },
    )?;
    cg.index(&NoProgress)?;
    Ok((root, cg))
}
