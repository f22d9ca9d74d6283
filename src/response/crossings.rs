//! Across boundaries (跨界通报): where an incident's spill, followed down the rivers, or its air
//! zone reaches another district or leaves the city, and when; onemap drafts one notice to each
//! district's duty office (or the neighbouring city's), and the command sends it. A sent notice
//! is answered like an order.
//!
//! Where and when are had in PostGIS from the trace's reaches, each a line whose M is the hours
//! of flow: the earliest hour at which a reach's part inside the district begins. For air, the
//! nearest point of the zone inside the district, carried by the wind's speed.

use std::sync::Arc;

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use crate::auth::{Actor, begin_as};
use crate::error::Error;
use crate::routing::RoadGraph;

/// Longest a river is followed for a notice, hours (three days cross the city's rivers).
pub const MAX_RIVER_HOURS: f64 = 72.0;
/// Hours a river is followed when the request does not say.
const DEFAULT_RIVER_HOURS: f64 = 24.0;
/// Farthest the incident may be from a mapped river to follow it, m: the streams and drains
/// between a plant and the river are not mapped, and a spill reaches the river by them.
pub const SNAP_M: f64 = 5_000.0;

/// What to follow across the boundaries.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CrossingsBody {
    /// Follow the spill down the rivers for so many hours (0–72; default 24 when `air` is not
    /// given either).
    pub river_hours: Option<f64>,
    /// The release in the air, as `POST /api/air/plume` asks it; its point is the incident's.
    pub air: Option<crate::air::asked::Asked>,
}

/// A district (or a neighbouring city) the spill or the cloud reaches, and when.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Crossing {
    /// river or air.
    pub medium: &'static str,
    /// district (a district of the city, by its code) or city (a neighbouring city, by its name).
    pub to_kind: &'static str,
    /// The district's code, or the city's name.
    pub to_ref: String,
    /// The district's name, or the city's with its province.
    pub place: String,
    /// The counties of the neighbouring city reached (empty for a district).
    pub counties: Vec<String>,
    /// Hours after the release when it arrives.
    pub hours: f64,
    /// When it arrives.
    pub arrives_at: DateTime<Utc>,
}

/// The areas (districts and neighbouring counties) a geometry reaches, with the hours to each.
/// `$2` and `$3` are the incident's longitude and latitude (its own districts are left out).
const AREAS: &str = "SELECT 'district' AS kind, d.code, d.name, NULL::text AS city, NULL::text AS province, d.geom \
       FROM district d WHERE NOT ST_Covers(d.geom, ST_SetSRID(ST_MakePoint($2, $3), 4326)) \
     UNION ALL SELECT 'city', n.code, n.name, n.city, n.province, n.geom FROM neighbour n";

/// kind, code, name, city, province, hours.
type Row = (String, String, String, Option<String>, Option<String>, f64);

/// Where the river trace `lines` (each vertex [lon, lat, hours]) enters other districts and
/// neighbouring counties, and after how many hours.
async fn river(pool: &PgPool, at: (f64, f64), lines: &[Vec<[f64; 3]>]) -> Result<Vec<Row>, Error> {
    let wkt: Vec<String> = lines
        .iter()
        .filter(|l| l.len() >= 2)
        .map(|l| {
            let points: Vec<String> = l.iter().map(|[x, y, h]| format!("{x} {y} {h}")).collect();
            format!("LINESTRING M ({})", points.join(", "))
        })
        .collect();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "WITH r AS (SELECT ST_SetSRID(ST_GeomFromText(w), 4326) AS g FROM unnest($1::text[]) w), \
              a AS ({AREAS}) \
         SELECT a.kind, a.code, a.name, a.city, a.province, min(ST_InterpolatePoint(r.g, p.geom)) \
         FROM a JOIN r ON ST_Intersects(a.geom, ST_Force2D(r.g)) \
         CROSS JOIN LATERAL ST_DumpPoints(ST_Intersection(a.geom, ST_Force2D(r.g))) p \
         GROUP BY 1, 2, 3, 4, 5"
    )))
    .bind(&wkt)
    .bind(at.0)
    .bind(at.1)
    .fetch_all(pool)
    .await?)
}

