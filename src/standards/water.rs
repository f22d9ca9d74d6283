//! The class of surface water (Ⅰ–Ⅴ, 劣Ⅴ) by GB 3838-2002 《地表水环境质量标准》, Table 1 (the
//! basic items): each item's class is the best class whose limit its value meets; the water's
//! class is its worst item's. Total phosphorus has its own limits for lakes and reservoirs;
//! total nitrogen is assessed for lakes and reservoirs only (the table's note "湖、库"). Water
//! temperature, whose limit is a change against the natural temperature, is not computed.

use serde::Serialize;

use super::Refused;

/// The classes, best first; an item beyond class Ⅴ is 劣Ⅴ.
pub const CLASSES: [&str; 6] = ["Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ", "Ⅴ", "劣Ⅴ"];

/// How a value meets a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Meets {
    /// The value must be at most the limit.
    AtMost,
    /// The value must be at least the limit (dissolved oxygen).
    AtLeast,
    /// The value must lie in the range (pH, 6–9, every class).
    Within,
}

/// Which water: a river, or a lake or reservoir.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waterbody {
    /// 河流.
    River,
    /// 湖、库.
    Lake,
}

/// One basic item of Table 1.
#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
#[schema(as = WaterItem)]
pub struct Item {
    /// The code a request uses.
    pub code: &'static str,
    /// Its name in the standard.
    pub name: &'static str,
    /// Its unit (pH has none).
    pub unit: &'static str,
    /// How a value meets the limits.
    pub meets: Meets,
    /// The limits of classes Ⅰ–Ⅴ (pH: the range's two ends, the same for every class).
    pub limits: [f64; 5],
    /// For lakes and reservoirs, where the limits differ (total phosphorus).
    pub lake_limits: Option<[f64; 5]>,
    /// Assessed for lakes and reservoirs only (total nitrogen).
    pub lakes_only: bool,
}

const fn at_most(code: &'static str, name: &'static str, unit: &'static str, limits: [f64; 5]) -> Item {
    Item { code, name, unit, meets: Meets::AtMost, limits, lake_limits: None, lakes_only: false }
}

