//! A serving session's reading: every message its client sends, taken as it arrives.
//!
//! Polled by hand from the session's one loop (see `Session::serve`), beside the task's
//! writing: a congested socket never stops inputs from being read, and a flood of inputs
//! never delays a snapshot. Handling a message never waits (an input goes to the sim's
//! bounded queue or is dropped), so the reader holds no future of its own.

use std::sync::atomic::Ordering::Relaxed;
use std::task::{Context, Poll, ready};

use bevy_ecs::entity::Entity;
use tickwire_protocol::{ClientMessage, CloseCode, ResumeToken};
use tickwire_sim::SendRefused;
use tracing::debug;

use super::message_stream::MessageStream;
use super::wire::poll_next_message;
use super::{Delivery, Ending, Reading};
use crate::endpoint::Inner;
use crate::room::RoomLink;

/// What a serving session's reading needs.
pub(super) struct Reader<'a> {
    pub(super) net: &'a Inner,
    /// The session's actor, which its inputs name.
    pub(super) actor: Entity,
    pub(super) room: &'a RoomLink,
    pub(super) delivery: &'a Delivery,
    /// What the client sends.
    pub(super) stream: &'a mut MessageStream<Reading>,
    /// The token the client presented, until it is heard from on this session.
    pub(super) handed_over: &'a mut Option<ResumeToken>,
}

impl Reader<'_> {
    /// Takes every whole message the stream holds; `Ready` with the session's ending.
    pub(super) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Ending> {
        loop {
            let message = ready!(poll_next_message(self.stream, &self.net.metrics, cx));
            if let Err(ending) = self.take(message) {
                return Poll::Ready(ending);
            }
        }
    }

    /// Acts on one message (or the ending the read found).
    fn take(&mut self, message: Result<ClientMessage, Ending>) -> Result<(), Ending> {
        let (net, room, state) = (self.net, self.room, &self.delivery.state);
        state.heard.now();
        if message.is_ok()
            && let Some(token) = self.handed_over.take()
        {
            // The client read this session's Welcome: its old token is used up.
            room.resume.settle_handed_over(token, self.delivery.id(), None);
        }
        match message? {
            ClientMessage::Input(input) => {
                if !state.acknowledge(input.ack_tick) {
                    net.metrics.acks_rejected.increment(1);
                }
                match room.sim.input(self.delivery.id(), self.actor, input) {
                    Ok(()) => {}
                    Err(SendRefused::Full) => {
                        net.metrics.inputs_dropped.increment(1);
                        let dropped = state.dropped_inputs.fetch_add(1, Relaxed) + 1;
                        debug!(dropped, "input queue full; input dropped");
                    }
                    Err(SendRefused::Stopped) => {
                        return Err(Ending::world_gone(&room.snapshots().borrow()));
                    }
                }
            }
            ClientMessage::Pong(pong) => {
                if let Some(rtt) = state.ping.answered(pong.nonce) {
                    net.metrics.rtt.record(rtt.as_secs_f64());
                }
            }
            ClientMessage::FullSnapshotRequest => {
                state.full_requested.store(true, Relaxed);
                self.delivery.request_made();
            }
            ClientMessage::SnapshotRateRequest { max_per_second } => {
                state.client_cap.store(max_per_second, Relaxed);
                self.delivery.request_made();
            }
            ClientMessage::Hello(_) => {
                return Err(Ending::close(CloseCode::ProtocolError, "Hello sent twice"));
            }
        }
        Ok(())
    }
}
