//! [`Matchmaker`]: a small client of the server's matchmaking API (`/rooms`,
//! `/matchmake`), which lists rooms and hands out [`Seat`]s: a place reserved in a room,
//! redeemed by the `Hello` of one connection.
//!
//! One request per connection (`Connection: close`) over hyper's HTTP/1 client: a client
//! calls the API once per join, so a connection pool would buy nothing. Every call is
//! bounded in time and in the size of the answer, so a wrong or hostile address cannot
//! hang a client or fill its memory.

use std::fmt::Write as _;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::client::conn::http1;
use hyper::{Method, Request, StatusCode, Uri, header};
use hyper_util::rt::TokioIo;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use thiserror::Error;
use tickwire_protocol::Untrusted;
use tokio::net::TcpStream;

/// How long one call may take, connection included, unless [`Matchmaker::timeout`] says.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// The largest answer read. A room list of thousands of rooms fits; more is not the API.
const MAX_ANSWER_BYTES: usize = 1 << 20;

/// How much of a non-JSON error answer (a proxy's page) is kept as the error's text.
const MAX_ERROR_TEXT: usize = 200;

/// A room's label: what players filter and match on (`{"mode": "ffa"}`).
pub type Label = Map<String, Value>;

/// Why a matchmaking call failed.
#[derive(Debug, Error)]
pub enum MatchError {
    /// The address is not `http://host[:port]` or `ws://host[:port][/path]`.
    #[error("{0:?} is not an http:// or ws:// address with a host")]
    InvalidAddress(String),
    /// The server could not be reached.
    #[error("cannot reach the matchmaker: {0}")]
    Connect(#[source] std::io::Error),
    /// The HTTP exchange failed.
    #[error("HTTP: {0}")]
    Http(#[from] hyper::Error),
    /// The call took longer than the matchmaker's timeout.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// The answer was larger than the limit (1 MiB).
    #[error("the answer is larger than {MAX_ANSWER_BYTES} bytes")]
    TooLarge,
    /// The server answered with an error status: 400 (bad request or options), 404 (no
    /// such room), 409 (the room is full or locked), 503 (room limit, shutting down).
    #[error("the matchmaker answered {status}: {}", Untrusted(.message))]
    Refused {
        /// The HTTP status.
        status: u16,
        /// The server's `error` text (or the start of its answer if that was not JSON).
        message: String,
    },
    /// A successful answer that is not what the API promises.
    #[error("malformed answer: {}", Untrusted(&.0.to_string()))]
    Malformed(#[source] serde_json::Error),
}

impl MatchError {
    /// The HTTP status of a [`MatchError::Refused`]: e.g. 404 (no such room) or 409 (full).
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Refused { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// A seat in a room: connect to [`Seat::url`] and send [`Seat::seat`] in `Hello.seat`
/// before it expires. Good for one connection.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(from = "SeatAnswer")]
pub struct Seat {
    /// The room's id.
    pub room: String,
    /// The room's type.
    pub name: String,
    /// The WebSocket URL to connect to (`ws://host:port/ws`).
    pub url: String,
    /// The seat token: a secret, one connection's ticket into the room.
    pub seat: String,
    /// How long the seat was valid for when the server answered.
    pub expires_in: Duration,
}

impl std::fmt::Debug for Seat {
    /// Never prints the token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Seat")
            .field("room", &self.room)
            .field("name", &self.name)
            .field("url", &self.url)
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

/// A [`Seat`] as the API spells it.
#[derive(Deserialize)]
struct SeatAnswer {
    room: String,
    name: String,
    url: String,
    seat: String,
    expires_in_ms: u64,
}

impl From<SeatAnswer> for Seat {
    fn from(answer: SeatAnswer) -> Self {
        Self {
            room: answer.room,
            name: answer.name,
            url: answer.url,
            seat: answer.seat,
            expires_in: Duration::from_millis(answer.expires_in_ms),
        }
    }
}

/// One room, as `GET /rooms` lists it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Room {
    /// The room's id (`"default"` for the default room).
    pub id: String,
    /// The room's type.
    pub name: String,
    /// Connected players, players who may still resume, and unexpired seats.
    pub clients: u32,
    /// How many clients the room takes.
    pub max_clients: u32,
    /// What players filter and match on.
    #[serde(default)]
    pub label: Label,
    /// The room's simulation rate.
    pub tick_rate_hz: u16,
    /// Whether the room takes new players.
    pub state: RoomState,
    /// The process that owns the room, in a cluster (`None` from a lone server).
    #[serde(default)]
    pub owner: Option<String>,
}

/// Whether a room takes new players.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RoomState {
    /// It does.
    Open,
    /// It does not (full, or locked by the game).
    Locked,
    /// A state this build does not know (a newer server's).
    #[serde(other)]
    Other,
}

/// The answer of `GET /rooms`.
#[derive(Deserialize)]
struct RoomList {
    rooms: Vec<Room>,
}

/// What room to create, or to join or create: the body of `POST /rooms` and
/// `POST /matchmake`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatchRequest {
    /// The room type (`"default"` for the built-in one).
    pub name: String,
    /// Joining: the fields a room's label must have, with equal values. Creating: the new
    /// room's label.
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub label: Label,
    /// The new room's options, if one is created (for `"default"`: `max_clients`, `npcs`,
    /// `tick_rate_hz`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<Map<String, Value>>,
}

impl MatchRequest {
    /// A room of type `name`, any label, default options.
    pub fn new(name: impl Into<String>) -> Self {
        Self { name: name.into(), label: Label::new(), options: None }
    }

    /// Adds `key = value` to the label.
    #[must_use]
    pub fn label(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.label.insert(key.into(), value.into());
        self
    }

    /// Sets the options a created room gets.
    #[must_use]
    pub fn options(mut self, options: Map<String, Value>) -> Self {
        self.options = Some(options);
        self
    }
}

/// A client of one server's matchmaking API.
///
/// # Example
/// ```no_run
/// # async fn demo() -> Result<(), tickwire_client::MatchError> {
/// use tickwire_client::{MatchRequest, Matchmaker};
///
/// let matchmaker = Matchmaker::new("http://127.0.0.1:8080")?;
/// let seat = matchmaker.join_or_create(&MatchRequest::new("default").label("mode", "ffa")).await?;
/// println!("seated in room {} at {}", seat.room, seat.url);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Matchmaker {
    /// `host:port`, to connect to and to name in the `Host` header.
    authority: String,
    timeout: Duration,
}

impl Matchmaker {
    /// The matchmaker of the server at `address`: `http://host:port`, or the server's
    /// WebSocket URL `ws://host:port/ws` (the API shares the WebSocket's port). Only the
    /// host and port are used.
    ///
    /// # Errors
    /// [`MatchError::InvalidAddress`] for another scheme (TLS is not supported) or no host.
    pub fn new(address: &str) -> Result<Self, MatchError> {
        let invalid = || MatchError::InvalidAddress(address.to_owned());
        let uri: Uri = address.parse().map_err(|_| invalid())?;
        let default_port = match uri.scheme_str() {
            Some("http" | "ws") => 80,
            _ => return Err(invalid()),
        };
        let host = uri.host().filter(|host| !host.is_empty()).ok_or_else(invalid)?;
        let port = uri.port_u16().unwrap_or(default_port);
        Ok(Self { authority: format!("{host}:{port}"), timeout: DEFAULT_TIMEOUT })
    }

    /// How long one call may take, connecting included (default: five seconds).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The rooms of type `name` (any type if `None`) whose label has every field of
    /// `label` (strings compared as strings, other values by their JSON text).
    ///
    /// # Errors
    /// [`MatchError`] if the call fails or the server refuses it.
    pub async fn list(&self, name: Option<&str>, label: &Label) -> Result<Vec<Room>, MatchError> {
        let filters = name
            .map(|name| ("name", name.to_owned()))
            .into_iter()
            .chain(label.iter().map(|(key, value)| (key.as_str(), json_text(value))));
        let query: Vec<String> = filters
            .map(|(key, value)| format!("{}={}", encode_component(key), encode_component(&value)))
            .collect();
        let path = if query.is_empty() {
            "/rooms".to_owned()
        } else {
            format!("/rooms?{}", query.join("&"))
        };
        let list: RoomList = self.call(Method::GET, &path, None).await?;
        Ok(list.rooms)
    }

    /// Creates a room and reserves a seat in it.
    ///
    /// # Errors
    /// [`MatchError`] if the call fails or the server refuses it (400: unknown type or bad
    /// options; 503: room limit reached).
    pub async fn create(&self, request: &MatchRequest) -> Result<Seat, MatchError> {
        self.call(Method::POST, "/rooms", Some(request)).await
    }

    /// Reserves a seat in the room with id `room`.
    ///
    /// # Errors
    /// [`MatchError`] if the call fails or the server refuses it (404: no such room; 409:
    /// full or locked).
    pub async fn join(&self, room: &str) -> Result<Seat, MatchError> {
        let path = format!("/rooms/{}/join", encode_component(room));
        self.call(Method::POST, &path, None).await
    }

    /// Reserves a seat in an open room of the request's type whose label matches, or
    /// creates one with the request's label and options.
    ///
    /// # Errors
    /// [`MatchError`] if the call fails or the server refuses it.
    pub async fn join_or_create(&self, request: &MatchRequest) -> Result<Seat, MatchError> {
        self.call(Method::POST, "/matchmake", Some(request)).await
    }

    /// One call: the request, bounded in time, and its answer parsed as `T`.
    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&MatchRequest>,
    ) -> Result<T, MatchError> {
        let body = match body {
            Some(body) => Bytes::from(serde_json::to_vec(body).map_err(MatchError::Malformed)?),
            None => Bytes::new(),
        };
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, &self.authority)
            .header(header::CONNECTION, "close")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Full::new(body))
            .map_err(|_| MatchError::InvalidAddress(self.authority.clone()))?;
        let (status, answer) = tokio::time::timeout(self.timeout, self.exchange(request))
            .await
            .map_err(|_| MatchError::Timeout(self.timeout))??;
        if !status.is_success() {
            return Err(MatchError::Refused {
                status: status.as_u16(),
                message: error_text(&answer),
            });
        }
        serde_json::from_slice(&answer).map_err(MatchError::Malformed)
    }

    /// Sends `request` on a new connection and reads the whole answer.
    async fn exchange(
        &self,
        request: Request<Full<Bytes>>,
    ) -> Result<(StatusCode, Bytes), MatchError> {
        let stream = TcpStream::connect(&self.authority).await.map_err(MatchError::Connect)?;
        let (mut sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
        let exchange = async move {
            let response = sender.send_request(request).await?;
            let status = response.status();
            let answer = Limited::new(response.into_body(), MAX_ANSWER_BYTES)
                .collect()
                .await
                // Limited fails with the body's own (hyper) error or with its limit's.
                .map_err(|error| match error.downcast::<hyper::Error>() {
                    Ok(error) => MatchError::Http(*error),
                    Err(_) => MatchError::TooLarge,
                })?;
            Ok((status, answer.to_bytes()))
        };
        // The connection does the I/O of the exchange; it ends once the answer is read
        // (the request said `Connection: close`), so the exchange's result is the one.
        let (result, _) = tokio::join!(exchange, connection);
        result
    }
}

