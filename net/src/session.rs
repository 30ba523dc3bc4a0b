//! One WebSocket session: handshake, then inputs in, snapshots and pings out.
//!
//! Everything the peer sends is verified and decoded before use; anything wrong ends this
//! session alone with a `Disconnect` message and a close frame carrying the same code and
//! reason, plus a log line naming the session. Nothing here can reach the accept loop
//! or another session.

use std::future::{Future, poll_fn};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Instant;

use futures_util::future::Either;
use hyper::upgrade::OnUpgrade;
use tickwire_protocol::{
    ClientMessage, CloseCode, Disconnect, PROTOCOL_VERSION, ResumeToken, ServerMessage, Welcome,
};
use tickwire_sim::{Joined, SessionId};
use tokio::io::AsyncReadExt;
use tokio::net::tcp::OwnedReadHalf;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode as WsCloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tracing::{Instrument, debug, debug_span, field, info, warn};

use crate::admission::{Identity, Permit, origin_allowed};
use crate::endpoint::{Inner, upgraded_socket};
use crate::fanout::ShardContext;
use crate::log_throttle::LogThrottle;
use crate::message_budget::MessageBudget;
use crate::resume::{Live, Previous, Successor};
use crate::room::{Arrival, Destination, RoomLink};
use crate::snapshot_ring::SnapshotRing;
use tickwire_protocol::Untrusted;

mod close_reason;
mod delivery;
mod frame_meter;
mod message_stream;
mod outbox;
mod policy;
mod reader;
mod serving;
mod socket;
mod state;
mod task_writing;
mod wakeups;
mod wire;
mod writer;

use close_reason::CloseReason;
pub(crate) use delivery::Delivery;
use message_stream::MessageStream;
pub(crate) use serving::{Goodbye, Serving};
use wire::{ReadSide, next_message};
use writer::SnapshotWriter;

/// What tungstenite reads: the socket's read half, metered. (The bytes hyper read past
/// the upgrade request start tungstenite's buffer; see `open`.)
type Reading = ReadSide<OwnedReadHalf>;

/// Why a session ended.
#[derive(Debug)]
pub(crate) enum Ending {
    /// The peer said goodbye (a close frame, if it carried a code, as tungstenite checked
    /// it: an invalid code is replaced with 1002): its actor leaves, unless the code is
    /// 1001 (a browser page unloading), which may be a reload that resumes.
    PeerClosed(Option<CloseFrame>),
    /// The connection was lost without a goodbye: the actor waits for a resume.
    PeerLost,
    /// Another connection resumed this session and took its actor.
    Replaced,
    /// The peer went silent: the server closes the session (1008, with the reason), but
    /// the actor waits for a resume, as the player may come back on a better connection.
    Silent(String),
    /// The server ends the session and tells the peer why; the actor leaves.
    Close(CloseCode, CloseReason),
}

impl Ending {
    pub(crate) fn close(code: CloseCode, reason: impl Into<CloseReason>) -> Self {
        Self::Close(code, reason.into())
    }

    /// How a session ends when the server shuts down.
    pub(crate) fn shutting_down() -> Self {
        Self::close(CloseCode::GoingAway, "server is shutting down")
    }

    /// How a session ends once its room's world is gone (`frames` is the room's last
    /// ring): its game failed, or the server is stopping.
    pub(crate) fn world_gone(frames: &SnapshotRing) -> Self {
        if frames.failed() {
            Self::close(
                CloseCode::InternalError,
                "the room's game failed: ask the matchmaker for another room",
            )
        } else {
            Self::shutting_down()
        }
    }
}

/// What a session starts from, made by the endpoint before the upgrade completes. Boxed
/// and taken apart once the socket is there: a session's task keeps no copy of it.
pub(crate) struct Start {
    pub(crate) net: Arc<Inner>,
    pub(crate) id: SessionId,
    pub(crate) peer: SocketAddr,
    pub(crate) origin: Option<String>,
    pub(crate) config: WebSocketConfig,
}

