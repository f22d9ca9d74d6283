//! "以空间换时间": where to stop a river spill. Every interception site downstream within the
//! horizon, with when the pollutant arrives there (the trace), when a suitable team or stock
//! can arrive by road (one road search from the site), the margin between the two after the
//! set-up time, and the intakes below it. Recommended: the sites with a positive margin above
//! the first intake, the largest margin first.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use geo::Coord;
use serde::Serialize;
use sqlx::PgPool;
use utoipa::ToSchema;

use super::trace::{Along, Snapped, Way, along_reaches, trace};
use crate::error::Error;
use crate::routing::RoadGraph;
use crate::routing::request::RoadRules;
use crate::routing::route::{route_from, tenth};

/// What is to be brought to a site.
#[derive(Debug, Clone)]
pub enum Need {
    /// An available team with this specialty.
    Team {
        /// Specialty (hazmat, water …).
        specialty: String,
    },
    /// A depot holding this much free stock of an item.
    Stock {
        /// Item, e.g. 围油栏.
        item: String,
        /// How much.
        quantity: f64,
        /// Its unit, when the item is kept in several.
        unit: Option<String>,
    },
}

/// An interception request.
#[derive(Debug, Clone)]
pub struct Request {
    /// Where the spill entered the river.
    pub at: Coord<f64>,
    /// When.
    pub spilled_at: DateTime<Utc>,
    /// How far ahead to look, hours of flow.
    pub hours: f64,
    /// What a site needs.
    pub need: Need,
    /// Minutes to set up at a site once there.
    pub setup_minutes: f64,
    /// How close to the river a site must be, m.
    pub near_m: f64,
    /// How far the spill may be from a river, m.
    pub snap_m: f64,
    /// The river's flow at the sites, m³/s (none: the sites' space is not checked).
    pub flow_m3_s: Option<f64>,
    /// How long the release lasts, minutes: the polluted water takes at least this long to pass
    /// a site (longer downstream, as it spreads).
    pub release_minutes: f64,
    /// The river or water-source plan whose sites come first.
    pub plan: Option<i64>,
}

/// Actions that hold the river's water back, and so need space for it.
const HOLDING: &[&str] = &["cut_off", "divert"];

/// Whether a site's emergency space holds the polluted water while it passes.
#[derive(Debug, Serialize, ToSchema)]
pub struct Storage {
    /// Water to hold: the flow over the release, m³ (a lower bound: the polluted water spreads).
    pub needed_m3: f64,
    /// The site's emergency space, m³ (none: not recorded).
    pub volume_m3: Option<f64>,
    /// Minutes until the space is full at the river's flow.
    pub fills_in_minutes: Option<f64>,
    /// Whether it holds the release (none: the space is not recorded).
    pub holds: Option<bool>,
}

impl Storage {
    /// The storage check of a site holding water back (its actions include 截流 or 引流, or are
    /// not recorded while a space is), or none where the site does not hold water.
    fn of(site: &Extra, flow_m3_s: f64, release_minutes: f64) -> Option<Self> {
        let holding = match &site.actions {
            Some(actions) => actions.iter().any(|a| HOLDING.contains(&a.as_str())),
            None => site.volume_m3.is_some(),
        };
        if !holding {
            return None;
        }
        let fills = site.volume_m3.map(|v| v / flow_m3_s / 60.0);
        Some(Self {
            needed_m3: (flow_m3_s * release_minutes * 60.0).round(),
            volume_m3: site.volume_m3,
            fills_in_minutes: fills.map(tenth),
            holds: fills.map(|f| f >= release_minutes),
        })
    }
}

/// What a river plan records of a site, and the plans that name it.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
struct Extra {
    id: i64,
    volume_m3: Option<f64>,
    actions: Option<Vec<String>>,
    plans: Vec<i64>,
}

async fn extras(pool: &PgPool, ids: &[i64]) -> Result<Vec<Extra>, Error> {
    Ok(sqlx::query_as(
        "SELECT s.id, s.volume_m3, s.actions, \
                coalesce(array_agg(p.plan_id ORDER BY p.plan_id) FILTER (WHERE p.plan_id IS NOT NULL), '{}') AS plans \
         FROM intercept_site s LEFT JOIN plan_site p ON p.site_id = s.id WHERE s.id = ANY($1) GROUP BY s.id",
    )
    .bind(ids)
    .fetch_all(pool)
    .await?)
}

/// Where a site's help comes from.
struct Source {
    layer: &'static str,
    id: i64,
    name: String,
    at: Coord<f64>,
}

