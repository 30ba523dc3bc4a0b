//! A run's result: the figures of the measured window, and the timeline of the whole run.
//! Printed as a table, written as JSON (for scripts comparing runs) and plotted as SVG.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::options::Target;

/// Everything a run measured. Rates are per second of the measured window.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The kind of server.
    pub target: Target,
    /// Where it ran.
    pub url: String,
    /// Clients asked for.
    pub clients_requested: u32,
    /// Rooms the bots were spread over (`--rooms`, created for the run); `None`: every bot
    /// in the server's default room (or, for a peer, wherever its matchmaking put it).
    pub rooms: Option<usize>,
    /// Ramp-up, warm-up and measured window, in seconds.
    pub ramp_s: f64,
    /// Warm-up after the ramp, in seconds.
    pub warmup_s: f64,
    /// The measured window, in seconds.
    pub window_s: f64,
    /// What the clients saw.
    pub clients: ClientFigures,
    /// Delivery latency (server stamp to client receipt); `None` without stamps.
    pub latency: Option<LatencyFigures>,
    /// The server process's CPU and memory; `None` if it could not be seen.
    pub server: Option<ServerFigures>,
    /// Tick timing from the server's metrics (Tickwire only).
    pub tick: Option<TickFigures>,
    /// The slowest room's tick timing, when the server reports ticks per room.
    pub room_tick: Option<RoomTickFigures>,
    /// Throttling and drops the server counted (Tickwire only).
    pub throttling: Option<ThrottleFigures>,
    /// CPU the load generator itself used over the window, in cores: near 1.0 on a
    /// pinned core means the clients, not the server, were the limit.
    pub loader_cpu_cores: Option<f64>,
    /// The whole run, sampled twice a second.
    pub timeline: Vec<Sample>,
}

/// The clients' side of the measured window.
#[derive(Debug, Clone, Serialize)]
pub struct ClientFigures {
    /// Mean connected clients over the window.
    pub connected_mean: f64,
    /// Connected clients when the window closed.
    pub connected_at_end: u64,
    /// Connections that never got ready (whole run).
    pub connect_failures: u64,
    /// Connections that ended before the run did (whole run).
    pub connections_lost: u64,
    /// Why connections failed or ended, by reason.
    pub end_reasons: BTreeMap<String, u64>,
    /// Game traffic received per client per second (WebSocket payload bytes).
    pub bytes_per_client_per_s: f64,
    /// World updates received per client per second.
    pub frames_per_client_per_s: f64,
    /// Mean world update size in bytes.
    pub mean_frame_bytes: f64,
    /// The load tool's own timing stamps per client per second (not in the figures above).
    pub stamp_bytes_per_client_per_s: f64,
}

/// Delivery latency over the window, in milliseconds.
#[derive(Debug, Clone, Serialize)]
pub struct LatencyFigures {
    /// Stamped frames measured.
    pub samples: u64,
    /// Median.
    pub p50_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// 99.9th percentile.
    pub p999_ms: f64,
    /// Maximum.
    pub max_ms: f64,
}

/// The server process over the window.
#[derive(Debug, Clone, Serialize)]
pub struct ServerFigures {
    /// Mean CPU use in cores (1.0: one core busy all the time).
    pub cpu_cores: f64,
    /// CPU time per connected client per second, in microseconds.
    pub cpu_us_per_client_per_s: f64,
    /// Resident memory before any client connected, in MiB.
    pub rss_mib_before: f64,
    /// Resident memory when the window closed, in MiB.
    pub rss_mib_at_end: f64,
    /// Memory added per connected client, in KiB.
    pub rss_kib_per_client: f64,
}

/// Tick timing over the window, in milliseconds.
#[derive(Debug, Clone, Serialize)]
pub struct TickFigures {
    /// Ticks in the window.
    pub ticks: u64,
    /// Median tick duration, interpolated inside its histogram bucket.
    pub p50_ms: f64,
    /// 99th percentile, interpolated inside its histogram bucket.
    pub p99_ms: f64,
    /// The longest tick (from the server's per-second peak).
    pub max_ms: f64,
    /// Ticks that ended after the next was due.
    pub overruns: f64,
    /// Ticks skipped to catch up.
    pub skipped: f64,
    /// The settings in force at the end, by name.
    pub settings: BTreeMap<String, f64>,
}

/// Tick timing per room over the window: the worst room's, since one slow room is what
/// its players feel while the server-wide figures look fine.
#[derive(Debug, Clone, Serialize)]
pub struct RoomTickFigures {
    /// Rooms that ticked in the window.
    pub rooms: usize,
    /// The room with the slowest ticks.
    pub worst_room: String,
    /// Its 99th percentile tick duration, interpolated inside its histogram bucket.
    pub worst_p99_ms: f64,
}

/// What the server did to keep up, over the window.
#[derive(Debug, Clone, Serialize)]
pub struct ThrottleFigures {
    /// Most sessions throttled at once.
    pub sessions_throttled_peak: f64,
    /// Snapshots sessions skipped (busy socket or throttled).
    pub snapshots_skipped: f64,
    /// Inputs dropped because the sim's queue was full.
    pub inputs_dropped: f64,
    /// Sessions the server closed, by reason (only reasons that occurred).
    pub sessions_closed: BTreeMap<String, f64>,
}

