//! A session's writing, shared by the session's own serving loop and its room's fan-out.
//!
//! A new frame is written by the room's fan-out (see `fanout`), which wakes no session:
//! it plans and writes each in-sync session's snapshot in turn, without waiting. The
//! session's own loop (see `serving`) is woken only for what is its alone:
//! - its timer (pings, the quiet client's heartbeat) and its client's requests;
//! - a write the socket did not take whole: the session waits for the socket and
//!   finishes it, and the fan-out passes the session by until then (its next snapshot is
//!   a delta from what was really written, and a write blocked for a snapshot interval
//!   throttles it at once, as before);
//! - an ending the fan-out found (the peer gone, a client too slow).
//!
//! One lock guards the outbox and the snapshot writer, so the two never interleave
//! frames: the fan-out holds it while it writes one session, the session while it plans.

use std::future::poll_fn;
use std::io;
use std::pin::pin;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};
use std::sync::atomic::{AtomicBool, AtomicU8};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::task::AtomicWaker;
use tickwire_protocol::ServerMessage;
use tickwire_sim::SessionId;
use tokio::time::{Instant, sleep, sleep_until};
use tracing::debug;

use super::Ending;
use super::outbox::{Flushed, Outbox};
use super::socket::OutSocket;
use super::state::SessionState;
use super::task_writing::UnfinishedWrite;
use super::writer::SnapshotWriter;
use crate::metrics::NetMetrics;
use crate::resume::Replaceable;
use crate::snapshot_ring::SnapshotRing;

/// One session's writing.
pub(crate) struct Delivery {
    id: SessionId,
    /// What the session's reader and writer share.
    pub(super) state: SessionState,
    socket: Box<dyn OutSocket>,
    core: Mutex<Core>,
    /// Wakes the session's serving loop, with `attention_called` set: the fan-out left it a
    /// blocked write or an ending, or the client asked for something (a full snapshot, a
    /// new rate cap) that should not wait for the next changed frame or the session's
    /// timer. A waker and a flag, where a `Notify` would make the session hold a future.
    attention: AtomicWaker,
    attention_called: AtomicBool,
    /// The session stopped taking snapshots: fan-outs drop it at their next pass.
    retired: AtomicBool,
    /// Whether the session must stop serving at once, whatever its writing is doing:
    /// [`SERVING`], [`REPLACED`] (another connection took it over, see [`Replaceable`]) or
    /// [`SHUT_DOWN`] (the server is stopping: its room's fan-out says so, see
    /// [`Self::shut_down`], so that a serving session waits on no token of its own).
    stop: AtomicU8,
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
    /// The socket did not take everything: the session itself finishes the write.
    blocked: bool,
    /// Why the session must end, as the fan-out found. Boxed: it is rare,
    /// and every session's `Delivery` would otherwise hold its 56 bytes.
    ending: Option<Box<Ending>>,
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
            attention: AtomicWaker::new(),
            attention_called: AtomicBool::new(false),
            retired: AtomicBool::new(false),
            stop: AtomicU8::new(SERVING),
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

    /// Stops taking snapshots: from now on only the session's goodbye is written.
    pub(super) fn retire(&self) {
        let _core = self.core(); // Waits for a fan-out writing this session right now.
        self.retired.store(true, Relaxed);
    }

    /// Whether the session stopped taking snapshots.
    pub(crate) fn is_retired(&self) -> bool {
        self.retired.load(Relaxed)
    }

    /// A fan-out's wakeup at `now` (one clock read serves a whole pass): writes what
    /// `ring`'s newest frame calls for, unless the session itself is busy with this
    /// session's socket. A write the socket did not take whole, or an ending, is left to
    /// the session.
    pub(crate) fn deliver(&self, ring: &SnapshotRing, now: std::time::Instant) {
        let mut core = self.core();
        if core.blocked || core.ending.is_some() || self.is_retired() || self.is_stopped() {
            return;
        }
        match self.wake(&mut core, ring, now) {
            Ok(Flushed::Done) => {}
            Ok(Flushed::Blocked) => {
                core.blocked = true;
                self.call_attention();
            }
            Err(ending) => self.end_locked(&mut core, ending),
        }
    }

