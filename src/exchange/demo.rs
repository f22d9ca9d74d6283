//! The Chongqing demo data set under `data/chongqing`, loaded in one transaction.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result, anyhow};
use sqlx::AssertSqlSafe;
use sqlx::PgPool;

use super::import::{read_csv, read_file};
use super::text::decode;
use crate::layers::{self, store};

/// Files of the demo set, in loading order (referenced layers first).
const FILES: &[(&str, &str)] = &[
    ("district", "district.geojson"),
    ("route", "route.geojson"),
    ("risk_source", "risk_source.geojson"),
    ("receptor", "receptor.geojson"),
    ("depot", "depot.geojson"),
    ("team", "team.geojson"),
    ("expert", "expert.csv"),
    ("incident", "incident.geojson"),
];

/// Files whose rows name their parent instead of giving its id: (layer, file, column, parent table).
const BY_NAME: &[(&str, &str, &str, &str)] = &[
    ("stock_item", "stock_item.csv", "depot", "depot"),
    ("inspection", "inspection.csv", "risk_source", "risk_source"),
];

/// Loads the demo set from `dir`. Returns None when data is already there and `replace` is false;
/// with `replace`, every layer is emptied first. All or nothing, recorded in the audit trail as
/// the command line's operator.
pub async fn load(pool: &PgPool, dir: &Path, replace: bool) -> Result<Option<Vec<(&'static str, usize)>>> {
    let mut tx = crate::db::begin_as(pool, &crate::auth::Actor::command_line()).await?;
    // One loader at a time: a second concurrent load waits, then sees the data.
    sqlx::query("SELECT pg_advisory_xact_lock(4242)").execute(&mut *tx).await?;
    let existing: i64 = sqlx::query_scalar("SELECT count(*) FROM district").fetch_one(&mut *tx).await?;
    if existing > 0 && !replace {
        return Ok(None);
    }
    let tables: Vec<&str> = layers::spec::LAYERS.iter().map(|l| l.name).collect();
    sqlx::query(AssertSqlSafe(format!("TRUNCATE {}, risk_substance RESTART IDENTITY CASCADE", tables.join(", "))))
        .execute(&mut *tx)
        .await?;

    let mut counts = Vec::new();
    for (name, file) in FILES {
        let layer = layers::find(name)?;
        let (records, _) = read_file(layer, &dir.join(file), None)?;
        store::insert(&mut tx, layer, &records).await.map_err(|e| anyhow!("{file}: {e}"))?;
        counts.push((layer.name, records.len()));
    }
    for (name, file, column, parent) in BY_NAME {
        let layer = layers::find(name)?;
        let path = dir.join(file);
        let bytes = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let (text, _) = decode(&bytes)?;
        let rows: Vec<(String, i64)> =
            sqlx::query_as(AssertSqlSafe(format!("SELECT name, id FROM {parent}"))).fetch_all(&mut *tx).await?;
        let ids: HashMap<String, i64> = rows.into_iter().collect();
        let text = names_to_ids(&text, column, &ids).with_context(|| file.to_string())?;
        let records = read_csv(layer, &text).map_err(|e| anyhow!("{file}: {e}"))?;
        store::insert(&mut tx, layer, &records).await.map_err(|e| anyhow!("{file}: {e}"))?;
        counts.push((layer.name, records.len()));
    }
    tx.commit().await?;
    Ok(Some(counts))
}

/// Rewrites CSV column `column` (names) as `{column}_id` (ids).
fn names_to_ids(text: &str, column: &str, ids: &HashMap<String, i64>) -> Result<String> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers()?.clone();
    let at = headers.iter().position(|h| h == column).with_context(|| format!("no `{column}` column"))?;
    let mut writer = csv::Writer::from_writer(Vec::new());
    let renamed: Vec<String> =
        headers.iter().enumerate().map(|(i, h)| if i == at { format!("{column}_id") } else { h.to_string() }).collect();
    writer.write_record(&renamed)?;
    for (n, row) in reader.records().enumerate() {
        let row = row?;
        let name = row.get(at).unwrap_or("");
        let id = ids.get(name).with_context(|| format!("row {n}: no {column} named `{name}`"))?;
        let cells: Vec<String> =
            row.iter().enumerate().map(|(i, c)| if i == at { id.to_string() } else { c.to_string() }).collect();
        writer.write_record(&cells)?;
    }
    Ok(String::from_utf8(writer.into_inner()?)?)
}
