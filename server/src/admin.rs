//! The admin HTTP API: read and change settings while the server runs.
//!
//! - `GET /admin/settings`: the settings in force, as JSON.
//! - `PATCH /admin/settings`: a JSON object with any subset of the settings; the change is
//!   validated against the settings in force, lands at the next tick boundary, is logged,
//!   and every client gets a `Settings` message. Answers with the resulting settings.
//!
//! Access: with an admin token configured, every request needs `Authorization: Bearer
//! <token>`. Without one, the API is open on a loopback bind (only this machine can reach
//! it) and off otherwise, so a public server never exposes it by accident.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use serde_json::json;
use subtle::ConstantTimeEq;
use tickwire_net::FrameRing;
use tickwire_protocol::{Settings, SettingsPatch};
use tickwire_sim::SimSender;
use tokio::sync::watch;
use tracing::info;

/// Who may use the admin API.
#[derive(Debug, Clone)]
pub(crate) enum Access {
    /// Anyone who can reach the port (loopback binds without a token).
    Open,
    /// Requests must carry this bearer token.
    Token(Arc<str>),
    /// Nobody: a non-loopback bind without a token.
    Disabled,
}

/// What the admin handlers need.
#[derive(Clone)]
pub(crate) struct Admin {
    pub(crate) access: Access,
    pub(crate) sim: SimSender,
    pub(crate) frames: watch::Receiver<Arc<FrameRing>>,
    /// The settings at start, until the first frame carries the settings in force.
    pub(crate) initial: Settings,
    /// `limits.max_messages_per_second`: the input cadence a change sets must fit it.
    pub(crate) max_client_messages_per_second: u32,
}

/// The admin routes.
pub(crate) fn router(admin: Admin) -> Router {
    Router::new()
        .route("/admin/settings", get(read_settings).patch(change_settings))
        .with_state(admin)
}

impl Admin {
    fn settings_in_force(&self) -> Settings {
        self.frames.borrow().newest().map_or(self.initial, |frame| *frame.settings())
    }

    fn authorize(&self, headers: &HeaderMap) -> Result<(), Refusal> {
        match &self.access {
            Access::Open => Ok(()),
            Access::Disabled => Err(Refusal::Disabled),
            Access::Token(token) => {
                let given = headers
                    .get(header::AUTHORIZATION)
                    .and_then(|value| value.to_str().ok())
                    .and_then(|value| value.strip_prefix("Bearer "))
                    .unwrap_or_default();
                if bool::from(given.as_bytes().ct_eq(token.as_bytes())) {
                    Ok(())
                } else {
                    Err(Refusal::BadToken)
                }
            }
        }
    }
}

/// Why a request to the admin API was not let in.
enum Refusal {
    Disabled,
    BadToken,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Self::Disabled => error(
                StatusCode::FORBIDDEN,
                "the admin API is off: this server listens on a non-loopback address without an admin token \
                 (set --admin-token to enable it)",
            ),
            Self::BadToken => {
                let mut response = error(StatusCode::UNAUTHORIZED, "missing or wrong admin token");
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
                response
            }
        }
    }
}

async fn read_settings(State(admin): State<Admin>, headers: HeaderMap) -> Response {
    if let Err(refusal) = admin.authorize(&headers) {
        return refusal.into_response();
    }
    Json(admin.settings_in_force()).into_response()
}

/// Takes the body as JSON whatever its `Content-Type`, so `curl -d '{...}'` works.
async fn change_settings(State(admin): State<Admin>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(refusal) = admin.authorize(&headers) {
        return refusal.into_response();
    }
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

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}
