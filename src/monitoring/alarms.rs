//! The alarms as the duty desk works them: listed (open first), acknowledged (who, when), and
//! made into an intake (接警) that names the station, the values and the time — by a district's
//! users for the stations of their district.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use sqlx::PgPool;

use super::Refused;
use crate::auth::{Actor, begin_as, jurisdiction};
use crate::duty::intake::{self, IntakeBody};
use crate::error::Error;

/// Most alarms listed.
pub const MAX_LIST: i64 = 500;

/// An alarm as listed.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[schema(as = StationAlarm)]
pub struct Alarm {
    /// Its id.
    pub id: i64,
    /// exceedance, instrument or silent.
    pub kind: String,
    /// raised, acknowledged or cleared.
    pub status: String,
    /// The station (its Thing's id).
    pub thing_id: i64,
    /// The station's name.
    pub station: String,
    /// The datastream, for exceedances and instrument faults.
    pub datastream_id: Option<i64>,
    /// The standard's item (COD, PM2.5).
    pub item: Option<String>,
    /// The value that raised it.
    pub value: Option<f64>,
    /// The limit it broke (silence: the hours allowed).
    pub threshold: Option<f64>,
    /// The unit of the value.
    pub unit: Option<String>,
    /// When the value was observed (silence: the last one).
    pub observed_at: Option<DateTime<Utc>>,
    /// When the alarm was raised.
    pub raised_at: DateTime<Utc>,
    /// Who acknowledged it.
    pub acknowledged_by: Option<String>,
    /// When.
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// When it cleared.
    pub cleared_at: Option<DateTime<Utc>>,
    /// The intake made of it.
    pub intake_id: Option<i64>,
    /// What else it keeps: the values in a row, the target class, the failed tests.
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    /// The station's place, [longitude, latitude].
    #[sqlx(skip)]
    pub point: Option<[f64; 2]>,
}

const SELECT: &str = "SELECT a.id, a.kind, a.status, a.thing_id, t.name AS station, a.datastream_id, a.item, a.value, \
       a.threshold, d.unit_of_measurement->>'symbol' AS unit, a.observed_at, a.raised_at, a.acknowledged_by, \
       a.acknowledged_at, a.cleared_at, a.intake_id, a.detail, ST_X(s.geom) AS lon, ST_Y(s.geom) AS lat \
  FROM alarm a JOIN sta_thing t ON t.id = a.thing_id LEFT JOIN sta_datastream d ON d.id = a.datastream_id \
  LEFT JOIN stations s ON s.id = a.thing_id";

async fn fetch(conn: &mut sqlx::PgConnection, filter: &str, id: Option<i64>) -> Result<Vec<Alarm>, Error> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE {filter} ORDER BY (a.status = 'cleared'), a.raised_at DESC, a.id DESC LIMIT {MAX_LIST}"
    )))
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    use sqlx::{FromRow, Row};
    rows.iter()
        .map(|r| {
            let mut a = Alarm::from_row(r)?;
            let (lon, lat): (Option<f64>, Option<f64>) = (r.try_get("lon")?, r.try_get("lat")?);
            a.point = lon.zip(lat).map(|(x, y)| [x, y]);
            Ok(a)
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Error::from)
}

/// The alarms: open ones (raised or acknowledged), or all of the last `days`.
pub async fn list(pool: &PgPool, open_only: bool, days: i64) -> Result<Vec<Alarm>, Error> {
    let mut conn = pool.acquire().await?;
    let filter = if open_only {
        "a.status <> 'cleared' AND $1::bigint IS NULL".to_string()
    } else {
        format!("(a.status <> 'cleared' OR a.raised_at > now() - interval '{days} days') AND $1::bigint IS NULL")
    };
    fetch(&mut conn, &filter, None).await
}

/// Alarm `id`.
pub async fn one(conn: &mut sqlx::PgConnection, id: i64) -> Result<Alarm, Error> {
    fetch(conn, "a.id = $1", Some(id)).await?.pop().ok_or(Error::NotFound { layer: "alarm", id })
}

