//! Polygon validity (OGC Simple Features: no self-intersection, holes inside their shell and
//! apart), decided by PostGIS's `ST_IsValidDetail` (GEOS: segments noded through an index,
//! O(n log n)) — geo's own check compares every segment with every other, which a request of
//! a few thousand positions turns into seconds. Writes check inside their own transaction.

use geo::Geometry;
use sqlx::PgExecutor;

/// GEOS's reasons, in onemap's words.
const REASONS: &[(&str, &str)] = &[
    ("Ring Self-intersection", "a ring touches itself"),
    ("Self-intersection", "its boundary crosses itself"),
    ("Hole lies outside shell", "a hole lies outside its exterior ring"),
    ("Holes are nested", "a hole lies inside another hole"),
    ("Nested holes", "a hole lies inside another hole"),
    ("Interior is disconnected", "its holes cut the interior apart"),
    ("Nested shells", "one polygon of the MultiPolygon lies inside another"),
    ("Duplicate Rings", "two rings are the same"),
    ("Too few", "a ring has too few distinct positions"),
    ("Invalid Coordinate", "a position is not a number"),
    ("Ring is not closed", "a ring is not closed"),
];

/// Which geometry, why, and where (longitude, latitude).
type Found = (i32, Option<String>, Option<f64>, Option<f64>);

/// The first of `geometries` that is not a valid polygon, with what is wrong and where
/// (points and lines are not looked at: their checks are linear and done at parsing).
pub async fn first_invalid<'c>(
    db: impl PgExecutor<'c>,
    geometries: &[Option<&Geometry<f64>>],
) -> Result<Option<(usize, String)>, sqlx::Error> {
    let polygons: Vec<serde_json::Value> = geometries
        .iter()
        .enumerate()
        .filter_map(|(i, g)| match g {
            Some(g @ (Geometry::Polygon(_) | Geometry::MultiPolygon(_))) => {
                Some(serde_json::json!({"i": i, "g": geojson::Geometry::from(*g).to_string()}))
            }
            _ => None,
        })
        .collect();
    if polygons.is_empty() {
        return Ok(None);
    }
    let found: Option<Found> = sqlx::query_as(
        "SELECT (e->>'i')::int, d.reason, ST_X(d.location), ST_Y(d.location) \
         FROM jsonb_array_elements($1) AS e, LATERAL ST_IsValidDetail(ST_GeomFromGeoJSON(e->>'g')) AS d \
         WHERE NOT d.valid ORDER BY 1 LIMIT 1",
    )
    .bind(sqlx::types::Json(&polygons))
    .fetch_optional(db)
    .await?;
    Ok(found.map(|(i, reason, x, y)| {
        let reason = reason.unwrap_or_default();
        let words =
            REASONS.iter().find(|(geos, _)| reason.starts_with(geos)).map_or("it is not a valid polygon", |r| r.1);
        let at = match (x, y) {
            (Some(x), Some(y)) => format!(" near ({x:.6}, {y:.6})"),
            _ => String::new(),
        };
        let kind =
            if matches!(geometries[i as usize], Some(Geometry::MultiPolygon(_))) { "MultiPolygon" } else { "Polygon" };
        (i as usize, format!("invalid {kind}: {words}{at}"))
    }))
}
