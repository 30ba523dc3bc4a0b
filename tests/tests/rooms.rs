//! Rooms end to end: matchmaking over HTTP, seats in `Hello`, isolation between rooms,
//! the lifecycle on a manual clock, resumes into the right room, per-room admin.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bevy_ecs::prelude::{Commands, Entity, Local, Query, Res, ResMut, With};
use glam::Vec2;
use hyper::{Method, StatusCode};
use tickwire_protocol::{ClientMessage, Hello};
use tickwire_server::{ManualClock, RoomTypes, ServerConfig};
use tickwire_sim::components::{Fields, Player};
use tickwire_sim::resources::{RoomLock, SessionActors};
use tickwire_sim::{SimSet, Simulation};
use tickwire_tests::{RawPlayer, SeatAnswer, TestServer, raw_close, raw_connect, test_config};
use tokio_tungstenite::tungstenite::Message;

/// Rooms of the built-in type with no NPCs: nothing moves unless a player steers.
const STILL_ROOM: &str = r#"{"name":"default","options":{"npcs":0}}"#;

async fn server_with_clock() -> (TestServer, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::default());
    let mut config: ServerConfig = test_config();
    config.rooms.clock = clock.clone();
    (TestServer::start(config).await, clock)
}

/// Says `hello` and returns the close code and reason the server answers with.
async fn refused(server: &TestServer, hello: Hello, context: &str) -> (u16, String) {
    let mut socket =
        raw_connect(server, Message::Binary(ClientMessage::Hello(hello).encode())).await;
    raw_close(&mut socket, context).await
}

#[tokio::test]
async fn fifty_concurrent_join_or_creates_fill_one_room_then_open_exactly_one_more() {
    let server = TestServer::start(test_config()).await;
    let body =
        r#"{"name":"default","label":{"mode":"duel"},"options":{"npcs":0,"max_clients":30}}"#;
    let seats =
        futures_util::future::join_all((0..50).map(|_| server.seat("/matchmake", body))).await;
    let mut per_room: HashMap<String, usize> = HashMap::new();
    for seat in seats {
        let seat = seat.expect("every join-or-create should get a seat");
        *per_room.entry(seat.room).or_default() += 1;
    }
    let mut counts: Vec<usize> = per_room.values().copied().collect();
    counts.sort_unstable();
    assert_eq!(counts, [20, 30], "one room filled to 30, then exactly one more: {per_room:?}");
    let listed = server.rooms("name=default&mode=duel").await;
    assert_eq!(listed.len(), 2, "the label filter should list the two rooms: {listed:?}");
    server.stop().await.expect("clean stop");
}

