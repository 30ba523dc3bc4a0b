//! What a session sends when its writer wakes: snapshots, announcements and what precedes
//! a snapshot, queued in its outbox. No I/O and no waiting here.
//!
//! A wakeup (a new frame, the session's timer, a client request) looks at the socket's
//! send queue, asks the [`SnapshotPolicy`] what to send for the newest frame, and queues
//! it; whoever woke the writer then flushes (see `delivery`). A client too slow for even
//! the slowest rate is ended here.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use tickwire_protocol::ServerMessage;
use tickwire_sim::Joined;
use tracing::debug;

use super::Ending;
use super::delivery::Delivery;
use super::outbox::{Outbox, Outgoing};
use super::policy::{FrameView, SnapshotPlan, SnapshotPolicy};
use super::socket::OutSocket;
use super::state::SessionState;
use crate::metrics::NetMetrics;
use crate::room::RoomLink;
use crate::snapshot_ring::{SharedSnapshot, SnapshotRing};
use crate::throttle::TooSlow;

/// One session's snapshot writer.
pub(super) struct SnapshotWriter {
    room: Arc<RoomLink>,
    policy: SnapshotPolicy,
    /// Events after this tick are still to be sent (a resumed session's start).
    events_after: u32,
    /// The client asked for a `SnapshotTiming` before every snapshot.
    timing: bool,
    /// Whether the socket's send queue can be read (it is looked at before a wakeup when
    /// what it may hold matters: see [`crate::throttle::LOOK_INTERVAL`]).
    watch_queue: bool,
    /// The tick length of the newest frame seen: what a snapshot interval is made of.
    tick_seconds: f32,
}

impl SnapshotWriter {
    /// The writer of a session welcomed into `room` as `joined`, whose events after
    /// `events_after` are still to be sent.
    pub(super) fn new(room: Arc<RoomLink>, joined: &Joined, events_after: u32) -> Self {
        Self {
            room,
            policy: SnapshotPolicy::new(joined.tick, joined.settings),
            events_after,
            timing: false,
            watch_queue: true,
            tick_seconds: joined.settings.tick_seconds(),
        }
    }

    /// Sends a `SnapshotTiming` before every snapshot (the client asked for them).
    pub(super) fn timing(mut self, timing: bool) -> Self {
        self.timing = timing;
        self
    }

    /// The room's metrics.
    pub(super) fn metrics(&self) -> &NetMetrics {
        &self.room.metrics
    }

    /// How long one snapshot interval of this session lasts now.
    pub(super) fn snapshot_interval(&self) -> Duration {
        Duration::from_secs_f32(f32::from(self.policy.rate().every_ticks) * self.tick_seconds)
    }

    /// A write has stayed blocked for one more snapshot interval: the session is
    /// throttled at once, not only when the write ends.
    pub(super) fn write_blocked(&mut self, state: &SessionState) {
        if self.policy.throttle_mut().write_blocked() {
            show_throttled(state, &self.room.metrics, self.policy.throttled());
        }
    }

    /// A snapshot's write ended (at once, or after it blocked), at `now`.
    pub(super) fn write_done(&mut self, now: Instant) {
        self.policy.throttle_mut().write_done(now);
    }

