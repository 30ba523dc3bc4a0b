//! Ghost-actor flood against a local Tickwire server (issue 12, point 9).
//!
//! Workers connect, say `Hello`, read the `Welcome` and drop the connection without a
//! goodbye, as fast as they can: every such session leaves an actor waiting for a resume.
//! Before ghosts counted toward the session limits, one address made ~720 a second and
//! 200 actors became 14,600; a newcomer's first (full) snapshot grew from 2.9 KB to 205 KB.
//! The report shows the actors, evictions and RSS before and after, and the size of a
//! newcomer's join snapshot.
//!
//! Bounded on purpose: loopback only, at most 64 workers and 30 seconds; every connection
//! it opens is dropped before it exits.
//!
//! ```sh
//! cargo run --release -p tickwire-server -- --npcs 200 &
//! cargo run --release -p tickwire-loadtest --example ghost_flood -- --seconds 10
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use tickwire_loadtest::probe::{ServerMetrics, ServerProbe};
use tickwire_protocol::{ClientMessage, Hello, ServerMessage};
use tokio::task::JoinSet;
use tokio::time::{Instant, timeout};
use tokio_tungstenite::tungstenite::Message;

/// How long one connection may take to be welcomed before the worker gives up on it.
const WELCOME_WAIT: Duration = Duration::from_secs(2);

#[derive(Debug, Parser)]
struct Args {
    /// The server's address (loopback only).
    #[arg(long, default_value = "127.0.0.1:8080")]
    server: std::net::SocketAddr,
    /// How long to flood, in seconds (at most 30).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=30))]
    seconds: u64,
    /// Connections in flight at once (at most 64).
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..=64))]
    workers: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if !args.server.ip().is_loopback() {
        bail!("{} is not a loopback address: this tool only floods this machine", args.server);
    }
    let url = format!("ws://{}/ws", args.server);
    let probe = ServerProbe::new(None, Some(format!("http://{}/metrics", args.server)));
    let before = scrape(&probe).await?;
    let before_join = join_snapshot_bytes(&url).await?;

    let ghosts = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let mut workers = JoinSet::new();
    for _ in 0..args.workers {
        let (url, ghosts) = (url.clone(), Arc::clone(&ghosts));
        workers.spawn(async move {
            while Instant::now() < deadline {
                if leave_a_ghost(&url).await {
                    ghosts.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
    }
    workers.join_all().await;

    let after = scrape(&probe).await?;
    let after_join = join_snapshot_bytes(&url).await?;
    let made = ghosts.load(Ordering::Relaxed);
    println!("ghost flood: {made} sessions dropped without a goodbye in {} s", args.seconds);
    println!("  {:<28} {:>12} {:>12}", "", "before", "after");
    println!("  {:<28} {:>12} {:>12}", "actors", before.actors, after.actors);
    println!(
        "  {:<28} {:>12} {:>12}",
        "ghosts evicted", before.sessions_evicted, after.sessions_evicted
    );
    println!("  {:<28} {:>12} {:>12}", "newcomer's join snapshot B", before_join, after_join);
    let mib = |metrics: &ServerMetrics| metrics.usage.rss_bytes as f64 / 1048576.0;
    println!("  {:<28} {:>12.1} {:>12.1}", "server RSS MiB", mib(&before), mib(&after));
    Ok(())
}

async fn scrape(probe: &ServerProbe) -> anyhow::Result<ServerMetrics> {
    probe.metrics().await?.context("the server's /metrics should answer")
}

/// One session that says `Hello`, is welcomed, and vanishes without a goodbye. Returns
/// whether the server welcomed it.
async fn leave_a_ghost(url: &str) -> bool {
    let session = async {
        let (mut socket, _) = tokio_tungstenite::connect_async(url).await.ok()?;
        let hello = ClientMessage::Hello(Hello::new()).encode();
        socket.send(Message::Binary(hello)).await.ok()?;
        while let Some(Ok(message)) = socket.next().await {
            if let Message::Binary(frame) = message
                && let Ok(ServerMessage::Welcome(_)) = ServerMessage::decode(&frame)
            {
                return Some(()); // Dropping the socket here leaves the actor behind.
            }
        }
        None
    };
    matches!(timeout(WELCOME_WAIT, session).await, Ok(Some(())))
}

/// The size of the first snapshot a new player gets (a full one), then leaves politely.
async fn join_snapshot_bytes(url: &str) -> anyhow::Result<usize> {
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.context("connecting")?;
    let hello = ClientMessage::Hello(Hello::new()).encode();
    socket.send(Message::Binary(hello)).await.context("sending Hello")?;
    let first_snapshot = async {
        while let Some(Ok(message)) = socket.next().await {
            if let Message::Binary(frame) = message
                && let Ok(ServerMessage::Snapshot(_)) = ServerMessage::decode(&frame)
            {
                return Some(frame.len());
            }
        }
        None
    };
    let bytes = timeout(Duration::from_secs(5), first_snapshot)
        .await
        .ok()
        .flatten()
        .context("a newcomer should get a snapshot within 5 s")?;
    let _ = socket.close(None).await;
    Ok(bytes)
}
