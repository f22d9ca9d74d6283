//! The edges' bounding boxes for nearest and window queries, packed: sorted along a Hilbert
//! curve and grouped sixteen to a node, level above level, in flat arrays — 20 bytes an edge,
//! where an rstar tree took 64, and built by one sort. Boxes are f32 rounded outwards, so a
//! box still holds its edge and its distance to a point stays a lower bound of the edge's;
//! callers check the edges' own segments.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::hilbert::hilbert;

/// Children of a node.
const FAN: usize = 16;

/// A box as (min x, min y, max x, max y).
type Box4 = [f32; 4];

/// The packed tree.
#[derive(Debug, Default)]
pub struct Boxes {
    /// Every node's box: the leaves (one an edge, in curve order), then each level up to the root.
    boxes: Vec<Box4>,
    /// The edge of each leaf.
    edges: Vec<u32>,
    /// Where each level starts in `boxes`, leaves first, and the end.
    levels: Vec<usize>,
}

/// `[min, max]` in f32, rounded outwards.
fn outward(min: [f64; 2], max: [f64; 2]) -> Box4 {
    let down = |v: f64| {
        let f = v as f32;
        if f64::from(f) > v { f.next_down() } else { f }
    };
    let up = |v: f64| {
        let f = v as f32;
        if f64::from(f) < v { f.next_up() } else { f }
    };
    [down(min[0]), down(min[1]), up(max[0]), up(max[1])]
}

/// Squared distance from a point to a box (0 inside).
fn distance_2(b: &Box4, p: [f64; 2]) -> f64 {
    let dx = (f64::from(b[0]) - p[0]).max(p[0] - f64::from(b[2])).max(0.0);
    let dy = (f64::from(b[1]) - p[1]).max(p[1] - f64::from(b[3])).max(0.0);
    dx * dx + dy * dy
}

fn union(boxes: &[Box4]) -> Box4 {
    boxes.iter().fold([f32::INFINITY, f32::INFINITY, f32::NEG_INFINITY, f32::NEG_INFINITY], |u, b| {
        [u[0].min(b[0]), u[1].min(b[1]), u[2].max(b[2]), u[3].max(b[3])]
    })
}

impl Boxes {
    /// Packs `(min, max, edge)` boxes.
    pub fn new(items: Vec<([f64; 2], [f64; 2], u32)>) -> Self {
        if items.is_empty() {
            return Self::default();
        }
        let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
        for (min, max, _) in &items {
            lo = [lo[0].min(min[0]), lo[1].min(min[1])];
            hi = [hi[0].max(max[0]), hi[1].max(max[1])];
        }
        let cells = f64::from(u16::MAX);
        let cell = |v: f64, a: f64, b: f64| if b > a { ((v - a) / (b - a) * cells).round() as u32 } else { 0 };
        let mut keyed: Vec<(u64, Box4, u32)> = items
            .into_iter()
            .map(|(min, max, edge)| {
                let (cx, cy) = ((min[0] + max[0]) / 2.0, (min[1] + max[1]) / 2.0);
                (hilbert(16, cell(cx, lo[0], hi[0]), cell(cy, lo[1], hi[1])), outward(min, max), edge)
            })
            .collect();
        keyed.sort_unstable_by_key(|&(key, _, edge)| (key, edge));
        let edges = keyed.iter().map(|k| k.2).collect();
        let mut boxes: Vec<Box4> = keyed.into_iter().map(|k| k.1).collect();
        let mut levels = vec![0, boxes.len()];
        while levels[levels.len() - 1] - levels[levels.len() - 2] > 1 {
            let (start, end) = (levels[levels.len() - 2], levels[levels.len() - 1]);
            for i in (start..end).step_by(FAN) {
                let parent = union(&boxes[i..(i + FAN).min(end)]);
                boxes.push(parent);
            }
            levels.push(boxes.len());
        }
        boxes.shrink_to_fit();
        Self { boxes, edges, levels }
    }

    /// The children of the node at position `i` (not a leaf), as positions in `boxes`.
    fn children(&self, i: usize) -> std::ops::Range<usize> {
        let level = self.levels.partition_point(|&start| start <= i) - 1;
        let (below, start) = (self.levels[level - 1], self.levels[level]);
        let first = below + (i - start) * FAN;
        first..(first + FAN).min(start)
    }

