//! The snapshot policy: what a session sends when its writer wakes, decided without I/O.
//!
//! The writer wakes on a new frame, on its once-a-second timer, or on a client request.
//! It describes the newest frame ([`FrameView`]) and the policy answers with a [`Plan`]:
//! a `Settings` or `SnapshotRate` announcement to queue, and whether to send a snapshot
//! (a delta from which baseline, or a full one) with which input ack. Kept apart from the
//! async loop so every rule below has a unit test:
//!
//! - Nothing from before the session's actor existed.
//! - **Throttling:** at most one snapshot per session interval (see [`Throttle`]), and
//!   none while the socket's send queue holds more than the client drains in
//!   `MAX_QUEUE_DELAY` beyond the round trip: such a snapshot is held back until the
//!   queue is short enough, and counts as congestion once per interval it waits (so the
//!   interval of a client that stops reading grows to the slowest).
//! - **Quiet skipping:** a client that holds the newest state gets nothing, except an
//!   empty delta (the heartbeat) once the quiet limit has passed.
//! - **Full requests** are answered at the first wakeup after them, even with the frame
//!   already sent as a delta: at most one full snapshot per frame, however often asked.
//! - **Input acks** go out when the newest applied input changed, never before the first
//!   input (sequence 0 is no input).

use std::time::Duration;

use tickwire_protocol::{Settings, SnapshotRate, ThrottleReason, tick};
use tickwire_sim::SessionId;

use crate::snapshot_ring::{SharedSnapshot, SnapshotRing};
use crate::throttle::Throttle;

/// What the writer knows about the newest frame when it wakes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct FrameView {
    pub(super) tick: u32,
    pub(super) settings: Settings,
    /// This session's newest applied input sequence, if it has an actor.
    pub(super) input_ack: Option<u32>,
    /// The newest tick up to this frame at which something replicated changed.
    pub(super) changed_at: u32,
    /// The oldest frame still in the ring: older baselines are gone, unless nothing
    /// changed since them.
    pub(super) oldest_tick: u32,
    /// The newest tick up to the oldest frame at which something changed: a client
    /// holding a frame from this tick on holds the oldest frame's state.
    pub(super) oldest_changed_at: u32,
}

impl FrameView {
    /// The view of `newest`, the newest frame of `ring`, for `session`.
    pub(super) fn of(ring: &SnapshotRing, newest: &SharedSnapshot, session: SessionId) -> Self {
        Self {
            tick: newest.tick(),
            settings: *newest.settings(),
            input_ack: newest.input_ack(session),
            changed_at: newest.changed_at(),
            oldest_tick: ring.oldest_tick().unwrap_or(newest.tick()),
            oldest_changed_at: ring.oldest_changed_at().unwrap_or(newest.tick()),
        }
    }

    /// Whether a client holding the frame of `tick` can be sent a delta: the frame is
    /// still in the ring, or nothing changed between it and the oldest frame kept.
    fn is_baseline(&self, tick: u32) -> bool {
        tick::is_at_or_after(tick, self.oldest_tick)
            || tick::is_at_or_after(tick, self.oldest_changed_at)
    }

    /// How long a session may stay quiet, in ticks: half a second. Any wakeup after
    /// that sends the heartbeat (an empty delta), so one goes out at least once a wakeup
    /// period. A quiet client's baseline needs no refreshing: it stays a baseline after
    /// it has left the ring (see [`FrameView::is_baseline`]).
    fn quiet_limit(&self) -> u32 {
        u32::from(self.settings.tick_rate_hz) / 2
    }
}

/// A snapshot to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct SnapshotPlan {
    /// The tick of the frame to send.
    pub(super) tick: u32,
    /// The tick of the frame the delta is from; `None` sends a full snapshot.
    pub(super) baseline: Option<u32>,
    /// The snapshot sent before this one, if any.
    pub(super) previous: Option<u32>,
    /// An input ack to send before the snapshot.
    pub(super) input_ack: Option<u32>,
}

/// What to send at this wakeup, in this order.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct Plan {
    pub(super) settings: Option<Settings>,
    pub(super) rate: Option<SnapshotRate>,
    pub(super) snapshot: Option<SnapshotPlan>,
}

