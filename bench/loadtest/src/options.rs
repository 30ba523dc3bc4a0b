//! What a load run does: the target, how many clients, and for how long.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};
use tickwire_protocol::Settings;

/// Tickwire's default input cadence, in inputs per second: a 30 Hz tick with an input every
/// 2nd tick. The rate Colyseus bots send at unless `--input-hz` says otherwise.
pub const DEFAULT_INPUT_HZ: u32 =
    (Settings::DEFAULT.tick_rate_hz / Settings::DEFAULT.input_every) as u32;

/// The kind of server under load; each speaks its own protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Target {
    /// A Tickwire server: bots handshake, steer their actors and ask for snapshot timing.
    Tickwire,
    /// A raw broadcast server (`bench/peers/raw-server.mjs`): every binary frame starts
    /// with the server's send time as a little-endian f64 of Unix milliseconds. Bots say
    /// hello once (32 bytes the server ignores), as real clients do.
    Raw,
    /// The Colyseus room of `bench/peers/colyseus-server.mjs`: bots join by matchmaking
    /// and count state patches; the room stamps each patch with a timestamp message.
    /// Unless `--idle`, bots steer their actors with input messages every 1/`--input-hz`
    /// s, which needs the peer's `--players` room.
    Colyseus,
}

/// One load run.
#[derive(Debug, Clone, Args)]
pub struct LoadOptions {
    /// What kind of server the URL points at.
    #[arg(long, value_enum, default_value = "tickwire")]
    pub target: Target,
    /// The server: `ws://host:port/ws` for Tickwire and raw servers, `http://host:port`
    /// for Colyseus (matchmaking runs over HTTP first).
    #[arg(long, default_value = "ws://127.0.0.1:8080/ws")]
    pub url: String,
    /// Bot clients to connect.
    #[arg(long, default_value_t = 100)]
    pub clients: u32,
    /// Connect the clients evenly over this long.
    #[arg(long, value_parser = parse_seconds, default_value = "5")]
    pub ramp: Duration,
    /// After the ramp, wait this long before measuring.
    #[arg(long, value_parser = parse_seconds, default_value = "5")]
    pub warmup: Duration,
    /// The measured window.
    #[arg(long, value_parser = parse_seconds, default_value = "20")]
    pub duration: Duration,
    /// Bots send no input (their actors rest); for idle-connection runs, and passive
    /// peers (the Colyseus peer without `--players` closes a client that sends one).
    #[arg(long)]
    pub idle: bool,
    /// Colyseus bots send an input this many times a second (Tickwire bots follow the
    /// cadence their server sets). The default, 15, is Tickwire's default input cadence: a
    /// 30 Hz tick with `input_every` 2.
    #[arg(long, value_name = "HZ", default_value_t = DEFAULT_INPUT_HZ,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub input_hz: u32,
    /// The server's process id, to read its CPU and memory from `/proc` (needed for the
    /// peers; Tickwire reports its own on `/metrics`).
    #[arg(long)]
    pub server_pid: Option<i32>,
    /// Tickwire's metrics endpoint (default: `/metrics` on the URL's host and port).
    #[arg(long)]
    pub metrics_url: Option<String>,
    /// Show a progress bar on the terminal.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    pub progress: bool,
    /// Also write the report as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Also plot the run over time as SVG here.
    #[arg(long)]
    pub svg: Option<PathBuf>,
    /// Spread the bots over this many rooms, created for the run through the server's
    /// matchmaking API (bot `i` joins room `i % rooms`). Without it, every bot joins the
    /// server's default room (Tickwire) or the peer's one room type by matchmaking
    /// (Colyseus).
    #[arg(long)]
    pub rooms: Option<u32>,
    /// The options every created room gets, as a JSON object (for Tickwire's built-in
    /// room type: `{"npcs": 20, "max_clients": 5, "tick_rate_hz": 30}`).
    #[arg(long)]
    pub room_options: Option<String>,
}

impl LoadOptions {
    /// Options for `clients` bots against `url`, with the command line's defaults.
    pub fn new(target: Target, url: impl Into<String>, clients: u32) -> Self {
        Self {
            target,
            url: url.into(),
            clients,
            ramp: Duration::from_secs(5),
            warmup: Duration::from_secs(5),
            duration: Duration::from_secs(20),
            idle: false,
            input_hz: DEFAULT_INPUT_HZ,
            server_pid: None,
            metrics_url: None,
            progress: true,
            json: None,
            svg: None,
            rooms: None,
            room_options: None,
        }
    }

    /// The time between two inputs of a Colyseus bot (`--input-hz`; at least 1 Hz).
    pub fn input_period(&self) -> Duration {
        Duration::from_secs(1) / self.input_hz.max(1)
    }

    /// The metrics endpoint to scrape, if the target has one.
    pub fn metrics_url(&self) -> Option<String> {
        if self.target != Target::Tickwire {
            return None;
        }
        if let Some(url) = &self.metrics_url {
            return Some(url.clone());
        }
        let rest = self.url.strip_prefix("ws://")?;
        let authority = rest.split('/').next()?;
        Some(format!("http://{authority}/metrics"))
    }
}

fn parse_seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text.parse().map_err(|_| format!("{text:?} is not a number of seconds"))?;
    Duration::try_from_secs_f64(seconds).map_err(|error| format!("{text:?}: {error}"))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use clap::Parser;
    use tickwire_protocol::Settings;

    use super::{DEFAULT_INPUT_HZ, LoadOptions};

    #[derive(Debug, Parser)]
    struct Command {
        #[command(flatten)]
        load: LoadOptions,
    }

    #[test]
    fn colyseus_bots_send_inputs_at_tickwire_default_cadence() {
        let settings = Settings::DEFAULT;
        assert_eq!(DEFAULT_INPUT_HZ, 15, "the help text says 15");
        let period = Duration::from_secs_f32(
            f32::from(settings.input_every) / f32::from(settings.tick_rate_hz),
        );
        let options = Command::parse_from(["loadtest"]).load;
        assert_eq!(options.input_hz, DEFAULT_INPUT_HZ);
        assert!(options.input_period().abs_diff(period) < Duration::from_micros(1));
        let options = Command::parse_from(["loadtest", "--input-hz", "20"]).load;
        assert_eq!(options.input_period(), Duration::from_millis(50));
        assert!(Command::try_parse_from(["loadtest", "--input-hz", "0"]).is_err());
    }
}
