//! Resume tokens: which earlier session a reconnecting client may take over.
//!
//! Every `Welcome` carries a fresh random token. While the session runs, its token can
//! be redeemed at once (the client noticed a dead connection before the server did): the
//! old session is cancelled and the new one takes its actor. Once the session ends
//! without a goodbye, the token stays redeemable for the grace window. A token is removed
//! when redeemed, so it works once. Expired entries are purged as new ones arrive, so the
//! book holds at most the live sessions plus those that ended within the grace window.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use tickwire_protocol::ResumeToken;
use tickwire_sim::SessionId;
use tokio_util::sync::CancellationToken;

/// How often the book sweeps out expired tokens at most.
const PURGE_INTERVAL: Duration = Duration::from_secs(1);

#[derive(Debug)]
struct Entry {
    session: SessionId,
    /// Set while the session runs: cancels it when another connection resumes it.
    live: Option<CancellationToken>,
    /// Set once the session ended: the token is void after this.
    expires: Option<Instant>,
    /// The last tick the ended session was sent: a resume replays events after it.
    sent_tick: u32,
}

#[derive(Debug, Default)]
struct Book {
    entries: HashMap<ResumeToken, Entry>,
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

impl ResumeBook {
    /// A new token for a running session; `live` cancels the session if it is resumed
    /// elsewhere.
    pub(crate) fn issue(
        &self,
        session: SessionId,
        live: CancellationToken,
    ) -> Result<ResumeToken, NoRandomness> {
        let mut token = [0u8; 16];
        getrandom::fill(&mut token).map_err(|_| NoRandomness)?;
        let token = ResumeToken(token);
        let mut book = self.book.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        if book.last_purge.is_none_or(|at| now.duration_since(at) >= PURGE_INTERVAL) {
            book.entries.retain(|_, entry| entry.expires.is_none_or(|expires| expires > now));
            book.last_purge = Some(now);
        }
        book.entries
            .insert(token, Entry { session, live: Some(live), expires: None, sent_tick: 0 });
        Ok(token)
    }

    /// The session ended without a goodbye, last sent tick `sent_tick`: its token stays
    /// valid for `grace`.
    pub(crate) fn detach(&self, token: ResumeToken, grace: Duration, sent_tick: u32) {
        let mut book = self.book.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(entry) = book.entries.get_mut(&token) {
            entry.live = None;
            entry.expires = Some(Instant::now() + grace);
            entry.sent_tick = sent_tick;
        }
    }

    /// The session ended for good: its token is void.
    pub(crate) fn forget(&self, token: ResumeToken) {
        self.book.lock().unwrap_or_else(PoisonError::into_inner).entries.remove(&token);
    }

    /// Redeems a token: the session it belonged to, if still resumable, and the last tick
    /// that session was sent (0 if it is still live). A live session is cancelled so the
    /// new connection can take over. The token is void afterwards.
    pub(crate) fn redeem(&self, token: ResumeToken) -> Option<(SessionId, u32)> {
        let entry =
            self.book.lock().unwrap_or_else(PoisonError::into_inner).entries.remove(&token)?;
        if entry.expires.is_some_and(|expires| expires <= Instant::now()) {
            return None;
        }
        if let Some(live) = entry.live {
            live.cancel();
        }
        Some((entry.session, entry.sent_tick))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_works_once_and_cancels_a_live_session() {
        let book = ResumeBook::default();
        let live = CancellationToken::new();
        let token = book.issue(7, live.clone()).expect("the OS should have randomness");
        assert_eq!(book.redeem(token), Some((7, 0)), "a live session's token should be redeemable");
        assert!(live.is_cancelled(), "the old session should be told to stop");
        assert_eq!(book.redeem(token), None, "a token should work only once");
    }

    #[test]
    fn a_detached_token_expires_after_the_grace_window() {
        let book = ResumeBook::default();
        let kept = book.issue(1, CancellationToken::new()).expect("randomness");
        let lapsed = book.issue(2, CancellationToken::new()).expect("randomness");
        book.detach(kept, Duration::from_secs(60), 42);
        book.detach(lapsed, Duration::ZERO, 0);
        assert_eq!(book.redeem(lapsed), None, "an expired token should not resume");
        assert_eq!(
            book.redeem(kept),
            Some((1, 42)),
            "a token within its grace window should resume"
        );
        let forgotten = book.issue(3, CancellationToken::new()).expect("randomness");
        book.forget(forgotten);
        assert_eq!(book.redeem(forgotten), None, "a session that said goodbye should not resume");
        assert_ne!(kept, lapsed, "tokens should be random");
    }
}