    /// The client asked for something: the session plans again at once.
    pub(super) fn request_made(&self) {
        self.call_attention();
    }

    fn call_attention(&self) {
        self.attention_called.store(true, Release);
        self.attention.wake();
    }

    /// Whether the session's attention was called since the last look; if not, `cx`'s
    /// waker is woken when it is.
    pub(super) fn attention_called(&self, cx: &Context<'_>) -> bool {
        self.attention.register(cx.waker());
        self.attention_called.swap(false, AcqRel)
    }

    /// Whether another connection took the session over.
    pub(super) fn is_replaced(&self) -> bool {
        self.stop.load(Acquire) == REPLACED
    }

    /// Whether the session must end at once (see [`Self::stopped`]).
    fn is_stopped(&self) -> bool {
        self.stop.load(Acquire) != SERVING
    }

    /// How the session must end at once, if it must: replaced, or the server stopping.
    pub(super) fn stopped(&self) -> Option<Ending> {
        match self.stop.load(Acquire) {
            REPLACED => Some(Ending::Replaced),
            SHUT_DOWN => Some(Ending::shutting_down()),
            _ => None,
        }
    }

    /// The server is stopping: the session ends at once (unless it was replaced), as it
    /// would for its own wait on the shutdown.
    pub(crate) fn shut_down(&self) {
        if self.stop.compare_exchange(SERVING, SHUT_DOWN, AcqRel, Acquire).is_ok() {
            self.call_attention();
        }
    }

    /// `Ready` once another connection took the session over; if not, the task polling
    /// with `cx` is woken when one does (for the handshake, before the session serves).
    pub(super) fn poll_replaced(&self, cx: &Context<'_>) -> Poll<()> {
        self.attention.register(cx.waker());
        if self.is_replaced() { Poll::Ready(()) } else { Poll::Pending }
    }

    /// Ends the session (the fan-out found its room gone).
    pub(crate) fn end(&self, ending: Ending) {
        let mut core = self.core();
        self.end_locked(&mut core, ending);
    }

    fn end_locked(&self, core: &mut Core, ending: Ending) {
        core.ending.get_or_insert_with(|| Box::new(ending));
        self.call_attention();
    }

    /// Plans for `ring`'s newest frame and writes what the socket takes now.
    fn wake(
        &self,
        core: &mut Core,
        ring: &SnapshotRing,
        now: std::time::Instant,
    ) -> Result<Flushed, Ending> {
        let Core { outbox, writer, .. } = core;
        if let Some(writer) = writer.as_ref()
            && let Some(ping) = self.state.ping.take_wanted()
        {
            outbox.queue(writer.metrics(), ServerMessage::Ping(ping).encode());
        }
        let (Some(writer), Some(newest)) = (writer.as_mut(), ring.newest()) else {
            return outbox.try_flush(&*self.socket).map_err(lost);
        };
        let socket = &*self.socket;
        let Some(snapshot) = writer.wake(self, outbox, (ring, newest), now)? else {
            return outbox.try_flush(socket).map_err(lost);
        };
        let flushed = outbox.try_flush_with(socket, &snapshot).map_err(lost)?;
        if flushed == Flushed::Done {
            writer.write_done(now);
        }
        Ok(flushed)
    }

    /// The session's id.
    pub(super) fn id(&self) -> SessionId {
        self.id
    }

    /// The socket's write half.
    pub(super) fn socket(&self) -> &dyn OutSocket {
        &*self.socket
    }

    /// How long the peer may go without reading what one write sends, or without sending
    /// a message, before it counts as gone.
    pub(super) fn idle_timeout(&self) -> Duration {
        self.idle_timeout
    }

    /// When the client will have been silent for the idle timeout.
    pub(super) fn silent_at(&self) -> Instant {
        self.state.heard.at() + self.idle_timeout
    }

    /// The session's ending once its client has been silent for the idle timeout.
    pub(super) fn still_heard(&self) -> Result<(), Ending> {
        if Instant::now() < self.silent_at() {
            return Ok(());
        }
        let silence = self.idle_timeout.as_secs_f32();
        Err(Ending::Silent(format!("timed out: nothing received for {silence} s")))
    }

