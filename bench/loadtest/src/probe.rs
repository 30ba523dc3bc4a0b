//! The server's side of a run: CPU time and memory from `/proc/<pid>` (any server on
//! this machine) and Tickwire's own numbers from its `/metrics`.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use prometheus_parse::{Scrape, Value};
use thiserror::Error;

/// How long one scrape may take.
const SCRAPE_TIMEOUT: Duration = Duration::from_secs(2);

/// Why the server could not be probed.
#[derive(Debug, Error)]
pub enum ProbeError {
    /// `/proc/<pid>` could not be read.
    #[error("reading /proc for pid {pid}: {source}")]
    Proc {
        /// The process.
        pid: i32,
        /// What failed.
        source: procfs::ProcError,
    },
    /// The metrics endpoint failed.
    #[error("scraping {url}: {reason}")]
    Metrics {
        /// The endpoint.
        url: String,
        /// What failed.
        reason: String,
    },
}

/// The server's cumulative CPU time and current memory.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Usage {
    /// User plus system CPU time since the process started, in seconds.
    pub cpu_seconds: f64,
    /// Resident memory in bytes.
    pub rss_bytes: u64,
}

/// What Tickwire's `/metrics` said at one moment.
#[derive(Debug, Clone, Default)]
pub struct ServerMetrics {
    /// `tickwire_tick_duration_seconds` as (upper bound, cumulative count), ascending.
    pub tick_buckets: Vec<(f64, f64)>,
    /// `tickwire_room_tick_duration_seconds` by room id, as `tick_buckets`: each room's
    /// own ticks (servers with rooms).
    pub room_tick_buckets: BTreeMap<String, Vec<(f64, f64)>>,
    /// The longest tick of the last full second, in seconds.
    pub tick_peak_seconds: f64,
    /// Ticks that ended after the next was due.
    pub tick_overruns: f64,
    /// Ticks skipped to catch up.
    pub ticks_skipped: f64,
    /// Snapshots sessions skipped (busy socket or throttled).
    pub snapshots_skipped: f64,
    /// Sessions currently throttled.
    pub sessions_throttled: f64,
    /// Inputs dropped because the sim's queue was full.
    pub inputs_dropped: f64,
    /// Actors in the world.
    pub actors: f64,
    /// Dropped sessions' actors removed to make room for new sessions.
    pub sessions_evicted: f64,
    /// Sessions the server closed, by reason.
    pub sessions_closed: BTreeMap<String, f64>,
    /// Settings in force, by name.
    pub settings: BTreeMap<String, f64>,
    /// The process's CPU time and memory, as the server reports them.
    pub usage: Usage,
}

/// Reads a server's CPU, memory and metrics.
#[derive(Debug, Clone)]
pub struct ServerProbe {
    pid: Option<i32>,
    metrics_url: Option<String>,
    http: HttpClient<HttpConnector, Empty<Bytes>>,
}

impl ServerProbe {
    /// A probe of process `pid` (if local) and of `metrics_url` (if Tickwire).
    pub fn new(pid: Option<i32>, metrics_url: Option<String>) -> Self {
        Self { pid, metrics_url, http: HttpClient::builder(TokioExecutor::new()).build_http() }
    }

    /// Whether this probe can say anything about the server's CPU and memory.
    pub fn sees_usage(&self) -> bool {
        self.pid.is_some() || self.metrics_url.is_some()
    }

    /// The process's usage from `/proc`, if a pid was given.
    pub fn proc_usage(&self) -> Result<Option<Usage>, ProbeError> {
        let Some(pid) = self.pid else {
            return Ok(None);
        };
        let failed = |source| ProbeError::Proc { pid, source };
        procfs::process::Process::new(pid)
            .and_then(|process| usage_of(&process))
            .map(Some)
            .map_err(failed)
    }

