//! [`FrameBuilder`]: builds each frame without sorting the world again.
//!
//! A frame's rows are sorted by network id, but the actor query yields actors in storage
//! order. Sorting every actor's row by id on every frame was most of a frame build. The
//! layout (which ids, in which order) changes only when actors are spawned or despawned
//! or move between archetypes, so the builder keeps it between frames:
//!
//! 1. It reads the network ids in query order and compares them with the previous frame's.
//!    Only if they differ does it work out the layout again: a counting sort of the ids,
//!    which are small and dense (a comparison sort should a game make them sparse).
//! 2. It lays the kept layout out in a frame and copies each actor's quantised state
//!    straight into its row. The frame is one that left the ring and that nobody holds any
//!    more, when the runner hands one back ([`FrameBuilder::recycle`]): a fresh frame
//!    means seven column allocations and zeroing them, a sixth of the build at 10,000
//!    actors (`cargo bench -p tickwire-sim --bench step -- frame_build`).
//!
//! The result is exactly what sorting the rows would give, duplicates included: of rows
//! sharing an id, the first in query order is kept ([`WorldSnapshot::from_rows`]).

use tickwire_protocol::{ActorRow, FIELD_SLOTS};

use crate::WorldSnapshot;
use crate::components::{Fields, Kind, NetId, Position, Velocity};

/// An actor's replicated state, quantised.
pub(crate) fn actor_row(
    steps_per_unit: u16,
    id: &NetId,
    position: &Position,
    velocity: &Velocity,
    kind: &Kind,
    fields: Option<&Fields>,
) -> ActorRow {
    ActorRow {
        fields: fields.map_or([0; FIELD_SLOTS], |fields| fields.0),
        ..ActorRow::quantise(id.0, position.0, velocity.0, kind.0, steps_per_unit)
    }
}

/// Marks a query position whose id repeats an earlier one: its row is not in the frame.
const DROPPED: u32 = u32::MAX;

/// The layout of the previous frame, kept to build the next one.
#[derive(Debug, Default)]
pub(crate) struct FrameBuilder {
    /// Network ids in the order the actor query yielded them last time.
    order: Vec<u32>,
    /// For each query position, the frame row its state goes to (or [`DROPPED`]).
    rows: Vec<u32>,
    /// The frame's ids, ascending.
    layout: Vec<u32>,
    /// A frame handed back, whose columns the next frame is written into.
    spare: Option<WorldSnapshot>,
}

impl FrameBuilder {
    /// The frame of `tick`: `ids` and `actors` are the same actors in the same (query)
    /// order, `ids` read first; the ids of `actors` are not read again.
    pub(crate) fn build(
        &mut self,
        tick: u32,
        steps_per_unit: u16,
        ids: impl Iterator<Item = u32>,
        actors: impl Iterator<Item = ActorRow>,
    ) -> WorldSnapshot {
        if self.read_order(ids) {
            self.lay_out();
        }
        let mut frame = self.spare.take().unwrap_or_default();
        frame.lay_out(tick, steps_per_unit, &self.layout);
        // Every row is written: each id's first position in the query points at its row.
        for (actor, &row) in actors.zip(&self.rows) {
            if row != DROPPED {
                frame.set_state(row as usize, &actor);
            }
        }
        frame
    }

    /// Takes back a frame nobody holds any more: the next frame is written into it.
    pub(crate) fn recycle(&mut self, frame: WorldSnapshot) {
        self.spare = Some(frame);
    }

    /// Reads the ids into `order`; returns whether they differ from the previous ones.
    fn read_order(&mut self, ids: impl Iterator<Item = u32>) -> bool {
        let mut changed = false;
        let mut position = 0;
        for id in ids {
            if !changed && self.order.get(position) != Some(&id) {
                changed = true;
                self.order.truncate(position);
            }
            if changed {
                self.order.push(id);
            }
            position += 1;
        }
        changed |= position != self.order.len();
        self.order.truncate(position);
        changed
    }

