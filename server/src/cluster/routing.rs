//! Matchmaking across processes: [`Cluster`] answers list, create, join and
//! join-or-create on any process, with a seat in whichever process owns the room.
//!
//! - **Find**: the directory lists every live process and its rooms; this process's own
//!   entry is taken fresh from its registry, not from Redis.
//! - **Own**: a room id ends with `-PROCESS`, so a join by id goes straight to its owner.
//!   Only the owner reserves the seat and signs the token (the request is forwarded to
//!   it, see `peers`), so places are counted in one place and the token is checked
//!   without asking anyone.
//! - **Create**: on the least-loaded process that is not draining and has room for a
//!   room; the owner publishes its new room before it answers.
//! - **Join-or-create**: first an open room of the type and filter in this process, then
//!   in any, fullest first (the owner decides whether a place is really free); if none
//!   takes the player, under a
//!   Redis lock for that type and filter, look again and create. Waiting too long for the
//!   lock is a 503, never a local room made on a guess: that is how twin rooms are made.
//!
//! While Redis is gone every call needing it answers 503; joins of this process's own
//! rooms still work, and the rooms keep running.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use serde::Serialize;
use serde_json::{Map, Value, json};
use tokio::task::JoinHandle;
use tracing::{debug, info, warn};

use super::directory::{Directory, DirectoryError, ProcessEntry, REFRESH_EVERY};
use super::metrics::ClusterMetrics;
use super::peers::{Peers, Seat};
use crate::process_state::{Phase, ProcessStatus};
use crate::rooms::DEFAULT_ROOM;
use crate::rooms::registry::{MatchError, Registry, RoomInfo, RoomState, label_matches};

/// How long a join-or-create waits for another process's decision on the same type and
/// filter before answering 503.
const LOCK_WAIT: Duration = Duration::from_secs(3);
/// Most rooms one join-or-create tries before creating one.
const MOST_TRIES: usize = 8;
/// Shortest gap between two publications prompted by changes (they coalesce).
const COALESCE: Duration = Duration::from_millis(50);

/// This process, as the cluster reaches it.
#[derive(Debug, Clone)]
pub(crate) struct Me {
    pub(crate) id: String,
    /// Where players connect, unless the host advertises otherwise (see `url_fixed`).
    pub(crate) url: String,
    /// `url` was configured (`--public-url`): it wins over what the host advertises.
    pub(crate) url_fixed: bool,
    pub(crate) peer_url: String,
}

/// A room in a listing, with the process that owns it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ListedRoom {
    #[serde(flatten)]
    pub(crate) room: RoomInfo,
    pub(crate) owner: String,
}

/// Matchmaking over every process of the cluster.
pub(crate) struct Cluster {
    registry: Arc<Registry>,
    directory: Directory,
    peers: Peers,
    me: Me,
    status: ProcessStatus,
    metrics: ClusterMetrics,
    /// The entry as last written, to tell a change from a mere refresh.
    written: Mutex<Option<ProcessEntry>>,
}

impl Cluster {
    pub(crate) fn new(
        registry: Arc<Registry>,
        directory: Directory,
        me: Me,
        status: ProcessStatus,
        metrics: ClusterMetrics,
    ) -> Self {
        Self {
            registry,
            directory,
            peers: Peers::new(),
            me,
            status,
            metrics,
            written: Mutex::default(),
        }
    }

    /// Every room of type `name` (any, if `None`) in the cluster, by owner.
    pub(crate) async fn list(&self, name: Option<&str>) -> Result<Vec<ListedRoom>, MatchError> {
        let processes = self.processes().await?;
        Ok(processes
            .into_iter()
            .flat_map(|process| {
                let owner = process.id;
                process.rooms.into_iter().map(move |room| ListedRoom { room, owner: owner.clone() })
            })
            .filter(|listed| name.is_none_or(|name| listed.room.name == name))
            .collect())
    }

    /// A new room of type `name` on the least-loaded process, and a seat in it.
    pub(crate) async fn create(
        &self,
        name: &str,
        label: Map<String, Value>,
        options: Map<String, Value>,
    ) -> Result<Seat, MatchError> {
        self.registry.check_request(name, &label)?;
        let processes = self.processes().await?;
        self.create_among(&processes, name, label, options).await
    }

    /// A seat in room `id`, from its owner.
    pub(crate) async fn join(&self, id: &str) -> Result<Seat, MatchError> {
        let owner = owner_of(id).ok_or_else(|| MatchError::no_room(id))?;
        if owner == self.me.id {
            return self.join_here(id);
        }
        let process = self.directory.process(owner).await.map_err(unreachable)?;
        let process = process.ok_or_else(|| MatchError::no_room(id))?;
        self.join_on(&process, id).await
    }

