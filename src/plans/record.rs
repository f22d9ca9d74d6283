//! A plan as it is answered: its fields, its sources, its versions with their documents, its
//! filings, and where it stands on the legal clock today — whole for the bureau and for the
//! enterprise that owns it, its public fields only for everyone else.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::PgConnection;

use super::clock::{self, Due, Standing};
use super::codes::{DocumentKind, FilingKind, FilingStatus, Kind, Level, VersionStatus};
use super::scope::Sight;
use crate::error::Error;
use crate::time::workdays::china;

/// A plan's own fields.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct PlanFields {
    /// The plan's id.
    pub id: i64,
    /// enterprise, government, department, water_source or park.
    #[sqlx(try_from = "String")]
    #[schema(value_type = String)]
    pub kind: Kind,
    /// Its name.
    pub name: String,
    /// comprehensive, special or on_site.
    #[sqlx(try_from = "String")]
    #[schema(value_type = String)]
    pub level: Level,
    /// The plan set's plan above it.
    pub parent_id: Option<i64>,
    /// The county-level bureau it is filed with (区县 code).
    pub district: String,
    /// That district's name.
    pub district_name: Option<String>,
    /// Every district it covers.
    pub districts: Vec<String>,
    /// 一般, 较大 or 重大 (enterprise plans).
    pub risk_level: Option<String>,
    /// The department (department plans).
    pub department: Option<String>,
    /// The intake or protection zone (water-source plans).
    pub receptor_id: Option<i64>,
    /// The park (park plans).
    pub park: Option<String>,
    /// Whether the full text is confidential (a public summary is filed with it).
    pub confidential: bool,
    /// Who created it.
    pub author: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// A risk source a plan covers.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct PlanSource {
    /// The risk source's id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its unified social credit code.
    pub credit_code: Option<String>,
    /// Its grade now (一般, 较大, 重大).
    pub grade: Option<String>,
}

/// An interception site of the reach a plan plans for (一河一策一图).
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct PlanSite {
    /// The site's id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// sluice, dam, bridge, culvert or boom_point.
    pub kind: String,
    /// Its river.
    pub river: Option<String>,
    /// Its emergency space, m³.
    pub volume_m3: Option<f64>,
    /// What can be done there (cut_off, divert, dose, dilute).
    pub actions: Option<Vec<String>>,
    /// Who keeps it.
    pub owner: Option<String>,
    /// A contact.
    pub contact: Option<String>,
    #[serde(skip)]
    plan_id: i64,
}

/// A document of a version (the file is at `href`).
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct PlanDocument {
    /// The document's id.
    pub id: i64,
    /// The version it belongs to.
    pub version_id: i64,
    /// filing_form, plan, explanation, risk_assessment, resource_survey, review_opinions, summary, other.
    #[sqlx(try_from = "String")]
    #[schema(value_type = String)]
    pub kind: DocumentKind,
    /// Whether anyone may read it (the summary).
    pub public: bool,
    /// The file's name as uploaded.
    pub file_name: String,
    /// Bytes.
    pub size_bytes: i32,
    /// SHA-256 of the file, hex.
    pub sha256: String,
    /// Pages.
    pub pages: i32,
    /// Who uploaded it.
    pub author: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Where the file is.
    #[sqlx(skip)]
    pub href: String,
}

/// A version of a plan.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct PlanVersion {
    /// The version's id.
    pub id: i64,
    /// The plan.
    pub plan_id: i64,
    /// 1 for the first.
    pub number: i32,
    /// drafting, reviewed, signed, filed, in_force, superseded or withdrawn.
    #[sqlx(try_from = "String")]
    #[schema(value_type = String)]
    pub status: VersionStatus,
    /// Why it revises the plan (none for the first version).
    pub revision_reasons: Vec<String>,
    /// A major revision (filed again) or a minor one (notified).
    pub major: bool,
    /// What it changes, in words.
    pub summary: Option<String>,
    /// When it was reviewed.
    pub reviewed_on: Option<NaiveDate>,
    /// By whom.
    pub reviewers: Vec<String>,
    /// What they said.
    pub review_opinions: Option<String>,
    /// When it was signed.
    pub signed_on: Option<NaiveDate>,
    /// When it was published.
    pub published_on: Option<NaiveDate>,
    /// When it came into force.
    pub in_force_on: Option<NaiveDate>,
    /// When it was superseded or withdrawn.
    pub ended_on: Option<NaiveDate>,
    /// Who wrote it.
    pub author: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Its documents.
    #[sqlx(skip)]
    pub documents: Vec<PlanDocument>,
    /// Its scenarios.
    #[sqlx(skip)]
    pub scenarios: Vec<super::scenario::Scenario>,
}

