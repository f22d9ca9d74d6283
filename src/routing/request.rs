//! The road options of a request (cut-off, snap distance, hazmat rule, closed roads, barrier
//! polygons), checked once into the rules every search of that request uses.

use geo::{Coord, Geometry};
use serde::Deserialize;
use serde_json::Value;
use sqlx::PgPool;

use super::RoadGraph;
use super::rules::Restrictions;
use crate::error::Error;
use crate::layers::spec::GeometryRule;
use crate::layers::validate::{GeometrySize, check_geometry};
use crate::layers::validity;

/// Default and largest distance from a point to the road it is snapped to, metres.
pub const DEFAULT_SNAP_M: f64 = 5_000.0;
/// Largest snap distance a request may ask for, metres.
pub const MAX_SNAP_M: f64 = 50_000.0;
const MAX_CUTOFF_MINUTES: f64 = 24.0 * 60.0;
/// Most barrier areas in one request.
pub const MAX_BARRIERS: usize = 100;

/// The road options of a request, beside its own fields; any other member is refused.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct RoadOptions {
    /// Farthest travel time wanted, minutes (≤ 1440).
    cutoff_minutes: Option<f64>,
    /// Farthest a point may be from the road it is snapped to, metres (default 5000, ≤ 50000).
    max_snap_m: Option<f64>,
    /// Hazmat transport: only roads that allow it.
    #[serde(default)]
    hazmat: bool,
    /// Ids of routes closed for this request.
    #[serde(default)]
    closed_roads: Vec<i64>,
    /// GeoJSON Points or Polygons the roads may not pass (a blocked bridge, a fire).
    #[serde(default)]
    barriers: Vec<Value>,
    #[serde(flatten)]
    #[schema(ignore)]
    unknown: std::collections::BTreeMap<String, Value>,
}

impl RoadOptions {
    /// Checks the options (and that the request had no unknown member) against `graph`; the
    /// barriers' validity is decided by PostGIS (`pool`).
    pub async fn rules(&self, graph: &RoadGraph, pool: &PgPool) -> Result<RoadRules, Error> {
        if let Some(name) = self.unknown.keys().next() {
            return Err(Error::invalid(name, format!("`{name}` is not a member of this request")));
        }
        let rules = RoadRules::parse(
            graph,
            self.cutoff_minutes,
            self.max_snap_m,
            self.hazmat,
            &self.closed_roads,
            &self.barriers,
        )?;
        let barriers: Vec<Geometry<f64>> =
            rules.restrictions.barriers.iter().cloned().map(Geometry::MultiPolygon).collect();
        let each: Vec<Option<&Geometry<f64>>> = barriers.iter().map(Some).collect();
        if let Some((i, detail)) = validity::first_invalid(pool, &each).await? {
            return Err(Error::invalid(&format!("barriers[{i}]"), detail));
        }
        Ok(rules)
    }
}

/// How a movement may use the roads, from a request: checked once, used by every search.
#[derive(Debug, Clone)]
pub struct RoadRules {
    /// What may not be used.
    pub restrictions: Restrictions,
    /// Largest snap distance, metres.
    pub max_snap_m: f64,
    /// Farthest travel time wanted, seconds (infinite: none).
    pub cutoff_s: f64,
}

impl RoadRules {
    /// The rules of a request with no road options: every road, the default snap, no cut-off.
    pub fn unrestricted() -> Self {
        Self { restrictions: Restrictions::default(), max_snap_m: DEFAULT_SNAP_M, cutoff_s: f64::INFINITY }
    }

    /// Checks the road options of a request (`cutoff_minutes`, `max_snap_m`, `hazmat`, `closed_roads`, `barriers`).
    fn parse(
        graph: &RoadGraph,
        cutoff_minutes: Option<f64>,
        max_snap_m: Option<f64>,
        hazmat: bool,
        closed_roads: &[i64],
        barriers: &[Value],
    ) -> Result<Self, Error> {
        let cutoff_s = match cutoff_minutes {
            None => f64::INFINITY,
            Some(m) if m > 0.0 && m <= MAX_CUTOFF_MINUTES => m * 60.0,
            Some(_) => {
                return Err(Error::invalid(
                    "cutoff_minutes",
                    format!("must be more than 0 and at most {MAX_CUTOFF_MINUTES}"),
                ));
            }
        };
        let max_snap_m = max_snap_m.unwrap_or(DEFAULT_SNAP_M);
        if !(max_snap_m > 0.0 && max_snap_m <= MAX_SNAP_M) {
            return Err(Error::invalid("max_snap_m", format!("must be more than 0 and at most {MAX_SNAP_M}")));
        }
        if barriers.len() > MAX_BARRIERS {
            return Err(Error::invalid("barriers", format!("has {} areas; at most {MAX_BARRIERS}", barriers.len())));
        }
        let mut size = GeometrySize::default();
        for (i, barrier) in barriers.iter().enumerate() {
            size.add(&format!("barriers[{i}]"), barrier)?;
        }
        let mut restrictions =
            Restrictions { hazmat, closed: closed_roads.iter().copied().collect(), barriers: Vec::new() };
        for (i, barrier) in barriers.iter().enumerate() {
            match check_geometry(GeometryRule::MultiPolygon, Some(barrier)) {
                Ok(Some(Geometry::MultiPolygon(area))) => restrictions.barriers.push(area),
                Ok(_) => return Err(Error::invalid(&format!("barriers[{i}]"), "must be a Polygon or MultiPolygon")),
                Err(e) => return Err(Error::invalid(&format!("barriers[{i}]"), e.detail)),
            }
        }
        if let Some(id) = closed_roads.iter().find(|&&id| graph.edge_of_route(id).is_none()) {
            return Err(Error::invalid("closed_roads", format!("road {id} is not in the road network")));
        }
        Ok(Self { restrictions, max_snap_m, cutoff_s })
    }
}

/// A point given as [longitude, latitude] in member `point`, checked.
pub fn parse_point(at: [f64; 2]) -> Result<Coord<f64>, Error> {
    parse_point_of("point", at)
}

/// A point given as [longitude, latitude] in member `field`, checked.
pub fn parse_point_of(field: &str, [lon, lat]: [f64; 2]) -> Result<Coord<f64>, Error> {
    if !(lon.is_finite() && lat.is_finite() && (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat)) {
        return Err(Error::invalid(field, "must be [longitude, latitude] in degrees within [-180, 180] × [-90, 90]"));
    }
    Ok(Coord { x: lon, y: lat })
}
