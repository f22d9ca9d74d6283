//! Committing a dispatch: in one transaction, reserve the stock and mark the teams dispatched,
//! or refuse the whole of it with the amounts free now. Rows are locked in one global order
//! (stock rows by id, then teams by id), so concurrent dispatchers queue instead of deadlocking,
//! and each sees what the others reserved before it.

use std::collections::{BTreeMap, BTreeSet};

use std::sync::Arc;

use geo::Coord;
use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::PgPool;

use super::plan::Incident;
use super::proposal::Load;
use super::record::{self, Dispatches, Which};
use super::refused::Refused;
use crate::auth::begin_as;
use crate::auth::{Actor, jurisdiction};
use crate::error::Error;
use crate::routing::RoadGraph;
use crate::routing::request::RoadRules;
use crate::routing::route::route_from;

/// Reservations smaller than this are rounding, not stock.
const EPSILON: f64 = 1e-9;
const MAX_SHIPMENTS: usize = 500;

/// One depot's stock or one team, as a request to dispatch gives it.
#[derive(Debug, Deserialize, Clone, utoipa::ToSchema)]
pub struct OrderLine {
    /// The depot sending `items`.
    pub depot_id: Option<i64>,
    /// The team sent.
    pub team_id: Option<i64>,
    #[serde(default)]
    items: Vec<Load>,
}

impl OrderLine {
    /// A depot's shipment of `items`.
    pub fn depot(depot_id: i64, items: Vec<Load>) -> Self {
        Self { depot_id: Some(depot_id), team_id: None, items }
    }

    /// A team sent.
    pub fn team(team_id: i64) -> Self {
        Self { depot_id: None, team_id: Some(team_id), items: Vec::new() }
    }

    /// The shipments of a plan, as a dispatch sends them.
    pub fn of_plan(plan: &super::proposal::IncidentPlan) -> Vec<Self> {
        plan.shipped()
            .into_iter()
            .filter_map(|(depot, team, items)| match (depot, team) {
                (Some(depot), _) => Some(Self::depot(depot, items)),
                (None, Some(team)) => Some(Self::team(team)),
                (None, None) => None,
            })
            .collect()
    }
}

/// A dispatch checked against the request's own rules (not yet against the database).
#[derive(Debug)]
pub struct Order {
    /// (depot, item, unit) → quantity.
    stock: BTreeMap<(i64, String, String), f64>,
    /// Teams, ascending.
    teams: BTreeSet<i64>,
}

impl Order {
    /// Checks the shipments: each a depot with items or a team, no depot or team twice, quantities > 0.
    pub fn new(shipments: &[OrderLine]) -> Result<Self, Error> {
        if shipments.is_empty() || shipments.len() > MAX_SHIPMENTS {
            return Err(Error::invalid("shipments", format!("give 1–{MAX_SHIPMENTS} shipments")));
        }
        let mut stock = BTreeMap::new();
        let mut depots = BTreeSet::new();
        let mut teams = BTreeSet::new();
        for (i, s) in shipments.iter().enumerate() {
            let at = format!("shipments[{i}]");
            match (s.depot_id, s.team_id) {
                (Some(depot), None) => {
                    if !depots.insert(depot) {
                        return Err(Error::invalid(
                            &at,
                            format!("depot {depot} is given twice; put all its items in one shipment"),
                        ));
                    }
                    if s.items.is_empty() {
                        return Err(Error::invalid(&format!("{at}.items"), "a depot's shipment needs items"));
                    }
                    for (j, load) in s.items.iter().enumerate() {
                        let q = load.quantity;
                        if !(q.is_finite() && q > 0.0 && q <= 1e12) {
                            return Err(Error::invalid(
                                &format!("{at}.items[{j}].quantity"),
                                format!("{q} must be more than 0"),
                            ));
                        }
                        if stock.insert((depot, load.item.clone(), load.unit.clone()), q).is_some() {
                            return Err(Error::invalid(
                                &format!("{at}.items[{j}]"),
                                format!("`{}` is given twice", load.item),
                            ));
                        }
                    }
                }
                (None, Some(team)) => {
                    if !s.items.is_empty() {
                        return Err(Error::invalid(&format!("{at}.items"), "a team's shipment carries no items"));
                    }
                    if !teams.insert(team) {
                        return Err(Error::invalid(&at, format!("team {team} is given twice")));
                    }
                }
                _ => return Err(Error::invalid(&at, "give exactly one of `depot_id` (with `items`) or `team_id`")),
            }
        }
        Ok(Self { stock, teams })
    }

