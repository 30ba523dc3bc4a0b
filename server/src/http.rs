//! HTTP routes on the game port: the browser demo, the WebSocket endpoint, health
//! (`/healthz`: the process is alive) and readiness (`/readyz`: it takes new players).
//!
//! The demo page and its bundle are embedded at compile time, so the binary serves them
//! with no files beside it. `scripts/build-client` rebuilds the bundle.

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use tickwire_net::Net;

use crate::process_state::{Phase, ProcessStatus};

const INDEX_HTML: &str = include_str!("../../client-demo/index.html");
const APP_JS: &str = include_str!("../../client-demo/dist/app.js");

/// All routes, with the session endpoint at `/ws`.
pub(crate) fn router(net: Net, status: ProcessStatus) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/app.js", get(app_js))
        .route("/healthz", get(|| async { "ok" }))
        .route("/ws", get(Net::accept))
        .with_state(net)
        .merge(Router::new().route("/readyz", get(ready)).with_state(status))
}

/// 200 while the process takes new rooms and players; 503 once it drains or stops.
async fn ready(State(status): State<ProcessStatus>) -> (StatusCode, &'static str) {
    match status.phase() {
        Phase::Serving => (StatusCode::OK, "ready"),
        Phase::Draining => (StatusCode::SERVICE_UNAVAILABLE, "draining"),
        Phase::Stopping => (StatusCode::SERVICE_UNAVAILABLE, "stopping"),
    }
}

async fn index() -> impl IntoResponse {
    ([(header::CACHE_CONTROL, "no-cache")], Html(INDEX_HTML))
}

async fn app_js() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        APP_JS,
    )
}
