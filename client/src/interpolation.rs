//! [`Interpolator`]: where other actors are drawn between snapshots, on the server's
//! timeline. The same rules as the browser client's (`clients/ts/src/timeline.ts` and
//! `world.ts`), so the two clients draw alike:
//!
//! - Each state sits at its tick × the tick period (accumulated from the session's first
//!   state, so the u32 wrap and tick-rate changes do not move earlier states), not at
//!   its arrival time.
//! - The server clock is estimated from arrivals: local time − server time is at most
//!   what the earliest arrival over [`CLOCK_WINDOW`] says; how much later than that a
//!   state came is its lateness.
//! - Others are drawn at estimated server time − delay. The delay is never below the
//!   server's `interpolation_delay` and covers the snapshot interval plus the largest
//!   lateness of the last [`DELAY_WINDOW`] (and a margin): it grows at once when data
//!   comes late or in bursts, and shrinks by [`SHRINK_MS_PER_S`] once the link is steady.
//! - The time drawn follows that target at 0.8–1.2× speed (it jumps only across a second
//!   or more), so a change of delay bends motion instead of freezing or leaping it.
//! - Starved of data, others go on along their last motion for at most
//!   [`EXTRAPOLATE`], then hold; the time drawn waits there.
//! - The server skips snapshots while nothing changes (sending one a second as a
//!   heartbeat), so a gap in ticks longer than this client's snapshot interval
//!   ([`Interpolator::set_cadence`]) was quiet: the older state is held until one
//!   interval before the newer one.
//!
//! Call [`Interpolator::push`] for every state applied, [`Interpolator::advance`] once
//! per frame, then [`Interpolator::position`] for each actor.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use glam::Vec2;
use tickwire_protocol::WorldState;

/// Arrivals older than this no longer count for the clock estimate.
pub const CLOCK_WINDOW: Duration = Duration::from_secs(10);
/// How long a need for delay is remembered before the delay may shrink.
pub const DELAY_WINDOW: Duration = Duration::from_secs(4);
/// How fast the delay shrinks once the need has gone, in milliseconds per second.
pub const SHRINK_MS_PER_S: f64 = 20.0;
/// Added to the measured need: about a frame.
const DELAY_MARGIN_MS: f64 = 20.0;
/// Starved of data, others go on along their last motion this long at most.
pub const EXTRAPOLATE: Duration = Duration::from_millis(100);
const MIN_RATE: f64 = 0.8;
const MAX_RATE: f64 = 1.2;
const CATCH_UP_MS: f64 = 800.0;
const SNAP_MS: f64 = 1000.0;
/// How many states are kept: ample for any delay at 16 snapshots per second.
const KEPT: usize = 64;

/// A state on the server's timeline.
#[derive(Debug)]
struct Placed {
    /// Milliseconds from the session's first state.
    server_ms: f64,
    world: WorldState,
}

/// Recent mirror states on the server's timeline, the clock estimate, the adaptive delay
/// and the time drawn.
#[derive(Debug, Default)]
pub struct Interpolator {
    states: VecDeque<Placed>,
    /// Ticks between this client's snapshots, and the length of a tick.
    cadence: Option<(u32, Duration)>,
    /// The ticks between snapshots when the newest state arrived: right after the
    /// interval shrinks (a throttle lifting), the first gap may still be the old one.
    newest_every: u32,
    /// The server's interpolation delay: the least delay, in milliseconds.
    floor_ms: f64,
    /// Local times are milliseconds since this instant (the first push).
    origin: Option<Instant>,
    /// (arrival ms, local − server ms), the minimum first (a monotonic deque).
    offsets: VecDeque<(f64, f64)>,
    /// (arrival ms, needed delay ms), the maximum first.
    needs: VecDeque<(f64, f64)>,
    /// The delay in force and when it was last updated (local ms).
    delay: Option<(f64, f64)>,
    /// The server time drawn and the local time it was drawn at.
    drawn: Option<(f64, f64)>,
}

impl Interpolator {
    /// How often this client gets snapshots: every `ticks_per_snapshot` ticks at
    /// `tick_rate_hz` (the settings' `broadcast_every`, or the interval of the server's
    /// latest `SnapshotRate`). Call it on `Welcome`, `Settings` and `SnapshotRate`.
    pub fn set_cadence(&mut self, ticks_per_snapshot: u16, tick_rate_hz: u16) {
        let tick = Duration::from_secs_f64(1.0 / f64::from(tick_rate_hz.max(1)));
        self.cadence = Some((u32::from(ticks_per_snapshot.max(1)), tick));
    }

