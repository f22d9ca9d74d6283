//! Phone reports (电话报告) on the short clock: who was called, when, what was said. The first
//! one stops the incident's phone clock (`phone_reported_at`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::intake::past_time;
use crate::auth::{Actor, begin_as, jurisdiction};
use crate::error::Error;

/// A phone report as recorded.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PhoneBody {
    /// Who was called (市局总值班室, a name).
    pub called: String,
    /// When (RFC 3339; default now).
    pub called_at: Option<String>,
    /// What was said.
    pub said: String,
}

/// A phone report.
#[derive(Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct PhoneReport {
    /// Its id.
    pub id: i64,
    /// The incident.
    pub incident_id: i64,
    /// Who was called.
    pub called: String,
    /// When.
    pub called_at: DateTime<Utc>,
    /// What was said.
    pub said: String,
    /// Who called.
    pub author: String,
}

/// Records a phone report of incident `incident`.
pub async fn record(pool: &sqlx::PgPool, actor: &Actor, incident: i64, body: PhoneBody) -> Result<PhoneReport, Error> {
    let called = Error::said("called", body.called, 200, false)?;
    let text = Error::said("said", body.said, 4000, true)?;
    let called_at = match &body.called_at {
        Some(t) => past_time("called_at", t)?,
        None => Utc::now(),
    };
    let mut tx = begin_as(pool, actor).await?;
    let discovered: Option<DateTime<Utc>> =
        sqlx::query_scalar("SELECT discovered_at FROM incident WHERE id = $1 FOR UPDATE")
            .bind(incident)
            .fetch_optional(&mut *tx)
            .await?;
    let discovered = discovered.ok_or(Error::NotFound { layer: "incident", id: incident })?;
    jurisdiction::check(&mut tx, actor, "incident", &[incident]).await?;
    if called_at < discovered {
        return Err(Error::invalid(
            "called_at",
            format!("{called_at} is before the incident was discovered ({discovered})"),
        ));
    }
    let stored: PhoneReport = sqlx::query_as(
        "INSERT INTO phone_report (incident_id, called, called_at, said, author) VALUES ($1, $2, $3, $4, $5) \
         RETURNING id, incident_id, called, called_at, said, author",
    )
    .bind(incident)
    .bind(&called)
    .bind(called_at)
    .bind(&text)
    .bind(&actor.name)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query("UPDATE incident SET phone_reported_at = least(coalesce(phone_reported_at, $2), $2) WHERE id = $1")
        .bind(incident)
        .bind(called_at)
        .execute(&mut *tx)
        .await?;
    sqlx::query("SELECT onemap_event('report', $1)")
        .bind(sqlx::types::Json(serde_json::json!({"op": "phoned", "incident_id": incident, "id": stored.id,
            "called": stored.called, "called_at": stored.called_at})))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(stored)
}

/// The phone reports of incident `incident`, in order.
pub async fn of(pool: &sqlx::PgPool, incident: i64) -> Result<Vec<PhoneReport>, Error> {
    Ok(sqlx::query_as(
        "SELECT id, incident_id, called, called_at, said, author FROM phone_report WHERE incident_id = $1 \
         ORDER BY called_at, id",
    )
    .bind(incident)
    .fetch_all(pool)
    .await?)
}
