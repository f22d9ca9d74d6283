//! Snapping a point to the nearest usable road: nearest edges by an R-tree of their boxes (in a
//! local equirectangular plane), projection onto their segments, exact geodesic distance.

use geo::{Coord, Distance, Geodesic, Point};

use super::graph::RoadGraph;

/// Where a point meets the network.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Snap {
    /// Index into `RoadGraph::edges`.
    pub edge: usize,
    /// Metres along the edge from its first vertex.
    pub along_m: f64,
    /// The point on the road, lon/lat.
    pub point: Coord<f64>,
    /// From the given point to the road, metres.
    pub distance_m: f64,
}

impl Snap {
    /// Position along the edge, 0 at its first vertex and 1 at its last.
    pub fn fraction(&self, graph: &RoadGraph) -> f64 {
        let metres = graph.edges[self.edge].metres;
        if metres > 0.0 { (self.along_m / metres).clamp(0.0, 1.0) } else { 0.0 }
    }
}

/// A point this close to a node (an end of its edge) is at the node: on a junction it may
/// leave or be reached by every road of the junction, not only by the edge that happened to
/// be nearest (on a one-way edge, the difference is the long way round).
pub const NODE_SNAP_M: f64 = 1.0;

/// Metres per degree of latitude, roughly: only to bound the candidate search.
const METRES_PER_DEGREE: f64 = 111_000.0;

/// Cached snaps kept per graph, at most (a cache, not a store: it is emptied when full).
const MAX_CACHED_SNAPS: usize = 100_000;

impl RoadGraph {
    /// [`RoadGraph::snap`] with every edge usable, remembered for this graph.
    pub fn snap_cached(&self, p: Coord<f64>, max_m: f64) -> Option<Snap> {
        let key = (p.x.to_bits(), p.y.to_bits(), max_m.to_bits());
        if let Some(hit) = self.snaps.read().ok().and_then(|c| c.get(&key).copied()) {
            return hit;
        }
        let snap = self.snap(p, max_m, &|_| true);
        if let Ok(mut cache) = self.snaps.write() {
            if cache.len() >= MAX_CACHED_SNAPS {
                cache.clear();
            }
            cache.insert(key, snap);
        }
        snap
    }

    /// The nearest point of an edge for which `usable` holds, within `max_m` metres.
    pub fn snap(&self, p: Coord<f64>, max_m: f64, usable: &dyn Fn(usize) -> bool) -> Option<Snap> {
        let query = [p.x * self.x_scale, p.y];
        // Edges come nearest box first; a box's distance is a lower bound of its segments'.
        // In the local plane segments order like the geodesic at these distances; only
        // near-ties (within 1 % and a metre of the nearest) get the exact, costly comparison.
        let mut nearest_planar = f64::INFINITY;
        let mut best: Option<(f64, usize, usize, Coord<f64>)> = None;
        let (px, py) = (p.x * self.x_scale, p.y);
        for (found, d2) in self.boxes.nearest(query) {
            let bound_m = d2.sqrt() * METRES_PER_DEGREE;
            if bound_m > max_m * 1.05 + 50.0 || bound_m > nearest_planar * 1.01 + 1.0 {
                break;
            }
            let edge = found as usize;
            if !usable(edge) {
                continue;
            }
            for (index, w) in self.line(edge).windows(2).enumerate() {
                let (a, b) = (w[0], w[1]);
                let (ax, bx) = (a.x * self.x_scale, b.x * self.x_scale);
                let (dx, dy) = (bx - ax, b.y - a.y);
                let len2 = dx * dx + dy * dy;
                let t = if len2 == 0.0 { 0.0 } else { (((px - ax) * dx + (py - a.y) * dy) / len2).clamp(0.0, 1.0) };
                let planar_m = ((ax + t * dx - px).powi(2) + (a.y + t * dy - py).powi(2)).sqrt() * METRES_PER_DEGREE;
                if planar_m > nearest_planar * 1.01 + 1.0 {
                    continue;
                }
                nearest_planar = nearest_planar.min(planar_m);
                let q = Coord { x: a.x + t * (b.x - a.x), y: a.y + t * (b.y - a.y) };
                let distance_m = Geodesic.distance(Point(p), Point(q));
                if distance_m <= max_m && best.is_none_or(|(d, ..)| distance_m < d) {
                    best = Some((distance_m, edge, index, q));
                }
            }
        }
        let (distance_m, edge, index, q) = best?;
        let line = self.line(edge);
        let before: f64 = line[..=index].windows(2).map(|w| Geodesic.distance(Point(w[0]), Point(w[1]))).sum();
        let along_m = before + Geodesic.distance(Point(line[index]), Point(q));
        // At a node exactly (fraction 0 or 1, not a rounding error away from it).
        let metres = self.edges[edge].metres;
        let at_node = if along_m <= NODE_SNAP_M.min(metres - along_m) {
            Some((0.0, line[0]))
        } else if metres - along_m <= NODE_SNAP_M {
            Some((metres, line[line.len() - 1]))
        } else {
            None
        };
        if let Some((along_m, node)) = at_node {
            return Some(Snap { edge, along_m, point: node, distance_m: Geodesic.distance(Point(p), Point(node)) });
        }
        Some(Snap { edge, along_m, point: q, distance_m })
    }
}

