//! Giving freed heap back to the OS: when, and how.
//!
//! Two things free a lot of heap at once. A room that was stepped frees its snapshot ring,
//! frames and encodings when it parks. A wave of sessions arriving or leaving (a ramp of
//! thousands of clients, a mass disconnect) leaves behind the frames, columns and buffers
//! sized for the world while it grew or shrank. glibc keeps freed chunks that sit between
//! live ones resident:
//! - 200 parked rooms measured 155 KiB RSS each for 100 KiB of live heap; `malloc_trim(0)`
//!   hands those pages back (to 124 KiB);
//! - 10,000 idle clients after a 20 s ramp measured 6.5 KiB RSS each; a trim brought them
//!   to 5.4 KiB (`gdb -p PID -batch -ex 'call (int)malloc_trim(0)'` on a running server).
//!
//! But `malloc_trim` walks every arena holding that arena's lock, and a sim thread that
//! allocates meanwhile waits: 9.5 ms for the whole heap at 200 parked rooms (37 MiB), 95 ms
//! at 1000 (158 MiB), measured by `server/examples/room_memory.rs`. So it runs rarely, off
//! the sim threads (on tokio's blocking pool), and only once a burst of parked or disposed
//! rooms, or a wave of sessions, has settled.
//!
//! Other allocators were weighed instead: mimalloc kept 175 KiB per parked room (131 KiB
//! with `MIMALLOC_PURGE_DELAY=0`) and starts 10 MiB higher; glibc's `arena_max` and
//! `trim_threshold` tunables changed nothing for rooms (the freed pages are not at an
//! arena's top), and for idle sessions `MALLOC_MMAP_THRESHOLD_` and `MALLOC_TRIM_THRESHOLD_`
//! together reached 5.8 KiB, short of the trim's 5.4.

use std::time::{Duration, Instant};

/// Fewer parked or disposed rooms than this free too little to be worth a trim.
const MIN_ROOMS: usize = 16;
/// Fewer sessions arriving or leaving than this free too little to be worth a trim.
const MIN_SESSION_CHURN: usize = 1_000;
/// How long nothing must change before a trim: what a burst leaves is freed over the next
/// seconds (a world that stopped changing still holds older, different frames in its ring
/// for about two seconds at 15 snapshots a second).
const SETTLE_FOR: Duration = Duration::from_secs(4);
/// At most one trim this often, so its arena locks stall a sim thread rarely.
const MIN_INTERVAL: Duration = Duration::from_secs(60);

/// Decides when freed rooms or a wave of sessions are worth a `malloc_trim`. Pure: callers
/// pass `now`.
#[derive(Debug, Default)]
pub(crate) struct TrimPolicy {
    /// Rooms parked or disposed since the last trim.
    pending: usize,
    /// Sessions that arrived or left since the last trim, as the counts seen by
    /// [`TrimPolicy::sessions_held`] moved.
    session_churn: usize,
    /// Sessions held at the last [`TrimPolicy::sessions_held`].
    sessions: usize,
    /// Whether a room was parked or disposed, or the sessions held changed, since the last
    /// [`TrimPolicy::due`].
    burst_going_on: bool,
    /// The first [`TrimPolicy::due`] that found nothing going on, since the last burst.
    quiet_since: Option<Instant>,
    last_trim: Option<Instant>,
}

impl TrimPolicy {
    /// Counts `rooms` just parked or disposed.
    pub(crate) fn freed(&mut self, rooms: usize) {
        self.pending += rooms;
        self.burst_going_on |= rooms > 0;
    }

    /// Counts the sessions the rooms hold now (live, or waiting for a resume); what moved
    /// since the last count is churn.
    pub(crate) fn sessions_held(&mut self, sessions: usize) {
        let moved = sessions.abs_diff(std::mem::replace(&mut self.sessions, sessions));
        self.session_churn += moved;
        self.burst_going_on |= moved > 0;
    }

    /// Whether to trim now (called once a second): enough rooms were freed or sessions
    /// came and went, nothing changed for [`SETTLE_FOR`] (a burst is trimmed once, after
    /// it), and the last trim is long enough ago. Saying yes starts a new count.
    pub(crate) fn due(&mut self, now: Instant) -> bool {
        if std::mem::take(&mut self.burst_going_on) {
            self.quiet_since = None;
            return false;
        }
        let quiet_since = *self.quiet_since.get_or_insert(now);
        let settled = now.duration_since(quiet_since) >= SETTLE_FOR;
        let rested = self.last_trim.is_none_or(|last| now.duration_since(last) >= MIN_INTERVAL);
        let worth = self.pending >= MIN_ROOMS || self.session_churn >= MIN_SESSION_CHURN;
        if !(settled && rested && worth) {
            return false;
        }
        self.pending = 0;
        self.session_churn = 0;
        self.last_trim = Some(now);
        true
    }
}

