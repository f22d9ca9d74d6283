//! Snapping a point to the nearest usable road: nearest segment by R-tree (in a local
//! equirectangular plane), projection onto it, exact geodesic distance.

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
        // Segments come nearest first in the local plane, which at these distances orders like
        // the geodesic; only near-ties get the exact (and costly) geodesic comparison.
        let mut first: Option<f64> = None;
        let mut best: Option<(f64, usize, usize, Coord<f64>)> = None;
        for (segment, d2) in self.segments.nearest_neighbor_iter_with_distance_2(&query) {
            let planar_m = d2.sqrt() * METRES_PER_DEGREE;
            if planar_m > max_m * 1.05 + 50.0 || first.is_some_and(|f| planar_m > f * 1.01 + 1.0) {
                break;
            }
            let (edge, index) = segment.data;
            if !usable(edge) {
                continue;
            }
            first.get_or_insert(planar_m);
            let line = &self.edges[edge].line.0;
            let (a, b) = (line[index], line[index + 1]);
            let (ax, bx, px) = (a.x * self.x_scale, b.x * self.x_scale, p.x * self.x_scale);
            let (dx, dy) = (bx - ax, b.y - a.y);
            let len2 = dx * dx + dy * dy;
            let t = if len2 == 0.0 { 0.0 } else { (((px - ax) * dx + (p.y - a.y) * dy) / len2).clamp(0.0, 1.0) };
            let q = Coord { x: a.x + t * (b.x - a.x), y: a.y + t * (b.y - a.y) };
            let distance_m = Geodesic.distance(Point(p), Point(q));
            if distance_m <= max_m && best.is_none_or(|(d, ..)| distance_m < d) {
                best = Some((distance_m, edge, index, q));
            }
        }
        let (distance_m, edge, index, q) = best?;
        let line = &self.edges[edge].line.0;
        let before: f64 = line[..=index].windows(2).map(|w| Geodesic.distance(Point(w[0]), Point(w[1]))).sum();
        let along_m = before + Geodesic.distance(Point(line[index]), Point(q));
        Some(Snap { edge, along_m, point: q, distance_m })
    }
}

#[cfg(test)]
mod tests {
    use geo::{Coord, LineString};

    use crate::random::Random;
    use crate::routing::graph::{RoadGraph, RoadRow};

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
