//! The printable report (突发环境事件信息报告): the incident's basic facts, each submitted
//! report under its stage with the rule's headings, and the course of events — one A4 page
//! layout the browser prints or saves as PDF.

use chrono::{DateTime, Utc};
use maud::{DOCTYPE, Markup, PreEscaped, html};
use serde_json::Value;

use super::report::{Kind, Stage};
use super::reports::Report;
use super::timeline::{TimelineEntry, dispatch_status};
use crate::layers::words::{self, Word};

/// China Standard Time: reports are read and filed in local time.
fn local(value: &Value) -> String {
    let t = value.as_str().and_then(|s| DateTime::parse_from_rfc3339(s).ok());
    local_time(t.map(|t| t.to_utc()))
}

fn local_time(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(|| "—".into(), |t| t.with_timezone(&crate::time::cst()).format("%Y年%m月%d日 %H:%M").to_string())
}

fn text_of(value: &Value) -> String {
    match value {
        Value::Null => "—".into(),
        Value::String(s) if s.trim().is_empty() => "—".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The word for a code, or the value itself (escaped where it is written, like every value).
fn word(words: &[Word], value: &Value) -> String {
    words::label(words, value.as_str().unwrap_or("")).map_or_else(|| text_of(value), str::to_string)
}

/// One field's value.
fn render(kind: Kind, value: &Value) -> Markup {
    let items = || value.as_array().cloned().unwrap_or_default();
    let list = |lines: Vec<String>| {
        html! {
            @if lines.is_empty() { "无" } @else { ol { @for line in &lines { li { (line) } } } }
        }
    };
    match kind {
        Kind::Text | Kind::Severity => {
            let text = text_of(value);
            html! { @for (i, line) in text.split('\n').enumerate() { @if i > 0 { br; } (line) } }
        }
        Kind::Casualties => {
            let counted: Vec<String> = words::CASUALTY
                .iter()
                .map(|w| format!("{} {} 人", w.label, value[w.code].as_i64().unwrap_or(0)))
                .collect();
            html! { (counted.join("，")) }
        }
        Kind::Pollutants => list(
            items()
                .iter()
                .map(|p| {
                    let mut s = text_of(&p["name"]);
                    if let Some(cas) = p["cas"].as_str() {
                        s.push_str(&format!("（CAS {cas}）"));
                    }
                    if let Some(amount) = p["amount"].as_str() {
                        s.push_str(&format!("，{amount}"));
                    }
                    s
                })
                .collect(),
        ),
        Kind::Threatened => list(
            items()
                .iter()
                .map(|t| {
                    let how = match (t["via"].as_str(), t["minutes"].as_f64(), t["distance_m"].as_f64()) {
                        (Some("downstream"), Some(m), _) => {
                            format!("下游，约 {} 到达", crate::time::span(m.round() as i64))
                        }
                        (_, _, Some(d)) => format!("相距约 {:.0} 米", d),
                        _ => String::new(),
                    };
                    format!("{}（{}）{}", text_of(&t["name"]), word(&words::RECEPTOR_KIND, &t["kind"]), how)
                })
                .collect(),
        ),
        Kind::Resources => list(
            items()
                .iter()
                .map(|r| {
                    let from = r["from"].as_str().map(|f| format!("，来自{f}")).unwrap_or_default();
                    format!("{}{from}（{}）", text_of(&r["what"]), dispatch_status(r["status"].as_str().unwrap_or("")))
                })
                .collect(),
        ),
    }
}

/// The photos among `entries` (timeline entries of kind `photo`), each with its caption.
fn photos<'a>(entries: impl Iterator<Item = &'a TimelineEntry>) -> Markup {
    let figures: Vec<&TimelineEntry> = entries.filter(|t| t.kind == "photo").collect();
    let said = |t: &TimelineEntry, k: &str| t.detail.get(k).and_then(Value::as_str).map(str::to_string);
    html! {
        @if !figures.is_empty() {
            div.figures {
                @for t in figures {
                    @let caption = said(t, "caption").or_else(|| said(t, "file_name")).unwrap_or_default();
                    figure {
                        img src=(said(t, "href").unwrap_or_default()) alt=(caption);
                        figcaption { (caption) " · " (local_time(Some(t.at))) }
                    }
                }
            }
        }
    }
}

/// Whether timeline entry `t` is about the record `table` (`record_id` `id`, when given).
fn about(t: &TimelineEntry, table: &str, id: Option<i64>) -> bool {
    t.detail.get("record").and_then(Value::as_str) == Some(table)
        && id.is_none_or(|id| t.detail.get("record_id").and_then(Value::as_i64) == Some(id))
}

/// The report of `incident` (a GeoJSON Feature), its `reports` (drafts marked as such) and its
/// `timeline`, as one HTML page. Every value is escaped by the template (maud), whatever field
/// it came from.
pub fn page(incident: &Value, reports: &[Report], timeline: &[TimelineEntry]) -> String {
    let p = &incident["properties"];
    let id = incident["id"].as_i64().unwrap_or_default();
    let at = &incident["geometry"]["coordinates"];
    let place = match (at[0].as_f64(), at[1].as_f64()) {
        (Some(lon), Some(lat)) => format!("东经 {lon:.5}°，北纬 {lat:.5}°"),
        _ => String::new(),
    };
    let name = text_of(&p["name"]);
    let facts = [
        ("事件名称", name.clone()),
        ("事件编号", id.to_string()),
        ("发生时间", local(&p["occurred_at"])),
        ("发现时间", local(&p["discovered_at"])),
        ("发生地点", format!("{} {place}", p["district"].as_str().unwrap_or(""))),
        ("事件类型", word(&words::INCIDENT_KIND, &p["kind"])),
        (
            "事件起因",
            format!("{} {}", word(&words::INCIDENT_CAUSE, &p["cause"]), p["cause_detail"].as_str().unwrap_or("")),
        ),
        ("事件级别", text_of(&p["severity"])),
        ("主要污染物", text_of(&p["pollutant"])),
        ("初报期限", local(&p["initial_report_due_at"])),
        ("初报时间", local(&p["initial_reported_at"])),
    ];
    let scene = |t: &&TimelineEntry| t.kind == "photo" && about(t, "incident", None);
    let markup = html! {
        (DOCTYPE)
        html lang="zh-CN" {
            head {
                meta charset="utf-8";
                title { "突发环境事件信息报告 — " (name) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                @if p["drill"] == Value::Bool(true) {
                    p.drill { "演练 — 本报告为应急演练所作，非真实事件" }
                }
                h1 { "突发环境事件信息报告" }
                p.name { (name) }
                table.facts { @for (label, value) in &facts { tr { th { (label) } td { (value) } } } }
                @if reports.is_empty() { p.none { "尚无已报送的报告。" } }
                @for r in reports {
                    section class={ "report " (r.stage.name()) } {
                        h2 {
                            (r.stage.title())
                            @if let (Stage::FollowUp, Some(n)) = (r.stage, r.number) { "（第" (n) "次）" }
                            @if r.submitted_at.is_none() { span.draft { "草稿，未报送" } }
                        }
                        table {
                            @for part in r.stage.fields() {
                                tr { th { (part.title) } td { (render(part.kind, r.content.get(part.name).unwrap_or(&Value::Null))) } }
                            }
                            tr { th { "报送时间" } td { (local_time(r.submitted_at)) } }
                            tr { th { "报送人" } td { (r.author) } }
                        }
                        (photos(timeline.iter().filter(|t| about(t, "incident_report", Some(r.id)))))
                    }
                }
                @if timeline.iter().any(|t| scene(&t)) {
                    section.photos { h2 { "现场照片" } (photos(timeline.iter().filter(scene))) }
                }
                section.timeline {
                    h2 { "事件经过" }
                    table {
                        tr { th { "时间" } th { "事项" } th { "经办" } }
                        @for t in timeline {
                            tr { td { (local_time(Some(t.at))) } td { (t.text) } td { (t.actor.as_deref().unwrap_or("")) } }
                        }
                    }
                }
            }
        }
    };
    markup.into_string()
}

const STYLE: &str = "@page { size: A4; margin: 20mm 18mm; }
body { font-family: 'Noto Serif CJK SC', 'Songti SC', 'SimSun', 'WenQuanYi Zen Hei', serif; font-size: 11pt; color: #000; max-width: 180mm; margin: 0 auto; }
p.drill { text-align: center; font-size: 14pt; font-weight: bold; border: 2pt solid #000; padding: 4pt; margin: 0 0 8pt; }
h1 { text-align: center; font-size: 20pt; letter-spacing: 0.2em; margin: 0 0 4pt; }
p.name { text-align: center; font-size: 13pt; margin: 0 0 12pt; }
h2 { font-size: 13pt; border-bottom: 1.5pt solid #000; padding-bottom: 2pt; margin: 16pt 0 6pt; }
table { width: 100%; border-collapse: collapse; page-break-inside: auto; }
.figures { display: flex; flex-wrap: wrap; gap: 3mm; margin-top: 2mm; }
figure { margin: 0; width: 55mm; page-break-inside: avoid; }
figure img { width: 55mm; height: 41mm; object-fit: cover; border: 1px solid #999; }
figcaption { font-size: 9pt; color: #444; }
th, td { border: 0.75pt solid #000; padding: 4pt 6pt; vertical-align: top; text-align: left; }
th { width: 30%; background: #f2f2f2; font-weight: normal; }
.timeline th { width: auto; }
tr { page-break-inside: avoid; }
ol { margin: 0; padding-left: 1.4em; }
.draft { color: #b00; font-size: 10pt; margin-left: 1em; }
.none { color: #555; }";
