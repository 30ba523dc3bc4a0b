//! What a session's reader and writer share: ack and resync bookkeeping, counters,
//! round-trip measurement, and when the client was last heard from.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU32, AtomicU64};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use tickwire_protocol::{Ping, tick};
use tokio::time::Instant as ClockInstant;
use tracing::debug;

/// What the reader and the writer share. Both run in the session's one task, so relaxed
/// atomics suffice (they are atomics only because the task may move between threads).
#[derive(Debug, Default)]
pub(super) struct SessionState {
    pub(super) ping: PingState,
    /// The tick of the last snapshot written (0: none): the next delta's baseline.
    pub(super) sent_tick: AtomicU32,
    /// The newest snapshot tick the client says it applied (0: none yet).
    pub(super) acked_tick: AtomicU32,
    /// Acks for snapshots never sent: a broken or lying client.
    pub(super) bogus_acks: AtomicU64,
    /// The client asked for a full snapshot next.
    pub(super) full_requested: AtomicBool,
    /// The most snapshots per second the client wants (0: no cap).
    pub(super) client_cap: AtomicU16,
    /// Whether the session gets fewer snapshots than the broadcast rate.
    pub(super) throttled: AtomicBool,
    pub(super) dropped_inputs: AtomicU64,
    pub(super) heard: LastHeard,
}

impl SessionState {
    /// Records an ack. An ack for a snapshot never sent is counted and ignored, and
    /// `false` is returned.
    pub(super) fn acknowledge(&self, tick: u32) -> bool {
        if tick::is_after(tick, self.sent_tick.load(Relaxed)) {
            let bogus = self.bogus_acks.fetch_add(1, Relaxed) + 1;
            debug!(tick, bogus, "ack for a snapshot never sent; ignored");
            return false;
        }
        // Never fails: the closure always returns `Some`.
        let _ = self.acked_tick.fetch_update(Relaxed, Relaxed, |acked| {
            Some(if acked == 0 { tick } else { tick::latest(acked, tick) })
        });
        true
    }
}

/// When the client last sent a whole message. The reader notes each one; the session's
/// own timer, which wakes anyway to ping, ends a session silent for the idle timeout. So
/// a message read costs a store, not the re-arming of a timer of the reader's own.
#[derive(Debug)]
pub(super) struct LastHeard {
    since: ClockInstant,
    /// Microseconds from `since` to the last message.
    after_us: AtomicU64,
}

impl Default for LastHeard {
    fn default() -> Self {
        Self { since: ClockInstant::now(), after_us: AtomicU64::new(0) }
    }
}

impl LastHeard {
    /// The client was heard from just now.
    pub(super) fn now(&self) {
        let after = u64::try_from(self.since.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.after_us.store(after, Relaxed);
    }

    /// When the client was last heard from (the session's start, if never).
    pub(super) fn at(&self) -> ClockInstant {
        self.since + Duration::from_micros(self.after_us.load(Relaxed))
    }
}

/// Round-trip measurement: one ping in flight at a time.
#[derive(Debug, Default)]
pub(super) struct PingState {
    /// Nonce and send time of the ping in flight. Never locked across an await.
    pub(super) in_flight: Mutex<(u32, Option<Instant>)>,
    pub(super) rtt_us: AtomicU32,
    /// A ping is due: it leaves with the session's next write (see `TaskWriting`).
    wanted: AtomicBool,
}

impl PingState {
    /// A ping is due, to leave with the next write. Returns whether the last one asked for
    /// is still waiting for a write.
    pub(super) fn want(&self) -> bool {
        self.wanted.swap(true, Relaxed)
    }

    /// The ping to write now, if one is due. Every write of every session asks, so the
    /// flag is read before it is swapped.
    pub(super) fn take_wanted(&self) -> Option<Ping> {
        (self.wanted.load(Relaxed) && self.wanted.swap(false, Relaxed)).then(|| self.next())
    }

    /// The next ping to send, carrying the last measured round-trip time.
    fn next(&self) -> Ping {
        let mut in_flight = self.in_flight.lock().unwrap_or_else(PoisonError::into_inner);
        let nonce = in_flight.0.wrapping_add(1);
        *in_flight = (nonce, Some(Instant::now()));
        Ping { nonce, rtt_us: self.rtt_us.load(Relaxed) }
    }

    /// A pong arrived; only the answer to the newest ping counts.
    /// Returns the measured round-trip time, if `nonce` answers the ping in flight.
    pub(super) fn answered(&self, nonce: u32) -> Option<Duration> {
        let mut in_flight = self.in_flight.lock().unwrap_or_else(PoisonError::into_inner);
        if in_flight.0 != nonce {
            return None;
        }
        let rtt = in_flight.1.take()?.elapsed();
        self.rtt_us.store(u32::try_from(rtt.as_micros()).unwrap_or(u32::MAX), Relaxed);
        Some(rtt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acks_are_ordered_across_the_tick_wrap() {
        let state = SessionState::default();
        state.sent_tick.store(2, Relaxed);
        assert!(state.acknowledge(u32::MAX), "an ack from before the wrap is for a sent snapshot");
        assert_eq!(state.acked_tick.load(Relaxed), u32::MAX);
        assert!(state.acknowledge(1), "an ack after the wrap moves the acked tick on");
        assert_eq!(state.acked_tick.load(Relaxed), 1, "1 is later than u32::MAX");
        assert!(state.acknowledge(u32::MAX - 4), "an older ack is fine");
        assert_eq!(state.acked_tick.load(Relaxed), 1, "and does not move the acked tick back");
        assert!(!state.acknowledge(3), "a tick after the newest sent is bogus");
        assert_eq!(state.bogus_acks.load(Relaxed), 1);
    }
}
