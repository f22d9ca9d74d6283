//! Query parameters of a layer listing: bbox, paging, property filters and name search.

use std::collections::BTreeMap;

use super::condition::Condition;
use super::spec::{Field, FieldType, Layer};
use super::validate::check_value;
use crate::error::Invalid;
use crate::geodesy::crs::Crs;

/// Default page size.
pub const DEFAULT_LIMIT: i64 = 1000;
/// Largest page size.
pub const MAX_LIMIT: i64 = 10_000;

/// A parsed listing query.
#[derive(Debug, Clone)]
pub struct ListQuery {
    /// Page size.
    pub limit: i64,
    /// Rows skipped.
    pub offset: i64,
    /// Which rows: bbox, property filters, name search, time, CQL2.
    pub condition: Condition,
    /// The system the geometries are given in.
    pub crs: Crs,
}

impl ListQuery {
    /// Every row, one page of `limit` from `offset`, in CRS84.
    pub fn page(limit: i64, offset: i64) -> Self {
        Self { limit, offset, condition: Condition::default(), crs: Crs::Crs84 }
    }
}

/// Parses query parameters for `layer`; unknown names are refused with the allowed ones.
pub fn parse(layer: &'static Layer, params: &BTreeMap<String, String>) -> Result<ListQuery, Invalid> {
    let mut query = ListQuery::page(DEFAULT_LIMIT, 0);
    for (name, value) in params {
        match name.as_str() {
            "bbox" => restrict_bbox(&mut query.condition, parse_bbox(value)?),
            "limit" => query.limit = parse_int(name, value, 1, MAX_LIMIT)?,
            "offset" => query.offset = parse_int(name, value, 0, i64::MAX / 2)?,
            "q" if layer.field("name").is_some() => {
                if value.chars().count() > 200 {
                    return Err(Invalid::field("q", "is longer than 200 characters"));
                }
                let escaped = value.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
                let p = query.condition.bind(format!("%{escaped}%"));
                query.condition.and(format!("t.name ILIKE {p}::text"));
            }
            _ => restrict_property(layer, &mut query.condition, name, value, "bbox, limit, offset, q")?,
        }
    }
    Ok(query)
}

/// Features whose geometry meets [west, south, east, north].
pub fn restrict_bbox(condition: &mut Condition, bbox: [f64; 4]) {
    let [w, s, e, n] = bbox.map(|v| condition.bind(v));
    // Intersection, as OGC API bbox means, not overlap of bounding boxes.
    condition.and(format!(
        "ST_Intersects(t.geom, ST_MakeEnvelope({w}::float8, {s}::float8, {e}::float8, {n}::float8, 4326))"
    ));
}

/// Features whose property `name` equals `value` (a list property: holds it). An unknown name is
/// refused with the properties there are and the other parameters, `others`.
pub fn restrict_property(
    layer: &Layer,
    condition: &mut Condition,
    name: &str,
    value: &str,
    others: &str,
) -> Result<(), Invalid> {
    let mut filterable = layer.fields.iter().chain(layer.read_only()).filter(|f| !matches!(f.ty, FieldType::Rows(_)));
    let field = filterable.clone().find(|f| f.name == name).ok_or_else(|| {
        let allowed: Vec<&str> = filterable.by_ref().map(|f| f.name).collect();
        Invalid::field(name, format!("unknown query parameter; use {others} or a property: {}", allowed.join(", ")))
    })?;
    check_filter_value(field, value).map_err(|d| Invalid::field(name, d))?;
    let p = condition.bind(value);
    let column = layer.property_sql(field);
    condition.and(match field.ty {
        FieldType::EnumList(_) => format!("{p}::text = ANY({column})"),
        FieldType::Number { .. } => format!("{column} = {p}::float8"),
        FieldType::Integer { .. } | FieldType::Reference { .. } => format!("{column} = {p}::bigint"),
        FieldType::Bool => format!("{column} = {p}::boolean"),
        _ => format!("{column}::text = {p}::text"),
    });
    Ok(())
}

/// The filter value must be a value the field could hold, so a typo in an enum is an error
/// rather than an empty result.
fn check_filter_value(field: &Field, value: &str) -> Result<(), String> {
    let json = match field.ty {
        FieldType::Number { .. } => {
            value.parse::<f64>().map(serde_json::Value::from).map_err(|_| "must be a number")?
        }
        FieldType::Integer { .. } | FieldType::Reference { .. } => {
            value.parse::<i64>().map(serde_json::Value::from).map_err(|_| "must be an integer")?
        }
        FieldType::Bool => value.parse::<bool>().map(serde_json::Value::from).map_err(|_| "must be true or false")?,
        FieldType::EnumList(_) => serde_json::json!([value]),
        _ => serde_json::Value::from(value),
    };
    check_value(field, &json).map(|_| ())
}

fn parse_int(name: &str, value: &str, min: i64, max: i64) -> Result<i64, Invalid> {
    match value.parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(Invalid::field(name, format!("must be an integer in [{min}, {max}]"))),
    }
}

/// Numbers separated by commas (a bbox), or a 400 for `name`.
pub fn numbers(name: &str, value: &str) -> Result<Vec<f64>, Invalid> {
    let parts: Vec<f64> = value
        .split(',')
        .map(|p| p.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| Invalid::field(name, format!("`{value}` is not a list of numbers separated by commas")))?;
    if !parts.iter().all(|v| v.is_finite()) {
        return Err(Invalid::field(name, "the numbers are not finite"));
    }
    Ok(parts)
}

/// `west,south,east,north` in degrees.
pub fn parse_bbox(value: &str) -> Result<[f64; 4], Invalid> {
    let parts = numbers("bbox", value)?;
    let [w, s, e, n] = parts[..] else {
        return Err(Invalid::field("bbox", "not four numbers; expected west,south,east,north in degrees"));
    };
    check_bbox([w, s, e, n])
}

/// A bbox [west, south, east, north] within the world's degrees, low corner first.
pub fn check_bbox(bbox: [f64; 4]) -> Result<[f64; 4], Invalid> {
    let bad = |d: &str| Invalid::field("bbox", format!("{d}; expected west,south,east,north in degrees"));
    let [w, s, e, n] = bbox;
    if !(-180.0..=180.0).contains(&w)
        || !(-180.0..=180.0).contains(&e)
        || !(-90.0..=90.0).contains(&s)
        || !(-90.0..=90.0).contains(&n)
    {
        return Err(bad("out of range"));
    }
    if w > e || s > n {
        return Err(bad("west > east or south > north"));
    }
    Ok(bbox)
}
