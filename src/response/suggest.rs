//! Which plans a response should activate: those of the risk sources at the incident, of the
//! water sources near it and of its district (government and department plans), each with the
//! scenario nearest the incident — the same substance and medium first.

use serde::Serialize;
use sqlx::PgConnection;

use crate::error::Error;

/// How far from the incident a risk source is "at" it, metres.
pub const SOURCE_M: f64 = 1_000.0;
/// How far a water source may be, metres.
pub const WATER_M: f64 = 10_000.0;

/// A plan onemap suggests.
#[derive(Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Suggested {
    /// The plan.
    pub plan_id: i64,
    /// Its name.
    pub name: String,
    /// Its kind.
    pub kind: String,
    /// Why: source, water_source or district.
    pub why: String,
    /// The scenario nearest the incident.
    pub scenario_id: Option<i64>,
    /// Its title.
    pub scenario: Option<String>,
}

/// The plans with a version in force that bear on incident `incident`.
pub async fn plans(conn: &mut PgConnection, incident: i64) -> Result<Vec<Suggested>, Error> {
    let found: Vec<(i64, String, String, String)> = sqlx::query_as(
        "WITH i AS (SELECT geom, district, (SELECT d.code FROM district d WHERE i.district IN (d.name, d.code) \
                       OR (i.district IS NULL AND ST_Covers(d.geom, i.geom)) LIMIT 1) AS code \
                    FROM incident i WHERE i.id = $1), \
              p AS (SELECT DISTINCT ON (p.id) p.id, p.name, p.kind, w.why, w.rank FROM plan p \
                    JOIN plan_version v ON v.plan_id = p.id AND v.status = 'in_force', i, LATERAL ( \
                      SELECT 'source' AS why, 1 AS rank WHERE EXISTS (SELECT 1 FROM plan_source ps \
                        JOIN risk_source s ON s.id = ps.risk_source_id WHERE ps.plan_id = p.id \
                         AND ST_DWithin(s.geom::geography, i.geom::geography, $2)) \
                      UNION ALL SELECT 'water_source', 2 WHERE p.kind = 'water_source' AND EXISTS (SELECT 1 FROM receptor r \
                        WHERE r.id = p.receptor_id AND ST_DWithin(r.geom::geography, i.geom::geography, $3)) \
                      UNION ALL SELECT 'district', 3 WHERE p.kind IN ('government', 'department') AND p.district = i.code \
                    ) w ORDER BY p.id, w.rank) \
         SELECT id, name, kind, why FROM p ORDER BY rank, id",
    )
    .bind(incident)
    .bind(SOURCE_M)
    .bind(WATER_M)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(found.len());
    for (plan_id, name, kind, why) in found {
        let scenario = nearest_scenario(conn, incident, plan_id).await?;
        let title: Option<String> = match scenario {
            Some(s) => {
                sqlx::query_scalar("SELECT title FROM plan_scenario WHERE id = $1")
                    .bind(s)
                    .fetch_optional(&mut *conn)
                    .await?
            }
            None => None,
        };
        out.push(Suggested { plan_id, name, kind, why, scenario_id: scenario, scenario: title });
    }
    // Within each reason, the plans with a scenario to follow first (the sort is stable).
    let rank = |why: &str| ["source", "water_source", "district"].iter().position(|w| *w == why);
    out.sort_by_key(|s| (rank(&s.why), s.scenario_id.is_none()));
    Ok(out)
}

/// The scenario of plan `plan`'s version in force (else its newest) nearest incident `incident`:
/// the same substance and medium first, then the same medium, then the nearest source.
pub async fn nearest_scenario(conn: &mut PgConnection, incident: i64, plan: i64) -> Result<Option<i64>, Error> {
    Ok(nearest(conn, incident, plan).await?.map(|(id, _)| id))
}

/// The nearest scenario's id and title.
async fn nearest(conn: &mut PgConnection, incident: i64, plan: i64) -> Result<Option<(i64, String)>, Error> {
    Ok(sqlx::query_as(
        "SELECT c.id, c.title FROM plan_scenario c JOIN plan_version v ON v.id = c.version_id \
           JOIN risk_source s ON s.id = c.risk_source_id, incident i \
         WHERE v.plan_id = $2 AND i.id = $1 \
         ORDER BY v.status = 'in_force' DESC, v.number DESC, \
                  (c.substance = i.pollutant AND c.medium = i.kind) DESC, c.medium = i.kind DESC, \
                  ST_Distance(s.geom::geography, i.geom::geography), c.number LIMIT 1",
    )
    .bind(incident)
    .bind(plan)
    .fetch_optional(conn)
    .await?)
}
