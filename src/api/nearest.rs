//! `POST /api/nearest`: the depots holding an item (or a category) or the available teams of a
//! specialty, ranked by road travel time to a point, with their routes.

use std::collections::HashSet;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use geo::{Coord, Geometry};
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use super::body::JsonBody;
use super::problem::Problem;
use crate::layers::Invalid;
use crate::layers::spec::{GeometryRule, SPECIALTIES, STOCK_CATEGORIES};
use crate::layers::validate::check_geometry;
use crate::routing::rules::Restrictions;
use crate::routing::search::{Reached, nearest};
use crate::routing::{RoadGraph, Snap};

/// Default and largest distance from a point to the road it is snapped to, metres.
pub const DEFAULT_SNAP_M: f64 = 5_000.0;
const MAX_SNAP_M: f64 = 50_000.0;
const MAX_COUNT: usize = 100;
const MAX_CUTOFF_MINUTES: f64 = 24.0 * 60.0;

/// Route of the query.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/nearest", post(handle))
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq)]
#[serde(rename_all = "lowercase")]
enum Find {
    Depot,
    Team,
}

#[derive(Debug, Deserialize)]
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

/// The road options of a request, beside its own fields; any other member is refused.
#[derive(Debug, Deserialize)]
pub struct RoadOptions {
    cutoff_minutes: Option<f64>,
    max_snap_m: Option<f64>,
    #[serde(default)]
    hazmat: bool,
    #[serde(default)]
    closed_roads: Vec<i64>,
    #[serde(default)]
    barriers: Vec<Value>,
    #[serde(flatten)]
    unknown: std::collections::BTreeMap<String, Value>,
}

impl RoadOptions {
    /// Checks the options (and that the request had no unknown member) against `graph`.
    pub fn rules(&self, graph: &RoadGraph) -> Result<RoadRules, Problem> {
        if let Some(name) = self.unknown.keys().next() {
            return Err(invalid(name, format!("`{name}` is not a member of this request")));
        }
        RoadRules::parse(graph, self.cutoff_minutes, self.max_snap_m, self.hazmat, &self.closed_roads, &self.barriers)
    }
}

/// A 422 naming the field at fault.
pub fn invalid(field: &str, detail: impl Into<String>) -> Problem {
    Problem::from(crate::layers::Error::Invalid(Invalid::field(field, detail)))
}

/// A depot or team that may be sent.
struct Candidate {
    id: i64,
    name: String,
    at: Coord<f64>,
    about: Value,
}

async fn handle(State(state): State<AppState>, JsonBody(body): JsonBody) -> Result<Response, Problem> {
    let request: Request = serde_json::from_value(body).map_err(|e| invalid("body", e.to_string()))?;
    let point = parse_point(request.point)?;
    let count = request.count.unwrap_or(10);
    if !(1..=MAX_COUNT).contains(&count) {
        return Err(invalid("count", format!("must be in 1–{MAX_COUNT}")));
    }
    let graph = state.roads.load_full();
    let rules = request.roads.rules(&graph)?;
    let candidates = candidates(&state, &request).await?;

    let answer = tokio::task::spawn_blocking(move || rank(&graph, point, &candidates, &rules, count))
        .await
        .map_err(|e| Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "search failed", e.to_string()))??;
    Ok(axum::Json(answer).into_response())
}

