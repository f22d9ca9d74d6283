//! A version's scenarios (情景, 一源一事一案): the source (a risk source of the plan, or a unit
//! within it), the substance (one the source holds), the release (a rate, or an amount over its
//! minutes), the medium; the measures in order (what, by whom, within how long of the alarm) and
//! the resources the plan counts on (stock and teams, its own or by agreement). What a scenario
//! threatens is computed by [`super::threat`].

use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use sqlx::types::Json;

use super::hold::{held, hold_plan};
use super::refused::Refused;
use crate::auth::{Actor, begin_as};
use crate::error::Error;

/// Most measures, and most resources, of one scenario.
pub const MAX_ITEMS: usize = 50;
/// Most scenarios of one version.
pub const MAX_PER_VERSION: i64 = 30;
/// Longest a measure may take to begin after the alarm, minutes (a week).
const MAX_WITHIN_MIN: f64 = 10_080.0;

/// The weather a plan states for an air scenario (the worst case, F and 1.5 m/s, is computed
/// beside it in the same direction).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Weather {
    /// Wind speed, m/s.
    pub wind_ms: f64,
    /// Where the wind comes from, degrees clockwise from north.
    pub wind_from_deg: f64,
    /// Pasquill–Gifford stability class, A–F.
    pub stability: String,
}

/// One step of a scenario's response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Measure {
    /// What is done (at most 200 characters).
    pub step: String,
    /// By whom: a unit or a role (at most 100 characters).
    pub by: String,
    /// Within how many minutes of the alarm.
    pub within_min: f64,
}

/// Whether a resource is the plan owner's or another's by agreement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// The owner's own.
    Own,
    /// Another's, by agreement (协议).
    Agreement,
}

/// What a scenario counts on: stock ("活性炭 5 t from 涪陵区's depots", "围油栏 500 m at one
/// depot") or teams ("2 hazmat teams").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Resource {
    /// Supplies.
    Stock {
        /// The item, as the depots name it.
        item: String,
        /// How much.
        quantity: f64,
        /// Its unit.
        unit: String,
        /// At this depot.
        depot_id: Option<i64>,
        /// Or at the depots of this district (区县 code); neither: any of the plan's districts.
        district: Option<String>,
        /// Own or by agreement.
        basis: Basis,
    },
    /// Teams.
    Team {
        /// Their specialty.
        specialty: String,
        /// How many.
        count: i64,
        /// This team.
        team_id: Option<i64>,
        /// Or teams of this district (区县 code); neither: any of the plan's districts.
        district: Option<String>,
        /// Own or by agreement.
        basis: Basis,
    },
}

/// A scenario as asked.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScenarioBody {
    /// What happens, in a line.
    pub title: String,
    /// The risk source (one of the plan's, when the plan names sources).
    pub risk_source_id: i64,
    /// A unit within it (罐区, 装卸站 …).
    pub unit: Option<String>,
    /// The substance: one the source holds (its name or CAS number).
    pub substance: String,
    /// air, water or soil.
    pub medium: String,
    /// The release rate, kg/s; or
    pub rate_kg_s: Option<f64>,
    /// the amount released, t, over `minutes`.
    pub amount_t: Option<f64>,
    /// How long it is released, minutes.
    pub minutes: f64,
    /// Air: the stated weather.
    pub weather: Option<Weather>,
    /// Water: how many hours of flow to look ahead (default 24).
    pub hours: Option<f64>,
    /// The response's steps, in order.
    #[serde(default)]
    pub measures: Vec<Measure>,
    /// What it counts on.
    #[serde(default)]
    pub resources: Vec<Resource>,
}

