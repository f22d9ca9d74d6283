//! The JSON request body, with its own problems for size, encoding and syntax.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde_json::Value;

use super::problem::Problem;

/// A parsed JSON body; the size limit is axum's `DefaultBodyLimit`.
pub struct JsonBody(pub Value);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            let status = rejection.status();
            if status == StatusCode::PAYLOAD_TOO_LARGE {
                Problem::new(status, "body too large", "the request body is over the size limit (see --max-body-mb)")
            } else {
                Problem::new(status, "unreadable body", rejection.body_text())
            }
        })?;
        if bytes.is_empty() {
            return Err(Problem::new(StatusCode::BAD_REQUEST, "malformed JSON", "the request body is empty"));
        }
        let value = serde_json::from_slice(&bytes).map_err(|e| {
            Problem::new(StatusCode::BAD_REQUEST, "malformed JSON", format!("the body is not valid JSON: {e}"))
        })?;
        Ok(Self(value))
    }
}