async fn announce(conn: &mut sqlx::PgConnection, a: &Alarm, op: &str) -> Result<(), Error> {
    sqlx::query("SELECT onemap_event('alarm', $1)")
        .bind(sqlx::types::Json(
            json!({"op": op, "id": a.id, "kind": a.kind, "status": a.status, "thing_id": a.thing_id,
            "station": a.station, "item": a.item, "value": a.value, "threshold": a.threshold,
            "observed_at": a.observed_at, "acknowledged_by": a.acknowledged_by, "intake_id": a.intake_id}),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Acknowledges alarm `id`: someone on duty has seen it.
pub async fn acknowledge(pool: &PgPool, actor: &Actor, id: i64) -> Result<Alarm, Error> {
    let mut tx = begin_as(pool, actor).await?;
    let a = one(&mut tx, id).await?;
    jurisdiction::check(&mut tx, actor, "sta_thing", &[a.thing_id]).await?;
    if a.status != "raised" {
        return Err(Refused::AlarmState { alarm: id, status: a.status, step: "acknowledging", needed: "raised" }.into());
    }
    sqlx::query(
        "UPDATE alarm SET status = 'acknowledged', acknowledged_by = $2, acknowledged_at = now() WHERE id = $1",
    )
    .bind(id)
    .bind(&actor.name)
    .execute(&mut *tx)
    .await?;
    let a = one(&mut tx, id).await?;
    announce(&mut tx, &a, "acknowledged").await?;
    tx.commit().await?;
    Ok(a)
}

/// What the intake of an alarm says: the station, what broke which limit, when.
pub fn said(a: &Alarm) -> String {
    let when = a.observed_at.map(|t| t.with_timezone(&crate::time::cst()).format("%Y-%m-%d %H:%M").to_string());
    let unit = a.unit.clone().unwrap_or_default();
    match a.kind.as_str() {
        "exceedance" => format!(
            "监测预警：{}{}超标，{} {}{unit}（限值 {}{unit}{}），连续 {} 次，监测时间 {}",
            a.station,
            a.item.as_deref().unwrap_or(""),
            a.item.as_deref().unwrap_or(""),
            a.value.map(|v| format!("{v}")).unwrap_or_default(),
            a.threshold.map(|v| format!("{v}")).unwrap_or_default(),
            a.detail["target"].as_str().map(|t| format!("，{t}类目标")).unwrap_or_default(),
            a.detail["values"].as_array().map_or(1, Vec::len),
            when.unwrap_or_default(),
        ),
        "instrument" => format!(
            "监测预警：{}{}仪器数据异常（{}），最新数据 {}",
            a.station,
            a.item.as_deref().unwrap_or(""),
            a.detail["tests"]
                .as_array()
                .map(|t| t.iter().filter_map(|x| x.as_str()).collect::<Vec<_>>().join("、"))
                .unwrap_or_default(),
            when.unwrap_or_default(),
        ),
        _ => format!(
            "监测预警：{}无数据超过 {} 小时，最后数据 {}",
            a.station,
            a.threshold.unwrap_or_default(),
            when.unwrap_or_default()
        ),
    }
}

/// Makes alarm `id` into an intake (channel `monitoring_alarm`) at the station, for screening.
pub async fn to_intake(pool: &PgPool, actor: &Actor, id: i64) -> Result<(Alarm, intake::Intake), Error> {
    let mut tx = begin_as(pool, actor).await?;
    // Two clicks at once: the second waits, then finds the first's intake.
    sqlx::query("SELECT 1 FROM alarm WHERE id = $1 FOR UPDATE").bind(id).execute(&mut *tx).await?;
    let a = one(&mut tx, id).await?;
    jurisdiction::check(&mut tx, actor, "sta_thing", &[a.thing_id]).await?;
    if let Some(intake) = a.intake_id {
        return Err(Refused::Taken { alarm: id, intake }.into());
    }
    let body = IntakeBody {
        channel: "monitoring_alarm".into(),
        received_at: Some(a.raised_at.to_rfc3339()),
        caller: Some(a.station.clone()),
        caller_contact: None,
        point: a.point,
        place: Some(a.station.clone()),
        what: said(&a),
    };
    let made = intake::record_in(&mut tx, actor, body).await?;
    sqlx::query("UPDATE alarm SET intake_id = $2 WHERE id = $1").bind(id).bind(made.id).execute(&mut *tx).await?;
    let a = one(&mut tx, id).await?;
    announce(&mut tx, &a, "intake").await?;
    tx.commit().await?;
    Ok((a, made))
}
