//! Who may hold a session: limits on sessions in total and per address, the origin
//! allow-list, and the authentication hook.
//!
//! A session is admitted after the WebSocket upgrade, so every refusal reaches the client
//! as a close code and a readable reason (browsers cannot read a refused upgrade). An
//! admitted session holds a [`Permit`]; dropping it frees the slot, and a session that
//! drops without a goodbye passes its slot to its ghost (its actor, waiting for a resume),
//! which a newcomer may evict.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tickwire_protocol::{CloseCode, ResumeToken};
use tickwire_sim::SessionId;

use crate::room::RoomLink;

/// Decides whether a client may play, and as whom, from the token in its `Hello`.
///
/// Implement it to plug in your own identity system; the server ships [`AllowAll`] and
/// [`crate::SignedTokens`]. Return [`Identity::Player`] for a client you know by name
/// (one session per player, resumable by that player only) or [`Identity::Anonymous`].
///
/// # Example
/// ```
/// use tickwire_net::{Authenticator, Identity};
///
/// /// Players in a fixed list, whose token is their name.
/// #[derive(Debug)]
/// struct GuestList(Vec<String>);
///
/// impl Authenticator for GuestList {
///     fn authenticate(&self, token: Option<&str>) -> Result<Identity, String> {
///         match token {
///             Some(name) if self.0.iter().any(|guest| guest == name) => {
///                 Ok(Identity::Player(name.to_owned()))
///             }
///             _ => Err("you are not on the guest list".into()),
///         }
///     }
/// }
///
/// let guests = GuestList(vec!["alice".into()]);
/// assert_eq!(guests.authenticate(Some("alice")), Ok(Identity::Player("alice".into())));
/// assert!(guests.authenticate(Some("mallory")).is_err());
/// ```
pub trait Authenticator: std::fmt::Debug + Send + Sync + 'static {
    /// The client's [`Identity`] to admit it, `Err(reason)` to refuse it (the reason is
    /// shown to it).
    ///
    /// # Errors
    /// A human-readable reason for the refusal.
    fn authenticate(&self, token: Option<&str>) -> Result<Identity, String>;
}

/// Who a client is, as its [`Authenticator`] vouches.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Identity {
    /// Nobody in particular ([`AllowAll`]): may hold any number of sessions, and a resume
    /// token alone resumes.
    Anonymous,
    /// A named player: holds one session at a time (a new connection takes it over), and
    /// only this player's connections may resume it.
    Player(String),
}

/// Admits everybody, anonymously: for local play and development.
#[derive(Debug, Default, Clone, Copy)]
pub struct AllowAll;

impl Authenticator for AllowAll {
    fn authenticate(&self, _token: Option<&str>) -> Result<Identity, String> {
        Ok(Identity::Anonymous)
    }
}

/// Session slots and the limits they are held to.
///
/// A slot is held by a live session (its [`Permit`]) or by a ghost: the actor of a
/// session that dropped without a goodbye, waiting out the resume grace. Ghosts count
/// toward both limits, so connect-and-drop cannot fill the world with actors; but they
/// never keep anyone out: a newcomer who needs a ghost's slot takes it, oldest ghost first
/// ([`Admission::make_room`]). Live sessions are never evicted.
#[derive(Debug)]
pub(crate) struct Admission {
    max_sessions: usize,
    max_per_address: usize,
    /// How long a ghost holds its slot: the resume grace.
    grace: Duration,
    slots: Mutex<Slots>,
}

#[derive(Debug, Default)]
struct Slots {
    live: usize,
    per_address: HashMap<IpAddr, AddressSlots>,
    /// Every ghost, by the order it dropped in: the first is the oldest.
    ghosts: BTreeMap<u64, Ghost>,
    /// Where each ghost is in `ghosts`, by its session.
    ghost_order: HashMap<SessionId, u64>,
    next_order: u64,
}

#[derive(Debug, Default)]
struct AddressSlots {
    live: usize,
    /// This address's ghosts, oldest first (keys into `Slots::ghosts`).
    ghosts: BTreeSet<u64>,
}

/// A dropped session's actor, holding a slot while it waits for a resume.
#[derive(Debug, Clone)]
pub(crate) struct Ghost {
    /// The session that dropped.
    pub(crate) session: SessionId,
    /// The token that would resume it.
    pub(crate) token: ResumeToken,
    /// The room its actor is in.
    pub(crate) room: Arc<RoomLink>,
    /// Where it connected from.
    pub(crate) address: IpAddr,
    /// When its grace window ends (and with it, its claim on a slot).
    expires: Instant,
}

/// A slot held by an admitted session.
#[derive(Debug)]
pub(crate) struct Permit {
    admission: Arc<Admission>,
    address: IpAddr,
    /// False once the slot passed to a ghost.
    live: bool,
}

impl Admission {
    pub(crate) fn new(max_sessions: usize, max_per_address: usize, grace: Duration) -> Arc<Self> {
        Arc::new(Self { max_sessions, max_per_address, grace, slots: Mutex::new(Slots::default()) })
    }

