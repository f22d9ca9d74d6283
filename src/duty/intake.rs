//! Intake (接警): a call or tip as the duty officer receives it — the channel, when (the report
//! clock starts here), who called and how to reach them, where (a point, or words matched
//! against the registry's places, risk sources and districts), what — then screened: dismissed
//! with the reason, made into an incident (discovered when the call came in), or gathered into
//! an incident already open (which is then discovered at its earliest call).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::PgConnection;

use crate::auth::{Actor, begin_as, jurisdiction};
use crate::error::Error;
use crate::layers::spec::INCIDENT_LAYER;
use crate::layers::{store, validate, words};

/// How far back a call may be recorded (a call logged late is still a call).
pub const MAX_AGE_DAYS: i64 = 30;
/// Most intakes one answer lists.
pub const MAX_LIST: i64 = 500;

/// A call or tip as the duty officer records it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntakeBody {
    /// hotline_12369, hotline_12345, enterprise, park_alarm, monitoring_alarm,
    /// emergency_services (公安、消防、交通), media or other.
    pub channel: String,
    /// When it came in (RFC 3339; default now; not in the future, at most 30 days ago).
    pub received_at: Option<String>,
    /// Who called.
    pub caller: Option<String>,
    /// How to reach them.
    pub caller_contact: Option<String>,
    /// Where, as [longitude, latitude].
    pub point: Option<[f64; 2]>,
    /// Where, in the caller's words (matched against the registry when no point is given).
    pub place: Option<String>,
    /// What was reported.
    pub what: String,
}

/// A call or tip, and what became of it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[schema(as = IntakeCall)]
pub struct Intake {
    /// Its id.
    pub id: i64,
    /// How it came in.
    pub channel: String,
    /// When.
    pub received_at: DateTime<Utc>,
    /// Who called.
    pub caller: Option<String>,
    /// How to reach them.
    pub caller_contact: Option<String>,
    /// Where, in their words.
    pub place: Option<String>,
    /// Longitude of where (given, or of the place matched).
    pub lon: Option<f64>,
    /// Latitude.
    pub lat: Option<f64>,
    /// The registry's place the words named, when the point came from them.
    pub matched: Option<String>,
    /// The district (区县 code) it lies in.
    pub district: Option<String>,
    /// What was reported.
    pub what: String,
    /// open, dismissed or incident.
    pub status: String,
    /// Why it was dismissed.
    pub dismissed_reason: Option<String>,
    /// The incident it became or joined.
    pub incident_id: Option<i64>,
    /// Who took it.
    pub taken_by: String,
    /// Who screened it.
    pub screened_by: Option<String>,
    /// When.
    pub screened_at: Option<DateTime<Utc>>,
}

/// A new incident made of a call.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewIncident {
    /// Its name.
    pub name: String,
    /// air, water, soil or other (the incident kinds).
    pub kind: String,
    /// 一般, 较大, 重大 or 特别重大.
    pub severity: String,
    /// 敏感事件: on the short report clock.
    #[serde(default)]
    pub sensitive: bool,
    /// The pollutant, if known.
    pub pollutant: Option<String>,
    /// When it happened (RFC 3339; default: when the call came in).
    pub occurred_at: Option<String>,
}

/// How a call is screened.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScreenBody {
    /// Dismissed, saying why.
    pub dismiss: Option<String>,
    /// Made into a new incident.
    pub incident: Option<NewIncident>,
    /// Gathered into this open incident.
    pub incident_id: Option<i64>,
}

const COLUMNS: &str = "id, channel, received_at, caller, caller_contact, place, ST_X(geom) AS lon, ST_Y(geom) AS lat, \
     matched, district, what, status, dismissed_reason, incident_id, taken_by, screened_by, screened_at";

fn short(field: &str, value: Option<String>, max: usize) -> Result<Option<String>, Error> {
    Ok(Error::text(field, value, max, false)?.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()))
}

/// A time a request gives: RFC 3339, not in the future (five minutes' grace for clocks), not
/// older than [`MAX_AGE_DAYS`].
pub fn past_time(field: &str, text: &str) -> Result<DateTime<Utc>, Error> {
    let t = Error::instant(field, text)?;
    let now = Utc::now();
    if t > now + chrono::Duration::minutes(5) {
        return Err(Error::invalid(field, format!("{t} is in the future")));
    }
    if now - t > chrono::Duration::days(MAX_AGE_DAYS) {
        return Err(Error::invalid(field, format!("{t} is more than {MAX_AGE_DAYS} days ago")));
    }
    Ok(t)
}

