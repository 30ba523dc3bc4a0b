//! Clients that read slowly but steadily get fresh snapshots: the server keeps no more
//! queued for them than they drain in half a second, so what they read is about a
//! second old, and a client that can hold the slowest rate (the most throttled one) is
//! never closed as "not reading". Asserted: at most 2 s at 4 KiB/s, 3 s at 2 KiB/s; the
//! bound is the server's half second, plus one snapshot's transfer, plus what the
//! client's own receive buffer holds (acknowledged, so the server cannot see it: over a
//! second of a 2 KiB/s stream even at the kernel's smallest buffer).
//!
//! The clients read through a pacer at a fixed byte rate (real time models the client's
//! link here); the assertions are about the age of each snapshot as the server states it
//! (`SnapshotTiming`), never about how long the test took.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::{SinkExt, StreamExt};
use tickwire_protocol::{ClientMessage, Hello, Pong, ServerMessage};
use tickwire_server::ServerConfig;
use tickwire_tests::{TestServer, test_config};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::net::TcpSocket;
use tokio::time::{Instant, MissedTickBehavior, interval, timeout_at};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

/// How long the server may take to measure a new client's rate.
const WARM_UP: Duration = Duration::from_secs(4);

/// The default world's 50 wandering NPCs, at the tests' 60 Hz and 30 snapshots a second:
/// about 6 KB/s of deltas, more than either slow reader takes, while its slowest rate
/// (1/16) needs about 1 KB/s, well within 2 KiB/s even when this machine is busy and the
/// pacer falls behind. Ten seconds of silence (or of a write that waits) closes a
/// session, as by default.
fn moving_world() -> ServerConfig {
    let mut config = test_config();
    config.sim.npcs = 50;
    config
}

/// A WebSocket client whose bytes from the server pass through a pacer: at most
/// `bytes_per_second`, in eight slices a second, over a socket with a small receive
/// buffer, as a client on a slow link reads.
async fn paced_client(
    server: &TestServer,
    bytes_per_second: usize,
) -> WebSocketStream<DuplexStream> {
    let socket = TcpSocket::new_v4().expect("a socket should be made");
    socket.set_recv_buffer_size(1024).expect("the receive buffer should be set");
    let stream = socket.connect(server.addr).await.expect("the client should connect");
    let (mut from_server, mut to_server) = stream.into_split();
    let (client_io, pacer_io) = tokio::io::duplex(1 << 20);
    let (mut from_client, mut to_client) = tokio::io::split(pacer_io);
    tokio::spawn(async move {
        let _ = tokio::io::copy(&mut from_client, &mut to_server).await;
    });
    tokio::spawn(async move {
        let mut slices = interval(Duration::from_millis(125));
        slices.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut slice = vec![0; bytes_per_second / 8];
        loop {
            slices.tick().await;
            match from_server.read(&mut slice).await {
                Ok(0) | Err(_) => return,
                Ok(read) => {
                    if to_client.write_all(&slice[..read]).await.is_err() {
                        return;
                    }
                }
            }
        }
    });
    let (mut client, _) = tokio_tungstenite::client_async(server.ws_url(), client_io)
        .await
        .expect("the WebSocket handshake should work");
    let hello = ClientMessage::Hello(Hello { timing: true, ..Hello::new() }).encode();
    client.send(Message::Binary(hello)).await.expect("Hello should be sent");
    client
}

/// What a paced client saw.
#[derive(Debug)]
struct Reading {
    /// The age of every snapshot read after the warm-up, as its `SnapshotTiming` says.
    ages: Vec<Duration>,
    /// The close code and reason, if the server closed the connection.
    closed: Option<(u16, String)>,
}

/// Reads for `window`, answering pings, and records snapshot ages after [`WARM_UP`].
async fn read_for(client: &mut WebSocketStream<DuplexStream>, window: Duration) -> Reading {
    let start = Instant::now();
    let deadline = start + window;
    let mut reading = Reading { ages: Vec::new(), closed: None };
    while let Ok(Some(Ok(message))) = timeout_at(deadline, client.next()).await {
        let frame = match message {
            Message::Binary(frame) => frame,
            Message::Close(frame) => {
                reading.closed =
                    frame.map(|frame| (u16::from(frame.code), frame.reason.to_string()));
                break;
            }
            _ => continue,
        };
        match ServerMessage::decode(&frame) {
            Ok(ServerMessage::Ping(ping)) => {
                let pong = ClientMessage::Pong(Pong { nonce: ping.nonce }).encode();
                if client.send(Message::Binary(pong)).await.is_err() {
                    break;
                }
            }
            Ok(ServerMessage::SnapshotTiming { published_unix_us, .. })
                if start.elapsed() >= WARM_UP =>
            {
                let now_us = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |since| u64::try_from(since.as_micros()).unwrap_or(u64::MAX));
                reading.ages.push(Duration::from_micros(now_us.saturating_sub(published_unix_us)));
            }
            _ => {}
        }
    }
    reading
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_reading_4_kib_a_second_gets_snapshots_under_the_age_bound() {
    let server = TestServer::start(moving_world()).await;
    let mut client = paced_client(&server, 4096).await;
    let reading = read_for(&mut client, Duration::from_secs(10)).await;
    assert_eq!(reading.closed, None, "a steady reader should stay connected");
    let oldest = reading.ages.iter().max().copied().unwrap_or_default();
    println!("4 KiB/s: {} snapshots, the oldest {oldest:?} old", reading.ages.len());
    assert!(reading.ages.len() >= 5, "a steady reader should get snapshots all along: {reading:?}");
    assert!(oldest <= Duration::from_secs(2), "snapshots should be at most 2 s old: {reading:?}");
    server.stop().await.expect("the server should stop cleanly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_reading_2_kib_a_second_that_holds_the_slowest_rate_is_not_closed() {
    let mut config = moving_world();
    config.net.idle_timeout = Duration::from_secs(4);
    let server = TestServer::start(config).await;
    let mut client = paced_client(&server, 2048).await;
    let reading = read_for(&mut client, Duration::from_secs(12)).await;
    assert_eq!(reading.closed, None, "a reader that holds the slowest rate should stay connected");
    let oldest = reading.ages.iter().max().copied().unwrap_or_default();
    println!("2 KiB/s: {} snapshots, the oldest {oldest:?} old", reading.ages.len());
    assert!(!reading.ages.is_empty(), "it should get snapshots: {reading:?}");
    assert!(oldest <= Duration::from_secs(3), "snapshots should be at most 3 s old: {reading:?}");
    server.stop().await.expect("the server should stop cleanly");
}
