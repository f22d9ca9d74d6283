//! Routing that is right at every junction: on real OpenStreetMap networks (Helsinki, Monaco)
//! depots, teams and incidents placed exactly on junctions where one-way streets meet, a few
//! decimetres off a junction, at dead ends and in the middle of one-way and two-way edges get
//! the travel times pgRouting's `pgr_withPointsCost` gives on the same rows.

mod common;

use std::collections::BTreeMap;

use common::testing::database;
use geo::Coord;
use onemap::auth::Actor;
use onemap::routing::search::nearest;
use onemap::routing::{RoadGraph, Snap};
use sqlx::PgPool;

/// A place of the test: where it is, and what pgRouting calls it (from SQL, not from onemap).
#[derive(Debug, Clone)]
struct Place {
    label: &'static str,
    at: Coord<f64>,
    reference: Reference,
}

/// pgRouting's name of a snapped place: a vertex, or a point on an edge (route id, fraction).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Reference {
    Vertex(i64),
    Point(i64, f64),
}

fn pick<T: Clone>(items: &[T], n: usize, seed: u64) -> Vec<T> {
    let mut random = onemap::random::Random(seed);
    let mut out = Vec::new();
    let mut pool: Vec<T> = items.to_vec();
    while out.len() < n && !pool.is_empty() {
        let i = random.below(pool.len() as u64) as usize;
        out.push(pool.swap_remove(i));
    }
    out
}