    /// Queues what the policy plans for `newest` at `now`, or ends a session too slow
    /// for it. Returns the snapshot to write after what was queued, if one is due.
    /// `delivery` is the session's, whose outbox is `outbox`: a client that drains less
    /// than the slowest rate needs for its idle timeout is too slow.
    pub(super) fn wake<'r>(
        &mut self,
        delivery: &Delivery,
        outbox: &mut Outbox,
        (ring, newest): (&SnapshotRing, &'r SharedSnapshot),
        now: Instant,
    ) -> Result<Option<Outgoing<'r>>, Ending> {
        let (id, state) = (delivery.id(), &delivery.state);
        self.look_at_send_queue(now, outbox, delivery.socket());
        self.tick_seconds = newest.settings().tick_seconds();
        let patience = delivery.idle_timeout();
        if let Some(TooSlow { reads, needs }) =
            self.policy.throttle_mut().too_slow(now, newest.settings(), patience)
        {
            return Err(Ending::Silent(format!(
                "too slow: reads {reads} B/s, needs at least {needs} B/s"
            )));
        }
        let round_trip = Duration::from_micros(state.ping.rtt_us.load(Relaxed).into());
        self.policy.measured_round_trip(round_trip);
        self.policy.set_client_cap(state.client_cap.load(Relaxed));
        if state.full_requested.swap(false, Relaxed) {
            self.policy.request_full();
        }
        let plan = self.policy.plan(&FrameView::of(ring, newest, id));
        let metrics = &self.room.metrics;
        if let Some(settings) = plan.settings {
            outbox.queue(metrics, ServerMessage::Settings(settings).encode());
        }
        if let Some(rate) = plan.rate {
            debug!(every_ticks = rate.every_ticks, reason = ?rate.reason, "snapshot rate changed");
            show_throttled(state, metrics, self.policy.throttled());
            outbox.queue(metrics, ServerMessage::SnapshotRate(rate).encode());
        }
        let Some(snapshot) = plan.snapshot else { return Ok(None) };
        Ok(Some(self.queue_snapshot(outbox, state, ring, newest, snapshot)))
    }

    /// Tells the throttle how much of what was written the client has not taken yet, when
    /// the throttle needs to know.
    fn look_at_send_queue(&mut self, now: Instant, outbox: &Outbox, socket: &dyn OutSocket) {
        let written = outbox.bytes_written();
        let round_trip = self.policy.base_round_trip();
        if !self.watch_queue
            || !self.policy.throttle_mut().needs_queue_look(now, written, round_trip)
        {
            return;
        }
        match socket.unacknowledged() {
            Ok(queued) => {
                self.policy.throttle_mut().observe_queue(now, written, queued);
            }
            Err(error) => {
                debug!(%error, "cannot read the send queue: throttling by blocked writes only");
                self.watch_queue = false;
            }
        }
    }

    /// Queues what precedes the snapshot (its input ack, events, timing); returns the
    /// snapshot itself.
    fn queue_snapshot<'r>(
        &mut self,
        outbox: &mut Outbox,
        state: &SessionState,
        ring: &SnapshotRing,
        newest: &'r SharedSnapshot,
        snapshot: SnapshotPlan,
    ) -> Outgoing<'r> {
        let metrics = &self.room.metrics;
        // Over one ordered stream the client reads this snapshot after every earlier one,
        // so it is the next snapshot's baseline once queued.
        state.sent_tick.store(snapshot.tick, Relaxed);
        if let Some(previous) = snapshot.previous {
            // Nearly always none: an in-sync session's counter is left alone.
            let missed = ring.changes_between(previous, snapshot.tick);
            if missed > 0 {
                metrics.snapshots_skipped.increment(u64::from(missed));
            }
        }
        if let Some(sequence) = snapshot.input_ack {
            let ack = ServerMessage::InputAck { sequence, tick: snapshot.tick };
            outbox.queue(metrics, ack.encode());
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
            outbox.queue(metrics, events);
        }
        let (outgoing, snapshot_len) = match newest.in_sync_wire(ring, snapshot.baseline) {
            Some(in_sync) => {
                if self.timing {
                    metrics.sent(in_sync.timing_len());
                }
                let start = in_sync.start(self.timing);
                (Outgoing::Framed { wire: in_sync.wire(), start }, in_sync.delta_len())
            }
            None => {
                if self.timing {
                    outbox.queue(metrics, newest.timing_message());
                }
                let message = newest.snapshot_for(ring, snapshot.baseline);
                let snapshot_len = message.len();
                (Outgoing::Message(message), snapshot_len)
            }
        };
        metrics.sent(snapshot_len);
        metrics.snapshot_bytes.record(snapshot_len as f64);
        self.policy.throttle_mut().record_snapshot(snapshot_len);
        outgoing
    }
}

/// Keeps the `sessions_throttled` gauge in step with whether this session is throttled.
fn show_throttled(state: &SessionState, metrics: &NetMetrics, throttled: bool) {
    if state.throttled.swap(throttled, Relaxed) != throttled {
        metrics.sessions_throttled.increment(if throttled { 1.0 } else { -1.0 });
    }
}
