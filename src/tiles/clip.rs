//! Clipping lines to the buffered tile rectangle in tile coordinates (Liang–Barsky).

use geo::Coord;

/// An axis-aligned clip window.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    /// Lower corner.
    pub min: Coord<f64>,
    /// Upper corner.
    pub max: Coord<f64>,
}

impl Window {
    /// True when `c` lies inside or on the window.
    pub fn contains(&self, c: Coord<f64>) -> bool {
        c.x >= self.min.x && c.x <= self.max.x && c.y >= self.min.y && c.y <= self.max.y
    }

    /// The part of segment a–b inside the window, if any (Liang–Barsky).
    fn clip_segment(&self, a: Coord<f64>, b: Coord<f64>) -> Option<(Coord<f64>, Coord<f64>)> {
        let (dx, dy) = (b.x - a.x, b.y - a.y);
        let (mut t0, mut t1) = (0.0f64, 1.0f64);
        for (p, q) in [(-dx, a.x - self.min.x), (dx, self.max.x - a.x), (-dy, a.y - self.min.y), (dy, self.max.y - a.y)]
        {
            if p == 0.0 {
                if q < 0.0 {
                    return None;
                }
            } else {
                let r = q / p;
                if p < 0.0 {
                    t0 = t0.max(r);
                } else {
                    t1 = t1.min(r);
                }
                if t0 > t1 {
                    return None;
                }
            }
        }
        let at = |t: f64| Coord { x: a.x + t * dx, y: a.y + t * dy };
        Some((if t0 > 0.0 { at(t0) } else { a }, if t1 < 1.0 { at(t1) } else { b }))
    }
}

/// The parts of a polyline inside the window.
pub fn clip_line(points: &[Coord<f64>], window: &Window) -> Vec<Vec<Coord<f64>>> {
    let mut parts: Vec<Vec<Coord<f64>>> = Vec::new();
    let mut current: Vec<Coord<f64>> = Vec::new();
    for pair in points.windows(2) {
        match window.clip_segment(pair[0], pair[1]) {
            Some((a, b)) => {
                if current.last() != Some(&a) {
                    if current.len() >= 2 {
                        parts.push(std::mem::take(&mut current));
                    }
                    current.clear();
                    current.push(a);
                }
                current.push(b);
            }
            None => {
                if current.len() >= 2 {
                    parts.push(std::mem::take(&mut current));
                }
                current.clear();
            }
        }
    }
    if current.len() >= 2 {
        parts.push(current);
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(x: f64, y: f64) -> Coord<f64> {
        Coord { x, y }
    }
    const W: Window = Window { min: Coord { x: 0.0, y: 0.0 }, max: Coord { x: 10.0, y: 10.0 } };

    #[test]
    fn a_line_leaving_and_reentering_splits_in_two() {
        let parts = clip_line(&[c(-5.0, 5.0), c(5.0, 5.0), c(5.0, 15.0), c(8.0, 15.0), c(8.0, 5.0)], &W);
        assert_eq!(parts, vec![vec![c(0.0, 5.0), c(5.0, 5.0), c(5.0, 10.0)], vec![c(8.0, 10.0), c(8.0, 5.0)]]);
        assert!(clip_line(&[c(-5.0, -5.0), c(-1.0, 20.0)], &W).is_empty());
    }
}
