//! The Gaussian plume of a continuous release, at ground level, with reflection at the ground,
//! dispersed by the Briggs (1973) coefficients for open country (rural) and cities (urban), as
//! tabulated by Turner's *Workbook of Atmospheric Dispersion Estimates* and US EPA models:
//!
//! C(x, y, 0) = Q / (π u σy σz) · exp(−y² / 2σy²) · exp(−H² / 2σz²)
//!
//! Q in g/s, u in m/s, σ and H in m gives g/m³ (×1000: mg/m³). x is the distance downwind, y
//! across the wind. The coefficients are fitted for 100 m to 10 km; nearer and further they are
//! extrapolated (the answer says so).

/// Pasquill–Gifford stability class: A very unstable … D neutral … F moderately stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stability {
    /// Very unstable.
    A,
    /// Unstable.
    B,
    /// Slightly unstable.
    C,
    /// Neutral.
    D,
    /// Slightly stable.
    E,
    /// Stable.
    F,
}

impl Stability {
    /// Every class, in order.
    pub const ALL: [Stability; 6] = [Self::A, Self::B, Self::C, Self::D, Self::E, Self::F];

    /// The class named by its letter.
    pub fn parse(letter: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.letter() == letter)
    }

    /// Its letter.
    pub fn letter(self) -> &'static str {
        ["A", "B", "C", "D", "E", "F"][self as usize]
    }
}

/// Open country or city (rougher ground, more mixing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Terrain {
    /// Open country.
    Rural,
    /// Cities.
    Urban,
}

/// The range over which the Briggs coefficients were fitted, metres downwind.
pub const FITTED_M: (f64, f64) = (100.0, 10_000.0);

/// σy and σz (m) at `x` metres downwind.
pub fn sigmas(stability: Stability, terrain: Terrain, x: f64) -> (f64, f64) {
    use Stability::*;
    let inv_sqrt = |a: f64| 1.0 / (1.0 + a * x).sqrt();
    match terrain {
        Terrain::Rural => {
            let sy = |k: f64| k * x * inv_sqrt(0.0001);
            match stability {
                A => (sy(0.22), 0.20 * x),
                B => (sy(0.16), 0.12 * x),
                C => (sy(0.11), 0.08 * x * inv_sqrt(0.0002)),
                D => (sy(0.08), 0.06 * x * inv_sqrt(0.0015)),
                E => (sy(0.06), 0.03 * x / (1.0 + 0.0003 * x)),
                F => (sy(0.04), 0.016 * x / (1.0 + 0.0003 * x)),
            }
        }
        Terrain::Urban => {
            let sy = |k: f64| k * x * inv_sqrt(0.0004);
            match stability {
                A | B => (sy(0.32), 0.24 * x * (1.0 + 0.001 * x).sqrt()),
                C => (sy(0.22), 0.20 * x),
                D => (sy(0.16), 0.14 * x * inv_sqrt(0.0003)),
                E | F => (sy(0.11), 0.08 * x * inv_sqrt(0.0015)),
            }
        }
    }
}

/// A continuous release and the weather that carries it.
#[derive(Debug, Clone, Copy)]
pub struct Release {
    /// Release rate, g/s.
    pub rate_g_s: f64,
    /// Effective height, m (0: at the ground).
    pub height_m: f64,
    /// Wind speed, m/s.
    pub wind_ms: f64,
    /// Stability class.
    pub stability: Stability,
    /// Rural or urban coefficients.
    pub terrain: Terrain,
}

impl Release {
    /// Ground-level concentration, mg/m³, at `x` m downwind and `y` m across (0 upwind).
    pub fn concentration(&self, x: f64, y: f64) -> f64 {
        if x <= 0.0 {
            return 0.0;
        }
        let (sy, sz) = sigmas(self.stability, self.terrain, x);
        let g_m3 = self.rate_g_s / (std::f64::consts::PI * self.wind_ms * sy * sz)
            * (-(y * y) / (2.0 * sy * sy)).exp()
            * (-(self.height_m * self.height_m) / (2.0 * sz * sz)).exp();
        g_m3 * 1000.0
    }

    /// Half the width (m) of the ground area where the concentration at `x` m downwind reaches
    /// `threshold` mg/m³; None where even the plume's axis stays below it.
    pub fn half_width(&self, x: f64, threshold: f64) -> Option<f64> {
        let axis = self.concentration(x, 0.0);
        if axis <= threshold || !axis.is_finite() {
            return None;
        }
        let (sy, _) = sigmas(self.stability, self.terrain, x);
        Some(sy * (2.0 * (axis / threshold).ln()).sqrt())
    }
}

