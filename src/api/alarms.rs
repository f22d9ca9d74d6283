//! The stations' alarms on the duty desk: `GET /api/alarms`, `POST /api/alarms/{id}/acknowledge`,
//! `POST /api/alarms/{id}/intake` (made into a call to screen) and `GET /api/alarms/{id}/sources`
//! (溯源 along the river).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::AppState;
use super::acting::Acting;
use super::doc::Doc;
use super::extract::{Id, PathOf, Query};
use super::problem::Problem;
use super::routes::Routes;
use crate::auth::Action;
use crate::duty::intake::Intake;
use crate::monitoring::alarms::{self, Alarm};
use crate::monitoring::sources::{self, Traced};

/// The alarms.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
struct Alarms {
    /// Open ones first, newest first.
    alarms: Vec<Alarm>,
}

/// An alarm and the intake made of it.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
struct AlarmIntake {
    /// The alarm.
    alarm: Alarm,
    /// The intake.
    intake: Intake,
}

/// Which alarms.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListParams {
    /// Also those cleared in the last `days`.
    all: Option<bool>,
    /// Days back for cleared ones (1–90, default 7).
    days: Option<i64>,
}

/// Routes of the alarms.
pub fn router() -> Routes {
    Routes::new()
        .get("/api/alarms", Action::Read, list)
        .doc(
            Doc::new("the stations' alarms: open ones (raised, acknowledged), or all of the last days")
                .query_as("all", json!({"type": "boolean"}), "cleared ones too")
                .query_as("days", json!({"type": "integer", "minimum": 1, "maximum": 90}), "how far back (7)")
                .answer_of::<Alarms>(200, "the alarms"),
        )
        .post("/api/alarms/{id}/acknowledge", Action::HandleIncidents, acknowledge)
        .doc(Doc::new("acknowledge an alarm: seen, by whom").answer_of::<Alarm>(200, "acknowledged"))
        .post("/api/alarms/{id}/intake", Action::HandleIncidents, intake)
        .doc(
            Doc::new("make an alarm a call to screen (接警, channel monitoring_alarm): the station, the values, the time")
                .answer_of::<AlarmIntake>(201, "the intake"),
        )
        .get("/api/alarms/{id}/sources", Action::Read, sources)
        .doc(
            Doc::new("where a water station's exceedance came from: the risk sources up the river to the clean station above")
                .answer_of::<Traced>(200, "the stretch and its sources"),
        )
}

async fn list(State(state): State<AppState>, Query(params): Query<ListParams>) -> Result<Response, Problem> {
    let days = params.days.unwrap_or(7);
    if !(1..=90).contains(&days) {
        return Err(Problem::bad_request("days", format!("{days} is not 1 to 90")));
    }
    let alarms = alarms::list(&state.pool, !params.all.unwrap_or(false), days).await?;
    Ok(axum::Json(Alarms { alarms }).into_response())
}

async fn acknowledge(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf(Id(id)): PathOf<Id>,
) -> Result<Response, Problem> {
    Ok(axum::Json(alarms::acknowledge(&state.pool, &actor, id).await?).into_response())
}

async fn intake(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf(Id(id)): PathOf<Id>,
) -> Result<Response, Problem> {
    let (alarm, intake) = alarms::to_intake(&state.pool, &actor, id).await?;
    Ok((StatusCode::CREATED, axum::Json(AlarmIntake { alarm, intake })).into_response())
}

async fn sources(State(state): State<AppState>, PathOf(Id(id)): PathOf<Id>) -> Result<Response, Problem> {
    Ok(axum::Json(sources::trace(&state.pool, state.rivers.load_full(), id).await?).into_response())
}
