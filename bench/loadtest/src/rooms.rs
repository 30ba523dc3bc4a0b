//! The rooms a Tickwire run spreads its bots over (`--rooms N`): created through the
//! server's matchmaking API before the ramp, then bot `i` gets a seat in room `i % N`.
//!
//! Creating a room reserves a seat in it; that seat goes to the room's first bot, so no
//! seat is wasted. A seat expires (15 s on Tickwire), and a long ramp can reach a room's
//! first bot later than that: an expired seat is left unused and the bot joins by id like
//! the others.

use std::num::NonZeroU32;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use serde_json::{Map, Value};
use tickwire_client::{MatchError, MatchRequest, Matchmaker, Seat};
use tokio::time::Instant;

/// The room type a run creates: Tickwire's built-in one.
const ROOM_TYPE: &str = "default";

/// How long before its expiry a creator's seat is no longer handed out: the bot still has
/// to connect and say `Hello` with it.
const SEAT_MARGIN: Duration = Duration::from_secs(2);

/// The run's rooms (at least one), and the seats their creation reserved.
#[derive(Debug)]
pub(crate) struct Rooms {
    matchmaker: Matchmaker,
    rooms: Vec<CreatedRoom>,
}

#[derive(Debug)]
struct CreatedRoom {
    id: String,
    /// The seat reserved by the creation, until a bot takes it; with when it expires.
    /// A `std` mutex: held for a `take`, never across an `.await`.
    first_seat: Mutex<Option<(Seat, Instant)>>,
}

impl Rooms {
    /// Creates `count` rooms, each with `options` (`None`: the type's defaults), one
    /// after the other.
    ///
    /// # Errors
    /// [`MatchError`] if a room cannot be created; rooms created before stay until the
    /// server closes them.
    pub(crate) async fn create(
        matchmaker: Matchmaker,
        count: NonZeroU32,
        options: Option<Map<String, Value>>,
    ) -> Result<Self, MatchError> {
        let mut request = MatchRequest::new(ROOM_TYPE);
        request.options = options;
        let mut rooms = Vec::new();
        for _ in 0..count.get() {
            let asked = Instant::now();
            let seat = matchmaker.create(&request).await?;
            let expires = asked + seat.expires_in;
            rooms.push(CreatedRoom {
                id: seat.room.clone(),
                first_seat: Mutex::new(Some((seat, expires))),
            });
        }
        Ok(Self { matchmaker, rooms })
    }

    /// How many rooms the run created.
    pub(crate) fn count(&self) -> usize {
        self.rooms.len()
    }

    /// A seat for bot `bot` in room `bot % count`: the creation's seat if it is still
    /// fresh and untaken, else a new one (join by id).
    ///
    /// # Errors
    /// [`MatchError`] if the join fails (404: the room is gone; 409: full or locked).
    pub(crate) async fn seat_for(&self, bot: u32) -> Result<Seat, MatchError> {
        // In bounds: `create` made at least one room.
        let room = &self.rooms[bot as usize % self.rooms.len()];
        let first = room.first_seat.lock().unwrap_or_else(PoisonError::into_inner).take();
        match first {
            Some((seat, expires)) if Instant::now() + SEAT_MARGIN < expires => Ok(seat),
            _ => self.matchmaker.join(&room.id).await,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::io::{Read, Write};
    use std::net::TcpListener;

    use super::*;

    /// A matchmaker answering `answers` in order, one per connection, from a thread; the
    /// requests' first lines come back through the returned receiver.
    fn canned(answers: Vec<String>) -> (Matchmaker, std::sync::mpsc::Receiver<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        let (lines, received) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for body in answers {
                let Ok((mut socket, _)) = listener.accept() else { return };
                let mut request = Vec::new();
                let mut buffer = [0u8; 1024];
                while !request.windows(4).any(|window| window == b"\r\n\r\n") {
                    match socket.read(&mut buffer) {
                        Ok(0) | Err(_) => return,
                        Ok(read) => request.extend_from_slice(&buffer[..read]),
                    }
                }
                let text = String::from_utf8_lossy(&request);
                let _ = lines.send(text.lines().next().unwrap_or_default().to_owned());
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(answer.as_bytes());
            }
        });
        (Matchmaker::new(&address).unwrap(), received)
    }

    fn seat(room: &str, token: &str, expires_in_ms: u64) -> String {
        serde_json::json!({"room": room, "name": "default", "url": "ws://h/ws", "seat": token,
            "expires_in_ms": expires_in_ms})
        .to_string()
    }

    #[tokio::test]
    async fn bots_take_the_creation_seats_first_then_join_round_robin() {
        let (matchmaker, lines) =
            canned(vec![seat("a", "a1", 15_000), seat("b", "b1", 15_000), seat("a", "a2", 15_000)]);
        let rooms = Rooms::create(matchmaker, NonZeroU32::new(2).unwrap(), None).await.unwrap();
        assert_eq!(rooms.count(), 2);
        assert_eq!(rooms.seat_for(0).await.unwrap().seat, "a1", "bot 0 takes room a's seat");
        assert_eq!(rooms.seat_for(1).await.unwrap().seat, "b1", "bot 1 takes room b's seat");
        let third = rooms.seat_for(2).await.unwrap();
        assert_eq!((third.room.as_str(), third.seat.as_str()), ("a", "a2"));
        let asked: Vec<String> = lines.try_iter().collect();
        assert_eq!(
            asked,
            ["POST /rooms HTTP/1.1", "POST /rooms HTTP/1.1", "POST /rooms/a/join HTTP/1.1"]
        );
    }

    #[tokio::test]
    async fn a_seat_about_to_expire_is_not_handed_out() {
        let (matchmaker, lines) = canned(vec![seat("a", "a1", 1_000), seat("a", "a2", 15_000)]);
        let rooms = Rooms::create(matchmaker, NonZeroU32::MIN, None).await.unwrap();
        assert_eq!(rooms.seat_for(0).await.unwrap().seat, "a2", "a 1 s seat is too short");
        assert_eq!(lines.try_iter().last().as_deref(), Some("POST /rooms/a/join HTTP/1.1"));
    }
}
