//! The OpenAPI 3.1 document of the whole HTTP API (`/api/openapi.json`), generated from the
//! router: every route with what it needs (its security), its path parameters from the pattern,
//! and the [`Doc`] added beside it (summary, parameters, body, answer; request types' schemas by
//! `utoipa`, the layers' from the catalogue). `/api/docs` browses it (Swagger UI, vendored).

use std::collections::BTreeMap;

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::doc::{Doc, schema, standard};
use super::permission::Need;
use super::routes::{Routes, Rule};
use crate::layers::spec::{LAYERS, Layer, nullable};

/// `/api/openapi.json` and `/api/docs`.
pub fn router() -> Routes {
    Routes::new()
        .get("/api/openapi.json", Need::Nothing, openapi)
        .doc(Doc::new("this document: the whole HTTP API in OpenAPI 3.1").answer(
            200,
            standard("OpenAPI 3.1", "https://spec.openapis.org/oas/v3.1.0"),
            "the document",
        ))
        .get("/api/docs", Need::Nothing, docs_page)
        .doc(Doc::new("a browser of this document (Swagger UI)").answer_as(
            200,
            "text/html; charset=utf-8",
            json!({"type": "string"}),
            "the page",
        ))
}

async fn openapi() -> Response {
    // Made once: the routes do not change while the process runs.
    static DOCUMENT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let body = DOCUMENT.get_or_init(|| document(super::routes().rules()).to_string());
    ([(header::CONTENT_TYPE, "application/json")], body.as_str()).into_response()
}

/// The schema of path parameter `name`.
fn path_parameter(name: &str) -> (Value, &'static str) {
    match name {
        "layer" => (
            json!({"type": "string", "enum": LAYERS.iter().map(|l| l.name).collect::<Vec<_>>()}),
            "a layer of the registry",
        ),
        "id" | "depot" | "report" | "recipient" => (json!({"type": "integer", "minimum": 1}), "an id"),
        "way" => (json!({"type": "string", "enum": ["downstream", "upstream"]}), "which way along the rivers"),
        "z" | "x" => (json!({"type": "integer", "minimum": 0}), "tile zoom or column"),
        "tile" => (json!({"type": "string", "pattern": "^[0-9]+\\.mvt$"}), "tile row and `.mvt`"),
        "source" => (json!({"type": "string", "enum": ["onemap", "risk"]}), "the tile set"),
        _ => (json!({"type": "string"}), "a name"),
    }
}

fn problem(description: &str) -> Value {
    json!({"description": description, "content": {"application/problem+json": {"schema": schema("Problem")}}})
}