/// A filing of a version with the bureau.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct PlanFiling {
    /// The filing's id.
    pub id: i64,
    /// The plan.
    pub plan_id: i64,
    /// The version filed.
    pub version_id: i64,
    /// initial, change or notice.
    #[sqlx(try_from = "String")]
    #[schema(value_type = String)]
    pub kind: FilingKind,
    /// submitted, accepted or returned.
    #[sqlx(try_from = "String")]
    #[schema(value_type = String)]
    pub status: FilingStatus,
    /// When it was handed in.
    pub submitted_on: NaiveDate,
    /// By whom.
    pub submitted_by: String,
    /// When the bureau decided.
    pub decided_on: Option<NaiveDate>,
    /// Who decided.
    pub decided_by: Option<String>,
    /// The filing number (accepted filings).
    pub filing_number: Option<String>,
    /// What was missing (returned filings), everything at once.
    pub missing: Vec<String>,
    /// The bureau's remarks.
    pub remarks: Option<String>,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
    /// The bureau's check: due within 5 working days of submission.
    #[sqlx(skip)]
    pub acceptance: Option<Due>,
}

/// A plan, whole.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Plan {
    /// Its fields.
    #[serde(flatten)]
    pub fields: PlanFields,
    /// The risk sources it covers.
    pub sources: Vec<PlanSource>,
    /// The interception sites of the reach it plans for, by river, then id.
    pub sites: Vec<PlanSite>,
    /// The version in force, if one is.
    pub in_force: Option<i64>,
    /// Its filing number (of the filing that put the version in force).
    pub filing_number: Option<String>,
    /// in_force, revise (flags found live), due_soon, due, overdue or none: the worst of its
    /// deadlines.
    pub standing: String,
    /// The deadlines running now (filing, the bureau's check, review).
    pub clock: Vec<Due>,
    /// Why the plan in force should be revised, found live against the map (answered for one
    /// plan; not in lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flags: Option<Vec<super::flag::Flag>>,
    /// Its versions, newest first.
    pub versions: Vec<PlanVersion>,
    /// Its filings, newest first.
    pub filings: Vec<PlanFiling>,
}

/// What anyone may read of a plan: its public fields and its public summary.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicPlan {
    /// The plan's id.
    pub id: i64,
    /// Its kind.
    #[schema(value_type = String)]
    pub kind: Kind,
    /// Its name.
    pub name: String,
    /// Its level in the plan set.
    #[schema(value_type = String)]
    pub level: Level,
    /// The district it is filed with.
    pub district: String,
    /// The districts it covers.
    pub districts: Vec<String>,
    /// Its risk level.
    pub risk_level: Option<String>,
    /// The names of the risk sources it covers.
    pub sources: Vec<String>,
    /// Its filing number.
    pub filing_number: Option<String>,
    /// When the version in force came into force.
    pub in_force_on: Option<NaiveDate>,
    /// The public summaries (简本).
    pub documents: Vec<PlanDocument>,
}

/// A plan as the actor may see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Seen {
    /// The whole plan.
    Whole(Box<Plan>),
    /// Its public fields only.
    Public(PublicPlan),
}

/// Plans, as the actor may see them.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Plans {
    /// By id.
    pub plans: Vec<Seen>,
}

impl Plan {
    /// Its public fields.
    pub fn public(&self) -> PublicPlan {
        let in_force = self.versions.iter().find(|v| Some(v.id) == self.in_force);
        PublicPlan {
            id: self.fields.id,
            kind: self.fields.kind,
            name: self.fields.name.clone(),
            level: self.fields.level,
            district: self.fields.district.clone(),
            districts: self.fields.districts.clone(),
            risk_level: self.fields.risk_level.clone(),
            sources: self.sources.iter().map(|s| s.name.clone()).collect(),
            filing_number: self.filing_number.clone(),
            in_force_on: in_force.and_then(|v| v.in_force_on),
            documents: in_force.map(|v| v.documents.iter().filter(|d| d.public).cloned().collect()).unwrap_or_default(),
        }
    }

    /// As `sight` allows.
    pub fn seen(self, sight: Sight) -> Seen {
        match sight {
            Sight::Whole => Seen::Whole(Box::new(self)),
            Sight::Public => Seen::Public(self.public()),
        }
    }

    /// The documents a filing of version `version` still lacks (by the plan's confidentiality).
    pub fn documents_missing(&self, version: i64) -> Vec<DocumentKind> {
        let have: Vec<DocumentKind> = self
            .versions
            .iter()
            .find(|v| v.id == version)
            .map(|v| v.documents.iter().map(|d| d.kind).collect())
            .unwrap_or_default();
        DocumentKind::required(self.fields.confidential).into_iter().filter(|k| !have.contains(k)).collect()
    }

