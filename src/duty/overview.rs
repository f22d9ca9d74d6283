//! The picture of the day for the command hall's wall: counts of risk sources by grade and
//! receptors by kind, the open incidents by their report deadlines, warnings in force by
//! level, the key stock with what is reserved and what must be rotated within 90 days, teams
//! available and out, and the latest events — read in one snapshot of the database, with the
//! number of the last event so that the wall follows the feed from exactly there.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::PgPool;
use utoipa::ToSchema;

use crate::error::Error;

/// The stock a wall shows unless told otherwise: what a water or chemical spill calls for first.
pub const KEY_ITEMS: [&str; 8] = ["活性炭", "围油栏", "吸油毡", "沙袋", "石灰", "聚合氯化铝", "应急泵", "防化服"];
/// Most items one overview may list.
pub const MAX_ITEMS: usize = 20;
/// StockTotal expiring within this many days is due for rotation (轮换).
pub const ROTATION_DAYS: i32 = 90;
/// Latest events listed.
pub const RECENT: i64 = 12;

const OVERVIEW_SQL: &str = "\
SELECT jsonb_build_object(
  'at', now(),
  'event', (SELECT coalesce(max(id), 0) FROM event_log),
  'risk_sources', (SELECT jsonb_build_object('total', count(*), 'by_grade', jsonb_build_object(
        '重大', count(*) FILTER (WHERE grade = '重大'), '较大', count(*) FILTER (WHERE grade = '较大'),
        '一般', count(*) FILTER (WHERE grade = '一般'), '未分级', count(*) FILTER (WHERE grade IS NULL)))
      FROM risk_source WHERE status <> 'closed'),
  'receptors', (SELECT jsonb_build_object('total', (SELECT count(*) FROM receptor),
        'by_kind', coalesce((SELECT jsonb_object_agg(kind, n) FROM (SELECT kind, count(*) AS n FROM receptor GROUP BY kind) k), '{}'))),
  'incidents', (SELECT jsonb_build_object('open', count(*), 'list', coalesce(jsonb_agg(jsonb_build_object(
        'id', i.id, 'name', i.name, 'kind', i.kind, 'severity', i.severity, 'district', i.district, 'drill', i.drill,
        'occurred_at', i.occurred_at, 'position', jsonb_build_array(ST_X(i.geom), ST_Y(i.geom)),
        'initial_report_due_at', i.initial_report_due_at, 'initial_reported_at', i.initial_reported_at,
        'initial_report_overdue', x.f->'initial_report_overdue', 'initial_report_due_soon', x.f->'initial_report_due_soon',
        'next_due_at', CASE WHEN i.initial_reported_at IS NULL THEN i.initial_report_due_at END)
        ORDER BY (i.initial_reported_at IS NULL) DESC, i.initial_report_due_at, i.occurred_at DESC), '[]'))
      FROM incident i CROSS JOIN LATERAL (SELECT incident_deadline_flags(i) AS f) x WHERE i.status = 'open'),
  'warnings', (SELECT jsonb_build_object('in_force', count(*), 'by_level', jsonb_build_object(
        '红', count(*) FILTER (WHERE level = '红'), '橙', count(*) FILTER (WHERE level = '橙'),
        '黄', count(*) FILTER (WHERE level = '黄'), '蓝', count(*) FILTER (WHERE level = '蓝')),
        'list', coalesce(jsonb_agg(jsonb_build_object('id', id, 'level', level, 'headline', headline,
          'incident_id', incident_id, 'expires', expires)
          ORDER BY array_position(ARRAY['红', '橙', '黄', '蓝'], level), id DESC), '[]'))
      FROM warning WHERE {IN_FORCE}),
  'stock', (SELECT coalesce(jsonb_agg(jsonb_build_object('item', s.item, 'unit', s.unit, 'quantity', s.quantity,
        'reserved', s.reserved, 'free', s.quantity - s.reserved, 'expiring', s.expiring, 'depots', s.depots)
        ORDER BY array_position($1::text[], s.item), s.unit), '[]')
      FROM (SELECT item, unit, sum(quantity) AS quantity, sum(reserved) AS reserved,
                   coalesce(sum(quantity) FILTER (WHERE expiry_date < current_date + $2::int), 0) AS expiring,
                   count(DISTINCT depot_id) AS depots
              FROM stock_item WHERE item = ANY($1) GROUP BY item, unit) s),
  'rotation_days', $2::int,
  'teams', (SELECT jsonb_build_object('total', count(*),
        'available', count(*) FILTER (WHERE status = 'available'),
        'dispatched', count(*) FILTER (WHERE status = 'dispatched'),
        'off_duty', count(*) FILTER (WHERE status = 'off_duty')) FROM team),
  'recent', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', id, 'at', at, 'kind', kind, 'actor', actor, 'data', data)
        ORDER BY id DESC), '[]')
      FROM (SELECT * FROM event_log ORDER BY id DESC LIMIT $3) e))";

