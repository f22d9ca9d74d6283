//! Creating and changing a plan: its kind and owner (the risk sources, the district, the
//! department, the intake or the park it belongs to), its place in a plan set, the districts it
//! covers — checked field by field, then written with its sources in one transaction that also
//! checks who may write it.

use serde::{Deserialize, Deserializer};
use sqlx::PgConnection;

use super::codes::{Kind, Level};
use super::record::{self, Plan};
use super::scope;
use crate::auth::{Actor, begin_as, jurisdiction};
use crate::error::Error;

/// Most districts a plan covers, and most risk sources it names.
pub const MAX_LIST: usize = 50;

/// Reads a present JSON value (null included) as `Some`, so that a missing key stays `None`.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// A plan's fields as a request gives them: all for a new plan, those to change for an edit.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanBody {
    /// enterprise, government, department, water_source or park (a plan keeps its kind).
    pub kind: Option<String>,
    /// Its name (at most 200 characters).
    pub name: Option<String>,
    /// comprehensive, special or on_site.
    pub level: Option<String>,
    /// The plan above it in its plan set (null: none).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub parent_id: Option<Option<i64>>,
    /// The county-level bureau it is filed with (区县 code).
    pub district: Option<String>,
    /// Every district it covers (with its own; default: its own only).
    pub districts: Option<Vec<String>>,
    /// 一般, 较大 or 重大 (required of enterprise plans: the filing number's level).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub risk_level: Option<Option<String>>,
    /// The department (department plans only).
    pub department: Option<String>,
    /// The drinking-water intake or protection zone (water-source plans only).
    pub receptor_id: Option<i64>,
    /// The park (park plans only).
    pub park: Option<String>,
    /// Whether the full text is confidential (a public summary must then be filed).
    pub confidential: Option<bool>,
    /// The risk sources it covers (enterprise plans: at least one; park plans: any).
    pub risk_source_ids: Option<Vec<i64>>,
    /// The interception sites of the reach it plans for (一河一策一图; not enterprise plans).
    pub intercept_site_ids: Option<Vec<i64>>,
}

/// A plan's fields, checked.
#[derive(Debug, Clone)]
struct Checked {
    kind: Kind,
    name: String,
    level: Level,
    parent_id: Option<i64>,
    district: String,
    districts: Vec<String>,
    risk_level: Option<String>,
    department: Option<String>,
    receptor_id: Option<i64>,
    park: Option<String>,
    confidential: bool,
    sources: Vec<i64>,
    sites: Vec<i64>,
}

impl Checked {
    fn of(plan: &Plan) -> Self {
        let f = &plan.fields;
        Self {
            kind: f.kind,
            name: f.name.clone(),
            level: f.level,
            parent_id: f.parent_id,
            district: f.district.clone(),
            districts: f.districts.clone(),
            risk_level: f.risk_level.clone(),
            department: f.department.clone(),
            receptor_id: f.receptor_id,
            park: f.park.clone(),
            confidential: f.confidential,
            sources: plan.sources.iter().map(|s| s.id).collect(),
            sites: plan.sites.iter().map(|s| s.id).collect(),
        }
    }
}

fn required<T>(name: &str, value: Option<T>) -> Result<T, Error> {
    value.ok_or_else(|| Error::invalid(name, "is required"))
}

fn text(name: &str, value: Option<String>, max: usize) -> Result<Option<String>, Error> {
    let value = Error::text(name, value, max, false)?;
    match value {
        Some(s) if s.is_empty() => Err(Error::invalid(name, "is empty")),
        other => Ok(other),
    }
}

fn district_code(name: &str, code: &str) -> Result<(), Error> {
    if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(Error::invalid(name, format!("`{code}` is not a six-digit 区县 code")))
    }
}

/// A list of ids as given (else as it was), sorted, once each, at most [`MAX_LIST`].
fn ids(field: &str, given: Option<Vec<i64>>, old: Option<&Vec<i64>>) -> Result<Vec<i64>, Error> {
    let mut ids = given.or_else(|| old.cloned()).unwrap_or_default();
    ids.sort_unstable();
    ids.dedup();
    if ids.len() > MAX_LIST {
        return Err(Error::invalid(field, format!("lists {}; at most {MAX_LIST}", ids.len())));
    }
    Ok(ids)
}

