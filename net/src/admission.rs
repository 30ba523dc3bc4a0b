//! Who may hold a session: limits on sessions in total and per address, the origin
//! allow-list, and the authentication hook.
//!
//! A session is admitted after the WebSocket upgrade, so every refusal reaches the client
//! as a close code and a readable reason (browsers cannot read a refused upgrade). An
//! admitted session holds a [`Permit`]; dropping it frees the slot.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

use tickwire_protocol::CloseCode;

/// Decides whether a client may play, from the token in its `Hello`.
///
/// Implement it to plug in your own identity system; the server ships [`AllowAll`] and
/// [`crate::SignedTokens`].
pub trait Authenticator: std::fmt::Debug + Send + Sync + 'static {
    /// `Ok` to admit the client, `Err(reason)` to refuse it (the reason is shown to it).
    ///
    /// # Errors
    /// A human-readable reason for the refusal.
    fn authenticate(&self, token: Option<&str>) -> Result<(), String>;
}

/// Admits everybody: for local play and development.
#[derive(Debug, Default, Clone, Copy)]
pub struct AllowAll;

impl Authenticator for AllowAll {
    fn authenticate(&self, _token: Option<&str>) -> Result<(), String> {
        Ok(())
    }
}

/// Session counts and the limits they are held to.
#[derive(Debug)]
pub(crate) struct Admission {
    max_sessions: usize,
    max_per_address: usize,
    counts: Mutex<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    per_address: HashMap<IpAddr, usize>,
}

/// A slot held by an admitted session.
#[derive(Debug)]
pub(crate) struct Permit {
    admission: Arc<Admission>,
    address: IpAddr,
}

impl Admission {
    pub(crate) fn new(max_sessions: usize, max_per_address: usize) -> Arc<Self> {
        Arc::new(Self { max_sessions, max_per_address, counts: Mutex::new(Counts::default()) })
    }

    /// A slot for a session from `address`, or why not.
    pub(crate) fn admit(self: &Arc<Self>, address: IpAddr) -> Result<Permit, (CloseCode, String)> {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        if counts.total >= self.max_sessions {
            return Err((
                CloseCode::ServerFull,
                format!("the server is full ({} players); try again later", self.max_sessions),
            ));
        }
        let from_address = counts.per_address.entry(address).or_default();
        if *from_address >= self.max_per_address {
            return Err((
                CloseCode::TooManyFromAddress,
                format!("too many sessions from your address (limit {})", self.max_per_address),
            ));
        }
        *from_address += 1;
        counts.total += 1;
        Ok(Permit { admission: Arc::clone(self), address })
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut counts = self.admission.counts.lock().unwrap_or_else(PoisonError::into_inner);
        counts.total = counts.total.saturating_sub(1);
        if let Some(count) = counts.per_address.get_mut(&self.address) {
            *count -= 1;
            if *count == 0 {
                counts.per_address.remove(&self.address);
            }
        }
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

    #[test]
    fn limits_hold_and_slots_come_back() {
        let admission = Admission::new(3, 2);
        let (a, b) =
            (IpAddr::from(Ipv4Addr::new(10, 0, 0, 1)), IpAddr::from(Ipv4Addr::new(10, 0, 0, 2)));
        let first = admission.admit(a).expect("the first session should be admitted");
        let _second =
            admission.admit(a).expect("a second from the same address should be admitted");
        assert_eq!(
            admission.admit(a).map(|_| ()).map_err(|(code, _)| code),
            Err(CloseCode::TooManyFromAddress)
        );
        let _third = admission.admit(b).expect("another address should be admitted");
        assert_eq!(
            admission.admit(b).map(|_| ()).map_err(|(code, _)| code),
            Err(CloseCode::ServerFull)
        );
        drop(first);
        assert!(admission.admit(a).is_ok(), "a freed slot should be usable again");
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