/// GB 3838-2002 Table 1, the basic items but water temperature, in the table's order; limits in
/// mg/L (fecal coliforms per litre). Checked in the tests against the limits as published in
/// `../shared/data/gb3838/GB_3838_2002.json`.
pub const ITEMS: [Item; 23] = [
    Item {
        code: "pH",
        name: "pH值",
        unit: "无量纲",
        meets: Meets::Within,
        limits: [6.0, 9.0, 0.0, 0.0, 0.0],
        lake_limits: None,
        lakes_only: false,
    },
    Item {
        code: "DO",
        name: "溶解氧",
        unit: "mg/L",
        meets: Meets::AtLeast,
        limits: [7.5, 6.0, 5.0, 3.0, 2.0],
        lake_limits: None,
        lakes_only: false,
    },
    at_most("CODMn", "高锰酸盐指数", "mg/L", [2.0, 4.0, 6.0, 10.0, 15.0]),
    at_most("COD", "化学需氧量", "mg/L", [15.0, 15.0, 20.0, 30.0, 40.0]),
    at_most("BOD5", "五日生化需氧量", "mg/L", [3.0, 3.0, 4.0, 6.0, 10.0]),
    at_most("NH3-N", "氨氮", "mg/L", [0.15, 0.5, 1.0, 1.5, 2.0]),
    Item {
        code: "TP",
        name: "总磷",
        unit: "mg/L",
        meets: Meets::AtMost,
        limits: [0.02, 0.1, 0.2, 0.3, 0.4],
        lake_limits: Some([0.01, 0.025, 0.05, 0.1, 0.2]),
        lakes_only: false,
    },
    Item {
        code: "TN",
        name: "总氮",
        unit: "mg/L",
        meets: Meets::AtMost,
        limits: [0.2, 0.5, 1.0, 1.5, 2.0],
        lake_limits: None,
        lakes_only: true,
    },
    at_most("Cu", "铜", "mg/L", [0.01, 1.0, 1.0, 1.0, 1.0]),
    at_most("Zn", "锌", "mg/L", [0.05, 1.0, 1.0, 2.0, 2.0]),
    at_most("F", "氟化物", "mg/L", [1.0, 1.0, 1.0, 1.5, 1.5]),
    at_most("Se", "硒", "mg/L", [0.01, 0.01, 0.01, 0.02, 0.02]),
    at_most("As", "砷", "mg/L", [0.05, 0.05, 0.05, 0.1, 0.1]),
    at_most("Hg", "汞", "mg/L", [0.00005, 0.00005, 0.0001, 0.001, 0.001]),
    at_most("Cd", "镉", "mg/L", [0.001, 0.005, 0.005, 0.005, 0.01]),
    at_most("Cr6", "六价铬", "mg/L", [0.01, 0.05, 0.05, 0.05, 0.1]),
    at_most("Pb", "铅", "mg/L", [0.01, 0.01, 0.05, 0.05, 0.1]),
    at_most("CN", "氰化物", "mg/L", [0.005, 0.05, 0.2, 0.2, 0.2]),
    at_most("phenol", "挥发酚", "mg/L", [0.002, 0.002, 0.005, 0.01, 0.1]),
    at_most("oil", "石油类", "mg/L", [0.05, 0.05, 0.05, 0.5, 1.0]),
    at_most("LAS", "阴离子表面活性剂", "mg/L", [0.2, 0.2, 0.2, 0.3, 0.3]),
    at_most("S2-", "硫化物", "mg/L", [0.05, 0.1, 0.2, 0.5, 1.0]),
    at_most("FC", "粪大肠菌群", "个/L", [200.0, 2000.0, 10000.0, 20000.0, 40000.0]),
];

/// The item of code `code`.
pub fn item(code: &str) -> Option<&'static Item> {
    ITEMS.iter().find(|i| i.code == code)
}

/// One item's class.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = WaterItemClass)]
pub struct ItemClass {
    /// The item's code.
    pub code: &'static str,
    /// Its name.
    pub name: &'static str,
    /// Its unit.
    pub unit: &'static str,
    /// The value given.
    pub value: f64,
    /// Ⅰ … Ⅴ or 劣Ⅴ (null: not assessed for this water, e.g. total nitrogen in a river).
    pub class: Option<&'static str>,
    /// The limit of the target class, when one is given and the item is assessed.
    pub target_limit: Option<f64>,
    /// How many times over the target limit it is ((value − limit) / limit; at-most items only).
    pub exceeds_by: Option<f64>,
}

/// A water's class.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WaterClass {
    /// Each item given, in the table's order.
    pub items: Vec<ItemClass>,
    /// The water's class: its worst assessed item's (null when none is assessed).
    pub class: Option<&'static str>,
    /// The items that decide it (the worst).
    pub deciding: Vec<&'static str>,
    /// The target class (水质目标), when given.
    pub target: Option<&'static str>,
    /// Whether every assessed item meets the target.
    pub meets_target: Option<bool>,
}

/// The class index (0 = Ⅰ … 5 = 劣Ⅴ) of `value` for `item` in `water`; None when not assessed.
pub fn class_of(item: &Item, value: f64, water: Waterbody) -> Option<usize> {
    if item.lakes_only && water == Waterbody::River {
        return None;
    }
    let limits = match (water, item.lake_limits) {
        (Waterbody::Lake, Some(l)) => l,
        _ => item.limits,
    };
    Some(match item.meets {
        Meets::Within => {
            if (limits[0]..=limits[1]).contains(&value) {
                0
            } else {
                5
            }
        }
        Meets::AtMost => limits.iter().position(|l| value <= *l).unwrap_or(5),
        Meets::AtLeast => limits.iter().position(|l| value >= *l).unwrap_or(5),
    })
}

