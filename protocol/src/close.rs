//! Close codes: why the server ended a session, and what a client should do about it.
//!
//! The same code travels in the `Disconnect` message (which browsers can read even when a
//! proxy mangles the close frame) and in the WebSocket close frame. Standard codes from
//! RFC 6455 where one fits; application codes in the 4000-4999 range otherwise.
//!
//! [`CLOSE_CODES`] is the one table of what each code means and whether reconnecting can
//! help. Every client follows it: the Rust client through [`retry_after`], the browser
//! client through `client-demo/src/close-table.ts`, which is generated from it (a test
//! fails when that file or `PROTOCOL.md` drifts from the table).

/// What a client should do after a close.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Retry {
    /// Give up: the same client would be closed the same way again (it is broken,
    /// outdated or not allowed in), or the session ended on purpose.
    Never,
    /// Reconnect with exponential backoff and jitter, resuming with the last resume
    /// token: the cause is on the server's side or passes with time.
    Backoff,
}

impl Retry {
    /// The policy's name in the table: `never` or `backoff`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Never => "never",
            Self::Backoff => "backoff",
        }
    }
}

/// One row of [`CLOSE_CODES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloseCodeInfo {
    /// The numeric code on the wire (or, for 1005 and 1006, what WebSocket APIs report).
    pub code: u16,
    /// A short stable name; for codes the server sends, also the `reason` label of
    /// `tickwire_sessions_closed_total`.
    pub name: &'static str,
    /// Whether a client should reconnect.
    pub retry: Retry,
    /// When the code is used, in one line.
    pub meaning: &'static str,
}

/// Every close code a client can see, in code order, with the retry policy. A code that is
/// not here (a newer server's) is retried with backoff ([`retry_after`]).
#[rustfmt::skip] // One row per line: it is read as a table.
pub const CLOSE_CODES: &[CloseCodeInfo] = &[
    row(1000, "normal", Retry::Never, "the session ended on purpose: the client said goodbye, or another connection resumed this session with its token"),
    row(1001, "going_away", Retry::Backoff, "the server is shutting down or restarting; come back and resume"),
    row(1002, "protocol_error", Retry::Never, "the client broke the protocol: a malformed, truncated or forged frame, or a message of the wrong kind or order"),
    row(1003, "unsupported_data", Retry::Never, "the client sent a text frame; the protocol is binary only"),
    row(1005, "no_status", Retry::Backoff, "never sent: WebSocket APIs report it for a close frame without a code"),
    row(1006, "abnormal", Retry::Backoff, "never sent: WebSocket APIs report it for a connection lost without a close frame"),
    row(1007, "invalid_payload", Retry::Never, "the client sent invalid UTF-8 (in a text frame or a close reason)"),
    row(1008, "policy_violation", Retry::Backoff, "no Hello within the handshake timeout, nothing sent or read within the idle timeout, reading too slowly for even the slowest snapshot rate, or a message not whole within 2 s"),
    row(1009, "message_too_big", Retry::Never, "the client sent a message larger than the limit"),
    row(1011, "internal_error", Retry::Backoff, "the server hit an internal error and dropped the session, or the room's game failed and its room is gone"),
    row(1013, "server_full", Retry::Backoff, "the server is at its session limit"),
    row(4000, "version_mismatch", Retry::Never, "the client speaks another protocol version"),
    row(4001, "unauthorized", Retry::Never, "the auth token is missing, invalid or expired"),
    row(4002, "too_many_from_address", Retry::Backoff, "too many sessions from the client's IP address"),
    row(4003, "origin_not_allowed", Retry::Never, "the page's origin is not on the server's allow-list"),
    row(4004, "rate_limited", Retry::Backoff, "the client sent messages faster than its limit"),
    row(4005, "seat_refused", Retry::Never, "the seat is forged, expired or used, its room is gone, or a resume into a room failed; ask the matchmaker for a new seat"),
    row(4006, "room_full", Retry::Backoff, "the default room is at capacity (a Hello without a seat)"),
];

const fn row(code: u16, name: &'static str, retry: Retry, meaning: &'static str) -> CloseCodeInfo {
    CloseCodeInfo { code, name, retry, meaning }
}

/// What a client should do after its connection ended with `code` (`None`: lost without
/// a close frame or `Disconnect`): the table's policy, and backoff for a code it lacks.
pub fn retry_after(code: Option<u16>) -> Retry {
    code.and_then(|code| CLOSE_CODES.iter().find(|info| info.code == code))
        .map_or(Retry::Backoff, |info| info.retry)
}

