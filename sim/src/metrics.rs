//! What the sim thread reports: tick timing, overruns, actors, the settings in force.
//!
//! Handles are registered once with the server's recorder and then updated without any
//! lookup, so reporting costs the tick a few atomic operations. [`SimMetrics::noop`]
//! serves tests and benchmarks that run the sim without a server. The registration
//! helpers are shared with the network side.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::time::{Duration, Instant};

use metrics::{Counter, Gauge, Histogram, Key, KeyName, Label, Level, Metadata, Recorder, Unit};
use tickwire_protocol::Settings;

static METADATA: Metadata<'static> = Metadata::new("tickwire", Level::INFO, Some(module_path!()));

/// Registers and describes a counter.
pub fn counter(
    recorder: &dyn Recorder,
    name: &'static str,
    labels: &[(&'static str, &'static str)],
    help: &'static str,
) -> Counter {
    recorder.describe_counter(KeyName::from_const_str(name), None, help.into());
    recorder.register_counter(&key(name, labels), &METADATA)
}

/// Registers and describes a gauge.
pub fn gauge(
    recorder: &dyn Recorder,
    name: &'static str,
    labels: &[(&'static str, &'static str)],
    help: &'static str,
) -> Gauge {
    recorder.describe_gauge(KeyName::from_const_str(name), None, help.into());
    recorder.register_gauge(&key(name, labels), &METADATA)
}

/// Registers and describes a histogram.
pub fn histogram(
    recorder: &dyn Recorder,
    name: &'static str,
    unit: Unit,
    help: &'static str,
) -> Histogram {
    recorder.describe_histogram(KeyName::from_const_str(name), Some(unit), help.into());
    recorder.register_histogram(&Key::from_static_name(name), &METADATA)
}

fn key(name: &'static str, labels: &[(&'static str, &'static str)]) -> Key {
    Key::from_parts(
        name,
        labels.iter().map(|&(key, value)| Label::from_static_parts(key, value)).collect::<Vec<_>>(),
    )
}

/// The sim thread's metrics.
#[derive(Debug, Clone)]
pub struct SimMetrics {
    pub(crate) tick_duration: Histogram,
    pub(crate) tick_peak: Gauge,
    pub(crate) ticks: Counter,
    pub(crate) overruns: Counter,
    pub(crate) skipped_ticks: Counter,
    pub(crate) actors: Gauge,
    pub(crate) stale_inputs: Counter,
    pub(crate) detached_inputs: Counter,
    pub(crate) autotune_degrades: Counter,
    pub(crate) autotune_restores: Counter,
    worlds_failed: Counter,
    settings: [Gauge; 7],
}

impl SimMetrics {
    /// Registers every sim metric with `recorder`.
    pub fn register(recorder: &dyn Recorder) -> Self {
        let setting = |name| {
            gauge(
                recorder,
                "tickwire_setting",
                &[("name", name)],
                "The settings in force, by name.",
            )
        };
        Self {
            tick_duration: histogram(
                recorder,
                "tickwire_tick_duration_seconds",
                Unit::Seconds,
                "Time to drain commands, run the schedule and build the frame, per tick.",
            ),
            tick_peak: gauge(
                recorder,
                "tickwire_tick_duration_peak_seconds",
                &[],
                "The longest tick of the last full second (buckets cannot tell the maximum).",
            ),
            ticks: counter(recorder, "tickwire_ticks_total", &[], "Ticks simulated."),
            overruns: counter(
                recorder,
                "tickwire_tick_overruns_total",
                &[],
                "Ticks that ended after the next was due.",
            ),
            skipped_ticks: counter(
                recorder,
                "tickwire_ticks_skipped_total",
                &[],
                "Ticks skipped because the sim fell too far behind to catch up.",
            ),
            actors: gauge(recorder, "tickwire_actors", &[], "Actors in the world."),
            stale_inputs: counter(
                recorder,
                "tickwire_inputs_stale_total",
                &[],
                "Inputs dropped as older than, or replays of, inputs already applied.",
            ),
            detached_inputs: counter(
                recorder,
                "tickwire_inputs_detached_total",
                &[],
                "Inputs ignored because their session's connection had dropped (its actor stands still).",
            ),
            autotune_degrades: counter(
                recorder,
                "tickwire_autotune_changes_total",
                &[("direction", "degrade")],
                "Settings changes made by auto-tuning, by direction.",
            ),
            autotune_restores: counter(
                recorder,
                "tickwire_autotune_changes_total",
                &[("direction", "restore")],
                "Settings changes made by auto-tuning, by direction.",
            ),
            worlds_failed: counter(
                recorder,
                "tickwire_worlds_failed_total",
                &[],
                "Worlds dropped because their game panicked, in a tick or while building them.",
            ),
            settings: [
                setting("tick_rate_hz"),
                setting("broadcast_every"),
                setting("input_every"),
                setting("movement_speed"),
                setting("smoothing"),
                setting("interpolation_delay_ms"),
                setting("position_steps_per_unit"),
            ],
        }
    }

