//! A plan for one or several incidents: their demands, the depots and teams that can meet them
//! by road, and the allocation between them.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use geo::Coord;
use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::PgPool;

use super::allocate::{Demand, Offer, Supply, allocate};
use crate::auth::{Actor, jurisdiction};
use crate::error::Error;
use crate::layers::spec::{SEVERITIES, SPECIALTIES};
use crate::layers::stock;
use crate::routing::RoadGraph;
use crate::routing::request::RoadRules;
use crate::routing::route::{Routed, incident_json, minutes, path_json, route_from, tenth};

/// Quantities are allocated in thousandths of their unit.
const SCALE: f64 = 1000.0;
const MAX_DEMANDS: usize = 100;
const MAX_TEAMS: i64 = 1000;

/// One demand as a request gives it.
#[derive(Debug, Deserialize, Clone, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DemandRequest {
    item: Option<String>,
    category: Option<String>,
    unit: Option<String>,
    quantity: Option<f64>,
    specialty: Option<String>,
    count: Option<i64>,
}

/// What a demand asks for, checked.
#[derive(Debug, Clone)]
enum Need {
    /// A quantity of one item (or of any item of a category) in one unit.
    Stock { item: Option<String>, category: Option<String>, unit: String, quantity: f64 },
    /// A number of available teams with a specialty.
    Teams { specialty: String, count: i64 },
}

/// An incident of a plan.
#[derive(Debug, Clone)]
pub struct Incident {
    /// Database id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// 一般 … 特别重大.
    pub severity: String,
    /// Where it is.
    pub at: Coord<f64>,
}

