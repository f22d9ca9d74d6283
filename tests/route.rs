//! `POST /api/route` on the demo's real roads: travel times equal pgRouting's between junctions,
//! the path runs from the start to the end along the roads, closures and the hazmat rule change
//! the answer; bad input refused.

mod common;

use common::testing::TestServer;
use common::{expect_problem, post};
use geo::Coord;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn routes_between_junctions_equal_pgrouting() {
    let server = TestServer::with_demo().await.unwrap();
    common::pgr_edges(&server.pool).await;
    let vertices: Vec<(i64, f64, f64)> =
        sqlx::query_as("SELECT source, sx, sy FROM pgr_edges UNION SELECT target, tx, ty FROM pgr_edges ORDER BY 1")
            .fetch_all(&server.pool)
            .await
            .unwrap();
    let pick = |i: u64| vertices[((i.wrapping_mul(2654435761) >> 7) % vertices.len() as u64) as usize];
    let mut compared = 0;
    for i in 0..40u64 {
        let (a, ax, ay) = pick(2 * i + 1);
        let (b, bx, by) = pick(2 * i + 2);
        if a == b {
            continue;
        }
        let reference: Option<f64> = sqlx::query_scalar(
            "SELECT agg_cost FROM pgr_dijkstraCost('SELECT id, source, target, cost, reverse_cost FROM pgr_edges', $1::bigint, $2::bigint, directed => true)",
        )
        .bind(a)
        .bind(b)
        .fetch_optional(&server.pool)
        .await
        .unwrap();
        let (status, route) = post(&server.at("/api/route"), json!({"from": [ax, ay], "to": [bx, by]})).await;
        let Some(seconds) = reference else {
            assert_eq!(status, 422, "pgRouting finds no way from {a} to {b}: {route}");
            continue;
        };
        assert_eq!(status, 200, "{route}");
        let ours = route["seconds"].as_f64().unwrap();
        assert!((ours - seconds).abs() <= 0.05 + seconds * 1e-6, "{a}→{b}: {ours} s, pgRouting {seconds} s");
        assert!((route["minutes"].as_f64().unwrap() - seconds / 60.0).abs() <= 0.051, "{route}");
        let path = common::path_line(&route["path"]);
        // (pgRouting's vertices are the ends snapped to 1e-7°)
        let near = |c: Coord<f64>, x: f64, y: f64| (c.x - x).abs() < 1e-6 && (c.y - y).abs() < 1e-6;
        assert!(near(path.0[0], ax, ay), "starts at the start: {:?} vs {ax}, {ay}", path.0[0]);
        assert!(near(*path.0.last().unwrap(), bx, by), "ends at the end: {:?} vs {bx}, {by}", path.0.last());
        let metres = route["metres"].as_f64().unwrap();
        assert!(
            (common::path_length(&path) - metres).abs() <= 1.0 + metres * 1e-6,
            "path {} m vs {metres} m",
            common::path_length(&path)
        );
        assert_eq!(route["from"]["snap_distance_m"], 0.0, "{route}");
        compared += 1;
    }
    assert!(compared >= 30, "{compared}");
}

