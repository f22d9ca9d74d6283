//! What a bureau works from (`GET /api/plans/due`): the risk sources that must file a plan and
//! have none in force, the filings the bureau has not decided in time, the plans whose filing
//! or review is due soon or overdue — by district, worst first.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, bail};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

use sqlx::PgPool;

use crate::routing::RoadGraph;

use super::clock::{Clock, Standing};
use super::record::{self, Plan, Which};
use crate::error::Error;

/// The built-in scope of who must file.
pub const DEFAULT_SCOPE: &str = include_str!("../../config/plan-filing-scope.json");

/// Who must file a plan: sources of these grades, or of these industries.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scope {
    #[serde(default, rename = "about")]
    _about: Option<String>,
    /// HJ 941 grades that must file.
    pub grades: Vec<String>,
    /// Industries (as the registry names them) that must file whatever their grade.
    pub industries: Vec<String>,
}

impl Scope {
    /// Parses and checks a scope file.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let scope: Self = serde_json::from_str(text).context("not a plan-filing scope file")?;
        let grades = crate::layers::words::codes(&crate::layers::words::GRADE);
        if let Some(g) = scope.grades.iter().find(|g| !grades.contains(&g.as_str())) {
            bail!("grades: `{g}` is not a grade; use {}", grades.join(", "));
        }
        if scope.industries.len() > 500 || scope.industries.iter().any(|i| i.trim().is_empty() || i.len() > 200) {
            bail!("industries: at most 500 names of 1–200 bytes");
        }
        Ok(scope)
    }

    /// The built-in scope.
    pub fn builtin() -> Self {
        Self::parse(DEFAULT_SCOPE).expect("the built-in plan-filing scope is valid")
    }
}

/// Why an entry is on the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Why {
    /// A risk source that must file has no plan in force.
    NoPlan,
    /// A signed version is not filed (20 working days).
    Filing,
    /// A submitted filing is not decided (5 working days).
    Acceptance,
    /// A plan in force is due for review (3 years).
    Review,
    /// A plan in force no longer holds against the map: revise it.
    Revision,
}

/// One entry of the list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DueEntry {
    /// Why it is listed.
    pub why: Why,
    /// overdue, none (a source without a plan in force), revise, due_soon or unknown.
    pub standing: String,
    /// The district (区县 code).
    pub district: Option<String>,
    /// The district's name.
    pub district_name: Option<String>,
    /// The risk source (no_plan entries, and enterprise plans' first source).
    pub risk_source_id: Option<i64>,
    /// Its name.
    pub risk_source: Option<String>,
    /// Its grade.
    pub grade: Option<String>,
    /// The plan, if there is one.
    pub plan_id: Option<i64>,
    /// Its name.
    pub plan: Option<String>,
    /// The last day allowed, if known.
    pub due_on: Option<NaiveDate>,
    /// What is due, in words.
    pub detail: String,
}

/// The list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DueList {
    /// The day it was made for.
    pub today: NaiveDate,
    /// Worst first (overdue, without a plan, to revise, due soon, unknown), then by district.
    pub entries: Vec<DueEntry>,
}

#[derive(sqlx::FromRow)]
struct MustFile {
    id: i64,
    name: String,
    grade: Option<String>,
    district_code: Option<String>,
    district_name: Option<String>,
}

fn clock_words(clock: Clock) -> (Why, &'static str) {
    match clock {
        Clock::Filing => (Why::Filing, "签署后 20 个工作日内备案"),
        Clock::Acceptance => (Why::Acceptance, "受理后 5 个工作日内完成备案审查"),
        Clock::Review => (Why::Review, "至少每三年回顾评估一次"),
    }
}