    /// A seat in the fullest open room of type `name` labelled `filter`, or in a new one.
    pub(crate) async fn join_or_create(
        &self,
        name: &str,
        filter: Map<String, Value>,
        options: Map<String, Value>,
    ) -> Result<Seat, MatchError> {
        // Refused before Redis is asked (or locked) for a type nobody runs.
        self.registry.check_request(name, &filter)?;
        // A room here first: no Redis, no forwarding; any open room will do.
        if let Some(grant) = self.registry.join_existing(name, &filter) {
            return Ok(Seat { grant, url: self.url() });
        }
        let processes = self.processes().await?;
        if let Some(seat) = self.join_existing(&processes, name, &filter).await {
            return Ok(seat);
        }
        let lock = self.directory.lock(name, &filter, LOCK_WAIT).await.map_err(unreachable)?;
        let lock = lock.ok_or_else(|| {
            MatchError::Exhausted(format!(
                "matchmaking for {name:?} is busy on another process: try again"
            ))
        })?;
        let decided = async {
            let processes = self.processes().await?;
            match self.join_existing(&processes, name, &filter).await {
                Some(seat) => Ok(seat),
                None => self.create_among(&processes, name, filter, options).await,
            }
        }
        .await;
        if let Err(error) = self.directory.unlock(lock).await {
            warn!(%error, "cannot release a join-or-create lock (it expires by itself)");
        }
        decided
    }

    /// A room made here for a forwarded request; published before the answer, so the
    /// next join-or-create anywhere sees it.
    pub(crate) async fn create_here(
        &self,
        name: &str,
        label: Map<String, Value>,
        options: Map<String, Value>,
    ) -> Result<Seat, MatchError> {
        let grant = self.registry.create(name, label, options)?;
        if let Err(error) = self.publish().await {
            warn!(%error, room = %grant.room, "a new room is not in the directory yet");
        }
        Ok(Seat { grant, url: self.url() })
    }

    /// A seat in this process's room `id`.
    pub(crate) fn join_here(&self, id: &str) -> Result<Seat, MatchError> {
        Ok(Seat { grant: self.registry.join(id)?, url: self.url() })
    }

    /// Where players connect to this process: the configured public URL, else what its
    /// host advertised (Agones), else the listener's address.
    fn url(&self) -> String {
        match self.status.advertised_url() {
            Some(advertised) if !self.me.url_fixed => advertised,
            _ => self.me.url.clone(),
        }
    }

    /// Keeps this process's entry in the directory: every [`REFRESH_EVERY`], soon after
    /// any change, and at once when Redis comes back. Abort the task to stop it (then
    /// [`Cluster::withdraw`]).
    pub(crate) fn spawn_publisher(self: &Arc<Self>) -> JoinHandle<()> {
        let cluster = Arc::clone(self);
        tokio::spawn(async move {
            let changes = cluster.registry.changes();
            let mut phases = cluster.status.subscribe();
            let mut registered = false;
            loop {
                match cluster.refresh().await {
                    Ok(()) if !registered => {
                        info!(process = %cluster.me.id, "registered in the room directory");
                        registered = true;
                    }
                    Ok(()) => {}
                    Err(error) if registered => {
                        warn!(%error, "cannot refresh this process in the room directory");
                        registered = false;
                    }
                    Err(_) => {}
                }
                tokio::select! {
                    () = tokio::time::sleep(REFRESH_EVERY) => {}
                    () = changes.notified() => tokio::time::sleep(COALESCE).await,
                    _ = phases.changed() => {}
                }
            }
        })
    }

    /// Removes this process from the directory (a clean stop).
    pub(crate) async fn withdraw(&self) {
        match self.directory.withdraw(&self.me.id).await {
            Ok(()) => info!(process = %self.me.id, "left the room directory"),
            Err(error) => warn!(%error, "cannot leave the room directory (the entry expires)"),
        }
    }

    /// Writes this process's entry.
    async fn publish(&self) -> Result<(), DirectoryError> {
        let entry = self.entry();
        let published = self.directory.publish(&entry).await;
        self.metrics.published(published.is_ok());
        *self.written.lock().unwrap_or_else(PoisonError::into_inner) =
            published.is_ok().then_some(entry);
        published
    }

    /// Extends this process's entry if nothing in it changed (a few bytes at rest),
    /// else writes it.
    async fn refresh(&self) -> Result<(), DirectoryError> {
        let unchanged = {
            let written = self.written.lock().unwrap_or_else(PoisonError::into_inner);
            written.as_ref() == Some(&self.entry())
        };
        if unchanged {
            let extended = self.directory.refresh(&self.me.id).await;
            self.metrics.published(extended.is_ok());
            if extended? {
                return Ok(());
            }
        }
        self.publish().await
    }

    /// Asks process `peer_url` for a seat (`path`, `body`), counting how it ends.
    async fn forward(&self, peer_url: &str, path: &str, body: Bytes) -> Result<Seat, MatchError> {
        let seat = self.peers.seat(peer_url, path, body).await;
        self.metrics.forwarded(&seat);
        seat
    }

