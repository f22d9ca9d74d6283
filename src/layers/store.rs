//! Reading and writing layers in PostGIS. All SQL is built from the static catalogue: table
//! and column names never come from a request, and every value is a bound parameter.

use serde_json::{Map, Value, json};
use sqlx::AssertSqlSafe;
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};

use super::query::ListQuery;
use super::spec::{FieldType, Layer};
use super::validate::Record;
use crate::error::Error;
use crate::error::Invalid;
use crate::geodesy::crs::Crs;

/// Decimal digits of coordinates in GeoJSON output: lossless for doubles as stored.
const DIGITS: i32 = 15;

/// One layer's row count and extent.
#[derive(Debug, serde::Serialize)]
pub struct LayerSummary {
    /// Number of rows.
    pub count: i64,
    /// [west, south, east, north], or None when empty or non-spatial.
    pub extent: Option<[f64; 4]>,
}

/// The SQL expression that renders row `t` of `layer` as a GeoJSON Feature in `crs`.
fn feature_sql(layer: &Layer, crs: Crs) -> String {
    let geometry = if layer.is_spatial() {
        format!("ST_AsGeoJSON({}, {DIGITS})::jsonb", crs.from_storage_sql("t.geom"))
    } else {
        "NULL::jsonb".into()
    };
    let mut properties = "(to_jsonb(t) - 'geom' - 'id')".to_string();
    for (field, rows) in layer.child_rows() {
        properties.push_str(&format!(
            " || jsonb_build_object('{name}', (SELECT coalesce(jsonb_agg(to_jsonb(c) - 'id' - '{parent}' ORDER BY c.id), '[]'::jsonb) \
             FROM {table} c WHERE c.{parent} = t.id))",
            name = field.name,
            parent = rows.parent_column,
            table = rows.table,
        ));
    }
    if let Some(derived) = &layer.derived {
        properties.push_str(&format!(" || {}", derived.sql));
    }
    format!("jsonb_build_object('type', 'Feature', 'id', t.id, 'geometry', {geometry}, 'properties', {properties})")
}

/// Features of `layer` matching `query`, in id order, and how many match in all.
pub async fn list(pool: &PgPool, layer: &Layer, query: &ListQuery) -> Result<(Vec<Value>, i64), Error> {
    let (table, filter) = (layer.name, query.condition.sql());
    let count_sql = format!("SELECT count(*) FROM {table} t {filter}");
    let mut count = sqlx::query_scalar::<_, i64>(AssertSqlSafe(&*count_sql));
    for p in query.condition.params() {
        count = count.bind(p);
    }
    let matched = count.fetch_one(pool).await?;

    let sql = format!(
        "SELECT {} FROM {table} t {filter} ORDER BY t.id LIMIT {} OFFSET {}",
        feature_sql(layer, query.crs),
        query.limit,
        query.offset
    );
    let mut rows = sqlx::query_scalar::<_, Json<Value>>(AssertSqlSafe(&*sql));
    for p in query.condition.params() {
        rows = rows.bind(p);
    }
    let features = rows.fetch_all(pool).await?.into_iter().map(|j| j.0).collect();
    Ok((features, matched))
}

/// The feature `id` of `layer`; with `for_update`, locks the row for the transaction.
pub async fn get(conn: &mut PgConnection, layer: &Layer, id: i64, for_update: bool) -> Result<Value, Error> {
    let lock = if for_update { "FOR UPDATE OF t" } else { "" };
    fetch(conn, layer, id, Crs::Crs84, lock).await
}

/// The feature `id` of `layer` with its geometry in `crs`.
pub async fn get_in(conn: &mut PgConnection, layer: &Layer, id: i64, crs: Crs) -> Result<Value, Error> {
    fetch(conn, layer, id, crs, "").await
}

async fn fetch(conn: &mut PgConnection, layer: &Layer, id: i64, crs: Crs, lock: &str) -> Result<Value, Error> {
    let sql = format!("SELECT {} FROM {} t WHERE t.id = $1 {lock}", feature_sql(layer, crs), layer.name);
    let row = sqlx::query_scalar::<_, Json<Value>>(AssertSqlSafe(&*sql)).bind(id).fetch_optional(conn).await?;
    row.map(|j| j.0).ok_or(Error::NotFound { layer: layer.name, id })
}

/// Nothing, when row `id` of `layer` exists; else NotFound.
pub async fn exists(conn: &mut PgConnection, layer: &Layer, id: i64) -> Result<(), Error> {
    let found: Option<i64> = sqlx::query_scalar(AssertSqlSafe(format!("SELECT id FROM {} WHERE id = $1", layer.name)))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    found.map(|_| ()).ok_or(Error::NotFound { layer: layer.name, id })
}

