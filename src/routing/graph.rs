//! The road network as a directed graph: one edge per `route` row of kind road (its two end
//! vertices are the nodes; rows meet where their ends share coordinates), travel time from the
//! geodesic length and the speed, one-way rows only in drawing direction.

use std::collections::HashMap;

use anyhow::Result;
use geo::{Coord, Geodesic, Length, LineString};
use petgraph::graph::{DiGraph, NodeIndex};
use rstar::RTree;
use rstar::primitives::{GeomWithData, Line};
use sqlx::PgPool;

/// One road segment (a `route` row).
#[derive(Debug, Clone)]
pub struct Edge {
    /// `route.id`.
    pub route_id: i64,
    /// Geodesic length, metres.
    pub metres: f64,
    /// Travel time at the row's speed, seconds.
    pub seconds: f64,
    /// Only in drawing direction.
    pub oneway: bool,
    /// Hazardous goods may use it.
    pub hazmat_allowed: bool,
    /// The line in drawing direction, lon/lat.
    pub line: LineString<f64>,
    /// First and last node.
    pub ends: (NodeIndex, NodeIndex),
}

/// A way through an edge: `forward` follows the drawing direction.
#[derive(Debug, Clone, Copy)]
pub struct Arc {
    /// Index into `RoadGraph::edges`.
    pub edge: usize,
    /// Along the drawing direction.
    pub forward: bool,
}

/// A segment of an edge in the snapping index: (edge, segment index).
pub type Segment = GeomWithData<Line<[f64; 2]>, (usize, usize)>;

/// The network, its nodes' positions, and an index of its segments for snapping.
pub struct RoadGraph {
    /// Nodes weigh their lon/lat; arcs their edge and direction.
    pub graph: DiGraph<Coord<f64>, Arc>,
    /// The edges.
    pub edges: Vec<Edge>,
    /// Segments in a local equirectangular plane (x scaled by `x_scale`), for nearest queries.
    pub segments: RTree<Segment>,
    /// cos(mean latitude): makes degrees of longitude comparable to degrees of latitude.
    pub x_scale: f64,
    nodes: HashMap<(i64, i64), NodeIndex>,
    /// Snaps of fixed points (depots, teams) with every edge usable, by (lon, lat, limit) bits:
    /// they do not change while this graph lives, and they are most of a small query's work.
    pub(super) snaps: std::sync::RwLock<HashMap<(u64, u64, u64), Option<super::Snap>>>,
    /// Forbidden turns: (edge arrived by, node, edge left by). Empty: every turn allowed. Asked
    /// at every step of a search on a restricted network, so hashed by a multiply, not SipHash.
    pub turns: crate::hash::IdSet<(usize, NodeIndex, usize)>,
    /// Nodes where a single road ends (the only place a vehicle may turn back).
    dead_ends: Vec<bool>,
    /// Whether `edges` are in the order of their route ids (as read from the database), so that
    /// a route's edge is found by bisection.
    by_route_id: bool,
    /// Landmarks for one-to-one searches, once computed (in the background after a build:
    /// until then a route is a plain Dijkstra search).
    pub landmarks: std::sync::OnceLock<super::landmarks::Landmarks>,
}

/// A turn restriction as read from the database.
#[derive(Debug, Clone)]
pub struct TurnRow {
    /// One of `TURN_KINDS`.
    pub kind: String,
    /// `route.id` the turn comes from.
    pub from_route: i64,
    /// `route.id` it goes into.
    pub to_route: i64,
    /// At the from road's last vertex (Some(true)), first (Some(false)), or where they meet.
    pub at_end: Option<bool>,
}

/// A road as read from the database.
#[derive(Debug, Clone)]
pub struct RoadRow {
    /// `route.id`.
    pub id: i64,
    /// km/h.
    pub speed_kmh: f64,
    /// One-way in drawing direction.
    pub oneway: bool,
    /// Hazardous goods allowed.
    pub hazmat_allowed: bool,
    /// Vertices, lon/lat.
    pub line: LineString<f64>,
}

