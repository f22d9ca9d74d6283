//! Errors as RFC 9457 problem details (`application/problem+json`).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::error::{Error, Invalid};

/// A problem answer: status, title, detail, and where the fault is.
#[derive(Debug, Clone)]
pub struct Problem {
    /// HTTP status.
    pub status: StatusCode,
    /// Short, fixed summary of the kind of problem.
    pub title: &'static str,
    /// What exactly is wrong.
    pub detail: String,
    /// The field (property, `geometry`, query parameter) at fault.
    pub field: Option<String>,
    /// Index of the feature at fault in a batch.
    pub feature: Option<usize>,
    /// More members of the answer (RFC 9457 extensions), such as the current free stock (boxed: most problems have none).
    pub extra: Box<serde_json::Map<String, serde_json::Value>>,
}

impl Problem {
    /// A problem with no field.
    pub fn new(status: StatusCode, title: &'static str, detail: impl Into<String>) -> Self {
        Self { status, title, detail: detail.into(), field: None, feature: None, extra: Default::default() }
    }

    fn located(status: StatusCode, title: &'static str, invalid: Invalid) -> Self {
        Self {
            status,
            title,
            detail: invalid.to_string(),
            field: invalid.field,
            feature: invalid.feature,
            extra: Default::default(),
        }
    }

    /// The same problem with one more member.
    pub fn with(mut self, key: &str, value: serde_json::Value) -> Self {
        self.extra.insert(key.to_string(), value);
        self
    }

    /// 400 for a bad query parameter or path segment.
    pub fn bad_request(field: &str, detail: impl Into<String>) -> Self {
        Self::located(StatusCode::BAD_REQUEST, "bad request", Invalid::field(field, detail))
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let mut body =
            json!({"type": "about:blank", "status": self.status.as_u16(), "title": self.title, "detail": self.detail});
        if let Some(field) = self.field {
            body["field"] = field.into();
        }
        if let Some(feature) = self.feature {
            body["feature"] = feature.into();
        }
        for (key, value) in *self.extra {
            body[key] = value;
        }
        let mut response =
            (self.status, [(header::CONTENT_TYPE, "application/problem+json")], body.to_string()).into_response();
        let headers = response.headers_mut();
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"onemap\""));
        }
        if let Some(seconds) = body.get("retry_after_s").and_then(|v| v.as_u64())
            && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
        {
            headers.insert(header::RETRY_AFTER, value);
        }
        response
    }
}

/// A database failure: 503 when the database cannot be reached, 500 otherwise; nothing written.
impl From<sqlx::Error> for Problem {
    fn from(err: sqlx::Error) -> Self {
        Problem::from(Error::Database(err))
    }
}

impl From<crate::work::Refused> for Problem {
    fn from(err: crate::work::Refused) -> Self {
        Problem::from(Error::from(err))
    }
}

impl From<Error> for Problem {
    fn from(err: Error) -> Self {
        use Error as E;
        match err {
            E::UnknownLayer { .. } => Problem::new(StatusCode::NOT_FOUND, "unknown layer", err.to_string()),
            E::NotFound { .. } => Problem::new(StatusCode::NOT_FOUND, "not found", err.to_string()),
            E::Invalid(inv) => Problem::located(StatusCode::UNPROCESSABLE_ENTITY, "invalid input", inv),
            E::BadQuery(inv) => Problem::located(StatusCode::BAD_REQUEST, "bad query", inv),
            E::Conflict(inv) => Problem::located(StatusCode::CONFLICT, "conflict", inv),
            E::Refused(refusal) => Problem {
                extra: Box::new(refusal.details()),
                ..Problem::new(StatusCode::CONFLICT, refusal.title(), refusal.to_string())
            },
            E::Forbidden(detail) => Problem::new(StatusCode::FORBIDDEN, "forbidden", detail),
            E::Failed(detail) => Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "failed", detail),
            E::Busy(detail) => {
                Problem::new(StatusCode::SERVICE_UNAVAILABLE, "busy", detail).with("retry_after_s", 5.into())
            }
            E::Database(db) => {
                tracing::error!(error = %db, "database error");
                let status = match db {
                    sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) => StatusCode::SERVICE_UNAVAILABLE,
                    _ => StatusCode::INTERNAL_SERVER_ERROR,
                };
                Problem::new(
                    status,
                    "database error",
                    "the database could not complete the request; nothing was written",
                )
            }
        }
    }
}
