//! The sim thread: a fixed-tick loop with absolute deadlines.
//!
//! Tick `n` is due at `anchor + n * dt`, so sleeping late never accumulates into drift.
//! A tick that ends past the next deadline is an overrun: counted and logged, and the
//! loop runs the next tick at once to catch up. Catch-up is bounded: when the loop is
//! more than `max_catch_up_ticks` behind it skips ahead instead of spiralling. When the
//! tick rate changes, the schedule is re-anchored at the current deadline.
//!
//! Each tick is measured (drain, schedule, frame) for the metrics and the auto-tuner,
//! whose changes land at the next tick boundary like any other settings change.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use tickwire_protocol::{GameEvent, Settings};
use tracing::{info, warn};

use crate::Frame;
use crate::autotune::Autotuner;
use crate::command::{SessionId, SimInbox};
use crate::metrics::{PeakWindow, SimMetrics};
use crate::simulation::{Applied, Simulation};

/// What the sim hands the network side on every snapshot tick.
#[derive(Debug)]
pub struct Publication {
    /// The replicated state.
    pub frame: Arc<Frame>,
    /// The settings the frame was built under.
    pub settings: Settings,
    /// Gameplay events since the previous frame, in order.
    pub events: Vec<GameEvent>,
    /// Each player's newest applied input sequence, by session, sorted by session.
    pub input_acks: Vec<(SessionId, u32)>,
}

/// How the sim thread runs, besides the simulation itself.
#[derive(Debug)]
pub struct RunnerOptions {
    /// How many late ticks run back to back before the loop skips ahead instead.
    pub max_catch_up_ticks: u32,
    /// Where tick measurements go.
    pub metrics: SimMetrics,
    /// The auto-tuner, if any.
    pub autotuner: Option<Autotuner>,
}

/// A running sim thread. Dropping it stops the thread after its current tick.
pub struct SimThread {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

/// How often an overrun is logged at most; every overrun is still counted.
const OVERRUN_LOG_INTERVAL: Duration = Duration::from_secs(5);

impl SimThread {
    /// Starts the sim on its own OS thread. `publish` receives a [`Publication`] every
    /// `broadcast_every` ticks.
    ///
    /// # Errors
    /// The OS refused to start a thread.
    pub fn spawn(
        simulation: Simulation,
        inbox: SimInbox,
        publish: impl FnMut(Publication) + Send + 'static,
        options: RunnerOptions,
    ) -> std::io::Result<Self> {
        // Reported before the thread starts, so a scrape as soon as the server answers
        // sees the settings in force.
        options.metrics.record_settings(&simulation.settings());
        let stop = Arc::new(AtomicBool::new(false));
        let handle = thread::Builder::new().name("tickwire-sim".into()).spawn({
            let stop = Arc::clone(&stop);
            move || run_loop(simulation, inbox, publish, options, &stop)
        })?;
        Ok(Self { stop, handle: Some(handle) })
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
    mut publish: impl FnMut(Publication),
    mut options: RunnerOptions,
    stop: &AtomicBool,
) {
    let metrics = options.metrics.clone();
    let mut dt = tick_duration(&simulation);
    let mut anchor = Instant::now();
    let mut ticks_since_anchor: u32 = 0;
    let mut last_overrun_log: Option<Instant> = None;
    let mut reported_settings = Some(simulation.settings());
    let mut peak = PeakWindow::new(anchor);
    info!(tick_rate_hz = simulation.settings().tick_rate_hz, "sim started");

    while !stop.load(Ordering::Relaxed) {
        let started = Instant::now();
        for command in inbox.drain() {
            match simulation.apply(command) {
                Applied::StaleInput => metrics.stale_inputs.increment(1),
                Applied::DetachedInput => metrics.detached_inputs.increment(1),
                Applied::Done | Applied::Ignored => {}
            }
        }
        simulation.step();
        let settings = simulation.settings();
        if simulation.tick().is_multiple_of(u32::from(settings.broadcast_every)) {
            let frame = simulation.frame();
            metrics.actors.set(frame.len() as f64);
            let events = simulation.take_events();
            let input_acks = simulation.input_acks();
            publish(Publication { frame: Arc::new(frame), settings, events, input_acks });
        }
        let took = started.elapsed();
        metrics.tick_duration.record(took.as_secs_f64());
        peak.record(took, started + took, &metrics.tick_peak);
        metrics.ticks.increment(1);
        if reported_settings != Some(settings) {
            metrics.record_settings(&settings);
            reported_settings = Some(settings);
        }
        if let Some(tuner) = options.autotuner.as_mut() {
            tuner.record_tick(took);
            if let Some(adjustment) = tuner.decide(&settings, Instant::now()) {
                match adjustment.patch.apply_to(&settings) {
                    Ok(tuned) => {
                        let changes = if adjustment.degrades {
                            &metrics.autotune_degrades
                        } else {
                            &metrics.autotune_restores
                        };
                        changes.increment(1);
                        simulation
                            .set_settings(tuned, &format!("auto-tune: {}", adjustment.reason));
                    }
                    Err(error) => warn!(%error, "auto-tune proposed invalid settings"),
                }
            }
        }

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
        metrics.overruns.increment(1);
        let behind = now - deadline;
        if last_overrun_log.is_none_or(|at| now - at >= OVERRUN_LOG_INTERVAL) {
            last_overrun_log = Some(now);
            warn!(
                tick = simulation.tick(),
                behind_ms = behind.as_secs_f64() * 1e3,
                "tick overran its deadline"
            );
        }
        if behind > dt * options.max_catch_up_ticks {
            let skipped =
                u64::try_from(behind.as_nanos() / dt.as_nanos().max(1)).unwrap_or(u64::MAX);
            metrics.skipped_ticks.increment(skipped);
            warn!(skipped, "sim fell too far behind; skipping ahead instead of catching up");
            anchor = now;
            ticks_since_anchor = 0;
        }
    }
    info!(tick = simulation.tick(), "sim stopped");
}
