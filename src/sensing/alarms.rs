//! What new observations set off: their quality flags ([`super::qc`]), then the alarms of
//! their datastreams — an exceedance of the station's standard on passing values only, raised
//! after [`RAISE_AFTER`] in a row and cleared after [`CLEAR_AFTER`] good ones; an instrument
//! fault after failed checks — and, by a watcher, stations gone silent. Each change of an
//! alarm is announced in the feed (`alarm`).

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::{PgConnection, PgPool};

use super::qc::{self, Flag, Limits, Point};
use super::state::item;
use crate::error::Error;
use crate::standards::{aqi, water};

/// Exceedances in a row (of passing values) that raise an alarm.
pub const RAISE_AFTER: usize = 2;
/// Good passing values in a row that clear it.
pub const CLEAR_AFTER: usize = 3;
/// Failed checks in a row that raise an instrument alarm (and passes that clear it: as above).
pub const FAULT_AFTER: usize = 2;
/// Hours before the first unchecked value that the checks read as context (the flat-line and
/// spike tests look back).
const CONTEXT_HOURS: i64 = 24;

/// What a series of verdicts asks of an alarm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Raise one.
    Raise,
    /// Clear the open one.
    Clear,
    /// Nothing.
    Keep,
}

/// Hysteresis: `bad` holds, oldest first, whether each recent value breaks the rule; `open`
/// whether an alarm is open now.
pub fn decide(bad: &[bool], open: bool, raise_after: usize, clear_after: usize) -> Change {
    let last = |n: usize, want: bool| bad.len() >= n && bad[bad.len() - n..].iter().all(|b| *b == want);
    match open {
        false if last(raise_after, true) => Change::Raise,
        true if last(clear_after, false) => Change::Clear,
        _ => Change::Keep,
    }
}

/// The limit a value of `item` is held to at a station (its target class for water, IAQI 100 —
/// the grade II concentration limit — for air), and whether `value` breaks it.
pub fn breaks(item: &str, value: f64, target: Option<usize>, lake: bool) -> Option<(bool, f64)> {
    if let Some(i) = water::item(item) {
        let class = target?;
        let limits = match (lake, i.lake_limits) {
            (true, Some(l)) => l,
            _ => i.limits,
        };
        if i.lakes_only && !lake {
            return None;
        }
        return Some(match i.meets {
            water::Meets::AtMost => (value > limits[class], limits[class]),
            water::Meets::AtLeast => (value < limits[class], limits[class]),
            water::Meets::Within => {
                (value < limits[0] || value > limits[1], if value < limits[0] { limits[0] } else { limits[1] })
            }
        });
    }
    let key = if item == "PM2.5" || item == "PM10" { format!("{item}_24h") } else { format!("{item}_1h") };
    let m = aqi::measure(&key)?;
    let limit = m.breakpoints[2];
    Some((value > limit, limit))
}

/// A datastream's item, its station, the station's target and water, and its QC thresholds.
struct Stream {
    thing: i64,
    /// The time of its first observation not yet checked (None: all are).
    since: Option<DateTime<Utc>>,
    item: Option<&'static str>,
    target: Option<usize>,
    lake: bool,
    limits: Option<Limits>,
}

/// A datastream's station, item, station properties, own QC thresholds and first unchecked time.
type StreamRow = (i64, String, Option<serde_json::Value>, Option<serde_json::Value>, Option<DateTime<Utc>>);

async fn stream(tx: &mut PgConnection, datastream: i64) -> Result<Option<Stream>, Error> {
    let row: Option<StreamRow> = sqlx::query_as(
        "SELECT d.thing_id, p.definition, t.properties, d.properties->'qc', \
                (SELECT min(o.phenomenon_time) FROM sta_observation o WHERE o.datastream_id = d.id \
                    AND NOT EXISTS (SELECT 1 FROM sta_qc q WHERE q.observation_id = o.id)) \
           FROM sta_datastream d \
           JOIN sta_observed_property p ON p.id = d.observed_property_id JOIN sta_thing t ON t.id = d.thing_id \
          WHERE d.id = $1",
    )
    .bind(datastream)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((thing, definition, props, own, since)) = row else { return Ok(None) };
    let code = item(&definition).map(|(c, _)| c);
    let props = props.unwrap_or_default();
    // A datastream's own thresholds (its instrument's range) replace the item's.
    let limits = match own.map(serde_json::from_value::<Limits>) {
        Some(Ok(l)) => Some(l),
        _ => code.and_then(qc::defaults),
    };
    Ok(Some(Stream {
        thing,
        since,
        item: code,
        target: props["target_class"].as_str().and_then(water::class_index),
        lake: props["waterbody"] == "lake",
        limits,
    }))
}

