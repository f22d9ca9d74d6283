//! "What is around here": the features of some map layers within a radius of a point, nearest
//! first, with their geodesic distance from PostGIS.

use serde_json::Value;
use sqlx::types::Json;
use sqlx::{AssertSqlSafe, PgPool};

use super::spec::Layer;
use crate::error::Error;

/// The features of `layers` within `radius_m` of `(lon, lat)`, nearest first (then by layer and
/// id), at most `limit`: GeoJSON Features whose properties are the layer's tile fields with
/// `layer` and `distance_m`.
pub async fn within(
    pool: &PgPool,
    (lon, lat): (f64, f64),
    radius_m: f64,
    layers: &[&Layer],
    limit: i64,
) -> Result<Vec<Value>, Error> {
    // Layer and field names come from the catalogue, never from the request.
    let parts: Vec<String> = layers
        .iter()
        .map(|layer| {
            let props: Vec<String> =
                layer.tile_fields.iter().map(|f| format!("'{f}', {}", layer.tile_field_sql(f))).collect();
            // The bounding box in degrees lets the GiST index cut the candidates before the exact
            // geodesic test; it is widened at high latitudes where a degree of longitude shrinks.
            format!(
                "SELECT t.id, '{name}' AS layer, ST_Distance(t.geom::geography, p.g) AS d, \
                   ST_AsGeoJSON(t.geom, 7)::jsonb AS geometry, jsonb_build_object({props}) AS props \
                 FROM {name} t, p \
                 WHERE t.geom && ST_MakeEnvelope($1 - $4, $2 - $5, $1 + $4, $2 + $5, 4326) \
                   AND ST_DWithin(t.geom::geography, p.g, $3)",
                name = layer.name,
                props = props.join(", ")
            )
        })
        .collect();
    if parts.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "WITH p AS (SELECT ST_SetSRID(ST_MakePoint($1, $2), 4326)::geography AS g) \
         SELECT jsonb_build_object('type', 'Feature', 'id', id, 'geometry', geometry, \
           'properties', props || jsonb_build_object('layer', layer, 'distance_m', round(d::numeric, 1))) \
         FROM ({}) hits ORDER BY d, layer, id LIMIT $6",
        parts.join(" UNION ALL ")
    );
    let dlat = radius_m / 110_574.0 * 1.01;
    let dlon = (radius_m / (111_320.0 * lat.to_radians().cos().max(0.01)) * 1.01).min(360.0);
    let rows: Vec<Json<Value>> = sqlx::query_scalar(AssertSqlSafe(sql))
        .bind(lon)
        .bind(lat)
        .bind(radius_m)
        .bind(dlon)
        .bind(dlat.min(180.0))
        .bind(limit)
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().map(|j| j.0).collect())
}