/// Where the air zone `zone` (a GeoJSON polygon) covers other districts and neighbouring
/// counties, and after how many hours the wind at `wind_ms` carries the cloud there.
async fn air(pool: &PgPool, at: (f64, f64), zone: &serde_json::Value, wind_ms: f64) -> Result<Vec<Row>, Error> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "WITH z AS (SELECT ST_SetSRID(ST_GeomFromGeoJSON($1), 4326) AS g), a AS ({AREAS}) \
         SELECT a.kind, a.code, a.name, a.city, a.province, \
                ST_Distance(ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography, \
                            ST_Intersection(a.geom, z.g)::geography) / $4 / 3600.0 \
         FROM a, z WHERE ST_Intersects(a.geom, z.g)"
    )))
    .bind(zone.to_string())
    .bind(at.0)
    .bind(at.1)
    .bind(wind_ms)
    .fetch_all(pool)
    .await?)
}

/// The crossings of `rows` (one medium): districts one each, neighbouring counties one a city.
fn crossings(medium: &'static str, rows: Vec<Row>, start: DateTime<Utc>) -> Vec<Crossing> {
    let mut out: Vec<Crossing> = Vec::new();
    for (kind, code, name, city, province, hours) in rows {
        let hours = hours.max(0.0);
        let (to_kind, to_ref, place, county) = match (kind.as_str(), city, province) {
            ("city", Some(city), Some(province)) => ("city", city.clone(), format!("{province}{city}"), Some(name)),
            _ => ("district", code, name, None),
        };
        match out.iter_mut().find(|c| c.to_kind == to_kind && c.to_ref == to_ref) {
            Some(c) => {
                c.hours = c.hours.min(hours);
                c.counties.extend(county);
            }
            None => out.push(Crossing {
                medium,
                to_kind,
                to_ref,
                place,
                counties: county.into_iter().collect(),
                hours,
                arrives_at: start,
            }),
        }
    }
    for c in &mut out {
        c.counties.sort();
        c.arrives_at = start + chrono::Duration::milliseconds((c.hours * 3_600_000.0) as i64);
    }
    out.sort_by(|a, b| a.hours.total_cmp(&b.hours).then_with(|| a.to_ref.cmp(&b.to_ref)));
    out
}

/// The incident's name, what was released, where and since when.
struct Spill {
    name: String,
    pollutant: Option<String>,
    at: (f64, f64),
    since: DateTime<Utc>,
}

async fn spill(pool: &PgPool, incident: i64) -> Result<Spill, Error> {
    type Row = (String, Option<String>, f64, f64, DateTime<Utc>);
    let row: Option<Row> = sqlx::query_as(
        "SELECT name, pollutant, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)), \
                coalesce(discovered_at, occurred_at) FROM incident WHERE id = $1",
    )
    .bind(incident)
    .fetch_optional(pool)
    .await?;
    let (name, pollutant, x, y, since) = row.ok_or(Error::NotFound { layer: "incident", id: incident })?;
    Ok(Spill { name, pollutant, at: (x, y), since })
}

/// Where spill `s`'s river trace or cloud crosses into other districts and cities, and when.
async fn find(pool: &PgPool, rivers: Arc<RoadGraph>, s: &Spill, body: CrossingsBody) -> Result<Vec<Crossing>, Error> {
    let river_hours = match (body.river_hours, &body.air) {
        (Some(h), _) if h.is_finite() && (0.0..=MAX_RIVER_HOURS).contains(&h) => Some(h),
        (Some(h), _) => {
            return Err(Error::invalid("river_hours", format!("{h} is not 0–{MAX_RIVER_HOURS} hours")));
        }
        (None, None) => Some(DEFAULT_RIVER_HOURS),
        (None, Some(_)) => None,
    };
    let request = match body.air {
        Some(mut asked) => {
            asked.point = [s.at.0, s.at.1];
            Some(asked.request()?)
        }
        None => None,
    };
    let mut found = Vec::new();
    if let Some(hours) = river_hours.filter(|h| *h > 0.0) {
        let point = geo::Coord { x: s.at.0, y: s.at.1 };
        let traced =
            crate::risk::traced::follow(pool, rivers, point, hours, crate::risk::trace::Way::Downstream, SNAP_M, 0.0)
                .await?;
        if let crate::risk::traced::Traced::On(trace) = traced {
            let lines: Vec<Vec<[f64; 3]>> = trace.features.iter().map(|f| f.vertices()).collect();
            found.extend(crossings("river", river(pool, s.at, &lines).await?, s.since));
        }
    }
    if let Some(request) = request {
        let zones = crate::air::threat::zones(pool, &request).await?;
        // The widest zone (the lowest threshold) is the one a neighbour must hear of.
        if let Some(zone) = zones.features.iter().find(|z| !z.geometry.is_null()) {
            let rows = air(pool, s.at, &zone.geometry, request.release.wind_ms).await?;
            found.extend(crossings("air", rows, Utc::now()));
        }
    }
    Ok(found)
}

