//! The figures: one load phase, the restarts, the targets; failed requests
//! replayed alone.

use super::KINDS;
use super::fault::Restart;
use super::mix::Mix;
use super::options::Options;
use super::rpc::Clients;
use super::stats::{Stats, failure_code};
use crate::measure::{median, percentile, sorted};
use codegraph_server::pb;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};
use tonic::transport::Channel;

pub fn summary_line(s: &pb::RunSummary) -> String {
    let cause = pb::RunCause::try_from(s.cause)
        .map(|c| {
            c.as_str_name()
                .trim_start_matches("RUN_CAUSE_")
                .to_lowercase()
        })
        .unwrap_or_else(|_| s.cause.to_string());
    format!(
        "run {} ({cause}) succeeded {} in {} ms: parsed {}, unchanged {}, touched {}, removed {}, graph {} ({} files re-resolved, {} ms), lexical docs {}, chunks embedded {}, rebuilt {:?}, server RSS {:.0} MB{}",
        s.run_id,
        s.succeeded,
        s.duration_ms,
        s.files_parsed,
        s.files_unchanged,
        s.files_touched,
        s.files_removed,
        if s.graph_resolved {
            "resolved"
        } else {
            "not resolved"
        },
        s.graph_files_resolved,
        s.graph_duration_ms,
        s.lexical_documents_written,
        s.chunks_embedded,
        s.rebuilt_reason,
        s.server_resident_memory_bytes as f64 / 1e6,
        if s.error_message.is_empty() {
            String::new()
        } else {
            format!(", error: {}", s.error_message)
        }
    )
}

