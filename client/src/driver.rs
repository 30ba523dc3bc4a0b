//! The socket task: owns the WebSocket, answers pings, decodes frames, and on a lost
//! connection reconnects with backoff and resumes the session with its token, unless the
//! close code's policy ([`tickwire_protocol::CLOSE_CODES`]) says retrying cannot help.
//! What each `Hello` carries, and whether a refused resume is worth a new seat, is
//! [`Seating`]'s decision.

use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tickwire_protocol::{
    ClientMessage, CloseCode, Disconnect, Hello, Pong, Retry, ServerMessage, Untrusted, Welcome,
    retry_after,
};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::{sleep, timeout};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode as WsCloseCode;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async_with_config};
use tracing::{debug, info};

use crate::backoff::Backoff;
use crate::connection::{ClientError, Event, Incoming, Options};
use crate::matchmaker::{MatchError, Matchmaker};
use crate::seating::{Refusal, Seating};
use crate::websocket::websocket_config;

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;
pub(crate) type Sink = SplitSink<Socket, Message>;
pub(crate) type Stream = SplitStream<Socket>;

/// How long a connection attempt waits for the server's `Welcome`.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a goodbye waits for the server's close reply before dropping the socket.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

/// Opens a WebSocket to `url`, sends `Hello` and waits for `Welcome`.
pub(crate) async fn handshake(
    url: &str,
    hello: Hello,
) -> Result<(Sink, Stream, Welcome), ClientError> {
    // Inputs are tiny and latency-bound: no Nagle delay.
    let (socket, _response) =
        connect_async_with_config(url, Some(websocket_config()), true).await?;
    let (mut sink, mut stream) = socket.split();
    sink.send(Message::Binary(ClientMessage::Hello(hello).encode())).await?;
    let welcome = timeout(HANDSHAKE_TIMEOUT, read_welcome(&mut stream))
        .await
        .map_err(|_| ClientError::HandshakeTimeout(HANDSHAKE_TIMEOUT))??;
    Ok((sink, stream, welcome))
}

async fn read_welcome(stream: &mut Stream) -> Result<Welcome, ClientError> {
    let mut disconnect: Option<Disconnect> = None;
    loop {
        match stream.next().await {
            Some(Ok(Message::Binary(frame))) => match ServerMessage::decode(&frame)? {
                ServerMessage::Welcome(welcome) => return Ok(welcome),
                ServerMessage::Disconnect(reason) => disconnect = Some(reason),
                other => return Err(ClientError::UnexpectedMessage(format!("{other:?}"))),
            },
            Some(Ok(Message::Close(frame))) => {
                let (code, reason) = closing(disconnect, frame);
                return Err(ClientError::Refused { code: code.unwrap_or(1005), reason });
            }
            Some(Ok(_)) => {}
            Some(Err(error)) => return Err(error.into()),
            None => return Err(ClientError::Closed),
        }
    }
}

/// The code and reason of a close: the `Disconnect` message's if one came first.
fn closing(disconnect: Option<Disconnect>, frame: Option<CloseFrame>) -> (Option<u16>, String) {
    match (disconnect, frame) {
        (Some(disconnect), _) => (Some(disconnect.code), disconnect.reason),
        (None, Some(frame)) => (Some(u16::from(frame.code)), frame.reason.to_string()),
        (None, None) => (None, String::new()),
    }
}

/// How one connection ended.
enum ConnectionEnd {
    /// The caller dropped the client.
    Dropped,
    /// The server closed it (code and reason) or it was lost (no code).
    Ended { code: Option<u16>, reason: String },
}

