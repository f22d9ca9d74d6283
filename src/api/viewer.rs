//! The viewer's pages and files (desk, wall, phone, API browser), served from the binary.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::doc::Doc;
use super::permission::Need;
use super::routes::Routes;
use crate::viewer::{FILES, JS, service_worker};

/// Routes of the page and its assets: open to all, since the page is also the sign-in form.
pub fn router() -> Routes {
    let worker = Routes::new().get("/sw.js", Need::Nothing, || async { asset(service_worker(), JS) }).doc(
        Doc::new("the viewer's service worker (keeps the page and the last map seen)").answer_as(
            200,
            JS,
            serde_json::json!({"type": "string"}),
            "the script",
        ),
    );
    FILES.iter().fold(worker, |routes, &(path, body, content_type)| {
        let summary = match path {
            "/" => "the viewer's page (and its sign-in form)",
            "/wall" => "the command hall's wall",
            _ => "a file of the viewer",
        };
        routes
            .get(path, Need::Nothing, move || async move { asset(body, content_type) })
            .doc(Doc::new(summary).answer_as(200, content_type, serde_json::json!({"type": "string"}), "the file"))
    })
}

/// A file of the viewer, revalidated on each load (the binary may have been replaced).
pub fn asset(body: &'static str, content_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response()
}
