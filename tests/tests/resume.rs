//! A player whose connection drops keeps its actor: the client reconnects on its own and
//! resumes within the grace window; after it, the actor is gone; a token works until the
//! client shows it holds the next one (so a reconnect cut before its `Welcome` can be
//! retried); a goodbye removes the actor at once.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use glam::Vec2;
use tickwire_client::{Client, ClientBuilder, Event};
use tickwire_protocol::{
    ActorKind, ClientMessage, Hello, Input, ResumeToken, ServerMessage, Welcome,
};
use tickwire_tests::{
    Proxy, RawSocket, TestServer, WAIT, next_snapshot, raw_close, raw_connect, raw_hello,
    snapshot_after, test_config, wait_for,
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

/// Sends an input on `socket` and waits for the server to acknowledge it: proof that the
/// server heard from this client after its `Welcome`.
async fn heard_from(socket: &mut RawSocket) {
    let input = Input { sequence: 1, direction: Vec2::X, ack_tick: 0 };
    let message = Message::Binary(ClientMessage::Input(input).encode());
    socket.send(message).await.expect("the input should be sent");
    let acked = async {
        while let Some(Ok(message)) = socket.next().await {
            if let Message::Binary(frame) = message
                && let Ok(ServerMessage::InputAck { sequence: 1, .. }) =
                    ServerMessage::decode(&frame)
            {
                return;
            }
        }
        panic!("the server should acknowledge the input");
    };
    tokio::time::timeout(WAIT, acked).await.expect("the input should be acknowledged in time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resume_token_works_once_its_client_holds_the_next() {
    let server = TestServer::start(test_config()).await;
    let first = raw_welcome(&server, None).await;
    let hello = Hello { resume_token: Some(first.resume_token), ..Hello::new() };
    let (mut socket, resumed) = raw_hello(&server, hello).await;
    assert!(resumed.resumed, "the token should resume its session");
    assert_eq!(resumed.actor_id, first.actor_id, "resuming should keep the actor");
    heard_from(&mut socket).await;
    drop(socket);
    let again = raw_welcome(&server, Some(first.resume_token)).await;
    assert!(!again.resumed, "the token should not work once its client used the next one");
    assert_ne!(again.actor_id, first.actor_id);
    server.stop().await.expect("the server should stop cleanly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_sessions_token_closes_it_and_hands_its_actor_on() {
    let server = TestServer::start(test_config()).await;
    // The client's old connection still looks fine to the server: the client noticed a
    // dead link first and comes back on a new one.
    let (mut old, first) = raw_hello(&server, Hello::new()).await;
    let hello = Hello { resume_token: Some(first.resume_token), ..Hello::new() };
    let (_new, resumed) = raw_hello(&server, hello).await;
    assert!(resumed.resumed, "a live session's token should resume it");
    assert_eq!(resumed.actor_id, first.actor_id, "the new connection should get the actor");
    let (code, reason) = raw_close(&mut old, "the replaced connection").await;
    assert_eq!(
        (code, reason.as_str()),
        (1000, "this session was resumed by a new connection"),
        "the old connection should be told why it ends"
    );
    server.stop().await.expect("the server should stop cleanly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reconnect_cut_before_its_welcome_is_retried_with_the_same_token() {
    let server = TestServer::start(test_config()).await;
    let first = raw_welcome(&server, None).await;
    // The reconnect says Hello and its connection dies before it reads the Welcome.
    let hello = Hello { resume_token: Some(first.resume_token), ..Hello::new() };
    drop(raw_connect(&server, Message::Binary(ClientMessage::Hello(hello).encode())).await);
    let retried = raw_welcome(&server, Some(first.resume_token)).await;
    assert!(retried.resumed, "the retry with the same token should resume");
    assert_eq!(retried.actor_id, first.actor_id, "the retry should get the actor back");
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
