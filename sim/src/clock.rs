//! [`TickClock`]: when a world's next tick is due, with absolute deadlines.
//!
//! Tick `n` is due at `anchor + n * dt`, so sleeping late never accumulates into drift.
//! A tick that ends past the next deadline is an overrun: the next tick is due at once
//! (catch-up). Catch-up is bounded: more than `max_catch_up_ticks` behind, the clock skips
//! ahead instead of spiralling. When the tick length changes, the clock re-anchors at the
//! current deadline.
//!
//! The clock is pure: callers pass `now`, so tests drive it with instants of their own and
//! the same rules serve one sim thread or a pool stepping many worlds.

use std::time::{Duration, Instant};

/// A world's tick deadlines.
#[derive(Debug, Clone)]
pub struct TickClock {
    dt: Duration,
    anchor: Instant,
    ticks_since_anchor: u32,
    max_catch_up_ticks: u32,
}

/// How a finished tick stood against its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lateness {
    /// The next tick is due in the future.
    OnTime,
    /// The tick ended after the next deadline; the next tick is due at once.
    Overrun {
        /// How far past the next deadline the tick ended.
        behind: Duration,
    },
    /// The clock fell more than the catch-up bound behind and skipped ahead.
    Skipped {
        /// How far past the next deadline the tick ended.
        behind: Duration,
        /// Whole ticks given up.
        ticks: u64,
    },
}

impl TickClock {
    /// A clock whose first tick is due at `now`.
    pub fn new(dt: Duration, now: Instant, max_catch_up_ticks: u32) -> Self {
        Self { dt, anchor: now, ticks_since_anchor: 0, max_catch_up_ticks }
    }

    /// When the next tick is due.
    pub fn deadline(&self) -> Instant {
        self.anchor + self.dt * self.ticks_since_anchor
    }

    /// The tick length in force.
    pub fn tick_length(&self) -> Duration {
        self.dt
    }

    /// Records that a tick ended at `now`, the next one lasting `next_dt` (a settings
    /// change may have altered it), and says how late the clock is.
    pub fn tick_done(&mut self, now: Instant, next_dt: Duration) -> Lateness {
        self.ticks_since_anchor += 1;
        if next_dt != self.dt {
            self.anchor = self.deadline();
            self.ticks_since_anchor = 0;
            self.dt = next_dt;
        }
        let deadline = self.deadline();
        if now < deadline {
            return Lateness::OnTime;
        }
        let behind = now - deadline;
        if behind <= self.dt * self.max_catch_up_ticks {
            return Lateness::Overrun { behind };
        }
        let ticks =
            u64::try_from(behind.as_nanos() / self.dt.as_nanos().max(1)).unwrap_or(u64::MAX);
        self.anchor = now;
        self.ticks_since_anchor = 0;
        Lateness::Skipped { behind, ticks }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DT: Duration = Duration::from_millis(10);

    #[test]
    fn deadlines_are_absolute_so_late_wakeups_do_not_drift() {
        let start = Instant::now();
        let mut clock = TickClock::new(DT, start, 4);
        assert_eq!(clock.deadline(), start, "the first tick should be due at once");
        // Each tick ends 3 ms into its period, whatever the previous wakeup's lateness.
        for n in 1..=100u32 {
            let ended = start + DT * (n - 1) + Duration::from_millis(3);
            assert_eq!(clock.tick_done(ended, DT), Lateness::OnTime);
            assert_eq!(clock.deadline(), start + DT * n, "tick {n} should be due on the grid");
        }
    }

    #[test]
    fn an_overrun_makes_the_next_tick_due_at_once_and_catches_up() {
        let start = Instant::now();
        let mut clock = TickClock::new(DT, start, 4);
        let late = start + DT * 3;
        assert_eq!(clock.tick_done(late, DT), Lateness::Overrun { behind: DT * 2 });
        assert!(clock.deadline() <= late, "the next tick should be due now");
        assert_eq!(clock.tick_done(late, DT), Lateness::Overrun { behind: DT });
        assert_eq!(clock.tick_done(late, DT), Lateness::Overrun { behind: Duration::ZERO });
        assert_eq!(clock.tick_done(late, DT), Lateness::OnTime, "caught up on the old grid");
        assert_eq!(clock.deadline(), start + DT * 4);
    }

    #[test]
    fn far_behind_it_skips_ahead_instead_of_spiralling() {
        let start = Instant::now();
        let mut clock = TickClock::new(DT, start, 4);
        let stalled = start + Duration::from_secs(1);
        let lateness = clock.tick_done(stalled, DT);
        assert!(
            matches!(lateness, Lateness::Skipped { ticks: 99, .. }),
            "a one-second stall should skip 99 ticks: {lateness:?}"
        );
        assert_eq!(clock.deadline(), stalled, "the clock should re-anchor at now");
        assert_eq!(clock.tick_done(stalled + Duration::from_millis(1), DT), Lateness::OnTime);
        assert_eq!(clock.deadline(), stalled + DT);
    }

    #[test]
    fn a_new_tick_length_re_anchors_at_the_current_deadline() {
        let start = Instant::now();
        let mut clock = TickClock::new(DT, start, 4);
        clock.tick_done(start + Duration::from_millis(1), DT);
        clock.tick_done(start + DT + Duration::from_millis(1), DT);
        let longer = Duration::from_millis(25);
        clock.tick_done(start + DT * 2 + Duration::from_millis(1), longer);
        assert_eq!(clock.tick_length(), longer);
        assert_eq!(clock.deadline(), start + DT * 3, "the tick already due keeps its deadline");
        clock.tick_done(start + DT * 3 + Duration::from_millis(1), longer);
        assert_eq!(clock.deadline(), start + DT * 3 + longer, "later ticks follow the new length");
    }
}
