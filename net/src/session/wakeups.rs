//! How long a session's own timer sleeps between wakeups.
//!
//! A wakeup pings the client and sends a quiet client its heartbeat. While the world
//! changes, that happens every `base` period (the ping interval, 2 s by default), so
//! round trips stay fresh. While nothing changes, the period doubles at each wakeup up to
//! `longest` (half of the idle timeout, which clients are told): ten thousand idle
//! connections then cost a ping and a heartbeat each every few seconds, not every
//! couple. Any change brings the
//! period back to `base` at the next wakeup; the change itself does not wait for it (the
//! room's fan-out sends it at once).

use std::time::Duration;

/// A session's wakeup period. Periods are kept in milliseconds: every serving session
/// holds this (see `serving`), and three `Duration`s would take twice the room.
#[derive(Debug)]
pub(super) struct Wakeups {
    base_ms: u32,
    longest_ms: u32,
    period_ms: u32,
    /// The tick of the newest change seen at the last wakeup.
    last_change: Option<u32>,
}

impl Wakeups {
    /// Wakeups every `base` while the world changes, stretching to `longest` while not.
    pub(super) fn new(base: Duration, longest: Duration) -> Self {
        let millis = |period: Duration| u32::try_from(period.as_millis()).unwrap_or(u32::MAX);
        let base_ms = millis(base);
        Self {
            base_ms,
            longest_ms: millis(longest).max(base_ms),
            period_ms: base_ms,
            last_change: None,
        }
    }

    /// After a wakeup that saw the world's newest change at tick `changed_at` (none: no
    /// frame yet): how long until the next.
    pub(super) fn after_wakeup(&mut self, changed_at: Option<u32>) -> Duration {
        self.period_ms = if changed_at.is_some() && changed_at == self.last_change {
            self.period_ms.saturating_mul(2).min(self.longest_ms)
        } else {
            self.base_ms
        };
        self.last_change = changed_at;
        Duration::from_millis(u64::from(self.period_ms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    #[test]
    fn a_still_world_stretches_the_period_to_the_longest_and_a_change_resets_it() {
        let mut wakeups = Wakeups::new(SECOND, Duration::from_millis(3333));
        let periods: Vec<u128> = [5, 5, 5, 5, 9, 9]
            .into_iter()
            .map(|at| wakeups.after_wakeup(Some(at)).as_millis())
            .collect();
        assert_eq!(periods, [1000, 2000, 3333, 3333, 1000, 2000]);
    }

    #[test]
    fn no_frame_yet_keeps_the_base_period() {
        let mut wakeups = Wakeups::new(SECOND, 4 * SECOND);
        assert_eq!(wakeups.after_wakeup(None), SECOND);
        assert_eq!(wakeups.after_wakeup(None), SECOND);
    }

    #[test]
    fn the_longest_is_never_below_the_base() {
        let mut wakeups = Wakeups::new(SECOND, Duration::from_millis(10));
        assert_eq!(wakeups.after_wakeup(Some(1)), SECOND);
        assert_eq!(wakeups.after_wakeup(Some(1)), SECOND);
    }
}
