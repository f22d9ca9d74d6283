//! The command-hall viewer: one page and its assets, all compiled into the binary.

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::api::AppState;

const INDEX: &str = include_str!("index.html");
const APP_JS: &str = include_str!("app.js");
const APP_CSS: &str = include_str!("app.css");
const MAPLIBRE: &str = include_str!("vendor/maplibre-gl.mjs");
const MAPLIBRE_WORKER: &str = include_str!("vendor/maplibre-gl-worker.mjs");
const MAPLIBRE_CSS: &str = include_str!("vendor/maplibre-gl.css");

/// Routes of the page and its assets.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { asset(INDEX, "text/html; charset=utf-8") }))
        .route("/viewer/app.js", get(|| async { asset(APP_JS, "text/javascript; charset=utf-8") }))
        .route("/viewer/app.css", get(|| async { asset(APP_CSS, "text/css; charset=utf-8") }))
        .route("/vendor/maplibre-gl.mjs", get(|| async { asset(MAPLIBRE, "text/javascript; charset=utf-8") }))
        .route(
            "/vendor/maplibre-gl-worker.mjs",
            get(|| async { asset(MAPLIBRE_WORKER, "text/javascript; charset=utf-8") }),
        )
        .route("/vendor/maplibre-gl.css", get(|| async { asset(MAPLIBRE_CSS, "text/css; charset=utf-8") }))
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response()
}