/// The datastreams whose observations a write touched (by datastream or observation).
pub async fn datastreams_of(tx: &mut PgConnection, touched: &[(super::model::Set, i64)]) -> Result<Vec<i64>, Error> {
    use super::model::Set;
    let ids = |set: Set| touched.iter().filter(|(s, _)| *s == set).map(|(_, id)| *id).collect::<Vec<i64>>();
    Ok(sqlx::query_scalar(
        "SELECT id FROM sta_datastream WHERE id = ANY($1) \
         UNION SELECT datastream_id FROM sta_observation WHERE id = ANY($2) ORDER BY 1",
    )
    .bind(ids(Set::Datastreams))
    .bind(ids(Set::Observations))
    .fetch_all(&mut *tx)
    .await?)
}

/// Checks the unchecked observations of `datastreams`, then their alarms.
pub async fn evaluate(tx: &mut PgConnection, datastreams: &[i64]) -> Result<(), Error> {
    let mut heard = Vec::new();
    for &d in datastreams {
        let Some(s) = stream(tx, d).await? else { continue };
        let Some(since) = s.since else { continue };
        if let Some(limits) = &s.limits {
            check(tx, d, since, limits).await?;
        }
        alarms(tx, d, &s).await?;
        if !heard.contains(&s.thing) {
            heard.push(s.thing);
        }
    }
    // Data came: those stations are not silent.
    for thing in heard {
        clear(tx, thing, None, "silent").await?;
    }
    Ok(())
}

/// Flags the observations of `d` from `since` (with a day before as context).
async fn check(tx: &mut PgConnection, d: i64, since: DateTime<Utc>, limits: &Limits) -> Result<(), Error> {
    let rows: Vec<(i64, DateTime<Utc>, Option<f64>)> = sqlx::query_as(
        "SELECT id, phenomenon_time, result FROM sta_observation WHERE datastream_id = $1 \
            AND phenomenon_time >= $2 - make_interval(hours => $3) ORDER BY phenomenon_time, id",
    )
    .bind(d)
    .bind(since)
    .bind(CONTEXT_HOURS as i32)
    .fetch_all(&mut *tx)
    .await?;
    let points: Vec<Point> = rows.iter().map(|(_, time, value)| Point { time: *time, value: *value }).collect();
    let verdicts = qc::flags(&points, limits);
    // The value before the first unchecked one is checked again: its spike test waited for it.
    let first = rows.iter().position(|r| r.1 >= since).unwrap_or(0).saturating_sub(1);
    let ids: Vec<i64> = rows[first..].iter().map(|r| r.0).collect();
    let flags: Vec<&str> = verdicts[first..].iter().map(|v| v.0.as_str()).collect();
    let tests: Vec<String> = verdicts[first..].iter().map(|v| json!(v.1).to_string()).collect();
    sqlx::query(
        "INSERT INTO sta_qc (observation_id, flag, tests) SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[]::jsonb[]) \
         ON CONFLICT (observation_id) DO UPDATE SET flag = EXCLUDED.flag, tests = EXCLUDED.tests",
    )
    .bind(&ids)
    .bind(&flags)
    .bind(&tests)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The kinds of alarm open on datastream `d`.
async fn open(tx: &mut PgConnection, d: i64) -> Result<Vec<String>, Error> {
    Ok(sqlx::query_scalar("SELECT kind FROM alarm WHERE datastream_id = $1 AND status <> 'cleared'")
        .bind(d)
        .fetch_all(&mut *tx)
        .await?)
}

/// The alarm as the feed announces it.
async fn announce(tx: &mut PgConnection, id: i64, op: &str) -> Result<(), Error> {
    sqlx::query(
        "SELECT onemap_event('alarm', jsonb_build_object('op', $2::text, 'id', a.id, 'kind', a.kind, 'status', a.status, \
                'thing_id', a.thing_id, 'station', t.name, 'item', a.item, 'value', a.value, 'threshold', a.threshold, \
                'observed_at', a.observed_at)) \
           FROM alarm a JOIN sta_thing t ON t.id = a.thing_id WHERE a.id = $1",
    )
    .bind(id)
    .bind(op)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// What raised an alarm: the value, its time, the limit, and anything else worth keeping.
struct Raised<'a> {
    item: Option<&'a str>,
    value: Option<f64>,
    observed_at: Option<DateTime<Utc>>,
    threshold: Option<f64>,
    detail: serde_json::Value,
}

async fn raise(
    tx: &mut PgConnection,
    thing: i64,
    datastream: Option<i64>,
    kind: &str,
    r: Raised<'_>,
) -> Result<(), Error> {
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO alarm (thing_id, datastream_id, kind, item, value, observed_at, threshold, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(thing)
    .bind(datastream)
    .bind(kind)
    .bind(r.item)
    .bind(r.value)
    .bind(r.observed_at)
    .bind(r.threshold)
    .bind(&r.detail)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(id) = id {
        announce(tx, id, "raised").await?;
    }
    Ok(())
}

async fn clear(tx: &mut PgConnection, thing: i64, datastream: Option<i64>, kind: &str) -> Result<(), Error> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "UPDATE alarm SET status = 'cleared', cleared_at = now() WHERE thing_id = $1 AND kind = $3 \
            AND status <> 'cleared' AND coalesce(datastream_id, 0) = coalesce($2, 0) RETURNING id",
    )
    .bind(thing)
    .bind(datastream)
    .bind(kind)
    .fetch_all(&mut *tx)
    .await?;
    for id in ids {
        announce(tx, id, "cleared").await?;
    }
    Ok(())
}

