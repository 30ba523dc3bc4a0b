//! The sim thread: one world's fixed tick ([`WorldLoop`]), stepped by a [`SimPool`].
//!
//! Deadlines are absolute and catch-up is bounded ([`crate::clock`]). A tick that ends
//! past the next deadline is an overrun: counted and logged, and the next tick runs at
//! once to catch up; far behind, the clock skips ahead instead of spiralling.
//!
//! Each tick is measured (drain, schedule, frame) for the metrics and the auto-tuner,
//! whose changes land at the next tick boundary like any other settings change.
//!
//! A world given a [`Rebuild`] lets its bevy `World` go while parked and is built again
//! at its next tick ([`crate::rebuild`]).
//!
//! A tick runs in the world's span, so its log lines name its room. A tick whose game
//! panics ends the world: logged, counted, and told to its [`Publish`] so the network
//! side can close its players with a reason.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tickwire_protocol::untrusted::Untrusted;
use tickwire_protocol::{GameEvent, Settings};
use tracing::{Span, error, info, warn};

use crate::WorldSnapshot;
use crate::autotune::Autotuner;
use crate::batches::Cadence;
use crate::clock::{Lateness, TickClock};
use crate::command::{SessionId, SimInbox};
use crate::metrics::{PeakWindow, SimMetrics, WorldStats};
use crate::pool::{Litter, SimPool, Ticking};
use crate::rebuild::Rebuild;
use crate::simulation::{Applied, Simulation};

/// What the sim hands the network side on every snapshot tick.
#[derive(Debug)]
pub struct Publication {
    /// The replicated state.
    pub snapshot: Arc<WorldSnapshot>,
    /// The settings the frame was built under.
    pub settings: Settings,
    /// Gameplay events since the previous frame, in order.
    pub events: Vec<GameEvent>,
    /// Each player's newest applied input sequence, by session, sorted by session.
    pub input_acks: Vec<(SessionId, u32)>,
}

/// Where a world's frames go (the network side's snapshot ring). Any
/// `FnMut(Publication)` is one that keeps nothing worth freeing while parked.
pub trait Publish: Send + 'static {
    /// Takes the frame of a snapshot tick.
    fn publish(&mut self, publication: Publication);

    /// The world was parked: nobody is connected, so what was kept only for sessions (old
    /// frames, their encodings) may go. Runs under the sim pool's lock: keep it quick.
    fn parked(&mut self) {}

    /// The world's game panicked, and the world is dropped right after this: no frame
    /// follows. Sessions waiting on it should be told why.
    fn failed(&mut self) {}

    /// A published frame that nobody holds any more, if there is one: the next frame is
    /// built into its columns instead of allocating and filling new ones.
    fn spare_frame(&mut self) -> Option<WorldSnapshot> {
        None
    }
}

impl<F: FnMut(Publication) + Send + 'static> Publish for F {
    fn publish(&mut self, publication: Publication) {
        self(publication);
    }
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
    /// This world's own numbers (its room's series on `/metrics`).
    pub stats: Arc<WorldStats>,
    /// How many clients the world holds at most: its weight in the batch of worlds it
    /// ticks with (see [`crate::batches`]).
    pub seats: u32,
    /// The span its ticks run in, so their log lines say which world (a room's names it).
    pub span: Span,
}

/// A running sim thread: a [`SimPool`] of one thread stepping one world. Dropping it
/// stops the thread after its current tick.
pub struct SimThread {
    pool: SimPool,
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
        publish: impl Publish,
        options: RunnerOptions,
    ) -> std::io::Result<Self> {
        let pool = SimPool::new(1)?;
        let now = Instant::now();
        pool.insert(WorldLoop::new(simulation, inbox, publish, options, now), now);
        Ok(Self { pool })
    }

    /// Stops the loop after its current tick and waits for the thread to end.
    pub fn stop(self) {
        self.pool.stop();
    }
}