/// Runs connections until the caller drops the client or reconnecting is pointless.
/// `seed` makes this client's backoff jitter its own.
pub(crate) async fn drive(
    options: Options,
    mut seating: Seating,
    seed: u64,
    (mut sink, mut stream): (Sink, Stream),
    mut outgoing: mpsc::UnboundedReceiver<Bytes>,
    events: mpsc::Sender<Incoming>,
) {
    let mut backoff = Backoff::new(options.first_retry, options.max_retry, seed);
    loop {
        let (code, reason) = match serve(&mut sink, &mut stream, &mut outgoing, &events).await {
            ConnectionEnd::Dropped => {
                say_goodbye(&mut sink, &mut stream).await;
                return;
            }
            ConnectionEnd::Ended { code, reason } => (code, reason),
        };
        let rejoin = match (options.reconnect, retry_after(code), seating.refused(code)) {
            (true, Retry::Backoff, _) => None,
            (true, Retry::Never, Refusal::Rejoin { matchmaker, room }) => Some((matchmaker, room)),
            _ => return close(&events, code, reason).await,
        };
        info!(?code, reason = %Untrusted(&reason), "connection lost; reconnecting");
        let _ = events.send(Incoming::Event(Event::Reconnecting { code, reason })).await;
        match reconnect(&options, &mut seating, &mut backoff, rejoin, &events).await {
            Some(connection) => (sink, stream) = connection,
            None => return,
        }
    }
}

/// Failed connection attempts in a row after which a client that matchmade asks its
/// matchmaker for a room anew: its server is gone, and its room with it.
const REMATCH_AFTER: u32 = 3;

/// Reconnects with backoff, first asking `rejoin`'s matchmaker for a new seat in its room
/// if given (or, for a client that matchmade, for a room anew once its room or server is
/// gone), until a connection is welcomed and the caller told. `None`: the client is
/// finished (the caller was told why) or was dropped.
async fn reconnect(
    options: &Options,
    seating: &mut Seating,
    backoff: &mut Backoff,
    mut rejoin: Option<(Matchmaker, String)>,
    events: &mpsc::Sender<Incoming>,
) -> Option<(Sink, Stream)> {
    let mut attempts = 0;
    let mut lost = false;
    loop {
        sleep(backoff.next_delay()).await;
        if events.is_closed() {
            return None; // The caller dropped the client while we were away.
        }
        attempts += 1;
        if let Some((matchmaker, room)) = rejoin.take() {
            info!(room = %Untrusted(&room), "the room refused the resume; joining it again");
            match matchmaker.join(&room).await {
                Ok(seat) => seating.reseated(seat),
                Err(error) if error.status() == Some(404) && seating.rematch().is_some() => {
                    lost = true;
                }
                Err(error) => {
                    let reason = format!("the room refused the resume and a new seat: {error}");
                    close(events, Some(CloseCode::SeatRefused.as_u16()), reason).await;
                    return None;
                }
            }
        }
        if lost && let Some((matchmaker, request)) = seating.rematch() {
            info!(name = %Untrusted(&request.name), "the room or its server is gone; matchmaking again");
            match matchmaker.join_or_create(&request).await {
                Ok(seat) => {
                    seating.reseated(seat);
                    lost = false;
                }
                Err(error) if attempts < options.max_attempts && passing(&error) => {
                    debug!(%error, attempts, "matchmaking again failed; retrying");
                    continue;
                }
                Err(error) => {
                    let reason = format!("the room is gone and matchmaking failed: {error}");
                    close(events, None, reason).await;
                    return None;
                }
            }
        }
        match handshake(seating.url(), seating.hello(options.hello())).await {
            Ok((mut sink, mut stream, welcome)) => {
                seating.welcomed(&welcome);
                backoff.reset();
                if events.send(Incoming::Reconnected(welcome)).await.is_err() {
                    say_goodbye(&mut sink, &mut stream).await; // The caller is gone: leave at once.
                    return None;
                }
                return Some((sink, stream));
            }
            Err(ClientError::Refused { code, reason })
                if retry_after(Some(code)) == Retry::Never =>
            {
                match seating.refused(Some(code)) {
                    Refusal::Rejoin { matchmaker, room } => rejoin = Some((matchmaker, room)),
                    Refusal::GiveUp => {
                        close(events, Some(code), reason).await;
                        return None;
                    }
                }
            }
            Err(error) if attempts >= options.max_attempts => {
                close(events, None, format!("gave up after {attempts} attempts: {error}")).await;
                return None;
            }
            Err(error) => {
                debug!(%error, attempts, "reconnect attempt failed");
                lost = attempts % REMATCH_AFTER == 0 && seating.rematch().is_some();
            }
        }
    }
}

/// Whether a matchmaking failure may pass by itself (a busy or unreachable matchmaker, a
/// cluster still forgetting a dead process) rather than refuse for good.
fn passing(error: &MatchError) -> bool {
    !matches!(error.status(), Some(400 | 404 | 409))
}

