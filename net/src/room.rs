//! Rooms as the network side sees them: where a session's inputs go, where its snapshots
//! come from, and who keeps count of the places in it.
//!
//! The network side does not own rooms; the server's room registry does. A session finds
//! its room through a [`RoomDirectory`] (by the `Hello`'s seat, by the room a resume token
//! belongs to, or the default room), then talks to the room only through its [`RoomLink`]:
//! the sim's channels, the snapshot feed, the room's own resume book and metrics, and
//! [`Seating`], the registry's count of who holds a place. Rooms share nothing else, so
//! one room's inputs, snapshots and resume tokens cannot reach another.

use std::sync::Arc;
use std::time::Duration;

use tickwire_protocol::CloseCode;
use tickwire_sim::{SessionId, SimSender};
use tokio::sync::watch;

use crate::fanout::FanOut;
use crate::metrics::NetMetrics;
use crate::resume::ResumeBook;
use crate::snapshot_ring::SnapshotRing;

/// A seat reserved by the matchmaker, as the directory found it behind a `Hello.seat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SeatId(pub u64);

/// Why a session may not play in a room: the close code and the reason its client is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The close code.
    pub code: CloseCode,
    /// One line for the client.
    pub reason: String,
}

impl Refusal {
    /// A refusal with `code` and `reason`.
    pub fn new(code: CloseCode, reason: impl Into<String>) -> Self {
        Self { code, reason: reason.into() }
    }
}

/// How a session came to hold its place in a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    /// It took over `previous`'s actor (a resume): `previous`'s place passes to it, and
    /// the seat it came with, if any, is released.
    Resumed {
        /// The session taken over.
        previous: SessionId,
        /// A seat the client also presented.
        seat: Option<SeatId>,
    },
    /// It uses a seat the matchmaker reserved.
    Seated(SeatId),
    /// It came without a seat (only the default room takes such sessions).
    Unseated,
}

/// The registry's count of who holds a place in one room: live sessions, dropped ones
/// waiting for a resume, and reserved seats. The room is full when they add up to its
/// capacity, and empty (and, after its empty timeout, disposed) when none is left.
pub trait Seating: Send + Sync {
    /// `session` takes a place.
    ///
    /// # Errors
    /// A [`Refusal`] for an expired or used seat, a room being disposed, a seatless
    /// session in a room that requires seats, or a full room.
    fn arrive(&self, session: SessionId, arrival: Arrival) -> Result<(), Refusal>;
    /// `session` dropped without a goodbye: its place is held for `grace` (its actor waits
    /// for a resume that takes the place over).
    fn linger(&self, session: SessionId, grace: Duration);
    /// `session`'s place is free (it left, broke a rule, was evicted or displaced).
    fn depart(&self, session: SessionId);
}

/// Places nobody counts, for tests whose rules do not depend on the room.
#[cfg(test)]
struct Uncounted;

#[cfg(test)]
impl Seating for Uncounted {
    fn arrive(&self, _: SessionId, _: Arrival) -> Result<(), Refusal> {
        Ok(())
    }
    fn linger(&self, _: SessionId, _: Duration) {}
    fn depart(&self, _: SessionId) {}
}

#[cfg(test)]
impl RoomLink {
    /// A room fed `snapshots`, whose sim nobody runs and whose places nobody counts.
    pub(crate) fn for_tests(snapshots: watch::Receiver<Arc<SnapshotRing>>) -> Arc<Self> {
        let (sim, _inbox) = tickwire_sim::sim_channels(4);
        let metrics = NetMetrics::register(&metrics::NoopRecorder);
        Self::new("test", "default", sim, snapshots, metrics, Arc::new(Uncounted))
    }
}

/// One room, as the sessions in it use it. Made by the room registry.
pub struct RoomLink {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) sim: SimSender,
    pub(crate) snapshots: watch::Receiver<Arc<SnapshotRing>>,
    pub(crate) resume: ResumeBook,
    /// The process's metrics, with this room's own outbound byte counter (what its
    /// auto-tuner reads).
    pub(crate) metrics: NetMetrics,
    pub(crate) seating: Arc<dyn Seating>,
    /// The room's writer shards: what writes each new frame to its sessions.
    pub(crate) fanout: Arc<FanOut>,
}

impl RoomLink {
    /// A room `id` of type `name`, over its sim's channels and snapshot feed; `metrics`
    /// must be this room's ([`NetMetrics::for_room`]).
    pub fn new(
        id: impl Into<String>,
        name: impl Into<String>,
        sim: SimSender,
        snapshots: watch::Receiver<Arc<SnapshotRing>>,
        metrics: NetMetrics,
        seating: Arc<dyn Seating>,
    ) -> Arc<Self> {
        Arc::new(Self {
            id: id.into(),
            name: name.into(),
            sim,
            snapshots,
            resume: ResumeBook::default(),
            metrics,
            seating,
            fanout: Arc::new(FanOut::new(writer_shards())),
        })
    }

    /// The room's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The room's sim channels (for the admin API: settings changes).
    pub fn sim(&self) -> &SimSender {
        &self.sim
    }

    /// Bytes sent to this room's sessions so far.
    pub fn outbound_bytes(&self) -> u64 {
        self.metrics.outbound_bytes().load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The room's snapshot feed (for the admin API: the settings in force).
    pub fn snapshots(&self) -> &watch::Receiver<Arc<SnapshotRing>> {
        &self.snapshots
    }
}

/// How many writer shards a room may spread over: one per runtime worker thread (one
/// outside a runtime).
fn writer_shards() -> usize {
    tokio::runtime::Handle::try_current().map_or(1, |runtime| runtime.metrics().num_workers())
}

impl std::fmt::Debug for RoomLink {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("RoomLink").field("id", &self.id).field("name", &self.name).finish()
    }
}

/// Where a `Hello` leads.
#[derive(Debug)]
pub struct Destination {
    /// The room.
    pub room: Arc<RoomLink>,
    /// The seat the client presented, if it was valid for this room.
    pub seat: Option<SeatId>,
}

/// How sessions find their room: the server's room registry.
pub trait RoomDirectory: Send + Sync {
    /// The room a `Hello` is for: the room of its `seat` (verified: signed by this
    /// server, not expired), else the room it names (`room`, for a resume), else the
    /// default room.
    ///
    /// # Errors
    /// A [`Refusal`] (4005) for a forged or expired seat, or a room that does not exist
    /// (any more); also when there is no default room and the `Hello` names none.
    fn find(&self, seat: Option<&str>, room: Option<&str>) -> Result<Destination, Refusal>;
}
