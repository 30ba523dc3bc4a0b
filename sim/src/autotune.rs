//! Auto-tuning: trade snapshot rate, then tick rate, for headroom under load, and give
//! them back when the load falls.
//!
//! Every `window` the tuner looks at the tick time p99 (as a share of the tick period) and
//! the outbound bytes per second the network side reports:
//! - **overloaded** (p99 over `high_load`, or bytes over the budget): raise
//!   `broadcast_every` by one, up to `max_broadcast_every`; once there, lower the tick rate
//!   by a quarter, down to `min_tick_rate_hz`.
//! - **light** (p99 under `low_load` and bytes under half the budget): step back toward
//!   the targets, the tick rate first, then `broadcast_every`.
//!
//! Hysteresis keeps it from oscillating: a step back multiplies the tick-time share by at
//! most 4/3, so from under `low_load` it cannot cross `high_load` (the defaults, 0.2 and
//! 0.5, leave a wide gap), and no change follows another within `cooldown`.
//!
//! The targets are the settings last set by anyone else (the config, the admin API); the
//! tuner never moves past them.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use tickwire_protocol::{Settings, SettingsPatch};

/// How the tuner behaves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AutotuneConfig {
    /// Whether the tuner runs.
    pub enabled: bool,
    /// Tick time p99, as a share of the tick period, above which the server is overloaded.
    pub high_load: f32,
    /// Tick time p99 share below which the load is light enough to step back.
    pub low_load: f32,
    /// Outbound bytes per second above which the server is overloaded (0: no budget).
    pub max_bytes_per_second: u64,
    /// The highest `broadcast_every` the tuner goes to.
    pub max_broadcast_every: u16,
    /// The lowest tick rate the tuner goes to.
    pub min_tick_rate_hz: u16,
    /// How much measurement each decision looks at.
    pub window: Duration,
    /// The least time between two changes.
    pub cooldown: Duration,
}

impl Default for AutotuneConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            high_load: 0.5,
            low_load: 0.2,
            max_bytes_per_second: 0,
            max_broadcast_every: 6,
            min_tick_rate_hz: 10,
            window: Duration::from_secs(2),
            cooldown: Duration::from_secs(3),
        }
    }
}

/// A change the tuner decided, with its reason for the log.
#[derive(Debug, Clone, PartialEq)]
pub struct Adjustment {
    /// What to change.
    pub patch: SettingsPatch,
    /// Whether it gives up quality for headroom (or gives it back).
    pub degrades: bool,
    /// Why, with the measurements.
    pub reason: String,
}

/// The tuner's state, owned by the sim thread.
#[derive(Debug)]
pub struct Autotuner {
    config: AutotuneConfig,
    outbound_bytes: Arc<AtomicU64>,
    /// The settings to return to: the last ones not set by the tuner.
    targets: Option<Settings>,
    /// The settings the tuner last set, to tell its own changes from others'.
    last_set: Option<Settings>,
    /// This window's tick durations, in microseconds; `None` until a tick is recorded, and
    /// again once the world is parked (a parked room keeps nothing it does not need).
    tick_micros: Option<Histogram<u32>>,
    window_start: Instant,
    bytes_at_window_start: u64,
    last_change: Option<Instant>,
}

impl Autotuner {
    /// A tuner reading the network side's running total of bytes sent.
    pub fn new(config: AutotuneConfig, outbound_bytes: Arc<AtomicU64>, now: Instant) -> Self {
        Self {
            config,
            bytes_at_window_start: outbound_bytes.load(Ordering::Relaxed),
            outbound_bytes,
            targets: None,
            last_set: None,
            tick_micros: None,
            window_start: now,
            last_change: None,
        }
    }