    /// Tickwire's metrics, if this is a Tickwire run.
    pub async fn metrics(&self) -> Result<Option<ServerMetrics>, ProbeError> {
        let Some(url) = &self.metrics_url else {
            return Ok(None);
        };
        let failed = |reason: String| ProbeError::Metrics { url: url.clone(), reason };
        let uri = url.parse::<hyper::Uri>().map_err(|error| failed(error.to_string()))?;
        let fetch = async {
            let response = self.http.get(uri).await.map_err(|error| error.to_string())?;
            if !response.status().is_success() {
                return Err(format!("status {}", response.status()));
            }
            let body = response.into_body().collect().await.map_err(|error| error.to_string())?;
            Ok(body.to_bytes())
        };
        let body = tokio::time::timeout(SCRAPE_TIMEOUT, fetch)
            .await
            .map_err(|_| failed(format!("no answer within {SCRAPE_TIMEOUT:?}")))?
            .map_err(failed)?;
        let text = String::from_utf8_lossy(&body);
        let scrape = Scrape::parse(text.lines().map(|line| Ok(line.to_owned())))
            .map_err(|error| failed(error.to_string()))?;
        Ok(Some(ServerMetrics::from_scrape(&scrape)))
    }

    /// The best usage figure: `/proc` when there is a pid, else the server's own.
    pub async fn usage(&self) -> Result<Option<Usage>, ProbeError> {
        if let Some(usage) = self.proc_usage()? {
            return Ok(Some(usage));
        }
        Ok(self.metrics().await?.map(|metrics| metrics.usage))
    }
}

/// This process's own usage (the load generator's), if `/proc` can tell.
pub fn own_usage() -> Option<Usage> {
    procfs::process::Process::myself().and_then(|process| usage_of(&process)).ok()
}

fn usage_of(process: &procfs::process::Process) -> Result<Usage, procfs::ProcError> {
    let stat = process.stat()?;
    let status = process.status()?;
    Ok(Usage {
        cpu_seconds: (stat.utime + stat.stime) as f64 / procfs::ticks_per_second() as f64,
        rss_bytes: status.vmrss.unwrap_or(0) * 1024,
    })
}

impl ServerMetrics {
    fn from_scrape(scrape: &Scrape) -> Self {
        let mut metrics = Self::default();
        for sample in &scrape.samples {
            let value = match &sample.value {
                Value::Counter(value) | Value::Gauge(value) | Value::Untyped(value) => *value,
                Value::Histogram(buckets) => {
                    let mut buckets: Vec<(f64, f64)> =
                        buckets.iter().map(|bucket| (bucket.less_than, bucket.count)).collect();
                    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
                    match (sample.metric.as_str(), sample.labels.get("room")) {
                        ("tickwire_tick_duration_seconds", _) => metrics.tick_buckets = buckets,
                        ("tickwire_room_tick_duration_seconds", Some(room)) => {
                            metrics.room_tick_buckets.insert(room.to_owned(), buckets);
                        }
                        _ => {}
                    }
                    continue;
                }
                Value::Summary(_) => continue,
            };
            match sample.metric.as_str() {
                "tickwire_tick_duration_peak_seconds" => metrics.tick_peak_seconds = value,
                "tickwire_tick_overruns_total" => metrics.tick_overruns = value,
                "tickwire_ticks_skipped_total" => metrics.ticks_skipped = value,
                "tickwire_snapshots_skipped_total" => metrics.snapshots_skipped = value,
                "tickwire_sessions_throttled" => metrics.sessions_throttled = value,
                "tickwire_inputs_dropped_total" => metrics.inputs_dropped = value,
                "tickwire_actors" => metrics.actors = value,
                "tickwire_sessions_evicted_total" => metrics.sessions_evicted = value,
                "tickwire_sessions_closed_total" => {
                    if let Some(reason) = sample.labels.get("reason") {
                        metrics.sessions_closed.insert(reason.to_owned(), value);
                    }
                }
                "tickwire_setting" => {
                    if let Some(name) = sample.labels.get("name") {
                        metrics.settings.insert(name.to_owned(), value);
                    }
                }
                "process_cpu_seconds_total" => metrics.usage.cpu_seconds = value,
                "process_resident_memory_bytes" => metrics.usage.rss_bytes = value as u64,
                _ => {}
            }
        }
        metrics
    }
}

