//! Many processes, one set of rooms: the process's identity and addresses, its drain
//! rule, and (with a directory) the Redis directory that lets any process find and join
//! every room of the cluster.
//!
//! # Layout
//! - [`ClusterConfig`]: who this process is and where it is reached.
//! - `directory`: the Redis directory (what is in it, how it expires).
//! - `routing`: matchmaking across processes (list, create, join, join-or-create).
//!
//! One process with no directory is a cluster of one: its rooms are found in its own
//! registry and nothing here talks to Redis.

use std::net::SocketAddr;
use std::time::Duration;

use crate::rooms::registry::random_id;

pub(crate) mod directory;
pub(crate) mod metrics;
pub(crate) mod peers;
pub(crate) mod routing;

/// How long a draining process waits for its rooms to empty, when a directory or Agones
/// is in use and no grace is configured.
const CLUSTER_DRAIN_GRACE: Duration = Duration::from_secs(30);

/// Who this process is in a cluster and where it is reached.
#[derive(Debug, Clone, Default)]
pub struct ClusterConfig {
    /// The Redis directory (`redis://HOST:PORT/DB`); `None` keeps every room in this
    /// process's own registry.
    pub directory: Option<String>,
    /// This process's id: names its rooms and its entry in the directory (random unless
    /// set).
    pub process_id: String,
    /// The WebSocket URL clients are sent to for this process's rooms (default: the
    /// listener's address, `ws://ADDR/ws`).
    pub public_url: Option<String>,
    /// The HTTP base URL other processes reach this one's matchmaking at (default: the
    /// listener's address, `http://ADDR`).
    pub peer_url: Option<String>,
    /// How long SIGTERM lets the rooms run on until they are empty; `None`: 30 s with a
    /// directory or Agones, else none (stop at once).
    pub drain_grace: Option<Duration>,
    /// Report to the Agones SDK sidecar (needs the `agones` cargo feature).
    pub agones: bool,
}

impl ClusterConfig {
    /// The drain grace in force.
    #[must_use]
    pub fn drain_grace(&self) -> Duration {
        self.drain_grace.unwrap_or(if self.directory.is_some() || self.agones {
            CLUSTER_DRAIN_GRACE
        } else {
            Duration::ZERO
        })
    }

    /// The WebSocket URL clients use for this process, for a listener on `local`.
    #[must_use]
    pub fn public_url(&self, local: SocketAddr) -> String {
        self.public_url.clone().unwrap_or_else(|| format!("ws://{}/ws", reachable(local)))
    }

    /// The HTTP base URL peers use for this process, for a listener on `local`.
    #[must_use]
    pub fn peer_url(&self, local: SocketAddr) -> String {
        self.peer_url.clone().unwrap_or_else(|| format!("http://{}", reachable(local)))
    }
}

/// `local`, with an unspecified address (`0.0.0.0`) replaced by loopback.
fn reachable(local: SocketAddr) -> SocketAddr {
    let mut address = local;
    if address.ip().is_unspecified() {
        address.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    address
}

/// A fresh process id (the operating system's process id if there is no randomness).
pub(crate) fn random_process_id() -> String {
    random_id().unwrap_or_else(|_| format!("pid{}", std::process::id()))
}

/// Whether `id` may name a process: 1 to 40 lowercase letters, digits and `-` (a
/// Kubernetes pod name fits), not starting with `-`.
pub(crate) fn valid_process_id(id: &str) -> bool {
    (1..=40).contains(&id.len())
        && !id.starts_with('-')
        && id.bytes().all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-')
}
