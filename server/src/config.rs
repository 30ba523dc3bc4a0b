//! [`ServerConfig`]: everything [`crate::run`] needs, and where it comes from.
//!
//! Layers, later ones winning: embedded defaults < a TOML file (`--config`) < environment
//! variables (`TICKWIRE_*`) < command-line flags. Every layer is optional, so the server
//! runs with no file at all. The result is validated as a whole, and an invalid value is
//! reported with the name of its setting.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use serde::{Deserialize, Serialize};
use thiserror::Error;
use tickwire_net::{Authenticator, NetConfig};
use tickwire_protocol::{Settings, SettingsError, SettingsPatch};
use tickwire_sim::{AutotuneConfig, SimConfig};

/// Server configuration.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Where to listen (the binary binds it; [`crate::run`] takes a bound listener).
    pub bind: SocketAddr,
    /// The world: settings, NPC count, seed, arena.
    pub sim: SimConfig,
    /// Session limits and timings.
    pub net: NetConfig,
    /// Bearer token for the admin API; without one the API is open on loopback binds only.
    pub admin_token: Option<String>,
    /// Secret that player tokens are signed with ([`tickwire_net::SignedTokens`]); without
    /// one (and without an `authenticator`) everybody may play.
    pub auth_secret: Option<String>,
    /// Your own admission check, for embedding the server; wins over `auth_secret`.
    pub authenticator: Option<Arc<dyn Authenticator>>,
    /// Inputs of all sessions that may wait for the next tick; beyond it inputs are dropped
    /// (and counted) rather than blocking a network thread or growing memory.
    pub input_queue_capacity: usize,
    /// How many late ticks the sim runs back to back before it skips ahead instead.
    pub max_catch_up_ticks: u32,
    /// How long shutdown waits for sessions to say goodbye.
    pub shutdown_grace: Duration,
    /// How the server trades snapshot and tick rate for headroom under load.
    pub autotune: AutotuneConfig,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            sim: SimConfig::default(),
            net: NetConfig::default(),
            admin_token: None,
            auth_secret: None,
            authenticator: None,
            input_queue_capacity: 16 * 1024,
            max_catch_up_ticks: 5,
            shutdown_grace: Duration::from_secs(3),
            autotune: AutotuneConfig::default(),
        }
    }
}

/// Why a configuration could not be loaded.
#[derive(Debug, Error)]
pub enum ConfigError {
    /// The config file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The config file is not valid TOML for this server.
    #[error("config file {path}: {source}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the line.
        source: Box<toml::de::Error>,
    },
    /// A simulation setting is out of range.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// Another value is out of range.
    #[error("invalid setting `{setting}`: {reason}")]
    Invalid {
        /// The setting, as in the file and flags.
        setting: &'static str,
        /// What is wrong.
        reason: String,
    },
}

/// One layer of configuration: every field optional. The shape of the TOML file, and what
/// `--print-config` prints (with every field filled in).
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigLayer {
    /// See [`ServerConfig::bind`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bind: Option<SocketAddr>,
    /// Wandering NPC actors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub npcs: Option<u32>,
    /// Seed of the world's randomness.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Arena width in world units.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arena_width: Option<f32>,
    /// Arena height in world units.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arena_height: Option<f32>,
    /// See [`ServerConfig::admin_token`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin_token: Option<String>,
    /// The simulation settings (a `[settings]` table in the file).
    #[serde(default)]
    pub settings: SettingsPatch,
    /// See [`ServerConfig::auth_secret`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_secret: Option<String>,
    /// Auto-tuning (an `[autotune]` table in the file).
    #[serde(default)]
    pub autotune: AutotuneLayer,
    /// Session limits (a `[limits]` table in the file).
    #[serde(default)]
    pub limits: LimitsLayer,
}

