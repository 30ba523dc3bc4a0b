//! `/metrics` is Prometheus text, and its numbers follow what happens; `/healthz` answers.

use hyper::{Method, StatusCode};
use prometheus_parse::{Scrape, Value};
use tickwire_tests::{TestServer, next_snapshot, test_config};

async fn scrape(server: &TestServer) -> Scrape {
    let (status, body) = server.http(Method::GET, "/metrics", "", None).await;
    assert_eq!(status, StatusCode::OK, "/metrics should answer");
    Scrape::parse(body.lines().map(|line| Ok(line.to_owned())))
        .expect("/metrics should parse as Prometheus text")
}

fn value(scrape: &Scrape, name: &str, label: Option<(&str, &str)>) -> f64 {
    let sample = scrape
        .samples
        .iter()
        .find(|sample| {
            sample.metric == name
                && label.is_none_or(|(key, value)| sample.labels.get(key) == Some(value))
        })
        .unwrap_or_else(|| panic!("/metrics should have {name} {label:?}"));
    match &sample.value {
        Value::Counter(value) | Value::Gauge(value) | Value::Untyped(value) => *value,
        Value::Histogram(buckets) => buckets.last().map_or(0.0, |bucket| bucket.count),
        Value::Summary(_) => panic!("{name} should not be a summary"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_parse_and_move() {
    let server = TestServer::start(test_config()).await;
    let before = scrape(&server).await;
    assert_eq!(value(&before, "tickwire_sessions", None), 0.0, "no session should be open yet");
    assert_eq!(
        value(&before, "tickwire_setting", Some(("name", "tick_rate_hz"))),
        60.0,
        "settings should be gauges"
    );

    let mut client = server.connect().await;
    for _ in 0..10 {
        next_snapshot(&mut client, "traffic for the metrics").await;
    }
    client.send_input(glam::Vec2::X).expect("the input should be sent");
    next_snapshot(&mut client, "after the input").await;
    let after = scrape(&server).await;

    assert_eq!(value(&after, "tickwire_sessions", None), 1.0, "one session should be open");
    assert_eq!(
        value(&after, "tickwire_actors", None),
        4.0,
        "3 NPCs and the player should be counted"
    );
    for counter in
        ["tickwire_ticks_total", "tickwire_sent_bytes_total", "tickwire_sent_messages_total"]
    {
        assert!(
            value(&after, counter, None) > value(&before, counter, None),
            "{counter} should grow while the server runs"
        );
    }
    assert!(
        value(&after, "tickwire_received_messages_total", None) >= 2.0,
        "Hello and the input should be counted"
    );
    assert!(
        value(&after, "tickwire_snapshot_bytes", None) >= 10.0,
        "every snapshot should land in the size histogram"
    );
    assert!(value(&after, "tickwire_tick_duration_seconds", None) > 0.0, "ticks should be timed");
    assert!(
        value(&after, "process_resident_memory_bytes", None) > 0.0,
        "the process's memory should be reported"
    );

    drop(client);
    let (status, body) = server.http(Method::GET, "/healthz", "", None).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ok"), "/healthz should answer ok");
    server.stop().await.expect("the server should stop cleanly");
}
