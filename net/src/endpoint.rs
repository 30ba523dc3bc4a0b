//! [`Net`]: what all sessions share, and the `/ws` endpoint that starts them.
//!
//! The upgrade is done by hand on top of hyper rather than through a framework's
//! WebSocket wrapper, so sessions own the upgraded socket: `tokio-tungstenite` reads it
//! with a `WebSocketConfig` sized for many light connections, and the session writes its
//! own frames (see `session::outbox`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use data_encoding::BASE64;
use hyper::upgrade::{OnUpgrade, Parts};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{info, warn};

use crate::admission::{Admission, Authenticator};
use crate::config::NetConfig;
use crate::log_throttle::LogThrottle;
use crate::metrics::NetMetrics;
use crate::peer_socket::PeerSocket;
use crate::room::RoomDirectory;
use crate::session;

/// At most ten warnings a second for sessions closed for breaking a rule.
const REFUSAL_LOG_INTERVAL: Duration = Duration::from_millis(100);
/// At most one line a second for evicted ghosts.
const EVICTION_LOG_INTERVAL: Duration = Duration::from_secs(1);

/// Shared state of every session. Cheap to clone.
#[derive(Clone)]
pub struct Net {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) config: NetConfig,
    pub(crate) rooms: Arc<dyn RoomDirectory>,
    pub(crate) shutdown: CancellationToken,
    pub(crate) metrics: NetMetrics,
    pub(crate) admission: Arc<Admission>,
    pub(crate) authenticator: Arc<dyn Authenticator>,
    /// Thins the warnings for sessions closed for breaking a rule: a flood of bad
    /// connections must not become a flood of log lines (every close is still counted).
    pub(crate) refusal_log: LogThrottle,
    /// Likewise for evicted ghosts.
    pub(crate) eviction_log: LogThrottle,
    next_session_id: AtomicU64,
    /// Every session's task, and every room's writer shards (see `fanout`).
    pub(crate) sessions: TaskTracker,
}

impl Net {
    /// Creates the network side over the rooms `rooms` finds; `authenticator` decides
    /// who may play.
    pub fn new(
        config: NetConfig,
        rooms: Arc<dyn RoomDirectory>,
        metrics: NetMetrics,
        authenticator: Arc<dyn Authenticator>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                admission: Admission::new(
                    config.max_sessions,
                    config.max_sessions_per_address,
                    config.resume_grace,
                ),
                authenticator,
                refusal_log: LogThrottle::new(REFUSAL_LOG_INTERVAL),
                eviction_log: LogThrottle::new(EVICTION_LOG_INTERVAL),
                config,
                rooms,
                shutdown: CancellationToken::new(),
                metrics,
                next_session_id: AtomicU64::new(1),
                sessions: TaskTracker::new(),
            }),
        }
    }

    /// The axum handler for `GET /ws`: validates the upgrade request, answers
    /// `101 Switching Protocols`, and runs the session in its own task.
    /// Needs `ConnectInfo<PeerSocket>` in the request's extensions, as the server's HTTP loop
    /// puts it there.
    pub async fn accept(
        State(net): State<Net>,
        ConnectInfo(socket): ConnectInfo<PeerSocket>,
        mut request: Request,
    ) -> Response {
        if net.inner.shutdown.is_cancelled() {
            return (StatusCode::SERVICE_UNAVAILABLE, "server is shutting down").into_response();
        }
        let accept_key = match websocket_accept_key(request.headers()) {
            Ok(key) => key,
            Err(reason) => return (StatusCode::BAD_REQUEST, reason).into_response(),
        };
        let origin = request
            .headers()
            .get(header::ORIGIN)
            .and_then(|origin| origin.to_str().ok())
            .map(str::to_owned);
        let on_upgrade = hyper::upgrade::on(&mut request);
        let session_id = net.inner.next_session_id.fetch_add(1, Ordering::Relaxed);
        let ws_config = WebSocketConfig::default()
            .read_buffer_size(net.inner.config.read_buffer_bytes)
            .max_message_size(Some(net.inner.config.max_message_bytes))
            .max_frame_size(Some(net.inner.config.max_message_bytes));
        let start = Box::new(session::Start {
            net: Arc::clone(&net.inner),
            id: session_id,
            peer: socket.addr,
            origin,
            config: ws_config,
        });
        net.inner.sessions.spawn(session::run(start, on_upgrade));

        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
        let headers = response.headers_mut();
        headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept_key);
        response
    }

    /// Tells every session to send `Disconnect` and close, stops new ones, and waits up to
    /// `grace` for them to finish. Returns how many were still running when time ran out.
    pub async fn shut_down(&self, grace: Duration) -> usize {
        self.inner.shutdown.cancel();
        self.inner.sessions.close();
        if tokio::time::timeout(grace, self.inner.sessions.wait()).await.is_err() {
            let left = self.inner.sessions.len();
            warn!(left, "sessions still open after the shutdown grace period");
            return left;
        }
        info!("all sessions closed");
        0
    }
}

