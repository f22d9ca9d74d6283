//! A generated road network at province scale, for benchmarks where no real network that large
//! can be had: clearly synthetic, deterministic from a seed, with a road-class hierarchy and
//! one-way streets. Roads are written to `route` with names starting `合成`.

pub use super::roads::Road;

/// Writes generated roads (as the command line's operator, like any import).
pub async fn insert(pool: &sqlx::PgPool, roads: &[Road]) -> anyhow::Result<usize> {
    super::roads::insert(pool, &crate::auth::Actor::command_line(), roads, &[], false).await
}
use crate::random::Random;

/// Settings of a generated network.
#[derive(Debug, Clone, Copy)]
pub struct Grid {
    /// Nodes per side of the (jittered) lattice: about 2·side² road segments.
    pub side: usize,
    /// Random seed.
    pub seed: u64,
    /// [west, south, east, north] in degrees.
    pub bbox: [f64; 4],
}

/// The class of the lattice line with index `i` (every 64th a motorway, … the rest residential).
fn class_of(i: usize) -> (&'static str, f64) {
    match i {
        i if i % 64 == 0 => ("motorway", 100.0),
        i if i % 16 == 0 => ("trunk", 80.0),
        i if i % 8 == 0 => ("primary", 60.0),
        i if i % 4 == 0 => ("secondary", 50.0),
        i if i % 2 == 0 => ("tertiary", 40.0),
        _ => ("residential", 30.0),
    }
}

/// The network: a lattice with jittered nodes, links along rows and columns, each with a
/// midpoint bend so segments are not straight.
pub fn roads(grid: &Grid) -> Vec<Road> {
    let mut random = Random(grid.seed);
    let [w, s, e, n] = grid.bbox;
    let (dx, dy) = ((e - w) / (grid.side - 1) as f64, (n - s) / (grid.side - 1) as f64);
    let nodes: Vec<[f64; 2]> = (0..grid.side * grid.side)
        .map(|k| {
            let (i, j) = (k % grid.side, k / grid.side);
            [w + dx * (i as f64 + (random.unit() - 0.5) * 0.4), s + dy * (j as f64 + (random.unit() - 0.5) * 0.4)]
        })
        .collect();
    let mut out = Vec::with_capacity(2 * grid.side * grid.side);
    for j in 0..grid.side {
        for i in 0..grid.side {
            let here = nodes[j * grid.side + i];
            for (next, line) in [
                (i + 1 < grid.side).then(|| (j * grid.side + i + 1, j)),
                (j + 1 < grid.side).then(|| ((j + 1) * grid.side + i, i)),
            ]
            .into_iter()
            .flatten()
            {
                let there = nodes[next];
                let (class, speed_kmh) = class_of(line);
                let bend = [
                    (here[0] + there[0]) / 2.0 + (random.unit() - 0.5) * dx * 0.2,
                    (here[1] + there[1]) / 2.0 + (random.unit() - 0.5) * dy * 0.2,
                ];
                let oneway = class == "residential" && random.unit() < 0.15;
                let hazmat_allowed = class != "residential" || random.unit() < 0.5;
                let points =
                    if oneway && random.unit() < 0.5 { vec![there, bend, here] } else { vec![here, bend, there] };
                out.push(Road {
                    name: Some(format!("合成{class}")), class, speed_kmh, oneway, hazmat_allowed, points
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_network() {
        let grid = Grid { side: 20, seed: 7, bbox: [105.0, 28.0, 110.0, 32.0] };
        let (a, b) = (roads(&grid), roads(&grid));
        assert_eq!(a.len(), 2 * 20 * 19);
        assert!(a.iter().zip(&b).all(|(x, y)| x.points == y.points && x.class == y.class));
        assert!(a.iter().any(|r| r.oneway) && a.iter().any(|r| r.class == "motorway"));
    }
}
