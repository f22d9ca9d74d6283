//! `/api/layers`: the registry as GeoJSON, with paging, filters and all-or-nothing writes.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};

use super::AppState;
use super::acting::Acting;
use super::body::JsonBody;
use super::doc::{Doc, schema};
use super::extract::{Id, PathOf};
use super::permission::Need;
use super::problem::Problem;
use super::routes::Routes;
use crate::auth::Action;
use crate::layers::{self, query, spec, store, words, write};

/// Routes of the registry.
pub fn router() -> Routes {
    let feature_or_collection = schema("FeatureOrCollection");
    Routes::new()
        .get("/api/layers", Action::Read, list_layers)
        .doc(Doc::new("every layer with its count, extent and fields").answer_of::<Layers>(200, "the layers"))
        .get("/api/layers/{layer}", Action::Read, list_features)
        .doc(
            Doc::new("a layer's features, paged and filtered; any field is a filter too (`district=渝北区`, `specialties=hazmat`)")
                .query("bbox", "west,south,east,north: features whose geometry meets the box")
                .query_as("limit", json!({"type": "integer", "minimum": 1, "maximum": 10000, "default": 1000}), "features a page")
                .query_as("offset", json!({"type": "integer", "minimum": 0}), "features skipped")
                .query("q", "part of the name")
                .answer_as(200, "application/geo+json", schema("FeatureCollection"), "a page"),
        )
        .post("/api/layers/{layer}", Need::LayerWrite, create_features)
        .doc(
            Doc::new("create one Feature or a FeatureCollection, all or nothing")
                .body("application/geo+json", feature_or_collection.clone())
                .answer_as(201, "application/geo+json", feature_or_collection, "created (Location names one)"),
        )
        .get("/api/layers/{layer}/{id}", Action::Read, get_feature)
        .doc(Doc::new("one feature").answer_as(200, "application/geo+json", schema("Feature"), "the feature"))
        .put("/api/layers/{layer}/{id}", Need::LayerWrite, replace_feature)
        .doc(
            Doc::new("replace a feature")
                .body("application/geo+json", schema("Feature"))
                .answer_as(200, "application/geo+json", schema("Feature"), "as stored"),
        )
        .patch("/api/layers/{layer}/{id}", Need::LayerWrite, patch_feature)
        .doc(
            Doc::new("change some properties (and the geometry); the merged record is checked whole")
                .body("application/json", json!({"oneOf": [schema("Feature"), {"type": "object"}]}))
                .answer_as(200, "application/geo+json", schema("Feature"), "as stored"),
        )
        .delete("/api/layers/{layer}/{id}", Need::LayerWrite, delete_feature)
        .doc(Doc::new("delete a feature").nothing("deleted"))
}

/// A GeoJSON answer.
pub fn geojson(status: StatusCode, body: &impl serde::Serialize) -> Response {
    match serde_json::to_string(body) {
        Ok(text) => (status, [(header::CONTENT_TYPE, "application/geo+json")], text).into_response(),
        Err(e) => {
            Problem::from(crate::error::Error::Failed(format!("the answer could not be written: {e}"))).into_response()
        }
    }
}

/// A 400 naming the first parameter not in `allowed`.
pub fn only(params: &BTreeMap<String, String>, allowed: &[&str]) -> Result<(), Problem> {
    match params.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(Problem::bad_request(k, format!("`{k}` is not a parameter; use {}", allowed.join(", ")))),
        None => Ok(()),
    }
}

/// Query parameters as a map; a malformed query string is a 400.
pub fn query_params(raw: Option<String>) -> Result<BTreeMap<String, String>, Problem> {
    let raw = raw.unwrap_or_default();
    Query::<BTreeMap<String, String>>::try_from_uri(
        &format!("/?{raw}").parse().map_err(|_| Problem::bad_request("query", "the query string is not valid"))?,
    )
    .map(|q| q.0)
    .map_err(|e| Problem::bad_request("query", e.body_text()))
}

/// The registry's layers.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct Layers {
    layers: Vec<LayerSummary>,
}

/// A layer: what it holds, how much, where, and its fields.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct LayerSummary {
    /// The layer's name in URLs.
    name: &'static str,
    /// Its Chinese title.
    title: &'static str,
    /// What geometry its features have.
    geometry: &'static str,
    /// Features.
    count: i64,
    /// west, south, east, north (none: empty or not spatial).
    extent: Option<[f64; 4]>,
    /// Its fields, those written then those onemap keeps.
    fields: Vec<FieldSummary>,
    /// Its features.
    href: String,
}

/// A field of a layer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct FieldSummary {
    /// The property's name.
    name: &'static str,
    /// string, enum, number, integer, boolean, date, timestamp, enum[], id or object[].
    #[serde(rename = "type")]
    ty: &'static str,
    /// The codes it takes, for an enum.
    values: Option<&'static [&'static str]>,
    /// The vocabulary of `/api/words` that says its codes.
    vocabulary: Option<&'static str>,
    /// Must be given.
    required: bool,
    /// Kept by onemap, never written.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    read_only: bool,
}

async fn list_layers(State(state): State<AppState>) -> Result<Response, Problem> {
    let mut layers = Vec::new();
    for layer in spec::LAYERS {
        let summary = store::summary(&state.pool, layer).await?;
        let written = layer.fields.iter().map(|f| describe_field(f, false));
        let kept = layer.read_only().map(|f| describe_field(f, true));
        layers.push(LayerSummary {
            name: layer.name,
            title: layer.title,
            geometry: layer.geometry.describe(),
            count: summary.count,
            extent: summary.extent,
            fields: written.chain(kept).collect(),
            href: format!("/api/layers/{}", layer.name),
        });
    }
    Ok(axum::Json(Layers { layers }).into_response())
}