/// The document for `rules`.
pub fn document(rules: &[Rule]) -> Value {
    let mut paths: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    let mut schemas = Map::new();
    for rule in rules {
        let doc = rule.doc.clone().unwrap_or_default();
        for (name, s) in &doc.schemas {
            let before = schemas.insert(name.clone(), s.clone());
            // Two types of one name would silently take each other's place in the document.
            debug_assert!(before.is_none_or(|b| &b == s), "two schemas are named {name}");
        }
        let mut parameters: Vec<Value> = rule
            .path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|s| s.trim_start_matches('*'))
            .map(|name| {
                let (schema, description) = path_parameter(name);
                json!({"name": name, "in": "path", "required": true, "schema": schema, "description": description})
            })
            .collect();
        let has_path_parameters = !parameters.is_empty();
        parameters.extend(doc.query.iter().map(|(name, schema, description)| {
            json!({"name": name, "in": "query", "required": false, "schema": schema, "description": description})
        }));
        let mut responses = Map::new();
        if let Some((status, content_type, schema, description)) = &doc.answer {
            let content =
                if *status == 204 { json!(null) } else { json!({content_type.to_string(): {"schema": schema}}) };
            let mut answer = json!({"description": description});
            if !content.is_null() {
                answer["content"] = content;
            }
            responses.insert(status.to_string(), answer);
        }
        let takes_input = !doc.query.is_empty() || doc.body.is_some() || has_path_parameters;
        if takes_input {
            responses.insert("400".into(), problem("bad input: nothing was done"));
            responses.insert("422".into(), problem("cannot be done with this input (nothing written)"));
        }
        for (status, description) in &doc.also {
            let answer = if *status == 204 { json!({"description": description}) } else { problem(description) };
            responses.insert(status.to_string(), answer);
        }
        // Any request may meet a saturated server, an unreachable database or its time limit.
        responses.insert(
            "503".into(),
            problem("busy, or the database unreachable, or out of time: nothing written; see Retry-After"),
        );
        let action = rule.need.action(None);
        if action.is_some() {
            responses.insert("401".into(), problem("no credential (and no public read, for reading)"));
            responses.insert("403".into(), problem("the role or the district does not allow it"));
        }
        if has_path_parameters {
            responses.insert("404".into(), problem("no such thing"));
        }
        // Every write may be refused in the present state (a draft already submitted, a warning
        // no longer in force), body or not.
        if doc.body.is_some() || rule.method != axum::http::Method::GET {
            responses.insert("409".into(), problem("in conflict with what is stored (nothing written)"));
            responses.insert("422".into(), problem("invalid (nothing written)"));
        }
        if doc.body.is_some() {
            responses.insert("413".into(), problem("the body is larger than the server accepts"));
        }
        let mut operation = json!({
            "summary": doc.summary,
            "operationId": operation_id(rule),
            "tags": [tag(rule.path)],
            "parameters": parameters,
            "responses": responses,
        });
        match &rule.need {
            Need::Nothing => operation["security"] = json!([]),
            Need::LayerWrite => {
                operation["x-onemap-needs"] = json!("HandleIncidents for incident, EditRegistry for the other layers")
            }
            Need::Attach => {
                operation["x-onemap-needs"] = json!(
                    "HandleIncidents for incidents and reports, EditRegistry for inspections, \
                           the addressee or the command for an order"
                )
            }
            Need::Plans => {
                operation["x-onemap-needs"] = json!("Read, or FilePlans (an enterprise: its own plans whole)")
            }
            Need::Orders => {
                operation["x-onemap-needs"] =
                    json!("signed in as the order's addressee, or HandleIncidents for the incident's command")
            }
            Need::Sensing => operation["x-onemap-needs"] = json!("EditRegistry; HandleIncidents for Observations"),
            Need::To(action) => operation["x-onemap-needs"] = json!(format!("{action:?}")),
        }
        if let Some((content_type, schema)) = &doc.body {
            operation["requestBody"] =
                json!({"required": true, "content": {content_type.to_string(): {"schema": schema}}});
        }
        paths.entry(rule.path.replace("{*", "{")).or_default().insert(rule.method.as_str().to_lowercase(), operation);
    }
    schemas.insert("Problem".into(), json!({
        "type": "object", "description": "RFC 9457 problem details",
        "required": ["status", "title", "detail"],
        "properties": {
            "type": {"type": "string"}, "status": {"type": "integer"}, "title": {"type": "string"},
            "detail": {"type": "string"}, "field": {"type": "string", "description": "the property, geometry or parameter at fault"},
            "feature": {"type": "integer", "description": "index of the feature at fault in a batch"},
        },
    }));
    schemas.insert("Feature".into(), json!({
        "type": "object", "description": "a GeoJSON Feature (RFC 7946) of a layer; its properties are those of the layer's schema",
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"const": "Feature"}, "id": {"type": "integer"},
            "geometry": {"type": ["object", "null"]},
            "properties": {"anyOf": LAYERS.iter().map(|l| schema(&layer_schema_name(l))).collect::<Vec<_>>()},
        },
    }));
    schemas.insert(
        "FeatureCollection".into(),
        json!({
            "type": "object", "required": ["type", "features"],
            "properties": {
                "type": {"const": "FeatureCollection"}, "features": {"type": "array", "items": schema("Feature")},
                "numberMatched": {"type": "integer"}, "numberReturned": {"type": "integer"},
                "links": {"type": "array", "items": {"type": "object"}},
            },
        }),
    );
    schemas.insert("FeatureOrCollection".into(), json!({"oneOf": [schema("Feature"), schema("FeatureCollection")]}));
    for layer in LAYERS {
        schemas.insert(layer_schema_name(layer), layer_schema(layer));
    }
    // Areas in the router's order, the viewer's files last.
    let mut tags: Vec<String> = Vec::new();
    for t in rules.iter().map(|r| tag(r.path)).filter(|t| t != "viewer").chain(["viewer".to_string()]) {
        if !tags.contains(&t) {
            tags.push(t);
        }
    }
    json!({
        "tags": tags.iter().map(|name| json!({"name": name})).collect::<Vec<_>>(),
        "openapi": "3.1.0",
        "info": {
            "title": "onemap HTTP API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The environmental emergency one map (环境应急一张图): registry, tiles, routing and dispatch, the duty desk, risk and warnings. Errors are application/problem+json. OGC API – Features is at /ogc (with its own OpenAPI 3.0 at /ogc/api).",
            "license": {"name": "MIT OR Apache-2.0", "identifier": "MIT OR Apache-2.0"},
            "x-limits": limits(),
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "an API token: onemap token create NAME"},
                "session": {"type": "apiKey", "in": "cookie", "name": super::acting::SESSION_COOKIE, "description": "the viewer's session, after POST /api/session"},
            },
        },
        "security": [{"bearer": []}, {"session": []}],
    })
}

