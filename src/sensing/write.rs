//! Writing entities: create (with deep insert: related entities created or linked by
//! `@iot.id` in the same body), update and delete, all in the caller's transaction, checked
//! field by field against the catalogue before any row is written. The standard's own rules
//! are kept here: a Thing's new Locations make a HistoricalLocation; an Observation without
//! a FeatureOfInterest observes its Thing's Location; a phenomenon time not given is now.

use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value};
use sqlx::PgConnection;

use super::model::{Kind, Link, Set};
use crate::error::{Error, Invalid};
use crate::layers::spec::GeometryRule;

/// How far ahead of the server's clock an observation's time may be (clocks drift).
pub const CLOCK_SKEW_MINUTES: i64 = 5;
/// Most entities one body creates.
pub const MAX_CREATED: usize = 1_000;

/// What a write did: every entity it created, for jurisdiction and for the answer.
#[derive(Debug, Default)]
pub struct Written {
    /// (set, id) of each entity created or changed.
    pub touched: Vec<(Set, i64)>,
}

/// A value checked and ready to bind, with the SQL cast that reads it.
struct Column {
    name: &'static str,
    value: Option<String>,
    sql: &'static str,
}

fn bad(field: impl Into<String>, detail: impl Into<String>) -> Error {
    Error::Invalid(Invalid::field(field, detail))
}

/// An ISO 8601 instant of a body.
fn instant(field: &str, value: &str) -> Result<DateTime<Utc>, Error> {
    DateTime::parse_from_rfc3339(value.trim())
        .map(|t| t.to_utc())
        .map_err(|_| bad(field, format!("`{value}` is not an ISO 8601 time like 2026-12-07T08:00:00Z")))
}

/// `t` or `t1/t2` (ISO 8601), in UTC; refused when it ends before it starts.
pub fn interval(field: &str, value: &str) -> Result<(DateTime<Utc>, Option<DateTime<Utc>>), Error> {
    match value.split_once('/') {
        Some((a, b)) => {
            let (a, b) = (instant(field, a)?, instant(field, b)?);
            if b < a {
                return Err(bad(field, format!("`{value}` ends before it starts")));
            }
            Ok((a, Some(b)))
        }
        None => Ok((instant(field, value)?, None)),
    }
}

fn text(field: &str, value: &Value, max: usize) -> Result<String, Error> {
    let Value::String(s) = value else {
        return Err(bad(field, format!("is text, not {value}")));
    };
    crate::text::field(Some(s.clone()), max, true).map(Option::unwrap_or_default).map_err(|d| bad(field, d))
}