/// Session limits; every field optional. See [`NetConfig`] for their meaning.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsLayer {
    /// Most sessions at once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_sessions: Option<usize>,
    /// Most sessions from one IP address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_sessions_per_address: Option<usize>,
    /// Most messages per second from one client, on average.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_messages_per_second: Option<u32>,
    /// Messages a client may send in a burst.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_burst: Option<u32>,
    /// Largest message a client may send, in bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_message_bytes: Option<usize>,
    /// Seconds a connection has to send `Hello`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handshake_timeout_secs: Option<f32>,
    /// Seconds of silence after which a session is closed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idle_timeout_secs: Option<f32>,
    /// Seconds a dropped player's actor waits for a resume.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resume_grace_secs: Option<f32>,
    /// Browser origins allowed to connect; empty allows all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_origins: Option<Vec<String>>,
    /// Seconds shutdown waits for sessions to say goodbye.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shutdown_grace_secs: Option<f32>,
    /// Kernel send buffer per connection in bytes: a session's outbox beyond the newest
    /// snapshot (0 keeps the OS default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub send_buffer_bytes: Option<usize>,
}

impl LimitsLayer {
    fn apply_to(&self, config: &mut ServerConfig) -> Result<(), ConfigError> {
        let net = &mut config.net;
        let seconds = |setting: &'static str, value: f32| {
            if value.is_finite() && value > 0.0 && value <= 86_400.0 {
                Ok(Duration::from_secs_f32(value))
            } else {
                Err(ConfigError::Invalid {
                    setting,
                    reason: format!("{value} is not in (0, 86400] seconds"),
                })
            }
        };
        let at_least_one = |setting: &'static str, value: usize| {
            if value >= 1 {
                Ok(value)
            } else {
                Err(ConfigError::Invalid { setting, reason: "must be at least 1".into() })
            }
        };
        if let Some(value) = self.max_sessions {
            net.max_sessions = at_least_one("limits.max_sessions", value)?;
        }
        if let Some(value) = self.max_sessions_per_address {
            net.max_sessions_per_address = at_least_one("limits.max_sessions_per_address", value)?;
        }
        if let Some(value) = self.max_messages_per_second {
            net.max_messages_per_second =
                at_least_one("limits.max_messages_per_second", value as usize)? as u32;
        }
        if let Some(value) = self.message_burst {
            net.message_burst = at_least_one("limits.message_burst", value as usize)? as u32;
        }
        if let Some(value) = self.max_message_bytes {
            net.max_message_bytes = at_least_one("limits.max_message_bytes", value)?;
        }
        if let Some(value) = self.handshake_timeout_secs {
            net.handshake_timeout = seconds("limits.handshake_timeout_secs", value)?;
        }
        if let Some(value) = self.idle_timeout_secs {
            net.idle_timeout = seconds("limits.idle_timeout_secs", value)?;
        }
        if let Some(value) = self.resume_grace_secs {
            config.sim.resume_grace = seconds("limits.resume_grace_secs", value)?;
        }
        if let Some(value) = self.send_buffer_bytes {
            config.net.send_buffer_bytes = Some(value).filter(|&bytes| bytes > 0);
        }
        if let Some(value) = self.shutdown_grace_secs {
            config.shutdown_grace = seconds("limits.shutdown_grace_secs", value)?;
        }
        if let Some(origins) = &self.allowed_origins {
            config.net.allowed_origins.clone_from(origins);
        }
        Ok(())
    }

    fn from_config(config: &ServerConfig) -> Self {
        let net = &config.net;
        Self {
            max_sessions: Some(net.max_sessions),
            max_sessions_per_address: Some(net.max_sessions_per_address),
            max_messages_per_second: Some(net.max_messages_per_second),
            message_burst: Some(net.message_burst),
            max_message_bytes: Some(net.max_message_bytes),
            handshake_timeout_secs: Some(net.handshake_timeout.as_secs_f32()),
            idle_timeout_secs: Some(net.idle_timeout.as_secs_f32()),
            resume_grace_secs: Some(config.sim.resume_grace.as_secs_f32()),
            allowed_origins: Some(net.allowed_origins.clone()),
            shutdown_grace_secs: Some(config.shutdown_grace.as_secs_f32()),
            send_buffer_bytes: Some(net.send_buffer_bytes.unwrap_or(0)),
        }
    }
}

