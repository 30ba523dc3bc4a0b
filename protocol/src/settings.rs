//! [`Settings`]: the rates and tuning the server drives and every client follows, with
//! validation that names the offending setting, and [`SettingsPatch`] for live changes.
//!
//! Validation checks the settings together, not only one by one: a combination of valid
//! values can still break every client (no snapshots for minutes, velocities that do not
//! fit their wire type, an input cadence the server's own message budget refuses).

use thiserror::Error;

/// Rates and tuning the server drives and pushes to every client.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Settings {
    /// Simulation ticks per second.
    pub tick_rate_hz: u16,
    /// A snapshot is sent every N ticks.
    pub broadcast_every: u16,
    /// Clients send an input every N ticks.
    pub input_every: u16,
    /// Actor speed in world units per second; the same distance per second at any tick rate.
    pub movement_speed: f32,
    /// Client render smoothing factor in `[0, 1)`: 0 snaps to the newest position.
    pub smoothing: f32,
    /// How far behind the newest snapshot clients render other actors, in milliseconds.
    pub interpolation_delay_ms: u16,
    /// Position quantisation: positions travel as whole steps of `1 / N` world units.
    pub position_steps_per_unit: u16,
}

impl Default for Settings {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// A setting outside the range the server can run with.
#[derive(Debug, Clone, PartialEq, Error)]
#[error("invalid setting `{setting}`: {reason}")]
pub struct SettingsError {
    /// The name of the offending setting, as in the config file and flags.
    pub setting: &'static str,
    /// What is wrong with its value.
    pub reason: String,
}

impl Settings {
    /// 30 Hz simulation, 15 snapshots per second: the common choice for action games
    /// on the open internet, with a 100 ms interpolation delay covering 1.5 snapshot gaps.
    pub const DEFAULT: Self = Self {
        tick_rate_hz: 30,
        broadcast_every: 2,
        input_every: 2,
        movement_speed: 120.0,
        smoothing: 0.0,
        interpolation_delay_ms: 100,
        // 1/8 unit: sub-pixel at any sane zoom, and a step of up to 15 units per
        // snapshot (120 units/s at 15 snapshots/s is 8) still fits one signed byte.
        position_steps_per_unit: 8,
    };

    /// Highest tick rate accepted; above it a tick's budget is below a millisecond.
    pub const MAX_TICK_RATE_HZ: u16 = 1000;
    /// Finest quantisation accepted; finer steps only cost bytes.
    pub const MAX_STEPS_PER_UNIT: u16 = 1024;
    /// Fewest snapshots per second: clients hold the older state until the newer one
    /// arrives, so a slower cadence is a frozen screen, not a setting.
    pub const MIN_SNAPSHOTS_PER_SECOND: f32 = 1.0;
    /// Messages per second a client sends besides its inputs: a `Pong` to the server's
    /// ping every second, a WebSocket ping, the occasional `FullSnapshotRequest` or
    /// `SnapshotRateRequest`, with room to spare.
    pub const CLIENT_UPKEEP_MESSAGES_PER_SECOND: f32 = 4.0;

    /// Checks every field, and the combinations that do not depend on the server's limits
    /// (snapshot cadence, quantised velocity range). What the sim checks on every change.
    ///
    /// # Errors
    /// The first setting that is out of range, named as in the config and flags.
    pub fn validate(&self) -> Result<(), SettingsError> {
        self.validate_fields()?;
        self.validate_snapshot_cadence()?;
        self.validate_velocity_range()
    }

    /// [`Self::validate`], and that a client following this input cadence stays within
    /// `max_messages_per_second` (`limits.max_messages_per_second`, beyond which the
    /// server closes it 4004). What the configuration and the admin API check.
    ///
    /// # Errors
    /// The first setting that is out of range, named, with the other settings involved.
    pub fn validate_with_budget(&self, max_messages_per_second: u32) -> Result<(), SettingsError> {
        self.validate()?;
        let needed = self.client_messages_per_second();
        if needed > max_messages_per_second as f32 {
            return Err(SettingsError {
                setting: "input_every",
                reason: format!(
                    "clients following tick_rate_hz {} / input_every {} send {needed:.0} \
                     messages per second with pongs and requests, over \
                     limits.max_messages_per_second {max_messages_per_second}: raise \
                     input_every or the limit",
                    self.tick_rate_hz, self.input_every
                ),
            });
        }
        Ok(())
    }

    /// Messages per second a client sends when it follows these settings.
    pub fn client_messages_per_second(&self) -> f32 {
        f32::from(self.tick_rate_hz) / f32::from(self.input_every.max(1))
            + Self::CLIENT_UPKEEP_MESSAGES_PER_SECOND
    }

