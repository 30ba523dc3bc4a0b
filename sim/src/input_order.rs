//! [`InputOrder`]: a tick's inputs in the order their actors' entities sit in the world,
//! not in the order they arrived.
//!
//! Applying an input reads its entity's location and its `Player` component. In arrival
//! order those reads jump about the world: `perf` of the sim thread with 1,000 playing
//! bots among 10,000 actors put nearly all of applying them in two cache misses per
//! input. In entity order both walks go forward through memory, which the CPU prefetches.
//! A session's own inputs keep their arrival order (ties are broken by arrival), so its
//! newest input still wins; inputs that name no actor come first, in arrival order.

use crate::command::SimCommand;

/// Sorts a tick's inputs by entity, keeping its buffers from tick to tick.
#[derive(Debug, Default)]
pub(crate) struct InputOrder {
    /// Each input's entity index and arrival, sorted.
    keys: Vec<(u32, usize)>,
    /// The inputs in arrival order, each taken once, as the keys say.
    inputs: Vec<Option<SimCommand>>,
}

impl InputOrder {
    /// `inputs` in entity order (arrival order within an entity). Inputs the caller did
    /// not take from the last call come again, before these as they arrived before them.
    pub(crate) fn sorted(
        &mut self,
        inputs: impl Iterator<Item = SimCommand>,
    ) -> impl Iterator<Item = SimCommand> + '_ {
        self.inputs.retain(Option::is_some);
        self.inputs.extend(inputs.map(Some));
        self.keys.clear();
        self.let_go_of_a_burst();
        let keys = self.inputs.iter().enumerate().map(|(arrival, input)| (entity(input), arrival));
        self.keys.extend(keys);
        self.keys.sort_unstable();
        let Self { keys, inputs } = self;
        keys.iter().filter_map(|&(_, arrival)| inputs.get_mut(arrival).and_then(Option::take))
    }

    /// Gives back what a burst of inputs grew the buffers to, once ticks carry far fewer:
    /// a room that emptied and parked would otherwise keep them for as long as it exists.
    fn let_go_of_a_burst(&mut self) {
        let wanted = self.inputs.len().max(KEPT_AT_LEAST);
        if self.inputs.capacity() > 2 * wanted {
            self.inputs.shrink_to(wanted);
            self.keys.shrink_to(wanted);
        }
    }
}

/// The inputs the buffers keep room for however few arrive.
const KEPT_AT_LEAST: usize = 64;

/// The index of the entity an input names (0 if none).
fn entity(input: &Option<SimCommand>) -> u32 {
    match input {
        Some(SimCommand::Input { actor: Some(actor), .. }) => actor.index_u32(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use bevy_ecs::entity::Entity;
    use bevy_ecs::world::World;
    use glam::Vec2;
    use proptest::prelude::*;
    use tickwire_protocol::Input;

    use super::*;

    /// An input of `session` naming `actor`, numbered `sequence`.
    fn input(session: u64, actor: Option<Entity>, sequence: u32) -> SimCommand {
        let input = Input { sequence, direction: Vec2::ZERO, ack_tick: 0 };
        SimCommand::Input { session, actor, input }
    }

    /// (session, sequence) of each input, in the order given.
    fn order(inputs: impl Iterator<Item = SimCommand>) -> Vec<(u64, u32)> {
        inputs
            .map(|command| match command {
                SimCommand::Input { session, input, .. } => (session, input.sequence),
                other => panic!("not an input: {other:?}"),
            })
            .collect()
    }

    #[test]
    fn a_burst_of_inputs_does_not_keep_its_buffers_once_ticks_are_quiet() {
        let mut sorter = InputOrder::default();
        let burst = (0..10_000).map(|sequence| input(1, None, sequence));
        assert_eq!(sorter.sorted(burst).count(), 10_000);
        assert!(sorter.inputs.capacity() >= 10_000);
        assert_eq!(sorter.sorted(std::iter::empty()).count(), 0);
        assert!(
            sorter.inputs.capacity() <= 2 * KEPT_AT_LEAST
                && sorter.keys.capacity() <= 2 * KEPT_AT_LEAST,
            "a quiet tick should let the burst's buffers go: {} and {}",
            sorter.inputs.capacity(),
            sorter.keys.capacity()
        );
    }

    proptest! {
        #[test]
        fn inputs_come_out_by_entity_each_entitys_in_arrival_order(
            arrivals in prop::collection::vec((0usize..6, any::<bool>()), 0..60),
        ) {
            let mut world = World::new();
            // Spawned in an order that differs from the sessions' numbering.
            let entities: Vec<Entity> = (0..6).map(|_| world.spawn_empty().id()).rev().collect();
            let inputs = || {
                arrivals.iter().enumerate().map(|(sequence, &(session, named))| {
                    let actor = named.then(|| entities[session]);
                    input(session as u64, actor, sequence as u32)
                })
            };
            let mut expected: Vec<(u32, usize, (u64, u32))> = arrivals
                .iter()
                .enumerate()
                .map(|(sequence, &(session, named))| {
                    let index = if named { entities[session].index_u32() } else { 0 };
                    (index, sequence, (session as u64, sequence as u32))
                })
                .collect();
            expected.sort_by_key(|&(index, arrival, _)| (index, arrival));
            let expected: Vec<(u64, u32)> = expected.into_iter().map(|(.., id)| id).collect();
            let mut sorter = InputOrder::default();
            prop_assert_eq!(order(sorter.sorted(inputs())), expected.clone());
            // And again with the buffers kept from the first tick.
            prop_assert_eq!(order(sorter.sorted(inputs())), expected);
        }

        #[test]
        fn inputs_a_caller_left_come_again_first_with_the_next(
            sessions in prop::collection::vec(0u64..4, 0..30),
            taken in 0usize..30,
        ) {
            // No actors named: the order is the arrival order, across both calls.
            let inputs = |from: u32| {
                sessions.iter().zip(from..).map(|(&session, sequence)| input(session, None, sequence))
            };
            let mut sorter = InputOrder::default();
            let first = order(sorter.sorted(inputs(0)).take(taken));
            let second = order(sorter.sorted(inputs(100)));
            let all: Vec<(u64, u32)> = order(inputs(0).chain(inputs(100)));
            let taken = taken.min(sessions.len());
            prop_assert_eq!(&first[..], &all[..taken]);
            prop_assert_eq!(&second[..], &all[taken..]);
        }
    }
}
