//! Emergency plans: `/api/plans` (list, create), `/api/plans/{id}` (read, change), its versions
//! and their steps (`…/versions/{vid}/review`, `…/sign`, `…/withdraw`, `…/documents`), its
//! filings (`…/filings`, `…/filings/{fid}/accept`, `…/return`), `/api/plans/due` (JSON or CSV,
//! GBK on request) and `/api/plan-documents/{id}` (the file).

use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::AppState;
use super::acting::Acting;
use super::attachments::{file_part, send_file, text_part};
use super::doc::Doc;
use super::extract::{Body, Id, PathOf, Query};
use super::permission::Need;
use super::problem::Problem;
use super::routes::Routes;
use crate::auth::Action;
use crate::error::Error;
use crate::plans::checks;
use crate::plans::due::{self, DueList};
use crate::plans::filing::{self, AcceptBody, ReturnBody, SubmitBody};
use crate::plans::findings::{self, Finding, FindingBody};
use crate::plans::record::{self, Plan, PlanDocument, PlanFiling, PlanVersion, Plans, Seen, Which};
use crate::plans::scenario::{self, Scenario, ScenarioBody};
use crate::plans::scope::{self, Sight};
use crate::plans::threat::{self, ScenarioThreat};
use crate::plans::version::{self, ReviewBody, SignBody, VersionBody};
use crate::plans::write::{self, PlanBody};
use crate::plans::{DocumentKind, Kind, documents};