    /// The server's `interpolation_delay`: others are never drawn less far behind.
    /// Call it on `Welcome` and `Settings`.
    pub fn set_interpolation_delay(&mut self, delay: Duration) {
        self.floor_ms = delay.as_secs_f64() * 1000.0;
    }

    fn local_ms(&mut self, at: Instant) -> f64 {
        let origin = *self.origin.get_or_insert(at);
        at.checked_duration_since(origin).map_or(0.0, |elapsed| elapsed.as_secs_f64() * 1000.0)
    }

    /// Records the mirror as it was when a snapshot arrived at `at`.
    pub fn push(&mut self, at: Instant, world: &WorldState) {
        let now = self.local_ms(at);
        let (current_every, tick) = self.cadence.unwrap_or((1, Duration::from_millis(1)));
        let tick_ms = tick.as_secs_f64() * 1000.0;
        let every = current_every.max(self.newest_every);
        self.newest_every = current_every;
        let server_ms = match self.states.back() {
            None => 0.0,
            Some(last) => {
                if !tickwire_protocol::tick::is_after(world.tick, last.world.tick) {
                    return; // not newer than what is held
                }
                let gap = tickwire_protocol::tick::since(world.tick, last.world.tick);
                let server_ms = last.server_ms + f64::from(gap) * tick_ms;
                if self.cadence.is_some() && gap > every {
                    // A quiet gap: the world one interval before this state was the last one.
                    let mut held = last.world.clone();
                    held.tick = world.tick.wrapping_sub(every);
                    let held_ms = server_ms - f64::from(every) * tick_ms;
                    self.keep(Placed { server_ms: held_ms, world: held });
                }
                server_ms
            }
        };
        self.keep(Placed { server_ms, world: world.clone() });
        let lateness = self.observe_offset(now, now - server_ms);
        self.observe_need(now, lateness + f64::from(current_every) * tick_ms + DELAY_MARGIN_MS);
    }

    fn keep(&mut self, placed: Placed) {
        if self.states.len() == KEPT {
            self.states.pop_front();
        }
        self.states.push_back(placed);
    }

    /// Adds an arrival's offset; returns how much later than the earliest path it came.
    fn observe_offset(&mut self, now: f64, offset: f64) -> f64 {
        while self.offsets.back().is_some_and(|&(_, kept)| offset <= kept) {
            self.offsets.pop_back();
        }
        self.offsets.push_back((now, offset));
        let window = CLOCK_WINDOW.as_secs_f64() * 1000.0;
        while self.offsets.len() > 1
            && self.offsets.front().is_some_and(|&(at, _)| at <= now - window)
        {
            self.offsets.pop_front();
        }
        offset - self.offsets.front().map_or(offset, |&(_, min)| min)
    }

    fn observe_need(&mut self, now: f64, need: f64) {
        while self.needs.back().is_some_and(|&(_, kept)| need >= kept) {
            self.needs.pop_back();
        }
        self.needs.push_back((now, need));
        self.update_delay(now);
    }

    fn update_delay(&mut self, now: f64) -> f64 {
        let window = DELAY_WINDOW.as_secs_f64() * 1000.0;
        while self.needs.len() > 1 && self.needs.front().is_some_and(|&(at, _)| at <= now - window)
        {
            self.needs.pop_front();
        }
        let target = self.needs.front().map_or(self.floor_ms, |&(_, need)| need.max(self.floor_ms));
        let delay = match self.delay {
            Some((current, at)) if target < current => {
                (current - SHRINK_MS_PER_S * (now - at).max(0.0) / 1000.0).max(target)
            }
            _ => target,
        };
        let at = self.delay.map_or(now, |(_, at)| at.max(now));
        self.delay = Some((delay, at));
        delay
    }

    /// How far behind the estimated server clock others are drawn at `now`.
    pub fn delay(&mut self, now: Instant) -> Duration {
        let now = self.local_ms(now);
        Duration::from_secs_f64(self.update_delay(now).max(0.0) / 1000.0)
    }