/// Features of `layer` with the given ids, in that order.
pub async fn get_many(conn: &mut PgConnection, layer: &Layer, ids: &[i64]) -> Result<Vec<Value>, Error> {
    let sql = format!(
        "SELECT {} FROM unnest($1::bigint[]) WITH ORDINALITY AS k(id, n) JOIN {} t ON t.id = k.id ORDER BY k.n",
        feature_sql(layer, Crs::Crs84),
        layer.name
    );
    let rows = sqlx::query_scalar::<_, Json<Value>>(AssertSqlSafe(&*sql)).bind(ids).fetch_all(conn).await?;
    Ok(rows.into_iter().map(|j| j.0).collect())
}

fn columns(layer: &Layer) -> Vec<&'static str> {
    layer.columns().map(|f| f.name).collect()
}

/// The record as `{"p": columns, "g": geometry}` for the set-based SQL below.
fn record_json(layer: &Layer, record: &Record, id: Option<i64>) -> Value {
    let mut p = Map::new();
    for field in layer.columns() {
        if let Some(v) = record.properties.get(field.name) {
            p.insert(field.name.to_string(), v.clone());
        }
    }
    let g = record.geometry.as_ref().map(|g| geojson::Geometry::from(g).to_string());
    json!({"id": id, "p": p, "g": g})
}

/// Inserts `records` into `layer` inside the caller's transaction; returns their ids in order.
/// On a database error the feature at fault is found and named; the caller rolls back.
pub async fn insert(conn: &mut PgConnection, layer: &Layer, records: &[Record]) -> Result<Vec<i64>, Error> {
    if records.is_empty() {
        return Ok(Vec::new());
    }
    check_validity(conn, records, true).await?;
    let table = layer.name;
    let ids: Vec<i64> = sqlx::query_scalar(AssertSqlSafe(format!(
        "SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, $1)"
    )))
    .bind(records.len() as i64)
    .fetch_all(&mut *conn)
    .await?;
    let cols = columns(layer);
    let (geom_col, geom_val) =
        if layer.is_spatial() { (", geom", ", ST_SetSRID(ST_GeomFromGeoJSON(e->>'g'), 4326)") } else { ("", "") };
    let sql = format!(
        "INSERT INTO {table} (id, {cols}{geom_col}) SELECT (e->>'id')::bigint, {vals}{geom_val} \
         FROM jsonb_array_elements($1) AS e, jsonb_populate_record(NULL::{table}, e->'p') AS r",
        cols = cols.join(", "),
        vals = cols.iter().map(|c| format!("r.{c}")).collect::<Vec<_>>().join(", "),
    );
    // Chunks keep each statement's parameter small on large imports.
    for (chunk_no, chunk) in records.chunks(2000).enumerate() {
        let base = chunk_no * 2000;
        let batch: Vec<Value> =
            chunk.iter().zip(&ids[base..]).map(|(r, id)| record_json(layer, r, Some(*id))).collect();
        sqlx::query("SAVEPOINT onemap_batch").execute(&mut *conn).await?;
        let done = sqlx::query(AssertSqlSafe(&*sql)).bind(Json(&batch)).execute(&mut *conn).await;
        if let Err(err) = done {
            sqlx::query("ROLLBACK TO SAVEPOINT onemap_batch").execute(&mut *conn).await?;
            return Err(find_culprit(conn, &sql, &batch, base, err).await);
        }
        write_child_rows(conn, layer, &ids[base..base + chunk.len()], chunk).await.map_err(|e| locate(e, base))?;
    }
    Ok(ids)
}

/// Refuses the first record whose polygon is not valid (`indexed`: naming it in the batch).
async fn check_validity(conn: &mut PgConnection, records: &[Record], indexed: bool) -> Result<(), Error> {
    let geometries: Vec<_> = records.iter().map(|r| r.geometry.as_ref()).collect();
    match super::validity::first_invalid(&mut *conn, &geometries).await? {
        Some((i, detail)) => {
            let invalid = Invalid::field("geometry", detail);
            Err(Error::Invalid(if indexed { invalid.at(i) } else { invalid }))
        }
        None => Ok(()),
    }
}

/// Replays a failed batch row by row to name the feature the database refused.
async fn find_culprit(
    conn: &mut PgConnection,
    sql: &str,
    batch: &[Value],
    base: usize,
    batch_err: sqlx::Error,
) -> Error {
    for (i, row) in batch.iter().enumerate() {
        if sqlx::query("SAVEPOINT onemap_row").execute(&mut *conn).await.is_err() {
            break;
        }
        if let Err(err) = sqlx::query(AssertSqlSafe(sql)).bind(Json(vec![row])).execute(&mut *conn).await {
            let _ = sqlx::query("ROLLBACK TO SAVEPOINT onemap_row").execute(&mut *conn).await;
            return locate(Error::from(err), base + i);
        }
    }
    Error::from(batch_err)
}

fn locate(err: Error, index: usize) -> Error {
    match err {
        Error::Invalid(inv) => Error::Invalid(inv.at(index)),
        Error::Conflict(inv) => Error::Conflict(inv.at(index)),
        other => other,
    }
}

