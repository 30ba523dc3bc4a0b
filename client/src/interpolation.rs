//! [`Interpolator`]: where other actors are drawn between snapshots.
//!
//! Snapshots arrive every few ticks; drawing each actor at its newest position makes
//! motion stutter. The interpolator keeps the last few mirror states with the time each
//! arrived and answers "where was this actor at time t", interpolating between the two
//! states around t. Render at `now - interpolation_delay` (from the server's settings)
//! so there is nearly always a newer state to interpolate towards.
//!
//! The server skips snapshots while nothing changes (sending one a second as a
//! heartbeat), so a gap in ticks longer than this client's snapshot interval means the
//! world stood still in between. Given that interval ([`Interpolator::set_cadence`]), the
//! interpolator holds the older state until one interval before the newer one, so motion
//! that resumes after a quiet spell plays at its real speed instead of being stretched
//! over the whole gap.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use glam::Vec2;
use tickwire_protocol::WorldState;

/// Recent mirror states with their arrival times.
#[derive(Debug, Default)]
pub struct Interpolator {
    states: VecDeque<(Instant, WorldState)>,
    /// Ticks between this client's snapshots, and the length of a tick.
    cadence: Option<(u32, Duration)>,
    /// The ticks between snapshots when the newest state arrived: right after the
    /// interval shrinks (a throttle lifting), the first gap may still be the old one.
    newest_every: u32,
}

/// How many states are kept: a second at 16 snapshots per second, ample for any delay.
const KEPT: usize = 16;

impl Interpolator {
    /// How often this client gets snapshots: every `ticks_per_snapshot` ticks at
    /// `tick_rate_hz` (the settings' `broadcast_every`, or the interval of the server's
    /// latest `SnapshotRate`). Call it on `Welcome`, `Settings` and `SnapshotRate`.
    pub fn set_cadence(&mut self, ticks_per_snapshot: u16, tick_rate_hz: u16) {
        let tick = Duration::from_secs_f64(1.0 / f64::from(tick_rate_hz.max(1)));
        self.cadence = Some((u32::from(ticks_per_snapshot.max(1)), tick));
    }

    /// Records the mirror as it was when a snapshot arrived at `at`.
    pub fn push(&mut self, at: Instant, world: &WorldState) {
        let current_every = self.cadence.map_or(0, |(every, _)| every);
        let every = current_every.max(self.newest_every);
        self.newest_every = current_every;
        if let (Some((_, tick)), Some((last_at, last))) = (self.cadence, self.states.back())
            && tickwire_protocol::tick::is_after(world.tick, last.tick.wrapping_add(every))
            && let Some(hold_at) = at.checked_sub(tick * every)
            && hold_at > *last_at
        {
            // A quiet gap: the world one interval before this state was the last one.
            let mut held = last.clone();
            held.tick = world.tick.wrapping_sub(every);
            self.keep((hold_at, held));
        }
        self.keep((at, world.clone()));
    }

    fn keep(&mut self, state: (Instant, WorldState)) {
        if self.states.len() == KEPT {
            self.states.pop_front();
        }
        self.states.push_back(state);
    }

    /// Forgets every state (after a reconnect, for example).
    pub fn clear(&mut self) {
        self.states.clear();
    }

    /// Where actor `id` was at `at`, in world units: interpolated between the states
    /// around `at`, the oldest state's position before them, the newest's after them.
    /// `None` when no state holds the actor.
    pub fn position(&self, id: u32, at: Instant) -> Option<Vec2> {
        let after = self.states.iter().position(|(time, _)| *time > at);
        let (before, after) = match after {
            Some(0) => return self.states.front().and_then(|(_, world)| world.position(id)),
            Some(index) => (&self.states[index - 1], &self.states[index]),
            None => return self.states.back().and_then(|(_, world)| world.position(id)),
        };
        let (from, to) = (before.1.position(id), after.1.position(id));
        match (from, to) {
            (Some(from), Some(to)) => {
                let span = after.0.duration_since(before.0).max(Duration::from_micros(1));
                let share = at.duration_since(before.0).as_secs_f32() / span.as_secs_f32();
                Some(from.lerp(to, share.clamp(0.0, 1.0)))
            }
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

    #[test]
    fn positions_are_interpolated_between_the_states_around_the_time() {
        let start = Instant::now();
        let mut interpolator = Interpolator::default();
        interpolator.push(start, &world(2, 0));
        interpolator.push(start + Duration::from_millis(100), &world(4, 10));
        let at = |ms| {
            interpolator.position(1, start + Duration::from_millis(ms)).map(|position| position.x)
        };
        assert_eq!(at(50), Some(5.0), "halfway between the states, halfway between the positions");
        assert_eq!(at(0), Some(0.0));
        assert_eq!(at(500), Some(10.0), "after the newest state, its position");
        assert_eq!(interpolator.position(2, start), None, "an unknown actor has no position");
        interpolator.clear();
        assert_eq!(interpolator.position(1, start), None, "a cleared interpolator knows nothing");
    }

    #[test]
    fn after_a_quiet_gap_motion_takes_one_interval_not_the_whole_gap() {
        let start = Instant::now();
        let at = |interpolator: &Interpolator, ms| {
            interpolator.position(1, start + Duration::from_millis(ms)).map(|position| position.x)
        };
        // 30 Hz, a snapshot every 3 ticks (100 ms); ticks 10 and 40 are a second apart.
        let mut interpolator = Interpolator::default();
        interpolator.set_cadence(3, 30);
        interpolator.push(start, &world(10, 0));
        interpolator.push(start + Duration::from_millis(1000), &world(40, 10));
        assert_eq!(at(&interpolator, 500), Some(0.0), "held at rest until one interval before");
        assert_eq!(at(&interpolator, 900), Some(0.0), "the move starts one interval before");
        let halfway = at(&interpolator, 950).expect("the actor is known");
        assert!((halfway - 5.0).abs() < 1e-3, "halfway through the last interval: {halfway}");
        // A regular gap gets no held state.
        let mut regular = Interpolator::default();
        regular.set_cadence(3, 30);
        regular.push(start, &world(10, 0));
        regular.push(start + Duration::from_millis(100), &world(13, 10));
        assert_eq!(at(&regular, 50), Some(5.0), "interpolated over the whole regular gap");
        // A throttle lifting: the first gap after the interval shrank is the old one.
        regular.set_cadence(1, 30);
        regular.push(start + Duration::from_millis(200), &world(16, 20));
        assert_eq!(at(&regular, 150), Some(15.0), "the old interval's gap is not quiet");
    }

    #[test]
    fn a_quiet_gap_across_the_tick_wrap_is_held_like_any_other() {
        let start = Instant::now();
        let mut interpolator = Interpolator::default();
        interpolator.set_cadence(3, 30);
        interpolator.push(start, &world(u32::MAX - 9, 0));
        interpolator.push(start + Duration::from_millis(1000), &world(20, 10));
        let at = |ms| interpolator.position(1, start + Duration::from_millis(ms)).map(|p| p.x);
        assert_eq!(at(500), Some(0.0), "30 ticks across the wrap are a quiet gap: held at rest");
    }
}