/// Why a session was closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CloseCode {
    /// The session ended normally (client left).
    Normal,
    /// The server is shutting down.
    GoingAway,
    /// The peer broke the protocol: a frame that failed verification, a message of the
    /// wrong kind, or a message out of order.
    ProtocolError,
    /// The peer sent a text frame; the protocol is binary only.
    UnsupportedData,
    /// The peer sent text that is not UTF-8 (in a text frame or a close reason).
    InvalidPayload,
    /// The peer broke a policy, such as not finishing the handshake in time.
    PolicyViolation,
    /// The peer sent a message larger than the limit.
    MessageTooBig,
    /// The server hit an internal error and dropped the session, or the room's game
    /// failed (panicked) and its room is gone.
    InternalError,
    /// The server is at its session limit; try again later.
    ServerFull,
    /// The client speaks another protocol version.
    VersionMismatch,
    /// The auth token is missing, invalid or expired.
    Unauthorized,
    /// Too many sessions from the client's address.
    TooManyFromAddress,
    /// The page's origin is not on the server's allow-list.
    OriginNotAllowed,
    /// The client sends messages faster than its limit.
    RateLimited,
    /// The seat is forged, expired or used, its room is gone, or a resume into a room
    /// failed: the client must ask the matchmaker again.
    SeatRefused,
    /// The default room is at capacity.
    RoomFull,
    /// A code this build does not know.
    Other(u16),
}

impl CloseCode {
    /// What a client should do after a close with this code ([`CLOSE_CODES`]).
    pub fn retry(self) -> Retry {
        retry_after(Some(self.as_u16()))
    }

    /// The numeric code on the wire.
    pub fn as_u16(self) -> u16 {
        match self {
            Self::Normal => 1000,
            Self::GoingAway => 1001,
            Self::ProtocolError => 1002,
            Self::UnsupportedData => 1003,
            Self::InvalidPayload => 1007,
            Self::PolicyViolation => 1008,
            Self::MessageTooBig => 1009,
            Self::InternalError => 1011,
            Self::ServerFull => 1013,
            Self::VersionMismatch => 4000,
            Self::Unauthorized => 4001,
            Self::TooManyFromAddress => 4002,
            Self::OriginNotAllowed => 4003,
            Self::RateLimited => 4004,
            Self::SeatRefused => 4005,
            Self::RoomFull => 4006,
            Self::Other(code) => code,
        }
    }
}

impl From<u16> for CloseCode {
    fn from(code: u16) -> Self {
        match code {
            1000 => Self::Normal,
            1001 => Self::GoingAway,
            1002 => Self::ProtocolError,
            1003 => Self::UnsupportedData,
            1007 => Self::InvalidPayload,
            1008 => Self::PolicyViolation,
            1009 => Self::MessageTooBig,
            1011 => Self::InternalError,
            1013 => Self::ServerFull,
            4000 => Self::VersionMismatch,
            4001 => Self::Unauthorized,
            4002 => Self::TooManyFromAddress,
            4003 => Self::OriginNotAllowed,
            4004 => Self::RateLimited,
            4005 => Self::SeatRefused,
            4006 => Self::RoomFull,
            other => Self::Other(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes_round_trip() {
        for code in [
            CloseCode::Normal,
            CloseCode::GoingAway,
            CloseCode::ProtocolError,
            CloseCode::UnsupportedData,
            CloseCode::InvalidPayload,
            CloseCode::PolicyViolation,
            CloseCode::MessageTooBig,
            CloseCode::InternalError,
            CloseCode::ServerFull,
            CloseCode::VersionMismatch,
            CloseCode::Unauthorized,
            CloseCode::TooManyFromAddress,
            CloseCode::OriginNotAllowed,
            CloseCode::RateLimited,
            CloseCode::SeatRefused,
            CloseCode::RoomFull,
            CloseCode::Other(4321),
        ] {
            assert_eq!(CloseCode::from(code.as_u16()), code, "{code:?} should round-trip");
        }
    }

    #[test]
    fn the_table_is_in_code_order_without_duplicates() {
        for pair in CLOSE_CODES.windows(2) {
            assert!(
                pair[0].code < pair[1].code,
                "{} should come before {}",
                pair[0].code,
                pair[1].code
            );
        }
    }

    #[test]
    fn every_code_the_server_sends_is_in_the_table() {
        for code in 1000..5000 {
            if !matches!(CloseCode::from(code), CloseCode::Other(_)) {
                assert!(
                    CLOSE_CODES.iter().any(|info| info.code == code),
                    "{code} should have a row in CLOSE_CODES"
                );
            }
        }
    }

    #[test]
    fn broken_outdated_or_unwelcome_clients_give_up() {
        for code in [
            CloseCode::Normal,
            CloseCode::ProtocolError,
            CloseCode::UnsupportedData,
            CloseCode::MessageTooBig,
            CloseCode::VersionMismatch,
            CloseCode::Unauthorized,
            CloseCode::OriginNotAllowed,
            CloseCode::SeatRefused,
        ] {
            assert_eq!(code.retry(), Retry::Never, "{code:?} should be final");
        }
    }

    #[test]
    fn passing_causes_are_retried_with_backoff() {
        for code in [
            CloseCode::GoingAway,
            CloseCode::PolicyViolation,
            CloseCode::InternalError,
            CloseCode::ServerFull,
            CloseCode::TooManyFromAddress,
            CloseCode::RateLimited,
            CloseCode::RoomFull,
            CloseCode::Other(1006),
            CloseCode::Other(4999),
        ] {
            assert_eq!(code.retry(), Retry::Backoff, "{code:?} should be retried");
        }
        assert_eq!(retry_after(None), Retry::Backoff, "a lost connection should be retried");
    }
}
