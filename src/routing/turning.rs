//! The search of [`super::search::nearest`] when the network has turn restrictions: a label
//! says how a vehicle leaves its node (by which arc), so that a forbidden turn is never taken.
//! At a node with a restriction every arc out has its own label; at any other node only a
//! U-turn is forbidden, so two labels are enough: the quickest way on, and the quickest by
//! another road (for the one arc in whose U-turn the first would be). Same answers and paths
//! as a label an arc everywhere, with far fewer labels.

use geo::LineString;
use petgraph::Direction;
use petgraph::graph::{EdgeIndex, NodeIndex};
use petgraph::visit::EdgeRef;

use super::arrivals::{Arrivals, Reached, along_same_edge};
use super::bounded::Bounded;
use super::graph::RoadGraph;
use super::path::Drawn;
use super::snap::Snap;
use crate::hash::IdMap as HashMap;

/// A way on from a node towards the incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum State {
    /// Drive this arc from its source, a node with turn restrictions.
    Arc(EdgeIndex),
    /// Leave this node, which has none: the quickest way on (`other` false), or the quickest
    /// by another road than that one (true). The label's way says by which arc.
    Node(NodeIndex, bool),
    /// Drive the incident's edge to the incident: forward from its first vertex, or back from its last.
    Last { forward: bool },
    /// The incident stands on this node.
    At(NodeIndex),
}

/// The state a label leads on to, and the arc it drives there (None for the last stretch and
/// the incident's own node).
type Way = Option<(State, EdgeIndex)>;

/// A candidate's way into the settled states.
#[derive(Debug, Clone, Copy)]
enum Entry {
    Via { state: State, forward: bool },
    SameEdge,
}

impl RoadGraph {
    /// The node a labelled state leaves from, and the edge it drives (None: none, it has arrived).
    fn leaves(&self, incident: &Snap, state: State, way: Way) -> (NodeIndex, Option<usize>) {
        let arc = way.map(|(_, a)| self.graph[a].edge());
        match state {
            State::Arc(a) => (self.graph.edge_endpoints(a).expect("an arc of the graph").0, arc),
            State::Node(node, _) => (node, arc),
            State::Last { forward } => {
                let ends = self.edges[incident.edge].ends;
                (if forward { ends.0 } else { ends.1 }, Some(incident.edge))
            }
            State::At(node) => (node, None),
        }
    }
}

/// Offers the way from `node` by `arc` (towards `next`): to the arc's own state at a node with
/// restrictions, else to the node's two labels, which keep the quickest way on and the
/// quickest by another road.
fn offer(
    graph: &RoadGraph,
    search: &mut Bounded<State, Way>,
    (node, arc): (NodeIndex, EdgeIndex),
    seconds: f64,
    metres: f64,
    next: State,
) {
    let way = Some((next, arc));
    if graph.turns.at(node) {
        search.offer(State::Arc(arc), seconds, metres, way);
        return;
    }
    let edge = graph.graph[arc].edge();
    let (first, other) = (State::Node(node, false), State::Node(node, true));
    let by = |way: Way| way.map(|(_, a)| graph.graph[a].edge());
    match search.best(first).copied() {
        None => search.offer(first, seconds, metres, way),
        Some(l) if !l.is_settled() && seconds < l.seconds => {
            // The first gives way; it becomes the other when it drives another road.
            if by(l.way) != Some(edge) {
                search.replace(other, l.seconds, l.metres, l.way);
            }
            search.offer(first, seconds, metres, way);
        }
        Some(l) if by(l.way) != Some(edge) => search.offer(other, seconds, metres, way),
        Some(_) => {}
    }
}

