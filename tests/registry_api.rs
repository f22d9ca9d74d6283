//! The registry API against a real PostGIS: every layer written, read, changed and deleted;
//! paging, filters and bbox checked against PostGIS's own answers; change notifications.

mod common;

use std::collections::BTreeSet;

use common::testing::{TestServer, demo_dir};
use common::{call, collection, feature, get, point, post, sample};
use onemap::layers::spec::LAYERS;
use reqwest::Method;
use serde_json::{Value, json};

/// Every property sent is returned as sent.
fn assert_has_properties(returned: &Value, sent: &Value) {
    for (k, v) in sent["properties"].as_object().unwrap() {
        let got = &returned["properties"][k];
        let same = match (got.as_f64(), v.as_f64()) {
            (Some(a), Some(b)) => a == b,
            _ => got == v,
        };
        assert!(same, "{k}: sent {v}, got {got}");
    }
}

#[tokio::test]
async fn every_layer_is_created_read_changed_and_deleted() {
    let server = TestServer::start().await.unwrap();
    let (_, depot) = post(&server.at("/api/layers/depot"), sample("depot", 0, 0)).await;
    let (_, source) = post(&server.at("/api/layers/risk_source"), sample("risk_source", 0, 0)).await;
    let (depot_id, source_id) = (depot["id"].as_i64().unwrap(), source["id"].as_i64().unwrap());
    // Two roads meeting at a node, for a turn restriction between them.
    let road = |a: [f64; 2], b: [f64; 2]| {
        common::feature(json!({"type": "LineString", "coordinates": [a, b]}), json!({"kind": "road", "speed_kmh": 40}))
    };
    let (_, first) = post(&server.at("/api/layers/route"), road([106.7, 29.7], [106.8, 29.7])).await;
    let (_, second) = post(&server.at("/api/layers/route"), road([106.8, 29.7], [106.8, 29.8])).await;
    let turn = common::feature(
        Value::Null,
        json!({"kind": "no_left_turn", "from_route_id": first["id"], "to_route_id": second["id"], "via": "end"}),
    );

    for layer in LAYERS {
        let url = server.at(&format!("/api/layers/{}", layer.name));
        let body =
            if layer.name == "turn_restriction" { turn.clone() } else { sample(layer.name, depot_id, source_id) };
        let (status, content_type, created) = call(Method::POST, &url, Some(body.clone())).await;
        assert_eq!(status, 201, "{}: {created}", layer.name);
        assert_eq!(content_type, "application/geo+json");
        assert_has_properties(&created, &body);
        let id = created["id"].as_i64().unwrap();

        let (status, read) = get(&format!("{url}/{id}")).await;
        assert_eq!(status, 200);
        assert_eq!(read, created, "{}", layer.name);
        if layer.is_spatial() {
            assert_eq!(
                read["geometry"]["type"].as_str().unwrap().replace("Multi", ""),
                body["geometry"]["type"].as_str().unwrap()
            );
        }

        // PATCH one property: the others stay.
        let (field, value) = match ["name", "finding", "item"].into_iter().find(|f| layer.field(f).is_some()) {
            Some(field) => (field, json!("改名")),
            None => ("osm_id", json!(4242)),
        };
        let change = json!({ field: value });
        let (status, _, patched) = call(Method::PATCH, &format!("{url}/{id}"), Some(change)).await;
        assert_eq!(status, 200, "{}: {patched}", layer.name);
        assert_eq!(patched["properties"][field], value);
        assert_eq!(patched["geometry"], created["geometry"]);

        // PUT replaces everything with the sample again.
        let (status, _, replaced) = call(Method::PUT, &format!("{url}/{id}"), Some(body.clone())).await;
        assert_eq!(status, 200, "{}: {replaced}", layer.name);
        assert_has_properties(&replaced, &body);

        let (status, _, _) = call(Method::DELETE, &format!("{url}/{id}"), None).await;
        assert_eq!(status, 204);
        common::expect_problem(Method::GET, &format!("{url}/{id}"), None, 404).await;
        common::expect_problem(Method::DELETE, &format!("{url}/{id}"), None, 404).await;
    }
}

#[tokio::test]
async fn substances_are_rows_of_their_own_and_grade_is_the_higher_one() {
    let server = TestServer::start().await.unwrap();
    let (status, created) = post(&server.at("/api/layers/risk_source"), sample("risk_source", 0, 0)).await;
    assert_eq!(status, 201);
    let id = created["id"].as_i64().unwrap();
    // 液氯 12.5 t over a threshold of 1 t: air Q2, with M2 and E1 重大; no water substances: Q0.
    assert_eq!(created["properties"]["grade"], "重大");
    let rows: Vec<(String, f64)> =
        sqlx::query_as("SELECT name, quantity_t FROM risk_substance WHERE risk_source_id = $1")
            .bind(id)
            .fetch_all(&server.pool)
            .await
            .unwrap();
    assert_eq!(rows, vec![("液氯".to_string(), 12.5)]);

    let two = json!({"substances": [
        {"name": "液氨", "cas": "7664-41-7", "quantity_t": 3, "threshold_t": 5, "medium": "air"},
        {"name": "硫酸", "quantity_t": 40, "threshold_t": 10, "medium": "water"}], "m_water": "M3", "e_water": "E1"});
    let (status, _, patched) =
        call(Method::PATCH, &server.at(&format!("/api/layers/risk_source/{id}")), Some(two)).await;
    assert_eq!(status, 200, "{patched}");
    // Graded by the database after HJ 941-2018: air Q = 0.6 (Q0), water Q = 4 (Q1) with M3, E1.
    assert_eq!(patched["properties"]["grade"], "重大");
    assert_eq!(patched["properties"]["level"], "重大[一般-大气(Q0)+重大-水(Q1-M3-E1)]");
    let names: Vec<String> =
        sqlx::query_scalar("SELECT name FROM risk_substance WHERE risk_source_id = $1 ORDER BY id")
            .bind(id)
            .fetch_all(&server.pool)
            .await
            .unwrap();
    assert_eq!(names, ["液氨", "硫酸"]);
}

