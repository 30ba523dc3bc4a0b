//! The sim without threads or sockets: feed commands, step, read frames.

use bevy_ecs::entity::Entity;
use glam::Vec2;
use tickwire_protocol::{ActorKind, Input, Settings};
use tickwire_sim::components::{NetId, Position};
use tickwire_sim::{Applied, SimCommand, SimConfig, Simulation, sim_channels};

fn config(tick_rate_hz: u16, npcs: u32, seed: u64) -> SimConfig {
    SimConfig {
        settings: Settings { tick_rate_hz, movement_speed: 100.0, ..Settings::default() },
        npcs,
        seed,
        arena_size: Vec2::new(1000.0, 1000.0),
        frame_history: 4,
        resume_grace: std::time::Duration::from_secs(1),
        ..SimConfig::default()
    }
}

/// The exact (unquantised) position of an actor, read from the world.
fn position(simulation: &mut Simulation, actor_id: u32) -> Option<Vec2> {
    let world = simulation.world_mut();
    let mut query = world.query::<(&NetId, &Position)>();
    query.iter(world).find(|(id, _)| id.0 == actor_id).map(|(_, position)| position.0)
}

/// Applies an input of `session` that names no actor (the sim looks the session up).
fn input(simulation: &mut Simulation, session: u64, sequence: u32, direction: Vec2) -> Applied {
    input_naming(simulation, session, None, sequence, direction)
}

/// Applies an input of `session` that names `actor`, as the network side's do.
fn input_naming(
    simulation: &mut Simulation,
    session: u64,
    actor: Option<Entity>,
    sequence: u32,
    direction: Vec2,
) -> Applied {
    let input = Input { sequence, direction, ack_tick: 0 };
    simulation.apply(SimCommand::Input { session, actor, input })
}

/// Moves the player's actor to the middle so a second of movement cannot reach a wall.
fn centre(simulation: &mut Simulation, actor_id: u32) {
    let world = simulation.world_mut();
    let mut query = world.query::<(&NetId, &mut Position)>();
    for (id, mut position) in query.iter_mut(world) {
        if id.0 == actor_id {
            position.0 = Vec2::splat(500.0);
        }
    }
}

#[test]
fn a_player_moves_the_same_distance_per_second_at_any_tick_rate() {
    for tick_rate in [10u16, 30, 60, 128] {
        let mut simulation = Simulation::new(config(tick_rate, 0, 3));
        let joined = simulation.join(1);
        centre(&mut simulation, joined.actor_id);
        input(&mut simulation, 1, 1, Vec2::new(3.0, 4.0)); // length 5: clamped to 1
        for _ in 0..tick_rate {
            simulation.step();
        }
        let moved = position(&mut simulation, joined.actor_id)
            .map(|position| position - Vec2::splat(500.0));
        let expected = Vec2::new(60.0, 80.0); // 100 units/s along (0.6, 0.8) for one second
        assert!(
            moved.is_some_and(|moved| moved.abs_diff_eq(expected, 0.01)),
            "at {tick_rate} Hz the actor should move {expected} in one second, moved {moved:?}"
        );
    }
}

#[test]
fn stale_inputs_are_ignored() {
    let mut simulation = Simulation::new(config(30, 0, 3));
    let joined = simulation.join(1);
    centre(&mut simulation, joined.actor_id);
    assert_eq!(input(&mut simulation, 1, 5, Vec2::X), Applied::Done);
    assert_eq!(
        input(&mut simulation, 1, 4, Vec2::NEG_X),
        Applied::StaleInput,
        "an older input should be dropped"
    );
    assert_eq!(
        input(&mut simulation, 1, 5, Vec2::NEG_X),
        Applied::StaleInput,
        "a replayed input should be dropped"
    );
    simulation.step();
    let x = position(&mut simulation, joined.actor_id).map(|position| position.x);
    assert!(
        x.is_some_and(|x| x > 500.0),
        "the actor should follow the newest input only, x = {x:?}"
    );
}

#[test]
fn an_input_moves_only_its_own_sessions_actor() {
    let mut simulation = Simulation::new(config(30, 0, 3));
    let first = simulation.join(1);
    let second = simulation.join(2);
    let before = position(&mut simulation, second.actor_id);
    input(&mut simulation, 1, 1, Vec2::X);
    simulation.step();
    assert_eq!(
        position(&mut simulation, second.actor_id),
        before,
        "session 1's input should not move session 2's actor"
    );
    assert_ne!(first.actor_id, second.actor_id, "each session should get its own actor");
}

