//! Pasquill's stability classes from what a duty officer can see: the surface wind speed, day
//! or night, the strength of the sunshine by day and the cloud cover by night (Pasquill 1961, as
//! given by Turner's workbook, Table 1). An overcast sky, day or night, is neutral (D). Where the
//! table gives two classes (A–B …) the more stable one is taken: it carries a ground-level plume
//! further, which is the side a warning should err on.

use super::plume::Stability;

/// Daytime sunshine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Insolation {
    /// Strong (high sun, clear sky).
    Strong,
    /// Moderate.
    Moderate,
    /// Slight.
    Slight,
}

/// What is seen.
#[derive(Debug, Clone, Copy)]
pub enum Sky {
    /// Daytime with this sunshine.
    Day(Insolation),
    /// Night-time with this much low cloud, in eighths (octas).
    Night { cloud_octas: u8 },
    /// Overcast, day or night.
    Overcast,
}

/// The class for a 10 m wind of `wind_ms` under `sky`.
pub fn pasquill(wind_ms: f64, sky: Sky) -> Stability {
    use Stability::*;
    // Rows: < 2, 2–3, 3–5, 5–6, > 6 m/s.
    let row = if wind_ms < 2.0 {
        0
    } else if wind_ms < 3.0 {
        1
    } else if wind_ms < 5.0 {
        2
    } else if wind_ms <= 6.0 {
        3
    } else {
        4
    };
    match sky {
        Sky::Overcast => D,
        // Strong: A, A–B, B, C, C; moderate: A–B, B, B–C, C–D, D; slight: B, C, C, D, D.
        Sky::Day(Insolation::Strong) => [A, B, B, C, C][row],
        Sky::Day(Insolation::Moderate) => [B, B, C, D, D][row],
        Sky::Day(Insolation::Slight) => [B, C, C, D, D][row],
        // Thin overcast or ≥ 4/8 low cloud: (F), E, D, D, D; ≤ 3/8: (F), F, E, D, D. Below
        // 2 m/s at night the table gives none; F is the usual choice.
        Sky::Night { cloud_octas } if cloud_octas >= 4 => [F, E, D, D, D][row],
        Sky::Night { .. } => [F, F, E, D, D][row],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Stability::*;

    #[test]
    fn the_table() {
        assert_eq!(pasquill(1.5, Sky::Day(Insolation::Strong)), A);
        assert_eq!(pasquill(2.5, Sky::Day(Insolation::Strong)), B, "A–B: the more stable");
        assert_eq!(pasquill(4.0, Sky::Day(Insolation::Moderate)), C, "B–C: the more stable");
        assert_eq!(pasquill(5.5, Sky::Day(Insolation::Slight)), D);
        assert_eq!(pasquill(7.0, Sky::Day(Insolation::Strong)), C);
        assert_eq!(pasquill(2.5, Sky::Night { cloud_octas: 6 }), E);
        assert_eq!(pasquill(2.5, Sky::Night { cloud_octas: 2 }), F);
        assert_eq!(pasquill(4.0, Sky::Night { cloud_octas: 2 }), E);
        assert_eq!(pasquill(1.0, Sky::Night { cloud_octas: 0 }), F);
        assert_eq!(pasquill(1.0, Sky::Overcast), D);
        assert_eq!(pasquill(10.0, Sky::Night { cloud_octas: 0 }), D);
    }
}
