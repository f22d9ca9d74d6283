//! One bounded one-to-many search on the reversed graph: from the incident backwards, settling
//! nodes by travel time *to* the incident, until the requested number of candidates is final
//! or the cut-off is passed. Each candidate is reached along its own snapped edge.

use crate::hash::IdMap as HashMap;

use geo::LineString;
use petgraph::Direction;
use petgraph::graph::NodeIndex;
use petgraph::visit::EdgeRef;

use super::arrivals::{Arrivals, Reached, along_same_edge};
use super::bounded::Bounded;
use super::graph::{Arc, RoadGraph};
use super::path::Drawn;
use super::snap::Snap;

/// How a settled node continues towards the incident.
#[derive(Debug, Clone, Copy)]
enum Next {
    /// Drive along `arc` to `node`.
    Via(Arc, NodeIndex),
    /// Drive along the incident's edge to the incident (forward from its first vertex or back from its last).
    Incident { forward: bool },
}

/// Where a candidate's best way enters the settled tree.
#[derive(Debug, Clone, Copy)]
enum Entry {
    Node { node: NodeIndex, forward: bool },
    SameEdge,
}

/// Finds up to `k` candidates nearest to `incident` in travel time, within `cutoff_s`, using only
/// edges for which `usable` holds (the incident's own edge is always used for the last stretch).
pub fn nearest(
    graph: &RoadGraph,
    incident: &Snap,
    candidates: &[Snap],
    k: usize,
    cutoff_s: f64,
    usable: &dyn Fn(usize) -> bool,
) -> Vec<Reached> {
    if !graph.turns.is_empty() {
        return super::turning::nearest_turning(graph, incident, candidates, k, cutoff_s, usable);
    }
    let e = &graph.edges[incident.edge];
    let f = incident.fraction(graph);

    // Each candidate enters through the end(s) of its own edge, or directly on the incident's edge.
    let mut entries: HashMap<NodeIndex, Vec<Waiting>> = HashMap::default();
    let mut arrivals = Arrivals::new(candidates.len(), k, cutoff_s);
    for (i, c) in candidates.iter().enumerate() {
        let ce = &graph.edges[c.edge];
        let g = c.fraction(graph);
        if c.edge == incident.edge
            && let Some(part) = along_same_edge(g, f, e.oneway)
        {
            arrivals.offer(i, part * e.seconds, part * e.metres, Entry::SameEdge);
        }
        if !usable(c.edge) && c.edge != incident.edge {
            continue;
        }
        let rest = 1.0 - g;
        entries.entry(ce.ends.1).or_default().push(Waiting {
            candidate: i,
            seconds: rest * ce.seconds,
            metres: rest * ce.metres,
            forward: true,
        });
        // At the first vertex the candidate stands on that node and may leave by any road.
        if !ce.oneway || g <= 0.0 {
            entries.entry(ce.ends.0).or_default().push(Waiting {
                candidate: i,
                seconds: g * ce.seconds,
                metres: g * ce.metres,
                forward: false,
            });
        }
    }

    // One candidate wanted: an A* search towards it when the graph has its landmarks, the
    // bound at a node being the least from any node the candidate enters by.
    let landmarks = graph.landmarks.get().filter(|_| k == 1 && candidates.len() == 1);
    let goals: Vec<NodeIndex> = entries.keys().copied().collect();
    let bound = landmarks.map(|l| l.from_any(&goals));
    let estimate = |v: NodeIndex| bound.as_ref().map_or(0.0, |b| b.to(v));
    let mut search: Bounded<NodeIndex, Next> = Bounded::new(cutoff_s);
    let offer = |search: &mut Bounded<NodeIndex, Next>, node, seconds, metres, way| {
        if landmarks.is_some() {
            search.offer_estimated(node, seconds, metres, way, || estimate(node));
        } else {
            search.offer(node, seconds, metres, way);
        }
    };
    offer(&mut search, e.ends.0, f * e.seconds, f * e.metres, Next::Incident { forward: true });
    // At the last vertex the incident is at that node itself, one-way or not.
    if !e.oneway || f >= 1.0 {
        offer(&mut search, e.ends.1, (1.0 - f) * e.seconds, (1.0 - f) * e.metres, Next::Incident { forward: false });
    }

    while let Some((node, label)) = search.settle() {
        // Nothing still queued can arrive quicker than its priority.
        arrivals.finalize(label.priority());
        if arrivals.full() {
            break;
        }
        for w in entries.get(&node).map(Vec::as_slice).unwrap_or_default() {
            let entry = Entry::Node { node, forward: w.forward };
            arrivals.offer(w.candidate, label.seconds + w.seconds, label.metres + w.metres, entry);
        }
        for arc in graph.graph.edges_directed(node, Direction::Incoming) {
            let a = *arc.weight();
            if usable(a.edge()) {
                let edge = &graph.edges[a.edge()];
                offer(
                    &mut search,
                    arc.source(),
                    label.seconds + edge.seconds,
                    label.metres + edge.metres,
                    Next::Via(a, node),
                );
            }
        }
    }
    arrivals.reached(|candidate, entry| path(graph, incident, &candidates[candidate], entry, &search))
}

