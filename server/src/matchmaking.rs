//! The matchmaking API: list rooms, create one, join one, or join-or-create, each
//! answering with a seat (where to connect, and a short-lived signed token for `Hello`).
//!
//! - `GET /rooms?name=T&k=v`: rooms of type `T` whose label has `k` equal to `v`.
//! - `POST /rooms` `{"name", "label"?, "options"?}`: a new room, and a seat in it (201).
//! - `POST /rooms/{id}/join`: a seat in room `id` (404 none, 409 full or locked).
//! - `POST /matchmake` `{"name", "label"?, "options"?}`: a seat in the fullest open room
//!   of type `name` whose label has every field of `label`, created if there is none.
//!
//! Bodies are JSON whatever the `Content-Type` (so `curl -d` works), at most 16 KiB (the
//! HTTP loop's cap). Errors are `{"error": "..."}`. The seat's `url` is `ws://` + the
//! `Host` the client used + `/ws`: the address that reached this server.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::access::error;
use crate::rooms::registry::{MatchError, Registry, SeatGrant};

/// The matchmaking routes.
pub(crate) fn router(registry: Arc<Registry>) -> Router {
    Router::new()
        .route("/rooms", get(list).post(create))
        .route("/rooms/{id}/join", post(join))
        .route("/matchmake", post(join_or_create))
        .with_state(registry)
}

/// What `POST /rooms` and `POST /matchmake` take.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoomRequest {
    name: String,
    #[serde(default)]
    label: Map<String, Value>,
    #[serde(default)]
    options: Map<String, Value>,
}

async fn list(
    State(registry): State<Arc<Registry>>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let mut name = None;
    let mut filter = Vec::new();
    for (key, value) in query {
        if key == "name" {
            name = Some(value);
        } else {
            filter.push((key, value));
        }
    }
    let rooms = registry.list(name.as_deref());
    // Query values are text: a label field matches as a string, or by its JSON text.
    let rooms: Vec<_> = rooms
        .into_iter()
        .filter(|room| {
            filter.iter().all(|(key, wanted)| match room.label.get(key) {
                Some(Value::String(text)) => text == wanted,
                Some(other) => other.to_string().as_str() == wanted.as_str(),
                None => false,
            })
        })
        .collect();
    Json(json!({ "rooms": rooms })).into_response()
}

async fn create(
    State(registry): State<Arc<Registry>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match parse(&body) {
        Ok(RoomRequest { name, label, options }) => {
            answer(registry.create(&name, label, options), &headers, StatusCode::CREATED)
        }
        Err(response) => *response,
    }
}

async fn join(
    State(registry): State<Arc<Registry>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    answer(registry.join(&id), &headers, StatusCode::OK)
}

async fn join_or_create(
    State(registry): State<Arc<Registry>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match parse(&body) {
        Ok(RoomRequest { name, label, options }) => {
            answer(registry.join_or_create(&name, label, options), &headers, StatusCode::OK)
        }
        Err(response) => *response,
    }
}

fn parse(body: &[u8]) -> Result<RoomRequest, Box<Response>> {
    let mut json = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut json).map_err(|invalid| {
        let message = format!("invalid request at `{}`: {}", invalid.path(), invalid.inner());
        Box::new(error(StatusCode::BAD_REQUEST, &message))
    })
}

fn answer(
    granted: Result<SeatGrant, MatchError>,
    headers: &HeaderMap,
    status: StatusCode,
) -> Response {
    let grant = match granted {
        Ok(grant) => grant,
        Err(failure) => {
            let status = match failure {
                MatchError::Invalid(_) => StatusCode::BAD_REQUEST,
                MatchError::NoRoom(_) => StatusCode::NOT_FOUND,
                MatchError::Unavailable(_) => StatusCode::CONFLICT,
                MatchError::Exhausted(_) => StatusCode::SERVICE_UNAVAILABLE,
            };
            return error(status, &failure.to_string());
        }
    };
    let url = session_url(headers);
    let SeatGrant { room, name, seat, expires_in_ms } = grant;
    let body = json!({ "room": room, "name": name, "url": url, "seat": seat, "expires_in_ms": expires_in_ms });
    (status, Json(body)).into_response()
}

/// `ws://HOST/ws` for the `Host` the request came to, if it is a plain authority
/// (letters, digits, dots, dashes, colons, brackets); else a relative `/ws`.
fn session_url(headers: &HeaderMap) -> String {
    let host = headers.get(header::HOST).and_then(|host| host.to_str().ok()).filter(|host| {
        !host.is_empty()
            && host.len() <= 255
            && host.chars().all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
    });
    host.map_or_else(|| "/ws".to_owned(), |host| format!("ws://{host}/ws"))
}
