//! A warning as an OASIS Common Alerting Protocol 1.2 message, and the warnings in force as an
//! Atom feed carrying them. A first version is an Alert, later ones Updates, a cancelled
//! warning a Cancel; Updates and Cancels reference every earlier version ("sender,identifier,sent").

use std::io;

use chrono::{DateTime, Utc};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};
use serde_json::Value;
use sqlx::PgPool;

use super::cap_terms;
use super::record::Warning;
use super::status::Status;
use crate::error::Error;
use crate::text::xml_safe;

/// CAP 1.2's namespace.
const CAP_NAMESPACE: &str = "urn:oasis:names:tc:emergency:cap:1.2";

/// Who sends the messages, as CAP wants it (an address-like name).
pub const SENDER: &str = "onemap@localhost";

/// CAP times: `YYYY-MM-DDThh:mm:ss+08:00` (China Standard Time; CAP allows no fractions).
fn cap_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&crate::time::cst()).format("%Y-%m-%dT%H:%M:%S%:z").to_string()
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

/// One CAP message, read from a warning and ready to be written.
pub struct Alert {
    identifier: String,
    sent: DateTime<Utc>,
    status: &'static str,
    msg_type: &'static str,
    references: String,
    incident: Option<i64>,
    level: String,
    event: &'static str,
    onset: Option<DateTime<Utc>>,
    expires: Option<DateTime<Utc>>,
    headline: Option<String>,
    description: Option<String>,
    instruction: Option<String>,
    area_desc: String,
    polygons: Vec<String>,
}

/// The CAP message of `warning`.
pub async fn alert(pool: &PgPool, warning: &Warning) -> Result<Alert, Error> {
    let p = &warning.properties;
    let (identifier, sent, msg_type, references, cap_status) = match p.status {
        Status::Cancelled => (
            format!("{}-cancel", p.identifier),
            p.ended_at.unwrap_or_else(Utc::now),
            "Cancel",
            references(&versions(pool, warning.id, true).await?),
            "Actual",
        ),
        status => {
            let earlier = versions(pool, warning.id, false).await?;
            let kind = if earlier.is_empty() { "Alert" } else { "Update" };
            // A draft is published as CAP's Draft, sent now.
            let cap_status = if status == Status::Draft { "Draft" } else { "Actual" };
            (p.identifier.clone(), p.issued_at.unwrap_or_else(Utc::now), kind, references(&earlier), cap_status)
        }
    };
    Ok(Alert {
        identifier,
        sent,
        status: cap_status,
        msg_type,
        references,
        incident: p.incident_id,
        level: p.level.clone(),
        event: if p.kind == "air" { "大气污染预警" } else { "水污染预警" },
        onset: Some(p.onset),
        expires: Some(p.expires),
        headline: Some(p.headline.clone()),
        description: p.description.clone(),
        instruction: p.instruction.clone(),
        area_desc: if p.area_desc.trim().is_empty() { "预警区域".to_string() } else { p.area_desc.clone() },
        polygons: polygons(&warning.geometry),
    })
}

type Xml = Writer<Vec<u8>>;

/// `<name>text</name>`, escaped by the writer, left out when the text is empty.
fn element(w: &mut Xml, name: &str, text: Option<&str>) -> io::Result<()> {
    match text {
        Some(v) if !v.trim().is_empty() => {
            w.create_element(name).write_text_content(BytesText::new(&xml_safe(v)))?;
            Ok(())
        }
        _ => Ok(()),
    }
}

