//! `onemap export`: a whole layer as GeoJSON or CSV, in a form `onemap import` reads back.

use std::io::Write;

use anyhow::Result;
use serde_json::{Value, json};
use sqlx::PgPool;
use wkt::ToWkt;

use super::Format;
use super::csv_format::value_to_cell;
use crate::layers::query::{ListQuery, MAX_LIMIT};
use crate::layers::{Layer, store};

/// Every feature of `layer`, in id order, fetched page by page.
pub async fn all_features(pool: &PgPool, layer: &Layer) -> Result<Vec<Value>> {
    let mut features = Vec::new();
    loop {
        let query = ListQuery::page(MAX_LIMIT, features.len() as i64);
        let (page, _) = store::list(pool, layer, &query).await?;
        let done = (page.len() as i64) < MAX_LIMIT;
        features.extend(page);
        if done {
            return Ok(features);
        }
    }
}

/// Writes `layer` to `out`; returns the number of features.
pub async fn export(pool: &PgPool, layer: &Layer, format: Format, out: &mut dyn Write) -> Result<usize> {
    let features = all_features(pool, layer).await?;
    match format {
        Format::Geojson => {
            serde_json::to_writer(&mut *out, &json!({"type": "FeatureCollection", "features": features}))?;
            writeln!(out)?;
        }
        Format::Csv => write_csv(layer, &features, out)?,
    }
    out.flush()?;
    Ok(features.len())
}

fn write_csv(layer: &Layer, features: &[Value], out: &mut dyn Write) -> Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    let mut header = vec!["id"];
    if layer.is_spatial() {
        header.push("wkt");
    }
    header.extend(layer.fields.iter().map(|f| f.name));
    header.extend(layer.computed.iter().map(|f| f.name));
    header.extend(["created_at", "updated_at"]);
    writer.write_record(&header)?;
    for feature in features {
        let props = &feature["properties"];
        let mut row = vec![feature["id"].to_string()];
        if layer.is_spatial() {
            let geometry: geojson::Geometry = serde_json::from_value(feature["geometry"].clone())?;
            let geometry = geo::Geometry::<f64>::try_from(&geometry.value)?;
            row.push(geometry.wkt_string());
        }
        for name in header.iter().skip(row.len()) {
            row.push(value_to_cell(&props[*name]));
        }
        writer.write_record(&row)?;
    }
    writer.flush()?;
    Ok(())
}
