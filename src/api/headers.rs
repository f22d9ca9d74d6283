//! What the browser is told it may do with every answer: run scripts from onemap only (no
//! inline script, no eval), be framed by nobody, not guess content types, send no referrer
//! elsewhere, and use the position only on onemap's own pages.

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// The Content-Security-Policy of every answer. Styles may be inline (MapLibre, ECharts and the
/// printed report set them); scripts may not. Workers come from onemap or from blobs (the
/// offline page builds MapLibre's worker from one).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const HEADERS: &[(HeaderName, &str)] = &[
    (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::REFERRER_POLICY, "same-origin"),
];

/// Geolocation for onemap's own pages (the phone's "where am I"), nothing else.
const PERMISSIONS_POLICY: &str = "geolocation=(self), camera=(), microphone=(), payment=(), usb=()";

/// Adds the headers to every answer (a handler that set its own keeps it).
pub async fn secure(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in HEADERS {
        if !headers.contains_key(name) {
            headers.insert(name.clone(), HeaderValue::from_static(value));
        }
    }
    headers.entry("permissions-policy").or_insert(HeaderValue::from_static(PERMISSIONS_POLICY));
    response
}
