//! The matchmaking API: list rooms, create one, join one, or join-or-create, each
//! answering with a seat (where to connect, and a short-lived signed token for `Hello`).
//!
//! - `GET /rooms?name=T&k=v`: rooms of type `T` whose label has `k` equal to `v` (in a
//!   cluster, every process's, each with its `owner`).
//! - `POST /rooms` `{"name", "label"?, "options"?}`: a new room, and a seat in it (201).
//! - `POST /rooms/{id}/join`: a seat in room `id` (404 none, 409 full or locked).
//! - `POST /matchmake` `{"name", "label"?, "options"?}`: a seat in the fullest open room
//!   of type `name` whose label has every field of `label`, created if there is none.
//!
//! Bodies are JSON whatever the `Content-Type` (so `curl -d` works), at most 16 KiB (the
//! HTTP loop's cap). Errors are `{"error": "..."}`; 503 when the process cannot place
//! anybody (no room left, draining, or the cluster's directory unreachable). Alone, the
//! seat's `url` is `ws://` + the `Host` the client used + `/ws`: the address that reached
//! this server; in a cluster it is the owning process's public URL.

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
use crate::cluster::peers::{FORWARDED, Seat};
use crate::cluster::routing::{Cluster, ListedRoom};
use crate::rooms::registry::{MatchError, Registry, RoomInfo};

/// Where matchmaking looks for rooms.
pub(crate) enum Rooms {
    /// This process's rooms only.
    Alone(Arc<Registry>),
    /// Every process's, through the directory.
    Cluster(Arc<Cluster>),
}

/// The matchmaking routes.
pub(crate) fn router(rooms: Rooms) -> Router {
    Router::new()
        .route("/rooms", get(list).post(create))
        .route("/rooms/{id}/join", post(join))
        .route("/matchmake", post(join_or_create))
        .with_state(Arc::new(rooms))
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
    State(rooms): State<Arc<Rooms>>,
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
    // Query values are text: a label field matches as a string, or by its JSON text.
    let wanted = |room: &RoomInfo| {
        filter.iter().all(|(key, wanted)| match room.label.get(key) {
            Some(Value::String(text)) => text == wanted,
            Some(other) => other.to_string().as_str() == wanted.as_str(),
            None => false,
        })
    };
    let listed = match &*rooms {
        Rooms::Alone(registry) => {
            let listed: Vec<RoomInfo> =
                registry.list(name.as_deref()).into_iter().filter(|room| wanted(room)).collect();
            json!({ "rooms": listed })
        }
        Rooms::Cluster(cluster) => match cluster.list(name.as_deref()).await {
            Ok(listed) => {
                let listed: Vec<ListedRoom> =
                    listed.into_iter().filter(|listed| wanted(&listed.room)).collect();
                json!({ "rooms": listed })
            }
            Err(failure) => return refused(&failure),
        },
    };
    Json(listed).into_response()
}

async fn create(State(rooms): State<Arc<Rooms>>, headers: HeaderMap, body: Bytes) -> Response {
    let RoomRequest { name, label, options } = match parse(&body) {
        Ok(request) => request,
        Err(response) => return *response,
    };
    let seat = match &*rooms {
        Rooms::Alone(registry) => {
            registry.create(&name, label, options).map(|grant| here(grant, &headers))
        }
        Rooms::Cluster(cluster) if headers.contains_key(FORWARDED) => {
            cluster.create_here(&name, label, options).await
        }
        Rooms::Cluster(cluster) => cluster.create(&name, label, options).await,
    };
    answer(seat, StatusCode::CREATED)
}

async fn join(
    State(rooms): State<Arc<Rooms>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let seat = match &*rooms {
        Rooms::Alone(registry) => registry.join(&id).map(|grant| here(grant, &headers)),
        Rooms::Cluster(cluster) if headers.contains_key(FORWARDED) => cluster.join_here(&id),
        Rooms::Cluster(cluster) => cluster.join(&id).await,
    };
    answer(seat, StatusCode::OK)
}

async fn join_or_create(
    State(rooms): State<Arc<Rooms>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let RoomRequest { name, label, options } = match parse(&body) {
        Ok(request) => request,
        Err(response) => return *response,
    };
    let seat = match &*rooms {
        Rooms::Alone(registry) => {
            registry.join_or_create(&name, label, options).map(|grant| here(grant, &headers))
        }
        Rooms::Cluster(cluster) => cluster.join_or_create(&name, label, options).await,
    };
    answer(seat, StatusCode::OK)
}

fn parse(body: &[u8]) -> Result<RoomRequest, Box<Response>> {
    let mut json = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut json).map_err(|invalid| {
        let message = format!("invalid request at `{}`: {}", invalid.path(), invalid.inner());
        Box::new(error(StatusCode::BAD_REQUEST, &message))
    })
}

fn answer(seat: Result<Seat, MatchError>, status: StatusCode) -> Response {
    match seat {
        Ok(Seat { grant, url }) => {
            let body = json!({
                "room": grant.room,
                "name": grant.name,
                "url": url,
                "seat": grant.seat,
                "expires_in_ms": grant.expires_in_ms,
            });
            (status, Json(body)).into_response()
        }
        Err(failure) => refused(&failure),
    }
}

fn refused(failure: &MatchError) -> Response {
    let status = match failure {
        MatchError::Invalid(_) => StatusCode::BAD_REQUEST,
        MatchError::NoRoom(_) => StatusCode::NOT_FOUND,
        MatchError::Unavailable(_) => StatusCode::CONFLICT,
        MatchError::Exhausted(_) => StatusCode::SERVICE_UNAVAILABLE,
    };
    error(status, &failure.to_string())
}

/// A seat in this process, reached at the address the request came to.
fn here(grant: crate::rooms::registry::SeatGrant, headers: &HeaderMap) -> Seat {
    Seat { grant, url: session_url(headers) }
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
