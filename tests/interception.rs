//! River interception plans: on a small network worked out by hand, and on the demo's Jialing.

mod common;

use common::testing::TestServer;
use common::{call, counts, expect_problem, post};
use reqwest::Method;
use serde_json::{Value, json};

fn line(props: Value, coords: &[[f64; 2]]) -> Value {
    json!({"type": "Feature", "geometry": {"type": "LineString", "coordinates": coords}, "properties": props})
}

fn at(lon: f64, lat: f64, props: Value) -> Value {
    json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": props})
}

/// A river flowing east along 29°N at 1 m/s from 106.0° to 106.5°; an intake at 106.2°; sites at
/// 106.05° (reached by road too late), 106.15° (in time, above the intake) and 106.30° (in
/// time, but below the intake); one water team at (106.30°, 29.10°) and roads at 36 km/h.
async fn small_network(server: &TestServer) -> Vec<i64> {
    let river = line(json!({"kind": "river", "name": "试验河", "flow_speed_ms": 1.0}), &[[106.0, 29.0], [106.5, 29.0]]);
    let road = |coords: &[[f64; 2]]| {
        line(
            json!({"kind": "road", "name": "试验路", "road_class": "primary", "speed_kmh": 36, "oneway": false}),
            coords,
        )
    };
    let routes = json!({"type": "FeatureCollection", "features": [
        river,
        road(&[[106.30, 29.10], [106.15, 29.10]]), road(&[[106.15, 29.10], [106.05, 29.10]]),
        road(&[[106.30, 29.10], [106.30, 29.001]]), road(&[[106.15, 29.10], [106.15, 29.001]]),
        road(&[[106.05, 29.10], [106.05, 29.001]]),
    ]});
    let (status, body) = post(&server.at("/api/layers/route"), routes).await;
    assert_eq!(status, 201, "{body}");
    let (status, _) = post(
        &server.at("/api/layers/receptor"),
        at(106.2, 29.0005, json!({"kind": "water_intake", "name": "试验取水口"})),
    )
    .await;
    assert_eq!(status, 201);
    let (status, _) = post(
        &server.at("/api/layers/team"),
        at(106.30, 29.10, json!({"name": "试验队", "specialties": ["water"], "headcount": 10})),
    )
    .await;
    assert_eq!(status, 201);
    let mut ids = Vec::new();
    for (lon, name) in [(106.05, "甲点"), (106.15, "乙点"), (106.30, "丙点")] {
        let (status, s) =
            post(&server.at("/api/layers/intercept_site"), at(lon, 29.0, json!({"name": name, "kind": "boom_point"})))
                .await;
        assert_eq!(status, 201, "{s}");
        ids.push(s["id"].as_i64().unwrap());
    }
    // The road graph and the river graph follow the writes.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    ids
}

