//! `GET /api/coverage?item=围油栏&minutes=30,60,90`: the service areas of the depots holding an
//! item, and the receptors and major risk sources outside all of them.

use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use geo::{Coord, LineString};
use serde_json::{Value, json};

use super::AppState;
use super::doc::{Doc, schema};
use super::layers::{only, query_params};
use super::nearest::invalid;
use super::problem::Problem;
use super::routes::Routes;
use crate::auth::Action;
use crate::layers::spec::STOCK_CATEGORIES;
use crate::routing::coverage::service_areas;
use crate::routing::request::DEFAULT_SNAP_M;

const MAX_MINUTES: f64 = 720.0;
const MAX_BANDS: usize = 6;

/// Route of the coverage.
pub fn router() -> Routes {
    Routes::new().get("/api/coverage", Action::Read, handle).doc(
        Doc::new("service areas of the depots holding an item, and what lies outside them")
            .query("item", "the item")
            .query("category", "or a category")
            .query("minutes", "comma-separated travel times, e.g. 30,60,90")
            .query_as("buffer_m", json!({"type": "number"}), "road buffer")
            .query_as("hazmat", json!({"type": "boolean"}), "hazmat roads only")
            .answer_as(200, "application/geo+json", schema("FeatureCollection"), "areas and what is outside"),
    )
}

fn parse_minutes(raw: &str) -> Result<Vec<f64>, Problem> {
    let bad = |why: String| Problem::bad_request("minutes", why);
    let values: Vec<f64> = raw
        .split(',')
        .map(|m| m.trim().parse::<f64>().map_err(|_| bad(format!("`{m}` is not a number of minutes"))))
        .collect::<Result<_, _>>()?;
    if values.is_empty() || values.len() > MAX_BANDS {
        return Err(bad(format!("give 1–{MAX_BANDS} times")));
    }
    if let Some(m) = values.iter().find(|m| !(m.is_finite() && **m > 0.0 && **m <= MAX_MINUTES)) {
        return Err(bad(format!("{m} must be more than 0 and at most {MAX_MINUTES}")));
    }
    if !values.windows(2).all(|w| w[0] < w[1]) {
        return Err(bad("times must ascend".into()));
    }
    Ok(values)
}

fn multiline(pieces: &[LineString<f64>]) -> Option<String> {
    (!pieces.is_empty()).then(|| {
        let parts: Vec<String> = pieces
            .iter()
            .map(|l| format!("({})", l.0.iter().map(|c| format!("{} {}", c.x, c.y)).collect::<Vec<_>>().join(",")))
            .collect();
        format!("MULTILINESTRING({})", parts.join(","))
    })
}

