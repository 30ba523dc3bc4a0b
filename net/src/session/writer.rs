//! The write side of a session's main loop: snapshots, pings and announcements out.
//!
//! The writer only does I/O: it wakes (a new frame, its timer, a client request), looks
//! at the socket's send queue, asks the [`SnapshotPolicy`] what to send, queues and writes
//! it, and tells the throttle how the write went, while it is still blocked as well as
//! when it ends. A client too slow for even the slowest rate is closed here.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use bytes::Bytes;
use tickwire_protocol::{CloseCode, ServerMessage};
use tickwire_sim::{Joined, SessionId};
use tokio::io::AsyncWrite;
use tokio::time::{MissedTickBehavior, interval, sleep};
use tracing::debug;

use super::Ending;
use super::outbox::Outbox;
use super::policy::{FrameView, SnapshotPlan, SnapshotPolicy};
use super::state::SessionState;
use crate::endpoint::Inner;
use crate::metrics::NetMetrics;
use crate::room::RoomLink;
use crate::send_queue::SendQueue;
use crate::snapshot_ring::{SharedSnapshot, SnapshotRing};
use crate::throttle::TooSlow;

/// How often a session wakes without a new frame: to ping, and to send a quiet client
/// its heartbeat.
const HEARTBEAT_INTERVAL: Duration = Duration::from_secs(1);

/// One session's writer.
pub(super) struct Writer<'a, W> {
    net: &'a Inner,
    room: &'a RoomLink,
    id: SessionId,
    outbox: &'a mut Outbox<W>,
    state: &'a SessionState,
    policy: SnapshotPolicy,
    /// Events after this tick are still to be sent (a resumed session's start).
    events_after: u32,
    /// The client asked for a `SnapshotTiming` before every snapshot.
    timing: bool,
    /// The socket's send queue, if it can be read.
    send_queue: Option<SendQueue>,
}

impl<'a, W: AsyncWrite + Unpin> Writer<'a, W> {
    pub(super) fn new(
        net: &'a Inner,
        room: &'a RoomLink,
        id: SessionId,
        outbox: &'a mut Outbox<W>,
        state: &'a SessionState,
        joined: &Joined,
        events_after: u32,
    ) -> Self {
        let policy = SnapshotPolicy::new(joined.tick, joined.settings);
        Self { net, room, id, outbox, state, policy, events_after, timing: false, send_queue: None }
    }

    /// Sends a `SnapshotTiming` before every snapshot (the client asked for them).
    pub(super) fn timing(mut self, timing: bool) -> Self {
        self.timing = timing;
        self
    }

    /// Watches the socket's send queue (if it can be read) to keep snapshots fresh.
    pub(super) fn watching(mut self, send_queue: Option<SendQueue>) -> Self {
        self.send_queue = send_queue;
        self
    }

    /// Writes until the socket fails, the peer stops reading, or the server stops.
    pub(super) async fn run(mut self) -> Ending {
        let mut frames = self.room.snapshots.clone();
        frames.mark_changed(); // Send the newest frame right away.
        // Frames that change nothing wake no session (see `SnapshotPublisher::publish`): a
        // quiet session wakes on this timer to ping and to send its heartbeat, and on the
        // client's requests. In a still world, a change a throttled session skipped waits
        // for this timer (at most a second).
        let wakeup_period = self.net.config.ping_interval.min(HEARTBEAT_INTERVAL);
        let mut wakeups = interval(wakeup_period);
        wakeups.set_missed_tick_behavior(MissedTickBehavior::Delay);
        // A ping is due a little early rather than a whole wakeup late: wakeups are
        // handled with some jitter, so "a full interval since the last ping" would skip
        // about every other one.
        let ping_due_after = self.net.config.ping_interval.saturating_sub(wakeup_period / 2);
        let mut last_ping: Option<Instant> = None;
        loop {
            // Pings, settings and rate changes are queued, to leave with the snapshot that
            // usually follows in one write; if none did, they go out here.
            if self.outbox.has_queued()
                && let Err(ending) = self.outbox.flush().await
            {
                return ending;
            }
            let ring = tokio::select! {
                changed = frames.changed() => {
                    if changed.is_err() {
                        return Ending::close(CloseCode::GoingAway, "server is shutting down");
                    }
                    Arc::clone(&frames.borrow_and_update())
                }
                _ = wakeups.tick() => {
                    if last_ping.is_none_or(|at| at.elapsed() >= ping_due_after) {
                        last_ping = Some(Instant::now());
                        let ping = ServerMessage::Ping(self.state.ping.next());
                        self.outbox.queue(&self.room.metrics, ping.encode());
                    }
                    Arc::clone(&frames.borrow())
                }
                () = self.state.request_made.notified() => Arc::clone(&frames.borrow()),
            };
            if let Some(newest) = ring.newest()
                && let Err(ending) = self.wake(&ring, newest).await
            {
                return ending;
            }
        }
    }

