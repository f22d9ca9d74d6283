//! Plan cards (应急预案卡片化): one printed A4 page per scenario — what happens where, its zone or
//! river reach drawn as an outline with the receptors threatened, the measures in order with
//! who and how soon, and the resources with what the registry holds today beside the plan's
//! figure and who to call. Every value is escaped by maud as it is written.

use std::sync::Arc;

use maud::{DOCTYPE, Markup, PreEscaped, html};
use serde_json::Value;
use sqlx::PgPool;

use super::available::{self, Available};
use super::clock::Clock;
use super::record::Plan;
use super::scenario::{Resource, Scenario};
use super::threat::{self, ScenarioThreat};
use crate::error::Error;
use crate::layers::words;
use crate::routing::RoadGraph;

/// One scenario's card, computed.
struct Card<'a> {
    scenario: &'a Scenario,
    threat: ScenarioThreat,
    /// Each resource with what there is today.
    resources: Vec<(&'a Resource, Available)>,
    /// The threatened receptors: name, kind, where.
    receptors: Vec<(String, String, [f64; 2])>,
}

/// The cards of the scenarios `number` (all when None) of the plan's version in force (or its
/// latest version), as one HTML page; Err NotFound when the plan has no such scenario.
pub async fn page(pool: &PgPool, rivers: Arc<RoadGraph>, plan: &Plan, number: Option<i32>) -> Result<String, Error> {
    let version = plan.in_force.and_then(|id| plan.version(id)).or(plan.versions.first());
    let scenarios: Vec<&Scenario> = version
        .map(|v| v.scenarios.iter().filter(|s| number.is_none_or(|n| s.number == n)).collect())
        .unwrap_or_default();
    if scenarios.is_empty() {
        return Err(Error::NotFound { layer: "plan_scenario", id: i64::from(number.unwrap_or(0)) });
    }
    let today = super::today();
    let next_review = plan.clock.iter().find(|d| d.clock == Clock::Review).and_then(|d| d.on);
    let mut cards = Vec::with_capacity(scenarios.len());
    for scenario in scenarios {
        let threat = threat::of(pool, rivers.clone(), scenario).await?;
        let mut resources = Vec::new();
        for r in &scenario.resources.0 {
            resources.push((r, available::of(pool, &plan.fields.districts, r, today, next_review).await?));
        }
        let receptors = sqlx::query_as::<_, (String, String, f64, f64)>(
            "SELECT name, kind, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM receptor \
             WHERE id = ANY($1) ORDER BY id",
        )
        .bind(threat.receptors())
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|(name, kind, x, y)| (name, kind, [x, y]))
        .collect();
        cards.push(Card { scenario, threat, resources, receptors });
    }
    Ok(render(plan, version.map(|v| (v.number, v.in_force_on)), &cards).into_string())
}

