//! [`ServerConfig`]: everything [`crate::run`] needs, and where it comes from.
//! The flags are in `args`, the `[limits]`, `[autotune]` and `[rooms]` tables in `tables`.
//!
//! Layers, later ones winning: embedded defaults < a TOML file (`--config`) < environment
//! variables (`TICKWIRE_*`) < command-line flags. Every layer is optional, so the server
//! runs with no file at all. The result is validated as a whole, and an invalid value is
//! reported with the name of its setting.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use thiserror::Error;
use tickwire_net::{Authenticator, NetConfig};
use tickwire_protocol::{Settings, SettingsError, SettingsPatch};
use tickwire_sim::{AutotuneConfig, SimConfig};

use crate::cluster::{ClusterConfig, random_process_id};
use crate::rooms::RoomsConfig;

mod args;
mod cluster_table;
mod tables;

pub use args::ServeArgs;
pub use cluster_table::ClusterLayer;
pub use tables::{AutotuneLayer, LimitsLayer, RoomsLayer};

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
    /// Bearer token for `/metrics`; without one it is open on loopback binds only.
    pub metrics_token: Option<String>,
    /// Secret that player tokens are signed with ([`tickwire_net::SignedTokens`]); without
    /// one (and without an `authenticator`) everybody may play.
    pub auth_secret: Option<String>,
    /// Your own admission check, for embedding the server; wins over `auth_secret`. The
    /// [`tickwire_net::Identity`] it returns owns the session (see its docs).
    pub authenticator: Option<Arc<dyn Authenticator>>,
    /// Inputs of all sessions that may wait for the next tick; beyond it inputs are dropped
    /// (and counted) rather than blocking a network thread or growing memory.
    pub input_queue_capacity: usize,
    /// How many late ticks the sim runs back to back before it skips ahead instead.
    pub max_catch_up_ticks: u32,
    /// How long shutdown waits for sessions to say goodbye.
    pub shutdown_grace: Duration,
    /// How long a connection has to send a complete HTTP request head, the upgrade
    /// request included (and between keep-alive requests); then it is closed.
    pub header_timeout: Duration,
    /// How the server trades snapshot and tick rate for headroom under load (each room
    /// on its own).
    pub autotune: AutotuneConfig,
    /// Rooms: empty timeout, seat lifetime, room limit, sim threads, the default room.
    pub rooms: RoomsConfig,
    /// The process in a cluster: directory, id, addresses, drain grace, Agones.
    pub cluster: ClusterConfig,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            sim: SimConfig::default(),
            net: NetConfig::default(),
            admin_token: None,
            metrics_token: None,
            auth_secret: None,
            authenticator: None,
            input_queue_capacity: 16 * 1024,
            max_catch_up_ticks: 5,
            shutdown_grace: Duration::from_secs(3),
            header_timeout: Duration::from_secs(5),
            autotune: AutotuneConfig::default(),
            rooms: RoomsConfig::default(),
            cluster: ClusterConfig { process_id: random_process_id(), ..ClusterConfig::default() },
        }
    }
}

impl ServerConfig {
    /// Checks what no single layer can: the settings together with the limits they must
    /// fit, the auto-tuner's bounds together, and the pings within the idle timeout.
    ///
    /// # Errors
    /// The first setting out of range, named, with the others involved in its reason.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.sim.settings.validate_with_budget(self.net.max_messages_per_second)?;
        let (slowest_tick_rate, widest_gap) =
            (self.autotune.min_tick_rate_hz, self.autotune.max_broadcast_every);
        if widest_gap > slowest_tick_rate {
            return Err(ConfigError::Invalid {
                setting: "autotune.max_broadcast_every",
                reason: format!(
                    "{widest_gap} ticks at autotune.min_tick_rate_hz {slowest_tick_rate} is under \
                     one snapshot a second; keep max_broadcast_every <= min_tick_rate_hz"
                ),
            });
        }
        let (ping, idle) = (self.net.ping_interval, self.net.idle_timeout);
        if ping > idle / 2 {
            return Err(ConfigError::Invalid {
                setting: "limits.ping_interval_secs",
                reason: format!(
                    "{} s is more than half of limits.idle_timeout_secs ({} s): a live client \
                     that only answers pings would count as silent",
                    ping.as_secs_f32(),
                    idle.as_secs_f32()
                ),
            });
        }
        Ok(())
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
    /// See [`ServerConfig::metrics_token`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics_token: Option<String>,
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
    /// Room rules (a `[rooms]` table in the file).
    #[serde(default)]
    pub rooms: RoomsLayer,
    /// The process in a cluster (a `[cluster]` table in the file).
    #[serde(default)]
    pub cluster: ClusterLayer,
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
        if let Some(token) = &self.metrics_token {
            config.metrics_token = Some(token.clone()).filter(|token| !token.is_empty());
        }
        config.sim.settings = self.settings.apply_to(&config.sim.settings)?;
        if let Some(secret) = &self.auth_secret {
            config.auth_secret = Some(secret.clone()).filter(|secret| !secret.is_empty());
        }
        self.autotune.apply_to(&mut config.autotune)?;
        self.limits.apply_to(config)?;
        self.rooms.apply_to(config)?;
        self.cluster.apply_to(config)?;
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
            metrics_token: config.metrics_token.as_ref().map(|_| "<set>".into()),
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
            rooms: RoomsLayer::from_config(config),
            cluster: ClusterLayer::from_config(config),
        }
    }
}

/// Largest arena side: positions in steps must fit an `i32` at the finest quantisation.
const MAX_ARENA_SIDE: f32 = 1_000_000.0;
const _: () = assert!(
    MAX_ARENA_SIDE * Settings::MAX_STEPS_PER_UNIT as f32 <= i32::MAX as f32,
    "a position anywhere in the largest arena must fit the wire's i32 steps"
);

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
