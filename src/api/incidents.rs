//! Planning and dispatching for incidents: `/api/incidents/{id}/plan`, `/api/plan` (several
//! incidents jointly), `/api/incidents/{id}/dispatch`, and the dispatches' status.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::AppState;
use super::acting::Acting;
use super::doc::Doc;
use super::extract::Body;
use super::extract::{Id, PathOf};
use super::nearest::invalid;
use super::problem::Problem;
use super::routes::Routes;
use crate::auth::Action;
use crate::dispatch::commit::{Order, OrderLine, send};
use crate::dispatch::plan::{DemandRequest, Incident, Target, plan};
use crate::dispatch::proposal::{OnePlan, Proposal};
use crate::dispatch::record::{self, Dispatch, Dispatches};
use crate::dispatch::status;
use crate::routing::request::RoadOptions;

const MAX_INCIDENTS: usize = 50;

/// Routes of planning and dispatch.
pub fn router() -> Routes {
    Routes::new()
        .post("/api/incidents/{id}/plan", Action::HandleIncidents, plan_one)
        .doc(
            Doc::new("a plan for one incident: which depots and teams to send, by road time (nothing is reserved)")
                .body_of::<PlanRequest>()
                .answer_of::<OnePlan>(200, "the plan"),
        )
        .post("/api/plan", Action::HandleIncidents, plan_many)
        .doc(
            Doc::new("a joint plan for several incidents by priority")
                .body_of::<JointRequest>()
                .answer_of::<Proposal>(200, "the plan"),
        )
        .post("/api/incidents/{id}/dispatch", Action::HandleIncidents, dispatch)
        .doc(
            Doc::new("commit shipments: reserve stock, dispatch teams, all or nothing (409 with what is free now)")
                .body_of::<DispatchRequest>()
                .answer_of::<Dispatches>(201, "the dispatches made"),
        )
        .get("/api/incidents/{id}/dispatches", Action::Read, dispatches)
        .doc(Doc::new("an incident's dispatches").answer_of::<Dispatches>(200, "the dispatches with what they carry"))
        .get("/api/dispatches/{id}", Action::Read, show_dispatch)
        .doc(Doc::new("one dispatch").answer_of::<Dispatch>(200, "the dispatch"))
        .patch("/api/dispatches/{id}", Action::HandleIncidents, change_dispatch)
        .doc(
            Doc::new("a dispatch's status: en_route → arrived → returned (moves stock), or cancelled")
                .body_of::<StatusChange>()
                .answer_of::<Dispatch>(200, "changed"),
        )
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct PlanRequest {
    demands: Vec<DemandRequest>,
    #[serde(flatten)]
    roads: RoadOptions,
}

async fn plan_one(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf(Id(id)): PathOf<Id>,
    Body(request): Body<PlanRequest>,
) -> Result<Response, Problem> {
    let graph = state.roads.load_full();
    let rules = request.roads.rules(&graph, &state.pool).await?;
    let incident = Incident::open(&state.pool, &actor, id).await?;
    let target = Target::new(&state.pool, incident, None, &request.demands, "demands").await?;
    let Proposal { planned_at, incidents } = plan(&state.pool, graph, vec![target], rules, None).await?;
    let incident = incidents
        .into_iter()
        .next()
        .ok_or_else(|| Problem::from(crate::error::Error::Failed("the plan has no incident".into())))?;
    Ok(axum::Json(OnePlan { planned_at, incident }).into_response())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct IncidentDemands {
    id: i64,
    priority: Option<i32>,
    demands: Vec<DemandRequest>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct JointRequest {
    incidents: Vec<IncidentDemands>,
    #[serde(flatten)]
    roads: RoadOptions,
}

async fn plan_many(
    State(state): State<AppState>,
    Acting(actor): Acting,
    Body(request): Body<JointRequest>,
) -> Result<Response, Problem> {
    if request.incidents.is_empty() || request.incidents.len() > MAX_INCIDENTS {
        return Err(invalid("incidents", format!("give 1–{MAX_INCIDENTS} incidents")));
    }
    let graph = state.roads.load_full();
    let rules = request.roads.rules(&graph, &state.pool).await?;
    let mut targets = Vec::new();
    for (i, r) in request.incidents.iter().enumerate() {
        if request.incidents[..i].iter().any(|o| o.id == r.id) {
            return Err(invalid(&format!("incidents[{i}].id"), format!("incident {} is given twice", r.id)));
        }
        if let Some(p) = r.priority
            && !(0..=100).contains(&p)
        {
            return Err(invalid(&format!("incidents[{i}].priority"), "must be in 0–100"));
        }
        let incident = Incident::open(&state.pool, &actor, r.id).await?;
        targets.push(
            Target::new(&state.pool, incident, r.priority, &r.demands, &format!("incidents[{i}].demands")).await?,
        );
    }
    Ok(axum::Json(plan(&state.pool, graph, targets, rules, None).await?).into_response())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct DispatchRequest {
    shipments: Vec<OrderLine>,
    /// Send everything to this interception site instead of the incident itself.
    site_id: Option<i64>,
    #[serde(flatten)]
    roads: RoadOptions,
}

async fn dispatch(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf(Id(id)): PathOf<Id>,
    Body(request): Body<DispatchRequest>,
) -> Result<Response, Problem> {
    let order = Order::new(&request.shipments)?;
    let graph = state.roads.load_full();
    let rules = request.roads.rules(&graph, &state.pool).await?;
    let (_, teams) = order.sources();
    let answer = send(&state.pool, &actor, graph, id, request.site_id, &order, rules).await?;
    if !teams.is_empty() {
        state.refresh("team", &teams).await;
    }
    Ok((StatusCode::CREATED, axum::Json(answer)).into_response())
}

async fn dispatches(State(state): State<AppState>, PathOf(Id(id)): PathOf<Id>) -> Result<Response, Problem> {
    let mut conn = state.pool.acquire().await?;
    crate::layers::store::exists(&mut conn, &crate::layers::spec::INCIDENT_LAYER, id).await?;
    Ok(axum::Json(record::of_incident(&mut conn, id).await?).into_response())
}

async fn show_dispatch(State(state): State<AppState>, PathOf(Id(id)): PathOf<Id>) -> Result<Response, Problem> {
    Ok(axum::Json(record::show(&mut *state.pool.acquire().await?, id).await?).into_response())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct StatusChange {
    status: String,
}

async fn change_dispatch(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf(Id(id)): PathOf<Id>,
    Body(change): Body<StatusChange>,
) -> Result<Response, Problem> {
    if let Some(team) = status::change(&state.pool, &actor, id, &change.status).await? {
        state.refresh("team", &[team]).await;
    }
    Ok(axum::Json(record::show(&mut *state.pool.acquire().await?, id).await?).into_response())
}
