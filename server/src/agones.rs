//! Agones: the process tells the Agones SDK sidecar what it is doing, so Agones can
//! allocate, pack and replace game servers the way it does for any game server.
//!
//! Built only with the `agones` cargo feature and run only with `--agones true`. One task
//! reads the [`ProcessState`] watch and, through the sidecar (`AGONES_SDK_GRPC_PORT`,
//! default 9357):
//! - marks the game server `Ready` once connected (the listener is already bound);
//! - pings `Health` every [`HEALTH_EVERY`] while every stepped room's world ticks, and
//!   never while one is stuck, so Agones replaces a process whose sim hangs;
//! - keeps the Counter `rooms` at the number of rooms and the List `players` equal to the
//!   `ROOM/SESSION` of every player (Agones' high-density pattern: allocation picks game
//!   servers by their room and player capacity), as far as the List's capacity allows;
//! - calls `Shutdown` when the process reaches [`Phase::Stopping`] (after its drain).
//!
//! Nothing here stops the server: an unreachable sidecar or a failed call is logged and
//! the process serves on.

use std::collections::BTreeSet;
use std::time::Duration;

use agones::Sdk;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tracing::{debug, info, warn};

use crate::process_state::{Phase, ProcessState, ProcessStatus};

/// How often a healthy process pings (Agones' default health period is 5 s, so a
/// ping can be lost without the game server turning unhealthy).
const HEALTH_EVERY: Duration = Duration::from_secs(2);
/// How long the sidecar may take to answer at start before the server says it serves
/// without Agones.
const UNREACHABLE_AFTER: Duration = Duration::from_secs(5);
/// How long the server waits for the `Shutdown` call before returning.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(5);
/// The Counter holding the number of rooms.
const ROOMS_COUNTER: &str = "rooms";
/// The List holding the players, as `ROOM/SESSION`.
const PLAYERS_LIST: &str = "players";
/// The largest capacity Agones allows a List.
const MAX_LIST_CAPACITY: usize = 1000;

/// Starts reporting `status` to the sidecar; hand the handle to [`finish`].
pub(crate) fn spawn(status: &ProcessStatus) -> JoinHandle<()> {
    tokio::spawn(report(status.clone()))
}

/// Tells `status` where Agones says players reach this game server (its status's
/// address and first port), for the seats matchmaking hands out (unless `--public-url`
/// says otherwise).
async fn advertise_address(sdk: &mut Sdk, status: &ProcessStatus) {
    let game_server = match sdk.get_gameserver().await {
        Ok(game_server) => game_server,
        Err(error) => return warn!(%error, "Agones: cannot read the GameServer's address"),
    };
    let reached = game_server.status.and_then(|status| {
        let port = status.ports.first()?.port;
        (!status.address.is_empty()).then(|| format!("ws://{}:{port}/ws", status.address))
    });
    match reached {
        Some(url) => {
            info!(%url, "Agones: players reach this game server at its address and port");
            status.advertise(url);
        }
        None => warn!("Agones: the GameServer has no address and port yet"),
    }
}

/// Waits (at most [`SHUTDOWN_WAIT`]) for the task to call `Shutdown` and end.
pub(crate) async fn finish(task: Option<JoinHandle<()>>) {
    let Some(mut task) = task else { return };
    if tokio::time::timeout(SHUTDOWN_WAIT, &mut task).await.is_err() {
        warn!("Agones: no Shutdown within {} s; exiting anyway", SHUTDOWN_WAIT.as_secs());
        task.abort();
    }
}

async fn report(status: ProcessStatus) {
    let mut states = status.subscribe();
    let Some(mut sdk) = connect(&mut states).await else { return };
    match sdk.ready().await {
        Ok(()) => info!("Agones: Ready"),
        Err(error) => warn!(%error, "Agones: Ready failed"),
    }
    advertise_address(&mut sdk, &status).await;
    let mut health = Health::new(&sdk);
    let mut lists = Lists::new(&sdk);
    let mut every = tokio::time::interval(HEALTH_EVERY);
    loop {
        let gone = tokio::select! {
            _ = every.tick() => false,
            changed = states.changed() => changed.is_err(),
        };
        let state = states.borrow_and_update().clone();
        if gone || state.phase == Phase::Stopping {
            break;
        }
        health.ping_if(state.ticking, &sdk);
        lists.report(&state).await;
    }
    // The health stream ends before Shutdown, so no ping follows it.
    drop(health);
    match sdk.shutdown().await {
        Ok(()) => info!("Agones: Shutdown"),
        Err(error) => warn!(%error, "Agones: Shutdown failed"),
    }
}

