//! Tells the desk of plan deadlines as they come near and pass: a `plan_due` event once per
//! plan, deadline and state, however many onemap processes watch (`plan_notice` keeps who was
//! told), as [`crate::feed::deadlines`] does for incident reports.

use sqlx::PgPool;

use super::record::{self, Which};
use crate::auth::Actor;
use crate::error::Error;

/// Notes every plan deadline now due soon or overdue that was not noted yet; returns how many.
pub async fn notice(pool: &PgPool) -> Result<u64, Error> {
    let today = super::today();
    let mut tx = crate::auth::begin_as(pool, &Actor::system("plan deadlines")).await?;
    let plans = record::read(&mut tx, &Which::default(), today).await?;
    let mut noted = 0;
    for plan in &plans {
        for due in plan.clock.iter().filter(|d| d.standing.is_flag()) {
            let Some(on) = due.on else { continue };
            let what = format!("{}_{}", due.clock.code(), due.standing.code());
            let fresh = sqlx::query(
                "INSERT INTO plan_notice (plan_id, what, due_on) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(plan.fields.id)
            .bind(&what)
            .bind(on)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if fresh == 0 {
                continue;
            }
            let data = serde_json::json!({"plan_id": plan.fields.id, "name": plan.fields.name,
                                          "district": plan.fields.district, "what": what, "due_on": on});
            sqlx::query("SELECT onemap_event('plan_due', $1)").bind(sqlx::types::Json(data)).execute(&mut *tx).await?;
            noted += 1;
        }
    }
    tx.commit().await?;
    Ok(noted)
}

/// Checks every `every` (the plans' deadlines move by days) until the runtime stops.
pub async fn watch(pool: PgPool, every: std::time::Duration) {
    let mut ticks = tokio::time::interval(every);
    loop {
        ticks.tick().await;
        if let Err(err) = notice(&pool).await {
            tracing::warn!(error = %err, "cannot check the plans' deadlines");
        }
    }
}
