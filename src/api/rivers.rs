//! `GET /api/rivers/downstream` and `/api/rivers/upstream`: a spill traced along the rivers, with
//! the receptors it reaches (intakes first) or the risk sources it could have come from.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use geo::Coord;
use serde::Deserialize;
use serde_json::json;

use super::AppState;
use super::doc::Doc;
use super::extract::Query;
use super::nearest::{invalid, within as bounded};
use super::problem::Problem;
use super::routes::Routes;
use crate::auth::Action;
use crate::risk::interception::{Interception, Need, Request, plan};
use crate::risk::trace::Way;
use crate::risk::traced::{Trace, Traced, follow};

/// Longest trace, hours (a week of flow crosses any province).
const MAX_HOURS: f64 = 168.0;
const DEFAULT_SNAP_M: f64 = 2_000.0;
const MAX_SNAP_M: f64 = 20_000.0;
const DEFAULT_NEAR_M: f64 = 1_000.0;
const MAX_NEAR_M: f64 = 10_000.0;

/// Routes of the traces and the interception plan.
pub fn router() -> Routes {
    Routes::new()
        .get("/api/rivers/{way}", Action::Read, handle)
        .doc(
            Doc::new(
                "a spill traced along the rivers, with the receptors (downstream) or risk sources (upstream) it meets",
            )
            .query_as("lon", json!({"type": "number"}), "longitude")
            .query_as("lat", json!({"type": "number"}), "latitude")
            .query_as("hours", json!({"type": "number", "exclusiveMinimum": 0}), "how long")
            .query_as("max_snap_m", json!({"type": "number"}), "farthest from a river")
            .query_as("near_m", json!({"type": "number"}), "how near a receptor counts")
            .geojson_of::<Trace>(200, "reaches with arrival hours; receptors or sources met"),
        )
        .post("/api/rivers/interception", Action::Read, intercept)
        .doc(
            Doc::new("where to stop a river spill: interception sites downstream with road arrivals and margins")
                .body_of::<InterceptRequest>()
                .answer_of::<Interception>(
                    200,
                    "sites in order with pollutant arrival, help's arrival, margin, recommended",
                ),
        )
}

