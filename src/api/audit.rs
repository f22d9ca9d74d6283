//! `GET /api/audit`: the audit trail, newest first, a page at a time.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::AppState;
use super::acting::Acting;
use super::doc::Doc;
use super::extract::Query;
use super::problem::Problem;
use super::routes::Routes;
use crate::auth::Action;
use crate::auth::audit::{self, AuditQuery, MAX_LIMIT, read};
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
                .answer_of::<SecurityPage>(200, "the records, with the next page's link"),
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
            .answer_of::<AuditPage>(200, "the records, with the next page's link"),
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

/// The query string of the security log; written again for the next page's link.
#[derive(Debug, Default, Deserialize, Serialize)]
struct SecurityParams {
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    since: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    before: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    limit: Option<String>,
}

/// The query string of the audit trail; written again for the next page's link.
#[derive(Debug, Default, Deserialize, Serialize)]
struct AuditParams {
    #[serde(skip_serializing_if = "Option::is_none")]
    table: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    actor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    since: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    until: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    before: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    limit: Option<String>,
}

/// `value` of parameter `name` read by `read`, when given.
fn given<T>(
    name: &str,
    value: &Option<String>,
    read: fn(&str, &str) -> Result<T, Problem>,
) -> Result<Option<T>, Problem> {
    value.as_deref().map(|v| read(name, v)).transpose()
}

async fn security_log(
    State(state): State<AppState>,
    Query(mut params): Query<SecurityParams>,
) -> Result<Response, Problem> {
    let q = SecurityQuery {
        kind: params.kind.clone(),
        user: params.user.clone(),
        since: given("since", &params.since, time)?,
        before_id: given("before", &params.before, positive)?,
        limit: given("limit", &params.limit, positive)?.unwrap_or(100),
    };
    let records = security::read(&state.pool, &q).await?;
    let next = next_before(records.iter().map(|r| r.id), q.limit).map(|last| {
        params.before = Some(last.to_string());
        format!("/api/audit/security?{}", serde_urlencoded::to_string(&params).unwrap_or_default())
    });
    Ok(axum::Json(SecurityPage { records, links: links(next) }).into_response())
}

/// The id to page on from, when the page is full.
fn next_before(ids: impl DoubleEndedIterator<Item = i64> + ExactSizeIterator, limit: i64) -> Option<i64> {
    (ids.len() as i64 == limit).then_some(()).and(ids.last())
}

/// A page of the audit trail, newest first, with the link to the next page when there is one.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct AuditPage {
    /// Newest first.
    records: Vec<audit::RowChange>,
    /// `next`, when the page is full.
    links: Vec<PageLink>,
}

/// A page of the security log, newest first, with the link to the next page when there is one.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct SecurityPage {
    /// Newest first.
    records: Vec<security::SecurityRecord>,
    /// `next`, when the page is full.
    links: Vec<PageLink>,
}

/// A link to another page.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct PageLink {
    /// Always `next`.
    rel: &'static str,
    /// Where.
    href: String,
}

/// The link to the next page, when there is one.
fn links(next: Option<String>) -> Vec<PageLink> {
    next.map(|href| PageLink { rel: "next", href }).into_iter().collect()
}

async fn list(
    State(state): State<AppState>,
    Acting(reader): Acting,
    Query(mut params): Query<AuditParams>,
) -> Result<Response, Problem> {
    let limit = given("limit", &params.limit, positive)?.unwrap_or(100);
    if limit > MAX_LIMIT {
        return Err(Problem::bad_request("limit", format!("at most {MAX_LIMIT}")));
    }
    let q = AuditQuery {
        table: params.table.clone(),
        id: given("id", &params.id, positive)?,
        actor: params.actor.clone(),
        since: given("since", &params.since, time)?,
        until: given("until", &params.until, time)?,
        before_id: given("before", &params.before, positive)?,
        limit,
    };
    let records = read(&state.pool, &reader, &q).await?;
    let next = next_before(records.iter().map(|r| r.id), q.limit).map(|last| {
        params.before = Some(last.to_string());
        format!("/api/audit?{}", serde_urlencoded::to_string(&params).unwrap_or_default())
    });
    Ok(axum::Json(AuditPage { records, links: links(next) }).into_response())
}