/// The limits every request is held to before work starts (a request past one gets a problem
/// naming it): geometry, filters, streams, time.
fn limits() -> Value {
    use crate::layers::validate::{MAX_POLYGON_VERTICES, MAX_REQUEST_POLYGONS, MAX_REQUEST_VERTICES};
    json!({
        "polygon_vertices": MAX_POLYGON_VERTICES,
        "request_vertices": MAX_REQUEST_VERTICES,
        "request_polygons": MAX_REQUEST_POLYGONS,
        "request_rings": MAX_REQUEST_POLYGONS * 4,
        "barriers": crate::routing::request::MAX_BARRIERS,
        "page_size": crate::layers::query::MAX_LIMIT,
        "filter_characters": crate::layers::cql::MAX_CHARS,
        "filter_depth": crate::layers::cql::MAX_DEPTH,
        "uri_bytes": super::MAX_URI,
        "request_timeout_s_default": super::guard::DEFAULT_TIMEOUT.as_secs(),
        "body_mb_default": super::ServerConfig::default().max_body_bytes / (1024 * 1024),
    })
}

/// The component name of a layer's properties.
fn layer_schema_name(layer: &Layer) -> String {
    format!("layer.{}", layer.name)
}

/// A layer's properties as JSON Schema, from the catalogue.
fn layer_schema(layer: &Layer) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for field in layer.fields {
        // An optional field is answered as null when it holds nothing.
        let s = if field.required { field.json_schema() } else { nullable(field.json_schema()) };
        properties.insert(field.name.into(), s);
        if field.required {
            required.push(field.name);
        }
    }
    for field in layer.read_only() {
        let mut s = nullable(field.json_schema());
        s["readOnly"] = true.into();
        properties.insert(field.name.into(), s);
    }
    json!({"type": "object", "title": layer.title, "properties": properties, "required": required})
}

fn tag(path: &str) -> String {
    let mut parts = path.trim_start_matches('/').split('/');
    match (parts.next(), parts.next()) {
        (Some("api"), Some(area)) => area.split('.').next().unwrap_or(area).to_string(),
        (Some(""), _) | (Some("viewer" | "vendor"), _) => "viewer".into(),
        (Some(first), _) => first.to_string(),
        _ => "other".into(),
    }
}

fn operation_id(rule: &Rule) -> String {
    let path: String = rule
        .path
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect::<String>()
        .split('_')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("_");
    format!("{}_{}", rule.method.as_str().to_lowercase(), if path.is_empty() { "root" } else { &path })
}

/// `GET /api/docs`: the API browser.
async fn docs_page() -> Response {
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], DOCS_PAGE).into_response()
}

const DOCS_PAGE: &str = include_str!("../viewer/api-docs.html");
