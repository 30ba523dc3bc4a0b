//! One load run: connect the bots over the ramp, sample twice a second, and reduce the
//! measured window to a [`Report`].

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use hdrhistogram::Histogram;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Map, Value};
use thiserror::Error;
use tickwire_client::{MatchError, Matchmaker, Seat};
use tokio::task::JoinSet;
use tokio::time::{Instant, MissedTickBehavior, interval_at, sleep_until};
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use crate::bots::{BotEnd, ConnectError, Placement, RoomChoice, run_bot};
use crate::options::{LoadOptions, Target};
use crate::probe::{ProbeError, ServerMetrics, ServerProbe, Usage, bucket_quantile, own_usage};
use crate::report::{
    ClientFigures, LatencyFigures, Report, RoomTickFigures, Sample, ServerFigures, ThrottleFigures,
    TickFigures,
};
use crate::rooms::Rooms;
use crate::stats::{LiveStats, latency_histogram};

/// How often the run is sampled.
const SAMPLE_EVERY: Duration = Duration::from_millis(500);
/// How long stopped bots get to close their connections.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// Why a run could not start.
#[derive(Debug, Error)]
pub enum RunError {
    /// The options make no sense.
    #[error("invalid options: {0}")]
    Options(&'static str),
    /// The server could not be probed before the run.
    #[error(transparent)]
    Probe(#[from] ProbeError),
    /// `--room-options` is not a JSON object.
    #[error("--room-options is not a JSON object: {0}")]
    RoomOptions(String),
    /// The rooms for `--rooms` could not be created.
    #[error("creating the rooms")]
    Rooms(#[from] MatchError),
}

/// Counter readings at one moment.
#[derive(Debug, Clone, Copy)]
struct Reading {
    at: Instant,
    bytes: u64,
    frames: u64,
    stamp_bytes: u64,
    usage: Option<Usage>,
    /// The load generator's own usage.
    loader: Option<Usage>,
}

impl Reading {
    fn take(stats: &LiveStats, usage: Option<Usage>) -> Self {
        Self {
            at: Instant::now(),
            loader: own_usage(),
            bytes: stats.bytes.load(Relaxed),
            frames: stats.frames.load(Relaxed),
            stamp_bytes: stats.stamp_bytes.load(Relaxed),
            usage,
        }
    }
}

/// Runs the load described by `options` and reports on it.
///
/// # Errors
/// [`RunError`] if the options are invalid or the server cannot be probed at the start;
/// anything later (failed connections, lost probes) is reported, not an error.
pub async fn run(options: &LoadOptions) -> Result<Report, RunError> {
    if options.clients == 0 {
        return Err(RunError::Options("at least one client is needed"));
    }
    if options.duration < SAMPLE_EVERY {
        return Err(RunError::Options("the measured window must be at least 0.5 s"));
    }
    let rooms = create_rooms(options).await?.map(Arc::new);
    let stats = Arc::new(LiveStats::default());
    let probe = ServerProbe::new(options.server_pid, options.metrics_url());
    let usage_before = probe.usage().await?;
    let stop = CancellationToken::new();
    let start = Instant::now();
    let window_opens = start + options.ramp + options.warmup;
    let end = window_opens + options.duration;

    let bots = tokio::spawn(connect_bots(
        options.clone(),
        rooms.clone(),
        Arc::clone(&stats),
        stop.clone(),
        start,
    ));
    let progress = progress_bar(options, end - start);

    let mut timeline = Vec::new();
    let mut ticker = interval_at(start + SAMPLE_EVERY, SAMPLE_EVERY);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut previous = Reading::take(&stats, usage_before);
    let mut window_start: Option<(Reading, Option<ServerMetrics>)> = None;
    let mut window = WindowTally::default();
    loop {
        ticker.tick().await;
        let metrics = probe.metrics().await.unwrap_or_else(|error| {
            warn!(%error, "metrics scrape failed");
            None
        });
        let usage = match probe.proc_usage() {
            Ok(Some(usage)) => Some(usage),
            Ok(None) => metrics.as_ref().map(|metrics| metrics.usage),
            Err(error) => {
                warn!(%error, "server usage unavailable");
                None
            }
        };
        let reading = Reading::take(&stats, usage);
        let latencies = stats.take_latencies();
        let connected = stats.connected.load(Relaxed);
        let sample = sample(start, &previous, &reading, &latencies, connected, metrics.as_ref());
        if reading.at >= window_opens {
            match &window_start {
                None => window_start = Some((reading, metrics.clone())),
                Some(_) => window.add(&sample, &latencies, metrics.as_ref()),
            }
        }
        progress.set_position((reading.at - start).as_millis() as u64);
        progress.set_message(format!(
            "{connected}/{} clients, {:.2} MiB/s, p99 {}",
            options.clients,
            sample.received_mib_per_s,
            sample.latency_p99_ms.map_or("-".to_owned(), |ms| format!("{ms:.1} ms")),
        ));
        timeline.push(sample);
        previous = reading;
        if reading.at >= end {
            break;
        }
    }
    progress.finish_and_clear();
    stop.cancel();
    if tokio::time::timeout(STOP_GRACE, bots).await.is_err() {
        warn!("some bots did not stop within {STOP_GRACE:?}");
    }

    let Some((first, first_metrics)) = window_start else {
        return Err(RunError::Options("the run ended before its window opened"));
    };
    let last = previous;
    let last_metrics = window.last_metrics.clone();
    Ok(Report {
        target: options.target,
        url: options.url.clone(),
        clients_requested: options.clients,
        rooms: rooms.as_ref().map(|rooms| rooms.count()),
        ramp_s: options.ramp.as_secs_f64(),
        warmup_s: options.warmup.as_secs_f64(),
        window_s: (last.at - first.at).as_secs_f64(),
        clients: client_figures(&stats, &first, &last, &window),
        latency: latency_figures(&window.latencies),
        server: server_figures(usage_before, &first, &last, window.connected_mean()),
        tick: tick_figures(first_metrics.as_ref(), last_metrics.as_ref(), window.tick_peak),
        room_tick: room_tick_figures(first_metrics.as_ref(), last_metrics.as_ref()),
        throttling: throttle_figures(first_metrics.as_ref(), last_metrics.as_ref(), &window),
        loader_cpu_cores: cpu_cores(first.loader, last.loader, last.at - first.at),
        timeline,
    })
}

/// Mean cores used between two usage readings `elapsed` apart.
fn cpu_cores(first: Option<Usage>, last: Option<Usage>, elapsed: Duration) -> Option<f64> {
    Some((last?.cpu_seconds - first?.cpu_seconds) / elapsed.as_secs_f64().max(1e-9))
}

/// The rooms of a Tickwire `--rooms` run, created before the ramp; `None` for a run in the
/// default room, or against a peer (the Colyseus bots place themselves).
async fn create_rooms(options: &LoadOptions) -> Result<Option<Rooms>, RunError> {
    let count = match (options.target, options.rooms) {
        (Target::Tickwire, Some(count)) => count,
        (Target::Tickwire, None) if options.room_options.is_some() => {
            return Err(RunError::Options("--room-options needs --rooms"));
        }
        (Target::Raw, Some(_)) => return Err(RunError::Options("a raw server has no rooms")),
        _ => return Ok(None),
    };
    let count = NonZeroU32::new(count).ok_or(RunError::Options("--rooms must be at least 1"))?;
    let room_options = options.room_options.as_deref().map(parse_room_options).transpose()?;
    let matchmaker = Matchmaker::new(&options.url)?;
    Ok(Some(Rooms::create(matchmaker, count, room_options).await?))
}

fn parse_room_options(text: &str) -> Result<Map<String, Value>, RunError> {
    match serde_json::from_str(text) {
        Ok(Value::Object(options)) => Ok(options),
        Ok(other) => Err(RunError::RoomOptions(format!("got {other}"))),
        Err(error) => Err(RunError::RoomOptions(error.to_string())),
    }
}

/// Connects `options.clients` bots evenly over the ramp, then waits for all to end.
async fn connect_bots(
    options: LoadOptions,
    rooms: Option<Arc<Rooms>>,
    stats: Arc<LiveStats>,
    stop: CancellationToken,
    start: Instant,
) {
    let options = Arc::new(options);
    let mut bots = JoinSet::new();
    for index in 0..options.clients {
        let due = start + options.ramp.mul_f64(f64::from(index) / f64::from(options.clients));
        tokio::select! {
            () = stop.cancelled() => break,
            () = sleep_until(due) => {}
        }
        let (options, stats, stop) = (Arc::clone(&options), Arc::clone(&stats), stop.clone());
        let rooms = rooms.clone();
        bots.spawn(async move {
            let bot = async {
                let seat = seat_for(rooms.as_deref(), index).await?;
                // Colyseus bots place themselves: bot i asks for room slot i % rooms.
                let colyseus_room = options
                    .rooms
                    .filter(|_| options.target == Target::Colyseus)
                    .map(|rooms| RoomChoice {
                        slot: index % rooms.max(1),
                        options: options.room_options.as_deref(),
                    });
                let placement = Placement { seat, colyseus_room };
                run_bot(&options, placement, &stats, &stop).await
            };
            match bot.await {
                Ok(BotEnd::Stopped) => {}
                Ok(BotEnd::Lost(reason)) => {
                    debug!(index, %reason, "connection lost");
                    stats.record_lost(&reason);
                }
                Err(error) => {
                    debug!(index, %error, "connection failed");
                    stats.record_connect_failure(&error.to_string());
                }
            }
        });
    }
    while bots.join_next().await.is_some() {}
}

/// Bot `index`'s seat, when the run has rooms.
async fn seat_for(rooms: Option<&Rooms>, index: u32) -> Result<Option<Seat>, ConnectError> {
    let Some(rooms) = rooms else {
        return Ok(None);
    };
    let seat = rooms.seat_for(index).await;
    seat.map(Some).map_err(|error| ConnectError::Matchmaking(error.to_string()))
}

fn progress_bar(options: &LoadOptions, length: Duration) -> ProgressBar {
    if !options.progress {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(length.as_millis() as u64);
    let style = ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {percent:>3}% {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style.progress_chars("=> "));
    bar
}

/// One timeline point from two readings and the interval's latencies.
fn sample(
    start: Instant,
    previous: &Reading,
    reading: &Reading,
    latencies: &Histogram<u64>,
    connected: u64,
    metrics: Option<&ServerMetrics>,
) -> Sample {
    let seconds = (reading.at - previous.at).as_secs_f64().max(1e-9);
    let quantile_ms = |quantile| {
        (!latencies.is_empty()).then(|| latencies.value_at_quantile(quantile) as f64 / 1000.0)
    };
    Sample {
        t_s: (reading.at - start).as_secs_f64(),
        connected,
        received_mib_per_s: (reading.bytes - previous.bytes) as f64 / seconds / MIB,
        frames_per_s: (reading.frames - previous.frames) as f64 / seconds,
        latency_p50_ms: quantile_ms(0.5),
        latency_p99_ms: quantile_ms(0.99),
        server_cpu_cores: cpu_cores(previous.usage, reading.usage, reading.at - previous.at),
        server_rss_mib: reading.usage.map(|usage| usage.rss_bytes as f64 / MIB),
        tick_peak_ms: metrics.map(|metrics| metrics.tick_peak_seconds * 1000.0),
    }
}

const MIB: f64 = 1024.0 * 1024.0;

/// What the samples inside the measured window add up to.
#[derive(Debug)]
struct WindowTally {
    latencies: Histogram<u64>,
    connected_sum: f64,
    connected_last: u64,
    samples: u32,
    tick_peak: f64,
    throttled_peak: f64,
    last_metrics: Option<ServerMetrics>,
}

impl Default for WindowTally {
    fn default() -> Self {
        Self {
            latencies: latency_histogram(),
            connected_sum: 0.0,
            connected_last: 0,
            samples: 0,
            tick_peak: 0.0,
            throttled_peak: 0.0,
            last_metrics: None,
        }
    }
}

impl WindowTally {
    fn add(
        &mut self,
        sample: &Sample,
        latencies: &Histogram<u64>,
        metrics: Option<&ServerMetrics>,
    ) {
        if let Err(error) = self.latencies.add(latencies) {
            warn!(%error, "latencies could not be merged");
        }
        self.connected_sum += sample.connected as f64;
        self.connected_last = sample.connected;
        self.samples += 1;
        if let Some(metrics) = metrics {
            self.tick_peak = self.tick_peak.max(metrics.tick_peak_seconds);
            self.throttled_peak = self.throttled_peak.max(metrics.sessions_throttled);
            self.last_metrics = Some(metrics.clone());
        }
    }

    fn connected_mean(&self) -> f64 {
        if self.samples == 0 { 0.0 } else { self.connected_sum / f64::from(self.samples) }
    }
}

fn client_figures(
    stats: &LiveStats,
    first: &Reading,
    last: &Reading,
    window: &WindowTally,
) -> ClientFigures {
    let seconds = (last.at - first.at).as_secs_f64().max(1e-9);
    let clients = window.connected_mean().max(1.0);
    let frames = (last.frames - first.frames) as f64;
    let bytes = (last.bytes - first.bytes) as f64;
    ClientFigures {
        connected_mean: window.connected_mean(),
        connected_at_end: window.connected_last,
        connect_failures: stats.connect_failures.load(Relaxed),
        connections_lost: stats.connections_lost.load(Relaxed),
        end_reasons: stats.end_reasons(),
        bytes_per_client_per_s: bytes / seconds / clients,
        frames_per_client_per_s: frames / seconds / clients,
        mean_frame_bytes: if frames > 0.0 { bytes / frames } else { 0.0 },
        stamp_bytes_per_client_per_s: (last.stamp_bytes - first.stamp_bytes) as f64
            / seconds
            / clients,
    }
}

fn latency_figures(latencies: &Histogram<u64>) -> Option<LatencyFigures> {
    if latencies.is_empty() {
        return None;
    }
    let ms = |micros: u64| micros as f64 / 1000.0;
    Some(LatencyFigures {
        samples: latencies.len(),
        p50_ms: ms(latencies.value_at_quantile(0.5)),
        p99_ms: ms(latencies.value_at_quantile(0.99)),
        p999_ms: ms(latencies.value_at_quantile(0.999)),
        max_ms: ms(latencies.max()),
    })
}

fn server_figures(
    before: Option<Usage>,
    first: &Reading,
    last: &Reading,
    clients: f64,
) -> Option<ServerFigures> {
    let (before, end) = (before?, last.usage?);
    let cores = cpu_cores(first.usage, last.usage, last.at - first.at)?;
    let clients = clients.max(1.0);
    Some(ServerFigures {
        cpu_cores: cores,
        cpu_us_per_client_per_s: cores * 1e6 / clients,
        rss_mib_before: before.rss_bytes as f64 / MIB,
        rss_mib_at_end: end.rss_bytes as f64 / MIB,
        rss_kib_per_client: (end.rss_bytes as f64 - before.rss_bytes as f64) / 1024.0 / clients,
    })
}

fn tick_figures(
    first: Option<&ServerMetrics>,
    last: Option<&ServerMetrics>,
    peak_seconds: f64,
) -> Option<TickFigures> {
    let (first, last) = (first?, last?);
    let ms = |quantile| {
        bucket_quantile(&first.tick_buckets, &last.tick_buckets, quantile).map(|s| s * 1000.0)
    };
    let ticks = last.tick_buckets.last()?.1 - first.tick_buckets.last()?.1;
    Some(TickFigures {
        ticks: ticks.max(0.0) as u64,
        p50_ms: ms(0.5)?,
        p99_ms: ms(0.99)?,
        max_ms: peak_seconds * 1000.0,
        overruns: last.tick_overruns - first.tick_overruns,
        skipped: last.ticks_skipped - first.ticks_skipped,
        settings: last.settings.clone(),
    })
}

/// The worst room's tick p99 over the window, from the per-room tick histograms.
fn room_tick_figures(
    first: Option<&ServerMetrics>,
    last: Option<&ServerMetrics>,
) -> Option<RoomTickFigures> {
    let (first, last) = (first?, last?);
    let p99s: Vec<(&String, f64)> = last
        .room_tick_buckets
        .iter()
        .filter_map(|(room, buckets)| {
            let before = first.room_tick_buckets.get(room).map_or(&[][..], Vec::as_slice);
            Some((room, bucket_quantile(before, buckets, 0.99)?))
        })
        .collect();
    let (worst_room, worst) = p99s.iter().max_by(|a, b| a.1.total_cmp(&b.1))?;
    Some(RoomTickFigures {
        rooms: p99s.len(),
        worst_room: (*worst_room).clone(),
        worst_p99_ms: worst * 1000.0,
    })
}

fn throttle_figures(
    first: Option<&ServerMetrics>,
    last: Option<&ServerMetrics>,
    window: &WindowTally,
) -> Option<ThrottleFigures> {
    let (first, last) = (first?, last?);
    let sessions_closed: BTreeMap<String, f64> = last
        .sessions_closed
        .iter()
        .map(|(reason, &count)| {
            (reason.clone(), count - first.sessions_closed.get(reason).copied().unwrap_or(0.0))
        })
        .filter(|&(_, count)| count > 0.0)
        .collect();
    Some(ThrottleFigures {
        sessions_throttled_peak: window.throttled_peak,
        snapshots_skipped: last.snapshots_skipped - first.snapshots_skipped,
        inputs_dropped: last.inputs_dropped - first.inputs_dropped,
        sessions_closed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics(rooms: &[(&str, [f64; 3])]) -> ServerMetrics {
        let room_tick_buckets = rooms
            .iter()
            .map(|(room, counts)| {
                let bounds = [0.001, 0.010, f64::INFINITY];
                (room.to_string(), bounds.into_iter().zip(*counts).collect())
            })
            .collect();
        ServerMetrics { room_tick_buckets, ..ServerMetrics::default() }
    }

    #[test]
    fn the_worst_room_is_the_one_with_the_slowest_ticks_in_the_window() {
        // Room "b" was slow before the window only; room "c" appears during it.
        let first = metrics(&[("a", [10.0, 10.0, 10.0]), ("b", [0.0, 100.0, 100.0])]);
        let last = metrics(&[
            ("a", [100.0, 100.0, 100.0]),
            ("b", [0.0, 100.0, 100.0]),
            ("c", [0.0, 50.0, 50.0]),
        ]);
        let figures = room_tick_figures(Some(&first), Some(&last))
            .unwrap_or_else(|| panic!("rooms ticked in the window"));
        assert_eq!(figures.rooms, 2, "a room whose ticks are all before the window does not count");
        assert_eq!(figures.worst_room, "c");
        assert!((figures.worst_p99_ms - 9.91).abs() < 1e-9, "p99 = {}", figures.worst_p99_ms);
        assert!(room_tick_figures(Some(&first), Some(&metrics(&[]))).is_none());
    }
}
