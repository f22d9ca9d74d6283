//! Tracing a spill along the river network: downstream (where it goes, and when it arrives) or
//! upstream (where pollution seen at a point could have come from, and how long before).
//!
//! Rivers are `route` rows of kind river, drawn in flow direction, each an edge between its end
//! vertices (split at confluences), travelled at its `flow_speed_ms`. A trace is one time-bounded
//! search from the snapped point, forwards (downstream) or backwards (upstream); each reached
//! edge is returned as far as the time allows, with the time at every vertex.

use geo::{Coord, Distance, Geodesic, LineString, Point};
use petgraph::Direction;
use petgraph::graph::NodeIndex;
use petgraph::visit::EdgeRef;
use sqlx::PgPool;

use crate::routing::bounded::Bounded;
use crate::routing::graph::RoadGraph;
use crate::routing::snap::Snap;
#[cfg(test)]
use crate::routing::{graph::RoadRow, rivers::split_at_mouths};

/// Which way to follow the water.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    /// Where the spill goes.
    Downstream,
    /// Where pollution came from.
    Upstream,
}

/// A piece of river reached, in flow direction, with the hours at each vertex (downstream:
/// since the spill; upstream: before the pollution reached the point) and the distance along
/// the river from the point at each vertex.
#[derive(Debug, Clone)]
pub struct Reach {
    /// `route.id` of the river row.
    pub route_id: i64,
    /// The reached part, in flow direction.
    pub line: LineString<f64>,
    /// Hours at each vertex of `line`.
    pub hours: Vec<f64>,
    /// Metres along the river from the point, at each vertex of `line`.
    pub metres: Vec<f64>,
}

/// Follows the water from `start` for at most `hours`.
pub fn trace(graph: &RoadGraph, start: &Snap, hours: f64, way: Way) -> Vec<Reach> {
    let limit = hours * 3600.0;
    let e = &graph.edges[start.edge];
    let f = start.fraction(graph);
    let mut reaches = Vec::new();
    // The start edge: from the point on, in the direction of travel.
    let (from_m, to_m) = match way {
        Way::Downstream => (f * e.metres, e.metres),
        Way::Upstream => (f * e.metres, 0.0),
    };
    reaches.extend(piece(graph, start.edge, from_m, to_m, 0.0, 0.0, limit));
    let (first, first_s, first_m) = match way {
        Way::Downstream => (e.ends.1, (1.0 - f) * e.seconds, (1.0 - f) * e.metres),
        Way::Upstream => (e.ends.0, f * e.seconds, f * e.metres),
    };
    let direction = match way {
        Way::Downstream => Direction::Outgoing,
        Way::Upstream => Direction::Incoming,
    };
    let mut search: Bounded<NodeIndex, ()> = Bounded::new(limit);
    search.offer(first, first_s, first_m, ());
    search.run(|search, node, label| {
        for arc in graph.graph.edges_directed(node, direction) {
            let index = arc.weight().edge();
            let edge = &graph.edges[index];
            let (from_m, to_m) = match way {
                Way::Downstream => (0.0, edge.metres),
                Way::Upstream => (edge.metres, 0.0),
            };
            reaches.extend(piece(graph, index, from_m, to_m, label.seconds, label.metres, limit));
            let next = if way == Way::Downstream { arc.target() } else { arc.source() };
            search.offer(next, label.seconds + edge.seconds, label.metres + edge.metres, ());
        }
    });
    // Each node is expanded once, with its final time, so each edge appears once (the start
    // edge may appear again when the river loops back to it).
    let first_hour = |r: &Reach| r.hours.iter().copied().fold(f64::INFINITY, f64::min);
    reaches.sort_by(|a, b| first_hour(a).total_cmp(&first_hour(b)));
    reaches
}

