//! Files in and out: GeoJSON and CSV import and export, and the demo data set.

pub mod csv_format;
pub mod demo;
pub mod demo_plans;
pub mod demo_stations;
pub mod export;
pub mod import;
pub mod osm;
pub mod package;
pub mod roads;
pub mod synthetic;
pub mod text;

/// A file format for import and export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// GeoJSON FeatureCollection (RFC 7946).
    Geojson,
    /// CSV, UTF-8, with lon/lat columns or a WKT geometry column.
    Csv,
}

impl Format {
    /// The format a file name suggests.
    pub fn from_path(path: &std::path::Path) -> Option<Self> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "geojson" | "json" => Some(Self::Geojson),
            "csv" => Some(Self::Csv),
            _ => None,
        }
    }
}
