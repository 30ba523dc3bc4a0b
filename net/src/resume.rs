//! Resume tokens: which earlier session a reconnecting client may take over.
//!
//! Every `Welcome` carries a fresh random token. While the session runs, its token can
//! be redeemed at once (the client noticed a dead connection before the server did): the
//! old session is ended and the new one takes its actor. Once the session ends
//! without a goodbye, the token stays redeemable for the grace window. Expired entries are
//! purged as new ones arrive, so the book holds at most the live sessions plus those that
//! ended within the grace window.
//!
//! A redeemed token is used up once the client shows it holds its successor: until the new
//! session hears from its client, the old token stays valid and points at the new session.
//! A reconnect that is cut again before its `Welcome` arrives (on a bad network, often)
//! would otherwise leave the client with a used token and its actor out of reach; with
//! this rule, the client's next attempt with the same token takes the actor over again.
//!
//! A session belongs to the [`Identity`] its client authenticated as. A named player's
//! token resumes only for that player (anyone else presenting it starts afresh and the
//! owner is left alone), and a named player holds one session at a time: a new
//! connection of the same player takes the session over, token or not.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tickwire_protocol::ResumeToken;
use tickwire_sim::SessionId;

use crate::admission::Identity;

/// How often the book sweeps out expired tokens at most.
const PURGE_INTERVAL: Duration = Duration::from_secs(1);

#[derive(Debug)]
struct Entry {
    session: SessionId,
    /// Who the session belongs to.
    identity: Identity,
    /// Set while the session runs: ends it when another connection resumes it.
    live: Option<Live>,
    /// Set once the session ended: the token is void after this.
    expires: Option<Instant>,
    /// The last tick the ended session was sent: a resume replays events after it.
    sent_tick: u32,
}

#[derive(Debug, Default)]
struct Book {
    entries: HashMap<ResumeToken, Entry>,
    /// The token of each named player's session.
    by_player: HashMap<String, ResumeToken>,
    last_purge: Option<Instant>,
}

/// The resume tokens of live and recently dropped sessions.
#[derive(Debug, Default)]
pub(crate) struct ResumeBook {
    book: Mutex<Book>,
}

/// The OS could not provide random bytes for a token.
#[derive(Debug)]
pub(crate) struct NoRandomness;

/// An earlier session a new connection takes over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Previous {
    /// The session whose actor passes to the new one.
    pub(crate) session: SessionId,
    /// The last tick it was sent (0 if it was still live).
    pub(crate) sent_tick: u32,
}

/// What a `Hello` may take over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Redemption {
    /// The earlier session to take over, if any.
    pub(crate) previous: Option<Previous>,
    /// The token presented belongs to another player: it was ignored and left valid.
    pub(crate) wrong_player: bool,
    /// The client's own token, handed to the new session: it stays valid until the new
    /// session hears from its client (see [`ResumeBook::settle_handed_over`]).
    pub(crate) handed_over: Option<ResumeToken>,
}

/// A running session that can be told another connection took it over.
pub(crate) trait Replaceable: Send + Sync {
    /// Ends the session as replaced: its actor and its token have passed to another
    /// connection.
    fn replace(&self);
}

/// A handle on a running session, to end it once another connection takes it over. A
/// session's own state rather than a cancellation token: every live connection would
/// hold one more allocation for it (see `session`).
#[derive(Clone)]
pub(crate) struct Live(Arc<dyn Replaceable>);

impl Live {
    /// The handle of `session`.
    pub(crate) fn new(session: Arc<impl Replaceable + 'static>) -> Self {
        Self(session)
    }

    /// Ends the session: another connection took it over.
    pub(crate) fn replace(&self) {
        self.0.replace();
    }
}

impl fmt::Debug for Live {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("Live")
    }
}

/// The session that takes over whatever a `Hello` may resume.
#[derive(Debug)]
pub(crate) struct Successor {
    pub(crate) session: SessionId,
    /// Ends the successor if the same token is redeemed again.
    pub(crate) live: Live,
}

/// A session pushed out because its player has a newer one (two connections of one player
/// raced through the handshake). Its actor must be removed; a live one must be told to stop.
#[derive(Debug)]
pub(crate) struct Displaced {
    pub(crate) session: SessionId,
    pub(crate) live: Option<Live>,
}

