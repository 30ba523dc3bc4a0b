//! One WebSocket session: handshake, then inputs in, snapshots and pings out.
//!
//! Everything the peer sends is verified and decoded before use; anything wrong ends this
//! session alone with a `Disconnect` message and a close frame carrying the same code and
//! reason, plus a log line in the session's span. Nothing here can reach the accept loop
//! or another session.

use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU32, AtomicU64};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tickwire_protocol::{
    ClientMessage, CloseCode, Disconnect, PROTOCOL_VERSION, Ping, ServerMessage, ThrottleReason,
    Welcome,
};
use tickwire_sim::{Joined, SendRefused, SessionId};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::{MissedTickBehavior, interval, timeout};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::error::{CapacityError, ProtocolError};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tracing::{Instrument, debug, info, info_span, warn};

use crate::endpoint::Inner;
use crate::metrics::NetMetrics;
use crate::throttle::Throttle;

/// Why a session ended.
#[derive(Debug)]
enum Ending {
    /// The peer closed the connection or went away; nothing more to send.
    PeerLeft,
    /// The server ends the session and tells the peer why.
    Close(CloseCode, String),
}

impl Ending {
    fn close(code: CloseCode, reason: impl Into<String>) -> Self {
        Self::Close(code, reason.into())
    }
}

/// Runs a session to its end.
pub(crate) async fn run<S>(
    net: Arc<Inner>,
    id: SessionId,
    peer: SocketAddr,
    socket: WebSocketStream<S>,
) where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let span = info_span!("session", id, %peer);
    async move {
        let (sink, stream) = socket.split();
        let metrics = net.metrics.clone();
        metrics.sessions.increment(1.0);
        metrics.sessions_opened.increment(1);
        let mut session = Session { net, id, sink, stream, joined: false };
        let ending = session.handshake_and_serve().await;
        if session.joined {
            session.net.sim.leave(id);
        }
        metrics.sessions.decrement(1.0);
        match ending {
            Ending::PeerLeft => {
                metrics.closed(None);
                info!("session ended by the peer");
            }
            Ending::Close(code, reason) => {
                metrics.closed(Some(code));
                if code == CloseCode::GoingAway {
                    info!(code = code.as_u16(), %reason, "closing session");
                } else {
                    warn!(code = code.as_u16(), %reason, "closing session");
                }
                session.close(code, reason).await;
            }
        }
    }
    .instrument(span)
    .await;
}

struct Session<S> {
    net: Arc<Inner>,
    id: SessionId,
    sink: SplitSink<WebSocketStream<S>, Message>,
    stream: SplitStream<WebSocketStream<S>>,
    /// Whether the sim was asked to spawn an actor for this session (so it must be told
    /// we left).
    joined: bool,
}

