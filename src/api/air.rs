//! `POST /api/air/plume`: the threat zones of a continuous toxic gas release.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::AppState;
use super::body::JsonBody;
use super::doc::Doc;
use super::nearest::{invalid, within};
use super::problem::Problem;
use super::routes::Routes;
use crate::air::endpoints;
use crate::air::plume::{Release, Stability, Terrain};
use crate::air::stability::{Insolation, Sky, pasquill};
use crate::air::threat::{Request, Substance, Zones, zones};
use crate::auth::Action;
use crate::routing::request::parse_point;

/// Largest release rate accepted, g/s (10 t/s: a vessel emptying at once).
const MAX_RATE_G_S: f64 = 1.0e7;
/// Highest effective release height, m.
const MAX_HEIGHT_M: f64 = 500.0;
/// Strongest wind, m/s (the plume model means little beyond).
const MAX_WIND_MS: f64 = 50.0;
/// Longest release, minutes.
const MAX_MINUTES: f64 = 1440.0;
/// Most thresholds in one request.
const MAX_THRESHOLDS: usize = 5;

/// Route of the plume.
pub fn router() -> Routes {
    Routes::new().post("/api/air/plume", Action::Read, plume).doc(
        Doc::new("the threat zones of a toxic gas release (Gaussian plume), with the receptors and people inside")
            .body_of::<PlumeRequest>()
            .geojson_of::<Zones>(200, "the zones, widest (lowest threshold) first"),
    )
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct PlumeRequest {
    point: [f64; 2],
    release_g_s: f64,
    #[serde(default)]
    height_m: f64,
    wind_from_deg: f64,
    wind_ms: f64,
    stability: Option<String>,
    day: Option<bool>,
    insolation: Option<String>,
    cloud_octas: Option<u8>,
    #[serde(default)]
    overcast: bool,
    terrain: Option<String>,
    thresholds_mg_m3: Option<Vec<f64>>,
    substance: Option<String>,
    minutes: Option<f64>,
}

/// The stability class given, or Pasquill's from the sky: (class, how it was had).
fn stability(r: &PlumeRequest) -> Result<(Stability, &'static str), Problem> {
    if let Some(letter) = &r.stability {
        let class = Stability::parse(letter).ok_or_else(|| {
            invalid("stability", format!("`{letter}` is not a stability class; use A, B, C, D, E or F"))
        })?;
        return Ok((class, "given"));
    }
    let sky = if r.overcast {
        Sky::Overcast
    } else {
        match r.day {
            Some(true) => Sky::Day(match r.insolation.as_deref() {
                Some("strong") => Insolation::Strong,
                Some("moderate") => Insolation::Moderate,
                Some("slight") => Insolation::Slight,
                Some(other) => {
                    return Err(invalid("insolation", format!("`{other}` is not strong, moderate or slight")));
                }
                None => return Err(invalid("insolation", "by day, give the sunshine: strong, moderate or slight")),
            }),
            Some(false) => match r.cloud_octas {
                Some(octas) if octas <= 8 => Sky::Night { cloud_octas: octas },
                Some(octas) => return Err(invalid("cloud_octas", format!("{octas} eighths: at most 8"))),
                None => return Err(invalid("cloud_octas", "by night, give the low cloud cover in eighths (0–8)")),
            },
            None => {
                return Err(invalid(
                    "stability",
                    "give a stability class (A–F), or day (true or false) with insolation or cloud_octas, or overcast",
                ));
            }
        }
    };
    Ok((pasquill(r.wind_ms, sky), "pasquill"))
}

async fn plume(State(state): State<AppState>, JsonBody(body): JsonBody) -> Result<Response, Problem> {
    Ok(axum::Json(threat_zones(&state, body).await?).into_response())
}

/// The threat zones of the plume request `body` (checked here), with how they were had.
pub async fn threat_zones(state: &AppState, body: serde_json::Value) -> Result<Zones, Problem> {
    let r: PlumeRequest = super::extract::read(body)?;
    let at = parse_point(r.point)?;
    let rate = within("release_g_s", r.release_g_s, 0.0, MAX_RATE_G_S, true)?;
    let height = within("height_m", r.height_m, 0.0, MAX_HEIGHT_M, false)?;
    let wind = within("wind_ms", r.wind_ms, 0.0, MAX_WIND_MS, true)?;
    let wind_from = within("wind_from_deg", r.wind_from_deg, 0.0, 360.0, false)?;
    let minutes = within("minutes", r.minutes.unwrap_or(60.0), 0.0, MAX_MINUTES, true)?;
    let terrain = match r.terrain.as_deref() {
        None | Some("rural") => Terrain::Rural,
        Some("urban") => Terrain::Urban,
        Some(other) => return Err(invalid("terrain", format!("`{other}` is not rural or urban"))),
    };
    let (class, class_from) = stability(&r)?;
    let (thresholds, substance) = match (&r.thresholds_mg_m3, &r.substance) {
        (Some(_), Some(_)) => return Err(invalid("substance", "give thresholds_mg_m3 or a substance, not both")),
        (Some(t), None) => {
            if t.is_empty() || t.len() > MAX_THRESHOLDS {
                return Err(invalid("thresholds_mg_m3", format!("give 1 to {MAX_THRESHOLDS} thresholds")));
            }
            for (i, v) in t.iter().enumerate() {
                if !(v.is_finite() && *v > 0.0) {
                    return Err(invalid("thresholds_mg_m3", format!("threshold {i} ({v}) must be more than 0 mg/m³")));
                }
            }
            (t.clone(), None)
        }
        (None, Some(name)) => {
            let known = endpoints::find(name).ok_or_else(|| {
                let names: Vec<&str> = endpoints::ENDPOINTS.iter().map(|e| e.name).collect();
                invalid("substance", format!("no end-points for `{name}`; known: {}", names.join(", ")))
            })?;
            let [one, two] = known.mg_m3();
            (
                vec![one, two],
                Some(Substance {
                    name: known.name,
                    cas: known.cas,
                    endpoints_mg_m3: [one, two],
                    source: known.source(),
                }),
            )
        }
        (None, None) => return Err(invalid("thresholds_mg_m3", "give thresholds_mg_m3 or a substance")),
    };
    let request = Request {
        at,
        release: Release { rate_g_s: rate, height_m: height, wind_ms: wind, stability: class, terrain },
        wind_from_deg: wind_from,
        minutes,
        thresholds,
        stability_from: class_from,
        substance,
    };
    Ok(zones(&state.pool, &request).await?)
}
