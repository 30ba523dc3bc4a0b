//! One WebSocket session: handshake, then inputs in, snapshots and pings out.
//!
//! Everything the peer sends is verified and decoded before use; anything wrong ends this
//! session alone with a `Disconnect` message and a close frame carrying the same code and
//! reason, plus a log line in the session's span. Nothing here can reach the accept loop
//! or another session.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Instant;

use futures_util::StreamExt;
use tickwire_protocol::{
    ClientMessage, CloseCode, Disconnect, PROTOCOL_VERSION, ResumeToken, ServerMessage, Welcome,
};
use tickwire_sim::{Joined, SendRefused, SessionId};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadHalf, WriteHalf};
use tokio::time::timeout;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_util::sync::CancellationToken;
use tracing::{Instrument, debug, info, info_span, warn};

use crate::admission::{Permit, origin_allowed};
use crate::endpoint::Inner;
use crate::message_budget::MessageBudget;
use crate::send_queue::SendQueue;

mod outbox;
mod policy;
mod state;
mod wire;
mod writer;

use outbox::Outbox;
use state::SessionState;
use wire::{ReadSide, ending_after_failed_write, next_message};
use writer::Writer;

/// Why a session ended.
#[derive(Debug)]
enum Ending {
    /// The peer said goodbye (a close frame): its actor leaves.
    PeerClosed,
    /// The connection was lost without a goodbye: the actor waits for a resume.
    PeerLost,
    /// Another connection resumed this session and took its actor.
    Replaced,
    /// The peer went silent: the server closes the session (1008, with the reason), but
    /// the actor waits for a resume, as the player may come back on a better connection.
    Silent(String),
    /// The server ends the session and tells the peer why; the actor leaves.
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
    send_queue: Option<SendQueue>,
    origin: Option<String>,
    io: S,
    config: WebSocketConfig,
) where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let span = info_span!("session", id, %peer);
    async move {
        let (read, write) = tokio::io::split(io);
        let stream =
            WebSocketStream::from_raw_socket(ReadSide(read), Role::Server, Some(config)).await;
        let metrics = net.metrics.clone();
        metrics.sessions.increment(1.0);
        metrics.sessions_opened.increment(1);
        let budget = MessageBudget::new(
            net.config.max_messages_per_second,
            net.config.message_burst,
            Instant::now(),
        );
        let outbox = Outbox::new(write, net.config.idle_timeout);
        let mut session = Session {
            net,
            id,
            outbox,
            stream,
            budget,
            joined: false,
            resume_token: None,
            replaced: CancellationToken::new(),
            state: SessionState::default(),
            events_after: 0,
            timing: false,
            send_queue,
        };
        let admitted = session.admit(peer, origin.as_deref());
        let ending = match &admitted {
            Ok(_permit) => session.handshake_and_serve().await,
            Err((code, reason)) => Ending::close(*code, reason.clone()),
        };
        session.release(&ending);
        drop(admitted);
        metrics.sessions.decrement(1.0);
        let closing = match ending {
            Ending::PeerClosed => {
                info!(lost = false, "session ended by the peer");
                Box::pin(session.reply_to_close()).await;
                None
            }
            Ending::PeerLost => {
                info!(lost = true, "session ended by the peer");
                None
            }
            Ending::Replaced => {
                Some((CloseCode::Normal, "this session was resumed by a new connection".into()))
            }
            Ending::Silent(reason) => Some((CloseCode::PolicyViolation, reason)),
            Ending::Close(code, reason) => Some((code, reason)),
        };
        metrics.closed(closing.as_ref().map(|(code, _)| *code));
        if let Some((code, reason)) = closing {
            if matches!(code, CloseCode::GoingAway | CloseCode::Normal) {
                info!(code = code.as_u16(), %reason, "closing session");
            } else {
                warn!(code = code.as_u16(), %reason, "closing session");
            }
            // Boxed, like the handshake: states a session passes through once would
            // otherwise add to the size of every live session's task.
            Box::pin(session.close(code, reason)).await;
        }
    }
    .instrument(span)
    .await;
}