/// The `quantile` (0–1) of the ticks counted between two cumulative bucket readings,
/// interpolated linearly inside its bucket; `None` if no tick fell in between.
pub fn bucket_quantile(before: &[(f64, f64)], after: &[(f64, f64)], quantile: f64) -> Option<f64> {
    let counts: Vec<(f64, f64)> = after
        .iter()
        .map(|&(bound, count)| {
            let earlier = before
                .iter()
                .find(|&&(earlier_bound, _)| earlier_bound == bound)
                .map_or(0.0, |&(_, count)| count);
            (bound, count - earlier)
        })
        .collect();
    let total = counts.last()?.1;
    if total <= 0.0 {
        return None;
    }
    let rank = quantile.clamp(0.0, 1.0) * total;
    let mut lower = (0.0, 0.0);
    for &(bound, cumulative) in &counts {
        if cumulative >= rank {
            if bound.is_infinite() {
                return Some(lower.0);
            }
            let inside = cumulative - lower.1;
            let share = if inside > 0.0 { (rank - lower.1) / inside } else { 1.0 };
            return Some(lower.0 + (bound - lower.0) * share);
        }
        lower = (bound, cumulative);
    }
    Some(lower.0)
}

#[cfg(test)]
mod tests {
    use prometheus_parse::Scrape;

    use super::{ServerMetrics, bucket_quantile};

    #[test]
    fn tick_histograms_are_read_server_wide_and_per_room() {
        let text = r#"
# TYPE tickwire_tick_duration_seconds histogram
tickwire_tick_duration_seconds_bucket{le="0.001"} 7
tickwire_tick_duration_seconds_bucket{le="+Inf"} 9
tickwire_tick_duration_seconds_sum 0.01
tickwire_tick_duration_seconds_count 9
# TYPE tickwire_room_tick_duration_seconds histogram
tickwire_room_tick_duration_seconds_bucket{room="k3v9qz2a",le="0.002"} 4
tickwire_room_tick_duration_seconds_bucket{room="k3v9qz2a",le="0.001"} 3
tickwire_room_tick_duration_seconds_bucket{room="k3v9qz2a",le="+Inf"} 5
tickwire_room_tick_duration_seconds_sum{room="k3v9qz2a"} 0.01
tickwire_room_tick_duration_seconds_count{room="k3v9qz2a"} 5
tickwire_room_tick_duration_seconds_bucket{room="default",le="0.001"} 2
tickwire_room_tick_duration_seconds_bucket{room="default",le="+Inf"} 2
tickwire_room_tick_duration_seconds_sum{room="default"} 0.001
tickwire_room_tick_duration_seconds_count{room="default"} 2
"#;
        let scrape = Scrape::parse(text.lines().map(|line| Ok(line.to_owned())))
            .unwrap_or_else(|error| panic!("the sample scrape should parse: {error}"));
        let metrics = ServerMetrics::from_scrape(&scrape);
        assert_eq!(metrics.tick_buckets, [(0.001, 7.0), (f64::INFINITY, 9.0)]);
        let rooms: Vec<&String> = metrics.room_tick_buckets.keys().collect();
        assert_eq!(rooms, ["default", "k3v9qz2a"], "every room's histogram should be kept");
        assert_eq!(
            metrics.room_tick_buckets["k3v9qz2a"],
            [(0.001, 3.0), (0.002, 4.0), (f64::INFINITY, 5.0)],
            "buckets should be in ascending order"
        );
    }

    #[test]
    fn quantiles_interpolate_inside_the_bucket_of_the_window() {
        let before = [(0.001, 10.0), (0.002, 10.0), (f64::INFINITY, 10.0)];
        // In the window: 50 ticks in (0, 1 ms], 50 in (1, 2 ms].
        let after = [(0.001, 60.0), (0.002, 110.0), (f64::INFINITY, 110.0)];
        assert_eq!(bucket_quantile(&before, &after, 0.5), Some(0.001));
        let p75 = bucket_quantile(&before, &after, 0.75).expect("ticks in the window");
        assert!((p75 - 0.0015).abs() < 1e-12, "p75 = {p75}");
        assert_eq!(bucket_quantile(&after, &after, 0.5), None, "no ticks in the window");
    }
}
