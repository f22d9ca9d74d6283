//! The duty desk's front: calls received and screened (`/api/intake`), who is on duty and the
//! shift log (`/api/duty/now`, `/api/duty/roster`, `/api/duty/log`), and the phone reports of an
//! incident on the short clock (`/api/incidents/{id}/phone-reports`).

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::Deserialize;
use serde_json::json;

use super::AppState;
use super::acting::Acting;
use super::doc::Doc;
use super::extract::{Body, Id, PathOf, Query};
use super::problem::Problem;
use super::routes::Routes;
use crate::auth::Action;
use crate::duty::intake::{self, Intake, IntakeBody, ScreenBody};
use crate::duty::phone::{self, PhoneBody, PhoneReport};
use crate::duty::roster::{self, LogBody, LogEntry, OnDuty, Shift, ShiftBody};

/// Calls, newest first.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
struct Intakes {
    /// Newest first.
    intakes: Vec<Intake>,
}

/// Shifts to add.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Roster {
    /// The shifts (1 to 200).
    shifts: Vec<ShiftBody>,
}

/// Shifts, in order.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
struct Shifts {
    /// In order of their start.
    shifts: Vec<Shift>,
}

/// The shift log.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
struct Log {
    /// Newest first.
    entries: Vec<LogEntry>,
}

/// An incident's phone reports.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
struct PhoneReports {
    /// In the order they were made.
    phone_reports: Vec<PhoneReport>,
}

/// Routes of the desk's front.
pub fn router() -> Routes {
    Routes::new()
        .post("/api/intake", Action::HandleIncidents, receive)
        .doc(Doc::new("record a call or tip as received (接警); the clock starts at received_at").body_of::<IntakeBody>().answer_of::<Intake>(201, "recorded"))
        .get("/api/intake", Action::HandleIncidents, list)
        .doc(
            Doc::new("the calls (a district user: its district's), newest first")
                .query_as("open", json!({"type": "boolean"}), "only those not yet screened")
                .answer_of::<Intakes>(200, "the calls"),
        )
        .post("/api/intake/{id}/screen", Action::HandleIncidents, screen)
        .doc(
            Doc::new("screen a call: dismissed with the reason, made into an incident, or gathered into an open one")
                .body_of::<ScreenBody>()
                .answer_of::<Intake>(200, "screened"),
        )
        .get("/api/duty/now", Action::Read, on_duty)
        .doc(Doc::new("who is on duty now, the last handover, the calls waiting").answer_of::<OnDuty>(200, "now"))
        .get("/api/duty/roster", Action::Read, shifts)
        .doc(
            Doc::new("the roster (值班表) between two times (default: today and tomorrow)")
                .query("from", "RFC 3339")
                .query("to", "RFC 3339, at most 62 days after from")
                .answer_of::<Shifts>(200, "the shifts"),
        )
        .post("/api/duty/roster", Action::EditRegistry, add_shifts)
        .doc(Doc::new("add shifts to the roster, all or none").body_of::<Roster>().answer_of::<Shifts>(201, "added"))
        .get("/api/duty/log", Action::HandleIncidents, log)
        .doc(
            Doc::new("the shift log (值班日志), newest first")
                .query("since", "RFC 3339 (default: a week ago)")
                .answer_of::<Log>(200, "the entries"),
        )
        .post("/api/duty/log", Action::HandleIncidents, write_log)
        .doc(
            Doc::new("write in the shift log: a note, or the handover (the calls not yet screened are added to its open items)")
                .body_of::<LogBody>()
                .answer_of::<LogEntry>(201, "written"),
        )
        .get("/api/incidents/{id}/phone-reports", Action::Read, phone_reports)
        .doc(Doc::new("an incident's phone reports").answer_of::<PhoneReports>(200, "in order"))
        .post("/api/incidents/{id}/phone-reports", Action::HandleIncidents, phone_report)
        .doc(
            Doc::new("record a phone report (电话报告): who was called, when, what was said; the first stops the phone clock")
                .body_of::<PhoneBody>()
                .answer_of::<PhoneReport>(201, "recorded"),
        )
}

