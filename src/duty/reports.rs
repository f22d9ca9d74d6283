//! An incident's reports: drafts written and submitted by their authors, in the order the rule
//! sets — the initial report first, follow-ups after it, the final report last, which closes
//! the incident. Every step runs in one transaction holding the incident's row, so two desks
//! cannot both file "the" initial report; submitted reports are frozen (the database refuses
//! to change them too).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use geo::Coord;
use serde::Serialize;
use serde_json::{Map, Value, json};
use sqlx::{PgConnection, PgPool};

use super::refused::Refused;
use super::report::{self, Stage};
use crate::auth::begin_as;
use crate::auth::{Actor, jurisdiction};
use crate::error::Error;
use crate::layers::spec::INCIDENT_LAYER;
use crate::layers::store;
use crate::risk::trace::{Way, near_reaches, trace};
use crate::routing::RoadGraph;

/// Receptors this close to an incident are threatened (schools, hospitals, residents …).
const NEARBY_M: f64 = 3_000.0;
/// How far downstream a water incident threatens intakes, in hours of flow.
const DOWNSTREAM_HOURS: f64 = 24.0;
/// Furthest a water incident may lie from a river to be traced.
const RIVER_SNAP_M: f64 = 2_000.0;
/// Receptors this close to the traced river are reached.
const RIVER_NEAR_M: f64 = 1_000.0;
/// Most receptors filled in.
const MAX_THREATENED: usize = 50;

/// The incident as the report rules need it, locked for the transaction.
struct Held {
    status: String,
    severity: String,
    initial_reported: bool,
    final_reported: bool,
}

/// A report: its fields (those of its stage), who wrote it, when, and whether it was submitted.
#[derive(Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Report {
    /// The report's id.
    pub id: i64,
    /// The incident it reports.
    pub incident_id: i64,
    /// initial, follow_up or final.
    #[sqlx(try_from = "String")]
    #[schema(value_type = String)]
    pub stage: Stage,
    /// The follow-up's number (1, 2 …), given when it is submitted.
    pub number: Option<i32>,
    /// draft or submitted.
    pub status: String,
    /// Who wrote it.
    pub author: String,
    /// When it was submitted (none: a draft).
    pub submitted_at: Option<DateTime<Utc>>,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// The fields of its stage ([`Stage::fields`]), by name.
    #[serde(flatten)]
    #[sqlx(json)]
    #[schema(value_type = Object)]
    pub content: Map<String, Value>,
}

/// An incident's reports.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Reports {
    /// The incident.
    pub incident_id: i64,
    /// In the order they were written.
    pub reports: Vec<Report>,
}

/// The columns of [`Report`], from `incident_report r`.
const REPORT_COLUMNS: &str = "r.id, r.incident_id, r.stage, r.number, \
     CASE WHEN r.submitted_at IS NULL THEN 'draft' ELSE 'submitted' END AS status, \
     r.author, r.submitted_at, r.created_at, r.updated_at, r.content";

async fn hold(tx: &mut PgConnection, actor: &Actor, incident: i64) -> Result<Held, Error> {
    let row: Option<(String, String, bool, bool)> = sqlx::query_as(
        "SELECT status, severity, initial_reported_at IS NOT NULL, final_reported_at IS NOT NULL \
         FROM incident WHERE id = $1 FOR UPDATE",
    )
    .bind(incident)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((status, severity, initial_reported, final_reported)) = row else {
        return Err(Error::NotFound { layer: "incident", id: incident });
    };
    jurisdiction::check(tx, actor, "incident", &[incident]).await?;
    Ok(Held { status, severity, initial_reported, final_reported })
}

/// Whether a report of `stage` may be filed (or submitted) now.
fn may_file(held: &Held, incident: i64, stage: Stage) -> Result<(), Error> {
    let refused = |detail: String| Err(Refused::OutOfOrder { stage, detail }.into());
    if held.final_reported {
        return refused(format!("incident {incident} has its final report; nothing follows it"));
    }
    match stage {
        Stage::Initial | Stage::FollowUp if held.status == "closed" => {
            refused(format!("incident {incident} is closed; only its final report may still be filed"))
        }
        Stage::FollowUp | Stage::Final if !held.initial_reported => {
            refused(format!("incident {incident} has no submitted initial report yet; it comes first"))
        }
        _ => Ok(()),
    }
}

