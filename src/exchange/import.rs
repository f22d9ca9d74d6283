//! `onemap import`: a GeoJSON or CSV file into a layer, validated like the API, all or nothing.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, anyhow};
use geo::{Geometry, Point};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Map, Value};
use sqlx::PgPool;
use wkt::TryFromWkt;

use super::Format;
use super::csv_format::{LAT_COLUMNS, LON_COLUMNS, WKT_COLUMNS, cell_to_value};
use super::text::decode;
use crate::error::Invalid;
use crate::layers::validate::{Record, check_crs, check_properties, normalise_geometry, parse_feature};
use crate::layers::{Layer, write};

/// What an import did.
#[derive(Debug)]
pub struct ImportSummary {
    /// Layer written.
    pub layer: &'static str,
    /// Ids of the new rows, in file order.
    pub ids: Vec<i64>,
    /// Encoding the file was read in.
    pub encoding: &'static str,
    /// Seconds taken.
    pub seconds: f64,
}

impl std::fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let range = match (self.ids.first(), self.ids.last()) {
            (Some(a), Some(b)) => format!(" (ids {a}–{b})"),
            _ => String::new(),
        };
        write!(
            f,
            "imported {} {} records{range} from {} text in {:.2} s",
            self.ids.len(),
            self.layer,
            self.encoding,
            self.seconds
        )
    }
}

/// Reads, validates and writes `path` into `layer` in one transaction, as `actor`.
pub async fn import_file(
    pool: &PgPool,
    actor: &crate::auth::Actor,
    layer: &'static Layer,
    path: &Path,
    format: Option<Format>,
) -> Result<ImportSummary> {
    let start = Instant::now();
    let (records, encoding) = read_file(layer, path, format)?;
    let ids =
        write::create_records(pool, actor, layer, &records).await.map_err(|e| anyhow!("nothing imported: {e}"))?;
    Ok(ImportSummary { layer: layer.name, ids, encoding, seconds: start.elapsed().as_secs_f64() })
}

/// Reads and validates every record of `path` for `layer`.
pub fn read_file(layer: &Layer, path: &Path, format: Option<Format>) -> Result<(Vec<Record>, &'static str)> {
    let format = format.or_else(|| Format::from_path(path)).with_context(|| {
        format!("cannot tell the format of {} from its name: give --format geojson or --format csv", path.display())
    })?;
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let (text, encoding) = decode(&bytes)?;
    let records = match format {
        Format::Geojson => read_geojson(layer, &text),
        Format::Csv => read_csv(layer, &text),
    }
    .map_err(|e| anyhow!("nothing imported: {e}"))?;
    Ok((records, encoding))
}

fn progress(len: usize, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len as u64);
    // Only big files get a bar; indicatif hides it anyway when stderr is not a terminal.
    if len < 1000 {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({per_sec}, {eta})") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_string());
    bar
}

