//! Across boundaries: a spill followed down the rivers, or a cloud, reaching other districts or
//! leaving the city drafts one notice to each (checked against the trace's own geometry and the
//! districts and neighbouring counties in PostGIS); a notice is sent by the command and answered
//! like an order; the refusals leave nothing written.

mod common;

use std::collections::BTreeSet;

use common::testing::TestServer;
use common::{ask, counts};
use onemap::auth::Role;
use reqwest::Method;
use serde_json::{Value, json};

/// A new incident at (x, y), as `token`.
async fn incident_at(server: &TestServer, token: &str, x: f64, y: f64, kind: &str) -> i64 {
    let (status, f) = ask(
        server,
        token,
        Method::POST,
        "/api/layers/incident",
        Some(json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [x, y]},
            "properties": {"name": "跨界测试", "kind": kind, "pollutant": "柴油", "severity": "较大"}})),
    )
    .await;
    assert_eq!(status, 201, "{f}");
    f["id"].as_i64().unwrap()
}

#[tokio::test]
async fn a_spill_down_the_river_drafts_one_notice_to_each_district_it_reaches() {
    let server = TestServer::with_demo().await.unwrap();
    let command = server.token("市值班长", Role::Dispatcher, None).await.unwrap();
    // On the Yangtze's first reach in the city, where it enters from Sichuan.
    let (x, y, own) = common::on_the_yangtze(&server.pool).await;
    let incident = incident_at(&server, &command, x, y, "water").await;
    let crossings = format!("/api/incidents/{incident}/crossings");

    // No response yet, a bad horizon, another district's user: refused, nothing written.
    let before = counts(&server.pool).await;
    assert_eq!(ask(&server, &command, Method::POST, &crossings, Some(json!({}))).await.0, 409);
    let (status, _) = ask(
        &server,
        &command,
        Method::POST,
        &format!("/api/incidents/{incident}/response"),
        Some(json!({"level": "IV", "why": "柴油入江"})),
    )
    .await;
    assert_eq!(status, 200);
    let before_declared = counts(&server.pool).await;
    assert_ne!(before, before_declared);
    for body in [json!({"river_hours": 100}), json!({"river_hours": -1}), json!({"rivers": 3})] {
        let (status, p) = ask(&server, &command, Method::POST, &crossings, Some(body.clone())).await;
        assert_eq!(status, 422, "{body}: {p}");
    }
    let other: String = sqlx::query_scalar("SELECT code FROM district WHERE code <> $1 ORDER BY code LIMIT 1")
        .bind(&own)
        .fetch_one(&server.pool)
        .await
        .unwrap();
    let elsewhere = server.token("别区值班", Role::Dispatcher, Some(&other)).await.unwrap();
    assert_eq!(ask(&server, &elsewhere, Method::POST, &crossings, Some(json!({}))).await.0, 403);
    assert_eq!(counts(&server.pool).await, before_declared);

    // Drafted: one notice a district the trace reaches, none to its own.
    let hours = 48.0;
    let (status, drafted) = ask(&server, &command, Method::POST, &crossings, Some(json!({"river_hours": hours}))).await;
    assert_eq!(status, 200, "{drafted}");
    let notices = drafted["orders"].as_array().unwrap();
    let drafted_to: Vec<&str> =
        notices.iter().filter(|n| n["to_kind"] == "district").map(|n| n["to_ref"].as_str().unwrap()).collect();
    let unique: BTreeSet<&str> = drafted_to.iter().copied().collect();
    assert_eq!(unique.len(), drafted_to.len(), "one notice a district: {drafted_to:?}");

    // The trace itself, and the districts its reaches meet, as PostGIS says.
    let (_, trace) = ask(
        &server,
        &command,
        Method::GET,
        &format!("/api/rivers/downstream?lon={x}&lat={y}&hours={hours}&max_snap_m=2000"),
        None,
    )
    .await;
    let reaches: Vec<String> =
        trace["features"].as_array().unwrap().iter().map(|f| f["geometry"].to_string()).collect();
    assert!(!reaches.is_empty(), "{trace}");
    let expected: Vec<String> = sqlx::query_scalar(
        "SELECT d.code FROM district d WHERE NOT ST_Covers(d.geom, ST_SetSRID(ST_MakePoint($2, $3), 4326)) \
           AND EXISTS (SELECT 1 FROM unnest($1::text[]) g WHERE ST_Intersects(d.geom, ST_SetSRID(ST_GeomFromGeoJSON(g), 4326))) \
         ORDER BY 1",
    )
    .bind(&reaches)
    .bind(x)
    .bind(y)
    .fetch_all(&server.pool)
    .await
    .unwrap();
    assert!(!expected.is_empty(), "48 hours down the Yangtze leave the first district");
    assert_eq!(unique.iter().map(|s| s.to_string()).collect::<Vec<_>>(), expected);
    assert!(!unique.contains(own.as_str()));

    // Each arrives within the horizon, and no later than the trace's first vertex inside it.
    for n in notices.iter().filter(|n| n["to_kind"] == "district") {
        let at = n["crossing"]["hours"].as_f64().unwrap();
        assert!((0.0..=hours).contains(&at), "{n}");
        let code = n["to_ref"].as_str().unwrap();
        for f in trace["features"].as_array().unwrap() {
            let coordinates = f["geometry"]["coordinates"].as_array().unwrap();
            let hours: Vec<f64> =
                f["properties"]["hours"].as_array().unwrap().iter().map(|h| h.as_f64().unwrap()).collect();
            for (i, c) in coordinates.iter().enumerate() {
                let inside: bool = sqlx::query_scalar(
                    "SELECT ST_Covers(geom, ST_SetSRID(ST_MakePoint($2, $3), 4326)) FROM district WHERE code = $1",
                )
                .bind(code)
                .bind(c[0].as_f64().unwrap())
                .bind(c[1].as_f64().unwrap())
                .fetch_one(&server.pool)
                .await
                .unwrap();
                if inside {
                    assert!(at <= hours[i] + 1e-3, "{code}: arrives at {at} h, a vertex inside at {} h", hours[i]);
                    break;
                }
            }
        }
        assert_eq!(n["status"], "draft");
        assert_eq!(n["kind"], "notice");
        assert!(n["what"].as_str().unwrap().contains("跨界通报"), "{n}");
    }

    // Drafted again: the same notices, nothing doubled.
    let (_, again) = ask(&server, &command, Method::POST, &crossings, Some(json!({"river_hours": hours}))).await;
    let ids = |v: &Value| v["orders"].as_array().unwrap().iter().map(|o| o["id"].as_i64().unwrap()).collect::<Vec<_>>();
    assert_eq!(ids(&again), ids(&drafted));

    // Sent by the command, then it is the district's like an order; a draft is nobody's yet.
    let first = &notices[0];
    let id = first["id"].as_i64().unwrap();
    let code = first["to_ref"].as_str().unwrap();
    let duty = server.token("下游值班", Role::Viewer, Some(code)).await.unwrap();
    let (_, mine) = ask(&server, &duty, Method::GET, "/api/orders?mine=true", None).await;
    assert_eq!(mine["orders"].as_array().unwrap().len(), 0, "a draft is not sent: {mine}");
    assert_eq!(ask(&server, &duty, Method::POST, &format!("/api/orders/{id}/send"), Some(json!({}))).await.0, 403);
    let (status, sent) = ask(&server, &command, Method::POST, &format!("/api/orders/{id}/send"), Some(json!({}))).await;
    assert_eq!((status, sent["status"].as_str()), (200, Some("issued")), "{sent}");
    assert_eq!(ask(&server, &command, Method::POST, &format!("/api/orders/{id}/send"), Some(json!({}))).await.0, 409);
    let (_, mine) = ask(&server, &duty, Method::GET, "/api/orders?mine=true", None).await;
    assert_eq!(mine["orders"][0]["id"], id);
    let (status, _) =
        ask(&server, &duty, Method::POST, &format!("/api/orders/{id}/acknowledge"), Some(json!({}))).await;
    assert_eq!(status, 200);
    // A sent notice is as it was sent, whatever the next draft says.
    let (_, third) = ask(&server, &command, Method::POST, &crossings, Some(json!({"river_hours": 6}))).await;
    let kept = third["orders"].as_array().unwrap().iter().find(|o| o["id"] == id).unwrap();
    assert_eq!((kept["status"].as_str(), &kept["what"]), (Some("acknowledged"), &sent["what"]));
}

