//! `bots`: connects N bot players that wander about, to make a server feel alive or busy.
//!
//! By default every bot joins the server's default room. With `--room-name` (and any
//! `--label key=value`), each bot asks the server's matchmaker to join or create a room of
//! that type and label, so bots fill rooms one after another.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use glam::Vec2;
use tickwire_client::{ClientBuilder, Event, MatchRequest, Matchmaker};
use tickwire_protocol::Untrusted;
use tokio::task::JoinSet;
use tokio::time::{Instant, MissedTickBehavior, interval, sleep};
use tracing::{debug, info, warn};
use tracing_subscriber::EnvFilter;

/// Connects bot players to a Tickwire server.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// The server's WebSocket URL.
    #[arg(long, default_value = "ws://127.0.0.1:8080/ws")]
    url: String,
    /// How many bots to connect.
    #[arg(long, default_value_t = 10)]
    count: u32,
    /// Stop after this many seconds (0: run until Ctrl-C).
    #[arg(long, default_value_t = 0)]
    duration_secs: u64,
    /// Seed for the bots' choices.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Join or create a room of this type through the matchmaking API on the URL's host
    /// and port (without it, bots join the default room without matchmaking).
    #[arg(long)]
    room_name: Option<String>,
    /// With `--room-name`: join only rooms whose label has this field (a string value); a
    /// room created for the bot gets it as its label. Repeatable.
    #[arg(long = "label", value_name = "KEY=VALUE", value_parser = parse_label, requires = "room_name")]
    labels: Vec<(String, String)>,
}

fn parse_label(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
        _ => Err(format!("{text:?} is not KEY=VALUE")),
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
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("bots: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(args))
}

/// How every bot connects: to the default room, or by matchmaking.
fn builder(args: &Args) -> Result<ClientBuilder, tickwire_client::MatchError> {
    let Some(name) = &args.room_name else {
        return Ok(ClientBuilder::new(&args.url));
    };
    let matchmaker = Matchmaker::new(&args.url)?;
    let request = args
        .labels
        .iter()
        .fold(MatchRequest::new(name), |request, (key, value)| request.label(key, value.as_str()));
    Ok(ClientBuilder::matchmake(matchmaker, request))
}

async fn run(args: Args) -> ExitCode {
    let builder = match builder(&args) {
        Ok(builder) => builder,
        Err(error) => {
            eprintln!("bots: {error}");
            return ExitCode::FAILURE;
        }
    };
    let mut bots = JoinSet::new();
    for index in 0..args.count {
        let builder = builder.clone();
        let seed = args.seed.wrapping_add(u64::from(index));
        bots.spawn(async move { play(builder, seed).await });
    }
    let deadline = async {
        if args.duration_secs == 0 {
            let _ = tokio::signal::ctrl_c().await;
        } else {
            sleep(Duration::from_secs(args.duration_secs)).await;
        }
    };
    let mut failed = 0u32;
    tokio::select! {
        () = deadline => info!("stopping bots"),
        () = async {
            while let Some(result) = bots.join_next().await {
                if !matches!(result, Ok(Ok(()))) {
                    failed += 1;
                }
            }
        } => {}
    }
    bots.shutdown().await;
    if failed > 0 {
        warn!(failed, "some bots could not connect or were disconnected");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// One bot: connect, then pick a new direction every one to three seconds and send it
/// at the server's input cadence until the connection ends.
async fn play(builder: ClientBuilder, seed: u64) -> Result<(), ()> {
    let mut client = match builder.connect().await {
        Ok(client) => client,
        Err(error) => {
            warn!(%error, "bot could not connect");
            return Err(());
        }
    };
    debug!(room = %Untrusted(&client.welcome().room), "bot joined");
    let settings = client.welcome().settings;
    let cadence =
        Duration::from_secs_f32(f32::from(settings.input_every) * settings.tick_seconds());
    let mut inputs = interval(cadence);
    inputs.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut direction = Vec2::ZERO;
    let mut next_turn = Instant::now();
    loop {
        tokio::select! {
            _ = inputs.tick() => {
                if Instant::now() >= next_turn {
                    direction = if rng.u8(..4) == 0 { Vec2::ZERO } else { Vec2::from_angle(rng.f32() * std::f32::consts::TAU) };
                    next_turn = Instant::now() + Duration::from_millis(rng.u64(1000..3000));
                }
                if client.send_input(direction).is_err() {
                    return Err(());
                }
            }
            event = client.next_event() => match event {
                Some(Event::Closed { code, reason }) => {
                    warn!(?code, reason = %Untrusted(&reason), "bot disconnected");
                    return Err(());
                }
                Some(_) => {}
                None => return Err(()),
            }
        }
    }
}