#[test]
fn npcs_wander_and_stay_inside_the_arena() {
    let mut simulation = Simulation::new(config(30, 40, 9));
    let steps = f32::from(simulation.settings().position_steps_per_unit);
    let arena = 0..=(1000.0 * steps) as i32;
    let start = simulation.snapshot();
    for _ in 0..30 * 60 {
        simulation.step();
        let frame = simulation.snapshot();
        assert!(
            frame.rows().all(|row| arena.contains(&row.x) && arena.contains(&row.y)),
            "every actor should stay inside the arena at tick {}",
            frame.tick
        );
    }
    let end = simulation.snapshot();
    let moved = start.rows().zip(end.rows()).filter(|(a, b)| (a.x, a.y) != (b.x, b.y)).count();
    assert_eq!(end.len(), 40, "all NPCs should still exist");
    assert!(moved >= 35, "NPCs should wander; only {moved} of 40 moved in a minute");
    assert!(end.rows().all(|row| row.kind == ActorKind::Npc), "NPCs should replicate as NPCs");
    assert!(end.rows().any(|row| row.vx != 0 || row.vy != 0), "frames should replicate velocities");
}

#[test]
fn frames_are_quantised_to_the_configured_steps() {
    let mut simulation = Simulation::new(config(30, 0, 3));
    let joined = simulation.join(1);
    centre(&mut simulation, joined.actor_id);
    input(&mut simulation, 1, 1, Vec2::X);
    simulation.step(); // 100 units/s for 1/30 s: x = 503.333...
    let frame = simulation.snapshot();
    let row = frame.get(joined.actor_id).expect("the player's actor should be in the frame");
    assert_eq!(frame.steps_per_unit, 8);
    assert_eq!((row.x, row.y), (4027, 4000), "positions should be whole 1/8 steps, rounded");
    assert_eq!((row.vx, row.vy), (800, 0), "velocity should be steps per second");
}

#[test]
fn leaving_removes_the_actor_and_its_id_waits_out_the_history() {
    let mut simulation = Simulation::new(config(30, 2, 3)); // frame_history: 4
    let joined = simulation.join(7);
    assert!(
        simulation.snapshot().get(joined.actor_id).is_some(),
        "a joined session should have an actor"
    );
    simulation.apply(SimCommand::Leave { session: 7 });
    assert!(
        simulation.snapshot().get(joined.actor_id).is_none(),
        "leaving should remove the actor"
    );

    let during_quarantine = simulation.join(8);
    assert_ne!(
        during_quarantine.actor_id, joined.actor_id,
        "a freed id should not be reused while frames may hold it"
    );
    for _ in 0..4 {
        simulation.snapshot();
    }
    let after_quarantine = simulation.join(9);
    assert_eq!(
        after_quarantine.actor_id, joined.actor_id,
        "a freed id should be reused once no baseline can hold it"
    );
}

#[test]
fn frames_are_sorted_by_network_id() {
    let mut simulation = Simulation::new(config(30, 25, 4));
    simulation.join(1);
    simulation.step();
    let frame = simulation.snapshot();
    let ids = frame.ids();
    assert_eq!(ids.len(), 26, "the frame should hold every actor");
    assert!(
        ids.windows(2).all(|pair| pair[0] < pair[1]),
        "frame actors should be sorted by id: {ids:?}"
    );
}

/// Runs a scripted session: joins, inputs on fixed ticks, a leave; returns every frame.
fn scripted_run(seed: u64) -> Vec<tickwire_sim::WorldSnapshot> {
    let mut simulation = Simulation::new(config(30, 20, seed));
    let mut frames = Vec::new();
    for tick in 1..=300u32 {
        match tick {
            10 => {
                simulation.join(1);
            }
            20 => {
                input(&mut simulation, 1, 1, Vec2::new(1.0, -0.5));
            }
            50 => {
                simulation.join(2);
            }
            60 => {
                input(&mut simulation, 2, 1, Vec2::NEG_Y);
            }
            200 => {
                simulation.apply(SimCommand::Leave { session: 1 });
            }
            _ => {}
        }
        simulation.step();
        frames.push(simulation.snapshot());
    }
    frames
}

