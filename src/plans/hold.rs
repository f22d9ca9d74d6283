//! What every step of a plan begins with: the plan locked for the step and the actor's right
//! to write it checked, the version in its present state, a date as a request gives it.

use chrono::NaiveDate;
use sqlx::PgConnection;

use super::codes::VersionStatus;
use super::scope;
use crate::auth::Actor;
use crate::error::Error;

/// A request's date `field`: `YYYY-MM-DD`, not after `today`.
pub fn date(field: &str, text: &str, today: NaiveDate) -> Result<NaiveDate, Error> {
    let day = crate::time::day(text.trim())
        .ok_or_else(|| Error::invalid(field, format!("`{text}` is not a date like 2026-09-28")))?;
    if day > today {
        return Err(Error::invalid(field, format!("{day} is after today ({today}): record what has happened")));
    }
    Ok(day)
}

/// The version `version` of plan `plan`, locked, with its status and number.
pub async fn held(conn: &mut PgConnection, plan: i64, version: i64) -> Result<(VersionStatus, i32), Error> {
    let row: Option<(String, i32)> =
        sqlx::query_as("SELECT status, number FROM plan_version WHERE id = $1 AND plan_id = $2 FOR UPDATE")
            .bind(version)
            .bind(plan)
            .fetch_optional(&mut *conn)
            .await?;
    let (status, number) = row.ok_or(Error::NotFound { layer: "plan_version", id: version })?;
    Ok((VersionStatus::parse(&status)?, number))
}

/// Locks plan `plan` and checks the actor may write it.
pub async fn hold_plan(conn: &mut PgConnection, actor: &Actor, plan: i64) -> Result<(), Error> {
    sqlx::query("SELECT id FROM plan WHERE id = $1 FOR UPDATE")
        .bind(plan)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(Error::NotFound { layer: "plan", id: plan })?;
    scope::may_write(conn, actor, plan).await
}
