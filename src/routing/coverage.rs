//! Service areas: what vehicles leaving a set of depots can reach within given times — one
//! forward search from all depots at once, then each road edge cut where each time runs out.

use std::collections::HashMap;

use geo::LineString;
use petgraph::Direction;
use petgraph::graph::NodeIndex;
use petgraph::visit::EdgeRef;

use super::bounded::Bounded;
use super::graph::RoadGraph;
use super::path::part;
use super::snap::Snap;

/// Earliest arrival (seconds) at every node reachable from any of `depots` within `cutoff_s`,
/// over the edges for which `usable` holds.
pub fn arrivals(
    graph: &RoadGraph,
    depots: &[Snap],
    cutoff_s: f64,
    usable: &dyn Fn(usize) -> bool,
) -> HashMap<NodeIndex, f64> {
    let mut best: HashMap<NodeIndex, f64> = HashMap::new();
    for (node, _, s) in departures(graph, depots, cutoff_s, usable) {
        best.entry(node).and_modify(|b| *b = b.min(s)).or_insert(s);
    }
    best
}

/// Where vehicles from `depots` can leave a node within `cutoff_s`: (node, the edge they
/// arrived by — None when they may leave by any road —, earliest time). On a network without
/// turn restrictions one departure per node (the edge arrived by does not matter); with them
/// one per way of arriving, so that a forbidden turn is never taken.
fn departures(
    graph: &RoadGraph,
    depots: &[Snap],
    cutoff_s: f64,
    usable: &dyn Fn(usize) -> bool,
) -> Vec<(NodeIndex, Option<usize>, f64)> {
    let by = |edge: usize| (!graph.turns.is_empty()).then_some(edge);
    let mut search: Bounded<(NodeIndex, Option<usize>), ()> = Bounded::new(cutoff_s);
    for d in depots {
        let e = &graph.edges[d.edge];
        let f = d.fraction(graph);
        if f <= 0.0 {
            search.offer((e.ends.0, None), 0.0, 0.0, ());
        } else if f >= 1.0 {
            search.offer((e.ends.1, None), 0.0, 0.0, ());
        } else {
            search.offer((e.ends.1, by(d.edge)), (1.0 - f) * e.seconds, (1.0 - f) * e.metres, ());
            if !e.oneway {
                search.offer((e.ends.0, by(d.edge)), f * e.seconds, f * e.metres, ());
            }
        }
    }
    let reached = search.run(|search, (node, arrived), label| {
        for arc in graph.graph.edges_directed(node, Direction::Outgoing) {
            let edge = arc.weight().edge();
            if usable(edge) && arrived.is_none_or(|a| graph.may_turn(a, node, edge)) {
                let e = &graph.edges[edge];
                search.offer((arc.target(), by(edge)), label.seconds + e.seconds, label.metres + e.metres, ());
            }
        }
    });
    reached.into_iter().map(|((n, arrived), label)| (n, arrived, label.seconds)).collect()
}

