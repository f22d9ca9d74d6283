//! What a search over the road graph hands back: the candidates reached, in the order they
//! became final, shared by the node search and the turning search.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use geo::LineString;

use super::bounded::key;

/// A candidate reached: its travel time and distance to the incident, and the way.
#[derive(Debug, Clone)]
pub struct Reached {
    /// Index of the candidate in the request.
    pub candidate: usize,
    /// Travel time to the incident, seconds.
    pub seconds: f64,
    /// Road distance to the incident, metres.
    pub metres: f64,
    /// The route from the candidate's snapped point to the incident's, lon/lat.
    pub path: LineString<f64>,
}

/// The candidates' best ways so far, and those final: a candidate is final once the search has
/// settled everything nearer than its way. Shared by the node search and the turning search.
pub(super) struct Arrivals<E: Copy> {
    tentative: Vec<Option<(f64, f64, E)>>,
    ready: BinaryHeap<(Reverse<u64>, usize)>,
    done: Vec<bool>,
    /// (candidate, seconds, metres, way in), nearest first.
    found: Vec<(usize, f64, f64, E)>,
    k: usize,
    cutoff_s: f64,
}

impl<E: Copy> Arrivals<E> {
    /// For `n` candidates, of which the `k` nearest within `cutoff_s` are wanted.
    pub fn new(n: usize, k: usize, cutoff_s: f64) -> Self {
        Self {
            tentative: vec![None; n],
            ready: BinaryHeap::new(),
            done: vec![false; n],
            found: Vec::new(),
            k,
            cutoff_s,
        }
    }

    /// A way for candidate `i`, kept if better than the one it has.
    pub fn offer(&mut self, i: usize, seconds: f64, metres: f64, entry: E) {
        if self.tentative[i].is_none_or(|(t, _, _)| seconds < t) {
            self.tentative[i] = Some((seconds, metres, entry));
            self.ready.push((Reverse(key(seconds)), i));
        }
    }

    /// Makes final every candidate whose way is no longer than `upto`.
    pub fn finalize(&mut self, upto: f64) {
        while let Some(&(Reverse(s), i)) = self.ready.peek() {
            if f64::from_bits(s) > upto || self.found.len() >= self.k {
                break;
            }
            self.ready.pop();
            if let (false, Some((ts, tm, entry))) = (self.done[i], self.tentative[i])
                && key(ts) == s
            {
                self.done[i] = true;
                if ts <= self.cutoff_s {
                    self.found.push((i, ts, tm, entry));
                }
            }
        }
    }

    /// Whether enough are found.
    pub fn full(&self) -> bool {
        self.found.len() >= self.k
    }

    /// The search is over: the candidates reached, nearest first, each with its path.
    pub fn reached(mut self, path: impl Fn(usize, E) -> LineString<f64>) -> Vec<Reached> {
        self.finalize(f64::INFINITY);
        self.found.truncate(self.k);
        self.found
            .into_iter()
            .map(|(candidate, seconds, metres, entry)| Reached {
                candidate,
                seconds,
                metres,
                path: path(candidate, entry),
            })
            .collect()
    }
}

/// The part of the incident's edge a candidate on the same edge drives to it, if it may.
pub(super) fn along_same_edge(g: f64, f: f64, oneway: bool) -> Option<f64> {
    if g <= f {
        Some(f - g)
    } else if !oneway {
        Some(g - f)
    } else {
        None
    }
}
