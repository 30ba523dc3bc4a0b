//! Test helpers: the real server on a port-0 listener, a TCP proxy whose connections can
//! be cut, and a canned HTTP server that answers each connection with the next answer of
//! a list and records what it was asked.

#![allow(dead_code, clippy::expect_used, clippy::unwrap_used)] // Each test file uses a part.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tickwire_server::ServerConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio::task::AbortHandle;
use tokio::time::{Instant, timeout};

/// How long a test waits for something that should happen at once.
pub const WAIT: Duration = Duration::from_secs(10);

/// A small, quiet world: few NPCs, no auto-tuning to change rates under a test.
pub fn test_config() -> ServerConfig {
    let mut config = ServerConfig::default();
    config.autotune.enabled = false;
    config.sim.npcs = 3;
    config
}

/// Starts the real server on a port-0 listener; returns `http://127.0.0.1:port` and a
/// sender whose drop stops the server.
pub async fn start_server(config: ServerConfig) -> (String, oneshot::Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("binding port 0 should work");
    let addr = listener.local_addr().expect("a bound listener should have an address");
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(tickwire_server::run(listener, config, async {
        let _ = stopped.await;
    }));
    (format!("http://{addr}"), stop)
}

/// A TCP proxy to `upstream` on 127.0.0.1:0 whose connections can all be cut at once, as
/// a network failure would.
pub struct Proxy {
    /// Where it listens.
    pub addr: SocketAddr,
    pipes: Arc<Mutex<Vec<AbortHandle>>>,
    /// Until when new connections are dropped at once (the network is down).
    down_until: Arc<Mutex<Instant>>,
}

impl Proxy {
    /// Starts forwarding to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("the proxy should bind");
        let addr = listener.local_addr().expect("the proxy should have an address");
        let pipes = Arc::new(Mutex::new(Vec::new()));
        let down_until = Arc::new(Mutex::new(Instant::now()));
        let (tracked, down) = (Arc::clone(&pipes), Arc::clone(&down_until));
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if Instant::now() < *down.lock().unwrap() {
                    continue; // Dropped unanswered.
                }
                let Ok(mut server) = TcpStream::connect(upstream).await else { continue };
                let pipe = tokio::spawn(async move {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                });
                tracked.lock().unwrap().push(pipe.abort_handle());
            }
        });
        Self { addr, pipes, down_until }
    }

    /// Drops every connection open through the proxy, and refuses new ones for `down`.
    pub fn cut(&self, down: Duration) {
        *self.down_until.lock().unwrap() = Instant::now() + down;
        for pipe in self.pipes.lock().unwrap().drain(..) {
            pipe.abort();
        }
    }
}

/// One request as the canned server read it.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// The request line, e.g. `POST /matchmake HTTP/1.1`.
    pub line: String,
    /// The header lines, lowercased.
    pub headers: Vec<String>,
    /// The body as text.
    pub body: String,
}

/// An HTTP server on 127.0.0.1:0 with canned answers, one connection per answer; a
/// `None` answer reads the request and then says nothing.
pub struct CannedHttp {
    /// Where it listens.
    pub addr: SocketAddr,
    requests: mpsc::UnboundedReceiver<Recorded>,
}

impl CannedHttp {
    /// Starts a server giving `answers` in order.
    pub async fn start(answers: Vec<Option<Vec<u8>>>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("binding port 0 should work");
        let addr = listener.local_addr().expect("a bound listener should have an address");
        let (recorded, requests) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            for answer in answers {
                let Ok((mut socket, _)) = listener.accept().await else { return };
                let Some(request) = read_request(&mut socket).await else { return };
                let _ = recorded.send(request);
                match answer {
                    Some(answer) => {
                        let _ = socket.write_all(&answer).await;
                        let _ = socket.shutdown().await;
                    }
                    // Keep the socket open, silent, until the test ends.
                    None => std::mem::forget(socket),
                }
            }
        });
        Self { addr, requests }
    }

    /// `http://127.0.0.1:port`.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The next request the server read.
    pub async fn request(&mut self) -> Recorded {
        timeout(WAIT, self.requests.recv())
            .await
            .expect("the canned server should have been asked within the wait")
            .expect("the canned server should still be running")
    }
}

/// An HTTP/1.1 answer with `status` (e.g. `200 OK`) and a JSON `body`.
pub fn answer(status: &str, body: &str) -> Option<Vec<u8>> {
    Some(
        format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
             connection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
}

/// A seat answer for room `room` with token `seat`, connecting to `url`.
pub fn seat_json(room: &str, url: &str, seat: &str) -> String {
    serde_json::json!({
        "room": room, "name": "default", "url": url, "seat": seat, "expires_in_ms": 15000
    })
    .to_string()
}

async fn read_request(socket: &mut TcpStream) -> Option<Recorded> {
    let mut data = Vec::new();
    let mut buffer = [0u8; 4096];
    let head_end = loop {
        if let Some(end) = data.windows(4).position(|window| window == b"\r\n\r\n") {
            break end;
        }
        let read = socket.read(&mut buffer).await.ok()?;
        if read == 0 {
            return None;
        }
        data.extend_from_slice(&buffer[..read]);
    };
    let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
    let mut lines = head.lines();
    let line = lines.next()?.to_owned();
    let headers: Vec<String> = lines.map(str::to_ascii_lowercase).collect();
    let length: usize = headers
        .iter()
        .find_map(|header| header.strip_prefix("content-length:"))
        .map_or(0, |value| value.trim().parse().unwrap_or(0));
    let mut body = data[head_end + 4..].to_vec();
    while body.len() < length {
        let read = socket.read(&mut buffer).await.ok()?;
        if read == 0 {
            break;
        }
        body.extend_from_slice(&buffer[..read]);
    }
    Some(Recorded { line, headers, body: String::from_utf8_lossy(&body).into_owned() })
}