    /// Snapshots per second these settings give a client that is not throttled.
    pub fn snapshots_per_second(&self) -> f32 {
        f32::from(self.tick_rate_hz) / f32::from(self.broadcast_every.max(1))
    }

    fn validate_snapshot_cadence(&self) -> Result<(), SettingsError> {
        if self.snapshots_per_second() < Self::MIN_SNAPSHOTS_PER_SECOND {
            return Err(SettingsError {
                setting: "broadcast_every",
                reason: format!(
                    "{} ticks at tick_rate_hz {} is {:.3} snapshots per second; snapshots \
                     must come at least once a second (broadcast_every <= tick_rate_hz)",
                    self.broadcast_every,
                    self.tick_rate_hz,
                    self.snapshots_per_second()
                ),
            });
        }
        Ok(())
    }

    /// Velocities travel as `i16` steps per second; an actor at full speed along an axis
    /// must fit, or clients see it crawl while the server moves it on.
    fn validate_velocity_range(&self) -> Result<(), SettingsError> {
        let steps_per_second = self.movement_speed * f32::from(self.position_steps_per_unit);
        if steps_per_second > f32::from(i16::MAX) {
            return Err(SettingsError {
                setting: "position_steps_per_unit",
                reason: format!(
                    "{} steps per unit at movement_speed {} is {steps_per_second} steps per \
                     second, over the {} a velocity can carry: lower one of them",
                    self.position_steps_per_unit,
                    self.movement_speed,
                    i16::MAX
                ),
            });
        }
        Ok(())
    }

    fn validate_fields(&self) -> Result<(), SettingsError> {
        let fail = |setting, reason: String| Err(SettingsError { setting, reason });
        if !(1..=Self::MAX_TICK_RATE_HZ).contains(&self.tick_rate_hz) {
            return fail(
                "tick_rate_hz",
                format!("{} is not in 1..={}", self.tick_rate_hz, Self::MAX_TICK_RATE_HZ),
            );
        }
        if self.broadcast_every == 0 {
            return fail("broadcast_every", "must be at least 1".into());
        }
        if self.input_every == 0 {
            return fail("input_every", "must be at least 1".into());
        }
        if !(self.movement_speed.is_finite() && self.movement_speed >= 0.0) {
            return fail(
                "movement_speed",
                format!("{} is not a finite, non-negative speed", self.movement_speed),
            );
        }
        if !(0.0..1.0).contains(&self.smoothing) {
            return fail("smoothing", format!("{} is not in [0, 1)", self.smoothing));
        }
        if !(1..=Self::MAX_STEPS_PER_UNIT).contains(&self.position_steps_per_unit) {
            return fail(
                "position_steps_per_unit",
                format!(
                    "{} is not in 1..={}",
                    self.position_steps_per_unit,
                    Self::MAX_STEPS_PER_UNIT
                ),
            );
        }
        Ok(())
    }

    /// Length of one tick in seconds.
    pub fn tick_seconds(&self) -> f32 {
        1.0 / f32::from(self.tick_rate_hz.max(1))
    }
}

/// A change to some settings; fields left out keep their value. What the admin API
/// accepts and what the sim applies at a tick boundary, on top of whatever is in force
/// then, so concurrent changes never undo each other.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct SettingsPatch {
    /// See [`Settings::tick_rate_hz`].
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub tick_rate_hz: Option<u16>,
    /// See [`Settings::broadcast_every`].
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub broadcast_every: Option<u16>,
    /// See [`Settings::input_every`].
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub input_every: Option<u16>,
    /// See [`Settings::movement_speed`].
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub movement_speed: Option<f32>,
    /// See [`Settings::smoothing`].
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub smoothing: Option<f32>,
    /// See [`Settings::interpolation_delay_ms`].
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub interpolation_delay_ms: Option<u16>,
    /// See [`Settings::position_steps_per_unit`].
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub position_steps_per_unit: Option<u16>,
}

