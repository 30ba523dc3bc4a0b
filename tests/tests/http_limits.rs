//! HTTP before the upgrade is bounded: a connection must finish its request head within
//! `limits.header_timeout_secs` (also between keep-alive requests), the head is capped in
//! size (431), and a body over the limit is refused on its `Content-Length` (413) without
//! the server waiting for it. Sessions, once upgraded, are not HTTP's any more.

use std::time::Duration;

use tickwire_tests::{TestServer, WAIT, next_snapshot, raw_http, test_config};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn short_header_timeout() -> tickwire_server::ServerConfig {
    let mut config = test_config();
    config.header_timeout = Duration::from_millis(300);
    config
}

/// Reads until the server closes the connection; returns what it sent.
async fn until_closed(stream: &mut TcpStream, context: &str) -> String {
    let mut answer = Vec::new();
    let read = tokio::time::timeout(WAIT, stream.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "{context}: the server should close the connection within {WAIT:?}");
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_that_do_not_finish_a_request_head_are_closed_after_the_header_timeout() {
    let server = TestServer::start(short_header_timeout()).await;

    let mut silent = TcpStream::connect(server.addr).await.expect("connect");
    until_closed(&mut silent, "a silent connection").await;

    let mut slowloris = TcpStream::connect(server.addr).await.expect("connect");
    slowloris.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: ").await.expect("write");
    until_closed(&mut slowloris, "a connection with an unfinished head").await;

    let mut kept_alive = TcpStream::connect(server.addr).await.expect("connect");
    kept_alive.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").await.expect("write");
    let answer = until_closed(&mut kept_alive, "an idle keep-alive connection").await;
    assert!(answer.starts_with("HTTP/1.1 200"), "the request itself should be answered: {answer}");

    server.stop().await.expect("the server should stop cleanly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_outlive_the_header_timeout() {
    let server = TestServer::start(short_header_timeout()).await; // 60 Hz
    let mut client = server.connect().await;
    let first = next_snapshot(&mut client, "after joining").await.tick;
    // Two seconds of ticks: far past the 300 ms header timeout.
    loop {
        if next_snapshot(&mut client, "well after the header timeout").await.tick > first + 120 {
            break;
        }
    }
    server.stop().await.expect("the server should stop cleanly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_request_head_is_refused_with_431() {
    let server = TestServer::start(test_config()).await;
    let padding = "a".repeat(64 * 1024);
    let request = format!("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: {padding}\r\n\r\n");
    let answer = raw_http(&server, request.as_bytes()).await;
    assert!(
        answer.starts_with("HTTP/1.1 431"),
        "a 64 KiB head should be refused with 431: {}",
        answer.lines().next().unwrap_or("(closed without an answer)")
    );
    let ordinary =
        raw_http(&server, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            .await;
    assert!(ordinary.starts_with("HTTP/1.1 200"), "an ordinary request should pass: {ordinary}");
    server.stop().await.expect("the server should stop cleanly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_the_limit_is_refused_with_413_without_waiting_for_it() {
    let server = TestServer::start(test_config()).await;
    // The body never comes: only an answer on the declared length can end this exchange.
    let answer = raw_http(
        &server,
        b"PATCH /admin/settings HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000000\r\n\r\n",
    )
    .await;
    assert!(
        answer.starts_with("HTTP/1.1 413"),
        "a 100 MB Content-Length should be refused at once with 413: {answer}"
    );
    assert!(answer.contains("limit"), "the refusal should say what the limit is: {answer}");
    server.stop().await.expect("the server should stop cleanly");
}