/// Longest set-up at a site, minutes.
const MAX_SETUP_MIN: f64 = 1440.0;
/// Largest river flow, m³/s (the Yangtze's greatest floods pass 100,000).
const MAX_FLOW_M3_S: f64 = 200_000.0;

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = InterceptSend)]
struct Send {
    specialty: Option<String>,
    item: Option<String>,
    quantity: Option<f64>,
    unit: Option<String>,
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
struct InterceptRequest {
    point: [f64; 2],
    spilled_at: Option<String>,
    pollutant: Option<String>,
    hours: Option<f64>,
    send: Send,
    setup_minutes: Option<f64>,
    near_m: Option<f64>,
    /// The river's flow at the sites, m³/s: checks whether a site's emergency space fills
    /// before the release has passed.
    flow_m3_s: Option<f64>,
    /// How long the release lasts, minutes (default 60).
    release_minutes: Option<f64>,
    /// A river or water-source plan: its sites come first.
    plan_id: Option<i64>,
    #[serde(flatten)]
    roads: crate::routing::request::RoadOptions,
}

async fn intercept(
    State(state): State<AppState>,
    super::extract::Body(r): super::extract::Body<InterceptRequest>,
) -> Result<Response, Problem> {
    let at = crate::routing::request::parse_point(r.point)?;
    let now = chrono::Utc::now();
    let spilled_at = match &r.spilled_at {
        None => now,
        Some(t) => {
            let t = chrono::DateTime::parse_from_rfc3339(t)
                .map_err(|_| invalid("spilled_at", format!("`{t}` is not an RFC 3339 time")))?
                .to_utc();
            if t > now + chrono::Duration::minutes(5) {
                return Err(invalid("spilled_at", format!("{t} is in the future")));
            }
            if now - t > chrono::Duration::hours(MAX_HOURS as i64) {
                return Err(invalid("spilled_at", format!("{t} is more than {MAX_HOURS} hours ago")));
            }
            t
        }
    };
    let hours = bounded("hours", r.hours.unwrap_or(24.0), 0.0, MAX_HOURS, true)?;
    let setup = bounded("setup_minutes", r.setup_minutes.unwrap_or(30.0), 0.0, MAX_SETUP_MIN, false)?;
    let near = bounded("near_m", r.near_m.unwrap_or(500.0), 0.0, MAX_NEAR_M, true)?;
    let need = match (r.send.specialty, r.send.item) {
        (Some(s), None) => {
            if !crate::layers::spec::SPECIALTIES.contains(&s.as_str()) {
                return Err(invalid(
                    "send.specialty",
                    format!("`{s}` is not a specialty; use {}", crate::layers::spec::SPECIALTIES.join(", ")),
                ));
            }
            Need::Team { specialty: s }
        }
        (None, Some(item)) => {
            let quantity = bounded(
                "send.quantity",
                r.send.quantity.ok_or_else(|| invalid("send.quantity", "is required with an item"))?,
                0.0,
                1e9,
                true,
            )?;
            Need::Stock { item, quantity, unit: r.send.unit }
        }
        _ => return Err(invalid("send", "give a team `specialty`, or an `item` with a `quantity`")),
    };
    let roads = state.roads.load_full();
    let rules = r.roads.rules(&roads, &state.pool).await?;
    let flow_m3_s = r.flow_m3_s.map(|q| bounded("flow_m3_s", q, 0.0, MAX_FLOW_M3_S, true)).transpose()?;
    let release_minutes = bounded("release_minutes", r.release_minutes.unwrap_or(60.0), 0.0, MAX_HOURS * 60.0, true)?;
    if let Some(plan) = r.plan_id {
        let known: Option<i64> =
            sqlx::query_scalar("SELECT id FROM plan WHERE id = $1").bind(plan).fetch_optional(&state.pool).await?;
        known.ok_or_else(|| invalid("plan_id", format!("there is no plan {plan}")))?;
    }
    let request = Request {
        at,
        spilled_at,
        hours,
        need,
        setup_minutes: setup,
        near_m: near,
        snap_m: DEFAULT_SNAP_M,
        flow_m3_s,
        release_minutes,
        plan: r.plan_id,
    };
    let mut answer = plan(&state.pool, state.rivers.load_full(), roads, rules, &request).await?;
    answer.pollutant = r.pollutant;
    Ok(axum::Json(answer).into_response())
}

/// The query string of a trace.
#[derive(Debug, Deserialize)]
struct Params {
    lon: Option<f64>,
    lat: Option<f64>,
    hours: Option<f64>,
    max_snap_m: Option<f64>,
    near_m: Option<f64>,
}

fn required(name: &str, value: Option<f64>) -> Result<f64, Problem> {
    value.ok_or_else(|| Problem::bad_request(name, "is required"))
}

fn within(name: &str, value: f64, max: f64) -> Result<f64, Problem> {
    if value > 0.0 && value <= max {
        Ok(value)
    } else {
        Err(Problem::bad_request(name, format!("{value} must be more than 0 and at most {max}")))
    }
}

async fn handle(
    State(state): State<AppState>,
    Path(way): Path<String>,
    Query(params): Query<Params>,
) -> Result<Response, Problem> {
    let way = match way.as_str() {
        "downstream" => Way::Downstream,
        "upstream" => Way::Upstream,
        _ => {
            return Err(Problem::new(
                StatusCode::NOT_FOUND,
                "not found",
                "use /api/rivers/downstream or /api/rivers/upstream",
            ));
        }
    };
    let (lon, lat) = (required("lon", params.lon)?, required("lat", params.lat)?);
    if !((-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat)) {
        return Err(Problem::bad_request("lon", "lon must be in [-180, 180] and lat in [-90, 90]"));
    }
    let hours = within("hours", required("hours", params.hours)?, MAX_HOURS)?;
    let max_snap = within("max_snap_m", params.max_snap_m.unwrap_or(DEFAULT_SNAP_M), MAX_SNAP_M)?;
    let near = within("near_m", params.near_m.unwrap_or(DEFAULT_NEAR_M), MAX_NEAR_M)?;

    let point = Coord { x: lon, y: lat };
    match follow(&state.pool, state.rivers.load_full(), point, hours, way, max_snap, near).await? {
        Traced::On(trace) => Ok(axum::Json(trace).into_response()),
        Traced::Off { nearest_m } => Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "off the river network",
            format!(
                "no river within {max_snap} m of the point{}",
                nearest_m.map(|m| format!("; the nearest river is {m:.0} m away")).unwrap_or_default()
            ),
        )),
    }
}
