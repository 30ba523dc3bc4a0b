//! Settings change while the server runs: through the admin API, at a tick boundary,
//! pushed to every client; and the admin API lets in only whom it should.

use hyper::{Method, StatusCode};
use tickwire_tests::{TestServer, next_settings, next_snapshot, test_config};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_settings_change_through_the_admin_api_changes_the_snapshot_rate_clients_see() {
    let server = TestServer::start(test_config()).await; // 60 Hz, a snapshot every 2 ticks
    let mut client = server.connect().await;
    next_snapshot(&mut client, "before the change").await;

    let (status, body) =
        server.http(Method::PATCH, "/admin/settings", r#"{"broadcast_every": 5}"#, None).await;
    assert_eq!(status, StatusCode::OK, "the change should be accepted: {body}");
    let answer: serde_json::Value = serde_json::from_str(&body).expect("the answer should be JSON");
    assert_eq!(answer["broadcast_every"], 5, "the answer should show the new settings: {body}");

    let pushed = next_settings(&mut client, "after the change").await;
    assert_eq!(pushed.broadcast_every, 5, "the client should be told the new broadcast interval");
    let mut ticks = Vec::new();
    for _ in 0..12 {
        ticks.push(next_snapshot(&mut client, "after the change").await.tick);
    }
    let gaps: Vec<u32> = ticks.windows(2).map(|pair| pair[1] - pair[0]).collect();
    assert!(
        gaps.iter().all(|gap| gap % 5 == 0),
        "after the change snapshots should come every 5 ticks: {gaps:?}"
    );
    let exact = gaps.iter().filter(|gap| **gap == 5).count();
    assert!(exact * 10 >= gaps.len() * 8, "most gaps should be exactly 5 ticks: {gaps:?}");

    let (status, body) = server.http(Method::GET, "/admin/settings", "", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains(r#""broadcast_every":5"#),
        "GET should show the settings in force: {body}"
    );
    server.stop().await.expect("the server should stop cleanly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_changes_are_refused_with_the_setting_named() {
    let server = TestServer::start(test_config()).await;
    for (body, named) in [
        (r#"{"tick_rate_hz": 0}"#, "tick_rate_hz"),
        (r#"{"smoothing": 1.5}"#, "smoothing"),
        (r#"{"tick_rate": 60}"#, "tick_rate"),
        (r#"{"broadcast_every": "fast"}"#, "broadcast_every"),
    ] {
        let (status, answer) = server.http(Method::PATCH, "/admin/settings", body, None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body} should be refused");
        assert!(answer.contains(named), "refusing {body} should name `{named}`: {answer}");
    }
    let (_, settings) = server.http(Method::GET, "/admin/settings", "", None).await;
    assert!(
        settings.contains(r#""tick_rate_hz":60"#),
        "refused changes should change nothing: {settings}"
    );
    server.stop().await.expect("the server should stop cleanly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_that_break_clients_together_are_refused_naming_the_settings() {
    let server = TestServer::start(test_config()).await; // 60 Hz, input every 2 ticks
    for (body, named, also) in [
        (r#"{"broadcast_every": 65535}"#, "broadcast_every", "tick_rate_hz"),
        (r#"{"tick_rate_hz": 1000, "input_every": 1}"#, "input_every", "max_messages_per_second"),
        (r#"{"position_steps_per_unit": 1024}"#, "position_steps_per_unit", "movement_speed"),
        (r#"{"movement_speed": 5000}"#, "position_steps_per_unit", "movement_speed"),
    ] {
        let (status, answer) = server.http(Method::PATCH, "/admin/settings", body, None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body} should be refused: {answer}");
        assert!(
            answer.contains(named) && answer.contains(also),
            "refusing {body} should name `{named}` and `{also}`: {answer}"
        );
    }
    let (_, settings) = server.http(Method::GET, "/admin/settings", "", None).await;
    let settings: serde_json::Value =
        serde_json::from_str(&settings).expect("the settings should be JSON");
    assert_eq!(
        (&settings["tick_rate_hz"], &settings["broadcast_every"], &settings["input_every"]),
        (&60.into(), &2.into(), &2.into()),
        "refused changes should change nothing: {settings}"
    );
    assert_eq!(settings["position_steps_per_unit"], 8, "refused changes should change nothing");
    server.stop().await.expect("the server should stop cleanly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_token_the_admin_api_needs_it() {
    let mut config = test_config();
    config.admin_token = Some("s3cret".into());
    let server = TestServer::start(config).await;
    let (status, _) = server.http(Method::GET, "/admin/settings", "", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "no token should be refused");
    let (status, _) = server.http(Method::GET, "/admin/settings", "", Some("wrong")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a wrong token should be refused");
    let (status, body) = server
        .http(Method::PATCH, "/admin/settings", r#"{"input_every": 3}"#, Some("s3cret"))
        .await;
    assert_eq!(status, StatusCode::OK, "the right token should be let in: {body}");
    server.stop().await.expect("the server should stop cleanly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_token_the_admin_api_is_off_on_a_non_loopback_bind() {
    // 0.0.0.0 is not loopback; the test still only talks to it over 127.0.0.1.
    let server = TestServer::start_on("0.0.0.0:0", test_config()).await;
    let (status, body) = server.http(Method::GET, "/admin/settings", "", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the admin API should be off: {body}");
    assert!(body.contains("--admin-token"), "the refusal should say how to enable it: {body}");
    server.stop().await.expect("the server should stop cleanly");
}
