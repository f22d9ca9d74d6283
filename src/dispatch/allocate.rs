//! The allocation of supplies to demands, a pure function.
//!
//! Supplies are the free stock of one item at one depot, or one team; demands are an incident's
//! needs (a quantity of an item or a category, a number of teams of a specialty). Each demand has
//! offers: the supplies it may take and their travel times to its incident. The objective, in
//! this order:
//!
//! 1. demand by demand, highest priority first (then in the order given): the most that can be
//!    met, then the earliest time at which it is met (the travel time of the slowest supply used),
//!    never making a demand served before it worse;
//! 2. the least total travel time, Σ quantity × seconds (the transportation problem's cost);
//! 3. the fewest depots per incident: among supplies with equal travel times, depots already
//!    sending something to the incident first, then larger ones. Exact when one demand competes
//!    for the ties; a heuristic otherwise (a fixed charge per depot makes the exact problem NP-hard).
//!
//! Step 1 is incremental augmentation: a demand's offers are added in order of travel time and
//! the flow into it is augmented (rerouting earlier demands within their own times) until it is
//! met; the time of the last useful offer is its time, and later offers are dropped. Step 2 is a
//! min-cost flow (successive shortest paths, Dijkstra with potentials) over what step 1 left
//! enabled, with each demand's flow fixed. Quantities are integers (the caller scales them).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// Something that can be sent.
#[derive(Debug, Clone)]
pub struct Supply {
    /// The depot or team it belongs to (for counting depots).
    pub source: usize,
    /// How much is free (a team: 1).
    pub amount: i64,
}

/// A supply a demand may take, with its travel time to the demand's incident.
#[derive(Debug, Clone, Copy)]
pub struct Offer {
    /// Index into the supplies.
    pub supply: usize,
    /// Travel time, seconds (finite, ≥ 0).
    pub seconds: f64,
}

/// A need of one incident.
#[derive(Debug, Clone)]
pub struct Demand {
    /// The incident (for counting depots).
    pub incident: usize,
    /// Higher is served first.
    pub priority: i32,
    /// How much is needed (> 0).
    pub quantity: i64,
    /// What may meet it (at most one offer per supply).
    pub offers: Vec<Offer>,
}

/// How a demand is met.
#[derive(Debug, Clone, PartialEq)]
pub struct Fill {
    /// How much is met (≤ quantity; less is a shortfall).
    pub met: i64,
    /// When the met amount has all arrived, seconds (None when nothing is met).
    pub seconds: Option<f64>,
    /// (supply index, amount, seconds), fastest first.
    pub from: Vec<(usize, i64, f64)>,
}

/// One supply → demand arc.
#[derive(Debug, Clone)]
struct Arc {
    supply: usize,
    demand: usize,
    seconds: f64,
    flow: i64,
}

/// Cost of an arc in milliseconds: integer, so that reduced costs are exact.
fn cost(seconds: f64) -> i64 {
    (seconds * 1000.0).round() as i64
}

/// The flow of step 1.
struct Network {
    free: Vec<i64>,
    arcs: Vec<Arc>,
    by_supply: Vec<Vec<usize>>,
    by_demand: Vec<Vec<usize>>,
    /// Search marks: a node is seen in the current search when its mark equals `stamp`.
    stamp: u32,
    seen_supply: Vec<u32>,
    seen_demand: Vec<u32>,
    via_supply: Vec<usize>,
    via_demand: Vec<usize>,
}

