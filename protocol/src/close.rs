//! Close codes: why the server ended a session.
//!
//! The same code travels in the `Disconnect` message (which browsers can read even when a
//! proxy mangles the close frame) and in the WebSocket close frame. Standard codes from
//! RFC 6455 where one fits; application codes in the 4000-4999 range otherwise.

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
    /// The server hit an internal error and dropped the session.
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
    /// A code this build does not know.
    Other(u16),
}

impl CloseCode {
    /// Whether a client should give up rather than reconnect: retrying cannot help (the
    /// client is broken, outdated, or not allowed in).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::ProtocolError
                | Self::UnsupportedData
                | Self::MessageTooBig
                | Self::VersionMismatch
                | Self::Unauthorized
                | Self::OriginNotAllowed
        )
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
            CloseCode::Other(4321),
        ] {
            assert_eq!(CloseCode::from(code.as_u16()), code, "{code:?} should round-trip");
        }
    }
}
