//! The `[limits]`, `[autotune]` and `[rooms]` tables of the configuration: optional fields, applied
//! on top of the layers below them and validated with the setting named.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tickwire_sim::AutotuneConfig;

use super::{ConfigError, ServerConfig};

/// Session limits; every field optional. See [`tickwire_net::NetConfig`] for their meaning.
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
    /// Seconds between the pings that measure a session's round trip.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ping_interval_secs: Option<f32>,
    /// Seconds a connection has to send a complete HTTP request head (also between
    /// keep-alive requests).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub header_timeout_secs: Option<f32>,
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
    pub(super) fn apply_to(&self, config: &mut ServerConfig) -> Result<(), ConfigError> {
        let net = &mut config.net;
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
        if let Some(value) = self.ping_interval_secs {
            net.ping_interval = seconds("limits.ping_interval_secs", value)?;
        }
        if let Some(value) = self.header_timeout_secs {
            config.header_timeout = seconds("limits.header_timeout_secs", value)?;
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

    pub(super) fn from_config(config: &ServerConfig) -> Self {
        let net = &config.net;
        Self {
            max_sessions: Some(net.max_sessions),
            max_sessions_per_address: Some(net.max_sessions_per_address),
            max_messages_per_second: Some(net.max_messages_per_second),
            message_burst: Some(net.message_burst),
            max_message_bytes: Some(net.max_message_bytes),
            handshake_timeout_secs: Some(net.handshake_timeout.as_secs_f32()),
            idle_timeout_secs: Some(net.idle_timeout.as_secs_f32()),
            ping_interval_secs: Some(net.ping_interval.as_secs_f32()),
            header_timeout_secs: Some(config.header_timeout.as_secs_f32()),
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
    pub(super) fn apply_to(&self, autotune: &mut AutotuneConfig) -> Result<(), ConfigError> {
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

    pub(super) fn from_config(autotune: &AutotuneConfig) -> Self {
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

/// Room rules (a `[rooms]` table); every field optional. See [`crate::RoomsConfig`].
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoomsLayer {
    /// Seconds a room with nobody in it lives on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub empty_timeout_secs: Option<f32>,
    /// Seconds a matchmaker's seat stays reserved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seat_ttl_secs: Option<f32>,
    /// Most rooms at once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_rooms: Option<usize>,
    /// Threads stepping the rooms' worlds (default: one per core).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sim_threads: Option<usize>,
    /// The room type whose room is made at start and joined without a seat; empty for none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_room: Option<String>,
}

impl RoomsLayer {
    pub(super) fn apply_to(&self, config: &mut ServerConfig) -> Result<(), ConfigError> {
        let rooms = &mut config.rooms;
        if let Some(value) = self.empty_timeout_secs {
            rooms.empty_timeout = seconds("rooms.empty_timeout_secs", value)?;
        }
        if let Some(value) = self.seat_ttl_secs {
            rooms.seat_ttl = seconds("rooms.seat_ttl_secs", value)?;
        }
        if let Some(value) = self.max_rooms {
            rooms.max_rooms = at_least_one("rooms.max_rooms", value)?;
        }
        if let Some(value) = self.sim_threads {
            rooms.sim_threads = at_least_one("rooms.sim_threads", value)?;
        }
        if let Some(name) = &self.default_room {
            rooms.default_room = Some(name.clone()).filter(|name| !name.is_empty());
        }
        Ok(())
    }

    pub(super) fn from_config(config: &ServerConfig) -> Self {
        let rooms = &config.rooms;
        Self {
            empty_timeout_secs: Some(rooms.empty_timeout.as_secs_f32()),
            seat_ttl_secs: Some(rooms.seat_ttl.as_secs_f32()),
            max_rooms: Some(rooms.max_rooms),
            sim_threads: Some(rooms.sim_threads),
            default_room: Some(rooms.default_room.clone().unwrap_or_default()),
        }
    }
}

/// A duration setting: more than 0 and at most a day.
fn seconds(setting: &'static str, value: f32) -> Result<Duration, ConfigError> {
    if value.is_finite() && value > 0.0 && value <= 86_400.0 {
        Ok(Duration::from_secs_f32(value))
    } else {
        Err(ConfigError::Invalid {
            setting,
            reason: format!("{value} is not in (0, 86400] seconds"),
        })
    }
}

/// A duration setting that may be 0 (off): at least 0 and at most a day.
pub(super) fn seconds_or_zero(setting: &'static str, value: f32) -> Result<Duration, ConfigError> {
    if value == 0.0 { Ok(Duration::ZERO) } else { seconds(setting, value) }
}

/// A count setting: at least 1.
fn at_least_one(setting: &'static str, value: usize) -> Result<usize, ConfigError> {
    if value >= 1 {
        Ok(value)
    } else {
        Err(ConfigError::Invalid { setting, reason: "must be at least 1".into() })
    }
}