/// `body` over `old` (a new plan: over nothing), checked field by field without the database.
fn merge(old: Option<&Checked>, body: PlanBody) -> Result<Checked, Error> {
    let kind = match (old, body.kind) {
        (Some(old), Some(k)) if k != old.kind.code() => {
            return Err(Error::invalid("kind", "a plan keeps its kind; create a new plan of the other kind"));
        }
        (Some(old), _) => old.kind,
        (None, k) => Kind::parse_field("kind", &required("kind", k)?)?,
    };
    let name = match text("name", body.name, 200)? {
        Some(n) => n,
        None => required("name", old.map(|o| o.name.clone()))?,
    };
    let level = match body.level {
        Some(l) => Level::parse_field("level", &l)?,
        None => required("level", old.map(|o| o.level))?,
    };
    let district = match body.district {
        Some(d) => d,
        None => required("district", old.map(|o| o.district.clone()))?,
    };
    district_code("district", &district)?;
    let mut districts = match body.districts {
        Some(list) => list,
        None => old.map(|o| o.districts.clone()).unwrap_or_else(|| vec![district.clone()]),
    };
    if districts.len() > MAX_LIST {
        return Err(Error::invalid("districts", format!("lists {}; at most {MAX_LIST}", districts.len())));
    }
    for code in &districts {
        district_code("districts", code)?;
    }
    districts.sort();
    districts.dedup();
    if !districts.contains(&district) {
        return Err(Error::invalid(
            "districts",
            format!("must include the district the plan is filed with ({district})"),
        ));
    }
    let risk_level = match body.risk_level {
        Some(level) => level,
        None => old.and_then(|o| o.risk_level.clone()),
    };
    if let Some(level) = &risk_level
        && !crate::layers::words::codes(&crate::layers::words::GRADE).contains(&level.as_str())
    {
        return Err(Error::invalid("risk_level", format!("`{level}` is not a risk level; one of 一般, 较大, 重大")));
    }
    if kind == Kind::Enterprise && risk_level.is_none() {
        return Err(Error::invalid("risk_level", "an enterprise plan states its risk level (一般, 较大 or 重大)"));
    }
    let department = text("department", body.department, 200)?.or_else(|| old.and_then(|o| o.department.clone()));
    let park = text("park", body.park, 200)?.or_else(|| old.and_then(|o| o.park.clone()));
    let receptor_id = body.receptor_id.or_else(|| old.and_then(|o| o.receptor_id));
    for (field, given, owner_kind) in [
        ("department", department.is_some(), Kind::Department),
        ("receptor_id", receptor_id.is_some(), Kind::WaterSource),
        ("park", park.is_some(), Kind::Park),
    ] {
        if given != (kind == owner_kind) {
            return Err(Error::invalid(
                field,
                if given {
                    format!("is the owner of a {owner_kind} plan only; this is a {kind} plan")
                } else {
                    format!("a {kind} plan names its owner here")
                },
            ));
        }
    }
    let sites = ids("intercept_site_ids", body.intercept_site_ids, old.map(|o| &o.sites))?;
    if kind == Kind::Enterprise && !sites.is_empty() {
        return Err(Error::invalid(
            "intercept_site_ids",
            "an enterprise plan names no river interception sites; a water-source, government or department plan does",
        ));
    }
    let sources = ids("risk_source_ids", body.risk_source_ids, old.map(|o| &o.sources))?;
    match kind {
        Kind::Enterprise if sources.is_empty() => {
            return Err(Error::invalid("risk_source_ids", "an enterprise plan covers at least one risk source"));
        }
        Kind::Enterprise | Kind::Park => {}
        _ if !sources.is_empty() => {
            return Err(Error::invalid("risk_source_ids", format!("a {kind} plan names no risk sources")));
        }
        _ => {}
    }
    let parent_id = match body.parent_id {
        Some(p) => p,
        None => old.and_then(|o| o.parent_id),
    };
    let confidential = body.confidential.or(old.map(|o| o.confidential)).unwrap_or(false);
    Ok(Checked {
        kind,
        name,
        level,
        parent_id,
        district,
        districts,
        risk_level,
        department,
        receptor_id,
        park,
        confidential,
        sources,
        sites,
    })
}