    /// Works out the frame rows of `order`: ids ascending, and of equal ids the first.
    fn lay_out(&mut self) {
        let firsts = first_occurrences(&self.order);
        self.rows.clear();
        self.rows.resize(self.order.len(), DROPPED);
        self.layout.clear();
        for (row, (id, at)) in (0..).zip(firsts) {
            self.rows[at as usize] = row;
            self.layout.push(id);
        }
    }
}

/// Ids up to this many times the number of actors (plus [`DENSE_SLACK`]) are sorted by
/// counting; beyond, by comparison.
const DENSE_PER_ACTOR: usize = 4;
/// See [`DENSE_PER_ACTOR`].
const DENSE_SLACK: usize = 4096;

/// Each distinct id of `order` with the position of its first occurrence, ids ascending.
fn first_occurrences(order: &[u32]) -> Vec<(u32, u32)> {
    let bound = order.iter().max().map_or(0, |&max| max as usize + 1);
    if bound > DENSE_PER_ACTOR * order.len() + DENSE_SLACK {
        let mut keyed: Vec<(u32, u32)> = (0..).zip(order).map(|(at, &id)| (id, at)).collect();
        keyed.sort_unstable();
        keyed.dedup_by_key(|(id, _)| *id);
        return keyed;
    }
    // Ids are small and dense, as `NetIds` hands them out: a counting sort, linear where
    // sorting (id, position) pairs was most of a frame built after spawns or despawns.
    let mut first_at = vec![DROPPED; bound];
    for (at, &id) in (0..).zip(order) {
        let first = &mut first_at[id as usize];
        if *first == DROPPED {
            *first = at;
        }
    }
    (0..).zip(first_at).filter(|&(_, at)| at != DROPPED).collect()
}

#[cfg(test)]
mod tests {
    use bevy_ecs::prelude::*;
    use glam::Vec2;
    use proptest::prelude::*;
    use tickwire_protocol::ActorKind;

    use super::*;
    use crate::components::{Wander, actor};
    use crate::resources::NetIds;
    use crate::{SimConfig, Simulation};

    fn row(id: u32, x: i32) -> ActorRow {
        ActorRow { x, ..ActorRow::quantise(id, Vec2::ZERO, Vec2::ZERO, ActorKind::Player, 1) }
    }

    fn build(builder: &mut FrameBuilder, tick: u32, rows: &[ActorRow]) -> WorldSnapshot {
        let ids = rows.iter().map(|row| row.id);
        builder.build(tick, 8, ids, rows.iter().copied())
    }

    #[test]
    fn keeps_the_first_of_equal_ids_like_a_sort() {
        let mut builder = FrameBuilder::default();
        let frames = [
            vec![row(5, 1), row(2, 2), row(5, 3), row(9, 4)],
            vec![row(5, 10), row(2, 20), row(5, 30), row(9, 40)],
            vec![row(9, 4), row(5, 3), row(2, 2), row(5, 1), row(7, 0)],
            vec![row(9, 4), row(5, 3)],
            // Sparse ids: sorted by comparison rather than by counting.
            vec![row(1 << 30, 1), row(7, 2), row(1 << 30, 3), row(u32::MAX, 4), row(3, 5)],
            vec![row(1 << 30, 6), row(7, 7), row(1 << 30, 8), row(u32::MAX, 9), row(3, 10)],
            vec![],
        ];
        for (tick, rows) in (1..).zip(&frames) {
            let expected = WorldSnapshot::from_rows(tick, 8, rows.iter().copied());
            let built = build(&mut builder, tick, rows);
            assert_eq!(built, expected, "frame {tick} should match a sort");
            // The next frame, of another layout, is written over this one.
            builder.recycle(built);
        }
    }

