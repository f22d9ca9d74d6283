//! After the response (复盘): the figures of how it went, computed from the incident's timeline —
//! minutes from the first call to the incident, to the phone and written reports, to the first
//! order, to each order's acknowledgement and completion, to the first arrival on site; the
//! warning lead time at each water intake the river trace reaches; the stock sent — and the
//! record the bureau keeps: the investigation (cause, nature, responsibility), the losses, the
//! lessons, and corrective actions with owners and deadlines, tracked to done ("三个不放过").

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};

use crate::auth::{Actor, begin_as};
use crate::error::Error;
use crate::routing::RoadGraph;

/// Hours a spill is followed down the rivers to find the intakes it reaches.
const TRACE_HOURS: f64 = 72.0;
/// How near a river an intake counts as on it, m.
const NEAR_M: f64 = 1_000.0;

/// Minutes between two times.
fn minutes(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    ((to - from).num_milliseconds() as f64 / 6_000.0).round() / 10.0
}

/// An order as the review measures it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OrderFigures {
    /// The order.
    pub id: i64,
    /// What.
    pub what: String,
    /// Its module.
    pub module: String,
    /// order or notice.
    pub kind: String,
    /// Its status now.
    pub status: String,
    /// Minutes from the clock's start to its issue.
    pub issued_min: f64,
    /// Minutes from its issue to its acknowledgement.
    pub ack_min: Option<f64>,
    /// Minutes from its issue to its completion.
    pub done_min: Option<f64>,
    /// Done after its due time, or not done and past it.
    pub late: bool,
}

/// How much warning a water intake had before the pollution reached it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IntakeLead {
    /// The intake (a receptor).
    pub receptor_id: i64,
    /// Its name.
    pub name: String,
    /// When the pollution reached it (the clock's start plus the flow's hours).
    pub arrives_at: DateTime<Utc>,
    /// When it was warned (its recipient of a warning of the incident ticked notified).
    pub warned_at: Option<DateTime<Utc>>,
    /// Minutes of warning before the arrival (negative: warned after it; null: not warned).
    pub lead_min: Option<f64>,
}

/// Stock sent to the incident (dispatches not cancelled).
#[derive(Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct StockSent {
    /// The item.
    pub item: String,
    /// Its unit.
    pub unit: String,
    /// How much.
    pub quantity: f64,
}

/// The figures of how the response went, from the timeline.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = ResponseFigures)]
pub struct Figures {
    /// The clock's start: the first call, or the incident's discovery.
    pub clock_start: DateTime<Utc>,
    /// Minutes from the first call to the incident being opened.
    pub intake_to_incident_min: Option<f64>,
    /// Minutes from the clock's start to the phone report.
    pub phone_report_min: Option<f64>,
    /// Minutes from the clock's start to the written initial report.
    pub written_report_min: Option<f64>,
    /// Minutes from the clock's start to the response being declared.
    pub response_min: Option<f64>,
    /// Minutes from the clock's start to the first order.
    pub first_order_min: Option<f64>,
    /// Minutes from the clock's start to the first arrival on site.
    pub first_arrival_min: Option<f64>,
    /// Minutes the response lasted (declared to ended).
    pub response_duration_min: Option<f64>,
    /// Every order and notice.
    pub orders: Vec<OrderFigures>,
    /// Orders done, of all.
    pub orders_done: usize,
    /// Orders late (done after their due time, or not done and past it).
    pub orders_late: usize,
    /// The water intakes the spill reached down the rivers, with their warning.
    pub intakes: Vec<IntakeLead>,
    /// The stock sent.
    pub stock_sent: Vec<StockSent>,
}

/// The incident's times the figures start from: (created, discovered, first call, phone report,
/// initial report, response declared, response ended, first arrival).
type Times = (
    DateTime<Utc>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
);

/// An order's times: id, what, module, kind, status, issued, acknowledged, done, due.
type OrderRow =
    (i64, String, String, String, String, DateTime<Utc>, Option<DateTime<Utc>>, Option<DateTime<Utc>>, DateTime<Utc>);

