//! The OpenAPI 3.0 definition of `/ogc` (Part 1's `service-desc`), from the catalogue.

use serde_json::{Value, json};

use super::items::DEFAULT_LIMIT;
use crate::geodesy::crs::Crs;
use crate::layers::cql;
use crate::layers::query::MAX_LIMIT;
use crate::layers::spec::Layer;

fn parameter(name: &str, place: &str, description: &str, schema: Value) -> Value {
    json!({"name": name, "in": place, "required": place == "path", "description": description, "schema": schema, "style": "form", "explode": false})
}

fn answer(description: &str, content_type: &str, schema: &str) -> Value {
    json!({"description": description, "content": {content_type: {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}})
}

fn problem(description: &str) -> Value {
    answer(description, "application/problem+json", "Problem")
}

/// The document, with links under `base` (`http://host/ogc`).
pub fn document(base: &str) -> Value {
    let crs: Vec<&str> = Crs::ALL.iter().map(|c| c.uri()).collect();
    let p = |name: &str| json!({"$ref": format!("#/components/parameters/{name}")});
    let reads =
        json!({"401": problem("no credential, and no public read"), "404": problem("no such collection or feature")});
    let writes = json!({"400": problem("bad input: nothing was written"), "401": problem("no credential"), "403": problem("the role or district does not allow it"), "404": problem("no such collection or feature"), "409": problem("a conflict with a stored feature"), "422": problem("an invalid feature: nothing was written")});
    let feature_body = json!({"required": true, "content": {"application/geo+json": {"schema": {"$ref": "#/components/schemas/Feature"}}}});
    let merge_body = json!({"required": true, "content": {"application/merge-patch+json": {"schema": {"type": "object"}}, "application/json": {"schema": {"type": "object"}}}});
    let with = |mut base: Value, more: &Value| {
        if let (Some(b), Some(m)) = (base.as_object_mut(), more.as_object()) {
            b.extend(m.clone());
        }
        base
    };
    let items_get = |layer: Option<&Layer>| {
        let mut parameters = vec![
            p("bbox"),
            p("bbox-crs"),
            p("limit"),
            p("offset"),
            p("datetime"),
            p("crs"),
            p("filter"),
            p("filter-lang"),
            p("filter-crs"),
        ];
        match layer {
            None => parameters.insert(0, p("collectionId")),
            // Each queryable is also a parameter of its own (`kind=water`), as Part 1 allows.
            Some(layer) => parameters.extend(cql::queryables(layer).map(|f| {
                parameter(
                    f.name,
                    "query",
                    &format!("features whose {} equals (a list: holds) the value", f.name),
                    f.json_schema(),
                )
            })),
        }
        json!({"get": {"summary": "features", "operationId": layer.map_or("getFeatures".to_string(), |l| format!("getFeatures_{}", l.name)), "parameters": parameters,
                "responses": with(json!({"200": answer("a page of features", "application/geo+json", "FeatureCollection"), "400": problem("a bad parameter or filter")}), &reads)}})
    };
    let mut document = json!({
        "openapi": "3.0.3",
        "info": {"title": "onemap OGC API – Features", "version": env!("CARGO_PKG_VERSION"), "description": "The environmental emergency one map's registry layers as feature collections."},
        "servers": [{"url": base}],
        "security": [{"bearer": []}, {"cookie": []}, {}],
        "paths": {
            "/": {"get": {"summary": "landing page", "operationId": "getLandingPage", "responses": {"200": answer("links to the API definition, conformance and collections", "application/json", "Object")}}},
            "/conformance": {"get": {"summary": "conformance classes", "operationId": "getConformanceDeclaration", "responses": {"200": answer("the classes met", "application/json", "Object")}}},
            "/api": {"get": {"summary": "this definition", "operationId": "getAPI", "responses": {"200": {"description": "OpenAPI 3.0", "content": {"application/vnd.oai.openapi+json;version=3.0": {}}}}}},
            "/collections": {"get": {"summary": "the collections", "operationId": "getCollections", "responses": with(json!({"200": answer("every registry layer", "application/json", "Object")}), &reads)}},
            "/collections/{collectionId}": {"get": {"summary": "one collection", "operationId": "describeCollection", "parameters": [p("collectionId")], "responses": with(json!({"200": answer("the collection", "application/json", "Object")}), &reads)}},
            "/collections/{collectionId}/queryables": {"get": {"summary": "what a filter may name", "operationId": "getQueryables", "parameters": [p("collectionId")], "responses": with(json!({"200": {"description": "a JSON Schema", "content": {"application/schema+json": {"schema": {"type": "object"}}}}}), &reads)}},
            "/collections/{collectionId}/items": {
                "get": items_get(None)["get"],
                "post": {"summary": "create a feature", "operationId": "createFeature", "parameters": [p("collectionId"), p("Content-Crs")], "requestBody": feature_body,
                         "responses": with(json!({"201": answer("created; Location names it", "application/geo+json", "Feature")}), &writes)},
            },
            "/collections/{collectionId}/items/{featureId}": {
                "get": {"summary": "one feature", "operationId": "getFeature", "parameters": [p("collectionId"), p("featureId"), p("crs")], "responses": with(json!({"200": answer("the feature", "application/geo+json", "Feature")}), &reads)},
                "put": {"summary": "replace a feature", "operationId": "replaceFeature", "parameters": [p("collectionId"), p("featureId"), p("Content-Crs")], "requestBody": feature_body, "responses": with(json!({"200": answer("as stored", "application/geo+json", "Feature")}), &writes)},
                "patch": {"summary": "update a feature (JSON merge patch)", "operationId": "updateFeature", "parameters": [p("collectionId"), p("featureId"), p("Content-Crs")], "requestBody": merge_body, "responses": with(json!({"200": answer("as stored", "application/geo+json", "Feature")}), &writes)},
                "delete": {"summary": "delete a feature", "operationId": "deleteFeature", "parameters": [p("collectionId"), p("featureId")], "responses": with(json!({"204": {"description": "deleted"}}), &writes)},
            },
        },
        "components": {
            "parameters": {
                "collectionId": parameter("collectionId", "path", "a registry layer", json!({"type": "string", "enum": super::collections().map(|l| l.name).collect::<Vec<_>>()})),
                "featureId": parameter("featureId", "path", "a feature's id", json!({"type": "integer", "minimum": 1})),
                "bbox": parameter("bbox", "query", "features meeting the box: 4 numbers (6 with heights) in the order of bbox-crs", json!({"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}})),
                "bbox-crs": parameter("bbox-crs", "query", "the system of bbox", json!({"type": "string", "format": "uri", "enum": crs, "default": Crs::Crs84.uri()})),
                "limit": parameter("limit", "query", "features a page", json!({"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT})),
                "offset": parameter("offset", "query", "features skipped (the next and prev links carry it)", json!({"type": "integer", "minimum": 0, "default": 0})),
                "datetime": parameter("datetime", "query", "an instant or an interval a/b (.. for open); a date is a day in China Standard Time; for collections with a time", json!({"type": "string"})),
                "crs": parameter("crs", "query", "the system of the answer's geometries", json!({"type": "string", "format": "uri", "enum": crs, "default": Crs::Crs84.uri()})),
                "filter": parameter("filter", "query", "a CQL2 filter on the queryables", json!({"type": "string"})),
                "filter-lang": parameter("filter-lang", "query", "how the filter is written (cql-text: the draft's name for cql2-text, which GDAL 3.6 sends)", json!({"type": "string", "enum": ["cql2-text", "cql2-json", "cql-text"], "default": "cql2-text"})),
                "filter-crs": parameter("filter-crs", "query", "the system of the filter's geometries", json!({"type": "string", "format": "uri", "enum": crs, "default": Crs::Crs84.uri()})),
                "Content-Crs": {"name": "Content-Crs", "in": "header", "required": false, "description": "the system of the body's geometries", "schema": {"type": "string"}},
            },
            "schemas": {
                "Object": {"type": "object"},
                "Feature": {"type": "object", "required": ["type", "geometry", "properties"], "properties": {"type": {"type": "string", "enum": ["Feature"]}, "id": {"type": "integer"}, "geometry": {"type": "object", "nullable": true}, "properties": {"type": "object", "nullable": true}}},
                "FeatureCollection": {"type": "object", "required": ["type", "features"], "properties": {"type": {"type": "string", "enum": ["FeatureCollection"]}, "features": {"type": "array", "items": {"$ref": "#/components/schemas/Feature"}}, "numberMatched": {"type": "integer"}, "numberReturned": {"type": "integer"}, "timeStamp": {"type": "string", "format": "date-time"}, "links": {"type": "array", "items": {"type": "object"}}}},
                "Problem": {"type": "object", "required": ["status", "title", "detail"], "properties": {"type": {"type": "string"}, "status": {"type": "integer"}, "title": {"type": "string"}, "detail": {"type": "string"}, "field": {"type": "string"}}},
            },
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "an API token (onemap user token)"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "onemap_session", "description": "the viewer's session after POST /api/session"},
            },
        },
    });
    // Each collection's listing once more under its own path, with its queryables as parameters
    // (where clients such as GDAL look for them).
    for layer in super::collections() {
        document["paths"][format!("/collections/{}/items", layer.name)] = items_get(Some(layer));
    }
    document
}