#[cfg(test)]
mod tests {
    use geo::{Coord, LineString};

    use crate::random::Random;
    use crate::routing::graph::{RoadGraph, RoadRow};

    #[test]
    fn a_point_at_or_within_a_metre_of_a_node_is_at_the_node() {
        // Two one-way rows meeting at (106.01, 29.52), drawn with many vertices.
        let line = |a: (f64, f64), b: (f64, f64)| {
            LineString::from(
                (0..=7)
                    .map(|i| (a.0 + (b.0 - a.0) * i as f64 / 7.0, a.1 + (b.1 - a.1) * i as f64 / 7.0))
                    .collect::<Vec<_>>(),
            )
        };
        let row = |id, a, b| RoadRow { id, speed_kmh: 50.0, oneway: true, hazmat_allowed: true, line: line(a, b) };
        let graph =
            RoadGraph::build(vec![row(1, (106.0, 29.5), (106.01, 29.52)), row(2, (106.01, 29.52), (106.03, 29.51))]);
        let node = Coord { x: 106.01, y: 29.52 };
        for (dx, dy) in [(0.0, 0.0), (0.5, 0.0), (0.0, -0.7), (-0.3, 0.4)] {
            let p = Coord { x: node.x + dx / 97_000.0, y: node.y + dy / 111_000.0 };
            let snap = graph.snap(p, 100.0, &|_| true).unwrap();
            let f = snap.fraction(&graph);
            assert!(f == 0.0 || f == 1.0, "{dx},{dy}: fraction {f}");
            assert_eq!(snap.point, node);
        }
        // Two metres from the node, it is on the edge.
        let p = Coord { x: node.x - 2.0 / 97_000.0, y: node.y - 4.0 / 111_000.0 };
        let f = graph.snap(p, 100.0, &|_| true).unwrap().fraction(&graph);
        assert!(f > 0.0 && f < 1.0, "{f}");
    }

    #[test]
    fn a_remembered_snap_is_the_snap() {
        let rows = (0..20)
            .map(|i| RoadRow {
                id: i,
                speed_kmh: 50.0,
                oneway: false,
                hazmat_allowed: true,
                line: LineString::from(vec![(106.0 + 0.01 * i as f64, 29.5), (106.01 + 0.01 * i as f64, 29.52)]),
            })
            .collect();
        let graph = RoadGraph::build(rows);
        let mut random = Random(3);
        for _ in 0..200 {
            let p = Coord { x: 106.0 + random.unit() * 0.2, y: 29.45 + random.unit() * 0.1 };
            let direct = graph.snap(p, 3000.0, &|_| true);
            assert_eq!(graph.snap_cached(p, 3000.0), direct);
            assert_eq!(graph.snap_cached(p, 3000.0), direct, "from the cache");
        }
    }
}