/// Runs a session to its end, once `upgrade` hands over its socket.
///
/// The task runs the upgrade and the handshake; once the session serves, its room's
/// fan-out polls it (see `serving`) and the task ends, and its goodbye gets a task of its
/// own. What a session passes through once (the upgrade, the handshake, the goodbye) is
/// boxed while it runs.
///
/// The session's span, which names it and its peer on every line logged inside, is at
/// debug level: at info, a span costs every connection about 300 bytes (its slot in the
/// registry, the formatted fields and their map), so the info and warning lines about a
/// session name it and its peer themselves.
pub(crate) fn run(start: Box<Start>, upgrade: OnUpgrade) -> impl Future<Output = ()> + Send {
    let span = debug_span!("session", id = start.id, peer = %start.peer);
    let opening = Box::pin(open(start, upgrade));
    let session = async move {
        let Some((session, admitted)) = opening.await else {
            return;
        };
        session.live(admitted).await;
    };
    // Instrumented (and boxed) only while debug logging is on: the span's 40 bytes would
    // otherwise ride in every session's task, enabled or not. A serving session keeps
    // the span only while it is enabled, too (see `Serving::new`).
    if span.is_disabled() {
        Either::Left(session)
    } else {
        Either::Right(Box::pin(session.instrument(span)))
    }
}

/// Takes the socket over from hyper and makes the session, counted open, with its
/// admission: a slot, or why it gets none. `None` if the upgrade failed.
async fn open(start: Box<Start>, upgrade: OnUpgrade) -> Option<(Box<Session>, Admitted)> {
    let Start { net, id, peer, origin, config } = *start;
    let (socket, read_ahead) = upgraded_socket(upgrade, peer).await?;
    let (read, write) = socket.into_split();
    let budget = MessageBudget::new(
        net.config.max_messages_per_second,
        net.config.message_burst,
        Instant::now(),
    );
    let mut read = ReadSide::new(read, budget);
    // What the client sent before the upgrade completed is read first, metered like the
    // rest; it starts tungstenite's buffer rather than riding in front of the socket.
    let read_ahead_refused = read.meter_read_ahead(&read_ahead).err();
    let stream = MessageStream::new(read, read_ahead, Some(config));
    net.metrics.sessions.increment(1.0);
    net.metrics.sessions_opened.increment(1);
    let delivery = Arc::new(Delivery::new(id, Box::new(write), net.config.idle_timeout));
    let session = Box::new(Session {
        net,
        id,
        peer,
        delivery,
        stream,
        permit: None,
        room: None,
        seated: false,
        joined: false,
        resume_token: None,
        handed_over: None,
        events_after: 0,
        timing: false,
        span: None,
    });
    let admitted = match read_ahead_refused {
        Some(limit) => Err((limit.close_code(), limit.to_string())),
        None => session.admit(peer, origin.as_deref()),
    };
    Some((session, admitted))
}

/// A session slot, or the close code and reason of a refusal.
type Admitted = Result<Permit, (CloseCode, String)>;

struct Session {
    net: Arc<Inner>,
    id: SessionId,
    /// The client's address, named in the session's log lines.
    peer: SocketAddr,
    /// Everything the session writes, shared with its room's fan-out once it serves.
    delivery: Arc<Delivery>,
    /// What the client sends, metered: every frame takes from its budget.
    stream: MessageStream<Reading>,
    /// The session's slot, once the handshake is over (the handshake holds it while it
    /// runs). Kept here rather than in the task's future, where it would take room in
    /// every state of it.
    permit: Option<Permit>,
    /// The room the `Hello` led to, once found.
    room: Option<Arc<RoomLink>>,
    /// Whether this session holds a place in its room (so the room must be told when
    /// the session ends).
    seated: bool,
    /// Whether the sim was asked for an actor for this session (so it must be told
    /// when the session ends).
    joined: bool,
    /// The token this session's client may resume it with.
    resume_token: Option<ResumeToken>,
    /// The token this session's client presented, while it still points at this session:
    /// until the client is heard from, it may not have this session's own token.
    handed_over: Option<ResumeToken>,
    /// Events after this tick are this session's to send (a resumed session's start).
    events_after: u32,
    /// The client asked for a `SnapshotTiming` before every snapshot.
    timing: bool,
    /// The session's span while it serves, if debug logging is on (see `Serving::new`).
    span: Option<Box<tracing::Span>>,
}

impl Session {
    /// The session from its admission to its end: handshake and serving, then the
    /// accounts and the goodbye (at once, if it was refused a slot).
    fn live(self: Box<Self>, admitted: Admitted) -> impl Future<Output = ()> + Send {
        match admitted {
            Ok(permit) => Either::Left(self.live_admitted(permit)),
            Err((code, reason)) => Either::Right(self.end(Ending::close(code, reason))),
        }
    }

