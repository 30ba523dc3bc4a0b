//! A room's shards: each new frame is written to every in-sync session of the room by a
//! few tasks, not by one task per session, and the same tasks poll their sessions'
//! reading and timers.
//!
//! µWebSockets.js writes all sockets of a publish from one loop; a tokio task per session
//! woken for every frame costs a wakeup, a poll and a reschedule per client per frame,
//! which at a thousand clients is most of the server's user-space CPU. Here a session
//! joins one of its room's shards when it starts serving snapshots. A shard's task wakes
//! once per changed frame and, for each of its sessions in turn, plans and writes the
//! snapshot with a non-blocking vectored write (`Delivery::deliver`). Only a socket that
//! would block leaves the write to its own session, which waits for it (see
//! `session::delivery`).
//!
//! A serving session has no task of its own either: the shard's task polls each one
//! woken (by its socket, its timer or its delivery) through a `FuturesUnordered`, and
//! starts a task for its goodbye once it ends (see `session::serving`). An idle
//! connection then holds no task cell.
//!
//! A room uses one shard until it holds [`SESSIONS_PER_SHARD`] sessions, then spreads
//! over up to one shard per runtime worker thread, so a big room's writes use every core
//! and a small room costs one task. A shard's task starts with its first session and
//! stops when its last one has gone; it never holds the room's frames longer than a pass.

use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use tokio::sync::{Notify, watch};
use tokio::task::unconstrained;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::session::{Delivery, Ending, Goodbye, Serving};
use crate::snapshot_ring::SnapshotRing;

/// How many sessions a shard takes before the room spreads over another one.
const SESSIONS_PER_SHARD: usize = 128;

/// One room's shards, polling each session's `S`: its [`Serving`] (a stand-in in tests),
/// ready with its goodbye once the session ends.
pub(crate) struct FanOut<S = Serving> {
    shards: Box<[ShardSlot<S>]>,
}

/// A shard's membership, and the wakeup of its task when a session joins.
struct ShardSlot<S> {
    shard: Mutex<Shard<S>>,
    /// A session joined: the task takes it in and polls it at once, not at the next
    /// changed frame (a still world has none).
    joined: Notify,
}

/// One shard's membership, as sessions join and its task takes them in.
struct Shard<S> {
    /// Sessions that joined since the task's last pass.
    joining: Vec<(Arc<Delivery>, S)>,
    /// Sessions in the shard, joining ones included.
    members: usize,
    /// Whether the shard's task runs.
    running: bool,
}

/// What a shard's task needs besides its shard.
pub(crate) struct ShardContext {
    /// The room's frames.
    pub(crate) frames: watch::Receiver<Arc<SnapshotRing>>,
    /// Where the task is tracked, so shutdown waits for it, and its sessions' goodbyes.
    pub(crate) tasks: TaskTracker,
    /// Cancelled when the server stops.
    pub(crate) shutdown: CancellationToken,
}

