//! The demo's illustrative emergency plans (`data/chongqing/plans.json`), put through the same
//! steps a bureau takes — created, drafted with their scenarios, reviewed, signed, filed with
//! their documents, accepted — so that the demo shows plans in force, due and flagged.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow};
use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::auth::Actor;
use crate::plans::{DocumentKind, documents, filing, scenario, version, write};
use crate::routing::RoadGraph;

/// The file of the demo set.
pub const FILE: &str = "plans.json";

#[derive(Debug, Deserialize)]
struct File {
    #[serde(rename = "about")]
    _about: String,
    plans: Vec<DemoPlan>,
}

/// One plan of the file: the plan's fields (names for ids), its dates, its scenarios.
#[derive(Debug, Deserialize)]
struct DemoPlan {
    #[serde(flatten)]
    fields: serde_json::Map<String, Value>,
    reviewed_on: Option<String>,
    signed_on: Option<String>,
    submitted_on: Option<String>,
    accepted_on: Option<String>,
    scenarios: Vec<serde_json::Map<String, Value>>,
}

async fn ids(pool: &PgPool, table: &str) -> Result<HashMap<String, i64>> {
    let rows: Vec<(String, i64)> =
        sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT name, id FROM {table}"))).fetch_all(pool).await?;
    Ok(rows.into_iter().collect())
}

fn id_of(names: &HashMap<String, i64>, what: &str, name: &Value) -> Result<Value> {
    let name = name.as_str().ok_or_else(|| anyhow!("{what}: a name is expected"))?;
    names.get(name).map(|id| json!(id)).ok_or_else(|| anyhow!("no {what} named {name}"))
}

/// Loads the demo plans from `dir` (after the registry's demo data); returns how many.
pub async fn load(pool: &PgPool, rivers: Arc<RoadGraph>, dir: &Path) -> Result<usize> {
    let path = dir.join(FILE);
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let file: File = serde_json::from_str(&text).with_context(|| format!("{}", path.display()))?;
    let me = Actor::system("demo");
    let (sources, receptors, depots) =
        (ids(pool, "risk_source").await?, ids(pool, "receptor").await?, ids(pool, "depot").await?);
    let sites = ids(pool, "intercept_site").await?;
    let mut plans: HashMap<String, i64> = HashMap::new();
    for demo in &file.plans {
        let name = demo.fields.get("name").and_then(Value::as_str).unwrap_or_default().to_string();
        let mut fields = demo.fields.clone();
        for (names, key, what, known) in [
            ("risk_sources", "risk_source_ids", "risk source", &sources),
            ("intercept_sites", "intercept_site_ids", "interception site", &sites),
        ] {
            if let Some(list) = fields.remove(names) {
                let list = list.as_array().cloned().unwrap_or_default();
                let ids: Result<Vec<Value>> = list.iter().map(|n| id_of(known, what, n)).collect();
                fields.insert(key.into(), Value::Array(ids?));
            }
        }
        if let Some(n) = fields.remove("receptor") {
            fields.insert("receptor_id".into(), id_of(&receptors, "receptor", &n)?);
        }
        if let Some(n) = fields.remove("parent") {
            let parent =
                n.as_str().and_then(|n| plans.get(n)).ok_or_else(|| anyhow!("{name}: its parent comes first"))?;
            fields.insert("parent_id".into(), json!(parent));
        }
        let body: write::PlanBody = serde_json::from_value(Value::Object(fields)).with_context(|| name.clone())?;
        let plan = write::create(pool, &me, body).await.map_err(|e| anyhow!("{name}: {e}"))?;
        let id = plan.fields.id;
        plans.insert(name.clone(), id);
        let drafted = version::create(pool, &me, id, version::VersionBody::default()).await?;
        let v = drafted.versions[0].id;
        for s in &demo.scenarios {
            let mut s = s.clone();
            if let Some(n) = s.remove("risk_source") {
                s.insert("risk_source_id".into(), id_of(&sources, "risk source", &n)?);
            }
            for r in s.get_mut("resources").and_then(Value::as_array_mut).into_iter().flatten() {
                if let Some(n) = r.as_object_mut().and_then(|o| o.remove("depot")) {
                    r["depot_id"] = id_of(&depots, "depot", &n)?;
                }
            }
            let body: scenario::ScenarioBody =
                serde_json::from_value(Value::Object(s)).with_context(|| name.clone())?;
            scenario::create(pool, &me, id, v, body).await.map_err(|e| anyhow!("{name}: {e}"))?;
        }
        let Some(reviewed_on) = &demo.reviewed_on else { continue };
        let review = version::ReviewBody {
            reviewed_on: reviewed_on.clone(),
            reviewers: vec!["示例专家甲".into(), "示例专家乙".into(), "周边社区代表（示例）".into()],
            opinions: Some("同意通过评审，按意见修改完善（示例）".into()),
        };
        version::review(pool, &me, id, v, review).await.map_err(|e| anyhow!("{name}: {e}"))?;
        let Some(signed_on) = &demo.signed_on else { continue };
        let sign = version::SignBody { signed_on: signed_on.clone(), published_on: None };
        version::sign(pool, rivers.clone(), &me, id, v, sign).await.map_err(|e| anyhow!("{name}: {e}"))?;
        let Some(submitted_on) = &demo.submitted_on else { continue };
        for (kind, _) in DocumentKind::ALL.iter().filter(|(k, _)| DocumentKind::required(false).contains(k)) {
            let upload = documents::Upload {
                plan: id,
                version: v,
                kind: *kind,
                file_name: format!("{}.pdf", kind.code()),
                bytes: crate::plans::pdf::placeholder(&format!("onemap demo document (illustrative): {}", kind.code())),
            };
            documents::save(pool, &me, upload).await.map_err(|e| anyhow!("{name}: {e}"))?;
        }
        let submit = filing::SubmitBody { version_id: v, kind: None, submitted_on: Some(submitted_on.clone()) };
        let filed = filing::submit(pool, &me, id, submit).await.map_err(|e| anyhow!("{name}: {e}"))?;
        let Some(accepted_on) = &demo.accepted_on else { continue };
        let accept = filing::AcceptBody { decided_on: Some(accepted_on.clone()), ..Default::default() };
        filing::accept(pool, &me, id, filed.filings[0].id, accept).await.map_err(|e| anyhow!("{name}: {e}"))?;
    }
    Ok(plans.len())
}
