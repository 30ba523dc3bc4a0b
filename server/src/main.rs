//! `tickwire-server`: parse flags, bind, run until Ctrl-C or SIGTERM.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use glam::Vec2;
use tickwire_protocol::Settings;
use tickwire_server::ServerConfig;
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

/// An authoritative, tick-based game server. Serves the browser demo at `/` and
/// WebSocket sessions at `/ws` on one port.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    bind: SocketAddr,
    /// Simulation ticks per second.
    #[arg(long, default_value_t = Settings::default().tick_rate_hz)]
    tick_rate: u16,
    /// Send a snapshot every N ticks.
    #[arg(long, default_value_t = Settings::default().broadcast_every)]
    broadcast_every: u16,
    /// Clients send an input every N ticks.
    #[arg(long, default_value_t = Settings::default().input_every)]
    input_every: u16,
    /// Actor speed in world units per second.
    #[arg(long, default_value_t = Settings::default().movement_speed)]
    movement_speed: f32,
    /// Number of wandering NPC actors.
    #[arg(long, default_value_t = 50)]
    npcs: u32,
    /// Seed of the world's randomness.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Arena width in world units.
    #[arg(long, default_value_t = 1000.0)]
    arena_width: f32,
    /// Arena height in world units.
    #[arg(long, default_value_t = 1000.0)]
    arena_height: f32,
}

impl Args {
    fn config(&self) -> ServerConfig {
        let mut config = ServerConfig::default();
        config.sim.settings = Settings {
            tick_rate_hz: self.tick_rate,
            broadcast_every: self.broadcast_every,
            input_every: self.input_every,
            movement_speed: self.movement_speed,
            ..Settings::default()
        };
        config.sim.npcs = self.npcs;
        config.sim.seed = self.seed;
        config.sim.arena_size = Vec2::new(self.arena_width, self.arena_height);
        config
    }
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    match try_main(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("tickwire-server: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn try_main(args: Args) -> anyhow::Result<()> {
    let config = args.config();
    config.sim.settings.validate()?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let listener = TcpListener::bind(args.bind)
            .await
            .with_context(|| format!("cannot listen on {}", args.bind))?;
        let address = listener.local_addr()?;
        // The one line on stdout: scripts and the browser test read the address from it.
        println!("tickwire listening on http://{address}/");
        tickwire_server::run(listener, config, shutdown_signal()).await?;
        Ok(())
    })
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
