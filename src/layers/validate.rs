//! Validation at the edge: a GeoJSON Feature (or a row of a CSV) becomes a `Record` that the
//! database will accept, or an `Invalid` that names the feature and the field at fault.

use geo::{Geometry, Validation};
use serde_json::{Map, Value};

use super::spec::{Field, FieldType, GeometryRule, Layer};
use crate::error::Invalid;

/// A feature ready to be written: a checked geometry and checked, typed properties.
#[derive(Debug, Clone)]
pub struct Record {
    /// The geometry, normalised to the layer's storage type; None for non-spatial layers.
    pub geometry: Option<Geometry<f64>>,
    /// The writable properties, every value checked against its field.
    pub properties: Map<String, Value>,
}

/// Names that may appear in properties (from an export) but are never written.
const READ_ONLY: &[&str] = &["id", "created_at", "updated_at"];
/// Text fields longer than this are long text, which may hold line breaks and tabs.
const LONG_TEXT: usize = 200;

/// Most positions of one polygon (a district drawn in detail; GEOS takes ~0.5 s to validate a
/// zigzag of this size, the worst shape found, and ~0.05 s an ordinary outline: scripts/bench).
pub const MAX_POLYGON_VERTICES: usize = 20_000;
/// Most positions in the geometries of one request.
pub const MAX_REQUEST_VERTICES: usize = 200_000;
/// Most polygons (or rings of holes) in one request.
pub const MAX_REQUEST_POLYGONS: usize = 10_000;

/// What the geometries of a request hold, counted from the JSON before any is parsed.
#[derive(Debug, Default, Clone, Copy)]
pub struct GeometrySize {
    /// Positions.
    pub vertices: usize,
    /// Polygons.
    pub polygons: usize,
    /// Rings (exteriors and holes).
    pub rings: usize,
}

impl GeometrySize {
    /// Counts a GeoJSON geometry's positions, polygons and rings, and adds them to this one;
    /// refuses a polygon over [`MAX_POLYGON_VERTICES`] or a request over the request limits.
    pub fn add(&mut self, field: &str, geometry: &Value) -> Result<(), Invalid> {
        fn positions(value: &Value) -> usize {
            match value {
                Value::Array(items) if items.first().is_some_and(Value::is_number) => 1,
                Value::Array(items) => items.iter().map(positions).sum(),
                _ => 0,
            }
        }
        let coordinates = &geometry["coordinates"];
        let polygons: Vec<&Value> = match geometry["type"].as_str() {
            Some("Polygon") => vec![coordinates],
            Some("MultiPolygon") => coordinates.as_array().map(|p| p.iter().collect()).unwrap_or_default(),
            Some("GeometryCollection") => {
                return Err(Invalid::field(field, "a GeometryCollection is not accepted: give one geometry"));
            }
            _ => vec![],
        };
        for polygon in &polygons {
            let n = positions(polygon);
            if n > MAX_POLYGON_VERTICES {
                return Err(Invalid::field(
                    field,
                    format!("a polygon has {n} positions; at most {MAX_POLYGON_VERTICES} (simplify it first)"),
                ));
            }
            self.rings += polygon.as_array().map_or(0, Vec::len);
        }
        self.polygons += polygons.len();
        self.vertices += positions(coordinates);
        if self.vertices > MAX_REQUEST_VERTICES {
            return Err(Invalid::field(
                field,
                format!(
                    "the request's geometries have more than {MAX_REQUEST_VERTICES} positions; send fewer at a time"
                ),
            ));
        }
        if self.polygons > MAX_REQUEST_POLYGONS || self.rings > MAX_REQUEST_POLYGONS * 4 {
            return Err(Invalid::field(
                field,
                format!(
                    "the request has more than {MAX_REQUEST_POLYGONS} polygons (or {} rings); send fewer at a time",
                    MAX_REQUEST_POLYGONS * 4
                ),
            ));
        }
        Ok(())
    }
}

/// Reads a Feature or a FeatureCollection for `layer`; one bad feature refuses them all.
pub fn parse_features(layer: &Layer, body: &Value) -> Result<Vec<Record>, Invalid> {
    check_crs(body)?;
    match body.get("type").and_then(Value::as_str) {
        Some("Feature") => Ok(vec![parse_feature(layer, body).map_err(|e| e.at(0))?]),
        Some("FeatureCollection") => {
            let features = body
                .get("features")
                .and_then(Value::as_array)
                .ok_or_else(|| Invalid::field("features", "a FeatureCollection needs a `features` array"))?;
            if features.is_empty() {
                return Err(Invalid::field("features", "the FeatureCollection has no features"));
            }
            let mut size = GeometrySize::default();
            for (i, f) in features.iter().enumerate() {
                size.add("geometry", &f["geometry"]).map_err(|e| e.at(i))?;
            }
            features.iter().enumerate().map(|(i, f)| parse_feature(layer, f).map_err(|e| e.at(i))).collect()
        }
        Some(other) => Err(Invalid::field("type", format!("expected a Feature or a FeatureCollection, got `{other}`"))),
        None => Err(Invalid::field("type", "expected a GeoJSON Feature or FeatureCollection (no `type` member)")),
    }
}