impl ResumeBook {
    fn book(&self) -> MutexGuard<'_, Book> {
        // Every update leaves the book consistent before it can panic.
        self.book.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A new token for a running session of `identity`; `live` ends the session if it is
    /// resumed elsewhere. Also returns the player's other session if one slipped in
    /// (see [`Displaced`]).
    pub(crate) fn issue(
        &self,
        session: SessionId,
        live: Live,
        identity: Identity,
    ) -> Result<(ResumeToken, Option<Displaced>), NoRandomness> {
        let mut token = [0u8; 16];
        getrandom::fill(&mut token).map_err(|_| NoRandomness)?;
        let token = ResumeToken(token);
        let mut book = self.book();
        let now = Instant::now();
        if book.last_purge.is_none_or(|at| now.duration_since(at) >= PURGE_INTERVAL) {
            book.entries.retain(|_, entry| entry.expires.is_none_or(|expires| expires > now));
            let Book { entries, by_player, .. } = &mut *book;
            by_player.retain(|_, token| entries.contains_key(token));
            book.last_purge = Some(now);
        }
        let displaced = match &identity {
            Identity::Player(name) => book
                .by_player
                .insert(name.clone(), token)
                .and_then(|older| book.entries.remove(&older))
                .map(|older| Displaced { session: older.session, live: older.live }),
            Identity::Anonymous => None,
        };
        let entry = Entry { session, identity, live: Some(live), expires: None, sent_tick: 0 };
        book.entries.insert(token, entry);
        Ok((token, displaced))
    }

    /// The session ended without a goodbye, last sent tick `sent_tick`: its token stays
    /// valid for `grace`.
    pub(crate) fn detach(&self, token: ResumeToken, grace: Duration, sent_tick: u32) {
        if let Some(entry) = self.book().entries.get_mut(&token) {
            entry.live = None;
            entry.expires = Some(Instant::now() + grace);
            entry.sent_tick = sent_tick;
        }
    }

    /// The session ended for good: its token is void.
    pub(crate) fn forget(&self, token: ResumeToken) {
        self.book().take(token);
    }

    /// What a client of `identity` presenting `token` takes over: the session the token
    /// belongs to if it is the same player's, else a named player's current session. A
    /// live session is ended so the new connection, `successor`, can take over. The
    /// client's own token then points at the successor until it is settled; a player's
    /// session found without a token is simply taken. Another player's token is left alone.
    pub(crate) fn redeem(
        &self,
        token: Option<ResumeToken>,
        identity: &Identity,
        successor: Successor,
    ) -> Redemption {
        let mut book = self.book();
        let mut wrong_player = false;
        let own_token = token.filter(|token| match book.entries.get(token) {
            Some(entry) if entry.identity != *identity => {
                wrong_player = true;
                false
            }
            found => found.is_some(),
        });
        let players_token = match identity {
            Identity::Player(name) => book.by_player.get(name).copied(),
            Identity::Anonymous => None,
        };
        let Some((token, entry)) = own_token
            .or(players_token)
            .and_then(|token| book.take(token).map(|entry| (token, entry)))
            .filter(|(_, entry)| entry.expires.is_none_or(|expires| expires > Instant::now()))
        else {
            return Redemption { previous: None, wrong_player, handed_over: None };
        };
        if let Some(live) = &entry.live {
            live.replace();
        }
        let previous = Previous { session: entry.session, sent_tick: entry.sent_tick };
        let handed_over = own_token.map(|_| {
            // Keeps the old session's sent tick: a client that never got the successor's
            // `Welcome` still misses the events since then.
            let pending = Entry {
                session: successor.session,
                live: Some(successor.live),
                expires: None,
                ..entry
            };
            book.entries.insert(token, pending);
            token
        });
        Redemption { previous: Some(previous), wrong_player, handed_over }
    }

    /// Settles a token that `session` holds without its client having it (a token handed
    /// over, or the token of a session another connection replaced): kept for `grace` (the
    /// session ended without a goodbye), or void (`None`: its client showed it holds the
    /// new token, or the session ended for good). A token that another connection has
    /// taken since is left alone.
    pub(crate) fn settle_handed_over(
        &self,
        token: ResumeToken,
        session: SessionId,
        grace: Option<Duration>,
    ) {
        let mut book = self.book();
        let Some(entry) = book.entries.get_mut(&token).filter(|entry| entry.session == session)
        else {
            return;
        };
        match grace {
            Some(grace) => {
                entry.live = None;
                entry.expires = Some(Instant::now() + grace);
            }
            None => {
                book.take(token);
            }
        }
    }
}

