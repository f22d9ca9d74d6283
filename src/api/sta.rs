//! OGC SensorThings API 1.1 at `/sta/v1.1`: the service root, reading any resource path with
//! the query options, creating (deep insert, and `CreateObservations` in bulk), changing
//! (PATCH with the members to change or a JSON Patch, and PUT read the same way) and deleting. Writes are the registry's (planners,
//! district users within their district) except observations, which dispatchers post too
//! (readings taken in the field); every write is audited as the registry's are.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::AppState;
use super::acting::Acting;
use super::body::JsonBody;
use super::doc::Doc;
use super::permission::Need;
use super::problem::Problem;
use super::routes::Routes;
use crate::auth::{Action, Actor, begin_as, jurisdiction};
use crate::error::Error;
use crate::sensing::model::{Link, SETS, Set};
use crate::sensing::options::{self, Options};
use crate::sensing::path::{self, Resource};
use crate::sensing::{CONFORMANCE, data_array, read, state, write};

const ROOT: &str = "/sta/v1.1";

/// Routes of the SensorThings service.
pub fn router() -> Routes {
    let any = || json!({"type": "object"});
    let entity = || json!({"type": ["object", "array"]});
    let options = |doc: Doc| {
        doc.query("$filter", "OData filter (SensorThings 1.1 §9.3.3.5)")
            .query("$expand", "navigation properties to include, with their own options")
            .query("$select", "the properties to show")
            .query("$orderby", "expressions, each asc or desc")
            .query_as("$top", json!({"type": "integer", "minimum": 0, "maximum": 10000}), "page size (100)")
            .query_as("$skip", json!({"type": "integer", "minimum": 0}), "entities to skip")
            .query_as("$count", json!({"type": "boolean"}), "include @iot.count")
    };
    Routes::new()
        .get(ROOT, Action::Read, root)
        .doc(Doc::new("the SensorThings service root: the entity sets and the conformance classes").answer(
            200,
            any(),
            "the entity sets",
        ))
        .get("/sta/v1.1/{*path}", Action::Read, get)
        .doc(
            options(Doc::new("a SensorThings resource: a collection, an entity, a property (Things(1)/Datastreams …)"))
                .answer(200, any(), "the resource"),
        )
        .post("/sta/v1.1/{*path}", Need::Sensing, post)
        .doc(
            Doc::new("create an entity (with deep insert), or observations in bulk at CreateObservations")
                .body("application/json", entity())
                .answer(201, entity(), "the entity created (Location: its URL), or the observations' URLs"),
        )
        .patch("/sta/v1.1/{*path}", Need::Sensing, patch)
        .doc(Doc::new("change an entity's properties and links").body("application/json", any()).answer(
            200,
            any(),
            "the entity as it is now",
        ))
        .put("/sta/v1.1/{*path}", Need::Sensing, patch)
        .doc(Doc::new("change an entity (read as PATCH: the members given)").body("application/json", any()).answer(
            200,
            any(),
            "the entity as it is now",
        ))
        .delete("/sta/v1.1/{*path}", Need::Sensing, delete)
        .doc(Doc::new("delete an entity and what depends on it").answer(200, any(), "deleted"))
}

/// The service root URL the client used.
fn base(headers: &HeaderMap) -> String {
    format!("{}{ROOT}", super::ogc::origin(headers))
}

fn not_found(what: &str) -> Problem {
    Problem::new(StatusCode::NOT_FOUND, "not found", format!("there is no {what}"))
}

fn json_answer(status: StatusCode, body: &Value) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

async fn root(headers: HeaderMap) -> Response {
    let base = base(&headers);
    let value: Vec<Value> =
        SETS.iter().map(|s| json!({"name": s.name(), "url": format!("{base}/{}", s.name())})).collect();
    json_answer(StatusCode::OK, &json!({"value": value, "serverSettings": {"conformance": CONFORMANCE}}))
}

fn query_options(raw: Option<&str>) -> Result<Options, Problem> {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(raw.unwrap_or("").as_bytes()).into_owned().collect();
    let mut seen = std::collections::HashSet::new();
    for (name, _) in &pairs {
        if name.starts_with('$') && !seen.insert(name.as_str()) {
            return Err(Problem::bad_request(name, "is given twice"));
        }
    }
    options::parse(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))).map_err(|e| Error::BadQuery(e).into())
}

fn resource(path: &str) -> Result<Resource, Problem> {
    path::parse(path).map_err(|e| Error::BadQuery(e).into())
}

/// The URL of the next page: the request's own, `$skip` moved on by a page.
fn next_link(base: &str, path: &str, raw: Option<&str>, options: &Options) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        if k != "$skip" {
            out.append_pair(&k, &v);
        }
    }
    out.append_pair("$skip", &(options.skip + options.top()).to_string());
    format!("{base}/{path}?{}", out.finish())
}