/// Routes of the plans.
pub fn router() -> Routes {
    let form = json!({
        "type": "object",
        "required": ["kind", "file"],
        "properties": {
            "kind": {"type": "string", "enum": DocumentKind::ALL.iter().map(|(_, c)| *c).collect::<Vec<_>>()},
            "file": {"type": "string", "contentMediaType": "application/pdf",
                     "description": "a PDF, unencrypted, without JavaScript or launch actions, at most 18 MiB"},
        },
    });
    Routes::new()
        .get("/api/plans", Need::Plans, list)
        .doc(
            Doc::new("the plans (an enterprise sees its own whole, others' public fields)")
                .query("district", "filed with this district (区县 code)")
                .query("kind", "enterprise, government, department, water_source or park")
                .query_as("risk_source_id", json!({"type": "integer"}), "covering this risk source")
                .answer_of::<Plans>(200, "the plans, by id"),
        )
        .post("/api/plans", Action::FilePlans, create)
        .doc(Doc::new("create a plan").body_of::<PlanBody>().answer_of::<Plan>(201, "created"))
        .get("/api/plans/due", Action::Read, due_list)
        .doc(
            Doc::new("what must be filed, decided or reviewed: by district, worst first")
                .query("district", "of this district (区县 code)")
                .query_as("format", json!({"type": "string", "enum": ["json", "csv"]}), "json (default) or csv")
                .query_as(
                    "encoding",
                    json!({"type": "string", "enum": ["utf-8", "gbk"]}),
                    "CSV in GBK (GB18030) for spreadsheets",
                )
                .answer_of::<DueList>(200, "the list"),
        )
        .get("/api/plans/register.html", Action::Read, register)
        .doc(
            Doc::new("the year's register of filed enterprises (名录), for printing and publishing")
                .query_as("year", json!({"type": "integer"}), "the year of acceptance (default: this year)")
                .query("district", "of this district (区县 code)")
                .answer_as(200, "text/html", json!({"type": "string"}), "the page"),
        )
        .get("/api/plans/{id}", Need::Plans, show)
        .doc(Doc::new("one plan").answer_of::<Seen>(200, "the plan, as the caller may see it"))
        .patch("/api/plans/{id}", Action::FilePlans, edit)
        .doc(Doc::new("change a plan").body_of::<PlanBody>().answer_of::<Plan>(200, "changed"))
        .get("/api/plans/{id}/versions", Need::Plans, versions)
        .doc(Doc::new("a plan's versions, newest first").answer_of::<Versions>(200, "the versions"))
        .post("/api/plans/{id}/versions", Action::FilePlans, new_version)
        .doc(
            Doc::new("draft a version: the first, or a revision saying why")
                .body_of::<VersionBody>()
                .answer_of::<Plan>(201, "drafted"),
        )
        .patch("/api/plans/{id}/versions/{version}", Action::FilePlans, edit_version)
        .doc(Doc::new("change a draft").body_of::<VersionBody>().answer_of::<Plan>(200, "changed"))
        .post("/api/plans/{id}/versions/{version}/review", Action::FilePlans, review)
        .doc(Doc::new("record a draft's review").body_of::<ReviewBody>().answer_of::<Plan>(200, "reviewed"))
        .post("/api/plans/{id}/versions/{version}/sign", Action::FilePlans, sign)
        .doc(
            Doc::new("record the signing and publication; the filing clock starts")
                .body_of::<SignBody>()
                .answer_of::<Plan>(200, "signed"),
        )
        .post("/api/plans/{id}/versions/{version}/withdraw", Action::FilePlans, withdraw)
        .doc(Doc::new("withdraw a version").answer_of::<Plan>(200, "withdrawn"))
        .post("/api/plans/{id}/versions/{version}/documents", Action::FilePlans, upload)
        .doc(
            Doc::new("attach a document (PDF) to a version")
                .body("multipart/form-data", form)
                .answer_of::<PlanDocument>(201, "stored"),
        )
        .post("/api/plans/{id}/versions/{version}/scenarios", Action::FilePlans, new_scenario)
        .doc(
            Doc::new("add a scenario (一源一事一案) to a version being prepared")
                .body_of::<ScenarioBody>()
                .answer_of::<Scenario>(201, "added"),
        )
        .get("/api/plans/{id}/scenarios/{scenario}/threat", Need::Plans, threat)
        .doc(
            Doc::new("what a scenario threatens: plume zones (stated weather and worst case) or the river downstream")
                .answer_of::<ScenarioThreat>(200, "the zones or the trace, with the receptors"),
        )
        .get("/api/plans/{id}/card.html", Need::Plans, card)
        .doc(
            Doc::new("the plan's cards for printing: one A4 page per scenario (all, or `scenario` = its number)")
                .query_as("scenario", json!({"type": "integer", "minimum": 1}), "one scenario, by its number")
                .answer_as(200, "text/html", json!({"type": "string"}), "the page"),
        )
        .delete("/api/plans/{id}/scenarios/{scenario}", Action::FilePlans, remove_scenario)
        .doc(Doc::new("remove a scenario of a version being prepared").nothing("removed"))
        .post("/api/plans/{id}/findings", Action::FilePlans, new_finding)
        .doc(
            Doc::new("record what a drill or a real response found: a revision flag until a newer version is in force")
                .body_of::<FindingBody>()
                .answer_of::<Finding>(201, "recorded"),
        )
        .get("/api/plans/{id}/filings", Need::Plans, filings)
        .doc(Doc::new("a plan's filings, newest first").answer_of::<Filings>(200, "the filings"))
        .post("/api/plans/{id}/filings", Action::FilePlans, submit)
        .doc(
            Doc::new("submit a signed version for filing (a minor change: notified, in force at once)")
                .body_of::<SubmitBody>()
                .answer_of::<Plan>(201, "submitted"),
        )
        .post("/api/plans/{id}/filings/{filing}/accept", Action::EditRegistry, accept)
        .doc(
            Doc::new("accept a filing (a planner of the plan's district): its number, the version in force")
                .body_of::<AcceptBody>()
                .answer_of::<Plan>(200, "accepted"),
        )
        .post("/api/plans/{id}/filings/{filing}/return", Action::EditRegistry, give_back)
        .doc(
            Doc::new("return a filing listing everything missing")
                .body_of::<ReturnBody>()
                .answer_of::<Plan>(200, "returned"),
        )
        .get("/api/plan-documents/{id}", Need::Plans, document)
        .doc(Doc::new("a plan document (the summary: anyone who reads plans)").answer_as(
            200,
            "application/pdf",
            json!({"type": "string"}),
            "the file",
        ))
        .delete("/api/plan-documents/{id}", Action::FilePlans, remove_document)
        .doc(Doc::new("remove a document of a version still being prepared").nothing("removed"))
}

/// The query of the plans' list.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListParams {
    district: Option<String>,
    kind: Option<String>,
    risk_source_id: Option<Id>,
}

/// What the caller may see of each plan.
async fn seen(state: &AppState, actor: &crate::auth::Actor, plans: Vec<Plan>) -> Result<Vec<Seen>, Error> {
    let mut conn = state.pool.acquire().await?;
    let mut out = Vec::with_capacity(plans.len());
    for plan in plans {
        let sight = scope::sight(&mut conn, actor, plan.fields.id).await?;
        out.push(plan.seen(sight));
    }
    Ok(out)
}