async fn sources(pool: &PgPool, need: &Need) -> Result<Vec<Source>, Error> {
    let rows: Vec<(i64, String, f64, f64)> =
        match need {
            Need::Team { specialty } => crate::layers::teams::available(pool, Some(&[specialty.as_str()]))
                .await?
                .into_iter()
                .map(|t| (t.id, t.name, t.lon, t.lat))
                .collect(),
            Need::Stock { item, quantity, unit } => sqlx::query_as(
                "SELECT d.id, d.name, ST_X(d.geom), ST_Y(d.geom) FROM depot d JOIN stock_item s ON s.depot_id = d.id \
                 WHERE s.item = $1 AND ($3::text IS NULL OR s.unit = $3) \
                 GROUP BY d.id HAVING sum(s.quantity - s.reserved) >= $2 ORDER BY d.id",
            )
            .bind(item)
            .bind(quantity)
            .bind(unit)
            .fetch_all(pool)
            .await?,
        };
    let layer = if matches!(need, Need::Team { .. }) { "team" } else { "depot" };
    Ok(rows.into_iter().map(|(id, name, x, y)| Source { layer, id, name, at: Coord { x, y } }).collect())
}

/// The plan: every site downstream in order, and the recommended ones.
/// Where to stop a river spill: the sites downstream in order, each with when the pollutant is
/// there, when help can be, and the margin between.
#[derive(Debug, Serialize, ToSchema)]
pub struct Interception {
    /// Where the spill was put on the rivers.
    pub snap: Snapped,
    /// When it was spilled.
    pub spilled_at: DateTime<Utc>,
    /// Hours of flow traced.
    pub hours: f64,
    /// Minutes a site takes to set up.
    pub setup_minutes: f64,
    /// The pollutant, as the request named it.
    pub pollutant: Option<String>,
    /// The river's flow the sites' space was checked at, m³/s (none: not checked).
    pub flow_m3_s: Option<f64>,
    /// Minutes the release lasts.
    pub release_minutes: f64,
    /// The plan whose sites come first.
    pub plan: Option<i64>,
    /// Teams or depots that could be sent.
    pub helpers: usize,
    /// The sites in order of the pollutant's arrival.
    pub sites: Vec<Site>,
    /// The drinking-water intakes downstream, in order.
    pub intakes: Vec<Intake>,
    /// The recommended sites' ids: the plan's first, then the widest margin first.
    pub recommended: Vec<i64>,
}

/// An interception site downstream.
#[derive(Debug, Serialize, ToSchema)]
pub struct Site {
    /// The site's id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its kind.
    pub kind: Option<String>,
    /// What can be done there (cut_off 截流, divert 引流, dose 投药, dilute 稀释), if recorded.
    pub actions: Option<Vec<String>>,
    /// The plans that name it (一河一策一图).
    pub plans: Vec<i64>,
    /// Whether the plan asked about names it.
    pub in_plan: bool,
    /// Its emergency space against the water to hold (none: it holds no water back, or the
    /// flow was not given).
    pub storage: Option<Storage>,
    /// Minutes of flow from the spill.
    pub minutes: f64,
    /// Metres along the river.
    pub metres_along: f64,
    /// Metres from the river.
    pub distance_m: f64,
    /// When the pollutant is there.
    pub pollutant_arrives_at: DateTime<Utc>,
    /// The nearest help by road (none: none reaches it).
    pub road: Option<Help>,
    /// Minutes to set up.
    pub setup_minutes: f64,
    /// Minutes to spare: until the pollutant is there, less the road and the set-up.
    pub margin_minutes: Option<f64>,
    /// Whether it lies above the first intake.
    pub above_first_intake: bool,
    /// The intakes below it.
    pub intakes_below: Vec<Intake>,
    /// Above the first intake, help is there in time, and its space (if it holds water) does not
    /// fill before the release has passed.
    pub recommended: bool,
}

/// The help nearest a site by road.
#[derive(Debug, Serialize, ToSchema)]
pub struct Help {
    /// team or depot.
    pub layer: &'static str,
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Minutes by road.
    pub minutes: f64,
    /// When it arrives.
    pub arrives_at: DateTime<Utc>,
}

/// A drinking-water intake downstream.
#[derive(Debug, Serialize, ToSchema)]
pub struct Intake {
    /// The receptor's id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Minutes of flow from the spill.
    pub minutes: f64,
}

impl From<&Along> for Intake {
    fn from(i: &Along) -> Self {
        Self { id: i.id, name: i.name.clone(), minutes: tenth(i.hours * 60.0) }
    }
}

/// Why an interception plan is refused.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// No river near the spill.
    #[error("no river within {snap_m} m of the spill: there is nothing to intercept")]
    OffTheRivers {
        /// How far a river was looked for, metres.
        snap_m: f64,
    },
}