/// Checks what the fields name against the registry: districts, sources, intake, parent.
async fn check_references(conn: &mut PgConnection, id: Option<i64>, plan: &Checked) -> Result<(), Error> {
    let known: Vec<String> = sqlx::query_scalar("SELECT code FROM district WHERE code = ANY($1)")
        .bind(&plan.districts)
        .fetch_all(&mut *conn)
        .await?;
    if let Some(unknown) = plan.districts.iter().find(|d| !known.contains(d)) {
        let field = if *unknown == plan.district { "district" } else { "districts" };
        return Err(Error::invalid(field, format!("`{unknown}` is not the code of a district in the registry")));
    }
    let found: Vec<i64> = sqlx::query_scalar("SELECT id FROM risk_source WHERE id = ANY($1)")
        .bind(&plan.sources)
        .fetch_all(&mut *conn)
        .await?;
    if let Some(missing) = plan.sources.iter().find(|s| !found.contains(s)) {
        return Err(Error::invalid("risk_source_ids", format!("there is no risk source {missing}")));
    }
    let found: Vec<i64> = sqlx::query_scalar("SELECT id FROM intercept_site WHERE id = ANY($1)")
        .bind(&plan.sites)
        .fetch_all(&mut *conn)
        .await?;
    if let Some(missing) = plan.sites.iter().find(|s| !found.contains(s)) {
        return Err(Error::invalid("intercept_site_ids", format!("there is no interception site {missing}")));
    }
    if let Some(receptor) = plan.receptor_id {
        let kind: Option<String> = sqlx::query_scalar("SELECT kind FROM receptor WHERE id = $1")
            .bind(receptor)
            .fetch_optional(&mut *conn)
            .await?;
        match kind.as_deref() {
            Some("water_intake" | "water_source_zone") => {}
            Some(other) => {
                return Err(Error::invalid(
                    "receptor_id",
                    format!(
                        "receptor {receptor} is a {other}; a water-source plan belongs to an intake or a protection zone"
                    ),
                ));
            }
            None => return Err(Error::invalid("receptor_id", format!("there is no receptor {receptor}"))),
        }
    }
    if let Some(parent) = plan.parent_id {
        // The parent's level, and the parent with every plan above it.
        let (level, ancestors): (Option<String>, Vec<i64>) = sqlx::query_as(
            "WITH RECURSIVE up(id, parent_id, depth) AS ( \
               SELECT id, parent_id, 0 FROM plan WHERE id = $1 \
               UNION ALL SELECT p.id, p.parent_id, up.depth + 1 FROM plan p JOIN up ON p.id = up.parent_id \
                WHERE up.depth < 100) \
             SELECT (SELECT level FROM plan WHERE id = $1), coalesce(array_agg(id), '{}') FROM up",
        )
        .bind(parent)
        .fetch_one(&mut *conn)
        .await?;
        let Some(level) = level else {
            return Err(Error::invalid("parent_id", format!("there is no plan {parent}")));
        };
        if let Some(id) = id
            && ancestors.contains(&id)
        {
            return Err(super::Refused::Loop { plan: id, parent }.into());
        }
        let parent_level = Level::parse(&level)?;
        if !plan.level.may_sit_under(parent_level) {
            return Err(Error::invalid(
                "parent_id",
                format!("plan {parent} is a {parent_level} plan; a {} plan cannot sit under it", plan.level),
            ));
        }
    }
    Ok(())
}

/// Makes plan `id`'s links in `table` (by `column`: its risk sources, its interception sites)
/// exactly `ids`. Both names come from this file, never a request.
async fn write_links(conn: &mut PgConnection, table: &str, column: &str, id: i64, ids: &[i64]) -> Result<(), Error> {
    sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table} WHERE plan_id = $1 AND NOT {column} = ANY($2)")))
        .bind(id)
        .bind(ids)
        .execute(&mut *conn)
        .await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO {table} (plan_id, {column}) SELECT $1, unnest($2::bigint[]) ON CONFLICT (plan_id, {column}) DO NOTHING"
    )))
    .bind(id)
    .bind(ids)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Tells the feed of a plan's step.
