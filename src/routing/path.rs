//! The way a search found, drawn as a line from a candidate's snapped point to the incident's.

use geo::{Coord, Distance, Geodesic, LineString, Point};

use super::graph::{Arc, RoadGraph};
use super::snap::Snap;

/// The part of an edge's line between two distances from its first vertex, in that order.
pub fn part(line: &[Coord<f64>], from_m: f64, to_m: f64) -> Vec<Coord<f64>> {
    let (lo, hi) = (from_m.min(to_m), from_m.max(to_m));
    let mut out = Vec::new();
    let mut at = 0.0;
    // The point `d` metres from the line's start, on segment a–b which starts `at` metres in.
    let point_at = |a: Coord<f64>, b: Coord<f64>, len: f64, at: f64, d: f64| {
        let t = if len > 0.0 { ((d - at) / len).clamp(0.0, 1.0) } else { 0.0 };
        Coord { x: a.x + t * (b.x - a.x), y: a.y + t * (b.y - a.y) }
    };
    for w in line.windows(2) {
        let len = Geodesic.distance(Point(w[0]), Point(w[1]));
        if out.is_empty() && at + len >= lo {
            out.push(point_at(w[0], w[1], len, at, lo));
        }
        if !out.is_empty() {
            if at + len >= hi {
                out.push(point_at(w[0], w[1], len, at, hi));
                break;
            }
            out.push(w[1]);
        }
        at += len;
    }
    if from_m > to_m {
        out.reverse();
    }
    out
}

/// A path being drawn from a candidate to the incident, without repeated vertices.
pub(super) struct Drawn(Vec<Coord<f64>>);

impl Drawn {
    /// From the candidate along its own edge: to the incident on the same edge (`to` None), or
    /// to the edge's end (`to` Some(forward)).
    pub fn start(graph: &RoadGraph, candidate: &Snap, incident: &Snap, to: Option<bool>) -> Self {
        let ce = &graph.edges[candidate.edge];
        let end = match to {
            None => incident.along_m,
            Some(true) => ce.metres,
            Some(false) => 0.0,
        };
        let mut drawn = Self(Vec::new());
        drawn.extend(part(graph.line(candidate.edge), candidate.along_m, end));
        drawn
    }

    /// More vertices.
    pub fn extend(&mut self, more: Vec<Coord<f64>>) {
        for c in more {
            if self.0.last() != Some(&c) {
                self.0.push(c);
            }
        }
    }

    /// An arc's whole line, in its direction.
    pub fn arc(&mut self, graph: &RoadGraph, arc: Arc) {
        let mut line = graph.line(arc.edge()).to_vec();
        if !arc.forward {
            line.reverse();
        }
        self.extend(line);
    }

    /// The incident's own edge from its end (`forward`: from its first vertex) to the incident.
    pub fn last(&mut self, graph: &RoadGraph, incident: &Snap, forward: bool) {
        let e = &graph.edges[incident.edge];
        self.extend(part(graph.line(incident.edge), if forward { 0.0 } else { e.metres }, incident.along_m));
    }

    /// The path, its ends exactly at the snapped points.
    pub fn finish(self, candidate: &Snap, incident: &Snap) -> LineString<f64> {
        pinned(self.0, candidate, incident)
    }
}

/// The path with its ends exactly at the snapped points (not recomputed from distances).
fn pinned(mut coords: Vec<Coord<f64>>, candidate: &Snap, incident: &Snap) -> LineString<f64> {
    if coords.len() < 2 {
        return LineString(vec![candidate.point, incident.point]);
    }
    coords[0] = candidate.point;
    let last = coords.len() - 1;
    coords[last] = incident.point;
    LineString(coords)
}