/// Reads one GeoJSON Feature for `layer`.
pub fn parse_feature(layer: &Layer, feature: &Value) -> Result<Record, Invalid> {
    check_crs(feature)?;
    if feature.get("type").and_then(Value::as_str) != Some("Feature") {
        return Err(Invalid::field("type", "expected a GeoJSON Feature"));
    }
    let empty = Map::new();
    let properties = match feature.get("properties") {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(map)) => map,
        Some(_) => return Err(Invalid::field("properties", "properties must be an object")),
    };
    let geometry = check_geometry(layer.geometry, feature.get("geometry"))?;
    let properties = check_properties(layer, properties)?;
    Ok(Record { geometry, properties })
}

/// RFC 7946 dropped `crs`; an old-style member is accepted only when it names WGS 84, or
/// CGCS2000 (EPSG:4490), which China's official maps use and which is within a metre of WGS 84.
pub fn check_crs(object: &Value) -> Result<(), Invalid> {
    let Some(crs) = object.get("crs") else {
        return Ok(());
    };
    let name = crs.pointer("/properties/name").and_then(Value::as_str).unwrap_or("");
    let wgs84 = [
        "urn:ogc:def:crs:OGC:1.3:CRS84",
        "urn:ogc:def:crs:OGC::CRS84",
        "EPSG:4326",
        "urn:ogc:def:crs:EPSG::4326",
        "EPSG:4490",
        "urn:ogc:def:crs:EPSG::4490",
    ];
    if crs.is_null() || wgs84.contains(&name) {
        return Ok(());
    }
    Err(Invalid::field(
        "crs",
        format!(
            "coordinates must be WGS 84 (EPSG:4326) or CGCS2000 (EPSG:4490) longitude/latitude; this data declares `{name}`: reproject it first"
        ),
    ))
}

/// Checks a GeoJSON geometry against `rule`, and returns it in the stored type.
pub fn check_geometry(rule: GeometryRule, value: Option<&Value>) -> Result<Option<Geometry<f64>>, Invalid> {
    let bad = |detail: String| Invalid::field("geometry", detail);
    let value = match value {
        None | Some(Value::Null) if rule == GeometryRule::None => return Ok(None),
        None | Some(Value::Null) => {
            return Err(bad(format!("a geometry is required ({})", rule.describe())));
        }
        Some(_) if rule == GeometryRule::None => {
            return Err(bad("this layer has no geometry: give `\"geometry\": null`".into()));
        }
        Some(v) => v,
    };
    GeometrySize::default().add("geometry", value)?;
    check_positions(value).map_err(bad)?;
    let parsed: geojson::Geometry =
        serde_json::from_value(value.clone()).map_err(|e| bad(format!("not a GeoJSON geometry: {e}")))?;
    check_rings(&parsed.value).map_err(bad)?;
    let geometry = Geometry::<f64>::try_from(&parsed.value).map_err(|e| bad(format!("not a usable geometry: {e}")))?;
    normalise_geometry(rule, geometry).map(Some)
}

/// RFC 7946 §3.1.1: a position is two numbers (longitude, latitude), or three with a height,
/// at the depth the geometry's type puts them; the geojson crate would index a shorter one
/// out of bounds.
fn check_positions(geometry: &Value) -> Result<(), String> {
    fn at(value: &Value, depth: usize) -> Result<(), String> {
        let Value::Array(items) = value else {
            return Err("coordinates must be arrays of positions".into());
        };
        if depth > 0 {
            return items.iter().try_for_each(|item| at(item, depth - 1));
        }
        if !(2..=3).contains(&items.len()) || !items.iter().all(Value::is_number) {
            return Err(format!("a position is [longitude, latitude] (or with a height), not {value}"));
        }
        Ok(())
    }
    let depth = match geometry["type"].as_str() {
        Some("Point") => 0,
        Some("LineString" | "MultiPoint") => 1,
        Some("Polygon" | "MultiLineString") => 2,
        Some("MultiPolygon") => 3,
        // Other types are refused by the parser, which reads no positions for them.
        _ => return Ok(()),
    };
    at(&geometry["coordinates"], depth)
}