    /// Metrics that go nowhere.
    pub fn noop() -> Self {
        Self {
            tick_duration: Histogram::noop(),
            tick_peak: Gauge::noop(),
            ticks: Counter::noop(),
            overruns: Counter::noop(),
            skipped_ticks: Counter::noop(),
            actors: Gauge::noop(),
            stale_inputs: Counter::noop(),
            detached_inputs: Counter::noop(),
            autotune_degrades: Counter::noop(),
            autotune_restores: Counter::noop(),
            worlds_failed: Counter::noop(),
            settings: std::array::from_fn(|_| Gauge::noop()),
        }
    }

    /// The same metrics, but leaving the `tickwire_setting` gauges alone: for every room
    /// but the default one, whose settings those gauges show. Each room's own settings are
    /// in its [`WorldStats`].
    pub fn without_settings(&self) -> Self {
        Self { settings: std::array::from_fn(|_| Gauge::noop()), ..self.clone() }
    }

    /// Counts a world dropped because its game panicked.
    pub(crate) fn world_failed(&self) {
        self.worlds_failed.increment(1);
    }

    /// Reports the settings in force.
    pub(crate) fn record_settings(&self, settings: &Settings) {
        let values = [
            f64::from(settings.tick_rate_hz),
            f64::from(settings.broadcast_every),
            f64::from(settings.input_every),
            f64::from(settings.movement_speed),
            f64::from(settings.smoothing),
            f64::from(settings.interpolation_delay_ms),
            f64::from(settings.position_steps_per_unit),
        ];
        for (gauge, value) in self.settings.iter().zip(values) {
            gauge.set(value);
        }
    }
}

/// The longest tick of each one-second window, published as the window closes. A scrape
/// at least once a second sees every window's worst tick, which histogram buckets blur.
#[derive(Debug)]
pub(crate) struct PeakWindow {
    started: Instant,
    peak: Duration,
}

impl PeakWindow {
    const LENGTH: Duration = Duration::from_secs(1);

    pub(crate) fn new(now: Instant) -> Self {
        Self { started: now, peak: Duration::ZERO }
    }

    /// Records one tick; when the window is over, publishes its peak to `gauge`.
    pub(crate) fn record(&mut self, took: Duration, now: Instant, gauge: &Gauge) {
        self.peak = self.peak.max(took);
        if now.duration_since(self.started) >= Self::LENGTH {
            gauge.set(self.peak.as_secs_f64());
            *self = Self::new(now);
        }
    }
}

/// Upper bounds of the [`WorldStats`] tick-duration buckets, in seconds: 10 µs to 1 s,
/// about four per decade (the server's `/metrics` renders them as a Prometheus histogram).
pub const WORLD_TICK_BUCKETS: [f64; 16] = [
    1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 0.5,
    1.0,
];

/// One world's own numbers, kept apart from the process-wide metrics so a room's series
/// can be rendered with its `room` label and removed exactly when the room is disposed
/// (a Prometheus recorder never forgets a series). Atomics, updated once per tick.
#[derive(Debug, Default)]
pub struct WorldStats {
    /// Ticks per bucket of [`WORLD_TICK_BUCKETS`] (not cumulative); the last slot counts
    /// ticks above the top bound.
    tick_buckets: [AtomicU64; WORLD_TICK_BUCKETS.len() + 1],
    tick_nanos_total: AtomicU64,
    ticks: AtomicU64,
    overruns: AtomicU64,
    actors: AtomicU64,
    tick_rate_hz: AtomicU64,
    locked_by_game: AtomicBool,
    failed: AtomicBool,
}