/// The road reached within each of `limits_s` (ascending): per limit, the pieces of edges
/// driven from a reached node until the time runs out (by the turns allowed there), and the
/// depots' own edges.
pub fn service_areas(
    graph: &RoadGraph,
    depots: &[Snap],
    limits_s: &[f64],
    usable: &dyn Fn(usize) -> bool,
) -> Vec<Vec<LineString<f64>>> {
    let last = limits_s.iter().copied().fold(0.0, f64::max);
    let times = departures(graph, depots, last, usable);
    limits_s
        .iter()
        .map(|&limit| {
            let mut pieces = Vec::new();
            for &(node, by, s) in &times {
                if s >= limit {
                    continue;
                }
                for arc in graph.graph.edges_directed(node, Direction::Outgoing) {
                    let a = *arc.weight();
                    if !usable(a.edge()) || by.is_some_and(|by| !graph.may_turn(by, node, a.edge())) {
                        continue;
                    }
                    let e = &graph.edges[a.edge()];
                    let reach = if e.seconds > 0.0 { ((limit - s) / e.seconds).min(1.0) * e.metres } else { e.metres };
                    let (from, to) = if a.forward { (0.0, reach) } else { (e.metres, e.metres - reach) };
                    let line = part(graph.line(a.edge()), from, to);
                    if line.len() >= 2 {
                        pieces.push(LineString(line));
                    }
                }
            }
            // Along the depot's own edge, both ways as the road allows.
            for d in depots {
                let e = &graph.edges[d.edge];
                let reach = if e.seconds > 0.0 { limit / e.seconds * e.metres } else { e.metres };
                let ahead = part(graph.line(d.edge), d.along_m, (d.along_m + reach).min(e.metres));
                if ahead.len() >= 2 {
                    pieces.push(LineString(ahead));
                }
                if !e.oneway {
                    let behind = part(graph.line(d.edge), d.along_m, (d.along_m - reach).max(0.0));
                    if behind.len() >= 2 {
                        pieces.push(LineString(behind));
                    }
                }
            }
            pieces
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::graph::RoadRow;
    use geo::{Coord, Length};

    /// A straight two-way road of three 1 km-ish edges at 36 km/h (10 m/s).
    fn line() -> RoadGraph {
        let row = |id: i64, a: f64, b: f64| RoadRow {
            id,
            speed_kmh: 36.0,
            oneway: false,
            hazmat_allowed: true,
            line: LineString(vec![Coord { x: a, y: 0.0 }, Coord { x: b, y: 0.0 }]),
        };
        RoadGraph::build(vec![row(1, 0.0, 0.01), row(2, 0.01, 0.02), row(3, 0.02, 0.03)])
    }

    #[test]
    fn the_area_grows_with_time_and_stops_where_time_runs_out() {
        let g = line();
        let depot = g.snap(Coord { x: 0.0, y: 0.0 }, 100.0, &|_| true).unwrap();
        let edge_s = g.edges[0].seconds;
        let areas = service_areas(&g, &[depot], &[edge_s * 0.5, edge_s * 1.5, edge_s * 10.0], &|_| true);
        let length = |pieces: &Vec<LineString<f64>>| -> f64 {
            // Pieces overlap where two ways reach the same road; the longest reach per edge is what counts.
            let mut per_edge: HashMap<i64, f64> = HashMap::new();
            for p in pieces {
                let x = (p.0[0].x.min(p.0[p.0.len() - 1].x) * 100.0).floor() as i64;
                let l = geo::Geodesic.length(p);
                per_edge.entry(x).and_modify(|v| *v = v.max(l)).or_insert(l);
            }
            per_edge.values().sum()
        };
        let total: f64 = g.edges.iter().map(|e| e.metres).sum();
        let lengths: Vec<f64> = areas.iter().map(length).collect();
        assert!((lengths[0] - 0.5 * g.edges[0].metres).abs() < 1.0, "{lengths:?}");
        assert!((lengths[1] - 1.5 * g.edges[0].metres).abs() < 2.0, "{lengths:?}");
        assert!((lengths[2] - total).abs() < 2.0, "{lengths:?}");
    }

    #[test]
    fn a_forbidden_turn_is_not_in_the_area() {
        // A T: edge 1 west of the junction, 2 north of it, 3 east (a dead end); no left turn 1 → 2.
        let row = |id: i64, a: (f64, f64), b: (f64, f64)| RoadRow {
            id,
            speed_kmh: 36.0,
            oneway: false,
            hazmat_allowed: true,
            line: LineString(vec![Coord { x: a.0, y: a.1 }, Coord { x: b.0, y: b.1 }]),
        };
        let build = || {
            RoadGraph::build(vec![
                row(1, (0.0, 0.0), (0.01, 0.0)),
                row(2, (0.01, 0.0), (0.01, 0.01)),
                row(3, (0.01, 0.0), (0.02, 0.0)),
            ])
        };
        let north = |areas: &[Vec<LineString<f64>>]| areas[0].iter().any(|p| p.0.iter().any(|c| c.y > 1e-6));
        let free = build();
        let depot = free.snap(Coord { x: 0.005, y: 0.0 }, 100.0, &|_| true).unwrap();
        let limit = free.edges[0].seconds;
        assert!(
            north(&service_areas(&free, &[depot], &[limit], &|_| true)),
            "without the restriction, north is reached"
        );
        let mut turning = build();
        let turn = crate::routing::graph::TurnRow {
            kind: "no_left_turn".into(),
            from_route: 1,
            to_route: 2,
            at_end: Some(true),
        };
        assert_eq!(turning.restrict(&[turn]), 0);
        let areas = service_areas(&turning, &[depot], &[limit, 4.0 * limit], &|_| true);
        assert!(!north(&areas[..1]), "the left turn is forbidden");
        // Later, by the dead end to the east and back, the turn from 3 into 2 is allowed.
        assert!(north(&areas[1..]), "round by the dead end");
    }

    #[test]
    fn one_way_roads_are_only_driven_forwards() {
        let mut rows = Vec::new();
        for (id, a, b) in [(1, 0.01, 0.0), (2, 0.01, 0.02)] {
            rows.push(RoadRow {
                id,
                speed_kmh: 36.0,
                oneway: true,
                hazmat_allowed: true,
                line: LineString(vec![Coord { x: a, y: 0.0 }, Coord { x: b, y: 0.0 }]),
            });
        }
        let g = RoadGraph::build(rows);
        // A depot at the shared start (0.01) reaches both; one at 0.0 (end of edge 1) reaches nothing more.
        let start = g.snap(Coord { x: 0.01, y: 0.0 }, 100.0, &|_| true).unwrap();
        let times = arrivals(&g, &[start], 1e9, &|_| true);
        assert_eq!(times.len(), 3);
        let end = g.snap(Coord { x: 0.0, y: 0.0 }, 100.0, &|_| true).unwrap();
        let times = arrivals(&g, &[end], 1e9, &|_| true);
        assert_eq!(times.len(), 1, "{times:?}");
    }
}
