//! The turns a road network forbids, kept so that a search asks cheaply: a set of (edge
//! arrived by, node, edge left by), and which nodes have any.

use petgraph::graph::NodeIndex;

use crate::hash::IdSet;

/// Forbidden turns (edge arrived by, node, edge left by), and which nodes have one. Asked at
/// every step of a search on a restricted network, so hashed by a multiply, not SipHash, and
/// asked only at the nodes that have one.
#[derive(Debug, Clone, Default)]
pub struct Turns {
    forbidden: IdSet<(usize, NodeIndex, usize)>,
    at: Vec<bool>,
}

impl Turns {
    /// Forbids a turn.
    pub fn insert(&mut self, turn: (usize, NodeIndex, usize)) {
        let node = turn.1.index();
        if self.at.len() <= node {
            self.at.resize(node + 1, false);
        }
        self.at[node] = true;
        self.forbidden.insert(turn);
    }

    /// Whether the turn is forbidden.
    pub fn contains(&self, turn: &(usize, NodeIndex, usize)) -> bool {
        self.at(turn.1) && self.forbidden.contains(turn)
    }

    /// Whether a turn at `node` is forbidden.
    pub fn at(&self, node: NodeIndex) -> bool {
        self.at.get(node.index()).copied().unwrap_or(false)
    }

    /// Whether no turn is forbidden.
    pub fn is_empty(&self) -> bool {
        self.forbidden.is_empty()
    }

    /// How many turns are forbidden.
    pub fn len(&self) -> usize {
        self.forbidden.len()
    }

    /// Allows every turn.
    pub fn clear(&mut self) {
        self.forbidden.clear();
        self.at.clear();
    }
}
