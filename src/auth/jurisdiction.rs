//! Jurisdiction: a user bound to a district writes only rows of that district (the row's
//! stored `district` and its geometry both in it, or its parent in it), checked inside the
//! write's own transaction — before a change for the rows as they were, after it for the rows
//! as they became — by the database function `onemap_in_district` that the audit view uses
//! too. District rows themselves are written by city-wide users only: the shape of a district
//! decides every later check, so its own users must not move it.

use sqlx::PgConnection;

use super::Actor;
use crate::error::Error;

/// Refuses (403) when one of rows `ids` of `table` lies outside the actor's district.
/// `table` comes from the static catalogue, never from a request.
pub async fn check(tx: &mut PgConnection, actor: &Actor, table: &str, ids: &[i64]) -> Result<(), Error> {
    let Some(code) = &actor.district else { return Ok(()) };
    if table == "district" {
        return Err(Error::Forbidden(format!(
            "{} acts for district {code} only; districts (their names and boundaries) are changed by a \
             city-wide planner or an administrator; nothing was written",
            actor.name
        )));
    }
    if ids.is_empty() {
        return Ok(());
    }
    let outside: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT t.id FROM {table} t WHERE t.id = ANY($1) AND NOT onemap_in_district($2, to_jsonb(t), $3) \
         ORDER BY t.id LIMIT 1"
    )))
    .bind(ids)
    .bind(table)
    .bind(code)
    .fetch_optional(&mut *tx)
    .await?;
    match outside {
        Some(id) => Err(outside_error(tx, actor, table, id).await),
        None => Ok(()),
    }
}

async fn outside_error(tx: &mut PgConnection, actor: &Actor, table: &str, id: i64) -> Error {
    let code = actor.district.as_deref().unwrap_or_default();
    let name: Option<String> = sqlx::query_scalar("SELECT name FROM district WHERE code = $1")
        .bind(code)
        .fetch_optional(&mut *tx)
        .await
        .ok()
        .flatten();
    Error::Forbidden(format!(
        "{table} {id} lies outside district {} ({code}), the only district {} may change; \
         a user of that district or of the whole city is needed; nothing was written",
        name.as_deref().unwrap_or("?"),
        actor.name
    ))
}
