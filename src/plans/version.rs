//! A plan's versions and their steps before filing: drafted (a first version, or a revision
//! saying why — the six triggers of article 12 — and whether it is major), reviewed by experts
//! and neighbours, signed and published; or withdrawn. Filing moves them on ([`super::filing`]).

use chrono::NaiveDate;
use serde::Deserialize;

use super::codes::{REVISION_REASONS, VersionStatus};
use super::hold::{date, held, hold_plan};
use super::record::{self, Plan};
use super::refused::Refused;
use super::write::announce;
use crate::auth::{Actor, begin_as};
use crate::error::Error;

/// Most reviewers one review names.
pub const MAX_REVIEWERS: usize = 50;

/// A new version, or the changes to a draft.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VersionBody {
    /// What it changes, in words (at most 4,000 characters).
    pub summary: Option<String>,
    /// Why it revises the plan: risk, command, measures, resources, drill, other (a revision
    /// gives at least one; a first version none).
    pub revision_reasons: Option<Vec<String>>,
    /// A major revision is filed again within 20 working days; a minor one is notified.
    pub major: Option<bool>,
}

/// The review of a draft.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewBody {
    /// When it was reviewed (YYYY-MM-DD, not after today).
    pub reviewed_on: String,
    /// The reviewers: experts, neighbours, the public (1–50 names).
    pub reviewers: Vec<String>,
    /// Their opinions (at most 10,000 characters).
    pub opinions: Option<String>,
}

/// The signing of a reviewed version.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignBody {
    /// When it was signed (YYYY-MM-DD, on or after the review, not after today).
    pub signed_on: String,
    /// When it was published (default: the day of signing).
    pub published_on: Option<String>,
}

fn reasons(given: Option<Vec<String>>) -> Result<Option<Vec<String>>, Error> {
    let Some(mut list) = given else { return Ok(None) };
    for r in &list {
        if !REVISION_REASONS.contains(&r.as_str()) {
            return Err(Error::invalid(
                "revision_reasons",
                format!("`{r}` is not a reason for revision; one of {}", REVISION_REASONS.join(", ")),
            ));
        }
    }
    list.sort();
    list.dedup();
    Ok(Some(list))
}

/// Drafts a new version of plan `plan`: the first, or a revision of the one in force.
pub async fn create(pool: &sqlx::PgPool, actor: &Actor, plan: i64, body: VersionBody) -> Result<Plan, Error> {
    let summary = Error::text("summary", body.summary, 4000, true)?;
    let reasons = reasons(body.revision_reasons)?.unwrap_or_default();
    let mut tx = begin_as(pool, actor).await?;
    hold_plan(&mut tx, actor, plan).await?;
    let versions: Vec<(i32, String)> =
        sqlx::query_as("SELECT number, status FROM plan_version WHERE plan_id = $1 ORDER BY number DESC")
            .bind(plan)
            .fetch_all(&mut *tx)
            .await?;
    for (number, status) in &versions {
        let status = VersionStatus::parse(status)?;
        if status.is_open() {
            return Err(Refused::OpenVersion { plan, number: *number, status }.into());
        }
    }
    let revises = versions.iter().any(|(_, s)| s == "in_force" || s == "superseded");
    let major = body.major.unwrap_or(true);
    if revises && reasons.is_empty() {
        return Err(Error::invalid(
            "revision_reasons",
            format!("a revision says why; one or more of {}", REVISION_REASONS.join(", ")),
        ));
    }
    if !revises && (!reasons.is_empty() || !major) {
        let field = if reasons.is_empty() { "major" } else { "revision_reasons" };
        return Err(Error::invalid(
            field,
            "the plan has never been in force: this version is a first one, filed in full",
        ));
    }
    let number = versions.first().map_or(1, |(n, _)| n + 1);
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO plan_version (plan_id, number, revision_reasons, major, summary, author) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(plan)
    .bind(number)
    .bind(&reasons)
    .bind(major)
    .bind(&summary)
    .bind(&actor.name)
    .fetch_one(&mut *tx)
    .await?;
    announce(&mut tx, "version_drafted", plan, serde_json::json!({"version_id": id, "number": number})).await?;
    record::finish(tx, plan).await
}

