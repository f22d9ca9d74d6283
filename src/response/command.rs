//! The response to an incident: declared at a level (Ⅳ to Ⅰ, with who and why), changed, its
//! command post and groups, the plans activated — each activation turning the scenario's
//! measures into orders due at their minutes after activation — and its end (应急终止) with the
//! conditions met. The command is the duty desk of the incident's district or of the city.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::PgConnection;

use super::Refused;
use super::orders::{self, Order};
use crate::auth::{Actor, begin_as};
use crate::error::Error;

/// Most groups of a command post, and members of a group.
pub const MAX_GROUPS: usize = 20;

/// A command group (监测组, 处置组, 专家组, 宣传组, 保障组 …).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Group {
    /// Its name.
    pub name: String,
    /// Who leads it.
    pub lead: Option<String>,
    /// Its members (user names: they answer the group's orders).
    #[serde(default)]
    pub members: Vec<String>,
}

/// A plan to activate, and the scenario followed (default: the one onemap finds nearest).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Activate {
    /// The plan.
    pub plan_id: i64,
    /// Its scenario.
    pub scenario_id: Option<i64>,
}

/// A step of the response: any of its parts; the first declares the level.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResponseBody {
    /// IV, III, II or I (Ⅳ, Ⅲ, Ⅱ, Ⅰ also read).
    pub level: Option<String>,
    /// Why this level (required with a level).
    pub why: Option<String>,
    /// The command post (指挥部): where and who.
    pub command_post: Option<String>,
    /// The command groups (replacing those there were).
    pub groups: Option<Vec<Group>>,
    /// Plans to activate.
    #[serde(default)]
    pub activate: Vec<Activate>,
    /// The end (应急终止): the conditions met.
    pub end: Option<String>,
}

/// A level as declared.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct LevelChange {
    /// IV, III, II or I.
    pub level: String,
    /// When.
    pub at: DateTime<Utc>,
    /// By whom.
    pub by_user: String,
    /// Why.
    pub why: String,
}

/// A plan activated.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Activation {
    /// The plan.
    pub plan_id: i64,
    /// Its name.
    pub plan: String,
    /// The scenario followed.
    pub scenario_id: Option<i64>,
    /// When.
    pub activated_at: DateTime<Utc>,
    /// By whom.
    pub activated_by: String,
}

/// A response as it stands.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Response {
    /// The incident.
    pub incident_id: i64,
    /// The level now.
    pub level: String,
    /// The command post.
    pub command_post: Option<String>,
    /// The command groups.
    pub groups: Vec<Group>,
    /// When it was declared, and by whom.
    pub declared_at: DateTime<Utc>,
    /// By whom.
    pub declared_by: String,
    /// Every level declared, in order.
    pub levels: Vec<LevelChange>,
    /// The plans activated.
    pub activations: Vec<Activation>,
    /// Its orders, by due time.
    pub orders: Vec<Order>,
    /// When it ended.
    pub ended_at: Option<DateTime<Utc>>,
    /// The conditions met.
    pub end_conditions: Option<String>,
}

/// Reads a level as the API or a person writes it.
pub fn level(text: &str) -> Result<&'static str, Error> {
    match text.trim() {
        "IV" | "Ⅳ" | "4" => Ok("IV"),
        "III" | "Ⅲ" | "3" => Ok("III"),
        "II" | "Ⅱ" | "2" => Ok("II"),
        "I" | "Ⅰ" | "1" => Ok("I"),
        other => Err(Error::invalid("level", format!("`{other}` is not a response level; use IV, III, II or I"))),
    }
}

fn check_groups(groups: Vec<Group>) -> Result<Vec<Group>, Error> {
    if groups.len() > MAX_GROUPS {
        return Err(Error::invalid("groups", format!("lists {}; at most {MAX_GROUPS}", groups.len())));
    }
    groups
        .into_iter()
        .map(|g| {
            if g.members.len() > 50 {
                return Err(Error::invalid("groups", format!("{} lists more than 50 members", g.name)));
            }
            Ok(Group {
                name: Error::said("groups", g.name, 100, false)?,
                lead: Error::text("groups", g.lead, 100, false)?,
                members: g
                    .members
                    .into_iter()
                    .map(|m| Error::said("groups", m, 100, false))
                    .collect::<Result<_, _>>()?,
            })
        })
        .collect()
}

