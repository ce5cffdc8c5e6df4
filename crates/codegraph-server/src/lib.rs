//! The codegraph gRPC server: `proto/codegraph/v1` over the library.
//!
//! [`serve::run`] serves the four services (index, search, context, graph)
//! with gRPC health and reflection, by default on a Unix socket only its
//! owner reaches ([`default_socket`], where clients look for a running
//! server), over TCP only with a bearer token ([`local`]); repositories are
//! registered only under the directories the user allowed
//! ([`AllowedRoots`]). Each registered repository has a reader
//! shared by every query and an indexer thread that follows edits and swaps
//! in the next reader after each update ([`registry`]). Conversions between
//! the library's types and the messages live in [`convert`] alone.

pub mod authority;
pub mod codec;
pub mod convert;
pub mod limits;
pub mod local;
pub mod mcp;
pub mod registry;
pub mod serve;
pub mod services;

pub use local::{default_socket, read_token_file, runtime_dir};
pub use registry::AllowedRoots;
pub use serve::{DEFAULT_GRACE, ServeError, ServeOptions, run};

/// Generated messages, clients and servers of `codegraph.v1`.
#[allow(missing_debug_implementations, clippy::all, clippy::pedantic)]
pub mod pb {
    tonic::include_proto!("codegraph.v1");

    /// The encoded descriptor set of the package, for reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] =
        include_bytes!(concat!(env!("OUT_DIR"), "/codegraph_v1_descriptor.bin"));
}