/// The wall's figures, read in one snapshot.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Overview {
    /// When they were read.
    pub at: DateTime<Utc>,
    /// The number of the last event they include: the wall follows the feed from there.
    pub event: i64,
    /// Risk sources in operation.
    pub risk_sources: RiskSourcesByGrade,
    /// Sensitive receptors.
    pub receptors: ReceptorsByKind,
    /// Open incidents, those whose initial report is due first.
    pub incidents: OpenIncidents,
    /// WarningsInForce in force, the highest level first.
    pub warnings: WarningsInForce,
    /// The stock of the items asked for, by item and unit.
    pub stock: Vec<StockTotal>,
    /// StockTotal expiring within this many days is counted as `expiring`.
    pub rotation_days: i32,
    /// TeamsByStatus by status.
    pub teams: TeamsByStatus,
    /// The latest events, newest first.
    pub recent: Vec<RecentEvent>,
    /// The items whose stock is listed.
    #[serde(default)]
    pub items: Vec<String>,
}

/// Risk sources in operation, by grade (重大, 较大, 一般, 未分级).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RiskSourcesByGrade {
    /// All of them.
    pub total: i64,
    /// By grade.
    pub by_grade: BTreeMap<String, i64>,
}

/// ReceptorsByKind by kind.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReceptorsByKind {
    /// All of them.
    pub total: i64,
    /// By kind code.
    pub by_kind: BTreeMap<String, i64>,
}

/// The open incidents.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OpenIncidents {
    /// How many are open.
    pub open: i64,
    /// Each, with its report deadline.
    pub list: Vec<OpenIncident>,
}

/// An open incident and its initial report's deadline.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OpenIncident {
    /// The incident's id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its kind code.
    pub kind: Option<String>,
    /// Its severity code.
    pub severity: Option<String>,
    /// Its district.
    pub district: Option<String>,
    /// When it happened.
    pub occurred_at: Option<DateTime<Utc>>,
    /// Where: longitude, latitude.
    pub position: [f64; 2],
    /// When the initial report is due.
    pub initial_report_due_at: Option<DateTime<Utc>>,
    /// When it was made.
    pub initial_reported_at: Option<DateTime<Utc>>,
    /// The initial report is late.
    pub initial_report_overdue: Option<bool>,
    /// The initial report is due soon.
    pub initial_report_due_soon: Option<bool>,
    /// The next deadline (none once the initial report is made).
    pub next_due_at: Option<DateTime<Utc>>,
    /// An exercise (演练).
    #[serde(default)]
    pub drill: bool,
}

/// WarningsInForce in force.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WarningsInForce {
    /// How many.
    pub in_force: i64,
    /// By level (红, 橙, 黄, 蓝).
    pub by_level: BTreeMap<String, i64>,
    /// Each, the highest level first.
    pub list: Vec<WarningInForce>,
}

/// A warning in force.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WarningInForce {
    /// The warning's id.
    pub id: i64,
    /// 红, 橙, 黄 or 蓝.
    pub level: String,
    /// One line.
    pub headline: String,
    /// The incident it is for.
    pub incident_id: Option<i64>,
    /// Until when.
    pub expires: DateTime<Utc>,
}

/// The stock of one item in one unit, across depots.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StockTotal {
    /// The item.
    pub item: String,
    /// Its unit.
    pub unit: String,
    /// Held.
    pub quantity: f64,
    /// Reserved by dispatches.
    pub reserved: f64,
    /// Held and not reserved.
    pub free: f64,
    /// Expiring within `rotation_days`.
    pub expiring: f64,
    /// Depots holding it.
    pub depots: i64,
}

/// TeamsByStatus by status.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TeamsByStatus {
    /// All of them.
    pub total: i64,
    /// Ready to go.
    pub available: i64,
    /// Out on a dispatch.
    pub dispatched: i64,
    /// Off duty.
    pub off_duty: i64,
}

/// One event of the feed.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RecentEvent {
    /// Its number.
    pub id: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// What kind of event.
    pub kind: String,
    /// Who.
    pub actor: Option<String>,
    /// What, as the event tells it.
    #[schema(value_type = Object)]
    pub data: Value,
}

/// The overview, with the stock of `items` (None: [`KEY_ITEMS`]).
pub async fn overview(pool: &PgPool, items: Option<Vec<String>>) -> Result<Overview, Error> {
    let items = items.unwrap_or_else(|| KEY_ITEMS.iter().map(|s| s.to_string()).collect());
    if items.is_empty() || items.len() > MAX_ITEMS || items.iter().any(|i| i.is_empty() || i.chars().count() > 100) {
        return Err(Error::BadQuery(crate::error::Invalid::field(
            "items",
            format!("give 1–{MAX_ITEMS} item names, comma-separated"),
        )));
    }
    // One statement: one snapshot, so the counts and the event number agree. "In force" is the
    // warnings' own definition, written in once.
    static SQL: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| OVERVIEW_SQL.replace("{IN_FORCE}", crate::warning::record::IN_FORCE));
    let sqlx::types::Json(mut overview): sqlx::types::Json<Overview> =
        sqlx::query_scalar(sqlx::AssertSqlSafe(SQL.as_str()))
            .bind(&items)
            .bind(ROTATION_DAYS)
            .bind(RECENT)
            .fetch_one(pool)
            .await?;
    overview.items = items;
    Ok(overview)
}
