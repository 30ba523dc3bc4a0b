//! A session's writing, shared by its own task and its room's fan-out.
//!
//! A new frame is written by the room's fan-out (see `fanout`), which wakes no session:
//! it plans and writes each in-sync session's snapshot in turn, without waiting. The
//! session's own task wakes only for what is its alone:
//! - its timer (pings, the quiet client's heartbeat) and its client's requests;
//! - a write the socket did not take whole: the task waits for the socket and finishes
//!   it, and the fan-out passes the session by until then (its next snapshot is a delta
//!   from what was really written, and a write blocked for a snapshot interval throttles
//!   it at once, as before);
//! - an ending the fan-out found (the peer gone, a client too slow).
//!
//! One lock guards the outbox and the snapshot writer, so the two never interleave
//! frames: the fan-out holds it while it writes one session, the task while it plans.

use std::future::poll_fn;
use std::io;
use std::pin::pin;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use tickwire_protocol::ServerMessage;
use tickwire_sim::SessionId;
use tokio::sync::{Notify, watch};
use tokio::time::{Instant, sleep, sleep_until};
use tracing::debug;

use super::Ending;
use super::outbox::{Flushed, Outbox};
use super::socket::OutSocket;
use super::state::SessionState;
use super::wakeups::Wakeups;
use super::writer::SnapshotWriter;
use crate::config::NetConfig;
use crate::metrics::NetMetrics;
use crate::snapshot_ring::SnapshotRing;

/// How often a session wakes on its own: to ping, and to send a quiet client its
/// heartbeat.
const HEARTBEAT_INTERVAL: Duration = Duration::from_secs(1);

/// One session's writing.
pub(crate) struct Delivery {
    id: SessionId,
    /// What the session's reader and writer share.
    pub(super) state: SessionState,
    socket: Box<dyn OutSocket>,
    core: Mutex<Core>,
    /// Wakes the session's task: the fan-out left it a blocked write or an ending, or
    /// the client asked for something (a full snapshot, a new rate cap) that should not
    /// wait for the next changed frame or the session's timer.
    attention: Notify,
    /// The session stopped taking snapshots: fan-outs drop it at their next pass.
    retired: AtomicBool,
    /// How long the peer may go without reading what one write sends, or without sending
    /// a message, before it counts as gone.
    idle_timeout: Duration,
}

/// What the lock guards.
#[derive(Default)]
struct Core {
    outbox: Outbox,
    /// Set once the session serves snapshots.
    writer: Option<SnapshotWriter>,
    /// The socket did not take everything: the session's task finishes the write.
    blocked: bool,
    /// Why the session must end, as the fan-out found.
    ending: Option<Ending>,
}

impl Delivery {
    /// The writing of session `id` over `socket`, for a peer that counts as gone once it
    /// has not read or not sent for `idle_timeout`.
    pub(super) fn new(id: SessionId, socket: Box<dyn OutSocket>, idle_timeout: Duration) -> Self {
        Self {
            id,
            state: SessionState::default(),
            socket,
            core: Mutex::new(Core::default()),
            attention: Notify::new(),
            retired: AtomicBool::new(false),
            idle_timeout,
        }
    }

    fn core(&self) -> MutexGuard<'_, Core> {
        self.core.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues a message to leave with the next write.
    pub(super) fn queue(&self, metrics: &NetMetrics, message: Bytes) {
        self.core().outbox.queue(metrics, message);
    }

    /// Writes one message, with everything queued before it.
    pub(super) async fn send(&self, metrics: &NetMetrics, message: Bytes) -> Result<(), Ending> {
        self.queue(metrics, message);
        self.write_out(None).await
    }

    /// Writes a close frame with `code` and `reason`, after everything queued.
    pub(super) async fn close(&self, code: u16, reason: &str) -> Result<(), Ending> {
        self.core().outbox.queue_close(code, reason);
        self.write_out(None).await
    }

    /// Half-closes the connection: the peer reads the end of the stream.
    pub(super) fn shutdown(&self) {
        if let Err(error) = self.socket.shutdown() {
            debug!(%error, "shutdown failed");
        }
    }