    /// [`Self::live`] with a slot: the handshake, then serving.
    ///
    /// Once the session serves, its room's fan-out polls it (see `serving`) and this task
    /// ends: a serving session holds no task. The handshake is boxed before the async
    /// block starts and owns the session and its permit while it runs.
    fn live_admitted(self: Box<Self>, permit: Permit) -> impl Future<Output = ()> + Send {
        let handshake = Box::pin(self.handshake_until_stopped(permit));
        async move {
            let (session, handshake) = handshake.await;
            match handshake {
                Ok(joined) => session.start_serving(joined),
                Err(ending) => session.end(ending).await,
            }
        }
    }

    /// Stops the session's snapshots, settles its accounts, and returns its goodbye.
    /// Boxed, like the handshake: states a session passes through once would otherwise
    /// add to the size of the task that runs its handshake.
    fn end(mut self: Box<Self>, ending: Ending) -> Pin<Box<impl Future<Output = ()> + Send>> {
        // Being replaced wins over whatever else ended the session at the same time: its
        // actor and its token are its successor's now.
        let ending = if self.delivery.is_replaced() { Ending::Replaced } else { ending };
        self.delivery.retire();
        let permit = self.permit.take();
        self.release(&ending, permit);
        self.net.metrics.sessions.decrement(1.0);
        Box::pin(self.finish(ending))
    }

    /// Says goodbye as `ending` calls for: answers the peer's close, or closes with a
    /// code and reason; a lost peer gets nothing.
    async fn finish(mut self: Box<Self>, ending: Ending) {
        let closing = match ending {
            Ending::PeerClosed(goodbye) => {
                log_goodbye(self.id, self.peer, goodbye.as_ref());
                self.reply_to_close(goodbye.as_ref()).await;
                None
            }
            Ending::PeerLost => {
                let (session, peer) = (self.id, self.peer);
                info!(session, %peer, lost = true, "session ended by the peer");
                None
            }
            Ending::Replaced => Some((
                CloseCode::Normal,
                CloseReason::new("this session was resumed by a new connection"),
            )),
            Ending::Silent(reason) => Some((CloseCode::PolicyViolation, reason.into())),
            Ending::Close(code, reason) => Some((code, reason)),
        };
        self.net.metrics.closed(closing.as_ref().map(|(code, _)| *code));
        if let Some((code, reason)) = closing {
            log_closing((self.id, self.peer), code, &reason, &self.net.refusal_log);
            (*self).close(code, reason).await;
        }
    }

    /// A handle the resume book ends this session with, once another connection takes
    /// it over.
    fn live_handle(&self) -> Live {
        Live::new(Arc::clone(&self.delivery))
    }

    /// Checks the origin and takes a session slot.
    fn admit(&self, peer: SocketAddr, origin: Option<&str>) -> Admitted {
        if !origin_allowed(&self.net.config.allowed_origins, origin) {
            return Err((
                CloseCode::OriginNotAllowed,
                format!("pages from {} may not connect to this server", origin.unwrap_or_default()),
            ));
        }
        self.net.admission.admit(peer.ip(), Instant::now())
    }

    /// Tells the sim, the resume book and admission how the session ended: a lost
    /// connection keeps the actor for a resume (and its slot, as a ghost), a goodbye or a
    /// broken rule removes it, a replaced session has already handed its actor on.
    fn release(&self, ending: &Ending, permit: Option<Permit>) {
        let Some(room) = &self.room else { return };
        let resume = &room.resume;
        let keep_for_resume = match ending {
            Ending::Replaced => {
                // Whichever token replaced this session points at the new one now, and
                // so does this session's place in the room.
                for token in self.resume_token.iter().chain(&self.handed_over) {
                    resume.settle_handed_over(*token, self.id, None);
                }
                return;
            }
            Ending::PeerLost => true,
            Ending::Silent(_) => true,
            Ending::Close(..) => false,
            // A browser closes with 1001 (going away) when its page unloads: a reload may
            // resume. Any other goodbye is final.
            Ending::PeerClosed(Some(goodbye)) => goodbye.code == WsCloseCode::Away,
            Ending::PeerClosed(None) => false,
        };
        let grace = self.net.config.resume_grace;
        if self.joined {
            if keep_for_resume {
                room.sim.detach(self.id);
            } else {
                room.sim.leave(self.id);
            }
        }
        if self.seated {
            if keep_for_resume && self.resume_token.is_some() {
                room.seating.linger(self.id, grace);
            } else {
                room.seating.depart(self.id);
            }
        }
        if let Some(token) = self.handed_over {
            resume.settle_handed_over(token, self.id, keep_for_resume.then_some(grace));
        }
        if let Some(token) = self.resume_token {
            if keep_for_resume {
                resume.detach(token, grace, self.delivery.state.sent_tick.load(Relaxed));
                if let Some(permit) = permit {
                    permit.keep_for_resume(self.id, token, Arc::clone(room), Instant::now());
                }
            } else {
                resume.forget(token);
            }
        }
    }