    fn slots(&self) -> MutexGuard<'_, Slots> {
        // Every update leaves the counts consistent before it can panic, so a poisoned
        // lock still holds good data.
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A slot for a session from `address`, or why not. Only live sessions can keep a
    /// newcomer out; ghosts make room once the newcomer has said who it is.
    pub(crate) fn admit(
        self: &Arc<Self>,
        address: IpAddr,
        now: Instant,
    ) -> Result<Permit, (CloseCode, String)> {
        let mut slots = self.slots();
        slots.purge_expired(now);
        if slots.live >= self.max_sessions {
            return Err((
                CloseCode::ServerFull,
                format!("the server is full ({} players); try again later", self.max_sessions),
            ));
        }
        let from_address = slots.per_address.entry(address).or_default();
        if from_address.live >= self.max_per_address {
            return Err((
                CloseCode::TooManyFromAddress,
                format!("too many sessions from your address (limit {})", self.max_per_address),
            ));
        }
        from_address.live += 1;
        slots.live += 1;
        Ok(Permit { admission: Arc::clone(self), address, live: true })
    }

    /// The ghost of `session` is gone (resumed, or its actor removed): its slot is free.
    /// Nothing happens if it holds none.
    pub(crate) fn ghost_gone(&self, session: SessionId) {
        let mut slots = self.slots();
        if let Some(order) = slots.ghost_order.get(&session).copied() {
            slots.remove_ghost(order);
        }
    }

    /// The ghosts to evict so that every slot, the newcomer's included, fits the limits:
    /// the oldest from `address` while that address is over its limit, then the oldest
    /// overall while the server is. Their slots are free once this returns; the caller
    /// removes their actors and tokens.
    pub(crate) fn make_room(&self, address: IpAddr, now: Instant) -> Vec<Ghost> {
        let mut slots = self.slots();
        slots.purge_expired(now);
        let mut evicted = Vec::new();
        while let Some(order) = slots.per_address.get(&address).and_then(|from| {
            let over = from.live + from.ghosts.len() > self.max_per_address;
            over.then(|| from.ghosts.first().copied()).flatten()
        }) {
            evicted.extend(slots.remove_ghost(order));
        }
        while slots.live + slots.ghosts.len() > self.max_sessions
            && let Some(order) = slots.ghosts.keys().next().copied()
        {
            evicted.extend(slots.remove_ghost(order));
        }
        evicted
    }
}

impl Slots {
    /// Frees the slots of ghosts whose grace window is over (their actors are gone).
    /// Ghosts expire in the order they dropped, since the grace is the same for all.
    fn purge_expired(&mut self, now: Instant) {
        while let Some((&order, ghost)) = self.ghosts.first_key_value()
            && ghost.expires <= now
        {
            self.remove_ghost(order);
        }
    }

    fn remove_ghost(&mut self, order: u64) -> Option<Ghost> {
        let ghost = self.ghosts.remove(&order)?;
        self.ghost_order.remove(&ghost.session);
        if let Some(from_address) = self.per_address.get_mut(&ghost.address) {
            from_address.ghosts.remove(&order);
        }
        self.forget_idle_address(ghost.address);
        Some(ghost)
    }

    fn forget_idle_address(&mut self, address: IpAddr) {
        if self
            .per_address
            .get(&address)
            .is_some_and(|from| from.live == 0 && from.ghosts.is_empty())
        {
            self.per_address.remove(&address);
        }
    }
}

impl Permit {
    /// The session dropped without a goodbye: its slot passes to its ghost, which holds it
    /// for the grace window unless resumed or evicted first.
    pub(crate) fn keep_for_resume(
        mut self,
        session: SessionId,
        token: ResumeToken,
        room: Arc<RoomLink>,
        now: Instant,
    ) {
        let admission = Arc::clone(&self.admission);
        let mut slots = admission.slots();
        let order = slots.next_order;
        slots.next_order += 1;
        let expires = now + admission.grace;
        slots.ghosts.insert(order, Ghost { session, token, room, address: self.address, expires });
        slots.ghost_order.insert(session, order);
        let from_address = slots.per_address.entry(self.address).or_default();
        from_address.ghosts.insert(order);
        from_address.live = from_address.live.saturating_sub(1);
        slots.live = slots.live.saturating_sub(1);
        self.live = false;
    }

    /// Evicts what is needed for this session to fit (see [`Admission::make_room`]).
    pub(crate) fn make_room(&self, now: Instant) -> Vec<Ghost> {
        self.admission.make_room(self.address, now)
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        if !self.live {
            return;
        }
        let mut slots = self.admission.slots();
        slots.live = slots.live.saturating_sub(1);
        if let Some(from_address) = slots.per_address.get_mut(&self.address) {
            from_address.live = from_address.live.saturating_sub(1);
        }
        slots.forget_idle_address(self.address);
    }
}