    /// Starts serving snapshots with `writer`.
    pub(super) fn serve_with(&self, writer: SnapshotWriter) {
        self.core().writer = Some(writer);
    }

    /// Stops taking snapshots: from now on only the session's task writes (its goodbye).
    pub(super) fn retire(&self) {
        let _core = self.core(); // Waits for a fan-out writing this session right now.
        self.retired.store(true, Relaxed);
    }

    /// Whether the session stopped taking snapshots.
    pub(crate) fn is_retired(&self) -> bool {
        self.retired.load(Relaxed)
    }

    /// A fan-out's wakeup: writes what `ring`'s newest frame calls for, unless the
    /// session's task is busy with this session's socket. A write the socket did not
    /// take whole, or an ending, is left to the session's task.
    pub(crate) fn deliver(&self, ring: &SnapshotRing) {
        let mut core = self.core();
        if core.blocked || core.ending.is_some() || self.is_retired() {
            return;
        }
        match self.wake(&mut core, ring) {
            Ok(Flushed::Done) => {}
            Ok(Flushed::Blocked) => {
                core.blocked = true;
                self.attention.notify_one();
            }
            Err(ending) => self.end_locked(&mut core, ending),
        }
    }

    /// The client asked for something: the session's task plans again at once.
    pub(super) fn request_made(&self) {
        self.attention.notify_one();
    }

    /// Ends the session (the fan-out found its room gone).
    pub(crate) fn end(&self, ending: Ending) {
        let mut core = self.core();
        self.end_locked(&mut core, ending);
    }

    fn end_locked(&self, core: &mut Core, ending: Ending) {
        core.ending.get_or_insert(ending);
        self.attention.notify_one();
    }

    /// Plans for `ring`'s newest frame and writes what the socket takes now.
    fn wake(&self, core: &mut Core, ring: &SnapshotRing) -> Result<Flushed, Ending> {
        let Core { outbox, writer, .. } = core;
        let (Some(writer), Some(newest)) = (writer.as_mut(), ring.newest()) else {
            return outbox.try_flush(&*self.socket).map_err(lost);
        };
        let socket = &*self.socket;
        let Some(snapshot) = writer.wake(self.id, outbox, &self.state, socket, ring, newest)?
        else {
            return outbox.try_flush(socket).map_err(lost);
        };
        let flushed = outbox.try_flush_with(socket, writer.metrics(), &snapshot).map_err(lost)?;
        if flushed == Flushed::Done {
            writer.write_done();
        }
        Ok(flushed)
    }

    /// The session task's side of writing, until the session must end: the first
    /// snapshot at once, then pings, heartbeats, client requests, and what the fan-out
    /// leaves it.
    pub(super) async fn run(
        &self,
        metrics: &NetMetrics,
        config: &NetConfig,
        frames: &watch::Receiver<Arc<SnapshotRing>>,
    ) -> Ending {
        // A quiet session wakes on its timer to ping and to send its heartbeat, less
        // often while nothing changes (see `wakeups`). In a still world, a change a
        // throttled session skipped waits for the next wakeup.
        let base_period = config.ping_interval.min(HEARTBEAT_INTERVAL);
        let mut wakeups = Wakeups::new(base_period, config.quiet_interval());
        let mut next_wakeup = Instant::now();
        // A ping is due a little early rather than a whole wakeup late: wakeups are
        // handled with some jitter, so "a full interval since the last ping" would skip
        // about every other one.
        let ping_due_after = config.ping_interval.saturating_sub(base_period / 2);
        let mut last_ping: Option<Instant> = None;
        loop {
            // The view is let go before the wait: a session holding one while idle would
            // keep frames that left the ring alive, and make the publisher copy the ring
            // for every frame (it changes the ring in place only while nobody holds it).
            let written = {
                let ring = Arc::clone(&frames.borrow());
                self.wake_and_write(&ring).await
            };
            if let Err(ending) = written {
                return ending;
            }
            let silent_at = self.silent_at();
            tokio::select! {
                () = self.attention.notified() => {}
                () = sleep_until(next_wakeup.min(silent_at)) => {
                    if let Err(ending) = self.still_heard() {
                        return ending;
                    }
                    if Instant::now() < next_wakeup {
                        continue; // The client spoke since: not silent, and no ping due yet.
                    }
                    if last_ping.is_none_or(|at| at.elapsed() >= ping_due_after) {
                        last_ping = Some(Instant::now());
                        self.queue(metrics, ServerMessage::Ping(self.state.ping.next()).encode());
                    }
                    let changed_at = frames.borrow().newest().map(|newest| newest.changed_at());
                    next_wakeup = Instant::now() + wakeups.after_wakeup(changed_at);
                }
            }
        }
    }