/// The TCP stream under the connection `upgrade` hands over once the `101` is sent, and
/// what hyper read of it past the upgrade request; `None` (logged) if the upgrade failed.
/// Sessions write their socket directly, without waiting (see `fanout`), so they need the
/// stream itself, not hyper's wrapper around it. The read-ahead is copied: hyper's
/// `read_buf` shares its whole read buffer (8 KiB or more), which the session would
/// otherwise hold for its life.
pub(crate) async fn upgraded_socket(
    upgrade: OnUpgrade,
    peer: SocketAddr,
) -> Option<(TcpStream, Vec<u8>)> {
    let upgraded = match upgrade.await {
        Ok(upgraded) => upgraded,
        Err(error) => {
            warn!(%peer, %error, "WebSocket upgrade failed");
            return None;
        }
    };
    let Ok(Parts { io, read_buf, .. }) = upgraded.downcast::<TokioIo<TcpStream>>() else {
        warn!(%peer, "WebSocket upgrade not over TCP; closed");
        return None;
    };
    Some((io.into_inner(), read_buf.to_vec()))
}

/// Checks the upgrade headers (RFC 6455 section 4.2.1) and derives `Sec-WebSocket-Accept`.
fn websocket_accept_key(headers: &HeaderMap) -> Result<HeaderValue, &'static str> {
    let has_token = |name: header::HeaderName, token: &str| {
        headers.get_all(name).iter().any(|value| {
            value.to_str().is_ok_and(|value| {
                value.split(',').any(|part| part.trim().eq_ignore_ascii_case(token))
            })
        })
    };
    if !has_token(header::CONNECTION, "upgrade") || !has_token(header::UPGRADE, "websocket") {
        return Err("expected a WebSocket upgrade request");
    }
    if headers.get(header::SEC_WEBSOCKET_VERSION).is_none_or(|version| version != "13") {
        return Err("unsupported Sec-WebSocket-Version; expected 13");
    }
    let key = headers.get(header::SEC_WEBSOCKET_KEY).ok_or("missing Sec-WebSocket-Key")?;
    // The key is a random 16-byte nonce in base64 (section 4.1), nothing else.
    if !BASE64.decode(key.as_bytes()).is_ok_and(|nonce| nonce.len() == 16) {
        return Err("invalid Sec-WebSocket-Key: expected 16 bytes in base64");
    }
    HeaderValue::from_str(&derive_accept_key(key.as_bytes()))
        .map_err(|_| "invalid Sec-WebSocket-Key")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upgrade_with_key(key: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
        headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        headers.insert(header::SEC_WEBSOCKET_VERSION, HeaderValue::from_static("13"));
        headers.insert(header::SEC_WEBSOCKET_KEY, HeaderValue::from_str(key).expect("a header"));
        headers
    }

    #[test]
    fn the_key_must_be_sixteen_bytes_in_base64() {
        // RFC 6455 section 1.3's example.
        let accepted = websocket_accept_key(&upgrade_with_key("dGhlIHNhbXBsZSBub25jZQ=="));
        assert_eq!(
            accepted.as_ref().map(|value| value.as_bytes()),
            Ok(&b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="[..])
        );
        for bad in [
            "",
            "hello",
            "dGhlIHNhbXBsZSBub25jZQ",     // no padding
            "dGhlIHNhbXBsZSBub25jZR==",   // bits after the 16th byte
            "dGhlIHNhbXBsZSBub25jZQ==AA", // more than 16 bytes
            "dGhlIHNhbXBsZSBub25j",       // 15 bytes
            "dGhlIHNhbXBsZSBub25jZQ!=",
        ] {
            assert!(
                websocket_accept_key(&upgrade_with_key(bad)).is_err(),
                "{bad:?} should be refused"
            );
        }
    }
}