#[tokio::test]
async fn a_closed_road_or_the_hazmat_rule_changes_the_route() {
    let server = TestServer::with_demo().await.unwrap();
    let url = server.at("/api/route");
    // From Jiangjin in the west across the main city to Changshou in the east.
    let (from, to) = ([106.26, 29.29], [107.08, 29.86]);
    let (status, open) = post(&url, json!({"from": from, "to": to})).await;
    assert_eq!(status, 200, "{open}");
    let seconds = open["seconds"].as_f64().unwrap();
    assert!(seconds > 1800.0, "{open}");

    // Close every road the route uses past its first and last roads: the next answer runs
    // elsewhere and is no quicker (or there is none).
    let used: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM route WHERE kind = 'road' AND ST_Length(ST_Intersection(geom, \
           ST_Buffer(ST_SetSRID(ST_GeomFromGeoJSON($1), 4326)::geography, 1)::geometry)::geography) > 0.5 * ST_Length(geom::geography) \
           AND id <> ALL($2)",
    )
    .bind(open["path"].to_string())
    .bind([open["from"]["route_id"].as_i64().unwrap(), open["to"]["route_id"].as_i64().unwrap()])
    .fetch_all(&server.pool)
    .await
    .unwrap();
    assert!(used.len() > 5, "{used:?}");
    let middle = used[used.len() / 2];
    let (status, detour) = post(&url, json!({"from": from, "to": to, "closed_roads": [middle]})).await;
    if status == 200 {
        assert!(detour["seconds"].as_f64().unwrap() >= seconds, "{detour} vs {open}");
        let closed: f64 = sqlx::query_scalar(
            "SELECT ST_Length(ST_Intersection(geom, ST_Buffer(ST_SetSRID(ST_GeomFromGeoJSON($1), 4326)::geography, 1)::geometry)::geography) \
             / ST_Length(geom::geography) FROM route WHERE id = $2",
        )
        .bind(detour["path"].to_string())
        .bind(middle)
        .fetch_one(&server.pool)
        .await
        .unwrap();
        assert!(closed < 0.5, "the detour runs along the closed road {middle}: {closed}");
    } else {
        assert_eq!(status, 422, "{detour}");
    }

    // The hazmat rule keeps a route through the main city out of the inner ring's roads.
    let (west, east) = ([106.40, 29.55], [106.75, 29.60]);
    let (_, any) = post(&url, json!({"from": west, "to": east})).await;
    let (status, hazmat) = post(&url, json!({"from": west, "to": east, "hazmat": true})).await;
    assert_eq!(status, 200, "{hazmat}");
    assert!(common::longest_along_barred(&server.pool, &any["path"]).await > 500.0, "{any}");
    assert!(common::longest_along_barred(&server.pool, &hazmat["path"]).await < 10.0, "{hazmat}");
    assert!(hazmat["seconds"].as_f64().unwrap() > any["seconds"].as_f64().unwrap());
}

#[tokio::test]
async fn bad_route_requests_are_refused() {
    let server = TestServer::with_demo().await.unwrap();
    let url = server.at("/api/route");
    let (a, b) = ([106.26, 29.29], [107.08, 29.86]);
    let road: i64 = sqlx::query_scalar("SELECT max(id) FROM route").fetch_one(&server.pool).await.unwrap();
    for (body, field) in [
        (json!({"to": b}), "body"),
        (json!({"from": a}), "body"),
        (json!({"from": [200.0, 0.0], "to": b}), "from"),
        (json!({"from": a, "to": [0.0, f64::MAX]}), "to"),
        (json!({"from": [0.0, 0.0], "to": b}), "from"),
        (json!({"from": a, "to": [106.5, 33.5]}), "to"),
        (json!({"from": a, "to": b, "max_snap_m": 0}), "max_snap_m"),
        (json!({"from": a, "to": b, "cutoff_minutes": 0}), "cutoff_minutes"),
        (json!({"from": a, "to": b, "cutoff_minutes": 5}), "to"),
        (json!({"from": a, "to": b, "closed_roads": [road + 1]}), "closed_roads"),
        (json!({"from": a, "to": b, "via": [106.5, 29.5]}), "via"),
        (json!({"from": a, "to": b, "barriers": [{"type": "Point", "coordinates": [106.5, 29.5]}]}), "barriers[0]"),
    ] {
        let problem = expect_problem(Method::POST, &url, Some(body.clone()), 422).await;
        assert_eq!(problem["field"], field, "{body}: {problem}");
    }
    // The end ringed by a barrier (a square band around it): no road leads in, and the answer
    // says so rather than guessing.
    let square = |r: f64| {
        vec![
            [b[0] - r, b[1] - r],
            [b[0] + r, b[1] - r],
            [b[0] + r, b[1] + r],
            [b[0] - r, b[1] + r],
            [b[0] - r, b[1] - r],
        ]
    };
    let band =
        json!({"type": "Polygon", "coordinates": [square(0.2), square(0.1).into_iter().rev().collect::<Vec<_>>()]});
    let problem = expect_problem(Method::POST, &url, Some(json!({"from": a, "to": b, "barriers": [band]})), 422).await;
    assert_eq!(problem["field"], "to", "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("no usable road leads"), "{problem}");
}