/// RFC 7946 §3.1.6: a linear ring has four or more positions and ends where it starts. An open
/// ring is refused, not closed: a truncated file must not become a different polygon.
fn check_rings(value: &geojson::GeometryValue) -> Result<(), String> {
    let polygons: Vec<&geojson::PolygonType> = match value {
        geojson::GeometryValue::Polygon { coordinates } => vec![coordinates],
        geojson::GeometryValue::MultiPolygon { coordinates } => coordinates.iter().collect(),
        _ => return Ok(()),
    };
    for (p, polygon) in polygons.iter().enumerate() {
        for (r, ring) in polygon.iter().enumerate() {
            let at = if polygons.len() > 1 { format!("polygon {p}, ring {r}") } else { format!("ring {r}") };
            if ring.len() < 4 {
                return Err(format!(
                    "{at} has {} positions; a linear ring needs at least 4 (RFC 7946 §3.1.6)",
                    ring.len()
                ));
            }
            if ring.first() != ring.last() {
                return Err(format!(
                    "{at} is not closed: its last position must equal its first (RFC 7946 §3.1.6); \
                     is the file truncated?"
                ));
            }
        }
    }
    Ok(())
}

/// Checks a geometry (from GeoJSON or WKT) against `rule`, and returns it in the stored type.
pub fn normalise_geometry(rule: GeometryRule, geometry: Geometry<f64>) -> Result<Geometry<f64>, Invalid> {
    let bad = |detail: String| Invalid::field("geometry", detail);
    check_coordinates(&geometry).map_err(bad)?;
    let kind = geometry_kind(&geometry);
    let geometry = match (rule, geometry) {
        (GeometryRule::Point | GeometryRule::PointOrPolygon, g @ Geometry::Point(_)) => g,
        (GeometryRule::LineString, Geometry::LineString(line)) => {
            let first = line.0.first().copied();
            if line.0.len() < 2 || line.0.iter().all(|c| Some(*c) == first) {
                return Err(bad("a LineString needs at least two distinct positions".into()));
            }
            Geometry::LineString(line)
        }
        (GeometryRule::MultiPolygon, Geometry::Polygon(p)) => Geometry::MultiPolygon(geo::MultiPolygon(vec![p])),
        (
            GeometryRule::MultiPolygon | GeometryRule::PointOrPolygon,
            g @ (Geometry::Polygon(_) | Geometry::MultiPolygon(_)),
        ) => g,
        (rule, _) => {
            return Err(bad(format!("expected {} for this layer, got {kind}", rule.describe())));
        }
    };
    match &geometry {
        // geo's polygon validation compares every segment with every other: the structure is
        // checked here in one pass, the topology by PostGIS in the write (`validity`).
        Geometry::Polygon(p) => check_polygon_structure(p).map_err(bad)?,
        Geometry::MultiPolygon(m) => m.0.iter().try_for_each(check_polygon_structure).map_err(bad)?,
        other => {
            if let Err(problem) = other.check_validation() {
                return Err(bad(format!("invalid {kind}: {problem}")));
            }
        }
    }
    Ok(geometry)
}

/// A polygon's rings each have four or more positions, end where they start, and enclose an
/// area; one pass over the positions.
fn check_polygon_structure(polygon: &geo::Polygon<f64>) -> Result<(), String> {
    let rings = std::iter::once(polygon.exterior()).chain(polygon.interiors());
    for (r, ring) in rings.enumerate() {
        let what = if r == 0 { "the exterior ring".to_string() } else { format!("hole {r}") };
        if ring.0.len() < 4 {
            return Err(format!("{what} has {} positions; a ring needs at least 4", ring.0.len()));
        }
        if ring.0.first() != ring.0.last() {
            return Err(format!("{what} is not closed"));
        }
        let mut distinct = std::collections::HashSet::new();
        for c in &ring.0 {
            distinct.insert((c.x.to_bits(), c.y.to_bits()));
            if distinct.len() >= 3 {
                break;
            }
        }
        if distinct.len() < 3 {
            return Err(format!("invalid Polygon: {what} encloses no area (fewer than 3 distinct positions)"));
        }
    }
    Ok(())
}

