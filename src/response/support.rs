//! Mutual aid (应急支援): a district short of stock or teams for an incident files a request to
//! the city — what, how much, by when, how urgent —; the city approves it in whole or in part
//! (or declines it), and what is approved is allocated from the other districts' depots and
//! teams by the existing plan, at the request's priority, and dispatched in the same transaction
//! as the decision: all of it or nothing, never more than the depots hold.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::{PgConnection, PgPool};

use crate::auth::{Actor, begin_as};
use crate::dispatch::commit::{self, Order};
use crate::dispatch::plan::{DemandRequest, Incident, Target, plan};
use crate::dispatch::proposal::Demanded;
use crate::dispatch::record::Dispatches;
use crate::error::Error;
use crate::routing::RoadGraph;
use crate::routing::request::RoadOptions;

/// Most demands in one request.
const MAX_DEMANDS: usize = 50;
/// Longest ahead a request may be needed, hours.
const MAX_AHEAD_HOURS: i64 = 24 * 7;

/// A support request as a district files it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SupportBody {
    /// What and how much, as a dispatch plan asks: an item or category with quantity (and unit),
    /// or a specialty with a count of teams.
    pub demands: Vec<DemandRequest>,
    /// Needed by (RFC 3339), or …
    pub needed_by: Option<String>,
    /// … within so many minutes.
    pub needed_in_minutes: Option<f64>,
    /// 1 (一般) … 4 (特别重大): served first when higher; default the incident's severity.
    pub priority: Option<i32>,
    /// The district that asks (a city-wide user files for one; a district's user for its own).
    pub district: Option<String>,
    /// Why, in words.
    pub note: Option<String>,
}

/// The city's decision on a request, with the road options of the dispatch (any other member
/// is refused).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct DecisionBody {
    /// How much of each demand is approved, in the request's order (0: none of it); absent:
    /// all of every demand.
    pub approve: Option<Vec<f64>>,
    /// Why, in words (required when less than all is approved).
    pub note: Option<String>,
    /// How the dispatch may use the roads.
    #[serde(flatten)]
    pub roads: RoadOptions,
}

/// A support request as it stands.
#[derive(Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Support {
    /// Its id.
    pub id: i64,
    /// The incident.
    pub incident_id: i64,
    /// The district that asks.
    pub district: String,
    /// Its name.
    pub district_name: Option<String>,
    /// What and how much.
    #[schema(value_type = Vec<Object>)]
    pub demands: sqlx::types::Json<Value>,
    /// Served first when higher (1–4).
    pub priority: i32,
    /// Needed by.
    pub needed_by: DateTime<Utc>,
    /// Why.
    pub note: Option<String>,
    /// filed, approved, partly_approved or declined.
    pub status: String,
    /// When filed.
    pub filed_at: DateTime<Utc>,
    /// By whom.
    pub filed_by: String,
    /// How much of each demand was approved.
    #[schema(value_type = Option<Vec<f64>>)]
    pub approved: Option<sqlx::types::Json<Value>>,
    /// When decided.
    pub decided_at: Option<DateTime<Utc>>,
    /// By whom.
    pub decided_by: Option<String>,
    /// Why so.
    pub decision_note: Option<String>,
    /// The dispatches it became.
    pub dispatch_ids: Vec<i64>,
}

/// A decision, with what the dispatch carries and what the other districts could not meet.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Decided {
    /// The request as decided.
    pub request: Support,
    /// Each approved demand with what meets it (met and short) from the other districts.
    pub demands: Vec<Demanded>,
    /// The dispatches written.
    pub dispatches: Option<Dispatches>,
}

const COLUMNS: &str = "id, incident_id, district, (SELECT x.name FROM district x WHERE x.code = district) AS district_name, demands, priority, needed_by, note, status, filed_at, filed_by, \
     approved, decided_at, decided_by, decision_note, dispatch_ids";

async fn one(conn: &mut PgConnection, id: i64) -> Result<Support, Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM support_request WHERE id = $1")))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(Error::NotFound { layer: "support_request", id })
}