/// Prints what one load phase measured.
pub fn report(label: &str, stats: &Stats, secs: f64) {
    println!("{label}");
    println!(
        "  {:<8} {:>7} {:>8} {:>8} {:>8} {:>8} {:>8}   {:>9} {:>9}   errors",
        "request", "count", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "srv p50", "srv p99"
    );
    for (k, kind) in KINDS.iter().enumerate() {
        let e2e = sorted(stats.e2e[k].clone());
        let server = sorted(stats.server[k].clone());
        let (sp50, sp99) = if k == 2 {
            ("-".to_owned(), "-".to_owned())
        } else {
            (
                format!("{:.2}", percentile(&server, 0.5)),
                format!("{:.2}", percentile(&server, 0.99)),
            )
        };
        let errors = if stats.errors[k].is_empty() {
            "0".to_owned()
        } else {
            stats.errors[k]
                .iter()
                .map(|(c, n)| format!("{c} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        println!(
            "  {:<8} {:>7} {:>8.1} {:>8.1} {:>8.1} {:>8.1} {:>8.1}   {:>9} {:>9}   {errors}",
            kind,
            e2e.len(),
            e2e.len() as f64 / secs,
            percentile(&e2e, 0.5),
            percentile(&e2e, 0.95),
            percentile(&e2e, 0.99),
            e2e.last().copied().unwrap_or(0.0),
            sp50,
            sp99,
        );
    }
    println!(
        "  all      {:>7} {:>8.1}   errors: {}",
        stats.answered(),
        stats.answered() as f64 / secs,
        stats.errors_text()
    );
    for f in stats.examples(3) {
        println!(
            "  failure at +{:.1} s: {} -> {} after {:.0} ms: {}",
            f.at, f.req, f.code, f.ms, f.message
        );
    }
    if !stats.failures.is_empty() {
        let mut at: Vec<f64> = stats.failures.iter().map(|f| f.at).collect();
        at.sort_by(|a, b| a.total_cmp(b));
        println!(
            "  sent at (s into the phase; first 20 failures of each client): {}",
            at.iter()
                .map(|t| format!("{t:.1}"))
                .collect::<Vec<_>>()
                .join(" ")
        );
    }
}

/// Sends failed requests again, one at a time on an idle server, to tell
/// a request that is slow in itself from one that queued.
pub async fn replay(channel: &Channel, mix: &Mix, stats: &Stats) {
    let mut seen = BTreeSet::new();
    let mut clients = Clients::new(channel.clone());
    for f in stats.examples(usize::MAX) {
        if seen.len() >= 8 || !seen.insert(f.req.to_string()) {
            continue;
        }
        let t = Instant::now();
        let r = clients.send(mix, &f.req, Duration::from_secs(60)).await;
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        println!(
            "  replayed alone: {} ({} under load) -> {}",
            f.req,
            f.code,
            match r {
                Ok(Some(us)) => format!("{ms:.0} ms (server {:.0} ms)", us as f64 / 1000.0),
                Ok(None) => format!("{ms:.0} ms"),
                Err(e) => format!("{} after {ms:.0} ms: {}", failure_code(&e), e.message()),
            }
        );
    }
}

/// The medians and maxima over the kill -9 / restart rounds.
pub fn restarts_summary(restarts: &[Restart]) {
    if restarts.is_empty() {
        return;
    }
    let stat = |v: Vec<f64>| {
        let max = v.iter().copied().fold(0.0, f64::max);
        (median(v), max)
    };
    let (l50, lmax) = stat(restarts.iter().map(|r| r.listening_ms).collect());
    let (f50, fmax) = stat(restarts.iter().map(|r| r.first_answer_ms).collect());
    for (label, v) in [
        (
            "first context answer",
            restarts.iter().map(|r| r.context_ms).collect::<Vec<_>>(),
        ),
        (
            "first callers answer",
            restarts.iter().map(|r| r.callers_ms).collect(),
        ),
    ] {
        let ok: Vec<f64> = v.iter().flatten().copied().collect();
        if ok.len() == v.len() {
            let (m50, mmax) = stat(ok);
            println!("  {label} (from spawn): median {m50:.0} ms max {mmax:.0} ms");
        } else {
            println!("  {label}: failed in {} rounds", v.len() - ok.len());
        }
    }
    let caught: Vec<f64> = restarts.iter().filter_map(|r| r.caught_up_ms).collect();
    println!(
        "restart ({} rounds): listening median {l50:.0} ms max {lmax:.0} ms; first search answer median {f50:.0} ms max {fmax:.0} ms",
        restarts.len()
    );
    if caught.len() == restarts.len() {
        let (c50, cmax) = stat(caught);
        println!(
            "catch-up (all 3 edits made while down searchable, from spawn): median {c50:.0} ms max {cmax:.0} ms"
        );
    } else {
        println!(
            "catch-up: {} of {} rounds found every edit made while down",
            caught.len(),
            restarts.len()
        );
    }
}

/// What the whole run measured, for the targets.
pub struct Outcome {
    pub closed: Option<Stats>,
    pub open: Option<Stats>,
    pub fixed: Option<Stats>,
    pub restarts: Vec<Restart>,
    pub cold: Option<Stats>,
    /// The exit status after SIGTERM (None: killed after 10 s).
    pub exit: Option<std::process::ExitStatus>,
    pub terminate_ms: f64,
}

/// Each target, met (`ok`) or not (`MISS`).
pub fn targets(o: &Options, outcome: &Outcome) {
    println!("-- targets");
    let mark = |ok: bool| if ok { "ok  " } else { "MISS" };
    let Outcome {
        closed,
        open,
        fixed,
        restarts,
        cold,
        exit,
        terminate_ms: ms,
    } = outcome;
    let exited_ok = exit.is_some_and(|s| s.success());
    if let (Some(closed), Some(open)) = (closed, open) {
        println!(
            "  {} no errors under load (closed loop {}, open loop {})",
            mark(closed.failed() == 0 && open.failed() == 0),
            closed.errors_text(),
            open.errors_text()
        );
    }
    if let Some(fixed) = fixed {
        println!(
            "  {} no errors at the fixed rate of {:.1} req/s ({})",
            mark(fixed.failed() == 0),
            o.rate,
            fixed.errors_text()
        );
        for (k, limit) in [(1, 15.0), (0, 40.0)] {
            for (side, v) in [
                ("end to end", &fixed.e2e[k]),
                ("server side", &fixed.server[k]),
            ] {
                let p99 = percentile(&sorted(v.clone()), 0.99);
                println!(
                    "  {} {} p99 <= {limit:.0} ms at {:.1} req/s fixed rate, {side}: {}",
                    mark(!v.is_empty() && p99 <= limit),
                    KINDS[k],
                    o.rate,
                    if v.is_empty() {
                        "no answer".to_owned()
                    } else {
                        format!("{p99:.2} ms ({} answers)", v.len())
                    }
                );
            }
        }
    }
    if !restarts.is_empty() {
        let worst = restarts
            .iter()
            .map(|r| r.first_answer_ms)
            .fold(0.0, f64::max);
        println!(
            "  {} first search answer within 1 s of a restart (worst {worst:.0} ms)",
            mark(worst <= 1000.0)
        );
        println!(
            "  {} edits made while down found after every restart",
            mark(restarts.iter().all(|r| r.caught_up_ms.is_some()))
        );
    }
    if let Some(cold) = cold {
        println!(
            "  {} no errors in the cold restart under load ({})",
            mark(cold.failed() == 0),
            cold.errors_text()
        );
    }
    println!(
        "  {} SIGTERM: exit 0 within 10 s ({ms:.0} ms)",
        mark(exited_ok)
    );
}