/// Auto-tuning options; every field optional. See [`AutotuneConfig`] for their meaning.
#[derive(Debug, Default, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutotuneLayer {
    /// Whether auto-tuning runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Tick p99 share of the tick period above which the server is overloaded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub high_load: Option<f32>,
    /// Tick p99 share below which the tuner steps back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub low_load: Option<f32>,
    /// Outbound bytes per second above which the server is overloaded (0: none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_bytes_per_second: Option<u64>,
    /// The highest `broadcast_every` the tuner sets.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_broadcast_every: Option<u16>,
    /// The lowest tick rate the tuner sets.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_tick_rate_hz: Option<u16>,
}

impl AutotuneLayer {
    fn apply_to(&self, autotune: &mut AutotuneConfig) -> Result<(), ConfigError> {
        let invalid = |setting, reason: String| Err(ConfigError::Invalid { setting, reason });
        *autotune = AutotuneConfig {
            enabled: self.enabled.unwrap_or(autotune.enabled),
            high_load: self.high_load.unwrap_or(autotune.high_load),
            low_load: self.low_load.unwrap_or(autotune.low_load),
            max_bytes_per_second: self
                .max_bytes_per_second
                .unwrap_or(autotune.max_bytes_per_second),
            max_broadcast_every: self.max_broadcast_every.unwrap_or(autotune.max_broadcast_every),
            min_tick_rate_hz: self.min_tick_rate_hz.unwrap_or(autotune.min_tick_rate_hz),
            ..*autotune
        };
        if !(autotune.low_load > 0.0
            && autotune.low_load < autotune.high_load
            && autotune.high_load <= 1.0)
        {
            return invalid(
                "autotune.low_load",
                format!(
                    "need 0 < low_load ({}) < high_load ({}) <= 1",
                    autotune.low_load, autotune.high_load
                ),
            );
        }
        if autotune.max_broadcast_every == 0 {
            return invalid("autotune.max_broadcast_every", "must be at least 1".into());
        }
        if autotune.min_tick_rate_hz == 0 {
            return invalid("autotune.min_tick_rate_hz", "must be at least 1".into());
        }
        Ok(())
    }

    fn from_config(autotune: &AutotuneConfig) -> Self {
        Self {
            enabled: Some(autotune.enabled),
            high_load: Some(autotune.high_load),
            low_load: Some(autotune.low_load),
            max_bytes_per_second: Some(autotune.max_bytes_per_second),
            max_broadcast_every: Some(autotune.max_broadcast_every),
            min_tick_rate_hz: Some(autotune.min_tick_rate_hz),
        }
    }
}

