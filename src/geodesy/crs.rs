//! The coordinate reference systems features are given and read in: CRS84 as stored, CGCS2000
//! (EPSG:4490, the national frame: the same numbers here, latitude first) and Web Mercator.

use geo::Coord;

use crate::geodesy::mercator;

/// A coordinate reference system onemap reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Crs {
    /// WGS 84 longitude, latitude: how PostGIS stores the layers.
    #[default]
    Crs84,
    /// CGCS2000 geographic, latitude then longitude (its axis order in the EPSG register).
    Cgcs2000,
    /// Web Mercator metres (EPSG:3857).
    WebMercator,
}

impl Crs {
    /// Every one, storage first.
    pub const ALL: [Crs; 3] = [Crs::Crs84, Crs::Cgcs2000, Crs::WebMercator];

    /// Its URI in the OGC register.
    pub fn uri(self) -> &'static str {
        match self {
            Crs::Crs84 => "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
            Crs::Cgcs2000 => "http://www.opengis.net/def/crs/EPSG/0/4490",
            Crs::WebMercator => "http://www.opengis.net/def/crs/EPSG/0/3857",
        }
    }

    /// Reads a URI or a safe CURIE (`[EPSG:4490]`); None for a system onemap does not know.
    pub fn parse(text: &str) -> Option<Crs> {
        let text = text.trim();
        let text = text.strip_prefix('<').and_then(|t| t.strip_suffix('>')).unwrap_or(text);
        let curie = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')).unwrap_or(text);
        Crs::ALL.into_iter().find(|crs| {
            let uri = crs.uri().replace("https://", "http://");
            let code = uri.rsplit('/').next().unwrap_or_default();
            let authority = if *crs == Crs::Crs84 { "OGC" } else { "EPSG" };
            text.replace("https://", "http://") == uri || curie.eq_ignore_ascii_case(&format!("{authority}:{code}"))
        })
    }

    /// A 400's explanation of the systems there are.
    pub fn known() -> String {
        Crs::ALL.iter().map(|c| c.uri()).collect::<Vec<_>>().join(", ")
    }

    /// The SQL that gives the stored geometry `geom` in this system.
    pub fn from_storage_sql(self, geom: &str) -> String {
        match self {
            Crs::Crs84 => geom.to_string(),
            Crs::Cgcs2000 => format!("ST_FlipCoordinates({geom})"),
            Crs::WebMercator => format!("ST_Transform({geom}, 3857)"),
        }
    }

    /// The SQL that gives a geometry made by `make(srid)` in this system as stored.
    pub fn to_storage_sql(self, make: impl Fn(u32) -> String) -> String {
        match self {
            Crs::Crs84 => make(4326),
            Crs::Cgcs2000 => format!("ST_FlipCoordinates({})", make(4326)),
            Crs::WebMercator => format!("ST_Transform({}, 4326)", make(3857)),
        }
    }

    /// One position of this system as longitude, latitude.
    pub fn to_lon_lat(self, c: Coord<f64>) -> Coord<f64> {
        match self {
            Crs::Crs84 => c,
            Crs::Cgcs2000 => Coord { x: c.y, y: c.x },
            Crs::WebMercator => mercator::unproject(c),
        }
    }

    /// A bounding box of this system (its first axis first) as [west, south, east, north].
    pub fn bbox_to_lon_lat(self, [a, b, c, d]: [f64; 4]) -> [f64; 4] {
        let low = self.to_lon_lat(Coord { x: a, y: b });
        let high = self.to_lon_lat(Coord { x: c, y: d });
        [low.x, low.y, high.x, high.y]
    }

    /// The GeoJSON geometry `value` (coordinates of this system) in longitude, latitude.
    pub fn geojson_to_lon_lat(self, value: &mut serde_json::Value) {
        use serde_json::Value;
        if self == Crs::Crs84 {
            return;
        }
        fn walk(crs: Crs, v: &mut Value) {
            let Value::Array(items) = v else { return };
            if let [Value::Number(x), Value::Number(y), ..] = &items[..]
                && let (Some(x), Some(y)) = (x.as_f64(), y.as_f64())
            {
                let c = crs.to_lon_lat(Coord { x, y });
                items[0] = c.x.into();
                items[1] = c.y.into();
                return;
            }
            items.iter_mut().for_each(|i| walk(crs, i));
        }
        match value.get("type").and_then(Value::as_str) {
            Some("GeometryCollection") => {
                if let Some(Value::Array(parts)) = value.get_mut("geometries") {
                    parts.iter_mut().for_each(|p| self.geojson_to_lon_lat(p));
                }
            }
            _ => {
                if let Some(coordinates) = value.get_mut("coordinates") {
                    walk(self, coordinates);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_uris_and_curies() {
        assert_eq!(Crs::parse("http://www.opengis.net/def/crs/OGC/1.3/CRS84"), Some(Crs::Crs84));
        assert_eq!(Crs::parse("<http://www.opengis.net/def/crs/EPSG/0/4490>"), Some(Crs::Cgcs2000));
        assert_eq!(Crs::parse("[EPSG:3857]"), Some(Crs::WebMercator));
        assert_eq!(Crs::parse("http://www.opengis.net/def/crs/EPSG/0/4326"), None);
        assert_eq!(Crs::parse("EPSG:9999"), None);
    }

    #[test]
    fn converts_geojson_positions() {
        let mut g = serde_json::json!({"type": "LineString", "coordinates": [[29.5, 106.5], [30.0, 107.0]]});
        Crs::Cgcs2000.geojson_to_lon_lat(&mut g);
        assert_eq!(g["coordinates"], serde_json::json!([[106.5, 29.5], [107.0, 30.0]]));
        let (x, y) = (11_855_000.0, 3_437_000.0);
        let mut p = serde_json::json!({"type": "Point", "coordinates": [x, y]});
        Crs::WebMercator.geojson_to_lon_lat(&mut p);
        let back = mercator::project(Coord {
            x: p["coordinates"][0].as_f64().unwrap(),
            y: p["coordinates"][1].as_f64().unwrap(),
        });
        assert!((back.x - x).abs() < 1e-6 && (back.y - y).abs() < 1e-6);
    }
}