/// The figures of incident `incident`, as of now.
pub async fn figures(pool: &PgPool, rivers: Arc<RoadGraph>, incident: i64) -> Result<Figures, Error> {
    let times: Option<Times> = sqlx::query_as(
        "SELECT i.created_at, i.discovered_at, \
                (SELECT min(k.received_at) FROM intake k WHERE k.incident_id = i.id), \
                (SELECT min(p.called_at) FROM phone_report p WHERE p.incident_id = i.id), \
                (SELECT min(r.submitted_at) FROM incident_report r WHERE r.incident_id = i.id AND r.stage = 'initial'), \
                (SELECT s.declared_at FROM response s WHERE s.incident_id = i.id), \
                (SELECT s.ended_at FROM response s WHERE s.incident_id = i.id), \
                (SELECT min(d.arrived_at) FROM dispatch d WHERE d.incident_id = i.id AND d.status <> 'cancelled') \
         FROM incident i WHERE i.id = $1",
    )
    .bind(incident)
    .fetch_optional(pool)
    .await?;
    let (created, discovered, call, phone, written, declared, ended, arrival) =
        times.ok_or(Error::NotFound { layer: "incident", id: incident })?;
    let start = call.map_or(discovered, |c| c.min(discovered));
    let since = |t: Option<DateTime<Utc>>| t.map(|t| minutes(start, t));
    let rows: Vec<OrderRow> = sqlx::query_as(
        "SELECT id, what, module, kind, status, issued_at, acknowledged_at, done_at, due_at FROM response_order \
         WHERE incident_id = $1 AND status <> 'draft' ORDER BY issued_at, id",
    )
    .bind(incident)
    .fetch_all(pool)
    .await?;
    let now = Utc::now();
    let orders: Vec<OrderFigures> = rows
        .into_iter()
        .map(|(id, what, module, kind, status, issued, ack, done, due)| OrderFigures {
            late: match done {
                Some(d) => d > due,
                None => status != "refused" && due < now,
            },
            issued_min: minutes(start, issued),
            ack_min: ack.map(|a| minutes(issued, a)),
            done_min: done.map(|d| minutes(issued, d)),
            id,
            what,
            module,
            kind,
            status,
        })
        .collect();
    let first_order = orders.iter().filter(|o| o.kind == "order").map(|o| o.issued_min).reduce(f64::min);
    let stock_sent = sqlx::query_as(
        "SELECT i.item, i.unit, sum(i.quantity)::float8 AS quantity FROM dispatch_item i \
         JOIN dispatch d ON d.id = i.dispatch_id WHERE d.incident_id = $1 AND d.status <> 'cancelled' \
         GROUP BY 1, 2 ORDER BY 1, 2",
    )
    .bind(incident)
    .fetch_all(pool)
    .await?;
    Ok(Figures {
        clock_start: start,
        intake_to_incident_min: call.map(|c| minutes(c, created)),
        phone_report_min: since(phone),
        written_report_min: since(written),
        response_min: since(declared),
        first_order_min: first_order,
        first_arrival_min: since(arrival),
        response_duration_min: declared.zip(ended).map(|(d, e)| minutes(d, e)),
        orders_done: orders.iter().filter(|o| o.status == "done").count(),
        orders_late: orders.iter().filter(|o| o.late).count(),
        orders,
        intakes: intakes(pool, rivers, incident, start).await?,
        stock_sent,
    })
}

/// The water intakes incident `incident`'s spill reaches down the rivers, each with when it
/// arrives (from `start`) and when the intake was warned.
async fn intakes(
    pool: &PgPool,
    rivers: Arc<RoadGraph>,
    incident: i64,
    start: DateTime<Utc>,
) -> Result<Vec<IntakeLead>, Error> {
    let (kind, x, y): (String, f64, f64) = sqlx::query_as(
        "SELECT kind, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM incident WHERE id = $1",
    )
    .bind(incident)
    .fetch_one(pool)
    .await?;
    if kind != "water" {
        return Ok(Vec::new());
    }
    let traced = crate::risk::traced::follow(
        pool,
        rivers,
        geo::Coord { x, y },
        TRACE_HOURS,
        crate::risk::trace::Way::Downstream,
        super::crossings::SNAP_M,
        NEAR_M,
    )
    .await?;
    let crate::risk::traced::Traced::On(trace) = traced else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    for met in trace.receptors.unwrap_or_default().into_iter().filter(|m| m.about.value() == Some("water_intake")) {
        let warned_at: Option<DateTime<Utc>> = sqlx::query_scalar(
            "SELECT min(r.notified_at) FROM warning_recipient r JOIN warning w ON w.id = r.warning_id \
             WHERE w.incident_id = $1 AND r.receptor_id = $2",
        )
        .bind(incident)
        .bind(met.id)
        .fetch_one(pool)
        .await?;
        let arrives_at = start + chrono::Duration::milliseconds((met.hours * 3_600_000.0) as i64);
        out.push(IntakeLead {
            receptor_id: met.id,
            name: met.name,
            arrives_at,
            warned_at,
            lead_min: warned_at.map(|w| minutes(w, arrives_at)),
        });
    }
    Ok(out)
}

/// The losses of an incident.
#[derive(Debug, Default, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Losses {
    /// People who died.
    pub deaths: Option<i64>,
    /// People injured or poisoned.
    pub injuries: Option<i64>,
    /// People evacuated.
    pub evacuated: Option<i64>,
    /// Direct economic loss, yuan.
    pub direct_loss_yuan: Option<f64>,
    /// What else was lost or harmed (water supply cut, fish killed …).
    pub description: Option<String>,
}

