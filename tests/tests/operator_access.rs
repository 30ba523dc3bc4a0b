//! The operator endpoints (`/admin/settings`, `/metrics`) let in only whom they should:
//! open on a loopback bind only to requests addressed to loopback (no DNS rebinding),
//! token-protected or off on any other bind, and every refusal counted.

use hyper::{Method, StatusCode};
use tickwire_tests::{TestServer, raw_http, test_config};

fn request(method: &str, path: &str, host: &str, extra: &str, body: &str) -> Vec<u8> {
    format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\n{extra}Content-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn status(answer: &str) -> &str {
    answer.lines().next().unwrap_or("(closed without an answer)")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_admin_api_refuses_requests_addressed_to_another_name() {
    let server = TestServer::start(test_config()).await; // loopback, no token: open
    let rebound =
        request("PATCH", "/admin/settings", "rebind.evil.example", "", r#"{"broadcast_every":7}"#);
    let answer = raw_http(&server, &rebound).await;
    assert!(answer.starts_with("HTTP/1.1 403"), "a foreign Host should get 403: {answer}");
    assert!(answer.contains("Host"), "the refusal should say why: {answer}");

    let change = r#"{"broadcast_every":7}"#;
    let from_page = request(
        "PATCH",
        "/admin/settings",
        &server.addr.to_string(),
        "Origin: http://rebind.evil.example\r\n",
        change,
    );
    let answer = raw_http(&server, &from_page).await;
    assert!(answer.starts_with("HTTP/1.1 403"), "a foreign Origin should get 403: {answer}");
    let (_, settings) = server.http(Method::GET, "/admin/settings", "", None).await;
    assert!(settings.contains(r#""broadcast_every":2"#), "nothing should change: {settings}");

    for host in ["localhost", &format!("localhost:{}", server.addr.port()), "[::1]"] {
        let answer = raw_http(&server, &request("GET", "/admin/settings", host, "", "")).await;
        assert!(
            answer.starts_with("HTTP/1.1 200"),
            "Host {host} should be let in: {}",
            status(&answer)
        );
    }
    let local_page = request(
        "PATCH",
        "/admin/settings",
        "127.0.0.1",
        &format!("Origin: http://127.0.0.1:{}\r\n", server.addr.port()),
        change,
    );
    let answer = raw_http(&server, &local_page).await;
    assert!(
        answer.starts_with("HTTP/1.1 200"),
        "the demo page's origin should be let in: {answer}"
    );

    let host_refusals =
        server.metric(r#"tickwire_http_refused_total{endpoint="admin",reason="host"}"#).await;
    let origin_refusals =
        server.metric(r#"tickwire_http_refused_total{endpoint="admin",reason="origin"}"#).await;
    assert_eq!((host_refusals, origin_refusals), (1.0, 1.0), "each refusal should be counted");
    server.stop().await.expect("the server should stop cleanly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_metrics_refuse_requests_addressed_to_another_name() {
    let server = TestServer::start(test_config()).await;
    let answer =
        raw_http(&server, &request("GET", "/metrics", "rebind.evil.example", "", "")).await;
    assert!(
        answer.starts_with("HTTP/1.1 403"),
        "a foreign Host should get 403: {}",
        status(&answer)
    );
    let answer = raw_http(&server, &request("GET", "/metrics", "127.0.0.1", "", "")).await;
    assert!(answer.contains("tickwire_sessions"), "loopback should be let in: {}", status(&answer));
    server.stop().await.expect("the server should stop cleanly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_off_on_a_non_loopback_bind_without_a_token() {
    // 0.0.0.0 is not loopback; the test still only talks to it over 127.0.0.1.
    let server = TestServer::start_on("0.0.0.0:0", test_config()).await;
    let (status, body) = server.http(Method::GET, "/metrics", "", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "/metrics should be off: {body}");
    assert!(body.contains("--metrics-token"), "the refusal should say how to enable it: {body}");
    server.stop().await.expect("the server should stop cleanly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_metrics_token_metrics_need_it_on_any_bind() {
    let mut config = test_config();
    config.metrics_token = Some("scrape".into());
    config.admin_token = Some("admin".into());
    let server = TestServer::start_on("0.0.0.0:0", config).await;
    let (status, _) = server.http(Method::GET, "/metrics", "", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "no token should be refused");
    let (status, _) = server.http(Method::GET, "/metrics", "", Some("admin")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the admin token is not the metrics token");
    let (status, body) = server.http(Method::GET, "/metrics", "", Some("scrape")).await;
    assert_eq!(status, StatusCode::OK, "the metrics token should be let in: {body}");
    assert!(
        body.contains(r#"tickwire_http_refused_total{endpoint="metrics",reason="token"} 2"#),
        "both refusals should be counted:\n{body}"
    );
    server.stop().await.expect("the server should stop cleanly");
}
