//! Who sees and writes which plan: the bureau's readers see every plan whole; an enterprise sees
//! its own plans whole and others' public fields only, and writes only plans whose every risk
//! source carries one of its credit codes; a district user writes plans filed with its district.

use sqlx::PgConnection;

use crate::auth::{Action, Actor, Role, jurisdiction};
use crate::error::Error;

/// How much of a plan the actor may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sight {
    /// Every field, every document.
    Whole,
    /// The public fields and the public summary (简本) only.
    Public,
}

/// Whether `actor` is an enterprise.
pub fn is_enterprise(actor: &Actor) -> bool {
    actor.role == Some(Role::Enterprise)
}

/// Whether the plan is the enterprise's own: it has risk sources and each carries one of `codes`.
pub async fn owns(conn: &mut PgConnection, codes: &[String], plan: i64) -> Result<bool, Error> {
    let own: Option<bool> = sqlx::query_scalar(
        "SELECT bool_and(coalesce(s.credit_code = ANY($2), false)) FROM plan_source p \
         JOIN risk_source s ON s.id = p.risk_source_id WHERE p.plan_id = $1",
    )
    .bind(plan)
    .bind(codes)
    .fetch_one(&mut *conn)
    .await?;
    Ok(own.unwrap_or(false))
}

/// How much of plan `plan` the actor sees.
pub async fn sight(conn: &mut PgConnection, actor: &Actor, plan: i64) -> Result<Sight, Error> {
    if actor.role.is_some_and(|r| r.may(Action::Read)) {
        return Ok(Sight::Whole);
    }
    if is_enterprise(actor) && owns(conn, &actor.credit_codes, plan).await? {
        return Ok(Sight::Whole);
    }
    Ok(Sight::Public)
}

/// Refuses (403) a write of plan `plan` by an actor who may not write it.
pub async fn may_write(conn: &mut PgConnection, actor: &Actor, plan: i64) -> Result<(), Error> {
    if is_enterprise(actor) {
        if !owns(conn, &actor.credit_codes, plan).await? {
            return Err(not_theirs(actor, &format!("plan {plan}")));
        }
        return Ok(());
    }
    jurisdiction::check(conn, actor, "plan", &[plan]).await
}

/// Refuses (403) an enterprise naming risk sources that do not carry its credit codes.
pub async fn may_name_sources(conn: &mut PgConnection, actor: &Actor, sources: &[i64]) -> Result<(), Error> {
    if !is_enterprise(actor) {
        return Ok(());
    }
    let foreign: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM risk_source WHERE id = ANY($1) AND NOT coalesce(credit_code = ANY($2), false) \
         ORDER BY id LIMIT 1",
    )
    .bind(sources)
    .bind(&actor.credit_codes)
    .fetch_optional(&mut *conn)
    .await?;
    match foreign {
        Some(id) => Err(not_theirs(actor, &format!("risk source {id}"))),
        None => Ok(()),
    }
}

fn not_theirs(actor: &Actor, what: &str) -> Error {
    Error::Forbidden(format!(
        "{} acts for the risk sources of credit code {} only; {what} is not theirs; nothing was written",
        actor.name,
        actor.credit_codes.join(", ")
    ))
}
