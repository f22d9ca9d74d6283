//! Filing with the county-level bureau (环发〔2015〕4号): a signed version is submitted (not before
//! its signing); the bureau accepts it within 5 working days with a filing number — given, and
//! checked against the plan's district, the year and the risk level, or the next of the
//! district's year — or returns it listing everything missing at once. A minor change is
//! notified and in force at once. Acceptance puts the version in force and supersedes the last.

use chrono::Datelike;
use serde::Deserialize;
use sqlx::PgConnection;

use super::codes::{FilingKind, FilingStatus, VersionStatus};
use super::hold::{date, held, hold_plan};
use super::number::FilingNumber;
use super::record::{self, Plan};
use super::refused::Refused;
use super::write::announce;
use crate::auth::{Actor, begin_as, jurisdiction};
use crate::error::Error;

/// The risk levels, as a filing number's level names them.
const GRADES: [&str; 3] = crate::layers::words::codes(&crate::layers::words::GRADE);

/// Most items a return lists.
pub const MAX_MISSING: usize = 50;

/// A submission.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitBody {
    /// The version filed (signed).
    pub version_id: i64,
    /// initial, change or notice (default: what the plan's history makes it).
    pub kind: Option<String>,
    /// When it was handed in (YYYY-MM-DD; default today).
    pub submitted_on: Option<String>,
}

/// The bureau's acceptance.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptBody {
    /// The filing number (district-year-serial-level[T]); default: the district's next of the year.
    pub filing_number: Option<String>,
    /// When it was accepted (YYYY-MM-DD; default today).
    pub decided_on: Option<String>,
    /// Remarks.
    pub remarks: Option<String>,
}

/// The bureau's return.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnBody {
    /// Everything missing or wrong, at once (documents onemap finds missing are added).
    #[serde(default)]
    pub missing: Vec<String>,
    /// When it was returned (YYYY-MM-DD; default today).
    pub decided_on: Option<String>,
    /// Remarks.
    pub remarks: Option<String>,
}

/// What a submission of `version` must be, given the plan's history.
fn kind_of(plan: &Plan, version: i64) -> FilingKind {
    let ever_in_force = plan.versions.iter().any(|v| v.id != version && v.in_force_on.is_some());
    let major = plan.version(version).is_none_or(|v| v.major);
    match (ever_in_force, major) {
        (false, _) => FilingKind::Initial,
        (true, true) => FilingKind::Change,
        (true, false) => FilingKind::Notice,
    }
}

/// Puts `version` in force on `on`, superseding the version in force before.
async fn into_force(conn: &mut PgConnection, plan: i64, version: i64, on: chrono::NaiveDate) -> Result<(), Error> {
    sqlx::query(
        "UPDATE plan_version SET status = 'superseded', ended_on = $3 \
         WHERE plan_id = $1 AND status = 'in_force' AND id <> $2",
    )
    .bind(plan)
    .bind(version)
    .bind(on)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE plan_version SET status = 'in_force', in_force_on = $2 WHERE id = $1")
        .bind(version)
        .bind(on)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Submits a signed version for filing (or notifies a minor change, in force at once).
pub async fn submit(pool: &sqlx::PgPool, actor: &Actor, plan: i64, body: SubmitBody) -> Result<Plan, Error> {
    let today = super::today();
    let submitted_on = match &body.submitted_on {
        Some(d) => date("submitted_on", d, today)?,
        None => today,
    };
    let asked = body.kind.as_deref().map(|k| FilingKind::parse_field("kind", k)).transpose()?;
    let mut tx = begin_as(pool, actor).await?;
    hold_plan(&mut tx, actor, plan).await?;
    let (status, number) = held(&mut tx, plan, body.version_id).await?;
    if status != VersionStatus::Signed {
        return Err(Refused::VersionState { plan, number, status, step: "filing", needed: "signed" }.into());
    }
    let current = record::one(&mut tx, plan).await?;
    let signed_on = current.version(body.version_id).and_then(|v| v.signed_on);
    if let Some(signed) = signed_on
        && submitted_on < signed
    {
        return Err(Error::invalid("submitted_on", format!("{submitted_on} is before the signing ({signed})")));
    }
    let kind = kind_of(&current, body.version_id);
    if let Some(asked) = asked
        && asked != kind
    {
        return Err(Error::invalid(
            "kind",
            format!(
                "version {number} is a{} filing by the plan's history, not {asked}",
                match kind {
                    FilingKind::Initial => "n initial",
                    FilingKind::Change => " change",
                    FilingKind::Notice => " notice",
                }
            ),
        ));
    }
    let notice = kind == FilingKind::Notice;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO plan_filing (plan_id, version_id, kind, status, submitted_on, submitted_by, decided_on, decided_by) \
         VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $7 THEN $5 END, CASE WHEN $7 THEN $6 END) RETURNING id",
    )
    .bind(plan)
    .bind(body.version_id)
    .bind(kind.code())
    .bind(if notice { FilingStatus::Accepted.code() } else { FilingStatus::Submitted.code() })
    .bind(submitted_on)
    .bind(&actor.name)
    .bind(notice)
    .fetch_one(&mut *tx)
    .await?;
    if notice {
        into_force(&mut tx, plan, body.version_id, submitted_on).await?;
    } else {
        sqlx::query("UPDATE plan_version SET status = 'filed' WHERE id = $1")
            .bind(body.version_id)
            .execute(&mut *tx)
            .await?;
    }
    announce(&mut tx, "filing_submitted", plan, serde_json::json!({"filing_id": id, "filing_kind": kind})).await?;
    record::finish(tx, plan).await
}

