//! A room's writer shards: each new frame is written to every in-sync session of the room
//! by a few tasks, not by one task per session.
//!
//! µWebSockets.js writes all sockets of a publish from one loop; a tokio task per session
//! woken for every frame costs a wakeup, a poll and a reschedule per client per frame,
//! which at a thousand clients is most of the server's user-space CPU. Here a session
//! joins one of its room's shards when it starts serving snapshots. A shard's task wakes
//! once per changed frame and, for each of its sessions in turn, plans and writes the
//! snapshot with a non-blocking vectored write (`Delivery::deliver`). Only a socket that
//! would block wakes its own session's task, which waits for it (see `session::delivery`).
//!
//! A room uses one shard until it holds [`SESSIONS_PER_SHARD`] sessions, then spreads
//! over up to one shard per runtime worker thread, so a big room's writes use every core
//! and a small room costs one task. A shard's task starts with its first session and
//! stops when its last one has gone; it never holds the room's frames longer than a pass.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::session::{Delivery, Ending};
use crate::snapshot_ring::SnapshotRing;

/// How many sessions a shard takes before the room spreads over another one.
const SESSIONS_PER_SHARD: usize = 128;

/// One room's shards.
pub(crate) struct FanOut {
    shards: Box<[Mutex<Shard>]>,
}

/// One shard's membership, as sessions join and its task takes them in.
#[derive(Default)]
struct Shard {
    /// Sessions that joined since the task's last pass.
    joining: Vec<Arc<Delivery>>,
    /// Sessions in the shard, joining ones included.
    members: usize,
    /// Whether the shard's task runs.
    running: bool,
}

/// What a shard's task needs besides its shard.
pub(crate) struct ShardContext {
    /// The room's frames.
    pub(crate) frames: watch::Receiver<Arc<SnapshotRing>>,
    /// Where the task is tracked, so shutdown waits for it.
    pub(crate) tasks: TaskTracker,
    /// Cancelled when the server stops.
    pub(crate) shutdown: CancellationToken,
}

impl FanOut {
    /// A room's fan-out over at most `max_shards` shards (at least one).
    pub(crate) fn new(max_shards: usize) -> Self {
        Self { shards: (0..max_shards.max(1)).map(|_| Mutex::default()).collect() }
    }

    /// Adds a session that serves snapshots, starting its shard's task if need be. The
    /// session stays in until it retires (`Delivery::retire`).
    pub(crate) fn join(self: &Arc<Self>, delivery: Arc<Delivery>, context: ShardContext) {
        let index = self.pick_shard();
        let mut shard = self.shard(index);
        shard.joining.push(delivery);
        shard.members += 1;
        if !shard.running {
            shard.running = true;
            let fanout = Arc::clone(self);
            let tasks = context.tasks.clone();
            tasks.spawn(async move { fanout.run_shard(index, context).await });
        }
    }

    fn shard(&self, index: usize) -> MutexGuard<'_, Shard> {
        self.shards[index].lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The first shard with room, else the least loaded.
    fn pick_shard(&self) -> usize {
        let members: Vec<usize> =
            (0..self.shards.len()).map(|index| self.shard(index).members).collect();
        members.iter().position(|&count| count < SESSIONS_PER_SHARD).unwrap_or_else(|| {
            (0..members.len()).min_by_key(|&index| members[index]).unwrap_or_default()
        })
    }

    /// A shard's task: one pass over its sessions per changed frame.
    async fn run_shard(&self, index: usize, context: ShardContext) {
        let ShardContext { mut frames, shutdown, .. } = context;
        // Registered once: a fresh wait per frame would queue and unqueue a waiter on the
        // token every pass.
        let stopping = shutdown.cancelled();
        tokio::pin!(stopping);
        let mut sessions: Vec<Arc<Delivery>> = Vec::new();
        while self.take_in(index, &mut sessions) {
            tokio::select! {
                changed = frames.changed() => {
                    if changed.is_err() {
                        let last = frames.borrow();
                        self.end_all(index, &sessions, |session| {
                            session.end(Ending::world_gone(&last));
                        });
                        return;
                    }
                }
                () = &mut stopping => {
                    self.end_all(index, &sessions, Delivery::shut_down);
                    return;
                }
            }
            let ring = Arc::clone(&frames.borrow_and_update());
            for session in &sessions {
                session.deliver(&ring);
            }
        }
    }

    /// Takes in the sessions that joined and lets go of those that retired. Returns
    /// `false`, with the task marked stopped, once no session is left.
    fn take_in(&self, index: usize, sessions: &mut Vec<Arc<Delivery>>) -> bool {
        let mut shard = self.shard(index);
        sessions.append(&mut shard.joining);
        let before = sessions.len();
        sessions.retain(|session| !session.is_retired());
        shard.members -= before - sessions.len();
        shard.running = !sessions.is_empty();
        shard.running
    }

    /// Ends every session of the shard, joining ones included, with `end`, and marks its
    /// task stopped: the room's frames ended (its world stopped, or failed), or the server
    /// is stopping. Sessions' tasks wait on no shutdown token of their own (a session's
    /// task is kept small); a session that joins after this starts the shard's task
    /// again, which finds the server stopping at once.
    fn end_all(&self, index: usize, sessions: &[Arc<Delivery>], end: impl Fn(&Delivery)) {
        let mut shard = self.shard(index);
        shard.running = false;
        for session in sessions.iter().chain(&shard.joining) {
            end(session);
        }
    }
}