/// Node identity: coordinates to 1e-7 degree (about 1 cm).
/// The `route` rows of `kind` as graph rows: roads as they are; rivers one-way in flow
/// direction at their flow speed, open to every load.
pub async fn rows(pool: &PgPool, kind: &str) -> Result<Vec<RoadRow>> {
    let rows: Vec<(i64, f64, bool, bool, String)> = sqlx::query_as(
        "SELECT id, CASE WHEN kind = 'river' THEN flow_speed_ms * 3.6 ELSE speed_kmh END, \
           kind = 'river' OR oneway, kind = 'river' OR hazmat_allowed, ST_AsGeoJSON(geom, 15) \
         FROM route WHERE kind = $1 ORDER BY id",
    )
    .bind(kind)
    .fetch_all(pool)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for (id, speed_kmh, oneway, hazmat_allowed, geojson) in rows {
        if let geo::Geometry::LineString(line) = crate::layers::geometry_from_geojson(&geojson)? {
            out.push(RoadRow { id, speed_kmh, oneway, hazmat_allowed, line });
        }
    }
    Ok(out)
}

fn key(c: Coord<f64>) -> (i64, i64) {
    ((c.x * 1e7).round() as i64, (c.y * 1e7).round() as i64)
}

impl RoadGraph {
    /// Reads every road of the `route` table, and the turn restrictions between them.
    pub async fn load(pool: &PgPool) -> Result<Self> {
        let turns: Vec<(String, i64, i64, Option<String>)> =
            sqlx::query_as("SELECT kind, from_route_id, to_route_id, via FROM turn_restriction ORDER BY id")
                .fetch_all(pool)
                .await?;
        let turns = turns
            .into_iter()
            .map(|(kind, from_route, to_route, via)| TurnRow {
                kind,
                from_route,
                to_route,
                at_end: via.map(|v| v == "end"),
            })
            .collect::<Vec<_>>();
        let mut graph = Self::build(rows(pool, "road").await?);
        let ignored = graph.restrict(&turns);
        if ignored > 0 {
            tracing::warn!(ignored, "turn restrictions between roads that do not meet are ignored");
        }
        Ok(graph)
    }

    /// Applies turn restrictions; returns how many could not be (roads unknown or not meeting).
    pub fn restrict(&mut self, turns: &[TurnRow]) -> usize {
        let by_route: HashMap<i64, usize> = self.edges.iter().enumerate().map(|(i, e)| (e.route_id, i)).collect();
        let mut ignored = 0;
        for t in turns {
            let (Some(&from), Some(&to)) = (by_route.get(&t.from_route), by_route.get(&t.to_route)) else {
                ignored += 1;
                continue;
            };
            let (f, g) = (self.edges[from].ends, self.edges[to].ends);
            let touches = |n: NodeIndex| g.0 == n || g.1 == n;
            let node = match t.at_end {
                Some(true) => Some(f.1).filter(|n| touches(*n)),
                Some(false) => Some(f.0).filter(|n| touches(*n)),
                None if touches(f.1) && !touches(f.0) => Some(f.1),
                None if touches(f.0) && !touches(f.1) => Some(f.0),
                None => None,
            };
            let Some(node) = node else {
                ignored += 1;
                continue;
            };
            if t.kind.starts_with("only_") {
                // Every other way on is forbidden.
                let others: Vec<usize> = self
                    .graph
                    .edges_directed(node, petgraph::Direction::Outgoing)
                    .map(|a| a.weight().edge)
                    .filter(|&e| e != to)
                    .collect();
                for other in others {
                    self.turns.insert((from, node, other));
                }
            } else {
                self.turns.insert((from, node, to));
            }
        }
        ignored
    }

    /// Whether arriving at `node` by edge `from` one may leave by edge `to`: not a restricted
    /// turn, and not back along the same road except at a dead end (where nothing else is
    /// possible). Only searches on a network with turn restrictions ask.
    pub fn may_turn(&self, from: usize, node: NodeIndex, to: usize) -> bool {
        if from == to && !self.dead_ends[node.index()] {
            return false;
        }
        !self.turns.contains(&(from, node, to))
    }

