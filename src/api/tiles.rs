//! `/tiles/...` (MVT from the snapshot, TileJSON) and `/style.json`.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::doc::{Doc, standard};
use super::problem::Problem;
use super::routes::Routes;
use crate::auth::Action;
use crate::snapshot::LayerSnapshot;
use crate::tiles::cache::CachedTile;
use crate::tiles::{TileId, encode, metadata};
use serde_json::json;

/// The source that holds every map layer in one tile.
pub const ALL: &str = "onemap";
/// Longest query string a tile URL may carry (a cache-busting version, nothing more).
const MAX_TILE_QUERY: usize = 64;

/// Routes of the tiles and the style.
pub fn router() -> Routes {
    Routes::new()
        .get("/tiles/{source}/{z}/{x}/{tile}", Action::Read, tile)
        .doc(
            Doc::new("a vector tile (MVT) of the one map or the risk map, from memory")
                .answer_as(
                    200,
                    "application/vnd.mapbox-vector-tile",
                    json!({"type": "string", "format": "binary"}),
                    "the tile",
                )
                .also(204, "the tile is empty"),
        )
        .get("/tiles/{file}", Action::Read, tilejson)
        .doc(Doc::new("TileJSON 3.0 of a tile set (onemap.json, risk.json)").answer(
            200,
            standard("TileJSON 3.0.0", "https://github.com/mapbox/tilejson-spec/tree/master/3.0.0"),
            "the tile set",
        ))
        .get("/style.json", Action::Read, style)
        .doc(Doc::new("the MapLibre style of the viewer").answer(
            200,
            standard("the MapLibre Style Spec", "https://maplibre.org/maplibre-style-spec/"),
            "the style",
        ))
}

/// `http://host` as the client reached us, for absolute URLs in TileJSON and the style.
pub fn origin(headers: &HeaderMap) -> String {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1:8080");
    format!("http://{host}")
}

/// The source of the risk maps (districts, grid cells and hazmat roads with their risk).
pub const RISK: &str = "risk";

/// The layers of a tile source, as they are now.
async fn source_layers(state: &AppState, source: &str) -> Result<Vec<Arc<LayerSnapshot>>, Problem> {
    if source == RISK {
        return Ok(super::risk::current(state).await?.layers.clone());
    }
    if source == ALL {
        return Ok(state.snapshot.layer_names().iter().filter_map(|n| state.snapshot.layer(n)).collect());
    }
    match state.snapshot.layer(source) {
        Some(l) => Ok(vec![l]),
        None => Err(Problem::new(
            StatusCode::NOT_FOUND,
            "unknown tile source",
            format!(
                "no tile source `{source}`; the sources are: {ALL}, {RISK}, {}",
                state.snapshot.layer_names().join(", ")
            ),
        )),
    }
}

fn coordinate(name: &str, raw: &str) -> Result<u32, Problem> {
    raw.parse::<u32>()
        .map_err(|_| Problem::bad_request(name, format!("`{raw}` is not a tile coordinate (an integer ≥ 0)")))
}

async fn tile(
    State(state): State<AppState>,
    Path((source, z, x, file)): Path<(String, String, String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    if query.as_ref().is_some_and(|q| q.len() > MAX_TILE_QUERY) {
        return Err(Problem::bad_request("query", "a tile URL takes no query string beyond a short version tag"));
    }
    let layers = source_layers(&state, &source).await?;
    let y = file
        .strip_suffix(".mvt")
        .ok_or_else(|| Problem::new(StatusCode::NOT_FOUND, "not found", format!("tiles end in .mvt, not `{file}`")))?;
    let id = TileId::new(coordinate("z", &z)?, coordinate("x", &x)?, coordinate("y", y)?)
        .map_err(|reason| Problem::bad_request("z/x/y", reason))?;

    // Each layer is encoded (and cached) on its own; a tile of several layers is their
    // concatenation, which protobuf reads as one message with all the layers.
    let mut parts = Vec::with_capacity(layers.len());
    for snapshot in layers {
        let name = snapshot.layer.name;
        let generation = snapshot.generation;
        let make = async move {
            let made = crate::work::run("tile", move || encode::encode(&[&*snapshot], id))
                .await
                .map_err(Problem::from)?
                .map_err(|e| Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "tile failed", e.to_string()))?;
            Ok::<_, Problem>(Arc::new(CachedTile::new(made)))
        };
        // A refusal shared by those who waited for the same tile: each gets its own copy.
        let part = state.tiles.get_or_make(name, id, generation, make).await.map_err(|e| Problem::clone(&e))?;
        parts.push(part);
    }
    let cached = match parts.as_slice() {
        [one] => one.clone(),
        _ => Arc::new(CachedTile::compose(&parts)),
    };

    let etag = HeaderValue::from_str(&cached.etag).expect("hex etag");
    // Live data: clients may keep tiles but must revalidate (cheap, with the ETag) every time.
    let common = [(header::CACHE_CONTROL, HeaderValue::from_static("no-cache")), (header::ETAG, etag)];
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == cached.etag || t.trim() == "*"));
    if matches {
        return Ok((StatusCode::NOT_MODIFIED, common).into_response());
    }
    if cached.bytes.is_empty() {
        return Ok((StatusCode::NO_CONTENT, common).into_response());
    }
    let content_type = [(header::CONTENT_TYPE, HeaderValue::from_static("application/vnd.mapbox-vector-tile"))];
    Ok((StatusCode::OK, common, content_type, cached.bytes.clone()).into_response())
}

async fn tilejson(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let source = file
        .strip_suffix(".json")
        .ok_or_else(|| Problem::new(StatusCode::NOT_FOUND, "not found", format!("no resource /tiles/{file}")))?;
    let layers = source_layers(&state, source).await?;
    Ok(axum::Json(metadata::tilejson(&layers, source, &origin(&headers))).into_response())
}

async fn style(headers: HeaderMap) -> Response {
    axum::Json(metadata::style(&origin(&headers))).into_response()
}
