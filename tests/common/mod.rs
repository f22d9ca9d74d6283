//! Helpers shared by the integration tests: HTTP calls that return status and JSON.
#![allow(dead_code)]

pub mod browser;
pub mod photos;
pub mod serve;
pub mod sse;
pub mod testing;

use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;

/// Sends `body` (JSON, or raw text when a String) and returns status, content type and JSON.
pub async fn call(method: Method, url: &str, body: Option<Value>) -> (StatusCode, String, Value) {
    call_as(testing::default_token(url).as_deref(), method, url, body).await
}

/// As [`call`], with `token` as the credential (None: anonymous).
pub async fn call_as(
    token: Option<&str>,
    method: Method,
    url: &str,
    body: Option<Value>,
) -> (StatusCode, String, Value) {
    let client = Client::new();
    let mut request = client.request(method, url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = match body {
            Value::String(raw) => request.header("content-type", "application/json").body(raw),
            other => request.json(&other),
        };
    }
    let response = request.send().await.expect("request failed");
    let status = response.status();
    let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let text = response.text().await.expect("body");
    let json = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
    (status, content_type, json)
}

/// A client that sends the default token of the server of `url`, for tests that read raw responses.
pub fn client_for(url: &str) -> Client {
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(token) = testing::default_token(url) {
        headers.insert("authorization", format!("Bearer {token}").parse().unwrap());
    }
    Client::builder().default_headers(headers).build().unwrap()
}

/// A GET of `url` with its server's default token.
pub async fn raw_get(url: impl AsRef<str>) -> reqwest::Response {
    let url = url.as_ref();
    client_for(url).get(url).send().await.expect("request failed")
}

pub async fn get(url: &str) -> (StatusCode, Value) {
    let (s, _, v) = call(Method::GET, url, None).await;
    (s, v)
}

pub async fn post(url: &str, body: Value) -> (StatusCode, Value) {
    let (s, _, v) = call(Method::POST, url, Some(body)).await;
    (s, v)
}

/// Asserts a problem+json answer with `status`, and returns it.
pub async fn expect_problem(method: Method, url: &str, body: Option<Value>, status: u16) -> Value {
    let (s, content_type, v) = call(method, url, body).await;
    assert_eq!(s.as_u16(), status, "{url}: {v}");
    assert_eq!(content_type, "application/problem+json", "{url}: {v}");
    assert_eq!(v["status"], status, "{v}");
    assert!(v["title"].is_string() && v["detail"].is_string(), "{v}");
    v
}

/// Row counts of every table, to prove that a refused request wrote nothing.
pub async fn counts(pool: &PgPool) -> Vec<(String, i64)> {
    let mut out = Vec::new();
    for table in [
        "district",
        "route",
        "risk_source",
        "risk_substance",
        "inspection",
        "receptor",
        "depot",
        "stock_item",
        "team",
        "expert",
        "plan",
        "plan_source",
        "plan_version",
        "plan_filing",
        "plan_document",
        "incident",
        "intake",
        "phone_report",
        "dispatch",
        "attachment",
        "response",
        "response_level",
        "plan_activation",
        "response_order",
        "support_request",
        "review",
        "corrective_action",
        "drill",
        "plan_finding",
    ] {
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
            .fetch_one(pool)
            .await
            .unwrap();
        out.push((table.to_string(), n));
    }
    out
}

pub fn point(lon: f64, lat: f64) -> Value {
    json!({"type": "Point", "coordinates": [lon, lat]})
}

pub fn feature(geometry: Value, properties: Value) -> Value {
    json!({"type": "Feature", "geometry": geometry, "properties": properties})
}

pub fn collection(features: Vec<Value>) -> Value {
    json!({"type": "FeatureCollection", "features": features})
}

