//! [`ServeArgs`]: the server's flags, each also read from a `TICKWIRE_*` environment
//! variable, as the top layer of the configuration.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;
use tickwire_protocol::SettingsPatch;

use super::{
    AutotuneLayer, ClusterLayer, ConfigError, ConfigLayer, LimitsLayer, RoomsLayer, ServerConfig,
};

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
    /// Bearer token for `/metrics` (required to enable it on a non-loopback bind).
    #[arg(long, env = "TICKWIRE_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
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
    /// Seconds a room with nobody in it lives on [default: 30].
    #[arg(long, env = "TICKWIRE_EMPTY_TIMEOUT_SECS")]
    pub empty_timeout_secs: Option<f32>,
    /// Most rooms at once [default: 1000].
    #[arg(long, env = "TICKWIRE_MAX_ROOMS")]
    pub max_rooms: Option<usize>,
    /// Threads stepping the rooms' worlds [default: one per core].
    #[arg(long, env = "TICKWIRE_SIM_THREADS")]
    pub sim_threads: Option<usize>,
    /// The Redis room directory, `redis://HOST:PORT/DB`, shared by every process of a
    /// cluster [default: none, rooms stay in this process].
    #[arg(long, env = "TICKWIRE_DIRECTORY")]
    pub directory: Option<String>,
    /// This process's id in the cluster [default: random].
    #[arg(long, env = "TICKWIRE_PROCESS_ID")]
    pub process_id: Option<String>,
    /// The WebSocket URL clients are sent to for this process's rooms [default:
    /// ws://BIND/ws].
    #[arg(long, env = "TICKWIRE_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// The HTTP URL other processes reach this one at [default: http://BIND].
    #[arg(long, env = "TICKWIRE_PEER_URL")]
    pub peer_url: Option<String>,
    /// Seconds SIGTERM lets rooms run on until they empty [default: 30 with a directory
    /// or Agones, else 0].
    #[arg(long, env = "TICKWIRE_DRAIN_GRACE_SECS")]
    pub drain_grace_secs: Option<f32>,
    /// Report to the Agones SDK sidecar (a server built with the `agones` feature).
    #[arg(long, env = "TICKWIRE_AGONES")]
    pub agones: Option<bool>,
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
        config.validate()?;
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
            metrics_token: self.metrics_token.clone(),
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
            rooms: RoomsLayer {
                empty_timeout_secs: self.empty_timeout_secs,
                max_rooms: self.max_rooms,
                sim_threads: self.sim_threads,
                ..RoomsLayer::default()
            },
            cluster: ClusterLayer {
                directory: self.directory.clone(),
                process_id: self.process_id.clone(),
                public_url: self.public_url.clone(),
                peer_url: self.peer_url.clone(),
                drain_grace_secs: self.drain_grace_secs,
                agones: self.agones,
            },
        }
    }
}