    /// Moves the time drawn on to the frame at `now`: towards estimated server time −
    /// delay, at a bounded rate, never past the newest state + [`EXTRAPOLATE`].
    pub fn advance(&mut self, now: Instant) {
        let now = self.local_ms(now);
        let (Some(&(_, offset)), Some(newest)) = (self.offsets.front(), self.states.back()) else {
            return;
        };
        let newest_ms = newest.server_ms;
        let target = now - offset - self.update_delay(now);
        let time = match self.drawn {
            Some((time, at)) if now <= at => time,
            Some((time, at)) => {
                let free = time + (now - at);
                let gap = target - free;
                if gap.abs() > SNAP_MS {
                    target
                } else {
                    time + (now - at) * (1.0 + gap / CATCH_UP_MS).clamp(MIN_RATE, MAX_RATE)
                }
            }
            None => target,
        };
        let limit = newest_ms + EXTRAPOLATE.as_secs_f64() * 1000.0;
        self.drawn = Some((time.min(limit), now.max(self.drawn.map_or(now, |(_, at)| at))));
        // Older states than the pair around the time drawn are never needed again.
        let drawn = time.min(limit);
        while self.states.len() > 2
            && self.states.get(1).is_some_and(|state| state.server_ms <= drawn)
        {
            self.states.pop_front();
        }
    }

    /// Forgets every state and the timeline (a new session).
    pub fn clear(&mut self) {
        self.states.clear();
        self.offsets.clear();
        self.needs.clear();
        self.delay = None;
        self.drawn = None;
        self.newest_every = 0;
    }

    /// Where actor `id` is drawn at the time [`Interpolator::advance`] moved to, in world
    /// units: interpolated between the states around it, extrapolated a bounded way past
    /// the newest. `None` when no state holds the actor.
    pub fn position(&self, id: u32) -> Option<Vec2> {
        let newest = self.states.back()?;
        let Some((time, _)) = self.drawn else {
            return newest.world.position(id);
        };
        let after = self.states.iter().position(|state| state.server_ms > time);
        let (before, after, share) = match after {
            Some(0) => return self.states.front().and_then(|state| state.world.position(id)),
            Some(index) => {
                let (before, after) = (&self.states[index - 1], &self.states[index]);
                let span = (after.server_ms - before.server_ms).max(1e-6);
                (before, after, ((time - before.server_ms) / span).clamp(0.0, 1.0))
            }
            None => {
                let count = self.states.len();
                if count < 2 {
                    return newest.world.position(id);
                }
                let before = &self.states[count - 2];
                let span = (newest.server_ms - before.server_ms).max(1e-6);
                (before, newest, 1.0 + (time - newest.server_ms).max(0.0) / span)
            }
        };
        match (before.world.position(id), after.world.position(id)) {
            #[allow(clippy::cast_possible_truncation)] // a share of a span: small
            (Some(from), Some(to)) => Some(from + (to - from) * share as f32),
            // Spawned or despawned in between: no motion to interpolate.
            (from, to) => to.or(from),
        }
    }
}

#[cfg(test)]
mod tests {
    use tickwire_protocol::{ActorKind, ActorRow};

    use super::*;

    fn world(tick: u32, x: i32) -> WorldState {
        let row = ActorRow { id: 1, x, y: 0, vx: 0, vy: 0, kind: ActorKind::Npc, fields: [0; 4] };
        WorldState::from_rows(tick, 1, [row])
    }

    fn ms(start: Instant, ms: f64) -> Instant {
        start + Duration::from_secs_f64(ms / 1000.0)
    }

    /// 30 Hz, a snapshot every 2 ticks (66.7 ms), a 100 ms interpolation delay.
    fn thirty_hz() -> Interpolator {
        let mut interpolator = Interpolator::default();
        interpolator.set_cadence(2, 30);
        interpolator.set_interpolation_delay(Duration::from_millis(100));
        interpolator
    }

    fn x_at(interpolator: &mut Interpolator, at: Instant) -> f32 {
        interpolator.advance(at);
        interpolator.position(1).expect("the actor is known").x
    }

    #[test]
    fn states_sit_at_their_ticks_and_are_drawn_the_delay_behind_the_server_clock() {
        let start = Instant::now();
        let mut interpolator = thirty_hz();
        for i in 0..4_u32 {
            interpolator
                .push(ms(start, f64::from(i) * 200.0 / 3.0), &world(2 + 2 * i, 10 * i as i32));
        }
        // 250 ms local = 250 ms server (the first arrival); − 100 ms: 150, between ticks 6 and 8.
        let x = x_at(&mut interpolator, ms(start, 250.0));
        assert!((x - 22.5).abs() < 1e-3, "interpolated at the render time: {x}");
        assert_eq!(interpolator.position(2), None, "an unknown actor has no position");
        interpolator.clear();
        assert_eq!(interpolator.position(1), None, "a cleared interpolator knows nothing");
    }

