//! A dispatch's life: planned → en_route → arrived → consumed or returned (or cancelled before
//! arrival), and what each step does to the stock and the team:
//!
//! - arrived: the goods have left the depot — quantity and reservation both go down;
//! - consumed: used up at the scene; the stock was already taken out on arrival;
//! - returned: what was carried is put back in the depot's stock; a team is available again;
//! - cancelled: the reservation is released; a team is available again.

use serde_json::Value;
use sqlx::PgPool;

use crate::auth::begin_as;
use crate::auth::{Actor, jurisdiction};
use crate::error::Error;

/// Every status, in order of the life of a dispatch.
pub const STATUSES: &[&str] = &crate::layers::words::codes(&crate::layers::words::DISPATCH_STATUS);

/// Whether a dispatch may go from `from` to `to`; `team` when it sends a team (teams are not consumed).
fn allowed(from: &str, to: &str, team: bool) -> bool {
    matches!(
        (from, to),
        ("planned", "en_route" | "arrived" | "cancelled")
            | ("en_route", "arrived" | "cancelled")
            | ("arrived", "returned")
    ) || (from == "arrived" && to == "consumed" && !team)
}

/// Dispatches as JSON records with what they carry, selected by `condition` on `d` with $1.
async fn records(pool: &PgPool, condition: &str, value: i64) -> Result<Vec<Value>, Error> {
    Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT jsonb_build_object('id', d.id, 'incident_id', d.incident_id, 'depot_id', d.depot_id, \
           'team_id', d.team_id, 'site_id', d.site_id, 'status', d.status, 'travel_seconds', d.travel_seconds, \
           'travel_metres', d.travel_metres, 'eta', d.eta, 'planned_at', d.planned_at, \
           'en_route_at', d.en_route_at, 'arrived_at', d.arrived_at, 'finished_at', d.finished_at, \
           'items', coalesce((SELECT jsonb_agg(jsonb_build_object('stock_item_id', i.stock_item_id, 'item', i.item, \
              'unit', i.unit, 'quantity', i.quantity) ORDER BY i.stock_item_id) \
              FROM dispatch_item i WHERE i.dispatch_id = d.id), '[]')) \
         FROM dispatch d WHERE {condition} ORDER BY d.id"
    )))
    .bind(value)
    .fetch_all(pool)
    .await?)
}

/// One dispatch as JSON.
pub async fn show(pool: &PgPool, id: i64) -> Result<Value, Error> {
    records(pool, "d.id = $1", id).await?.pop().ok_or_else(|| Error::NotFound { layer: "dispatch", id })
}

/// The dispatches of an incident, oldest first.
pub async fn of_incident(pool: &PgPool, incident: i64) -> Result<Vec<Value>, Error> {
    records(pool, "d.incident_id = $1", incident).await
}

/// Moves dispatch `id` to `to`, with its effect on stock and team, in one transaction.
/// Returns the team whose status changed, if any.
pub async fn change(pool: &PgPool, actor: &Actor, id: i64, to: &str) -> Result<Option<i64>, Error> {
    if !STATUSES.contains(&to) {
        return Err(Error::invalid("status", format!("`{to}` is not one of: {}", STATUSES.join(", "))));
    }
    let mut tx = begin_as(pool, actor).await?;
    let row: Option<(String, Option<i64>)> =
        sqlx::query_as("SELECT status, team_id FROM dispatch WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    let Some((from, team)) = row else {
        return Err(Error::NotFound { layer: "dispatch", id });
    };
    jurisdiction::check(&mut tx, actor, "dispatch", &[id]).await?;
    if !allowed(&from, to, team.is_some()) {
        return Err(Error::refused(
            "status change not allowed",
            format!("dispatch {id} is {from}; it cannot become {to}"),
        )
        .with("current", from.into()));
    }
    // Stock rows are locked in id order, as the commit does.
    let stock = match to {
        "arrived" => {
            Some("quantity = GREATEST(0, s.quantity - i.quantity), reserved = GREATEST(0, s.reserved - i.quantity)")
        }
        "returned" => Some("quantity = s.quantity + i.quantity"),
        "cancelled" => Some("reserved = GREATEST(0, s.reserved - i.quantity)"),
        _ => None,
    };
    if let Some(set) = stock {
        sqlx::query(
            "SELECT s.id FROM stock_item s JOIN dispatch_item i ON i.stock_item_id = s.id \
             WHERE i.dispatch_id = $1 ORDER BY s.id FOR UPDATE OF s",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE stock_item s SET {set} FROM dispatch_item i WHERE i.dispatch_id = $1 AND i.stock_item_id = s.id"
        )))
        .bind(id)
        .execute(&mut *tx)
        .await?;
    }
    let team_freed = team.filter(|_| matches!(to, "returned" | "cancelled"));
    if let Some(t) = team_freed {
        sqlx::query("UPDATE team SET status = 'available' WHERE id = $1 AND status = 'dispatched'")
            .bind(t)
            .execute(&mut *tx)
            .await?;
    }
    let stamp = match to {
        "en_route" => "en_route_at",
        "arrived" => "arrived_at",
        _ => "finished_at",
    };
    sqlx::query(sqlx::AssertSqlSafe(format!("UPDATE dispatch SET status = $2, {stamp} = now() WHERE id = $1")))
        .bind(id)
        .bind(to)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(team_freed)
}
