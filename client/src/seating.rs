//! [`Seating`]: which `Hello` each connection of a session sends, and whether a refused
//! resume can be saved with a new seat. The session's URL, seat, resume token and room in
//! one small pure type, so the reconnect loop in `driver` stays a loop.
//!
//! The first connection redeems the seat the client was built with (without one, it
//! joins the server's default room). Every `Welcome` gives a resume token and the room's
//! id; a reconnect sends both, since the server needs the room to find the session.
//!
//! A resume into a room can be refused with 4005 (`seat_refused`: the room no longer
//! holds the session, or the room is gone). A client that knows its matchmaker then asks
//! it once for a new seat in the same room (join by id) and connects with that: it comes
//! back as a new player ([`crate::Event::Reconnected`] with `resumed: false`). A second
//! refusal before a `Welcome`, a failed join, or a client without a matchmaker ends the
//! client ([`crate::Event::Closed`]). After a `Welcome`, a later outage may rejoin once
//! again.
//!
//! A client that matchmade ([`crate::ClientBuilder::matchmake`]) also keeps its request:
//! when its room is gone for good (the join by id answers 404) or its server cannot be
//! reached at all (its process died: in a cluster, the room went with it), it asks the
//! matchmaker again with the same request and lands in a room elsewhere.

use tickwire_protocol::{CloseCode, Hello, ResumeToken, Welcome};

use crate::matchmaker::{MatchRequest, Matchmaker, Seat};

/// Where a session connects and what its `Hello` carries.
#[derive(Debug, Clone)]
pub(crate) struct Seating {
    /// The WebSocket URL: the seat's, else the one the client was built with.
    url: String,
    /// A seat not redeemed yet: the next `Hello` carries it instead of a resume.
    seat: Option<String>,
    /// From the last `Welcome`.
    resume_token: Option<ResumeToken>,
    /// The room of the last `Welcome` (`None` from a server without rooms).
    room: Option<String>,
    /// Where to ask for a new seat when a resume is refused.
    matchmaker: Option<Matchmaker>,
    /// What the client matchmade with, to ask again when its room is lost.
    request: Option<MatchRequest>,
    /// A new seat was fetched since the last `Welcome`.
    rejoined: bool,
}

/// What to do about a connection refused with a code that forbids reconnecting as before.
#[derive(Debug, Clone)]
pub(crate) enum Refusal {
    /// Ask `matchmaker` for a new seat in `room`, then connect with it.
    Rejoin {
        /// The session's matchmaker.
        matchmaker: Matchmaker,
        /// The room to join again.
        room: String,
    },
    /// Nothing helps: the client is closed.
    GiveUp,
}

impl Seating {
    /// A session at `url` (`ws://host:port/ws`) joining the default room.
    pub(crate) fn default_room(url: String) -> Self {
        Self {
            url,
            seat: None,
            resume_token: None,
            room: None,
            matchmaker: None,
            request: None,
            rejoined: false,
        }
    }

    /// A session redeeming `seat`, from `matchmaker` (asked again if a resume is refused).
    pub(crate) fn seated(seat: Seat, matchmaker: Option<Matchmaker>) -> Self {
        Self {
            url: seat.url,
            seat: Some(seat.seat),
            matchmaker,
            ..Self::default_room(String::new())
        }
    }

    /// A session redeeming `seat`, which `matchmaker` gave for `request` (asked again
    /// when the room is lost).
    pub(crate) fn matched(seat: Seat, matchmaker: Matchmaker, request: MatchRequest) -> Self {
        Self { request: Some(request), ..Self::seated(seat, Some(matchmaker)) }
    }

    /// The matchmaker and request to find a new room with, if the client matchmade.
    pub(crate) fn rematch(&self) -> Option<(Matchmaker, MatchRequest)> {
        self.matchmaker.clone().zip(self.request.clone())
    }

    /// Where the next connection goes.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// The next connection's `Hello`: `base` (auth, timing) with the unredeemed seat, or
    /// else the resume token and its room.
    pub(crate) fn hello(&self, base: Hello) -> Hello {
        match &self.seat {
            Some(seat) => {
                Hello { seat: Some(seat.clone()), resume_token: None, room: None, ..base }
            }
            None => Hello {
                seat: None,
                resume_token: self.resume_token,
                room: self.room.clone(),
                ..base
            },
        }
    }

    /// A connection was welcomed: its seat is used up; resume into its room from now on.
    pub(crate) fn welcomed(&mut self, welcome: &Welcome) {
        self.seat = None;
        self.resume_token = Some(welcome.resume_token);
        self.room = Some(welcome.room.clone()).filter(|room| !room.is_empty());
        self.rejoined = false;
    }

    /// What a refusal with `code` (one that is never retried as it was) leads to.
    pub(crate) fn refused(&self, code: Option<u16>) -> Refusal {
        match (&self.matchmaker, &self.room) {
            (Some(matchmaker), Some(room))
                if code.map(CloseCode::from) == Some(CloseCode::SeatRefused) && !self.rejoined =>
            {
                Refusal::Rejoin { matchmaker: matchmaker.clone(), room: room.clone() }
            }
            _ => Refusal::GiveUp,
        }
    }

