//! The case library (案例库): a closed incident (not a drill) with its review is a case. Similar past cases —
//! the same substance, medium, cause, district — are found with their figures and lessons, most
//! alike first, for the desk to show when an incident is opened.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use crate::error::{Error, Invalid};
use crate::layers::words;

/// Most cases in one answer.
pub const MAX_CASES: i64 = 100;

/// What a case should share with the incident at hand.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct Like {
    /// The substance (its name, or part of it).
    pub substance: Option<String>,
    /// water, air or soil.
    pub medium: Option<String>,
    /// The cause's category (safety_accident, traffic_accident …).
    pub cause: Option<String>,
    /// The district's code.
    pub district: Option<String>,
    /// An incident to leave out (the one at hand).
    pub exclude: Option<i64>,
    /// How many (default 20, at most 100).
    pub limit: Option<i64>,
}

/// A case: what happened, how the response went, and what was learnt.
#[derive(Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Case {
    /// The incident.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// What was released.
    pub pollutant: Option<String>,
    /// water, air or soil.
    pub medium: String,
    /// The cause's category.
    pub cause: Option<String>,
    /// The district (as the incident says it).
    pub district: Option<String>,
    /// 一般 … 特别重大.
    pub severity: String,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// When it was closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// Minutes from discovery to the written initial report.
    pub written_report_min: Option<f64>,
    /// Minutes from discovery to the first arrival on site.
    pub first_arrival_min: Option<f64>,
    /// Orders issued.
    pub orders: i64,
    /// Orders done.
    pub orders_done: i64,
    /// The cause as investigated.
    pub investigated_cause: Option<String>,
    /// Its nature.
    pub nature: Option<String>,
    /// The lessons.
    pub lessons: Option<String>,
    /// Corrective actions set.
    pub actions: i64,
    /// Of them still open.
    pub actions_open: i64,
    /// How alike: substance 4, medium 2, cause 2, district 1.
    pub score: i32,
}

/// The cases like `like`, most alike and most recent first (all cases, most recent first, when
/// nothing is asked).
pub async fn like(pool: &PgPool, like: Like) -> Result<Vec<Case>, Error> {
    let substance = Error::text("substance", like.substance, 100, false)
        .map_err(|_| bad("substance", "at most 100 characters, without control characters"))?
        .filter(|s| !s.is_empty());
    if let Some(m) = &like.medium
        && !["water", "air", "soil"].contains(&m.as_str())
    {
        return Err(bad("medium", format!("`{m}` is not water, air or soil")));
    }
    if let Some(c) = &like.cause
        && !words::codes(&words::INCIDENT_CAUSE).contains(&c.as_str())
    {
        return Err(bad("cause", format!("`{c}` is not one of {}", words::codes(&words::INCIDENT_CAUSE).join(", "))));
    }
    if let Some(d) = &like.district
        && !crate::codes::is_admin_code(d)
    {
        return Err(bad("district", format!("`{d}` is not a district code")));
    }
    let limit = like.limit.unwrap_or(20);
    if !(1..=MAX_CASES).contains(&limit) {
        return Err(bad("limit", format!("{limit} is not 1–{MAX_CASES}")));
    }
    let asked = substance.is_some() || like.medium.is_some() || like.cause.is_some() || like.district.is_some();
    Ok(sqlx::query_as(
        "WITH c AS ( \
           SELECT i.*, v.cause AS investigated_cause, v.nature, v.lessons, \
             (CASE WHEN $1::text IS NOT NULL AND i.pollutant IS NOT NULL AND i.pollutant <> '' \
                    AND (strpos(i.pollutant, $1) > 0 OR strpos($1, i.pollutant) > 0) THEN 4 ELSE 0 END \
            + CASE WHEN i.kind = $2 THEN 2 ELSE 0 END \
            + CASE WHEN i.cause = $3 THEN 2 ELSE 0 END \
            + CASE WHEN EXISTS (SELECT 1 FROM district d WHERE d.code = $4 AND ST_Covers(d.geom, i.geom)) \
                   THEN 1 ELSE 0 END)::int AS score \
           FROM incident i JOIN review v ON v.incident_id = i.id \
           WHERE i.status = 'closed' AND NOT i.drill AND i.id IS DISTINCT FROM $5) \
         SELECT c.id, c.name, c.pollutant, c.kind AS medium, c.cause, c.district, c.severity, c.occurred_at, \
           c.closed_at, \
           round(extract(epoch FROM (SELECT min(r.submitted_at) FROM incident_report r \
             WHERE r.incident_id = c.id AND r.stage = 'initial') - c.discovered_at) / 60, 1)::float8 AS written_report_min, \
           round(extract(epoch FROM (SELECT min(d.arrived_at) FROM dispatch d \
             WHERE d.incident_id = c.id AND d.status <> 'cancelled') - c.discovered_at) / 60, 1)::float8 AS first_arrival_min, \
           (SELECT count(*) FROM response_order o WHERE o.incident_id = c.id AND o.status <> 'draft') AS orders, \
           (SELECT count(*) FROM response_order o WHERE o.incident_id = c.id AND o.status = 'done') AS orders_done, \
           c.investigated_cause, c.nature, c.lessons, \
           (SELECT count(*) FROM corrective_action a WHERE a.incident_id = c.id) AS actions, \
           (SELECT count(*) FROM corrective_action a WHERE a.incident_id = c.id AND a.status = 'open') AS actions_open, \
           c.score \
         FROM c WHERE NOT $6 OR c.score > 0 ORDER BY c.score DESC, c.occurred_at DESC, c.id DESC LIMIT $7",
    )
    .bind(&substance)
    .bind(&like.medium)
    .bind(&like.cause)
    .bind(&like.district)
    .bind(like.exclude)
    .bind(asked)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// A query's value refused (400: the query, not a body, is wrong).
fn bad(field: &str, detail: impl Into<String>) -> Error {
    Error::BadQuery(Invalid::field(field, detail))
}