/// The support requests of incident `incident`, or (None) all of them, newest first; a
/// district's user sees its own district's.
pub async fn list(pool: &PgPool, actor: &Actor, incident: Option<i64>) -> Result<Vec<Support>, Error> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM support_request WHERE ($1::bigint IS NULL OR incident_id = $1) \
           AND ($2::text IS NULL OR district = $2) ORDER BY filed_at DESC, id DESC LIMIT 500"
    )))
    .bind(incident)
    .bind(&actor.district)
    .fetch_all(pool)
    .await?)
}

/// Files a support request for incident `incident`.
pub async fn file(pool: &PgPool, actor: &Actor, incident: i64, body: SupportBody) -> Result<Support, Error> {
    if body.demands.is_empty() || body.demands.len() > MAX_DEMANDS {
        return Err(Error::invalid("demands", format!("give 1–{MAX_DEMANDS} demands")));
    }
    let district = match (&actor.district, body.district) {
        (Some(own), Some(other)) if *own != other => {
            return Err(Error::Forbidden(format!(
                "{} acts for district {own}; a request of district {other} is filed by its own users or the city",
                actor.name
            )));
        }
        (Some(own), _) => own.clone(),
        (None, Some(d)) => d,
        (None, None) => return Err(Error::invalid("district", "say which district asks")),
    };
    let needed_by =
        Error::ahead(("needed_by", "needed_in_minutes"), body.needed_by, body.needed_in_minutes, MAX_AHEAD_HOURS)?;
    if let Some(p) = body.priority
        && !(1..=4).contains(&p)
    {
        return Err(Error::invalid("priority", format!("{p} is not 1–4")));
    }
    let note = Error::text("note", body.note, 2000, true)?;
    // The demands as a plan checks them (items stocked, units, specialties, counts).
    let open = Incident::open(pool, actor, incident).await?;
    let target = Target::new(pool, open, body.priority, &body.demands, "demands").await?;
    let mut tx = begin_as(pool, actor).await?;
    super::hold::incident(&mut tx, actor, incident).await?;
    let here: Option<bool> = sqlx::query_scalar(
        "SELECT onemap_in_district('incident', to_jsonb(i), $2) FROM incident i, district d \
         WHERE i.id = $1 AND d.code = $2",
    )
    .bind(incident)
    .bind(&district)
    .fetch_optional(&mut *tx)
    .await?;
    match here {
        None => return Err(Error::invalid("district", format!("there is no district {district}"))),
        Some(false) => {
            return Err(Error::invalid("district", format!("incident {incident} does not lie in district {district}")));
        }
        Some(true) => {}
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO support_request (incident_id, district, demands, priority, needed_by, note, filed_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(incident)
    .bind(&district)
    .bind(sqlx::types::Json(&body.demands))
    .bind(target.priority)
    .bind(needed_by)
    .bind(&note)
    .bind(&actor.name)
    .fetch_one(&mut *tx)
    .await?;
    announce(&mut tx, id, "filed").await?;
    let stored = one(&mut tx, id).await?;
    tx.commit().await?;
    Ok(stored)
}

async fn announce(conn: &mut PgConnection, id: i64, op: &str) -> Result<(), Error> {
    sqlx::query(
        "SELECT onemap_event('support', jsonb_build_object('op', $2::text, 'id', s.id, 'incident_id', s.incident_id, \
           'district', s.district, 'status', s.status)) FROM support_request s WHERE s.id = $1",
    )
    .bind(id)
    .bind(op)
    .execute(conn)
    .await?;
    Ok(())
}

/// The city decides request `id`: approves what `body` says (all when it says nothing), which
/// is planned from the other districts' depots and teams and dispatched with the decision.
pub async fn decide(
    pool: &PgPool,
    graph: Arc<RoadGraph>,
    actor: &Actor,
    id: i64,
    body: DecisionBody,
) -> Result<Decided, Error> {
    let request = one(&mut *pool.acquire().await?, id).await?;
    if let Some(code) = &actor.district {
        return Err(Error::Forbidden(format!(
            "{} acts for district {code}; a support request is decided by the city",
            actor.name
        )));
    }
    let rules = body.roads.rules(&graph, pool).await?;
    if request.status != "filed" {
        return Err(super::Refused::Decided { request: id, status: request.status }.into());
    }
    let asked: Vec<DemandRequest> =
        serde_json::from_value(request.demands.0.clone()).map_err(|e| Error::Failed(format!("request {id}: {e}")))?;
    let approve = match body.approve {
        None => asked.iter().map(DemandRequest::amount).collect(),
        Some(a) if a.len() != asked.len() => {
            return Err(Error::invalid("approve", format!("give one amount for each of the {} demands", asked.len())));
        }
        Some(a) => a,
    };
    for (i, (a, d)) in approve.iter().zip(&asked).enumerate() {
        if !a.is_finite() || *a < 0.0 || *a > d.amount() || (d.is_teams() && a.fract() != 0.0) {
            return Err(Error::invalid(
                &format!("approve[{i}]"),
                format!("{a} is not a whole number of teams or an amount from 0 to the {} asked", d.amount()),
            ));
        }
    }
    let all = approve.iter().zip(&asked).all(|(a, d)| *a == d.amount());
    let note = Error::text("note", body.note, 2000, true)?;
    if !all && note.is_none() {
        return Err(Error::invalid("note", "say why less than all is approved"));
    }
    let status = if all {
        "approved"
    } else if approve.iter().all(|a| *a == 0.0) {
        "declined"
    } else {
        "partly_approved"
    };
    let lines: Vec<DemandRequest> =
        approve.iter().zip(&asked).filter(|(a, _)| **a > 0.0).map(|(a, d)| d.for_amount(*a)).collect();

    // Planned outside the asking district, at the request's priority.
    let (demands, order, travel) = if lines.is_empty() {
        (Vec::new(), None, Vec::new())
    } else {
        let incident = Incident::open(pool, actor, request.incident_id).await?;
        let to = incident.at;
        let target = Target::new(pool, incident, Some(request.priority), &lines, "approve").await?;
        let proposal = plan(pool, graph.clone(), vec![target], rules.clone(), Some(&request.district)).await?;
        let planned = proposal.incidents.into_iter().next().ok_or_else(|| Error::Failed("no plan".into()))?;
        let order_lines = commit::OrderLine::of_plan(&planned);
        let demands = planned.demands().to_vec();
        if order_lines.is_empty() {
            (demands, None, Vec::new())
        } else {
            let order = Order::new(&order_lines)?;
            let travel = commit::travel(pool, graph, to, &order, rules).await?;
            (demands, Some(order), travel)
        }
    };

    let mut tx = begin_as(pool, actor).await?;
    super::hold::incident(&mut tx, actor, request.incident_id).await?;
    let now: String = sqlx::query_scalar("SELECT status FROM support_request WHERE id = $1 FOR UPDATE")
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    if now != "filed" {
        return Err(super::Refused::Decided { request: id, status: now }.into());
    }
    let dispatches = match &order {
        Some(order) => Some(commit::commit_in(&mut tx, actor, request.incident_id, None, order, &travel).await?),
        None => None,
    };
    let ids: Vec<i64> = dispatches.iter().flat_map(|d| d.dispatches.iter().map(|x| x.id)).collect();
    sqlx::query(
        "UPDATE support_request SET status = $2, approved = $3, decided_at = now(), decided_by = $4, \
           decision_note = $5, dispatch_ids = $6 WHERE id = $1",
    )
    .bind(id)
    .bind(status)
    .bind(sqlx::types::Json(&approve))
    .bind(&actor.name)
    .bind(&note)
    .bind(&ids)
    .execute(&mut *tx)
    .await?;
    announce(&mut tx, id, status).await?;
    let request = one(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Decided { request, demands, dispatches })
}