    /// The matchmaker gave a new seat: the next connection goes to its URL and redeems it.
    pub(crate) fn reseated(&mut self, seat: Seat) {
        (self.url, self.seat) = (seat.url, Some(seat.seat));
        self.rejoined = true;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use glam::Vec2;
    use tickwire_protocol::Settings;

    use super::*;

    const SEAT_REFUSED: Option<u16> = Some(4005);

    fn seat(room: &str, token: &str) -> Seat {
        Seat {
            room: room.into(),
            name: "default".into(),
            url: format!("ws://127.0.0.1:1/ws?{room}"),
            seat: token.into(),
            expires_in: Duration::from_secs(15),
        }
    }

    fn welcome(room: &str, token: u8) -> Welcome {
        Welcome {
            field_names: Vec::new(),
            event_names: Vec::new(),
            resume_token: ResumeToken([token; 16]),
            resumed: false,
            session_id: 1,
            actor_id: 1,
            tick: 0,
            settings: Settings::default(),
            arena_size: Vec2::ONE,
            room: room.into(),
            room_name: "default".into(),
            quiet_interval_ms: 0,
        }
    }

    fn matchmaker() -> Option<Matchmaker> {
        Matchmaker::new("http://127.0.0.1:1").ok()
    }

    #[test]
    fn the_first_hello_redeems_the_seat_and_later_ones_resume_into_the_room() {
        let mut seating = Seating::seated(seat("r1", "s1"), matchmaker());
        assert_eq!(seating.url(), "ws://127.0.0.1:1/ws?r1");
        let first = seating.hello(Hello { timing: true, ..Hello::new() });
        assert_eq!(first.seat.as_deref(), Some("s1"), "the first Hello should carry the seat");
        assert!(first.timing, "the base Hello's fields should be kept");
        assert_eq!((first.resume_token, first.room), (None, None));

        seating.welcomed(&welcome("r1", 7));
        let again = seating.hello(Hello::new());
        assert_eq!(again.seat, None, "a used seat should not be sent again");
        assert_eq!(again.resume_token, Some(ResumeToken([7; 16])));
        assert_eq!(again.room.as_deref(), Some("r1"), "a resume should name its room");
    }

    #[test]
    fn the_default_room_resumes_with_its_id_and_an_old_server_without_one() {
        let mut seating = Seating::default_room("ws://h/ws".into());
        assert_eq!(seating.hello(Hello::new()), Hello::new(), "a plain first Hello");
        seating.welcomed(&welcome("default", 1));
        assert_eq!(seating.hello(Hello::new()).room.as_deref(), Some("default"));
        seating.welcomed(&welcome("", 2));
        assert_eq!(seating.hello(Hello::new()).room, None, "a server without rooms names none");
    }

    #[test]
    fn a_refused_resume_rejoins_the_room_once_per_outage() {
        let mut seating = Seating::seated(seat("r1", "s1"), matchmaker());
        seating.welcomed(&welcome("r1", 1));
        let Refusal::Rejoin { room, .. } = seating.refused(SEAT_REFUSED) else {
            panic!("a refused resume in a room should rejoin it");
        };
        assert_eq!(room, "r1");
        seating.reseated(seat("r1", "s2"));
        assert_eq!(seating.url(), "ws://127.0.0.1:1/ws?r1");
        assert_eq!(seating.hello(Hello::new()).seat.as_deref(), Some("s2"));
        assert!(
            matches!(seating.refused(SEAT_REFUSED), Refusal::GiveUp),
            "a second refusal before a Welcome should give up"
        );
        seating.welcomed(&welcome("r1", 2));
        assert!(
            matches!(seating.refused(SEAT_REFUSED), Refusal::Rejoin { .. }),
            "after a Welcome, a new outage may rejoin again"
        );
    }

    #[test]
    fn other_refusals_and_clients_without_a_matchmaker_give_up() {
        let mut seating = Seating::seated(seat("r1", "s1"), matchmaker());
        seating.welcomed(&welcome("r1", 1));
        assert!(matches!(seating.refused(Some(4001)), Refusal::GiveUp), "unauthorized is final");
        assert!(matches!(seating.refused(None), Refusal::GiveUp));

        let mut alone = Seating::seated(seat("r1", "s1"), None);
        alone.welcomed(&welcome("r1", 1));
        assert!(matches!(alone.refused(SEAT_REFUSED), Refusal::GiveUp));

        let mut unseated = Seating::default_room("ws://h/ws".into());
        assert!(matches!(unseated.refused(SEAT_REFUSED), Refusal::GiveUp), "no room known yet");
        unseated.welcomed(&welcome("default", 1));
        assert!(matches!(unseated.refused(SEAT_REFUSED), Refusal::GiveUp), "no matchmaker");
    }
}
