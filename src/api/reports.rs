//! An incident's reports: `GET|POST /api/incidents/{id}/reports`, one report, changing and
//! discarding a draft, `POST …/reports/{report}/submit`; its timeline and its printable report.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::AppState;
use super::acting::Acting;
use super::body::JsonBody;
use super::doc::Doc;
use super::extract::{Id, PathOf, Query};
use super::problem::Problem;
use super::routes::Routes;
use crate::auth::Action;
use crate::duty::reports::{Report, Reports};
use crate::duty::timeline::Timeline;
use crate::duty::{print, report, reports, timeline};
use crate::layers::spec::INCIDENT_LAYER;
use crate::layers::store;

/// Routes of the reports.
pub fn router() -> Routes {
    Routes::new()
        .get("/api/incidents/{id}/reports", Action::Read, list)
        .doc(Doc::new("an incident's reports").answer_of::<Reports>(200, "the reports"))
        .post("/api/incidents/{id}/reports", Action::HandleIncidents, create)
        .doc(
            Doc::new("draft a report (initial, follow-up or final)")
                .body("application/json", report::body_schema())
                .answer_of::<Report>(201, "drafted"),
        )
        .get("/api/incidents/{id}/reports/{report}", Action::Read, show)
        .doc(Doc::new("one report").answer_of::<Report>(200, "the report"))
        .patch("/api/incidents/{id}/reports/{report}", Action::HandleIncidents, edit)
        .doc(
            Doc::new("change a draft (its author only)")
                .body("application/json", report::body_schema())
                .answer_of::<Report>(200, "changed"),
        )
        .delete("/api/incidents/{id}/reports/{report}", Action::HandleIncidents, discard)
        .doc(Doc::new("discard a draft (its author only)").nothing("discarded"))
        .post("/api/incidents/{id}/reports/{report}/submit", Action::HandleIncidents, submit)
        .doc(Doc::new("submit a draft: frozen from then on").answer_of::<Report>(200, "submitted"))
        .get("/api/incidents/{id}/timeline", Action::Read, timeline)
        .doc(Doc::new("the incident's course of events, with who").answer_of::<Timeline>(200, "the timeline"))
        .get("/api/incidents/{id}/report.html", Action::Read, printable)
        .doc(
            Doc::new("the incident's report for printing (A4)")
                .query_as("drafts", json!({"type": "boolean"}), "include drafts")
                .query_as("report", json!({"type": "integer"}), "only this report")
                .answer_as(200, "text/html; charset=utf-8", json!({"type": "string"}), "the page"),
        )
}

async fn list(State(state): State<AppState>, PathOf(Id(id)): PathOf<Id>) -> Result<Response, Problem> {
    Ok(axum::Json(reports::list(&state.pool, id).await?).into_response())
}

async fn create(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf(Id(id)): PathOf<Id>,
    JsonBody(body): JsonBody,
) -> Result<Response, Problem> {
    let report = reports::create(&state.pool, state.rivers.load_full(), &actor, id, body).await?;
    // Submitting may change the incident (its clock, severity, closing).
    state.refresh("incident", &[id]).await;
    Ok((StatusCode::CREATED, axum::Json(report)).into_response())
}

async fn show(
    State(state): State<AppState>,
    PathOf((Id(id), Id(report))): PathOf<(Id, Id)>,
) -> Result<Response, Problem> {
    let mut conn = state.pool.acquire().await?;
    Ok(axum::Json(reports::show(&mut conn, id, report).await?).into_response())
}

async fn edit(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf((Id(id), Id(report))): PathOf<(Id, Id)>,
    JsonBody(body): JsonBody,
) -> Result<Response, Problem> {
    let report = reports::edit(&state.pool, &actor, id, report, body).await?;
    state.refresh("incident", &[id]).await;
    Ok(axum::Json(report).into_response())
}

async fn discard(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf((Id(id), Id(report))): PathOf<(Id, Id)>,
) -> Result<Response, Problem> {
    reports::discard(&state.pool, &actor, id, report).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn submit(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf((Id(id), Id(report))): PathOf<(Id, Id)>,
) -> Result<Response, Problem> {
    let report = reports::submit(&state.pool, &actor, id, report).await?;
    state.refresh("incident", &[id]).await;
    Ok(axum::Json(report).into_response())
}

async fn timeline(State(state): State<AppState>, PathOf(Id(id)): PathOf<Id>) -> Result<Response, Problem> {
    Ok(axum::Json(timeline::of_incident(&state.pool, id).await?).into_response())
}

/// `?drafts=true` prints drafts too (marked); `?report=N` prints that report only.
/// The query string of the printed report.
#[derive(Debug, Deserialize)]
struct PrintParams {
    drafts: Option<bool>,
    report: Option<Id>,
}

async fn printable(
    State(state): State<AppState>,
    PathOf(Id(id)): PathOf<Id>,
    Query(params): Query<PrintParams>,
) -> Result<Response, Problem> {
    let drafts = params.drafts.unwrap_or(false);
    let only_report = params.report.map(|r| r.0);
    let mut conn = state.pool.acquire().await?;
    let incident = store::get(&mut conn, &INCIDENT_LAYER, id, false).await?;
    drop(conn);
    let mut list = reports::list(&state.pool, id).await?.reports;
    list.retain(|r| (drafts || r.submitted_at.is_some()) && only_report.is_none_or(|n| r.id == n));
    if let Some(n) = only_report
        && list.is_empty()
    {
        return Err(Problem::new(
            StatusCode::NOT_FOUND,
            "not found",
            format!("incident {id} has no report {n} to print"),
        ));
    }
    let entries = timeline::of_incident(&state.pool, id).await?;
    Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], print::page(&incident, &list, &entries.timeline))
        .into_response())
}