/// One point of the timeline.
#[derive(Debug, Clone, Serialize)]
pub struct Sample {
    /// Seconds since the run started.
    pub t_s: f64,
    /// Connected clients.
    pub connected: u64,
    /// Game traffic received by all clients, MiB per second.
    pub received_mib_per_s: f64,
    /// World updates received by all clients per second.
    pub frames_per_s: f64,
    /// Median delivery latency in the interval, ms.
    pub latency_p50_ms: Option<f64>,
    /// 99th percentile delivery latency in the interval, ms.
    pub latency_p99_ms: Option<f64>,
    /// Server CPU in cores over the interval.
    pub server_cpu_cores: Option<f64>,
    /// Server resident memory, MiB.
    pub server_rss_mib: Option<f64>,
    /// Longest tick of the server's last full second, ms (Tickwire only).
    pub tick_peak_ms: Option<f64>,
}

impl Report {
    /// The report as an aligned two-column table.
    pub fn table(&self) -> String {
        let mut rows: Vec<(String, String)> = vec![
            ("target".into(), format!("{:?} at {}", self.target, self.url)),
            (
                "clients".into(),
                format!(
                    "{} asked, {:.0} connected (mean), {} at end",
                    self.clients_requested,
                    self.clients.connected_mean,
                    self.clients.connected_at_end
                ),
            ),
            (
                "run".into(),
                format!(
                    "{:.1} s ramp + {:.1} s warm-up + {:.1} s measured",
                    self.ramp_s, self.warmup_s, self.window_s
                ),
            ),
            (
                "bytes / client / s".into(),
                format!(
                    "{:.0} ({:.1} updates of {:.0} B; stamps {:.0} B/s extra)",
                    self.clients.bytes_per_client_per_s,
                    self.clients.frames_per_client_per_s,
                    self.clients.mean_frame_bytes,
                    self.clients.stamp_bytes_per_client_per_s
                ),
            ),
        ];
        match (self.rooms, self.target) {
            (Some(rooms), _) => rows.push(("rooms".into(), format!("{rooms} created for the run"))),
            (None, Target::Tickwire) => rows.push(("rooms".into(), "the default room".into())),
            (None, _) => {}
        }
        if let Some(latency) = &self.latency {
            rows.push((
                "delivery latency".into(),
                format!(
                    "p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, max {:.2} ms ({} samples)",
                    latency.p50_ms,
                    latency.p99_ms,
                    latency.p999_ms,
                    latency.max_ms,
                    latency.samples
                ),
            ));
        }
        if let Some(server) = &self.server {
            rows.push((
                "server CPU".into(),
                format!(
                    "{:.3} cores, {:.1} µs per client per s",
                    server.cpu_cores, server.cpu_us_per_client_per_s
                ),
            ));
            rows.push((
                "server RSS".into(),
                format!(
                    "{:.1} MiB before, {:.1} MiB at end, {:.1} KiB per client",
                    server.rss_mib_before, server.rss_mib_at_end, server.rss_kib_per_client
                ),
            ));
        }
        if let Some(tick) = &self.tick {
            rows.push((
                "server tick".into(),
                format!(
                    "p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms ({} ticks, {} overruns, {} skipped)",
                    tick.p50_ms, tick.p99_ms, tick.max_ms, tick.ticks, tick.overruns, tick.skipped
                ),
            ));
        }
        if let Some(room_tick) = &self.room_tick {
            rows.push((
                "room tick".into(),
                format!(
                    "worst room p99 {:.3} ms (room {}, of {} rooms ticking)",
                    room_tick.worst_p99_ms, room_tick.worst_room, room_tick.rooms
                ),
            ));
        }
        if let Some(throttling) = &self.throttling {
            rows.push((
                "throttled".into(),
                format!(
                    "{} sessions at peak, {} snapshots skipped, {} inputs dropped",
                    throttling.sessions_throttled_peak,
                    throttling.snapshots_skipped,
                    throttling.inputs_dropped
                ),
            ));
            if !throttling.sessions_closed.is_empty() {
                rows.push(("server closed".into(), format!("{:?}", throttling.sessions_closed)));
            }
        }
        if let Some(cores) = self.loader_cpu_cores {
            rows.push(("load generator CPU".into(), format!("{cores:.3} cores")));
        }
        rows.push((
            "dropped".into(),
            format!(
                "{} failed to connect, {} lost",
                self.clients.connect_failures, self.clients.connections_lost
            ),
        ));
        for (reason, count) in &self.clients.end_reasons {
            rows.push(("  reason".into(), format!("{count} × {reason}")));
        }
        let width = rows.iter().map(|(name, _)| name.chars().count()).max().unwrap_or(0);
        let mut table = String::new();
        for (name, value) in rows {
            let _ = writeln!(table, "{name:<width$}  {value}");
        }
        table
    }
}