fn geometry_kind(geometry: &Geometry<f64>) -> &'static str {
    match geometry {
        Geometry::Point(_) => "Point",
        Geometry::Line(_) => "Line",
        Geometry::LineString(_) => "LineString",
        Geometry::Polygon(_) => "Polygon",
        Geometry::MultiPoint(_) => "MultiPoint",
        Geometry::MultiLineString(_) => "MultiLineString",
        Geometry::MultiPolygon(_) => "MultiPolygon",
        Geometry::GeometryCollection(_) => "GeometryCollection",
        Geometry::Rect(_) => "Rect",
        Geometry::Triangle(_) => "Triangle",
    }
}

/// Refuses coordinates that are not finite or not longitude and latitude.
pub fn check_coordinates(geometry: &Geometry<f64>) -> Result<(), String> {
    use geo::CoordsIter;
    for c in geometry.coords_iter() {
        if !c.x.is_finite() || !c.y.is_finite() {
            return Err("coordinates must be finite numbers".into());
        }
        if !(-180.0..=180.0).contains(&c.x) {
            return Err(format!("longitude {} is outside [-180, 180] (is the order lon, lat?)", c.x));
        }
        if !(-90.0..=90.0).contains(&c.y) {
            return Err(format!("latitude {} is outside [-90, 90] (is the order lon, lat?)", c.y));
        }
    }
    Ok(())
}

/// Checks every property of a whole record; unknown names are refused so typos are caught.
pub fn check_properties(layer: &Layer, props: &Map<String, Value>) -> Result<Map<String, Value>, Invalid> {
    let mut out = Map::new();
    for (name, value) in props {
        if let Some((_, field)) = layer.legacy.iter().find(|(old, _)| old == name)
            && !props.contains_key(*field)
        {
            let value = if value.as_str() == Some("") { &Value::Null } else { value };
            let spec = layer.field(field).expect("a legacy property names a field");
            out.insert(field.to_string(), check_value(spec, value).map_err(|d| Invalid::field(name.clone(), d))?);
            continue;
        }
        if READ_ONLY.contains(&name.as_str()) || layer.read_only().any(|f| f.name == name) {
            continue;
        }
        let Some(field) = layer.field(name) else {
            let known: Vec<&str> = layer.fields.iter().map(|f| f.name).collect();
            return Err(Invalid::field(
                name.clone(),
                format!("unknown property for layer {}; its properties are: {}", layer.name, known.join(", ")),
            ));
        };
        out.insert(name.clone(), check_value(field, value).map_err(|d| Invalid::field(name.clone(), d))?);
    }
    for (name, default) in layer.defaults {
        if out.get(*name).is_none_or(Value::is_null) {
            out.insert(name.to_string(), default.to_json());
        }
    }
    check_required(layer.fields, &out).map_err(|name| Invalid::field(name, "is required"))?;
    if let Some(check) = layer.check {
        check(&out).map_err(|(field, detail)| Invalid::field(field, detail))?;
    }
    Ok(out)
}

fn check_required(fields: &[Field], values: &Map<String, Value>) -> Result<(), String> {
    for field in fields.iter().filter(|f| f.required) {
        if values.get(field.name).is_none_or(Value::is_null) {
            return Err(field.name.to_string());
        }
    }
    Ok(())
}

