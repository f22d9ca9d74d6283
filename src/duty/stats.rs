//! The year's incidents in figures (drills left out): counts by year, month, cause, district, severity or kind,
//! and how fast the desk answered — minutes from discovery to the initial report, to the first
//! arrival on site, to closing (count, mean, median) — and how many initial reports were late.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;

use crate::error::{Error, Invalid};

fn bad(field: &str, detail: String) -> Error {
    Error::BadQuery(Invalid::field(field, detail))
}

/// What to group by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    /// Calendar year (China Standard Time).
    Year,
    /// Calendar month.
    Month,
    /// Cause category.
    Cause,
    /// DistrictNamed.
    DistrictNamed,
    /// Severity.
    Severity,
    /// Water, air, soil.
    Kind,
}

impl By {
    const ALL: [(&'static str, By); 6] = [
        ("year", By::Year),
        ("month", By::Month),
        ("cause", By::Cause),
        ("district", By::DistrictNamed),
        ("severity", By::Severity),
        ("kind", By::Kind),
    ];

    /// The grouping called `name`.
    pub fn parse(name: &str) -> Result<Self, Error> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|(_, b)| *b).ok_or_else(|| {
            let names: Vec<&str> = Self::ALL.iter().map(|(n, _)| *n).collect();
            bad("by", format!("`{name}` is not a grouping; use {}", names.join(", ")))
        })
    }

    /// The SQL of the group key over `i` (fixed text, never from a request), and of its order.
    fn sql(self) -> (&'static str, &'static str) {
        match self {
            Self::Year => ("to_char(i.occurred_at AT TIME ZONE 'Asia/Shanghai', 'YYYY')", "1"),
            Self::Month => ("to_char(i.occurred_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')", "1"),
            Self::Cause => ("coalesce(i.cause, 'unknown')", "2 DESC, 1"),
            Self::DistrictNamed => ("coalesce(i.district_name, 'unknown')", "2 DESC, 1"),
            Self::Severity => ("i.severity", "array_position(ARRAY['一般', '较大', '重大', '特别重大'], i.severity)"),
            Self::Kind => ("i.kind", "2 DESC, 1"),
        }
    }
}

/// A `from` or `to` bound: a date (the whole day, in China Standard Time) or an instant.
/// `end` gives the end of a date rather than its start.
pub fn bound(name: &str, value: &str, end: bool) -> Result<DateTime<Utc>, Error> {
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Ok(t.to_utc());
    }
    let date = crate::time::day(value).ok_or_else(|| {
        bad(name, format!("`{value}` is not a date (YYYY-MM-DD, years 0001–9999) or a time (RFC 3339)"))
    })?;
    let day = if end { date.succ_opt().unwrap_or(date) } else { date };
    Ok(crate::time::day_start(day).to_utc())
}

/// The statistics query.
#[derive(Debug)]
pub struct Query {
    /// Grouping.
    pub by: By,
    /// Incidents that occurred at or after this.
    pub from: Option<DateTime<Utc>>,
    /// … and before this.
    pub to: Option<DateTime<Utc>>,
    /// Only this district (name or code).
    pub district: Option<String>,
}

const FIGURES: &str = "count(*) AS count,
    count(i.initial_reported_at) AS initial_n,
    avg(extract(epoch FROM i.initial_reported_at - i.discovered_at) / 60)::float8 AS initial_mean,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM i.initial_reported_at - i.discovered_at) / 60) AS initial_median,
    count(i.first_arrival) AS arrival_n,
    avg(extract(epoch FROM i.first_arrival - i.discovered_at) / 60)::float8 AS arrival_mean,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM i.first_arrival - i.discovered_at) / 60) AS arrival_median,
    count(i.closed_at) AS close_n,
    avg(extract(epoch FROM i.closed_at - i.discovered_at) / 60)::float8 AS close_mean,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM i.closed_at - i.discovered_at) / 60) AS close_median,
    count(*) FILTER (WHERE i.initial_reported_at > i.initial_report_due_at
                        OR (i.initial_reported_at IS NULL AND i.initial_report_due_at < now())) AS late";

/// The figures of one group.
#[derive(Debug, sqlx::FromRow)]
struct Figures {
    count: i64,
    initial_n: i64,
    initial_mean: Option<f64>,
    initial_median: Option<f64>,
    arrival_n: i64,
    arrival_mean: Option<f64>,
    arrival_median: Option<f64>,
    close_n: i64,
    close_mean: Option<f64>,
    close_median: Option<f64>,
    late: i64,
}

#[derive(Debug, sqlx::FromRow)]
struct Group {
    /// None: the total.
    key: Option<String>,
    #[sqlx(flatten)]
    figures: Figures,
}