/// Whether a browser page from `origin` may connect. An empty list allows every origin;
/// a request without an `Origin` header (not a browser) is always allowed, since only
/// browsers need protecting from pages that connect on their user's behalf.
pub(crate) fn origin_allowed(allowed: &[String], origin: Option<&str>) -> bool {
    match origin {
        Some(origin) if !allowed.is_empty() => {
            allowed.iter().any(|allowed| allowed.eq_ignore_ascii_case(origin))
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;

    const GRACE: Duration = Duration::from_secs(30);

    fn address(last: u8) -> IpAddr {
        IpAddr::from(Ipv4Addr::new(10, 0, 0, last))
    }

    fn token(byte: u8) -> ResumeToken {
        ResumeToken([byte; 16])
    }

    /// A room: admission's rules do not depend on it.
    fn test_room() -> Arc<RoomLink> {
        RoomLink::for_tests(crate::SnapshotPublisher::new(4).1)
    }

    fn refusal(admission: &Arc<Admission>, address: IpAddr, now: Instant) -> Option<CloseCode> {
        admission.admit(address, now).err().map(|(code, _)| code)
    }

    #[test]
    fn limits_hold_and_slots_come_back() {
        let now = Instant::now();
        let admission = Admission::new(3, 2, GRACE);
        let (a, b) = (address(1), address(2));
        let first = admission.admit(a, now).expect("the first session should be admitted");
        let _second =
            admission.admit(a, now).expect("a second from the same address should be admitted");
        assert_eq!(refusal(&admission, a, now), Some(CloseCode::TooManyFromAddress));
        let _third = admission.admit(b, now).expect("another address should be admitted");
        assert_eq!(refusal(&admission, b, now), Some(CloseCode::ServerFull));
        drop(first);
        assert!(admission.admit(a, now).is_ok(), "a freed slot should be usable again");
    }

    #[test]
    fn ghosts_hold_slots_until_a_newcomer_needs_them_oldest_first() {
        let now = Instant::now();
        let admission = Admission::new(100, 3, GRACE);
        let a = address(1);
        let live = admission.admit(a, now).expect("admitted");
        for session in 1..=2 {
            admission.admit(a, now).expect("admitted").keep_for_resume(
                session,
                token(1),
                test_room(),
                now,
            );
        }
        assert!(live.make_room(now).is_empty(), "one live and two ghosts fit a limit of 3");

        let newcomer = admission.admit(a, now).expect("ghosts should never keep a newcomer out");
        let evicted: Vec<SessionId> =
            newcomer.make_room(now).iter().map(|ghost| ghost.session).collect();
        assert_eq!(evicted, [1], "the oldest ghost of the address should make room");
        let third = admission.admit(a, now).expect("the last ghost can make room for one more");
        let evicted: Vec<SessionId> =
            third.make_room(now).iter().map(|ghost| ghost.session).collect();
        assert_eq!(evicted, [2], "the next oldest ghost should make room");
        assert_eq!(
            refusal(&admission, a, now),
            Some(CloseCode::TooManyFromAddress),
            "live sessions are never evicted"
        );
    }

    #[test]
    fn a_full_server_evicts_the_oldest_ghost_of_any_address() {
        let now = Instant::now();
        let admission = Admission::new(2, 10, GRACE);
        admission.admit(address(1), now).expect("admitted").keep_for_resume(
            7,
            token(7),
            test_room(),
            now,
        );
        let later = now + Duration::from_secs(1);
        admission.admit(address(2), later).expect("admitted").keep_for_resume(
            8,
            token(8),
            test_room(),
            later,
        );
        let newcomer = admission.admit(address(3), later).expect("ghosts never keep anyone out");
        let evicted = newcomer.make_room(later);
        assert_eq!(evicted.len(), 1, "one ghost should make room: {evicted:?}");
        assert_eq!(
            (evicted[0].session, evicted[0].token, evicted[0].address),
            (7, token(7), address(1)),
            "the oldest ghost overall should go"
        );
    }

    #[test]
    fn a_resumed_or_expired_ghost_frees_its_slot() {
        let now = Instant::now();
        let admission = Admission::new(100, 2, GRACE);
        let a = address(1);
        admission.admit(a, now).expect("admitted").keep_for_resume(1, token(1), test_room(), now);
        admission.admit(a, now).expect("admitted").keep_for_resume(2, token(2), test_room(), now);
        admission.ghost_gone(1);
        let resumer = admission.admit(a, now).expect("admitted");
        assert!(resumer.make_room(now).is_empty(), "a resumed ghost's slot should be free");
        drop(resumer);
        let after_grace = now + GRACE;
        let late = admission.admit(a, after_grace).expect("admitted");
        let also_late = admission.admit(a, after_grace).expect("admitted");
        assert!(
            late.make_room(after_grace).is_empty() && also_late.make_room(after_grace).is_empty(),
            "a ghost past its grace window should hold no slot"
        );
    }

    #[test]
    fn origins_are_checked_only_when_listed_and_sent() {
        let allowed = vec!["https://play.example".to_owned()];
        assert!(origin_allowed(&allowed, Some("https://play.example")));
        assert!(!origin_allowed(&allowed, Some("https://evil.example")));
        assert!(origin_allowed(&allowed, None), "non-browser clients send no Origin");
        assert!(origin_allowed(&[], Some("https://anything.example")), "an empty list allows all");
    }
}