fn describe_field(field: &'static spec::Field, read_only: bool) -> FieldSummary {
    use spec::FieldType as T;
    let (ty, values): (&str, Option<&'static [&'static str]>) = match field.ty {
        T::Text { .. } | T::Coded { .. } => ("string", None),
        T::Enum(v) => ("enum", Some(v)),
        T::Number { .. } => ("number", None),
        T::Integer { .. } => ("integer", None),
        T::Bool => ("boolean", None),
        T::Date => ("date", None),
        T::Timestamp => ("timestamp", None),
        T::EnumList(v) => ("enum[]", Some(v)),
        T::Reference { .. } => ("id", None),
        T::Rows(_) => ("object[]", None),
    };
    let vocabulary = match field.ty {
        T::Bool => Some("yes_no"),
        _ => values.and_then(words::of_values).map(|v| v.name),
    };
    FieldSummary { name: field.name, ty, values, vocabulary, required: field.required, read_only }
}

async fn list_features(
    State(state): State<AppState>,
    Path(layer): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, Problem> {
    let layer = layers::find(&layer)?;
    let params = query_params(raw)?;
    let query = query::parse(layer, &params).map_err(crate::error::Error::BadQuery)?;
    let (features, matched) = store::list(&state.pool, layer, &query).await?;
    let returned = features.len() as i64;
    let mut links = vec![
        json!({"rel": "self", "type": "application/geo+json", "href": page_href(layer.name, &params, query.offset)}),
    ];
    if query.offset + returned < matched {
        links.push(json!({"rel": "next", "type": "application/geo+json", "href": page_href(layer.name, &params, query.offset + returned)}));
    }
    let body = json!({
        "type": "FeatureCollection", "features": features,
        "numberMatched": matched, "numberReturned": returned, "links": links,
    });
    Ok(geojson(StatusCode::OK, &body))
}

fn page_href(layer: &str, params: &BTreeMap<String, String>, offset: i64) -> String {
    href_with(&format!("/api/layers/{layer}"), params, "offset", &offset.to_string())
}

/// `path` with the query `params`, `key` set to `value` (a link to another page of an answer).
pub fn href_with(path: &str, params: &BTreeMap<String, String>, key: &str, value: &str) -> String {
    let mut params = params.clone();
    params.insert(key.into(), value.into());
    let query: Vec<String> = params.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect();
    format!("{path}?{}", query.join("&"))
}

/// Percent-encodes a query component (RFC 3986 unreserved characters stay).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~,".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

async fn create_features(
    State(state): State<AppState>,
    Acting(actor): Acting,
    Path(layer): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response, Problem> {
    let layer = layers::find(&layer)?;
    let features = write::create(&state.pool, &actor, layer, &body, None).await?;
    let ids: Vec<i64> = features.iter().filter_map(|f| f["id"].as_i64()).collect();
    state.refresh(layer.name, &ids).await;
    Ok(created(layer.name, &body, features))
}

/// 201 with the created Feature (and its Location) or FeatureCollection, as was sent.
pub fn created(href_base: &str, body: &Value, mut features: Vec<Value>) -> Response {
    if body.get("type").and_then(Value::as_str) == Some("Feature") && features.len() == 1 {
        let feature = features.remove(0);
        let location = format!("/api/layers/{href_base}/{}", feature["id"]);
        let mut response = geojson(StatusCode::CREATED, &feature);
        if let Ok(value) = location.parse() {
            response.headers_mut().insert(header::LOCATION, value);
        }
        return response;
    }
    geojson(StatusCode::CREATED, &json!({"type": "FeatureCollection", "features": features}))
}

async fn get_feature(
    State(state): State<AppState>,
    PathOf((layer, Id(id))): PathOf<(String, Id)>,
) -> Result<Response, Problem> {
    let layer = layers::find(&layer)?;
    let mut conn = state.pool.acquire().await.map_err(crate::error::Error::Database)?;
    let feature = store::get(&mut conn, layer, id, false).await?;
    Ok(geojson(StatusCode::OK, &feature))
}

async fn replace_feature(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf((layer, Id(id))): PathOf<(String, Id)>,
    JsonBody(body): JsonBody,
) -> Result<Response, Problem> {
    let layer = layers::find(&layer)?;
    let feature = write::replace(&state.pool, &actor, layer, id, &body, None).await?;
    state.refresh(layer.name, &[id]).await;
    Ok(geojson(StatusCode::OK, &feature))
}

async fn patch_feature(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf((layer, Id(id))): PathOf<(String, Id)>,
    JsonBody(body): JsonBody,
) -> Result<Response, Problem> {
    let layer = layers::find(&layer)?;
    let feature = write::patch(&state.pool, &actor, layer, id, &body, None).await?;
    state.refresh(layer.name, &[id]).await;
    Ok(geojson(StatusCode::OK, &feature))
}

async fn delete_feature(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf((layer, Id(id))): PathOf<(String, Id)>,
) -> Result<StatusCode, Problem> {
    let layer = layers::find(&layer)?;
    write::delete(&state.pool, &actor, layer, id, None).await?;
    state.refresh(layer.name, &[id]).await;
    Ok(StatusCode::NO_CONTENT)
}
