//! What the network side reports: sessions, traffic, snapshot sizes, skipped snapshots,
//! throttling, round-trip times, rejected input.
//!
//! Handles are registered once with the server's recorder; sessions update them without
//! lookups. The running total of bytes sent is also kept in a plain atomic, which the
//! sim's auto-tuner reads to enforce its bandwidth budget.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use metrics::{Counter, Gauge, Histogram, Recorder, Unit};
use tickwire_protocol::{CLOSE_CODES, CloseCode};
use tickwire_sim::metrics::{counter, gauge, histogram};

/// The `reason` of a session the server did not close (the peer left or vanished).
const PEER_LEFT: &str = "peer_left";

/// The close reasons counted separately, with their label: `peer_left`, and the name in
/// [`CLOSE_CODES`] of every code the server sends (those [`CloseCode`] knows).
fn close_reasons() -> impl Iterator<Item = (Option<CloseCode>, &'static str)> {
    let sent = CLOSE_CODES
        .iter()
        .map(|info| (CloseCode::from(info.code), info.name))
        .filter(|(code, _)| !matches!(code, CloseCode::Other(_)))
        .map(|(code, name)| (Some(code), name));
    std::iter::once((None, PEER_LEFT)).chain(sent)
}

/// The network side's metrics. Cheap to clone.
#[derive(Debug, Clone)]
pub struct NetMetrics {
    pub(crate) sessions: Gauge,
    pub(crate) sessions_opened: Counter,
    /// By close code (`None`: the peer left), `peer_left` first.
    sessions_closed: Vec<(Option<CloseCode>, Counter)>,
    bytes_sent: Counter,
    pub(crate) messages_sent: Counter,
    bytes_received: Counter,
    pub(crate) messages_received: Counter,
    pub(crate) snapshot_bytes: Histogram,
    pub(crate) snapshots_skipped: Counter,
    frames_quiet: Counter,
    pub(crate) sessions_throttled: Gauge,
    pub(crate) rtt: Histogram,
    pub(crate) inputs_dropped: Counter,
    pub(crate) acks_rejected: Counter,
    resumed: Counter,
    resume_refused: Counter,
    pub(crate) resume_wrong_player: Counter,
    pub(crate) sessions_evicted: Counter,
    outbound_bytes: Arc<AtomicU64>,
}

impl NetMetrics {
    /// Registers every network metric with `recorder`.
    pub fn register(recorder: &dyn Recorder) -> Self {
        let closed = |reason| {
            counter(
                recorder,
                "tickwire_sessions_closed_total",
                &[("reason", reason)],
                "Sessions ended, by reason.",
            )
        };
        Self {
            sessions: gauge(recorder, "tickwire_sessions", &[], "Open WebSocket sessions."),
            sessions_opened: counter(
                recorder,
                "tickwire_sessions_opened_total",
                &[],
                "WebSocket sessions opened.",
            ),
            sessions_closed: close_reasons().map(|(code, label)| (code, closed(label))).collect(),
            bytes_sent: counter(
                recorder,
                "tickwire_sent_bytes_total",
                &[],
                "Payload bytes of messages sent.",
            ),
            messages_sent: counter(recorder, "tickwire_sent_messages_total", &[], "Messages sent."),
            bytes_received: counter(
                recorder,
                "tickwire_received_bytes_total",
                &[],
                "Payload bytes of messages received.",
            ),
            messages_received: counter(
                recorder,
                "tickwire_received_messages_total",
                &[],
                "Messages received.",
            ),
            snapshot_bytes: histogram(
                recorder,
                "tickwire_snapshot_bytes",
                Unit::Bytes,
                "Size of each snapshot sent.",
            ),
            snapshots_skipped: counter(
                recorder,
                "tickwire_snapshots_skipped_total",
                &[],
                "Frames with changes a session never sent: its socket was busy (it skips to the newest frame) or it was throttled.",
            ),
            frames_quiet: counter(
                recorder,
                "tickwire_frames_quiet_total",
                &[],
                "Frames that changed nothing, so no session was woken to send them (quiet clients get a heartbeat with each ping).",
            ),
            sessions_throttled: gauge(
                recorder,
                "tickwire_sessions_throttled",
                &[],
                "Sessions sent fewer snapshots than the broadcast rate.",
            ),
            rtt: histogram(
                recorder,
                "tickwire_rtt_seconds",
                Unit::Seconds,
                "Round-trip times measured by pings.",
            ),
            inputs_dropped: counter(
                recorder,
                "tickwire_inputs_dropped_total",
                &[],
                "Inputs dropped because the sim's queue was full.",
            ),
            acks_rejected: counter(
                recorder,
                "tickwire_acks_rejected_total",
                &[],
                "Acks for snapshots never sent.",
            ),
            resumed: counter(
                recorder,
                "tickwire_resumes_total",
                &[("result", "resumed")],
                "Resume attempts, by result.",
            ),
            resume_refused: counter(
                recorder,
                "tickwire_resumes_total",
                &[("result", "refused")],
                "Resume attempts, by result.",
            ),
            resume_wrong_player: counter(
                recorder,
                "tickwire_resumes_total",
                &[("result", "wrong_player")],
                "Resume attempts, by result.",
            ),
            sessions_evicted: counter(
                recorder,
                "tickwire_sessions_evicted_total",
                &[],
                "Actors of dropped sessions removed before their resume grace ended, to make room for a new session.",
            ),
            outbound_bytes: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Counts a resume attempt, if the client made one.
    pub(crate) fn resumes(&self, attempted: bool, succeeded: bool) {
        match (attempted, succeeded) {
            (true, true) => self.resumed.increment(1),
            (true, false) => self.resume_refused.increment(1),
            _ => {}
        }
    }

    /// Counts a published frame that woke no session (see `SnapshotPublisher::publish`).
    pub fn snapshot_published(&self, woke_sessions: bool) {
        if !woke_sessions {
            self.frames_quiet.increment(1);
        }
    }

    /// The same metrics for one room: every series is the process's, but the running
    /// total of bytes sent is the room's own (what its auto-tuner reads).
    pub fn for_room(&self) -> Self {
        Self { outbound_bytes: Arc::default(), ..self.clone() }
    }

    /// The running total of bytes sent (by this room's sessions, for a room's metrics),
    /// for the auto-tuner.
    pub fn outbound_bytes(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.outbound_bytes)
    }

    pub(crate) fn sent(&self, bytes: usize) {
        self.bytes_sent.increment(bytes as u64);
        self.messages_sent.increment(1);
        self.outbound_bytes.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    pub(crate) fn received(&self, bytes: usize) {
        self.bytes_received.increment(bytes as u64);
        self.messages_received.increment(1);
    }

    /// Counts a session's end; `None` means the peer left.
    pub(crate) fn closed(&self, code: Option<CloseCode>) {
        let counted = self.sessions_closed.iter().find(|(reason, _)| *reason == code);
        if let Some((_, counter)) = counted.or(self.sessions_closed.first()) {
            counter.increment(1);
        }
    }
}