/// Takes a step of the response to incident `incident`.
pub async fn step(pool: &sqlx::PgPool, actor: &Actor, incident: i64, body: ResponseBody) -> Result<Response, Error> {
    let mut tx = begin_as(pool, actor).await?;
    let answer = step_in(&mut tx, actor, incident, body).await?;
    tx.commit().await?;
    Ok(answer)
}

/// As [`step`], in the caller's transaction (a drill's start writes its incident with it).
pub async fn step_in(
    tx: &mut sqlx::PgConnection,
    actor: &Actor,
    incident: i64,
    body: ResponseBody,
) -> Result<Response, Error> {
    let new_level = body.level.as_deref().map(level).transpose()?;
    let why = body.why.map(|w| Error::said("why", w, 2000, true)).transpose()?;
    if new_level.is_some() && why.is_none() {
        return Err(Error::invalid("why", "say why this level"));
    }
    let command_post = Error::text("command_post", body.command_post, 500, true)?;
    let groups = body.groups.map(check_groups).transpose()?;
    let end = body.end.map(|e| Error::said("end", e, 4000, true)).transpose()?;
    if body.activate.len() > 10 {
        return Err(Error::invalid("activate", "at most 10 plans a step"));
    }
    super::hold::incident(&mut *tx, actor, incident).await?;
    let existing: Option<(i64, Option<DateTime<Utc>>)> =
        sqlx::query_as("SELECT id, ended_at FROM response WHERE incident_id = $1 FOR UPDATE")
            .bind(incident)
            .fetch_optional(&mut *tx)
            .await?;
    let id = match existing {
        Some((_, Some(at))) => return Err(Refused::Ended { incident, at }.into()),
        Some((id, None)) => id,
        None => {
            let Some(level) = new_level else { return Err(Refused::NoResponse { incident }.into()) };
            sqlx::query_scalar(
                "INSERT INTO response (incident_id, level, declared_by) VALUES ($1, $2, $3) RETURNING id",
            )
            .bind(incident)
            .bind(level)
            .bind(&actor.name)
            .fetch_one(&mut *tx)
            .await?
        }
    };
    let mut told = Vec::new();
    if let (Some(level), Some(why)) = (new_level, &why) {
        sqlx::query("UPDATE response SET level = $2 WHERE id = $1").bind(id).bind(level).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO response_level (response_id, level, by_user, why) VALUES ($1, $2, $3, $4)")
            .bind(id)
            .bind(level)
            .bind(&actor.name)
            .bind(why)
            .execute(&mut *tx)
            .await?;
        told.push(json!({"op": "level", "level": level}));
    }
    if let Some(post) = &command_post {
        sqlx::query("UPDATE response SET command_post = $2 WHERE id = $1")
            .bind(id)
            .bind(post)
            .execute(&mut *tx)
            .await?;
    }
    if let Some(groups) = &groups {
        sqlx::query("UPDATE response SET groups = $2 WHERE id = $1")
            .bind(id)
            .bind(sqlx::types::Json(groups))
            .execute(&mut *tx)
            .await?;
    }
    for a in &body.activate {
        let issued = activate(&mut *tx, actor, incident, id, a).await?;
        told.push(json!({"op": "activated", "plan_id": a.plan_id, "orders": issued}));
    }
    if let Some(conditions) = &end {
        sqlx::query("UPDATE response SET ended_at = now(), ended_by = $2, end_conditions = $3 WHERE id = $1")
            .bind(id)
            .bind(&actor.name)
            .bind(conditions)
            .execute(&mut *tx)
            .await?;
        told.push(json!({"op": "ended"}));
    }
    for mut data in told {
        data["incident_id"] = incident.into();
        sqlx::query("SELECT onemap_event('response', $1)").bind(sqlx::types::Json(data)).execute(&mut *tx).await?;
    }
    read(&mut *tx, incident).await
}