#[tokio::test]
async fn a_cloud_leaving_the_city_drafts_a_notice_to_the_neighbouring_city() {
    let server = TestServer::with_demo().await.unwrap();
    let command = server.token("市值班长", Role::Dispatcher, None).await.unwrap();
    // Inside the city, 2–3 km from 邻水县 (广安市, 四川省), the wind blowing towards it.
    let (x, y, wind_from): (f64, f64, f64) = sqlx::query_as(
        "WITH n AS (SELECT geom FROM neighbour WHERE name = '邻水县'), \
              p AS (SELECT ST_PointOnSurface(ST_Intersection(d.geom, ST_Difference( \
                       ST_Buffer(n.geom::geography, 3000)::geometry, ST_Buffer(n.geom::geography, 2000)::geometry))) AS p \
                    FROM district d, n WHERE ST_DWithin(d.geom, n.geom, 0.01) ORDER BY d.code LIMIT 1) \
         SELECT ST_X(p), ST_Y(p), \
                degrees(ST_Azimuth(p, ST_ClosestPoint(n.geom, p)))::float8 + 180 FROM p, n",
    )
    .fetch_one(&server.pool)
    .await
    .unwrap();
    let incident = incident_at(&server, &command, x, y, "air").await;
    let (status, _) = ask(
        &server,
        &command,
        Method::POST,
        &format!("/api/incidents/{incident}/response"),
        Some(json!({"level": "III", "why": "氯气泄漏"})),
    )
    .await;
    assert_eq!(status, 200);
    let air = json!({"point": [0, 0], "release_g_s": 2000, "wind_from_deg": wind_from % 360.0, "wind_ms": 2.0,
        "stability": "D", "substance": "氯气", "minutes": 120});
    let (status, drafted) = ask(
        &server,
        &command,
        Method::POST,
        &format!("/api/incidents/{incident}/crossings"),
        Some(json!({"river_hours": 0, "air": air})),
    )
    .await;
    assert_eq!(status, 200, "{drafted}");
    let cities: Vec<&Value> = drafted["orders"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["to_kind"] == "city" && o["crossing"]["medium"] == "air")
        .collect();

    // The zone as the plume service draws it, and the neighbouring cities it covers, in PostGIS.
    let mut plume = air.clone();
    plume["point"] = json!([x, y]);
    let (_, zones) = ask(&server, &command, Method::POST, "/api/air/plume", Some(plume)).await;
    let zone = zones["features"].as_array().unwrap().iter().find(|z| !z["geometry"].is_null()).unwrap();
    let expected: Vec<(String, f64)> = sqlx::query_as(
        "SELECT n.city, min(ST_Distance(ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography, n.geom::geography)) \
         FROM neighbour n WHERE ST_Intersects(n.geom, ST_SetSRID(ST_GeomFromGeoJSON($1), 4326)) GROUP BY 1 ORDER BY 1",
    )
    .bind(zone["geometry"].to_string())
    .bind(x)
    .bind(y)
    .fetch_all(&server.pool)
    .await
    .unwrap();
    assert!(expected.iter().any(|(c, _)| c == "广安市"), "{expected:?}");
    let mut got: Vec<&str> = cities.iter().map(|o| o["to_ref"].as_str().unwrap()).collect();
    got.sort();
    assert_eq!(got, expected.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>());
    for (city, metres) in &expected {
        let n = cities.iter().find(|o| o["to_ref"] == city.as_str()).unwrap();
        // The wind cannot bring it sooner than the city's nearest edge allows.
        let hours = n["crossing"]["hours"].as_f64().unwrap();
        assert!(hours * 3600.0 * 2.0 >= metres - 1.0, "{city}: {hours} h for {metres} m");
        assert!(n["crossing"]["place"].as_str().unwrap().starts_with("四川省") || city != "广安市");
        assert!(n["crossing"]["counties"].as_array().unwrap().iter().any(|c| c == "邻水县") || city != "广安市");
    }
}

