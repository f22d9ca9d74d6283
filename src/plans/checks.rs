//! Plans checked live against the map (★): because onemap keeps the registry a plan speaks of,
//! it says when the plan in force no longer holds — a depot it counts on lacks the stock today
//! (or the stock expires before the next review), a team it counts on is gone or off duty, a
//! receptor its scenarios threaten was not threatened when it was signed, a source's grade or
//! substances changed since, a drill or a real response found something. Each is a revision flag
//! with its reason (the triggers of article 12); it clears itself when the map holds again.

use std::sync::Arc;

use chrono::NaiveDate;
use serde::Deserialize;
use sqlx::PgPool;

use super::clock::Clock;
use super::flag::Flag;
use super::record::Plan;
use super::scenario::Resource;
use crate::error::Error;
use crate::routing::RoadGraph;

/// What the version in force was written against.
#[derive(Debug, Default, Deserialize)]
struct Basis {
    #[serde(default)]
    threatened: Vec<i64>,
    #[serde(default)]
    sources: Vec<SourceThen>,
}

#[derive(Debug, Deserialize)]
struct SourceThen {
    id: i64,
    grade: Option<String>,
    substances: Vec<String>,
}

/// The revision flags of `plan` today (none without a version in force).
pub async fn check(pool: &PgPool, rivers: Arc<RoadGraph>, plan: &Plan, today: NaiveDate) -> Result<Vec<Flag>, Error> {
    let Some(version) = plan.in_force.and_then(|id| plan.version(id)) else { return Ok(Vec::new()) };
    let next_review = plan.clock.iter().find(|d| d.clock == Clock::Review).and_then(|d| d.on);
    let mut flags = Vec::new();
    for s in &version.scenarios {
        for (i, r) in s.resources.0.iter().enumerate() {
            if let Some(flag) = resource(pool, plan, s.id, i, r, today, next_review).await? {
                flags.push(flag);
            }
        }
    }
    let basis: Option<sqlx::types::Json<Basis>> =
        sqlx::query_scalar("SELECT basis FROM plan_version WHERE id = $1").bind(version.id).fetch_one(pool).await?;
    let basis = basis.map(|b| b.0).unwrap_or_default();
    // Each receptor threatened now and not when signed: once, with the scenarios that reach it.
    let mut reached: std::collections::BTreeMap<i64, Vec<&str>> = std::collections::BTreeMap::new();
    for s in &version.scenarios {
        for id in super::threat::of(pool, rivers.clone(), s).await?.receptors() {
            if !basis.threatened.contains(&id) {
                reached.entry(id).or_default().push(&s.title);
            }
        }
    }
    let ids: Vec<i64> = reached.keys().copied().collect();
    let new: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT id, name, kind FROM receptor WHERE id = ANY($1) ORDER BY id")
            .bind(&ids)
            .fetch_all(pool)
            .await?;
    for (id, name, kind) in new {
        let kind = crate::layers::words::label(&crate::layers::words::RECEPTOR_KIND, &kind).unwrap_or("敏感目标");
        let titles = reached.get(&id).map(|t| t.join("」「")).unwrap_or_default();
        flags.push(Flag {
            reason: "risk",
            key: format!("receptor:{id}"),
            scenario_id: None,
            detail: format!("{name}（{kind}）在情景「{titles}」的影响范围内，预案签署时不在"),
        });
    }
    for then in &basis.sources {
        let now: Option<(String, Option<String>, Vec<String>)> = sqlx::query_as(
            "SELECT s.name, s.grade, coalesce((SELECT array_agg(x.name ORDER BY x.name) FROM risk_substance x \
               WHERE x.risk_source_id = s.id), '{}') FROM risk_source s WHERE s.id = $1",
        )
        .bind(then.id)
        .fetch_optional(pool)
        .await?;
        let Some((name, grade, substances)) = now else { continue };
        if grade != then.grade {
            flags.push(Flag {
                reason: "risk",
                key: format!("grade:{}:{}", then.id, grade.as_deref().unwrap_or("-")),
                scenario_id: None,
                detail: format!(
                    "{name} 的环境风险等级由{}变为{}",
                    then.grade.as_deref().unwrap_or("未定级"),
                    grade.as_deref().unwrap_or("未定级")
                ),
            });
        }
        if substances != then.substances {
            flags.push(Flag {
                reason: "risk",
                key: format!("substances:{}:{}", then.id, substances.join(",")),
                scenario_id: None,
                detail: format!(
                    "{name} 的风险物质由「{}」变为「{}」",
                    then.substances.join("、"),
                    substances.join("、")
                ),
            });
        }
    }
    let findings: Vec<(i64, String, NaiveDate, String)> = sqlx::query_as(
        "SELECT id, kind, found_on, finding FROM plan_finding WHERE plan_id = $1 AND found_on >= $2 ORDER BY id",
    )
    .bind(plan.fields.id)
    .bind(version.in_force_on.unwrap_or(NaiveDate::MIN))
    .fetch_all(pool)
    .await?;
    for (id, kind, on, finding) in findings {
        flags.push(Flag {
            reason: "drill",
            key: format!("finding:{id}"),
            scenario_id: None,
            detail: format!("{on} {}发现：{finding}", if kind == "drill" { "演练" } else { "实际应对" }),
        });
    }
    Ok(flags)
}

/// The flag of resource `i` of scenario `scenario`, if the registry no longer has it.
async fn resource(
    pool: &PgPool,
    plan: &Plan,
    scenario: i64,
    i: usize,
    r: &Resource,
    today: NaiveDate,
    next_review: Option<NaiveDate>,
) -> Result<Option<Flag>, Error> {
    let has = super::available::of(pool, &plan.fields.districts, r, today, next_review).await?;
    let flag = |detail: String| Flag {
        reason: "resources",
        key: format!("resource:{scenario}:{i}"),
        scenario_id: Some(scenario),
        detail,
    };
    Ok(match r {
        Resource::Stock { item, quantity, unit, .. } if has.now < *quantity => {
            Some(flag(format!("{item}：{}现可用 {} {unit}，预案需 {quantity} {unit}", has.place, has.now)))
        }
        Resource::Stock { item, quantity, unit, .. } if has.lasting < *quantity => {
            let review = next_review.map(|d| d.to_string()).unwrap_or_default();
            Some(flag(format!(
                "{item}：{}可用 {} {unit}，其中到下次回顾评估（{review}）前不过期的只有 {} {unit}，预案需 {quantity} {unit}",
                has.place, has.now, has.lasting
            )))
        }
        Resource::Team { specialty, count, team_id, .. } if has.now < *count as f64 => {
            let what = crate::layers::words::label(&crate::layers::words::SPECIALTY, specialty).unwrap_or("");
            Some(match team_id {
                Some(id) => flag(format!("救援队伍 {id}（{what}）已撤销、改变专业或休整")),
                None => flag(format!("{what}救援队伍现有 {} 支可用，预案需 {count} 支", has.now)),
            })
        }
        _ => None,
    })
}
