//! Warnings: `POST /api/warnings` (a draft), `GET|PATCH /api/warnings/{id}` (`{id}.cap`: the
//! CAP message), `POST …/issue`, `…/update`, `…/cancel`, the recipients and their ticks, and
//! `GET /api/warnings.atom`. The area is a GeoJSON polygon, or made `from` a river trace or a
//! plume request.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use geo::Coord;
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use super::acting::Acting;
use super::doc::Doc;
use super::extract::{Body, Id, PathOf, Query};
use super::nearest::{invalid, within};
use super::problem::Problem;
use super::routes::Routes;
use crate::auth::Action;
use crate::layers::spec::GeometryRule;
use crate::layers::validate::check_geometry;
use crate::risk::trace::{Way, corridor, trace};
use crate::warning::cap;
use crate::warning::lifecycle::{self, Draft, MAX_VERTICES, WarningFields};
use crate::warning::record::{self, Recipient, Recipients, Warning, Warnings};

/// Furthest a trace's area reaches either side of the river, m.
const MAX_BUFFER_M: f64 = 10_000.0;
/// Longest trace for an area, hours.
const MAX_TRACE_HOURS: f64 = 168.0;
/// Furthest a spill may lie from a river, m.
const RIVER_SNAP_M: f64 = 2_000.0;

/// Routes of the warnings.
pub fn router() -> Routes {
    Routes::new()
        .get("/api/warnings", Action::Read, list)
        .doc(
            Doc::new("warnings")
                .query_as("in_force", json!({"type": "boolean"}), "only those in force")
                .query_as("incident_id", json!({"type": "integer"}), "of one incident")
                .answer_of::<Warnings>(200, "the warnings, newest first"),
        )
        .post("/api/warnings", Action::HandleIncidents, create)
        .doc(
            Doc::new("draft a warning: an area drawn, from a trace or from a plume")
                .body_of::<WarningFields>()
                .answer_of::<Warning>(201, "drafted"),
        )
        .get("/api/warnings.atom", Action::Read, atom)
        .doc(Doc::new("the warnings in force as an Atom feed").answer_as(
            200,
            "application/atom+xml",
            json!({"type": "string"}),
            "the feed",
        ))
        .get("/api/warnings/{id}", Action::Read, show)
        .doc(Doc::new("one warning (`{id}.cap`: as CAP 1.2 XML)").answer_of::<Warning>(200, "the warning"))
        .patch("/api/warnings/{id}", Action::HandleIncidents, edit)
        .doc(Doc::new("change a draft").body_of::<WarningFields>().answer_of::<Warning>(200, "changed"))
        .post("/api/warnings/{id}/issue", Action::HandleIncidents, issue)
        .doc(
            Doc::new("issue a draft (a dispatcher of a district covering the area)")
                .answer_of::<Warning>(200, "issued"),
        )
        .post("/api/warnings/{id}/update", Action::HandleIncidents, update)
        .doc(
            Doc::new("update an issued warning: a new version")
                .body_of::<WarningFields>()
                .answer_of::<Warning>(201, "the new version"),
        )
        .post("/api/warnings/{id}/cancel", Action::HandleIncidents, cancel)
        .doc(Doc::new("cancel an issued warning").answer_of::<Warning>(200, "cancelled"))
        .get("/api/warnings/{id}/recipients", Action::Read, recipients)
        .doc(
            Doc::new("who is to be told: receptors and duty units in the area")
                .answer_of::<Recipients>(200, "the recipients"),
        )
        .patch("/api/warnings/{id}/recipients/{recipient}", Action::HandleIncidents, tick)
        .doc(Doc::new("tick a recipient as notified").body_of::<Tick>().answer_of::<Recipient>(200, "ticked"))
}

fn count_vertices(value: &Value) -> usize {
    match value {
        Value::Array(items) if items.first().is_some_and(Value::is_number) => 1,
        Value::Array(items) => items.iter().map(count_vertices).sum(),
        _ => 0,
    }
}

/// The area of a request: `area` (a GeoJSON Polygon or MultiPolygon) or `from` a trace
/// (`{"trace": {"lon", "lat", "hours", "buffer_m"}}`) or a plume (`{"plume": {…}}`: its widest
/// zone). GeoJSON geometry text, or None when neither is given.
async fn area(state: &AppState, asked: &WarningFields) -> Result<Option<String>, Problem> {
    match (&asked.area, &asked.from) {
        (Some(_), Some(_)) => Err(invalid("from", "give area or from, not both")),
        (Some(a), None) => {
            if count_vertices(&a["coordinates"]) > MAX_VERTICES {
                return Err(invalid("area", format!("has more than {MAX_VERTICES} vertices")));
            }
            let geometry = check_geometry(GeometryRule::MultiPolygon, Some(a))
                .map_err(|e| invalid("area", e.detail))?
                .expect("a polygon rule gives a geometry");
            Ok(Some(geojson::Geometry::from(&geometry).to_string()))
        }
        (None, Some(from)) => {
            if let Some(t) = from.get("trace") {
                return traced(state, t).await.map(Some);
            }
            if let Some(p) = from.get("plume") {
                let zones = super::air::threat_zones(state, p.clone()).await?;
                let widest = zones.features.iter().find(|f| !f.geometry.is_null());
                return match widest {
                    Some(f) => Ok(Some(f.geometry.to_string())),
                    None => Err(invalid("from", "the plume reaches none of its thresholds: there is no area to warn")),
                };
            }
            Err(invalid("from", "give {\"trace\": {lon, lat, hours, buffer_m}} or {\"plume\": {…}}"))
        }
        (None, None) => Ok(None),
    }
}

