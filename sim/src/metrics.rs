//! What the sim thread reports: tick timing, overruns, actors, the settings in force.
//!
//! Handles are registered once with the server's recorder and then updated without any
//! lookup, so reporting costs the tick a few atomic operations. [`SimMetrics::noop`]
//! serves tests and benchmarks that run the sim without a server. The registration
//! helpers are shared with the network side.

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
            settings: std::array::from_fn(|_| Gauge::noop()),
        }
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