/// The candidates the request asks for, from the database.
async fn candidates(state: &AppState, request: &Request) -> Result<Vec<Candidate>, Problem> {
    let rows: Vec<(i64, String, f64, f64, Value)> = match request.find {
        Find::Depot => {
            if request.specialty.is_some() {
                return Err(invalid("specialty", "is for teams; depots are found by item or category"));
            }
            if let Some(c) = &request.category
                && !STOCK_CATEGORIES.contains(&c.as_str())
            {
                return Err(invalid("category", format!("`{c}` is not one of: {}", STOCK_CATEGORIES.join(", "))));
            }
            if let Some(item) = &request.item {
                let known: Option<i32> = sqlx::query_scalar("SELECT 1 FROM stock_item WHERE item = $1 LIMIT 1")
                    .bind(item)
                    .fetch_optional(&state.pool)
                    .await?;
                if known.is_none() {
                    return Err(invalid("item", format!("no depot has ever stocked `{item}`")));
                }
            }
            sqlx::query_as(
                "SELECT d.id, d.name, ST_X(d.geom), ST_Y(d.geom), jsonb_build_object('tier', d.tier, 'district', d.district, \
                   'free', sum(s.quantity - s.reserved), 'unit', min(s.unit)) \
                 FROM depot d JOIN stock_item s ON s.depot_id = d.id \
                 WHERE ($1::text IS NULL OR s.item = $1) AND ($2::text IS NULL OR s.category = $2) \
                 GROUP BY d.id HAVING sum(s.quantity - s.reserved) > 0",
            )
            .bind(&request.item)
            .bind(&request.category)
            .fetch_all(&state.pool)
            .await?
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
            sqlx::query_as(
                "SELECT id, name, ST_X(geom), ST_Y(geom), jsonb_build_object('specialties', specialties, 'headcount', headcount, 'district', district) \
                 FROM team WHERE status = 'available' AND ($1::text IS NULL OR $1 = ANY(specialties))",
            )
            .bind(&request.specialty)
            .fetch_all(&state.pool)
            .await?
        }
    };
    Ok(rows.into_iter().map(|(id, name, x, y, about)| Candidate { id, name, at: Coord { x, y }, about }).collect())
}

/// How a movement may use the roads, from a request: checked once, used by every search.
pub struct RoadRules {
    /// What may not be used.
    pub restrictions: Restrictions,
    /// Largest snap distance, metres.
    pub max_snap_m: f64,
    /// Farthest travel time wanted, seconds (infinite: none).
    pub cutoff_s: f64,
}

impl RoadRules {
    /// Checks the road options of a request (`cutoff_minutes`, `max_snap_m`, `hazmat`, `closed_roads`, `barriers`).
    fn parse(
        graph: &RoadGraph,
        cutoff_minutes: Option<f64>,
        max_snap_m: Option<f64>,
        hazmat: bool,
        closed_roads: &[i64],
        barriers: &[Value],
    ) -> Result<Self, Problem> {
        let cutoff_s = match cutoff_minutes {
            None => f64::INFINITY,
            Some(m) if m > 0.0 && m <= MAX_CUTOFF_MINUTES => m * 60.0,
            Some(_) => {
                return Err(invalid("cutoff_minutes", format!("must be more than 0 and at most {MAX_CUTOFF_MINUTES}")));
            }
        };
        let max_snap_m = max_snap_m.unwrap_or(DEFAULT_SNAP_M);
        if !(max_snap_m > 0.0 && max_snap_m <= MAX_SNAP_M) {
            return Err(invalid("max_snap_m", format!("must be more than 0 and at most {MAX_SNAP_M}")));
        }
        let mut restrictions =
            Restrictions { hazmat, closed: closed_roads.iter().copied().collect(), barriers: Vec::new() };
        for (i, barrier) in barriers.iter().enumerate() {
            match check_geometry(GeometryRule::MultiPolygon, Some(barrier)) {
                Ok(Some(Geometry::MultiPolygon(area))) => restrictions.barriers.push(area),
                Ok(_) => return Err(invalid(&format!("barriers[{i}]"), "must be a Polygon or MultiPolygon")),
                Err(e) => return Err(invalid(&format!("barriers[{i}]"), e.detail)),
            }
        }
        if !closed_roads.is_empty() {
            let known: HashSet<i64> = graph.edges.iter().map(|e| e.route_id).collect();
            if let Some(id) = closed_roads.iter().find(|id| !known.contains(id)) {
                return Err(invalid("closed_roads", format!("road {id} is not in the road network")));
            }
        }
        Ok(Self { restrictions, max_snap_m, cutoff_s })
    }
}

/// A point given as [longitude, latitude], checked.
pub fn parse_point([lon, lat]: [f64; 2]) -> Result<Coord<f64>, Problem> {
    if !(lon.is_finite() && lat.is_finite() && (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat)) {
        return Err(invalid("point", "must be [longitude, latitude] in degrees within [-180, 180] × [-90, 90]"));
    }
    Ok(Coord { x: lon, y: lat })
}

/// The outcome of one search from an incident: its snap, and per source the snap and the way.
pub struct Routed {
    /// Where the incident meets the road.
    pub incident: Snap,
    /// Per source (in the order given): its snap, or None when it is off the usable network.
    pub snaps: Vec<Option<Snap>>,
    /// Per source: how it reaches the incident (None: not reached, beyond the cut-off, or beyond `k`).
    pub reached: Vec<Option<Reached>>,
    /// Sources reached, nearest first (indices into the sources).
    pub ranked: Vec<usize>,
}