/// Checks one value against its field; null is allowed (required is checked on the record).
pub fn check_value(field: &Field, value: &Value) -> Result<Value, String> {
    if value.is_null() {
        return Ok(Value::Null);
    }
    match field.ty {
        FieldType::Text { max } => {
            let s = value.as_str().ok_or("must be a string")?;
            if s.trim().is_empty() {
                return Err("must not be empty".into());
            }
            if s.chars().count() > max {
                return Err(format!("is longer than {max} characters"));
            }
            // Line breaks and tabs only in long text (notes, descriptions), never in a name.
            if let Some(found) = crate::text::forbidden_control(s, max > LONG_TEXT) {
                return Err(crate::text::describe_control(found));
            }
        }
        FieldType::Coded { check, what } => {
            let s = value.as_str().ok_or("must be a string")?;
            if !check(s) {
                return Err(format!("`{s}` is not {what}"));
            }
        }
        FieldType::Enum(values) => {
            let s = value.as_str().ok_or_else(|| format!("must be one of: {}", values.join(", ")))?;
            if !values.contains(&s) {
                return Err(format!("`{s}` is not one of: {}", values.join(", ")));
            }
        }
        FieldType::Number { min, max, min_exclusive } => {
            let n = value.as_f64().ok_or("must be a number")?;
            let below = if min_exclusive { n <= min } else { n < min };
            if below || n > max || !n.is_finite() {
                let open = if min_exclusive { "(" } else { "[" };
                return Err(format!("{n} is outside {open}{min}, {max}]"));
            }
        }
        FieldType::Integer { min, max } => {
            let n = value.as_i64().ok_or("must be an integer")?;
            if n < min || n > max {
                return Err(format!("{n} is outside [{min}, {max}]"));
            }
        }
        FieldType::Bool => {
            value.as_bool().ok_or("must be true or false")?;
        }
        FieldType::Date => {
            let s = value.as_str().ok_or("must be a date string YYYY-MM-DD")?;
            crate::time::day(s).ok_or_else(|| format!("`{s}` is not a date YYYY-MM-DD (years 0001–9999)"))?;
        }
        FieldType::Timestamp => {
            let s = value.as_str().ok_or("must be a time string like 2026-11-23T08:30:00+08:00")?;
            chrono::DateTime::parse_from_rfc3339(s)
                .map_err(|_| format!("`{s}` is not an RFC 3339 time like 2026-11-23T08:30:00+08:00"))?;
        }
        FieldType::EnumList(values) => {
            let list = value.as_array().ok_or_else(|| format!("must be a list of: {}", values.join(", ")))?;
            if list.is_empty() {
                return Err("must not be empty".into());
            }
            for item in list {
                match item.as_str() {
                    Some(s) if values.contains(&s) => {}
                    _ => return Err(format!("{item} is not one of: {}", values.join(", "))),
                }
            }
        }
        FieldType::Reference { table } => {
            let id = value.as_i64().ok_or_else(|| format!("must be the integer id of a {table}"))?;
            if id <= 0 {
                return Err(format!("must be the id of a {table}"));
            }
        }
        FieldType::Rows(rows) => {
            let list = value.as_array().ok_or("must be a list of objects")?;
            let mut checked = Vec::with_capacity(list.len());
            for (i, row) in list.iter().enumerate() {
                let row = row.as_object().ok_or_else(|| format!("[{i}] must be an object"))?;
                let mut out = Map::new();
                for (name, v) in row {
                    let f = rows.fields.iter().find(|f| f.name == name);
                    let f = f.ok_or_else(|| format!("[{i}].{name} is not a property of {}", rows.table))?;
                    out.insert(name.clone(), check_value(f, v).map_err(|d| format!("[{i}].{name} {d}"))?);
                }
                check_required(rows.fields, &out).map_err(|name| format!("[{i}].{name} is required"))?;
                checked.push(Value::Object(out));
            }
            return Ok(Value::Array(checked));
        }
    }
    Ok(value.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::spec::{DEPOT_LAYER, DISTRICT_LAYER, STOCK_ITEM_LAYER};
    use serde_json::json;

    fn depot(geometry: Value) -> Value {
        json!({"type": "Feature", "geometry": geometry, "properties": {"name": "库", "tier": "city"}})
    }

    #[test]
    fn accepts_a_good_depot() {
        let record =
            parse_feature(&DEPOT_LAYER, &depot(json!({"type": "Point", "coordinates": [106.5, 29.5]}))).unwrap();
        assert_eq!(record.properties["tier"], "city");
    }

    #[test]
    fn refuses_out_of_range_and_wrong_type() {
        let err =
            parse_feature(&DEPOT_LAYER, &depot(json!({"type": "Point", "coordinates": [190.0, 29.5]}))).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("geometry"));
        assert!(err.detail.contains("longitude"), "{err}");
        let line = json!({"type": "LineString", "coordinates": [[106.0, 29.0], [107.0, 30.0]]});
        let err = parse_feature(&DEPOT_LAYER, &depot(line)).unwrap_err();
        assert!(err.detail.contains("expected Point"), "{err}");
    }

    #[test]
    fn refuses_a_ring_that_encloses_nothing() {
        // A bow tie is PostGIS's to find (tests/validation.rs); a ring along a line is refused here.
        let flat =
            json!({"type": "Polygon", "coordinates": [[[0.0, 0.0], [1.0, 1.0], [0.0, 0.0], [1.0, 1.0], [0.0, 0.0]]]});
        let f = json!({"type": "Feature", "geometry": flat, "properties": {"code": "500101", "name": "x"}});
        let err = parse_feature(&DISTRICT_LAYER, &f).unwrap_err();
        assert!(err.detail.contains("encloses no area"), "{err}");
    }

    #[test]
    fn refuses_reserved_above_quantity() {
        let f = json!({"type": "Feature", "geometry": null, "properties":
            {"depot_id": 1, "category": "treatment", "item": "活性炭", "unit": "t", "quantity": 1, "reserved": 2}});
        let err = parse_feature(&STOCK_ITEM_LAYER, &f).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("reserved"));
    }
}
