//! Drills (演练): scheduled from a plan's scenario (`POST /api/drills`), started in exercise mode
//! (`/api/drills/{id}/start`), finished with the evaluation and findings (`/finish`) or called
//! off before (`/cancel`); each with
//! the figures of its exercise (`GET /api/drills/{id}`); the year's drills and each plan's
//! coverage (`GET /api/drills`).

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::AppState;
use super::acting::Acting;
use super::doc::Doc;
use super::extract::{Body, Id, PathOf, Query};
use super::problem::Problem;
use super::routes::Routes;
use crate::auth::Action;
use crate::response::drills::{self, Drill, Evaluated, FinishBody, ScheduleBody, StartBody, Year};

/// Routes of the drills.
pub fn router() -> Routes {
    Routes::new()
        .post("/api/drills", Action::HandleIncidents, schedule)
        .doc(Doc::new("schedule a drill of a plan's scenario: when, who takes part").body_of::<ScheduleBody>().answer_of::<Drill>(201, "scheduled"))
        .get("/api/drills", Action::Read, year)
        .doc(
            Doc::new("the year's drills, and each plan in force with its drills of the year (coverage)")
                .query_as("year", json!({"type": "integer"}), "the year (default this year)")
                .answer_of::<Year>(200, "the drills and the coverage"),
        )
        .get("/api/drills/{id}", Action::Read, show)
        .doc(Doc::new("a drill, with the figures of its exercise as a real response's review has them").answer_of::<Evaluated>(200, "the drill"))
        .post("/api/drills/{id}/start", Action::HandleIncidents, start)
        .doc(Doc::new("start a drill: its exercise incident at the scenario's risk source, the response declared and the plan activated").body_of::<StartBody>().answer_of::<Drill>(200, "running"))
        .post("/api/drills/{id}/cancel", Action::HandleIncidents, cancel)
        .doc(Doc::new("call off a scheduled drill, saying why (as its evaluation)").body_of::<FinishBody>().answer_of::<Drill>(200, "cancelled"))
        .post("/api/drills/{id}/finish", Action::HandleIncidents, finish)
        .doc(Doc::new("finish a drill: the response ended, the incident closed, the evaluation kept, each finding a revision flag of the plan").body_of::<FinishBody>().answer_of::<Drill>(200, "done"))
}

async fn schedule(
    State(state): State<AppState>,
    Acting(actor): Acting,
    Body(body): Body<ScheduleBody>,
) -> Result<Response, Problem> {
    let drill = drills::schedule(&state.pool, &actor, body).await?;
    let location = format!("/api/drills/{}", drill.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], axum::Json(drill)).into_response())
}

/// The query of the year's drills.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct YearParams {
    year: Option<i32>,
}

async fn year(
    State(state): State<AppState>,
    Acting(actor): Acting,
    Query(params): Query<YearParams>,
) -> Result<Response, Problem> {
    Ok(axum::Json(drills::list(&state.pool, &actor, params.year).await?).into_response())
}

async fn show(State(state): State<AppState>, PathOf(Id(id)): PathOf<Id>) -> Result<Response, Problem> {
    Ok(axum::Json(drills::show(&state.pool, state.rivers.load_full(), id).await?).into_response())
}

async fn start(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf(Id(id)): PathOf<Id>,
    Body(body): Body<StartBody>,
) -> Result<Response, Problem> {
    Ok(axum::Json(drills::start(&state.pool, &actor, id, body).await?).into_response())
}

async fn finish(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf(Id(id)): PathOf<Id>,
    Body(body): Body<FinishBody>,
) -> Result<Response, Problem> {
    Ok(axum::Json(drills::finish(&state.pool, &actor, id, body).await?).into_response())
}

async fn cancel(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf(Id(id)): PathOf<Id>,
    Body(body): Body<FinishBody>,
) -> Result<Response, Problem> {
    Ok(axum::Json(drills::cancel(&state.pool, &actor, id, body).await?).into_response())
}