/// A candidate waiting at a node: what it adds to the node's time to drive there, and whether
/// it drives its edge forwards.
#[derive(Debug, Clone, Copy)]
struct Waiting {
    candidate: usize,
    seconds: f64,
    metres: f64,
    forward: bool,
}

fn path(
    graph: &RoadGraph,
    incident: &Snap,
    candidate: &Snap,
    entry: Entry,
    search: &Bounded<NodeIndex, Next>,
) -> LineString<f64> {
    let Entry::Node { node, forward } = entry else {
        return Drawn::start(graph, candidate, incident, None).finish(candidate, incident);
    };
    let mut drawn = Drawn::start(graph, candidate, incident, Some(forward));
    let mut at = node;
    while let Some(label) = search.best(at) {
        match label.way {
            Next::Via(arc, to) => {
                drawn.arc(graph, arc);
                at = to;
            }
            Next::Incident { forward } => {
                drawn.last(graph, incident, forward);
                break;
            }
        }
    }
    drawn.finish(candidate, incident)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::graph::RoadRow;
    use geo::{Coord, Distance, Geodesic, Point};

    /// A 1 km square of roads at 36 km/h (100 s a side) near the equator, with a one-way top:
    ///
    /// ```text
    ///  3 ──→── 2        0 (0,0)  1 (e,0)  2 (e,e)  3 (0,e)
    ///  │       │        bottom 0–1, right 1–2, left 0–3: two-way; top 2→3 one-way
    ///  0 ───── 1
    /// ```
    fn square() -> RoadGraph {
        let e = 1000.0 / 110_574.0; // about 1 km of latitude
        let line = |a: (f64, f64), b: (f64, f64)| LineString::from(vec![a, b]);
        let road = |id, a, b, oneway| RoadRow { id, speed_kmh: 36.0, oneway, hazmat_allowed: true, line: line(a, b) };
        RoadGraph::build(vec![
            road(1, (0.0, 0.0), (e, 0.0), false),
            road(2, (e, 0.0), (e, e), false),
            road(3, (e, e), (0.0, e), true),
            road(4, (0.0, 0.0), (0.0, e), false),
        ])
    }

    fn at(graph: &RoadGraph, x: f64, y: f64) -> Snap {
        graph.snap(Coord { x, y }, 5000.0, &|_| true).unwrap()
    }

    #[test]
    fn one_way_streets_are_followed_and_candidates_ranked() {
        let g = square();
        let e = 1000.0 / 110_574.0;
        // Incident in the middle of the left road; candidates at corners 2 and 1.
        let incident = at(&g, 0.0, e / 2.0);
        let c2 = at(&g, e, e);
        let c1 = at(&g, e, 0.0);
        let found = nearest(&g, &incident, &[c2, c1], 2, f64::INFINITY, &|_| true);
        let seconds: Vec<(usize, f64)> = found.iter().map(|r| (r.candidate, (r.seconds).round())).collect();
        // From 2: top (one-way 2→3, ~100 s) then half the left road (~50 s) = ~150 s.
        // From 1: bottom (~100 s) then half the left road up (~50 s) = ~150 s too; the top is
        // the only way west from 2 (the right road down and the bottom would be ~250 s).
        assert_eq!(seconds.len(), 2);
        assert!(seconds.iter().all(|(_, s)| (*s - 150.0).abs() <= 2.0), "{seconds:?}");
        // Now from the incident on the top road (one-way 2→3), candidates at 3 and at 2.
        let incident = at(&g, e / 2.0, e);
        let c3 = at(&g, 0.0, e * 0.999);
        let found = nearest(&g, &incident, &[c3], 1, f64::INFINITY, &|_| true);
        // 3 cannot drive backwards on the one-way top: down, right, up, then half the top.
        assert!((found[0].seconds - 350.0).abs() < 3.0, "{}", found[0].seconds);
        assert!((found[0].metres - 3500.0).abs() < 30.0, "{}", found[0].metres);
    }

    #[test]
    fn the_search_stops_at_k_and_at_the_cutoff_and_avoids_closed_roads() {
        let g = square();
        let e = 1000.0 / 110_574.0;
        let incident = at(&g, e / 2.0, 0.0);
        let near = at(&g, e * 0.6, 0.0);
        let far = at(&g, e / 2.0, e);
        let found = nearest(&g, &incident, &[far, near], 1, f64::INFINITY, &|_| true);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].candidate, 1);
        assert!((found[0].seconds - 10.0).abs() < 0.5, "same edge, 100 m at 10 m/s: {}", found[0].seconds);
        let found = nearest(&g, &incident, &[far, near], 5, 60.0, &|_| true);
        assert_eq!(found.iter().map(|r| r.candidate).collect::<Vec<_>>(), vec![1]);
        // With the incident's road closed to through traffic, the far candidate still arrives,
        // from the ends of the incident's own edge, and its path starts and ends at the snaps.
        let closed = |edge: usize| g.edges[edge].route_id != 1;
        let found = nearest(&g, &incident, &[far], 5, f64::INFINITY, &closed);
        assert_eq!(found.len(), 1);
        let path = &found[0].path;
        assert_eq!(path.0.first().copied(), Some(far.point));
        assert_eq!(path.0.last().copied(), Some(incident.point));
    }

    #[test]
    fn paths_run_from_candidate_to_incident_along_the_roads() {
        let g = square();
        let e = 1000.0 / 110_574.0;
        let incident = at(&g, e, e / 2.0);
        let c = at(&g, 0.0, e / 2.0);
        let found = nearest(&g, &incident, &[c], 1, f64::INFINITY, &|_| true);
        let p = &found[0].path.0;
        assert_eq!(p.first().copied(), Some(c.point));
        assert_eq!(p.last().copied(), Some(incident.point));
        let length: f64 = p.windows(2).map(|w| Geodesic.distance(Point(w[0]), Point(w[1]))).sum();
        assert!((length - found[0].metres).abs() < 1.0, "path {length} m vs {} m", found[0].metres);
    }

    /// A jittered lattice of 12 × 12 nodes, every `oneway_every`-th road one-way.
    fn lattice(oneway_every: usize) -> RoadGraph {
        let mut seed = 11_u64;
        let mut next = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) as f64 / (1u64 << 31) as f64
        };
        let side = 12;
        let pts: Vec<(f64, f64)> =
            (0..side * side).map(|k| ((k % side) as f64 * 0.01 + next() * 0.004, (k / side) as f64 * 0.01)).collect();
        let mut roads = Vec::new();
        for k in 0..side * side {
            for other in [k + 1, k + side] {
                if (other == k + 1 && k % side == side - 1) || other >= side * side {
                    continue;
                }
                let id = roads.len() as i64 + 1;
                roads.push(RoadRow {
                    id,
                    speed_kmh: 20.0 + next() * 60.0,
                    oneway: oneway_every > 0 && (id as usize).is_multiple_of(oneway_every),
                    hazmat_allowed: true,
                    line: LineString::from(vec![pts[k], pts[other]]),
                });
            }
        }
        RoadGraph::build(roads)
    }

    #[test]
    fn a_route_guided_by_landmarks_is_the_one_a_plain_search_finds() {
        for oneway_every in [0, 4] {
            let plain = lattice(oneway_every);
            let guided = lattice(oneway_every);
            guided.prepare_landmarks();
            assert!(guided.landmarks.get().is_some());
            let points: Vec<Coord<f64>> =
                (0..plain.edges.len()).step_by(5).map(|e| plain.line(e)[0] * 0.3 + plain.line(e)[1] * 0.7).collect();
            for closed_every in [0, 7] {
                let usable = |e: usize| closed_every == 0 || e % closed_every != 3;
                let mut compared = 0;
                for (i, a) in points.iter().enumerate() {
                    let b = points[(i * 37 + 11) % points.len()];
                    let snap = |g: &RoadGraph, c| g.snap(c, 5000.0, &usable).unwrap();
                    let one = nearest(&plain, &snap(&plain, b), &[snap(&plain, *a)], 1, f64::INFINITY, &usable);
                    let two = nearest(&guided, &snap(&guided, b), &[snap(&guided, *a)], 1, f64::INFINITY, &usable);
                    assert_eq!(one.len(), two.len());
                    if let (Some(x), Some(y)) = (one.first(), two.first()) {
                        assert!((x.seconds - y.seconds).abs() < 1e-9, "{} vs {}", x.seconds, y.seconds);
                        assert!((x.metres - y.metres).abs() < 1e-6, "{} vs {}", x.metres, y.metres);
                        assert_eq!((x.path.0.first(), x.path.0.last()), (y.path.0.first(), y.path.0.last()));
                        compared += 1;
                    }
                }
                assert!(compared > 20, "{compared}");
            }
        }
    }
}
