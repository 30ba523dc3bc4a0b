//! A tiny run of the load tool against the real server: a few bots for two seconds, and
//! every part of the report (client traffic, latency, tick timing, server usage, JSON,
//! SVG) comes back filled in. The real load runs are in BENCHMARKS.md.

use std::time::Duration;

use tickwire_loadtest::{LoadOptions, Target, plot, run};
use tickwire_tests::{TestServer, test_config};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_load_run_reports_every_figure() {
    let server = TestServer::start(test_config()).await; // 60 Hz, a snapshot every 2 ticks
    let mut options = LoadOptions::new(Target::Tickwire, server.ws_url(), 5);
    options.ramp = Duration::from_millis(500);
    options.warmup = Duration::from_millis(500);
    options.duration = Duration::from_secs(2);
    options.progress = false;
    let report = run(&options).await.expect("the load run should start");

    let clients = &report.clients;
    assert_eq!(clients.connect_failures, 0, "every bot should connect: {:?}", clients.end_reasons);
    assert_eq!(clients.connections_lost, 0, "no bot should be dropped: {:?}", clients.end_reasons);
    assert_eq!(clients.connected_at_end, 5, "all bots should be connected at the end");
    assert!(
        clients.frames_per_client_per_s > 5.0,
        "bots should get snapshots (30 a second sent): {}",
        clients.frames_per_client_per_s
    );
    assert!(
        clients.mean_frame_bytes > 0.0 && clients.bytes_per_client_per_s > 0.0,
        "traffic should be counted"
    );
    assert!(clients.stamp_bytes_per_client_per_s > 0.0, "timing stamps should arrive");

    let latency = report.latency.as_ref().expect("stamped snapshots should give latencies");
    assert!(latency.samples > 10, "only {} latency samples", latency.samples);
    assert!(latency.p50_ms > 0.0 && latency.p50_ms <= latency.p99_ms, "{latency:?}");

    let tick = report.tick.as_ref().expect("tick timing should come from /metrics");
    assert!(tick.ticks > 60, "a 2 s window at 60 Hz, got {} ticks", tick.ticks);
    assert!(tick.p50_ms > 0.0 && tick.p50_ms <= tick.p99_ms, "{tick:?}");
    assert!(tick.max_ms > 0.0, "the per-second tick peak should be seen: {tick:?}");
    assert_eq!(tick.settings.get("tick_rate_hz"), Some(&60.0), "settings should be read");

    let server_figures = report.server.as_ref().expect("usage should come from /metrics");
    assert!(server_figures.rss_mib_at_end > 1.0, "{server_figures:?}");
    assert!(server_figures.cpu_cores > 0.0, "the server works: {server_figures:?}");
    assert!(report.throttling.is_some(), "throttling counters should be read");

    assert!(report.timeline.len() >= 6, "a sample every 0.5 s over 3 s");
    let json = serde_json::to_value(&report).expect("the report should serialise");
    assert_eq!(json["clients_requested"], 5);
    let svg = plot::svg(&report).expect("the run should plot");
    assert!(svg.starts_with("<svg") && svg.contains("delivery latency"), "an SVG with panels");
    assert!(report.table().contains("delivery latency"), "the table should show latency");
    server.stop().await.expect("the server should stop cleanly");
}
