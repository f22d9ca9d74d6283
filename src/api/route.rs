//! `POST /api/route`: the quickest way by road from one point to another, under the same road
//! options as `/api/nearest` (closed roads, barriers, the hazmat rule, a cut-off).

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::AppState;
use super::doc::Doc;
use super::extract::Body;
use super::problem::Problem;
use super::routes::Routes;
use crate::auth::Action;
use crate::routing::request::{RoadOptions, parse_point_of};
use crate::routing::route::{between, incident_json, minutes, path_json, tenth};

/// Route of the query.
pub fn router() -> Routes {
    Routes::new().post("/api/route", Action::Read, handle).doc(
        Doc::new("the quickest road route from one point to another, with its travel time, length and path")
            .body_of::<Request>()
            .answer_of::<Route>(200, "the route"),
    )
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = RouteRequest)]
struct Request {
    /// Where the route starts, [longitude, latitude].
    from: [f64; 2],
    /// Where it ends, [longitude, latitude].
    to: [f64; 2],
    #[serde(flatten)]
    roads: RoadOptions,
}

/// The route found.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Route {
    /// The start as given, where it joins the road network, how far from it, and which road.
    #[schema(value_type = Object)]
    from: Value,
    /// The end, likewise.
    #[schema(value_type = Object)]
    to: Value,
    /// Travel time, seconds (to a tenth).
    seconds: f64,
    /// Travel time, minutes (to a tenth).
    minutes: f64,
    /// Road distance, metres.
    metres: f64,
    /// The way, a GeoJSON LineString from the start to the end.
    #[schema(value_type = Object)]
    path: crate::routing::route::PathJson,
}

async fn handle(State(state): State<AppState>, Body(request): Body<Request>) -> Result<Response, Problem> {
    let from = parse_point_of("from", request.from)?;
    let to = parse_point_of("to", request.to)?;
    let graph = state.roads.load_full();
    let rules = request.roads.rules(&graph, &state.pool).await?;
    let answer = crate::work::run("route", move || -> Result<Route, Problem> {
        let (start, end, way) = between(&graph, from, to, &rules)?;
        let Some(way) = way else {
            let within = if rules.cutoff_s.is_finite() { " within the cut-off" } else { "" };
            return Err(super::nearest::invalid(
                "to",
                format!("no usable road leads from `from` to `to`{within} (closed roads, barriers and the hazmat rule count)"),
            ));
        };
        Ok(Route {
            from: incident_json(&graph, from, &start),
            to: incident_json(&graph, to, &end),
            seconds: tenth(way.seconds),
            minutes: minutes(way.seconds),
            metres: way.metres.round(),
            path: path_json(&way),
        })
    })
    .await??;
    Ok(axum::Json(answer).into_response())
}