/// A scenario as stored.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Scenario {
    /// The scenario's id.
    pub id: i64,
    /// Its version.
    pub version_id: i64,
    /// 1 for the first of the version.
    pub number: i32,
    /// What happens.
    pub title: String,
    /// The risk source.
    pub risk_source_id: i64,
    /// Its name.
    pub risk_source: String,
    /// The unit within it.
    pub unit: Option<String>,
    /// The substance, as the source names it.
    pub substance: String,
    /// Its CAS number, if the source gives one.
    pub cas: Option<String>,
    /// air, water or soil.
    pub medium: String,
    /// kg/s.
    pub rate_kg_s: Option<f64>,
    /// t.
    pub amount_t: Option<f64>,
    /// minutes.
    pub minutes: f64,
    /// The stated weather (air).
    #[schema(value_type = Option<Weather>)]
    pub weather: Option<Json<Weather>>,
    /// Hours of flow looked ahead (water).
    pub hours: Option<f64>,
    /// The steps.
    #[schema(value_type = Vec<Measure>)]
    pub measures: Json<Vec<Measure>>,
    /// What it counts on.
    #[schema(value_type = Vec<Resource>)]
    pub resources: Json<Vec<Resource>>,
    /// Who wrote it.
    pub author: String,
}

impl Scenario {
    /// The release rate, g/s: the rate given, or the amount over its minutes.
    pub fn rate_g_s(&self) -> f64 {
        match (self.rate_kg_s, self.amount_t) {
            (Some(rate), _) => rate * 1000.0,
            (None, Some(t)) => t * 1.0e6 / (self.minutes * 60.0),
            (None, None) => 0.0,
        }
    }
}

/// The columns of [`Scenario`], from `plan_scenario c` and `risk_source s`.
pub const COLUMNS: &str = "c.id, c.version_id, c.number, c.title, c.risk_source_id, s.name AS risk_source, c.unit, \
     c.substance, (SELECT min(x.cas) FROM risk_substance x WHERE x.risk_source_id = c.risk_source_id \
       AND (x.name = c.substance OR x.cas = c.substance)) AS cas, c.medium, c.rate_kg_s, c.amount_t, c.minutes, \
     c.weather, c.hours, c.measures, c.resources, c.author";

fn text(field: &str, value: &str, max: usize) -> Result<String, Error> {
    match Error::text(field, Some(value.to_string()), max, false)? {
        Some(s) if !s.is_empty() => Ok(s),
        _ => Err(Error::invalid(field, "is empty")),
    }
}

/// Checks what needs no database.
fn check(body: &ScenarioBody) -> Result<(), Error> {
    text("title", &body.title, 200)?;
    if let Some(unit) = &body.unit {
        text("unit", unit, 200)?;
    }
    text("substance", &body.substance, 200)?;
    match body.medium.as_str() {
        "air" | "water" | "soil" => {}
        other => return Err(Error::invalid("medium", format!("`{other}` is not a medium; air, water or soil"))),
    }
    match (body.rate_kg_s, body.amount_t) {
        (Some(rate), None) => drop(Error::within("rate_kg_s", rate, 0.0, 10_000.0, true)?),
        (None, Some(t)) => drop(Error::within("amount_t", t, 0.0, 1.0e6, true)?),
        _ => return Err(Error::invalid("rate_kg_s", "give the release as rate_kg_s or as amount_t, one of them")),
    }
    Error::within("minutes", body.minutes, 0.0, 1440.0, true)?;
    match (&body.weather, body.medium.as_str()) {
        (Some(w), "air") => {
            Error::within("weather.wind_ms", w.wind_ms, 0.0, crate::air::asked::MAX_WIND_MS, true)?;
            Error::within("weather.wind_from_deg", w.wind_from_deg, 0.0, 360.0, false)?;
            if crate::air::plume::Stability::parse(&w.stability).is_none() {
                return Err(Error::invalid(
                    "weather.stability",
                    format!("`{}` is not A, B, C, D, E or F", w.stability),
                ));
            }
        }
        (None, "air") => {
            return Err(Error::invalid(
                "weather",
                "an air scenario states its weather: wind_ms, wind_from_deg, stability",
            ));
        }
        (Some(_), _) => return Err(Error::invalid("weather", "is for air scenarios")),
        (None, _) => {}
    }
    match (body.hours, body.medium.as_str()) {
        (Some(h), "water") => drop(Error::within("hours", h, 0.0, 168.0, true)?),
        (Some(_), _) => return Err(Error::invalid("hours", "is for water scenarios")),
        _ => {}
    }
    if body.measures.len() > MAX_ITEMS || body.resources.len() > MAX_ITEMS {
        return Err(Error::invalid("measures", format!("at most {MAX_ITEMS} measures and {MAX_ITEMS} resources")));
    }
    for m in &body.measures {
        text("measures.step", &m.step, 200)?;
        text("measures.by", &m.by, 100)?;
        Error::within("measures.within_min", m.within_min, 0.0, MAX_WITHIN_MIN, false)?;
    }
    for r in &body.resources {
        match r {
            Resource::Stock { item, quantity, unit, .. } => {
                text("resources.item", item, 100)?;
                text("resources.unit", unit, 20)?;
                Error::within("resources.quantity", *quantity, 0.0, 1.0e9, true)?;
            }
            Resource::Team { specialty, count, .. } => {
                if !crate::layers::spec::SPECIALTIES.contains(&specialty.as_str()) {
                    return Err(Error::invalid(
                        "resources.specialty",
                        format!(
                            "`{specialty}` is not a specialty; use {}",
                            crate::layers::spec::SPECIALTIES.join(", ")
                        ),
                    ));
                }
                if !(1..=100).contains(count) {
                    return Err(Error::invalid("resources.count", format!("{count} teams: 1 to 100")));
                }
            }
        }
    }
    Ok(())
}