/// The part of edge `index` travelled from `from_m` towards `to_m` (metres from its first
/// vertex), entered `s0` seconds and `m0` metres from the point, cut where `limit` runs out;
/// returned in flow direction.
fn piece(graph: &RoadGraph, index: usize, from_m: f64, to_m: f64, s0: f64, m0: f64, limit: f64) -> Option<Reach> {
    let edge = &graph.edges[index];
    if s0 > limit || edge.metres <= 0.0 {
        return None;
    }
    let speed = edge.metres / edge.seconds; // metres per second
    let reach_m = ((limit - s0) * speed).min((to_m - from_m).abs());
    let end_m = if to_m >= from_m { from_m + reach_m } else { from_m - reach_m };
    let (lo, hi) = (from_m.min(end_m), from_m.max(end_m));
    // Vertices of the line between lo and hi, with their distance from the first vertex.
    let mut points: Vec<(Coord<f64>, f64)> = Vec::new();
    let mut at = 0.0;
    let line = graph.line(index);
    for w in line.windows(2) {
        let len = Geodesic.distance(Point(w[0]), Point(w[1]));
        let point_at = |d: f64| {
            let t = if len > 0.0 { ((d - at) / len).clamp(0.0, 1.0) } else { 0.0 };
            Coord { x: w[0].x + t * (w[1].x - w[0].x), y: w[0].y + t * (w[1].y - w[0].y) }
        };
        if points.is_empty() && at + len >= lo {
            points.push((point_at(lo), lo));
        }
        if !points.is_empty() {
            if at + len >= hi {
                points.push((point_at(hi), hi));
                break;
            }
            points.push((w[1], at + len));
        }
        at += len;
    }
    if points.len() < 2 {
        return None;
    }
    // Time and distance from the point grow away from `from_m`.
    let hours = points.iter().map(|(_, d)| (s0 + (d - from_m).abs() / speed) / 3600.0).collect();
    let metres = points.iter().map(|(_, d)| m0 + (d - from_m).abs()).collect();
    Some(Reach { route_id: edge.route_id, line: LineString(points.into_iter().map(|p| p.0).collect()), hours, metres })
}

/// Where a point is closest to the traced reaches: (index of the reach, hours, metres along the
/// river, distance from the river in metres), if within `max_m`.
pub fn locate(reaches: &[Reach], at: Coord<f64>, max_m: f64) -> Option<(usize, f64, f64, f64)> {
    let mut best: Option<(usize, f64, f64, f64)> = None;
    for (i, r) in reaches.iter().enumerate() {
        for (j, w) in r.line.0.windows(2).enumerate() {
            // Projection in a local equirectangular frame, distance geodesic.
            let k = at.y.to_radians().cos();
            let (dx, dy) = ((w[1].x - w[0].x) * k, w[1].y - w[0].y);
            let len2 = dx * dx + dy * dy;
            let t = if len2 > 0.0 {
                (((at.x - w[0].x) * k * dx + (at.y - w[0].y) * dy) / len2).clamp(0.0, 1.0)
            } else {
                0.0
            };
            let p = Coord { x: w[0].x + t * (w[1].x - w[0].x), y: w[0].y + t * (w[1].y - w[0].y) };
            let d = Geodesic.distance(Point(at), Point(p));
            if d <= max_m && best.is_none_or(|b| d < b.3) {
                let hours = r.hours[j] + t * (r.hours[j + 1] - r.hours[j]);
                let metres = r.metres[j] + t * (r.metres[j + 1] - r.metres[j]);
                best = Some((i, hours, metres, d));
            }
        }
    }
    best
}

/// A row near the traced reaches: where along the river it is closest.
#[derive(Debug, Clone)]
pub struct Along {
    /// Row id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// The value of the column asked for (kind, grade).
    pub about: Option<String>,
    /// Hours of flow from the start to its nearest point.
    pub hours: f64,
    /// Metres along the river.
    pub metres: f64,
    /// Metres from the river.
    pub off_m: f64,
    /// Where it is.
    pub at: Coord<f64>,
}

/// Rows of `table` (from the catalogue, never a request) within `near` metres of the reaches,
/// each with `about` and where along the river it is, in order of arrival.
pub async fn along_reaches(
    pool: &PgPool,
    reaches: &[Reach],
    table: &str,
    about: &str,
    near: f64,
) -> sqlx::Result<Vec<Along>> {
    if reaches.is_empty() {
        return Ok(Vec::new());
    }
    let wkt = format!(
        "MULTILINESTRING({})",
        reaches
            .iter()
            .map(|r| format!("({})", r.line.0.iter().map(|c| format!("{} {}", c.x, c.y)).collect::<Vec<_>>().join(",")))
            .collect::<Vec<_>>()
            .join(",")
    );
    // id, name, about, the closest point on the river, a point of the row.
    type Row = (i64, String, Option<String>, f64, f64, f64, f64);
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "WITH reach AS (SELECT ST_GeomFromText($1, 4326) AS g) \
         SELECT t.id, t.name, t.{about}::text, ST_X(p), ST_Y(p), ST_X(ST_PointOnSurface(t.geom)), ST_Y(ST_PointOnSurface(t.geom)) \
           FROM {table} t, reach, LATERAL ST_ClosestPoint(t.geom, reach.g) AS p \
         WHERE t.geom && ST_Expand(reach.g, $2 / 90000.0) AND ST_DWithin(t.geom::geography, reach.g::geography, $2)"
    )))
    .bind(&wkt)
    .bind(near)
    .fetch_all(pool)
    .await?;
    let mut found: Vec<Along> = rows
        .into_iter()
        .filter_map(|(id, name, about, x, y, ax, ay)| {
            // Tolerance: PostGIS and the local projection measure a few centimetres apart.
            let (_, hours, metres, off_m) = locate(reaches, Coord { x, y }, near + 1.0)?;
            Some(Along { id, name, about, hours, metres, off_m, at: Coord { x: ax, y: ay } })
        })
        .collect();
    found.sort_by(|a, b| a.hours.total_cmp(&b.hours).then(a.id.cmp(&b.id)));
    Ok(found)
}