struct Session<S> {
    net: Arc<Inner>,
    id: SessionId,
    outbox: Outbox<WriteHalf<S>>,
    stream: WebSocketStream<ReadSide<ReadHalf<S>>>,
    /// What the client may send; every frame it sends takes from it.
    budget: MessageBudget,
    /// Whether the sim was asked for an actor for this session (so it must be told
    /// when the session ends).
    joined: bool,
    /// The token this session's client may resume it with.
    resume_token: Option<ResumeToken>,
    /// Cancelled when another connection resumes this session.
    replaced: CancellationToken,
    /// What the reader and the writer share.
    state: SessionState,
    /// Events after this tick are this session's to send (a resumed session's start).
    events_after: u32,
    /// The client asked for a `SnapshotTiming` before every snapshot.
    timing: bool,
    /// The socket's send queue, if it can be read: what keeps a slow reader's snapshots
    /// fresh (see `throttle`).
    send_queue: Option<SendQueue>,
}

impl<S> Session<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    /// Checks the origin and takes a session slot.
    fn admit(&self, peer: SocketAddr, origin: Option<&str>) -> Result<Permit, (CloseCode, String)> {
        if !origin_allowed(&self.net.config.allowed_origins, origin) {
            return Err((
                CloseCode::OriginNotAllowed,
                format!("pages from {} may not connect to this server", origin.unwrap_or_default()),
            ));
        }
        self.net.admission.admit(peer.ip())
    }

    /// Tells the sim and the resume book how the session ended: a lost connection keeps
    /// the actor for a resume, a goodbye or a broken rule removes it, a replaced session
    /// has already handed its actor on.
    fn release(&self, ending: &Ending) {
        let keep_for_resume = match ending {
            Ending::Replaced => return,
            Ending::PeerLost => true,
            Ending::Silent(_) => true,
            Ending::Close(..) => false,
            Ending::PeerClosed => false,
        };
        if self.joined {
            if keep_for_resume {
                self.net.sim.detach(self.id);
            } else {
                self.net.sim.leave(self.id);
            }
        }
        if let Some(token) = self.resume_token {
            if keep_for_resume {
                self.net.resume.detach(
                    token,
                    self.net.config.resume_grace,
                    self.state.sent_tick.load(Relaxed),
                );
            } else {
                self.net.resume.forget(token);
            }
        }
    }

    async fn handshake_and_serve(&mut self) -> Ending {
        let shutdown = self.net.shutdown.clone();
        let replaced = self.replaced.clone();
        tokio::select! {
            ending = async {
                let joined = match Box::pin(self.handshake()).await {
                    Ok(joined) => joined,
                    Err(ending) => return ending,
                };
                self.serve(joined).await
            } => ending,
            () = shutdown.cancelled() => Ending::close(CloseCode::GoingAway, "server is shutting down"),
            () = replaced.cancelled() => Ending::Replaced,
        }
    }

    /// Waits for a valid `Hello`, authenticates it, joins or resumes, and sends `Welcome`.
    async fn handshake(&mut self) -> Result<Joined, Ending> {
        let hello = match timeout(
            self.net.config.handshake_timeout,
            next_message(&mut self.stream, &self.net.metrics, &mut self.budget),
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
        if let Err(reason) = self.net.authenticator.authenticate(hello.auth_token.as_deref()) {
            return Err(Ending::close(
                CloseCode::Unauthorized,
                format!("not authorised: {reason}"),
            ));
        }
        let stopped = || Ending::close(CloseCode::GoingAway, "server is shutting down");
        // From the first request on, the sim may hold an actor for us even if this task is
        // cancelled before the answer is read; requests and endings share one FIFO
        // channel, and ending a session without an actor is a no-op.
        self.joined = true;
        self.timing = hello.timing;
        let previous = hello.resume_token.and_then(|token| self.net.resume.redeem(token));
        let resumed = match previous {
            Some((previous, _)) => self
                .net
                .sim
                .resume(previous, self.id)
                .map_err(|_| stopped())?
                .await
                .map_err(|_| stopped())?,
            None => None,
        };
        self.net.metrics.resumes(hello.resume_token.is_some(), resumed.is_some());
        let (joined, was_resumed) = match resumed {
            Some(joined) => (joined, true),
            None => (
                self.net.sim.join(self.id).map_err(|_| stopped())?.await.map_err(|_| stopped())?,
                false,
            ),
        };
        let resume_token = self.net.resume.issue(self.id, self.replaced.clone()).map_err(|_| {
            Ending::close(CloseCode::InternalError, "the server could not make a resume token")
        })?;
        self.resume_token = Some(resume_token);
        // A resumed session replays the events its old connection missed; a new one starts now.
        self.events_after = match previous {
            Some((_, sent_tick)) if was_resumed && sent_tick > 0 => sent_tick,
            _ => joined.tick,
        };
        let welcome = ServerMessage::Welcome(Welcome {
            event_names: joined.event_names.clone(),
            field_names: joined.field_names.clone(),
            resume_token,
            resumed: was_resumed,
            session_id: self.id,
            actor_id: joined.actor_id,
            tick: joined.tick,
            settings: joined.settings,
            arena_size: joined.arena_size,
        });
        self.outbox.send(&self.net.metrics, welcome.encode()).await?;
        info!(actor_id = joined.actor_id, resumed = was_resumed, "session joined");
        Ok(joined)
    }

    /// The session's main loop: a reader and a writer side by side, so a congested
    /// socket never stops inputs from being read, and a flood of inputs never delays a
    /// snapshot. Whichever ends first ends the session.
    async fn serve(&mut self, joined: Joined) -> Ending {
        let Self {
            net, id, outbox, stream, budget, state, events_after, timing, send_queue, ..
        } = self;
        let timing = *timing;
        let (net, id, state) = (&**net, *id, &*state);
        debug!(actor_id = joined.actor_id, "serving");

        let reader = async {
            let config = &net.config;
            loop {
                let Ok(message) =
                    timeout(config.idle_timeout, next_message(stream, &net.metrics, budget)).await
                else {
                    let silence = config.idle_timeout.as_secs_f32();
                    return Ending::Silent(format!("timed out: nothing received for {silence} s"));
                };
                match message {
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
                        state.full_requested.store(true, Relaxed);
                        state.request_made.notify_one();
                    }
                    Ok(ClientMessage::SnapshotRateRequest { max_per_second }) => {
                        state.client_cap.store(max_per_second, Relaxed);
                        state.request_made.notify_one();
                    }
                    Ok(ClientMessage::Hello(_)) => {
                        return Ending::close(CloseCode::ProtocolError, "Hello sent twice");
                    }
                    Err(ending) => return ending,
                }
            }
        };

        let writer = Writer::new(net, id, outbox, state, &joined, *events_after, timing)
            .watching(*send_queue)
            .run();

        let ending = tokio::select! {
            ending = reader => ending,
            ending = writer => match ending {
                Ending::PeerLost => ending_after_failed_write(stream, &net.metrics, budget).await,
                ending => ending,
            },
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

    /// Answers the peer's close frame, as the closing handshake asks, and half-closes.
    /// Bounded by `close_timeout`.
    async fn reply_to_close(&mut self) {
        let reply = async {
            if self.outbox.close(CloseCode::Normal.as_u16(), "").await.is_ok() {
                self.outbox.shutdown().await;
            }
        };
        if timeout(self.net.config.close_timeout, reply).await.is_err() {
            debug!("peer did not take the close reply in time");
        }
    }

    /// Sends `Disconnect` and a close frame with the same code and reason, then closes
    /// lingeringly: waits for the peer's close reply, half-closes, and discards whatever
    /// the peer still sends until it closes too. Dropping a socket with unread bytes makes
    /// the kernel send a reset, which can destroy the close frame before the peer reads
    /// it (for example after refusing an oversized frame mid-payload). Bounded by
    /// `close_timeout`.
    async fn close(self, code: CloseCode, reason: String) {
        let Self { net, mut outbox, mut stream, .. } = self;
        let disconnect =
            ServerMessage::Disconnect(Disconnect { code: code.as_u16(), reason: reason.clone() });
        let lingering_close = async {
            outbox.queue(&net.metrics, disconnect.encode());
            if outbox.close(code.as_u16(), &reason).await.is_err() {
                debug!("peer gone before the close was sent");
            }
            while let Some(Ok(message)) = stream.next().await {
                if message.is_close() {
                    break;
                }
            }
            outbox.shutdown().await;
            let mut discard = vec![0u8; 4096];
            while matches!(stream.get_mut().0.read(&mut discard).await, Ok(read) if read > 0) {}
        };
        if timeout(net.config.close_timeout, lingering_close).await.is_err() {
            debug!("peer did not finish the close in time");
        }
    }
}