/// [`super::search::nearest`] honouring the graph's turn restrictions.
pub fn nearest_turning(
    graph: &RoadGraph,
    incident: &Snap,
    candidates: &[Snap],
    k: usize,
    cutoff_s: f64,
    usable: &dyn Fn(usize) -> bool,
) -> Vec<Reached> {
    let e = &graph.edges[incident.edge];
    let f = incident.fraction(graph);
    let mut search: Bounded<State, Way> = Bounded::new(cutoff_s);
    // On a node, the incident is reached by arriving there, by any road; else along its edge.
    if f <= 0.0 {
        search.offer(State::At(e.ends.0), 0.0, 0.0, None);
    } else if f >= 1.0 {
        search.offer(State::At(e.ends.1), 0.0, 0.0, None);
    } else {
        search.offer(State::Last { forward: true }, f * e.seconds, f * e.metres, None);
        if !e.oneway {
            let back = 1.0 - f;
            search.offer(State::Last { forward: false }, back * e.seconds, back * e.metres, None);
        }
    }

    // Candidates enter at a node: standing on it (any way on), or arriving by their own edge
    // (a turn from it).
    type Waiting = (usize, f64, f64, bool, Option<usize>);
    let mut entries: HashMap<NodeIndex, Vec<Waiting>> = HashMap::default();
    let mut arrivals = Arrivals::new(candidates.len(), k, cutoff_s);
    for (i, c) in candidates.iter().enumerate() {
        let ce = &graph.edges[c.edge];
        let g = c.fraction(graph);
        if c.edge == incident.edge
            && f > 0.0
            && f < 1.0
            && let Some(part) = along_same_edge(g, f, e.oneway)
        {
            arrivals.offer(i, part * e.seconds, part * e.metres, Entry::SameEdge);
        }
        if !usable(c.edge) && c.edge != incident.edge {
            continue;
        }
        if g <= 0.0 {
            entries.entry(ce.ends.0).or_default().push((i, 0.0, 0.0, false, None));
        } else if g >= 1.0 {
            entries.entry(ce.ends.1).or_default().push((i, 0.0, 0.0, true, None));
        } else {
            let rest = 1.0 - g;
            entries.entry(ce.ends.1).or_default().push((i, rest * ce.seconds, rest * ce.metres, true, Some(c.edge)));
            if !ce.oneway {
                entries.entry(ce.ends.0).or_default().push((i, g * ce.seconds, g * ce.metres, false, Some(c.edge)));
            }
        }
    }

    while let Some((state, label)) = search.settle() {
        arrivals.finalize(label.seconds);
        if arrivals.full() {
            break;
        }
        let (node, onward) = graph.leaves(incident, state, label.way);
        for &(i, extra_s, extra_m, forward, from) in entries.get(&node).map(Vec::as_slice).unwrap_or_default() {
            let allowed = match (from, onward) {
                (Some(from), Some(onward)) => graph.may_turn(from, node, onward),
                _ => true,
            };
            if allowed {
                arrivals.offer(i, label.seconds + extra_s, label.metres + extra_m, Entry::Via { state, forward });
            }
        }
        // The other way on from a node serves only the arc in whose U-turn the first way is:
        // every other arc in had the first, quicker, once it was settled.
        let only = match state {
            State::Node(node, true) => {
                search.settled(State::Node(node, false)).and_then(|l| l.way).map(|(_, a)| graph.graph[a].edge())
            }
            _ => None,
        };
        for arc in graph.graph.edges_directed(node, Direction::Incoming) {
            let a = *arc.weight();
            if only.is_some_and(|o| o != a.edge())
                || !usable(a.edge())
                || onward.is_some_and(|o| !graph.may_turn(a.edge(), node, o))
            {
                continue;
            }
            let edge = &graph.edges[a.edge()];
            let (seconds, metres) = (label.seconds + edge.seconds, label.metres + edge.metres);
            offer(graph, &mut search, (arc.source(), arc.id()), seconds, metres, state);
        }
    }
    arrivals.reached(|candidate, entry| path(graph, incident, &candidates[candidate], entry, &search))
}

fn path(
    graph: &RoadGraph,
    incident: &Snap,
    candidate: &Snap,
    entry: Entry,
    search: &Bounded<State, Way>,
) -> LineString<f64> {
    let Entry::Via { state, forward } = entry else {
        return Drawn::start(graph, candidate, incident, None).finish(candidate, incident);
    };
    let mut drawn = Drawn::start(graph, candidate, incident, Some(forward));
    let mut at = Some(state);
    while let Some(state) = at {
        let way = search.settled(state).and_then(|l| l.way);
        match (state, way) {
            (State::Last { forward }, _) => drawn.last(graph, incident, forward),
            (_, Some((_, arc))) => drawn.arc(graph, graph.graph[arc]),
            _ => {}
        }
        at = way.map(|(next, _)| next);
    }
    drawn.finish(candidate, incident)
}

