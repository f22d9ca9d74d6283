//! The road network as a directed graph: one edge per `route` row of kind road (its two end
//! vertices are the nodes; rows meet where their ends share coordinates), travel time from the
//! geodesic length and the speed, one-way rows only in drawing direction.

use std::collections::HashMap;

use anyhow::Result;
use futures_util::TryStreamExt;
use geo::{Coord, Distance, Geodesic, LineString, Point};
use petgraph::graph::{DiGraph, NodeIndex};
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
    /// Its line's vertices in `RoadGraph::points` (see [`RoadGraph::line`]).
    points: std::ops::Range<u32>,
    /// First and last node.
    pub ends: (NodeIndex, NodeIndex),
}

/// A way through an edge: `forward` follows the drawing direction. Eight bytes: a country's
/// network has two million.
#[derive(Debug, Clone, Copy)]
pub struct Arc {
    edge: u32,
    /// Along the drawing direction.
    pub forward: bool,
}

impl Arc {
    /// The way through edge `edge` (an index into `RoadGraph::edges`).
    pub fn new(edge: usize, forward: bool) -> Self {
        Self { edge: u32::try_from(edge).expect("fewer than 2³² edges"), forward }
    }

    /// Index into `RoadGraph::edges`.
    pub fn edge(self) -> usize {
        self.edge as usize
    }
}

/// The network, its nodes' positions, and an index of its segments for snapping.
pub struct RoadGraph {
    /// Nodes weigh their lon/lat; arcs their edge and direction.
    pub graph: DiGraph<Coord<f64>, Arc>,
    /// The edges.
    pub edges: Vec<Edge>,
    /// Every edge's line, one after another (one allocation, not one an edge).
    points: Vec<Coord<f64>>,
    /// Edges' bounding boxes in a local equirectangular plane (x scaled by `x_scale`), for
    /// nearest queries: one entry an edge, not a segment (half the memory, and built faster).
    pub boxes: crate::geodesy::boxes::Boxes,
    /// cos(mean latitude): makes degrees of longitude comparable to degrees of latitude.
    pub x_scale: f64,
    /// Snaps of fixed points (depots, teams) with every edge usable, by (lon, lat, limit) bits:
    /// they do not change while this graph lives, and they are most of a small query's work.
    pub(super) snaps: std::sync::RwLock<HashMap<(u64, u64, u64), Option<super::Snap>>>,
    /// Forbidden turns. Empty: every turn allowed.
    pub turns: super::turns::Turns,
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
    let mut out = Vec::new();
    each_row(pool, kind, |row| out.push(row)).await?;
    Ok(out)
}

/// Hands each `route` row of `kind` to `f`, row by row, geometries read as WKB (a million
/// roads in about a second).
async fn each_row(pool: &PgPool, kind: &str, mut f: impl FnMut(RoadRow)) -> Result<()> {
    let mut rows = sqlx::query_as::<_, (i64, f64, bool, bool, Vec<u8>)>(
        "SELECT id, CASE WHEN kind = 'river' THEN flow_speed_ms * 3.6 ELSE speed_kmh END, \
           kind = 'river' OR oneway, kind = 'river' OR hazmat_allowed, ST_AsBinary(geom, 'NDR') \
         FROM route WHERE kind = $1 ORDER BY id",
    )
    .bind(kind)
    .fetch(pool);
    while let Some((id, speed_kmh, oneway, hazmat_allowed, wkb)) = rows.try_next().await? {
        if let geo::Geometry::LineString(line) = crate::layers::wkb::geometry_from_wkb(&wkb)? {
            f(RoadRow { id, speed_kmh, oneway, hazmat_allowed, line });
        }
    }
    Ok(())
}

fn key(c: Coord<f64>) -> (i64, i64) {
    ((c.x * 1e7).round() as i64, (c.y * 1e7).round() as i64)
}

/// Builds a graph road by road, so that the rows read from the database are never all held
/// beside the graph (a million small allocations freed stay resident).
#[derive(Default)]
struct Builder {
    graph: DiGraph<Coord<f64>, Arc>,
    /// Node identity while building only (afterwards the boxes find a node).
    nodes: HashMap<(i64, i64), NodeIndex>,
    edges: Vec<Edge>,
    /// Each edge's speed, metres a second (its time waits for its length, measured in `finish`).
    speeds: Vec<f64>,
    points: Vec<Coord<f64>>,
    first_latitudes: f64,
}

/// The vertices of `edge` among `points`.
fn vertices<'a>(points: &'a [Coord<f64>], edge: &Edge) -> &'a [Coord<f64>] {
    &points[edge.points.start as usize..edge.points.end as usize]
}