    /// When the client will have been silent for the idle timeout.
    fn silent_at(&self) -> Instant {
        self.state.heard.at() + self.idle_timeout
    }

    /// The session's ending once its client has been silent for the idle timeout.
    fn still_heard(&self) -> Result<(), Ending> {
        if Instant::now() < self.silent_at() {
            return Ok(());
        }
        let silence = self.idle_timeout.as_secs_f32();
        Err(Ending::Silent(format!("timed out: nothing received for {silence} s")))
    }

    /// Takes an ending the fan-out found, finishes a blocked write, and writes what the
    /// newest frame calls for (finishing that too if the socket blocks).
    async fn wake_and_write(&self, ring: &SnapshotRing) -> Result<(), Ending> {
        loop {
            let interval = {
                let mut core = self.core();
                if let Some(ending) = core.ending.take() {
                    return Err(ending);
                }
                if !core.blocked && self.wake(&mut core, ring)? == Flushed::Done {
                    return Ok(());
                }
                core.blocked = true;
                core.writer.as_ref().map(SnapshotWriter::snapshot_interval)
            };
            // Boxed: a write the socket did not take whole is rare, and its timers would
            // otherwise add to the size of every session's task.
            Box::pin(self.write_out(interval)).await?;
        }
    }

    /// Writes everything queued, waiting for the socket as long as it takes up to the
    /// idle timeout. A peer that reads nothing for that long (a stuck client, or one
    /// holding a slot without reading) ends the session like a silent one: closed, its
    /// actor kept for a resume. With a `snapshot_interval` (the session serves, and a
    /// snapshot is in the write), each interval the write stays blocked throttles the
    /// session at once, and a client silent for the idle timeout ends it meanwhile.
    async fn write_out(&self, snapshot_interval: Option<Duration>) -> Result<(), Ending> {
        let stalled = sleep_until(Instant::now() + self.idle_timeout);
        let throttle_interval = snapshot_interval.unwrap_or(self.idle_timeout);
        let blocked_for_an_interval = sleep(throttle_interval);
        let (mut stalled, mut blocked_for_an_interval) =
            (pin!(stalled), pin!(blocked_for_an_interval));
        loop {
            {
                let mut core = self.core();
                if core.outbox.try_flush(&*self.socket).map_err(lost)? == Flushed::Done {
                    core.blocked = false;
                    if let (Some(writer), Some(_)) = (core.writer.as_mut(), snapshot_interval) {
                        writer.write_done();
                    }
                    return Ok(());
                }
            }
            tokio::select! {
                ready = poll_fn(|cx| self.socket.poll_writable(cx)) => ready.map_err(lost)?,
                () = &mut blocked_for_an_interval, if snapshot_interval.is_some() => {
                    if let Some(writer) = self.core().writer.as_mut() {
                        writer.write_blocked(&self.state);
                    }
                    blocked_for_an_interval.as_mut().reset(Instant::now() + throttle_interval);
                }
                () = sleep_until(self.silent_at()), if snapshot_interval.is_some() => {
                    self.still_heard()?;
                }
                () = &mut stalled => {
                    let waited = self.idle_timeout.as_secs_f32();
                    return Err(Ending::Silent(format!("not reading: a write waited {waited} s")));
                }
            }
        }
    }
}

/// A write failed: the peer is gone.
fn lost(error: io::Error) -> Ending {
    debug!(%error, "send failed");
    Ending::PeerLost
}