/// Where the words name: the longest name of a district (also without its 区/县), a risk
/// source or a receptor (the populated places among them) found in them.
async fn match_place(conn: &mut PgConnection, words: &str) -> Result<Option<(String, f64, f64)>, Error> {
    Ok(sqlx::query_as(
        "SELECT name, ST_X(p), ST_Y(p) FROM ( \
           SELECT name, ST_PointOnSurface(geom) AS p FROM district \
           UNION ALL SELECT regexp_replace(name, '(自治县|区|县)$', ''), ST_PointOnSurface(geom) FROM district \
           UNION ALL SELECT name, ST_PointOnSurface(geom) FROM risk_source \
           UNION ALL SELECT name, ST_PointOnSurface(geom) FROM receptor) n \
         WHERE char_length(name) >= 2 AND strpos($1, name) > 0 ORDER BY char_length(name) DESC, name LIMIT 1",
    )
    .bind(words)
    .fetch_optional(conn)
    .await?)
}

/// Records a call or tip.
pub async fn record(pool: &sqlx::PgPool, actor: &Actor, body: IntakeBody) -> Result<Intake, Error> {
    let mut tx = begin_as(pool, actor).await?;
    let stored = record_in(&mut tx, actor, body).await?;
    tx.commit().await?;
    Ok(stored)
}

/// Records a call or tip in the caller's transaction (begun as `actor`).
pub async fn record_in(tx: &mut PgConnection, actor: &Actor, body: IntakeBody) -> Result<Intake, Error> {
    if !words::codes(&words::INTAKE_CHANNEL).contains(&body.channel.as_str()) {
        return Err(Error::invalid(
            "channel",
            format!("`{}` is not a channel; use {}", body.channel, words::codes(&words::INTAKE_CHANNEL).join(", ")),
        ));
    }
    let received_at = match &body.received_at {
        Some(t) => past_time("received_at", t)?,
        None => Utc::now(),
    };
    let what = Error::said("what", body.what, 4000, true)?;
    let caller = short("caller", body.caller, 200)?;
    let caller_contact = short("caller_contact", body.caller_contact, 200)?;
    let place = short("place", body.place, 500)?;
    let point = body.point.map(crate::routing::request::parse_point).transpose()?;
    let (at, matched) = match (point, &place) {
        (Some(p), _) => (Some((p.x, p.y)), None),
        (None, Some(words)) => match match_place(&mut *tx, words).await? {
            Some((name, x, y)) => (Some((x, y)), Some(name)),
            None => (None, None),
        },
        (None, None) => (None, None),
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO intake (channel, received_at, caller, caller_contact, place, geom, matched, district, what, taken_by) \
         SELECT $1, $2, $3, $4, $5, g, $8, (SELECT d.code FROM district d WHERE ST_Covers(d.geom, g) ORDER BY d.id LIMIT 1), \
                $9, $10 \
           FROM (SELECT CASE WHEN $6::float8 IS NULL THEN NULL \
                             ELSE ST_SetSRID(ST_MakePoint($6, $7), 4326) END AS g) q \
         RETURNING id",
    )
    .bind(&body.channel)
    .bind(received_at)
    .bind(&caller)
    .bind(&caller_contact)
    .bind(&place)
    .bind(at.map(|a| a.0))
    .bind(at.map(|a| a.1))
    .bind(&matched)
    .bind(&what)
    .bind(&actor.name)
    .fetch_one(&mut *tx)
    .await?;
    jurisdiction::check(&mut *tx, actor, "intake", &[id]).await?;
    let stored = one(&mut *tx, id).await?;
    announce(&mut *tx, "received", &stored).await?;
    Ok(stored)
}

async fn one(conn: &mut PgConnection, id: i64) -> Result<Intake, Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM intake WHERE id = $1")))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(Error::NotFound { layer: "intake", id })
}

async fn announce(conn: &mut PgConnection, op: &str, intake: &Intake) -> Result<(), Error> {
    sqlx::query("SELECT onemap_event('intake', $1)")
        .bind(sqlx::types::Json(json!({"op": op, "id": intake.id, "channel": intake.channel,
            "received_at": intake.received_at, "district": intake.district, "status": intake.status,
            "incident_id": intake.incident_id})))
        .execute(conn)
        .await?;
    Ok(())
}