/// Hands the allocator's free pages back to the OS (glibc's `malloc_trim`; elsewhere
/// nothing). Blocks for milliseconds: call it from a blocking thread, never a sim thread.
pub(crate) fn trim_heap() {
    let started = Instant::now();
    if release_free_pages() {
        tracing::debug!(took_ms = started.elapsed().as_secs_f64() * 1e3, "heap trimmed");
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn release_free_pages() -> bool {
    // SAFETY: `malloc_trim` takes a padding size and only returns free pages to the OS;
    // it takes each arena's own lock, so it is safe beside any other thread's allocations.
    unsafe { libc::malloc_trim(0) == 1 }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn release_free_pages() -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Asks `policy` once a second from `from` on, as the sweeper does, with nothing
    /// changing; returns how long after `from` it first says trim (if within two intervals).
    fn quiet_until_trim(policy: &mut TrimPolicy, from: Instant) -> Option<Duration> {
        (0..2 * MIN_INTERVAL.as_secs())
            .map(Duration::from_secs)
            .find(|&after| policy.due(from + after))
    }

    const SECOND: Duration = Duration::from_secs(1);

    #[test]
    fn a_settled_burst_of_parked_rooms_is_trimmed_once() {
        let start = Instant::now();
        let mut policy = TrimPolicy::default();
        policy.freed(MIN_ROOMS);
        assert!(!policy.due(start), "rooms still parking should not be trimmed yet");
        let first = quiet_until_trim(&mut policy, start + SECOND);
        assert_eq!(first, Some(SETTLE_FOR), "a burst that settled should be trimmed");
        let trimmed_at = start + SECOND + SETTLE_FOR;
        policy.freed(MIN_ROOMS);
        assert!(!policy.due(trimmed_at + SECOND));
        let second = quiet_until_trim(&mut policy, trimmed_at + 2 * SECOND);
        assert_eq!(
            second,
            Some(MIN_INTERVAL - 2 * SECOND),
            "a second trim should wait for the interval"
        );
    }

    #[test]
    fn a_few_parked_rooms_are_not_worth_a_trim() {
        let start = Instant::now();
        let mut policy = TrimPolicy::default();
        policy.freed(MIN_ROOMS - 1);
        assert!(!policy.due(start));
        assert_eq!(quiet_until_trim(&mut policy, start + SECOND), None, "too few rooms");
        policy.freed(1);
        assert!(!policy.due(start + 3 * MIN_INTERVAL));
        assert!(
            quiet_until_trim(&mut policy, start + 3 * MIN_INTERVAL + SECOND).is_some(),
            "enough rooms over time should be trimmed"
        );
    }

    #[test]
    fn a_settled_wave_of_sessions_is_trimmed_once_whichever_way_it_went() {
        let start = Instant::now();
        let mut policy = TrimPolicy::default();
        policy.sessions_held(MIN_SESSION_CHURN / 2);
        assert!(!policy.due(start));
        assert_eq!(quiet_until_trim(&mut policy, start + SECOND), None, "half a wave");
        let arrivals_end = start + 3 * MIN_INTERVAL;
        policy.sessions_held(MIN_SESSION_CHURN);
        assert!(!policy.due(arrivals_end), "sessions still arriving should not be trimmed yet");
        let trim = quiet_until_trim(&mut policy, arrivals_end + SECOND);
        assert_eq!(trim, Some(SETTLE_FOR), "a settled wave of arrivals should be trimmed");
        assert_eq!(quiet_until_trim(&mut policy, arrivals_end + 6 * SECOND), None, "once");
        let departures_end = arrivals_end + 3 * MIN_INTERVAL;
        policy.sessions_held(0);
        assert!(!policy.due(departures_end));
        let trim = quiet_until_trim(&mut policy, departures_end + SECOND);
        assert_eq!(trim, Some(SETTLE_FOR), "and so should a wave of departures");
    }

    #[test]
    fn sessions_coming_and_going_count_as_churn_both_ways() {
        let start = Instant::now();
        let mut policy = TrimPolicy::default();
        for held in [MIN_SESSION_CHURN / 4, 0, MIN_SESSION_CHURN / 4, 0] {
            policy.sessions_held(held);
        }
        assert!(!policy.due(start));
        let trim = quiet_until_trim(&mut policy, start + SECOND);
        assert_eq!(trim, Some(SETTLE_FOR), "up and down twice is a wave");
    }

    #[test]
    fn a_burst_that_goes_on_is_not_trimmed_until_it_stops() {
        let start = Instant::now();
        let mut policy = TrimPolicy::default();
        for second in 0..10 {
            policy.sessions_held(MIN_SESSION_CHURN * (second + 1));
            let now = start + Duration::from_secs(second as u64);
            assert!(!policy.due(now), "second {second}: sessions keep arriving");
        }
        let trim = quiet_until_trim(&mut policy, start + 10 * SECOND);
        assert_eq!(trim, Some(SETTLE_FOR));
    }
}
