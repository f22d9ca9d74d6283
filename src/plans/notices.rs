//! Tells the desk of plan deadlines as they come near and pass — a `plan_due` event once per
//! plan, deadline and state — and of the live checks' revision flags — a `plan_flag` event once
//! per flag and version in force — however many onemap processes watch (`plan_notice` keeps
//! who was told), as [`crate::feed::deadlines`] does for incident reports — and keeps where each
//! plan stands for the map ([`super::standing`]).

use std::sync::Arc;

use sqlx::PgPool;

use super::record::{self, Which};
use crate::auth::Actor;
use crate::error::Error;
use crate::routing::RoadGraph;

/// Notes every plan deadline now due soon or overdue, and every revision flag, that was not
/// noted yet (water scenarios traced on `rivers`); returns how many.
pub async fn notice(pool: &PgPool, rivers: Arc<RoadGraph>) -> Result<u64, Error> {
    let today = super::today();
    let mut tx = crate::auth::begin_as(pool, &Actor::system("plan deadlines")).await?;
    let plans = record::read(&mut tx, &Which::default(), today).await?;
    let mut noted = 0;
    for mut plan in plans {
        for due in plan.clock.iter().filter(|d| d.standing.is_flag()) {
            let Some(on) = due.on else { continue };
            let what = format!("{}_{}", due.clock.code(), due.standing.code());
            let data = serde_json::json!({"what": what, "due_on": on});
            noted += tell(&mut tx, &plan, Told::Due, &what, on, data).await?;
        }
        if let Some(in_force_on) = plan.in_force.and_then(|v| plan.version(v)).and_then(|v| v.in_force_on) {
            let flags = super::checks::check(pool, rivers.clone(), &plan, today).await?;
            for flag in &flags {
                let data = serde_json::json!({"reason": flag.reason, "detail": flag.detail});
                noted += tell(&mut tx, &plan, Told::Flag, &format!("flag:{}", flag.key), in_force_on, data).await?;
            }
            plan.flagged(flags);
        }
        // The map follows the days and the flags.
        super::standing::keep(&mut tx, plan.fields.id, &plan.standing, super::standing::Flags::Checked, today).await?;
    }
    tx.commit().await?;
    Ok(noted)
}

/// What the feed is told of a plan.
#[derive(Debug, Clone, Copy)]
enum Told {
    /// A deadline near or past (`plan_due`).
    Due,
    /// A revision flag (`plan_flag`).
    Flag,
}

/// Tells the feed (`kind`, with `data` and the plan) of `what` about `plan`, dated `on`, unless
/// it was told already; 1 when told.
async fn tell(
    tx: &mut sqlx::PgConnection,
    plan: &super::record::Plan,
    kind: Told,
    what: &str,
    on: chrono::NaiveDate,
    mut data: serde_json::Value,
) -> Result<u64, Error> {
    let fresh =
        sqlx::query("INSERT INTO plan_notice (plan_id, what, due_on) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(plan.fields.id)
            .bind(what)
            .bind(on)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    if fresh == 0 {
        return Ok(0);
    }
    data["plan_id"] = plan.fields.id.into();
    data["name"] = plan.fields.name.clone().into();
    data["district"] = plan.fields.district.clone().into();
    let sql = match kind {
        Told::Due => "SELECT onemap_event('plan_due', $1)",
        Told::Flag => "SELECT onemap_event('plan_flag', $1)",
    };
    sqlx::query(sql).bind(sqlx::types::Json(data)).execute(&mut *tx).await?;
    Ok(1)
}

/// Checks every `every` (the plans' deadlines move by days) until the runtime stops.
pub async fn watch(pool: PgPool, rivers: Arc<arc_swap::ArcSwap<RoadGraph>>, every: std::time::Duration) {
    let mut ticks = tokio::time::interval(every);
    loop {
        ticks.tick().await;
        if let Err(err) = notice(&pool, rivers.load_full()).await {
            tracing::warn!(error = %err, "cannot check the plans' deadlines");
        }
    }
}