    /// Depots and teams sent, for routing: depots ascending, then teams ascending.
    pub fn sources(&self) -> (Vec<i64>, Vec<i64>) {
        let depots: BTreeSet<i64> = self.stock.keys().map(|k| k.0).collect();
        (depots.into_iter().collect(), self.teams.iter().copied().collect())
    }
}

/// Travel of one depot or team to the incident.
#[derive(Debug, Clone, Copy)]
pub struct Travel {
    /// Seconds.
    pub seconds: f64,
    /// Metres.
    pub metres: f64,
}

/// Sends `order` to the open incident `incident` — to its place, or to the interception site
/// `site` — each depot's and team's travel time the server's own, by road under `rules`; the
/// whole order is committed or refused.
pub async fn send(
    pool: &PgPool,
    actor: &Actor,
    graph: Arc<RoadGraph>,
    incident: i64,
    site: Option<i64>,
    order: &Order,
    rules: RoadRules,
) -> Result<Dispatches, Error> {
    let mut at_incident = Incident::open(pool, actor, incident).await?.at;
    if let Some(site) = site {
        let at: Option<(f64, f64)> = sqlx::query_as("SELECT ST_X(geom), ST_Y(geom) FROM intercept_site WHERE id = $1")
            .bind(site)
            .fetch_optional(pool)
            .await?;
        let (x, y) = at.ok_or_else(|| Error::invalid("site_id", format!("there is no interception site {site}")))?;
        at_incident = Coord { x, y };
    }
    let travel = travel(pool, graph, at_incident, order, rules).await?;
    commit(pool, actor, incident, site, order, &travel).await
}

/// Each depot's and team's travel of `order` to `to` by road under `rules` (depots, then
/// teams, as [`Order::sources`]); refused when one cannot reach it.
pub async fn travel(
    pool: &PgPool,
    graph: Arc<RoadGraph>,
    to: Coord<f64>,
    order: &Order,
    rules: RoadRules,
) -> Result<Vec<Travel>, Error> {
    let (depots, teams) = order.sources();
    let mut at = Vec::new();
    for (table, ids) in [("depot", &depots), ("team", &teams)] {
        let rows: Vec<(i64, f64, f64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT id, ST_X(geom), ST_Y(geom) FROM {table} WHERE id = ANY($1)"
        )))
        .bind(ids)
        .fetch_all(pool)
        .await?;
        for wanted in ids {
            let Some(&(_, x, y)) = rows.iter().find(|r| r.0 == *wanted) else {
                return Err(Error::invalid("shipments", format!("there is no {table} {wanted}")));
            };
            at.push((table, *wanted, Coord { x, y }));
        }
    }
    let points: Vec<Coord<f64>> = at.iter().map(|a| a.2).collect();
    crate::work::run("dispatch routes", move || -> Result<Vec<Travel>, Error> {
        let routed = route_from(&graph, to, &points, &rules, points.len())?;
        at.iter()
            .zip(&routed.reached)
            .map(|((table, id, _), r)| {
                r.as_ref().map(|r| Travel { seconds: r.seconds, metres: r.metres }).ok_or_else(|| {
                    Error::invalid(
                        "shipments",
                        format!("{table} {id} cannot reach the destination by road under these rules"),
                    )
                })
            })
            .collect()
    })
    .await?
}

/// Commits `order` for `incident` (to interception site `site` when given); `travel` holds the
/// depots' then the teams' travel, in the order of [`Order::sources`]. Returns the dispatches
/// written.
pub async fn commit(
    pool: &PgPool,
    actor: &Actor,
    incident: i64,
    site: Option<i64>,
    order: &Order,
    travel: &[Travel],
) -> Result<Dispatches, Error> {
    let mut tx = begin_as(pool, actor).await?;
    let written = commit_in(&mut tx, actor, incident, site, order, travel).await?;
    tx.commit().await?;
    Ok(written)
}

