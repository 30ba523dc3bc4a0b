//! Tag, a whole game on the public API: one actor is "it" (drawn red); touching
//! another actor passes "it" on and scores a point for the tagger. Players, bots and the
//! wandering NPCs all play.
//!
//! `cargo run --release -p tickwire-server --example tag` (takes the server's flags), then
//! open the printed address; add bots with `cargo run --release -p tickwire-client --bin
//! bots`.
//!
//! Two replicated fields carry the game to every client: `color` (the "it" actor's is
//! red, the demo client fills actors with it) and `score`.

use std::process::ExitCode;

use bevy_ecs::prelude::*;
use clap::Parser;
use tickwire_server::ServeArgs;
use tickwire_sim::components::{Fields, NetId, Position};
use tickwire_sim::resources::{ActiveSettings, GameEvents, Tick};
use tickwire_sim::{SimSet, Simulation};

/// The "it" colour, 0xRRGGBB.
const RED: i32 = 0xE5_39_35;
/// Event kinds, as declared to clients.
const TAGGED: u16 = 0;
/// Field slots, as declared to clients.
const COLOR: usize = 0;
const SCORE: usize = 1;
/// How close "it" must come, in world units.
const TAG_RADIUS: f32 = 24.0;
/// After a tag, the new "it" may not tag back for this long.
const NO_TAG_BACKS_SECONDS: f32 = 1.5;

/// Who is "it", and from which tick they may tag.
#[derive(Resource, Debug, Default)]
struct Tag {
    it: Option<Entity>,
    may_tag_from_tick: u32,
}

/// Adds tag to a simulation: a [`tickwire_sim::Game`].
fn tag(simulation: &mut Simulation) {
    // Two of the four slots: this cannot fail.
    let _ = simulation.replicate_fields(&["color", "score"]);
    simulation.replicate_events(&["tagged"]);
    simulation.world_mut().insert_resource(Tag::default());
    simulation.add_systems(SimSet::Simulate, (choose_it, pass_it_on).chain());
}

/// Makes sure someone is "it": when nobody is (at start, or "it" left), the actor with
/// the lowest network id is, so every run of the same world picks the same one.
fn choose_it(mut commands: Commands, mut tag: ResMut<Tag>, actors: Query<(Entity, &NetId)>) {
    if tag.it.is_some_and(|it| actors.contains(it)) {
        return;
    }
    tag.it = actors.iter().min_by_key(|(_, id)| id.0).map(|(entity, _)| entity);
    if let Some(it) = tag.it {
        commands.entity(it).insert(Fields([RED, 0, 0, 0]));
    }
}

/// "It" tags the nearest actor in reach (ties to the lowest id), who becomes "it".
fn pass_it_on(
    tick: Res<Tick>,
    settings: Res<ActiveSettings>,
    mut tag: ResMut<Tag>,
    mut events: ResMut<GameEvents>,
    mut actors: Query<(Entity, &NetId, &Position, Option<&mut Fields>)>,
    mut commands: Commands,
) {
    let Some(it) = tag.it else { return };
    if tickwire_protocol::tick::is_after(tag.may_tag_from_tick, tick.0) {
        return;
    }
    let Ok((_, it_id, it_position, _)) = actors.get(it) else { return };
    let (it_id, it_position) = (it_id.0, it_position.0);
    let tagged = actors
        .iter()
        .filter(|(entity, _, position, _)| {
            *entity != it && position.0.distance(it_position) <= TAG_RADIUS
        })
        .min_by(|a, b| {
            let (da, db) = (a.2.0.distance(it_position), b.2.0.distance(it_position));
            da.total_cmp(&db).then(a.1.0.cmp(&b.1.0))
        })
        .map(|(entity, id, ..)| (entity, id.0));
    let Some((tagged, tagged_id)) = tagged else { return };

    let mut score = 1;
    if let Ok((.., Some(mut fields))) = actors.get_mut(it) {
        fields.0[COLOR] = 0;
        fields.0[SCORE] += 1;
        score = fields.0[SCORE];
    }
    events.send(TAGGED, it_id, tagged_id, score);
    match actors.get_mut(tagged) {
        Ok((.., Some(mut fields))) => fields.0[COLOR] = RED,
        _ => {
            commands.entity(tagged).insert(Fields([RED, 0, 0, 0]));
        }
    }
    tag.it = Some(tagged);
    let no_tag_backs = (NO_TAG_BACKS_SECONDS * f32::from(settings.0.tick_rate_hz)) as u32;
    tag.may_tag_from_tick = tick.0.wrapping_add(no_tag_backs);
}

