//! What a station says now: its water class by GB 3838-2002 (its worst item, against its
//! target class) or its AQI by HJ 633-2012, from the latest values of its datastreams that
//! passed their checks (or have none to pass), kept in
//! `station_state` and announced in the feed (`station`) whenever observations arrive. A
//! datastream counts for an item when its ObservedProperty's `definition` is the item's code
//! (`COD`, `PM2.5`) or an HJ 212 code of it (`w01018`, `a34004`).

use serde_json::json;
use sqlx::PgConnection;

use super::hj212::codes::pollutant;
use crate::error::Error;
use crate::layers::words;
use crate::standards::{aqi, water};

/// Air pollutants whose index is of the 24-hour mean (the others: of the latest hourly value),
/// as the hourly published AQI takes them.
const DAILY: [&str; 2] = ["PM2.5", "PM10"];

/// The standard's item an ObservedProperty's definition names, and whether it is water's.
pub fn item(definition: &str) -> Option<(&'static str, bool)> {
    let code = pollutant(definition).and_then(|p| p.item).unwrap_or(definition);
    if let Some(i) = water::item(code) {
        return Some((i.code, true));
    }
    aqi::MEASURES.iter().find(|m| m.pollutant == code).map(|m| (m.pollutant, false))
}

/// One latest value of a station.
#[derive(Debug, sqlx::FromRow)]
struct Latest {
    definition: String,
    value: f64,
    mean_24h: Option<f64>,
    time: chrono::DateTime<chrono::Utc>,
}

/// Works out and keeps the state of stations `things`, and announces each.
pub async fn refresh(tx: &mut PgConnection, things: &[i64]) -> Result<(), Error> {
    for thing in things {
        let (props,): (Option<serde_json::Value>,) =
            match sqlx::query_as("SELECT properties FROM sta_thing WHERE id = $1")
                .bind(thing)
                .fetch_optional(&mut *tx)
                .await?
            {
                Some(row) => row,
                None => continue,
            };
        // The latest of each property (the newest datastream wins where several measure it).
        let latest: Vec<Latest> = sqlx::query_as(
            "SELECT DISTINCT ON (p.definition) p.definition, l.result AS value, l.phenomenon_time AS time, \
                    (SELECT avg(o.result) FROM sta_observation o LEFT JOIN sta_qc q ON q.observation_id = o.id \
                      WHERE o.datastream_id = d.id AND o.phenomenon_time > l.phenomenon_time - interval '24 hours' \
                        AND coalesce(q.flag, 'pass') = 'pass') AS mean_24h \
               FROM sta_datastream d \
               JOIN sta_observed_property p ON p.id = d.observed_property_id \
               JOIN LATERAL (SELECT o.result, o.phenomenon_time FROM sta_observation o \
                               LEFT JOIN sta_qc q ON q.observation_id = o.id \
                              WHERE o.datastream_id = d.id AND o.result IS NOT NULL AND coalesce(q.flag, 'pass') = 'pass' \
                              ORDER BY o.phenomenon_time DESC LIMIT 1) l ON true \
              WHERE d.thing_id = $1 \
              ORDER BY p.definition, l.phenomenon_time DESC",
        )
        .bind(thing)
        .fetch_all(&mut *tx)
        .await?;
        let mut water_values = Vec::new();
        let mut air_values = Vec::new();
        let mut time = None;
        for l in &latest {
            let Some((code, is_water)) = item(&l.definition) else { continue };
            time = time.max(Some(l.time));
            if is_water {
                water_values.push((code.to_string(), l.value));
            } else if DAILY.contains(&code) {
                air_values.push((format!("{code}_24h"), l.mean_24h.unwrap_or(l.value)));
            } else {
                air_values.push((format!("{code}_1h"), l.value));
            }
        }
        let props = props.unwrap_or_default();
        let state = if !water_values.is_empty() {
            let body = if props["waterbody"] == "lake" { water::Waterbody::Lake } else { water::Waterbody::River };
            let target = props["target_class"].as_str().and_then(water::class_index);
            match water::classify(body, &water_values, target) {
                Ok(c) => {
                    let colour =
                        c.class.and_then(|k| words::WATER_CLASS.iter().find(|w| w.code == k)).and_then(|w| w.colour);
                    json!({"medium": "water", "class": c.class, "target": c.target, "meets_target": c.meets_target,
                           "colour": colour, "deciding": c.deciding, "values": c.items})
                }
                Err(_) => json!({"medium": "water"}),
            }
        } else if !air_values.is_empty() {
            match aqi::index(&air_values) {
                Ok(i) => json!({"medium": "air", "aqi": i.aqi, "category": i.category, "colour": i.colour,
                                "primary": i.primary, "values": i.items}),
                Err(_) => json!({"medium": "air"}),
            }
        } else {
            sqlx::query("DELETE FROM station_state WHERE thing_id = $1").bind(thing).execute(&mut *tx).await?;
            continue;
        };
        sqlx::query(
            "INSERT INTO station_state (thing_id, medium, class, target, meets_target, aqi, category, detail, latest_time) \
             VALUES ($1, $2->>'medium', $2->>'class', $2->>'target', ($2->>'meets_target')::boolean, \
                     ($2->>'aqi')::float8, $2->>'category', $2, $3) \
             ON CONFLICT (thing_id) DO UPDATE SET medium = EXCLUDED.medium, class = EXCLUDED.class, \
                 target = EXCLUDED.target, meets_target = EXCLUDED.meets_target, aqi = EXCLUDED.aqi, \
                 category = EXCLUDED.category, detail = EXCLUDED.detail, latest_time = EXCLUDED.latest_time, \
                 updated_at = now()",
        )
        .bind(thing)
        .bind(&state)
        .bind(time)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "SELECT onemap_event('station', jsonb_build_object('id', s.thing_id, 'name', t.name, 'medium', s.medium, \
                    'class', s.class, 'aqi', s.aqi, 'category', s.category, 'latest_time', s.latest_time)) \
               FROM station_state s JOIN sta_thing t ON t.id = s.thing_id WHERE s.thing_id = $1",
        )
        .bind(thing)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// The stations whose observations `touched` names (by datastream or observation), for [`refresh`].
pub async fn things_of(tx: &mut PgConnection, touched: &[(super::model::Set, i64)]) -> Result<Vec<i64>, Error> {
    use super::model::Set;
    let ids = |set: Set| touched.iter().filter(|(s, _)| *s == set).map(|(_, id)| *id).collect::<Vec<i64>>();
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT d.thing_id FROM sta_datastream d \
          WHERE d.id = ANY($1) OR d.id IN (SELECT datastream_id FROM sta_observation WHERE id = ANY($2)) \
             OR d.thing_id = ANY($3) ORDER BY 1",
    )
    .bind(ids(Set::Datastreams))
    .bind(ids(Set::Observations))
    .bind(ids(Set::Things))
    .fetch_all(&mut *tx)
    .await?)
}
