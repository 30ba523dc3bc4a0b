//! The client against the real server's rooms: join or create by label, seats, the
//! room list, and a join refused for a room that does not exist.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod util;

use tickwire_client::{ClientBuilder, Event, Label, MatchRequest, Matchmaker};
use tokio::time::timeout;
use util::{WAIT, start_server, test_config};

#[tokio::test]
async fn clients_matched_by_label_share_a_room_and_play_in_it() {
    let (base, _stop) = start_server(test_config()).await;
    let matchmaker = Matchmaker::new(&base).unwrap();
    let request = MatchRequest::new("default").label("mode", "e2e");

    let seat = timeout(WAIT, matchmaker.join_or_create(&request))
        .await
        .expect("the matchmaker should answer within the wait")
        .expect("join-or-create should give a seat");
    assert_ne!(seat.room, "default", "a labelled request should not land in the default room");
    let mut first = timeout(WAIT, ClientBuilder::seat(seat.clone()).connect())
        .await
        .expect("connecting should not hang")
        .expect("the seat should be redeemed");
    assert_eq!(first.welcome().room, seat.room, "Welcome should name the seat's room");
    assert_eq!(first.welcome().room_name, "default");

    let second = timeout(WAIT, ClientBuilder::matchmake(matchmaker.clone(), request).connect())
        .await
        .expect("connecting should not hang")
        .expect("the second client should be matched");
    assert_eq!(second.welcome().room, seat.room, "the same label should find the same room");

    let mut label = Label::new();
    label.insert("mode".into(), "e2e".into());
    let rooms = matchmaker.list(Some("default"), &label).await.expect("the list should come");
    assert_eq!(rooms.len(), 1, "one room has the label: {rooms:?}");
    assert_eq!(rooms[0].id, seat.room);
    assert!(rooms[0].clients >= 2, "both players should count: {rooms:?}");

    let snapshot = timeout(WAIT, async {
        loop {
            match first.next_event().await {
                Some(Event::Snapshot { .. }) => return true,
                Some(Event::Closed { .. }) | None => return false,
                Some(_) => {}
            }
        }
    })
    .await
    .expect("a snapshot should come within the wait");
    assert!(snapshot, "the room should send snapshots");
    let me = first.welcome().actor_id;
    assert!(first.world().position(me).is_some(), "the player's actor should be in its room");
}

#[tokio::test]
async fn seats_in_a_missing_room_are_refused_with_404() {
    let (base, _stop) = start_server(test_config()).await;
    let matchmaker = Matchmaker::new(&base).unwrap();
    let error = matchmaker.join("nosuchroom").await.expect_err("there is no such room");
    assert_eq!(error.status(), Some(404), "{error}");
    let error = matchmaker
        .create(&MatchRequest::new("no-such-type"))
        .await
        .expect_err("there is no such room type");
    assert_eq!(error.status(), Some(400), "{error}");
}
