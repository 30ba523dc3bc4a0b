//! HTTP routes on the game port: the browser demo, the WebSocket endpoint, health.
//!
//! The demo page and its bundle are embedded at compile time, so the binary serves them
//! with no files beside it. `scripts/build-client` rebuilds the bundle.

use axum::Router;
use axum::http::header;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use tickwire_net::Net;

const INDEX_HTML: &str = include_str!("../../client-demo/index.html");
const APP_JS: &str = include_str!("../../client-demo/dist/app.js");

/// All routes, with the session endpoint at `/ws`.
pub(crate) fn router(net: Net) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/app.js", get(app_js))
        .route("/healthz", get(|| async { "ok" }))
        .route("/ws", get(Net::accept))
        .with_state(net)
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
