//! Embeds `grammars/languages.toml` and every `grammars/<dir>/*.scm` into the
//! crate, so the binary needs no files at run time and adding a language needs
//! no Rust code here.

use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let grammars = manifest
        .join("../../grammars")
        .canonicalize()
        .expect("grammars/ directory");
    println!("cargo:rerun-if-changed={}", grammars.display());
    let mut files = Vec::new();
    for dir in std::fs::read_dir(&grammars).expect("read grammars/") {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        println!("cargo:rerun-if-changed={}", dir.display());
        for file in std::fs::read_dir(&dir).unwrap() {
            let file = file.unwrap().path();
            if file.extension().is_some_and(|e| e == "scm") {
                println!("cargo:rerun-if-changed={}", file.display());
                files.push(file);
            }
        }
    }
    files.sort();
    let mut out = String::from("pub(crate) static QUERY_FILES: &[(&str, &str, &str)] = &[\n");
    for file in &files {
        let dir = file
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_str()
            .unwrap();
        let name = file.file_name().unwrap().to_str().unwrap();
        writeln!(
            out,
            "    ({dir:?}, {name:?}, include_str!({:?})),",
            file.display().to_string()
        )
        .unwrap();
    }
    out.push_str("];\n");
    let table = grammars.join("languages.toml");
    println!("cargo:rerun-if-changed={}", table.display());
    writeln!(
        out,
        "pub(crate) static LANGUAGE_TABLE: &str = include_str!({:?});",
        table.display().to_string()
    )
    .unwrap();
    let dest = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("embedded.rs");
    std::fs::write(dest, out).unwrap();
}
