//! What every bot reports as it runs: connections, bytes, frames, and delivery latency.
//!
//! Bots update shared atomics and one latency histogram; the sampler takes the totals
//! twice a second and swaps the histogram out, so each sample holds that interval's
//! latencies and the report merges the ones inside the measured window.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use hdrhistogram::Histogram;

/// Latencies above this are clamped into the top bucket (a minute, in µs).
const LATENCY_CEILING_US: u64 = 60_000_000;

/// Counters the bots share.
#[derive(Debug)]
pub struct LiveStats {
    /// Connections open right now (handshake done).
    pub connected: AtomicU64,
    /// Connection attempts that failed before the handshake finished.
    pub connect_failures: AtomicU64,
    /// Connections that ended before the run did: closed by the server or lost.
    pub connections_lost: AtomicU64,
    /// Bytes of game traffic received (WebSocket payloads, not counting the timing
    /// stamps the load tool asked for).
    pub bytes: AtomicU64,
    /// World updates received: snapshots, patches, or broadcast frames.
    pub frames: AtomicU64,
    /// Bytes of the load tool's own timing stamps (Tickwire `SnapshotTiming`, Colyseus
    /// timestamp messages), kept apart from `bytes`.
    pub stamp_bytes: AtomicU64,
    latency_us: Mutex<Histogram<u64>>,
    /// Why connections failed or ended early, by reason, for the report.
    end_reasons: Mutex<BTreeMap<String, u64>>,
}

impl Default for LiveStats {
    fn default() -> Self {
        Self {
            connected: AtomicU64::new(0),
            connect_failures: AtomicU64::new(0),
            connections_lost: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            frames: AtomicU64::new(0),
            stamp_bytes: AtomicU64::new(0),
            latency_us: Mutex::new(latency_histogram()),
            end_reasons: Mutex::new(BTreeMap::new()),
        }
    }
}

/// An empty latency histogram: 1 µs to a minute, 3 significant digits.
#[allow(clippy::expect_used)] // Constant bounds that hdrhistogram accepts: cannot fail.
pub fn latency_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, LATENCY_CEILING_US, 3).expect("constant, valid bounds")
}

impl LiveStats {
    /// Records one world update of `bytes`, and its delivery latency if it was stamped
    /// (`sent_unix_us`: when the server published it).
    pub fn record_frame(&self, bytes: usize, sent_unix_us: Option<u64>, received_unix_us: u64) {
        self.bytes.fetch_add(bytes as u64, Relaxed);
        self.frames.fetch_add(1, Relaxed);
        if let Some(sent) = sent_unix_us {
            self.record_latency(sent, received_unix_us);
        }
    }

    /// Records a stamp message of `bytes` sent at `sent_unix_us` (Colyseus: the stamp
    /// follows its patch, so its arrival is the patch's delivery).
    pub fn record_stamp(&self, bytes: usize, sent_unix_us: u64, received_unix_us: u64) {
        self.stamp_bytes.fetch_add(bytes as u64, Relaxed);
        self.record_latency(sent_unix_us, received_unix_us);
    }

    fn record_latency(&self, sent_unix_us: u64, received_unix_us: u64) {
        // A stamp from the future (clock step) counts as the minimum rather than vanishing.
        let latency = received_unix_us.saturating_sub(sent_unix_us).clamp(1, LATENCY_CEILING_US);
        let mut histogram = self.latency_us.lock().unwrap_or_else(PoisonError::into_inner);
        histogram.saturating_record(latency);
    }

    /// Records traffic that is neither a world update nor a stamp (welcomes, pings...).
    pub fn record_other(&self, bytes: usize) {
        self.bytes.fetch_add(bytes as u64, Relaxed);
    }

    /// Records a connection ending before the run did.
    pub fn record_lost(&self, reason: &str) {
        self.connections_lost.fetch_add(1, Relaxed);
        self.note_reason(reason);
    }

    /// Records a connection that never got ready.
    pub fn record_connect_failure(&self, reason: &str) {
        self.connect_failures.fetch_add(1, Relaxed);
        self.note_reason(&format!("connect: {reason}"));
    }

    fn note_reason(&self, reason: &str) {
        let mut reasons = self.end_reasons.lock().unwrap_or_else(PoisonError::into_inner);
        // Reasons come from servers; keep the map bounded whatever they say.
        if reasons.len() < 32 || reasons.contains_key(reason) {
            *reasons.entry(reason.to_owned()).or_insert(0) += 1;
        } else {
            *reasons.entry("(other reasons)".to_owned()).or_insert(0) += 1;
        }
    }

    /// Takes the latencies recorded since the last call.
    pub fn take_latencies(&self) -> Histogram<u64> {
        let mut histogram = self.latency_us.lock().unwrap_or_else(PoisonError::into_inner);
        std::mem::replace(&mut *histogram, latency_histogram())
    }

    /// Why connections failed or ended early, by reason.
    pub fn end_reasons(&self) -> BTreeMap<String, u64> {
        self.end_reasons.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

/// This machine's wall clock in microseconds since the Unix epoch (0 before 1970).
pub fn unix_us_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| u64::try_from(since.as_micros()).unwrap_or(u64::MAX))
}
