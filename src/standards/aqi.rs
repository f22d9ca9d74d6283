//! The air quality index by HJ 633-2012 《环境空气质量指数（AQI）技术规定（试行）》: each pollutant's
//! individual index (IAQI) by linear interpolation in Table 1, rounded up to a whole number; the
//! AQI is the largest; above 50 the pollutants at the AQI are the primary ones; the category by
//! Table 2. Its special rules: SO2's 1-hour value above 800 µg/m³ is not indexed by the 1-hour
//! table but by the 24-hour value; O3's 8-hour value above 800 µg/m³ by the 1-hour value.

use serde::Serialize;

use super::Refused;

/// The IAQI of Table 1's breakpoints.
pub const IAQI: [f64; 8] = [0.0, 50.0, 100.0, 150.0, 200.0, 300.0, 400.0, 500.0];

/// A concentration the index is computed for: pollutant and averaging time.
#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
#[schema(as = AqiMeasure)]
pub struct Measure {
    /// The key a request uses (SO2_24h …).
    pub key: &'static str,
    /// The pollutant.
    pub pollutant: &'static str,
    /// µg/m³, or mg/m³ for CO.
    pub unit: &'static str,
    /// The concentrations at IAQI 0, 50, 100 … 500 (fewer where the table stops: SO2 1-hour at
    /// 800, O3 8-hour at 800).
    pub breakpoints: &'static [f64],
}

const fn m(key: &'static str, pollutant: &'static str, unit: &'static str, breakpoints: &'static [f64]) -> Measure {
    Measure { key, pollutant, unit, breakpoints }
}

/// HJ 633-2012 Table 1.
#[rustfmt::skip]
pub const MEASURES: [Measure; 10] = [
    m("SO2_24h", "SO2", "µg/m³", &[0.0, 50.0, 150.0, 475.0, 800.0, 1600.0, 2100.0, 2620.0]),
    m("SO2_1h", "SO2", "µg/m³", &[0.0, 150.0, 500.0, 650.0, 800.0]),
    m("NO2_24h", "NO2", "µg/m³", &[0.0, 40.0, 80.0, 180.0, 280.0, 565.0, 750.0, 940.0]),
    m("NO2_1h", "NO2", "µg/m³", &[0.0, 100.0, 200.0, 700.0, 1200.0, 2340.0, 3090.0, 3840.0]),
    m("PM10_24h", "PM10", "µg/m³", &[0.0, 50.0, 150.0, 250.0, 350.0, 420.0, 500.0, 600.0]),
    m("CO_24h", "CO", "mg/m³", &[0.0, 2.0, 4.0, 14.0, 24.0, 36.0, 48.0, 60.0]),
    m("CO_1h", "CO", "mg/m³", &[0.0, 5.0, 10.0, 35.0, 60.0, 90.0, 120.0, 150.0]),
    m("O3_1h", "O3", "µg/m³", &[0.0, 160.0, 200.0, 300.0, 400.0, 800.0, 1000.0, 1200.0]),
    m("O3_8h", "O3", "µg/m³", &[0.0, 100.0, 160.0, 215.0, 265.0, 800.0]),
    m("PM2.5_24h", "PM2.5", "µg/m³", &[0.0, 35.0, 75.0, 115.0, 150.0, 250.0, 350.0, 500.0]),
];

/// HJ 633-2012 Table 2: the upper AQI of each category, its level, name and colour.
pub const CATEGORIES: [(f64, &str, &str, &str); 6] = [
    (50.0, "一级", "优", "#00e400"),
    (100.0, "二级", "良", "#ffff00"),
    (150.0, "三级", "轻度污染", "#ff7e00"),
    (200.0, "四级", "中度污染", "#ff0000"),
    (300.0, "五级", "重度污染", "#99004c"),
    (f64::INFINITY, "六级", "严重污染", "#7e0023"),
];

/// The measure of key `key`.
pub fn measure(key: &str) -> Option<&'static Measure> {
    MEASURES.iter().find(|m| m.key == key)
}

