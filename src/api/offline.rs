//! `onemap serve --offline FILE.pmtiles`: an offline package served read-only, with no
//! database: its tiles, its TileJSON, the style over it, and a map page. Anything else is a
//! problem that says so.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use pmtiles::{AsyncPmTilesReader, MmapBackend, TileCoord, TileType};
use serde_json::{Value, json};

use super::problem::Problem;
use super::tiles::origin;
use crate::tiles::{TileId, metadata};

/// An opened package.
pub struct Package {
    reader: AsyncPmTilesReader<MmapBackend>,
    metadata: Value,
    name: String,
}

impl Package {
    /// Opens the archive at `path`: a PMTiles v3 archive of vector tiles.
    pub async fn open(path: &Path) -> Result<Arc<Self>> {
        let backend = MmapBackend::try_from(path).await.with_context(|| format!("cannot open {}", path.display()))?;
        let reader = AsyncPmTilesReader::try_from_source(backend)
            .await
            .with_context(|| format!("{} is not a PMTiles archive", path.display()))?;
        if reader.get_header().tile_type != TileType::Mvt {
            bail!("{} holds {:?} tiles, not vector tiles", path.display(), reader.get_header().tile_type);
        }
        let metadata = match reader.get_metadata().await {
            Ok(text) => serde_json::from_str(&text).unwrap_or_else(|_| json!({})),
            Err(_) => json!({}),
        };
        let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        Ok(Arc::new(Self { reader, metadata, name }))
    }

    /// Zooms and bounds from the header.
    fn extent(&self) -> (u8, u8, [f64; 4]) {
        let h = self.reader.get_header();
        (h.min_zoom, h.max_zoom, [h.min_longitude, h.min_latitude, h.max_longitude, h.max_latitude])
    }
}

/// The routes of the offline server.
pub fn router(package: Arc<Package>) -> Router {
    Router::new()
        .route("/", get(|headers: HeaderMap| async move { page("/viewer/offline.html", &headers) }))
        .route(
            "/viewer/{file}",
            get(|UrlPath(file): UrlPath<String>, headers: HeaderMap| async move {
                page(&format!("/viewer/{file}"), &headers)
            }),
        )
        .route(
            "/vendor/{file}",
            get(|UrlPath(file): UrlPath<String>, headers: HeaderMap| async move {
                page(&format!("/vendor/{file}"), &headers)
            }),
        )
        .route("/health", get(health))
        .route("/tiles/onemap.json", get(tilejson))
        .route("/style.json", get(style))
        .route("/tiles/onemap/{z}/{x}/{tile}", get(tile))
        .fallback(elsewhere)
        .layer(axum::middleware::from_fn(super::headers::secure))
        .with_state(package)
}

fn page(path: &str, request: &HeaderMap) -> Response {
    match crate::viewer::file(path) {
        Some((body, content_type)) => super::viewer::asset(body, content_type, request),
        None => Problem::new(StatusCode::NOT_FOUND, "not found", format!("no file {path}")).into_response(),
    }
}

async fn health(State(package): State<Arc<Package>>) -> Response {
    let (minzoom, maxzoom, bounds) = package.extent();
    axum::Json(json!({
        "status": "ok", "mode": "offline", "package": package.name,
        "minzoom": minzoom, "maxzoom": maxzoom, "bounds": bounds,
        "generator": package.metadata.get("generator"),
    }))
    .into_response()
}

async fn tilejson(State(package): State<Arc<Package>>, headers: HeaderMap) -> Response {
    let (minzoom, maxzoom, bounds) = package.extent();
    let mut tilejson = package.metadata.clone();
    tilejson["tilejson"] = json!("3.0.0");
    tilejson["tiles"] = json!([format!("{}/tiles/onemap/{{z}}/{{x}}/{{y}}.mvt", origin(&headers))]);
    tilejson["minzoom"] = json!(minzoom);
    tilejson["maxzoom"] = json!(maxzoom);
    tilejson["bounds"] = json!(bounds);
    axum::Json(tilejson).into_response()
}

async fn style(headers: HeaderMap) -> Response {
    let source = json!({"type": "vector", "url": format!("{}/tiles/onemap.json", origin(&headers))});
    axum::Json(metadata::package_style(source)).into_response()
}

async fn tile(
    State(package): State<Arc<Package>>,
    UrlPath((z, x, file)): UrlPath<(String, String, String)>,
) -> Result<Response, Problem> {
    let number = |name: &str, raw: &str| {
        raw.parse::<u32>().map_err(|_| Problem::bad_request(name, format!("`{raw}` is not a tile coordinate")))
    };
    let y = file
        .strip_suffix(".mvt")
        .ok_or_else(|| Problem::new(StatusCode::NOT_FOUND, "not found", format!("tiles end in .mvt, not `{file}`")))?;
    let id = TileId::new(number("z", &z)?, number("x", &x)?, number("y", y)?)
        .map_err(|reason| Problem::bad_request("z/x/y", reason))?;
    let coord = TileCoord::new(id.z, id.x, id.y).map_err(|e| Problem::bad_request("z/x/y", e.to_string()))?;
    let found = package
        .reader
        .get_tile_decompressed(coord)
        .await
        .map_err(|e| Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "unreadable package", e.to_string()))?;
    let cache = (header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(match found {
        Some(bytes) if !bytes.is_empty() => (
            StatusCode::OK,
            [cache, (header::CONTENT_TYPE, HeaderValue::from_static("application/vnd.mapbox-vector-tile"))],
            bytes,
        )
            .into_response(),
        _ => (StatusCode::NO_CONTENT, [cache]).into_response(),
    })
}

async fn elsewhere(method: Method) -> Problem {
    let detail = "this is an offline package served read-only (serve --offline): only the map, its tiles, \
                  /tiles/onemap.json, /style.json and /health are here";
    if method == Method::GET || method == Method::HEAD {
        Problem::new(StatusCode::NOT_FOUND, "not in the offline package", detail)
    } else {
        Problem::new(StatusCode::METHOD_NOT_ALLOWED, "read-only", detail)
    }
}