/// Receptors (downstream) or risk sources (upstream) within `near` metres of the reaches, each
/// with the hours and metres along the river where it is closest; intakes first, then by time.
pub async fn near_reaches(pool: &PgPool, reaches: &[Reach], way: Way, near: f64) -> sqlx::Result<Vec<Met>> {
    let (table, about) = match way {
        Way::Downstream => ("receptor", "kind"),
        Way::Upstream => ("risk_source", "grade"),
    };
    let mut found = along_reaches(pool, reaches, table, about, near).await?;
    // Stable: by time within each group.
    found.sort_by_key(|a| a.about.as_deref() != Some("water_intake"));
    Ok(found
        .into_iter()
        .map(|a| Met {
            id: a.id,
            name: a.name,
            about: if about == "kind" { About::Kind(a.about) } else { About::Grade(a.about) },
            hours: (a.hours * 1000.0).round() / 1000.0,
            minutes: crate::routing::route::tenth(a.hours * 60.0),
            metres_along: a.metres.round(),
            distance_m: crate::routing::route::tenth(a.off_m),
        })
        .collect())
}

/// The river `reaches` widened by `buffer_m` either side, as GeoJSON MultiPolygon text (the
/// area a warning along a spill's course covers); None when no reach has a line.
pub async fn corridor(pool: &PgPool, reaches: &[Reach], buffer_m: f64) -> sqlx::Result<Option<String>> {
    let lines: Vec<String> = reaches
        .iter()
        .filter(|r| r.line.0.len() >= 2)
        .map(|r| format!("({})", r.line.0.iter().map(|c| format!("{} {}", c.x, c.y)).collect::<Vec<_>>().join(",")))
        .collect();
    if lines.is_empty() {
        return Ok(None);
    }
    sqlx::query_scalar(
        "SELECT ST_AsGeoJSON(ST_Multi(ST_Buffer(ST_GeomFromText($1, 4326)::geography, $2)::geometry), 9)",
    )
    .bind(format!("MULTILINESTRING({})", lines.join(",")))
    .bind(buffer_m)
    .fetch_one(pool)
    .await
    .map(Some)
}

/// Where a point given was put on the rivers.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Snapped {
    /// The point given, lon/lat.
    pub point: [f64; 2],
    /// The nearest point of a river.
    pub snapped: [f64; 2],
    /// How far apart, metres (to 0.1).
    pub snap_distance_m: f64,
    /// The river's `route.id`.
    pub route_id: i64,
}

impl Snapped {
    /// `at` put on the rivers of `rivers` at `start`.
    pub fn of(rivers: &RoadGraph, at: Coord<f64>, start: &Snap) -> Self {
        Self {
            point: [at.x, at.y],
            snapped: [start.point.x, start.point.y],
            snap_distance_m: crate::routing::route::tenth(start.distance_m),
            route_id: rivers.edges[start.edge].route_id,
        }
    }
}

/// A receptor (downstream) or a risk source (upstream) the trace meets.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Met {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// A receptor's kind, or a risk source's grade.
    #[serde(flatten)]
    pub about: About,
    /// Hours of flow from the spill (to 0.001).
    pub hours: f64,
    /// The same in minutes (to 0.1).
    pub minutes: f64,
    /// Metres along the river.
    pub metres_along: f64,
    /// Metres from the river.
    pub distance_m: f64,
}

/// What is said of a row met: a receptor's `kind` or a risk source's `grade`.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub enum About {
    /// A receptor's kind.
    #[serde(rename = "kind")]
    Kind(Option<String>),
    /// A risk source's grade.
    #[serde(rename = "grade")]
    Grade(Option<String>),
}

