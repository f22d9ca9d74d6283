//! Coverage gaps for planners: the service areas of the depots holding an item (or a category)
//! within given travel times, and the receptors and major risk sources outside all of them.

use std::collections::HashSet;
use std::sync::Arc;

use geo::{Coord, LineString};
use serde::Serialize;
use serde_json::Value;
use sqlx::PgPool;

use crate::error::Error;
use crate::layers::stock;
use crate::routing::RoadGraph;
use crate::routing::coverage::service_areas;
use crate::routing::request::DEFAULT_SNAP_M;

/// What a planner asks: which stock, within which times, how wide a band along the roads.
#[derive(Debug, Clone)]
pub struct Asked {
    /// One item, e.g. 围油栏 (or a category).
    pub item: Option<String>,
    /// Or one category of stock.
    pub category: Option<String>,
    /// Travel times, minutes, ascending.
    pub minutes: Vec<f64>,
    /// The band along the roads reached, metres.
    pub buffer_m: f64,
    /// Only roads open to hazardous goods.
    pub hazmat: bool,
}

/// The answer: a GeoJSON FeatureCollection of one area a time, with the depots and the gaps.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Coverage {
    /// Always `FeatureCollection`.
    #[serde(rename = "type")]
    kind: &'static str,
    /// One area a travel time, shortest first; each covers the one before it.
    features: Vec<Area>,
    /// The depots with free stock of what was asked.
    depots: Vec<Depot>,
    /// The band along the roads, metres.
    buffer_m: f64,
    /// What lies outside the longest time's area.
    outside: Outside,
}

/// The area reached within one time.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Area {
    /// Always `Feature`.
    #[serde(rename = "type")]
    kind: &'static str,
    /// A (Multi)Polygon, or null when nothing is reached.
    #[schema(value_type = Object)]
    geometry: Value,
    properties: AreaProperties,
}

/// What an area is.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AreaProperties {
    /// The travel time, minutes.
    minutes: f64,
    /// Pieces of road reached.
    pieces: usize,
}

/// A depot holding what was asked.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Depot {
    id: i64,
    name: String,
    /// Longitude, latitude.
    location: [f64; 2],
    /// Whether it lies near enough to a usable road to be snapped to it.
    on_network: bool,
}

/// The gaps: what no depot reaches within the longest time.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Outside {
    /// The longest time, minutes.
    minutes: f64,
    /// Receptors outside, drinking-water intakes first.
    receptors: Vec<Receptor>,
    /// Major and large risk sources (重大, 较大) in operation outside, 重大 first.
    risk_sources: Vec<RiskSource>,
}

/// A receptor out of reach.
#[derive(Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Receptor {
    id: i64,
    name: String,
    kind: String,
    population: Option<i32>,
}

/// A risk source out of reach.
#[derive(Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct RiskSource {
    id: i64,
    name: String,
    grade: Option<String>,
    district: Option<String>,
}

/// Draws the areas on `graph` and finds what is outside them.
pub async fn coverage(pool: &PgPool, graph: Arc<RoadGraph>, asked: Asked) -> Result<Coverage, Error> {
    let (item, category) = (asked.item.as_deref(), asked.category.as_deref());
    stock::units_of(pool, item, category, str::to_string).await?;
    let depots = stock::holders(pool, item, category).await?;

    let limits: Vec<f64> = asked.minutes.iter().map(|m| m * 60.0).collect();
    let at: Vec<Coord<f64>> = depots.iter().map(|d| Coord { x: d.lon, y: d.lat }).collect();
    let hazmat = asked.hazmat;
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
    let (lon0, lat0) = (depots.iter().map(|d| d.lon).sum::<f64>() / n, depots.iter().map(|d| d.lat).sum::<f64>() / n);
    let projection = format!("+proj=aeqd +lat_0={lat0} +lon_0={lon0} +datum=WGS84 +units=m +no_defs");
    let mut features = Vec::new();
    let mut largest: Option<String> = None;
    let mut drawn: HashSet<Vec<(u64, u64)>> = HashSet::new();
    for (&minutes, pieces) in asked.minutes.iter().zip(&areas) {
        // A band is the band before united with the buffer of the pieces it had not reached
        // (cut points lie on the lines in degrees, not on their projected chords, so a bare
        // buffer could miss slivers of the last; and on a real network most pieces of a longer
        // time are the shorter time's again, already inside). Corners are drawn with two
        // segments a quarter circle: a planner's band, at half the work of PostGIS's eight.
        let new: Vec<LineString<f64>> = pieces
            .iter()
            .filter(|p| drawn.insert(p.0.iter().map(|c| (c.x.to_bits(), c.y.to_bits())).collect()))
            .cloned()
            .collect();
        let polygon: Option<String> = match multiline(&new) {
            None => largest.clone(),
            Some(wkt) => sqlx::query_scalar(
                "WITH b AS (SELECT ST_Transform(ST_Buffer(ST_Transform(ST_GeomFromText($1, 4326), $3), $2, 2), $3, 4326) AS g) \
                 SELECT ST_AsGeoJSON(CASE WHEN $4::text IS NULL THEN b.g ELSE ST_Union(b.g, ST_MakeValid(ST_GeomFromGeoJSON($4))) END, 7) FROM b",
            )
            .bind(&wkt)
            .bind(asked.buffer_m)
            .bind(&projection)
            .bind(&largest)
            .fetch_one(pool)
            .await?,
        };
        let geometry = polygon.as_deref().map_or(Value::Null, |g| serde_json::from_str(g).unwrap_or(Value::Null));
        features.push(Area { kind: "Feature", geometry, properties: AreaProperties { minutes, pieces: pieces.len() } });
        largest = polygon;
    }
    let area = largest.unwrap_or_else(|| r#"{"type":"GeometryCollection","geometries":[]}"#.to_string());
    let receptors: Vec<Receptor> = sqlx::query_as(
        "SELECT id, name, kind, population FROM receptor \
         WHERE NOT ST_Intersects(geom, ST_MakeValid(ST_GeomFromGeoJSON($1))) ORDER BY (kind = 'water_intake') DESC, id",
    )
    .bind(&area)
    .fetch_all(pool)
    .await?;
    let risk_sources: Vec<RiskSource> = sqlx::query_as(
        "SELECT id, name, grade, district FROM risk_source \
         WHERE grade IN ('重大', '较大') AND status <> 'closed' AND NOT ST_Intersects(geom, ST_MakeValid(ST_GeomFromGeoJSON($1))) \
         ORDER BY (grade = '重大') DESC, id",
    )
    .bind(&area)
    .fetch_all(pool)
    .await?;
    let depots = depots
        .into_iter()
        .zip(snapped)
        .map(|(d, on_network)| Depot { id: d.id, name: d.name, location: [d.lon, d.lat], on_network })
        .collect();
    let longest = asked.minutes.last().copied().unwrap_or_default();
    Ok(Coverage {
        kind: "FeatureCollection",
        features,
        depots,
        buffer_m: asked.buffer_m,
        outside: Outside { minutes: longest, receptors, risk_sources },
    })
}

/// Pieces of road as WKT for PostGIS; None when there are none.
fn multiline(pieces: &[LineString<f64>]) -> Option<String> {
    (!pieces.is_empty()).then(|| {
        let parts: Vec<String> = pieces
            .iter()
            .map(|l| format!("({})", l.0.iter().map(|c| format!("{} {}", c.x, c.y)).collect::<Vec<_>>().join(",")))
            .collect();
        format!("MULTILINESTRING({})", parts.join(","))
    })
}
