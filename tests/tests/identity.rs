//! With an auth secret, a session belongs to the player its auth token names: a resume
//! token works only for that player, and a player holds one session at a time (a new
//! connection takes the session over, actor and all).

use std::time::Duration;

use tickwire_client::{Client, ClientBuilder};
use tickwire_net::SignedTokens;
use tickwire_protocol::Hello;
use tickwire_tests::{TestServer, closed, next_snapshot, raw_hello, test_config};

const SECRET: &str = "test-secret";

fn auth_token(player: &str) -> String {
    SignedTokens::new(SECRET).mint(player, Duration::from_secs(60)).expect("a valid player name")
}

async fn start() -> TestServer {
    let mut config = test_config();
    config.auth_secret = Some(SECRET.into());
    TestServer::start(config).await
}

async fn connect_as(server: &TestServer, player: &str) -> Client {
    ClientBuilder::new(server.ws_url())
        .auth_token(auth_token(player))
        .reconnect(false)
        .connect()
        .await
        .unwrap_or_else(|error| panic!("{player} should get in: {error}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_players_resume_token_starts_a_fresh_session() {
    let server = start().await;
    let mut alice = connect_as(&server, "alice").await;
    let alices_actor = alice.welcome().actor_id;
    next_snapshot(&mut alice, "alice before mallory").await;

    let hello = Hello {
        auth_token: Some(auth_token("mallory")),
        resume_token: Some(alice.welcome().resume_token),
        ..Hello::new()
    };
    let (_mallory, welcome) = raw_hello(&server, hello).await;
    assert!(!welcome.resumed, "alice's resume token should not resume anything for mallory");
    assert_ne!(welcome.actor_id, alices_actor, "mallory should not get alice's actor");
    assert_eq!(
        server.metric(r#"tickwire_resumes_total{result="wrong_player"}"#).await,
        1.0,
        "the refused resume should be counted"
    );

    let world = next_snapshot(&mut alice, "alice after mallory's attempt").await;
    assert!(world.get(alices_actor).is_some(), "alice should keep her session and her actor");
    let world = next_snapshot(&mut alice, "alice still served").await;
    assert!(world.get(welcome.actor_id).is_some(), "mallory's fresh actor should be in the world");
    server.stop().await.expect("the server should stop cleanly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_player_holds_one_session_and_a_new_connection_takes_it_over() {
    let server = start().await;
    let mut first = connect_as(&server, "alice").await;
    let actor = first.welcome().actor_id;
    next_snapshot(&mut first, "alice's first connection").await;

    let hello = Hello { auth_token: Some(auth_token("alice")), ..Hello::new() };
    let (_second, welcome) = raw_hello(&server, hello).await;
    assert!(welcome.resumed, "alice's new connection should take over her session");
    assert_eq!(welcome.actor_id, actor, "alice's new connection should get her actor");
    let (code, reason) = closed(&mut first, "alice's first connection").await;
    assert_eq!(code, Some(1000), "the replaced connection should be closed normally: {reason}");

    let _bob = connect_as(&server, "bob").await;
    assert_eq!(
        server.metric("tickwire_sessions").await,
        2.0,
        "alice should hold one session, bob another"
    );
    server.stop().await.expect("the server should stop cleanly");
}