/// As [`commit`], in the caller's transaction (which writes the rest of its step with it).
pub async fn commit_in(
    tx: &mut sqlx::PgConnection,
    actor: &Actor,
    incident: i64,
    site: Option<i64>,
    order: &Order,
    travel: &[Travel],
) -> Result<Dispatches, Error> {
    let status: Option<String> = sqlx::query_scalar("SELECT status FROM incident WHERE id = $1 FOR SHARE")
        .bind(incident)
        .fetch_optional(&mut *tx)
        .await?;
    match status.as_deref() {
        None => return Err(Error::NotFound { layer: "incident", id: incident }),
        Some("open") => jurisdiction::check(&mut *tx, actor, "incident", &[incident]).await?,
        Some(s) => {
            return Err(Refused::IncidentClosed { incident, status: s.to_string() }.into());
        }
    }
    let keys: Vec<&(i64, String, String)> = order.stock.keys().collect();
    let depots: Vec<i64> = keys.iter().map(|k| k.0).collect();
    let items: Vec<&str> = keys.iter().map(|k| k.1.as_str()).collect();
    let units: Vec<&str> = keys.iter().map(|k| k.2.as_str()).collect();
    // Earliest expiry goes first; the lock order is by id whatever the use order.
    let rows: Vec<(i64, i64, String, String, f64)> = sqlx::query_as(
        "WITH locked AS (SELECT s.id, s.depot_id, s.item, s.unit, s.quantity - s.reserved AS free, s.expiry_date \
           FROM stock_item s JOIN unnest($1::bigint[], $2::text[], $3::text[]) AS w(depot_id, item, unit) \
             USING (depot_id, item, unit) ORDER BY s.id FOR UPDATE OF s) \
         SELECT id, depot_id, item, unit, free FROM locked ORDER BY expiry_date NULLS LAST, id",
    )
    .bind(&depots)
    .bind(&items)
    .bind(&units)
    .fetch_all(&mut *tx)
    .await?;
    let team_ids: Vec<i64> = order.teams.iter().copied().collect();
    let teams: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, status FROM team WHERE id = ANY($1) ORDER BY id FOR UPDATE")
            .bind(&team_ids)
            .fetch_all(&mut *tx)
            .await?;

    // Everything must be there, or nothing is done.
    let mut short = Vec::new();
    let mut takes: Vec<(i64, i64, String, String, f64)> = Vec::new();
    for ((depot, item, unit), &wanted) in &order.stock {
        let mine: Vec<&(i64, i64, String, String, f64)> =
            rows.iter().filter(|r| r.1 == *depot && r.2 == *item && r.3 == *unit).collect();
        let free: f64 = mine.iter().map(|r| r.4).sum();
        if free + EPSILON < wanted {
            short.push(json!({"depot_id": depot, "item": item, "unit": unit, "requested": wanted, "free": free}));
            continue;
        }
        let mut left = wanted;
        for r in mine {
            let take = left.min(r.4);
            if take > EPSILON {
                takes.push((r.0, *depot, item.clone(), unit.clone(), take));
                left -= take;
            }
        }
    }
    let unavailable: Vec<Value> = order
        .teams
        .iter()
        .filter_map(|id| match teams.iter().find(|t| t.0 == *id) {
            Some((_, status)) if status == "available" => None,
            Some((_, status)) => Some(json!({"team_id": id, "status": status})),
            None => Some(json!({"team_id": id, "status": "unknown"})),
        })
        .collect();
    if !short.is_empty() || !unavailable.is_empty() {
        return Err(Refused::CannotDispatch { short, unavailable }.into());
    }

    let ids: Vec<i64> = takes.iter().map(|t| t.0).collect();
    let amounts: Vec<f64> = takes.iter().map(|t| t.4).collect();
    sqlx::query(
        "UPDATE stock_item s SET reserved = LEAST(s.quantity, s.reserved + t.amount) \
         FROM unnest($1::bigint[], $2::float8[]) AS t(id, amount) WHERE s.id = t.id",
    )
    .bind(&ids)
    .bind(&amounts)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE team SET status = 'dispatched' WHERE id = ANY($1)").bind(&team_ids).execute(&mut *tx).await?;

    let (depot_list, team_list) = order.sources();
    let mut written = Vec::new();
    for (i, (depot, team)) in
        depot_list.iter().map(|d| (Some(*d), None)).chain(team_list.iter().map(|t| (None, Some(*t)))).enumerate()
    {
        let t = travel[i];
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO dispatch (incident_id, depot_id, team_id, travel_seconds, travel_metres, eta, site_id) \
             VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $4), $6) RETURNING id",
        )
        .bind(incident)
        .bind(depot)
        .bind(team)
        .bind(t.seconds)
        .bind(t.metres)
        .bind(site)
        .fetch_one(&mut *tx)
        .await?;
        for take in takes.iter().filter(|take| Some(take.1) == depot) {
            sqlx::query(
                "INSERT INTO dispatch_item (dispatch_id, stock_item_id, item, unit, quantity) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id)
            .bind(take.0)
            .bind(&take.2)
            .bind(&take.3)
            .bind(take.4)
            .execute(&mut *tx)
            .await?;
        }
        written.push(id);
    }
    let dispatches = record::records(&mut *tx, Which::These(&written)).await?;
    Ok(Dispatches { incident_id: incident, dispatches })
}
