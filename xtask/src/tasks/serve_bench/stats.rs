//! What the load clients saw: latencies, errors by code, failures.

use super::rpc::Req;
use std::collections::BTreeMap;

/// The name a failure is counted under: the gRPC code, except that tonic's
/// client reports its own expiry of the deadline (the `grpc-timeout` it
/// sent) as CANCELLED "Timeout expired": that one is `ClientDeadline`.
pub fn failure_code(status: &tonic::Status) -> String {
    if status.code() == tonic::Code::Cancelled && status.message() == "Timeout expired" {
        "ClientDeadline".to_owned()
    } else {
        format!("{:?}", status.code())
    }
}

/// One failed request.
#[derive(Debug, Clone)]
pub struct Failure {
    /// Seconds into the phase when it was sent.
    pub at: f64,
    pub ms: f64,
    pub code: String,
    pub message: String,
    pub req: Req,
}

/// What the clients of one phase saw.
#[derive(Default)]
pub struct Stats {
    /// End-to-end latency of the answered requests, ms, per kind.
    pub e2e: [Vec<f64>; 3],
    /// Server-side `took_us` (search, context), ms.
    pub server: [Vec<f64>; 3],
    /// Failed requests by code, per kind.
    pub errors: [BTreeMap<String, u64>; 3],
    /// The first failures of each client.
    pub failures: Vec<Failure>,
    /// Fixed rate only: how late each request left after its scheduled
    /// time, ms.
    pub lag: Vec<f64>,
    /// Fixed rate only: the most requests in flight at once (all clients).
    pub peak_in_flight: u64,
}

impl Stats {
    pub fn merge(&mut self, other: Stats) {
        for k in 0..3 {
            self.e2e[k].extend(&other.e2e[k]);
            self.server[k].extend(&other.server[k]);
            for (code, n) in &other.errors[k] {
                *self.errors[k].entry(code.clone()).or_default() += n;
            }
        }
        self.failures.extend(other.failures);
        self.lag.extend(other.lag);
        self.peak_in_flight = self.peak_in_flight.max(other.peak_in_flight);
    }

    /// Counts one request sent `at` seconds into the phase that took `ms`;
    /// false when it failed. The first 20 failures are kept.
    pub fn record(
        &mut self,
        req: Req,
        at: f64,
        ms: f64,
        call: Result<Option<u64>, tonic::Status>,
    ) -> bool {
        let kind = req.kind();
        match call {
            Ok(server_us) => {
                self.e2e[kind].push(ms);
                if let Some(us) = server_us {
                    self.server[kind].push(us as f64 / 1000.0);
                }
                true
            }
            Err(status) => {
                let code = failure_code(&status);
                if self.failures.len() < 20 {
                    self.failures.push(Failure {
                        at,
                        ms,
                        code: code.clone(),
                        message: status.message().to_owned(),
                        req,
                    });
                }
                *self.errors[kind].entry(code).or_default() += 1;
                false
            }
        }
    }

    pub fn answered(&self) -> usize {
        self.e2e.iter().map(Vec::len).sum()
    }

    pub fn failed(&self) -> u64 {
        self.errors.iter().flat_map(|m| m.values()).sum()
    }

    pub fn errors_text(&self) -> String {
        let mut all: BTreeMap<&str, u64> = BTreeMap::new();
        for m in &self.errors {
            for (code, n) in m {
                *all.entry(code).or_default() += n;
            }
        }
        if all.is_empty() {
            "none".into()
        } else {
            all.iter()
                .map(|(c, n)| format!("{c} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    }

    /// Up to `per_code` failures of each code, earliest first.
    pub fn examples(&self, per_code: usize) -> Vec<&Failure> {
        let mut sorted: Vec<&Failure> = self.failures.iter().collect();
        sorted.sort_by(|a, b| a.at.total_cmp(&b.at));
        let mut taken: BTreeMap<&str, usize> = BTreeMap::new();
        sorted
            .into_iter()
            .filter(|f| {
                let n = taken.entry(&f.code).or_default();
                *n += 1;
                *n <= per_code
            })
            .collect()
    }
}