    /// Records one tick's duration.
    pub fn record_tick(&mut self, took: Duration) {
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX).clamp(1, 60_000_000);
        // In bounds by the clamp above, so recording cannot fail.
        let _ = self.tick_micros.get_or_insert_with(tick_histogram).record(micros);
    }

    /// The world was parked: the window's measurements go (a new window starts with the
    /// next tick recorded).
    pub fn parked(&mut self) {
        self.tick_micros = None;
    }

    /// Once per window, decides whether to change `settings`; `None` most of the time.
    pub fn decide(&mut self, settings: &Settings, now: Instant) -> Option<Adjustment> {
        if self.last_set != Some(*settings) {
            // Someone else changed the settings (or this is the start): new targets.
            self.targets = Some(*settings);
            self.last_set = Some(*settings);
        }
        let elapsed = now.duration_since(self.window_start);
        if !self.config.enabled || elapsed < self.config.window {
            return None;
        }
        let bytes = self.outbound_bytes.load(Ordering::Relaxed);
        let bytes_per_second =
            bytes.saturating_sub(self.bytes_at_window_start) as f64 / elapsed.as_secs_f64();
        let p99 = self.tick_micros.as_ref().map_or(0, |ticks| ticks.value_at_quantile(0.99));
        let p99 = Duration::from_micros(p99);
        let load = p99.as_secs_f32() * f32::from(settings.tick_rate_hz);
        if let Some(ticks) = &mut self.tick_micros {
            ticks.reset();
        }
        self.window_start = now;
        self.bytes_at_window_start = bytes;
        if self.last_change.is_some_and(|at| now.duration_since(at) < self.config.cooldown) {
            return None;
        }

        let budget = self.config.max_bytes_per_second as f64;
        let over_budget = budget > 0.0 && bytes_per_second > budget;
        let measured = format!(
            "tick p99 {:.1} ms = {:.0}% of the tick period, {:.0} bytes/s out",
            p99.as_secs_f64() * 1e3,
            load * 100.0,
            bytes_per_second
        );
        let light =
            load < self.config.low_load && (budget == 0.0 || bytes_per_second < budget / 2.0);
        let decision = if load > self.config.high_load || over_budget {
            self.degrade(settings).map(|patch| (patch, true, format!("overloaded: {measured}")))
        } else if light {
            self.restore(settings)
                .map(|patch| (patch, false, format!("load is light again: {measured}")))
        } else {
            None
        };
        let (patch, degrades, reason) = decision?;
        self.last_change = Some(now);
        self.last_set = patch.apply_to(settings).ok();
        Some(Adjustment { patch, degrades, reason })
    }

    fn degrade(&self, settings: &Settings) -> Option<SettingsPatch> {
        if settings.broadcast_every < self.config.max_broadcast_every {
            return Some(SettingsPatch {
                broadcast_every: Some(settings.broadcast_every + 1),
                ..SettingsPatch::default()
            });
        }
        // Never below one snapshot a second, whatever `broadcast_every` the admin set.
        let lower = (settings.tick_rate_hz * 3 / 4)
            .max(self.config.min_tick_rate_hz)
            .max(settings.broadcast_every);
        (lower < settings.tick_rate_hz)
            .then_some(SettingsPatch { tick_rate_hz: Some(lower), ..SettingsPatch::default() })
    }

    fn restore(&self, settings: &Settings) -> Option<SettingsPatch> {
        let targets = self.targets?;
        if settings.tick_rate_hz < targets.tick_rate_hz {
            let higher = (settings.tick_rate_hz.saturating_mul(4) / 3)
                .clamp(settings.tick_rate_hz + 1, targets.tick_rate_hz);
            return Some(SettingsPatch { tick_rate_hz: Some(higher), ..SettingsPatch::default() });
        }
        (settings.broadcast_every > targets.broadcast_every).then_some(SettingsPatch {
            broadcast_every: Some(settings.broadcast_every - 1),
            ..SettingsPatch::default()
        })
    }
}

