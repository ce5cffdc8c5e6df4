//! Localisation tasks mined from git history ("commit text → files and
//! definitions to change") and the evaluation of retrieval systems on them.
//!
//! - `mine/`: `cargo xtask mine-tasks`, the miner;
//! - `task.rs`: the task schema of `eval/tasks/*.jsonl`;
//! - `git.rs`: the `git` binary, and the scratch working tree the
//!   evaluation moves from commit to commit;
//! - `eval.rs`: `cargo xtask eval-tasks`, the run and its table;
//! - `systems.rs`: the systems (the `System` trait; hybrid, lexical, the
//!   maps, the BM25 baseline);
//! - `bm25.rs`: the independent BM25-over-files baseline;
//! - `score.rs`: scoring a ranking against a task, and the averages.

pub mod bm25;
pub mod eval;
pub mod git;
pub mod mine;
pub mod score;
pub mod systems;
pub mod task;