/// Connects to the sidecar, trying again (the SDK waits up to 30 s a try) until it
/// answers or the process stops; `None` if it stopped first. Says so once if the sidecar
/// has not answered within [`UNREACHABLE_AFTER`].
async fn connect(states: &mut watch::Receiver<ProcessState>) -> Option<Sdk> {
    let port = std::env::var("AGONES_SDK_GRPC_PORT").unwrap_or_else(|_| "9357".into());
    let patience = tokio::time::sleep(UNREACHABLE_AFTER);
    tokio::pin!(patience);
    let mut warned = false;
    loop {
        let attempt = Sdk::new(None, None);
        tokio::pin!(attempt);
        loop {
            tokio::select! {
                connected = &mut attempt => match connected {
                    Ok(sdk) => {
                        info!(port, "Agones: connected to the SDK sidecar");
                        return Some(sdk);
                    }
                    Err(error) => {
                        debug!(%error, port, "Agones: SDK sidecar unreachable; trying again");
                        break;
                    }
                },
                () = &mut patience, if !warned => {
                    warn!(port, "Agones: SDK sidecar unreachable; serving without Agones, still trying");
                    warned = true;
                }
                () = stopping(states) => return None,
            }
        }
    }
}

/// Resolves once the process is stopping (or its status is gone).
async fn stopping(states: &mut watch::Receiver<ProcessState>) {
    let _ = states.wait_for(|state| state.phase == Phase::Stopping).await;
}

/// The health stream: one `Empty` per ping. The SDK runs the stream in its own task; if
/// that ends (the sidecar restarted), a new stream is opened.
struct Health {
    pings: mpsc::Sender<()>,
    /// Whether the last ping was skipped because a world is stuck (logged once).
    withheld: bool,
}

impl Health {
    fn new(sdk: &Sdk) -> Self {
        Self { pings: sdk.health_check(), withheld: false }
    }

    fn ping_if(&mut self, ticking: bool, sdk: &Sdk) {
        if !ticking {
            if !self.withheld {
                warn!("Agones: a room's world is not ticking; health pings withheld");
            }
            self.withheld = true;
            return;
        }
        if self.withheld {
            info!("Agones: every world ticks again; health pings resume");
            self.withheld = false;
        }
        match self.pings.try_send(()) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(())) => debug!("Agones: health stream busy"),
            Err(mpsc::error::TrySendError::Closed(())) => {
                warn!("Agones: health stream ended; opening a new one");
                self.pings = sdk.health_check();
            }
        }
    }
}

/// The Counter `rooms` and List `players` as last reported, brought in line with each
/// new state. Either failing does not hold the other back.
struct Lists {
    beta: agones::beta::Beta,
    /// The `rooms` count last set.
    rooms: Option<i64>,
    /// The `players` List as last reported (or read back from the sidecar).
    players: Listed,
    /// The List must be read back before the next update (at start, after a failure).
    resync: bool,
    /// Whether a failure has been logged since the last success (later ones go to debug).
    failing: bool,
}

impl Lists {
    fn new(sdk: &Sdk) -> Self {
        Self {
            beta: sdk.beta().clone(),
            rooms: None,
            players: Listed::default(),
            resync: true,
            failing: false,
        }
    }

    async fn report(&mut self, state: &ProcessState) {
        let rooms = self.report_rooms(state.rooms).await;
        let players = self.report_players(&state.players).await;
        if players.is_err() {
            self.resync = true;
        }
        match rooms.and(players) {
            Ok(()) => self.failing = false,
            Err(error) if self.failing => {
                debug!(%error, "Agones: counter/list update failed again")
            }
            Err(error) => {
                warn!(%error, "Agones: counter/list update failed; retrying");
                self.failing = true;
            }
        }
    }

