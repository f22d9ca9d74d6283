//! Where each plan stands, kept in `plan_standing` for the map, which colours every risk source
//! by the worst of its plans (`risk_source_plan` in SQL): written with each step of a plan, and
//! by the watcher as the days pass and the live checks raise or clear their flags. A change
//! tells the map (the risk sources' tiles follow).

use sqlx::PgConnection;

use crate::error::Error;

/// Whether a step may turn a standing of `revise` back to `in_force` (the live checks may).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flags {
    /// The standing was reckoned with the live checks: it is the whole answer.
    Checked,
    /// Reckoned from the clock alone: a flag found earlier stands until the checks clear it.
    Kept,
}

/// Keeps `standing` (as reckoned) of plan `plan` from `today` on, if it changed.
pub async fn keep(
    conn: &mut PgConnection,
    plan: i64,
    standing: &str,
    flags: Flags,
    today: chrono::NaiveDate,
) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO plan_standing (plan_id, standing, since) VALUES ($1, $2, $3) \
         ON CONFLICT (plan_id) DO UPDATE SET standing = EXCLUDED.standing, since = EXCLUDED.since \
         WHERE plan_standing.standing IS DISTINCT FROM EXCLUDED.standing \
           AND NOT ($4 AND plan_standing.standing = 'revise' AND EXCLUDED.standing = 'in_force')",
    )
    .bind(plan)
    .bind(standing)
    .bind(today)
    .bind(flags == Flags::Kept)
    .execute(conn)
    .await?;
    Ok(())
}

/// A flag found now (a drill's or a response's finding): a plan standing `in_force` stands
/// `revise` from `today`, before the watcher's next round of checks.
pub async fn flagged(conn: &mut PgConnection, plan: i64, today: chrono::NaiveDate) -> Result<(), Error> {
    sqlx::query(
        "UPDATE plan_standing SET standing = 'revise', since = $2 WHERE plan_id = $1 AND standing = 'in_force'",
    )
    .bind(plan)
    .bind(today)
    .execute(conn)
    .await?;
    Ok(())
}
