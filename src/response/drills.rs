//! Drills (演练): scheduled from a plan's scenario (when, who takes part), run in exercise mode —
//! an incident marked `drill` at the scenario's risk source, its response declared and the plan
//! activated with the scenario, so its orders, notices and reports work exactly as real ones —
//! and finished with an evaluation and findings that flag the plan for revision (kind drill).
//! A drill's incident is marked in every feed event, on the map, the wall and the printed
//! report, and left out of the statistics and the case library; it is evaluated with the same
//! figures as a real response. `list` gives the year's drills and each plan's coverage.

use std::sync::Arc;

use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};

use super::command::{self, Activate, ResponseBody};
use super::review::{self, Figures};
use crate::auth::{Actor, begin_as, jurisdiction};
use crate::error::Error;
use crate::routing::RoadGraph;

/// Most participants named.
const MAX_PARTICIPANTS: usize = 50;
/// Most findings at a drill's end.
const MAX_FINDINGS: usize = 20;

/// A drill as scheduled.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleBody {
    /// The plan's scenario exercised.
    pub scenario_id: i64,
    /// When (RFC 3339).
    pub scheduled_for: String,
    /// Who takes part (units or people).
    #[serde(default)]
    pub participants: Vec<String>,
    /// Its title (default: the scenario's title; its incident is named 【演练】 and the title).
    pub title: Option<String>,
}

/// How a drill starts.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartBody {
    /// The response level exercised (default IV).
    pub level: Option<String>,
    /// The severity played (default 一般).
    pub severity: Option<String>,
}

/// How a drill ends.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FinishBody {
    /// The evaluation (评估总结).
    pub evaluation: Option<String>,
    /// Findings that call for the plan's revision (each a revision flag of kind drill).
    #[serde(default)]
    pub findings: Vec<String>,
}

/// A drill as it stands.
#[derive(Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Drill {
    /// Its id.
    pub id: i64,
    /// The plan.
    pub plan_id: i64,
    /// The plan's name.
    pub plan: String,
    /// The scenario.
    pub scenario_id: i64,
    /// The scenario's title.
    pub scenario: String,
    /// The plan's district.
    pub district: String,
    /// Its title.
    pub title: String,
    /// When.
    pub scheduled_for: DateTime<Utc>,
    /// Who takes part.
    pub participants: Vec<String>,
    /// scheduled, running, done or cancelled.
    pub status: String,
    /// The exercise's incident, once started.
    pub incident_id: Option<i64>,
    /// When it started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub ended_at: Option<DateTime<Utc>>,
    /// The evaluation.
    pub evaluation: Option<String>,
}

/// A drill with the figures of its exercise (as a real response's review has them).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = DrillEvaluated)]
pub struct Evaluated {
    /// The drill.
    #[serde(flatten)]
    pub drill: Drill,
    /// The figures, once started.
    pub figures: Option<Figures>,
}

const COLUMNS: &str = "d.id, d.plan_id, p.name AS plan, d.scenario_id, s.title AS scenario, d.district, d.title, \
     d.scheduled_for, d.participants, d.status, d.incident_id, d.started_at, d.ended_at, d.evaluation \
     FROM drill d JOIN plan p ON p.id = d.plan_id JOIN plan_scenario s ON s.id = d.scenario_id";

async fn one(conn: &mut PgConnection, id: i64) -> Result<Drill, Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} WHERE d.id = $1")))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(Error::NotFound { layer: "drill", id })
}

/// Refuses (403) an actor of another district than the drill's plan.
fn may_run(actor: &Actor, district: &str) -> Result<(), Error> {
    match &actor.district {
        Some(own) if own != district => Err(Error::Forbidden(format!(
            "{} acts for district {own}; drills of district {district}'s plans are its own or the city's",
            actor.name
        ))),
        _ => Ok(()),
    }
}