fn render(plan: &Plan, version: Option<(i32, Option<chrono::NaiveDate>)>, cards: &[Card]) -> Markup {
    let f = &plan.fields;
    let kind = words::label(&words::PLAN_KIND, f.kind.code()).unwrap_or("");
    html! {
        (DOCTYPE)
        html lang="zh-CN" {
            head {
                meta charset="utf-8";
                title { "应急处置卡 — " (f.name) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                @for card in cards {
                    section.card {
                        header {
                            p.plan {
                                (f.name) "（" (kind) "）"
                                @if let Some(n) = &plan.filing_number { " · 备案编号 " (n) }
                                @if let Some((number, on)) = version {
                                    " · 第 " (number) " 版"
                                    @if let Some(on) = on { " · " (on) " 生效" }
                                }
                            }
                            h1 { "情景 " (card.scenario.number) "：" (card.scenario.title) }
                        }
                        (facts(card.scenario))
                        (outline(card))
                        h2 { "受威胁的环境敏感目标" }
                        @if card.receptors.is_empty() { p.none { "无" } }
                        @else {
                            p.receptors {
                                @for (i, (name, kind, _)) in card.receptors.iter().enumerate() {
                                    @if i > 0 { "；" }
                                    (name) "（" (words::label(&words::RECEPTOR_KIND, kind).unwrap_or(kind)) "）"
                                }
                            }
                        }
                        h2 { "处置措施" }
                        @if card.scenario.measures.0.is_empty() { p.none { "无" } }
                        @else {
                            table.measures {
                                tr { th { "序" } th { "措施" } th { "责任单位/岗位" } th { "时限" } }
                                @for (i, m) in card.scenario.measures.0.iter().enumerate() {
                                    tr { td { (i + 1) } td { (m.step) } td { (m.by) } td { "接警后 " (m.within_min) " 分钟内" } }
                                }
                            }
                        }
                        h2 { "应急资源" }
                        @if card.resources.is_empty() { p.none { "无" } }
                        @else {
                            table.resources {
                                tr { th { "资源" } th { "预案所需" } th { "今日可用" } th { "持有方与联系方式" } }
                                @for (r, has) in &card.resources { (resource_row(r, has)) }
                            }
                        }
                        @if let Some(note) = &card.threat.note { p.note { (note) } }
                    }
                }
            }
        }
    }
}

fn facts(s: &Scenario) -> Markup {
    let medium = words::label(&words::MEDIUM, &s.medium).unwrap_or(if s.medium == "soil" { "土壤" } else { "" });
    let release = match (s.rate_kg_s, s.amount_t) {
        (Some(rate), _) => format!("{rate} kg/s，持续 {} 分钟", s.minutes),
        (_, Some(t)) => format!("{t} t，{} 分钟内", s.minutes),
        _ => String::new(),
    };
    html! {
        table.facts {
            tr { th { "风险源" } td { (s.risk_source) @if let Some(u) = &s.unit { " · " (u) } } }
            tr { th { "物质" } td { (s.substance) @if let Some(cas) = &s.cas { "（CAS " (cas) "）" } } }
            tr { th { "环境要素" } td { (medium) } }
            tr { th { "释放" } td { (release) } }
            @if let Some(w) = &s.weather {
                tr { th { "气象" } td { "风向 " (w.0.wind_from_deg) "°，风速 " (w.0.wind_ms) " m/s，稳定度 " (w.0.stability)
                    "；最不利气象 F 类 1.5 m/s" } }
            }
            @if let Some(h) = s.hours { tr { th { "预测时长" } td { (h) " 小时（下游）" } } }
        }
    }
}

fn resource_row(r: &Resource, has: &Available) -> Markup {
    let (what, need, unit) = match r {
        Resource::Stock { item, quantity, unit, .. } => (item.clone(), *quantity, unit.clone()),
        Resource::Team { specialty, count, .. } => {
            let what = words::label(&words::SPECIALTY, specialty).unwrap_or(specialty);
            (format!("{what}救援队伍"), *count as f64, "支".to_string())
        }
    };
    let short = has.now < need;
    html! {
        tr class=[short.then_some("short")] {
            td { (what) br; span.place { (has.place) } }
            td { (need) " " (unit) }
            td { (has.now) " " (unit) @if short { " ⚠ 不足" } }
            td { @for h in &has.holders { (h.name) @if let Some(c) = &h.contact { " " (c) } br; } }
        }
    }
}

/// The zone or the reach as an outline: the plume's zones (worst case widest), the river's
/// reaches, the source and the receptors, drawn to scale north up.
fn outline(card: &Card) -> Markup {
    let t = &card.threat;
    let mut polygons: Vec<(&'static str, Vec<[f64; 2]>)> = Vec::new();
    for (class, zones) in [("worst", &t.worst_case), ("stated", &t.stated)] {
        for zone in zones.iter().flat_map(|z| z.features.iter()) {
            if let Some(ring) = zone.geometry["coordinates"][0].as_array() {
                polygons.push((class, ring.iter().filter_map(point).collect()));
            }
        }
    }
    let lines: Vec<Vec<[f64; 2]>> = t
        .trace
        .iter()
        .flat_map(|tr| tr.features.iter())
        .map(|f| f.geometry["coordinates"].as_array().map(|c| c.iter().filter_map(point).collect()).unwrap_or_default())
        .collect();
    let all: Vec<[f64; 2]> = polygons
        .iter()
        .flat_map(|(_, p)| p.iter().copied())
        .chain(lines.iter().flatten().copied())
        .chain(card.receptors.iter().map(|r| r.2))
        .chain([t.at])
        .collect();
    let (w, h) = (600.0, 260.0);
    let project = frame(&all, w, h);
    let path = |pts: &[[f64; 2]]| {
        pts.iter()
            .map(|p| project(*p))
            .enumerate()
            .map(|(i, (x, y))| format!("{}{x:.1},{y:.1}", if i == 0 { "M" } else { "L" }))
            .collect::<String>()
    };
    let (sx, sy) = project(t.at);
    html! {
        figure.outline {
            svg xmlns="http://www.w3.org/2000/svg" viewBox=(format!("0 0 {w} {h}")) {
                rect x="0" y="0" width=(w) height=(h) fill="#fff" stroke="#999" {}
                @for (class, ring) in &polygons { path class=(class) d={ (path(ring)) "Z" } {} }
                @for line in &lines { path.river d=(path(line)) {} }
                @for (name, _, at) in &card.receptors {
                    @let (x, y) = project(*at);
                    rect.receptor x=(format!("{:.1}", x - 3.0)) y=(format!("{:.1}", y - 3.0)) width="6" height="6" {}
                    text x=(format!("{:.1}", x + 5.0)) y=(format!("{:.1}", y + 4.0)) { (name) }
                }
                circle.source cx=(format!("{sx:.1}")) cy=(format!("{sy:.1}")) r="5" {}
            }
            figcaption { (caption(t)) }
        }
    }
}

fn caption(t: &ScenarioThreat) -> String {
    let far = |z: &Option<crate::air::threat::Zones>| {
        z.as_ref().and_then(|z| z.features.first()).map(|f| f.properties.max_distance_m).unwrap_or(0.0)
    };
    match t.medium.as_str() {
        "air" => format!(
            "影响范围：给定气象下游 {:.0} m，最不利气象下游 {:.0} m（北向上）",
            far(&t.stated),
            far(&t.worst_case)
        ),
        "water" => match &t.trace {
            Some(tr) => format!(
                "下游 {} 小时流经河段，到达的敏感目标 {} 处（北向上）",
                tr.hours,
                tr.receptors.as_ref().map_or(0, Vec::len)
            ),
            None => "无河段".into(),
        },
        _ => "无扩散模型".into(),
    }
}

fn point(v: &Value) -> Option<[f64; 2]> {
    Some([v[0].as_f64()?, v[1].as_f64()?])
}

/// Longitude and latitude to the drawing's x and y (metres to scale, north up, a margin round).
fn frame(points: &[[f64; 2]], w: f64, h: f64) -> impl Fn([f64; 2]) -> (f64, f64) {
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for p in points {
        x0 = x0.min(p[0]);
        x1 = x1.max(p[0]);
        y0 = y0.min(p[1]);
        y1 = y1.max(p[1]);
    }
    let k = ((y0 + y1) / 2.0).to_radians().cos();
    let span_x = ((x1 - x0) * k).max(1e-4);
    let span_y = (y1 - y0).max(1e-4);
    let margin = 20.0;
    let scale = ((w - 2.0 * margin) / span_x).min((h - 2.0 * margin) / span_y);
    let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
    move |p| (w / 2.0 + (p[0] - cx) * k * scale, h / 2.0 - (p[1] - cy) * scale)
}

const STYLE: &str = "@page { size: A4; margin: 14mm 14mm; }
body { font-family: 'Noto Serif CJK SC', 'Songti SC', 'SimSun', 'WenQuanYi Zen Hei', serif; font-size: 10.5pt; color: #000; max-width: 182mm; margin: 0 auto; }
section.card { page-break-after: always; }
section.card:last-child { page-break-after: auto; }
p.plan { font-size: 9.5pt; color: #333; margin: 0 0 2pt; }
h1 { font-size: 16pt; margin: 0 0 6pt; }
h2 { font-size: 11.5pt; border-bottom: 1pt solid #000; padding-bottom: 1pt; margin: 8pt 0 4pt; }
table { width: 100%; border-collapse: collapse; }
th, td { border: 0.75pt solid #000; padding: 2.5pt 5pt; vertical-align: top; text-align: left; }
th { background: #f2f2f2; font-weight: normal; }
table.facts th { width: 22%; }
tr.short td { background: #fde0dd; }
span.place { font-size: 8.5pt; color: #555; }
figure.outline { margin: 4pt 0; }
figure.outline svg { width: 100%; height: auto; }
figcaption { font-size: 8.5pt; color: #444; }
path.worst { fill: #fcbba1; fill-opacity: 0.6; stroke: #cb181d; stroke-width: 1; }
path.stated { fill: #fee0d2; fill-opacity: 0.6; stroke: #fb6a4a; stroke-width: 1; stroke-dasharray: 4 2; }
path.river { fill: none; stroke: #2171b5; stroke-width: 3; }
rect.receptor { fill: #7b3294; }
circle.source { fill: #d7191c; stroke: #000; }
svg text { font-size: 10px; }
p.none, p.note { color: #444; }";