/// Tick durations from 1 µs to 60 s, to two significant figures: a p99 within 1% is
/// plenty to compare with a load threshold, and it takes ~10 KiB (three figures and `u64`
/// counts took 137 KiB, per room). A window's count fits a `u32` many times over.
fn tick_histogram() -> Histogram<u32> {
    #[allow(clippy::expect_used)] // Constant, valid bounds: creation cannot fail.
    Histogram::new_with_bounds(1, 60_000_000, 2).expect("valid histogram bounds")
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINDOW: Duration = Duration::from_secs(2);

    fn tuner(max_bytes_per_second: u64) -> (Autotuner, Arc<AtomicU64>, Instant) {
        let bytes = Arc::new(AtomicU64::new(0));
        let start = Instant::now();
        let config = AutotuneConfig { max_bytes_per_second, ..AutotuneConfig::default() };
        (Autotuner::new(config, Arc::clone(&bytes), start), bytes, start)
    }

    /// Runs windows of ticks taking `tick` each and returns the settings after each.
    fn run(
        tuner: &mut Autotuner,
        settings: &mut Settings,
        now: &mut Instant,
        windows: usize,
        tick: Duration,
    ) -> Vec<Settings> {
        let mut history = Vec::new();
        for _ in 0..windows {
            for _ in 0..60 {
                tuner.record_tick(tick);
            }
            *now += WINDOW;
            if let Some(adjustment) = tuner.decide(settings, *now) {
                *settings = adjustment
                    .patch
                    .apply_to(settings)
                    .expect("the tuner should only make valid settings");
            }
            history.push(*settings);
        }
        history
    }

    #[test]
    fn overload_trades_snapshot_rate_then_tick_rate_and_settles() {
        let (mut tuner, _, mut now) = tuner(0);
        let mut settings = Settings::default(); // 30 Hz, broadcast every 2
        tuner.decide(&settings, now);
        // A 25 ms tick is 75% of a 33 ms period.
        let history = run(&mut tuner, &mut settings, &mut now, 30, Duration::from_millis(25));
        assert_eq!(settings.broadcast_every, 6, "broadcast_every should rise to its bound first");
        assert!(
            settings.tick_rate_hz < 30 && settings.tick_rate_hz >= 10,
            "then the tick rate should fall: {settings:?}"
        );
        let load = 0.025 * f32::from(settings.tick_rate_hz);
        assert!(load <= 0.5, "it should stop once the tick fits the budget (load {load})");
        let settled = &history[history.len() - 5..];
        assert!(
            settled.windows(2).all(|pair| pair[0] == pair[1]),
            "under constant load it should not oscillate: {history:?}"
        );
    }

    #[test]
    fn when_the_load_goes_it_steps_back_to_the_targets_and_stays() {
        let (mut tuner, _, mut now) = tuner(0);
        let mut settings = Settings::default();
        tuner.decide(&settings, now);
        run(&mut tuner, &mut settings, &mut now, 30, Duration::from_millis(25));
        let history = run(&mut tuner, &mut settings, &mut now, 40, Duration::from_millis(1));
        assert_eq!(
            settings,
            Settings::default(),
            "light load should restore the configured settings: {history:?}"
        );
        let settled = &history[history.len() - 5..];
        assert!(
            settled.windows(2).all(|pair| pair[0] == pair[1]),
            "after recovering it should stay put"
        );
    }

    #[test]
    fn an_outbound_byte_budget_raises_broadcast_every() {
        let (mut tuner, bytes, mut now) = tuner(10_000);
        let mut settings = Settings::default();
        tuner.decide(&settings, now);
        bytes.fetch_add(100_000, Ordering::Relaxed); // 50 kB/s over a 2 s window
        run(&mut tuner, &mut settings, &mut now, 1, Duration::from_millis(1));
        assert_eq!(
            settings.broadcast_every, 3,
            "going over the byte budget should send snapshots less often"
        );
    }

    #[test]
    fn changes_by_others_become_the_new_targets() {
        let (mut tuner, _, mut now) = tuner(0);
        let mut settings = Settings::default();
        tuner.decide(&settings, now);
        run(&mut tuner, &mut settings, &mut now, 3, Duration::from_millis(25));
        settings = Settings { broadcast_every: 3, tick_rate_hz: 20, ..Settings::default() }; // the admin API
        run(&mut tuner, &mut settings, &mut now, 20, Duration::from_millis(1));
        assert_eq!(
            (settings.tick_rate_hz, settings.broadcast_every),
            (20, 3),
            "the tuner should not undo an admin change"
        );
    }

    #[test]
    fn overload_never_takes_snapshots_below_one_a_second() {
        let (mut tuner, _, mut now) = tuner(0);
        // An admin set snapshots every 20 ticks, above the tuner's own bound of 6.
        let mut settings = Settings { broadcast_every: 20, ..Settings::default() };
        tuner.decide(&settings, now);
        let history = run(&mut tuner, &mut settings, &mut now, 30, Duration::from_millis(25));
        for step in &history {
            assert!(
                step.tick_rate_hz >= step.broadcast_every,
                "snapshots should stay at least one a second: {step:?}"
            );
        }
        assert_eq!(settings.tick_rate_hz, 20, "the tick rate should stop at broadcast_every");
    }

    #[test]
    fn a_disabled_tuner_changes_nothing() {
        let bytes = Arc::new(AtomicU64::new(0));
        let mut now = Instant::now();
        let config = AutotuneConfig { enabled: false, ..AutotuneConfig::default() };
        let mut tuner = Autotuner::new(config, bytes, now);
        let mut settings = Settings::default();
        run(&mut tuner, &mut settings, &mut now, 10, Duration::from_millis(30));
        assert_eq!(settings, Settings::default());
    }
}