impl ConfigLayer {
    /// Reads a TOML config file.
    ///
    /// # Errors
    /// [`ConfigError::Read`] or [`ConfigError::Parse`], naming the file.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ConfigError::Read { path: path.into(), source })?;
        toml::from_str(&text)
            .map_err(|source| ConfigError::Parse { path: path.into(), source: Box::new(source) })
    }

    /// Applies this layer on top of `config`.
    ///
    /// # Errors
    /// The first setting out of range, named.
    pub fn apply_to(&self, config: &mut ServerConfig) -> Result<(), ConfigError> {
        if let Some(bind) = self.bind {
            config.bind = bind;
        }
        if let Some(npcs) = self.npcs {
            config.sim.npcs = npcs;
        }
        if let Some(seed) = self.seed {
            config.sim.seed = seed;
        }
        if let Some(width) = self.arena_width {
            config.sim.arena_size.x = arena_side("arena_width", width)?;
        }
        if let Some(height) = self.arena_height {
            config.sim.arena_size.y = arena_side("arena_height", height)?;
        }
        if let Some(token) = &self.admin_token {
            config.admin_token = Some(token.clone()).filter(|token| !token.is_empty());
        }
        config.sim.settings = self.settings.apply_to(&config.sim.settings)?;
        if let Some(secret) = &self.auth_secret {
            config.auth_secret = Some(secret.clone()).filter(|secret| !secret.is_empty());
        }
        self.autotune.apply_to(&mut config.autotune)?;
        self.limits.apply_to(config)?;
        Ok(())
    }

    /// Every field of `config`, for `--print-config`.
    pub fn from_config(config: &ServerConfig) -> Self {
        let settings: &Settings = &config.sim.settings;
        Self {
            bind: Some(config.bind),
            npcs: Some(config.sim.npcs),
            seed: Some(config.sim.seed),
            arena_width: Some(config.sim.arena_size.x),
            arena_height: Some(config.sim.arena_size.y),
            admin_token: config.admin_token.as_ref().map(|_| "<set>".into()),
            settings: SettingsPatch {
                tick_rate_hz: Some(settings.tick_rate_hz),
                broadcast_every: Some(settings.broadcast_every),
                input_every: Some(settings.input_every),
                movement_speed: Some(settings.movement_speed),
                smoothing: Some(settings.smoothing),
                interpolation_delay_ms: Some(settings.interpolation_delay_ms),
                position_steps_per_unit: Some(settings.position_steps_per_unit),
            },
            auth_secret: config.auth_secret.as_ref().map(|_| "<set>".into()),
            autotune: AutotuneLayer::from_config(&config.autotune),
            limits: LimitsLayer::from_config(config),
        }
    }
}

/// Largest arena side: positions in steps must fit an `i32` at the finest quantisation.
const MAX_ARENA_SIDE: f32 = 1_000_000.0;

fn arena_side(setting: &'static str, value: f32) -> Result<f32, ConfigError> {
    if value.is_finite() && value > 0.0 && value <= MAX_ARENA_SIDE {
        Ok(value)
    } else {
        Err(ConfigError::Invalid {
            setting,
            reason: format!("{value} is not in (0, {MAX_ARENA_SIDE}]"),
        })
    }
}