    /// What a frame held before the builder: every actor's row, sorted by id.
    fn from_scratch(simulation: &mut Simulation) -> WorldSnapshot {
        let (tick, steps_per_unit) =
            (simulation.tick(), simulation.settings().position_steps_per_unit);
        let world = simulation.world_mut();
        let mut query = world.query::<(&NetId, &Position, &Velocity, &Kind, Option<&Fields>)>();
        let rows = query.iter(world).map(|(id, position, velocity, kind, fields)| {
            actor_row(steps_per_unit, id, position, velocity, kind, fields)
        });
        WorldSnapshot::from_rows(tick, steps_per_unit, rows.collect::<Vec<_>>())
    }

    /// Something that happens to the world between two frames.
    #[derive(Debug, Clone)]
    enum Change {
        Step,
        Spawn,
        /// Despawns the actor at this index (modulo the actors) in entity order.
        Despawn(usize),
        /// Sets a replicated field of the actor at this index.
        SetField(usize, usize, i32),
        /// Moves the actor at this index to another archetype (stops or starts wandering).
        ToggleWander(usize),
        Snapshot,
        /// Hands back the built frame at this index (modulo those kept).
        Recycle(usize),
    }

    fn change() -> impl Strategy<Value = Change> {
        prop_oneof![
            2 => Just(Change::Step),
            2 => Just(Change::Spawn),
            2 => any::<usize>().prop_map(Change::Despawn),
            1 => (any::<usize>(), 0..FIELD_SLOTS, any::<i32>())
                .prop_map(|(at, slot, value)| Change::SetField(at, slot, value)),
            1 => any::<usize>().prop_map(Change::ToggleWander),
            3 => Just(Change::Snapshot),
            2 => any::<usize>().prop_map(Change::Recycle),
        ]
    }

    fn nth_actor(world: &mut World, at: usize) -> Option<Entity> {
        let actors: Vec<Entity> =
            world.query_filtered::<Entity, With<NetId>>().iter(world).collect();
        (!actors.is_empty()).then(|| actors[at % actors.len()])
    }

    /// Applies `change`; `built` keeps the frames built so far, to hand back.
    fn apply(simulation: &mut Simulation, change: &Change, built: &mut Vec<WorldSnapshot>) {
        let world = simulation.world_mut();
        match *change {
            Change::Step => simulation.step(),
            Change::Spawn => {
                let bundle = actor(&mut world.resource_mut::<NetIds>(), Vec2::ONE, ActorKind::Npc);
                world.spawn((bundle, Wander { next_turn_tick: 0 }));
            }
            Change::Despawn(at) => {
                if let Some(entity) = nth_actor(world, at) {
                    world.despawn(entity);
                }
            }
            Change::SetField(at, slot, value) => {
                if let Some(entity) = nth_actor(world, at) {
                    let mut fields = world.get::<Fields>(entity).copied().unwrap_or_default();
                    fields.0[slot] = value;
                    world.entity_mut(entity).insert(fields);
                }
            }
            Change::ToggleWander(at) => {
                if let Some(entity) = nth_actor(world, at) {
                    let mut actor = world.entity_mut(entity);
                    if actor.take::<Wander>().is_none() {
                        actor.insert(Wander { next_turn_tick: 0 });
                    }
                }
            }
            Change::Snapshot => {
                let expected = from_scratch(simulation);
                let frame = simulation.snapshot();
                assert_eq!(frame, expected, "a built frame should match a sort");
                built.push(frame);
            }
            Change::Recycle(at) => {
                if !built.is_empty() {
                    let frame = built.swap_remove(at % built.len());
                    simulation.recycle_frame(frame);
                }
            }
        }
    }

    proptest! {
        #[test]
        fn frames_match_a_sort_through_spawns_despawns_id_reuse_and_recycling(
            changes in proptest::collection::vec(change(), 1..80),
        ) {
            // A short quarantine, so that freed ids come back within a run.
            let config = SimConfig { npcs: 6, frame_history: 1, ..SimConfig::default() };
            let mut simulation = Simulation::new(config);
            let mut built = Vec::new();
            for change in changes.iter().chain([&Change::Snapshot]) {
                apply(&mut simulation, change, &mut built);
            }
        }
    }
}