pub fn square(lon: f64, lat: f64, d: f64) -> Value {
    json!({"type": "Polygon", "coordinates": [[[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]]})
}

/// One valid feature for each layer; `parent` ids for the layers that refer to another.
pub fn sample(layer: &str, depot_id: i64, risk_source_id: i64) -> Value {
    match layer {
        "district" => {
            feature(square(106.5, 29.5, 0.1), json!({"code": "500199", "name": "测试区", "parent_code": "500000"}))
        }
        "route" => feature(
            json!({"type": "LineString", "coordinates": [[106.5, 29.5], [106.6, 29.6]]}),
            json!({"kind": "road", "name": "测试路", "road_class": "primary", "speed_kmh": 60}),
        ),
        "risk_source" => feature(
            point(106.55, 29.55),
            json!({"name": "测试化工厂", "credit_code": "91350100M000100Y43", "district": "渝北区",
                   "m_air": "M2", "e_air": "E1",
                   "substances": [{"name": "液氯", "cas": "7782-50-5", "quantity_t": 12.5, "threshold_t": 1, "medium": "air"}]}),
        ),
        "inspection" => feature(
            Value::Null,
            json!({"risk_source_id": risk_source_id, "inspected_on": "2026-05-01", "finding": "应急池容量不足", "severity": "重大隐患"}),
        ),
        "receptor" => {
            feature(square(106.52, 29.52, 0.01), json!({"kind": "school", "name": "测试学校", "population": 1200}))
        }
        "depot" => feature(point(106.6, 29.6), json!({"name": "测试库", "tier": "district", "district": "渝北区"})),
        "stock_item" => feature(
            Value::Null,
            json!({"depot_id": depot_id, "category": "treatment", "item": "活性炭", "unit": "t", "quantity": 10.0, "reserved": 2.0}),
        ),
        "team" => feature(
            point(106.61, 29.61),
            json!({"name": "测试队", "specialties": ["hazmat", "water"], "headcount": 20}),
        ),
        "expert" => feature(Value::Null, json!({"name": "测试专家", "specialties": ["air"]})),
        "intercept_site" => {
            feature(point(106.45, 29.83), json!({"name": "测试布控点", "kind": "boom_point", "river": "嘉陵江"}))
        }
        "incident" => feature(
            point(106.58, 29.58),
            json!({"name": "测试事件", "kind": "water", "severity": "较大", "occurred_at": "2026-11-23T00:30:00+00:00"}),
        ),
        other => panic!("no sample for {other}"),
    }
}

/// Adds `n` turn restrictions between demo roads that meet (the demo's illustrative roads have
/// none of their own).
pub async fn add_turn_restrictions(pool: &PgPool, n: i64) {
    sqlx::query(
        "INSERT INTO turn_restriction (kind, from_route_id, to_route_id, via) \
         SELECT 'no_left_turn', a.id, b.id, 'end' FROM route a JOIN route b ON a.kind = 'road' AND b.kind = 'road' \
           AND a.id <> b.id AND ST_Equals(ST_EndPoint(a.geom), ST_StartPoint(b.geom)) ORDER BY a.id, b.id LIMIT $1",
    )
    .bind(n)
    .execute(pool)
    .await
    .unwrap();
}

/// Builds `pgr_edges` (id = route id, source, target, cost, reverse_cost, end coordinates) from
/// the `route` roads, for pgRouting: nodes where row ends meet (to 1e-7°), cost = PostGIS
/// geodesic length / speed, one-way rows with reverse_cost −1.
pub async fn pgr_edges(pool: &PgPool) {
    sqlx::query("CREATE EXTENSION IF NOT EXISTS pgrouting").execute(pool).await.unwrap();
    sqlx::query("DROP TABLE IF EXISTS pgr_edges").execute(pool).await.unwrap();
    sqlx::query(
        "CREATE TABLE pgr_edges AS \
         WITH ends AS (SELECT id, ST_SnapToGrid(ST_StartPoint(geom), 1e-7) AS s, ST_SnapToGrid(ST_EndPoint(geom), 1e-7) AS e, \
                              ST_Length(geom::geography) / (speed_kmh / 3.6) AS cost, oneway FROM route WHERE kind = 'road'), \
              nodes AS (SELECT g, row_number() OVER (ORDER BY ST_X(g), ST_Y(g)) AS vid FROM (SELECT s AS g FROM ends UNION SELECT e FROM ends) p) \
         SELECT ends.id, a.vid AS source, b.vid AS target, cost, CASE WHEN oneway THEN -1 ELSE cost END AS reverse_cost, \
                ST_X(a.g) AS sx, ST_Y(a.g) AS sy, ST_X(b.g) AS tx, ST_Y(b.g) AS ty \
         FROM ends JOIN nodes a ON a.g = ends.s JOIN nodes b ON b.g = ends.e",
    )
    .execute(pool)
    .await
    .unwrap();
}

/// Compares travel times between pseudo-random vertex pairs of the `route` roads with pgRouting's
/// `pgr_dijkstraCost` over a topology built here in SQL, with the same costs (PostGIS geodesic
/// length / speed) and directions (one-way: reverse_cost −1). Asserts equality within 0.1 % and
/// the same reachability; returns (pairs compared, largest relative difference).
pub async fn compare_with_pgrouting(pool: &PgPool, destinations: u64, origins: u64) -> (usize, f64) {
    use geo::Coord;
    use onemap::routing::RoadGraph;
    use onemap::routing::search::nearest;
    use std::collections::BTreeMap;

    pgr_edges(pool).await;
    let vertices: Vec<(i64, f64, f64)> =
        sqlx::query_as("SELECT source, sx, sy FROM pgr_edges UNION SELECT target, tx, ty FROM pgr_edges ORDER BY 1")
            .fetch_all(pool)
            .await
            .unwrap();
    assert!(vertices.len() > 100, "{}", vertices.len());

    // Without turn restrictions: those are compared with pgr_trsp (tests/turns.rs).
    let mut graph = RoadGraph::load(pool).await.unwrap();
    graph.turns.clear();
    let snap_at = |x: f64, y: f64| {
        let node = graph.node_at(Coord { x, y }).expect("every pgRouting vertex is a graph node");
        graph.snap(graph.graph[node], 1.0, &|_| true).expect("a node is on its roads")
    };
    let pick = |i: u64| vertices[((i.wrapping_mul(2654435761) >> 7) % vertices.len() as u64) as usize];
    let mut compared = 0;
    let mut worst: f64 = 0.0;
    for t in 0..destinations {
        let (target, tx, ty) = pick(1000 + t);
        let from: Vec<(i64, f64, f64)> = (0..origins).map(|o| pick(t * 97 + o + 1)).filter(|o| o.0 != target).collect();
        let sources: Vec<i64> = from.iter().map(|o| o.0).collect();
        let reference: BTreeMap<i64, f64> = sqlx::query_as::<_, (i64, f64)>(
            "SELECT start_vid, agg_cost FROM pgr_dijkstraCost('SELECT id, source, target, cost, reverse_cost FROM pgr_edges', $1::bigint[], $2::bigint, directed => true)",
        )
        .bind(&sources)
        .bind(target)
        .fetch_all(pool)
        .await
        .unwrap()
        .into_iter()
        .collect();
        let incident = snap_at(tx, ty);
        let candidates: Vec<_> = from.iter().map(|o| snap_at(o.1, o.2)).collect();
        let found = nearest(&graph, &incident, &candidates, candidates.len(), f64::INFINITY, &|_| true);
        let ours: BTreeMap<i64, f64> = found.iter().map(|r| (from[r.candidate].0, r.seconds)).collect();
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
    (compared, worst)
}

/// Waits until `check` holds (failing after 20 s) and returns how long it took.
pub async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) -> std::time::Duration {
    let start = std::time::Instant::now();
    while !check().await {
        assert!(start.elapsed() < std::time::Duration::from_secs(20), "{what} never happened");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    start.elapsed()
}

/// The x and y of the tile at zoom `z` that holds (lon, lat).
pub fn tile_of(lon: f64, lat: f64, z: u32) -> (u32, u32) {
    let t = onemap::tiles::TileId::containing(lon, lat, z as u8).unwrap();
    (t.x, t.y)
}

/// `method path` as the holder of `token` on `server`: the status and the JSON answer.
pub async fn ask(
    server: &testing::TestServer,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let (status, _, value) = call_as(Some(token), method, &server.at(path), body).await;
    (status.as_u16(), value)
}

/// A point halfway along the Yangtze's first reach in the demo (where it enters the city, with
/// districts and intakes downstream), and the code of the district it lies in.
pub async fn on_the_yangtze(pool: &PgPool) -> (f64, f64, String) {
    sqlx::query_as(
        "WITH r AS (SELECT ST_LineInterpolatePoint(ST_GeometryN(geom, 1), 0.5) AS p FROM route \
           WHERE kind = 'river' AND name LIKE '长江%' ORDER BY ST_X(ST_StartPoint(ST_GeometryN(geom, 1))) LIMIT 1) \
         SELECT ST_X(p), ST_Y(p), (SELECT code FROM district d WHERE ST_Covers(d.geom, r.p) LIMIT 1) FROM r",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

/// A GeoJSON LineString answer (a route's path) as a line.
pub fn path_line(path: &Value) -> geo::LineString<f64> {
    geo::LineString(
        path["coordinates"]
            .as_array()
            .expect("a LineString's coordinates")
            .iter()
            .map(|c| geo::Coord { x: c[0].as_f64().unwrap(), y: c[1].as_f64().unwrap() })
            .collect(),
    )
}

/// The geodesic length of a line, metres.
pub fn path_length(l: &geo::LineString<f64>) -> f64 {
    use geo::{Distance, Geodesic, Point};
    l.0.windows(2).map(|w| Geodesic.distance(Point(w[0]), Point(w[1]))).sum()
}

/// The longest stretch of `path` (GeoJSON) along any one road closed to hazmat vehicles,
/// metres, measured by PostGIS along 1 m either side of each road (crossing one, or touching it
/// at a junction, is a few metres).
pub async fn longest_along_barred(pool: &PgPool, path: &Value) -> f64 {
    sqlx::query_scalar(
        "SELECT coalesce(max(ST_Length(ST_Intersection(ST_SetSRID(ST_GeomFromGeoJSON($1), 4326), \
           ST_Buffer(geom::geography, 1)::geometry)::geography)), 0) FROM route WHERE kind = 'road' AND NOT hazmat_allowed",
    )
    .bind(path.to_string())
    .fetch_one(pool)
    .await
    .unwrap()
}
