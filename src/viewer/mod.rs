//! The command-hall viewer: one page and its assets, all compiled into the binary.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::api::permission::Need;
use crate::api::routes::Routes;

const INDEX: &str = include_str!("index.html");
const APP_JS: &str = include_str!("app.js");
const APP_CSS: &str = include_str!("app.css");
const API_JS: &str = include_str!("api.js");
const DUTY_JS: &str = include_str!("duty.js");
const STATS_JS: &str = include_str!("stats.js");
const PLUME_JS: &str = include_str!("plume.js");
const WARNINGS_JS: &str = include_str!("warnings.js");
const INTERCEPT_JS: &str = include_str!("intercept.js");
const ECHARTS: &str = include_str!("vendor/echarts.esm.min.mjs");
const MAPLIBRE: &str = include_str!("vendor/maplibre-gl.mjs");
const MAPLIBRE_WORKER: &str = include_str!("vendor/maplibre-gl-worker.mjs");
const MAPLIBRE_CSS: &str = include_str!("vendor/maplibre-gl.css");

/// Routes of the page and its assets: open to all, since the page is also the sign-in form.
pub fn router() -> Routes {
    Routes::new()
        .get("/", Need::Nothing, || async { asset(INDEX, "text/html; charset=utf-8") })
        .get("/viewer/app.js", Need::Nothing, || async { asset(APP_JS, "text/javascript; charset=utf-8") })
        .get("/viewer/app.css", Need::Nothing, || async { asset(APP_CSS, "text/css; charset=utf-8") })
        .get("/viewer/api.js", Need::Nothing, || async { asset(API_JS, "text/javascript; charset=utf-8") })
        .get("/viewer/duty.js", Need::Nothing, || async { asset(DUTY_JS, "text/javascript; charset=utf-8") })
        .get("/viewer/stats.js", Need::Nothing, || async { asset(STATS_JS, "text/javascript; charset=utf-8") })
        .get("/viewer/plume.js", Need::Nothing, || async { asset(PLUME_JS, "text/javascript; charset=utf-8") })
        .get("/viewer/warnings.js", Need::Nothing, || async { asset(WARNINGS_JS, "text/javascript; charset=utf-8") })
        .get("/viewer/intercept.js", Need::Nothing, || async { asset(INTERCEPT_JS, "text/javascript; charset=utf-8") })
        .get("/vendor/echarts.esm.min.mjs", Need::Nothing, || async {
            asset(ECHARTS, "text/javascript; charset=utf-8")
        })
        .get("/vendor/maplibre-gl.mjs", Need::Nothing, || async { asset(MAPLIBRE, "text/javascript; charset=utf-8") })
        .get("/vendor/maplibre-gl-worker.mjs", Need::Nothing, || async {
            asset(MAPLIBRE_WORKER, "text/javascript; charset=utf-8")
        })
        .get("/vendor/maplibre-gl.css", Need::Nothing, || async { asset(MAPLIBRE_CSS, "text/css; charset=utf-8") })
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
