//! [`Places`]: who holds a place in one room, and since when it has been empty.
//!
//! A place is held by a live session, by a dropped session waiting out its resume grace,
//! or by a seat the matchmaker reserved and nobody has used yet. All three count toward
//! the room's capacity: a seat handed out is a promise that its holder gets in, and a
//! dropped player must find their place when they come back. Seats and dropped sessions
//! expire at their deadlines. Pure: every call takes `now`, so the rules are tested with a
//! manual clock.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Instant;

use tickwire_net::SeatId;
use tickwire_sim::SessionId;

/// The places of one room.
#[derive(Debug)]
pub(crate) struct Places {
    live: HashSet<SessionId>,
    /// Dropped sessions, until their grace ends.
    lingering: HashMap<SessionId, Instant>,
    /// Reserved seats, until they expire.
    seats: HashMap<SeatId, Instant>,
    /// When the last place was freed (or the room made), while nothing holds one.
    empty_since: Option<Instant>,
    /// Stamped anew whenever the sessions holding a place change (see
    /// [`Places::sessions_version`]).
    sessions_version: u64,
}

/// Where version stamps come from: unique across every room of the process, so a room
/// made again under an old id never repeats a stamp its predecessor had.
static VERSION_STAMPS: AtomicU64 = AtomicU64::new(0);

/// Why a seat could not be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SeatError {
    /// It expired, was used already, or never belonged to this room.
    Unknown,
}

impl Places {
    /// An empty room, made at `now`.
    pub(crate) fn new(now: Instant) -> Self {
        Self {
            live: HashSet::new(),
            lingering: HashMap::new(),
            seats: HashMap::new(),
            empty_since: Some(now),
            sessions_version: VERSION_STAMPS.fetch_add(1, Relaxed),
        }
    }

    /// A stamp that changes whenever a session takes, changes or frees a place (and never
    /// otherwise): the process-state watch lists every player again only when a room's
    /// stamp moved, not once a second for nothing.
    pub(crate) fn sessions_version(&self) -> u64 {
        self.sessions_version
    }

    fn sessions_changed(&mut self) {
        self.sessions_version = VERSION_STAMPS.fetch_add(1, Relaxed);
    }

    /// Places held now (after dropping what expired by `now`).
    pub(crate) fn taken(&mut self, now: Instant) -> usize {
        self.expire(now);
        self.live.len() + self.lingering.len() + self.seats.len()
    }

    /// Live sessions and lingering ones, with their deadlines: for the admin API.
    pub(crate) fn sessions(&self) -> (Vec<SessionId>, Vec<(SessionId, Instant)>) {
        let mut live: Vec<_> = self.live.iter().copied().collect();
        live.sort_unstable();
        let mut lingering: Vec<_> = self.lingering.iter().map(|(id, at)| (*id, *at)).collect();
        lingering.sort_unstable();
        (live, lingering)
    }

    /// Whether any session is in the room, connected or waiting for a resume (at `now`):
    /// whether its world needs stepping. Reserved seats alone do not.
    pub(crate) fn anyone_playing(&mut self, now: Instant) -> bool {
        self.expire(now);
        !self.live.is_empty() || !self.lingering.is_empty()
    }

    /// Sessions holding a place: live, or waiting for a resume.
    pub(crate) fn sessions_held(&self) -> usize {
        self.live.len() + self.lingering.len()
    }

    /// Seats reserved and not yet used.
    pub(crate) fn seats_reserved(&self) -> usize {
        self.seats.len()
    }

    /// Reserves `seat` until `expires`.
    pub(crate) fn reserve(&mut self, seat: SeatId, expires: Instant, now: Instant) {
        self.seats.insert(seat, expires);
        self.touch(now);
    }