/// Schedules a drill of a plan's scenario.
pub async fn schedule(pool: &PgPool, actor: &Actor, body: ScheduleBody) -> Result<Drill, Error> {
    let at = Error::instant("scheduled_for", &body.scheduled_for)?;
    let now = Utc::now();
    if at < now - chrono::Duration::days(1) || at > now + chrono::Duration::days(400) {
        return Err(Error::invalid("scheduled_for", format!("{at} is more than a day past or 400 days ahead")));
    }
    if body.participants.len() > MAX_PARTICIPANTS {
        return Err(Error::invalid("participants", format!("at most {MAX_PARTICIPANTS}")));
    }
    let participants: Vec<String> =
        body.participants.into_iter().map(|p| Error::said("participants", p, 200, false)).collect::<Result<_, _>>()?;
    let title = Error::text("title", body.title, 200, false)?;
    let mut tx = begin_as(pool, actor).await?;
    let row: Option<(i64, String, String)> = sqlx::query_as(
        "SELECT p.id, p.district, s.title FROM plan_scenario s JOIN plan_version v ON v.id = s.version_id \
         JOIN plan p ON p.id = v.plan_id WHERE s.id = $1",
    )
    .bind(body.scenario_id)
    .fetch_optional(&mut *tx)
    .await?;
    let (plan, district, scenario) =
        row.ok_or_else(|| Error::invalid("scenario_id", format!("there is no scenario {}", body.scenario_id)))?;
    may_run(actor, &district)?;
    let title = title.filter(|t| !t.trim().is_empty()).unwrap_or(scenario);
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO drill (plan_id, scenario_id, district, title, scheduled_for, participants, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(plan)
    .bind(body.scenario_id)
    .bind(&district)
    .bind(&title)
    .bind(at)
    .bind(&participants)
    .bind(&actor.name)
    .fetch_one(&mut *tx)
    .await?;
    let drill = one(&mut tx, id).await?;
    tx.commit().await?;
    Ok(drill)
}

/// Locks drill `id` for a step, checks the actor may run it and that it is `needed`.
async fn hold(
    conn: &mut PgConnection,
    actor: &Actor,
    id: i64,
    step: &'static str,
    needed: &str,
) -> Result<Drill, Error> {
    sqlx::query("SELECT id FROM drill WHERE id = $1 FOR UPDATE")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(Error::NotFound { layer: "drill", id })?;
    let drill = one(conn, id).await?;
    may_run(actor, &drill.district)?;
    if drill.status != needed {
        return Err(
            super::Refused::DrillState { drill: id, status: drill.status, step, needed: needed.to_string() }.into()
        );
    }
    Ok(drill)
}

/// Starts drill `id`: its exercise incident at the scenario's risk source, the response
/// declared and the plan activated with the scenario — all in one transaction.
pub async fn start(pool: &PgPool, actor: &Actor, id: i64, body: StartBody) -> Result<Drill, Error> {
    let severity = body.severity.unwrap_or_else(|| "一般".to_string());
    if !crate::layers::spec::SEVERITIES.contains(&severity.as_str()) {
        return Err(Error::invalid("severity", format!("`{severity}` is not 一般, 较大, 重大 or 特别重大")));
    }
    let level = body.level.unwrap_or_else(|| "IV".to_string());
    let mut tx = begin_as(pool, actor).await?;
    let drill = hold(&mut tx, actor, id, "starting", "scheduled").await?;
    let incident: i64 = sqlx::query_scalar(
        "INSERT INTO incident (name, kind, pollutant, severity, district, geom, discovered_at, drill) \
         SELECT '【演练】' || $2, s.medium, s.substance, $3, r.district, ST_PointOnSurface(r.geom), now(), true \
         FROM plan_scenario s JOIN risk_source r ON r.id = s.risk_source_id WHERE s.id = $1 RETURNING id",
    )
    .bind(drill.scenario_id)
    .bind(&drill.title)
    .bind(&severity)
    .fetch_one(&mut *tx)
    .await?;
    jurisdiction::check(&mut tx, actor, "incident", &[incident]).await?;
    let step = ResponseBody {
        level: Some(level),
        why: Some(format!("演练：{}", drill.title)),
        activate: vec![Activate { plan_id: drill.plan_id, scenario_id: Some(drill.scenario_id) }],
        ..Default::default()
    };
    command::step_in(&mut tx, actor, incident, step).await?;
    sqlx::query("UPDATE drill SET status = 'running', started_at = now(), incident_id = $2 WHERE id = $1")
        .bind(id)
        .bind(incident)
        .execute(&mut *tx)
        .await?;
    let drill = one(&mut tx, id).await?;
    tx.commit().await?;
    Ok(drill)
}

/// Finishes drill `id`: its response ended (if it runs still), its incident closed, the
/// evaluation kept, each finding a revision flag of the plan (kind drill).
pub async fn finish(pool: &PgPool, actor: &Actor, id: i64, body: FinishBody) -> Result<Drill, Error> {
    let evaluation = Error::text("evaluation", body.evaluation, 8000, true)?;
    if body.findings.len() > MAX_FINDINGS {
        return Err(Error::invalid("findings", format!("at most {MAX_FINDINGS}")));
    }
    let findings: Vec<String> =
        body.findings.into_iter().map(|f| Error::said("findings", f, 4000, true)).collect::<Result<_, _>>()?;
    let mut tx = begin_as(pool, actor).await?;
    let drill = hold(&mut tx, actor, id, "finishing", "running").await?;
    let incident = drill.incident_id.ok_or_else(|| Error::Failed(format!("drill {id} runs without an incident")))?;
    let running: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM response WHERE incident_id = $1 AND ended_at IS NULL)")
            .bind(incident)
            .fetch_one(&mut *tx)
            .await?;
    if running {
        let end = ResponseBody { end: Some("演练结束".into()), ..Default::default() };
        command::step_in(&mut tx, actor, incident, end).await?;
    }
    sqlx::query("UPDATE incident SET status = 'closed', closed_at = coalesce(closed_at, now()) WHERE id = $1")
        .bind(incident)
        .execute(&mut *tx)
        .await?;
    let today = crate::plans::today();
    for finding in findings {
        crate::plans::findings::record_in(
            &mut tx,
            actor,
            drill.plan_id,
            "drill".into(),
            today,
            finding,
            Some(incident),
        )
        .await?;
    }
    sqlx::query("UPDATE drill SET status = 'done', ended_at = now(), evaluation = $2 WHERE id = $1")
        .bind(id)
        .bind(&evaluation)
        .execute(&mut *tx)
        .await?;
    let drill = one(&mut tx, id).await?;
    tx.commit().await?;
    Ok(drill)
}

