//! An incident's emergency monitoring (应急监测): `POST /api/incidents/{id}/monitoring-plan`
//! proposes the plan, `GET` shows it with the readings against the prediction, `PUT` edits a
//! draft's points, `POST …/monitoring-plan/issue` issues it as orders with a sampling point each.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::AppState;
use super::acting::Acting;
use super::doc::Doc;
use super::extract::{Body, Id, PathOf};
use super::problem::Problem;
use super::routes::Routes;
use crate::auth::Action;
use crate::monitoring::plan::{self, Plan, PlanBody, Point};

/// A draft's points.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SamplingPoints)]
struct Points {
    /// The points, as the plan shows them (predictions are the model's and are made again).
    points: Vec<Point>,
}

/// Routes of emergency monitoring.
pub fn router() -> Routes {
    Routes::new()
        .post("/api/incidents/{id}/monitoring-plan", Action::HandleIncidents, propose)
        .doc(
            Doc::new("propose the incident's monitoring plan: sampling points up and down the river, frequencies, who samples, the predicted concentrations")
                .body_of::<PlanBody>()
                .answer_of::<Plan>(201, "the draft"),
        )
        .get("/api/incidents/{id}/monitoring-plan", Action::Read, show)
        .doc(Doc::new("the incident's monitoring plan with the readings against the prediction").answer_of::<Plan>(200, "the plan"))
        .put("/api/incidents/{id}/monitoring-plan", Action::HandleIncidents, edit)
        .doc(Doc::new("edit a draft plan's points").body_of::<Points>().answer_of::<Plan>(200, "the draft"))
        .post("/api/incidents/{id}/monitoring-plan/issue", Action::HandleIncidents, issue)
        .doc(Doc::new("issue the plan: an order to the sampling team and a SensorThings sampling point for each point").answer_of::<Plan>(200, "issued"))
}

async fn propose(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf(Id(id)): PathOf<Id>,
    Body(body): Body<PlanBody>,
) -> Result<Response, Problem> {
    let made = plan::propose(&state.pool, state.rivers.load_full(), &actor, id, body).await?;
    Ok((StatusCode::CREATED, axum::Json(made)).into_response())
}

async fn show(State(state): State<AppState>, PathOf(Id(id)): PathOf<Id>) -> Result<Response, Problem> {
    Ok(axum::Json(plan::show(&state.pool, id).await?).into_response())
}

async fn edit(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf(Id(id)): PathOf<Id>,
    Body(body): Body<Points>,
) -> Result<Response, Problem> {
    Ok(axum::Json(plan::edit(&state.pool, &actor, id, body.points).await?).into_response())
}

async fn issue(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf(Id(id)): PathOf<Id>,
) -> Result<Response, Problem> {
    Ok(axum::Json(plan::issue(&state.pool, &actor, id).await?).into_response())
}