#[tokio::test]
async fn sites_too_late_or_below_the_intake_are_not_recommended() {
    let server = TestServer::start().await.unwrap();
    let ids = small_network(&server).await;
    let request = json!({"point": [106.0, 29.0], "hours": 20, "send": {"specialty": "water"}, "setup_minutes": 30, "pollutant": "柴油"});
    let (status, plan) = post(&server.at("/api/rivers/interception"), request).await;
    assert_eq!(status, 200, "{plan}");
    let sites = plan["sites"].as_array().unwrap();
    let order: Vec<i64> = sites.iter().map(|s| s["id"].as_i64().unwrap()).collect();
    assert_eq!(order, ids, "in downstream order");
    // By hand: the river at 29°N, 0.05° of longitude = 4.87 km; 1 m/s → 81 min to 甲, 243 to 乙,
    // 487 to 丙; the intake at 325 min. Roads at 10 m/s from the team: 乙 by 14.6 + 11.0 km = 43
    // min, 甲 by 24.3 + 11.0 km = 59 min, 丙 by 11.0 km = 18 min.
    let expect = [(81.2, 58.9), (243.6, 42.7), (487.1, 18.3)];
    for (s, (river_min, road_min)) in sites.iter().zip(expect) {
        let got_river = s["minutes"].as_f64().unwrap();
        let got_road = s["road"]["minutes"].as_f64().unwrap();
        assert!((got_river - river_min).abs() < 1.5, "{s}");
        assert!((got_road - road_min).abs() < 1.5, "{s}");
        // Margin = pollutant's time − road time − set-up (the spill is now).
        let margin = s["margin_minutes"].as_f64().unwrap();
        assert!((margin - (got_river - got_road - 30.0)).abs() < 0.3, "{s}");
    }
    assert!(
        sites[0]["margin_minutes"].as_f64().unwrap() < 0.0 && sites[0]["recommended"] == false,
        "甲 is reached too late"
    );
    assert_eq!(sites[1]["recommended"], true);
    assert_eq!(
        (sites[2]["above_first_intake"].as_bool(), sites[2]["recommended"].as_bool()),
        (Some(false), Some(false)),
        "丙 is below the intake"
    );
    assert_eq!(sites[0]["intakes_below"][0]["name"], "试验取水口");
    assert_eq!(sites[2]["intakes_below"], json!([]));
    assert_eq!(plan["recommended"], json!([ids[1]]));

    // Spilled an hour ago: every margin an hour less.
    let earlier = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
    let request = json!({"point": [106.0, 29.0], "hours": 20, "send": {"specialty": "water"}, "setup_minutes": 30, "spilled_at": earlier});
    let (_, late) = post(&server.at("/api/rivers/interception"), request).await;
    let before = sites[1]["margin_minutes"].as_f64().unwrap();
    let after = late["sites"][1]["margin_minutes"].as_f64().unwrap();
    assert!((before - after - 60.0).abs() < 0.5, "{before} {after}");

    // Committed: the team goes to the recommended site, not to the incident.
    let (status, incident) = post(
        &server.at("/api/layers/incident"),
        at(106.0, 29.0, json!({"name": "试验河柴油泄漏", "kind": "water", "severity": "一般"})),
    )
    .await;
    assert_eq!(status, 201, "{incident}");
    let team = sites[1]["road"]["id"].clone();
    let dispatch = server.at(&format!("/api/incidents/{}/dispatch", incident["id"]));
    let p = expect_problem(
        Method::POST,
        &dispatch,
        Some(json!({"shipments": [{"team_id": team}], "site_id": 999999})),
        422,
    )
    .await;
    assert_eq!(p["field"], "site_id");
    let (status, sent) = post(&dispatch, json!({"shipments": [{"team_id": team}], "site_id": ids[1]})).await;
    assert_eq!(status, 201, "{sent}");
    let d = &sent["dispatches"][0];
    assert_eq!(d["site_id"], ids[1]);
    let road_min = sites[1]["road"]["minutes"].as_f64().unwrap();
    assert!((d["travel_seconds"].as_f64().unwrap() / 60.0 - road_min).abs() < 0.1, "{d} vs {road_min}");
}

