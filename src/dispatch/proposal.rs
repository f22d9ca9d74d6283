//! What a plan proposes, as it is answered: per incident, each demand with what meets it and
//! when, the shipments (one a depot or team sent, with its load and route), and who cannot be
//! reached. The OpenAPI document takes its schemas from these types.

use serde::Serialize;
use serde_json::Value;

use super::allocate::Fill;
use super::sources::{Holds, Need, SCALE, Source, Stock, Who};
use crate::routing::RoadGraph;
use crate::routing::route::{Routed, incident_json, minutes, path_json, tenth};

/// A plan for one or several incidents.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Proposal {
    /// When it was made (arrival times count from then), RFC 3339.
    pub planned_at: String,
    /// One a planned incident, in the order asked.
    pub incidents: Vec<IncidentPlan>,
}

/// The plan of one incident, with when it was made.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OnePlan {
    /// When it was made, RFC 3339.
    pub planned_at: String,
    #[serde(flatten)]
    pub incident: IncidentPlan,
}

/// The plan of one incident.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IncidentPlan {
    id: i64,
    name: String,
    /// 一般 … 特别重大.
    severity: String,
    /// Higher is served first.
    priority: i32,
    /// Where the incident joins the road network.
    #[schema(value_type = Object)]
    snap: Value,
    /// Each demand, as asked, with what meets it.
    demands: Vec<Demanded>,
    /// Who is sent, with the load and the route.
    shipments: Vec<Shipment>,
    /// Depots and teams no usable road brings here in time.
    unreachable: Vec<Unreachable>,
}

impl IncidentPlan {
    /// Its shipments as (depot, team, load): a depot's with its load, a team's with none.
    pub fn shipped(&self) -> Vec<(Option<i64>, Option<i64>, Vec<Load>)> {
        self.shipments
            .iter()
            .map(|s| (s.sender.depot_id, s.sender.team_id, s.items.clone().unwrap_or_default()))
            .collect()
    }

    /// Each demand as asked, with what meets it.
    pub fn demands(&self) -> &[Demanded] {
        &self.demands
    }
}

/// A depot or a team, by its id and name.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Sender {
    #[serde(skip_serializing_if = "Option::is_none")]
    depot_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    team_id: Option<i64>,
    name: String,
}

/// A demand and what meets it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Demanded {
    #[serde(flatten)]
    asked: Asked,
    /// When all that is met has arrived, seconds (null when nothing is met).
    seconds: Option<f64>,
    /// The same in minutes.
    minutes: Option<f64>,
    /// The same as a time, RFC 3339.
    arrives_at: Option<String>,
    /// Who brings it, fastest first.
    from: Vec<Part>,
}

/// What a demand asks for, with how much is met and short.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Asked {
    /// Stock: an item or a category, in a unit.
    Stock { item: Option<String>, category: Option<String>, unit: String, quantity: f64, met: f64, short: f64 },
    /// Teams of a specialty.
    Teams { specialty: String, count: i64, met: i64, short: i64 },
}

/// One sender's part in meeting a demand.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Part {
    #[serde(flatten)]
    sender: Sender,
    /// Travel time, seconds.
    seconds: f64,
    /// Arrival, RFC 3339.
    arrives_at: String,
    #[serde(flatten)]
    goods: Option<Load>,
}

/// Goods carried: as planned, and as a dispatch asks for them.
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Load {
    /// The item.
    pub item: String,
    /// Its unit.
    pub unit: String,
    /// How much.
    pub quantity: f64,
}

/// A depot or team sent, with its load (depots) and its route.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Shipment {
    #[serde(flatten)]
    sender: Sender,
    /// What a depot sends (absent for a team).
    #[serde(skip_serializing_if = "Option::is_none")]
    items: Option<Vec<Load>>,
    seconds: f64,
    minutes: f64,
    metres: f64,
    arrives_at: String,
    /// The route, a GeoJSON LineString.
    #[schema(value_type = Object)]
    path: crate::routing::route::PathJson,
}

/// A depot or team that cannot be sent, and why.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Unreachable {
    #[serde(flatten)]
    sender: Sender,
    reason: &'static str,
}