/// The reports of `incident`, in the order they were written.
pub async fn list(pool: &PgPool, incident: i64) -> Result<Reports, Error> {
    store::exists(&mut *pool.acquire().await?, &INCIDENT_LAYER, incident).await?;
    let reports = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {REPORT_COLUMNS} FROM incident_report r WHERE r.incident_id = $1 ORDER BY r.id"
    )))
    .bind(incident)
    .fetch_all(pool)
    .await?;
    Ok(Reports { incident_id: incident, reports })
}

/// Report `id` of `incident`.
pub async fn show(conn: &mut PgConnection, incident: i64, id: i64) -> Result<Report, Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {REPORT_COLUMNS} FROM incident_report r WHERE r.id = $1 AND r.incident_id = $2"
    )))
    .bind(id)
    .bind(incident)
    .fetch_optional(conn)
    .await?
    .ok_or(Error::NotFound { layer: "incident_report", id })
}

/// What a request to write a report says besides its content.
struct Request {
    stage: Option<Stage>,
    submit: bool,
    content: Map<String, Value>,
}

fn request(body: Value) -> Result<Request, Error> {
    let Value::Object(mut body) = body else {
        return Err(Error::invalid("body", "must be a JSON object"));
    };
    let stage = match body.remove("stage") {
        Some(Value::String(s)) => Some(Stage::parse(&s)?),
        Some(Value::Null) | None => None,
        Some(_) => return Err(Error::invalid("stage", "must be a string")),
    };
    let submit = match body.remove("submit") {
        Some(Value::Bool(b)) => b,
        None | Some(Value::Null) => false,
        Some(_) => return Err(Error::invalid("submit", "must be true or false")),
    };
    Ok(Request { stage, submit, content: body })
}