fn state(plan: i64, number: i32, status: VersionStatus, step: &'static str, needed: &'static str) -> Error {
    Refused::VersionState { plan, number, status, step, needed }.into()
}

/// Changes a draft's summary, reasons or weight.
pub async fn edit(
    pool: &sqlx::PgPool,
    actor: &Actor,
    plan: i64,
    version: i64,
    body: VersionBody,
) -> Result<Plan, Error> {
    let summary = Error::text("summary", body.summary, 4000, true)?;
    let reasons = reasons(body.revision_reasons)?;
    let mut tx = begin_as(pool, actor).await?;
    hold_plan(&mut tx, actor, plan).await?;
    let (status, number) = held(&mut tx, plan, version).await?;
    if status != VersionStatus::Drafting {
        return Err(state(plan, number, status, "a change", "drafting"));
    }
    let revision = number > 1 && (reasons.as_ref().is_some_and(|r| r.is_empty()));
    if revision {
        return Err(Error::invalid("revision_reasons", "a revision says why; give at least one reason"));
    }
    sqlx::query(
        "UPDATE plan_version SET summary = coalesce($2, summary), revision_reasons = coalesce($3, revision_reasons), \
           major = coalesce($4, major) WHERE id = $1",
    )
    .bind(version)
    .bind(&summary)
    .bind(&reasons)
    .bind(body.major)
    .execute(&mut *tx)
    .await?;
    record::finish(tx, plan).await
}

/// Records the review of a draft: it becomes `reviewed`.
pub async fn review(
    pool: &sqlx::PgPool,
    actor: &Actor,
    plan: i64,
    version: i64,
    body: ReviewBody,
) -> Result<Plan, Error> {
    let today = super::today();
    let reviewed_on = date("reviewed_on", &body.reviewed_on, today)?;
    if body.reviewers.is_empty() || body.reviewers.len() > MAX_REVIEWERS {
        return Err(Error::invalid("reviewers", format!("name 1–{MAX_REVIEWERS} reviewers")));
    }
    let mut reviewers = Vec::with_capacity(body.reviewers.len());
    for name in body.reviewers {
        match Error::text("reviewers", Some(name), 100, false)? {
            Some(n) if !n.is_empty() => reviewers.push(n),
            _ => return Err(Error::invalid("reviewers", "a reviewer's name is empty")),
        }
    }
    let opinions = Error::text("opinions", body.opinions, 10_000, true)?;
    let mut tx = begin_as(pool, actor).await?;
    hold_plan(&mut tx, actor, plan).await?;
    let (status, number) = held(&mut tx, plan, version).await?;
    if status != VersionStatus::Drafting {
        return Err(state(plan, number, status, "a review", "drafting"));
    }
    sqlx::query(
        "UPDATE plan_version SET status = 'reviewed', reviewed_on = $2, reviewers = $3, review_opinions = $4 \
         WHERE id = $1",
    )
    .bind(version)
    .bind(reviewed_on)
    .bind(&reviewers)
    .bind(&opinions)
    .execute(&mut *tx)
    .await?;
    announce(&mut tx, "version_reviewed", plan, serde_json::json!({"version_id": version, "number": number})).await?;
    record::finish(tx, plan).await
}

