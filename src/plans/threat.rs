//! What a scenario threatens, computed by the models onemap answers with everywhere: for an air
//! scenario the plume's threat zones in the stated weather and in the worst case (stability F,
//! 1.5 m/s, the same direction); for a water scenario the river downstream of the source within
//! its hours, with the receptors it reaches. The same input to `POST /api/air/plume` or
//! `GET /api/rivers/downstream` gives the same answer.

use std::sync::Arc;

use serde::Serialize;
use sqlx::PgPool;

use super::scenario::Scenario;
use crate::air::asked::{Asked, MAX_RATE_G_S};
use crate::air::threat::{Zones, zones};
use crate::error::Error;
use crate::risk::trace::Way;
use crate::risk::traced::{Trace, Traced, follow};
use crate::routing::RoadGraph;

/// The worst case's wind, m/s, and stability (HJ 169-2018's worst weather for a risk's reach).
pub const WORST_WIND_MS: f64 = 1.5;
/// The worst case's stability class.
pub const WORST_STABILITY: &str = "F";
/// How far from a river the source may lie for a water scenario to be traced, m.
pub const RIVER_SNAP_M: f64 = 2_000.0;
/// How near a reach a receptor counts as reached, m.
pub const NEAR_M: f64 = 1_000.0;

/// What a scenario threatens.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ScenarioThreat {
    /// The scenario.
    pub scenario_id: i64,
    /// air, water or soil.
    pub medium: String,
    /// Where the release is: the source's point (a point on its surface for an area).
    pub at: [f64; 2],
    /// The release rate, g/s.
    pub release_g_s: f64,
    /// Air: the zones in the stated weather.
    pub stated: Option<Zones>,
    /// Air: the zones in the worst case.
    pub worst_case: Option<Zones>,
    /// Water: the river downstream, with the receptors it reaches.
    pub trace: Option<Trace>,
    /// Why nothing was computed (soil; a source far from any river).
    pub note: Option<String>,
}

impl ScenarioThreat {
    /// The receptors threatened (ids), in any zone or on the trace.
    pub fn receptors(&self) -> Vec<i64> {
        let mut ids: Vec<i64> = [&self.stated, &self.worst_case]
            .into_iter()
            .flatten()
            .flat_map(|z| z.features.iter().flat_map(|f| f.properties.receptors.iter().map(|r| r.id)))
            .collect();
        if let Some(trace) = &self.trace {
            ids.extend(trace.receptors.iter().flatten().map(|m| m.id));
        }
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

/// The plume request of an air scenario at `at`, in `weather` or the worst case.
pub fn asked(scenario: &Scenario, at: [f64; 2], worst: bool) -> Asked {
    let weather = scenario.weather.as_ref().map(|w| w.0.clone());
    let (wind_ms, stability) = match (&weather, worst) {
        (Some(w), false) => (w.wind_ms, w.stability.clone()),
        _ => (WORST_WIND_MS, WORST_STABILITY.to_string()),
    };
    Asked {
        point: at,
        release_g_s: scenario.rate_g_s(),
        wind_from_deg: weather.map_or(0.0, |w| w.wind_from_deg),
        wind_ms,
        stability: Some(stability),
        substance: Some(scenario.cas.clone().unwrap_or_else(|| scenario.substance.clone())),
        minutes: Some(scenario.minutes),
        ..Asked::default()
    }
}

/// Where scenario's source is: its point, or a point on its surface.
pub async fn source_point(pool: &PgPool, source: i64) -> Result<[f64; 2], Error> {
    let (x, y): (f64, f64) = sqlx::query_as(
        "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM risk_source WHERE id = $1) s",
    )
    .bind(source)
    .fetch_optional(pool)
    .await?
    .ok_or(Error::NotFound { layer: "risk_source", id: source })?;
    Ok([x, y])
}

/// What `scenario` threatens today.
pub async fn of(pool: &PgPool, rivers: Arc<RoadGraph>, scenario: &Scenario) -> Result<ScenarioThreat, Error> {
    let at = source_point(pool, scenario.risk_source_id).await?;
    let mut threat = ScenarioThreat {
        scenario_id: scenario.id,
        medium: scenario.medium.clone(),
        at,
        release_g_s: scenario.rate_g_s(),
        stated: None,
        worst_case: None,
        trace: None,
        note: None,
    };
    match scenario.medium.as_str() {
        "air" if threat.release_g_s > MAX_RATE_G_S => {
            threat.note = Some(format!("a release of {:.0} g/s is beyond the plume model", threat.release_g_s));
        }
        "air" => {
            threat.stated = Some(zones(pool, &asked(scenario, at, false).request()?).await?);
            threat.worst_case = Some(zones(pool, &asked(scenario, at, true).request()?).await?);
        }
        "water" => {
            let hours = scenario.hours.unwrap_or(24.0);
            let point = geo::Coord { x: at[0], y: at[1] };
            match follow(pool, rivers, point, hours, Way::Downstream, RIVER_SNAP_M, NEAR_M).await? {
                Traced::On(trace) => threat.trace = Some(*trace),
                Traced::Off { nearest_m } => {
                    threat.note = Some(format!(
                        "no river within {RIVER_SNAP_M} m of the source{}: nothing to trace",
                        nearest_m.map(|m| format!(" (the nearest is {m:.0} m away)")).unwrap_or_default()
                    ));
                }
            }
        }
        _ => {
            threat.note =
                Some("onemap has no model of a spill into soil: the measures and resources stand alone".into())
        }
    }
    Ok(threat)
}
