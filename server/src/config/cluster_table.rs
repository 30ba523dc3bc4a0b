//! The `[cluster]` table of the configuration: the Redis directory, this process's id and
//! addresses, the drain grace and Agones. See [`crate::ClusterConfig`].

use serde::{Deserialize, Serialize};

use super::tables::seconds_or_zero;
use super::{ConfigError, ServerConfig};
use crate::cluster::valid_process_id;

/// Cluster settings; every field optional.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterLayer {
    /// The Redis directory, `redis://HOST:PORT/DB`; empty for none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub directory: Option<String>,
    /// This process's id (lowercase letters, digits, `-`; at most 40).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub process_id: Option<String>,
    /// The WebSocket URL clients are sent to for this process's rooms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_url: Option<String>,
    /// The HTTP base URL other processes reach this one at.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peer_url: Option<String>,
    /// Seconds SIGTERM lets rooms run on until empty (0: stop at once).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drain_grace_secs: Option<f32>,
    /// Report to the Agones SDK sidecar (needs the `agones` cargo feature).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agones: Option<bool>,
}

impl ClusterLayer {
    pub(super) fn apply_to(&self, config: &mut ServerConfig) -> Result<(), ConfigError> {
        let cluster = &mut config.cluster;
        let invalid = |setting, reason: String| ConfigError::Invalid { setting, reason };
        if let Some(url) = &self.directory {
            if !(url.is_empty() || url.starts_with("redis://")) {
                return Err(invalid(
                    "cluster.directory",
                    "expected redis://HOST:PORT/DB (or empty for none)".into(),
                ));
            }
            cluster.directory = Some(url.clone()).filter(|url| !url.is_empty());
        }
        if let Some(id) = &self.process_id {
            if !valid_process_id(id) {
                return Err(invalid(
                    "cluster.process_id",
                    "use 1 to 40 lowercase letters, digits or `-`, not starting with `-`".into(),
                ));
            }
            cluster.process_id.clone_from(id);
        }
        for (setting, value, schemes, field) in [
            ("cluster.public_url", &self.public_url, ["ws://", "wss://"], &mut cluster.public_url),
            ("cluster.peer_url", &self.peer_url, ["http://", "http://"], &mut cluster.peer_url),
        ] {
            if let Some(url) = value {
                if !schemes.iter().any(|scheme| url.starts_with(scheme)) {
                    return Err(invalid(
                        setting,
                        format!("expected a URL starting {}", schemes[0]),
                    ));
                }
                *field = Some(url.trim_end_matches('/').to_owned());
            }
        }
        if let Some(value) = self.drain_grace_secs {
            cluster.drain_grace = Some(seconds_or_zero("cluster.drain_grace_secs", value)?);
        }
        if let Some(agones) = self.agones {
            if agones && !cfg!(feature = "agones") {
                return Err(invalid(
                    "cluster.agones",
                    "this server was built without the `agones` cargo feature".into(),
                ));
            }
            cluster.agones = agones;
        }
        Ok(())
    }

    pub(super) fn from_config(config: &ServerConfig) -> Self {
        let cluster = &config.cluster;
        Self {
            directory: Some(cluster.directory.clone().unwrap_or_default()),
            process_id: Some(cluster.process_id.clone()),
            public_url: cluster.public_url.clone(),
            peer_url: cluster.peer_url.clone(),
            drain_grace_secs: Some(cluster.drain_grace().as_secs_f32()),
            agones: Some(cluster.agones),
        }
    }
}