/// Checks the properties of `body` for `set` into columns (None where the body gives none).
fn columns(set: Set, body: &Map<String, Value>, creating: bool) -> Result<Vec<Column>, Error> {
    let mut out = Vec::new();
    for prop in set.props() {
        let value = body.get(prop.name);
        if !prop.writable {
            continue;
        }
        let Some(value) = value.filter(|v| !v.is_null()) else {
            if creating && prop.required && !(set == Set::Observations && prop.name == "phenomenonTime") {
                return Err(bad(prop.name, format!("is required for {}", set.name())));
            }
            if !creating && prop.required && value.is_some_and(Value::is_null) {
                return Err(bad(prop.name, "is required: it cannot be set to null"));
            }
            if value.is_some() {
                // An optional property set to null is cleared.
                out.extend(cleared(prop.column, prop.kind));
            }
            continue;
        };
        let name = prop.name;
        match prop.kind {
            Kind::Text => {
                let max = if prop.column == "name" { 200 } else { 2000 };
                let s = text(name, value, max)?;
                if prop.required && s.is_empty() {
                    return Err(bad(name, "is empty"));
                }
                if prop.column == "encoding_type" && set != Set::Sensors && !GEOJSON.contains(&s.as_str()) {
                    return Err(bad(name, format!("`{s}` is not a GeoJSON encoding: give application/geo+json")));
                }
                out.push(Column { name: prop.column, value: Some(s), sql: "text" });
            }
            Kind::Json => {
                let object_only = prop.name != "resultQuality";
                if object_only && !value.is_object() {
                    return Err(bad(name, format!("is a JSON object, not {value}")));
                }
                if prop.name == "unitOfMeasurement" {
                    for member in ["name", "symbol", "definition"] {
                        if !value.get(member).is_none_or(|m| m.is_string() || m.is_null()) {
                            return Err(bad(name, format!("{member} is text")));
                        }
                    }
                }
                out.push(Column { name: prop.column, value: Some(value.to_string()), sql: "jsonb" });
            }
            Kind::Geometry => {
                // A GeoJSON geometry, or a Feature holding one.
                let geometry = if value.get("type").and_then(Value::as_str) == Some("Feature") {
                    value.get("geometry")
                } else {
                    Some(value)
                };
                let g = crate::layers::validate::check_geometry(GeometryRule::PointOrPolygon, geometry)
                    .map_err(|e| bad(name, e.detail))?
                    .expect("a required geometry");
                let json = geojson::Geometry::from(&g).to_string();
                out.push(Column { name: prop.column, value: Some(json), sql: "geojson" });
            }
            Kind::Time => {
                let s = value.as_str().ok_or_else(|| bad(name, "is an ISO 8601 time in quotes"))?;
                out.push(Column { name: prop.column, value: Some(instant(name, s)?.to_rfc3339()), sql: "timestamptz" });
            }
            Kind::TimeOrInterval { end } | Kind::Interval { end } => {
                let s = value.as_str().ok_or_else(|| bad(name, "is an ISO 8601 time or interval in quotes"))?;
                let (a, b) = interval(name, s)?;
                if matches!(prop.kind, Kind::Interval { .. }) && b.is_none() {
                    return Err(bad(name, "is an interval: start/end"));
                }
                if set == Set::Observations && name == "phenomenonTime" {
                    not_ahead(name, b.unwrap_or(a))?;
                }
                out.push(Column { name: prop.column, value: Some(a.to_rfc3339()), sql: "timestamptz" });
                out.push(Column { name: end, value: b.map(|b| b.to_rfc3339()), sql: "timestamptz" });
            }
            Kind::Result { other } => match value {
                Value::Number(n) => {
                    let n = n.as_f64().filter(|n| n.is_finite()).ok_or_else(|| bad(name, "is not a finite number"))?;
                    out.push(Column { name: prop.column, value: Some(n.to_string()), sql: "float8" });
                    out.push(Column { name: other, value: None, sql: "jsonb" });
                }
                other_value => {
                    out.push(Column { name: prop.column, value: None, sql: "float8" });
                    out.push(Column { name: other, value: Some(other_value.to_string()), sql: "jsonb" });
                }
            },
            Kind::Span { .. } | Kind::Unkept => {}
        }
    }
    Ok(out)
}

const GEOJSON: [&str; 2] = ["application/geo+json", "application/vnd.geo+json"];

fn cleared(column: &'static str, kind: Kind) -> Vec<Column> {
    let sql = match kind {
        Kind::Text => "text",
        Kind::Json => "jsonb",
        _ => "timestamptz",
    };
    let mut out = vec![Column { name: column, value: None, sql }];
    if let Kind::Interval { end } | Kind::TimeOrInterval { end } = kind {
        out.push(Column { name: end, value: None, sql });
    }
    out
}

/// Refuses a time ahead of now (beyond the clock skew allowed).
pub fn not_ahead(field: &str, t: DateTime<Utc>) -> Result<(), Error> {
    if t > Utc::now() + Duration::minutes(CLOCK_SKEW_MINUTES) {
        return Err(bad(field, format!("{} is in the future: observations are of what has happened", t.to_rfc3339())));
    }
    Ok(())
}

fn placeholder(n: usize, sql: &str) -> String {
    match sql {
        "geojson" => format!("ST_SetSRID(ST_GeomFromGeoJSON(${n}), 4326)"),
        cast => format!("${n}::{cast}"),
    }
}

/// Reads `{"@iot.id": n}`: a link to an existing entity (None: the value describes a new one).
fn link_id(value: &Value, field: &str) -> Result<Option<i64>, Error> {
    let Some(object) = value.as_object() else {
        return Err(bad(field, format!("is an entity (a JSON object), not {value}")));
    };
    match object.get("@iot.id") {
        None => Ok(None),
        Some(id) => {
            id.as_i64().filter(|id| *id > 0).map(Some).ok_or_else(|| bad(field, format!("@iot.id {id} is not an id")))
        }
    }
}