/// Screens call `id`: dismissed, made into an incident, or gathered into one.
pub async fn screen(pool: &sqlx::PgPool, actor: &Actor, id: i64, body: ScreenBody) -> Result<Intake, Error> {
    let mut tx = begin_as(pool, actor).await?;
    let (status, received_at): (String, DateTime<Utc>) =
        sqlx::query_as("SELECT status, received_at FROM intake WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(Error::NotFound { layer: "intake", id })?;
    jurisdiction::check(&mut tx, actor, "intake", &[id]).await?;
    if status != "open" {
        return Err(super::refused::Refused::Screened { intake: id, status }.into());
    }
    let (status, reason, incident) = match (body.dismiss, body.incident, body.incident_id) {
        (Some(reason), None, None) => {
            let reason = Error::said("dismiss", reason, 2000, true)?;
            ("dismissed", Some(reason), None)
        }
        (None, Some(new), None) => ("incident", None, Some(open_incident(&mut tx, actor, id, received_at, new).await?)),
        (None, None, Some(incident)) => {
            gather(&mut tx, actor, incident, received_at).await?;
            ("incident", None, Some(incident))
        }
        _ => {
            return Err(Error::invalid(
                "screen",
                "give one of: dismiss (the reason), incident (a new one) or incident_id (an open one)",
            ));
        }
    };
    sqlx::query(
        "UPDATE intake SET status = $2, dismissed_reason = $3, incident_id = $4, screened_by = $5, screened_at = now() \
         WHERE id = $1",
    )
    .bind(id)
    .bind(status)
    .bind(&reason)
    .bind(incident)
    .bind(&actor.name)
    .execute(&mut *tx)
    .await?;
    let stored = one(&mut tx, id).await?;
    announce(&mut tx, "screened", &stored).await?;
    tx.commit().await?;
    Ok(stored)
}

/// A new incident at the call's place, discovered when the call came in.
async fn open_incident(
    tx: &mut PgConnection,
    actor: &Actor,
    intake: i64,
    received_at: DateTime<Utc>,
    new: NewIncident,
) -> Result<i64, Error> {
    let at: Option<(f64, f64)> =
        sqlx::query_as("SELECT ST_X(geom), ST_Y(geom) FROM intake WHERE id = $1 AND geom IS NOT NULL")
            .bind(intake)
            .fetch_optional(&mut *tx)
            .await?;
    let Some((x, y)) = at else {
        return Err(Error::invalid(
            "incident",
            format!("call {intake} says no place onemap could find; record where it is (a new call with a point)"),
        ));
    };
    let occurred_at = match &new.occurred_at {
        Some(t) => past_time("incident.occurred_at", t)?,
        None => received_at,
    };
    if occurred_at > received_at {
        return Err(Error::invalid("incident.occurred_at", "is after the call came in"));
    }
    let feature = json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [x, y]}, "properties": {
        "name": new.name, "kind": new.kind, "severity": new.severity, "sensitive": new.sensitive,
        "pollutant": new.pollutant, "occurred_at": occurred_at, "discovered_at": received_at}});
    let record = validate::parse_feature(&INCIDENT_LAYER, &feature).map_err(|mut e| {
        e.field = e.field.map(|f| format!("incident.{f}"));
        Error::Invalid(e)
    })?;
    let ids = store::insert(tx, &INCIDENT_LAYER, &[record]).await?;
    jurisdiction::check(tx, actor, "incident", &ids).await?;
    Ok(ids[0])
}

/// Gathers a call into open incident `incident`: discovered at its earliest call.
async fn gather(tx: &mut PgConnection, actor: &Actor, incident: i64, received_at: DateTime<Utc>) -> Result<(), Error> {
    let status: Option<String> = sqlx::query_scalar("SELECT status FROM incident WHERE id = $1 FOR UPDATE")
        .bind(incident)
        .fetch_optional(&mut *tx)
        .await?;
    match status.as_deref() {
        None => return Err(Error::invalid("incident_id", format!("there is no incident {incident}"))),
        Some("open") => {}
        Some(other) => return Err(Error::invalid("incident_id", format!("incident {incident} is {other}, not open"))),
    }
    jurisdiction::check(tx, actor, "incident", &[incident]).await?;
    sqlx::query(
        "UPDATE incident SET occurred_at = least(occurred_at, $2), discovered_at = least(discovered_at, $2) WHERE id = $1",
    )
    .bind(incident)
    .bind(received_at)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The calls the actor may see (a district user: its district's), newest first; open ones only
/// if asked.
pub async fn list(pool: &sqlx::PgPool, actor: &Actor, open_only: bool) -> Result<Vec<Intake>, Error> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM intake WHERE ($1::text IS NULL OR district = $1) AND (NOT $2 OR status = 'open') \
         ORDER BY received_at DESC, id DESC LIMIT {MAX_LIST}"
    )))
    .bind(&actor.district)
    .bind(open_only)
    .fetch_all(pool)
    .await?)
}