impl<S> Session<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    async fn handshake_and_serve(&mut self) -> Ending {
        let shutdown = self.net.shutdown.clone();
        tokio::select! {
            ending = async {
                let joined = match self.handshake().await {
                    Ok(joined) => joined,
                    Err(ending) => return ending,
                };
                self.serve(joined).await
            } => ending,
            () = shutdown.cancelled() => Ending::close(CloseCode::GoingAway, "server is shutting down"),
        }
    }

    /// Waits for a valid `Hello`, joins the sim, and sends `Welcome`.
    async fn handshake(&mut self) -> Result<Joined, Ending> {
        let hello = match timeout(
            self.net.config.handshake_timeout,
            next_message(&mut self.stream, &self.net.metrics),
        )
        .await
        {
            Err(_elapsed) => {
                return Err(Ending::close(
                    CloseCode::PolicyViolation,
                    "handshake timed out: send Hello first",
                ));
            }
            Ok(Err(ending)) => return Err(ending),
            Ok(Ok(ClientMessage::Hello(hello))) => hello,
            Ok(Ok(_)) => {
                return Err(Ending::close(
                    CloseCode::ProtocolError,
                    "expected Hello as the first message",
                ));
            }
        };
        if hello.protocol_version != PROTOCOL_VERSION {
            return Err(Ending::close(
                CloseCode::VersionMismatch,
                format!(
                    "protocol version {} is not supported; this server speaks version {PROTOCOL_VERSION}",
                    hello.protocol_version
                ),
            ));
        }
        let stopped = || Ending::close(CloseCode::GoingAway, "server is shutting down");
        let answer = self.net.sim.join(self.id).map_err(|_| stopped())?;
        // From here the sim may hold an actor for us even if this task is cancelled before
        // the answer is read; join and leave share one FIFO channel, and a leave without
        // an actor is a no-op, so always leave.
        self.joined = true;
        let joined = answer.await.map_err(|_| stopped())?;
        let welcome = ServerMessage::Welcome(Welcome {
            session_id: self.id,
            actor_id: joined.actor_id,
            tick: joined.tick,
            settings: joined.settings,
            arena_size: joined.arena_size,
        });
        send(&mut self.sink, &self.net.metrics, welcome.encode()).await?;
        info!(actor_id = joined.actor_id, "session joined");
        Ok(joined)
    }

    /// The session's main loop: a reader and a writer side by side, so a congested
    /// socket never stops inputs from being read, and a flood of inputs never delays a
    /// snapshot. Whichever ends first ends the session.
    async fn serve(&mut self, joined: Joined) -> Ending {
        let Self { net, id, sink, stream, .. } = self;
        let (net, id) = (&**net, *id);
        let state = SessionState::default();
        debug!(actor_id = joined.actor_id, "serving");

        let reader = async {
            loop {
                match next_message(stream, &net.metrics).await {
                    Ok(ClientMessage::Input(input)) => {
                        if !state.acknowledge(input.ack_tick) {
                            net.metrics.acks_rejected.increment(1);
                        }
                        match net.sim.input(id, input) {
                            Ok(()) => {}
                            Err(SendRefused::Full) => {
                                net.metrics.inputs_dropped.increment(1);
                                let dropped = state.dropped_inputs.fetch_add(1, Relaxed) + 1;
                                debug!(dropped, "input queue full; input dropped");
                            }
                            Err(SendRefused::Stopped) => {
                                return Ending::close(
                                    CloseCode::GoingAway,
                                    "server is shutting down",
                                );
                            }
                        }
                    }
                    Ok(ClientMessage::Pong(pong)) => {
                        if let Some(rtt) = state.ping.answered(pong.nonce) {
                            net.metrics.rtt.record(rtt.as_secs_f64());
                        }
                    }
                    Ok(ClientMessage::FullSnapshotRequest) => {
                        state.full_requested.store(true, Relaxed)
                    }
                    Ok(ClientMessage::SnapshotRateRequest { max_per_second }) => {
                        state.client_cap.store(max_per_second, Relaxed);
                    }
                    Ok(ClientMessage::Hello(_)) => {
                        return Ending::close(CloseCode::ProtocolError, "Hello sent twice");
                    }
                    Err(ending) => return ending,
                }
            }
        };

        let writer = async {
            let mut frames = net.frames.clone();
            frames.mark_changed(); // Send the newest frame right away.
            let mut pings = interval(net.config.ping_interval);
            pings.set_missed_tick_behavior(MissedTickBehavior::Delay);
            let mut throttle = Throttle::default();
            let mut told_settings = joined.settings;
            let mut told_rate = throttle.rate(&joined.settings);
            loop {
                let ring = tokio::select! {
                    changed = frames.changed() => {
                        if changed.is_err() {
                            return Ending::close(CloseCode::GoingAway, "server is shutting down");
                        }
                        Arc::clone(&frames.borrow_and_update())
                    }
                    _ = pings.tick() => {
                        if let Err(ending) = send(sink, &net.metrics, ServerMessage::Ping(state.ping.next()).encode()).await {
                            return ending;
                        }
                        continue;
                    }
                };
                let Some(newest) = ring.newest().filter(|newest| newest.tick() > joined.tick)
                else {
                    continue; // Nothing built since this session's actor exists.
                };
                let settings = *newest.settings();
                if settings != told_settings {
                    told_settings = settings;
                    if let Err(ending) =
                        send(sink, &net.metrics, ServerMessage::Settings(settings).encode()).await
                    {
                        return ending;
                    }
                }
                throttle.set_client_cap(state.client_cap.load(Relaxed));
                let rate = throttle.rate(&settings);
                if rate != told_rate {
                    debug!(every_ticks = rate.every_ticks, reason = ?rate.reason, "snapshot rate changed");
                    told_rate = rate;
                    let throttled = rate.reason != ThrottleReason::None;
                    if state.throttled.swap(throttled, Relaxed) != throttled {
                        net.metrics.sessions_throttled.increment(if throttled {
                            1.0
                        } else {
                            -1.0
                        });
                    }
                    if let Err(ending) =
                        send(sink, &net.metrics, ServerMessage::SnapshotRate(rate).encode()).await
                    {
                        return ending;
                    }
                }
                let full_requested = state.full_requested.swap(false, Relaxed);
                let last_sent = state.sent_tick.load(Relaxed);
                if !full_requested
                    && last_sent != 0
                    && newest.tick().wrapping_sub(last_sent) < u32::from(rate.every_ticks)
                {
                    continue; // Throttled: this frame is skipped, the next snapshot covers it.
                }
                let baseline = if full_requested { None } else { ring.get(last_sent) };
                // Over one ordered stream the client reads this snapshot after every
                // earlier one, so it is the next snapshot's baseline once written.
                state.sent_tick.store(newest.tick(), Relaxed);
                if last_sent != 0 {
                    let broadcasts =
                        newest.tick().wrapping_sub(last_sent) / u32::from(settings.broadcast_every);
                    net.metrics
                        .snapshots_skipped
                        .increment(u64::from(broadcasts.saturating_sub(1)));
                }
                let snapshot = newest.snapshot_from(baseline);
                net.metrics.snapshot_bytes.record(snapshot.len() as f64);
                let started = Instant::now();
                if let Err(ending) = send(sink, &net.metrics, snapshot).await {
                    return ending;
                }
                let interval =
                    Duration::from_secs_f32(f32::from(rate.every_ticks) * settings.tick_seconds());
                throttle.record_write(Instant::now(), started.elapsed(), interval);
            }
        };

        let ending = tokio::select! {
            ending = reader => ending,
            ending = writer => ending,
        };
        if state.throttled.load(Relaxed) {
            net.metrics.sessions_throttled.decrement(1.0);
        }
        debug!(
            sent_tick = state.sent_tick.load(Relaxed),
            acked_tick = state.acked_tick.load(Relaxed),
            bogus_acks = state.bogus_acks.load(Relaxed),
            dropped_inputs = state.dropped_inputs.load(Relaxed),
            "session stats"
        );
        ending
    }

    /// Sends `Disconnect` and a close frame with the same code and reason, then closes
    /// lingeringly: waits for the peer's close reply, half-closes, and discards whatever
    /// the peer still sends until it closes too. Dropping a socket with unread bytes makes
    /// the kernel send a reset, which can destroy the close frame before the peer reads
    /// it (for example after refusing an oversized frame mid-payload). Bounded by
    /// `close_timeout`.
    async fn close(self, code: CloseCode, reason: String) {
        let Self { net, mut sink, mut stream, .. } = self;
        let disconnect =
            ServerMessage::Disconnect(Disconnect { code: code.as_u16(), reason: reason.clone() });
        let close_frame =
            CloseFrame { code: code.as_u16().into(), reason: close_reason(&reason).into() };
        let lingering_close = async {
            let sent = async {
                sink.send(Message::Binary(disconnect.encode())).await?;
                sink.send(Message::Close(Some(close_frame))).await
            };
            if let Err(error) = sent.await {
                debug!(%error, "peer gone before the close was sent");
            }
            while let Some(Ok(_)) = stream.next().await {}
            let Ok(mut socket) = sink.reunite(stream) else {
                return;
            };
            let raw = socket.get_mut();
            let _ = raw.shutdown().await;
            let mut discard = [0u8; 4096];
            while matches!(raw.read(&mut discard).await, Ok(read) if read > 0) {}
        };
        if timeout(net.config.close_timeout, lingering_close).await.is_err() {
            debug!("peer did not finish the close in time");
        }
    }
}

