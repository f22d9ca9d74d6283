//! Threat zones on the map: each threshold's zone of a release turned to the wind and placed at
//! the source, with the receptors inside it and the people of the real places it covers.

use geo::{Contains, Coord, Destination, Geodesic, Point, Polygon};
use serde::Serialize;
use serde_json::{Value, json};
use sqlx::PgPool;
use utoipa::ToSchema;

use super::plume::{FITTED_M, Release, Terrain, zone};
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
    /// How the stability class was had: `given`, or from the weather (`pasquill`).
    pub stability_from: &'static str,
    /// The substance whose end-points are the thresholds, when one was named.
    pub substance: Option<Substance>,
}

/// A substance's toxic end-points, used as the thresholds.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Substance {
    /// Its name.
    pub name: &'static str,
    /// Its CAS number.
    pub cas: &'static str,
    /// The two end-points, mg/m³.
    pub endpoints_mg_m3: [f64; 2],
    /// Where they come from.
    pub source: &'static str,
}

/// The threat zones of a release, widest (lowest threshold) first, and how they were had.
#[derive(Debug, Serialize, ToSchema)]
pub struct Zones {
    /// Always `FeatureCollection`.
    #[serde(rename = "type")]
    kind: &'static str,
    /// One a threshold.
    pub features: Vec<Zone>,
    /// The Pasquill–Gifford stability class, A–F.
    pub stability: &'static str,
    /// `given`, or `pasquill` (from the wind, the sky and the time of day).
    pub stability_from: &'static str,
    /// rural or urban.
    pub terrain: &'static str,
    /// How far the wind carries it in the release's duration, m.
    pub reach_m: f64,
    /// The distances the dispersion coefficients are fitted for, m.
    pub fitted_m: [f64; 2],
    /// The substance, when its end-points are the thresholds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub substance: Option<Substance>,
}

/// The zone of one threshold.
#[derive(Debug, Serialize, ToSchema)]
pub struct Zone {
    /// Always `Feature`.
    #[serde(rename = "type")]
    kind: &'static str,
    /// A GeoJSON Polygon, or null when the threshold is never reached.
    #[schema(value_type = Object)]
    pub geometry: Value,
    /// What it is and what is in it.
    pub properties: ZoneProperties,
}

/// A threshold's zone: how far and wide, the receptors inside and the people.
#[derive(Debug, Serialize, ToSchema)]
pub struct ZoneProperties {
    /// The threshold, mg/m³.
    pub threshold_mg_m3: f64,
    /// How far downwind it reaches, m.
    pub max_distance_m: f64,
    /// How wide it is at its widest, m.
    pub max_width_m: f64,
    /// The receptors inside, nearest the source first.
    pub receptors: Vec<Inside>,
    /// The people of the residential places inside.
    pub people: i64,
}

/// A receptor inside a zone.
#[derive(Debug, Serialize, ToSchema)]
pub struct Inside {
    /// The receptor's id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its kind.
    pub kind: String,
    /// Its population, for a residential place.
    pub population: Option<i64>,
    /// How far from the source, m.
    pub distance_m: f64,
}

impl Request {
    /// How far the wind carries the gas in the release's duration, m.
    pub fn reach_m(&self) -> f64 {
        self.release.wind_ms * self.minutes * 60.0
    }
}

/// Plume coordinates (x downwind, y to the left, m) to longitude and latitude.
pub fn place(at: Coord<f64>, downwind_deg: f64, (x, y): (f64, f64)) -> Coord<f64> {
    let distance = x.hypot(y);
    if distance == 0.0 {
        return at;
    }
    // Left of the wind is anticlockwise, bearings go clockwise.
    let bearing = downwind_deg - y.atan2(x).to_degrees();
    Geodesic.destination(Point(at), bearing.rem_euclid(360.0), distance).0
}

/// The zones of `request`, widest (lowest threshold) first.
pub async fn zones(pool: &PgPool, request: &Request) -> Result<Zones, Error> {
    let downwind = (request.wind_from_deg + 180.0).rem_euclid(360.0);
    let mut thresholds = request.thresholds.clone();
    thresholds.sort_by(f64::total_cmp);
    let mut features = Vec::new();
    for threshold in thresholds {
        let (release, reach) = (request.release, request.reach_m());
        let Some(z) = crate::work::run("plume", move || zone(&release, threshold, reach)).await? else {
            let properties = ZoneProperties {
                threshold_mg_m3: threshold,
                max_distance_m: 0.0,
                max_width_m: 0.0,
                receptors: Vec::new(),
                people: 0,
            };
            features.push(Zone { kind: "Feature", geometry: Value::Null, properties });
            continue;
        };
        let ring: Vec<Coord<f64>> = z.outline.iter().map(|&p| place(request.at, downwind, p)).collect();
        let polygon = Polygon::new(ring.into(), vec![]);
        let (receptors, people) = inside(pool, request.at, &polygon).await?;
        let coordinates: Vec<[f64; 2]> = polygon.exterior().0.iter().map(|c| [c.x, c.y]).collect();
        features.push(Zone {
            kind: "Feature",
            geometry: json!({"type": "Polygon", "coordinates": [coordinates]}),
            properties: ZoneProperties {
                threshold_mg_m3: threshold,
                max_distance_m: z.max_distance_m.round(),
                max_width_m: z.max_width_m.round(),
                receptors,
                people,
            },
        });
    }
    let release = &request.release;
    Ok(Zones {
        kind: "FeatureCollection",
        features,
        stability: release.stability.letter(),
        stability_from: request.stability_from,
        terrain: if release.terrain == Terrain::Rural { "rural" } else { "urban" },
        reach_m: request.reach_m().round(),
        fitted_m: [FITTED_M.0, FITTED_M.1],
        substance: request.substance.clone(),
    })
}

/// The receptors whose geometry lies within `zone` (tested here, in longitude and latitude as
/// PostGIS does for `ST_Within`), and the people of the residential ones.
async fn inside(pool: &PgPool, source: Coord<f64>, zone: &Polygon<f64>) -> Result<(Vec<Inside>, i64), Error> {
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
        found.push(Inside { id, name, kind, population, distance_m: distance.round() });
    }
    Ok((found, people))
}