/// A copy of [`WorldStats`] at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct WorldStatsSnapshot {
    /// Cumulative tick counts at each bound of [`WORLD_TICK_BUCKETS`], then `+Inf`.
    pub cumulative_buckets: Vec<u64>,
    /// The sum of all tick durations, in seconds.
    pub tick_seconds_total: f64,
    /// Ticks run.
    pub ticks: u64,
    /// Ticks that ended after the next was due.
    pub overruns: u64,
    /// Actors in the world at the last snapshot tick.
    pub actors: u64,
    /// The tick rate in force.
    pub tick_rate_hz: u64,
}

impl WorldStats {
    pub(crate) fn record_tick(&self, took: Duration, overran: bool) {
        let seconds = took.as_secs_f64();
        let bucket = WORLD_TICK_BUCKETS.iter().position(|bound| seconds <= *bound);
        let slot = bucket.unwrap_or(WORLD_TICK_BUCKETS.len());
        self.tick_buckets[slot].fetch_add(1, Relaxed);
        let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        self.tick_nanos_total.fetch_add(nanos, Relaxed);
        self.ticks.fetch_add(1, Relaxed);
        if overran {
            self.overruns.fetch_add(1, Relaxed);
        }
    }

    pub(crate) fn record_actors(&self, actors: usize) {
        self.actors.store(actors as u64, Relaxed);
    }

    pub(crate) fn record_locked(&self, locked: bool) {
        self.locked_by_game.store(locked, Relaxed);
    }

    /// Whether the game locked its room against new players, as of its last tick.
    pub fn locked_by_game(&self) -> bool {
        self.locked_by_game.load(Relaxed)
    }

    /// Marks the world failed: its game panicked (in a tick or while building it), and
    /// the world is gone.
    pub(crate) fn record_failed(&self) {
        self.failed.store(true, Relaxed);
    }

    /// Whether the world's game panicked and the world is gone.
    pub fn failed(&self) -> bool {
        self.failed.load(Relaxed)
    }

    pub(crate) fn record_tick_rate(&self, tick_rate_hz: u16) {
        self.tick_rate_hz.store(u64::from(tick_rate_hz), Relaxed);
    }

    /// The tick rate in force.
    pub fn tick_rate_hz(&self) -> u64 {
        self.tick_rate_hz.load(Relaxed)
    }

    /// Ticks run.
    pub fn ticks(&self) -> u64 {
        self.ticks.load(Relaxed)
    }

    /// The numbers now.
    pub fn snapshot(&self) -> WorldStatsSnapshot {
        let mut running = 0;
        let cumulative_buckets = self
            .tick_buckets
            .iter()
            .map(|count| {
                running += count.load(Relaxed);
                running
            })
            .collect();
        WorldStatsSnapshot {
            cumulative_buckets,
            tick_seconds_total: self.tick_nanos_total.load(Relaxed) as f64 / 1e9,
            ticks: self.ticks.load(Relaxed),
            overruns: self.overruns.load(Relaxed),
            actors: self.actors.load(Relaxed),
            tick_rate_hz: self.tick_rate_hz.load(Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn world_stats_bucket_ticks_cumulatively() {
        let stats = WorldStats::default();
        stats.record_tick(Duration::from_micros(5), false);
        stats.record_tick(Duration::from_micros(300), true);
        stats.record_tick(Duration::from_secs(2), false);
        let snapshot = stats.snapshot();
        assert_eq!(snapshot.cumulative_buckets.len(), WORLD_TICK_BUCKETS.len() + 1);
        assert_eq!(snapshot.cumulative_buckets[0], 1, "5 µs is in the first bucket");
        assert_eq!(snapshot.cumulative_buckets[5], 2, "300 µs is at or under 500 µs");
        assert_eq!(snapshot.cumulative_buckets[WORLD_TICK_BUCKETS.len() - 1], 2);
        assert_eq!(snapshot.cumulative_buckets[WORLD_TICK_BUCKETS.len()], 3, "+Inf counts all");
        assert_eq!((snapshot.ticks, snapshot.overruns), (3, 1));
        assert!((snapshot.tick_seconds_total - 2.000_305).abs() < 1e-9);
    }
}