impl Book {
    /// Removes a token, and its player's pointer to it.
    fn take(&mut self, token: ResumeToken) -> Option<Entry> {
        let entry = self.entries.remove(&token)?;
        if let Identity::Player(name) = &entry.identity
            && self.by_player.get(name) == Some(&token)
        {
            self.by_player.remove(name);
        }
        Some(entry)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicBool;
    use std::sync::atomic::Ordering::Relaxed;

    use super::*;

    /// A live session that notes whether it was replaced.
    #[derive(Default)]
    struct Flag(AtomicBool);

    impl Replaceable for Flag {
        fn replace(&self) {
            self.0.store(true, Relaxed);
        }
    }

    impl Flag {
        fn replaced(&self) -> bool {
            self.0.load(Relaxed)
        }
    }

    /// A live session's handle, and what it notes.
    fn live() -> (Live, Arc<Flag>) {
        let flag = Arc::new(Flag::default());
        (Live::new(Arc::clone(&flag)), flag)
    }

    fn player(name: &str) -> Identity {
        Identity::Player(name.to_owned())
    }

    fn issue(book: &ResumeBook, session: SessionId, identity: Identity) -> ResumeToken {
        book.issue(session, live().0, identity).expect("randomness").0
    }

    fn resumed(
        book: &ResumeBook,
        token: Option<ResumeToken>,
        identity: &Identity,
    ) -> Option<(SessionId, u32)> {
        book.redeem(token, identity, successor(99))
            .previous
            .map(|previous| (previous.session, previous.sent_tick))
    }

    fn successor(session: SessionId) -> Successor {
        Successor { session, live: live().0 }
    }

    #[test]
    fn a_token_works_once_its_client_holds_the_next_and_ends_a_live_session() {
        let book = ResumeBook::default();
        let (live, replaced) = live();
        let (token, _) =
            book.issue(7, live, Identity::Anonymous).expect("the OS should have randomness");
        let redemption = book.redeem(Some(token), &Identity::Anonymous, successor(8));
        assert_eq!(
            redemption.previous,
            Some(Previous { session: 7, sent_tick: 0 }),
            "a live session's token should be redeemable"
        );
        assert!(replaced.replaced(), "the old session should be told to stop");
        assert_eq!(redemption.handed_over, Some(token));
        book.settle_handed_over(token, 8, None);
        assert_eq!(
            resumed(&book, Some(token), &Identity::Anonymous),
            None,
            "a token should not work once its client showed it holds the next one"
        );
    }

    #[test]
    fn a_reconnect_cut_before_its_welcome_can_be_retried_with_the_same_token() {
        let book = ResumeBook::default();
        let token = issue(&book, 1, Identity::Anonymous);
        book.detach(token, Duration::from_secs(60), 42);
        let (first_live, first_replaced) = live();
        book.redeem(Some(token), &Identity::Anonymous, Successor { session: 2, live: first_live });
        // Session 2's connection drops before its client got the Welcome: the token is
        // kept for the grace window, for session 2, with session 1's sent tick.
        book.settle_handed_over(token, 2, Some(Duration::from_secs(60)));
        assert_eq!(
            book.redeem(Some(token), &Identity::Anonymous, successor(3)).previous,
            Some(Previous { session: 2, sent_tick: 42 }),
            "the same token should take the actor over from the failed attempt"
        );
        assert!(!first_replaced.replaced(), "the ended attempt needs no ending");
        book.settle_handed_over(token, 2, None);
        assert_eq!(
            resumed(&book, Some(token), &Identity::Anonymous),
            Some((3, 42)),
            "a stale attempt should not void the token its successor holds"
        );
    }

    #[test]
    fn a_detached_token_expires_after_the_grace_window() {
        let book = ResumeBook::default();
        let kept = issue(&book, 1, Identity::Anonymous);
        let lapsed = issue(&book, 2, Identity::Anonymous);
        book.detach(kept, Duration::from_secs(60), 42);
        book.detach(lapsed, Duration::ZERO, 0);
        assert_eq!(
            resumed(&book, Some(lapsed), &Identity::Anonymous),
            None,
            "an expired token should not resume"
        );
        assert_eq!(
            resumed(&book, Some(kept), &Identity::Anonymous),
            Some((1, 42)),
            "a token within its grace window should resume"
        );
        let forgotten = issue(&book, 3, Identity::Anonymous);
        book.forget(forgotten);
        assert_eq!(
            resumed(&book, Some(forgotten), &Identity::Anonymous),
            None,
            "a session that said goodbye should not resume"
        );
        assert_ne!(kept, lapsed, "tokens should be random");
    }

    #[test]
    fn a_token_resumes_only_for_its_own_player() {
        let book = ResumeBook::default();
        let alices = issue(&book, 1, player("alice"));
        for stranger in [player("mallory"), Identity::Anonymous] {
            let redemption = book.redeem(Some(alices), &stranger, successor(2));
            assert_eq!(redemption.previous, None, "{stranger:?} should not take alice's session");
            assert!(redemption.wrong_player, "{stranger:?}'s attempt should be reported");
        }
        assert_eq!(
            resumed(&book, Some(alices), &player("alice")),
            Some((1, 0)),
            "alice's token should still work for alice"
        );
    }

    #[test]
    fn a_player_takes_over_their_session_without_a_token_and_holds_one() {
        let book = ResumeBook::default();
        let alices = issue(&book, 1, player("alice"));
        book.detach(alices, Duration::from_secs(60), 9);
        assert_eq!(resumed(&book, None, &player("bob")), None, "bob has no session");
        assert_eq!(
            resumed(&book, None, &player("alice")),
            Some((1, 9)),
            "a new connection of alice should take over her session"
        );
        issue(&book, 2, player("alice"));
        let (_, displaced) = book.issue(3, live().0, player("alice")).expect("randomness");
        assert_eq!(
            displaced.map(|displaced| displaced.session),
            Some(2),
            "a second session of alice that raced the first should push it out"
        );
        assert_eq!(
            resumed(&book, None, &Identity::Anonymous),
            None,
            "anonymous sessions are never found by player"
        );
    }
}