impl About {
    /// The kind or the grade.
    pub fn value(&self) -> Option<&str> {
        match self {
            About::Kind(v) | About::Grade(v) => v.as_deref(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Y: two tributaries (A→C, B→C) join into a main river C→D; 1 m/s, ~1.1 km per 0.01°.
    fn y_network() -> RoadGraph {
        let row = |id: i64, a: (f64, f64), b: (f64, f64)| RoadRow {
            id,
            speed_kmh: 3.6,
            oneway: true,
            hazmat_allowed: true,
            line: LineString(vec![Coord { x: a.0, y: a.1 }, Coord { x: b.0, y: b.1 }]),
        };
        RoadGraph::build(vec![
            row(1, (0.0, 0.02), (0.01, 0.01)),
            row(2, (0.02, 0.02), (0.01, 0.01)),
            row(3, (0.01, 0.01), (0.01, 0.0)),
        ])
    }

    #[test]
    fn downstream_follows_the_confluence_and_not_the_other_tributary() {
        let g = y_network();
        let start = g.snap(Coord { x: 0.005, y: 0.015 }, 1000.0, &|_| true).unwrap();
        let reaches = trace(&g, &start, 10.0, Way::Downstream);
        let ids: Vec<i64> = reaches.iter().map(|r| r.route_id).collect();
        assert_eq!(ids, [1, 3]);
        // Time grows along the flow at 1 m/s: hours = metres / 3600.
        for r in &reaches {
            for (h, m) in r.hours.iter().zip(&r.metres) {
                assert!((h * 3600.0 - m).abs() < 1e-6);
            }
        }
        let main = reaches.iter().find(|r| r.route_id == 3).unwrap();
        let full = g.edges[2].metres;
        let half_first = g.edges[0].metres / 2.0;
        assert!((main.metres.last().unwrap() - (half_first + full)).abs() < 1.0);
    }

    #[test]
    fn the_time_limit_cuts_the_reach_mid_river() {
        let g = y_network();
        let start = g.snap(Coord { x: 0.0, y: 0.02 }, 1000.0, &|_| true).unwrap();
        let reaches = trace(&g, &start, 0.1, Way::Downstream);
        let last = reaches.iter().flat_map(|r| r.metres.iter()).copied().fold(0.0, f64::max);
        assert!((last - 360.0).abs() < 1e-6, "{last}");
    }

    #[test]
    fn a_tributary_ending_inside_a_river_flows_on() {
        let row = |id: i64, points: Vec<(f64, f64)>| RoadRow {
            id,
            speed_kmh: 3.6,
            oneway: true,
            hazmat_allowed: true,
            line: LineString::from(points),
        };
        // The main river 1 runs west to east through (0.01, 0); tributary 2 ends there.
        let rivers = split_at_mouths(vec![
            row(1, vec![(0.0, 0.0), (0.01, 0.0), (0.02, 0.0)]),
            row(2, vec![(0.01, 0.01), (0.01, 0.0)]),
        ]);
        assert_eq!(rivers.len(), 3);
        let g = RoadGraph::build(rivers);
        let start = g.snap(Coord { x: 0.01, y: 0.005 }, 1000.0, &|_| true).unwrap();
        let ids: Vec<i64> = trace(&g, &start, 10.0, Way::Downstream).iter().map(|r| r.route_id).collect();
        assert_eq!(ids, [2, 1], "down the tributary, then the east half of the main river only");
        let east = trace(&g, &start, 10.0, Way::Downstream);
        assert!(east[1].line.0.iter().all(|c| c.x >= 0.01 - 1e-12));
    }

    #[test]
    fn upstream_finds_both_tributaries() {
        let g = y_network();
        let start = g.snap(Coord { x: 0.01, y: 0.005 }, 1000.0, &|_| true).unwrap();
        let reaches = trace(&g, &start, 10.0, Way::Upstream);
        let mut ids: Vec<i64> = reaches.iter().map(|r| r.route_id).collect();
        ids.sort();
        assert_eq!(ids, [1, 2, 3]);
        // A point on tributary 2 lies upstream by its distance along the river.
        let (_, hours, metres, off) = locate(&reaches, Coord { x: 0.02, y: 0.02 }, 100.0).unwrap();
        assert!(off < 1.0 && (hours * 3600.0 - metres).abs() < 1e-6);
        assert!((metres - (g.edges[2].metres / 2.0 + g.edges[1].metres)).abs() < 1.0);
    }
}