impl<S: Future<Output = Goodbye> + Send + 'static> FanOut<S> {
    /// A room's fan-out over at most `max_shards` shards (at least one).
    pub(crate) fn new(max_shards: usize) -> Self {
        let slot = || ShardSlot {
            shard: Mutex::new(Shard { joining: Vec::new(), members: 0, running: false }),
            joined: Notify::new(),
        };
        Self { shards: (0..max_shards.max(1)).map(|_| slot()).collect() }
    }

    /// Adds a session that serves snapshots through `delivery`, starting its shard's task
    /// if need be. The shard polls `serving` until it ends, and writes frames to
    /// `delivery` until it retires (`Delivery::retire`).
    pub(crate) fn join(
        self: &Arc<Self>,
        delivery: Arc<Delivery>,
        serving: S,
        context: ShardContext,
    ) {
        let index = self.pick_shard();
        let mut shard = self.shard(index);
        shard.joining.push((delivery, serving));
        shard.members += 1;
        if !shard.running {
            shard.running = true;
            let fanout = Arc::clone(self);
            let tasks = context.tasks.clone();
            tasks.spawn(async move { fanout.run_shard(index, context).await });
        } else {
            self.shards[index].joined.notify_one();
        }
    }

    fn shard(&self, index: usize) -> MutexGuard<'_, Shard<S>> {
        self.shards[index].shard.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The first shard with room, else the least loaded.
    fn pick_shard(&self) -> usize {
        let members: Vec<usize> =
            (0..self.shards.len()).map(|index| self.shard(index).members).collect();
        members.iter().position(|&count| count < SESSIONS_PER_SHARD).unwrap_or_else(|| {
            (0..members.len()).min_by_key(|&index| members[index]).unwrap_or_default()
        })
    }

    /// A shard's task: one pass over its sessions per changed frame, and a poll of each
    /// serving session woken.
    async fn run_shard(&self, index: usize, context: ShardContext) {
        let ShardContext { mut frames, shutdown, tasks } = context;
        // Registered once: a fresh wait per frame would queue and unqueue a waiter on the
        // token every pass.
        let stopping = shutdown.cancelled();
        tokio::pin!(stopping);
        let mut members = Members { sessions: Vec::new(), serving: FuturesUnordered::new() };
        while self.take_in(index, &mut members) {
            tokio::select! {
                changed = frames.changed() => {
                    if changed.is_err() {
                        let last = frames.borrow().clone();
                        self.end_all(index, &mut members, &tasks, |session| {
                            session.end(Ending::world_gone(&last));
                        })
                        .await;
                        return;
                    }
                    let ring = Arc::clone(&frames.borrow_and_update());
                    let now = Instant::now();
                    for session in &members.sessions {
                        session.deliver(&ring, now);
                    }
                }
                // Unconstrained: tokio's per-poll budget (128 operations) is meant for one
                // task's share, and this task serves every session of the shard. Under the
                // budget, a shard of 10,000 idle sessions read pongs and fired timers for
                // a hundred of them per poll, and the rest went silent for seconds.
                Some(goodbye) = unconstrained(members.serving.next()), if !members.serving.is_empty() => {
                    tasks.spawn(goodbye);
                }
                () = self.shards[index].joined.notified() => {}
                () = &mut stopping => {
                    self.end_all(index, &mut members, &tasks, Delivery::shut_down).await;
                    return;
                }
            }
        }
    }

    /// Takes in the sessions that joined and lets go of those that retired. Returns
    /// `false`, with the task marked stopped, once no session is left.
    fn take_in(&self, index: usize, members: &mut Members<S>) -> bool {
        let mut shard = self.shard(index);
        members.take(std::mem::take(&mut shard.joining));
        let sessions = &mut members.sessions;
        let before = sessions.len();
        sessions.retain(|session| !session.is_retired());
        shard.members -= before - sessions.len();
        shard.running = !sessions.is_empty();
        shard.running
    }

    /// Ends every session of the shard, joining ones included, with `end`, and marks its
    /// task stopped: the room's frames ended (its world stopped, or failed), or the server
    /// is stopping. Each session then says goodbye in a task of its own. A session that
    /// joins after this starts the shard's task again, which finds the server stopping
    /// (or the world gone) at once.
    async fn end_all(
        &self,
        index: usize,
        members: &mut Members<S>,
        tasks: &TaskTracker,
        end: impl Fn(&Delivery),
    ) {
        {
            let mut shard = self.shard(index);
            shard.running = false;
            members.take(std::mem::take(&mut shard.joining));
        }
        for session in &members.sessions {
            end(session);
        }
        while let Some(goodbye) = unconstrained(members.serving.next()).await {
            tasks.spawn(goodbye);
        }
    }
}

/// The sessions a shard's task has taken in.
struct Members<S> {
    /// Where frames go, until each session retires.
    sessions: Vec<Arc<Delivery>>,
    /// The sessions still serving, each polled when woken.
    serving: FuturesUnordered<S>,
}

impl<S> Members<S> {
    fn take(&mut self, joining: Vec<(Arc<Delivery>, S)>) {
        for (delivery, serving) in joining {
            self.sessions.push(delivery);
            self.serving.push(serving);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::future::poll_fn;
    use std::pin::Pin;
    use std::task::Poll;
    use std::time::Duration;

    use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};
    use tokio::time::timeout;

    use super::*;
    use crate::snapshot_ring::SnapshotPublisher;

    /// A session's stand-in: it says its id each time it is polled, and never ends.
    type StandIn = Pin<Box<dyn Future<Output = Goodbye> + Send>>;

    fn stand_in(id: u64, polled: UnboundedSender<u64>) -> StandIn {
        Box::pin(poll_fn(move |_| {
            let _ = polled.send(id);
            Poll::Pending
        }))
    }

    #[tokio::test(start_paused = true)]
    async fn a_session_joining_a_running_shard_is_polled_without_waiting_for_a_frame() {
        let fanout: Arc<FanOut<StandIn>> = Arc::new(FanOut::new(1));
        let (_publisher, frames) = SnapshotPublisher::new(4); // Nothing is ever published.
        let (tasks, shutdown) = (TaskTracker::new(), CancellationToken::new());
        let (polled, mut polls) = unbounded_channel();
        for id in [1, 2, 3] {
            let context = ShardContext {
                frames: frames.clone(),
                tasks: tasks.clone(),
                shutdown: shutdown.clone(),
            };
            fanout.join(Delivery::for_tests(id), stand_in(id, polled.clone()), context);
            let first_poll = timeout(Duration::from_secs(10), polls.recv()).await;
            assert_eq!(first_poll, Ok(Some(id)), "session {id} should be polled at once");
        }
    }
}
