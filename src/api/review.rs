//! After the response: an incident's review (`/api/incidents/{id}/review`: the figures from its
//! timeline, the investigation, the corrective actions), the corrective actions tracked to done
//! (`/api/actions`), and the case library (`/api/cases`).

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::AppState;
use super::acting::Acting;
use super::doc::Doc;
use super::extract::{Body, Id, PathOf, Query};
use super::problem::Problem;
use super::routes::Routes;
use crate::auth::Action;
use crate::error::Error;
use crate::response::cases::{self, Case, Like};
use crate::response::review::{self, ActionBody, DoneBody, RecordBody, Review};

/// Corrective actions, by due day.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
struct Actions {
    /// Open ones (`overdue` when past their day).
    actions: Vec<review::Action>,
}

/// Cases, most alike first.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
struct Cases {
    /// Closed incidents with their review.
    cases: Vec<Case>,
}

/// Routes of the review and the case library.
pub fn router() -> Routes {
    Routes::new()
        .get("/api/incidents/{id}/review", Action::Read, show)
        .doc(Doc::new("an incident's review: the figures of its response from the timeline, the investigation, the corrective actions").answer_of::<Review>(200, "the review"))
        .put("/api/incidents/{id}/review", Action::HandleIncidents, record)
        .doc(Doc::new("record the investigation — cause, nature, responsibility, losses, lessons — once the response has ended or the incident is closed").body_of::<RecordBody>().answer_of::<Review>(200, "the review"))
        .post("/api/incidents/{id}/actions", Action::HandleIncidents, add_action)
        .doc(Doc::new("set a corrective action with its owner and day").body_of::<ActionBody>().answer_of::<review::Action>(201, "set"))
        .get("/api/actions", Action::Read, open_actions)
        .doc(Doc::new("the open corrective actions, by due day, overdue ones flagged").answer_of::<Actions>(200, "the actions"))
        .post("/api/actions/{id}/done", Action::HandleIncidents, action_done)
        .doc(Doc::new("mark a corrective action done").body_of::<DoneBody>().answer_of::<review::Action>(200, "done"))
        .get("/api/cases", Action::Read, find_cases)
        .doc(
            Doc::new("the case library: closed incidents with their review, most alike first")
                .query("substance", "the substance, or part of its name")
                .query_as("medium", json!({"type": "string", "enum": ["water", "air", "soil"]}), "the medium")
                .query("cause", "the cause's category")
                .query("district", "a district code")
                .query_as("exclude", json!({"type": "integer"}), "an incident to leave out")
                .query_as("limit", json!({"type": "integer", "minimum": 1, "maximum": cases::MAX_CASES}), "how many (20)")
                .answer_of::<Cases>(200, "the cases"),
        )
}

async fn show(State(state): State<AppState>, PathOf(Id(id)): PathOf<Id>) -> Result<Response, Problem> {
    Ok(axum::Json(review::read(&state.pool, state.rivers.load_full(), id).await?).into_response())
}

async fn record(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf(Id(id)): PathOf<Id>,
    Body(body): Body<RecordBody>,
) -> Result<Response, Problem> {
    review::record(&state.pool, &actor, id, body).await?;
    show(State(state), PathOf(Id(id))).await
}

async fn add_action(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf(Id(id)): PathOf<Id>,
    Body(body): Body<ActionBody>,
) -> Result<Response, Problem> {
    let action = review::add_action(&state.pool, &actor, id, body).await?;
    let location = format!("/api/incidents/{id}/review");
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], axum::Json(action)).into_response())
}

async fn open_actions(State(state): State<AppState>) -> Result<Response, Problem> {
    let mut conn = state.pool.acquire().await.map_err(Error::from)?;
    Ok(axum::Json(Actions { actions: review::actions(&mut conn, None).await? }).into_response())
}

async fn action_done(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf(Id(id)): PathOf<Id>,
    Body(body): Body<DoneBody>,
) -> Result<Response, Problem> {
    Ok(axum::Json(review::action_done(&state.pool, &actor, id, body).await?).into_response())
}

async fn find_cases(State(state): State<AppState>, Query(like): Query<Like>) -> Result<Response, Problem> {
    Ok(axum::Json(Cases { cases: cases::like(&state.pool, like).await? }).into_response())
}