/// The bureau deciding filing `filing` of plan `plan` on `given` (default today): the version
/// filed, the plan as it is, the day of the decision.
async fn decision(
    conn: &mut PgConnection,
    actor: &Actor,
    plan: i64,
    filing: i64,
    given: Option<&str>,
) -> Result<(i64, Plan, chrono::NaiveDate), Error> {
    let version = waiting(conn, actor, plan, filing).await?;
    let current = record::one(conn, plan).await?;
    let submitted = current.filings.iter().find(|f| f.id == filing).map(|f| f.submitted_on).unwrap_or_default();
    let on = decided_on(given, submitted)?;
    Ok((version, current, on))
}

/// The filing `filing` of plan `plan`, locked, waiting on the bureau (its version); the
/// bureau's user must be of the plan's district (or the whole city).
async fn waiting(conn: &mut PgConnection, actor: &Actor, plan: i64, filing: i64) -> Result<i64, Error> {
    let row: Option<(i64, String)> =
        sqlx::query_as("SELECT version_id, status FROM plan_filing WHERE id = $1 AND plan_id = $2 FOR UPDATE")
            .bind(filing)
            .bind(plan)
            .fetch_optional(&mut *conn)
            .await?;
    let (version, status) = row.ok_or(Error::NotFound { layer: "plan_filing", id: filing })?;
    jurisdiction::check(conn, actor, "plan", &[plan]).await?;
    let status = FilingStatus::parse(&status)?;
    if status != FilingStatus::Submitted {
        return Err(Refused::Decided { id: filing, status }.into());
    }
    Ok(version)
}

fn decided_on(given: Option<&str>, submitted: chrono::NaiveDate) -> Result<chrono::NaiveDate, Error> {
    let today = super::today();
    let on = match given {
        Some(d) => date("decided_on", d, today)?,
        None => today,
    };
    if on < submitted {
        return Err(Error::invalid("decided_on", format!("{on} is before the submission ({submitted})")));
    }
    Ok(on)
}

/// The number a filing of `plan` accepted in `year` gets: `given` checked, or the next (none
/// for a plan of another kind than an enterprise's that states no risk level).
async fn number_for(
    conn: &mut PgConnection,
    plan: &Plan,
    year: i32,
    given: Option<&str>,
) -> Result<Option<String>, Error> {
    let f = &plan.fields;
    // The numbering of 环发〔2015〕4号 is the enterprises' (whose plans state a risk level): a plan
    // of another kind without one is filed without a number.
    let level = match (f.risk_level.as_deref(), given) {
        (Some(level), _) => level,
        (None, None) => return Ok(None),
        (None, Some(_)) => {
            return Err(Error::invalid(
                "filing_number",
                "the plan states no risk level, which a filing number ends with; set risk_level first",
            ));
        }
    };
    let across = f.districts.len() > 1;
    let number = match given {
        Some(text) => {
            let n = FilingNumber::parse(text.trim()).map_err(|e| Error::invalid("filing_number", e))?;
            n.check(&f.district, year, level, across)?;
            n
        }
        None => {
            let prefix = format!("{}-{year}", f.district);
            // One accepting user at a time per district and year: the serials follow each other.
            sqlx::query("SELECT pg_advisory_xact_lock(hashtext('plan_filing_number:' || $1))")
                .bind(&prefix)
                .execute(&mut *conn)
                .await?;
            let last: Option<i32> = sqlx::query_scalar(
                "SELECT max(split_part(filing_number, '-', 3)::int) FROM plan_filing \
                 WHERE filing_number LIKE $1 || '-%'",
            )
            .bind(&prefix)
            .fetch_one(&mut *conn)
            .await?;
            let serial = last.unwrap_or(0) + 1;
            if serial > 999 {
                return Err(Refused::SerialsUsedUp { prefix }.into());
            }
            let level = GRADES.into_iter().find(|g| *g == level).unwrap_or("一般");
            FilingNumber { district: f.district.clone(), year, serial: serial as u16, level, across }
        }
    };
    let text = number.to_string();
    let other: Option<i64> = sqlx::query_scalar("SELECT id FROM plan_filing WHERE filing_number = $1")
        .bind(&text)
        .fetch_optional(&mut *conn)
        .await?;
    if let Some(other) = other {
        return Err(Refused::NumberTaken { number: text, other }.into());
    }
    Ok(Some(text))
}