    async fn report_rooms(&mut self, rooms: usize) -> Result<(), agones::errors::Error> {
        let rooms = i64::try_from(rooms).unwrap_or(i64::MAX);
        if self.rooms != Some(rooms) {
            self.beta.set_counter_count(ROOMS_COUNTER, rooms).await?;
            self.rooms = Some(rooms);
        }
        Ok(())
    }

    async fn report_players(&mut self, players: &[String]) -> Result<(), agones::errors::Error> {
        if self.resync {
            let values = self.beta.get_list_values(PLAYERS_LIST).await?;
            let capacity = self.beta.get_list_capacity(PLAYERS_LIST).await?;
            self.players.values = values.into_iter().collect();
            self.players.capacity = usize::try_from(capacity).unwrap_or(0).min(MAX_LIST_CAPACITY);
            self.resync = false;
        }
        let plan = self.players.plan(players);
        if plan.unlisted > 0 && plan.unlisted != self.players.unlisted {
            warn!(
                unlisted = plan.unlisted,
                capacity = self.players.capacity,
                "Agones: the `players` List is full; some players are not listed"
            );
        }
        self.players.unlisted = plan.unlisted;
        for player in plan.remove {
            self.beta.delete_list_value(PLAYERS_LIST, &player).await?;
            self.players.values.remove(&player);
        }
        for player in plan.add {
            self.beta.append_list_value(PLAYERS_LIST, &player).await?;
            self.players.values.insert(player);
        }
        Ok(())
    }
}

/// The `players` List, as far as this process knows.
#[derive(Debug, Default)]
struct Listed {
    /// Its values.
    values: BTreeSet<String>,
    /// Its capacity.
    capacity: usize,
    /// Players left out last time for want of capacity.
    unlisted: usize,
}

/// The calls that bring the `players` List in line with the players.
#[derive(Debug, Default, PartialEq, Eq)]
struct Plan {
    /// Values to remove (first, to make room).
    remove: Vec<String>,
    /// Values to add, as many as the capacity allows.
    add: Vec<String>,
    /// Players that do not fit in the List.
    unlisted: usize,
}

impl Listed {
    fn plan(&self, players: &[String]) -> Plan {
        let wanted: BTreeSet<&String> = players.iter().collect();
        let remove: Vec<String> =
            self.values.iter().filter(|value| !wanted.contains(value)).cloned().collect();
        let room_left = self.capacity.saturating_sub(self.values.len() - remove.len());
        let missing: Vec<&String> =
            wanted.into_iter().filter(|player| !self.values.contains(*player)).collect();
        let add: Vec<String> =
            missing.iter().take(room_left).map(|&player| player.clone()).collect();
        Plan { unlisted: missing.len() - add.len(), remove, add }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(values: &[&str], capacity: usize) -> Listed {
        Listed {
            values: values.iter().map(|&value| value.to_owned()).collect(),
            capacity,
            unlisted: 0,
        }
    }

    fn strings(values: &[&str]) -> Vec<String> {
        values.iter().map(|&value| value.to_owned()).collect()
    }

    #[test]
    fn the_plan_removes_gone_players_and_adds_new_ones() {
        let plan = listed(&["a/1", "a/2"], 10).plan(&strings(&["a/2", "b/3"]));
        assert_eq!(plan, Plan { remove: strings(&["a/1"]), add: strings(&["b/3"]), unlisted: 0 });
    }

    #[test]
    fn nothing_changes_when_the_list_already_matches() {
        let plan = listed(&["a/1"], 10).plan(&strings(&["a/1"]));
        assert_eq!(plan, Plan::default());
    }

    #[test]
    fn players_beyond_the_list_capacity_are_left_out_after_removals_make_room() {
        let plan = listed(&["a/1", "a/2"], 3).plan(&strings(&["a/2", "a/3", "a/4", "a/5"]));
        assert_eq!(plan.remove, strings(&["a/1"]));
        assert_eq!(plan.add, strings(&["a/3", "a/4"]), "only two places should be left");
        assert_eq!(plan.unlisted, 1);
    }

    #[test]
    fn a_list_with_no_capacity_lists_nobody() {
        let plan = listed(&[], 0).plan(&strings(&["a/1"]));
        assert!(plan.add.is_empty(), "nothing should be added to a zero-capacity list");
        assert_eq!(plan.unlisted, 1);
    }
}