async fn receive(
    State(state): State<AppState>,
    Acting(actor): Acting,
    Body(body): Body<IntakeBody>,
) -> Result<Response, Problem> {
    let stored = intake::record(&state.pool, &actor, body).await?;
    let location = format!("/api/intake/{}", stored.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], axum::Json(stored)).into_response())
}

/// The query of the calls.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListParams {
    open: Option<bool>,
}

async fn list(
    State(state): State<AppState>,
    Acting(actor): Acting,
    Query(params): Query<ListParams>,
) -> Result<Response, Problem> {
    let intakes = intake::list(&state.pool, &actor, params.open.unwrap_or(false)).await?;
    Ok(axum::Json(Intakes { intakes }).into_response())
}

async fn screen(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf(Id(id)): PathOf<Id>,
    Body(body): Body<ScreenBody>,
) -> Result<Response, Problem> {
    let screened = intake::screen(&state.pool, &actor, id, body).await?;
    if let Some(incident) = screened.incident_id {
        state.refresh("incident", &[incident]).await;
    }
    Ok(axum::Json(screened).into_response())
}

async fn on_duty(State(state): State<AppState>, Acting(actor): Acting) -> Result<Response, Problem> {
    Ok(axum::Json(roster::now(&state.pool, &actor).await?).into_response())
}

/// The query of the roster.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RosterParams {
    from: Option<String>,
    to: Option<String>,
}

fn when(field: &str, text: &str) -> Result<chrono::DateTime<Utc>, Problem> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.to_utc())
        .map_err(|_| Problem::bad_request(field, format!("`{text}` is not an RFC 3339 time")))
}

async fn shifts(
    State(state): State<AppState>,
    Acting(actor): Acting,
    Query(params): Query<RosterParams>,
) -> Result<Response, Problem> {
    let today = crate::time::day_start(Utc::now().with_timezone(&crate::time::cst()).date_naive()).to_utc();
    let from = params.from.as_deref().map(|t| when("from", t)).transpose()?.unwrap_or(today);
    let to = params.to.as_deref().map(|t| when("to", t)).transpose()?.unwrap_or(from + chrono::Duration::days(2));
    if to <= from || to - from > chrono::Duration::days(62) {
        return Err(Problem::bad_request("to", "must be after from, at most 62 days after"));
    }
    Ok(axum::Json(Shifts { shifts: roster::shifts(&state.pool, &actor, from, to).await? }).into_response())
}

async fn add_shifts(
    State(state): State<AppState>,
    Acting(actor): Acting,
    Body(body): Body<Roster>,
) -> Result<Response, Problem> {
    let shifts = roster::add_shifts(&state.pool, &actor, body.shifts).await?;
    Ok((StatusCode::CREATED, axum::Json(Shifts { shifts })).into_response())
}

/// The query of the log.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LogParams {
    since: Option<String>,
}

async fn log(
    State(state): State<AppState>,
    Acting(actor): Acting,
    Query(params): Query<LogParams>,
) -> Result<Response, Problem> {
    Ok(axum::Json(Log { entries: roster::entries(&state.pool, &actor, params.since.as_deref()).await? })
        .into_response())
}

async fn write_log(
    State(state): State<AppState>,
    Acting(actor): Acting,
    Body(body): Body<LogBody>,
) -> Result<Response, Problem> {
    Ok((StatusCode::CREATED, axum::Json(roster::log(&state.pool, &actor, body).await?)).into_response())
}

async fn phone_reports(State(state): State<AppState>, PathOf(Id(id)): PathOf<Id>) -> Result<Response, Problem> {
    Ok(axum::Json(PhoneReports { phone_reports: phone::of(&state.pool, id).await? }).into_response())
}

async fn phone_report(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf(Id(id)): PathOf<Id>,
    Body(body): Body<PhoneBody>,
) -> Result<Response, Problem> {
    let stored = phone::record(&state.pool, &actor, id, body).await?;
    state.refresh("incident", &[id]).await;
    Ok((StatusCode::CREATED, axum::Json(stored)).into_response())
}
