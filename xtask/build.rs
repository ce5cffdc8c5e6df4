//! Compiles `proto/scip.proto` (the part of SCIP the oracle reads) with
//! protox, pure Rust: no `protoc` on the machine, nothing downloaded.

use std::path::PathBuf;

fn main() {
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("proto");
    let file = dir.join("scip.proto");
    println!("cargo:rerun-if-changed={}", file.display());
    let fds = protox::compile([&file], [&dir]).unwrap_or_else(|e| panic!("proto: {e}"));
    prost_build::Config::new()
        .compile_fds(fds)
        .unwrap_or_else(|e| panic!("codegen: {e}"));
}
