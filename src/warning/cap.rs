//! A warning as an OASIS Common Alerting Protocol 1.2 message, and the warnings in force as an
//! Atom feed carrying them. A first version is an Alert, later ones Updates, a cancelled
//! warning a Cancel; Updates and Cancels reference every earlier version ("sender,identifier,sent").

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgPool;

use super::cap_terms;
use crate::duty::print::escape;
use crate::layers::Error;

/// Who sends the messages, as CAP wants it (an address-like name).
pub const SENDER: &str = "onemap@localhost";

/// CAP times: `YYYY-MM-DDThh:mm:ss+08:00` (China Standard Time; CAP allows no fractions).
fn cap_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&crate::duty::cst()).format("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

/// One version's reference.
struct Version {
    identifier: String,
    sent: DateTime<Utc>,
}

/// The versions of warning `id` issued before it (and it, when `including`), oldest first.
async fn versions(pool: &PgPool, id: i64, including: bool) -> Result<Vec<Version>, Error> {
    let rows: Vec<(String, DateTime<Utc>)> = sqlx::query_as(
        "WITH RECURSIVE chain AS (SELECT id, previous_id, identifier, issued_at, 0 AS depth FROM warning WHERE id = $1 \
           UNION ALL SELECT w.id, w.previous_id, w.identifier, w.issued_at, c.depth + 1 FROM warning w \
           JOIN chain c ON w.id = c.previous_id) \
         SELECT identifier, issued_at FROM chain WHERE issued_at IS NOT NULL AND ($2 OR depth > 0) ORDER BY depth DESC",
    )
    .bind(id)
    .bind(including)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|(identifier, sent)| Version { identifier, sent }).collect())
}

fn references(list: &[Version]) -> String {
    list.iter().map(|v| format!("{SENDER},{},{}", v.identifier, cap_time(v.sent))).collect::<Vec<_>>().join(" ")
}

/// CAP polygons: each exterior ring as "lat,lon" pairs, latitude first, closed.
fn polygons(geometry: &Value) -> Vec<String> {
    geometry["coordinates"]
        .as_array()
        .map(|polys| {
            polys
                .iter()
                .filter_map(|p| p[0].as_array())
                .map(|ring| {
                    ring.iter()
                        .filter_map(|c| Some(format!("{},{}", c[1].as_f64()?, c[0].as_f64()?)))
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect()
        })
        .unwrap_or_default()
}

fn element(name: &str, value: Option<&str>) -> String {
    match value {
        Some(v) if !v.trim().is_empty() => format!("<{name}>{}</{name}>", escape(v)),
        _ => String::new(),
    }
}

/// The CAP message of warning `feature` (as `lifecycle::show` gives it), without the XML
/// declaration (so the Atom feed can carry it).
pub async fn alert(pool: &PgPool, feature: &Value) -> Result<String, Error> {
    let id = feature["id"].as_i64().unwrap_or_default();
    let p = &feature["properties"];
    let s = |k: &str| p[k].as_str();
    let when = |k: &str| p[k].as_str().and_then(|t| DateTime::parse_from_rfc3339(t).ok()).map(|t| t.to_utc());
    let status = s("status").unwrap_or("draft");
    let (identifier, sent, msg_type, refs, cap_status) = match status {
        "cancelled" => (
            format!("{}-cancel", s("identifier").unwrap_or_default()),
            when("ended_at").unwrap_or_else(Utc::now),
            "Cancel",
            references(&versions(pool, id, true).await?),
            "Actual",
        ),
        _ => {
            let earlier = versions(pool, id, false).await?;
            let kind = if earlier.is_empty() { "Alert" } else { "Update" };
            // A draft is published as CAP's Draft, sent now.
            let cap_status = if status == "draft" { "Draft" } else { "Actual" };
            (
                s("identifier").unwrap_or_default().to_string(),
                when("issued_at").unwrap_or_else(Utc::now),
                kind,
                references(&earlier),
                cap_status,
            )
        }
    };
    let level = s("level").unwrap_or("蓝");
    let (urgency, severity, certainty) = cap_terms(level);
    let event = if s("kind") == Some("air") { "大气污染预警" } else { "水污染预警" };
    let mut xml = String::new();
    xml.push_str("<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">");
    xml.push_str(&element("identifier", Some(&identifier)));
    xml.push_str(&element("sender", Some(SENDER)));
    xml.push_str(&element("sent", Some(&cap_time(sent))));
    xml.push_str(&element("status", Some(cap_status)));
    xml.push_str(&element("msgType", Some(msg_type)));
    xml.push_str(&element("scope", Some("Public")));
    xml.push_str(&element("references", Some(&refs)));
    if let Some(incident) = p["incident_id"].as_i64() {
        xml.push_str(&element("incidents", Some(&format!("onemap-incident-{incident}"))));
    }
    xml.push_str("<info>");
    xml.push_str(&element("language", Some("zh-CN")));
    xml.push_str(&element("category", Some("Env")));
    xml.push_str(&element("event", Some(event)));
    xml.push_str(&element("urgency", Some(urgency)));
    xml.push_str(&element("severity", Some(severity)));
    xml.push_str(&element("certainty", Some(certainty)));
    xml.push_str(&format!(
        "<eventCode><valueName>预警级别</valueName><value>{}</value></eventCode>",
        escape(&format!("{level}色"))
    ));
    if let Some(t) = when("onset") {
        xml.push_str(&element("onset", Some(&cap_time(t))));
    }
    if let Some(t) = when("expires") {
        xml.push_str(&element("expires", Some(&cap_time(t))));
    }
    xml.push_str(&element("senderName", Some("onemap 环境应急一张图")));
    xml.push_str(&element("headline", s("headline")));
    xml.push_str(&element("description", s("description")));
    xml.push_str(&element("instruction", s("instruction")));
    xml.push_str("<area>");
    xml.push_str(&element("areaDesc", s("area_desc").or(Some("预警区域"))));
    for polygon in polygons(&feature["geometry"]) {
        xml.push_str(&element("polygon", Some(&polygon)));
    }
    xml.push_str("</area></info></alert>");
    Ok(xml)
}

/// The warnings in force as an Atom feed, each entry carrying its CAP message.
pub async fn atom(pool: &PgPool, in_force: &[Value], base: &str) -> Result<String, Error> {
    let updated = in_force
        .iter()
        .filter_map(|w| w["properties"]["updated_at"].as_str())
        .filter_map(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.to_utc())
        .max()
        .unwrap_or_else(Utc::now);
    let mut xml =
        String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">");
    xml.push_str(&format!(
        "<id>urn:onemap:warnings</id><title>onemap 预警信息（生效中）</title><updated>{}</updated>\
         <author><name>onemap</name></author><link rel=\"self\" href=\"{}/api/warnings.atom\"/>",
        updated.to_rfc3339(),
        escape(base)
    ));
    for w in in_force {
        let id = w["id"].as_i64().unwrap_or_default();
        let p = &w["properties"];
        xml.push_str(&format!(
            "<entry><id>urn:onemap:warning:{}</id><title>{}</title><updated>{}</updated>\
             <link rel=\"alternate\" type=\"application/cap+xml\" href=\"{}/api/warnings/{id}.cap\"/>\
             <content type=\"application/cap+xml\">{}</content></entry>",
            escape(p["identifier"].as_str().unwrap_or_default()),
            escape(p["headline"].as_str().unwrap_or_default()),
            escape(p["updated_at"].as_str().unwrap_or_default()),
            escape(base),
            alert(pool, w).await?
        ));
    }
    xml.push_str("</feed>\n");
    Ok(xml)
}
