//! Writes as whole transactions: validate everything first, write everything or nothing. Each
//! runs as its actor (for the audit trail) and within the actor's district, if bound to one.

use serde_json::{Map, Value};
use sqlx::PgPool;

use super::validate::{Record, parse_feature, parse_features};
use super::{Layer, store};
use crate::auth::begin_as;
use crate::auth::{Actor, jurisdiction};
use crate::error::Error;
use crate::error::Invalid;

/// Rows of a layer seen through a parent, such as the stock of one depot: `(field, id)`.
pub type Scope = Option<(&'static str, i64)>;

/// Creates the Feature or FeatureCollection in `body`; returns the created features.
pub async fn create(
    pool: &PgPool,
    actor: &Actor,
    layer: &Layer,
    body: &Value,
    scope: Scope,
) -> Result<Vec<Value>, Error> {
    let mut records = parse_features(layer, &scoped_body(body, scope))?;
    for (i, record) in records.iter_mut().enumerate() {
        apply_scope(record, scope).map_err(|e| e.at(i))?;
    }
    let mut tx = begin_as(pool, actor).await?;
    let ids = store::insert(&mut tx, layer, &records).await?;
    jurisdiction::check(&mut tx, actor, layer.name, &ids).await?;
    let features = store::get_many(&mut tx, layer, &ids).await?;
    tx.commit().await?;
    Ok(features)
}

/// Inserts already validated records in one transaction (import); returns their ids.
pub async fn create_records(
    pool: &PgPool,
    actor: &Actor,
    layer: &Layer,
    records: &[Record],
) -> Result<Vec<i64>, Error> {
    let mut tx = begin_as(pool, actor).await?;
    let ids = store::insert(&mut tx, layer, records).await?;
    jurisdiction::check(&mut tx, actor, layer.name, &ids).await?;
    tx.commit().await?;
    Ok(ids)
}

/// Replaces feature `id` with the Feature in `body` (PUT).
pub async fn replace(
    pool: &PgPool,
    actor: &Actor,
    layer: &Layer,
    id: i64,
    body: &Value,
    scope: Scope,
) -> Result<Value, Error> {
    let mut record = parse_feature(layer, body)?;
    apply_scope(&mut record, scope)?;
    let mut tx = begin_as(pool, actor).await?;
    let current = store::get(&mut tx, layer, id, true).await?;
    check_in_scope(layer, id, &current, scope)?;
    jurisdiction::check(&mut tx, actor, layer.name, &[id]).await?;
    store::replace(&mut tx, layer, id, &record).await?;
    jurisdiction::check(&mut tx, actor, layer.name, &[id]).await?;
    let feature = store::get(&mut tx, layer, id, false).await?;
    tx.commit().await?;
    Ok(feature)
}

/// Changes the given properties (and the geometry, if given) of feature `id` (PATCH).
/// `body` is a Feature or a plain object of properties.
pub async fn patch(
    pool: &PgPool,
    actor: &Actor,
    layer: &Layer,
    id: i64,
    body: &Value,
    scope: Scope,
) -> Result<Value, Error> {
    let (changes, geometry) = match body {
        Value::Object(map) if map.get("type").and_then(Value::as_str) == Some("Feature") => {
            let props = match map.get("properties") {
                Some(Value::Object(p)) => p.clone(),
                None | Some(Value::Null) => Map::new(),
                Some(_) => {
                    return Err(Invalid::field("properties", "properties must be an object").into());
                }
            };
            (props, map.get("geometry").cloned())
        }
        Value::Object(map) => (map.clone(), None),
        _ => {
            return Err(Invalid::request("expected a Feature or an object of properties to change").into());
        }
    };
    let mut tx = begin_as(pool, actor).await?;
    let mut current = store::get(&mut tx, layer, id, true).await?;
    check_in_scope(layer, id, &current, scope)?;
    jurisdiction::check(&mut tx, actor, layer.name, &[id]).await?;
    if let Some(Value::Object(props)) = current.get_mut("properties") {
        props.extend(changes);
    }
    if let Some(geometry) = geometry.filter(|g| !g.is_null() || !layer.is_spatial()) {
        current["geometry"] = geometry;
    }
    let mut record = parse_feature(layer, &current)?;
    apply_scope(&mut record, scope)?;
    store::replace(&mut tx, layer, id, &record).await?;
    jurisdiction::check(&mut tx, actor, layer.name, &[id]).await?;
    let feature = store::get(&mut tx, layer, id, false).await?;
    tx.commit().await?;
    Ok(feature)
}

/// Deletes feature `id`.
pub async fn delete(pool: &PgPool, actor: &Actor, layer: &Layer, id: i64, scope: Scope) -> Result<(), Error> {
    let mut tx = begin_as(pool, actor).await?;
    let current = store::get(&mut tx, layer, id, true).await?;
    check_in_scope(layer, id, &current, scope)?;
    jurisdiction::check(&mut tx, actor, layer.name, &[id]).await?;
    store::delete(&mut tx, layer, id).await?;
    tx.commit().await?;
    Ok(())
}

/// Under a scope, features may omit the scoped field; it is filled in before validation.
fn scoped_body(body: &Value, scope: Scope) -> Value {
    let Some((field, id)) = scope else {
        return body.clone();
    };
    let mut body = body.clone();
    let fill = |feature: &mut Value| {
        if let Some(Value::Object(props)) = feature.get_mut("properties") {
            props.entry(field).or_insert(Value::from(id));
        } else if let Value::Object(f) = feature {
            f.insert("properties".into(), serde_json::json!({ field: id }));
        }
    };
    match body.get("type").and_then(Value::as_str) {
        Some("FeatureCollection") => {
            if let Some(Value::Array(features)) = body.get_mut("features") {
                features.iter_mut().for_each(fill);
            }
        }
        _ => fill(&mut body),
    }
    body
}

fn apply_scope(record: &mut Record, scope: Scope) -> Result<(), Invalid> {
    let Some((field, id)) = scope else {
        return Ok(());
    };
    match record.properties.get(field).and_then(Value::as_i64) {
        Some(given) if given != id => Err(Invalid::field(field, format!("is {given}, but the path says {id}"))),
        _ => {
            record.properties.insert(field.to_string(), Value::from(id));
            Ok(())
        }
    }
}

fn check_in_scope(layer: &Layer, id: i64, current: &Value, scope: Scope) -> Result<(), Error> {
    let Some((field, parent)) = scope else {
        return Ok(());
    };
    if current.pointer(&format!("/properties/{field}")).and_then(Value::as_i64) != Some(parent) {
        return Err(Error::NotFound { layer: layer.name, id });
    }
    Ok(())
}