/// The next client message, skipping WebSocket control frames.
async fn next_message<S>(
    stream: &mut SplitStream<WebSocketStream<S>>,
    metrics: &NetMetrics,
) -> Result<ClientMessage, Ending>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    loop {
        match stream.next().await {
            None | Some(Ok(Message::Close(_))) => return Err(Ending::PeerLeft),
            Some(Ok(Message::Binary(frame))) => {
                metrics.received(frame.len());
                return ClientMessage::decode(&frame).map_err(|error| {
                    Ending::close(CloseCode::ProtocolError, format!("malformed message: {error}"))
                });
            }
            Some(Ok(Message::Text(_))) => {
                return Err(Ending::close(
                    CloseCode::UnsupportedData,
                    "text frames are not supported; send binary FlatBuffers messages",
                ));
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => {}
            Some(Err(WsError::Capacity(CapacityError::MessageTooLong { size, max_size }))) => {
                return Err(Ending::close(
                    CloseCode::MessageTooBig,
                    format!("message of {size} bytes exceeds the limit of {max_size}"),
                ));
            }
            Some(Err(WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake))) => {
                return Err(Ending::PeerLeft);
            }
            Some(Err(WsError::Protocol(error))) => {
                return Err(Ending::close(
                    CloseCode::ProtocolError,
                    format!("WebSocket protocol error: {error}"),
                ));
            }
            Some(Err(error)) => {
                debug!(%error, "read failed");
                return Err(Ending::PeerLeft);
            }
        }
    }
}

