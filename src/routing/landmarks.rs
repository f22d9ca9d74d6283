//! Landmarks for A* search (ALT: A*, landmarks, triangle inequality): travel times from and to
//! a few far-apart nodes of the whole network. For any two nodes u, v and a landmark L,
//! d(u, v) ≥ d(L, v) − d(L, u) and d(u, v) ≥ d(u, L) − d(v, L), so the largest of these is a
//! lower bound that steers a one-to-one search towards its goal.
//!
//! Why landmarks and not a contraction hierarchy: closed roads, barriers, the hazmat rule and
//! turn restrictions only take ways away, and a bound from the whole network stays a bound on a
//! smaller one — a closure asked for in a request is honoured by the very next query, with no
//! preparation to redo (a hierarchy's shortcuts would have to be customised again). A rebuilt
//! graph (roads edited) computes its own landmarks.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use petgraph::Direction;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

use super::bounded::key;

/// Landmarks a graph gets: more tighten the bounds and cost memory (2 bytes a node each way).
pub const LANDMARKS: usize = 16;

/// A time not known (the node is not reached from or does not reach the landmark).
const UNREACHED: u16 = u16::MAX;

/// Travel times between every node and each landmark, in steps of `unit` seconds rounded
/// down: a step is a 65,534th of the longest time, seconds on a country's network, which
/// loosens a bound by one step and halves the memory of f32 (32 MB, not 64, at a million roads).
pub struct Landmarks {
    count: usize,
    /// Steps from landmark l to node v at `[v * count + l]` (`UNREACHED`: not reachable).
    from: Vec<u16>,
    /// Steps from node v to landmark l, likewise; empty when every road is two-way (then
    /// equal to `from`).
    to: Vec<u16>,
    /// Seconds a step.
    unit: f64,
    /// Taken off every bound: the rounding of a time to its step could err by a hair the
    /// other way.
    slack: f64,
}

impl Landmarks {
    /// Picks up to `count` landmarks in the largest connected part of `graph` (arcs weighing
    /// `seconds`; `two_way`: every arc has its reverse of the same time), each as far as
    /// possible from those before it, and computes the times. None for an empty graph.
    pub fn compute<N, E>(
        graph: &DiGraph<N, E>,
        seconds: impl Fn(&E) -> f64,
        two_way: bool,
        count: usize,
    ) -> Option<Self> {
        let n = graph.node_count();
        let seed = largest_part_node(graph)?;
        let times = |from: NodeIndex, direction: Direction| times(graph, &seconds, from, direction);
        let around_seed = times(seed, Direction::Outgoing);
        let first = farthest(&around_seed, &around_seed)?;
        let mut nearest_landmark = vec![f64::INFINITY; n];
        let mut chosen = Vec::with_capacity(count);
        // Landmark-major while computing (one column a landmark), in two whole allocations.
        let mut from = Vec::with_capacity(n * count);
        let mut to = Vec::with_capacity(if two_way { 0 } else { n * count });
        let mut largest = 0.0_f64;
        let mut keep = |column: Vec<f64>, into: &mut Vec<f64>| {
            largest = column.iter().filter(|x| x.is_finite()).fold(largest, |a, b| a.max(*b));
            into.extend(column);
        };
        let mut next = Some(first);
        while let Some(l) = next.filter(|_| chosen.len() < count) {
            let d = times(l, Direction::Outgoing);
            for (m, x) in nearest_landmark.iter_mut().zip(&d) {
                *m = m.min(*x);
            }
            if !two_way {
                keep(times(l, Direction::Incoming), &mut to);
            }
            keep(d, &mut from);
            chosen.push(l);
            next = farthest(&nearest_landmark, &nearest_landmark).filter(|c| !chosen.contains(c));
        }
        let count = chosen.len();
        let unit = (largest / f64::from(UNREACHED - 1)).max(1e-9);
        let node_major = |per: &[f64]| -> Vec<u16> {
            let step = |d: f64| {
                if d.is_finite() { (d / unit).floor().min(f64::from(UNREACHED - 1)) as u16 } else { UNREACHED }
            };
            let n = if per.is_empty() { 0 } else { n };
            (0..n).flat_map(|v| (0..count).map(move |l| step(per[l * n + v]))).collect()
        };
        Some(Self { count, from: node_major(&from), to: node_major(&to), unit, slack: largest * 1e-9 })
    }

    /// A lower bound of the time from the nearest of `sources` to any node, prepared once for
    /// a search: for each landmark the worst of the sources is kept, so a node's bound is one
    /// pass over its own times (a little looser than the least over the sources, half the work).
    pub fn from_any(&self, sources: &[NodeIndex]) -> FromAny<'_> {
        let to = if self.to.is_empty() { &self.from } else { &self.to };
        // A step k means a time in [k·unit, (k + 1)·unit): the longest a source may be from a
        // landmark is its step's upper end, the shortest to one its lower end.
        let (mut from_l, mut to_l) = (vec![f64::NEG_INFINITY; self.count], vec![f64::INFINITY; self.count]);
        for s in sources {
            for l in 0..self.count {
                let (f, t) = (self.from[s.index() * self.count + l], to[s.index() * self.count + l]);
                from_l[l] =
                    from_l[l].max(if f == UNREACHED { f64::INFINITY } else { (f64::from(f) + 1.0) * self.unit });
                to_l[l] = to_l[l].min(if t == UNREACHED { f64::INFINITY } else { f64::from(t) * self.unit });
            }
        }
        FromAny { landmarks: self, from_l, to_l }
    }

    /// Number of landmarks.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        (self.from.len() + self.to.len()) * std::mem::size_of::<u16>()
    }
}

