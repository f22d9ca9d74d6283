//! `POST /api/nearest` on the Chongqing demo data: ranked by travel time, within the cut-off,
//! restricted by hazmat rules, closed roads and barrier areas; bad input refused.

mod common;

use common::testing::TestServer;
use common::{expect_problem, post};
use geo::{Distance, Geodesic, Intersects, LineString, Point, Polygon};
use reqwest::Method;
use serde_json::{Value, json};

const CHANGSHOU: [f64; 2] = [107.08, 29.86];

#[tokio::test]
async fn depots_are_ranked_by_travel_time_along_real_paths() {
    let server = TestServer::with_demo().await.unwrap();
    let url = server.at("/api/nearest");
    let (status, all) = post(&url, json!({"point": CHANGSHOU, "find": "depot", "item": "活性炭", "count": 100})).await;
    assert_eq!(status, 200, "{all}");
    let results = all["results"].as_array().unwrap();
    let holding: i64 = sqlx::query_scalar(
        "SELECT count(DISTINCT depot_id) FROM stock_item WHERE item = '活性炭' AND quantity > reserved",
    )
    .fetch_one(&server.pool)
    .await
    .unwrap();
    assert_eq!(all["candidates"].as_i64().unwrap(), holding);
    assert_eq!(
        results.len() + all["off_network"].as_array().unwrap().len(),
        holding as usize,
        "every depot is ranked or said to be off the network"
    );
    let seconds: Vec<f64> = results.iter().map(|r| r["seconds"].as_f64().unwrap()).collect();
    assert!(seconds.windows(2).all(|w| w[0] <= w[1]), "ranked by time: {seconds:?}");
    let incident = &all["incident"]["snapped"];
    for r in results {
        assert!(r["about"]["free"].as_f64().unwrap() > 0.0);
        let path = common::path_line(&r["path"]);
        // The path ends at the incident, is as long as the distance reported, and no shorter
        // than the straight line; no road in the demo is faster than 100 km/h.
        assert_eq!(
            path.0.last().map(|c| [c.x, c.y]),
            Some([incident[0].as_f64().unwrap(), incident[1].as_f64().unwrap()])
        );
        let metres = r["metres"].as_f64().unwrap();
        assert!(
            (common::path_length(&path) - metres).abs() <= metres * 0.001 + 2.0,
            "{}: path {} m, said {metres} m",
            r["name"],
            common::path_length(&path)
        );
        let start = path.0[0];
        let crow = Geodesic.distance(Point(start), Point(path.0[path.0.len() - 1]));
        assert!(metres + 1.0 >= crow);
        assert!(r["seconds"].as_f64().unwrap() + 0.5 >= metres / (100.0 / 3.6));
    }
    // The nearest three are the first three of the whole ranking.
    let (_, three) = post(&url, json!({"point": CHANGSHOU, "find": "depot", "item": "活性炭", "count": 3})).await;
    let ids =
        |v: &Value| v["results"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect::<Vec<_>>();
    assert_eq!(ids(&three), ids(&all)[..3].to_vec());
    // A cut-off keeps only those that arrive in time.
    let limit = seconds[2] / 60.0 + 0.01;
    let (_, within) = post(
        &url,
        json!({"point": CHANGSHOU, "find": "depot", "item": "活性炭", "count": 100, "cutoff_minutes": limit}),
    )
    .await;
    let n = seconds.iter().filter(|s| **s <= limit * 60.0).count();
    assert_eq!(ids(&within), ids(&all)[..n].to_vec());
}

#[tokio::test]
async fn teams_hazmat_rules_closures_and_barriers_change_the_answer() {
    let server = TestServer::with_demo().await.unwrap();
    let url = server.at("/api/nearest");
    let (status, teams) =
        post(&url, json!({"point": [106.55, 29.56], "find": "team", "specialty": "hazmat", "count": 20})).await;
    assert_eq!(status, 200, "{teams}");
    let available: i64 =
        sqlx::query_scalar("SELECT count(*) FROM team WHERE status = 'available' AND 'hazmat' = ANY(specialties)")
            .fetch_one(&server.pool)
            .await
            .unwrap();
    assert_eq!(teams["candidates"].as_i64().unwrap(), available);
    for t in teams["results"].as_array().unwrap() {
        assert!(t["about"]["specialties"].as_array().unwrap().contains(&json!("hazmat")));
    }

    // A barrier across the best depot's path: the new path avoids it, and is no faster.
    let (_, before) = post(&url, json!({"point": CHANGSHOU, "find": "depot", "item": "围油栏", "count": 50})).await;
    let far = before["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| common::path_line(&r["path"]).0.len() > 4)
        .expect("a long path")
        .clone();
    let path = common::path_line(&far["path"]);
    let middle = path.0[path.0.len() / 2];
    let d = 0.01;
    let square = Polygon::new(
        LineString::from(vec![
            (middle.x - d, middle.y - d),
            (middle.x + d, middle.y - d),
            (middle.x + d, middle.y + d),
            (middle.x - d, middle.y + d),
            (middle.x - d, middle.y - d),
        ]),
        vec![],
    );
    let barrier =
        json!({"type": "Polygon", "coordinates": [square.exterior().0.iter().map(|c| [c.x, c.y]).collect::<Vec<_>>()]});
    let (status, after) =
        post(&url, json!({"point": CHANGSHOU, "find": "depot", "item": "围油栏", "count": 50, "barriers": [barrier]}))
            .await;
    assert_eq!(status, 200, "{after}");
    for r in after["results"].as_array().unwrap() {
        assert!(!common::path_line(&r["path"]).intersects(&square), "{} enters the barrier", r["name"]);
    }
    let again = after["results"].as_array().unwrap().iter().find(|r| r["id"] == far["id"]);
    if let Some(again) = again {
        assert!(again["seconds"].as_f64().unwrap() >= far["seconds"].as_f64().unwrap());
    }

    // Closing a road in the middle of a long path (neither the depot's nor the incident's own
    // road, so neither snap moves) makes that depot slower or unreachable.
    let nearest_road = |x: f64, y: f64| {
        let pool = server.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT id FROM route WHERE kind = 'road' ORDER BY geom <-> ST_SetSRID(ST_MakePoint($1, $2), 4326) LIMIT 1")
                .bind(x)
                .bind(y)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let middle_road = nearest_road(middle.x, middle.y).await;
    let depot_road = nearest_road(far["location"][0].as_f64().unwrap(), far["location"][1].as_f64().unwrap()).await;
    assert_ne!(middle_road, depot_road, "the test needs a road between the ends");
    assert_ne!(middle_road, before["incident"]["route_id"].as_i64().unwrap());
    let (_, closed) = post(
        &url,
        json!({"point": CHANGSHOU, "find": "depot", "item": "围油栏", "count": 50, "closed_roads": [middle_road]}),
    )
    .await;
    // (Unreachable is also a correct answer.)
    if let Some(r) = closed["results"].as_array().unwrap().iter().find(|r| r["id"] == far["id"]) {
        assert!(r["seconds"].as_f64().unwrap() >= far["seconds"].as_f64().unwrap(), "{r} vs {far}");
    }

    // Hazmat vehicles may not use the roads inside the main city's inner ring: from a point
    // west of it no hazmat path runs along one, while without the rule some do.
    let west = [106.45, 29.52];
    let (_, any) = post(&url, json!({"point": west, "find": "depot", "count": 100})).await;
    let (_, hazmat) = post(&url, json!({"point": west, "find": "depot", "count": 100, "hazmat": true})).await;
    let mut longest_without_rule: f64 = 0.0;
    for r in any["results"].as_array().unwrap() {
        longest_without_rule = longest_without_rule.max(common::longest_along_barred(&server.pool, &r["path"]).await);
    }
    assert!(longest_without_rule > 500.0, "the unrestricted paths run inside the inner ring: {longest_without_rule} m");
    for r in hazmat["results"].as_array().unwrap() {
        let metres = common::longest_along_barred(&server.pool, &r["path"]).await;
        assert!(metres < 10.0, "{} runs {metres} m along a road closed to hazardous goods", r["name"]);
    }
}

#[tokio::test]
async fn bad_requests_are_refused_and_change_nothing() {
    let server = TestServer::with_demo().await.unwrap();
    let url = server.at("/api/nearest");
    let before = common::counts(&server.pool).await;
    let bow_tie = json!({"type": "Polygon", "coordinates": [[[107, 29], [108, 30], [108, 29], [107, 30], [107, 29]]]});
    for (body, field) in [
        (json!({"point": [0.0, 0.0], "find": "depot"}), "point"),
        (json!({"point": [200.0, 0.0], "find": "depot"}), "point"),
        (json!({"point": CHANGSHOU, "find": "depot", "item": "不存在的物资"}), "item"),
        (json!({"point": CHANGSHOU, "find": "depot", "category": "food"}), "category"),
        (json!({"point": CHANGSHOU, "find": "depot", "specialty": "hazmat"}), "specialty"),
        (json!({"point": CHANGSHOU, "find": "team", "specialty": "cooking"}), "specialty"),
        (json!({"point": CHANGSHOU, "find": "team", "item": "活性炭"}), "item"),
        (json!({"point": CHANGSHOU, "find": "depot", "count": 0}), "count"),
        (json!({"point": CHANGSHOU, "find": "depot", "count": 101}), "count"),
        (json!({"point": CHANGSHOU, "find": "depot", "cutoff_minutes": -5}), "cutoff_minutes"),
        (json!({"point": CHANGSHOU, "find": "depot", "cutoff_minutes": 100000}), "cutoff_minutes"),
        (json!({"point": CHANGSHOU, "find": "depot", "max_snap_m": 0}), "max_snap_m"),
        (json!({"point": CHANGSHOU, "find": "depot", "closed_roads": [987654]}), "closed_roads"),
        (json!({"point": CHANGSHOU, "find": "depot", "barriers": [bow_tie]}), "barriers[0]"),
        (
            json!({"point": CHANGSHOU, "find": "depot", "barriers": [{"type": "Point", "coordinates": [107, 29]}]}),
            "barriers[0]",
        ),
        (json!({"point": CHANGSHOU, "find": "submarine"}), "body"),
        (json!({"point": CHANGSHOU, "find": "depot", "colour": "red"}), "colour"),
        (json!({"find": "depot"}), "body"),
    ] {
        let p = expect_problem(Method::POST, &url, Some(body.clone()), 422).await;
        assert_eq!(p["field"], field, "{body}: {p}");
    }
    expect_problem(Method::POST, &url, Some(Value::String("{".into())), 400).await;
    let p = expect_problem(Method::POST, &url, Some(json!({"point": [0.0, 0.0], "find": "depot"})), 422).await;
    assert!(p["detail"].as_str().unwrap().contains("no usable road within 5000 m"), "{p}");
    assert_eq!(common::counts(&server.pool).await, before);
}

#[tokio::test]
async fn from_every_district_seat_every_depot_and_team_is_on_the_network() {
    let server = TestServer::with_demo().await.unwrap();
    // Each district's seat: its most populous real place (GeoNames), or where the central
    // districts without a place of their own in GeoNames keep their depot.
    let seats: Vec<(String, f64, f64)> = sqlx::query_as(
        "SELECT d.name, ST_X(coalesce(p.geom, o.geom)), ST_Y(coalesce(p.geom, o.geom)) FROM district d \
         LEFT JOIN LATERAL (SELECT geom FROM receptor r WHERE r.kind = 'residential' AND r.district = d.name \
           ORDER BY population DESC LIMIT 1) p ON true \
         LEFT JOIN depot o ON o.tier = 'district' AND o.district = d.name ORDER BY d.code",
    )
    .fetch_all(&server.pool)
    .await
    .unwrap();
    assert_eq!(seats.len(), 38, "{seats:?}");
    let stocked: i64 = sqlx::query_scalar("SELECT count(DISTINCT depot_id) FROM stock_item WHERE quantity > reserved")
        .fetch_one(&server.pool)
        .await
        .unwrap();
    let available: i64 = sqlx::query_scalar("SELECT count(*) FROM team WHERE status = 'available'")
        .fetch_one(&server.pool)
        .await
        .unwrap();
    for (district, lon, lat) in &seats {
        for (find, expected) in [("depot", stocked), ("team", available)] {
            let (status, body) =
                post(&server.at("/api/nearest"), json!({"point": [lon, lat], "find": find, "count": 100})).await;
            assert_eq!(status, 200, "{district}: {body}");
            assert_eq!(body["off_network"], json!([]), "{district}: {find}s off the network");
            assert_eq!(body["results"].as_array().unwrap().len() as i64, expected, "{district}: every {find} reached");
            assert!(body["incident"]["snap_distance_m"].as_f64().unwrap() < 5000.0, "{district}: {}", body["incident"]);
        }
    }
}