/// A close frame's reason is limited to 123 bytes; cut at a character boundary.
fn close_reason(reason: &str) -> String {
    const MAX: usize = 123;
    let mut end = reason.len().min(MAX);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    reason[..end].to_owned()
}

async fn send<S>(
    sink: &mut SplitSink<WebSocketStream<S>, Message>,
    metrics: &NetMetrics,
    message: Bytes,
) -> Result<(), Ending>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    metrics.sent(message.len());
    sink.send(Message::Binary(message)).await.map_err(|error| {
        debug!(%error, "send failed");
        Ending::PeerLeft
    })
}

/// What the reader and the writer share. Both run in the session's one task, so relaxed
/// atomics suffice (they are atomics only because the task may move between threads).
#[derive(Debug, Default)]
struct SessionState {
    ping: PingState,
    /// The tick of the last snapshot written (0: none): the next delta's baseline.
    sent_tick: AtomicU32,
    /// The newest snapshot tick the client says it applied.
    acked_tick: AtomicU32,
    /// Acks for snapshots never sent: a broken or lying client.
    bogus_acks: AtomicU64,
    /// The client asked for a full snapshot next.
    full_requested: AtomicBool,
    /// The most snapshots per second the client wants (0: no cap).
    client_cap: AtomicU16,
    /// Whether the session gets fewer snapshots than the broadcast rate.
    throttled: AtomicBool,
    dropped_inputs: AtomicU64,
}

impl SessionState {
    /// Records an ack. An ack for a snapshot never sent is counted and ignored, and
    /// `false` is returned.
    fn acknowledge(&self, tick: u32) -> bool {
        if tick > self.sent_tick.load(Relaxed) {
            let bogus = self.bogus_acks.fetch_add(1, Relaxed) + 1;
            debug!(tick, bogus, "ack for a snapshot never sent; ignored");
            return false;
        }
        self.acked_tick.fetch_max(tick, Relaxed);
        true
    }
}

/// Round-trip measurement: one ping in flight at a time.
#[derive(Debug, Default)]
struct PingState {
    /// Nonce and send time of the ping in flight. Never locked across an await.
    in_flight: Mutex<(u32, Option<Instant>)>,
    rtt_us: AtomicU32,
}

impl PingState {
    /// The next ping to send, carrying the last measured round-trip time.
    fn next(&self) -> Ping {
        let mut in_flight = self.in_flight.lock().unwrap_or_else(PoisonError::into_inner);
        let nonce = in_flight.0.wrapping_add(1);
        *in_flight = (nonce, Some(Instant::now()));
        Ping { nonce, rtt_us: self.rtt_us.load(Relaxed) }
    }

    /// A pong arrived; only the answer to the newest ping counts.
    /// Returns the measured round-trip time, if `nonce` answers the ping in flight.
    fn answered(&self, nonce: u32) -> Option<Duration> {
        let mut in_flight = self.in_flight.lock().unwrap_or_else(PoisonError::into_inner);
        if in_flight.0 != nonce {
            return None;
        }
        let rtt = in_flight.1.take()?.elapsed();
        self.rtt_us.store(u32::try_from(rtt.as_micros()).unwrap_or(u32::MAX), Relaxed);
        Some(rtt)
    }
}