/// Records the signing and publication of a reviewed version: it becomes `signed`, and the
/// 20 working days to file it begin. What it was written against is kept (`basis`): its
/// sources as they are and the receptors its scenarios threaten on `rivers` and in the air.
pub async fn sign(
    pool: &sqlx::PgPool,
    rivers: std::sync::Arc<crate::routing::RoadGraph>,
    actor: &Actor,
    plan: i64,
    version: i64,
    body: SignBody,
) -> Result<Plan, Error> {
    let today = super::today();
    let signed_on = date("signed_on", &body.signed_on, today)?;
    let published_on = match &body.published_on {
        Some(p) => date("published_on", p, today)?,
        None => signed_on,
    };
    if published_on < signed_on {
        return Err(Error::invalid("published_on", format!("{published_on} is before the signing ({signed_on})")));
    }
    let mut tx = begin_as(pool, actor).await?;
    hold_plan(&mut tx, actor, plan).await?;
    let (status, number) = held(&mut tx, plan, version).await?;
    if status != VersionStatus::Reviewed {
        return Err(state(plan, number, status, "signing", "reviewed"));
    }
    let reviewed_on: NaiveDate = sqlx::query_scalar("SELECT reviewed_on FROM plan_version WHERE id = $1")
        .bind(version)
        .fetch_one(&mut *tx)
        .await?;
    if signed_on < reviewed_on {
        return Err(Error::invalid("signed_on", format!("{signed_on} is before the review ({reviewed_on})")));
    }
    sqlx::query("UPDATE plan_version SET status = 'signed', signed_on = $2, published_on = $3 WHERE id = $1")
        .bind(version)
        .bind(signed_on)
        .bind(published_on)
        .execute(&mut *tx)
        .await?;
    // What the version was written against: its sources' grades and substances, and the
    // receptors its scenarios threaten, now.
    let mut threatened = Vec::new();
    for scenario in super::scenario::of_versions(&mut tx, &[version]).await? {
        threatened.extend(super::threat::of(pool, rivers.clone(), &scenario).await?.receptors());
    }
    threatened.sort_unstable();
    threatened.dedup();
    sqlx::query(
        "UPDATE plan_version SET basis = jsonb_build_object('threatened', to_jsonb($3::bigint[]), 'sources', ( \
           SELECT coalesce(jsonb_agg(jsonb_build_object('id', s.id, 'grade', s.grade, 'substances', \
                    (SELECT coalesce(jsonb_agg(x.name ORDER BY x.name), '[]') FROM risk_substance x \
                      WHERE x.risk_source_id = s.id)) ORDER BY s.id), '[]') \
             FROM risk_source s WHERE s.id IN (SELECT risk_source_id FROM plan_source WHERE plan_id = $2 \
                                               UNION SELECT risk_source_id FROM plan_scenario WHERE version_id = $1))) \
         WHERE id = $1",
    )
    .bind(version)
    .bind(plan)
    .bind(&threatened)
    .execute(&mut *tx)
    .await?;
    announce(&mut tx, "version_signed", plan, serde_json::json!({"version_id": version, "number": number})).await?;
    record::finish(tx, plan).await
}

/// Withdraws a version (one in force too: the plan then has none in force); not while the
/// bureau checks its filing.
pub async fn withdraw(pool: &sqlx::PgPool, actor: &Actor, plan: i64, version: i64) -> Result<Plan, Error> {
    let mut tx = begin_as(pool, actor).await?;
    hold_plan(&mut tx, actor, plan).await?;
    let (status, number) = held(&mut tx, plan, version).await?;
    if !matches!(
        status,
        VersionStatus::Drafting | VersionStatus::Reviewed | VersionStatus::Signed | VersionStatus::InForce
    ) {
        return Err(state(
            plan,
            number,
            status,
            "withdrawal",
            "drafting, reviewed, signed or in force (not filed and waiting)",
        ));
    }
    sqlx::query("UPDATE plan_version SET status = 'withdrawn', ended_on = $2 WHERE id = $1")
        .bind(version)
        .bind(super::today())
        .execute(&mut *tx)
        .await?;
    announce(&mut tx, "version_withdrawn", plan, serde_json::json!({"version_id": version, "number": number})).await?;
    record::finish(tx, plan).await
}
