//! The demo's illustrative monitoring stations (示例), generated, not measured: a water station
//! at each drinking-water intake and where the rivers cross the city's edge, an air station at
//! each district's seat, with a fortnight of hourly readings up to the present hour — a daily
//! cycle and noise, one spill passing down the 嘉陵江 station after station (reaching the last
//! one now), one stuck
//! sensor, one silent station — written through the SensorThings model like any station's.

use chrono::{DateTime, Duration, DurationRound, Utc};
use serde_json::{Value, json};
use sqlx::{PgConnection, PgPool};

use crate::auth::{Actor, begin_as};
use crate::random::Random;
use crate::sensing::data_array::Rows;
use crate::sensing::model::Set;
use crate::sensing::{state, write};

/// Hours of readings.
pub const HOURS: i64 = 14 * 24;
/// How long ago the spill peaked at the last station down the 嘉陵江, hours: it is passing
/// there now (an open alarm to trace), and passed the stations above it earlier.
pub const SPILL_HOURS_AGO: f64 = 1.0;
/// The spill's speed down the river, km/h (about 1 m/s).
pub const SPILL_KMH: f64 = 3.6;
/// How long the stuck sensor has repeated one value, hours.
pub const STUCK_HOURS: i64 = 72;
/// How long the silent station has sent nothing, hours.
pub const SILENT_HOURS: i64 = 30;

/// What a water station measures: (HJ 212 code, name, unit, usual value, daily swing, noise).
const WATER: [(&str, &str, &str, f64, f64, f64); 5] = [
    ("w01018", "化学需氧量", "mg/L", 13.0, 1.0, 1.2),
    ("w21003", "氨氮", "mg/L", 0.35, 0.05, 0.06),
    ("w21011", "总磷", "mg/L", 0.10, 0.01, 0.015),
    ("w01009", "溶解氧", "mg/L", 7.6, 0.8, 0.25),
    ("w01001", "pH值", "无量纲", 7.8, 0.2, 0.05),
];
/// What an air station measures (ambient, hourly): code, name, unit, usual, swing, noise.
const AIR: [(&str, &str, &str, f64, f64, f64); 6] = [
    ("a34004", "PM2.5", "μg/m³", 38.0, 12.0, 6.0),
    ("a34002", "PM10", "μg/m³", 62.0, 18.0, 9.0),
    ("a21026", "二氧化硫", "μg/m³", 9.0, 3.0, 1.5),
    ("a21004", "二氧化氮", "μg/m³", 32.0, 12.0, 5.0),
    ("a21005", "一氧化碳", "mg/m³", 0.8, 0.25, 0.08),
    ("a05024", "臭氧", "μg/m³", 58.0, 35.0, 8.0),
];

/// A station to make: its name, place, medium, and (water) how far it is from the 嘉陵江's
/// mouth along nothing finer than a straight line, km (None: not on the 嘉陵江).
struct Site {
    name: String,
    lon: f64,
    lat: f64,
    water: bool,
    jialing_km: Option<f64>,
}

