//! The domain layers: their catalogue, validation, queries and storage.

pub mod around;
pub mod condition;
pub mod cql;
pub mod datetime;
pub mod query;
pub mod spec;
pub mod stock;
pub mod store;
pub mod teams;
pub mod validate;
pub mod validity;
pub mod wkb;
pub mod words;
pub mod write;

pub use spec::{Layer, layer};
pub use validate::Record;

use crate::error::Error;

/// A geometry from GeoJSON text, as PostGIS's `ST_AsGeoJSON` writes it.
pub fn geometry_from_geojson(text: &str) -> anyhow::Result<geo::Geometry<f64>> {
    let parsed: geojson::Geometry = text.parse()?;
    Ok(geo::Geometry::<f64>::try_from(&parsed.value)?)
}

/// The layer called `name`, or `Error::UnknownLayer`.
pub fn find(name: &str) -> Result<&'static Layer, Error> {
    layer(name).ok_or_else(|| Error::UnknownLayer { name: name.to_string(), known: spec::layer_names() })
}
