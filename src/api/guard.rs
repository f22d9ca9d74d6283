//! What keeps one request from taking the process down or holding it: a panic in a handler
//! answers 500 as a problem (logged with its route) and the process goes on; a request that
//! has not answered within the time limit answers 503 and its work is dropped.

use std::panic::AssertUnwindSafe;
use std::time::Duration;

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt;

use super::problem::Problem;

/// The default time limit of one request (until its answer starts; a stream then goes on).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs the request under `limit`, answering a panic or an overrun with a problem.
pub async fn guard(limit: Duration, request: Request, next: Next) -> Response {
    // Kept to name the request in the log (written out only then: most requests never are).
    let (method, uri) = (request.method().clone(), request.uri().clone());
    let route = || format!("{method} {}", uri.path());
    match tokio::time::timeout(limit, AssertUnwindSafe(next.run(request)).catch_unwind()).await {
        Ok(Ok(response)) => response,
        Ok(Err(panic)) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            tracing::error!(route = route(), panic = what, "a handler panicked; answered 500");
            Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error",
                "the request failed inside onemap; it is logged; nothing was written",
            )
            .into_response()
        }
        Err(_) => {
            tracing::warn!(route = route(), seconds = limit.as_secs_f64(), "a request ran out of time");
            Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "request timed out",
                format!(
                    "the request did not finish within {} s (--request-timeout-s); its work was stopped \
                     and a write not yet committed was rolled back",
                    limit.as_secs_f64()
                ),
            )
            .with("retry_after_s", 5.into())
            .into_response()
        }
    }
}