/// The words of the notice of `crossing`.
fn words(spill: &Spill, c: &Crossing) -> String {
    let china = FixedOffset::east_opt(8 * 3600).expect("UTC+8");
    let what = spill.pollutant.as_deref().filter(|p| !p.is_empty()).unwrap_or("污染物");
    let (coming, ready) = match c.medium {
        "river" => ("污染团顺流而下", "取水口防护、应急监测和拦截"),
        _ => ("污染气团随风扩散", "人员防护、疏散和应急监测"),
    };
    let counties = if c.counties.is_empty() { String::new() } else { format!("（{}）", c.counties.join("、")) };
    format!(
        "【跨界通报】{}（{what}）：{coming}，预计于 {}（约 {:.1} 小时后）到达{}{counties}。请做好{ready}准备，收到请回复。",
        spill.name,
        c.arrives_at.with_timezone(&china).format("%m月%d日 %H:%M"),
        c.hours,
        c.place,
    )
}

/// Drafts the notices of incident `incident`'s crossings in its open response: a new draft for
/// each district or city not yet noticed of that medium, the draft's words and time brought up
/// to date where one is still unsent; sent notices stay as they were sent. The notices.
pub async fn draft(
    pool: &PgPool,
    rivers: Arc<RoadGraph>,
    actor: &Actor,
    incident: i64,
    body: CrossingsBody,
) -> Result<Vec<super::orders::Order>, Error> {
    // The right to command it first: nothing is traced for someone who may not.
    {
        let mut tx = begin_as(pool, actor).await?;
        super::hold::open_response(&mut tx, actor, incident).await?;
    }
    let s = spill(pool, incident).await?;
    let found = find(pool, rivers, &s, body).await?;
    let mut tx = begin_as(pool, actor).await?;
    super::hold::open_response(&mut tx, actor, incident).await?;
    for c in &found {
        let crossing = serde_json::json!({
            "medium": c.medium, "place": c.place, "counties": c.counties, "hours": c.hours, "arrives_at": c.arrives_at,
        });
        // A notice is due when the pollution arrives (at the least a minute from now).
        let due = c.arrives_at.max(Utc::now() + chrono::Duration::minutes(1));
        let changed: Option<i64> = sqlx::query_scalar(
            "INSERT INTO response_order (incident_id, kind, status, what, module, to_kind, to_ref, due_at, crossing, issued_by) \
             VALUES ($1, 'notice', 'draft', $2, 'warning', $3, $4, $5, $6, $7) \
             ON CONFLICT (incident_id, to_kind, to_ref, (crossing->>'medium')) WHERE kind = 'notice' \
             DO UPDATE SET what = EXCLUDED.what, due_at = EXCLUDED.due_at, crossing = EXCLUDED.crossing \
               WHERE response_order.status = 'draft' AND response_order.crossing IS DISTINCT FROM EXCLUDED.crossing \
             RETURNING id",
        )
        .bind(incident)
        .bind(words(&s, c))
        .bind(c.to_kind)
        .bind(&c.to_ref)
        .bind(due)
        .bind(crossing)
        .bind(&actor.name)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(id) = changed {
            super::orders::announce(&mut tx, id, "drafted").await?;
        }
    }
    let notices =
        super::orders::of_incident(&mut tx, incident).await?.into_iter().filter(|o| o.kind == "notice").collect();
    tx.commit().await?;
    Ok(notices)
}
