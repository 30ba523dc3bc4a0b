//! Commands from the network side into the sim, and the channels that carry them.
//!
//! Two channels, because they need different guarantees:
//! - **control** (join, leave) is unbounded: each session sends exactly one join and one
//!   leave, so its size is bounded by the session limit, and a lost leave would leak an
//!   actor.
//! - **inputs** is bounded: sessions fill it without waiting and drop (and count) an input
//!   when it is full, so a flood can never grow memory or block a network thread. The bound
//!   is a shared count of queued inputs over an unbounded channel, so a room nobody plays
//!   in holds no queue (a bounded channel allocates every slot up front). The sim drains
//!   both with `try_recv` at the start of every tick and never blocks.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bevy_ecs::entity::Entity;
use crossbeam_channel::{Receiver, Sender};
use glam::Vec2;
use tickwire_protocol::{Input, Settings, SettingsPatch};
use tokio::sync::oneshot;

use crate::input_order::InputOrder;

/// Identifies a network session; chosen by the network side.
pub type SessionId = u64;

/// A command for the sim, applied at the start of the next tick.
#[derive(Debug)]
pub enum SimCommand {
    /// Spawn an actor for a new session and answer with [`Joined`].
    /// If the session is gone by the time the answer is sent, the actor is removed again.
    Join {
        /// The new session.
        session: SessionId,
        /// Where the answer goes.
        reply: oneshot::Sender<Joined>,
    },
    /// The session ended for good (the client said goodbye, or broke the rules): remove
    /// its actor now.
    Leave {
        /// The session that ended.
        session: SessionId,
    },
    /// The session's connection dropped: stop its actor and keep it for the grace window,
    /// then remove it unless a `Resume` claims it first.
    Detach {
        /// The session whose connection dropped.
        session: SessionId,
    },
    /// A new session takes over an earlier session's actor. Answers `None` if that actor
    /// is gone (its grace window ran out).
    Resume {
        /// The earlier session.
        previous: SessionId,
        /// The new session.
        session: SessionId,
        /// Where the answer goes.
        reply: oneshot::Sender<Option<Joined>>,
    },
    /// Change some settings from the next tick on, on top of whatever is in force then.
    UpdateSettings {
        /// The fields to change.
        patch: SettingsPatch,
        /// Why, for the log (for example "admin API").
        reason: String,
    },
    /// A player's input for its own actor.
    Input {
        /// The session it came from (it only ever moves that session's actor).
        session: SessionId,
        /// The session's actor as its [`Joined`] named it, if known: the sim then reads
        /// the actor straight away instead of looking the session up. Checked against the
        /// session; if gameplay gave the session another actor since, the lookup decides.
        actor: Option<Entity>,
        /// The decoded, finite input.
        input: Input,
    },
}

/// The sim's answer to a [`SimCommand::Join`].
#[derive(Debug, Clone, PartialEq)]
pub struct Joined {
    /// Names of the game's replicated per-actor fields, by slot.
    pub field_names: Vec<String>,
    /// Names of the game's event kinds.
    pub event_names: Vec<String>,
    /// Network id of the session's actor.
    pub actor_id: u32,
    /// The session's actor: inputs name it ([`SimSender::input`]) to spare the sim a lookup.
    pub actor: Entity,
    /// The last tick simulated before the actor was spawned: snapshots after this tick
    /// include it.
    pub tick: u32,
    /// The settings in force.
    pub settings: Settings,
    /// Arena size in world units.
    pub arena_size: Vec2,
}

/// The network side's end of the sim's channels. Cheap to clone: one per session.
#[derive(Debug, Clone)]
pub struct SimSender {
    control: Sender<SimCommand>,
    inputs: Sender<SimCommand>,
    /// Inputs queued and not drained yet (shared with the inbox), at most `input_capacity`.
    queued: Arc<AtomicUsize>,
    input_capacity: usize,
}

/// Why a command did not reach the sim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendRefused {
    /// The input queue is full; the input was dropped.
    Full,
    /// The sim has stopped.
    Stopped,
}

impl SimSender {
    /// Asks the sim to spawn an actor for `session`.
    ///
    /// # Errors
    /// [`SendRefused::Stopped`] if the sim thread has ended.
    pub fn join(&self, session: SessionId) -> Result<oneshot::Receiver<Joined>, SendRefused> {
        let (reply, answer) = oneshot::channel();
        self.control.send(SimCommand::Join { session, reply }).map_err(|_| SendRefused::Stopped)?;
        Ok(answer)
    }

    /// Tells the sim the session ended for good. Ignored if the sim has already stopped.
    pub fn leave(&self, session: SessionId) {
        // A stopped sim has no actor left to remove.
        let _ = self.control.send(SimCommand::Leave { session });
    }

    /// Tells the sim the session's connection dropped; its actor waits for a resume.
    pub fn detach(&self, session: SessionId) {
        // A stopped sim has no actor left to keep.
        let _ = self.control.send(SimCommand::Detach { session });
    }

