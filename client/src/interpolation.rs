//! [`Interpolator`]: where other actors are drawn between snapshots.
//!
//! Snapshots arrive every few ticks; drawing each actor at its newest position makes
//! motion stutter. The interpolator keeps the last few mirror states with the time each
//! arrived and answers "where was this actor at time t", interpolating between the two
//! states around t. Render at `now - interpolation_delay` (from the server's settings)
//! so there is nearly always a newer state to interpolate towards.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use glam::Vec2;
use tickwire_protocol::WorldState;

/// Recent mirror states with their arrival times.
#[derive(Debug, Default)]
pub struct Interpolator {
    states: VecDeque<(Instant, WorldState)>,
}

/// How many states are kept: a second at 16 snapshots per second, ample for any delay.
const KEPT: usize = 16;

impl Interpolator {
    /// Records the mirror as it was when a snapshot arrived at `at`.
    pub fn push(&mut self, at: Instant, world: &WorldState) {
        if self.states.len() == KEPT {
            self.states.pop_front();
        }
        self.states.push_back((at, world.clone()));
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
}
