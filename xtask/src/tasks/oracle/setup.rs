//! The pinned corpora and indexers, and running the indexers.
//!
//! Indexers: `@sourcegraph/scip-python` and `@sourcegraph/scip-typescript`
//! from npm, exact versions, installed once into `.bench/npm/`.
//! Corpora: sdists from PyPI (`pip download --no-binary :all:`) and
//! package tarballs from npm (`npm pack`), unpacked once under
//! `.bench/oracle/NAME/`; each is then laid out so that both tools see
//! the same tree:
//! - Python: the `.pyi` stubs that shadow a `.py` module are removed (or
//!   pyright resolves calls to the stubs); `pyrightconfig.json` includes
//!   the package and its tests, with `extraPaths` on the import root so
//!   that tests import the package from the tree, never an installed copy.
//! - TypeScript: only `src/` is kept (the tarball also ships the compiled
//!   `.js` and `.d.ts`); `tsconfig.json` maps the package's own name to
//!   `src/` (tests import `zod/v4`, rxjs imports `rxjs`), as the projects'
//!   own configurations do.

use crate::util::{bench_dir, run};
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::derive::Lang;

pub const SCIP_PYTHON: &str = "0.6.6";
pub const SCIP_TYPESCRIPT: &str = "0.4.0";

/// A pinned corpus.
#[derive(Debug, Clone, Copy)]
pub struct Corpus {
    pub name: &'static str,
    pub lang: Lang,
    pub package: &'static str,
    pub version: &'static str,
    /// Python: the pyright `include` paths and the import root.
    pub include: &'static [&'static str],
    pub import_root: &'static str,
}

pub const CORPORA: &[Corpus] = &[
    Corpus {
        name: "httpx",
        lang: Lang::Python,
        package: "httpx",
        version: "0.28.1",
        include: &["httpx", "tests"],
        import_root: ".",
    },
    Corpus {
        name: "attrs",
        lang: Lang::Python,
        package: "attrs",
        version: "25.3.0",
        include: &["src", "tests"],
        import_root: "src",
    },
    Corpus {
        name: "marshmallow",
        lang: Lang::Python,
        package: "marshmallow",
        version: "3.26.1",
        include: &["src", "tests"],
        import_root: "src",
    },
    Corpus {
        name: "rxjs",
        lang: Lang::TypeScript,
        package: "rxjs",
        version: "7.8.2",
        include: &[],
        import_root: "",
    },
    Corpus {
        name: "zod",
        lang: Lang::TypeScript,
        package: "zod",
        version: "4.1.12",
        include: &[],
        import_root: "",
    },
];

