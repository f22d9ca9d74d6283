//! How a spill's concentration rises and falls at a point downstream: the one-dimensional
//! advection–dispersion equation ∂C/∂t + u ∂C/∂x = D ∂²C/∂x² − kC for a mass released at once
//! into a river of cross-section A, whose solution is
//! C(x, t) = M / (A √(4πDt)) · exp(−(x − ut)² / 4Dt) · exp(−kt) (Fischer et al., *Mixing in
//! Inland and Coastal Waters*, 1979, §2.2 and §5); a release over a while is the sum of small
//! ones. The river's cross-section and dispersion coefficient are stated assumptions per river
//! ([`CHANNELS`], and `data/README.md`); its velocity the trace's.

use std::f64::consts::PI;

/// What the model assumes of a river.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Channel {
    /// The river (a name's beginning: 长江 matches 长江（重庆段）).
    pub river: &'static str,
    /// Cross-section, m².
    pub area_m2: f64,
    /// Longitudinal dispersion coefficient, m²/s.
    pub dispersion_m2_s: f64,
}

/// The assumptions per river (order of magnitude, from the rivers' usual widths and depths at
/// low to middle flow and Fischer's D ≈ 0.011 u²B²/(h u*) with u* ≈ u/10); the last is the
/// default for any other river.
pub const CHANNELS: [Channel; 6] = [
    Channel { river: "长江", area_m2: 8_000.0, dispersion_m2_s: 500.0 },
    Channel { river: "嘉陵江", area_m2: 2_500.0, dispersion_m2_s: 150.0 },
    Channel { river: "乌江", area_m2: 1_500.0, dispersion_m2_s: 100.0 },
    Channel { river: "涪江", area_m2: 800.0, dispersion_m2_s: 60.0 },
    Channel { river: "綦江", area_m2: 300.0, dispersion_m2_s: 30.0 },
    Channel { river: "", area_m2: 300.0, dispersion_m2_s: 30.0 },
];

/// The assumptions for river `name`.
pub fn channel(name: &str) -> Channel {
    *CHANNELS.iter().find(|c| !c.river.is_empty() && name.starts_with(c.river)).unwrap_or(&CHANNELS[CHANNELS.len() - 1])
}

/// Concentration, mg/L (g/m³), `x` metres downstream and `t` seconds after `mass_g` grams went
/// in at once, the water moving at `u` m/s, decaying at `k` per second.
pub fn instant(mass_g: f64, c: &Channel, u: f64, k: f64, x: f64, t: f64) -> f64 {
    if t <= 0.0 || mass_g <= 0.0 {
        return 0.0;
    }
    let d = c.dispersion_m2_s;
    mass_g / (c.area_m2 * (4.0 * PI * d * t).sqrt()) * (-(x - u * t).powi(2) / (4.0 * d * t)).exp() * (-k * t).exp()
}

