//! Response command: `/api/incidents/{id}/response` (declare, change, activate plans, end; the
//! plans onemap suggests), the orders of an incident (`/api/incidents/{id}/orders`), the
//! addressee's answers (`/api/orders/{id}/acknowledge`, `/done`, `/refuse`) and one's own orders
//! (`/api/orders?mine=true`).

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::AppState;
use super::acting::Acting;
use super::doc::Doc;
use super::extract::{Body, Id, PathOf, Query};
use super::permission::Need;
use super::problem::Problem;
use super::routes::Routes;
use crate::auth::Action;
use crate::error::Error;
use crate::response::command::{self, ResponseBody};
use crate::response::orders::{self, Answer, AnswerBody, Order, OrderBody};
use crate::response::suggest::{self, Suggested};

/// Orders, by due time.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
struct Orders {
    /// By due time (one's own: open ones first).
    orders: Vec<Order>,
}

/// The plans onemap suggests.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
struct Suggestions {
    /// Of the risk sources at the incident, the water sources near it, its district.
    plans: Vec<Suggested>,
}

/// Routes of response command.
pub fn router() -> Routes {
    Routes::new()
        .get("/api/incidents/{id}/response", Action::Read, show)
        .doc(Doc::new("an incident's response: level, command post, groups, plans activated, orders, end").answer_of::<command::Response>(200, "the response"))
        .post("/api/incidents/{id}/response", Action::HandleIncidents, step)
        .doc(
            Doc::new("declare or change the response level (with why), the command post and groups, activate plans (their scenario's measures become orders), or end it")
                .body_of::<ResponseBody>()
                .answer_of::<command::Response>(200, "the response as it now stands"),
        )
        .get("/api/incidents/{id}/response/suggested", Action::Read, suggested)
        .doc(Doc::new("the plans to activate: of the risk sources at the incident, the water sources near it, its district; each with the nearest scenario").answer_of::<Suggestions>(200, "the plans"))
        .get("/api/incidents/{id}/orders", Action::Read, of_incident)
        .doc(Doc::new("an incident's orders, by due time").answer_of::<Orders>(200, "the orders"))
        .post("/api/incidents/{id}/orders", Action::HandleIncidents, issue)
        .doc(Doc::new("issue an order in the incident's response").body_of::<OrderBody>().answer_of::<Order>(201, "issued"))
        .get("/api/orders", Need::Orders, mine)
        .doc(
            Doc::new("the orders addressed to the caller (by name, command group, district or credit code), open ones first")
                .query_as("mine", json!({"type": "boolean", "enum": [true]}), "the caller's own (required)")
                .answer_of::<Orders>(200, "the orders"),
        )
        .post("/api/orders/{id}/acknowledge", Need::Orders, acknowledge)
        .doc(Doc::new("acknowledge an order (its addressee or the command)").body_of::<AnswerBody>().answer_of::<Order>(200, "acknowledged"))
        .post("/api/orders/{id}/done", Need::Orders, done)
        .doc(Doc::new("report an order done, with a note and where (its addressee or the command)").body_of::<AnswerBody>().answer_of::<Order>(200, "done"))
        .post("/api/orders/{id}/refuse", Need::Orders, refuse)
        .doc(Doc::new("refuse an order, saying why (its addressee or the command)").body_of::<AnswerBody>().answer_of::<Order>(200, "refused"))
}

async fn show(State(state): State<AppState>, PathOf(Id(id)): PathOf<Id>) -> Result<Response, Problem> {
    let mut conn = state.pool.acquire().await.map_err(Error::from)?;
    match command::read(&mut conn, id).await {
        Ok(r) => Ok(axum::Json(r).into_response()),
        Err(Error::Refused(_)) => {
            Err(Problem::new(StatusCode::NOT_FOUND, "no response", format!("incident {id} has no response")))
        }
        Err(e) => Err(e.into()),
    }
}

async fn step(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf(Id(id)): PathOf<Id>,
    Body(body): Body<ResponseBody>,
) -> Result<Response, Problem> {
    Ok(axum::Json(command::step(&state.pool, &actor, id, body).await?).into_response())
}

async fn suggested(State(state): State<AppState>, PathOf(Id(id)): PathOf<Id>) -> Result<Response, Problem> {
    let mut conn = state.pool.acquire().await.map_err(Error::from)?;
    Ok(axum::Json(Suggestions { plans: suggest::plans(&mut conn, id).await? }).into_response())
}

async fn of_incident(State(state): State<AppState>, PathOf(Id(id)): PathOf<Id>) -> Result<Response, Problem> {
    let mut conn = state.pool.acquire().await.map_err(Error::from)?;
    Ok(axum::Json(Orders { orders: orders::of_incident(&mut conn, id).await? }).into_response())
}

async fn issue(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf(Id(id)): PathOf<Id>,
    Body(body): Body<OrderBody>,
) -> Result<Response, Problem> {
    let stored = orders::issue(&state.pool, &actor, id, body).await?;
    let location = format!("/api/incidents/{id}/orders");
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], axum::Json(stored)).into_response())
}

/// The query of one's orders.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MineParams {
    mine: Option<bool>,
}

async fn mine(
    State(state): State<AppState>,
    Acting(actor): Acting,
    Query(params): Query<MineParams>,
) -> Result<Response, Problem> {
    if params.mine != Some(true) {
        return Err(Problem::bad_request(
            "mine",
            "ask for mine=true; an incident's orders are at /api/incidents/{id}/orders",
        ));
    }
    Ok(axum::Json(Orders { orders: orders::mine(&state.pool, &actor).await? }).into_response())
}

async fn answer(
    state: AppState,
    actor: crate::auth::Actor,
    id: i64,
    how: Answer,
    body: AnswerBody,
) -> Result<Response, Problem> {
    Ok(axum::Json(orders::answer(&state.pool, &actor, id, how, body).await?).into_response())
}

async fn acknowledge(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf(Id(id)): PathOf<Id>,
    Body(body): Body<AnswerBody>,
) -> Result<Response, Problem> {
    answer(state, actor, id, Answer::Acknowledge, body).await
}

async fn done(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf(Id(id)): PathOf<Id>,
    Body(body): Body<AnswerBody>,
) -> Result<Response, Problem> {
    answer(state, actor, id, Answer::Done, body).await
}

async fn refuse(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf(Id(id)): PathOf<Id>,
    Body(body): Body<AnswerBody>,
) -> Result<Response, Problem> {
    answer(state, actor, id, Answer::Refuse, body).await
}