async fn list(
    State(state): State<AppState>,
    Acting(actor): Acting,
    Query(params): Query<ListParams>,
) -> Result<Response, Problem> {
    let which = Which {
        ids: None,
        district: params.district,
        kind: params.kind.as_deref().map(|k| Kind::parse_field("kind", k)).transpose()?,
        risk_source: params.risk_source_id.map(|i| i.0),
    };
    let plans = record::read(&mut *state.pool.acquire().await?, &which, crate::plans::today()).await?;
    Ok(axum::Json(Plans { plans: seen(&state, &actor, plans).await? }).into_response())
}

fn created(plan: Plan) -> Response {
    let location = format!("/api/plans/{}", plan.fields.id);
    (StatusCode::CREATED, [(header::LOCATION, location)], axum::Json(plan)).into_response()
}

async fn create(
    State(state): State<AppState>,
    Acting(actor): Acting,
    Body(body): Body<PlanBody>,
) -> Result<Response, Problem> {
    Ok(created(write::create(&state.pool, &actor, body).await?))
}

/// Plan `id` whole, when the caller may see it whole.
async fn whole(state: &AppState, actor: &crate::auth::Actor, id: i64) -> Result<Plan, Error> {
    let mut conn = state.pool.acquire().await?;
    let plan = record::one(&mut conn, id).await?;
    may_see_whole(&mut conn, actor, id).await?;
    Ok(plan)
}

/// Refuses (403) a caller who sees plan `id` through its public fields only.
async fn may_see_whole(conn: &mut sqlx::PgConnection, actor: &crate::auth::Actor, id: i64) -> Result<(), Error> {
    if scope::sight(conn, actor, id).await? == Sight::Public {
        return Err(Error::Forbidden(format!(
            "plan {id} is not {}'s; an enterprise sees other enterprises' plans through their public fields only \
             (GET /api/plans/{id})",
            actor.name
        )));
    }
    Ok(())
}

async fn show(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf(Id(id)): PathOf<Id>,
) -> Result<Response, Problem> {
    let (mut plan, sight) = {
        let mut conn = state.pool.acquire().await?;
        (record::one(&mut conn, id).await?, scope::sight(&mut conn, &actor, id).await?)
    };
    if sight == Sight::Whole {
        let flags = checks::check(&state.pool, state.rivers.load_full(), &plan, crate::plans::today()).await?;
        plan.flagged(flags);
    }
    Ok(axum::Json(plan.seen(sight)).into_response())
}

async fn edit(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf(Id(id)): PathOf<Id>,
    Body(body): Body<PlanBody>,
) -> Result<Response, Problem> {
    Ok(axum::Json(write::edit(&state.pool, &actor, id, body).await?).into_response())
}

/// A plan's versions.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
struct Versions {
    /// Newest first.
    versions: Vec<PlanVersion>,
}

/// A plan's filings.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
struct Filings {
    /// Newest first.
    filings: Vec<PlanFiling>,
}

async fn versions(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf(Id(id)): PathOf<Id>,
) -> Result<Response, Problem> {
    Ok(axum::Json(Versions { versions: whole(&state, &actor, id).await?.versions }).into_response())
}

async fn filings(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf(Id(id)): PathOf<Id>,
) -> Result<Response, Problem> {
    Ok(axum::Json(Filings { filings: whole(&state, &actor, id).await?.filings }).into_response())
}

async fn new_version(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf(Id(id)): PathOf<Id>,
    Body(body): Body<VersionBody>,
) -> Result<Response, Problem> {
    Ok(created(version::create(&state.pool, &actor, id, body).await?))
}

async fn edit_version(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf((Id(id), Id(v))): PathOf<(Id, Id)>,
    Body(body): Body<VersionBody>,
) -> Result<Response, Problem> {
    Ok(axum::Json(version::edit(&state.pool, &actor, id, v, body).await?).into_response())
}

async fn review(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf((Id(id), Id(v))): PathOf<(Id, Id)>,
    Body(body): Body<ReviewBody>,
) -> Result<Response, Problem> {
    Ok(axum::Json(version::review(&state.pool, &actor, id, v, body).await?).into_response())
}

