//! A warning as it is answered: a GeoJSON Feature of its area, its CAP-named fields, where it
//! is in its life now, and how many receptors it reaches; and the units told of it.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::{PgConnection, PgPool};

use super::status::Status;
use crate::error::Error;

/// A warning: a GeoJSON Feature whose geometry is its area (a MultiPolygon).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Warning {
    /// Always `Feature`.
    #[serde(rename = "type")]
    kind: &'static str,
    /// The warning's id (one version of it).
    pub id: i64,
    /// The area, a GeoJSON MultiPolygon.
    #[schema(value_type = Object)]
    pub geometry: Value,
    /// Its fields.
    pub properties: WarningProperties,
}

/// What a warning says, as CAP names it, with its life and its reach.
#[derive(Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct WarningProperties {
    /// The CAP identifier of this version.
    pub identifier: String,
    /// The first version's id: it joins the versions of one warning.
    pub first_id: Option<i64>,
    /// The version this one replaced.
    pub previous_id: Option<i64>,
    /// 1 for the first version.
    pub version: i32,
    /// The incident it is for.
    pub incident_id: Option<i64>,
    /// water or air.
    pub kind: String,
    /// 蓝, 黄, 橙 or 红.
    pub level: String,
    /// One line.
    pub headline: String,
    /// What happens.
    pub description: Option<String>,
    /// What to do.
    pub instruction: Option<String>,
    /// Where, in words.
    pub area_desc: String,
    /// In force from.
    pub onset: DateTime<Utc>,
    /// In force until.
    pub expires: DateTime<Utc>,
    /// draft, issued, updated or cancelled.
    #[sqlx(try_from = "String")]
    #[schema(value_type = String)]
    pub status: Status,
    /// The status now: an issued warning past `expires` is `expired`.
    pub state: String,
    /// Who wrote it.
    pub author: String,
    /// When it was issued (none for a draft).
    pub issued_at: Option<DateTime<Utc>>,
    /// Who issued it.
    pub issued_by: Option<String>,
    /// When it was updated or cancelled.
    pub ended_at: Option<DateTime<Utc>>,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Receptors inside its area.
    pub affected: i64,
}

/// The columns of [`WarningProperties`] and the area, from `warning w`.
const COLUMNS: &str = "w.identifier, w.first_id, w.previous_id, w.version, w.incident_id, w.kind, w.level, \
     w.headline, w.description, w.instruction, w.area_desc, w.onset, w.expires, w.status, \
     CASE WHEN w.status = 'issued' AND w.expires <= now() THEN 'expired' ELSE w.status END AS state, \
     w.author, w.issued_at, w.issued_by, w.ended_at, w.created_at, w.updated_at, \
     (SELECT count(*) FROM warning_recipient r WHERE r.warning_id = w.id AND r.receptor_id IS NOT NULL) AS affected, \
     w.id, ST_AsGeoJSON(w.geom, 7) AS area";

fn warning(row: sqlx::postgres::PgRow) -> Result<Warning, sqlx::Error> {
    use sqlx::{FromRow, Row};
    let area: String = row.try_get("area")?;
    Ok(Warning {
        kind: "Feature",
        id: row.try_get("id")?,
        geometry: serde_json::from_str(&area).unwrap_or(Value::Null),
        properties: WarningProperties::from_row(&row)?,
    })
}

/// The warning `id`.
pub async fn show(conn: &mut PgConnection, id: i64) -> Result<Warning, Error> {
    sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM warning w WHERE w.id = $1")))
        .bind(id)
        .try_map(warning)
        .fetch_optional(conn)
        .await?
        .ok_or(Error::NotFound { layer: "warning", id })
}

/// What "in force" means, on a row of `warning`: issued (begun or not) and not expired.
pub const IN_FORCE: &str = "status = 'issued' AND expires > now()";

/// Warnings, newest first: all, or those in force now; of one incident or of all.
pub async fn list(pool: &PgPool, in_force: bool, incident: Option<i64>) -> Result<Vec<Warning>, Error> {
    let filter = if in_force { IN_FORCE } else { "true" };
    Ok(sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM warning w WHERE {filter} AND ($1::bigint IS NULL OR w.incident_id = $1) \
         ORDER BY w.id DESC LIMIT 1000"
    )))
    .bind(incident)
    .try_map(warning)
    .fetch_all(pool)
    .await?)
}

/// Warnings as a GeoJSON FeatureCollection.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Warnings {
    /// Always `FeatureCollection`.
    #[serde(rename = "type")]
    kind: &'static str,
    /// Newest first.
    pub features: Vec<Warning>,
}

impl From<Vec<Warning>> for Warnings {
    fn from(features: Vec<Warning>) -> Self {
        Self { kind: "FeatureCollection", features }
    }
}

/// A unit to be told of a warning: a receptor in its area, or a district's duty unit.
#[derive(Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Recipient {
    /// The recipient's id (within the warning).
    pub id: i64,
    /// Whom to tell.
    pub name: String,
    /// The receptor, when it is one.
    pub receptor_id: Option<i64>,
    /// The receptor's kind.
    pub kind: Option<String>,
    /// The district it is in.
    pub district: Option<String>,
    /// How to reach it.
    pub contact: Option<String>,
    /// When it was told (none: not yet).
    pub notified_at: Option<DateTime<Utc>>,
    /// Who told it.
    pub notified_by: Option<String>,
}

/// The recipients of one warning.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Recipients {
    /// The warning.
    pub warning_id: i64,
    /// Receptors first, then duty units.
    pub recipients: Vec<Recipient>,
}

/// The recipients of warning `id` (which must exist): receptors first, then duty units.
pub async fn recipients(pool: &PgPool, id: i64) -> Result<Recipients, Error> {
    let mut conn = pool.acquire().await?;
    show(&mut conn, id).await?;
    let recipients = sqlx::query_as(
        "SELECT r.id, r.name, r.receptor_id, p.kind, r.district, r.contact, r.notified_at, r.notified_by \
         FROM warning_recipient r LEFT JOIN receptor p ON p.id = r.receptor_id WHERE r.warning_id = $1 \
         ORDER BY r.receptor_id IS NULL, r.id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(Recipients { warning_id: id, recipients })
}
