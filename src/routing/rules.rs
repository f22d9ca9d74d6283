//! What a movement may not use: roads closed to hazardous goods, closed roads, and areas such as
//! a flood or a plume that the path must not enter.

use std::collections::HashSet;

use geo::{BoundingRect, Intersects, Line, MultiPolygon};
use rstar::AABB;

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
        let mut usable: Vec<bool> = graph
            .edges
            .iter()
            .map(|e| (!self.hazmat || e.hazmat_allowed) && !self.closed.contains(&e.route_id))
            .collect();
        for area in &self.barriers {
            let Some(b) = area.bounding_rect() else { continue };
            let envelope =
                AABB::from_corners([b.min().x * graph.x_scale, b.min().y], [b.max().x * graph.x_scale, b.max().y]);
            for segment in graph.segments.locate_in_envelope_intersecting(&envelope) {
                let (edge, index) = segment.data;
                let line = &graph.edges[edge].line.0;
                if usable[edge] && Line::new(line[index], line[index + 1]).intersects(area) {
                    usable[edge] = false;
                }
            }
        }
        usable
    }
}