/// Checks what the scenario names against the registry and the plan.
async fn check_references(conn: &mut PgConnection, plan: i64, body: &ScenarioBody) -> Result<(), Error> {
    let source = body.risk_source_id;
    let known: Option<bool> = sqlx::query_scalar(
        "SELECT NOT EXISTS (SELECT 1 FROM plan_source WHERE plan_id = $2) \
             OR EXISTS (SELECT 1 FROM plan_source WHERE plan_id = $2 AND risk_source_id = $1) \
         FROM risk_source WHERE id = $1",
    )
    .bind(source)
    .bind(plan)
    .fetch_optional(&mut *conn)
    .await?;
    match known {
        None => return Err(Error::invalid("risk_source_id", format!("there is no risk source {source}"))),
        Some(false) => {
            return Err(Error::invalid("risk_source_id", format!("risk source {source} is not one the plan covers")));
        }
        Some(true) => {}
    }
    let held: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT name, cas FROM risk_substance WHERE risk_source_id = $1 ORDER BY name")
            .bind(source)
            .fetch_all(&mut *conn)
            .await?;
    let wanted = body.substance.trim();
    let Some((name, cas)) = held.iter().find(|(n, c)| n == wanted || c.as_deref() == Some(wanted)) else {
        let names: Vec<&str> = held.iter().map(|(n, _)| n.as_str()).collect();
        return Err(Error::invalid(
            "substance",
            format!("`{wanted}` is not a substance risk source {source} holds; it holds {}", names.join("、")),
        ));
    };
    if body.medium == "air" && crate::air::endpoints::find(cas.as_deref().unwrap_or(name)).is_none() {
        let known: Vec<&str> = crate::air::endpoints::ENDPOINTS.iter().map(|e| e.name).collect();
        return Err(Error::invalid(
            "substance",
            format!("{name} has no toxic end-points for a plume; an air scenario needs one of {}", known.join("、")),
        ));
    }
    for r in &body.resources {
        let (table, id, district) = match r {
            Resource::Stock { depot_id, district, .. } => ("depot", *depot_id, district),
            Resource::Team { team_id, district, .. } => ("team", *team_id, district),
        };
        if let Some(id) = id {
            let found: Option<i64> =
                sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT id FROM {table} WHERE id = $1")))
                    .bind(id)
                    .fetch_optional(&mut *conn)
                    .await?;
            if found.is_none() {
                return Err(Error::invalid("resources", format!("there is no {table} {id}")));
            }
        }
        if let Some(code) = district {
            let found: Option<String> = sqlx::query_scalar("SELECT code FROM district WHERE code = $1")
                .bind(code)
                .fetch_optional(&mut *conn)
                .await?;
            if found.is_none() {
                return Err(Error::invalid("resources.district", format!("`{code}` is not the code of a district")));
            }
        }
    }
    Ok(())
}