    #[test]
    fn a_burst_does_not_bunch_the_motion() {
        let start = Instant::now();
        let mut interpolator = thirty_hz();
        interpolator.push(start, &world(2, 0));
        for i in 1..=3_u32 {
            interpolator.push(ms(start, 200.0), &world(2 + 2 * i, 10 * i as i32));
        }
        let delay = interpolator.delay(ms(start, 200.0)).as_secs_f64() * 1000.0;
        assert!((delay - (200.0 + 20.0)).abs() < 1e-6, "the delay covers the burst: {delay}");
        let first = x_at(&mut interpolator, ms(start, 300.0));
        let second = x_at(&mut interpolator, ms(start, 300.0 + 200.0 / 3.0));
        assert!(
            (second - first - 10.0).abs() < 1e-3,
            "one interval of motion per interval: {first} -> {second}"
        );
    }

    #[test]
    fn starved_it_goes_on_a_bounded_way_then_holds() {
        let start = Instant::now();
        let mut interpolator = thirty_hz();
        interpolator.push(start, &world(2, 0));
        interpolator.push(ms(start, 200.0 / 3.0), &world(4, 10));
        let held = x_at(&mut interpolator, ms(start, 2000.0));
        assert!((held - 25.0).abs() < 1e-3, "10 per interval for 100 ms past the newest: {held}");
        assert!((x_at(&mut interpolator, ms(start, 2500.0)) - 25.0).abs() < 1e-3, "then held");
    }

    #[test]
    fn after_a_quiet_gap_motion_takes_one_interval_not_the_whole_gap() {
        let start = Instant::now();
        // 30 Hz, a snapshot every 3 ticks (100 ms); ticks 10 and 40 are a second apart.
        let mut interpolator = thirty_hz();
        interpolator.set_cadence(3, 30);
        interpolator.push(start, &world(10, 0));
        interpolator.push(ms(start, 1000.0), &world(40, 10));
        // Local = server time; drawn 120 ms behind (an interval and the margin).
        assert_eq!(
            x_at(&mut interpolator, ms(start, 1000.0)),
            0.0,
            "held at rest until one interval before"
        );
        assert!(
            (x_at(&mut interpolator, ms(start, 1070.0)) - 5.0).abs() < 1e-3,
            "halfway through the last interval"
        );
        // A regular gap gets no held state.
        let mut regular = thirty_hz();
        regular.set_cadence(3, 30);
        regular.push(start, &world(10, 0));
        regular.push(ms(start, 100.0), &world(13, 10));
        assert!(
            (x_at(&mut regular, ms(start, 170.0)) - 5.0).abs() < 1e-3,
            "interpolated over the whole regular gap"
        );
    }

    #[test]
    fn a_quiet_gap_across_the_tick_wrap_is_held_like_any_other() {
        let start = Instant::now();
        let mut interpolator = thirty_hz();
        interpolator.set_cadence(3, 30);
        interpolator.push(start, &world(u32::MAX - 9, 0));
        interpolator.push(ms(start, 1000.0), &world(20, 10));
        assert_eq!(
            x_at(&mut interpolator, ms(start, 600.0)),
            0.0,
            "30 ticks across the wrap are a quiet gap: held at rest"
        );
    }

    #[test]
    fn the_delay_grows_at_once_and_shrinks_slowly() {
        let start = Instant::now();
        let mut interpolator = thirty_hz();
        interpolator.push(start, &world(2, 0));
        let ms_of = |delay: Duration| delay.as_secs_f64() * 1000.0;
        assert!(
            (ms_of(interpolator.delay(start)) - 100.0).abs() < 1e-6,
            "the server's delay is the floor"
        );
        interpolator.push(ms(start, 200.0 / 3.0 + 150.0), &world(4, 10)); // 150 ms late
        let grown = 150.0 + 200.0 / 3.0 + 20.0;
        assert!(
            (ms_of(interpolator.delay(ms(start, 300.0))) - grown).abs() < 1e-3,
            "grown at once"
        );
        // On time from then on (local = server time).
        for tick in (10..=160_u32).step_by(2) {
            interpolator.push(ms(start, f64::from(tick - 2) * 100.0 / 3.0), &world(tick, 0));
        }
        let later = ms(start, 5300.0);
        let shrunk = ms_of(interpolator.delay(later));
        assert!(
            shrunk < grown && shrunk > 100.0,
            "shrinking slowly once the window passed: {shrunk}"
        );
    }
}
