//! A player whose connection drops keeps its actor: the client reconnects on its own and
//! resumes within the grace window; after it, the actor is gone; a token works once; a
//! goodbye removes the actor at once.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use glam::Vec2;
use tickwire_client::{Client, ClientBuilder, Event};
use tickwire_protocol::{ActorKind, ClientMessage, Hello, Input, ResumeToken, Welcome};
use tickwire_tests::{
    Proxy, TestServer, WAIT, next_snapshot, raw_hello, snapshot_after, test_config, wait_for,
};
use tokio_tungstenite::tungstenite::Message;

fn players(world: &tickwire_protocol::WorldState) -> Vec<u32> {
    world.rows().filter(|row| row.kind == ActorKind::Player).map(|row| row.id).collect()
}

/// Waits until the observer's mirror shows exactly `expected` players.
async fn players_become(observer: &mut Client, expected: &[u32], what: &str) {
    let expected = expected.to_vec();
    wait_for(observer, what, |client, event| {
        (matches!(event, Event::Snapshot { .. }) && players(client.world()) == expected)
            .then_some(())
    })
    .await;
}

/// Says `Hello` (with `token`) on a raw socket, returns the `Welcome` and drops the
/// connection without a goodbye.
async fn raw_welcome(server: &TestServer, token: Option<ResumeToken>) -> Welcome {
    raw_hello(server, Hello { resume_token: token, ..Hello::new() }).await.1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_client_reconnects_and_keeps_its_actor() {
    let server = TestServer::start(test_config()).await;
    let proxy = Proxy::start(server.addr).await;
    let mut player = ClientBuilder::new(proxy.ws_url())
        .retry(Duration::from_millis(20), Duration::from_millis(200), 50)
        .connect()
        .await
        .expect("the player should connect through the proxy");
    let mut observer = server.connect().await;
    let actor = player.welcome().actor_id;
    next_snapshot(&mut player, "before the drop").await;
    let mut both = vec![actor, observer.welcome().actor_id];
    both.sort_unstable();
    players_become(&mut observer, &both, "both players present").await;

    proxy.cut();
    let resumed = wait_for(&mut player, "reconnecting after the drop", |_, event| match event {
        Event::Reconnected { resumed } => Some(resumed),
        _ => None,
    })
    .await;
    assert!(resumed, "the client should resume its session");
    assert_eq!(player.welcome().actor_id, actor, "the resumed session should keep its actor");
    let world = next_snapshot(&mut player, "after resuming").await;
    assert!(world.get(actor).is_some(), "the resumed client's mirror should hold its actor");
    players_become(&mut observer, &both, "no duplicate actor after the resume").await;
    server.stop().await.expect("the server should stop cleanly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_the_grace_window_the_actor_is_gone_and_the_token_is_void() {
    let mut config = test_config();
    config.sim.resume_grace = Duration::from_millis(500);
    let server = TestServer::start(config).await;
    let proxy = Proxy::start(server.addr).await;
    let player =
        ClientBuilder::new(proxy.ws_url()).reconnect(false).connect().await.expect("connect");
    let (actor, token) = (player.welcome().actor_id, player.welcome().resume_token);
    let mut observer = server.connect().await;
    let me = observer.welcome().actor_id;
    let mut both = vec![actor, me];
    both.sort_unstable();
    players_become(&mut observer, &both, "both players present").await;

    proxy.cut();
    players_become(&mut observer, &[me], "the dropped actor should go after the grace window")
        .await;
    let late = raw_welcome(&server, Some(token)).await;
    assert!(!late.resumed, "a token past its grace window should not resume");
    assert_ne!(late.actor_id, actor, "a late client should get a new actor");
    drop(player);
    server.stop().await.expect("the server should stop cleanly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resume_token_works_once() {
    let server = TestServer::start(test_config()).await;
    let first = raw_welcome(&server, None).await;
    let resumed = raw_welcome(&server, Some(first.resume_token)).await;
    assert!(resumed.resumed, "the token should resume its session");
    assert_eq!(resumed.actor_id, first.actor_id, "resuming should keep the actor");
    let again = raw_welcome(&server, Some(first.resume_token)).await;
    assert!(!again.resumed, "the same token should not work twice");
    assert_ne!(again.actor_id, first.actor_id);
    server.stop().await.expect("the server should stop cleanly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_goodbye_removes_the_actor_at_once() {
    let server = TestServer::start(test_config()).await; // grace window: 30 s
    let leaver = server.connect().await;
    let mut observer = server.connect().await;
    let me = observer.welcome().actor_id;
    let mut both = vec![leaver.welcome().actor_id, me];
    both.sort_unstable();
    players_become(&mut observer, &both, "both players present").await;
    drop(leaver); // closes with a normal close frame
    players_become(
        &mut observer,
        &[me],
        "a client that said goodbye should not wait out the grace window",
    )
    .await;
    server.stop().await.expect("the server should stop cleanly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_goodbye_followed_by_a_reset_still_removes_the_actor() {
    let server = TestServer::start(test_config()).await; // grace window: 30 s
    let mut observer = server.connect().await;
    let me = observer.welcome().actor_id;
    for _ in 0..10 {
        // A client that closes and tears the socket down at once (a reset, no closing
        // handshake), while the server is still streaming snapshots to it.
        let tcp = tokio::net::TcpStream::connect(server.addr).await.expect("TCP should connect");
        let (mut socket, _) = tokio_tungstenite::client_async(server.ws_url(), tcp)
            .await
            .expect("the WebSocket handshake should succeed");
        let hello = ClientMessage::Hello(Hello::new());
        socket.send(Message::Binary(hello.encode())).await.expect("Hello should be sent");
        for _ in 0..3 {
            let message = tokio::time::timeout(WAIT, socket.next()).await;
            assert!(matches!(message, Ok(Some(Ok(_)))), "the server should stream: {message:?}");
        }
        socket.send(Message::Close(None)).await.expect("the close frame should be sent");
        socket.get_ref().set_zero_linger().expect("SO_LINGER should be settable");
        drop(socket);
    }
    players_become(
        &mut observer,
        &[me],
        "a goodbye should remove the actor even when a reset follows it at once",
    )
    .await;
    server.stop().await.expect("the server should stop cleanly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_player_dropped_right_after_an_input_stands_still() {
    let server = TestServer::start(test_config()).await; // grace window: 30 s
    let mut observer = server.connect().await;
    let (mut socket, welcome) = raw_hello(&server, Hello::new()).await;
    let actor = welcome.actor_id;
    let start = snapshot_after(&mut observer, welcome.tick, "the dropped player's actor").await;
    let x = start.get(actor).expect("the observer should see the new actor").x;
    let steps_per_unit = i32::from(start.steps_per_unit);
    // Toward the middle, so no wall stops the actor whatever happens.
    let toward_middle = if x < 500 * steps_per_unit { Vec2::X } else { Vec2::NEG_X };
    let input = ClientMessage::Input(Input { sequence: 1, direction: toward_middle, ack_tick: 0 });
    socket.send(Message::Binary(input.encode())).await.expect("the input should be sent");
    drop(socket);
    server.metric_until("tickwire_sessions", |open| open == 1.0).await;

    let stopped = snapshot_after(&mut observer, 0, "after the drop").await;
    let later = snapshot_after(&mut observer, stopped.tick + 30, "half a second later").await;
    let position =
        |world: &tickwire_protocol::WorldState| world.get(actor).map(|row| (row.x, row.y));
    assert!(position(&later).is_some(), "the actor should wait for a resume");
    assert_eq!(
        position(&later),
        position(&stopped),
        "a dropped player's actor should stand still, even with an input just before the drop"
    );
    server.stop().await.expect("the server should stop cleanly");
}