/// One world's tick: drain its commands, step, publish on snapshot ticks, measure,
/// auto-tune, and say when the next tick is due. What a pool thread runs.
pub struct WorldLoop<P> {
    /// `None` while let go (parked, with a [`Rebuild`]).
    simulation: Option<Simulation>,
    /// How to build the world again, for a world let go while parked.
    rebuild: Option<Rebuild>,
    /// The span its ticks run in (from [`RunnerOptions::span`]).
    span: Arc<Span>,
    /// The tick length in force.
    period: Duration,
    inbox: SimInbox,
    publish: P,
    options: RunnerOptions,
    clock: TickClock,
    last_overrun_log: Option<Instant>,
    reported_settings: Option<Settings>,
    peak: PeakWindow,
}

impl<P: Publish> WorldLoop<P> {
    /// A world whose first tick is due at `now`. Reports the settings in force at once,
    /// so a scrape as soon as the server answers sees them.
    pub fn new(
        simulation: Simulation,
        inbox: SimInbox,
        publish: P,
        mut options: RunnerOptions,
        now: Instant,
    ) -> Self {
        let settings = simulation.settings();
        let span = Arc::new(std::mem::replace(&mut options.span, Span::none()));
        options.metrics.record_settings(&settings);
        options.stats.record_tick_rate(settings.tick_rate_hz);
        span.in_scope(|| info!(tick_rate_hz = settings.tick_rate_hz, "sim started"));
        let period = tick_duration(&simulation);
        Self {
            clock: TickClock::new(period, now, options.max_catch_up_ticks),
            simulation: Some(simulation),
            rebuild: None,
            span,
            period,
            inbox,
            publish,
            options,
            last_overrun_log: None,
            reported_settings: Some(settings),
            peak: PeakWindow::new(now),
        }
    }

    /// Lets the world go whenever it is parked, to be built again by `rebuild` at its
    /// next tick.
    #[must_use]
    pub fn released_while_parked(mut self, rebuild: Rebuild) -> Self {
        self.rebuild = Some(rebuild);
        self
    }

    /// Builds the world again if it was let go. `None` if its game panicked while
    /// building it (the world has failed then).
    fn ensure_built(&mut self) -> Option<()> {
        if self.simulation.is_none() {
            match self.rebuild.as_ref()?.build() {
                Ok(simulation) => self.simulation = Some(simulation),
                Err(failure) => {
                    self.panicked(&failure.message);
                    return None;
                }
            }
        }
        Some(())
    }

    /// Applies the commands that arrived since the last tick, steps, and publishes a frame
    /// on snapshot ticks. `None` if the world could not be built again.
    fn step_and_publish(&mut self) -> Option<Settings> {
        self.ensure_built()?;
        let Self { simulation: Some(simulation), inbox, publish, options, .. } = self else {
            return None;
        };
        let metrics = &options.metrics;
        for command in inbox.drain() {
            match simulation.apply(command) {
                Applied::StaleInput => metrics.stale_inputs.increment(1),
                Applied::DetachedInput => metrics.detached_inputs.increment(1),
                Applied::Done | Applied::Ignored => {}
            }
        }
        simulation.step();
        options.stats.record_locked(simulation.room_locked());
        let settings = simulation.settings();
        if simulation.tick().is_multiple_of(u32::from(settings.broadcast_every)) {
            if let Some(spare) = publish.spare_frame() {
                simulation.recycle_frame(spare);
            }
            let snapshot = simulation.snapshot();
            metrics.actors.set(snapshot.len() as f64);
            options.stats.record_actors(snapshot.len());
            let events = simulation.take_events();
            let input_acks = simulation.input_acks();
            publish.publish(Publication {
                snapshot: Arc::new(snapshot),
                settings,
                events,
                input_acks,
            });
        }
        Some(settings)
    }

    /// One tick, with its log lines in the world's span.
    fn tick_in_span(&mut self, started: Instant) -> Option<Instant> {
        let settings = self.step_and_publish()?;
        self.period = Duration::from_secs_f32(settings.tick_seconds());
        let took = started.elapsed();
        let metrics = &self.options.metrics;
        metrics.tick_duration.record(took.as_secs_f64());
        self.peak.record(took, started + took, &metrics.tick_peak);
        metrics.ticks.increment(1);
        if self.reported_settings != Some(settings) {
            metrics.record_settings(&settings);
            self.options.stats.record_tick_rate(settings.tick_rate_hz);
            self.reported_settings = Some(settings);
        }
        self.autotune(took, &settings);
        let now = Instant::now();
        let lateness = self.clock.tick_done(now, self.period);
        self.options.stats.record_tick(took, lateness != Lateness::OnTime);
        self.report_lateness(lateness, now);
        Some(self.clock.deadline())
    }

