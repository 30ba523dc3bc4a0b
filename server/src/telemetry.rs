//! `/metrics`: Prometheus text from this server's own recorder.
//!
//! Each room's own series (`tickwire_room_*`, labelled `room`) follow, rendered from the
//! room registry (see `rooms::exposition`).
//!
//! Each server has its own recorder rather than a process-wide one, so several servers in
//! one process (the tests) never mix their numbers. Process CPU and memory are read at
//! scrape time. Histograms use fixed buckets, so they aggregate across servers.
//!
//! Who may scrape is decided in front of it (`access`): the metrics token, or this
//! machine only on a loopback bind without one.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::middleware;
use axum::response::IntoResponse;
use axum::routing::get;
use metrics::Recorder;
use metrics_exporter_prometheus::{
    BuildError, Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};
use tokio::task::JoinHandle;

use crate::access::Guard;
use crate::rooms::exposition;
use crate::rooms::registry::Registry;

/// How often histogram samples are folded into their buckets.
const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

/// Tick duration buckets: 10 per decade from 10 µs to 1 s, so quantiles read from them
/// are within a bucket's width (at most 25%) of the truth.
const TICK_DURATION_BUCKETS: [f64; 51] = [
    1e-05, 1.25e-05, 1.5e-05, 2e-05, 2.5e-05, 3e-05, 4e-05, 5e-05, 6e-05, 8e-05, 0.0001, 0.000125,
    0.00015, 0.0002, 0.00025, 0.0003, 0.0004, 0.0005, 0.0006, 0.0008, 0.001, 0.00125, 0.0015,
    0.002, 0.0025, 0.003, 0.004, 0.005, 0.006, 0.008, 0.01, 0.0125, 0.015, 0.02, 0.025, 0.03, 0.04,
    0.05, 0.06, 0.08, 0.1, 0.125, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0,
];

/// The server's metrics recorder and what renders it.
#[derive(Clone)]
pub(crate) struct Telemetry {
    recorder: Arc<PrometheusRecorder>,
    handle: PrometheusHandle,
    process: Arc<metrics_process::Collector>,
}

impl Telemetry {
    /// A recorder with buckets for the histograms the server records.
    pub(crate) fn new() -> Result<Self, BuildError> {
        let buckets = |builder: PrometheusBuilder, name: &str, values: &[f64]| {
            builder.set_buckets_for_metric(Matcher::Full(name.into()), values)
        };
        let mut builder = PrometheusBuilder::new();
        builder = buckets(builder, "tickwire_tick_duration_seconds", &TICK_DURATION_BUCKETS)?;
        builder = buckets(
            builder,
            "tickwire_rtt_seconds",
            &[0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0],
        )?;
        builder = buckets(
            builder,
            "tickwire_snapshot_bytes",
            &[64.0, 256.0, 1024.0, 4096.0, 16384.0, 65536.0, 262144.0],
        )?;
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        let process = metrics_process::Collector::default();
        metrics::with_local_recorder(&recorder, || process.describe());
        Ok(Self { recorder: Arc::new(recorder), handle, process: Arc::new(process) })
    }

    /// The recorder to register metrics with.
    pub(crate) fn recorder(&self) -> &dyn Recorder {
        &*self.recorder
    }

    /// `GET /metrics`, behind `guard`: the process's series, then each room's.
    /// `process` names this process (`tickwire_process_info{process="..."}`).
    pub(crate) fn router(&self, guard: Guard, rooms: Arc<Registry>, process: &str) -> Router {
        let info = format!(
            "# HELP tickwire_process_info This process; `process` is its id in the cluster.\n\
             # TYPE tickwire_process_info gauge\ntickwire_process_info{{process=\"{process}\"}} 1\n"
        );
        Router::new()
            .route("/metrics", get(render))
            .route_layer(middleware::from_fn_with_state(guard, Guard::enforce))
            .with_state((self.clone(), rooms, Arc::<str>::from(info)))
    }

    /// Folds histogram samples into buckets now and then; abort the task to stop it.
    pub(crate) fn spawn_upkeep(&self) -> JoinHandle<()> {
        let handle = self.handle.clone();
        tokio::spawn(async move {
            let mut upkeep = tokio::time::interval(UPKEEP_INTERVAL);
            loop {
                upkeep.tick().await;
                handle.run_upkeep();
            }
        })
    }
}

async fn render(
    State((telemetry, rooms, info)): State<(Telemetry, Arc<Registry>, Arc<str>)>,
) -> impl IntoResponse {
    metrics::with_local_recorder(&*telemetry.recorder, || telemetry.process.collect());
    let mut text = telemetry.handle.render();
    text.push_str(&info);
    text.push_str(&exposition::render(&rooms.stats()));
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text)
}