/// Snaps the incident (an error that says how far the road is when it cannot) and the sources,
/// then runs the one search for the `k` nearest sources.
pub fn route_from(
    graph: &RoadGraph,
    point: Coord<f64>,
    sources: &[Coord<f64>],
    rules: &RoadRules,
    k: usize,
) -> Result<Routed, Problem> {
    // Without restrictions every edge is usable (no per-edge table to build), and the sources'
    // snaps can be remembered.
    let unrestricted = rules.restrictions.is_empty();
    let usable = if unrestricted { Vec::new() } else { rules.restrictions.usable(graph) };
    let ok = |e: usize| unrestricted || usable[e];
    let max_snap = rules.max_snap_m;
    let Some(incident) = graph.snap(point, max_snap, &ok) else {
        let nearest = graph
            .snap(point, MAX_SNAP_M, &|_| true)
            .map(|s| format!("; the nearest road is {:.0} m away", s.distance_m));
        return Err(invalid(
            "point",
            format!("no usable road within {max_snap} m of the point{}", nearest.unwrap_or_default()),
        ));
    };
    let snaps: Vec<Option<Snap>> = sources
        .iter()
        .map(|c| if unrestricted { graph.snap_cached(*c, max_snap) } else { graph.snap(*c, max_snap, &ok) })
        .collect();
    let on_network: Vec<usize> = (0..sources.len()).filter(|&i| snaps[i].is_some()).collect();
    let searched: Vec<Snap> = on_network.iter().filter_map(|&i| snaps[i]).collect();
    let mut reached: Vec<Option<Reached>> = vec![None; sources.len()];
    let mut ranked = Vec::new();
    for mut r in nearest(graph, &incident, &searched, k, rules.cutoff_s, &ok) {
        let i = on_network[r.candidate];
        r.candidate = i;
        ranked.push(i);
        reached[i] = Some(r);
    }
    Ok(Routed { incident, snaps, reached, ranked })
}

/// Rounds to a tenth.
pub fn tenth(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Seconds as minutes, to a tenth.
pub fn minutes(seconds: f64) -> f64 {
    tenth(seconds / 60.0)
}

/// The incident's snap as JSON.
pub fn incident_json(graph: &RoadGraph, point: Coord<f64>, snap: &Snap) -> Value {
    json!({"point": [point.x, point.y], "snapped": [snap.point.x, snap.point.y],
           "snap_distance_m": tenth(snap.distance_m), "route_id": graph.edges[snap.edge].route_id})
}

/// A route as a GeoJSON LineString.
pub fn path_json(reached: &Reached) -> Value {
    let path: Vec<[f64; 2]> = reached.path.0.iter().map(|p| [p.x, p.y]).collect();
    json!({"type": "LineString", "coordinates": path})
}

/// Runs the search; the answer as JSON.
fn rank(
    graph: &Arc<RoadGraph>,
    point: Coord<f64>,
    candidates: &[Candidate],
    rules: &RoadRules,
    count: usize,
) -> Result<Value, Problem> {
    let at: Vec<Coord<f64>> = candidates.iter().map(|c| c.at).collect();
    let routed = route_from(graph, point, &at, rules, count)?;
    let max_snap = rules.max_snap_m;
    let off_network: Vec<Value> = candidates
        .iter()
        .zip(&routed.snaps)
        .filter(|(_, s)| s.is_none())
        .map(|(c, _)| json!({"id": c.id, "name": c.name, "reason": format!("no usable road within {max_snap} m")}))
        .collect();
    let results: Vec<Value> = routed
        .ranked
        .iter()
        .enumerate()
        .map(|(rank, &i)| {
            let c = &candidates[i];
            let r = routed.reached[i].as_ref().expect("ranked sources are reached");
            let snap = routed.snaps[i].expect("reached sources are snapped");
            json!({
                "rank": rank + 1, "id": c.id, "name": c.name, "about": c.about,
                "seconds": tenth(r.seconds), "minutes": minutes(r.seconds),
                "metres": r.metres.round(), "snap_distance_m": tenth(snap.distance_m),
                "location": [c.at.x, c.at.y],
                "path": path_json(r),
            })
        })
        .collect();
    Ok(json!({
        "incident": incident_json(graph, point, &routed.incident),
        "candidates": candidates.len(),
        "results": results,
        "off_network": off_network,
    }))
}
