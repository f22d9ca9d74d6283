//! Bad input gets a clear problem answer and changes nothing.

mod common;

use common::testing::TestServer;
use common::{collection, counts, expect_problem, feature, point, post, sample, square};
use onemap::api::ServerConfig;
use reqwest::Method;
use serde_json::{Value, json};

/// Sends `body`, expects `status` with `field` named, and proves that nothing was written.
async fn refused(
    server: &TestServer,
    method: Method,
    path: &str,
    body: Value,
    status: u16,
    field: Option<&str>,
) -> Value {
    let before = counts(&server.pool).await;
    let problem = expect_problem(method, &server.at(path), Some(body), status).await;
    if let Some(field) = field {
        assert_eq!(problem["field"], field, "{problem}");
    }
    assert_eq!(counts(&server.pool).await, before, "a refused request wrote something: {problem}");
    problem
}

fn depot(geometry: Value, props: Value) -> Value {
    feature(geometry, props)
}

#[tokio::test]
async fn malformed_and_misshapen_bodies_are_refused() {
    let server = TestServer::start().await.unwrap();
    let post_depot = |body| refused(&server, Method::POST, "/api/layers/depot", body, 422, None);
    let ok_props = json!({"name": "库", "tier": "city"});

    refused(&server, Method::POST, "/api/layers/depot", Value::String("{\"type\": \"Feature\",".into()), 400, None)
        .await;
    refused(&server, Method::POST, "/api/layers/depot", Value::String(String::new()), 400, None).await;
    post_depot(json!({"type": "Point", "coordinates": [1, 2]})).await;
    post_depot(json!([1, 2, 3])).await;
    let p = post_depot(json!({"type": "Feature", "properties": ok_props})).await;
    assert_eq!(p["field"], "geometry");
    let p =
        post_depot(depot(json!({"type": "LineString", "coordinates": [[106, 29], [107, 30]]}), ok_props.clone())).await;
    assert!(p["detail"].as_str().unwrap().contains("expected Point"), "{p}");
    let p = post_depot(depot(point(181.0, 29.0), ok_props.clone())).await;
    assert!(p["detail"].as_str().unwrap().contains("longitude"), "{p}");
    let p = post_depot(depot(point(106.0, -91.0), ok_props.clone())).await;
    assert!(p["detail"].as_str().unwrap().contains("latitude"), "{p}");
    let p = post_depot(depot(json!({"type": "Point", "coordinates": ["106", 29]}), ok_props.clone())).await;
    assert_eq!(p["field"], "geometry");
    let mut mercator = depot(point(106.0, 29.0), ok_props.clone());
    mercator["crs"] = json!({"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}});
    let p = post_depot(mercator).await;
    assert_eq!(p["field"], "crs");
    let p = post_depot(depot(point(106.0, 29.0), json!({"name": "库", "tier": "national"}))).await;
    assert_eq!(p["field"], "tier");
    let p = post_depot(depot(point(106.0, 29.0), json!({"name": "库"}))).await;
    assert_eq!(p["field"], "tier");
    assert!(p["detail"].as_str().unwrap().contains("required"));
    let p = post_depot(depot(point(106.0, 29.0), json!({"name": "库", "tier": "city", "capacity": 3}))).await;
    assert_eq!(p["field"], "capacity");
    let p = post_depot(depot(point(106.0, 29.0), json!({"name": "", "tier": "city"}))).await;
    assert_eq!(p["field"], "name");
}

#[tokio::test]
async fn every_layer_checks_its_own_rules() {
    let server = TestServer::start().await.unwrap();
    let bow_tie = json!({"type": "Polygon", "coordinates": [[[106, 29], [107, 30], [107, 29], [106, 30], [106, 29]]]});
    let cases = [
        ("district", feature(bow_tie.clone(), json!({"code": "500101", "name": "区"})), "geometry"),
        ("district", feature(square(106.0, 29.0, 0.1), json!({"code": "5001", "name": "区"})), "code"),
        ("receptor", feature(bow_tie, json!({"kind": "school", "name": "校"})), "geometry"),
        ("receptor", feature(point(106.0, 29.0), json!({"kind": "kindergarten", "name": "园"})), "kind"),
        (
            "receptor",
            feature(point(106.0, 29.0), json!({"kind": "school", "name": "校", "population": -5})),
            "population",
        ),
        ("risk_source", feature(point(106.0, 29.0), json!({"name": "厂", "m_air": "M9"})), "m_air"),
        (
            "risk_source",
            feature(point(106.0, 29.0), json!({"name": "厂", "credit_code": "91350100M000100Y44"})),
            "credit_code",
        ),
        (
            "risk_source",
            feature(
                point(106.0, 29.0),
                json!({"name": "厂", "substances": [{"name": "氯", "quantity_t": -1, "threshold_t": 1, "medium": "air"}]}),
            ),
            "substances",
        ),
        (
            "risk_source",
            feature(
                point(106.0, 29.0),
                json!({"name": "厂", "substances": [{"name": "氯", "cas": "7782-50-4", "quantity_t": 1, "threshold_t": 1, "medium": "air"}]}),
            ),
            "substances",
        ),
        (
            "route",
            feature(
                json!({"type": "LineString", "coordinates": [[106, 29], [106, 29]]}),
                json!({"kind": "road", "speed_kmh": 60}),
            ),
            "geometry",
        ),
        (
            "route",
            feature(json!({"type": "LineString", "coordinates": [[106, 29], [107, 29]]}), json!({"kind": "road"})),
            "speed_kmh",
        ),
        (
            "route",
            feature(json!({"type": "LineString", "coordinates": [[106, 29], [107, 29]]}), json!({"kind": "river"})),
            "flow_speed_ms",
        ),
        (
            "route",
            feature(
                json!({"type": "LineString", "coordinates": [[106, 29], [107, 29]]}),
                json!({"kind": "canal", "speed_kmh": 5}),
            ),
            "kind",
        ),
        (
            "team",
            feature(point(106.0, 29.0), json!({"name": "队", "specialties": ["cooking"], "headcount": 3})),
            "specialties",
        ),
        (
            "team",
            feature(point(106.0, 29.0), json!({"name": "队", "specialties": ["hazmat"], "headcount": 0})),
            "headcount",
        ),
        (
            "team",
            feature(
                point(106.0, 29.0),
                json!({"name": "队", "specialties": ["hazmat"], "headcount": 3, "status": "busy"}),
            ),
            "status",
        ),
        ("expert", feature(point(106.0, 29.0), json!({"name": "专家", "specialties": ["air"]})), "geometry"),
        (
            "inspection",
            feature(
                Value::Null,
                json!({"risk_source_id": 1, "inspected_on": "2026-02-30", "finding": "x", "severity": "一般隐患"}),
            ),
            "inspected_on",
        ),
        (
            "stock_item",
            feature(
                Value::Null,
                json!({"depot_id": 1, "category": "treatment", "item": "活性炭", "unit": "t", "quantity": -1}),
            ),
            "quantity",
        ),
        (
            "stock_item",
            feature(
                Value::Null,
                json!({"depot_id": 1, "category": "treatment", "item": "活性炭", "unit": "t", "quantity": 1, "reserved": 2}),
            ),
            "reserved",
        ),
        (
            "stock_item",
            feature(Value::Null, json!({"depot_id": 1, "category": "food", "item": "米", "unit": "t", "quantity": 1})),
            "category",
        ),
    ];
    for (layer, body, field) in cases {
        let p = refused(&server, Method::POST, &format!("/api/layers/{layer}"), body, 422, Some(field)).await;
        assert_eq!(p["feature"], 0, "{p}");
    }
}

#[tokio::test]
async fn a_batch_with_one_bad_feature_writes_nothing_and_names_it() {
    let server = TestServer::start().await.unwrap();
    let good = || sample("depot", 0, 0);
    let bad = feature(point(106.0, 95.0), json!({"name": "坏", "tier": "city"}));
    let p = refused(
        &server,
        Method::POST,
        "/api/layers/depot",
        collection(vec![good(), good(), bad, good()]),
        422,
        Some("geometry"),
    )
    .await;
    assert_eq!(p["feature"], 2);
    assert!(p["detail"].as_str().unwrap().starts_with("feature 2"), "{p}");

    // A refusal only the database can make (a missing depot) is located too.
    let (_, depot) = post(&server.at("/api/layers/depot"), good()).await;
    let item = |depot_id: i64| sample("stock_item", depot_id, 0);
    let id = depot["id"].as_i64().unwrap();
    let p = refused(
        &server,
        Method::POST,
        "/api/layers/stock_item",
        collection(vec![item(id), item(id + 1000), item(id)]),
        422,
        Some("depot_id"),
    )
    .await;
    assert_eq!(p["feature"], 1, "{p}");
    // So is a uniqueness conflict inside one batch.
    let district = |code: &str| feature(square(106.0, 29.0, 0.1), json!({"code": code, "name": "区"}));
    let p = refused(
        &server,
        Method::POST,
        "/api/layers/district",
        collection(vec![district("500101"), district("500102"), district("500101")]),
        409,
        None,
    )
    .await;
    assert_eq!(p["feature"], 2, "{p}");
}

#[tokio::test]
async fn bad_updates_change_nothing() {
    let server = TestServer::start().await.unwrap();
    let (_, depot) = post(&server.at("/api/layers/depot"), sample("depot", 0, 0)).await;
    let (_, item) =
        post(&server.at("/api/layers/stock_item"), sample("stock_item", depot["id"].as_i64().unwrap(), 0)).await;
    let depot_url = format!("/api/layers/depot/{}", depot["id"]);
    let item_url = format!("/api/layers/stock_item/{}", item["id"]);

    refused(&server, Method::PATCH, &depot_url, json!({"tier": "galactic"}), 422, Some("tier")).await;
    refused(
        &server,
        Method::PATCH,
        &depot_url,
        json!({"type": "Feature", "geometry": point(106.0, 100.0)}),
        422,
        Some("geometry"),
    )
    .await;
    refused(
        &server,
        Method::PUT,
        &depot_url,
        json!({"type": "Feature", "properties": {"name": "x", "tier": "city"}}),
        422,
        Some("geometry"),
    )
    .await;
    refused(&server, Method::PATCH, &item_url, json!({"reserved": 11}), 422, Some("reserved")).await;
    refused(&server, Method::PATCH, &item_url, json!({"quantity": 1}), 422, Some("reserved")).await;
    refused(&server, Method::PATCH, &item_url, Value::String("\"quantity\"".into()), 422, None).await;
    let (_, after) = common::get(&server.at(&depot_url)).await;
    assert_eq!(after, depot);
    let (_, after) = common::get(&server.at(&item_url)).await;
    assert_eq!(after, item);
}

#[tokio::test]
async fn bad_paths_and_queries_are_refused() {
    let server = TestServer::start().await.unwrap();
    expect_problem(Method::GET, &server.at("/api/layers/pipelines"), None, 404).await;
    refused(&server, Method::POST, "/api/layers/pipelines", sample("depot", 0, 0), 404, None).await;
    expect_problem(Method::GET, &server.at("/api/layers/depot/abc"), None, 400).await;
    expect_problem(Method::GET, &server.at("/api/layers/depot/0"), None, 400).await;
    expect_problem(Method::GET, &server.at("/api/layers/depot/99999"), None, 404).await;
    for query in [
        "limit=0",
        "limit=10001",
        "limit=x",
        "offset=-1",
        "bbox=1,2,3",
        "bbox=10,10,0,0",
        "bbox=0,0,200,10",
        "color=red",
        "tier=nowhere",
    ] {
        let p = expect_problem(Method::GET, &server.at(&format!("/api/layers/depot?{query}")), None, 400).await;
        assert!(p["field"].is_string(), "{query}: {p}");
    }
    expect_problem(Method::GET, &server.at("/api/stock?category=food"), None, 400).await;
    expect_problem(Method::GET, &server.at("/api/stock?min_free=-3"), None, 400).await;
    expect_problem(Method::GET, &server.at("/api/stock?colour=red"), None, 400).await;
}

#[tokio::test]
async fn a_body_over_the_size_limit_is_refused() {
    let server =
        TestServer::with_config(ServerConfig { max_body_bytes: 64 * 1024, ..ServerConfig::default() }).await.unwrap();
    let many: Vec<Value> = (0..1000).map(|_| sample("depot", 0, 0)).collect();
    let p = refused(&server, Method::POST, "/api/layers/depot", collection(many), 413, None).await;
    assert_eq!(p["title"], "body too large");

    // The default limit is 20 MB.
    let server = TestServer::start().await.unwrap();
    let padding = "x".repeat(21 * 1024 * 1024);
    let body = feature(point(106.0, 29.0), json!({"name": padding, "tier": "city"}));
    refused(&server, Method::POST, "/api/layers/depot", body, 413, None).await;
}
