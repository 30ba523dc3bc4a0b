//! A serving session: its reading, its own writing and its timer, polled by its room's
//! fan-out shard rather than by a task of its own.
//!
//! A tokio task per connection costs its cell for the connection's whole life: 512
//! bytes, 128-byte aligned, for a 384-byte future, most of which an idle session spends
//! waiting. A shard already writes its sessions' frames (see `fanout`); it also polls
//! their serving state here, through a `FuturesUnordered` whose node per session is that
//! session's waker too. A woken session is polled alone, as its own task would have
//! been. What a session passes through once, the handshake and the goodbye, runs in a
//! task of its own (see `Session::live_admitted` and [`Goodbye`]).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::task::{Context, Poll, ready};

use bevy_ecs::entity::Entity;
use pin_project_lite::pin_project;
use tokio::time::{Instant, Sleep, sleep_until};
use tracing::{Instrument, Span, debug};

use super::reader::Reader;
use super::task_writing::TaskWriting;
use super::wire::ending_after_failed_write;
use super::{Ending, Session};
use crate::room::RoomLink;

pin_project! {
    /// A session serving its room's snapshots, until it must end. Ready with its
    /// [`Goodbye`], to run as a task of its own.
    ///
    /// It holds the session (taken once it has ended), the session's actor (which its
    /// inputs name), its room, its own writing and that writing's one timer.
    pub(crate) struct Serving {
        session: Option<Box<Session>>,
        actor: Entity,
        room: Arc<RoomLink>,
        writing: TaskWriting,
        #[pin]
        timer: Sleep,
    }
}

impl Serving {
    /// `session`, with its actor `actor`, serving `room`.
    /// The session's span, entered while it is polled, is kept only while debug logging
    /// is on (see `session::run`).
    pub(super) fn new(mut session: Box<Session>, actor: Entity, room: Arc<RoomLink>) -> Self {
        let span = Span::current();
        session.span = (!span.is_disabled()).then(|| Box::new(span));
        let writing = TaskWriting::new(&session.net.config);
        Self { session: Some(session), actor, room, writing, timer: sleep_until(Instant::now()) }
    }
}

impl Future for Serving {
    type Output = Goodbye;

    /// Reads what the client sent and writes what is due; `Ready` once the session must
    /// end. Polled again after that, it stays `Pending`.
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Goodbye> {
        let this = self.project();
        let Some(session) = this.session.as_deref_mut() else { return Poll::Pending };
        let ended =
            ready!(poll_serving(session, *this.actor, this.room, this.writing, this.timer, cx));
        let Some(session) = this.session.take() else { return Poll::Pending };
        Poll::Ready(goodbye(session, ended))
    }
}

/// One poll of a serving session: its being stopped, its reader and its own writing,
/// side by side. Whichever side ends first ends the session.
fn poll_serving(
    session: &mut Session,
    actor: Entity,
    room: &Arc<RoomLink>,
    writing: &mut TaskWriting,
    timer: Pin<&mut Sleep>,
    cx: &mut Context<'_>,
) -> Poll<Ended> {
    let Session { net, delivery, stream, handed_over, span, .. } = session;
    let _entered = span.as_deref().map(Span::enter);
    // Before reading more: a replaced session's inputs are its successor's to send.
    if let Some(ending) = delivery.stopped() {
        return Poll::Ready(Ended::Stopped(ending));
    }
    let mut reader = Reader { net, actor, room, delivery, stream, handed_over };
    if let Poll::Ready(ending) = reader.poll(cx) {
        return Poll::Ready(Ended::Read(ending));
    }
    writing.poll(cx, (delivery, room), timer).map(Ended::Written)
}

/// A session's goodbye once it stopped serving: its accounts and its close, run as a
/// task of its own.
pub(crate) type Goodbye = Pin<Box<dyn Future<Output = ()> + Send>>;

/// The goodbye of `session`, which stopped serving as `ended`, in its span if it has one.
fn goodbye(mut session: Box<Session>, ended: Ended) -> Goodbye {
    let span = session.span.take();
    let ending = async move {
        let ending = match ended.ending() {
            Some(ending) => ending,
            None => {
                let net = Arc::clone(&session.net);
                ending_after_failed_write(&mut session.stream, &net.metrics).await
            }
        };
        let state = &session.delivery.state;
        if state.throttled.load(Relaxed) {
            session.net.metrics.sessions_throttled.decrement(1.0);
        }
        debug!(
            sent_tick = state.sent_tick.load(Relaxed),
            acked_tick = state.acked_tick.load(Relaxed),
            bogus_acks = state.bogus_acks.load(Relaxed),
            dropped_inputs = state.dropped_inputs.load(Relaxed),
            "session stats"
        );
        session.end(ending).await;
    };
    match span {
        None => Box::pin(ending),
        Some(span) => Box::pin(ending.instrument(*span)),
    }
}

/// What ended a serving session.
enum Ended {
    /// The session was replaced, or the server is shutting down.
    Stopped(Ending),
    Read(Ending),
    Written(Ending),
}

impl Ended {
    /// How the session ends; `None` if a write found the peer gone, and the peer's
    /// unread messages must say whether it said goodbye first.
    fn ending(self) -> Option<Ending> {
        match self {
            Self::Written(Ending::PeerLost) => None,
            Self::Stopped(ending) | Self::Read(ending) | Self::Written(ending) => Some(ending),
        }
    }
}