/// The IAQI of concentration `c` on `m`'s breakpoints, rounded up; None above the table's end
/// (the caller applies the special rule, or says it is beyond the scale).
pub fn iaqi(m: &Measure, c: f64) -> Option<f64> {
    let bp = m.breakpoints;
    let i = bp.windows(2).position(|w| c <= w[1])?;
    let (lo, hi) = (bp[i], bp[i + 1]);
    // Rounded up, but not for the arithmetic's own dust on a breakpoint (e.g. 100.00000000000001).
    Some((((IAQI[i + 1] - IAQI[i]) / (hi - lo) * (c - lo) + IAQI[i]) - 1e-9).ceil().max(IAQI[i]))
}

/// One measure's index.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = Iaqi)]
pub struct Individual {
    /// The measure's key.
    pub key: &'static str,
    /// The pollutant.
    pub pollutant: &'static str,
    /// The concentration given.
    pub value: f64,
    /// Its IAQI (500 when beyond the scale).
    pub iaqi: f64,
    /// Beyond the table's highest breakpoint.
    pub beyond_scale: bool,
    /// Indexed by another measure (SO2 1-hour by its 24-hour value, O3 8-hour by its 1-hour).
    pub by: Option<&'static str>,
}

/// The AQI of a set of concentrations.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = AirQualityIndex)]
pub struct Index {
    /// Each measure given.
    pub items: Vec<Individual>,
    /// The AQI: the largest IAQI.
    pub aqi: f64,
    /// 一级 … 六级.
    pub level: &'static str,
    /// 优 … 严重污染.
    pub category: &'static str,
    /// Its colour.
    pub colour: &'static str,
    /// The primary pollutants (AQI above 50): those whose IAQI is the AQI.
    pub primary: Vec<&'static str>,
}

