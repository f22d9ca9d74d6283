//! Travel times on the road graph against pgRouting: `pgr_dijkstraCost` over the same `route`
//! rows, with a topology built here in SQL, the same costs (PostGIS geodesic length / speed)
//! and the same directions (one-way rows: reverse_cost −1). Equal within 0.1 %.

use std::collections::BTreeMap;

use geo::Coord;
use onemap::exchange::synthetic::{self, Grid};
use onemap::routing::RoadGraph;
use onemap::routing::search::nearest;
use onemap::testing::{database, demo_dir};

#[tokio::test]
async fn travel_times_equal_pgrouting_within_a_tenth_of_a_percent() {
    let pool = database().await.unwrap();
    onemap::exchange::demo::load(&pool, &demo_dir(), false).await.unwrap();
    // A synthetic town beside the demo roads: one-way streets and a class hierarchy.
    let town = Grid { side: 30, seed: 99, bbox: [106.30, 29.40, 106.60, 29.65] };
    synthetic::insert(&pool, &synthetic::roads(&town)).await.unwrap();
    sqlx::query("CREATE EXTENSION IF NOT EXISTS pgrouting").execute(&pool).await.unwrap();
    sqlx::query(
        "CREATE TABLE pgr_edges AS \
         WITH ends AS (SELECT id, ST_SnapToGrid(ST_StartPoint(geom), 1e-7) AS s, ST_SnapToGrid(ST_EndPoint(geom), 1e-7) AS e, \
                              ST_Length(geom::geography) / (speed_kmh / 3.6) AS cost, oneway FROM route WHERE kind = 'road'), \
              nodes AS (SELECT g, row_number() OVER (ORDER BY ST_X(g), ST_Y(g)) AS vid FROM (SELECT s AS g FROM ends UNION SELECT e FROM ends) p) \
         SELECT ends.id, a.vid AS source, b.vid AS target, cost, CASE WHEN oneway THEN -1 ELSE cost END AS reverse_cost, \
                ST_X(a.g) AS sx, ST_Y(a.g) AS sy, ST_X(b.g) AS tx, ST_Y(b.g) AS ty \
         FROM ends JOIN nodes a ON a.g = ends.s JOIN nodes b ON b.g = ends.e",
    )
    .execute(&pool)
    .await
    .unwrap();
    let vertices: Vec<(i64, f64, f64)> =
        sqlx::query_as("SELECT source, sx, sy FROM pgr_edges UNION SELECT target, tx, ty FROM pgr_edges ORDER BY 1")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert!(vertices.len() > 900, "{}", vertices.len());

    let graph = RoadGraph::load(&pool).await.unwrap();
    let snap_at = |x: f64, y: f64| {
        let node = graph.node_at(Coord { x, y }).expect("every pgRouting vertex is a graph node");
        let c = graph.graph[node];
        graph.snap(c, 1.0, &|_| true).expect("a node is on its roads")
    };

    // Deterministic pseudo-random pairs: 12 destinations × 40 origins.
    let pick = |i: u64| vertices[((i.wrapping_mul(2654435761) >> 7) % vertices.len() as u64) as usize];
    let mut compared = 0;
    let mut worst: f64 = 0.0;
    for t in 0..12u64 {
        let (target, tx, ty) = pick(1000 + t);
        let origins: Vec<(i64, f64, f64)> =
            (0..40u64).map(|o| pick(t * 97 + o + 1)).filter(|o| o.0 != target).collect();
        let sources: Vec<i64> = origins.iter().map(|o| o.0).collect();
        let reference: BTreeMap<i64, f64> = sqlx::query_as::<_, (i64, f64)>(
            "SELECT start_vid, agg_cost FROM pgr_dijkstraCost('SELECT id, source, target, cost, reverse_cost FROM pgr_edges', $1::bigint[], $2::bigint, directed => true)",
        )
        .bind(&sources)
        .bind(target)
        .fetch_all(&pool)
        .await
        .unwrap()
        .into_iter()
        .collect();
        let incident = snap_at(tx, ty);
        let candidates: Vec<_> = origins.iter().map(|o| snap_at(o.1, o.2)).collect();
        let found = nearest(&graph, &incident, &candidates, candidates.len(), f64::INFINITY, &|_| true);
        let ours: BTreeMap<i64, f64> = found.iter().map(|r| (origins[r.candidate].0, r.seconds)).collect();
        assert_eq!(
            ours.keys().collect::<Vec<_>>(),
            reference.keys().collect::<Vec<_>>(),
            "the same origins reach vertex {target}"
        );
        for (vid, expected) in &reference {
            let got = ours[vid];
            let error = (got - expected).abs() / expected.max(1e-9);
            assert!(error <= 0.001, "{vid} → {target}: onemap {got:.3} s, pgRouting {expected:.3} s");
            worst = worst.max(error);
            compared += 1;
        }
    }
    assert!(compared > 300, "{compared}");
    println!(
        "compared {compared} origin–destination pairs with pgr_dijkstraCost; largest relative difference {worst:.2e}"
    );
}
