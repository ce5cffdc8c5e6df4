//! Compiles `proto/codegraph/v1/*.proto` with protox (pure Rust: no
//! `protoc` on the machine, nothing downloaded) and generates the tonic
//! services and prost messages from the descriptor set, which is also
//! kept for the reflection service.

use std::path::PathBuf;

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("../../proto");
    let files: Vec<PathBuf> = ["common", "index", "search", "context", "graph"]
        .iter()
        .map(|f| root.join(format!("codegraph/v1/{f}.proto")))
        .collect();
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
    }
    let fds = protox::compile(&files, [&root]).unwrap_or_else(|e| panic!("proto: {e}"));
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    std::fs::write(
        out.join("codegraph_v1_descriptor.bin"),
        prost::Message::encode_to_vec(&fds),
    )
    .unwrap();
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .codec_path("crate::codec::StrictCodec")
        .compile_fds(fds)
        .unwrap_or_else(|e| panic!("codegen: {e}"));
}