impl SettingsPatch {
    /// `settings` with this patch's fields replaced, validated.
    ///
    /// # Errors
    /// The first setting out of range, named.
    pub fn apply_to(&self, settings: &Settings) -> Result<Settings, SettingsError> {
        let patched = Settings {
            tick_rate_hz: self.tick_rate_hz.unwrap_or(settings.tick_rate_hz),
            broadcast_every: self.broadcast_every.unwrap_or(settings.broadcast_every),
            input_every: self.input_every.unwrap_or(settings.input_every),
            movement_speed: self.movement_speed.unwrap_or(settings.movement_speed),
            smoothing: self.smoothing.unwrap_or(settings.smoothing),
            interpolation_delay_ms: self
                .interpolation_delay_ms
                .unwrap_or(settings.interpolation_delay_ms),
            position_steps_per_unit: self
                .position_steps_per_unit
                .unwrap_or(settings.position_steps_per_unit),
        };
        patched.validate()?;
        Ok(patched)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_settings_are_valid() {
        assert_eq!(Settings::default().validate(), Ok(()));
    }

    #[test]
    fn invalid_settings_name_the_setting() {
        let cases: [(Settings, &str); 6] = [
            (Settings { tick_rate_hz: 0, ..Default::default() }, "tick_rate_hz"),
            (Settings { broadcast_every: 0, ..Default::default() }, "broadcast_every"),
            (Settings { input_every: 0, ..Default::default() }, "input_every"),
            (Settings { movement_speed: f32::NAN, ..Default::default() }, "movement_speed"),
            (Settings { smoothing: 1.0, ..Default::default() }, "smoothing"),
            (
                Settings { position_steps_per_unit: 0, ..Default::default() },
                "position_steps_per_unit",
            ),
        ];
        for (settings, name) in cases {
            let err = settings.validate().err();
            assert_eq!(err.map(|e| e.setting), Some(name), "{settings:?} should be rejected");
        }
    }

    #[test]
    fn snapshots_must_come_at_least_once_a_second() {
        let never = Settings { broadcast_every: 65535, ..Settings::default() };
        let error = never.validate().err();
        assert_eq!(error.as_ref().map(|e| e.setting), Some("broadcast_every"));
        assert!(
            error.is_some_and(|e| e.reason.contains("tick_rate_hz")),
            "the refusal should name the tick rate too"
        );
        let once_a_second =
            Settings { tick_rate_hz: 30, broadcast_every: 30, ..Settings::default() };
        assert_eq!(once_a_second.validate(), Ok(()), "one snapshot a second is enough");
        let slower = Settings { tick_rate_hz: 30, broadcast_every: 31, ..Settings::default() };
        assert!(slower.validate().is_err(), "under one snapshot a second should be refused");
    }

    #[test]
    fn full_speed_must_fit_a_quantised_velocity() {
        let saturating = Settings { position_steps_per_unit: 1024, ..Settings::default() };
        let error = saturating.validate().err();
        assert_eq!(error.as_ref().map(|e| e.setting), Some("position_steps_per_unit"));
        assert!(
            error.is_some_and(|e| e.reason.contains("movement_speed")),
            "the refusal should name the speed too"
        );
        // 120 units/s at 273 steps is 32760 steps/s: just fits an i16.
        let fits = Settings { position_steps_per_unit: 273, ..Settings::default() };
        assert_eq!(fits.validate(), Ok(()));
        let fast = Settings { movement_speed: 5000.0, ..Settings::default() };
        assert!(fast.validate().is_err(), "5000 units/s at 8 steps should not fit an i16");
    }

    #[test]
    fn the_input_cadence_must_fit_the_message_budget() {
        let budget = 120;
        let too_fast = Settings { tick_rate_hz: 1000, input_every: 1, ..Settings::default() };
        assert_eq!(too_fast.validate(), Ok(()), "alone, these settings are in range");
        let error = too_fast.validate_with_budget(budget).err();
        assert_eq!(error.as_ref().map(|e| e.setting), Some("input_every"));
        assert!(
            error.is_some_and(|e| e.reason.contains("limits.max_messages_per_second")
                && e.reason.contains("tick_rate_hz")),
            "the refusal should name the tick rate and the budget"
        );
        // 116 inputs a second and 4 for pongs and requests: exactly the budget.
        let at_budget = Settings {
            tick_rate_hz: 116,
            input_every: 1,
            broadcast_every: 2,
            ..Settings::default()
        };
        assert_eq!(at_budget.validate_with_budget(budget), Ok(()));
        let over = Settings { tick_rate_hz: 117, ..at_budget };
        assert!(over.validate_with_budget(budget).is_err(), "one input over should be refused");
        assert_eq!(Settings::default().validate_with_budget(budget), Ok(()));
    }

    #[test]
    fn a_patch_changes_only_its_fields_and_is_validated() {
        let patch = SettingsPatch {
            broadcast_every: Some(4),
            smoothing: Some(0.5),
            ..SettingsPatch::default()
        };
        let patched = patch.apply_to(&Settings::default());
        assert_eq!(
            patched,
            Ok(Settings { broadcast_every: 4, smoothing: 0.5, ..Settings::default() })
        );
        let bad = SettingsPatch { tick_rate_hz: Some(0), ..SettingsPatch::default() };
        assert_eq!(
            bad.apply_to(&Settings::default()).map_err(|error| error.setting),
            Err("tick_rate_hz")
        );
    }
}
