//! An enterprise's own hazard self-checks (企业隐患自查): what it found at its own risk sources,
//! recorded beside the bureau's inspections (the `inspection` layer, kind `self`), with the date
//! it must be put right and the day it was. An enterprise records and closes its own only and
//! reads the inspections of its own sources; the bureau reads them all (within its district for
//! a district user's writes).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::hold::date;
use super::scope;
use crate::auth::{Actor, begin_as, jurisdiction};
use crate::error::Error;
use crate::layers::words;

/// Most inspections one answer lists.
pub const MAX_LIST: i64 = 1000;

/// A self-check as an enterprise records it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SelfCheckBody {
    /// The risk source checked (the enterprise's own).
    pub risk_source_id: i64,
    /// When (YYYY-MM-DD, not after today).
    pub inspected_on: String,
    /// What was found (at most 2,000 characters).
    pub finding: String,
    /// 一般隐患 or 重大隐患.
    pub severity: String,
    /// When it must be put right (not before the check).
    pub due_date: Option<String>,
}

/// A hazard put right.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RectifiedBody {
    /// When (YYYY-MM-DD, not before the check nor after today).
    pub rectified_on: String,
}

/// An inspection of a risk source: the bureau's, or the enterprise's self-check.
#[derive(Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Inspection {
    /// Its id (also in the `inspection` layer).
    pub id: i64,
    /// The risk source.
    pub risk_source_id: i64,
    /// Its name.
    pub risk_source: String,
    /// bureau (部门排查) or self (企业自查).
    pub kind: String,
    /// When.
    pub inspected_on: NaiveDate,
    /// What was found.
    pub finding: String,
    /// 一般隐患 or 重大隐患.
    pub severity: String,
    /// When it must be put right.
    pub due_date: Option<NaiveDate>,
    /// Whether it was.
    pub rectified: bool,
    /// When.
    pub rectified_on: Option<NaiveDate>,
    /// Not put right, and its date has passed.
    pub overdue: bool,
}

const COLUMNS: &str = "i.id, i.risk_source_id, s.name AS risk_source, i.kind, i.inspected_on, i.finding, i.severity, \
     i.due_date, i.rectified, i.rectified_on, coalesce(NOT i.rectified AND i.due_date < $1, false) AS overdue";

/// Records a self-check of the enterprise's own risk source.
pub async fn record(pool: &sqlx::PgPool, actor: &Actor, body: SelfCheckBody) -> Result<Inspection, Error> {
    let today = super::today();
    let inspected_on = date("inspected_on", &body.inspected_on, today)?;
    let finding = Error::said("finding", body.finding, 2000, true)?;
    if !words::codes(&words::HAZARD_SEVERITY).contains(&body.severity.as_str()) {
        return Err(Error::invalid("severity", format!("`{}` is not 一般隐患 or 重大隐患", body.severity)));
    }
    let due_date = match &body.due_date {
        None => None,
        Some(text) => {
            let day = crate::time::day(text.trim())
                .ok_or_else(|| Error::invalid("due_date", format!("`{text}` is not a date like 2026-12-31")))?;
            if day < inspected_on {
                return Err(Error::invalid("due_date", format!("{day} is before the check ({inspected_on})")));
            }
            Some(day)
        }
    };
    let mut tx = begin_as(pool, actor).await?;
    let known: Option<i64> = sqlx::query_scalar("SELECT id FROM risk_source WHERE id = $1")
        .bind(body.risk_source_id)
        .fetch_optional(&mut *tx)
        .await?;
    if known.is_none() {
        return Err(Error::invalid("risk_source_id", format!("there is no risk source {}", body.risk_source_id)));
    }
    scope::may_name_sources(&mut tx, actor, &[body.risk_source_id]).await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO inspection (risk_source_id, inspected_on, finding, severity, due_date, kind) \
         VALUES ($1, $2, $3, $4, $5, 'self') RETURNING id",
    )
    .bind(body.risk_source_id)
    .bind(inspected_on)
    .bind(&finding)
    .bind(&body.severity)
    .bind(due_date)
    .fetch_one(&mut *tx)
    .await?;
    jurisdiction::check(&mut tx, actor, "inspection", &[id]).await?;
    let stored = one(&mut tx, id, today).await?;
    tx.commit().await?;
    Ok(stored)
}

/// Records that hazard `id` was put right: an enterprise closes its own self-checks only.
pub async fn rectified(pool: &sqlx::PgPool, actor: &Actor, id: i64, body: RectifiedBody) -> Result<Inspection, Error> {
    let today = super::today();
    let on = date("rectified_on", &body.rectified_on, today)?;
    let mut tx = begin_as(pool, actor).await?;
    let row: Option<(i64, String, NaiveDate, bool)> =
        sqlx::query_as("SELECT risk_source_id, kind, inspected_on, rectified FROM inspection WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    let (source, kind, inspected_on, done) = row.ok_or(Error::NotFound { layer: "inspection", id })?;
    scope::may_name_sources(&mut tx, actor, &[source]).await?;
    if scope::is_enterprise(actor) && kind != "self" {
        return Err(Error::Forbidden(format!(
            "inspection {id} is the bureau's; the bureau closes what it found; nothing was written"
        )));
    }
    if done {
        return Err(super::Refused::Rectified { inspection: id }.into());
    }
    if on < inspected_on {
        return Err(Error::invalid("rectified_on", format!("{on} is before the check ({inspected_on})")));
    }
    sqlx::query("UPDATE inspection SET rectified = true, rectified_on = $2 WHERE id = $1")
        .bind(id)
        .bind(on)
        .execute(&mut *tx)
        .await?;
    jurisdiction::check(&mut tx, actor, "inspection", &[id]).await?;
    let stored = one(&mut tx, id, today).await?;
    tx.commit().await?;
    Ok(stored)
}

async fn one(conn: &mut sqlx::PgConnection, id: i64, today: NaiveDate) -> Result<Inspection, Error> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM inspection i JOIN risk_source s ON s.id = i.risk_source_id WHERE i.id = $2"
    )))
    .bind(today)
    .bind(id)
    .fetch_one(conn)
    .await?)
}

/// The inspections the actor may read (an enterprise: of its own sources), newest first, of one
/// risk source if given.
pub async fn list(pool: &sqlx::PgPool, actor: &Actor, risk_source: Option<i64>) -> Result<Vec<Inspection>, Error> {
    let codes: Option<&[String]> = scope::is_enterprise(actor).then_some(&actor.credit_codes);
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM inspection i JOIN risk_source s ON s.id = i.risk_source_id \
         WHERE ($2::bigint IS NULL OR i.risk_source_id = $2) AND ($3::text[] IS NULL OR s.credit_code = ANY($3)) \
         ORDER BY i.inspected_on DESC, i.id DESC LIMIT {MAX_LIST}"
    )))
    .bind(super::today())
    .bind(risk_source)
    .bind(codes)
    .fetch_all(pool)
    .await?)
}
