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
    ("intercept_site", "intercept_site.geojson"),
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
    let mut tx = crate::auth::begin_as(pool, &crate::auth::Actor::command_line()).await?;
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
    let reported = history(&mut tx, &dir.join(HISTORY)).await?;
    counts.push(("incident_report", reported));
    counts.push(("neighbour", neighbours(&mut tx, &dir.join(NEIGHBOURS)).await?));
    tx.commit().await?;
    Ok(Some(counts))
}

/// The counties beyond the city's edge (reference data for cross-boundary notices).
const NEIGHBOURS: &str = "neighbour.geojson";

/// Replaces the neighbouring counties with those of `path`; their number.
async fn neighbours(tx: &mut sqlx::PgConnection, path: &Path) -> Result<usize> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let collection: serde_json::Value = serde_json::from_str(&text).with_context(|| format!("{}", path.display()))?;
    let features = collection["features"].as_array().with_context(|| format!("{NEIGHBOURS}: no features"))?;
    sqlx::query("DELETE FROM neighbour").execute(&mut *tx).await?;
    for f in features {
        let p = &f["properties"];
        sqlx::query(
            "INSERT INTO neighbour (code, name, city, province, geom) \
             VALUES ($1, $2, $3, $4, ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON($5), 4326)))",
        )
        .bind(p["code"].as_str())
        .bind(p["name"].as_str())
        .bind(p["city"].as_str())
        .bind(p["province"].as_str())
        .bind(f["geometry"].to_string())
        .execute(&mut *tx)
        .await
        .with_context(|| format!("{NEIGHBOURS}: {}", p["name"]))?;
    }
    Ok(features.len())
}

/// The illustrative record of past incidents: when their reports came in, who arrived when.
const HISTORY: &str = "incident_history.json";

/// One past incident's record in [`HISTORY`].
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Past {
    incident: String,
    initial_at: chrono::DateTime<chrono::FixedOffset>,
    final_at: chrono::DateTime<chrono::FixedOffset>,
    arrivals: Vec<Arrival>,
    reporting_unit: String,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Arrival {
    team: String,
    sent_at: chrono::DateTime<chrono::FixedOffset>,
    arrived_at: chrono::DateTime<chrono::FixedOffset>,
}

/// Writes the past incidents' initial and final reports (submitted when the record says, by
/// an illustrative duty officer) and their teams' dispatches, arrived and back. Returns the
/// number of reports.
async fn history(tx: &mut sqlx::PgConnection, path: &Path) -> Result<usize> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let past: Vec<Past> = serde_json::from_str(&text).with_context(|| format!("{}", path.display()))?;
    for p in &past {
        let row: Option<(i64, String, String)> = sqlx::query_as(
            "SELECT id, coalesce(pollutant, ''), coalesce(cause_detail, '') FROM incident WHERE name = $1",
        )
        .bind(&p.incident)
        .fetch_optional(&mut *tx)
        .await?;
        let (id, pollutant, cause) = row.with_context(|| format!("{HISTORY}: no incident named `{}`", p.incident))?;
        let initial = serde_json::json!({
            "summary": format!("示例：{cause}，{pollutant}泄漏，已组织处置。"), "pollutants": [{"name": pollutant}],
            "casualties": {"deaths": 0, "injuries": 0, "missing": 0, "evacuated": 0}, "threatened": [],
            "measures": "示例：切断泄漏源，设置围堵，开展应急监测。", "reporting_unit": p.reporting_unit,
            "contact": "值班室 023-00000000（示例）"});
        let last = serde_json::json!({
            "measures": "示例：围堵、收集、转运处置，跟踪监测。", "result": "示例：污染得到控制，监测达标。",
            "damage": "示例：无人员伤亡，直接经济损失较小。", "remaining": "示例：无。"});
        sqlx::query(
            "INSERT INTO incident_report (incident_id, stage, number, content, author, submitted_at, created_at) \
             VALUES ($1, 'initial', 1, $2, '示例值班员', $3, $3), ($1, 'final', 1, $4, '示例值班员', $5, $5)",
        )
        .bind(id)
        .bind(sqlx::types::Json(initial))
        .bind(p.initial_at)
        .bind(sqlx::types::Json(last))
        .bind(p.final_at)
        .execute(&mut *tx)
        .await?;
        // Its review, so the case library has something to show (illustrative, like the rest).
        sqlx::query(
            "INSERT INTO review (incident_id, cause, nature, lessons, recorded_by) \
             SELECT i.id, '示例：' || coalesce(i.cause_detail, '原因待查'), '示例：一般突发环境事件', \
               '示例：' || CASE i.cause \
                 WHEN 'traffic_accident' THEN '危化品车辆事故后应第一时间封堵路边沟渠，防止泄漏物进入水体。' \
                 WHEN 'safety_accident' THEN '企业应急池和雨污切换阀须定期检查，事故时先关雨水排口。' \
                 WHEN 'illegal_discharge' THEN '夜间偷排多经雨水管网，应加强排口巡查和在线监测比对。' \
                 WHEN 'natural_disaster' THEN '汛前应排查尾矿库和化工企业的防洪薄弱点，备足围堵物资。' \
                 ELSE '接报后应尽早核实污染物种类，据此调配处置物资。' END, \
               $2 FROM incident i WHERE i.id = $1",
        )
        .bind(id)
        .bind(&p.reporting_unit)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE incident SET initial_reported_at = $2, final_reported_at = $3 WHERE id = $1")
            .bind(id)
            .bind(p.initial_at)
            .bind(p.final_at)
            .execute(&mut *tx)
            .await?;
        for a in &p.arrivals {
            let done = sqlx::query(
                "INSERT INTO dispatch (incident_id, team_id, travel_seconds, travel_metres, eta, status, planned_at, \
                   en_route_at, arrived_at, finished_at) \
                 SELECT $1, t.id, extract(epoch FROM $4::timestamptz - $3::timestamptz), 0, $4, 'returned', $3, $3, $4, \
                   i.closed_at FROM team t, incident i WHERE t.name = $2 AND i.id = $1",
            )
            .bind(id)
            .bind(&a.team)
            .bind(a.sent_at)
            .bind(a.arrived_at)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() != 1 {
                anyhow::bail!("{HISTORY}: no team named `{}`", a.team);
            }
        }
    }
    Ok(past.len() * 2)
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
