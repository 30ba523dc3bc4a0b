//! How late the sim pool starts each room's tick, with and without one slow room.
//!
//! 200 rooms of 20 wandering NPCs at 30 Hz share a pool of two threads (one per core
//! here); then one more room whose gameplay burns 40 ms a tick (more than its 33 ms tick)
//! joins them. Every tick's start is compared with its deadline. A slow room can take one
//! thread for itself; the others' lateness should stay what the remaining thread makes
//! unavoidable, not grow with the slow room's backlog.
//!
//!     cargo run --release -p tickwire-sim --example pool_lateness [-- SECONDS]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tickwire_protocol::Settings;
use tickwire_sim::{
    RunnerOptions, SimConfig, SimMetrics, SimPool, SimSet, Simulation, Ticking, WorldLoop,
    WorldStats, sim_channels,
};

/// Lateness of every tick of the rooms that record, in microseconds.
type Lateness = Arc<Mutex<Vec<u64>>>;

/// A world that records how late each of its ticks started.
struct Measured<T> {
    world: T,
    due: Option<Instant>,
    lateness: Option<Lateness>,
}

impl<T: Ticking> Ticking for Measured<T> {
    fn tick(&mut self, now: Instant) -> Option<Instant> {
        if let (Some(due), Some(lateness)) = (self.due, &self.lateness) {
            let late = now.saturating_duration_since(due).as_micros();
            if let Ok(mut lateness) = lateness.lock() {
                lateness.push(u64::try_from(late).unwrap_or(u64::MAX));
            }
        }
        self.due = self.world.tick(now);
        self.due
    }

    fn cadence(&self) -> Option<tickwire_sim::Cadence> {
        self.world.cadence()
    }

    fn starts_at(&mut self, due: Instant) {
        self.due = Some(due);
        self.world.starts_at(due);
    }
}

fn room(burn: Duration) -> impl Ticking {
    let config = SimConfig {
        settings: Settings { tick_rate_hz: 30, ..Settings::default() },
        npcs: 20,
        ..SimConfig::default()
    };
    let mut simulation = Simulation::new(config);
    if !burn.is_zero() {
        simulation.add_systems(SimSet::Simulate, move || {
            let until = Instant::now() + burn;
            while Instant::now() < until {
                std::hint::spin_loop();
            }
        });
    }
    let (_sender, inbox) = sim_channels(64);
    let options = RunnerOptions {
        max_catch_up_ticks: 5,
        metrics: SimMetrics::noop(),
        autotuner: None,
        stats: Arc::new(WorldStats::default()),
        seats: 5,
        span: tracing::Span::none(),
    };
    WorldLoop::new(simulation, inbox, |_| {}, options, Instant::now())
}

fn run(seconds: u64, slow_room: bool) -> std::io::Result<Vec<u64>> {
    let pool = SimPool::new(2)?;
    let lateness: Lateness = Arc::default();
    let start = Instant::now();
    for _ in 0..200 {
        let measured =
            Measured { world: room(Duration::ZERO), due: None, lateness: Some(lateness.clone()) };
        pool.insert(measured, start);
    }
    if slow_room {
        let slow = Measured { world: room(Duration::from_millis(40)), due: None, lateness: None };
        pool.insert(slow, start);
    }
    std::thread::sleep(Duration::from_secs(seconds));
    pool.stop();
    let mut lateness = lateness.lock().map(|lateness| lateness.clone()).unwrap_or_default();
    lateness.sort_unstable();
    Ok(lateness)
}

fn quantile(sorted: &[u64], q: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted.get(index).map_or(0.0, |micros| *micros as f64 / 1000.0)
}

fn main() -> std::io::Result<()> {
    let seconds = std::env::args().nth(1).and_then(|text| text.parse().ok()).unwrap_or(10);
    println!("200 rooms x 20 NPCs at 30 Hz on 2 pool threads, {seconds} s each run");
    println!("{:<28} {:>8} {:>9} {:>9} {:>9}", "run", "ticks", "p50 ms", "p99 ms", "max ms");
    for (name, slow) in [("200 rooms", false), ("200 rooms + 1 slow (40 ms)", true)] {
        let lateness = run(seconds, slow)?;
        println!(
            "{name:<28} {:>8} {:>9.3} {:>9.3} {:>9.3}",
            lateness.len(),
            quantile(&lateness, 0.5),
            quantile(&lateness, 0.99),
            quantile(&lateness, 1.0),
        );
    }
    Ok(())
}