/// The list for `district` (a 区县 code; None: the whole city) as of `today`, the plans in force
/// checked against the map (rivers for their water scenarios).
pub async fn list(
    pool: &PgPool,
    rivers: Arc<RoadGraph>,
    scope: &Scope,
    district: Option<&str>,
    today: NaiveDate,
) -> Result<DueList, Error> {
    let conn = &mut *pool.acquire().await?;
    let plans = record::read(conn, &Which::default(), today).await?;
    let names: BTreeMap<String, String> = sqlx::query_as::<_, (String, String)>("SELECT code, name FROM district")
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .collect();
    let covered: BTreeSet<i64> =
        plans.iter().filter(|p| p.in_force.is_some()).flat_map(|p| p.sources.iter().map(|s| s.id)).collect();
    let must: Vec<MustFile> = sqlx::query_as(
        "SELECT s.id, s.name, s.grade, d.code AS district_code, d.name AS district_name FROM risk_source s \
         LEFT JOIN district d ON s.district IN (d.code, d.name) \
         WHERE s.status <> 'closed' AND (s.grade = ANY($1) OR s.industry = ANY($2)) \
           AND ($3::text IS NULL OR d.code = $3) ORDER BY s.id",
    )
    .bind(&scope.grades)
    .bind(&scope.industries)
    .bind(district)
    .fetch_all(&mut *conn)
    .await?;
    let mut entries = Vec::new();
    for s in must.into_iter().filter(|s| !covered.contains(&s.id)) {
        let plan = plans.iter().find(|p| p.sources.iter().any(|x| x.id == s.id));
        entries.push(DueEntry {
            why: Why::NoPlan,
            standing: "none".into(),
            district: s.district_code,
            district_name: s.district_name,
            risk_source_id: Some(s.id),
            risk_source: Some(s.name),
            grade: s.grade,
            plan_id: plan.map(|p| p.fields.id),
            plan: plan.map(|p| p.fields.name.clone()),
            due_on: None,
            detail: match plan {
                Some(_) => "应备案企业：预案尚未备案生效".into(),
                None => "应备案企业：无应急预案".into(),
            },
        });
    }
    let of_plan = |p: &Plan, why: Why, standing: &str, due_on: Option<NaiveDate>, detail: String| {
        let source = p.sources.first();
        DueEntry {
            why,
            standing: standing.into(),
            district: Some(p.fields.district.clone()),
            district_name: names.get(&p.fields.district).cloned(),
            risk_source_id: source.map(|s| s.id),
            risk_source: source.map(|s| s.name.clone()),
            grade: source.and_then(|s| s.grade.clone()),
            plan_id: Some(p.fields.id),
            plan: Some(p.fields.name.clone()),
            due_on,
            detail,
        }
    };
    for p in plans.iter().filter(|p| district.is_none_or(|d| p.fields.district == d)) {
        for due in p.clock.iter().filter(|d| d.standing.is_flag() || d.standing == Standing::Unknown) {
            let (why, words) = clock_words(due.clock);
            let detail = match &due.note {
                Some(note) => format!("{words}（{note}）"),
                None => words.to_string(),
            };
            entries.push(of_plan(p, why, due.standing.code(), due.on, detail));
        }
        if p.in_force.is_some() {
            let flags = super::checks::check(pool, rivers.clone(), p, today).await?;
            if !flags.is_empty() {
                let detail = flags.iter().map(|f| f.detail.as_str()).collect::<Vec<_>>().join("；");
                entries.push(of_plan(p, Why::Revision, "revise", None, detail));
            }
        }
    }
    let rank = |s: &str| match s {
        "overdue" => 0,
        "none" => 1,
        "revise" => 2,
        "due_soon" => 3,
        "unknown" => 4,
        _ => 5,
    };
    entries.sort_by(|a, b| {
        (rank(&a.standing), &a.district, a.why, a.due_on, a.plan_id, a.risk_source_id).cmp(&(
            rank(&b.standing),
            &b.district,
            b.why,
            b.due_on,
            b.plan_id,
            b.risk_source_id,
        ))
    });
    Ok(DueList { today, entries })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_scope_reads_and_bad_ones_do_not() {
        assert!(Scope::builtin().grades.contains(&"重大".to_string()));
        assert!(Scope::parse(r#"{"grades": ["特大"], "industries": []}"#).is_err());
        assert!(Scope::parse(r#"{"grades": [], "industries": [""]}"#).is_err());
        assert!(Scope::parse(r#"{"grades": [], "industries": [], "extra": 1}"#).is_err());
    }
}
