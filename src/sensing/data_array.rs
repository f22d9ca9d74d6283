//! Observations in bulk (the Data Array extension, `POST CreateObservations`): per Datastream,
//! the components named once and the rows as arrays. Every row is checked before any is
//! written (numbers, times not ahead of now and in order within a Datastream, features that
//! exist), then all are inserted in one statement; a bad row refuses the whole post.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgConnection;

use super::model::Set;
use super::write::{Written, feature_of_location, interval, not_ahead};
use crate::error::{Error, Invalid};

/// Most observations one post carries.
pub const MAX_ROWS: usize = 100_000;

const COMPONENTS: [&str; 7] =
    ["phenomenonTime", "result", "resultTime", "resultQuality", "validTime", "parameters", "FeatureOfInterest/id"];

fn bad(field: impl Into<String>, detail: impl Into<String>) -> Error {
    Error::Invalid(Invalid::field(field, detail))
}

/// Observations to insert, column by column, ready for `unnest` (JSON members as text).
#[derive(Debug, Default)]
pub struct Rows {
    /// The datastream of each.
    pub datastream: Vec<i64>,
    /// The feature of interest of each.
    pub feature: Vec<Option<i64>>,
    /// The phenomenon time (its start).
    pub time: Vec<DateTime<Utc>>,
    /// Its end, when an interval.
    pub time_end: Vec<Option<DateTime<Utc>>>,
    /// The result time.
    pub result_time: Vec<Option<DateTime<Utc>>>,
    /// The result, when a number.
    pub result: Vec<Option<f64>>,
    /// The result otherwise (JSON).
    pub other: Vec<Option<String>>,
    /// The result quality (JSON).
    pub quality: Vec<Option<String>>,
    /// The valid time's start.
    pub valid_start: Vec<Option<DateTime<Utc>>>,
    /// Its end.
    pub valid_end: Vec<Option<DateTime<Utc>>>,
    /// The parameters (a JSON object).
    pub parameters: Vec<Option<String>>,
}

impl Rows {
    /// Inserts the rows in one statement and returns their ids in order; with `once`, a row of
    /// a datastream that has an observation at the same phenomenon time already is left out
    /// (a station sending again what it sent).
    pub async fn insert(&self, tx: &mut PgConnection, once: bool) -> Result<Vec<i64>, Error> {
        let only_new = if once {
            "WHERE NOT EXISTS (SELECT 1 FROM sta_observation o WHERE o.datastream_id = r.d AND o.phenomenon_time = r.t)"
        } else {
            ""
        };
        let sql = format!(
            "INSERT INTO sta_observation (datastream_id, feature_of_interest_id, phenomenon_time, phenomenon_time_end, \
                 result_time, result, result_other, result_quality, valid_time_start, valid_time_end, parameters) \
             SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::timestamptz[], $4::timestamptz[], $5::timestamptz[], \
                 $6::float8[], $7::jsonb[], $8::jsonb[], $9::timestamptz[], $10::timestamptz[], $11::jsonb[]) \
                 AS r(d, f, t, te, rt, v, o, q, vs, ve, p) {only_new} \
             RETURNING id"
        );
        Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(&self.datastream)
            .bind(&self.feature)
            .bind(&self.time)
            .bind(&self.time_end)
            .bind(&self.result_time)
            .bind(&self.result)
            .bind(&self.other)
            .bind(&self.quality)
            .bind(&self.valid_start)
            .bind(&self.valid_end)
            .bind(&self.parameters)
            .fetch_all(&mut *tx)
            .await?)
    }
}

fn time(field: &str, value: &Value) -> Result<(DateTime<Utc>, Option<DateTime<Utc>>), Error> {
    let s = value.as_str().ok_or_else(|| bad(field, format!("is an ISO 8601 time in quotes, not {value}")))?;
    interval(field, s)
}