impl Builder {
    fn add(&mut self, id: i64, speed_kmh: f64, oneway: bool, hazmat_allowed: bool, line: &[Coord<f64>]) {
        let graph = &mut self.graph;
        let mut node = |c: Coord<f64>| *self.nodes.entry(key(c)).or_insert_with(|| graph.add_node(c));
        let (a, b) = (node(line[0]), node(line[line.len() - 1]));
        let index = self.edges.len();
        graph.add_edge(a, b, Arc::new(index, true));
        if !oneway {
            graph.add_edge(b, a, Arc::new(index, false));
        }
        let start = u32::try_from(self.points.len()).expect("fewer than 2³² vertices");
        self.edges.push(Edge {
            route_id: id,
            // Measured in `finish`, on every core: the geodesic is a third of a build's work.
            metres: 0.0,
            seconds: 0.0,
            oneway,
            hazmat_allowed,
            points: start..start + line.len() as u32,
            ends: (a, b),
        });
        self.speeds.push(speed_kmh / 3.6);
        self.points.extend_from_slice(line);
        self.first_latitudes += line[0].y;
    }

    fn finish(self) -> RoadGraph {
        let Self { graph, nodes, mut edges, speeds, mut points, first_latitudes } = self;
        drop(nodes);
        let (graph, renumbered) = super::layout::laid_out(graph);
        for edge in &mut edges {
            edge.ends = (renumbered(edge.ends.0), renumbered(edge.ends.1));
        }
        edges.shrink_to_fit();
        points.shrink_to_fit();
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let chunk = edges.len().div_ceil(threads).max(1);
        std::thread::scope(|scope| {
            for (part, speeds) in edges.chunks_mut(chunk).zip(speeds.chunks(chunk)) {
                let points = &points;
                scope.spawn(move || {
                    for (e, speed) in part.iter_mut().zip(speeds) {
                        let line = vertices(points, e);
                        let metres =
                            line.windows(2).fold(0.0, |sum, w| sum + Geodesic.distance(Point(w[0]), Point(w[1])));
                        (e.metres, e.seconds) = (metres, metres / speed);
                    }
                });
            }
        });
        let mean_lat = if edges.is_empty() { 0.0 } else { first_latitudes / edges.len() as f64 };
        let x_scale = mean_lat.to_radians().cos();
        let boxes = edges
            .iter()
            .enumerate()
            .map(|(e, edge)| {
                let (mut min, mut max) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
                for c in vertices(&points, edge) {
                    let p = [c.x * x_scale, c.y];
                    min = [min[0].min(p[0]), min[1].min(p[1])];
                    max = [max[0].max(p[0]), max[1].max(p[1])];
                }
                (min, max, e as u32)
            })
            .collect();
        let by_route_id = edges.windows(2).all(|w| w[0].route_id < w[1].route_id);
        let dead_ends = graph
            .node_indices()
            .map(|n| {
                let mut roads = graph
                    .edges_directed(n, petgraph::Direction::Outgoing)
                    .chain(graph.edges_directed(n, petgraph::Direction::Incoming))
                    .map(|a| a.weight().edge());
                let first = roads.next();
                roads.all(|e| Some(e) == first)
            })
            .collect();
        RoadGraph {
            dead_ends,
            by_route_id,
            graph,
            edges,
            points,
            boxes: crate::geodesy::boxes::Boxes::new(boxes),
            x_scale,
            snaps: Default::default(),
            turns: Default::default(),
            landmarks: Default::default(),
        }
    }
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
        let mut builder = Builder::default();
        each_row(pool, "road", |row| builder.add(row.id, row.speed_kmh, row.oneway, row.hazmat_allowed, &row.line.0))
            .await?;
        let mut graph = builder.finish();
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
                    .map(|a| a.weight().edge())
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
        let mut builder = Builder::default();
        for road in roads {
            builder.add(road.id, road.speed_kmh, road.oneway, road.hazmat_allowed, &road.line.0);
        }
        builder.finish()
    }

    /// The line of edge `edge` in drawing direction, lon/lat.
    pub fn line(&self, edge: usize) -> &[Coord<f64>] {
        vertices(&self.points, &self.edges[edge])
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
        let wanted = key(c);
        // Coordinates within a centimetre are the same node: look a little around the point.
        let (x, y, near) = (c.x * self.x_scale, c.y, 1e-6);
        self.boxes.within([x - near, y - near], [x + near, y + near]).find_map(|edge| {
            let (a, z) = self.edges[edge as usize].ends;
            [a, z].into_iter().find(|n| key(self.graph[*n]) == wanted)
        })
    }

    /// Computes the landmarks if not yet done (seconds of work on a country's network).
    pub fn prepare_landmarks(&self) {
        let two_way = self.edges.iter().all(|e| !e.oneway);
        let seconds = |a: &Arc| self.edges[a.edge()].seconds;
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