#[test]
fn same_seed_and_inputs_give_the_same_world() {
    assert_eq!(
        scripted_run(42),
        scripted_run(42),
        "two runs with the same seed and inputs should match tick for tick"
    );
    assert_ne!(
        scripted_run(42),
        scripted_run(43),
        "a different seed should give a different world"
    );
}

#[test]
fn a_dropped_players_actor_waits_for_a_resume_then_goes() {
    let mut simulation = Simulation::new(config(30, 0, 3)); // grace: 1 s = 30 ticks
    let joined = simulation.join(1);
    centre(&mut simulation, joined.actor_id);
    input(&mut simulation, 1, 1, Vec2::X);
    simulation.step();
    simulation.apply(SimCommand::Detach { session: 1 });
    let stopped_at = position(&mut simulation, joined.actor_id);
    for _ in 0..20 {
        simulation.step();
    }
    assert_eq!(
        position(&mut simulation, joined.actor_id),
        stopped_at,
        "a detached actor should stop where it is"
    );

    let resumed = simulation.resume(1, 2).map(|joined| joined.actor_id);
    assert_eq!(
        resumed,
        Some(joined.actor_id),
        "a resume within the grace window should get the same actor"
    );
    assert!(simulation.resume(1, 3).is_none(), "the old session should not be resumable twice");
    input(&mut simulation, 2, 1, Vec2::X);
    simulation.step();
    assert_ne!(
        position(&mut simulation, joined.actor_id),
        stopped_at,
        "the resumed session should steer the actor"
    );

    simulation.apply(SimCommand::Detach { session: 2 });
    for _ in 0..31 {
        simulation.step();
    }
    assert!(
        position(&mut simulation, joined.actor_id).is_none(),
        "after the grace window the actor should be gone"
    );
    assert!(
        simulation.resume(2, 4).is_none(),
        "a resume after the grace window should find nothing"
    );
}

#[test]
fn leaving_removes_the_actor_at_once_even_with_a_grace_window() {
    let mut simulation = Simulation::new(config(30, 0, 3));
    let joined = simulation.join(1);
    simulation.apply(SimCommand::Leave { session: 1 });
    assert!(
        position(&mut simulation, joined.actor_id).is_none(),
        "a goodbye should not wait for a resume"
    );
}

/// Gameplay spawns and despawns actors with plain bevy_ecs commands; the ids come and go
/// through the sim's allocator without any networking code.
#[test]
fn gameplay_systems_spawn_and_despawn_replicated_actors() {
    use bevy_ecs::prelude::*;
    use tickwire_sim::SimSet;
    use tickwire_sim::components::{NetId, actor};
    use tickwire_sim::resources::{NetIds, Tick};

    /// Spawns a coin at tick 2 and removes every coin at tick 6.
    #[derive(Component)]
    struct Coin;
    fn coins(
        mut commands: Commands,
        tick: Res<Tick>,
        mut ids: ResMut<NetIds>,
        coins: Query<Entity, With<Coin>>,
    ) {
        match tick.0 {
            2 => {
                commands.spawn((actor(&mut ids, Vec2::new(10.0, 20.0), ActorKind::Npc), Coin));
            }
            6 => coins.iter().for_each(|coin| commands.entity(coin).despawn()),
            _ => {}
        }
    }

    let mut simulation = Simulation::new(config(30, 0, 3)); // frame_history: 4
    simulation.add_systems(SimSet::Simulate, coins);
    simulation.step();
    simulation.step();
    let frame = simulation.snapshot();
    let coin = frame.ids().first().copied().expect("the coin should be replicated");
    assert_eq!(
        frame.position(coin),
        Some(Vec2::new(10.0, 20.0)),
        "the coin should be where gameplay put it"
    );
    for _ in 0..4 {
        simulation.step();
    }
    assert!(simulation.snapshot().is_empty(), "a despawned coin should leave the frame");
    for _ in 0..5 {
        simulation.snapshot();
    }
    let world = simulation.world_mut();
    let reused = world.resource_mut::<NetIds>().allocate();
    assert_eq!(reused, coin, "despawning should free the coin's id for reuse after its quarantine");
    assert_eq!(world.query::<&NetId>().iter(world).count(), 0);
}