/// The AQI of `values` (key, concentration).
pub fn index(values: &[(String, f64)]) -> Result<Index, Refused> {
    if values.is_empty() {
        return Err(Refused::new("values", "give at least one concentration"));
    }
    let mut given = Vec::new();
    for (key, value) in values {
        let m = measure(key).ok_or_else(|| {
            let keys: Vec<&str> = MEASURES.iter().map(|m| m.key).collect();
            Refused::new(key, format!("`{key}` is not one of {}", keys.join(", ")))
        })?;
        if !value.is_finite() || *value < 0.0 {
            return Err(Refused::new(key, format!("{value} is not a concentration")));
        }
        if given.iter().any(|(g, _): &(&Measure, f64)| g.key == m.key) {
            return Err(Refused::new(key, "is given twice"));
        }
        given.push((m, *value));
    }
    let value_of = |key: &str| given.iter().find(|(m, _)| m.key == key).map(|(_, v)| *v);
    let mut items = Vec::new();
    for (m, c) in &given {
        let special = match m.key {
            "SO2_1h" => Some("SO2_24h"),
            "O3_8h" => Some("O3_1h"),
            _ => None,
        };
        let (iaqi_of, by) = match (iaqi(m, *c), special) {
            (Some(i), _) => (Some(i), None),
            // Beyond its table: indexed by the other measure, which must be given.
            (None, Some(other)) => match value_of(other) {
                Some(v) => (iaqi(measure(other).expect("a measure of the table"), v), Some(other)),
                None => {
                    return Err(Refused::new(
                        m.key,
                        format!("{c} is above 800 µg/m³, where HJ 633-2012 indexes it by {other}: give {other}"),
                    ));
                }
            },
            (None, None) => (None, None),
        };
        items.push(Individual {
            key: m.key,
            pollutant: m.pollutant,
            value: *c,
            iaqi: iaqi_of.unwrap_or(500.0),
            beyond_scale: iaqi_of.is_none(),
            by,
        });
    }
    items.sort_by_key(|i| MEASURES.iter().position(|m| m.key == i.key));
    let aqi = items.iter().map(|i| i.iaqi).fold(0.0, f64::max);
    let (_, level, category, colour) =
        *CATEGORIES.iter().find(|(upper, ..)| aqi <= *upper).expect("the last category has no upper end");
    let mut primary: Vec<&'static str> =
        if aqi > 50.0 { items.iter().filter(|i| i.iaqi == aqi).map(|i| i.pollutant).collect() } else { Vec::new() };
    primary.dedup();
    Ok(Index { items, aqi, level, category, colour, primary })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(pairs: &[(&str, f64)]) -> Index {
        index(&pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn every_breakpoint_is_its_iaqi_and_just_beyond_it_more() {
        for m in &MEASURES {
            for (i, c) in m.breakpoints.iter().enumerate() {
                assert_eq!(iaqi(m, *c), Some(IAQI[i]), "{} at {c}", m.key);
                if i + 1 < m.breakpoints.len() {
                    assert_eq!(iaqi(m, c + 1e-6), Some(IAQI[i] + 1.0), "{} just above {c}", m.key);
                }
            }
            assert_eq!(iaqi(m, m.breakpoints.last().unwrap() + 1e-6), None, "{} beyond the table", m.key);
        }
    }

    #[test]
    fn worked_values() {
        // PM2.5 80 µg/m³ (24 h): 100 + 50 / 40 × 5 = 106.25 → 107, 轻度污染, primary PM2.5.
        let a = of(&[("PM2.5_24h", 80.0), ("SO2_24h", 475.0), ("O3_8h", 120.0)]);
        let by = |k: &str| a.items.iter().find(|i| i.key == k).unwrap().iaqi;
        // O3 120 µg/m³ (8 h): 50 + 50 / 60 × 20 = 66.7 → 67.
        assert_eq!((by("PM2.5_24h"), by("SO2_24h"), by("O3_8h")), (107.0, 150.0, 67.0));
        assert_eq!((a.aqi, a.category, a.level, a.primary.as_slice()), (150.0, "轻度污染", "三级", &["SO2"][..]));
        // 50 is 优 with no primary pollutant; 51 is 良.
        let b = of(&[("PM10_24h", 50.0)]);
        assert_eq!((b.aqi, b.category, b.primary.len()), (50.0, "优", 0));
        let c = of(&[("PM10_24h", 51.0)]);
        assert_eq!((c.aqi, c.category, c.primary.as_slice()), (51.0, "良", &["PM10"][..]));
        // CO in mg/m³: 3 mg/m³ (24 h) → 50 + 50 / 2 × 1 = 75.
        assert_eq!(of(&[("CO_24h", 3.0)]).aqi, 75.0);
        // 301 is 严重污染.
        assert_eq!(of(&[("PM2.5_24h", 251.0)]).category, "严重污染");
        // Two pollutants at the AQI are both primary.
        assert_eq!(of(&[("PM10_24h", 150.0), ("PM2.5_24h", 75.0)]).primary, ["PM10", "PM2.5"]);
    }

    #[test]
    fn the_special_rules_and_the_end_of_the_scale() {
        // SO2 1-hour 900 (> 800): indexed by the 24-hour value, 160 → 100 + 50 / 325 × 10 = 101.5 → 102.
        let a = of(&[("SO2_1h", 900.0), ("SO2_24h", 160.0)]);
        let so2 = a.items.iter().find(|i| i.key == "SO2_1h").unwrap();
        assert_eq!((so2.iaqi, so2.by), (102.0, Some("SO2_24h")));
        assert!(index(&[("SO2_1h".into(), 900.0)]).is_err(), "without the 24-hour value it cannot be indexed");
        // O3 8-hour 850 (> 800): by the 1-hour value, 850 → 300 + 100 / 200 × 50 = 325.
        let b = of(&[("O3_8h", 850.0), ("O3_1h", 850.0)]);
        assert_eq!(b.items.iter().find(|i| i.key == "O3_8h").unwrap().iaqi, 325.0);
        // PM2.5 beyond 500: 500, beyond the scale.
        let c = of(&[("PM2.5_24h", 600.0)]);
        assert_eq!((c.aqi, c.items[0].beyond_scale), (500.0, true));
        assert!(index(&[("PM1_24h".into(), 1.0)]).is_err());
        assert!(index(&[("PM10_24h".into(), f64::NAN)]).is_err());
        assert!(index(&[]).is_err());
    }
}
