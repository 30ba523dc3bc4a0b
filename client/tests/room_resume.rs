//! Against the real server: a client in a room that loses its connection resumes into that
//! room, and when the room refuses the resume (its grace ran out: 4005) it joins the same
//! room again with a new seat from the matchmaker.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod util;

use std::time::Duration;

use tickwire_client::{Client, ClientBuilder, Event, MatchRequest, Matchmaker};
use tokio::time::timeout;
use util::{Proxy, WAIT, start_server, test_config};

async fn next_event(client: &mut Client) -> Event {
    loop {
        let event = timeout(WAIT, client.next_event())
            .await
            .expect("an event should come within the wait")
            .expect("the client should not be finished");
        if !matches!(event, Event::Snapshot { .. } | Event::RoundTrip(_) | Event::InputAck { .. }) {
            return event;
        }
    }
}

/// Starts a server with `grace` to resume, a room with one player who stays (so the room
/// lives on), and a client in that room connected through a proxy.
async fn player_behind_a_proxy(grace: Duration) -> (Client, Client, Proxy, impl Drop) {
    let mut config = test_config();
    config.sim.resume_grace = grace;
    let (base, stop) = start_server(config).await;
    let matchmaker = Matchmaker::new(&base).unwrap();
    let request = MatchRequest::new("default").label("test", "room_resume");
    let stays = ClientBuilder::matchmake(matchmaker.clone(), request).connect().await.unwrap();
    let mut seat = matchmaker.join(&stays.welcome().room).await.unwrap();
    let server = base.strip_prefix("http://").unwrap().parse().unwrap();
    let proxy = Proxy::start(server).await;
    // Through the proxy: the WebSocket, and the matchmaker the client derives from it.
    seat.url = format!("ws://{}/ws", proxy.addr);
    let player = ClientBuilder::seat(seat)
        .retry(Duration::from_millis(10), Duration::from_millis(50), 100)
        .connect()
        .await
        .unwrap();
    assert_eq!(player.welcome().room, stays.welcome().room, "the seat's room");
    (player, stays, proxy, StopOnDrop(Some(stop)))
}

struct StopOnDrop(Option<tokio::sync::oneshot::Sender<()>>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        if let Some(stop) = self.0.take() {
            let _ = stop.send(());
        }
    }
}

#[tokio::test]
async fn a_lost_connection_resumes_into_its_room() {
    let (mut player, stays, proxy, _server) = player_behind_a_proxy(Duration::from_secs(30)).await;
    let actor = player.welcome().actor_id;
    proxy.cut(Duration::ZERO);
    assert!(matches!(next_event(&mut player).await, Event::Reconnecting { .. }));
    assert_eq!(next_event(&mut player).await, Event::Reconnected { resumed: true });
    assert_eq!(player.welcome().room, stays.welcome().room, "the resume should stay in the room");
    assert_eq!(player.welcome().actor_id, actor, "with the same actor");
}

#[tokio::test]
async fn a_refused_resume_joins_the_same_room_with_a_new_seat() {
    let (mut player, stays, proxy, _server) = player_behind_a_proxy(Duration::ZERO).await;
    let actor = player.welcome().actor_id;
    // Down long enough for the server to see the connection gone and its grace end.
    proxy.cut(Duration::from_millis(300));
    assert!(matches!(next_event(&mut player).await, Event::Reconnecting { .. }));
    let back = next_event(&mut player).await;
    assert_eq!(back, Event::Reconnected { resumed: false }, "a rejoin is a new player");
    assert_eq!(player.welcome().room, stays.welcome().room, "in the same room");
    assert_ne!(player.welcome().actor_id, actor, "with a new actor");
}