#[test]
fn an_input_queued_with_the_detach_does_not_move_the_detached_actor() {
    let mut simulation = Simulation::new(config(30, 0, 3));
    let joined = simulation.join(1);
    centre(&mut simulation, joined.actor_id);
    // The connection drops right after an input: both wait for the same tick, and the
    // sim drains control commands (the detach) before inputs.
    let (sender, mut inbox) = sim_channels(16);
    sender
        .input(1, joined.actor, Input { sequence: 1, direction: Vec2::X, ack_tick: 0 })
        .expect("the input queue has room");
    sender.detach(1);
    let applied: Vec<Applied> = inbox.drain().map(|command| simulation.apply(command)).collect();
    assert_eq!(
        applied,
        [Applied::Done, Applied::DetachedInput],
        "the detach should apply and the late input should be ignored as detached"
    );
    for _ in 0..10 {
        simulation.step();
    }
    assert_eq!(
        position(&mut simulation, joined.actor_id),
        Some(Vec2::splat(500.0)),
        "a detached actor should stand still from the tick its detach is applied"
    );
}

#[test]
fn a_joining_player_is_told_the_declared_field_and_event_names() {
    let mut simulation = Simulation::new(config(30, 0, 1));
    simulation.replicate_fields(&["color", "score"]).expect("two fields fit");
    simulation.replicate_events(&["tagged"]);
    let joined = simulation.join(7);
    assert_eq!(joined.field_names, ["color", "score"], "the field names should reach the player");
    assert_eq!(joined.event_names, ["tagged"], "the event names should reach the player");
    assert!(
        simulation.replicate_fields(&["a", "b", "c", "d", "e"]).is_err(),
        "more fields than slots should be refused"
    );
    assert_eq!(simulation.join(8).field_names, ["color", "score"], "a refusal changes nothing");
}

#[test]
fn an_input_naming_its_actor_moves_that_actor_and_no_other() {
    let mut simulation = Simulation::new(config(30, 0, 3));
    let (one, two) = (simulation.join(1), simulation.join(2));
    centre(&mut simulation, one.actor_id);
    centre(&mut simulation, two.actor_id);
    assert_eq!(input_naming(&mut simulation, 1, Some(one.actor), 1, Vec2::X), Applied::Done);
    // Session 2 names session 1's actor (it cannot: the network side names the session's
    // own), so its own actor moves, found by the session.
    assert_eq!(input_naming(&mut simulation, 2, Some(one.actor), 1, Vec2::Y), Applied::Done);
    for _ in 0..30 {
        simulation.step();
    }
    let moved = |simulation: &mut Simulation, actor_id| {
        position(simulation, actor_id).map(|position| position - Vec2::splat(500.0))
    };
    let (one_moved, two_moved) =
        (moved(&mut simulation, one.actor_id), moved(&mut simulation, two.actor_id));
    assert!(
        one_moved.is_some_and(|moved| moved.abs_diff_eq(Vec2::new(100.0, 0.0), 0.01)),
        "{one_moved:?}"
    );
    assert!(
        two_moved.is_some_and(|moved| moved.abs_diff_eq(Vec2::new(0.0, 100.0), 0.01)),
        "{two_moved:?}"
    );
}

#[test]
fn an_input_naming_an_actor_that_changed_hands_or_left_finds_its_sessions_own() {
    let mut simulation = Simulation::new(config(30, 0, 3));
    let joined = simulation.join(1);
    let resumed = simulation.resume(1, 2).expect("the actor is still there");
    assert_eq!(resumed.actor, joined.actor, "a resume hands over the same actor");
    assert_eq!(
        input_naming(&mut simulation, 1, Some(joined.actor), 1, Vec2::X),
        Applied::Ignored,
        "the old session's late input should not move the actor it handed over"
    );
    assert_eq!(input_naming(&mut simulation, 2, Some(resumed.actor), 1, Vec2::X), Applied::Done);
    simulation.leave(2);
    let rejoined = simulation.join(2);
    assert_ne!(rejoined.actor, joined.actor);
    assert_eq!(
        input_naming(&mut simulation, 2, Some(joined.actor), 1, Vec2::X),
        Applied::Done,
        "an input naming a removed actor should reach the session's current one"
    );
    simulation.leave(2);
    assert_eq!(
        input_naming(&mut simulation, 2, Some(rejoined.actor), 2, Vec2::X),
        Applied::Ignored,
        "a session that left has no actor to move"
    );
}
