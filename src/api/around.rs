//! `/api/around`: "what is around here" — risk sources, receptors, depots and teams within a
//! radius of a point, nearest first, with geodesic distances from PostGIS.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

use super::AppState;
use super::doc::{Doc, schema};
use super::extract::Query;
use super::layers::geojson;
use super::problem::Problem;
use super::routes::Routes;
use crate::auth::Action;
use crate::layers;

/// Largest radius, metres.
pub const MAX_RADIUS_M: f64 = 50_000.0;
/// Layers searched when none are named.
const DEFAULT_LAYERS: &[&str] = &["risk_source", "receptor", "depot", "team"];
/// Most features returned.
const MAX_RESULTS: i64 = 1000;

/// Route of the query.
pub fn router() -> Routes {
    Routes::new().get("/api/around", Action::Read, around).doc(
        Doc::new("features within a radius (≤ 50 km) of a point, nearest first, with geodesic distance_m")
            .query_as("lon", json!({"type": "number"}), "longitude")
            .query_as("lat", json!({"type": "number"}), "latitude")
            .query_as("radius_m", json!({"type": "number", "exclusiveMinimum": 0, "maximum": 50000}), "metres")
            .query("layers", "comma-separated layers (default risk_source,receptor,depot,team)")
            .query_as("limit", json!({"type": "integer", "minimum": 1}), "features at most")
            .answer_as(200, "application/geo+json", schema("FeatureCollection"), "nearest first"),
    )
}

/// The query string of "what is around here".
#[derive(Debug, Deserialize)]
struct AroundParams {
    lon: Option<f64>,
    lat: Option<f64>,
    radius_m: Option<f64>,
    /// Comma-separated layer names.
    layers: Option<String>,
    limit: Option<i64>,
}

/// `value` of parameter `name`, required, finite and within [`min`, `max`].
fn number(name: &str, value: Option<f64>, min: f64, max: f64) -> Result<f64, Problem> {
    match value {
        None => Err(Problem::bad_request(name, "is required")),
        Some(v) if v.is_finite() && (min..=max).contains(&v) => Ok(v),
        Some(v) => Err(Problem::bad_request(name, format!("`{v}` is not a number in [{min}, {max}]"))),
    }
}

async fn around(State(state): State<AppState>, Query(params): Query<AroundParams>) -> Result<Response, Problem> {
    let lon = number("lon", params.lon, -180.0, 180.0)?;
    let lat = number("lat", params.lat, -90.0, 90.0)?;
    let radius = number("radius_m", params.radius_m, 0.0, MAX_RADIUS_M)?;
    if radius <= 0.0 {
        return Err(Problem::bad_request("radius_m", "must be more than 0"));
    }
    let limit = match params.limit {
        None => MAX_RESULTS,
        Some(l) if (1..=MAX_RESULTS).contains(&l) => l,
        Some(_) => return Err(Problem::bad_request("limit", format!("must be an integer in [1, {MAX_RESULTS}]"))),
    };
    let mut names: Vec<&str> = match params.layers.as_deref() {
        Some(list) => list.split(',').map(str::trim).collect(),
        None => DEFAULT_LAYERS.to_vec(),
    };
    // Each layer is scanned once, however often it is named.
    let mut seen = std::collections::HashSet::new();
    names.retain(|name| seen.insert(*name));
    let mut chosen = Vec::new();
    for name in names {
        let layer = layers::find(name).ok().filter(|l| l.is_spatial()).ok_or_else(|| {
            Problem::bad_request(
                "layers",
                format!("`{name}` is not a map layer; use any of: {}", DEFAULT_LAYERS.join(", ")),
            )
        })?;
        chosen.push(layer);
    }
    let features = layers::around::within(&state.pool, (lon, lat), radius, &chosen, limit).await?;
    Ok(geojson(
        StatusCode::OK,
        &json!({"type": "FeatureCollection", "center": [lon, lat], "radius_m": radius, "features": features}),
    ))
}
