//! `GET /api/audit`: the audit trail, newest first, a page at a time.

use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::AppState;
use super::acting::Acting;
use super::doc::{Doc, object};
use super::layers::{href_with, only, query_params};
use super::problem::Problem;
use super::routes::Routes;
use crate::auth::Action;
use crate::auth::audit::{AuditQuery, MAX_LIMIT, read};
use crate::auth::security::{self, SecurityQuery};

/// The routes of the audit trail and the security log.
pub fn router() -> Routes {
    Routes::new()
        .get("/api/audit/security", Action::ManageUsers, security_log)
        .doc(
            Doc::new("the security log, newest first (admin): sign-ins, failures, lock-outs, refusals, credential and role changes")
                .query_as("kind", json!({"type": "string", "enum": security::KINDS}), "one kind")
                .query("user", "records of or by this user")
                .query_as("since", json!({"type": "string", "format": "date-time"}), "from")
                .query_as("before", json!({"type": "integer"}), "records older than this id (paging)")
                .query_as("limit", json!({"type": "integer", "minimum": 1, "maximum": security::MAX_LIMIT}), "records a page")
                .answer(200, object("records: id, at, kind, actor, user, address, detail; links"), "the records"),
        )
        .get("/api/audit", Action::ReadAudit, list).doc(
        Doc::new("the audit trail, newest first (admin; planners their jurisdiction)")
            .query("table", "one table")
            .query_as("id", json!({"type": "integer"}), "one row")
            .query("actor", "one actor")
            .query_as("since", json!({"type": "string", "format": "date-time"}), "from")
            .query_as("until", json!({"type": "string", "format": "date-time"}), "to")
            .query_as("before", json!({"type": "integer"}), "records older than this id (paging)")
            .query_as("limit", json!({"type": "integer", "minimum": 1}), "records a page")
            .answer(200, object("records: who, when, table, row, op, before, after; next"), "the records"),
    )
}

fn time(name: &str, value: &str) -> Result<chrono::DateTime<chrono::Utc>, Problem> {
    chrono::DateTime::parse_from_rfc3339(value).map(|t| t.to_utc()).map_err(|_| {
        Problem::bad_request(name, format!("`{value}` is not an RFC 3339 time (2026-12-01T08:00:00+08:00)"))
    })
}

fn positive(name: &str, value: &str) -> Result<i64, Problem> {
    match value.parse::<i64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(Problem::bad_request(name, format!("`{value}` is not a positive integer"))),
    }
}

async fn security_log(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Result<Response, Problem> {
    let params = query_params(raw)?;
    only(&params, &["kind", "user", "since", "before", "limit"])?;
    let mut q = SecurityQuery { limit: 100, ..Default::default() };
    for (name, value) in &params {
        match name.as_str() {
            "kind" => q.kind = Some(value.clone()),
            "user" => q.user = Some(value.clone()),
            "before" => q.before_id = Some(positive(name, value)?),
            "since" => q.since = Some(time(name, value)?),
            _ => q.limit = positive(name, value)?,
        }
    }
    let records = security::read(&state.pool, &q).await?;
    Ok(page("/api/audit/security", &params, records, q.limit))
}

/// A page of records, newest first, with the link to the next when the page is full.
fn page(path: &str, params: &std::collections::BTreeMap<String, String>, records: Vec<Value>, limit: i64) -> Response {
    let mut links = Vec::new();
    if records.len() as i64 == limit
        && let Some(last) = records.last().and_then(|r| r["id"].as_i64())
    {
        links.push(json!({"rel": "next", "href": href_with(path, params, "before", &last.to_string())}));
    }
    axum::Json(json!({"records": records, "links": links})).into_response()
}

async fn list(
    State(state): State<AppState>,
    Acting(reader): Acting,
    RawQuery(raw): RawQuery,
) -> Result<Response, Problem> {
    let params = query_params(raw)?;
    only(&params, &["table", "id", "actor", "since", "until", "before", "limit"])?;
    let mut q = AuditQuery { limit: 100, ..Default::default() };
    for (name, value) in &params {
        match name.as_str() {
            "table" => q.table = Some(value.clone()),
            "actor" => q.actor = Some(value.clone()),
            "id" => q.id = Some(positive(name, value)?),
            "before" => q.before_id = Some(positive(name, value)?),
            "since" => q.since = Some(time(name, value)?),
            "until" => q.until = Some(time(name, value)?),
            _ => {
                q.limit = positive(name, value)?;
                if q.limit > MAX_LIMIT {
                    return Err(Problem::bad_request("limit", format!("at most {MAX_LIMIT}")));
                }
            }
        }
    }
    let records = read(&state.pool, &reader, &q).await?;
    Ok(page("/api/audit", &params, records, q.limit))
}