/// The same for `mass_g` released evenly over `duration_s` seconds from t = 0.
pub fn released(mass_g: f64, c: &Channel, u: f64, k: f64, x: f64, t: f64, duration_s: f64) -> f64 {
    if duration_s <= 0.0 {
        return instant(mass_g, c, u, k, x, t);
    }
    const PIECES: usize = 60;
    let dt = duration_s / PIECES as f64;
    (0..PIECES).map(|i| instant(mass_g / PIECES as f64, c, u, k, x, t - (i as f64 + 0.5) * dt)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    const C: Channel = Channel { river: "试验河", area_m2: 500.0, dispersion_m2_s: 40.0 };

    /// ∫ f(x) dx over [a, b] by the trapezoid rule on n steps.
    fn integral(f: impl Fn(f64) -> f64, a: f64, b: f64, n: usize) -> f64 {
        let h = (b - a) / n as f64;
        (0..=n).map(|i| f(a + i as f64 * h) * if i == 0 || i == n { 0.5 } else { 1.0 }).sum::<f64>() * h
    }

    #[test]
    fn the_mass_is_kept_moves_at_the_water_speed_and_spreads_as_2dt() {
        let (m, u, t, k) = (1.0e6, 0.8, 6.0 * 3600.0, 1e-5);
        let mass = integral(|x| instant(m, &C, u, k, x, t) * C.area_m2, 0.0, 40_000.0, 40_000);
        assert!((mass - m * (-k * t).exp()).abs() / m < 1e-6, "{mass}");
        let total = integral(|x| instant(m, &C, u, 0.0, x, t), 0.0, 40_000.0, 40_000);
        let mean = integral(|x| x * instant(m, &C, u, 0.0, x, t), 0.0, 40_000.0, 40_000) / total;
        let var = integral(|x| (x - mean).powi(2) * instant(m, &C, u, 0.0, x, t), 0.0, 40_000.0, 40_000) / total;
        assert!((mean - u * t).abs() < 1.0, "{mean}");
        assert!((var - 2.0 * C.dispersion_m2_s * t).abs() / var < 1e-4, "{var}");
    }

    #[test]
    fn it_agrees_with_the_equation_solved_by_finite_differences() {
        // From the solution at t0 on a grid, step the equation forward (upwind advection,
        // central dispersion, explicit) to t1, and compare.
        let (m, u, k) = (2.0e5, 0.5, 2e-5);
        let (t0, t1, dx) = (1800.0, 3.0 * 3600.0, 10.0);
        // The grid reaches well above the release: the solution has mass there too.
        let (n, x0) = (3_000, -5_000.0);
        let x = |i: usize| x0 + i as f64 * dx;
        let mut c: Vec<f64> = (0..n).map(|i| instant(m, &C, u, k, x(i), t0)).collect();
        let dt = 0.2 * dx * dx / C.dispersion_m2_s;
        let steps = ((t1 - t0) / dt).round() as usize;
        let dt = (t1 - t0) / steps as f64;
        for _ in 0..steps {
            let before = c.clone();
            for i in 1..n - 1 {
                let advection = u * (before[i] - before[i - 1]) / dx;
                let dispersion = C.dispersion_m2_s * (before[i + 1] - 2.0 * before[i] + before[i - 1]) / (dx * dx);
                c[i] = before[i] + dt * (dispersion - advection - k * before[i]);
            }
        }
        let peak = (0..n).map(|i| instant(m, &C, u, k, x(i), t1)).fold(0.0, f64::max);
        let worst = (0..n).map(|i| (c[i] - instant(m, &C, u, k, x(i), t1)).abs()).fold(0.0, f64::max);
        // Upwinding adds numerical dispersion u·dx/2 = 2.5 m²/s beside D = 40: a few per cent.
        assert!(worst / peak < 0.05, "{worst} against a peak of {peak}");
    }

    #[test]
    fn a_release_over_a_while_keeps_its_mass_and_arrives_later() {
        let (m, u, t) = (1.0e6, 1.0, 8.0 * 3600.0);
        let spread = integral(|x| released(m, &C, u, 0.0, x, t, 2.0 * 3600.0) * C.area_m2, 0.0, 60_000.0, 60_000);
        assert!((spread - m).abs() / m < 1e-4, "{spread}");
        let at_once = (0..600)
            .map(|i| instant(m, &C, u, 0.0, i as f64 * 100.0, t))
            .enumerate()
            .fold((0, 0.0), |b, (i, v)| if v > b.1 { (i, v) } else { b });
        let over = (0..600)
            .map(|i| released(m, &C, u, 0.0, i as f64 * 100.0, t, 2.0 * 3600.0))
            .enumerate()
            .fold((0, 0.0), |b, (i, v)| if v > b.1 { (i, v) } else { b });
        assert!(over.0 < at_once.0 && over.1 < at_once.1, "{over:?} {at_once:?}");
        assert_eq!(channel("长江（重庆段）").river, "长江");
        assert_eq!(channel("小安溪").area_m2, 300.0);
    }
}
