//! The viewer's pages and files (desk, wall, phone, API browser), served from the binary.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Mutex, OnceLock};

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use flate2::Compression;
use flate2::write::GzEncoder;

use super::doc::Doc;
use super::permission::Need;
use super::routes::Routes;
use crate::viewer::{FILES, JS, service_worker};

/// Routes of the page and its assets: open to all, since the page is also the sign-in form.
pub fn router() -> Routes {
    let worker = Routes::new()
        .get("/sw.js", Need::Nothing, |headers: HeaderMap| async move { asset(service_worker(), JS, &headers) })
        .doc(Doc::new("the viewer's service worker (keeps the page and the last map seen)").answer_as(
            200,
            JS,
            serde_json::json!({"type": "string"}),
            "the script",
        ));
    FILES.iter().fold(worker, |routes, &(path, body, content_type)| {
        let summary = match path {
            "/" => "the viewer's page (and its sign-in form)",
            "/wall" => "the command hall's wall",
            _ => "a file of the viewer",
        };
        routes
            .get(path, Need::Nothing, move |headers: HeaderMap| async move { asset(body, content_type, &headers) })
            .doc(Doc::new(summary).answer_as(200, content_type, serde_json::json!({"type": "string"}), "the file"))
    })
}

/// A file of the viewer as served: compressed once (not on every request) and named by an ETag.
struct Served {
    gzip: Vec<u8>,
    etag: HeaderValue,
}

/// The served form of `body`, made on first use and kept (the files are compiled in).
fn served(body: &'static str) -> &'static Served {
    static SERVED: OnceLock<Mutex<HashMap<usize, &'static Served>>> = OnceLock::new();
    let mut all = SERVED.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    // The files are statics: their address names them.
    all.entry(body.as_ptr() as usize).or_insert_with(|| {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
        let gzip = encoder.write_all(body.as_bytes()).and_then(|()| encoder.finish()).unwrap_or_default();
        let etag = HeaderValue::from_str(&format!("\"{:016x}\"", crate::hash::fnv1a(body.as_bytes())))
            .expect("hex is a valid header");
        Box::leak(Box::new(Served { gzip, etag }))
    })
}

/// A file of the viewer, revalidated on each load (the binary may have been replaced): 304 when
/// the browser holds this version (`If-None-Match`), gzip when it takes gzip.
pub fn asset(body: &'static str, content_type: &'static str, request: &HeaderMap) -> Response {
    let served = served(body);
    let common = [
        (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        (header::ETAG, served.etag.clone()),
        (header::VARY, HeaderValue::from_static("accept-encoding")),
    ];
    let held = request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(',').any(|tag| tag.trim() == "*" || tag.trim().trim_start_matches("W/") == served.etag));
    if held {
        return (StatusCode::NOT_MODIFIED, common).into_response();
    }
    let takes_gzip = request
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|e| e.trim().split(';').next() == Some("gzip") && !e.replace(' ', "").ends_with(";q=0"));
    if takes_gzip && !served.gzip.is_empty() {
        (common, [(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"))], served.gzip.clone()).into_response()
    } else {
        (common, body).into_response()
    }
}