    /// Feeds the tick's cost to the auto-tuner and applies what it decides.
    fn autotune(&mut self, took: Duration, settings: &Settings) {
        let Some(tuner) = self.options.autotuner.as_mut() else { return };
        tuner.record_tick(took);
        let Some(adjustment) = tuner.decide(settings, Instant::now()) else { return };
        match adjustment.patch.apply_to(settings) {
            Ok(tuned) => {
                let metrics = &self.options.metrics;
                let changes = if adjustment.degrades {
                    &metrics.autotune_degrades
                } else {
                    &metrics.autotune_restores
                };
                changes.increment(1);
                if let Some(simulation) = self.simulation.as_mut() {
                    simulation.set_settings(tuned, &format!("auto-tune: {}", adjustment.reason));
                }
            }
            Err(error) => warn!(%error, "auto-tune proposed invalid settings"),
        }
    }

    /// Counts and (rate-limited) logs a late tick.
    fn report_lateness(&mut self, lateness: Lateness, now: Instant) {
        let metrics = &self.options.metrics;
        let behind = match lateness {
            Lateness::OnTime => return,
            Lateness::Overrun { behind } => behind,
            Lateness::Skipped { behind, ticks } => {
                metrics.skipped_ticks.increment(ticks);
                warn!(
                    skipped = ticks,
                    "sim fell too far behind; skipping ahead instead of catching up"
                );
                behind
            }
        };
        metrics.overruns.increment(1);
        if self.last_overrun_log.is_none_or(|at| now - at >= OVERRUN_LOG_INTERVAL) {
            self.last_overrun_log = Some(now);
            warn!(
                tick = self.last_tick(),
                behind_ms = behind.as_secs_f64() * 1e3,
                "tick overran its deadline"
            );
        }
    }
}

impl<P: Publish> Ticking for WorldLoop<P> {
    fn tick(&mut self, started: Instant) -> Option<Instant> {
        // An `Arc` clone: a `Span` clone would update the span registry every tick.
        let span = Arc::clone(&self.span);
        span.in_scope(|| self.tick_in_span(started))
    }

    fn cadence(&self) -> Option<Cadence> {
        Some(Cadence { period: self.period, seats: self.options.seats })
    }

    fn starts_at(&mut self, due: Instant) {
        let max_catch_up = self.options.max_catch_up_ticks;
        self.clock = TickClock::new(self.period, due, max_catch_up);
        self.peak = PeakWindow::new(due);
    }

    fn parked(&mut self) -> Option<Litter> {
        self.publish.parked();
        if let Some(tuner) = self.options.autotuner.as_mut() {
            tuner.parked();
        }
        let rebuild = self.rebuild.as_mut()?;
        let simulation = self.simulation.take()?;
        rebuild.released(&simulation);
        self.options.stats.record_actors(0);
        Some(Box::new(simulation))
    }

    fn panicked(&mut self, message: &str) {
        let tick = self.last_tick();
        let Self { span, options, publish, .. } = self;
        span.in_scope(|| report_failure(options, publish, tick, message));
    }
}

/// Reports a world whose game panicked, in a tick or while the world was built: logged
/// (the message escaped) in the current span, counted, marked in the world's stats, and
/// told to its publisher so its sessions learn why they end.
pub fn report_failure(
    options: &RunnerOptions,
    publish: &mut impl Publish,
    tick: u32,
    message: &str,
) {
    error!(tick, panic = %Untrusted(message), "the game panicked; the world is dropped");
    options.metrics.world_failed();
    options.stats.record_failed();
    publish.failed();
}

impl<P> Drop for WorldLoop<P> {
    fn drop(&mut self) {
        let tick = self.last_tick();
        self.span.in_scope(|| info!(tick, "sim stopped"));
    }
}

impl<P> WorldLoop<P> {
    /// The world's last tick (0 while it is let go).
    fn last_tick(&self) -> u32 {
        self.simulation.as_ref().map_or(0, Simulation::tick)
    }
}

fn tick_duration(simulation: &Simulation) -> Duration {
    Duration::from_secs_f32(simulation.settings().tick_seconds())
}