/// The exceedance and instrument alarms of datastream `d`, from its latest checked values.
async fn alarms(tx: &mut PgConnection, d: i64, s: &Stream) -> Result<(), Error> {
    let window = (RAISE_AFTER.max(CLEAR_AFTER).max(FAULT_AFTER) * 4) as i64;
    let mut recent: Vec<(DateTime<Utc>, Option<f64>, Option<String>)> = sqlx::query_as(
        "SELECT o.phenomenon_time, o.result, q.flag FROM sta_observation o \
           LEFT JOIN sta_qc q ON q.observation_id = o.id \
          WHERE o.datastream_id = $1 ORDER BY o.phenomenon_time DESC, o.id DESC LIMIT $2",
    )
    .bind(d)
    .bind(window)
    .fetch_all(&mut *tx)
    .await?;
    recent.reverse();
    let open = open(tx, d).await?;
    let is_open = |kind: &str| open.iter().any(|k| k == kind);
    // Instrument: failed checks in a row; cleared by values that pass.
    let checked: Vec<bool> = recent.iter().filter_map(|r| r.2.as_deref()).map(|f| f == Flag::Fail.as_str()).collect();
    match decide(&checked, is_open("instrument"), FAULT_AFTER, CLEAR_AFTER) {
        Change::Raise => {
            let last = recent.iter().rev().find(|r| r.2.as_deref() == Some("fail"));
            let tests: Option<serde_json::Value> = match last {
                Some((t, _, _)) => {
                    sqlx::query_scalar(
                        "SELECT q.tests FROM sta_qc q JOIN sta_observation o ON o.id = q.observation_id \
                      WHERE o.datastream_id = $1 AND o.phenomenon_time = $2 LIMIT 1",
                    )
                    .bind(d)
                    .bind(t)
                    .fetch_optional(&mut *tx)
                    .await?
                }
                None => None,
            };
            let raised = Raised {
                item: s.item,
                value: last.and_then(|r| r.1),
                observed_at: last.map(|r| r.0),
                threshold: None,
                detail: json!({"tests": tests.unwrap_or_else(|| json!([]))}),
            };
            raise(tx, s.thing, Some(d), "instrument", raised).await?;
        }
        Change::Clear => clear(tx, s.thing, Some(d), "instrument").await?,
        Change::Keep => {}
    }
    // Exceedance: passing values only.
    let Some(item) = s.item else { return Ok(()) };
    let passing: Vec<(DateTime<Utc>, f64, bool, f64)> = recent
        .iter()
        .filter(|r| r.2.as_deref() == Some("pass"))
        .filter_map(|r| r.1.and_then(|v| breaks(item, v, s.target, s.lake).map(|(b, limit)| (r.0, v, b, limit))))
        .collect();
    let bad: Vec<bool> = passing.iter().map(|p| p.2).collect();
    match decide(&bad, is_open("exceedance"), RAISE_AFTER, CLEAR_AFTER) {
        Change::Raise => {
            let (t, v, _, limit) = *passing.last().expect("a value raised it");
            let values: Vec<f64> = passing.iter().rev().take(RAISE_AFTER).map(|p| p.1).collect();
            let target = s.target.map(|c| water::CLASSES[c]);
            let raised = Raised {
                item: Some(item),
                value: Some(v),
                observed_at: Some(t),
                threshold: Some(limit),
                detail: json!({"values": values, "target": target}),
            };
            raise(tx, s.thing, Some(d), "exceedance", raised).await?;
        }
        Change::Clear => clear(tx, s.thing, Some(d), "exceedance").await?,
        Change::Keep => {}
    }
    Ok(())
}