/// A label value as a query filter: a string as itself, anything else as its JSON text.
fn json_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// `text` percent-encoded for a URL path segment or query component: every byte but the
/// unreserved ones (RFC 3986) is escaped.
fn encode_component(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(char::from(byte));
        } else {
            let _ = write!(encoded, "%{byte:02X}"); // Writing to a String cannot fail.
        }
    }
    encoded
}

/// The server's `error` text from an error answer, or the start of the answer's first
/// line if it is not the API's JSON (a proxy's error page).
fn error_text(answer: &[u8]) -> String {
    #[derive(Deserialize)]
    struct ErrorAnswer {
        error: String,
    }
    if let Ok(ErrorAnswer { error }) = serde_json::from_slice(answer) {
        return error;
    }
    let text = String::from_utf8_lossy(answer);
    text.lines().next().unwrap_or_default().chars().take(MAX_ERROR_TEXT).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_keep_only_host_and_port() {
        let authority = |address: &str| Matchmaker::new(address).map(|m| m.authority);
        assert_eq!(authority("http://127.0.0.1:8080").ok(), Some("127.0.0.1:8080".to_owned()));
        assert_eq!(authority("ws://example.com:9/ws").ok(), Some("example.com:9".to_owned()));
        assert_eq!(authority("http://example.com/").ok(), Some("example.com:80".to_owned()));
        assert_eq!(authority("http://[::1]:8080").ok(), Some("[::1]:8080".to_owned()));
        for bad in ["https://example.com", "wss://example.com/ws", "example.com:80", "", "http://"]
        {
            assert!(
                matches!(authority(bad), Err(MatchError::InvalidAddress(_))),
                "{bad:?} should be refused"
            );
        }
    }

    #[test]
    fn components_are_percent_encoded() {
        assert_eq!(encode_component("k3v9qz2a"), "k3v9qz2a");
        assert_eq!(encode_component("a b/c?d&e=é"), "a%20b%2Fc%3Fd%26e%3D%C3%A9");
    }

    #[test]
    fn error_text_prefers_the_apis_error_field() {
        assert_eq!(error_text(br#"{"error": "room is full"}"#), "room is full");
        assert_eq!(error_text(b"<html>Bad Gateway</html>\n<body>"), "<html>Bad Gateway</html>");
        assert_eq!(error_text(&[b'x'; 1000]).len(), MAX_ERROR_TEXT);
    }

    #[test]
    fn requests_leave_out_what_is_not_set() {
        let plain = serde_json::to_value(MatchRequest::new("default")).ok();
        assert_eq!(plain, Some(serde_json::json!({"name": "default"})));
        let options = serde_json::json!({"npcs": 20});
        let full = MatchRequest::new("default")
            .label("mode", "ffa")
            .label("level", 3)
            .options(options.as_object().cloned().unwrap_or_default());
        assert_eq!(
            serde_json::to_value(full).ok(),
            Some(serde_json::json!({
                "name": "default", "label": {"mode": "ffa", "level": 3}, "options": {"npcs": 20}
            }))
        );
    }

    #[test]
    fn seats_hide_their_token_when_printed() {
        let seat = Seat {
            room: "r1".into(),
            name: "default".into(),
            url: "ws://h/ws".into(),
            seat: "secret-token".into(),
            expires_in: Duration::from_secs(15),
        };
        let printed = format!("{seat:?}");
        assert!(!printed.contains("secret-token"), "{printed} should not show the token");
        assert!(printed.contains("r1"), "{printed} should name the room");
    }
}
