//! `/api/around`: "what is around here" — risk sources, receptors, depots and teams within a
//! radius of a point, nearest first, with geodesic distances from PostGIS.

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};
use sqlx::AssertSqlSafe;
use sqlx::types::Json;

use super::AppState;
use super::doc::{Doc, schema};
use super::layers::{geojson, query_params};
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

fn number(params: &std::collections::BTreeMap<String, String>, name: &str, min: f64, max: f64) -> Result<f64, Problem> {
    let raw = params.get(name).ok_or_else(|| Problem::bad_request(name, "is required"))?;
    match raw.parse::<f64>() {
        Ok(v) if v.is_finite() && (min..=max).contains(&v) => Ok(v),
        _ => Err(Problem::bad_request(name, format!("`{raw}` is not a number in [{min}, {max}]"))),
    }
}

async fn around(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Result<Response, Problem> {
    let params = query_params(raw)?;
    if let Some(unknown) = params.keys().find(|k| !["lon", "lat", "radius_m", "layers", "limit"].contains(&k.as_str()))
    {
        return Err(Problem::bad_request(unknown, "unknown query parameter; use lon, lat, radius_m, layers, limit"));
    }
    let lon = number(&params, "lon", -180.0, 180.0)?;
    let lat = number(&params, "lat", -90.0, 90.0)?;
    let radius = number(&params, "radius_m", 0.0, MAX_RADIUS_M)?;
    if radius <= 0.0 {
        return Err(Problem::bad_request("radius_m", "must be more than 0"));
    }
    let limit = match params.get("limit") {
        None => MAX_RESULTS,
        Some(l) => l
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=MAX_RESULTS).contains(n))
            .ok_or_else(|| Problem::bad_request("limit", format!("must be an integer in [1, {MAX_RESULTS}]")))?,
    };
    let mut names: Vec<&str> = match params.get("layers") {
        Some(list) => list.split(',').map(str::trim).collect(),
        None => DEFAULT_LAYERS.to_vec(),
    };
    // Each layer is scanned once, however often it is named.
    let mut seen = std::collections::HashSet::new();
    names.retain(|name| seen.insert(*name));
    let mut parts = Vec::new();
    for name in names {
        let layer = layers::find(name).ok().filter(|l| l.is_spatial()).ok_or_else(|| {
            Problem::bad_request(
                "layers",
                format!("`{name}` is not a map layer; use any of: {}", DEFAULT_LAYERS.join(", ")),
            )
        })?;
        let props: Vec<String> = layer.tile_fields.iter().map(|f| format!("'{f}', t.{f}")).collect();
        // The bounding box in degrees lets the GiST index cut the candidates before the exact
        // geodesic test; it is widened at high latitudes where a degree of longitude shrinks.
        parts.push(format!(
            "SELECT t.id, '{name}' AS layer, ST_Distance(t.geom::geography, p.g) AS d, ST_AsGeoJSON(t.geom, 7)::jsonb AS geometry, \
               jsonb_build_object({props}) AS props \
             FROM {name} t, p \
             WHERE t.geom && ST_MakeEnvelope($1 - $4, $2 - $5, $1 + $4, $2 + $5, 4326) AND ST_DWithin(t.geom::geography, p.g, $3)",
            props = props.join(", ")
        ));
    }
    let sql = format!(
        "WITH p AS (SELECT ST_SetSRID(ST_MakePoint($1, $2), 4326)::geography AS g) \
         SELECT jsonb_build_object('type', 'Feature', 'id', id, 'geometry', geometry, \
           'properties', props || jsonb_build_object('layer', layer, 'distance_m', round(d::numeric, 1))) \
         FROM ({}) hits ORDER BY d, layer, id LIMIT {limit}",
        parts.join(" UNION ALL ")
    );
    let dlat = radius / 110_574.0 * 1.01;
    let dlon = (radius / (111_320.0 * lat.to_radians().cos().max(0.01)) * 1.01).min(360.0);
    let rows: Vec<Json<Value>> = sqlx::query_scalar(AssertSqlSafe(sql))
        .bind(lon)
        .bind(lat)
        .bind(radius)
        .bind(dlon)
        .bind(dlat.min(180.0))
        .fetch_all(&state.pool)
        .await
        .map_err(crate::error::Error::Database)?;
    let features: Vec<Value> = rows.into_iter().map(|j| j.0).collect();
    Ok(geojson(
        StatusCode::OK,
        &json!({"type": "FeatureCollection", "center": [lon, lat], "radius_m": radius, "features": features}),
    ))
}