/// One session's snapshot policy.
#[derive(Debug)]
pub(super) struct SnapshotPolicy {
    /// Frames up to this tick were built before the session's actor existed.
    joined_tick: u32,
    throttle: Throttle,
    told_settings: Settings,
    told_rate: SnapshotRate,
    /// The last snapshot sent: the next delta's baseline.
    last_sent: Option<u32>,
    /// The frame of the last full snapshot sent: at most one per frame.
    last_full: Option<u32>,
    /// The client asked for a full snapshot and has not had one since.
    full_requested: bool,
    /// The last input sequence acknowledged.
    acked_sent: Option<u32>,
    /// The shortest round-trip time measured: the network's own share of the delay of
    /// what is queued (a later ping waits in the queue too, so it would count the queue
    /// as network and let it grow).
    base_round_trip: Duration,
    /// Since which frame a snapshot has been held back for a long send queue (last
    /// counted as congestion then).
    held_back_at: Option<u32>,
}

impl SnapshotPolicy {
    /// The policy of a session whose client was welcomed at `joined_tick` under `settings`.
    pub(super) fn new(joined_tick: u32, settings: Settings) -> Self {
        let throttle = Throttle::default();
        Self {
            joined_tick,
            told_rate: throttle.rate(&settings),
            throttle,
            told_settings: settings,
            last_sent: None,
            last_full: None,
            full_requested: false,
            acked_sent: None,
            base_round_trip: Duration::ZERO,
            held_back_at: None,
        }
    }

    /// The client's round-trip time was measured (zero: not yet).
    pub(super) fn measured_round_trip(&mut self, round_trip: Duration) {
        if self.base_round_trip.is_zero() || round_trip < self.base_round_trip {
            self.base_round_trip = round_trip;
        }
    }

    /// The lowest round-trip time measured (zero: not yet): what the client's queue may
    /// take beyond the freshness bound.
    pub(super) fn base_round_trip(&self) -> Duration {
        self.base_round_trip
    }

    /// The client asked for a full snapshot.
    pub(super) fn request_full(&mut self) {
        self.full_requested = true;
    }

    /// The client asked for at most `max_per_second` snapshots per second (0: no cap).
    pub(super) fn set_client_cap(&mut self, max_per_second: u16) {
        self.throttle.set_client_cap(max_per_second);
    }

    /// The throttle, to report how writes go.
    pub(super) fn throttle_mut(&mut self) -> &mut Throttle {
        &mut self.throttle
    }

    /// The session's snapshot rate now (under the settings last told).
    pub(super) fn rate(&self) -> SnapshotRate {
        self.throttle.rate(&self.told_settings)
    }

    /// Whether the session gets fewer snapshots than the broadcast rate now.
    pub(super) fn throttled(&self) -> bool {
        self.rate().reason != ThrottleReason::None
    }

    /// What to send at a wakeup with `frame` the newest frame. The snapshot
    /// planned counts as sent.
    pub(super) fn plan(&mut self, frame: &FrameView) -> Plan {
        if !tick::is_after(frame.tick, self.joined_tick) {
            return Plan::default(); // Nothing built since this session's actor exists.
        }
        let mut plan = Plan::default();
        if frame.settings != self.told_settings {
            self.told_settings = frame.settings;
            plan.settings = Some(frame.settings);
        }
        let rate = self.rate();
        if rate != self.told_rate {
            self.told_rate = rate;
            plan.rate = Some(rate);
        }
        plan.snapshot = self.snapshot(frame, rate);
        plan
    }

