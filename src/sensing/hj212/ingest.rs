//! A packet's data into observations: its MN names a registered station, its PW must be the
//! station's, its command says what the values are (real-time `-Rtd`, or minute, hour and day
//! means `-Avg`), its pollutant codes name datastreams (made on first use). `-Flag` goes into
//! the result quality, `-Min`/`-Max`/`-Cou` into the parameters. A packet sent again adds
//! nothing; a bad one adds nothing.

use chrono::Duration;
use serde_json::json;
use sqlx::{PgConnection, PgPool};

use super::codes::{COMMANDS, pollutant};
use super::frame::Packet;
use crate::error::Error;
use crate::sensing::data_array::Rows;
use crate::sensing::write::{CLOCK_SKEW_MINUTES, Written, feature_of_location};

/// Why a readable packet was not taken (each counted by its name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// No station has this MN.
    UnknownMn,
    /// The PW is not the station's.
    BadPassword,
    /// A command other than the data uploads.
    Unsupported,
    /// The values are not what the command needs (no DataTime, a value not a number, a time
    /// ahead of now).
    Malformed(String),
}

impl Refused {
    /// Its name in the metrics.
    pub fn label(&self) -> &'static str {
        match self {
            Refused::UnknownMn => "unknown_mn",
            Refused::BadPassword => "bad_password",
            Refused::Unsupported => "unsupported",
            Refused::Malformed(_) => "malformed",
        }
    }
}

/// What a packet gave.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Taken {
    /// Observations stored.
    pub observations: usize,
    /// Values of codes not in the table, left out.
    pub unknown_codes: usize,
}

/// The hash kept of a station's password.
pub fn password_hash(mn: &str, password: &str) -> Vec<u8> {
    crate::auth::secret::digest(&format!("hj212:{mn}:{password}"))
}

/// One value of a packet, read.
struct Value {
    code: &'static str,
    value: f64,
    flag: Option<String>,
    parameters: serde_json::Map<String, serde_json::Value>,
}

fn values(packet: &Packet, suffix: &str) -> Result<(Vec<Value>, usize), Refused> {
    let mut out: Vec<Value> = Vec::new();
    let mut unknown = std::collections::BTreeSet::new();
    let number = |k: &str, v: &str| {
        v.parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .ok_or_else(|| Refused::Malformed(format!("{k}={v} is not a number")))
    };
    for (key, v) in &packet.fields {
        let Some((code, part)) = key.split_once('-') else { continue };
        let Some(p) = pollutant(code) else {
            if ["Rtd", "Avg", "Min", "Max", "Cou", "Flag"].contains(&part) {
                unknown.insert(code.to_string());
            }
            continue;
        };
        let i = match out.iter().position(|x| x.code == p.code) {
            Some(i) => i,
            None => {
                out.push(Value { code: p.code, value: f64::NAN, flag: None, parameters: Default::default() });
                out.len() - 1
            }
        };
        match part {
            _ if part == suffix => out[i].value = number(key, v)?,
            "Flag" => out[i].flag = Some(v.clone()),
            "Min" | "Max" | "Cou" | "Rtd" | "Avg" => {
                out[i].parameters.insert(part.to_lowercase(), json!(number(key, v)?));
            }
            _ => {}
        }
    }
    let unknown = unknown.len();
    let out: Vec<Value> = out.into_iter().filter(|v| !v.value.is_nan()).collect();
    Ok((out, unknown))
}

