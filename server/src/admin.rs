//! The admin HTTP API: read and change each room's settings while the server runs, see
//! who is in a room, and lock rooms out of matchmaking.
//!
//! - `GET /admin/rooms`: every room (as `GET /rooms` lists them).
//! - `GET /admin/rooms/{id}/settings`: room `id`'s settings in force, as JSON.
//! - `PATCH /admin/rooms/{id}/settings`: a JSON object with any subset of the settings;
//!   the change is validated against the room's settings in force, lands at its next tick
//!   boundary, is logged, and every client *of that room* gets a `Settings` message.
//!   Answers with the resulting settings.
//! - `GET /admin/rooms/{id}/clients`: the room's live sessions, dropped ones still
//!   holding a place (with the milliseconds left), and unused seats.
//! - `POST /admin/rooms/{id}/lock` and `/unlock`: take a room out of (or back into)
//!   matchmaking; its players stay.
//! - `GET` and `PATCH /admin/settings`: the same for the default room.
//!
//! Who may call it is decided in front of it (`access`): the admin token, or this machine
//! only on a loopback bind without one.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bytes::Bytes;
use serde_json::json;
use tickwire_protocol::SettingsPatch;
use tracing::info;

use crate::access::{Guard, error};
use crate::rooms::registry::Registry;

/// What the admin handlers need.
#[derive(Clone)]
pub(crate) struct Admin {
    pub(crate) rooms: Arc<Registry>,
    /// `limits.max_messages_per_second`: the input cadence a change sets must fit it.
    pub(crate) max_client_messages_per_second: u32,
}

/// The admin routes, behind `guard`.
pub(crate) fn router(admin: Admin, guard: Guard) -> Router {
    Router::new()
        .route("/admin/settings", get(read_default).patch(change_default))
        .route("/admin/rooms", get(list_rooms))
        .route("/admin/rooms/{id}/settings", get(read_settings).patch(change_settings))
        .route("/admin/rooms/{id}/clients", get(clients))
        .route("/admin/rooms/{id}/lock", post(lock))
        .route("/admin/rooms/{id}/unlock", post(unlock))
        .route_layer(middleware::from_fn_with_state(guard, Guard::enforce))
        .with_state(admin)
}

fn no_room(id: &str) -> Response {
    error(StatusCode::NOT_FOUND, &format!("no room {id:?}"))
}

async fn list_rooms(State(admin): State<Admin>) -> Response {
    Json(json!({ "rooms": admin.rooms.list(None) })).into_response()
}

async fn read_default(State(admin): State<Admin>) -> Response {
    read(&admin, admin.rooms.default_id())
}

async fn change_default(State(admin): State<Admin>, body: Bytes) -> Response {
    change(&admin, admin.rooms.default_id(), &body)
}

async fn read_settings(State(admin): State<Admin>, Path(id): Path<String>) -> Response {
    read(&admin, &id)
}

async fn change_settings(
    State(admin): State<Admin>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    change(&admin, &id, &body)
}

async fn clients(State(admin): State<Admin>, Path(id): Path<String>) -> Response {
    admin.rooms.clients(&id).map_or_else(|| no_room(&id), |clients| Json(clients).into_response())
}

async fn lock(State(admin): State<Admin>, Path(id): Path<String>) -> Response {
    set_locked(&admin, &id, true)
}

async fn unlock(State(admin): State<Admin>, Path(id): Path<String>) -> Response {
    set_locked(&admin, &id, false)
}

fn set_locked(admin: &Admin, id: &str, locked: bool) -> Response {
    if admin.rooms.set_locked(id, locked) {
        Json(json!({ "room": id, "locked": locked })).into_response()
    } else {
        no_room(id)
    }
}

fn read(admin: &Admin, id: &str) -> Response {
    admin
        .rooms
        .settings(id)
        .map_or_else(|| no_room(id), |(_, settings)| Json(settings).into_response())
}

/// Takes the body as JSON whatever its `Content-Type`, so `curl -d '{...}'` works.
fn change(admin: &Admin, id: &str, body: &[u8]) -> Response {
    let mut json = serde_json::Deserializer::from_slice(body);
    let patch: SettingsPatch = match serde_path_to_error::deserialize(&mut json) {
        Ok(patch) => patch,
        Err(invalid) => {
            let message =
                format!("invalid settings change at `{}`: {}", invalid.path(), invalid.inner());
            return error(StatusCode::BAD_REQUEST, &message);
        }
    };
    let Some((room, in_force)) = admin.rooms.settings(id) else { return no_room(id) };
    let checked = patch.apply_to(&in_force).and_then(|settings| {
        settings.validate_with_budget(admin.max_client_messages_per_second).map(|()| settings)
    });
    let settings = match checked {
        Ok(settings) => settings,
        Err(invalid) => return error(StatusCode::BAD_REQUEST, &invalid.to_string()),
    };
    if room.sim().update_settings(patch, "admin API").is_err() {
        return error(StatusCode::SERVICE_UNAVAILABLE, "the room's simulation has stopped");
    }
    admin.rooms.stir(id);
    info!(room = id, ?patch, "settings change requested through the admin API");
    Json(settings).into_response()
}
