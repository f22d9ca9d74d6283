//! Orders (指令) that come back: what, to whom (a team, a district's duty office, an
//! enterprise, a command group or a user), due by when, from which plan measure; issued →
//! acknowledged → done (with a note and a position) or refused (with the reason). Only the
//! addressee or the command answers; every step is in the feed (`order` events). An order not
//! acknowledged within the configured minutes (`order_rule`, from the report deadlines' file)
//! or not done by its due time is flagged, and the desk is told (`feed::deadlines`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::PgConnection;

use super::Refused;
use crate::auth::{Action, Actor, begin_as};
use crate::error::Error;
use crate::layers::words;

/// Longest an order may be given, hours.
pub const MAX_DUE_HOURS: i64 = 24 * 30;

/// The module (of `words::ORDER_MODULE`) a plan measure's words belong to: the first whose key
/// words they hold, else `other`.
pub fn module_of(step: &str) -> &'static str {
    const KEYS: [(&str, &[&str]); 7] = [
        ("evacuation", &["疏散", "撤离", "转移"]),
        ("monitoring", &["监测", "采样", "检测"]),
        ("containment", &["截", "围油栏", "堵", "拦", "关闭", "停止", "吸附", "投加", "收集", "导流", "引流"]),
        ("warning", &["预警", "通知", "告知", "停止取水", "停水"]),
        ("reporting", &["报告", "上报", "报送", "电话报"]),
        ("public_info", &["舆情", "新闻", "发布", "媒体"]),
        ("support", &["物资", "调运", "保障", "救援队", "车辆"]),
    ];
    KEYS.iter().find(|(_, keys)| keys.iter().any(|k| step.contains(k))).map_or("other", |(m, _)| *m)
}

/// An order as the command gives it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderBody {
    /// What is to be done.
    pub what: String,
    /// monitoring, containment, warning, reporting, evacuation, public_info, support or other.
    pub module: String,
    /// To whom: team (its id), district (区县 code), enterprise (credit code), group (a command
    /// group's name) or user (a user name).
    pub to_kind: String,
    /// Which one.
    pub to_ref: String,
    /// Due by (RFC 3339), or …
    pub due_at: Option<String>,
    /// … in so many minutes.
    pub due_in_minutes: Option<f64>,
}

/// An order, checked.
#[derive(Debug, Clone)]
pub struct NewOrder {
    /// What.
    pub what: String,
    /// The module (a code of `words::ORDER_MODULE`).
    pub module: String,
    /// To whom: the kind.
    pub to_kind: String,
    /// To whom: which.
    pub to_ref: String,
    /// Due by.
    pub due_at: DateTime<Utc>,
    /// The plan measure it came from.
    pub from_measure: Option<Value>,
}

/// An order as it stands.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Order {
    /// Its id.
    pub id: i64,
    /// The incident.
    pub incident_id: i64,
    /// order, or notice (a cross-boundary notice, drafted by onemap and sent by the command).
    pub kind: String,
    /// A notice's crossing: medium, place, counties, hours, arrives_at.
    #[schema(value_type = Option<Object>)]
    pub crossing: Option<sqlx::types::Json<Value>>,
    /// What.
    pub what: String,
    /// Its module.
    pub module: String,
    /// To whom: the kind.
    pub to_kind: String,
    /// To whom: which.
    pub to_ref: String,
    /// Due by.
    pub due_at: DateTime<Utc>,
    /// The plan measure it came from.
    #[schema(value_type = Option<Object>)]
    pub from_measure: Option<sqlx::types::Json<Value>>,
    /// draft (a notice not yet sent), issued, acknowledged, done or refused.
    pub status: String,
    /// When issued.
    pub issued_at: DateTime<Utc>,
    /// By whom.
    pub issued_by: String,
    /// When acknowledged.
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// By whom.
    pub acknowledged_by: Option<String>,
    /// When done.
    pub done_at: Option<DateTime<Utc>>,
    /// By whom.
    pub done_by: Option<String>,
    /// What was done, or said.
    pub note: Option<String>,
    /// Where it was done: longitude.
    pub lon: Option<f64>,
    /// Latitude.
    pub lat: Option<f64>,
    /// Why it was refused.
    pub refused_reason: Option<String>,
    /// How many photos it has (`/api/attachments?record=order&record_id=`).
    pub photos: i64,
    /// Given in a drill (演练).
    pub drill: bool,
    /// Not acknowledged within the time allowed.
    pub ack_overdue: bool,
    /// Not done by its due time.
    pub overdue: bool,
}

