//! What the process as a whole is doing, for whatever hosts it (Agones, a readiness
//! probe): its phase, its rooms and players, and whether every played room's world is
//! still ticking.
//!
//! [`ProcessStatus`] publishes a [`ProcessState`] on a `watch` channel: at once when the
//! phase changes, and once a second from the rooms (the [`TickWatchdog`] needs two
//! looks a second apart to tell a stuck world from a quiet one). Readers never touch the
//! registry's lock.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::rooms::registry::{Registry, WorldPulse};

/// How often the rooms are looked at.
const LOOK_EVERY: Duration = Duration::from_secs(1);
/// Looks in a row without a tick after which a played room's world counts as stuck.
const STUCK_AFTER_LOOKS: u32 = 2;

/// Where the process is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Listening and taking new rooms and players.
    Serving,
    /// Shutting down gently: no new rooms or seats; its rooms run on until empty or
    /// the drain grace ends.
    Draining,
    /// Drained (or told to stop at once): sessions are being closed and the process is
    /// about to exit.
    Stopping,
}

/// The process at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessState {
    /// The phase.
    pub phase: Phase,
    /// Rooms open in this process (the default room included).
    pub rooms: usize,
    /// Every session holding a place in a room, connected or waiting for a resume, as
    /// `ROOM/SESSION`, sorted.
    pub players: Vec<String>,
    /// Whether every room whose world is being stepped advanced its tick lately.
    pub ticking: bool,
    /// Where players reach this process, as its host says (Agones: the game server's
    /// address and port), if it said.
    pub advertised_url: Option<String>,
}

/// The sending side: the server updates it, hosts read [`ProcessStatus::subscribe`].
#[derive(Debug, Clone)]
pub struct ProcessStatus {
    sender: Arc<watch::Sender<ProcessState>>,
}

impl ProcessStatus {
    /// A status for a process that serves, with nothing in it yet.
    pub(crate) fn new() -> Self {
        let state = ProcessState {
            phase: Phase::Serving,
            rooms: 0,
            players: Vec::new(),
            ticking: true,
            advertised_url: None,
        };
        Self { sender: Arc::new(watch::Sender::new(state)) }
    }

    /// Every change from now on.
    #[must_use]
    pub fn subscribe(&self) -> watch::Receiver<ProcessState> {
        self.sender.subscribe()
    }

    /// The phase now.
    #[must_use]
    pub fn phase(&self) -> Phase {
        self.sender.borrow().phase
    }

    /// Where the host says players reach this process, if it said.
    #[must_use]
    pub fn advertised_url(&self) -> Option<String> {
        self.sender.borrow().advertised_url.clone()
    }

    /// Records where players reach this process (`ws://HOST:PORT/ws`), as its host says.
    #[cfg_attr(not(feature = "agones"), allow(dead_code, reason = "only Agones advertises"))]
    pub(crate) fn advertise(&self, url: String) {
        self.sender.send_if_modified(|state| {
            let changed = state.advertised_url.as_ref() != Some(&url);
            state.advertised_url = Some(url);
            changed
        });
    }

    /// Moves to `phase` (never back: a draining process does not serve again).
    pub(crate) fn enter(&self, phase: Phase) {
        self.sender.send_if_modified(|state| {
            let later = rank(phase) > rank(state.phase);
            if later {
                state.phase = phase;
            }
            later
        });
    }

    /// Looks at `rooms` once a second until the task is aborted or the registry is gone.
    pub(crate) fn spawn_watch(&self, rooms: &Arc<Registry>) -> tokio::task::JoinHandle<()> {
        let rooms = Arc::downgrade(rooms);
        let status = self.clone();
        tokio::spawn(async move {
            let mut watchdog = TickWatchdog::default();
            let mut players_listed = Vec::new();
            let mut every = tokio::time::interval(LOOK_EVERY);
            loop {
                every.tick().await;
                let Some(rooms) = rooms.upgrade() else { return };
                let pulse = rooms.pulse(&mut players_listed);
                drop(rooms);
                let ticking = watchdog.look(&pulse.worlds);
                status.sender.send_if_modified(|state| {
                    let mut changed = state.rooms != pulse.worlds.len() || state.ticking != ticking;
                    state.rooms = pulse.worlds.len();
                    state.ticking = ticking;
                    if let Some(players) = pulse.players {
                        changed |= state.players != players;
                        state.players = players;
                    }
                    changed
                });
            }
        })
    }
}

fn rank(phase: Phase) -> u8 {
    match phase {
        Phase::Serving => 0,
        Phase::Draining => 1,
        Phase::Stopping => 2,
    }
}

/// Tells a stuck world from a quiet one: a world being stepped must advance its tick
/// count between looks; a parked world (nobody playing) is not expected to.
#[derive(Debug, Default)]
pub(crate) struct TickWatchdog {
    /// Per room: the tick count last seen, and looks in a row it did not move.
    seen: HashMap<String, (u64, u32)>,
}

impl TickWatchdog {
    /// Takes one look; whether no stepped world has been stuck for
    /// [`STUCK_AFTER_LOOKS`] looks.
    pub(crate) fn look(&mut self, worlds: &[WorldPulse]) -> bool {
        let mut seen = HashMap::with_capacity(worlds.len());
        let mut ticking = true;
        for world in worlds {
            let still = match self.seen.get(&world.room) {
                Some((ticks, still)) if world.stepping && *ticks == world.ticks => still + 1,
                _ => 0,
            };
            ticking &= still < STUCK_AFTER_LOOKS;
            seen.insert(world.room.clone(), (world.ticks, still));
        }
        self.seen = seen;
        ticking
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn world(room: &str, ticks: u64, stepping: bool) -> WorldPulse {
        WorldPulse { room: room.to_owned(), ticks, stepping }
    }

    #[test]
    fn a_stepped_world_that_stops_ticking_is_stuck_after_two_looks() {
        let mut watchdog = TickWatchdog::default();
        assert!(watchdog.look(&[world("a", 10, true), world("b", 5, true)]));
        assert!(watchdog.look(&[world("a", 40, true), world("b", 5, true)]));
        assert!(!watchdog.look(&[world("a", 70, true), world("b", 5, true)]));
        assert!(watchdog.look(&[world("a", 99, true), world("b", 6, true)]));
    }

    #[test]
    fn a_parked_world_may_stand_still_and_a_new_room_starts_fresh() {
        let mut watchdog = TickWatchdog::default();
        for _ in 0..5 {
            assert!(watchdog.look(&[world("parked", 3, false)]));
        }
        // Stepped again, it must tick within two looks.
        assert!(watchdog.look(&[world("parked", 3, true)]));
        assert!(!watchdog.look(&[world("parked", 3, true)]));
        // Disposed and made again under the same id: no history.
        assert!(watchdog.look(&[]));
        assert!(watchdog.look(&[world("parked", 3, true)]));
    }

    #[test]
    fn phases_only_move_forward() {
        let status = ProcessStatus::new();
        status.enter(Phase::Draining);
        status.enter(Phase::Serving);
        assert_eq!(status.phase(), Phase::Draining);
        status.enter(Phase::Stopping);
        assert_eq!(status.phase(), Phase::Stopping);
    }
}