/// The investigation as the bureau records it (all of it replaces what was there).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordBody {
    /// The cause, as investigated.
    pub cause: Option<String>,
    /// Its nature (责任事件, 自然灾害引发 …).
    pub nature: Option<String>,
    /// Who was responsible, and what follows.
    pub responsibility: Option<String>,
    /// The losses.
    #[serde(default)]
    pub losses: Losses,
    /// The lessons.
    pub lessons: Option<String>,
}

/// The investigation as recorded.
#[derive(Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[schema(as = Investigation)]
pub struct Record {
    /// The cause.
    pub cause: Option<String>,
    /// Its nature.
    pub nature: Option<String>,
    /// Who was responsible.
    pub responsibility: Option<String>,
    /// The losses.
    #[schema(value_type = Losses)]
    pub losses: sqlx::types::Json<Losses>,
    /// The lessons.
    pub lessons: Option<String>,
    /// By whom.
    pub recorded_by: String,
    /// When last.
    pub updated_at: DateTime<Utc>,
}

/// A corrective action.
#[derive(Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[schema(as = CorrectiveAction)]
pub struct Action {
    /// Its id.
    pub id: i64,
    /// The incident.
    pub incident_id: i64,
    /// What is to be done.
    pub what: String,
    /// Who owns it.
    pub owner: String,
    /// By when.
    pub due_on: NaiveDate,
    /// open or done.
    pub status: String,
    /// When done.
    pub done_at: Option<DateTime<Utc>>,
    /// By whom.
    pub done_by: Option<String>,
    /// What was done.
    pub done_note: Option<String>,
    /// Open past its day (the city's calendar).
    pub overdue: bool,
}

const ACTION_COLUMNS: &str = "id, incident_id, what, owner, due_on, status, done_at, done_by, done_note, \
     (status = 'open' AND due_on < (now() AT TIME ZONE 'Asia/Shanghai')::date) AS overdue";

/// A corrective action as the bureau sets it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionBody {
    /// What is to be done.
    pub what: String,
    /// Who owns it (a unit or a person).
    pub owner: String,
    /// By when (YYYY-MM-DD).
    pub due_on: String,
}

/// Marking an action done.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DoneBody {
    /// What was done.
    pub note: Option<String>,
}

/// The review of an incident: its figures, the record and the corrective actions.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = IncidentReview)]
pub struct Review {
    /// The incident.
    pub incident_id: i64,
    /// Whether the response has ended (the figures are final) or the incident is closed.
    pub over: bool,
    /// The figures, from the timeline.
    pub figures: Figures,
    /// The investigation, once recorded.
    pub record: Option<Record>,
    /// The corrective actions, by due day.
    pub actions: Vec<Action>,
}

/// Whether incident `incident`'s response has ended or the incident is closed.
async fn over(conn: &mut PgConnection, incident: i64) -> Result<bool, Error> {
    let over: Option<bool> = sqlx::query_scalar(
        "SELECT i.status = 'closed' OR EXISTS (SELECT 1 FROM response r WHERE r.incident_id = i.id AND r.ended_at IS NOT NULL) \
         FROM incident i WHERE i.id = $1",
    )
    .bind(incident)
    .fetch_optional(conn)
    .await?;
    over.ok_or(Error::NotFound { layer: "incident", id: incident })
}

/// The corrective actions of incident `incident` (None: every open one), by due day.
pub async fn actions(conn: &mut PgConnection, incident: Option<i64>) -> Result<Vec<Action>, Error> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ACTION_COLUMNS} FROM corrective_action \
         WHERE ($1::bigint IS NULL AND status = 'open') OR incident_id = $1 ORDER BY due_on, id LIMIT 1000"
    )))
    .bind(incident)
    .fetch_all(conn)
    .await?)
}

/// The review of incident `incident`.
pub async fn read(pool: &PgPool, rivers: Arc<RoadGraph>, incident: i64) -> Result<Review, Error> {
    let mut conn = pool.acquire().await?;
    let over = over(&mut conn, incident).await?;
    let record = sqlx::query_as(
        "SELECT cause, nature, responsibility, losses, lessons, recorded_by, updated_at FROM review WHERE incident_id = $1",
    )
    .bind(incident)
    .fetch_optional(&mut *conn)
    .await?;
    let actions = actions(&mut conn, Some(incident)).await?;
    drop(conn);
    Ok(Review { incident_id: incident, over, figures: figures(pool, rivers, incident).await?, record, actions })
}

/// Refuses (409) a review step before the response has ended or the incident is closed.
async fn held_over(conn: &mut PgConnection, actor: &Actor, incident: i64) -> Result<(), Error> {
    super::hold::incident(conn, actor, incident).await?;
    if over(conn, incident).await? { Ok(()) } else { Err(super::Refused::NotOver { incident }.into()) }
}

