//! What a playing bot of any target shares: when its next input is due, and the wandering
//! direction it carries, so Tickwire and Colyseus bots steer alike.

use std::time::Duration;

use glam::Vec2;
use tokio::time::{Instant, Interval, MissedTickBehavior, interval};

/// A playing bot's inputs: a timer and the steering they carry.
pub(super) struct Player {
    steering: Steering,
    timer: Interval,
}

impl Player {
    /// A player sending an input every `period`, the first at once.
    pub(super) fn new(period: Duration) -> Self {
        Self { steering: Steering::new(), timer: input_timer(period) }
    }

    /// Waits until the next input is due; the direction it carries. Cancel-safe.
    pub(super) async fn next_input(&mut self) -> Vec2 {
        self.timer.tick().await;
        self.steering.direction()
    }

    /// From now on, an input every `period` (unchanged if that is the period already).
    pub(super) fn set_period(&mut self, period: Duration) {
        if period != self.timer.period() {
            self.timer = input_timer(period);
        }
    }
}

/// A timer due every `period`, first at once; a late tick delays the next ones rather than
/// bursting to catch up.
fn input_timer(period: Duration) -> Interval {
    let mut timer = interval(period);
    timer.set_missed_tick_behavior(MissedTickBehavior::Delay);
    timer
}

/// A wandering player: a random heading, changed every one to three seconds.
struct Steering {
    rng: fastrand::Rng,
    direction: Vec2,
    turn_at: Instant,
}

impl Steering {
    fn new() -> Self {
        let mut steering =
            Self { rng: fastrand::Rng::new(), direction: Vec2::ZERO, turn_at: Instant::now() };
        steering.direction();
        steering
    }

    fn direction(&mut self) -> Vec2 {
        let now = Instant::now();
        if now >= self.turn_at {
            self.direction = Vec2::from_angle(self.rng.f32() * std::f32::consts::TAU);
            self.turn_at = now + Duration::from_millis(self.rng.u64(1000..=3000));
        }
        self.direction
    }
}
