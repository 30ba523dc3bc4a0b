//! `tickwire-server`: run the server (the default), or read and change a running
//! server's settings through its admin API (`tickwire-server settings ...`).

mod admin_client;

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use tickwire_net::SignedTokens;
use tickwire_server::{ConfigLayer, ServeArgs};
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

/// An authoritative, tick-based game server. Serves the browser demo at `/`, WebSocket
/// sessions at `/ws`, and the admin API at `/admin/settings`, on one port.
#[derive(Debug, Parser)]
#[command(version, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Read or change the settings of a running server.
    Settings(admin_client::SettingsCommand),
    /// Print a signed auth token for a player, for servers run with an auth secret.
    Token {
        /// The player's name (letters, digits, `_`, `-`).
        #[arg(long)]
        player: String,
        /// How long the token is valid, in seconds.
        #[arg(long, default_value_t = 3600)]
        ttl_secs: u64,
        /// The server's auth secret.
        #[arg(long, env = "TICKWIRE_AUTH_SECRET", hide_env_values = true)]
        auth_secret: String,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Settings(command)) => admin_client::run(command),
        Some(Command::Token { player, ttl_secs, auth_secret }) => {
            SignedTokens::new(auth_secret.as_bytes())
                .mint(&player, Duration::from_secs(ttl_secs))
                .map(|token| println!("{token}"))
                .map_err(anyhow::Error::msg)
        }
        None => serve(&cli.serve),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("tickwire-server: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn serve(args: &ServeArgs) -> anyhow::Result<()> {
    let config = args.config()?;
    if args.print_config {
        print!("{}", toml::to_string(&ConfigLayer::from_config(&config))?);
        return Ok(());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let listener = TcpListener::bind(config.bind)
            .await
            .with_context(|| format!("cannot listen on {}", config.bind))?;
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
