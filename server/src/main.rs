//! `tickwire-server`: run the server (the default), or read and change a running
//! server's settings through its admin API (`tickwire-server settings ...`).

mod admin_client;

use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use tickwire_net::SignedTokens;
use tickwire_server::{ConfigLayer, ServeArgs};
use tickwire_sim::Simulation;

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
    tickwire_server::init_logging();
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Settings(command)) => admin_client::run(command),
        Some(Command::Token { player, ttl_secs, auth_secret }) => {
            SignedTokens::new(auth_secret.as_bytes())
                .mint(&player, Duration::from_secs(ttl_secs))
                .map(|token| println!("{token}"))
                .map_err(anyhow::Error::msg)
        }
        None if cli.serve.print_config => print_config(&cli.serve),
        None => {
            tickwire_server::serve(&cli.serve, |_: &mut Simulation| {}).map_err(anyhow::Error::from)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("tickwire-server: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn print_config(args: &ServeArgs) -> anyhow::Result<()> {
    print!("{}", toml::to_string(&ConfigLayer::from_config(&args.config()?))?);
    Ok(())
}