/// Replaces every column (and child rows) of feature `id` with `record`.
pub async fn replace(conn: &mut PgConnection, layer: &Layer, id: i64, record: &Record) -> Result<(), Error> {
    check_validity(conn, std::slice::from_ref(record), false).await?;
    let table = layer.name;
    let cols = columns(layer);
    let (geom_col, geom_val) =
        if layer.is_spatial() { (", geom", ", ST_SetSRID(ST_GeomFromGeoJSON($2), 4326)") } else { ("", "") };
    let sql = format!(
        "UPDATE {table} SET ({cols}{geom_col}) = (SELECT {vals}{geom_val} FROM jsonb_populate_record(NULL::{table}, $1) AS r) WHERE id = $3",
        cols = cols.join(", "),
        vals = cols.iter().map(|c| format!("r.{c}")).collect::<Vec<_>>().join(", "),
    );
    let row = record_json(layer, record, None);
    let geometry = row["g"].as_str().map(str::to_string);
    let done =
        sqlx::query(AssertSqlSafe(&*sql)).bind(Json(&row["p"])).bind(geometry).bind(id).execute(&mut *conn).await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound { layer: layer.name, id });
    }
    write_child_rows(conn, layer, &[id], std::slice::from_ref(record)).await
}

/// Writes the child rows (substances) of the given parents, replacing what they had.
async fn write_child_rows(
    conn: &mut PgConnection,
    layer: &Layer,
    ids: &[i64],
    records: &[Record],
) -> Result<(), Error> {
    for (field, rows) in layer.child_rows() {
        let mut batch = Vec::new();
        let mut parents = Vec::new();
        for (id, record) in ids.iter().zip(records) {
            let Some(Value::Array(list)) = record.properties.get(field.name) else {
                continue;
            };
            parents.push(*id);
            batch.extend(list.iter().map(|p| json!({"parent": id, "p": p})));
        }
        if parents.is_empty() {
            continue;
        }
        let (table, parent) = (rows.table, rows.parent_column);
        sqlx::query(AssertSqlSafe(format!("DELETE FROM {table} WHERE {parent} = ANY($1)")))
            .bind(&parents)
            .execute(&mut *conn)
            .await?;
        let cols: Vec<&str> = rows.fields.iter().map(|f| f.name).collect();
        let sql = format!(
            "INSERT INTO {table} ({parent}, {cols}) SELECT (e->>'parent')::bigint, {vals} \
             FROM jsonb_array_elements($1) AS e, jsonb_populate_record(NULL::{table}, e->'p') AS r",
            cols = cols.join(", "),
            vals = cols.iter().map(|c| format!("r.{c}")).collect::<Vec<_>>().join(", "),
        );
        sqlx::query(AssertSqlSafe(&*sql)).bind(Json(&batch)).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Deletes feature `id` of `layer`.
pub async fn delete(conn: &mut PgConnection, layer: &Layer, id: i64) -> Result<(), Error> {
    let done =
        sqlx::query(AssertSqlSafe(format!("DELETE FROM {} WHERE id = $1", layer.name))).bind(id).execute(conn).await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound { layer: layer.name, id });
    }
    Ok(())
}

/// Row count and extent of `layer`.
pub async fn summary(pool: &PgPool, layer: &Layer) -> Result<LayerSummary, Error> {
    if !layer.is_spatial() {
        let count =
            sqlx::query_scalar(AssertSqlSafe(format!("SELECT count(*) FROM {}", layer.name))).fetch_one(pool).await?;
        return Ok(LayerSummary { count, extent: None });
    }
    let sql = format!(
        "SELECT n, CASE WHEN e IS NOT NULL THEN ARRAY[ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)] END \
         FROM (SELECT count(*) AS n, ST_Extent(geom) AS e FROM {}) s",
        layer.name
    );
    let (count, extent): (i64, Option<Vec<f64>>) = sqlx::query_as(AssertSqlSafe(sql)).fetch_one(pool).await?;
    let extent = extent.and_then(|e| <[f64; 4]>::try_from(e).ok());
    Ok(LayerSummary { count, extent })
}

/// The first and last time of `layer`'s time field, as RFC 3339 (a date as its first instant
/// in China Standard Time); None when the layer has no time.
pub async fn time_extent(pool: &PgPool, layer: &Layer) -> Result<Option<[Option<String>; 2]>, Error> {
    let Some(field) = layer.time.and_then(|name| layer.field(name)) else {
        return Ok(None);
    };
    let column = match field.ty {
        FieldType::Date => format!("({}::timestamp AT TIME ZONE INTERVAL '+08:00')", field.name),
        _ => field.name.to_string(),
    };
    let sql =
        format!("SELECT to_jsonb(min({column})) #>> '{{}}', to_jsonb(max({column})) #>> '{{}}' FROM {}", layer.name);
    let (first, last): (Option<String>, Option<String>) = sqlx::query_as(AssertSqlSafe(sql)).fetch_one(pool).await?;
    Ok(Some([first, last]))
}
