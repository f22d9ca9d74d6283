//! Risk maps for planners: `/api/risk/regions`, `/api/risk/cells/{id}`, `/api/risk/roads`
//! (and their tiles under `/tiles/risk/…`, see `api::tiles`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::AppState;
use super::doc::Doc;
use super::extract::Query;
use super::problem::Problem;
use super::routes::Routes;
use crate::auth::Action;
use crate::risk::grade_check::Finding;
use crate::risk::map::RiskMap;
use crate::risk::read::{CellRisk, Regions, Roads};
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
                .geojson_of::<Regions>(200, "the regions"),
        )
        .get("/api/risk/cells/{id}", Action::Read, cell)
        .doc(Doc::new("one cell with what makes up its risk").answer_of::<CellRisk>(200, "the cell"))
        .get("/api/risk/roads", Action::Read, roads)
        .doc(
            Doc::new("hazmat roads ranked by risk")
                .query_as("top", json!({"type": "integer", "minimum": 1}), "how many")
                .geojson_of::<Roads>(200, "the roads, riskiest first"),
        )
        .get("/api/risk/grade-check", Action::Read, grade_check)
        .doc(
            Doc::new("the desk review: risk sources whose declared grade is lower than computed, or missing")
                .query("district", "one district")
                .answer_of::<Review>(200, "risk sources with declared and computed grades and the reason"),
        )
}

/// The sources whose declared grade is lower than the computed one, or missing.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
struct Review {
    /// How many.
    count: usize,
    /// The largest shortfall first.
    sources: Vec<Finding>,
}

/// The query string of the grade check (`?district=渝北区`).
#[derive(Debug, Deserialize)]
struct GradeCheckParams {
    district: Option<String>,
}

async fn grade_check(
    State(state): State<AppState>,
    Query(params): Query<GradeCheckParams>,
) -> Result<Response, Problem> {
    let sources = crate::risk::grade_check::review(&state.pool, params.district.as_deref()).await?;
    Ok(axum::Json(Review { count: sources.len(), sources }).into_response())
}

/// The risk map of the current data.
pub async fn current(state: &AppState) -> Result<std::sync::Arc<RiskMap>, Problem> {
    state.risk.map(&state.pool, &state.snapshot).await.map_err(|e| {
        tracing::error!(error = %e, "cannot make the risk map");
        Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "risk map failed", "the risk map could not be made")
    })
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
    let map = current(&state).await?;
    let regions = match params.unit.as_deref().unwrap_or("district") {
        "district" => {
            if let Some((k, _)) =
                [("cell_m", &params.cell_m), ("shape", &params.shape)].iter().find(|(_, v)| v.is_some())
            {
                return Err(Problem::bad_request(k, "is for unit=grid"));
            }
            Regions::districts(&map)
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
            crate::work::run("risk grid", move || Regions::cells(&map, &map.grid(cell_m, hex))).await?
        }
        other => return Err(Problem::bad_request("unit", format!("`{other}` is not one of: district, grid"))),
    };
    Ok(axum::Json(regions).into_response())
}

async fn cell(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, Problem> {
    let Some((hex, cell_m, cell)) = parse_cell(&id).filter(|(_, c, _)| (MIN_CELL_M..=MAX_CELL_M).contains(c)) else {
        return Err(Problem::bad_request(
            "id",
            format!("`{id}` is not a cell id (`{{cell_m}}:{{column}}:{{row}}` or `hex{{cell_m}}:{{q}}:{{r}}`)"),
        ));
    };
    let map = current(&state).await?;
    Ok(axum::Json(CellRisk::of(&map, &map.grid(cell_m, hex), cell, id)).into_response())
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
    Ok(axum::Json(Roads::ranked(&map, top)).into_response())
}