impl Alert {
    /// Writes the `<alert>` element.
    fn write(&self, w: &mut Xml) -> io::Result<()> {
        let (urgency, severity, certainty) = cap_terms(&self.level);
        w.create_element("alert").with_attribute(("xmlns", CAP_NAMESPACE)).write_inner_content(|w| {
            element(w, "identifier", Some(&self.identifier))?;
            element(w, "sender", Some(SENDER))?;
            element(w, "sent", Some(&cap_time(self.sent)))?;
            element(w, "status", Some(self.status))?;
            element(w, "msgType", Some(self.msg_type))?;
            element(w, "scope", Some("Public"))?;
            element(w, "references", Some(&self.references))?;
            if let Some(incident) = self.incident {
                element(w, "incidents", Some(&format!("onemap-incident-{incident}")))?;
            }
            w.create_element("info").write_inner_content(|w| {
                element(w, "language", Some("zh-CN"))?;
                element(w, "category", Some("Env"))?;
                element(w, "event", Some(self.event))?;
                element(w, "urgency", Some(urgency))?;
                element(w, "severity", Some(severity))?;
                element(w, "certainty", Some(certainty))?;
                w.create_element("eventCode").write_inner_content(|w| {
                    element(w, "valueName", Some("预警级别"))?;
                    element(w, "value", Some(&format!("{}色", self.level)))
                })?;
                element(w, "onset", self.onset.map(cap_time).as_deref())?;
                element(w, "expires", self.expires.map(cap_time).as_deref())?;
                element(w, "senderName", Some("onemap 环境应急一张图"))?;
                element(w, "headline", self.headline.as_deref())?;
                element(w, "description", self.description.as_deref())?;
                element(w, "instruction", self.instruction.as_deref())?;
                w.create_element("area").write_inner_content(|w| {
                    element(w, "areaDesc", Some(&self.area_desc))?;
                    self.polygons.iter().try_for_each(|polygon| element(w, "polygon", Some(polygon)))
                })?;
                Ok(())
            })?;
            Ok(())
        })?;
        Ok(())
    }

    /// The message as a document of its own.
    pub fn document(&self) -> Result<String, Error> {
        finish(|w| self.write(w))
    }
}

/// A document with its XML declaration, written by `body`.
fn finish(body: impl FnOnce(&mut Xml) -> io::Result<()>) -> Result<String, Error> {
    let mut w = Writer::new(Vec::new());
    let written = w
        .write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
        .and_then(|_| w.write_event(Event::Text(BytesText::new("\n"))))
        .and_then(|_| body(&mut w));
    written.map_err(|e| Error::Failed(format!("the XML could not be written: {e}")))?;
    let mut bytes = w.into_inner();
    bytes.push(b'\n');
    String::from_utf8(bytes).map_err(|e| Error::Failed(format!("the XML is not UTF-8: {e}")))
}

/// The warnings in force as an Atom feed, each entry carrying its CAP message.
pub async fn atom(pool: &PgPool, in_force: &[Warning], base: &str) -> Result<String, Error> {
    let updated = in_force.iter().map(|w| w.properties.updated_at).max().unwrap_or_else(Utc::now);
    let mut entries = Vec::with_capacity(in_force.len());
    for w in in_force {
        entries.push((w, alert(pool, w).await?));
    }
    finish(|w| {
        w.create_element("feed").with_attribute(("xmlns", "http://www.w3.org/2005/Atom")).write_inner_content(|w| {
            element(w, "id", Some("urn:onemap:warnings"))?;
            element(w, "title", Some("onemap 预警信息（生效中）"))?;
            element(w, "updated", Some(&updated.to_rfc3339()))?;
            w.create_element("author").write_inner_content(|w| element(w, "name", Some("onemap")))?;
            let feed = format!("{base}/api/warnings.atom");
            w.create_element("link").with_attributes([("rel", "self"), ("href", feed.as_str())]).write_empty()?;
            for (warning, message) in &entries {
                let p = &warning.properties;
                let href = format!("{base}/api/warnings/{}.cap", warning.id);
                w.create_element("entry").write_inner_content(|w| {
                    element(w, "id", Some(&format!("urn:onemap:warning:{}", p.identifier)))?;
                    element(w, "title", Some(&p.headline))?;
                    element(w, "updated", Some(&p.updated_at.to_rfc3339()))?;
                    w.create_element("link")
                        .with_attributes([
                            ("rel", "alternate"),
                            ("type", "application/cap+xml"),
                            ("href", href.as_str()),
                        ])
                        .write_empty()?;
                    w.create_element("content")
                        .with_attribute(("type", "application/cap+xml"))
                        .write_inner_content(|w| message.write(w))?;
                    Ok(())
                })?;
            }
            Ok(())
        })?;
        Ok(())
    })
}