/// The server's own command line, for this game.
#[derive(Debug, Parser)]
#[command(about = "Tickwire tag: touch someone to pass on being it")]
struct Cli {
    #[command(flatten)]
    serve: ServeArgs,
}

fn main() -> ExitCode {
    tickwire_server::init_logging();
    match tickwire_server::serve(&Cli::parse().serve, tag) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("tag: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The game's tests run in the in-memory harness: no threads, no sockets.
#[cfg(test)]
mod tests {
    use std::hash::{DefaultHasher, Hash, Hasher};

    use glam::Vec2;
    use tickwire_protocol::{Input, Settings};
    use tickwire_sim::{SimCommand, SimConfig};

    use super::*;

    fn world(seed: u64) -> Simulation {
        let config = SimConfig {
            settings: Settings { tick_rate_hz: 30, ..Settings::default() },
            npcs: 40,
            seed,
            arena_size: Vec2::new(300.0, 300.0), // crowded, so tags happen
            ..SimConfig::default()
        };
        let mut simulation = Simulation::new(config);
        tag(&mut simulation);
        simulation
    }

    /// Plays two players with scripted inputs for `ticks` and returns the state hash of
    /// every frame.
    fn play(seed: u64, ticks: u32) -> (Simulation, Vec<u64>) {
        let mut simulation = world(seed);
        simulation.join(1);
        simulation.join(2);
        let mut hashes = Vec::new();
        for tick in 1..=ticks {
            if tick % 15 == 0 {
                let direction = Vec2::from_angle(tick as f32 * 0.7);
                let input = Input { sequence: tick, direction, ack_tick: 0 };
                simulation.apply(SimCommand::Input {
                    session: 1 + u64::from(tick % 2),
                    actor: None,
                    input,
                });
            }
            simulation.step();
            let mut hasher = DefaultHasher::new();
            simulation.snapshot().hash(&mut hasher);
            hashes.push(hasher.finish());
        }
        (simulation, hashes)
    }

    #[test]
    fn exactly_one_actor_is_it_and_tags_score() {
        let mut simulation = world(7);
        let mut reds = Vec::new();
        let mut tags = Vec::new();
        for _ in 0..30 * 60 {
            simulation.step();
            let frame = simulation.snapshot();
            reds.push(frame.rows().filter(|row| row.fields[COLOR] == RED).count());
            for event in simulation.take_events() {
                assert_eq!(event.kind, TAGGED);
                let tagged = frame.get(event.other).map(|row| row.fields[COLOR]);
                assert_eq!(tagged, Some(RED), "the tagged actor should be it after the tag");
                tags.push(event);
            }
        }
        assert!(
            reds.iter().skip(1).all(|&red| red == 1),
            "after the first tick exactly one actor should be it"
        );
        let frame = simulation.snapshot();
        let scores: i32 = frame.rows().map(|row| row.fields[SCORE]).sum();
        assert!(scores >= 5, "in a crowded arena a minute should see tags, saw {scores}");
        assert_eq!(tags.len() as i32, scores, "every point should come with a tagged event");
    }

    #[test]
    fn the_same_seed_and_inputs_give_the_same_game() {
        let (_, first) = play(42, 600);
        let (_, second) = play(42, 600);
        assert_eq!(
            first, second,
            "two runs with the same seed and inputs should match tick for tick"
        );
        let (_, other) = play(43, 600);
        assert_ne!(first, other, "another seed should give another game");
    }
}
