//! A plan for one or several incidents: their demands, the depots and teams that can meet them
//! by road, and the allocation between them.

use std::collections::BTreeSet;
use std::sync::Arc;

use geo::Coord;
use serde::Deserialize;
use sqlx::PgPool;

use super::allocate::{Demand, Fill, Offer, Supply, allocate};
use super::proposal::{Planned, Proposal, incident_plan};
use super::sources::{Holds, Need, SCALE, Stock, gather, meets};
use crate::auth::{Actor, jurisdiction};
use crate::error::Error;
use crate::layers::spec::{SEVERITIES, SPECIALTIES};
use crate::layers::stock;
use crate::routing::RoadGraph;
use crate::routing::request::RoadRules;
use crate::routing::route::{Routed, route_from};

const MAX_DEMANDS: usize = 100;
const MAX_TEAMS: i64 = 1000;

/// One demand as a request gives it.
#[derive(Debug, Deserialize, serde::Serialize, Clone, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DemandRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    item: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    quantity: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    specialty: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    count: Option<i64>,
}

impl DemandRequest {
    /// How much it asks for: the quantity of stock, or the number of teams.
    pub fn amount(&self) -> f64 {
        self.quantity.or(self.count.map(|c| c as f64)).unwrap_or(0.0)
    }

    /// The same demand for `amount` (a whole number of teams).
    pub fn for_amount(&self, amount: f64) -> Self {
        let mut d = self.clone();
        if d.specialty.is_some() {
            d.count = Some(amount.round() as i64);
        } else {
            d.quantity = Some(amount);
        }
        d
    }

    /// Whether it asks for teams (counted whole).
    pub fn is_teams(&self) -> bool {
        self.specialty.is_some()
    }
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
            return Err(super::refused::Refused::IncidentClosed { incident: id, status }.into());
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
    pub(super) needs: Vec<Need>,
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

/// Plans `targets` jointly — from depots and teams outside district `outside` when given —; the
/// answer per incident, in the order given.
pub async fn plan(
    pool: &PgPool,
    graph: Arc<RoadGraph>,
    targets: Vec<Target>,
    rules: RoadRules,
    outside: Option<&str>,
) -> Result<Proposal, Error> {
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
    let (sources, stock) = gather(pool, &items, &categories, &specialties, outside).await?;
    let planned_at = chrono::Utc::now();
    crate::work::run("allocation", move || {
        let at: Vec<Coord<f64>> = sources.iter().map(|s| s.at).collect();
        let mut routes = Vec::new();
        for t in &targets {
            let routed = route_from(&graph, t.incident.at, &at, &rules, at.len().max(1))?;
            routes.push(routed);
        }
        let fills = allocate_all(&targets, &stock, &routes);
        let mut fills = fills.as_slice();
        let mut incidents = Vec::new();
        for (target, routed) in targets.iter().zip(&routes) {
            let (own, rest) = fills.split_at(target.needs.len());
            fills = rest;
            let planned = Planned {
                id: target.incident.id,
                name: &target.incident.name,
                severity: &target.incident.severity,
                priority: target.priority,
                at: target.incident.at,
                needs: &target.needs,
                routed,
                fills: own,
            };
            incidents.push(incident_plan(&graph, planned, &sources, &stock, planned_at));
        }
        Ok(Proposal { planned_at: planned_at.to_rfc3339(), incidents })
    })
    .await?
}

/// Allocates the sources' stock to every target's needs by arrival time and priority: one
/// fill a need, in the order of the targets and their needs.
fn allocate_all(targets: &[Target], stock: &[Stock], routes: &[Routed]) -> Vec<Fill> {
    let supplies: Vec<Supply> = stock
        .iter()
        .map(|s| Supply {
            source: s.source,
            amount: match s.holds {
                Holds::Goods { free, .. } => (free * SCALE + 1e-6).floor() as i64,
                Holds::Team { .. } => 1,
            },
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
    allocate(&supplies, &demands)
}