    /// A session uses `seat`: the seat's place becomes the session's.
    pub(crate) fn seat(
        &mut self,
        seat: SeatId,
        session: SessionId,
        now: Instant,
    ) -> Result<(), SeatError> {
        self.expire(now);
        self.seats.remove(&seat).ok_or(SeatError::Unknown)?;
        self.live.insert(session);
        self.sessions_changed();
        self.touch(now);
        Ok(())
    }

    /// A session without a seat takes a place, if fewer than `capacity` are held.
    pub(crate) fn admit(&mut self, session: SessionId, capacity: usize, now: Instant) -> bool {
        if self.taken(now) >= capacity {
            return false;
        }
        self.live.insert(session);
        self.sessions_changed();
        self.touch(now);
        true
    }

    /// `session` took over `previous` (a resume): `previous`'s place becomes its own, and
    /// `seat`, if the client also brought one, is released. A resume is never refused for
    /// capacity: the player held a place a moment ago (its deadline may have passed by a
    /// hair, as the resume book and this count keep separate clocks).
    pub(crate) fn resume(
        &mut self,
        previous: SessionId,
        session: SessionId,
        seat: Option<SeatId>,
        now: Instant,
    ) {
        self.live.remove(&previous);
        self.lingering.remove(&previous);
        if let Some(seat) = seat {
            self.seats.remove(&seat);
        }
        self.live.insert(session);
        self.sessions_changed();
        self.touch(now);
    }

    /// `session` dropped: its place is held until `until`.
    pub(crate) fn linger(&mut self, session: SessionId, until: Instant, now: Instant) {
        if self.live.remove(&session) {
            self.lingering.insert(session, until);
            self.sessions_changed();
        }
        self.touch(now);
    }

    /// `session`'s place is free.
    pub(crate) fn depart(&mut self, session: SessionId, now: Instant) {
        if self.live.remove(&session) | self.lingering.remove(&session).is_some() {
            self.sessions_changed();
        }
        self.touch(now);
    }

    /// How long the room has been empty at `now` (`None`: somebody holds a place).
    pub(crate) fn empty_for(&mut self, now: Instant) -> Option<std::time::Duration> {
        self.expire(now);
        self.touch(now);
        self.empty_since.map(|since| now.saturating_duration_since(since))
    }

    /// Drops seats and lingering sessions whose deadline passed by `now`; a room emptied
    /// that way has been empty since the last of those deadlines.
    fn expire(&mut self, now: Instant) {
        let mut last_deadline = None;
        let mut expired = |deadline: &Instant| {
            let gone = *deadline <= now;
            if gone {
                last_deadline = last_deadline.max(Some(*deadline));
            }
            !gone
        };
        self.seats.retain(|_, deadline| expired(deadline));
        let lingering = self.lingering.len();
        self.lingering.retain(|_, deadline| expired(deadline));
        if self.lingering.len() != lingering {
            self.sessions_changed();
        }
        if self.is_empty()
            && self.empty_since.is_none()
            && let Some(deadline) = last_deadline
        {
            self.empty_since = Some(deadline);
        }
    }

    fn is_empty(&self) -> bool {
        self.live.is_empty() && self.lingering.is_empty() && self.seats.is_empty()
    }