/// The datastream of (station, pollutant, command), made on first use.
async fn datastream(tx: &mut PgConnection, thing: i64, code: &str, cn: &str) -> Result<i64, Error> {
    let key = json!({"code": code, "cn": cn});
    let found: Option<i64> =
        sqlx::query_scalar("SELECT id FROM sta_datastream WHERE thing_id = $1 AND properties -> 'hj212' = $2::jsonb")
            .bind(thing)
            .bind(&key)
            .fetch_optional(&mut *tx)
            .await?;
    if let Some(id) = found {
        return Ok(id);
    }
    let p = pollutant(code).expect("a code of the table");
    let (_, _, kind, _) = COMMANDS.iter().find(|c| c.0 == cn).expect("a data command");
    // The shared catalogue's entries are made once, whichever station needs them first.
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('onemap-hj212-catalogue'))").execute(&mut *tx).await?;
    let property: i64 = sqlx::query_scalar(
        "WITH found AS (SELECT id FROM sta_observed_property WHERE definition = $1 ORDER BY id LIMIT 1), \
              made AS (INSERT INTO sta_observed_property (name, definition, description) \
                       SELECT $2, $1, 'HJ 212-2017 附录B' WHERE NOT EXISTS (SELECT 1 FROM found) RETURNING id) \
         SELECT id FROM found UNION ALL SELECT id FROM made",
    )
    .bind(code)
    .bind(p.name)
    .fetch_one(&mut *tx)
    .await?;
    let sensor: i64 = sqlx::query_scalar(
        "WITH found AS (SELECT id FROM sta_sensor WHERE metadata = 'HJ 212-2017' ORDER BY id LIMIT 1), \
              made AS (INSERT INTO sta_sensor (name, description, encoding_type, metadata) \
                       SELECT '在线监测仪（HJ 212）', '经 HJ 212-2017 传输的在线监测数据', 'text/plain', 'HJ 212-2017' \
                        WHERE NOT EXISTS (SELECT 1 FROM found) RETURNING id) \
         SELECT id FROM found UNION ALL SELECT id FROM made",
    )
    .fetch_one(&mut *tx)
    .await?;
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO sta_datastream (name, description, unit_of_measurement, observation_type, properties, thing_id, \
                                     sensor_id, observed_property_id) \
         SELECT t.name || ' ' || $2 || ' ' || $3, 'HJ 212', jsonb_build_object('name', $4::text, 'symbol', $4::text), \
                'http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement', \
                jsonb_build_object('hj212', $5::jsonb), t.id, $6, $7 \
           FROM sta_thing t WHERE t.id = $1 \
         ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(thing)
    .bind(p.name)
    .bind(kind)
    .bind(p.unit)
    .bind(&key)
    .bind(sensor)
    .bind(property)
    .fetch_optional(&mut *tx)
    .await?;
    match id {
        Some(id) => Ok(id),
        None => Ok(sqlx::query_scalar(
            "SELECT id FROM sta_datastream WHERE thing_id = $1 AND properties -> 'hj212' = $2::jsonb",
        )
        .bind(thing)
        .bind(&key)
        .fetch_one(&mut *tx)
        .await?),
    }
}

/// Stores what `packet` carries; Err(refusal) when it is not taken, with nothing written.
pub async fn take(pool: &PgPool, packet: &Packet) -> Result<Result<Taken, Refused>, Error> {
    let Some((_, suffix, _, minutes)) = COMMANDS.iter().find(|c| c.0 == packet.cn) else {
        return Ok(Err(Refused::Unsupported));
    };
    let station: Option<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT thing_id, password_hash FROM hj212_station WHERE mn = $1")
            .bind(&packet.mn)
            .fetch_optional(pool)
            .await?;
    let Some((thing, hash)) = station else { return Ok(Err(Refused::UnknownMn)) };
    if password_hash(&packet.mn, &packet.pw) != hash {
        return Ok(Err(Refused::BadPassword));
    }
    let Some(time) = packet.data_time() else {
        return Ok(Err(Refused::Malformed("DataTime (YYYYMMDDhhmmss) is missing or not a time".into())));
    };
    let end = (*minutes > 0).then(|| time + Duration::minutes(*minutes));
    if end.unwrap_or(time) > chrono::Utc::now() + Duration::minutes(CLOCK_SKEW_MINUTES.max(*minutes)) {
        return Ok(Err(Refused::Malformed(format!("DataTime {time} is ahead of now"))));
    }
    let (values, unknown_codes) = match values(packet, suffix) {
        Ok(v) => v,
        Err(refused) => return Ok(Err(refused)),
    };
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT set_config('onemap.actor', $1, true)")
        .bind(format!("hj212:{}", packet.mn))
        .execute(&mut *tx)
        .await?;
    let mut written = Written::default();
    let mut streams = Vec::with_capacity(values.len());
    for v in &values {
        streams.push(datastream(&mut tx, thing, v.code, &packet.cn).await?);
    }
    let feature = match streams.first() {
        None => None,
        Some(first) => match feature_of_location(&mut tx, *first, &mut written).await {
            Ok(f) => Some(f),
            Err(Error::Invalid(i)) => return Ok(Err(Refused::Malformed(i.detail))),
            Err(e) => return Err(e),
        },
    };
    let mut rows = Rows::default();
    for (v, d) in values.iter().zip(&streams) {
        rows.datastream.push(*d);
        rows.feature.push(feature);
        rows.time.push(time);
        rows.time_end.push(end);
        rows.result_time.push(None);
        rows.result.push(Some(v.value));
        rows.other.push(None);
        rows.quality.push(v.flag.as_ref().map(|f| json!({"hj212_flag": f}).to_string()));
        rows.valid_start.push(None);
        rows.valid_end.push(None);
        rows.parameters
            .push((!v.parameters.is_empty()).then(|| serde_json::Value::Object(v.parameters.clone()).to_string()));
    }
    let ids = rows.insert(&mut tx, true).await?;
    if !ids.is_empty() {
        let mut datastreams = rows.datastream.clone();
        datastreams.dedup();
        crate::sensing::alarms::evaluate(&mut tx, &datastreams).await?;
        crate::sensing::state::refresh(&mut tx, &[thing]).await?;
    }
    tx.commit().await?;
    Ok(Ok(Taken { observations: ids.len(), unknown_codes }))
}