/// Activates plan `a.plan_id` in response `response`: its scenario's measures become orders to
/// the group or unit each names, due at their minutes after now. Returns how many.
async fn activate(
    tx: &mut PgConnection,
    actor: &Actor,
    incident: i64,
    response: i64,
    a: &Activate,
) -> Result<usize, Error> {
    let district: Option<String> =
        sqlx::query_scalar("SELECT district FROM plan WHERE id = $1").bind(a.plan_id).fetch_optional(&mut *tx).await?;
    let Some(district) = district else {
        return Err(Error::invalid("activate", format!("there is no plan {}", a.plan_id)));
    };
    if let Some(mine) = &actor.district
        && *mine != district
    {
        return Err(Error::Forbidden(format!(
            "plan {} is filed with district {district}; {} acts for district {mine} only; nothing was written",
            a.plan_id, actor.name
        )));
    }
    let scenario = match a.scenario_id {
        Some(s) => Some(s),
        None => super::suggest::nearest_scenario(tx, incident, a.plan_id).await?,
    };
    let measures: Option<Value> = match scenario {
        None => None,
        Some(s) => {
            let found: Option<Value> = sqlx::query_scalar(
                "SELECT c.measures FROM plan_scenario c JOIN plan_version v ON v.id = c.version_id \
                 WHERE c.id = $1 AND v.plan_id = $2",
            )
            .bind(s)
            .bind(a.plan_id)
            .fetch_optional(&mut *tx)
            .await?;
            Some(found.ok_or_else(|| Error::invalid("activate", format!("plan {} has no scenario {s}", a.plan_id)))?)
        }
    };
    let done = sqlx::query(
        "INSERT INTO plan_activation (response_id, plan_id, scenario_id, activated_by) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (response_id, plan_id) DO NOTHING",
    )
    .bind(response)
    .bind(a.plan_id)
    .bind(scenario)
    .bind(&actor.name)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(Refused::Activated { plan: a.plan_id }.into());
    }
    let now = Utc::now();
    let mut issued = 0;
    for m in measures.as_ref().and_then(Value::as_array).into_iter().flatten() {
        let (Some(step), Some(by), Some(within)) = (m["step"].as_str(), m["by"].as_str(), m["within_min"].as_f64())
        else {
            continue;
        };
        let order = orders::NewOrder {
            what: step.to_string(),
            module: orders::module_of(step).to_string(),
            to_kind: "group".into(),
            to_ref: by.to_string(),
            due_at: now + chrono::Duration::milliseconds((within * 60_000.0) as i64),
            from_measure: Some(json!({"plan_id": a.plan_id, "scenario_id": scenario, "step": step})),
        };
        orders::insert(tx, actor, incident, &order).await?;
        issued += 1;
    }
    Ok(issued)
}

/// The response's own row.
#[derive(sqlx::FromRow)]
struct Head {
    id: i64,
    level: String,
    command_post: Option<String>,
    groups: sqlx::types::Json<Vec<Group>>,
    declared_at: DateTime<Utc>,
    declared_by: String,
    ended_at: Option<DateTime<Utc>>,
    end_conditions: Option<String>,
}

/// The response to incident `incident` as it stands.
pub async fn read(conn: &mut PgConnection, incident: i64) -> Result<Response, Error> {
    let head: Head = sqlx::query_as(
        "SELECT id, level, command_post, groups, declared_at, declared_by, ended_at, end_conditions \
         FROM response WHERE incident_id = $1",
    )
    .bind(incident)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(Refused::NoResponse { incident })?;
    let levels =
        sqlx::query_as("SELECT level, at, by_user, why FROM response_level WHERE response_id = $1 ORDER BY at, id")
            .bind(head.id)
            .fetch_all(&mut *conn)
            .await?;
    let activations = sqlx::query_as(
        "SELECT a.plan_id, p.name AS plan, a.scenario_id, a.activated_at, a.activated_by FROM plan_activation a \
         JOIN plan p ON p.id = a.plan_id WHERE a.response_id = $1 ORDER BY a.activated_at, a.id",
    )
    .bind(head.id)
    .fetch_all(&mut *conn)
    .await?;
    let orders = orders::of_incident(conn, incident).await?;
    Ok(Response {
        incident_id: incident,
        level: head.level,
        command_post: head.command_post,
        groups: head.groups.0,
        declared_at: head.declared_at,
        declared_by: head.declared_by,
        levels,
        activations,
        orders,
        ended_at: head.ended_at,
        end_conditions: head.end_conditions,
    })
}
