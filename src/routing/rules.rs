//! What a movement may not use: roads closed to hazardous goods, closed roads, and areas such as
//! a flood or a plume that the path must not enter.

use std::collections::HashSet;

use geo::{BoundingRect, Coord, Intersects, Line, MultiPolygon, Point};
use rstar::{AABB, RTree, RTreeObject};

use super::graph::RoadGraph;

/// Restrictions of one search.
#[derive(Debug, Default, Clone)]
pub struct Restrictions {
    /// The vehicles carry hazardous goods: only roads with `hazmat_allowed`.
    pub hazmat: bool,
    /// `route.id`s closed.
    pub closed: HashSet<i64>,
    /// Areas no path may enter, lon/lat.
    pub barriers: Vec<MultiPolygon<f64>>,
}

impl Restrictions {
    /// Nothing is restricted: every edge may be used.
    pub fn is_empty(&self) -> bool {
        !self.hazmat && self.closed.is_empty() && self.barriers.is_empty()
    }

    /// For each edge of `graph`, whether it may be used.
    pub fn usable(&self, graph: &RoadGraph) -> Vec<bool> {
        let mut usable: Vec<bool> = graph.edges.iter().map(|e| !self.hazmat || e.hazmat_allowed).collect();
        for edge in self.closed.iter().filter_map(|&id| graph.edge_of_route(id)) {
            usable[edge] = false;
        }
        for area in &self.barriers {
            let Some(b) = area.bounding_rect() else { continue };
            let barrier = Barrier::new(area);
            let (min, max) = ([b.min().x * graph.x_scale, b.min().y], [b.max().x * graph.x_scale, b.max().y]);
            for found in graph.boxes.within(min, max) {
                let edge = found as usize;
                if usable[edge] && graph.line(edge).windows(2).any(|w| barrier.hits(Line::new(w[0], w[1]))) {
                    usable[edge] = false;
                }
            }
        }
        usable
    }
}

/// A barrier's edges in an R-tree: whether a road segment enters it costs a look-up, not a
/// pass over every edge (a barrier may have tens of thousands, a city's roads a million segments).
struct Barrier {
    edges: RTree<Line<f64>>,
    east: f64,
}

impl Barrier {
    fn new(area: &MultiPolygon<f64>) -> Self {
        let edges: Vec<Line<f64>> = area
            .0
            .iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()).flat_map(|r| r.lines()))
            .collect();
        let east = edges.iter().map(|l| l.start.x.max(l.end.x)).fold(f64::NEG_INFINITY, f64::max);
        Self { edges: RTree::bulk_load(edges), east }
    }

    /// Whether `segment` touches the area: it meets an edge, or lies wholly inside.
    fn hits(&self, segment: Line<f64>) -> bool {
        let envelope = segment.envelope();
        self.edges.locate_in_envelope_intersecting(&envelope).any(|edge| edge.intersects(&segment))
            || self.contains(segment.start)
    }

    /// Whether `p` (on no edge) lies inside: the ray east of it crosses the edges an odd number of times.
    fn contains(&self, p: Coord<f64>) -> bool {
        if p.x > self.east {
            return false;
        }
        let ray = AABB::from_corners(Point::new(p.x, p.y), Point::new(self.east, p.y));
        let crossings = self
            .edges
            .locate_in_envelope_intersecting(&ray)
            .filter(|e| (e.start.y > p.y) != (e.end.y > p.y))
            .filter(|e| e.start.x + (p.y - e.start.y) / (e.end.y - e.start.y) * (e.end.x - e.start.x) > p.x)
            .count();
        crossings % 2 == 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{LineString, Polygon};

    /// A star with a hole, drawn with `n` points, and a second polygon apart.
    fn area(n: usize) -> MultiPolygon<f64> {
        let ring = |r0: f64, r1: f64, cx: f64| {
            LineString(
                (0..=n)
                    .map(|i| {
                        let a = (i % n) as f64 / n as f64 * std::f64::consts::TAU;
                        let r = if i % 2 == 0 { r0 } else { r1 };
                        Coord { x: cx + r * a.cos(), y: r * a.sin() }
                    })
                    .collect(),
            )
        };
        let star = Polygon::new(ring(1.0, 0.8, 0.0), vec![ring(0.3, 0.25, 0.0)]);
        MultiPolygon(vec![star, Polygon::new(ring(0.2, 0.2, 3.0), vec![])])
    }

    #[test]
    fn a_segment_enters_a_barrier_exactly_when_geo_says_it_intersects() {
        let area = area(400);
        let barrier = Barrier::new(&area);
        // A deterministic spread of segments: crossing, inside, in the hole, outside, far.
        let mut seed = 7u64;
        let mut next = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        let (mut hits, mut total) = (0, 0);
        for _ in 0..5000 {
            let (x, y) = (next() * 5.0 - 1.5, next() * 3.0 - 1.5);
            let (dx, dy) = ((next() - 0.5) * 0.6, (next() - 0.5) * 0.6);
            let segment = Line::new(Coord { x, y }, Coord { x: x + dx, y: y + dy });
            let expected = segment.intersects(&area);
            assert_eq!(barrier.hits(segment), expected, "{segment:?}");
            hits += expected as usize;
            total += 1;
        }
        assert!(hits > 500 && hits < total - 500, "{hits} of {total}: both kinds are tried");
    }
}