/// An order's columns, its flags as of `$1`.
const COLUMNS: &str = "o.id, o.incident_id, o.kind, o.crossing, o.what, o.module, o.to_kind, o.to_ref, o.due_at, o.from_measure, o.status, \
     o.issued_at, o.issued_by, o.acknowledged_at, o.acknowledged_by, o.done_at, o.done_by, o.note, \
     ST_X(o.position) AS lon, ST_Y(o.position) AS lat, o.refused_reason, \
     (SELECT count(*) FROM attachment a WHERE a.record_table = 'response_order' AND a.record_id = o.id) AS photos, \
     (SELECT i.drill FROM incident i WHERE i.id = o.incident_id) AS drill, \
     (o.status = 'issued' AND o.issued_at + make_interval(mins => (SELECT r.ack_minutes FROM order_rule r)) < $1) \
       AS ack_overdue, \
     (o.status IN ('issued', 'acknowledged') AND o.due_at < $1) AS overdue";

/// Checks an order as given.
pub fn check(body: OrderBody) -> Result<NewOrder, Error> {
    let what = Error::said("what", body.what, 2000, true)?;
    let modules = words::codes(&words::ORDER_MODULE);
    if !modules.contains(&body.module.as_str()) {
        return Err(Error::invalid("module", format!("`{}` is not a module; use {}", body.module, modules.join(", "))));
    }
    let module = body.module;
    if !words::codes(&words::ORDER_TO).contains(&body.to_kind.as_str()) {
        return Err(Error::invalid(
            "to_kind",
            format!("`{}` is not team, district, enterprise, group, user or city", body.to_kind),
        ));
    }
    let to_ref = Error::said("to_ref", body.to_ref, 200, false)?;
    let due_at = Error::ahead(("due_at", "due_in_minutes"), body.due_at, body.due_in_minutes, MAX_DUE_HOURS)?;
    Ok(NewOrder { what, module, to_kind: body.to_kind, to_ref, due_at, from_measure: None })
}

/// Checks that the addressee exists.
async fn addressee(conn: &mut PgConnection, incident: i64, order: &NewOrder) -> Result<(), Error> {
    let known: bool = match order.to_kind.as_str() {
        "team" => match order.to_ref.parse::<i64>() {
            Ok(id) => {
                sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM team WHERE id = $1)")
                    .bind(id)
                    .fetch_one(&mut *conn)
                    .await?
            }
            Err(_) => false,
        },
        "district" => {
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM district WHERE code = $1)")
                .bind(&order.to_ref)
                .fetch_one(&mut *conn)
                .await?
        }
        "enterprise" => crate::codes::is_credit_code(&order.to_ref),
        "city" => {
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM neighbour WHERE city = $1)")
                .bind(&order.to_ref)
                .fetch_one(&mut *conn)
                .await?
        }
        "user" => {
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM app_user WHERE name = $1)")
                .bind(&order.to_ref)
                .fetch_one(&mut *conn)
                .await?
        }
        // A measure names its unit in words; a group named by the command post is known.
        _ => {
            order.from_measure.is_some()
                || sqlx::query_scalar(
                    "SELECT EXISTS (SELECT 1 FROM response r, jsonb_array_elements(r.groups) g \
                     WHERE r.incident_id = $1 AND g->>'name' = $2)",
                )
                .bind(incident)
                .bind(&order.to_ref)
                .fetch_one(&mut *conn)
                .await?
        }
    };
    if known {
        Ok(())
    } else {
        Err(Error::invalid("to_ref", format!("there is no {} `{}` to give an order to", order.to_kind, order.to_ref)))
    }
}

/// Issues `order` in incident `incident`'s response (the caller holds the incident).
pub async fn insert(conn: &mut PgConnection, actor: &Actor, incident: i64, order: &NewOrder) -> Result<i64, Error> {
    addressee(conn, incident, order).await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO response_order (incident_id, what, module, to_kind, to_ref, due_at, from_measure, issued_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(incident)
    .bind(&order.what)
    .bind(&order.module)
    .bind(&order.to_kind)
    .bind(&order.to_ref)
    .bind(order.due_at)
    .bind(order.from_measure.as_ref().map(sqlx::types::Json))
    .bind(&actor.name)
    .fetch_one(&mut *conn)
    .await?;
    announce(conn, id, "issued").await?;
    Ok(id)
}

pub(super) async fn announce(conn: &mut PgConnection, id: i64, op: &str) -> Result<(), Error> {
    sqlx::query(
        "SELECT onemap_event('order', jsonb_build_object('op', $2::text, 'id', o.id, 'incident_id', o.incident_id, \
           'status', o.status, 'module', o.module, 'to_kind', o.to_kind, 'to_ref', o.to_ref, 'what', o.what)) \
         FROM response_order o WHERE o.id = $1",
    )
    .bind(id)
    .bind(op)
    .execute(conn)
    .await?;
    Ok(())
}

/// Issues an order in incident `incident`'s response (open, and the actor's to command).
pub async fn issue(pool: &sqlx::PgPool, actor: &Actor, incident: i64, body: OrderBody) -> Result<Order, Error> {
    let order = check(body)?;
    let mut tx = begin_as(pool, actor).await?;
    super::hold::open_response(&mut tx, actor, incident).await?;
    let id = insert(&mut tx, actor, incident, &order).await?;
    let stored = one(&mut tx, id).await?;
    tx.commit().await?;
    Ok(stored)
}

async fn one(conn: &mut PgConnection, id: i64) -> Result<Order, Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM response_order o WHERE o.id = $2")))
        .bind(Utc::now())
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(Error::NotFound { layer: "response_order", id })
}

