//! The search of [`super::search::nearest`] when the network has turn restrictions: labels
//! belong to the way a vehicle leaves a node (an arc, or the last stretch to the incident), not
//! to the node, so that a turn forbidden at a node is never taken. Same answers, same paths
//! otherwise; used only when the graph has restrictions (it settles about twice as many labels).

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
    /// Drive this arc (from its source node).
    Arc(EdgeIndex),
    /// Drive the incident's edge to the incident: forward from its first vertex, or back from its last.
    Last { forward: bool },
    /// The incident stands on this node.
    At(NodeIndex),
}

/// A candidate's way into the settled states.
#[derive(Debug, Clone, Copy)]
enum Entry {
    Via { state: State, forward: bool },
    SameEdge,
}

impl RoadGraph {
    /// The node a state leaves from, and the edge it drives (None: none, it has arrived).
    fn leaves(&self, incident: &Snap, state: State) -> (NodeIndex, Option<usize>) {
        match state {
            State::Arc(a) => {
                let (from, _) = self.graph.edge_endpoints(a).expect("an arc of the graph");
                (from, Some(self.graph[a].edge()))
            }
            State::Last { forward } => {
                let ends = self.edges[incident.edge].ends;
                (if forward { ends.0 } else { ends.1 }, Some(incident.edge))
            }
            State::At(node) => (node, None),
        }
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
    let mut search: Bounded<State, Option<State>> = Bounded::new(cutoff_s);
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
        let (node, onward) = graph.leaves(incident, state);
        for &(i, extra_s, extra_m, forward, from) in entries.get(&node).map(Vec::as_slice).unwrap_or_default() {
            let allowed = match (from, onward) {
                (Some(from), Some(onward)) => graph.may_turn(from, node, onward),
                _ => true,
            };
            if allowed {
                arrivals.offer(i, label.seconds + extra_s, label.metres + extra_m, Entry::Via { state, forward });
            }
        }
        for arc in graph.graph.edges_directed(node, Direction::Incoming) {
            let a = *arc.weight();
            if !usable(a.edge()) || onward.is_some_and(|o| !graph.may_turn(a.edge(), node, o)) {
                continue;
            }
            let edge = &graph.edges[a.edge()];
            search.offer(State::Arc(arc.id()), label.seconds + edge.seconds, label.metres + edge.metres, Some(state));
        }
    }
    arrivals.reached(|candidate, entry| path(graph, incident, &candidates[candidate], entry, &search))
}

fn path(
    graph: &RoadGraph,
    incident: &Snap,
    candidate: &Snap,
    entry: Entry,
    search: &Bounded<State, Option<State>>,
) -> LineString<f64> {
    let Entry::Via { state, forward } = entry else {
        return Drawn::start(graph, candidate, incident, None).finish(candidate, incident);
    };
    let mut drawn = Drawn::start(graph, candidate, incident, Some(forward));
    let mut at = Some(state);
    while let Some(state) = at {
        match state {
            State::Arc(a) => drawn.arc(graph, graph.graph[a]),
            State::Last { forward } => drawn.last(graph, incident, forward),
            State::At(_) => {}
        }
        at = search.settled(state).and_then(|l| l.way);
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