async fn places(pool: &PgPool) -> Vec<Place> {
    // Vertices with their degree and whether a one-way row meets there.
    let vertices: Vec<(i64, f64, f64, i64, bool)> = sqlx::query_as(
        "WITH ends AS (SELECT source AS v, sx AS x, sy AS y, reverse_cost < 0 AS oneway FROM pgr_edges \
                       UNION ALL SELECT target, tx, ty, reverse_cost < 0 FROM pgr_edges) \
         SELECT v, min(x), min(y), count(*), bool_or(oneway) FROM ends GROUP BY v ORDER BY v",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let place = |label, v: &(i64, f64, f64, i64, bool), north_m: f64| Place {
        label,
        at: Coord { x: v.1, y: v.2 + north_m / 111_320.0 },
        reference: Reference::Vertex(v.0),
    };
    let one_way_junctions: Vec<_> = vertices.iter().filter(|v| v.3 >= 3 && v.4).cloned().collect();
    let junctions: Vec<_> = vertices.iter().filter(|v| v.3 >= 3 && !v.4).cloned().collect();
    let dead_ends: Vec<_> = vertices.iter().filter(|v| v.3 == 1).cloned().collect();
    assert!(one_way_junctions.len() >= 20 && dead_ends.len() >= 5, "{} {}", one_way_junctions.len(), dead_ends.len());
    let mut out = Vec::new();
    out.extend(pick(&one_way_junctions, 30, 1).iter().map(|v| place("junction with one-way streets", v, 0.0)));
    out.extend(pick(&junctions, 10, 2).iter().map(|v| place("junction", v, 0.0)));
    out.extend(pick(&dead_ends, 10, 3).iter().map(|v| place("dead end", v, 0.0)));
    // 0.4 m north of a junction: within the tolerance, so at the junction.
    out.extend(pick(&one_way_junctions, 10, 4).iter().map(|v| place("0.4 m off a junction", v, 0.4)));
    // 37 % of the way along a row (by PostGIS's geodesic length, pgRouting's fraction).
    let middles: Vec<(i64, f64, f64, f64, bool)> = sqlx::query_as(
        "SELECT id, ST_X(p), ST_Y(p), ST_Length(ST_LineSubstring(geom, 0, 0.37)::geography) / ST_Length(geom::geography), oneway \
         FROM (SELECT id, geom, ST_LineInterpolatePoint(geom, 0.37) AS p, oneway FROM route \
               WHERE kind = 'road' AND ST_Length(geom::geography) > 20) m ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let (one_way, two_way): (Vec<_>, Vec<_>) = middles.into_iter().partition(|m| m.4);
    let middle = |label, m: &(i64, f64, f64, f64, bool)| Place {
        label,
        at: Coord { x: m.1, y: m.2 },
        reference: Reference::Point(m.0, m.3),
    };
    out.extend(pick(&one_way, 15, 5).iter().map(|m| middle("mid one-way edge", m)));
    out.extend(pick(&two_way, 10, 6).iter().map(|m| middle("mid two-way edge", m)));
    out
}

/// What onemap's snap of a place amounts to, in pgRouting's terms.
fn snapped(graph: &RoadGraph, snap: &Snap, vertex_of: &BTreeMap<(i64, i64), i64>) -> Reference {
    let edge = &graph.edges[snap.edge];
    let f = snap.fraction(graph);
    // pgRouting's vertex ids, from the ends of the route row.
    let at_end = |end: i64| vertex_of[&(edge.route_id, end)];
    if f == 0.0 {
        Reference::Vertex(at_end(0))
    } else if f == 1.0 {
        Reference::Vertex(at_end(1))
    } else {
        Reference::Point(edge.route_id, f)
    }
}

async fn check_network(file: &str, targets: usize) -> (usize, f64) {
    let pool = database().await.unwrap();
    let path = format!("{}/data/osm/{file}", env!("CARGO_MANIFEST_DIR"));
    onemap::exchange::osm::import(&pool, &Actor::command_line(), std::path::Path::new(&path), None, false)
        .await
        .unwrap();
    common::pgr_edges(&pool).await;
    let vertex_of: BTreeMap<(i64, i64), i64> = sqlx::query_as::<_, (i64, i64, i64)>(
        "SELECT id, 0::bigint, source FROM pgr_edges UNION ALL SELECT id, 1, target FROM pgr_edges",
    )
    .fetch_all(&pool)
    .await
    .unwrap()
    .into_iter()
    .map(|(id, end, v)| ((id, end), v))
    .collect();
    // Where a point is on the network, without turn restrictions (tests/turns.rs has those).
    let mut graph = RoadGraph::load(&pool).await.unwrap();
    graph.turns.clear();
    let places = places(&pool).await;
    let snaps: Vec<Snap> = places.iter().map(|p| graph.snap(p.at, 50.0, &|_| true).expect("on the network")).collect();
    let refs: Vec<Reference> = places.iter().map(|p| p.reference).collect();
    // A place on or next to a junction is at its vertex, whichever of its edges is nearest; a
    // mid-edge place is on its edge, at its fraction.
    let mut off = Vec::new();
    for (place, snap) in places.iter().zip(&snaps) {
        let mine = snapped(&graph, snap, &vertex_of);
        let same = match (mine, place.reference) {
            (Reference::Point(a, f), Reference::Point(b, g)) => a == b && (f - g).abs() < 1e-6,
            (a, b) => a == b,
        };
        if !same {
            off.push(format!("{} at {:?}: onemap {mine:?}, expected {:?}", place.label, place.at, place.reference));
        }
    }
    assert!(off.is_empty(), "{file}: {} of {} places misplaced:\n{}", off.len(), places.len(), off.join("\n"));
    // The points, for pgRouting.
    sqlx::query("DROP TABLE IF EXISTS pgr_points").execute(&pool).await.unwrap();
    sqlx::query("CREATE TABLE pgr_points (pid bigint, edge_id bigint, fraction float8, side char)")
        .execute(&pool)
        .await
        .unwrap();
    let id_of = |i: usize| match refs[i] {
        Reference::Vertex(v) => v,
        Reference::Point(..) => -(i as i64 + 1),
    };
    for (i, r) in refs.iter().enumerate() {
        if let Reference::Point(edge, fraction) = r {
            sqlx::query("INSERT INTO pgr_points VALUES ($1, $2, $3, 'b')")
                .bind(i as i64 + 1)
                .bind(edge)
                .bind(fraction)
                .execute(&pool)
                .await
                .unwrap();
        }
    }
    let mut compared = 0;
    let mut worst: f64 = 0.0;
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for t in pick(&(0..places.len()).collect::<Vec<_>>(), targets, 7) {
        let origins: Vec<usize> = (0..places.len()).filter(|&o| id_of(o) != id_of(t)).collect();
        let starts: Vec<i64> = origins.iter().map(|&o| id_of(o)).collect();
        let expected: BTreeMap<i64, f64> = sqlx::query_as::<_, (i64, f64)>(
            "SELECT start_pid, agg_cost FROM pgr_withPointsCost( \
               'SELECT id, source, target, cost, reverse_cost FROM pgr_edges', \
               'SELECT pid, edge_id, fraction, side FROM pgr_points', $1::bigint[], $2::bigint, \
               directed => true, driving_side => 'b')",
        )
        .bind(&starts)
        .bind(id_of(t))
        .fetch_all(&pool)
        .await
        .unwrap()
        .into_iter()
        .collect();
        let candidates: Vec<Snap> = origins.iter().map(|&o| snaps[o]).collect();
        let found = nearest(&graph, &snaps[t], &candidates, candidates.len(), f64::INFINITY, &|_| true);
        let ours: BTreeMap<i64, f64> = found.iter().map(|r| (id_of(origins[r.candidate]), r.seconds)).collect();
        for (i, &o) in origins.iter().enumerate() {
            let id = starts[i];
            let (mine, theirs) = (ours.get(&id), expected.get(&id));
            match (mine, theirs) {
                (Some(a), Some(b)) => {
                    let error = (a - b).abs() / b.max(1.0);
                    assert!(
                        error <= 1e-6,
                        "{file}: from {} {:?} to {} {:?}: onemap {a:.3} s, pgRouting {b:.3} s",
                        places[o].label,
                        places[o].at,
                        places[t].label,
                        places[t].at
                    );
                    worst = worst.max(error);
                    compared += 1;
                    *kinds.entry(places[o].label).or_default() += 1;
                }
                (None, None) => {}
                _ => panic!(
                    "{file}: from {} {:?} to {} {:?}: onemap {mine:?}, pgRouting {theirs:?}",
                    places[o].label, places[o].at, places[t].label, places[t].at
                ),
            }
        }
    }
    println!(
        "{file}: {compared} travel times equal to pgr_withPointsCost (largest relative difference {worst:.1e}); by origin: {kinds:?}"
    );
    (compared, worst)
}

#[tokio::test]
async fn helsinki_junctions_one_way_streets_dead_ends_and_mid_edges_route_as_pgrouting() {
    let (compared, _) = check_network("helsinki.osm.pbf", 25).await;
    assert!(compared > 1000, "{compared}");
}

#[tokio::test]
async fn monaco_junctions_one_way_streets_dead_ends_and_mid_edges_route_as_pgrouting() {
    let (compared, _) = check_network("monaco.osm.pbf", 25).await;
    assert!(compared > 1000, "{compared}");
}
