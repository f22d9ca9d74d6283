//! Which station a packet's MN names: a Thing registered with its MN and the hash of its
//! password, by the registry's users (district users for stations of their district).

use sqlx::PgPool;

use super::ingest::password_hash;
use crate::auth::{Actor, begin_as, jurisdiction};
use crate::error::{Error, Invalid};

/// What registers a station.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Hj212Station)]
pub struct Registration {
    /// The station's unique code (MN): letters and digits, at most 24.
    pub mn: String,
    /// Its access password (PW): letters and digits, at most 32; kept only as a hash.
    pub password: String,
}

fn code(field: &str, value: &str, max: usize) -> Result<(), Error> {
    if value.is_empty() || value.len() > max || !value.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(Error::Invalid(Invalid::field(field, format!("is 1 to {max} letters and digits"))));
    }
    Ok(())
}

/// Registers Thing `thing` as the station `mn` (replacing its earlier MN and password).
/// False when there is no such Thing.
pub async fn register(pool: &PgPool, actor: &Actor, thing: i64, r: &Registration) -> Result<bool, Error> {
    code("mn", &r.mn, 24)?;
    code("password", &r.password, 32)?;
    let mut tx = begin_as(pool, actor).await?;
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM sta_thing WHERE id = $1)")
        .bind(thing)
        .fetch_one(&mut *tx)
        .await?;
    if !exists {
        return Ok(false);
    }
    jurisdiction::check(&mut tx, actor, "sta_thing", &[thing]).await?;
    sqlx::query(
        "INSERT INTO hj212_station (mn, thing_id, password_hash) VALUES ($1, $2, $3) \
         ON CONFLICT (thing_id) DO UPDATE SET mn = EXCLUDED.mn, password_hash = EXCLUDED.password_hash",
    )
    .bind(&r.mn)
    .bind(thing)
    .bind(password_hash(&r.mn, &r.password))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(true)
}
