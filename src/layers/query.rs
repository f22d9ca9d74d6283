//! Query parameters of a layer listing: bbox, paging, property filters and name search.

use std::collections::BTreeMap;

use super::spec::{Field, FieldType, Layer};
use super::validate::{Invalid, check_value};

/// Default page size.
pub const DEFAULT_LIMIT: i64 = 1000;
/// Largest page size.
pub const MAX_LIMIT: i64 = 10_000;

/// One `column = value` filter on a declared field.
#[derive(Debug, Clone)]
pub struct Filter {
    /// The field filtered on.
    pub field: &'static Field,
    /// The value, checked against the field's type.
    pub value: String,
}

/// A parsed listing query.
#[derive(Debug, Clone)]
pub struct ListQuery {
    /// [west, south, east, north] in degrees.
    pub bbox: Option<[f64; 4]>,
    /// Page size.
    pub limit: i64,
    /// Rows skipped.
    pub offset: i64,
    /// Equality filters.
    pub filters: Vec<Filter>,
    /// `q`: part of the name, case-insensitive.
    pub name_contains: Option<String>,
}

/// Parses query parameters for `layer`; unknown names are refused with the allowed ones.
pub fn parse(layer: &'static Layer, params: &BTreeMap<String, String>) -> Result<ListQuery, Invalid> {
    let mut query = ListQuery { bbox: None, limit: DEFAULT_LIMIT, offset: 0, filters: Vec::new(), name_contains: None };
    for (name, value) in params {
        match name.as_str() {
            "bbox" => query.bbox = Some(parse_bbox(value)?),
            "limit" => query.limit = parse_int(name, value, 1, MAX_LIMIT)?,
            "offset" => query.offset = parse_int(name, value, 0, i64::MAX / 2)?,
            "q" if layer.field("name").is_some() => {
                if value.chars().count() > 200 {
                    return Err(Invalid::field("q", "is longer than 200 characters"));
                }
                query.name_contains = Some(value.clone());
            }
            _ => {
                let mut filterable =
                    layer.fields.iter().chain(layer.read_only()).filter(|f| !matches!(f.ty, FieldType::Rows(_)));
                let field = filterable.clone().find(|f| f.name == name).ok_or_else(|| {
                    let allowed: Vec<&str> = filterable.by_ref().map(|f| f.name).collect();
                    Invalid::field(
                        name.clone(),
                        format!(
                            "unknown query parameter; use bbox, limit, offset, q or a property: {}",
                            allowed.join(", ")
                        ),
                    )
                })?;
                check_filter_value(field, value).map_err(|d| Invalid::field(name.clone(), d))?;
                query.filters.push(Filter { field, value: value.clone() });
            }
        }
    }
    Ok(query)
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

/// `west,south,east,north` in degrees.
pub fn parse_bbox(value: &str) -> Result<[f64; 4], Invalid> {
    let bad = |d: &str| Invalid::field("bbox", format!("{d}; expected west,south,east,north in degrees"));
    let parts: Vec<f64> = value
        .split(',')
        .map(|p| p.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| bad("not four numbers"))?;
    let [w, s, e, n] = parts[..] else {
        return Err(bad("not four numbers"));
    };
    if !parts.iter().all(|v| v.is_finite()) {
        return Err(bad("not finite"));
    }
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
    Ok([w, s, e, n])
}
