//! The collections (one per registry layer) and their queryables.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use super::{GEOJSON, JSON, OGC_FEATURES, SCHEMA, answer, base, collection, collections, link};
use crate::api::AppState;
use crate::api::doc::{Doc, standard};
use crate::api::problem::Problem;
use crate::api::routes::Routes;
use crate::auth::Action;
use crate::geodesy::crs::Crs;
use crate::layers::spec::{GeometryRule, Layer, READ_ONLY};
use crate::layers::{cql, store};

/// `/ogc/collections[/{layer}[/queryables]]`.
pub fn router() -> Routes {
    Routes::new()
        .get("/ogc/collections", Action::Read, list)
        .doc(Doc::new("OGC API – Features: the collections").answer(
            200,
            standard("OGC API – Features Part 1 (collections)", OGC_FEATURES),
            "every registry layer",
        ))
        .get("/ogc/collections/{layer}", Action::Read, one)
        .doc(Doc::new("OGC API – Features: one collection").answer(
            200,
            standard("OGC API – Features Part 1 (collection)", OGC_FEATURES),
            "the collection",
        ))
        .get("/ogc/collections/{layer}/queryables", Action::Read, queryables)
        .doc(Doc::new("OGC API – Features: what a filter may name").answer_as(
            200,
            SCHEMA,
            standard(
                "JSON Schema 2020-12 (OGC API – Features Part 5)",
                "https://json-schema.org/draft/2020-12/json-schema-core",
            ),
            "the queryables",
        ))
}

async fn list(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, Problem> {
    let base = base(&headers);
    let mut list = Vec::new();
    for layer in collections() {
        list.push(describe(&state, &base, layer).await?);
    }
    let body = json!({
        "links": [link(format!("{base}/collections"), "self", JSON, "the collections")],
        "collections": list,
        "crs": Crs::ALL.iter().map(|c| c.uri()).collect::<Vec<_>>(),
    });
    Ok(answer(StatusCode::OK, JSON, &body))
}

async fn one(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(layer): Path<String>,
) -> Result<Response, Problem> {
    let layer = collection(&layer)?;
    Ok(answer(StatusCode::OK, JSON, &describe(&state, &base(&headers), layer).await?))
}

/// One collection: id, title, links, extent, item type and systems.
async fn describe(state: &AppState, base: &str, layer: &Layer) -> Result<Value, Problem> {
    let href = format!("{base}/collections/{}", layer.name);
    let summary = store::summary(&state.pool, layer).await?;
    let mut extent = json!({});
    if let Some(bbox) = summary.extent {
        extent["spatial"] = json!({"bbox": [bbox], "crs": Crs::Crs84.uri()});
    }
    if let Some(interval) = store::time_extent(&state.pool, layer).await? {
        extent["temporal"] =
            json!({"interval": [interval], "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"});
    }
    let mut collection = json!({
        "id": layer.name,
        "title": layer.title,
        "description": format!("{} ({}), {} features", layer.title, layer.name, summary.count),
        "itemType": "feature",
        "links": [
            link(&href, "self", JSON, "this collection"),
            link(format!("{href}/items"), "items", GEOJSON, "its features"),
            link(format!("{href}/queryables"), "http://www.opengis.net/def/rel/ogc/1.0/queryables", SCHEMA, "what a filter may name"),
        ],
        "extent": extent,
        "crs": Crs::ALL.iter().map(|c| c.uri()).collect::<Vec<_>>(),
        "storageCrs": Crs::Crs84.uri(),
    });
    if let Some(time) = layer.time {
        collection["x-onemap-datetime"] = time.into();
    }
    if READ_ONLY.iter().any(|l| l.name == layer.name) {
        collection["x-onemap-read-only"] = true.into();
    }
    Ok(collection)
}

async fn queryables(headers: HeaderMap, Path(layer): Path<String>) -> Result<Response, Problem> {
    let layer = collection(&layer)?;
    let mut properties = serde_json::Map::new();
    if layer.is_spatial() {
        properties.insert("geometry".into(), geometry_schema(layer.geometry));
    }
    properties.insert("id".into(), json!({"title": "id", "type": "integer"}));
    for field in cql::queryables(layer) {
        properties.insert(field.name.into(), field.json_schema());
    }
    let body = json!({
        "$schema": "https://json-schema.org/draft/2019-09/schema",
        "$id": format!("{}/collections/{}/queryables", base(&headers), layer.name),
        "type": "object",
        "title": layer.title,
        "properties": properties,
        "additionalProperties": false,
    });
    Ok(answer(StatusCode::OK, SCHEMA, &body))
}

fn geometry_schema(rule: GeometryRule) -> Value {
    let format = match rule {
        GeometryRule::Point => "geometry-point",
        GeometryRule::LineString => "geometry-linestring",
        GeometryRule::MultiPolygon => "geometry-multipolygon",
        GeometryRule::MultiPoint => "geometry-multipoint",
        _ => "geometry-any",
    };
    json!({"title": "geometry", "format": format, "x-ogc-role": "primary-geometry"})
}
