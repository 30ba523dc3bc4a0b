// Generated from tickwire_protocol::CLOSE_CODES (protocol/src/close.rs) by
// protocol/tests/close_table.rs: do not edit. Regenerate with
//   TICKWIRE_BLESS=1 cargo test -p tickwire-protocol --test close_table

/** What a client should do after a close: give up, or reconnect with backoff. */
export type Retry = 'never' | 'backoff';

export interface CloseCodeInfo {
  readonly code: number;
  readonly name: string;
  readonly retry: Retry;
  readonly meaning: string;
}

/** Every close code a client can see, in code order; a code not here is retried. */
export const CLOSE_CODES: readonly CloseCodeInfo[] = [
  { code: 1000, name: "normal", retry: "never", meaning: "the session ended on purpose: the client said goodbye, or another connection resumed this session with its token" },
  { code: 1001, name: "going_away", retry: "backoff", meaning: "the server is shutting down or restarting; come back and resume" },
  { code: 1002, name: "protocol_error", retry: "never", meaning: "the client broke the protocol: a malformed, truncated or forged frame, or a message of the wrong kind or order" },
  { code: 1003, name: "unsupported_data", retry: "never", meaning: "the client sent a text frame; the protocol is binary only" },
  { code: 1005, name: "no_status", retry: "backoff", meaning: "never sent: WebSocket APIs report it for a close frame without a code" },
  { code: 1006, name: "abnormal", retry: "backoff", meaning: "never sent: WebSocket APIs report it for a connection lost without a close frame" },
  { code: 1007, name: "invalid_payload", retry: "never", meaning: "the client sent invalid UTF-8 (in a text frame or a close reason)" },
  { code: 1008, name: "policy_violation", retry: "backoff", meaning: "no Hello within the handshake timeout, nothing sent or read within the idle timeout, reading too slowly for even the slowest snapshot rate, or a message not whole within 2 s" },
  { code: 1009, name: "message_too_big", retry: "never", meaning: "the client sent a message larger than the limit" },
  { code: 1011, name: "internal_error", retry: "backoff", meaning: "the server hit an internal error and dropped the session, or the room's game failed and its room is gone" },
  { code: 1013, name: "server_full", retry: "backoff", meaning: "the server is at its session limit" },
  { code: 4000, name: "version_mismatch", retry: "never", meaning: "the client speaks another protocol version" },
  { code: 4001, name: "unauthorized", retry: "never", meaning: "the auth token is missing, invalid or expired" },
  { code: 4002, name: "too_many_from_address", retry: "backoff", meaning: "too many sessions from the client's IP address" },
  { code: 4003, name: "origin_not_allowed", retry: "never", meaning: "the page's origin is not on the server's allow-list" },
  { code: 4004, name: "rate_limited", retry: "backoff", meaning: "the client sent messages faster than its limit" },
  { code: 4005, name: "seat_refused", retry: "never", meaning: "the seat is forged, expired or used, its room is gone, or a resume into a room failed; ask the matchmaker for a new seat" },
  { code: 4006, name: "room_full", retry: "backoff", meaning: "the default room is at capacity (a Hello without a seat)" },
];