impl crate::error::Refusal for Refused {
    fn title(&self) -> &'static str {
        "off the river network"
    }
}

/// The interception plan of `request`.
pub async fn plan(
    pool: &PgPool,
    rivers: Arc<RoadGraph>,
    roads: Arc<RoadGraph>,
    rules: RoadRules,
    request: &Request,
) -> Result<Interception, Error> {
    let Some(start) = rivers.snap(request.at, request.snap_m, &|_| true) else {
        return Err(Refused::OffTheRivers { snap_m: request.snap_m }.into());
    };
    let hours = request.hours;
    let traced = rivers.clone();
    let reaches = crate::work::run("river trace", move || trace(&traced, &start, hours, Way::Downstream)).await?;
    let sites = along_reaches(pool, &reaches, "intercept_site", "kind", request.near_m).await?;
    let intakes: Vec<Along> = along_reaches(pool, &reaches, "receptor", "kind", 1_000.0)
        .await?
        .into_iter()
        .filter(|r| r.about.as_deref() == Some("water_intake"))
        .collect();
    let helpers = sources(pool, &request.need).await?;
    let extra = extras(pool, &sites.iter().map(|s| s.id).collect::<Vec<_>>()).await?;
    let now = Utc::now();
    let elapsed_min = (now - request.spilled_at).num_milliseconds() as f64 / 60_000.0;
    // One road search from each site for the nearest helper.
    let points: Vec<Coord<f64>> = helpers.iter().map(|h| h.at).collect();
    let site_points: Vec<Coord<f64>> = sites.iter().map(|s| s.at).collect();
    let road = tokio::task::spawn_blocking(move || {
        site_points
            .iter()
            .map(|&p| {
                route_from(&roads, p, &points, &rules, 1)
                    .ok()
                    .and_then(|r| r.ranked.first().and_then(|&i| r.reached[i].as_ref().map(|x| (i, x.seconds))))
            })
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|e| Error::Failed(format!("the road search failed: {e}")))?;
    let first_intake = intakes.first().map(|i| i.hours);
    let mut out = Vec::new();
    let mut recommended: Vec<(bool, f64, i64)> = Vec::new();
    for (site, road) in sites.iter().zip(&road) {
        let spill_min = site.hours * 60.0;
        // Minutes from now until the pollutant is there.
        let left_min = spill_min - elapsed_min;
        let arrival = road.map(|(i, seconds)| {
            let h = &helpers[i];
            Help {
                layer: h.layer,
                id: h.id,
                name: h.name.clone(),
                minutes: tenth(seconds / 60.0),
                arrives_at: now + chrono::Duration::milliseconds((seconds * 1000.0) as i64),
            }
        });
        let margin = road.map(|(_, seconds)| left_min - seconds / 60.0 - request.setup_minutes);
        let above = first_intake.is_none_or(|h| site.hours < h);
        let below = intakes.iter().filter(|i| i.hours > site.hours).map(Intake::from).collect();
        let x = extra.iter().find(|e| e.id == site.id).cloned().unwrap_or_default();
        let storage = request.flow_m3_s.and_then(|q| Storage::of(&x, q, request.release_minutes));
        let fills = storage.as_ref().is_some_and(|s| s.holds == Some(false));
        let in_plan = request.plan.is_some_and(|p| x.plans.contains(&p));
        let good = above && margin.is_some_and(|m| m > 0.0) && !fills;
        if good {
            recommended.push((in_plan, margin.unwrap_or_default(), site.id));
        }
        out.push(Site {
            id: site.id,
            name: site.name.clone(),
            kind: site.about.clone(),
            actions: x.actions,
            plans: x.plans,
            in_plan,
            storage,
            minutes: tenth(spill_min),
            metres_along: site.metres.round(),
            distance_m: tenth(site.off_m),
            pollutant_arrives_at: request.spilled_at + chrono::Duration::milliseconds((spill_min * 60_000.0) as i64),
            road: arrival,
            setup_minutes: request.setup_minutes,
            margin_minutes: margin.map(tenth),
            above_first_intake: above,
            intakes_below: below,
            recommended: good,
        });
    }
    recommended.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.total_cmp(&a.1)).then(a.2.cmp(&b.2)));
    Ok(Interception {
        snap: Snapped::of(&rivers, request.at, &start),
        spilled_at: request.spilled_at,
        hours: request.hours,
        setup_minutes: request.setup_minutes,
        pollutant: None,
        flow_m3_s: request.flow_m3_s,
        release_minutes: request.release_minutes,
        plan: request.plan,
        helpers: helpers.len(),
        sites: out,
        intakes: intakes.iter().map(Intake::from).collect(),
        recommended: recommended.iter().map(|r| r.2).collect(),
    })
}