async fn get(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(path): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, Problem> {
    let resource = resource(&path)?;
    let options = query_options(raw.as_deref())?;
    let base = base(&headers);
    let set = resource.set();
    if !read::path_exists(&state.pool, &resource).await? {
        return Err(not_found(&format!("entity on the path {path}")));
    }
    if !resource.single() {
        let page = read::page(&state.pool, &resource, &options).await?;
        let mut value = Value::Array(page.value);
        read::decorate(&mut value, set, &options, &base);
        let mut body = json!({"value": value});
        if let Some(count) = page.count {
            body["@iot.count"] = json!(count);
        }
        if page.more {
            body["@iot.nextLink"] = json!(next_link(&base, &path, raw.as_deref(), &options));
        }
        return Ok(json_answer(StatusCode::OK, &body));
    }
    let Some(mut entity) = read::one(&state.pool, &resource, &options).await? else {
        return Err(not_found(&format!("{} on the path {path}", set.name())));
    };
    read::decorate(&mut entity, set, &options, &base);
    match resource.property {
        None => Ok(json_answer(StatusCode::OK, &entity)),
        Some((name, raw_value)) => {
            let key = if name == "id" { "@iot.id" } else { name };
            let v = entity.get(key).cloned().unwrap_or(Value::Null);
            if raw_value {
                let text = match &v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                Ok((StatusCode::OK, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response())
            } else {
                Ok(json_answer(StatusCode::OK, &json!({ name: v })))
            }
        }
    }
}

/// Metadata is the registry's; observations are posted by dispatchers too.
fn may_write(actor: &Actor, set: Set) -> Result<(), Problem> {
    let registry = actor.role.is_some_and(|r| r.may(Action::EditRegistry));
    if registry || set == Set::Observations {
        return Ok(());
    }
    Err(Problem::new(
        StatusCode::FORBIDDEN,
        "role not allowed",
        format!(
            "{} may post Observations; {} are the registry's: a planner or an administrator writes them",
            actor.name,
            set.name()
        ),
    ))
}

/// Jurisdiction over what a write touched (observations by their datastreams), then the
/// stations' states brought up to date.
async fn within(tx: &mut sqlx::PgConnection, actor: &Actor, touched: &[(Set, i64)]) -> Result<(), Error> {
    for set in SETS {
        let ids: Vec<i64> = touched.iter().filter(|(s, _)| *s == set).map(|(_, id)| *id).collect();
        if !ids.is_empty() {
            jurisdiction::check(tx, actor, set.table(), &ids).await?;
        }
    }
    let datastreams = crate::sensing::alarms::datastreams_of(tx, touched).await?;
    crate::sensing::alarms::evaluate(tx, &datastreams).await?;
    let things = state::things_of(tx, touched).await?;
    state::refresh(tx, &things).await
}

async fn post(
    State(state): State<AppState>,
    Acting(actor): Acting,
    headers: HeaderMap,
    Path(path): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response, Problem> {
    let base = base(&headers);
    if path.trim_matches('/') == "CreateObservations" {
        may_write(&actor, Set::Observations)?;
        let mut tx = begin_as(&state.pool, &actor).await.map_err(Error::from)?;
        let mut written = write::Written::default();
        let ids = data_array::create(&mut tx, &body, &mut written).await?;
        within(&mut tx, &actor, &written.touched).await?;
        tx.commit().await.map_err(Error::from)?;
        let links: Vec<String> = ids.iter().map(|id| format!("{base}/Observations({id})")).collect();
        return Ok(json_answer(StatusCode::CREATED, &json!(links)));
    }
    let resource = resource(&path)?;
    let set = resource.set();
    if resource.single() || resource.property.is_some() {
        return Err(Problem::bad_request(
            "path",
            format!("{path} is not a collection: POST to {} to create one", set.name()),
        ));
    }
    if !read::path_exists(&state.pool, &resource).await? {
        return Err(not_found(&format!("entity on the path {path}")));
    }
    may_write(&actor, set)?;
    // Posting to Things(1)/Datastreams: the Thing is implied.
    let parent = match (resource.parent(), resource.steps.last().and_then(|s| s.via)) {
        (Some(p), Some(Link::ToMany(column))) => Some((column, p.id.ok_or_else(|| bad_parent(&path))?)),
        (Some(_), Some(_)) => return Err(bad_parent(&path)),
        _ => None,
    };
    let mut tx = begin_as(&state.pool, &actor).await.map_err(Error::from)?;
    let mut written = write::Written::default();
    let id = write::create(&mut tx, set, &body, parent, &mut written).await?;
    if !actor.role.is_some_and(|r| r.may(Action::EditRegistry))
        && written.touched.iter().any(|(s, _)| !matches!(s, Set::Observations | Set::FeaturesOfInterest))
    {
        return Err(may_write(&actor, Set::Datastreams).unwrap_err());
    }
    within(&mut tx, &actor, &written.touched).await?;
    tx.commit().await.map_err(Error::from)?;
    let location = format!("{base}/{}({id})", set.name());
    let entity = read::entity(&state.pool, set, id, Some(&base)).await?.unwrap_or(Value::Null);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        [(header::CONTENT_TYPE, "application/json")],
        entity.to_string(),
    )
        .into_response())
}

fn bad_parent(path: &str) -> Problem {
    Problem::bad_request(
        "path",
        format!("{path}: create through a navigation property of one entity to many (Datastreams(1)/Observations)"),
    )
}

/// The entity a change or a deletion is about (`Things(1)`), refused as 404 when missing.
async fn target(state: &AppState, path: &str) -> Result<(Set, i64), Problem> {
    let resource = resource(path)?;
    let (Some(id), None) = (resource.id(), resource.property) else {
        return Err(Problem::bad_request("path", format!("{path}: name one entity by its id, as Things(1)")));
    };
    let set = resource.set();
    let mut conn = state.pool.acquire().await.map_err(Error::from)?;
    if !read::found(&mut conn, set, id).await? {
        return Err(not_found(&format!("{}({id})", set.name())));
    }
    Ok((set, id))
}

/// Most operations of one JSON Patch.
const MAX_PATCH_OPS: usize = 100;

/// The members a JSON Patch (RFC 6902) changes, as a PATCH body: applied to the entity as it is
/// read, then each writable member that differs is given (a removed one as null).
async fn patched(state: &AppState, set: Set, id: i64, ops: Value) -> Result<Value, Problem> {
    let bad = |detail: String| Problem::bad_request("body", detail);
    let count = ops.as_array().map(Vec::len).ok_or_else(|| bad("a JSON Patch is a list of operations".into()))?;
    if count > MAX_PATCH_OPS {
        return Err(bad(format!("a JSON Patch has at most {MAX_PATCH_OPS} operations")));
    }
    let ops: json_patch::Patch = serde_json::from_value(ops).map_err(|e| bad(format!("not a JSON Patch: {e}")))?;
    let before = read::entity(&state.pool, set, id, None).await?.unwrap_or(Value::Null);
    let mut after = before.clone();
    json_patch::patch(&mut after, &ops).map_err(|e| {
        Problem::new(
            StatusCode::CONFLICT,
            "patch does not apply",
            format!("the patch does not apply to {}({id}): {e}", set.name()),
        )
    })?;
    let mut changed = serde_json::Map::new();
    let names = set.props().iter().filter(|p| p.writable).map(|p| p.name);
    for name in names {
        if before.get(name) != after.get(name) {
            changed.insert(name.into(), after.get(name).cloned().unwrap_or(Value::Null));
        }
    }
    if after.get("@iot.id") != before.get("@iot.id") {
        return Err(bad("an entity's id does not change".into()));
    }
    for key in after.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()).unwrap_or_default() {
        if before.get(&key).is_none() && !changed.contains_key(&key) {
            changed.insert(key.clone(), after[&key].clone());
        }
    }
    Ok(Value::Object(changed))
}