/// A lower bound of the time from the nearest of some sources, ready for a search.
pub struct FromAny<'a> {
    landmarks: &'a Landmarks,
    /// Per landmark, the longest time from it to a source (d(L, v) − this bounds d(s, v)).
    from_l: Vec<f64>,
    /// Per landmark, the shortest time from a source to it (this − d(v, L) bounds d(s, v)).
    to_l: Vec<f64>,
}

impl FromAny<'_> {
    /// A lower bound of the time from the nearest source to `v`, seconds.
    pub fn to(&self, v: NodeIndex) -> f64 {
        let l = self.landmarks;
        let row = v.index() * l.count..v.index() * l.count + l.count;
        let to = if l.to.is_empty() { &l.from } else { &l.to };
        let mut best: f64 = 0.0;
        for ((&from_v, &to_v), (from_s, to_s)) in
            l.from[row.clone()].iter().zip(&to[row]).zip(self.from_l.iter().zip(&self.to_l))
        {
            // d(s, v) ≥ d(L, v) − d(L, s), with v's time at its step's lower end.
            if from_v != UNREACHED && from_s.is_finite() {
                best = best.max(f64::from(from_v) * l.unit - from_s);
            }
            // d(s, v) ≥ d(s, L) − d(v, L), with v's time at its step's upper end.
            if to_v != UNREACHED && to_s.is_finite() {
                best = best.max(to_s - (f64::from(to_v) + 1.0) * l.unit);
            }
        }
        (best - l.slack).max(0.0)
    }
}

/// Travel times from `source` to every node (`Outgoing`) or from every node to it (`Incoming`).
fn times<N, E>(
    graph: &DiGraph<N, E>,
    seconds: &impl Fn(&E) -> f64,
    source: NodeIndex,
    direction: Direction,
) -> Vec<f64> {
    let mut d = vec![f64::INFINITY; graph.node_count()];
    let mut queue = BinaryHeap::new();
    d[source.index()] = 0.0;
    queue.push((Reverse(key(0.0)), source.index()));
    while let Some((Reverse(k), v)) = queue.pop() {
        if key(d[v]) != k {
            continue;
        }
        for arc in graph.edges_directed(NodeIndex::new(v), direction) {
            let w = if direction == Direction::Outgoing { arc.target() } else { arc.source() }.index();
            let t = d[v] + seconds(arc.weight());
            if t < d[w] {
                d[w] = t;
                queue.push((Reverse(key(t)), w));
            }
        }
    }
    d
}

/// The reached node (finite in `reached`) where `score` is largest.
fn farthest(reached: &[f64], score: &[f64]) -> Option<NodeIndex> {
    (0..reached.len())
        .filter(|&v| reached[v].is_finite())
        .max_by(|&a, &b| score[a].total_cmp(&score[b]))
        .map(NodeIndex::new)
}

/// A node of the largest part of the network (arcs taken both ways).
fn largest_part_node<N, E>(graph: &DiGraph<N, E>) -> Option<NodeIndex> {
    let n = graph.node_count();
    let mut parent: Vec<usize> = (0..n).collect();
    fn root(parent: &mut [usize], mut a: usize) -> usize {
        while parent[a] != a {
            parent[a] = parent[parent[a]];
            a = parent[a];
        }
        a
    }
    for arc in graph.edge_references() {
        let (a, b) = (root(&mut parent, arc.source().index()), root(&mut parent, arc.target().index()));
        parent[a] = b;
    }
    let mut size = vec![0usize; n];
    for v in 0..n {
        let r = root(&mut parent, v);
        size[r] += 1;
    }
    (0..n).max_by_key(|&v| size[v]).map(NodeIndex::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_never_exceed_the_true_travel_times() {
        // A pseudo-random network of 150 nodes, some arcs one-way, and a small separate part.
        let mut seed = 11_u64;
        let mut next = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) as usize
        };
        for two_way in [true, false] {
            let mut g: DiGraph<(), f64> = DiGraph::new();
            let nodes: Vec<NodeIndex> = (0..150).map(|_| g.add_node(())).collect();
            for _ in 0..400 {
                let (a, b, w) = (next() % 140, next() % 140, (next() % 1000) as f64 / 7.0);
                g.add_edge(nodes[a], nodes[b], w);
                if two_way || next() % 3 > 0 {
                    g.add_edge(nodes[b], nodes[a], w);
                }
            }
            g.add_edge(nodes[145], nodes[146], 5.0);
            let landmarks = Landmarks::compute(&g, |w| *w, two_way, 6).unwrap();
            assert_eq!(landmarks.count(), 6);
            let mut tight = 0;
            for (i, &u) in nodes.iter().enumerate() {
                let d = times(&g, &|w: &f64| *w, u, Direction::Outgoing);
                let w = nodes[(i * 7 + 3) % nodes.len()];
                let e = times(&g, &|w: &f64| *w, w, Direction::Outgoing);
                let either = landmarks.from_any(&[u, w]);
                for &v in &nodes {
                    let bound = landmarks.from_any(&[u]).to(v);
                    assert!(bound <= d[v.index()] + 1e-9, "{u:?}→{v:?}: bound {bound} > {}", d[v.index()]);
                    let nearer = d[v.index()].min(e[v.index()]);
                    assert!(either.to(v) <= nearer + 1e-9, "{u:?} or {w:?} → {v:?}: {} > {nearer}", either.to(v));
                    if d[v.index()].is_finite() && bound > 0.5 * d[v.index()] {
                        tight += 1;
                    }
                }
            }
            assert!(tight > 1000, "the bounds say something: {tight}");
        }
    }
}
