//! OGC API – Features at `/ogc`: Part 1 (core, GeoJSON, OpenAPI 3.0), Part 2 (CRS), Part 3
//! (queryables and CQL2 filters) and Part 4 (create, replace, update, delete). Every registry
//! layer is a collection; reads and writes go through the same catalogue, validation,
//! transactions, audit and roles as `/api/layers`.

mod collections;
mod definition;
mod items;
mod landing;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::problem::Problem;
use super::routes::Routes;
use crate::geodesy::crs::Crs;
use crate::layers::spec::{LAYERS, Layer, READ_ONLY};

/// GeoJSON, as Part 1 names it.
const GEOJSON: &str = "application/geo+json";
/// JSON for the landing page, conformance and collections.
const JSON: &str = "application/json";
/// OGC API – Features Part 1, the standard the `/ogc` documents follow.
const OGC_FEATURES: &str = "https://docs.ogc.org/is/17-069r4/17-069r4.html";
/// The API definition's type (OpenAPI 3.0, JSON).
const OPENAPI: &str = "application/vnd.oai.openapi+json;version=3.0";
/// Queryables are a JSON Schema.
const SCHEMA: &str = "application/schema+json";

/// Every collection: the registry's layers, then those read only (the plans' public face).
fn collections() -> impl Iterator<Item = &'static Layer> {
    LAYERS.iter().chain(READ_ONLY).copied()
}

/// The collection called `name`, to read.
fn collection(name: &str) -> Result<&'static Layer, Problem> {
    match READ_ONLY.iter().find(|l| l.name == name) {
        Some(layer) => Ok(layer),
        None => Ok(crate::layers::find(name)?),
    }
}

/// The collection called `name`, to write: one read only refuses (405).
fn writable(name: &str) -> Result<&'static Layer, Problem> {
    if let Some(layer) = READ_ONLY.iter().find(|l| l.name == name) {
        return Err(Problem::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "read-only collection",
            format!("{} is read only here; plans are written at /api/plans, where their steps are checked", layer.name),
        ));
    }
    Ok(crate::layers::find(name)?)
}

/// The routes of OGC API – Features.
pub fn router() -> Routes {
    landing::router().merge(collections::router()).merge(items::router())
}

/// OGC API's root URL as the client used it.
fn base(headers: &HeaderMap) -> String {
    format!("{}/ogc", origin(headers))
}

/// The scheme and host the client used (for absolute links), behind a proxy as it says.
pub(crate) fn origin(headers: &HeaderMap) -> String {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let proto = get("x-forwarded-proto").filter(|p| p == "https" || p == "http").unwrap_or_else(|| "http".into());
    let host = get("x-forwarded-host").or_else(|| get("host")).unwrap_or_else(|| "localhost".into());
    // A host header that is not a plain host[:port] is not echoed into links.
    let host =
        if host.chars().all(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(c)) { host } else { "localhost".into() };
    format!("{proto}://{host}")
}

/// One link.
fn link(href: impl Into<String>, rel: &str, ty: &str, title: &str) -> Value {
    json!({"href": href.into(), "rel": rel, "type": ty, "title": title})
}

/// A JSON answer of `content_type`.
fn answer(status: StatusCode, content_type: &'static str, body: &Value) -> Response {
    (status, [(header::CONTENT_TYPE, content_type)], body.to_string()).into_response()
}

/// A GeoJSON answer whose geometries are in `crs` (Part 2's `Content-Crs`).
fn features(status: StatusCode, crs: Crs, body: &Value) -> Response {
    let mut response = answer(status, GEOJSON, body);
    if let Ok(value) = HeaderValue::from_str(&format!("<{}>", crs.uri())) {
        response.headers_mut().insert("content-crs", value);
    }
    response
}

/// The conformance classes onemap meets.
pub const CONFORMANCE: &[&str] = &[
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/features",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/array-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/property-property",
];