async fn patch(
    State(state): State<AppState>,
    Acting(actor): Acting,
    headers: HeaderMap,
    Path(path): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response, Problem> {
    let (set, id) = target(&state, &path).await?;
    may_write(&actor, set)?;
    let json_patch = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/json-patch+json"));
    let body = if json_patch { patched(&state, set, id, body).await? } else { body };
    let mut tx = begin_as(&state.pool, &actor).await.map_err(Error::from)?;
    within(&mut tx, &actor, &[(set, id)]).await?;
    let mut written = write::Written::default();
    if !write::update(&mut tx, set, id, &body, &mut written).await? {
        return Err(not_found(&format!("{}({id})", set.name())));
    }
    within(&mut tx, &actor, &written.touched).await?;
    tx.commit().await.map_err(Error::from)?;
    let base = base(&headers);
    let entity = read::entity(&state.pool, set, id, Some(&base)).await?.unwrap_or(Value::Null);
    Ok(json_answer(StatusCode::OK, &entity))
}

async fn delete(
    State(state): State<AppState>,
    Acting(actor): Acting,
    Path(path): Path<String>,
) -> Result<Response, Problem> {
    let (set, id) = target(&state, &path).await?;
    may_write(&actor, set)?;
    let mut tx = begin_as(&state.pool, &actor).await.map_err(Error::from)?;
    let stations = crate::sensing::state::things_of(&mut tx, &[(set, id)]).await?;
    within(&mut tx, &actor, &[(set, id)]).await?;
    if !write::delete(&mut tx, set, id).await? {
        return Err(not_found(&format!("{}({id})", set.name())));
    }
    crate::sensing::state::refresh(&mut tx, &stations).await?;
    tx.commit().await.map_err(Error::from)?;
    Ok(StatusCode::OK.into_response())
}