async fn sites(tx: &mut PgConnection) -> Result<Vec<Site>, crate::error::Error> {
    // The 嘉陵江 meets the 长江 at 朝天门.
    let mouth = "ST_SetSRID(ST_MakePoint(106.585, 29.565), 4326)::geography";
    let water: Vec<(String, f64, f64, Option<f64>)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "WITH city AS (SELECT ST_Union(geom) AS g FROM district), \
              intake AS (SELECT replace(r.name, '（示例）', '') || '水质自动站（示例）' AS name, ST_PointOnSurface(r.geom) AS p FROM receptor r \
                          WHERE r.kind = 'water_intake'), \
              edge AS (SELECT DISTINCT ON (x.river) x.river || '市界断面（示例）' AS name, x.p FROM ( \
                          SELECT split_part(rt.name, '（', 1) AS river, (ST_Dump(ST_Intersection(rt.geom, ST_Boundary(c.g)))).geom AS p \
                            FROM route rt, city c WHERE rt.kind = 'river' AND ST_Crosses(rt.geom, c.g)) x \
                        WHERE GeometryType(x.p) = 'POINT' ORDER BY x.river, ST_X(x.p)), \
              site AS (SELECT * FROM intake UNION ALL SELECT * FROM edge) \
         SELECT s.name, ST_X(s.p), ST_Y(s.p), \
                CASE WHEN EXISTS (SELECT 1 FROM route rt WHERE rt.kind = 'river' AND rt.name LIKE '嘉陵江%' \
                                   AND ST_DWithin(rt.geom::geography, s.p::geography, 3000)) \
                     THEN ST_Distance(s.p::geography, {mouth}) / 1000 END \
           FROM site s ORDER BY s.name"
    )))
    .fetch_all(&mut *tx)
    .await?;
    let air: Vec<(String, f64, f64)> = sqlx::query_as(
        "SELECT d.name || '空气自动站（示例）', ST_X(coalesce(p.geom, o.geom, ST_PointOnSurface(d.geom))), \
                ST_Y(coalesce(p.geom, o.geom, ST_PointOnSurface(d.geom))) FROM district d \
         LEFT JOIN LATERAL (SELECT geom FROM receptor r WHERE r.kind = 'residential' AND r.district = d.name \
           ORDER BY population DESC LIMIT 1) p ON true \
         LEFT JOIN LATERAL (SELECT geom FROM depot x WHERE x.tier = 'district' AND x.district = d.name LIMIT 1) o ON true \
         ORDER BY d.code",
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut out: Vec<Site> =
        water.into_iter().map(|(name, lon, lat, km)| Site { name, lon, lat, water: true, jialing_km: km }).collect();
    out.extend(air.into_iter().map(|(name, lon, lat)| Site { name, lon, lat, water: false, jialing_km: None }));
    Ok(out)
}

/// A reading at hour `h` (0 = a fortnight ago) of a quantity with `usual` value, `swing` over
/// the day (peaking at `peak` o'clock) and `noise`.
fn reading(random: &mut Random, t: DateTime<Utc>, usual: f64, swing: f64, noise: f64, peak: f64) -> f64 {
    let hour = (t + Duration::hours(8)).time().format("%H").to_string().parse::<f64>().unwrap_or(0.0);
    let cycle = swing * ((hour - peak) / 24.0 * std::f64::consts::TAU).cos();
    let jitter = noise * (random.unit() + random.unit() + random.unit() - 1.5) * 2.0;
    (usual + cycle + jitter).max(0.0)
}