/// Raises a silence alarm for each station whose newest observation is older than `after`.
pub async fn silent(pool: &PgPool, after: std::time::Duration) -> Result<usize, Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT set_config('onemap.actor', 'onemap', true)").execute(&mut *tx).await?;
    let quiet: Vec<(i64, DateTime<Utc>)> = sqlx::query_as(
        "SELECT d.thing_id, max(l.phenomenon_time) FROM sta_datastream d JOIN sta_latest l ON l.datastream_id = d.id \
          GROUP BY d.thing_id HAVING max(l.phenomenon_time) < now() - make_interval(secs => $1) \
             AND NOT EXISTS (SELECT 1 FROM alarm a WHERE a.thing_id = d.thing_id AND a.kind = 'silent' AND a.status <> 'cleared')",
    )
    .bind(after.as_secs_f64())
    .fetch_all(&mut *tx)
    .await?;
    for (thing, last) in &quiet {
        let raised = Raised {
            item: None,
            value: None,
            observed_at: Some(*last),
            threshold: Some(after.as_secs_f64() / 3600.0),
            detail: json!({"silent_hours": after.as_secs_f64() / 3600.0}),
        };
        raise(&mut tx, *thing, None, "silent", raised).await?;
    }
    tx.commit().await?;
    Ok(quiet.len())
}

/// Looks for silent stations every `every` until the process ends.
pub async fn watch(pool: PgPool, after: std::time::Duration, every: std::time::Duration) {
    loop {
        if let Err(e) = silent(&pool, after).await {
            tracing::warn!(error = %e, "the silent stations could not be checked");
        }
        tokio::time::sleep(every).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_alarm_is_raised_after_n_and_cleared_after_m() {
        let t = true;
        let f = false;
        assert_eq!(decide(&[f, f, t], false, 2, 3), Change::Keep);
        assert_eq!(decide(&[f, t, t], false, 2, 3), Change::Raise);
        assert_eq!(decide(&[t, t, t], true, 2, 3), Change::Keep);
        assert_eq!(decide(&[t, f, f], true, 2, 3), Change::Keep);
        assert_eq!(decide(&[t, f, f, f], true, 2, 3), Change::Clear);
        assert_eq!(decide(&[f, f, f], false, 2, 3), Change::Keep);
        assert_eq!(decide(&[t], false, 2, 3), Change::Keep);
    }

    #[test]
    fn limits_are_the_target_class_for_water_and_grade_ii_for_air() {
        let iii = water::class_index("Ⅲ");
        // COD Ⅲ: 20 mg/L; DO Ⅲ: at least 5; pH 6–9; TP Ⅲ: 0.2 in rivers, 0.05 in lakes.
        assert_eq!(breaks("COD", 20.0, iii, false), Some((false, 20.0)));
        assert_eq!(breaks("COD", 20.1, iii, false), Some((true, 20.0)));
        assert_eq!(breaks("DO", 4.9, iii, false), Some((true, 5.0)));
        assert_eq!(breaks("pH", 9.2, iii, false), Some((true, 9.0)));
        assert_eq!(breaks("TP", 0.1, iii, true), Some((true, 0.05)));
        assert_eq!(breaks("TP", 0.1, iii, false), Some((false, 0.2)));
        assert_eq!(breaks("COD", 50.0, None, false), None);
        // PM2.5 24-hour grade II: 75 µg/m³; SO2 1-hour: 500.
        assert_eq!(breaks("PM2.5", 76.0, None, false), Some((true, 75.0)));
        assert_eq!(breaks("SO2", 500.0, None, false), Some((false, 500.0)));
    }
}
