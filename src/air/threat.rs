//! Threat zones on the map: each threshold's zone of a release turned to the wind and placed at
//! the source, with the receptors inside it and the people of the real places it covers.

use geo::{Contains, Coord, Destination, Geodesic, Point, Polygon};
use serde_json::{Value, json};
use sqlx::PgPool;

use super::plume::{Release, zone};
use crate::error::Error;

/// What a threat-zone request asks.
#[derive(Debug, Clone)]
pub struct Request {
    /// Where it leaks.
    pub at: Coord<f64>,
    /// The release and the weather.
    pub release: Release,
    /// Where the wind comes from, degrees clockwise from north.
    pub wind_from_deg: f64,
    /// How long it has been leaking (or will), minutes: the wind carries it no further.
    pub minutes: f64,
    /// Thresholds, mg/m³.
    pub thresholds: Vec<f64>,
}

impl Request {
    /// How far the wind carries the gas in the release's duration, m.
    pub fn reach_m(&self) -> f64 {
        self.release.wind_ms * self.minutes * 60.0
    }
}

/// Plume coordinates (x downwind, y to the left, m) to longitude and latitude.
fn place(at: Coord<f64>, downwind_deg: f64, (x, y): (f64, f64)) -> Coord<f64> {
    let distance = x.hypot(y);
    if distance == 0.0 {
        return at;
    }
    // Left of the wind is anticlockwise, bearings go clockwise.
    let bearing = downwind_deg - y.atan2(x).to_degrees();
    Geodesic.destination(Point(at), bearing.rem_euclid(360.0), distance).0
}

/// The zones of `request`, widest (lowest threshold) first, as a GeoJSON FeatureCollection;
/// each Feature's properties: `threshold_mg_m3`, `max_distance_m`, `max_width_m`, `receptors`
/// (inside the zone, nearest the source first) and `people` (the population of the residential
/// places inside).
pub async fn zones(pool: &PgPool, request: &Request) -> Result<Value, Error> {
    let downwind = (request.wind_from_deg + 180.0).rem_euclid(360.0);
    let mut thresholds = request.thresholds.clone();
    thresholds.sort_by(f64::total_cmp);
    let mut features = Vec::new();
    for threshold in thresholds {
        let (release, reach) = (request.release, request.reach_m());
        let Some(z) = crate::work::run("plume", move || zone(&release, threshold, reach)).await? else {
            features.push(json!({"type": "Feature", "geometry": null, "properties": {
                "threshold_mg_m3": threshold, "max_distance_m": 0, "max_width_m": 0, "receptors": [], "people": 0}}));
            continue;
        };
        let ring: Vec<Coord<f64>> = z.outline.iter().map(|&p| place(request.at, downwind, p)).collect();
        let polygon = Polygon::new(ring.into(), vec![]);
        let (receptors, people) = inside(pool, request.at, &polygon).await?;
        let coordinates: Vec<[f64; 2]> = polygon.exterior().0.iter().map(|c| [c.x, c.y]).collect();
        features.push(json!({
            "type": "Feature",
            "geometry": {"type": "Polygon", "coordinates": [coordinates]},
            "properties": {
                "threshold_mg_m3": threshold,
                "max_distance_m": z.max_distance_m.round(),
                "max_width_m": z.max_width_m.round(),
                "receptors": receptors,
                "people": people,
            },
        }));
    }
    Ok(json!({"type": "FeatureCollection", "features": features}))
}

/// The receptors whose geometry lies within `zone` (tested here, in longitude and latitude as
/// PostGIS does for `ST_Within`), and the people of the residential ones.
async fn inside(pool: &PgPool, source: Coord<f64>, zone: &Polygon<f64>) -> Result<(Vec<Value>, i64), Error> {
    let Some(bounds) = geo::BoundingRect::bounding_rect(zone) else { return Ok((Vec::new(), 0)) };
    let rows: Vec<(i64, String, String, Option<i64>, String, f64)> = sqlx::query_as(
        "SELECT id, name, kind, population::bigint, ST_AsGeoJSON(geom), ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint($5, $6), 4326)::geography) \
         FROM receptor WHERE geom && ST_MakeEnvelope($1, $2, $3, $4, 4326) ORDER BY 6, id",
    )
    .bind(bounds.min().x)
    .bind(bounds.min().y)
    .bind(bounds.max().x)
    .bind(bounds.max().y)
    .bind(source.x)
    .bind(source.y)
    .fetch_all(pool)
    .await?;
    let mut found = Vec::new();
    let mut people = 0;
    for (id, name, kind, population, geometry, distance) in rows {
        let geometry = crate::layers::geometry_from_geojson(&geometry).map_err(|e| Error::Failed(e.to_string()))?;
        // Within: inside and not only on the boundary, as ST_Within.
        if !zone.contains(&geometry) {
            continue;
        }
        if kind == "residential" {
            people += population.unwrap_or(0);
        }
        found.push(
            json!({"id": id, "name": name, "kind": kind, "population": population, "distance_m": distance.round()}),
        );
    }
    Ok((found, people))
}