/// Calls off scheduled drill `id`, saying why (kept as its evaluation).
pub async fn cancel(pool: &PgPool, actor: &Actor, id: i64, body: FinishBody) -> Result<Drill, Error> {
    if !body.findings.is_empty() {
        return Err(Error::invalid("findings", "a drill called off found nothing"));
    }
    let why = match Error::text("evaluation", body.evaluation, 8000, true)? {
        Some(w) if !w.trim().is_empty() => w,
        _ => return Err(Error::invalid("evaluation", "say why the drill is called off")),
    };
    let mut tx = begin_as(pool, actor).await?;
    hold(&mut tx, actor, id, "calling off", "scheduled").await?;
    sqlx::query("UPDATE drill SET status = 'cancelled', evaluation = $2 WHERE id = $1")
        .bind(id)
        .bind(&why)
        .execute(&mut *tx)
        .await?;
    let drill = one(&mut tx, id).await?;
    tx.commit().await?;
    Ok(drill)
}

/// Drill `id` with the figures of its exercise.
pub async fn show(pool: &PgPool, rivers: Arc<RoadGraph>, id: i64) -> Result<Evaluated, Error> {
    let drill = one(&mut *pool.acquire().await?, id).await?;
    let figures = match drill.incident_id {
        Some(incident) => Some(review::figures(pool, rivers, incident).await?),
        None => None,
    };
    Ok(Evaluated { drill, figures })
}

/// A plan's drills of the year: its unit's coverage.
#[derive(Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[schema(as = DrillCoverage)]
pub struct Coverage {
    /// The plan.
    pub plan_id: i64,
    /// Its name.
    pub plan: String,
    /// enterprise, government, department, water_source or park.
    pub kind: String,
    /// Its district.
    pub district: String,
    /// Drills done in the year.
    pub done: i64,
    /// Drills scheduled (not yet run) in the year.
    pub scheduled: i64,
    /// When the last one ended.
    pub last: Option<DateTime<Utc>>,
}

/// The year's drills, and each plan in force with its drills of the year.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = DrillYear)]
pub struct Year {
    /// The year (the city's calendar).
    pub year: i32,
    /// Its drills, by date.
    pub drills: Vec<Drill>,
    /// Each plan in force, with its drills of the year.
    pub plans: Vec<Coverage>,
    /// Plans in force with a drill done in the year.
    pub drilled: usize,
    /// Of the plans in force, the share drilled (0–1; null without plans).
    pub coverage: Option<f64>,
}

/// The drills of `year` (default this year) and the coverage of the plans in force; a
/// district's user sees its district's.
pub async fn list(pool: &PgPool, actor: &Actor, year: Option<i32>) -> Result<Year, Error> {
    let this = (Utc::now() + chrono::Duration::hours(8)).year();
    let year = year.unwrap_or(this);
    if !(2000..=this + 1).contains(&year) {
        return Err(Error::BadQuery(crate::error::Invalid::field("year", format!("{year} is not 2000–{}", this + 1))));
    }
    // The year by the city's clock (UTC+8).
    let (from, to) = (format!("{year}-01-01T00:00:00+08:00"), format!("{}-01-01T00:00:00+08:00", year + 1));
    let drills: Vec<Drill> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} WHERE d.scheduled_for >= $1::timestamptz AND d.scheduled_for < $2::timestamptz \
           AND ($3::text IS NULL OR d.district = $3) ORDER BY d.scheduled_for, d.id"
    )))
    .bind(&from)
    .bind(&to)
    .bind(&actor.district)
    .fetch_all(pool)
    .await?;
    let plans: Vec<Coverage> = sqlx::query_as(
        "SELECT p.id AS plan_id, p.name AS plan, p.kind, p.district, \
           count(d.id) FILTER (WHERE d.status = 'done') AS done, \
           count(d.id) FILTER (WHERE d.status = 'scheduled') AS scheduled, \
           max(d.ended_at) AS last \
         FROM plan p LEFT JOIN drill d ON d.plan_id = p.id \
           AND d.scheduled_for >= $1::timestamptz AND d.scheduled_for < $2::timestamptz \
         WHERE EXISTS (SELECT 1 FROM plan_version v WHERE v.plan_id = p.id AND v.status = 'in_force') \
           AND ($3::text IS NULL OR p.district = $3) \
         GROUP BY p.id ORDER BY p.district, p.name, p.id",
    )
    .bind(&from)
    .bind(&to)
    .bind(&actor.district)
    .fetch_all(pool)
    .await?;
    let drilled = plans.iter().filter(|p| p.done > 0).count();
    let coverage = (!plans.is_empty()).then(|| drilled as f64 / plans.len() as f64);
    Ok(Year { year, drills, plans, drilled, coverage })
}