#[tokio::test]
async fn a_support_request_approved_in_part_is_dispatched_from_other_districts_without_overdrawing() {
    let server = TestServer::with_demo().await.unwrap();
    let city = server.token("市调度", Role::Dispatcher, None).await.unwrap();
    // 万州 asks; an item and unit several depots elsewhere hold.
    let wanzhou = "500101";
    let asker = server.token("万州值班", Role::Dispatcher, Some(wanzhou)).await.unwrap();
    let (x, y): (f64, f64) = sqlx::query_as(
        "SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM district WHERE code = $1",
    )
    .bind(wanzhou)
    .fetch_one(&server.pool)
    .await
    .unwrap();
    let incident = incident_at(&server, &asker, x, y, "water").await;
    const OUTSIDE: &str = "NOT ST_Covers((SELECT geom FROM district WHERE code = '500101'), d.geom)";
    let (item, unit, free): (String, String, f64) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT s.item, s.unit, sum(s.quantity - s.reserved) FROM stock_item s JOIN depot d ON d.id = s.depot_id \
         WHERE {OUTSIDE} GROUP BY 1, 2 HAVING count(DISTINCT d.id) >= 2 ORDER BY count(DISTINCT d.id) DESC, 1, 2 LIMIT 1"
    )))
    .fetch_one(&server.pool)
    .await
    .unwrap();
    let inside_before: f64 = sqlx::query_scalar(
        "SELECT coalesce(sum(s.reserved), 0)::float8 FROM stock_item s JOIN depot d ON d.id = s.depot_id \
         WHERE ST_Covers((SELECT geom FROM district WHERE code = '500101'), d.geom)",
    )
    .fetch_one(&server.pool)
    .await
    .unwrap();
    let support = format!("/api/incidents/{incident}/support");
    let asked = json!({"demands": [{"item": item, "unit": unit, "quantity": free * 1.5}], "needed_in_minutes": 120,
        "priority": 3, "note": "区储备不足"});

    // Refused, nothing written: another district filing for 万州, a past time, a bad priority.
    let before = counts(&server.pool).await;
    let fuling = server.token("涪陵值班", Role::Dispatcher, Some("500102")).await.unwrap();
    assert_eq!(ask(&server, &fuling, Method::POST, &support, Some(asked.clone())).await.0, 403);
    for (body, field) in [
        (json!({"demands": asked["demands"], "needed_by": "2020-01-01T00:00:00Z"}), "needed_by"),
        (json!({"demands": asked["demands"], "needed_in_minutes": 60, "priority": 9}), "priority"),
        (json!({"demands": [], "needed_in_minutes": 60}), "demands"),
        (json!({"demands": [{"item": "无此物资", "quantity": 1}], "needed_in_minutes": 60}), "demands[0].item"),
    ] {
        let (status, p) = ask(&server, &asker, Method::POST, &support, Some(body.clone())).await;
        assert_eq!((status, p["field"].as_str()), (422, Some(field)), "{body}: {p}");
    }
    assert_eq!(counts(&server.pool).await, before);

    let (status, filed) = ask(&server, &asker, Method::POST, &support, Some(asked.clone())).await;
    assert_eq!(status, 201, "{filed}");
    assert_eq!((filed["status"].as_str(), filed["district"].as_str()), (Some("filed"), Some(wanzhou)));
    let decide = format!("/api/support/{}/decide", filed["id"]);

    // Decided by the city only, within what was asked, with a reason when less.
    let before = counts(&server.pool).await;
    assert_eq!(ask(&server, &asker, Method::POST, &decide, Some(json!({}))).await.0, 403);
    for body in [
        json!({"approve": [free * 2.0], "note": "x"}),
        json!({"approve": [free], "note": "x", "colour": 1}),
        json!({"approve": [free, 1.0], "note": "x"}),
        json!({"approve": [free]}),
        json!({"approve": [-1.0], "note": "x"}),
    ] {
        let (status, p) = ask(&server, &city, Method::POST, &decide, Some(body.clone())).await;
        assert!(status == 422 || status == 400, "{body}: {status} {p}");
    }
    assert_eq!(counts(&server.pool).await, before);

    // Approved in part: more than the other districts hold, so all of theirs is sent and the
    // rest stated short; 万州's own stock untouched; no stock row beyond its quantity.
    let approved = free * 1.2;
    let (status, decided) = ask(
        &server,
        &city,
        Method::POST,
        &decide,
        Some(json!({"approve": [approved], "note": "市储备有限，先调拨可用部分"})),
    )
    .await;
    assert_eq!(status, 200, "{decided}");
    assert_eq!(decided["request"]["status"], "partly_approved");
    let short = decided["demands"][0]["short"].as_f64().unwrap();
    assert!((short - (approved - free)).abs() < 1e-3, "short {short} of {approved} with {free} free: {decided}");
    let sent: f64 = sqlx::query_scalar(
        "SELECT coalesce(sum(i.quantity), 0)::float8 FROM dispatch_item i JOIN dispatch p ON p.id = i.dispatch_id \
         WHERE p.id = ANY($1) AND i.item = $2 AND i.unit = $3",
    )
    .bind(
        decided["request"]["dispatch_ids"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).collect::<Vec<_>>(),
    )
    .bind(&item)
    .bind(&unit)
    .fetch_one(&server.pool)
    .await
    .unwrap();
    assert!((sent - free).abs() < 1e-3, "sent {sent}, free elsewhere {free}");
    let (from_inside, overdrawn): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM dispatch p JOIN depot d ON d.id = p.depot_id \
                  WHERE p.incident_id = $1 AND ST_Covers((SELECT geom FROM district WHERE code = '500101'), d.geom)), \
                (SELECT count(*) FROM stock_item WHERE reserved > quantity + 1e-9)",
    )
    .bind(incident)
    .fetch_one(&server.pool)
    .await
    .unwrap();
    assert_eq!((from_inside, overdrawn), (0, 0));
    let inside_after: f64 = sqlx::query_scalar(
        "SELECT coalesce(sum(s.reserved), 0)::float8 FROM stock_item s JOIN depot d ON d.id = s.depot_id \
         WHERE ST_Covers((SELECT geom FROM district WHERE code = '500101'), d.geom)",
    )
    .fetch_one(&server.pool)
    .await
    .unwrap();
    assert_eq!(inside_after, inside_before);

    // Decided once; the asking district sees its request, another does not.
    assert_eq!(ask(&server, &city, Method::POST, &decide, Some(json!({}))).await.0, 409);
    let (_, mine) = ask(&server, &asker, Method::GET, "/api/support", None).await;
    assert_eq!(mine["requests"].as_array().unwrap().len(), 1);
    let (_, theirs) = ask(&server, &fuling, Method::GET, "/api/support", None).await;
    assert_eq!(theirs["requests"].as_array().unwrap().len(), 0);
}