    /// This process's entry now.
    fn entry(&self) -> ProcessEntry {
        let rooms = self.registry.list(None);
        ProcessEntry {
            id: self.me.id.clone(),
            url: self.url(),
            peer_url: self.me.peer_url.clone(),
            draining: self.status.phase() != Phase::Serving,
            clients: rooms.iter().map(|room| room.clients).sum(),
            max_rooms: self.registry.max_rooms(),
            rooms,
        }
    }

    /// Every live process, this one fresh from its registry.
    async fn processes(&self) -> Result<Vec<ProcessEntry>, MatchError> {
        let mut processes = self.directory.processes().await.map_err(unreachable)?;
        processes.retain(|process| process.id != self.me.id);
        processes.push(self.entry());
        processes.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(processes)
    }

    /// A seat in one of the open rooms of type `name` labelled `filter`, fullest first.
    async fn join_existing(
        &self,
        processes: &[ProcessEntry],
        name: &str,
        filter: &Map<String, Value>,
    ) -> Option<Seat> {
        let mut candidates: Vec<(&ProcessEntry, &RoomInfo)> = processes
            .iter()
            .filter(|process| !process.draining)
            .flat_map(|process| process.rooms.iter().map(move |room| (process, room)))
            .filter(|(process, room)| {
                room.name == name
                    && room.state == RoomState::Open
                    && !is_default_room(&room.id, &process.id)
                    && label_matches(&room.label, filter)
            })
            .collect();
        candidates.sort_by(|(_, a), (_, b)| b.clients.cmp(&a.clients).then(a.id.cmp(&b.id)));
        for (process, room) in candidates.into_iter().take(MOST_TRIES) {
            match self.join_on(process, &room.id).await {
                Ok(seat) => return Some(seat),
                Err(refused) => {
                    debug!(room = %room.id, %refused, "join-or-create passes a room by")
                }
            }
        }
        None
    }

    async fn join_on(&self, process: &ProcessEntry, id: &str) -> Result<Seat, MatchError> {
        if process.id == self.me.id {
            return self.join_here(id);
        }
        let path = format!("/rooms/{id}/join");
        self.forward(&process.peer_url, &path, Bytes::new()).await
    }

    /// A new room on the least-loaded process that takes rooms; the next one if that
    /// process cannot be reached or refuses (it may have died or begun draining since
    /// its entry was written).
    async fn create_among(
        &self,
        processes: &[ProcessEntry],
        name: &str,
        label: Map<String, Value>,
        options: Map<String, Value>,
    ) -> Result<Seat, MatchError> {
        let mut targets: Vec<&ProcessEntry> = processes
            .iter()
            .filter(|process| !process.draining && process.rooms.len() < process.max_rooms)
            .collect();
        targets.sort_by(|a, b| {
            a.load().total_cmp(&b.load()).then(a.clients.cmp(&b.clients)).then(a.id.cmp(&b.id))
        });
        let mut last =
            MatchError::Exhausted("no process of the cluster can take a new room".into());
        for target in targets {
            let made = if target.id == self.me.id {
                self.create_here(name, label.clone(), options.clone()).await
            } else {
                let body = json!({ "name": name, "label": label, "options": options });
                self.forward(&target.peer_url, "/rooms", Bytes::from(body.to_string())).await
            };
            match made {
                Err(MatchError::Exhausted(why)) => {
                    warn!(process = %target.id, %why, "cannot create a room there; trying the next");
                    last = MatchError::Exhausted(why);
                }
                made => return made,
            }
        }
        Err(last)
    }
}

/// Whether `id` is process `owner`'s default room (`default-OWNER`), which matchmaking
/// never fills.
fn is_default_room(id: &str, owner: &str) -> bool {
    id.strip_prefix(DEFAULT_ROOM).and_then(|rest| rest.strip_prefix('-')) == Some(owner)
}

/// The process that owns room `id`: what follows the first `-`.
fn owner_of(id: &str) -> Option<&str> {
    id.split_once('-').map(|(_, owner)| owner).filter(|owner| !owner.is_empty())
}

fn unreachable(error: DirectoryError) -> MatchError {
    MatchError::Exhausted(error.to_string())
}

#[cfg(test)]
mod tests {
    use super::{is_default_room, owner_of};

    #[test]
    fn a_room_id_names_its_owner() {
        assert_eq!(owner_of("k3v9qz2a-b"), Some("b"));
        assert_eq!(owner_of("default-pod-7f9x"), Some("pod-7f9x"));
        assert_eq!(owner_of("k3v9qz2a"), None);
        assert_eq!(owner_of("k3v9qz2a-"), None);
    }

    #[test]
    fn only_a_process_own_default_room_is_its_default_room() {
        assert!(is_default_room("default-p2", "p2"));
        assert!(!is_default_room("default-p2", "p3"));
        assert!(!is_default_room("k3v9qz2a-p2", "p2"));
        assert!(!is_default_room("default", "p2"));
    }
}
