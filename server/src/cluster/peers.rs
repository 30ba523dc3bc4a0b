//! Asking another process of the cluster: a matchmaking request is forwarded, as the same
//! public HTTP call a client would make, to the process that owns the room (or that is to
//! create it), marked [`FORWARDED`] so the owner answers from its own rooms and never
//! forwards again. Only the owner reserves seats in its rooms and signs their tokens.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::{Method, Request, StatusCode, header};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde::Deserialize;

use crate::rooms::registry::{MatchError, SeatGrant};

/// The header that marks a request forwarded by a peer: answer it from this process.
pub(crate) const FORWARDED: &str = "x-tickwire-forwarded";
/// The longest a peer may take to answer.
const PEER_TIMEOUT: Duration = Duration::from_secs(3);
/// The largest answer read from a peer.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// A seat, with the URL its client connects to.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Seat {
    #[serde(flatten)]
    pub(crate) grant: SeatGrant,
    pub(crate) url: String,
}

/// An HTTP client for peers.
#[derive(Clone)]
pub(crate) struct Peers {
    client: Client<HttpConnector, Full<Bytes>>,
}

impl Peers {
    pub(crate) fn new() -> Self {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(Duration::from_secs(1)));
        connector.set_nodelay(true);
        Self { client: Client::builder(TokioExecutor::new()).build(connector) }
    }

    /// `POST {peer_url}{path}` with `body`, answered as the matchmaking API answers: a
    /// seat, or the peer's refusal as the same [`MatchError`].
    pub(crate) async fn seat(
        &self,
        peer_url: &str,
        path: &str,
        body: Bytes,
    ) -> Result<Seat, MatchError> {
        let unreachable =
            |why: String| MatchError::Exhausted(format!("process at {peer_url} {why}"));
        let request = Request::builder()
            .method(Method::POST)
            .uri(format!("{peer_url}{path}"))
            .header(header::CONTENT_TYPE, "application/json")
            .header(FORWARDED, "1")
            .body(Full::new(body))
            .map_err(|error| unreachable(format!("cannot be asked: {error}")))?;
        let exchange = async {
            let response = self.client.request(request).await.map_err(|e| e.to_string())?;
            let status = response.status();
            let body = Limited::new(response.into_body(), MAX_ANSWER_BYTES);
            let bytes = body.collect().await.map_err(|e| e.to_string())?.to_bytes();
            Ok::<_, String>((status, bytes))
        };
        let (status, bytes) = tokio::time::timeout(PEER_TIMEOUT, exchange)
            .await
            .map_err(|_| unreachable(format!("did not answer within {PEER_TIMEOUT:?}")))?
            .map_err(|error| unreachable(format!("is unreachable: {error}")))?;
        if status.is_success() {
            return serde_json::from_slice(&bytes)
                .map_err(|error| unreachable(format!("answered a malformed seat: {error}")));
        }
        Err(refusal(status, &bytes))
    }
}

/// The [`MatchError`] a peer's error answer stands for.
fn refusal(status: StatusCode, body: &[u8]) -> MatchError {
    #[derive(Deserialize)]
    struct Refusal {
        error: String,
    }
    let message = serde_json::from_slice::<Refusal>(body)
        .map_or_else(|_| format!("a peer answered {status}"), |refusal| refusal.error);
    match status {
        StatusCode::BAD_REQUEST => MatchError::Invalid(message),
        StatusCode::NOT_FOUND => MatchError::NoRoom(message),
        StatusCode::CONFLICT => MatchError::Unavailable(message),
        _ => MatchError::Exhausted(message),
    }
}