    /// Asks the sim to give `previous`'s actor to `session`.
    ///
    /// # Errors
    /// [`SendRefused::Stopped`] if the sim thread has ended.
    pub fn resume(
        &self,
        previous: SessionId,
        session: SessionId,
    ) -> Result<oneshot::Receiver<Option<Joined>>, SendRefused> {
        let (reply, answer) = oneshot::channel();
        self.control
            .send(SimCommand::Resume { previous, session, reply })
            .map_err(|_| SendRefused::Stopped)?;
        Ok(answer)
    }

    /// Asks the sim to apply `patch` at the next tick. An invalid result is refused there
    /// (and logged); validate against the current settings first to report errors.
    ///
    /// # Errors
    /// [`SendRefused::Stopped`] if the sim thread has ended.
    pub fn update_settings(
        &self,
        patch: SettingsPatch,
        reason: impl Into<String>,
    ) -> Result<(), SendRefused> {
        let command = SimCommand::UpdateSettings { patch, reason: reason.into() };
        self.control.send(command).map_err(|_| SendRefused::Stopped)
    }

    /// Queues an input of `session`, whose actor its [`Joined`] named `actor`, without
    /// blocking.
    ///
    /// # Errors
    /// [`SendRefused::Full`] when the queue is full (the input is dropped),
    /// [`SendRefused::Stopped`] if the sim has ended.
    pub fn input(
        &self,
        session: SessionId,
        actor: Entity,
        input: Input,
    ) -> Result<(), SendRefused> {
        self.queued
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |queued| {
                (queued < self.input_capacity).then_some(queued + 1)
            })
            .map_err(|_| SendRefused::Full)?;
        self.inputs.send(SimCommand::Input { session, actor: Some(actor), input }).map_err(|_| {
            self.queued.fetch_sub(1, Ordering::AcqRel);
            SendRefused::Stopped
        })
    }
}

/// The sim's end of its channels.
#[derive(Debug)]
pub struct SimInbox {
    control: Receiver<SimCommand>,
    inputs: Receiver<SimCommand>,
    queued: Arc<AtomicUsize>,
    input_order: InputOrder,
}

impl SimInbox {
    /// Everything queued right now, without blocking: control first (so a join is in
    /// place before its session's inputs), then the inputs in the order their actors sit
    /// in the world, each session's in the order they arrived (see `input_order`). The
    /// inputs are taken off their channel at the call; any not consumed come first next
    /// time, and count against the queue's capacity until they are.
    pub fn drain(&mut self) -> impl Iterator<Item = SimCommand> + '_ {
        let Self { control, inputs, queued, input_order } = self;
        let inputs = input_order.sorted(inputs.try_iter()).inspect(|_| {
            queued.fetch_sub(1, Ordering::AcqRel);
        });
        control.try_iter().chain(inputs)
    }
}

/// Creates the sim's channels; `input_capacity` bounds the queued inputs of all sessions.
pub fn sim_channels(input_capacity: usize) -> (SimSender, SimInbox) {
    let (control_tx, control_rx) = crossbeam_channel::unbounded();
    let (inputs_tx, inputs_rx) = crossbeam_channel::unbounded();
    let queued = Arc::new(AtomicUsize::new(0));
    (
        SimSender {
            control: control_tx,
            inputs: inputs_tx,
            queued: Arc::clone(&queued),
            input_capacity,
        },
        SimInbox {
            control: control_rx,
            inputs: inputs_rx,
            queued,
            input_order: InputOrder::default(),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_input_queue_refuses_inputs_beyond_its_capacity_until_drained() {
        let (sender, mut inbox) = sim_channels(2);
        let input = Input { sequence: 1, direction: Vec2::ZERO, ack_tick: 0 };
        assert_eq!(sender.input(1, Entity::PLACEHOLDER, input), Ok(()));
        assert_eq!(sender.input(1, Entity::PLACEHOLDER, input), Ok(()));
        assert_eq!(
            sender.input(1, Entity::PLACEHOLDER, input),
            Err(SendRefused::Full),
            "a full queue should refuse"
        );
        sender.leave(1);
        assert_eq!(inbox.drain().count(), 3, "control first, then both inputs");
        assert_eq!(
            sender.input(1, Entity::PLACEHOLDER, input),
            Ok(()),
            "a drained queue should take inputs again"
        );
        drop(inbox);
        assert_eq!(sender.input(1, Entity::PLACEHOLDER, input), Err(SendRefused::Stopped));
    }

    #[test]
    fn inputs_a_drain_left_unconsumed_still_count_against_the_capacity() {
        let (sender, mut inbox) = sim_channels(2);
        let input = Input { sequence: 1, direction: Vec2::ZERO, ack_tick: 0 };
        assert_eq!(sender.input(1, Entity::PLACEHOLDER, input), Ok(()));
        assert_eq!(sender.input(1, Entity::PLACEHOLDER, input), Ok(()));
        assert_eq!(inbox.drain().take(1).count(), 1, "one input consumed, one left over");
        assert_eq!(sender.input(1, Entity::PLACEHOLDER, input), Ok(()), "room for one again");
        assert_eq!(
            sender.input(1, Entity::PLACEHOLDER, input),
            Err(SendRefused::Full),
            "the one left over holds its place: memory stays bounded by the capacity"
        );
        assert_eq!(inbox.drain().count(), 2, "the one left over, then the new one");
    }
}
