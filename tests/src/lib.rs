//! Shared helpers for the integration tests: a real server on a port-0 listener and
//! waits that fail with a message saying what was expected, never hang.

mod proxy;
mod rooms;

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request, StatusCode, header};
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::rt::TokioExecutor;
use tickwire_client::{Client, Event};
use tickwire_protocol::{
    ClientMessage, Hello, ServerMessage, Settings, SnapshotRate, Welcome, WorldState,
};
use tickwire_server::{DEFAULT_ROOM, RoomTypes, ServerConfig, ServerError};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// A WebSocket with no protocol logic, for sending what a real client never would.
pub type RawSocket = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

pub use proxy::Proxy;
pub use rooms::{RawPlayer, SeatAnswer};

/// How long any single wait in a test may take before it fails.
pub const WAIT: Duration = Duration::from_secs(10);

/// A server running in this process on `127.0.0.1:<free port>`.
pub struct TestServer {
    /// Where it listens.
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), ServerError>>,
}

/// A quick world for tests: 60 Hz, a snapshot every 2 ticks, a few NPCs. Auto-tuning is
/// off, so a slow machine cannot change the rates a test counts on; `autotune.rs` turns
/// it on.
pub fn test_config() -> ServerConfig {
    let mut config = ServerConfig::default();
    config.autotune.enabled = false;
    config.sim.settings =
        Settings { tick_rate_hz: 60, broadcast_every: 2, input_every: 2, ..Settings::default() };
    config.sim.npcs = 3;
    config
}

impl TestServer {
    /// Starts the real server with `config` on a port-0 listener.
    pub async fn start(config: ServerConfig) -> Self {
        Self::start_on("127.0.0.1:0", config).await
    }

    /// Starts the real server on `bind` (a port-0 address); tests reach it over loopback
    /// whatever the address.
    pub async fn start_on(bind: &str, config: ServerConfig) -> Self {
        Self::start_game(bind, config, |_: &mut tickwire_sim::Simulation| {}).await
    }

    /// Starts the real server on `bind` with `game` added to its simulation.
    pub async fn start_game(
        bind: &str,
        config: ServerConfig,
        game: impl tickwire_sim::Game,
    ) -> Self {
        Self::start_rooms(bind, config, |rooms| _ = rooms.define(DEFAULT_ROOM, game)).await
    }

    /// Starts the real server on `bind` with the room types `define` sets up.
    pub async fn start_rooms(
        bind: &str,
        config: ServerConfig,
        define: impl FnOnce(&mut RoomTypes) + Send + 'static,
    ) -> Self {
        let listener = TcpListener::bind(bind).await.expect("tests should be able to bind a port");
        let mut addr = listener.local_addr().expect("a bound listener should have an address");
        addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(tickwire_server::run_rooms(listener, config, define, async {
            let _ = stopped.await;
        }));
        Self { addr, stop: Some(stop), task }
    }

