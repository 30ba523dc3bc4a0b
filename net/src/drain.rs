//! How fast a client takes its stream, and how long what is queued for it takes to arrive.
//!
//! Measured from the socket's send queue (bytes written that the peer has not
//! acknowledged): between two looks, the peer took what was written minus what the queue
//! grew by. That is the client's drain rate only while the queue stays non-empty (with
//! nothing queued the client could have taken more), so only spans in which every look
//! found bytes queued count, and only once they are [`MIN_SPAN`] long, so one span holds
//! many segments. Spans are smoothed, so one burst or stall does not swing the rate.

use std::time::{Duration, Instant};

/// The shortest span of a backlogged queue that measures the rate.
pub(crate) const MIN_SPAN: Duration = Duration::from_millis(250);
/// How much of each new span's rate goes into the smoothed rate.
const SMOOTHING: f64 = 0.5;

/// One connection's drain rate.
#[derive(Debug, Default)]
pub(crate) struct DrainMeter {
    /// The start of the current span of a backlogged queue: when, and the bytes the peer
    /// had acknowledged by then.
    span_start: Option<(Instant, u64)>,
    /// Bytes per second, smoothed; `None` until a span was measured.
    rate: Option<f64>,
    /// Bytes queued at the last look.
    queued: u32,
    /// When the last look was, and how much had been written by then.
    looked: Option<(Instant, u64)>,
}

impl DrainMeter {
    /// A look at the queue at `now`: `written` bytes written to the socket so far, of
    /// which `queued` are not acknowledged yet.
    pub(crate) fn observe(&mut self, now: Instant, written: u64, queued: u32) {
        let acknowledged = written.saturating_sub(u64::from(queued));
        self.queued = queued;
        self.looked = Some((now, written));
        if queued == 0 {
            self.span_start = None;
            return;
        }
        let Some((since, acknowledged_then)) = self.span_start else {
            self.span_start = Some((now, acknowledged));
            return;
        };
        let span = now.saturating_duration_since(since);
        if span < MIN_SPAN {
            return;
        }
        let taken = acknowledged.saturating_sub(acknowledged_then) as f64;
        let sample = taken / span.as_secs_f64();
        self.rate = Some(self.rate.map_or(sample, |rate| rate + (sample - rate) * SMOOTHING));
        self.span_start = Some((now, acknowledged));
    }

    /// The client's measured drain rate in bytes per second, if measured yet.
    pub(crate) fn rate(&self) -> Option<f64> {
        self.rate
    }

    /// Bytes queued at the last look.
    pub(crate) fn queued(&self) -> u32 {
        self.queued
    }

    /// When the queue was last looked at.
    pub(crate) fn looked_at(&self) -> Option<Instant> {
        self.looked.map(|(at, _)| at)
    }

    /// The most the queue can hold once `written` bytes are written: what it held at the
    /// last look plus all written since, as it grows only by what is written.
    pub(crate) fn queued_at_most(&self, written: u64) -> u64 {
        let written_then = self.looked.map_or(0, |(_, written_then)| written_then);
        u64::from(self.queued) + written.saturating_sub(written_then)
    }

    /// How long the client takes to drain `queued` bytes, at its measured rate (`None`
    /// until measured; [`Duration::MAX`] for a client that takes nothing).
    pub(crate) fn delay_of(&self, queued: u64) -> Option<Duration> {
        let rate = self.rate?;
        if queued == 0 {
            return Some(Duration::ZERO);
        }
        Some(Duration::try_from_secs_f64(queued as f64 / rate).unwrap_or(Duration::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STEP: Duration = Duration::from_millis(50);

    /// Looks every 50 ms at a client that takes `rate` bytes a second while the server
    /// writes `write` bytes a look, for `looks` looks, starting at `now` with the queue
    /// and the byte count in `queue`; returns the time after the last look.
    fn run(
        meter: &mut DrainMeter,
        mut now: Instant,
        queue: &mut (u64, u64),
        rate: u64,
        write: u64,
        looks: u32,
    ) -> Instant {
        for _ in 0..looks {
            let (written, queued) = queue;
            *written += write;
            *queued = (*queued + write).saturating_sub(rate / 20);
            meter.observe(now, *written, u32::try_from(*queued).unwrap_or(u32::MAX));
            now += STEP;
        }
        now
    }

    #[test]
    fn a_backlogged_queue_measures_the_clients_rate() {
        let mut meter = DrainMeter::default();
        let mut queue = (0, 0);
        // The server writes 10 KB/s to a client that takes 4 KB/s.
        let now = run(&mut meter, Instant::now(), &mut queue, 4000, 500, 4);
        assert_eq!(meter.rate(), None, "less than one span: not measured yet");
        run(&mut meter, now, &mut queue, 4000, 500, 40);
        let rate = meter.rate().expect("two seconds of backlog measure the rate");
        assert!((rate - 4000.0).abs() < 1.0, "the client takes 4 KB/s: {rate}");
        let delay = meter.delay_of(u64::from(meter.queued())).expect("measured");
        let expected = queue.1 as f64 / 4000.0;
        assert!((delay.as_secs_f64() - expected).abs() < 0.01, "{delay:?} for {} B", queue.1);
    }

    #[test]
    fn a_client_that_keeps_up_is_not_measured_and_has_no_delay() {
        let mut meter = DrainMeter::default();
        let mut queue = (0, 0);
        run(&mut meter, Instant::now(), &mut queue, 40_000, 500, 40);
        assert_eq!(meter.rate(), None, "an empty queue says nothing about the client's rate");
        assert_eq!(meter.queued(), 0);
    }

    #[test]
    fn a_client_that_stops_reading_drains_nothing() {
        let mut meter = DrainMeter::default();
        let mut queue = (0, 0);
        let now = run(&mut meter, Instant::now(), &mut queue, 4000, 500, 40);
        run(&mut meter, now, &mut queue, 0, 0, 60);
        let rate = meter.rate().expect("measured");
        assert!(rate < 10.0, "a client that reads nothing should drain about nothing: {rate}");
        assert!(
            meter.delay_of(u64::from(meter.queued())).expect("measured") > Duration::from_secs(60)
        );
    }
}
