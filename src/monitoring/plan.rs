//! Emergency monitoring (应急监测) of a river incident: where to sample and how often — a
//! control point upstream, the incident, sections downstream at the trace's arrival hours,
//! each intake the pollution reaches — denser around the predicted arrival, sampled by the
//! nearest monitoring team; what each point should measure over time by the
//! advection–dispersion model ([`super::dispersion`]); edited while a draft, then issued as
//! orders with a SensorThings sampling point (a Thing) each, whose readings are set against
//! the prediction, and a point back within its standard for [`BACK_AFTER`] samples after the
//! peak proposes lifting the warning.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use geo::Coord;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::PgPool;

use super::Refused;
use super::dispersion::{self, Channel};
use crate::auth::{Actor, begin_as};
use crate::error::Error;
use crate::risk::trace::{Reach, Way, near_reaches, trace};
use crate::routing::RoadGraph;
use crate::sensing::model::Set;
use crate::standards::water;

/// Longest horizon of a plan, hours.
pub const MAX_HOURS: f64 = 72.0;
/// Most sampling points in a plan.
pub const MAX_POINTS: usize = 40;
/// Most samples at one point.
pub const MAX_SAMPLES: usize = 200;
/// Samples in a row within the standard, after the peak, that propose lifting a warning.
pub const BACK_AFTER: usize = 3;
/// Sections downstream, at these hours of flow.
const SECTION_HOURS: [f64; 5] = [1.0, 3.0, 6.0, 12.0, 24.0];
/// How far from a river an incident may be for a river plan, metres.
const SNAP_M: f64 = 2_000.0;

/// What to plan for.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = MonitoringPlanBody)]
pub struct PlanBody {
    /// The item measured and predicted (a GB 3838 item code: COD, NH3-N …; default COD).
    pub item: Option<String>,
    /// Hours ahead (1–72, default 24).
    pub hours: Option<f64>,
    /// The mass released, kg (for the prediction; none: no prediction).
    pub mass_kg: Option<f64>,
    /// Over how long it was released, minutes (default 0: at once).
    pub release_minutes: Option<f64>,
    /// First-order decay, per day (default 0).
    pub decay_per_day: Option<f64>,
    /// For a release to the air: the plume request (its point is the incident's), whose zones
    /// and receptors the points follow instead of a river.
    pub air: Option<crate::air::asked::Asked>,
}

/// How often a point is sampled in a span.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SamplingFrequency)]
pub struct Frequency {
    /// From.
    pub from: DateTime<Utc>,
    /// To.
    pub to: DateTime<Utc>,
    /// Every so many minutes (15–1440).
    pub every_minutes: i64,
}

/// One sampling point.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SamplingPoint)]
pub struct Point {
    /// control (upstream), incident, section (downstream) or intake.
    pub kind: String,
    /// Its name.
    pub name: String,
    /// [longitude, latitude].
    pub point: [f64; 2],
    /// Hours of flow from the incident (negative upstream).
    pub hours: f64,
    /// Metres along the river from the incident (negative upstream).
    pub metres: f64,
    /// When to sample.
    pub frequency: Vec<Frequency>,
    /// Who samples: a team's id and name.
    pub team: Option<(i64, String)>,
    /// The predicted concentration at each sample time, mg/L.
    #[serde(default)]
    pub predicted: Vec<(DateTime<Utc>, f64)>,
    /// Its SensorThings Thing, once the plan is issued.
    #[serde(default)]
    pub thing_id: Option<i64>,
    /// Its Datastream of the item, once issued.
    #[serde(default)]
    pub datastream_id: Option<i64>,
}

/// A monitoring plan.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = MonitoringPlan)]
pub struct Plan {
    /// The incident.
    pub incident_id: i64,
    /// draft or issued.
    pub status: String,
    /// The item.
    pub item: String,
    /// Its unit.
    pub unit: String,
    /// The limit the readings are held to: class Ⅲ of the item in a river, the lowest
    /// threshold (toxic end-point) in the air.
    pub limit: f64,
    /// When the release began (the incident's time).
    pub released_at: DateTime<Utc>,
    /// The mass released, kg.
    pub mass_kg: Option<f64>,
    /// The river and what the model assumes of it.
    #[schema(value_type = Object)]
    pub channel: Channel,
    /// The points.
    pub points: Vec<Point>,
    /// Readings set against the prediction, per point, once issued.
    pub measured: Vec<Measured>,
    /// Whether every section sampled after its peak is back within the limit.
    pub propose_lifting: bool,
}