    /// Adds the live flags: a plan in force with flags and no worse deadline stands `revise`.
    pub fn flagged(&mut self, flags: Vec<super::flag::Flag>) {
        if !flags.is_empty() && self.standing == "in_force" {
            self.standing = "revise".into();
        }
        self.flags = Some(flags);
    }

    /// The version with `id`, if it is the plan's.
    pub fn version(&self, id: i64) -> Option<&PlanVersion> {
        self.versions.iter().find(|v| v.id == id)
    }
}

/// Which plans to read.
#[derive(Debug, Clone, Default)]
pub struct Which {
    /// These ids only.
    pub ids: Option<Vec<i64>>,
    /// Filed with this district only.
    pub district: Option<String>,
    /// Of this kind only.
    pub kind: Option<Kind>,
    /// Covering this risk source only.
    pub risk_source: Option<i64>,
}

const PLAN_COLUMNS: &str = "p.id, p.kind, p.name, p.level, p.parent_id, p.district, d.name AS district_name, \
     p.districts, p.risk_level, p.department, p.receptor_id, p.park, p.confidential, p.author, p.created_at, \
     p.updated_at";

/// The plans `which` names, whole, with their clocks as of `today`, by id.
pub async fn read(conn: &mut PgConnection, which: &Which, today: NaiveDate) -> Result<Vec<Plan>, Error> {
    let fields: Vec<PlanFields> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {PLAN_COLUMNS} FROM plan p LEFT JOIN district d ON d.code = p.district \
         WHERE ($1::bigint[] IS NULL OR p.id = ANY($1)) AND ($2::text IS NULL OR p.district = $2) \
           AND ($3::text IS NULL OR p.kind = $3) \
           AND ($4::bigint IS NULL OR EXISTS (SELECT 1 FROM plan_source s WHERE s.plan_id = p.id AND s.risk_source_id = $4)) \
         ORDER BY p.id"
    )))
    .bind(which.ids.as_deref())
    .bind(which.district.as_deref())
    .bind(which.kind.map(Kind::code))
    .bind(which.risk_source)
    .fetch_all(&mut *conn)
    .await?;
    let ids: Vec<i64> = fields.iter().map(|f| f.id).collect();
    let sources: Vec<(i64, PlanSourceRow)> = sqlx::query_as::<_, PlanSourceRow>(
        "SELECT p.plan_id, s.id, s.name, s.credit_code, s.grade FROM plan_source p \
         JOIN risk_source s ON s.id = p.risk_source_id WHERE p.plan_id = ANY($1) ORDER BY s.id",
    )
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| (r.plan_id, r))
    .collect();
    let sites: Vec<PlanSite> = sqlx::query_as(
        "SELECT p.plan_id, s.id, s.name, s.kind, s.river, s.volume_m3, s.actions, s.owner, s.contact \
         FROM plan_site p JOIN intercept_site s ON s.id = p.site_id WHERE p.plan_id = ANY($1) ORDER BY s.river, s.id",
    )
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await?;
    let mut versions: Vec<PlanVersion> = sqlx::query_as(
        "SELECT id, plan_id, number, status, revision_reasons, major, summary, reviewed_on, reviewers, \
                review_opinions, signed_on, published_on, in_force_on, ended_on, author, created_at, updated_at \
         FROM plan_version WHERE plan_id = ANY($1) ORDER BY number DESC",
    )
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await?;
    let version_ids: Vec<i64> = versions.iter().map(|v| v.id).collect();
    let documents: Vec<PlanDocument> = sqlx::query_as(
        "SELECT id, version_id, kind, public, file_name, size_bytes, sha256, pages, author, created_at \
         FROM plan_document WHERE version_id = ANY($1) ORDER BY id",
    )
    .bind(&version_ids)
    .fetch_all(&mut *conn)
    .await?;
    let mut by_version: BTreeMap<i64, Vec<PlanDocument>> = BTreeMap::new();
    for mut d in documents {
        d.href = format!("/api/plan-documents/{}", d.id);
        by_version.entry(d.version_id).or_default().push(d);
    }
    let mut scenarios = super::scenario::of_versions(conn, &version_ids).await?;
    for v in &mut versions {
        v.documents = by_version.remove(&v.id).unwrap_or_default();
        v.scenarios = scenarios.extract_if(.., |s| s.version_id == v.id).collect();
    }
    let filings: Vec<PlanFiling> = sqlx::query_as(
        "SELECT id, plan_id, version_id, kind, status, submitted_on, submitted_by, decided_on, decided_by, \
                filing_number, missing, remarks, created_at FROM plan_filing WHERE plan_id = ANY($1) \
         ORDER BY submitted_on DESC, id DESC",
    )
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await?;
    let mut plans = Vec::with_capacity(fields.len());
    for f in fields {
        let id = f.id;
        let mut plan = Plan {
            fields: f,
            sources: sources.iter().filter(|(p, _)| *p == id).map(|(_, s)| s.source()).collect(),
            sites: sites.iter().filter(|s| s.plan_id == id).cloned().collect(),
            in_force: None,
            filing_number: None,
            standing: String::new(),
            clock: Vec::new(),
            flags: None,
            versions: versions.iter().filter(|v| v.plan_id == id).cloned().collect(),
            filings: filings.iter().filter(|x| x.plan_id == id).cloned().collect(),
        };
        plan.reckon(today);
        plans.push(plan);
    }
    Ok(plans)
}

