//! A spill traced along the rivers, as it is answered: the reaches it flows through with the
//! hours and metres of flow to each vertex, where the point was put on the rivers, and the
//! receptors it reaches (downstream) or the risk sources it could have come from (upstream).

use std::sync::Arc;

use geo::Coord;
use serde::Serialize;
use serde_json::{Value, json};
use sqlx::PgPool;

use super::trace::{Met, Snapped, Way, near_reaches, trace};
use crate::error::Error;
use crate::routing::RoadGraph;

/// A spill traced along the rivers: the reaches it flows through, with the receptors it reaches
/// (downstream) or the risk sources it could have come from (upstream).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Trace {
    /// Always `FeatureCollection`.
    #[serde(rename = "type")]
    kind: &'static str,
    /// The reaches, in order of flow.
    pub features: Vec<ReachFeature>,
    /// Where the point was put on the rivers.
    pub snap: Snapped,
    /// Hours traced.
    pub hours: f64,
    /// Downstream: the receptors reached, intakes first, each in order of arrival.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receptors: Option<Vec<Met>>,
    /// Upstream: the risk sources it could have come from, nearest in time first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk_sources: Option<Vec<Met>>,
}

/// A reach of river the spill flows through.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReachFeature {
    /// Always `Feature`.
    #[serde(rename = "type")]
    kind: &'static str,
    /// A GeoJSON LineString.
    #[schema(value_type = Object)]
    pub geometry: Value,
    /// When the spill reaches it.
    pub properties: ReachProperties,
}

impl ReachFeature {
    /// Its vertices with the hours of flow to each: [longitude, latitude, hours].
    pub fn vertices(&self) -> Vec<[f64; 3]> {
        let coordinates = self.geometry["coordinates"].as_array().map(Vec::as_slice).unwrap_or_default();
        coordinates
            .iter()
            .zip(&self.properties.hours)
            .filter_map(|(c, h)| Some([c[0].as_f64()?, c[1].as_f64()?, *h]))
            .collect()
    }
}

/// When the spill reaches a reach.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReachProperties {
    /// The river's `route.id`.
    pub route_id: i64,
    /// Hours of flow to each vertex of the line.
    pub hours: Vec<f64>,
    /// Metres along the river to each vertex of the line.
    pub metres: Vec<f64>,
}

/// Where a trace begins: off the rivers (with the nearest river's distance), or its answer.
#[derive(Debug)]
pub enum Traced {
    /// No river within the distance looked: how far the nearest is, if any.
    Off {
        /// The distance to the nearest river, m.
        nearest_m: Option<f64>,
    },
    /// The trace.
    On(Box<Trace>),
}

/// Traces a spill at `point` for `hours` the `way` it flows, the point put on a river within
/// `max_snap_m`, receptors or sources counted within `near_m` of the reaches.
pub async fn follow(
    pool: &PgPool,
    rivers: Arc<RoadGraph>,
    point: Coord<f64>,
    hours: f64,
    way: Way,
    max_snap_m: f64,
    near_m: f64,
) -> Result<Traced, Error> {
    let Some(start) = rivers.snap(point, max_snap_m, &|_| true) else {
        let nearest_m = rivers.snap(point, f64::INFINITY, &|_| true).map(|s| s.distance_m);
        return Ok(Traced::Off { nearest_m });
    };
    let reaches = {
        let rivers = rivers.clone();
        crate::work::run("river trace", move || trace(&rivers, &start, hours, way)).await?
    };
    let found = near_reaches(pool, &reaches, way, near_m).await?;
    let features = reaches
        .iter()
        .map(|r| ReachFeature {
            kind: "Feature",
            geometry: json!({"type": "LineString", "coordinates": r.line.0.iter().map(|c| [c.x, c.y]).collect::<Vec<_>>()}),
            properties: ReachProperties { route_id: r.route_id, hours: r.hours.clone(), metres: r.metres.clone() },
        })
        .collect();
    let (receptors, risk_sources) = if way == Way::Downstream { (Some(found), None) } else { (None, Some(found)) };
    let snap = Snapped::of(&rivers, point, &start);
    Ok(Traced::On(Box::new(Trace { kind: "FeatureCollection", features, snap, hours, receptors, risk_sources })))
}