/// The orders of incident `incident`, by due time.
pub async fn of_incident(conn: &mut PgConnection, incident: i64) -> Result<Vec<Order>, Error> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM response_order o WHERE o.incident_id = $2 ORDER BY o.due_at, o.id"
    )))
    .bind(Utc::now())
    .bind(incident)
    .fetch_all(conn)
    .await?)
}

/// The SQL condition "addressed to the actor": by name, by group, by district, by credit code.
const MINE: &str = "((o.to_kind = 'user' AND o.to_ref = $2) \
     OR (o.to_kind = 'district' AND o.to_ref = $3) \
     OR (o.to_kind = 'enterprise' AND o.to_ref = ANY($4)) \
     OR (o.to_kind = 'group' AND EXISTS (SELECT 1 FROM response r, jsonb_array_elements(r.groups) g \
          WHERE r.incident_id = o.incident_id AND g->>'name' = o.to_ref AND g->'members' ? $2)))";

/// The orders addressed to the actor, open ones first, by due time.
pub async fn mine(pool: &sqlx::PgPool, actor: &Actor) -> Result<Vec<Order>, Error> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM response_order o WHERE o.status <> 'draft' AND {MINE} \
         ORDER BY o.status IN ('done', 'refused'), o.due_at, o.id LIMIT 500"
    )))
    .bind(Utc::now())
    .bind(&actor.name)
    .bind(&actor.district)
    .bind(&actor.credit_codes)
    .fetch_all(pool)
    .await?)
}

/// What sending a drafted notice may change.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendBody {
    /// The notice's words, as the command wants them sent (default: as drafted).
    pub what: Option<String>,
}

/// Sends drafted notice `id` (the command of its incident, in its open response): from now it
/// is issued, and answered like an order.
pub async fn send(pool: &sqlx::PgPool, actor: &Actor, id: i64, body: SendBody) -> Result<Order, Error> {
    let what = body.what.map(|w| Error::said("what", w, 2000, true)).transpose()?;
    let incident: i64 = sqlx::query_scalar("SELECT incident_id FROM response_order WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await?
        .ok_or(Error::NotFound { layer: "response_order", id })?;
    let mut tx = begin_as(pool, actor).await?;
    // The incident first, then the order: the order every step of the command takes.
    super::hold::open_response(&mut tx, actor, incident).await?;
    let status: String = sqlx::query_scalar("SELECT status FROM response_order WHERE id = $1 FOR UPDATE")
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    if status != "draft" {
        return Err(Refused::OrderState { order: id, status, step: "sending", needed: "a draft" }.into());
    }
    sqlx::query(
        "UPDATE response_order SET status = 'issued', issued_at = now(), issued_by = $2, what = coalesce($3, what) \
         WHERE id = $1",
    )
    .bind(id)
    .bind(&actor.name)
    .bind(&what)
    .execute(&mut *tx)
    .await?;
    announce(&mut tx, id, "sent").await?;
    let stored = one(&mut tx, id).await?;
    tx.commit().await?;
    Ok(stored)
}

/// How an order is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Acknowledged (from issued).
    Acknowledge,
    /// Done (from issued or acknowledged).
    Done,
    /// Refused (from issued or acknowledged), with the reason.
    Refuse,
}

/// What an answer carries.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerBody {
    /// What was done, or said (done; at most 4,000 characters).
    pub note: Option<String>,
    /// Where it was done, [longitude, latitude].
    pub point: Option<[f64; 2]>,
    /// Why it is refused (required to refuse).
    pub reason: Option<String>,
}

