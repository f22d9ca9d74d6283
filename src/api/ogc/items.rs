//! A collection's features: listed with bbox, datetime, property and CQL2 filters, paged, in
//! a chosen CRS (Parts 1–3); created, replaced, updated and deleted (Part 4).

use std::collections::BTreeMap;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{GEOJSON, JSON, base, collection, features, link, writable};
use crate::api::AppState;
use crate::api::acting::Acting;
use crate::api::body::JsonBody;
use crate::api::doc::{Doc, schema, standard};
use crate::api::extract::{Id, PathOf};
use crate::api::layers::{href_with, query_params};
use crate::api::permission::Need;
use crate::api::problem::Problem;
use crate::api::routes::Routes;
use crate::auth::Action;
use crate::geodesy::crs::Crs;
use crate::layers::query::{self, ListQuery, MAX_LIMIT};
use crate::layers::{Layer, cql, datetime, store, write};

/// A page's size when the client does not say.
pub const DEFAULT_LIMIT: i64 = 100;

/// The parameters of `/items` besides the queryables.
const PARAMETERS: &[&str] =
    &["bbox", "bbox-crs", "limit", "offset", "datetime", "crs", "filter", "filter-lang", "filter-crs", "f"];

/// `/ogc/collections/{layer}/items[/{id}]`.
pub fn router() -> Routes {
    let feature = schema("Feature");
    Routes::new()
        .get("/ogc/collections/{layer}/items", Action::Read, list)
        .doc(
            Doc::new("OGC API – Features: features, paged, filtered by bbox, datetime, CQL2 and queryables")
                .query("bbox", "4 (or 6) numbers in the order of bbox-crs")
                .query("bbox-crs", "CRS84, EPSG:4490 or EPSG:3857")
                .query_as(
                    "limit",
                    json!({"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}),
                    "features a page",
                )
                .query_as("offset", json!({"type": "integer", "minimum": 0}), "features skipped")
                .query("datetime", "an instant or an interval a/b")
                .query("crs", "the answer's system")
                .query("filter", "CQL2")
                .query_as(
                    "filter-lang",
                    json!({"type": "string", "enum": ["cql2-text", "cql2-json"]}),
                    "the filter's language",
                )
                .query("filter-crs", "the filter's system")
                .answer_as(200, GEOJSON, schema("FeatureCollection"), "a page"),
        )
        .post("/ogc/collections/{layer}/items", Need::LayerWrite, create)
        .doc(Doc::new("OGC API – Features: create a feature").body(GEOJSON, feature.clone()).answer_as(
            201,
            GEOJSON,
            feature.clone(),
            "created",
        ))
        .get("/ogc/collections/{layer}/items/{id}", Action::Read, one)
        .doc(Doc::new("OGC API – Features: one feature").query("crs", "the answer's system").answer_as(
            200,
            GEOJSON,
            feature.clone(),
            "the feature",
        ))
        .put("/ogc/collections/{layer}/items/{id}", Need::LayerWrite, replace)
        .doc(Doc::new("OGC API – Features: replace a feature").body(GEOJSON, feature.clone()).answer_as(
            200,
            GEOJSON,
            feature.clone(),
            "as stored",
        ))
        .patch("/ogc/collections/{layer}/items/{id}", Need::LayerWrite, update)
        .doc(
            Doc::new("OGC API – Features: update a feature (JSON merge patch)")
                .body(
                    "application/merge-patch+json",
                    standard(
                        "JSON Merge Patch (RFC 7396) of a GeoJSON Feature",
                        "https://www.rfc-editor.org/rfc/rfc7396",
                    ),
                )
                .answer_as(200, GEOJSON, feature, "as stored"),
        )
        .delete("/ogc/collections/{layer}/items/{id}", Need::LayerWrite, remove)
        .doc(Doc::new("OGC API – Features: delete a feature").nothing("deleted"))
}

fn bad(invalid: crate::error::Invalid) -> Problem {
    crate::error::Error::BadQuery(invalid).into()
}

/// The system named by parameter (or header) `name`, CRS84 when absent.
fn crs_of(name: &str, value: Option<&str>) -> Result<Crs, Problem> {
    match value {
        None => Ok(Crs::Crs84),
        Some(v) => Crs::parse(v).ok_or_else(|| {
            Problem::bad_request(name, format!("`{v}` is not a system onemap knows; use {}", Crs::known()))
        }),
    }
}

fn check_format(params: &BTreeMap<String, String>) -> Result<(), Problem> {
    match params.get("f").map(String::as_str) {
        None | Some("json" | "geojson") => Ok(()),
        Some(other) => Err(Problem::bad_request("f", format!("`{other}` is not a format here; use json"))),
    }
}

/// Reads the query of `/items` into a listing query.
fn parse(layer: &'static Layer, params: &BTreeMap<String, String>) -> Result<ListQuery, Problem> {
    check_format(params)?;
    let mut q = ListQuery::page(DEFAULT_LIMIT, 0);
    q.crs = crs_of("crs", params.get("crs").map(String::as_str))?;
    let bbox_crs = crs_of("bbox-crs", params.get("bbox-crs").map(String::as_str))?;
    let filter_crs = crs_of("filter-crs", params.get("filter-crs").map(String::as_str))?;
    for (name, value) in params {
        match name.as_str() {
            "bbox" => {
                if !layer.is_spatial() {
                    return Err(Problem::bad_request("bbox", format!("{} has no geometry", layer.name)));
                }
                let numbers = query::numbers("bbox", value).map_err(bad)?;
                let corners = match numbers[..] {
                    [a, b, c, d] | [a, b, _, c, d, _] => [a, b, c, d],
                    _ => {
                        return Err(Problem::bad_request(
                            "bbox",
                            format!(
                                "has {} numbers; give 4 (or 6 with heights) in the order of bbox-crs",
                                numbers.len()
                            ),
                        ));
                    }
                };
                let lon_lat = query::check_bbox(bbox_crs.bbox_to_lon_lat(corners)).map_err(bad)?;
                query::restrict_bbox(&mut q.condition, lon_lat);
            }
            "limit" => q.limit = int(name, value, 1, MAX_LIMIT)?,
            "offset" => q.offset = int(name, value, 0, i64::MAX / 2)?,
            "datetime" => {
                let field = layer.time.and_then(|t| layer.field(t)).ok_or_else(|| {
                    Problem::bad_request(
                        "datetime",
                        format!("{} has no time; datetime filters incident and inspection", layer.name),
                    )
                })?;
                let period = crate::time::parse(value).map_err(bad)?;
                datetime::restrict(&period, field, &layer.property_sql(field), &mut q.condition);
            }
            "filter" => {
                let lang = match params.get("filter-lang") {
                    None => cql::Lang::Text,
                    Some(l) => cql::Lang::parse(l).ok_or_else(|| {
                        Problem::bad_request(
                            "filter-lang",
                            format!("`{l}` is not a filter language; use cql2-text or cql2-json"),
                        )
                    })?,
                };
                let expr = cql::parse(value, lang).map_err(bad)?;
                cql::restrict(layer, &expr, filter_crs, &mut q.condition).map_err(bad)?;
            }
            "crs" | "bbox-crs" | "filter-crs" | "filter-lang" | "f" => {}
            _ => query::restrict_property(layer, &mut q.condition, name, value, &PARAMETERS.join(", ")).map_err(bad)?,
        }
    }
    Ok(q)
}

fn int(name: &str, value: &str, min: i64, max: i64) -> Result<i64, Problem> {
    match value.parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(Problem::bad_request(name, format!("`{value}` is not an integer in [{min}, {max}]"))),
    }
}

async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(layer): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, Problem> {
    let layer = collection(&layer)?;
    let params = query_params(raw)?;
    let q = parse(layer, &params)?;
    let (found, matched) = store::list(&state.pool, layer, &q).await?;
    let returned = found.len() as i64;
    let collection = format!("{}/collections/{}", base(&headers), layer.name);
    let path = format!("{collection}/items");
    let mut links = vec![
        link(href_with(&path, &params, "offset", &q.offset.to_string()), "self", GEOJSON, "this page"),
        link(&collection, "collection", JSON, "the collection"),
    ];
    if q.offset + returned < matched {
        links.push(link(
            href_with(&path, &params, "offset", &(q.offset + returned).to_string()),
            "next",
            GEOJSON,
            "the next page",
        ));
    }
    if q.offset > 0 {
        let previous = (q.offset - q.limit).max(0);
        links.push(link(
            href_with(&path, &params, "offset", &previous.to_string()),
            "prev",
            GEOJSON,
            "the previous page",
        ));
    }
    let body = json!({
        "type": "FeatureCollection",
        "features": found,
        "numberMatched": matched,
        "numberReturned": returned,
        "timeStamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "links": links,
    });
    Ok(features(StatusCode::OK, q.crs, &body))
}

async fn one(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathOf((layer, Id(id))): PathOf<(String, Id)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, Problem> {
    let layer = collection(&layer)?;
    let params = query_params(raw)?;
    crate::api::layers::only(&params, &["crs", "f"])?;
    check_format(&params)?;
    let crs = crs_of("crs", params.get("crs").map(String::as_str))?;
    let mut conn = state.pool.acquire().await.map_err(crate::error::Error::Database)?;
    let mut feature = store::get_in(&mut conn, layer, id, crs).await?;
    let collection = format!("{}/collections/{}", base(&headers), layer.name);
    feature["links"] = json!([
        link(format!("{collection}/items/{id}"), "self", GEOJSON, "this feature"),
        link(&collection, "collection", JSON, "the collection"),
    ]);
    Ok(features(StatusCode::OK, crs, &feature))
}

/// The body's geometries in CRS84, read in the system its `Content-Crs` names.
fn in_storage_crs(headers: &HeaderMap, mut body: Value) -> Result<Value, Problem> {
    let given = headers.get("content-crs").map(|v| v.to_str().unwrap_or("?"));
    let crs = crs_of("Content-Crs", given)?;
    let convert = |feature: &mut Value| {
        if let Some(geometry) = feature.get_mut("geometry") {
            crs.geojson_to_lon_lat(geometry);
        }
    };
    match body.get_mut("features") {
        Some(Value::Array(list)) => list.iter_mut().for_each(convert),
        _ => convert(&mut body),
    }
    Ok(body)
}

async fn create(
    State(state): State<AppState>,
    Acting(actor): Acting,
    headers: HeaderMap,
    Path(layer): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response, Problem> {
    let layer = writable(&layer)?;
    let body = in_storage_crs(&headers, body)?;
    let mut created = write::create(&state.pool, &actor, layer, &body, None).await?;
    let ids: Vec<i64> = created.iter().filter_map(|f| f["id"].as_i64()).collect();
    state.refresh(layer.name, &ids).await;
    let collection = format!("{}/collections/{}", base(&headers), layer.name);
    if created.len() != 1 {
        let body = json!({"type": "FeatureCollection", "features": created});
        return Ok(features(StatusCode::CREATED, Crs::Crs84, &body));
    }
    let feature = created.remove(0);
    let mut response = features(StatusCode::CREATED, Crs::Crs84, &feature);
    if let Ok(location) = HeaderValue::from_str(&format!("{collection}/items/{}", feature["id"])) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

async fn replace(
    State(state): State<AppState>,
    Acting(actor): Acting,
    headers: HeaderMap,
    PathOf((layer, Id(id))): PathOf<(String, Id)>,
    JsonBody(body): JsonBody,
) -> Result<Response, Problem> {
    let layer = writable(&layer)?;
    let body = in_storage_crs(&headers, body)?;
    let feature = write::replace(&state.pool, &actor, layer, id, &body, None).await?;
    state.refresh(layer.name, &[id]).await;
    Ok(features(StatusCode::OK, Crs::Crs84, &feature))
}

/// PATCH as a JSON merge patch of the feature: `{"properties": {...}, "geometry": ...}`.
async fn update(
    State(state): State<AppState>,
    Acting(actor): Acting,
    headers: HeaderMap,
    PathOf((layer, Id(id))): PathOf<(String, Id)>,
    JsonBody(body): JsonBody,
) -> Result<Response, Problem> {
    let layer = writable(&layer)?;
    let mut body = in_storage_crs(&headers, body)?;
    if let Value::Object(map) = &mut body
        && (map.contains_key("properties") || map.contains_key("geometry"))
    {
        map.insert("type".into(), "Feature".into());
    }
    let feature = write::patch(&state.pool, &actor, layer, id, &body, None).await?;
    state.refresh(layer.name, &[id]).await;
    Ok(features(StatusCode::OK, Crs::Crs84, &feature))
}

async fn remove(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf((layer, Id(id))): PathOf<(String, Id)>,
) -> Result<Response, Problem> {
    let layer = writable(&layer)?;
    write::delete(&state.pool, &actor, layer, id, None).await?;
    state.refresh(layer.name, &[id]).await;
    Ok(StatusCode::NO_CONTENT.into_response())
}