/// Adds a scenario to version `version` of plan `plan` while the version is being prepared.
pub async fn create(
    pool: &sqlx::PgPool,
    actor: &Actor,
    plan: i64,
    version: i64,
    body: ScenarioBody,
) -> Result<Scenario, Error> {
    check(&body)?;
    let mut tx = begin_as(pool, actor).await?;
    hold_plan(&mut tx, actor, plan).await?;
    let (status, number) = held(&mut tx, plan, version).await?;
    if !status.takes_scenarios() {
        let needed = "drafting or reviewed (a signed version's scenarios are what was signed)";
        return Err(Refused::VersionState { plan, number, status, step: "a scenario", needed }.into());
    }
    check_references(&mut tx, plan, &body).await?;
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM plan_scenario WHERE version_id = $1")
        .bind(version)
        .fetch_one(&mut *tx)
        .await?;
    if count >= MAX_PER_VERSION {
        return Err(Error::invalid("version", format!("version {number} has {count} scenarios, the most one takes")));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO plan_scenario (version_id, number, title, risk_source_id, unit, substance, medium, rate_kg_s, \
           amount_t, minutes, weather, hours, measures, resources, author) \
         VALUES ($1, (SELECT coalesce(max(number), 0) + 1 FROM plan_scenario WHERE version_id = $1), $2, $3, $4, $5, \
                 $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
    )
    .bind(version)
    .bind(body.title.trim())
    .bind(body.risk_source_id)
    .bind(body.unit.as_deref().map(str::trim))
    .bind(body.substance.trim())
    .bind(&body.medium)
    .bind(body.rate_kg_s)
    .bind(body.amount_t)
    .bind(body.minutes)
    .bind(body.weather.map(Json))
    .bind(body.hours.or((body.medium == "water").then_some(24.0)))
    .bind(Json(&body.measures))
    .bind(Json(&body.resources))
    .bind(&actor.name)
    .fetch_one(&mut *tx)
    .await?;
    let scenario = one(&mut tx, plan, id).await?;
    tx.commit().await?;
    Ok(scenario)
}

/// Scenario `id` of plan `plan`.
pub async fn one(conn: &mut PgConnection, plan: i64, id: i64) -> Result<Scenario, Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM plan_scenario c JOIN risk_source s ON s.id = c.risk_source_id \
         JOIN plan_version v ON v.id = c.version_id WHERE c.id = $1 AND v.plan_id = $2"
    )))
    .bind(id)
    .bind(plan)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(Error::NotFound { layer: "plan_scenario", id })
}

/// The scenarios of versions `versions`, by version and number.
pub async fn of_versions(conn: &mut PgConnection, versions: &[i64]) -> Result<Vec<Scenario>, Error> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM plan_scenario c JOIN risk_source s ON s.id = c.risk_source_id \
         WHERE c.version_id = ANY($1) ORDER BY c.version_id, c.number"
    )))
    .bind(versions)
    .fetch_all(&mut *conn)
    .await?)
}

/// Removes scenario `id` while its version is being prepared.
pub async fn remove(pool: &sqlx::PgPool, actor: &Actor, plan: i64, id: i64) -> Result<(), Error> {
    let mut tx = begin_as(pool, actor).await?;
    hold_plan(&mut tx, actor, plan).await?;
    let scenario = one(&mut tx, plan, id).await?;
    let (status, number) = held(&mut tx, plan, scenario.version_id).await?;
    if !status.takes_scenarios() {
        let needed = "drafting or reviewed";
        return Err(Refused::VersionState { plan, number, status, step: "removing a scenario", needed }.into());
    }
    sqlx::query("DELETE FROM plan_scenario WHERE id = $1").bind(id).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}