async fn handle(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Result<Response, Problem> {
    let params = query_params(raw)?;
    only(&params, &["item", "category", "minutes", "buffer_m", "hazmat"])?;
    let (item, category) = (params.get("item"), params.get("category"));
    if item.is_some() == category.is_some() {
        return Err(Problem::bad_request("item", "give exactly one of item or category"));
    }
    if let Some(c) = category
        && !STOCK_CATEGORIES.contains(&c.as_str())
    {
        return Err(invalid("category", format!("`{c}` is not one of: {}", STOCK_CATEGORIES.join(", "))));
    }
    let minutes = parse_minutes(params.get("minutes").map_or("30,60,90", String::as_str))?;
    let buffer_m: f64 = match params.get("buffer_m") {
        None => 500.0,
        Some(raw) => raw
            .parse()
            .ok()
            .filter(|b| (50.0..=5000.0).contains(b))
            .ok_or_else(|| Problem::bad_request("buffer_m", format!("`{raw}` must be 50–5000 metres")))?,
    };
    let hazmat = match params.get("hazmat").map(String::as_str) {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => return Err(Problem::bad_request("hazmat", format!("`{other}` is not true or false"))),
    };
    let known: Option<i32> =
        sqlx::query_scalar("SELECT 1 FROM stock_item WHERE ($1::text IS NULL OR item = $1) AND ($2::text IS NULL OR category = $2) LIMIT 1")
            .bind(item)
            .bind(category)
            .fetch_optional(&state.pool)
            .await?;
    if known.is_none() {
        let (field, what) = item.map_or(("category", category), |i| ("item", Some(i)));
        return Err(invalid(field, format!("no depot has ever stocked `{}`", what.map_or("", String::as_str))));
    }
    let depots: Vec<(i64, String, f64, f64)> = sqlx::query_as(
        "SELECT d.id, d.name, ST_X(d.geom), ST_Y(d.geom) FROM depot d JOIN stock_item s ON s.depot_id = d.id \
         WHERE ($1::text IS NULL OR s.item = $1) AND ($2::text IS NULL OR s.category = $2) \
         GROUP BY d.id HAVING sum(s.quantity - s.reserved) > 0 ORDER BY d.id",
    )
    .bind(item)
    .bind(category)
    .fetch_all(&state.pool)
    .await?;

    let graph = state.roads.load_full();
    let limits: Vec<f64> = minutes.iter().map(|m| m * 60.0).collect();
    let at: Vec<Coord<f64>> = depots.iter().map(|d| Coord { x: d.2, y: d.3 }).collect();
    let (areas, snapped) = crate::work::run("service areas", move || {
        let usable = |e: usize| !hazmat || graph.edges[e].hazmat_allowed;
        let snaps: Vec<_> = at.iter().map(|c| graph.snap(*c, DEFAULT_SNAP_M, &usable)).collect();
        let on: Vec<_> = snaps.iter().flatten().copied().collect();
        let areas = service_areas(&graph, &on, &limits, &usable);
        (areas, snaps.iter().map(Option::is_some).collect::<Vec<bool>>())
    })
    .await?;

    // All bands are buffered in one projection (azimuthal equidistant about the depots), so a
    // longer time's area always covers a shorter one's.
    let n = depots.len().max(1) as f64;
    let (lon0, lat0) = (depots.iter().map(|d| d.2).sum::<f64>() / n, depots.iter().map(|d| d.3).sum::<f64>() / n);
    let projection = format!("+proj=aeqd +lat_0={lat0} +lon_0={lon0} +datum=WGS84 +units=m +no_defs");
    let mut features = Vec::new();
    let mut largest: Option<String> = None;
    for (m, pieces) in minutes.iter().zip(&areas) {
        // A band is its own buffer united with the band before: cut points lie on the lines in
        // degrees, not on their projected chords, so a bare buffer could miss slivers of the last.
        let polygon: Option<String> = match multiline(pieces) {
            None => largest.clone(),
            Some(wkt) => sqlx::query_scalar(
                "WITH b AS (SELECT ST_Transform(ST_Buffer(ST_Transform(ST_GeomFromText($1, 4326), $3), $2), $3, 4326) AS g) \
                 SELECT ST_AsGeoJSON(CASE WHEN $4::text IS NULL THEN b.g ELSE ST_Union(b.g, ST_GeomFromGeoJSON($4)) END, 7) FROM b",
            )
            .bind(&wkt)
            .bind(buffer_m)
            .bind(&projection)
            .bind(&largest)
            .fetch_one(&state.pool)
            .await?,
        };
        let geometry: Value =
            polygon.as_deref().map_or(Value::Null, |g| serde_json::from_str(g).unwrap_or(Value::Null));
        features.push(
            json!({"type": "Feature", "geometry": geometry, "properties": {"minutes": m, "pieces": pieces.len()}}),
        );
        largest = polygon;
    }
    let area = largest.unwrap_or_else(|| r#"{"type":"GeometryCollection","geometries":[]}"#.to_string());
    let receptors: Vec<Value> = sqlx::query_scalar(
        "SELECT jsonb_build_object('id', id, 'name', name, 'kind', kind, 'population', population) FROM receptor \
         WHERE NOT ST_Intersects(geom, ST_GeomFromGeoJSON($1)) ORDER BY (kind = 'water_intake') DESC, id",
    )
    .bind(&area)
    .fetch_all(&state.pool)
    .await?;
    let sources: Vec<Value> = sqlx::query_scalar(
        "SELECT jsonb_build_object('id', id, 'name', name, 'grade', grade, 'district', district) FROM risk_source \
         WHERE grade IN ('重大', '较大') AND status <> 'closed' AND NOT ST_Intersects(geom, ST_GeomFromGeoJSON($1)) \
         ORDER BY (grade = '重大') DESC, id",
    )
    .bind(&area)
    .fetch_all(&state.pool)
    .await?;
    let depot_list: Vec<Value> = depots
        .iter()
        .zip(&snapped)
        .map(|((id, name, x, y), on)| json!({"id": id, "name": name, "location": [x, y], "on_network": on}))
        .collect();
    Ok(axum::Json(json!({
        "type": "FeatureCollection", "features": features, "depots": depot_list, "buffer_m": buffer_m,
        "outside": {"minutes": minutes.last(), "receptors": receptors, "risk_sources": sources},
    }))
    .into_response())
}