async fn exists(tx: &mut PgConnection, set: Set, id: i64, field: &str) -> Result<i64, Error> {
    if super::read::found(tx, set, id).await? {
        Ok(id)
    } else {
        Err(bad(field, format!("there is no {} with @iot.id {id}", set.name())))
    }
}

/// Creates an entity of `set` from `body` (and the related entities it holds); `parent` is the
/// link its place in a path or a deep insert implies (`Datastreams(1)/Observations`: the
/// datastream). Returns its id.
pub fn create<'a>(
    tx: &'a mut PgConnection,
    set: Set,
    body: &'a Value,
    parent: Option<(&'static str, i64)>,
    written: &'a mut Written,
) -> futures_util::future::BoxFuture<'a, Result<i64, Error>> {
    Box::pin(async move {
        let Some(object) = body.as_object() else {
            return Err(bad(set.name(), format!("an entity is a JSON object, not {body}")));
        };
        if written.touched.len() >= MAX_CREATED {
            return Err(bad(set.name(), format!("one request creates at most {MAX_CREATED} entities")));
        }
        for key in object.keys() {
            let known = set.prop(key).is_some()
                || set.nav(key).is_some()
                || key.ends_with("@iot.navigationLink")
                || key == "@iot.selfLink";
            if key == "@iot.id" {
                return Err(bad(
                    key.as_str(),
                    "ids are given by the service; to link an existing entity, put {\"@iot.id\": n} in the navigation property",
                ));
            }
            if !known {
                return Err(bad(key.as_str(), format!("{} has no `{key}`; it has {}", set.name(), set.known())));
            }
        }
        let mut cols = columns(set, object, true)?;
        if set == Set::Observations && object.get("phenomenonTime").is_none_or(|v| v.is_null()) {
            cols.push(Column { name: "phenomenon_time", value: Some(Utc::now().to_rfc3339()), sql: "timestamptz" });
        }
        // To-one links first: the row holds their ids.
        for nav in set.navs() {
            let Link::ToOne(column) = nav.link else { continue };
            let given = object.get(nav.name).filter(|v| !v.is_null());
            let id = match (given, parent) {
                (Some(_), Some((c, _))) if c == column => {
                    return Err(bad(nav.name, format!("is given by the path already; leave {} out", nav.name)));
                }
                (None, Some((c, id))) if c == column => Some(id),
                (Some(value), _) => Some(match link_id(value, nav.name)? {
                    Some(id) => exists(tx, nav.target, id, nav.name).await?,
                    None => create(tx, nav.target, value, None, written).await?,
                }),
                (None, _) => None,
            };
            let id = match id {
                Some(id) => id,
                None if set == Set::Observations && nav.name == "FeatureOfInterest" => {
                    let datastream =
                        cols_value(&cols, "datastream_id").or(parent.filter(|p| p.0 == "datastream_id").map(|p| p.1));
                    let d = datastream.ok_or_else(|| bad("Datastream", "an Observation needs its Datastream"))?;
                    feature_of_location(tx, d, written).await?
                }
                None => return Err(bad(nav.name, format!("a {} needs its {}", set.name(), nav.name))),
            };
            cols.push(Column { name: column, value: Some(id.to_string()), sql: "bigint" });
        }
        let names: Vec<&str> = cols.iter().map(|c| c.name).collect();
        let values: Vec<String> = cols.iter().enumerate().map(|(i, c)| placeholder(i + 1, c.sql)).collect();
        let sql =
            format!("INSERT INTO {} ({}) VALUES ({}) RETURNING id", set.table(), names.join(", "), values.join(", "));
        let mut q = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql));
        for c in &cols {
            q = q.bind(c.value.clone());
        }
        let id = q.fetch_one(&mut *tx).await?;
        written.touched.push((set, id));
        // Then the entities that point here, and those joined through a table.
        let mut locations = Vec::new();
        for nav in set.navs() {
            let Some(value) = object.get(nav.name).filter(|v| !v.is_null()) else { continue };
            if let Link::ToOne(_) = nav.link {
                continue;
            }
            let Value::Array(items) = value else {
                return Err(bad(nav.name, format!("is a list of {}", nav.target.name())));
            };
            if items.len() > MAX_CREATED {
                return Err(bad(nav.name, format!("one request names at most {MAX_CREATED} entities")));
            }
            for item in items {
                let child = match link_id(item, nav.name)? {
                    Some(child) => {
                        exists(tx, nav.target, child, nav.name).await?;
                        if let Link::ToMany(column) = nav.link {
                            relink(tx, nav.target, column, child, id).await?;
                            written.touched.push((nav.target, child));
                        }
                        child
                    }
                    None => {
                        let implied = match nav.link {
                            Link::ToMany(column) => Some((column, id)),
                            _ => None,
                        };
                        create(tx, nav.target, item, implied, written).await?
                    }
                };
                if let Link::Through(table, this, that) = nav.link {
                    let sql = format!("INSERT INTO {table} ({this}, {that}) VALUES ($1, $2) ON CONFLICT DO NOTHING");
                    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).bind(child).execute(&mut *tx).await?;
                }
                if nav.target == Set::Locations && set == Set::Things {
                    locations.push(child);
                }
                if nav.target == Set::Things && set == Set::Locations {
                    moved(tx, child, &[id], written).await?;
                }
            }
        }
        if !locations.is_empty() {
            moved(tx, id, &locations, written).await?;
        }
        Ok(id)
    })
}

