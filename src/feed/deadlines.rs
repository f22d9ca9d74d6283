//! Tells the desk of report deadlines (the phone report's on the short clock too) as they come
//! near and pass — a `report_due` event once per incident, deadline and state — and of orders
//! late to be acknowledged or done (`order_due`, once per order and lateness) — however many
//! onemap processes watch (the notices tables keep who was told).

use std::time::Duration;

use sqlx::PgPool;

use crate::auth::Actor;

/// Notes every deadline that is now due soon or overdue and was not noted yet; returns how many.
pub async fn notice(pool: &PgPool) -> sqlx::Result<u64> {
    let mut tx = crate::auth::begin_as(pool, &Actor::system("deadlines")).await?;
    let noticed: Vec<(i64, String, chrono::DateTime<chrono::Utc>, String, String)> = sqlx::query_as(
        "WITH due AS ( \
           SELECT i.id, w.what, s.due_at, i.name, i.severity FROM incident i \
             CROSS JOIN LATERAL (VALUES \
               ('initial', i.initial_report_due_at, i.initial_reported_at, \
                (SELECT d.warn_minutes FROM report_deadline d WHERE d.stage = 'initial' AND d.severity = i.severity)), \
               ('final', i.final_report_due_at, i.final_reported_at, \
                (SELECT d.warn_minutes FROM report_deadline d WHERE d.stage = 'final' AND d.severity = i.severity)), \
               ('phone', i.phone_report_due_at, i.phone_reported_at, (SELECT r.warn_minutes FROM urgent_report_rule r)) \
             ) AS s(stage, due_at, reported_at, warn) \
             CROSS JOIN LATERAL (SELECT s.stage || CASE WHEN s.due_at < now() THEN '_overdue' ELSE '_due_soon' END) AS w(what) \
            WHERE s.reported_at IS NULL AND s.due_at IS NOT NULL \
              AND s.due_at - make_interval(mins => coalesce(s.warn, 0)) < now() \
              AND (s.stage = 'final' OR i.status = 'open') \
         ), fresh AS ( \
           INSERT INTO deadline_notice (incident_id, what, due_at) SELECT id, what, due_at FROM due \
           ON CONFLICT DO NOTHING RETURNING incident_id, what, due_at \
         ) \
         SELECT f.incident_id, f.what, f.due_at, due.name, due.severity FROM fresh f \
           JOIN due ON due.id = f.incident_id AND due.what = f.what ORDER BY f.due_at, f.incident_id",
    )
    .fetch_all(&mut *tx)
    .await?;
    for (incident, what, due_at, name, severity) in &noticed {
        sqlx::query("SELECT onemap_event('report_due', $1)")
            .bind(sqlx::types::Json(serde_json::json!({"incident_id": incident, "what": what, "due_at": due_at,
                                                       "name": name, "severity": severity})))
            .execute(&mut *tx)
            .await?;
    }
    let late_orders = orders(&mut tx).await?;
    tx.commit().await?;
    Ok(noticed.len() as u64 + late_orders)
}

/// Notes every order of a response still running that waits too long for its acknowledgement
/// or is past its due time, once each (`order_due` events); returns how many.
async fn orders(tx: &mut sqlx::PgConnection) -> sqlx::Result<u64> {
    let late: Vec<(i64, String, i64, String, String)> = sqlx::query_as(
        "WITH late AS ( \
           SELECT o.id, w.what FROM response_order o \
             JOIN response r ON r.incident_id = o.incident_id AND r.ended_at IS NULL \
             CROSS JOIN LATERAL (VALUES \
               ('ack_overdue', o.status = 'issued' \
                  AND o.issued_at + make_interval(mins => (SELECT x.ack_minutes FROM order_rule x)) < now()), \
               ('overdue', o.status IN ('issued', 'acknowledged') AND o.due_at < now())) AS w(what, late) \
            WHERE w.late \
         ), fresh AS ( \
           INSERT INTO order_notice (order_id, what) SELECT id, what FROM late \
           ON CONFLICT DO NOTHING RETURNING order_id, what \
         ) \
         SELECT o.id, f.what, o.incident_id, o.what, o.to_ref FROM fresh f JOIN response_order o ON o.id = f.order_id \
         ORDER BY o.due_at, o.id",
    )
    .fetch_all(&mut *tx)
    .await?;
    for (order, what, incident, text, to) in &late {
        sqlx::query("SELECT onemap_event('order_due', $1)")
            .bind(sqlx::types::Json(serde_json::json!({"order_id": order, "what": what, "incident_id": incident,
                                                       "order": text, "to": to})))
            .execute(&mut *tx)
            .await?;
    }
    Ok(late.len() as u64)
}

/// Checks every `every` until the runtime stops, pruning the old events once an hour.
pub async fn watch(pool: PgPool, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    let prune_every = (3600.0 / every.as_secs_f64().max(1.0)).ceil() as u64;
    let mut n: u64 = 0;
    loop {
        ticks.tick().await;
        if let Err(err) = notice(&pool).await {
            tracing::warn!(error = %err, "cannot check the report deadlines");
        }
        if n.is_multiple_of(prune_every)
            && let Err(err) = super::prune(&pool).await
        {
            tracing::warn!(error = %err, "cannot prune the event log");
        }
        n += 1;
    }
}
