//! Seat tokens: what the matchmaker hands a client and its `Hello` brings back.
//!
//! A token is `ROOM.SEAT.EXPIRES.SIGNATURE`: the room id (which, in a cluster, ends with
//! the owning process's id), the seat's number, when it expires (Unix seconds), and the
//! first 16 bytes of HMAC-SHA256 of `ROOM.SEAT.EXPIRES` under this process's seat key, in
//! unpadded base64url. Only the room's own process issues seats for it (other processes
//! ask it), so the key never leaves the process, and the owner checks a token without
//! asking anyone: a forged, altered, foreign or expired token is refused before anything
//! is looked up; whether the seat is still reserved (not used) is the room's to say.
//! Signatures are compared in constant time.

use data_encoding::BASE64URL_NOPAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use tickwire_net::SeatId;

/// Bytes of the HMAC kept in a token: 128 bits, beyond guessing.
const SIGNATURE_BYTES: usize = 16;

/// Signs and checks seat tokens.
pub(crate) struct SeatSigner {
    /// The HMAC, keyed; cloned for each token.
    keyed: Hmac<Sha256>,
}

impl std::fmt::Debug for SeatSigner {
    /// Never prints the key.
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("SeatSigner(..)")
    }
}

impl SeatSigner {
    /// Tokens signed with `key`.
    ///
    /// # Errors
    /// Never in practice: HMAC takes keys of any length.
    pub(crate) fn new(key: &[u8]) -> Result<Self, hmac::digest::InvalidLength> {
        Ok(Self { keyed: Hmac::new_from_slice(key)? })
    }

    /// The token for `seat` in `room`, good until `expires` (Unix seconds).
    pub(crate) fn sign(&self, room: &str, seat: SeatId, expires: u64) -> String {
        let claims = format!("{room}.{}.{expires}", seat.0);
        let mac = self.mac(&claims).finalize().into_bytes();
        let signature = BASE64URL_NOPAD.encode(&mac[..SIGNATURE_BYTES]);
        format!("{claims}.{signature}")
    }

    /// The room and seat a token names, if this process signed it and it has not expired
    /// at `now` (Unix seconds).
    pub(crate) fn verify<'a>(&self, token: &'a str, now: u64) -> Option<(&'a str, SeatId)> {
        let (claims, signature) = token.rsplit_once('.')?;
        let (room, rest) = claims.split_once('.')?;
        let (seat, expires) = rest.split_once('.')?;
        let seat = SeatId(seat.parse().ok()?);
        if expires.parse::<u64>().ok()? < now {
            return None;
        }
        let signature = BASE64URL_NOPAD.decode(signature.as_bytes()).ok()?;
        if signature.len() != SIGNATURE_BYTES {
            return None;
        }
        self.mac(claims).verify_truncated_left(&signature).ok()?;
        Some((room, seat))
    }

    fn mac(&self, claims: &str) -> Hmac<Sha256> {
        let mut mac = self.keyed.clone();
        mac.update(claims.as_bytes());
        mac
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_seat_verifies_and_nothing_else_does() {
        let signer = SeatSigner::new(b"key").expect("any key length");
        let token = signer.sign("k3v9qz2a-b", SeatId(42), 1000);
        assert_eq!(signer.verify(&token, 1000), Some(("k3v9qz2a-b", SeatId(42))));
        assert_eq!(signer.verify(&token, 1001), None, "expired");
        let other_key = SeatSigner::new(b"other").expect("any key length");
        assert_eq!(other_key.verify(&token, 0), None, "another process's key");
        let (claims, signature) = token.rsplit_once('.').expect("four parts");
        for forged in [
            format!("{}.{signature}", claims.replace("42", "43")),
            format!("{}.{signature}", claims.replace("1000", "9000")),
            format!("k3v9qz2a-c.42.1000.{signature}"),
            format!("default.42.1000.{signature}"),
            format!("{claims}.{}", &signature[1..]),
            format!("{claims}.AAAA"),
            claims.to_owned(),
            String::new(),
            "a.b.c.d".to_owned(),
        ] {
            assert_eq!(signer.verify(&forged, 0), None, "{forged:?} should be refused");
        }
    }
}
