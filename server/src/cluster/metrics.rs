//! What an operator watches of the cluster: whether this process's entry is in the
//! directory, how its refreshes go, and how calls forwarded to other processes end.

use metrics::{Counter, Gauge, Recorder};
use tickwire_sim::metrics::{counter, gauge};

use crate::rooms::registry::MatchError;

/// The cluster's series on `/metrics`.
#[derive(Clone)]
pub(crate) struct ClusterMetrics {
    directory_up: Gauge,
    published: Counter,
    publish_failed: Counter,
    forwarded_seated: Counter,
    forwarded_refused: Counter,
    forwarded_unavailable: Counter,
}

impl ClusterMetrics {
    pub(crate) fn register(recorder: &dyn Recorder) -> Self {
        let publishes = |result| {
            counter(
                recorder,
                "tickwire_directory_publishes_total",
                &[("result", result)],
                "Writes of this process's directory entry, by result (ok, failed).",
            )
        };
        let forwarded = |result| {
            counter(
                recorder,
                "tickwire_matchmaking_forwarded_total",
                &[("result", result)],
                "Matchmaking calls forwarded to the owning process, by result \
                 (seated; refused: the owner said no; unavailable: it answered 503 or not at all).",
            )
        };
        Self {
            directory_up: gauge(
                recorder,
                "tickwire_directory_up",
                &[],
                "1 while this process's last directory write succeeded, else 0.",
            ),
            published: publishes("ok"),
            publish_failed: publishes("failed"),
            forwarded_seated: forwarded("seated"),
            forwarded_refused: forwarded("refused"),
            forwarded_unavailable: forwarded("unavailable"),
        }
    }

    /// A directory write ended; `ok` whether it succeeded.
    pub(crate) fn published(&self, ok: bool) {
        self.directory_up.set(if ok { 1.0 } else { 0.0 });
        if ok { &self.published } else { &self.publish_failed }.increment(1);
    }

    /// A forwarded call ended with `outcome`.
    pub(crate) fn forwarded<T>(&self, outcome: &Result<T, MatchError>) {
        match outcome {
            Ok(_) => &self.forwarded_seated,
            Err(MatchError::Exhausted(_)) => &self.forwarded_unavailable,
            Err(_) => &self.forwarded_refused,
        }
        .increment(1);
    }
}
