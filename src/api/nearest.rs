//! `POST /api/nearest`: the depots holding an item (or a category) or the available teams of a
//! specialty, ranked by road travel time to a point, with their routes.

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use geo::Coord;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::AppState;
use super::doc::Doc;
use super::extract::Body;
use super::problem::Problem;
use super::routes::Routes;
use crate::auth::Action;
use crate::layers::spec::SPECIALTIES;
use crate::layers::{stock, teams};
use crate::routing::RoadGraph;
use crate::routing::request::{RoadOptions, RoadRules, parse_point};
use crate::routing::route::{incident_json, minutes, path_json, route_from, tenth};

const MAX_COUNT: usize = 100;

/// Route of the query.
pub fn router() -> Routes {
    Routes::new().post("/api/nearest", Action::Read, handle).doc(
        Doc::new("depots (with an item or category) or teams (with a specialty) ranked by road travel time to a point")
            .body_of::<Request>()
            .answer_of::<Nearest>(200, "the nearest"),
    )
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
enum Find {
    Depot,
    Team,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = NearestRequest)]
struct Request {
    point: [f64; 2],
    find: Find,
    item: Option<String>,
    category: Option<String>,
    specialty: Option<String>,
    count: Option<usize>,
    #[serde(flatten)]
    roads: RoadOptions,
}

/// A depot or team that may be sent.
struct Candidate {
    id: i64,
    name: String,
    at: Coord<f64>,
    about: Value,
}

/// A 422 naming the field at fault.
pub fn invalid(field: &str, detail: impl Into<String>) -> Problem {
    Problem::from(crate::error::Error::invalid(field, detail))
}

/// `value` of body member `field` when finite and in (low, high] (`low_open`) or [low, high].
pub fn within(field: &str, value: f64, low: f64, high: f64, low_open: bool) -> Result<f64, Problem> {
    Ok(crate::error::Error::within(field, value, low, high, low_open)?)
}

async fn handle(State(state): State<AppState>, Body(request): Body<Request>) -> Result<Response, Problem> {
    let point = parse_point(request.point)?;
    let count = request.count.unwrap_or(10);
    if !(1..=MAX_COUNT).contains(&count) {
        return Err(invalid("count", format!("must be in 1–{MAX_COUNT}")));
    }
    let graph = state.roads.load_full();
    let rules = request.roads.rules(&graph, &state.pool).await?;
    let candidates = candidates(&state, &request).await?;

    let answer = crate::work::run("nearest", move || rank(&graph, point, &candidates, &rules, count)).await??;
    Ok(axum::Json(answer).into_response())
}

/// The candidates the request asks for, from the database.
async fn candidates(state: &AppState, request: &Request) -> Result<Vec<Candidate>, Problem> {
    let rows: Vec<(i64, String, f64, f64, Value)> = match request.find {
        Find::Depot => {
            if request.specialty.is_some() {
                return Err(invalid("specialty", "is for teams; depots are found by item or category"));
            }
            if request.item.is_some() || request.category.is_some() {
                stock::units_of(&state.pool, request.item.as_deref(), request.category.as_deref(), str::to_string)
                    .await?;
            }
            let holders = stock::holders(&state.pool, request.item.as_deref(), request.category.as_deref()).await?;
            holders
                .into_iter()
                .map(|h| {
                    let about = json!({"tier": h.tier, "district": h.district, "free": h.free, "unit": h.unit});
                    (h.id, h.name, h.lon, h.lat, about)
                })
                .collect()
        }
        Find::Team => {
            if request.item.is_some() || request.category.is_some() {
                return Err(invalid("item", "is for depots; teams are found by specialty"));
            }
            if let Some(s) = &request.specialty
                && !SPECIALTIES.contains(&s.as_str())
            {
                return Err(invalid("specialty", format!("`{s}` is not one of: {}", SPECIALTIES.join(", "))));
            }
            let wanted = request.specialty.as_deref().map(|s| vec![s]);
            teams::available(&state.pool, wanted.as_deref())
                .await?
                .into_iter()
                .map(|t| {
                    let about = json!({"specialties": t.specialties, "headcount": t.headcount, "district": t.district});
                    (t.id, t.name, t.lon, t.lat, about)
                })
                .collect()
        }
    };
    Ok(rows.into_iter().map(|(id, name, x, y, about)| Candidate { id, name, at: Coord { x, y }, about }).collect())
}

/// The answer: the candidates reached, nearest first, and those no usable road reaches.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Nearest {
    /// The incident's point and where it joins the road network.
    #[schema(value_type = Object)]
    incident: Value,
    /// How many candidates were considered.
    candidates: usize,
    /// The reached, nearest first.
    results: Vec<Ranked>,
    /// Candidates with no usable road near them.
    off_network: Vec<OffNetwork>,
}

/// A candidate reached.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Ranked {
    /// 1 for the nearest.
    rank: usize,
    id: i64,
    name: String,
    /// A depot's tier, district, free stock and unit; a team's specialties, headcount and district.
    #[schema(value_type = Object)]
    about: Value,
    /// Travel time to the incident, seconds (to a tenth).
    seconds: f64,
    /// Travel time, minutes (to a tenth).
    minutes: f64,
    /// Road distance, metres.
    metres: f64,
    /// How far the candidate lies from the road it is snapped to, metres.
    snap_distance_m: f64,
    /// Longitude, latitude.
    location: [f64; 2],
    /// The route, a GeoJSON LineString.
    #[schema(value_type = Object)]
    path: crate::routing::route::PathJson,
}

/// A candidate no usable road reaches.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OffNetwork {
    id: i64,
    name: String,
    /// Why.
    reason: String,
}

/// Runs the search.
fn rank(
    graph: &Arc<RoadGraph>,
    point: Coord<f64>,
    candidates: &[Candidate],
    rules: &RoadRules,
    count: usize,
) -> Result<Nearest, Problem> {
    let at: Vec<Coord<f64>> = candidates.iter().map(|c| c.at).collect();
    let routed = route_from(graph, point, &at, rules, count)?;
    let max_snap = rules.max_snap_m;
    let off_network = candidates
        .iter()
        .zip(&routed.snaps)
        .filter(|(_, s)| s.is_none())
        .map(|(c, _)| OffNetwork {
            id: c.id,
            name: c.name.clone(),
            reason: format!("no usable road within {max_snap} m"),
        })
        .collect();
    let results = routed
        .ranked
        .iter()
        .enumerate()
        .map(|(rank, &i)| {
            let c = &candidates[i];
            let r = routed.reached[i].as_ref().expect("ranked sources are reached");
            let snap = routed.snaps[i].expect("reached sources are snapped");
            Ranked {
                rank: rank + 1,
                id: c.id,
                name: c.name.clone(),
                about: c.about.clone(),
                seconds: tenth(r.seconds),
                minutes: minutes(r.seconds),
                metres: r.metres.round(),
                snap_distance_m: tenth(snap.distance_m),
                location: [c.at.x, c.at.y],
                path: path_json(r),
            }
        })
        .collect();
    Ok(Nearest {
        incident: incident_json(graph, point, &routed.incident),
        candidates: candidates.len(),
        results,
        off_network,
    })
}