/// The figures of one group, as answered.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IncidentFigures {
    /// Incidents.
    pub count: i64,
    /// Minutes from discovery to each step.
    pub minutes: Minutes,
    /// Incidents whose initial report was late, or is overdue.
    pub initial_report_late: i64,
}

/// Minutes from discovery to the initial report, the first arrival and the close.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Minutes {
    /// To the initial report.
    pub to_initial_report: Spread,
    /// To the first dispatch arriving.
    pub to_first_arrival: Spread,
    /// To the close.
    pub to_close: Spread,
}

/// How many incidents got there, and their mean and median minutes (to 0.1).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Spread {
    /// Incidents that got there.
    pub n: i64,
    /// Mean minutes.
    pub mean: Option<f64>,
    /// Median minutes.
    pub median: Option<f64>,
}

impl Figures {
    fn summary(&self) -> IncidentFigures {
        let round = |v: Option<f64>| v.map(|m| (m * 10.0).round() / 10.0);
        let part =
            |n: i64, mean: Option<f64>, median: Option<f64>| Spread { n, mean: round(mean), median: round(median) };
        IncidentFigures {
            count: self.count,
            minutes: Minutes {
                to_initial_report: part(self.initial_n, self.initial_mean, self.initial_median),
                to_first_arrival: part(self.arrival_n, self.arrival_mean, self.arrival_median),
                to_close: part(self.close_n, self.close_mean, self.close_median),
            },
            initial_report_late: self.late,
        }
    }
}

/// Counts and response times by group and in all.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Stats {
    /// The grouping.
    pub by: Option<&'static str>,
    /// First moment counted.
    pub from: Option<DateTime<Utc>>,
    /// Moment counted up to.
    pub to: Option<DateTime<Utc>>,
    /// The district counted, when one was asked for.
    pub district: Option<DistrictNamed>,
    /// The groups, in the grouping's order.
    pub groups: Vec<IncidentGroup>,
    /// All the incidents counted.
    pub total: IncidentFigures,
}

/// The figures of one group.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IncidentGroup {
    /// The group: a year, a month, a cause … (null: not given).
    pub key: Option<String>,
    #[serde(flatten)]
    summary: IncidentFigures,
}

/// A district by name and code.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DistrictNamed {
    /// Its name.
    pub name: String,
    /// Its code.
    pub code: String,
}

/// Counts and response times of the incidents matching `query`, by group and in all.
pub async fn incidents(pool: &PgPool, query: &Query) -> Result<Stats, Error> {
    if let (Some(from), Some(to)) = (query.from, query.to)
        && from > to
    {
        return Err(bad("from", format!("from ({from}) is after to ({to})")));
    }
    let district: Option<(String, String)> = match &query.district {
        Some(d) => Some(
            sqlx::query_as("SELECT name, code FROM district WHERE $1 IN (name, code)")
                .bind(d)
                .fetch_optional(pool)
                .await?
                .ok_or_else(|| bad("district", format!("no district is called {d}")))?,
        ),
        None => None,
    };
    let (name, code) = district.clone().unzip();
    let source = "WITH i AS (
        SELECT x.*, coalesce(d.name, x.district) AS district_name,
               (SELECT min(p.arrived_at) FROM dispatch p WHERE p.incident_id = x.id) AS first_arrival
          FROM incident x LEFT JOIN district d ON x.district IN (d.name, d.code)
         WHERE NOT x.drill
           AND ($1::timestamptz IS NULL OR x.occurred_at >= $1) AND ($2::timestamptz IS NULL OR x.occurred_at < $2)
           AND ($3::text IS NULL OR x.district IN ($3, $4)))";
    let (key, order) = query.by.sql();
    // The groups and the total in one pass: the total is the grouping set without a key.
    let grouped = format!(
        "{source} SELECT {key} AS key, {FIGURES} FROM i GROUP BY GROUPING SETS (({key}), ()) \
         ORDER BY GROUPING({key}), {order}"
    );
    let mut rows: Vec<Group> = sqlx::query_as(sqlx::AssertSqlSafe(grouped))
        .bind(query.from)
        .bind(query.to)
        .bind(&name)
        .bind(&code)
        .fetch_all(pool)
        .await?;
    let total = rows.pop().filter(|r| r.key.is_none()).ok_or_else(|| Error::Failed("no total row".into()))?.figures;
    let groups = rows.into_iter().map(|r| IncidentGroup { key: r.key, summary: r.figures.summary() }).collect();
    let by = By::ALL.iter().find(|(_, b)| *b == query.by).map(|(n, _)| *n);
    Ok(Stats {
        by,
        from: query.from,
        to: query.to,
        district: district.map(|(name, code)| DistrictNamed { name, code }),
        groups,
        total: total.summary(),
    })
}
