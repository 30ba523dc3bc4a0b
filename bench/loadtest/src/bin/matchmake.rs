//! `matchmake`: matchmaking load. `--concurrency` callers each send `POST /matchmake`
//! back to back, spread round-robin over `--server` URLs, for `--seconds`, and print one
//! JSON line: calls, failures by status, calls per second, and latency quantiles (an
//! HDR histogram, microseconds). `bench/matchmaking` runs it against 1 and 3 processes.
//!
//! Each call asks for a room of type `default` labelled with one of `--labels` values
//! (`{"pool": "k"}`), so joins fill rooms and new rooms are made as they fill.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use hdrhistogram::Histogram;
use serde_json::{Map, json};
use tickwire_client::{MatchRequest, Matchmaker};

#[derive(Debug, Parser)]
struct Args {
    /// A server's base URL (repeat for more; calls go round-robin).
    #[arg(long = "server", required = true)]
    servers: Vec<String>,
    /// Callers at once.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// How long to call for.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// How many different labels the calls use.
    #[arg(long, default_value_t = 16)]
    labels: usize,
    /// Places per created room.
    #[arg(long, default_value_t = 8)]
    max_clients: u64,
}

/// One caller's tally.
struct Tally {
    latency: Histogram<u64>,
    failures: BTreeMap<String, u64>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let matchmakers = args
        .servers
        .iter()
        .map(|url| {
            Matchmaker::new(url).map(|matchmaker| matchmaker.timeout(Duration::from_secs(5)))
        })
        .collect::<Result<Vec<_>, _>>()
        .context("a --server URL")?;
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let started = Instant::now();
    let callers: Vec<_> = (0..args.concurrency)
        .map(|caller| {
            let matchmakers = matchmakers.clone();
            let (labels, max_clients) = (args.labels.max(1), args.max_clients);
            tokio::spawn(call_until(deadline, caller, matchmakers, labels, max_clients))
        })
        .collect();
    let mut latency = Histogram::<u64>::new(3)?;
    let mut failures: BTreeMap<String, u64> = BTreeMap::new();
    for caller in callers {
        let tally = caller.await??;
        latency.add(&tally.latency)?;
        for (status, count) in tally.failures {
            *failures.entry(status).or_default() += count;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let calls = latency.len();
    let report = json!({
        "servers": args.servers.len(),
        "concurrency": args.concurrency,
        "seconds": elapsed,
        "calls": calls,
        "calls_per_second": calls as f64 / elapsed,
        "failures": failures,
        "p50_ms": latency.value_at_quantile(0.50) as f64 / 1000.0,
        "p99_ms": latency.value_at_quantile(0.99) as f64 / 1000.0,
        "max_ms": latency.max() as f64 / 1000.0,
    });
    println!("{report}");
    Ok(())
}

async fn call_until(
    deadline: Instant,
    caller: usize,
    matchmakers: Vec<Matchmaker>,
    labels: usize,
    max_clients: u64,
) -> anyhow::Result<Tally> {
    let mut tally = Tally { latency: Histogram::new(3)?, failures: BTreeMap::new() };
    let mut options = Map::new();
    options.insert("max_clients".into(), json!(max_clients));
    let mut call = caller;
    while Instant::now() < deadline {
        let matchmaker = &matchmakers[call % matchmakers.len()];
        let request = MatchRequest::new("default")
            .label("pool", format!("p{}", fastrand::usize(..labels)))
            .options(options.clone());
        let sent = Instant::now();
        let answer = matchmaker.join_or_create(&request).await;
        tally.latency.record(u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX))?;
        if let Err(error) = answer {
            let status = error.status().map_or_else(|| "transport".to_owned(), |s| s.to_string());
            *tally.failures.entry(status).or_default() += 1;
        }
        call += 1;
    }
    Ok(tally)
}