    /// Every edge with the squared distance from `p` to its box, nearest first.
    pub fn nearest(&self, p: [f64; 2]) -> impl Iterator<Item = (u32, f64)> + '_ {
        let mut queue: BinaryHeap<(Reverse<u64>, usize)> = BinaryHeap::new();
        if let Some(root) = self.boxes.len().checked_sub(1) {
            queue.push((Reverse(distance_2(&self.boxes[root], p).to_bits()), root));
        }
        let leaves = self.edges.len();
        std::iter::from_fn(move || {
            while let Some((Reverse(d2), i)) = queue.pop() {
                if i < leaves {
                    return Some((self.edges[i], f64::from_bits(d2)));
                }
                for c in self.children(i) {
                    queue.push((Reverse(distance_2(&self.boxes[c], p).to_bits()), c));
                }
            }
            None
        })
    }

    /// Every edge whose box meets the window `[min, max]` (and perhaps a few that touch it).
    pub fn within(&self, min: [f64; 2], max: [f64; 2]) -> impl Iterator<Item = u32> + '_ {
        let window = outward(min, max);
        let meets = move |b: &Box4| b[0] <= window[2] && b[2] >= window[0] && b[1] <= window[3] && b[3] >= window[1];
        let mut stack: Vec<usize> = self.boxes.len().checked_sub(1).into_iter().collect();
        let leaves = self.edges.len();
        std::iter::from_fn(move || {
            while let Some(i) = stack.pop() {
                if !meets(&self.boxes[i]) {
                    continue;
                }
                if i < leaves {
                    return Some(self.edges[i]);
                }
                stack.extend(self.children(i));
            }
            None
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::Random;

    #[test]
    fn nearest_and_window_queries_find_what_a_scan_of_every_box_finds() {
        let mut random = Random(7);
        for n in [0usize, 1, 15, 16, 17, 300, 5000] {
            let items: Vec<([f64; 2], [f64; 2], u32)> = (0..n)
                .map(|i| {
                    let (x, y) = (106.0 + random.unit(), 29.0 + random.unit());
                    let (w, h) = (random.unit() * 0.01, random.unit() * 0.01);
                    ([x, y], [x + w, y + h], i as u32)
                })
                .collect();
            let boxes = Boxes::new(items.clone());
            for _ in 0..20 {
                let p = [105.9 + random.unit() * 1.2, 28.9 + random.unit() * 1.2];
                let found: Vec<(u32, f64)> = boxes.nearest(p).collect();
                assert_eq!(found.len(), n, "every edge comes once");
                assert!(found.windows(2).all(|w| w[0].1 <= w[1].1), "nearest first");
                for (edge, d2) in &found {
                    let (min, max, _) = items[*edge as usize];
                    let true_d2 = {
                        let dx = (min[0] - p[0]).max(p[0] - max[0]).max(0.0);
                        let dy = (min[1] - p[1]).max(p[1] - max[1]).max(0.0);
                        dx * dx + dy * dy
                    };
                    assert!(*d2 <= true_d2 + 1e-18, "a lower bound: {d2} vs {true_d2}");
                    // Short of it by no more than the f32 rounding of the box (a few units of 1e-5°).
                    assert!(true_d2.sqrt() - d2.sqrt() < 3e-5, "about the box's distance: {d2} vs {true_d2}");
                }
                let (lo, hi) = ([p[0] - 0.05, p[1] - 0.05], [p[0] + 0.05, p[1] + 0.05]);
                let mut inside: Vec<u32> = boxes.within(lo, hi).collect();
                inside.sort_unstable();
                let meets = |(min, max, _): &([f64; 2], [f64; 2], u32)| {
                    min[0] <= hi[0] && max[0] >= lo[0] && min[1] <= hi[1] && max[1] >= lo[1]
                };
                let scanned: Vec<u32> = items.iter().filter(|i| meets(i)).map(|i| i.2).collect();
                assert!(scanned.iter().all(|e| inside.binary_search(e).is_ok()), "every box that meets it");
                assert!(inside.len() <= scanned.len() + 2, "and hardly more: {} vs {}", inside.len(), scanned.len());
            }
        }
    }
}
