//! Giving parked rooms' freed heap back to the OS: when, and how.
//!
//! A room that was stepped frees a lot when it parks (its snapshot ring, the frames and
//! their encodings), but glibc keeps freed chunks that sit between live ones resident:
//! 200 parked rooms measured 155 KiB RSS each for 100 KiB of live heap. `malloc_trim(0)`
//! hands those pages back (to 124 KiB), but it walks every arena holding that arena's
//! lock, and a sim thread that allocates meanwhile waits: 9.5 ms for the whole heap at
//! 200 parked rooms (37 MiB), 95 ms at 1000 (158 MiB), measured by
//! `server/examples/room_memory.rs`. So it runs rarely, off the sim threads (on tokio's
//! blocking pool), and only for a burst of parked or disposed rooms that has settled.
//!
//! Other allocators were weighed instead: mimalloc kept 175 KiB per parked room (131 KiB
//! with `MIMALLOC_PURGE_DELAY=0`) and starts 10 MiB higher; glibc's `arena_max` and
//! `trim_threshold` tunables changed nothing (the freed pages are not at an arena's top).

use std::time::{Duration, Instant};

/// Fewer parked or disposed rooms than this free too little to be worth a trim.
const MIN_ROOMS: usize = 16;
/// At most one trim this often, so its arena locks stall a sim thread rarely.
const MIN_INTERVAL: Duration = Duration::from_secs(60);

/// Decides when freed rooms are worth a `malloc_trim`. Pure: callers pass `now`.
#[derive(Debug, Default)]
pub(crate) struct TrimPolicy {
    /// Rooms parked or disposed since the last trim.
    pending: usize,
    /// Whether a room was parked or disposed since the last [`TrimPolicy::due`].
    burst_going_on: bool,
    last_trim: Option<Instant>,
}

impl TrimPolicy {
    /// Counts `rooms` just parked or disposed.
    pub(crate) fn freed(&mut self, rooms: usize) {
        self.pending += rooms;
        self.burst_going_on |= rooms > 0;
    }

    /// Whether to trim now (called once a second): enough rooms were freed, none since the
    /// last look (a burst of parkings is trimmed once, after it), and the last trim is
    /// long enough ago. Saying yes starts a new count.
    pub(crate) fn due(&mut self, now: Instant) -> bool {
        let settled = !std::mem::take(&mut self.burst_going_on);
        let rested = self.last_trim.is_none_or(|last| now.duration_since(last) >= MIN_INTERVAL);
        if !(settled && rested && self.pending >= MIN_ROOMS) {
            return false;
        }
        self.pending = 0;
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

    #[test]
    fn a_settled_burst_of_parked_rooms_is_trimmed_once() {
        let start = Instant::now();
        let mut policy = TrimPolicy::default();
        policy.freed(MIN_ROOMS);
        assert!(!policy.due(start), "rooms still parking should not be trimmed yet");
        assert!(policy.due(start + Duration::from_secs(1)), "a settled burst should be trimmed");
        policy.freed(MIN_ROOMS);
        assert!(!policy.due(start + Duration::from_secs(2)));
        assert!(
            !policy.due(start + Duration::from_secs(3)),
            "a second trim within the interval should wait"
        );
        assert!(policy.due(start + Duration::from_secs(1) + MIN_INTERVAL), "then go ahead");
    }

    #[test]
    fn a_few_parked_rooms_are_not_worth_a_trim() {
        let start = Instant::now();
        let mut policy = TrimPolicy::default();
        policy.freed(MIN_ROOMS - 1);
        assert!(!policy.due(start));
        assert!(!policy.due(start + MIN_INTERVAL), "too few rooms should never trim");
        policy.freed(1);
        assert!(!policy.due(start + MIN_INTERVAL * 2));
        assert!(policy.due(start + MIN_INTERVAL * 3), "enough rooms over time should");
    }
}
