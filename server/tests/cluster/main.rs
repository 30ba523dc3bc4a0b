//! The cluster for real: a private `redis-server` and three `tickwire-server` processes
//! on loopback. Matchmaking on any process places players in the owner's rooms; a full
//! or draining process sends new rooms elsewhere; concurrent join-or-creates across
//! processes make one room until it is full; a `kill -9`'d process leaves the directory
//! within the entry expiry; a Redis restart is survived and re-registered; SIGTERM
//! drains and then exits.

// Test code throughout (the support module too): a failed expectation is the test failing.
#![allow(clippy::expect_used)]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::Value;
use tickwire_client::{ClientBuilder, Event, Matchmaker, Seat};

mod support;
use support::{Node, Redis, WAIT, eventually, http, http_text, owners, rooms};

/// A process's directory entry expires within this (5 s), plus a refresh's slack.
const EXPIRY: Duration = Duration::from_secs(7);

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime")
}

/// A real player: redeems `seat` and waits for its first snapshot.
async fn play(seat: Seat) -> tickwire_client::Client {
    let mut client = ClientBuilder::seat(seat).connect().await.expect("the owner takes the seat");
    tokio::time::timeout(WAIT, async {
        while let Some(event) = client.next_event().await {
            if matches!(event, Event::Snapshot { .. }) {
                return;
            }
        }
        panic!("the session ended before a snapshot");
    })
    .await
    .expect("a snapshot within the wait");
    client
}

fn seat_from(answer: &Value) -> Seat {
    serde_json::from_value(answer.clone()).expect("a seat answer")
}