async fn sign(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf((Id(id), Id(v))): PathOf<(Id, Id)>,
    Body(body): Body<SignBody>,
) -> Result<Response, Problem> {
    Ok(axum::Json(version::sign(&state.pool, state.rivers.load_full(), &actor, id, v, body).await?).into_response())
}

async fn withdraw(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf((Id(id), Id(v))): PathOf<(Id, Id)>,
) -> Result<Response, Problem> {
    Ok(axum::Json(version::withdraw(&state.pool, &actor, id, v).await?).into_response())
}

async fn upload(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf((Id(plan), Id(version))): PathOf<(Id, Id)>,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Response, Problem> {
    let mut form = form.map_err(|e| {
        Problem::new(StatusCode::BAD_REQUEST, "not a form", format!("send multipart/form-data: {}", e.body_text()))
    })?;
    let (mut kind, mut file) = (None, None);
    let bad = |field: &str, detail: &str| Problem::bad_request(field, detail.to_string());
    while let Some(field) = form.next_field().await.map_err(|e| bad("form", &format!("unreadable form: {e}")))? {
        match field.name().unwrap_or_default() {
            "file" if file.is_some() => return Err(bad("file", "one document per request")),
            "file" => file = Some(file_part(field, documents::MAX_BYTES, "document").await?),
            "kind" => kind = Some(DocumentKind::parse_field("kind", &text_part(field, "kind").await?)?),
            other => {
                let other = other.to_string();
                return Err(bad(&other, &format!("`{other}` is not a field; use kind, file")));
            }
        }
    }
    let kind = kind.ok_or_else(|| bad("kind", "missing: what the document is"))?;
    let (file_name, _, bytes) = file.ok_or_else(|| bad("file", "missing: the PDF"))?;
    let upload = documents::Upload { plan, version, kind, file_name, bytes };
    let stored = documents::save(&state.pool, &actor, upload).await?;
    let location = stored.href.clone();
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], axum::Json(stored)).into_response())
}

async fn document(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf(Id(id)): PathOf<Id>,
) -> Result<Response, Problem> {
    let (name, bytes) = documents::content(&state.pool, &actor, id).await?;
    Ok(send_file("application/pdf", &name, bytes))
}

async fn remove_document(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf(Id(id)): PathOf<Id>,
) -> Result<StatusCode, Problem> {
    documents::remove(&state.pool, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn new_scenario(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf((Id(id), Id(v))): PathOf<(Id, Id)>,
    Body(body): Body<ScenarioBody>,
) -> Result<Response, Problem> {
    let stored = scenario::create(&state.pool, &actor, id, v, body).await?;
    let location = format!("/api/plans/{id}/scenarios/{}/threat", stored.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], axum::Json(stored)).into_response())
}

async fn threat(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf((Id(id), Id(s))): PathOf<(Id, Id)>,
) -> Result<Response, Problem> {
    let scenario = {
        let mut conn = state.pool.acquire().await?;
        may_see_whole(&mut conn, &actor, id).await?;
        scenario::one(&mut conn, id, s).await?
    };
    Ok(axum::Json(threat::of(&state.pool, state.rivers.load_full(), &scenario).await?).into_response())
}

/// The query of the plan cards.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CardParams {
    scenario: Option<Id>,
}

async fn card(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf(Id(id)): PathOf<Id>,
    Query(params): Query<CardParams>,
) -> Result<Response, Problem> {
    let plan = whole(&state, &actor, id).await?;
    let number = match params.scenario.map(|s| i32::try_from(s.0)) {
        None => None,
        Some(Ok(n)) => Some(n),
        Some(Err(_)) => return Err(Problem::bad_request("scenario", "is not a scenario's number")),
    };
    let page = crate::plans::card::page(&state.pool, state.rivers.load_full(), &plan, number).await?;
    Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response())
}

