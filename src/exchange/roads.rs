//! Road segments written to `route` in bulk (generated networks, OpenStreetMap imports).

use anyhow::Result;
use sqlx::PgPool;

use crate::auth::Actor;
use crate::auth::begin_as;

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

/// A turn restriction between two of the roads written (indices into them).
#[derive(Debug, Clone)]
pub struct Turn {
    /// One of `TURN_KINDS`.
    pub kind: String,
    /// The road the turn comes from.
    pub from: usize,
    /// The road it goes into.
    pub to: usize,
    /// The turn is at the last vertex of `from` (else at its first).
    pub at_end: bool,
    /// The OpenStreetMap relation.
    pub osm_id: i64,
}

/// Writes roads into `route`, and the turn restrictions between them, in one transaction as
/// `actor`, after removing every road first when `replace` (in the same transaction: a failed
/// import leaves the old roads); returns how many roads.
pub async fn insert(pool: &PgPool, actor: &Actor, roads: &[Road], turns: &[Turn], replace: bool) -> Result<usize> {
    let mut tx = begin_as(pool, actor).await?;
    if replace {
        sqlx::query("DELETE FROM route WHERE kind = 'road'").execute(&mut *tx).await?;
    }
    // Ids taken first, so that the restrictions can name the rows.
    let ids: Vec<i64> =
        sqlx::query_scalar("SELECT nextval(pg_get_serial_sequence('route', 'id')) FROM generate_series(1, $1)")
            .bind(roads.len() as i64)
            .fetch_all(&mut *tx)
            .await?;
    for (chunk, chunk_ids) in roads.chunks(20_000).zip(ids.chunks(20_000)) {
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
            "INSERT INTO route (id, kind, name, road_class, speed_kmh, oneway, hazmat_allowed, geom) \
             SELECT i, 'road', n, c, s, o, h, ST_GeomFromText(w, 4326) \
             FROM unnest($7::bigint[], $1::text[], $2::text[], $3::text[], $4::float8[], $5::bool[], $6::bool[]) AS u(i, w, n, c, s, o, h)",
        )
        .bind(&wkt)
        .bind(&names)
        .bind(&classes)
        .bind(&speeds)
        .bind(&oneway)
        .bind(&hazmat)
        .bind(chunk_ids)
        .execute(&mut *tx)
        .await?;
    }
    let kinds: Vec<&str> = turns.iter().map(|t| t.kind.as_str()).collect();
    let from: Vec<i64> = turns.iter().map(|t| ids[t.from]).collect();
    let to: Vec<i64> = turns.iter().map(|t| ids[t.to]).collect();
    let osm: Vec<i64> = turns.iter().map(|t| t.osm_id).collect();
    let via: Vec<&str> = turns.iter().map(|t| if t.at_end { "end" } else { "start" }).collect();
    sqlx::query(
        "INSERT INTO turn_restriction (kind, from_route_id, to_route_id, osm_id, via) \
         SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[])",
    )
    .bind(&kinds)
    .bind(&from)
    .bind(&to)
    .bind(&osm)
    .bind(&via)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(roads.len())
}