    /// Takes the session's ending (its being stopped first, then one the fan-out found),
    /// or writes what `ring`'s newest frame calls for. `Ok(Some(_))`: the socket did not
    /// take everything (or the fan-out left a write it did not take), and the session must
    /// finish the write.
    pub(super) fn write_newest(
        &self,
        ring: &SnapshotRing,
    ) -> Result<Option<UnfinishedWrite>, Ending> {
        if let Some(ending) = self.stopped() {
            return Err(ending);
        }
        let mut core = self.core();
        if let Some(ending) = core.ending.take() {
            return Err(*ending);
        }
        if !core.blocked && self.wake(&mut core, ring, std::time::Instant::now())? == Flushed::Done
        {
            core.outbox.release_if_empty();
            return Ok(None);
        }
        core.blocked = true;
        let snapshot_interval = core.writer.as_ref().map(SnapshotWriter::snapshot_interval);
        Ok(Some(UnfinishedWrite { snapshot_interval }))
    }

    /// Writes everything queued, waiting for the socket as long as it takes up to the
    /// idle timeout. A peer that reads nothing for that long (a stuck client, or one
    /// holding a slot without reading) ends the session like a silent one: closed, its
    /// actor kept for a resume. With a `snapshot_interval` (the session serves, and a
    /// snapshot is in the write), each interval the write stays blocked throttles the
    /// session at once, and a client silent for the idle timeout ends it meanwhile.
    pub(super) async fn write_out(
        &self,
        snapshot_interval: Option<Duration>,
    ) -> Result<(), Ending> {
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
                        writer.write_done(std::time::Instant::now());
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

impl Replaceable for Delivery {
    /// The session ends as replaced, over any other ending found at the same time (the
    /// stop state is looked at first): its actor and its token are its successor's now.
    /// Fan-outs pass it by from now on; one writing it right now finishes on its own
    /// socket, which the successor does not share.
    fn replace(&self) {
        self.stop.store(REPLACED, Release);
        self.call_attention();
    }
}

/// [`Delivery`]'s stop states.
const SERVING: u8 = 0;
const REPLACED: u8 = 1;
const SHUT_DOWN: u8 = 2;

/// A write failed: the peer is gone.
fn lost(error: io::Error) -> Ending {
    debug!(%error, "send failed");
    Ending::PeerLost
}

#[cfg(test)]
impl Delivery {
    /// The writing of session `id` over a socket that takes everything, for other
    /// modules' tests.
    pub(crate) fn for_tests(id: SessionId) -> std::sync::Arc<Self> {
        let socket = super::socket::trickle::Trickle::new(usize::MAX, usize::MAX);
        std::sync::Arc::new(Self::new(id, Box::new(socket), Duration::from_secs(10)))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::session::socket::trickle::Trickle;
    use crate::snapshot_ring::SnapshotPublisher;

    #[test]
    fn a_replaced_session_is_passed_by_and_ends_replaced_over_any_other_ending() {
        let socket = Trickle::new(usize::MAX, usize::MAX);
        let delivery = Delivery::new(7, Box::new(socket.clone()), Duration::from_secs(10));
        let written = || socket.wire().written.len();
        let (_publisher, frames) = SnapshotPublisher::new(4);
        let ring = Arc::clone(&frames.borrow());
        let metrics = NetMetrics::register(&metrics::NoopRecorder);

        delivery.queue(&metrics, Bytes::from_static(b"before"));
        delivery.deliver(&ring, std::time::Instant::now());
        let serving = written();
        assert!(serving > 0, "a serving session's queue leaves with a fan-out's pass");

        delivery.queue(&metrics, Bytes::from_static(b"after"));
        delivery.replace();
        delivery.deliver(&ring, std::time::Instant::now());
        assert_eq!(written(), serving, "a replaced session takes nothing more");

        delivery.end(Ending::PeerLost);
        let ending = delivery.write_newest(&ring);
        assert!(matches!(ending, Err(Ending::Replaced)), "replaced wins: {:?}", ending.err());
    }
}
