//! The graph laid out for searches: nodes numbered along a Hilbert curve, so that neighbours on
//! the map are neighbours in memory (their positions, their landmark rows, their labels), and
//! arcs stored by the node they enter, so that the arcs into a node — what a backward search
//! walks — lie side by side. Across a country a search reaches too much of the graph to stay
//! in the processor's caches; laid out this way it reads a few cache lines a node, not one an
//! arc.

use geo::Coord;
use petgraph::graph::{DiGraph, NodeIndex};

/// Bits of each axis of the curve: cells of about 1/65,536 of the network's extent.
const BITS: u32 = 16;

/// The position of cell (x, y) along the Hilbert curve over a 2^`bits` square.
fn hilbert(bits: u32, mut x: u32, mut y: u32) -> u64 {
    let n = 1u32 << bits;
    let mut d = 0u64;
    let mut s = n / 2;
    while s > 0 {
        let (rx, ry) = (u32::from(x & s > 0), u32::from(y & s > 0));
        d += u64::from(s) * u64::from(s) * u64::from((3 * rx) ^ ry);
        // Turn the quadrant so that the curve inside it runs the right way.
        if ry == 0 {
            if rx == 1 {
                (x, y) = (n - 1 - x, n - 1 - y);
            }
            (x, y) = (y, x);
        }
        s /= 2;
    }
    d
}

/// `graph` renumbered along the curve with its arcs grouped by the node they enter, and the
/// new number of each old node. The arcs' weights do not change.
pub(super) fn laid_out<A: Copy>(
    graph: DiGraph<Coord<f64>, A>,
) -> (DiGraph<Coord<f64>, A>, impl Fn(NodeIndex) -> NodeIndex) {
    let (nodes, arcs) = graph.into_nodes_edges();
    let (mut min, mut max) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    for node in &nodes {
        let c = node.weight;
        (min, max) = ([min[0].min(c.x), min[1].min(c.y)], [max[0].max(c.x), max[1].max(c.y)]);
    }
    let cells = f64::from((1u32 << BITS) - 1);
    let cell = |v: f64, lo: f64, hi: f64| if hi > lo { ((v - lo) / (hi - lo) * cells).round() as u32 } else { 0 };
    let mut order: Vec<(u64, u32)> = nodes
        .iter()
        .enumerate()
        .map(|(i, node)| {
            let c = node.weight;
            (hilbert(BITS, cell(c.x, min[0], max[0]), cell(c.y, min[1], max[1])), i as u32)
        })
        .collect();
    order.sort_unstable();
    let mut renumbered = vec![0u32; nodes.len()];
    let mut out = DiGraph::with_capacity(nodes.len(), arcs.len());
    for &(_, old) in &order {
        renumbered[old as usize] = out.add_node(nodes[old as usize].weight).index() as u32;
    }
    drop((nodes, order));
    let new = move |n: NodeIndex| NodeIndex::new(renumbered[n.index()] as usize);
    // (target, source, the arc's place before): the same order whatever the sort.
    let mut by_target: Vec<(u32, u32, u32)> = arcs
        .iter()
        .enumerate()
        .map(|(i, a)| (new(a.target()).index() as u32, new(a.source()).index() as u32, i as u32))
        .collect();
    by_target.sort_unstable();
    for (target, source, i) in by_target {
        out.add_edge(NodeIndex::new(source as usize), NodeIndex::new(target as usize), arcs[i as usize].weight);
    }
    (out, new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_curve_visits_every_cell_once_stepping_to_a_neighbour_each_time() {
        for bits in 1..=4 {
            let n = 1u32 << bits;
            let mut at = vec![None; (n * n) as usize];
            for x in 0..n {
                for y in 0..n {
                    let d = hilbert(bits, x, y) as usize;
                    assert!(at[d].is_none(), "{bits} bits: position {d} twice");
                    at[d] = Some((x as i64, y as i64));
                }
            }
            let cells: Vec<(i64, i64)> = at.into_iter().map(|c| c.expect("every position taken")).collect();
            for w in cells.windows(2) {
                let step = (w[0].0 - w[1].0).abs() + (w[0].1 - w[1].1).abs();
                assert_eq!(step, 1, "{bits} bits: {:?} to {:?}", w[0], w[1]);
            }
        }
    }
}
