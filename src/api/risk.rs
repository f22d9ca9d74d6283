//! Risk maps for planners: `/api/risk/regions`, `/api/risk/cells/{id}`, `/api/risk/roads`
//! (and their tiles under `/tiles/risk/…`, see `api::tiles`).

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use geo::Geometry;
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use super::doc::{Doc, object, schema};
use super::extract::Query;
use super::problem::Problem;
use super::routes::Routes;
use crate::auth::Action;
use crate::risk::map::RiskMap;
use crate::risk::regions::parse_cell;

/// Smallest and largest grid cells, metres: below 500 m the output explodes for a province.
const MIN_CELL_M: f64 = 500.0;
const MAX_CELL_M: f64 = 50_000.0;
const MAX_TOP: usize = 10_000;

/// Routes of the risk maps.
pub fn router() -> Routes {
    Routes::new()
        .get("/api/risk/regions", Action::Read, regions)
        .doc(
            Doc::new("the regional risk map: districts or grid cells with their risk index and class")
                .query_as("unit", json!({"type": "string", "enum": ["district", "grid"]}), "districts or cells")
                .query_as("cell_m", json!({"type": "number"}), "cell size, metres")
                .query("shape", "cell shape")
                .answer_as(200, "application/geo+json", schema("FeatureCollection"), "the regions"),
        )
        .get("/api/risk/cells/{id}", Action::Read, cell)
        .doc(Doc::new("one cell with what makes up its risk").answer(
            200,
            object("the cell and its contributions"),
            "the cell",
        ))
        .get("/api/risk/roads", Action::Read, roads)
        .doc(
            Doc::new("hazmat roads ranked by risk")
                .query_as("top", json!({"type": "integer", "minimum": 1}), "how many")
                .answer_as(200, "application/geo+json", schema("FeatureCollection"), "the roads"),
        )
        .get("/api/risk/grade-check", Action::Read, grade_check)
        .doc(
            Doc::new("the desk review: risk sources whose declared grade is lower than computed, or missing")
                .query("district", "one district")
                .answer(200, object("risk sources with declared and computed grades and the reason"), "the review"),
        )
}

/// `GET /api/risk/grade-check[?district=渝北区]`: the sources whose declared grade is lower than
/// the computed one, or missing.
/// The query string of the grade check.
#[derive(Debug, Deserialize)]
struct GradeCheckParams {
    district: Option<String>,
}

async fn grade_check(
    State(state): State<AppState>,
    Query(params): Query<GradeCheckParams>,
) -> Result<Response, Problem> {
    let sources = crate::risk::grade_check::review(&state.pool, params.district.as_deref()).await?;
    Ok(axum::Json(json!({"count": sources.len(), "sources": sources})).into_response())
}

/// The risk map of the current data.
pub async fn current(state: &AppState) -> Result<std::sync::Arc<RiskMap>, Problem> {
    state.risk.map(&state.pool, &state.snapshot).await.map_err(|e| {
        tracing::error!(error = %e, "cannot make the risk map");
        Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "risk map failed", "the risk map could not be made")
    })
}

fn geojson(g: Geometry<f64>) -> Value {
    serde_json::to_value(geojson::Geometry::from(&g)).unwrap_or(Value::Null)
}

fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The query string of the regional risk map.
#[derive(Debug, Deserialize)]
struct RegionsParams {
    unit: Option<String>,
    /// Metres, or `hex` for 1 km² hexagons.
    cell_m: Option<String>,
    shape: Option<String>,
}

async fn regions(State(state): State<AppState>, Query(params): Query<RegionsParams>) -> Result<Response, Problem> {
    let unit = params.unit.as_deref().unwrap_or("district");
    let map = current(&state).await?;
    let model = &map.model;
    let features: Vec<Value> = match unit {
        "district" => {
            if let Some((k, _)) =
                [("cell_m", &params.cell_m), ("shape", &params.shape)].iter().find(|(_, v)| v.is_some())
            {
                return Err(Problem::bad_request(k, "is for unit=grid"));
            }
            map.districts
                .iter()
                .map(|d| {
                    let (index, sources) = map.district_index.get(&d.id).copied().unwrap_or_default();
                    json!({"type": "Feature", "id": d.id, "geometry": geojson(Geometry::MultiPolygon(d.geometry.clone())),
                           "properties": {"code": d.code, "name": d.name, "index": round(index),
                                          "class": model.class(index), "sources": sources}})
                })
                .collect()
        }
        "grid" => {
            // `cell_m=hex` is short for 1 km² hexagons; `shape=hex` gives hexagons of any size.
            let mut raw = params.cell_m.as_deref().unwrap_or("1000");
            let mut hex = match params.shape.as_deref() {
                None | Some("square") => false,
                Some("hex") => true,
                Some(other) => {
                    return Err(Problem::bad_request("shape", format!("`{other}` is not one of: square, hex")));
                }
            };
            if raw == "hex" {
                (raw, hex) = ("1000", true);
            }
            let cell_m: f64 = raw
                .parse()
                .ok()
                .filter(|c: &f64| c.is_finite())
                .ok_or_else(|| Problem::bad_request("cell_m", format!("`{raw}` is not a number of metres")))?;
            if !(MIN_CELL_M..=MAX_CELL_M).contains(&cell_m) {
                return Err(Problem::bad_request(
                    "cell_m",
                    format!(
                        "{cell_m} m is outside {MIN_CELL_M}–{MAX_CELL_M} m (smaller cells would explode the output)"
                    ),
                ));
            }
            let map = map.clone();
            crate::work::run("risk grid", move || {
                let grid = map.grid(cell_m, hex);
                map.cells(&grid)
                    .into_iter()
                    .map(|(cell, (index, members))| {
                        json!({"type": "Feature", "id": grid.id(cell), "geometry": geojson(Geometry::Polygon(grid.polygon(cell))),
                               "properties": {"id": grid.id(cell), "index": round(index), "class": map.model.class(index),
                                              "sources": members.len()}})
                    })
                    .collect()
            })
            .await?
        }
        other => return Err(Problem::bad_request("unit", format!("`{other}` is not one of: district, grid"))),
    };
    Ok(axum::Json(json!({"type": "FeatureCollection", "features": features, "unit": unit,
                         "breaks": model.breaks, "method": model.about}))
    .into_response())
}