fn sender(source: &Source) -> Sender {
    let (depot_id, team_id) = match source.who {
        Who::Depot(d) => (Some(d), None),
        Who::Team(t) => (None, Some(t)),
    };
    Sender { depot_id, team_id, name: source.name.clone() }
}

/// One incident as planned: what it is, what it needs, its routes from every source, and the
/// allocation's fills of its needs (one a need, in their order).
pub(super) struct Planned<'a> {
    pub id: i64,
    pub name: &'a str,
    pub severity: &'a str,
    pub priority: i32,
    pub at: geo::Coord<f64>,
    pub needs: &'a [Need],
    pub routed: &'a Routed,
    pub fills: &'a [Fill],
}

/// What the allocation means for one incident, with arrival times from `planned_at`.
pub(super) fn incident_plan(
    graph: &RoadGraph,
    planned: Planned,
    sources: &[Source],
    stock: &[Stock],
    planned_at: chrono::DateTime<chrono::Utc>,
) -> IncidentPlan {
    let arrives = |seconds: f64| (planned_at + chrono::Duration::milliseconds((seconds * 1000.0) as i64)).to_rfc3339();
    let routed = planned.routed;
    // Per source sent: what it carries.
    let mut loads: Vec<(usize, Vec<Load>)> = Vec::new();
    let mut demands = Vec::new();
    for (need, f) in planned.needs.iter().zip(planned.fills) {
        let from = f
            .from
            .iter()
            .map(|&(i, amount, seconds)| {
                let s = &stock[i];
                let at = match loads.iter().position(|l| l.0 == s.source) {
                    Some(p) => p,
                    None => {
                        loads.push((s.source, Vec::new()));
                        loads.len() - 1
                    }
                };
                let goods = match &s.holds {
                    Holds::Goods { item, unit, .. } => {
                        let load = Load { item: item.clone(), unit: unit.clone(), quantity: amount as f64 / SCALE };
                        loads[at].1.push(load.clone());
                        Some(load)
                    }
                    Holds::Team { .. } => None,
                };
                Part {
                    sender: sender(&sources[s.source]),
                    seconds: tenth(seconds),
                    arrives_at: arrives(seconds),
                    goods,
                }
            })
            .collect();
        let asked = match need {
            Need::Stock { item, category, unit, quantity } => {
                let met = f.met as f64 / SCALE;
                Asked::Stock {
                    item: item.clone(),
                    category: category.clone(),
                    unit: unit.clone(),
                    quantity: *quantity,
                    met,
                    short: ((quantity - met) * SCALE).round().max(0.0) / SCALE,
                }
            }
            Need::Teams { specialty, count } => {
                Asked::Teams { specialty: specialty.clone(), count: *count, met: f.met, short: count - f.met }
            }
        };
        demands.push(Demanded {
            asked,
            seconds: f.seconds.map(tenth),
            minutes: f.seconds.map(minutes),
            arrives_at: f.seconds.map(arrives),
            from,
        });
    }
    let shipments = loads
        .into_iter()
        .map(|(s, items)| {
            let source = &sources[s];
            let r = routed.reached[s].as_ref().expect("sources sent are reached");
            Shipment {
                sender: sender(source),
                items: matches!(source.who, Who::Depot(_)).then_some(items),
                seconds: tenth(r.seconds),
                minutes: minutes(r.seconds),
                metres: r.metres.round(),
                arrives_at: arrives(r.seconds),
                path: path_json(r),
            }
        })
        .collect();
    let unreachable = sources
        .iter()
        .enumerate()
        .filter(|(s, _)| routed.reached[*s].is_none())
        .map(|(s, source)| Unreachable {
            sender: sender(source),
            reason: if routed.snaps[s].is_none() { "off the usable road network" } else { "not reachable in time" },
        })
        .collect();
    IncidentPlan {
        id: planned.id,
        name: planned.name.to_string(),
        severity: planned.severity.to_string(),
        priority: planned.priority,
        snap: incident_json(graph, planned.at, &routed.incident),
        demands,
        shipments,
        unreachable,
    }
}