fn cols_value(cols: &[Column], name: &str) -> Option<i64> {
    cols.iter().find(|c| c.name == name).and_then(|c| c.value.as_deref()?.parse().ok())
}

async fn relink(tx: &mut PgConnection, set: Set, column: &str, child: i64, parent: i64) -> Result<(), Error> {
    let sql = format!("UPDATE {} SET {column} = $2 WHERE id = $1", set.table());
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(child).bind(parent).execute(&mut *tx).await?;
    Ok(())
}

/// A Thing is now at `locations` (they replace where it was): recorded as a HistoricalLocation.
async fn moved(tx: &mut PgConnection, thing: i64, locations: &[i64], written: &mut Written) -> Result<(), Error> {
    sqlx::query("DELETE FROM sta_thing_location WHERE thing_id = $1 AND NOT location_id = ANY($2)")
        .bind(thing)
        .bind(locations)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO sta_thing_location (thing_id, location_id) SELECT $1, unnest($2::bigint[]) ON CONFLICT DO NOTHING",
    )
    .bind(thing)
    .bind(locations)
    .execute(&mut *tx)
    .await?;
    let history: i64 = sqlx::query_scalar("INSERT INTO sta_historical_location (thing_id) VALUES ($1) RETURNING id")
        .bind(thing)
        .fetch_one(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO sta_location_history (historical_location_id, location_id) SELECT $1, unnest($2::bigint[])",
    )
    .bind(history)
    .bind(locations)
    .execute(&mut *tx)
    .await?;
    written.touched.push((Set::HistoricalLocations, history));
    written.touched.push((Set::Things, thing));
    Ok(())
}

/// The FeatureOfInterest of an observation that names none: its Thing's Location (made once
/// per Location and reused).
pub async fn feature_of_location(tx: &mut PgConnection, datastream: i64, written: &mut Written) -> Result<i64, Error> {
    let found: Option<(Option<i64>, Option<i64>)> = sqlx::query_as(
        "SELECT l.id, f.id FROM sta_datastream d \
           LEFT JOIN LATERAL (SELECT tl.location_id AS id FROM sta_thing_location tl WHERE tl.thing_id = d.thing_id \
                              ORDER BY tl.location_id LIMIT 1) l ON true \
           LEFT JOIN sta_feature_of_interest f ON f.location_id = l.id \
          WHERE d.id = $1",
    )
    .bind(datastream)
    .fetch_optional(&mut *tx)
    .await?;
    match found {
        None => Err(bad("Datastream", format!("there is no Datastream with @iot.id {datastream}"))),
        Some((None, _)) => Err(bad(
            "FeatureOfInterest",
            format!("Datastream {datastream}'s Thing has no Location: give the observation a FeatureOfInterest"),
        )),
        Some((_, Some(feature))) => Ok(feature),
        Some((Some(location), None)) => {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO sta_feature_of_interest (name, description, encoding_type, geom, properties, location_id) \
                 SELECT name, description, encoding_type, geom, properties, id FROM sta_location WHERE id = $1 RETURNING id",
            )
            .bind(location)
            .fetch_one(&mut *tx)
            .await?;
            written.touched.push((Set::FeaturesOfInterest, id));
            Ok(id)
        }
    }
}