#[tokio::test]
async fn listing_pages_filters_and_bbox_agree_with_postgis() {
    let server = TestServer::start().await.unwrap();
    onemap::exchange::demo::load(&server.pool, &demo_dir(), false).await.unwrap();

    // Follow the next links through the receptors, 7 at a time: every row exactly once.
    let mut url = server.at("/api/layers/receptor?limit=7");
    let mut seen = Vec::new();
    loop {
        let (status, page) = get(&url).await;
        assert_eq!(status, 200, "{page}");
        assert!(page["numberReturned"].as_i64().unwrap() <= 7);
        seen.extend(page["features"].as_array().unwrap().iter().map(|f| f["id"].as_i64().unwrap()));
        match page["links"].as_array().unwrap().iter().find(|l| l["rel"] == "next") {
            Some(next) => url = server.at(next["href"].as_str().unwrap()),
            None => break,
        }
    }
    let all: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM receptor ORDER BY id").fetch_all(&server.pool).await.unwrap();
    assert_eq!(seen, all);

    // bbox: the same ids as PostGIS's own intersection test with the envelope.
    let bbox = [106.3, 29.3, 106.9, 29.9];
    let (_, page) =
        get(&server
            .at(&format!("/api/layers/receptor?bbox={},{},{},{}&limit=10000", bbox[0], bbox[1], bbox[2], bbox[3])))
        .await;
    let got: BTreeSet<i64> = page["features"].as_array().unwrap().iter().map(|f| f["id"].as_i64().unwrap()).collect();
    let expected: BTreeSet<i64> =
        sqlx::query_scalar("SELECT id FROM receptor WHERE ST_Intersects(geom, ST_MakeEnvelope($1, $2, $3, $4, 4326))")
            .bind(bbox[0])
            .bind(bbox[1])
            .bind(bbox[2])
            .bind(bbox[3])
            .fetch_all(&server.pool)
            .await
            .unwrap()
            .into_iter()
            .collect();
    assert!(!expected.is_empty());
    assert_eq!(got, expected);

    // Property filters, including the computed grade and a list-valued field.
    for (query, sql) in [
        ("/api/layers/risk_source?grade=%E9%87%8D%E5%A4%A7", "SELECT count(*) FROM risk_source WHERE grade = '重大'"),
        ("/api/layers/depot?tier=city", "SELECT count(*) FROM depot WHERE tier = 'city'"),
        ("/api/layers/team?specialties=hazmat", "SELECT count(*) FROM team WHERE 'hazmat' = ANY(specialties)"),
        (
            "/api/layers/route?kind=river&name=%E9%95%BF%E6%B1%9F",
            "SELECT count(*) FROM route WHERE kind = 'river' AND name = '长江'",
        ),
        ("/api/layers/depot?q=%E6%B8%9D%E5%8C%97", "SELECT count(*) FROM depot WHERE name LIKE '%渝北%'"),
        ("/api/layers/route?hazmat_allowed=false", "SELECT count(*) FROM route WHERE NOT hazmat_allowed"),
    ] {
        let (status, page) = get(&server.at(query)).await;
        assert_eq!(status, 200, "{query}: {page}");
        let expected: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(&server.pool).await.unwrap();
        assert!(expected > 0, "{sql} finds nothing in the demo data");
        assert_eq!(page["numberMatched"].as_i64().unwrap(), expected, "{query}");
        assert_eq!(page["features"].as_array().unwrap().len() as i64, expected, "{query}");
    }
}

