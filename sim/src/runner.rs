//! The sim thread: a fixed-tick loop with absolute deadlines.
//!
//! Tick `n` is due at `anchor + n * dt`, so sleeping late never accumulates into drift.
//! A tick that ends past the next deadline is an overrun: counted and logged, and the
//! loop runs the next tick at once to catch up. Catch-up is bounded: when the loop is
//! more than `max_catch_up_ticks` behind it skips ahead instead of spiralling. When the
//! tick rate changes, the schedule is re-anchored at the current deadline.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use tickwire_protocol::Settings;
use tracing::{info, warn};

use crate::Frame;
use crate::command::SimInbox;
use crate::simulation::Simulation;

/// Counters the sim thread keeps, readable from any thread.
#[derive(Debug, Default)]
pub struct TickStats {
    /// Ticks simulated.
    pub ticks: AtomicU64,
    /// Ticks that ended after the next tick was due.
    pub overruns: AtomicU64,
    /// Ticks skipped because the loop fell too far behind to catch up.
    pub skipped: AtomicU64,
}

/// A running sim thread. Dropping it stops the thread after its current tick.
pub struct SimThread {
    stop: Arc<AtomicBool>,
    stats: Arc<TickStats>,
    handle: Option<JoinHandle<()>>,
}

/// How often an overrun is logged at most; every overrun is still counted.
const OVERRUN_LOG_INTERVAL: Duration = Duration::from_secs(5);

impl SimThread {
    /// Starts the sim on its own OS thread. `publish` receives a frame every
    /// `broadcast_every` ticks, with the settings it was built under.
    ///
    /// # Errors
    /// The OS refused to start a thread.
    pub fn spawn(
        simulation: Simulation,
        inbox: SimInbox,
        publish: impl FnMut(Arc<Frame>, Settings) + Send + 'static,
        max_catch_up_ticks: u32,
    ) -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let stats = Arc::new(TickStats::default());
        let handle = thread::Builder::new().name("tickwire-sim".into()).spawn({
            let stop = Arc::clone(&stop);
            let stats = Arc::clone(&stats);
            move || run_loop(simulation, inbox, publish, max_catch_up_ticks, &stop, &stats)
        })?;
        Ok(Self { stop, stats, handle: Some(handle) })
    }

    /// The thread's counters.
    pub fn stats(&self) -> &TickStats {
        &self.stats
    }

    /// Stops the loop after its current tick and waits for the thread to end.
    pub fn stop(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(handle) = self.handle.take()
            && handle.join().is_err()
        {
            warn!("the sim thread panicked");
        }
    }
}

impl Drop for SimThread {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn tick_duration(simulation: &Simulation) -> Duration {
    Duration::from_secs_f32(simulation.settings().tick_seconds())
}

fn run_loop(
    mut simulation: Simulation,
    inbox: SimInbox,
    mut publish: impl FnMut(Arc<Frame>, Settings),
    max_catch_up_ticks: u32,
    stop: &AtomicBool,
    stats: &TickStats,
) {
    let mut dt = tick_duration(&simulation);
    let mut anchor = Instant::now();
    let mut ticks_since_anchor: u32 = 0;
    let mut last_overrun_log: Option<Instant> = None;
    info!(tick_rate_hz = simulation.settings().tick_rate_hz, "sim started");

    while !stop.load(Ordering::Relaxed) {
        for command in inbox.drain() {
            simulation.apply(command);
        }
        simulation.step();
        if simulation.tick().is_multiple_of(u32::from(simulation.settings().broadcast_every)) {
            publish(Arc::new(simulation.frame()), simulation.settings());
        }
        stats.ticks.fetch_add(1, Ordering::Relaxed);

        ticks_since_anchor += 1;
        let next_dt = tick_duration(&simulation);
        if next_dt != dt {
            anchor += dt * ticks_since_anchor;
            ticks_since_anchor = 0;
            dt = next_dt;
        }
        let deadline = anchor + dt * ticks_since_anchor;
        let now = Instant::now();
        if now < deadline {
            thread::sleep(deadline - now);
            continue;
        }
        stats.overruns.fetch_add(1, Ordering::Relaxed);
        let behind = now - deadline;
        if last_overrun_log.is_none_or(|at| now - at >= OVERRUN_LOG_INTERVAL) {
            last_overrun_log = Some(now);
            warn!(
                tick = simulation.tick(),
                behind_ms = behind.as_secs_f64() * 1e3,
                overruns = stats.overruns.load(Ordering::Relaxed),
                "tick overran its deadline"
            );
        }
        if behind > dt * max_catch_up_ticks {
            let skipped =
                u64::try_from(behind.as_nanos() / dt.as_nanos().max(1)).unwrap_or(u64::MAX);
            stats.skipped.fetch_add(skipped, Ordering::Relaxed);
            warn!(skipped, "sim fell too far behind; skipping ahead instead of catching up");
            anchor = now;
            ticks_since_anchor = 0;
        }
    }
    info!(tick = simulation.tick(), "sim stopped");
}