    fn snapshot(&mut self, frame: &FrameView, rate: SnapshotRate) -> Option<SnapshotPlan> {
        let full = self.full_requested && self.last_full != Some(frame.tick);
        let input_ack = frame.input_ack.filter(|&sequence| sequence != 0);
        if let Some(last_sent) = self.last_sent
            && !full
        {
            let since = tick::since(frame.tick, last_sent);
            if since < u32::from(rate.every_ticks) {
                return None; // Throttled: this frame is skipped, the next snapshot covers it.
            }
            let ack_due = input_ack.is_some_and(|sequence| self.acked_sent != Some(sequence));
            if !ack_due
                && tick::is_at_or_after(last_sent, frame.changed_at)
                && since < frame.quiet_limit()
            {
                // The client already holds this state: stay quiet (its baseline stays
                // put), with an empty snapshot as a heartbeat after the limit.
                return None;
            }
        }
        if !self.throttle.queue_allows(self.base_round_trip) {
            // What is queued would reach the client late: hold this one back, and count
            // it as congestion once per interval, so the interval grows before the
            // buffer fills.
            let counted = self
                .held_back_at
                .is_some_and(|at| tick::since(frame.tick, at) < u32::from(rate.every_ticks));
            if !counted {
                self.held_back_at = Some(frame.tick);
                self.throttle.write_blocked();
            }
            return None;
        }
        self.held_back_at = None;
        let baseline = self.last_sent.filter(|&last_sent| !full && frame.is_baseline(last_sent));
        if baseline.is_none() {
            self.last_full = Some(frame.tick);
            self.full_requested = false;
        }
        let input_ack = input_ack.filter(|&sequence| self.acked_sent != Some(sequence));
        if input_ack.is_some() {
            self.acked_sent = input_ack;
        }
        let previous = self.last_sent.replace(frame.tick);
        Some(SnapshotPlan { tick: frame.tick, baseline, previous, input_ack })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 60 Hz, a broadcast every 2 ticks.
    const SETTINGS: Settings =
        Settings { tick_rate_hz: 60, broadcast_every: 2, ..Settings::DEFAULT };

    fn view(tick: u32) -> FrameView {
        FrameView {
            tick,
            settings: SETTINGS,
            input_ack: None,
            changed_at: tick,
            oldest_tick: tick.wrapping_sub(60),
            oldest_changed_at: tick.wrapping_sub(60),
        }
    }

    fn policy(joined: u32) -> SnapshotPolicy {
        SnapshotPolicy::new(joined, SETTINGS)
    }

    fn sent(plan: Plan) -> SnapshotPlan {
        plan.snapshot.expect("a snapshot should be planned")
    }

    #[test]
    fn the_first_snapshot_is_full_and_the_next_ones_are_deltas_from_the_last() {
        let mut policy = policy(10);
        assert_eq!(policy.plan(&view(10)), Plan::default(), "nothing from before the join");
        let first = sent(policy.plan(&view(12)));
        assert_eq!((first.baseline, first.previous), (None, None), "the first is full");
        let second = sent(policy.plan(&view(14)));
        assert_eq!((second.baseline, second.previous), (Some(12), Some(12)));
        assert_eq!(policy.plan(&view(14)).snapshot, None, "a frame is sent once");
    }

    #[test]
    fn a_still_world_gets_a_heartbeat_after_the_quiet_limit() {
        let mut policy = policy(0);
        sent(policy.plan(&view(2)));
        let still = |tick| FrameView { changed_at: 2, ..view(tick) };
        for tick in (4..32).step_by(2) {
            assert_eq!(policy.plan(&still(tick)).snapshot, None, "tick {tick} is quiet");
        }
        let heartbeat = sent(policy.plan(&still(32)));
        assert_eq!(heartbeat.baseline, Some(2), "half a second on: an empty delta");
    }

    #[test]
    fn a_full_request_is_answered_at_once_even_for_a_frame_sent_as_a_delta() {
        let mut policy = policy(0);
        sent(policy.plan(&view(2)));
        sent(policy.plan(&view(4)));
        policy.request_full();
        let full = sent(policy.plan(&view(4)));
        assert_eq!((full.tick, full.baseline), (4, None), "the frame just sent, in full");
        policy.request_full();
        assert_eq!(policy.plan(&view(4)).snapshot, None, "one full per frame");
        let next = sent(policy.plan(&view(6)));
        assert_eq!(next.baseline, None, "the pending request is answered with the next frame");
        assert_eq!(sent(policy.plan(&view(8))).baseline, Some(6), "then deltas again");
    }

    #[test]
    fn a_full_request_skips_throttling_and_quiet() {
        let mut policy = policy(0);
        policy.set_client_cap(1);
        sent(policy.plan(&view(2)));
        assert_eq!(policy.plan(&view(4)).snapshot, None, "capped at one a second");
        policy.request_full();
        let full = sent(policy.plan(&FrameView { changed_at: 2, ..view(4) }));
        assert_eq!(full.baseline, None, "a full request is answered at once");
    }

    #[test]
    fn a_baseline_that_left_the_ring_gives_a_full_snapshot() {
        let mut policy = policy(0);
        sent(policy.plan(&view(2)));
        let far = FrameView { oldest_tick: 10, oldest_changed_at: 10, ..view(100) };
        assert_eq!(sent(policy.plan(&far)).baseline, None);
    }

    #[test]
    fn a_quiet_baseline_that_left_the_ring_still_gets_deltas() {
        let mut policy = policy(0);
        sent(policy.plan(&view(2)));
        // Nothing changed from tick 2 to the oldest frame kept (tick 10): the client's
        // state is that frame's, and the change at 100 is a delta from it.
        let far = FrameView { oldest_tick: 10, oldest_changed_at: 2, ..view(100) };
        assert_eq!(sent(policy.plan(&far)).baseline, Some(2));
    }

    #[test]
    fn input_acks_go_out_once_per_sequence_and_never_for_sequence_zero() {
        let mut policy = policy(0);
        let with_ack = |tick, ack| FrameView { input_ack: Some(ack), ..view(tick) };
        assert_eq!(sent(policy.plan(&with_ack(2, 0))).input_ack, None, "no input yet");
        assert_eq!(sent(policy.plan(&with_ack(4, 1))).input_ack, Some(1));
        assert_eq!(sent(policy.plan(&with_ack(6, 1))).input_ack, None, "already acked");
        let quiet = FrameView { changed_at: 6, ..with_ack(8, 1) };
        assert_eq!(policy.plan(&quiet).snapshot, None, "an old ack wakes nothing");
        let acked = FrameView { changed_at: 6, ..with_ack(10, 2) };
        assert_eq!(sent(policy.plan(&acked)).input_ack, Some(2), "a new ack is sent");
    }

    #[test]
    fn settings_and_rate_changes_are_announced_once() {
        let mut policy = policy(0);
        let changed = Settings { broadcast_every: 4, ..SETTINGS };
        let plan = policy.plan(&FrameView { settings: changed, ..view(4) });
        assert_eq!(plan.settings, Some(changed));
        assert_eq!(plan.rate.map(|rate| rate.every_ticks), Some(4), "the rate follows");
        let again = policy.plan(&FrameView { settings: changed, ..view(8) });
        assert_eq!((again.settings, again.rate), (None, None), "told once");
        policy.set_client_cap(1);
        let capped = policy.plan(&FrameView { settings: changed, ..view(12) });
        assert_eq!(capped.rate.map(|rate| rate.reason), Some(ThrottleReason::ClientCap));
        assert!(policy.throttled());
    }

    #[test]
    fn the_policy_works_across_the_tick_wrap() {
        let mut policy = policy(u32::MAX - 3);
        sent(policy.plan(&view(u32::MAX - 1)));
        let next = sent(policy.plan(&view(1)));
        assert_eq!(next.baseline, Some(u32::MAX - 1), "a delta across the wrap");
        assert_eq!(policy.plan(&view(2)).snapshot, None, "one tick on is too soon");
        let quiet = |tick| FrameView { changed_at: 1, ..view(tick) };
        assert_eq!(policy.plan(&quiet(3)).snapshot, None, "quiet across the wrap");
        assert_eq!(sent(policy.plan(&quiet(31))).baseline, Some(1), "the heartbeat");
        let mut late = super::SnapshotPolicy::new(u32::MAX, SETTINGS);
        assert!(late.plan(&view(0)).snapshot.is_some(), "0 is after u32::MAX");
    }

    #[test]
    fn a_long_send_queue_holds_snapshots_back_and_counts_as_congestion_once_an_interval() {
        let mut policy = policy(0);
        sent(policy.plan(&view(2)));
        // 20 KB written, 10 KB of it still queued for a client whose rate is unknown.
        policy.throttle_mut().observe_queue(std::time::Instant::now(), 20_000, 10_000);
        assert_eq!(policy.plan(&view(4)).snapshot, None, "held back while the queue is long");
        assert!(policy.throttled(), "a held-back snapshot is congestion");
        assert_eq!(policy.rate().every_ticks, 4);
        assert_eq!(policy.plan(&view(6)).snapshot, None, "still held back");
        assert_eq!(policy.rate().every_ticks, 4, "counted once an interval");
        assert_eq!(policy.plan(&view(8)).snapshot, None, "still held back");
        assert_eq!(policy.rate().every_ticks, 8, "an interval later, counted again");
        policy.throttle_mut().observe_queue(std::time::Instant::now(), 20_000, 0);
        let next = sent(policy.plan(&view(12)));
        assert_eq!(next.baseline, Some(2), "once the queue drained, a delta from the last sent");
    }
}