/// The turns a path takes, as (edge arrived by, node, edge left by), for checking paths.
pub fn turns_of(graph: &RoadGraph, path: &LineString<f64>) -> Vec<(usize, NodeIndex, usize)> {
    // The path's vertices at nodes, and the edge between consecutive nodes.
    let nodes: Vec<NodeIndex> = path.0.iter().filter_map(|c| graph.node_at(*c)).collect();
    let mut edges = Vec::new();
    for w in nodes.windows(2) {
        if let Some(arc) = graph.graph.edges_connecting(w[0], w[1]).next() {
            edges.push((w[0], w[1], arc.weight().edge()));
        }
    }
    edges.windows(2).filter(|p| p[0].1 == p[1].0).map(|p| (p[0].2, p[0].1, p[1].2)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::Random;
    use crate::routing::graph::RoadRow;
    use geo::Coord;

    /// A grid of `n`×`n` junctions, some roads missing, some one-way, speeds at random.
    fn grid(random: &mut Random, n: usize) -> RoadGraph {
        let step = 0.002;
        let mut roads = Vec::new();
        let at = |i: usize, j: usize| (i as f64 * step, j as f64 * step);
        for i in 0..n {
            for j in 0..n {
                for (di, dj) in [(1, 0), (0, 1)] {
                    if i + di >= n || j + dj >= n || random.unit() < 0.12 {
                        continue;
                    }
                    let (a, b) = (at(i, j), at(i + di, j + dj));
                    let (a, b) = if random.unit() < 0.5 { (a, b) } else { (b, a) };
                    roads.push(RoadRow {
                        id: roads.len() as i64 + 1,
                        speed_kmh: 20.0 + 60.0 * random.unit(),
                        oneway: random.unit() < 0.3,
                        hazmat_allowed: true,
                        line: LineString::from(vec![a, b]),
                    });
                }
            }
        }
        RoadGraph::build(roads)
    }

    /// A point `fraction` of the way along `edge`.
    fn on(graph: &RoadGraph, edge: usize, fraction: f64) -> Snap {
        let line = graph.line(edge);
        let (a, b) = (line[0], line[line.len() - 1]);
        let point = Coord { x: a.x + fraction * (b.x - a.x), y: a.y + fraction * (b.y - a.y) };
        Snap { edge, along_m: fraction * graph.edges[edge].metres, point, distance_m: 0.0 }
    }

    /// Travel times to `incident` by brute force: the quickest time from each arc's source
    /// driving that arc first, relaxed over every allowed turn until nothing changes.
    fn by_arcs(graph: &RoadGraph, incident: &Snap) -> impl Fn(usize, NodeIndex) -> f64 {
        let e = &graph.edges[incident.edge];
        let f = incident.fraction(graph);
        // The best way on from `node` having arrived by edge `by`.
        let onward = move |d: &[f64], by: usize, node: NodeIndex| {
            let mut best = f64::INFINITY;
            if node == e.ends.0 && graph.may_turn(by, node, incident.edge) {
                best = best.min(f * e.seconds);
            }
            if node == e.ends.1 && !e.oneway && graph.may_turn(by, node, incident.edge) {
                best = best.min((1.0 - f) * e.seconds);
            }
            for b in graph.graph.edges_directed(node, Direction::Outgoing) {
                if graph.may_turn(by, node, b.weight().edge()) {
                    best = best.min(d[b.id().index()]);
                }
            }
            best
        };
        let mut d = vec![f64::INFINITY; graph.graph.edge_count()];
        loop {
            let mut changed = false;
            for a in graph.graph.edge_indices() {
                let (_, v) = graph.graph.edge_endpoints(a).unwrap();
                let edge = graph.graph[a].edge();
                let t = graph.edges[edge].seconds + onward(&d, edge, v);
                if t < d[a.index()] - 1e-9 {
                    d[a.index()] = t;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        move |by, node| onward(&d, by, node)
    }

    #[test]
    fn turn_restricted_times_equal_a_brute_force_over_arcs_and_no_path_turns_where_it_may_not() {
        let mut random = Random(20261207);
        for round in 0..12 {
            let mut graph = grid(&mut random, 7);
            // Restrictions at a third of the junctions (the others forbid only U-turns).
            for node in graph.graph.node_indices() {
                let ins: Vec<usize> =
                    graph.graph.edges_directed(node, Direction::Incoming).map(|a| a.weight().edge()).collect();
                let outs: Vec<usize> =
                    graph.graph.edges_directed(node, Direction::Outgoing).map(|a| a.weight().edge()).collect();
                if ins.is_empty() || outs.is_empty() || random.unit() > 0.33 {
                    continue;
                }
                for _ in 0..2 {
                    let from = ins[random.below(ins.len() as u64) as usize];
                    let to = outs[random.below(outs.len() as u64) as usize];
                    graph.turns.insert((from, node, to));
                }
            }
            let incident = on(&graph, random.below(graph.edges.len() as u64) as usize, 0.37);
            let candidates: Vec<Snap> = (0..graph.edges.len()).map(|e| on(&graph, e, 0.5)).collect();
            let reference = by_arcs(&graph, &incident);
            let f = incident.fraction(&graph);
            let found = nearest_turning(&graph, &incident, &candidates, candidates.len(), f64::INFINITY, &|_| true);
            let mut seconds = vec![f64::INFINITY; candidates.len()];
            for r in &found {
                seconds[r.candidate] = r.seconds;
                let forbidden: Vec<_> =
                    turns_of(&graph, &r.path).into_iter().filter(|(a, n, b)| !graph.may_turn(*a, *n, *b)).collect();
                assert!(forbidden.is_empty(), "round {round}: candidate {} turns {forbidden:?}", r.candidate);
            }
            for (i, c) in candidates.iter().enumerate() {
                let ce = &graph.edges[c.edge];
                let mut best = ce.seconds * 0.5 + reference(c.edge, ce.ends.1);
                if !ce.oneway {
                    best = best.min(ce.seconds * 0.5 + reference(c.edge, ce.ends.0));
                }
                let e = &graph.edges[incident.edge];
                if let Some(part) = along_same_edge(0.5, f, e.oneway).filter(|_| c.edge == incident.edge) {
                    best = best.min(part * e.seconds);
                }
                let same = (seconds[i] - best).abs() < 1e-6 || (seconds[i].is_infinite() && best.is_infinite());
                assert!(same, "round {round}: candidate {i}: search {} s, brute force {best} s", seconds[i]);
            }
        }
    }
}