async fn cell(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, Problem> {
    let Some((hex, cell_m, cell)) = parse_cell(&id).filter(|(_, c, _)| (MIN_CELL_M..=MAX_CELL_M).contains(c)) else {
        return Err(Problem::bad_request(
            "id",
            format!("`{id}` is not a cell id (`{{cell_m}}:{{column}}:{{row}}` or `hex{{cell_m}}:{{q}}:{{r}}`)"),
        ));
    };
    let map = current(&state).await?;
    let grid = map.grid(cell_m, hex);
    let cells = map.cells(&grid);
    let (index, members) = cells.get(&cell).cloned().unwrap_or_default();
    let scored: Vec<_> = map.scored.iter().filter(|s| members.contains(&s.source)).collect();
    let mut sources: Vec<Value> = scored
        .iter()
        .map(|s| {
            let src = &map.sources[s.source];
            json!({"id": src.id, "name": src.name, "grade": src.grade, "q": round(src.q), "hazard": round(s.hazard),
                   "exposure": round(s.exposure), "index": round(s.index)})
        })
        .collect();
    sources.sort_by(|a, b| b["index"].as_f64().unwrap_or(0.0).total_cmp(&a["index"].as_f64().unwrap_or(0.0)));
    let mut by_receptor: BTreeMap<usize, f64> = BTreeMap::new();
    for s in &scored {
        for (r, part) in &s.receptors {
            *by_receptor.entry(*r).or_default() += part;
        }
    }
    let mut receptors: Vec<(usize, f64)> = by_receptor.into_iter().collect();
    receptors.sort_by(|a, b| b.1.total_cmp(&a.1));
    let receptors: Vec<Value> = receptors
        .iter()
        .take(10)
        .map(|(r, part)| {
            let rec = &map.receptors[*r];
            json!({"id": rec.id, "name": rec.name, "kind": rec.kind, "contribution": round(*part)})
        })
        .collect();
    Ok(axum::Json(json!({
        "id": id, "index": round(index), "class": map.model.class(index),
        "geometry": geojson(Geometry::Polygon(grid.polygon(cell))),
        "sources": sources, "receptors": receptors,
    }))
    .into_response())
}

/// The query string of the road risks.
#[derive(Debug, Deserialize)]
struct RoadsParams {
    top: Option<usize>,
}

async fn roads(State(state): State<AppState>, Query(params): Query<RoadsParams>) -> Result<Response, Problem> {
    let top = params.top.unwrap_or(20);
    if !(1..=MAX_TOP).contains(&top) {
        return Err(Problem::bad_request("top", format!("`{top}` is not a count in 1–{MAX_TOP}")));
    }
    let map = current(&state).await?;
    let mut ranked: Vec<_> = map.road_risks.iter().collect();
    ranked.sort_by(|a, b| b.index.total_cmp(&a.index).then(map.roads[a.road].id.cmp(&map.roads[b.road].id)));
    let features: Vec<Value> = ranked
        .iter()
        .take(top)
        .enumerate()
        .map(|(rank, r)| {
            let road = &map.roads[r.road];
            let receptors: Vec<Value> = r
                .receptors
                .iter()
                .take(5)
                .map(|(i, d, part)| {
                    let rec = &map.receptors[*i];
                    json!({"id": rec.id, "name": rec.name, "kind": rec.kind, "distance_m": d.round(), "contribution": round(*part)})
                })
                .collect();
            json!({"type": "Feature", "id": road.id, "geometry": geojson(Geometry::LineString(road.line.clone())),
                   "properties": {"rank": rank + 1, "route_id": road.id, "name": road.name, "index": round(r.index),
                                  "class": map.model.road_class(r.index), "receptor_score": round(r.receptor_score),
                                  "sources_served": r.sources_served, "receptors": receptors}})
        })
        .collect();
    Ok(axum::Json(json!({"type": "FeatureCollection", "features": features, "roads": map.road_risks.len(),
                         "breaks": map.model.road.breaks}))
    .into_response())
}