pub async fn announce(conn: &mut PgConnection, op: &str, plan: i64, detail: serde_json::Value) -> Result<(), Error> {
    sqlx::query(
        "SELECT onemap_event('plan', jsonb_build_object('op', $1::text, 'id', p.id, 'name', p.name, \
           'district', p.district, 'kind', p.kind) || $3) FROM plan p WHERE p.id = $2",
    )
    .bind(op)
    .bind(plan)
    .bind(sqlx::types::Json(detail))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Creates a plan; an enterprise creates enterprise plans of its own sources only.
pub async fn create(pool: &sqlx::PgPool, actor: &Actor, body: PlanBody) -> Result<Plan, Error> {
    let plan = merge(None, body)?;
    if scope::is_enterprise(actor) && plan.kind != Kind::Enterprise {
        return Err(Error::Forbidden(format!(
            "{} is an enterprise; it files enterprise plans of its own risk sources, not {} plans; nothing was written",
            actor.name, plan.kind
        )));
    }
    let mut tx = begin_as(pool, actor).await?;
    check_references(&mut tx, None, &plan).await?;
    scope::may_name_sources(&mut tx, actor, &plan.sources).await?;
    let id: i64 = bind(
        sqlx::query_scalar(
            "INSERT INTO plan (kind, name, level, parent_id, district, districts, risk_level, department, \
               receptor_id, park, confidential, author) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
             RETURNING id",
        ),
        &plan,
    )
    .bind(&actor.name)
    .fetch_one(&mut *tx)
    .await?;
    write_links(&mut tx, "plan_source", "risk_source_id", id, &plan.sources).await?;
    write_links(&mut tx, "plan_site", "site_id", id, &plan.sites).await?;
    jurisdiction::check(&mut tx, actor, "plan", &[id]).await?;
    announce(&mut tx, "created", id, serde_json::json!({})).await?;
    record::finish(tx, id).await
}

fn bind<'q, O>(
    query: sqlx::query::QueryScalar<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments>,
    plan: &'q Checked,
) -> sqlx::query::QueryScalar<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments> {
    query
        .bind(plan.kind.code())
        .bind(&plan.name)
        .bind(plan.level.code())
        .bind(plan.parent_id)
        .bind(&plan.district)
        .bind(&plan.districts)
        .bind(&plan.risk_level)
        .bind(&plan.department)
        .bind(plan.receptor_id)
        .bind(&plan.park)
        .bind(plan.confidential)
}

/// Changes the fields `body` gives of plan `id`.
pub async fn edit(pool: &sqlx::PgPool, actor: &Actor, id: i64, body: PlanBody) -> Result<Plan, Error> {
    let mut tx = begin_as(pool, actor).await?;
    sqlx::query("SELECT id FROM plan WHERE id = $1 FOR UPDATE")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(Error::NotFound { layer: "plan", id })?;
    scope::may_write(&mut tx, actor, id).await?;
    let old = record::one(&mut tx, id).await?;
    let plan = merge(Some(&Checked::of(&old)), body)?;
    check_references(&mut tx, Some(id), &plan).await?;
    scope::may_name_sources(&mut tx, actor, &plan.sources).await?;
    bind(
        sqlx::query_scalar(
            "UPDATE plan SET kind = $1, name = $2, level = $3, parent_id = $4, district = $5, districts = $6, \
               risk_level = $7, department = $8, receptor_id = $9, park = $10, confidential = $11 \
             WHERE id = $12 RETURNING id",
        ),
        &plan,
    )
    .bind(id)
    .fetch_one(&mut *tx)
    .await
    .map(|_: i64| ())?;
    write_links(&mut tx, "plan_source", "risk_source_id", id, &plan.sources).await?;
    write_links(&mut tx, "plan_site", "site_id", id, &plan.sites).await?;
    jurisdiction::check(&mut tx, actor, "plan", &[id]).await?;
    announce(&mut tx, "changed", id, serde_json::json!({})).await?;
    record::finish(tx, id).await
}