    /// Sends what the policy plans for `newest`, or ends a session too slow for it.
    async fn wake(&mut self, ring: &SnapshotRing, newest: &SharedSnapshot) -> Result<(), Ending> {
        let now = Instant::now();
        self.look_at_send_queue(now);
        let patience = self.net.config.idle_timeout;
        if let Some(TooSlow { reads, needs }) =
            self.policy.throttle_mut().too_slow(now, newest.settings(), patience)
        {
            return Err(Ending::Silent(format!(
                "too slow: reads {reads} B/s, needs at least {needs} B/s"
            )));
        }
        let round_trip = Duration::from_micros(self.state.ping.rtt_us.load(Relaxed).into());
        self.policy.measured_round_trip(round_trip);
        self.policy.set_client_cap(self.state.client_cap.load(Relaxed));
        if self.state.full_requested.swap(false, Relaxed) {
            self.policy.request_full();
        }
        let plan = self.policy.plan(&FrameView::of(ring, newest, self.id));
        let metrics = &self.room.metrics;
        if let Some(settings) = plan.settings {
            self.outbox.queue(metrics, ServerMessage::Settings(settings).encode());
        }
        if let Some(rate) = plan.rate {
            debug!(every_ticks = rate.every_ticks, reason = ?rate.reason, "snapshot rate changed");
            show_throttled(self.state, metrics, self.policy.throttled());
            self.outbox.queue(metrics, ServerMessage::SnapshotRate(rate).encode());
        }
        match plan.snapshot {
            Some(snapshot) => self.send_snapshot(ring, newest, snapshot).await,
            None => Ok(()),
        }
    }

    /// Tells the throttle how much of what was written the client has not taken yet.
    fn look_at_send_queue(&mut self, now: Instant) {
        let Some(queue) = self.send_queue else { return };
        match queue.unacknowledged() {
            Ok(queued) => {
                let written = self.outbox.bytes_written();
                self.policy.throttle_mut().observe_queue(now, written, queued);
            }
            Err(error) => {
                debug!(%error, "cannot read the send queue: throttling by blocked writes only");
                self.send_queue = None;
            }
        }
    }

    /// Queues what precedes the snapshot (its input ack, events, timing), then writes it.
    async fn send_snapshot(
        &mut self,
        ring: &SnapshotRing,
        newest: &SharedSnapshot,
        snapshot: SnapshotPlan,
    ) -> Result<(), Ending> {
        let metrics = &self.room.metrics;
        // Over one ordered stream the client reads this snapshot after every earlier one,
        // so it is the next snapshot's baseline once written.
        self.state.sent_tick.store(snapshot.tick, Relaxed);
        if let Some(previous) = snapshot.previous {
            let missed = ring.changes_between(previous, snapshot.tick);
            metrics.snapshots_skipped.increment(u64::from(missed));
        }
        if let Some(sequence) = snapshot.input_ack {
            let ack = ServerMessage::InputAck { sequence, tick: snapshot.tick };
            self.outbox.queue(metrics, ack.encode());
        }
        let (events, complete) = ring.events_message(self.events_after);
        if !complete {
            debug!(
                events_after = self.events_after,
                "some events left the frame history before this session got them"
            );
        }
        self.events_after = snapshot.tick;
        if let Some(events) = events {
            self.outbox.queue(metrics, events);
        }
        if self.timing {
            self.outbox.queue(metrics, newest.timing_message());
        }
        let message = newest.snapshot_from(snapshot.baseline.and_then(|tick| ring.get(tick)));
        metrics.snapshot_bytes.record(message.len() as f64);
        self.policy.throttle_mut().record_snapshot(message.len());
        self.write(message, newest.settings().tick_seconds()).await
    }

    /// Writes `message` with everything queued. A write still blocked after one snapshot
    /// interval throttles the session at once (and again each interval it stays blocked),
    /// not only when it ends.
    async fn write(&mut self, message: Bytes, tick_seconds: f32) -> Result<(), Ending> {
        let interval =
            Duration::from_secs_f32(f32::from(self.policy.rate().every_ticks) * tick_seconds);
        let write = self.outbox.send(&self.room.metrics, message);
        tokio::pin!(write);
        loop {
            tokio::select! {
                written = &mut write => {
                    written?;
                    break;
                }
                () = sleep(interval) => {
                    if self.policy.throttle_mut().write_blocked() {
                        show_throttled(self.state, &self.room.metrics, self.policy.throttled());
                    }
                }
            }
        }
        self.policy.throttle_mut().write_done(Instant::now());
        Ok(())
    }
}

/// Keeps the `sessions_throttled` gauge in step with whether this session is throttled.
fn show_throttled(state: &SessionState, metrics: &NetMetrics, throttled: bool) {
    if state.throttled.swap(throttled, Relaxed) != throttled {
        metrics.sessions_throttled.increment(if throttled { 1.0 } else { -1.0 });
    }
}