#[tokio::test]
async fn the_layer_list_gives_counts_and_extents() {
    let server = TestServer::start().await.unwrap();
    onemap::exchange::demo::load(&server.pool, &demo_dir(), false).await.unwrap();
    common::add_turn_restrictions(&server.pool, 3).await;
    let (status, list) = get(&server.at("/api/layers")).await;
    assert_eq!(status, 200);
    for entry in list["layers"].as_array().unwrap() {
        let name = entry["name"].as_str().unwrap();
        let (_, page) = get(&server.at(&format!("/api/layers/{name}?limit=10000"))).await;
        let features = page["features"].as_array().unwrap();
        assert_eq!(entry["count"].as_u64().unwrap() as usize, features.len(), "{name}");
        assert!(!features.is_empty(), "the demo data has {name}");
        // The extent, computed here from the coordinates themselves.
        let mut coords = Vec::new();
        for f in features {
            collect_coords(&f["geometry"]["coordinates"], &mut coords);
        }
        if coords.is_empty() {
            assert!(entry["extent"].is_null(), "{name}");
            continue;
        }
        let extent: Vec<f64> = entry["extent"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        let min_x = coords.iter().map(|c| c.0).fold(f64::INFINITY, f64::min);
        let max_y = coords.iter().map(|c| c.1).fold(f64::NEG_INFINITY, f64::max);
        // PostGIS extents are float4 boxes: equal within their rounding.
        assert!(
            (extent[0] - min_x).abs() < 1e-4 && (extent[3] - max_y).abs() < 1e-4,
            "{name}: {extent:?} vs {min_x} {max_y}"
        );
    }
}

fn collect_coords(value: &Value, out: &mut Vec<(f64, f64)>) {
    match value.as_array() {
        Some(a) if a.len() >= 2 && a[0].is_number() => out.push((a[0].as_f64().unwrap(), a[1].as_f64().unwrap())),
        Some(a) => a.iter().for_each(|v| collect_coords(v, out)),
        None => {}
    }
}

#[tokio::test]
async fn sql_looking_strings_are_stored_and_returned_verbatim() {
    let server = TestServer::start().await.unwrap();
    let evil = "x'); DROP TABLE depot; -- \" \\ %_";
    let depot = feature(point(106.5, 29.5), json!({"name": evil, "tier": "city", "district": "' OR '1'='1"}));
    let (status, created) = post(&server.at("/api/layers/depot"), depot).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["properties"]["name"], evil);
    // A filter that would match everything if it were pasted into SQL matches only itself.
    let (_, page) = get(&server.at("/api/layers/depot?district=%27%20OR%20%271%27%3D%271")).await;
    assert_eq!(page["numberMatched"], 1);
    let (_, page) = get(&server.at("/api/layers/depot?district=%27%20OR%201%3D1%20--")).await;
    assert_eq!(page["numberMatched"], 0);
    // LIKE wildcards in q are literal.
    let (_, page) = get(&server.at("/api/layers/depot?q=%25_")).await;
    assert_eq!(page["numberMatched"], 1);
    let (_, page) = get(&server.at("/api/layers/depot?q=_%25")).await;
    assert_eq!(page["numberMatched"], 0);
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM depot").fetch_one(&server.pool).await.unwrap();
    assert_eq!(n, 1);
}

#[tokio::test]
async fn every_change_is_notified_with_layer_id_and_operation() {
    let server = TestServer::start().await.unwrap();
    let mut listener = sqlx::postgres::PgListener::connect_with(&server.pool).await.unwrap();
    listener.listen("onemap_change").await.unwrap();

    let (_, created) = post(&server.at("/api/layers/team"), sample("team", 0, 0)).await;
    let id = created["id"].as_i64().unwrap();
    let url = server.at(&format!("/api/layers/team/{id}"));
    call(Method::PATCH, &url, Some(json!({"status": "off_duty"}))).await;
    call(Method::DELETE, &url, None).await;
    // A change made with plain SQL is notified too.
    let district: i64 = sqlx::query_scalar(
        "INSERT INTO district (code, name, geom) VALUES ('500101', '万州区', ST_Multi(ST_MakeEnvelope(108, 30, 109, 31, 4326))) RETURNING id",
    )
    .fetch_one(&server.pool)
    .await
    .unwrap();
    let (_, batch) =
        post(&server.at("/api/layers/expert"), collection(vec![sample("expert", 0, 0), sample("expert", 0, 0)])).await;

    let mut got = Vec::new();
    while got.len() < 6 {
        let n = tokio::time::timeout(std::time::Duration::from_secs(5), listener.recv()).await.unwrap().unwrap();
        let payload = serde_json::from_str::<Value>(n.payload()).unwrap();
        // The event log's markers ride on the same channel.
        if payload.get("event").is_none() {
            got.push(payload);
        }
    }
    let experts = batch["features"].as_array().unwrap();
    assert_eq!(
        got,
        vec![
            json!({"layer": "team", "id": id, "op": "insert"}),
            json!({"layer": "team", "id": id, "op": "update"}),
            json!({"layer": "team", "id": id, "op": "delete"}),
            json!({"layer": "district", "id": district, "op": "insert"}),
            json!({"layer": "expert", "id": experts[0]["id"], "op": "insert"}),
            json!({"layer": "expert", "id": experts[1]["id"], "op": "insert"}),
        ]
    );
}

#[tokio::test]
async fn health_reports_the_database_and_migration() {
    let server = TestServer::start().await.unwrap();
    let (status, health) = get(&server.at("/health")).await;
    assert_eq!(status, 200);
    assert_eq!(health["database"], "reachable");
    let latest = onemap::db::MIGRATOR.iter().map(|m| m.version).max().unwrap();
    assert_eq!(health["migration"], latest);
    common::expect_problem(Method::GET, &server.at("/no/such/thing"), None, 404).await;
}