/// The river downstream of a spill within `hours`, widened by `buffer_m` either side.
async fn traced(state: &AppState, t: &Value) -> Result<String, Problem> {
    let number = |k: &str, default: Option<f64>| -> Result<f64, Problem> {
        match t.get(k) {
            Some(v) => v
                .as_f64()
                .filter(|n| n.is_finite())
                .ok_or_else(|| invalid(&format!("from.trace.{k}"), "must be a number")),
            None => default.ok_or_else(|| invalid(&format!("from.trace.{k}"), "is required")),
        }
    };
    let at = crate::routing::request::parse_point([number("lon", None)?, number("lat", None)?])?;
    let hours = number("hours", Some(24.0))?;
    let buffer = number("buffer_m", Some(1000.0))?;
    let hours = within("from.trace.hours", hours, 0.0, MAX_TRACE_HOURS, true)?;
    let buffer = within("from.trace.buffer_m", buffer, 0.0, MAX_BUFFER_M, true)?;
    let rivers = state.rivers.load_full();
    let Some(start) = rivers.snap(Coord { x: at.x, y: at.y }, RIVER_SNAP_M, &|_| true) else {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "off the river network",
            format!("no river within {RIVER_SNAP_M} m of the spill: there is nothing to trace"),
        ));
    };
    let reaches = crate::work::run("river trace", move || trace(&rivers, &start, hours, Way::Downstream)).await?;
    match corridor(&state.pool, &reaches, buffer).await? {
        Some(area) => Ok(area),
        None => Err(invalid("from", "the trace reaches no river downstream")),
    }
}

async fn draft_of(state: &AppState, mut asked: WarningFields) -> Result<Draft, Problem> {
    let area = area(state, &asked).await?;
    (asked.area, asked.from) = (None, None);
    Ok(Draft::read(asked, area)?)
}

/// The query string of the warnings' list.
#[derive(Debug, Deserialize)]
struct ListParams {
    in_force: Option<bool>,
    incident_id: Option<Id>,
}

async fn list(State(state): State<AppState>, Query(params): Query<ListParams>) -> Result<Response, Problem> {
    let in_force = params.in_force.unwrap_or(false);
    let features = record::list(&state.pool, in_force, params.incident_id.map(|i| i.0)).await?;
    Ok(axum::Json(Warnings::from(features)).into_response())
}

async fn create(
    State(state): State<AppState>,
    Acting(actor): Acting,
    Body(asked): Body<WarningFields>,
) -> Result<Response, Problem> {
    let draft = draft_of(&state, asked).await?;
    let warning = lifecycle::create(&state.pool, &actor, draft).await?;
    Ok((StatusCode::CREATED, axum::Json(warning)).into_response())
}

async fn show(State(state): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> Result<Response, Problem> {
    // `{id}` or `{id}.cap`.
    let (id, as_cap) = match id.strip_suffix(".cap") {
        Some(n) => (Id::parse("id", n)?, true),
        None => (
            Id::parse("id", &id)?,
            headers.get(header::ACCEPT).is_some_and(|a| a.as_bytes().starts_with(b"application/cap+xml")),
        ),
    };
    let mut conn = state.pool.acquire().await?;
    let warning = record::show(&mut conn, id).await?;
    drop(conn);
    if as_cap {
        let xml = cap::alert(&state.pool, &warning).await?.document()?;
        return Ok(([(header::CONTENT_TYPE, "application/cap+xml; charset=utf-8")], xml).into_response());
    }
    Ok(axum::Json(warning).into_response())
}

async fn atom(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, Problem> {
    let in_force = record::list(&state.pool, true, None).await?;
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let xml = cap::atom(&state.pool, &in_force, &format!("http://{host}")).await?;
    Ok(([(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")], xml).into_response())
}

async fn edit(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf(Id(id)): PathOf<Id>,
    Body(asked): Body<WarningFields>,
) -> Result<Response, Problem> {
    let changes = draft_of(&state, asked).await?;
    Ok(axum::Json(lifecycle::edit(&state.pool, &actor, id, changes).await?).into_response())
}

async fn issue(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf(Id(id)): PathOf<Id>,
) -> Result<Response, Problem> {
    Ok(axum::Json(lifecycle::issue(&state.pool, &actor, id).await?).into_response())
}

async fn update(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf(Id(id)): PathOf<Id>,
    Body(asked): Body<WarningFields>,
) -> Result<Response, Problem> {
    let changes = draft_of(&state, asked).await?;
    let warning = lifecycle::update(&state.pool, &actor, id, changes).await?;
    Ok((StatusCode::CREATED, axum::Json(warning)).into_response())
}

async fn cancel(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf(Id(id)): PathOf<Id>,
) -> Result<Response, Problem> {
    Ok(axum::Json(lifecycle::cancel(&state.pool, &actor, id).await?).into_response())
}

async fn recipients(State(state): State<AppState>, PathOf(Id(id)): PathOf<Id>) -> Result<Response, Problem> {
    Ok(axum::Json(record::recipients(&state.pool, id).await?).into_response())
}

/// A recipient ticked as told, or not.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Tick {
    /// Told (true) or not yet (false).
    notified: bool,
}

async fn tick(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf((Id(id), Id(recipient))): PathOf<(Id, Id)>,
    Body(Tick { notified }): Body<Tick>,
) -> Result<Response, Problem> {
    Ok(axum::Json(lifecycle::notified(&state.pool, &actor, id, recipient, notified).await?).into_response())
}