/// Files a report of `incident` by `actor` from `body` (`stage`, its fields, and `submit`).
/// An initial report without `threatened` gets the receptors the map shows threatened; a
/// follow-up without `resources` gets the incident's dispatches.
pub async fn create(
    pool: &PgPool,
    rivers: Arc<RoadGraph>,
    actor: &Actor,
    incident: i64,
    body: Value,
) -> Result<Report, Error> {
    let request = request(body)?;
    let stage = request.stage.ok_or_else(|| Error::invalid("stage", "is required: initial, follow_up or final"))?;
    let mut content = report::check(stage, &request.content)?;
    match stage {
        Stage::Initial if !content.contains_key("threatened") => {
            content.insert("threatened".into(), threatened(pool, rivers, incident).await?.into());
        }
        Stage::FollowUp if !content.contains_key("resources") => {
            content.insert("resources".into(), resources(pool, incident).await?.into());
        }
        _ => {}
    }
    let mut tx = begin_as(pool, actor).await?;
    let held = hold(&mut tx, actor, incident).await?;
    may_file(&held, incident, stage)?;
    if stage != Stage::FollowUp {
        let existing: Option<(i64, String, bool)> = sqlx::query_as(
            "SELECT id, author, submitted_at IS NOT NULL FROM incident_report WHERE incident_id = $1 AND stage = $2",
        )
        .bind(incident)
        .bind(stage.name())
        .fetch_optional(&mut *tx)
        .await?;
        if let Some((id, author, submitted)) = existing {
            let state = if submitted { "submitted" } else { "a draft" };
            return Err(Refused::Exists { incident, stage, id, state, author }.into());
        }
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO incident_report (incident_id, stage, content, author_id, author) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(incident)
    .bind(stage.name())
    .bind(sqlx::types::Json(&content))
    .bind(actor.user_id)
    .bind(&actor.name)
    .fetch_one(&mut *tx)
    .await?;
    if request.submit {
        submit_in(&mut tx, &held, incident, id, stage, &content).await?;
    }
    let out = show(&mut tx, incident, id).await?;
    tx.commit().await?;
    Ok(out)
}

/// stage, content, author id and name, submitted.
type DraftRow = (String, sqlx::types::Json<Map<String, Value>>, Option<i64>, String, bool);

/// The draft `id` of `incident`, locked, if `actor` wrote it: (stage, content).
async fn own_draft(
    tx: &mut PgConnection,
    actor: &Actor,
    incident: i64,
    id: i64,
) -> Result<(Stage, Map<String, Value>), Error> {
    let row: Option<DraftRow> = sqlx::query_as(
        "SELECT stage, content, author_id, author, submitted_at IS NOT NULL FROM incident_report \
         WHERE id = $1 AND incident_id = $2 FOR UPDATE",
    )
    .bind(id)
    .bind(incident)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((stage, content, author_id, author, submitted)) = row else {
        return Err(Error::NotFound { layer: "incident_report", id });
    };
    if submitted {
        return Err(Refused::Submitted { id }.into());
    }
    let mine = match (author_id, actor.user_id) {
        (Some(a), Some(b)) => a == b,
        _ => author == actor.name,
    };
    if !mine {
        return Err(Error::Forbidden(format!("report {id} is a draft of {author}; only its author may change it")));
    }
    Ok((Stage::parse(&stage)?, content.0))
}

/// Changes fields of a draft (a null removes one); with `"submit": true` submits it after.
pub async fn edit(pool: &PgPool, actor: &Actor, incident: i64, id: i64, body: Value) -> Result<Report, Error> {
    let request = request(body)?;
    let mut tx = begin_as(pool, actor).await?;
    let held = hold(&mut tx, actor, incident).await?;
    let (stage, mut content) = own_draft(&mut tx, actor, incident, id).await?;
    if request.stage.is_some_and(|s| s != stage) {
        return Err(Error::invalid(
            "stage",
            format!("report {id} is a {} report; its stage does not change", stage.name()),
        ));
    }
    let changes = report::check(stage, &request.content)?;
    for (name, value) in &request.content {
        if value.is_null() {
            content.remove(name);
        }
    }
    content.extend(changes);
    sqlx::query("UPDATE incident_report SET content = $2 WHERE id = $1")
        .bind(id)
        .bind(sqlx::types::Json(&content))
        .execute(&mut *tx)
        .await?;
    if request.submit {
        may_file(&held, incident, stage)?;
        submit_in(&mut tx, &held, incident, id, stage, &content).await?;
    }
    let out = show(&mut tx, incident, id).await?;
    tx.commit().await?;
    Ok(out)
}

/// Submits the draft `id`: from now on it is part of the record.
pub async fn submit(pool: &PgPool, actor: &Actor, incident: i64, id: i64) -> Result<Report, Error> {
    let mut tx = begin_as(pool, actor).await?;
    let held = hold(&mut tx, actor, incident).await?;
    let (stage, content) = own_draft(&mut tx, actor, incident, id).await?;
    may_file(&held, incident, stage)?;
    submit_in(&mut tx, &held, incident, id, stage, &content).await?;
    let out = show(&mut tx, incident, id).await?;
    tx.commit().await?;
    Ok(out)
}

/// Throws away the draft `id`.
pub async fn discard(pool: &PgPool, actor: &Actor, incident: i64, id: i64) -> Result<(), Error> {
    let mut tx = begin_as(pool, actor).await?;
    hold(&mut tx, actor, incident).await?;
    own_draft(&mut tx, actor, incident, id).await?;
    sqlx::query("DELETE FROM incident_report WHERE id = $1").bind(id).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Submits inside the caller's transaction, and what it does to the incident: the initial
/// report stops its clock, a follow-up may change its severity, the final report closes it.
async fn submit_in(
    tx: &mut PgConnection,
    held: &Held,
    incident: i64,
    id: i64,
    stage: Stage,
    content: &Map<String, Value>,
) -> Result<(), Error> {
    let missing = report::missing(stage, content);
    if !missing.is_empty() {
        return Err(Error::invalid(
            missing[0],
            format!("a {} report is submitted with {}; missing: {}", stage.name(), required(stage), missing.join(", ")),
        ));
    }
    sqlx::query(
        "UPDATE incident_report SET submitted_at = now(), number = (SELECT coalesce(max(number), 0) + 1 \
           FROM incident_report WHERE incident_id = $2 AND stage = $3) WHERE id = $1",
    )
    .bind(id)
    .bind(incident)
    .bind(stage.name())
    .execute(&mut *tx)
    .await?;
    match stage {
        Stage::Initial => {
            sqlx::query("UPDATE incident SET initial_reported_at = now() WHERE id = $1")
                .bind(incident)
                .execute(&mut *tx)
                .await?;
        }
        Stage::FollowUp => {
            if let Some(severity) = content.get("severity").and_then(Value::as_str).filter(|s| *s != held.severity) {
                sqlx::query("UPDATE incident SET severity = $2 WHERE id = $1")
                    .bind(incident)
                    .bind(severity)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        Stage::Final => {
            sqlx::query("UPDATE incident SET status = 'closed', final_reported_at = now() WHERE id = $1")
                .bind(incident)
                .execute(&mut *tx)
                .await?;
        }
    }
    Ok(())
}

fn required(stage: Stage) -> String {
    stage.fields().iter().filter(|p| p.required).map(|p| p.name).collect::<Vec<_>>().join(", ")
}

/// The receptors the map shows threatened by `incident`: for a water incident, those along
/// the river downstream within a day of flow (intakes first); for any, the sensitive ones
/// within 3 km, nearest first.
pub async fn threatened(pool: &PgPool, rivers: Arc<RoadGraph>, incident: i64) -> Result<Vec<Value>, Error> {
    let row: Option<(String, f64, f64)> =
        sqlx::query_as("SELECT kind, ST_X(geom), ST_Y(geom) FROM incident WHERE id = $1")
            .bind(incident)
            .fetch_optional(pool)
            .await?;
    let Some((kind, x, y)) = row else {
        return Err(Error::NotFound { layer: "incident", id: incident });
    };
    let mut out: Vec<Value> = Vec::new();
    if kind == "water"
        && let Some(start) = rivers.snap(Coord { x, y }, RIVER_SNAP_M, &|_| true)
    {
        let reaches =
            crate::work::run("river trace", move || trace(&rivers, &start, DOWNSTREAM_HOURS, Way::Downstream)).await?;
        for r in near_reaches(pool, &reaches, Way::Downstream, RIVER_NEAR_M).await? {
            out.push(json!({"id": r.id, "name": r.name, "kind": r.about.value(), "via": "downstream",
                            "hours": r.hours, "minutes": r.minutes, "distance_m": r.distance_m}));
        }
    }
    let near: Vec<(i64, String, String, f64)> = sqlx::query_as(
        "SELECT r.id, r.name, r.kind, ST_Distance(r.geom::geography, i.geom::geography) AS d \
         FROM receptor r, incident i WHERE i.id = $1 AND r.kind <> 'river_section' \
           AND ST_DWithin(r.geom::geography, i.geom::geography, $2) ORDER BY d, r.id LIMIT $3",
    )
    .bind(incident)
    .bind(NEARBY_M)
    .bind(MAX_THREATENED as i64)
    .fetch_all(pool)
    .await?;
    for (id, name, kind, d) in near {
        if !out.iter().any(|t| t["id"] == id) {
            out.push(json!({"id": id, "name": name, "kind": kind, "via": "nearby", "distance_m": d.round()}));
        }
    }
    out.truncate(MAX_THREATENED);
    Ok(out)
}

/// The incident's dispatches as resources deployed: what, from where, in what state.
pub async fn resources(pool: &PgPool, incident: i64) -> Result<Vec<Value>, Error> {
    Ok(sqlx::query_scalar(
        "SELECT jsonb_strip_nulls(jsonb_build_object('dispatch_id', d.id, \
           'what', coalesce(t.name || '（' || array_to_string(t.specialties, '、') || '）', t.name, \
              (SELECT string_agg(i.item || ' ' || i.quantity || i.unit, '、' ORDER BY i.stock_item_id) \
                 FROM dispatch_item i WHERE i.dispatch_id = d.id), '物资'), \
           'from', coalesce(p.name, t.name), 'status', d.status, 'eta', d.eta, 'arrived_at', d.arrived_at)) \
         FROM dispatch d LEFT JOIN depot p ON p.id = d.depot_id LEFT JOIN team t ON t.id = d.team_id \
         WHERE d.incident_id = $1 AND d.status <> 'cancelled' ORDER BY d.id",
    )
    .bind(incident)
    .fetch_all(pool)
    .await?)
}