/// The readings of one point.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = SamplingReadings)]
pub struct Measured {
    /// The point's name.
    pub name: String,
    /// Its readings (time, value), in time order.
    pub values: Vec<(DateTime<Utc>, f64)>,
    /// Whether its last readings after the peak are within the limit.
    pub back_within: bool,
}

/// The times of `frequency`, in order, at most [`MAX_SAMPLES`].
pub fn samples(frequency: &[Frequency]) -> Vec<DateTime<Utc>> {
    let mut out = Vec::new();
    for f in frequency {
        let mut t = f.from;
        while t <= f.to && out.len() < MAX_SAMPLES {
            out.push(t);
            t += Duration::minutes(f.every_minutes.max(15));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// How often to sample a point the pollution reaches at `arrival`: every 2 hours before,
/// every 30 minutes from 2 hours before to 4 hours after, every 2 hours after that to the end.
fn schedule(now: DateTime<Utc>, arrival: DateTime<Utc>, end: DateTime<Utc>) -> Vec<Frequency> {
    let spans = [
        (now, arrival - Duration::hours(2), 120),
        (arrival - Duration::hours(2), arrival + Duration::hours(4), 30),
        (arrival + Duration::hours(4), end, 120),
    ];
    spans
        .into_iter()
        .filter_map(|(from, to, every)| {
            let (from, to) = (from.max(now), to.min(end));
            (from < to).then_some(Frequency { from, to, every_minutes: every })
        })
        .collect()
}

/// The place `h` hours of flow down (or up) the traced reaches, and its metres along.
fn at_hours(reaches: &[Reach], h: f64) -> Option<(Coord<f64>, f64)> {
    for r in reaches {
        for i in 1..r.hours.len() {
            let (a, b) = (r.hours[i - 1], r.hours[i]);
            if (a..=b).contains(&h) && b > a {
                let f = (h - a) / (b - a);
                let (p, q) = (r.line.0[i - 1], r.line.0[i]);
                let m = r.metres[i - 1] + f * (r.metres[i] - r.metres[i - 1]);
                return Some((Coord { x: p.x + f * (q.x - p.x), y: p.y + f * (q.y - p.y) }, m));
            }
        }
    }
    None
}

/// An incident as the plan reads it: where, when it occurred (or was discovered, or recorded),
/// its status, its name.
type IncidentRow = (f64, f64, Option<DateTime<Utc>>, DateTime<Utc>, String, String);

async fn incident(pool: &PgPool, id: i64) -> Result<(Coord<f64>, DateTime<Utc>, String, String), Error> {
    let row: Option<IncidentRow> = sqlx::query_as(
        "SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)), coalesce(occurred_at, discovered_at), \
                created_at, status, name FROM incident WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?;
    let (x, y, at, created, status, name) = row.ok_or(Error::NotFound { layer: "incident", id })?;
    Ok((Coord { x, y }, at.unwrap_or(created), status, name))
}

/// Proposes the plan of incident `id` (replacing a draft; an issued plan stays).
pub async fn propose(
    pool: &PgPool,
    rivers: Arc<RoadGraph>,
    actor: &Actor,
    id: i64,
    body: PlanBody,
) -> Result<Plan, Error> {
    let item = body.item.unwrap_or_else(|| "COD".into());
    if water::item(&item).is_none() {
        return Err(Error::invalid("item", format!("`{item}` is not an item of GB 3838-2002 Table 1")));
    }
    let hours = Error::within("hours", body.hours.unwrap_or(24.0), 0.0, MAX_HOURS, true)?;
    let mass_kg = body.mass_kg.map(|m| Error::within("mass_kg", m, 0.0, 1.0e7, true)).transpose()?;
    let release = Error::within("release_minutes", body.release_minutes.unwrap_or(0.0), 0.0, 7.0 * 1440.0, false)?;
    let decay = Error::within("decay_per_day", body.decay_per_day.unwrap_or(0.0), 0.0, 10.0, false)?;
    let (point, released_at, status, name) = incident(pool, id).await?;
    if status == "closed" {
        return Err(Refused::Closed { incident: id }.into());
    }
    if let Some(asked) = body.air {
        let (points, plan) = air_points(pool, asked, point, released_at, &name, hours).await?;
        return store(pool, actor, id, points, plan).await;
    }
    let Some(start) = rivers.snap(point, SNAP_M, &|_| true) else {
        return Err(Refused::OffRiver { what: "incident", name, nearest: "not within 2 km of a river".into() }.into());
    };
    let river: String = sqlx::query_scalar("SELECT name FROM route WHERE id = $1")
        .bind(rivers.edges[start.edge].route_id)
        .fetch_optional(pool)
        .await?
        .unwrap_or_default();
    let channel = dispersion::channel(&river);
    let (down, up) = {
        let rivers = rivers.clone();
        crate::work::run("monitoring plan", move || {
            (trace(&rivers, &start, hours, Way::Downstream), trace(&rivers, &start, 0.5, Way::Upstream))
        })
        .await?
    };
    let now = Utc::now();
    let end = now + Duration::minutes((hours * 60.0) as i64);
    // Hours of flow are counted from the release.
    let since = (now - released_at).num_seconds().max(0) as f64 / 3600.0;
    let arrival = |h: f64| released_at + Duration::seconds((h * 3600.0) as i64);
    let mut points = Vec::new();
    if let Some(last) = up.last().and_then(|r| r.line.0.last().map(|c| (*c, r.metres.last().copied().unwrap_or(0.0)))) {
        points.push(point_of("control", "上游对照断面".into(), last.0, -0.5, -last.1, schedule(now, now, end)));
    }
    points.push(point_of("incident", format!("{name}事发点"), point, 0.0, 0.0, schedule(now, released_at, end)));
    for h in SECTION_HOURS.into_iter().filter(|h| *h <= hours && *h + 4.0 > since) {
        if let Some((c, m)) = at_hours(&down, h) {
            points.push(point_of("section", format!("下游 {h} 小时断面"), c, h, m, schedule(now, arrival(h), end)));
        }
    }
    for met in near_reaches(pool, &down, Way::Downstream, 1_000.0).await? {
        let is_intake = matches!(&met.about, crate::risk::trace::About::Kind(Some(k)) if k == "water_intake");
        if is_intake && met.hours + 4.0 > since {
            let c = at_hours(&down, met.hours).map_or(point, |p| p.0);
            points.push(point_of(
                "intake",
                met.name,
                c,
                met.hours,
                met.metres_along,
                schedule(now, arrival(met.hours), end),
            ));
        }
    }
    points.truncate(MAX_POINTS);
    // Who samples: the nearest available monitoring team (water teams failing that).
    let team: Option<(i64, String)> = sqlx::query_as(
        "SELECT id, name FROM team WHERE status = 'available' AND specialties && ARRAY['monitoring', 'water'] \
          ORDER BY 'monitoring' = ANY(specialties) DESC, geom <-> ST_SetSRID(ST_MakePoint($1, $2), 4326) LIMIT 1",
    )
    .bind(point.x)
    .bind(point.y)
    .fetch_optional(pool)
    .await?;
    for p in &mut points {
        p.team = team.clone();
        if let Some(m) = mass_kg {
            p.predicted = predict(&channel, m, release, decay, p, released_at);
        }
    }
    let unit = water::item(&item).map_or("mg/L", |i| i.unit);
    let limit = water::item(&item).map_or(f64::INFINITY, |i| i.limits[2]);
    let plan = json!({"medium": "water", "item": item, "unit": unit, "limit": limit, "mass_kg": mass_kg,
                      "released_at": released_at, "channel": channel.river});
    store(pool, actor, id, points, plan).await
}

/// Keeps `points` in `plan` as incident `id`'s draft (an issued plan stays as it is).
async fn store(
    pool: &PgPool,
    actor: &Actor,
    id: i64,
    points: Vec<Point>,
    mut plan: serde_json::Value,
) -> Result<Plan, Error> {
    plan["points"] = json!(points);
    let mut tx = begin_as(pool, actor).await?;
    crate::response::hold::incident(&mut tx, actor, id).await?;
    let issued: Option<String> = sqlx::query_scalar("SELECT status FROM monitoring_plan WHERE incident_id = $1")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
    if issued.as_deref() == Some("issued") {
        return Err(Refused::PlanIssued { incident: id }.into());
    }
    sqlx::query(
        "INSERT INTO monitoring_plan (incident_id, plan, made_by) VALUES ($1, $2, $3) \
         ON CONFLICT (incident_id) DO UPDATE SET plan = EXCLUDED.plan, made_by = EXCLUDED.made_by, updated_at = now()",
    )
    .bind(id)
    .bind(&plan)
    .bind(&actor.name)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    show(pool, id).await
}

/// The points of a release to the air: upwind control, the source, the widest zone's
/// downwind tip and its two sides half-way, the receptors inside it (nearest first, at most
/// 10); every 30 minutes while it leaks and 2 hours after, hourly after that.
async fn air_points(
    pool: &PgPool,
    mut asked: crate::air::asked::Asked,
    at: Coord<f64>,
    released_at: DateTime<Utc>,
    name: &str,
    hours: f64,
) -> Result<(Vec<Point>, serde_json::Value), Error> {
    asked.point = [at.x, at.y];
    let request = asked.request().map_err(|e| match e {
        Error::Invalid(i) => Error::Invalid(crate::error::Invalid { field: i.field.map(|f| format!("air.{f}")), ..i }),
        other => other,
    })?;
    let zones = crate::air::threat::zones(pool, &request).await?;
    let downwind = (request.wind_from_deg + 180.0).rem_euclid(360.0);
    let now = Utc::now();
    let end = now + Duration::minutes((hours * 60.0) as i64);
    let leak_end = released_at + Duration::minutes(request.minutes as i64) + Duration::hours(2);
    let frequency = vec![
        Frequency { from: now, to: leak_end.max(now + Duration::hours(2)).min(end), every_minutes: 30 },
        Frequency { from: leak_end.max(now + Duration::hours(2)), to: end, every_minutes: 60 },
    ]
    .into_iter()
    .filter(|f| f.from < f.to)
    .collect::<Vec<_>>();
    let u = request.release.wind_ms;
    let mut points = vec![
        point_of(
            "control",
            "上风向对照点".into(),
            crate::air::threat::place(at, downwind, (-1000.0, 0.0)),
            0.0,
            -1000.0,
            frequency.clone(),
        ),
        point_of("incident", format!("{name}泄漏源"), at, 0.0, 0.0, frequency.clone()),
    ];
    // The widest zone is the lowest threshold's.
    let widest = zones.features.iter().find(|z| !z.geometry.is_null());
    let threshold = zones.features.first().map_or(f64::INFINITY, |z| z.properties.threshold_mg_m3);
    if let Some(z) = widest {
        let tip = z.properties.max_distance_m;
        let mut edge = |name: &str, x: f64, y: f64| {
            let c = crate::air::threat::place(at, downwind, (x, y));
            points.push(point_of("edge", name.into(), c, x / u / 3600.0, x, frequency.clone()));
        };
        edge("下风向影响区最远处", tip, 0.0);
        if let Some(half) = request.release.half_width(tip / 2.0, threshold) {
            edge("影响区左侧边界", tip / 2.0, half);
            edge("影响区右侧边界", tip / 2.0, -half);
        }
        let ids: Vec<i64> = z.properties.receptors.iter().take(10).map(|r| r.id).collect();
        let places: Vec<(i64, String, f64, f64)> = sqlx::query_as(
            "SELECT id, name, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM receptor WHERE id = ANY($1)",
        )
        .bind(&ids)
        .fetch_all(pool)
        .await?;
        for r in z.properties.receptors.iter().take(10) {
            if let Some((_, rname, x, y)) = places.iter().find(|p| p.0 == r.id) {
                let d = r.distance_m;
                points.push(point_of(
                    "receptor",
                    rname.clone(),
                    Coord { x: *x, y: *y },
                    d / u / 3600.0,
                    d,
                    frequency.clone(),
                ));
            }
        }
    }
    for p in &mut points {
        p.predicted = air_predict(&request, downwind, at, released_at, p);
    }
    let item = request.substance.as_ref().map_or("浓度".to_string(), |s| s.name.to_string());
    let plan = json!({"medium": "air", "item": item, "unit": "mg/m³", "limit": threshold, "released_at": released_at,
                      "air": asked, "channel": ""});
    Ok((points, plan))
}

/// The plume's ground-level concentration (mg/m³) at `p` at each of its sample times: steady
/// while the release passes it (from its arrival to the release's end plus the travel).
fn air_predict(
    request: &crate::air::threat::Request,
    downwind: f64,
    at: Coord<f64>,
    released_at: DateTime<Utc>,
    p: &Point,
) -> Vec<(DateTime<Utc>, f64)> {
    use geo::{Bearing, Distance, Geodesic, Point as P};
    let here = P::new(p.point[0], p.point[1]);
    let d = Geodesic.distance(P(at), here);
    let angle = (downwind - Geodesic.bearing(P(at), here)).to_radians();
    let (x, y) = (d * angle.cos(), d * angle.sin());
    let c = request.release.concentration(x, y);
    let travel = x.max(0.0) / request.release.wind_ms;
    samples(&p.frequency)
        .into_iter()
        .map(|t| {
            let s = (t - released_at).num_seconds() as f64;
            let on = s >= travel && s <= request.minutes * 60.0 + travel;
            (t, if on { (c * 10_000.0).round() / 10_000.0 } else { 0.0 })
        })
        .collect()
}

fn point_of(kind: &str, name: String, c: Coord<f64>, hours: f64, metres: f64, frequency: Vec<Frequency>) -> Point {
    let round = |v: f64| (v * 1e6).round() / 1e6;
    Point {
        kind: kind.into(),
        name,
        point: [round(c.x), round(c.y)],
        hours: (hours * 100.0).round() / 100.0,
        metres: metres.round(),
        frequency,
        team: None,
        predicted: Vec::new(),
        thing_id: None,
        datastream_id: None,
    }
}

/// The model's concentration at each sample time of `p`.
fn predict(
    channel: &Channel,
    mass_kg: f64,
    release_min: f64,
    decay_per_day: f64,
    p: &Point,
    released_at: DateTime<Utc>,
) -> Vec<(DateTime<Utc>, f64)> {
    // The water's speed to this point, from the trace (1 m/s where it gives none).
    let u = if p.hours > 0.0 { p.metres / (p.hours * 3600.0) } else { 1.0 };
    samples(&p.frequency)
        .into_iter()
        .map(|t| {
            let s = (t - released_at).num_seconds() as f64;
            let c = dispersion::released(
                mass_kg * 1000.0,
                channel,
                u,
                decay_per_day / 86_400.0,
                p.metres.max(0.0),
                s,
                release_min * 60.0,
            );
            (t, (c * 10_000.0).round() / 10_000.0)
        })
        .collect()
}

/// Replaces a draft's points (names, places, kinds, frequencies, teams).
pub async fn edit(pool: &PgPool, actor: &Actor, id: i64, points: Vec<Point>) -> Result<Plan, Error> {
    if points.is_empty() || points.len() > MAX_POINTS {
        return Err(Error::invalid("points", format!("a plan has 1 to {MAX_POINTS} points")));
    }
    for (i, p) in points.iter().enumerate() {
        let field = |f: &str| format!("points[{i}].{f}");
        let kinds = crate::layers::words::codes(&crate::layers::words::SAMPLING_KIND);
        if !kinds.contains(&p.kind.as_str()) {
            return Err(Error::invalid(&field("kind"), format!("is one of {}", kinds.join(", "))));
        }
        Error::said(&field("name"), p.name.clone(), 200, false)?;
        crate::routing::request::parse_point(p.point)?;
        if p.frequency.len() > 10
            || p.frequency.iter().any(|f| f.to < f.from || !(15..=1440).contains(&f.every_minutes))
        {
            return Err(Error::invalid(
                &field("frequency"),
                "at most 10 spans, each from before to, every 15 to 1440 minutes",
            ));
        }
        if p.frequency.iter().any(|f| f.to - f.from > Duration::hours(MAX_HOURS as i64 * 2)) {
            return Err(Error::invalid(&field("frequency"), format!("a span lasts at most {} hours", MAX_HOURS * 2.0)));
        }
    }
    let mut tx = begin_as(pool, actor).await?;
    crate::response::hold::incident(&mut tx, actor, id).await?;
    let mut plan = draft(&mut tx, id).await?;
    // The predictions are the model's: they follow the new times.
    let channel = dispersion::channel(plan["channel"].as_str().unwrap_or(""));
    let released_at: DateTime<Utc> = serde_json::from_value(plan["released_at"].clone()).unwrap_or_else(|_| Utc::now());
    let mut points = points;
    let air = match plan.get("air") {
        Some(a) => Some(
            serde_json::from_value::<crate::air::asked::Asked>(a.clone())
                .map_err(|e| Error::Failed(e.to_string()))?
                .request()?,
        ),
        None => None,
    };
    for p in &mut points {
        p.thing_id = None;
        p.datastream_id = None;
        p.predicted = match (&air, plan["mass_kg"].as_f64()) {
            (Some(request), _) => {
                let downwind = (request.wind_from_deg + 180.0).rem_euclid(360.0);
                air_predict(request, downwind, request.at, released_at, p)
            }
            (None, Some(m)) => predict(&channel, m, 0.0, 0.0, p, released_at),
            (None, None) => Vec::new(),
        };
    }
    plan["points"] = json!(points);
    sqlx::query("UPDATE monitoring_plan SET plan = $2, made_by = $3, updated_at = now() WHERE incident_id = $1")
        .bind(id)
        .bind(&plan)
        .bind(&actor.name)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    show(pool, id).await
}

/// The draft plan of incident `id`, locked for a change; refused when there is none or it is issued.
async fn draft(tx: &mut sqlx::PgConnection, id: i64) -> Result<serde_json::Value, Error> {
    let row: Option<(String, serde_json::Value)> =
        sqlx::query_as("SELECT status, plan FROM monitoring_plan WHERE incident_id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    match row {
        None => Err(Refused::NoPlan { incident: id }.into()),
        Some((status, _)) if status == "issued" => Err(Refused::PlanIssued { incident: id }.into()),
        Some((_, plan)) => Ok(plan),
    }
}

/// Issues the plan: a sampling point (Thing with its Location and a Datastream of the item)
/// and an order to its team for each point, in one transaction.
pub async fn issue(pool: &PgPool, actor: &Actor, id: i64) -> Result<Plan, Error> {
    let mut tx = begin_as(pool, actor).await?;
    crate::response::hold::open_response(&mut tx, actor, id).await?;
    let mut plan = draft(&mut tx, id).await?;
    let item = plan["item"].as_str().unwrap_or("COD").to_string();
    let unit = plan["unit"].as_str().unwrap_or("mg/L").to_string();
    let mut points: Vec<Point> =
        serde_json::from_value(plan["points"].clone()).map_err(|e| Error::Failed(e.to_string()))?;
    let mut written = crate::sensing::write::Written::default();
    for p in &mut points {
        let body = json!({"name": format!("{}（应急监测 #{id}）", p.name), "description": "应急监测采样点",
            "properties": {"incident_id": id, "sampling_point": p.kind, "target_class": "Ⅲ"},
            "Locations": [{"name": p.name, "location": {"type": "Point", "coordinates": p.point}}],
            "Datastreams": [{"name": format!("{} {item}", p.name), "observationType": "OM_Measurement",
                "unitOfMeasurement": {"name": unit, "symbol": unit},
                "Sensor": {"name": "现场采样（应急监测）", "encodingType": "text/plain", "metadata": "emergency sampling"},
                "ObservedProperty": {"name": item, "definition": item}}]});
        let thing = crate::sensing::write::create(&mut tx, Set::Things, &body, None, &mut written).await?;
        let datastream: i64 = sqlx::query_scalar("SELECT id FROM sta_datastream WHERE thing_id = $1")
            .bind(thing)
            .fetch_one(&mut *tx)
            .await?;
        p.thing_id = Some(thing);
        p.datastream_id = Some(datastream);
        let times = samples(&p.frequency);
        let Some(((team, _), first)) = p.team.clone().zip(times.first()) else { continue };
        let every: Vec<String> = p
            .frequency
            .iter()
            .map(|f| format!("{}–{} 每 {} 分钟", hhmm(f.from), hhmm(f.to), f.every_minutes))
            .collect();
        let order = crate::response::orders::NewOrder {
            what: format!("在{}采样监测{item}（{}），读数经手机上报", p.name, every.join("；")),
            module: "monitoring".into(),
            to_kind: "team".into(),
            to_ref: team.to_string(),
            due_at: (*first).max(Utc::now() + Duration::minutes(1)),
            from_measure: None,
        };
        crate::response::orders::insert(&mut tx, actor, id, &order).await?;
    }
    plan["points"] = json!(points);
    sqlx::query("UPDATE monitoring_plan SET plan = $2, status = 'issued', issued_by = $3, issued_at = now() WHERE incident_id = $1")
        .bind(id)
        .bind(&plan)
        .bind(&actor.name)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    show(pool, id).await
}

fn hhmm(t: DateTime<Utc>) -> String {
    t.with_timezone(&crate::time::cst()).format("%H:%M").to_string()
}

/// The plan of incident `id`, with the readings of its points against the prediction.
pub async fn show(pool: &PgPool, id: i64) -> Result<Plan, Error> {
    let row: Option<(String, serde_json::Value)> =
        sqlx::query_as("SELECT status, plan FROM monitoring_plan WHERE incident_id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await?;
    // No plan yet: nothing to show (a write that needs one says why it cannot be done).
    let Some((status, plan)) = row else { return Err(Error::NotFound { layer: "monitoring plan of incident", id }) };
    let item = plan["item"].as_str().unwrap_or("COD").to_string();
    let limit = plan["limit"].as_f64().unwrap_or(f64::INFINITY);
    let points: Vec<Point> =
        serde_json::from_value(plan["points"].clone()).map_err(|e| Error::Failed(e.to_string()))?;
    let mut measured = Vec::new();
    for p in &points {
        let Some(d) = p.datastream_id else { continue };
        let values: Vec<(DateTime<Utc>, f64)> = sqlx::query_as(
            "SELECT phenomenon_time, result FROM sta_observation WHERE datastream_id = $1 AND result IS NOT NULL \
              ORDER BY phenomenon_time, id",
        )
        .bind(d)
        .fetch_all(pool)
        .await?;
        measured.push(Measured { name: p.name.clone(), back_within: back_within(&values, limit), values });
    }
    let sections: Vec<&Measured> =
        measured.iter().filter(|m| points.iter().any(|p| p.name == m.name && p.kind != "control")).collect();
    let propose_lifting = !sections.is_empty() && sections.iter().all(|m| m.back_within);
    Ok(Plan {
        incident_id: id,
        status,
        unit: plan["unit"].as_str().unwrap_or("mg/L").to_string(),
        limit,
        item,
        released_at: serde_json::from_value(plan["released_at"].clone()).unwrap_or_else(|_| Utc::now()),
        mass_kg: plan["mass_kg"].as_f64(),
        channel: dispersion::channel(plan["channel"].as_str().unwrap_or("")),
        points,
        measured,
        propose_lifting,
    })
}

/// Whether, after the highest reading, the last [`BACK_AFTER`] readings are all within `limit`
/// (and the peak was not the last reading).
pub fn back_within(values: &[(DateTime<Utc>, f64)], limit: f64) -> bool {
    let Some(peak) = values.iter().enumerate().max_by(|a, b| a.1.1.total_cmp(&b.1.1)).map(|(i, _)| i) else {
        return false;
    };
    let after = &values[peak + 1..];
    after.len() >= BACK_AFTER && after[after.len() - BACK_AFTER..].iter().all(|(_, v)| *v <= limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-07T00:00:00Z").unwrap().to_utc() + Duration::hours(h)
    }

    #[test]
    fn sampling_is_densest_around_the_arrival() {
        let f = schedule(at(0), at(6), at(24));
        let times = samples(&f);
        let gaps: Vec<i64> = times.windows(2).map(|w| (w[1] - w[0]).num_minutes()).collect();
        assert_eq!(f.len(), 3);
        assert_eq!(times.first(), Some(&at(0)));
        assert!(gaps[..2].iter().all(|g| *g == 120), "{gaps:?}");
        let dense = times.iter().filter(|t| **t >= at(4) && **t <= at(10)).count();
        assert_eq!(dense, 13, "every half hour from 2 hours before to 4 after");
        // An arrival already past: dense from now.
        assert_eq!(schedule(at(10), at(8), at(24))[0].every_minutes, 30);
    }

    #[test]
    fn a_section_is_back_within_after_its_peak_for_three_readings() {
        let v = |xs: &[f64]| xs.iter().enumerate().map(|(i, x)| (at(i as i64), *x)).collect::<Vec<_>>();
        assert!(back_within(&v(&[10.0, 40.0, 30.0, 19.0, 18.0, 15.0]), 20.0));
        assert!(!back_within(&v(&[10.0, 40.0, 19.0, 21.0, 15.0]), 20.0));
        assert!(!back_within(&v(&[10.0, 12.0, 15.0, 18.0]), 20.0), "still rising: its peak is the last");
        assert!(!back_within(&v(&[]), 20.0));
    }
}
