//! Request limits: the table at the top of `proto/codegraph/v1/common.proto`.

pub const MAX_MESSAGE_BYTES: usize = 16 * 1024 * 1024;
pub const MAX_PATH_BYTES: usize = 4096;

pub const MAX_QUERY_BYTES: usize = 64 * 1024;
pub const DEFAULT_K: u32 = 10;
pub const MAX_K: u32 = 1000;
pub const MAX_GLOBS: usize = 32;
pub const MAX_GLOB_BYTES: usize = 1024;
/// `RepositoryOptions.exclude_globs`: patterns, and bytes of one.
pub const MAX_EXCLUDE_GLOBS: usize = 256;
pub const MAX_EXCLUDE_GLOB_BYTES: usize = 1024;
pub const MAX_FILTER_BYTES: usize = 64;
pub const MAX_FOCUS_FILES: usize = 64;
pub const MAX_PAGERANK_WEIGHT: f64 = 10.0;
pub const DEFAULT_RRF_K: f64 = 60.0;
pub const MAX_RRF_K: f64 = 1_000_000.0;

pub const MAX_BUFFER_BYTES: usize = 8 * 1024 * 1024;
pub const DEFAULT_BUDGET_TOKENS: u32 = 2048;
pub const MAX_BUDGET_TOKENS: u32 = 1_000_000;
pub const DEFAULT_CONTEXT_K: u32 = 8;
pub const MAX_CONTEXT_K: u32 = 100;
pub const DEFAULT_MAX_FILES: u32 = 50;
pub const MAX_MAX_FILES: u32 = 10_000;
pub const DEFAULT_MAX_CANDIDATES: u32 = 5000;
pub const MAX_MAX_CANDIDATES: u32 = 100_000;
pub const DEFAULT_WINDOW_LINES: u32 = 20;
pub const MAX_WINDOW_LINES: u32 = 1000;
pub const MAX_SUFFIX_LINES: u32 = 1000;
pub const MAX_RECENT_FILES: usize = 64;

pub const MAX_SYMBOL_BYTES: usize = 1024;
pub const DEFAULT_LOOKUP_LIMIT: u32 = 100;
pub const MAX_LOOKUP_LIMIT: u32 = 1000;
pub const DEFAULT_DEPTH: u32 = 1;
pub const MAX_DEPTH: u32 = 10;
pub const DEFAULT_CALL_LIMIT: u32 = 1000;
pub const MAX_CALL_LIMIT: u32 = 10_000;
pub const DEFAULT_HOPS: u32 = 1;
pub const MAX_HOPS: u32 = 5;
pub const DEFAULT_NEIGHBOR_LIMIT: u32 = 200;
pub const MAX_NEIGHBOR_LIMIT: u32 = 10_000;
pub const DEFAULT_FILE_SYMBOLS_LIMIT: u32 = 10_000;
pub const MAX_FILE_SYMBOLS_LIMIT: u32 = 100_000;
pub const DEFAULT_MAP_BUDGET: u32 = 1024;

pub const MAX_EXCLUDES: usize = 256;
pub const MAX_FILE_SIZE: u64 = 64 * 1024 * 1024;
pub const DEFAULT_QUIET_MS: u32 = 150;
pub const MAX_QUIET_MS: u32 = 60_000;
pub const DEFAULT_MAX_WAIT_MS: u32 = 2000;
pub const MAX_MAX_WAIT_MS: u32 = 600_000;
pub const MAX_SKIPPED_FILES: u32 = 1_000;
pub const DEFAULT_PAGE_SIZE: i32 = 100;
pub const MAX_PAGE_SIZE: i32 = 1000;

/// `value` with 0 meaning `default`, checked against `1..=max`.
pub fn ranged(name: &str, value: u32, default: u32, max: u32) -> Result<u32, tonic::Status> {
    match value {
        0 => Ok(default),
        v if v <= max => Ok(v),
        v => Err(tonic::Status::invalid_argument(format!(
            "{name} must be between 1 and {max} (0: the default, {default}); got {v}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_means_default_and_the_maximum_is_enforced() {
        assert_eq!(ranged("k", 0, 10, 1000).unwrap(), 10);
        assert_eq!(ranged("k", 1000, 10, 1000).unwrap(), 1000);
        let e = ranged("k", 1_000_000_000, 10, 1000).unwrap_err();
        assert_eq!(e.code(), tonic::Code::InvalidArgument);
        assert!(e.message().contains("between 1 and 1000"));
    }
}
