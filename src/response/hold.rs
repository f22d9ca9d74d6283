//! What every step of the command begins with: the incident locked and the actor's right to
//! command it checked.

use sqlx::PgConnection;

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