#[tokio::test]
async fn a_jialing_spill_above_beibei_lists_sites_downstream_with_consistent_margins() {
    let server = TestServer::with_demo().await.unwrap();
    // On the Jialing above 北碚, between 合川 and 北碚; 围油栏 from the depots.
    let (x, y): (f64, f64) = sqlx::query_as(
        "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_ClosestPoint(geom, ST_SetSRID(ST_MakePoint(106.39, 29.86), 4326)) AS p \
         FROM route WHERE kind = 'river' AND name LIKE '嘉陵江%' \
         ORDER BY ST_Distance(geom, ST_SetSRID(ST_MakePoint(106.39, 29.86), 4326)) LIMIT 1) q",
    )
    .fetch_one(&server.pool)
    .await
    .unwrap();
    let request =
        json!({"point": [x, y], "hours": 48, "send": {"item": "围油栏", "quantity": 100}, "setup_minutes": 45});
    let (status, plan) = post(&server.at("/api/rivers/interception"), request).await;
    assert_eq!(status, 200, "{plan}");
    let sites = plan["sites"].as_array().unwrap();
    assert!(sites.len() >= 3, "{plan}");
    let minutes: Vec<f64> = sites.iter().map(|s| s["minutes"].as_f64().unwrap()).collect();
    assert!(minutes.windows(2).all(|w| w[0] <= w[1]), "downstream order: {minutes:?}");
    let names: Vec<&str> = sites.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert!(names[0].contains("北碚"), "{names:?}");
    for s in sites {
        println!(
            "{} {} min, road {}, margin {}, recommended {}",
            s["name"], s["minutes"], s["road"]["minutes"], s["margin_minutes"], s["recommended"]
        );
    }
    for s in sites {
        if let Some(road) = s["road"]["minutes"].as_f64() {
            let margin = s["margin_minutes"].as_f64().unwrap();
            assert!((margin - (s["minutes"].as_f64().unwrap() - road - 45.0)).abs() < 0.3, "{s}");
            assert_eq!(s["road"]["layer"], "depot");
        }
    }
    // The recommended ones are those with a positive margin above the first intake, best first.
    let recommended: Vec<i64> = plan["recommended"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).collect();
    let mut expected: Vec<(f64, i64)> = sites
        .iter()
        .filter(|s| s["above_first_intake"] == true && s["margin_minutes"].as_f64().is_some_and(|m| m > 0.0))
        .map(|s| (s["margin_minutes"].as_f64().unwrap(), s["id"].as_i64().unwrap()))
        .collect();
    expected.sort_by(|a, b| b.0.total_cmp(&a.0));
    assert_eq!(recommended, expected.iter().map(|e| e.1).collect::<Vec<_>>());
}

#[tokio::test]
async fn bad_interception_requests_are_refused() {
    let server = TestServer::with_demo().await.unwrap();
    let url = server.at("/api/rivers/interception");
    let before = counts(&server.pool).await;
    let future = (chrono::Utc::now() + chrono::Duration::hours(3)).to_rfc3339();
    let cases = [
        (json!({"point": [105.0, 40.0], "send": {"specialty": "water"}}), 409, "river"),
        (json!({"point": [106.36, 29.88], "send": {}}), 422, "send"),
        (json!({"point": [106.36, 29.88], "send": {"specialty": "magic"}}), 422, "specialty"),
        (json!({"point": [106.36, 29.88], "send": {"item": "围油栏"}}), 422, "quantity"),
        (json!({"point": [106.36, 29.88], "send": {"specialty": "water"}, "hours": 0}), 422, "hours"),
        (json!({"point": [106.36, 29.88], "send": {"specialty": "water"}, "setup_minutes": -1}), 422, "setup_minutes"),
        (json!({"point": [106.36, 29.88], "send": {"specialty": "water"}, "spilled_at": future}), 422, "spilled_at"),
        (json!({"point": [106.36, 29.88], "send": {"specialty": "water"}, "colour": "red"}), 422, "colour"),
    ];
    for (body, status, field) in cases {
        let p = expect_problem(Method::POST, &url, Some(body.clone()), status).await;
        let said = format!("{} {} {}", p["field"].as_str().unwrap_or_default(), p["detail"], p["title"]);
        assert!(said.contains(field), "{body}: {p}");
    }
    assert_eq!(counts(&server.pool).await, before);
}

