//! [`SignedTokens`]: the built-in [`Authenticator`]: tokens your backend signs with a
//! shared secret, so game servers can check them without calling anyone.
//!
//! A token is `PLAYER.EXPIRES.SIGNATURE`: the player's name (letters, digits, `_`, `-`),
//! the Unix time it expires, and the hex HMAC-SHA256 of `PLAYER.EXPIRES` under the
//! secret. Signatures are compared in constant time. The player's name is the session's
//! [`Identity`].

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::admission::{Authenticator, Identity};

/// Verifies (and mints) signed player tokens.
pub struct SignedTokens {
    secret: Vec<u8>,
}

impl std::fmt::Debug for SignedTokens {
    /// Never prints the secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SignedTokens(..)")
    }
}

impl SignedTokens {
    /// Tokens signed with `secret`.
    pub fn new(secret: impl Into<Vec<u8>>) -> Self {
        Self { secret: secret.into() }
    }

    /// A token for `player`, valid for `ttl` from now.
    ///
    /// # Errors
    /// A `player` name with characters other than letters, digits, `_` and `-`, or empty.
    pub fn mint(&self, player: &str, ttl: Duration) -> Result<String, String> {
        valid_player(player)?;
        let expires = now_unix().saturating_add(ttl.as_secs());
        let claims = format!("{player}.{expires}");
        Ok(format!("{claims}.{}", hex::encode(self.signature(&claims))))
    }

    fn signature(&self, claims: &str) -> Vec<u8> {
        // HMAC takes keys of any length, so this cannot fail.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.secret) else { return Vec::new() };
        mac.update(claims.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
}

impl Authenticator for SignedTokens {
    /// The player the token names.
    fn authenticate(&self, token: Option<&str>) -> Result<Identity, String> {
        let token = token.ok_or("this server needs an auth token")?;
        let (claims, signature) = token.rsplit_once('.').ok_or("malformed auth token")?;
        let (player, expires) = claims.rsplit_once('.').ok_or("malformed auth token")?;
        valid_player(player)?;
        let expires: u64 = expires.parse().map_err(|_| "malformed auth token")?;
        let signature = hex::decode(signature).map_err(|_| "malformed auth token")?;
        if !bool::from(signature.ct_eq(&self.signature(claims))) {
            return Err("the auth token's signature is not valid".into());
        }
        if expires <= now_unix() {
            return Err("the auth token has expired".into());
        }
        Ok(Identity::Player(player.to_owned()))
    }
}

fn valid_player(player: &str) -> Result<(), String> {
    let ok = !player.is_empty()
        && player.len() <= 64
        && player.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-');
    if ok { Ok(()) } else { Err(format!("`{player}` is not a valid player name")) }
}

fn now_unix() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |since| since.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_tokens_pass_and_everything_else_fails() {
        let tokens = SignedTokens::new("s3cret");
        let token = tokens.mint("alice", Duration::from_secs(60)).expect("a valid name");
        assert_eq!(tokens.authenticate(Some(&token)), Ok(Identity::Player("alice".into())));
        assert!(tokens.authenticate(None).is_err(), "no token should fail");
        assert!(
            SignedTokens::new("other").authenticate(Some(&token)).is_err(),
            "another secret should fail"
        );
        let forged = token.replacen("alice", "mallory", 1);
        assert!(tokens.authenticate(Some(&forged)).is_err(), "a changed name should fail");
        let expired = tokens.mint("alice", Duration::ZERO).expect("a valid name");
        assert_eq!(tokens.authenticate(Some(&expired)), Err("the auth token has expired".into()));
        for garbage in ["", "a.b", "alice.123.zz", "..", "al ice.9999999999.00"] {
            assert!(tokens.authenticate(Some(garbage)).is_err(), "{garbage:?} should fail");
        }
        assert!(tokens.mint("no spaces", Duration::from_secs(1)).is_err());
    }
}