/// Changes entity `id` of `set` by the members `body` gives (PATCH): properties, links to one
/// entity (`{"@iot.id": n}`), and a Thing's Locations. False when there is no such entity.
pub async fn update(
    tx: &mut PgConnection,
    set: Set,
    id: i64,
    body: &Value,
    written: &mut Written,
) -> Result<bool, Error> {
    let Some(object) = body.as_object() else {
        return Err(bad(set.name(), format!("a change is a JSON object, not {body}")));
    };
    for key in object.keys() {
        let allowed = set.prop(key).is_some_and(|p| p.writable)
            || set.nav(key).is_some_and(|n| matches!(n.link, Link::ToOne(_)))
            || (set == Set::Things && key == "Locations")
            || key == "@iot.id"
            || key == "@iot.selfLink"
            || key.ends_with("@iot.navigationLink");
        if !allowed {
            return Err(bad(key.as_str(), format!("is not a property of {} that can be changed", set.name())));
        }
    }
    if object.get("@iot.id").is_some_and(|v| v.as_i64() != Some(id)) {
        return Err(bad("@iot.id", "an entity's id does not change"));
    }
    let mut cols = columns(set, object, false)?;
    for nav in set.navs() {
        let (Link::ToOne(column), Some(value)) = (nav.link, object.get(nav.name)) else { continue };
        let target = link_id(value, nav.name)?
            .ok_or_else(|| bad(nav.name, "a change links an existing entity: {\"@iot.id\": n}"))?;
        exists(tx, nav.target, target, nav.name).await?;
        cols.push(Column { name: column, value: Some(target.to_string()), sql: "bigint" });
    }
    if !super::read::found(tx, set, id).await? {
        return Ok(false);
    }
    if set == Set::Observations {
        // A changed value is checked again.
        sqlx::query("DELETE FROM sta_qc WHERE observation_id = $1").bind(id).execute(&mut *tx).await?;
    }
    if !cols.is_empty() {
        let sets: Vec<String> =
            cols.iter().enumerate().map(|(i, c)| format!("{} = {}", c.name, placeholder(i + 2, c.sql))).collect();
        let sql = format!("UPDATE {} SET {} WHERE id = $1", set.table(), sets.join(", "));
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id);
        for c in &cols {
            q = q.bind(c.value.clone());
        }
        q.execute(&mut *tx).await?;
    }
    if let Some(value) = object.get("Locations").filter(|_| set == Set::Things) {
        let Value::Array(items) = value else {
            return Err(bad("Locations", "is a list of Locations ({\"@iot.id\": n})"));
        };
        if items.len() > 100 {
            return Err(bad("Locations", "a Thing is at most 100 Locations"));
        }
        let mut ids = Vec::new();
        for item in items {
            let l = link_id(item, "Locations")?
                .ok_or_else(|| bad("Locations", "a change links existing Locations: {\"@iot.id\": n}"))?;
            ids.push(exists(tx, Set::Locations, l, "Locations").await?);
        }
        if !ids.is_empty() {
            moved(tx, id, &ids, written).await?;
        }
    }
    written.touched.push((set, id));
    Ok(true)
}

/// Deletes entity `id` of `set` and what depends on it (a Thing's Datastreams and their
/// Observations …, as the standard says). False when there was none.
pub async fn delete(tx: &mut PgConnection, set: Set, id: i64) -> Result<bool, Error> {
    let sql = format!("DELETE FROM {} WHERE id = $1", set.table());
    let done = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).execute(&mut *tx).await?;
    Ok(done.rows_affected() > 0)
}
