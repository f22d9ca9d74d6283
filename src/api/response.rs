//! Response command: `/api/incidents/{id}/response` (declare, change, activate plans, end; the
//! plans onemap suggests), the orders of an incident (`/api/incidents/{id}/orders`), the
//! addressee's answers (`/api/orders/{id}/acknowledge`, `/done`, `/refuse`), one's own orders
//! (`/api/orders?mine=true`), and the cross-boundary notices (`/api/incidents/{id}/crossings`,
//! sent with `/api/orders/{id}/send`).

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
use crate::response::crossings::{self, CrossingsBody};
use crate::response::orders::{self, Answer, AnswerBody, Order, OrderBody, SendBody};
use crate::response::suggest::{self, Suggested};
use crate::response::support::{self, Decided, DecisionBody, Support, SupportBody};

/// Orders, by due time.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
struct Orders {
    /// By due time (one's own: open ones first).
    orders: Vec<Order>,
}

/// Support requests, newest first.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
struct Requests {
    /// A district's user sees its own district's.
    requests: Vec<Support>,
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
        .post("/api/incidents/{id}/crossings", Action::HandleIncidents, draft_notices)
        .doc(
            Doc::new("draft the cross-boundary notices: where the spill, followed down the rivers, or the air zone reaches other districts or leaves the city, and when")
                .body_of::<CrossingsBody>()
                .answer_of::<Orders>(200, "the incident's notices, drafted, updated or as sent"),
        )
        .get("/api/incidents/{id}/support", Action::Read, support_of)
        .doc(Doc::new("an incident's support requests (a district's user: its own district's)").answer_of::<Requests>(200, "the requests"))
        .post("/api/incidents/{id}/support", Action::HandleIncidents, file_support)
        .doc(Doc::new("file a support request to the city: what, how much, by when, how urgent").body_of::<SupportBody>().answer_of::<Support>(201, "filed"))
        .get("/api/support", Action::Read, all_support)
        .doc(Doc::new("every support request (a district's user: its own district's), newest first").answer_of::<Requests>(200, "the requests"))
        .post("/api/support/{id}/decide", Action::HandleIncidents, decide_support)
        .doc(
            Doc::new("the city approves a support request in whole or in part, or declines it; what is approved is dispatched from the other districts' depots and teams")
                .body_of::<DecisionBody>()
                .answer_of::<Decided>(200, "decided, with the dispatches and what could not be met"),
        )
        .post("/api/orders/{id}/send", Action::HandleIncidents, send)
        .doc(Doc::new("send a drafted notice (the command), its words as drafted or as given").body_of::<SendBody>().answer_of::<Order>(200, "sent: issued"))
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

async fn draft_notices(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf(Id(id)): PathOf<Id>,
    Body(body): Body<CrossingsBody>,
) -> Result<Response, Problem> {
    let orders = crossings::draft(&state.pool, state.rivers.load_full(), &actor, id, body).await?;
    Ok(axum::Json(Orders { orders }).into_response())
}

async fn send(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf(Id(id)): PathOf<Id>,
    Body(body): Body<SendBody>,
) -> Result<Response, Problem> {
    Ok(axum::Json(orders::send(&state.pool, &actor, id, body).await?).into_response())
}

async fn support_of(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf(Id(id)): PathOf<Id>,
) -> Result<Response, Problem> {
    Ok(axum::Json(Requests { requests: support::list(&state.pool, &actor, Some(id)).await? }).into_response())
}

async fn all_support(State(state): State<AppState>, Acting(actor): Acting) -> Result<Response, Problem> {
    Ok(axum::Json(Requests { requests: support::list(&state.pool, &actor, None).await? }).into_response())
}

async fn file_support(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf(Id(id)): PathOf<Id>,
    Body(body): Body<SupportBody>,
) -> Result<Response, Problem> {
    let stored = support::file(&state.pool, &actor, id, body).await?;
    let location = format!("/api/incidents/{id}/support");
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], axum::Json(stored)).into_response())
}

async fn decide_support(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf(Id(id)): PathOf<Id>,
    Body(body): Body<DecisionBody>,
) -> Result<Response, Problem> {
    let decided = support::decide(&state.pool, state.roads.load_full(), &actor, id, body).await?;
    let teams: Vec<i64> =
        decided.dispatches.iter().flat_map(|d| d.dispatches.iter().filter_map(|x| x.team_id)).collect();
    if !teams.is_empty() {
        state.refresh("team", &teams).await;
    }
    Ok(axum::Json(decided).into_response())
}