fn count(field: &str, n: Option<i64>) -> Result<(), Error> {
    match n {
        Some(n) if !(0..=100_000_000).contains(&n) => Err(Error::invalid(field, format!("{n} is not 0–100,000,000"))),
        _ => Ok(()),
    }
}

/// Records (or replaces) the investigation of incident `incident`.
pub async fn record(pool: &PgPool, actor: &Actor, incident: i64, body: RecordBody) -> Result<(), Error> {
    let cause = Error::text("cause", body.cause, 4000, true)?;
    let nature = Error::text("nature", body.nature, 2000, true)?;
    let responsibility = Error::text("responsibility", body.responsibility, 4000, true)?;
    let lessons = Error::text("lessons", body.lessons, 8000, true)?;
    let mut losses = body.losses;
    count("losses.deaths", losses.deaths)?;
    count("losses.injuries", losses.injuries)?;
    count("losses.evacuated", losses.evacuated)?;
    if let Some(y) = losses.direct_loss_yuan
        && !(y.is_finite() && (0.0..=1e13).contains(&y))
    {
        return Err(Error::invalid("losses.direct_loss_yuan", format!("{y} is not an amount of yuan")));
    }
    losses.description = Error::text("losses.description", losses.description, 4000, true)?;
    let mut tx = begin_as(pool, actor).await?;
    held_over(&mut tx, actor, incident).await?;
    sqlx::query(
        "INSERT INTO review (incident_id, cause, nature, responsibility, losses, lessons, recorded_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (incident_id) DO UPDATE SET cause = EXCLUDED.cause, nature = EXCLUDED.nature, \
           responsibility = EXCLUDED.responsibility, losses = EXCLUDED.losses, lessons = EXCLUDED.lessons, \
           recorded_by = EXCLUDED.recorded_by",
    )
    .bind(incident)
    .bind(&cause)
    .bind(&nature)
    .bind(&responsibility)
    .bind(sqlx::types::Json(&losses))
    .bind(&lessons)
    .bind(&actor.name)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Sets a corrective action of incident `incident`.
pub async fn add_action(pool: &PgPool, actor: &Actor, incident: i64, body: ActionBody) -> Result<Action, Error> {
    let what = Error::said("what", body.what, 2000, true)?;
    let owner = Error::said("owner", body.owner, 200, false)?;
    let due_on = NaiveDate::parse_from_str(body.due_on.trim(), "%Y-%m-%d")
        .map_err(|_| Error::invalid("due_on", format!("`{}` is not a day like 2027-03-31", body.due_on)))?;
    let mut tx = begin_as(pool, actor).await?;
    held_over(&mut tx, actor, incident).await?;
    let today: NaiveDate =
        sqlx::query_scalar("SELECT (now() AT TIME ZONE 'Asia/Shanghai')::date").fetch_one(&mut *tx).await?;
    if due_on < today || due_on > today + chrono::Duration::days(3 * 366) {
        return Err(Error::invalid("due_on", format!("{due_on} is past or more than three years ahead")));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO corrective_action (incident_id, what, owner, due_on, created_by) VALUES ($1, $2, $3, $4, $5) \
         RETURNING id",
    )
    .bind(incident)
    .bind(&what)
    .bind(&owner)
    .bind(due_on)
    .bind(&actor.name)
    .fetch_one(&mut *tx)
    .await?;
    let action = one_action(&mut tx, id).await?;
    tx.commit().await?;
    Ok(action)
}

async fn one_action(conn: &mut PgConnection, id: i64) -> Result<Action, Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {ACTION_COLUMNS} FROM corrective_action WHERE id = $1")))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(Error::NotFound { layer: "corrective_action", id })
}

/// Marks corrective action `id` done, once.
pub async fn action_done(pool: &PgPool, actor: &Actor, id: i64, body: DoneBody) -> Result<Action, Error> {
    let note = Error::text("note", body.note, 2000, true)?;
    let incident: i64 = sqlx::query_scalar("SELECT incident_id FROM corrective_action WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await?
        .ok_or(Error::NotFound { layer: "corrective_action", id })?;
    let mut tx = begin_as(pool, actor).await?;
    super::hold::incident(&mut tx, actor, incident).await?;
    let status: String = sqlx::query_scalar("SELECT status FROM corrective_action WHERE id = $1 FOR UPDATE")
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    if status != "open" {
        return Err(super::Refused::ActionDone { action: id }.into());
    }
    sqlx::query(
        "UPDATE corrective_action SET status = 'done', done_at = now(), done_by = $2, done_note = $3 WHERE id = $1",
    )
    .bind(id)
    .bind(&actor.name)
    .bind(&note)
    .execute(&mut *tx)
    .await?;
    let action = one_action(&mut tx, id).await?;
    tx.commit().await?;
    Ok(action)
}