/// A GeoJSON FeatureCollection (or one Feature).
pub fn read_geojson(layer: &Layer, text: &str) -> Result<Vec<Record>, Invalid> {
    let value: Value = serde_json::from_str(text).map_err(|e| Invalid::request(format!("not valid JSON: {e}")))?;
    let features = match value.get("type").and_then(Value::as_str) {
        Some("FeatureCollection") => value
            .get("features")
            .and_then(Value::as_array)
            .ok_or_else(|| Invalid::field("features", "a FeatureCollection needs a `features` array"))?,
        Some("Feature") => return Ok(vec![parse_feature(layer, &value).map_err(|e| e.at(0))?]),
        _ => {
            return Err(Invalid::field("type", "expected a GeoJSON FeatureCollection or Feature"));
        }
    };
    check_crs(&value)?;
    if features.is_empty() {
        return Err(Invalid::field("features", "the file holds no features"));
    }
    let bar = progress(features.len(), "checking");
    let mut records = Vec::with_capacity(features.len());
    for (i, feature) in features.iter().enumerate() {
        records.push(parse_feature(layer, feature).map_err(|e| e.at(i))?);
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(records)
}

/// A CSV with a header row: property columns, and lon/lat or WKT for the geometry.
pub fn read_csv(layer: &Layer, text: &str) -> Result<Vec<Record>, Invalid> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::Headers).from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| Invalid::request(format!("cannot read the CSV header: {e}")))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let find = |names: &[&str]| headers.iter().position(|h| names.contains(&h.to_ascii_lowercase().as_str()));
    let (wkt_col, lon_col, lat_col) = (find(WKT_COLUMNS), find(LON_COLUMNS), find(LAT_COLUMNS));
    if layer.is_spatial() && wkt_col.is_none() && (lon_col.is_none() || lat_col.is_none()) {
        return Err(Invalid::field("geometry", "the CSV needs lon and lat columns or a wkt column"));
    }
    let geometry_cols = [wkt_col, lon_col, lat_col];
    let mut columns = Vec::new();
    for (i, name) in headers.iter().enumerate() {
        if geometry_cols.contains(&Some(i)) && layer.is_spatial() {
            continue;
        }
        columns.push((i, layer.field(name), name.as_str()));
    }
    let rows: Vec<csv::StringRecord> =
        reader.records().collect::<Result<_, _>>().map_err(|e| Invalid::request(format!("malformed CSV: {e}")))?;
    let bar = progress(rows.len(), "checking");
    let mut records = Vec::with_capacity(rows.len());
    for (n, row) in rows.iter().enumerate() {
        let mut props = Map::new();
        for (i, field, name) in &columns {
            let cell = row.get(*i).unwrap_or("");
            match field {
                Some(field) => {
                    props.insert(name.to_string(), cell_to_value(field, cell).map_err(|e| e.at(n))?);
                }
                // Unknown and read-only columns go to the same check as the API.
                None => {
                    props.insert(name.to_string(), Value::from(cell));
                }
            }
        }
        let geometry = if layer.is_spatial() {
            let geometry =
                csv_geometry(row, wkt_col, lon_col, lat_col).map_err(|e| Invalid::field("geometry", e).at(n))?;
            Some(normalise_geometry(layer.geometry, geometry).map_err(|e| e.at(n))?)
        } else {
            None
        };
        let properties = check_properties(layer, &props).map_err(|e| e.at(n))?;
        records.push(Record { geometry, properties });
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(records)
}

fn csv_geometry(
    row: &csv::StringRecord,
    wkt: Option<usize>,
    lon: Option<usize>,
    lat: Option<usize>,
) -> Result<Geometry<f64>, String> {
    if let Some(text) = wkt.and_then(|i| row.get(i)).map(str::trim).filter(|s| !s.is_empty()) {
        return parse_wkt(text);
    }
    let cell = |i: Option<usize>| i.and_then(|i| row.get(i)).map(str::trim).unwrap_or("");
    let (x, y) = (cell(lon), cell(lat));
    if x.is_empty() || y.is_empty() {
        return Err("a geometry is required (lon and lat, or wkt)".into());
    }
    let x: f64 = x.parse().map_err(|_| format!("longitude `{x}` is not a number"))?;
    let y: f64 = y.parse().map_err(|_| format!("latitude `{y}` is not a number"))?;
    Ok(Geometry::Point(Point::new(x, y)))
}

/// WKT, or EWKT with SRID 4326.
pub fn parse_wkt(text: &str) -> Result<Geometry<f64>, String> {
    let body = match text.split_once(';') {
        Some((srid, body)) if srid.trim().eq_ignore_ascii_case("SRID=4326") => body,
        Some((srid, _)) => return Err(format!("{srid}: coordinates must be WGS 84 (SRID=4326)")),
        None => text,
    };
    Geometry::try_from_wkt_str(body).map_err(|e| format!("not valid WKT: {e}"))
}