/// Flags of the server, each also readable from a `TICKWIRE_*` environment variable
/// (a flag wins over its variable, both win over the config file).
#[derive(Debug, Default, Clone, Args)]
pub struct ServeArgs {
    /// A TOML config file (see README.md for its keys).
    #[arg(long, env = "TICKWIRE_CONFIG")]
    pub config: Option<PathBuf>,
    /// Print the effective configuration as TOML and exit.
    #[arg(long)]
    pub print_config: bool,
    /// Address to listen on [default: 127.0.0.1:8080] (port 0 picks a free port).
    #[arg(long, env = "TICKWIRE_BIND")]
    pub bind: Option<SocketAddr>,
    /// Simulation ticks per second [default: 30].
    #[arg(long, env = "TICKWIRE_TICK_RATE")]
    pub tick_rate: Option<u16>,
    /// Send a snapshot every N ticks [default: 2].
    #[arg(long, env = "TICKWIRE_BROADCAST_EVERY")]
    pub broadcast_every: Option<u16>,
    /// Clients send an input every N ticks [default: 2].
    #[arg(long, env = "TICKWIRE_INPUT_EVERY")]
    pub input_every: Option<u16>,
    /// Actor speed in world units per second [default: 120].
    #[arg(long, env = "TICKWIRE_MOVEMENT_SPEED")]
    pub movement_speed: Option<f32>,
    /// Client render smoothing in [0, 1) [default: 0].
    #[arg(long, env = "TICKWIRE_SMOOTHING")]
    pub smoothing: Option<f32>,
    /// How far behind the newest snapshot clients render others, in ms [default: 100].
    #[arg(long, env = "TICKWIRE_INTERPOLATION_DELAY_MS")]
    pub interpolation_delay_ms: Option<u16>,
    /// Position quantisation: steps per world unit [default: 8].
    #[arg(long, env = "TICKWIRE_POSITION_STEPS_PER_UNIT")]
    pub position_steps_per_unit: Option<u16>,
    /// Number of wandering NPC actors [default: 50].
    #[arg(long, env = "TICKWIRE_NPCS")]
    pub npcs: Option<u32>,
    /// Seed of the world's randomness [default: 1].
    #[arg(long, env = "TICKWIRE_SEED")]
    pub seed: Option<u64>,
    /// Arena width in world units [default: 1000].
    #[arg(long, env = "TICKWIRE_ARENA_WIDTH")]
    pub arena_width: Option<f32>,
    /// Arena height in world units [default: 1000].
    #[arg(long, env = "TICKWIRE_ARENA_HEIGHT")]
    pub arena_height: Option<f32>,
    /// Bearer token for the admin API (required to enable it on a non-loopback bind).
    #[arg(long, env = "TICKWIRE_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// Secret that player auth tokens are signed with (see `tickwire-server token`).
    #[arg(long, env = "TICKWIRE_AUTH_SECRET", hide_env_values = true)]
    pub auth_secret: Option<String>,
    /// Most sessions at once [default: 10000].
    #[arg(long, env = "TICKWIRE_MAX_SESSIONS")]
    pub max_sessions: Option<usize>,
    /// Most sessions from one IP address [default: 64].
    #[arg(long, env = "TICKWIRE_MAX_SESSIONS_PER_ADDRESS")]
    pub max_sessions_per_address: Option<usize>,
    /// A browser origin allowed to connect (repeat for more; none allows all).
    #[arg(long = "allowed-origin", env = "TICKWIRE_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,
    /// Auto-tune snapshot and tick rate under load [default: true].
    #[arg(long, env = "TICKWIRE_AUTOTUNE")]
    pub autotune: Option<bool>,
    /// Outbound bandwidth budget for auto-tuning, bytes per second [default: 0, none].
    #[arg(long, env = "TICKWIRE_MAX_BYTES_PER_SECOND")]
    pub max_bytes_per_second: Option<u64>,
}

impl ServeArgs {
    /// Builds the configuration: defaults, then the config file, then these flags (clap
    /// has already let each flag override its environment variable).
    ///
    /// # Errors
    /// [`ConfigError`] for an unreadable file or an out-of-range value, named.
    pub fn config(&self) -> Result<ServerConfig, ConfigError> {
        let mut config = ServerConfig::default();
        if let Some(path) = &self.config {
            ConfigLayer::from_file(path)?.apply_to(&mut config)?;
        }
        self.layer().apply_to(&mut config)?;
        Ok(config)
    }

    fn layer(&self) -> ConfigLayer {
        ConfigLayer {
            bind: self.bind,
            npcs: self.npcs,
            seed: self.seed,
            arena_width: self.arena_width,
            arena_height: self.arena_height,
            admin_token: self.admin_token.clone(),
            settings: SettingsPatch {
                tick_rate_hz: self.tick_rate,
                broadcast_every: self.broadcast_every,
                input_every: self.input_every,
                movement_speed: self.movement_speed,
                smoothing: self.smoothing,
                interpolation_delay_ms: self.interpolation_delay_ms,
                position_steps_per_unit: self.position_steps_per_unit,
            },
            auth_secret: self.auth_secret.clone(),
            autotune: AutotuneLayer {
                enabled: self.autotune,
                max_bytes_per_second: self.max_bytes_per_second,
                ..AutotuneLayer::default()
            },
            limits: LimitsLayer {
                max_sessions: self.max_sessions,
                max_sessions_per_address: self.max_sessions_per_address,
                allowed_origins: Some(self.allowed_origins.clone())
                    .filter(|origins| !origins.is_empty()),
                ..LimitsLayer::default()
            },
        }
    }
}
