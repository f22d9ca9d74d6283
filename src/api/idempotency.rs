//! `Idempotency-Key` (IETF httpapi draft): a write sent again with the same key — a field
//! phone resending its queued report because it never heard the answer — gets the first
//! answer again instead of being done twice. Keys are per user and kept for a day.
//!
//! The key is claimed before the write runs and its answer stored after: a second request
//! with the key while the first runs gets 409; if the process dies between the write's commit
//! and the storing of its answer, the key stays claimed and a repeat gets 409 too (it must not
//! run twice, and whether it ran is not known) — the client then looks before sending anew.

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::AppState;
use super::acting::Caller;
use super::problem::Problem;

/// The request header.
pub const HEADER: &str = "idempotency-key";
/// Set on an answer given again.
pub const REPLAYED: &str = "idempotent-replayed";
/// Largest answer kept (onemap's write answers are small JSON).
const MAX_ANSWER: usize = 1024 * 1024;

fn problem(status: StatusCode, title: &'static str, detail: impl Into<String>) -> Response {
    Problem::new(status, title, detail).into_response()
}

/// Replays or records writes that carry an `Idempotency-Key`; `limit` is the server's body limit
/// (the body is read whole to be fingerprinted).
pub async fn replay(State((state, limit)): State<(AppState, usize)>, request: Request, next: Next) -> Response {
    let writes = matches!(*request.method(), Method::POST | Method::PUT | Method::PATCH | Method::DELETE);
    let Some(key) = request.headers().get(HEADER).filter(|_| writes).cloned() else {
        return next.run(request).await;
    };
    let Some(key) = key.to_str().ok().map(str::trim).filter(|k| (1..=255).contains(&k.len())) else {
        return problem(
            StatusCode::BAD_REQUEST,
            "bad idempotency key",
            "Idempotency-Key must be 1–255 visible ASCII characters (a UUID, say)",
        );
    };
    let key = key.trim_matches('"').to_string();
    // Keys are a user's: an anonymous caller (signing in) has none to share with strangers.
    let Some(actor) =
        request.extensions().get::<Caller>().filter(|c| c.actor.role.is_some()).map(|c| c.actor.name.clone())
    else {
        return next.run(request).await;
    };
    let (parts, body) = request.into_parts();
    let Ok(body) = to_bytes(body, limit).await else {
        return problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body too large",
            "the request body is over the size limit (see --max-body-mb)",
        );
    };
    let fingerprint = fingerprint(&parts, &body);

    let claimed = sqlx::query_scalar::<_, bool>(
        "WITH gone AS (DELETE FROM idempotent_request WHERE created_at < now() - interval '24 hours') \
         INSERT INTO idempotent_request (actor, key, fingerprint) VALUES ($1, $2, $3) \
         ON CONFLICT (actor, key) DO NOTHING RETURNING true",
    )
    .bind(&actor)
    .bind(&key)
    .bind(&fingerprint)
    .fetch_optional(&state.pool)
    .await;
    match claimed {
        Err(err) => return Problem::from(err).into_response(),
        Ok(None) => return earlier(&state, &actor, &key, &fingerprint).await,
        Ok(Some(_)) => {}
    }

    let response = next.run(Request::from_parts(parts, Body::from(body))).await;
    let status = response.status();
    // Refusals that a repeat may overcome (signed in since, a failure of ours) free the key.
    let keep = !(status.is_server_error() || matches!(status.as_u16(), 401 | 403 | 408 | 429));
    let (parts, body) = response.into_parts();
    let body = match to_bytes(body, MAX_ANSWER).await {
        Ok(body) => body,
        Err(_) => Bytes::new(),
    };
    let stored = if keep {
        sqlx::query("UPDATE idempotent_request SET status = $3, headers = $4, body = $5 WHERE actor = $1 AND key = $2")
            .bind(&actor)
            .bind(&key)
            .bind(status.as_u16() as i16)
            .bind(kept_headers(&parts.headers))
            .bind(body.as_ref())
            .execute(&state.pool)
            .await
    } else {
        sqlx::query("DELETE FROM idempotent_request WHERE actor = $1 AND key = $2")
            .bind(&actor)
            .bind(&key)
            .execute(&state.pool)
            .await
    };
    if let Err(err) = stored {
        tracing::warn!(error = %err, "cannot keep the answer of an idempotent request");
    }
    Response::from_parts(parts, Body::from(body))
}

/// What makes two requests the same: method, path and query, body — a form's body without its
/// boundary, which a client draws anew for each sending.
fn fingerprint(parts: &axum::http::request::Parts, body: &[u8]) -> String {
    let mut hash = Sha256::new();
    hash.update(parts.method.as_str());
    hash.update(b" ");
    hash.update(parts.uri.path_and_query().map_or("", |p| p.as_str()));
    hash.update(b"\n");
    let boundary = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.starts_with("multipart/"))
        .and_then(|v| v.split(';').find_map(|p| p.trim().strip_prefix("boundary=")))
        .map(|b| b.trim_matches('"').as_bytes().to_vec())
        .filter(|b| !b.is_empty());
    match boundary {
        Some(boundary) => {
            let mut rest = body;
            while let Some(at) = rest.windows(boundary.len()).position(|w| w == boundary.as_slice()) {
                hash.update(&rest[..at]);
                rest = &rest[at + boundary.len()..];
            }
            hash.update(rest);
        }
        None => hash.update(body),
    }
    crate::hash::hex(&hash.finalize())
}

/// The headers an answer is given again with.
fn kept_headers(headers: &HeaderMap) -> serde_json::Value {
    let names = [header::CONTENT_TYPE, header::LOCATION, header::ETAG];
    names
        .iter()
        .filter_map(|name| Some((name.as_str().to_string(), headers.get(name)?.to_str().ok()?.into())))
        .collect::<serde_json::Map<String, serde_json::Value>>()
        .into()
}

/// The answer to a key seen before.
async fn earlier(state: &AppState, actor: &str, key: &str, fingerprint: &str) -> Response {
    type Row = (String, Option<i16>, Option<serde_json::Value>, Option<Vec<u8>>);
    let row: Result<Option<Row>, _> = sqlx::query_as(
        "SELECT fingerprint, status, headers, body FROM idempotent_request WHERE actor = $1 AND key = $2",
    )
    .bind(actor)
    .bind(key)
    .fetch_optional(&state.pool)
    .await;
    let (seen, status, headers, body) = match row {
        Err(err) => return Problem::from(err).into_response(),
        // Freed in between: the client may send again.
        Ok(None) => return problem(StatusCode::CONFLICT, "request in progress", "retry: the key was just freed"),
        Ok(Some(row)) => row,
    };
    if seen != fingerprint {
        return problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency key reused",
            format!("the key `{key}` was used for another request (method, path or body differ); use a new key"),
        );
    }
    let Some(status) = status.and_then(|s| StatusCode::from_u16(s as u16).ok()) else {
        let mut response = problem(
            StatusCode::CONFLICT,
            "request in progress",
            format!(
                "a request with the key `{key}` has not finished (or its server stopped before it could tell); \
                 look whether it was done before sending it with a new key"
            ),
        );
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return response;
    };
    let mut response = (status, body.unwrap_or_default()).into_response();
    for (name, value) in headers.as_ref().and_then(|h| h.as_object()).into_iter().flatten() {
        if let (Ok(name), Some(Ok(value))) =
            (HeaderName::try_from(name.as_str()), value.as_str().map(HeaderValue::from_str))
        {
            response.headers_mut().insert(name, value);
        }
    }
    response.headers_mut().insert(REPLAYED, HeaderValue::from_static("true"));
    response
}