/// Accepts a filing: its number given or made, the version in force, the last superseded.
pub async fn accept(
    pool: &sqlx::PgPool,
    actor: &Actor,
    plan: i64,
    filing: i64,
    body: AcceptBody,
) -> Result<Plan, Error> {
    let remarks = Error::text("remarks", body.remarks, 4000, true)?;
    let mut tx = begin_as(pool, actor).await?;
    let (version, current, on) = decision(&mut tx, actor, plan, filing, body.decided_on.as_deref()).await?;
    let missing: Vec<&'static str> = current.documents_missing(version).into_iter().map(|k| k.label()).collect();
    if !missing.is_empty() {
        return Err(Refused::DocumentsMissing { id: filing, missing }.into());
    }
    let number = number_for(&mut tx, &current, on.year(), body.filing_number.as_deref()).await?;
    sqlx::query(
        "UPDATE plan_filing SET status = 'accepted', decided_on = $2, decided_by = $3, filing_number = $4, \
           remarks = $5 WHERE id = $1",
    )
    .bind(filing)
    .bind(on)
    .bind(&actor.name)
    .bind(&number)
    .bind(&remarks)
    .execute(&mut *tx)
    .await?;
    into_force(&mut tx, plan, version, on).await?;
    announce(&mut tx, "filing_accepted", plan, serde_json::json!({"filing_id": filing, "filing_number": number}))
        .await?;
    record::finish(tx, plan).await
}

/// Returns a filing with everything missing: the version is signed again, to be completed and
/// submitted anew.
pub async fn give_back(
    pool: &sqlx::PgPool,
    actor: &Actor,
    plan: i64,
    filing: i64,
    body: ReturnBody,
) -> Result<Plan, Error> {
    if body.missing.len() > MAX_MISSING {
        return Err(Error::invalid("missing", format!("lists {}; at most {MAX_MISSING}", body.missing.len())));
    }
    let mut given = Vec::with_capacity(body.missing.len());
    for item in body.missing {
        match Error::text("missing", Some(item), 500, false)? {
            Some(s) if !s.is_empty() => given.push(s),
            _ => return Err(Error::invalid("missing", "an item is empty")),
        }
    }
    let remarks = Error::text("remarks", body.remarks, 4000, true)?;
    let mut tx = begin_as(pool, actor).await?;
    let (version, current, on) = decision(&mut tx, actor, plan, filing, body.decided_on.as_deref()).await?;
    let mut missing: Vec<String> =
        current.documents_missing(version).into_iter().map(|k| format!("缺少{}", k.label())).collect();
    for item in given {
        if !missing.contains(&item) {
            missing.push(item);
        }
    }
    if missing.is_empty() {
        return Err(Error::invalid("missing", "say what is missing or wrong: a return lists everything at once"));
    }
    if missing.len() > MAX_MISSING {
        return Err(Error::invalid("missing", format!("lists {}; at most {MAX_MISSING}", missing.len())));
    }
    sqlx::query(
        "UPDATE plan_filing SET status = 'returned', decided_on = $2, decided_by = $3, missing = $4, remarks = $5 \
         WHERE id = $1",
    )
    .bind(filing)
    .bind(on)
    .bind(&actor.name)
    .bind(&missing)
    .bind(&remarks)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE plan_version SET status = 'signed' WHERE id = $1").bind(version).execute(&mut *tx).await?;
    announce(&mut tx, "filing_returned", plan, serde_json::json!({"filing_id": filing, "missing": missing})).await?;
    record::finish(tx, plan).await
}