#[test]
fn a_full_process_places_new_rooms_on_another_and_the_owner_takes_the_seat() {
    let redis = Redis::start();
    // The default room fills process a's one room.
    let a = Node::start(&redis, "a", &["--max-rooms", "1"]);
    let b = Node::start(&redis, "b", &[]);
    let c = Node::start(&redis, "c", &[]);
    eventually("every process listed", || (owners(&a) == ["a", "b", "c"]).then_some(()));

    let (status, created) = http(&a, "POST", "/rooms", r#"{"name":"default","label":{"m":1}}"#);
    assert_eq!(status, 201, "create through a: {created}");
    let room = created["room"].as_str().expect("a room id").to_owned();
    assert!(room.ends_with("-b"), "a is full; b is the least loaded (then by id): {room}");
    assert_eq!(created["url"], format!("ws://{}/ws", b.address), "the owner's URL");

    // Listed on every process with its owner, at once (the owner publishes first).
    let listed = rooms(&c);
    let entry = listed.iter().find(|listed| listed["id"] == room.as_str()).expect("listed on c");
    assert_eq!(entry["owner"], "b");

    // A join by id through c is a seat from b; b verifies both tokens itself.
    let (status, joined) = http(&c, "POST", &format!("/rooms/{room}/join"), "");
    assert_eq!(status, 200, "join through c: {joined}");
    assert_eq!(joined["url"], created["url"]);
    runtime().block_on(async {
        let first = play(seat_from(&created)).await;
        let second = play(seat_from(&joined)).await;
        assert_eq!(first.welcome().room, room);
        assert_eq!(second.welcome().room, room);
    });

    let (status, _) = http(&c, "POST", "/rooms/nosuchro-zz/join", "");
    assert_eq!(status, 404, "a room of a process that does not exist");
    let (status, refused) = http(&c, "POST", "/matchmake", r#"{"name":"no-such-type"}"#);
    assert_eq!(status, 400, "an unknown type is refused before any lock: {refused}");
    let (status, metrics) = http_text(&b, "GET", "/metrics", "");
    assert_eq!(status, 200);
    assert!(metrics.contains("tickwire_process_info{process=\"b\"} 1"), "b names itself");
    assert!(metrics.contains("tickwire_directory_up 1"), "b is in the directory");
    let (_, metrics) = http_text(&c, "GET", "/metrics", "");
    assert!(
        metrics.contains("tickwire_matchmaking_forwarded_total{result=\"seated\"} 1"),
        "c forwarded one join to b"
    );
}

#[test]
fn concurrent_join_or_create_across_processes_makes_one_room_until_full() {
    let redis = Redis::start();
    let nodes = [
        Node::start(&redis, "a", &[]),
        Node::start(&redis, "b", &[]),
        Node::start(&redis, "c", &[]),
    ];
    let request = r#"{"name":"default","label":{"mode":"duel"},"options":{"max_clients":20}}"#;
    let answers: Vec<(u16, Value)> = std::thread::scope(|scope| {
        let calls: Vec<_> = (0..40)
            .map(|i| {
                let node = &nodes[i % nodes.len()];
                scope.spawn(move || http(node, "POST", "/matchmake", request))
            })
            .collect();
        calls.into_iter().map(|call| call.join().expect("no panic")).collect()
    });
    let mut per_room: BTreeMap<String, usize> = BTreeMap::new();
    for (status, answer) in &answers {
        assert_eq!(*status, 200, "every call gets a seat: {answer}");
        *per_room.entry(answer["room"].as_str().expect("a room").to_owned()).or_default() += 1;
    }
    assert_eq!(
        per_room.values().copied().collect::<Vec<_>>(),
        [20, 20],
        "one room until it is full, then exactly one more: {per_room:?}"
    );
}

#[test]
fn a_killed_process_and_its_rooms_leave_the_directory_and_joins_go_elsewhere() {
    let redis = Redis::start();
    let a = Node::start(&redis, "a", &["--max-rooms", "1"]);
    let mut b = Node::start(&redis, "b", &[]);
    let c = Node::start(&redis, "c", &[]);
    eventually("every process listed", || (owners(&a) == ["a", "b", "c"]).then_some(()));
    let request = r#"{"name":"default","label":{"map":"dust"}}"#;
    let (status, first) = http(&a, "POST", "/matchmake", request);
    assert_eq!(status, 200, "{first}");
    let room = first["room"].as_str().expect("a room").to_owned();
    assert!(room.ends_with("-b"), "made on b: {room}");

    b.kill();
    let killed = Instant::now();
    eventually("b's rooms leave the directory", || (owners(&a) == ["a", "c"]).then_some(()));
    assert!(killed.elapsed() <= EXPIRY, "gone within the expiry: {:?}", killed.elapsed());
    let (status, _) = http(&a, "POST", &format!("/rooms/{room}/join"), "");
    assert_eq!(status, 404, "a dead process's room cannot be joined");
    let (status, again) = http(&a, "POST", "/matchmake", request);
    assert_eq!(status, 200, "{again}");
    assert!(again["room"].as_str().is_some_and(|id| id.ends_with("-c")), "now on c: {again}");
    drop(c);
}

#[test]
fn while_redis_is_gone_rooms_play_on_and_matchmaking_says_503_then_processes_return() {
    let mut redis = Redis::start();
    let a = Node::start(&redis, "a", &[]);
    let b = Node::start(&redis, "b", &[]);
    eventually("both processes listed", || (owners(&a) == ["a", "b"]).then_some(()));
    let (status, seat) = http(&a, "POST", "/rooms", r#"{"name":"default"}"#);
    assert_eq!(status, 201, "{seat}");
    let runtime = runtime();
    let mut player = runtime.block_on(play(seat_from(&seat)));

    redis.kill();
    let (status, refused) = http(&b, "GET", "/rooms", "");
    assert_eq!(status, 503, "a clear 503 without the directory: {refused}");
    assert!(refused["error"].as_str().is_some_and(|text| text.contains("Redis")), "{refused}");
    let (status, _) = http(&b, "POST", "/matchmake", r#"{"name":"default"}"#);
    assert_eq!(status, 503);
    // The room plays on: its player still gets snapshots.
    runtime.block_on(async {
        let mut snapshots = 0;
        while snapshots < 5 {
            match tokio::time::timeout(WAIT, player.next_event()).await {
                Ok(Some(Event::Snapshot { .. })) => snapshots += 1,
                Ok(Some(_)) => {}
                other => panic!("the room should play on without Redis: {other:?}"),
            }
        }
    });

    redis.restart();
    eventually("both processes register again", || (owners(&b) == ["a", "b"]).then_some(()));
    let listed = rooms(&b);
    assert!(listed.iter().any(|room| room["id"] == seat["room"]), "a's room is back: {listed:?}");
}

#[test]
fn sigterm_drains_no_new_rooms_or_players_then_exits_when_empty() {
    let redis = Redis::start();
    let a = Node::start(&redis, "a", &["--max-rooms", "1"]);
    let mut b = Node::start(&redis, "b", &["--drain-grace-secs", "60"]);
    let c = Node::start(&redis, "c", &[]);
    eventually("every process listed", || (owners(&a) == ["a", "b", "c"]).then_some(()));
    let (status, seat) = http(&a, "POST", "/rooms", r#"{"name":"default"}"#);
    assert_eq!(status, 201, "{seat}");
    let room = seat["room"].as_str().expect("a room").to_owned();
    assert!(room.ends_with("-b"));
    let runtime = runtime();
    let player = runtime.block_on(play(seat_from(&seat)));

    b.terminate();
    eventually("b is not ready", || (http(&b, "GET", "/readyz", "").0 == 503).then_some(()));
    assert_eq!(http(&b, "GET", "/healthz", "").0, 200, "liveness stays");
    eventually("b listed as draining: new rooms go to c", || {
        let (status, created) = http(&a, "POST", "/rooms", r#"{"name":"default"}"#);
        (status == 201 && created["room"].as_str().is_some_and(|id| id.ends_with("-c")))
            .then_some(())
    });
    let (status, refused) = http(&a, "POST", &format!("/rooms/{room}/join"), "");
    assert_eq!(status, 503, "a draining process takes no new players: {refused}");
    assert_eq!(b.exited_cleanly(), None, "b runs on while its player plays");

    drop(player);
    let clean = eventually("b exits once empty", || b.exited_cleanly());
    assert!(clean, "b exits with success after draining");
    assert!(!owners(&a).contains(&"b".to_owned()), "b left the directory as it stopped");
    drop(c);
}

#[test]
fn the_rust_matchmaker_lists_owners_across_the_cluster() {
    let redis = Redis::start();
    let a = Node::start(&redis, "a", &[]);
    let b = Node::start(&redis, "b", &[]);
    eventually("both processes listed", || (owners(&a) == ["a", "b"]).then_some(()));
    runtime().block_on(async {
        let matchmaker = Matchmaker::new(&b.http_url()).expect("an address");
        let listed = matchmaker.list(None, &Default::default()).await.expect("a listing");
        let mut owners: Vec<_> = listed.iter().filter_map(|room| room.owner.clone()).collect();
        owners.sort();
        assert_eq!(owners, ["a", "b"], "every process's default room, with its owner");
        let refused = matchmaker.join("zzzzzzzz-a").await.expect_err("no such room on a");
        assert_eq!(refused.status(), Some(404));
    });
}

#[test]
fn a_matchmade_player_whose_process_dies_matchmakes_again_into_another() {
    let redis = Redis::start();
    let a = Node::start(&redis, "a", &["--max-rooms", "1"]);
    let mut b = Node::start(&redis, "b", &[]);
    let c = Node::start(&redis, "c", &[]);
    eventually("every process listed", || (owners(&a) == ["a", "b", "c"]).then_some(()));
    runtime().block_on(async {
        let matchmaker = Matchmaker::new(&a.http_url()).expect("an address");
        let request = tickwire_client::MatchRequest::new("default").label("mode", "ctf");
        let mut player = ClientBuilder::matchmake(matchmaker, request)
            .retry(Duration::from_millis(50), Duration::from_millis(400), 40)
            .connect()
            .await
            .expect("a seat and a session");
        let first_room = player.welcome().room.clone();
        assert!(first_room.ends_with("-b"), "b takes the first room: {first_room}");

        b.kill();
        let resumed = tokio::time::timeout(WAIT, async {
            loop {
                match player.next_event().await {
                    Some(Event::Reconnected { resumed }) => return resumed,
                    Some(Event::Closed { code, reason }) => panic!("closed: {code:?} {reason}"),
                    Some(_) => {}
                    None => panic!("the client ended"),
                }
            }
        })
        .await
        .expect("back in a room within the wait");
        let room = &player.welcome().room;
        assert!(room.ends_with("-c"), "matchmade again onto c: {room}");
        assert!(!resumed, "a new room is a new session");
    });
    drop(c);
}