/// Where a threshold is reached: the outline in plume coordinates (x downwind, y to the left
/// of the wind, metres), from the nearest reach along one side to the furthest and back.
#[derive(Debug, Clone)]
pub struct Zone {
    /// The threshold, mg/m³.
    pub threshold: f64,
    /// Closed outline, (x, y) in metres.
    pub outline: Vec<(f64, f64)>,
    /// Furthest point downwind, m.
    pub max_distance_m: f64,
    /// Widest extent across the wind, m.
    pub max_width_m: f64,
}

/// Samples along the wind (log-spaced: the zone changes fastest near the source).
const SAMPLES: usize = 240;
/// Nearest distance considered, m (a ground-level source is infinite at the source itself).
const NEAREST_M: f64 = 1.0;

/// The zone where `release` reaches `threshold` within `reach_m` downwind (the distance the
/// wind carries it in the release's duration), or None.
pub fn zone(release: &Release, threshold: f64, reach_m: f64) -> Option<Zone> {
    let far = reach_m.max(NEAREST_M * 2.0);
    let ratio = (far / NEAREST_M).powf(1.0 / (SAMPLES - 1) as f64);
    let xs: Vec<f64> = (0..SAMPLES).map(|i| (NEAREST_M * ratio.powi(i as i32)).min(far)).collect();
    let inside: Vec<bool> = xs.iter().map(|&x| release.half_width(x, threshold).is_some()).collect();
    let first = inside.iter().position(|&b| b)?;
    let last = inside.iter().rposition(|&b| b)?;
    // The ends, found exactly by bisection between the samples around them.
    let edge = |mut outside: f64, mut within: f64| {
        for _ in 0..60 {
            let mid = (outside + within) / 2.0;
            if release.half_width(mid, threshold).is_some() {
                within = mid;
            } else {
                outside = mid;
            }
        }
        within
    };
    let start = if first == 0 { xs[0] } else { edge(xs[first - 1], xs[first]) };
    let end = if last + 1 < xs.len() { edge(xs[last + 1], xs[last]) } else { xs[last] };
    let mut along: Vec<f64> = vec![start];
    along.extend(xs[first..=last].iter().copied().filter(|&x| x > start && x < end));
    along.push(end);
    let widths: Vec<f64> = along.iter().map(|&x| release.half_width(x, threshold).unwrap_or(0.0)).collect();
    // A ground-level source: the zone begins at the source.
    let mut outline: Vec<(f64, f64)> = Vec::with_capacity(along.len() * 2 + 2);
    if first == 0 {
        outline.push((0.0, 0.0));
    }
    outline.extend(along.iter().zip(&widths).map(|(&x, &w)| (x, w)));
    outline.extend(along.iter().zip(&widths).rev().map(|(&x, &w)| (x, -w)));
    outline.push(outline[0]);
    Some(Zone {
        threshold,
        outline,
        max_distance_m: end,
        max_width_m: 2.0 * widths.iter().copied().fold(0.0, f64::max),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn release(stability: Stability, terrain: Terrain, height_m: f64) -> Release {
        Release { rate_g_s: 1000.0, height_m, wind_ms: 3.0, stability, terrain }
    }

    /// Turner's workbook, Table A-1 style values worked out by hand from the Briggs formulas:
    /// at 1 km, rural D: σy = 80/√1.1 = 76.28 m, σz = 60/√2.5 = 37.95 m.
    #[test]
    fn briggs_coefficients_by_hand() {
        let (sy, sz) = sigmas(Stability::D, Terrain::Rural, 1000.0);
        assert!((sy - 76.277).abs() < 0.01, "{sy}");
        assert!((sz - 37.947).abs() < 0.01, "{sz}");
        // Rural F at 2 km: σy = 80/√1.2 = 73.03, σz = 32/1.6 = 20.
        let (sy, sz) = sigmas(Stability::F, Terrain::Rural, 2000.0);
        assert!((sy - 73.030).abs() < 0.01 && (sz - 20.0).abs() < 1e-9, "{sy} {sz}");
        // Urban A at 500 m: σy = 160/√1.2 = 146.06, σz = 120·√1.5 = 146.97.
        let (sy, sz) = sigmas(Stability::A, Terrain::Urban, 500.0);
        assert!((sy - 146.059).abs() < 0.01 && (sz - 146.969).abs() < 0.01, "{sy} {sz}");
        // Urban E at 1 km: σy = 110/√1.4 = 92.97, σz = 80/√2.5 = 50.60.
        let (sy, sz) = sigmas(Stability::E, Terrain::Urban, 1000.0);
        assert!((sy - 92.966).abs() < 0.01 && (sz - 50.596).abs() < 0.01, "{sy} {sz}");
    }

    /// A second implementation of the formula, written out term by term, for several classes,
    /// both terrains, at and off the axis, ground and elevated.
    #[test]
    fn concentration_equals_the_formula_written_again() {
        for stability in Stability::ALL {
            for terrain in [Terrain::Rural, Terrain::Urban] {
                for height in [0.0, 20.0] {
                    let r = release(stability, terrain, height);
                    for (x, y) in [(200.0, 0.0), (1000.0, 30.0), (5000.0, -150.0)] {
                        let (sy, sz) = sigmas(stability, terrain, x);
                        let peak = 1000.0 / (std::f64::consts::PI * 3.0 * sy * sz);
                        let across = (-0.5 * (y / sy).powi(2)).exp();
                        let up = (-0.5 * ((0.0 - height) / sz).powi(2)).exp();
                        let down = (-0.5 * ((0.0 + height) / sz).powi(2)).exp();
                        // Direct and reflected image at z = 0, each with 1/(2π…): the sum.
                        let expected = peak / 2.0 * across * (up + down) * 1000.0;
                        let got = r.concentration(x, y);
                        assert!(
                            (got - expected).abs() <= 1e-9 * expected.max(1.0),
                            "{stability:?} {terrain:?} {x} {y}"
                        );
                    }
                }
            }
        }
        // By hand: 1000 g/s, 3 m/s, rural D, ground, 1 km on the axis:
        // 1000 / (π · 3 · 76.277 · 37.947) = 0.036657 g/m³ = 36.66 mg/m³.
        let c = release(Stability::D, Terrain::Rural, 0.0).concentration(1000.0, 0.0);
        assert!((c - 36.657).abs() < 0.01, "{c}");
    }

    #[test]
    fn zones_are_nested_and_point_downwind() {
        for stability in Stability::ALL {
            for terrain in [Terrain::Rural, Terrain::Urban] {
                let r = release(stability, terrain, 0.0);
                let inner = zone(&r, 58.0, 20_000.0).unwrap();
                let outer = zone(&r, 5.8, 20_000.0).unwrap();
                assert!(outer.max_distance_m > inner.max_distance_m, "{stability:?} {terrain:?}");
                assert!(outer.max_width_m > inner.max_width_m);
                assert!(inner.outline.iter().chain(&outer.outline).all(|&(x, _)| x >= 0.0), "downwind only");
                // The edge is where the threshold is reached.
                let edge = r.concentration(inner.max_distance_m, 0.0);
                assert!((edge - 58.0).abs() < 1e-6 * 58.0, "{edge}");
                // Every point of the inner zone lies within the outer one's width at that x.
                for &(x, y) in &inner.outline {
                    let w = r.half_width(x, 5.8).unwrap_or(0.0);
                    assert!(y.abs() <= w + 1e-6, "{stability:?} {x} {y} {w}");
                }
            }
        }
    }

    #[test]
    fn stable_air_carries_further_and_an_elevated_release_starts_away() {
        let far = |s| zone(&release(s, Terrain::Rural, 0.0), 5.8, 50_000.0).unwrap().max_distance_m;
        assert!(far(Stability::F) > far(Stability::D) && far(Stability::D) > far(Stability::A));
        let lifted = zone(&release(Stability::D, Terrain::Rural, 50.0), 5.8, 50_000.0).unwrap();
        assert!(lifted.outline[0].0 > 100.0, "{:?}", lifted.outline[0]);
        // The release's duration limits how far it got.
        let short = zone(&release(Stability::F, Terrain::Rural, 0.0), 5.8, 1000.0).unwrap();
        assert!((short.max_distance_m - 1000.0).abs() < 1e-6);
        // Too little to reach the threshold anywhere: no zone.
        let small = Release { rate_g_s: 0.001, ..release(Stability::D, Terrain::Rural, 100.0) };
        assert!(zone(&small, 58.0, 10_000.0).is_none());
    }
}