    /// Keeps `empty_since` true to the places after a change at `now`.
    fn touch(&mut self, now: Instant) {
        if !self.is_empty() {
            self.empty_since = None;
        } else if self.empty_since.is_none() {
            self.empty_since = Some(now);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn at(start: Instant, seconds: u64) -> Instant {
        start + Duration::from_secs(seconds)
    }

    #[test]
    fn the_sessions_version_moves_with_every_change_of_who_holds_a_place_and_only_then() {
        let start = Instant::now();
        let mut places = Places::new(start);
        let mut last = places.sessions_version();
        let mut moved = |places: &Places, what: &str, expected: bool| {
            let version = places.sessions_version();
            assert_eq!(version != last, expected, "{what}");
            last = version;
        };
        places.reserve(SeatId(1), at(start, 15), start);
        moved(&places, "a reserved seat is no session", false);
        assert!(places.seat(SeatId(1), 7, start).is_ok());
        moved(&places, "a session took its seat", true);
        assert!(places.admit(8, 10, start));
        moved(&places, "a session was admitted", true);
        places.taken(at(start, 1));
        places.empty_for(at(start, 1));
        moved(&places, "looking changes nothing", false);
        places.linger(8, at(start, 5), at(start, 1));
        moved(&places, "a session dropped and lingers", true);
        places.resume(8, 9, None, at(start, 2));
        moved(&places, "a session resumed another", true);
        places.linger(9, at(start, 5), at(start, 3));
        moved(&places, "the resumed one dropped too", true);
        places.taken(at(start, 6));
        moved(&places, "a lingering session expired", true);
        places.depart(42, at(start, 6));
        moved(&places, "a session never here left", false);
        places.depart(7, at(start, 6));
        moved(&places, "a live session left", true);
    }

    #[test]
    fn seats_and_dropped_players_count_until_their_deadline() {
        let start = Instant::now();
        let mut places = Places::new(start);
        places.reserve(SeatId(1), at(start, 15), start);
        assert!(places.admit(7, 2, start), "one seat and one player fit two places");
        assert!(!places.admit(8, 2, start), "a reserved seat holds its place");
        places.linger(7, at(start, 30), at(start, 1));
        assert_eq!(places.taken(at(start, 14)), 2, "the dropped player still holds a place");
        assert_eq!(places.taken(at(start, 15)), 1, "the seat expired at its deadline");
        assert_eq!(places.taken(at(start, 30)), 0, "the grace ended");
    }

    #[test]
    fn a_seat_is_good_once_and_not_after_it_expired() {
        let start = Instant::now();
        let mut places = Places::new(start);
        places.reserve(SeatId(1), at(start, 15), start);
        places.reserve(SeatId(2), at(start, 15), start);
        assert_eq!(places.seat(SeatId(1), 7, at(start, 1)), Ok(()));
        assert_eq!(places.seat(SeatId(1), 8, at(start, 1)), Err(SeatError::Unknown), "used");
        assert_eq!(places.seat(SeatId(2), 8, at(start, 15)), Err(SeatError::Unknown), "expired");
        assert_eq!(places.seat(SeatId(3), 8, at(start, 1)), Err(SeatError::Unknown), "unknown");
    }

    #[test]
    fn empty_time_runs_from_the_last_place_freed() {
        let start = Instant::now();
        let mut places = Places::new(start);
        assert_eq!(places.empty_for(at(start, 5)), Some(Duration::from_secs(5)));
        places.reserve(SeatId(1), at(start, 20), at(start, 5));
        assert_eq!(places.empty_for(at(start, 10)), None, "a reserved seat is somebody");
        assert_eq!(
            places.empty_for(at(start, 50)),
            Some(Duration::from_secs(30)),
            "empty since the seat expired at 20 s, not since it was noticed"
        );
        assert!(places.admit(7, 5, at(start, 50)));
        places.linger(7, at(start, 80), at(start, 60));
        assert_eq!(places.empty_for(at(start, 70)), None, "a dropped player may come back");
        places.depart(7, at(start, 75));
        assert_eq!(places.empty_for(at(start, 76)), Some(Duration::from_secs(1)));
    }

    #[test]
    fn a_resume_takes_over_the_place_and_releases_the_seat_it_brought() {
        let start = Instant::now();
        let mut places = Places::new(start);
        assert!(places.admit(7, 2, start));
        places.linger(7, at(start, 30), start);
        places.reserve(SeatId(1), at(start, 15), start);
        places.resume(7, 9, Some(SeatId(1)), at(start, 2));
        assert_eq!(places.taken(at(start, 2)), 1, "one player, no seat, no ghost");
        assert_eq!(places.sessions().0, vec![9]);
    }
}
