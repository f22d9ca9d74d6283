//! `onemap export-tiles`: the one map and the risk layers, as they are in the database now, as
//! an offline package (PMTiles) for a field laptop.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Result, bail};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::risk::map::RiskState;
use crate::risk::model::Model;
use crate::snapshot::{LayerSnapshot, Snapshot};
use crate::tiles::metadata;
use crate::tiles::package::{self, Extent, Written};

/// The layers of the package in the order the server draws them (the one map's, then the risk
/// map's), only `names` when given; an unknown name is an error that lists the layers.
pub async fn layers(pool: &PgPool, model: Model, names: Option<&[String]>) -> Result<Vec<Arc<LayerSnapshot>>> {
    let snapshot = Snapshot::load(pool).await?;
    let mut all: Vec<Arc<LayerSnapshot>> = snapshot.layer_names().iter().filter_map(|n| snapshot.layer(n)).collect();
    all.extend(RiskState::new(model).map(pool, &snapshot).await?.layers.iter().cloned());
    let Some(names) = names else { return Ok(all) };
    if let Some(unknown) = names.iter().find(|n| !all.iter().any(|l| l.layer.name == n.as_str())) {
        let known: Vec<&str> = all.iter().map(|l| l.layer.name).collect();
        bail!("--layers: no layer `{unknown}`; the layers are: {}", known.join(", "));
    }
    Ok(all.into_iter().filter(|l| names.iter().any(|n| n == l.layer.name)).collect())
}

/// The archive's metadata: TileJSON's name, layers, bounds and attribution, and the zooms.
pub fn metadata(layers: &[Arc<LayerSnapshot>], extent: &Extent) -> Value {
    let mut meta = metadata::tilejson(layers, "onemap", "");
    if let Some(m) = meta.as_object_mut() {
        m.remove("tiles");
        m.insert("name".into(), json!("onemap"));
        m.insert("minzoom".into(), extent.min_zoom.into());
        m.insert("maxzoom".into(), extent.max_zoom.into());
        m.insert("bounds".into(), json!(extent.bbox));
        m.insert("generator".into(), json!(format!("onemap {} export-tiles", env!("CARGO_PKG_VERSION"))));
        m.insert("description".into(), json!("环境应急一张图 offline package: the one map and its risk layers"));
    }
    meta
}

/// The box the layers' features cover, in degrees.
pub fn data_bbox(layers: &[Arc<LayerSnapshot>]) -> Option<[f64; 4]> {
    let meta = metadata::tilejson(layers, "onemap", "");
    let b: Vec<f64> = meta["bounds"].as_array()?.iter().filter_map(Value::as_f64).collect();
    let bbox = <[f64; 4]>::try_from(b).ok()?;
    (layers.iter().any(|l| l.extent().is_some())).then_some(bbox)
}

/// The kinds of package, by the output's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// PMTiles v3, with its field page.
    PmTiles,
    /// MBTiles 1.3 (SQLite).
    MbTiles,
}

impl Kind {
    /// The kind `path` names, or why none.
    pub fn of(path: &Path) -> Result<Kind> {
        match path.extension().and_then(|e| e.to_str()) {
            Some("pmtiles") => Ok(Kind::PmTiles),
            Some("mbtiles") => Ok(Kind::MbTiles),
            _ => bail!("-o {}: the package is a .pmtiles or .mbtiles file", path.display()),
        }
    }
}

/// Writes an MBTiles package to `path`.
pub async fn write_mbtiles(
    path: &Path,
    layers: &[Arc<LayerSnapshot>],
    extent: &Extent,
    progress: impl Fn(u64),
) -> Result<Written> {
    package::write_mbtiles(path, layers, extent, &metadata(layers, extent), progress).await
}

/// Writes a PMTiles package to `path`, and beside it its field page (`FILE.html`, which opens
/// the package in a browser with no server).
pub fn write(path: &Path, layers: &[Arc<LayerSnapshot>], extent: &Extent, progress: impl Fn(u64)) -> Result<Written> {
    Kind::of(path)?;
    let written = package::write_pmtiles(path, layers, extent, &metadata(layers, extent), progress)?;
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let page = crate::viewer::field_page(
        &name,
        &crate::tiles::metadata::package_style(json!({"attribution": metadata::ATTRIBUTION})),
    );
    let page_path = field_page_path(path);
    let partial = package::partial_path(&page_path);
    std::fs::write(&partial, page).and_then(|_| std::fs::rename(&partial, &page_path)).map_err(|e| {
        let _ = std::fs::remove_file(&partial);
        anyhow::anyhow!("cannot write {}: {e}", page_path.display())
    })?;
    Ok(written)
}

/// Where the field page of the package at `path` goes: `FILE.html` beside `FILE.pmtiles`.
pub fn field_page_path(path: &Path) -> std::path::PathBuf {
    path.with_extension("html")
}