impl Network {
    /// Pushes up to `need` more into demand `k` along augmenting paths found backwards from it.
    fn augment(&mut self, k: usize, need: i64) -> i64 {
        let mut total = 0;
        while total < need {
            self.stamp += 1;
            let stamp = self.stamp;
            self.seen_demand[k] = stamp;
            let mut queue = VecDeque::from([k]);
            let mut found = None;
            'search: while let Some(d) = queue.pop_front() {
                for &a in &self.by_demand[d] {
                    let s = self.arcs[a].supply;
                    if self.seen_supply[s] == stamp {
                        continue;
                    }
                    self.seen_supply[s] = stamp;
                    self.via_supply[s] = a;
                    if self.free[s] > 0 {
                        found = Some(s);
                        break 'search;
                    }
                    // Take back what s gives another demand, which may then be fed elsewhere.
                    for &b in &self.by_supply[s] {
                        let other = self.arcs[b].demand;
                        if self.arcs[b].flow > 0 && self.seen_demand[other] != stamp {
                            self.seen_demand[other] = stamp;
                            self.via_demand[other] = b;
                            queue.push_back(other);
                        }
                    }
                }
            }
            let Some(start) = found else { break };
            let mut delta = (need - total).min(self.free[start]);
            let mut s = start;
            loop {
                let d = self.arcs[self.via_supply[s]].demand;
                if d == k {
                    break;
                }
                let back = self.via_demand[d];
                delta = delta.min(self.arcs[back].flow);
                s = self.arcs[back].supply;
            }
            self.free[start] -= delta;
            let mut s = start;
            loop {
                let a = self.via_supply[s];
                self.arcs[a].flow += delta;
                let d = self.arcs[a].demand;
                if d == k {
                    break;
                }
                let back = self.via_demand[d];
                self.arcs[back].flow -= delta;
                s = self.arcs[back].supply;
            }
            total += delta;
        }
        total
    }
}

/// Allocates `supplies` to `demands`; one fill per demand, in the order given.
pub fn allocate(supplies: &[Supply], demands: &[Demand]) -> Vec<Fill> {
    let mut net = Network {
        free: supplies.iter().map(|s| s.amount.max(0)).collect(),
        arcs: Vec::new(),
        by_supply: vec![Vec::new(); supplies.len()],
        by_demand: vec![Vec::new(); demands.len()],
        stamp: 0,
        seen_supply: vec![0; supplies.len()],
        seen_demand: vec![0; demands.len()],
        via_supply: vec![0; supplies.len()],
        via_demand: vec![0; demands.len()],
    };
    let mut order: Vec<usize> = (0..demands.len()).collect();
    order.sort_by_key(|&k| (Reverse(demands[k].priority), k));

    // Step 1: each demand's most and earliest, in order.
    let mut met = vec![0i64; demands.len()];
    for &k in &order {
        let demand = &demands[k];
        let mut offers = demand.offers.clone();
        offers.sort_by(|a, b| {
            a.seconds.total_cmp(&b.seconds).then(supplies[b.supply].amount.cmp(&supplies[a.supply].amount))
        });
        let mut time = None;
        let mut i = 0;
        while i < offers.len() && met[k] < demand.quantity {
            let seconds = offers[i].seconds;
            while i < offers.len() && offers[i].seconds == seconds {
                let a = net.arcs.len();
                net.arcs.push(Arc { supply: offers[i].supply, demand: k, seconds, flow: 0 });
                net.by_supply[offers[i].supply].push(a);
                net.by_demand[k].push(a);
                i += 1;
            }
            let got = net.augment(k, demand.quantity - met[k]);
            if got > 0 {
                met[k] += got;
                time = Some(seconds);
            }
        }
        // Offers slower than the time found carry nothing and must stay unused.
        let arcs = &net.arcs;
        net.by_demand[k].retain(|&a| time.is_some_and(|t| arcs[a].seconds <= t));
    }

    // Step 2: the least total travel time with every demand's amount and time kept, separately
    // for each group of demands that share supplies (items apart do not interact).
    for group in groups(supplies.len(), &net) {
        for (a, flow) in least_travel(supplies, &net, &met, &group) {
            net.arcs[a].flow = flow;
        }
    }
    let mut free: Vec<i64> = supplies.iter().map(|s| s.amount.max(0)).collect();
    for arc in &net.arcs {
        free[arc.supply] -= arc.flow;
    }

    // Step 3: within ties of travel time, fewer depots.
    for &k in &order {
        consolidate(supplies, demands, &mut net, &mut free, k);
    }

    (0..demands.len())
        .map(|k| {
            let mut from: Vec<(usize, i64, f64)> = net.by_demand[k]
                .iter()
                .map(|&a| &net.arcs[a])
                .filter(|a| a.flow > 0)
                .map(|a| (a.supply, a.flow, a.seconds))
                .collect();
            from.sort_by(|a, b| a.2.total_cmp(&b.2).then(a.0.cmp(&b.0)));
            let met = from.iter().map(|f| f.1).sum();
            let seconds = from.iter().map(|f| f.2).reduce(f64::max);
            Fill { met, seconds, from }
        })
        .collect()
}