impl Incident {
    /// The open incident `id`: 404 when there is none, 409 when it is closed, 403 when it lies
    /// outside the district of `actor`.
    pub async fn open(pool: &PgPool, actor: &Actor, id: i64) -> Result<Self, Error> {
        let row: Option<(String, String, String, f64, f64)> =
            sqlx::query_as("SELECT name, severity, status, ST_X(geom), ST_Y(geom) FROM incident WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?;
        let Some((name, severity, status, x, y)) = row else {
            return Err(Error::NotFound { layer: "incident", id });
        };
        if status != "open" {
            return Err(Error::refused(
                "incident closed",
                format!("incident {id} is {status}; nothing can be planned or dispatched for it"),
            ));
        }
        let mut conn = pool.acquire().await?;
        jurisdiction::check(&mut conn, actor, "incident", &[id]).await?;
        Ok(Self { id, name, severity, at: Coord { x, y } })
    }

    /// Default priority: the severity's rank (一般 1 … 特别重大 4).
    pub fn priority(&self) -> i32 {
        SEVERITIES.iter().position(|s| *s == self.severity).map_or(0, |p| p as i32 + 1)
    }
}

/// An incident with its demands and priority, ready to plan.
pub struct Target {
    /// The incident.
    pub incident: Incident,
    /// Higher is served first.
    pub priority: i32,
    needs: Vec<Need>,
}

impl Target {
    /// Checks the demands of `incident`; `at` names them in errors (`demands` or `incidents[2].demands`).
    pub async fn new(
        pool: &PgPool,
        incident: Incident,
        priority: Option<i32>,
        demands: &[DemandRequest],
        at: &str,
    ) -> Result<Self, Error> {
        if demands.is_empty() || demands.len() > MAX_DEMANDS {
            return Err(Error::invalid(at, format!("give 1–{MAX_DEMANDS} demands")));
        }
        let mut needs = Vec::new();
        for (i, d) in demands.iter().enumerate() {
            needs.push(need(pool, d, &format!("{at}[{i}]")).await?);
        }
        let priority = priority.unwrap_or_else(|| incident.priority());
        Ok(Self { incident, priority, needs })
    }
}

/// Checks one demand.
async fn need(pool: &PgPool, d: &DemandRequest, at: &str) -> Result<Need, Error> {
    let field = |name: &str| format!("{at}.{name}");
    match (&d.item, &d.category, &d.specialty) {
        (Some(_), None, None) | (None, Some(_), None) => {
            if d.count.is_some() {
                return Err(Error::invalid(&field("count"), "is for teams; stock is asked for with `quantity`"));
            }
            let quantity = d.quantity.ok_or_else(|| Error::invalid(&field("quantity"), "is required"))?;
            if !(quantity.is_finite() && quantity > 0.0 && quantity <= 1e12) {
                return Err(Error::invalid(
                    &field("quantity"),
                    format!("{quantity} must be more than 0 (and at most 1e12)"),
                ));
            }
            let units = stock::units_of(pool, d.item.as_deref(), d.category.as_deref(), field).await?;
            let what = d.item.as_deref().or(d.category.as_deref()).unwrap_or_default();
            let unit = match &d.unit {
                Some(u) if units.contains(u) => u.clone(),
                Some(u) => {
                    return Err(Error::invalid(
                        &field("unit"),
                        format!("`{what}` is stocked in {}, not `{u}`", units.join(", ")),
                    ));
                }
                None if units.len() == 1 => units[0].clone(),
                None => {
                    return Err(Error::invalid(
                        &field("unit"),
                        format!("`{what}` is stocked in several units ({}); say which", units.join(", ")),
                    ));
                }
            };
            Ok(Need::Stock { item: d.item.clone(), category: d.category.clone(), unit, quantity })
        }
        (None, None, Some(s)) => {
            if d.quantity.is_some() || d.unit.is_some() {
                return Err(Error::invalid(&field("quantity"), "teams are asked for with `count`"));
            }
            if !SPECIALTIES.contains(&s.as_str()) {
                return Err(Error::invalid(
                    &field("specialty"),
                    format!("`{s}` is not one of: {}", SPECIALTIES.join(", ")),
                ));
            }
            let count = d.count.ok_or_else(|| Error::invalid(&field("count"), "is required"))?;
            if !(1..=MAX_TEAMS).contains(&count) {
                return Err(Error::invalid(&field("count"), format!("must be in 1–{MAX_TEAMS}")));
            }
            Ok(Need::Teams { specialty: s.clone(), count })
        }
        _ => Err(Error::invalid(
            at,
            "give exactly one of `item`, `category` (with `quantity`) or `specialty` (with `count`)",
        )),
    }
}

/// A depot or a team that may be sent.
#[derive(Debug)]
struct Source {
    depot: Option<i64>,
    team: Option<i64>,
    name: String,
    at: Coord<f64>,
}

/// Free stock of one item in one unit at one depot, or one team.
#[derive(Debug)]
struct Stock {
    source: usize,
    item: String,
    category: String,
    unit: String,
    free: f64,
    specialties: Vec<String>,
}

/// Plans `targets` jointly; the answer per incident, in the order given.
pub async fn plan(
    pool: &PgPool,
    graph: Arc<RoadGraph>,
    targets: Vec<Target>,
    rules: RoadRules,
) -> Result<Value, Error> {
    let needs = targets.iter().flat_map(|t| &t.needs);
    let mut items = BTreeSet::new();
    let mut categories = BTreeSet::new();
    let mut specialties = BTreeSet::new();
    for need in needs {
        match need {
            Need::Stock { item: Some(i), .. } => _ = items.insert(i.clone()),
            Need::Stock { category: Some(c), .. } => _ = categories.insert(c.clone()),
            Need::Stock { .. } => {}
            Need::Teams { specialty, .. } => _ = specialties.insert(specialty.clone()),
        }
    }
    let (sources, stock) = gather(pool, &items, &categories, &specialties).await?;
    let planned_at = chrono::Utc::now();
    crate::work::run("allocation", move || {
        let at: Vec<Coord<f64>> = sources.iter().map(|s| s.at).collect();
        let mut routes = Vec::new();
        for t in &targets {
            let routed = route_from(&graph, t.incident.at, &at, &rules, at.len().max(1))?;
            routes.push(routed);
        }
        Ok(answer(&graph, &targets, &sources, &stock, &routes, planned_at))
    })
    .await?
}

/// depot id, name, lon, lat, item, category, unit, free.
type StockRow = (i64, String, f64, f64, String, String, String, f64);

/// The depots with free stock of what is asked for, and the available teams of the specialties.
async fn gather(
    pool: &PgPool,
    items: &BTreeSet<String>,
    categories: &BTreeSet<String>,
    specialties: &BTreeSet<String>,
) -> Result<(Vec<Source>, Vec<Stock>), Error> {
    let items: Vec<&String> = items.iter().collect();
    let categories: Vec<&String> = categories.iter().collect();
    let specialties: Vec<&String> = specialties.iter().collect();
    let rows: Vec<StockRow> = sqlx::query_as(
        "SELECT d.id, d.name, ST_X(d.geom), ST_Y(d.geom), s.item, min(s.category), s.unit, sum(s.quantity - s.reserved) \
         FROM depot d JOIN stock_item s ON s.depot_id = d.id \
         WHERE s.item = ANY($1) OR s.category = ANY($2) \
         GROUP BY d.id, s.item, s.unit HAVING sum(s.quantity - s.reserved) > 0 ORDER BY d.id, s.item, s.unit",
    )
    .bind(&items)
    .bind(&categories)
    .fetch_all(pool)
    .await?;
    let teams: Vec<(i64, String, f64, f64, Vec<String>)> = sqlx::query_as(
        "SELECT id, name, ST_X(geom), ST_Y(geom), specialties FROM team \
         WHERE status = 'available' AND specialties && $1::text[] ORDER BY id",
    )
    .bind(&specialties)
    .fetch_all(pool)
    .await?;
    let mut sources: Vec<Source> = Vec::new();
    let mut index: HashMap<i64, usize> = HashMap::new();
    let mut stock = Vec::new();
    for (depot, name, x, y, item, category, unit, free) in rows {
        let source = *index.entry(depot).or_insert_with(|| {
            sources.push(Source { depot: Some(depot), team: None, name, at: Coord { x, y } });
            sources.len() - 1
        });
        stock.push(Stock { source, item, category, unit, free, specialties: Vec::new() });
    }
    for (team, name, x, y, specialties) in teams {
        sources.push(Source { depot: None, team: Some(team), name, at: Coord { x, y } });
        let source = sources.len() - 1;
        stock.push(Stock {
            source,
            item: String::new(),
            category: String::new(),
            unit: String::new(),
            free: 1.0,
            specialties,
        });
    }
    Ok((sources, stock))
}

/// Whether `stock` can meet `need`.
fn meets(stock: &Stock, need: &Need) -> bool {
    match need {
        Need::Stock { item, category, unit, .. } => {
            stock.specialties.is_empty()
                && stock.unit == *unit
                && item.as_ref().is_none_or(|i| *i == stock.item)
                && category.as_ref().is_none_or(|c| *c == stock.category)
        }
        Need::Teams { specialty, .. } => stock.specialties.contains(specialty),
    }
}

/// Allocates and writes the plan.
fn answer(
    graph: &RoadGraph,
    targets: &[Target],
    sources: &[Source],
    stock: &[Stock],
    routes: &[Routed],
    planned_at: chrono::DateTime<chrono::Utc>,
) -> Value {
    let supplies: Vec<Supply> = stock
        .iter()
        .map(|s| Supply {
            source: s.source,
            amount: if s.specialties.is_empty() { (s.free * SCALE + 1e-6).floor() as i64 } else { 1 },
        })
        .collect();
    let mut demands = Vec::new();
    for (t, target) in targets.iter().enumerate() {
        for need in &target.needs {
            let quantity = match need {
                Need::Stock { quantity, .. } => (quantity * SCALE).round().max(1.0) as i64,
                Need::Teams { count, .. } => *count,
            };
            let offers = stock
                .iter()
                .enumerate()
                .filter(|(_, s)| meets(s, need))
                .filter_map(|(i, s)| {
                    routes[t].reached[s.source].as_ref().map(|r| Offer { supply: i, seconds: r.seconds })
                })
                .collect();
            demands.push(Demand { incident: t, priority: target.priority, quantity, offers });
        }
    }
    let fills = allocate(&supplies, &demands);
    let arrives = |seconds: f64| (planned_at + chrono::Duration::milliseconds((seconds * 1000.0) as i64)).to_rfc3339();
    let source_id = |s: &Source| match (s.depot, s.team) {
        (Some(d), _) => json!({"depot_id": d}),
        (_, t) => json!({"team_id": t}),
    };

    let mut fill = fills.iter();
    let mut incidents = Vec::new();
    for (t, target) in targets.iter().enumerate() {
        let routed = &routes[t];
        // Per source sent: what it carries.
        let mut loads: Vec<(usize, Vec<Value>)> = Vec::new();
        let mut out = Vec::new();
        for need in &target.needs {
            let f = fill.next().expect("one fill per demand");
            let from: Vec<Value> = f
                .from
                .iter()
                .map(|&(i, amount, seconds)| {
                    let s = &stock[i];
                    let source = &sources[s.source];
                    let mut v = source_id(source);
                    v["name"] = source.name.clone().into();
                    v["seconds"] = tenth(seconds).into();
                    v["arrives_at"] = arrives(seconds).into();
                    let load = match loads.iter_mut().position(|l| l.0 == s.source) {
                        Some(p) => p,
                        None => {
                            loads.push((s.source, Vec::new()));
                            loads.len() - 1
                        }
                    };
                    if s.specialties.is_empty() {
                        let quantity = amount as f64 / SCALE;
                        v["item"] = s.item.clone().into();
                        v["unit"] = s.unit.clone().into();
                        v["quantity"] = quantity.into();
                        loads[load].1.push(json!({"item": s.item, "unit": s.unit, "quantity": quantity}));
                    }
                    v
                })
                .collect();
            let mut d = match need {
                Need::Stock { item, category, unit, quantity } => {
                    let met = f.met as f64 / SCALE;
                    json!({"item": item, "category": category, "unit": unit, "quantity": quantity,
                           "met": met, "short": ((quantity - met) * SCALE).round().max(0.0) / SCALE})
                }
                Need::Teams { specialty, count } => {
                    json!({"specialty": specialty, "count": count, "met": f.met, "short": count - f.met})
                }
            };
            d["seconds"] = f.seconds.map(tenth).into();
            d["minutes"] = f.seconds.map(minutes).into();
            d["arrives_at"] = f.seconds.map(arrives).into();
            d["from"] = from.into();
            out.push(d);
        }
        let shipments: Vec<Value> = loads
            .into_iter()
            .map(|(s, items)| {
                let source = &sources[s];
                let r = routed.reached[s].as_ref().expect("sources sent are reached");
                let mut v = source_id(source);
                v["name"] = source.name.clone().into();
                if source.depot.is_some() {
                    v["items"] = items.into();
                }
                v["seconds"] = tenth(r.seconds).into();
                v["minutes"] = minutes(r.seconds).into();
                v["metres"] = r.metres.round().into();
                v["arrives_at"] = arrives(r.seconds).into();
                v["path"] = path_json(r);
                v
            })
            .collect();
        let unreachable: Vec<Value> = sources
            .iter()
            .enumerate()
            .filter(|(s, _)| routed.reached[*s].is_none())
            .map(|(s, source)| {
                let mut v = source_id(source);
                v["name"] = source.name.clone().into();
                v["reason"] =
                    if routed.snaps[s].is_none() { "off the usable road network" } else { "not reachable in time" }
                        .into();
                v
            })
            .collect();
        incidents.push(json!({
            "id": target.incident.id, "name": target.incident.name, "severity": target.incident.severity,
            "priority": target.priority, "snap": incident_json(graph, target.incident.at, &routed.incident),
            "demands": out, "shipments": shipments, "unreachable": unreachable,
        }));
    }
    json!({"planned_at": planned_at.to_rfc3339(), "incidents": incidents})
}
