//! What the registry has today of a resource a plan counts on: the free stock not expired (and
//! the part of it that lasts to the next review), or the teams not off duty — with who holds it
//! and how to reach them, for the plan card and the live checks.

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::PgPool;

use super::scenario::Resource;
use crate::error::Error;

/// Most holders named for one resource.
const MAX_HOLDERS: i64 = 5;

/// What there is today of a resource.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Available {
    /// Free stock not expired today, or teams not off duty.
    pub now: f64,
    /// The part of the stock that does not expire before the next review (teams: `now`).
    pub lasting: f64,
    /// Where it was looked for, in words.
    pub place: String,
    /// Who holds it: depots or teams, with their contact.
    pub holders: Vec<Holder>,
}

/// A depot or a team holding a resource.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Holder {
    /// Its name.
    pub name: String,
    /// How to reach it.
    pub contact: Option<String>,
}

/// The rows of `table` (depot or team, `t`) the resource names: one by id, or those of a
/// district, or (neither) those of the plan's districts. `$1` the id, `$2` the district, `$3`
/// the plan's districts.
fn named(alias: &str) -> String {
    format!(
        "CASE WHEN $1::bigint IS NOT NULL THEN {alias}.id = $1 \
              ELSE EXISTS (SELECT 1 FROM district x \
                            WHERE x.code = ANY(CASE WHEN $2::text IS NULL THEN $3 ELSE ARRAY[$2::text] END) \
                              AND {alias}.district IN (x.code, x.name)) END"
    )
}

/// Where a resource is looked for, in words: the depot or team by name, or a district's
/// (`what` they are), or the plan's districts'. `table` comes from this module, never a request.
async fn place(
    pool: &PgPool,
    table: &str,
    id: Option<i64>,
    district: Option<&str>,
    what: &str,
) -> Result<String, Error> {
    let name: Option<String> = match (id, district) {
        (Some(id), _) => {
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT name FROM {table} WHERE id = $1")))
                .bind(id)
                .fetch_optional(pool)
                .await?
        }
        (None, Some(code)) => sqlx::query_scalar("SELECT name FROM district WHERE code = $1")
            .bind(code)
            .fetch_optional(pool)
            .await?
            .map(|n: String| format!("{n}的{what}")),
        (None, None) => None,
    };
    Ok(name.unwrap_or_else(|| match id {
        Some(id) => format!("{what} {id}（已不在登记册中）"),
        None => format!("预案覆盖区县的{what}"),
    }))
}

/// What there is of `r` today, for a plan covering `districts`, its next review on `next_review`.
pub async fn of(
    pool: &PgPool,
    districts: &[String],
    r: &Resource,
    today: NaiveDate,
    next_review: Option<NaiveDate>,
) -> Result<Available, Error> {
    match r {
        Resource::Stock { item, unit, depot_id, district, .. } => {
            let (now, lasting): (f64, f64) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT coalesce(sum(i.quantity - i.reserved), 0), \
                        coalesce(sum(i.quantity - i.reserved) FILTER (WHERE i.expiry_date IS NULL OR $7::date IS NULL \
                                                                       OR i.expiry_date > $7), 0) \
                   FROM stock_item i JOIN depot d ON d.id = i.depot_id \
                  WHERE i.item = $4 AND i.unit = $5 AND (i.expiry_date IS NULL OR i.expiry_date >= $6) AND {}",
                named("d")
            )))
            .bind(depot_id)
            .bind(district)
            .bind(districts)
            .bind(item)
            .bind(unit)
            .bind(today)
            .bind(next_review)
            .fetch_one(pool)
            .await?;
            let holders = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT d.name, d.contact FROM depot d WHERE {} AND EXISTS (SELECT 1 FROM stock_item i \
                   WHERE i.depot_id = d.id AND i.item = $4 AND i.quantity > i.reserved) ORDER BY d.id LIMIT {MAX_HOLDERS}",
                named("d")
            )))
            .bind(depot_id)
            .bind(district)
            .bind(districts)
            .bind(item)
            .fetch_all(pool)
            .await?;
            let place = place(pool, "depot", *depot_id, district.as_deref(), "储备库").await?;
            Ok(Available { now, lasting, place, holders })
        }
        Resource::Team { specialty, team_id, district, .. } => {
            let holders: Vec<Holder> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT t.name, t.contact FROM team t WHERE t.status <> 'off_duty' AND $4 = ANY(t.specialties) AND {} \
                 ORDER BY t.id",
                named("t")
            )))
            .bind(team_id)
            .bind(district)
            .bind(districts)
            .bind(specialty)
            .fetch_all(pool)
            .await?;
            let now = holders.len() as f64;
            let place = place(pool, "team", *team_id, district.as_deref(), "救援队伍").await?;
            Ok(Available { now, lasting: now, place, holders })
        }
    }
}
