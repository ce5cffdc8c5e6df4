//! What the server process uses while it runs: resident memory, threads
//! and CPU, from /proc.

use crate::measure::stat_cpu_seconds;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// A field of /proc/PID/status (`VmRSS`, `Threads`), as a number.
pub fn proc_status(pid: u32, field: &str) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
}

/// Resident memory of a process, in bytes.
pub fn rss_bytes(pid: u32) -> Option<u64> {
    proc_status(pid, "VmRSS").map(|kb| kb * 1024)
}

/// CPU seconds (user + system) a process has used, from /proc (0 when it
/// is gone).
fn process_cpu(pid: u32) -> f64 {
    stat_cpu_seconds(&format!("/proc/{pid}/stat"))
}

/// CPU seconds the whole machine has been busy (every core), from
/// /proc/stat.
fn machine_busy() -> f64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let f: Vec<f64> = stat
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal
    let get = |i: usize| f.get(i).copied().unwrap_or(0.0);
    (get(0) + get(1) + get(2) + get(5) + get(6) + get(7)) / 100.0
}

/// Where the CPU went during a phase: the server, this process (clients,
/// editor), everything else on the machine.
pub struct CpuShare {
    pid: u32,
    server: f64,
    bench: f64,
    busy: f64,
    started: Instant,
}

impl CpuShare {
    pub fn start(pid: u32) -> CpuShare {
        CpuShare {
            pid,
            server: process_cpu(pid),
            bench: process_cpu(std::process::id()),
            busy: machine_busy(),
            started: Instant::now(),
        }
    }

    pub fn finish(&self) -> String {
        let server = process_cpu(self.pid) - self.server;
        let bench = process_cpu(std::process::id()) - self.bench;
        let busy = machine_busy() - self.busy;
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        format!(
            "CPU: server {server:.1} s, bench clients and editor {bench:.1} s, rest of the machine {:.1} s; {cores} cores x {:.1} s = {:.1} s",
            (busy - server - bench).max(0.0),
            self.started.elapsed().as_secs_f64(),
            cores as f64 * self.started.elapsed().as_secs_f64()
        )
    }
}

/// Samples a process's RSS and thread count every second until stopped.
pub struct RssSampler {
    stop: Arc<AtomicBool>,
    handle: std::thread::JoinHandle<Vec<(u64, u64)>>,
}

/// What an [`RssSampler`] saw.
pub struct RssSeen {
    pub max: u64,
    pub last: u64,
    /// Every 5th sample (MB), for the trend.
    pub trace: Vec<u64>,
    pub max_threads: u64,
}

impl RssSampler {
    pub fn start(pid: u32) -> RssSampler {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::spawn(move || {
            let sample = || Some((rss_bytes(pid)?, proc_status(pid, "Threads").unwrap_or(0)));
            let mut samples = Vec::new();
            let mut next = Instant::now();
            while !flag.load(Ordering::Relaxed) {
                if Instant::now() >= next {
                    samples.extend(sample());
                    next += Duration::from_secs(1);
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            samples.extend(sample());
            samples
        });
        RssSampler { stop, handle }
    }

    pub fn finish(self) -> RssSeen {
        self.stop.store(true, Ordering::Relaxed);
        let samples = self.handle.join().unwrap_or_default();
        RssSeen {
            max: samples.iter().map(|s| s.0).max().unwrap_or(0),
            last: samples.last().map_or(0, |s| s.0),
            trace: samples.iter().step_by(5).map(|s| s.0 / 1_000_000).collect(),
            max_threads: samples.iter().map(|s| s.1).max().unwrap_or(0),
        }
    }
}