#[tokio::test]
async fn a_full_room_refuses_joins_and_matchmaking_opens_another() {
    let server = TestServer::start(test_config()).await;
    let body = r#"{"name":"default","label":{"map":"dust"},"options":{"npcs":0,"max_clients":2}}"#;
    let first = server.seat("/rooms", body).await.expect("a room should be created");
    let second = server.seat(&format!("/rooms/{}/join", first.room), "").await;
    assert_eq!(second.expect("a second place is free").room, first.room);
    let third = server.seat(&format!("/rooms/{}/join", first.room), "").await;
    assert_eq!(
        third.map(|seat| seat.room).map_err(|(status, _)| status),
        Err(StatusCode::CONFLICT)
    );
    let listed = server.rooms("map=dust").await;
    assert_eq!(listed[0]["state"], "locked", "a full room is listed as locked: {listed:?}");
    let other = server
        .seat("/matchmake", r#"{"name":"default","label":{"map":"dust"}}"#)
        .await
        .expect("matchmaking should open another room");
    assert_ne!(other.room, first.room, "the full room should be passed by");
    let unknown = server.seat("/rooms", r#"{"name":"no-such-type"}"#).await;
    assert_eq!(unknown.map(|_| ()).map_err(|(status, _)| status), Err(StatusCode::BAD_REQUEST));
    server.stop().await.expect("clean stop");
}

#[tokio::test]
async fn inputs_in_one_room_never_reach_another() {
    let server = TestServer::start(test_config()).await;
    let seat_a = server.seat("/rooms", STILL_ROOM).await.expect("room A");
    let seat_b = server.seat("/rooms", STILL_ROOM).await.expect("room B");
    let mut a = RawPlayer::join(&server, seat_a.hello()).await;
    let mut b = RawPlayer::join(&server, seat_b.hello()).await;
    assert_eq!((a.welcome.room.as_str(), b.welcome.room.as_str()), (&*seat_a.room, &*seat_b.room));
    let b_before = b.next_snapshot("room B at start").await.clone();
    assert_eq!(b_before.ids(), [b.welcome.actor_id], "room B holds only its own player");

    let own = a.welcome.actor_id;
    let start = a.next_snapshot("room A at start").await.position(own);
    for _ in 0..10 {
        a.steer(Vec2::X).await;
        a.next_snapshot("room A while steering").await;
    }
    let moved = a.world.position(own);
    assert!(
        start.zip(moved).is_some_and(|(start, moved)| moved.x > start.x),
        "A's player should move in room A ({start:?} -> {moved:?})"
    );
    for _ in 0..3 {
        b.next_snapshot("room B while A plays").await;
    }
    let b_after = &b.world;
    assert_eq!(b_after.ids(), b_before.ids(), "no actor of room A should appear in room B");
    assert_eq!(
        b_after.position(b.welcome.actor_id),
        b_before.position(b.welcome.actor_id),
        "room B's state should not change while only room A's player steers"
    );
    server.stop().await.expect("clean stop");
}

#[tokio::test]
async fn an_empty_room_is_disposed_after_the_timeout_and_a_join_racing_it_never_lands_in_it() {
    let (server, clock) = server_with_clock().await;
    let seat = server.seat("/rooms", STILL_ROOM).await.expect("a room");
    let room = seat.room.clone();
    let listed =
        |rooms: Vec<serde_json::Value>| rooms.iter().any(|listed| listed["id"] == room.as_str());
    let series = format!("tickwire_room_clients{{room=\"{room}\",name=\"default\"}}");
    assert_eq!(server.metric(&series).await, 1.0, "the unused seat holds a place");

    // The seat expires at 15 s; from then the room is empty.
    clock.advance(Duration::from_secs(44));
    assert!(listed(server.rooms("").await), "29 s empty is not yet 30");
    // A join racing the disposal, one second before it: the room is somebody's again.
    let late =
        server.seat(&format!("/rooms/{room}/join"), "").await.expect("the room still exists");
    clock.advance(Duration::from_secs(2));
    assert!(listed(server.rooms("").await), "the join's seat should keep the room alive");

    // That seat expires unused too; 30 s later the room goes.
    clock.advance(Duration::from_secs(13 + 30));
    assert!(!listed(server.rooms("").await), "empty for the whole timeout: disposed");
    let (code, reason) = refused(&server, late.hello(), "a seat in a disposed room").await;
    assert_eq!(code, 4005, "a seat whose room is gone is refused: {reason}");
    let join = server.seat(&format!("/rooms/{room}/join"), "").await;
    assert_eq!(join.map(|_| ()).map_err(|(status, _)| status), Err(StatusCode::NOT_FOUND));
    let fresh = server.seat("/matchmake", STILL_ROOM).await.expect("join-or-create works on");
    assert_ne!(fresh.room, room, "a join after the disposal lands in a fresh room, never the old");
    let scrape = server.http(Method::GET, "/metrics", "", None).await.1;
    assert!(!scrape.contains(&format!("room=\"{room}\"")), "a disposed room's series are gone");
    server.stop().await.expect("clean stop");
}

#[tokio::test]
async fn a_room_builds_its_world_when_its_first_player_arrives() {
    let server = TestServer::start(test_config()).await;
    let body = r#"{"name":"default","options":{"npcs":2,"tick_rate_hz":20}}"#;
    let seat = server.seat("/rooms", body).await.expect("a room");
    let labels = format!(r#"{{room="{}",name="default"}}"#, seat.room);
    let ticks = format!("tickwire_room_ticks_total{labels}");
    // Long enough for a built world to tick several times at 20 Hz.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(server.metric(&ticks).await, 0.0, "a room nobody joined should not tick");
    let rate = server.metric(&format!("tickwire_room_tick_rate_hz{labels}")).await;
    assert_eq!(rate, 20.0, "an unbuilt room should show the tick rate it will run at");
    let listed = server.rooms("").await;
    let room = listed.iter().find(|room| room["id"] == seat.room.as_str());
    assert_eq!(room.map(|room| room["tick_rate_hz"].clone()), Some(20.into()), "{listed:?}");

    let mut player = RawPlayer::join(&server, seat.hello()).await;
    let world = player.next_snapshot("the first player").await;
    assert_eq!(world.ids().len(), 3, "the world built for the first player: 2 NPCs and it");
    server.metric_until(&ticks, |ticks| ticks > 0.0).await;
    server.stop().await.expect("clean stop");
}

/// Advances the lifecycle clock past the parking delay and waits until room `room` of
/// type `name` stops ticking; returns its tick count then.
async fn wait_until_parked(
    server: &TestServer,
    clock: &ManualClock,
    room: &str,
    name: &str,
) -> f64 {
    clock.advance(Duration::from_secs(3));
    let ticks = format!(r#"tickwire_room_ticks_total{{room="{room}",name="{name}"}}"#);
    let mut last = server.metric(&ticks).await;
    for _ in 0..30 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let now = server.metric(&ticks).await;
        if now == last {
            return last;
        }
        last = now;
    }
    panic!("the room should stop ticking once parked ({ticks} at {last})");
}

#[tokio::test]
async fn a_parked_room_comes_back_with_a_whole_world_and_deltas_on_it() {
    let (server, clock) = server_with_clock().await;
    let seat = server.seat("/rooms", r#"{"name":"default","options":{"npcs":2}}"#).await;
    let seat = seat.expect("a room");
    let mut first = RawPlayer::join(&server, seat.hello()).await;
    for _ in 0..3 {
        first.steer(Vec2::X).await;
        first.next_snapshot("the first player, playing").await;
    }
    first.leave().await;
    let clients = format!(r#"tickwire_room_clients{{room="{}",name="default"}}"#, seat.room);
    server.metric_until(&clients, |clients| clients == 0.0).await;

    // Nobody plays: 2 s later the room parks (its ring down to the newest frame).
    let last = wait_until_parked(&server, &clock, &seat.room, "default").await;
    let ticks = format!(r#"tickwire_room_ticks_total{{room="{}",name="default"}}"#, seat.room);

    let again = server.seat(&format!("/rooms/{}/join", seat.room), "").await;
    let mut second =
        RawPlayer::join(&server, again.expect("a seat in the parked room").hello()).await;
    let own = second.welcome.actor_id;
    let world = second.next_snapshot("back from parking").await;
    assert_eq!(world.ids().len(), 3, "the whole world: two NPCs and the new player");
    let start = world.position(own);
    for _ in 0..5 {
        second.steer(Vec2::X).await;
        second.next_snapshot("deltas after parking").await;
    }
    let moved = second.world.position(own);
    assert!(
        start.zip(moved).is_some_and(|(start, moved)| moved.x > start.x),
        "the player should move in the unparked room ({start:?} -> {moved:?})"
    );
    assert!(server.metric(&ticks).await > last, "the room should tick again");
    server.stop().await.expect("clean stop");
}

#[tokio::test]
async fn a_settings_change_to_a_parked_room_takes_effect_at_once_and_it_parks_again() {
    let (server, clock) = server_with_clock().await;
    let seat = server.seat("/rooms", STILL_ROOM).await.expect("a room");
    RawPlayer::join(&server, seat.hello()).await.leave().await;
    let clients = format!(r#"tickwire_room_clients{{room="{}",name="default"}}"#, seat.room);
    server.metric_until(&clients, |clients| clients == 0.0).await;
    let parked = wait_until_parked(&server, &clock, &seat.room, "default").await;

    let path = format!("/admin/rooms/{}/settings", seat.room);
    let (status, text) = server.http(Method::PATCH, &path, r#"{"movement_speed":77}"#, None).await;
    assert_eq!(status, StatusCode::OK, "the change should be accepted: {text}");
    let mut waited = 0;
    loop {
        let (_, settings) = server.http(Method::GET, &path, "", None).await;
        if settings.contains("\"movement_speed\":77") {
            break;
        }
        waited += 1;
        assert!(waited < 50, "the parked room's settings should show the change: {settings}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let stirred = wait_until_parked(&server, &clock, &seat.room, "default").await;
    assert!(stirred > parked, "the room should tick to apply the change, then park again");
    server.stop().await.expect("clean stop");
}

#[tokio::test]
async fn seats_are_signed_good_once_and_expire() {
    let (server, clock) = server_with_clock().await;
    let seat = server.seat("/rooms", STILL_ROOM).await.expect("a room");
    let player = RawPlayer::join(&server, seat.hello()).await;
    assert_eq!(player.welcome.room, seat.room);
    let (code, _) = refused(&server, seat.hello(), "the same seat again").await;
    assert_eq!(code, 4005, "a seat is good for one connection");

    let forged = SeatAnswer { seat: seat.seat.replace(".0.", ".9."), ..seat.clone() };
    let (code, _) = refused(&server, forged.hello(), "a forged seat").await;
    assert_eq!(code, 4005, "a seat that is not this server's is refused");

    let expiring = server.seat(&format!("/rooms/{}/join", seat.room), "").await.expect("a seat");
    clock.advance(Duration::from_secs(15));
    let (code, reason) = refused(&server, expiring.hello(), "an expired seat").await;
    assert_eq!(code, 4005, "a seat past its lifetime is refused: {reason}");
    server.stop().await.expect("clean stop");
}

#[tokio::test]
async fn a_resume_lands_in_its_own_room() {
    let server = TestServer::start(test_config()).await;
    let seat_a = server.seat("/rooms", STILL_ROOM).await.expect("room A");
    let seat_b = server.seat("/rooms", STILL_ROOM).await.expect("room B");
    let player = RawPlayer::join(&server, seat_a.hello()).await;
    let (token, actor) = (player.welcome.resume_token, player.welcome.actor_id);
    player.drop_connection();

    // The token names room A's session: presented for room B it resumes nothing there.
    let wrong =
        Hello { resume_token: Some(token), room: Some(seat_b.room.clone()), ..Hello::new() };
    let (code, _) = refused(&server, wrong, "room A's token in room B").await;
    assert_eq!(code, 4005, "no resume and no seat in a room other than the default");

    let back = Hello { resume_token: Some(token), room: Some(seat_a.room.clone()), ..Hello::new() };
    let resumed = RawPlayer::join(&server, back).await;
    assert!(resumed.welcome.resumed, "the token should resume its session");
    assert_eq!(resumed.welcome.room, seat_a.room, "in its own room");
    assert_eq!(resumed.welcome.actor_id, actor, "with its own actor");

    let plain = RawPlayer::join(&server, Hello::new()).await;
    assert_eq!(plain.welcome.room, "default", "a Hello without a seat joins the default room");
    server.stop().await.expect("clean stop");
}

#[tokio::test]
async fn an_admin_change_to_one_room_reaches_only_its_clients() {
    let server = TestServer::start(test_config()).await;
    let seat_a = server.seat("/rooms", STILL_ROOM).await.expect("room A");
    let seat_b = server.seat("/rooms", STILL_ROOM).await.expect("room B");
    let mut a = RawPlayer::join(&server, seat_a.hello()).await;
    let mut b = RawPlayer::join(&server, seat_b.hello()).await;
    let path = format!("/admin/rooms/{}/settings", seat_a.room);
    let (status, text) = server.http(Method::PATCH, &path, r#"{"movement_speed":77}"#, None).await;
    assert_eq!(status, StatusCode::OK, "the change should be accepted: {text}");

    let mut waited = 0;
    while !a.settings.iter().any(|settings| settings.movement_speed == 77.0) {
        a.next_snapshot("room A after the change").await;
        waited += 1;
        assert!(waited < 100, "room A's client should get the new settings");
    }
    // A settings change reaches a client before its next snapshot; room B is still, so
    // its snapshots are heartbeats, which stretch to seconds apart (and this raw client
    // answers no ping, so it may not wait out the idle timeout): two are enough.
    for _ in 0..2 {
        b.next_snapshot("room B after A's change").await;
    }
    assert!(b.settings.is_empty(), "room B's client should hear of no change: {:?}", b.settings);
    let path_b = format!("/admin/rooms/{}/settings", seat_b.room);
    let (_, settings_b) = server.http(Method::GET, &path_b, "", None).await;
    assert!(
        !settings_b.contains("\"movement_speed\":77"),
        "room B keeps its settings: {settings_b}"
    );

    let clients = format!("/admin/rooms/{}/clients", seat_a.room);
    let (status, listing) = server.http(Method::GET, &clients, "", None).await;
    assert_eq!(status, StatusCode::OK);
    let listing: serde_json::Value = serde_json::from_str(&listing).expect("JSON");
    assert_eq!(listing["live"], serde_json::json!([a.welcome.session_id]), "{listing}");
    let (status, _) = server.http(Method::GET, "/admin/rooms/nope/clients", "", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    server.stop().await.expect("clean stop");
}

/// A match: the game locks its room while anybody plays in it.
fn locks_while_played(simulation: &mut Simulation) {
    fn lock(actors: Res<SessionActors>, mut lock: ResMut<RoomLock>) {
        lock.locked = !actors.0.is_empty();
    }
    simulation.add_systems(SimSet::Simulate, lock);
}

#[tokio::test]
async fn a_room_the_game_locks_is_passed_by_until_the_game_opens_it_again() {
    let define = |rooms: &mut RoomTypes| {
        rooms.define("default", |_: &mut Simulation| {});
        rooms.define("match", locks_while_played).max_clients(4);
    };
    let server = TestServer::start_rooms("127.0.0.1:0", test_config(), define).await;
    let body = r#"{"name":"match","options":{"npcs":0}}"#;
    let seat = server.seat("/matchmake", body).await.expect("a match room");
    let state = |listed: Vec<serde_json::Value>| listed[0]["state"].as_str().map(str::to_owned);
    assert_eq!(state(server.rooms("name=match").await).as_deref(), Some("open"));
    let mut player = RawPlayer::join(&server, seat.hello()).await;
    player.next_snapshot("the player's first snapshot").await;
    // The tick after the player's actor appeared locked the room.
    player.next_snapshot("a snapshot after the lock").await;
    assert_eq!(state(server.rooms("name=match").await).as_deref(), Some("locked"));
    let join = server.seat(&format!("/rooms/{}/join", seat.room), "").await;
    assert_eq!(join.map(|_| ()).map_err(|(status, _)| status), Err(StatusCode::CONFLICT));
    let other = server.seat("/matchmake", body).await.expect("another match room");
    assert_ne!(other.room, seat.room, "matchmaking passes a locked room by");

    player.leave().await;
    let deadline = tokio::time::Instant::now() + tickwire_tests::WAIT;
    while state(server.rooms("name=match").await).as_deref() != Some("open") {
        assert!(tokio::time::Instant::now() < deadline, "the game should open the room again");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let again = server.seat(&format!("/rooms/{}/join", seat.room), "").await;
    assert_eq!(again.expect("open again: a seat").room, seat.room);
    server.stop().await.expect("clean stop");
}

/// A game with a bug in a system: it panics once a player is in the room.
fn panics_once_played(simulation: &mut Simulation) {
    fn fail(actors: Res<SessionActors>) {
        assert!(actors.0.is_empty(), "the game's bug");
    }
    simulation.add_systems(SimSet::Simulate, fail);
}

#[tokio::test]
async fn a_game_that_panics_closes_only_its_own_players_and_every_other_room_ticks_on() {
    let define = |rooms: &mut RoomTypes| {
        rooms.define("default", |_: &mut Simulation| {});
        rooms.define("fragile", panics_once_played);
        rooms.define("broken", |_: &mut Simulation| panic!("no map named {:?}", "dust"));
    };
    let mut config = test_config();
    // One sim thread: a panic that took the thread down would stop every room.
    config.rooms.sim_threads = 1;
    let server = TestServer::start_rooms("127.0.0.1:0", config, define).await;
    let healthy = server.seat("/rooms", STILL_ROOM).await.expect("a healthy room");
    let mut player = RawPlayer::join(&server, healthy.hello()).await;
    player.next_snapshot("the healthy room's first snapshot").await;

    let broken = server.seat("/rooms", r#"{"name":"broken"}"#).await.expect("made on request");
    let (code, reason) = refused(&server, broken.hello(), "joining the broken room").await;
    assert_eq!(
        (code, reason.as_str()),
        (1011, "the room's game failed: ask the matchmaker for another room")
    );
    let fragile = server.seat("/rooms", r#"{"name":"fragile"}"#).await.expect("a fragile room");
    let (code, reason) = refused(&server, fragile.hello(), "playing in the fragile room").await;
    assert_eq!(
        (code, reason.as_str()),
        (1011, "the room's game failed: ask the matchmaker for another room")
    );

    let before = player.world.tick;
    for _ in 0..3 {
        player.next_snapshot("the healthy room ticks on").await;
    }
    assert!(player.world.tick > before, "the healthy room's world goes on");
    assert_eq!(server.metric("tickwire_worlds_failed_total").await, 2.0);
    for name in ["broken", "fragile"] {
        let listed = server.rooms(&format!("name={name}")).await;
        assert!(listed.is_empty(), "a failed room is disposed: {listed:?}");
    }
    let again = server.seat("/matchmake", r#"{"name":"fragile"}"#).await.expect("a fresh one");
    assert_ne!(again.room, fragile.room, "matchmaking makes a fresh room");
    player.leave().await;
    server.stop().await.expect("clean stop");
}

#[tokio::test]
async fn a_default_room_whose_game_panics_is_replaced_by_a_fresh_one() {
    static FAILED_ONCE: AtomicBool = AtomicBool::new(false);
    fn fails_at_first_play(actors: Res<SessionActors>) {
        let first = !actors.0.is_empty() && !FAILED_ONCE.swap(true, Ordering::Relaxed);
        assert!(!first, "the game's bug, once");
    }
    let define = |rooms: &mut RoomTypes| {
        rooms.define("default", |simulation: &mut Simulation| {
            simulation.add_systems(SimSet::Simulate, fails_at_first_play);
        });
    };
    let server = TestServer::start_rooms("127.0.0.1:0", test_config(), define).await;
    let (code, _) = refused(&server, Hello::new(), "the first player of the default room").await;
    assert_eq!(code, 1011, "the failed room's player is told it is an internal error");
    // Until the once-a-second sweep replaces it, the failed room refuses the same way.
    let deadline = tokio::time::Instant::now() + tickwire_tests::WAIT;
    let mut player = loop {
        match RawPlayer::try_join(&server, Hello::new()).await {
            Ok(player) => break player,
            Err(refusal) => assert_eq!(refusal.0, 1011, "refused as failed: {refusal:?}"),
        }
        assert!(tokio::time::Instant::now() < deadline, "a fresh default room should replace it");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    player.next_snapshot("a snapshot from the fresh default room").await;
    assert_eq!(server.metric("tickwire_worlds_failed_total").await, 1.0);
    player.leave().await;
    server.stop().await.expect("clean stop");
}

/// A game that writes how many ticks its world has run into each player's first field.
fn counts_its_ticks(simulation: &mut Simulation) {
    fn count(mut ticks: Local<i32>, players: Query<Entity, With<Player>>, mut commands: Commands) {
        *ticks += 1;
        for player in &players {
            commands.entity(player).insert(Fields([*ticks, 0, 0, 0]));
        }
    }
    simulation.add_systems(SimSet::Simulate, count);
}

/// How many ticks the world of `player`'s room had run at its newest snapshot.
fn world_ticks(player: &RawPlayer) -> i32 {
    player.world.get(player.welcome.actor_id).map_or(0, |row| row.fields[0])
}

/// Plays in a new room of type `name` for 30 snapshots, leaves, lets it park, and joins
/// again; returns how many ticks its world had run when the first player left and when
/// the second player arrived.
async fn world_ticks_before_and_after_parking(
    server: &TestServer,
    clock: &ManualClock,
    name: &str,
) -> (i32, i32) {
    let body = format!(r#"{{"name":"{name}","options":{{"npcs":0}}}}"#);
    let seat = server.seat("/rooms", &body).await.expect("a room");
    let mut first = RawPlayer::join(server, seat.hello()).await;
    for _ in 0..30 {
        first.next_snapshot("the first player plays").await;
    }
    let before = world_ticks(&first);
    first.leave().await;
    let clients = format!(r#"tickwire_room_clients{{room="{}",name="{name}"}}"#, seat.room);
    server.metric_until(&clients, |clients| clients == 0.0).await;
    wait_until_parked(server, clock, &seat.room, name).await;
    let again = server.seat(&format!("/rooms/{}/join", seat.room), "").await;
    let mut second = RawPlayer::join(server, again.expect("a seat").hello()).await;
    second.next_snapshot("the second player").await;
    let after = world_ticks(&second);
    second.leave().await;
    (before, after)
}

#[tokio::test]
async fn an_emptied_room_gets_a_fresh_world_unless_its_type_keeps_it() {
    let clock = Arc::new(ManualClock::default());
    let mut config: ServerConfig = test_config();
    config.rooms.clock = clock.clone();
    let define = |rooms: &mut RoomTypes| {
        rooms.define("default", |_: &mut Simulation| {});
        rooms.define("fresh", counts_its_ticks);
        rooms.define("keeper", counts_its_ticks).keep_world_when_empty();
    };
    let server = TestServer::start_rooms("127.0.0.1:0", config, define).await;
    let (before, after) = world_ticks_before_and_after_parking(&server, &clock, "fresh").await;
    assert!(before >= 30, "30 snapshots, a tick each at least: {before}");
    assert!(after < before, "a fresh world counts from its build again: {before} -> {after}");
    let (before, after) = world_ticks_before_and_after_parking(&server, &clock, "keeper").await;
    assert!(after > before, "the kept world counts on: {before} -> {after}");
    server.stop().await.expect("clean stop");
}
