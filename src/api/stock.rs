//! Stock of the depots: `/api/depots/{id}/stock` and `/api/stock?item=…` across all depots.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::AppState;
use super::acting::Acting;
use super::body::JsonBody;
use super::doc::{Doc, schema};
use super::extract::{Id, PathOf, Query};
use super::layers::{created, geojson};
use super::problem::Problem;
use super::routes::Routes;
use crate::auth::Action;
use crate::layers::spec::{STOCK_CATEGORIES, STOCK_ITEM_LAYER};
use crate::layers::stock::{self, StockFeature, StockQuery, StockRow};
use crate::layers::write;

/// Routes of the stock.
pub fn router() -> Routes {
    // A stock row is a record of the `stock_item` layer: its schema is the catalogue's.
    let item = schema("layer.stock_item");
    Routes::new()
        .get("/api/depots/{depot}/stock", Action::Read, depot_stock)
        .doc(Doc::new("a depot's stock, with free = quantity − reserved").answer_of::<DepotStock>(200, "the stock"))
        .post("/api/depots/{depot}/stock", Action::EditRegistry, add_stock)
        .doc(
            Doc::new("add one item (object), several (array) or Features; all or nothing")
                .body("application/json", json!({"oneOf": [item.clone(), {"type": "array", "items": item.clone()}, schema("FeatureOrCollection")]}))
                .answer_as(201, "application/geo+json", schema("FeatureOrCollection"), "added"),
        )
        .patch("/api/depots/{depot}/stock/{id}", Action::EditRegistry, patch_stock)
        .doc(
            Doc::new("change an item of the depot")
                .body("application/json", json!({"type": "object", "description": "the properties of `layer.stock_item` to change"}))
                .answer_as(200, "application/geo+json", schema("Feature"), "as stored"),
        )
        .put("/api/depots/{depot}/stock/{id}", Action::EditRegistry, replace_stock)
        .doc(
            Doc::new("replace an item of the depot")
                .body("application/json", item)
                .answer_as(200, "application/geo+json", schema("Feature"), "as stored"),
        )
        .delete("/api/depots/{depot}/stock/{id}", Action::EditRegistry, delete_stock)
        .doc(Doc::new("delete an item of the depot").nothing("deleted"))
        .get("/api/stock", Action::Read, find_stock)
        .doc(
            Doc::new("matching stock in every depot, most free first, as Features at the depot")
                .query("item", "the item's name")
                .query("category", "a stock category")
                .query_as("min_free", json!({"type": "number", "minimum": 0}), "at least this much free")
                .query("district", "depots of this district")
                .geojson_of::<FoundStock>(200, "the depots with it"),
        )
}

/// A depot's stock.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct DepotStock {
    depot_id: i64,
    items: Vec<StockRow>,
}

/// Stock found across depots.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct FoundStock {
    /// Always `FeatureCollection`.
    #[serde(rename = "type")]
    kind: &'static str,
    features: Vec<StockFeature>,
}

async fn depot_stock(State(state): State<AppState>, PathOf(Id(depot)): PathOf<Id>) -> Result<Response, Problem> {
    let items = stock::of_depot(&state.pool, depot).await?;
    Ok(axum::Json(DepotStock { depot_id: depot, items }).into_response())
}

/// Accepts one stock item, a list of them, or Features of the `stock_item` layer.
async fn add_stock(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf(Id(depot)): PathOf<Id>,
    JsonBody(body): JsonBody,
) -> Result<Response, Problem> {
    stock::of_depot(&state.pool, depot).await?;
    let as_feature = |props: &serde_json::Value| json!({"type": "Feature", "geometry": null, "properties": props});
    let body = match &body {
        serde_json::Value::Array(items) => {
            json!({"type": "FeatureCollection", "features": items.iter().map(as_feature).collect::<Vec<_>>()})
        }
        serde_json::Value::Object(map) if !map.contains_key("type") => as_feature(&body),
        _ => body,
    };
    let features = write::create(&state.pool, &actor, &STOCK_ITEM_LAYER, &body, Some(("depot_id", depot))).await?;
    Ok(created("stock_item", &body, features))
}

async fn patch_stock(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf((Id(depot), Id(id))): PathOf<(Id, Id)>,
    JsonBody(body): JsonBody,
) -> Result<Response, Problem> {
    let feature = write::patch(&state.pool, &actor, &STOCK_ITEM_LAYER, id, &body, Some(("depot_id", depot))).await?;
    Ok(geojson(StatusCode::OK, &feature))
}

async fn replace_stock(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf((Id(depot), Id(id))): PathOf<(Id, Id)>,
    JsonBody(body): JsonBody,
) -> Result<Response, Problem> {
    let body = match body {
        serde_json::Value::Object(ref map) if !map.contains_key("type") => {
            json!({"type": "Feature", "geometry": null, "properties": body})
        }
        other => other,
    };
    let feature = write::replace(&state.pool, &actor, &STOCK_ITEM_LAYER, id, &body, Some(("depot_id", depot))).await?;
    Ok(geojson(StatusCode::OK, &feature))
}

async fn delete_stock(
    State(state): State<AppState>,
    Acting(actor): Acting,
    PathOf((Id(depot), Id(id))): PathOf<(Id, Id)>,
) -> Result<StatusCode, Problem> {
    write::delete(&state.pool, &actor, &STOCK_ITEM_LAYER, id, Some(("depot_id", depot))).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The query string of the stock search.
#[derive(Debug, Deserialize)]
struct FindParams {
    item: Option<String>,
    category: Option<String>,
    min_free: Option<f64>,
    district: Option<String>,
}

async fn find_stock(State(state): State<AppState>, Query(params): Query<FindParams>) -> Result<Response, Problem> {
    if let Some(c) = params.category.as_deref().filter(|c| !STOCK_CATEGORIES.contains(c)) {
        return Err(Problem::bad_request("category", format!("`{c}` is not one of: {}", STOCK_CATEGORIES.join(", "))));
    }
    if params.min_free.is_some_and(|v| !(v.is_finite() && v >= 0.0)) {
        return Err(Problem::bad_request("min_free", "must be a number ≥ 0"));
    }
    let query = StockQuery {
        item: params.item,
        category: params.category,
        min_free: params.min_free,
        district: params.district,
    };
    let features = stock::find(&state.pool, &query).await?;
    Ok(geojson(StatusCode::OK, &FoundStock { kind: "FeatureCollection", features }))
}