/// Checks and inserts the observations of `body`; returns their ids in the order given.
pub async fn create(tx: &mut PgConnection, body: &Value, written: &mut Written) -> Result<Vec<i64>, Error> {
    let Value::Array(groups) = body else {
        return Err(bad("body", "is a list of {Datastream, components, dataArray}"));
    };
    let mut rows = Rows::default();
    for (g, group) in groups.iter().enumerate() {
        let at = |field: &str| format!("[{g}].{field}");
        let datastream = group
            .get("Datastream")
            .and_then(|d| d.get("@iot.id"))
            .and_then(Value::as_i64)
            .ok_or_else(|| bad(at("Datastream"), "names its Datastream: {\"@iot.id\": n}"))?;
        let found: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM sta_datastream WHERE id = $1)")
            .bind(datastream)
            .fetch_one(&mut *tx)
            .await?;
        if !found {
            return Err(bad(at("Datastream"), format!("there is no Datastream with @iot.id {datastream}")));
        }
        let components: Vec<&str> = group
            .get("components")
            .and_then(Value::as_array)
            .ok_or_else(|| bad(at("components"), "is a list of component names"))?
            .iter()
            .map(|c| c.as_str().unwrap_or(""))
            .collect();
        for c in &components {
            if !COMPONENTS.contains(c) {
                return Err(bad(
                    at("components"),
                    format!("`{c}` is not a component; they are {}", COMPONENTS.join(", ")),
                ));
            }
        }
        if !components.contains(&"result") {
            return Err(bad(at("components"), "must include result"));
        }
        let index = |name: &str| components.iter().position(|c| *c == name);
        let data = group
            .get("dataArray")
            .and_then(Value::as_array)
            .ok_or_else(|| bad(at("dataArray"), "is a list of rows"))?;
        if let Some(n) = group.get("dataArray@iot.count")
            && n.as_u64() != Some(data.len() as u64)
        {
            return Err(bad(at("dataArray@iot.count"), format!("says {n} but the dataArray has {} rows", data.len())));
        }
        if rows.time.len() + data.len() > MAX_ROWS {
            return Err(bad("dataArray", format!("one post carries at most {MAX_ROWS} observations")));
        }
        let mut derived: Option<i64> = None;
        let mut previous: Option<DateTime<Utc>> = None;
        for (r, row) in data.iter().enumerate() {
            let at = |c: &str| format!("[{g}].dataArray[{r}].{c}");
            let row = row.as_array().filter(|row| row.len() == components.len()).ok_or_else(|| {
                bad(
                    format!("[{g}].dataArray[{r}]"),
                    format!("is a list of {} values, one per component", components.len()),
                )
            })?;
            let get = |name: &str| index(name).map(|i| &row[i]).filter(|v| !v.is_null());
            let (t, t_end) = match get("phenomenonTime") {
                Some(v) => time(&at("phenomenonTime"), v)?,
                None => (Utc::now(), None),
            };
            not_ahead(&at("phenomenonTime"), t_end.unwrap_or(t))?;
            if previous.is_some_and(|p| t < p) {
                return Err(bad(
                    at("phenomenonTime"),
                    format!("{} comes before the row above it: rows of a Datastream are in time order", t.to_rfc3339()),
                ));
            }
            previous = Some(t);
            let (number, other) = match get("result") {
                None => return Err(bad(at("result"), "is required")),
                Some(Value::Number(n)) => (
                    Some(n.as_f64().filter(|n| n.is_finite()).ok_or_else(|| bad(at("result"), "is not finite"))?),
                    None,
                ),
                Some(v) => (None, Some(v.to_string())),
            };
            let result_time = match get("resultTime") {
                Some(v) => Some(time(&at("resultTime"), v)?.0),
                None => None,
            };
            let (valid_start, valid_end) = match get("validTime") {
                Some(v) => match time(&at("validTime"), v)? {
                    (a, Some(b)) => (Some(a), Some(b)),
                    _ => return Err(bad(at("validTime"), "is an interval: start/end")),
                },
                None => (None, None),
            };
            let parameters = match get("parameters") {
                Some(v) if v.is_object() => Some(v.to_string()),
                Some(v) => return Err(bad(at("parameters"), format!("is a JSON object, not {v}"))),
                None => None,
            };
            let feature = match get("FeatureOfInterest/id") {
                Some(v) => {
                    let id = v.as_i64().ok_or_else(|| bad(at("FeatureOfInterest/id"), format!("{v} is not an id")))?;
                    Some(id)
                }
                None => None,
            };
            let feature = match feature {
                Some(id) => Some(id),
                None => {
                    if derived.is_none() {
                        derived = Some(feature_of_location(tx, datastream, written).await?);
                    }
                    derived
                }
            };
            rows.datastream.push(datastream);
            rows.feature.push(feature);
            rows.time.push(t);
            rows.time_end.push(t_end);
            rows.result_time.push(result_time);
            rows.result.push(number);
            rows.other.push(other);
            rows.quality.push(get("resultQuality").map(Value::to_string));
            rows.valid_start.push(valid_start);
            rows.valid_end.push(valid_end);
            rows.parameters.push(parameters);
        }
    }
    let mut features: Vec<i64> = rows.feature.iter().flatten().copied().collect();
    features.sort_unstable();
    features.dedup();
    let missing: Option<i64> = sqlx::query_scalar(
        "SELECT f FROM unnest($1::bigint[]) f WHERE NOT EXISTS (SELECT 1 FROM sta_feature_of_interest x WHERE x.id = f) LIMIT 1",
    )
    .bind(&features)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(f) = missing {
        return Err(bad("FeatureOfInterest/id", format!("there is no FeatureOfInterest with @iot.id {f}")));
    }
    let ids = rows.insert(tx, false).await?;
    let mut datastreams = rows.datastream.clone();
    datastreams.sort_unstable();
    datastreams.dedup();
    written.touched.extend(datastreams.into_iter().map(|d| (Set::Datastreams, d)));
    Ok(ids)
}