    /// [`Self::handshake`], unless the session is replaced or the server shuts down first.
    /// Returns the session, which holds its permit from here on.
    async fn handshake_until_stopped(
        mut self: Box<Self>,
        permit: Permit,
    ) -> (Box<Self>, Result<(Joined, Arc<RoomLink>), Ending>) {
        let shutdown = self.net.shutdown.clone();
        let delivery = Arc::clone(&self.delivery);
        let handshake = tokio::select! {
            handshake = self.handshake(&permit) => handshake,
            () = shutdown.cancelled() => Err(Ending::shutting_down()),
            () = poll_fn(|cx| delivery.poll_replaced(cx)) => Err(Ending::Replaced),
        };
        self.permit = Some(permit);
        (self, handshake)
    }

    /// Waits for a valid `Hello`, authenticates it, finds its room, joins or resumes
    /// there, and sends `Welcome`.
    async fn handshake(&mut self, permit: &Permit) -> Result<(Joined, Arc<RoomLink>), Ending> {
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
        let identity = match self.net.authenticator.authenticate(hello.auth_token.as_deref()) {
            Ok(identity) => identity,
            Err(reason) => {
                return Err(Ending::close(
                    CloseCode::Unauthorized,
                    format!("not authorised: {reason}"),
                ));
            }
        };
        let destination = self
            .net
            .rooms
            .find(hello.seat.as_deref(), hello.room.as_deref())
            .map_err(|refusal| Ending::close(refusal.code, refusal.reason))?;
        let room = Arc::clone(&destination.room);
        self.room = Some(Arc::clone(&room));
        self.timing = hello.timing;
        let (joined, resumed_from) = self
            .take_over_or_join(&room, hello.resume_token, destination, &identity, permit)
            .await?;
        let resume_token = self.issue_resume_token(&room, identity)?;
        let was_resumed = resumed_from.is_some();
        // A resumed session replays the events its old connection missed; a new one starts now.
        self.events_after = match resumed_from {
            Some(Previous { sent_tick, .. }) if sent_tick > 0 => sent_tick,
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
            room: room.id.clone(),
            room_name: room.name.clone(),
            quiet_interval_ms: u32::try_from(self.net.config.quiet_interval().as_millis())
                .unwrap_or(u32::MAX),
        });
        self.delivery.send(&room.metrics, welcome.encode()).await?;
        let room_id = field::display(Untrusted(&room.id));
        let (session, peer, actor_id) = (self.id, self.peer, joined.actor_id);
        info!(session, %peer, actor_id, resumed = was_resumed, room = room_id, "session joined");
        Ok((joined, room))
    }

    /// Gets this session its place in `room` and its actor: an earlier session's if the
    /// client may take one over (its resume token, or its player's current session), else
    /// a new one. Returns the actor and, if it was taken over, the session it came from.
    async fn take_over_or_join(
        &mut self,
        room: &RoomLink,
        token: Option<ResumeToken>,
        destination: Destination,
        identity: &Identity,
        permit: &Permit,
    ) -> Result<(Joined, Option<Previous>), Ending> {
        let stopped = || Ending::world_gone(&room.snapshots().borrow());
        let successor = Successor { session: self.id, live: self.live_handle() };
        let redemption = room.resume.redeem(token, identity, successor);
        self.handed_over = redemption.handed_over;
        if redemption.wrong_player {
            self.net.metrics.resume_wrong_player.increment(1);
            let (session, peer) = (self.id, self.peer);
            warn!(session, %peer, ?identity, "ignored a resume token that belongs to another player");
        }
        let arrival = match (redemption.previous, destination.seat) {
            (Some(previous), seat) => Arrival::Resumed { previous: previous.session, seat },
            (None, Some(seat)) => Arrival::Seated(seat),
            (None, None) => Arrival::Unseated,
        };
        room.seating
            .arrive(self.id, arrival)
            .map_err(|refusal| Ending::close(refusal.code, refusal.reason))?;
        self.seated = true;
        if let Some(previous) = redemption.previous {
            self.net.admission.ghost_gone(previous.session);
        }
        // Before the join, so the world never holds more actors than the limits allow.
        self.evict_ghosts(permit);
        // From the first request on, the sim may hold an actor for us even if this task is
        // cancelled before the answer is read; requests and endings share one FIFO
        // channel, and ending a session without an actor is a no-op.
        self.joined = true;
        if let Some(previous) = redemption.previous {
            let resumed = room.sim.resume(previous.session, self.id).map_err(|_| stopped())?;
            if let Some(joined) = resumed.await.map_err(|_| stopped())? {
                self.net.metrics.resumes(token.is_some(), true);
                return Ok((joined, Some(previous)));
            }
        }
        self.net.metrics.resumes(token.is_some(), false);
        let joined = room.sim.join(self.id).map_err(|_| stopped())?;
        Ok((joined.await.map_err(|_| stopped())?, None))
    }

    /// A resume token for this session, owned by `identity`. If another session of the
    /// same player got through the handshake at the same time, that one is ended: a
    /// player holds one session, the newest.
    fn issue_resume_token(
        &mut self,
        room: &RoomLink,
        identity: Identity,
    ) -> Result<ResumeToken, Ending> {
        let (token, displaced) =
            room.resume.issue(self.id, self.live_handle(), identity).map_err(|_| {
                Ending::close(CloseCode::InternalError, "the server could not make a resume token")
            })?;
        self.resume_token = Some(token);
        if let Some(displaced) = displaced {
            if let Some(live) = displaced.live {
                live.replace();
            }
            self.net.admission.ghost_gone(displaced.session);
            room.sim.leave(displaced.session);
            // A displaced live session ends as replaced, which leaves its place alone.
            room.seating.depart(displaced.session);
            let (session, displaced_session) = (self.id, displaced.session);
            info!(session, displaced_session, "the player's other session was closed");
        }
        Ok(token)
    }

    /// Removes the actors of dropped sessions that this session needs the slot of (see
    /// `Admission::make_room`): their tokens are void and the sim removes them before it
    /// handles this session's join (one FIFO channel).
    fn evict_ghosts(&self, permit: &Permit) {
        for ghost in permit.make_room(Instant::now()) {
            ghost.room.resume.forget(ghost.token);
            ghost.room.sim.leave(ghost.session);
            ghost.room.seating.depart(ghost.session);
            self.net.metrics.sessions_evicted.increment(1);
            let (session, address) = (ghost.session, ghost.address);
            let what = "evicted a dropped session's actor to make room for a new session";
            match self.net.eviction_log.admit(Instant::now()) {
                Some(left_out) => {
                    info!(session = self.id, evicted_session = session, %address, left_out, "{what}");
                }
                None => debug!(evicted_session = session, %address, "{what}"),
            }
        }
    }

    /// Starts serving the snapshots of the room the handshake joined: the writer, and a
    /// place in the room's fan-out, which polls the session from now on.
    fn start_serving(self: Box<Self>, (joined, room): (Joined, Arc<RoomLink>)) {
        debug!(actor_id = joined.actor_id, "serving");
        let delivery = Arc::clone(&self.delivery);
        // From here on, silence is timed by the session's own timer (see `TaskWriting`).
        delivery.state.heard.now();
        let writer =
            SnapshotWriter::new(Arc::clone(&room), &joined, self.events_after).timing(self.timing);
        delivery.serve_with(writer);
        let shard = ShardContext {
            frames: room.snapshots.clone(),
            tasks: self.net.sessions.clone(),
            shutdown: self.net.shutdown.clone(),
        };
        let fanout = Arc::clone(&room.fanout);
        fanout.join(delivery, Serving::new(self, joined.actor, room), shard);
    }

    /// Answers the peer's close frame, as the closing handshake asks, and half-closes.
    /// A goodbye with an invalid close code (tungstenite has replaced it with 1002) is
    /// answered 1002, as RFC 6455 section 7.4 asks; any other with 1000. Bounded by
    /// `close_timeout`.
    async fn reply_to_close(&mut self, goodbye: Option<&CloseFrame>) {
        let (code, reason) = match goodbye {
            Some(frame) if frame.code == WsCloseCode::Protocol => {
                (CloseCode::ProtocolError, CloseReason::new("protocol error or invalid close code"))
            }
            _ => (CloseCode::Normal, CloseReason::default()),
        };
        let reply = async {
            if self.delivery.close(code.as_u16(), reason.as_str()).await.is_ok() {
                self.delivery.shutdown();
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
    /// `close_timeout` and by `LINGER_DISCARD_BYTES`.
    async fn close(self, code: CloseCode, reason: CloseReason) {
        let Self { net, delivery, mut stream, .. } = self;
        let disconnect = ServerMessage::Disconnect(Disconnect {
            code: code.as_u16(),
            reason: reason.as_str().to_owned(),
        });
        let lingering_close = async {
            delivery.queue(&net.metrics, disconnect.encode());
            if delivery.close(code.as_u16(), reason.as_str()).await.is_err() {
                debug!("peer gone before the close was sent");
            }
            while let Some(Ok(message)) = stream.next().await {
                if message.is_close() {
                    break;
                }
            }
            delivery.shutdown();
            let mut discard = vec![0u8; 4096];
            let mut discard_left = LINGER_DISCARD_BYTES;
            while discard_left > 0 {
                match stream.get_mut().socket().read(&mut discard).await {
                    Ok(read) if read > 0 => discard_left = discard_left.saturating_sub(read),
                    _ => break,
                }
            }
        };
        if timeout(net.config.close_timeout, lingering_close).await.is_err() {
            debug!("peer did not finish the close in time");
        }
    }
}

/// Logs the peer's goodbye to `session`; its code and reason are the peer's words.
fn log_goodbye(session: SessionId, peer: SocketAddr, goodbye: Option<&CloseFrame>) {
    let code = goodbye.map(|frame| u16::from(frame.code));
    let reason = goodbye.map(|frame| field::display(Untrusted(frame.reason.as_str())));
    info!(session, %peer, lost = false, code, reason, "session ended by the peer");
}

/// Logs why the server closes `session` (of `peer`): the reason the peer is told, and
/// the detail only the log gets. Refusals are warnings, thinned by `refusal_log` (the
/// rest go to debug); ordinary closes are info.
fn log_closing(
    (session, peer): (SessionId, SocketAddr),
    code: CloseCode,
    reason: &CloseReason,
    refusal_log: &LogThrottle,
) {
    let detail = reason.detail().map(|detail| field::display(Untrusted(detail)));
    let (code, reason) = (code.as_u16(), Untrusted(reason.as_str()));
    if matches!(code, 1000 | 1001) {
        info!(session, %peer, code, %reason, detail, "closing session");
    } else if let Some(left_out) = refusal_log.admit(Instant::now()) {
        warn!(session, %peer, code, %reason, detail, left_out, "closing session");
    } else {
        debug!(session, %peer, code, %reason, detail, "closing session");
    }
}

/// The most a closing session reads and discards after its close frame. An honest peer
/// has little in flight by then (the rest of a refused message, a last input); a peer
/// that keeps sending is flooding, and costs the server no more than this.
const LINGER_DISCARD_BYTES: usize = 64 * 1024;

#[cfg(test)]
mod tests {
    use super::*;

    /// The size of the future `f` returns, without calling it.
    fn future_size<A, B, F>(_: fn(A, B) -> F) -> usize {
        std::mem::size_of::<F>()
    }

    #[test]
    fn a_serving_session_holds_little_more_than_its_state() {
        // Every live connection holds this for its whole life, in a node of its shard's
        // `FuturesUnordered` (64 bytes more). Until it served from its shard, the session
        // had a task of its own: a 384-byte future in a 128-byte aligned task cell of 512.
        // 192 bytes in the workspace's build, as in the server's: the session (boxed), its
        // actor and room, its own writing (56) and that writing's timer (a `Sleep`, 112
        // with the multi-threaded runtime; 176 and 96 in this crate's build alone). Up to
        // 200, the node is a 272-byte chunk.
        let size = std::mem::size_of::<Serving>();
        assert!(size <= 192, "a serving session should stay small: {size} bytes");
    }

    #[test]
    fn a_session_task_holds_little_more_than_its_handshake() {
        // The upgrade, the handshake and the goodbye are boxed while they run; the task's
        // own future holds their boxes and what one hands the next. 160 bytes in the
        // workspace's test build.
        let size = future_size(run);
        assert!(size <= 200, "a session's task should stay small: {size} bytes");
    }
}
