//! With an auth secret, only players with a valid signed token get in; the others are
//! told why, with close code 4001.

use std::time::Duration;

use tickwire_client::{ClientBuilder, ClientError};
use tickwire_net::SignedTokens;
use tickwire_tests::{TestServer, next_snapshot, test_config};

async fn refusal(server: &TestServer, token: Option<String>) -> (u16, String) {
    let mut builder = ClientBuilder::new(server.ws_url()).reconnect(false);
    if let Some(token) = token {
        builder = builder.auth_token(token);
    }
    match builder.connect().await {
        Err(ClientError::Refused { code, reason }) => (code, reason),
        other => panic!("the client should be refused, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_signed_tokens_get_in() {
    let mut config = test_config();
    config.auth_secret = Some("test-secret".into());
    let server = TestServer::start(config).await;
    let tokens = SignedTokens::new("test-secret");

    let token = tokens.mint("alice", Duration::from_secs(60)).expect("a valid player name");
    let mut alice = ClientBuilder::new(server.ws_url())
        .auth_token(token)
        .connect()
        .await
        .expect("alice should get in");
    next_snapshot(&mut alice, "alice").await;

    let (code, reason) = refusal(&server, None).await;
    assert_eq!(code, 4001, "no token should be refused with 4001");
    assert!(
        reason.contains("needs an auth token"),
        "the reason should say a token is needed: {reason}"
    );

    let wrong = SignedTokens::new("another-secret")
        .mint("mallory", Duration::from_secs(60))
        .expect("valid");
    let (code, reason) = refusal(&server, Some(wrong)).await;
    assert_eq!(code, 4001, "a token signed with another secret should be refused");
    assert!(reason.contains("signature"), "the reason should name the signature: {reason}");

    let expired = tokens.mint("bob", Duration::ZERO).expect("valid");
    let (code, reason) = refusal(&server, Some(expired)).await;
    assert_eq!(code, 4001, "an expired token should be refused");
    assert!(reason.contains("expired"), "the reason should say it expired: {reason}");
    server.stop().await.expect("the server should stop cleanly");
}