async fn remove_scenario(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf((Id(id), Id(s))): PathOf<(Id, Id)>,
) -> Result<StatusCode, Problem> {
    scenario::remove(&state.pool, &actor, id, s).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn new_finding(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf(Id(id)): PathOf<Id>,
    Body(body): Body<FindingBody>,
) -> Result<Response, Problem> {
    let stored = findings::record(&state.pool, &actor, id, body).await?;
    Ok((StatusCode::CREATED, axum::Json(stored)).into_response())
}

async fn submit(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf(Id(id)): PathOf<Id>,
    Body(body): Body<SubmitBody>,
) -> Result<Response, Problem> {
    Ok(created(filing::submit(&state.pool, &actor, id, body).await?))
}

async fn accept(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf((Id(id), Id(f))): PathOf<(Id, Id)>,
    Body(body): Body<AcceptBody>,
) -> Result<Response, Problem> {
    Ok(axum::Json(filing::accept(&state.pool, &actor, id, f, body).await?).into_response())
}

async fn give_back(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf((Id(id), Id(f))): PathOf<(Id, Id)>,
    Body(body): Body<ReturnBody>,
) -> Result<Response, Problem> {
    Ok(axum::Json(filing::give_back(&state.pool, &actor, id, f, body).await?).into_response())
}

/// The query of the register.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterParams {
    year: Option<i32>,
    district: Option<String>,
}

async fn register(State(state): State<AppState>, Query(params): Query<RegisterParams>) -> Result<Response, Problem> {
    if let Some(d) = &params.district
        && (d.len() != 6 || !d.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(Problem::bad_request("district", format!("`{d}` is not a six-digit 区县 code")));
    }
    let year = params.year.unwrap_or_else(|| chrono::Datelike::year(&crate::plans::today()));
    let page = crate::plans::register::page(&state.pool, year, params.district.as_deref()).await?;
    Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response())
}

/// The query of the due list.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DueParams {
    district: Option<String>,
    format: Option<String>,
    encoding: Option<String>,
}

async fn due_list(State(state): State<AppState>, Query(params): Query<DueParams>) -> Result<Response, Problem> {
    if let Some(d) = &params.district
        && (d.len() != 6 || !d.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(Problem::bad_request("district", format!("`{d}` is not a six-digit 区县 code")));
    }
    let csv = match params.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(other) => return Err(Problem::bad_request("format", format!("`{other}`: json or csv"))),
    };
    let gbk = match params.encoding.as_deref() {
        None | Some("utf-8") => false,
        Some("gbk") if csv => true,
        Some("gbk") => return Err(Problem::bad_request("encoding", "gbk is for format=csv")),
        Some(other) => return Err(Problem::bad_request("encoding", format!("`{other}`: utf-8 or gbk"))),
    };
    let rivers = state.rivers.load_full();
    let list =
        due::list(&state.pool, rivers, &state.plan_scope, params.district.as_deref(), crate::plans::today()).await?;
    if !csv {
        return Ok(axum::Json(list).into_response());
    }
    let text = due_csv(&list).map_err(|e| Error::Failed(e.to_string()))?;
    let (bytes, charset) =
        if gbk { (encoding_rs::GB18030.encode(&text).0.into_owned(), "GB18030") } else { (text.into_bytes(), "utf-8") };
    let disposition = format!("attachment; filename=\"plans-due-{}.csv\"", list.today);
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_str(&format!("text/csv; charset={charset}")).expect("ascii")),
            (header::CONTENT_DISPOSITION, HeaderValue::from_str(&disposition).expect("ascii")),
        ],
        bytes,
    )
        .into_response())
}

/// The due list as CSV with Chinese headings (a spreadsheet's columns).
fn due_csv(list: &DueList) -> anyhow::Result<String> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record([
        "事项",
        "状态",
        "区县代码",
        "区县",
        "风险源编号",
        "风险源",
        "风险等级",
        "预案编号",
        "预案",
        "期限",
        "说明",
    ])?;
    for e in &list.entries {
        let why = serde_json::to_value(e.why)?.as_str().unwrap_or_default().to_string();
        out.write_record([
            why,
            e.standing.clone(),
            e.district.clone().unwrap_or_default(),
            e.district_name.clone().unwrap_or_default(),
            e.risk_source_id.map(|i| i.to_string()).unwrap_or_default(),
            crate::exchange::csv_format::guard(e.risk_source.as_deref().unwrap_or_default()),
            e.grade.clone().unwrap_or_default(),
            e.plan_id.map(|i| i.to_string()).unwrap_or_default(),
            crate::exchange::csv_format::guard(e.plan.as_deref().unwrap_or_default()),
            e.due_on.map(|d| d.to_string()).unwrap_or_default(),
            e.detail.clone(),
        ])?;
    }
    Ok(String::from_utf8(out.into_inner()?)?)
}