/// The demands linked through shared supplies (by enabled arcs), each group ascending.
fn groups(supplies: usize, net: &Network) -> Vec<Vec<usize>> {
    // Union-find over demands; a supply joins every demand it may feed.
    let mut parent: Vec<usize> = (0..net.by_demand.len()).collect();
    fn root(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    let mut first = vec![usize::MAX; supplies];
    for (k, arcs) in net.by_demand.iter().enumerate() {
        for &a in arcs {
            let s = net.arcs[a].supply;
            if first[s] == usize::MAX {
                first[s] = k;
            } else {
                let (x, y) = (root(&mut parent, first[s]), root(&mut parent, k));
                parent[x] = y;
            }
        }
    }
    let mut by_root: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
    for k in 0..net.by_demand.len() {
        let r = root(&mut parent, k);
        by_root.entry(r).or_default().push(k);
    }
    by_root.into_values().collect()
}

/// Min-cost flow from the supplies to the demands of `group` over their enabled arcs, each
/// demand taking exactly `met`; returns (arc, flow) for every enabled arc of the group.
fn least_travel(supplies: &[Supply], net: &Network, met: &[i64], group: &[usize]) -> Vec<(usize, i64)> {
    // Nodes: 0 source, 1 sink, the group's demands, then the supplies they may take.
    let mut graph = FlowGraph::new(2);
    let mut node_of_supply = std::collections::HashMap::new();
    let demand_nodes: Vec<usize> = group
        .iter()
        .map(|&k| {
            let node = graph.add_node();
            graph.add_edge(node, 1, met[k], 0);
            node
        })
        .collect();
    let mut edges = Vec::new();
    for (&k, &demand_node) in group.iter().zip(&demand_nodes) {
        for &a in &net.by_demand[k] {
            let arc = &net.arcs[a];
            let supply_node = *node_of_supply.entry(arc.supply).or_insert_with(|| {
                let node = graph.add_node();
                graph.add_edge(0, node, supplies[arc.supply].amount.max(0), 0);
                node
            });
            edges.push((a, graph.add_edge(supply_node, demand_node, i64::MAX / 4, cost(arc.seconds))));
        }
    }
    graph.min_cost_flow(0, 1);
    edges.into_iter().map(|(a, e)| (a, graph.flow(e))).collect()
}

/// Moves demand `k`'s flow, within each group of equal travel time, onto as few depots as it can.
fn consolidate(supplies: &[Supply], demands: &[Demand], net: &mut Network, free: &mut [i64], k: usize) {
    let incident = demands[k].incident;
    let arcs: Vec<usize> = net.by_demand[k].clone();
    let mut start = 0;
    let mut sorted = arcs;
    sorted.sort_by(|&a, &b| net.arcs[a].seconds.total_cmp(&net.arcs[b].seconds));
    while start < sorted.len() {
        let seconds = net.arcs[sorted[start]].seconds;
        let end = start + sorted[start..].iter().take_while(|&&a| net.arcs[a].seconds == seconds).count();
        let group = &sorted[start..end];
        start = end;
        let total: i64 = group.iter().map(|&a| net.arcs[a].flow).sum();
        if total == 0 || group.len() < 2 {
            continue;
        }
        // Depots: (already sending to this incident for another demand, capacity here, source).
        let mut depots: Vec<(bool, i64, usize)> = Vec::new();
        for &a in group {
            let s = net.arcs[a].supply;
            let source = supplies[s].source;
            let capacity = net.arcs[a].flow + free[s];
            match depots.iter_mut().find(|d| d.2 == source) {
                Some(d) => d.1 += capacity,
                None => {
                    let elsewhere = net.arcs.iter().any(|o| {
                        o.flow > 0
                            && o.demand != k
                            && demands[o.demand].incident == incident
                            && supplies[o.supply].source == source
                    });
                    depots.push((elsewhere, capacity, source));
                }
            }
        }
        depots.sort_by_key(|&(elsewhere, capacity, source)| (Reverse(elsewhere), Reverse(capacity), source));
        for &a in group {
            let s = net.arcs[a].supply;
            free[s] += net.arcs[a].flow;
            net.arcs[a].flow = 0;
        }
        let mut left = total;
        for &(_, _, source) in &depots {
            for &a in group {
                let s = net.arcs[a].supply;
                if left == 0 || supplies[s].source != source {
                    continue;
                }
                let take = left.min(free[s]);
                net.arcs[a].flow += take;
                free[s] -= take;
                left -= take;
            }
        }
        debug_assert_eq!(left, 0);
    }
}

/// A residual graph for min-cost flow.
struct FlowGraph {
    adjacency: Vec<Vec<usize>>,
    to: Vec<usize>,
    capacity: Vec<i64>,
    cost: Vec<i64>,
    flow: Vec<i64>,
}

impl FlowGraph {
    fn new(nodes: usize) -> Self {
        Self {
            adjacency: vec![Vec::new(); nodes],
            to: Vec::new(),
            capacity: Vec::new(),
            cost: Vec::new(),
            flow: Vec::new(),
        }
    }

    fn nodes(&self) -> usize {
        self.adjacency.len()
    }

    fn add_node(&mut self) -> usize {
        self.adjacency.push(Vec::new());
        self.adjacency.len() - 1
    }

    /// Adds an edge and its reverse (edge ^ 1); returns the edge.
    fn add_edge(&mut self, from: usize, to: usize, capacity: i64, cost: i64) -> usize {
        let e = self.to.len();
        for (a, b, c, w) in [(from, to, capacity, cost), (to, from, 0, -cost)] {
            self.adjacency[a].push(self.to.len());
            self.to.push(b);
            self.capacity.push(c);
            self.cost.push(w);
            self.flow.push(0);
        }
        e
    }

    fn flow(&self, e: usize) -> i64 {
        self.flow[e]
    }

    /// Successive shortest paths; all costs of forward edges are ≥ 0, so potentials start at 0.
    fn min_cost_flow(&mut self, source: usize, sink: usize) {
        let n = self.nodes();
        let mut potential = vec![0i64; n];
        loop {
            let mut distance = vec![i64::MAX; n];
            let mut via = vec![usize::MAX; n];
            distance[source] = 0;
            let mut heap = BinaryHeap::from([Reverse((0i64, source))]);
            while let Some(Reverse((d, u))) = heap.pop() {
                if d > distance[u] {
                    continue;
                }
                for &e in &self.adjacency[u] {
                    if self.capacity[e] - self.flow[e] <= 0 {
                        continue;
                    }
                    let v = self.to[e];
                    let next = d + self.cost[e] + potential[u] - potential[v];
                    if next < distance[v] {
                        distance[v] = next;
                        via[v] = e;
                        heap.push(Reverse((next, v)));
                    }
                }
            }
            if distance[sink] == i64::MAX {
                return;
            }
            // Nodes beyond the sink count as at the sink's distance: reduced costs stay ≥ 0.
            let reach = distance[sink];
            for (p, d) in potential.iter_mut().zip(&distance) {
                *p += (*d).min(reach);
            }
            let mut delta = i64::MAX;
            let mut v = sink;
            while v != source {
                let e = via[v];
                delta = delta.min(self.capacity[e] - self.flow[e]);
                v = self.to[e ^ 1];
            }
            let mut v = sink;
            while v != source {
                let e = via[v];
                self.flow[e] += delta;
                self.flow[e ^ 1] -= delta;
                v = self.to[e ^ 1];
            }
        }
    }
}

#[cfg(test)]
mod tests;
