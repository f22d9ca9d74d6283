//! The one time-bounded search every walk over a graph in onemap uses (nearest, turning,
//! service areas, the river trace): Dijkstra over states of the caller's choosing (nodes, arcs,
//! nodes with the edge arrived by), labelled with seconds and metres and the way on, never
//! settling a state beyond the time limit. Callers say what a state is and how it expands; the
//! queue, the labels and the limit live here once.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hash::Hash;

use crate::hash::IdMap;

/// The best known way to a state.
#[derive(Debug, Clone, Copy)]
pub struct Label<W> {
    /// Travel time, seconds.
    pub seconds: f64,
    /// Distance travelled, metres.
    pub metres: f64,
    /// What the caller keeps to draw the way (the state it came from, or the way on).
    pub way: W,
    settled: bool,
    /// The queue's order: the seconds, plus a lower bound of the rest in an A* search.
    priority: u64,
}

impl<W> Label<W> {
    /// Whether the label is final.
    pub fn is_settled(&self) -> bool {
        self.settled
    }

    /// Seconds plus the lower bound it was queued with (the seconds in a plain search).
    pub fn priority(&self) -> f64 {
        f64::from_bits(self.priority)
    }
}

/// A Dijkstra search bounded by a time limit. States are settled nearest first; a state is
/// settled once, with its final label.
pub struct Bounded<S, W> {
    labels: IdMap<S, Label<W>>,
    queue: BinaryHeap<(Reverse<u64>, S)>,
    limit_s: f64,
}

/// Non-negative floats order like their bits: a cheap total order for the queue.
pub(super) fn key(seconds: f64) -> u64 {
    seconds.max(0.0).to_bits()
}

impl<S: Copy + Eq + Hash + Ord, W: Copy> Bounded<S, W> {
    /// A search that never reaches beyond `limit_s` seconds.
    pub fn new(limit_s: f64) -> Self {
        Self { labels: IdMap::default(), queue: BinaryHeap::new(), limit_s }
    }

    /// Offers a way to `state`: kept when within the limit and quicker than the best so far.
    pub fn offer(&mut self, state: S, seconds: f64, metres: f64, way: W) {
        if seconds > self.limit_s {
            return;
        }
        if self.labels.get(&state).is_none_or(|l| !l.settled && seconds < l.seconds) {
            let priority = key(seconds);
            self.labels.insert(state, Label { seconds, metres, way, settled: false, priority });
            self.queue.push((Reverse(priority), state));
        }
    }

    /// Puts this way to `state` in place of its label, quicker or not, unless the state is
    /// settled: for a caller whose label of a state has stopped meaning what the state means.
    pub fn replace(&mut self, state: S, seconds: f64, metres: f64, way: W) {
        if seconds > self.limit_s || self.labels.get(&state).is_some_and(|l| l.settled) {
            return;
        }
        let priority = key(seconds);
        self.labels.insert(state, Label { seconds, metres, way, settled: false, priority });
        self.queue.push((Reverse(priority), state));
    }

    /// Offers a way to `state` in an A* search, queued by its seconds plus `estimate()`, a lower
    /// bound of the time still to go (asked only for a state reached for the first time: a
    /// state keeps its bound). A quicker way to a settled state opens it again, so the answer
    /// stays exact when the bounds are not consistent.
    pub fn offer_estimated(&mut self, state: S, seconds: f64, metres: f64, way: W, estimate: impl FnOnce() -> f64) {
        if seconds > self.limit_s {
            return;
        }
        let bound = match self.labels.get(&state) {
            None => estimate(),
            // (its bound as queued, to within a unit in the last place of the priority)
            Some(l) if seconds < l.seconds => f64::from_bits(l.priority) - l.seconds,
            Some(_) => return,
        };
        let priority = key(seconds + bound);
        self.labels.insert(state, Label { seconds, metres, way, settled: false, priority });
        self.queue.push((Reverse(priority), state));
    }

    /// Settles the nearest state not yet settled and hands it back with its label; None when
    /// nothing is left within the limit.
    pub fn settle(&mut self) -> Option<(S, Label<W>)> {
        while let Some((Reverse(k), state)) = self.queue.pop() {
            let label = self.labels.get_mut(&state).expect("a queued state has a label");
            if label.settled || label.priority != k {
                continue;
            }
            label.settled = true;
            return Some((state, *label));
        }
        None
    }

    /// The label of a settled state.
    pub fn settled(&self, state: S) -> Option<&Label<W>> {
        self.labels.get(&state).filter(|l| l.settled)
    }

    /// The best label of a state reached, settled or not (an A* search may end with a state
    /// of the final way opened again and not yet settled).
    pub fn best(&self, state: S) -> Option<&Label<W>> {
        self.labels.get(&state)
    }

    /// Runs the search to the end, expanding each settled state by `next`, which offers the
    /// states it leads to; hands back every state reached with its final label.
    pub fn run(mut self, mut next: impl FnMut(&mut Self, S, Label<W>)) -> IdMap<S, Label<W>> {
        while let Some((state, label)) = self.settle() {
            next(&mut self, state, label);
        }
        self.labels
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Dijkstra by brute force (Bellman–Ford relaxations to a fixed point) for comparison.
    fn relaxed(n: usize, arcs: &[(usize, usize, f64)], from: usize) -> Vec<f64> {
        let mut d = vec![f64::INFINITY; n];
        d[from] = 0.0;
        for _ in 0..n {
            for &(a, b, s) in arcs {
                if d[a] + s < d[b] {
                    d[b] = d[a] + s;
                }
            }
        }
        d
    }

    #[test]
    fn settles_as_bellman_ford_within_the_limit_and_nothing_beyond() {
        // A pseudo-random graph of 60 nodes and 240 arcs.
        let mut seed = 7_u64;
        let mut next = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) as usize
        };
        let n = 60;
        let arcs: Vec<(usize, usize, f64)> =
            (0..240).map(|_| (next() % n, next() % n, (next() % 1000) as f64 / 10.0)).collect();
        let reference = relaxed(n, &arcs, 0);
        let limit = 150.0;
        let mut order = Vec::new();
        let mut search = Bounded::<usize, ()>::new(limit);
        search.offer(0, 0.0, 0.0, ());
        let labels = search.run(|search, node, label| {
            order.push(label.seconds);
            for &(a, b, s) in &arcs {
                if a == node {
                    search.offer(b, label.seconds + s, 0.0, ());
                }
            }
        });
        for (node, d) in reference.iter().enumerate() {
            match labels.get(&node) {
                Some(l) => assert!((l.seconds - d).abs() < 1e-9 && l.settled, "node {node}: {} vs {d}", l.seconds),
                None => assert!(*d > limit, "node {node} at {d} s was not reached"),
            }
        }
        assert!(order.windows(2).all(|w| w[0] <= w[1]), "settled nearest first");
        assert!(order.len() == reference.iter().filter(|d| **d <= limit).count());
    }
}