pub fn corpus(name: &str) -> Result<Corpus> {
    match CORPORA.iter().find(|c| c.name == name) {
        Some(c) => Ok(*c),
        None => bail!(
            "unknown oracle corpus `{name}` ({})",
            CORPORA
                .iter()
                .map(|c| c.name)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The npm prefix with both indexers, installed once.
fn npm_prefix() -> PathBuf {
    bench_dir().join("npm")
}

/// The path of an installed indexer's command (`scip-python`,
/// `scip-typescript`), installing both at their pinned versions first.
pub fn indexer(command: &str) -> Result<PathBuf> {
    let prefix = npm_prefix();
    let bin = prefix.join("node_modules/.bin").join(command);
    let stamp = prefix.join(format!("installed-{SCIP_PYTHON}-{SCIP_TYPESCRIPT}"));
    if bin.exists() && stamp.exists() {
        return Ok(bin);
    }
    eprintln!(
        "installing scip-python {SCIP_PYTHON} and scip-typescript {SCIP_TYPESCRIPT} into {}",
        prefix.display()
    );
    std::fs::create_dir_all(&prefix)?;
    run(Command::new("npm")
        .arg("install")
        .arg("--prefix")
        .arg(&prefix)
        .args([
            "--no-audit",
            "--no-fund",
            "--save-exact",
            "--loglevel",
            "error",
        ])
        .arg(format!("@sourcegraph/scip-python@{SCIP_PYTHON}"))
        .arg(format!("@sourcegraph/scip-typescript@{SCIP_TYPESCRIPT}"))
        .stdout(Stdio::null()))?;
    std::fs::write(&stamp, "")?;
    if !bin.exists() {
        bail!("{} was not installed", bin.display());
    }
    Ok(bin)
}

/// Fetches and lays out a corpus (once); returns its root.
pub fn fetch(c: &Corpus) -> Result<PathBuf> {
    let dir = bench_dir().join("oracle").join(c.name);
    let root = dir.join(format!("{}-{}", c.package, c.version));
    let ready = dir.join(format!(".ready-{}", c.version));
    if root.is_dir() && ready.exists() {
        return Ok(root);
    }
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    eprintln!("fetching {} {}", c.package, c.version);
    match c.lang {
        Lang::Python => {
            run(Command::new("python3")
                .args(["-m", "pip", "download", "--quiet", "--no-deps"])
                .args(["--no-binary", ":all:", "--ignore-requires-python"])
                .arg(format!("{}=={}", c.package, c.version))
                .arg("-d")
                .arg(&dir))?;
            unpack(&dir, ".tar.gz")?;
            if !root.is_dir() {
                bail!("the sdist did not unpack to {}", root.display());
            }
            remove_shadowing_stubs(&root)?;
            let include: Vec<String> = c.include.iter().map(|s| (*s).to_owned()).collect();
            let config = serde_json::json!({
                "include": include,
                "extraPaths": [c.import_root],
            });
            std::fs::write(
                root.join("pyrightconfig.json"),
                serde_json::to_string_pretty(&config)?,
            )?;
        }
        Lang::TypeScript => {
            run(Command::new("npm")
                .current_dir(&dir)
                .args(["pack", "--silent", "--loglevel", "error"])
                .arg(format!("{}@{}", c.package, c.version))
                .stdout(Stdio::null()))?;
            unpack(&dir, ".tgz")?;
            std::fs::rename(dir.join("package"), &root)?;
            // Only the sources.
            for entry in std::fs::read_dir(&root)? {
                let path = entry?.path();
                if path.file_name().is_some_and(|n| n != "src") {
                    if path.is_dir() {
                        std::fs::remove_dir_all(&path)?;
                    } else {
                        std::fs::remove_file(&path)?;
                    }
                }
            }
            let name = c.package;
            let config = serde_json::json!({
                "compilerOptions": {
                    "target": "es2022",
                    "lib": ["es2022", "dom"],
                    "module": "esnext",
                    "moduleResolution": "bundler",
                    "strict": true,
                    "skipLibCheck": true,
                    "noEmit": true,
                    "types": [],
                    "baseUrl": ".",
                    "paths": {
                        name: ["./src/index.ts"],
                        format!("{name}/*"): ["./src/*"],
                    },
                },
                "include": ["src/**/*.ts"],
            });
            std::fs::write(
                root.join("tsconfig.json"),
                serde_json::to_string_pretty(&config)?,
            )?;
        }
    }
    std::fs::write(&ready, "")?;
    Ok(root)
}

fn unpack(dir: &Path, suffix: &str) -> Result<()> {
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

/// Removes every `x.pyi` beside an `x.py`.
fn remove_shadowing_stubs(dir: &Path) -> Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            remove_shadowing_stubs(&path)?;
        } else if path.extension().is_some_and(|e| e == "pyi") && path.with_extension("py").exists()
        {
            std::fs::remove_file(&path)?;
        }
    }
    Ok(())
}

/// Runs the corpus's indexer; returns the path of the SCIP index.
pub fn scip_index(c: &Corpus, root: &Path) -> Result<PathBuf> {
    let out = bench_dir().join("oracle").join(format!("{}.scip", c.name));
    let _ = std::fs::remove_file(&out);
    let mut cmd = match c.lang {
        Lang::Python => {
            let mut cmd = Command::new(indexer("scip-python")?);
            cmd.args(["index", "--project-name", c.package])
                .args(["--project-version", c.version]);
            cmd
        }
        Lang::TypeScript => {
            let mut cmd = Command::new(indexer("scip-typescript")?);
            cmd.args(["index", "--no-progress-bar"]);
            cmd
        }
    };
    // Progress on stderr; the indexers print it on stdout.
    cmd.current_dir(root)
        .arg("--cwd")
        .arg(root)
        .arg("--output")
        .arg(&out)
        .env("NODE_OPTIONS", "--max-old-space-size=8192")
        .stdout(Stdio::from(std::io::stderr()));
    run(&mut cmd)?;
    Ok(out)
}
