//! `loadtest`: connects N bot clients to a Tickwire (or peer) server and reports on the
//! run as a table, and optionally as JSON and an SVG plot.
//!
//! ```text
//! loadtest --url ws://127.0.0.1:8080/ws --clients 200 --ramp 5 --warmup 5 --duration 20 \
//!     --json run.json --svg run.svg
//! # 50 bots over 10 rooms created for the run, each with 20 NPCs and 5 seats:
//! loadtest --clients 50 --rooms 10 --room-options '{"npcs": 20, "max_clients": 5}'
//! ```

use anyhow::Context;
use clap::Parser;
use tickwire_loadtest::{LoadOptions, plot, run};

/// Load-test a Tickwire server, or a peer server for comparison (see BENCHMARKS.md).
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    #[command(flatten)]
    load: LoadOptions,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let Args { load } = Args::parse();
    let report = run(&load).await.context("the load run could not start")?;
    print!("{}", report.table());
    if let Some(path) = &load.json {
        let json = serde_json::to_string_pretty(&report).context("serialising the report")?;
        std::fs::write(path, json).with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(path) = &load.svg {
        let svg = plot::svg(&report).context("plotting the run")?;
        std::fs::write(path, svg).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}