/// Commits a step of plan `id` with where the plan now stands, and reads it as it now is.
pub async fn finish(mut tx: sqlx::Transaction<'_, sqlx::Postgres>, id: i64) -> Result<Plan, Error> {
    let today = super::today();
    let plan = read(&mut tx, &Which { ids: Some(vec![id]), ..Default::default() }, today)
        .await?
        .pop()
        .ok_or(Error::NotFound { layer: "plan", id })?;
    super::standing::keep(&mut tx, id, &plan.standing, super::standing::Flags::Kept, today).await?;
    tx.commit().await?;
    Ok(plan)
}

/// One plan, whole.
pub async fn one(conn: &mut PgConnection, id: i64) -> Result<Plan, Error> {
    let which = Which { ids: Some(vec![id]), ..Default::default() };
    read(conn, &which, super::today()).await?.pop().ok_or(Error::NotFound { layer: "plan", id })
}

#[derive(sqlx::FromRow)]
struct PlanSourceRow {
    plan_id: i64,
    id: i64,
    name: String,
    credit_code: Option<String>,
    grade: Option<String>,
}

impl PlanSourceRow {
    fn source(&self) -> PlanSource {
        PlanSource {
            id: self.id,
            name: self.name.clone(),
            credit_code: self.credit_code.clone(),
            grade: self.grade.clone(),
        }
    }
}

impl Plan {
    /// Works out the version in force, the deadlines running and the plan's standing.
    fn reckon(&mut self, today: NaiveDate) {
        let calendar = china();
        for f in &mut self.filings {
            if f.kind != FilingKind::Notice {
                f.acceptance = Some(clock::acceptance(calendar, f.submitted_on, f.decided_on, today));
            }
        }
        let in_force = self.versions.iter().find(|v| v.status == VersionStatus::InForce);
        self.in_force = in_force.map(|v| v.id);
        let put_in_force = in_force
            .and_then(|v| self.filings.iter().find(|f| f.version_id == v.id && f.status == FilingStatus::Accepted));
        // A minor change is notified without a number: the plan keeps its last one.
        self.filing_number = in_force.and_then(|_| self.filings.iter().find_map(|f| f.filing_number.clone()));
        let open = self.versions.iter().find(|v| v.status.is_open());
        let mut clock = Vec::new();
        // Filing: a first version, or a major revision, once signed.
        if let Some(v) = open
            && let Some(signed) = v.signed_on
            && (v.major || in_force.is_none())
        {
            let latest = self.filings.iter().find(|f| f.version_id == v.id && f.status != FilingStatus::Returned);
            clock.push(clock::filing(calendar, signed, latest.map(|f| f.submitted_on), today));
        }
        // The bureau's check of the filing waiting on it.
        if let Some(waiting) = self.filings.iter().find(|f| f.status == FilingStatus::Submitted) {
            clock.extend(waiting.acceptance.clone());
        }
        // Review of the plan in force: three years after its review or its filing.
        if let Some(v) = in_force {
            let filed = put_in_force.and_then(|f| f.decided_on).or(v.in_force_on);
            let last = [v.reviewed_on, filed].into_iter().flatten().max();
            if let Some(last) = last {
                let newer = open.and_then(|o| o.reviewed_on).filter(|r| *r > last);
                clock.push(clock::review(last, newer, today));
            }
        }
        let worst = |s: Standing| clock.iter().any(|d| d.standing == s);
        self.standing = if worst(Standing::Overdue) {
            "overdue"
        } else if worst(Standing::DueSoon) {
            "due_soon"
        } else if in_force.is_some() {
            "in_force"
        } else if clock.iter().any(|d| matches!(d.standing, Standing::Due | Standing::Unknown)) || open.is_some() {
            "due"
        } else {
            "none"
        }
        .to_string();
        self.clock = clock;
    }
}
