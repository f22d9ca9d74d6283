//! The Hilbert curve: the cells of a square in an order that keeps neighbours on the map near
//! one another (the memory layouts of graphs and box indexes).

/// The position of cell (x, y) along the Hilbert curve over a 2^`bits` square.
pub fn hilbert(bits: u32, mut x: u32, mut y: u32) -> u64 {
    let n = 1u32 << bits;
    let mut d = 0u64;
    let mut s = n / 2;
    while s > 0 {
        let (rx, ry) = (u32::from(x & s > 0), u32::from(y & s > 0));
        d += u64::from(s) * u64::from(s) * u64::from((3 * rx) ^ ry);
        // Turn the quadrant so that the curve inside it runs the right way.
        if ry == 0 {
            if rx == 1 {
                (x, y) = (n - 1 - x, n - 1 - y);
            }
            (x, y) = (y, x);
        }
        s /= 2;
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_curve_visits_every_cell_once_stepping_to_a_neighbour_each_time() {
        for bits in 1..=4 {
            let n = 1u32 << bits;
            let mut at = vec![None; (n * n) as usize];
            for x in 0..n {
                for y in 0..n {
                    let d = hilbert(bits, x, y) as usize;
                    assert!(at[d].is_none(), "{bits} bits: position {d} twice");
                    at[d] = Some((x as i64, y as i64));
                }
            }
            let cells: Vec<(i64, i64)> = at.into_iter().map(|c| c.expect("every position taken")).collect();
            for w in cells.windows(2) {
                let step = (w[0].0 - w[1].0).abs() + (w[0].1 - w[1].1).abs();
                assert_eq!(step, 1, "{bits} bits: {:?} to {:?}", w[0], w[1]);
            }
        }
    }
}
