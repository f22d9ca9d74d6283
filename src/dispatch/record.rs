//! A dispatch as it is answered: who was sent from where to which incident (or interception
//! site), how far and how long, where it is in its life, and what it carries.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgConnection;

use super::status::Status;
use crate::error::Error;

/// One dispatch: a depot's goods or a team, sent to an incident.
#[derive(Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Dispatch {
    /// The dispatch's id.
    pub id: i64,
    /// The incident it serves.
    pub incident_id: i64,
    /// The depot the goods come from (none for a team).
    pub depot_id: Option<i64>,
    /// The team sent (none for goods).
    pub team_id: Option<i64>,
    /// The interception site it goes to instead of the incident itself.
    pub site_id: Option<i64>,
    /// planned, en_route, arrived, consumed, returned or cancelled.
    #[sqlx(try_from = "String")]
    #[schema(value_type = String)]
    pub status: Status,
    /// Road time, seconds.
    pub travel_seconds: f64,
    /// Road distance, metres.
    pub travel_metres: f64,
    /// When it is expected there.
    pub eta: DateTime<Utc>,
    /// When it was planned (stock reserved, team assigned).
    pub planned_at: DateTime<Utc>,
    /// When it set off.
    pub en_route_at: Option<DateTime<Utc>>,
    /// When it arrived.
    pub arrived_at: Option<DateTime<Utc>>,
    /// When it was consumed, returned or cancelled.
    pub finished_at: Option<DateTime<Utc>>,
    /// What it carries, by stock row (none for a team).
    #[sqlx(skip)]
    pub items: Vec<Carried>,
}

/// What a dispatch carries of one stock row.
#[derive(Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Carried {
    /// The stock row it was taken from.
    pub stock_item_id: i64,
    /// The item.
    pub item: String,
    /// Its unit.
    pub unit: String,
    /// How much.
    pub quantity: f64,
    #[serde(skip)]
    #[schema(ignore)]
    dispatch_id: i64,
}

/// The dispatches of one incident.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Dispatches {
    /// The incident.
    pub incident_id: i64,
    /// Oldest first.
    pub dispatches: Vec<Dispatch>,
}

/// Which dispatches to read.
pub(super) enum Which<'a> {
    /// Those of one incident.
    OfIncident(i64),
    /// Those with these ids.
    These(&'a [i64]),
}

/// Dispatches with what they carry, oldest first.
pub(super) async fn records(conn: &mut PgConnection, which: Which<'_>) -> Result<Vec<Dispatch>, Error> {
    const COLUMNS: &str = "SELECT id, incident_id, depot_id, team_id, site_id, status, travel_seconds, \
         travel_metres, eta, planned_at, en_route_at, arrived_at, finished_at FROM dispatch";
    let query = match which {
        Which::OfIncident(incident) => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!("{COLUMNS} WHERE incident_id = $1 ORDER BY id"))).bind(incident)
        }
        Which::These(ids) => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!("{COLUMNS} WHERE id = ANY($1) ORDER BY id"))).bind(ids.to_vec())
        }
    };
    let mut list: Vec<Dispatch> = query.fetch_all(&mut *conn).await?;
    let ids: Vec<i64> = list.iter().map(|d| d.id).collect();
    let carried: Vec<Carried> = sqlx::query_as(
        "SELECT dispatch_id, stock_item_id, item, unit, quantity FROM dispatch_item \
         WHERE dispatch_id = ANY($1) ORDER BY dispatch_id, stock_item_id",
    )
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await?;
    for c in carried {
        if let Some(d) = list.iter_mut().find(|d| d.id == c.dispatch_id) {
            d.items.push(c);
        }
    }
    Ok(list)
}

/// One dispatch.
pub async fn show(conn: &mut PgConnection, id: i64) -> Result<Dispatch, Error> {
    records(conn, Which::These(&[id])).await?.pop().ok_or(Error::NotFound { layer: "dispatch", id })
}

/// The dispatches of an incident, oldest first.
pub async fn of_incident(conn: &mut PgConnection, incident: i64) -> Result<Dispatches, Error> {
    Ok(Dispatches { incident_id: incident, dispatches: records(conn, Which::OfIncident(incident)).await? })
}
