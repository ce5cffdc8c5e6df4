//! One module per task (or close group of tasks); `main.rs` dispatches.

pub mod bench_cli;
pub mod bench_context;
pub mod bench_embed;
pub mod bench_graph;
pub mod bench_index;
pub mod bench_live;
pub mod bench_search;
pub mod corpus;
pub mod demo;
pub mod eval_context;
pub mod eval_paste;
pub mod eval_search;
pub mod fault_matrix;
pub mod hostile_serve;
pub mod live_eq;
pub mod oracle;
pub mod serve_bench;
pub mod tasks_eval;