/// Loads the stations and their readings up to `now` (the present hour), replacing earlier
/// demo stations; the number of stations and of observations.
pub async fn load(pool: &PgPool, now: DateTime<Utc>) -> Result<(usize, usize), crate::error::Error> {
    let end = now.duration_trunc(Duration::hours(1)).unwrap_or(now);
    let start = end - Duration::hours(HOURS - 1);
    let mut tx = begin_as(pool, &Actor::command_line()).await?;
    sqlx::query("DELETE FROM sta_thing WHERE properties->>'demo' = 'true'").execute(&mut *tx).await?;
    sqlx::query("DELETE FROM sta_sensor WHERE metadata = 'generated'").execute(&mut *tx).await?;
    let sites = sites(&mut tx).await?;
    let mut written = write::Written::default();
    let sensor = write::create(
        &mut tx,
        Set::Sensors,
        &json!({"name": "示例数据（生成）", "description": "onemap 演示用的生成数据，不是监测结果",
                "encodingType": "text/plain", "metadata": "generated"}),
        None,
        &mut written,
    )
    .await?;
    let mut properties = std::collections::HashMap::new();
    for (code, name, ..) in WATER.iter().chain(&AIR) {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT id FROM sta_observed_property WHERE definition = $1 ORDER BY id LIMIT 1")
                .bind(code)
                .fetch_optional(&mut *tx)
                .await?;
        let id = match found {
            Some(id) => id,
            None => {
                let body = json!({"name": name, "definition": code, "description": "HJ 212-2017 附录B"});
                write::create(&mut tx, Set::ObservedProperties, &body, None, &mut written).await?
            }
        };
        properties.insert(*code, id);
    }
    let mut random = Random(20_261_207);
    let mut rows = Rows::default();
    let mut things = Vec::new();
    // The 嘉陵江's stations from upstream (farthest from its mouth) down.
    let mut jialing: Vec<(usize, f64)> =
        sites.iter().enumerate().filter_map(|(i, s)| s.jialing_km.map(|k| (i, k))).collect();
    jialing.sort_by(|a, b| b.1.total_cmp(&a.1));
    let stuck = sites.iter().position(|s| s.water && s.jialing_km.is_none());
    let silent = sites.iter().rposition(|s| !s.water);
    for (i, site) in sites.iter().enumerate() {
        let table: &[(&str, &str, &str, f64, f64, f64)] = if site.water { &WATER } else { &AIR };
        let streams: Vec<Value> = table
            .iter()
            .map(|(code, name, unit, ..)| {
                json!({"name": format!("{} {name}", site.name), "description": "示例", "observationType": "OM_Measurement",
                       "unitOfMeasurement": {"name": unit, "symbol": unit},
                       "Sensor": {"@iot.id": sensor}, "ObservedProperty": {"@iot.id": properties[code]}})
            })
            .collect();
        let mut props = json!({"demo": true, "kind": if site.water { "water" } else { "air" }});
        if site.water {
            props["target_class"] = json!("Ⅲ");
        }
        let body = json!({"name": site.name, "description": "示例（生成的数据）", "properties": props,
                          "Locations": [{"name": site.name, "encodingType": "application/geo+json",
                                         "location": {"type": "Point", "coordinates": [site.lon, site.lat]}}],
                          "Datastreams": streams});
        let thing = write::create(&mut tx, Set::Things, &body, None, &mut written).await?;
        things.push(thing);
        let ids: Vec<(i64, String)> = sqlx::query_as(
            "SELECT d.id, p.definition FROM sta_datastream d JOIN sta_observed_property p ON p.id = d.observed_property_id \
              WHERE d.thing_id = $1 ORDER BY d.id",
        )
        .bind(thing)
        .fetch_all(&mut *tx)
        .await?;
        let feature = write::feature_of_location(&mut tx, ids[0].0, &mut written).await?;
        // Some places breathe cleaner air than others.
        let scale = if site.water { 1.0 } else { 0.55 + 0.8 * random.unit() };
        // When the spill passes this station (hours ago), and how strong it still is.
        let spill = jialing.iter().position(|(j, _)| *j == i).map(|rank| {
            let last_km = jialing.last().map_or(0.0, |l| l.1);
            let km = site.jialing_km.unwrap_or(last_km);
            (SPILL_HOURS_AGO + (km - last_km) / SPILL_KMH, 0.85f64.powi(rank as i32))
        });
        for (datastream, code) in &ids {
            let (_, _, _, usual, swing, noise) = *table.iter().find(|q| q.0 == code).expect("a quantity of the table");
            // Dissolved oxygen peaks in the afternoon with the sun, ozone too; the rest at night and morning.
            let peak = if matches!(code.as_str(), "w01009" | "a05024") { 15.0 } else { 7.0 };
            let silent_from = (Some(i) == silent).then(|| end - Duration::hours(SILENT_HOURS));
            let mut held = None;
            for h in 0..HOURS {
                let t = start + Duration::hours(h);
                if silent_from.is_some_and(|s| t > s) {
                    break;
                }
                let mut v = reading(&mut random, t, usual * scale, swing * scale, noise, peak);
                if let Some((hours_ago, strength)) = spill {
                    let since = (end - t).num_hours() as f64;
                    let pulse = (-((since - hours_ago) / 4.0).powi(2)).exp() * strength;
                    v += match code.as_str() {
                        "w01018" => 35.0 * pulse,
                        "w21003" => 2.6 * pulse,
                        "w01009" => -3.5 * pulse,
                        _ => 0.0,
                    };
                }
                if Some(i) == stuck && code == "w01009" && t > end - Duration::hours(STUCK_HOURS) {
                    v = *held.get_or_insert(v);
                }
                let digits = if usual < 1.0 { 1000.0 } else { 100.0 };
                rows.datastream.push(*datastream);
                rows.feature.push(Some(feature));
                rows.time.push(t);
                rows.time_end.push(None);
                rows.result_time.push(None);
                rows.result.push(Some((v.max(0.0) * digits).round() / digits));
                rows.other.push(None);
                rows.quality.push(None);
                rows.valid_start.push(None);
                rows.valid_end.push(None);
                rows.parameters.push(None);
            }
        }
    }
    let observations = rows.insert(&mut tx, false).await?.len();
    let mut datastreams = rows.datastream.clone();
    datastreams.dedup();
    crate::sensing::alarms::evaluate(&mut tx, &datastreams).await?;
    state::refresh(&mut tx, &things).await?;
    tx.commit().await?;
    Ok((things.len(), observations))
}