/// The class index of a class's name (Ⅰ … Ⅴ, also I … V and 1 … 5).
pub fn class_index(name: &str) -> Option<usize> {
    match name.trim() {
        "Ⅰ" | "I" | "1" => Some(0),
        "Ⅱ" | "II" | "2" => Some(1),
        "Ⅲ" | "III" | "3" => Some(2),
        "Ⅳ" | "IV" | "4" => Some(3),
        "Ⅴ" | "V" | "5" => Some(4),
        _ => None,
    }
}

/// The class of a water with `values` (by item code), against `target` (a class index) if given.
pub fn classify(water: Waterbody, values: &[(String, f64)], target: Option<usize>) -> Result<WaterClass, Refused> {
    let mut items = Vec::new();
    for (code, value) in values {
        let item = item(code).ok_or_else(|| {
            let codes: Vec<&str> = ITEMS.iter().map(|i| i.code).collect();
            Refused::new(code, format!("`{code}` is not a basic item of GB 3838-2002; use {}", codes.join(", ")))
        })?;
        if !value.is_finite() || *value < 0.0 || (item.code == "pH" && *value > 14.0) {
            return Err(Refused::new(code, format!("{value} is not a value of {}", item.name)));
        }
        if items.iter().any(|i: &ItemClass| i.code == item.code) {
            return Err(Refused::new(code, "is given twice"));
        }
        let class = class_of(item, *value, water);
        let limits = match (water, item.lake_limits) {
            (Waterbody::Lake, Some(l)) => l,
            _ => item.limits,
        };
        let target_limit = target.filter(|_| class.is_some() && item.meets != Meets::Within).map(|t| limits[t]);
        let exceeds_by = match (item.meets, target_limit) {
            (Meets::AtMost, Some(l)) if *value > l => Some((value - l) / l),
            _ => None,
        };
        items.push(ItemClass {
            code: item.code,
            name: item.name,
            unit: item.unit,
            value: *value,
            class: class.map(|c| CLASSES[c]),
            target_limit,
            exceeds_by,
        });
    }
    items.sort_by_key(|i| ITEMS.iter().position(|t| t.code == i.code));
    let worst = items.iter().filter_map(|i| i.class).filter_map(|c| CLASSES.iter().position(|x| *x == c)).max();
    let deciding =
        items.iter().filter(|i| worst.is_some() && i.class == worst.map(|w| CLASSES[w])).map(|i| i.code).collect();
    Ok(WaterClass {
        class: worst.map(|w| CLASSES[w]),
        deciding,
        target: target.map(|t| CLASSES[t]),
        meets_target: target.zip(worst).map(|(t, w)| w <= t),
        items,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(code: &str, value: f64, water: Waterbody) -> Option<&'static str> {
        class_of(item(code).unwrap(), value, water).map(|c| CLASSES[c])
    }

    #[test]
    fn every_breakpoint_is_its_class_and_just_beyond_it_the_next() {
        for item in ITEMS.iter().filter(|i| i.meets == Meets::AtMost) {
            for water in [Waterbody::River, Waterbody::Lake] {
                if item.lakes_only && water == Waterbody::River {
                    assert_eq!(class_of(item, 0.0, water), None);
                    continue;
                }
                let limits =
                    if water == Waterbody::Lake { item.lake_limits.unwrap_or(item.limits) } else { item.limits };
                for (c, limit) in limits.iter().enumerate() {
                    // On the limit: the best class with that limit (equal limits share the better).
                    let best = limits.iter().position(|l| l == limit).unwrap();
                    assert_eq!(class_of(item, *limit, water), Some(best), "{} at {limit}", item.code);
                    // Just above: the next class whose limit is higher, or 劣Ⅴ.
                    let above = limit * (1.0 + 1e-9);
                    let next = limits.iter().position(|l| *l > *limit).unwrap_or(5);
                    assert_eq!(
                        class_of(item, above, water),
                        Some(next),
                        "{} just above {limit} (class {c})",
                        item.code
                    );
                }
            }
        }
    }

    #[test]
    fn worked_values() {
        // Worked from Table 1 by hand.
        assert_eq!(one("NH3-N", 1.2, Waterbody::River), Some("Ⅳ"));
        assert_eq!(one("NH3-N", 0.15, Waterbody::River), Some("Ⅰ"));
        assert_eq!(one("NH3-N", 2.01, Waterbody::River), Some("劣Ⅴ"));
        assert_eq!(one("TP", 0.15, Waterbody::River), Some("Ⅲ"));
        assert_eq!(one("TP", 0.15, Waterbody::Lake), Some("Ⅴ"));
        assert_eq!(one("TP", 0.05, Waterbody::Lake), Some("Ⅲ"));
        assert_eq!(one("COD", 15.0, Waterbody::River), Some("Ⅰ"));
        assert_eq!(one("COD", 18.0, Waterbody::River), Some("Ⅲ"));
        assert_eq!(one("DO", 7.5, Waterbody::River), Some("Ⅰ"));
        assert_eq!(one("DO", 6.2, Waterbody::River), Some("Ⅱ"));
        assert_eq!(one("DO", 4.9, Waterbody::River), Some("Ⅳ"));
        assert_eq!(one("DO", 1.9, Waterbody::River), Some("劣Ⅴ"));
        assert_eq!(one("pH", 6.0, Waterbody::River), Some("Ⅰ"));
        assert_eq!(one("pH", 9.0, Waterbody::River), Some("Ⅰ"));
        assert_eq!(one("pH", 9.1, Waterbody::River), Some("劣Ⅴ"));
        assert_eq!(one("pH", 5.9, Waterbody::River), Some("劣Ⅴ"));
        assert_eq!(one("TN", 1.2, Waterbody::River), None);
        assert_eq!(one("TN", 1.2, Waterbody::Lake), Some("Ⅳ"));
        assert_eq!(one("Hg", 0.00005, Waterbody::River), Some("Ⅰ"));
        assert_eq!(one("Hg", 0.00006, Waterbody::River), Some("Ⅲ"));
        assert_eq!(one("FC", 10000.0, Waterbody::River), Some("Ⅲ"));
    }

    #[test]
    fn the_water_is_its_worst_item_against_its_target() {
        let values: Vec<(String, f64)> =
            [("NH3-N", 1.2), ("TP", 0.15), ("COD", 18.0), ("DO", 6.2), ("pH", 7.4), ("TN", 3.0)]
                .iter()
                .map(|(c, v)| (c.to_string(), *v))
                .collect();
        let river = classify(Waterbody::River, &values, Some(2)).unwrap();
        assert_eq!(river.class, Some("Ⅳ"));
        assert_eq!(river.deciding, ["NH3-N"]);
        assert_eq!(river.meets_target, Some(false));
        let nh3 = river.items.iter().find(|i| i.code == "NH3-N").unwrap();
        assert_eq!(nh3.target_limit, Some(1.0));
        assert!((nh3.exceeds_by.unwrap() - 0.2).abs() < 1e-12);
        // In a lake, total nitrogen (3.0) is assessed and worse than Ⅴ.
        let lake = classify(Waterbody::Lake, &values, None).unwrap();
        assert_eq!((lake.class, lake.deciding.as_slice()), (Some("劣Ⅴ"), &["TN"][..]));
        assert!(classify(Waterbody::River, &[("XYZ".into(), 1.0)], None).is_err());
        assert!(classify(Waterbody::River, &[("COD".into(), -1.0)], None).is_err());
        assert!(classify(Waterbody::River, &[("COD".into(), 1.0), ("COD".into(), 2.0)], None).is_err());
    }
}