    /// Builds the graph from roads.
    pub fn build(roads: Vec<RoadRow>) -> Self {
        let mut graph = DiGraph::with_capacity(roads.len(), roads.len() * 2);
        let mut nodes: HashMap<(i64, i64), NodeIndex> = HashMap::with_capacity(roads.len());
        let mut edges = Vec::with_capacity(roads.len());
        let mean_lat =
            if roads.is_empty() { 0.0 } else { roads.iter().map(|r| r.line.0[0].y).sum::<f64>() / roads.len() as f64 };
        let x_scale = mean_lat.to_radians().cos();
        let mut node = |graph: &mut DiGraph<Coord<f64>, Arc>, c: Coord<f64>| {
            *nodes.entry(key(c)).or_insert_with(|| graph.add_node(c))
        };
        for road in roads {
            let (first, last) = (road.line.0[0], *road.line.0.last().expect("a line has points"));
            let (a, b) = (node(&mut graph, first), node(&mut graph, last));
            let metres = Geodesic.length(&road.line);
            let index = edges.len();
            graph.add_edge(a, b, Arc { edge: index, forward: true });
            if !road.oneway {
                graph.add_edge(b, a, Arc { edge: index, forward: false });
            }
            edges.push(Edge {
                route_id: road.id,
                metres,
                seconds: metres / (road.speed_kmh / 3.6),
                oneway: road.oneway,
                hazmat_allowed: road.hazmat_allowed,
                line: road.line,
                ends: (a, b),
            });
        }
        let segments = edges
            .iter()
            .enumerate()
            .flat_map(|(e, edge)| {
                edge.line.0.windows(2).enumerate().map(move |(s, w)| {
                    let p = |c: Coord<f64>| [c.x * x_scale, c.y];
                    GeomWithData::new(Line::new(p(w[0]), p(w[1])), (e, s))
                })
            })
            .collect();
        let nodes = nodes.into_iter().collect();
        let by_route_id = edges.windows(2).all(|w| w[0].route_id < w[1].route_id);
        let dead_ends = graph
            .node_indices()
            .map(|n| {
                let mut roads = graph
                    .edges_directed(n, petgraph::Direction::Outgoing)
                    .chain(graph.edges_directed(n, petgraph::Direction::Incoming))
                    .map(|a| a.weight().edge);
                let first = roads.next();
                roads.all(|e| Some(e) == first)
            })
            .collect();
        Self {
            dead_ends,
            by_route_id,
            graph,
            edges,
            segments: RTree::bulk_load(segments),
            x_scale,
            nodes,
            snaps: Default::default(),
            turns: Default::default(),
            landmarks: Default::default(),
        }
    }

    /// The edge of route `id`, if it is in the network.
    pub fn edge_of_route(&self, id: i64) -> Option<usize> {
        if self.by_route_id {
            self.edges.binary_search_by_key(&id, |e| e.route_id).ok()
        } else {
            self.edges.iter().position(|e| e.route_id == id)
        }
    }

    /// The node at exactly these coordinates (to 1 cm), if any.
    pub fn node_at(&self, c: Coord<f64>) -> Option<NodeIndex> {
        self.nodes.get(&key(c)).copied()
    }

    /// Computes the landmarks if not yet done (seconds of work on a country's network).
    pub fn prepare_landmarks(&self) {
        let two_way = self.edges.iter().all(|e| !e.oneway);
        let seconds = |a: &Arc| self.edges[a.edge].seconds;
        if self.landmarks.get().is_none()
            && let Some(l) =
                super::landmarks::Landmarks::compute(&self.graph, seconds, two_way, super::landmarks::LANDMARKS)
        {
            let _ = self.landmarks.set(l);
        }
    }

    /// Number of nodes and of directed arcs.
    pub fn size(&self) -> (usize, usize) {
        (self.graph.node_count(), self.graph.edge_count())
    }
}