/// A site whose emergency space fills before the release has passed is no stop: 乙 diverts into
/// a 100,000 m³ pond; at 50 m³/s it is full in 33.3 minutes — enough for a 30-minute release,
/// not for an hour's. A river plan's sites come first among the recommended ones.
#[tokio::test]
async fn a_pond_that_fills_before_the_release_has_passed_is_no_stop_and_the_plans_sites_come_first() {
    let server = TestServer::start().await.unwrap();
    let ids = small_network(&server).await;
    let (status, _, body) = call(
        Method::PATCH,
        &server.at(&format!("/api/layers/intercept_site/{}", ids[1])),
        Some(json!({"actions": ["divert"], "volume_m3": 100000})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let url = server.at("/api/rivers/interception");
    let ask = |extra: Value| {
        let mut r = json!({"point": [106.0, 29.0], "hours": 20, "send": {"specialty": "water"}, "setup_minutes": 30});
        r.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        r
    };
    let (_, unchecked) = post(&url, ask(json!({}))).await;
    assert_eq!(unchecked["sites"][1]["storage"], Value::Null, "no flow given: not checked");
    assert_eq!(unchecked["recommended"], json!([ids[1]]));

    let (status, hour) = post(&url, ask(json!({"flow_m3_s": 50, "release_minutes": 60}))).await;
    assert_eq!(status, 200, "{hour}");
    let storage = &hour["sites"][1]["storage"];
    assert_eq!(storage["needed_m3"], 180000.0, "{storage}");
    assert!((storage["fills_in_minutes"].as_f64().unwrap() - 100000.0 / 50.0 / 60.0).abs() < 0.06, "{storage}");
    assert_eq!(storage["holds"], false);
    assert_eq!(hour["sites"][1]["recommended"], false);
    assert_eq!(hour["recommended"], json!([]));
    assert_eq!(hour["sites"][0]["storage"], Value::Null, "a boom point holds no water back");

    let (_, half) = post(&url, ask(json!({"flow_m3_s": 50, "release_minutes": 30}))).await;
    assert_eq!(half["sites"][1]["storage"]["holds"], true);
    assert_eq!(half["recommended"], json!([ids[1]]));

    // With ten minutes to set up, 甲 is in time too (81.2 − 58.9 − 10 min); 乙 has the wider margin
    // and comes first — unless a plan names 甲.
    let (_, both) = post(&url, ask(json!({"setup_minutes": 10}))).await;
    assert_eq!(both["recommended"], json!([ids[1], ids[0]]));
    let (status, _) = post(
        &server.at("/api/layers/district"),
        json!({"type": "Feature", "properties": {"code": "500999", "name": "试验区"},
               "geometry": {"type": "MultiPolygon", "coordinates": [[[[105.9, 28.9], [106.6, 28.9], [106.6, 29.2], [105.9, 29.2], [105.9, 28.9]]]]}}),
    )
    .await;
    assert_eq!(status, 201);
    let intake: i64 =
        sqlx::query_scalar("SELECT id FROM receptor WHERE name = '试验取水口'").fetch_one(&server.pool).await.unwrap();
    let (status, plan) = post(
        &server.at("/api/plans"),
        json!({"kind": "water_source", "name": "试验河水源地预案", "level": "special", "district": "500999",
               "receptor_id": intake, "intercept_site_ids": [ids[0]]}),
    )
    .await;
    assert_eq!(status, 201, "{plan}");
    assert_eq!(plan["sites"][0]["id"], ids[0]);
    let (_, planned) = post(&url, ask(json!({"setup_minutes": 10, "plan_id": plan["id"]}))).await;
    assert_eq!(planned["recommended"], json!([ids[0], ids[1]]));
    assert_eq!(
        (planned["sites"][0]["in_plan"].as_bool(), planned["sites"][1]["in_plan"].as_bool()),
        (Some(true), Some(false))
    );
    assert_eq!(planned["sites"][0]["plans"], json!([plan["id"]]));

    // Refused: an unknown plan, a negative flow; a plan naming a site that is not there, or an
    // enterprise plan naming sites.
    let p = expect_problem(Method::POST, &url, Some(ask(json!({"plan_id": 999999}))), 422).await;
    assert_eq!(p["field"], "plan_id");
    let p = expect_problem(Method::POST, &url, Some(ask(json!({"flow_m3_s": -1}))), 422).await;
    assert_eq!(p["field"], "flow_m3_s");
    let before = counts(&server.pool).await;
    let p = expect_problem(
        Method::PATCH,
        &server.at(&format!("/api/plans/{}", plan["id"])),
        Some(json!({"intercept_site_ids": [ids[0], 999999]})),
        422,
    )
    .await;
    assert_eq!(p["field"], "intercept_site_ids");
    let p = expect_problem(
        Method::POST,
        &server.at("/api/plans"),
        Some(json!({"kind": "enterprise", "name": "试验企业预案", "level": "comprehensive", "district": "500999",
                    "risk_level": "一般", "risk_source_ids": [], "intercept_site_ids": [ids[0]]})),
        422,
    )
    .await;
    assert_eq!(p["field"], "intercept_site_ids", "{p}");
    assert_eq!(counts(&server.pool).await, before);
}