/// Tells the caller the client is finished.
async fn close(events: &mpsc::Sender<Incoming>, code: Option<u16>, reason: String) {
    let _ = events.send(Incoming::Event(Event::Closed { code, reason })).await;
}

/// Closes with a normal close frame, so the server removes the actor at once instead of
/// keeping it for a resume, and waits (bounded) for the server's close reply, as the
/// WebSocket closing handshake asks. Dropping the socket straight after the close frame
/// lets the server's next snapshot meet a reset, which can destroy the unread close
/// frame on the way (a proxy, or the server's own write failing first) and make a
/// goodbye look like a lost connection.
async fn say_goodbye(sink: &mut Sink, stream: &mut Stream) {
    let close = CloseFrame { code: WsCloseCode::Normal, reason: "client closed".into() };
    if sink.send(Message::Close(Some(close))).await.is_err() {
        return;
    }
    let _ = timeout(CLOSE_TIMEOUT, async { while let Some(Ok(_)) = stream.next().await {} }).await;
}

/// One connection's life: sends what the caller queues, answers pings, decodes frames.
async fn serve(
    sink: &mut Sink,
    stream: &mut Stream,
    outgoing: &mut mpsc::UnboundedReceiver<Bytes>,
    events: &mpsc::Sender<Incoming>,
) -> ConnectionEnd {
    let mut disconnect: Option<Disconnect> = None;
    loop {
        tokio::select! {
            frame = outgoing.recv() => match frame {
                Some(frame) => {
                    if let Err(error) = sink.send(Message::Binary(frame)).await {
                        return ConnectionEnd::Ended { code: None, reason: error.to_string() };
                    }
                }
                None => return ConnectionEnd::Dropped, // The caller dropped the client.
            },
            message = stream.next() => {
                let incoming = match message {
                    Some(Ok(Message::Binary(frame))) => match ServerMessage::decode(&frame) {
                        Ok(ServerMessage::Snapshot(snapshot)) => Incoming::Snapshot(snapshot, frame.len()),
                        Ok(ServerMessage::Settings(settings)) => Incoming::Event(Event::Settings(settings)),
                        Ok(ServerMessage::SnapshotRate(rate)) => Incoming::Event(Event::SnapshotRate(rate)),
                        Ok(ServerMessage::GameEvents { tick, events }) => Incoming::Event(Event::Game { tick, events }),
                        Ok(ServerMessage::InputAck { sequence, tick }) => {
                            Incoming::Event(Event::InputAck { sequence, tick })
                        }
                        Ok(ServerMessage::SnapshotTiming { tick, published_unix_us }) => {
                            Incoming::Event(Event::SnapshotTiming { tick, published_unix_us })
                        }
                        Ok(ServerMessage::Ping(ping)) => {
                            let pong = ClientMessage::Pong(Pong { nonce: ping.nonce }).encode();
                            if let Err(error) = sink.send(Message::Binary(pong)).await {
                                return ConnectionEnd::Ended { code: None, reason: error.to_string() };
                            }
                            Incoming::Event(Event::RoundTrip(Duration::from_micros(u64::from(ping.rtt_us))))
                        }
                        Ok(ServerMessage::Disconnect(reason)) => {
                            disconnect = Some(reason);
                            continue;
                        }
                        Ok(ServerMessage::Welcome(_)) => {
                            return ConnectionEnd::Ended { code: None, reason: "server sent Welcome twice".into() };
                        }
                        Err(error) => {
                            return ConnectionEnd::Ended { code: None, reason: format!("malformed server message: {error}") };
                        }
                    },
                    Some(Ok(Message::Close(frame))) => {
                        let (code, reason) = closing(disconnect.take(), frame);
                        return ConnectionEnd::Ended { code, reason };
                    }
                    Some(Ok(_)) => continue,
                    Some(Err(error)) => return ConnectionEnd::Ended { code: None, reason: error.to_string() },
                    None => return ConnectionEnd::Ended { code: None, reason: "connection lost".into() },
                };
                if events.send(incoming).await.is_err() {
                    return ConnectionEnd::Dropped; // The caller dropped the client.
                }
            }
        }
    }
}
