//! Road segments written to `route` in bulk (generated networks, OpenStreetMap imports).

use anyhow::Result;
use sqlx::PgPool;

use crate::auth::Actor;
use crate::db::begin_as;

/// One road segment.
#[derive(Debug, Clone)]
pub struct Road {
    /// Street name, if any.
    pub name: Option<String>,
    /// Highway class (one of `ROAD_CLASSES`).
    pub class: &'static str,
    /// Speed, km/h.
    pub speed_kmh: f64,
    /// One-way in drawing direction.
    pub oneway: bool,
    /// Hazardous goods allowed.
    pub hazmat_allowed: bool,
    /// Vertices, lon/lat.
    pub points: Vec<[f64; 2]>,
}

/// Writes roads into `route` in one transaction as `actor`, after removing every road first
/// when `replace` (in the same transaction: a failed import leaves the old roads); returns how many.
pub async fn insert(pool: &PgPool, actor: &Actor, roads: &[Road], replace: bool) -> Result<usize> {
    let mut tx = begin_as(pool, actor).await?;
    if replace {
        sqlx::query("DELETE FROM route WHERE kind = 'road'").execute(&mut *tx).await?;
    }
    for chunk in roads.chunks(20_000) {
        let wkt: Vec<String> = chunk
            .iter()
            .map(|r| {
                let coords: Vec<String> = r.points.iter().map(|p| format!("{} {}", p[0], p[1])).collect();
                format!("LINESTRING({})", coords.join(","))
            })
            .collect();
        let names: Vec<Option<&str>> = chunk.iter().map(|r| r.name.as_deref()).collect();
        let classes: Vec<&str> = chunk.iter().map(|r| r.class).collect();
        let speeds: Vec<f64> = chunk.iter().map(|r| r.speed_kmh).collect();
        let oneway: Vec<bool> = chunk.iter().map(|r| r.oneway).collect();
        let hazmat: Vec<bool> = chunk.iter().map(|r| r.hazmat_allowed).collect();
        sqlx::query(
            "INSERT INTO route (kind, name, road_class, speed_kmh, oneway, hazmat_allowed, geom) \
             SELECT 'road', n, c, s, o, h, ST_GeomFromText(w, 4326) \
             FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::bool[], $6::bool[]) AS u(w, n, c, s, o, h)",
        )
        .bind(&wkt)
        .bind(&names)
        .bind(&classes)
        .bind(&speeds)
        .bind(&oneway)
        .bind(&hazmat)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(roads.len())
}