    /// The WebSocket URL of the server.
    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    /// An HTTP request to the server; returns the status and the body as text.
    pub async fn http(
        &self,
        method: Method,
        path: &str,
        body: &str,
        token: Option<&str>,
    ) -> (StatusCode, String) {
        let mut request = Request::builder()
            .method(method)
            .uri(format!("http://{}{path}", self.addr))
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let request = request
            .body(Full::new(Bytes::from(body.to_owned())))
            .expect("the request should be valid");
        let client = HttpClient::builder(TokioExecutor::new()).build_http();
        let response = tokio::time::timeout(WAIT, client.request(request))
            .await
            .expect("the server should answer HTTP within the test wait")
            .expect("the HTTP request should succeed");
        let status = response.status();
        let body = response.into_body().collect().await.expect("the body should arrive").to_bytes();
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    /// One sample from `/metrics`: `series` is the name with its labels as the text shows
    /// them (`tickwire_sessions`, `tickwire_sessions_closed_total{reason="normal"}`).
    pub async fn metric(&self, series: &str) -> f64 {
        let (_, text) = self.http(Method::GET, "/metrics", "", None).await;
        text.lines()
            .find_map(|line| line.strip_prefix(series).and_then(|rest| rest.strip_prefix(' ')))
            .and_then(|value| value.parse().ok())
            .unwrap_or_else(|| panic!("/metrics should have {series}"))
    }

    /// Polls `/metrics` until `series` satisfies `done`, and returns its value then.
    /// Fails after the test wait.
    pub async fn metric_until(&self, series: &str, done: impl Fn(f64) -> bool) -> f64 {
        let poll = async {
            loop {
                let value = self.metric(series).await;
                if done(value) {
                    return value;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        tokio::time::timeout(WAIT, poll)
            .await
            .unwrap_or_else(|_| panic!("{series} did not reach the expected value within {WAIT:?}"))
    }

    /// Connects and completes the handshake.
    pub async fn connect(&self) -> Client {
        tokio::time::timeout(WAIT, Client::connect(&self.ws_url()))
            .await
            .expect("connecting should not take longer than the test wait")
            .expect("a client should be able to connect and get a Welcome")
    }

    /// Starts a graceful shutdown and waits for `run` to return.
    pub async fn stop(mut self) -> Result<(), ServerError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        tokio::time::timeout(WAIT, &mut self.task)
            .await
            .expect("the server should shut down within the test wait")
            .expect("the server task should not panic")
    }
}

/// Takes events until `pick` returns something, and returns it. Panics with `what` on
/// a close, a desync, or the test wait running out.
pub async fn wait_for<T>(
    client: &mut Client,
    what: &str,
    mut pick: impl FnMut(&Client, Event) -> Option<T>,
) -> T {
    let wait = async {
        loop {
            match client.next_event().await {
                Some(Event::Desync(error)) => {
                    panic!("{what}: a snapshot did not fit the mirror: {error}")
                }
                Some(Event::Closed { code, reason }) => {
                    panic!("{what}: the connection closed ({code:?}): {reason}")
                }
                Some(event) => {
                    if let Some(found) = pick(client, event) {
                        return found;
                    }
                }
                None => panic!("{what}: the connection ended"),
            }
        }
    };
    tokio::time::timeout(WAIT, wait)
        .await
        .unwrap_or_else(|_| panic!("{what}: nothing within {WAIT:?}"))
}

/// Takes events up to the next applied snapshot and returns the client's mirror then.
pub async fn next_snapshot(client: &mut Client, what: &str) -> WorldState {
    wait_for(client, what, |client, event| {
        matches!(event, Event::Snapshot { .. }).then(|| client.world().clone())
    })
    .await
}

/// The next `Settings` message.
pub async fn next_settings(client: &mut Client, what: &str) -> Settings {
    wait_for(client, what, |_, event| {
        if let Event::Settings(settings) = event { Some(settings) } else { None }
    })
    .await
}

/// The next `SnapshotRate` message.
pub async fn next_rate(client: &mut Client, what: &str) -> SnapshotRate {
    wait_for(
        client,
        what,
        |_, event| if let Event::SnapshotRate(rate) = event { Some(rate) } else { None },
    )
    .await
}

/// The first mirror state newer than `tick`, e.g. the first that can show an actor that
/// joined at `tick`.
pub async fn snapshot_after(client: &mut Client, tick: u32, context: &str) -> WorldState {
    loop {
        let world = next_snapshot(client, context).await;
        if tickwire_protocol::tick::is_after(world.tick, tick) {
            return world;
        }
    }
}

/// Advances two clients until their mirrors are at the same tick, and returns both.
pub async fn at_same_tick(first: &mut Client, second: &mut Client) -> (WorldState, WorldState) {
    let mut a = next_snapshot(first, "first client").await;
    let mut b = next_snapshot(second, "second client").await;
    while a.tick != b.tick {
        if tickwire_protocol::tick::is_after(b.tick, a.tick) {
            a = next_snapshot(first, "first client catching up").await;
        } else {
            b = next_snapshot(second, "second client catching up").await;
        }
    }
    (a, b)
}

/// Waits for the connection to close and returns its code and reason.
pub async fn closed(client: &mut Client, context: &str) -> (Option<u16>, String) {
    let wait = async {
        loop {
            match client.next_event().await {
                Some(Event::Closed { code, reason }) => return (code, reason),
                Some(_) => {}
                None => panic!("{context}: events ended without a Closed event"),
            }
        }
    };
    tokio::time::timeout(WAIT, wait)
        .await
        .unwrap_or_else(|_| panic!("{context}: not closed within {WAIT:?}"))
}

/// Opens a WebSocket to the server and sends `first` as it is, without any handshake.
pub async fn raw_connect(server: &TestServer, first: Message) -> RawSocket {
    let (mut socket, _) = tokio_tungstenite::connect_async(server.ws_url())
        .await
        .expect("a raw WebSocket should connect");
    socket.send(first).await.expect("sending the first frame should work");
    socket
}

/// Reads a raw socket until the server closes it. Checks that the `Disconnect` message
/// and the close frame agree, and returns their code and reason.
pub async fn raw_close(socket: &mut RawSocket, context: &str) -> (u16, String) {
    let wait = async {
        let mut disconnect = None;
        while let Some(message) = socket.next().await {
            match message
                .unwrap_or_else(|error| panic!("{context}: read failed before the close: {error}"))
            {
                Message::Binary(frame) => {
                    if let Ok(ServerMessage::Disconnect(message)) = ServerMessage::decode(&frame) {
                        disconnect = Some(message);
                    }
                }
                Message::Close(Some(frame)) => {
                    let (code, reason) = (u16::from(frame.code), frame.reason.to_string());
                    let disconnect = disconnect.unwrap_or_else(|| {
                        panic!("{context}: a Disconnect should precede the close")
                    });
                    assert_eq!(
                        disconnect.code, code,
                        "{context}: Disconnect and close frame should carry the same code"
                    );
                    assert_eq!(
                        disconnect.reason, reason,
                        "{context}: Disconnect and close frame should give the same reason"
                    );
                    return (code, reason);
                }
                Message::Close(None) => panic!("{context}: the close frame should carry a code"),
                _ => {}
            }
        }
        panic!("{context}: connection ended without a close frame")
    };
    tokio::time::timeout(WAIT, wait)
        .await
        .unwrap_or_else(|_| panic!("{context}: no close within {WAIT:?}"))
}

/// Says `hello` on a new raw socket and returns the socket and the server's `Welcome`.
/// Dropping the socket drops the connection without a goodbye.
pub async fn raw_hello(server: &TestServer, hello: Hello) -> (RawSocket, Welcome) {
    try_hello(server, hello).await.unwrap_or_else(|(code, reason)| {
        panic!("the server should answer Hello with Welcome, not close {code} {reason:?}")
    })
}

/// Says `hello` and returns the socket and its `Welcome`, or the close code and reason
/// the server refused it with.
pub async fn try_hello(
    server: &TestServer,
    hello: Hello,
) -> Result<(RawSocket, Welcome), (u16, String)> {
    let mut socket =
        raw_connect(server, Message::Binary(ClientMessage::Hello(hello).encode())).await;
    let answer = async {
        while let Some(Ok(message)) = socket.next().await {
            match message {
                Message::Binary(frame) => {
                    if let Ok(ServerMessage::Welcome(welcome)) = ServerMessage::decode(&frame) {
                        return Ok(welcome);
                    }
                }
                Message::Close(frame) => {
                    return Err(frame.map_or((1005, String::new()), |frame| {
                        (u16::from(frame.code), frame.reason.to_string())
                    }));
                }
                _ => {}
            }
        }
        panic!("the server should answer Hello with Welcome or a close")
    };
    let welcome =
        tokio::time::timeout(WAIT, answer).await.expect("an answer should arrive in time")?;
    Ok((socket, welcome))
}

/// Writes `request` (raw HTTP/1.1, for what a well-behaved client never sends) on a new
/// connection and returns everything the server sends until it closes the connection.
pub async fn raw_http(server: &TestServer, request: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(server.addr)
            .await
            .expect("a TCP connection to the server should open");
        stream.write_all(request).await.expect("the request should be written");
        let mut answer = Vec::new();
        // A reset after the answer (the server closed with unread input) ends it too.
        let _ = stream.read_to_end(&mut answer).await;
        String::from_utf8_lossy(&answer).into_owned()
    };
    tokio::time::timeout(WAIT, exchange)
        .await
        .unwrap_or_else(|_| panic!("the server should answer and close within {WAIT:?}"))
}
