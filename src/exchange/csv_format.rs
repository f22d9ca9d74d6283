//! How layer values are written in CSV cells, both ways.

use serde_json::Value;

use crate::error::Invalid;
use crate::layers::spec::{Field, FieldType};

/// Separator of list values (specialties) inside one cell.
pub const LIST_SEPARATOR: char = ';';

/// Names accepted for the geometry columns.
pub const WKT_COLUMNS: &[&str] = &["wkt", "geometry", "geom"];
/// Names accepted for the longitude column.
pub const LON_COLUMNS: &[&str] = &["lon", "lng", "longitude", "经度"];
/// Names accepted for the latitude column.
pub const LAT_COLUMNS: &[&str] = &["lat", "latitude", "纬度"];

/// Reads a cell as the JSON value of `field`; an empty cell is null.
pub fn cell_to_value(field: &Field, cell: &str) -> Result<Value, Invalid> {
    let cell = cell.trim();
    if cell.is_empty() {
        return Ok(Value::Null);
    }
    let bad = |what: &str| Invalid::field(field.name, format!("`{cell}` is not {what}"));
    Ok(match field.ty {
        FieldType::Number { .. } => Value::from(cell.parse::<f64>().map_err(|_| bad("a number"))?),
        FieldType::Integer { .. } | FieldType::Reference { .. } => {
            Value::from(cell.parse::<i64>().map_err(|_| bad("an integer"))?)
        }
        FieldType::Bool => match cell.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "y" | "是" => Value::Bool(true),
            "false" | "0" | "no" | "n" | "否" => Value::Bool(false),
            _ => return Err(bad("true or false")),
        },
        FieldType::EnumList(_) => Value::from(
            cell.split([LIST_SEPARATOR, '|', '、']).map(str::trim).filter(|s| !s.is_empty()).collect::<Vec<_>>(),
        ),
        FieldType::Rows(_) => serde_json::from_str(cell).map_err(|_| bad("a JSON list of objects"))?,
        _ => Value::from(cell),
    })
}

/// Writes a JSON value as a CSV cell, the inverse of `cell_to_value`.
pub fn value_to_cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) if items.iter().all(Value::is_string) => {
            items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(&LIST_SEPARATOR.to_string())
        }
        other => other.to_string(),
    }
}

/// `text` as a cell a spreadsheet will not run as a formula: one beginning with `=`, `+`, `-`,
/// `@`, a tab or a carriage return gets a leading apostrophe (a name typed by an enterprise
/// reaches the bureau's spreadsheet through the lists onemap publishes).
pub fn guard(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{text}") } else { text.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_not_formulas_in_a_spreadsheet() {
        assert_eq!(guard("=HYPERLINK(\"http://x\")"), "'=HYPERLINK(\"http://x\")");
        assert_eq!(guard("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(guard("长寿化工"), "长寿化工");
    }
}
