//! What every step of the command begins with: the incident locked and the actor's right to
//! command it checked (and, for what happens within a response, the response open).

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use super::Refused;

use crate::auth::{Actor, jurisdiction};
use crate::error::Error;

/// Locks incident `incident` for a step of the command and checks the actor commands it.
pub async fn incident(conn: &mut PgConnection, actor: &Actor, incident: i64) -> Result<(), Error> {
    sqlx::query("SELECT id FROM incident WHERE id = $1 FOR UPDATE")
        .bind(incident)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(Error::NotFound { layer: "incident", id: incident })?;
    jurisdiction::check(conn, actor, "incident", &[incident]).await
}

/// Locks incident `incident` for the actor's command and checks its response is open.
pub async fn open_response(conn: &mut PgConnection, actor: &Actor, incident: i64) -> Result<(), Error> {
    self::incident(conn, actor, incident).await?;
    let ended: Option<Option<DateTime<Utc>>> =
        sqlx::query_scalar("SELECT ended_at FROM response WHERE incident_id = $1")
            .bind(incident)
            .fetch_optional(&mut *conn)
            .await?;
    match ended {
        None => Err(Refused::NoResponse { incident }.into()),
        Some(Some(at)) => Err(Refused::Ended { incident, at }.into()),
        Some(None) => Ok(()),
    }
}
