//! Teams ready to be sent: the one question nearest, dispatch and interception all ask of the
//! team layer.

use sqlx::PgPool;

use crate::error::Error;

/// A team available now.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Available {
    /// The team's id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Where it is: longitude.
    pub lon: f64,
    /// Where it is: latitude.
    pub lat: f64,
    /// What it can do.
    pub specialties: Vec<String>,
    /// How many people.
    pub headcount: i32,
    /// Its district.
    pub district: Option<String>,
}

/// The teams available now with any of `specialties` (every available team when None), in id
/// order.
pub async fn available(pool: &PgPool, specialties: Option<&[&str]>) -> Result<Vec<Available>, Error> {
    Ok(sqlx::query_as(
        "SELECT id, name, ST_X(geom) AS lon, ST_Y(geom) AS lat, specialties, headcount, district FROM team \
         WHERE status = 'available' AND ($1::text[] IS NULL OR specialties && $1) ORDER BY id",
    )
    .bind(specialties)
    .fetch_all(pool)
    .await?)
}
