//! The admin HTTP API: read and change settings while the server runs.
//!
//! - `GET /admin/settings`: the settings in force, as JSON.
//! - `PATCH /admin/settings`: a JSON object with any subset of the settings; the change is
//!   validated against the settings in force, lands at the next tick boundary, is logged,
//!   and every client gets a `Settings` message. Answers with the resulting settings.
//!
//! Who may call it is decided in front of it (`access`): the admin token, or this machine
//! only on a loopback bind without one.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use tickwire_net::SnapshotRing;
use tickwire_protocol::{Settings, SettingsPatch};
use tickwire_sim::SimSender;
use tokio::sync::watch;
use tracing::info;

use crate::access::{Guard, error};

/// What the admin handlers need.
#[derive(Clone)]
pub(crate) struct Admin {
    pub(crate) sim: SimSender,
    pub(crate) frames: watch::Receiver<Arc<SnapshotRing>>,
    /// The settings at start, until the first frame carries the settings in force.
    pub(crate) initial: Settings,
    /// `limits.max_messages_per_second`: the input cadence a change sets must fit it.
    pub(crate) max_client_messages_per_second: u32,
}

/// The admin routes, behind `guard`.
pub(crate) fn router(admin: Admin, guard: Guard) -> Router {
    Router::new()
        .route("/admin/settings", get(read_settings).patch(change_settings))
        .route_layer(middleware::from_fn_with_state(guard, Guard::enforce))
        .with_state(admin)
}

impl Admin {
    fn settings_in_force(&self) -> Settings {
        self.frames.borrow().newest().map_or(self.initial, |frame| *frame.settings())
    }
}

async fn read_settings(State(admin): State<Admin>) -> Response {
    Json(admin.settings_in_force()).into_response()
}

/// Takes the body as JSON whatever its `Content-Type`, so `curl -d '{...}'` works.
async fn change_settings(State(admin): State<Admin>, body: Bytes) -> Response {
    let mut json = serde_json::Deserializer::from_slice(&body);
    let patch: SettingsPatch = match serde_path_to_error::deserialize(&mut json) {
        Ok(patch) => patch,
        Err(invalid) => {
            let message =
                format!("invalid settings change at `{}`: {}", invalid.path(), invalid.inner());
            return error(StatusCode::BAD_REQUEST, &message);
        }
    };
    let checked = patch.apply_to(&admin.settings_in_force()).and_then(|settings| {
        settings.validate_with_budget(admin.max_client_messages_per_second).map(|()| settings)
    });
    let settings = match checked {
        Ok(settings) => settings,
        Err(invalid) => return error(StatusCode::BAD_REQUEST, &invalid.to_string()),
    };
    if admin.sim.update_settings(patch, "admin API").is_err() {
        return error(StatusCode::SERVICE_UNAVAILABLE, "the simulation has stopped");
    }
    info!(?patch, "settings change requested through the admin API");
    Json(settings).into_response()
}
