//! Findings of a drill or a real response that call for a revision (环发〔2015〕4号 art. 12(5)):
//! recorded against the plan, each a revision flag until a newer version is in force.

use serde::{Deserialize, Serialize};

use super::hold::{date, hold_plan};
use crate::auth::{Actor, begin_as};
use crate::error::Error;

/// A finding as asked.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FindingBody {
    /// drill or response.
    pub kind: String,
    /// When it was found (YYYY-MM-DD, not after today).
    pub found_on: String,
    /// What was found (at most 4,000 characters).
    pub finding: String,
    /// The incident whose response found it.
    pub incident_id: Option<i64>,
}

/// A finding as stored.
#[derive(Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[schema(as = PlanFinding)]
pub struct Finding {
    /// The finding's id.
    pub id: i64,
    /// The plan.
    pub plan_id: i64,
    /// drill or response.
    pub kind: String,
    /// When it was found.
    pub found_on: chrono::NaiveDate,
    /// What was found.
    pub finding: String,
    /// The incident, for a response.
    pub incident_id: Option<i64>,
    /// Who recorded it.
    pub author: String,
}

/// Records a finding against plan `plan`.
pub async fn record(pool: &sqlx::PgPool, actor: &Actor, plan: i64, body: FindingBody) -> Result<Finding, Error> {
    if !matches!(body.kind.as_str(), "drill" | "response") {
        return Err(Error::invalid("kind", format!("`{}` is not drill or response", body.kind)));
    }
    let found_on = date("found_on", &body.found_on, super::today())?;
    let finding = Error::said("finding", body.finding, 4000, true)?;
    let mut tx = begin_as(pool, actor).await?;
    let stored = record_in(&mut tx, actor, plan, body.kind, found_on, finding, body.incident_id).await?;
    tx.commit().await?;
    Ok(stored)
}

/// Records a finding, checked, against plan `plan` in the caller's transaction (a drill's
/// evaluation writes its findings with its end), and flags the plan for revision.
pub async fn record_in(
    tx: &mut sqlx::PgConnection,
    actor: &Actor,
    plan: i64,
    kind: String,
    found_on: chrono::NaiveDate,
    finding: String,
    incident_id: Option<i64>,
) -> Result<Finding, Error> {
    hold_plan(&mut *tx, actor, plan).await?;
    if let Some(incident) = incident_id {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT id FROM incident WHERE id = $1").bind(incident).fetch_optional(&mut *tx).await?;
        if found.is_none() {
            return Err(Error::invalid("incident_id", format!("there is no incident {incident}")));
        }
    }
    let stored: Finding = sqlx::query_as(
        "INSERT INTO plan_finding (plan_id, kind, found_on, finding, incident_id, author) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, plan_id, kind, found_on, finding, incident_id, author",
    )
    .bind(plan)
    .bind(&kind)
    .bind(found_on)
    .bind(&finding)
    .bind(incident_id)
    .bind(&actor.name)
    .fetch_one(&mut *tx)
    .await?;
    super::standing::flagged(&mut *tx, plan, super::today()).await?;
    Ok(stored)
}
