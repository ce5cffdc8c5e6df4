//! The options of `cargo xtask bench-serve`.

use anyhow::{Context, Result, bail};

#[derive(Debug, Clone)]
pub struct Options {
    pub seconds: u64,
    pub clients: usize,
    pub think_ms: u64,
    pub think_seconds: u64,
    pub restarts: usize,
    pub cold_seconds: u64,
    /// Fixed-rate phase: requests per second over all clients.
    pub rate: f64,
    pub rate_seconds: u64,
    /// Only the fixed-rate phase after the warm-up.
    pub only_rate: bool,
    /// No editor during the load phases (the baseline without indexing).
    pub no_edits: bool,
}

impl Options {
    pub fn parse(args: &[String]) -> Result<Options> {
        let mut o = Options {
            seconds: 60,
            clients: 32,
            think_ms: 50,
            think_seconds: 30,
            restarts: 3,
            cold_seconds: 15,
            rate: 64.0,
            rate_seconds: 30,
            only_rate: false,
            no_edits: false,
        };
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            let mut value = || -> Result<u64> {
                it.next()
                    .with_context(|| format!("{flag} N"))?
                    .parse()
                    .with_context(|| format!("{flag} N: a whole number"))
            };
            match flag.as_str() {
                "--seconds" => o.seconds = value()?,
                "--clients" => o.clients = value()? as usize,
                "--think-ms" => o.think_ms = value()?,
                "--think-seconds" => o.think_seconds = value()?,
                "--restarts" => o.restarts = value()? as usize,
                "--cold-seconds" => o.cold_seconds = value()?,
                "--rate" => {
                    o.rate = it
                        .next()
                        .context("--rate R")?
                        .parse()
                        .context("--rate R: requests per second, a number")?
                }
                "--rate-seconds" => o.rate_seconds = value()?,
                "--only-rate" => o.only_rate = true,
                "--no-edits" => o.no_edits = true,
                other => bail!(
                    "bench-serve: unknown argument `{other}` (--seconds N, --clients N, --think-ms N, --think-seconds N, --restarts N, --cold-seconds N, --rate R, --rate-seconds N, --only-rate, --no-edits)"
                ),
            }
        }
        if o.clients == 0 {
            bail!("--clients must be at least 1");
        }
        if !(o.rate.is_finite() && o.rate > 0.0) {
            bail!("--rate must be a positive number of requests per second");
        }
        Ok(o)
    }
}