/// Answers order `id`: by its addressee or the command of its incident.
pub async fn answer(
    pool: &sqlx::PgPool,
    actor: &Actor,
    id: i64,
    how: Answer,
    body: AnswerBody,
) -> Result<Order, Error> {
    let note = Error::text("note", body.note, 4000, true)?;
    let point = body.point.map(crate::routing::request::parse_point).transpose()?;
    let reason = match (how, body.reason) {
        (Answer::Refuse, Some(r)) => Some(Error::said("reason", r, 2000, true)?),
        (Answer::Refuse, None) => return Err(Error::invalid("reason", "say why the order is refused")),
        (_, Some(_)) => return Err(Error::invalid("reason", "is for refusing")),
        (_, None) => None,
    };
    if actor.user_id.is_none() {
        return Err(Error::Forbidden("an order is answered by a signed-in user".into()));
    }
    let mut tx = begin_as(pool, actor).await?;
    let row: Option<(i64, String)> =
        sqlx::query_as("SELECT incident_id, status FROM response_order WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    let (incident, status) = row.ok_or(Error::NotFound { layer: "response_order", id })?;
    may_answer(&mut tx, actor, id, incident).await?;
    let (step, needed, allowed): (&'static str, &'static str, &[&str]) = match how {
        Answer::Acknowledge => ("acknowledging", "issued", &["issued"]),
        Answer::Done => ("completing", "issued or acknowledged", &["issued", "acknowledged"]),
        Answer::Refuse => ("refusing", "issued or acknowledged", &["issued", "acknowledged"]),
    };
    if !allowed.contains(&status.as_str()) {
        return Err(Refused::OrderState { order: id, status, step, needed }.into());
    }
    let (sql, op) = match how {
        Answer::Acknowledge => (
            "UPDATE response_order SET status = 'acknowledged', acknowledged_at = now(), acknowledged_by = $2, \
               note = coalesce($3, note) WHERE id = $1",
            "acknowledged",
        ),
        Answer::Done => (
            "UPDATE response_order SET status = 'done', done_at = now(), done_by = $2, note = coalesce($3, note), \
               acknowledged_at = coalesce(acknowledged_at, now()), acknowledged_by = coalesce(acknowledged_by, $2), \
               position = CASE WHEN $4::float8 IS NULL THEN position ELSE ST_SetSRID(ST_MakePoint($4, $5), 4326) END \
             WHERE id = $1",
            "done",
        ),
        Answer::Refuse => (
            "UPDATE response_order SET status = 'refused', refused_reason = $6, note = coalesce($3, note) WHERE id = $1",
            "refused",
        ),
    };
    sqlx::query(sql)
        .bind(id)
        .bind(&actor.name)
        .bind(&note)
        .bind(point.map(|p| p.x))
        .bind(point.map(|p| p.y))
        .bind(&reason)
        .execute(&mut *tx)
        .await?;
    announce(&mut tx, id, op).await?;
    let stored = one(&mut tx, id).await?;
    tx.commit().await?;
    Ok(stored)
}

/// Attaches a photo to order `photo.record_id()` — acknowledged or done, not refused — by its
/// addressee or the command of its incident.
pub async fn photo(
    pool: &sqlx::PgPool,
    actor: &Actor,
    photo: crate::attachments::Upload,
) -> Result<crate::attachments::Attachment, Error> {
    if actor.user_id.is_none() {
        return Err(Error::Forbidden("an order's photo is added by a signed-in user".into()));
    }
    let photo = crate::attachments::check(photo)?;
    let id = photo.record_id();
    let mut tx = begin_as(pool, actor).await?;
    let row: Option<(i64, String)> =
        sqlx::query_as("SELECT incident_id, status FROM response_order WHERE id = $1 FOR SHARE")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    let Some((incident, status)) = row else {
        return Err(Error::invalid("record_id", format!("there is no order with id {id}")));
    };
    may_answer(&mut tx, actor, id, incident).await?;
    if !["acknowledged", "done"].contains(&status.as_str()) {
        let step = "adding a photo";
        return Err(Refused::OrderState { order: id, status, step, needed: "acknowledged or done" }.into());
    }
    let stored = crate::attachments::attach(&mut tx, actor, &photo, Some(incident)).await?;
    tx.commit().await?;
    Ok(stored)
}

/// Refuses (403) an actor who is neither the order's addressee nor the command of its incident.
async fn may_answer(conn: &mut PgConnection, actor: &Actor, id: i64, incident: i64) -> Result<(), Error> {
    let commands = actor.role.is_some_and(|r| r.may(Action::HandleIncidents))
        && crate::auth::jurisdiction::check(conn, actor, "incident", &[incident]).await.is_ok();
    if commands {
        return Ok(());
    }
    let addressed: bool = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT EXISTS (SELECT 1 FROM response_order o WHERE o.id = $1 AND {MINE})"
    )))
    .bind(id)
    .bind(&actor.name)
    .bind(&actor.district)
    .bind(&actor.credit_codes)
    .fetch_one(&mut *conn)
    .await?;
    if addressed {
        return Ok(());
    }
    Err(Error::Forbidden(format!(
        "order {id} is not addressed to {} and they do not command incident {incident}; nothing was written",
        actor.name
    )))
}
